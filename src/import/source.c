/*
 * source.c: a context's source document found on this machine (see
 * source.h for the forms of a source and where each is looked for).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "import/source.h"
#include "core/input.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The places looked in, for the message when nothing is found. */
typedef struct {
	char buf[1024];
	size_t n;
} src_tried;

static void src_tried_add(src_tried *t, const char *what)
{
	int k = snprintf(t->buf + t->n, sizeof t->buf - t->n, "%s%s", t->n ? ", " : "", what);
	if (k > 0)
		t->n = t->n + (size_t)k < sizeof t->buf ? t->n + (size_t)k : sizeof t->buf - 1;
}

static int src_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder of path ("." when it has none), malloc'd. */
static char *src_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* A decimal number of at most 19 digits (no sign, no spaces): 0 ok. */
static int src_u64(const char *p, size_t n, uint64_t *v)
{
	if (n == 0 || n > 19)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

int source_manifest_line(const char *ln, size_t n, const char *pkg, const char *path, char split[32],
			 uint64_t *off, uint64_t *bytes, char *err, size_t errlen)
{
	/* doc, group, package, path, split, offset, bytes, ... */
	const char *f[7];
	size_t fl[7];
	int nf = 0;
	const char *p = ln, *end = ln + n;
	while (nf < 7) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		f[nf] = p;
		fl[nf] = (size_t)((t ? t : end) - p);
		nf++;
		if (!t)
			break;
		p = t + 1;
	}
	if (nf < 7 || fl[2] != strlen(pkg) || memcmp(f[2], pkg, fl[2]) != 0 || fl[3] != strlen(path) ||
	    memcmp(f[3], path, fl[3]) != 0)
		return 0;
	/* this document's row: every field it gives is checked */
	if (fl[4] == 0 || fl[4] >= 32 || strspn(f[4], "abcdefghijklmnopqrstuvwxyz") < fl[4])
		return fs_seterr(err, errlen, "split: not a lowercase name (heldout, train)");
	if (src_u64(f[5], fl[5], off) != 0)
		return fs_seterr(err, errlen, "offset: '%.*s' is not a byte offset", (int)(fl[5] < 40 ? fl[5] : 40), f[5]);
	if (src_u64(f[6], fl[6], bytes) != 0)
		return fs_seterr(err, errlen, "bytes: '%.*s' is not a size", (int)(fl[6] < 40 ? fl[6] : 40), f[6]);
	if (*bytes > SOURCE_MAX_BYTES)
		return fs_seterr(err, errlen, "bytes: %llu is more than a document may have (%llu)",
				 (unsigned long long)*bytes, (unsigned long long)SOURCE_MAX_BYTES);
	memcpy(split, f[4], fl[4]);
	split[fl[4]] = 0;
	return 1;
}

/* The document PKG:PATH of the corpus in dir: 1 found (*text, *len, where
 * set), 0 not in it, -1 error, -2 a bad manifest (err set). The manifest is untrusted: the
 * document's bytes must lie inside its split file as it is now, and a
 * document too large for memory is an error, never an exit. */
static int src_corpus(const char *dir, const char *pkg, const char *path, char **text, size_t *len,
		      char **where, char *err, size_t errlen)
{
	char *man = xasprintf("%s/manifest.tsv", dir);
	fs_input *in = src_is_file(man) ? input_open(man, err, errlen) : NULL;
	if (!in) {
		free(man);
		return 0;
	}
	const char *ln;
	size_t n;
	int found = 0;
	char split[32] = "", e2[200];
	uint64_t off = 0, bytes = 0;
	while (!found && (ln = input_line(in, &n))) {
		found = source_manifest_line(ln, n, pkg, path, split, &off, &bytes, e2, sizeof e2);
		if (found < 0) {
			fs_seterr(err, errlen, "%s:%lld: %s", man, (long long)input_lineno(in), e2);
			input_close(in);
			free(man);
			return -2;
		}
	}
	input_close(in);
	if (!found) {
		free(man);
		return 0;
	}
	char *file = xasprintf("%s/%s.txt", dir, split);
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *fp = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(fp = fdopen(fd, "rb"))) {
		fs_seterr(err, errlen, "%s: %s", file, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		free(file);
		free(man);
		return -1;
	}
	/* the size checked against the file's real size before any allocation */
	if (st.st_size < 0 || off > (uint64_t)st.st_size || bytes > (uint64_t)st.st_size - off) {
		fs_seterr(err, errlen, "%s: document %s:%s: bytes %llu-%llu are past the end of %s (%lld bytes; the corpus changed?)",
			  man, pkg, path, (unsigned long long)off, (unsigned long long)off + bytes, file,
			  (long long)st.st_size);
		fclose(fp);
		free(file);
		free(man);
		return -2;
	}
	char *buf = malloc((size_t)bytes + 1);
	if (!buf) {
		fs_seterr(err, errlen, "%s: document %s:%s: out of memory for its %llu bytes", file, pkg, path,
			  (unsigned long long)bytes);
		fclose(fp);
		free(file);
		free(man);
		return -1;
	}
	int ok = fseeko(fp, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, (size_t)bytes, fp) == (size_t)bytes;
	fclose(fp);
	if (!ok) {
		fs_seterr(err, errlen, "%s: document %s:%s: bytes %llu-%llu could not be read (the corpus changed?)",
			  file, pkg, path, (unsigned long long)off, (unsigned long long)off + bytes);
		free(buf);
		free(file);
		free(man);
		return -1;
	}
	buf[bytes] = 0;
	*text = buf;
	*len = (size_t)bytes;
	*where = xasprintf("corpus %s, bytes %llu-%llu of %s.txt", dir, (unsigned long long)off,
			   (unsigned long long)off + bytes, split);
	free(file);
	free(man);
	return 1;
}

/* The folders a source's file may be read from: the index's and the
 * corpus folders the user named, each as an absolute path made by text
 * alone and as realpath (NULL when it is not there). */
typedef struct {
	char *lex[3];  /* absolute, "." and ".." resolved by text */
	char *real[3]; /* realpath, or NULL */
	int n;
} src_roots;

/* path made absolute and its ".", ".." and "//" resolved by text alone,
 * never touching the file system (malloc'd; NULL without a cwd). */
static char *src_lexical(const char *path)
{
	char *abs;
	if (path[0] == '/')
		abs = xstrdup(path);
	else {
		char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		abs = xasprintf("%s/%s", cwd, path);
		free(cwd);
	}
	size_t n = strlen(abs), o = 0;
	char *out = xmalloc(n + 2);
	for (size_t i = 0; i < n;) {
		while (i < n && abs[i] == '/')
			i++;
		size_t j = i;
		while (j < n && abs[j] != '/')
			j++;
		size_t cl = j - i;
		if (cl == 0 || (cl == 1 && abs[i] == '.')) {
		} else if (cl == 2 && abs[i] == '.' && abs[i + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, abs + i, cl);
			o += cl;
		}
		i = j;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = 0;
	free(abs);
	return out;
}

/* 1 when path is root or lies below it (both absolute, normalised). */
static int src_under(const char *path, const char *root)
{
	size_t rl = strlen(root);
	if (rl == 1 && root[0] == '/')
		return 1;
	return strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == 0);
}

static void src_roots_add(src_roots *r, const char *dir)
{
	if (!dir || !dir[0] || r->n == 3)
		return;
	char *lex = src_lexical(dir);
	if (!lex)
		return;
	r->lex[r->n] = lex;
	r->real[r->n] = realpath(dir, NULL);
	r->n++;
}

static void src_roots_free(src_roots *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->lex[i]);
		free(r->real[i]);
	}
}

/* Where path may be read: 1 and *real (malloc'd) when it lies below a
 * root both by its text and once its links are resolved; 0 when it is
 * not there; -1 when it lies outside every root (it is not looked at:
 * text first, so nothing outside is even tested for existence). */
static int src_allowed(const src_roots *r, const char *path, char **real)
{
	*real = NULL;
	char *lex = src_lexical(path);
	int in = 0;
	for (int i = 0; lex && i < r->n && !in; i++)
		in = src_under(lex, r->lex[i]);
	free(lex);
	if (!in)
		return -1;
	char *rp = realpath(path, NULL);
	if (!rp)
		return 0;
	in = 0;
	for (int i = 0; i < r->n && !in; i++)
		in = r->real[i] && src_under(rp, r->real[i]);
	if (!in) {
		free(rp);
		return -1;
	}
	*real = rp;
	return 1;
}

/* A whole file (plain or .gz) in one of the roots: 1 read, 0 not there,
 * -1 error, -2 outside the roots (nothing read; err says so). */
static int src_file(const src_roots *r, const char *source, const char *path, char **text, size_t *len,
		    char **where, src_tried *t, char *err, size_t errlen)
{
	char *real;
	int a = src_allowed(r, path, &real);
	if (a < 0)
		return fs_seterr(err, errlen, "source %s: %s lies outside the index's folder and the corpus folders "
			  "(FEATSCOPE_CORPUS, --corpus): not read", source, path), -2;
	src_tried_add(t, path);
	if (a == 0 || !src_is_file(real)) {
		free(real);
		return 0;
	}
	size_t n;
	char *s = input_slurp(real, &n, err, errlen);
	free(real);
	if (!s)
		return -1;
	*text = s;
	*len = n;
	*where = xstrdup(path);
	return 1;
}

int source_find(const char *source, const char *index_path, const char *corpus, const char *ctx, size_t ctxlen,
		fs_source_doc *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!source || !source[0])
		return fs_seterr(err, errlen, "this context's source was not recorded");
	char *s = xstrdup(source);
	size_t sl = strlen(s);
	/* a trailing "#N": a part of a file (the demo corpus cuts files into
	 * documents so), kept for the corpus's names, dropped for files */
	char *hash = strrchr(s, '#'), *part = NULL;
	if (hash && hash[1] && strspn(hash + 1, "0123456789") == strlen(hash + 1)) {
		part = xstrdup(hash);
		*hash = 0;
		sl = strlen(s);
	}
	/* FILE:LINE */
	int line = 0;
	char *colon = strrchr(s, ':');
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) && sl - (size_t)(colon - s) < 11) {
		line = atoi(colon + 1);
		*colon = 0;
	}
	/* PACKAGE:PATH */
	char *pkg = NULL, *path = NULL, *cpath = NULL;
	char *first = strchr(s, ':');
	if (first && first != s && first[1] == '/') {
		pkg = xasprintf("%.*s", (int)(first - s), s);
		path = xstrdup(first + 1);
		cpath = xasprintf("%s%s", path, part ? part : "");
	}
	char *idir = src_dirname(index_path ? index_path : ".");
	const char *env = getenv("FEATSCOPE_CORPUS");
	/* files are read only below the folders the user named */
	src_roots roots = {{0}, {0}, 0};
	src_roots_add(&roots, idir);
	src_roots_add(&roots, corpus);
	src_roots_add(&roots, env);
	src_tried t = {{0}, 0};
	char *text = NULL, *where = NULL;
	size_t len = 0;
	int rc = 0, outside = 0;
	if (pkg) {
		char *dirs[3] = {corpus && corpus[0] ? xstrdup(corpus) : NULL, env && env[0] ? xstrdup(env) : NULL,
				 xasprintf("%s/../model/work", idir)};
		for (int i = 0; i < 3 && rc == 0; i++) {
			if (!dirs[i])
				continue;
			char *m = xasprintf("corpus %s", dirs[i]);
			src_tried_add(&t, m);
			free(m);
			rc = src_corpus(dirs[i], pkg, cpath, &text, &len, &where, err, errlen);
		}
		for (int i = 0; i < 3; i++)
			free(dirs[i]);
		if (rc == 0 && (rc = src_file(&roots, source, path, &text, &len, &where, &t, err, errlen)) == -2)
			rc = 0, outside = 1;
	} else if (s[0] == '/') {
		rc = src_file(&roots, source, s, &text, &len, &where, &t, err, errlen);
	} else {
		char *p = xasprintf("%s/%s", idir, s);
		rc = src_file(&roots, source, p, &text, &len, &where, &t, err, errlen);
		free(p);
		/* then from the current folder, when that lies in a root too */
		if (rc == 0 && strcmp(idir, ".") != 0 &&
		    (rc = src_file(&roots, source, s, &text, &len, &where, &t, err, errlen)) == -2)
			rc = 0;
	}
	if (rc == 0) {
		if (pkg && outside)
			fs_seterr(err, errlen, "source %s is not in a corpus folder (looked in %s); %s was not read: it lies "
				  "outside the index's folder and the corpus folders (FEATSCOPE_CORPUS, --corpus)",
				  source, t.buf, path);
		else if (pkg)
			fs_seterr(err, errlen, "source %s is not on this machine (looked in %s; `apt-get install %s` puts %s there)",
				  source, t.buf, pkg, path);
		else
			fs_seterr(err, errlen, "source %s is not on this machine (looked in %s)", source, t.buf);
	}
	free(s);
	free(pkg);
	free(path);
	free(cpath);
	free(part);
	free(idir);
	src_roots_free(&roots);
	if (rc <= 0)
		return rc == -2 ? -2 : -1;
	/* the context in the document: from its line when one is named */
	size_t from = 0;
	for (int l = 1; l < line && from < len; l++) {
		const char *nl = memchr(text + from, '\n', len - from);
		if (!nl)
			break;
		from = (size_t)(nl - text) + 1;
	}
	const char *hit = ctxlen ? memmem(text + from, len - from, ctx, ctxlen) : NULL;
	if (!hit && ctxlen && from)
		hit = memmem(text, len, ctx, ctxlen);
	if (!hit) {
		/* nothing of a document that does not hold the context is shown */
		fs_seterr(err, errlen, "source %s: the context's text is not in %s (the document changed?): nothing shown",
			  source, where);
		free(text);
		free(where);
		return -1;
	}
	out->text = text;
	out->len = len;
	out->at = (size_t)(hit - text);
	out->n = ctxlen;
	out->line = 1;
	for (size_t i = 0; i < out->at; i++)
		out->line += text[i] == '\n';
	out->where = where;
	return 0;
}

void source_doc_free(fs_source_doc *d)
{
	free(d->text);
	free(d->where);
	memset(d, 0, sizeof *d);
}

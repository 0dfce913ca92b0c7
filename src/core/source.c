/*
 * source.c: a context's source document found on this machine (see
 * source.h for the forms of a source and where each is looked for).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "core/source.h"
#include "core/input.h"
#include "core/util.h"

#include <errno.h>
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

/* The document PKG:PATH of the corpus in dir: 1 found (*text, *len, where
 * set), 0 not in it, -1 error (err set). */
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
	char split[32] = "";
	unsigned long long off = 0, bytes = 0;
	while (!found && (ln = input_line(in, &n))) {
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
		    memcmp(f[3], path, fl[3]) != 0 || fl[4] >= sizeof split)
			continue;
		memcpy(split, f[4], fl[4]);
		split[fl[4]] = 0;
		off = strtoull(f[5], NULL, 10);
		bytes = strtoull(f[6], NULL, 10);
		found = strspn(split, "abcdefghijklmnopqrstuvwxyz") == strlen(split) && split[0];
	}
	input_close(in);
	free(man);
	if (!found)
		return 0;
	char *file = xasprintf("%s/%s.txt", dir, split);
	FILE *fp = fopen(file, "rb");
	if (!fp) {
		fs_seterr(err, errlen, "%s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	char *buf = xmalloc((size_t)bytes + 1);
	int ok = fseeko(fp, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, (size_t)bytes, fp) == (size_t)bytes;
	fclose(fp);
	if (!ok) {
		fs_seterr(err, errlen, "%s: document %s:%s: bytes %llu-%llu are past the end (the corpus changed?)",
			  file, pkg, path, off, off + bytes);
		free(buf);
		free(file);
		return -1;
	}
	buf[bytes] = 0;
	*text = buf;
	*len = (size_t)bytes;
	*where = xasprintf("corpus %s, bytes %llu-%llu of %s.txt", dir, off, off + bytes, split);
	free(file);
	return 1;
}

/* A whole file (plain or .gz): 1 read, 0 not there, -1 error. */
static int src_file(const char *path, char **text, size_t *len, char **where, src_tried *t, char *err,
		    size_t errlen)
{
	src_tried_add(t, path);
	if (!src_is_file(path))
		return 0;
	size_t n;
	char *s = input_slurp(path, &n, err, errlen);
	if (!s)
		return -1;
	*text = s;
	*len = n;
	*where = xstrdup(path);
	return 1;
}

int source_find(const char *source, const char *index_path, const char *ctx, size_t ctxlen,
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
	src_tried t = {{0}, 0};
	char *text = NULL, *where = NULL;
	size_t len = 0;
	int rc = 0;
	if (pkg) {
		const char *env = getenv("FEATSCOPE_CORPUS");
		char *dirs[2] = {env && env[0] ? xstrdup(env) : NULL, xasprintf("%s/../model/work", idir)};
		for (int i = 0; i < 2 && rc == 0; i++) {
			if (!dirs[i])
				continue;
			char *m = xasprintf("corpus %s", dirs[i]);
			src_tried_add(&t, m);
			free(m);
			rc = src_corpus(dirs[i], pkg, cpath, &text, &len, &where, err, errlen);
		}
		free(dirs[0]);
		free(dirs[1]);
		if (rc == 0)
			rc = src_file(path, &text, &len, &where, &t, err, errlen);
	} else if (s[0] == '/') {
		rc = src_file(s, &text, &len, &where, &t, err, errlen);
	} else {
		char *p = xasprintf("%s/%s", idir, s);
		rc = src_file(p, &text, &len, &where, &t, err, errlen);
		free(p);
		if (rc == 0 && strcmp(idir, ".") != 0)
			rc = src_file(s, &text, &len, &where, &t, err, errlen);
	}
	if (rc == 0) {
		if (pkg)
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
	if (rc <= 0)
		return -1;
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
	out->text = text;
	out->len = len;
	out->at = hit ? (size_t)(hit - text) : from;
	out->n = hit ? ctxlen : 0;
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

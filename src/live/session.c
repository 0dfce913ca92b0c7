/*
 * session.c: opening the model attached to an index (see session.h):
 * read the index's live_files rows, find each file beside the index, check
 * its XXH3-64 against the recorded one, load it and bind the dictionary to
 * the model's hook point. The rows are untrusted: a file is read only when
 * it is a regular file in the index's folder or below it (links resolved,
 * the last one not followed, a FIFO never waited on) of the size the row
 * records, and no error prints the hash of a file that did not match.
 */
#include "live/session.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

char *live_weights_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return xstrdup(path);
	/* a model's, then each dictionary layout's (saelens_sae.h) */
	static const char *const names[] = {"model.safetensors", "sae_weights.safetensors", "params.safetensors",
					    "checkpoints/final.safetensors", "params.npz"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", path, names[i]);
		if (stat(p, &st) == 0)
			return p;
		free(p);
	}
	return xasprintf("%s/%s", path, names[0]);
}

/* XXH3-64 of exactly `bytes` bytes of the open file fd, as 16 hex digits;
 * -1 with a message naming path when it has fewer or more. */
static int hash_fd(int fd, const char *path, int64_t bytes, char hex[17], char *err, size_t errlen)
{
	XXH3_state_t *st = XXH3_createState();
	char *buf = xmalloc(1 << 16);
	XXH3_64bits_reset(st);
	int64_t total = 0;
	int rc = 0;
	for (;;) {
		size_t want = 1 << 16;
		if (bytes - total < (int64_t)want)
			want = (size_t)(bytes - total) + 1; /* one more: a file that grew */
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fs_seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((int64_t)n > bytes - total) {
			rc = fs_seterr(err, errlen, "%s: longer than its %lld bytes (it changed while read)", path,
				       (long long)bytes);
			break;
		}
		XXH3_64bits_update(st, buf, (size_t)n);
		total += n;
	}
	if (rc == 0 && total != bytes)
		rc = fs_seterr(err, errlen, "%s: shorter than its %lld bytes (it changed while read)", path,
			       (long long)bytes);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	free(buf);
	if (rc == 0)
		snprintf(hex, 17, "%016llx", (unsigned long long)h);
	return rc;
}

/* Open path for reading without blocking (a FIFO) and check it is a
 * regular file: the fd, its size in *bytes; -1 with a message. */
static int open_regular(const char *path, int flags, int64_t *bytes, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | flags);
	if (fd < 0)
		return fs_seterr(err, errlen, "%s: %s", path,
				 errno == ELOOP ? "a symbolic link (weights are read only as plain files)" : strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fs_seterr(err, errlen, "%s: not a regular file", path);
	}
	/* back to blocking reads for the hash */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*bytes = (int64_t)st.st_size;
	return fd;
}

int live_file_hash(const char *path0, char hex[17], int64_t *bytes, char *err, size_t errlen)
{
	char *path = live_weights_file(path0);
	int64_t size;
	int fd = open_regular(path, 0, &size, err, errlen);
	if (fd < 0) {
		free(path);
		return -1;
	}
	if (size > LIVE_MAX_FILE_BYTES) {
		close(fd);
		fs_seterr(err, errlen, "%s: %lld bytes, more than a weights file may have", path, (long long)size);
		free(path);
		return -1;
	}
	int rc = hash_fd(fd, path, size, hex, err, errlen);
	close(fd);
	free(path);
	if (rc == 0 && bytes)
		*bytes = size;
	return rc;
}

/* The realpath of the folder path names, with no trailing '/' ("/" for
 * the root); NULL when it is not there. */
static char *real_dir(const char *dir)
{
	return realpath(*dir ? dir : ".", NULL);
}

/* 1 when the absolute, resolved path p is root or lies below it. */
static int path_under(const char *p, const char *root)
{
	size_t rl = strlen(root);
	if (rl == 1 && root[0] == '/')
		return 1;
	return strncmp(p, root, rl) == 0 && (p[rl] == '/' || p[rl] == 0);
}

int live_file_place(const char *ixpath, const char *path, char **rel, char *err, size_t errlen)
{
	char *dir = live_dir_of(ixpath), *rd = real_dir(dir), *ra = realpath(path, NULL);
	int rc = -1;
	/* in the index's folder or below it, links resolved: recorded by
	 * its name there, so the two move together (and the live commands
	 * read nothing else) */
	if (!ra)
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	else if (!rd)
		fs_seterr(err, errlen, "%s: %s", *dir ? dir : ".", strerror(errno));
	else if (!path_under(ra, rd) || strcmp(ra, rd) == 0)
		fs_seterr(err, errlen, "%s: not beside %s (weights are read only in the index's folder or below it: "
			  "move them there, or write the index beside them)", path, ixpath);
	else {
		if (rel)
			*rel = xstrdup(ra + strlen(rd) + (strcmp(rd, "/") != 0));
		rc = 0;
	}
	free(ra);
	free(rd);
	free(dir);
	return rc;
}

int live_file_row(const char *ixpath, const char *path, const char *role, const char *name, const char *hook,
		  fs_live_file *row, char *err, size_t errlen)
{
	memset(row, 0, sizeof *row);
	char hex[17], *rel;
	int64_t bytes;
	if (live_file_place(ixpath, path, &rel, err, errlen) != 0)
		return -1;
	if (live_file_hash(path, hex, &bytes, err, errlen) != 0) {
		free(rel);
		return -1;
	}
	row->file = rel;
	row->role = xstrdup(role);
	row->name = xstrdup(name);
	row->hook = xstrdup(hook);
	row->xxh3 = xstrdup(hex);
	row->bytes = bytes;
	return 0;
}

char *live_dir_of(const char *path)
{
	const char *sl = strrchr(path, '/');
	return sl ? xstrndup(path, (size_t)(sl - path) + 1) : xstrdup("");
}

int live_row_check(const fs_live_file *f, char *err, size_t errlen)
{
	if (!f->role || (strcmp(f->role, "model") != 0 && strcmp(f->role, "sae") != 0))
		return fs_seterr(err, errlen, "role: not 'model' or 'sae'");
	if (!f->name || !f->hook || !f->file || !f->xxh3)
		return fs_seterr(err, errlen, "a field is NULL");
	size_t n = strlen(f->file);
	if (n == 0 || n > 1024)
		return fs_seterr(err, errlen, "file: empty or longer than 1024 bytes");
	/* a name in the index's folder or below it: no '..' step (an absolute
	 * path is checked against the folder when opened) */
	for (const char *p = f->file; *p;) {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		if (cl == 2 && p[0] == '.' && p[1] == '.')
			return fs_seterr(err, errlen, "file '%.300s': a '..' step (weights lie in the index's folder or below it)",
					 f->file);
		p += cl + (e != NULL);
	}
	if (strlen(f->xxh3) != 16 || strspn(f->xxh3, "0123456789abcdef") != 16)
		return fs_seterr(err, errlen, "xxh3: not 16 lowercase hex digits");
	if (f->bytes <= 0 || f->bytes > LIVE_MAX_FILE_BYTES)
		return fs_seterr(err, errlen, "bytes: %lld is not the size of a weights file", (long long)f->bytes);
	return 0;
}

int live_file_verify(const char *dir, const fs_live_file *f, char **path_out, char *err, size_t errlen)
{
	*path_out = NULL;
	char e2[400];
	if (live_row_check(f, e2, sizeof e2) != 0)
		return fs_seterr(err, errlen, "%s", e2);
	char *p = f->file[0] == '/' ? xstrdup(f->file) : xasprintf("%s%s", dir, f->file);
	char *rd = real_dir(dir), *real = NULL, *w = NULL;
	int fd = -1, rc = -1;
	int64_t size;
	if (!rd) {
		fs_seterr(err, errlen, "%s: %s", *dir ? dir : ".", strerror(errno));
		goto out;
	}
	/* the row's own path, by its text: in the folder or below it */
	if (f->file[0] == '/' && !path_under(p, rd)) {
		fs_seterr(err, errlen, "%s: not in the index's folder %s or below it: not read", p, rd);
		goto out;
	}
	/* a folder (a checkpoint, a SAELens dictionary) resolves inside the
	 * index's folder, and so does its weights file */
	struct stat st;
	if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		real = realpath(p, NULL);
		if (!real || !path_under(real, rd) || strcmp(real, rd) == 0) {
			fs_seterr(err, errlen, "%s: not in the index's folder or below it: not read", p);
			goto out;
		}
		free(real);
		real = NULL;
	}
	w = live_weights_file(p);
	if ((fd = open_regular(w, O_NOFOLLOW, &size, err, errlen)) < 0)
		goto out;
	/* where the opened file really is: below the index's folder */
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	real = realpath(link, NULL);
	if (!real)
		real = realpath(w, NULL);
	if (!real || !path_under(real, rd)) {
		fs_seterr(err, errlen, "%s: not in the index's folder or below it (links resolved): not read", w);
		goto out;
	}
	/* the recorded size is the limit: another size is refused unread */
	if (size != f->bytes) {
		fs_seterr(err, errlen, "%s: %lld bytes, but the index records %lld: the weights changed since "
			  "(re-run featscope attach or harvest)", w, (long long)size, (long long)f->bytes);
		goto out;
	}
	char hex[17];
	if (hash_fd(fd, w, size, hex, err, errlen) != 0)
		goto out;
	if (strcmp(hex, f->xxh3) != 0) {
		/* (the file's own hash is not printed: no oracle for its bytes) */
		fs_seterr(err, errlen, "%s: xxh3 does not match the one recorded: the weights changed since "
			  "(re-run featscope attach or harvest)", w);
		goto out;
	}
	*path_out = p;
	p = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(w);
	free(real);
	free(rd);
	free(p);
	return rc;
}

/* The file of an attached row, found beside the index and checked. */
static char *find_checked(const fs_live_file *f, const char *dir, const char *ixpath, char *err,
			  size_t errlen)
{
	char *p, e2[700];
	if (live_file_verify(dir, f, &p, e2, sizeof e2) != 0) {
		fs_seterr(err, errlen, "%s (attached to %s as the %s%s%s)", e2, ixpath, f->role,
			  *f->name ? " " : "", f->name);
		return NULL;
	}
	return p;
}

const char *live_sae_of(fs_index *ix, int64_t fid)
{
	fs_feature f;
	if (fid <= 0 || index_feature(ix, fid, &f) != 0)
		return NULL;
	const fs_sae *d = index_sae_by_id(ix, (int)f.sae);
	index_feature_free(&f);
	return d ? d->name : NULL;
}

int live_session_find(live_plan *p, fs_index *ix, const char *sae_name, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	const char *ixpath = index_path(ix);
	int n = index_live_files(ix, &p->rows, err, errlen);
	if (n < 0)
		return -1;
	p->nrows = n;
	/* without a name: the attached dictionary that comes first in the
	 * index (as info and the browser list them), not the first by name */
	int64_t best = INT64_MAX;
	for (int i = 0; i < n; i++) {
		if (strcmp(p->rows[i].role, "model") == 0)
			p->model = &p->rows[i];
		else if (strcmp(p->rows[i].role, "sae") == 0 && sae_name && !p->sae &&
			 strcmp(p->rows[i].name, sae_name) == 0)
			p->sae = &p->rows[i];
		else if (strcmp(p->rows[i].role, "sae") == 0 && !sae_name) {
			const fs_sae *d = index_sae_by_name(ix, p->rows[i].name);
			int64_t at = d ? d->id : INT64_MAX - 1;
			if (!p->sae || at < best)
				p->sae = &p->rows[i], best = at;
		}
	}
	if (!p->model)
		fs_seterr(err, errlen, "%s: no model attached (featscope attach %s --model FILE --sae NAME=FILE)",
			  ixpath, ixpath);
	else if (!p->sae && sae_name)
		fs_seterr(err, errlen, "%s: --sae: no dictionary '%s' attached", ixpath, sae_name);
	else if (!p->sae)
		fs_seterr(err, errlen, "%s: no dictionary attached (featscope attach %s --sae NAME=FILE)", ixpath, ixpath);
	else if (!(p->dict = index_sae_by_name(ix, p->sae->name)))
		fs_seterr(err, errlen, "%s: live_files: dictionary '%s' is not in saes", ixpath, p->sae->name);
	else {
		p->ix = ix;
		p->ixpath = xstrdup(ixpath);
		p->dir = live_dir_of(ixpath);
		return 0;
	}
	live_plan_free(p);
	return -1;
}

void live_plan_free(live_plan *p)
{
	index_live_files_free(p->rows, p->nrows);
	free(p->ixpath);
	free(p->dir);
	memset(p, 0, sizeof *p);
}

int live_session_load(live_session *s, const live_plan *p, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->ix = p->ix;
	s->dict = p->dict;
	int rc = -1;
	char *mp = NULL, *sp = NULL;
	if (!(mp = find_checked(p->model, p->dir, p->ixpath, err, errlen)) ||
	    !(sp = find_checked(p->sae, p->dir, p->ixpath, err, errlen)))
		goto out;
	if (!(s->model = live_load(mp, err, errlen)) || !(s->sae = live_sae_load(sp, err, errlen)) ||
	    live_sae_bind(s->sae, s->model, err, errlen) != 0)
		goto out;
	int ctx0 = s->model->ctx;
	if (live_set_bos(s->model, s->sae->prepend_bos) != 0) {
		fs_seterr(err, errlen, "%s: the dictionary asks for a beginning-of-sequence token (prepend_bos), "
			  "the model %s has none", sp, mp);
		goto out;
	}
	/* a context with no room to analyse or generate (a GPT-2 whose
	 * n_positions is 1, less the BOS): refused here, once, for every
	 * front end */
	if (s->model->ctx < LIVE_MIN_CTX) {
		if (s->sae->prepend_bos)
			fs_seterr(err, errlen, "%s: the model's context is %d token%s, %d after the beginning-of-sequence "
				  "token that %s prepends: the live model needs at least %d", mp, ctx0,
				  ctx0 == 1 ? "" : "s", s->model->ctx, sp, LIVE_MIN_CTX);
		else
			fs_seterr(err, errlen, "%s: the model's context is %d token%s: the live model needs at least %d",
				  mp, ctx0, ctx0 == 1 ? "" : "s", LIVE_MIN_CTX);
		goto out;
	}
	if (s->sae->n_feat != s->dict->n_features) {
		fs_seterr(err, errlen, "%s: n_features: %d, but dictionary '%s' of %s has %lld", sp,
			  s->sae->n_feat, s->dict->name, p->ixpath, (long long)s->dict->n_features);
		goto out;
	}
	s->model_file = mp;
	mp = NULL;
	rc = 0;
out:
	if (rc != 0)
		live_session_close(s);
	free(mp);
	free(sp);
	return rc;
}

live_sae *live_session_sae(live_session *s, const char *name, const fs_sae **dict, char *err, size_t errlen)
{
	live_plan p;
	if (live_session_find(&p, s->ix, name, err, errlen) != 0)
		return NULL;
	live_sae *sae = live_session_load_sae(s, &p, err, errlen);
	if (sae)
		*dict = p.dict;
	live_plan_free(&p);
	return sae;
}

live_sae *live_session_load_sae(live_session *s, const live_plan *pp, char *err, size_t errlen)
{
	const live_plan p = *pp;
	live_sae *sae = NULL;
	char *sp = find_checked(p.sae, p.dir, p.ixpath, err, errlen);
	if (sp && (sae = live_sae_load(sp, err, errlen)) && live_sae_bind(sae, s->model, err, errlen) != 0) {
		live_sae_free(sae);
		sae = NULL;
	}
	if (sae && sae->prepend_bos != s->sae->prepend_bos) {
		fs_seterr(err, errlen, "%s: prepend_bos differs from that of dictionary '%s': steer them one at a time",
			  sp, s->dict->name);
		live_sae_free(sae);
		sae = NULL;
	} else if (sae && sae->n_feat != p.dict->n_features) {
		fs_seterr(err, errlen, "%s: n_features: %d, but dictionary '%s' of %s has %lld", sp, sae->n_feat,
			  p.dict->name, p.ixpath, (long long)p.dict->n_features);
		live_sae_free(sae);
		sae = NULL;
	}
	free(sp);
	return sae;
}

int live_session_open(live_session *s, fs_index *ix, const char *sae_name, char *err, size_t errlen)
{
	live_plan p;
	memset(s, 0, sizeof *s);
	if (live_session_find(&p, ix, sae_name, err, errlen) != 0)
		return -1;
	int rc = live_session_load(s, &p, err, errlen);
	live_plan_free(&p);
	return rc;
}

void live_session_close(live_session *s)
{
	live_free(s->model);
	live_sae_free(s->sae);
	free(s->model_file);
	s->model = NULL;
	s->sae = NULL;
	s->model_file = NULL;
}

int live_ablation_effect(live_session *s, int f, const char *text, size_t len, float **delta, uint32_t **offs)
{
	*delta = NULL;
	if (offs)
		*offs = NULL;
	int *ids;
	uint32_t *off;
	int T = live_tokenize(s->model, text, len, &ids, &off);
	if (T < 2 || f < 0 || f >= s->sae->n_feat) {
		free(ids);
		free(off);
		return T < 2 ? T : -1;
	}
	float *rows = xmalloc((size_t)T * s->sae->d_in * sizeof *rows);
	float *l0 = xmalloc((size_t)T * sizeof *l0), *l1 = xmalloc((size_t)T * sizeof *l1);
	live_steer_term term = {f, 0};
	live_steer st = {s->sae, LIVE_CLAMP, &term, 1, NULL, 0};
	live_hook h = live_steer_as_hook(&st);
	if (live_run_windows(s->model, ids, T, s->sae->hook, NULL, rows, l0) != 0 ||
	    live_run_windows(s->model, ids, T, s->sae->hook, &h, rows, l1) != 0) {
		free(l0);
		free(l1);
		free(rows);
		free(ids);
		free(off);
		return -1;
	}
	for (int t = 0; t + 1 < T; t++)
		l1[t] = l0[t] - l1[t]; /* log p steered - log p clean */
	*delta = l1;
	if (offs)
		*offs = off;
	else
		free(off);
	free(l0);
	free(rows);
	free(ids);
	return T;
}

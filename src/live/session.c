/*
 * session.c: opening the model attached to an index (see session.h):
 * read the index's live_files rows, find each file beside the index, check
 * its XXH3-64 against the recorded one, load it and bind the dictionary to
 * the model's hook point.
 */
#include "live/session.h"
#include "core/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

char *live_weights_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return xstrdup(path);
	static const char *const names[] = {"model.safetensors", "sae_weights.safetensors"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", path, names[i]);
		if (stat(p, &st) == 0)
			return p;
		free(p);
	}
	return xasprintf("%s/%s", path, names[0]);
}

int live_file_hash(const char *path0, char hex[17], int64_t *bytes, char *err, size_t errlen)
{
	char *path = live_weights_file(path0);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	static char buf[1 << 16];
	size_t n;
	int64_t total = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		XXH3_64bits_update(st, buf, n);
		total += (int64_t)n;
	}
	int bad = ferror(f);
	fclose(f);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	if (bad) {
		fs_seterr(err, errlen, "%s: read error", path);
		free(path);
		return -1;
	}
	free(path);
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
	if (bytes)
		*bytes = total;
	return 0;
}

int live_file_row(const char *ixpath, const char *path, const char *role, const char *name, const char *hook,
		  fs_live_file *row, char *err, size_t errlen)
{
	memset(row, 0, sizeof *row);
	char hex[17];
	int64_t bytes;
	if (live_file_hash(path, hex, &bytes, err, errlen) != 0)
		return -1;
	/* beside the index: by name, so the two move together */
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	const char *b = path + n;
	while (b > path && b[-1] != '/')
		b--;
	char *base = xstrndup(b, (size_t)(path + n - b));
	char *dir = live_dir_of(ixpath), *beside = xasprintf("%s%s", *dir ? dir : "./", base);
	char *ra = realpath(path, NULL), *rb = realpath(beside, NULL);
	if (ra && rb && strcmp(ra, rb) == 0)
		row->file = base;
	else {
		row->file = ra ? xstrdup(ra) : xstrdup(path);
		free(base);
	}
	free(ra);
	free(rb);
	free(beside);
	free(dir);
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

/* The file of an attached row, found beside the index and checked. */
static char *find_checked(const fs_live_file *f, const char *dir, const char *ixpath, char *err,
			  size_t errlen)
{
	char *p = f->file[0] == '/' ? xstrdup(f->file) : xasprintf("%s%s", dir, f->file);
	char hex[17];
	int64_t bytes;
	char e2[512];
	if (live_file_hash(p, hex, &bytes, e2, sizeof e2) != 0) {
		fs_seterr(err, errlen, "%s (attached to %s as the %s%s%s)", e2, ixpath, f->role,
			  *f->name ? " " : "", f->name);
		free(p);
		return NULL;
	}
	if (strcmp(hex, f->xxh3) != 0) {
		char *w = live_weights_file(p);
		fs_seterr(err, errlen, "%s: xxh3 %s does not match %s recorded in %s: the weights changed since "
			  "(re-run featscope attach or harvest)", w, hex, f->xxh3, ixpath);
		free(w);
		free(p);
		return NULL;
	}
	return p;
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

/*
 * compare_load.c: reading the sides of a comparison from indexes (see
 * compare_load.h). Only index.h calls: feature pages for fids and labels,
 * the stored decoder rows, the context hashes, each feature's examples.
 */
#include "compare/compare_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tensor.h"
#include "core/util.h"

int cmp_side_open(cmp_side *s, fs_index *ix, const char *name, const char *shown,
		  char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->ix = ix;
	s->sae = index_sae_by_name(ix, name);
	if (!s->sae)
		return fs_seterr(err, errlen, "%s: no dictionary named '%s'", index_path(ix), name);
	s->name = xstrdup(shown ? shown : name);
	s->n = s->sae->n_features;
	s->fid = xmalloc((size_t)(s->n + 1) * sizeof *s->fid);
	s->labels = xcalloc((size_t)s->n + 1, sizeof *s->labels);
	for (int64_t i = 0; i < s->n; i++)
		s->fid[i] = -1;
	/* keyset paging (each page starts after the last row of the one
	 * before): an OFFSET would make the whole read quadratic in the
	 * dictionary's size (minutes at a million features) */
	enum { PAGE = 512 };
	fs_feature *f = xmalloc(PAGE * sizeof *f), last;
	int have_last = 0;
	for (;;) {
		int got = index_feature_page_at(ix, s->sae->id, FS_SORT_ID, 0, NULL, have_last ? &last : NULL, 1,
						PAGE, f);
		if (have_last)
			index_feature_free(&last);
		have_last = 0;
		for (int i = 0; i < got; i++) {
			if (f[i].idx >= 0 && f[i].idx < s->n && s->fid[f[i].idx] < 0) {
				s->fid[f[i].idx] = f[i].id;
				s->labels[f[i].idx] = xstrdup(f[i].label ? f[i].label : "");
			}
			if (i == got - 1) {
				last = f[i];
				have_last = 1;
			} else {
				index_feature_free(&f[i]);
			}
		}
		if (got < PAGE)
			break;
	}
	if (have_last)
		index_feature_free(&last);
	free(f);
	for (int64_t i = 0; i < s->n; i++)
		if (!s->labels[i])
			s->labels[i] = xstrdup("");
	return 0;
}

int cmp_side_decoder(cmp_side *s, const char *file, char *err, size_t errlen)
{
	free(s->W);
	s->W = NULL;
	if (file) {
		fs_tensor t = {0};
		if (tensor_load(file, NULL, &t, err, errlen) != 0)
			return -1;
		if (t.ndim != 2 || t.shape[0] < 1 || t.shape[1] < 1) {
			tensor_free(&t);
			return fs_seterr(err, errlen, "%s: shape: expected a 2D [n_features, d_model] matrix", file);
		}
		if (t.shape[0] != s->n) {
			fs_seterr(err, errlen, "%s: shape: %lld rows but dictionary '%s' has %lld features", file,
				  (long long)t.shape[0], s->sae->name, (long long)s->n);
			tensor_free(&t);
			return -1;
		}
		if (t.shape[1] > 1 << 20 ||
		    (s->sae->d_model > 0 && t.shape[1] != s->sae->d_model)) {
			fs_seterr(err, errlen, "%s: shape: rows of width %lld but dictionary '%s' has d_model %d",
				  file, (long long)t.shape[1], s->sae->name, s->sae->d_model);
			tensor_free(&t);
			return -1;
		}
		s->d = (int)t.shape[1];
		s->W = t.data;
		t.data = NULL;
		tensor_free(&t);
		return 0;
	}
	int d = 0;
	float *W = NULL;
	int64_t n = index_decoder(s->ix, s->sae->id, &d, &W);
	if (n < 0)
		return fs_seterr(err, errlen, "%s: decoder of '%s': %s", index_path(s->ix), s->sae->name,
				 index_errmsg(s->ix));
	if (n == 0)
		return fs_seterr(err, errlen,
				 "%s: dictionary '%s' has no stored decoder (build it with --decoder, or pass its decoder file)",
				 index_path(s->ix), s->sae->name);
	if (n != s->n) {
		free(W);
		return fs_seterr(err, errlen, "%s: decoder of '%s': %lld rows stored for %lld features",
				 index_path(s->ix), s->sae->name, (long long)n, (long long)s->n);
	}
	s->W = W;
	s->d = d;
	return 0;
}

void cmp_side_free(cmp_side *s)
{
	if (s->labels)
		for (int64_t i = 0; i < s->n; i++)
			free(s->labels[i]);
	free(s->labels);
	free(s->fid);
	free(s->W);
	free(s->name);
	memset(s, 0, sizeof *s);
}

/* Hash table of (hash -> context id) for one index. */
typedef struct {
	uint64_t *key;   /* hash + 1 (0 = empty slot) */
	int64_t *val;    /* context id */
	size_t mask;     /* capacity - 1 */
} hmap;

int cmp_ctx_map(fs_index *from, fs_index *to, int64_t **map, int64_t *nmap, int64_t *shared)
{
	uint64_t *hf = NULL, *ht = NULL;
	int64_t nf = 0, nt = 0;
	*map = NULL;
	*nmap = 0;
	*shared = 0;
	if (index_context_hashes(from, &nf, &hf) != 0)
		return -1;
	if (index_context_hashes(to, &nt, &ht) != 0) {
		free(hf);
		return -1;
	}
	hmap h;
	size_t cap = 16;
	while (cap < (size_t)nt * 2 + 2)
		cap *= 2;
	h.mask = cap - 1;
	h.key = xcalloc(cap, sizeof *h.key);
	h.val = xcalloc(cap, sizeof *h.val);
	for (int64_t c = 1; c < nt; c++) {
		if (!ht[c])
			continue;
		size_t at = (size_t)(ht[c] * 0x9e3779b97f4a7c15ull) & h.mask;
		while (h.key[at] && h.key[at] != ht[c])
			at = (at + 1) & h.mask;
		if (!h.key[at]) {
			h.key[at] = ht[c];
			h.val[at] = c;
		}
	}
	int64_t *m = xcalloc((size_t)(nf > 0 ? nf : 1), sizeof *m);
	for (int64_t c = 1; c < nf; c++) {
		if (!hf[c])
			continue;
		size_t at = (size_t)(hf[c] * 0x9e3779b97f4a7c15ull) & h.mask;
		while (h.key[at] && h.key[at] != hf[c])
			at = (at + 1) & h.mask;
		if (h.key[at]) {
			m[c] = h.val[at];
			(*shared)++;
		}
	}
	free(h.key);
	free(h.val);
	free(hf);
	free(ht);
	*map = m;
	*nmap = nf > 0 ? nf : 1;
	return 0;
}

static int push_feature(fs_index *ix, int64_t fid, int64_t row, const int64_t *map,
			int64_t nmap, cmp_acts *a)
{
	fs_example *ex = NULL;
	int ne = index_examples(ix, fid, &ex);
	if (ne < 0)
		return -1;
	for (int e = 0; e < ne; e++) {
		int64_t c = ex[e].ctx;
		if (map)
			c = c > 0 && c < nmap ? map[c] : 0;
		if (c > 0 && ex[e].acts)
			cmp_acts_push(a, row, c, ex[e].acts, ex[e].ntok);
	}
	index_examples_free(ex, ne);
	return 0;
}

int cmp_side_acts(const cmp_side *s, const int64_t *map, int64_t nmap, cmp_acts *a)
{
	cmp_acts_init(a, s->n);
	for (int64_t i = 0; i < s->n; i++)
		if (s->fid[i] > 0 && push_feature(s->ix, s->fid[i], i, map, nmap, a) != 0) {
			cmp_acts_free(a);
			return -1;
		}
	cmp_acts_done(a);
	return 0;
}

int cmp_sides_acts(const cmp_side *A, const cmp_side *B, cmp_acts *aa, cmp_acts *ab, int64_t *shared,
		   char *note, size_t notelen, char *err, size_t errlen)
{
	int64_t *map = NULL, nmap = 0;
	*shared = -1;
	note[0] = 0;
	if (A->ix != B->ix) {
		if (cmp_ctx_map(B->ix, A->ix, &map, &nmap, shared) != 0)
			return fs_seterr(err, errlen, "%s: reading contexts: %s", index_path(B->ix),
					 index_errmsg(B->ix));
		if (*shared == 0) {
			free(map);
			snprintf(note, notelen, "not available: the two files share no contexts");
			return 0;
		}
	}
	int rc = cmp_side_acts(A, NULL, 0, aa);
	if (rc == 0 && cmp_side_acts(B, map, nmap, ab) != 0) {
		cmp_acts_free(aa);
		rc = -1;
	}
	free(map);
	if (rc != 0)
		return fs_seterr(err, errlen, "reading examples: %s", index_errmsg(A->ix));
	if (!cmp_acts_covered(aa) || !cmp_acts_covered(ab)) {
		snprintf(note, notelen, "not available: %s has no stored examples",
			 !cmp_acts_covered(aa) ? A->name : B->name);
		cmp_acts_free(aa);
		cmp_acts_free(ab);
		return 0;
	}
	return 1;
}

int cmp_feature_acts(fs_index *ix, int64_t fid, cmp_acts *a)
{
	cmp_acts_init(a, 1);
	if (push_feature(ix, fid, 0, NULL, 0, a) != 0) {
		cmp_acts_free(a);
		return -1;
	}
	cmp_acts_done(a);
	return 0;
}

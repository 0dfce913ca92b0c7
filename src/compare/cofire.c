/*
 * cofire.c: a feature's co-firing features (see cofire.h). The feature's
 * stored contexts are read, then every feature with an example on each
 * of them (index_context_features, from the chunk's aux records); the
 * count per feature is its shared contexts. Jaccard needs the other's
 * own count, one query each, so candidates are taken by shared count
 * and the walk stops once shared / own (the best Jaccard a candidate can
 * still reach) cannot beat the last kept one.
 */
#include "compare/cofire.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* More shared first, then lower fid. */
static int by_shared(const void *x, const void *y)
{
	const cmp_cofire *a = x, *b = y;
	if (a->shared != b->shared)
		return a->shared > b->shared ? -1 : 1;
	return (a->fid > b->fid) - (a->fid < b->fid);
}

/* a ranks before b: higher Jaccard (compared exactly, as fractions),
 * then more shared, then lower fid. */
static int cofire_before(const cmp_cofire *a, const cmp_cofire *b, int64_t own)
{
	int64_t ua = own + a->n_other - a->shared, ub = own + b->n_other - b->shared;
	/* a->shared / ua against b->shared / ub (unions >= 1) */
	int64_t l = a->shared * ub, r = b->shared * ua; /* counts of contexts: no overflow */
	if (l != r)
		return l > r;
	if (a->shared != b->shared)
		return a->shared > b->shared;
	return a->fid < b->fid;
}

int cmp_cofire_feature(fs_index *ix, int64_t fid, int max, cmp_cofire **out, int64_t *n_own)
{
	*out = NULL;
	*n_own = 0;
	int64_t *ctx;
	int nc = index_feature_contexts(ix, fid, &ctx);
	if (nc < 0)
		return -1;
	*n_own = nc;
	if (nc == 0 || max <= 0) {
		free(ctx);
		return 0;
	}
	/* every other feature on each context, once per context */
	int64_t *all = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < nc; i++) {
		fs_ctx_feature *cf;
		int m = index_context_features(ix, ctx[i], -1, &cf);
		if (m < 0) {
			free(all);
			free(ctx);
			return -1;
		}
		for (int j = 0; j < m; j++) {
			if (cf[j].fid == fid)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				all = xrealloc(all, cap * sizeof *all);
			}
			all[n++] = cf[j].fid;
		}
		free(cf);
	}
	free(ctx);
	if (n > 1)
		qsort(all, n, sizeof *all, cmp_i64);
	cmp_cofire *cand = xmalloc((n ? n : 1) * sizeof *cand);
	size_t nk = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && all[j] == all[i])
			j++;
		cand[nk++] = (cmp_cofire){all[i], (int64_t)(j - i), 0, 0};
		i = j;
	}
	free(all);
	qsort(cand, nk, sizeof *cand, by_shared);
	cmp_cofire *best = xmalloc((size_t)max * sizeof *best);
	int nb = 0;
	for (size_t i = 0; i < nk; i++) {
		cmp_cofire c = cand[i];
		/* the best this and every later candidate can reach is
		 * shared / own (its union is at least own): stop when that
		 * cannot rank before the last kept one */
		if (nb == max) {
			cmp_cofire bound = {c.fid, c.shared, c.shared, 0};
			if (!cofire_before(&bound, &best[nb - 1], nc))
				break;
		}
		int64_t *oc;
		int no = index_feature_contexts(ix, c.fid, &oc);
		free(oc);
		if (no < 0) {
			free(cand);
			free(best);
			return -1;
		}
		c.n_other = no > c.shared ? no : c.shared;
		c.jaccard = (double)c.shared / (double)(nc + c.n_other - c.shared);
		int at = nb;
		while (at > 0 && cofire_before(&c, &best[at - 1], nc))
			at--;
		if (at >= max)
			continue;
		if (nb < max)
			nb++;
		memmove(best + at + 1, best + at, (size_t)(nb - 1 - at) * sizeof *best);
		best[at] = c;
	}
	free(cand);
	if (nb == 0) {
		free(best);
		return 0;
	}
	*out = best;
	return nb;
}

/*
 * cofire.c: a feature's co-firing features (see cofire.h). The feature's
 * stored contexts are read, then every feature with an example on each
 * of them (index_context_features, from the chunk's aux records); the
 * count per feature is its shared contexts. Jaccard needs the other's
 * own count, one query each, so candidates are taken by shared count
 * and the walk stops once shared / own (the best Jaccard a candidate can
 * still reach) cannot beat the last kept one. The walk can be done in
 * steps of a time budget (cmp_cofire_job), so that a screen answers keys
 * between them.
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

struct cmp_cofire_job {
	fs_index *ix;
	int64_t fid;       /* the feature */
	int max;           /* features kept */
	int64_t nc;        /* its stored contexts */
	cmp_cofire *cand;  /* candidates, more shared first */
	size_t nk, next;   /* their count, the next to weigh */
	cmp_cofire *best;  /* kept so far, best first */
	int nb;            /* their count */
	int state;         /* 0 running, 1 complete, -1 failed */
};

cmp_cofire_job *cmp_cofire_start(fs_index *ix, int64_t fid, int max)
{
	int64_t *ctx;
	int nc = index_feature_contexts(ix, fid, &ctx);
	if (nc < 0)
		return NULL;
	cmp_cofire_job *j = xcalloc(1, sizeof *j);
	j->ix = ix;
	j->fid = fid;
	j->max = max;
	j->nc = nc;
	if (nc == 0 || max <= 0) {
		free(ctx);
		j->state = 1;
		return j;
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
			free(j);
			return NULL;
		}
		for (int k = 0; k < m; k++) {
			if (cf[k].fid == fid)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				all = xrealloc(all, cap * sizeof *all);
			}
			all[n++] = cf[k].fid;
		}
		free(cf);
	}
	free(ctx);
	if (n > 1)
		qsort(all, n, sizeof *all, cmp_i64);
	j->cand = xmalloc((n ? n : 1) * sizeof *j->cand);
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && all[e] == all[i])
			e++;
		j->cand[j->nk++] = (cmp_cofire){all[i], (int64_t)(e - i), 0, 0};
		i = e;
	}
	free(all);
	qsort(j->cand, j->nk, sizeof *j->cand, by_shared);
	j->best = xmalloc((size_t)max * sizeof *j->best);
	return j;
}

int cmp_cofire_step(cmp_cofire_job *j, double budget)
{
	if (j->state != 0)
		return j->state;
	double t0 = fs_now();
	int max = j->max;
	int64_t nc = j->nc;
	for (int k = 0; j->next < j->nk; k++) {
		/* the clock is read every 16 candidates (a read each) */
		if (k > 0 && k % 16 == 0 && fs_now() - t0 >= budget)
			return 0;
		cmp_cofire c = j->cand[j->next++];
		/* the best this and every later candidate can reach is
		 * shared / own (its union is at least own): stop when that
		 * cannot rank before the last kept one */
		if (j->nb == max) {
			cmp_cofire bound = {c.fid, c.shared, c.shared, 0};
			if (!cofire_before(&bound, &j->best[j->nb - 1], nc))
				break;
		}
		int64_t *oc;
		int no = index_feature_contexts(j->ix, c.fid, &oc);
		free(oc);
		if (no < 0)
			return j->state = -1;
		c.n_other = no > c.shared ? no : c.shared;
		c.jaccard = (double)c.shared / (double)(nc + c.n_other - c.shared);
		int at = j->nb;
		while (at > 0 && cofire_before(&c, &j->best[at - 1], nc))
			at--;
		if (at >= max)
			continue;
		if (j->nb < max)
			j->nb++;
		memmove(j->best + at + 1, j->best + at, (size_t)(j->nb - 1 - at) * sizeof *j->best);
		j->best[at] = c;
	}
	return j->state = 1;
}

int cmp_cofire_take(cmp_cofire_job *j, cmp_cofire **out, int64_t *n_own)
{
	*out = NULL;
	*n_own = j->nc;
	if (j->state != 1)
		return -1;
	if (j->nb == 0)
		return 0;
	*out = j->best;
	j->best = NULL;
	int n = j->nb;
	j->nb = 0;
	return n;
}

void cmp_cofire_job_free(cmp_cofire_job *j)
{
	if (!j)
		return;
	free(j->cand);
	free(j->best);
	free(j);
}

int cmp_cofire_feature(fs_index *ix, int64_t fid, int max, cmp_cofire **out, int64_t *n_own)
{
	*out = NULL;
	*n_own = 0;
	cmp_cofire_job *j = cmp_cofire_start(ix, fid, max);
	if (!j)
		return -1;
	int rc = cmp_cofire_step(j, 1e30);
	int n = rc == 1 ? cmp_cofire_take(j, out, n_own) : -1;
	cmp_cofire_job_free(j);
	return n;
}

/*
 * nearest.c: a feature's nearest features in one dictionary (see
 * nearest.h): the index's stored lists, or the top k of one product of
 * the feature's decoder row with the other dictionary's normalised rows,
 * and that dictionary's random baseline (compare.c).
 */
#include "compare/nearest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "compare/compare_load.h"
#include "nn/blas.h"
#include "core/util.h"
#include "geom/knn.h"

/* The stored decoder of dictionary s, normalised (NULL when none, too
 * large, or not finite); *n rows of width *d. */
static float *unit_rows(fs_index *ix, const fs_sae *s, int64_t *n, int *d)
{
	if (!s || (int64_t)s->n_features * (s->d_model > 0 ? s->d_model : 1) > CMP_NEAREST_MAX_VALUES)
		return NULL;
	float *W = NULL;
	int64_t rows = index_decoder(ix, s->id, d, &W);
	if (rows <= 0 || (int64_t)*d * rows > CMP_NEAREST_MAX_VALUES) {
		free(W);
		return NULL;
	}
	int64_t bad = -1;
	float *X = knn_normalize(W, rows, *d, &bad);
	free(W);
	*n = rows;
	return X;
}

static int by_cos_desc(const void *a, const void *b)
{
	const fs_neighbour *x = a, *y = b;
	if (x->cosine != y->cosine)
		return x->cosine < y->cosine ? 1 : -1;
	return x->fid < y->fid ? -1 : x->fid > y->fid;
}

int cmp_nearest_find(fs_index *ix, int64_t fid, int other_sae, int k, cmp_nearest *r, char *err,
		     size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->baseline = NAN;
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0)
		return fs_seterr(err, errlen, "%s: feature %lld: not found", index_path(ix), (long long)fid);
	int own = f.sae;
	int64_t row = f.idx;
	index_feature_free(&f);
	const fs_sae *so = index_sae_by_id(ix, own);
	const fs_sae *st = index_sae_by_id(ix, other_sae ? other_sae : own);
	if (!so || !st)
		return fs_seterr(err, errlen, "%s: no dictionary %d", index_path(ix), other_sae ? other_sae : own);
	/* how many the index stores: ask for all it may hold */
	fs_neighbour *nb = NULL;
	int ns = index_neighbours(ix, fid, st->id, 1 << 16, &nb);
	if (ns < 0)
		return fs_seterr(err, errlen, "%s: %s", index_path(ix), index_errmsg(ix));
	r->stored = ns;
	int64_t nt = 0;
	int dt = 0;
	float *XT = unit_rows(ix, st, &nt, &dt);
	if (XT)
		r->baseline = cmp_random_baseline(XT, nt, dt, 0.99);
	if (k <= ns || !XT) {
		r->n = k < ns ? k : ns;
		r->v = nb;
		free(XT);
		return 0;
	}
	/* computed: the feature's own row against every row of the target */
	int64_t no = 0;
	int dq = 0;
	float *XO = st == so ? NULL : unit_rows(ix, so, &no, &dq);
	const float *q = st == so ? XT + row * dt : XO ? XO + row * dq : NULL;
	if (!q || row < 0 || row >= (st == so ? nt : no) || (st != so && dq != dt)) {
		/* the own decoder is missing or of another width: keep the lists */
		free(XO);
		free(XT);
		r->n = k < ns ? k : ns;
		r->v = nb;
		return 0;
	}
	free(nb);
	float *cos = xmalloc((size_t)nt * sizeof *cos);
	blas_sgemv(CblasRowMajor, CblasNoTrans, (int)nt, dt, 1.0f, XT, dt, q, 1, 0.0f, cos, 1);
	cmp_side side;
	char e2[256];
	if (cmp_side_open(&side, ix, st->name, NULL, e2, sizeof e2) != 0) {
		free(cos);
		free(XO);
		free(XT);
		return fs_seterr(err, errlen, "%s", e2);
	}
	fs_neighbour *all = xmalloc((size_t)(nt ? nt : 1) * sizeof *all);
	int64_t m = 0;
	for (int64_t j = 0; j < nt && j < side.n; j++) {
		if (side.fid[j] < 0 || side.fid[j] == fid)
			continue;
		all[m].fid = side.fid[j];
		all[m].cosine = cos[j];
		m++;
	}
	qsort(all, (size_t)m, sizeof *all, by_cos_desc);
	r->n = (int)(m < k ? m : k);
	r->v = all;
	r->computed = 1;
	cmp_side_free(&side);
	free(cos);
	free(XO);
	free(XT);
	return 0;
}

void cmp_nearest_free(cmp_nearest *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

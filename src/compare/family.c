/*
 * family.c: a feature's family across the wider dictionaries of its hook
 * point (see family.h). Per level one normalised decoder and its
 * random-direction baseline; per node one matrix-vector product for its
 * cosines to the next level, then the co-activation of its nearest
 * candidates from their stored examples.
 */
#include "compare/family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/util.h"
#include "geom/knn.h"

void cmp_family_opts_init(cmp_family_opts *o)
{
	o->k = 8;
	o->min_inside = 0.5;
	o->min_cos = 0;
	o->max_levels = 4;
}

static int same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Dictionaries wider than s with its model, hook and d_model, by width. */
static int wider(fs_index *ix, const fs_sae *s, int d, const fs_sae **out, int max)
{
	int n = 0;
	for (int i = 0; i < index_n_saes(ix); i++) {
		const fs_sae *o = index_sae(ix, i);
		if (o->id == s->id || o->n_features <= s->n_features || !same_str(o->hook, s->hook) ||
		    !same_str(o->model, s->model) || (o->d_model > 0 && o->d_model != d))
			continue;
		int at = n++;
		while (at > 0 && (out[at - 1]->n_features > o->n_features ||
				  (out[at - 1]->n_features == o->n_features && out[at - 1]->id > o->id))) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = o;
	}
	return n < max ? n : max;
}

/* A candidate child: row of the next level and its cosine. */
typedef struct {
	int64_t row;   /* row in the next level */
	float cos;     /* with the node */
	int node;      /* the node it would hang under */
	cmp_coact c;   /* co-activation with that node */
} cand;

static int by_node_share(const void *x, const void *y)
{
	const cand *a = x, *b = y;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	double sa = isnan(a->c.share_a) ? -1 : a->c.share_a, sb = isnan(b->c.share_a) ? -1 : b->c.share_a;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	if (a->cos != b->cos)
		return a->cos > b->cos ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

int cmp_family_build(fs_index *ix, int64_t fid, const cmp_family_opts *o, cmp_family *f,
		     char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	fs_feature ft;
	if (index_feature(ix, fid, &ft) != 0)
		return fs_seterr(err, errlen, "%s: feature #%lld: no such feature", index_path(ix), (long long)fid);
	const fs_sae *s = index_sae_by_id(ix, ft.sae);
	int64_t row = ft.idx;
	index_feature_free(&ft);
	if (!s)
		return fs_seterr(err, errlen, "%s: feature #%lld: no dictionary", index_path(ix), (long long)fid);
	const fs_sae **ws = xmalloc((size_t)(index_n_saes(ix) + 1) * sizeof *ws);
	f->lv = xcalloc((size_t)index_n_saes(ix) + 1, sizeof *f->lv);
	f->base = xcalloc((size_t)index_n_saes(ix) + 1, sizeof *f->base);
	int rc = -1;
	float **X = xcalloc((size_t)index_n_saes(ix) + 1, sizeof *X);
	cmp_acts *nacts = NULL;
	if (cmp_side_open(&f->lv[0], ix, s->name, NULL, err, errlen) != 0)
		goto out;
	f->nlv = 1;
	if (cmp_side_decoder(&f->lv[0], NULL, err, errlen) != 0)
		goto out;
	int d = f->lv[0].d;
	int nw = wider(ix, s, d, ws, o->max_levels > 0 ? o->max_levels : 4);
	if (nw == 0) {
		fs_seterr(err, errlen, "%s: no dictionary wider than '%s' (%lld features) at its hook point",
			  index_path(ix), s->name, (long long)s->n_features);
		goto out;
	}
	int64_t bad;
	for (int i = 0; i < nw; i++) {
		cmp_side *L = &f->lv[f->nlv];
		char e2[512];
		if (cmp_side_open(L, ix, ws[i]->name, NULL, e2, sizeof e2) != 0 ||
		    cmp_side_decoder(L, NULL, e2, sizeof e2) != 0 || L->d != d) {
			if (!f->note[0])
				snprintf(f->note, sizeof f->note, "dictionary '%s' skipped: %s", ws[i]->name,
					 L->d && L->d != d ? "other d_model" : "no stored decoder");
			cmp_side_free(L);
			continue;
		}
		f->nlv++;
	}
	if (f->nlv < 2) {
		fs_seterr(err, errlen, "%s: no wider dictionary of '%s' has a stored decoder", index_path(ix),
			  s->name);
		goto out;
	}
	for (int l = 0; l < f->nlv; l++) {
		X[l] = knn_normalize(f->lv[l].W, f->lv[l].n, d, &bad);
		if (!X[l]) {
			fs_seterr(err, errlen, "%s: decoder of '%s': row %lld: a value is not finite",
				  index_path(ix), f->lv[l].sae->name, (long long)bad);
			goto out;
		}
		if (l > 0)
			f->base[l] = cmp_random_baseline(X[l], f->lv[l].n, d, 0.99);
	}
	int cap = 16;
	f->v = xmalloc((size_t)cap * sizeof *f->v);
	f->v[0] = (cmp_fnode){0, row, fid, -1, 1.0f, NAN, NAN};
	f->n = 1;
	nacts = xcalloc((size_t)cap, sizeof *nacts);
	cmp_feature_acts(ix, fid, &nacts[0]);
	int k = o->k > 0 ? o->k : 8;
	int lo = 0; /* first node of the current level */
	for (int l = 1; l < f->nlv; l++) {
		int hi = f->n;
		cmp_side *L = &f->lv[l];
		float thr = f->base[l] > o->min_cos ? f->base[l] : o->min_cos;
		float *c = xmalloc((size_t)L->n * sizeof *c);
		cand *cs = NULL;
		int ncs = 0, ccap = 0;
		for (int p = lo; p < hi; p++) {
			const float *q = X[l - 1] + f->v[p].row * d;
			blas_sgemv(CblasRowMajor, CblasNoTrans, (int)L->n, d, 1.0f, X[l], d, q, 1, 0.0f, c, 1);
			/* the k best above the threshold, by repeated selection */
			for (int t = 0; t < k; t++) {
				int64_t b = -1;
				for (int64_t j = 0; j < L->n; j++)
					if (c[j] > thr && (b < 0 || c[j] > c[b]))
						b = j;
				if (b < 0)
					break;
				if (ncs == ccap) {
					ccap = ccap ? ccap * 2 : 32;
					cs = xrealloc(cs, (size_t)ccap * sizeof *cs);
				}
				cs[ncs++] = (cand){b, c[b], p, {NAN, NAN, NAN, 0}};
				c[b] = -3;
			}
		}
		free(c);
		/* keep the candidates whose firings lie inside the node's */
		int w = 0;
		for (int i = 0; i < ncs; i++) {
			cmp_acts ca;
			if (L->fid[cs[i].row] > 0 && cmp_feature_acts(ix, L->fid[cs[i].row], &ca) == 0) {
				cmp_pair(&nacts[cs[i].node], 0, &ca, 0, &cs[i].c);
				cmp_acts_free(&ca);
			}
			if (!isnan(cs[i].c.share_b) && cs[i].c.share_b < o->min_inside)
				continue;
			cs[w++] = cs[i];
		}
		ncs = w;
		/* a row kept under several nodes goes to the highest cosine */
		for (int i = 0; i < ncs; i++)
			for (int j = 0; j < ncs; j++)
				if (i != j && cs[i].row == cs[j].row &&
				    (cs[j].cos > cs[i].cos || (cs[j].cos == cs[i].cos && j < i))) {
					cs[i].node = -2;
					break;
				}
		w = 0;
		for (int i = 0; i < ncs; i++)
			if (cs[i].node >= 0)
				cs[w++] = cs[i];
		ncs = w;
		if (ncs > 1)
			qsort(cs, (size_t)ncs, sizeof *cs, by_node_share);
		for (int i = 0; i < ncs; i++) {
			if (f->n == cap) {
				cap *= 2;
				f->v = xrealloc(f->v, (size_t)cap * sizeof *f->v);
				nacts = xrealloc(nacts, (size_t)cap * sizeof *nacts);
			}
			f->v[f->n] = (cmp_fnode){l, cs[i].row, L->fid[cs[i].row], cs[i].node, cs[i].cos,
						 cs[i].c.share_a, cs[i].c.share_b};
			memset(&nacts[f->n], 0, sizeof nacts[f->n]);
			if (f->v[f->n].fid > 0)
				cmp_feature_acts(ix, f->v[f->n].fid, &nacts[f->n]);
			else
				cmp_acts_init(&nacts[f->n], 1), cmp_acts_done(&nacts[f->n]);
			f->n++;
		}
		free(cs);
		lo = hi;
		if (lo == f->n)
			break;
	}
	rc = 0;
out:
	if (nacts)
		for (int i = 0; i < f->n; i++)
			cmp_acts_free(&nacts[i]);
	free(nacts);
	for (int l = 0; l < index_n_saes(ix) + 1; l++)
		free(X[l]);
	free(X);
	free(ws);
	if (rc != 0)
		cmp_family_free(f);
	return rc;
}

void cmp_family_free(cmp_family *f)
{
	for (int l = 0; l < f->nlv; l++)
		cmp_side_free(&f->lv[l]);
	free(f->lv);
	free(f->base);
	free(f->v);
	memset(f, 0, sizeof *f);
}

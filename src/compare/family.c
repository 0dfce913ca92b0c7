/*
 * family.c: a feature's family across the wider dictionaries of its hook
 * point (see family.h). Per level one normalised decoder and its
 * random-direction baseline; per node one matrix-vector product for its
 * cosines to the next level, then the co-activation of its nearest
 * candidates from their stored examples, or, when the index has them, the
 * exact co-firing counts of its partners and nearest candidates.
 */
#include "compare/family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "core/util.h"
#include "geom/knn.h"

void cmp_family_opts_init(cmp_family_opts *o)
{
	o->k = 8;
	o->min_inside = 0.5;
	o->min_share = 0.05;
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
	cmp_coact c;   /* co-activation with that node (exact: share_a of the node's
			  firing tokens, share_b of its own) */
	int64_t both;  /* exact: tokens where both fire, -1 unknown */
} cand;

/* A level's rows by fid, for the partners of a node. */
typedef struct {
	int64_t fid;   /* global id */
	int64_t row;   /* row in the level */
} fid_row;

static int by_fid(const void *x, const void *y)
{
	const fid_row *a = x, *b = y;
	return a->fid < b->fid ? -1 : a->fid > b->fid;
}

static int64_t row_of(const fid_row *m, int64_t n, int64_t fid)
{
	fid_row k = {fid, 0};
	const fid_row *r = bsearch(&k, m, (size_t)n, sizeof *m, by_fid);
	return r ? r->row : -1;
}

/* Tokens where fid and other both fire, from fid's partners (sorted by
 * fid); -1 when not listed. */
static int64_t both_of(const fs_cofire *p, int n, int64_t other)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int m = (lo + hi) / 2;
		if (p[m].fid < other)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && p[lo].fid == other ? p[lo].both : -1;
}

static void add_cand(cand **cs, int *n, int *cap, cand c)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*cs = xrealloc(*cs, (size_t)*cap * sizeof **cs);
	}
	(*cs)[(*n)++] = c;
}

/* Exact co-firing: the candidates of node p (fid pf, firing on pfires
 * tokens, partners pp[np]) in level L, with cosines c (all rows): its
 * partners of L and its k nearest rows, each with its counts; those that
 * pass the thresholds are appended to cs. best gets the candidate with the
 * largest share of the node's tokens (for the why line). -1 on a damaged
 * row. */
static int exact_cands(fs_index *ix, const cmp_side *L, const fid_row *map, const float *c, int p,
		       int64_t pf, int64_t pfires, const fs_cofire *pp, int np, int k,
		       const cmp_family_opts *o, cand **cs, int *ncs, int *ccap, cand *best)
{
	int64_t *rows = xmalloc((size_t)(np + k + 1) * sizeof *rows);
	int nr = 0;
	for (int i = 0; i < np; i++) {
		int64_t r = row_of(map, L->n, pp[i].fid);
		if (r >= 0)
			rows[nr++] = r;
	}
	/* the k nearest by decoder, besides */
	float *cc = xmalloc((size_t)L->n * sizeof *cc);
	memcpy(cc, c, (size_t)L->n * sizeof *cc);
	for (int t = 0; t < k; t++) {
		int64_t b = -1;
		for (int64_t j = 0; j < L->n; j++)
			if (cc[j] > o->min_cos && (b < 0 || cc[j] > cc[b]))
				b = j;
		if (b < 0)
			break;
		cc[b] = -3;
		int dup = 0;
		for (int i = 0; i < nr && !dup; i++)
			dup = rows[i] == b;
		if (!dup)
			rows[nr++] = b;
	}
	free(cc);
	int rc = 0;
	for (int i = 0; i < nr; i++) {
		int64_t q = L->fid[rows[i]], qfires = 0;
		fs_cofire *qp = NULL;
		int nq = 0;
		if (q <= 0)
			continue;
		int got = index_cofire(ix, q, &qfires, &qp, &nq);
		if (got < 0) {
			rc = -1;
			break;
		}
		int64_t both = both_of(pp, np, q);
		if (both < 0 && got)
			both = both_of(qp, nq, pf);
		free(qp);
		if (both < 0 || !got || qfires <= 0 || pfires <= 0)
			continue;
		cand x = {rows[i], c[rows[i]], p, {NAN, (double)both / (double)pfires, (double)both / (double)qfires, 0},
			  both};
		if (x.c.share_a >= o->min_share && x.c.share_b >= o->min_inside && x.cos > o->min_cos)
			add_cand(cs, ncs, ccap, x);
		else if (best->row < 0 || x.c.share_a > best->c.share_a)
			*best = x;
	}
	free(rows);
	return rc;
}

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

/* The one line that says why the root has no child (level 1 is the next
 * wider dictionary; the thresholds named as the options set them). */
static void family_why(cmp_family *f, const cmp_family_opts *o, int ncand, int shared, int64_t fires,
		       const cand *best)
{
	const cmp_side *L = &f->lv[1];
	const char *w = L->sae->name;
	if (f->exact && fires < 0)
		snprintf(f->why, sizeof f->why, "no children: the index's co-firing counts have no row for it");
	else if (f->exact && fires == 0)
		snprintf(f->why, sizeof f->why, "no children: it fires on no harvested token");
	else if (f->exact) {
		int n = snprintf(f->why, sizeof f->why,
				 "no children: no feature of '%s' passes the thresholds on the exact co-firing counts: "
				 "shares >= %.2f of this feature's firing tokens (--min-share), >= %.2f of its own "
				 "inside them (--min-inside), decoder cosine > %.3f (--min-cos)",
				 w, o->min_share, o->min_inside, (double)o->min_cos);
		if (best->row >= 0 && n > 0 && (size_t)n < sizeof f->why)
			snprintf(f->why + n, sizeof f->why - (size_t)n, "; best %s/%lld: share %.3f, inside %.3f, cos %.3f",
				 w, (long long)best->row, best->c.share_a, best->c.share_b, (double)best->cos);
	} else if (ncand == 0)
		snprintf(f->why, sizeof f->why,
			 "no children: no feature of '%s' has a decoder cosine above %.3f with it (its random-direction "
			 "baseline or --min-cos), and the index has no co-firing counts (build --cofire)",
			 w, (double)(f->base[1] > o->min_cos ? f->base[1] : o->min_cos));
	else
		snprintf(f->why, sizeof f->why,
			 "no children: the index has no co-firing counts (build --cofire), and none of the %d "
			 "features of '%s' nearest by decoder has >= %.2f of its stored firings inside it (%d of "
			 "them share a stored context with it)",
			 ncand, w, o->min_inside, shared);
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
	f->exact = index_has_cofire(ix);
	nacts = xcalloc((size_t)cap, sizeof *nacts);
	if (!f->exact)
		cmp_feature_acts(ix, fid, &nacts[0]);
	int k = o->k > 0 ? o->k : 8;
	int lo = 0; /* first node of the current level */
	/* for the why line: the root's candidates and its best refused one */
	int root_cands = 0, root_shared = 0;
	cand best = {-1, 0, 0, {NAN, NAN, NAN, 0}, -1};
	int64_t root_fires = -1;
	for (int l = 1; l < f->nlv; l++) {
		int hi = f->n;
		cmp_side *L = &f->lv[l];
		float thr = f->base[l] > o->min_cos ? f->base[l] : o->min_cos;
		float *c = xmalloc((size_t)L->n * sizeof *c);
		cand *cs = NULL;
		int ncs = 0, ccap = 0;
		fid_row *map = NULL;
		if (f->exact) {
			map = xmalloc((size_t)L->n * sizeof *map);
			for (int64_t j = 0; j < L->n; j++)
				map[j] = (fid_row){L->fid[j], j};
			qsort(map, (size_t)L->n, sizeof *map, by_fid);
		}
		for (int p = lo; p < hi; p++) {
			const float *q = X[l - 1] + f->v[p].row * d;
			blas_sgemv(CblasRowMajor, CblasNoTrans, (int)L->n, d, 1.0f, X[l], d, q, 1, 0.0f, c, 1);
			if (f->exact) {
				int64_t pfires = 0;
				fs_cofire *pp = NULL;
				int np = 0, got = index_cofire(ix, f->v[p].fid, &pfires, &pp, &np);
				int before = ncs;
				if (got < 0 || (got && exact_cands(ix, L, map, c, p, f->v[p].fid, pfires, pp, np, k, o,
								   &cs, &ncs, &ccap, &best) != 0)) {
					free(pp);
					free(c);
					free(cs);
					free(map);
					fs_seterr(err, errlen, "%s: table cofire: a damaged row", index_path(ix));
					goto out;
				}
				free(pp);
				if (p == 0) {
					root_fires = got ? pfires : -1;
					root_cands = ncs - before;
				}
				continue;
			}
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
				cs[ncs++] = (cand){b, c[b], p, {NAN, NAN, NAN, 0}, -1};
				c[b] = -3;
			}
			if (p == 0)
				root_cands = ncs;
		}
		free(c);
		free(map);
		/* keep the candidates whose firings lie inside the node's */
		int w = 0;
		for (int i = 0; i < ncs && !f->exact; i++) {
			cmp_acts ca;
			if (L->fid[cs[i].row] > 0 && cmp_feature_acts(ix, L->fid[cs[i].row], &ca) == 0) {
				cmp_pair(&nacts[cs[i].node], 0, &ca, 0, &cs[i].c);
				cmp_acts_free(&ca);
			}
			if (cs[i].node == 0)
				root_shared += cs[i].c.shared > 0;
			if (!isnan(cs[i].c.share_b) && cs[i].c.share_b < o->min_inside)
				continue;
			cs[w++] = cs[i];
		}
		if (!f->exact)
			ncs = w;
		/* a row kept under several nodes goes to the highest cosine (exact:
		 * to the node it shares the most tokens with, then the cosine) */
		for (int i = 0; i < ncs; i++)
			for (int j = 0; j < ncs; j++)
				if (i != j && cs[i].row == cs[j].row &&
				    (cs[j].both > cs[i].both ||
				     (cs[j].both == cs[i].both &&
				      (cs[j].cos > cs[i].cos || (cs[j].cos == cs[i].cos && j < i))))) {
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
		/* exact: at most k children a node, the largest shares */
		if (f->exact) {
			w = 0;
			for (int i = 0, run = 0; i < ncs; i++) {
				run = i > 0 && cs[i].node == cs[i - 1].node ? run + 1 : 0;
				if (run < k)
					cs[w++] = cs[i];
			}
			ncs = w;
		}
		for (int i = 0; i < ncs; i++) {
			if (f->n == cap) {
				cap *= 2;
				f->v = xrealloc(f->v, (size_t)cap * sizeof *f->v);
				nacts = xrealloc(nacts, (size_t)cap * sizeof *nacts);
			}
			f->v[f->n] = (cmp_fnode){l, cs[i].row, L->fid[cs[i].row], cs[i].node, cs[i].cos,
						 cs[i].c.share_a, cs[i].c.share_b};
			memset(&nacts[f->n], 0, sizeof nacts[f->n]);
			if (f->exact)
				cmp_acts_init(&nacts[f->n], 1), cmp_acts_done(&nacts[f->n]);
			else if (f->v[f->n].fid > 0)
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
	if (f->n == 1)
		family_why(f, o, root_cands, root_shared, root_fires, &best);
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

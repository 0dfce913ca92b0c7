/*
 * sae.c: TopK sparse autoencoder with an auxiliary dead-feature loss (see
 * sae.h). The dense encoder product goes through cblas_sgemm; decoding and
 * the gradients of the sparse codes are loops over the k active features
 * of each row, which is far cheaper than a dense product.
 */
#include "sae.h"
#include "lm.h"
#include "core/topk.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAE_MAGIC1 "FSSAE001"
#define SAE_MAGIC2 "FSSAE002"

static void *sae_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fprintf(stderr, "featscope-model: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t sae_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static float sae_normal(uint64_t *s)
{
	double u = ((sae_rng(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	double v = ((sae_rng(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static sae_model *sae_alloc(int d_in, int n_feat, int k)
{
	if (d_in < 1 || n_feat < 1 || k < 1 || k > n_feat)
		return NULL;
	sae_model *s = sae_xcalloc(1, sizeof *s);
	s->d_in = d_in;
	s->n_feat = n_feat;
	s->k = k;
	s->k_aux = n_feat / 2 < 256 ? n_feat / 2 : 256;
	if (s->k_aux < 1)
		s->k_aux = 1;
	s->in_scale = 1.0f;
	s->hook_kind = SAE_HOOK_MLP;
	s->layer = -1;
	size_t F = n_feat, D = d_in, off = 0;
	s->w_enc = off; off += F * D;
	s->b_enc = off; off += F;
	s->w_dec = off; off += F * D;
	s->b_dec = off; off += D;
	s->n_params = off;
	s->params = sae_xcalloc(off, sizeof(float));
	s->grads = sae_xcalloc(off, sizeof(float));
	s->last_fired = sae_xcalloc(F, sizeof(int64_t));
	s->fired = sae_xcalloc(F, 1);
	s->dead_after = 1000000;
	return s;
}

static void sae_norm_rows(sae_model *s)
{
	for (int f = 0; f < s->n_feat; f++) {
		float *w = s->params + s->w_dec + (size_t)f * s->d_in;
		double n2 = 0;
		for (int j = 0; j < s->d_in; j++)
			n2 += (double)w[j] * w[j];
		float inv = n2 > 0 ? (float)(1.0 / sqrt(n2)) : 0.0f;
		for (int j = 0; j < s->d_in; j++)
			w[j] *= inv;
	}
}

sae_model *sae_new(int d_in, int n_feat, int k, uint64_t seed)
{
	sae_model *s = sae_alloc(d_in, n_feat, k);
	if (!s)
		return NULL;
	uint64_t r = seed * 0x2545f4914f6cdd1dULL + 7;
	size_t nd = (size_t)n_feat * d_in;
	for (size_t i = 0; i < nd; i++)
		s->params[s->w_dec + i] = sae_normal(&r);
	sae_norm_rows(s);
	/* Encoder = decoder transpose (stored row per feature, so a copy),
	 * scaled down so initial codes are small. */
	for (size_t i = 0; i < nd; i++)
		s->params[s->w_enc + i] = s->params[s->w_dec + i];
	return s;
}

void sae_free(sae_model *s)
{
	if (!s)
		return;
	free(s->params);
	free(s->grads);
	free(s->m);
	free(s->v);
	free(s->last_fired);
	free(s->fired);
	free(s->pre);
	free(s);
}

void sae_init_bias(sae_model *s, const float *x, int n)
{
	float *b = s->params + s->b_dec;
	for (int j = 0; j < s->d_in; j++) {
		double t = 0;
		for (int i = 0; i < n; i++)
			t += x[(size_t)i * s->d_in + j];
		b[j] = (float)(t / (n ? n : 1));
	}
}

static void sae_reserve(sae_model *s, int n)
{
	if (s->pre && n <= s->cap)
		return;
	free(s->pre);
	s->pre = sae_xcalloc((size_t)n * s->n_feat, sizeof(float));
	s->cap = n;
}

/* pre[n][F] = (x - b_dec) W_enc^T + b_enc */
static void sae_preact(sae_model *s, const float *x, int n, float *xc)
{
	int D = s->d_in, F = s->n_feat;
	const float *bd = s->params + s->b_dec, *be = s->params + s->b_enc;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < D; j++)
			xc[(size_t)i * D + j] = x[(size_t)i * D + j] - bd[j];
	sae_reserve(s, n);
	for (int i = 0; i < n; i++)
		memcpy(s->pre + (size_t)i * F, be, (size_t)F * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, F, D, 1.0f, xc,
	            D, s->params + s->w_enc, D, 1.0f, s->pre, F);
}

/* The k largest of row[F] restricted to features with mask (NULL: all),
 * as (index, value) sorted by value descending; values <= 0 become
 * empty slots (index -1). Returns the number of positive entries. */
static int sae_topk_heap(const float *row, const int *cand, int F, int k,
                         const unsigned char *mask, int *idx, float *val);

static int sae_topk(const float *row, int F, int k,
                    const unsigned char *mask, int *idx, float *val)
{
	/* Wide rows: the r-th largest of every 16th value is a threshold
	 * that about 2k values of the row exceed; select among those. When
	 * fewer than k exceed it, the exact answer may lie below: scan all. */
	enum { STEP = 16 };
	if (!mask && F >= 64 * k && k <= 256) {
		int r = (2 * k + STEP - 1) / STEP, sidx[64];
		float sval[64];
		int ns = 0;
		float sample[4096] = {0};
		for (int f = 0; f < F && ns < 4096; f += STEP)
			sample[ns++] = row[f];
		int got = sae_topk_heap(sample, NULL, ns, r, NULL, sidx, sval);
		if (got == r) {
			float t = sval[r - 1];
			int cand[1024], nc = 0;
			for (int f = 0; f < F && nc < 1024; f++)
				if (row[f] > t)
					cand[nc++] = f;
			if (nc >= k && nc < 1024)
				return sae_topk_heap(row, cand, nc, k, NULL, idx, val);
		}
	}
	return sae_topk_heap(row, NULL, F, k, mask, idx, val);
}

/* The selection over row[f] for f in cand[0..F) (cand NULL: f in 0..F):
 * core/topk's bounded heap, then best first (ties to the lower index). */
static int sae_topk_heap(const float *row, const int *cand, int F, int k,
                         const unsigned char *mask, int *idx, float *val)
{
	int n = 0;
	for (int c0 = 0; c0 < F; c0++) {
		int f = cand ? cand[c0] : c0;
		float x = row[f];
		if (x <= 0 || (mask && !mask[f]))
			continue;
		n = topk_push(val, idx, n, k, x, f);
	}
	topk_sort_large(val, idx, n);
	for (int i = n; i < k; i++) {
		idx[i] = -1;
		val[i] = 0.0f;
	}
	return n;
}

/* Which features count as dead now (mask[F]); returns their number. */
static int sae_dead_mask(const sae_model *s, unsigned char *mask)
{
	int nd = 0;
	for (int f = 0; f < s->n_feat; f++) {
		mask[f] = s->tokens_seen - s->last_fired[f] > s->dead_after;
		nd += mask[f];
	}
	return nd;
}

/* Shared forward (and, when grad, backward) pass. */
static double sae_run(sae_model *s, const float *x, int n, float aux_coef,
                      int grad, sae_stats *st)
{
	int D = s->d_in, F = s->n_feat, K = s->k, KA = s->k_aux;
	float *xc = sae_xcalloc((size_t)n * D, sizeof(float));
	sae_preact(s, x, n, xc);
	unsigned char *dead = sae_xcalloc((size_t)F, 1);
	int n_dead = aux_coef > 0 ? sae_dead_mask(s, dead) : 0;
	int *idx = sae_xcalloc((size_t)K, sizeof(int));
	float *val = sae_xcalloc((size_t)K, sizeof(float));
	int *aidx = sae_xcalloc((size_t)KA, sizeof(int));
	float *aval = sae_xcalloc((size_t)KA, sizeof(float));
	float *xh = sae_xcalloc((size_t)D, sizeof(float));
	float *eh = sae_xcalloc((size_t)D, sizeof(float));
	float *dxh = sae_xcalloc((size_t)D, sizeof(float));
	float *deh = sae_xcalloc((size_t)D, sizeof(float));
	float *dxc = sae_xcalloc((size_t)D, sizeof(float));
	const float *we = s->params + s->w_enc, *wd = s->params + s->w_dec;
	const float *bd = s->params + s->b_dec;
	float *g = s->grads;
	if (grad) {
		memset(g, 0, s->n_params * sizeof(float));
		memset(s->fired, 0, (size_t)F);
		s->fired_n = n;
	}
	double se = 0, sa = 0, l0 = 0;
	double *mean = sae_xcalloc((size_t)D, sizeof(double));
	for (int i = 0; i < n; i++)
		for (int j = 0; j < D; j++)
			mean[j] += x[(size_t)i * D + j];
	for (int j = 0; j < D; j++)
		mean[j] /= n;
	double var = 0;
	const double norm = 1.0 / ((double)n * D);
	for (int i = 0; i < n; i++) {
		const float *xi = x + (size_t)i * D;
		const float *pr = s->pre + (size_t)i * F;
		int nk = sae_topk(pr, F, K, NULL, idx, val);
		l0 += nk;
		memcpy(xh, bd, (size_t)D * sizeof(float));
		for (int a = 0; a < nk; a++) {
			const float *w = wd + (size_t)idx[a] * D;
			for (int j = 0; j < D; j++)
				xh[j] += val[a] * w[j];
			if (grad)
				s->fired[idx[a]] = 1;
		}
		int na = 0;
		if (n_dead > 0) {
			na = sae_topk(pr, F, KA, dead, aidx, aval);
			memset(eh, 0, (size_t)D * sizeof(float));
			for (int a = 0; a < na; a++) {
				const float *w = wd + (size_t)aidx[a] * D;
				for (int j = 0; j < D; j++)
					eh[j] += aval[a] * w[j];
			}
		}
		for (int j = 0; j < D; j++) {
			double e = xi[j] - xh[j];
			double dv = xi[j] - mean[j];
			se += e * e;
			var += dv * dv;
			if (n_dead > 0) {
				double r = e - eh[j];
				sa += r * r;
			}
		}
		if (!grad)
			continue;
		/* L = norm*sum e^2 + c*norm*sum (e - eh)^2, e = x - xh */
		for (int j = 0; j < D; j++) {
			float e = xi[j] - xh[j];
			float r = n_dead > 0 ? e - eh[j] : 0.0f;
			dxh[j] = (float)(-2.0 * norm * e - 2.0 * aux_coef * norm * r);
			deh[j] = (float)(-2.0 * aux_coef * norm * r);
			g[s->b_dec + j] += dxh[j];
		}
		memset(dxc, 0, (size_t)D * sizeof(float));
		const float *xci = xc + (size_t)i * D;
		for (int pass = 0; pass < 2; pass++) {
			int cnt = pass ? na : nk;
			const int *ix = pass ? aidx : idx;
			const float *vl = pass ? aval : val;
			const float *dd = pass ? deh : dxh;
			for (int a = 0; a < cnt; a++) {
				int f = ix[a];
				const float *w = wd + (size_t)f * D;
				float *gw = g + s->w_dec + (size_t)f * D;
				float dz = 0;
				for (int j = 0; j < D; j++) {
					dz += dd[j] * w[j];
					gw[j] += vl[a] * dd[j];
				}
				/* z = pre where selected and > 0 */
				float *ge = g + s->w_enc + (size_t)f * D;
				const float *e = we + (size_t)f * D;
				for (int j = 0; j < D; j++) {
					ge[j] += dz * xci[j];
					dxc[j] += dz * e[j];
				}
				g[s->b_enc + f] += dz;
			}
		}
		for (int j = 0; j < D; j++)
			g[s->b_dec + j] -= dxc[j];
	}
	double loss = se * norm + (n_dead > 0 ? aux_coef * sa * norm : 0.0);
	if (st) {
		st->mse = se * norm;
		st->fvu = var > 0 ? se / var : 0;
		st->l0 = l0 / n;
		st->aux = n_dead > 0 ? sa * norm : 0;
		st->n_dead = n_dead;
	}
	free(xc); free(dead); free(idx); free(val); free(aidx); free(aval);
	free(xh); free(eh); free(dxh); free(deh); free(dxc); free(mean);
	return loss;
}

double sae_loss(sae_model *s, const float *x, int n, float aux_coef)
{
	return sae_run(s, x, n, aux_coef, 0, NULL);
}

void sae_step_grad(sae_model *s, const float *x, int n, float aux_coef,
                   sae_stats *st)
{
	sae_run(s, x, n, aux_coef, 1, st);
}

void sae_adam(sae_model *s, float lr)
{
	const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
	int D = s->d_in, F = s->n_feat;
	if (!s->m) {
		s->m = sae_xcalloc(s->n_params, sizeof(float));
		s->v = sae_xcalloc(s->n_params, sizeof(float));
	}
	/* Remove the gradient component along each decoder row, which the
	 * renormalisation would undo anyway. */
	for (int f = 0; f < F; f++) {
		const float *w = s->params + s->w_dec + (size_t)f * D;
		float *gw = s->grads + s->w_dec + (size_t)f * D;
		double dot = 0;
		for (int j = 0; j < D; j++)
			dot += (double)w[j] * gw[j];
		for (int j = 0; j < D; j++)
			gw[j] -= (float)dot * w[j];
	}
	s->step++;
	float c1 = 1.0f - powf(b1, (float)s->step);
	float c2 = 1.0f - powf(b2, (float)s->step);
	for (size_t i = 0; i < s->n_params; i++) {
		float gr = s->grads[i];
		s->m[i] = b1 * s->m[i] + (1 - b1) * gr;
		s->v[i] = b2 * s->v[i] + (1 - b2) * gr * gr;
		s->params[i] -= lr * (s->m[i] / c1) / (sqrtf(s->v[i] / c2) + eps);
	}
	sae_norm_rows(s);
	s->tokens_seen += s->fired_n;
	for (int f = 0; f < F; f++)
		if (s->fired[f])
			s->last_fired[f] = s->tokens_seen;
	s->fired_n = 0;
	memset(s->fired, 0, (size_t)F);
}

void sae_encode_sparse(sae_model *s, const float *x, int n, int *idx,
                       float *val)
{
	float *xc = sae_xcalloc((size_t)n * s->d_in, sizeof(float));
	sae_preact(s, x, n, xc);
	for (int i = 0; i < n; i++)
		sae_topk(s->pre + (size_t)i * s->n_feat, s->n_feat, s->k, NULL,
		         idx + (size_t)i * s->k, val + (size_t)i * s->k);
	free(xc);
}

void sae_encode_dense(sae_model *s, const float *x, int n, float *z)
{
	int K = s->k, F = s->n_feat;
	int *idx = sae_xcalloc((size_t)n * K, sizeof(int));
	float *val = sae_xcalloc((size_t)n * K, sizeof(float));
	sae_encode_sparse(s, x, n, idx, val);
	memset(z, 0, (size_t)n * F * sizeof(float));
	for (int i = 0; i < n; i++)
		for (int a = 0; a < K; a++)
			if (idx[(size_t)i * K + a] >= 0)
				z[(size_t)i * F + idx[(size_t)i * K + a]] =
				    val[(size_t)i * K + a];
	free(idx);
	free(val);
}

void sae_decode_sparse(const sae_model *s, const int *idx, const float *val,
                       int n, float *xhat)
{
	int D = s->d_in, K = s->k;
	for (int i = 0; i < n; i++) {
		float *o = xhat + (size_t)i * D;
		memcpy(o, s->params + s->b_dec, (size_t)D * sizeof(float));
		for (int a = 0; a < K; a++) {
			int f = idx[(size_t)i * K + a];
			if (f < 0)
				continue;
			const float *w = s->params + s->w_dec + (size_t)f * D;
			float v = val[(size_t)i * K + a];
			for (int j = 0; j < D; j++)
				o[j] += v * w[j];
		}
	}
}

/* n floats to f as float32 or float16 (lm.c's conversion); 1 on success */
static int sae_write_floats(FILE *f, const float *a, size_t n, int dtype)
{
	if (dtype == 0)
		return fwrite(a, sizeof(float), n, f) == n;
	uint16_t buf[4096];
	for (size_t i = 0; i < n;) {
		size_t c = n - i < 4096 ? n - i : 4096;
		for (size_t j = 0; j < c; j++)
			buf[j] = lm_f32_to_f16(a[i + j]);
		if (fwrite(buf, 2, c, f) != c)
			return 0;
		i += c;
	}
	return 1;
}

static int sae_read_floats(FILE *f, float *a, size_t n, int dtype)
{
	if (dtype == 0)
		return fread(a, sizeof(float), n, f) == n;
	uint16_t buf[4096];
	for (size_t i = 0; i < n;) {
		size_t c = n - i < 4096 ? n - i : 4096;
		if (fread(buf, 2, c, f) != c)
			return 0;
		for (size_t j = 0; j < c; j++)
			a[i + j] = lm_f16_to_f32(buf[j]);
		i += c;
	}
	return 1;
}

int sae_save_dtype(const sae_model *s, const char *path, int dtype)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	int32_t hdr[6] = {s->d_in, s->n_feat, s->k, s->hook_kind, s->layer,
	                  dtype};
	int ok = fwrite(SAE_MAGIC2, 1, 8, f) == 8 &&
	         fwrite(hdr, sizeof hdr, 1, f) == 1 &&
	         fwrite(&s->in_scale, sizeof(float), 1, f) == 1 &&
	         sae_write_floats(f, s->params, s->n_params, dtype);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		remove(tmp);
		errno = e ? e : EIO;
		return -1;
	}
	return 0;
}

int sae_save(const sae_model *s, const char *path)
{
	return sae_save_dtype(s, path, 0);
}

sae_model *sae_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "featscope-model: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char mg[8];
	int32_t hdr[6] = {0, 0, 0, SAE_HOOK_MLP, -1, 0};
	float sc;
	sae_model *s = NULL;
	int v2 = 0;
	if (fread(mg, 1, 8, f) != 8 ||
	    (memcmp(mg, SAE_MAGIC1, 8) != 0 &&
	     !(v2 = memcmp(mg, SAE_MAGIC2, 8) == 0)) ||
	    fread(hdr, sizeof(int32_t), v2 ? 6 : 3, f) != (size_t)(v2 ? 6 : 3) ||
	    fread(&sc, 4, 1, f) != 1) {
		fprintf(stderr, "featscope-model: %s:1: header: not an SAE file\n",
		        path);
		goto out;
	}
	if ((hdr[3] != SAE_HOOK_MLP && hdr[3] != SAE_HOOK_RESID) ||
	    (hdr[5] != 0 && hdr[5] != 1)) {
		fprintf(stderr, "featscope-model: %s:1: header: hook_kind %d or "
		        "dtype %d unknown\n", path, hdr[3], hdr[5]);
		goto out;
	}
	s = sae_alloc(hdr[0], hdr[1], hdr[2]);
	if (!s) {
		fprintf(stderr, "featscope-model: %s:1: header: bad shape\n", path);
		goto out;
	}
	s->in_scale = sc;
	s->hook_kind = hdr[3];
	s->layer = hdr[4];
	if (!sae_read_floats(f, s->params, s->n_params, hdr[5])) {
		fprintf(stderr, "featscope-model: %s: truncated parameters\n",
		        path);
		sae_free(s);
		s = NULL;
	}
out:
	fclose(f);
	return s;
}

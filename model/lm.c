/*
 * lm.c: forward pass, backward pass, AdamW and serialisation of the demo
 * byte-level transformer (see lm.h). Pre-layernorm GPT-style blocks:
 * x += Attn(LN1(x)); x += W2 GELU(W1 LN2(x)). Matrix products use
 * cblas_sgemm (OpenBLAS threads itself); this file starts no threads.
 */
#include "lm.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LM_MAGIC1 "FSLM0001"
#define LM_MAGIC2 "FSLM0002"
#define LM_STATE_MAGIC "FSLMST01"
#define LN_EPS 1e-5f

/* Deterministic random numbers (splitmix64). */
static uint64_t lm_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double lm_rng_unif(uint64_t *s)
{
	return ((lm_rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float lm_rng_normal(uint64_t *s)
{
	double u = lm_rng_unif(s), v = lm_rng_unif(s);
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void *lm_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fprintf(stderr, "featscope-model: out of memory\n");
		exit(1);
	}
	return p;
}

/* Lay out the parameter tensors (demo_layout.h, the table the live
 * runtime reads the files with); returns the total number of floats. */
static size_t lm_layout(lm_model *m)
{
	demo_global_off g;
	size_t n = demo_layout((size_t)m->cfg.d_model, (size_t)m->cfg.ctx, m->cfg.n_layer, &g, m->lay);
	m->wte = g.wte;
	m->wpe = g.wpe;
	m->lnf_g = g.lnf_g;
	m->lnf_b = g.lnf_b;
	m->wu = g.wu;
	m->bu = g.bu;
	return n;
}

static int lm_cfg_ok(const lm_config *c)
{
	return c->n_layer >= 1 && c->n_layer <= 16 && c->d_model >= 4 &&
	       c->d_model <= 4096 && c->n_head >= 1 &&
	       c->d_model % c->n_head == 0 && c->ctx >= 2 && c->ctx <= 4096;
}

static lm_model *lm_alloc(const lm_config *cfg)
{
	if (!lm_cfg_ok(cfg))
		return NULL;
	lm_model *m = lm_xcalloc(1, sizeof *m);
	m->cfg = *cfg;
	m->lay = lm_xcalloc((size_t)cfg->n_layer, sizeof *m->lay);
	m->n_params = lm_layout(m);
	m->params = lm_xcalloc(m->n_params, sizeof(float));
	m->hook_kind = LM_HOOK_MLP;
	m->hook_layer = cfg->n_layer - 1;
	return m;
}

lm_model *lm_new(const lm_config *cfg, uint64_t seed)
{
	lm_model *m = lm_alloc(cfg);
	if (!m)
		return NULL;
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1;
	size_t D = cfg->d_model;
	float std = 0.02f, rstd = 0.02f / sqrtf(2.0f * cfg->n_layer);
	float *p = m->params;
	for (size_t i = 0; i < LM_VOCAB * D; i++)
		p[m->wte + i] = std * lm_rng_normal(&s);
	for (size_t i = 0; i < (size_t)cfg->ctx * D; i++)
		p[m->wpe + i] = 0.01f * lm_rng_normal(&s);
	for (int l = 0; l < cfg->n_layer; l++) {
		lm_layer_off *L = &m->lay[l];
		for (size_t i = 0; i < D; i++) {
			p[L->ln1_g + i] = 1.0f;
			p[L->ln2_g + i] = 1.0f;
		}
		for (size_t i = 0; i < D * 3 * D; i++)
			p[L->wqkv + i] = std * lm_rng_normal(&s);
		for (size_t i = 0; i < D * D; i++)
			p[L->wo + i] = rstd * lm_rng_normal(&s);
		for (size_t i = 0; i < D * 4 * D; i++)
			p[L->w1 + i] = std * lm_rng_normal(&s);
		for (size_t i = 0; i < D * 4 * D; i++)
			p[L->w2 + i] = rstd * lm_rng_normal(&s);
	}
	for (size_t i = 0; i < D; i++)
		p[m->lnf_g + i] = 1.0f;
	for (size_t i = 0; i < D * LM_VOCAB; i++)
		p[m->wu + i] = std * lm_rng_normal(&s);
	return m;
}

static void lm_free_acts(lm_model *m)
{
	if (!m->acts)
		return;
	for (int l = 0; l < m->cfg.n_layer; l++) {
		lm_acts *A = &m->acts[l];
		free(A->x); free(A->xn1); free(A->mu1); free(A->rs1);
		free(A->qkv); free(A->att); free(A->o); free(A->x2);
		free(A->xn2); free(A->mu2); free(A->rs2); free(A->h); free(A->a);
	}
	free(m->acts);
	m->acts = NULL;
	free(m->xf); free(m->xfn); free(m->muf); free(m->rsf);
	free(m->logits); free(m->scratch); free(m->scratch2); free(m->dsc);
	free(m->bda); free(m->bdtmp); free(m->bdx2);
}

void lm_free(lm_model *m)
{
	if (!m)
		return;
	lm_free_acts(m);
	free(m->lay);
	free(m->params);
	free(m->grads);
	free(m->m);
	free(m->v);
	free(m->decay);
	free(m);
}

/* Make sure the activation buffers hold B rows of ctx positions. */
static void lm_reserve(lm_model *m, int B)
{
	if (m->acts && B <= m->cap_b)
		return;
	lm_free_acts(m);
	size_t T = m->cfg.ctx, D = m->cfg.d_model, H = m->cfg.n_head;
	size_t N = (size_t)B * T;
	m->acts = lm_xcalloc((size_t)m->cfg.n_layer, sizeof *m->acts);
	for (int l = 0; l < m->cfg.n_layer; l++) {
		lm_acts *A = &m->acts[l];
		A->x = lm_xcalloc(N * D, sizeof(float));
		A->xn1 = lm_xcalloc(N * D, sizeof(float));
		A->mu1 = lm_xcalloc(N, sizeof(float));
		A->rs1 = lm_xcalloc(N, sizeof(float));
		A->qkv = lm_xcalloc(N * 3 * D, sizeof(float));
		A->att = lm_xcalloc((size_t)B * H * T * T, sizeof(float));
		A->o = lm_xcalloc(N * D, sizeof(float));
		A->x2 = lm_xcalloc(N * D, sizeof(float));
		A->xn2 = lm_xcalloc(N * D, sizeof(float));
		A->mu2 = lm_xcalloc(N, sizeof(float));
		A->rs2 = lm_xcalloc(N, sizeof(float));
		A->h = lm_xcalloc(N * 4 * D, sizeof(float));
		A->a = lm_xcalloc(N * 4 * D, sizeof(float));
	}
	m->xf = lm_xcalloc(N * D, sizeof(float));
	m->xfn = lm_xcalloc(N * D, sizeof(float));
	m->muf = lm_xcalloc(N, sizeof(float));
	m->rsf = lm_xcalloc(N, sizeof(float));
	m->logits = lm_xcalloc(N * LM_VOCAB, sizeof(float));
	m->scratch = lm_xcalloc(N * 4 * D, sizeof(float));
	m->scratch2 = lm_xcalloc(N * 4 * D, sizeof(float));
	m->dsc = lm_xcalloc(T * T, sizeof(float));
	m->bda = lm_xcalloc(N * 4 * D, sizeof(float));
	m->bdtmp = lm_xcalloc(N * 3 * D, sizeof(float));
	m->bdx2 = lm_xcalloc(N * D, sizeof(float));
	m->cap_b = B;
}

/* out = in @ W + b for in[N,K], W[K,M], b[M] (b may be NULL). */
static void lm_matmul(float *out, const float *in, const float *W,
                      const float *b, int N, int K, int M)
{
	if (b) {
		for (int i = 0; i < N; i++)
			memcpy(out + (size_t)i * M, b, (size_t)M * sizeof(float));
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, M, K, 1.0f,
	            in, K, W, M, b ? 1.0f : 0.0f, out, M);
}

/* Backward of lm_matmul: accumulate dW += in^T dout, db += colsum(dout),
 * and set din = dout W^T (din may be NULL). */
static void lm_matmul_back(float *din, float *dW, float *db,
                           const float *dout, const float *in,
                           const float *W, int N, int K, int M)
{
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, M, N, 1.0f, in,
	            K, dout, M, 1.0f, dW, M);
	if (db) {
		for (int i = 0; i < N; i++) {
			const float *r = dout + (size_t)i * M;
			for (int j = 0; j < M; j++)
				db[j] += r[j];
		}
	}
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, K, M,
		            1.0f, dout, M, W, M, 0.0f, din, K);
}

static void lm_layernorm(float *out, float *mu, float *rs, const float *in,
                         const float *g, const float *b, int N, int D)
{
	for (int i = 0; i < N; i++) {
		const float *x = in + (size_t)i * D;
		float *y = out + (size_t)i * D;
		double s = 0, ss = 0;
		for (int j = 0; j < D; j++)
			s += x[j];
		float mean = (float)(s / D);
		for (int j = 0; j < D; j++) {
			float d = x[j] - mean;
			ss += (double)d * d;
		}
		float r = 1.0f / sqrtf((float)(ss / D) + LN_EPS);
		for (int j = 0; j < D; j++)
			y[j] = (x[j] - mean) * r * g[j] + b[j];
		mu[i] = mean;
		rs[i] = r;
	}
}

/* Layernorm backward: accumulate dg, db and ADD the input gradient to dx. */
static void lm_layernorm_back(float *dx, float *dg, float *db,
                              const float *dy, const float *in,
                              const float *mu, const float *rs,
                              const float *g, int N, int D)
{
	for (int i = 0; i < N; i++) {
		const float *x = in + (size_t)i * D, *d = dy + (size_t)i * D;
		float *o = dx + (size_t)i * D;
		double s1 = 0, s2 = 0;
		for (int j = 0; j < D; j++) {
			float xh = (x[j] - mu[i]) * rs[i];
			float dxh = d[j] * g[j];
			dg[j] += d[j] * xh;
			db[j] += d[j];
			s1 += dxh;
			s2 += (double)dxh * xh;
		}
		float m1 = (float)(s1 / D), m2 = (float)(s2 / D);
		for (int j = 0; j < D; j++) {
			float xh = (x[j] - mu[i]) * rs[i];
			o[j] += rs[i] * (d[j] * g[j] - m1 - xh * m2);
		}
	}
}

#define GELU_C 0.7978845608028654f /* sqrt(2/pi) */

/* tanh through one expf, which is much cheaper than tanhf here. */
static float lm_tanh(float u)
{
	if (u > 15.0f)
		return 1.0f;
	if (u < -15.0f)
		return -1.0f;
	return 1.0f - 2.0f / (expf(2.0f * u) + 1.0f);
}

static float lm_gelu(float x)
{
	return 0.5f * x * (1.0f + lm_tanh(GELU_C * (x + 0.044715f * x * x * x)));
}

static float lm_gelu_grad(float x)
{
	float u = GELU_C * (x + 0.044715f * x * x * x);
	float t = lm_tanh(u);
	float du = GELU_C * (1.0f + 3.0f * 0.044715f * x * x);
	return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

/* Causal multi-head attention on qkv[B*T,3D] into o[B*T,D]; att keeps the
 * probabilities [B,H,T,T] (row stride ctx is not used: T*T blocks). */
static void lm_attention(lm_model *m, lm_acts *A, int B, int T)
{
	int D = m->cfg.d_model, H = m->cfg.n_head, hd = D / H;
	float scale = 1.0f / sqrtf((float)hd);
	for (int b = 0; b < B; b++) {
		for (int h = 0; h < H; h++) {
			const float *q = A->qkv + (size_t)b * T * 3 * D + h * hd;
			const float *k = q + D, *v = q + 2 * D;
			float *P = A->att + ((size_t)b * H + h) * T * T;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T,
			            hd, scale, q, 3 * D, k, 3 * D, 0.0f, P, T);
			for (int i = 0; i < T; i++) {
				float *r = P + (size_t)i * T, mx = r[0], s = 0;
				for (int j = 1; j <= i; j++)
					if (r[j] > mx)
						mx = r[j];
				for (int j = 0; j <= i; j++) {
					r[j] = expf(r[j] - mx);
					s += r[j];
				}
				float inv = 1.0f / s;
				for (int j = 0; j <= i; j++)
					r[j] *= inv;
				for (int j = i + 1; j < T; j++)
					r[j] = 0.0f;
			}
			float *o = A->o + (size_t)b * T * D + h * hd;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd,
			            T, 1.0f, P, T, v, 3 * D, 0.0f, o, D);
		}
	}
}

double lm_forward(lm_model *m, const uint8_t *tok, const int *tgt, int B,
                  int T, lm_hook hook, void *hook_ctx, float *loss_out)
{
	lm_reserve(m, B);
	int D = m->cfg.d_model, F = 4 * D, N = B * T;
	const float *p = m->params;
	float *x = m->acts[0].x;
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			const float *e = p + m->wte + (size_t)tok[b * T + t] * D;
			const float *pe = p + m->wpe + (size_t)t * D;
			float *r = x + ((size_t)b * T + t) * D;
			for (int j = 0; j < D; j++)
				r[j] = e[j] + pe[j];
		}
	for (int l = 0; l < m->cfg.n_layer; l++) {
		lm_acts *A = &m->acts[l];
		const lm_layer_off *L = &m->lay[l];
		lm_layernorm(A->xn1, A->mu1, A->rs1, A->x, p + L->ln1_g,
		             p + L->ln1_b, N, D);
		lm_matmul(A->qkv, A->xn1, p + L->wqkv, p + L->bqkv, N, D, 3 * D);
		lm_attention(m, A, B, T);
		lm_matmul(A->x2, A->o, p + L->wo, p + L->bo, N, D, D);
		for (size_t i = 0; i < (size_t)N * D; i++)
			A->x2[i] += A->x[i];
		lm_layernorm(A->xn2, A->mu2, A->rs2, A->x2, p + L->ln2_g,
		             p + L->ln2_b, N, D);
		lm_matmul(A->h, A->xn2, p + L->w1, p + L->b1, N, D, F);
		for (size_t i = 0; i < (size_t)N * F; i++)
			A->a[i] = lm_gelu(A->h[i]);
		if (hook && m->hook_kind == LM_HOOK_MLP && l == m->hook_layer)
			hook(hook_ctx, A->a, N, F);
		float *out = l + 1 < m->cfg.n_layer ? m->acts[l + 1].x : m->xf;
		lm_matmul(out, A->a, p + L->w2, p + L->b2, N, F, D);
		for (size_t i = 0; i < (size_t)N * D; i++)
			out[i] += A->x2[i];
		if (hook && m->hook_kind == LM_HOOK_RESID && l == m->hook_layer)
			hook(hook_ctx, out, N, D);
	}
	lm_layernorm(m->xfn, m->muf, m->rsf, m->xf, p + m->lnf_g, p + m->lnf_b,
	             N, D);
	lm_matmul(m->logits, m->xfn, p + m->wu, p + m->bu, N, D, LM_VOCAB);
	/* Softmax in place; loss over positions with a target. */
	double loss = 0;
	long cnt = 0;
	for (int i = 0; i < N; i++) {
		float *r = m->logits + (size_t)i * LM_VOCAB, mx = r[0];
		for (int j = 1; j < LM_VOCAB; j++)
			if (r[j] > mx)
				mx = r[j];
		double s = 0;
		for (int j = 0; j < LM_VOCAB; j++) {
			r[j] = expf(r[j] - mx);
			s += r[j];
		}
		float inv = (float)(1.0 / s);
		for (int j = 0; j < LM_VOCAB; j++)
			r[j] *= inv;
		if (tgt && tgt[i] >= 0) {
			/* log p computed from the unnormalised values for accuracy */
			double lp = log(r[tgt[i]] * s) - log(s);
			double li = -lp;
			if (r[tgt[i]] <= 0)
				li = 100.0;
			loss += li;
			cnt++;
			if (loss_out)
				loss_out[i] = (float)li;
		} else if (loss_out) {
			loss_out[i] = 0.0f;
		}
	}
	return cnt ? loss / cnt : 0.0;
}

void lm_backward(lm_model *m, const uint8_t *tok, const int *tgt, int B,
                 int T)
{
	int D = m->cfg.d_model, F = 4 * D, N = B * T, H = m->cfg.n_head;
	int hd = D / H;
	float scale = 1.0f / sqrtf((float)hd);
	if (!m->grads)
		m->grads = lm_xcalloc(m->n_params, sizeof(float));
	memset(m->grads, 0, m->n_params * sizeof(float));
	const float *p = m->params;
	float *g = m->grads;
	long cnt = 0;
	for (int i = 0; i < N; i++)
		cnt += tgt[i] >= 0;
	if (!cnt)
		return;
	/* dlogits = (p - onehot)/cnt, in place over the probabilities. */
	float *dl = m->logits;
	for (int i = 0; i < N; i++) {
		float *r = dl + (size_t)i * LM_VOCAB;
		if (tgt[i] < 0) {
			memset(r, 0, LM_VOCAB * sizeof(float));
			continue;
		}
		r[tgt[i]] -= 1.0f;
		for (int j = 0; j < LM_VOCAB; j++)
			r[j] /= (float)cnt;
	}
	float *dxfn = m->scratch;
	lm_matmul_back(dxfn, g + m->wu, g + m->bu, dl, m->xfn, p + m->wu, N, D,
	               LM_VOCAB);
	/* dx: gradient on the residual stream, in scratch2 [N,D]. */
	float *dx = m->scratch2;
	memset(dx, 0, (size_t)N * D * sizeof(float));
	lm_layernorm_back(dx, g + m->lnf_g, g + m->lnf_b, dxfn, m->xf, m->muf,
	                  m->rsf, p + m->lnf_g, N, D);
	float *da = m->bda, *dtmp = m->bdtmp, *dx2 = m->bdx2;
	for (int l = m->cfg.n_layer - 1; l >= 0; l--) {
		lm_acts *A = &m->acts[l];
		const lm_layer_off *L = &m->lay[l];
		/* MLP: out = x2 + W2 gelu(W1 ln2(x2)) */
		lm_matmul_back(da, g + L->w2, g + L->b2, dx, A->a, p + L->w2, N, F,
		               D);
		for (size_t i = 0; i < (size_t)N * F; i++)
			da[i] *= lm_gelu_grad(A->h[i]);
		float *dxn2 = dtmp;
		lm_matmul_back(dxn2, g + L->w1, g + L->b1, da, A->xn2, p + L->w1, N,
		               D, F);
		memcpy(dx2, dx, (size_t)N * D * sizeof(float));
		lm_layernorm_back(dx2, g + L->ln2_g, g + L->ln2_b, dxn2, A->x2,
		                  A->mu2, A->rs2, p + L->ln2_g, N, D);
		/* Attention: x2 = x + Wo o */
		float *dO = dx; /* dx is free now: reuse as dO [N,D] */
		lm_matmul_back(dO, g + L->wo, g + L->bo, dx2, A->o, p + L->wo, N, D,
		               D);
		float *dqkv = dtmp;
		memset(dqkv, 0, (size_t)N * 3 * D * sizeof(float));
		for (int b = 0; b < B; b++) {
			for (int h = 0; h < H; h++) {
				size_t base = (size_t)b * T * 3 * D + h * hd;
				const float *q = A->qkv + base, *k = q + D, *v = q + 2 * D;
				float *dq = dqkv + base, *dk = dq + D, *dv = dq + 2 * D;
				const float *P = A->att + ((size_t)b * H + h) * T * T;
				const float *dOb = dO + (size_t)b * T * D + h * hd;
				float *dP = m->dsc;
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T,
				            hd, 1.0f, dOb, D, v, 3 * D, 0.0f, dP, T);
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd,
				            T, 1.0f, P, T, dOb, D, 0.0f, dv, 3 * D);
				for (int i = 0; i < T; i++) {
					const float *pr = P + (size_t)i * T;
					float *dr = dP + (size_t)i * T;
					float s = 0;
					for (int j = 0; j <= i; j++)
						s += pr[j] * dr[j];
					for (int j = 0; j <= i; j++)
						dr[j] = pr[j] * (dr[j] - s);
					for (int j = i + 1; j < T; j++)
						dr[j] = 0.0f;
				}
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T,
				            hd, T, scale, dP, T, k, 3 * D, 0.0f, dq, 3 * D);
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd,
				            T, scale, dP, T, q, 3 * D, 0.0f, dk, 3 * D);
			}
		}
		float *dxn1 = da; /* [N,D] fits in [N,F] */
		lm_matmul_back(dxn1, g + L->wqkv, g + L->bqkv, dqkv, A->xn1,
		               p + L->wqkv, N, D, 3 * D);
		memcpy(dx, dx2, (size_t)N * D * sizeof(float));
		lm_layernorm_back(dx, g + L->ln1_g, g + L->ln1_b, dxn1, A->x,
		                  A->mu1, A->rs1, p + L->ln1_g, N, D);
	}
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			const float *r = dx + ((size_t)b * T + t) * D;
			float *e = g + m->wte + (size_t)tok[b * T + t] * D;
			float *pe = g + m->wpe + (size_t)t * D;
			for (int j = 0; j < D; j++) {
				e[j] += r[j];
				pe[j] += r[j];
			}
		}
}

/* Is the float at offset i part of a matrix (decayed) rather than a bias,
 * layernorm parameter or position embedding? */
static int lm_is_matrix(const lm_model *m, size_t i)
{
	size_t D = m->cfg.d_model;
	if (i < m->wte + LM_VOCAB * D)
		return 1;
	if (i >= m->wu && i < m->wu + D * LM_VOCAB)
		return 1;
	for (int l = 0; l < m->cfg.n_layer; l++) {
		const lm_layer_off *L = &m->lay[l];
		if ((i >= L->wqkv && i < L->bqkv) || (i >= L->wo && i < L->bo) ||
		    (i >= L->w1 && i < L->b1) || (i >= L->w2 && i < L->b2))
			return 1;
	}
	return 0;
}

double lm_adamw(lm_model *m, float lr, float wd, float clip)
{
	const float b1 = 0.9f, b2 = 0.99f, eps = 1e-8f;
	if (!m->m) {
		m->m = lm_xcalloc(m->n_params, sizeof(float));
		m->v = lm_xcalloc(m->n_params, sizeof(float));
		m->decay = lm_xcalloc(m->n_params, 1);
		for (size_t i = 0; i < m->n_params; i++)
			m->decay[i] = (unsigned char)lm_is_matrix(m, i);
	}
	double nn = 0;
	for (size_t i = 0; i < m->n_params; i++)
		nn += (double)m->grads[i] * m->grads[i];
	double norm = sqrt(nn);
	float gs = 1.0f;
	if (clip > 0 && norm > clip)
		gs = (float)(clip / norm);
	m->step++;
	float c1 = 1.0f - powf(b1, (float)m->step);
	float c2 = 1.0f - powf(b2, (float)m->step);
	for (size_t i = 0; i < m->n_params; i++) {
		float gr = m->grads[i] * gs;
		m->m[i] = b1 * m->m[i] + (1 - b1) * gr;
		m->v[i] = b2 * m->v[i] + (1 - b2) * gr * gr;
		float upd = (m->m[i] / c1) / (sqrtf(m->v[i] / c2) + eps);
		if (m->decay[i])
			upd += wd * m->params[i];
		m->params[i] -= lr * upd;
	}
	return norm;
}

uint16_t lm_f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
	if (ax >= 0x7F800000u) /* inf or NaN */
		return (uint16_t)(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u : 0));
	if (ax >= 0x477FF000u) /* rounds to >= 65520: infinity */
		return (uint16_t)(sign | 0x7C00u);
	if (ax < 0x38800000u) { /* below 2^-14: subnormal half or zero */
		if (ax < 0x33000000u)
			return (uint16_t)sign;
		uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
		int shift = 126 - (int)(ax >> 23); /* 14..24 */
		uint32_t h = mant >> shift;
		uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
		if (rem > half || (rem == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = ((ax >> 13) - (112u << 10));
	uint32_t rem = ax & 0x1FFFu;
	if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
		h++;
	return (uint16_t)(sign | h);
}

float lm_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t e = (h >> 10) & 0x1F, mant = h & 0x3FFu, x;
	if (e == 0) {
		float v = (float)mant * (1.0f / 16777216.0f); /* mant * 2^-24 */
		return sign ? -v : v;
	}
	if (e == 31)
		x = sign | 0x7F800000u | (mant << 13);
	else
		x = sign | ((e + 112u) << 23) | (mant << 13);
	float f;
	memcpy(&f, &x, 4);
	return f;
}

/* Write n floats to f as float32 or float16; 1 on success. */
static int lm_write_floats(FILE *f, const float *a, size_t n, int dtype)
{
	if (dtype == LM_F32)
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

/* Read n floats stored as dtype; 1 on success. */
static int lm_read_floats(FILE *f, float *a, size_t n, int dtype)
{
	if (dtype == LM_F32)
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

/* Finish a file written to tmp: close, rename onto path. */
static int lm_finish(FILE *f, int ok, const char *tmp, const char *path)
{
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

int lm_save_dtype(const lm_model *m, const char *path, int dtype)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	int32_t hdr[5] = {m->cfg.n_layer, m->cfg.d_model, m->cfg.n_head,
	                  m->cfg.ctx, dtype};
	int ok = fwrite(LM_MAGIC2, 1, 8, f) == 8 &&
	         fwrite(hdr, sizeof hdr, 1, f) == 1 &&
	         lm_write_floats(f, m->params, m->n_params, dtype);
	return lm_finish(f, ok, tmp, path);
}

int lm_save(const lm_model *m, const char *path)
{
	return lm_save_dtype(m, path, LM_F32);
}

lm_model *lm_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "featscope-model: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char mg[8];
	int32_t hdr[5] = {0, 0, 0, 0, LM_F32};
	lm_model *m = NULL;
	int v2 = 0;
	if (fread(mg, 1, 8, f) != 8 ||
	    (memcmp(mg, LM_MAGIC1, 8) != 0 &&
	     !(v2 = memcmp(mg, LM_MAGIC2, 8) == 0)) ||
	    fread(hdr, sizeof(int32_t), v2 ? 5 : 4, f) != (size_t)(v2 ? 5 : 4)) {
		fprintf(stderr, "featscope-model: %s:1: header: not a model file\n",
		        path);
		goto out;
	}
	if (hdr[4] != LM_F32 && hdr[4] != LM_F16) {
		fprintf(stderr, "featscope-model: %s:1: dtype: %d is not 0 (f32) "
		        "or 1 (f16)\n", path, hdr[4]);
		goto out;
	}
	lm_config c = {hdr[0], hdr[1], hdr[2], hdr[3]};
	m = lm_alloc(&c);
	if (!m) {
		fprintf(stderr, "featscope-model: %s:1: header: bad shape\n", path);
		goto out;
	}
	if (!lm_read_floats(f, m->params, m->n_params, hdr[4])) {
		fprintf(stderr, "featscope-model: %s: truncated parameters\n",
		        path);
		lm_free(m);
		m = NULL;
	}
out:
	fclose(f);
	return m;
}

int lm_save_state(const lm_model *m, const char *path, uint64_t rng,
                  double elapsed)
{
	if (!m->m) {
		errno = EINVAL;
		return -1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	int64_t st = m->step;
	int ok = fwrite(LM_STATE_MAGIC, 1, 8, f) == 8 &&
	         fwrite(&st, sizeof st, 1, f) == 1 &&
	         fwrite(&rng, sizeof rng, 1, f) == 1 &&
	         fwrite(&elapsed, sizeof elapsed, 1, f) == 1 &&
	         fwrite(m->m, sizeof(float), m->n_params, f) == m->n_params &&
	         fwrite(m->v, sizeof(float), m->n_params, f) == m->n_params;
	return lm_finish(f, ok, tmp, path);
}

int lm_load_state(lm_model *m, const char *path, uint64_t *rng,
                  double *elapsed)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "featscope-model: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char mg[8];
	int64_t st;
	if (!m->m) {
		m->m = lm_xcalloc(m->n_params, sizeof(float));
		m->v = lm_xcalloc(m->n_params, sizeof(float));
		m->decay = lm_xcalloc(m->n_params, 1);
		for (size_t i = 0; i < m->n_params; i++)
			m->decay[i] = (unsigned char)lm_is_matrix(m, i);
	}
	int ok = fread(mg, 1, 8, f) == 8 && memcmp(mg, LM_STATE_MAGIC, 8) == 0 &&
	         fread(&st, sizeof st, 1, f) == 1 &&
	         fread(rng, sizeof *rng, 1, f) == 1 &&
	         fread(elapsed, sizeof *elapsed, 1, f) == 1 &&
	         fread(m->m, sizeof(float), m->n_params, f) == m->n_params &&
	         fread(m->v, sizeof(float), m->n_params, f) == m->n_params &&
	         fgetc(f) == EOF;
	fclose(f);
	if (!ok) {
		fprintf(stderr, "featscope-model: %s:1: state: not the training "
		        "state of this model\n", path);
		return -1;
	}
	m->step = (long)st;
	return 0;
}

void lm_unembed_mlp(const lm_model *m, float *out)
{
	int D = m->cfg.d_model, F = 4 * D;
	const lm_layer_off *L = &m->lay[m->cfg.n_layer - 1];
	float *gw = lm_xcalloc((size_t)D * LM_VOCAB, sizeof(float));
	for (int i = 0; i < D; i++)
		for (int j = 0; j < LM_VOCAB; j++)
			gw[(size_t)i * LM_VOCAB + j] =
			    m->params[m->lnf_g + i] *
			    m->params[m->wu + (size_t)i * LM_VOCAB + j];
	lm_matmul(out, m->params + L->w2, gw, NULL, F, D, LM_VOCAB);
	free(gw);
}

void lm_unembed_resid(const lm_model *m, float *out)
{
	int D = m->cfg.d_model;
	for (int i = 0; i < D; i++)
		for (int j = 0; j < LM_VOCAB; j++)
			out[(size_t)i * LM_VOCAB + j] =
			    m->params[m->lnf_g + i] *
			    m->params[m->wu + (size_t)i * LM_VOCAB + j];
}

/*
 * unit-model.c: finite-difference gradient checks of the demo model's
 * hand-written backward passes (model/lm.c, model/sae.c) on tiny shapes,
 * plus save/load round trips. Each parameter tensor is checked along a
 * random direction (central differences of the loss in float, compared
 * with the analytic directional derivative) and at its largest-gradient
 * entry.
 */
#define _POSIX_C_SOURCE 200809L
#include "../model/lm.h"
#include "../model/sae.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 12345;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * (1.0 / 9007199254740992.0);
}

enum { B = 2, T = 7 };
static uint8_t tok[B * T];
static int tgt[B * T];

static double lm_loss(lm_model *m)
{
	return lm_forward(m, tok, tgt, B, T, NULL, NULL, NULL);
}

/* Compare the numeric and analytic derivative of the loss along a random
 * direction over params[off, off+n). */
static void check_dir(lm_model *m, const float *grad, size_t off, size_t n,
                      const char *name)
{
	float *dir = malloc(n * sizeof(float));
	double ana = 0;
	for (size_t i = 0; i < n; i++) {
		dir[i] = (float)(urand() * 2 - 1);
		ana += (double)dir[i] * grad[off + i];
	}
	const float eps = 2e-3f;
	float *saved = malloc(n * sizeof(float));
	memcpy(saved, m->params + off, n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		m->params[off + i] = saved[i] + eps * dir[i];
	double lp = lm_loss(m);
	for (size_t i = 0; i < n; i++)
		m->params[off + i] = saved[i] - eps * dir[i];
	double lmn = lm_loss(m);
	memcpy(m->params + off, saved, n * sizeof(float));
	double num = (lp - lmn) / (2 * eps);
	double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-4);
	char buf[128];
	snprintf(buf, sizeof buf, "lm-grad-%s", name);
	if (err >= 0.02)
		printf("# %s numeric %.6g analytic %.6g\n", name, num, ana);
	CHECK(err < 0.02 && fabs(ana) > 1e-6, buf);
	free(dir);
	free(saved);
}

static long hook_seen;

static void hook_keep(void *ctx, float *act, int n, int width)
{
	(void)ctx;
	(void)act;
	hook_seen = (long)n * width;
}

static void hook_zero(void *ctx, float *act, int n, int width)
{
	(void)ctx;
	memset(act, 0, (size_t)n * width * sizeof(float));
}

/* Half-precision conversion: exact for representable values, rounding
 * to nearest within 2^-11 relative, subnormals and infinities. */
static void test_f16(void)
{
	static const float exact[] = {0.0f, 1.0f, -2.0f, 0.5f, 65504.0f,
	                              6.103515625e-05f, 5.9604645e-08f};
	int ok = 1;
	for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
		ok &= lm_f16_to_f32(lm_f32_to_f16(exact[i])) == exact[i];
	CHECK(ok, "f16-exact-values");
	double worst = 0;
	for (int i = 0; i < 100000; i++) {
		/* normal half range: |x| in [2^-10, 2^10) */
		float x = (float)((urand() < 0.5 ? -1 : 1) * (1 + urand()) *
		                  pow(2, floor(urand() * 20) - 10));
		double e = fabs(lm_f16_to_f32(lm_f32_to_f16(x)) - x) / fabs(x);
		if (e > worst)
			worst = e;
	}
	CHECK(worst <= 1.0 / 2048 + 1e-9, "f16-round-to-nearest");
	CHECK(lm_f16_to_f32(lm_f32_to_f16(1e6f)) > 65504.0f, "f16-overflow-is-inf");
	CHECK(lm_f32_to_f16(1.0f + 1.0f / 2048) == 0x3C00, "f16-ties-to-even");
}

static void test_lm(int n_layer)
{
	lm_config c = {n_layer, 16, 2, 8};
	lm_model *m = lm_new(&c, 7);
	/* Perturb layernorm and bias parameters away from their trivial init
	 * and enlarge the weights, so every tensor has gradients well above
	 * float rounding noise. */
	for (size_t i = 0; i < m->n_params; i++) {
		if (m->params[i] == 0.0f || m->params[i] == 1.0f)
			m->params[i] += (float)(urand() * 0.4 - 0.2);
		else
			m->params[i] *= 8.0f;
	}
	for (int i = 0; i < B * T; i++) {
		tok[i] = (uint8_t)(urand() * 256);
		tgt[i] = (int)(urand() * 256);
	}
	tgt[3] = -1; /* a masked position */
	lm_loss(m);
	lm_backward(m, tok, tgt, B, T);
	float *grad = malloc(m->n_params * sizeof(float));
	memcpy(grad, m->grads, m->n_params * sizeof(float));
	size_t D = c.d_model;
	char nm[64];
	check_dir(m, grad, m->wte, 256 * D, "wte");
	check_dir(m, grad, m->wpe, (size_t)T * D, "wpe");
	for (int l = 0; l < n_layer; l++) {
		const lm_layer_off *L = &m->lay[l];
		struct {
			const char *n;
			size_t off, len;
		} t[] = {{"ln1_g", L->ln1_g, D},     {"ln1_b", L->ln1_b, D},
		         {"wqkv", L->wqkv, 3 * D * D}, {"bqkv", L->bqkv, 3 * D},
		         {"wo", L->wo, D * D},         {"bo", L->bo, D},
		         {"ln2_g", L->ln2_g, D},     {"ln2_b", L->ln2_b, D},
		         {"w1", L->w1, 4 * D * D},     {"b1", L->b1, 4 * D},
		         {"w2", L->w2, 4 * D * D},     {"b2", L->b2, D}};
		for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
			snprintf(nm, sizeof nm, "L%d-of-%d-%s", l, n_layer, t[k].n);
			check_dir(m, grad, t[k].off, t[k].len, nm);
		}
	}
	check_dir(m, grad, m->lnf_g, D, "lnf_g");
	check_dir(m, grad, m->lnf_b, D, "lnf_b");
	check_dir(m, grad, m->wu, D * 256, "wu");
	check_dir(m, grad, m->bu, 256, "bu");
	/* The single largest gradient entry, perturbed alone. */
	size_t best = 0;
	for (size_t i = 0; i < m->n_params; i++)
		if (fabsf(grad[i]) > fabsf(grad[best]))
			best = i;
	snprintf(nm, sizeof nm, "largest-entry-%dL", n_layer);
	check_dir(m, grad, best, 1, nm);

	/* Masked positions must not contribute: the loss is unchanged when
	 * the masked target changes. */
	double l0 = lm_loss(m);
	tgt[3] = -1;
	CHECK(fabs(l0 - lm_loss(m)) < 1e-9, "lm-mask-stable");

	/* Save and load give identical outputs. */
	char path[] = "/tmp/unit-model-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "lm-mkstemp");
	if (fd >= 0) {
		CHECK(lm_save(m, path) == 0, "lm-save");
		lm_model *m2 = lm_load(path);
		CHECK(m2 != NULL, "lm-load");
		if (m2) {
			double a = lm_loss(m), b = lm_forward(m2, tok, tgt, B, T,
			                                     NULL, NULL, NULL);
			CHECK(a == b, "lm-load-same-loss");
			lm_free(m2);
		}
		/* f16: every parameter within half-precision rounding */
		CHECK(lm_save_dtype(m, path, LM_F16) == 0, "lm-save-f16");
		m2 = lm_load(path);
		CHECK(m2 != NULL, "lm-load-f16");
		if (m2) {
			double worst = 0;
			for (size_t i = 0; i < m->n_params; i++) {
				double a = m->params[i], d = fabs(a - m2->params[i]);
				if (d > worst && d > 1e-7)
					worst = d / (fabs(a) > 6e-5 ? fabs(a) : 6e-5);
			}
			CHECK(worst <= 1.0 / 1024, "lm-f16-relative-error");
			lm_free(m2);
		}
		remove(path);
	}

	/* The residual hook sees the stream after block hook_layer; zeroing
	 * it there changes the loss, copying it back unchanged does not. */
	m->hook_kind = LM_HOOK_RESID;
	m->hook_layer = 0;
	hook_seen = 0;
	double base = lm_loss(m);
	double same = lm_forward(m, tok, tgt, B, T, hook_keep, NULL, NULL);
	CHECK(hook_seen == B * T * m->cfg.d_model, "lm-resid-hook-width");
	CHECK(same == base, "lm-resid-hook-identity");
	double zeroed = lm_forward(m, tok, tgt, B, T, hook_zero, NULL, NULL);
	CHECK(fabs(zeroed - base) > 1e-3, "lm-resid-hook-changes-loss");
	m->hook_kind = LM_HOOK_MLP;
	m->hook_layer = m->cfg.n_layer - 1;

	/* A few AdamW steps on one batch lower its loss. */
	double before = lm_loss(m);
	for (int s = 0; s < 20; s++) {
		lm_loss(m);
		lm_backward(m, tok, tgt, B, T);
		lm_adamw(m, 1e-2f, 0.0f, 1.0f);
	}
	double after = lm_loss(m);
	snprintf(nm, sizeof nm, "lm-adamw-lowers-loss-%dL", n_layer);
	CHECK(after < before - 0.5, nm);
	free(grad);
	lm_free(m);
}

/* SAE: check encoder/decoder/bias gradients along random directions. */
static void test_sae(void)
{
	enum { N = 16, DI = 12, NF = 40, K = 5 };
	/* The gradient check uses k = n_feat: top-k selection is then plain
	 * ReLU, so the loss is continuous in the parameters and central
	 * differences are meaningful. The same code paths run for k < n. */
	sae_model *s = sae_new(DI, NF, NF, 3);
	float x[N * DI];
	for (int i = 0; i < N * DI; i++)
		x[i] = (float)(urand() * 2 - 1);
	for (size_t i = 0; i < (size_t)NF; i++)
		s->params[s->b_enc + i] = (float)(urand() * 0.2 - 0.1);
	for (size_t i = 0; i < (size_t)DI; i++)
		s->params[s->b_dec + i] = (float)(urand() * 0.2 - 0.1);
	/* Mark some features dead so the auxiliary loss is exercised. */
	for (int f = 0; f < NF; f += 3)
		s->last_fired[f] = -1000000;
	s->tokens_seen = 10;
	sae_stats st;
	sae_step_grad(s, x, N, 1.0f / 32, &st);
	float *grad = malloc(s->n_params * sizeof(float));
	memcpy(grad, s->grads, s->n_params * sizeof(float));
	struct {
		const char *n;
		size_t off, len;
	} t[] = {{"w_enc", s->w_enc, (size_t)NF * DI},
	         {"b_enc", s->b_enc, NF},
	         {"w_dec", s->w_dec, (size_t)NF * DI},
	         {"b_dec", s->b_dec, DI}};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		float *dir = malloc(t[k].len * sizeof(float));
		float *saved = malloc(t[k].len * sizeof(float));
		double ana = 0;
		for (size_t i = 0; i < t[k].len; i++) {
			dir[i] = (float)(urand() * 2 - 1);
			ana += (double)dir[i] * grad[t[k].off + i];
		}
		memcpy(saved, s->params + t[k].off, t[k].len * sizeof(float));
		const float eps = 1e-3f;
		for (size_t i = 0; i < t[k].len; i++)
			s->params[t[k].off + i] = saved[i] + eps * dir[i];
		double lp = sae_loss(s, x, N, 1.0f / 32);
		for (size_t i = 0; i < t[k].len; i++)
			s->params[t[k].off + i] = saved[i] - eps * dir[i];
		double lmn = sae_loss(s, x, N, 1.0f / 32);
		memcpy(s->params + t[k].off, saved, t[k].len * sizeof(float));
		double num = (lp - lmn) / (2 * eps);
		double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-4);
		char nm[64];
		snprintf(nm, sizeof nm, "sae-grad-%s", t[k].n);
		if (err >= 0.02)
			printf("# %s numeric %.6g analytic %.6g\n", t[k].n, num,
			       ana);
		CHECK(err < 0.02 && fabs(ana) > 1e-6, nm);
		free(dir);
		free(saved);
	}
	sae_free(s);
	s = sae_new(DI, NF, K, 3);
	sae_init_bias(s, x, N);
	/* Top-k: every encoded row has at most K nonzero activations. */
	float z[N * NF];
	sae_encode_dense(s, x, N, z);
	int maxnz = 0;
	for (int i = 0; i < N; i++) {
		int nz = 0;
		for (int f = 0; f < NF; f++)
			nz += z[i * NF + f] != 0;
		if (nz > maxnz)
			maxnz = nz;
	}
	CHECK(maxnz <= K && maxnz > 0, "sae-topk-l0");
	/* Training steps lower the reconstruction error. */
	double before = sae_loss(s, x, N, 0);
	for (int i = 0; i < 200; i++) {
		sae_step_grad(s, x, N, 1.0f / 32, &st);
		sae_adam(s, 1e-2f);
	}
	double after = sae_loss(s, x, N, 0);
	CHECK(after < 0.7 * before, "sae-adam-lowers-loss");
	/* Decoder rows stay unit norm after steps. */
	double worst = 0;
	for (int f = 0; f < NF; f++) {
		double n2 = 0;
		for (int j = 0; j < DI; j++) {
			float w = s->params[s->w_dec + (size_t)f * DI + j];
			n2 += (double)w * w;
		}
		if (fabs(sqrt(n2) - 1) > worst)
			worst = fabs(sqrt(n2) - 1);
	}
	CHECK(worst < 1e-4, "sae-decoder-unit-norm");
	free(grad);
	sae_free(s);
}

/* Top-k over wide rows (the sampled-threshold path) equals a brute-force
 * selection, and an SAE survives an FSSAE002 f16 round trip. */
static void test_sae_wide(void)
{
	int D = 8, F = 4096, K = 16, N = 64;
	sae_model *s = sae_new(D, F, K, 7);
	float *x = malloc(sizeof(float) * (size_t)N * D);
	for (int i = 0; i < N * D; i++)
		x[i] = (float)(urand() * 2 - 1);
	int *idx = malloc(sizeof(int) * (size_t)N * K);
	float *val = malloc(sizeof(float) * (size_t)N * K);
	float *z = malloc(sizeof(float) * (size_t)N * F);
	sae_encode_sparse(s, x, N, idx, val);
	sae_encode_dense(s, x, N, z);
	/* the dense codes hold exactly the sparse ones; the k-th value is at
	 * least every value left out of the pre-activations' top k */
	int bad = 0;
	for (int i = 0; i < N; i++) {
		int nz = 0;
		for (int f = 0; f < F; f++)
			nz += z[(size_t)i * F + f] > 0;
		int nk = 0;
		for (int a = 0; a < K; a++)
			if (idx[i * K + a] >= 0) {
				nk++;
				bad += z[(size_t)i * F + idx[i * K + a]] != val[i * K + a];
				bad += a > 0 && val[i * K + a] > val[i * K + a - 1];
			}
		bad += nz != nk;
	}
	CHECK(bad == 0, "sae-wide-topk-consistent");
	/* brute force: the K largest pre-activations of row 0 */
	float *pre = malloc(sizeof(float) * (size_t)F);
	const float *we = s->params + s->w_enc, *be = s->params + s->b_enc;
	const float *bd = s->params + s->b_dec;
	int worse = 0;
	for (int i = 0; i < N; i++) {
		for (int f = 0; f < F; f++) {
			double a = be[f];
			for (int j = 0; j < D; j++)
				a += (double)we[(size_t)f * D + j] * (x[i * D + j] - bd[j]);
			pre[f] = (float)a;
		}
		float kth = val[i * K + K - 1];
		int above = 0;
		for (int f = 0; f < F; f++)
			above += pre[f] > kth + 1e-5f;
		worse += above > K - 1;
	}
	CHECK(worse == 0, "sae-wide-topk-exact");
	char path[] = "/tmp/unit-sae-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0) {
		s->hook_kind = SAE_HOOK_RESID;
		s->layer = 1;
		CHECK(sae_save_dtype(s, path, 1) == 0, "sae-save-f16");
		sae_model *t = sae_load(path);
		CHECK(t && t->hook_kind == SAE_HOOK_RESID && t->layer == 1 &&
		      t->n_feat == F && t->d_in == D && t->k == K, "sae-f16-header");
		if (t) {
			double worst = 0;
			for (size_t i = 0; i < s->n_params; i++) {
				double d = fabs(s->params[i] - t->params[i]);
				if (d > worst)
					worst = d;
			}
			CHECK(worst < 1e-3, "sae-f16-params");
			sae_free(t);
		}
		remove(path);
	}
	free(pre);
	free(x);
	free(idx);
	free(val);
	free(z);
	sae_free(s);
}

int main(void)
{
	test_lm(1);
	test_lm(2);
	test_sae();
	/* after the others: they draw from the same random stream */
	test_f16();
	test_sae_wide();
	TEST_END();
}

/*
 * gpt2bench.c: speed of the GPT-2 runtime (src/live/gpt2.c), run by
 * bench/gpt2.sh.
 *   gpt2bench forward MODEL B T REPS
 *       batched forward passes (B windows of T tokens, logits included)
 *       interleaved with the same sgemm calls on the same shapes and no
 *       other work (projections, both attention products per head, the
 *       unembedding); prints the best time of each and their ratio.
 *   gpt2bench generate MODEL N
 *       N tokens through the KV cache after a 16-token prompt, next to
 *       the floor set by reading the weights from memory once per token
 *       (bench/membw.c: every core reading a buffer of the same size with
 *       vector loads, measured interleaved); prints tokens/s, the floor's
 *       tokens/s and the ratio, and the floor's bandwidth.
 * Output: key=value pairs on one line.
 */
#include "bench/membw.h"
#include "nn/blas.h"
#include "core/util.h"
#include "live/gpt2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *rnd(size_t n)
{
	float *p = xmalloc(sizeof(float) * n);
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (float)((x >> 40) & 0xffff) / 65536.0f - 0.5f;
	}
	return p;
}

/* The forward pass's products on the same shapes, nothing else. */
static void raw_products(const gpt2_config *c, int B, int T, float **w, float *X, float *Y, float *S)
{
	int d = c->n_embd, H = c->n_head, dh = d / H, R = B * T, ni = c->n_inner;
	for (int l = 0; l < c->n_layer; l++) {
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, 3 * d, d, 1, X, d, w[0], 3 * d, 1, Y, 3 * d);
		for (int s = 0; s < B; s++)
			for (int h = 0; h < H; h++) {
				const float *q = Y + (size_t)s * T * 3 * d + h * dh;
				blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, 1, q, 3 * d, q + d, 3 * d, 0, S, T);
				blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, 1, S, T, q + 2 * d, 3 * d, 0,
					 X + (size_t)s * T * d + h * dh, d);
			}
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, d, d, 1, X, d, w[1], d, 1, Y, d);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, I, d, 1, X, d, w[2], ni, 1, Y, ni);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, d, ni, 1, Y, ni, w[3], d, 1, X, d);
	}
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, c->vocab_size, d, 1, X, d, w[4], d, 0, Y, c->vocab_size);
}

static fs_gpt2 *load(const char *dir)
{
	char err[1024];
	fs_gpt2 *m = gpt2_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "gpt2bench: %s\n", err);
		exit(2);
	}
	return m;
}

static int bench_forward(const char *dir, int B, int T, int reps)
{
	fs_gpt2 *m = load(dir);
	const gpt2_config *c = gpt2_cfg(m);
	int d = c->n_embd, R = B * T, V = c->vocab_size;
	int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)R);
	for (int i = 0; i < R; i++)
		ids[i] = (int32_t)((i * 7919u) % (unsigned)V);
	float *logits = xmalloc(sizeof(float) * (size_t)R * V);
	float *w[5] = {rnd((size_t)d * 3 * d), rnd((size_t)d * d), rnd((size_t)d * c->n_inner), rnd((size_t)c->n_inner * d),
		       rnd((size_t)V * d)};
	size_t ymax = (size_t)R * (size_t)(V > c->n_inner ? V : c->n_inner);
	if ((size_t)R * 3 * d > ymax)
		ymax = (size_t)R * 3 * d;
	float *X = rnd((size_t)R * (c->n_inner > d ? c->n_inner : d)), *Y = rnd(ymax), *S = rnd((size_t)T * T);
	char err[512];
	double best_f = 1e30, best_r = 1e30;
	gpt2_forward(m, ids, B, T, NULL, NULL, logits, err, sizeof err); /* warm up */
	raw_products(c, B, T, w, X, Y, S);
	for (int r = 0; r < reps; r++) {
		double t0 = fs_now();
		if (gpt2_forward(m, ids, B, T, NULL, NULL, logits, err, sizeof err) != 0) {
			fprintf(stderr, "gpt2bench: %s\n", err);
			return 1;
		}
		double t1 = fs_now();
		raw_products(c, B, T, w, X, Y, S);
		double t2 = fs_now();
		if (t1 - t0 < best_f)
			best_f = t1 - t0;
		if (t2 - t1 < best_r)
			best_r = t2 - t1;
	}
	printf("forward_s=%.4f sgemm_s=%.4f ratio=%.3f tokens_per_s=%.0f\n", best_f, best_r, best_r / best_f,
	       R / best_f);
	for (int i = 0; i < 5; i++)
		free(w[i]);
	free(X);
	free(Y);
	free(S);
	free(ids);
	free(logits);
	gpt2_free(m);
	return 0;
}

static int bench_generate(const char *dir, int n)
{
	fs_gpt2 *m = load(dir);
	const gpt2_config *c = gpt2_cfg(m);
	int V = c->vocab_size;
	float *logits = xmalloc(sizeof(float) * (size_t)V);
	int32_t prompt[16];
	for (int i = 0; i < 16; i++)
		prompt[i] = (int32_t)((i * 131u) % (unsigned)V);
	gpt2_cache *cache = gpt2_cache_new(m, 16 + n + 1);
	char err[512];
	size_t bytes = gpt2_weight_bytes(m);
	float *buf = rnd(bytes / sizeof(float));
	double step_best = 1e30, floor_best = 1e30;
	for (int round = 0; round < 3; round++) {
		gpt2_cache_reset(cache);
		if (gpt2_step(m, cache, prompt, 16, NULL, NULL, logits, err, sizeof err) != 0) {
			fprintf(stderr, "gpt2bench: %s\n", err);
			return 1;
		}
		uint64_t rng = 1;
		double t0 = fs_now();
		for (int i = 0; i < n; i++) {
			int32_t t = gpt2_sample(logits, V, 0.8f, 40, &rng);
			if (gpt2_step(m, cache, &t, 1, NULL, NULL, logits, err, sizeof err) != 0) {
				fprintf(stderr, "gpt2bench: %s\n", err);
				return 1;
			}
		}
		double per = (fs_now() - t0) / n;
		if (per < step_best)
			step_best = per;
		/* the floor: every weight byte read once, by every core */
		double fl = membw_read_seconds(buf, bytes, membw_threads(), 1);
		if (fl < floor_best)
			floor_best = fl;
	}
	printf("tokens_per_s=%.1f floor_tokens_per_s=%.1f ratio=%.3f weight_mb=%.0f floor_gb_per_s=%.1f "
	       "floor_threads=%d\n",
	       1 / step_best, 1 / floor_best, floor_best / step_best, bytes / 1e6, bytes / floor_best / 1e9,
	       membw_threads());
	free(buf);
	free(logits);
	gpt2_cache_free(cache);
	gpt2_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "forward"))
		return bench_forward(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "generate"))
		return bench_generate(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: gpt2bench forward MODEL B T REPS | generate MODEL N\n");
	return 2;
}

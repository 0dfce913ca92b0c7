/*
 * hfbench.c: timings for bench/hf.sh on a Hugging Face checkpoint folder
 * run by src/live/arch_hf.c. Prints "key=value" words on one line.
 *
 *   hfbench forward DIR T RUNS
 *       load time and resident memory (VmRSS) after the load; a forward
 *       pass of T tokens with logits, RUNS times (median), and raw sgemm
 *       of that pass's shapes on float32 matrices (every projection of
 *       every block and the logits), interleaved run by run; RSS after.
 *   hfbench serve DIR T
 *       the same, driven by its input so that bench/hf.sh can alternate
 *       it with PyTorch: after the load and a warm pass, "load_s=..
 *       rss_load_mb=.. threads=.. blas_core=.. sbgemm=0|1"; then for each line read, one forward pass and
 *       one raw sgemm pass, "forward_s=.. sgemm_s=.."; at the end of the
 *       input "rss_end_mb=..".
 *   hfbench generate DIR N WEIGHT_BYTES
 *       KV-cached generation of N tokens after an 8-token prompt, each
 *       token followed by the memory-bandwidth floor of one token: as
 *       many threads as the forward pass uses (vm_threads) reading
 *       WEIGHT_BYTES (the bytes a token reads) from a 1 GiB buffer
 *       (bench/membw.c), so that both see the same load; tokens/s of the
 *       median, the 99th percentile, the slowest and the fastest token
 *       and of the floor's, and the ratio of the medians.
 */
#define _GNU_SOURCE
#include "nn/blas.h"
#include "core/util.h"
#include "nn/vmath.h"
#include "live/live.h"
#include "bench/membw.h"

#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long long rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atoll(line + 6);
	if (f)
		fclose(f);
	return kb * 1024;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int geti(json_t *o, const char *k, int d)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (int)json_integer_value(v) : d;
}

/* The projections of one pass of T tokens from config.json: (out, in)
 * pairs, count times each; the time of sgemm on them. */
static double sgemm_pass(const char *dir, int T)
{
	static float *A, *W, *C;
	char *p = xasprintf("%s/config.json", dir);
	json_t *o = json_load_file(p, 0, NULL);
	free(p);
	if (!o)
		return -1;
	int d = geti(o, "hidden_size", 0), ff = geti(o, "intermediate_size", 0), L = geti(o, "num_hidden_layers", 0);
	int H = geti(o, "num_attention_heads", 1), Hkv = geti(o, "num_key_value_heads", H);
	int hd = geti(o, "head_dim", d / H), V = geti(o, "vocab_size", 0);
	json_t *mt = json_object_get(o, "model_type");
	int glu = !(json_is_string(mt) && !strcmp(json_string_value(mt), "gpt_neox"));
	json_decref(o);
	size_t wide = (size_t)(ff > d ? ff : d);
	if ((size_t)H * hd > wide)
		wide = (size_t)H * hd;
	if (!A) {
		A = xcalloc((size_t)T * wide, sizeof(float));
		W = xcalloc(wide * (wide > 8192 ? wide : 8192), sizeof(float));
		C = xcalloc((size_t)T * (wide > 8192 ? wide : 8192), sizeof(float));
	}
	int shapes[][3] = {{H * hd, d, 1}, {Hkv * hd, d, 2}, {d, H * hd, 1}, {ff, d, glu ? 2 : 1}, {d, ff, 1}};
	double t0 = now();
	for (int l = 0; l < L; l++)
		for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
			for (int k = 0; k < shapes[s][2]; k++)
				blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, shapes[s][0], shapes[s][1], 1.0f, A,
					 shapes[s][1], W, shapes[s][1], 0.0f, C, shapes[s][0]);
	/* the logits: in slices of at most 8192 rows of the head */
	for (int r0 = 0; r0 < V; r0 += 8192) {
		int n = V - r0 < 8192 ? V - r0 : 8192;
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, n, d, 1.0f, A, d, W, d, 0.0f, C, n);
	}
	return now() - t0;
}

/* A loaded model with T (cut to its context) fixed token ids and room for
 * their logits, after one warm-up pass; its load time and the resident
 * memory after the load. NULL (the message printed) when it does not load. */
typedef struct {
	live_model *m;
	int T, *ids;
	float *lg;
	double load_s;
	long long rss_load;
} bench_model;

static live_model *bench_load(const char *dir, int T, bench_model *b)
{
	double t0 = now();
	char err[1024];
	live_model *m = live_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	b->m = m;
	b->load_s = now() - t0;
	b->rss_load = rss();
	b->T = T > m->ctx ? m->ctx : T;
	b->ids = xmalloc(sizeof(int) * (size_t)b->T);
	for (int i = 0; i < b->T; i++)
		b->ids[i] = (i * 7919 + 11) % m->vocab;
	b->lg = xmalloc(sizeof(float) * (size_t)b->T * m->vocab);
	live_forward(m, b->ids, b->T, NULL, b->lg); /* warm */
	return m;
}

static void bench_free(bench_model *b)
{
	free(b->lg);
	free(b->ids);
	live_free(b->m);
}

static int forward(const char *dir, int T, int runs)
{
	bench_model b;
	live_model *m = bench_load(dir, T, &b);
	if (!m)
		return 2;
	T = b.T;
	int *ids = b.ids;
	float *lg = b.lg;
	double load_s = b.load_s;
	long long rss_load = b.rss_load;
	double *tf = xmalloc(sizeof(double) * (size_t)runs), *ts = xmalloc(sizeof(double) * (size_t)runs);
	for (int r = 0; r < runs; r++) {
		double a = now();
		live_forward(m, ids, T, NULL, lg);
		tf[r] = now() - a;
		ts[r] = sgemm_pass(dir, T);
	}
	long long rss_end = rss();
	qsort(tf, (size_t)runs, sizeof *tf, cmp_d);
	qsort(ts, (size_t)runs, sizeof *ts, cmp_d);
	printf("load_s=%.3f rss_load_mb=%lld forward_s=%.4f tokens_per_s=%.1f sgemm_s=%.4f ratio=%.2f rss_end_mb=%lld "
	       "threads=%d\n",
	       load_s, rss_load >> 20, tf[runs / 2], T / tf[runs / 2], ts[runs / 2], ts[runs / 2] / tf[runs / 2],
	       rss_end >> 20, vm_threads());
	free(tf);
	free(ts);
	bench_free(&b);
	return 0;
}

/* Seconds for the threads to read bytes from buf (of size n, larger than
 * the caches), in passes of at most n (bench/membw.c). */
static double floor_read(const char *buf, size_t n, double bytes)
{
	double t = 0;
	for (double left = bytes; left >= 32; left -= (double)n) {
		size_t k = left < (double)n ? (size_t)left : n;
		t += membw_read_seconds(buf, k, membw_threads(), 1);
	}
	return t;
}

/* p-th percentile of sorted x[n] (nearest rank). */
static double pct(const double *x, int n, double p)
{
	int i = (int)(p / 100.0 * n + 0.999999) - 1;
	return x[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int generate(const char *dir, int n, double wbytes)
{
	char err[1024];
	live_model *m = live_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (n > m->ctx - 9)
		n = m->ctx - 9;
	if (n < 1)
		n = 1;
	int ids[8];
	for (int i = 0; i < 8; i++)
		ids[i] = (i * 131 + 7) % m->vocab;
	float *lg = xmalloc(sizeof(float) * (size_t)8 * m->vocab);
	size_t bn = (size_t)1 << 30; /* 1 GiB */
	char *buf = xmalloc(bn);
	memset(buf, 1, bn);
	live_forward(m, ids, 8, NULL, lg);
	double *tt = xmalloc(sizeof(double) * (size_t)n), *tf = xmalloc(sizeof(double) * (size_t)n);
	int tok = 1;
	for (int i = 0; i < n; i++) {
		double a = now();
		live_step(m, tok, NULL, lg);
		tt[i] = now() - a;
		tok = (tok * 17 + 3) % m->vocab;
		tf[i] = floor_read(buf, bn, wbytes);
	}
	qsort(tt, (size_t)n, sizeof *tt, cmp_d);
	qsort(tf, (size_t)n, sizeof *tf, cmp_d);
	double t50 = pct(tt, n, 50), f50 = pct(tf, n, 50);
	printf("tokens_per_s=%.2f tokens_per_s_p99=%.2f tokens_per_s_min=%.2f tokens_per_s_max=%.2f bandwidth_gbs=%.2f "
	       "weight_mb=%.0f floor_tokens_per_s=%.2f floor_tokens_per_s_p99=%.2f floor_tokens_per_s_min=%.2f "
	       "ratio=%.2f\n",
	       1 / t50, 1 / pct(tt, n, 99), 1 / tt[n - 1], 1 / tt[0], wbytes / f50 / 1e9, wbytes / 1048576, 1 / f50,
	       1 / pct(tf, n, 99), 1 / tf[n - 1], f50 / t50);
	free(tt);
	free(tf);
	free(buf);
	free(lg);
	live_free(m);
	return 0;
}

/* The OpenBLAS the products loaded: its kernels ("blas_core", from
 * openblas_get_corename) and whether it has cblas_sbgemm (bf16 inputs, f32
 * out; only in builds with BUILD_BFLOAT16), "sbgemm=1" or 0. */
static void blas_info(void)
{
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
	void *cn = h ? dlsym(h, "openblas_get_corename") : NULL;
	char *(*corename)(void) = NULL;
	if (cn)
		memcpy(&corename, &cn, sizeof cn);
	printf(" blas_core=%s sbgemm=%d", corename ? corename() : "unknown", h && dlsym(h, "cblas_sbgemm") ? 1 : 0);
	if (h)
		dlclose(h);
}

/* One forward pass and one raw sgemm pass per line of input. */
static int serve(const char *dir, int T)
{
	char line[64];
	bench_model b;
	live_model *m = bench_load(dir, T, &b);
	if (!m)
		return 2;
	T = b.T;
	sgemm_pass(dir, T);
	printf("load_s=%.3f rss_load_mb=%lld threads=%d", b.load_s, b.rss_load >> 20, vm_threads());
	blas_info();
	printf("\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		double a = now();
		live_forward(m, b.ids, T, NULL, b.lg);
		double f = now() - a;
		printf("forward_s=%.4f sgemm_s=%.4f\n", f, sgemm_pass(dir, T));
		fflush(stdout);
	}
	printf("rss_end_mb=%lld\n", rss() >> 20);
	bench_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "forward"))
		return forward(argv[2], atoi(argv[3]), atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "generate"))
		return generate(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: hfbench forward DIR T RUNS | hfbench serve DIR T | hfbench generate DIR N WEIGHT_BYTES\n");
	return 2;
}

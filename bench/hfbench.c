/*
 * hfbench.c: timings for bench/hf.sh on a Hugging Face checkpoint folder
 * run by src/live/arch_hf.c. Prints "key=value" words on one line.
 *
 *   hfbench forward DIR T RUNS
 *       load time and resident memory (VmRSS) after the load; a forward
 *       pass of T tokens with logits, RUNS times (median), and raw sgemm
 *       of that pass's shapes on float32 matrices (every projection of
 *       every block and the logits), interleaved run by run; RSS after.
 *   hfbench generate DIR N WEIGHT_BYTES
 *       KV-cached generation of N tokens after an 8-token prompt
 *       (tokens/s), next to the memory-bandwidth floor: as many threads
 *       as the forward pass uses (vm_threads) reading a 1 GiB buffer
 *       (bench/membw.c), bytes/s, divided by the bytes a token reads
 *       (WEIGHT_BYTES).
 */
#define _GNU_SOURCE
#include "nn/blas.h"
#include "core/util.h"
#include "nn/vmath.h"
#include "live/live.h"
#include "bench/membw.h"

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

static int forward(const char *dir, int T, int runs)
{
	double t0 = now();
	char err[1024];
	live_model *m = live_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	double load_s = now() - t0;
	long long rss_load = rss();
	if (T > m->ctx)
		T = m->ctx;
	int *ids = xmalloc(sizeof(int) * (size_t)T);
	for (int i = 0; i < T; i++)
		ids[i] = (i * 7919 + 11) % m->vocab;
	float *lg = xmalloc(sizeof(float) * (size_t)T * m->vocab);
	double *tf = xmalloc(sizeof(double) * (size_t)runs), *ts = xmalloc(sizeof(double) * (size_t)runs);
	live_forward(m, ids, T, NULL, lg); /* warm */
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
	free(lg);
	free(ids);
	live_free(m);
	return 0;
}

/* Bytes per second of the threads reading a buffer larger than caches
 * (bench/membw.c). */
static double bandwidth(void)
{
	size_t n = (size_t)1 << 30; /* 1 GiB */
	char *buf = xmalloc(n);
	memset(buf, 1, n);
	double t = membw_read_seconds(buf, n, membw_threads(), 5);
	free(buf);
	return (double)n / t;
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
	int ids[8];
	for (int i = 0; i < 8; i++)
		ids[i] = (i * 131 + 7) % m->vocab;
	float *lg = xmalloc(sizeof(float) * (size_t)8 * m->vocab);
	live_forward(m, ids, 8, NULL, lg);
	double a = now();
	int tok = 1;
	for (int i = 0; i < n; i++) {
		live_step(m, tok, NULL, lg);
		tok = (tok * 17 + 3) % m->vocab;
	}
	double t = now() - a;
	double bw = bandwidth();
	printf("tokens_per_s=%.2f bandwidth_gbs=%.2f weight_mb=%.0f floor_tokens_per_s=%.2f ratio=%.2f\n", n / t,
	       bw / 1e9, wbytes / 1048576, bw / wbytes, (n / t) / (bw / wbytes));
	free(lg);
	live_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "forward"))
		return forward(argv[2], atoi(argv[3]), atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	if (argc == 5 && !strcmp(argv[1], "generate"))
		return generate(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: hfbench forward DIR T RUNS | hfbench generate DIR N WEIGHT_BYTES\n");
	return 2;
}

/*
 * livebench.c: timings for bench/live.sh. On an index with a model
 * attached: the analysis of a text of N bytes (tokenize, the forward
 * passes in windows with the dictionary's hook, the SAE encoding: what
 * `featscope analyze` computes before it prints), and, interleaved with
 * it run by run, the raw sgemm calls of the same shapes on the same
 * library (every matrix product of those forward passes and the encoder).
 * Then generation speed, plain and with one feature clamped.
 * Prints "key value" lines: medians, minima and maxima in milliseconds.
 *
 *   livebench INDEX [BYTES [RUNS]]
 */
#define _GNU_SOURCE
#include "nn/blas.h"
#include "core/util.h"
#include "index/index.h"
#include "live/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU seconds of the whole process (every thread): on a shared machine
 * the figure that contention does not inflate. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One product's shape. */
typedef struct {
	int m, n, k;     /* C[m][n] = A[m][k] B[k][n] */
	int tb;          /* B given as [n][k] (the encoder's W_enc) */
} shape;

static int add_shape(shape **v, int *nv, int m, int n, int k)
{
	*v = xrealloc(*v, (size_t)(*nv + 1) * sizeof **v);
	(*v)[(*nv)++] = (shape){m, n, k, 0};
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: livebench INDEX [BYTES [RUNS]]\n");
		return 2;
	}
	int want = argc > 2 ? atoi(argv[2]) : 1000, runs = argc > 3 ? atoi(argv[3]) : 15;
	char err[1024];
	fs_index *ix = index_open(argv[1], err, sizeof err);
	live_session ls;
	if (!ix || live_session_open(&ls, ix, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "livebench: %s\n", err);
		return 2;
	}
	/* the text: stored contexts, one after another, cut at `want` bytes */
	fs_buf text = {0};
	for (int64_t c = 1; (int)text.len < want && c <= index_n_contexts(ix); c += 97) {
		fs_context ctx;
		if (index_context(ix, c, &ctx) == 0) {
			buf_add(&text, ctx.text, (size_t)ctx.len);
			index_context_free(&ctx);
		}
	}
	if ((int)text.len > want)
		text.len = (size_t)want;
	live_model *m = ls.model;
	live_sae *s = ls.sae;
	int D = m->d_model, hd = D / 4, kenc = s->act == LIVE_SAE_TOPK ? s->k : 64;
	/* the shapes of the analysis's products */
	shape *sh = NULL;
	int nsh = 0, T = (int)text.len;
	for (int st = 0;;) {
		int e = st + m->ctx < T ? st + m->ctx : T, n = e - st;
		for (int l = 0; l < m->n_layer; l++) {
			add_shape(&sh, &nsh, n, 3 * D, D);
			for (int h = 0; h < 4; h++) {
				add_shape(&sh, &nsh, n, n, hd);
				add_shape(&sh, &nsh, n, hd, n);
			}
			add_shape(&sh, &nsh, n, D, D);
			add_shape(&sh, &nsh, n, 4 * D, D);
			add_shape(&sh, &nsh, n, D, 4 * D);
		}
		add_shape(&sh, &nsh, n, m->vocab, D);
		if (e == T)
			break;
		st = e - m->ctx / 2;
	}
	add_shape(&sh, &nsh, T, s->n_feat, s->d_in);
	sh[nsh - 1].tb = 1;
	size_t big = (size_t)T * (s->n_feat > s->d_in ? s->n_feat : s->d_in);
	if (big < (size_t)s->n_feat * s->d_in)
		big = (size_t)s->n_feat * s->d_in;
	float *A = xcalloc(big, sizeof(float)), *B = xcalloc(big, sizeof(float)), *C = xcalloc(big, sizeof(float));
	for (size_t i = 0; i < big; i++)
		A[i] = B[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;

	double *ta = xmalloc((size_t)runs * sizeof(double)), *tr = xmalloc((size_t)runs * sizeof(double));
	double *ca = xmalloc((size_t)runs * sizeof(double)), *cr = xmalloc((size_t)runs * sizeof(double));
	float *rows = xmalloc((size_t)T * s->d_in * sizeof(float)), *loss = xmalloc((size_t)T * sizeof(float));
	int *idx = xmalloc((size_t)T * kenc * sizeof(int));
	float *val = xmalloc((size_t)T * kenc * sizeof(float));
	for (int r = -1; r < runs; r++) { /* run -1 warms up */
		double t0 = fs_now(), c0 = cpu_now();
		int *ids;
		uint32_t *off;
		int n = live_tokenize(m, text.p, text.len, &ids, &off);
		live_run_windows(m, ids, n, s->hook, NULL, rows, loss);
		live_sae_encode(s, rows, n, kenc, idx, val);
		free(ids);
		free(off);
		double t1 = fs_now(), c1 = cpu_now();
		for (int i = 0; i < nsh; i++)
			blas_sgemm(CblasRowMajor, CblasNoTrans, sh[i].tb ? CblasTrans : CblasNoTrans, sh[i].m,
				 sh[i].n, sh[i].k, 1.0f, A, sh[i].k, B, sh[i].tb ? sh[i].k : sh[i].n, 0.0f, C,
				 sh[i].n);
		double t2 = fs_now(), c2 = cpu_now();
		if (r >= 0) {
			ta[r] = (t1 - t0) * 1e3;
			tr[r] = (t2 - t1) * 1e3;
			ca[r] = (c1 - c0) * 1e3;
			cr[r] = (c2 - c1) * 1e3;
		}
	}
	double ratio_med;
	{
		double *q = xmalloc((size_t)runs * sizeof(double));
		for (int r = 0; r < runs; r++)
			q[r] = ta[r] / tr[r];
		qsort(q, (size_t)runs, sizeof *q, cmp_d);
		ratio_med = q[runs / 2];
		free(q);
	}
	double cratio;
	{
		double *q = xmalloc((size_t)runs * sizeof(double));
		for (int r = 0; r < runs; r++)
			q[r] = ca[r] / cr[r];
		qsort(q, (size_t)runs, sizeof *q, cmp_d);
		cratio = q[runs / 2];
		free(q);
	}
	qsort(ca, (size_t)runs, sizeof *ca, cmp_d);
	qsort(cr, (size_t)runs, sizeof *cr, cmp_d);
	qsort(ta, (size_t)runs, sizeof *ta, cmp_d);
	qsort(tr, (size_t)runs, sizeof *tr, cmp_d);
	printf("analyze_bytes %d\nanalyze_tokens %d\nanalyze_windows_products %d\n", T, T, nsh);
	printf("analyze_ms %.3f %.3f %.3f\n", ta[runs / 2], ta[0], ta[runs - 1]);
	printf("sgemm_same_shapes_ms %.3f %.3f %.3f\n", tr[runs / 2], tr[0], tr[runs - 1]);
	printf("analyze_over_sgemm %.3f\n", ratio_med);
	printf("analyze_cpu_ms %.3f %.3f %.3f\n", ca[runs / 2], ca[0], ca[runs - 1]);
	printf("sgemm_same_shapes_cpu_ms %.3f %.3f %.3f\n", cr[runs / 2], cr[0], cr[runs - 1]);
	printf("analyze_over_sgemm_cpu %.3f\n", cratio);

	/* generation: 200 tokens, plain and with feature 0 clamped to 5 */
	int *pids;
	uint32_t *poff;
	int np = live_tokenize(m, "The meaning of life is ", 23, &pids, &poff);
	int *out = xmalloc(200 * sizeof(int));
	live_steer_term term = {0, 5.0f};
	live_steer st = {s, LIVE_CLAMP, &term, 1, NULL, 0};
	live_hook hk = live_steer_as_hook(&st);
	for (int k = 0; k < 2; k++) {
		double best = 1e30;
		for (int r = 0; r < 3; r++) {
			live_sampler sp;
			live_sampler_init(&sp, 1 + (uint64_t)r, 0.8f);
			double t0 = fs_now();
			int n = live_generate(m, pids, np, 200, k ? &hk : NULL, &sp, out, NULL);
			double dt = fs_now() - t0;
			if (n == 200 && dt < best)
				best = dt;
		}
		printf("%s %.0f\n", k ? "generate_steered_tokens_per_s" : "generate_tokens_per_s", 200 / best);
	}
	free(out);
	free(pids);
	free(poff);
	free(rows);
	free(loss);
	free(idx);
	free(val);
	free(ta);
	free(tr);
	free(ca);
	free(cr);
	free(A);
	free(B);
	free(C);
	free(sh);
	buf_free(&text);
	live_session_close(&ls);
	index_close(ix);
	return 0;
}

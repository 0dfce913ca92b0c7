/*
 * cmpbench.c: the helper program of bench/compare.sh. Times, interleaved
 * in one process so both see the same load, the matching of featscope
 * compare (cmp_match_run: normalising both decoders, exact top-k both
 * ways from one pass of blocked products, mutual pairs, the random and
 * shuffled baselines) and its peer, one raw sgemm of the same shape
 * (NA x NB x D, through the same OpenBLAS), on planted decoders: B's rows
 * are random directions, A's rows noisy copies of them (row i of B row i % NB).
 * Prints per run "raw_s=... match_s=... ratio=..." (ratio: raw / match,
 * the pair timed back to back) and at the end the medians, and the
 * median, lowest and highest of the per-run ratios.
 * CMP_BLOCK=N sets the rows per product block (knn's default otherwise).
 * Usage: cmpbench NA NB D RUNS
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "nn/blas.h"
#include "core/util.h"
#include "geom/knn.h"

static float gauss(uint64_t *s)
{
	double u1 = knn_randu(s) + 1e-12, u2 = knn_randu(s);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: cmpbench NA NB D RUNS\n");
		return 2;
	}
	int64_t na = atoll(argv[1]), nb = atoll(argv[2]);
	int d = atoi(argv[3]), runs = atoi(argv[4]);
	if (na < 1 || nb < 1 || d < 1 || runs < 1 || runs > 100) {
		fprintf(stderr, "cmpbench: bad sizes\n");
		return 2;
	}
	uint64_t s = 7;
	float *A = xmalloc((size_t)na * d * sizeof *A), *B = xmalloc((size_t)nb * d * sizeof *B);
	for (int64_t i = 0; i < nb * d; i++)
		B[i] = gauss(&s);
	/* the wide side A (na rows) splits B's directions: row i is a noisy
	 * copy of B row i % nb */
	for (int64_t i = 0; i < na; i++)
		for (int j = 0; j < d; j++)
			A[i * d + j] = B[(i % nb) * d + j] + 0.4f * gauss(&s);
	float *C = xmalloc((size_t)na * (size_t)nb * sizeof *C);
	double *rt = xmalloc((size_t)runs * sizeof *rt), *mt = xmalloc((size_t)runs * sizeof *mt);
	double *qt = xmalloc((size_t)runs * sizeof *qt); /* per run: raw / match */
	cmp_opts o;
	cmp_opts_init(&o);
	if (getenv("CMP_BLOCK"))
		o.block = atoi(getenv("CMP_BLOCK"));
	/* warm up: load OpenBLAS, start its threads, touch C */
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, d, 1.0f, A, d, B, d, 0.0f, C, (int)nb);
	int64_t mutual = 0;
	for (int r = 0; r < runs; r++) {
		double t0 = fs_now();
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, d, 1.0f, A, d, B, d, 0.0f,
			 C, (int)nb);
		double t1 = fs_now();
		cmp_match m;
		char err[256];
		if (cmp_match_run(A, na, B, nb, d, &o, &m, err, sizeof err) != 0) {
			fprintf(stderr, "cmpbench: %s\n", err);
			return 1;
		}
		double t2 = fs_now();
		mutual = m.n_mutual;
		cmp_match_free(&m);
		rt[r] = t1 - t0;
		mt[r] = t2 - t1;
		qt[r] = rt[r] / mt[r];
		printf("run=%d raw_s=%.4f match_s=%.4f ratio=%.3f\n", r + 1, rt[r], mt[r], qt[r]);
	}
	double minr = rt[0], maxr = rt[0], minm = mt[0], maxm = mt[0];
	for (int r = 1; r < runs; r++) {
		minr = fmin(minr, rt[r]);
		maxr = fmax(maxr, rt[r]);
		minm = fmin(minm, mt[r]);
		maxm = fmax(maxm, mt[r]);
	}
	qsort(rt, (size_t)runs, sizeof *rt, cmp_d);
	qsort(mt, (size_t)runs, sizeof *mt, cmp_d);
	qsort(qt, (size_t)runs, sizeof *qt, cmp_d);
	double gf = 2.0 * (double)na * (double)nb * d / 1e9;
	printf("raw_med=%.4f raw_min=%.4f raw_max=%.4f match_med=%.4f match_min=%.4f match_max=%.4f"
	       " gflop=%.2f mutual=%lld ratio_med=%.3f ratio_min=%.3f ratio_max=%.3f\n", rt[runs / 2], minr,
	       maxr, mt[runs / 2], minm, maxm, gf, (long long)mutual, qt[runs / 2], qt[0], qt[runs - 1]);
	free(A);
	free(B);
	free(C);
	free(rt);
	free(mt);
	free(qt);
	return 0;
}

/*
 * knnbench.c: the helper program of bench/knn.sh. Each mode prints one
 * line of "key=value" figures:
 *   knnbench sgemm N K REPS     raw cblas_sgemm GFLOP/s at N x N x K
 *   knnbench exact N D K [BLOCK [noapprox]]  exact top-K within N random
 *                               unit rows, then the same sgemm blocks alone
 *                               (no selection), then the IVF mode's recall
 *   knnbench approx N D K       IVF top-K on clustered rows, with the
 *                               exact search as reference (recall@10)
 *   knnbench tree N D           concept tree and map times on clustered rows
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/cluster.h"
#include "geom/knn.h"
#include "geom/feature_map.h"
#include "core/util.h"

/* Random unit rows (Gaussian entries). */
static float *random_rows(int64_t n, int d, uint64_t seed)
{
	float *X = xmalloc((size_t)n * d * sizeof *X);
	uint64_t s = seed;
	for (int64_t i = 0; i < n * d; i += 2) {
		double u1 = knn_randu(&s) + 1e-12, u2 = knn_randu(&s);
		double r = sqrt(-2 * log(u1));
		X[i] = (float)(r * cos(2 * M_PI * u2));
		if (i + 1 < n * d)
			X[i + 1] = (float)(r * sin(2 * M_PI * u2));
	}
	return X;
}

/* Clustered rows, a stand-in for a decoder with structure: n/16 random
 * directions, each row one of them (weight 0.7 to 2) plus Gaussian noise,
 * so cosines inside a group spread between about 0.3 and 0.8. */
static float *clustered_rows(int64_t n, int d, uint64_t seed)
{
	int64_t g = n / 16 > 0 ? n / 16 : 1;
	float *P = random_rows(g, d, seed);
	float *X = random_rows(n, d, seed + 1);
	uint64_t s = seed + 2;
	for (int64_t i = 0; i < n; i++) {
		int64_t p = (int64_t)(knn_randu(&s) * g);
		double w = 0.7 + 1.3 * knn_randu(&s);
		for (int j = 0; j < d; j++)
			X[i * d + j] = (float)(w * P[p * d + j] + X[i * d + j]);
	}
	free(P);
	return X;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "sgemm")) {
		int n = atoi(argv[2]), k = atoi(argv[3]), reps = atoi(argv[4]);
		float *A = random_rows(n, k, 1), *B = random_rows(n, k, 2);
		float *C = xmalloc((size_t)n * n * sizeof *C);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, k, 1, A, k, B, k, 0, C, n);
		double best = 1e30;
		for (int r = 0; r < reps; r++) {
			double t = fs_now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, k, 1, A, k, B, k, 0, C, n);
			t = fs_now() - t;
			if (t < best)
				best = t;
		}
		printf("sgemm_gflops=%.1f threads=%d\n", 2.0 * n * n * k / best / 1e9,
		       openblas_get_num_threads());
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "exact")) {
		int64_t n = atoll(argv[2]);
		int d = atoi(argv[3]), k = atoi(argv[4]);
		knn_opts o = {0};
		if (argc >= 6)
			o.block = atoi(argv[5]);
		float *W = random_rows(n, d, 7);
		float *X = knn_normalize(W, n, d, NULL);
		free(W);
		knn_result r, ap;
		double t = fs_now();
		knn_exact_self(X, n, d, k, &o, &r);
		t = fs_now() - t;
		/* the flops of one triangle: n^2/2 products of 2d flops each */
		double fl = (double)n * n * d;
		/* under the same load: the products of the upper triangle in
		 * OpenBLAS-threaded 1024 x 4096 sgemm calls, with no selection
		 * (the exact search runs one-threaded 512 x 2048 tiles per core) */
		double tp = fs_now();
		{
			int64_t R = 1024, Wd = 4096;
			float *C = xmalloc((size_t)R * Wd * sizeof *C);
			for (int64_t r0 = 0; r0 < n; r0 += R)
				for (int64_t c0 = r0; c0 < n; c0 += Wd) {
					int bi = (int)(n - r0 < R ? n - r0 : R);
					int bj = (int)(n - c0 < Wd ? n - c0 : Wd);
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d, 1,
						    X + r0 * d, d, X + c0 * d, d, 0, C, bj);
				}
			free(C);
		}
		tp = fs_now() - tp;
		knn_ivf_opts io = {.seed = 3};
		double ta = fs_now();
		if (argc >= 7 && !strcmp(argv[6], "noapprox"))
			knn_result_init(&ap, n, k);
		else
			knn_ivf(X, n, X, n, d, k, &io, &ap);
		ta = fs_now() - ta;
		printf("exact_s=%.2f exact_gflops=%.1f plain_s=%.2f plain_gflops=%.1f "
		       "random_approx_s=%.2f random_recall10=%.4f\n",
		       t, fl / t / 1e9, tp, fl / tp / 1e9, ta, knn_recall(&ap, &r, 10));
		knn_result_free(&r);
		knn_result_free(&ap);
		free(X);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "approx")) {
		int64_t n = atoll(argv[2]);
		int d = atoi(argv[3]), k = atoi(argv[4]);
		knn_ivf_opts io = {0};
		if (argc >= 6)
			io.nprobe = atoi(argv[5]);
		if (argc >= 7)
			io.nlist = atoi(argv[6]);
		io.seed = 3;
		float *W = clustered_rows(n, d, 11);
		float *X = knn_normalize(W, n, d, NULL);
		free(W);
		knn_result ex, ap;
		double t = fs_now();
		knn_exact_self(X, n, d, k, NULL, &ex);
		double te = fs_now() - t;
		t = fs_now();
		knn_ivf(X, n, X, n, d, k, &io, &ap);
		double ta = fs_now() - t;
		printf("clustered_exact_s=%.2f approx_s=%.2f recall10=%.4f\n", te, ta,
		       knn_recall(&ap, &ex, 10));
		knn_result_free(&ex);
		knn_result_free(&ap);
		free(X);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "tree")) {
		int64_t n = atoll(argv[2]);
		int d = atoi(argv[3]);
		float *W = clustered_rows(n, d, 11);
		float *X = knn_normalize(W, n, d, NULL);
		free(W);
		knn_result r;
		knn_exact_self(X, n, d, 15, NULL, &r);
		cluster_tree t;
		double t0 = fs_now();
		cluster_build(X, n, d, NULL, NULL, &t);
		double tc = fs_now() - t0;
		float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
		t0 = fs_now();
		feature_map_init_tree(&t, 1, xy);
		feature_map_layout(&r, NULL, 1, xy);
		double tm = fs_now() - t0;
		int maxd = 0;
		for (int64_t i = 0; i < t.n_nodes; i++)
			if (t.nodes[i].depth > maxd)
				maxd = t.nodes[i].depth;
		printf("tree_s=%.2f nodes=%lld depth=%d map_s=%.2f\n", tc, (long long)t.n_nodes, maxd + 1, tm);
		cluster_tree_free(&t);
		knn_result_free(&r);
		free(xy);
		free(X);
		return 0;
	}
	fprintf(stderr, "usage: knnbench sgemm N K REPS | exact N D K [BLOCK] | approx N D K [NPROBE [NLIST]] | tree N D\n");
	return 2;
}

/*
 * knn_kmeans.c: the spherical k-means (see knn.h: knn_kmeans) of the
 * concept tree and of the approximate search's lists: seeded k-means++
 * starts, assignments by blocked products.
 */
#include "geom/knn_int.h"

#include "nn/blas.h"
#include "core/topk.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* -------------------------------------------------- spherical k-means */

/* Best centroid of every row of X (ties: lowest centroid); best[i] gets
 * its cosine. Returns how many assignments changed. */
int64_t knn_kmeans_assign(const float *X, int64_t n, int d, const float *cent,
			     int nc, int32_t *assign, float *best)
{
	int64_t rb = 262144 / nc;
	if (rb < 64)
		rb = 64;
	if (rb > n)
		rb = n;
	float *S = xmalloc((size_t)rb * (size_t)nc * sizeof *S);
	int64_t changed = 0;
	for (int64_t r0 = 0; r0 < n; r0 += rb) {
		int bi = (int)(n - r0 < rb ? n - r0 : rb);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, nc, d, 1.0f,
			    X + r0 * d, d, cent, d, 0.0f, S, nc);
		for (int i = 0; i < bi; i++) {
			const float *s = S + (size_t)i * nc;
			int b = 0;
			for (int c = 1; c < nc; c++)
				if (s[c] > s[b])
					b = c;
			if (assign[r0 + i] != b)
				changed++;
			assign[r0 + i] = b;
			best[r0 + i] = s[b];
		}
	}
	free(S);
	return changed;
}

static void unit_row(float *x, int d)
{
	double ss = 0;
	for (int j = 0; j < d; j++)
		ss += (double)x[j] * x[j];
	if (ss > 0) {
		float s = (float)(1.0 / sqrt(ss));
		for (int j = 0; j < d; j++)
			x[j] *= s;
	}
}

int knn_kmeans(const float *X, int64_t n, int d, int nc, int iters, uint64_t seed,
	       float *cent, int32_t *assign)
{
	if (n < 1 || nc < 1)
		return -1;
	uint64_t rng = seed ^ 0x5eed0f5eedull;
	float *best = xmalloc((size_t)n * sizeof *best);
	if (nc <= 64) {
		/* k-means++: each new centre drawn with weight 1 - (best cosine) */
		int64_t first = (int64_t)(knn_randu(&rng) * (double)n);
		memcpy(cent, X + first * d, (size_t)d * sizeof *cent);
		float *sim = xmalloc((size_t)n * sizeof *sim);
		for (int64_t i = 0; i < n; i++)
			best[i] = -1.0f;
		for (int c = 0; c < nc; c++) {
			if (c > 0) {
				double tot = 0;
				for (int64_t i = 0; i < n; i++)
					tot += 1.0 - best[i];
				int64_t pick = n - 1;
				if (tot > 0) {
					double u = knn_randu(&rng) * tot, acc = 0;
					for (int64_t i = 0; i < n; i++) {
						acc += 1.0 - best[i];
						if (acc > u) {
							pick = i;
							break;
						}
					}
				} else {
					pick = c % n;
				}
				memcpy(cent + (size_t)c * d, X + pick * d, (size_t)d * sizeof *cent);
			}
			blas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, d, 1.0f, X, d,
				    cent + (size_t)c * d, 1, 0.0f, sim, 1);
			for (int64_t i = 0; i < n; i++)
				if (sim[i] > best[i])
					best[i] = sim[i];
		}
		free(sim);
	} else {
		/* distinct rows drawn by a partial Fisher-Yates shuffle */
		int64_t *perm = xmalloc((size_t)n * sizeof *perm);
		for (int64_t i = 0; i < n; i++)
			perm[i] = i;
		for (int c = 0; c < nc; c++) {
			int64_t pick;
			if (c < n) {
				int64_t j = c + (int64_t)(knn_randu(&rng) * (double)(n - c));
				int64_t t = perm[c];
				perm[c] = perm[j];
				perm[j] = t;
				pick = perm[c];
			} else {
				pick = c % n;
			}
			memcpy(cent + (size_t)c * d, X + pick * d, (size_t)d * sizeof *cent);
		}
		free(perm);
	}
	for (int64_t i = 0; i < n; i++)
		assign[i] = -1;
	knn_kmeans_assign(X, n, d, cent, nc, assign, best);
	double *sum = xmalloc((size_t)nc * (size_t)d * sizeof *sum);
	int64_t *cnt = xmalloc((size_t)nc * sizeof *cnt);
	for (int it = 0; it < iters; it++) {
		memset(sum, 0, (size_t)nc * (size_t)d * sizeof *sum);
		memset(cnt, 0, (size_t)nc * sizeof *cnt);
		for (int64_t i = 0; i < n; i++) {
			double *s = sum + (size_t)assign[i] * d;
			const float *x = X + i * d;
			for (int j = 0; j < d; j++)
				s[j] += x[j];
			cnt[assign[i]]++;
		}
		for (int c = 0; c < nc; c++) {
			float *ce = cent + (size_t)c * d;
			if (cnt[c] == 0) {
				/* empty: restart it at the row worst served by its
				 * centre, taken from a cluster with others left */
				int64_t w = -1;
				for (int64_t i = 0; i < n; i++)
					if (cnt[assign[i]] > 1 && (w < 0 || best[i] < best[w]))
						w = i;
				if (w >= 0) {
					memcpy(ce, X + w * d, (size_t)d * sizeof *ce);
					cnt[assign[w]]--;
					cnt[c] = 1;
					best[w] = 1.0f;
					assign[w] = c;
				}
				continue;
			}
			double ss = 0;
			const double *s = sum + (size_t)c * d;
			for (int j = 0; j < d; j++)
				ss += s[j] * s[j];
			if (ss <= 0)
				continue;
			double sc = 1.0 / sqrt(ss);
			for (int j = 0; j < d; j++)
				ce[j] = (float)(s[j] * sc);
		}
		/* stop once (almost) nothing moves */
		if (knn_kmeans_assign(X, n, d, cent, nc, assign, best) * 1000 <= n)
			break;
	}
	for (int c = 0; c < nc; c++)
		unit_row(cent + (size_t)c * d, d);
	free(sum);
	free(cnt);
	free(best);
	return 0;
}

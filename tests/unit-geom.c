/*
 * unit-geom.c: tests of the decoder geometry: exact top-k against a
 * brute-force reference (within and across dictionaries, ties, self
 * exclusion, sizes that do not fill a block), planted near-duplicates,
 * the approximate mode's recall, the concept tree on planted groups and
 * the 2D map's separation of planted groups. Deterministic (seeded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/cluster.h"
#include "geom/knn.h"
#include "geom/feature_map.h"
#include "unit.h"
#include "core/util.h"
#include "nn/blas.h"

/* Gaussian rows from a seed. */
static float *gauss_rows(int64_t n, int d, uint64_t seed)
{
	float *X = xmalloc((size_t)n * d * sizeof *X);
	for (int64_t i = 0; i < n * d; i++) {
		double u1 = knn_randu(&seed) + 1e-12, u2 = knn_randu(&seed);
		X[i] = (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
	}
	return X;
}

/* n rows that are noisy copies of g random directions: row i belongs to
 * group i % g; noise is the weight of the random part. */
static float *group_rows(int64_t n, int d, int g, double noise, uint64_t seed)
{
	float *P = gauss_rows(g, d, seed);
	float *X = gauss_rows(n, d, seed + 99);
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			X[i * d + j] = P[(i % g) * d + j] + (float)noise * X[i * d + j];
	free(P);
	return X;
}

/* Reference: sorted top-k of row i of A among rows of B by double dot
 * products, ties by lower index; skip j == i when self. */
static void brute_row(const float *A, int64_t i, const float *B, int64_t nb, int d,
		      int k, int self, int32_t *idx, double *cos)
{
	int m = 0;
	for (int a = 0; a < k; a++) {
		idx[a] = -1;
		cos[a] = -2;
	}
	for (int64_t j = 0; j < nb; j++) {
		if (self && j == i)
			continue;
		double s = 0;
		for (int t = 0; t < d; t++)
			s += (double)A[i * d + t] * B[j * d + t];
		int p = m < k ? m : k;
		if (p == k && !(s > cos[k - 1]))
			continue;
		if (p == k)
			p = k - 1;
		while (p > 0 && s > cos[p - 1]) {
			cos[p] = cos[p - 1];
			idx[p] = idx[p - 1];
			p--;
		}
		cos[p] = s;
		idx[p] = (int32_t)j;
		if (m < k)
			m++;
	}
}

/* Compare a result with the reference: same sorted cosines (within tol),
 * each returned pair's true cosine matches, no self, no duplicates, pads
 * where the reference has none. With tol == 0 the indices must match too. */
static int check_exact(const knn_result *r, const float *A, const float *B, int64_t nb,
		       int d, int self, double tol)
{
	int k = r->k;
	int32_t *ri = xmalloc((size_t)k * sizeof *ri);
	double *rc = xmalloc((size_t)k * sizeof *rc);
	int bad = 0;
	for (int64_t i = 0; i < r->n && !bad; i++) {
		brute_row(A, i, B, nb, d, k, self, ri, rc);
		for (int a = 0; a < k && !bad; a++) {
			int32_t id = r->idx[i * k + a];
			float c = r->cos[i * k + a];
			if (ri[a] < 0) {
				bad = id != -1;
				continue;
			}
			if (id < 0 || id >= nb || (self && id == i) || fabs(c - rc[a]) > tol + 1e-6)
				bad = 1;
			else if (tol == 0 && id != ri[a])
				bad = 1;
			else {
				double s = 0;
				for (int t = 0; t < d; t++)
					s += (double)A[i * d + t] * B[(int64_t)id * d + t];
				if (fabs(s - c) > 1e-5)
					bad = 1;
				for (int b = 0; b < a; b++)
					if (r->idx[i * k + b] == id)
						bad = 1;
			}
		}
		if (bad)
			fprintf(stderr, "row %lld differs\n", (long long)i);
	}
	free(ri);
	free(rc);
	return !bad;
}

static void test_exact(void)
{
	/* random rows, several blocks and a ragged last one */
	int64_t n = 301;
	int d = 24, k = 10;
	float *W = gauss_rows(n, d, 1);
	float *X = knn_normalize(W, n, d, NULL);
	knn_opts o = {.block = 32};
	knn_result r;
	knn_exact_self(X, n, d, k, &o, &r);
	CHECK(check_exact(&r, X, X, n, d, 1, 1e-5), "knn exact self matches brute force (blocks of 32)");
	knn_result_free(&r);
	knn_exact_self(X, n, d, k, NULL, &r);
	CHECK(check_exact(&r, X, X, n, d, 1, 1e-5), "knn exact self matches brute force (one block)");
	knn_result_free(&r);
	/* too little room for per-thread candidates: the pipelined search */
	knn_opts op = {.block = 32, .private_max = 1};
	knn_exact_self(X, n, d, k, &op, &r);
	CHECK(check_exact(&r, X, X, n, d, 1, 1e-5), "knn exact self matches brute force (pipelined, blocks of 32)");
	knn_result_free(&r);

	/* fewer rows than k: padded, self excluded */
	knn_exact_self(X, 5, d, k, NULL, &r);
	CHECK(r.idx[3] >= 0 && r.idx[4] == -1 && r.cos[4] == -2.0f &&
		      check_exact(&r, X, X, 5, d, 1, 1e-5),
	      "knn exact self pads when n-1 < k");
	knn_result_free(&r);

	/* across two sets, both directions from one pass */
	int64_t nb = 157;
	float *W2 = gauss_rows(nb, d, 2);
	float *Y = knn_normalize(W2, nb, d, NULL);
	knn_result ab, ba;
	knn_exact_cross(X, n, Y, nb, d, k, &o, &ab, &ba);
	CHECK(check_exact(&ab, X, Y, nb, d, 0, 1e-5), "knn exact cross A->B matches brute force");
	CHECK(check_exact(&ba, Y, X, n, d, 0, 1e-5), "knn exact cross B->A matches brute force");
	knn_result_free(&ab);
	knn_result_free(&ba);

	/* a set crossed with itself keeps self matches (cosine 1 first) */
	knn_exact_cross(X, 50, X, 50, d, 3, NULL, &ab, NULL);
	int selfs = 0;
	for (int i = 0; i < 50; i++)
		selfs += ab.idx[i * 3] == i && fabsf(ab.cos[i * 3] - 1.0f) < 1e-5f;
	CHECK(selfs == 50, "knn exact cross does not exclude equal rows");
	knn_result_free(&ab);
	free(W);
	free(X);
	free(W2);
	free(Y);

	/* exact ties: entries in {-1,0,1} with four nonzeros per row, so
	 * every cosine is a multiple of 1/4 in any summation order; the tie
	 * order (lower index first) must match the reference exactly */
	n = 200;
	d = 16;
	float *T = xcalloc((size_t)n * d, sizeof *T);
	uint64_t s = 5;
	for (int64_t i = 0; i < n; i++) {
		if (i % 10 == 9) { /* duplicates of an earlier row */
			memcpy(T + i * d, T + (i - 7) * d, (size_t)d * sizeof *T);
			continue;
		}
		for (int nz = 0; nz < 4;) {
			int j = (int)(knn_randu(&s) * d);
			if (T[i * d + j] != 0)
				continue;
			T[i * d + j] = knn_randu(&s) < 0.5 ? -1.0f : 1.0f;
			nz++;
		}
	}
	float *TN = knn_normalize(T, n, d, NULL);
	knn_exact_self(TN, n, d, 12, &o, &r);
	CHECK(check_exact(&r, TN, TN, n, d, 1, 0), "knn exact ties broken by lower index, as brute force");
	CHECK(r.idx[9 * 12] == 2 && r.cos[9 * 12] == 1.0f && r.idx[2 * 12] == 9,
	      "knn duplicate rows are each other's first neighbour");
	knn_result_free(&r);
	knn_exact_cross(TN, 60, TN + 60 * d, n - 60, d, 7, &o, &ab, &ba);
	CHECK(check_exact(&ab, TN, TN + 60 * d, n - 60, d, 0, 0) &&
		      check_exact(&ba, TN + 60 * d, TN, 60, d, 0, 0),
	      "knn exact cross ties broken by lower index");
	knn_result_free(&ab);
	knn_result_free(&ba);
	free(T);
	free(TN);

	/* zero rows and non-finite values */
	float Z[3 * 4] = {0, 0, 0, 0, 1, 2, 3, 4, 4, 3, 2, 1};
	int64_t badrow = -1;
	float *ZN = knn_normalize(Z, 3, 4, &badrow);
	CHECK(ZN && ZN[0] == 0 && fabsf(ZN[4] * ZN[4] + ZN[5] * ZN[5] + ZN[6] * ZN[6] + ZN[7] * ZN[7] - 1) < 1e-6f,
	      "knn_normalize leaves zero rows at zero, others unit");
	free(ZN);
	Z[6] = NAN;
	CHECK(knn_normalize(Z, 3, 4, &badrow) == NULL && badrow == 1, "knn_normalize rejects NaN with its row");
}

/* Reference for the threaded cross search: the whole product from one
 * sgemm call, then for each row of A (and each column) the k best by a
 * full sort, higher cosine first and lower index on ties. Returns 1 when
 * ab and ba have the same indices and cosines within tol of it (tol 0:
 * the same float bits; OpenBLAS may round a product of another shape
 * one ulp apart, so random rows are compared with a tolerance and the
 * tie test uses integers, exact in any order). */
typedef struct {
	float v;
	int32_t i;
} vi_pair;

static int vi_cmp(const void *x, const void *y)
{
	const vi_pair *a = x, *b = y;
	if (a->v != b->v)
		return a->v > b->v ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static int same_as_full(const float *A, int64_t na, const float *B, int64_t nb, int d, int k,
			const knn_result *ab, const knn_result *ba, float tol)
{
	float *C = xmalloc((size_t)na * (size_t)nb * sizeof *C);
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, d, 1.0f, A, d, B, d,
		 0.0f, C, (int)nb);
	int64_t m = na > nb ? na : nb;
	vi_pair *p = xmalloc((size_t)m * sizeof *p);
	int ok = 1;
	for (int side = 0; side < 2 && ok; side++) {
		const knn_result *r = side ? ba : ab;
		int64_t rows = side ? nb : na, cols = side ? na : nb;
		for (int64_t i = 0; i < rows && ok; i++) {
			for (int64_t j = 0; j < cols; j++) {
				p[j].v = side ? C[j * nb + i] : C[i * nb + j];
				p[j].i = (int32_t)j;
			}
			qsort(p, (size_t)cols, sizeof *p, vi_cmp);
			for (int a = 0; a < k; a++) {
				int32_t wi = a < cols ? p[a].i : -1;
				float wv = a < cols ? p[a].v : -2.0f;
				if (r->idx[i * k + a] != wi ||
				    (tol > 0 ? !(fabsf(r->cos[i * k + a] - wv) <= tol)
					     : memcmp(&r->cos[i * k + a], &wv, sizeof wv) != 0)) {
					fprintf(stderr, "side %d row %lld rank %d: %d %.9g, want %d %.9g\n", side,
						(long long)i, a, r->idx[i * k + a], r->cos[i * k + a], wi, wv);
					ok = 0;
					break;
				}
			}
		}
	}
	free(p);
	free(C);
	return ok;
}

/* The cross search split over threads (compare's matching): every thread
 * count and tile shape gives exactly the brute-force lists, on random
 * rows and on rows with many exact ties (small integers: every product is
 * an exact integer whatever the summation order). */
static void test_cross_threads(void)
{
	int64_t na = 1300, nb = 517;
	int d = 40, k = 7;
	float *W = group_rows(na, d, 200, 0.5, 31);
	float *A = knn_normalize(W, na, d, NULL);
	float *W2 = group_rows(nb, d, 200, 0.3, 31);
	float *B = knn_normalize(W2, nb, d, NULL);
	int bad = 0, runs = 0, differ = 0;
	const int threads[] = {1, 2, 3, 0};
	const int blocks[] = {0, 64, 37};
	knn_result one[3][2];
	for (int t = 0; t < 4; t++)
		for (int b = 0; b < 3; b++) {
			knn_opts o = {.block = blocks[b], .threads = threads[t]};
			knn_result ab, ba;
			knn_exact_cross(A, na, B, nb, d, k, &o, &ab, &ba);
			bad += !same_as_full(A, na, B, nb, d, k, &ab, &ba, 2e-6f);
			runs++;
			if (t == 0) {
				one[b][0] = ab;
				one[b][1] = ba;
				continue;
			}
			/* the same tiles on more threads: the same bits */
			differ += memcmp(ab.idx, one[b][0].idx, (size_t)na * k * sizeof *ab.idx) != 0 ||
				  memcmp(ab.cos, one[b][0].cos, (size_t)na * k * sizeof *ab.cos) != 0 ||
				  memcmp(ba.idx, one[b][1].idx, (size_t)nb * k * sizeof *ba.idx) != 0 ||
				  memcmp(ba.cos, one[b][1].cos, (size_t)nb * k * sizeof *ba.cos) != 0;
			knn_result_free(&ab);
			knn_result_free(&ba);
		}
	for (int b = 0; b < 3; b++) {
		knn_result_free(&one[b][0]);
		knn_result_free(&one[b][1]);
	}
	CHECK(bad == 0 && runs == 12, "knn cross over 1/2/3/all threads and 3 tile shapes equals brute force over the full product");
	CHECK(differ == 0, "knn cross: 2, 3 or all threads give bit for bit what one thread gives");

	/* ties: entries in -2..2, not normalised (the search takes rows as
	 * they are), duplicated rows on both sides */
	int64_t ta = 2100, tb = 900;
	int td = 6, tk = 9;
	float *TA = xmalloc((size_t)ta * td * sizeof *TA), *TB = xmalloc((size_t)tb * td * sizeof *TB);
	uint64_t s = 123;
	for (int64_t i = 0; i < ta * td; i++)
		TA[i] = (float)((int)(knn_randu(&s) * 5) - 2);
	for (int64_t i = 0; i < tb * td; i++)
		TB[i] = (float)((int)(knn_randu(&s) * 5) - 2);
	memcpy(TB + 800 * td, TB + 3 * td, (size_t)50 * td * sizeof *TB);
	bad = 0;
	int64_t ties = 0;
	for (int t = 0; t < 4; t++) {
		knn_opts o = {.block = t == 3 ? 0 : 50 + 13 * t, .threads = threads[t]};
		knn_result ab, ba;
		knn_exact_cross(TA, ta, TB, tb, td, tk, &o, &ab, &ba);
		bad += !same_as_full(TA, ta, TB, tb, td, tk, &ab, &ba, 0);
		for (int64_t i = 0; i < ta; i++)
			ties += ab.cos[i * tk + tk - 1] == ab.cos[i * tk + tk - 2];
		knn_result_free(&ab);
		knn_result_free(&ba);
	}
	printf("# cross ties: %lld of %lld k-th places tied with the one before\n", (long long)ties,
	       (long long)(4 * ta));
	CHECK(bad == 0 && ties > ta, "knn cross with exact ties (lower index first) equals brute force for every thread count");
	free(TA);
	free(TB);
	free(W);
	free(A);
	free(W2);
	free(B);
}

/* Many small seeded shapes: sizes around k, tiny blocks, duplicates. */
static void test_shapes(void)
{
	uint64_t s = 77;
	int bad_self = 0, bad_cross = 0;
	for (int it = 0; it < 150; it++) {
		int64_t n = 1 + (int64_t)(knn_randu(&s) * 60), nb = 1 + (int64_t)(knn_randu(&s) * 60);
		int d = 1 + (int)(knn_randu(&s) * 12), k = 1 + (int)(knn_randu(&s) * 40);
		knn_opts o = {.block = 1 + (int)(knn_randu(&s) * 9)};
		float *W = gauss_rows(n, d, 1000 + (uint64_t)it);
		if (n > 3)
			memcpy(W + (n - 1) * d, W, (size_t)d * sizeof *W);
		float *X = knn_normalize(W, n, d, NULL);
		float *W2 = gauss_rows(nb, d, 5000 + (uint64_t)it);
		float *Y = knn_normalize(W2, nb, d, NULL);
		knn_result r, ab, ba;
		knn_exact_self(X, n, d, k, &o, &r);
		bad_self += !check_exact(&r, X, X, n, d, 1, 1e-5);
		knn_result_free(&r);
		knn_opts op = o;
		op.private_max = 1; /* the pipelined search */
		knn_exact_self(X, n, d, k, &op, &r);
		bad_self += !check_exact(&r, X, X, n, d, 1, 1e-5);
		knn_exact_cross(X, n, Y, nb, d, k, &o, &ab, &ba);
		bad_cross += !check_exact(&ab, X, Y, nb, d, 0, 1e-5) || !check_exact(&ba, Y, X, n, d, 0, 1e-5);
		knn_result_free(&r);
		knn_result_free(&ab);
		knn_result_free(&ba);
		free(W);
		free(X);
		free(W2);
		free(Y);
	}
	/* the approximate mode on tiny sets: valid lists (in range, no self,
	 * no repeats, sorted); with every list probed it is exact */
	int bad_ivf = 0, inexact = 0;
	for (int it = 0; it < 60; it++) {
		int64_t n = 1 + (int64_t)(knn_randu(&s) * 40);
		int d = 1 + (int)(knn_randu(&s) * 8), k = 1 + (int)(knn_randu(&s) * 12);
		float *W = gauss_rows(n, d, 9000 + (uint64_t)it);
		float *X = knn_normalize(W, n, d, NULL);
		knn_ivf_opts io = {.seed = (uint64_t)it, .nlist = 1 + (int)(knn_randu(&s) * 6)};
		io.nprobe = io.nlist;
		knn_result r;
		knn_ivf(X, n, X, n, d, k, &io, &r);
		for (int64_t i = 0; i < n; i++)
			for (int a = 0; a < k; a++) {
				int32_t id = r.idx[i * k + a];
				if (id == -1)
					continue;
				if (id < 0 || id >= n || id == i || (a && r.cos[i * k + a] > r.cos[i * k + a - 1]))
					bad_ivf++;
				for (int b = 0; b < a; b++)
					bad_ivf += r.idx[i * k + b] == id;
			}
		inexact += !check_exact(&r, X, X, n, d, 1, 1e-5);
		knn_result_free(&r);
		free(W);
		free(X);
	}
	CHECK(bad_ivf == 0, "knn approximate gives valid lists on 60 tiny seeded sets");
	CHECK(inexact == 0, "knn approximate probing every list equals the exact search");
	CHECK(bad_self == 0, "knn exact self matches brute force on 150 seeded small shapes");
	CHECK(bad_cross == 0, "knn exact cross matches brute force on 150 seeded small shapes");
}

static void test_planted(void)
{
	/* pairs: row 2i+1 is row 2i plus 5% noise among random rows */
	int64_t n = 2000;
	int d = 64;
	float *W = gauss_rows(n, d, 3);
	float *N = gauss_rows(n, d, 4);
	for (int64_t i = 0; i < n; i += 2)
		for (int j = 0; j < d; j++)
			W[(i + 1) * d + j] = W[i * d + j] + 0.05f * N[i * d + j];
	float *X = knn_normalize(W, n, d, NULL);
	knn_result r;
	knn_exact_self(X, n, d, 32, NULL, &r);
	int64_t good = 0;
	for (int64_t i = 0; i < n; i++)
		good += r.idx[i * 32] == (i ^ 1);
	CHECK(good == n, "knn planted near-duplicates are each other's first neighbour");
	knn_result_free(&r);
	free(W);
	free(N);
	free(X);
}

static void test_ivf(void)
{
	/* clustered rows: 250 groups of noisy copies, so neighbours exist */
	int64_t n = 6000;
	int d = 48;
	float *W = group_rows(n, d, 250, 0.9, 7);
	float *X = knn_normalize(W, n, d, NULL);
	knn_result ex, ap;
	knn_exact_self(X, n, d, 10, NULL, &ex);
	knn_ivf_opts io = {.seed = 1};
	knn_ivf(X, n, X, n, d, 10, &io, &ap);
	double rec = knn_recall(&ap, &ex, 10);
	printf("# ivf recall@10 = %.4f\n", rec);
	CHECK(rec >= 0.95, "knn approximate (IVF) recall@10 >= 0.95 on a seeded input");
	int selfhit = 0, sorted = 1;
	for (int64_t i = 0; i < n; i++)
		for (int a = 0; a < 10; a++) {
			selfhit += ap.idx[i * 10 + a] == i;
			if (a && ap.cos[i * 10 + a] > ap.cos[i * 10 + a - 1])
				sorted = 0;
		}
	CHECK(selfhit == 0 && sorted, "knn approximate excludes self, sorted best first");
	knn_result ap2;
	knn_ivf(X, n, X, n, d, 10, &io, &ap2);
	CHECK(!memcmp(ap.idx, ap2.idx, (size_t)n * 10 * sizeof *ap.idx), "knn approximate is deterministic");
	knn_result_free(&ap2);
	/* across sets: queries are the first 500 rows, searched in the rest */
	knn_result cx, ca;
	knn_exact_cross(X, 500, X + 500 * d, n - 500, d, 10, NULL, &cx, NULL);
	knn_ivf(X, 500, X + 500 * d, n - 500, d, 10, &io, &ca);
	rec = knn_recall(&ca, &cx, 10);
	CHECK(rec >= 0.95, "knn approximate across sets recall@10 >= 0.95");
	knn_result_free(&cx);
	knn_result_free(&ca);
	knn_result_free(&ex);
	knn_result_free(&ap);
	free(W);
	free(X);
}

/* 8 groups of 40 noisy copies of 8 random directions, labelled by group. */
static const char *const group_word[8] = {"dna", "uppercase", "digits", "python",
					  "french", "legal", "music", "chemistry"};

static void test_clusters(void)
{
	int64_t n = 320;
	int d = 64;
	float *W = group_rows(n, d, 8, 0.6, 21);
	float *X = knn_normalize(W, n, d, NULL);
	char **lab = xmalloc((size_t)n * sizeof *lab);
	for (int64_t i = 0; i < n; i++)
		lab[i] = xasprintf("auto: fires on %s tokens, item%lld", group_word[i % 8], (long long)i);
	cluster_tree t;
	cluster_build(X, n, d, (const char *const *)lab, NULL, &t);
	int one = 1, apart = 1, named = 1;
	for (int g = 0; g < 8; g++) {
		int64_t leaf = t.leaf[g];
		for (int64_t i = g; i < n; i += 8)
			if (t.leaf[i] != leaf)
				one = 0;
		for (int h = 0; h < g; h++)
			if (t.leaf[h] == leaf)
				apart = 0;
		if (!strstr(t.nodes[leaf].label, group_word[g]))
			named = 0;
	}
	CHECK(one, "cluster planted groups each land in one leaf");
	CHECK(apart, "cluster planted groups land in different leaves");
	CHECK(named, "cluster leaves are named from their members' labels");
	int sizes = 1, parents = 1, roots = 0;
	int64_t *below = xcalloc((size_t)t.n_nodes, sizeof *below);
	for (int64_t i = 0; i < n; i++)
		for (int64_t x = t.leaf[i]; x >= 0; x = t.nodes[x].parent)
			below[x]++;
	for (int64_t x = 0; x < t.n_nodes; x++) {
		if (below[x] != t.nodes[x].size)
			sizes = 0;
		if (t.nodes[x].parent >= x)
			parents = 0;
		if (t.nodes[x].parent < 0)
			roots++;
		else if (t.nodes[x].depth != t.nodes[t.nodes[x].parent].depth + 1)
			parents = 0;
	}
	CHECK(sizes, "cluster node sizes count the rows below them");
	CHECK(parents && roots >= 2, "cluster tree is in preorder with consistent depths");
	free(below);
	cluster_tree t2;
	cluster_build(X, n, d, (const char *const *)lab, NULL, &t2);
	CHECK(t2.n_nodes == t.n_nodes && !memcmp(t.leaf, t2.leaf, (size_t)n * sizeof *t.leaf),
	      "cluster tree is deterministic");
	cluster_tree_free(&t2);

	/* a bigger set splits over more than one level, leaves stay small */
	int64_t nbig = 3000;
	float *WB = group_rows(nbig, d, 60, 1.0, 5);
	float *XB = knn_normalize(WB, nbig, d, NULL);
	cluster_tree tb;
	cluster_build(XB, nbig, d, NULL, NULL, &tb);
	int maxdepth = 0, bigleaf = 0;
	int64_t *cnt = xcalloc((size_t)tb.n_nodes, sizeof *cnt);
	for (int64_t i = 0; i < nbig; i++)
		cnt[tb.leaf[i]]++;
	for (int64_t x = 0; x < tb.n_nodes; x++) {
		if (tb.nodes[x].depth > maxdepth)
			maxdepth = tb.nodes[x].depth;
		if (cnt[x] > 64)
			bigleaf = 1;
		if (cnt[x] > 0 && tb.nodes[x].n_children > 0)
			bigleaf = 1;
	}
	printf("# big tree: %lld nodes, depth %d\n", (long long)tb.n_nodes, maxdepth);
	CHECK(maxdepth >= 1 && !bigleaf, "cluster tree has several levels, leaves of at most ~leaf_max (64)");
	CHECK(strstr(tb.nodes[0].label, " features)") != NULL,
	      "cluster nodes without labels are named by size");
	free(cnt);
	cluster_tree_free(&tb);
	free(WB);
	free(XB);

	/* naming: stop-words and auto: boilerplate never name a node */
	const char *names[4] = {"auto: the tokens of DNA", "auto: DNA and the genome",
				"Tokens of the genome", "auto: fires on DNA"};
	int64_t mem[4] = {0, 1, 2, 3};
	char *nm = cluster_name(names, 4, mem, 4);
	CHECK(strstr(nm, "dna") && strstr(nm, "genome") && !strstr(nm, "auto") &&
		      !strstr(nm, "tokens") && !strstr(nm, "the"),
	      "cluster_name keeps shared content words, drops stop-words");
	free(nm);

	/* the map: planted groups closer together than apart, in [0,1]^2 */
	knn_result r;
	knn_exact_self(X, n, d, 15, NULL, &r);
	float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			feature_map_init_tree(&t, 1, xy);
		feature_map_opts lo = {.seed = 2};
		feature_map_layout(&r, &lo, pass == 0, xy);
		double in = 0, out = 0;
		int64_t nin = 0, nout = 0;
		int inside = 1;
		for (int64_t i = 0; i < n; i++) {
			if (!(xy[2 * i] >= 0 && xy[2 * i] <= 1 && xy[2 * i + 1] >= 0 && xy[2 * i + 1] <= 1))
				inside = 0;
			for (int64_t j = i + 1; j < n; j++) {
				double dx = xy[2 * i] - xy[2 * j], dy = xy[2 * i + 1] - xy[2 * j + 1];
				double dd = sqrt(dx * dx + dy * dy);
				if (i % 8 == j % 8) {
					in += dd;
					nin++;
				} else {
					out += dd;
					nout++;
				}
			}
		}
		in /= nin;
		out /= nout;
		printf("# map (%s init): mean distance within groups %.3f, between %.3f\n",
		       pass == 0 ? "tree" : "random", in, out);
		CHECK(inside, pass == 0 ? "layout map lies in [0,1]^2 (tree start)"
					: "layout map lies in [0,1]^2 (random start)");
		CHECK(in * 3 < out, pass == 0 ? "layout planted groups closer together than apart (tree start)"
					      : "layout planted groups closer together than apart (random start)");
	}
	float *xy2 = xmalloc((size_t)n * 2 * sizeof *xy2);
	feature_map_opts lo = {.seed = 2};
	feature_map_layout(&r, &lo, 0, xy2);
	CHECK(!memcmp(xy, xy2, (size_t)n * 2 * sizeof *xy), "layout map is deterministic");
	free(xy2);
	free(xy);
	knn_result_free(&r);
	cluster_tree_free(&t);
	for (int64_t i = 0; i < n; i++)
		free(lab[i]);
	free(lab);
	free(W);
	free(X);
}

/* Naming against siblings: four planted groups whose labels all say
 * "letters" and half say "lowercase"; each top-level node is named by
 * what sets it apart (the DNA group among letter groups: "dna", not
 * "lowercase"); the sibling-repeat count of a tree made by hand. */
static void test_cluster_contrast(void)
{
	int64_t n = 48;
	int d = 32;
	static const char *const lab4[4] = {
		"DNA bases: lowercase letters 'a'", "Hangul: lowercase letters",
		"Cyrillic: uppercase letters", "Greek: uppercase letters"};
	float *W = group_rows(n, d, 4, 0.3, 9);
	float *X = knn_normalize(W, n, d, NULL);
	const char **lab = xmalloc((size_t)n * sizeof *lab);
	for (int64_t i = 0; i < n; i++)
		lab[i] = lab4[i % 4];
	cluster_opts o = {.leaf_max = 16, .min_size = 4, .seed = 3};
	cluster_tree t;
	cluster_build(X, n, d, lab, &o, &t);
	int64_t root[4];
	for (int g = 0; g < 4; g++) {
		root[g] = t.leaf[g];
		while (t.nodes[root[g]].parent >= 0)
			root[g] = t.nodes[root[g]].parent;
		printf("# root of group %d: %s\n", g, t.nodes[root[g]].label);
	}
	int apart = 1;
	for (int g = 0; g < 4; g++)
		for (int h = 0; h < g; h++)
			apart &= root[g] != root[h];
	CHECK(apart, "cluster contrast: the four groups are four top-level nodes");
	CHECK(apart && strstr(t.nodes[root[0]].label, "dna") &&
		      !strstr(t.nodes[root[0]].label, "lowercase") &&
		      !strstr(t.nodes[root[0]].label, "letters"),
	      "cluster contrast: the DNA node is named by what its siblings lack");
	CHECK(apart && strstr(t.nodes[root[1]].label, "hangul") &&
		      !strstr(t.nodes[root[1]].label, "lowercase"),
	      "cluster contrast: the Hangul node is not named by a word its siblings share");
	CHECK(cluster_sibling_repeats(&t) == 0, "cluster contrast: no sibling names repeat");
	cluster_tree_free(&t);
	free(lab);
	free(W);
	free(X);

	/* by hand: roots "x","x","y"; under the first "p","p","q"; under
	 * the second "p" (a cousin, not a sibling, of the other "p"s) */
	cluster_node nd[7] = {
		{-1, 0, 3, 3, "x"}, {0, 1, 1, 0, "p"}, {0, 1, 1, 0, "p"}, {0, 1, 1, 0, "q"},
		{-1, 0, 1, 1, "x"}, {4, 1, 1, 0, "p"}, {-1, 0, 1, 0, "y"}};
	cluster_tree h = {7, nd, NULL, 0};
	CHECK(cluster_sibling_repeats(&h) == 4, "cluster sibling repeats counted by hand (4)");
}

int main(void)
{
	test_exact();
	test_cross_threads();
	test_shapes();
	test_planted();
	test_ivf();
	test_clusters();
	test_cluster_contrast();
	TEST_END();
}

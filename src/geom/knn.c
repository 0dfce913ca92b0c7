/*
 * knn.c: what the neighbour searches share (see knn.h, knn_int.h): the
 * result lists, row normalisation and the seeded generator, and the k best
 * of every row so far: candidate buffers (an unordered buffer per row, cut
 * back to its k best by a partial selection when full, its threshold the
 * k-th best) and the selection pass that fills them from a block of
 * cosines. The exact search is in knn_exact.c, the approximate one in
 * knn_ivf.c, the spherical k-means in knn_kmeans.c.
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

/* ------------------------------------------------------------ utilities */

uint64_t knn_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double knn_randu(uint64_t *state)
{
	return (double)(knn_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

void knn_result_init(knn_result *r, int64_t n, int k)
{
	r->n = n;
	r->k = k;
	r->idx = xmalloc((size_t)(n > 0 ? n : 1) * (size_t)k * sizeof *r->idx);
	r->cos = xmalloc((size_t)(n > 0 ? n : 1) * (size_t)k * sizeof *r->cos);
	for (int64_t i = 0; i < n * k; i++) {
		r->idx[i] = -1;
		r->cos[i] = -2.0f;
	}
}

void knn_result_free(knn_result *r)
{
	free(r->idx);
	free(r->cos);
	r->idx = NULL;
	r->cos = NULL;
	r->n = 0;
}

float *knn_normalize(const float *W, int64_t n, int d, int64_t *bad_row)
{
	float *X = xmalloc((size_t)(n > 0 ? n : 1) * (size_t)d * sizeof *X);
	for (int64_t i = 0; i < n; i++) {
		const float *w = W + i * d;
		float *x = X + i * d;
		double ss = 0;
		for (int j = 0; j < d; j++) {
			if (!isfinite(w[j])) {
				if (bad_row)
					*bad_row = i;
				free(X);
				return NULL;
			}
			ss += (double)w[j] * w[j];
		}
		double s = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
		for (int j = 0; j < d; j++)
			x[j] = (float)(w[j] * s);
	}
	return X;
}

/* ----------------------------------------------------------- candidates */


/* Buffers of mult * k entries per row (mult >= 2). */
void knn_cands_init(knn_cands *h, knn_result *r, int mult)
{
	int64_t n = r->n > 0 ? r->n : 1;
	h->r = r;
	h->k = r->k;
	h->cap = mult * r->k;
	h->v = xmalloc((size_t)n * (size_t)h->cap * sizeof *h->v);
	h->id = xmalloc((size_t)n * (size_t)h->cap * sizeof *h->id);
	h->fill = xcalloc((size_t)n, sizeof *h->fill);
	h->thr = xmalloc((size_t)n * sizeof *h->thr);
	h->tmp = xmalloc((size_t)(h->cap > 0 ? h->cap : 1) * sizeof *h->tmp);
	h->tid = xmalloc((size_t)(h->cap > 0 ? h->cap : 1) * sizeof *h->tid);
	for (int64_t i = 0; i < r->n; i++)
		h->thr[i] = -INFINITY;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Cut a row's buffer to its k best and raise its threshold. */
void knn_cands_cut(knn_cands *h, int64_t row)
{
	float *v = h->v + row * h->cap;
	int32_t *id = h->id + row * h->cap;
	int k = h->k, m = h->fill[row];
	/* the k-th best cosine t (on a copy for a large k: it reorders) */
	float t;
	if (k <= 32) {
		t = topk_kth(v, m, k);
	} else {
		memcpy(h->tmp, v, (size_t)m * sizeof *v);
		t = topk_kth(h->tmp, m, k);
	}
	/* keep everything above t, then the lowest indices among those at t */
	int w = 0, eq = 0;
	for (int a = 0; a < m; a++) {
		if (v[a] > t) {
			v[w] = v[a];
			id[w++] = id[a];
		} else if (v[a] == t) {
			h->tid[eq++] = id[a];
		}
	}
	if (eq > k - w)
		qsort(h->tid, (size_t)eq, sizeof *h->tid, cmp_i32);
	for (int a = 0; w < k && a < eq; a++) {
		v[w] = t;
		id[w++] = h->tid[a];
	}
	h->fill[row] = k;
	h->thr[row] = t;
}


/* Write every row's k best, best first, padded with -1/-2, and free. */
void knn_cands_finish(knn_cands *h)
{
	knn_result *r = h->r;
	int k = h->k;
	for (int64_t row = 0; row < r->n; row++) {
		float *v = h->v + row * h->cap;
		int32_t *id = h->id + row * h->cap;
		int n = h->fill[row];
		if (n > k) {
			topk_partition(v, id, n, k);
			n = k;
		}
		topk_sort(v, id, n);
		float *ov = r->cos + row * k;
		int32_t *oi = r->idx + row * k;
		for (int a = 0; a < k; a++) {
			ov[a] = a < n ? v[a] : -2.0f;
			oi[a] = a < n ? id[a] : -1;
		}
	}
	free(h->v);
	free(h->id);
	free(h->fill);
	free(h->thr);
	free(h->tmp);
	free(h->tid);
	h->v = NULL;
	h->id = NULL;
	h->fill = NULL;
	h->thr = NULL;
}

/* ------------------------------------------------------------ selection */

#define KNN_VW 16 /* floats tested per step of the filter */

/* Bit t (t < 16) set when c[t] >= tr or (tc and c[t] >= tc[t]). */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline unsigned knn_mask16(const float *c, float tr, const float *tc)
{
	__m128 t = _mm_set1_ps(tr);
	__m128 a0 = _mm_loadu_ps(c), a1 = _mm_loadu_ps(c + 4);
	__m128 a2 = _mm_loadu_ps(c + 8), a3 = _mm_loadu_ps(c + 12);
	__m128 m0 = _mm_cmpge_ps(a0, t), m1 = _mm_cmpge_ps(a1, t);
	__m128 m2 = _mm_cmpge_ps(a2, t), m3 = _mm_cmpge_ps(a3, t);
	if (tc) {
		m0 = _mm_or_ps(m0, _mm_cmpge_ps(a0, _mm_loadu_ps(tc)));
		m1 = _mm_or_ps(m1, _mm_cmpge_ps(a1, _mm_loadu_ps(tc + 4)));
		m2 = _mm_or_ps(m2, _mm_cmpge_ps(a2, _mm_loadu_ps(tc + 8)));
		m3 = _mm_or_ps(m3, _mm_cmpge_ps(a3, _mm_loadu_ps(tc + 12)));
	}
	__m128 any = _mm_or_ps(_mm_or_ps(m0, m1), _mm_or_ps(m2, m3));
	if (!_mm_movemask_ps(any))
		return 0;
	return (unsigned)_mm_movemask_ps(m0) | (unsigned)_mm_movemask_ps(m1) << 4 |
	       (unsigned)_mm_movemask_ps(m2) << 8 | (unsigned)_mm_movemask_ps(m3) << 12;
}
#else
static inline unsigned knn_mask16(const float *c, float tr, const float *tc)
{
	unsigned m = 0;
	for (int t = 0; t < KNN_VW; t++)
		m |= (unsigned)((c[t] >= tr) | (tc != NULL && c[t] >= tc[t])) << t;
	return m;
}
#endif

/* Index of the lowest set bit of m (m != 0). */
static inline int knn_lowbit(unsigned m)
{
#if defined(__GNUC__)
	return __builtin_ctz(m);
#else
	int t = 0;
	while (!(m & 1u)) {
		m >>= 1;
		t++;
	}
	return t;
#endif
}

/* One candidate test: row side (ha) and column side (hb). */
static inline void knn_take(float v, int64_t gi, int64_t gj, float *tr,
			    knn_cands *ha, knn_cands *hb)
{
	if (v >= *tr) {
		knn_cands_push(ha, gi, v, (int32_t)gj);
		*tr = ha->thr[gi];
	}
	if (hb && v >= hb->thr[gj])
		knn_cands_push(hb, gj, v, (int32_t)gi);
}

/*
 * The selection loop over rows i0..i1, columns j0..j1 of a block, with MASK
 * the 16-wide filter (MASK(c, tr, tc): bit t set when c[t] reaches the row's
 * threshold tr or its column's tc[t]); instantiated once per instruction set.
 */
#define KNN_SELECT_BODY(MASK)                                                            \
	for (int i = i0; i < i1; i++) {                                                  \
		const float *c = C + (size_t)i * ldc;                                    \
		int64_t gi = r0 + i;                                                     \
		int j = j0;                                                              \
		if (self && gi + 1 - c0 > j)                                             \
			j = (int)(gi + 1 - c0);                                          \
		if (j >= j1)                                                             \
			continue;                                                        \
		float tr = ha ? ha->thr[gi] : INFINITY;                                  \
		const float *tc = hb ? hb->thr + c0 : NULL;                              \
		for (; j < j1 && (j % KNN_VW); j++)                                      \
			knn_take(c[j], gi, c0 + j, &tr, ha, hb);                         \
		for (; j + KNN_VW <= j1; j += KNN_VW) {                                  \
			unsigned m = MASK(c + j, tr, tc ? tc + j : NULL);                \
			while (m) {                                                      \
				int t = j + knn_lowbit(m);                               \
				m &= m - 1;                                              \
				knn_take(c[t], gi, c0 + t, &tr, ha, hb);                 \
			}                                                                \
		}                                                                        \
		for (; j < j1; j++)                                                      \
			knn_take(c[j], gi, c0 + j, &tr, ha, hb);                         \
	}

static void select_base(const float *C, int ldc, int64_t r0, int i0, int i1, int64_t c0, int j0,
			int j1, knn_cands *ha, knn_cands *hb, int self)
{
	KNN_SELECT_BODY(knn_mask16)
}

#if defined(__GNUC__) && defined(__x86_64__)
#define KNN_HAVE_AVX2 1
#include <immintrin.h>
/* knn_mask16 on two 8-wide AVX2 compares (the same bits: an ordered >=,
 * false for NaN, as SSE2's cmpge) */
__attribute__((target("avx2"))) static inline unsigned knn_mask16_avx2(const float *c, float tr,
									 const float *tc)
{
	__m256 t = _mm256_set1_ps(tr);
	__m256 a0 = _mm256_loadu_ps(c), a1 = _mm256_loadu_ps(c + 8);
	__m256 m0 = _mm256_cmp_ps(a0, t, _CMP_GE_OQ), m1 = _mm256_cmp_ps(a1, t, _CMP_GE_OQ);
	if (tc) {
		m0 = _mm256_or_ps(m0, _mm256_cmp_ps(a0, _mm256_loadu_ps(tc), _CMP_GE_OQ));
		m1 = _mm256_or_ps(m1, _mm256_cmp_ps(a1, _mm256_loadu_ps(tc + 8), _CMP_GE_OQ));
	}
	__m256 any = _mm256_or_ps(m0, m1);
	if (_mm256_testz_ps(any, any))
		return 0;
	return (unsigned)_mm256_movemask_ps(m0) | (unsigned)_mm256_movemask_ps(m1) << 8;
}

__attribute__((target("avx2"))) static void select_avx2(const float *C, int ldc, int64_t r0, int i0,
							 int i1, int64_t c0, int j0, int j1,
							 knn_cands *ha, knn_cands *hb, int self)
{
	KNN_SELECT_BODY(knn_mask16_avx2)
}
#endif

/*
 * Part of one product block: C[i][j] (row stride ldc) is the cosine of
 * side-a row r0+i and side-b row c0+j; rows i0..i1, columns j0..j1 are
 * tested. ha (may be NULL) takes candidates for side-a rows, hb (may be
 * NULL) for side-b rows. With self set both sides are one set and only
 * pairs with c0+j > r0+i count. The filter runs on AVX2 where the CPU has
 * it (the same candidates either way: only the compare's width differs).
 */
void knn_select_part(const float *C, int ldc, int64_t r0, int i0, int i1,
			int64_t c0, int j0, int j1, knn_cands *ha, knn_cands *hb,
			int self)
{
#ifdef KNN_HAVE_AVX2
	if (__builtin_cpu_supports("avx2")) {
		select_avx2(C, ldc, r0, i0, i1, c0, j0, j1, ha, hb, self);
		return;
	}
#endif
	select_base(C, ldc, r0, i0, i1, c0, j0, j1, ha, hb, self);
}

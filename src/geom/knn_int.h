/*
 * knn_int.h: what the files of the neighbour searches share (geom/knn*.c
 * only): the candidate buffers of every row, with their append inline for
 * the hot loops, the selection pass over a block of cosines, and the
 * k-means assignment the approximate search reuses.
 */
#ifndef FS_KNN_INT_H
#define FS_KNN_INT_H

#include "geom/knn.h"

#include <stdint.h>

/*
 * Candidates of every row: an unordered buffer of up to cap = 4k entries
 * (2k for the approximate mode, whose sets are larger).
 * Entries are appended while they reach the row's threshold; a full buffer
 * is cut back to its k best by a partial selection (quickselect), and the
 * threshold becomes the k-th best cosine: nothing below it can enter the
 * final top k. Appends are cheap and cuts rare once the threshold is high.
 */
typedef struct {
	knn_result *r;   /* where the final lists go */
	int k;           /* neighbours wanted */
	int cap;         /* buffer entries per row */
	float *v;        /* n x cap cosines */
	int32_t *id;     /* n x cap row indices */
	int32_t *fill;   /* entries in each row's buffer */
	float *thr;      /* per row: k-th best after a cut, -inf before */
	float *tmp;      /* cap floats of scratch for cuts (one thread cuts at a time) */
	int32_t *tid;    /* cap indices of scratch for cuts */
} knn_cands;

/* Buffers of mult * k entries per row (mult >= 2). */
void knn_cands_init(knn_cands *h, knn_result *r, int mult);
/* Cut a row's buffer to its k best and raise its threshold. */
void knn_cands_cut(knn_cands *h, int64_t row);
/* Write every row's k best, best first, padded with -1/-2, and free. */
void knn_cands_finish(knn_cands *h);

/* Add a candidate that reached the row's threshold. */
static inline void knn_cands_push(knn_cands *h, int64_t row, float v, int32_t id)
{
	int n = h->fill[row];
	if (n == h->cap) {
		knn_cands_cut(h, row);
		if (v < h->thr[row])
			return;
		n = h->k;
	}
	h->v[row * h->cap + n] = v;
	h->id[row * h->cap + n] = id;
	h->fill[row] = n + 1;
}

/*
 * Part of one product block: C[i][j] (row stride ldc) is the cosine of
 * side-a row r0+i and side-b row c0+j; rows i0..i1, columns j0..j1 are
 * tested. ha (may be NULL) takes candidates for side-a rows, hb (may be
 * NULL) for side-b rows. With self set both sides are one set and only
 * pairs with c0+j > r0+i count.
 */
void knn_select_part(const float *C, int ldc, int64_t r0, int i0, int i1, int64_t c0, int j0, int j1,
		     knn_cands *ha, knn_cands *hb, int self);

/* Best centroid of every row of X (ties: lowest centroid); best[i] gets
 * its cosine. Returns how many assignments changed. */
int64_t knn_kmeans_assign(const float *X, int64_t n, int d, const float *cent, int nc, int32_t *assign,
			  float *best);

#endif

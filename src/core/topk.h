/*
 * topk.h: the one top-k selection: the k largest of a set of values,
 * ties broken towards the lower index, for the neighbour search
 * (geom/knn.c), the SAELens topk encoder (import/saelens_sae.c), the live
 * SAE's strongest features (live/sae_live.c) and the demo SAE's training
 * and harvest (model/sae.c).
 */
#ifndef FS_TOPK_H
#define FS_TOPK_H

#include <stdint.h>

/* The k-th largest of a[0..n) (1 <= k <= n), NaN-free; may reorder a.
 * Small k (<= 32): one pass keeping the k largest; larger k: quickselect
 * with a median-of-three pivot. */
float topk_kth(float *a, int n, int k);

/* a is ranked above b: a larger value, or an equal value and a lower
 * index. */
static inline int topk_better(float av, int32_t ai, float bv, int32_t bi)
{
	return av > bv || (av == bv && ai < bi);
}

/* Move the k best (topk_better) of the m pairs val/idx to the front
 * (m > k), in no order: quickselect with a median-of-three pivot. */
void topk_partition(float *val, int32_t *idx, int m, int k);

/* A bounded min-heap of the `want` largest (val, idx) pairs seen: add x
 * with index id to the n pairs in val/idx and return the new count. Once
 * n == want, val[0] is the smallest kept and x replaces it only when it
 * is larger (so among equal values the first pushed stays). */
int topk_push(float *val, int32_t *idx, int n, int want, float x, int32_t id);

/* Sort n pairs best first (topk_better); insertion sort, for small n. */
void topk_sort(float *val, int32_t *idx, int n);
/* The same order in O(n log n) (a heap sort), for the hundreds of pairs
 * of an SAE's auxiliary top-k. */
void topk_sort_large(float *val, int32_t *idx, int n);

#endif

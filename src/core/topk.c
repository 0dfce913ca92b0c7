/*
 * topk.c: the one top-k selection (see topk.h): the k-th largest value,
 * the k best pairs moved to the front, a bounded min-heap of the largest
 * pairs, and their order.
 */
#include "core/topk.h"

/* The k-th largest of a[0..n) for small k (1 <= k <= n, k <= 32): one
 * pass keeping the k largest sorted, most values rejected by one compare
 * with the smallest of them. */
static float kth_small(const float *a, int n, int k)
{
	float top[32];
	int m = 0;
	for (int i = 0; i < n; i++) {
		float x = a[i];
		if (m == k && !(x > top[k - 1]))
			continue;
		int j = m < k ? m++ : k - 1;
		while (j > 0 && top[j - 1] < x) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = x;
	}
	return top[k - 1];
}

float topk_kth(float *a, int n, int k)
{
	if (k <= 32)
		return kth_small(a, n, k);
	int lo = 0, hi = n - 1, want = k - 1;
	while (lo < hi) {
		float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi], p;
		/* median of three */
		if (x < y) {
			float t = x;
			x = y;
			y = t;
		}
		p = z > x ? x : z < y ? y : z;
		int i = lo, j = hi;
		while (i <= j) {
			while (a[i] > p)
				i++;
			while (a[j] < p)
				j--;
			if (i <= j) {
				float t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			return a[want];
	}
	return a[want];
}

void topk_partition(float *val, int32_t *idx, int m, int k)
{
	int lo = 0, hi = m - 1, want = k - 1;
	while (hi > lo) {
		int mid = lo + (hi - lo) / 2;
		/* median of three as the pivot */
		int a = lo, b = mid, c = hi, p;
		if (topk_better(val[a], idx[a], val[b], idx[b])) {
			int t = a;
			a = b;
			b = t;
		}
		/* now a is worse than b */
		if (topk_better(val[c], idx[c], val[b], idx[b]))
			p = b;
		else if (topk_better(val[c], idx[c], val[a], idx[a]))
			p = c;
		else
			p = a;
		float pv = val[p];
		int32_t pi = idx[p];
		int i = lo, j = hi;
		while (i <= j) {
			while (topk_better(val[i], idx[i], pv, pi))
				i++;
			while (topk_better(pv, pi, val[j], idx[j]))
				j--;
			if (i <= j) {
				float tv = val[i];
				int32_t ti = idx[i];
				val[i] = val[j];
				idx[i] = idx[j];
				val[j] = tv;
				idx[j] = ti;
				i++;
				j--;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
}

int topk_push(float *val, int32_t *idx, int n, int want, float x, int32_t id)
{
	int c;
	if (n < want) {
		c = n++;
		while (c > 0 && val[(c - 1) / 2] > x) {
			val[c] = val[(c - 1) / 2];
			idx[c] = idx[(c - 1) / 2];
			c = (c - 1) / 2;
		}
	} else {
		if (want <= 0 || !(x > val[0]))
			return n;
		c = 0;
		for (;;) {
			int l = 2 * c + 1, r = l + 1, m = c;
			float mv = x;
			if (l < n && val[l] < mv)
				mv = val[m = l];
			if (r < n && val[r] < mv)
				m = r;
			if (m == c)
				break;
			val[c] = val[m];
			idx[c] = idx[m];
			c = m;
		}
	}
	val[c] = x;
	idx[c] = id;
	return n;
}

/* Sift pair c down the heap of n pairs whose root is the worst
 * (topk_better ranks every parent below its children). */
static void sift_worst(float *val, int32_t *idx, int n, int c)
{
	float x = val[c];
	int32_t xi = idx[c];
	for (;;) {
		int l = 2 * c + 1, r = l + 1, m = -1;
		float mv = x;
		int32_t mi = xi;
		if (l < n && topk_better(mv, mi, val[l], idx[l])) {
			m = l;
			mv = val[l];
			mi = idx[l];
		}
		if (r < n && topk_better(mv, mi, val[r], idx[r]))
			m = r;
		if (m < 0)
			break;
		val[c] = val[m];
		idx[c] = idx[m];
		c = m;
	}
	val[c] = x;
	idx[c] = xi;
}

void topk_sort_large(float *val, int32_t *idx, int n)
{
	for (int c = n / 2 - 1; c >= 0; c--)
		sift_worst(val, idx, n, c);
	for (int e = n - 1; e > 0; e--) { /* the worst left goes to the end */
		float tv = val[0];
		int32_t ti = idx[0];
		val[0] = val[e];
		idx[0] = idx[e];
		val[e] = tv;
		idx[e] = ti;
		sift_worst(val, idx, e, 0);
	}
}

void topk_sort(float *val, int32_t *idx, int n)
{
	for (int a = 1; a < n; a++) {
		float tv = val[a];
		int32_t ti = idx[a];
		int b = a;
		while (b > 0 && topk_better(tv, ti, val[b - 1], idx[b - 1])) {
			val[b] = val[b - 1];
			idx[b] = idx[b - 1];
			b--;
		}
		val[b] = tv;
		idx[b] = ti;
	}
}

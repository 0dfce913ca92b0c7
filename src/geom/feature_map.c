/*
 * feature_map.c: the 2D map of features (see feature_map.h). The steps follow UMAP's published
 * method, written here from its description:
 *  1. per row, distances 1 - cosine to its nearest neighbours; rho is the
 *     nearest, sigma is found by bisection so that the weights
 *     exp(-(dist - rho) / sigma) sum to log2(neighbours);
 *  2. the graph is made symmetric with w = a + b - a*b;
 *  3. every epoch, each edge is visited about w / max(w) times; a visit
 *     pulls its ends together with the gradient of the low-dimensional
 *     similarity 1 / (1 + d^2), then pushes the first end away from a few
 *     random rows; steps are clipped and the learning rate falls linearly.
 * The result is scaled (same factor on both axes) into [0,1]^2, with the
 * outermost 0.5% of rows on each side clamped to the border.
 */
#include "geom/feature_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void feature_map_init_tree(const cluster_tree *t, uint64_t seed, float *xy)
{
	int64_t nn = t->n_nodes;
	double *px = xmalloc((size_t)(nn > 0 ? nn : 1) * sizeof *px);
	double *py = xmalloc((size_t)(nn > 0 ? nn : 1) * sizeof *py);
	int *seen = xcalloc((size_t)(nn > 0 ? nn : 1), sizeof *seen);
	int nroots = 0, rootno = 0;
	for (int64_t i = 0; i < nn; i++)
		nroots += t->nodes[i].parent < 0;
	uint64_t rng = seed ^ 0x1a7e0u;
	for (int64_t i = 0; i < nn; i++) {
		const cluster_node *nd = &t->nodes[i];
		double r = 10.0 * pow(0.4, nd->depth);
		double cx = 0, cy = 0, a;
		if (nd->parent < 0) {
			a = 2 * M_PI * rootno++ / (nroots > 0 ? nroots : 1);
			if (nroots == 1)
				r = 0;
		} else {
			const cluster_node *p = &t->nodes[nd->parent];
			cx = px[nd->parent];
			cy = py[nd->parent];
			a = 2 * M_PI * seen[nd->parent]++ / (p->n_children > 0 ? p->n_children : 1);
			a += 0.3 * knn_randu(&rng);
		}
		px[i] = cx + r * cos(a);
		py[i] = cy + r * sin(a);
	}
	for (int64_t i = 0; i < t->n_rows; i++) {
		int64_t l = t->leaf[i];
		double r = nn > 0 ? 4.0 * pow(0.4, t->nodes[l].depth + 1) : 10.0;
		double a = 2 * M_PI * knn_randu(&rng), u = sqrt(knn_randu(&rng));
		xy[2 * i] = (float)((nn > 0 ? px[l] : 0) + r * u * cos(a));
		xy[2 * i + 1] = (float)((nn > 0 ? py[l] : 0) + r * u * sin(a));
	}
	free(px);
	free(py);
	free(seen);
}

/* A weighted undirected edge. */
typedef struct {
	int32_t a, b;   /* ends, a < b */
	float w;        /* membership strength in (0,1] */
} layout_edge;

static int cmp_edge(const void *x, const void *y)
{
	const layout_edge *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

static int cmp_float(const void *x, const void *y)
{
	float a = *(const float *)x, b = *(const float *)y;
	return (a > b) - (a < b);
}

static inline float clip4(float g)
{
	return g > 4.0f ? 4.0f : g < -4.0f ? -4.0f : g;
}

/* Build the fuzzy symmetric graph; returns the edge count. */
static int64_t layout_graph(const knn_result *nb, int kk, layout_edge **out)
{
	int64_t n = nb->n;
	layout_edge *e = xmalloc((size_t)(n > 0 ? n : 1) * (size_t)kk * sizeof *e);
	int64_t ne = 0;
	double dist[256];
	for (int64_t i = 0; i < n; i++) {
		int m = 0;
		for (int a = 0; a < kk; a++) {
			int32_t j = nb->idx[i * nb->k + a];
			if (j < 0 || j == i)
				continue;
			double dd = 1.0 - nb->cos[i * nb->k + a];
			dist[m++] = dd > 0 ? dd : 0;
		}
		if (m == 0)
			continue;
		double rho = dist[0];
		for (int a = 1; a < m; a++)
			if (dist[a] < rho)
				rho = dist[a];
		double target = log2((double)m + 1.0), lo = 0, hi = INFINITY, sig = 1;
		for (int it = 0; it < 64; it++) {
			double s = 0;
			for (int a = 0; a < m; a++)
				s += exp(-(dist[a] - rho) / sig);
			if (fabs(s - target) < 1e-5)
				break;
			if (s > target) {
				hi = sig;
				sig = (lo + hi) / 2;
			} else {
				lo = sig;
				sig = isinf(hi) ? sig * 2 : (lo + hi) / 2;
			}
		}
		if (sig < 1e-6)
			sig = 1e-6;
		int a2 = 0;
		for (int a = 0; a < kk; a++) {
			int32_t j = nb->idx[i * nb->k + a];
			if (j < 0 || j == i)
				continue;
			double w = exp(-(dist[a2++] - rho) / sig);
			e[ne].a = (int32_t)(i < j ? i : j);
			e[ne].b = (int32_t)(i < j ? j : i);
			e[ne].w = (float)(w > 1e-6 ? w : 1e-6);
			ne++;
		}
	}
	qsort(e, (size_t)ne, sizeof *e, cmp_edge);
	int64_t u = 0;
	for (int64_t x = 0; x < ne; x++) {
		if (u > 0 && e[u - 1].a == e[x].a && e[u - 1].b == e[x].b) {
			float p = e[u - 1].w, q = e[x].w;
			e[u - 1].w = p + q - p * q;
		} else {
			e[u++] = e[x];
		}
	}
	*out = e;
	return u;
}

/* Scale into [0,1]^2 with one factor, clamping the outermost rows. */
static void layout_normalise(float *xy, int64_t n)
{
	if (n == 1) {
		xy[0] = xy[1] = 0.5f;
		return;
	}
	float *t = xmalloc((size_t)n * sizeof *t);
	double lo[2], hi[2];
	int64_t q = n / 200;
	for (int ax = 0; ax < 2; ax++) {
		for (int64_t i = 0; i < n; i++)
			t[i] = xy[2 * i + ax];
		qsort(t, (size_t)n, sizeof *t, cmp_float);
		lo[ax] = t[q];
		hi[ax] = t[n - 1 - q];
	}
	free(t);
	double span = fmax(hi[0] - lo[0], hi[1] - lo[1]);
	if (!(span > 0))
		span = 1;
	for (int ax = 0; ax < 2; ax++) {
		double mid = (lo[ax] + hi[ax]) / 2;
		for (int64_t i = 0; i < n; i++) {
			double v = (xy[2 * i + ax] - mid) / span + 0.5;
			xy[2 * i + ax] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
		}
	}
}

int feature_map_layout(const knn_result *nb, const feature_map_opts *o, int init, float *xy)
{
	int64_t n = nb->n;
	if (n <= 0)
		return 0;
	uint64_t rng = (o ? o->seed : 0) ^ 0x3a9u;
	if (!init)
		for (int64_t i = 0; i < 2 * n; i++)
			xy[i] = (float)(20.0 * knn_randu(&rng) - 10.0);
	int kk = o && o->n_neighbours > 0 ? o->n_neighbours : 15;
	if (kk > nb->k)
		kk = nb->k;
	if (kk > 256)
		kk = 256;
	int neg = o && o->negative > 0 ? o->negative : 5;
	int epochs = o && o->epochs > 0 ? o->epochs : (n <= 10000 ? 500 : 200);
	/* bound the work on large sets: about 1.5e8 edge visits */
	if (!(o && o->epochs > 0) && (double)n * kk * epochs > 1.5e8) {
		epochs = (int)(1.5e8 / ((double)n * kk));
		if (epochs < 50)
			epochs = 50;
	}
	layout_edge *e;
	int64_t ne = layout_graph(nb, kk, &e);
	if (ne == 0 || n < 2) {
		free(e);
		layout_normalise(xy, n);
		return 0;
	}
	float wmax = 0;
	for (int64_t x = 0; x < ne; x++)
		if (e[x].w > wmax)
			wmax = e[x].w;
	/* schedules: epochs between visits of each edge, and the next visit */
	float *eps = xmalloc((size_t)ne * sizeof *eps);
	float *next = xmalloc((size_t)ne * sizeof *next);
	float *nextneg = xmalloc((size_t)ne * sizeof *nextneg);
	for (int64_t x = 0; x < ne; x++) {
		eps[x] = wmax / e[x].w;
		next[x] = eps[x];
		nextneg[x] = eps[x] / (float)neg;
	}
	for (int ep = 0; ep < epochs; ep++) {
		float lr = 1.0f - (float)ep / (float)epochs;
		for (int64_t x = 0; x < ne; x++) {
			if (next[x] > (float)ep + 1)
				continue;
			float *yi = xy + 2 * (int64_t)e[x].a, *yj = xy + 2 * (int64_t)e[x].b;
			float dx = yi[0] - yj[0], dy = yi[1] - yj[1];
			float d2 = dx * dx + dy * dy;
			if (d2 > 0) {
				float c = -2.0f / (1.0f + d2);
				float gx = clip4(c * dx), gy = clip4(c * dy);
				yi[0] += lr * gx;
				yi[1] += lr * gy;
				yj[0] -= lr * gx;
				yj[1] -= lr * gy;
			}
			next[x] += eps[x];
			int nneg = (int)(((float)ep + 1 - nextneg[x]) * (float)neg / eps[x]);
			if (nneg < 0)
				nneg = 0;
			for (int p = 0; p < nneg; p++) {
				int64_t r = (int64_t)(knn_randu(&rng) * (double)n);
				if (r == e[x].a)
					continue;
				const float *yr = xy + 2 * r;
				float ex = yi[0] - yr[0], ey = yi[1] - yr[1];
				float q2 = ex * ex + ey * ey;
				float gx, gy;
				if (q2 > 0) {
					float c = 2.0f / ((0.001f + q2) * (1.0f + q2));
					gx = clip4(c * ex);
					gy = clip4(c * ey);
				} else {
					gx = gy = 4.0f;
				}
				yi[0] += lr * gx;
				yi[1] += lr * gy;
			}
			nextneg[x] += (float)nneg * eps[x] / (float)neg;
		}
	}
	free(eps);
	free(next);
	free(nextneg);
	free(e);
	layout_normalise(xy, n);
	return 0;
}

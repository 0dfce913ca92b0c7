/*
 * knn.c: exact and approximate top-k cosine neighbours of decoder rows
 * (see knn.h), plus the spherical k-means shared with the concept tree.
 *
 * Exact search: the rows are cut into blocks; for each pair of blocks one
 * cblas_sgemm gives their cosines (OpenBLAS threads it over the cores), and
 * one pass over that product updates a bounded candidate buffer per row.
 * Each row keeps a threshold (a proven lower bound of its k-th best) so the
 * pass is a vectorised comparison that almost never branches: a product
 * enters the slow path only when it reaches the row's or the column's
 * threshold. Within one dictionary that pass runs on a helper thread, one
 * block behind the products, so selection overlaps the next sgemm call;
 * across two sets (exact_cross_run) every thread runs its own products on
 * cache-sized tiles and selects from each at once. Within one
 * dictionary only blocks J >= I are computed and a product updates both
 * its row's and its column's candidates, so half the flops suffice.
 */
#include "geom/knn.h"

#include "core/blas.h"
#include "core/topk.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

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
static void cands_init(knn_cands *h, knn_result *r, int mult)
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

/* Move the k best of v/id[0..m) to the front (m > k), in no order. */
static void cands_select(float *v, int32_t *id, int m, int k)
{
	int lo = 0, hi = m - 1, want = k - 1;
	while (hi > lo) {
		int mid = lo + (hi - lo) / 2;
		/* median of three as the pivot */
		int a = lo, b = mid, c = hi, p;
		if (topk_better(v[a], id[a], v[b], id[b])) {
			int t = a;
			a = b;
			b = t;
		}
		/* now a is worse than b */
		if (topk_better(v[c], id[c], v[b], id[b]))
			p = b;
		else if (topk_better(v[c], id[c], v[a], id[a]))
			p = c;
		else
			p = a;
		float pv = v[p];
		int32_t pi = id[p];
		int i = lo, j = hi;
		while (i <= j) {
			while (topk_better(v[i], id[i], pv, pi))
				i++;
			while (topk_better(pv, pi, v[j], id[j]))
				j--;
			if (i <= j) {
				float tv = v[i];
				int32_t ti = id[i];
				v[i] = v[j];
				id[i] = id[j];
				v[j] = tv;
				id[j] = ti;
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

/* Cut a row's buffer to its k best and raise its threshold. */
static void cands_cut(knn_cands *h, int64_t row)
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

/* Add a candidate that reached the row's threshold. */
static inline void cands_push(knn_cands *h, int64_t row, float v, int32_t id)
{
	int n = h->fill[row];
	if (n == h->cap) {
		cands_cut(h, row);
		if (v < h->thr[row])
			return;
		n = h->k;
	}
	h->v[row * h->cap + n] = v;
	h->id[row * h->cap + n] = id;
	h->fill[row] = n + 1;
}

/* Write every row's k best, best first, padded with -1/-2, and free. */
static void cands_finish(knn_cands *h)
{
	knn_result *r = h->r;
	int k = h->k;
	for (int64_t row = 0; row < r->n; row++) {
		float *v = h->v + row * h->cap;
		int32_t *id = h->id + row * h->cap;
		int n = h->fill[row];
		if (n > k) {
			cands_select(v, id, n, k);
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
		cands_push(ha, gi, v, (int32_t)gj);
		*tr = ha->thr[gi];
	}
	if (hb && v >= hb->thr[gj])
		cands_push(hb, gj, v, (int32_t)gi);
}

/*
 * Part of one product block: C[i][j] (row stride ldc) is the cosine of
 * side-a row r0+i and side-b row c0+j; rows i0..i1, columns j0..j1 are
 * tested. ha (may be NULL) takes candidates for side-a rows, hb (may be
 * NULL) for side-b rows. With self set both sides are one set and only
 * pairs with c0+j > r0+i count.
 */
static void select_part(const float *C, int ldc, int64_t r0, int i0, int i1,
			int64_t c0, int j0, int j1, knn_cands *ha, knn_cands *hb,
			int self)
{
	for (int i = i0; i < i1; i++) {
		const float *c = C + (size_t)i * ldc;
		int64_t gi = r0 + i;
		int j = j0;
		if (self && gi + 1 - c0 > j)
			j = (int)(gi + 1 - c0);
		if (j >= j1)
			continue;
		float tr = ha ? ha->thr[gi] : INFINITY;
		const float *tc = hb ? hb->thr + c0 : NULL;
		for (; j < j1 && (j % KNN_VW); j++)
			knn_take(c[j], gi, c0 + j, &tr, ha, hb);
		for (; j + KNN_VW <= j1; j += KNN_VW) {
			unsigned m = knn_mask16(c + j, tr, tc ? tc + j : NULL);
			while (m) {
				int t = j + knn_lowbit(m);
				m &= m - 1;
				knn_take(c[t], gi, c0 + t, &tr, ha, hb);
			}
		}
		for (; j < j1; j++)
			knn_take(c[j], gi, c0 + j, &tr, ha, hb);
	}
}

/* ------------------------------------------------------ the selection thread */

/* One helper thread that runs posted jobs one at a time, while the caller
 * goes on with the next sgemm call (which OpenBLAS threads itself). */
typedef struct {
	pthread_t th;          /* the helper */
	pthread_mutex_t mu;    /* guards the fields below */
	pthread_cond_t cv;     /* signals a new job or its end */
	void (*fn)(void *);    /* job to run, NULL when none */
	void *arg;             /* its argument */
	int busy;              /* a job is posted and not finished */
	int quit;              /* the helper should exit */
	int on;                /* the helper thread exists */
} knn_worker;

static void *worker_main(void *p)
{
	knn_worker *w = p;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		void (*fn)(void *) = w->fn;
		void *arg = w->arg;
		pthread_mutex_unlock(&w->mu);
		fn(arg);
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void worker_start(knn_worker *w)
{
	memset(w, 0, sizeof *w);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2)
		return;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->on = pthread_create(&w->th, NULL, worker_main, w) == 0;
	if (!w->on) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
}

static void worker_stop(knn_worker *w)
{
	if (!w->on)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	w->on = 0;
}

static int knn_block_rows(const knn_opts *o)
{
	int b = o && o->block > 0 ? o->block : 1024;
	return b;
}

/* The selection of one product block, run by the helper thread. */
typedef struct {
	const float *C;        /* the product block */
	int ldc;               /* its row stride */
	int64_t r0, c0;        /* first side-a row, first side-b row */
	int bi, bj;            /* rows and columns */
	knn_cands *ha, *hb;    /* row side, column side (may be NULL) */
	int self;              /* one set: only pairs above the diagonal */
} knn_job;

static void job_run(void *p)
{
	knn_job *j = p;
	select_part(j->C, j->ldc, j->r0, 0, j->bi, j->c0, 0, j->bj, j->ha, j->hb, j->self);
}

/* Post a job to the helper (which must be idle); it runs alone. */
static void worker_post(knn_worker *w, void (*fn)(void *), void *arg)
{
	if (!w->on) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->arg = arg;
	w->busy = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Wait until the helper is idle. */
static void worker_wait(knn_worker *w)
{
	if (!w->on)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/*
 * Starting thresholds: each row of Q against s rows of P spread evenly
 * (never the row itself when self); the k-th best of those cosines is a
 * lower bound of the row's final k-th best, since they are real pairs the
 * search will meet. Lowered by a margin for rounding differences between
 * this product and the search's. Cuts the early candidates, which are the
 * bulk of the selection work. Uses C (at least rb * s floats) as scratch.
 */
static void seed_thresholds(const float *Q, int64_t nq, const float *P, int64_t np, int d,
			    int self, knn_cands *h, float *C, int64_t rb)
{
	int k = h->k;
	int64_t s = 16 * (int64_t)k;
	if (s > np)
		s = np;
	if (s - self < k || rb < 1)
		return;
	float *S = xmalloc((size_t)s * d * sizeof *S);
	int64_t *pick = xmalloc((size_t)s * sizeof *pick);
	for (int64_t a = 0; a < s; a++) {
		pick[a] = a * np / s;
		memcpy(S + a * d, P + pick[a] * d, (size_t)d * sizeof *S);
	}
	float *tmp = xmalloc((size_t)s * sizeof *tmp);
	for (int64_t r0 = 0; r0 < nq; r0 += rb) {
		int bi = (int)(nq - r0 < rb ? nq - r0 : rb);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, (int)s, d, 1.0f,
			    Q + r0 * d, d, S, d, 0.0f, C, (int)s);
		for (int i = 0; i < bi; i++) {
			int m = 0;
			for (int64_t a = 0; a < s; a++)
				if (!(self && pick[a] == r0 + i))
					tmp[m++] = C[(size_t)i * s + a];
			if (m < k)
				continue;
			float t = topk_kth(tmp, m, k) - 1e-4f;
			if (t > h->thr[r0 + i])
				h->thr[r0 + i] = t;
		}
	}
	free(tmp);
	free(pick);
	free(S);
}

/*
 * The exact search over blocks, pipelined: while OpenBLAS computes the
 * product of block t into one buffer, the helper thread selects from block
 * t-1 in the other. Blocks are selected one at a time in order, so the
 * result does not depend on timing. Within one set (self), only column
 * blocks at or right of the row block are visited.
 */
static void exact_run(const float *A, int64_t na, const float *B, int64_t nb, int d,
		      int self, const knn_opts *o, knn_cands *ha, knn_cands *hb)
{
	int64_t R = knn_block_rows(o);
	if (R > na)
		R = na;
	/* columns per product: a few row blocks, so each sgemm call is big */
	int64_t W = 4 * (int64_t)knn_block_rows(o);
	if (W > nb)
		W = nb;
	float *C[2];
	C[0] = xmalloc((size_t)R * (size_t)W * sizeof(float));
	C[1] = xmalloc((size_t)R * (size_t)W * sizeof(float));
	seed_thresholds(A, na, B, nb, d, self, ha, C[0], R * W / (16 * ha->k > 0 ? 16 * ha->k : 1));
	if (hb && !self)
		seed_thresholds(B, nb, A, na, d, 0, hb, C[0], R * W / (16 * hb->k > 0 ? 16 * hb->k : 1));
	knn_job job[2];
	knn_worker w;
	worker_start(&w);
	double total = self ? 0.5 * (double)na * (double)na : (double)na * (double)nb;
	double done = 0;
	int t = 0;
	for (int64_t r0 = 0; r0 < na; r0 += R) {
		int bi = (int)(na - r0 < R ? na - r0 : R);
		for (int64_t c0 = self ? r0 : 0; c0 < nb; c0 += W) {
			int bj = (int)(nb - c0 < W ? nb - c0 : W);
			float *c = C[t & 1];
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d,
				    1.0f, A + r0 * d, d, B + c0 * d, d, 0.0f, c, bj);
			worker_wait(&w);
			job[t & 1] = (knn_job){c, bj, r0, c0, bi, bj, ha, hb, self};
			worker_post(&w, job_run, &job[t & 1]);
			t++;
			done += (double)bi * bj;
			if (o && o->progress)
				o->progress(o->progress_arg, done / total);
		}
	}
	worker_wait(&w);
	worker_stop(&w);
	free(C[0]);
	free(C[1]);
}

int knn_exact_self(const float *X, int64_t n, int d, int k, const knn_opts *o,
		   knn_result *out)
{
	knn_result_init(out, n, k);
	if (n <= 1 || k <= 0)
		return 0;
	knn_cands h;
	cands_init(&h, out, 4);
	exact_run(X, n, X, n, d, 1, o, &h, &h);
	cands_finish(&h);
	return 0;
}

/*
 * The exact search across two sets, split over threads: the rows of A are
 * cut into tiles of R rows x W columns small enough to stay in the core's
 * cache; each thread takes the next row block (an atomic counter, so a
 * thread slowed by other load takes fewer), runs its own one-threaded
 * product per tile and selects from it at once, while the tile is hot.
 * Side a rows belong to the thread that takes their block, so their
 * candidates need no lock; side b candidates are kept per thread and
 * merged at the end. A candidate is dropped only below a proven lower
 * bound of its row's k-th best and the final lists are the k best in one
 * total order (cosine, then index), so the result is the same whatever
 * the order of tiles, threads and merges.
 */
#define KNN_TILE_R 512  /* rows per tile (o->block overrides) */
#define KNN_TILE_W 2048 /* columns per tile: 4 MiB of floats, in the L3 cache */
#define KNN_MAX_THREADS 64
#define KNN_PRIVATE_MAX ((double)512 * 1024 * 1024) /* bytes of per-thread side b buffers */

typedef struct {
	const float *A, *B;     /* normalised sides */
	int64_t na, nb;         /* their rows */
	int d;                  /* width */
	int64_t R, W;           /* tile shape */
	knn_cands *ha, *hb;     /* shared candidates (hb may be NULL) */
	int64_t next;           /* next row block to take (atomic) */
	int64_t done_blocks;    /* row blocks finished (atomic, for progress) */
	const knn_opts *o;      /* progress callback, called by the first thread */
} xshare;

typedef struct {
	xshare *sh;             /* the search */
	knn_cands a, b;         /* this thread's views: a shares ha's rows, b is private */
	int own_b;              /* b was allocated here (not the shared hb) */
	int first;              /* the calling thread: reports progress */
	pthread_t th;           /* the thread (not the first) */
	int started;            /* th exists */
} xthread;

static void *xthread_main(void *p)
{
	xthread *t = p;
	xshare *sh = t->sh;
	float *C = xmalloc((size_t)sh->R * (size_t)sh->W * sizeof *C);
	int64_t nblk = (sh->na + sh->R - 1) / sh->R;
	for (;;) {
		int64_t b = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		if (b >= nblk)
			break;
		int64_t r0 = b * sh->R;
		int bi = (int)(sh->na - r0 < sh->R ? sh->na - r0 : sh->R);
		for (int64_t c0 = 0; c0 < sh->nb; c0 += sh->W) {
			int bj = (int)(sh->nb - c0 < sh->W ? sh->nb - c0 : sh->W);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, sh->d, 1.0f,
				 sh->A + r0 * sh->d, sh->d, sh->B + c0 * sh->d, sh->d, 0.0f, C, bj);
			select_part(C, bj, r0, 0, bi, c0, 0, bj, &t->a, sh->hb ? &t->b : NULL, 0);
		}
		int64_t done = __atomic_add_fetch(&sh->done_blocks, 1, __ATOMIC_RELAXED);
		if (t->first && sh->o && sh->o->progress)
			sh->o->progress(sh->o->progress_arg, (double)done / (double)nblk);
	}
	free(C);
	return NULL;
}

/* A view of h for one thread: the same rows, its own cut scratch. */
static void cands_view(knn_cands *v, const knn_cands *h)
{
	*v = *h;
	v->tmp = xmalloc((size_t)(h->cap > 0 ? h->cap : 1) * sizeof *v->tmp);
	v->tid = xmalloc((size_t)(h->cap > 0 ? h->cap : 1) * sizeof *v->tid);
}

/* A private copy of h's shape, empty, with h's thresholds. */
static void cands_private(knn_cands *v, const knn_cands *h, int64_t n)
{
	int64_t m = n > 0 ? n : 1;
	cands_view(v, h);
	v->v = xmalloc((size_t)m * (size_t)h->cap * sizeof *v->v);
	v->id = xmalloc((size_t)m * (size_t)h->cap * sizeof *v->id);
	v->fill = xcalloc((size_t)m, sizeof *v->fill);
	v->thr = xmalloc((size_t)m * sizeof *v->thr);
	memcpy(v->thr, h->thr, (size_t)n * sizeof *v->thr);
}

static void exact_cross_run(const float *A, int64_t na, const float *B, int64_t nb, int d,
			    const knn_opts *o, knn_cands *ha, knn_cands *hb)
{
	xshare sh = {.A = A, .B = B, .na = na, .nb = nb, .d = d, .ha = ha, .hb = hb, .o = o};
	sh.R = o && o->block > 0 ? o->block : KNN_TILE_R;
	sh.W = o && o->block > 0 ? 4 * (int64_t)o->block : KNN_TILE_W;
	if (sh.R > na)
		sh.R = na;
	if (sh.W > nb)
		sh.W = nb;
	/* starting thresholds, from OpenBLAS's own threads */
	int64_t sr = 262144;
	float *S = xmalloc((size_t)sr * sizeof *S);
	seed_thresholds(A, na, B, nb, d, 0, ha, S, sr / (16 * ha->k));
	if (hb)
		seed_thresholds(B, nb, A, na, d, 0, hb, S, sr / (16 * hb->k));
	free(S);
	int nt = o && o->threads > 0 ? o->threads : fs_blas_threads();
	int64_t nblk = (na + sh.R - 1) / sh.R;
	if (nt > nblk)
		nt = (int)nblk;
	if (nt > KNN_MAX_THREADS)
		nt = KNN_MAX_THREADS;
	/* every thread but the first keeps its own side b candidates: at
	 * most KNN_PRIVATE_MAX bytes of them in all */
	if (hb) {
		double per = (double)nb * hb->cap * (sizeof(float) + sizeof(int32_t)) + (double)nb * 8;
		double most = 1 + (double)KNN_PRIVATE_MAX / per;
		if (nt > most)
			nt = (int)most;
	}
	if (nt < 1)
		nt = 1;
	xthread *t = xcalloc((size_t)nt, sizeof *t);
	for (int i = 0; i < nt; i++) {
		t[i].sh = &sh;
		t[i].first = i == 0;
		cands_view(&t[i].a, ha);
		if (hb && i == 0)
			cands_view(&t[i].b, hb);
		else if (hb) {
			cands_private(&t[i].b, hb, nb);
			t[i].own_b = 1;
		}
	}
	/* each thread's products run in that thread, one-threaded even when
	 * nt is 1: OpenBLAS may round a product split over its threads an ulp
	 * apart, and the result should not depend on the thread count */
	int old = fs_blas_set_threads(1);
	for (int i = 1; i < nt; i++)
		t[i].started = pthread_create(&t[i].th, NULL, xthread_main, &t[i]) == 0;
	xthread_main(&t[0]);
	for (int i = 1; i < nt; i++)
		if (t[i].started)
			pthread_join(t[i].th, NULL);
	fs_blas_set_threads(old);
	/* a thread that could not start took no block: the others did */
	for (int i = 0; i < nt; i++) {
		if (hb && t[i].own_b) {
			/* merge its side b candidates into the shared ones (the
			 * shared view's scratch: this thread only) */
			for (int64_t j = 0; j < nb; j++) {
				const float *v = t[i].b.v + j * t[i].b.cap;
				const int32_t *id = t[i].b.id + j * t[i].b.cap;
				for (int a = 0; a < t[i].b.fill[j]; a++)
					if (v[a] >= hb->thr[j])
						cands_push(hb, j, v[a], id[a]);
			}
			free(t[i].b.v);
			free(t[i].b.id);
			free(t[i].b.fill);
			free(t[i].b.thr);
		}
		if (hb) {
			free(t[i].b.tmp);
			free(t[i].b.tid);
		}
		free(t[i].a.tmp);
		free(t[i].a.tid);
	}
	free(t);
}

int knn_exact_cross(const float *A, int64_t na, const float *B, int64_t nb, int d,
		    int k, const knn_opts *o, knn_result *ab, knn_result *ba)
{
	knn_result_init(ab, na, k);
	if (ba)
		knn_result_init(ba, nb, k);
	if (na <= 0 || nb <= 0 || k <= 0)
		return 0;
	knn_cands ha, hb;
	cands_init(&ha, ab, 4);
	if (ba)
		cands_init(&hb, ba, 4);
	exact_cross_run(A, na, B, nb, d, o, &ha, ba ? &hb : NULL);
	cands_finish(&ha);
	if (ba)
		cands_finish(&hb);
	return 0;
}

/* -------------------------------------------------- spherical k-means */

/* Best centroid of every row of X (ties: lowest centroid); best[i] gets
 * its cosine. Returns how many assignments changed. */
static int64_t kmeans_assign(const float *X, int64_t n, int d, const float *cent,
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
	kmeans_assign(X, n, d, cent, nc, assign, best);
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
		if (kmeans_assign(X, n, d, cent, nc, assign, best) * 1000 <= n)
			break;
	}
	for (int c = 0; c < nc; c++)
		unit_row(cent + (size_t)c * d, d);
	free(sum);
	free(cnt);
	free(best);
	return 0;
}

/* ------------------------------------------------------ approximate (IVF) */

int knn_ivf(const float *A, int64_t na, const float *B, int64_t nb, int d, int k,
	    const knn_ivf_opts *o, knn_result *out)
{
	knn_result_init(out, na, k);
	if (na <= 0 || nb <= 0 || k <= 0)
		return 0;
	int self = A == B && na == nb;
	int nlist = o && o->nlist > 0 ? o->nlist : (int)lround(2.0 * sqrt((double)nb));
	if (nlist < 1)
		nlist = 1;
	if (nlist > nb)
		nlist = (int)nb;
	int nprobe = o && o->nprobe > 0 ? o->nprobe : nlist / 16;
	if (nprobe < 8)
		nprobe = 8;
	if (nprobe > nlist)
		nprobe = nlist;
	int iters = o && o->iters > 0 ? o->iters : 10;
	uint64_t seed = o ? o->seed : 0;
	int64_t ns = o && o->train_max > 0 ? o->train_max : 32 * (int64_t)nlist;
	if (ns > nb)
		ns = nb;
	if (ns < nlist)
		ns = nlist;

	/* train the coarse quantiser on a seeded sample of B */
	uint64_t rng = seed ^ 0x1f1f1f1full;
	float *T = xmalloc((size_t)ns * (size_t)d * sizeof *T);
	{
		int64_t *perm = xmalloc((size_t)nb * sizeof *perm);
		for (int64_t i = 0; i < nb; i++)
			perm[i] = i;
		for (int64_t c = 0; c < ns; c++) {
			int64_t j = c + (int64_t)(knn_randu(&rng) * (double)(nb - c));
			int64_t t = perm[c];
			perm[c] = perm[j];
			perm[j] = t;
		}
		/* keep the sample in row order so the result does not depend on
		 * the shuffle's order beyond the chosen set */
		for (int64_t c = 0; c < ns; c++)
			memcpy(T + c * d, B + perm[c] * d, (size_t)d * sizeof *T);
		free(perm);
	}
	float *cent = xmalloc((size_t)nlist * (size_t)d * sizeof *cent);
	int32_t *tas = xmalloc((size_t)ns * sizeof *tas);
	knn_kmeans(T, ns, d, nlist, iters, seed, cent, tas);
	free(tas);
	free(T);
	if (o && o->progress)
		o->progress(o->progress_arg, 0.1);

	/* probes of every query: its nprobe best centroids */
	knn_result probes;
	knn_result_init(&probes, na, nprobe);
	{
		knn_cands hp;
		cands_init(&hp, &probes, 2);
		int64_t rb = 262144 / nlist;
		if (rb < 64)
			rb = 64;
		if (rb > na)
			rb = na;
		float *S = xmalloc((size_t)rb * (size_t)nlist * sizeof *S);
		for (int64_t r0 = 0; r0 < na; r0 += rb) {
			int bi = (int)(na - r0 < rb ? na - r0 : rb);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, nlist, d,
				    1.0f, A + r0 * d, d, cent, d, 0.0f, S, nlist);
			select_part(S, nlist, r0, 0, bi, 0, 0, nlist, &hp, NULL, 0);
		}
		free(S);
		cands_finish(&hp);
	}
	/* the list of every row of B: its best centroid */
	int32_t *lst = xmalloc((size_t)nb * sizeof *lst);
	if (self) {
		for (int64_t i = 0; i < nb; i++)
			lst[i] = probes.idx[i * nprobe] >= 0 ? probes.idx[i * nprobe] : 0;
	} else {
		float *best = xmalloc((size_t)nb * sizeof *best);
		for (int64_t i = 0; i < nb; i++)
			lst[i] = -1;
		kmeans_assign(B, nb, d, cent, nlist, lst, best);
		free(best);
	}
	free(cent);

	/* inverted lists (members in row order) and the queries of each list */
	int64_t *moff = xcalloc((size_t)nlist + 1, sizeof *moff);
	int64_t *qoff = xcalloc((size_t)nlist + 1, sizeof *qoff);
	for (int64_t i = 0; i < nb; i++)
		moff[lst[i] + 1]++;
	for (int64_t i = 0; i < na * nprobe; i++)
		if (probes.idx[i] >= 0)
			qoff[probes.idx[i] + 1]++;
	for (int l = 0; l < nlist; l++) {
		moff[l + 1] += moff[l];
		qoff[l + 1] += qoff[l];
	}
	int32_t *mem = xmalloc((size_t)nb * sizeof *mem);
	int32_t *qry = xmalloc((size_t)(qoff[nlist] > 0 ? qoff[nlist] : 1) * sizeof *qry);
	{
		int64_t *pos = xmalloc((size_t)nlist * sizeof *pos);
		memcpy(pos, moff, (size_t)nlist * sizeof *pos);
		for (int64_t i = 0; i < nb; i++)
			mem[pos[lst[i]]++] = (int32_t)i;
		memcpy(pos, qoff, (size_t)nlist * sizeof *pos);
		for (int64_t i = 0; i < na; i++)
			for (int p = 0; p < nprobe; p++) {
				int32_t l = probes.idx[i * nprobe + p];
				if (l >= 0)
					qry[pos[l]++] = (int32_t)i;
			}
		free(pos);
	}
	knn_result_free(&probes);
	free(lst);
	/* B's rows gathered list by list so each list is one contiguous block */
	float *Bp = xmalloc((size_t)nb * (size_t)d * sizeof *Bp);
	for (int64_t i = 0; i < nb; i++)
		memcpy(Bp + i * d, B + (int64_t)mem[i] * d, (size_t)d * sizeof *Bp);

	/* re-rank: for each list, its queries against its members */
	knn_cands h;
	/* fewer candidates reach a query here: smaller buffers for large sets */
	cands_init(&h, out, 2);
	int64_t maxm = 1;
	for (int l = 0; l < nlist; l++)
		if (moff[l + 1] - moff[l] > maxm)
			maxm = moff[l + 1] - moff[l];
	int64_t qb = 4096;
	float *Q = xmalloc((size_t)qb * (size_t)d * sizeof *Q);
	float *S = xmalloc((size_t)qb * (size_t)maxm * sizeof *S);
	for (int l = 0; l < nlist; l++) {
		int64_t m0 = moff[l], ms = moff[l + 1] - moff[l];
		if (ms == 0)
			continue;
		for (int64_t q0 = qoff[l]; q0 < qoff[l + 1]; q0 += qb) {
			int bq = (int)(qoff[l + 1] - q0 < qb ? qoff[l + 1] - q0 : qb);
			for (int q = 0; q < bq; q++)
				memcpy(Q + (size_t)q * d, A + (int64_t)qry[q0 + q] * d,
				       (size_t)d * sizeof *Q);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bq, (int)ms, d,
				    1.0f, Q, d, Bp + m0 * d, d, 0.0f, S, (int)ms);
			for (int q = 0; q < bq; q++) {
				int32_t qi = qry[q0 + q];
				const float *s = S + (size_t)q * ms;
				float tr = h.thr[qi];
				for (int64_t j = 0; j < ms; j++) {
					if (s[j] >= tr && !(self && mem[m0 + j] == qi)) {
						cands_push(&h, qi, s[j], mem[m0 + j]);
						tr = h.thr[qi];
					}
				}
			}
		}
		if (o && o->progress && (l & 15) == 15)
			o->progress(o->progress_arg, 0.1 + 0.9 * (double)(l + 1) / nlist);
	}
	free(Q);
	free(S);
	free(Bp);
	free(mem);
	free(qry);
	free(moff);
	free(qoff);
	cands_finish(&h);
	return 0;
}

double knn_recall(const knn_result *approx, const knn_result *exact, int at)
{
	double sum = 0;
	int64_t rows = 0;
	for (int64_t i = 0; i < exact->n && i < approx->n; i++) {
		int e = 0, hit = 0;
		for (int a = 0; a < at && a < exact->k; a++)
			if (exact->idx[i * exact->k + a] >= 0)
				e++;
		if (e == 0)
			continue;
		for (int a = 0; a < at && a < approx->k; a++) {
			int32_t id = approx->idx[i * approx->k + a];
			if (id < 0)
				continue;
			for (int b = 0; b < e; b++)
				if (exact->idx[i * exact->k + b] == id) {
					hit++;
					break;
				}
		}
		sum += (double)hit / e;
		rows++;
	}
	return rows ? sum / (double)rows : 1.0;
}

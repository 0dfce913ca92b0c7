/*
 * knn_exact.c: the exact top-k cosine neighbours of decoder rows (see
 * knn.h), within one dictionary and across two.
 *
 * Exact search: the rows are cut into blocks; for each pair of blocks one
 * cblas_sgemm gives their cosines (OpenBLAS threads it over the cores), and
 * one pass over that product updates a bounded candidate buffer per row.
 * Each row keeps a threshold (a proven lower bound of its k-th best) so the
 * pass is a vectorised comparison that almost never branches: a product
 * enters the slow path only when it reaches the row's or the column's
 * threshold. Every thread runs its own one-threaded products on
 * cache-sized tiles and selects from each at once, while it is hot
 * (exact_cross_run, across two sets and within one); within one set, when
 * the per-thread column-side candidates would not fit, the pass runs on a
 * helper thread one block behind OpenBLAS's threaded products instead
 * (exact_run). Within one dictionary only tiles at or right of the
 * diagonal are computed and a product updates both its row's and its
 * column's candidates, so half the flops suffice.
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
	knn_select_part(j->C, j->ldc, j->r0, 0, j->bi, j->c0, 0, j->bj, j->ha, j->hb, j->self);
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
	knn_cands *ha, *hb;     /* shared candidates (hb may be NULL, or ha when self) */
	int self;               /* one set: only tiles at or right of the diagonal */
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
		for (int64_t c0 = sh->self ? r0 : 0; c0 < sh->nb; c0 += sh->W) {
			int bj = (int)(sh->nb - c0 < sh->W ? sh->nb - c0 : sh->W);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, sh->d, 1.0f,
				 sh->A + r0 * sh->d, sh->d, sh->B + c0 * sh->d, sh->d, 0.0f, C, bj);
			knn_select_part(C, bj, r0, 0, bi, c0, 0, bj, &t->a, sh->hb ? &t->b : NULL, sh->self);
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

/* Threads the tiled search may use: each thread but the first keeps its own
 * side b candidates (every thread when self, since then side b rows are
 * side a rows of other threads' blocks), at most KNN_PRIVATE_MAX bytes of
 * them in all (o->private_max overrides); 0 when even one private copy does not fit. */
static int tiled_threads(const knn_opts *o, int64_t nblk, int64_t nb, const knn_cands *hb, int self)
{
	int nt = o && o->threads > 0 ? o->threads : fs_blas_threads();
	if (nt > nblk)
		nt = (int)nblk;
	if (nt > KNN_MAX_THREADS)
		nt = KNN_MAX_THREADS;
	if (hb) {
		double per = (double)nb * hb->cap * (sizeof(float) + sizeof(int32_t)) + (double)nb * 8;
		double cap = o && o->private_max > 0 ? o->private_max : KNN_PRIVATE_MAX;
		double most = (self ? 0 : 1) + cap / per;
		if (nt > most)
			nt = (int)most;
	}
	return nt < 1 && !self ? 1 : nt;
}

/* Tiles of R x W for a search of these sides (o->block overrides). */
static void tile_shape(xshare *sh, const knn_opts *o)
{
	sh->R = o && o->block > 0 ? o->block : KNN_TILE_R;
	sh->W = o && o->block > 0 ? 4 * (int64_t)o->block : KNN_TILE_W;
	if (sh->R > sh->na)
		sh->R = sh->na;
	if (sh->W > sh->nb)
		sh->W = sh->nb;
}

static void exact_cross_run(const float *A, int64_t na, const float *B, int64_t nb, int d,
			    const knn_opts *o, knn_cands *ha, knn_cands *hb, int self)
{
	xshare sh = {.A = A, .B = B, .na = na, .nb = nb, .d = d, .ha = ha, .hb = hb, .self = self, .o = o};
	tile_shape(&sh, o);
	/* starting thresholds, from OpenBLAS's own threads */
	int64_t sr = 262144;
	float *S = xmalloc((size_t)sr * sizeof *S);
	seed_thresholds(A, na, B, nb, d, self, ha, S, sr / (16 * ha->k));
	if (hb && !self)
		seed_thresholds(B, nb, A, na, d, 0, hb, S, sr / (16 * hb->k));
	free(S);
	int64_t nblk = (na + sh.R - 1) / sh.R;
	int nt = tiled_threads(o, nblk, nb, hb, self);
	xthread *t = xcalloc((size_t)nt, sizeof *t);
	for (int i = 0; i < nt; i++) {
		t[i].sh = &sh;
		t[i].first = i == 0;
		cands_view(&t[i].a, ha);
		if (hb && i == 0 && !self)
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
						knn_cands_push(hb, j, v[a], id[a]);
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

/*
 * Within one set: the tiled search when every thread's private side b
 * candidates fit (each thread runs its own products and selects from each
 * tile while it is hot, with no third thread competing for the cores),
 * else the pipelined one (OpenBLAS threads the products, a helper selects).
 * Row blocks are taken in order, so the long ones (left of the diagonal,
 * the most columns) go first and the short ones even out the end.
 */
int knn_exact_self(const float *X, int64_t n, int d, int k, const knn_opts *o,
		   knn_result *out)
{
	knn_result_init(out, n, k);
	if (n <= 1 || k <= 0)
		return 0;
	knn_cands h;
	knn_cands_init(&h, out, 4);
	xshare sh = {.na = n, .nb = n};
	tile_shape(&sh, o);
	if (tiled_threads(o, (n + sh.R - 1) / sh.R, n, &h, 1) >= 1)
		exact_cross_run(X, n, X, n, d, o, &h, &h, 1);
	else
		exact_run(X, n, X, n, d, 1, o, &h, &h);
	knn_cands_finish(&h);
	return 0;
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
	knn_cands_init(&ha, ab, 4);
	if (ba)
		knn_cands_init(&hb, ba, 4);
	exact_cross_run(A, na, B, nb, d, o, &ha, ba ? &hb : NULL, 0);
	knn_cands_finish(&ha);
	if (ba)
		knn_cands_finish(&hb);
	return 0;
}

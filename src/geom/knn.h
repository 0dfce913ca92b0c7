/*
 * knn.h: top-k cosine neighbours of decoder rows. Exact search runs blocked
 * matrix products through OpenBLAS cblas_sgemm (rows normalised first) and
 * keeps a bounded heap per row, never holding the n x n similarity matrix;
 * within one dictionary only the blocks on and above the diagonal are
 * computed and each product updates both rows. The approximate mode is an
 * inverted file (IVF): a spherical k-means coarse quantiser, each query
 * probing its nearest lists, with exact re-ranking through sgemm.
 *
 * Order of neighbours: higher cosine first; equal cosines by lower row
 * index. Within one dictionary a row is never its own neighbour.
 */
#ifndef FS_KNN_H
#define FS_KNN_H

#include <stddef.h>
#include <stdint.h>

/* Neighbours of n query rows among the rows of another (or the same) set. */
typedef struct {
	int64_t n;      /* query rows */
	int k;          /* neighbours per row */
	int32_t *idx;   /* n x k row indices into the searched set, best first; -1 pads */
	float *cos;     /* n x k cosines matching idx (-2 where idx is -1) */
} knn_result;

/* Progress callback: frac in [0,1] of the work done. */
typedef void (*knn_progress_fn)(void *arg, double frac);

/* Exact search parameters. */
typedef struct {
	int block;                  /* rows per block, 0 = default (1024) */
	knn_progress_fn progress;   /* called now and then, may be NULL */
	void *progress_arg;         /* passed to progress */
	int threads;                /* threads of a cross search, 0 = OpenBLAS's count */
	double private_max;         /* bytes of per-thread candidates the tiled search may
				       keep, 0 = default (512 MiB); beyond it a search
				       within one set runs pipelined (tests force it) */
} knn_opts;

/* Approximate (IVF) parameters; zeros pick defaults from the size. */
typedef struct {
	int nlist;                  /* coarse lists (default ~ 2 sqrt(n), >= 1) */
	int nprobe;                 /* lists probed per query (default nlist/16, >= 8) */
	int iters;                  /* k-means iterations (default 10) */
	int64_t train_max;          /* rows sampled to train the quantiser (default 32 per list) */
	uint64_t seed;              /* sampling and initialisation seed */
	knn_progress_fn progress;   /* called now and then, may be NULL */
	void *progress_arg;         /* passed to progress */
} knn_ivf_opts;

void knn_result_init(knn_result *r, int64_t n, int k);
void knn_result_free(knn_result *r);

/* A normalised copy of the n x d row-major matrix W (zero rows stay zero).
 * Returns NULL when a value is not finite, with the bad row in *bad_row. */
float *knn_normalize(const float *W, int64_t n, int d, int64_t *bad_row);

/* Exact top-k of every row of the normalised X among the other rows of X. */
int knn_exact_self(const float *X, int64_t n, int d, int k, const knn_opts *o,
		   knn_result *out);
/* Exact top-k of every row of A among the rows of B (ab), and, when ba is
 * not NULL, of every row of B among the rows of A, from the same products. */
int knn_exact_cross(const float *A, int64_t na, const float *B, int64_t nb, int d,
		    int k, const knn_opts *o, knn_result *ab, knn_result *ba);

/* Approximate top-k through an IVF index over B (B == A, na == nb: within
 * one set, self excluded). */
int knn_ivf(const float *A, int64_t na, const float *B, int64_t nb, int d, int k,
	    const knn_ivf_opts *o, knn_result *out);

/* Mean over rows of |approx top-at ∩ exact top-at| / at. */
double knn_recall(const knn_result *approx, const knn_result *exact, int at);

/* Spherical k-means on normalised rows (shared with the concept tree):
 * nc centroids (unit rows, nc x d) from seeded k-means++-style picks and
 * at most iters Lloyd steps through sgemm (fewer once under 0.1% of the
 * rows move); assign[i] is the centroid of row i.
 * Returns 0, -1 when n < 1. */
int knn_kmeans(const float *X, int64_t n, int d, int nc, int iters, uint64_t seed,
	       float *centroids, int32_t *assign);

/* Deterministic 64-bit generator (splitmix64) shared by the geometry code. */
uint64_t knn_rand(uint64_t *state);
/* Uniform in [0,1). */
double knn_randu(uint64_t *state);

#endif

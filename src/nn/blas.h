/*
 * blas.h: the two BLAS products featscope uses (decoder geometry, logit
 * effects), taken from OpenBLAS, which is loaded on the first call rather
 * than when the program starts: loading it (and starting its threads)
 * costs a few milliseconds that commands doing no matrix work (browsing,
 * search, grep) should not pay. Arguments are cblas_sgemm's and
 * cblas_sgemv's. If no BLAS library can be loaded, the program stops with
 * one line naming the library it looked for (exit 1).
 */
#ifndef FS_BLAS_H
#define FS_BLAS_H

#include <cblas.h>

void blas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
	      int m, int n, int k, float alpha, const float *a, int lda,
	      const float *b, int ldb, float beta, float *c, int ldc);
void blas_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, int m, int n,
	      float alpha, const float *a, int lda, const float *x, int incx,
	      float beta, float *y, int incy);

/* Threads OpenBLAS runs a product on (1 for a BLAS without the call). */
int fs_blas_threads(void);
/* Set them (n >= 1) for later products of the whole process; returns the
 * count before. With 1, products run in the calling thread, so several
 * threads may each run their own (exact_cross in geom/knn.c). */
int fs_blas_set_threads(int n);

#endif

/*
 * blas.c: OpenBLAS on demand (see blas.h). The first product loads the
 * library with dlopen and looks up cblas_sgemm and cblas_sgemv; every
 * later call goes straight through the pointers. pthread_once makes the
 * first use safe from any thread. openblas_get/set_num_threads are looked
 * up too (absent from other BLAS libraries: then one thread is reported).
 */
#include "config.h"
#include "nn/blas.h"
#include "core/util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE,
			 int, int, int, float, const float *, int, const float *, int,
			 float, float *, int);
typedef void (*sgemv_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, int, int, float,
			 const float *, int, const float *, int, float, float *, int);

static sgemm_fn p_sgemm;
static sgemv_fn p_sgemv;
static int (*p_get_threads)(void);   /* openblas_get_num_threads, NULL elsewhere */
static void (*p_set_threads)(int);   /* openblas_set_num_threads, NULL elsewhere */
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void blas_load(void)
{
	/* OpenBLAS's run-time name on Debian, then what a BLAS alternative
	 * or a local build may be called */
	static const char *const names[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3",
					    "libcblas.so.3"};
	const char *why = "not found";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			if (i == 0)
				why = dlerror();
			continue;
		}
		void *g = dlsym(h, "cblas_sgemm"), *v = dlsym(h, "cblas_sgemv");
		if (g && v) {
			/* object to function pointer, as POSIX allows */
			memcpy(&p_sgemm, &g, sizeof g);
			memcpy(&p_sgemv, &v, sizeof v);
			void *gt = dlsym(h, "openblas_get_num_threads"), *st = dlsym(h, "openblas_set_num_threads");
			if (gt && st) {
				memcpy(&p_get_threads, &gt, sizeof gt);
				memcpy(&p_set_threads, &st, sizeof st);
			}
			return;
		}
		dlclose(h);
	}
	fs_die(1, "cannot load OpenBLAS (libopenblas.so.0: %s); install libopenblas0", why);
}

void blas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
	      int m, int n, int k, float alpha, const float *a, int lda,
	      const float *b, int ldb, float beta, float *c, int ldc)
{
	pthread_once(&loaded, blas_load);
	p_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void blas_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, int m, int n,
	      float alpha, const float *a, int lda, const float *x, int incx,
	      float beta, float *y, int incy)
{
	pthread_once(&loaded, blas_load);
	p_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

int fs_blas_threads(void)
{
	pthread_once(&loaded, blas_load);
	int n = p_get_threads ? p_get_threads() : 1;
	return n > 0 ? n : 1;
}

int fs_blas_set_threads(int n)
{
	pthread_once(&loaded, blas_load);
	int old = fs_blas_threads();
	if (p_set_threads && n > 0)
		p_set_threads(n);
	return old;
}

/*
 * vmath.c: vectorised elementwise kernels and a small row-parallel pool
 * (see vmath.h). The kernels are written once on 8-float vector types (4 under clang);
 * each is compiled twice (target_clones: AVX2 and the x86-64 baseline)
 * where the compiler supports it. ISO C mode keeps -ffp-contract off, so
 * both clones do the same roundings.
 */
#include "nn/vmath.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the 8-float helpers are always inlined: no vector crosses a call, so
 * the ABI note on passing them is moot */
#if defined(__clang__)
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__clang__)
/* clang refuses 32-byte vectors between functions built without AVX even
 * when always inlined: 4 lanes there */
#define VL 4
#else
#define VL 8
#endif
typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vi __attribute__((vector_size(VL * 4)));

/* (Not under clang: clang 14 names a cloned function's ifunc NAME.ifunc,
 * so calls from other files, which see a plain declaration, do not link.) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
	!defined(FS_NO_CLONES)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

static inline __attribute__((always_inline)) vf vload(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline __attribute__((always_inline)) void vstore(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

static inline __attribute__((always_inline)) vf vsplat(float x)
{
	return (vf){0} + x;
}

static inline __attribute__((always_inline)) vf vsel(vi m, vf a, vf b) /* m ? a : b */
{
	return (vf)(((vi)a & m) | ((vi)b & ~m));
}

static inline __attribute__((always_inline)) vf vmax(vf a, vf b)
{
	return vsel(a > b, a, b);
}

static inline __attribute__((always_inline)) vf vmin(vf a, vf b)
{
	return vsel(a < b, a, b);
}

/* Cephes expf on VL lanes: x = n ln2 + r, |r| <= ln2 / 2, exp(r) by a
 * degree-5 polynomial, times 2^n built in the exponent bits. */
static inline __attribute__((always_inline)) vf vexp(vf x)
{
	x = vmin(vmax(x, vsplat(-87.33654f)), vsplat(88.37626f));
	const vf magic = vsplat(12582912.0f); /* 1.5 * 2^23: round to nearest */
	vf t = x * vsplat(1.44269504088896341f) + magic;
	vf n = t - magic;
	vf r = x - n * vsplat(0.693359375f);
	r = r - n * vsplat(-2.12194440e-4f);
	vf p = vsplat(1.9875691500e-4f);
	p = p * r + vsplat(1.3981999507e-3f);
	p = p * r + vsplat(8.3334519073e-3f);
	p = p * r + vsplat(4.1665795894e-2f);
	p = p * r + vsplat(1.6666665459e-1f);
	p = p * r + vsplat(5.0000001201e-1f);
	vf y = p * (r * r) + r + vsplat(1.0f);
	vi ni = __builtin_convertvector(n, vi);
	/* 2^n in two halves, so n = 128 (x near 88.7) and n = -127 still work */
	vi h = ni >> 1;
	vf s1 = (vf)((h + 127) << 23), s2 = (vf)((ni - h + 127) << 23);
	return y * s1 * s2;
}

/* The last partial vector of n floats at p: loaded padded with pad,
 * stored back only in its first n lanes. */
static inline __attribute__((always_inline)) vf vload_part(const float *p, size_t n, float pad)
{
	float b[VL];
	for (size_t i = 0; i < VL; i++)
		b[i] = i < n ? p[i] : pad;
	return vload(b);
}

static inline __attribute__((always_inline)) void vstore_part(float *p, vf v, size_t n)
{
	float b[VL];
	vstore(b, v);
	memcpy(p, b, n * sizeof(float));
}

static inline __attribute__((always_inline)) float hsum(vf v) /* fixed order: deterministic */
{
#if VL == 8
	return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
#else
	return (v[0] + v[2]) + (v[1] + v[3]);
#endif
}

static inline __attribute__((always_inline)) float hmax(vf v)
{
	float m = v[0];
	for (int i = 1; i < VL; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

CLONES void vm_exp(float *x, size_t n)
{
	size_t i = 0;
	for (; i + VL <= n; i += VL)
		vstore(x + i, vexp(vload(x + i)));
	if (i < n)
		vstore_part(x + i, vexp(vload_part(x + i, n - i, 0)), n - i);
}

static inline __attribute__((always_inline)) vf vgelu(vf v)
{
	vf u = vsplat(-1.5957691216057308f) * (v + vsplat(0.044715f) * v * v * v); /* -2 sqrt(2/pi) (...) */
	return v / (vsplat(1.0f) + vexp(u));
}

CLONES void vm_gelu_tanh(float *x, size_t n)
{
	size_t i = 0;
	for (; i + VL <= n; i += VL)
		vstore(x + i, vgelu(vload(x + i)));
	if (i < n)
		vstore_part(x + i, vgelu(vload_part(x + i, n - i, 0)), n - i);
}

CLONES static void softmax_row(float *s, int n, int ld)
{
	int i;
	vf m = vsplat(-INFINITY);
	for (i = 0; i + VL <= n; i += VL)
		m = vmax(m, vload(s + i));
	if (i < n)
		m = vmax(m, vload_part(s + i, (size_t)(n - i), -INFINITY));
	vf mx = vsplat(hmax(m)), sum = vsplat(0);
	for (i = 0; i + VL <= n; i += VL) {
		vf e = vexp(vload(s + i) - mx);
		sum += e;
		vstore(s + i, e);
	}
	if (i < n) {
		/* padding at -inf: exp gives 2^-126 there, nothing next to the
		 * row's largest term (1) */
		vf e = vexp(vload_part(s + i, (size_t)(n - i), -INFINITY) - mx);
		sum += e;
		vstore_part(s + i, e, (size_t)(n - i));
	}
	vf inv = vsplat(1.0f / hsum(sum));
	for (i = 0; i + VL <= n; i += VL)
		vstore(s + i, vload(s + i) * inv);
	if (i < n)
		vstore_part(s + i, vload_part(s + i, (size_t)(n - i), 0) * inv, (size_t)(n - i));
	if (ld > n)
		memset(s + n, 0, sizeof(float) * (size_t)(ld - n));
}

void vm_softmax_causal(float *s, int R, int n, int ld, int off)
{
	for (int r = 0; r < R; r++) {
		int k = off < 0 ? n : off + r + 1;
		if (k > n)
			k = n;
		softmax_row(s + (size_t)r * ld, k, n);
	}
}

CLONES void vm_layernorm(const float *x, float *y, int R, int d, const float *w, const float *b, float eps)
{
	for (int r = 0; r < R; r++) {
		const float *xr = x + (size_t)r * d;
		float *yr = y + (size_t)r * d;
		int i;
		vf s = vsplat(0);
		for (i = 0; i + VL <= d; i += VL)
			s += vload(xr + i);
		float tail = 0;
		for (int j = i; j < d; j++)
			tail += xr[j];
		float mean = (hsum(s) + tail) / (float)d;
		vf mv = vsplat(mean), s2 = vsplat(0);
		for (i = 0; i + VL <= d; i += VL) {
			vf t = vload(xr + i) - mv;
			s2 += t * t;
		}
		tail = 0;
		for (int j = i; j < d; j++)
			tail += (xr[j] - mean) * (xr[j] - mean);
		float inv = 1.0f / sqrtf((hsum(s2) + tail) / (float)d + eps);
		vf iv = vsplat(inv);
		for (i = 0; i + VL <= d; i += VL)
			vstore(yr + i, (vload(xr + i) - mv) * iv * vload(w + i) + vload(b + i));
		for (int j = i; j < d; j++)
			yr[j] = (xr[j] - mean) * inv * w[j] + b[j];
	}
}

CLONES float vm_max(const float *x, size_t n)
{
	size_t i = 0;
	vf m = vsplat(-INFINITY);
	for (; i + VL <= n; i += VL)
		m = vmax(m, vload(x + i));
	float r = hmax(m);
	for (; i < n; i++)
		r = x[i] > r ? x[i] : r;
	return r;
}

CLONES void vm_add(float *y, const float *x, size_t n)
{
	size_t i = 0;
	for (; i + VL <= n; i += VL)
		vstore(y + i, vload(y + i) + vload(x + i));
	for (; i < n; i++)
		y[i] += x[i];
}

/* ------------------------------------------------------------------ pool */

#define VM_MAX_THREADS 16

static struct {
	pthread_once_t once;
	pthread_mutex_t busy;        /* one parallel call at a time */
	pthread_mutex_t mu;          /* guards the job */
	pthread_cond_t go, done;     /* job posted, slice finished */
	int threads;                 /* pool size, the caller included */
	unsigned gen;                /* job generation */
	int pending;                 /* slices not finished */
	int n, parts;                /* the job: [0, n) in parts */
	void (*fn)(void *, int, int);
	void *ud;
} pool = {PTHREAD_ONCE_INIT, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	  PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, NULL, NULL};

static void slice(int part, int parts, int n, int *lo, int *hi)
{
	*lo = (int)((int64_t)n * part / parts);
	*hi = (int)((int64_t)n * (part + 1) / parts);
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned seen = 0;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (pool.gen == seen)
			pthread_cond_wait(&pool.go, &pool.mu);
		seen = pool.gen;
		if (me >= pool.parts)
			continue;
		int lo, hi;
		slice(me, pool.parts, pool.n, &lo, &hi);
		void (*fn)(void *, int, int) = pool.fn;
		void *ud = pool.ud;
		pthread_mutex_unlock(&pool.mu);
		if (hi > lo)
			fn(ud, lo, hi);
		pthread_mutex_lock(&pool.mu);
		if (--pool.pending == 0)
			pthread_cond_signal(&pool.done);
	}
	return NULL;
}

static void pool_init(void)
{
	const char *e = getenv("OPENBLAS_NUM_THREADS");
	if (!e || !*e)
		e = getenv("OMP_NUM_THREADS");
	long t = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (t < 1)
		t = 1;
	if (t > VM_MAX_THREADS)
		t = VM_MAX_THREADS;
	pool.threads = 1;
	for (int i = 1; i < t; i++) {
		pthread_t th;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 1 << 20);
		int rc = pthread_create(&th, &a, worker, (void *)(intptr_t)i);
		pthread_attr_destroy(&a);
		if (rc != 0)
			break;
		pool.threads++;
	}
}

int vm_threads(void)
{
	pthread_once(&pool.once, pool_init);
	return pool.threads;
}

void vm_parallel(int n, size_t work, void (*fn)(void *ud, int lo, int hi), void *ud)
{
	if (n <= 0)
		return;
	/* below ~32k elements a wake-up costs more than it saves */
	if (n < 2 || (size_t)n * work < 32768 || vm_threads() < 2 || pthread_mutex_trylock(&pool.busy) != 0) {
		fn(ud, 0, n);
		return;
	}
	int parts = pool.threads < n ? pool.threads : n;
	pthread_mutex_lock(&pool.mu);
	pool.n = n;
	pool.parts = parts;
	pool.fn = fn;
	pool.ud = ud;
	pool.pending = parts - 1;
	pool.gen++;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	int lo, hi;
	slice(0, parts, n, &lo, &hi);
	fn(ud, lo, hi);
	pthread_mutex_lock(&pool.mu);
	while (pool.pending > 0)
		pthread_cond_wait(&pool.done, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
	pthread_mutex_unlock(&pool.busy);
}

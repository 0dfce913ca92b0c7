/*
 * hf_weights.c: a Hugging Face checkpoint's weights (see hf_weights.h).
 * The folder is untrusted: a shard named by the index must be a plain
 * file name (no '/', no "..", not hidden) of a regular file in the
 * folder; every tensor's header entry is checked by tensor_st_open and
 * its shape and values here, once, at load. Products never expand a
 * half-width matrix: each vm_parallel thread converts a slice of its share
 * of the rows to f32 and multiplies it by a one-thread blas_sgemm; one row
 * of X is a dot product per matrix row (four at a time), converted in
 * registers.
 */
#include "live/hf_weights.h"
#include "nn/blas.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The largest index file read (a real one is tens of KB). */
#define HF_MAX_INDEX (64u << 20)

struct hf_weights {
	char *dir;            /* the folder */
	fs_st_file **shard;   /* mapped files */
	char **shard_name;    /* their names in the folder */
	int nshard;
	json_t *index;        /* the index file's JSON (NULL: one file) */
	json_t *map;          /* its weight_map */
	char *index_path;     /* for messages */
	size_t bytes;         /* weight bytes handed out */
};

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A shard name the folder may hold: one plain file name. */
static int safe_name(const char *s)
{
	return s[0] && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\') && !strstr(s, "..") && strlen(s) < 256;
}

static int add_shard(hf_weights *w, const char *name, const char *tensor, char *err, size_t errlen)
{
	for (int i = 0; i < w->nshard; i++)
		if (!strcmp(w->shard_name[i], name))
			return 0;
	if (!safe_name(name)) {
		char t[96];
		snprintf(t, sizeof t, "%s", name);
		return fs_seterr(err, errlen, "%s: weight_map: %s: shard '%s' is not a file name in the folder",
				 w->index_path, tensor, fs_msg_clean(t));
	}
	char *p = xasprintf("%s/%s", w->dir, name);
	if (!is_file(p)) {
		fs_seterr(err, errlen, "%s: weight_map: %s: shard %s is missing", w->index_path, tensor, p);
		free(p);
		return -1;
	}
	fs_st_file *f = tensor_st_open(p, err, errlen);
	free(p);
	if (!f)
		return -1;
	w->shard = xrealloc(w->shard, sizeof *w->shard * (size_t)(w->nshard + 1));
	w->shard_name = xrealloc(w->shard_name, sizeof *w->shard_name * (size_t)(w->nshard + 1));
	w->shard[w->nshard] = f;
	w->shard_name[w->nshard++] = xstrdup(name);
	return 0;
}

void hfw_close(hf_weights *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->nshard; i++) {
		tensor_st_close(w->shard[i]);
		free(w->shard_name[i]);
	}
	free(w->shard);
	free(w->shard_name);
	if (w->index)
		json_decref(w->index);
	free(w->index_path);
	free(w->dir);
	free(w);
}

hf_weights *hfw_open(const char *dir, char *err, size_t errlen)
{
	hf_weights *w = xcalloc(1, sizeof *w);
	w->dir = xstrdup(dir);
	w->index_path = xasprintf("%s/model.safetensors.index.json", dir);
	if (!is_file(w->index_path)) {
		if (add_shard(w, "model.safetensors", "model.safetensors", err, errlen) != 0) {
			char *p = xasprintf("%s/model.safetensors", dir);
			if (!is_file(p))
				fs_seterr(err, errlen, "%s: missing (and no model.safetensors.index.json)", p);
			free(p);
			goto bad;
		}
		return w;
	}
	json_error_t je;
	struct stat st;
	if (stat(w->index_path, &st) != 0 || st.st_size > (off_t)HF_MAX_INDEX) {
		fs_seterr(err, errlen, "%s: larger than %u MB", w->index_path, HF_MAX_INDEX >> 20);
		goto bad;
	}
	w->index = json_load_file(w->index_path, 0, &je);
	if (!w->index) {
		fs_seterr(err, errlen, "%s:%d: bad JSON: %s", w->index_path, je.line, fs_msg_clean(je.text));
		goto bad;
	}
	w->map = json_object_get(w->index, "weight_map");
	if (!json_is_object(w->map) || json_object_size(w->map) == 0) {
		fs_seterr(err, errlen, "%s: weight_map: missing or not an object of tensor names", w->index_path);
		goto bad;
	}
	const char *k;
	json_t *v;
	json_object_foreach(w->map, k, v) {
		if (!json_is_string(v)) {
			char t[96];
			snprintf(t, sizeof t, "%s", k);
			fs_seterr(err, errlen, "%s: weight_map: %s: not a file name", w->index_path, fs_msg_clean(t));
			goto bad;
		}
		if (add_shard(w, json_string_value(v), k, err, errlen) != 0)
			goto bad;
	}
	return w;
bad:
	hfw_close(w);
	return NULL;
}

/* The shard that holds name, or NULL. */
static fs_st_file *shard_of(const hf_weights *w, const char *name)
{
	if (!w->map)
		return w->shard[0];
	json_t *v = json_object_get(w->map, name);
	if (!json_is_string(v))
		return NULL;
	for (int i = 0; i < w->nshard; i++)
		if (!strcmp(w->shard_name[i], json_string_value(v)))
			return w->shard[i];
	return NULL;
}

int hfw_has(const hf_weights *w, const char *name)
{
	fs_st_file *f = shard_of(w, name);
	if (!f)
		return 0;
	for (int i = 0, n = tensor_st_count(f); i < n; i++)
		if (!strcmp(tensor_st_name(f, i), name))
			return 1;
	return 0;
}

size_t hfw_bytes(const hf_weights *w) { return w->bytes; }

/* ------------------------------------------------------------ conversion */

typedef float hf_v8 __attribute__((vector_size(32)));
typedef uint16_t hf_u16x8 __attribute__((vector_size(16)));
typedef uint32_t hf_u32x8 __attribute__((vector_size(32)));

static void convert_row(int dtype, const uint8_t *p, int64_t n, float *out)
{
	if (dtype == TENSOR_F32) {
		memcpy(out, p, sizeof(float) * (size_t)n);
	} else if (dtype == TENSOR_BF16) {
		int64_t i = 0;
		/* 8 at a time (a little-endian host, as dot_row assumes) */
		for (; i + 8 <= n; i += 8) {
			hf_u16x8 h;
			memcpy(&h, p + 2 * i, 16);
			hf_u32x8 u = __builtin_convertvector(h, hf_u32x8) << 16;
			memcpy(out + i, &u, 32);
		}
		for (; i < n; i++) {
			uint32_t u = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
			memcpy(out + i, &u, 4);
		}
	} else {
		for (int64_t i = 0; i < n; i++)
			out[i] = f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
	}
}

static size_t esize(int dtype) { return dtype == TENSOR_F32 ? 4 : 2; }

void hf_mat_row(const hf_mat *m, int64_t r, float *out)
{
	convert_row(m->dtype, m->data + (size_t)r * (size_t)m->cols * esize(m->dtype), m->cols, out);
}

typedef struct {
	const hf_mat *m;
	int64_t r0;
	float *out;
} conv_job;

static void conv_rows(void *ud, int lo, int hi)
{
	conv_job *j = ud;
	for (int r = lo; r < hi; r++)
		hf_mat_row(j->m, j->r0 + r, j->out + (size_t)r * (size_t)j->m->cols);
}

/* Rows r0..r0+n of m into out[n][cols]. */
static void convert_block(const hf_mat *m, int64_t r0, int n, float *out)
{
	conv_job j = {m, r0, out};
	vm_parallel(n, (size_t)m->cols, conv_rows, &j);
}

/* One row: the dot product of row r of m with x, converting in
 * registers (8 lanes, two accumulators, the same order on every split). */

static float dot_row(const hf_mat *m, int64_t r, const float *x)
{
	int64_t n = m->cols, i = 0;
	const uint8_t *p = m->data + (size_t)r * (size_t)n * esize(m->dtype);
	hf_v8 a0 = {0}, a1 = {0}, w0, w1, x0, x1;
	float tail = 0, buf[16];
	for (; i + 16 <= n; i += 16) {
		if (m->dtype == TENSOR_BF16) {
			hf_u16x8 h0, h1;
			memcpy(&h0, p + 2 * i, 16);
			memcpy(&h1, p + 2 * i + 16, 16);
			hf_u32x8 u0 = __builtin_convertvector(h0, hf_u32x8) << 16, u1 = __builtin_convertvector(h1, hf_u32x8) << 16;
			memcpy(&w0, &u0, 32);
			memcpy(&w1, &u1, 32);
		} else if (m->dtype == TENSOR_F32) {
			memcpy(&w0, p + 4 * i, 32);
			memcpy(&w1, p + 4 * i + 32, 32);
		} else {
			convert_row(m->dtype, p + 2 * i, 16, buf);
			memcpy(&w0, buf, 32);
			memcpy(&w1, buf + 8, 32);
		}
		memcpy(&x0, x + i, 32);
		memcpy(&x1, x + i + 8, 32);
		a0 += w0 * x0;
		a1 += w1 * x1;
	}
	for (; i < n; i++) {
		convert_row(m->dtype, p + (size_t)i * esize(m->dtype), 1, buf);
		tail += buf[0] * x[i];
	}
	hf_v8 a = a0 + a1;
	return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
}

typedef struct {
	const hf_mat *m;
	const float *x;
	float *y;
	int acc;
} gemv_job;

/* Four bf16 rows r..r+3 at once: each x chunk is loaded once for the
 * four, and every row's sums run in the same lanes and order as
 * dot_row's, so a row's result does not depend on which path took it.
 * The same place in the next four rows is prefetched (into L2) a cache
 * line at a time: a row of Llama 3.2 1B is one 4 KiB page, where the
 * hardware's stream prefetchers stop, and without it generation read
 * the weights at 0.4x the memory floor (bench/hf.sh; 1.0x with it). A
 * prefetch past the matrix's end does not fault. */
static inline __attribute__((always_inline)) void dot4_bf16(const hf_mat *m, int64_t r, const float *x, float *y,
							    int acc)
{
	int64_t n = m->cols, i = 0;
	const uint8_t *p[4];
	hf_v8 a0[4] = {{0}}, a1[4] = {{0}}, x0, x1;
	float tail[4] = {0};
	for (int k = 0; k < 4; k++)
		p[k] = m->data + (size_t)(r + k) * (size_t)n * 2;
	for (; i + 16 <= n; i += 16) {
		memcpy(&x0, x + i, 32);
		memcpy(&x1, x + i + 8, 32);
		if (!(i & 31))
			for (int k = 0; k < 4; k++)
				__builtin_prefetch(p[k] + 4 * 2 * (size_t)n + 2 * i, 0, 2);
		for (int k = 0; k < 4; k++) {
			hf_u16x8 h0, h1;
			hf_v8 w0, w1;
			memcpy(&h0, p[k] + 2 * i, 16);
			memcpy(&h1, p[k] + 2 * i + 16, 16);
			hf_u32x8 u0 = __builtin_convertvector(h0, hf_u32x8) << 16,
				 u1 = __builtin_convertvector(h1, hf_u32x8) << 16;
			memcpy(&w0, &u0, 32);
			memcpy(&w1, &u1, 32);
			a0[k] += w0 * x0;
			a1[k] += w1 * x1;
		}
	}
	for (int k = 0; k < 4; k++) {
		float buf[1];
		for (int64_t t = i; t < n; t++) {
			convert_row(TENSOR_BF16, p[k] + 2 * t, 1, buf);
			tail[k] += buf[0] * x[t];
		}
		hf_v8 a = a0[k] + a1[k];
		float d = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail[k];
		y[r + k] = (acc ? y[r + k] : 0.0f) + d;
	}
}

/* Built twice under GCC (AVX2 and the x86-64 baseline, chosen at load;
 * AVX2 without FMA, so both do the same roundings): the baseline build
 * of these 8-float loops keeps its sums on the stack, at a fifth of the
 * memory-bandwidth floor. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
	!defined(FS_NO_CLONES)
#define HF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HF_CLONES
#endif

HF_CLONES static void gemv_rows(void *ud, int lo, int hi)
{
	gemv_job *j = ud;
	int r = lo;
	if (j->m->dtype == TENSOR_BF16)
		for (; r + 4 <= hi; r += 4)
			dot4_bf16(j->m, r, j->x, j->y, j->acc);
	for (; r < hi; r++)
		j->y[r] = (j->acc ? j->y[r] : 0.0f) + dot_row(j->m, r, j->x);
}

/* A product of R > 1 rows of X by a half-width matrix, in parts: part p
 * takes rows [out p / parts, out (p + 1) / parts) of m, a slice of
 * HF_BLOCK_ROWS_GEMM / parts rows at a time. With OpenBLAS left on its
 * threads, its workers spun (sched_yield) beside the threads converting
 * the next block: a third of the pass's time on two cores. */
typedef struct {
	const hf_mat *m;
	const float *X;
	int R;
	float *Y, beta, *scratch;
	int parts;
} mm_job;

static void mm_parts(void *ud, int lo, int hi)
{
	mm_job *j = ud;
	int64_t out = j->m->rows, in = j->m->cols;
	int sub = HF_BLOCK_ROWS_GEMM / j->parts;
	for (int p = lo; p < hi; p++) {
		float *s = j->scratch + (size_t)p * (size_t)sub * (size_t)in;
		int64_t end = out * (p + 1) / j->parts;
		for (int64_t r0 = out * p / j->parts; r0 < end; r0 += sub) {
			int n = (int)(end - r0 < sub ? end - r0 : sub);
			for (int r = 0; r < n; r++)
				hf_mat_row(j->m, r0 + r, s + (size_t)r * (size_t)in);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->R, n, (int)in, 1.0f, j->X, (int)in, s,
				 (int)in, j->beta, j->Y + r0, (int)out);
		}
	}
}

void hf_matmul(const hf_mat *m, const float *X, int R, float *Y, int acc, float *scratch)
{
	int in = (int)m->cols, out = (int)m->rows;
	float beta = acc ? 1.0f : 0.0f;
	if (R == 1 && m->dtype != TENSOR_F32) {
		/* one row (generation): the rows split once over the threads,
		 * each converted in registers as it is read */
		gemv_job j = {m, X, Y, acc};
		vm_parallel(out, (size_t)in, gemv_rows, &j);
		return;
	}
	if (m->dtype == TENSOR_F32 && ((uintptr_t)m->data & 3) == 0) {
		const float *W = (const float *)(const void *)m->data;
		if (R == 1)
			blas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, X, 1, beta, Y, 1);
		else
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, out, in, 1.0f, X, in, W, in, beta, Y, out);
		return;
	}
	if (R == 1) {
		for (int r0 = 0; r0 < out; r0 += HF_BLOCK_ROWS) {
			int n = out - r0 < HF_BLOCK_ROWS ? out - r0 : HF_BLOCK_ROWS;
			convert_block(m, r0, n, scratch);
			blas_sgemv(CblasRowMajor, CblasNoTrans, n, in, 1.0f, scratch, in, X, 1, beta, Y + r0, 1);
		}
		return;
	}
	/* each thread its share of the rows, converting a slice into its own
	 * part of scratch and multiplying it by a one-thread sgemm */
	int parts = vm_threads();
	if (parts > out / 64)
		parts = out / 64 > 1 ? out / 64 : 1;
	mm_job j = {m, X, R, Y, beta, scratch, parts};
	int old = fs_blas_set_threads(1);
	vm_parallel(parts, (size_t)out / (size_t)parts * (size_t)in * (size_t)R, mm_parts, &j);
	fs_blas_set_threads(old);
}

/* ---------------------------------------------------------------- lookup */

/* Find, check dtype and shape. */
static int find(hf_weights *w, const char *name, int64_t d0, int64_t d1, fs_st_info *in, fs_st_file **fp,
		char *err, size_t errlen)
{
	int64_t want[2] = {d0, d1};
	int wn = d1 < 0 ? 1 : 2;
	char ws[64], gs[96];
	tensor_shape_str(want, wn, ws, sizeof ws);
	fs_st_file *f = shard_of(w, name);
	if (!f || !hfw_has(w, name)) {
		if (w->map && !f)
			return fs_seterr(err, errlen, "%s: weight_map: %s: missing (expected %s)", w->index_path, name, ws);
		return fs_seterr(err, errlen, "%s: %s: missing (expected %s)", tensor_st_path(f ? f : w->shard[0]), name,
				 ws);
	}
	if (tensor_st_find(f, name, in, err, errlen) != 0)
		return -1;
	if (in->dtype != TENSOR_F32 && in->dtype != TENSOR_F16 && in->dtype != TENSOR_BF16)
		return fs_seterr(err, errlen, "%s: %s: dtype %s, expected F32, F16 or BF16", tensor_st_path(f), name,
				 tensor_dtype_name(in->dtype));
	if (in->ndim != wn || in->shape[0] != d0 || (wn == 2 && in->shape[1] != d1)) {
		tensor_shape_str(in->shape, in->ndim, gs, sizeof gs);
		return fs_seterr(err, errlen, "%s: %s: shape %s, expected %s (config.json)", tensor_st_path(f), name, gs,
				 ws);
	}
	*fp = f;
	return 0;
}

int hfw_mat(hf_weights *w, const char *name, int64_t d0, int64_t d1, hf_mat *m, char *err, size_t errlen)
{
	fs_st_info in;
	fs_st_file *f;
	if (find(w, name, d0, d1, &in, &f, err, errlen) != 0)
		return -1;
	m->dtype = in.dtype;
	m->rows = d0;
	m->cols = d1;
	m->data = in.data;
	/* every value scanned once, a block at a time */
	int64_t step = HF_BLOCK_ROWS;
	float *buf = xmalloc(sizeof(float) * (size_t)step * (size_t)m->cols);
	int rc = 0;
	for (int64_t r0 = 0; r0 < m->rows && rc == 0; r0 += step) {
		int n = (int)(m->rows - r0 < step ? m->rows - r0 : step);
		convert_block(m, r0, n, buf);
		size_t cnt = (size_t)n * (size_t)m->cols, bad = tensor_first_bad(buf, cnt);
		if (bad < cnt)
			rc = fs_seterr(err, errlen, "%s: %s: element %lld is %g (weights must be finite numbers within +-%g)",
				       tensor_st_path(f), name, (long long)((size_t)r0 * (size_t)m->cols + bad),
				       (double)buf[bad], (double)TENSOR_WEIGHT_MAX);
	}
	free(buf);
	if (rc == 0)
		w->bytes += in.count * esize(in.dtype);
	return rc;
}

float *hfw_vec(hf_weights *w, const char *name, int64_t n, char *err, size_t errlen)
{
	hf_mat m;
	fs_st_info in;
	fs_st_file *f;
	if (find(w, name, n, -1, &in, &f, err, errlen) != 0)
		return NULL;
	m.dtype = in.dtype;
	m.rows = 1;
	m.cols = n;
	m.data = in.data;
	float *out = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
	hf_mat_row(&m, 0, out);
	if (tensor_check_weights(tensor_st_path(f), name, out, (size_t)n, err, errlen) != 0) {
		free(out);
		return NULL;
	}
	w->bytes += in.count * esize(in.dtype);
	return out;
}

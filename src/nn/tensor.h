/*
 * tensor.h: reading 2D weight matrices from NumPy .npy (v1-v3) and
 * safetensors files, converting f32/f16/bf16 (and f64) to f32, row-major.
 */
#ifndef FS_TENSOR_H
#define FS_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *name;         /* tensor name (safetensors key; "" for .npy) */
	int ndim;           /* dimensions (1..4) */
	int64_t shape[4];   /* sizes, outermost first */
	float *data;        /* values as f32, row-major, shape[0]*...*shape[ndim-1] */
} fs_tensor;

/* Load the tensor NAME from PATH (.npy: NAME ignored; safetensors: NAME,
 * or when NULL the tensor "W_dec", else the only tensor). 0 on success;
 * -1 with "PATH: field: what is wrong" in err. */
int tensor_load(const char *path, const char *name, fs_tensor *t, char *err, size_t errlen);
void tensor_free(fs_tensor *t);

/* Parse headers only (exposed for fuzzing): fills shape/ndim, returns the
 * byte offset of the data and the element type code, or -1 with err. */
int tensor_npy_header(const uint8_t *p, size_t n, fs_tensor *t, int *dtype, size_t *data_off, char *err, size_t errlen);

/* A whole .npy file held in memory (an .npz member): floating point data
 * into t; 0, or -1 with "field: what is wrong" in err. */
int tensor_npy_mem(const uint8_t *p, size_t n, fs_tensor *t, char *err, size_t errlen);

/* ---- import ---- */
/* Element types (also returned by tensor_npy_header). */
enum {
	TENSOR_F32 = 1, TENSOR_F16, TENSOR_BF16, TENSOR_F64,
	TENSOR_I8, TENSOR_U8, TENSOR_I16, TENSOR_U16,
	TENSOR_I32, TENSOR_U32, TENSOR_I64, TENSOR_U64
};
int tensor_dtype_size(int dtype);          /* bytes per element, 0 unknown */
const char *tensor_dtype_name(int dtype);  /* "F32", "U16", ... */
/* A shape as messages write it, "[2304, 16384]", into buf. */
void tensor_shape_str(const int64_t *shape, int nd, char *buf, size_t len);
/* Element i of raw little-endian data of type dtype, converted. */
float tensor_get_f32(int dtype, const uint8_t *data, size_t i);
int64_t tensor_get_i64(int dtype, const uint8_t *data, size_t i);

/* Raw access to a safetensors file (mapped read-only), for tensors of any
 * type without converting them all up front (activation caches). */
typedef struct fs_st_file fs_st_file;
typedef struct {
	int dtype;              /* TENSOR_* */
	int ndim;               /* dimensions (0..4) */
	int64_t shape[4];       /* sizes, outermost first */
	size_t count;           /* elements */
	const uint8_t *data;    /* raw bytes inside the mapping */
} fs_st_info;
fs_st_file *tensor_st_open(const char *path, char *err, size_t errlen);
void tensor_st_close(fs_st_file *f);
const char *tensor_st_path(const fs_st_file *f);
int tensor_st_count(const fs_st_file *f);              /* tensors, without __metadata__ */
const char *tensor_st_name(const fs_st_file *f, int i); /* i-th tensor name */
const char *tensor_st_metadata(const fs_st_file *f, const char *key); /* __metadata__ string or NULL */
/* Look NAME up and validate its dtype, shape and offsets against the file:
 * 0, or -1 with "PATH: NAME.field: what is wrong". */
int tensor_st_find(const fs_st_file *f, const char *name, fs_st_info *info, char *err, size_t errlen);

/* ---- weights a model can run on ---- */
/* The largest magnitude a weight may have. Trained weights stay many
 * orders of magnitude below it (GPT-2's largest are in the tens; float16
 * cannot exceed 65504); a value beyond it (3e38, what a corrupted or
 * hostile file holds) makes the forward pass overflow to Inf and NaN. */
#define TENSOR_WEIGHT_MAX 1e6f
/* Index of the first of v[0..n) that is NaN, infinite or beyond
 * TENSOR_WEIGHT_MAX in magnitude; n when every value is fine. */
size_t tensor_first_bad(const float *v, size_t n);
/* The same as a check: 0, or -1 with "FILE: NAME: element I is VALUE
 * (...)" in err. The loaders of model and dictionary weights call it on
 * every tensor they keep. */
int tensor_check_weights(const char *file, const char *name, const float *v, size_t n, char *err, size_t errlen);

#endif

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

#endif

/*
 * hf_weights.h: the weights of a Hugging Face checkpoint folder, mapped
 * and kept at their stored width (f32, f16 or bf16): one
 * model.safetensors, or shards listed by model.safetensors.index.json's
 * weight_map (each shard a plain file name in the folder). A product of
 * several rows converts a block of the matrix's rows to f32 into a
 * scratch buffer and hands it to blas_sgemm; a product of one row
 * (generation) splits the matrix's rows over the vm_parallel threads once,
 * each row converted in registers as its dot product reads it (a block
 * per gemv call ran at 0.07x the memory-bandwidth floor on a loaded
 * machine: thousands of thread hand-offs a token). No f32 copy of the
 * model is made; embedding rows are converted when they are looked up.
 */
#ifndef FS_HF_WEIGHTS_H
#define FS_HF_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct hf_weights hf_weights;

/* A 2-D weight [rows][cols] (a Linear's [out][in]) inside a mapping. */
typedef struct {
	int dtype;            /* TENSOR_F32, TENSOR_F16 or TENSOR_BF16 */
	int64_t rows, cols;   /* shape */
	const uint8_t *data;  /* raw little-endian elements, row-major */
} hf_mat;

/* Rows of a matrix converted per block: HF_BLOCK_ROWS when the values
 * are scanned at load, HF_BLOCK_ROWS_GEMM per round of a product of
 * several rows, shared among the threads, each converting its slice and
 * running its own sgemm on it (a 128-row block ran 1.3x the time of one
 * f32 sgemm of the whole matrix at R = 128, Llama 3.2 1B's MLP shape;
 * every sgemm packs X again: 1024 rows used 1-9% less CPU time than 512
 * for hfbench forward on two threads; 2048 no less than 1024). */
#define HF_BLOCK_ROWS 128
#define HF_BLOCK_ROWS_GEMM 1024

/* Open the weights of folder dir. NULL with one line in err naming the
 * file and field (a missing shard, a shard name with a path in it, a bad
 * header). */
hf_weights *hfw_open(const char *dir, char *err, size_t errlen);
void hfw_close(hf_weights *w);
/* Does the checkpoint hold a tensor of that name? */
int hfw_has(const hf_weights *w, const char *name);
/* The floating-point matrix NAME of shape [d0][d1]:
 * checked (shape, dtype, every value finite and within
 * TENSOR_WEIGHT_MAX, scanned once here); 0, or -1 with
 * "FILE: NAME: ..." in err. */
int hfw_mat(hf_weights *w, const char *name, int64_t d0, int64_t d1, hf_mat *m, char *err, size_t errlen);
/* An f32 copy of a 1-D tensor [n] (norm weights, biases): malloc'd, NULL
 * with err. */
float *hfw_vec(hf_weights *w, const char *name, int64_t n, char *err, size_t errlen);
/* Bytes of the weights the model was built from (hfw_mat/hfw_vec). */
size_t hfw_bytes(const hf_weights *w);

/* Row r of m as f32 into out[cols]. */
void hf_mat_row(const hf_mat *m, int64_t r, float *out);
/* Y[R][rows] = X[R][cols] m^T (+ Y when acc), for R > 1 through slices
 * of rows converted into scratch (HF_BLOCK_ROWS_GEMM * cols floats;
 * unused for f32 weights and for R = 1), split over the vm_parallel
 * threads with OpenBLAS set to one thread meanwhile; for R = 1 a fused
 * product of the stored rows, split over the same threads. */
void hf_matmul(const hf_mat *m, const float *X, int R, float *Y, int acc, float *scratch);

#endif

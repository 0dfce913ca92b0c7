/*
 * vmath.h: the elementwise parts of a transformer's forward pass, fast:
 * GELU (tanh form), softmax rows, LayerNorm rows and residual adds,
 * written on 8-float vectors (4 with clang; GCC/Clang vector extensions: SSE on any
 * x86-64, AVX2 where the CPU has it, chosen at load) with an exp computed
 * in float by a polynomial (Cephes's, about 2 ulp), and split by rows over
 * a few threads (as many as OpenBLAS uses, fs_blas_threads).
 *
 * Deterministic: a row's result never depends on how rows were split or
 * on the thread count (every sum runs in the same lanes in the same
 * order), and the AVX2 and SSE builds do the same float operations (no
 * fused multiply-adds), so results are the same on every x86-64 machine.
 */
#ifndef FS_VMATH_H
#define FS_VMATH_H

#include <stddef.h>

/* exp(x) for n floats, in place (about 2 ulp; under -87.3 gives 0's
 * neighbourhood, over 88.7 clamps). */
void vm_exp(float *x, size_t n);
/* x = GELU(x) with GPT-2's tanh approximation, written as
 * x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) (the same function, without
 * the cancellation of 1 + tanh for negative x). */
void vm_gelu_tanh(float *x, size_t n);
/* R rows of width n at stride ld: row i keeps its first n_i = off + i + 1
 * entries (causal: off < 0 means all n) as softmax, the rest set to 0. */
void vm_softmax_causal(float *s, int R, int n, int ld, int off);
/* y[r] = (x[r] - mean) / sqrt(var + eps) * w + b for R rows of width d. */
void vm_layernorm(const float *x, float *y, int R, int d, const float *w, const float *b, float eps);
/* The largest of n >= 1 floats (NaN-free input). */
float vm_max(const float *x, size_t n);
/* y[i] += x[i] (n floats). */
void vm_add(float *y, const float *x, size_t n);

/* Run fn(ud, lo, hi) over [0, n) split into contiguous ranges, one per
 * thread (the calling thread takes the first); serially when n is small
 * (work = elements per row, to decide). Threads: fs_blas_threads(), set
 * by OPENBLAS_NUM_THREADS like OpenBLAS's, at most 16. */
void vm_parallel(int n, size_t work, void (*fn)(void *ud, int lo, int hi), void *ud);
/* Threads vm_parallel uses. */
int vm_threads(void);

#endif

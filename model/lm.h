/*
 * lm.h: the demo language model: a byte-level (vocabulary 256) decoder-only
 * transformer with hand-written forward and backward passes. Every matrix
 * product goes through cblas_sgemm; everything else is plain loops. One
 * struct holds the configuration, the parameters, their gradients, the
 * AdamW moments and the activations of the last forward pass (kept for the
 * backward pass and for hooks that read or replace MLP activations).
 */
#ifndef FS_MODEL_LM_H
#define FS_MODEL_LM_H

#include <stddef.h>
#include <stdint.h>

#include "live/demo_layout.h"

#define LM_VOCAB DEMO_VOCAB

/* Shape of the model. */
typedef struct {
	int n_layer;  /* transformer blocks */
	int d_model;  /* residual stream width */
	int n_head;   /* attention heads; d_model % n_head == 0 */
	int ctx;      /* maximum context length in bytes */
} lm_config;

/* Offsets (in floats) of each block's tensors inside the flat array: the
 * layout shared with the live runtime (src/live/demo_layout.h: order and
 * shapes as a table). */
typedef demo_layer_off lm_layer_off;

/* A hook called in the forward pass on act[n][width] (n = B*T rows); it
 * may read or overwrite them. Where it sits is the model's hook_kind and
 * hook_layer: LM_HOOK_MLP, the post-GELU MLP activations of block
 * hook_layer (width 4D; the default, on the last block), or LM_HOOK_RESID,
 * the residual stream after block hook_layer (width D; what the hook
 * writes is what the next block reads). */
typedef void (*lm_hook)(void *ctx, float *act, int n, int width);

#define LM_HOOK_MLP 0   /* post-GELU MLP hidden of a block */
#define LM_HOOK_RESID 1 /* residual stream after a block */

/* Activations of one layer, kept for the backward pass. */
typedef struct {
	float *x;      /* residual stream entering the block [N,D] */
	float *xn1;    /* ln1 output [N,D] */
	float *mu1;    /* ln1 means [N] */
	float *rs1;    /* ln1 reciprocal standard deviations [N] */
	float *qkv;    /* q,k,v [N,3D] */
	float *att;    /* attention probabilities [B,H,T,T] */
	float *o;      /* attention heads concatenated [N,D] */
	float *x2;     /* residual after attention [N,D] */
	float *xn2;    /* ln2 output [N,D] */
	float *mu2;    /* ln2 means [N] */
	float *rs2;    /* ln2 reciprocal standard deviations [N] */
	float *h;      /* MLP pre-activation [N,4D] */
	float *a;      /* MLP post-GELU activation [N,4D] */
} lm_acts;

/* The model, its training state and its activation buffers. */
typedef struct {
	lm_config cfg;       /* shape */
	size_t n_params;     /* floats in params */
	float *params;       /* all parameters, flat */
	float *grads;        /* gradients, same layout (NULL until needed) */
	float *m, *v;        /* AdamW moments (NULL until needed) */
	unsigned char *decay; /* 1 where AdamW applies weight decay */
	long step;           /* AdamW steps taken */
	size_t wte, wpe;     /* token embedding [256,D], position embedding [T,D] */
	size_t lnf_g, lnf_b; /* final layernorm [D] */
	size_t wu, bu;       /* unembedding [D,256], [256] */
	lm_layer_off *lay;   /* per-layer offsets [n_layer] */
	int hook_kind;       /* LM_HOOK_MLP or LM_HOOK_RESID */
	int hook_layer;      /* block the hook reads (default: the last) */
	int cap_b;           /* batch size the activation buffers hold */
	lm_acts *acts;       /* per-layer activations [n_layer] */
	float *xf;           /* residual stream after the last block [N,D] */
	float *xfn;          /* final layernorm output [N,D] */
	float *muf, *rsf;    /* final layernorm statistics [N] */
	float *logits;       /* logits, then probabilities [N,256] */
	float *scratch;      /* backward scratch [N,4D] */
	float *scratch2;     /* backward scratch [N,4D] */
	float *dsc;          /* attention backward scratch [T,T] */
	float *bda;          /* backward: MLP gradient [N,4D] */
	float *bdtmp;        /* backward: q,k,v or ln2 gradient [N,3D] */
	float *bdx2;         /* backward: residual gradient mid-block [N,D] */
} lm_model;

/* Allocate a model with parameters initialised from seed. NULL on bad shape. */
lm_model *lm_new(const lm_config *cfg, uint64_t seed);
void lm_free(lm_model *m);

/* Run the model on tok[B*T] (rows of T bytes, T <= ctx). When tgt is not
 * NULL, return the mean cross-entropy (nats) over the positions whose
 * target is >= 0, and store per-position losses in loss_out[B*T] when it is
 * not NULL. hook (may be NULL) sees the last layer's MLP activations. */
double lm_forward(lm_model *m, const uint8_t *tok, const int *tgt, int B,
                  int T, lm_hook hook, void *hook_ctx, float *loss_out);

/* Backward pass of the last lm_forward (which must have had targets and
 * no hook): fills m->grads with d(mean loss)/d(params). */
void lm_backward(lm_model *m, const uint8_t *tok, const int *tgt, int B,
                 int T);

/* One AdamW step with learning rate lr and weight decay wd (applied to
 * matrices only); clips the global gradient norm to clip (0: no clip).
 * Returns the gradient norm before clipping. */
double lm_adamw(lm_model *m, float lr, float wd, float clip);

/* Weight file "FSLM0002": the 8-byte magic, int32 n_layer, d_model,
 * n_head, ctx, int32 dtype (LM_F32 or LM_F16, IEEE half), then every
 * parameter in lm_layout() order (demo_layout.h's table; the offsets of lm_model above: wte,
 * wpe, per block ln1_g, ln1_b, wqkv, bqkv, wo, bo, ln2_g, ln2_b, w1, b1,
 * w2, b2, then lnf_g, lnf_b, wu, bu; matrices row-major [in][out]) in that
 * dtype, little-endian. "FSLM0001" (no dtype, float32) still loads. */
#define LM_F32 0
#define LM_F16 1

/* Save the configuration and parameters as FSLM0002 float32, through a
 * temporary file and a rename; 0 on success, -1 with errno. */
int lm_save(const lm_model *m, const char *path);
/* The same in dtype LM_F32 or LM_F16. */
int lm_save_dtype(const lm_model *m, const char *path, int dtype);
/* Load a model saved by lm_save (FSLM0001 or FSLM0002); NULL on error
 * (message on stderr). */
lm_model *lm_load(const char *path);

/* Training state beside a checkpoint ("FSLMST01": int64 step, uint64 rng,
 * double elapsed seconds, then the AdamW moments m and v as float32), so
 * a killed run resumes where it was. 0 on success, -1 with errno;
 * lm_load_state returns -1 (message on stderr) when the file does not fit
 * the model. */
int lm_save_state(const lm_model *m, const char *path, uint64_t rng,
                  double elapsed);
int lm_load_state(lm_model *m, const char *path, uint64_t *rng,
                  double *elapsed);

/* IEEE half <-> float conversions (round to nearest even). */
uint16_t lm_f32_to_f16(float f);
float lm_f16_to_f32(uint16_t h);

/* Composite map from the last layer's MLP hidden space to the logits:
 * out[4D][256] = W2 * diag(lnf_g) * Wu (the direct logit effect of a
 * hidden direction, ignoring the final layernorm's normalisation). */
void lm_unembed_mlp(const lm_model *m, float *out);

/* The same for the residual stream: out[D][256] = diag(lnf_g) * Wu, the
 * direct path of a residual direction to the logits (later blocks and the
 * final layernorm's normalisation ignored). */
void lm_unembed_resid(const lm_model *m, float *out);

#endif

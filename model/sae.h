/*
 * sae.h: the demo sparse autoencoder: TopK (k active features per token,
 * then ReLU) over the language model's MLP activations, with an auxiliary
 * top-k loss that teaches dead features to reconstruct the residual error
 * (Gao et al. 2024, "Scaling and evaluating sparse autoencoders").
 * Encoder z = ReLU(TopK(W_enc (x - b_dec) + b_enc)); decoder
 * x^ = W_dec^T z + b_dec with unit-norm decoder rows.
 */
#ifndef FS_MODEL_SAE_H
#define FS_MODEL_SAE_H

#include <stddef.h>
#include <stdint.h>

/* Figures of one training batch. */
typedef struct {
	double mse;     /* mean squared error per element */
	double fvu;     /* fraction of variance unexplained in the batch */
	double l0;      /* mean nonzero features per token */
	double aux;     /* auxiliary loss (per element) */
	int n_dead;     /* features not fired for dead_after tokens */
} sae_stats;

/* The autoencoder and its training state. */
typedef struct {
	int d_in;            /* input width (the MLP hidden size) */
	int n_feat;          /* dictionary size */
	int k;               /* active features per token */
	int k_aux;           /* features in the auxiliary (dead) top-k */
	float in_scale;      /* inputs are multiplied by this before encoding */
	int hook_kind;       /* what it reads: SAE_HOOK_MLP or SAE_HOOK_RESID */
	int layer;           /* the block it reads */
	size_t n_params;     /* floats in params */
	float *params;       /* all parameters, flat */
	float *grads;        /* gradients, same layout */
	float *m, *v;        /* Adam moments (NULL until the first step) */
	long step;           /* Adam steps taken */
	size_t w_enc, b_enc; /* encoder [n_feat, d_in], [n_feat] */
	size_t w_dec, b_dec; /* decoder [n_feat, d_in], [d_in] */
	int64_t tokens_seen; /* training tokens consumed */
	int64_t *last_fired; /* tokens_seen when each feature last fired */
	int64_t dead_after;  /* a feature is dead after this many silent tokens */
	unsigned char *fired; /* features that fired in the last gradient batch */
	int fired_n;         /* rows in that batch */
	float *pre;          /* scratch: pre-activations [cap, n_feat] */
	int cap;             /* rows the scratch buffers hold */
} sae_model;

/* A new autoencoder with unit-norm random decoder rows and the encoder
 * initialised to the decoder's transpose. */
sae_model *sae_new(int d_in, int n_feat, int k, uint64_t seed);
void sae_free(sae_model *s);

/* Set b_dec to the mean of x[n][d_in] (already scaled). */
void sae_init_bias(sae_model *s, const float *x, int n);

/* Loss = mse + aux_coef * aux on x[n][d_in] (scaled inputs), the value
 * whose gradient sae_step_grad computes. */
double sae_loss(sae_model *s, const float *x, int n, float aux_coef);

/* Compute gradients of sae_loss into s->grads and fill st. Does not
 * change the dead-feature bookkeeping (sae_adam does). */
void sae_step_grad(sae_model *s, const float *x, int n, float aux_coef,
                   sae_stats *st);

/* One Adam step (decoder-row gradients projected orthogonal to the rows,
 * rows renormalised afterwards); records which features fired. */
void sae_adam(sae_model *s, float lr);

/* Dense codes z[n][n_feat] of x[n][d_in] (scaled inputs). */
void sae_encode_dense(sae_model *s, const float *x, int n, float *z);

/* Sparse codes: for each row, up to k (feature, value) pairs with value
 * > 0 into idx[n][k], val[n][k]; unused slots get idx -1. */
void sae_encode_sparse(sae_model *s, const float *x, int n, int *idx,
                       float *val);

/* Reconstruction xhat[n][d_in] from sparse codes (scaled space). */
void sae_decode_sparse(const sae_model *s, const int *idx, const float *val,
                       int n, float *xhat);

/* Weight file "FSSAE002": the 8-byte magic, int32 d_in, n_features, k,
 * int32 hook_kind (0: post-GELU MLP hidden of block `layer`; 1: residual
 * stream after block `layer`), int32 layer, int32 dtype (0 float32, 1
 * IEEE float16), float32 input_scale, then W_enc[F][D], b_enc[F],
 * W_dec[F][D], b_dec[D] in dtype, little-endian. "FSSAE001" (d_in,
 * n_features, k, input_scale, float32 parameters; the last block's MLP)
 * still loads. */
#define SAE_HOOK_MLP 0
#define SAE_HOOK_RESID 1

/* Save as FSSAE002 float32 (sae_save) or in dtype 0/1, through a temporary
 * file and a rename; 0 on success, -1 with errno. */
int sae_save(const sae_model *s, const char *path);
int sae_save_dtype(const sae_model *s, const char *path, int dtype);
/* Load FSSAE001 or FSSAE002; NULL on error (message on stderr). An
 * FSSAE001 file gets hook_kind SAE_HOOK_MLP and layer -1 (the last). */
sae_model *sae_load(const char *path);

#endif

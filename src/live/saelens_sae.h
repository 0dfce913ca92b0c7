/*
 * saelens_sae.h: SAELens dictionaries at run time: a folder with cfg.json
 * (the current layout with a metadata object, or the older flat one) and
 * sae_weights.safetensors (W_enc [d_in, d_sae], b_enc, W_dec [d_sae,
 * d_in], b_dec, and threshold for JumpReLU; f32, f16 or bf16). Encoding
 * follows SAELens: optional input normalisation, x - b_dec when
 * apply_b_dec_to_input, pre = x W_enc + b_enc through blas_sgemm, then ReLU
 * (standard), the k largest after ReLU (topk) or ReLU gated by
 * pre > threshold (jumprelu).
 */
#ifndef FS_SAELENS_SAE_H
#define FS_SAELENS_SAE_H

#include <stddef.h>
#include <stdint.h>

/* Encoder architectures. */
enum { SAEL_STANDARD = 0, SAEL_TOPK, SAEL_JUMPRELU };
/* Input normalisations. */
enum { SAEL_NORM_NONE = 0, SAEL_NORM_EXPECTED_AVG, SAEL_NORM_CONSTANT, SAEL_NORM_LAYER };

/* What cfg.json says. */
typedef struct {
	int d_in;                   /* input width */
	int d_sae;                  /* features */
	int arch;                   /* SAEL_* */
	int k;                      /* topk: features kept per token */
	int apply_b_dec;            /* apply_b_dec_to_input */
	int norm;                   /* SAEL_NORM_* */
	float norm_scale;           /* expected_average_only_in: norm_scaling_factor */
	int prepend_bos;            /* metadata.prepend_bos (default 1) */
	int context_size;           /* metadata.context_size, 0 unknown */
	char hook[128];             /* hook name (metadata.hook_name / hook_point) */
	int layer;                  /* L of blocks.L., -1 when the name has none */
	char model[128];            /* model_name, "" unknown */
	char neuronpedia[128];      /* neuronpedia_id, "" unknown */
} saelens_cfg;

/* Parse cfg.json text (name for messages): 0, or -1 with "NAME: field:
 * what is wrong". */
int saelens_cfg_parse(const char *name, const char *json, size_t len, saelens_cfg *c, char *err, size_t errlen);

/* A loaded dictionary. */
typedef struct {
	char *dir;                  /* the folder */
	char *weights;              /* its sae_weights.safetensors */
	saelens_cfg c;              /* configuration */
	float *W_enc;               /* [d_in, d_sae] */
	float *b_enc;               /* [d_sae] */
	float *W_dec;               /* [d_sae, d_in] */
	float *b_dec;               /* [d_in] */
	float *threshold;           /* [d_sae] (jumprelu) or NULL */
} saelens_sae;

/* 0, or -1 with one line naming the file (and tensor, with both shapes). */
int saelens_load(const char *dir, saelens_sae *s, char *err, size_t errlen);
void saelens_free(saelens_sae *s);

/* Encode rows of x [rows, d_in] (not changed) into acts [rows, d_sae];
 * scratch holds rows * d_in floats. */
void saelens_encode(const saelens_sae *s, const float *x, int rows, float *acts, float *scratch);

#endif

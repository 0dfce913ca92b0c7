/*
 * saelens_sae.h: the one reader of dictionary folders, for `build` (the
 * SAELens importer, which takes the configuration and the decoder) and
 * for the runtime (live/sae_live.c: analyze, steer, harvest, the
 * browser). Four layouts, told apart by the files the folder holds (man
 * featscope(1), DICTIONARY FOLDERS):
 *
 *  - SAELens: cfg.json (the current layout with a metadata object, or the
 *    older flat one) and sae_weights.safetensors (W_enc [d_in, d_sae],
 *    b_enc, W_dec [d_sae, d_out], b_dec [d_out]; threshold for JumpReLU;
 *    b_gate, b_mag, r_mag and no b_enc for gated; W_skip [d_out, d_in] for
 *    skip_transcoder; f32, f16 or bf16);
 *  - Gemma Scope 1: params.npz alone (W_enc, W_dec, b_enc, b_dec,
 *    threshold), the layer and the site from the folder's path;
 *  - Gemma Scope 2: config.json and params.safetensors (w_enc, w_dec,
 *    b_enc, b_dec, threshold);
 *  - Llama Scope: hyperparams.json and checkpoints/final.safetensors
 *    (encoder.weight [d_sae, d_model], encoder.bias, decoder.weight
 *    [d_model, d_sae], decoder.bias), the dataset-wise norm folded in.
 *
 * Whatever the layout, the result is one description: the encoder in
 * SAELens' terms. Encoding: optional input normalisation, x - b_dec when
 * apply_b_dec_to_input, pre = x W_enc + b_enc through blas_sgemm, then
 * ReLU (standard, transcoder), the k largest after ReLU (topk) or ReLU
 * gated by pre > threshold (jumprelu); gated: (x W_enc + b_gate > 0) *
 * relu(x W_enc exp(r_mag) + b_mag). A transcoder reads its hook (the MLP
 * input) and writes hook_out (the MLP output, d_out wide).
 */
#ifndef FS_SAELENS_SAE_H
#define FS_SAELENS_SAE_H

#include <stddef.h>
#include <stdint.h>

/* Encoder architectures. */
enum { SAEL_STANDARD = 0, SAEL_TOPK, SAEL_JUMPRELU, SAEL_GATED };
/* Folder layouts. */
enum { SAEL_FMT_SAELENS = 0, SAEL_FMT_GEMMASCOPE, SAEL_FMT_GEMMASCOPE2, SAEL_FMT_LLAMASCOPE };
/* Transcoder kinds (0: a dictionary that reconstructs its own input). */
enum { SAEL_TC_NONE = 0, SAEL_TC_PLAIN, SAEL_TC_SKIP };
/* Input normalisations. */
enum { SAEL_NORM_NONE = 0, SAEL_NORM_EXPECTED_AVG, SAEL_NORM_CONSTANT, SAEL_NORM_LAYER };

/* What cfg.json says. */
typedef struct {
	int format;                 /* SAEL_FMT_*: the folder's layout */
	int d_in;                   /* input width */
	int d_sae;                  /* features */
	int d_out;                  /* output width (d_in unless a transcoder) */
	int arch;                   /* SAEL_STANDARD ... SAEL_GATED */
	int transcoder;             /* SAEL_TC_*: reads hook, writes hook_out */
	int k;                      /* topk: features kept per token */
	int apply_b_dec;            /* apply_b_dec_to_input */
	int norm;                   /* SAEL_NORM_* */
	float norm_scale;           /* expected_average_only_in: norm_scaling_factor */
	int prepend_bos;            /* metadata.prepend_bos (default 1) */
	int context_size;           /* metadata.context_size, 0 unknown */
	char hook[128];             /* hook name (metadata.hook_name / hook_point), as
				     * TransformerLens names it (blocks.L.hook_...) */
	char hook_out[128];         /* a transcoder's output hook, "" otherwise */
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
	char *weights;              /* its weights file (the one whose bytes identify it) */
	char *config;               /* its configuration file (params.npz for Gemma Scope 1) */
	saelens_cfg c;              /* configuration */
	float *W_enc;               /* [d_in, d_sae] */
	float *b_enc;               /* [d_sae]; gated: b_gate */
	float *W_dec;               /* [d_sae, d_out] */
	float *b_dec;               /* [d_out] */
	float *threshold;           /* [d_sae] (jumprelu) or NULL */
	float *b_mag;               /* [d_sae] (gated) or NULL */
	float *r_mag;               /* [d_sae] (gated) or NULL */
	float *W_skip;              /* [d_out, d_in] (skip_transcoder) or NULL */
} saelens_sae;

/* Does dir hold a dictionary of one of the layouts? (0 no, 1 yes) */
int saelens_is_dir(const char *dir);
/* What to load: everything (the runtime) or the configuration and W_dec
 * only (build: the decoder is stored; a W_dec stored transposed, [d_out,
 * d_sae], is accepted there, and what only the encoder needs is not
 * checked: an architecture or normalisation the runtime does not run,
 * topk's k, the hook name). */
enum { SAEL_LOAD_ALL = 0, SAEL_LOAD_DECODER = 1 };
/* 0, or -1 with one line naming the file and field (a tensor: with both
 * shapes). */
int saelens_load(const char *dir, saelens_sae *s, char *err, size_t errlen);
int saelens_load_what(const char *dir, int what, saelens_sae *s, char *err, size_t errlen);
void saelens_free(saelens_sae *s);

/* Encode rows of x [rows, d_in] (not changed) into acts [rows, d_sae];
 * scratch holds rows * d_in floats. (A transcoder's output, for the
 * tests: saelens_decode.) */
void saelens_encode(const saelens_sae *s, const float *x, int rows, float *acts, float *scratch);
/* out[rows, d_out] = acts W_dec + b_dec (+ x W_skip^T for a skip
 * transcoder; x is the input the acts came from, [rows, d_in]). */
void saelens_decode(const saelens_sae *s, const float *acts, const float *x, int rows, float *out);

#endif

/*
 * hf_config.h: a Hugging Face checkpoint's config.json for arch_hf.c: the
 * family table's row type (one row per model_type), the parsed shape and
 * options (hf_config), and the reader: every number checked with one line
 * naming the file and field. A Gemma 3 multimodal config (model_type
 * "gemma3") is read through its text_config, with Gemma3TextConfig's
 * defaults for the fields it leaves out.
 */
#ifndef FS_HF_CONFIG_H
#define FS_HF_CONFIG_H

#include <jansson.h>
#include <stddef.h>

/* The largest config.json read. */
#define HF_MAX_CONFIG (1u << 20)

enum { NORM_RMS, NORM_LN };
enum { ACT_SILU, ACT_GELU_TANH, ACT_GELU };
enum { ROPE_DEFAULT, ROPE_LINEAR, ROPE_LLAMA3 };

/* One model_type. */
typedef struct {
	const char *type;   /* config.json's model_type */
	int norm;           /* NORM_RMS or NORM_LN (with biases) */
	int plus1;          /* RMSNorm scales by (1 + w) (Gemma) */
	int post_norms;     /* norms after attention and after the MLP (Gemma 2, 3) */
	int qk_norm;        /* per-head RMSNorm of q and k before RoPE */
	int glu;            /* act(gate) * up; 0: act(up + b) */
	int act;            /* default activation */
	int parallel;       /* attention and MLP read the same residual (GPT-NeoX default) */
	int qkv_bias;       /* q/k/v biases always (Qwen 2) */
	int bias_default;   /* attention_bias when the config does not say */
	int emb_scale;      /* embeddings times sqrt(hidden_size) */
	int window;         /* sliding layers: 0 none, 2 even layers (Gemma 2), 6 all but every 6th (Gemma 3) */
	int neox;           /* GPT-NeoX tensor names and fused query_key_value */
	int tie_default;    /* tie_word_embeddings when the config does not say */
} hf_family;


typedef struct {
	const hf_family *f;
	int d, ff, L, H, Hkv, hd, vocab, maxpos, bos, rot;
	float eps;
	double theta, theta_local;   /* RoPE bases: global (and every layer), local (Gemma 3) */
	int rope;                    /* ROPE_* */
	double rs_factor, rs_low, rs_high, rs_orig;
	int tie, qkv_bias, o_bias, mlp_bias, act, parallel, window;
	float attn_scale, attn_cap, final_cap;
	unsigned char *sliding;      /* [L]: layer uses the window */
	int multimodal;              /* a Gemma 3 multimodal config.json (model_type gemma3):
	                              * its text_config read, the vision part left alone */
} hf_config;

/* config.json at path as a JSON object (at most HF_MAX_CONFIG bytes):
 * NULL with "PATH: ..." in err. */
json_t *hf_load_json(const char *path, char *err, size_t errlen);
/* Read path (a folder's config.json) into *c: 0, or -1 with one line in
 * err. hf_config_free releases what it holds. */
int hf_config_read(const char *path, hf_config *c, char *err, size_t errlen);
void hf_config_free(hf_config *c);

#endif

/*
 * gpt2.h: the GPT-2 architecture for the live runtime: a Hugging Face
 * checkpoint folder (config.json + model.safetensors in f32, f16 or bf16,
 * tensor names with or without the "transformer." prefix, Conv1D [in, out]
 * projections, unembedding tied to wte) and, when the folder has one, its
 * byte-level BPE tokenizer. The forward pass is batched, with every matrix
 * product through blas_sgemm; hooks see (and may change in place) the
 * activations at live.h's hook points; generation keeps a
 * key-value cache. The shape of the API is that of the live-model ops
 * table (load, sizes, tokenize with byte offsets, forward with a hook,
 * cached step, sample), so GPT-2 is one entry of it.
 */
#ifndef FS_GPT2_H
#define FS_GPT2_H

#include <stddef.h>
#include <stdint.h>

#include "tok/bpe.h"
#include "live/live.h"

/* What config.json says. */
typedef struct {
	int n_layer;            /* blocks */
	int n_embd;             /* d_model */
	int n_head;             /* attention heads (n_embd divisible by it) */
	int n_positions;        /* context length */
	int vocab_size;         /* tokens */
	int n_inner;            /* MLP width (4 * n_embd unless given) */
	float eps;              /* layer_norm_epsilon */
	int scale_attn;         /* scale_attn_weights: divide scores by sqrt(d_head) */
	int scale_by_layer;     /* scale_attn_by_inverse_layer_idx */
} gpt2_config;

/* Parse config.json text (name for messages): 0, or -1 with "NAME: field:
 * what is wrong" (a model that is not GPT-2 names the supported ones). */
int gpt2_config_parse(const char *name, const char *json, size_t len, gpt2_config *c, char *err,
		      size_t errlen);

typedef struct fs_gpt2 fs_gpt2;

/* Load DIR/config.json and DIR/model.safetensors, and the tokenizer when
 * DIR has one (vocab.json + merges.txt or tokenizer.json). NULL with one
 * line naming the file (and for a tensor its name and both shapes). */
fs_gpt2 *gpt2_load(const char *dir, char *err, size_t errlen);
void gpt2_free(fs_gpt2 *m);
const gpt2_config *gpt2_cfg(const fs_gpt2 *m);
int gpt2_n_layer(const fs_gpt2 *m);
int gpt2_d_model(const fs_gpt2 *m);
int gpt2_vocab(const fs_gpt2 *m);
int gpt2_ctx(const fs_gpt2 *m);
/* The tokenizer (NULL when the folder has none). */
fs_bpe *gpt2_tokenizer(const fs_gpt2 *m);
/* The tied unembedding, wte [vocab, d_model] as f32. */
const float *gpt2_wte(const fs_gpt2 *m);
/* Bytes of weights (f32) the forward pass streams per token. */
size_t gpt2_weight_bytes(const fs_gpt2 *m);

/* Tokenize with byte offsets (bpe_encode's conventions). -1 with err when
 * the model has no tokenizer or the text is not UTF-8. */
int gpt2_tokenize(const fs_gpt2 *m, const char *text, size_t n, int32_t **ids, uint32_t **offs,
		  int64_t *count, int64_t *cap, char *err, size_t errlen);

/* Called at every hook point of a block (live.h's live_hook_kind, the
 * same for every architecture: resid_pre, attn_out, mlp_in, mlp_hidden,
 * mlp_out, resid_post, in the order a block reaches them) with the
 * activations of all rows (row r is position r % T of sequence r / T in
 * a batched forward; the new positions in a step), row-major [rows, d]
 * (d = d_model, n_inner for the MLP hidden activations), writable.
 * Return 0 to go on, 1 to stop the pass here (no logits), -1 for an
 * error. Before attn_out the hook is asked with x NULL (rows 0) whether
 * it reads that point: return 1 when it does (the pass then keeps the
 * attention output apart from the residual stream for it), else 0. */
typedef int (*gpt2_hook_fn)(void *user, int layer, live_hook_kind kind, float *x, int rows, int d);

/* Forward B sequences of T tokens each (ids [B*T], T <= n_positions).
 * logits, when not NULL, receives [B*T, vocab]. Returns 0, 1 when a hook
 * stopped the pass, -1 with err. */
int gpt2_forward(fs_gpt2 *m, const int32_t *ids, int B, int T, gpt2_hook_fn hook, void *user,
		 float *logits, char *err, size_t errlen);

/* Key-value cache for generation. */
typedef struct gpt2_cache gpt2_cache;
gpt2_cache *gpt2_cache_new(const fs_gpt2 *m, int max_len);
void gpt2_cache_free(gpt2_cache *c);
void gpt2_cache_reset(gpt2_cache *c);
int gpt2_cache_len(const gpt2_cache *c);
/* Append n tokens to the cached sequence and run them; logits of the last
 * one into logits [vocab] (when not NULL). Hooks see the n new rows.
 * -1 with err when the sequence would pass the cache or n_positions. */
int gpt2_step(fs_gpt2 *m, gpt2_cache *c, const int32_t *ids, int n, gpt2_hook_fn hook, void *user,
	      float *logits, char *err, size_t errlen);

/* gpt2_step with the logits of all n new positions, logits [n, vocab]. */
int gpt2_prefill(fs_gpt2 *m, gpt2_cache *c, const int32_t *ids, int n, gpt2_hook_fn hook, void *user,
		 float *logits, char *err, size_t errlen);

/* Sample a token: greedy when temperature <= 0, else softmax(logits / t)
 * restricted to the top_k (0 = all); rng is a xorshift state. */
int gpt2_sample(const float *logits, int vocab, float temperature, int top_k, uint64_t *rng);

#endif

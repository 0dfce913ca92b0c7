/*
 * live.h: the live model: a language model and its sparse autoencoders
 * run in process, on the CPU, behind an architecture-neutral interface.
 *
 * A model is a live_model whose behaviour comes from a small ops table
 * (live_arch): load, free, tokenize, detokenize, a forward pass over T
 * tokens and an incremental (KV-cached) step, and optional ops (BOS, the
 * unembedding's rows, the tokens' bytes). Another architecture plugs in
 * by writing one live_arch (one file) and adding it to the list in
 * live.c; the rest of the program (analyze, steer, harvest, the TUI)
 * sees only this header.
 *
 * Hooks: a forward pass calls a list of functions, each at its hook point
 * (the residual stream before or after a block, the attention output, the
 * MLP input, hidden activations or output of a block) with the
 * activations of the positions it is computing; a function may read and
 * overwrite them in place.
 *
 * The SAE side (sae_live.c): load a dictionary, encode hook activations to
 * sparse feature activations (TopK, ReLU or JumpReLU), and steer: clamp a
 * feature to a value V (the feature reads V at every position: add
 * (V - a) W_dec[f], a its activation there) or add V W_dec[f].
 *
 * Errors are one line in a caller's buffer ("FILE: field: what"); nothing
 * here prints or exits.
 */
#ifndef FS_LIVE_H
#define FS_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "nn/hookpoint.h"

typedef struct live_model live_model;

/* ------------------------------------------------------------ hook points */

/* Called on act[n][width], the activations of positions pos0..pos0+n-1
 * (absolute positions in the sequence); may modify them in place. */
typedef void (*live_hook_fn)(void *ud, float *act, int n, int width, int pos0);

/* A hook: where, what, and its state. Hooks form a list through next: a
 * pass runs every hook of the list whose point it reaches, in list order
 * at one point, so one pass can steer at one layer and read another, or
 * run a transcoder (read mlp_in, write mlp_out). */
typedef struct live_hook {
	live_point at;       /* hook point */
	live_hook_fn fn;     /* callback */
	void *ud;            /* passed to fn */
	const struct live_hook *next; /* the next hook of the list, or NULL */
} live_hook;

/* For architectures: does a hook of the list (NULL: none) sit at point
 * (kind, layer) of model m (layer -1 in a hook meaning m's last block)? */
int live_hooks_want(const live_model *m, const live_hook *h, live_hook_kind kind, int layer);
/* Run every hook of the list at (kind, layer) on act[n][width], in order. */
void live_hooks_run(const live_model *m, const live_hook *h, live_hook_kind kind, int layer, float *act,
		    int n, int width, int pos0);

/* ------------------------------------------------------------------ model */

/* One architecture: every operation a model offers. */
typedef struct live_arch {
	const char *name;   /* "demo", "gpt2", ... */
	/* Does the file starting with these bytes belong to this
	 * architecture? (n >= 8 when the file has 8 bytes) */
	int (*probe)(const unsigned char *head, size_t n);
	/* Load from path; NULL with a message in err. */
	live_model *(*load)(const char *path, char *err, size_t errlen);
	void (*free)(live_model *m);
	/* Width of the activations at a hook point, 0 when there is no such
	 * point (layer out of range). */
	int (*width)(const live_model *m, live_point p);
	/* Text to token ids; *ids gets ntok ids and *off ntok + 1 byte offsets
	 * (token i is text[off[i] .. off[i+1])), both malloc'd. Returns ntok. */
	int (*tokenize)(live_model *m, const char *text, size_t len, int **ids, uint32_t **off);
	/* Append the bytes of tokens ids[0..n) to out. */
	void (*detokenize)(live_model *m, const int *ids, int n, fs_buf *out);
	/* Forward pass over ids[0..T) (T <= ctx) from position 0, hook may be
	 * NULL; logits[T][vocab] when logits is not NULL. Resets and fills the
	 * KV cache, so step() continues after it. 0 ok, -1 error. */
	int (*forward)(live_model *m, const int *ids, int T, const live_hook *hook, float *logits);
	/* Append one token at the cache's next position and compute its
	 * logits[vocab] (hook called with n = 1). 0 ok, -1 when the cache is
	 * full (ctx tokens). */
	int (*step)(live_model *m, int id, const live_hook *hook, float *logits);
	/* Optional. A model that is a folder (a Hugging Face checkpoint):
	 * does dir hold one of this architecture? */
	int (*probe_dir)(const char *dir);
	/* Optional. Run the architecture's beginning-of-sequence token
	 * before position 0 of every pass (on != 0) or not; hooks, logits
	 * and positions leave it out and ctx shrinks by one. 0 ok, -1 when
	 * the architecture has no such token. */
	int (*set_bos)(live_model *m, int on);
	/* Optional. Row id of the unembedding as a direction in the residual
	 * stream (the logit of token id is the final norm's output . row,
	 * plus a bias where there is one) into out[d_model]: 0, or -1 when
	 * id is out of range. The harvest's logit effects. */
	int (*unembed_row)(const live_model *m, int id, float *out);
	/* Optional. The bytes of token id (NULL when it has none), *len
	 * their count: the harvest's vocabulary. */
	const uint8_t *(*token_bytes)(const live_model *m, int id, size_t *len);
	/* Optional. Where a model folder states its shape, for messages that
	 * name it: the file, the context's field and each point's width
	 * field ({"config.json", "n_positions", {[LIVE_RESID_PRE] = "n_embd",
	 * ...}} for GPT-2). NULL: messages name the model's path. */
	const struct live_arch_names {
		const char *file;                /* the config file in the folder */
		const char *ctx;                 /* its field for the context */
		const char *width[LIVE_NKINDS];  /* its field for each point's width */
	} *names;
} live_arch;

/* What every model has; architectures put their state after it. */
struct live_model {
	const live_arch *arch; /* its operations (set by live_load) */
	char *path;            /* file it came from */
	int n_layer;           /* blocks */
	int d_model;           /* residual width */
	int vocab;             /* vocabulary size */
	int ctx;               /* maximum context in tokens */
	int pos;               /* tokens in the KV cache */
	int run_blocks;        /* blocks 0..run_blocks-1 are what the pass being
				* run goes through (live.c sets it before each
				* forward or step: n_layer, or fewer for
				* live_forward_hooks); architectures read it */
	int cache_blocks;      /* blocks the KV cache holds (step needs all) */
	int64_t blocks_run;    /* blocks run by every pass so far (architectures
				* count them; tests read it) */
};

/* The architectures known to this build, NULL-terminated: LIVE_ARCHS in
 * live.c, where a new architecture (src/live/arch_NAME.c defining
 * `const live_arch live_arch_NAME`) is one line. */
extern const live_arch *const live_archs[];

/* Load a model file, choosing the architecture by the file's first bytes
 * (a folder: by probe_dir). NULL with "PATH: ..." in err when missing or
 * not a model. */
live_model *live_load(const char *path, char *err, size_t errlen);
void live_free(live_model *m);
int live_width(const live_model *m, live_point p);
int live_tokenize(live_model *m, const char *text, size_t len, int **ids, uint32_t **off);
void live_detokenize(live_model *m, const int *ids, int n, fs_buf *out);
int live_forward(live_model *m, const int *ids, int T, const live_hook *hook, float *logits);
int live_step(live_model *m, int id, const live_hook *hook, float *logits);
/* A pass for its hooks alone (the harvest, analyze without losses): no
 * logits, and it stops after the last block a hook of the list sits at
 * (live_hooks_blocks), so a dictionary at an early layer costs the blocks
 * up to it. The hooks see exactly what live_forward shows them. The KV
 * cache then holds only those blocks: live_step fails (-1) until the next
 * live_forward, unless the pass reached the last block. */
int live_forward_hooks(live_model *m, const int *ids, int T, const live_hook *hook);
/* The blocks a pass must run for the hooks of the list: 1 + the last
 * block any of them sits at (0 when the list is empty). */
int live_hooks_blocks(const live_model *m, const live_hook *h);
/* set_bos through the ops table; -1 when the architecture has no BOS
 * (on == 0 always succeeds). */
int live_set_bos(live_model *m, int on);
/* unembed_row and token_bytes through the ops table: -1 and NULL when the
 * architecture has none. */
int live_unembed_row(const live_model *m, int id, float *out);
const uint8_t *live_token_bytes(const live_model *m, int id, size_t *len);

/* --------------------------------------------------------------- sampling */

/* Deterministic sampler: the same seed gives the same draws on every
 * machine (splitmix64, no libc rand). */
typedef struct {
	uint64_t state;      /* generator state */
	float temperature;   /* 0: greedy (argmax) */
} live_sampler;

void live_sampler_init(live_sampler *s, uint64_t seed, float temperature);
/* Draw a token from logits[vocab] (unnormalised); logits is clobbered. */
int live_sample(live_sampler *s, float *logits, int vocab);

/* The shortest usable context (after a BOS) a live model may have: one
 * token of prompt and one generated; live_session_load refuses a model
 * and dictionary that leave less. */
#define LIVE_MIN_CTX 2

/* Generate n tokens after prompt ids[0..np) (np >= 1; a prompt longer than
 * ctx - 1 keeps its last ctx - 1 tokens and *cut says how many were
 * dropped). out gets the generated ids (n of them, fewer when the context
 * fills up); returns that count, -1 on error (a context under
 * LIVE_MIN_CTX included). */
int live_generate(live_model *m, const int *ids, int np, int n, const live_hook *hook,
		  live_sampler *s, int *out, int *cut);
/* live_generate with progress: fn(ud, k) after each of the k tokens
 * generated (fn may be NULL). */
typedef void (*live_progress_fn)(void *ud, int done);
int live_generate_progress(live_model *m, const int *ids, int np, int n, const live_hook *hook,
			   live_sampler *s, int *out, int *cut, live_progress_fn fn, void *ud);

/* Mean next-token loss (nats) of ids[0..T) under the model with a hook:
 * per-position losses in loss[T-1] when not NULL. */
double live_loss(live_model *m, const int *ids, int T, const live_hook *hook, float *loss);

/* Run ids[0..T) of any length through the model in windows of ctx tokens
 * moved by ctx/2 (every token past the first window sees at least ctx/2
 * tokens before it), collecting the activations at point `at` into
 * rows[T][width] after the hook `inner` (may be NULL; at the same point)
 * has run, and the next-token loss of positions 0..T-2 into loss (NULL:
 * none). 0 ok, -1 when the point does not exist or the context is empty. */
int live_run_windows(live_model *m, const int *ids, int T, live_point at, const live_hook *inner,
		     float *rows, float *loss);

/* The same windows over a text of any length fed in pieces, in memory
 * bounded by the context (the analysis of a long text on standard
 * input): tokens are pushed as they come, and each window, once run,
 * hands what it adds to a callback: the activations of the positions it
 * keeps, the next-token losses it completes. The windows, and so every
 * value, are those of live_run_windows over the whole text. */
typedef struct {
	int64_t row0;              /* absolute position of rows[0] */
	int nrows;                 /* positions added */
	const float *rows;         /* [nrows][width] activations at the point, after inner */
	int64_t loss0;             /* absolute position of loss[0] */
	int nloss;                 /* losses added (position p: predicting token p + 1) */
	const float *loss;         /* [nloss] of the pass with inner (NULL when not asked) */
	const float *loss_clean;   /* [nloss] of a pass without it (NULL when not asked) */
} live_window;
/* Takes what a window adds; nonzero stops the run (returned by push/end). */
typedef int (*live_window_fn)(void *ud, const live_window *w);

typedef struct {
	live_model *m;             /* the model */
	live_point at;             /* where rows are read */
	const live_hook *inner;    /* run at `at` before the rows are read (may be NULL) */
	int want_loss;             /* compute losses of the pass with inner */
	int clean_loss;            /* also run each window without inner for loss_clean */
	const int *cancel;         /* stop between windows once set (atomic; may be NULL) */
	int width;                 /* activation width at `at` */
	int *ids;                  /* tokens from ids_base on */
	int nids, capids;          /* held, room */
	int64_t ids_base;          /* absolute position of ids[0] */
	int64_t s;                 /* start of the next window */
	int64_t keep_from;         /* first position the next window hands over */
	int64_t lossfrom;          /* first loss the next window hands over */
	float *rows;               /* [ctx][width] */
	float *lg;                 /* [ctx][vocab] logits, when losses are asked */
	float *l_in, *l_clean;     /* [ctx] losses of a window */
} live_windows;

/* 0, or -1 when the point does not exist or the context is empty. */
int live_windows_init(live_windows *w, live_model *m, live_point at, const live_hook *inner, int want_loss,
		      int clean_loss);
/* Add n tokens and run every window they complete, calling fn for each:
 * 0 ok, 1 cancelled, -1 an error of the model, else fn's nonzero value. */
int live_windows_push(live_windows *w, const int *ids, int n, live_window_fn fn, void *ud);
/* The text is complete: run the last window (same returns). */
int live_windows_end(live_windows *w, live_window_fn fn, void *ud);
void live_windows_free(live_windows *w);
/* After live_windows_end: start a new text at position 0 with the same
 * model, point and buffers (documents one after another). */
void live_windows_reset(live_windows *w);

/* -------------------------------------------------------------------- SAE */

typedef enum {
	LIVE_SAE_TOPK,     /* ReLU(TopK(pre)) */
	LIVE_SAE_RELU,     /* ReLU(pre) */
	LIVE_SAE_JUMPRELU, /* pre where pre > threshold[f], else 0 */
} live_sae_act;

/* A dictionary over one hook point. Encoding of a raw activation x:
 * pre = W_enc (x * in_scale - b_dec) + b_enc; z = act(pre); its
 * reconstruction (in raw units) is (W_dec^T z + b_dec) / in_scale. A gated
 * dictionary: z = (pre > 0) * relu(exp(r_mag) (pre - b_enc) + b_mag), b_enc
 * being its b_gate. A transcoder reads `hook` (the MLP input) and writes
 * `hook_out` (the MLP output, d_out wide): W_dec^T z + b_dec (+ W_skip x). */
typedef struct {
	char *path;          /* file it came from */
	int d_in;            /* input width */
	int n_feat;          /* features */
	int k;               /* active features per token (TopK) */
	live_sae_act act;    /* activation function */
	live_point hook;     /* where it reads (layer -1: the last block) */
	float in_scale;      /* inputs are multiplied by this first */
	float *w_enc;        /* [n_feat][d_in] */
	float *b_enc;        /* [n_feat] */
	float *w_dec;        /* [n_feat][d_out], rows in the scaled space */
	float *b_dec;        /* [d_out] */
	int d_out;           /* output width: d_in, or a transcoder's */
	int transcoder;      /* nonzero: reads `hook`, writes `hook_out` */
	live_point hook_out; /* a transcoder's output point */
	float *b_mag;        /* gated: [n_feat] the magnitude path's bias, else NULL */
	float *r_mag_exp;    /* gated: [n_feat] exp(r_mag), else NULL */
	float *w_skip;       /* skip transcoder: [d_out][d_in], else NULL */
	float *tc_z;         /* transcoder steering: the steered features' activations of the
			      * rows at the input point, until the output point [tc_cap][terms] */
	int tc_cap;          /* rows tc_z holds */
	char *where_hook;    /* "FILE: FIELD" that names the hook (a folder's), or NULL */
	char *where_din;     /* "FILE: FIELD" that gives d_in (a folder's), or NULL */
	struct live_hook tc_out; /* transcoder steering: the second hook of the list that
			      * live_steer_as_hook gives (the last steering state's) */
	float *threshold;    /* [n_feat] for JumpReLU, else NULL */
	int apply_b_dec;     /* subtract b_dec before encoding (FSSAE: always; SAELens:
			      * apply_b_dec_to_input) */
	int row_norm;        /* per-row input normalisation after in_scale: 0 none, 1 scale to
			      * norm sqrt(d_in), 2 layer norm (SAELens constant_norm_rescale,
			      * layer_norm) */
	int prepend_bos;     /* the model runs its BOS before the text (SAELens prepend_bos) */
	char *model_name;    /* the model it was trained on (SAELens model_name), NULL unknown */
	float *self_dot;     /* [n_feat] W_enc[f] . W_dec[f], made by the first clamp */
	float *steer_g;      /* [steer_gn][n_feat] W_enc . W_dec[f] of the clamped features */
	int *steer_gf;       /* [steer_gn] those features */
	int steer_gn;
	float *scratch;      /* encoder scratch [cap][n_feat + d_in] */
	int cap;             /* rows the scratch holds */
} live_sae;

/* Load "FSSAE001" (TopK over the last block's MLP hidden activations),
 * "FSSAE002" (hook in the header, f32 or f16), or a dictionary folder
 * (SAELens, Gemma Scope 1 and 2, Llama Scope: saelens_sae.h; its hook
 * name blocks.L.hook_resid_pre / hook_resid_post / hook_mlp_out /
 * hook_attn_out / hook_mlp_in / ln2.hook_normalized / mlp.hook_post),
 * chosen by what the path is. NULL with a message. */
live_sae *live_sae_load(const char *path, char *err, size_t errlen);
void live_sae_free(live_sae *s);
/* Check that the dictionary fits the model (hook point exists, widths
 * match; a transcoder's output point too); resolves hook.layer -1. 0 ok,
 * -1 with a message. */
int live_sae_bind(live_sae *s, const live_model *m, char *err, size_t errlen);

/* Encode x[n][d_in] (raw activations). For each row, up to kmax
 * (feature, value) pairs with value > 0, strongest first, into
 * idx[n][kmax] and val[n][kmax] (unused slots: idx -1, val 0). */
void live_sae_encode(live_sae *s, const float *x, int n, int kmax, int *idx, float *val);
/* Activation of one feature on each row of x (dense: what encode gives
 * that feature, 0 when it is not among the active ones). */
void live_sae_feature_acts(live_sae *s, const float *x, int n, int f, float *out);

/* Activations of the features f[0..nf) on each row of x, as
 * live_sae_feature_acts gives them, from one encoding: out[n][nf]. */
void live_sae_acts_of(live_sae *s, const float *x, int n, const int *f, int nf, float *out);

/* Steering: features held at values (clamp) or added (add). Clamping
 * adds (V - a) / (W_enc[f] . W_dec[f]) W_dec[f] (the plain (V - a) W_dec[f]
 * scaled so that the dictionary reads V after one step when the other
 * features stay put), then reads a again and repeats until it is V (to
 * 1e-4 relative; at most 6 rounds a batch). A transcoder's steering edits
 * its output: two hooks, one at its input point that encodes (a, per
 * position) and one at its output point that adds (V - a) W_dec[f]
 * (clamp: the transcoder's output is then what it gives with f at V) or
 * V W_dec[f] (add). */
typedef enum { LIVE_CLAMP, LIVE_ADD } live_steer_mode;

typedef struct {
	int feature;         /* index in the dictionary */
	float value;         /* V */
} live_steer_term;

/* A steering hook's state: pass live_steer_hook as the hook function and
 * the struct as its ud, at the dictionary's hook point. */
typedef struct {
	live_sae *sae;           /* dictionary */
	live_steer_mode mode;    /* clamp or add */
	const live_steer_term *terms; /* features and values */
	int n;                   /* terms */
	/* optional record of each steered feature's activation after the
	 * intervention (what the dictionary reads on the steered pass), at
	 * absolute positions: after[pos * n + term], cap_pos positions */
	float *after;
	int cap_pos;             /* positions after[] holds */
} live_steer;

void live_steer_hook(void *ud, float *act, int n, int width, int pos0);
/* A transcoder's second hook, at its output point. */
void live_steer_out_hook(void *ud, float *act, int n, int width, int pos0);
/* The hook for a steering state (at its dictionary's point; a
 * transcoder's: a list of two, the second in the dictionary's tc_out). */
live_hook live_steer_as_hook(live_steer *st);

/* Steering with several dictionaries of one model at once, in one pass:
 * one hook a state, each at its dictionary's point (dictionaries may read
 * different points: steer at one layer and another). */
typedef struct {
	live_steer *st;          /* one state a dictionary */
	int n;                   /* how many */
} live_steer_set;
/* The hooks of a set in hooks[0..n), chained through next in the set's
 * order (so at one point the first state runs first); hooks[0] is the
 * list's head. 0, or -1 with a message when the set is empty or
 * a transcoder is in a set of several (it is steered alone: a set of one
 * is its own list of two hooks). */
int live_steer_set_hook(live_steer_set *ss, live_hook *hooks, char *err, size_t errlen);
/* Terms by dictionary, for a set: term i (of n) is in dictionary
 * dicts[i]; one state a distinct dictionary, in first-seen order, into
 * st (its terms gathered into grouped, n of room), all in one mode. With
 * no terms, one state of dictionary `none` without terms (a run with
 * nothing steered). Returns the number of states (at most n, or 1). */
int live_steer_group(live_sae *const *dicts, const live_steer_term *terms, int n, live_steer_mode mode,
		     live_sae *none, live_steer_term *grouped, live_steer *st);
/* One seed's plain and steered continuations of ids[0..np), as steer and
 * the steering screen show them side by side: the same sampler (seed,
 * temperature) for both, the hooks on the second only; n tokens each
 * into plain and steered, their counts in *n0 and *n1 (fewer when the
 * context fills). fn(ud, k) reports progress over both (k up to 2n; fn
 * may be NULL). 0, or -1 when a generation failed. */
int live_steer_pair(live_model *m, const int *ids, int np, int n, const live_hook *hooks, uint64_t seed,
		    float temperature, int *plain, int *n0, int *steered, int *n1, live_progress_fn fn, void *ud);

#endif

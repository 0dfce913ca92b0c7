/*
 * arch_hf.c: the decoder-only Hugging Face architectures as one live
 * architecture: llama (Llama 3.x), qwen2, qwen3, gemma2, gemma3_text (and
 * the text part of a multimodal gemma3, its tensors under
 * language_model.model) and gpt_neox (Pythia), read from a checkpoint
 * folder (config.json through hf_config.c, the weights in hf_weights.c,
 * tokenizer.json through core/bpe.h).
 *
 * Each model_type is a row of the family table (norm kind, Gemma's
 * (1 + w) scaling, post-norms, q/k norms, gated MLP, parallel residual,
 * biases, embedding scale, sliding-window pattern, tensor names), so the
 * forward pass is one function: pre-norm, attention with grouped-query
 * heads, RoPE (partial, llama3 or linear scaling, a base per layer kind),
 * soft-capping and a sliding window where the config says so, then the
 * MLP, sequentially or in parallel. Hook points, per block: resid_pre,
 * attn_out (what attention adds to the residual, after a post-norm),
 * mlp_in (the normalised residual the MLP reads), mlp_hidden (what the
 * down projection reads), mlp_out (what the MLP adds), resid_post.
 *
 * Every pass runs through the KV cache (forward resets it and fills it,
 * step appends one position), so batched and cached results come from the
 * same code. Weights stay at their stored width (hf_weights.h).
 *
 * config.json is untrusted: every number is checked (ranges,
 * divisibility) with one line naming the file and field, and the window
 * run is max_position_embeddings made shorter when a window's logits
 * would pass HF_MAX_LOGITS floats or its cache HF_MAX_CACHE.
 */
#include "live/hf_weights.h"
#include "live/live.h"
#include "nn/blas.h"
#include "tok/bpe.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most floats of a window's logits (ctx x vocab) and of its cache. */
#define HF_MAX_LOGITS ((int64_t)1 << 27)
#define HF_MAX_CACHE ((int64_t)1 << 28)
#include "live/hf_config.h"

typedef struct {
	float *n1_w, *n1_b, *n2_w, *n2_b;   /* input norm, the MLP's norm */
	float *pa_w, *pf_w;                 /* post-attention, post-MLP norms (Gemma) */
	float *qn_w, *kn_w;                 /* q/k norms [hd] */
	hf_mat q, k, v, qkv, o, gate, up, down;
	float *bq, *bk, *bv, *bqkv, *bo, *bup, *bdown;
} hf_layer;

typedef struct {
	live_model base;            /* common fields */
	hf_config c;
	hf_weights *w;
	hf_layer *ly;
	hf_mat emb, head;           /* embeddings, unembedding (the same when tied) */
	float *fn_w, *fn_b;         /* final norm */
	float *inv_g, *inv_l;       /* RoPE inverse frequencies [rot/2]: global, local */
	fs_bpe *tok;
	int window;                 /* positions a pass may hold */
	int use_bos;
	int len;                    /* positions in the cache */
	float *kc, *vc;             /* [L][window][Hkv*hd] */
	/* scratch for a pass */
	int rows;                   /* rows allocated */
	size_t scap;                /* score floats allocated */
	float *x, *h, *q, *k, *v, *o, *a, *g, *u, *mo, *s, *blk;
	int32_t *ids;               /* [window] */
	const live_hook *hook;
	const char *prefix;         /* the text model's tensor names: "model", "gpt_neox", ... */
} hf_model;


/* RoPE inverse frequencies of rot dims at base theta, with the scaling
 * for global layers (scaled != 0). */
static float *inv_freq(const hf_config *c, double theta, int scaled)
{
	int n = c->rot / 2;
	float *f = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
	for (int i = 0; i < n; i++) {
		double v = 1.0 / pow(theta, 2.0 * i / c->rot);
		if (scaled && c->rope == ROPE_LINEAR) {
			v /= c->rs_factor;
		} else if (scaled && c->rope == ROPE_LLAMA3) {
			double wl = 2 * M_PI / v, low = c->rs_orig / c->rs_low, high = c->rs_orig / c->rs_high;
			if (wl > low) {
				v /= c->rs_factor;
			} else if (wl >= high) {
				double sm = (c->rs_orig / wl - c->rs_low) / (c->rs_high - c->rs_low);
				v = (1 - sm) * v / c->rs_factor + sm * v;
			}
		}
		f[i] = (float)v;
	}
	return f;
}

/* --------------------------------------------------------------- loading */

static int hf_probe(const unsigned char *head, size_t n)
{
	(void)head;
	(void)n;
	return 0; /* a folder, never a file */
}

/* A folder whose config.json names a model_type other than gpt2 (GPT-2
 * has its own architecture; an unknown type is refused by load, naming
 * the supported ones). */
static int hf_probe_dir(const char *dir)
{
	char *p = xasprintf("%s/config.json", dir), e[64];
	json_t *o = hf_load_json(p, e, sizeof e);
	free(p);
	json_t *mt = o ? json_object_get(o, "model_type") : NULL;
	int yes = json_is_string(mt) && strcmp(json_string_value(mt), "gpt2") != 0;
	if (o)
		json_decref(o);
	return yes;
}

static void hf_free(live_model *lm)
{
	hf_model *m = (hf_model *)lm;
	if (!m)
		return;
	if (m->ly) {
		for (int l = 0; l < m->c.L; l++) {
			hf_layer *y = &m->ly[l];
			float *p[] = {y->n1_w, y->n1_b, y->n2_w, y->n2_b, y->pa_w, y->pf_w, y->qn_w, y->kn_w,
				      y->bq, y->bk, y->bv, y->bqkv, y->bo, y->bup, y->bdown};
			for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
				free(p[i]);
		}
		free(m->ly);
	}
	float *p[] = {m->fn_w, m->fn_b, m->inv_g, m->inv_l, m->kc, m->vc, m->x, m->h, m->q, m->k, m->v, m->o,
		      m->a, m->g, m->u, m->mo, m->s, m->blk};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		free(p[i]);
	hf_config_free(&m->c);
	free(m->ids);
	bpe_free(m->tok);
	hfw_close(m->w);
	free(m->base.path);
	free(m);
}

/* Names: "PREFIX.layers.N.SUFFIX". */
static const char *lname(char *buf, size_t n, const hf_model *m, int l, const char *suffix)
{
	snprintf(buf, n, "%s.layers.%d.%s", m->prefix, l, suffix);
	return buf;
}

static int load_layer(hf_model *m, int l, char *err, size_t errlen)
{
	const hf_config *c = &m->c;
	hf_layer *y = &m->ly[l];
	hf_weights *w = m->w;
	char nm[160];
	int64_t d = c->d, qd = (int64_t)c->H * c->hd, kd = (int64_t)c->Hkv * c->hd, ff = c->ff;
#define MAT(dst, sfx, r, cl)                                                              \
	if (hfw_mat(w, lname(nm, sizeof nm, m, l, sfx), r, cl, dst, err, errlen) != 0) \
		return -1
#define VEC(dst, sfx, n)                                                             \
	if (!(dst = hfw_vec(w, lname(nm, sizeof nm, m, l, sfx), n, err, errlen))) \
		return -1
	if (c->f->neox) {
		VEC(y->n1_w, "input_layernorm.weight", d);
		VEC(y->n1_b, "input_layernorm.bias", d);
		VEC(y->n2_w, "post_attention_layernorm.weight", d);
		VEC(y->n2_b, "post_attention_layernorm.bias", d);
		MAT(&y->qkv, "attention.query_key_value.weight", 3 * d, d);
		MAT(&y->o, "attention.dense.weight", d, d);
		MAT(&y->up, "mlp.dense_h_to_4h.weight", ff, d);
		MAT(&y->down, "mlp.dense_4h_to_h.weight", d, ff);
		if (c->qkv_bias)
			VEC(y->bqkv, "attention.query_key_value.bias", 3 * d);
		if (c->o_bias)
			VEC(y->bo, "attention.dense.bias", d);
		VEC(y->bup, "mlp.dense_h_to_4h.bias", ff);
		VEC(y->bdown, "mlp.dense_4h_to_h.bias", d);
		return 0;
	}
	VEC(y->n1_w, "input_layernorm.weight", d);
	if (c->f->post_norms) {
		VEC(y->pa_w, "post_attention_layernorm.weight", d);
		VEC(y->n2_w, "pre_feedforward_layernorm.weight", d);
		VEC(y->pf_w, "post_feedforward_layernorm.weight", d);
	} else {
		VEC(y->n2_w, "post_attention_layernorm.weight", d);
	}
	MAT(&y->q, "self_attn.q_proj.weight", qd, d);
	MAT(&y->k, "self_attn.k_proj.weight", kd, d);
	MAT(&y->v, "self_attn.v_proj.weight", kd, d);
	MAT(&y->o, "self_attn.o_proj.weight", d, qd);
	if (c->qkv_bias) {
		VEC(y->bq, "self_attn.q_proj.bias", qd);
		VEC(y->bk, "self_attn.k_proj.bias", kd);
		VEC(y->bv, "self_attn.v_proj.bias", kd);
	}
	if (c->o_bias)
		VEC(y->bo, "self_attn.o_proj.bias", d);
	if (c->f->qk_norm) {
		VEC(y->qn_w, "self_attn.q_norm.weight", c->hd);
		VEC(y->kn_w, "self_attn.k_norm.weight", c->hd);
	}
	MAT(&y->gate, "mlp.gate_proj.weight", ff, d);
	MAT(&y->up, "mlp.up_proj.weight", ff, d);
	MAT(&y->down, "mlp.down_proj.weight", d, ff);
	if (c->mlp_bias) {
		VEC(y->bup, "mlp.up_proj.bias", ff);
		VEC(y->bdown, "mlp.down_proj.bias", d);
	}
#undef MAT
#undef VEC
	return 0;
}

static int hf_window(const hf_config *c)
{
	int64_t w = c->maxpos, per_pos = 2 * (int64_t)c->L * c->Hkv * c->hd;
	if (w * c->vocab > HF_MAX_LOGITS)
		w = HF_MAX_LOGITS / c->vocab;
	if (w * per_pos > HF_MAX_CACHE)
		w = HF_MAX_CACHE / per_pos;
	return w < 1 ? 1 : (int)w;
}

static live_model *hf_load(const char *path, char *err, size_t errlen)
{
	hf_model *m = xcalloc(1, sizeof *m);
	m->base.path = xstrdup(path);
	char *cpath = xasprintf("%s/config.json", path), *tpath = xasprintf("%s/tokenizer.json", path);
	hf_config *c = &m->c;
	if (hf_config_read(cpath, c, err, errlen) != 0)
		goto bad;
	if (!(m->w = hfw_open(path, err, errlen)))
		goto bad;
	/* the text model's tensors: a multimodal Gemma 3 nests them under
	 * language_model.model (model.language_model in newer saves) */
	const char *pre = c->f->neox ? "gpt_neox" : "model";
	if (c->multimodal)
		pre = hfw_has(m->w, "language_model.model.embed_tokens.weight") ? "language_model.model"
									      : "model.language_model";
	m->prefix = pre;
	char nm[128];
	snprintf(nm, sizeof nm, "%s.%s", pre, c->f->neox ? "embed_in.weight" : "embed_tokens.weight");
	if (hfw_mat(m->w, nm, c->vocab, c->d, &m->emb, err, errlen) != 0)
		goto bad;
	if (c->tie) {
		m->head = m->emb;
	} else if (hfw_mat(m->w,
			   c->f->neox                                     ? "embed_out.weight"
			   : !strcmp(pre, "language_model.model") ? "language_model.lm_head.weight"
									  : "lm_head.weight",
			   c->vocab, c->d, &m->head, err, errlen) != 0) {
		goto bad;
	}
	snprintf(nm, sizeof nm, "%s.%s", pre, c->f->neox ? "final_layer_norm.weight" : "norm.weight");
	if (!(m->fn_w = hfw_vec(m->w, nm, c->d, err, errlen)))
		goto bad;
	if (c->f->norm == NORM_LN) {
		snprintf(nm, sizeof nm, "%s.final_layer_norm.bias", pre);
		if (!(m->fn_b = hfw_vec(m->w, nm, c->d, err, errlen)))
			goto bad;
	}
	m->ly = xcalloc((size_t)c->L, sizeof *m->ly);
	for (int l = 0; l < c->L; l++)
		if (load_layer(m, l, err, errlen) != 0)
			goto bad;
	/* the tokenizer: no more tokens than the embedding has rows (Qwen
	 * and Pythia pad vocab_size past the tokenizer) */
	if (!(m->tok = bpe_load_dir(path, err, errlen)))
		goto bad;
	if (bpe_vocab_size(m->tok) > c->vocab) {
		fs_seterr(err, errlen, "%s: the tokenizer has %d tokens, but %s says vocab_size %d", tpath,
			  bpe_vocab_size(m->tok), cpath, c->vocab);
		goto bad;
	}
	/* BOS: config.json's bos_token_id, else the tokenizer's, else its
	 * end of text (as TransformerLens does for a tokenizer without one,
	 * Qwen's) */
	if (c->bos < 0)
		c->bos = bpe_bos(m->tok) >= 0 ? bpe_bos(m->tok) : bpe_eos(m->tok);
	if (c->bos >= c->vocab)
		c->bos = -1;
	m->inv_g = inv_freq(c, c->theta, 1);
	m->inv_l = inv_freq(c, c->theta_local, c->f->window != 6);
	m->window = hf_window(c);
	m->base.n_layer = c->L;
	m->base.d_model = c->d;
	m->base.vocab = c->vocab;
	m->base.ctx = m->window;
	size_t kvn = (size_t)c->L * (size_t)m->window * (size_t)c->Hkv * (size_t)c->hd;
	m->kc = xmalloc(sizeof(float) * kvn);
	m->vc = xmalloc(sizeof(float) * kvn);
	m->ids = xmalloc(sizeof(int32_t) * (size_t)m->window);
	int64_t widest = c->d > c->ff ? c->d : c->ff;
	if ((int64_t)c->H * c->hd > widest)
		widest = (int64_t)c->H * c->hd;
	m->blk = xmalloc(sizeof(float) * HF_BLOCK_ROWS_GEMM * (size_t)widest);
	free(cpath);
	free(tpath);
	return &m->base;
bad:
	free(cpath);
	free(tpath);
	hf_free(&m->base);
	return NULL;
}

/* ----------------------------------------------------------------- ops */

static int hf_set_bos(live_model *lm, int on)
{
	hf_model *m = (hf_model *)lm;
	if (on && m->c.bos < 0)
		return -1;
	m->use_bos = on != 0;
	lm->ctx = m->window - m->use_bos;
	lm->pos = 0;
	m->len = 0;
	return 0;
}

static int hf_width(const live_model *lm, live_point p)
{
	const hf_model *m = (const hf_model *)lm;
	if (p.layer < 0 || p.layer >= lm->n_layer || (unsigned)p.kind >= LIVE_NKINDS)
		return 0;
	return p.kind == LIVE_MLP_HIDDEN ? m->c.ff : lm->d_model;
}

static int hf_tokenize(live_model *lm, const char *text, size_t len, int **ids, uint32_t **off)
{
	hf_model *m = (hf_model *)lm;
	int32_t *i32 = NULL;
	uint32_t *o32 = NULL;
	int64_t cnt = 0, cap = 0;
	char e[256];
	/* invalid UTF-8: each such byte is its own token (bpe.h's rule) */
	if (bpe_encode_bytes(m->tok, text, len, &i32, &o32, &cnt, &cap, e, sizeof e) != 0)
		cnt = 0;
	*ids = xmalloc(sizeof **ids * (size_t)(cnt ? cnt : 1));
	*off = xmalloc(sizeof **off * (size_t)(cnt + 1));
	for (int64_t k = 0; k < cnt; k++) {
		(*ids)[k] = i32[k];
		(*off)[k] = o32[k];
	}
	(*off)[cnt] = (uint32_t)len;
	free(i32);
	free(o32);
	return (int)cnt;
}

static void hf_detokenize(live_model *lm, const int *ids, int n, fs_buf *out)
{
	hf_model *m = (hf_model *)lm;
	for (int i = 0; i < n; i++) {
		size_t l = 0;
		const uint8_t *s = bpe_token_bytes(m->tok, ids[i], &l);
		if (s)
			buf_add(out, s, l);
	}
}

/* --------------------------------------------------------------- kernels */

/* Norm of R rows of width d (RMS or LayerNorm; (1 + w) for Gemma). */
static void norm_rows(const hf_model *m, const float *x, float *y, int R, int d, const float *w, const float *b)
{
	if (m->c.f->norm == NORM_LN) {
		vm_layernorm(x, y, R, d, w, b, m->c.eps);
		return;
	}
	int p1 = m->c.f->plus1;
	for (int r = 0; r < R; r++) {
		const float *xr = x + (size_t)r * d;
		float *yr = y + (size_t)r * d;
		double ss = 0;
		for (int i = 0; i < d; i++)
			ss += (double)xr[i] * xr[i];
		float s = (float)(1.0 / sqrt(ss / d + m->c.eps));
		for (int i = 0; i < d; i++)
			yr[i] = xr[i] * s * (p1 ? 1.0f + w[i] : w[i]);
	}
}

static void add_bias(float *y, const float *b, int R, int n)
{
	if (b)
		for (int r = 0; r < R; r++)
			vm_add(y + (size_t)r * n, b, (size_t)n);
}

/* Rotate the first rot dims of each of nh heads of R rows (row r at
 * position p0 + r), halves rotated (HF's rotate_half). */
static void rope(float *x, int R, int nh, int hd, int rot, const float *inv, int p0)
{
	int half = rot / 2;
	for (int r = 0; r < R; r++)
		for (int i = 0; i < half; i++) {
			double a = (double)(p0 + r) * inv[i];
			float cs = (float)cos(a), sn = (float)sin(a);
			for (int h = 0; h < nh; h++) {
				float *v = x + ((size_t)r * nh + h) * hd;
				float x1 = v[i], x2 = v[i + half];
				v[i] = x1 * cs - x2 * sn;
				v[i + half] = x2 * cs + x1 * sn;
			}
		}
}

static void activate(int act, float *x, size_t n)
{
	if (act == ACT_GELU_TANH) {
		vm_gelu_tanh(x, n);
	} else if (act == ACT_GELU) {
		for (size_t i = 0; i < n; i++)
			x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
	} else {
		for (size_t i = 0; i < n; i++)
			x[i] = x[i] / (1.0f + expf(-x[i]));
	}
}

/* Masked, capped softmax of the score rows of one pass: row (h, i) is
 * query p0 + i over keys klo..klo+nk-1, seeing keys lo..p0+i. */
typedef struct {
	float *S;
	int n, nk, klo, p0, win;
	float cap;
} sm_job;

static void sm_rows(void *ud, int lo, int hi)
{
	sm_job *j = ud;
	for (int r = lo; r < hi; r++) {
		float *s = j->S + (size_t)r * j->nk;
		int p = j->p0 + r % j->n, first = j->win && p - j->win + 1 > 0 ? p - j->win + 1 : 0;
		int a = first - j->klo, b = p - j->klo + 1; /* the keys seen: [a, b) */
		float mx = -INFINITY;
		for (int k = a; k < b; k++) {
			if (j->cap > 0)
				s[k] = j->cap * tanhf(s[k] / j->cap);
			if (s[k] > mx)
				mx = s[k];
		}
		double sum = 0;
		for (int k = a; k < b; k++) {
			s[k] = expf(s[k] - mx);
			sum += s[k];
		}
		float inv = (float)(1.0 / sum);
		for (int k = 0; k < j->nk; k++)
			s[k] = k >= a && k < b ? s[k] * inv : 0.0f;
	}
}

static void need(hf_model *m, int R)
{
	const hf_config *c = &m->c;
	if (R > m->rows) {
		size_t r = (size_t)R, d = (size_t)c->d, qd = (size_t)c->H * c->hd, kd = (size_t)c->Hkv * c->hd;
		size_t ff = (size_t)c->ff;
		float **bufs[] = {&m->x, &m->h, &m->q, &m->k, &m->v, &m->o, &m->a, &m->g, &m->u, &m->mo};
		size_t widths[] = {d, d, c->f->neox ? 3 * d : qd, kd, kd, qd, d, ff, ff, d};
		for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
			free(*bufs[i]);
			*bufs[i] = xmalloc(sizeof(float) * r * widths[i]);
		}
		m->rows = R;
	}
	size_t sn = (size_t)c->H * (size_t)R * (size_t)m->window;
	if (sn > m->scap) {
		free(m->s);
		m->s = xmalloc(sizeof(float) * sn);
		m->scap = sn;
	}
}

/* Hooks of the pass at (kind, layer) on R rows from cache position p0:
 * the BOS row left out, positions of the text. */
static void hooks(hf_model *m, live_hook_kind kind, int l, float *x, int R, int w, int p0)
{
	if (!live_hooks_want(&m->base, m->hook, kind, l))
		return;
	int pos0 = p0 - m->use_bos, skip = pos0 < 0 ? -pos0 : 0;
	if (R > skip)
		live_hooks_run(&m->base, m->hook, kind, l, x + (size_t)skip * w, R - skip, w, pos0 + skip);
}

/* Attention of R new rows at positions p0.. of layer l: q [R][H*hd] in
 * m->q, keys and values already in the cache; output in m->o. */
static void attend(hf_model *m, int l, int R, int p0)
{
	const hf_config *c = &m->c;
	int hd = c->hd, H = c->H, kd = c->Hkv * hd, qd = H * hd, rep = c->H / c->Hkv;
	int win = c->sliding[l] ? c->window : 0;
	int klo = win && p0 - win + 1 > 0 ? p0 - win + 1 : 0, nk = p0 + R - klo;
	const float *K = m->kc + ((size_t)l * m->window + klo) * kd, *V = m->vc + ((size_t)l * m->window + klo) * kd;
	for (int h = 0; h < H; h++) {
		float *S = m->s + (size_t)h * R * nk;
		const float *Kh = K + (h / rep) * hd;
		if (R == 1)
			blas_sgemv(CblasRowMajor, CblasNoTrans, nk, hd, c->attn_scale, Kh, kd, m->q + h * hd, 1, 0.0f, S, 1);
		else
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, nk, hd, c->attn_scale, m->q + h * hd, qd, Kh,
				 kd, 0.0f, S, nk);
	}
	sm_job j = {m->s, R, nk, klo, p0, win, c->attn_cap};
	vm_parallel(H * R, (size_t)nk, sm_rows, &j);
	for (int h = 0; h < H; h++) {
		const float *S = m->s + (size_t)h * R * nk, *Vh = V + (h / rep) * hd;
		if (R == 1)
			blas_sgemv(CblasRowMajor, CblasTrans, nk, hd, 1.0f, Vh, kd, S, 1, 0.0f, m->o + h * hd, 1);
		else
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, hd, nk, 1.0f, S, nk, Vh, kd, 0.0f,
				 m->o + h * hd, qd);
	}
}

/* R tokens at cache positions m->len..: the blocks, then logits of rows
 * lg0..R-1 into logits (NULL: none). */
static int run(hf_model *m, const int32_t *ids, int R, int lg0, float *logits)
{
	const hf_config *c = &m->c;
	int p0 = m->len, d = c->d, hd = c->hd, qd = c->H * hd, kd = c->Hkv * hd, ff = c->ff;
	if (R < 1 || p0 + R > m->window)
		return -1;
	for (int i = 0; i < R; i++)
		if (ids[i] < 0 || ids[i] >= c->vocab)
			return -1;
	need(m, R);
	float es = c->f->emb_scale ? sqrtf((float)d) : 1.0f;
	for (int r = 0; r < R; r++) {
		float *x = m->x + (size_t)r * d;
		hf_mat_row(&m->emb, ids[r], x);
		if (es != 1.0f)
			for (int i = 0; i < d; i++)
				x[i] *= es;
	}
	int nb = m->base.run_blocks < c->L ? m->base.run_blocks : c->L;
	for (int l = 0; l < nb; l++) {
		hf_layer *y = &m->ly[l];
		m->base.blocks_run++;
		hooks(m, LIVE_RESID_PRE, l, m->x, R, d, p0);
		norm_rows(m, m->x, m->h, R, d, y->n1_w, y->n1_b);
		if (c->f->neox) {
			/* fused rows: per head [q, k, v] */
			hf_matmul(&y->qkv, m->h, R, m->q, 0, m->blk);
			add_bias(m->q, y->bqkv, R, 3 * d);
			for (int r = 0; r < R; r++) {
				float *row = m->q + (size_t)r * 3 * d;
				for (int h = 0; h < c->H; h++) {
					memcpy(m->k + (size_t)r * kd + h * hd, row + (size_t)h * 3 * hd + hd, sizeof(float) * hd);
					memcpy(m->v + (size_t)r * kd + h * hd, row + (size_t)h * 3 * hd + 2 * hd, sizeof(float) * hd);
					memcpy(m->o + (size_t)r * qd + h * hd, row + (size_t)h * 3 * hd, sizeof(float) * hd);
				}
			}
			for (int r = 0; r < R; r++)
				memcpy(m->q + (size_t)r * qd, m->o + (size_t)r * qd, sizeof(float) * qd);
		} else {
			hf_matmul(&y->q, m->h, R, m->q, 0, m->blk);
			hf_matmul(&y->k, m->h, R, m->k, 0, m->blk);
			hf_matmul(&y->v, m->h, R, m->v, 0, m->blk);
			add_bias(m->q, y->bq, R, qd);
			add_bias(m->k, y->bk, R, kd);
			add_bias(m->v, y->bv, R, kd);
		}
		if (c->f->qk_norm) {
			norm_rows(m, m->q, m->q, R * c->H, hd, y->qn_w, NULL);
			norm_rows(m, m->k, m->k, R * c->Hkv, hd, y->kn_w, NULL);
		}
		const float *inv = c->sliding[l] ? m->inv_l : m->inv_g;
		rope(m->q, R, c->H, hd, c->rot, inv, p0);
		rope(m->k, R, c->Hkv, hd, c->rot, inv, p0);
		size_t at = ((size_t)l * m->window + p0) * kd;
		memcpy(m->kc + at, m->k, sizeof(float) * (size_t)R * kd);
		memcpy(m->vc + at, m->v, sizeof(float) * (size_t)R * kd);
		attend(m, l, R, p0);
		hf_matmul(&y->o, m->o, R, m->a, 0, m->blk);
		add_bias(m->a, y->bo, R, d);
		if (y->pa_w)
			norm_rows(m, m->a, m->a, R, d, y->pa_w, NULL);
		hooks(m, LIVE_ATTN_OUT, l, m->a, R, d, p0);
		if (!c->parallel)
			vm_add(m->x, m->a, (size_t)R * d);
		norm_rows(m, m->x, m->h, R, d, y->n2_w, y->n2_b);
		hooks(m, LIVE_MLP_IN, l, m->h, R, d, p0);
		hf_matmul(&y->up, m->h, R, m->u, 0, m->blk);
		add_bias(m->u, y->bup, R, ff);
		if (c->f->glu) {
			hf_matmul(&y->gate, m->h, R, m->g, 0, m->blk);
			activate(c->act, m->g, (size_t)R * ff);
			for (size_t i = 0; i < (size_t)R * ff; i++)
				m->u[i] *= m->g[i];
		} else {
			activate(c->act, m->u, (size_t)R * ff);
		}
		hooks(m, LIVE_MLP_HIDDEN, l, m->u, R, ff, p0);
		hf_matmul(&y->down, m->u, R, m->mo, 0, m->blk);
		add_bias(m->mo, y->bdown, R, d);
		if (y->pf_w)
			norm_rows(m, m->mo, m->mo, R, d, y->pf_w, NULL);
		hooks(m, LIVE_MLP_OUT, l, m->mo, R, d, p0);
		if (c->parallel)
			vm_add(m->x, m->a, (size_t)R * d);
		vm_add(m->x, m->mo, (size_t)R * d);
		hooks(m, LIVE_RESID_POST, l, m->x, R, d, p0);
	}
	m->len += R;
	if (logits && R > lg0) {
		int n = R - lg0;
		norm_rows(m, m->x + (size_t)lg0 * d, m->h, n, d, m->fn_w, m->fn_b);
		hf_matmul(&m->head, m->h, n, logits, 0, m->blk);
		if (c->final_cap > 0) {
			size_t tot = (size_t)n * c->vocab;
			for (size_t i = 0; i < tot; i++)
				logits[i] = c->final_cap * tanhf(logits[i] / c->final_cap);
		}
	}
	return 0;
}

static int hf_forward(live_model *lm, const int *ids, int T, const live_hook *hook, float *logits)
{
	hf_model *m = (hf_model *)lm;
	int b = m->use_bos;
	if (T < 1 || T + b > m->window)
		return -1;
	if (b)
		m->ids[0] = m->c.bos;
	for (int i = 0; i < T; i++)
		m->ids[b + i] = ids[i];
	m->len = 0;
	lm->pos = 0;
	m->hook = hook;
	int rc = run(m, m->ids, T + b, b, logits);
	m->hook = NULL;
	if (rc != 0) {
		m->len = 0;
		return -1;
	}
	lm->pos = T;
	return 0;
}

static int hf_step(live_model *lm, int id, const live_hook *hook, float *logits)
{
	hf_model *m = (hf_model *)lm;
	int32_t i32 = id;
	m->hook = hook;
	int rc = run(m, &i32, 1, 0, logits);
	m->hook = NULL;
	if (rc != 0)
		return -1;
	lm->pos++;
	return 0;
}

static int hf_unembed_row(const live_model *lm, int id, float *out)
{
	const hf_model *m = (const hf_model *)lm;
	if (id < 0 || id >= lm->vocab)
		return -1;
	hf_mat_row(&m->head, id, out);
	return 0;
}

static const uint8_t *hf_token_bytes(const live_model *lm, int id, size_t *len)
{
	return bpe_token_bytes(((const hf_model *)lm)->tok, id, len);
}

/* What config.json calls the shape (every family here uses these). */
static const struct live_arch_names hf_names = {
	"config.json", "max_position_embeddings",
	{[LIVE_RESID_PRE] = "hidden_size", [LIVE_RESID_POST] = "hidden_size", [LIVE_MLP_HIDDEN] = "intermediate_size",
	 [LIVE_MLP_OUT] = "hidden_size", [LIVE_ATTN_OUT] = "hidden_size", [LIVE_MLP_IN] = "hidden_size"},
};

const live_arch live_arch_hf = {
	.name = "hf",
	.probe = hf_probe,
	.probe_dir = hf_probe_dir,
	.load = hf_load,
	.free = hf_free,
	.width = hf_width,
	.tokenize = hf_tokenize,
	.detokenize = hf_detokenize,
	.forward = hf_forward,
	.step = hf_step,
	.set_bos = hf_set_bos,
	.unembed_row = hf_unembed_row,
	.token_bytes = hf_token_bytes,
	.names = &hf_names,
};

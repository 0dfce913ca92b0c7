/*
 * arch_gpt2.c: GPT-2 (gpt2.c) as a live architecture, so analyze, steer
 * and the TUI run a Hugging Face checkpoint folder as they run the demo
 * model. The folder is recognised by its config.json (live_load asks
 * probe_dir for a folder). gpt2.c calls its hook at every point of
 * live.h (resid_pre, attn_out, mlp_in, mlp_hidden, mlp_out, resid_post),
 * which runs the pass's hook list there. A forward pass is a prefill of
 * the key-value cache, so step() continues after it.
 *
 * Beginning of sequence: with live_set_bos on (a SAELens dictionary with
 * prepend_bos, as harvest ran it), <|endoftext|> runs before position 0
 * of every pass; hooks, logits and positions leave it out (the hook's
 * pos0 counts the text's tokens), and ctx is the window - 1.
 *
 * The window: config.json is untrusted and may say n_positions up to
 * 1 << 20 with a small wpe; the buffers sized by the context (a window's
 * logits, ctx x vocab, and the KV cache) would then ask for hundreds of
 * GB. The window run is n_positions, made shorter when its logits would
 * pass G2_MAX_LOGITS (256 MiB; GPT-2's are 0.2 GiB) or its cache
 * G2_MAX_CACHE (1 GiB; GPT-2 XL's is 0.6 GiB).
 *
 * Text that is not UTF-8 is still analysed: the valid runs go through the
 * BPE encoder, each invalid byte becomes its single-byte token.
 */
#include "live/gpt2.h"
#include "live/live.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most floats of a window's logits (ctx x vocab) and of the KV cache. */
#define G2_MAX_LOGITS ((int64_t)1 << 26)
#define G2_MAX_CACHE ((int64_t)1 << 28)

/* The context the live model runs: n_positions, shorter when its logits
 * or its cache would pass those. */
static int g2_window(const fs_gpt2 *g)
{
	int64_t w = gpt2_ctx(g), per_pos = 2 * (int64_t)gpt2_n_layer(g) * gpt2_d_model(g);
	if (w * gpt2_vocab(g) > G2_MAX_LOGITS)
		w = G2_MAX_LOGITS / gpt2_vocab(g);
	if (w * per_pos > G2_MAX_CACHE)
		w = G2_MAX_CACHE / per_pos;
	return w < 1 ? 1 : (int)w;
}

/* The model: the common part first. */
typedef struct {
	live_model base;     /* common fields */
	fs_gpt2 *g;          /* the checkpoint */
	gpt2_cache *cache;   /* window keys and values */
	int window;          /* positions a pass may hold (g2_window) */
	int bos_id;          /* <|endoftext|>, -1 none */
	int use_bos;         /* run bos_id before position 0 */
	int32_t *ids32;      /* [window] ids of the pass */
	float *lg;           /* logits with the BOS row [lg_rows, vocab] */
	int lg_rows;         /* rows lg holds */
	const live_hook *hook; /* the pass's hook list */
} gpt2_live;

static int g2_probe(const unsigned char *head, size_t n)
{
	(void)head;
	(void)n;
	return 0; /* a folder, never a file: see g2_probe_dir */
}

static int g2_probe_dir(const char *dir)
{
	char *p = xasprintf("%s/config.json", dir);
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

static void g2_free(live_model *lm)
{
	gpt2_live *m = (gpt2_live *)lm;
	gpt2_cache_free(m->cache);
	gpt2_free(m->g);
	free(m->ids32);
	free(m->lg);
	free(m->base.path);
	free(m);
}

static live_model *g2_load(const char *path, char *err, size_t errlen)
{
	fs_gpt2 *g = gpt2_load(path, err, errlen);
	if (!g)
		return NULL;
	fs_bpe *t = gpt2_tokenizer(g);
	if (!t) {
		fs_seterr(err, errlen, "%s: no tokenizer (vocab.json + merges.txt or tokenizer.json)", path);
		gpt2_free(g);
		return NULL;
	}
	gpt2_live *m = xcalloc(1, sizeof *m);
	m->base.path = xstrdup(path);
	m->base.n_layer = gpt2_n_layer(g);
	m->base.d_model = gpt2_d_model(g);
	m->base.vocab = gpt2_vocab(g);
	m->window = g2_window(g);
	m->base.ctx = m->window;
	m->g = g;
	m->cache = gpt2_cache_new(g, m->window);
	m->bos_id = bpe_eot(t);
	m->ids32 = xmalloc(sizeof(int32_t) * (size_t)m->window);
	return &m->base;
}

static int g2_set_bos(live_model *lm, int on)
{
	gpt2_live *m = (gpt2_live *)lm;
	if (on && m->bos_id < 0)
		return -1;
	m->use_bos = on != 0;
	m->base.ctx = m->window - m->use_bos;
	m->base.pos = 0;
	gpt2_cache_reset(m->cache);
	return 0;
}

static int g2_width(const live_model *lm, live_point p)
{
	const gpt2_live *m = (const gpt2_live *)lm;
	if (p.layer < 0 || p.layer >= lm->n_layer)
		return 0;
	return p.kind == LIVE_MLP_HIDDEN ? gpt2_cfg(m->g)->n_inner : lm->d_model;
}

static int g2_tokenize(live_model *lm, const char *text, size_t len, int **ids, uint32_t **off)
{
	gpt2_live *m = (gpt2_live *)lm;
	int32_t *i32 = NULL;
	uint32_t *o32 = NULL;
	int64_t cnt = 0, cap = 0;
	char e[256];
	/* valid runs through the BPE, each invalid byte its single-byte
	 * token (bpe.h's rule, as arch_hf.c reads any bytes) */
	if (bpe_encode_bytes(gpt2_tokenizer(m->g), text, len, &i32, &o32, &cnt, &cap, e, sizeof e) != 0)
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

static void g2_detokenize(live_model *lm, const int *ids, int n, fs_buf *out)
{
	gpt2_live *m = (gpt2_live *)lm;
	fs_bpe *t = gpt2_tokenizer(m->g);
	for (int i = 0; i < n; i++) {
		size_t l = 0;
		const uint8_t *s = bpe_token_bytes(t, ids[i], &l);
		if (s)
			buf_add(out, s, l);
	}
}

/* gpt2's hook to the live hook list: the hooks at the point, the BOS
 * row left out, positions of the text. */
static int g2_hook(void *user, int layer, live_hook_kind kind, float *x, int rows, int d)
{
	gpt2_live *m = user;
	if (!x)
		return live_hooks_want(&m->base, m->hook, kind, layer);
	if (kind == LIVE_RESID_PRE) {
		/* a pass for its hooks stops before the first block it needs not */
		if (layer >= m->base.run_blocks)
			return 1;
		m->base.blocks_run++;
	}
	if (!live_hooks_want(&m->base, m->hook, kind, layer))
		return 0;
	/* rows are the new positions; the cache held pos before them */
	int pos0 = gpt2_cache_len(m->cache) - m->use_bos;
	int skip = pos0 < 0 ? -pos0 : 0;
	if (rows > skip)
		live_hooks_run(&m->base, m->hook, kind, layer, x + (size_t)skip * d, rows - skip, d, pos0 + skip);
	return 0;
}

static int g2_forward(live_model *lm, const int *ids, int T, const live_hook *hook, float *logits)
{
	gpt2_live *m = (gpt2_live *)lm;
	int V = lm->vocab, b = m->use_bos;
	if (T < 1 || T + b > m->window)
		return -1;
	if (b)
		m->ids32[0] = m->bos_id;
	for (int i = 0; i < T; i++)
		m->ids32[b + i] = ids[i];
	gpt2_cache_reset(m->cache);
	lm->pos = 0;
	m->hook = hook;
	char e[256];
	float *lg = logits;
	if (logits && (b || T == 1)) {
		if (T + b > m->lg_rows) {
			free(m->lg);
			m->lg_rows = T + b;
			m->lg = xmalloc(sizeof(float) * (size_t)m->lg_rows * (size_t)V);
		}
		lg = m->lg;
	}
	int rc = gpt2_prefill(m->g, m->cache, m->ids32, T + b, g2_hook, m, lg, e, sizeof e);
	/* 1: stopped by g2_hook after the pass's last block (no logits) */
	if (rc < 0 || (rc > 0 && (logits || lm->run_blocks >= lm->n_layer)))
		return -1;
	if (logits && lg != logits)
		memcpy(logits, lg + (T + b == 1 ? 0 : (size_t)b * V), sizeof(float) * (size_t)T * V);
	lm->pos = T;
	return 0;
}

static int g2_step(live_model *lm, int id, const live_hook *hook, float *logits)
{
	gpt2_live *m = (gpt2_live *)lm;
	int32_t i32 = id;
	m->hook = hook;
	char e[256];
	if (gpt2_step(m->g, m->cache, &i32, 1, g2_hook, m, logits, e, sizeof e) != 0)
		return -1;
	lm->pos++;
	return 0;
}

/* The tied unembedding: row id of wte. */
static int g2_unembed_row(const live_model *lm, int id, float *out)
{
	const gpt2_live *m = (const gpt2_live *)lm;
	memcpy(out, gpt2_wte(m->g) + (size_t)id * lm->d_model, sizeof(float) * (size_t)lm->d_model);
	return 0;
}

static const uint8_t *g2_token_bytes(const live_model *lm, int id, size_t *len)
{
	return bpe_token_bytes(gpt2_tokenizer(((const gpt2_live *)lm)->g), id, len);
}

/* What config.json calls the shape. */
static const struct live_arch_names g2_names = {
	"config.json", "n_positions",
	{[LIVE_RESID_PRE] = "n_embd", [LIVE_RESID_POST] = "n_embd", [LIVE_MLP_HIDDEN] = "n_inner",
	 [LIVE_MLP_OUT] = "n_embd", [LIVE_ATTN_OUT] = "n_embd", [LIVE_MLP_IN] = "n_embd"},
};

const live_arch live_arch_gpt2 = {
	.name = "gpt2",
	.probe = g2_probe,
	.probe_dir = g2_probe_dir,
	.load = g2_load,
	.free = g2_free,
	.width = g2_width,
	.tokenize = g2_tokenize,
	.detokenize = g2_detokenize,
	.forward = g2_forward,
	.step = g2_step,
	.set_bos = g2_set_bos,
	.unembed_row = g2_unembed_row,
	.token_bytes = g2_token_bytes,
	.names = &g2_names,
};

/*
 * live.c: the architecture-neutral half of the live model (see live.h):
 * the list of architectures and the dispatch through their ops tables,
 * the hook lists, the deterministic sampler, generation with a sliding
 * context, the loss of a text under a hook, and the windows over a text
 * of any length. (The points' names: nn/hookpoint.c.)
 */
#include "live/live.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every architecture this build knows, in the order live_load asks them:
 * X(NAME) for the table live_arch_NAME that src/live/arch_NAME.c defines.
 * Adding an architecture is that file, its line here and its line in
 * live.am. */
#define LIVE_ARCHS(X) \
	X(demo)       /* arch_demo.c: FSLM0001/FSLM0002 files */ \
	X(hf)         /* arch_hf.c: Llama, Qwen 2/3, Gemma 2/3, GPT-NeoX folders (before gpt2, \
		       * which takes any folder with a config.json) */ \
	X(gpt2)       /* arch_gpt2.c: a Hugging Face GPT-2 folder */

#define LIVE_ARCH_DECL(name) extern const live_arch live_arch_##name;
LIVE_ARCHS(LIVE_ARCH_DECL)
#define LIVE_ARCH_REF(name) &live_arch_##name,
const live_arch *const live_archs[] = {LIVE_ARCHS(LIVE_ARCH_REF) NULL};

/* A hook's layer with -1 resolved to m's last block. */
static int hook_layer(const live_model *m, const live_hook *h)
{
	return h->at.layer < 0 ? m->n_layer - 1 : h->at.layer;
}

int live_hooks_want(const live_model *m, const live_hook *h, live_hook_kind kind, int layer)
{
	for (; h; h = h->next)
		if (h->fn && h->at.kind == kind && hook_layer(m, h) == layer)
			return 1;
	return 0;
}

void live_hooks_run(const live_model *m, const live_hook *h, live_hook_kind kind, int layer, float *act, int n,
		    int width, int pos0)
{
	for (; h; h = h->next)
		if (h->fn && h->at.kind == kind && hook_layer(m, h) == layer)
			h->fn(h->ud, act, n, width, pos0);
}

/* Load with one architecture; the model knows its operations. */
static live_model *load_as(const live_arch *a, const char *path, char *err, size_t errlen)
{
	live_model *m = a->load(path, err, errlen);
	if (m) {
		m->arch = a;
		m->run_blocks = m->n_layer;
	}
	return m;
}

live_model *live_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		for (int i = 0; live_archs[i]; i++)
			if (live_archs[i]->probe_dir && live_archs[i]->probe_dir(path))
				return load_as(live_archs[i], path, err, errlen);
		fs_seterr(err, errlen, "%s: not a model folder of a known architecture (gpt2: config.json, "
			  "model.safetensors)", path);
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	unsigned char head[16];
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	for (int i = 0; live_archs[i]; i++)
		if (live_archs[i]->probe(head, n))
			return load_as(live_archs[i], path, err, errlen);
	fs_seterr(err, errlen, "%s:1: magic: not a model file of a known architecture", path);
	return NULL;
}

void live_free(live_model *m)
{
	if (m)
		m->arch->free(m);
}

int live_width(const live_model *m, live_point p)
{
	if (p.layer < 0)
		p.layer = m->n_layer - 1;
	return m->arch->width(m, p);
}

int live_tokenize(live_model *m, const char *text, size_t len, int **ids, uint32_t **off)
{
	return m->arch->tokenize(m, text, len, ids, off);
}

void live_detokenize(live_model *m, const int *ids, int n, fs_buf *out)
{
	m->arch->detokenize(m, ids, n, out);
}

int live_hooks_blocks(const live_model *m, const live_hook *h)
{
	int nb = 0;
	for (; h; h = h->next)
		if (h->fn && hook_layer(m, h) + 1 > nb)
			nb = hook_layer(m, h) + 1;
	return nb < m->n_layer ? nb : m->n_layer;
}

/* A forward pass through blocks 0..nb-1 (logits need them all). */
static int forward_blocks(live_model *m, const int *ids, int T, const live_hook *hook, float *logits, int nb)
{
	if (T < 1 || T > m->ctx)
		return -1;
	m->run_blocks = nb;
	int rc = m->arch->forward(m, ids, T, hook, logits);
	m->cache_blocks = rc == 0 ? nb : 0;
	m->run_blocks = m->n_layer;
	return rc;
}

int live_forward(live_model *m, const int *ids, int T, const live_hook *hook, float *logits)
{
	return forward_blocks(m, ids, T, hook, logits, m->n_layer);
}

int live_forward_hooks(live_model *m, const int *ids, int T, const live_hook *hook)
{
	return forward_blocks(m, ids, T, hook, NULL, live_hooks_blocks(m, hook));
}

int live_step(live_model *m, int id, const live_hook *hook, float *logits)
{
	if (m->pos >= m->ctx || m->cache_blocks < m->n_layer)
		return -1;
	m->run_blocks = m->n_layer;
	return m->arch->step(m, id, hook, logits);
}

int live_set_bos(live_model *m, int on)
{
	if (!m->arch->set_bos)
		return on ? -1 : 0;
	return m->arch->set_bos(m, on);
}

int live_unembed_row(const live_model *m, int id, float *out)
{
	if (!m->arch->unembed_row || id < 0 || id >= m->vocab)
		return -1;
	return m->arch->unembed_row(m, id, out);
}

const uint8_t *live_token_bytes(const live_model *m, int id, size_t *len)
{
	*len = 0;
	if (!m->arch->token_bytes || id < 0 || id >= m->vocab)
		return NULL;
	return m->arch->token_bytes(m, id, len);
}

/* ---------------------------------------------------------------- sampling */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void live_sampler_init(live_sampler *s, uint64_t seed, float temperature)
{
	s->state = seed * 0x2545f4914f6cdd1dULL + 0x5851f42d4c957f2dULL;
	s->temperature = temperature;
}

int live_sample(live_sampler *s, float *logits, int vocab)
{
	int best = 0;
	for (int i = 1; i < vocab; i++)
		if (logits[i] > logits[best])
			best = i;
	/* one draw per token whatever the temperature, so greedy and sampled
	 * runs from one seed stay in step */
	double u = ((splitmix(&s->state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	if (s->temperature <= 0)
		return best;
	double sum = 0, mx = logits[best];
	for (int i = 0; i < vocab; i++) {
		double e = exp((logits[i] - mx) / s->temperature);
		logits[i] = (float)e;
		sum += e;
	}
	double r = u * sum, acc = 0;
	for (int i = 0; i < vocab; i++) {
		acc += logits[i];
		if (r < acc)
			return i;
	}
	return best;
}

int live_generate(live_model *m, const int *ids, int np, int n, const live_hook *hook,
		  live_sampler *s, int *out, int *cut)
{
	return live_generate_progress(m, ids, np, n, hook, s, out, cut, NULL, NULL);
}

int live_generate_progress(live_model *m, const int *ids, int np, int n, const live_hook *hook,
			   live_sampler *s, int *out, int *cut, live_progress_fn fn, void *ud)
{
	/* one token of prompt and one of room at least: a shorter context
	 * (live_session_load refuses it) would make keep negative */
	if (np < 1 || n < 0 || m->ctx < LIVE_MIN_CTX)
		return -1;
	int keep = np < m->ctx - 1 ? np : m->ctx - 1;
	if (cut)
		*cut = np - keep;
	/* the whole history, for sliding the window when the context fills */
	int *hist = xmalloc((size_t)(keep + n + 1) * sizeof *hist);
	memcpy(hist, ids + (np - keep), (size_t)keep * sizeof *hist);
	int nh = keep;
	float *logits = xmalloc((size_t)m->ctx * m->vocab * sizeof *logits);
	int got = -1;
	if (live_forward(m, hist, nh, hook, logits) != 0)
		goto out;
	float *last = logits + (size_t)(nh - 1) * m->vocab;
	for (got = 0; got < n; got++) {
		int t = live_sample(s, last, m->vocab);
		out[got] = t;
		hist[nh++] = t;
		if (fn)
			fn(ud, got + 1);
		if (got + 1 == n)
			break;
		if (m->pos >= m->ctx) {
			/* full: start again over the last half of the context */
			int w = m->ctx / 2;
			if (live_forward(m, hist + nh - w, w, hook, logits) != 0)
				goto out;
			last = logits + (size_t)(w - 1) * m->vocab;
			continue;
		}
		if (live_step(m, t, hook, logits) != 0)
			goto out;
		last = logits;
	}
	if (n > 0)
		got = n;
out:
	free(logits);
	free(hist);
	return got;
}

double live_loss(live_model *m, const int *ids, int T, const live_hook *hook, float *loss)
{
	if (T < 2)
		return 0;
	float *logits = xmalloc((size_t)T * m->vocab * sizeof *logits);
	double sum = 0;
	if (live_forward(m, ids, T, hook, logits) != 0) {
		free(logits);
		return NAN;
	}
	for (int t = 0; t + 1 < T; t++) {
		const float *r = logits + (size_t)t * m->vocab;
		float mx = r[0];
		for (int i = 1; i < m->vocab; i++)
			if (r[i] > mx)
				mx = r[i];
		double s = 0;
		for (int i = 0; i < m->vocab; i++)
			s += exp(r[i] - mx);
		double l = log(s) + mx - r[ids[t + 1]];
		if (loss)
			loss[t] = (float)l;
		sum += l;
	}
	free(logits);
	return sum / (T - 1);
}

/* Collects the hook activations of the positions a window keeps. */
typedef struct {
	float *rows;              /* [e - keep_from][width] */
	int keep_rel;             /* first position kept, relative to the window */
	int n;                    /* tokens of the window */
	const live_hook *inner;   /* run first, or NULL */
} collect;

static void collect_fn(void *ud, float *act, int n, int width, int pos0)
{
	collect *c = ud;
	if (c->inner && c->inner->fn)
		c->inner->fn(c->inner->ud, act, n, width, pos0);
	for (int i = 0; i < n; i++) {
		int p = pos0 + i;
		if (p >= c->keep_rel && p < c->n)
			memcpy(c->rows + (size_t)(p - c->keep_rel) * width, act + (size_t)i * width,
			       (size_t)width * sizeof(float));
	}
}

int live_windows_init(live_windows *w, live_model *m, live_point at, const live_hook *inner, int want_loss,
		      int clean_loss)
{
	memset(w, 0, sizeof *w);
	int width = live_width(m, at);
	/* an empty context would never move the window */
	if (width == 0 || m->ctx < 1)
		return -1;
	w->m = m;
	w->at = at;
	w->inner = inner;
	w->want_loss = want_loss;
	w->clean_loss = clean_loss;
	w->width = width;
	w->rows = xmalloc((size_t)m->ctx * width * sizeof *w->rows);
	if (want_loss || clean_loss) {
		w->lg = xmalloc((size_t)m->ctx * m->vocab * sizeof *w->lg);
		w->l_in = xmalloc((size_t)m->ctx * sizeof *w->l_in);
		w->l_clean = xmalloc((size_t)m->ctx * sizeof *w->l_clean);
	}
	return 0;
}

void live_windows_free(live_windows *w)
{
	free(w->ids);
	free(w->rows);
	free(w->lg);
	free(w->l_in);
	free(w->l_clean);
	memset(w, 0, sizeof *w);
}

void live_windows_reset(live_windows *w)
{
	w->nids = 0;
	w->ids_base = 0;
	w->s = 0;
	w->keep_from = 0;
	w->lossfrom = 0;
}

/* The losses of positions from..e-2 of the window [s, e) from its logits. */
static void window_losses(live_windows *w, const int *ids, int64_t s, int64_t e, float *out)
{
	live_model *m = w->m;
	for (int64_t p = w->lossfrom; p + 1 < e; p++) {
		float *r = w->lg + (size_t)(p - s) * m->vocab;
		float mx = vm_max(r, (size_t)m->vocab), target = r[ids[p + 1 - s]];
		for (int i = 0; i < m->vocab; i++)
			r[i] -= mx;
		vm_exp(r, (size_t)m->vocab);
		double sum = 0;
		for (int i = 0; i < m->vocab; i++)
			sum += r[i];
		out[p - w->lossfrom] = (float)(log(sum) + mx - target);
	}
}

/* Run the window [w->s, e) and hand over what it adds. */
static int window_run(live_windows *w, int64_t e, live_window_fn fn, void *ud)
{
	live_model *m = w->m;
	int64_t s = w->s;
	int n = (int)(e - s);
	const int *ids = w->ids + (s - w->ids_base);
	if (w->clean_loss) {
		if (live_forward(m, ids, n, NULL, w->lg) != 0)
			return -1;
		window_losses(w, ids, s, e, w->l_clean);
	}
	collect c = {w->rows, (int)(w->keep_from - s), n, w->inner};
	/* the rows are read at `at` after inner's first hook; the rest of its
	 * list (a transcoder's output hook) runs where it sits */
	live_hook h = {w->at, collect_fn, &c, w->inner ? w->inner->next : NULL};
	/* without losses, the pass stops after the block of `at` */
	if ((w->want_loss ? live_forward(m, ids, n, &h, w->lg) : live_forward_hooks(m, ids, n, &h)) != 0)
		return -1;
	if (w->want_loss)
		window_losses(w, ids, s, e, w->l_in);
	live_window out = {w->keep_from, (int)(e - w->keep_from), w->rows, w->lossfrom,
			   e - 1 > w->lossfrom ? (int)(e - 1 - w->lossfrom) : 0, w->want_loss ? w->l_in : NULL,
			   w->clean_loss ? w->l_clean : NULL};
	/* the next window starts half a context back */
	w->keep_from = e;
	w->lossfrom = e - 1;
	w->s = e - m->ctx / 2;
	return fn ? fn(ud, &out) : 0;
}

int live_windows_push(live_windows *w, const int *ids, int n, live_window_fn fn, void *ud)
{
	if (n <= 0)
		return 0;
	/* drop the tokens no window needs any more */
	int64_t drop = w->s - w->ids_base;
	if (drop > 0) {
		memmove(w->ids, w->ids + drop, (size_t)(w->nids - drop) * sizeof *w->ids);
		w->nids -= (int)drop;
		w->ids_base = w->s;
	}
	if (w->nids + n > w->capids) {
		w->capids = w->nids + n > 2 * w->capids ? w->nids + n : 2 * w->capids;
		w->ids = xrealloc(w->ids, (size_t)w->capids * sizeof *w->ids);
	}
	memcpy(w->ids + w->nids, ids, (size_t)n * sizeof *ids);
	w->nids += n;
	/* every window complete in what is held (the last one waits for
	 * live_windows_end: the text may end right there) */
	int C = w->m->ctx;
	while (w->ids_base + w->nids >= w->s + C) {
		if (w->keep_from > 0 && w->cancel && __atomic_load_n(w->cancel, __ATOMIC_RELAXED))
			return 1;
		int rc = window_run(w, w->s + C, fn, ud);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int live_windows_end(live_windows *w, live_window_fn fn, void *ud)
{
	int64_t T = w->ids_base + w->nids;
	if (T <= w->keep_from)
		return 0;
	if (w->keep_from > 0 && w->cancel && __atomic_load_n(w->cancel, __ATOMIC_RELAXED))
		return 1;
	return window_run(w, T, fn, ud);
}

/* live_run_windows's callback: what a window adds into the caller's arrays. */
typedef struct {
	float *rows;   /* [T][width] */
	float *loss;   /* [T - 1] or NULL */
	int width;     /* columns */
} into_arrays;

static int into_fn(void *ud, const live_window *w)
{
	into_arrays *a = ud;
	memcpy(a->rows + (size_t)w->row0 * a->width, w->rows, (size_t)w->nrows * a->width * sizeof(float));
	if (a->loss && w->nloss > 0)
		memcpy(a->loss + w->loss0, w->loss, (size_t)w->nloss * sizeof(float));
	return 0;
}

int live_run_windows(live_model *m, const int *ids, int T, live_point at, const live_hook *inner,
		     float *rows, float *loss)
{
	live_windows w;
	if (T < 1 || live_windows_init(&w, m, at, inner, loss != NULL, 0) != 0)
		return -1;
	into_arrays a = {rows, loss, w.width};
	int rc = live_windows_push(&w, ids, T, into_fn, &a);
	if (rc == 0)
		rc = live_windows_end(&w, into_fn, &a);
	live_windows_free(&w);
	return rc;
}

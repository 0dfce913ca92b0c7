/*
 * live.c: the architecture-neutral half of the live model (see live.h):
 * the list of architectures and the dispatch through their ops tables,
 * hook point names, the deterministic sampler, generation with a sliding
 * context, and the loss of a text under a hook.
 */
#include "live/live.h"
#include "core/util.h"
#include "core/vmath.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every architecture this build knows; live_load asks each in turn. */
const live_arch *const live_archs[] = {
	&live_arch_demo,
	&live_arch_gpt2,
	NULL,
};

static const char *const point_names[] = {"resid_pre", "resid_post", "mlp_hidden", "mlp_out"};

int live_point_parse(const char *s, live_point *p)
{
	for (int k = 0; k < 4; k++) {
		size_t n = strlen(point_names[k]);
		if (strncmp(s, point_names[k], n) != 0)
			continue;
		if (s[n] == '\0') {
			p->kind = (live_hook_kind)k;
			p->layer = -1;
			return 0;
		}
		int64_t l;
		if (s[n] == '.' && fs_parse_i64(s + n + 1, &l) == 0 && l >= 0 && l < 4096) {
			p->kind = (live_hook_kind)k;
			p->layer = (int)l;
			return 0;
		}
	}
	return -1;
}

const char *live_point_name(live_point p, char *out, size_t outlen)
{
	const char *k = (unsigned)p.kind < 4 ? point_names[p.kind] : "?";
	if (p.layer < 0)
		snprintf(out, outlen, "%s", k);
	else
		snprintf(out, outlen, "%s.%d", k, p.layer);
	return out;
}

live_model *live_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		for (int i = 0; live_archs[i]; i++)
			if (live_archs[i]->probe_dir && live_archs[i]->probe_dir(path))
				return live_archs[i]->load(path, err, errlen);
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
			return live_archs[i]->load(path, err, errlen);
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

int live_forward(live_model *m, const int *ids, int T, const live_hook *hook, float *logits)
{
	if (T < 1 || T > m->ctx)
		return -1;
	return m->arch->forward(m, ids, T, hook, logits);
}

int live_step(live_model *m, int id, const live_hook *hook, float *logits)
{
	if (m->pos >= m->ctx)
		return -1;
	return m->arch->step(m, id, hook, logits);
}

int live_set_bos(live_model *m, int on)
{
	if (!m->arch->set_bos)
		return on ? -1 : 0;
	return m->arch->set_bos(m, on);
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
	float *rows;              /* [ntok][width] */
	int width;                /* columns */
	int base;                 /* absolute position of the window's first token */
	int keep_from;            /* first absolute position to keep */
	int ntok;                 /* rows */
	const live_hook *inner;   /* run first, or NULL */
} collect;

static void collect_fn(void *ud, float *act, int n, int width, int pos0)
{
	collect *c = ud;
	if (c->inner && c->inner->fn)
		c->inner->fn(c->inner->ud, act, n, width, pos0);
	for (int i = 0; i < n; i++) {
		int p = c->base + pos0 + i;
		if (p >= c->keep_from && p < c->ntok)
			memcpy(c->rows + (size_t)p * width, act + (size_t)i * width, (size_t)width * sizeof(float));
	}
}

int live_run_windows(live_model *m, const int *ids, int T, live_point at, const live_hook *inner,
		     float *rows, float *loss)
{
	return live_run_windows_cancel(m, ids, T, at, inner, rows, loss, NULL);
}

int live_run_windows_cancel(live_model *m, const int *ids, int T, live_point at, const live_hook *inner,
			    float *rows, float *loss, const int *cancel)
{
	int w = live_width(m, at);
	/* an empty context would never move the window */
	if (w == 0 || T < 1 || m->ctx < 1)
		return -1;
	collect c = {rows, w, 0, 0, T, inner};
	live_hook h = {at, collect_fn, &c};
	float *lg = loss ? xmalloc((size_t)m->ctx * m->vocab * sizeof *lg) : NULL;
	int s = 0, lossfrom = 0;
	for (;;) {
		int e = s + m->ctx < T ? s + m->ctx : T;
		c.base = s;
		live_forward(m, ids + s, e - s, &h, lg);
		/* positions up to e - 2 predict a token inside this window */
		for (int p = lossfrom; loss && p + 1 < e; p++) {
			float *r = lg + (size_t)(p - s) * m->vocab;
			float mx = vm_max(r, (size_t)m->vocab), target = r[ids[p + 1]];
			for (int i = 0; i < m->vocab; i++)
				r[i] -= mx;
			vm_exp(r, (size_t)m->vocab);
			double sum = 0;
			for (int i = 0; i < m->vocab; i++)
				sum += r[i];
			loss[p] = (float)(log(sum) + mx - target);
		}
		if (e == T)
			break;
		if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED)) {
			free(lg);
			return 1;
		}
		c.keep_from = e;
		lossfrom = e - 1;
		s = e - m->ctx / 2;
	}
	free(lg);
	return 0;
}

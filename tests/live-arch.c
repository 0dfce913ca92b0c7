/*
 * live-arch.c: the live ops table (live.h) behaves the same through every
 * architecture. `live-arch TAG MODEL SAE` loads a model (a demo file or a
 * GPT-2 folder) and a dictionary (FSSAE or a SAELens folder) through the
 * architecture-neutral calls only, and checks what every architecture
 * must do: tokenize covers the text with increasing offsets and
 * detokenizes back to its bytes (invalid UTF-8 included); widths; a hook
 * sees every position once, in order, at the width it says, during a
 * forward pass and a step; a reading hook changes nothing; a change at
 * position p changes no logits before p (causality through the hook); a
 * step after forward equals the longer forward (the KV cache); row t of a
 * forward equals the last row of the forward of t + 1 tokens; windows
 * agree with a forward over the first window; clamping makes the
 * dictionary read V, ablation 0, and add mode adds V W_dec[f] exactly;
 * the sampler is deterministic. Run by t-live-arch.sh for both
 * architectures; checks are named "TAG: what".
 *
 * `live-arch dump MODEL IDS T OUT [STEER [READ]]` runs ids (int32 [T]
 * in the file IDS) through live_forward with a list of hooks: one reading
 * hook per point of every block (READ, e.g. "mlp_in.1": that point only),
 * each writing OUT/blocks.L.NAME.bin (f32 [T][width], TransformerLens
 * names), after a steering hook STEER ("attn_out.0=0.5": that point
 * multiplied by 0.5 in place) at the head of the list; and the logits to
 * OUT/logits.bin. tests/gpt2_ref.py compares them with PyTorch.
 */
#include "live/live.h"
#include "tests/unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tag;
static char nm[256];
#define NAME(s) (snprintf(nm, sizeof nm, "%s: %s", tag, s), nm)

/* Records what a hook saw. */
typedef struct {
	int calls, rows, width, next_pos, in_order;
	float *copy;         /* rows seen, [cap][width] */
	int cap;
	int poke_pos;        /* add poke to this position's row (-1 none) */
	live_steer *steer;   /* run first when set */
} seen;

static void see_fn(void *ud, float *act, int n, int width, int pos0)
{
	seen *s = ud;
	if (s->steer)
		live_steer_hook(s->steer, act, n, width, pos0);
	s->calls++;
	s->width = width;
	if (pos0 != s->next_pos)
		s->in_order = 0;
	s->next_pos = pos0 + n;
	s->rows += n;
	for (int i = 0; i < n; i++) {
		int p = pos0 + i;
		if (p == s->poke_pos)
			for (int j = 0; j < width; j++) /* not a constant: a LayerNorm takes that out */
				act[(size_t)i * width + j] += 0.5f * (float)(j % 7 - 3);
		if (s->copy && p < s->cap)
			memcpy(s->copy + (size_t)p * width, act + (size_t)i * width, sizeof(float) * width);
	}
}

static double rel(const float *a, const float *b, size_t n)
{
	double num = 0, den = 0;
	for (size_t i = 0; i < n; i++) {
		num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
		den += (double)b[i] * b[i];
	}
	return sqrt(num / (den > 0 ? den : 1));
}

static void check_tokenize(live_model *m, const char *what, const char *text, size_t len)
{
	int *ids;
	uint32_t *off;
	int n = live_tokenize(m, text, len, &ids, &off);
	int okoff = n > 0 && off[0] == 0 && off[n] == len, okid = 1;
	for (int i = 0; i < n; i++) {
		if (off[i + 1] <= off[i])
			okoff = 0;
		if (ids[i] < 0 || ids[i] >= m->vocab)
			okid = 0;
	}
	fs_buf b = {0};
	live_detokenize(m, ids, n, &b);
	char name[128];
	snprintf(name, sizeof name, "tokenize %s: offsets cover the text, increasing", what);
	CHECK(okoff, NAME(name));
	snprintf(name, sizeof name, "tokenize %s: ids in the vocabulary", what);
	CHECK(okid, NAME(name));
	snprintf(name, sizeof name, "tokenize %s: detokenize gives the bytes back", what);
	CHECK(b.len == len && memcmp(b.p, text, len) == 0, NAME(name));
	buf_free(&b);
	free(ids);
	free(off);
}

/* A dumping hook: its point and folder. */
typedef struct {
	live_point at;       /* where */
	const char *out;     /* folder */
} dumper;

static void dump_fn(void *ud, float *act, int n, int width, int pos0)
{
	dumper *d = ud;
	char name[64];
	live_point_name_tl(d->at, name, sizeof name);
	char *p = xasprintf("%s/%s.bin", d->out, name);
	FILE *f = fopen(p, pos0 ? "ab" : "wb");
	if (!f || fwrite(act, sizeof(float), (size_t)n * width, f) != (size_t)n * width || fclose(f) != 0) {
		fprintf(stderr, "live-arch: %s: write failed\n", p);
		exit(1);
	}
	free(p);
}

static void scale_fn(void *ud, float *act, int n, int width, int pos0)
{
	(void)pos0;
	float s = *(const float *)ud;
	for (size_t i = 0; i < (size_t)n * width; i++)
		act[i] *= s;
}

static int do_dump(int argc, char **argv)
{
	char err[1024];
	live_model *m = live_load(argv[2], err, sizeof err);
	if (!m) {
		fprintf(stderr, "live-arch: %s\n", err);
		return 2;
	}
	int T = atoi(argv[4]);
	int *ids = xmalloc(sizeof(int) * (size_t)T);
	FILE *f = fopen(argv[3], "rb");
	for (int i = 0; i < T; i++) {
		int32_t v = 0;
		if (!f || fread(&v, 4, 1, f) != 1) {
			fprintf(stderr, "live-arch: %s: short\n", argv[3]);
			return 2;
		}
		ids[i] = v;
	}
	fclose(f);
	int L = m->n_layer, nh = 0;
	dumper *d = xcalloc((size_t)L * LIVE_NKINDS, sizeof *d);
	live_hook *h = xcalloc((size_t)L * LIVE_NKINDS + 1, sizeof *h);
	float scale = 1;
	if (argc > 6) {
		char pt[64];
		snprintf(pt, sizeof pt, "%s", argv[6]);
		char *eq = strchr(pt, '=');
		if (!eq || (*eq = 0, live_point_parse(pt, &h[0].at)) != 0) {
			fprintf(stderr, "live-arch: %s: not POINT=SCALE\n", argv[6]);
			return 2;
		}
		scale = (float)atof(eq + 1);
		h[0].fn = scale_fn;
		h[0].ud = &scale;
		nh = 1;
	}
	live_point only = {LIVE_NKINDS, -1};
	if (argc > 7 && live_point_parse(argv[7], &only) != 0) {
		fprintf(stderr, "live-arch: %s: not a point\n", argv[7]);
		return 2;
	}
	for (int l = 0; l < L; l++)
		for (int k = 0; k < LIVE_NKINDS; k++) {
			live_point at = {(live_hook_kind)k, l};
			if (only.kind != LIVE_NKINDS && (only.kind != at.kind || only.layer != l))
				continue;
			dumper *dd = &d[l * LIVE_NKINDS + k];
			*dd = (dumper){at, argv[5]};
			h[nh] = (live_hook){at, dump_fn, dd, NULL};
			nh++;
		}
	for (int i = 0; i + 1 < nh; i++)
		h[i].next = &h[i + 1];
	float *lg = xmalloc(sizeof(float) * (size_t)T * m->vocab);
	if (live_forward(m, ids, T, nh ? h : NULL, lg) != 0) {
		fprintf(stderr, "live-arch: forward failed\n");
		return 1;
	}
	char *p = xasprintf("%s/logits.bin", argv[5]);
	f = fopen(p, "wb");
	if (!f || fwrite(lg, sizeof(float), (size_t)T * m->vocab, f) != (size_t)T * m->vocab || fclose(f) != 0)
		return 1;
	free(p);
	free(lg);
	free(h);
	free(d);
	free(ids);
	live_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && argc <= 8 && !strcmp(argv[1], "dump"))
		return do_dump(argc, argv);
	if (argc != 4) {
		fprintf(stderr, "usage: live-arch TAG MODEL SAE\n");
		return 2;
	}
	tag = argv[1];
	char err[1024];
	live_model *m = live_load(argv[2], err, sizeof err);
	CHECK(m != NULL, NAME("load the model"));
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	live_sae *sae = live_sae_load(argv[3], err, sizeof err);
	CHECK(sae != NULL, NAME("load the dictionary"));
	if (!sae) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK(live_sae_bind(sae, m, err, sizeof err) == 0, NAME("bind the dictionary"));
	CHECK(live_set_bos(m, sae->prepend_bos) == 0, NAME("BOS as the dictionary asks"));
	int V = m->vocab, L = m->n_layer;

	/* tokenize */
	static const char ascii[] = "The quick brown fox, it's 1999: jumps!";
	static const char utf8[] = "caf\xc3\xa9 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xf0\x9f\x98\x80 ok";
	static const char bad[] = "ab\xff\xfe cd \xc3";
	check_tokenize(m, "ASCII", ascii, strlen(ascii));
	check_tokenize(m, "UTF-8", utf8, strlen(utf8));
	check_tokenize(m, "invalid UTF-8", bad, strlen(bad));

	/* widths */
	live_hook_kind kinds[LIVE_NKINDS];
	for (int k = 0; k < LIVE_NKINDS; k++)
		kinds[k] = (live_hook_kind)k;
	int wok = 1;
	for (int k = 0; k < LIVE_NKINDS; k++) {
		live_point p = {kinds[k], 0}, q = {kinds[k], L - 1}, r = {kinds[k], L}, last = {kinds[k], -1};
		int w = live_width(m, p);
		if (w <= 0 || live_width(m, q) != w || live_width(m, last) != w || live_width(m, r) != 0)
			wok = 0;
		if (kinds[k] != LIVE_MLP_HIDDEN && w != m->d_model)
			wok = 0;
	}
	CHECK(wok, NAME("width of every point; 0 past the last block"));

	int *ids;
	uint32_t *off;
	fs_buf txt = {0};
	while (txt.len < 400)
		buf_adds(&txt, "the lazy dog sleeps while the quick fox jumps; ");
	int NT = live_tokenize(m, txt.p, txt.len, &ids, &off);
	int T = m->ctx / 2 < NT - 1 ? m->ctx / 2 : NT - 1;
	CHECK(T >= 8, NAME("enough tokens for the checks"));
	float *lg = xmalloc(sizeof(float) * (size_t)(m->ctx + 1) * V);
	float *lg2 = xmalloc(sizeof(float) * (size_t)(m->ctx + 1) * V);
	float *one = xmalloc(sizeof(float) * V);

	/* hooks see every position once, in order, at their width; forward
	 * then step */
	for (int k = 0; k < LIVE_NKINDS; k++) {
		live_point p = {kinds[k], L - 1};
		seen s = {0, 0, 0, 0, 1, NULL, 0, -1, NULL};
		live_hook h = {p, see_fn, &s, NULL};
		live_forward(m, ids, T, &h, lg);
		int ok1 = s.rows == T && s.in_order && s.width == live_width(m, p) && m->pos == T;
		live_step(m, ids[T], &h, one);
		int ok2 = s.rows == T + 1 && s.next_pos == T + 1 && s.in_order && m->pos == T + 1;
		char pn[32], name[128];
		snprintf(name, sizeof name, "hook %s: forward sees positions 0..T-1 once", live_point_name(p, pn, sizeof pn));
		CHECK(ok1, NAME(name));
		snprintf(name, sizeof name, "hook %s: step sees position T", pn);
		CHECK(ok2, NAME(name));
	}

	/* a pass for its hooks (live_forward_hooks) stops after the last
	 * block a hook needs, and the hooks see the same bits as in a full
	 * pass with logits */
	{
		int same = 1, fewer = 1, nostep = 1;
		for (int l = 0; l < L; l++) {
			live_point p = {kinds[l % LIVE_NKINDS], l}, p0 = {LIVE_MLP_IN, 0};
			int w = live_width(m, p), w0 = live_width(m, p0);
			seen a = {0, 0, 0, 0, 1, xmalloc(sizeof(float) * (size_t)T * w), T, -1, NULL};
			seen b = {0, 0, 0, 0, 1, xmalloc(sizeof(float) * (size_t)T * w), T, -1, NULL};
			seen a0 = {0, 0, 0, 0, 1, xmalloc(sizeof(float) * (size_t)T * w0), T, -1, NULL};
			seen b0 = {0, 0, 0, 0, 1, xmalloc(sizeof(float) * (size_t)T * w0), T, -1, NULL};
			/* two hooks, the later block second: the pass runs to it */
			live_hook ha2 = {p, see_fn, &a, NULL}, ha = {p0, see_fn, &a0, &ha2};
			live_hook hb2 = {p, see_fn, &b, NULL}, hb = {p0, see_fn, &b0, &hb2};
			int64_t n0 = m->blocks_run;
			live_forward(m, ids, T, &ha, lg);
			int64_t n1 = m->blocks_run;
			int rc = live_forward_hooks(m, ids, T, &hb);
			int64_t n2 = m->blocks_run;
			if (rc != 0 || a.rows != T || b.rows != T || b0.rows != T ||
			    memcmp(a.copy, b.copy, sizeof(float) * (size_t)T * w) != 0 ||
			    memcmp(a0.copy, b0.copy, sizeof(float) * (size_t)T * w0) != 0)
				same = 0;
			if (n1 - n0 != L || n2 - n1 != l + 1 || live_hooks_blocks(m, &hb) != l + 1) {
				printf("# %s: hooks at blocks 0 and %d: %lld blocks run with logits, %lld without\n", tag, l,
				       (long long)(n1 - n0), (long long)(n2 - n1));
				fewer = 0;
			}
			if (l < L - 1 && live_step(m, ids[T], NULL, one) != -1)
				nostep = 0;
			free(a.copy);
			free(b.copy);
			free(a0.copy);
			free(b0.copy);
		}
		int64_t n0 = m->blocks_run;
		CHECK(live_forward_hooks(m, ids, T, NULL) == 0 && m->blocks_run == n0,
		      NAME("hooks-only pass: no hooks, no blocks"));
		CHECK(same, NAME("hooks-only pass: every hook sees the bits of a pass with logits"));
		CHECK(fewer, NAME("hooks-only pass: runs blocks 0..L of its last hook, a pass with logits all"));
		CHECK(nostep, NAME("hooks-only pass: the KV cache it leaves is refused by step"));
		live_forward(m, ids, T, NULL, lg);
		CHECK(live_step(m, ids[T], NULL, one) == 0, NAME("hooks-only pass: a full forward makes step work again"));
	}

	/* a reading hook changes nothing; the cache; causality */
	live_forward(m, ids, T + 1, NULL, lg);
	seen rd = {0, 0, 0, 0, 1, NULL, 0, -1, NULL};
	live_hook hr = {{LIVE_RESID_PRE, 0}, see_fn, &rd, NULL};
	live_forward(m, ids, T + 1, &hr, lg2);
	CHECK(memcmp(lg, lg2, sizeof(float) * (size_t)(T + 1) * V) == 0, NAME("a reading hook leaves the logits alone"));
	live_forward(m, ids, T, NULL, lg2);
	live_step(m, ids[T], NULL, one);
	double e = rel(one, lg + (size_t)T * V, (size_t)V);
	CHECK(e < 1e-4, NAME("step after forward equals the longer forward (KV cache)"));
	int t0 = T / 2;
	live_forward(m, ids, t0 + 1, NULL, lg2);
	e = rel(lg2 + (size_t)t0 * V, lg + (size_t)t0 * V, (size_t)V);
	CHECK(e < 1e-4, NAME("row t of a forward equals the forward of t + 1 tokens"));
	seen pk = {0, 0, 0, 0, 1, NULL, 0, t0, NULL};
	live_hook hp = {{LIVE_RESID_PRE, 0}, see_fn, &pk, NULL};
	live_forward(m, ids, T + 1, &hp, lg2);
	CHECK(memcmp(lg, lg2, sizeof(float) * (size_t)t0 * V) == 0, NAME("a change at p leaves the logits before p alone"));
	CHECK(rel(lg2 + (size_t)t0 * V, lg + (size_t)t0 * V, (size_t)V) > 1e-3, NAME("a change at p changes the logits at p"));

	/* windows: past the context, the first window's rows are a forward's */
	{
		int TW = NT < m->ctx + 10 ? NT : m->ctx + 10;
		live_point at = sae->hook;
		int w = live_width(m, at);
		float *rows = xmalloc(sizeof(float) * (size_t)TW * w);
		float *loss = xmalloc(sizeof(float) * (size_t)TW);
		live_run_windows(m, ids, TW, at, NULL, rows, loss);
		int W1 = TW < m->ctx ? TW : m->ctx;
		seen c = {0, 0, 0, 0, 1, xmalloc(sizeof(float) * (size_t)W1 * w), W1, -1, NULL};
		live_hook hc = {at, see_fn, &c, NULL};
		live_forward(m, ids, W1, &hc, NULL);
		CHECK(rel(rows, c.copy, (size_t)W1 * w) < 1e-6, NAME("windows: the first window's rows equal a forward's"));
		int fin = 1;
		for (int t = 0; t + 1 < TW; t++)
			fin &= isfinite(loss[t]) && loss[t] > 0;
		CHECK(fin, NAME("windows: a finite positive loss at every position"));
		free(c.copy);
		free(rows);
		free(loss);
	}

	/* steering through the dictionary */
	{
		live_point at = sae->hook;
		int D = sae->d_in;
		float *clean = xmalloc(sizeof(float) * (size_t)T * D), *st_rows = xmalloc(sizeof(float) * (size_t)T * D);
		seen c = {0, 0, 0, 0, 1, clean, T, -1, NULL};
		live_hook hc = {at, see_fn, &c, NULL};
		live_forward(m, ids, T, &hc, NULL);
		/* the feature strongest on average, so there is something to clamp */
		int *ix = xmalloc(sizeof(int) * (size_t)T * 8);
		float *vx = xmalloc(sizeof(float) * (size_t)T * 8);
		live_sae_encode(sae, clean, T, 8, ix, vx);
		int f = ix[0] >= 0 ? ix[0] : 0;
		float V5 = 5.0f;
		for (int pass = 0; pass < 2; pass++) {
			float want = pass ? 0.0f : V5;
			live_steer_term term = {f, want};
			float *after = xmalloc(sizeof(float) * (size_t)T);
			live_steer st = {sae, LIVE_CLAMP, &term, 1, after, T};
			live_hook hs = live_steer_as_hook(&st);
			live_forward(m, ids, T, &hs, NULL);
			float worst = 0;
			for (int t = 0; t < T; t++)
				if (fabsf(after[t] - want) > worst)
					worst = fabsf(after[t] - want);
			if (!(worst <= 1e-3f * (1 + want)))
				printf("# feature %d, V %g: off by %g\n", f, want, worst);
			CHECK(worst <= 1e-3f * (1 + want), NAME(pass ? "ablate: the dictionary reads 0 at every position"
								    : "clamp: the dictionary reads V at every position"));
			free(after);
		}
		/* add mode: the rows move by exactly V W_dec[f] / in_scale */
		live_steer_term term = {f, 2.0f};
		live_steer st = {sae, LIVE_ADD, &term, 1, NULL, 0};
		seen a = {0, 0, 0, 0, 1, st_rows, T, -1, &st};
		live_hook ha = {at, see_fn, &a, NULL};
		live_forward(m, ids, T, &ha, NULL);
		double worst = 0;
		for (int t = 0; t < T; t++)
			for (int j = 0; j < D; j++) {
				double want = clean[(size_t)t * D + j] + 2.0 / sae->in_scale * sae->w_dec[(size_t)f * D + j];
				double d = fabs(st_rows[(size_t)t * D + j] - want) / (1 + fabs(want));
				if (d > worst)
					worst = d;
			}
		CHECK(worst < 1e-5, NAME("add: the hook rows move by V W_dec[f]"));
		free(ix);
		free(vx);
		free(clean);
		free(st_rows);
	}

	/* sampling is deterministic */
	{
		int g1[16], g2[16];
		live_sampler s1, s2;
		live_sampler_init(&s1, 7, 0.8f);
		live_sampler_init(&s2, 7, 0.8f);
		int n1 = live_generate(m, ids, 8, 16, NULL, &s1, g1, NULL);
		int n2 = live_generate(m, ids, 8, 16, NULL, &s2, g2, NULL);
		CHECK(n1 == 16 && n2 == 16 && memcmp(g1, g2, sizeof g1) == 0, NAME("generate: the same seed, the same tokens"));
	}
	free(lg);
	free(lg2);
	free(one);
	free(ids);
	free(off);
	buf_free(&txt);
	live_sae_free(sae);
	live_free(m);
	TEST_END();
}

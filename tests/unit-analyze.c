/*
 * unit-analyze.c: the engine's analysis of a text (src/live/analyze.c)
 * on the shipped demo model and dictionary, against the steps it strings
 * together, each checked against the training code in unit-live: the
 * whole text tokenized, live_run_windows (activations at the dictionary's
 * point, next-token losses, with and without a steering hook) and
 * live_sae_encode over all rows at once. A text over three contexts long,
 * fed whole and in pieces cut where live_text_cut allows; the places it
 * cuts, from the rule written out by hand.
 */
#include "config.h"
#include "live/analyze.h"
#include "core/util.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K 16 /* features a token */

/* Every token handed over, into arrays of the whole text. */
typedef struct {
	int n, in_order;     /* tokens seen; all came in order */
	int64_t *start, *end; /* [cap] their bytes */
	int *idx;            /* [cap][K] */
	float *val;          /* [cap][K] */
	float *loss, *steered; /* [cap] */
	int *has_loss;       /* [cap] */
	int cap;
} got;

static int got_fn(void *ud, live_token *t)
{
	got *g = ud;
	g->in_order &= t->pos == g->n && t->pos < g->cap;
	if (t->pos >= g->cap)
		return -1;
	int p = (int)t->pos;
	g->start[p] = t->start;
	g->end[p] = t->end;
	memcpy(g->idx + (size_t)p * K, t->idx, K * sizeof *g->idx);
	memcpy(g->val + (size_t)p * K, t->val, K * sizeof *g->val);
	g->loss[p] = t->loss;
	g->steered[p] = t->loss_steered;
	g->has_loss[p] = t->has_loss;
	g->n++;
	return 0;
}

static void got_init(got *g, int cap)
{
	memset(g, 0, sizeof *g);
	g->cap = cap;
	g->in_order = 1;
	g->start = xcalloc((size_t)cap, sizeof *g->start);
	g->end = xcalloc((size_t)cap, sizeof *g->end);
	g->idx = xcalloc((size_t)cap * K, sizeof *g->idx);
	g->val = xcalloc((size_t)cap * K, sizeof *g->val);
	g->loss = xcalloc((size_t)cap, sizeof *g->loss);
	g->steered = xcalloc((size_t)cap, sizeof *g->steered);
	g->has_loss = xcalloc((size_t)cap, sizeof *g->has_loss);
}

static void got_free(got *g)
{
	free(g->start);
	free(g->end);
	free(g->idx);
	free(g->val);
	free(g->loss);
	free(g->steered);
	free(g->has_loss);
}

int main(void)
{
	const char *src = getenv("FS_SRCDIR") ? getenv("FS_SRCDIR") : FS_SRCDIR;
	char lmpath[512], saepath[512], err[512];
	snprintf(lmpath, sizeof lmpath, "%s/data/demo-lm.bin", src);
	snprintf(saepath, sizeof saepath, "%s/data/demo-sae-res4k.bin", src);

	/* where a piece may end: the rule, by hand */
	CHECK(live_text_cut("ab cd", 5) == 2, "cut: before a space after a printable character");
	CHECK(live_text_cut("ab cd ef", 8) == 5, "cut: the last such place");
	CHECK(live_text_cut("ab\ncd", 5) == 3, "cut: before a word after a word and a newline");
	CHECK(live_text_cut("abcdef", 6) == 0 && live_text_cut("a  ", 3) == 0 && live_text_cut("", 0) == 0,
	      "cut: no place yet: read on");

	live_model *m = live_load(lmpath, err, sizeof err);
	live_sae *s = live_sae_load(saepath, err, sizeof err);
	CHECK(m && s && live_sae_bind(s, m, err, sizeof err) == 0, "the demo model and dictionary load");
	if (!m || !s)
		TEST_END();

	/* a text over three contexts: words, lines, DNA */
	fs_buf text = {0};
	static const char *const words[] = {"the ", "cat ", "GATTACA ", "ACGTTGCA\n", "int x = 3; ", "hello, ",
					    "world.\n", "12345 "};
	for (int i = 0; text.len < (size_t)4 * m->ctx; i++)
		buf_add(&text, words[(i * 7 + i / 3) % 8], strlen(words[(i * 7 + i / 3) % 8]));
	int *ids;
	uint32_t *off;
	int T = live_tokenize(m, text.p, text.len, &ids, &off);
	CHECK(T > 3 * m->ctx, "the text is over three contexts long");

	/* the reference: the steps one after the other */
	int wd = live_width(m, s->hook);
	float *rows = xmalloc((size_t)T * wd * sizeof *rows), *rows_s = xmalloc((size_t)T * wd * sizeof *rows_s);
	float *l0 = xcalloc((size_t)T, sizeof *l0), *l1 = xcalloc((size_t)T, sizeof *l1);
	int *ridx = xmalloc((size_t)T * K * sizeof *ridx), *ridx_s = xmalloc((size_t)T * K * sizeof *ridx_s);
	float *rval = xmalloc((size_t)T * K * sizeof *rval), *rval_s = xmalloc((size_t)T * K * sizeof *rval_s);
	live_run_windows(m, ids, T, s->hook, NULL, rows, l0);
	live_sae_encode(s, rows, T, K, ridx, rval);
	int f = ridx[3];
	live_steer_term term = {f >= 0 ? f : 0, 6.0f};
	live_steer st = {s, LIVE_CLAMP, &term, 1, NULL, 0};
	live_hook h = live_steer_as_hook(&st);
	live_run_windows(m, ids, T, s->hook, &h, rows_s, l1);
	live_sae_encode(s, rows_s, T, K, ridx_s, rval_s);

	/* the whole text at once (the prompt screen) */
	live_analyzed r;
	CHECK(live_analyze(m, s, text.p, text.len, K, NULL, &r) == 0 && r.ntok == T, "live_analyze: every token");
	CHECK(r.ntok == T && memcmp(r.off, off, ((size_t)T + 1) * sizeof *off) == 0,
	      "live_analyze: the tokens' bytes are the tokenizer's");
	CHECK(r.ntok == T && unit_same_pairs(r.idx, r.val, ridx, rval, (size_t)T * K),
	      "live_analyze: each token's features are the encoding of its activations");
	free(r.off);
	free(r.idx);
	free(r.val);

	/* in pieces, steered, with losses (analyze) */
	static const size_t sizes[] = {1, 700, 3, 64, 5000, 17};
	got g;
	got_init(&g, T);
	live_analysis a;
	CHECK(live_analysis_init(&a, m, s, &h, K, 1, NULL) == 0, "live_analysis_init");
	size_t at = 0, pend = 0;
	int rc = 0, held_ok = 1;
	for (int k = 0; at + pend < text.len && rc == 0; k++) {
		size_t n = sizes[k % 6] < text.len - at - pend ? sizes[k % 6] : text.len - at - pend;
		pend += n;
		int eof = at + pend == text.len;
		size_t cut = eof ? pend : live_text_cut(text.p + at, pend);
		if (cut == 0)
			continue;
		rc = live_analysis_push(&a, text.p + at, cut, (int64_t)at, got_fn, &g);
		at += cut;
		pend -= cut;
		/* held: the first byte of the first token not handed over */
		held_ok &= live_analysis_held(&a) == (g.n < a.ntok && g.n <= T ? (int64_t)off[g.n] : -1);
	}
	if (rc == 0)
		rc = live_analysis_end(&a, got_fn, &g);
	CHECK(rc == 0 && g.in_order && g.n == T && a.ntok == T, "in pieces: every token handed over once, in order");
	CHECK(held_ok && live_analysis_held(&a) == -1, "in pieces: the text held starts at the first token not handed over");
	live_analysis_free(&a);
	int bytes_ok = g.n == T, loss_ok = g.n == T, feat_ok = g.n == T;
	for (int t = 0; t < g.n && t < T; t++) {
		bytes_ok &= g.start[t] == off[t] && g.end[t] == off[t + 1];
		loss_ok &= g.has_loss[t] == (t < T - 1);
		if (t < T - 1)
			loss_ok &= g.loss[t] == l0[t] && g.steered[t] == l1[t];
	}
	feat_ok = feat_ok && unit_same_pairs(g.idx, g.val, ridx_s, rval_s, (size_t)T * K);
	CHECK(bytes_ok, "in pieces: the tokens' bytes are the whole text's tokenizer's");
	CHECK(loss_ok, "in pieces: each token's losses, plain and steered, are the windowed run's (all but the last)");
	CHECK(feat_ok, "in pieces, steered: the features are the encoding of the steered activations");
	got_free(&g);

	/* cancelled before it starts a second window */
	int cancel = 1;
	CHECK(live_analyze(m, s, text.p, text.len, K, &cancel, &r) == 1 && r.ntok < T,
	      "cancelled: stops between windows and says so");
	free(r.off);
	free(r.idx);
	free(r.val);

	free(ids);
	free(off);
	free(rows);
	free(rows_s);
	free(l0);
	free(l1);
	free(ridx);
	free(rval);
	free(ridx_s);
	free(rval_s);
	buf_free(&text);
	live_sae_free(s);
	live_free(m);
	TEST_END();
}

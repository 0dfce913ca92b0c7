/*
 * analyze.c: the analysis of a text by the live model (analyze.h): pieces
 * tokenized, the windows run, every window's rows encoded by the
 * dictionary, and the tokens handed over in order once their losses are
 * known (a window's last token waits for the next window, whose first loss
 * is its own). What `featscope analyze` streams and the prompt screen runs
 * on its worker thread.
 */
#include "live/analyze.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static int cut_word(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

size_t live_text_cut(const char *b, size_t n)
{
	const unsigned char *u = (const unsigned char *)b;
	if (n == 0)
		return 0;
	for (size_t c = n - 1; c >= 2; c--) {
		if (u[c] == ' ' && cut_word(u[c - 1]))
			return c;
		if (cut_word(u[c]) && u[c - 1] == '\n' && cut_word(u[c - 2]))
			return c;
	}
	if (n < LIVE_PIECE_MAX)
		return 0;
	for (size_t c = n - 1; c > 0; c--)
		if ((u[c] & 0xc0) != 0x80)
			return c;
	return n;
}

int live_analysis_init(live_analysis *a, live_model *m, live_sae *s, const live_hook *inner, int k, int want_loss,
		       const int *cancel)
{
	memset(a, 0, sizeof *a);
	int steered = want_loss && inner != NULL;
	live_windows lw;
	if (live_windows_init(&lw, m, s->hook, inner, want_loss, steered) != 0)
		return -1;
	lw.cancel = cancel;
	/* a window's rows, then the waiting token's, in one block each */
	size_t cells = ((size_t)m->ctx + 1) * k;
	*a = (live_analysis){.sae = s, .m = m, .k = k, .want_loss = want_loss, .steered = steered, .lw = lw,
			     .idx = xmalloc(cells * sizeof(int)), .val = xmalloc(cells * sizeof(float))};
	a->pidx = a->idx + (size_t)m->ctx * k;
	a->pval = a->val + (size_t)m->ctx * k;
	return 0;
}

void live_analysis_free(live_analysis *a)
{
	live_windows_free(&a->lw);
	free(a->idx); /* pidx and pval are in idx and val */
	free(a->val);
	free(a->span);
	memset(a, 0, sizeof *a);
}

int64_t live_analysis_held(const live_analysis *a)
{
	return a->qh < a->qn ? a->span[2 * (size_t)a->qh] : -1;
}

/* Hand over the token at the head of the queue. */
static int emit(live_analysis *a, int *idx, float *val, int has_loss, float l0, float l1)
{
	live_token t = {a->q_pos, a->span[2 * (size_t)a->qh], a->span[2 * (size_t)a->qh + 1], idx, val, has_loss, l0, l1};
	a->qh++;
	a->q_pos++;
	return a->fn ? a->fn(a->ud, &t) : 0;
}

/* What a window adds: its rows encoded, and every token whose losses are
 * known handed over. */
static int on_window(void *ud, const live_window *w)
{
	live_analysis *a = ud;
	int k = a->k, rc;
	const float *lc = a->steered ? w->loss_clean : w->loss, *ls = a->steered ? w->loss : NULL;
	int li = 0; /* next loss of this window */
	if (a->have_pend) {
		/* the token before row0: its loss is this window's first */
		a->have_pend = 0;
		if ((rc = emit(a, a->pidx, a->pval, 1, lc[0], ls ? ls[0] : 0)) != 0)
			return rc;
		li = 1;
	}
	live_sae_encode(a->sae, w->rows, w->nrows, k, a->idx, a->val);
	for (int i = 0; i < w->nrows; i++) {
		int *idx = a->idx + (size_t)i * k;
		float *val = a->val + (size_t)i * k;
		if (!a->want_loss)
			rc = emit(a, idx, val, 0, 0, 0);
		else if (li < w->nloss) {
			rc = emit(a, idx, val, 1, lc[li], ls ? ls[li] : 0);
			li++;
		} else {
			/* the window's last token: its loss comes with the next */
			memcpy(a->pidx, idx, (size_t)k * sizeof *idx);
			memcpy(a->pval, val, (size_t)k * sizeof *val);
			a->have_pend = 1;
			rc = 0;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int live_analysis_push(live_analysis *a, const char *text, size_t n, int64_t at, live_token_fn fn, void *ud)
{
	int *ids;
	uint32_t *off;
	int nt = live_tokenize(a->m, text, n, &ids, &off);
	if (a->qn + nt > a->qcap && a->qh > 0) {
		/* the tokens handed over leave the queue first */
		memmove(a->span, a->span + 2 * (size_t)a->qh, 2 * (size_t)(a->qn - a->qh) * sizeof *a->span);
		a->qn -= a->qh;
		a->qh = 0;
	}
	if (a->qn + nt > a->qcap) {
		a->qcap = a->qn + nt > 2 * a->qcap ? a->qn + nt : 2 * a->qcap;
		a->span = xrealloc(a->span, 2 * (size_t)a->qcap * sizeof *a->span);
	}
	for (int i = 0; i < nt; i++, a->qn++) {
		a->span[2 * (size_t)a->qn] = at + off[i];
		a->span[2 * (size_t)a->qn + 1] = at + off[i + 1];
	}
	a->ntok += nt;
	a->fn = fn;
	a->ud = ud;
	int rc = live_windows_push(&a->lw, ids, nt, on_window, a);
	free(ids);
	free(off);
	return rc;
}

int live_analysis_end(live_analysis *a, live_token_fn fn, void *ud)
{
	a->fn = fn;
	a->ud = ud;
	int rc = a->ntok > 0 ? live_windows_end(&a->lw, on_window, a) : 0;
	if (rc == 0 && a->have_pend) {
		/* the last token: no next token, no loss */
		a->have_pend = 0;
		rc = emit(a, a->pidx, a->pval, 0, 0, 0);
	}
	return rc;
}

/* live_analyze's token callback: every token into the arrays. */
typedef struct {
	live_analyzed *r;  /* the result */
	int k;             /* features a token */
	int cap;           /* tokens the arrays hold */
} keep_state;

static int keep_token(void *ud, live_token *t)
{
	keep_state *ks = ud;
	live_analyzed *r = ks->r;
	int p = (int)t->pos, k = ks->k;
	if (p >= ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 64;
		r->off = xrealloc(r->off, ((size_t)ks->cap + 1) * sizeof *r->off);
		r->idx = xrealloc(r->idx, (size_t)ks->cap * k * sizeof *r->idx);
		r->val = xrealloc(r->val, (size_t)ks->cap * k * sizeof *r->val);
	}
	r->off[p] = (uint32_t)t->start;
	r->off[p + 1] = (uint32_t)t->end;
	memcpy(r->idx + (size_t)p * k, t->idx, (size_t)k * sizeof *r->idx);
	memcpy(r->val + (size_t)p * k, t->val, (size_t)k * sizeof *r->val);
	r->ntok = p + 1;
	return 0;
}

int live_analyze(live_model *m, live_sae *s, const char *text, size_t len, int k, const int *cancel,
		 live_analyzed *out)
{
	memset(out, 0, sizeof *out);
	live_analysis a;
	if (live_analysis_init(&a, m, s, NULL, k, 0, cancel) != 0)
		return -1;
	keep_state ks = {out, k, 0};
	int rc = live_analysis_push(&a, text, len, 0, keep_token, &ks);
	if (rc == 0)
		rc = live_analysis_end(&a, keep_token, &ks);
	live_analysis_free(&a);
	return rc;
}

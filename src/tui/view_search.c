/*
 * view_search.c: full-text search: features whose label matches, then the
 * matching contexts (match highlighted, centred) each followed by the
 * stored features that fire on the match, by their activation there, then
 * those that fire elsewhere in it (grep_match.c, as featscope search
 * lists them). Tab jumps between the two
 * sections; Enter opens a feature (on a context: its strongest feature).
 * A context's features cost a read of each one's activations there (at
 * 1M features, about 95 random reads a context): they are found for the
 * contexts on screen when drawn, the others in idle steps, so a search
 * shows its first frame after a screenful's reads, not 200 contexts'.
 * The context screen (view_open_context, from the feature page) is the
 * same list for one context: its source (document and place as stored),
 * a token cursor (Left/Right) marked in the text, that token's
 * activations, and the stored features firing on that token, strongest
 * first (Enter opens one).
 */
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "grep/grep.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_LIMIT 200   /* labels and contexts fetched */
#define SEARCH_CTX_FEATS 5 /* features listed under each context */
#define SEARCH_STEP_S 0.004 /* the time one idle step of finding them aims at */

/* SR_WAIT: a feature row of a context whose features are not found yet
 * (id: the context's index), until sr_fill makes it an SR_FEAT */
enum { SR_HEAD, SR_FEAT, SR_CTX, SR_WAIT };

/* One row of the results. */
typedef struct {
	int kind;          /* SR_HEAD, SR_FEAT, SR_CTX or SR_WAIT */
	int64_t id;        /* fid (SR_FEAT) or context index (SR_CTX, SR_WAIT) */
	float act;         /* activation on the context above, <0 none */
	char *text;        /* SR_HEAD text */
} sr_row;

/* A matched context. */
typedef struct {
	fs_context c;      /* its text */
	size_t moff, mlen; /* the highlighted match, mlen 0 none */
	int64_t top_fid;   /* strongest feature there, 0 none */
	int row;           /* its SR_CTX row */
	int nf;            /* feature rows after it */
	int wait;          /* 1 while its features are not found (sr_fill) */
} sr_ctx;

/* A feature firing on the context screen's context. */
typedef struct {
	int64_t fid;       /* the feature */
	float *acts;       /* its activation per token (ntok) */
} sr_tokfeat;

/* The search view's state. */
typedef struct {
	char query[512];   /* what was searched */
	int tok;           /* context screen: the token under the cursor */
	sr_tokfeat *tf;    /* context screen: the features with an example there */
	int ntf;           /* count */
	sr_row *rows;      /* rows */
	int n, cap;        /* count and capacity */
	sr_ctx *ctx;       /* contexts */
	int nctx;          /* count */
	int next;          /* contexts before it have their features (idle steps) */
} sr_priv;

static void sr_add(sr_priv *sp, sr_row r)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 64;
		sp->rows = xrealloc(sp->rows, (size_t)sp->cap * sizeof *sp->rows);
	}
	sp->rows[sp->n++] = r;
}

/* Add a context and a row for each feature to list under it (how many
 * comes from the context's own record; which ones, sr_fill). */
static void sr_add_ctx(sr_priv *sp, int64_t ctx_id)
{
	sr_ctx *c = &sp->ctx[sp->nctx];
	if (index_context(tui.ix, ctx_id, &c->c) != 0)
		return;
	grep_search_match(sp->query, c->c.text, (size_t)c->c.len, &c->moff, &c->mlen);
	fs_ctx_feature *cf = NULL;
	int nf = index_context_features(tui.ix, ctx_id, SEARCH_CTX_FEATS, &cf);
	free(cf);
	c->row = sp->n;
	c->nf = nf > 0 ? nf : 0;
	c->wait = 1;
	sr_add(sp, (sr_row){SR_CTX, sp->nctx, -1, NULL});
	for (int i = 0; i < c->nf; i++)
		sr_add(sp, (sr_row){SR_WAIT, sp->nctx, -1, NULL});
	sp->nctx++;
}

/* Context k's features, ranked by their activation on the match, as
 * featscope search lists them (grep_match.c), into its rows. */
static void sr_fill(sr_priv *sp, int k)
{
	sr_ctx *c = &sp->ctx[k];
	if (!c->wait)
		return;
	c->wait = 0;
	grep_span_feature *cf = NULL;
	int nf = grep_span_features(tui.ix, &c->c, c->moff, c->mlen, SEARCH_CTX_FEATS, &cf);
	c->top_fid = nf > 0 ? cf[0].fid : 0;
	for (int i = 0; i < c->nf; i++) {
		sr_row *r = &sp->rows[c->row + 1 + i];
		/* fewer than counted: only when a read failed in between */
		*r = i < nf ? (sr_row){SR_FEAT, cf[i].fid, cf[i].act, NULL} : (sr_row){SR_HEAD, 0, -1, xstrdup("")};
	}
	free(cf);
}

/* The context that row belongs to gets its features. */
static void sr_need(sr_priv *sp, int64_t row)
{
	if (row < 0 || row >= sp->n)
		return;
	sr_row *r = &sp->rows[row];
	if (r->kind == SR_CTX || r->kind == SR_WAIT)
		sr_fill(sp, (int)r->id);
}

/* Features whose own label, note or tags match the query (the notes
 * database's full-text search, as `featscope search` lists them). */
static int sr_add_notes(sr_priv *sp)
{
	char **keys = NULL;
	int nk = tui.notes ? notes_search(tui.notes, sp->query, SEARCH_LIMIT, &keys) : 0;
	if (nk < 0)
		nk = 0;
	int n = 0;
	int64_t *fids = xcalloc((size_t)nk + 1, sizeof *fids);
	for (int i = 0; i < nk; i++) {
		char err[256];
		int64_t fid = index_resolve(tui.ix, keys[i], err, sizeof err);
		if (fid > 0)
			fids[n++] = fid;
	}
	notes_strv_free(keys, nk);
	if (n > 0)
		sr_add(sp, (sr_row){SR_HEAD, 0, -1, xasprintf("features whose notes match (%d)", n)});
	for (int i = 0; i < n; i++)
		sr_add(sp, (sr_row){SR_FEAT, fids[i], -1, NULL});
	free(fids);
	return n;
}

/* The search of `featscope search`: labels and explanations (FTS5, as a
 * phrase when the query is not valid syntax), the user's notes, and
 * contexts by full text with the substring scan when that finds none. */
static void sr_run(view *v)
{
	sr_priv *sp = v->priv;
	int64_t *fids = NULL, *ctxs = NULL;
	char err[512] = "";
	int how = GREP_SEARCH_FTS;
	int nl = index_search(tui.ix, 1, sp->query, SEARCH_LIMIT, &fids, NULL);
	int nc = grep_search_contexts(tui.ix, sp->query, 0, SEARCH_LIMIT, &ctxs, &how, err, sizeof err);
	if (nc < 0)
		tui_status(TC_ERROR, "search: %s", err);
	else if (nl < 0)
		tui_status(TC_ERROR, "search: %s", index_errmsg(tui.ix));
	if (nl < 0)
		nl = 0;
	if (nc < 0)
		nc = 0;
	sr_add(sp, (sr_row){SR_HEAD, 0, -1, xasprintf("features whose label matches (%d%s)", nl, nl == SEARCH_LIMIT ? "+" : "")});
	for (int i = 0; i < nl; i++)
		sr_add(sp, (sr_row){SR_FEAT, fids[i], -1, NULL});
	int nn = sr_add_notes(sp);
	sr_add(sp, (sr_row){SR_HEAD, 0, -1, xasprintf("contexts (%d%s)%s", nc, nc == SEARCH_LIMIT ? "+" : "",
						      how == GREP_SEARCH_SUBSTRING ? ", by substring"
						      : how == GREP_SEARCH_PHRASE ? ", as a phrase" : "")});
	sp->ctx = xcalloc((size_t)nc + 1, sizeof *sp->ctx);
	for (int i = 0; i < nc; i++)
		sr_add_ctx(sp, ctxs[i]);
	free(fids);
	free(ctxs);
	char noted[32] = "";
	if (nn > 0)
		snprintf(noted, sizeof noted, ", %d noted", nn);
	snprintf(v->title, sizeof v->title, "search '%.180s': %d features%s, %d contexts", sp->query, nl, noted, nc);
	v->nrows = sp->n;
	/* Start on the first result rather than a heading. */
	v->cur = 0;
	while (v->cur < sp->n && sp->rows[v->cur].kind == SR_HEAD)
		v->cur++;
	if (v->cur >= sp->n)
		v->cur = 0;
}

/* Draw a context line with its match highlighted, centred on it. */
static void sr_draw_ctx(int y, int x, int w, sr_ctx *c, int sel)
{
	int n;
	draw_cell *cells = draw_context_cells(c->c.text, (size_t)c->c.len, NULL, 0, NULL, &n);
	int centre = 0;
	while (centre < n && cells[centre].g.off < c->moff)
		centre++;
	int s = centre, acc = 0;
	while (s > 0 && acc + cells[s - 1].g.width <= w / 3) {
		acc += cells[s - 1].g.width;
		s--;
	}
	int col = 0;
	for (int i = s; i < n; i++) {
		if (col + cells[i].g.width > w)
			break;
		int in = c->mlen && cells[i].g.off >= c->moff && cells[i].g.off < c->moff + c->mlen;
		char one[16];
		size_t l = cells[i].g.len < sizeof one - 1 ? cells[i].g.len : sizeof one - 1;
		memcpy(one, c->c.text + cells[i].g.off, l);
		one[l] = 0;
		col += draw_text(y, x + col, w - col, one, in ? TC_MATCH : sel ? TC_SELECT : TC_NORMAL, 0);
	}
	free(cells);
}

static void sr_draw(view *v)
{
	sr_priv *sp = v->priv;
	for (int i = 0; i < v->h && v->top + i < sp->n; i++)
		sr_need(sp, v->top + i);
	for (int i = 0; i < v->h && v->top + i < sp->n; i++) {
		int64_t ri = v->top + i;
		sr_row *r = &sp->rows[ri];
		int y = v->y + i, sel = ri == v->cur;
		int cls = sel ? TC_SELECT : TC_NORMAL;
		if (sel)
			draw_fill(y, 0, v->w, cls);
		if (r->kind == SR_HEAD || r->kind == SR_WAIT) {
			draw_text(y, 0, v->w, r->kind == SR_WAIT ? "     ..." : r->text, sel ? TC_SELECT : r->kind == SR_WAIT ? TC_DIM : TC_HEADER, DRAW_ELLIPSIS);
		} else if (r->kind == SR_CTX) {
			draw_text(y, 1, 2, "\xc2\xbb", sel ? TC_SELECT : TC_DIM, 0);
			sr_draw_ctx(y, 3, v->w - 3, &sp->ctx[r->id], sel);
		} else {
			fs_feature f;
			char name[64], lab[512] = "", head[128];
			int user = 0;
			index_feature_name(tui.ix, r->id, name, sizeof name);
			if (index_feature(tui.ix, r->id, &f) == 0) {
				tui_label(r->id, f.label, lab, sizeof lab, &user);
				index_feature_free(&f);
			}
			if (r->act >= 0)
				snprintf(head, sizeof head, "     %-10s %7.3g  ", name, r->act);
			else
				snprintf(head, sizeof head, "  %-10s ", name);
			int used = draw_text(y, 0, v->w, head, cls, 0);
			draw_text(y, used, v->w - used, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL, DRAW_ELLIPSIS);
		}
	}
}

static const char *sr_row_text(view *v, int64_t row, char *buf, size_t len)
{
	sr_priv *sp = v->priv;
	if (row < 0 || row >= sp->n)
		return NULL;
	sr_need(sp, row);
	sr_row *r = &sp->rows[row];
	if (r->kind == SR_HEAD)
		return r->text;
	if (r->kind == SR_CTX)
		return sp->ctx[r->id].c.text;
	return tui_feature_text(r->id, buf, len);
}

static int64_t sr_selected(view *v)
{
	sr_priv *sp = v->priv;
	if (v->cur >= sp->n)
		return 0;
	sr_need(sp, v->cur);
	sr_row *r = &sp->rows[v->cur];
	return r->kind == SR_FEAT ? r->id : r->kind == SR_CTX ? sp->ctx[r->id].top_fid : 0;
}

static int sr_key(view *v, int act, int key)
{
	sr_priv *sp = v->priv;
	(void)key;
	if (act == ACT_NEXT_PANE) {
		for (int64_t i = 1; i <= sp->n; i++) {
			int64_t r = (v->cur + i) % sp->n;
			if (sp->rows[r].kind == SR_HEAD) {
				v->cur = r + 1 < sp->n ? r + 1 : r;
				break;
			}
		}
		view_clamp(v);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static void sr_free(view *v)
{
	sr_priv *sp = v->priv;
	for (int i = 0; i < sp->n; i++)
		free(sp->rows[i].text);
	free(sp->rows);
	for (int i = 0; i < sp->nctx; i++)
		index_context_free(&sp->ctx[i].c);
	free(sp->ctx);
	for (int i = 0; i < sp->ntf; i++)
		free(sp->tf[i].acts);
	free(sp->tf);
	free(sp);
}

static int sr_busy(view *v)
{
	sr_priv *sp = v->priv;
	while (sp->next < sp->nctx && !sp->ctx[sp->next].wait)
		sp->next++;
	return sp->next < sp->nctx;
}

/* Idle: the features of the contexts not drawn yet, a few ms a step. */
static int sr_tick(view *v)
{
	sr_priv *sp = v->priv;
	double t0 = fs_now();
	int did = 0;
	for (; sr_busy(v) && fs_now() - t0 < SEARCH_STEP_S; did = 1)
		sr_fill(sp, sp->next);
	return did ? VR_HANDLED : 0; /* (the rows drawn have their features) */
}

static const view_ops sr_ops = {
	.kind = VIEW_SEARCH,
	.draw = sr_draw,
	.key = sr_key,
	.row_text = sr_row_text,
	.selected = sr_selected,
	.busy = sr_busy,
	.tick = sr_tick,
	.stepped = 1,
	.free = sr_free,
};

/* The context screen's rows for its token: the context (token marked),
 * its source, the token and the features firing on it, strongest first. */
static void ctx_rows(view *v)
{
	sr_priv *sp = v->priv;
	for (int i = 0; i < sp->n; i++)
		free(sp->rows[i].text);
	sp->n = 0;
	sr_ctx *c = &sp->ctx[0];
	int nt = c->c.ntok;
	if (sp->tok >= nt)
		sp->tok = nt - 1;
	if (sp->tok < 0)
		sp->tok = 0;
	sr_add(sp, (sr_row){SR_HEAD, 0, -1, xasprintf("context %lld: %d tokens, %d features with an example on it",
						      (long long)c->c.id, nt, sp->ntf)});
	sr_add(sp, (sr_row){SR_CTX, 0, -1, NULL});
	sr_add(sp, (sr_row){SR_HEAD, 0, -1, c->c.source && c->c.source[0] ? xasprintf("source: %s  (o: the text around it)", c->c.source) : xstrdup("source: (not recorded)")});
	if (nt <= 0) {
		v->nrows = sp->n;
		return;
	}
	size_t a = c->c.tok_off[sp->tok], b = c->c.tok_off[sp->tok + 1];
	c->moff = a;
	c->mlen = b - a;
	/* the features active on the token, strongest first */
	int *ord = xcalloc((size_t)sp->ntf + 1, sizeof *ord), k = 0;
	for (int i = 0; i < sp->ntf; i++)
		if (sp->tf[i].acts[sp->tok] > 0)
			ord[k++] = i;
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && sp->tf[ord[j]].acts[sp->tok] > sp->tf[ord[j - 1]].acts[sp->tok]; j--) {
			int t = ord[j];
			ord[j] = ord[j - 1];
			ord[j - 1] = t;
		}
	char *tt = draw_token_readable(c->c.text + a, b - a);
	/* only the features that stored this context as an example are known
	 * here (a TopK dictionary has k active on every token): say so */
	sr_add(sp, (sr_row){SR_HEAD, 0, -1, xasprintf("token %d of %d \xc2\xab%s\xc2\xbb (Left/Right move): %d stored feature%s fire%s, strongest %.3g",
						      sp->tok + 1, nt, tt, k, k == 1 ? "" : "s", k == 1 ? "s" : "",
						      k ? (double)sp->tf[ord[0]].acts[sp->tok] : 0.0)});
	free(tt);
	for (int i = 0; i < k; i++)
		sr_add(sp, (sr_row){SR_FEAT, sp->tf[ord[i]].fid, sp->tf[ord[i]].acts[sp->tok], NULL});
	free(ord);
	v->nrows = sp->n;
	if (v->cur < 4 || v->cur >= sp->n)
		v->cur = sp->n > 4 ? 4 : sp->n - 1;
	view_clamp(v);
}

static int ctx_key(view *v, int act, int key)
{
	sr_priv *sp = v->priv;
	if (act == ACT_LEFT || act == ACT_RIGHT) {
		sp->tok += act == ACT_RIGHT ? 1 : -1;
		ctx_rows(v);
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_OPEN_SOURCE) {
		view_open_source(sp->ctx[0].c.id);
		return VR_HANDLED | VR_REDRAW;
	}
	return sr_key(v, act, key);
}

/* 'Y' on the context screen: the context with its id and source. */
static char *ctx_copy(view *v)
{
	sr_priv *sp = v->priv;
	sr_ctx *c = &sp->ctx[0];
	return xasprintf("context %lld (source %s)\n%.*s", (long long)c->c.id,
			 c->c.source && c->c.source[0] ? c->c.source : "not recorded", c->c.len, c->c.text);
}

static const view_ops ctx_ops = {
	.kind = VIEW_CONTEXT,
	.copy = ctx_copy,
	.draw = sr_draw,
	.key = ctx_key,
	.row_text = sr_row_text,
	.selected = sr_selected,
	.free = sr_free,
};

void view_open_context(int64_t ctx)
{
	sr_priv *sp = xcalloc(1, sizeof *sp);
	sp->ctx = xcalloc(1, sizeof *sp->ctx);
	sr_ctx *c = &sp->ctx[0];
	if (index_context(tui.ix, ctx, &c->c) != 0) {
		free(sp->ctx);
		free(sp);
		tui_status(TC_ERROR, "context %lld is not in this index", (long long)ctx);
		return;
	}
	sp->nctx = 1;
	fs_ctx_feature *cf = NULL;
	int nf = index_context_features(tui.ix, ctx, 256, &cf);
	sp->tf = xcalloc((size_t)(nf > 0 ? nf : 0) + 1, sizeof *sp->tf);
	for (int i = 0; i < nf; i++) {
		float *acts = xcalloc((size_t)c->c.ntok + 1, sizeof *acts);
		if (index_example_acts(tui.ix, cf[i].fid, ctx, acts, c->c.ntok) != 0) {
			free(acts);
			continue;
		}
		sp->tf[sp->ntf++] = (sr_tokfeat){cf[i].fid, acts};
	}
	/* start on the strongest feature's strongest token */
	sp->tok = nf > 0 ? cf[0].max_pos : 0;
	c->top_fid = nf > 0 ? cf[0].fid : 0;
	free(cf);
	view *v = view_new(&ctx_ops, sp);
	snprintf(v->title, sizeof v->title, "context %lld", (long long)ctx);
	ctx_rows(v);
	view_push(v);
}

void view_open_search(const char *query)
{
	sr_priv *sp = xcalloc(1, sizeof *sp);
	snprintf(sp->query, sizeof sp->query, "%s", query);
	view *v = view_new(&sr_ops, sp);
	sr_run(v);
	view_clamp(v);
	view_push(v);
}

/*
 * view_matches.c: the contexts of one feature where a regex matched, from
 * the regex screen (Enter on a ranked feature), before its feature page:
 * each of the feature's stored examples whose text the pattern matches,
 * two lines per context: the numbers (the feature's strongest activation
 * there, its strongest on the matched tokens) and the text heat-coloured
 * by the feature's activation, centred on the first match, with the
 * matched characters marked on the line below. Enter opens the feature.
 */
#include "tui/draw.h"
#include "grep/grep.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_SPANS 64 /* matches kept per context */

/* One matched context. */
typedef struct {
	fs_context c;          /* its text and tokens */
	float *acts;           /* the feature's activation per token (c.ntok) */
	float max_act;         /* strongest activation on the context */
	float match_act;       /* strongest on a token the match overlaps */
	size_t spans[2 * MT_SPANS]; /* matched byte spans */
	int nspan;             /* count */
} mt_ctx;

/* The screen's state. */
typedef struct {
	int64_t fid;           /* the feature */
	mt_ctx *ctx;           /* matched contexts, in the examples' order */
	int n;                 /* count */
	int nexamples;         /* examples looked at */
	float max;             /* strongest activation of all, for the heat scale */
} mt_priv;

static int mt_in_span(const mt_ctx *m, size_t off)
{
	for (int k = 0; k < m->nspan; k++)
		if (off >= m->spans[2 * k] && off < m->spans[2 * k + 1])
			return 1;
	return 0;
}

/* Two screen lines per context: the cursor moves by context. */
static void mt_relayout(view *v)
{
	v->y = 2;
	int lines = LINES - 3 > 2 ? LINES - 3 : 2;
	v->h = lines / 2;
}

static void mt_draw(view *v)
{
	mt_priv *mp = v->priv;
	char name[64], lab[512] = "";
	int user = 0;
	fs_feature f;
	index_feature_name(tui.ix, mp->fid, name, sizeof name);
	if (index_feature(tui.ix, mp->fid, &f) == 0) {
		tui_label(f.id, f.label, lab, sizeof lab, &user);
		index_feature_free(&f);
	}
	int used = draw_printf(1, 0, v->w, TC_HEADER, 0, " %d of %d contexts match; feature %s ", mp->n,
			       mp->nexamples, name);
	draw_text(1, used, v->w - used, lab, user ? TC_USER : TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS);
	if (mp->n == 0)
		draw_text(v->y, 1, v->w - 1, "the pattern matches none of this feature's stored contexts; Enter opens the feature",
			  TC_DIM, DRAW_ELLIPSIS);
	for (int i = 0; i < v->h && v->top + i < mp->n; i++) {
		int64_t ri = v->top + i;
		mt_ctx *m = &mp->ctx[ri];
		int y = v->y + 2 * i, sel = ri == v->cur;
		char head[96];
		snprintf(head, sizeof head, "%c#%-6lld act %6.2f  on match %6.2f ", sel ? '>' : ' ',
			 (long long)m->c.id, m->max_act, m->match_act);
		int hw = draw_text(y, 0, v->w, head, sel ? TC_SELECT : TC_DIM, 0);
		int n;
		draw_cell *cells = draw_context_cells(m->c.text, (size_t)m->c.len, m->c.tok_off, m->c.ntok, m->acts, &n);
		int w = v->w - hw;
		/* centre on the first match */
		int first = 0;
		while (first < n && !mt_in_span(m, cells[first].g.off))
			first++;
		if (first >= n)
			first = 0;
		int s = first, acc = 0;
		while (s > 0 && acc + cells[s - 1].g.width <= w / 3) {
			acc += cells[s - 1].g.width;
			s--;
		}
		int end = w > 0 ? draw_cells(y, hw, w, cells, n, s, mp->max, 0) : s;
		/* the matched characters marked under the text */
		int col = 0;
		for (int k = s; k < end; k++) {
			if (mt_in_span(m, cells[k].g.off))
				for (int c = 0; c < cells[k].g.width; c++)
					draw_text(y + 1, hw + col + c, 1, "^", TC_MATCH, 0);
			col += cells[k].g.width;
		}
		free(cells);
	}
}

static int64_t mt_selected(view *v)
{
	return ((mt_priv *)v->priv)->fid;
}

static const char *mt_row_text(view *v, int64_t row, char *buf, size_t len)
{
	mt_priv *mp = v->priv;
	if (row < 0 || row >= mp->n)
		return NULL;
	snprintf(buf, len, "%.*s", mp->ctx[row].c.len, mp->ctx[row].c.text);
	return buf;
}

static void mt_free(view *v)
{
	mt_priv *mp = v->priv;
	for (int i = 0; i < mp->n; i++) {
		index_context_free(&mp->ctx[i].c);
		free(mp->ctx[i].acts);
	}
	free(mp->ctx);
	free(mp);
}

static const view_ops mt_ops = {
	.kind = VIEW_MATCHES,
	.draw = mt_draw,
	.row_text = mt_row_text,
	.selected = mt_selected,
	.relayout = mt_relayout,
	.free = mt_free,
};

void view_open_matches(int64_t fid, const char *pattern)
{
	char err[512];
	grep_pattern *p = grep_compile(pattern, 0, err, sizeof err);
	if (!p) {
		tui_status(TC_ERROR, "regex: %s", err);
		return;
	}
	mt_priv *mp = xcalloc(1, sizeof *mp);
	mp->fid = fid;
	fs_example *ex = NULL;
	int nex = index_examples(tui.ix, fid, &ex);
	mp->ctx = xcalloc((size_t)(nex > 0 ? nex : 0) + 1, sizeof *mp->ctx);
	for (int i = 0; i < nex; i++) {
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = ex[k].ctx == ex[i].ctx;
		if (dup)
			continue;
		mp->nexamples++;
		mt_ctx *m = &mp->ctx[mp->n];
		if (index_context(tui.ix, ex[i].ctx, &m->c) != 0)
			continue;
		m->nspan = grep_pattern_spans(p, m->c.text, (size_t)m->c.len, m->spans, MT_SPANS);
		if (m->nspan == 0) {
			index_context_free(&m->c);
			continue;
		}
		m->acts = xcalloc((size_t)m->c.ntok + 1, sizeof *m->acts);
		for (int t = 0; t < m->c.ntok && t < ex[i].ntok; t++)
			m->acts[t] = ex[i].acts[t];
		m->max_act = ex[i].max_act;
		for (int t = 0; t < m->c.ntok; t++) {
			size_t a = m->c.tok_off[t], b = m->c.tok_off[t + 1];
			for (int k = 0; k < m->nspan; k++)
				if (a < m->spans[2 * k + 1] && m->spans[2 * k] < b && m->acts[t] > m->match_act)
					m->match_act = m->acts[t];
		}
		if (m->max_act > mp->max)
			mp->max = m->max_act;
		mp->n++;
	}
	index_examples_free(ex, nex > 0 ? nex : 0);
	grep_pattern_free(p);
	view *v = view_new(&mt_ops, mp);
	char name[64];
	index_feature_name(tui.ix, fid, name, sizeof name);
	snprintf(v->title, sizeof v->title, "/%.120s/ in %s's contexts (Enter opens the feature)", pattern, name);
	v->nrows = mp->n;
	view_push(v);
}

/*
 * view_source.c: the text around a context, read from its source document
 * on this machine ('o' on the context screen; import/source.h says where a
 * source is looked for). The document's lines, wrapped to the screen,
 * numbered, tabs at every 8th column, the context's bytes marked; it opens
 * with the context a third of the way down. The title says what was read.
 */
#include "import/source.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One screen row: part of a document line. */
typedef struct {
	size_t off, len; /* its bytes in the document */
	int line;        /* the document line (1-based) */
	int cont;        /* 1 on a wrapped continuation */
	int col;         /* the line's column at off (for tab stops) */
} so_row;

/* The screen's state. */
typedef struct {
	fs_source_doc d; /* the document and where the context is */
	so_row *rows;    /* rows for the current width */
	int n, cap;      /* count, allocated */
	int numw;        /* columns of the line numbers */
	int64_t ctx;     /* the context's id */
	int built_w;     /* width the rows were made for */
} so_priv;

#define SO_TAB 8

/* Columns of the glyph at the document's pos, at column col. */
static size_t so_glyph(const so_priv *sp, size_t pos, int col, int *w)
{
	if (sp->d.text[pos] == '\t') {
		*w = SO_TAB - col % SO_TAB;
		return pos + 1;
	}
	draw_glyph g;
	size_t next = draw_glyph_next(sp->d.text, sp->d.len, pos, &g);
	*w = g.width;
	return next;
}

static void so_add(so_priv *sp, so_row r)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? 2 * sp->cap : 256;
		sp->rows = xrealloc(sp->rows, (size_t)sp->cap * sizeof *sp->rows);
	}
	sp->rows[sp->n++] = r;
}

/* Wrap every line into rows of at most w columns. */
static void so_build(so_priv *sp, int w)
{
	sp->n = 0;
	if (w < 8)
		w = 8;
	size_t pos = 0, len = sp->d.len;
	int line = 1;
	while (pos < len || (pos == len && sp->n == 0)) {
		const char *nl = memchr(sp->d.text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - sp->d.text) : len;
		size_t start = pos;
		int col = 0, first = 1;
		do {
			size_t p = start;
			int used = 0, lcol = col;
			while (p < end) {
				int gw;
				size_t q = so_glyph(sp, p, col, &gw);
				if (used + gw > w && used > 0)
					break;
				used += gw;
				col += gw;
				p = q;
			}
			so_add(sp, (so_row){start, p - start, line, !first, lcol});
			first = 0;
			start = p;
		} while (start < end);
		pos = end + 1;
		line++;
		if (!nl)
			break;
	}
	sp->built_w = w;
}

/* The row holding the document's byte at. */
static int so_row_of(const so_priv *sp, size_t at)
{
	for (int i = 0; i < sp->n; i++)
		if (at < sp->rows[i].off + sp->rows[i].len || (i + 1 < sp->n && at < sp->rows[i + 1].off))
			return i;
	return sp->n > 0 ? sp->n - 1 : 0;
}

static void so_relayout(view *v)
{
	so_priv *sp = v->priv;
	v->y = 2;
	v->h = LINES - 3 > 1 ? LINES - 3 : 1;
	int w = v->w - sp->numw - 1;
	if (w != sp->built_w) {
		size_t keep = v->cur >= 0 && v->cur < sp->n ? sp->rows[v->cur].off : sp->d.at;
		so_build(sp, w);
		v->nrows = sp->n;
		v->cur = so_row_of(sp, keep);
	}
}

/* Draw document bytes [a, b) at (y, x) from column col, in cls; returns x after. */
static int so_run(const so_priv *sp, int y, int x, int xmax, size_t a, size_t b, int *col, int cls)
{
	size_t p = a;
	while (p < b && x < xmax) {
		if (sp->d.text[p] == '\t') {
			int gw = SO_TAB - *col % SO_TAB;
			if (gw > xmax - x)
				gw = xmax - x;
			draw_fill(y, x, gw, cls);
			x += gw;
			*col += gw;
			p++;
			continue;
		}
		const char *tab = memchr(sp->d.text + p, '\t', b - p);
		size_t e = tab ? (size_t)(tab - sp->d.text) : b;
		char *s = xasprintf("%.*s", (int)(e - p), sp->d.text + p);
		int used = draw_text(y, x, xmax - x, s, cls, 0);
		free(s);
		x += used;
		*col += used;
		p = e;
	}
	return x;
}

static void so_draw(view *v)
{
	so_priv *sp = v->priv;
	size_t ca = sp->d.at, cb = sp->d.at + sp->d.n;
	/* (source_find opens only a document that holds the context) */
	draw_printf(1, 0, v->w, TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS,
		    " context %lld at line %d of %zu bytes (marked); %s", (long long)sp->ctx, sp->d.line,
		    sp->d.len, sp->d.where);
	for (int i = 0; i < v->h && v->top + i < sp->n; i++) {
		const so_row *r = &sp->rows[v->top + i];
		int y = v->y + i, sel = v->top + i == v->cur;
		if (r->cont)
			draw_fill(y, 0, sp->numw + 1, sel ? TC_SELECT : TC_DIM);
		else
			draw_printf(y, 0, sp->numw + 1, sel ? TC_SELECT : TC_DIM, DRAW_PAD, "%*d ", sp->numw, r->line);
		int x = sp->numw + 1, col = r->col;
		size_t a = r->off, b = r->off + r->len;
		/* before, inside and after the context */
		size_t m1 = a < ca ? (b < ca ? b : ca) : a;
		size_t m2 = sp->d.n ? (b < cb ? b : cb) : m1;
		if (m2 < m1)
			m2 = m1;
		x = so_run(sp, y, x, v->w, a, m1, &col, TC_NORMAL);
		x = so_run(sp, y, x, v->w, m1, m2, &col, TC_MATCH);
		x = so_run(sp, y, x, v->w, m2, b, &col, TC_NORMAL);
		/* a line break inside the context stays marked */
		if (sp->d.n && !r->cont && b >= ca && b < cb && x < v->w)
			draw_text(y, x++, 1, " ", TC_MATCH, 0);
		if (x < v->w)
			draw_fill(y, x, v->w - x, TC_NORMAL);
	}
}

static const char *so_row_text(view *v, int64_t row, char *buf, size_t len)
{
	so_priv *sp = v->priv;
	if (row < 0 || row >= sp->n)
		return NULL;
	snprintf(buf, len, "%.*s", (int)sp->rows[row].len, sp->d.text + sp->rows[row].off);
	return buf;
}

/* 'Y': the context's lines with five lines either side, and where from. */
static char *so_copy(view *v)
{
	so_priv *sp = v->priv;
	size_t a = sp->d.at, b = sp->d.at + sp->d.n;
	for (int k = 0; k < 6 && a > 0; k++) {
		a--;
		while (a > 0 && sp->d.text[a - 1] != '\n')
			a--;
	}
	for (int k = 0; k < 6 && b < sp->d.len; k++) {
		const char *nl = memchr(sp->d.text + b, '\n', sp->d.len - b);
		b = nl ? (size_t)(nl - sp->d.text) + 1 : sp->d.len;
	}
	return xasprintf("%s, line %d\n%.*s", sp->d.where, sp->d.line, (int)(b - a), sp->d.text + a);
}

static int64_t so_selected(view *v)
{
	(void)v;
	return 0;
}

static void so_free(view *v)
{
	so_priv *sp = v->priv;
	source_doc_free(&sp->d);
	free(sp->rows);
	free(sp);
}

static const view_ops so_ops = {
	.kind = VIEW_SOURCE,
	.draw = so_draw,
	.row_text = so_row_text,
	.selected = so_selected,
	.relayout = so_relayout,
	.copy = so_copy,
	.free = so_free,
};

void view_open_source(int64_t ctx)
{
	fs_context c;
	if (index_context(tui.ix, ctx, &c) != 0) {
		tui_status(TC_ERROR, "context %lld is not in this index", (long long)ctx);
		return;
	}
	so_priv *sp = xcalloc(1, sizeof *sp);
	char err[1024];
	if (source_find(c.source, index_path(tui.ix), NULL, c.text, (size_t)c.len, &sp->d, err, sizeof err) != 0) {
		tui_status(TC_ERROR, "%s", err);
		index_context_free(&c);
		free(sp);
		return;
	}
	sp->ctx = ctx;
	int lines = 1;
	for (size_t i = 0; i < sp->d.len; i++)
		lines += sp->d.text[i] == '\n';
	char num[24];
	sp->numw = snprintf(num, sizeof num, "%d", lines);
	view *v = view_new(&so_ops, sp);
	snprintf(v->title, sizeof v->title, "source of context %lld: %.200s", (long long)ctx, c.source);
	index_context_free(&c);
	view_push(v);
	/* the context a third of the way down */
	v->cur = so_row_of(sp, sp->d.at);
	v->top = v->cur - v->h / 3 > 0 ? v->cur - v->h / 3 : 0;
	view_clamp(v);
	tui_status(TC_NORMAL, "read %s", sp->d.where);
}

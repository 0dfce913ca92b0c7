/*
 * draw.c: decoding untrusted bytes into escaped, width-measured glyphs,
 * heat-coloured context cells, bar blocks, and clipped drawing on the
 * curses screen (see draw.h).
 */
#include "tui/draw.h"
#include "tui/term.h"
#include "core/escape.h"
#include "core/util.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode one printable code point at s[pos] without marks; returns its
 * byte length, 0 when the bytes there must be escaped: by the one rule of
 * core/escape.h, or because the locale cannot show the character. */
static int draw_printable(const char *s, size_t n, size_t pos, uint32_t *cp, int *w)
{
	char e[ESC_MAX];
	size_t l = escape_unit(s, n, pos, 0, e, cp);
	if (e[0])
		return 0;
	*w = *cp < 0x80 ? 1 : wcwidth((wchar_t)*cp);
	if (*w < 0)
		return 0;
	return (int)l;
}

size_t draw_glyph_next(const char *s, size_t n, size_t pos, draw_glyph *g)
{
	memset(g, 0, sizeof *g);
	g->off = pos;
	uint32_t cp = 0;
	int w = 0;
	int l = draw_printable(s, n, pos, &cp, &w);
	if (l == 0) {
		char e[ESC_MAX];
		g->len = escape_unit(s, n, pos, 0, e, &cp);
		if (e[0])
			snprintf(g->esc, sizeof g->esc, "%s", e);
		else /* valid, but not printable here */
			snprintf(g->esc, sizeof g->esc, "<U+%04X>", (unsigned)cp);
		g->width = (int)strlen(g->esc);
		return pos + g->len;
	}
	int k = 0;
	if (w == 0) {
		/* A mark with nothing to sit on: show it on a dotted circle. */
		g->wc[k++] = 0x25cc;
		w = 1;
	}
	g->wc[k++] = (wchar_t)cp;
	g->width = w;
	size_t p = pos + (size_t)l;
	while (p < n) {
		uint32_t m;
		int mw;
		int ml = draw_printable(s, n, p, &m, &mw);
		if (ml == 0 || mw != 0)
			break;
		if (k < 4)
			g->wc[k++] = (wchar_t)m;
		p += (size_t)ml;
	}
	g->len = p - pos;
	return p;
}

int draw_width(const char *s, size_t n)
{
	int w = 0;
	draw_glyph g;
	for (size_t p = 0; p < n;) {
		p = draw_glyph_next(s, n, p, &g);
		w += g.width;
	}
	return w;
}

draw_cell *draw_context_cells(const char *text, size_t len, const uint32_t *tok_off,
			      int ntok, const float *acts, int *ncells)
{
	size_t cap = len + 1;
	draw_cell *c = xmalloc(cap * sizeof *c);
	int n = 0, t = 0;
	for (size_t pos = 0; pos < len;) {
		draw_cell *cell = &c[n++];
		size_t next = draw_glyph_next(text, len, pos, &cell->g);
		cell->act = 0;
		cell->tok = -1;
		while (t < ntok && tok_off[t + 1] <= pos)
			t++;
		for (int u = t; u < ntok && tok_off[u] < next; u++) {
			if (tok_off[u + 1] <= pos)
				continue;
			if (cell->tok < 0)
				cell->tok = u;
			if (acts && acts[u] > cell->act)
				cell->act = acts[u];
		}
		pos = next;
	}
	*ncells = n;
	return c;
}

int draw_cell_of_token(const draw_cell *c, int n, const uint32_t *tok_off, int ntok, int tok)
{
	if (tok < 0 || tok >= ntok)
		return 0;
	size_t b = tok_off[tok];
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (c[mid].g.off <= b)
			lo = mid;
		else
			hi = mid - 1;
	}
	return n > 0 ? lo : 0;
}

int draw_heat_level(float act, float max)
{
	if (!(act > 0) || !(max > 0))
		return 0;
	float f = act / max;
	if (f > 1)
		f = 1;
	int l = 1 + (int)(f * (TERM_HEAT_LEVELS - 1));
	return l > TERM_HEAT_LEVELS - 1 ? TERM_HEAT_LEVELS - 1 : l;
}

wchar_t draw_block(double frac, int row, int rows)
{
	static const wchar_t blocks[9] = {L' ', 0x2581, 0x2582, 0x2583, 0x2584,
					  0x2585, 0x2586, 0x2587, 0x2588};
	if (!(frac > 0))
		return L' ';
	if (frac > 1)
		frac = 1;
	int eighths = (int)(frac * rows * 8 + 0.5);
	if (eighths < 1)
		eighths = 1; /* a non-empty bin is always visible */
	int fill = eighths - row * 8;
	if (fill <= 0)
		return L' ';
	return blocks[fill >= 8 ? 8 : fill];
}

/* Put one glyph at (y, x) in the current attributes. */
static void draw_glyph_at(int y, int x, const draw_glyph *g)
{
	if (g->esc[0])
		mvaddnstr(y, x, g->esc, -1);
	else
		mvaddnwstr(y, x, g->wc, -1);
}

int draw_text(int y, int x, int w, const char *s, int cls, int flags)
{
	if (w <= 0)
		return 0;
	size_t n = strlen(s);
	int limit = w;
	if ((flags & DRAW_ELLIPSIS) && draw_width(s, n) > w)
		limit = w - 1;
	int col = 0, cut = 0;
	draw_glyph g;
	term_set(cls);
	for (size_t p = 0; p < n;) {
		size_t next = draw_glyph_next(s, n, p, &g);
		if (col + g.width > limit) {
			cut = 1;
			break;
		}
		if (g.esc[0]) {
			term_set(TC_ESCAPE);
			draw_glyph_at(y, x + col, &g);
			term_set(cls);
		} else {
			draw_glyph_at(y, x + col, &g);
		}
		col += g.width;
		p = next;
	}
	if (cut && (flags & DRAW_ELLIPSIS) && col < w) {
		mvaddnwstr(y, x + col, L"\x2026", 1);
		col++;
	}
	if (flags & DRAW_PAD) {
		for (; col < w; col++)
			mvaddch(y, x + col, ' ');
	}
	return col;
}

int draw_printf(int y, int x, int w, int cls, int flags, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(y, x, w, buf, cls, flags);
}

void draw_fill(int y, int x, int w, int cls)
{
	term_set(cls);
	for (int i = 0; i < w; i++)
		mvaddch(y, x + i, ' ');
}

int draw_cells(int y, int x, int w, const draw_cell *c, int n, int from, float max, int tokens)
{
	int col = 0, i = from;
	for (; i < n; i++) {
		if (col + c[i].g.width > w)
			break;
		unsigned long extra = tokens && c[i].tok >= 0 && (c[i].tok & 1) ? A_UNDERLINE : 0;
		if (c[i].g.esc[0])
			term_set_x(TC_ESCAPE, extra);
		else
			term_set_heat(draw_heat_level(c[i].act, max), extra);
		draw_glyph_at(y, x + col, &c[i].g);
		col += c[i].g.width;
	}
	term_set(TC_NORMAL);
	return i;
}

int draw_legend(int y, int x, int w, float max)
{
	char hi[32];
	snprintf(hi, sizeof hi, " %.3g", max);
	int need = 2 + (TERM_HEAT_LEVELS - 1) * 2 + (int)strlen(hi);
	if (need > w)
		return 0;
	int col = draw_text(y, x, w, "0 ", TC_DIM, 0);
	for (int l = 1; l < TERM_HEAT_LEVELS; l++) {
		term_set_heat(l, 0);
		char d[3] = {term_mode() == TERM_256 ? ' ' : (char)('0' + l), ' ', 0};
		mvaddstr(y, x + col, d);
		col += 2;
	}
	col += draw_text(y, x + col, w - col, hi, TC_DIM, 0);
	return col;
}

char *draw_token_readable(const char *tok, size_t len)
{
	fs_buf b = {0};
	const unsigned char *p = (const unsigned char *)tok;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		int l = c >= 0x80 ? utf8_len(p + i, len - i) : 1;
		if (c == ' ')
			buf_printf(&b, "\xe2\x90\xa3");
		else if (c == '\t')
			buf_printf(&b, "\xe2\x87\xa5");
		else if (c == '\n')
			buf_printf(&b, "\xe2\x86\xb5");
		else if (c >= 0x80 && l == 0 && c >= 0xc2 && c <= 0xf4)
			buf_printf(&b, "<%02X..>", c);
		else if (c >= 0x80 && l == 0 && c < 0xc0)
			buf_printf(&b, "<..%02X>", c);
		else if (l > 1) {
			buf_add(&b, tok + i, (size_t)l);
			i += (size_t)l;
			continue;
		} else
			buf_addc(&b, (char)c);
		i++;
	}
	return b.p ? b.p : xstrdup("");
}

void draw_density(double d, char *out, size_t len)
{
	double pc = d * 100;
	if (d < 0 || isnan(d))
		snprintf(out, len, "-");
	else if (pc >= 0.01 || d == 0)
		snprintf(out, len, "%.2f%%", pc);
	else {
		int dec = 1 - (int)floor(log10(pc));
		snprintf(out, len, "%.*f%%", dec > 12 ? 12 : dec, pc);
	}
}

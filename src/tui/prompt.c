/*
 * prompt.c: the status-line editor (see prompt.h): UTF-8 aware cursor
 * movement and deletion, emacs-style kills, Tab completion to the longest
 * common prefix, and the interactive loop.
 */
#include "tui/prompt.h"
#include "tui/tui_int.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <string.h>

void prompt_set(prompt_line *l, const char *s)
{
	snprintf(l->buf, sizeof l->buf, "%s", s ? s : "");
	l->len = strlen(l->buf);
	/* Never leave half a character at the end of a cut-off string. */
	while (l->len && ((unsigned char)l->buf[l->len - 1] & 0xc0) == 0x80 &&
	       utf8_len((const unsigned char *)l->buf + l->len - 1, 1) == 0) {
		size_t s0 = l->len - 1;
		while (s0 && ((unsigned char)l->buf[s0] & 0xc0) == 0x80)
			s0--;
		if (utf8_len((const unsigned char *)l->buf + s0, l->len - s0) == (int)(l->len - s0))
			break;
		l->len = s0;
	}
	l->buf[l->len] = 0;
	l->cur = l->len;
}

/* Byte offset of the character before / after off. */
static size_t prompt_prev(const prompt_line *l, size_t off)
{
	if (off == 0)
		return 0;
	off--;
	while (off > 0 && ((unsigned char)l->buf[off] & 0xc0) == 0x80)
		off--;
	return off;
}

static size_t prompt_next(const prompt_line *l, size_t off)
{
	if (off >= l->len)
		return l->len;
	off++;
	while (off < l->len && ((unsigned char)l->buf[off] & 0xc0) == 0x80)
		off++;
	return off;
}

/* Remove bytes [a, b). */
static void prompt_cut(prompt_line *l, size_t a, size_t b)
{
	memmove(l->buf + a, l->buf + b, l->len - b + 1);
	l->len -= b - a;
	if (l->cur > b)
		l->cur -= b - a;
	else if (l->cur > a)
		l->cur = a;
}

int prompt_edit(prompt_line *l, int key)
{
	switch (key) {
	case KM_FKEY(KEY_LEFT):
	case KM_CTRL('b'):
		l->cur = prompt_prev(l, l->cur);
		return 0;
	case KM_FKEY(KEY_RIGHT):
	case KM_CTRL('f'):
		l->cur = prompt_next(l, l->cur);
		return 0;
	case KM_FKEY(KEY_HOME):
	case KM_CTRL('a'):
		l->cur = 0;
		return 0;
	case KM_FKEY(KEY_END):
	case KM_CTRL('e'):
		l->cur = l->len;
		return 0;
	case KM_FKEY(KEY_BACKSPACE):
	case 127:
	case 8:
		if (l->cur == 0)
			return 0;
		prompt_cut(l, prompt_prev(l, l->cur), l->cur);
		return 1;
	case KM_FKEY(KEY_DC):
	case KM_CTRL('d'):
		if (l->cur >= l->len)
			return 0;
		prompt_cut(l, l->cur, prompt_next(l, l->cur));
		return 1;
	case KM_CTRL('u'):
		if (l->cur == 0)
			return 0;
		prompt_cut(l, 0, l->cur);
		return 1;
	case KM_CTRL('k'):
		if (l->cur >= l->len)
			return 0;
		prompt_cut(l, l->cur, l->len);
		return 1;
	case KM_CTRL('w'): {
		size_t a = l->cur;
		while (a > 0 && l->buf[a - 1] == ' ')
			a--;
		while (a > 0 && l->buf[a - 1] != ' ')
			a--;
		if (a == l->cur)
			return 0;
		prompt_cut(l, a, l->cur);
		return 1;
	}
	default:
		break;
	}
	if (key < 32 || key == 127 || key >= 0x110000 || (key >= 0xd800 && key <= 0xdfff))
		return -1;
	char u[8];
	int n = utf8_encode((uint32_t)key, u);
	if (l->len + (size_t)n >= sizeof l->buf)
		return 0;
	memmove(l->buf + l->cur + n, l->buf + l->cur, l->len - l->cur + 1);
	memcpy(l->buf + l->cur, u, (size_t)n);
	l->len += (size_t)n;
	l->cur += (size_t)n;
	return 1;
}

int prompt_complete(prompt_line *l, prompt_complete_fn fn, void *ctx)
{
	const char *cand[64];
	char prefix[PROMPT_MAX];
	memcpy(prefix, l->buf, l->cur);
	prefix[l->cur] = 0;
	int n = fn(prefix, cand, 64, ctx);
	if (n <= 0)
		return 0;
	if (n > 64)
		n = 64;
	size_t common = strlen(cand[0]);
	for (int i = 1; i < n; i++) {
		size_t j = 0;
		while (j < common && cand[i][j] == cand[0][j])
			j++;
		common = j;
	}
	/* Keep the common part on a character boundary. */
	while (common > 0 && ((unsigned char)cand[0][common] & 0xc0) == 0x80)
		common--;
	if (common > l->cur) {
		char rest[PROMPT_MAX];
		snprintf(rest, sizeof rest, "%s", l->buf + l->cur);
		char nb[PROMPT_MAX];
		int w = snprintf(nb, sizeof nb, "%.*s%s%s", (int)common, cand[0],
				 n == 1 ? " " : "", rest);
		if (w > 0 && (size_t)w < sizeof nb) {
			size_t c = common + (n == 1 ? 1 : 0);
			prompt_set(l, nb);
			l->cur = c;
		}
	}
	return n;
}

/* Draw label and text on the last line, scrolled so the cursor shows. */
static void prompt_draw(const char *label, const prompt_line *l, const char *hint)
{
	int y = LINES - 1;
	draw_fill(y, 0, COLS, TC_NORMAL);
	int lw = draw_text(y, 0, COLS, label, TC_HEADER, 0);
	int avail = COLS - lw - 1;
	if (avail < 1)
		return;
	size_t start = 0;
	while (draw_width(l->buf + start, l->cur - start) > avail - 1 && start < l->cur) {
		size_t s = start + 1;
		while (s < l->cur && ((unsigned char)l->buf[s] & 0xc0) == 0x80)
			s++;
		start = s;
	}
	char shown[PROMPT_MAX];
	snprintf(shown, sizeof shown, "%.*s", (int)(l->cur - start), l->buf + start);
	int cw = draw_text(y, lw, avail, shown, TC_NORMAL, 0);
	/* The cursor cell, then the rest. */
	draw_glyph g;
	if (l->cur < l->len) {
		size_t nx = draw_glyph_next(l->buf, l->len, l->cur, &g);
		snprintf(shown, sizeof shown, "%.*s", (int)(nx - l->cur), l->buf + l->cur);
		int gw = draw_text(y, lw + cw, avail - cw, shown, TC_SELECT, 0);
		draw_text(y, lw + cw + gw, avail - cw - gw, l->buf + nx, TC_NORMAL, 0);
	} else {
		draw_text(y, lw + cw, 1, " ", TC_SELECT, 0);
	}
	if (hint && *hint) {
		int hw = draw_width(hint, strlen(hint));
		int used = lw + draw_width(l->buf + start, l->len - start) + 2;
		if (used + hw < COLS)
			draw_text(y, COLS - hw, hw, hint, TC_DIM, 0);
		else if (COLS - used > 8) /* as many candidates as fit, cut with '…' */
			draw_text(y, used, COLS - used, hint, TC_DIM, DRAW_ELLIPSIS);
	}
	term_set(TC_NORMAL);
	move(y, lw + cw);
	refresh();
}

/* The screen under the prompt has work it does in idle steps (the
 * list's filter read in steps while it is typed). */
static int prompt_busy(void)
{
	view *v = tui.top;
	return v && v->ops->stepped && v->ops->tick && v->ops->busy && v->ops->busy(v);
}

char *prompt_read(const char *label, const char *init, prompt_complete_fn complete,
		  void (*on_change)(const char *text, void *ctx), void *ctx)
{
	int ticked = 0; /* a headless run's one idle step before each key */
	prompt_line l;
	prompt_set(&l, init);
	char hint[1024] = "";
	tui.status[0] = 0;
	double tchange = 0; /* when a keystroke changed the text */
	for (;;) {
		tui_redraw();
		prompt_draw(label, &l, hint);
		hint[0] = 0;
		if (tchange > 0) /* its frame is finished (FEATSCOPE_TIMING) */
			tui_timing_prompt_key((fs_now() - tchange) * 1000);
		tchange = 0;
		/* idle steps of the screen below come while no key waits (a
		 * script's keys, like fast typing, get one step each) */
		if (term_headless() && !ticked && prompt_busy()) {
			ticked = 1;
			tui_timed_tick(tui.top);
			continue;
		}
		ticked = 0;
		int key;
		while ((key = term_getkey(prompt_busy() ? 1 : -1)) == -1 && prompt_busy())
			if (tui_timed_tick(tui.top) & VR_REDRAW)
				break; /* drawn again only when a step changed the screen */
		if (key == -2)
			return NULL;
		if (key == -1)
			continue;
		if (key == KM_FKEY(KEY_RESIZE)) {
			tui_resized();
			continue;
		}
		if (key == '\n' || key == '\r' || key == KM_FKEY(KEY_ENTER))
			return xstrdup(l.buf);
		if (key == KM_ESC || key == KM_CTRL('g') || key == KM_CTRL('c'))
			return NULL;
		if (key == '\t') {
			if (complete) {
				const char *cand[64];
				char prefix[PROMPT_MAX];
				int n = prompt_complete(&l, complete, ctx);
				if (n > 1) {
					memcpy(prefix, l.buf, l.cur);
					prefix[l.cur] = 0;
					n = complete(prefix, cand, 64, ctx);
					size_t hl = 0;
					if (n > 8) /* say how many when they cannot all show */
						hl = (size_t)snprintf(hint, sizeof hint, "%d%s: ", n, n >= 64 ? "+" : "");
					for (int i = 0; i < n && i < 64 && hl + 2 < sizeof hint; i++)
						hl += (size_t)snprintf(hint + hl, sizeof hint - hl, "%s%s",
								       i ? " " : "", cand[i]);
				}
			}
			continue;
		}
		double t0 = fs_now();
		if (prompt_edit(&l, key) == 1 && on_change) {
			on_change(l.buf, ctx);
			tchange = t0;
		}
	}
}

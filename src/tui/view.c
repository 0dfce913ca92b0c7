/*
 * view.c: the view stack: the table of screens, pushing and popping, the
 * frame (title bar, status line, "terminal too small"), and the list
 * movement and find that list screens share (see view.h). The open files
 * are tui_files.c's, the user's labels tui_labels.c's.
 */
#include "tui/view.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tui_state tui;

const view_info view_infos[VIEW_COUNT] = {
	[VIEW_GLOBAL] = {"global", "", "Everywhere"},
#define VIEW_ROW(id, name, title, section, params) [VIEW_##id] = {#name, title, section},
	VIEW_INFO(VIEW_ROW)
#undef VIEW_ROW
};

const char *view_scope(const view *v)
{
	return view_infos[v ? v->ops->kind : VIEW_GLOBAL].scope;
}

view *view_new(const view_ops *ops, void *priv)
{
	view *v = xcalloc(1, sizeof *v);
	v->ops = ops;
	v->priv = priv;
	v->file = tui.cur;
	snprintf(v->title, sizeof v->title, "%s", view_infos[ops->kind].title);
	view_layout(v);
	return v;
}

void view_layout(view *v)
{
	v->y = 1;
	v->x = 0;
	v->h = LINES - 2 > 1 ? LINES - 2 : 1;
	v->w = COLS > 1 ? COLS : 1;
	if (v->ops->relayout)
		v->ops->relayout(v);
	view_clamp(v);
}

void view_push(view *v)
{
	v->parent = tui.top;
	tui.top = v;
	tui_use_file(v->file);
	view_layout(v);
}

void view_pop(void)
{
	view *v = tui.top;
	if (!v)
		return;
	tui_use_file(v->file); /* what it frees is of its file */
	tui.top = v->parent;
	if (v->ops->free)
		v->ops->free(v);
	free(v);
	if (tui.top) {
		tui_use_file(tui.top->file);
		view_layout(tui.top);
	}
}

void view_clamp(view *v)
{
	if (v->nrows <= 0) {
		v->cur = v->top = 0;
		return;
	}
	if (v->cur >= v->nrows)
		v->cur = v->nrows - 1;
	if (v->cur < 0)
		v->cur = 0;
	if (v->cur < v->top)
		v->top = v->cur;
	if (v->cur >= v->top + v->h)
		v->top = v->cur - v->h + 1;
	if (v->top > v->nrows - v->h)
		v->top = v->nrows - v->h;
	if (v->top < 0)
		v->top = 0;
}

int view_move(view *v, int act)
{
	int64_t page = v->h > 1 ? v->h : 1;
	int64_t old = v->cur, oldtop = v->top;
	switch (act) {
	case ACT_UP: v->cur--; break;
	case ACT_DOWN: v->cur++; break;
	case ACT_PAGE_UP: v->cur -= page; v->top -= page; break;
	case ACT_PAGE_DOWN: v->cur += page; v->top += page; break;
	case ACT_HALF_UP: v->cur -= page / 2; v->top -= page / 2; break;
	case ACT_HALF_DOWN: v->cur += page / 2; v->top += page / 2; break;
	case ACT_FIRST: v->cur = 0; break;
	case ACT_LAST: v->cur = v->nrows - 1; break;
	default: return 0;
	}
	if (v->top < 0)
		v->top = 0;
	view_clamp(v);
	return VR_HANDLED | (old != v->cur || oldtop != v->top ? VR_REDRAW : 0);
}

int view_ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Case-insensitive ASCII substring test (UTF-8 bytes compare exactly).
 * view_ascii_ieq stops at the first difference, so it never reads past
 * hay's NUL (needle has none within its length). */
static int view_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (view_ascii_ieq(p, needle, n))
			return 1;
	return 0;
}

int view_find(view *v, const char *text, int dir)
{
	if (!v->ops->row_text || !*text || v->nrows <= 0)
		return 0;
	char buf[1024];
	int64_t limit = v->nrows < 50000 ? v->nrows : 50000; /* at most 50k rows a search */
	for (int64_t i = 1; i <= limit; i++) {
		int64_t r = v->cur + (dir > 0 ? i : -i);
		r = ((r % v->nrows) + v->nrows) % v->nrows;
		const char *t = v->ops->row_text(v, r, buf, sizeof buf);
		if (t && view_contains(t, text)) {
			v->cur = r;
			if (r < v->top || r >= v->top + v->h)
				v->top = r - v->h / 2;
			view_clamp(v);
			return 1;
		}
	}
	return 0;
}

void tui_status(int cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tui.status, sizeof tui.status, fmt, ap);
	va_end(ap);
	tui.status_cls = cls;
}

void tui_redraw(void)
{
	erase();
	if (COLS < TERM_MIN_COLS || LINES < TERM_MIN_LINES) {
		char msg[96];
		snprintf(msg, sizeof msg, "%dx%d, need %dx%d", COLS, LINES, TERM_MIN_COLS, TERM_MIN_LINES);
		int w = (int)strlen(msg), y = LINES / 2 > 0 ? LINES / 2 - 1 : 0;
		draw_text(y, COLS > 18 ? (COLS - 18) / 2 : 0, COLS, "terminal too small", TC_ERROR, 0);
		draw_text(y + 1, COLS > w ? (COLS - w) / 2 : 0, COLS, msg, TC_ERROR, 0);
		refresh();
		return;
	}
	view *v = tui.top;
	draw_fill(0, 0, COLS, TC_TITLE);
	int depth = 0;
	for (view *p = v; p; p = p->parent)
		depth++;
	/* Right side: the index file's name and the depth of the stack. */
	const char *base = strrchr(index_path(tui.ix), '/');
	base = base ? base + 1 : index_path(tui.ix);
	char right[96];
	if (COLS >= 60)
		snprintf(right, sizeof right, " %.40s [%d]", base, depth);
	else
		snprintf(right, sizeof right, " [%d]", depth);
	int rw = draw_width(right, strlen(right));
	if (v) {
		draw_text(0, 0, COLS - rw, " ", TC_TITLE, 0);
		draw_text(0, 1, COLS - rw - 1, v->title, TC_TITLE, DRAW_ELLIPSIS);
	}
	draw_text(0, COLS - rw, rw, right, TC_TITLE, 0);
	if (v)
		v->ops->draw(v);
	draw_fill(LINES - 1, 0, COLS, TC_STATUS);
	if (tui.status[0]) {
		draw_text(LINES - 1, 0, COLS, tui.status, tui.status_cls, DRAW_ELLIPSIS | DRAW_PAD);
	} else {
		char pos[64] = "";
		if (v && v->nrows > 0)
			snprintf(pos, sizeof pos, "%lld/%lld ", (long long)v->cur + 1, (long long)v->nrows);
		int pw = (int)strlen(pos);
		draw_text(LINES - 1, 0, COLS - pw, " ?:help q:back Q:quit ::command", TC_STATUS,
			  DRAW_ELLIPSIS);
		draw_text(LINES - 1, COLS - pw, pw, pos, TC_STATUS, 0);
	}
	term_set(TC_NORMAL);
	refresh();
}

void tui_resized(void)
{
	for (view *v = tui.top; v; v = v->parent)
		view_layout(v);
}

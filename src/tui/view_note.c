/*
 * view_note.c: the multi-line note editor for one feature. Every key
 * edits the text (arrows move, Enter breaks the line); the note is saved
 * through notes_put when the editor closes (Esc or Ctrl-X), on Ctrl-S,
 * and after a short pause in typing, so nothing typed is lost.
 */
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_IDLE_SAVE 1.0 /* seconds of no typing before saving */

/* The editor's state. */
typedef struct {
	int64_t fid;       /* the feature */
	fs_note note;      /* the note as loaded (other fields kept) */
	fs_buf text;       /* the text being edited */
	size_t cur;        /* cursor byte offset */
	int dirty;         /* changed since the last save */
	double last_edit;  /* fs_now() of the last change */
	int saves;         /* saves done (shown) */
} note_priv;

static void note_save(note_priv *np)
{
	if (!np->dirty)
		return;
	free(np->note.note);
	np->note.note = xstrndup(np->text.p ? np->text.p : "", np->text.len);
	if (tui_note_put(&np->note) != 0) {
		tui_status(TC_ERROR, "could not save the note");
		return;
	}
	np->dirty = 0;
	np->saves++;
}

/* Start of the line holding off, and its number. */
static size_t note_line_start(const note_priv *np, size_t off)
{
	while (off > 0 && np->text.p[off - 1] != '\n')
		off--;
	return off;
}

/* Characters (not bytes) between a and b. */
static int note_chars(const char *s, size_t a, size_t b)
{
	int n = 0;
	for (size_t i = a; i < b; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Offset of the col-th character of the line starting at ls. */
static size_t note_at_col(const note_priv *np, size_t ls, int col)
{
	size_t i = ls;
	while (i < np->text.len && np->text.p[i] != '\n' && col > 0) {
		i++;
		while (i < np->text.len && ((unsigned char)np->text.p[i] & 0xc0) == 0x80)
			i++;
		col--;
	}
	return i;
}

static void note_draw(view *v)
{
	note_priv *np = v->priv;
	draw_text(v->y, 1, v->w - 1, "Esc or Ctrl-X: save and close   Ctrl-S: save   (saved automatically while you type)",
		  TC_DIM, DRAW_ELLIPSIS);
	int y = v->y + 2, cy = -1, cx = 0;
	size_t ls = 0;
	const char *t = np->text.p ? np->text.p : "";
	int line = 0;
	/* Scroll so the cursor line is visible. */
	int curline = 0;
	for (size_t i = 0; i < np->cur; i++)
		curline += t[i] == '\n';
	int first = curline - (v->h - 4) + 1;
	if (first < 0)
		first = 0;
	for (;;) {
		size_t le = ls;
		while (le < np->text.len && t[le] != '\n')
			le++;
		if (line >= first && y < v->y + v->h) {
			char *s = xstrndup(t + ls, le - ls);
			draw_text(y, 2, v->w - 3, s, TC_NORMAL, 0);
			free(s);
			if (np->cur >= ls && np->cur <= le) {
				cy = y;
				cx = 2 + draw_width(t + ls, np->cur - ls);
			}
			y++;
		}
		line++;
		if (le >= np->text.len)
			break;
		ls = le + 1;
	}
	if (cy >= 0 && cx < v->w) {
		term_set(TC_SELECT);
		chtype under = ' ';
		(void)under;
		draw_glyph g;
		if (np->cur < np->text.len && t[np->cur] != '\n') {
			draw_glyph_next(t, np->text.len, np->cur, &g);
			char one[16];
			size_t l = g.len < 15 ? g.len : 15;
			memcpy(one, t + np->cur, l);
			one[l] = 0;
			draw_text(cy, cx, v->w - cx, one, TC_SELECT, 0);
		} else {
			mvaddch(cy, cx, ' ');
		}
		term_set(TC_NORMAL);
	}
}

static int note_key(view *v, int act, int key)
{
	note_priv *np = v->priv;
	(void)act;
	if (key == KM_ESC || key == KM_CTRL('x')) {
		note_save(np);
		if (np->saves)
			tui_status(TC_STATUS, "note saved");
		return VR_POP;
	}
	if (key == KM_CTRL('s')) {
		note_save(np);
		tui_status(TC_STATUS, "note saved");
		return VR_HANDLED | VR_REDRAW;
	}
	const char *t = np->text.p ? np->text.p : "";
	size_t ls = note_line_start(np, np->cur);
	if (key == KM_FKEY(KEY_UP) || key == KM_FKEY(KEY_DOWN)) {
		int col = note_chars(t, ls, np->cur);
		if (key == KM_FKEY(KEY_UP)) {
			if (ls > 0)
				np->cur = note_at_col(np, note_line_start(np, ls - 1), col);
		} else {
			size_t le = ls;
			while (le < np->text.len && t[le] != '\n')
				le++;
			if (le < np->text.len)
				np->cur = note_at_col(np, le + 1, col);
		}
		return VR_HANDLED | VR_REDRAW;
	}
	if (key == '\n') {
		key = '\n';
	} else {
		/* Other editing keys: reuse the line editor on the text. */
		if (key == KM_FKEY(KEY_HOME) || key == KM_CTRL('a')) {
			np->cur = ls;
			return VR_HANDLED | VR_REDRAW;
		}
		if (key == KM_FKEY(KEY_END) || key == KM_CTRL('e')) {
			while (np->cur < np->text.len && t[np->cur] != '\n')
				np->cur++;
			return VR_HANDLED | VR_REDRAW;
		}
		if (key == KM_FKEY(KEY_LEFT)) {
			if (np->cur > 0) {
				np->cur--;
				while (np->cur > 0 && ((unsigned char)t[np->cur] & 0xc0) == 0x80)
					np->cur--;
			}
			return VR_HANDLED | VR_REDRAW;
		}
		if (key == KM_FKEY(KEY_RIGHT)) {
			if (np->cur < np->text.len) {
				np->cur++;
				while (np->cur < np->text.len && ((unsigned char)t[np->cur] & 0xc0) == 0x80)
					np->cur++;
			}
			return VR_HANDLED | VR_REDRAW;
		}
		if (key == KM_FKEY(KEY_BACKSPACE) || key == 127 || key == 8) {
			if (np->cur == 0)
				return VR_HANDLED;
			size_t a = np->cur - 1;
			while (a > 0 && ((unsigned char)t[a] & 0xc0) == 0x80)
				a--;
			memmove(np->text.p + a, np->text.p + np->cur, np->text.len - np->cur + 1);
			np->text.len -= np->cur - a;
			np->cur = a;
			np->dirty = 1;
			np->last_edit = fs_now();
			return VR_HANDLED | VR_REDRAW;
		}
		if (key < 32 || key >= 0x110000 || (key >= 0xd800 && key <= 0xdfff))
			return VR_HANDLED; /* swallow other keys: this is a text editor */
	}
	char u[8];
	int n = key == '\n' ? (u[0] = '\n', 1) : utf8_encode((uint32_t)key, u);
	buf_reserve(&np->text, (size_t)n + 1);
	memmove(np->text.p + np->cur + n, np->text.p + np->cur, np->text.len - np->cur);
	memcpy(np->text.p + np->cur, u, (size_t)n);
	np->text.len += (size_t)n;
	np->text.p[np->text.len] = 0;
	np->cur += (size_t)n;
	np->dirty = 1;
	np->last_edit = fs_now();
	return VR_HANDLED | VR_REDRAW;
}

static int note_tick(view *v)
{
	note_priv *np = v->priv;
	if (np->dirty && fs_now() - np->last_edit >= NOTE_IDLE_SAVE) {
		note_save(np);
		tui_status(TC_STATUS, "note saved");
		return VR_REDRAW;
	}
	return 0;
}

static int64_t note_selected(view *v)
{
	return ((note_priv *)v->priv)->fid;
}

static void note_view_free(view *v)
{
	note_priv *np = v->priv;
	note_save(np);
	tui_note_free(&np->note);
	buf_free(&np->text);
	free(np);
}

static const view_ops note_ops = {
	.kind = VIEW_NOTE,
	.draw = note_draw,
	.key = note_key,
	.tick = note_tick,
	.selected = note_selected,
	.free = note_view_free,
};

void view_open_note(int64_t fid)
{
	note_priv *np = xcalloc(1, sizeof *np);
	np->fid = fid;
	tui_note_get(fid, &np->note);
	buf_adds(&np->text, np->note.note ? np->note.note : "");
	buf_reserve(&np->text, 1);
	np->text.p[np->text.len] = 0;
	np->cur = np->text.len;
	char name[64];
	index_feature_name(tui.ix, fid, name, sizeof name);
	view *v = view_new(&note_ops, np);
	snprintf(v->title, sizeof v->title, "note on %s", name);
	view_push(v);
}

/*
 * view.c: the view stack, the frame (title bar, status line, "terminal too
 * small"), list movement and find shared by list screens, and the notes
 * helpers every screen uses to show the user's labels (see view.h).
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

void tui_use_file(tui_file *f)
{
	if (!f)
		return;
	tui.cur = f;
	tui.ix = f->ix;
	tui.notes = f->notes;
}

void view_set_file(view *v, tui_file *f)
{
	v->file = f;
	if (v == tui.top)
		tui_use_file(f);
}

tui_file *tui_file_find(const char *name, size_t len)
{
	for (int i = 0; i < tui.nfiles; i++) {
		tui_file *f = &tui.files[i];
		const char *base = strrchr(f->path, '/');
		base = base ? base + 1 : f->path;
		const char *dot = strrchr(base, '.');
		size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
		if ((strlen(f->name) == len && !strncmp(f->name, name, len)) ||
		    (strlen(f->path) == len && !strncmp(f->path, name, len)) ||
		    (strlen(base) == len && !strncmp(base, name, len)) || (stem == len && !strncmp(base, name, len)))
			return f;
	}
	return NULL;
}

const char *tui_file_ref(const char *ref, tui_file **f)
{
	*f = tui.cur;
	/* the longest FILE: prefix that names a file (a path may hold ':') */
	for (const char *c = ref + strlen(ref); c > ref; c--) {
		if (c[-1] != ':')
			continue;
		tui_file *g = tui_file_find(ref, (size_t)(c - 1 - ref));
		if (g) {
			*f = g;
			return c;
		}
	}
	return ref;
}

const char *tui_sae_name(const tui_file *f, const char *sae, char *buf, size_t len)
{
	if (tui.nfiles > 1 && f)
		snprintf(buf, len, "%s:%s", f->name, sae);
	else
		snprintf(buf, len, "%s", sae);
	return buf;
}

int tui_next_dict(tui_file **f, int *sae, int with_all)
{
	/* the switcher's entries in order: (file, dictionary id or 0 for all) */
	int n = 0, at = -1;
	for (int i = 0; i < tui.nfiles; i++) {
		int k = index_n_saes(tui.files[i].ix);
		for (int j = 0; j <= k; j++) {
			int id = j < k ? index_sae(tui.files[i].ix, j)->id : 0;
			if (j == k && (!with_all || k < 2))
				continue;
			if (&tui.files[i] == *f && id == *sae)
				at = n;
			n++;
		}
	}
	int want = n ? (at + 1) % n : 0;
	for (int i = 0, e = 0; i < tui.nfiles; i++) {
		int k = index_n_saes(tui.files[i].ix);
		for (int j = 0; j <= k; j++) {
			int id = j < k ? index_sae(tui.files[i].ix, j)->id : 0;
			if (j == k && (!with_all || k < 2))
				continue;
			if (e++ == want) {
				*f = &tui.files[i];
				*sae = id;
				return n;
			}
		}
	}
	return n;
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

/* The notes key of a feature: "SAE/N" with the dictionary's name. */
static int tui_note_key(int64_t fid, char *out, size_t len)
{
	fs_feature f;
	if (index_feature(tui.ix, fid, &f) != 0)
		return -1;
	const fs_sae *s = index_sae_by_id(tui.ix, f.sae);
	snprintf(out, len, "%s/%lld", s ? s->name : "?", (long long)f.idx);
	index_feature_free(&f);
	return 0;
}

const char *tui_label_feature(const fs_feature *f, char *buf, size_t len, int *user)
{
	return tui_label_feature_in(tui.cur, f, buf, len, user);
}

const char *tui_label_feature_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len, int *user)
{
	*user = 0;
	if (fl && fl->notes) {
		const fs_sae *s = index_sae_by_id(fl->ix, f->sae);
		char key[160];
		fs_note n;
		memset(&n, 0, sizeof n);
		snprintf(key, sizeof key, "%s/%lld", s ? s->name : "?", (long long)f->idx);
		if (notes_get(fl->notes, key, &n) == 0 && n.label && n.label[0]) {
			snprintf(buf, len, "%s", n.label);
			*user = 1;
		}
		tui_note_free(&n);
		if (*user)
			return buf;
	}
	snprintf(buf, len, "%s", f->label ? f->label : "");
	return buf;
}

const char *tui_feature_text_of(const fs_feature *f, char *buf, size_t len)
{
	return tui_feature_text_in(tui.cur, f, buf, len);
}

const char *tui_feature_text_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len)
{
	char name[64], lab[512];
	int user;
	index_feature_name(fl->ix, f->id, name, sizeof name);
	snprintf(buf, len, "%s %s", name, tui_label_feature_in(fl, f, lab, sizeof lab, &user));
	return buf;
}

const char *tui_feature_text(int64_t fid, char *buf, size_t len)
{
	fs_feature f;
	if (index_feature(tui.ix, fid, &f) != 0)
		return NULL;
	tui_feature_text_of(&f, buf, len);
	index_feature_free(&f);
	return buf;
}

int tui_note_get(int64_t fid, fs_note *out)
{
	memset(out, 0, sizeof *out);
	char key[160];
	if (!tui.notes || tui_note_key(fid, key, sizeof key) < 0)
		return -1;
	int r = notes_get(tui.notes, key, out);
	if (r >= 0 && !out->key)
		out->key = xstrdup(key);
	return r;
}

void tui_user_labels_sync(void)
{
	if (!tui.notes)
		return;
	char **keys = NULL;
	int nk = notes_keys(tui.notes, &keys);
	int n = 0;
	int64_t *fids = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *fids);
	char **labels = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *labels);
	char **tags = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *tags);
	for (int i = 0; i < nk; i++) {
		fs_note note;
		char err[256];
		int64_t fid = index_resolve(tui.ix, keys[i], err, sizeof err);
		if (fid < 0 || notes_get(tui.notes, keys[i], &note) != 0)
			continue;
		if ((note.label && note.label[0]) || (note.tags && note.tags[0])) {
			fids[n] = fid;
			labels[n] = xstrdup(note.label ? note.label : "");
			tags[n] = xstrdup(note.tags ? note.tags : "");
			n++;
		}
		notes_note_free(&note);
	}
	index_set_user_labels(tui.ix, n, fids, (const char *const *)labels, (const char *const *)tags);
	notes_strv_free(labels, n);
	notes_strv_free(tags, n);
	free(fids);
	notes_strv_free(keys, nk > 0 ? nk : 0);
}

int tui_note_put(const fs_note *n)
{
	if (!tui.notes)
		return -1;
	int r = notes_put(tui.notes, n);
	if (r == 0)
		tui_user_labels_sync();
	return r;
}

int tui_note_merge(const fs_note *base, const fs_note *mine, fs_note *stored)
{
	if (stored)
		memset(stored, 0, sizeof *stored);
	if (!tui.notes)
		return -1;
	int r = notes_merge(tui.notes, base, mine, stored);
	if (r == 0)
		tui_user_labels_sync();
	return r;
}

void tui_note_free(fs_note *n)
{
	notes_note_free(n);
	memset(n, 0, sizeof *n);
}

const char *tui_label(int64_t fid, const char *auto_label, char *buf, size_t len, int *user)
{
	*user = 0;
	if (tui.notes) {
		fs_note n;
		if (tui_note_get(fid, &n) == 0 && n.label && n.label[0]) {
			snprintf(buf, len, "%s", n.label);
			*user = 1;
		}
		tui_note_free(&n);
		if (*user)
			return buf;
	}
	snprintf(buf, len, "%s", auto_label ? auto_label : "");
	return buf;
}

int tui_goto(const char *name)
{
	char err[256];
	while (*name == ' ')
		name++;
	if (*name == '#' && strchr(name, ':'))
		name++; /* "#FILE:SAE/N", as the '#' key's prompt reads */
	tui_file *f;
	const char *rest = tui_file_ref(name, &f);
	int64_t fid = index_resolve(f->ix, rest, err, sizeof err);
	if (fid < 0) {
		tui_status(TC_ERROR, "%s", err);
		return -1;
	}
	tui_use_file(f);
	view_open_feature(fid);
	return 0;
}

void tui_resized(void)
{
	for (view *v = tui.top; v; v = v->parent)
		view_layout(v);
}

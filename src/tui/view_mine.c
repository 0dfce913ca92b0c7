/*
 * view_mine.c: your own work in one screen: bookmarked features, features
 * with a label, note or tags of yours, and each of your named lists with
 * its members (from the notes database). Enter opens a feature; '-'
 * removes the feature under the cursor from the list it is shown under;
 * '+' (everywhere) adds the selected feature to a list. The screen is
 * rebuilt whenever it is drawn after a change to the notes.
 */
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row: a heading (fid 0) or a feature, with the list it is under. */
typedef struct {
	int64_t fid;       /* feature, 0 for a heading */
	char *text;        /* heading text, or the feature's key */
	char *list;        /* the list the feature row is under, NULL none */
} mine_row;

/* The screen's state. */
typedef struct {
	mine_row *rows;    /* rows */
	int n, cap;        /* count, capacity */
} mine_priv;

static void mine_add(mine_priv *mp, int64_t fid, char *text, const char *list)
{
	if (mp->n == mp->cap) {
		mp->cap = mp->cap ? mp->cap * 2 : 64;
		mp->rows = xrealloc(mp->rows, (size_t)mp->cap * sizeof *mp->rows);
	}
	mp->rows[mp->n++] = (mine_row){fid, text, list ? xstrdup(list) : NULL};
}

static void mine_clear(mine_priv *mp)
{
	for (int i = 0; i < mp->n; i++) {
		free(mp->rows[i].text);
		free(mp->rows[i].list);
	}
	mp->n = 0;
}

/* Rows of the keys, each a feature when the index has it. */
static void mine_keys(mine_priv *mp, char **keys, int n, const char *list)
{
	for (int i = 0; i < n; i++) {
		char err[256];
		int64_t fid = index_resolve(tui.ix, keys[i], err, sizeof err);
		if (fid > 0)
			mine_add(mp, fid, xstrdup(keys[i]), list);
	}
}

static void mine_build(view *v)
{
	mine_priv *mp = v->priv;
	mine_clear(mp);
	if (!tui.notes) {
		mine_add(mp, 0, xstrdup("no notes database: nothing of yours to show"), NULL);
		v->nrows = mp->n;
		return;
	}
	char **keys = NULL;
	int nk = notes_keys(tui.notes, &keys);
	if (nk < 0)
		nk = 0;
	char **bm = xcalloc((size_t)nk + 1, sizeof *bm), **noted = xcalloc((size_t)nk + 1, sizeof *noted);
	int nb = 0, nn = 0;
	for (int i = 0; i < nk; i++) {
		fs_note note;
		if (notes_get(tui.notes, keys[i], &note) != 0)
			continue;
		if (note.bookmark)
			bm[nb++] = keys[i];
		if ((note.label && note.label[0]) || (note.note && note.note[0]) || (note.tags && note.tags[0]))
			noted[nn++] = keys[i];
		notes_note_free(&note);
	}
	mine_add(mp, 0, xasprintf("bookmarks (%d)", nb), NULL);
	mine_keys(mp, bm, nb, NULL);
	mine_add(mp, 0, xasprintf("with your label, note or tags (%d)", nn), NULL);
	mine_keys(mp, noted, nn, NULL);
	free(bm);
	free(noted);
	notes_strv_free(keys, nk);
	char **lists = NULL;
	int nl = notes_list_names(tui.notes, &lists);
	for (int i = 0; i < nl; i++) {
		char **mem = NULL;
		int nm = notes_list_members(tui.notes, lists[i], &mem);
		char *desc = notes_list_description(tui.notes, lists[i]);
		mine_add(mp, 0, xasprintf("list %s%s%s (%d)", lists[i], desc && desc[0] ? ": " : "", desc ? desc : "",
					  nm > 0 ? nm : 0), NULL);
		free(desc);
		mine_keys(mp, mem, nm, lists[i]);
		notes_strv_free(mem, nm > 0 ? nm : 0);
	}
	if (nl <= 0)
		mine_add(mp, 0, xstrdup("no lists yet ('+' adds the selected feature to one)"), NULL);
	notes_strv_free(lists, nl > 0 ? nl : 0);
	v->nrows = mp->n;
	view_clamp(v);
}

static void mine_draw(view *v)
{
	mine_priv *mp = v->priv;
	mine_build(v); /* cheap, and fresh after every save */
	for (int i = 0; i < v->h && v->top + i < mp->n; i++) {
		int64_t ri = v->top + i;
		mine_row *r = &mp->rows[ri];
		int y = v->y + i, sel = ri == v->cur, cls = sel ? TC_SELECT : TC_NORMAL;
		if (sel)
			draw_fill(y, 0, v->w, cls);
		if (!r->fid) {
			draw_text(y, 0, v->w, r->text, sel ? TC_SELECT : TC_HEADER, DRAW_ELLIPSIS);
			continue;
		}
		char name[64], lab[512] = "";
		int user = 0;
		fs_feature f;
		index_feature_name(tui.ix, r->fid, name, sizeof name);
		if (index_feature(tui.ix, r->fid, &f) == 0) {
			tui_label_feature(&f, lab, sizeof lab, &user);
			index_feature_free(&f);
		}
		int used = draw_printf(y, 0, v->w, cls, 0, "  %-12s ", name);
		draw_text(y, used, v->w - used, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL, DRAW_ELLIPSIS);
	}
}

static const char *mine_row_text(view *v, int64_t row, char *buf, size_t len)
{
	mine_priv *mp = v->priv;
	if (row < 0 || row >= mp->n)
		return NULL;
	return mp->rows[row].fid ? tui_feature_text(mp->rows[row].fid, buf, len) : mp->rows[row].text;
}

static int64_t mine_selected(view *v)
{
	mine_priv *mp = v->priv;
	return v->cur < mp->n ? mp->rows[v->cur].fid : 0;
}

static int mine_key(view *v, int act, int key)
{
	mine_priv *mp = v->priv;
	(void)key;
	if (act == ACT_LIST_REMOVE) {
		mine_row *r = v->cur < mp->n ? &mp->rows[v->cur] : NULL;
		if (!r || !r->fid || !r->list) {
			tui_status(TC_ERROR, "not on a list member");
			return VR_HANDLED;
		}
		if (notes_list_remove(tui.notes, r->list, r->text) != 0)
			tui_status(TC_ERROR, "could not remove %s from %s", r->text, r->list);
		else
			tui_status(TC_STATUS, "%s removed from list %s", r->text, r->list);
		mine_build(v);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static void mine_free(view *v)
{
	mine_priv *mp = v->priv;
	mine_clear(mp);
	free(mp->rows);
	free(mp);
}

static const view_ops mine_ops = {
	.kind = VIEW_MINE,
	.draw = mine_draw,
	.key = mine_key,
	.row_text = mine_row_text,
	.selected = mine_selected,
	.free = mine_free,
};

void view_open_mine(void)
{
	mine_priv *mp = xcalloc(1, sizeof *mp);
	view *v = view_new(&mine_ops, mp);
	mine_build(v);
	/* start on the first feature */
	while (v->cur < mp->n && !mp->rows[v->cur].fid)
		v->cur++;
	if (v->cur >= mp->n)
		v->cur = 0;
	view_push(v);
}

/*
 * view_neighbours.c: a feature's nearest features by decoder cosine, in
 * its own dictionary or (with 'd') in the others, with cosine bars and
 * labels; Enter opens one. The list is the engine's (compare/nearest.h):
 * the stored lists, or more computed from the stored decoders; a cosine
 * under the dictionary's random baseline is dimmed and marked '<'.
 */
#include "compare/nearest.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_K 100 /* neighbours asked for */

/* The neighbours view's state. */
typedef struct {
	int64_t fid;        /* the feature whose neighbours these are */
	int other;          /* dictionary searched, 0 = its own */
	fs_neighbour *nb;   /* neighbours, nearest first */
	int n;              /* count */
	float base;         /* the searched dictionary's random baseline, NaN when unknown */
} nb_priv;

static void nb_load(view *v)
{
	nb_priv *np = v->priv;
	free(np->nb);
	np->nb = NULL;
	np->n = 0;
	np->base = NAN;
	cmp_nearest r;
	char err[256];
	if (cmp_nearest_find(tui.ix, np->fid, np->other, NB_K, &r, err, sizeof err) == 0) {
		np->nb = r.v;
		np->n = r.n;
		np->base = r.baseline;
	} else {
		tui_status(TC_ERROR, "%s", err);
	}
	v->nrows = np->n;
	v->cur = v->top = 0;
	char name[64];
	index_feature_name(tui.ix, np->fid, name, sizeof name);
	const fs_sae *s = np->other ? index_sae_by_id(tui.ix, np->other) : NULL;
	if (isnan(np->base))
		snprintf(v->title, sizeof v->title, "neighbours of %s in %s", name, s ? s->name : "its dictionary");
	else
		snprintf(v->title, sizeof v->title, "neighbours of %s in %s (baseline %.3f)", name,
			 s ? s->name : "its dictionary", np->base);
}

static void nb_relayout(view *v)
{
	v->y = 2;
	v->h = LINES - 3 > 1 ? LINES - 3 : 1;
}

static void nb_draw(view *v)
{
	nb_priv *np = v->priv;
	draw_text(1, 0, v->w,
		  isnan(np->base) ? " cosine            feature    label"
				  : " cosine            feature    label  (<: under the dictionary's random baseline)",
		  TC_HEADER, DRAW_PAD);
	if (np->n == 0) {
		draw_text(v->y, 1, v->w - 1, "no neighbours stored for this dictionary (build with --decoder)",
			  TC_DIM, 0);
		return;
	}
	for (int i = 0; i < v->h && v->top + i < np->n; i++) {
		int64_t r = v->top + i;
		fs_neighbour *n = &np->nb[r];
		int sel = r == v->cur, y = v->y + i;
		int cls = sel ? TC_SELECT : TC_NORMAL;
		draw_fill(y, 0, v->w, cls);
		int under = !isnan(np->base) && n->cosine < np->base;
		draw_printf(y, 1, 7, sel ? cls : under ? TC_DIM : cls, 0, "%6.3f%s", n->cosine, under ? "<" : "");
		/* A bar of ten eighth-blocks for the cosine. */
		term_set(sel ? TC_SELECT : TC_BAR);
		double c = n->cosine < 0 ? 0 : n->cosine > 1 ? 1 : n->cosine;
		for (int k = 0; k < 10; k++) {
			double part = c * 10 - k;
			int e = part >= 1 ? 8 : part > 0 ? (int)(part * 8) : -1;
			if (e == 0)
				e = 1; /* a sliver still shows */
			wchar_t wc[2] = {e < 0 ? L' ' : (wchar_t)(0x2590 - e), 0};
			mvaddnwstr(y, 8 + k, wc, 1);
		}
		fs_feature f;
		char name[64], lab[512];
		index_feature_name(tui.ix, n->fid, name, sizeof name);
		draw_printf(y, 19, 11, cls, 0, "%-10s", name);
		if (index_feature(tui.ix, n->fid, &f) == 0) {
			int user;
			tui_label(n->fid, f.label, lab, sizeof lab, &user);
			draw_text(y, 30, v->w - 30, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL,
				  DRAW_ELLIPSIS);
			index_feature_free(&f);
		}
	}
}

static const char *nb_row_text(view *v, int64_t row, char *buf, size_t len)
{
	nb_priv *np = v->priv;
	return row >= 0 && row < np->n ? tui_feature_text(np->nb[row].fid, buf, len) : NULL;
}

static int64_t nb_selected(view *v)
{
	nb_priv *np = v->priv;
	return v->cur < np->n ? np->nb[v->cur].fid : 0;
}

static int nb_key(view *v, int act, int key)
{
	nb_priv *np = v->priv;
	(void)key;
	if (act == ACT_OTHER_DICT) {
		int n = index_n_saes(tui.ix);
		if (n <= 1) {
			tui_status(TC_STATUS, "this index has one dictionary");
			return VR_HANDLED;
		}
		/* Cycle: own (0), then each other dictionary in turn. */
		fs_feature f;
		int own = 0;
		if (index_feature(tui.ix, np->fid, &f) == 0) {
			own = f.sae;
			index_feature_free(&f);
		}
		int idx = -1;
		for (int i = 0; i < n; i++)
			if (index_sae(tui.ix, i)->id == np->other)
				idx = i;
		np->other = 0;
		for (int i = idx + 1; i < n; i++)
			if (index_sae(tui.ix, i)->id != own) {
				np->other = index_sae(tui.ix, i)->id;
				break;
			}
		nb_load(v);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static void nb_free(view *v)
{
	nb_priv *np = v->priv;
	free(np->nb);
	free(np);
}

static const view_ops nb_ops = {
	.kind = VIEW_NEIGHBOURS,
	.draw = nb_draw,
	.key = nb_key,
	.row_text = nb_row_text,
	.selected = nb_selected,
	.relayout = nb_relayout,
	.free = nb_free,
};

void view_open_neighbours(int64_t fid)
{
	nb_priv *np = xcalloc(1, sizeof *np);
	np->fid = fid;
	view *v = view_new(&nb_ops, np);
	nb_load(v);
	view_layout(v);
	view_push(v);
}

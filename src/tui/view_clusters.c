/*
 * view_clusters.c: the concept tree as an expandable outline, like ncdu or
 * a file manager: node sizes with a bar relative to the whole dictionary,
 * node ids (as `featscope clusters INDEX NODE` takes them), labels,
 * Right/l/Enter expand a node (its child nodes, then its features),
 * Left/h collapse or go to the parent, Enter on a feature opens it.
 * Opened from a feature ('c' on it), the tree opens down to the
 * feature's node with the cursor on the feature.
 */
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CL_DICT, CL_NODE, CL_FEATURE };

/* One visible row of the outline. */
typedef struct {
	int kind;          /* CL_DICT, CL_NODE or CL_FEATURE */
	int64_t id;        /* dictionary id, node id or fid */
	int depth;         /* indentation */
	int64_t size;      /* features below (nodes and dictionaries) */
	int64_t psize;     /* the whole dictionary's size, for the bar */
	int open;          /* expanded */
	char *label;       /* label shown */
} cl_row;

/* The tree view's state. */
typedef struct {
	cl_row *rows;      /* visible rows in order */
	int n, cap;        /* count, capacity */
} cl_priv;

static void cl_insert(cl_priv *cp, int at, cl_row r)
{
	if (cp->n == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 64;
		cp->rows = xrealloc(cp->rows, (size_t)cp->cap * sizeof *cp->rows);
	}
	memmove(cp->rows + at + 1, cp->rows + at, (size_t)(cp->n - at) * sizeof *cp->rows);
	cp->rows[at] = r;
	cp->n++;
}

/* Insert the roots of dictionary sae (or a node's children and features)
 * after row at; returns rows added. */
static int cl_expand_into(cl_priv *cp, int at, int sae, int64_t node, int depth, int64_t psize)
{
	fs_cluster *c = NULL;
	int nc = index_cluster_children(tui.ix, sae, node, &c);
	int added = 0;
	for (int i = 0; i < nc; i++)
		cl_insert(cp, at + 1 + added++,
			  (cl_row){CL_NODE, c[i].id, depth, c[i].size, psize, 0, xstrdup(c[i].label)});
	if (nc > 0)
		index_clusters_free(c, nc);
	if (node > 0) {
		int64_t *fids = NULL;
		int nf = index_cluster_features(tui.ix, node, &fids);
		for (int i = 0; i < nf; i++) {
			fs_feature f;
			char lab[512] = "";
			if (index_feature(tui.ix, fids[i], &f) == 0) {
				int user;
				tui_label(f.id, f.label, lab, sizeof lab, &user);
				index_feature_free(&f);
			}
			cl_insert(cp, at + 1 + added++, (cl_row){CL_FEATURE, fids[i], depth, 0, 0, 0, xstrdup(lab)});
		}
		free(fids);
	}
	return added;
}

static void cl_toggle(view *v, int open)
{
	cl_priv *cp = v->priv;
	if (v->cur >= cp->n)
		return;
	int at = (int)v->cur;
	cl_row *r = &cp->rows[at];
	if (r->kind == CL_FEATURE)
		return;
	if (open && !r->open) {
		r->open = 1;
		int added = r->kind == CL_DICT ? cl_expand_into(cp, at, (int)r->id, 0, r->depth + 1, r->size)
					       : cl_expand_into(cp, at, 0, r->id, r->depth + 1, r->psize);
		if (added == 0)
			tui_status(TC_STATUS, "this node is empty");
	} else if (!open && r->open) {
		r->open = 0;
		int end = at + 1;
		while (end < cp->n && cp->rows[end].depth > r->depth) {
			free(cp->rows[end].label);
			end++;
		}
		memmove(cp->rows + at + 1, cp->rows + end, (size_t)(cp->n - end) * sizeof *cp->rows);
		cp->n -= end - at - 1;
	}
	v->nrows = cp->n;
	view_clamp(v);
}

static void cl_relayout(view *v)
{
	v->y = 2;
	v->h = LINES - 3 > 1 ? LINES - 3 : 1;
}

static void cl_draw(view *v)
{
	cl_priv *cp = v->priv;
	draw_text(1, 0, v->w, "    size  of the whole   concept (#node)", TC_HEADER, DRAW_PAD);
	if (cp->n == 0) {
		draw_text(v->y, 1, v->w - 1, "no concept tree in this index (build with --decoder)", TC_DIM, 0);
		return;
	}
	for (int i = 0; i < v->h && v->top + i < cp->n; i++) {
		int64_t ri = v->top + i;
		cl_row *r = &cp->rows[ri];
		int y = v->y + i, sel = ri == v->cur;
		int cls = sel ? TC_SELECT : TC_NORMAL;
		draw_fill(y, 0, v->w, cls);
		int x = 0;
		if (r->kind != CL_FEATURE) {
			draw_printf(y, 0, 9, cls, 0, "%8lld ", (long long)r->size);
			term_set(sel ? TC_SELECT : TC_BAR);
			double fr = r->psize > 0 ? (double)r->size / (double)r->psize : 1;
			int fill = (int)(fr * 10 + 0.5);
			mvaddch(y, 9, '[');
			for (int k = 0; k < 10; k++)
				mvaddch(y, 10 + k, k < fill ? '#' : ' ');
			mvaddch(y, 20, ']');
		}
		x = 22 + 2 * r->depth;
		if (x > v->w - 10)
			x = v->w - 10;
		char head[96];
		if (r->kind == CL_FEATURE) {
			char name[64];
			index_feature_name(tui.ix, r->id, name, sizeof name);
			snprintf(head, sizeof head, "\xe2\x80\xa2 %s ", name);
		} else if (r->kind == CL_DICT) {
			const fs_sae *s = index_sae_by_id(tui.ix, (int)r->id);
			snprintf(head, sizeof head, "%s %s ", r->open ? "\xe2\x96\xbe" : "\xe2\x96\xb8",
				 s ? s->name : "?");
		} else {
			snprintf(head, sizeof head, "%s #%lld ", r->open ? "\xe2\x96\xbe" : "\xe2\x96\xb8", (long long)r->id);
		}
		int used = draw_text(y, x, v->w - x, head, sel ? TC_SELECT : TC_HEADER, 0);
		draw_text(y, x + used, v->w - x - used, r->label, cls, DRAW_ELLIPSIS);
	}
}

static const char *cl_row_text(view *v, int64_t row, char *buf, size_t len)
{
	cl_priv *cp = v->priv;
	if (row < 0 || row >= cp->n)
		return NULL;
	if (cp->rows[row].kind == CL_FEATURE) {
		char name[64];
		index_feature_name(tui.ix, cp->rows[row].id, name, sizeof name);
		snprintf(buf, len, "%s %s", name, cp->rows[row].label);
		return buf;
	}
	return cp->rows[row].label;
}

static int64_t cl_selected(view *v)
{
	cl_priv *cp = v->priv;
	return v->cur < cp->n && cp->rows[v->cur].kind == CL_FEATURE ? cp->rows[v->cur].id : 0;
}

static int cl_key(view *v, int act, int key)
{
	cl_priv *cp = v->priv;
	if (v->cur >= cp->n)
		return 0;
	cl_row *r = &cp->rows[v->cur];
	switch (act) {
	case ACT_ENTER:
		if (r->kind == CL_FEATURE)
			return 0; /* the browser opens the selected feature */
		cl_toggle(v, !r->open);
		return VR_HANDLED | VR_REDRAW;
	case ACT_RIGHT:
		cl_toggle(v, 1);
		return VR_HANDLED | VR_REDRAW;
	case ACT_LEFT:
		if (r->kind != CL_FEATURE && r->open) {
			cl_toggle(v, 0);
		} else {
			/* Go to the parent row. */
			int64_t i = v->cur;
			while (i > 0 && cp->rows[i].depth >= r->depth)
				i--;
			if (cp->rows[i].depth < r->depth)
				v->cur = i;
			view_clamp(v);
		}
		return VR_HANDLED | VR_REDRAW;
	default:
		(void)key;
		return 0;
	}
}

static void cl_free(view *v)
{
	cl_priv *cp = v->priv;
	for (int i = 0; i < cp->n; i++)
		free(cp->rows[i].label);
	free(cp->rows);
	free(cp);
}

static const view_ops cl_ops = {
	.kind = VIEW_CLUSTERS,
	.draw = cl_draw,
	.key = cl_key,
	.row_text = cl_row_text,
	.selected = cl_selected,
	.relayout = cl_relayout,
	.free = cl_free,
};

/* Open the tree down to feature fid's node and put the cursor on it. */
static void cl_reveal(view *v, int64_t fid)
{
	cl_priv *cp = v->priv;
	fs_feature f;
	if (index_feature(tui.ix, fid, &f) != 0)
		return;
	int64_t node = f.cluster;
	int sae = f.sae;
	index_feature_free(&f);
	/* the path from the root to the node */
	int64_t path[64];
	int np = 0;
	while (node > 0 && np < 64) {
		fs_cluster c;
		if (index_cluster(tui.ix, node, &c) != 0)
			break;
		path[np++] = node;
		node = c.parent;
		free(c.label);
	}
	/* a dictionary row first, when the tree starts with them */
	for (int i = 0; i < cp->n; i++)
		if (cp->rows[i].kind == CL_DICT && cp->rows[i].id == sae) {
			v->cur = i;
			cl_toggle(v, 1);
			break;
		}
	for (int k = np - 1; k >= 0; k--) {
		int found = 0;
		for (int i = 0; i < cp->n && !found; i++)
			if (cp->rows[i].kind == CL_NODE && cp->rows[i].id == path[k]) {
				v->cur = i;
				cl_toggle(v, 1);
				found = 1;
			}
		if (!found)
			return;
	}
	for (int i = (int)v->cur; i < cp->n; i++)
		if (cp->rows[i].kind == CL_FEATURE && cp->rows[i].id == fid) {
			v->cur = i;
			break;
		}
}

void view_open_clusters(int sae, int64_t fid)
{
	cl_priv *cp = xcalloc(1, sizeof *cp);
	int ns = index_n_saes(tui.ix);
	if (sae == 0 && ns > 1) {
		for (int i = 0; i < ns; i++) {
			const fs_sae *s = index_sae(tui.ix, i);
			cl_insert(cp, cp->n, (cl_row){CL_DICT, s->id, 0, s->n_features, 0, 0, xstrdup(s->model)});
		}
	} else {
		int id = sae ? sae : ns ? index_sae(tui.ix, 0)->id : 0;
		int64_t total = 0;
		fs_cluster *c = NULL;
		int nc = index_cluster_children(tui.ix, id, 0, &c);
		for (int i = 0; i < nc; i++)
			total += c[i].size;
		if (nc > 0)
			index_clusters_free(c, nc);
		cl_expand_into(cp, -1, id, 0, 0, total);
	}
	view *v = view_new(&cl_ops, cp);
	v->nrows = cp->n;
	view_layout(v);
	if (fid > 0)
		cl_reveal(v, fid);
	view_push(v);
}

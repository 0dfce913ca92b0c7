/*
 * view_list.c: the feature list: id, label, density, max activation and
 * cluster of one dictionary (or all), sorted by any column, filtered as
 * you type, with a jump to a feature number and two dictionaries side by
 * side. Rows come from index_feature_page through a small window cache,
 * so a million features cost no more than a screenful.
 */
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_CACHE 96    /* fewest rows fetched around the visible window */
#define LIST_STEP_S 0.003 /* the time one step of a filter's count aims at */

/* One pane: a dictionary's sorted, filtered list and its cursor. */
typedef struct {
	tui_file *file;      /* the file its dictionary is of */
	int sae;             /* dictionary id, 0 = all */
	fs_sort sort;        /* sort column */
	int desc;            /* descending */
	char filter[256];    /* label substring or number, "" none */
	int64_t nrows, cur, top; /* saved cursor while the other pane is active */
	fs_feature *rows;    /* cached rows */
	int64_t roff;        /* row number of rows[0] */
	int rn;              /* cached rows held */
	int rcap;            /* capacity of rows */
	int x, w;            /* screen columns of the pane */
	/* a filter's count taken in idle steps (list_count_step): feature
	 * ids count_at..count_end-1 are still to count, count_acc matched
	 * before them; nrows meanwhile is a lower bound */
	int64_t count_at, count_end, count_acc;
	int count_step;      /* ids per step, sized to LIST_STEP_S */
	int to_end;          /* G while counting: to the last row once counted */
} list_pane;

/* The list view's state. */
typedef struct {
	list_pane pane[2];   /* panes; the second only when split */
	int npanes;          /* 1 or 2 */
	int active;          /* pane with the cursor */
} list_priv;

static const char *list_sort_names[] = {"id", "label", "density", "max", "cluster"};

static void list_cache_drop(list_pane *p)
{
	for (int i = 0; i < p->rn; i++)
		index_feature_free(&p->rows[i]);
	p->rn = 0;
}

/* Fetch the window of rows that holds `row`, reusing the cached rows as
 * keyset anchors when the move is short (scrolling never pays for the
 * distance from the top), from the nearer end of the list otherwise. */
static fs_feature *list_row(list_pane *p, int64_t row, int want)
{
	if (row < 0 || row >= p->nrows)
		return NULL;
	if (row >= p->roff && row < p->roff + p->rn)
		return &p->rows[row - p->roff];
	int cap = 2 * want + 32 > LIST_CACHE ? 2 * want + 32 : LIST_CACHE;
	fs_feature *nw = xmalloc((size_t)cap * sizeof *nw);
	int64_t off;
	int n;
	int64_t end = p->roff + p->rn; /* one past the cached window */
	if (p->rn > 0 && row >= end && row - 16 - 1 < end && row - 16 - 1 >= p->roff) {
		/* Just below the window: continue after a cached row. */
		off = row - 16;
		n = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter,
					  &p->rows[off - 1 - p->roff], 1, cap, nw);
	} else if (p->rn > 0 && row < p->roff && row + want + 16 >= p->roff) {
		/* Just above it: the rows before a cached one. */
		int64_t e = row + want + 16 < end - 1 ? row + want + 16 : end - 1;
		n = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter,
					  &p->rows[e - p->roff], -1, cap, nw);
		off = e - n;
	} else if (row < cap) {
		off = 0;
		n = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter, NULL, 1, cap, nw);
	} else if (row >= p->nrows - cap && p->count_at >= p->count_end) {
		n = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter, NULL, -1, cap, nw);
		off = p->nrows - n;
	} else if (row < p->nrows / 2 || p->count_at < p->count_end) {
		/* (while the count is taken, nrows is not the end) */
		/* A jump: OFFSET from the nearer end. */
		off = row - 16;
		n = index_feature_page(p->file->ix, p->sae, p->sort, p->desc, p->filter, off, cap, nw);
	} else {
		off = row + 16 - cap + 1;
		if (off + cap > p->nrows)
			off = p->nrows - cap;
		n = index_feature_page(p->file->ix, p->sae, p->sort, !p->desc, p->filter,
				       p->nrows - (off + cap), cap, nw);
		for (int i = 0; i < n / 2; i++) {
			fs_feature t = nw[i];
			nw[i] = nw[n - 1 - i];
			nw[n - 1 - i] = t;
		}
		off = off + cap - n;
	}
	list_cache_drop(p);
	free(p->rows);
	p->rows = nw;
	p->rcap = cap;
	p->rn = n > 0 ? n : 0;
	p->roff = off;
	if (row >= p->roff && row < p->roff + p->rn)
		return &p->rows[row - p->roff];
	return NULL;
}

/* Grow the cached window by up to n rows after its end (dir > 0) or
 * before its start, dropping rows at the other end beyond max. Used when
 * idle, so the next page is already there when a key asks for it. */
static void list_extend(list_pane *p, int dir, int n, int max)
{
	if (p->rn == 0)
		return;
	fs_feature *add = xmalloc((size_t)n * sizeof *add);
	const fs_feature *at = dir > 0 ? &p->rows[p->rn - 1] : &p->rows[0];
	int k = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter, at, dir, n, add);
	if (k <= 0) {
		free(add);
		return;
	}
	int total = p->rn + k;
	fs_feature *nw = xmalloc((size_t)total * sizeof *nw);
	if (dir > 0) {
		memcpy(nw, p->rows, (size_t)p->rn * sizeof *nw);
		memcpy(nw + p->rn, add, (size_t)k * sizeof *nw);
	} else {
		memcpy(nw, add, (size_t)k * sizeof *nw);
		memcpy(nw + k, p->rows, (size_t)p->rn * sizeof *nw);
		p->roff -= k;
	}
	free(add);
	free(p->rows);
	p->rows = nw;
	p->rn = p->rcap = total;
	/* Trim the far end. */
	int drop = p->rn - max;
	if (drop > 0) {
		if (dir > 0) {
			for (int i = 0; i < drop; i++)
				index_feature_free(&p->rows[i]);
			memmove(p->rows, p->rows + drop, (size_t)(p->rn - drop) * sizeof *p->rows);
			p->roff += drop;
		} else {
			for (int i = p->rn - drop; i < p->rn; i++)
				index_feature_free(&p->rows[i]);
		}
		p->rn -= drop;
	}
}

/* While the filter is typed, the list counts at most this many rows (a
 * scan that finds them stops there): a filter that matches more is
 * counted to the end once it is entered, in idle steps. */
enum { LIST_TYPING_CAP = 200 };

static void list_recount_upto(list_pane *p, int64_t cap)
{
	/* a short filter that matches little reads the labels in idle steps
	 * (list_count_step), not all of them at each keystroke */
	index_filter_steps(p->file->ix);
	list_cache_drop(p);
	p->roff = 0;
	p->count_at = p->count_end = 0;
	if (!p->filter[0] && index_n_saes(p->file->ix) == 1)
		p->nrows = index_n_features(p->file->ix); /* kept in meta: no count(*) */
	else if (cap > 0)
		p->nrows = index_feature_count_upto(p->file->ix, p->sae, p->filter, cap);
	else
		p->nrows = index_feature_count(p->file->ix, p->sae, p->filter);
	if (p->nrows < 0)
		p->nrows = 0;
}

static void list_recount(list_pane *p) { list_recount_upto(p, 0); }

/* The pane's dictionary as the switcher names it ("all" for every one of its file). */
static const char *list_sae_name(const list_pane *p, char *buf, size_t len)
{
	const fs_sae *s = p->sae ? index_sae_by_id(p->file->ix, p->sae) : NULL;
	return tui_sae_name(p->file, s ? s->name : "all", buf, len);
}

static void list_title(view *v)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	char n0[200], n1[200], rd[48] = "";
	double done = 0;
	if (p->filter[0] && index_filter_pending(p->file->ix, p->filter, &done))
		snprintf(rd, sizeof rd, " (labels read: %d%%)", (int)(100 * done));
	snprintf(v->title, sizeof v->title, "features: %s%s%s, by %s %s%s%s%s%s",
		 list_sae_name(&lp->pane[0], n0, sizeof n0), lp->npanes > 1 ? " | " : "",
		 lp->npanes > 1 ? list_sae_name(&lp->pane[1], n1, sizeof n1) : "", list_sort_names[p->sort],
		 p->desc ? "desc" : "asc", p->filter[0] ? ", filter '" : "", p->filter,
		 p->filter[0] ? "'" : "", rd);
}

/* Copy the view's cursor into the active pane, or back. */
static void list_save(view *v)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	p->nrows = v->nrows;
	p->cur = v->cur;
	p->top = v->top;
}

static void list_load(view *v)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	v->nrows = p->nrows;
	v->cur = p->cur;
	v->top = p->top;
	view_set_file(v, p->file);
	view_clamp(v);
	list_title(v);
}

static void list_relayout(view *v)
{
	list_priv *lp = v->priv;
	v->y = 2; /* the column header sits on line 1 */
	v->h = LINES - 3 > 1 ? LINES - 3 : 1;
	int w = COLS / lp->npanes;
	for (int i = 0; i < lp->npanes; i++) {
		lp->pane[i].x = i * w;
		lp->pane[i].w = i == lp->npanes - 1 ? COLS - i * w : w - 1;
	}
}

/* Density as a percentage with a useful number of digits. */
static void list_density(double d, char *out, size_t len)
{
	draw_density(d, out, len);
}

/* Columns of the widest feature name the pane can show ("N", or "SAE/N"
 * with several dictionaries), at least those of the heading. */
static int list_name_width(const list_pane *p)
{
	int w = 8, n = index_n_saes(p->file->ix); /* "feature" and the sort arrow */
	for (int i = 0; i < n; i++) {
		const fs_sae *s = index_sae(p->file->ix, i);
		if (!s || (p->sae && s->id != p->sae))
			continue;
		char buf[96];
		int l = n > 1 ? snprintf(buf, sizeof buf, "%s/%lld", s->name, (long long)(s->n_features > 0 ? s->n_features - 1 : 0))
			      : snprintf(buf, sizeof buf, "%lld", (long long)(s->n_features > 0 ? s->n_features - 1 : 0));
		if (l > w)
			w = l;
	}
	return w;
}

static void list_draw_pane(view *v, list_pane *p, int active, int64_t cur, int64_t top)
{
	int x = p->x, w = p->w;
	int namew = list_name_width(p), numw = 9, clw = 7;
	int lw = w - (namew + numw * 2 + clw + 4);
	if (lw < 8) {
		clw = 0;
		lw = w - (namew + numw * 2 + 3);
	}
	char hdr[256];
	const char *arrow = p->desc ? "\xe2\x96\xbc" : "\xe2\x96\xb2";
	const char *h[5] = {"feature", "label", "density", "max", "cluster"};
	char cols[5][32];
	for (int i = 0; i < 5; i++)
		snprintf(cols[i], sizeof cols[i], "%s%s", h[i], (int)p->sort == i ? arrow : "");
	/* the name column's heading padded by its columns (the arrow is
	 * one column, three bytes) */
	int pad0 = namew - 7 - (p->sort == FS_SORT_ID ? 1 : 0);
	if (pad0 < 0)
		pad0 = 0;
	if (clw)
		snprintf(hdr, sizeof hdr, "%s%*s %*s %*s %*s %s", cols[0], pad0, "", numw + (p->sort == FS_SORT_DENSITY ? 2 : 0), cols[2],
			 numw + (p->sort == FS_SORT_MAXACT ? 2 : 0), cols[3], clw + (p->sort == FS_SORT_CLUSTER ? 2 : 0), cols[4], cols[1]);
	else
		snprintf(hdr, sizeof hdr, "%s%*s %*s %*s %s", cols[0], pad0, "", numw + (p->sort == FS_SORT_DENSITY ? 2 : 0), cols[2],
			 numw + (p->sort == FS_SORT_MAXACT ? 2 : 0), cols[3], cols[1]);
	draw_text(1, x, w, hdr, TC_HEADER, DRAW_PAD);
	if (p->nrows == 0) {
		draw_text(v->y, x, w, !p->filter[0] ? "  no features"
				      : index_filter_pending(p->file->ix, p->filter, NULL) ? "  reading the labels..."
				      : "  no feature matches the filter", TC_DIM, 0);
		return;
	}
	for (int i = 0; i < v->h; i++) {
		int64_t row = top + i;
		fs_feature *f = list_row(p, row, v->h);
		if (!f)
			break;
		int sel = active && row == cur;
		int cls = sel ? TC_SELECT : TC_NORMAL;
		char name[64], dens[32], cl[32] = "", line[256], lab[512];
		index_feature_name(p->file->ix, f->id, name, sizeof name);
		list_density(f->density, dens, sizeof dens);
		if (f->cluster > 0)
			snprintf(cl, sizeof cl, "%lld", (long long)f->cluster);
		if (clw)
			snprintf(line, sizeof line, "%-*s %*s %*.3g %*s ", namew, name, numw, dens, numw,
				 f->max_act, clw, cl);
		else
			snprintf(line, sizeof line, "%-*s %*s %*.3g ", namew, name, numw, dens, numw, f->max_act);
		int used = draw_text(v->y + i, x, w, line, cls, 0);
		int user = 0;
		tui_label_feature_in(p->file, f, lab, sizeof lab, &user);
		draw_text(v->y + i, x + used, w - used, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL,
			  DRAW_PAD | DRAW_ELLIPSIS);
	}
}

static void list_draw(view *v)
{
	list_priv *lp = v->priv;
	list_save(v);
	for (int i = 0; i < lp->npanes; i++) {
		list_pane *p = &lp->pane[i];
		list_draw_pane(v, p, i == lp->active, p->cur, p->top);
		if (i + 1 < lp->npanes)
			for (int y = 1; y < LINES - 1; y++) {
				term_set(TC_DIM);
				mvaddnwstr(y, p->x + p->w, L"\x2502", 1);
			}
	}
	term_set(TC_NORMAL);
}

static const char *list_row_text(view *v, int64_t row, char *buf, size_t len)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	fs_feature *f = list_row(p, row, v->h);
	if (!f)
		return NULL;
	return tui_feature_text_in(p->file, f, buf, len);
}

static int64_t list_selected(view *v)
{
	list_priv *lp = v->priv;
	fs_feature *f = list_row(&lp->pane[lp->active], v->cur, v->h);
	return f ? f->id : 0;
}

/* The filter set to text: counted to the end (cap 0) or, as it is typed,
 * up to cap rows (the first page shows; the count says cap+1). */
static void list_filter_set(view *v, const char *text, int64_t cap)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	snprintf(p->filter, sizeof p->filter, "%s", text);
	list_recount_upto(p, cap);
	p->cur = p->top = 0;
	list_load(v);
}

/* The filter set: up to LIST_TYPING_CAP rows counted now, any more in
 * idle steps (list_count_step); one read through the trigrams is counted
 * now, to the end. */
static void list_filter_change(const char *text, void *ctx)
{
	view *v = ctx;
	list_filter_set(v, text, LIST_TYPING_CAP);
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	/* (a filter read in steps is counted whole, from what they found) */
	if (p->filter[0] && p->nrows == LIST_TYPING_CAP + 1 && !index_filter_pending(p->file->ix, p->filter, NULL)) {
		p->count_at = 1;
		p->count_end = index_feature_id_end(p->file->ix);
		p->count_acc = 0;
		p->count_step = 4096;
	}
}

/* Filter-as-you-type callback. */
static void list_filter_typed(const char *text, void *ctx) { list_filter_set(ctx, text, LIST_TYPING_CAP); }

/* Pane q takes the switcher's next dictionary after p's (tui_next_dict:
 * every dictionary of every open file, and each file's "all"); the
 * number of the switcher's entries. */
static int list_next_sae(const list_pane *p, list_pane *q)
{
	tui_file *f = p->file;
	int sae = p->sae;
	int n = tui_next_dict(&f, &sae, 1);
	if (n > 1) {
		q->file = f;
		q->sae = sae;
	}
	return n;
}

/* The switcher's entries (every dictionary of every open file, and
 * each file's "all"). */
static int list_ndicts(void)
{
	tui_file *f = tui.cur;
	int sae = 0;
	return tui_next_dict(&f, &sae, 1);
}

static int list_goto(view *v, int64_t fid);

/* Move the cursor to the feature named by text, in the current order;
 * "FILE:NAME" (also "#FILE:NAME") names one of an open file, which the
 * pane then shows, in the feature's dictionary. */
static void list_jump(view *v, const char *text)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	char err[256], name[300];
	int64_t n;
	tui_file *f;
	const char *rest = tui_file_ref(text[0] == '#' && strchr(text, ':') ? text + 1 : text, &f);
	if (f != p->file || (rest != text && rest != text + 1)) {
		fs_feature ft;
		int64_t fid = index_resolve(f->ix, rest, err, sizeof err);
		if (fid < 0 || index_feature(f->ix, fid, &ft) != 0) {
			tui_status(TC_ERROR, "%s", fid < 0 ? err : "no such feature");
			return;
		}
		p->file = f;
		p->sae = ft.sae;
		p->filter[0] = 0;
		index_feature_free(&ft);
		list_recount(p);
		p->cur = p->top = 0;
		list_load(v);
		if (list_goto(v, fid) != 0)
			tui_status(TC_ERROR, "%s is not in this list", text);
		return;
	}
	text = rest;
	const fs_sae *s = p->sae ? index_sae_by_id(p->file->ix, p->sae) : NULL;
	if (fs_parse_i64(text, &n) == 0 && s)
		snprintf(name, sizeof name, "%s/%s", s->name, text);
	else
		snprintf(name, sizeof name, "%s", text);
	int64_t fid = index_resolve(p->file->ix, name, err, sizeof err);
	if (fid < 0) {
		tui_status(TC_ERROR, "%s", err);
		return;
	}
	if (list_goto(v, fid) == 0)
		return;
	/* a feature of another dictionary of this file: the pane switches to
	 * that dictionary (the filter kept), and says so */
	fs_feature ft;
	if (index_feature(p->file->ix, fid, &ft) != 0) {
		tui_status(TC_ERROR, "%s is not in this list", text);
		return;
	}
	int other = p->sae && ft.sae != p->sae ? ft.sae : 0;
	index_feature_free(&ft);
	const fs_sae *os = other ? index_sae_by_id(p->file->ix, other) : NULL;
	if (!os) {
		tui_status(TC_ERROR, "%s is not in this list%s%s%s", text, p->filter[0] ? " (filter '" : "",
			   p->filter[0] ? p->filter : "", p->filter[0] ? "')" : "");
		return;
	}
	p->sae = other;
	list_recount(p);
	p->cur = p->top = 0;
	list_load(v);
	if (list_goto(v, fid) != 0)
		tui_status(TC_ERROR, "switched to %s; %s is not in this list%s%s%s", os->name, text,
			   p->filter[0] ? " (filter '" : "", p->filter[0] ? p->filter : "", p->filter[0] ? "')" : "");
	else
		tui_status(TC_STATUS, "switched to dictionary %s", os->name);
}

/* Move the cursor to feature fid in the current order; -1 when the list
 * does not hold it. The position comes from index_feature_rank (stored at
 * build time for every order), the rows around it from keyset queries, so
 * the cost does not grow with the position. */
static int list_goto(view *v, int64_t fid)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	int64_t lo = index_feature_rank(p->file->ix, p->sae, p->sort, p->desc, p->filter, fid);
	if (lo < 0)
		return -1;
	/* Seed the cache around the feature with keyset queries from it, so a
	 * jump costs no OFFSET scan. */
	fs_feature at;
	if (index_feature(p->file->ix, fid, &at) == 0) {
		int before = v->h, cap = 2 * v->h + 32;
		fs_feature *nw = xmalloc((size_t)cap * sizeof *nw);
		int nb = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter, &at, -1, before, nw);
		if (nb < 0)
			nb = 0;
		nw[nb] = at;
		int na = index_feature_page_at(p->file->ix, p->sae, p->sort, p->desc, p->filter, &at, 1,
					       cap - nb - 1, nw + nb + 1);
		list_cache_drop(p);
		free(p->rows);
		p->rows = nw;
		p->rcap = cap;
		p->rn = nb + 1 + (na > 0 ? na : 0);
		p->roff = lo - nb;
	} else {
		list_cache_drop(p);
	}
	p->cur = lo;
	p->top = lo - v->h / 2;
	list_load(v);
	return 0;
}

static int list_command(view *v, int act, const char *arg)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	if (act == ACT_FILTER) {
		list_filter_change(arg, v);
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_SORT) {
		for (int i = 0; i < 5; i++)
			if (strcmp(arg, list_sort_names[i]) == 0) {
				/* the selected feature stays selected */
				int64_t fid = list_selected(v);
				p->sort = (fs_sort)i;
				list_recount(p);
				if (fid <= 0 || list_goto(v, fid) != 0) {
					p->cur = p->top = 0;
					list_load(v);
				}
				return VR_HANDLED | VR_REDRAW;
			}
		tui_status(TC_ERROR, "sort: one of id, label, density, max, cluster");
		return VR_HANDLED;
	}
	if (act == ACT_GOTO) {
		list_jump(v, arg);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static int list_counting(list_pane *p);

static int list_key(view *v, int act, int key)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	char *s;
	if (act != ACT_LAST && act != ACT_NONE) /* another key: not to the end after all */
		p->to_end = 0;
	if (act == ACT_LAST && list_counting(p)) {
		/* the end is not known yet: go there when it is (list_tick) */
		p->to_end = 1;
		tui_status(TC_STATUS, "counting the matches: G moves to the last one when done");
		return VR_HANDLED | VR_REDRAW;
	}
	if (key >= '1' && key <= '9') {
		char init[2] = {(char)key, 0};
		s = prompt_read("jump to feature: ", init, NULL, NULL, NULL);
		if (s && *s)
			list_jump(v, s);
		free(s);
		return VR_HANDLED | VR_REDRAW;
	}
	switch (act) {
	case ACT_SORT:
		p->sort = (fs_sort)((p->sort + 1) % 5);
		p->desc = p->sort == FS_SORT_DENSITY || p->sort == FS_SORT_MAXACT;
		list_recount(p);
		p->cur = p->top = 0;
		list_load(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_REVERSE:
		p->desc = !p->desc;
		list_cache_drop(p);
		p->cur = p->top = 0;
		list_load(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_FILTER: {
		char old[256];
		snprintf(old, sizeof old, "%s", p->filter);
		s = prompt_read("filter: ", p->filter, NULL, list_filter_typed, v);
		if (!s)
			list_filter_change(old, v);
		else
			list_filter_change(s, v);
		free(s);
		return VR_HANDLED | VR_REDRAW;
	}
	case ACT_NEXT_DICT:
		if (list_next_sae(p, p) <= 1) {
			tui_status(TC_STATUS, "this index has one dictionary");
			return VR_HANDLED;
		}
		list_recount(p);
		p->cur = p->top = 0;
		list_load(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_SPLIT:
		if (lp->npanes < 2 && list_ndicts() <= 1) {
			tui_status(TC_STATUS, "this index has one dictionary");
			return VR_HANDLED;
		}
		if (lp->npanes == 2) {
			list_save(v);
			list_cache_drop(&lp->pane[1]);
			free(lp->pane[1].rows); /* a later split starts the pane afresh */
			lp->pane[1].rows = NULL;
			lp->pane[1].rcap = 0;
			lp->npanes = 1;
			lp->active = 0;
		} else {
			list_save(v);
			lp->pane[1] = lp->pane[0];
			lp->pane[1].rows = NULL;
			lp->pane[1].rn = lp->pane[1].rcap = 0;
			list_next_sae(&lp->pane[0], &lp->pane[1]);
			list_recount(&lp->pane[1]);
			lp->pane[1].cur = lp->pane[1].top = 0;
			lp->npanes = 2;
		}
		list_relayout(v);
		list_load(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_NEXT_PANE:
		if (lp->npanes < 2)
			return 0;
		list_save(v);
		lp->active = !lp->active;
		list_load(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_GOTO:
		s = prompt_read("jump to feature: ", "", NULL, NULL, NULL);
		if (s && *s)
			list_jump(v, s);
		free(s);
		return VR_HANDLED | VR_REDRAW;
	default:
		return 0;
	}
}

static int list_click(view *v, int y, int x, int dbl)
{
	list_priv *lp = v->priv;
	if (lp->npanes == 2) {
		int want = x >= lp->pane[1].x;
		if (want != lp->active) {
			list_save(v);
			lp->active = want;
			list_load(v);
		}
	}
	if (y == 1) {
		/* A click on the header sorts by that column. */
		list_pane *p = &lp->pane[lp->active];
		int rel = x - p->x, nw = list_name_width(p);
		fs_sort s = rel < nw + 1 ? FS_SORT_ID : rel < nw + 13 ? FS_SORT_DENSITY : rel < nw + 25 ? FS_SORT_MAXACT
					       : rel < nw + 35 ? FS_SORT_CLUSTER : FS_SORT_LABEL;
		p->desc = p->sort == s ? !p->desc : (s == FS_SORT_DENSITY || s == FS_SORT_MAXACT);
		p->sort = s;
		list_recount(p);
		p->cur = p->top = 0;
		list_load(v);
		return 1;
	}
	(void)dbl;
	return 0;
}

/* Pane p's count is still being taken (in idle steps). */
static int list_counting(list_pane *p)
{
	return p->count_at < p->count_end || (p->filter[0] && index_filter_pending(p->file->ix, p->filter, NULL));
}

/* One step of pane p's count (a few ms); 1 when it changed the count. A
 * short filter's scan of the labels in steps comes first (its count is
 * that of the matches found so far). */
static int list_count_step(list_pane *p)
{
	if (p->filter[0] && index_filter_pending(p->file->ix, p->filter, NULL)) {
		if (index_filter_step(p->file->ix, p->filter, LIST_STEP_S) == 0)
			return 0;
		list_cache_drop(p);
		int64_t n = index_feature_count(p->file->ix, p->sae, p->filter);
		p->nrows = n < 0 ? 0 : n;
		return 1;
	}
	if (p->count_at >= p->count_end)
		return 0;
	int64_t hi = p->count_at + p->count_step;
	if (hi > p->count_end)
		hi = p->count_end;
	double t0 = fs_now();
	int64_t n = index_feature_count_ids(p->file->ix, p->sae, p->filter, p->count_at, hi);
	double dt = fs_now() - t0;
	if (n < 0) { /* keep the lower bound */
		p->count_at = p->count_end = 0;
		return 1;
	}
	double next = dt > 0 ? p->count_step * (LIST_STEP_S / dt) : 2.0 * p->count_step;
	if (next > 2.0 * p->count_step)
		next = 2.0 * p->count_step;
	p->count_step = next < 256 ? 256 : next > 1 << 20 ? 1 << 20 : (int)next;
	p->count_acc += n;
	p->count_at = hi;
	if (p->count_at >= p->count_end) {
		p->nrows = p->count_acc;
		p->count_at = p->count_end = 0;
	} else if (p->count_acc > p->nrows) {
		p->nrows = p->count_acc;
	}
	return 1;
}

static int list_busy(view *v)
{
	list_priv *lp = v->priv;
	for (int i = 0; i < lp->npanes; i++)
		if (list_counting(&lp->pane[i]))
			return 1;
	return 0;
}

/* Idle: a step of a filter's count, else make sure a page above and
 * below the screen is cached. */
static int list_tick(view *v)
{
	list_priv *lp = v->priv;
	list_pane *p = &lp->pane[lp->active];
	list_save(v);
	for (int i = 0; i < lp->npanes; i++)
		if (list_count_step(&lp->pane[i])) {
			if (i == lp->active) {
				v->nrows = p->nrows;
				if (p->to_end && !list_counting(p)) {
					p->to_end = 0;
					v->cur = v->nrows - 1;
				}
				view_clamp(v);
				list_title(v);
			}
			return VR_REDRAW;
		}
	int h = v->h, max = 6 * h + 64;
	if (p->rn == 0 || p->cur < p->roff || p->cur >= p->roff + p->rn)
		return 0;
	if (p->roff + p->rn < p->nrows && p->roff + p->rn < p->top + 2 * h)
		list_extend(p, 1, 2 * h, max);
	else if (p->roff > 0 && p->roff > p->top - h)
		list_extend(p, -1, 2 * h, max);
	return 0;
}

static void list_free(view *v)
{
	list_priv *lp = v->priv;
	for (int i = 0; i < 2; i++) {
		list_cache_drop(&lp->pane[i]);
		free(lp->pane[i].rows);
	}
	free(lp);
}

static const view_ops list_ops = {
	.kind = VIEW_LIST,
	.draw = list_draw,
	.key = list_key,
	.row_text = list_row_text,
	.click = list_click,
	.tick = list_tick,
	.busy = list_busy,
	.stepped = 1,
	.selected = list_selected,
	.relayout = list_relayout,
	.command = list_command,
	.free = list_free,
};

void view_open_list(void)
{
	list_priv *lp = xcalloc(1, sizeof *lp);
	lp->npanes = 1;
	list_pane *p = &lp->pane[0];
	/* Start on the first dictionary: its own indexes serve every sort
	 * order ('d' cycles through the others and then all of them). */
	p->file = tui.cur;
	p->sae = index_n_saes(tui.ix) >= 1 ? index_sae(tui.ix, 0)->id : 0;
	p->sort = FS_SORT_ID;
	list_recount(p);
	view *v = view_new(&list_ops, lp);
	list_load(v);
	view_push(v);
}

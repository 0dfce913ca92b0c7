/*
 * view_map.c: the feature map: every feature's (map_x, map_y) drawn with
 * Braille dots (U+2800 block, 2x4 dots a cell), coloured by cluster. The
 * cursor cell's nearest feature is named on the header line and Enter
 * opens it; arrows/hjkl move the cursor (panning at the edges), +/- zoom
 * around it, 0 shows everything. Points are loaded in idle steps of a few
 * milliseconds each (the page's rows sized by the rate measured so far),
 * so a large map never holds a key back for longer than that.
 *
 * Where points crowd (a large dictionary on a small screen) a dot is lit
 * only where at least a threshold of points fall, the threshold doubled
 * until at most MAP_LIT of the canvas is lit, so the map keeps its shape
 * instead of becoming a solid block. The largest clusters on screen are
 * named at their centre and in a legend on the last line, in their
 * colours; the cursor is a '+' in the selection colour.
 */
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

#define MAP_PAGE 5000    /* most features loaded per idle step */
#define MAP_STEP_S 0.003 /* the time one idle step aims at */
#define MAP_LIT 0.25  /* largest share of the canvas's dots lit */
#define MAP_LEGEND 6  /* clusters named in the legend and on the map */

/* One feature on the map. */
typedef struct {
	float x, y;         /* map position */
	int64_t fid;        /* feature */
	int64_t cluster;    /* its cluster, for the colour */
} map_pt;

/* The map view's state. */
typedef struct {
	int sae;            /* dictionary */
	map_pt *pts;        /* loaded points */
	int64_t n, cap;     /* count, capacity */
	int64_t loaded;     /* rows of the dictionary read so far */
	int64_t last_idx;   /* index of the last feature read */
	int64_t total;      /* rows to read */
	int page;           /* rows read per step (sized to MAP_STEP_S) */
	int done;           /* all loaded */
	double minx, maxx, miny, maxy; /* bounds of the points */
	double cx, cy;      /* map point at the centre of the screen */
	double scale;       /* map units per dot */
	double fit;         /* the scale that shows everything */
	int curx, cury;     /* cursor cell, relative to the canvas */
	int64_t want_fid;   /* feature to put the cursor on once loaded */
	int64_t under;      /* feature nearest the cursor, 0 none */
	/* the feature the map was opened from, centred under the cursor: it is
	 * the one under the cursor (not a denser neighbour nearer the cell's
	 * centre) until the cursor, the centre or the zoom moves */
	int64_t pin;
	int pin_x, pin_y;
	double pin_cx, pin_cy, pin_scale;
	uint8_t *dots;      /* w*h cells of dot bits (scratch) */
	int64_t *cellcl;    /* w*h cluster of the last point drawn in each cell */
} map_priv;

static void map_fit(view *v)
{
	map_priv *mp = v->priv;
	mp->cx = (mp->minx + mp->maxx) / 2;
	mp->cy = (mp->miny + mp->maxy) / 2;
	int dw = 2 * v->w, dh = 4 * (v->h - 2 > 1 ? v->h - 2 : 1);
	double sx = (mp->maxx - mp->minx) / (dw > 2 ? dw - 2 : 1);
	double sy = (mp->maxy - mp->miny) / (dh > 2 ? dh - 2 : 1);
	mp->scale = sx > sy ? sx : sy;
	if (!(mp->scale > 0))
		mp->scale = 1;
	mp->fit = mp->scale;
}

/* Screen dot of a map point. */
static void map_project(view *v, map_priv *mp, double x, double y, long *dx, long *dy)
{
	int dw = 2 * v->w, dh = 4 * (v->h - 2 > 1 ? v->h - 2 : 1);
	*dx = lround((x - mp->cx) / mp->scale + dw / 2.0);
	*dy = lround((mp->cy - y) / mp->scale + dh / 2.0);
}

/* Load one page of points; returns 1 when everything is loaded. */
static int map_load_step(view *v)
{
	map_priv *mp = v->priv;
	if (mp->done)
		return 1;
	int lim = mp->page > 0 ? mp->page : 256;
	double t0 = fs_now();
	fs_feature *page = xmalloc((size_t)lim * sizeof *page);
	/* Keyset paging from the last feature read: no OFFSET rescans. */
	fs_feature at;
	memset(&at, 0, sizeof at);
	at.sae = mp->sae;
	at.idx = mp->last_idx;
	int n = index_feature_page_at(tui.ix, mp->sae, FS_SORT_ID, 0, "", mp->loaded ? &at : NULL, 1,
				      lim, page);
	if (n > 0)
		mp->last_idx = page[n - 1].idx;
	for (int i = 0; i < n; i++) {
		fs_feature *f = &page[i];
		if (!isnan(f->map_x) && !isnan(f->map_y)) {
			if (mp->n == mp->cap) {
				mp->cap = mp->cap ? mp->cap * 2 : 4096;
				mp->pts = xrealloc(mp->pts, (size_t)mp->cap * sizeof *mp->pts);
			}
			mp->pts[mp->n++] = (map_pt){(float)f->map_x, (float)f->map_y, f->id, f->cluster};
			if (mp->n == 1) {
				mp->minx = mp->maxx = f->map_x;
				mp->miny = mp->maxy = f->map_y;
			}
			if (f->map_x < mp->minx) mp->minx = f->map_x;
			if (f->map_x > mp->maxx) mp->maxx = f->map_x;
			if (f->map_y < mp->miny) mp->miny = f->map_y;
			if (f->map_y > mp->maxy) mp->maxy = f->map_y;
		}
		index_feature_free(f);
	}
	free(page);
	/* the next page: as many rows as this rate reads in MAP_STEP_S */
	double dt = fs_now() - t0;
	if (n > 0) {
		double next = dt > 0 ? n * (MAP_STEP_S / dt) : 2.0 * lim;
		if (next > 2.0 * lim)
			next = 2.0 * lim;
		mp->page = next < 64 ? 64 : next > MAP_PAGE ? MAP_PAGE : (int)next;
	}
	mp->loaded += n > 0 ? n : 0;
	if (n < lim || mp->loaded >= mp->total) {
		mp->done = 1;
		map_fit(v);
		mp->curx = v->w / 2;
		mp->cury = (v->h - 2) / 2;
		for (int64_t i = 0; mp->want_fid && i < mp->n; i++)
			if (mp->pts[i].fid == mp->want_fid) {
				/* the whole map in view, the cursor on it */
				long dx, dy;
				map_project(v, mp, mp->pts[i].x, mp->pts[i].y, &dx, &dy);
				mp->curx = (int)(dx / 2);
				mp->cury = (int)(dy / 4);
				mp->pin = mp->want_fid;
				mp->pin_x = mp->curx;
				mp->pin_y = mp->cury;
				mp->pin_cx = mp->cx;
				mp->pin_cy = mp->cy;
				mp->pin_scale = mp->scale;
			}
	}
	return mp->done;
}

/* The feature nearest the centre of the cursor cell. */
static int64_t map_nearest(view *v, map_priv *mp)
{
	double bx = mp->cx + ((mp->curx * 2 + 1) - v->w) * mp->scale;
	double by = mp->cy - ((mp->cury * 4 + 2) - 2.0 * (v->h - 2 > 1 ? v->h - 2 : 1)) * mp->scale;
	double best = INFINITY;
	int64_t fid = 0;
	for (int64_t i = 0; i < mp->n; i++) {
		double ddx = mp->pts[i].x - bx, ddy = mp->pts[i].y - by;
		double d = ddx * ddx + ddy * ddy;
		if (d < best) {
			best = d;
			fid = mp->pts[i].fid;
		}
	}
	/* Only when it is within about two cells of the cursor. */
	return best <= (4 * mp->scale) * (4 * mp->scale) * 4 ? fid : 0;
}

static void map_draw(view *v)
{
	map_priv *mp = v->priv;
	int cw = v->w, ch = v->h - 2 > 1 ? v->h - 2 : 1;
	if (!mp->done) {
		draw_printf(v->y, 1, v->w - 1, TC_DIM, 0, "loading the map: %lld of %lld features",
			    (long long)mp->loaded, (long long)mp->total);
		return;
	}
	if (mp->n == 0) {
		draw_text(v->y, 1, v->w - 1, "no map positions in this index (build with --decoder)", TC_DIM, 0);
		return;
	}
	free(mp->dots);
	free(mp->cellcl);
	mp->dots = xcalloc((size_t)cw * (size_t)ch, 1);
	mp->cellcl = xcalloc((size_t)cw * (size_t)ch, sizeof *mp->cellcl);
	static const uint8_t bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
	/* points per dot, then the density threshold */
	size_t ndot = (size_t)cw * (size_t)ch * 8;
	uint32_t *cnt = xcalloc(ndot, sizeof *cnt);
	for (int64_t i = 0; i < mp->n; i++) {
		long dx, dy;
		map_project(v, mp, mp->pts[i].x, mp->pts[i].y, &dx, &dy);
		if (dx < 0 || dy < 0 || dx >= 2L * cw || dy >= 4L * ch)
			continue;
		cnt[(size_t)dy * (size_t)(2 * cw) + (size_t)dx]++;
	}
	uint32_t thr = 1;
	for (;;) {
		size_t lit = 0;
		for (size_t k = 0; k < ndot; k++)
			lit += cnt[k] >= thr;
		if ((double)lit <= MAP_LIT * (double)ndot || lit == 0)
			break;
		thr *= 2;
	}
	/* clusters by points on screen, for the legend and region labels */
	int64_t topc[MAP_LEGEND] = {0};
	int64_t topn[MAP_LEGEND] = {0};
	double topx[MAP_LEGEND] = {0}, topy[MAP_LEGEND] = {0};
	int64_t *ccl = NULL, *ccn = NULL;
	double *csx = NULL, *csy = NULL;
	int ncl = 0, capcl = 0;
	for (int64_t i = 0; i < mp->n; i++) {
		long dx, dy;
		map_project(v, mp, mp->pts[i].x, mp->pts[i].y, &dx, &dy);
		if (dx < 0 || dy < 0 || dx >= 2L * cw || dy >= 4L * ch)
			continue;
		size_t c = (size_t)(dy / 4) * (size_t)cw + (size_t)(dx / 2);
		if (cnt[(size_t)dy * (size_t)(2 * cw) + (size_t)dx] >= thr) {
			mp->dots[c] |= bit[dy % 4][dx % 2];
			mp->cellcl[c] = mp->pts[i].cluster;
		}
		int k = 0;
		while (k < ncl && ccl[k] != mp->pts[i].cluster)
			k++;
		if (k == ncl) {
			if (ncl == capcl) {
				capcl = capcl ? capcl * 2 : 64;
				ccl = xrealloc(ccl, (size_t)capcl * sizeof *ccl);
				ccn = xrealloc(ccn, (size_t)capcl * sizeof *ccn);
				csx = xrealloc(csx, (size_t)capcl * sizeof *csx);
				csy = xrealloc(csy, (size_t)capcl * sizeof *csy);
			}
			ccl[k] = mp->pts[i].cluster;
			ccn[k] = 0;
			csx[k] = csy[k] = 0;
			ncl++;
		}
		ccn[k]++;
		csx[k] += (double)dx / 2;
		csy[k] += (double)dy / 4;
	}
	free(cnt);
	for (int k = 0; k < ncl; k++) {
		if (ccl[k] <= 0)
			continue;
		int at = MAP_LEGEND;
		while (at > 0 && ccn[k] > topn[at - 1])
			at--;
		if (at >= MAP_LEGEND)
			continue;
		memmove(topc + at + 1, topc + at, (size_t)(MAP_LEGEND - 1 - at) * sizeof *topc);
		memmove(topn + at + 1, topn + at, (size_t)(MAP_LEGEND - 1 - at) * sizeof *topn);
		memmove(topx + at + 1, topx + at, (size_t)(MAP_LEGEND - 1 - at) * sizeof *topx);
		memmove(topy + at + 1, topy + at, (size_t)(MAP_LEGEND - 1 - at) * sizeof *topy);
		topc[at] = ccl[k];
		topn[at] = ccn[k];
		topx[at] = csx[k] / (double)ccn[k];
		topy[at] = csy[k] / (double)ccn[k];
	}
	free(ccl);
	free(ccn);
	free(csx);
	free(csy);
	for (int y = 0; y < ch; y++)
		for (int x = 0; x < cw; x++) {
			size_t c = (size_t)y * (size_t)cw + (size_t)x;
			if (!mp->dots[c])
				continue;
			wchar_t wc[2] = {(wchar_t)(0x2800 + mp->dots[c]), 0};
			term_set_cluster(mp->cellcl[c]);
			mvaddnwstr(v->y + 1 + y, v->x + x, wc, 1);
		}
	/* names of the largest regions at their centres, and the legend */
	int lx = 1;
	for (int k = 0; k < MAP_LEGEND && topc[k] > 0; k++) {
		fs_cluster c;
		char lab[64] = "";
		if (index_cluster(tui.ix, topc[k], &c) == 0) {
			/* at most 20 bytes, cut at a character boundary */
			const char *cl = c.label ? c.label : "";
			size_t n = 0, len = strlen(cl);
			while (n < len) {
				int l = utf8_len((const unsigned char *)cl + n, len - n);
				l = l ? l : 1;
				if (n + (size_t)l > 20)
					break;
				n += (size_t)l;
			}
			memcpy(lab, cl, n);
			lab[n] = 0;
			free(c.label);
		}
		if (k < 3 && lab[0]) {
			int tw = draw_width(lab, strlen(lab));
			int x = (int)topx[k] - tw / 2, y = (int)topy[k];
			if (x < 0)
				x = 0;
			if (x + tw > cw)
				x = cw - tw;
			if (x >= 0 && y >= 0 && y < ch)
				draw_text(v->y + 1 + y, v->x + x, tw, lab, TC_HEADER, 0);
		}
		char item[96];
		snprintf(item, sizeof item, "#%lld %s  ", (long long)topc[k], lab);
		if (lx + 2 >= v->w)
			break;
		term_set_cluster(topc[k]);
		mvaddnwstr(v->y + 1 + ch, v->x + lx, L"\x25a0", 1);
		lx += 2;
		lx += draw_text(v->y + 1 + ch, v->x + lx, v->w - lx, item, TC_NORMAL, DRAW_ELLIPSIS);
	}
	/* the cursor */
	if (mp->curx >= 0 && mp->curx < cw && mp->cury >= 0 && mp->cury < ch)
		draw_text(v->y + 1 + mp->cury, v->x + mp->curx, 1, "+", TC_SELECT, 0);
	term_set(TC_NORMAL);
	int pinned = mp->pin && mp->curx == mp->pin_x && mp->cury == mp->pin_y && mp->cx == mp->pin_cx &&
		     mp->cy == mp->pin_cy && mp->scale == mp->pin_scale;
	if (!pinned)
		mp->pin = 0;
	mp->under = pinned ? mp->pin : map_nearest(v, mp);
	char info[600] = "";
	if (mp->under) {
		fs_feature f;
		char name[64], lab[512] = "";
		int user = 0;
		index_feature_name(tui.ix, mp->under, name, sizeof name);
		if (index_feature(tui.ix, mp->under, &f) == 0) {
			tui_label(f.id, f.label, lab, sizeof lab, &user);
			index_feature_free(&f);
		}
		snprintf(info, sizeof info, "%s  %s", name, lab);
	}
	draw_printf(v->y, 0, v->w, TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS, " %lld features, zoom x%.3g | %s",
		    (long long)mp->n, mp->fit / mp->scale, info[0] ? info : "no feature under the cursor");
}

static int map_key(view *v, int act, int key)
{
	map_priv *mp = v->priv;
	int cw = v->w, ch = v->h - 2 > 1 ? v->h - 2 : 1;
	(void)key;
	if (!mp->done)
		return act == ACT_ENTER ? VR_HANDLED : 0;
	switch (act) {
	case ACT_UP: mp->cury--; break;
	case ACT_DOWN: mp->cury++; break;
	case ACT_LEFT: mp->curx--; break;
	case ACT_RIGHT: mp->curx++; break;
	case ACT_PAGE_UP: mp->cy += ch * 2 * mp->scale; break;
	case ACT_PAGE_DOWN: mp->cy -= ch * 2 * mp->scale; break;
	case ACT_ZOOM_IN:
	case ACT_ZOOM_OUT: {
		/* Keep the map point under the cursor in place. */
		double bx = mp->cx + ((mp->curx * 2 + 1) - cw) * mp->scale;
		double by = mp->cy - ((mp->cury * 4 + 2) - 2.0 * ch) * mp->scale;
		double f = act == ACT_ZOOM_IN ? 0.5 : 2.0;
		mp->cx = bx + (mp->cx - bx) * f;
		mp->cy = by + (mp->cy - by) * f;
		mp->scale *= f;
		break;
	}
	case ACT_ZOOM_RESET:
		map_fit(v);
		mp->curx = cw / 2;
		mp->cury = ch / 2;
		break;
	case ACT_ENTER:
		if (mp->under)
			return 0; /* the browser opens the selected feature */
		tui_status(TC_STATUS, "no feature under the cursor");
		return VR_HANDLED | VR_REDRAW;
	default:
		return 0;
	}
	/* Pan when the cursor leaves the canvas. */
	if (mp->curx < 0) { mp->cx -= cw / 2 * 2 * mp->scale; mp->curx += cw / 2; }
	if (mp->curx >= cw) { mp->cx += cw / 2 * 2 * mp->scale; mp->curx -= cw / 2; }
	if (mp->cury < 0) { mp->cy += ch / 2 * 4 * mp->scale; mp->cury += ch / 2; }
	if (mp->cury >= ch) { mp->cy -= ch / 2 * 4 * mp->scale; mp->cury -= ch / 2; }
	return VR_HANDLED | VR_REDRAW;
}

static int map_click(view *v, int y, int x, int dbl)
{
	map_priv *mp = v->priv;
	if (y <= v->y || y >= v->y + v->h)
		return 0;
	mp->curx = x - v->x;
	mp->cury = y - v->y - 1;
	if (dbl) {
		tui_redraw();
		if (mp->under)
			view_open_feature(mp->under);
	}
	return 1;
}

static int map_busy(view *v) { return !((map_priv *)v->priv)->done; }

static int map_tick(view *v)
{
	map_priv *mp = v->priv;
	if (mp->done)
		return 0;
	/* one step (a few ms): a key that comes meanwhile waits for no more */
	map_load_step(v);
	return VR_REDRAW;
}

static int64_t map_selected(view *v) { return ((map_priv *)v->priv)->under; }

static void map_relayout(view *v)
{
	map_priv *mp = v->priv;
	if (mp->curx >= v->w)
		mp->curx = v->w - 1;
	if (mp->cury >= v->h - 2)
		mp->cury = v->h - 3;
	if (mp->cury < 0)
		mp->cury = 0;
}

static void map_free(view *v)
{
	map_priv *mp = v->priv;
	free(mp->pts);
	free(mp->dots);
	free(mp->cellcl);
	free(mp);
}

static const view_ops map_ops = {
	.kind = VIEW_MAP,
	.draw = map_draw,
	.key = map_key,
	.click = map_click,
	.busy = map_busy,
	.tick = map_tick,
	.stepped = 1,
	.selected = map_selected,
	.relayout = map_relayout,
	.free = map_free,
};

void view_open_map(int sae, int64_t fid)
{
	map_priv *mp = xcalloc(1, sizeof *mp);
	if (sae == 0 && fid > 0) {
		fs_feature f;
		if (index_feature(tui.ix, fid, &f) == 0) {
			sae = f.sae;
			index_feature_free(&f);
		}
	}
	if (sae == 0 && index_n_saes(tui.ix) > 0)
		sae = index_sae(tui.ix, 0)->id;
	mp->sae = sae;
	mp->want_fid = fid;
	mp->total = index_feature_count(tui.ix, sae, "");
	mp->scale = 1;
	const fs_sae *s = index_sae_by_id(tui.ix, sae);
	view *v = view_new(&map_ops, mp);
	snprintf(v->title, sizeof v->title, "map of %s", s ? s->name : "?");
	map_tick(v);
	view_push(v);
}

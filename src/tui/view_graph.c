/*
 * view_graph.c: the graph screen: an attribution graph (graph/graph.h)
 * drawn as a grid, the prompt's tokens across the top, one row per layer
 * (logits at the top, embeddings at the bottom, as Neuronpedia draws them)
 * and one column per prompt position; each kept node is one glyph (o a
 * feature, x an error node, e an embedding, $ a logit, @ a folded group)
 * coloured by its activation (a logit by its probability). The pane below
 * shows the selected node (influence, activation, label), its strongest
 * links in and out, and the strongest paths to the selected logit (found
 * on the idle call after a key's frame, so no key waits for them). Keys
 * walk the nodes and follow links, change the pruning thresholds live
 * (graph_prune each time), mark nodes and name them as a supernode (saved
 * in the notes database by the graph's slug), fold groups, and export the
 * pruned subgraph as DOT or Mermaid. Enter on a feature opens its feature
 * page when an open index holds the transcoder's dictionary. All analysis
 * is graph.h's; this file only lays out and draws.
 */
#include "graph/graph.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"
#include "tui/graph_view.h"

#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define GV_LABEL_W 5  /* the row labels' column: "L12 ", "out ", "emb " */
#define GV_MIN_CELL 6 /* narrowest column of a prompt position */
#define GV_NPATHS 6   /* paths asked of graph_paths */
#define GV_STEP 0.05  /* a threshold key's step */

/* ------------------------------------------------ the pre-loaded graph */

static graph *gv_loaded;      /* by view_graph_load, for the next open */
static char *gv_loaded_path;

int view_graph_load(const char *path, char *err, size_t errlen)
{
	graph *g;
	if (graph_load(path, &g, err, errlen) != 0)
		return -1;
	if (gv_loaded)
		graph_free(gv_loaded);
	free(gv_loaded_path);
	gv_loaded = g;
	gv_loaded_path = xstrdup(path);
	return 0;
}

/* ------------------------------------------------------------- layout */

static int gv_node_hidden(const gv_priv *p, size_t i);

static int gv_cmp_layer_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x < y) - (x > y);
}

/* Sort key inside a cell: a more influential node (smaller cumulative
 * influence) first; logits by probability. */
static const graph *gv_sort_g;
static int gv_cmp_node(const void *a, const void *b)
{
	const graph_node *x = &gv_sort_g->nodes[*(const uint32_t *)a], *y = &gv_sort_g->nodes[*(const uint32_t *)b];
	double kx = x->kind == GRAPH_LOGIT ? -x->token_prob : x->influence;
	double ky = y->kind == GRAPH_LOGIT ? -y->token_prob : y->influence;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* The representative of group k when folded: its most influential kept
 * member; SIZE_MAX when none is kept. */
size_t gv_group_rep(const gv_priv *p, int k)
{
	size_t best = SIZE_MAX;
	for (int j = 0; j < p->groups[k].n; j++) {
		uint32_t m = p->groups[k].m[j];
		if (p->nkeep[m] && (best == SIZE_MAX || p->g->nodes[m].influence < p->g->nodes[best].influence))
			best = m;
	}
	return best;
}

static int gv_node_hidden(const gv_priv *p, size_t i)
{
	int k = p->group_of[i];
	return k >= 0 && p->groups[k].folded && gv_group_rep(p, k) != i;
}

/* The column of position ctx. */
static int gv_col(const gv_priv *p, int ctx)
{
	return ctx < 0 ? 0 : ctx >= p->ncols ? p->ncols - 1 : ctx;
}

void gv_layout(gv_priv *p)
{
	const graph *g = p->g;
	size_t n = g->nnodes;
	free(p->row_layer);
	free(p->cell);
	free(p->items);
	/* the layers with shown nodes, top first */
	int *ls = xmalloc((n ? n : 1) * sizeof *ls);
	int nl = 0;
	uint8_t *shown = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		if (p->nkeep[i] && !gv_node_hidden(p, i)) {
			shown[i] = 1;
			ls[nl++] = g->nodes[i].layer;
		}
	qsort(ls, (size_t)nl, sizeof *ls, gv_cmp_layer_desc);
	int nr = 0;
	for (int k = 0; k < nl; k++)
		if (nr == 0 || ls[nr - 1] != ls[k])
			ls[nr++] = ls[k];
	p->row_layer = ls;
	p->nrows = nr;
	size_t ncell = (size_t)nr * (size_t)p->ncols;
	p->cell = xcalloc(ncell + 1, sizeof *p->cell);
	p->items = xmalloc((n ? n : 1) * sizeof *p->items);
	/* the row of each layer: a binary search in the descending list */
	for (size_t i = 0; i < n; i++) {
		p->row_of[i] = -1;
		p->pos[i] = SIZE_MAX;
		if (!shown[i])
			continue;
		int lo = 0, hi = nr - 1, want = g->nodes[i].layer;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (ls[mid] > want)
				lo = mid + 1;
			else
				hi = mid;
		}
		p->row_of[i] = lo;
		p->cell[(size_t)lo * p->ncols + gv_col(p, g->nodes[i].ctx) + 1]++;
	}
	for (size_t c = 0; c < ncell; c++)
		p->cell[c + 1] += p->cell[c];
	size_t *fill = xmalloc((ncell ? ncell : 1) * sizeof *fill);
	memcpy(fill, p->cell, ncell * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		if (shown[i])
			p->items[fill[(size_t)p->row_of[i] * p->ncols + gv_col(p, g->nodes[i].ctx)]++] = (uint32_t)i;
	free(fill);
	gv_sort_g = g;
	for (size_t c = 0; c < ncell; c++)
		qsort(p->items + p->cell[c], p->cell[c + 1] - p->cell[c], sizeof *p->items, gv_cmp_node);
	p->nitems = p->cell[ncell];
	for (size_t k = 0; k < p->nitems; k++)
		p->pos[p->items[k]] = k;
	free(shown);
	/* the cursor on a node that is gone: its group's representative, or
	 * the first node shown */
	if (p->cur != SIZE_MAX && p->pos[p->cur] == SIZE_MAX) {
		int k = p->group_of[p->cur];
		size_t rep = k >= 0 ? gv_group_rep(p, k) : SIZE_MAX;
		p->cur = rep != SIZE_MAX && p->pos[rep] != SIZE_MAX ? rep : SIZE_MAX;
	}
	if (p->cur == SIZE_MAX && p->nitems)
		p->cur = p->items[0];
}

static void gv_prune(gv_priv *p)
{
	p->nkept = graph_prune(p->g, p->node_thr, p->edge_thr, p->nkeep, p->lkeep);
	size_t lk = 0;
	for (size_t l = 0; l < p->g->nlinks; l++)
		lk += p->lkeep[l];
	p->lkept = lk;
	p->paths_dirty = 1;
	gv_layout(p);
}

/* -------------------------------------------------------------- moving */

static void gv_select(gv_priv *p, size_t i, int remember)
{
	if (i == SIZE_MAX || i == p->cur)
		return;
	if (remember && p->cur != SIZE_MAX) {
		if (p->nhist == p->caphist) {
			p->caphist = p->caphist ? p->caphist * 2 : 16;
			p->hist = xrealloc(p->hist, (size_t)p->caphist * sizeof *p->hist);
		}
		p->hist[p->nhist++] = p->cur;
	}
	p->cur = i;
	if (p->g->nodes[i].kind == GRAPH_LOGIT && p->logit != i) {
		p->logit = i;
		p->paths_dirty = 1;
	}
}

/* A node as shown: itself, or its folded group's representative. */
static size_t gv_shown(const gv_priv *p, size_t i)
{
	if (p->pos[i] != SIZE_MAX)
		return i;
	int k = p->group_of[i];
	size_t r = k >= 0 ? gv_group_rep(p, k) : SIZE_MAX;
	return r != SIZE_MAX && p->pos[r] != SIZE_MAX ? r : SIZE_MAX;
}

/* The strongest kept link into (in) or out of node i to a shown node
 * other than i; SIZE_MAX none. *w gets its weight. */
static size_t gv_strongest(const gv_priv *p, size_t i, int in, float *w)
{
	const graph *g = p->g;
	if (in) {
		for (size_t k = g->in_start[i]; k < g->in_start[i + 1]; k++) {
			size_t l = g->in_order[k];
			size_t o = p->lkeep[l] ? gv_shown(p, g->links[l].src) : SIZE_MAX;
			if (o != SIZE_MAX && o != i) {
				*w = g->links[l].weight;
				return o;
			}
		}
	} else {
		for (size_t l = g->out_start[i]; l < g->out_start[i + 1]; l++) {
			size_t o = p->lkeep[l] ? gv_shown(p, g->links[l].dst) : SIZE_MAX;
			if (o != SIZE_MAX && o != i) {
				*w = g->links[l].weight;
				return o;
			}
		}
	}
	return SIZE_MAX;
}

/* Up/down: the node of the next row (dir) nearest the cursor's column. */
static size_t gv_vertical(const gv_priv *p, int dir)
{
	if (p->cur == SIZE_MAX)
		return SIZE_MAX;
	int r = p->row_of[p->cur], c = gv_col(p, p->g->nodes[p->cur].ctx);
	for (int rr = r + dir; rr >= 0 && rr < p->nrows; rr += dir)
		for (int d = 0; d < p->ncols; d++)
			for (int s = -1; s <= 1; s += 2) {
				int cc = c + s * d;
				if (cc < 0 || cc >= p->ncols)
					continue;
				size_t a = p->cell[(size_t)rr * p->ncols + cc], b = p->cell[(size_t)rr * p->ncols + cc + 1];
				if (a < b)
					return p->items[a];
			}
	return SIZE_MAX;
}

/* ------------------------------------------------------------- drawing */

static void gv_node_name(const graph *g, size_t i, char *buf, size_t len)
{
	const graph_node *nd = &g->nodes[i];
	switch (nd->kind) {
	case GRAPH_FEATURE:
		snprintf(buf, len, "L%d/%lld@%d", nd->layer, (long long)nd->index, nd->ctx);
		break;
	case GRAPH_ERROR: snprintf(buf, len, "err L%d@%d", nd->layer, nd->ctx); break;
	case GRAPH_EMBED: snprintf(buf, len, "emb@%d", nd->ctx); break;
	default: snprintf(buf, len, "logit@%d", nd->ctx); break;
	}
}

static const char *gv_node_token(const graph *g, size_t i)
{
	const graph_node *nd = &g->nodes[i];
	if (nd->token && nd->token[0])
		return nd->token;
	if (nd->kind == GRAPH_EMBED && nd->ctx >= 0 && nd->ctx < g->ntokens)
		return g->tokens[nd->ctx];
	return "";
}

static void gv_relayout(view *v)
{
	gv_priv *p = v->priv;
	v->y = 1;
	v->h = LINES - 2 > 1 ? LINES - 2 : 1;
	/* the pane below gets what the grid does not need, at least 7 rows */
	int grid = p->nrows + 1, pane = v->h - grid;
	if (pane < 7)
		pane = 7;
	if (pane > v->h - 3)
		pane = v->h - 3 > 0 ? v->h - 3 : 0;
	p->pane_h = pane;
}

static void gv_title(view *v)
{
	gv_priv *p = v->priv;
	snprintf(v->title, sizeof v->title, "graph %.80s: %zu/%zu nodes, %zu/%zu links, node<=%.2f link<=%.2f",
		 p->slug, p->nkept, p->g->nnodes, p->lkept, p->g->nlinks, p->node_thr, p->edge_thr);
}

static void gv_draw_cell(gv_priv *p, int y, int x, int cw, int r, int c)
{
	const graph *g = p->g;
	size_t a = p->cell[(size_t)r * p->ncols + c], b = p->cell[(size_t)r * p->ncols + c + 1];
	size_t n = b - a, room = (size_t)(cw - 1);
	size_t from = 0;
	if (n > room && p->cur != SIZE_MAX && p->pos[p->cur] >= a && p->pos[p->cur] < b) {
		size_t k = p->pos[p->cur] - a;
		from = k + 4 > room ? k + 4 - room : 0;
	}
	int xx = x;
	if (from) {
		draw_text(y, xx, 1, "<", TC_DIM, 0);
		xx++;
	}
	for (size_t k = a + from; k < b && xx < x + cw - 1; k++) {
		if (n - (k - a) > (size_t)(x + cw - 1 - xx) && x + cw - 1 - xx <= 3) {
			draw_printf(y, xx, x + cw - 1 - xx, TC_DIM, 0, "+%zu", b - k);
			break;
		}
		size_t i = p->items[k];
		const graph_node *nd = &g->nodes[i];
		int folded = p->group_of[i] >= 0 && p->groups[p->group_of[i]].folded;
		char ch = folded ? '@' : nd->kind == GRAPH_FEATURE ? 'o' : nd->kind == GRAPH_ERROR ? 'x'
			  : nd->kind == GRAPH_EMBED ? 'e' : '$';
		double val = nd->kind == GRAPH_LOGIT ? nd->token_prob : fabs(nd->activation);
		if (i == p->cur)
			term_set(TC_SELECT);
		else if (p->mark[i])
			term_set(TC_MATCH);
		else if (nd->kind == GRAPH_FEATURE || nd->kind == GRAPH_LOGIT) {
			int lv = draw_heat_level((float)val, nd->kind == GRAPH_LOGIT ? 1.0f : (float)p->max_act);
			term_set_heat(lv > 0 ? lv : 1, p->group_of[i] >= 0 ? A_UNDERLINE : 0);
		}
		else
			term_set_x(TC_DIM, p->group_of[i] >= 0 ? A_UNDERLINE : 0);
		mvaddch(y, xx, (chtype)ch);
		xx++;
	}
	term_set(TC_NORMAL);
}

/* One path as text: "0.0123 emb@1 > L3/57528@1 > logit@3". */
static void gv_path_text(const gv_priv *p, const graph_path *pa, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%+.4f ", pa->score);
	for (int k = 0; k < pa->n && o < len; k++) {
		char nm[64];
		gv_node_name(p->g, pa->nodes[k], nm, sizeof nm);
		o += (size_t)snprintf(buf + o, len - o, "%s%s", k ? " > " : "", nm);
	}
}

static void gv_draw_pane(view *v, int y0)
{
	gv_priv *p = v->priv;
	const graph *g = p->g;
	int w = v->w, y = y0, ye = v->y + v->h;
	draw_fill(y, 0, w, TC_HEADER);
	if (p->cur == SIZE_MAX) {
		draw_text(y, 1, w - 1, "no node kept: raise the thresholds (> and })", TC_HEADER, 0);
		return;
	}
	size_t i = p->cur;
	const graph_node *nd = &g->nodes[i];
	char nm[64], line[1024];
	gv_node_name(g, i, nm, sizeof nm);
	int k = p->group_of[i];
	char infl[32] = "-", act[32] = "-";
	if (!isnan(nd->influence))
		snprintf(infl, sizeof infl, "%.3f", nd->influence);
	if (!isnan(nd->activation))
		snprintf(act, sizeof act, "%.3g", nd->activation);
	snprintf(line, sizeof line, " %s  %s %s  influence %s  activation %s%s%s%s", nm, graph_kind_name(nd->kind),
		 nd->id, infl, act, k >= 0 ? "  in supernode '" : "", k >= 0 ? p->groups[k].name : "",
		 k >= 0 ? (p->groups[k].folded ? "' (folded)" : "'") : "");
	draw_text(y++, 0, w, line, TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS);
	if (y >= ye)
		return;
	if (nd->kind == GRAPH_LOGIT || nd->kind == GRAPH_EMBED) {
		char *tok = draw_token_readable(gv_node_token(g, i), strlen(gv_node_token(g, i)));
		if (nd->kind == GRAPH_LOGIT)
			snprintf(line, sizeof line, " token %s  probability %.3f%s", tok, nd->token_prob,
				 nd->target_logit ? "  (target)" : "");
		else
			snprintf(line, sizeof line, " token %s", tok);
		free(tok);
	} else {
		snprintf(line, sizeof line, " %s", nd->clerp && nd->clerp[0] ? nd->clerp : "(no label)");
	}
	draw_text(y++, 0, w, line, nd->clerp && nd->clerp[0] ? TC_NORMAL : TC_DIM, DRAW_ELLIPSIS);
	for (int in = 1; in >= 0 && y < ye; in--) {
		size_t o = (size_t)snprintf(line, sizeof line, " %s", in ? "in: " : "out:");
		size_t b = in ? g->in_start[i] : g->out_start[i], e = in ? g->in_start[i + 1] : g->out_start[i + 1];
		int shown = 0;
		size_t kept = 0;
		for (size_t q = b; q < e; q++) {
			size_t l = in ? g->in_order[q] : q;
			if (!p->lkeep[l])
				continue;
			kept++;
			if (shown < 4 && o < sizeof line) {
				char on[64];
				gv_node_name(g, in ? g->links[l].src : g->links[l].dst, on, sizeof on);
				o += (size_t)snprintf(line + o, sizeof line - o, " %s %+.3g;", on, g->links[l].weight);
				shown++;
			}
		}
		if (o < sizeof line)
			snprintf(line + o, sizeof line - o, " (%zu kept of %zu)", kept, e - b);
		draw_text(y++, 0, w, line, TC_NORMAL, DRAW_ELLIPSIS);
	}
	if (y >= ye || p->logit == SIZE_MAX)
		return;
	char *tok = draw_token_readable(gv_node_token(g, p->logit), strlen(gv_node_token(g, p->logit)));
	if (p->paths_dirty)
		snprintf(line, sizeof line, " paths to logit %s (p %.3f): finding them...", tok, g->nodes[p->logit].token_prob);
	else
		snprintf(line, sizeof line, " paths to logit %s (p %.3f): %d", tok, g->nodes[p->logit].token_prob, p->npaths);
	free(tok);
	draw_text(y++, 0, w, line, TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS);
	for (int q = 0; !p->paths_dirty && q < p->npaths && y < ye; q++) {
		gv_path_text(p, &p->paths[q], line, sizeof line);
		draw_text(y++, 1, w - 1, line, TC_NORMAL, DRAW_ELLIPSIS);
	}
}

/* The paths are found after the frame that follows a key (the idle call):
 * the key's frame (a move, a new threshold) never waits for them. */
static int gv_busy(view *v)
{
	gv_priv *p = v->priv;
	return p->paths_dirty && p->logit != SIZE_MAX;
}

static int gv_tick(view *v)
{
	gv_priv *p = v->priv;
	if (!gv_busy(v))
		return 0;
	graph_paths_free(p->paths, p->npaths);
	p->paths = NULL;
	p->npaths = graph_paths(p->g, p->logit, GV_NPATHS, p->nkeep, p->lkeep, &p->paths);
	if (p->npaths < 0)
		p->npaths = 0;
	p->paths_dirty = 0;
	return VR_REDRAW;
}

static void gv_draw(view *v)
{
	gv_priv *p = v->priv;
	const graph *g = p->g;
	gv_relayout(v); /* the rows shown change with pruning and folding */
	int gh = v->h - p->pane_h - 1; /* grid rows below the tokens' line */
	int avail = v->w - GV_LABEL_W;
	int cw = p->ncols ? avail / p->ncols : avail;
	if (cw < GV_MIN_CELL)
		cw = GV_MIN_CELL;
	int vis_cols = avail / cw > 0 ? avail / cw : 1;
	/* scroll to keep the cursor in sight */
	if (p->cur != SIZE_MAX) {
		int r = p->row_of[p->cur], c = gv_col(p, g->nodes[p->cur].ctx);
		if (r < p->grid_top)
			p->grid_top = r;
		if (gh > 0 && r >= p->grid_top + gh)
			p->grid_top = r - gh + 1;
		if (c < p->col_left)
			p->col_left = c;
		if (c >= p->col_left + vis_cols)
			p->col_left = c - vis_cols + 1;
	}
	if (p->grid_top > p->nrows - (gh > 0 ? gh : 1))
		p->grid_top = p->nrows - gh > 0 ? p->nrows - gh : 0;
	/* the tokens across the top */
	draw_fill(v->y, 0, v->w, TC_HEADER);
	draw_text(v->y, 0, GV_LABEL_W, "pos", TC_HEADER, 0);
	for (int c = p->col_left; c < p->ncols && c < p->col_left + vis_cols; c++) {
		const char *t = c < g->ntokens ? g->tokens[c] : "";
		char *rd = draw_token_readable(t, strlen(t));
		draw_text(v->y, GV_LABEL_W + (c - p->col_left) * cw, cw - 1, rd, TC_HEADER, DRAW_ELLIPSIS);
		free(rd);
	}
	for (int k = 0; k < gh; k++) {
		int r = p->grid_top + k, y = v->y + 1 + k;
		draw_fill(y, 0, v->w, TC_NORMAL);
		if (r >= p->nrows)
			continue;
		int layer = p->row_layer[r];
		int logit_row = layer >= g->nlayers, emb_row = layer < 0;
		draw_printf(y, 0, GV_LABEL_W, TC_DIM, 0, "%s", logit_row ? "out" : emb_row ? "emb" : "");
		if (!logit_row && !emb_row)
			draw_printf(y, 0, GV_LABEL_W, TC_DIM, 0, "L%d", layer);
		for (int c = p->col_left; c < p->ncols && c < p->col_left + vis_cols; c++)
			gv_draw_cell(p, y, GV_LABEL_W + (c - p->col_left) * cw, cw, r, c);
	}
	if (p->pane_h > 0)
		gv_draw_pane(v, v->y + 1 + (gh > 0 ? gh : 0));
}

/* -------------------------------------------------------------- keys */

/* Enter on a feature: its page when an open index holds it. */
static void gv_open_feature(gv_priv *p)
{
	if (p->cur == SIZE_MAX)
		return;
	const graph_node *nd = &p->g->nodes[p->cur];
	if (nd->kind != GRAPH_FEATURE) {
		tui_status(TC_STATUS, "%s: a %s node has no feature page", nd->id, graph_kind_name(nd->kind));
		return;
	}
	tui_file *f = NULL;
	int64_t fid = gv_fid(p->g, p->cur, &f);
	if (fid <= 0) {
		tui_status(TC_STATUS, "%s: %s (no open index holds %s%s%s layer %d; --sae names one)", nd->id,
			   nd->clerp && nd->clerp[0] ? nd->clerp : "no label", p->g->transcoder_set,
			   p->g->transcoder_set[0] ? ", " : "", p->g->scan, nd->layer);
		return;
	}
	tui_use_file(f);
	view_open_feature(fid);
}

static int gv_threshold(gv_priv *p, double *t, double d)
{
	double nt = *t + d;
	nt = nt < 0 ? 0 : nt > 1 ? 1 : nt;
	nt = round(nt * 100) / 100;
	if (nt == *t)
		return VR_HANDLED;
	*t = nt;
	gv_prune(p);
	return VR_HANDLED | VR_REDRAW;
}

static int gv_key_act(view *v, int act, int key)
{
	gv_priv *p = v->priv;
	(void)key;
	size_t to = SIZE_MAX;
	float w = 0;
	switch (act) {
	case ACT_UP: to = gv_vertical(p, -1); break;
	case ACT_DOWN: to = gv_vertical(p, 1); break;
	case ACT_LEFT:
	case ACT_GRAPH_PREV:
		if (p->cur != SIZE_MAX && p->pos[p->cur] > 0)
			to = p->items[p->pos[p->cur] - 1];
		break;
	case ACT_RIGHT:
	case ACT_GRAPH_NEXT:
		if (p->cur != SIZE_MAX && p->pos[p->cur] + 1 < p->nitems)
			to = p->items[p->pos[p->cur] + 1];
		break;
	case ACT_FIRST:
		to = p->nitems ? p->items[0] : SIZE_MAX;
		break;
	case ACT_LAST:
		to = p->nitems ? p->items[p->nitems - 1] : SIZE_MAX;
		break;
	case ACT_LINK_IN:
	case ACT_LINK_OUT:
		if (p->cur == SIZE_MAX)
			return VR_HANDLED;
		to = gv_strongest(p, p->cur, act == ACT_LINK_IN, &w);
		if (to == SIZE_MAX) {
			tui_status(TC_STATUS, "no kept link %s this node", act == ACT_LINK_IN ? "into" : "out of");
			return VR_HANDLED | VR_REDRAW;
		}
		gv_select(p, to, 1);
		tui_status(TC_STATUS, "followed a link of weight %+.4g", w);
		return VR_HANDLED | VR_REDRAW;
	case ACT_WALK_BACK:
		while (p->nhist > 0 && (to = gv_shown(p, p->hist[--p->nhist])) == SIZE_MAX)
			;
		if (to == SIZE_MAX)
			tui_status(TC_STATUS, "no node to go back to");
		gv_select(p, to, 0);
		return VR_HANDLED | VR_REDRAW;
	case ACT_NODE_MORE: return gv_threshold(p, &p->node_thr, GV_STEP);
	case ACT_NODE_FEWER: return gv_threshold(p, &p->node_thr, -GV_STEP);
	case ACT_LINK_MORE: return gv_threshold(p, &p->edge_thr, GV_STEP / 5);
	case ACT_LINK_FEWER: return gv_threshold(p, &p->edge_thr, -GV_STEP / 5);
	case ACT_MARK:
		if (p->cur != SIZE_MAX) {
			p->mark[p->cur] ^= 1;
			p->nmarked += p->mark[p->cur] ? 1 : -1;
			tui_status(TC_STATUS, "%d node%s marked (a names them as a supernode)", p->nmarked,
				   p->nmarked == 1 ? "" : "s");
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_GROUP:
		gv_group_name(v, NULL);
		return VR_HANDLED | VR_REDRAW;
	case ACT_GROUP_DELETE:
		gv_group_delete(p);
		return VR_HANDLED | VR_REDRAW;
	case ACT_FOLD: {
		int k = p->cur != SIZE_MAX ? p->group_of[p->cur] : -1;
		if (k < 0) {
			tui_status(TC_STATUS, "the selected node is in no supernode");
			return VR_HANDLED | VR_REDRAW;
		}
		p->groups[k].folded ^= 1;
		gv_layout(p);
		tui_status(TC_STATUS, "supernode '%s' %s", p->groups[k].name, p->groups[k].folded ? "folded" : "unfolded");
		return VR_HANDLED | VR_REDRAW;
	}
	case ACT_GRAPH_EXPORT:
		gv_export(p, NULL);
		return VR_HANDLED | VR_REDRAW;
	case ACT_ENTER:
		gv_open_feature(p);
		return VR_HANDLED | VR_REDRAW;
	default:
		return 0;
	}
	gv_select(p, to, 0);
	return VR_HANDLED | VR_REDRAW;
}

/* The title bar is drawn before the body: it is made after every change. */
static int gv_key(view *v, int act, int key)
{
	int r = gv_key_act(v, act, key);
	gv_title(v);
	return r;
}

static int gv_command_act(view *v, int act, const char *arg);
static int gv_command(view *v, int act, const char *arg)
{
	int r = gv_command_act(v, act, arg);
	gv_title(v);
	return r;
}

static int gv_command_act(view *v, int act, const char *arg)
{
	gv_priv *p = v->priv;
	if (act == ACT_GRAPH_EXPORT) {
		gv_export(p, arg);
		return VR_HANDLED;
	}
	if (act == ACT_GROUP) {
		gv_group_name(v, arg);
		return VR_HANDLED;
	}
	if (act == ACT_NODE_MORE || act == ACT_LINK_MORE) {
		/* ":node-more 0.6": set the threshold */
		char *end;
		double t = strtod(arg, &end);
		if (end == arg || *end || !(t >= 0 && t <= 1)) {
			tui_status(TC_ERROR, "%s: a threshold from 0 to 1", keymap_name(act));
			return VR_HANDLED;
		}
		double *tp = act == ACT_NODE_MORE ? &p->node_thr : &p->edge_thr;
		*tp = t;
		gv_prune(p);
		return VR_HANDLED;
	}
	return 0;
}

static int64_t gv_selected(view *v)
{
	gv_priv *p = v->priv;
	tui_file *f = NULL;
	int64_t fid = p->cur != SIZE_MAX ? gv_fid(p->g, p->cur, &f) : 0;
	return fid > 0 && f == v->file ? fid : 0;
}

static char *gv_copy(view *v)
{
	gv_priv *p = v->priv;
	if (p->cur == SIZE_MAX)
		return NULL;
	const graph_node *nd = &p->g->nodes[p->cur];
	return xasprintf("%s\t%s\tlayer %d\tpos %d\tinfluence %.6g\tactivation %.6g\t%s\n", nd->id,
			 graph_kind_name(nd->kind), nd->layer, nd->ctx, nd->influence, nd->activation,
			 nd->clerp ? nd->clerp : "");
}

static void gv_free(view *v)
{
	gv_priv *p = v->priv;
	for (int k = 0; k < p->ngroups; k++) {
		free(p->groups[k].name);
		free(p->groups[k].m);
	}
	free(p->groups);
	graph_paths_free(p->paths, p->npaths);
	free(p->row_layer);
	free(p->cell);
	free(p->items);
	free(p->pos);
	free(p->row_of);
	free(p->hist);
	free(p->mark);
	free(p->group_of);
	free(p->nkeep);
	free(p->lkeep);
	graph_free(p->g);
	free(p);
}

static const view_ops gv_ops = {
	.kind = VIEW_GRAPH,
	.draw = gv_draw,
	.key = gv_key,
	.selected = gv_selected,
	.relayout = gv_relayout,
	.busy = gv_busy,
	.tick = gv_tick,
	.command = gv_command,
	.copy = gv_copy,
	.free = gv_free,
};

void view_open_graph(const char *path)
{
	graph *g = NULL;
	char err[512];
	if (gv_loaded && gv_loaded_path && !strcmp(gv_loaded_path, path)) {
		g = gv_loaded;
		gv_loaded = NULL;
		free(gv_loaded_path);
		gv_loaded_path = NULL;
	} else if (graph_load(path, &g, err, sizeof err) != 0) {
		tui_status(TC_ERROR, "%s", err);
		return;
	}
	gv_priv *p = xcalloc(1, sizeof *p);
	p->g = g;
	if (g->slug && g->slug[0]) {
		snprintf(p->slug, sizeof p->slug, "%s", g->slug);
	} else {
		/* no slug: the file's name without its folder and extension */
		const char *b = strrchr(path, '/');
		b = b ? b + 1 : path;
		snprintf(p->slug, sizeof p->slug, "%s", b);
		char *dot = strrchr(p->slug, '.');
		if (dot && dot != p->slug)
			*dot = 0;
	}
	p->node_thr = isnan(g->node_threshold) ? 0.8 : g->node_threshold;
	p->edge_thr = isnan(g->edge_threshold) ? 0.98 : g->edge_threshold;
	size_t n = g->nnodes ? g->nnodes : 1;
	p->nkeep = xmalloc(n);
	p->lkeep = xmalloc(g->nlinks ? g->nlinks : 1);
	p->pos = xmalloc(n * sizeof *p->pos);
	p->row_of = xmalloc(n * sizeof *p->row_of);
	p->mark = xcalloc(n, 1);
	p->group_of = xmalloc(n * sizeof *p->group_of);
	int maxctx = g->ntokens - 1;
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].kind == GRAPH_FEATURE && fabs(g->nodes[i].activation) > p->max_act)
			p->max_act = fabs(g->nodes[i].activation);
	if (!(p->max_act > 0))
		p->max_act = 1;
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].ctx > maxctx && g->nodes[i].ctx < 100000)
			maxctx = g->nodes[i].ctx;
	p->ncols = maxctx + 1 > 0 ? maxctx + 1 : 1;
	p->cur = SIZE_MAX;
	p->logit = SIZE_MAX;
	/* the pane's logit: the most probable target logit */
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].kind == GRAPH_LOGIT &&
		    (p->logit == SIZE_MAX || g->nodes[i].token_prob > g->nodes[p->logit].token_prob))
			p->logit = i;
	view *v = view_new(&gv_ops, p);
	gv_groups_load(p);
	gv_prune(p);
	/* start on that logit */
	if (p->logit != SIZE_MAX && p->pos[p->logit] != SIZE_MAX)
		p->cur = p->logit;
	gv_title(v);
	view_layout(v);
	view_push(v);
}

/*
 * view_compare.c: the browser's comparison screens, self-contained (the
 * computing is in src/compare/):
 *   - compare: two dictionaries of the index matched (as `featscope
 *     compare`): the mutual pairs sorted by cosine or co-activation, or
 *     the unmatched features of either side ('u' cycles the lists, 'o' the
 *     order, 'd' the other dictionary); Enter opens a pair side by side,
 *     an unmatched feature's page; the matching (decoder products,
 *     seconds for wide dictionaries) runs on a worker thread that touches
 *     no index while the screen says "computing..." and answers keys, the
 *     index reads (sides, co-activation) stay on the screen's thread;
 *   - pair: two features in split panes, their top contexts scrolling
 *     together;
 *   - family: a feature's family over the wider dictionaries of its hook
 *     point (as `featscope family`), one tree row per feature;
 *   - the feature page's "matches:" line: the feature's best match by
 *     decoder cosine in each other dictionary of its d_model.
 */
#include "compare/compare.h"
#include "compare/compare_load.h"
#include "compare/family.h"
#include "compare/matches.h"
#include "core/util.h"
#include "geom/knn.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- compare */

/* One row of the compare screen's current list. */
typedef struct {
	int64_t a, b;      /* rows of A and B (-1 none) */
	float cos;         /* decoder cosine */
	double corr;       /* co-activation correlation (NAN unknown) */
	double share;      /* share of a's firings where b fires (NAN unknown) */
} cv_row;

/* The compare screen's state. */
typedef struct {
	tui_file *fa, *fb; /* the files of A and B (one, or two) */
	int sa, sb;        /* dictionary ids */
	cmp_side A, B;     /* the sides (fids, labels, decoders) */
	cmp_match m;       /* the matching */
	cmp_coact *coa;    /* per A row: co-activation with its best B (NULL: not available) */
	float ta, tb;      /* matched thresholds */
	int list;          /* 0 mutual pairs, 1 unmatched in A, 2 unmatched in B */
	int by_coact;      /* pairs sorted by correlation */
	cv_row *rows;      /* the current list */
	int64_t n;         /* its rows */
	char coact[256];   /* why co-activation is not available ("" available) */
	char err[512];     /* why nothing could be computed ("" ok) */
	pthread_t th;      /* the matching's worker */
	int running;       /* th started and not joined */
	int done;          /* the worker finished (guarded by mu) */
	int match_rc;      /* its cmp_match_run result */
	char match_err[512]; /* its message */
	pthread_mutex_t mu; /* guards done */
} cv_priv;

static int cv_by_cos(const void *x, const void *y)
{
	const cv_row *a = x, *b = y;
	if (a->cos != b->cos)
		return a->cos > b->cos ? -1 : 1;
	return a->a < b->a ? -1 : a->a > b->a;
}

static int cv_by_corr(const void *x, const void *y)
{
	const cv_row *a = x, *b = y;
	double ca = isnan(a->corr) ? -2 : a->corr, cb = isnan(b->corr) ? -2 : b->corr;
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return cv_by_cos(x, y);
}

static int cv_by_cos_up(const void *x, const void *y)
{
	return -cv_by_cos(x, y);
}

/* Build the current list from the matching. */
static void cv_list(view *v)
{
	cv_priv *p = v->priv;
	free(p->rows);
	p->rows = NULL;
	p->n = 0;
	if (p->err[0]) {
		v->nrows = 0;
		return;
	}
	int k = p->m.k;
	int64_t cap = p->list == 2 ? p->B.n : p->A.n;
	p->rows = xmalloc((size_t)(cap + 1) * sizeof *p->rows);
	if (p->list == 0) {
		for (int64_t i = 0; i < p->A.n; i++)
			if (p->m.mutual[i] >= 0)
				p->rows[p->n++] = (cv_row){i, p->m.mutual[i], p->m.ab.cos[i * k],
							   p->coa ? p->coa[i].corr : NAN,
							   p->coa ? p->coa[i].share_a : NAN};
		qsort(p->rows, (size_t)p->n, sizeof *p->rows, p->by_coact ? cv_by_corr : cv_by_cos);
	} else {
		const knn_result *r = p->list == 1 ? &p->m.ab : &p->m.ba;
		float t = p->list == 1 ? p->ta : p->tb;
		for (int64_t i = 0; i < r->n; i++) {
			float c = r->idx[i * k] >= 0 ? r->cos[i * k] : -1;
			if (!(c > t))
				p->rows[p->n++] = (cv_row){i, r->idx[i * k], c, NAN, NAN};
		}
		qsort(p->rows, (size_t)p->n, sizeof *p->rows, cv_by_cos_up);
	}
	v->nrows = p->n;
	v->cur = v->top = 0;
	/* the unmatched in B name features of B's file */
	view_set_file(v, p->list == 2 ? p->fb : p->fa);
}

static void cv_title(view *v)
{
	cv_priv *p = v->priv;
	static const char *const lists[] = {"mutual pairs", "unmatched in", "unmatched in"};
	if (p->err[0])
		snprintf(v->title, sizeof v->title, "compare");
	else
		snprintf(v->title, sizeof v->title, "compare %s with %s: %s%s%s", p->A.name,
			 p->B.name, lists[p->list],
			 p->list == 0 ? (p->by_coact ? " by co-activation" : " by cosine") : " ",
			 p->list == 1 ? p->A.name : p->list == 2 ? p->B.name : "");
}

/* The worker: the matching of the two sides' decoders, no index touched. */
static void *cv_worker(void *arg)
{
	cv_priv *p = arg;
	cmp_opts o;
	cmp_opts_init(&o);
	int rc = cmp_match_run(p->A.W, p->A.n, p->B.W, p->B.n, p->A.d, &o, &p->m, p->match_err, sizeof p->match_err);
	pthread_mutex_lock(&p->mu);
	p->match_rc = rc;
	p->done = 1;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Wait for the worker (the matching is not cancellable). */
static void cv_join(cv_priv *p)
{
	if (p->running) {
		pthread_join(p->th, NULL);
		p->running = 0;
	}
}

/* The rest of a comparison once the matching is there (screen thread):
 * thresholds, co-activation from the index, the list. */
static void cv_finish(view *v)
{
	cv_priv *p = v->priv;
	char err[512];
	if (!p->err[0] && p->match_rc != 0)
		snprintf(p->err, sizeof p->err, "%s", p->match_err);
	if (!p->err[0]) {
		p->ta = cmp_threshold(&p->m, 0, 0);
		p->tb = cmp_threshold(&p->m, 1, 0);
		/* as `featscope compare`: across files over the contexts both hold */
		cmp_acts aa, ab;
		int64_t shared;
		int r = cmp_sides_acts(&p->A, &p->B, &aa, &ab, &shared, p->coact, sizeof p->coact, err, sizeof err);
		if (r == 1) {
			p->coa = xmalloc((size_t)(p->A.n + 1) * sizeof *p->coa);
			for (int64_t i = 0; i < p->A.n; i++)
				cmp_pair(&aa, i, &ab, p->m.ab.idx[i * p->m.k], &p->coa[i]);
			cmp_acts_free(&ab);
			cmp_acts_free(&aa);
		} else if (r < 0)
			snprintf(p->coact, sizeof p->coact, "not available: %.200s", err);
		else if (shared < 0)
			p->coact[0] = 0; /* one file: the summary's short note, as before */
	}
	cv_list(v);
	cv_title(v);
}

/* Is the matching still being computed? */
static int cv_computing(cv_priv *p)
{
	if (!p->running)
		return 0;
	pthread_mutex_lock(&p->mu);
	int d = p->done;
	pthread_mutex_unlock(&p->mu);
	return !d;
}

/* Compute the comparison of dictionaries sa and sb: the sides read here,
 * the matching started on the worker (cv_tick finishes). */
static void cv_load(view *v)
{
	cv_priv *p = v->priv;
	cv_join(p);
	cmp_side_free(&p->A);
	cmp_side_free(&p->B);
	cmp_match_free(&p->m);
	free(p->coa);
	p->coa = NULL;
	p->err[0] = 0;
	p->coact[0] = 0;
	const fs_sae *a = index_sae_by_id(p->fa->ix, p->sa), *b = index_sae_by_id(p->fb->ix, p->sb);
	char err[512], na[200] = "", nb[200] = "";
	if (a && b) {
		tui_sae_name(p->fa, a->name, na, sizeof na);
		tui_sae_name(p->fb, b->name, nb, sizeof nb);
	}
	if (!a || !b || cmp_side_open(&p->A, p->fa->ix, a->name, na, err, sizeof err) != 0 ||
	    cmp_side_open(&p->B, p->fb->ix, b->name, nb, err, sizeof err) != 0 ||
	    cmp_side_decoder(&p->A, NULL, err, sizeof err) != 0 ||
	    cmp_side_decoder(&p->B, NULL, err, sizeof err) != 0) {
		snprintf(p->err, sizeof p->err, "%s", a && b ? err : "no such dictionary");
	} else if (p->A.d != p->B.d) {
		snprintf(p->err, sizeof p->err, "'%s' and '%s' have different d_model (%d, %d)",
			 na, nb, p->A.d, p->B.d);
	} else {
		p->done = 0;
		p->match_rc = 0;
		p->n = 0;
		v->cur = v->top = 0;
		v->nrows = 0;
		if (pthread_create(&p->th, NULL, cv_worker, p) == 0) {
			p->running = 1;
			cv_title(v);
			return;
		}
		cv_worker(p); /* no thread: compute here */
	}
	cv_finish(v);
}

static int cv_busy(view *v) { return cv_computing(v->priv); }

static int cv_tick(view *v)
{
	cv_priv *p = v->priv;
	if (!p->running || cv_computing(p))
		return 0;
	cv_join(p);
	cv_finish(v);
	return VR_REDRAW;
}

static void cv_relayout(view *v)
{
	v->y = 3;
	v->h = LINES - 4 > 1 ? LINES - 4 : 1;
}

static void cv_draw(view *v)
{
	cv_priv *p = v->priv;
	if (cv_computing(p) || p->running) {
		draw_printf(1, 0, v->w, TC_DIM, DRAW_PAD, " %s and %s: computing...", p->A.name, p->B.name);
		return;
	}
	if (p->err[0]) {
		draw_text(v->y, 1, v->w - 1, p->err, TC_ERROR, 0);
		return;
	}
	int64_t ma = 0, mb = 0;
	for (int64_t i = 0; i < p->A.n; i++)
		ma += p->m.ab.idx[i * p->m.k] >= 0 && p->m.ab.cos[i * p->m.k] > p->ta;
	for (int64_t j = 0; j < p->B.n; j++)
		mb += p->m.ba.idx[j * p->m.k] >= 0 && p->m.ba.cos[j * p->m.k] > p->tb;
	draw_printf(1, 0, v->w, TC_DIM, DRAW_PAD,
		    " %s in %s %.1f%%, %s in %s %.1f%% (baseline %.3f / %.3f), %lld mutual%s%s",
		    p->A.name, p->B.name, 100.0 * (double)ma / (double)p->A.n, p->B.name,
		    p->A.name, 100.0 * (double)mb / (double)p->B.n, p->ta, p->tb,
		    (long long)p->m.n_mutual, p->coa ? "" : "; co-activation ",
		    p->coa ? "" : p->coact[0] ? p->coact : "not available");
	draw_text(2, 0, v->w, p->list == 0 ? " cosine   corr  share  a           b           labels"
					   : " best     feature     label", TC_HEADER, DRAW_PAD);
	if (p->n == 0) {
		draw_text(v->y, 1, v->w - 1, "none", TC_DIM, 0);
		return;
	}
	for (int i = 0; i < v->h && v->top + i < p->n; i++) {
		int64_t r = v->top + i;
		const cv_row *w = &p->rows[r];
		int sel = r == v->cur, y = v->y + i, cls = sel ? TC_SELECT : TC_NORMAL;
		draw_fill(y, 0, v->w, cls);
		char buf[1024];
		if (p->list == 0) {
			char c1[16] = "     -", c2[16] = "    -";
			if (!isnan(w->corr))
				snprintf(c1, sizeof c1, "%6.3f", w->corr);
			if (!isnan(w->share))
				snprintf(c2, sizeof c2, "%5.2f", w->share);
			int x = draw_printf(y, 1, v->w - 1, cls, 0, "%6.3f %s %s  %s/%-8lld %s/%-8lld ", w->cos,
					    c1, c2, p->A.name, (long long)w->a, p->B.name,
					    (long long)w->b);
			snprintf(buf, sizeof buf, "%s | %s", p->A.labels[w->a], p->B.labels[w->b]);
			draw_text(y, 1 + x, v->w - 1 - x, buf, cls, DRAW_ELLIPSIS);
		} else {
			const cmp_side *S = p->list == 1 ? &p->A : &p->B;
			int x = draw_printf(y, 1, v->w - 1, cls, 0, "%6.3f   %s/%-8lld ", w->cos, S->name,
					    (long long)w->a);
			draw_text(y, 1 + x, v->w - 1 - x, S->labels[w->a], cls, DRAW_ELLIPSIS);
		}
	}
}

static const char *cv_row_text(view *v, int64_t row, char *buf, size_t len)
{
	cv_priv *p = v->priv;
	if (row < 0 || row >= p->n)
		return NULL;
	const cv_row *w = &p->rows[row];
	if (p->list == 0)
		snprintf(buf, len, "%s/%lld %s/%lld %s | %s", p->A.name, (long long)w->a,
			 p->B.name, (long long)w->b, p->A.labels[w->a], p->B.labels[w->b]);
	else {
		const cmp_side *S = p->list == 1 ? &p->A : &p->B;
		snprintf(buf, len, "%s/%lld %s", S->name, (long long)w->a, S->labels[w->a]);
	}
	return buf;
}

static int64_t cv_selected(view *v)
{
	cv_priv *p = v->priv;
	if (v->cur < 0 || v->cur >= p->n)
		return 0;
	const cmp_side *S = p->list == 2 ? &p->B : &p->A;
	int64_t f = S->fid[p->rows[v->cur].a];
	return f > 0 ? f : 0;
}

/* The next dictionary after (*fb, *sb) in the switcher's order (every
 * dictionary of every open file) with the same d_model as sa of fa, into
 * (*fb, *sb); 0 when there is none. */
static int cv_next_dict(tui_file *fa, int sa, tui_file **fb, int *sb)
{
	const fs_sae *a = index_sae_by_id(fa->ix, sa);
	tui_file *f = *fb, *g = *fb;
	int id = *sb, gid = *sb, n = tui_next_dict(&g, &gid, 0); /* g, gid: only counted */
	for (int t = 1; t <= n; t++) {
		tui_next_dict(&f, &id, 0);
		const fs_sae *s = index_sae_by_id(f->ix, id);
		if (s && (f != fa || id != sa) &&
		    (!a || a->d_model <= 0 || s->d_model <= 0 || s->d_model == a->d_model)) {
			*fb = f;
			*sb = id;
			return id;
		}
	}
	return 0;
}

static int cv_key(view *v, int act, int key)
{
	cv_priv *p = v->priv;
	(void)key;
	if (p->running && (act == ACT_ENTER || act == ACT_COMPARE_LIST || act == ACT_COMPARE_ORDER ||
			   act == ACT_COMPARE_NEXT)) {
		tui_status(TC_STATUS, "compare: computing...");
		return VR_HANDLED;
	}
	switch (act) {
	case ACT_ENTER:
		/* a pair opens side by side; an unmatched feature (the router's
		 * Enter) its page */
		if (p->list == 0 && v->cur >= 0 && v->cur < p->n) {
			const cv_row *w = &p->rows[v->cur];
			if (p->A.fid[w->a] > 0 && p->B.fid[w->b] > 0) {
				view_open_pair(p->A.fid[w->a], p->fb, p->B.fid[w->b]);
				return VR_HANDLED | VR_REDRAW;
			}
		}
		return 0;
	case ACT_COMPARE_LIST:
		p->list = (p->list + 1) % 3;
		cv_list(v);
		cv_title(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_COMPARE_ORDER:
		p->by_coact = !p->by_coact;
		if (p->list == 0) {
			cv_list(v);
			cv_title(v);
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_COMPARE_NEXT: {
		tui_file *fb = p->fb;
		int nb = p->sb;
		if (cv_next_dict(p->fa, p->sa, &fb, &nb) <= 0 || (nb == p->sb && fb == p->fb)) {
			tui_status(TC_STATUS, "no other dictionary to compare with");
			return VR_HANDLED;
		}
		p->fb = fb;
		p->sb = nb;
		cv_load(v);
		return VR_HANDLED | VR_REDRAW;
	}
	}
	return 0;
}

static void cv_free(view *v)
{
	cv_priv *p = v->priv;
	cv_join(p);
	pthread_mutex_destroy(&p->mu);
	cmp_side_free(&p->A);
	cmp_side_free(&p->B);
	cmp_match_free(&p->m);
	free(p->coa);
	free(p->rows);
	free(p);
}

static const view_ops cv_ops = {
	.kind = VIEW_COMPARE,
	.draw = cv_draw,
	.key = cv_key,
	.busy = cv_busy,
	.tick = cv_tick,
	.row_text = cv_row_text,
	.selected = cv_selected,
	.relayout = cv_relayout,
	.free = cv_free,
};

void view_open_compare(int sa, tui_file *fb, int sb)
{
	cv_priv *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	p->fa = tui.cur;
	p->sa = sa;
	p->fb = fb ? fb : tui.cur;
	p->sb = sb;
	if (sb <= 0) {
		p->fb = tui.cur;
		p->sb = sa;
		if (cv_next_dict(p->fa, sa, &p->fb, &p->sb) <= 0)
			p->sb = 0;
	}
	view *v = view_new(&cv_ops, p);
	if (p->sb <= 0) {
		snprintf(p->err, sizeof p->err, "this index has one dictionary: nothing to compare with");
		cv_list(v);
	} else
		cv_load(v);
	view_layout(v);
	view_push(v);
}

/* ------------------------------------------------------------------ pair */

/* One pane of the pair view. */
typedef struct {
	tui_file *file;     /* the file it is of */
	fs_feature f;       /* the feature */
	int ok;             /* f loaded */
	fs_example *ex;     /* its examples (top group first) */
	int nex;            /* their count */
	fs_context *ctx;    /* nex contexts, loaded on first use */
	draw_cell **cells;  /* nex cell arrays (NULL until loaded) */
	int *ncells;        /* their lengths */
	int *centre;        /* the cell of the max token */
	char *loaded;       /* nex flags */
} pv_pane;

/* The pair view's state: two panes scrolled together. */
typedef struct {
	pv_pane p[2];       /* left (a) and right (b) */
} pv_priv;

static void pane_load(pv_pane *q, tui_file *file, int64_t fid)
{
	memset(q, 0, sizeof *q);
	q->file = file;
	q->ok = index_feature(file->ix, fid, &q->f) == 0;
	q->nex = index_examples(file->ix, fid, &q->ex);
	if (q->nex < 0)
		q->nex = 0;
	q->ctx = xcalloc((size_t)q->nex + 1, sizeof *q->ctx);
	q->cells = xcalloc((size_t)q->nex + 1, sizeof *q->cells);
	q->ncells = xcalloc((size_t)q->nex + 1, sizeof *q->ncells);
	q->centre = xcalloc((size_t)q->nex + 1, sizeof *q->centre);
	q->loaded = xcalloc((size_t)q->nex + 1, 1);
}

static void pane_free(pv_pane *q)
{
	for (int i = 0; i < q->nex; i++) {
		if (q->loaded[i])
			index_context_free(&q->ctx[i]);
		free(q->cells[i]);
	}
	index_examples_free(q->ex, q->nex);
	free(q->ctx);
	free(q->cells);
	free(q->ncells);
	free(q->centre);
	free(q->loaded);
	if (q->ok)
		index_feature_free(&q->f);
}

static void pane_ctx(pv_pane *q, int i)
{
	if (q->loaded[i])
		return;
	q->loaded[i] = 1;
	if (index_context(q->file->ix, q->ex[i].ctx, &q->ctx[i]) != 0) {
		memset(&q->ctx[i], 0, sizeof q->ctx[i]);
		q->loaded[i] = 0;
		return;
	}
	int nt = q->ctx[i].ntok < q->ex[i].ntok ? q->ctx[i].ntok : q->ex[i].ntok;
	q->cells[i] = draw_context_cells(q->ctx[i].text, (size_t)q->ctx[i].len, q->ctx[i].tok_off, nt,
					 q->ex[i].acts, &q->ncells[i]);
	q->centre[i] = draw_cell_of_token(q->cells[i], q->ncells[i], q->ctx[i].tok_off, nt,
					  q->ex[i].max_pos);
}

static void pv_relayout(view *v)
{
	pv_priv *p = v->priv;
	v->y = 4;
	v->h = LINES - 5 > 1 ? LINES - 5 : 1;
	v->nrows = p->p[0].nex > p->p[1].nex ? p->p[0].nex : p->p[1].nex;
}

static void pane_draw(view *v, pv_pane *q, int x, int w)
{
	char name[64], lab[512];
	int user = 0;
	if (!q->ok) {
		draw_text(1, x, w, "(feature missing)", TC_ERROR, DRAW_PAD);
		return;
	}
	index_feature_name(q->file->ix, q->f.id, name, sizeof name);
	tui_label_feature_in(q->file, &q->f, lab, sizeof lab, &user);
	if (tui.nfiles > 1)
		draw_printf(1, x, w, TC_HEADER, DRAW_PAD, " %s:%s", q->file->name, name);
	else
		draw_printf(1, x, w, TC_HEADER, DRAW_PAD, " %s", name);
	draw_text(2, x + 1, w - 1, lab, user ? TC_USER : TC_NORMAL, DRAW_ELLIPSIS | DRAW_PAD);
	draw_printf(3, x, w, TC_DIM, DRAW_PAD, " max %.3g, %lld examples", q->f.max_act,
		    (long long)q->f.n_examples);
	int cols = w - 8;
	if (cols < 4)
		return;
	for (int i = 0; i < v->h && v->top + i < q->nex; i++) {
		int r = (int)(v->top + i), y = v->y + i;
		draw_printf(y, x, 7, r == v->cur ? TC_SELECT : TC_DIM, 0, "%6.3g", q->ex[r].max_act);
		pane_ctx(q, r);
		if (!q->cells[r])
			continue;
		/* start so that the max token sits in the middle */
		int s = q->centre[r], wd = 0;
		while (s > 0 && wd + q->cells[r][s - 1].g.width <= cols / 2) {
			wd += q->cells[r][s - 1].g.width;
			s--;
		}
		draw_cells(y, x + 7, cols, q->cells[r], q->ncells[r], s,
			   q->f.max_act > 0 ? (float)q->f.max_act : q->ex[r].max_act, 0);
	}
}

static void pv_draw(view *v)
{
	pv_priv *p = v->priv;
	int half = v->w / 2;
	pane_draw(v, &p->p[0], 0, half - 1);
	for (int y = 1; y < v->y + v->h; y++)
		draw_text(y, half - 1, 1, "|", TC_DIM, 0);
	pane_draw(v, &p->p[1], half, v->w - half);
}

static int64_t pv_selected(view *v)
{
	pv_priv *p = v->priv;
	return p->p[0].ok ? p->p[0].f.id : 0;
}

static void pv_free(view *v)
{
	pv_priv *p = v->priv;
	pane_free(&p->p[0]);
	pane_free(&p->p[1]);
	free(p);
}

static const view_ops pv_ops = {
	.kind = VIEW_PAIR,
	.draw = pv_draw,
	.selected = pv_selected,
	.relayout = pv_relayout,
	.free = pv_free,
};

void view_open_pair(int64_t fa, tui_file *filb, int64_t fb)
{
	pv_priv *p = xcalloc(1, sizeof *p);
	if (!filb)
		filb = tui.cur;
	pane_load(&p->p[0], tui.cur, fa);
	pane_load(&p->p[1], filb, fb);
	char na[64], nb[64], sa[100], sb[100];
	index_feature_name(tui.cur->ix, fa, na, sizeof na);
	index_feature_name(filb->ix, fb, nb, sizeof nb);
	snprintf(sa, sizeof sa, "%.30s%s%s", tui.nfiles > 1 ? tui.cur->name : "", tui.nfiles > 1 ? ":" : "", na);
	snprintf(sb, sizeof sb, "%.30s%s%s", tui.nfiles > 1 ? filb->name : "", tui.nfiles > 1 ? ":" : "", nb);
	view *v = view_new(&pv_ops, p);
	snprintf(v->title, sizeof v->title, "%s and %s side by side", sa, sb);
	view_layout(v);
	view_push(v);
}

/* ---------------------------------------------------------------- family */

/* The family screen's state. */
typedef struct {
	cmp_family f;      /* the tree (f.n == 0: err says why) */
	int *order;        /* rows in depth-first order: node indices */
	int *depth;        /* their depths */
	char err[512];     /* why there is no tree */
} fv_priv;

static void fv_walk(fv_priv *p, int node, int depth, int *n)
{
	p->order[*n] = node;
	p->depth[(*n)++] = depth;
	for (int i = node + 1; i < p->f.n; i++)
		if (p->f.v[i].parent == node)
			fv_walk(p, i, depth + 1, n);
}

static void fv_relayout(view *v)
{
	v->y = 2;
	v->h = LINES - 3 > 1 ? LINES - 3 : 1;
}

static void fv_draw(view *v)
{
	fv_priv *p = v->priv;
	if (p->err[0]) {
		draw_text(v->y, 1, v->w - 1, p->err, TC_ERROR, 0);
		return;
	}
	draw_text(1, 0, v->w, " cosine  share  inside  feature (indented by width)  label", TC_HEADER, DRAW_PAD);
	for (int i = 0; i < v->h && v->top + i < v->nrows; i++) {
		int64_t r = v->top + i;
		const cmp_fnode *nd = &p->f.v[p->order[r]];
		const cmp_side *L = &p->f.lv[nd->level];
		int sel = r == v->cur, y = v->y + i, cls = sel ? TC_SELECT : TC_NORMAL;
		draw_fill(y, 0, v->w, cls);
		char c[32] = "      ", s[16] = "    -", in[16] = "    -";
		if (nd->parent >= 0)
			snprintf(c, sizeof c, "%6.3f", nd->cos);
		if (!isnan(nd->share_parent))
			snprintf(s, sizeof s, "%5.2f", nd->share_parent);
		if (!isnan(nd->inside))
			snprintf(in, sizeof in, "%5.2f", nd->inside);
		int x = draw_printf(y, 1, v->w - 1, cls, 0, "%s  %s  %s  %*s%s/%lld  ", c, s, in,
				    2 * p->depth[r], "", L->sae->name, (long long)nd->row);
		draw_text(y, 1 + x, v->w - 1 - x, L->labels[nd->row], cls, DRAW_ELLIPSIS);
	}
	/* a root without children: why, wrapped at spaces under the tree */
	const char *why = p->f.why;
	int wy = v->y + (int)v->nrows + 1, ww = v->w - 2 > 20 ? v->w - 2 : 20;
	while (*why && wy < v->y + v->h) {
		size_t n = strlen(why), cut = n;
		if ((int)n > ww) {
			cut = (size_t)ww;
			while (cut > 0 && why[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = (size_t)ww;
		}
		char line[600];
		snprintf(line, sizeof line, "%.*s", (int)cut, why);
		draw_text(wy++, 1, v->w - 1, line, TC_DIM, 0);
		why += cut;
		while (*why == ' ')
			why++;
	}
}

static const char *fv_row_text(view *v, int64_t row, char *buf, size_t len)
{
	fv_priv *p = v->priv;
	if (row < 0 || row >= v->nrows)
		return NULL;
	const cmp_fnode *nd = &p->f.v[p->order[row]];
	const cmp_side *L = &p->f.lv[nd->level];
	snprintf(buf, len, "%s/%lld %s", L->sae->name, (long long)nd->row, L->labels[nd->row]);
	return buf;
}

static int64_t fv_selected(view *v)
{
	fv_priv *p = v->priv;
	if (v->cur < 0 || v->cur >= v->nrows)
		return 0;
	int64_t f = p->f.v[p->order[v->cur]].fid;
	return f > 0 ? f : 0;
}

static void fv_free(view *v)
{
	fv_priv *p = v->priv;
	cmp_family_free(&p->f);
	free(p->order);
	free(p->depth);
	free(p);
}

static const view_ops fv_ops = {
	.kind = VIEW_FAMILY,
	.draw = fv_draw,
	.row_text = fv_row_text,
	.selected = fv_selected,
	.relayout = fv_relayout,
	.free = fv_free,
};

void view_open_family(int64_t fid)
{
	fv_priv *p = xcalloc(1, sizeof *p);
	cmp_family_opts o;
	cmp_family_opts_init(&o);
	char name[64];
	index_feature_name(tui.ix, fid, name, sizeof name);
	view *v = view_new(&fv_ops, p);
	snprintf(v->title, sizeof v->title, "family of %s", name);
	if (cmp_family_build(tui.ix, fid, &o, &p->f, p->err, sizeof p->err) == 0) {
		p->order = xmalloc((size_t)p->f.n * sizeof *p->order);
		p->depth = xmalloc((size_t)p->f.n * sizeof *p->depth);
		int n = 0;
		fv_walk(p, 0, 0, &n);
		v->nrows = n;
	} else if (!p->err[0])
		snprintf(p->err, sizeof p->err, "no family");
	view_layout(v);
	view_push(v);
}

/* ------------------------------------------------------ feature page line */

/* The feature page's matches line (compare/matches.h); the decoders it
 * loads are kept for the session. */
static cmp_matcher *page_matcher;

void view_compare_forget(const fs_index *ix)
{
	cmp_matcher_forget(page_matcher, ix);
}

int view_compare_matches_ready(int sae)
{
	if (!page_matcher)
		page_matcher = cmp_matcher_new();
	return cmp_best_ready(page_matcher, tui.ix, sae);
}

char *view_compare_matches(int64_t fid, int sae, int64_t row)
{
	(void)fid;
	if (!page_matcher)
		page_matcher = cmp_matcher_new();
	cmp_best v[64];
	int n = cmp_best_matches(page_matcher, tui.ix, sae, row, v, 64);
	if (n == CMP_BEST_TOO_BIG)
		return xasprintf("matches: not computed (the stored decoder is more than %lld MiB to hold)",
				 (long long)(CMP_BEST_MAX_BYTES >> 20));
	char *line = cmp_best_line(v, n);
	if (!line)
		return NULL;
	char *out = xmalloc(strlen(line) + 10);
	sprintf(out, "matches: %s", line);
	free(line);
	return out;
}

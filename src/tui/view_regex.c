/*
 * view_regex.c: features that track a PCRE2 pattern, ranked by the share
 * of their activation that falls on matched text. The scan is the
 * library's background job (grep_start, src/grep/grep.h), which reports
 * results and progress through a callback; the screen shows them as they
 * arrive, collects the job once grep_finished says it has ended, stays
 * responsive, and Esc (or leaving the view) cancels the scan.
 *
 * Measures (grep.h): precision is the share of the feature's activation
 * that falls on matched tokens, with mass, recall, F1 (the default
 * ranking, as `featscope grep`'s) and matched contexts; 'o' ranks by the
 * next measure, and the header marks the active one. Enter on a ranked
 * feature shows the contexts that matched (view_matches.c), whose Enter
 * opens the feature.
 */
#include "tui/draw.h"
#include "grep/grep.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the scan's callback hands to the screen. The callback runs on the
 * scan's thread and only copies (grep.h: it must not use tui.ix). */
typedef struct {
	pthread_mutex_t mu; /* guards everything below */
	grep_hit *hits;     /* latest ranking, best first */
	int nhits;          /* entries */
	int64_t nfeat;      /* features with mass > 0 */
	int64_t matches;    /* matches so far */
	double progress;    /* 0..1 */
	int changed;        /* new results since the screen last looked */
} rx_shared;

/* The view's state; all but sh belongs to the screen's thread. */
typedef struct {
	rx_shared sh;       /* the callback's copy */
	grep_pattern *pat;  /* the compiled pattern (outlives the scan), NULL on error */
	grep_job *job;      /* the running scan, NULL when none */
	grep_sort sort;     /* ranking key */
	int done;           /* the scan has ended (or never started) */
	int cancelled;      /* it stopped early */
	char err[512];      /* error message, "" none */
	char pattern[512];  /* the pattern as typed */
	grep_hit *shown;    /* copy of the ranking for drawing */
	int nshown;         /* count */
	double t0;          /* start time */
	double elapsed;     /* seconds when done */
} rx_priv;

#define RX_LIMIT 200 /* features kept in a ranking */

/* grep's callback, on the scan's thread: keep a copy of the ranking. */
static void rx_on_result(void *ud, const grep_result *r, int final)
{
	rx_shared *j = ud;
	pthread_mutex_lock(&j->mu);
	j->hits = xrealloc(j->hits, ((size_t)r->n + 1) * sizeof *j->hits);
	if (r->n > 0)
		memcpy(j->hits, r->hits, (size_t)r->n * sizeof *j->hits);
	j->nhits = r->n;
	j->nfeat = r->n_features;
	j->matches = r->matches;
	j->progress = r->bytes_total ? (double)r->bytes_done / (double)r->bytes_total : 1;
	if (final)
		j->progress = 1;
	j->changed = 1;
	pthread_mutex_unlock(&j->mu);
}

/* Start a scan ranked by rp->sort (the library's background job). */
static void rx_start(rx_priv *rp)
{
	grep_opts o;
	memset(&o, 0, sizeof o);
	o.sort = rp->sort;
	o.limit = RX_LIMIT;
	o.on_result = rx_on_result;
	o.ud = &rp->sh;
	rp->job = grep_start(tui.ix, rp->pat, &o);
	if (!rp->job) {
		snprintf(rp->err, sizeof rp->err, "cannot start the scan thread");
		rp->done = 1;
	}
}

/* Collect a scan that has ended (without waiting); 1 when one did. */
static int rx_reap(rx_priv *rp)
{
	if (!rp->job || !grep_finished(rp->job))
		return 0;
	char err[512] = "";
	int rc = grep_join(rp->job, NULL, err, sizeof err);
	rp->job = NULL;
	if (rc != GREP_DONE && rc != GREP_CANCELLED)
		snprintf(rp->err, sizeof rp->err, "%s", err[0] ? err : "the scan failed");
	rp->cancelled = rc == GREP_CANCELLED;
	rp->done = 1;
	return 1;
}

/* Stop the scan, if one runs, and wait for it. */
static void rx_stop(rx_priv *rp)
{
	if (!rp->job)
		return;
	grep_cancel(rp->job);
	grep_join(rp->job, NULL, NULL, 0);
	rp->job = NULL;
}

/* Copy new results for drawing; returns 1 when something changed. */
static int rx_sync(view *v)
{
	rx_priv *rp = v->priv;
	rx_shared *j = &rp->sh;
	int reaped = rx_reap(rp);
	pthread_mutex_lock(&j->mu);
	int ch = j->changed || reaped;
	if (ch) {
		rp->shown = xrealloc(rp->shown, ((size_t)j->nhits + 1) * sizeof *rp->shown);
		if (j->nhits > 0) /* hits is NULL when there are none */
			memcpy(rp->shown, j->hits, (size_t)j->nhits * sizeof *rp->shown);
		rp->nshown = j->nhits;
		j->changed = 0;
		if (rp->done && !rp->elapsed)
			rp->elapsed = fs_now() - rp->t0;
	}
	pthread_mutex_unlock(&j->mu);
	if (ch) {
		/* Keep the cursor on the same feature as the ranking changes. */
		int64_t fid = v->cur < rp->nshown ? rp->shown[v->cur].fid : 0;
		for (int i = 0; fid && i < rp->nshown; i++)
			if (rp->shown[i].fid == fid)
				v->cur = i;
		v->nrows = rp->nshown;
		view_clamp(v);
	}
	return ch;
}

static void rx_relayout(view *v)
{
	v->y = 3;
	v->h = LINES - 4 > 1 ? LINES - 4 : 1;
}

static void rx_draw(view *v)
{
	rx_priv *rp = v->priv;
	rx_shared *j = &rp->sh;
	rx_sync(v);
	pthread_mutex_lock(&j->mu);
	double prog = j->progress;
	int64_t nfeat = j->nfeat, matches = j->matches;
	pthread_mutex_unlock(&j->mu);
	int done = rp->done, cancelled = rp->cancelled;
	const char *err = rp->err;
	if (err[0])
		draw_text(1, 1, v->w - 1, err, TC_ERROR, DRAW_ELLIPSIS);
	else if (done) {
		/* No time in headless mode, so golden screens are reproducible. */
		char secs[32] = "";
		if (!term_headless())
			snprintf(secs, sizeof secs, ", %.2f s", rp->elapsed);
		draw_printf(1, 1, v->w - 1, TC_NORMAL, DRAW_ELLIPSIS,
			    "%s: %lld matches, %lld features (best %d shown), ranked by %s%s",
			    cancelled ? "cancelled" : "done", (long long)matches, (long long)nfeat,
			    rp->nshown, grep_sort_title(rp->sort), secs);
	} else {
		int bw = v->w - 40 > 10 ? 20 : 0;
		int used = draw_printf(1, 1, v->w - 1, TC_NORMAL, 0, "scanning %3.0f%% ", prog * 100);
		term_set(TC_BAR);
		for (int k = 0; k < bw; k++)
			mvaddnwstr(1, 1 + used + k, k < (int)(prog * bw) ? L"\x2588" : L"\x2591", 1);
		draw_printf(1, 2 + used + bw, v->w - used - bw - 2, TC_DIM, 0, " %lld matches, Esc cancels",
			    (long long)matches);
	}
	/* The column headings, the ranking's marked with a trailing '*'. */
	static const struct { grep_sort s; const char *fmt; } cols[] = {
		{GREP_SORT_PRECISION, " %10s"}, {GREP_SORT_RECALL, " %7s"}, {GREP_SORT_F1, " %6s"},
		{GREP_SORT_MASS, " %10s"}, {GREP_SORT_CONTEXTS, " %5s"},
	};
	static const char *heads[] = {"precision", "recall", "F1", "mass", "ctxs"};
	char hdr[160] = "";
	size_t hl = 0;
	for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
		char h[16];
		snprintf(h, sizeof h, "%s%s", heads[c], cols[c].s == rp->sort ? "*" : "");
		hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, cols[c].fmt, h);
	}
	snprintf(hdr + hl, sizeof hdr - hl, "  %-10s label", "feature");
	draw_text(2, 0, v->w, hdr, TC_HEADER, DRAW_PAD);
	for (int i = 0; i < v->h && v->top + i < rp->nshown; i++) {
		int64_t ri = v->top + i;
		grep_hit *h = &rp->shown[ri];
		int sel = ri == v->cur, y = v->y + i, cls = sel ? TC_SELECT : TC_NORMAL;
		char name[64], lab[512] = "";
		int user = 0;
		fs_feature f;
		index_feature_name(tui.ix, h->fid, name, sizeof name);
		if (index_feature(tui.ix, h->fid, &f) == 0) {
			tui_label(f.id, f.label, lab, sizeof lab, &user);
			index_feature_free(&f);
		}
		int used = draw_printf(y, 0, v->w, cls, 0, " %9.1f%% %6.1f%% %6.3f %10.1f %5lld  %-10s ",
				       h->precision * 100, h->recall * 100, h->f1, h->mass, (long long)h->contexts,
				       name);
		draw_text(y, used, v->w - used, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL,
			  DRAW_PAD | DRAW_ELLIPSIS);
	}
}

static int rx_busy(view *v)
{
	rx_priv *rp = v->priv;
	rx_reap(rp);
	return !rp->done;
}

static int rx_tick(view *v)
{
	return rx_sync(v) ? VR_REDRAW : 0;
}

static int64_t rx_selected(view *v)
{
	rx_priv *rp = v->priv;
	return v->cur < rp->nshown ? rp->shown[v->cur].fid : 0;
}

static const char *rx_row_text(view *v, int64_t row, char *buf, size_t len)
{
	rx_priv *rp = v->priv;
	return row >= 0 && row < rp->nshown ? tui_feature_text(rp->shown[row].fid, buf, len) : NULL;
}

static int rx_key(view *v, int act, int key)
{
	rx_priv *rp = v->priv;
	(void)key;
	if (act == ACT_CANCEL) {
		if (rp->job)
			grep_cancel(rp->job);
		tui_status(TC_STATUS, "scan cancelled");
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_ENTER && rp->pat && v->cur < rp->nshown) {
		view_open_matches(rp->shown[v->cur].fid, rp->pattern);
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_RANK_BY) {
		/* Restart the scan ranked by the next measure. */
		if (!rp->pat) /* the pattern did not compile: nothing to rank, keep its error */
			return VR_HANDLED;
		rx_stop(rp);
		rp->sort = (grep_sort)((rp->sort + 1) % GREP_N_SORTS);
		rp->done = rp->cancelled = 0;
		rp->err[0] = 0;
		pthread_mutex_lock(&rp->sh.mu);
		rp->sh.nhits = 0;
		rp->sh.progress = 0;
		rp->sh.changed = 1;
		pthread_mutex_unlock(&rp->sh.mu);
		rp->t0 = fs_now();
		rp->elapsed = 0;
		v->cur = v->top = 0;
		rx_start(rp);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static void rx_free(view *v)
{
	rx_priv *rp = v->priv;
	rx_stop(rp);
	pthread_mutex_destroy(&rp->sh.mu);
	if (rp->pat)
		grep_pattern_free(rp->pat);
	free(rp->sh.hits);
	free(rp->shown);
	free(rp);
}

static const view_ops rx_ops = {
	.kind = VIEW_REGEX,
	.draw = rx_draw,
	.key = rx_key,
	.row_text = rx_row_text,
	.busy = rx_busy,
	.tick = rx_tick,
	.selected = rx_selected,
	.relayout = rx_relayout,
	.free = rx_free,
};

void view_open_regex(const char *pattern)
{
	rx_priv *rp = xcalloc(1, sizeof *rp);
	pthread_mutex_init(&rp->sh.mu, NULL);
	rp->sort = GREP_SORT_F1;
	snprintf(rp->pattern, sizeof rp->pattern, "%s", pattern);
	rp->t0 = fs_now();
	view *v = view_new(&rx_ops, rp);
	snprintf(v->title, sizeof v->title, "regex /%s/", pattern);
	rp->pat = grep_compile(pattern, 0, rp->err, sizeof rp->err);
	if (!rp->pat) {
		rp->done = 1;
		rp->sh.changed = 1;
		view_push(v);
		return;
	}
	rx_start(rp);
	view_push(v);
}

/*
 * view_regex.c: features that track a PCRE2 pattern, ranked by the share
 * of their activation that falls on matched text. The scan runs in a
 * worker thread (the search area's engine, src/grep/grep.h) and reports results
 * and progress through a callback; the screen shows them as they arrive,
 * stays responsive, and Esc (or leaving the view) cancels the scan.
 *
 * Measures (grep.h): precision is the share of the feature's activation
 * that falls on matched tokens (the default ranking), with mass, recall,
 * F1 and matched contexts; 'o' ranks by the next measure.
 */
#include "tui/draw.h"
#include "grep/grep.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The scan shared between the worker and the screen. */
typedef struct {
	pthread_mutex_t mu; /* guards everything below but cancel */
	atomic_int cancel;  /* set by the screen to stop the worker */
	grep_pattern *pat;  /* the compiled pattern (outlives the scan) */
	grep_sort sort;     /* ranking key */
	grep_hit *hits;     /* latest ranking, best first */
	int nhits;          /* entries */
	int64_t nfeat;      /* features with mass > 0 */
	int64_t matches;    /* matches so far */
	double progress;    /* 0..1 */
	int done;           /* worker finished */
	int cancelled;      /* it stopped early */
	char err[512];      /* error message, "" none */
	int changed;        /* new results since the screen last looked */
} rx_job;

/* The view's state. */
typedef struct {
	rx_job *job;        /* the scan */
	pthread_t th;       /* its worker */
	int started;        /* th valid */
	grep_hit *shown;    /* copy of the ranking for drawing */
	int nshown;         /* count */
	double t0;          /* start time */
	double elapsed;     /* seconds when done */
} rx_priv;

#define RX_LIMIT 200 /* features kept in a ranking */

/* grep's callback, on the scan's thread: keep a copy of the ranking. */
static void rx_on_result(void *ud, const grep_result *r, int final)
{
	rx_job *j = ud;
	pthread_mutex_lock(&j->mu);
	j->hits = xrealloc(j->hits, ((size_t)r->n + 1) * sizeof *j->hits);
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

static void *rx_worker(void *arg)
{
	rx_job *j = arg;
	grep_opts o;
	memset(&o, 0, sizeof o);
	o.sort = j->sort;
	o.limit = RX_LIMIT;
	o.cancel = &j->cancel;
	o.on_result = rx_on_result;
	o.ud = j;
	grep_result res;
	char err[512] = "";
	int rc = grep_scan(tui.ix, j->pat, &o, &res, err, sizeof err);
	if (rc == GREP_DONE || rc == GREP_CANCELLED) {
		rx_on_result(j, &res, 1);
		grep_result_free(&res);
	}
	pthread_mutex_lock(&j->mu);
	if (rc != GREP_DONE && rc != GREP_CANCELLED)
		snprintf(j->err, sizeof j->err, "%s", err[0] ? err : "the scan failed");
	j->cancelled = rc == GREP_CANCELLED;
	j->done = 1;
	j->changed = 1;
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Copy new results for drawing; returns 1 when something changed. */
static int rx_sync(view *v)
{
	rx_priv *rp = v->priv;
	rx_job *j = rp->job;
	pthread_mutex_lock(&j->mu);
	int ch = j->changed;
	if (ch) {
		rp->shown = xrealloc(rp->shown, ((size_t)j->nhits + 1) * sizeof *rp->shown);
		if (j->nhits > 0) /* hits is NULL when there are none */
			memcpy(rp->shown, j->hits, (size_t)j->nhits * sizeof *rp->shown);
		rp->nshown = j->nhits;
		j->changed = 0;
		if (j->done && !rp->elapsed)
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
	rx_job *j = rp->job;
	rx_sync(v);
	pthread_mutex_lock(&j->mu);
	double prog = j->progress;
	int done = j->done, cancelled = j->cancelled;
	grep_sort sort = j->sort;
	char err[512];
	snprintf(err, sizeof err, "%s", j->err);
	int64_t nfeat = j->nfeat, matches = j->matches;
	pthread_mutex_unlock(&j->mu);
	static const char *sorts[] = {"F1", "mass", "precision", "recall", "contexts"};
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
			    rp->nshown, sorts[sort], secs);
	} else {
		int bw = v->w - 40 > 10 ? 20 : 0;
		int used = draw_printf(1, 1, v->w - 1, TC_NORMAL, 0, "scanning %3.0f%% ", prog * 100);
		term_set(TC_BAR);
		for (int k = 0; k < bw; k++)
			mvaddnwstr(1, 1 + used + k, k < (int)(prog * bw) ? L"\x2588" : L"\x2591", 1);
		draw_printf(1, 2 + used + bw, v->w - used - bw - 2, TC_DIM, 0, " %lld matches, Esc cancels",
			    (long long)matches);
	}
	draw_text(2, 0, v->w, " precision  recall     F1       mass  ctxs  feature    label", TC_HEADER, DRAW_PAD);
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
			feature_free(&f);
		}
		int used = draw_printf(y, 0, v->w, cls, 0, " %8.1f%% %6.1f%% %6.3f %10.4g %5lld  %-10s ",
				       h->precision * 100, h->recall * 100, h->f1, h->mass, (long long)h->contexts,
				       name);
		draw_text(y, used, v->w - used, lab, sel ? TC_SELECT : user ? TC_USER : TC_NORMAL,
			  DRAW_PAD | DRAW_ELLIPSIS);
	}
}

static int rx_busy(view *v)
{
	rx_priv *rp = v->priv;
	pthread_mutex_lock(&rp->job->mu);
	int d = rp->job->done;
	pthread_mutex_unlock(&rp->job->mu);
	return !d;
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
	fs_feature f;
	if (row < 0 || row >= rp->nshown || index_feature(tui.ix, rp->shown[row].fid, &f) != 0)
		return NULL;
	char name[64];
	index_feature_name(tui.ix, f.id, name, sizeof name);
	snprintf(buf, len, "%s %s", name, f.label);
	feature_free(&f);
	return buf;
}

static int rx_key(view *v, int act, int key)
{
	rx_priv *rp = v->priv;
	(void)key;
	if (act == ACT_CANCEL) {
		atomic_store(&rp->job->cancel, 1);
		tui_status(TC_STATUS, "scan cancelled");
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_RANK_BY) {
		/* Restart the scan ranked by the next measure. */
		rx_job *j = rp->job;
		if (!j->pat) /* the pattern did not compile: nothing to rank, keep its error */
			return VR_HANDLED;
		atomic_store(&j->cancel, 1);
		if (rp->started)
			pthread_join(rp->th, NULL);
		rp->started = 0;
		pthread_mutex_lock(&j->mu);
		j->sort = (grep_sort)((j->sort + 1) % 5);
		j->done = j->cancelled = 0;
		j->nhits = 0;
		j->progress = 0;
		j->err[0] = 0;
		j->changed = 1;
		pthread_mutex_unlock(&j->mu);
		atomic_store(&j->cancel, 0);
		rp->t0 = fs_now();
		rp->elapsed = 0;
		v->cur = v->top = 0;
		if (pthread_create(&rp->th, NULL, rx_worker, j) == 0)
			rp->started = 1;
		return VR_HANDLED | VR_REDRAW;
	}
	if (act == ACT_ENTER) {
		int64_t fid = rx_selected(v);
		if (fid > 0)
			view_push(view_feature_new(fid));
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static void rx_free(view *v)
{
	rx_priv *rp = v->priv;
	atomic_store(&rp->job->cancel, 1);
	if (rp->started)
		pthread_join(rp->th, NULL);
	pthread_mutex_destroy(&rp->job->mu);
	if (rp->job->pat)
		grep_pattern_free(rp->job->pat);
	free(rp->job->hits);
	free(rp->job);
	free(rp->shown);
	free(rp);
}

static const view_ops rx_ops = {
	.name = "regex",
	.draw = rx_draw,
	.key = rx_key,
	.row_text = rx_row_text,
	.busy = rx_busy,
	.tick = rx_tick,
	.selected = rx_selected,
	.relayout = rx_relayout,
	.free = rx_free,
};

view *view_regex_new(const char *pattern)
{
	rx_priv *rp = xcalloc(1, sizeof *rp);
	rx_job *j = xcalloc(1, sizeof *j);
	pthread_mutex_init(&j->mu, NULL);
	atomic_init(&j->cancel, 0);
	j->sort = GREP_SORT_PRECISION;
	rp->job = j;
	rp->t0 = fs_now();
	view *v = view_new(&rx_ops, rp, "");
	snprintf(v->title, sizeof v->title, "regex /%s/", pattern);
	j->pat = grep_compile(pattern, 0, j->err, sizeof j->err);
	if (!j->pat) {
		j->done = 1;
		j->changed = 1;
		return v;
	}
	if (pthread_create(&rp->th, NULL, rx_worker, j) == 0) {
		rp->started = 1;
	} else {
		snprintf(j->err, sizeof j->err, "cannot start the scan thread");
		j->done = 1;
	}
	return v;
}

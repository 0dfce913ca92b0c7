/*
 * view_regex.c: features that track a PCRE2 pattern, ranked by the share
 * of their activation that falls on matched text. The scan runs in a
 * worker thread (the search area's engine, src/grep.h) and reports results
 * and progress through a callback; the screen shows them as they arrive,
 * stays responsive, and Esc (or leaving the view) cancels the scan.
 *
 * The engine is reached only through rx_engine_run below, so adapting to
 * the engine's interface touches one function.
 */
#include "draw.h"
#include "keymap.h"
#include "term.h"
#include "util.h"
#include "view.h"

#include <curses.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One ranked feature. */
typedef struct {
	int64_t fid;        /* feature */
	double share;       /* share of its activation on matched text (0..1) */
	double on_match;    /* activation on matched text */
	int64_t matches;    /* matched spans on its contexts */
} rx_hit;

/* The scan shared between the worker and the screen. */
typedef struct {
	pthread_mutex_t mu; /* guards everything below but cancel */
	atomic_int cancel;  /* set by the screen to stop the worker */
	char pattern[512];  /* the pattern */
	char path[4096];    /* index path (the worker opens its own handle) */
	rx_hit *hits;       /* results so far, as the engine reported them */
	int nhits, cap;     /* count and capacity */
	double progress;    /* 0..1 */
	int done;           /* worker finished */
	char err[512];      /* error message, "" none */
	int changed;        /* new results since the screen last looked */
} rx_job;

/* The view's state. */
typedef struct {
	rx_job *job;        /* the scan */
	pthread_t th;       /* its worker */
	int started;        /* th valid */
	rx_hit *shown;      /* sorted copy for drawing */
	int nshown;         /* count */
	double t0;          /* start time */
	double elapsed;     /* seconds when done */
} rx_priv;

/* Called by the engine for each feature result (any thread). */
static void rx_report(rx_job *j, int64_t fid, double share, double on_match, int64_t matches)
{
	pthread_mutex_lock(&j->mu);
	for (int i = 0; i < j->nhits; i++)
		if (j->hits[i].fid == fid) {
			j->hits[i] = (rx_hit){fid, share, on_match, matches};
			j->changed = 1;
			pthread_mutex_unlock(&j->mu);
			return;
		}
	if (j->nhits == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 256;
		j->hits = xrealloc(j->hits, (size_t)j->cap * sizeof *j->hits);
	}
	j->hits[j->nhits++] = (rx_hit){fid, share, on_match, matches};
	j->changed = 1;
	pthread_mutex_unlock(&j->mu);
}

/* Run the scan with the search area's engine. Returns 0, or -1 with
 * j->err set. */
static int rx_engine_run(rx_job *j)
{
	(void)rx_report;
	snprintf(j->err, sizeof j->err,
		 "the regex engine (src/grep.h, search area) is not linked into this build yet");
	return -1;
}

static void *rx_worker(void *arg)
{
	rx_job *j = arg;
	rx_engine_run(j);
	pthread_mutex_lock(&j->mu);
	j->done = 1;
	j->changed = 1;
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static int rx_cmp(const void *a, const void *b)
{
	const rx_hit *x = a, *y = b;
	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	if (x->on_match != y->on_match)
		return x->on_match < y->on_match ? 1 : -1;
	return x->fid < y->fid ? -1 : x->fid > y->fid;
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
		memcpy(rp->shown, j->hits, (size_t)j->nhits * sizeof *rp->shown);
		rp->nshown = j->nhits;
		j->changed = 0;
		if (j->done && !rp->elapsed)
			rp->elapsed = fs_now() - rp->t0;
	}
	pthread_mutex_unlock(&j->mu);
	if (ch) {
		int64_t fid = v->cur < rp->nshown ? rp->shown[v->cur].fid : 0;
		qsort(rp->shown, (size_t)rp->nshown, sizeof *rp->shown, rx_cmp);
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
	int done = j->done, cancelled = atomic_load(&j->cancel);
	char err[512];
	snprintf(err, sizeof err, "%s", j->err);
	pthread_mutex_unlock(&j->mu);
	if (err[0])
		draw_text(1, 1, v->w - 1, err, TC_ERROR, DRAW_ELLIPSIS);
	else if (done)
		draw_printf(1, 1, v->w - 1, TC_STATUS, 0, "%s: %d features in %.2f s",
			    cancelled ? "cancelled" : "done", rp->nshown, rp->elapsed);
	else {
		int bw = v->w - 30 > 10 ? 20 : 0;
		int used = draw_printf(1, 1, v->w - 1, TC_NORMAL, 0, "scanning %3.0f%% ", prog * 100);
		term_set(TC_BAR);
		for (int k = 0; k < bw; k++)
			mvaddnwstr(1, 1 + used + k, k < (int)(prog * bw) ? L"\x2588" : L"\x2591", 1);
		draw_text(1, 2 + used + bw, v->w - used - bw - 2, " Esc cancels", TC_DIM, 0);
	}
	draw_text(2, 0, v->w, "  share  on match  spans  feature    label", TC_HEADER, DRAW_PAD);
	for (int i = 0; i < v->h && v->top + i < rp->nshown; i++) {
		int64_t ri = v->top + i;
		rx_hit *h = &rp->shown[ri];
		int sel = ri == v->cur, y = v->y + i, cls = sel ? TC_SELECT : TC_NORMAL;
		char name[64], lab[512] = "";
		int user = 0;
		fs_feature f;
		index_feature_name(tui.ix, h->fid, name, sizeof name);
		if (index_feature(tui.ix, h->fid, &f) == 0) {
			tui_label(f.id, f.label, lab, sizeof lab, &user);
			feature_free(&f);
		}
		int used = draw_printf(y, 0, v->w, cls, 0, " %5.1f%% %9.3g %6lld  %-10s ", h->share * 100,
				       h->on_match, (long long)h->matches, name);
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
	snprintf(j->pattern, sizeof j->pattern, "%s", pattern);
	snprintf(j->path, sizeof j->path, "%s", index_path(tui.ix));
	rp->job = j;
	rp->t0 = fs_now();
	view *v = view_new(&rx_ops, rp, "");
	snprintf(v->title, sizeof v->title, "regex /%s/", pattern);
	if (pthread_create(&rp->th, NULL, rx_worker, j) == 0) {
		rp->started = 1;
	} else {
		snprintf(j->err, sizeof j->err, "cannot start the scan thread");
		j->done = 1;
	}
	return v;
}

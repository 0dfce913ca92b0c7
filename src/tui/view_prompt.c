/*
 * view_prompt.c: the live prompt screen. Type or paste text on the first
 * line; the attached model analyses it as you type (on a worker thread
 * at a lower priority, so keys never wait for it, and closing the screen
 * cancels a running analysis at its next window), the text below is coloured by one
 * feature's activation, and the token under the text cursor lists the
 * features that fire on it, strongest first; Up/Down choose one (it
 * colours the text unless a feature was pinned by opening the screen from
 * its page), Enter opens its page, Esc goes back. An index without a model
 * says so on the status line and here, and the screen keeps running.
 */
#define _GNU_SOURCE /* gettid */
#include "live/analyze.h"
#include "live/session.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PR_TOP 32 /* features kept per token */

/* The analysis shared between the screen and the worker. */
typedef struct {
	pthread_mutex_t mu;   /* guards everything below */
	pthread_cond_t cv;    /* the worker waits here for new text */
	live_plan plan;       /* what to load (found by the screen in the index) */
	live_session ls;      /* the model (the worker loads it and alone uses it) */
	int ready;            /* the worker runs (set by the screen) */
	int loaded;           /* 0 loading, 1 loaded, -1 failed (load_err says why) */
	char load_err[512];
	char *want;           /* text to analyse next (NULL: none new) */
	size_t want_len;      /* its bytes */
	int64_t want_gen;     /* generation of want */
	int quit;             /* the screen is closing */
	int cancel;           /* set (atomically) with quit: the running analysis stops
			       * at its next window, so closing never waits for it */
	/* the latest result */
	int64_t gen;          /* generation it belongs to */
	char *text;           /* the text analysed */
	size_t len;           /* bytes */
	int ntok;             /* tokens */
	uint32_t *off;        /* ntok + 1 offsets */
	int *idx;             /* [ntok][PR_TOP] dictionary indices, -1 unused */
	float *val;           /* [ntok][PR_TOP] activations */
	double ms;            /* how long it took */
	int changed;          /* new since the screen last looked */
} pr_job;

/* The screen's state. */
typedef struct {
	pr_job *job;          /* shared with the worker */
	pthread_t th;         /* the worker */
	int started;          /* th valid */
	prompt_line line;     /* the text being edited */
	int64_t gen;          /* generation of the last text posted */
	int64_t pinned;       /* fid that colours the text, 0: the selected one */
	int sel;              /* selected row in the token's feature list */
	char err[512];        /* why there is no model, "" when there is one */
	const fs_sae *dict;   /* the dictionary analysed */
	int loaded;           /* the worker's loaded, as last seen */
	/* a copy of the latest result for drawing */
	int64_t shown_gen;    /* its generation */
	char *text;           /* its text */
	size_t len;           /* bytes */
	int ntok;             /* tokens */
	uint32_t *off;        /* offsets */
	int *idx;             /* [ntok][PR_TOP] */
	float *val;           /* [ntok][PR_TOP] */
	double ms;            /* analysis time */
} pr_priv;

/* Workers still running after their screen closed: the process waits for
 * them at exit (atexit), so OpenBLAS is never shut down under one. */
static pthread_mutex_t pr_live_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pr_live_cv = PTHREAD_COND_INITIALIZER;
static int pr_live;            /* workers not finished */
static int pr_live_hooked;     /* the atexit handler registered */

static void pr_wait_workers(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10; /* a window at most, but never hang an exit */
	pthread_mutex_lock(&pr_live_mu);
	while (pr_live > 0 && pthread_cond_timedwait(&pr_live_cv, &pr_live_mu, &until) == 0)
		;
	pthread_mutex_unlock(&pr_live_mu);
}

void view_prompt_wait_workers(void)
{
	pr_wait_workers();
}

/* Free the job (by whoever lets go of it last: the screen when no worker
 * runs, else the worker on its way out). */
static void pr_job_free(pr_job *j)
{
	live_session_close(&j->ls);
	live_plan_free(&j->plan);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->want);
	free(j->text);
	free(j->off);
	free(j->idx);
	free(j->val);
	free(j);
}

static void *pr_worker(void *arg)
{
	pr_job *j = arg;
	/* below the screen's thread (Linux: nice is per thread): keys and
	 * frames come first; the threads the analysis starts (OpenBLAS's,
	 * vmath's pool) inherit it */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0) {
		/* not allowed: the analysis runs at the screen's priority */
	}
	/* the model is loaded here, off the screen's thread: hashing and
	 * reading the weights take a good part of a second on GPT-2 */
	char lerr[512] = "";
	int ok = live_session_load(&j->ls, &j->plan, lerr, sizeof lerr) == 0;
	pthread_mutex_lock(&j->mu);
	j->loaded = ok ? 1 : -1;
	snprintf(j->load_err, sizeof j->load_err, "%s", lerr);
	j->changed = 1;
	for (;;) {
		while (!j->quit && (!j->want || !ok))
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->quit)
			break;
		char *text = j->want;
		size_t len = j->want_len;
		int64_t gen = j->want_gen;
		j->want = NULL;
		pthread_mutex_unlock(&j->mu);
		/* the analysis, without the lock (the engine's, as analyze
		 * runs it) */
		double t0 = fs_now();
		live_analyzed r;
		live_analyze(j->ls.model, j->ls.sae, text, len, PR_TOP, &j->cancel, &r);
		double ms = (fs_now() - t0) * 1e3;
		pthread_mutex_lock(&j->mu);
		free(j->text);
		free(j->off);
		free(j->idx);
		free(j->val);
		j->text = text;
		j->len = len;
		j->ntok = r.ntok;
		j->off = r.off;
		j->idx = r.idx;
		j->val = r.val;
		j->gen = gen;
		j->ms = ms;
		j->changed = 1;
	}
	pthread_mutex_unlock(&j->mu);
	pr_job_free(j); /* the screen has let go (pr_free) */
	pthread_mutex_lock(&pr_live_mu);
	pr_live--;
	pthread_cond_broadcast(&pr_live_cv);
	pthread_mutex_unlock(&pr_live_mu);
	return NULL;
}

/* Hand the current text to the worker (it drops any older request). */
static void pr_post(pr_priv *pp)
{
	pr_job *j = pp->job;
	if (!j->ready)
		return;
	pthread_mutex_lock(&j->mu);
	free(j->want);
	j->want = xstrndup(pp->line.buf, pp->line.len);
	j->want_len = pp->line.len;
	j->want_gen = ++pp->gen;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* Take a new result for drawing; 1 when there was one. */
static int pr_sync(pr_priv *pp)
{
	pr_job *j = pp->job;
	if (!j->ready)
		return 0;
	pthread_mutex_lock(&j->mu);
	int ch = j->changed;
	if (ch && j->loaded != pp->loaded) {
		pp->loaded = j->loaded;
		if (j->loaded < 0) {
			snprintf(pp->err, sizeof pp->err, "%s", j->load_err);
			tui_status(TC_ERROR, "%s", pp->err);
		}
	}
	if (ch) {
		free(pp->text);
		free(pp->off);
		free(pp->idx);
		free(pp->val);
		pp->text = xstrndup(j->text ? j->text : "", j->len);
		pp->len = j->len;
		pp->ntok = j->ntok;
		size_t nt = (size_t)(j->ntok > 0 ? j->ntok : 0);
		pp->off = xmalloc((nt + 1) * sizeof *pp->off);
		if (j->off)
			memcpy(pp->off, j->off, (nt + 1) * sizeof *pp->off);
		else
			pp->off[0] = 0;
		pp->idx = xmalloc((nt * PR_TOP + 1) * sizeof *pp->idx);
		pp->val = xmalloc((nt * PR_TOP + 1) * sizeof *pp->val);
		if (nt) {
			memcpy(pp->idx, j->idx, nt * PR_TOP * sizeof *pp->idx);
			memcpy(pp->val, j->val, nt * PR_TOP * sizeof *pp->val);
		}
		pp->shown_gen = j->gen;
		pp->ms = j->ms;
		j->changed = 0;
	}
	pthread_mutex_unlock(&j->mu);
	return ch;
}

/* The token holding byte offset at in the shown result (-1 none). */
static int pr_token_at(const pr_priv *pp, size_t at)
{
	if (pp->ntok <= 0)
		return -1;
	if (at >= pp->len)
		at = pp->len ? pp->len - 1 : 0;
	for (int t = 0; t < pp->ntok; t++)
		if (at >= pp->off[t] && at < pp->off[t + 1])
			return t;
	return pp->ntok - 1;
}

/* Features on token t: count of entries. */
static int pr_nfeat(const pr_priv *pp, int t)
{
	int n = 0;
	while (t >= 0 && n < PR_TOP && pp->idx[(size_t)t * PR_TOP + n] >= 0)
		n++;
	return n;
}

/* The feature id of the selected row at the cursor's token, 0 none. */
static int64_t pr_selected(view *v)
{
	pr_priv *pp = v->priv;
	if (!pp->job->ready)
		return pp->pinned;
	int t = pr_token_at(pp, pp->line.cur);
	int n = pr_nfeat(pp, t);
	if (n == 0)
		return pp->pinned;
	int r = pp->sel < n ? pp->sel : n - 1;
	return index_feature_id(tui.ix, pp->dict->id, pp->idx[(size_t)t * PR_TOP + r]);
}

static void pr_draw(view *v)
{
	pr_priv *pp = v->priv;
	pr_sync(pp);
	int w = v->w;
	/* the edited line, with its cursor */
	int used = draw_text(1, 1, w - 1, "text> ", TC_HEADER, 0);
	int cx = 1 + used + draw_width(pp->line.buf, pp->line.cur);
	draw_text(1, 1 + used, w - 1 - used, pp->line.buf, TC_NORMAL, DRAW_PAD);
	if (cx < w) {
		size_t l = 1;
		while (pp->line.cur + l < pp->line.len && ((unsigned char)pp->line.buf[pp->line.cur + l] & 0xc0) == 0x80)
			l++;
		char one[8] = " ";
		if (pp->line.cur < pp->line.len && l < sizeof one) {
			memcpy(one, pp->line.buf + pp->line.cur, l);
			one[l] = 0;
		}
		draw_text(1, cx, w - cx, one, TC_SELECT, 0);
	}
	if (!pp->job->ready || pp->loaded < 0) {
		draw_text(3, 1, w - 1, pp->err, TC_ERROR, DRAW_ELLIPSIS);
		return;
	}
	if (pp->loaded == 0) {
		draw_text(3, 1, w - 1, "loading the model...", TC_DIM, DRAW_ELLIPSIS);
		return;
	}
	int64_t colour = pp->pinned ? pp->pinned : pr_selected(v);
	char name[64] = "-";
	fs_feature cf;
	int have_cf = colour > 0 && index_feature(tui.ix, colour, &cf) == 0;
	if (colour > 0)
		index_feature_name(tui.ix, colour, name, sizeof name);
	int stale = pp->shown_gen != pp->gen;
	draw_printf(2, 1, w - 1, TC_DIM, DRAW_PAD | DRAW_ELLIPSIS, "%d tokens%s, colour: %s%s (%s)",
		    pp->ntok, stale ? ", analysing" : "", name, pp->pinned ? " (pinned)" : "",
		    have_cf ? cf.label : "");
	/* the analysed text coloured by the feature */
	int dict = pp->dict->id;
	int64_t cidx = have_cf && cf.sae == dict ? cf.idx : -1;
	float *acts = xcalloc((size_t)(pp->ntok > 0 ? pp->ntok : 1), sizeof *acts);
	float mx = have_cf && cf.max_act > 0 ? (float)cf.max_act : 1;
	for (int t = 0; t < pp->ntok; t++)
		for (int q = 0; q < PR_TOP; q++)
			if (pp->idx[(size_t)t * PR_TOP + q] == cidx)
				acts[t] = pp->val[(size_t)t * PR_TOP + q];
	if (have_cf)
		index_feature_free(&cf);
	int nc = 0;
	draw_cell *cells = draw_context_cells(pp->text, pp->len, pp->off, pp->ntok, acts, &nc);
	int y = 4, from = 0, rows_text = v->h / 3 > 2 ? v->h / 3 : 2;
	for (int r = 0; r < rows_text && from < nc; r++)
		from = draw_cells(y + r, 1, w - 2, cells, nc, from, mx, 1);
	free(cells);
	free(acts);
	/* the features of the token under the cursor */
	int t = pr_token_at(pp, pp->line.cur);
	int ly = y + rows_text + 1;
	if (t < 0) {
		draw_text(ly, 1, w - 1, "type some text", TC_DIM, 0);
		return;
	}
	char tokesc[64];
	fs_buf tb = {0};
	buf_add(&tb, pp->text + pp->off[t], pp->off[t + 1] - pp->off[t]);
	snprintf(tokesc, sizeof tokesc, "%s", tb.p ? tb.p : "");
	buf_free(&tb);
	used = draw_printf(ly, 1, w - 1, TC_HEADER, 0, "token %d ", t);
	draw_text(ly, 1 + used, w - 1 - used, tokesc, TC_HEADER, DRAW_PAD);
	int n = pr_nfeat(pp, t);
	if (pp->sel >= n)
		pp->sel = n > 0 ? n - 1 : 0;
	for (int r = 0; r < n && ly + 1 + r < v->y + v->h; r++) {
		int f = pp->idx[(size_t)t * PR_TOP + r];
		int64_t fid = index_feature_id(tui.ix, dict, f);
		char nm[64] = "?", lab[512] = "";
		int user = 0;
		fs_feature ff;
		if (fid > 0 && index_feature(tui.ix, fid, &ff) == 0) {
			index_feature_name(tui.ix, fid, nm, sizeof nm);
			tui_label(fid, ff.label, lab, sizeof lab, &user);
			index_feature_free(&ff);
		}
		int cls = r == pp->sel ? TC_SELECT : TC_NORMAL;
		int u = draw_printf(ly + 1 + r, 1, w - 1, cls, 0, " %8.3f  %-10s ", pp->val[(size_t)t * PR_TOP + r], nm);
		draw_text(ly + 1 + r, 1 + u, w - 1 - u, lab, r == pp->sel ? TC_SELECT : user ? TC_USER : TC_NORMAL,
			  DRAW_PAD | DRAW_ELLIPSIS);
	}
}

static int pr_key(view *v, int act, int key)
{
	pr_priv *pp = v->priv;
	if (key == KM_ESC)
		return VR_POP;
	if (key == '\n') {
		int64_t fid = pr_selected(v);
		if (fid > 0)
			view_open_feature(fid);
		return VR_HANDLED | VR_REDRAW;
	}
	if (key == KM_FKEY(KEY_UP)) {
		if (pp->sel > 0)
			pp->sel--;
		return VR_HANDLED | VR_REDRAW;
	}
	if (key == KM_FKEY(KEY_DOWN)) {
		pp->sel++;
		return VR_HANDLED | VR_REDRAW;
	}
	if (key == KM_CTRL('p')) {
		/* pin the selected feature, or unpin */
		pp->pinned = pp->pinned ? 0 : pr_selected(v);
		return VR_HANDLED | VR_REDRAW;
	}
	(void)act;
	int r = prompt_edit(&pp->line, key);
	if (r == 1) {
		pr_post(pp);
		return VR_HANDLED | VR_REDRAW;
	}
	if (r == 0)
		return VR_HANDLED | VR_REDRAW;
	return 0;
}

static int pr_busy(view *v)
{
	pr_priv *pp = v->priv;
	if (!pp->job->ready)
		return 0;
	pthread_mutex_lock(&pp->job->mu);
	int b = pp->job->loaded == 0 || (pp->job->loaded > 0 && (pp->job->want != NULL || pp->job->gen != pp->gen));
	pthread_mutex_unlock(&pp->job->mu);
	return b;
}

static int pr_tick(view *v)
{
	return pr_sync(v->priv) ? VR_REDRAW : 0;
}

static void pr_relayout(view *v)
{
	v->y = 1;
	v->h = LINES - 2 > 1 ? LINES - 2 : 1;
}

static void pr_free(view *v)
{
	pr_priv *pp = v->priv;
	pr_job *j = pp->job;
	if (pp->started) {
		__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&j->mu);
		j->quit = 1;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		/* not joined: a running analysis stops at its next window and
		 * the worker frees the job itself, so Esc never waits for it */
		pthread_detach(pp->th);
	} else {
		pr_job_free(j);
	}
	free(pp->text);
	free(pp->off);
	free(pp->idx);
	free(pp->val);
	free(pp);
}

static const view_ops pr_ops = {
	.kind = VIEW_PROMPT,
	.draw = pr_draw,
	.key = pr_key,
	.busy = pr_busy,
	.tick = pr_tick,
	.selected = pr_selected,
	.relayout = pr_relayout,
	.free = pr_free,
};

void view_open_prompt(int64_t pin, const char *text)
{
	pr_priv *pp = xcalloc(1, sizeof *pp);
	pr_job *j = xcalloc(1, sizeof *j);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	pp->job = j;
	pp->pinned = pin;
	prompt_set(&pp->line, text ? text : "");
	/* the dictionary of the pinned feature, else the first attached */
	if (live_session_find(&j->plan, tui.ix, live_sae_of(tui.ix, pin), pp->err, sizeof pp->err) == 0) {
		pp->dict = j->plan.dict;
		j->ready = 1;
		pthread_mutex_lock(&pr_live_mu);
		if (!pr_live_hooked)
			pr_live_hooked = atexit(pr_wait_workers) == 0;
		if (pthread_create(&pp->th, NULL, pr_worker, j) == 0) {
			pp->started = 1;
			pr_live++;
		} else {
			j->ready = 0, snprintf(pp->err, sizeof pp->err, "cannot start the analysis thread");
		}
		pthread_mutex_unlock(&pr_live_mu);
	}
	if (!j->ready)
		tui_status(TC_ERROR, "%s", pp->err);
	view *v = view_new(&pr_ops, pp);
	snprintf(v->title, sizeof v->title, "analyze: type text, Up/Down choose a feature, Enter opens it, ^P pins, Esc back");
	if (j->ready && pp->line.len)
		pr_post(pp);
	view_push(v);
}

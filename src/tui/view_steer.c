/*
 * view_steer.c: the live steering screen. The features chosen (from a
 * feature page with one key, or typed here) with their values, the
 * prompt, and the continuations with and without the steering from the
 * same seed, side by side. r generates again with the next seed, v sets
 * the selected feature's value (0 ablates), a adds a feature, x removes
 * one, p edits the prompt, M switches clamp/add, t sets the temperature
 * and l the length (as steer's --temperature and --tokens). A feature of
 * another attached dictionary of the model is steered beside the first
 * (as steer does: one pass, each dictionary's hook at its point); the screen
 * finds its files in the index, the worker loads them. Generation runs on a
 * worker thread; the screen stays responsive and shows "generating".
 */
#include "live/session.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX 16         /* features steered at once */
#define ST_TOKENS 160     /* tokens generated at first */
#define ST_MAX_TOKENS 4096 /* the most tokens l accepts */
#define ST_MAX_TEMP 100   /* the highest temperature (steer's --temperature) */

/* A generation request and its result, shared with the worker. */
typedef struct {
	pthread_mutex_t mu;    /* guards everything below */
	pthread_cond_t cv;     /* the worker waits here */
	live_plan plan;        /* what to load (found by the screen in the index) */
	live_session ls;       /* the model (the worker loads it and alone uses it) */
	int ready;             /* the worker runs (set by the screen) */
	int loaded;            /* 0 loading, 1 loaded, -1 failed (load_err says why) */
	char load_err[512];
	int quit;              /* the screen is closing */
	int64_t want_gen;      /* latest request */
	int64_t gen;           /* request the result belongs to */
	char prompt[PROMPT_MAX]; /* request: prompt */
	live_steer_term terms[ST_MAX]; /* request: features and values */
	int n;                 /* request: how many */
	int grp[ST_MAX];       /* request: each term's dictionary (0 the session's, k xsae[k-1]) */
	live_plan xplan[ST_MAX]; /* the other dictionaries' files (found by the screen) */
	int nxplan;            /* how many */
	char name[ST_MAX + 1][128]; /* the dictionaries' names: the session's, then xplan's */
	live_sae *xsae[ST_MAX]; /* those the worker loaded */
	int nxsae;             /* how many (loaded in order) */
	char run_err[512];     /* why the last request could not run ("" ran) */
	live_steer_mode mode;  /* request: clamp or add */
	uint64_t seed;         /* request: seed */
	double temperature;    /* request: sampling temperature */
	int tokens;            /* request: tokens generated */
	fs_buf plain, steered; /* result texts */
} st_job;

/* The screen's state. */
typedef struct {
	st_job *job;           /* shared with the worker */
	pthread_t th;          /* the worker */
	int started;           /* th valid */
	int64_t fid[ST_MAX];   /* chosen features */
	live_steer_term terms[ST_MAX]; /* their indices and values */
	int grp[ST_MAX];       /* their dictionaries, in dicts */
	const fs_sae *dicts[ST_MAX + 1]; /* the session's dictionary, then the others added */
	int ndicts;            /* how many */
	int n;                 /* how many */
	char prompt[PROMPT_MAX]; /* the prompt */
	uint64_t seed;         /* current seed */
	live_steer_mode mode;  /* clamp or add */
	double temperature;    /* sampling temperature (t) */
	int tokens;            /* tokens generated (l) */
	int64_t gen;           /* requests made */
	int64_t drawn_gen;     /* result generation last drawn */
	char err[512];         /* why there is no model */
	int loaded;            /* the worker's loaded, as last drawn */
} st_priv;

static void *st_worker(void *arg)
{
	st_job *j = arg;
	/* the model is loaded here, off the screen's thread */
	char lerr[512] = "";
	int ok = live_session_load(&j->ls, &j->plan, lerr, sizeof lerr) == 0;
	pthread_mutex_lock(&j->mu);
	j->loaded = ok ? 1 : -1;
	snprintf(j->load_err, sizeof j->load_err, "%s", lerr);
	for (;;) {
		while (!j->quit && (j->want_gen == j->gen || !ok))
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->quit)
			break;
		int64_t g = j->want_gen;
		char prompt[PROMPT_MAX];
		live_steer_term terms[ST_MAX];
		snprintf(prompt, sizeof prompt, "%s", j->prompt);
		memcpy(terms, j->terms, sizeof terms);
		int n = j->n, grp[ST_MAX];
		memcpy(grp, j->grp, sizeof grp);
		live_steer_mode mode = j->mode;
		/* dictionaries added since: loaded here, off the screen's thread */
		char xerr[512] = "";
		while (j->nxsae < j->nxplan) {
			live_plan xp = j->xplan[j->nxsae];
			pthread_mutex_unlock(&j->mu);
			live_sae *x = live_session_load_sae(&j->ls, &xp, xerr, sizeof xerr);
			pthread_mutex_lock(&j->mu);
			if (!x)
				break;
			j->xsae[j->nxsae++] = x;
		}
		int nxs = j->nxsae;
		uint64_t seed = j->seed;
		float temp = (float)j->temperature;
		int ntok = j->tokens;
		pthread_mutex_unlock(&j->mu);
		live_model *m = j->ls.model;
		int *ids, np;
		uint32_t *off;
		const char *p = prompt[0] ? prompt : " ";
		np = live_tokenize(m, p, strlen(p), &ids, &off);
		int *out0 = xmalloc(sizeof(int) * (size_t)ntok), *out1 = xmalloc(sizeof(int) * (size_t)ntok);
		/* the terms by dictionary, one steering state and hook each */
		live_steer st[ST_MAX + 1];
		live_steer_term gt[ST_MAX];
		live_sae *tsae[ST_MAX];
		live_steer_term tt[ST_MAX];
		int nt = 0;
		for (int i = 0; i < n; i++)
			if (grp[i] <= nxs) { /* a dictionary that failed to load steers nothing */
				tsae[nt] = grp[i] == 0 ? j->ls.sae : j->xsae[grp[i] - 1];
				tt[nt++] = terms[i];
			}
		int nst = live_steer_group(tsae, tt, nt, mode, j->ls.sae, gt, st);
		live_steer_set ss = {st, nst};
		live_hook h[ST_MAX + 1];
		int n0 = 0, n1 = 0;
		if (!xerr[0] && live_steer_set_hook(&ss, h, xerr, sizeof xerr) == 0 &&
		    live_steer_pair(m, ids, np, ntok, h, seed, temp, out0, &n0, out1, &n1, NULL, NULL) != 0)
			n0 = n1 = 0;
		free(ids);
		free(off);
		pthread_mutex_lock(&j->mu);
		j->plain.len = j->steered.len = 0;
		live_detokenize(m, out0, n0 > 0 ? n0 : 0, &j->plain);
		live_detokenize(m, out1, n1 > 0 ? n1 : 0, &j->steered);
		snprintf(j->run_err, sizeof j->run_err, "%s", xerr);
		j->gen = g;
		free(out0);
		free(out1);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static void st_request(st_priv *sp)
{
	st_job *j = sp->job;
	if (!j->ready)
		return;
	pthread_mutex_lock(&j->mu);
	snprintf(j->prompt, sizeof j->prompt, "%s", sp->prompt);
	memcpy(j->terms, sp->terms, sizeof j->terms);
	memcpy(j->grp, sp->grp, sizeof j->grp);
	j->n = sp->n;
	j->mode = sp->mode;
	j->seed = sp->seed;
	j->temperature = sp->temperature;
	j->tokens = sp->tokens;
	j->want_gen = ++sp->gen;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* Add fid at value v; 0 ok, -1 with a status message. A feature of
 * another attached dictionary brings that dictionary in (its files found
 * here, on the index's thread; the worker loads them). */
static int st_add(st_priv *sp, int64_t fid, double v)
{
	fs_feature f;
	if (!sp->job->ready || index_feature(tui.ix, fid, &f) != 0)
		return -1;
	const fs_sae *fd = index_sae_by_id(tui.ix, (int)f.sae);
	int idx = (int)f.idx;
	if (isnan(v))
		v = 2 * f.max_act;
	index_feature_free(&f);
	if (!fd || idx < 0 || idx >= fd->n_features)
		return -1;
	for (int i = 0; i < sp->n; i++)
		if (sp->fid[i] == fid) {
			sp->terms[i].value = (float)v;
			return 0;
		}
	if (sp->n == ST_MAX) {
		tui_status(TC_ERROR, "steer: at most %d features", ST_MAX);
		return -1;
	}
	int g = 0;
	while (g < sp->ndicts && sp->dicts[g]->id != fd->id)
		g++;
	if (g == sp->ndicts) {
		st_job *j = sp->job;
		live_plan xp;
		char err[512];
		if (live_session_find(&xp, tui.ix, fd->name, err, sizeof err) != 0) {
			tui_status(TC_ERROR, "steer: %s", err);
			return -1;
		}
		pthread_mutex_lock(&j->mu);
		snprintf(j->name[j->nxplan + 1], sizeof j->name[0], "%s", fd->name);
		j->xplan[j->nxplan++] = xp;
		pthread_mutex_unlock(&j->mu);
		sp->dicts[sp->ndicts++] = fd;
	}
	sp->fid[sp->n] = fid;
	sp->terms[sp->n].feature = idx;
	sp->terms[sp->n].value = (float)v;
	sp->grp[sp->n] = g;
	sp->n++;
	return 0;
}

/* Lines of s wrapped at w columns into out (at most max). */
static void st_column(int y, int x, int w, int rows, const char *s, size_t n, int cls)
{
	size_t pos = 0;
	for (int r = 0; r < rows && pos < n; r++) {
		size_t end = pos;
		int cols = 0;
		while (end < n && s[end] != '\n') {
			draw_glyph g;
			size_t nx = draw_glyph_next(s, n, end, &g);
			if (cols + g.width > w)
				break;
			cols += g.width;
			end = nx;
		}
		char *line = xstrndup(s + pos, end - pos);
		draw_text(y + r, x, w, line, cls, DRAW_PAD);
		free(line);
		pos = end < n && s[end] == '\n' ? end + 1 : end;
	}
}

static void st_draw(view *v)
{
	st_priv *sp = v->priv;
	int w = v->w;
	if (sp->job->ready) {
		pthread_mutex_lock(&sp->job->mu);
		if (sp->job->loaded != sp->loaded && (sp->loaded = sp->job->loaded) < 0) {
			snprintf(sp->err, sizeof sp->err, "%s", sp->job->load_err);
			tui_status(TC_ERROR, "%s", sp->err);
		}
		pthread_mutex_unlock(&sp->job->mu);
	}
	if (!sp->job->ready || sp->loaded < 0) {
		draw_text(2, 1, w - 1, sp->err, TC_ERROR, DRAW_ELLIPSIS);
		return;
	}
	draw_printf(1, 1, w - 1, TC_HEADER, DRAW_PAD | DRAW_ELLIPSIS, "prompt (p): ");
	draw_text(1, 13, w - 14, sp->prompt, TC_NORMAL, DRAW_PAD | DRAW_ELLIPSIS);
	draw_printf(2, 1, w - 1, TC_DIM, DRAW_PAD | DRAW_ELLIPSIS,
		    "%s, seed %llu (r: next), temperature %g (t), %d tokens (l); v value, a add, x remove, M mode",
		    sp->mode == LIVE_CLAMP ? "clamp" : "add", (unsigned long long)sp->seed, sp->temperature, sp->tokens);
	int y = 3;
	for (int i = 0; i < sp->n; i++, y++) {
		char nm[64], lab[512] = "";
		int user = 0;
		fs_feature f;
		index_feature_name(tui.ix, sp->fid[i], nm, sizeof nm);
		if (index_feature(tui.ix, sp->fid[i], &f) == 0) {
			tui_label(f.id, f.label, lab, sizeof lab, &user);
			index_feature_free(&f);
		}
		int cls = i == v->cur ? TC_SELECT : TC_NORMAL;
		int u = draw_printf(y, 1, w - 1, cls, 0, " %-10s = %8.3f%s  ", nm, sp->terms[i].value,
				    sp->terms[i].value == 0 ? " (ablated)" : "");
		draw_text(y, 1 + u, w - 1 - u, lab, cls, DRAW_PAD | DRAW_ELLIPSIS);
	}
	if (sp->n == 0)
		draw_text(y++, 1, w - 1, "no features: press a to add one (or S on a feature page)", TC_DIM, 0);
	y++;
	st_job *j = sp->job;
	pthread_mutex_lock(&j->mu);
	int pending = j->gen != sp->gen;
	sp->drawn_gen = j->gen;
	char *a = xstrndup(j->plain.p ? j->plain.p : "", j->plain.len);
	size_t na = j->plain.len;
	char *b = xstrndup(j->steered.p ? j->steered.p : "", j->steered.len);
	size_t nb = j->steered.len;
	char run_err[512];
	snprintf(run_err, sizeof run_err, "%s", j->run_err);
	pthread_mutex_unlock(&j->mu);
	if (run_err[0] && !pending)
		draw_text(y++, 1, w - 1, run_err, TC_ERROR, DRAW_ELLIPSIS);
	int half = (w - 3) / 2;
	const char *state = sp->loaded == 0 ? " (loading the model...)" : pending ? " (generating)" : "";
	draw_printf(y, 1, half, TC_HEADER, DRAW_PAD, "unsteered%s", state);
	draw_printf(y, 2 + half, half, TC_HEADER, DRAW_PAD, "steered%s", state);
	y++;
	int rows = v->y + v->h - y;
	if (rows > 0) {
		st_column(y, 1, half, rows, a, na, TC_NORMAL);
		st_column(y, 2 + half, half, rows, b, nb, TC_NORMAL);
	}
	free(a);
	free(b);
}

static int st_key(view *v, int act, int key)
{
	st_priv *sp = v->priv;
	(void)key;
	if (!sp->job->ready)
		return 0;
	char *s;
	switch (act) {
	case ACT_REGENERATE:
		sp->seed++;
		st_request(sp);
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_MODE:
		sp->mode = sp->mode == LIVE_CLAMP ? LIVE_ADD : LIVE_CLAMP;
		st_request(sp);
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_PROMPT:
		if ((s = prompt_read("prompt: ", sp->prompt, NULL, NULL, NULL))) {
			snprintf(sp->prompt, sizeof sp->prompt, "%s", s);
			free(s);
			st_request(sp);
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_TEMP:
	case ACT_STEER_LENGTH:
		if ((s = prompt_read(act == ACT_STEER_TEMP ? "temperature (0 greedy): " : "tokens: ", "", NULL, NULL,
				     NULL))) {
			char *end;
			double x = strtod(s, &end);
			if (act == ACT_STEER_TEMP && (!*s || *end || !(x >= 0 && x <= ST_MAX_TEMP)))
				tui_status(TC_ERROR, "steer: temperature '%s': expected a number in 0..%d", s, ST_MAX_TEMP);
			else if (act == ACT_STEER_LENGTH && (!*s || *end || !(x >= 1 && x <= ST_MAX_TOKENS) || x != floor(x)))
				tui_status(TC_ERROR, "steer: tokens '%s': expected a whole number in 1..%d", s, ST_MAX_TOKENS);
			else {
				if (act == ACT_STEER_TEMP)
					sp->temperature = x;
				else
					sp->tokens = (int)x;
				st_request(sp);
			}
			free(s);
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_VALUE:
		if (v->cur >= sp->n)
			return VR_HANDLED;
		if ((s = prompt_read("value: ", "", NULL, NULL, NULL))) {
			char *end;
			double x = strtod(s, &end);
			if (!*s || *end || isnan(x))
				tui_status(TC_ERROR, "steer: value '%s' is not a number", s);
			else if (!(fabs(x) <= 1e6))
				tui_status(TC_ERROR, "steer: value '%s' is out of range (-1e6 to 1e6)", s);
			else {
				sp->terms[v->cur].value = (float)x;
				st_request(sp);
			}
			free(s);
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_ADD:
		if ((s = prompt_read("feature (N, SAE/N, #FID): ", "", NULL, NULL, NULL))) {
			char err[512];
			int64_t fid = index_resolve(tui.ix, s, err, sizeof err);
			if (fid < 0)
				tui_status(TC_ERROR, "%s", err);
			else if (st_add(sp, fid, NAN) == 0)
				st_request(sp);
			free(s);
		}
		v->nrows = sp->n;
		return VR_HANDLED | VR_REDRAW;
	case ACT_STEER_DROP:
		if (v->cur < sp->n) {
			for (int i = (int)v->cur; i + 1 < sp->n; i++) {
				sp->fid[i] = sp->fid[i + 1];
				sp->terms[i] = sp->terms[i + 1];
				sp->grp[i] = sp->grp[i + 1];
			}
			sp->n--;
			v->nrows = sp->n;
			view_clamp(v);
			st_request(sp);
		}
		return VR_HANDLED | VR_REDRAW;
	case ACT_ENTER:
		if (v->cur < sp->n)
			view_open_feature(sp->fid[v->cur]);
		return VR_HANDLED | VR_REDRAW;
	}
	return 0;
}

static int st_busy(view *v)
{
	st_priv *sp = v->priv;
	if (!sp->job->ready)
		return 0;
	pthread_mutex_lock(&sp->job->mu);
	int b = sp->job->loaded == 0 || (sp->job->loaded > 0 && sp->job->gen != sp->gen);
	pthread_mutex_unlock(&sp->job->mu);
	return b;
}

static int st_tick(view *v)
{
	st_priv *sp = v->priv;
	if (!sp->job->ready)
		return 0;
	pthread_mutex_lock(&sp->job->mu);
	int ch = sp->job->gen != sp->drawn_gen || sp->job->loaded != sp->loaded;
	pthread_mutex_unlock(&sp->job->mu);
	return ch ? VR_REDRAW : 0;
}

static int64_t st_selected(view *v)
{
	st_priv *sp = v->priv;
	return v->cur < sp->n ? sp->fid[v->cur] : 0;
}

static void st_relayout(view *v)
{
	v->y = 1;
	v->h = LINES - 2 > 1 ? LINES - 2 : 1;
}

static void st_free(view *v)
{
	st_priv *sp = v->priv;
	st_job *j = sp->job;
	if (sp->started) {
		pthread_mutex_lock(&j->mu);
		j->quit = 1;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_join(sp->th, NULL);
	}
	for (int i = 0; i < j->nxsae; i++)
		live_sae_free(j->xsae[i]);
	for (int i = 0; i < j->nxplan; i++)
		live_plan_free(&j->xplan[i]);
	live_session_close(&j->ls);
	live_plan_free(&j->plan);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	buf_free(&j->plain);
	buf_free(&j->steered);
	free(j);
	free(sp);
}

static const view_ops st_ops = {
	.kind = VIEW_STEER,
	.draw = st_draw,
	.key = st_key,
	.busy = st_busy,
	.tick = st_tick,
	.selected = st_selected,
	.relayout = st_relayout,
	.free = st_free,
};

void view_open_steer(int64_t fid)
{
	st_priv *sp = xcalloc(1, sizeof *sp);
	st_job *j = xcalloc(1, sizeof *j);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	sp->job = j;
	sp->seed = 1;
	sp->mode = LIVE_CLAMP;
	sp->temperature = 0.8;
	sp->tokens = ST_TOKENS;
	snprintf(sp->prompt, sizeof sp->prompt, "The meaning of life is ");
	/* the dictionary of the feature steered, else the first attached */
	if (live_session_find(&j->plan, tui.ix, live_sae_of(tui.ix, fid), sp->err, sizeof sp->err) == 0) {
		j->ready = 1;
		sp->dicts[0] = j->plan.dict;
		sp->ndicts = 1;
		snprintf(j->name[0], sizeof j->name[0], "%s", j->plan.dict->name);
		if (pthread_create(&sp->th, NULL, st_worker, j) == 0)
			sp->started = 1;
		else
			j->ready = 0, snprintf(sp->err, sizeof sp->err, "cannot start the generation thread");
	}
	if (!j->ready)
		tui_status(TC_ERROR, "%s", sp->err);
	if (j->ready && fid > 0)
		st_add(sp, fid, NAN);
	view *v = view_new(&st_ops, sp);
	snprintf(v->title, sizeof v->title, "steer: both continuations from one seed");
	v->nrows = sp->n;
	if (j->ready)
		st_request(sp);
	view_push(v);
}

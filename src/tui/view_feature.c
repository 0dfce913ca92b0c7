/*
 * view_feature.c: one feature's page: its label (and the user's label,
 * note and tags when there are notes), density and activation statistics,
 * its matches in the other dictionaries, the activation histogram in
 * block characters, logit effects, what an
 * import brought (correlated features and neurons, neuron alignment,
 * every explanation best first), then the
 * top-activating contexts and the quantile-interval samples, each centred
 * on its strongest token with every character's background coloured by
 * its activation, and last its co-firing features (on the same stored
 * contexts, feature_cofire.c; Enter opens one). 't' shows token boundaries, 'w' one or three lines.
 * 'E' runs the attached model on the top context with the feature
 * ablated and lists the next tokens whose log-probability fell most.
 */
#include "live/session.h"
#include "tui/draw.h"
#include "tui/feature_cofire.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "core/util.h"
#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEAT_HIST_ROWS 4

/* A context example ready to draw. */
typedef struct {
	fs_example *ex;     /* the example (owned by the examples array) */
	fs_context ctx;     /* its text and token offsets */
	draw_cell *cells;   /* decoded glyphs with activations */
	int ncells;         /* count */
	int centre;         /* cell of the max-activating token */
	int loaded;         /* ctx and cells valid */
} feat_ctx;

/* Kinds of page lines. */
enum { FL_TEXT, FL_HIST, FL_AXIS, FL_CTX, FL_LEGEND, FL_COFIRE };

/* One line of the page. */
typedef struct {
	int kind;       /* FL_* */
	int a, b;       /* FL_HIST: row; FL_CTX: context index, sub-line; FL_COFIRE: entry */
	int cls;        /* colour class of FL_TEXT; FL_CTX: the context's line count */
	char *text;     /* FL_TEXT text (owned) */
} feat_line;

/* The page's state. */
typedef struct {
	int64_t fid;          /* the feature */
	fs_feature f;         /* its record */
	int have_f;           /* f valid */
	char *desc;           /* the feature's description, NULL when none */
	fs_example *ex;       /* examples, groups in order */
	int nex;              /* count */
	feat_ctx *ctx;        /* one per example */
	fs_interval *iv;      /* interval bounds */
	int niv;              /* count */
	fs_logit *pos, *neg;  /* logit effects */
	int npos, nneg;       /* counts */
	feat_line *lines;     /* the laid-out page */
	int nlines, lcap;     /* count and capacity */
	int tokens;           /* show token boundaries */
	int shift;            /* context windows moved right (+) or left (-), in columns */
	int ctx_lines;        /* lines per context: 1 or 3 */
	char *ablation;       /* ablation effect lines ('\n'-separated), NULL until asked */
	view_cofire *co;      /* co-firing section (feature_cofire.c): heading, features */
	int nco;              /* its lines */
	int co_done;          /* co computed (in idle steps after opening) */
	void *co_job;         /* its unfinished work, NULL when none */
	char *matches;        /* the line of best matches in other dictionaries, NULL when none */
	int matches_done;     /* matches computed (at once when no decoder must be read first) */
} feat_priv;

static void feat_add(feat_priv *fp, int kind, int a, int b, int cls, char *text)
{
	if (fp->nlines == fp->lcap) {
		fp->lcap = fp->lcap ? fp->lcap * 2 : 64;
		fp->lines = xrealloc(fp->lines, (size_t)fp->lcap * sizeof *fp->lines);
	}
	fp->lines[fp->nlines++] = (feat_line){kind, a, b, cls, text};
}

static void feat_text(feat_priv *fp, int cls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void feat_text(feat_priv *fp, int cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	feat_add(fp, FL_TEXT, 0, 0, cls, xstrdup(buf));
}

/* text (untrusted) in lines of at most w columns, broken at spaces (a
 * word longer than a line is cut between characters); the first line
 * after first, the others after the same width of spaces. */
static void feat_wrapped(feat_priv *fp, int cls, int w, const char *first, const char *text)
{
	int ind = draw_width(first, strlen(first));
	if (w - ind < 8)
		w = ind + 8;
	size_t n = strlen(text), pos = 0;
	int line = 0;
	do {
		/* the longest run of glyphs from pos that fits, then back to a space */
		size_t q = pos, brk = 0;
		int col = 0;
		while (q < n) {
			draw_glyph g;
			size_t nx = draw_glyph_next(text, n, q, &g);
			if (col + g.width > w - ind)
				break;
			col += g.width;
			if (text[q] == ' ')
				brk = q;
			q = nx;
		}
		size_t end = q < n && brk > pos ? brk : q;
		if (end == pos && q < n) /* not even one glyph fits: take one */
			end = draw_glyph_next(text, n, pos, &(draw_glyph){0});
		feat_text(fp, cls, "%*s%.*s", line ? ind : 0, line ? "" : first, (int)(end - pos), text + pos);
		pos = end;
		while (pos < n && text[pos] == ' ')
			pos++;
		line++;
	} while (pos < n);
}

static void feat_clear_lines(feat_priv *fp)
{
	for (int i = 0; i < fp->nlines; i++)
		free(fp->lines[i].text);
	fp->nlines = 0;
}

static feat_ctx *feat_ctx_get(feat_priv *fp, int i);

/* Lay the page out (cheap: called on every draw so notes stay fresh). */
static void feat_layout(view *v)
{
	feat_priv *fp = v->priv;
	feat_clear_lines(fp);
	if (!fp->have_f) {
		feat_text(fp, TC_ERROR, "feature #%lld is not in this index", (long long)fp->fid);
		v->nrows = fp->nlines;
		return;
	}
	fs_feature *f = &fp->f;
	char name[64];
	index_feature_name(tui.ix, f->id, name, sizeof name);
	const fs_sae *s = index_sae_by_id(tui.ix, f->sae);
	fs_note n;
	int have_note = tui_note_get(f->id, &n) == 0;
	/* labels and the description whole, wrapped to the screen */
	int lw = v->w - 2;
	char first[128];
	snprintf(first, sizeof first, "%s%s  ", have_note && n.bookmark ? "\xe2\x98\x85 " : "", name);
	if (have_note && n.label && n.label[0]) {
		feat_wrapped(fp, TC_USER, lw, first, n.label);
		feat_wrapped(fp, TC_DIM, lw, "  index label: ", f->label[0] ? f->label : "(none)");
	} else {
		feat_wrapped(fp, TC_HEADER, lw, first, f->label[0] ? f->label : "(no label)");
	}
	if (fp->desc)
		feat_wrapped(fp, TC_DIM, lw, "  ", fp->desc);
	if (have_note && n.tags && n.tags[0])
		feat_text(fp, TC_USER, "  tags: %s", n.tags);
	if (have_note && n.note && n.note[0]) {
		const char *p = n.note;
		int k = 0;
		while (*p && k < 6) {
			const char *e = strchr(p, '\n');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			feat_text(fp, TC_USER, "  %s %.*s", k ? " " : "note:", (int)l, p);
			p += l + (e ? 1 : 0);
			k++;
		}
	}
	tui_note_free(&n);
	char dens[32];
	draw_density(f->density, dens, sizeof dens);
	feat_text(fp, TC_NORMAL, "dictionary %s (%s%s%s)  fid %lld", s ? s->name : "?",
		  s && s->model[0] ? s->model : "", s && s->hook[0] ? " " : "", s ? s->hook : "",
		  (long long)f->id);
	feat_text(fp, TC_NORMAL, "density %s  max %.4g  mean %.4g  examples %lld  cluster %lld", dens,
		  f->max_act, f->mean_act, (long long)f->n_examples, (long long)f->cluster);
	if (!fp->matches_done)
		feat_text(fp, TC_DIM, "matches: reading the stored decoders...");
	else if (fp->matches)
		feat_add(fp, FL_TEXT, 0, 0, TC_NORMAL, xstrdup(fp->matches));
	feat_text(fp, TC_NORMAL, "%s", "");
	uint32_t hmax = 0;
	for (int i = 0; i < FS_HIST_BINS; i++)
		if (f->hist[i] > hmax)
			hmax = f->hist[i];
	if (hmax) {
		feat_text(fp, TC_HEADER, "activation histogram (log count: full bar %u)",
			  (unsigned)hmax);
		for (int r = FEAT_HIST_ROWS - 1; r >= 0; r--)
			feat_add(fp, FL_HIST, r, 0, 0, NULL);
		feat_add(fp, FL_AXIS, 0, 0, 0, NULL);
	} else {
		feat_text(fp, TC_DIM, "no activation histogram stored");
	}
	feat_text(fp, TC_NORMAL, "%s", "");
	for (int sgn = 0; sgn < 2; sgn++) {
		fs_logit *l = sgn ? fp->neg : fp->pos;
		int nl = sgn ? fp->nneg : fp->npos;
		if (nl <= 0)
			continue;
		fs_buf b = {0};
		buf_printf(&b, "%s", sgn ? "logits -  " : "logits +  ");
		for (int i = 0; i < nl && i < 10; i++) {
			char *t = draw_token_readable(l[i].token, strlen(l[i].token));
			buf_printf(&b, "%s %+.3g   ", t, l[i].value);
			free(t);
		}
		feat_add(fp, FL_TEXT, 0, 0, sgn ? TC_NEG : TC_POS, xstrdup(b.p));
		buf_free(&b);
	}
	if (fp->npos <= 0 && fp->nneg <= 0)
		feat_text(fp, TC_DIM, "no logit effects stored");
	else
		feat_text(fp, TC_DIM, "          (%s)", FS_LOGITS_NOTE);
	for (const char *p = fp->ablation; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		feat_add(fp, FL_TEXT, 0, 0, p == fp->ablation ? TC_HEADER : TC_NORMAL, xstrndup(p, l));
		p += l + (e ? 1 : 0);
	}
	/* what an import brought: feature tables and every explanation */
	static const char *const kinds[] = {"corr_feature", "corr_neuron", "neuron_align"};
	static const char *const titles[] = {"correlated features", "correlated neurons", "neuron alignment"};
	for (int k = 0; k < 3; k++) {
		fs_table_row *r;
		int nr = index_feature_table(tui.ix, f->id, kinds[k], &r);
		if (nr <= 0)
			continue;
		fs_buf b = {0};
		buf_printf(&b, "%s:", titles[k]);
		for (int i = 0; i < nr && i < 10; i++) {
			char on[64];
			int64_t other = k == 0 ? index_feature_id(tui.ix, f->sae, r[i].other) : -1;
			if (other > 0)
				index_feature_name(tui.ix, other, on, sizeof on);
			else
				snprintf(on, sizeof on, "%lld", (long long)r[i].other);
			buf_printf(&b, "%s %s %+.3f", i ? "," : "", on, r[i].value);
		}
		feat_add(fp, FL_TEXT, 0, 0, TC_NORMAL, xstrdup(b.p));
		buf_free(&b);
		free(r);
	}
	fs_explanation *ex;
	int nexp = index_explanations(tui.ix, f->id, &ex);
	for (int i = 0; i < nexp && i < 8; i++)
		feat_text(fp, i ? TC_DIM : TC_NORMAL, "explanation %d: %s  [%s%s%s]", i + 1, ex[i].text, ex[i].source,
			  ex[i].scores[0] ? "; " : "", ex[i].scores);
	if (nexp > 0)
		index_explanations_free(ex, nexp);
	int grp = -1;
	for (int i = 0; i < fp->nex; i++) {
		fs_example *e = &fp->ex[i];
		if (e->grp != grp) {
			grp = e->grp;
			feat_text(fp, TC_NORMAL, "%s", "");
			if (grp == 0) {
				feat_add(fp, FL_LEGEND, 0, 0, 0, NULL);
			} else if (grp == FS_GRP_RANDOM) {
				feat_text(fp, TC_HEADER, "random positive samples (uniform over contexts where it fires)");
			} else {
				fs_interval *iv = NULL;
				for (int k = 0; k < fp->niv; k++)
					if (fp->iv[k].grp == grp)
						iv = &fp->iv[k];
				double share = iv ? index_hist_share(&fp->f, iv->lo, iv->hi) : -1;
				if (share >= 0)
					feat_text(fp, TC_HEADER, "interval %d: %.3g to %.3g (%.1f%% of firing tokens)",
						  grp, iv->lo, iv->hi, share * 100);
				else if (iv && iv->frac >= 0)
					feat_text(fp, TC_HEADER, "interval %d: %.3g to %.3g (%.1f%% of firing contexts)",
						  grp, iv->lo, iv->hi, iv->frac * 100);
				else if (iv)
					feat_text(fp, TC_HEADER, "interval %d: %.3g to %.3g", grp, iv->lo, iv->hi);
				else
					feat_text(fp, TC_HEADER, "interval %d", grp);
			}
		}
		/* wide mode: as many lines as the context fills (up to
		 * ctx_lines), never blank ones */
		int nl = 1;
		if (fp->ctx_lines > 1) {
			feat_ctx *c = feat_ctx_get(fp, i);
			int cols = v->w - 10, tw = 0;
			for (int k = 0; k < c->ncells; k++)
				tw += c->cells[k].g.width;
			nl = cols > 0 ? (tw + cols - 1) / cols : 1;
			nl = nl < 1 ? 1 : nl > fp->ctx_lines ? fp->ctx_lines : nl;
		}
		for (int k = 0; k < nl; k++)
			feat_add(fp, FL_CTX, i, k, nl, NULL);
	}
	if (fp->nex == 0)
		feat_text(fp, TC_DIM, "%s", f->density == 0 ? "never fires in the data: no firing examples"
							   : "no examples stored");
	/* last, so the contexts keep their place on the first screen */
	feat_text(fp, TC_NORMAL, "%s", "");
	if (!fp->co_done)
		feat_text(fp, TC_DIM, "co-firing features: reading the stored contexts...");
	for (int i = 0; i < fp->nco; i++)
		feat_add(fp, FL_COFIRE, i, 0, i ? TC_NORMAL : TC_HEADER, xstrdup(fp->co[i].text));
	v->nrows = fp->nlines;
	view_clamp(v);
}

/* Load context i's text and cells on first use. */
static feat_ctx *feat_ctx_get(feat_priv *fp, int i)
{
	feat_ctx *c = &fp->ctx[i];
	if (c->loaded)
		return c;
	c->loaded = 1;
	if (index_context(tui.ix, c->ex->ctx, &c->ctx) != 0) {
		memset(&c->ctx, 0, sizeof c->ctx);
		return c;
	}
	int nt = c->ctx.ntok < c->ex->ntok ? c->ctx.ntok : c->ex->ntok;
	c->cells = draw_context_cells(c->ctx.text, (size_t)c->ctx.len, c->ctx.tok_off, nt,
				      c->ex->acts, &c->ncells);
	c->centre = draw_cell_of_token(c->cells, c->ncells, c->ctx.tok_off, nt, c->ex->max_pos);
	return c;
}

/* First cell of a window of `cols` columns per line and `lines` lines
 * that puts the centre cell in the middle. */
static int feat_start(const feat_ctx *c, int cols, int lines, int shift)
{
	int before = (cols * lines) / 2 - shift, s = c->centre, w = 0;
	if (lines > 1 && shift == 0) {
		/* several lines that hold it all: from the start */
		int tw = 0;
		for (int k = 0; k < c->ncells; k++)
			tw += c->cells[k].g.width;
		if (tw <= cols * lines)
			return 0;
	}
	if (before < 0) {
		/* Shifted past the centre: walk forward instead. */
		while (s < c->ncells - 1 && w + c->cells[s].g.width <= -before)
			w += c->cells[s++].g.width;
		return s;
	}
	while (s > 0 && w + c->cells[s - 1].g.width <= before) {
		w += c->cells[s - 1].g.width;
		s--;
	}
	return s;
}

static void feat_draw_ctx(view *v, feat_priv *fp, const feat_line *l, int y)
{
	feat_ctx *c = feat_ctx_get(fp, l->a);
	int pre = 9;
	int cols = v->w - pre - 1;
	if (cols < 4)
		return;
	if (l->b == 0)
		draw_printf(y, v->x + 1, pre - 1, TC_DIM, 0, "%7.3g", c->ex->max_act);
	if (!c->cells) {
		if (l->b == 0)
			draw_text(y, v->x + pre, cols, "(context missing)", TC_ERROR, 0);
		return;
	}
	/* lines of this context (l->cls holds the count) */
	int lines = l->cls > 0 ? l->cls : 1;
	/* one column each side is kept for a '…' where text is cut */
	int inner = cols - 2;
	int s = feat_start(c, inner, lines, fp->shift);
	int s0 = s;
	for (int k = 0; k < l->b && s < c->ncells; k++) {
		int w = 0;
		while (s < c->ncells && w + c->cells[s].g.width <= inner)
			w += c->cells[s++].g.width;
	}
	if (l->b == 0 && s0 > 0)
		draw_text(y, v->x + pre, 1, "\xe2\x80\xa6", TC_DIM, 0);
	int end = draw_cells(y, v->x + pre + 1, inner, c->cells, c->ncells, s,
			     fp->f.max_act > 0 ? (float)fp->f.max_act : c->ex->max_act, fp->tokens);
	if (l->b == lines - 1 && end < c->ncells) {
		int w = 0;
		for (int k = s; k < end; k++)
			w += c->cells[k].g.width;
		draw_text(y, v->x + pre + 1 + w, 1, "\xe2\x80\xa6", TC_DIM, 0);
	}
}

static void feat_draw(view *v)
{
	feat_priv *fp = v->priv;
	feat_layout(v);
	fs_feature *f = &fp->f;
	uint32_t hmax = 0;
	double hlo = 0, hhi = 0; /* the one axis rule (index_hist_extent) */
	int nb = index_hist_extent(f, &hlo, &hhi);
	if (!nb)
		nb = 1;
	for (int i = 0; i < FS_HIST_BINS; i++)
		if (f->hist[i] > hmax)
			hmax = f->hist[i];
	int bw = (v->w - 4) / nb;
	if (bw > 2)
		bw = 2;
	if (bw < 1)
		bw = 1;
	for (int i = 0; i < v->h; i++) {
		int64_t row = v->top + i;
		if (row >= fp->nlines)
			break;
		const feat_line *l = &fp->lines[row];
		int y = v->y + i;
		if (row == v->cur) {
			term_set(TC_SELECT);
			mvaddch(y, v->x, '>');
		}
		switch (l->kind) {
		case FL_TEXT:
		case FL_COFIRE:
			draw_text(y, v->x + 1, v->w - 1, l->text, l->cls, DRAW_ELLIPSIS);
			break;
		case FL_HIST:
			term_set(TC_BAR);
			for (int b = 0; b < nb && 2 + (b + 1) * bw <= v->w; b++) {
				double fr = hmax ? log1p(f->hist[b]) / log1p(hmax) : 0;
				wchar_t wc[2] = {draw_block(fr, l->a, FEAT_HIST_ROWS), 0};
				for (int k = 0; k < bw; k++)
					mvaddnwstr(y, v->x + 2 + b * bw + k, wc, 1);
			}
			break;
		case FL_AXIS: {
			/* a few ticks from the lowest bin's start to the last
			 * non-empty bin's end, each value under its place */
			double lo = hlo, hi = hhi;
			int span = nb * bw, ticks = span >= 40 ? 4 : span >= 16 ? 2 : 1, last = -1;
			for (int k = 0; k <= ticks; k++) {
				char t[32];
				snprintf(t, sizeof t, "%.3g", lo + (hi - lo) * k / ticks);
				int tw = (int)strlen(t), at = 2 + span * k / ticks;
				int x = k == 0 ? at : k == ticks ? at - tw : at - tw / 2;
				if (x <= last + 1 || x + tw > v->w)
					continue;
				draw_text(y, v->x + x, tw, t, TC_DIM, 0);
				last = x + tw;
			}
			break;
		}
		case FL_LEGEND: {
			int used = draw_text(y, v->x + 1, v->w - 1, "top activations  ", TC_HEADER, 0);
			draw_legend(y, v->x + 1 + used, v->w - 1 - used, (float)f->max_act);
			if (fp->tokens)
				draw_text(y, v->x + v->w - 8, 8, " tokens", TC_DIM, 0);
			break;
		}
		case FL_CTX:
			feat_draw_ctx(v, fp, l, y);
			break;
		}
	}
	term_set(TC_NORMAL);
}

static const char *feat_row_text(view *v, int64_t row, char *buf, size_t len)
{
	feat_priv *fp = v->priv;
	if (row < 0 || row >= fp->nlines)
		return NULL;
	feat_line *l = &fp->lines[row];
	if (l->kind == FL_TEXT || l->kind == FL_COFIRE)
		return l->text;
	if (l->kind == FL_CTX && l->b == 0) {
		feat_ctx *c = feat_ctx_get(fp, l->a);
		snprintf(buf, len, "%s", c->ctx.text ? c->ctx.text : "");
		return buf;
	}
	return NULL;
}

/* The ablation effect on the top context into fp->ablation (or a status
 * message when there is no model). */
static void feat_ablation(feat_priv *fp)
{
	if (!fp->have_f || fp->nex == 0) {
		tui_status(TC_ERROR, "ablation: no top context stored");
		return;
	}
	live_session ls;
	char err[512];
	if (live_session_open(&ls, tui.ix, NULL, err, sizeof err) != 0) {
		tui_status(TC_ERROR, "%s", err);
		return;
	}
	if (fp->f.sae != ls.dict->id) {
		tui_status(TC_ERROR, "ablation: the attached model runs dictionary '%s', not this one", ls.dict->name);
		live_session_close(&ls);
		return;
	}
	feat_ctx *c = feat_ctx_get(fp, 0);
	float *d;
	uint32_t *off;
	int T = live_ablation_effect(&ls, (int)fp->f.idx, c->ctx.text, (size_t)c->ctx.len, &d, &off);
	live_session_close(&ls);
	if (T < 2) {
		free(d);
		free(off);
		tui_status(TC_ERROR, T < 0 ? "ablation: the model could not run on the top context"
					   : "ablation: the top context is too short");
		return;
	}
	double mean = 0;
	for (int t = 0; t + 1 < T; t++)
		mean += d[t];
	mean /= T - 1;
	fs_buf b = {0};
	buf_printf(&b, "ablated on the top context: mean change in log p(next token) %+.4f nats\n", mean);
	/* the five next tokens that lost most, each shown as a token list
	 * shows it (draw_text escapes what is left when the line is drawn) */
	for (int k = 0; k < 5; k++) {
		int w = -1;
		for (int t = 0; t + 1 < T; t++)
			if (d[t] < 0 && (w < 0 || d[t] < d[w]))
				w = t;
		if (w < 0)
			break;
		char *tok = draw_token_readable(c->ctx.text + off[w + 1], off[w + 2] - off[w + 1]);
		int cols = draw_width(tok, strlen(tok));
		buf_printf(&b, "  token %3d %s%*s %+.3f\n", w + 1, tok, cols < 6 ? 6 - cols : 0, "", d[w]);
		free(tok);
		d[w] = 0;
	}
	free(off);
	free(d);
	free(fp->ablation);
	fp->ablation = b.p;
}

static int feat_key(view *v, int act, int key)
{
	feat_priv *fp = v->priv;
	(void)key;
	switch (act) {
	case ACT_TOKENS:
		fp->tokens = !fp->tokens;
		return VR_HANDLED | VR_REDRAW;
	case ACT_CTX_LINES: {
		int64_t cur_ex = -1;
		if (v->cur < fp->nlines && fp->lines[v->cur].kind == FL_CTX)
			cur_ex = fp->lines[v->cur].a;
		fp->ctx_lines = fp->ctx_lines == 1 ? 3 : 1;
		feat_layout(v);
		for (int i = 0; cur_ex >= 0 && i < fp->nlines; i++)
			if (fp->lines[i].kind == FL_CTX && fp->lines[i].a == cur_ex) {
				v->cur = i;
				break;
			}
		view_clamp(v);
		return VR_HANDLED | VR_REDRAW;
	}
	case ACT_LEFT:
	case ACT_RIGHT:
		/* Move every context window, to read further before or after
		 * the strongest token. */
		fp->shift += act == ACT_RIGHT ? 8 : -8;
		return VR_HANDLED | VR_REDRAW;
	case ACT_ABLATION:
		feat_ablation(fp);
		feat_layout(v);
		return VR_HANDLED | VR_REDRAW;
	case ACT_ENTER:
		/* On a context: that context and the features firing on it;
		 * elsewhere nothing (the selected feature is this page's). */
		if (v->cur < fp->nlines && fp->lines[v->cur].kind == FL_CTX) {
			feat_ctx *c = feat_ctx_get(fp, fp->lines[v->cur].a);
			view_open_context(c->ex->ctx);
			return VR_HANDLED | VR_REDRAW;
		}
		if (v->cur < fp->nlines && fp->lines[v->cur].kind == FL_COFIRE && fp->co[fp->lines[v->cur].a].fid > 0) {
			view_open_feature(fp->co[fp->lines[v->cur].a].fid);
			return VR_HANDLED | VR_REDRAW;
		}
		return VR_HANDLED;
	default:
		return 0;
	}
}

static int64_t feat_selected(view *v)
{
	feat_priv *fp = v->priv;
	return fp->have_f ? fp->fid : 0;
}

static void feat_free(view *v)
{
	feat_priv *fp = v->priv;
	feat_clear_lines(fp);
	free(fp->lines);
	free(fp->ablation);
	for (int i = 0; i < fp->nex; i++) {
		if (fp->ctx[i].loaded && fp->ctx[i].ctx.text)
			index_context_free(&fp->ctx[i].ctx);
		free(fp->ctx[i].cells);
	}
	free(fp->ctx);
	if (fp->nex > 0)
		index_examples_free(fp->ex, fp->nex);
	free(fp->iv);
	if (fp->npos > 0)
		index_logits_free(fp->pos, fp->npos);
	if (fp->nneg > 0)
		index_logits_free(fp->neg, fp->nneg);
	if (fp->have_f)
		index_feature_free(&fp->f);
	free(fp->desc);
	free(fp->matches);
	view_feature_cofire_free(fp->co, fp->nco);
	view_feature_cofire_cancel(&fp->co_job);
	free(fp);
}

/* The co-firing section costs a query per candidate (tens of ms on a
 * busy feature), and the matches line the first time reads whole
 * decoders: they are read at the first idle moments, one per tick, so
 * the page opens at once; until then the view is busy (a headless run
 * waits for it). */
static int feat_busy(view *v)
{
	feat_priv *fp = v->priv;
	return !fp->co_done || !fp->matches_done;
}

static int feat_tick(view *v)
{
	feat_priv *fp = v->priv;
	if (!fp->matches_done) {
		fp->matches = view_compare_matches(fp->fid, fp->f.sae, fp->f.idx);
		fp->matches_done = 1;
		feat_layout(v);
		return VR_REDRAW;
	}
	if (fp->co_done)
		return 0;
	/* a step of a few ms: a key pressed meanwhile waits no longer */
	int n = view_feature_cofire_step(fp->fid, &fp->co_job, &fp->co);
	if (n == 0)
		return VR_REDRAW;
	fp->nco = n;
	fp->co_done = 1;
	feat_layout(v);
	return VR_REDRAW;
}

static const view_ops feat_ops = {
	.kind = VIEW_FEATURE,
	.busy = feat_busy,
	.stepped = 1,
	.tick = feat_tick,
	.draw = feat_draw,
	.key = feat_key,
	.row_text = feat_row_text,
	.selected = feat_selected,
	.free = feat_free,
};

void view_open_feature(int64_t fid)
{
	feat_priv *fp = xcalloc(1, sizeof *fp);
	fp->fid = fid;
	fp->ctx_lines = 1;
	fp->have_f = index_feature(tui.ix, fid, &fp->f) == 0;
	if (fp->have_f) {
		fp->desc = index_feature_description(tui.ix, fid);
		fp->nex = index_examples(tui.ix, fid, &fp->ex);
		if (fp->nex < 0)
			fp->nex = 0;
		fp->ctx = xcalloc((size_t)fp->nex + 1, sizeof *fp->ctx);
		for (int i = 0; i < fp->nex; i++)
			fp->ctx[i].ex = &fp->ex[i];
		fp->niv = index_intervals(tui.ix, fid, &fp->iv);
		if (fp->niv < 0)
			fp->niv = 0;
		fp->npos = index_logits(tui.ix, fid, 1, &fp->pos);
		fp->nneg = index_logits(tui.ix, fid, -1, &fp->neg);
	}
	fp->co_done = !fp->have_f;
	fp->matches_done = !fp->have_f;
	if (fp->have_f && view_compare_matches_ready(fp->f.sae)) {
		fp->matches = view_compare_matches(fp->fid, fp->f.sae, fp->f.idx);
		fp->matches_done = 1;
	}
	char name[64] = "?";
	index_feature_name(tui.ix, fid, name, sizeof name);
	view *v = view_new(&feat_ops, fp);
	snprintf(v->title, sizeof v->title, "feature %s", name);
	feat_layout(v);
	view_push(v);
}

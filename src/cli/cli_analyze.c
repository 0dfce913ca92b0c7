/*
 * cli_analyze.c: featscope analyze: the attached model run over a text of
 * any length (standard input read in pieces, run in the model's windows as
 * they complete, in memory bounded by the context), the features that
 * fire on each token and the features by total over the text, in text or
 * JSON. Options, opening the model and --feature steering are shared with
 * steer (cli_live.h). With --spans, a corpus instead (files or standard
 * input, each file or with --lines each line a document): JSON Lines of
 * the spans where the features named fire above a threshold, for
 * monitoring (live/spans.h finds them); over long input, progress on
 * stderr when it is a terminal (bytes read of the files' sizes, the
 * rate, the time left, tokens and spans so far).
 */
#include "cli/cli_live.h"
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/format.h"
#include "core/progress.h"
#include "core/util.h"
#include "index/index.h"
#include "live/analyze.h"
#include "live/session.h"
#include "live/spans.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* What the index says about one dictionary feature, looked up once. */
typedef struct {
	int64_t fid;       /* global id, -1 when the index lacks it */
	char name[64];     /* "N" or "SAE/N" */
	char *label;       /* label, "" when none */
	double density;    /* fraction of tokens; <0 unknown */
	int position;      /* a position feature (index_label_is_position) */
} feat_info;

typedef struct {
	live_session *ls;  /* session */
	feat_info **by_idx; /* [n_feat], filled on demand */
} feat_cache;

static feat_info *feat_get(feat_cache *fc, int idx)
{
	if (!fc->by_idx[idx]) {
		feat_info *fi = xcalloc(1, sizeof *fi);
		fi->fid = index_feature_id(fc->ls->ix, fc->ls->dict->id, idx);
		fi->density = -1;
		fs_feature f;
		if (fi->fid >= 0 && index_feature(fc->ls->ix, fi->fid, &f) == 0) {
			fi->label = xstrdup(f.label ? f.label : "");
			fi->density = f.density;
			fi->position = index_label_is_position(f.label, f.label_source);
			index_feature_free(&f);
			index_feature_name(fc->ls->ix, fi->fid, fi->name, sizeof fi->name);
		} else {
			fi->label = xstrdup("");
			snprintf(fi->name, sizeof fi->name, "%d", idx);
		}
		fc->by_idx[idx] = fi;
	}
	return fc->by_idx[idx];
}

static void feat_cache_free(feat_cache *fc, int n)
{
	for (int i = 0; i < n; i++)
		if (fc->by_idx[i]) {
			free(fc->by_idx[i]->label);
			free(fc->by_idx[i]);
		}
	free(fc->by_idx);
}

/* Over-the-text total of one feature. */
typedef struct {
	int idx;           /* dictionary index */
	double total;      /* summed activation */
	float max;         /* largest */
	int tokens;        /* tokens it fires on */
	int max_pos;       /* token of the largest */
} feat_total;

static int total_cmp(const void *a, const void *b)
{
	const feat_total *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->idx - y->idx;
}

/* A label in at most about `width` columns, escaped: cut where
 * format_label_cut says (never inside a character or a quoted item),
 * "…" marking the cut. */
static const char *short_label(const char *s, int width)
{
	static char out[4][1024];
	static int ring;
	size_t n = strlen(s), cut = format_label_cut(s, n, (size_t)width);
	if (cut == n)
		return escape_strn(s, n);
	char *o = out[ring++ % 4];
	snprintf(o, sizeof out[0], "%s…", escape_strn(s, cut));
	return o;
}

/* analyze's options (cli_live.h: their rows, read by their LO_ ids). */
#define ANALYZE_OPTS(X) X(LO_SAE) X(LO_TOP) X(LO_LIMIT) X(LO_MAXDENSITY) X(LO_POSITIONS) X(LO_FEATURE) X(LO_MODE) X(LO_JSON) \
	X(LO_SPANS) X(LO_ABOVE) X(LO_LINES)
CLI_PICK(analyze_opts, ANALYZE_OPTS);

/* A text is read in pieces of this size (standard input, or an argument
 * at once) and cut where live_text_cut allows. */
#define AN_PIECE 65536

/* analyze's state while the text streams through the model: memory
 * bounded by the context and a piece of text, whatever the text's
 * length; the per-token part of the output goes to a temporary file,
 * written after the header (which needs the totals) at the end. */
typedef struct {
	const live_opts *o;  /* options */
	live_session *ls;    /* session */
	feat_cache *fc;      /* feature names and labels */
	feat_total *tot;     /* [n_feat] totals */
	const live_steer_term *terms; /* steering */
	live_analysis an;    /* the engine's analysis (live/analyze.h) */
	FILE *tmp;           /* the per-token lines, or JSON objects */
	fs_buf text;         /* text from byte text_base on */
	int64_t text_base;   /* offset of text.p[0] in the whole text */
	int64_t nloss;       /* losses summed */
	double sum0, sum1;   /* their sums, clean and steered */
	int64_t written;     /* token lines written */
} an_state;

/* Write the line (or JSON object) of a token with its features and, when
 * it has them, its next-token losses. */
static int an_write(an_state *a, const live_token *tk)
{
	const live_opts *o = a->o;
	int64_t t = tk->pos;
	const char *tx = a->text.p + (tk->start - a->text_base);
	size_t tl = (size_t)(tk->end - tk->start);
	const int *idx = tk->idx;
	const float *val = tk->val;
	int kenc = a->an.k;
	if (o->json) {
		json_t *je = json_object();
		json_object_set_new(je, "pos", json_integer(t));
		json_object_set_new(je, "text", jw_strn(tx, tl));
		json_object_set_new(je, "offset", json_integer(tk->start));
		if (tk->has_loss) {
			json_object_set_new(je, "loss", jw_num(tk->loss));
			if (o->nfeat)
				json_object_set_new(je, "loss_steered", jw_num(tk->loss_steered));
		}
		json_t *jf = json_array();
		int shown = 0;
		for (int q = 0; q < kenc && shown < o->top; q++) {
			int f = idx[q];
			if (f < 0)
				continue;
			feat_info *fi = feat_get(a->fc, f);
			json_t *x = json_object();
			json_object_set_new(x, "feature", jw_str(fi->name));
			json_object_set_new(x, "index", json_integer(f));
			json_object_set_new(x, "value", jw_num(val[q]));
			json_object_set_new(x, "label", jw_strn(fi->label, strlen(fi->label)));
			json_array_append_new(jf, x);
			shown++;
		}
		json_object_set_new(je, "features", jf);
		/* as an element of the top object's "tokens": two levels in */
		char *js = jw_dumps(je, JW_PRETTY, 0);
		json_decref(je);
		if (!js)
			return -1;
		fputs(a->written ? ",\n    " : "\n    ", a->tmp);
		for (const char *c = js; *c; c++) {
			fputc(*c, a->tmp);
			if (*c == '\n')
				fputs("    ", a->tmp);
		}
		free(js);
	} else {
		fprintf(a->tmp, "%4lld  %-6s ", (long long)t, escape_strn(tx, tl));
		int shown = 0;
		for (int q = 0; q < kenc && shown < o->top; q++) {
			int f = idx[q];
			if (f < 0)
				continue;
			feat_info *fi = feat_get(a->fc, f);
			fprintf(a->tmp, "%s %s=%.2f %s", shown ? " |" : "", escape_str(fi->name), val[q],
				short_label(fi->label, 24));
			shown++;
		}
		fputc('\n', a->tmp);
	}
	a->written++;
	return 0;
}

/* A token the engine hands over (live/analyze.h), in order: its features
 * (the density filter, the totals) and losses summed, its line written. */
static int an_token(void *ud, live_token *tk)
{
	an_state *a = ud;
	int kenc = a->an.k;
	int *idx = tk->idx;
	const float *val = tk->val;
	if (tk->has_loss) {
		a->sum0 += tk->loss;
		if (a->o->nfeat)
			a->sum1 += tk->loss_steered;
		a->nloss++;
	}
	for (int j = 0; j < kenc; j++) {
		int f = idx[j];
		if (f < 0)
			continue;
		feat_info *fi = feat_get(a->fc, f);
		/* hidden: dense features past --max-density, and
		 * position features (firing on the first tokens of
		 * any text) unless --positions, as BOS is hidden */
		if (fi->density > a->o->max_density || (fi->position && !a->o->positions)) {
			idx[j] = -2;
			continue;
		}
		float v = val[j];
		a->tot[f].total += v;
		a->tot[f].tokens++;
		if (v > a->tot[f].max) {
			a->tot[f].max = v;
			a->tot[f].max_pos = (int)tk->pos;
		}
	}
	if (an_write(a, tk) != 0)
		return -1;
	return ferror(a->tmp) ? -1 : 0;
}

/* Drop the text that neither a token still to be written nor the last
 * `pend` bytes (not tokenized yet) need. */
static void an_trim(an_state *a, size_t pend)
{
	int64_t keep = a->text_base + (int64_t)(a->text.len - pend);
	int64_t held = live_analysis_held(&a->an);
	if (held >= 0 && held < keep)
		keep = held;
	size_t drop = (size_t)(keep - a->text_base);
	if (drop == 0)
		return;
	memmove(a->text.p, a->text.p + drop, a->text.len - drop);
	a->text.len -= drop;
	a->text_base = keep;
}

/* ------------------------------------------------------------------ spans */

/* Bytes of a span's text kept for its line; the offsets are exact. */
#define SP_TEXT_MAX 512

/* One watched feature: its dictionary index, name and label, and the
 * text of its open span. */
typedef struct {
	int idx;           /* in the dictionary */
	feat_info *fi;     /* name, label */
	fs_buf text;       /* the open span's first bytes */
	int cut;           /* more than SP_TEXT_MAX bytes */
	int64_t b0, b1;    /* its bytes in the document */
} sp_feat;

/* --spans' state: one document streams through the windows at a time;
 * memory is bounded by the context, a piece of text and the spans' kept
 * text. */
typedef struct {
	const live_opts *o;
	live_session *ls;
	sp_feat *w;          /* [nw] watched */
	int nw;
	int *widx;           /* [nw] their indices */
	float *acts;         /* [ctx][nw] */
	live_spans sp;       /* the open spans */
	const char *source;  /* file name, "-" for standard input */
	int64_t line;        /* 1-based line with --lines, else 0 */
	fs_buf text;         /* the document's bytes from text_base on */
	int64_t text_base;
	int64_t *toff;       /* byte offsets of tokens from tok_base on, and the end of the last */
	int ntoff, captoff;
	int64_t tok_base;
	int64_t T;           /* tokens of the document pushed */
	int64_t found;       /* spans written */
	int werr;            /* writing stdout failed */
	fs_progress *pg;     /* stderr's bar, NULL when stderr is not a terminal */
	int64_t nread;       /* bytes read of every input */
	int64_t nbytes;      /* the inputs' sizes (0: unknown, a pipe) */
	int64_t ntok;        /* tokens of every input */
	int out_tty;         /* stdout is a terminal too: end the bar's line before a span */
} sp_state;

static int sp_emit(void *ud, const live_span *s)
{
	sp_state *a = ud;
	sp_feat *w = &a->w[s->slot];
	json_t *j = json_object();
	json_object_set_new(j, "source", jw_str(a->source));
	if (a->o->lines)
		json_object_set_new(j, "line", json_integer(a->line));
	json_object_set_new(j, "feature", jw_str(w->fi->name));
	json_object_set_new(j, "label", jw_strn(w->fi->label, strlen(w->fi->label)));
	json_object_set_new(j, "start", json_integer(w->b0));
	json_object_set_new(j, "end", json_integer(w->b1));
	json_object_set_new(j, "token_start", json_integer(s->tok0));
	json_object_set_new(j, "token_end", json_integer(s->tok1));
	json_object_set_new(j, "max", jw_num(s->max));
	json_object_set_new(j, "max_token", json_integer(s->max_tok));
	json_object_set_new(j, "mean", jw_num(s->sum / (double)(s->tok1 - s->tok0)));
	json_object_set_new(j, "text", jw_strn(w->text.p ? w->text.p : "", w->text.len));
	json_object_set_new(j, "text_cut", json_boolean(w->cut));
	char *js = jw_dumps(j, JW_COMPACT, 6);
	json_decref(j);
	if (a->out_tty)
		progress_break(a->pg);
	if (!js || fputs(js, stdout) == EOF || fputc('\n', stdout) == EOF)
		a->werr = 1;
	free(js);
	a->found++;
	w->text.len = 0;
	w->cut = 0;
	return a->werr;
}

/* Byte offset in the document of token t (t in [tok_base, tok_base + ntoff)). */
static int64_t sp_off(const sp_state *a, int64_t t)
{
	return a->toff[t - a->tok_base];
}

static int sp_window(void *ud, const live_window *w)
{
	sp_state *a = ud;
	int nw = a->nw;
	live_sae_acts_of(a->ls->sae, w->rows, w->nrows, a->widx, nw, a->acts);
	for (int i = 0; i < w->nrows; i++) {
		int64_t t = w->row0 + i;
		const float *ac = a->acts + (size_t)i * nw;
		/* the spans this token ends are written before it joins any */
		int rc = live_spans_push(&a->sp, ac, 1, t, sp_emit, a);
		if (rc)
			return rc;
		int64_t b0 = sp_off(a, t), b1 = sp_off(a, t + 1);
		for (int k = 0; k < nw; k++) {
			if (!(ac[k] > (float)a->o->above))
				continue;
			sp_feat *f = &a->w[k];
			if (f->text.len == 0 && !f->cut)
				f->b0 = b0;
			f->b1 = b1;
			if (f->cut)
				continue;
			size_t room = SP_TEXT_MAX - f->text.len, n = (size_t)(b1 - b0);
			if (n <= room) {
				buf_add(&f->text, a->text.p + (b0 - a->text_base), n);
				continue;
			}
			/* full: what is kept ends with a whole character (a
			 * byte-level model's tokens may split one) */
			f->cut = 1;
			buf_add(&f->text, a->text.p + (b0 - a->text_base), room);
			size_t L = f->text.len, c = L;
			while (c > 0 && L - c < 4 && ((unsigned char)f->text.p[c - 1] & 0xc0) == 0x80)
				c--;
			if (c > 0 && ((unsigned char)f->text.p[c - 1] & 0x80) &&
			    utf8_len((const unsigned char *)f->text.p + c - 1, L - c + 1) != (int)(L - c + 1))
				f->text.len = c - 1;
		}
	}
	return 0;
}

/* Tokenize text[0..n) of the document (from byte at) and run the windows
 * it completes. */
static int sp_push(sp_state *a, live_windows *lw, const char *text, size_t n, int64_t at)
{
	int *ids;
	uint32_t *off;
	int nt = live_tokenize(a->ls->model, text, n, &ids, &off);
	/* the offsets of tokens the windows have handed back leave first */
	int64_t keep = a->sp.next;
	if (keep > a->tok_base) {
		int drop = (int)(keep - a->tok_base);
		memmove(a->toff, a->toff + drop, (size_t)(a->ntoff - drop) * sizeof *a->toff);
		a->ntoff -= drop;
		a->tok_base = keep;
	}
	if (a->ntoff + nt + 1 > a->captoff) {
		a->captoff = 2 * (a->ntoff + nt + 1);
		a->toff = xrealloc(a->toff, (size_t)a->captoff * sizeof *a->toff);
	}
	if (a->ntoff > 0)
		a->ntoff--; /* the end of the last piece is the start of this one */
	for (int i = 0; i <= nt; i++)
		a->toff[a->ntoff++] = at + off[i];
	a->T += nt;
	int rc = live_windows_push(lw, ids, nt, sp_window, a);
	free(ids);
	free(off);
	return rc;
}

/* Drop the document's bytes before the first token the windows still
 * need (and before the last pend bytes, not tokenized yet). */
static void sp_trim(sp_state *a, size_t pend)
{
	int64_t keep = a->text_base + (int64_t)(a->text.len - pend);
	if (a->ntoff > 0 && a->toff[0] < keep)
		keep = a->toff[0];
	size_t drop = (size_t)(keep - a->text_base);
	if (drop == 0)
		return;
	memmove(a->text.p, a->text.p + drop, a->text.len - drop);
	a->text.len -= drop;
	a->text_base = keep;
}

/* Feed bytes of the current document; eod: they end it. */
static int sp_feed(sp_state *a, live_windows *lw, const char *b, size_t n, int eod, size_t *pend)
{
	buf_add(&a->text, b, n);
	*pend += n;
	int rc = 0;
	if (*pend > 0) {
		const char *un = a->text.p + (a->text.len - *pend);
		size_t cut = eod ? *pend : live_text_cut(un, *pend);
		if (cut > 0) {
			int64_t at = a->text_base + (int64_t)(a->text.len - *pend);
			rc = sp_push(a, lw, un, cut, at);
			*pend -= cut;
			sp_trim(a, *pend);
		}
	}
	if (rc == 0 && eod) {
		if (a->T > 0)
			rc = live_windows_end(lw, sp_window, a);
		if (rc == 0)
			rc = live_spans_end(&a->sp, sp_emit, a);
		live_windows_reset(lw);
		a->text.len = 0;
		a->text_base = 0;
		a->ntoff = 0;
		a->tok_base = 0;
		a->ntok += a->T;
		a->T = 0;
		for (int k = 0; k < a->nw; k++) {
			a->w[k].text.len = 0;
			a->w[k].cut = 0;
		}
	}
	return rc;
}

/* One input (a file, or standard input when f is stdin): its documents. */
static int sp_input(sp_state *a, live_windows *lw, FILE *f)
{
	char buf[AN_PIECE];
	size_t pend = 0;
	int rc = 0;
	a->line = 1;
	for (;;) {
		size_t n = fread(buf, 1, sizeof buf, f);
		size_t i = 0;
		a->nread += (int64_t)n;
		if (a->pg) {
			progress_detail(a->pg, "%lld tokens, %lld spans", (long long)(a->ntok + a->T), (long long)a->found);
			progress_update(a->pg, a->nread, a->nbytes);
		}
		while (rc == 0 && a->o->lines && i < n) {
			char *nl = memchr(buf + i, '\n', n - i);
			if (!nl)
				break;
			size_t m = (size_t)(nl - (buf + i));
			rc = sp_feed(a, lw, buf + i, m, 1, &pend);
			i += m + 1;
			a->line++;
		}
		if (rc == 0 && i < n)
			rc = sp_feed(a, lw, buf + i, n - i, 0, &pend);
		if (rc != 0 || n < sizeof buf)
			break;
	}
	if (rc == 0 && (!a->o->lines || a->text.len > 0 || a->T > 0))
		rc = sp_feed(a, lw, "", 0, 1, &pend);
	return rc;
}

/* analyze --spans: the arguments after INDEX are files. */
static int spans_run(live_opts *o, live_session *ls)
{
	int rc = FS_EXIT_USAGE;
	if (o->nfeat) {
		fs_warn("analyze: --spans and --feature: spans are found without steering");
		return rc;
	}
	live_sae *s = ls->sae;
	sp_state a = {0};
	feat_cache fc = {ls, xcalloc((size_t)s->n_feat, sizeof *fc.by_idx)};
	a.o = o;
	a.ls = ls;
	a.nw = o->nspans;
	a.w = xcalloc((size_t)a.nw, sizeof *a.w);
	a.widx = xcalloc((size_t)a.nw, sizeof *a.widx);
	live_windows lw = {0};
	int lw_ok = 0;
	for (int k = 0; k < a.nw; k++) {
		if (cli_live_resolve(ls, o->spans[k], &a.widx[k]) != 0)
			goto out;
		a.w[k].idx = a.widx[k];
		a.w[k].fi = feat_get(&fc, a.widx[k]);
	}
	if (live_windows_init(&lw, ls->model, s->hook, NULL, 0, 0) != 0) {
		fs_warn("analyze: %s: the model cannot run the dictionary's hook point", ls->model_file);
		goto out;
	}
	lw_ok = 1;
	a.acts = xmalloc((size_t)ls->model->ctx * a.nw * sizeof *a.acts);
	live_spans_init(&a.sp, a.nw, (float)o->above);
	int n = o->nargs > 1 ? o->nargs - 1 : 1;
	/* progress over the bytes of the inputs (their total when every one
	 * is a regular file) */
	a.pg = cli_progress_if(fs_stderr_tty());
	a.out_tty = isatty(STDOUT_FILENO);
	for (int i = 0; i < n && a.pg; i++) {
		struct stat st;
		const char *path = o->nargs > 1 ? o->args[i + 1] : "-";
		if (strcmp(path, "-") ? stat(path, &st) != 0 : fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) {
			a.nbytes = 0;
			break;
		}
		a.nbytes += (int64_t)st.st_size;
	}
	progress_start(a.pg, "bytes", "analyze --spans");
	rc = FS_EXIT_OK;
	for (int i = 0; i < n && rc == FS_EXIT_OK; i++) {
		const char *path = o->nargs > 1 ? o->args[i + 1] : "-";
		int std = strcmp(path, "-") == 0;
		FILE *f = std ? stdin : fopen(path, "rb");
		if (!f) {
			progress_break(a.pg);
			fs_warn("analyze: %s: %s", escape_str(path), strerror(errno));
			rc = FS_EXIT_USAGE;
			break;
		}
		a.source = path;
		int r = sp_input(&a, &lw, f);
		if (ferror(f)) {
			progress_break(a.pg);
			fs_warn("analyze: %s: read error", escape_str(path));
			rc = FS_EXIT_ERR;
		} else if (a.werr) {
			progress_break(a.pg);
			fs_warn("analyze: writing the spans failed");
			rc = FS_EXIT_ERR;
		} else if (r != 0) {
			progress_break(a.pg);
			fs_warn("analyze: %s: the model failed on the text", escape_str(path));
			rc = FS_EXIT_ERR;
		}
		if (!std)
			fclose(f);
	}
	if (rc == FS_EXIT_OK && fflush(stdout) != 0) {
		progress_break(a.pg);
		fs_warn("analyze: writing the spans failed");
		rc = FS_EXIT_ERR;
	}
	if (a.pg) {
		progress_detail(a.pg, "%lld tokens, %lld spans", (long long)a.ntok, (long long)a.found);
		progress_end(a.pg, a.nread);
	}
	live_spans_free(&a.sp);
out:
	if (lw_ok)
		live_windows_free(&lw);
	for (int k = 0; k < a.nw; k++)
		buf_free(&a.w[k].text);
	feat_cache_free(&fc, s->n_feat);
	free(a.w);
	free(a.widx);
	free(a.acts);
	free(a.toff);
	buf_free(&a.text);
	return rc;
}

static int analyze_run(const cmd_entry *e, int argc, char **argv)
{
	live_opts o = {0};
	o.top = 5;
	o.limit = 20;
	o.max_density = 2;
	o.features = xcalloc((size_t)argc + 1, sizeof *o.features);
	o.spans = xcalloc((size_t)argc + 1, sizeof *o.spans);
	o.args = xcalloc((size_t)argc + 1, sizeof *o.args);
	int rc = FS_EXIT_USAGE;
	live_session ls = {0};
	fs_index *ix = NULL;
	live_steer_term *terms = NULL;
	int64_t *tfids = NULL;
	feat_cache fc = {&ls, NULL};
	an_state a = {0};
	const char *pos[2];
	int npos;
	if (cli_live_parse_opts(e, argc, argv, &o, pos, &npos, &rc) != 0)
		goto out;
	if (npos < 1 || (npos > 2 && !o.nspans)) {
		rc = cli_usage_error(e, "expected INDEX and at most one TEXT (files: with --spans)");
		goto out;
	}
	if (!o.nspans && (o.lines || o.above != 0)) {
		rc = cli_usage_error(e, "--lines and --above go with --spans");
		goto out;
	}
	if (o.nspans) {
		if ((ix = cli_live_open(pos[0], &o, &ls)))
			rc = spans_run(&o, &ls);
		goto out;
	}
	const char *targ = npos == 2 ? pos[1] : "-";
	int from_stdin = strcmp(targ, "-") == 0;
	if (!(ix = cli_live_open(pos[0], &o, &ls)))
		goto out;
	terms = xcalloc((size_t)o.nfeat + 1, sizeof *terms);
	tfids = xcalloc((size_t)o.nfeat + 1, sizeof *tfids);
	if (cli_live_parse_terms(&ls, &o, terms, tfids) != 0)
		goto out;
	live_sae *s = ls.sae;
	int C = ls.model->ctx;
	live_steer st = {s, o.mode, terms, o.nfeat, NULL, 0};
	live_hook sh = live_steer_as_hook(&st);
	if (live_analysis_init(&a.an, ls.model, s, o.nfeat ? &sh : NULL, s->act == LIVE_SAE_TOPK ? s->k : 64, 1,
			       NULL) != 0) {
		fs_warn("analyze: %s: the model cannot run the dictionary's hook point", ls.model_file);
		goto out;
	}
	a.o = &o;
	a.ls = &ls;
	a.fc = &fc;
	a.terms = terms;
	fc.by_idx = xcalloc((size_t)s->n_feat, sizeof *fc.by_idx);
	a.tot = xcalloc((size_t)s->n_feat, sizeof *a.tot);
	for (int f = 0; f < s->n_feat; f++)
		a.tot[f].idx = f;
	if (!(a.tmp = tmpfile())) {
		fs_warn("analyze: cannot make a temporary file: %s", strerror(errno));
		rc = FS_EXIT_ERR;
		goto out;
	}
	/* the text, a piece at a time */
	int utf8 = 1, eof = 0, wrc = 0;
	size_t argpos = 0, arglen = from_stdin ? 0 : strlen(targ);
	size_t pend = 0; /* bytes of a.text not yet tokenized (its tail) */
	while (!eof && wrc == 0) {
		size_t before = a.text.len;
		if (from_stdin) {
			char tmp[AN_PIECE];
			size_t n = fread(tmp, 1, sizeof tmp, stdin);
			buf_add(&a.text, tmp, n);
			eof = n < sizeof tmp;
		} else {
			size_t n = arglen - argpos < AN_PIECE ? arglen - argpos : AN_PIECE;
			buf_add(&a.text, targ + argpos, n);
			argpos += n;
			eof = argpos == arglen;
		}
		pend += a.text.len - before;
		if (pend == 0)
			continue;
		const char *un = a.text.p + (a.text.len - pend);
		size_t cut = eof ? pend : live_text_cut(un, pend);
		if (cut == 0)
			continue; /* no place to cut yet: read on */
		if (utf8 && !utf8_valid((const unsigned char *)un, cut))
			utf8 = 0;
		int64_t at = a.text_base + (int64_t)(a.text.len - pend);
		wrc = live_analysis_push(&a.an, un, cut, at, an_token, &a);
		pend -= cut;
		an_trim(&a, pend);
	}
	if (from_stdin && ferror(stdin)) {
		fs_warn("analyze: standard input: read error");
		rc = FS_EXIT_ERR;
		goto out;
	}
	if (wrc == 0)
		wrc = live_analysis_end(&a.an, an_token, &a);
	if (a.an.ntok < 1) {
		fs_warn("analyze: TEXT: empty");
		goto out;
	}
	if (wrc != 0 || fflush(a.tmp) != 0 || ferror(a.tmp)) {
		fs_warn("analyze: %s", ferror(a.tmp) ? "writing the temporary file failed (disk full?)"
						     : "the model failed on the text");
		rc = FS_EXIT_ERR;
		goto out;
	}
	if (!utf8)
		fs_warn("analyze: TEXT: not valid UTF-8: shown escaped, analysed as bytes");
	int64_t T = a.an.ntok;
	if (T > C)
		fs_warn("analyze: TEXT: %lld tokens, longer than the model's context of %d: analysed in windows of %d "
			"moved by %d (every token past the first %d sees at least %d before it)",
			(long long)T, C, C, C / 2, C, C / 2);
	feat_total *tot = a.tot;
	qsort(tot, (size_t)s->n_feat, sizeof *tot, total_cmp);
	int ntot = 0;
	while (ntot < s->n_feat && ntot < o.limit && tot[ntot].tokens > 0)
		ntot++;
	char pn[64];
	live_point_name(s->hook, pn, sizeof pn);
	double l0 = a.nloss > 0 ? a.sum0 / (double)a.nloss : 0, l1 = a.nloss > 0 ? a.sum1 / (double)a.nloss : 0;
	rewind(a.tmp);
	if (o.json) {
		json_t *j = json_object();
		const char *mb = strrchr(ls.model_file, '/');
		json_object_set_new(j, "model", jw_str(mb ? mb + 1 : ls.model_file));
		json_object_set_new(j, "sae", jw_str(ls.dict->name));
		json_object_set_new(j, "hook", jw_str(pn));
		json_object_set_new(j, "tokens_n", json_integer(T));
		json_object_set_new(j, "context", json_integer(C));
		json_object_set_new(j, "windowed", json_boolean(T > C));
		json_object_set_new(j, "valid_utf8", json_boolean(utf8));
		json_object_set_new(j, "loss", jw_num(l0));
		if (o.nfeat) {
			json_object_set_new(j, "loss_steered", jw_num(l1));
			json_t *ja = json_array();
			for (int i = 0; i < o.nfeat; i++) {
				json_t *je = json_object();
				json_object_set_new(je, "feature", jw_str(feat_get(&fc, terms[i].feature)->name));
				json_object_set_new(je, "value", jw_num(terms[i].value));
				json_array_append_new(ja, je);
			}
			json_object_set_new(j, "steering", ja);
			json_object_set_new(j, "mode", jw_str(o.mode == LIVE_CLAMP ? "clamp" : "add"));
		}
		/* the tokens come from the temporary file, into this place */
		json_object_set_new(j, "tokens", json_array());
		json_t *js = json_array();
		for (int i = 0; i < ntot; i++) {
			feat_info *fi = feat_get(&fc, tot[i].idx);
			json_t *x = json_object();
			json_object_set_new(x, "feature", jw_str(fi->name));
			json_object_set_new(x, "index", json_integer(tot[i].idx));
			json_object_set_new(x, "total", jw_num(tot[i].total));
			json_object_set_new(x, "max", jw_num(tot[i].max));
			json_object_set_new(x, "max_pos", json_integer(tot[i].max_pos));
			json_object_set_new(x, "tokens", json_integer(tot[i].tokens));
			json_object_set_new(x, "density", fi->density >= 0 ? jw_num(fi->density) : json_null());
			json_object_set_new(x, "label", jw_strn(fi->label, strlen(fi->label)));
			json_array_append_new(js, x);
		}
		json_object_set_new(j, "features", js);
		char *doc = jw_dumps(j, JW_PRETTY, 0);
		json_decref(j);
		static const char mark[] = "\n  \"tokens\": [";
		char *at = doc ? strstr(doc, mark) : NULL;
		if (!at || at[sizeof mark - 1] != ']') {
			free(doc);
			fs_warn("writing JSON: out of memory");
			rc = FS_EXIT_ERR;
			goto out;
		}
		at += sizeof mark - 1;
		fwrite(doc, 1, (size_t)(at - doc), stdout);
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, a.tmp)) > 0)
			fwrite(buf, 1, n, stdout);
		fputs("\n  ", stdout);
		fputs(at, stdout);
		fputc('\n', stdout);
		free(doc);
	} else {
		printf("%lld tokens, dictionary %s (%s), loss %.3f nats/token", (long long)T,
		       escape_str(ls.dict->name), pn, l0);
		if (o.nfeat)
			printf(", steered %.3f", l1);
		printf("\n\npos  token   features (strongest first)\n");
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, a.tmp)) > 0)
			fwrite(buf, 1, n, stdout);
		printf("\nfeatures by total activation over the text:\n"
		       "feature        total     max  tokens  density  label\n");
		for (int i = 0; i < ntot; i++) {
			feat_info *fi = feat_get(&fc, tot[i].idx);
			printf("%-10s %9.2f %7.2f %7d %8.5f  %s\n", escape_str(fi->name), tot[i].total,
			       tot[i].max, tot[i].tokens, fi->density, short_label(fi->label, 60));
		}
	}
	if (ferror(a.tmp)) {
		fs_warn("analyze: reading the temporary file failed");
		rc = FS_EXIT_ERR;
		goto out;
	}
	rc = FS_EXIT_OK;
out:
	if (fc.by_idx)
		feat_cache_free(&fc, ls.sae ? ls.sae->n_feat : 0);
	live_analysis_free(&a.an);
	if (a.tmp)
		fclose(a.tmp);
	free(a.tot);
	buf_free(&a.text);
	free(terms);
	free(tfids);
	free(o.features);
	free(o.spans);
	free(o.args);
	live_session_close(&ls);
	if (ix)
		index_close(ix);
	return rc;
}

const cmd_entry cmd_analyze_entry = {
	.name = "analyze",
	.args = "INDEX [TEXT | - | FILE...]",
	CLI_PICKED(analyze_opts),
	.run_argv = analyze_run,
	.summary = "run the attached model: the features firing on each token of a text",
	.min_args = 1,
	.max_args = -1,
};

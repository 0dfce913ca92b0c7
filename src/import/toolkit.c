/*
 * toolkit.c: what every importer shares (declared in import_int.h): the
 * feature index -> fid map, deferred neighbours, contexts from token
 * strings or ids, the per-feature example groups (top activations and
 * quantile intervals, each example centred on its key token), histogram
 * rebinning, typed JSON field readers, progress and error messages. It
 * knows no format: the readers call it, never the other way round.
 */
#include "import/import_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "core/input.h"
#include "core/number.h"
#include "core/util.h"

/* Largest feature index we accept (the fid map is an array). */
#define IMP_MAX_INDEX ((int64_t)1 << 28)

/* -------------------------------------------------------------- toolkit */

int imp_bad(imp_state *st, const char *file, long line, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		fs_seterr(st->err, st->errlen, "%s:%ld: %s: %s", file, line, field, msg);
	else
		fs_seterr(st->err, st->errlen, "%s: %s: %s", file, field, msg);
	return -1;
}

int imp_wfail(imp_state *st, const char *what)
{
	const char *m = index_writer_errmsg(st->w);
	fs_seterr(st->err, st->errlen, "index: %s: %s", what, m && *m ? m : "write failed");
	st->runtime = 1;
	return -1;
}

/* Dictionaries named so far in one index, with the input each came from,
 * so that a name taken twice is reported by file. */
static const fs_writer *named_w;   /* the index they belong to */
static char **named, **named_from; /* names and input paths */
static int n_named;                /* count */

static const char *named_by(const fs_writer *w, const char *name)
{
	if (w != named_w) {
		for (int i = 0; i < n_named; i++) {
			free(named[i]);
			free(named_from[i]);
		}
		n_named = 0;
		named_w = w;
	}
	for (int i = 0; i < n_named; i++)
		if (!strcmp(named[i], name))
			return named_from[i];
	return NULL;
}

int imp_add_sae(imp_state *st, fs_sae *s)
{
	const import_opts *o = st->o;
	if (o->sae_name)
		s->name = (char *)o->sae_name;
	if (o->model)
		s->model = (char *)o->model;
	if (o->hook)
		s->hook = (char *)o->hook;
	if (o->layer >= 0)
		s->layer = o->layer;
	if (!s->name || !*s->name)
		s->name = (char *)"sae";
	if (!s->model)
		s->model = (char *)"";
	if (!s->hook)
		s->hook = (char *)"";
	int id = index_writer_add_sae(st->w, s);
	if (id <= 0) {
		/* a name taken twice is bad input: name the other file (the
		 * list is only consulted once the index refused the name) */
		const char *prev = named_by(st->w, s->name);
		if (prev)
			return fs_seterr(st->err, st->errlen,
					 "%s: dictionary name '%s'%s is already the name of %s; give each input its own --sae NAME",
					 st->path ? st->path : "input", s->name, o->sae_name ? " (--sae)" : " (from the input)",
					 prev);
		return imp_wfail(st, "dictionary");
	}
	named_by(st->w, s->name); /* a new index starts a new list */
	named = xrealloc(named, (size_t)(n_named + 1) * sizeof *named);
	named_from = xrealloc(named_from, (size_t)(n_named + 1) * sizeof *named_from);
	named[n_named] = xstrdup(s->name);
	named_from[n_named++] = xstrdup(st->path ? st->path : "input");
	st->sae = id;
	st->sae_size = s->n_features;
	free(st->sae_name);
	st->sae_name = xstrdup(s->name);
	return 0;
}

void imp_feature_init(fs_feature *f)
{
	memset(f, 0, sizeof *f);
	f->label = (char *)"";
	f->label_source = (char *)"";
	f->density = -1;
	f->map_x = f->map_y = NAN;
}

int64_t imp_fid(const imp_state *st, int64_t idx)
{
	return idx >= 0 && idx < st->n_fid ? st->fid_of[idx] : 0;
}

int64_t imp_feature(imp_state *st, int64_t idx, fs_feature *f)
{
	if (idx < 0 || idx >= IMP_MAX_INDEX)
		return -1;
	int64_t have = imp_fid(st, idx);
	if (have)
		return have;
	if (idx >= st->n_fid) {
		int64_t n = st->n_fid ? st->n_fid : 1024;
		while (n <= idx)
			n *= 2;
		st->fid_of = xrealloc(st->fid_of, (size_t)n * sizeof *st->fid_of);
		st->top_next = xrealloc(st->top_next, (size_t)n * sizeof *st->top_next);
		st->grp_next = xrealloc(st->grp_next, (size_t)n * sizeof *st->grp_next);
		memset(st->fid_of + st->n_fid, 0, (size_t)(n - st->n_fid) * sizeof *st->fid_of);
		memset(st->top_next + st->n_fid, 0, (size_t)(n - st->n_fid) * sizeof *st->top_next);
		memset(st->grp_next + st->n_fid, 0, (size_t)(n - st->n_fid) * sizeof *st->grp_next);
		st->n_fid = n;
	}
	f->sae = st->sae;
	f->idx = idx;
	int64_t fid = index_writer_add_feature(st->w, f);
	if (fid <= 0)
		return imp_wfail(st, "feature");
	st->fid_of[idx] = fid;
	st->n_features++;
	if (idx > st->max_idx)
		st->max_idx = idx;
	return fid;
}

void imp_vector(imp_state *st, int64_t fid, const double *v, size_t n)
{
	if (n == 0 || st->vec_d < 0)
		return;
	if (st->vec_d == 0)
		st->vec_d = n > (size_t)1 << 20 ? -1 : (int)n;
	if ((size_t)st->vec_d != n) {
		st->vec_d = -1; /* rows of different widths: no geometry from them */
		return;
	}
	if (st->n_vec == st->cap_vec) {
		st->cap_vec = st->cap_vec ? st->cap_vec * 2 : 1024;
		st->vec_fid = xrealloc(st->vec_fid, (size_t)st->cap_vec * sizeof *st->vec_fid);
	}
	st->vec_fid[st->n_vec++] = fid;
	buf_reserve(&st->vec, n * sizeof(float));
	float *dst = (float *)(void *)(st->vec.p + st->vec.len);
	for (size_t i = 0; i < n; i++)
		dst[i] = isfinite(v[i]) ? (float)v[i] : 0.0f;
	st->vec.len += n * sizeof(float);
}

void imp_neighbour(imp_state *st, int64_t fid, int rank, int64_t other_idx, float cosine)
{
	if (st->n_nb == st->cap_nb) {
		st->cap_nb = st->cap_nb ? st->cap_nb * 2 : 1024;
		st->nb = xrealloc(st->nb, st->cap_nb * sizeof *st->nb);
	}
	st->nb[st->n_nb++] = (imp_nb){fid, other_idx, rank, cosine};
}

int64_t imp_context(imp_state *st, const char *const *toks, const size_t *lens, int ntok,
		    const char *source)
{
	tok_ctx_build(&st->ctx, toks, lens, ntok, st->o->tok_mode);
	return imp_context_text(st, &st->ctx, source);
}

int64_t imp_context_text(imp_state *st, const tok_ctx *c, const char *source)
{
	int64_t id = index_writer_add_context(st->w, c->text.p, c->text.len, c->off, c->ntok, source ? source : "");
	if (id <= 0)
		return imp_wfail(st, "context");
	return id;
}

int64_t imp_context_ids(imp_state *st, const int64_t *ids, int ntok, const char *source)
{
	imp_ids_ctx(st, ids, ntok, &st->ctx);
	return imp_context_text(st, &st->ctx, source);
}

void imp_ids_ctx(const imp_state *st, const int64_t *ids, int ntok, tok_ctx *c)
{
	/* the vocabulary's strings, in its own spelling unless overridden */
	int mode = st->o->tok_mode != TOK_AUTO ? st->o->tok_mode : st->vocab.n ? st->vocab.mode : TOK_PLAIN;
	const char **toks = xmalloc((size_t)(ntok ? ntok : 1) * sizeof *toks);
	size_t *lens = xmalloc((size_t)(ntok ? ntok : 1) * sizeof *lens);
	char (*num)[24] = NULL;
	int n_num = 0;
	for (int i = 0; i < ntok; i++) {
		size_t l;
		const char *t = st->vocab.n ? tok_vocab_get(&st->vocab, ids[i], &l) : NULL;
		if (!t) {
			if (!num)
				num = xmalloc((size_t)ntok * sizeof *num);
			snprintf(num[n_num], sizeof num[n_num], "<%lld>", (long long)ids[i]);
			t = num[n_num++];
			l = strlen(t);
		}
		toks[i] = t;
		lens[i] = l;
	}
	tok_ctx_build(c, toks, lens, ntok, mode == TOK_AUTO ? TOK_AUTO : mode);
	free(toks);
	free(lens);
	free(num);
}

char *imp_token_text(imp_state *st, int64_t id)
{
	size_t l;
	const char *t = st->vocab.n ? tok_vocab_get(&st->vocab, id, &l) : NULL;
	if (!t)
		return xasprintf("<%lld>", (long long)id);
	int mode = st->o->tok_mode != TOK_AUTO ? st->o->tok_mode : st->vocab.mode;
	fs_buf b = {0};
	tok_decode(t, l, mode, &b);
	buf_reserve(&b, 0);
	return b.p;
}

char *imp_token_str(imp_state *st, const char *tok)
{
	return tok_decode_str(tok, st->o->tok_mode);
}

/* ---------------------------------------------------- example groups */

int imp_example(imp_state *st, int64_t idx, double bin_min, double bin_max, double bin_frac,
		int64_t ctx, const float *acts, int ntok, int key)
{
	if (!imp_fid(st, idx))
		return fs_seterr(st->err, st->errlen, "example for feature %lld, which was not added",
				 (long long)idx);
	if (st->ex_idx >= 0 && st->ex_idx != idx && imp_flush_examples(st) != 0)
		return -1;
	st->ex_idx = idx;
	if (st->n_ex == st->cap_ex) {
		st->cap_ex = st->cap_ex ? st->cap_ex * 2 : 64;
		st->ex = xrealloc(st->ex, (size_t)st->cap_ex * sizeof *st->ex);
	}
	imp_ex *e = &st->ex[st->n_ex];
	e->bin_min = bin_min;
	e->bin_max = bin_max;
	e->bin_frac = bin_frac;
	e->ctx = ctx;
	e->ntok = ntok;
	e->acts = xmalloc((size_t)(ntok ? ntok : 1) * sizeof *e->acts);
	if (ntok)
		memcpy(e->acts, acts, (size_t)ntok * sizeof *acts);
	/* the key token: the one the input names, else the strongest */
	e->fires = 0;
	int best = 0;
	for (int i = 0; i < ntok; i++) {
		if (acts[i] > 0)
			e->fires = 1;
		if (acts[i] > acts[best])
			best = i;
	}
	e->key = key >= 0 && key < ntok ? key : best;
	e->max_act = ntok ? acts[e->key] : 0;
	e->order = st->n_ex++;
	return 0;
}

static int is_top(const imp_ex *e)
{
	return e->bin_min == -1;
}

static int ex_cmp(const void *a, const void *b)
{
	const imp_ex *x = a, *y = b;
	int tx = is_top(x), ty = is_top(y);
	if (tx != ty)
		return tx ? -1 : 1;
	if (!tx && x->bin_min != y->bin_min)
		return x->bin_min < y->bin_min ? -1 : 1;
	if (x->max_act != y->max_act)
		return x->max_act > y->max_act ? -1 : 1;
	return x->order - y->order;
}

/* Share of the feature's firing activations inside [lo, hi] by the
 * histogram the input gave with the feature (the current one), -1 when
 * there is none. */
static double hist_share(const imp_state *st, double lo, double hi, int last)
{
	if (st->hist_idx != st->ex_idx || st->n_hist == 0)
		return -1;
	double in = 0, all = 0;
	for (int i = 0; i < st->n_hist; i++) {
		double c = st->hist_c[i], h = st->hist_h[i];
		if (!(h > 0))
			continue;
		all += h;
		if (c >= lo && (c < hi || (last && c <= hi)))
			in += h;
	}
	return all > 0 ? in / all : -1;
}

int imp_flush_examples(imp_state *st)
{
	if (st->ex_idx < 0 || st->n_ex == 0) {
		st->ex_idx = -1;
		return 0;
	}
	int64_t idx = st->ex_idx, fid = imp_fid(st, idx);
	qsort(st->ex, (size_t)st->n_ex, sizeof *st->ex, ex_cmp);
	int rc = 0, grp = -1, rank = 0, start = 0;
	int first_grp = st->grp_next[idx] ? st->grp_next[idx] : 1;
	double cur = NAN;
	/* the highest interval, to close its upper bound */
	double top_min = -INFINITY;
	for (int i = 0; i < st->n_ex; i++)
		if (!is_top(&st->ex[i]) && st->ex[i].bin_min > top_min)
			top_min = st->ex[i].bin_min;
	for (int i = 0; i < st->n_ex && rc == 0; i++) {
		imp_ex *e = &st->ex[i];
		/* a sample whose values are all zero is not a firing sample:
		 * it is not shown (a dead feature shows no examples at all) */
		if (!e->fires)
			continue;
		/* the same window with the same key token twice in a group */
		int dup = 0;
		for (int k = start; k < i && !dup; k++)
			dup = st->ex[k].fires && st->ex[k].ctx == e->ctx && st->ex[k].key == e->key &&
			      is_top(&st->ex[k]) == is_top(e) && (is_top(e) || st->ex[k].bin_min == e->bin_min);
		if (dup)
			continue;
		if (is_top(e)) {
			if (grp != 0) {
				grp = 0;
				rank = st->top_next[idx];
				start = i;
			}
		} else if (grp <= 0 || e->bin_min != cur) {
			grp = grp < 1 ? first_grp : grp + 1;
			st->grp_next[idx] = grp + 1;
			rank = 0;
			start = i;
			cur = e->bin_min;
			/* the share of firing contexts: the input's figure;
			 * when it reads 0 for a bin that holds firing samples
			 * (a share rounded down), the feature's histogram
			 * gives it, else it is unknown */
			double frac = e->bin_frac > 0 && e->bin_frac <= 1 ? e->bin_frac
					: hist_share(st, e->bin_min, e->bin_max, e->bin_min == top_min);
			if (frac == 0)
				frac = -1;
			fs_interval iv = {grp, (float)e->bin_min, (float)e->bin_max, frac >= 0 ? (float)frac : -1.0f};
			if (index_writer_add_interval(st->w, fid, &iv) < 0)
				rc = imp_wfail(st, "interval");
		}
		if (rc == 0 && index_writer_add_example_at(st->w, fid, grp, rank++, e->ctx, e->acts, e->ntok, e->key) < 0)
			rc = imp_wfail(st, "example");
		if (grp == 0)
			st->top_next[idx] = rank;
		st->n_examples++;
	}
	for (int i = 0; i < st->n_ex; i++)
		free(st->ex[i].acts);
	st->n_ex = 0;
	st->ex_idx = -1;
	return rc;
}

int imp_hist_keep(imp_state *st, int64_t idx, const double *centres, const double *heights, int n)
{
	/* the previous feature's examples go out with its own histogram */
	if (st->ex_idx >= 0 && st->ex_idx != idx && imp_flush_examples(st) != 0)
		return -1;
	st->hist_c = xrealloc(st->hist_c, (size_t)(n ? n : 1) * sizeof *st->hist_c);
	st->hist_h = xrealloc(st->hist_h, (size_t)(n ? n : 1) * sizeof *st->hist_h);
	if (n) {
		memcpy(st->hist_c, centres, (size_t)n * sizeof *centres);
		memcpy(st->hist_h, heights, (size_t)n * sizeof *heights);
	}
	st->n_hist = n;
	st->hist_idx = idx;
	return 0;
}

void imp_hist(fs_feature *f, const double *centres, const double *heights, int n)
{
	memset(f->hist, 0, sizeof f->hist);
	if (n <= 0)
		return;
	double w = n > 1 ? (centres[n - 1] - centres[0]) / (n - 1) : 1.0;
	if (!(w > 0))
		w = 1.0;
	double lo = centres[0] - w / 2, hi = centres[n - 1] + w / 2;
	f->hist_lo = (float)lo;
	f->hist_hi = (float)hi;
	for (int i = 0; i < n; i++) {
		if (!(heights[i] > 0))
			continue;
		int b = (int)((centres[i] - lo) / (hi - lo) * FS_HIST_BINS);
		if (b < 0)
			b = 0;
		if (b >= FS_HIST_BINS)
			b = FS_HIST_BINS - 1;
		double h = heights[i];
		f->hist[b] += h > 4e9 ? 4000000000u : (uint32_t)llround(h);
	}
}

int imp_finish(imp_state *st)
{
	if (imp_flush_examples(st) != 0)
		return -1;
	for (size_t i = 0; i < st->n_nb; i++) {
		imp_nb *n = &st->nb[i];
		int64_t other = imp_fid(st, n->other);
		if (!other || other == n->fid)
			continue; /* a neighbour outside what was imported, or itself */
		if (index_writer_add_neighbour(st->w, n->fid, st->sae, n->rank, other, n->cosine) < 0)
			return imp_wfail(st, "neighbour");
	}
	/* a dictionary whose size the input did not say: its largest index + 1;
	 * the width of the decoder rows it gave */
	int d = st->vec_d > 0 ? st->vec_d : 0;
	if (st->sae && ((!st->sae_size && st->max_idx >= 0) || d) &&
	    index_writer_set_sae_size(st->w, st->sae, st->sae_size ? st->sae_size : st->max_idx + 1, d) < 0)
		return imp_wfail(st, "dictionary size");
	/* decoder rows from the input go to the geometry step, unless the
	 * input brought its own neighbours (those are kept) */
	import_decoders *dd = st->o->decoders;
	if (dd && d && st->n_vec > 1 && st->n_nb == 0) {
		if (dd->n == dd->cap) {
			dd->cap = dd->cap ? dd->cap * 2 : 4;
			dd->v = xrealloc(dd->v, (size_t)dd->cap * sizeof *dd->v);
		}
		import_decoder *x = &dd->v[dd->n++];
		x->sae = st->sae;
		x->name = xstrdup(st->sae_name ? st->sae_name : "");
		x->fids = st->vec_fid;
		x->W = (float *)(void *)st->vec.p;
		x->rows = st->n_vec;
		x->d = d;
		st->vec_fid = NULL; /* now owned by the collector */
		st->vec.p = NULL;
		st->vec.len = st->vec.cap = 0;
	}
	return 0;
}

void imp_progress(imp_state *st, const char *what, int64_t done, int64_t total)
{
	fs_progress *p = st->o->progress;
	if (!progress_on(p))
		return;
	progress_label(p, "featscope: %s", what);
	progress_detail(p, "%lld features, %lld examples", (long long)st->n_features, (long long)st->n_examples);
	progress_update(p, total > 0 ? done : 0, total);
}

/* -------------------------------------------------------- explanations */

int imp_explanation(imp_state *st, int64_t idx, int64_t fid, const char *text, const char *source,
		    const char *model, const char *type, double score, const char *scores)
{
	fs_explanation e = {(char *)text, (char *)source, (char *)(model ? model : ""), (char *)(type ? type : ""),
			    score, (char *)(scores ? scores : "")};
	if (index_writer_add_explanation(st->w, fid, &e) < 0)
		return imp_wfail(st, "explanation");
	/* the label is the best-scored explanation, else the first */
	if (idx >= st->n_best) {
		int64_t n = st->n_best ? st->n_best : 1024;
		while (n <= idx)
			n *= 2;
		st->best = xrealloc(st->best, (size_t)n * sizeof *st->best);
		for (int64_t i = st->n_best; i < n; i++)
			st->best[i] = NAN;
		st->n_best = n;
	}
	double have = st->best[idx], s = isnan(score) ? -INFINITY : score;
	if (!isnan(have) && !(s > have))
		return 0;
	st->best[idx] = s;
	if (index_writer_set_label(st->w, fid, text, source) < 0)
		return imp_wfail(st, "label");
	return 0;
}

/* -------------------------------------------------------- typed fields */

/* A JSON number, or a string holding one; 0, or -1 for anything else. */
static int as_num(json_t *v, double *d)
{
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		*d = strtod(s, &end);
		return end != s && *end == 0 && isfinite(*d) ? 0 : -1;
	}
	return -1;
}

int imp_field_num(imp_state *st, json_t *obj, const char *key, double *out, const char *file, long line)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	double d;
	if (as_num(v, &d) != 0)
		return imp_bad(st, file, line, key, "not a number");
	*out = d;
	return 1;
}

int imp_field_int(imp_state *st, json_t *obj, const char *key, int64_t *out, const char *file, long line)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	double d;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (as_num(v, &d) != 0 || d != floor(d) || fabs(d) > 9e15)
		return imp_bad(st, file, line, key, "not an integer");
	*out = (int64_t)d;
	return 1;
}

int imp_field_str(imp_state *st, json_t *obj, const char *key, const char **out, const char *file,
		  long line)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return imp_bad(st, file, line, key, "not a string");
	*out = json_string_value(v);
	return 1;
}

/* ---------------------------------------------------------------- JSON */

double imp_jnum(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		/* some exports write numbers as strings ("index": "12") */
		char *end;
		const char *s = json_string_value(v);
		double d = strtod(s, &end);
		if (end != s && *end == 0 && !isnan(d))
			return d; /* "inf" stays, for the range check; "nan" is not a number */
	}
	return NAN;
}

int imp_jnums(json_t *arr, double **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!json_is_array(arr))
		return -1;
	size_t k = json_array_size(arr);
	double *d = xmalloc((k ? k : 1) * sizeof *d);
	for (size_t i = 0; i < k; i++) {
		json_t *v = json_array_get(arr, i);
		if (json_is_number(v))
			d[i] = json_number_value(v);
		else if (json_is_null(v))
			d[i] = 0;
		else {
			free(d);
			return -1;
		}
	}
	*out = d;
	*n = k;
	return 0;
}

json_t *imp_load_json(imp_state *st, const char *path)
{
	json_error_t je;
	json_t *root;
	size_t pl = strlen(path);
	if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
		size_t len;
		char *text = input_slurp(path, &len, st->err, st->errlen);
		if (!text)
			return NULL;
		root = json_loadb(text, len, 0, &je);
		free(text);
	} else {
		/* a plain file is parsed from the file: no copy of its text */
		FILE *f = fopen(path, "rb");
		if (!f) {
			fs_seterr(st->err, st->errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		root = json_loadf(f, 0, &je);
		fclose(f);
	}
	if (!root)
		imp_bad(st, path, je.line, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
	return root;
}


void imp_state_free(imp_state *st)
{
	for (int i = 0; i < st->n_ex; i++)
		free(st->ex[i].acts);
	free(st->ex);
	free(st->fid_of);
	free(st->top_next);
	free(st->grp_next);
	free(st->sae_name);
	buf_free(&st->vec);
	free(st->vec_fid);
	free(st->nb);
	free(st->hist_c);
	free(st->hist_h);
	free(st->best);
	tok_ctx_free(&st->ctx);
	if (st->vocab.n)
		tok_vocab_free(&st->vocab);
}

/* ------------------------------------------------------------ folders */

static int path_is(const char *p, int want_dir)
{
	struct stat sb;
	return stat(p, &sb) == 0 && (want_dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode));
}

int imp_exists_in(const char *dir, const char *name, int want_dir)
{
	char *p = xasprintf("%s/%s", dir, name);
	int r = path_is(p, want_dir);
	free(p);
	return r;
}

int imp_dir_count(const char *dir, int (*match)(const char *name), int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (match(e->d_name)) {
			n++;
		} else if (depth > 0) {
			char *sub = xasprintf("%s/%s", dir, e->d_name);
			if (path_is(sub, 1))
				n += imp_dir_count(sub, match, depth - 1);
			free(sub);
		}
	}
	closedir(d);
	return n;
}

/*
 * import.c: format detection and dispatch for the importers, and the
 * toolkit they share: feature index -> fid map, deferred neighbours,
 * contexts from token strings or ids, the per-feature example groups
 * (top activations and quantile intervals), histogram rebinning, JSON
 * helpers, progress and error messages. See import.h.
 */
#include "import/import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/input.h"
#include "core/number.h"
#include "core/util.h"
#include "geom/geom.h"

/* Largest feature index we accept (the fid map is an array). */
#define IMP_MAX_INDEX ((int64_t)1 << 28)

static const char *const format_names[IMPORT_NFORMATS] = {
	"", "saelens", "neuronpedia", "saedashboard", "sae_vis", "delphi", "openai",
};

void import_opts_init(import_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tok_mode = TOK_AUTO;
	o->layer = -1;
	o->top_k = 20;
	o->ctx_before = 24;
	o->ctx_after = 8;
	o->n_intervals = 5;
	o->per_interval = 3;
}

int import_format_parse(const char *name)
{
	if (!name)
		return IMPORT_NONE;
	if (!strcmp(name, "saevis"))
		return IMPORT_SAEVIS;
	if (!strcmp(name, "sae-viewer") || !strcmp(name, "openai-sae"))
		return IMPORT_OPENAI;
	for (int i = 1; i < IMPORT_NFORMATS; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	return IMPORT_NONE;
}

const char *import_format_name(int format)
{
	return format > 0 && format < IMPORT_NFORMATS ? format_names[format] : "unknown";
}

const char *import_format_list(void)
{
	return "saelens, neuronpedia, saedashboard, sae_vis, delphi, openai";
}

/* ------------------------------------------------------------ detection */

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int exists_in(const char *dir, const char *name, int want_dir)
{
	char *p = xasprintf("%s/%s", dir, name);
	int r = want_dir ? is_dir(p) : is_file(p);
	free(p);
	return r;
}

/* "<digits>_<digits>.safetensors" */
static int is_delphi_name(const char *name)
{
	const char *p = name;
	if (!(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '_' || !(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ".safetensors") == 0;
}

/* "<digits>.json" */
static int is_openai_name(const char *name)
{
	const char *p = name;
	if (!(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ".json") == 0;
}

/* Scan a folder: counts of file shapes found directly inside it, and in
 * its subfolders one level down. */
typedef struct {
	int delphi;      /* N_M.safetensors */
	int openai;      /* N.json */
	int dashboard;   /* batch-N.json */
	int sub_delphi;  /* N_M.safetensors in a subfolder */
} dir_shape;

static void scan_dir(const char *path, dir_shape *s, int depth)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		const char *n = e->d_name;
		size_t l = strlen(n);
		if (is_delphi_name(n))
			depth ? s->sub_delphi++ : s->delphi++;
		else if (!depth && is_openai_name(n))
			s->openai++;
		else if (!depth && l > 11 && !strncmp(n, "batch-", 6) && !strcmp(n + l - 5, ".json"))
			s->dashboard++;
		else if (depth < 2) {
			char *sub = xasprintf("%s/%s", path, n);
			if (is_dir(sub))
				scan_dir(sub, s, depth + 1);
			free(sub);
		}
	}
	closedir(d);
}

/* First bytes of a (possibly gzip) file. */
static size_t peek(const char *path, char *buf, size_t n)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return 0;
	int got = gzread(gz, buf, (unsigned)(n - 1));
	gzclose(gz);
	if (got < 0)
		got = 0;
	buf[got] = 0;
	/* stop at an embedded NUL for the searches below */
	return strlen(buf);
}

static int detect_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (is_delphi_name(base))
		return IMPORT_DELPHI;
	static char head[1 << 16];
	if (!peek(path, head, sizeof head))
		return IMPORT_NONE;
	if (strstr(head, "\"feature_data_dict\""))
		return IMPORT_SAEVIS;
	if (strstr(head, "\"feature_index\"") && strstr(head, "\"features\""))
		return IMPORT_SAEDASHBOARD;
	if (strstr(head, "\"top\"") && (strstr(head, "\"mean_act\"") || strstr(head, "\"random\"")))
		return IMPORT_OPENAI;
	return IMPORT_NONE;
}

int import_detect(const char *path, char *err, size_t errlen)
{
	struct stat stt;
	if (stat(path, &stt) != 0)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno)), IMPORT_NONE;
	if (!S_ISDIR(stt.st_mode)) {
		int f = detect_file(path);
		if (f == IMPORT_NONE)
			fs_seterr(err, errlen, "%s: format: not recognised; name it with --from (%s)", path,
				  import_format_list());
		return f;
	}
	int found[IMPORT_NFORMATS] = {0};
	if (exists_in(path, "cfg.json", 0) && exists_in(path, "sae_weights.safetensors", 0))
		found[IMPORT_SAELENS] = 1;
	if (exists_in(path, "features", 1) || exists_in(path, "activations", 1) ||
	    exists_in(path, "explanations", 1))
		found[IMPORT_NEURONPEDIA] = 1;
	dir_shape s = {0};
	scan_dir(path, &s, 0);
	if (s.delphi || s.sub_delphi)
		found[IMPORT_DELPHI] = 1;
	if (s.openai)
		found[IMPORT_OPENAI] = 1;
	if (s.dashboard)
		found[IMPORT_SAEDASHBOARD] = 1;
	int n = 0, which = IMPORT_NONE;
	fs_buf names = {0};
	for (int i = 1; i < IMPORT_NFORMATS; i++)
		if (found[i]) {
			buf_printf(&names, "%s%s", n ? " or " : "", format_names[i]);
			n++;
			which = i;
		}
	if (n == 1) {
		buf_free(&names);
		return which;
	}
	if (n == 0)
		fs_seterr(err, errlen, "%s: format: folder not recognised; name it with --from (%s)", path,
			  import_format_list());
	else
		fs_seterr(err, errlen, "%s: format: ambiguous (%s); name it with --from", path, names.p);
	buf_free(&names);
	return IMPORT_NONE;
}

/* ------------------------------------------------------------- dispatch */

int import_run(fs_writer *w, const char *format, const char *path, const import_opts *o,
	       char *err, size_t errlen)
{
	int f;
	if (!format || !*format || !strcmp(format, "auto")) {
		f = import_detect(path, err, errlen);
		if (f == IMPORT_NONE)
			return FS_EXIT_USAGE;
	} else {
		f = import_format_parse(format);
		if (f == IMPORT_NONE) {
			fs_seterr(err, errlen, "--from: unknown format '%s' (%s)", format, import_format_list());
			return FS_EXIT_USAGE;
		}
	}
	imp_state st = {0};
	st.w = w;
	st.o = o;
	st.err = err;
	st.errlen = errlen;
	st.t0 = fs_now();
	st.ex_idx = -1;
	st.max_idx = -1;
	if (o->vocab && tok_vocab_load(o->vocab, &st.vocab, err, errlen) != 0)
		return FS_EXIT_USAGE;
	int rc;
	switch (f) {
	case IMPORT_SAELENS: rc = read_saelens(&st, path); break;
	case IMPORT_NEURONPEDIA: rc = read_neuronpedia(&st, path); break;
	case IMPORT_SAEDASHBOARD: rc = read_saedashboard(&st, path); break;
	case IMPORT_SAEVIS: rc = read_saevis(&st, path); break;
	case IMPORT_DELPHI: rc = read_delphi(&st, path); break;
	default: rc = read_openai(&st, path); break;
	}
	if (rc == 0)
		rc = imp_finish(&st);
	if (rc == 0 && o->progress)
		fprintf(stderr, "\rfeatscope: %s: %lld features, %lld examples in %.1fs%20s\n", path,
			(long long)st.n_features, (long long)st.n_examples, fs_now() - st.t0, "");
	for (int i = 0; i < st.n_ex; i++)
		free(st.ex[i].acts);
	free(st.ex);
	free(st.fid_of);
	free(st.top_next);
	free(st.grp_next);
	free(st.sae_name);
	buf_free(&st.vec);
	free(st.vec_fid);
	free(st.nb);
	tok_ctx_free(&st.ctx);
	if (st.vocab.n)
		tok_vocab_free(&st.vocab);
	if (rc != 0)
		return st.runtime ? FS_EXIT_ERR : FS_EXIT_USAGE;
	return FS_EXIT_OK;
}

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
	const char *m = writer_errmsg(st->w);
	fs_seterr(st->err, st->errlen, "index: %s: %s", what, m && *m ? m : "write failed");
	st->runtime = 1;
	return -1;
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
	int id = writer_add_sae(st->w, s);
	if (id <= 0) {
		fs_seterr(st->err, st->errlen, "--sae: cannot add dictionary '%s' (%s); give each input its own --sae NAME",
			  s->name, writer_errmsg(st->w));
		return -1;
	}
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
	int64_t fid = writer_add_feature(st->w, f);
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
	int64_t id = writer_add_context(st->w, st->ctx.text.p, st->ctx.text.len, st->ctx.off,
					st->ctx.ntok, source ? source : "");
	if (id <= 0)
		return imp_wfail(st, "context");
	return id;
}

int64_t imp_context_ids(imp_state *st, const int64_t *ids, int ntok, const char *source)
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
	tok_ctx_build(&st->ctx, toks, lens, ntok, mode == TOK_AUTO ? TOK_AUTO : mode);
	free(toks);
	free(lens);
	free(num);
	int64_t id = writer_add_context(st->w, st->ctx.text.p, st->ctx.text.len, st->ctx.off,
					st->ctx.ntok, source ? source : "");
	if (id <= 0)
		return imp_wfail(st, "context");
	return id;
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
		int64_t ctx, const float *acts, int ntok)
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
	e->max_act = ntok ? acts[0] : 0;
	for (int i = 1; i < ntok; i++)
		if (acts[i] > e->max_act)
			e->max_act = acts[i];
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

int imp_flush_examples(imp_state *st)
{
	if (st->ex_idx < 0 || st->n_ex == 0) {
		st->ex_idx = -1;
		return 0;
	}
	int64_t idx = st->ex_idx, fid = imp_fid(st, idx);
	qsort(st->ex, (size_t)st->n_ex, sizeof *st->ex, ex_cmp);
	int rc = 0, grp = -1, rank = 0;
	int first_grp = st->grp_next[idx] ? st->grp_next[idx] : 1;
	double cur = NAN;
	for (int i = 0; i < st->n_ex && rc == 0; i++) {
		imp_ex *e = &st->ex[i];
		if (is_top(e)) {
			/* an all-zero "top" example (dead feature) shows nothing */
			if (e->max_act <= 0)
				continue;
			if (grp != 0) {
				grp = 0;
				rank = st->top_next[idx];
			}
		} else if (grp <= 0 || e->bin_min != cur) {
			grp = grp < 1 ? first_grp : grp + 1;
			st->grp_next[idx] = grp + 1;
			rank = 0;
			cur = e->bin_min;
			fs_interval iv = {grp, (float)e->bin_min, (float)e->bin_max,
					  e->bin_frac >= 0 && e->bin_frac <= 1 ? (float)e->bin_frac : -1.0f};
			if (writer_add_interval(st->w, fid, &iv) < 0)
				rc = imp_wfail(st, "interval");
		}
		if (rc == 0 && writer_add_example(st->w, fid, grp, rank++, e->ctx, e->acts, e->ntok) < 0)
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
		if (writer_add_neighbour(st->w, n->fid, st->sae, n->rank, other, n->cosine) < 0)
			return imp_wfail(st, "neighbour");
	}
	/* a dictionary whose size the input did not say: its largest index + 1;
	 * the width of the decoder rows it gave */
	int d = st->vec_d > 0 ? st->vec_d : 0;
	if (st->sae && ((!st->sae_size && st->max_idx >= 0) || d) &&
	    writer_set_sae_size(st->w, st->sae, st->sae_size ? st->sae_size : st->max_idx + 1, d) < 0)
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
	if (!st->o->progress)
		return;
	double now = fs_now();
	if (now - st->last_progress < 0.25)
		return;
	st->last_progress = now;
	if (total > 0)
		fprintf(stderr, "\rfeatscope: %s %3.0f%%  %lld features, %lld examples  ", what,
			100.0 * (double)done / (double)total, (long long)st->n_features,
			(long long)st->n_examples);
	else
		fprintf(stderr, "\rfeatscope: %s  %lld features, %lld examples  ", what,
			(long long)st->n_features, (long long)st->n_examples);
	fflush(stderr);
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

/* ---------------------------------------------------------- JSON scanner
 *
 * A small validating scanner for the hot paths (activation rows) and for
 * walking big single-document files element by element: strict JSON
 * grammar, UTF-8 checked, strings decoded on request. */

void imp_scan_ws(imp_scan *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p, uint32_t *v)
{
	uint32_t r = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		r = r * 16 + (uint32_t)d;
	}
	*v = r;
	return 0;
}

/* A string at the cursor, decoded and appended to c->str when keep. */
int imp_scan_string(imp_scan *c, int keep)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	for (;;) {
		const char *q = c->p;
		while (q < c->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
			q++;
		if (keep && q > c->p)
			buf_add(&c->str, c->p, (size_t)(q - c->p));
		c->p = q;
		if (q >= c->end)
			return -1;
		unsigned char ch = (unsigned char)*q;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch >= 0x80) {
			int l = utf8_len((const unsigned char *)q, (size_t)(c->end - q));
			if (!l)
				return -1;
			if (keep)
				buf_add(&c->str, q, (size_t)l);
			c->p += l;
			continue;
		}
		/* an escape */
		if (q + 1 >= c->end)
			return -1;
		char e = q[1], out;
		c->p += 2;
		switch (e) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (c->end - c->p < 4 || hex4(c->p, &cp) != 0)
				return -1;
			c->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || hex4(c->p + 2, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				c->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			if (cp == 0)
				return -1; /* NUL inside a token: leave it to jansson */
			if (keep) {
				char u[4];
				buf_add(&c->str, u, (size_t)utf8_encode(cp, u));
			}
			continue;
		}
		default:
			return -1;
		}
		if (keep)
			buf_addc(&c->str, out);
	}
}

/* A JSON number at the cursor (strict grammar). */
int imp_scan_number(imp_scan *c, double *v)
{
	const char *q = c->p;
	if (q < c->end && *q == '-')
		q++;
	if (q >= c->end || !(*q >= '0' && *q <= '9'))
		return -1;
	if (*q == '0')
		q++;
	else
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	if (q < c->end && *q == '.') {
		q++;
		if (q >= c->end || !(*q >= '0' && *q <= '9'))
			return -1;
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < c->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < c->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= c->end || !(*q >= '0' && *q <= '9'))
			return -1;
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	}
	/* strtod on a copy: the text may be a mapping with no NUL after it */
	size_t n = (size_t)(q - c->p);
	if (n == 1 && *c->p == '0') {
		*v = 0;
	} else {
		char tmp[64];
		if (n >= sizeof tmp)
			return -1; /* absurdly long: let jansson judge it */
		memcpy(tmp, c->p, n);
		tmp[n] = 0;
		*v = strtod(tmp, NULL);
		if (!fs_float_ok(*v))
			return -1; /* beyond a float: jansson and the reader's checks judge it */
	}
	c->p = q;
	return 0;
}

/* Lines up to p, counted from *from (advanced), added to *line. */
static void count_lines(const char **from, const char *p, long *line)
{
	const char *q = *from;
	while (q < p && (q = memchr(q, '\n', (size_t)(p - q)))) {
		(*line)++;
		q++;
	}
	*from = p;
}

int imp_json_stream(imp_state *st, const char *path, const char *big, imp_elem_fn fn, void *ctx,
		    json_t **top_out, int *found)
{
	size_t pl = strlen(path), len = 0;
	char *heap = NULL;
	const char *text = NULL;
	void *map = NULL;
	*found = 0;
	if (top_out)
		*top_out = NULL;
	if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
		heap = input_slurp(path, &len, st->err, st->errlen);
		if (!heap)
			return -1;
		text = heap;
	} else {
		int fd = open(path, O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) != 0) {
			fs_seterr(st->err, st->errlen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		len = (size_t)sb.st_size;
		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				fs_seterr(st->err, st->errlen, "%s: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
			text = map;
		} else {
			text = "";
		}
		close(fd);
	}
	/* pass 1: the top-level members; everything but BIG is parsed */
	json_t *top = json_object();
	imp_scan c = {text, text + len, {0}};
	const char *big_at = NULL, *big_end = NULL;
	int ok = 0, rc = 0;
	imp_scan_ws(&c);
	if (c.p < c.end && *c.p == '{') {
		c.p++;
		imp_scan_ws(&c);
		ok = 1;
		if (c.p < c.end && *c.p == '}')
			c.p++;
		else
			for (;;) {
				imp_scan_ws(&c);
				c.str.len = 0;
				if (imp_scan_string(&c, 1) != 0) {
					ok = 0;
					break;
				}
				char *key = xstrndup(c.str.p ? c.str.p : "", c.str.len);
				imp_scan_ws(&c);
				if (c.p >= c.end || *c.p++ != ':') {
					free(key);
					ok = 0;
					break;
				}
				imp_scan_ws(&c);
				const char *v0 = c.p;
				if (imp_scan_skip(&c, 0) != 0) {
					free(key);
					ok = 0;
					break;
				}
				if (!strcmp(key, big) && (*v0 == '[' || *v0 == '{')) {
					big_at = v0;
					big_end = c.p;
				} else {
					json_t *v = json_loadb(v0, (size_t)(c.p - v0), JSON_DECODE_ANY, NULL);
					if (!v) {
						free(key);
						ok = 0;
						break;
					}
					json_object_set_new(top, key, v);
				}
				free(key);
				imp_scan_ws(&c);
				if (c.p < c.end && *c.p == ',') {
					c.p++;
					continue;
				}
				if (c.p >= c.end || *c.p++ != '}')
					ok = 0;
				break;
			}
		imp_scan_ws(&c);
		if (c.p != c.end)
			ok = 0;
	}
	buf_free(&c.str);
	if (!ok) {
		/* the scanner refused it: jansson gives the message, or (for the
		 * little it accepts that the scanner does not) the whole tree */
		json_decref(top);
		big_at = NULL;
		json_error_t je;
		top = json_loadb(text, len, 0, &je);
		if (!top) {
			rc = imp_bad(st, path, je.line, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
			goto out;
		}
		if (!json_is_object(top)) {
			rc = imp_bad(st, path, 0, "top level", "not a JSON object");
			goto out;
		}
		json_t *b = json_object_get(top, big);
		if (json_is_array(b) || json_is_object(b)) {
			*found = 1;
			if (json_is_array(b))
				for (size_t i = 0; rc == 0 && i < json_array_size(b); i++)
					rc = fn(st, ctx, top, i, NULL, json_array_get(b, i), 0);
			else {
				const char *k;
				json_t *v;
				size_t i = 0;
				json_object_foreach(b, k, v) {
					if ((rc = fn(st, ctx, top, i++, k, v, 0)) != 0)
						break;
				}
			}
		} else if (b) {
			*found = 1;
			rc = imp_bad(st, path, 0, big, "not an array or object");
		}
		goto out;
	}
	/* pass 2: BIG's members, one at a time */
	if (big_at) {
		*found = 1;
		int obj = *big_at == '{';
		imp_scan e = {big_at + 1, big_end, {0}};
		const char *counted = text;
		long line = 1;
		size_t i = 0;
		imp_scan_ws(&e);
		while (rc == 0 && e.p < e.end && *e.p != (obj ? '}' : ']')) {
			char *key = NULL;
			if (obj) {
				e.str.len = 0;
				imp_scan_string(&e, 1);
				key = xstrndup(e.str.p ? e.str.p : "", e.str.len);
				imp_scan_ws(&e);
				e.p++; /* ':' (checked in pass 1) */
				imp_scan_ws(&e);
			}
			const char *v0 = e.p;
			imp_scan_skip(&e, 0);
			count_lines(&counted, v0, &line);
			json_error_t je;
			json_t *v = json_loadb(v0, (size_t)(e.p - v0), JSON_DECODE_ANY, &je);
			if (!v)
				rc = imp_bad(st, path, line + je.line - 1, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
			else
				rc = fn(st, ctx, top, i++, key, v, line);
			if (v)
				json_decref(v);
			free(key);
			imp_scan_ws(&e);
			if (e.p < e.end && *e.p == ',')
				e.p++;
			imp_scan_ws(&e);
		}
		buf_free(&e.str);
	}
out:
	if (top_out && rc == 0)
		*top_out = top;
	else if (top)
		json_decref(top);
	if (map)
		munmap(map, len);
	free(heap);
	return rc;
}

int imp_scan_lit(imp_scan *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Skip any value, checking its syntax (depth-limited). */
int imp_scan_skip(imp_scan *c, int depth)
{
	imp_scan_ws(c);
	if (c->p >= c->end || depth > 64)
		return -1;
	double d;
	switch (*c->p) {
	case '"':
		return imp_scan_string(c, 0);
	case 't': return imp_scan_lit(c, "true");
	case 'f': return imp_scan_lit(c, "false");
	case 'n': return imp_scan_lit(c, "null");
	case '[':
	case '{': {
		char close = *c->p == '[' ? ']' : '}';
		int obj = close == '}';
		c->p++;
		imp_scan_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				imp_scan_ws(c);
				if (imp_scan_string(c, 0) != 0)
					return -1;
				imp_scan_ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return -1;
			}
			if (imp_scan_skip(c, depth + 1) != 0)
				return -1;
			imp_scan_ws(c);
			if (c->p >= c->end)
				return -1;
			if (*c->p == ',') {
				c->p++;
				continue;
			}
			if (*c->p++ != close)
				return -1;
			return 0;
		}
	}
	default:
		return imp_scan_number(c, &d);
	}
}

/* ------------------------------------------------------------- geometry */

int import_geometry(fs_writer *w, import_decoders *dd, int progress, char *err, size_t errlen)
{
	if (!dd || dd->n == 0)
		return 0;
	geom_dict *d = xcalloc((size_t)dd->n, sizeof *d);
	for (int i = 0; i < dd->n; i++) {
		d[i].sae = dd->v[i].sae;
		d[i].name = dd->v[i].name;
		d[i].fids = dd->v[i].fids;
		d[i].W = dd->v[i].W;
		d[i].n = dd->v[i].rows;
		d[i].d = dd->v[i].d;
		d[i].labels = NULL;
	}
	geom_opts o;
	geom_opts_init(&o);
	o.progress = progress;
	int rc = geom_write(w, d, dd->n, &o, err, errlen);
	free(d);
	return rc;
}

void import_decoders_free(import_decoders *dd)
{
	for (int i = 0; i < dd->n; i++) {
		free(dd->v[i].name);
		free(dd->v[i].fids);
		free(dd->v[i].W);
	}
	free(dd->v);
	memset(dd, 0, sizeof *dd);
}

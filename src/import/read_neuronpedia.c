/*
 * read_neuronpedia.c: Neuronpedia exports. A folder holds features/,
 * activations/ and explanations/, each of batch-N.jsonl.gz files (one JSON
 * object a line). Feature rows give density (frac_nonzero), the activation
 * histogram, logit effects (pos_str/pos_values, neg_str/neg_values) and
 * decoder-cosine neighbours (topkCosSimIndices/Values); explanation rows
 * give labels; activation rows give examples, grouped by quantile bin
 * (binMin == -1 is the top group). Everything streams line by line: memory
 * holds one feature's examples and the index -> fid map. The feature-row
 * parser is shared with the SAEDashboard reader, whose features carry the
 * same statistics fields.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_int.h"
#include "import/number.h"
#include "core/input.h"
#include "core/util.h"

/* ------------------------------------------------------------- exports */

/* batch-N.jsonl(.gz) files of a subfolder, sorted by N. */
static int batch_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	long nx = strtol(bx + 7, NULL, 10), ny = strtol(by + 7, NULL, 10);
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

static char **list_batches(const char *dir, int *n, int64_t *bytes)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	int cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *nm = e->d_name;
		size_t l = strlen(nm);
		if (strncmp(nm, "batch-", 6) != 0)
			continue;
		if (!(l > 6 && (!strcmp(nm + l - 6, ".jsonl") || (l > 9 && !strcmp(nm + l - 9, ".jsonl.gz")))))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[*n] = xasprintf("%s/%s", dir, nm);
		struct stat sb;
		if (stat(v[*n], &sb) == 0)
			*bytes += sb.st_size;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, (size_t)*n, sizeof *v, batch_cmp);
	return v;
}

/* Kind of rows a subfolder holds. */
enum { NP_FEATURES, NP_EXPLANATIONS, NP_ACTIVATIONS };

typedef struct {
	imp_state *st;        /* the run */
	int64_t total;        /* bytes of all batch files */
	int64_t done;         /* bytes of the files finished */
	char **seen;          /* explanation ids taken (open addressing), NULL slots free */
	size_t n_seen, cap_seen; /* used and allocated slots */
	char *layer, *model;  /* the source and model the first row named */
	char *from;           /* that row, "FILE:LINE" */
} np_run;

/* FNV-1a of a string. */
static size_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* Whether explanation id was seen before (then 1); remembers it. */
static int np_seen(np_run *r, const char *id)
{
	if (2 * (r->n_seen + 1) > r->cap_seen) {
		size_t nc = r->cap_seen ? r->cap_seen * 2 : 1024;
		char **nv = xcalloc(nc, sizeof *nv);
		for (size_t i = 0; i < r->cap_seen; i++)
			if (r->seen[i]) {
				size_t h = str_hash(r->seen[i]) & (nc - 1);
				while (nv[h])
					h = (h + 1) & (nc - 1);
				nv[h] = r->seen[i];
			}
		free(r->seen);
		r->seen = nv;
		r->cap_seen = nc;
	}
	size_t h = str_hash(id) & (r->cap_seen - 1);
	while (r->seen[h]) {
		if (!strcmp(r->seen[h], id))
			return 1;
		h = (h + 1) & (r->cap_seen - 1);
	}
	r->seen[h] = xstrdup(id);
	r->n_seen++;
	return 0;
}

/* One explanation row: its text, explainer model, type and scores. */
static int np_explanation(np_run *r, json_t *row, int64_t idx, int64_t fid, const char *file, long line)
{
	imp_state *st = r->st;
	const char *desc = NULL, *model = NULL, *type = NULL, *id = NULL;
	if (imp_field_str(st, row, "description", &desc, file, line) < 0 ||
	    imp_field_str(st, row, "explanationModelName", &model, file, line) < 0 ||
	    imp_field_str(st, row, "typeName", &type, file, line) < 0)
		return -1;
	if (!desc || !*desc)
		return 0;
	json_t *idv = json_object_get(row, "id");
	if (json_is_string(idv))
		id = json_string_value(idv);
	if (id && np_seen(r, id))
		return 0; /* the same explanation in explanation-scores/ and explanations/ */
	json_t *sc = json_object_get(row, "scores");
	if (sc && !json_is_null(sc) && !json_is_array(sc))
		return imp_bad(st, file, line, "scores", "not an array");
	double best = NAN;
	fs_buf all = {0};
	for (size_t i = 0; i < json_array_size(sc); i++) {
		json_t *e = json_array_get(sc, i);
		double v = NAN;
		const char *name = NULL;
		if (imp_field_num(st, e, "value", &v, file, line) < 0 ||
		    imp_field_str(st, e, "explanationScoreTypeName", &name, file, line) < 0) {
			buf_free(&all);
			return -1;
		}
		if (isnan(v))
			continue;
		buf_printf(&all, "%s%s %.4g", all.len ? ", " : "", name ? name : "score", v);
		if (isnan(best) || v > best)
			best = v;
	}
	int rc = imp_explanation(st, idx, fid, desc, "neuronpedia", model, type, best, all.p ? all.p : "");
	buf_free(&all);
	return rc;
}

/* Create the dictionary from the first row seen. */
static int np_sae(imp_state *st, json_t *row)
{
	if (st->sae)
		return 0;
	fs_sae s = {0};
	const char *layer = json_string_value(json_object_get(row, "layer"));
	s.name = (char *)(layer ? layer : "neuronpedia");
	s.model = (char *)json_string_value(json_object_get(row, "modelId"));
	s.hook = (char *)json_string_value(json_object_get(row, "hookName"));
	s.layer = layer && layer[0] >= '0' && layer[0] <= '9' ? atoi(layer) : -1;
	s.source_format = (char *)"neuronpedia";
	return imp_add_sae(st, &s);
}

/* The fid of idx, adding a feature with unknown statistics when the
 * export has no features/ row for it. */
static int64_t np_need(imp_state *st, int64_t idx, const char *file, long line)
{
	int64_t fid = imp_fid(st, idx);
	if (fid)
		return fid;
	fs_feature f;
	imp_feature_init(&f);
	fid = imp_feature(st, idx, &f);
	if (fid < 0 && !st->runtime)
		imp_bad(st, file, line, "index", "%lld is out of range", (long long)idx);
	return fid;
}

/* Provenance: every row names the model and source (layer: "6-res-jb")
 * it was made for; a row of another one (an explanation set made for
 * another width of the same hook point) is refused, never joined. The
 * first row sets them. */
static int np_fits(np_run *r, const char *model, const char *layer, const char *file, long line)
{
	if (!r->layer) {
		r->layer = xstrdup(layer ? layer : "");
		r->model = xstrdup(model ? model : "");
		r->from = xasprintf("%s:%ld", file, line);
		return 0;
	}
	if (layer && strcmp(layer, r->layer) != 0)
		return imp_bad(r->st, file, line, "layer", "'%s' is not the dictionary '%s' of %s; made for another dictionary?",
			       layer, r->layer, r->from);
	if (model && *r->model && strcmp(model, r->model) != 0)
		return imp_bad(r->st, file, line, "modelId", "'%s' is not the model '%s' of %s; made for another model?",
			       model, r->model, r->from);
	return 0;
}

static int np_row(np_run *r, int kind, json_t *row, const char *file, long line)
{
	imp_state *st = r->st;
	if (!json_is_object(row))
		return imp_bad(st, file, line, "row", "not a JSON object");
	const char *model = NULL, *layer = NULL;
	if (imp_field_str(st, row, "modelId", &model, file, line) < 0 ||
	    imp_field_str(st, row, "layer", &layer, file, line) < 0 || np_fits(r, model, layer, file, line) != 0)
		return -1;
	if (np_sae(st, row) != 0)
		return -1;
	int64_t idx = imp_np_index(st, row, "index", file, line);
	if (idx < 0)
		return -1;
	if (kind == NP_FEATURES)
		return imp_np_feature(st, row, idx, NAN, file, line) < 0 ? -1 : 0;
	int64_t fid = np_need(st, idx, file, line);
	if (fid < 0)
		return -1;
	if (kind == NP_EXPLANATIONS)
		return np_explanation(r, row, idx, fid, file, line);
	const char *src = json_string_value(json_object_get(row, "dataSource"));
	return imp_np_example(st, idx, row, "binMin", "binMax", "binContains", "qualifyingTokenIndex", src, file,
			      line);
}

/* ------------------------------------------- fast path for activation rows
 *
 * Activation rows are nearly all of an export's bytes. Building a jansson
 * tree for each costs more than everything else together, so these rows
 * are first read by a small scanner that pulls out only what we keep
 * (index, tokens, values, bins, dataSource) and checks the rest is well
 * formed JSON. Anything it does not handle (an error, an odd shape, a
 * dictionary not created yet) goes to the jansson path, which gives the
 * same result or the precise error message. */

typedef struct {
	imp_scan s;        /* the scanner (cursor, end, decoded strings) */
	size_t *soff;      /* token string offsets into s.str */
	size_t *slen;      /* their lengths */
	float *vals;       /* values */
	size_t ntok, nval; /* counts */
	size_t cap_t, cap_v; /* capacities */
} np_scan;

/* What the scanner took from an activation row besides tokens and values
 * (strings: offsets into c->s.str, -1 absent). */
typedef struct {
	int64_t idx;                /* feature index */
	double bmin, bmax, bfrac;   /* bins, NAN absent */
	double qkey;                /* key token, -1 none */
	size_t src_off, layer_off, model_off; /* dataSource, layer, modelId */
} np_act;

/* Scan one activation row (nothing but c and a change): 1 when it is one
 * the fast path takes (into *act), 0 when the jansson path must. */
static int np_scan_row(np_scan *c, const char *line, size_t len, np_act *act)
{
	c->s.p = line;
	c->s.end = line + len;
	c->s.str.len = 0;
	c->ntok = c->nval = 0;
	int64_t idx = -1;
	int have_tok = 0, have_val = 0;
	double bmin = NAN, bmax = NAN, bfrac = NAN, qkey = -1;
	size_t src_off = (size_t)-1, layer_off = (size_t)-1, model_off = (size_t)-1;
	imp_scan_ws(&c->s);
	if (c->s.p >= c->s.end || *c->s.p++ != '{')
		return 0;
	imp_scan_ws(&c->s);
	if (c->s.p < c->s.end && *c->s.p == '}')
		return 0;
	for (;;) {
		imp_scan_ws(&c->s);
		size_t k0 = c->s.str.len;
		if (imp_scan_string(&c->s, 1) != 0)
			return 0;
		buf_addc(&c->s.str, 0);
		/* compare the key, then drop it from the buffer */
		char key[24];
		size_t kl = c->s.str.len - k0 - 1;
		if (kl < sizeof key)
			memcpy(key, c->s.str.p + k0, kl + 1);
		else
			key[0] = 0;
		c->s.str.len = k0;
		imp_scan_ws(&c->s);
		if (c->s.p >= c->s.end || *c->s.p++ != ':')
			return 0;
		imp_scan_ws(&c->s);
		if (!strcmp(key, "index")) {
			if (c->s.p < c->s.end && *c->s.p == '"') {
				size_t a = c->s.str.len;
				if (imp_scan_string(&c->s, 1) != 0)
					return 0;
				buf_addc(&c->s.str, 0);
				if (fs_parse_i64(c->s.str.p + a, &idx) != 0)
					return 0;
				c->s.str.len = a;
			} else {
				double d;
				if (imp_scan_number(&c->s, &d) != 0 || d != floor(d))
					return 0;
				idx = (int64_t)d;
			}
			if (idx < 0)
				return 0;
		} else if (!strcmp(key, "tokens") || !strcmp(key, "values")) {
			int tok = key[0] == 't';
			if (tok ? have_tok : have_val)
				return 0; /* a repeated key: jansson's rules */
			if (c->s.p >= c->s.end || *c->s.p++ != '[')
				return 0;
			imp_scan_ws(&c->s);
			if (c->s.p < c->s.end && *c->s.p == ']')
				c->s.p++;
			else
				for (;;) {
					imp_scan_ws(&c->s);
					if (tok) {
						if (c->ntok == c->cap_t) {
							c->cap_t = c->cap_t ? c->cap_t * 2 : 256;
							c->soff = xrealloc(c->soff, c->cap_t * sizeof *c->soff);
							c->slen = xrealloc(c->slen, c->cap_t * sizeof *c->slen);
						}
						size_t a = c->s.str.len;
						if (imp_scan_string(&c->s, 1) != 0)
							return 0;
						c->soff[c->ntok] = a;
						c->slen[c->ntok++] = c->s.str.len - a;
						buf_addc(&c->s.str, 0);
					} else {
						double d;
						if (c->nval == c->cap_v) {
							c->cap_v = c->cap_v ? c->cap_v * 2 : 256;
							c->vals = xrealloc(c->vals, c->cap_v * sizeof *c->vals);
						}
						if (imp_scan_number(&c->s, &d) != 0)
							return 0;
						c->vals[c->nval++] = isfinite(d) ? (float)d : 0.0f;
					}
					imp_scan_ws(&c->s);
					if (c->s.p >= c->s.end)
						return 0;
					if (*c->s.p == ',') {
						c->s.p++;
						continue;
					}
					if (*c->s.p++ != ']')
						return 0;
					break;
				}
			if (tok)
				have_tok = 1;
			else
				have_val = 1;
		} else if (!strcmp(key, "binMin") || !strcmp(key, "binMax") || !strcmp(key, "binContains")) {
			double d;
			if (c->s.p < c->s.end && *c->s.p == 'n') {
				if (imp_scan_lit(&c->s, "null") != 0)
					return 0;
				d = NAN;
			} else if (imp_scan_number(&c->s, &d) != 0) {
				return 0;
			}
			if (key[3] == 'M' && key[4] == 'i')
				bmin = d;
			else if (key[3] == 'M')
				bmax = d;
			else
				bfrac = d;
		} else if (!strcmp(key, "qualifyingTokenIndex")) {
			if (c->s.p < c->s.end && *c->s.p == 'n') {
				if (imp_scan_lit(&c->s, "null") != 0)
					return 0;
			} else if (imp_scan_number(&c->s, &qkey) != 0 || qkey != floor(qkey) || qkey < -1 || qkey > 1 << 20) {
				return 0;
			}
		} else if ((!strcmp(key, "layer") || !strcmp(key, "modelId")) && c->s.p < c->s.end && *c->s.p == '"') {
			size_t *at = key[0] == 'l' ? &layer_off : &model_off;
			*at = c->s.str.len;
			if (imp_scan_string(&c->s, 1) != 0)
				return 0;
			buf_addc(&c->s.str, 0);
		} else if (!strcmp(key, "dataSource") && c->s.p < c->s.end && *c->s.p == '"') {
			src_off = c->s.str.len;
			if (imp_scan_string(&c->s, 1) != 0)
				return 0;
			buf_addc(&c->s.str, 0);
		} else if (imp_scan_skip(&c->s, 0) != 0) {
			return 0;
		}
		imp_scan_ws(&c->s);
		if (c->s.p >= c->s.end)
			return 0;
		if (*c->s.p == ',') {
			c->s.p++;
			continue;
		}
		if (*c->s.p++ != '}')
			return 0;
		break;
	}
	imp_scan_ws(&c->s);
	if (c->s.p != c->s.end || idx < 0 || !have_tok || !have_val || c->ntok != c->nval || c->ntok > 1 << 20 ||
	    qkey >= (double)c->ntok)
		return 0;
	*act = (np_act){idx, bmin, bmax, bfrac, qkey, src_off, layer_off, model_off};
	return 1;
}

/* A scanned string, NULL when absent. */
static const char *np_str(const np_scan *c, size_t off)
{
	return off == (size_t)-1 ? NULL : c->s.str.p + off;
}

/* Build the context of a scanned row into t (the spelling of --tokens). */
static void np_scan_ctx(const np_scan *c, tok_ctx *t, int mode)
{
	const char **ts = xmalloc((c->ntok ? c->ntok : 1) * sizeof *ts);
	for (size_t i = 0; i < c->ntok; i++)
		ts[i] = c->s.str.p + c->soff[i];
	tok_ctx_build(t, ts, c->slen, (int)c->ntok, mode);
	free(ts);
}

/* The example of a scanned row, its context built: provenance, the
 * feature, then the example. 0 or -1. */
static int np_act_apply(np_run *r, const np_act *a, const char *model, const char *layer, const char *src,
			const tok_ctx *t, const float *vals, int ntok, const char *file, long ln)
{
	imp_state *st = r->st;
	if (np_fits(r, model, layer, file, ln) != 0 || np_need(st, a->idx, file, ln) < 0)
		return -1;
	return imp_np_example_ctx(st, a->idx, t, vals, ntok, a->bmin, a->bmax, a->bfrac, (int)a->qkey, src);
}

/* The activation row of one line: 1 when handled (rc in *rc), 0 when the
 * jansson path must take it. */
static int np_fast_row(np_run *r, np_scan *c, const char *line, size_t len, const char *file, long ln, int *rc)
{
	imp_state *st = r->st;
	np_act a;
	/* the first row goes through jansson: it creates the dictionary */
	if (!st->sae || !np_scan_row(c, line, len, &a) || !r->layer)
		return 0;
	np_scan_ctx(c, &st->ctx, st->o->tok_mode);
	*rc = np_act_apply(r, &a, np_str(c, a.model_off), np_str(c, a.layer_off), np_str(c, a.src_off), &st->ctx,
			   c->vals, (int)c->ntok, file, ln);
	return 1;
}

static const char *const np_what[] = {"features", "explanations", "activations"};

/* One line through jansson. 0 or -1. */
static int np_json_line(np_run *r, int kind, const char *line, size_t len, const char *path, long ln)
{
	json_error_t je;
	json_t *row = json_loadb(line, len, 0, &je);
	if (!row)
		return imp_bad(r->st, path, ln, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
	int rc = np_row(r, kind, row, path, ln);
	json_decref(row);
	return rc;
}

static int np_file(np_run *r, int kind, const char *path)
{
	imp_state *st = r->st;
	char e[512];
	fs_input *in = input_open(path, e, sizeof e);
	if (!in)
		return imp_bad(st, path, 0, "open", "%s", e);
	const char *line;
	size_t len;
	int rc = 0;
	np_scan sc;
	memset(&sc, 0, sizeof sc);
	/* FS_IMPORT_NOFAST=1 sends every row through jansson (tests compare) */
	const char *nofast = getenv("FS_IMPORT_NOFAST");
	int fast = kind == NP_ACTIVATIONS && !(nofast && *nofast == '1');
	while (rc == 0 && (line = input_line(in, &len))) {
		if (len == 0)
			continue;
		long ln = (long)input_lineno(in);
		if (!(fast && np_fast_row(r, &sc, line, len, path, ln, &rc)) &&
		    (rc = np_json_line(r, kind, line, len, path, ln)) != 0)
			break;
		if ((ln & 255) == 0)
			imp_progress(st, np_what[kind], r->done + input_pos(in), r->total);
	}
	if (rc == 0 && input_bad(in)) {
		fs_seterr(st->err, st->errlen, "%s", input_bad(in));
		rc = -1;
	}
	else if (rc == 0 && input_error(in))
		rc = imp_bad(st, path, (long)input_lineno(in) + 1, "read", "%s", input_error(in));
	struct stat sb;
	if (stat(path, &sb) == 0)
		r->done += sb.st_size;
	input_close(in);
	buf_free(&sc.s.str);
	free(sc.soff);
	free(sc.slen);
	free(sc.vals);
	return rc;
}

/* ---------------------------------------------- with worker processes
 *
 * --jobs N: N - 1 worker processes read the batch files (gunzip, lines,
 * the scan of activation rows and their contexts) and this one takes
 * their records back file by file, in the order np_file would read them,
 * doing with each what np_file does with its line: same ids, same ranks,
 * same messages. Only the writing of the index stays serial. */

/* A record of a worker's stream, followed by its bytes. LINE: the line.
 * ACT (a scanned activation row): the context's text, its ntok + 1
 * offsets, ntok values, modelId, layer and dataSource, then the raw line
 * when len >= 0 (a file's first row, in case it is the export's first,
 * which goes through jansson). ERR: the message. END: the file is done. */
enum { NPJ_LINE, NPJ_ACT, NPJ_ERR, NPJ_END };
typedef struct {
	int32_t kind;        /* NPJ_* */
	int32_t code;        /* ERR: 0 cannot open, 1 bad input, 2 read error */
	int64_t line;        /* line number */
	int64_t pos;         /* compressed bytes read so far (progress, every 256th line) */
	int64_t len;         /* LINE, ERR: bytes; ACT: raw line bytes, -1 none */
	np_act a;            /* ACT: the scanned fields (the offsets unused) */
	int32_t ntok;        /* ACT: tokens */
	uint32_t text_len;   /* ACT: context bytes */
	int32_t slen[3];     /* ACT: modelId, layer, dataSource bytes, -1 absent */
} npj_rec;

/* The files of a run, in reading order, for the workers. */
typedef struct {
	char **files;   /* paths */
	int *kind;      /* NP_* of each */
	int mode;       /* --tokens spelling */
} npj_set;

/* An ERR then END record. */
static int npj_fail(FILE *out, int code, int64_t line, const char *msg)
{
	npj_rec h;
	memset(&h, 0, sizeof h);
	h.kind = NPJ_ERR;
	h.code = code;
	h.line = line;
	h.len = (int64_t)strlen(msg);
	if (imp_jobs_put(out, &h, sizeof h) || imp_jobs_put(out, msg, strlen(msg)))
		return -1;
	h.kind = NPJ_END;
	return imp_jobs_put(out, &h, sizeof h);
}

/* A worker: file i into records. 0, or -1 when the pipe is gone. */
static int npj_work(void *ctx, int i, FILE *out)
{
	const npj_set *set = ctx;
	char e[512];
	fs_input *in = input_open(set->files[i], e, sizeof e);
	if (!in)
		return npj_fail(out, 0, 0, e);
	const char *nofast = getenv("FS_IMPORT_NOFAST");
	int fast = set->kind[i] == NP_ACTIVATIONS && !(nofast && *nofast == '1');
	np_scan sc;
	memset(&sc, 0, sizeof sc);
	tok_ctx t;
	memset(&t, 0, sizeof t);
	const char *line;
	size_t len;
	int first = 1, rc = 0;
	npj_rec h;
	while (rc == 0 && (line = input_line(in, &len))) {
		if (len == 0)
			continue;
		memset(&h, 0, sizeof h);
		h.line = input_lineno(in);
		h.pos = (h.line & 255) == 0 ? input_pos(in) : 0; /* a system call: only where progress needs it */
		np_act a;
		if (fast && np_scan_row(&sc, line, len, &a)) {
			np_scan_ctx(&sc, &t, set->mode);
			const char *str[3] = {np_str(&sc, a.model_off), np_str(&sc, a.layer_off), np_str(&sc, a.src_off)};
			h.kind = NPJ_ACT;
			h.a = a;
			h.ntok = (int32_t)sc.ntok;
			h.text_len = (uint32_t)t.text.len;
			h.len = first ? (int64_t)len : -1;
			for (int k = 0; k < 3; k++)
				h.slen[k] = str[k] ? (int32_t)strlen(str[k]) : -1;
			rc = imp_jobs_put(out, &h, sizeof h) | imp_jobs_put(out, t.text.p, t.text.len) |
			     imp_jobs_put(out, t.off, (sc.ntok + 1) * sizeof *t.off) |
			     imp_jobs_put(out, sc.vals, sc.ntok * sizeof *sc.vals);
			for (int k = 0; k < 3; k++)
				if (str[k])
					rc |= imp_jobs_put(out, str[k], (size_t)h.slen[k]);
			if (first)
				rc |= imp_jobs_put(out, line, len);
		} else {
			h.kind = NPJ_LINE;
			h.len = (int64_t)len;
			rc = imp_jobs_put(out, &h, sizeof h) | imp_jobs_put(out, line, len);
		}
		first = 0;
	}
	if (rc == 0 && (input_bad(in) || input_error(in))) {
		rc = npj_fail(out, input_bad(in) ? 1 : 2, input_lineno(in) + 1,
			      input_bad(in) ? input_bad(in) : input_error(in));
	} else if (rc == 0) {
		memset(&h, 0, sizeof h);
		h.kind = NPJ_END;
		rc = imp_jobs_put(out, &h, sizeof h);
	}
	input_close(in);
	buf_free(&sc.s.str);
	free(sc.soff);
	free(sc.slen);
	free(sc.vals);
	tok_ctx_free(&t);
	return rc;
}

/* The parent's scratch for one record's bytes. */
typedef struct {
	fs_buf line;     /* a line, raw line or message */
	fs_buf str[3];   /* modelId, layer, dataSource */
	tok_ctx t;       /* the context */
	float *vals;     /* values */
	size_t cap;      /* entries in vals and t.off */
} npj_buf;

/* n bytes of f into b, NUL-terminated. 0 or -1. */
static int npj_get_buf(FILE *f, fs_buf *b, size_t n)
{
	b->len = 0;
	buf_reserve(b, n + 1);
	if (imp_jobs_get(f, b->p, n) != 0)
		return -1;
	b->len = n;
	b->p[n] = 0;
	return 0;
}

/* An ACT record's bytes into b. 0 or -1. */
static int npj_get_act(FILE *f, const npj_rec *h, npj_buf *b)
{
	size_t n = (size_t)h->ntok;
	if (n + 1 > b->cap) {
		b->cap = 2 * (n + 1);
		b->vals = xrealloc(b->vals, b->cap * sizeof *b->vals);
		b->t.off = xrealloc(b->t.off, b->cap * sizeof *b->t.off);
	}
	b->t.ntok = h->ntok;
	if (npj_get_buf(f, &b->t.text, h->text_len) || imp_jobs_get(f, b->t.off, (n + 1) * sizeof *b->t.off) ||
	    imp_jobs_get(f, b->vals, n * sizeof *b->vals))
		return -1;
	for (int k = 0; k < 3; k++)
		if (h->slen[k] >= 0 && npj_get_buf(f, &b->str[k], (size_t)h->slen[k]))
			return -1;
	return h->len >= 0 ? npj_get_buf(f, &b->line, (size_t)h->len) : 0;
}

/* One file's records, as np_file would read its lines. 0 or -1. */
static int npj_file(np_run *r, int kind, const char *path, FILE *f, npj_buf *b)
{
	imp_state *st = r->st;
	for (;;) {
		npj_rec h;
		int rc;
		if (imp_jobs_get(f, &h, sizeof h) != 0)
			goto lost;
		if (h.kind == NPJ_END)
			break;
		if (h.len < -1 || h.len > (int64_t)1 << 40 || h.ntok < 0)
			goto lost;
		if (h.kind == NPJ_ERR) {
			if (npj_get_buf(f, &b->line, (size_t)h.len) != 0)
				goto lost;
			if (h.code == 0)
				return imp_bad(st, path, 0, "open", "%s", b->line.p);
			if (h.code == 1)
				return fs_seterr(st->err, st->errlen, "%s", b->line.p);
			return imp_bad(st, path, (long)h.line, "read", "%s", b->line.p);
		}
		if (h.kind == NPJ_LINE) {
			if (npj_get_buf(f, &b->line, (size_t)h.len) != 0)
				goto lost;
			rc = np_json_line(r, kind, b->line.p, b->line.len, path, (long)h.line);
		} else {
			if (npj_get_act(f, &h, b) != 0)
				goto lost;
			const char *str[3];
			for (int k = 0; k < 3; k++)
				str[k] = h.slen[k] >= 0 ? b->str[k].p : NULL;
			if (st->sae && r->layer)
				rc = np_act_apply(r, &h.a, str[0], str[1], str[2], &b->t, b->vals, h.ntok, path,
						  (long)h.line);
			else if (h.len >= 0) /* the export's first row */
				rc = np_json_line(r, kind, b->line.p, b->line.len, path, (long)h.line);
			else
				goto lost;
		}
		if (rc != 0)
			return rc;
		if ((h.line & 255) == 0)
			imp_progress(st, np_what[kind], r->done + h.pos, r->total);
	}
	struct stat sb;
	if (stat(path, &sb) == 0)
		r->done += sb.st_size;
	return 0;
lost:
	st->runtime = 1;
	return fs_seterr(st->err, st->errlen, "%s: --jobs: the worker reading it stopped", path);
}

/* Every file through workers (jobs - 1 of them). 0 or -1. */
static int npj_read(np_run *r, char **files[4], const int nf[4], const int kind[4])
{
	imp_state *st = r->st;
	npj_set set;
	int n = 0;
	for (int k = 0; k < 4; k++)
		n += nf[k];
	set.files = xcalloc((size_t)n, sizeof *set.files);
	set.kind = xcalloc((size_t)n, sizeof *set.kind);
	set.mode = st->o->tok_mode;
	n = 0;
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < nf[k]; i++) {
			set.files[n] = files[k][i];
			set.kind[n++] = kind[k];
		}
	int rc = 0;
	imp_jobs *j = imp_jobs_start(st->o->jobs - 1, n, npj_work, &set, st->err, st->errlen);
	if (!j) {
		st->runtime = 1;
		rc = -1;
	}
	npj_buf b;
	memset(&b, 0, sizeof b);
	for (int i = 0; i < n && rc == 0; i++)
		rc = npj_file(r, set.kind[i], set.files[i], imp_jobs_stream(j, i), &b);
	if (j && imp_jobs_stop(j, rc != 0) != 0 && rc == 0) {
		st->runtime = 1;
		rc = fs_seterr(st->err, st->errlen, "%s: --jobs: a worker failed", st->path);
	}
	buf_free(&b.line);
	for (int k = 0; k < 3; k++)
		buf_free(&b.str[k]);
	tok_ctx_free(&b.t);
	free(b.vals);
	free(set.files);
	free(set.kind);
	return rc;
}

static int read_neuronpedia(imp_state *st, const char *path)
{
	/* features first (statistics and the dictionary's width), then the
	 * explanations (with scores first, so that a scored copy wins), then
	 * the examples */
	static const char *const sub[] = {"features", "explanation-scores", "explanations", "activations"};
	static const int kind[] = {NP_FEATURES, NP_EXPLANATIONS, NP_EXPLANATIONS, NP_ACTIVATIONS};
	char **files[4];
	int nf[4];
	np_run r = {0};
	r.st = st;
	int any = 0;
	for (int k = 0; k < 4; k++) {
		char *dir = xasprintf("%s/%s", path, sub[k]);
		files[k] = list_batches(dir, &nf[k], &r.total);
		any += nf[k];
		free(dir);
	}
	int rc = 0;
	if (!any)
		rc = imp_bad(st, path, 0, "features", "no batch-N.jsonl.gz files in features/, explanations/ or activations/");
	if (rc == 0 && st->o->jobs > 1)
		rc = npj_read(&r, files, nf, kind);
	for (int k = 0; k < 4 && rc == 0 && st->o->jobs <= 1; k++)
		for (int i = 0; i < nf[k] && rc == 0; i++)
			rc = np_file(&r, kind[k], files[k][i]);
	if (rc == 0 && !st->sae)
		rc = imp_bad(st, path, 0, "features", "the export holds no rows");
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < nf[k]; i++)
			free(files[k][i]);
		free(files[k]);
	}
	for (size_t i = 0; i < r.cap_seen; i++)
		free(r.seen[i]);
	free(r.seen);
	free(r.layer);
	free(r.model);
	free(r.from);
	return rc;
}

/* "batch-N.jsonl" or "batch-N.jsonl.gz" */
static int is_batch(const char *n)
{
	size_t l = strlen(n);
	return !strncmp(n, "batch-", 6) && ((l > 12 && !strcmp(n + l - 6, ".jsonl")) ||
					    (l > 15 && !strcmp(n + l - 9, ".jsonl.gz")));
}

/* A folder with features/, activations/ or explanations/ of batch files. */
static int sniff_neuronpedia(const imp_sniff *s)
{
	static const char *const sub[] = {"features", "activations", "explanations", "explanation-scores"};
	if (!s->is_dir)
		return 0;
	for (int k = 0; k < 4; k++) {
		char *d = xasprintf("%s/%s", s->path, sub[k]);
		int n = imp_dir_count(d, is_batch, 0);
		free(d);
		if (n)
			return 1;
	}
	return 0;
}

const imp_reader imp_reader_neuronpedia = {
	"neuronpedia", NULL, "a Neuronpedia export folder (features/, activations/, explanations/ of batch-N.jsonl.gz)",
	sniff_neuronpedia, read_neuronpedia,
};

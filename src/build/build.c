/*
 * build.c: the native builder, `featscope build`. One streaming pass over
 * JSON Lines activation records (one context per line) keeps, per feature,
 * the top-k contexts by max activation, a uniform reservoir of contexts for
 * the quantile-interval samples, firing counts, sums and an adaptive
 * histogram. Record texts go to a staging file, so memory is bounded by
 * features x (k + reservoir), not by the number of records. At the end the
 * referenced contexts, the examples, labels, logit effects (decoder through
 * an unembedding) and decoder geometry are written through fs_writer. The
 * labels file, the vocabulary and the logit effects are build_inputs.c.
 */
#include "build/build.h"
#include "build/build_int.h"
#include "core/number.h"
#include "geom/geom.h"
#include "core/format.h"
#include "import/import.h"
#include "index/index.h"
#include "core/input.h"
#include "nn/tensor.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUILD_MAX_AUTO_FEATURES (1ll << 24) /* largest feature id + 1 without --n-features */

/* Set when a build failed writing (disk full, write error) rather than on
 * bad input: the exit status is then 1, not 2. */
static int build_io_failed;

int build_io_err(char *err, size_t errlen, const char *fmt, ...)
{
	build_io_failed = 1;
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void build_opts_init(fs_build_opts *o)
{
	memset(o, 0, sizeof *o);
	o->sae_name = "sae";
	o->layer = -1;
	o->top_k = 20;
	o->n_intervals = 10;
	o->per_interval = 5;
	o->knn_k = 32;
	o->knn_across = -1;
	o->n_random = 0;
	o->progress = NULL;
}

static void acc_grow(builder *b, int64_t need)
{
	if (need <= b->nfeat)
		return;
	int64_t n = b->nfeat ? b->nfeat : 1024;
	while (n < need)
		n *= 2;
	b->acc = xrealloc(b->acc, sizeof *b->acc * (size_t)n);
	memset(b->acc + b->nfeat, 0, sizeof *b->acc * (size_t)(n - b->nfeat));
	b->nfeat = n;
}

static sample make_sample(builder *b, float max, int ntok, int64_t rec, uint64_t key)
{
	sample s = {max, ntok, rec, b->rid, key, NULL, 0};
	size_t n = index_acts_encode(b->dense, ntok, b->enc);
	s.acts = xmalloc(n ? n : 1);
	memcpy(s.acts, b->enc, n);
	s.nacts = (uint32_t)n;
	return s;
}

/* Offer one feature's activations on the current record. */
static void acc_offer(builder *b, feat_acc *a, int64_t f, float max, int ntok, int64_t rec)
{
	int k = b->o->top_k, R = build_reservoir_size(b->o);
	uint64_t key = build_key(b->rid, f);
	int top = build_top_wants(a, k, max, key), res = build_res_wants(a, R, key);
	if (top)
		build_top_put(a, k, make_sample(b, max, ntok, rec, key));
	if (res)
		build_res_put(a, R, make_sample(b, max, ntok, rec, key));
}

static int stage_record(builder *b, const char *source, int ntok, char *err, size_t errlen)
{
	staging *s = &b->st;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->pos = xrealloc(s->pos, sizeof *s->pos * (size_t)s->cap);
	}
	s->pos[s->n++] = ftello(s->f);
	uint32_t hdr[3] = {(uint32_t)b->text.len, (uint32_t)ntok, (uint32_t)strlen(source)};
	if (fwrite(hdr, sizeof hdr, 1, s->f) != 1 ||
	    (b->text.len && fwrite(b->text.p, b->text.len, 1, s->f) != 1) ||
	    fwrite(b->off, sizeof(uint32_t), (size_t)ntok + 1, s->f) != (size_t)ntok + 1 ||
	    (hdr[2] && fwrite(source, hdr[2], 1, s->f) != 1))
		return build_io_err(err, errlen, "staging file: write failed: %s", strerror(errno));
	return 0;
}

typedef struct {
	int pos;       /* token position */
	int64_t feat;  /* feature */
	float v;       /* activation */
} act_triple;

static int cmp_triple(const void *x, const void *y)
{
	const act_triple *a = x, *b = y;
	if (a->feat != b->feat)
		return a->feat < b->feat ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Room for ntok + 1 token offsets in the record scratch. */
static void reserve_offsets(builder *b, int ntok)
{
	if (ntok + 1 > b->offcap) {
		b->offcap = (ntok + 1) * 2;
		b->off = xrealloc(b->off, sizeof *b->off * (size_t)b->offcap);
	}
}

#define BAD(...) (fs_seterr(err, errlen, __VA_ARGS__), -1)

/* Parse one record line into b->text/b->off and its activations. */
static int parse_record(builder *b, const char *where, const char *line, size_t len,
			act_triple **acts, int64_t *nacts, int *ntok_out, const char **source,
			json_t **root_out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &je);
	*root_out = root;
	if (!root) {
		/* jansson quotes the input near the error: escape it, so a hostile
		 * line cannot put control sequences or a newline in the message */
		fs_buf m = {0};
		format_escaped(&m, je.text, strlen(je.text));
		fs_seterr(err, errlen, "%s: column %d: bad JSON: %s", where, je.column, m.p ? m.p : "");
		buf_free(&m);
		return -1;
	}
	if (!json_is_object(root))
		return BAD("%s: record is not a JSON object", where);
	b->text.len = 0;
	int ntok = 0;
	json_t *tokens = json_object_get(root, "tokens");
	json_t *text = json_object_get(root, "text");
	if (tokens) {
		if (!json_is_array(tokens))
			return BAD("%s: tokens: not an array of strings", where);
		ntok = (int)json_array_size(tokens);
		reserve_offsets(b, ntok);
		for (int i = 0; i < ntok; i++) {
			json_t *t = json_array_get(tokens, (size_t)i);
			if (!json_is_string(t))
				return BAD("%s: tokens[%d]: not a string", where, i);
			b->off[i] = (uint32_t)b->text.len;
			buf_add(&b->text, json_string_value(t), json_string_length(t));
		}
		b->off[ntok] = (uint32_t)b->text.len;
	} else if (text) {
		if (!json_is_string(text))
			return BAD("%s: text: not a string", where);
		buf_add(&b->text, json_string_value(text), json_string_length(text));
		json_t *offs = json_object_get(root, "offsets");
		if (!json_is_array(offs))
			return BAD("%s: offsets: missing or not an array (needed with \"text\")", where);
		ntok = (int)json_array_size(offs);
		reserve_offsets(b, ntok);
		for (int i = 0; i < ntok; i++) {
			json_t *o = json_array_get(offs, (size_t)i);
			json_int_t v = json_is_integer(o) ? json_integer_value(o) : -1;
			if (v < 0 || (size_t)v > b->text.len || (i == 0 && v != 0) ||
			    (i > 0 && (uint32_t)v <= b->off[i - 1]))
				return BAD("%s: offsets[%d]: must start at 0 and increase within the text", where, i);
			b->off[i] = (uint32_t)v;
		}
		b->off[ntok] = (uint32_t)b->text.len;
		if (ntok > 0 && b->off[ntok - 1] >= b->off[ntok])
			return BAD("%s: offsets[%d]: the last token is empty", where, ntok - 1);
		if (ntok == 0 && b->text.len)
			return BAD("%s: offsets: empty for a non-empty text", where);
	} else {
		return BAD("%s: tokens: missing (a record needs \"tokens\", or \"text\" and \"offsets\")", where);
	}
	if (b->text.len > 0x7fffffff)
		return BAD("%s: text: too long", where);
	json_t *src = json_object_get(root, "source");
	*source = json_is_string(src) ? json_string_value(src) : "";
	json_t *a = json_object_get(root, "acts");
	if (!json_is_array(a))
		return BAD("%s: acts: missing or not an array of [position, feature, value]", where);
	size_t na = json_array_size(a);
	*acts = xrealloc(*acts, sizeof **acts * (na ? na : 1));
	int64_t n = 0;
	for (size_t i = 0; i < na; i++) {
		json_t *t = json_array_get(a, i);
		if (!json_is_array(t) || json_array_size(t) != 3)
			return BAD("%s: acts[%zu]: not a [position, feature, value] triple", where, i);
		json_t *p = json_array_get(t, 0), *f = json_array_get(t, 1), *v = json_array_get(t, 2);
		if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) >= ntok)
			return BAD("%s: acts[%zu]: position out of range 0..%d", where, i, ntok - 1);
		if (!json_is_integer(f) || json_integer_value(f) < 0 ||
		    (b->fixed && json_integer_value(f) >= b->nfeat) || json_integer_value(f) > (1ll << 40))
			return BAD("%s: acts[%zu]: feature out of range%s", where, i,
				   b->fixed ? " (beyond --n-features / decoder rows)" : "");
		/* Features are dense 0..max: one hostile id must not claim
		 * gigabytes (about 200 bytes per feature) unless asked for. */
		if (!b->fixed && json_integer_value(f) >= BUILD_MAX_AUTO_FEATURES)
			return BAD("%s: acts[%zu]: feature %lld is beyond %lld (give --n-features for larger "
				   "dictionaries)", where, i, (long long)json_integer_value(f),
				   (long long)BUILD_MAX_AUTO_FEATURES - 1);
		if (!json_is_number(v))
			return BAD("%s: acts[%zu]: value is not a finite number", where, i);
		float val;
		const char *why;
		if (number_to_float(json_number_value(v), &val, &why) < 0)
			return BAD("%s: acts[%zu]: value %g is %s", where, i, json_number_value(v), why);
		if (val == 0)
			continue;
		(*acts)[n].pos = (int)json_integer_value(p);
		(*acts)[n].feat = json_integer_value(f);
		(*acts)[n].v = val;
		n++;
	}
	*nacts = n;
	*ntok_out = ntok;
	return 0;
}

static int read_records(builder *b, const char *path, int64_t *nrec_total, char *err, size_t errlen)
{
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return -1;
	progress_label(b->o->progress, "build: %s", path);
	const char *line;
	size_t len;
	act_triple *acts = NULL;
	int rc = 0;
	while ((line = input_line(in, &len))) {
		if (len == 0 || line[0] == '#')
			continue;
		char where[512];
		snprintf(where, sizeof where, "%s:%lld", path, (long long)input_lineno(in));
		int64_t na;
		int ntok;
		const char *source;
		json_t *root = NULL;
		if (parse_record(b, where, line, len, &acts, &na, &ntok, &source, &root, err, errlen) < 0) {
			json_decref(root);
			rc = -1;
			break;
		}
		int64_t rec = b->st.n;
		b->rid = build_rid(source, b->text.p ? b->text.p : "", b->text.len, b->off, ntok);
		if (stage_record(b, source, ntok, err, errlen) < 0) {
			json_decref(root);
			rc = -1;
			break;
		}
		json_decref(root);
		b->tokens += ntok;
		qsort(acts, (size_t)na, sizeof *acts, cmp_triple);
		if (ntok > b->densecap) {
			b->densecap = ntok * 2;
			b->dense = xrealloc(b->dense, sizeof(float) * (size_t)b->densecap);
			b->enc = xrealloc(b->enc, (size_t)b->densecap * 5 + 16);
		}
		for (int64_t i = 0; i < na;) {
			int64_t j = i, f = acts[i].feat;
			acc_grow(b, f + 1);
			feat_acc *a = &b->acc[f];
			memset(b->dense, 0, sizeof(float) * (size_t)ntok);
			float mx = -INFINITY;
			for (; j < na && acts[j].feat == f; j++) {
				float v = acts[j].v;
				b->dense[acts[j].pos] = v; /* a repeated position keeps the last */
				if (v > mx)
					mx = v;
				build_acc_value(a, v);
			}
			if (mx > a->max)
				a->max = mx;
			if (mx > 0)
				acc_offer(b, a, f, mx, ntok, rec);
			i = j;
		}
		(*nrec_total)++;
		if (progress_on(b->o->progress)) {
			int64_t sz = input_size(in);
			if (sz)
				progress_detail(b->o->progress, "%.0f%%", 100.0 * (double)input_pos(in) / (double)sz);
			progress_update(b->o->progress, *nrec_total, 0);
		}
	}
	if (rc == 0 && input_bad(in))
		rc = fs_seterr(err, errlen, "%s", input_bad(in));
	else if (rc == 0 && input_error(in))
		rc = fs_seterr(err, errlen, "%s: read error: %s", path, input_error(in));
	free(acts);
	input_close(in);
	return rc;
}

/* Write a staged record as a context; returns its id. */
static int64_t unstage(builder *b, fs_writer *w, int64_t rec, char **srcp, char *err, size_t errlen)
{
	if (b->o->merge) {
		fs_context c;
		if (build_merge_fetch(b->o->merge, rec, &c, err, errlen) != 0)
			return -1;
		int64_t id = index_writer_add_context(w, c.text, (size_t)c.len, c.tok_off, c.ntok, c.source);
		if (id < 0)
			build_io_err(err, errlen, "%s", index_writer_errmsg(w));
		if (srcp)
			*srcp = xstrdup(c.source ? c.source : "");
		index_context_free(&c);
		return id;
	}
	staging *s = &b->st;
	uint32_t hdr[3];
	if (fseeko(s->f, s->pos[rec], SEEK_SET) != 0 || fread(hdr, sizeof hdr, 1, s->f) != 1)
		return build_io_err(err, errlen, "staging file: read failed");
	char *text = xmalloc((size_t)hdr[0] + 1);
	uint32_t *off = xmalloc(sizeof(uint32_t) * ((size_t)hdr[1] + 1));
	char *src = xmalloc((size_t)hdr[2] + 1);
	int64_t id = -1;
	if ((hdr[0] == 0 || fread(text, hdr[0], 1, s->f) == 1) &&
	    fread(off, sizeof(uint32_t), (size_t)hdr[1] + 1, s->f) == (size_t)hdr[1] + 1 &&
	    (hdr[2] == 0 || fread(src, hdr[2], 1, s->f) == 1)) {
		src[hdr[2]] = 0;
		id = index_writer_add_context(w, text, hdr[0], off, (int)hdr[1], src);
		if (srcp)
			*srcp = xstrdup(src);
		if (id < 0)
			build_io_err(err, errlen, "%s", index_writer_errmsg(w));
	} else {
		build_io_err(err, errlen, "staging file: read failed");
	}
	free(text);
	free(off);
	free(src);
	return id;
}

/* A referenced record: its identity, number and context id. */
typedef struct {
	uint64_t rid;  /* identity (the order contexts are stored in) */
	int64_t rec;   /* record number */
	int64_t ctx;   /* context id once stored */
	char *src;     /* its own source (shard_state: a context stored once may
			  stand for windows of several documents) */
} ref_ent;

static int cmp_ref_rid(const void *x, const void *y)
{
	const ref_ent *a = x, *b = y;
	if (a->rid != b->rid)
		return a->rid < b->rid ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

static int cmp_ref_rec(const void *x, const void *y)
{
	const ref_ent *a = x, *b = y;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* Binary search of rec in the sorted referenced list. */
static int64_t ref_index(const int64_t *refs, int64_t n, int64_t rec)
{
	int64_t lo = 0, hi = n - 1;
	while (lo <= hi) {
		int64_t mid = (lo + hi) / 2;
		if (refs[mid] == rec)
			return mid;
		if (refs[mid] < rec)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Write one sample as example `rank` of its group, unless the group
 * already shows its context (the same window can occur twice in the
 * records; the index stores it once, so a feature would list it twice).
 * seen[0..*nseen) are the group's contexts so far. 1 written, 0 skipped,
 * -1 on error. */
static int write_sample(fs_writer *w, builder *b, int64_t fid, int grp, int rank,
			const sample *s, const int64_t *refs, const int64_t *ctx_of, int64_t nrefs,
			int64_t *seen, int *nseen, char *err, size_t errlen)
{
	int64_t r = ref_index(refs, nrefs, s->rec);
	if (r < 0)
		return fs_seterr(err, errlen, "internal: sample of an unstaged record");
	for (int i = 0; i < *nseen; i++)
		if (seen[i] == ctx_of[r])
			return 0;
	seen[(*nseen)++] = ctx_of[r];
	if (s->ntok > b->densecap) {
		b->densecap = s->ntok * 2;
		b->dense = xrealloc(b->dense, sizeof(float) * (size_t)b->densecap);
	}
	if (index_acts_decode(s->acts, s->nacts, b->dense, s->ntok) != 0)
		return fs_seterr(err, errlen, "internal: bad activation encoding");
	if (index_writer_add_example(w, fid, grp, rank, ctx_of[r], b->dense, s->ntok) < 0)
		return build_io_err(err, errlen, "%s", index_writer_errmsg(w));
	return 1;
}

/* Store a feature's accumulator for a later merge (shard_state), its
 * samples naming their contexts by id. 0, or -1 with a message. */
static int write_state(fs_writer *w, int64_t fid, const feat_acc *a, const int64_t *refs,
		       const int64_t *ctx_of, char *const *src_of, int64_t nrefs, char *err, size_t errlen)
{
	int n = a->ntop + a->nres;
	int64_t *ctx = xmalloc(sizeof *ctx * (size_t)(n + 1));
	const char **src = xmalloc(sizeof *src * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		int64_t r = ref_index(refs, nrefs, i < a->ntop ? a->top[i].rec : a->res[i - a->ntop].rec);
		ctx[i] = ctx_of[r];
		src[i] = src_of[r];
	}
	fs_buf blob = {0};
	build_state_encode(&blob, a, ctx, src);
	int r = index_writer_add_shard_state(w, fid, (const uint8_t *)blob.p, blob.len);
	free(ctx);
	free(src);
	buf_free(&blob);
	return r < 0 ? build_io_err(err, errlen, "%s", index_writer_errmsg(w)) : 0;
}

/* A dictionary's decoder kept for the geometry, which runs once over every
 * dictionary of a build (neighbours across dictionaries of one width). */
typedef struct {
	geom_dict d;        /* what geom_write reads (W, fids, labels owned here) */
	char **labels;      /* label copies [n] */
	fs_build_opts *o;   /* its options */
} pending_geom;

/* Build one dictionary into *wp (created on first use, after the records
 * read cleanly). Its decoder, if any, is appended to pg for the geometry.
 * 0 on success; -1 with a message (the writer is then aborted and *wp set
 * to NULL). */
static int build_one(fs_writer **wp, fs_build_opts *o, char **inputs, int ninputs, int first,
		     pending_geom *pg, int *npg, int64_t **fids_out, int64_t *nfeat_out, char *err,
		     size_t errlen)
{
	builder b;
	memset(&b, 0, sizeof b);
	b.o = o;
	double t0 = fs_now();
	int rc = -1;
	fs_writer *w = *wp;
	fs_tensor dec = {0};
	char **labels = NULL, **lsrc = NULL, **ldesc = NULL;
	int64_t *refs = NULL, *ctx_of = NULL, *fids = NULL, *seen = NULL;
	char **src_of = NULL;
	int64_t nrefs = 0, nlabels = 0;

	if (o->decoder_rows) {
		dec.ndim = 2;
		dec.shape[0] = o->decoder_n;
		dec.shape[1] = o->decoder_d;
		dec.data = xmalloc((size_t)(o->decoder_n * o->decoder_d) * sizeof(float));
		memcpy(dec.data, o->decoder_rows, (size_t)(o->decoder_n * o->decoder_d) * sizeof(float));
		o->n_features = o->decoder_n;
	} else if (o->decoder) {
		if (tensor_load(o->decoder, NULL, &dec, err, errlen) != 0)
			goto out;
		if (dec.ndim != 2) {
			fs_seterr(err, errlen, "%s: shape: expected a 2D [n_features, d_model] matrix", o->decoder);
			goto out;
		}
		if (o->n_features && o->n_features != dec.shape[0]) {
			fs_seterr(err, errlen, "%s: shape: %lld rows but --n-features is %lld", o->decoder,
				  (long long)dec.shape[0], (long long)o->n_features);
			goto out;
		}
		o->n_features = dec.shape[0];
	}
	if (o->n_features) {
		acc_grow(&b, o->n_features);
		b.nfeat = o->n_features;
		b.fixed = 1;
	}
	b.st.f = tmpfile();
	if (!b.st.f) {
		build_io_err(err, errlen, "cannot create a staging file: %s", strerror(errno));
		goto out;
	}
	int64_t nrec = 0;
	progress_start(o->progress, "records", "build");
	if (o->merge && build_merge_collect(&b, err, errlen) != 0)
		goto out;
	for (int i = 0; i < ninputs && !o->merge; i++)
		if (read_records(&b, inputs[i], &nrec, err, errlen) < 0)
			goto out;
	progress_label(o->progress, "build");
	progress_detail(o->progress, "%lld tokens", (long long)b.tokens);
	progress_end(o->progress, nrec);
	int64_t nfeat = b.fixed ? o->n_features : 0;
	if (!b.fixed)
		for (int64_t f = 0; f < b.nfeat; f++)
			if (b.acc[f].fires || b.acc[f].ntop)
				nfeat = f + 1;
	if (o->labels) {
		nlabels = nfeat ? nfeat : 1;
		if (build_read_labels(o->labels, nlabels, &labels, &lsrc, &ldesc, err, errlen) < 0)
			goto out;
	}

	if (!w) {
		w = index_writer_create(o->out, err, errlen);
		if (!w) {
			/* a path that cannot be created is a usage error; a file
			 * that cannot be written (disk full) a write error */
			if (errno == EIO || errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
				build_io_failed = 1;
			goto out;
		}
		*wp = w;
	}
	fs_sae sae = {0, (char *)o->sae_name, (char *)(o->model ? o->model : ""),
		      (char *)(o->hook ? o->hook : ""), o->layer, dec.data ? (int)dec.shape[1] : 0,
		      nfeat, (char *)"native"};
	int sid = index_writer_add_sae(w, &sae);
	if (sid < 0) {
		build_io_err(err, errlen, "%s", index_writer_errmsg(w));
		goto out;
	}
	if (first) /* dictionaries of one build read the same contexts */
		index_writer_count_tokens(w, b.tokens);
	fids = xmalloc(sizeof *fids * (size_t)(nfeat ? nfeat : 1));
	for (int64_t f = 0; f < nfeat; f++) {
		feat_acc *a = &b.acc[f];
		fs_feature ft;
		memset(&ft, 0, sizeof ft);
		ft.sae = sid;
		ft.idx = f;
		ft.label = labels && labels[f] ? labels[f] : "";
		ft.label_source = labels && labels[f] ? lsrc[f] : "";
		ft.density = b.tokens ? (double)a->fires / (double)b.tokens : 0;
		ft.max_act = a->max;
		ft.mean_act = a->fires ? ldexp((double)a->sum, -BUILD_SUM_SHIFT) / (double)a->fires : 0;
		ft.map_x = ft.map_y = NAN;
		ft.hist_lo = 0;
		ft.hist_hi = a->hist_hi;
		memcpy(ft.hist, a->hist, sizeof ft.hist);
		fids[f] = index_writer_add_feature(w, &ft);
		if (fids[f] < 0 ||
		    (ldesc && ldesc[f] && index_writer_set_description(w, fids[f], ldesc[f]) < 0)) {
			build_io_err(err, errlen, "%s", index_writer_errmsg(w));
			goto out;
		}
	}

	/* Contexts: only the records some feature kept, each stored once, in
	 * the order of their identities (build_int.h): the same ids whether
	 * the records came in one build or from merged shards. */
	int64_t cap = 0;
	ref_ent *re = NULL;
	for (int64_t f = 0; f < nfeat; f++) {
		feat_acc *a = &b.acc[f];
		if (nrefs + a->ntop + a->nres > cap) {
			cap = (nrefs + a->ntop + a->nres) * 2 + 1024;
			re = xrealloc(re, sizeof *re * (size_t)cap);
		}
		for (int i = 0; i < a->ntop; i++)
			re[nrefs++] = (ref_ent){a->top[i].rid, a->top[i].rec, -1, NULL};
		for (int i = 0; i < a->nres; i++)
			re[nrefs++] = (ref_ent){a->res[i].rid, a->res[i].rec, -1, NULL};
	}
	if (nrefs)
		qsort(re, (size_t)nrefs, sizeof *re, cmp_ref_rid);
	int64_t u = 0;
	for (int64_t i = 0; i < nrefs; i++)
		if (i == 0 || re[i].rec != re[u - 1].rec)
			re[u++] = re[i];
	nrefs = u;
	refs = xmalloc(sizeof *refs * (size_t)(nrefs ? nrefs : 1));
	ctx_of = xmalloc(sizeof *ctx_of * (size_t)(nrefs ? nrefs : 1));
	if (nrefs)
		progress_start(o->progress, "contexts", "build: contexts");
	for (int64_t i = 0; i < nrefs; i++) {
		re[i].ctx = unstage(&b, w, re[i].rec, o->shard_state ? &re[i].src : NULL, err, errlen);
		if (re[i].ctx < 0) {
			for (int64_t j = 0; j <= i; j++)
				free(re[j].src);
			free(re);
			goto out;
		}
		progress_update(o->progress, i + 1, nrefs);
	}
	if (nrefs)
		progress_end(o->progress, nrefs);
	/* looked up by record from here on */
	if (nrefs)
		qsort(re, (size_t)nrefs, sizeof *re, cmp_ref_rec);
	if (o->shard_state)
		src_of = xcalloc((size_t)(nrefs ? nrefs : 1), sizeof *src_of);
	for (int64_t i = 0; i < nrefs; i++) {
		refs[i] = re[i].rec;
		ctx_of[i] = re[i].ctx;
		if (src_of)
			src_of[i] = re[i].src;
	}
	free(re);

	/* Examples: top-k (group 0), then quantile intervals of [0, max]. */
	int seencap = o->top_k > o->per_interval ? o->top_k : o->per_interval;
	if (o->n_random > seencap)
		seencap = o->n_random;
	seen = xmalloc(sizeof *seen * (size_t)(seencap > 0 ? seencap : 1));
	for (int64_t f = 0; f < nfeat; f++) {
		feat_acc *a = &b.acc[f];
		if (o->shard_state && write_state(w, fids[f], a, refs, ctx_of, src_of, nrefs, err, errlen) != 0)
			goto out;
		if (a->ntop > 1)
			qsort(a->top, (size_t)a->ntop, sizeof *a->top, build_cmp_sample_desc);
		int nseen = 0, top_rank = 0;
		for (int i = 0; i < a->ntop; i++) {
			int k = write_sample(w, &b, fids[f], 0, top_rank, &a->top[i], refs, ctx_of, nrefs,
					     seen, &nseen, err, errlen);
			if (k < 0)
				goto out;
			top_rank += k;
		}
		if (!a->nres || !(a->max > 0))
			continue;
		/* Random positive samples first: the n_random smallest keys of
		 * the reservoir, itself the smallest keys of the records where
		 * the feature fires, so a uniform sample of those records. */
		if (o->n_random > 0) {
			qsort(a->res, (size_t)a->nres, sizeof *a->res, build_cmp_sample_key);
			int nr = o->n_random < a->nres ? o->n_random : a->nres, rank = 0;
			nseen = 0;
			for (int i = 0; i < nr; i++) {
				int k = write_sample(w, &b, fids[f], FS_GRP_RANDOM, rank, &a->res[i], refs, ctx_of,
						     nrefs, seen, &nseen, err, errlen);
				if (k < 0)
					goto out;
				rank += k;
			}
		}
		qsort(a->res, (size_t)a->nres, sizeof *a->res, build_cmp_sample_desc);
		int ni = o->n_intervals;
		for (int g = 1; g <= ni; g++) {
			fs_interval iv = {g, a->max * (float)(g - 1) / (float)ni, a->max * (float)g / (float)ni, -1};
			int rank = 0, inside = 0;
			nseen = 0;
			for (int i = a->nres - 1; i >= 0; i--) {
				float m = a->res[i].max;
				if (m < iv.lo || (m >= iv.hi && g < ni) || m > iv.hi)
					continue;
				inside++;
				if (rank < o->per_interval) {
					int k = write_sample(w, &b, fids[f], g, rank, &a->res[i], refs, ctx_of,
							     nrefs, seen, &nseen, err, errlen);
					if (k < 0)
						goto out;
					rank += k;
				}
			}
			iv.frac = (float)inside / (float)a->nres;
			if (index_writer_add_interval(w, fids[f], &iv) < 0) {
				build_io_err(err, errlen, "%s", index_writer_errmsg(w));
				goto out;
			}
		}
	}
	if (o->merge && build_merge_logits(o->merge, w, fids, nfeat, err, errlen) != 0)
		goto out;
	if (dec.data && o->unembed &&
	    build_write_logits(w, fids, &dec, o->unembed, o->vocab, o->progress, err, errlen) < 0)
		goto out;
	/* the decoder rows themselves, for featscope compare and family */
	if (dec.data && index_writer_add_decoder(w, sid, dec.data, dec.shape[0], (int)dec.shape[1]) < 0) {
		build_io_err(err, errlen, "%s", index_writer_errmsg(w));
		goto out;
	}
	if (dec.data && o->knn_k > 0) {
		/* keep the decoder for the geometry of the whole build */
		pending_geom *p = &pg[(*npg)++];
		size_t n = (size_t)dec.shape[0] * (size_t)dec.shape[1];
		float *W = xmalloc(sizeof *W * (n ? n : 1));
		memcpy(W, dec.data, sizeof *W * n);
		int64_t *fc = xmalloc(sizeof *fc * (size_t)(nfeat ? nfeat : 1));
		memcpy(fc, fids, sizeof *fc * (size_t)nfeat);
		p->labels = NULL;
		if (labels) {
			p->labels = xcalloc((size_t)nfeat, sizeof(char *));
			for (int64_t f = 0; f < nfeat; f++)
				p->labels[f] = labels[f] ? xstrdup(labels[f]) : NULL;
		}
		p->o = o;
		p->d = (geom_dict){sid, o->sae_name, fc, W, dec.shape[0], (int)dec.shape[1],
				   (const char *const *)p->labels};
	}
	rc = 0;
	if (fids_out) {
		*fids_out = fids;
		*nfeat_out = nfeat;
		fids = NULL;
	}
	progress_note(o->progress, "build: %s: %lld features, %lld contexts in %.1fs", o->sae_name,
		      (long long)nfeat, (long long)nrefs, fs_now() - t0);
out:
	if (rc != 0 && w && w != o->into) {
		index_writer_abort(w);
		*wp = NULL;
	}
	for (int64_t f = 0; f < b.nfeat; f++) {
		for (int i = 0; i < b.acc[f].ntop; i++)
			build_sample_free(&b.acc[f].top[i]);
		for (int i = 0; i < b.acc[f].nres; i++)
			build_sample_free(&b.acc[f].res[i]);
		free(b.acc[f].top);
		free(b.acc[f].res);
	}
	if (labels) {
		for (int64_t f = 0; f < nlabels; f++) {
			free(labels[f]);
			free(lsrc[f]);
			free(ldesc[f]);
		}
		free(labels);
		free(lsrc);
		free(ldesc);
	}
	free(b.acc);
	if (b.st.f)
		fclose(b.st.f);
	free(b.st.pos);
	buf_free(&b.text);
	free(b.off);
	free(b.dense);
	free(b.enc);
	for (int64_t i = 0; src_of && i < nrefs; i++)
		free(src_of[i]);
	free(src_of);
	free(refs);
	free(ctx_of);
	free(seen);
	free(fids);
	tensor_free(&dec);
	return rc;
}

int build_failed_on_io(void)
{
	return build_io_failed;
}

static void pending_free(pending_geom *p)
{
	if (p->labels)
		for (int64_t f = 0; f < p->d.n; f++)
			free(p->labels[f]);
	free(p->labels);
	free((void *)p->d.W);
	free((void *)p->d.fids);
}

int build_run_multi(fs_build_opts *o, int nd, char ***inputs, const int *ninputs, char *err,
		    size_t errlen)
{
	double t0 = fs_now();
	/* harvest adds its dictionaries to a writer of its own (o->into):
	 * then the caller finishes it */
	fs_writer *w = o[0].into;
	pending_geom *pg = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *pg);
	geom_dict *gd = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *gd);
	int npg = 0, rc = -1;
	/* the co-firing file is read first: a bad line stops the build early */
	build_cofire_line *cof = NULL;
	int64_t ncof = 0;
	int64_t **fids = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *fids);
	int64_t *nfeat = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *nfeat);
	const char **names = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *names);
	for (int i = 0; i < nd; i++)
		names[i] = o[i].sae_name;
	if (o[0].cofire && build_read_cofire(o[0].cofire, names, nd, &cof, &ncof, err, errlen) != 0)
		goto out;
	for (int i = 0; i < nd; i++) {
		o[i].out = o[0].out;
		if (build_one(&w, &o[i], inputs[i], ninputs[i], i == 0, pg, &npg, &fids[i], &nfeat[i], err,
			      errlen) != 0)
			goto out;
	}
	if (o[0].cofire) {
		progress_note(o[0].progress, "build: co-firing counts: %lld lines", (long long)ncof);
		if (build_write_cofire(w, o[0].cofire, cof, ncof, fids, nfeat, nd, err, errlen) != 0)
			goto out;
	}
	if (npg > 0) {
		geom_opts g;
		geom_opts_init(&g);
		g.k = pg[0].o->knn_k;
		g.k_across = pg[0].o->knn_across;
		g.progress = o[0].progress;
		for (int i = 0; i < npg; i++)
			gd[i] = pg[i].d;
		if (geom_write(w, gd, npg, &g, err, errlen) != 0)
			goto out;
	}
	if (o[0].into) {
		rc = 0;
		w = NULL;
		goto out;
	}
	progress_note(o[0].progress, "build: writing indexes and full-text tables");
	rc = index_writer_finish(w, err, errlen);
	if (rc != 0)
		build_io_failed = 1;
	w = NULL;
	if (rc == 0)
		progress_note(o[0].progress, "build: %s: %d dictionar%s in %.1fs", o[0].out, nd,
			      nd == 1 ? "y" : "ies", fs_now() - t0);
out:
	if (w && w != o[0].into)
		index_writer_abort(w);
	for (int i = 0; i < npg; i++)
		pending_free(&pg[i]);
	free(pg);
	free(gd);
	for (int i = 0; i < nd; i++)
		free(fids[i]);
	free(fids);
	free(nfeat);
	free(names);
	free(cof);
	return rc;
}

int build_run(fs_build_opts *o, char **inputs, int ninputs, char *err, size_t errlen)
{
	return build_run_multi(o, 1, &inputs, &ninputs, err, errlen);
}

/* ---- rel: fuzzing entry ---- */

/* Parse one record line as read_records does (tests/fuzz/fuzz-jsonl.c). */
int build_parse_line(const char *line, size_t len, int64_t n_features, char *err, size_t errlen)
{
	fs_build_opts o;
	build_opts_init(&o);
	o.progress = NULL;
	builder b;
	memset(&b, 0, sizeof b);
	b.o = &o;
	if (n_features > 0) {
		b.nfeat = n_features;
		b.fixed = 1;
	}
	act_triple *acts = NULL;
	int64_t na = 0;
	int ntok = 0;
	const char *source = NULL;
	json_t *root = NULL;
	int rc = parse_record(&b, "fuzz:1", line, len, &acts, &na, &ntok, &source, &root, err, errlen);
	json_decref(root);
	free(acts);
	buf_free(&b.text);
	free(b.off);
	return rc;
}

/*
 * import.c: the importers' front door: the reader table (IMP_READERS in
 * import.h), names and aliases, detection of an input's format by its
 * content and shape, the dispatch of one input to its reader, the
 * geometry step over every input's decoders, and the `featscope build`
 * form that imports. The readers (read_*.c) and the toolkit they share
 * (toolkit.c, np_rows.c, json_scan.c) never call back into this file.
 */
#include "import/import_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/util.h"
#include "geom/geom.h"

#define IMP_ENTRY(n, name) &imp_reader_##n,
static const imp_reader *const readers[] = {IMP_READERS(IMP_ENTRY)};
#undef IMP_ENTRY
#define N_READERS ((int)(sizeof readers / sizeof readers[0]))

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
	o->jobs = 1;
}

int import_format_parse(const char *name)
{
	if (!name)
		return IMPORT_NONE;
	for (int i = 0; i < N_READERS; i++)
		if (!strcmp(name, readers[i]->name) || (readers[i]->alias && !strcmp(name, readers[i]->alias)))
			return i + 1;
	if (!strcmp(name, "sae-viewer") || !strcmp(name, "openai-sae"))
		return import_format_parse("openai");
	return IMPORT_NONE;
}

const char *import_format_name(int format)
{
	return format > 0 && format <= N_READERS ? readers[format - 1]->name : "unknown";
}

const char *import_format_list(void)
{
	static char list[256];
	if (!list[0]) {
		size_t at = 0;
		for (int i = 0; i < N_READERS && at < sizeof list; i++)
			at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", readers[i]->name);
	}
	return list;
}

/* ------------------------------------------------------------ detection */

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Bytes of a file looked at to recognise it. */
#define SNIFF_BYTES (1 << 20)

/* Fill s for path: a folder, or a file's first bytes and JSON shape. */
static void sniff_open(imp_sniff *s, const char *path)
{
	memset(s, 0, sizeof *s);
	s->path = path;
	const char *b = strrchr(path, '/');
	s->base = b ? b + 1 : path;
	s->is_dir = is_dir(path);
	s->head = "";
	if (s->is_dir)
		return;
	char *buf = xmalloc(SNIFF_BYTES + 1);
	int got = 0;
	gzFile gz = gzopen(path, "rb");
	if (gz) {
		got = gzread(gz, buf, SNIFF_BYTES);
		gzclose(gz);
	}
	if (got < 0)
		got = 0;
	buf[got] = 0;
	s->head = buf;
	s->n = (size_t)got;
	imp_sniff_json(s);
}

static void sniff_close(imp_sniff *s)
{
	if (!s->is_dir)
		free((char *)s->head);
	imp_sniff_free(s);
}

/* The best reader for s: its format number, 0 when none; *tie counts
 * readers with the same score. */
static int sniff_best(const imp_sniff *s, int *score, int *tie)
{
	int best = 0, bs = 0;
	*tie = 0;
	for (int i = 0; i < N_READERS; i++) {
		int k = readers[i]->sniff(s);
		if (k > bs) {
			bs = k;
			best = i + 1;
			*tie = 0;
		} else if (k && k == bs) {
			(*tie)++;
		}
	}
	*score = bs;
	return best;
}

/* Formats featscope knows but does not import: recognised by their
 * top-level keys, so that the message names them. */
static int sniff_graph(const imp_sniff *s)
{
	return imp_sniff_has(s, "nodes") && imp_sniff_has(s, "links") &&
	       (imp_sniff_has(s, "metadata") || imp_sniff_has(s, "qParams"));
}

static int sniff_prompt(const imp_sniff *s)
{
	return !imp_sniff_has(s, "feature_data_dict") &&
	       (imp_sniff_has(s, "prompt_data") || imp_sniff_has(s, "prompt_data_dict"));
}

static int sniff_run_settings(const imp_sniff *s)
{
	return !imp_sniff_has(s, "features") &&
	       (imp_sniff_has(s, "sae_set") || imp_sniff_has(s, "sae_path") || imp_sniff_has(s, "np_set_name")) &&
	       (imp_sniff_has(s, "n_prompts_total") || imp_sniff_has(s, "n_features_at_a_time") ||
		imp_sniff_has(s, "huggingface_dataset_path"));
}

static const struct {
	const char *what;                 /* what the file is */
	int (*sniff)(const imp_sniff *s); /* true when it is that */
} unsupported[] = {
	{"a circuit-tracer / Neuronpedia attribution graph", sniff_graph},
	{"sae_vis prompt-centric data", sniff_prompt},
	{"an SAEDashboard run_settings.json (the batches beside it hold the features)", sniff_run_settings},
};

/* The unsupported format s is, or NULL. */
static const char *sniff_unsupported(const imp_sniff *s)
{
	if (s->is_dir || s->top != '{')
		return NULL;
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if (unsupported[i].sniff(s))
			return unsupported[i].what;
	return NULL;
}

/* The native builder's JSON Lines records (src/build): a first line that
 * is a whole object with a record's fields. */
static int is_native(const imp_sniff *s)
{
	/* a first line longer than what was looked at counts as one line */
	int one_line = s->line1_object || !memchr(s->head, '\n', s->n);
	return one_line && (imp_sniff_has(s, "tokens") || imp_sniff_has(s, "text") || imp_sniff_has(s, "acts") ||
			    imp_sniff_has(s, "offsets"));
}

int import_takes(const char *path)
{
	imp_sniff s;
	sniff_open(&s, path);
	int score, tie;
	int f = sniff_best(&s, &score, &tie);
	if (!f && !is_native(&s) && (sniff_unsupported(&s) || s.json_doc))
		f = -1;
	sniff_close(&s);
	return f != 0;
}

/* "a JSON object with keys a, b, c" (the first few), for messages. */
static void describe(const imp_sniff *s, fs_buf *b)
{
	if (s->top == '{') {
		buf_printf(b, "a JSON object with keys ");
		for (int i = 0; i < s->nkeys && i < 6; i++)
			buf_printf(b, "%s\"%s\"", i ? ", " : "", fs_msg_clean(s->keys[i]));
		if (s->nkeys > 6)
			buf_printf(b, ", ...");
		if (!s->nkeys)
			buf_printf(b, "(none)");
	} else if (s->top == '[') {
		buf_printf(b, "a JSON array");
	} else if (s->n == 0) {
		buf_printf(b, "an empty file");
	} else {
		buf_printf(b, "not JSON");
	}
}

int import_detect(const char *path, char *err, size_t errlen)
{
	struct stat stt;
	if (stat(path, &stt) != 0)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno)), IMPORT_NONE;
	imp_sniff s;
	sniff_open(&s, path);
	int score, tie;
	int f = sniff_best(&s, &score, &tie);
	if (f && tie) {
		fs_buf names = {0};
		int n = 0;
		for (int i = 0; i < N_READERS; i++)
			if (readers[i]->sniff(&s) == score)
				buf_printf(&names, "%s%s", n++ ? " or " : "", readers[i]->name);
		fs_seterr(err, errlen, "%s: format: ambiguous (%s); name it with --from", path, names.p);
		buf_free(&names);
		f = IMPORT_NONE;
	} else if (!f && !s.is_dir && sniff_unsupported(&s)) {
		fs_seterr(err, errlen, "%s: this is %s, which featscope does not import (it imports: %s)", path,
			  sniff_unsupported(&s), import_format_list());
	} else if (!f) {
		fs_buf b = {0};
		if (s.is_dir) {
			buf_printf(&b, "%s: format: folder not recognised; expected ", path);
			for (int i = 0; i < N_READERS; i++)
				buf_printf(&b, "%s%s", i ? ", or " : "", readers[i]->expect);
			buf_printf(&b, "; name it with --from (%s)", import_format_list());
		} else {
			buf_printf(&b, "%s: format: not recognised (", path);
			describe(&s, &b);
			buf_printf(&b, "); expected ");
			for (int i = 0, k = 0; i < N_READERS; i++)
				if (readers[i]->sniff != NULL)
					buf_printf(&b, "%s%s", k++ ? ", or " : "", readers[i]->expect);
			buf_printf(&b, "; name it with --from (%s)", import_format_list());
		}
		fs_seterr(err, errlen, "%s", b.p);
		buf_free(&b);
	}
	sniff_close(&s);
	return f;
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
	st.path = path;
	st.o = o;
	st.err = err;
	st.errlen = errlen;
	st.t0 = fs_now();
	st.ex_idx = -1;
	st.max_idx = -1;
	st.hist_idx = -1;
	progress_start(o->progress, "", "featscope: %s", path);
	if (o->vocab && import_vocab_load(o->vocab, &st.vocab, err, errlen) != 0)
		return FS_EXIT_USAGE;
	int rc = readers[f - 1]->read(&st, path);
	if (rc == 0 && st.n_features == 0)
		rc = fs_seterr(err, errlen, "%s: features: none found (read as %s: %s)", path, readers[f - 1]->name,
			       readers[f - 1]->expect);
	if (rc == 0)
		rc = imp_finish(&st);
	if (rc == 0)
		progress_note(o->progress, "featscope: %s: %lld features, %lld examples in %.1fs", path,
			      (long long)st.n_features, (long long)st.n_examples, fs_now() - st.t0);
	imp_state_free(&st);
	if (rc != 0)
		return st.runtime ? FS_EXIT_ERR : FS_EXIT_USAGE;
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------- geometry */

int import_geometry(fs_writer *w, import_decoders *dd, fs_progress *progress, char *err, size_t errlen)
{
	if (!dd || dd->n == 0)
		return 0;
	/* the rows themselves first, as the native builder stores them, so
	 * that compare and family work on an imported dictionary */
	for (int i = 0; i < dd->n; i++)
		if (index_writer_add_decoder(w, dd->v[i].sae, dd->v[i].W, dd->v[i].rows, dd->v[i].d) < 0)
			return fs_seterr(err, errlen, "decoder of '%s': %s", dd->v[i].name, index_writer_errmsg(w));
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

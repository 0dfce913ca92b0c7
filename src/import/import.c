/*
 * import.c: the importers' front door: the reader table (IMP_READERS in
 * import_int.h), names and aliases, detection of an input's format by its
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

#define IMP_ENTRY(n) &imp_reader_##n,
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

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
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
	return s->line1_object && (imp_sniff_has(s, "tokens") || imp_sniff_has(s, "text") ||
				   imp_sniff_has(s, "acts") || imp_sniff_has(s, "offsets"));
}

/* For import_wanted: true when a file is one the importers should take:
 * a known format, a known one they refuse, or a JSON document that is not
 * the native builder's records (the importers say what they expected). */
static int detect_file(const char *path)
{
	imp_sniff s;
	sniff_open(&s, path);
	int score, tie;
	int f = sniff_best(&s, &score, &tie);
	if (!f && !is_native(&s) && (sniff_unsupported(&s) || s.json_doc))
		f = -1;
	sniff_close(&s);
	return f;
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
	if (o->vocab && imp_vocab_load(o->vocab, &st.vocab, err, errlen) != 0)
		return FS_EXIT_USAGE;
	int rc = readers[f - 1]->read(&st, path);
	if (rc == 0 && st.n_features == 0)
		rc = fs_seterr(err, errlen, "%s: features: none found (read as %s: %s)", path, readers[f - 1]->name,
			       readers[f - 1]->expect);
	if (rc == 0)
		rc = imp_finish(&st);
	if (rc == 0 && o->progress)
		fprintf(stderr, "\rfeatscope: %s: %lld features, %lld examples in %.1fs%20s\n", path,
			(long long)st.n_features, (long long)st.n_examples, fs_now() - st.t0, "");
	imp_state_free(&st);
	if (rc != 0)
		return st.runtime ? FS_EXIT_ERR : FS_EXIT_USAGE;
	return FS_EXIT_OK;
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

/* ------------------------------------------------------------- command */

/* Options of `featscope build` that take a value (to find the inputs). */
static const char *const value_opts[] = {
	"-o", "--output", "--sae", "--model", "--hook", "--layer", "--n-features", "--top-k",
	"--intervals", "--per-interval", "--decoder", "--labels", "--unembed", "--vocab",
	"--neighbours", "--from", "--tokens", NULL,
};

static int takes_value(const char *a)
{
	for (int i = 0; value_opts[i]; i++)
		if (!strcmp(a, value_opts[i]))
			return 1;
	return 0;
}

int import_wanted(int argc, char **argv)
{
	int first = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--from") || !strncmp(a, "--from=", 7))
			return 1;
		if (!strcmp(a, "--")) {
			first = 0;
			continue;
		}
		if (a[0] == '-' && a[1] && first) {
			if (takes_value(a))
				i++;
			continue;
		}
		/* the first input decides: a folder or a file of a known format */
		if (is_dir(a))
			return 1;
		return is_file(a) && detect_file(a) != IMPORT_NONE;
	}
	return 0;
}

/* One input and the options in force where it appeared. */
typedef struct {
	const char *path;     /* file or folder */
	const char *from;     /* format name, NULL to detect */
	import_opts o;        /* its options */
} imp_input;

static void import_usage(FILE *f)
{
	fprintf(f,
		"usage: featscope build -o OUT.sqlite [--from FORMAT] [--sae NAME] INPUT [[--sae NAME] INPUT]...\n"
		"  Imports what other tools wrote; each INPUT becomes one dictionary.\n"
		"  FORMAT: %s (guessed from the input when left out).\n"
		"  Options apply to the inputs after them (after the only input, to it):\n"
		"      --from FORMAT      input format\n"
		"      --sae NAME         dictionary name (default: from the input)\n"
		"      --model NAME, --hook NAME, --layer N   override the input's metadata\n"
		"      --vocab FILE       tokenizer.json or token-per-line list (sae_vis, delphi)\n"
		"      --tokens MODE      token spelling: auto, plain, bytelevel, sentencepiece\n"
		"      --top-k N          examples per feature built from caches (delphi, openai; 20)\n"
		"      --intervals N, --per-interval N   quantile groups for delphi (5, 3)\n"
		"      --progress / --no-progress\n",
		import_format_list());
}

int import_cmd(int argc, char **argv)
{
	const char *out = NULL;
	import_opts cur;
	import_opts_init(&cur);
	cur.progress = fs_stderr_tty();
	const char *from = NULL;
	import_decoders decs = {0};
	cur.decoders = &decs;
	imp_input *in = xcalloc((size_t)argc, sizeof *in);
	int nin = 0, trailing = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const char *val = NULL;
		char *eq = NULL;
		if (a[0] == '-' && a[1] == '-' && (eq = strchr(a, '='))) {
			*eq = 0;
			val = eq + 1;
		}
		if (a[0] == '-' && a[1] && strcmp(a, "-")) {
			if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
				import_usage(stdout);
				free(in);
				return FS_EXIT_OK;
			}
			if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
				cur.progress = a[2] == 'p';
				for (int k = 0; k < nin; k++)
					in[k].o.progress = cur.progress;
				continue;
			}
			if (!strncmp(a, "-o", 2) && a[2]) {
				out = a + 2;
				continue;
			}
			if (!takes_value(a)) {
				fs_warn("build: %s: unknown option for importing", a);
				import_usage(stderr);
				free(in);
				return FS_EXIT_USAGE;
			}
			if (!val) {
				if (i + 1 >= argc) {
					fs_warn("build: %s: needs a value", a);
					free(in);
					return FS_EXIT_USAGE;
				}
				val = argv[++i];
			}
			int64_t n = 0;
			int numeric = !strcmp(a, "--layer") || !strcmp(a, "--top-k") ||
				      !strcmp(a, "--intervals") || !strcmp(a, "--per-interval");
			if (numeric && (parse_i64(val, &n) != 0 || n < (strcmp(a, "--layer") ? 0 : -1) || n > 100000)) {
				fs_warn("build: %s: expected an integer, got '%s'", a, val);
				free(in);
				return FS_EXIT_USAGE;
			}
			if (!strcmp(a, "-o") || !strcmp(a, "--output"))
				out = val;
			else if (!strcmp(a, "--from")) {
				if (strcmp(val, "auto") && import_format_parse(val) == IMPORT_NONE) {
					fs_warn("build: --from: unknown format '%s' (%s)", val, import_format_list());
					free(in);
					return FS_EXIT_USAGE;
				}
				from = val;
			} else if (!strcmp(a, "--tokens")) {
				int m = tok_mode_parse(val);
				if (m < 0) {
					fs_warn("build: --tokens: unknown spelling '%s' (auto, plain, bytelevel, sentencepiece)", val);
					free(in);
					return FS_EXIT_USAGE;
				}
				cur.tok_mode = m;
			} else if (!strcmp(a, "--sae"))
				cur.sae_name = val;
			else if (!strcmp(a, "--vocab"))
				cur.vocab = val;
			else if (!strcmp(a, "--model"))
				cur.model = val;
			else if (!strcmp(a, "--hook"))
				cur.hook = val;
			else if (!strcmp(a, "--layer"))
				cur.layer = (int)n;
			else if (!strcmp(a, "--top-k"))
				cur.top_k = (int)n;
			else if (!strcmp(a, "--intervals"))
				cur.n_intervals = (int)n;
			else if (!strcmp(a, "--per-interval"))
				cur.per_interval = (int)n;
			else {
				fs_warn("build: %s: not available when importing other formats", a);
				free(in);
				return FS_EXIT_USAGE;
			}
			trailing = 1;
			continue;
		}
		in[nin].path = a;
		in[nin].from = from;
		in[nin].o = cur;
		nin++;
		/* a name belongs to one input; the other options carry on */
		cur.sae_name = NULL;
		trailing = 0;
	}
	if (nin == 1 && trailing) {
		/* options after the only input apply to it */
		const char *keep = in[0].o.sae_name;
		in[0].o = cur;
		if (!cur.sae_name)
			in[0].o.sae_name = keep;
		in[0].from = from;
	} else if (trailing && cur.sae_name) {
		fs_warn("build: --sae %s: after the last input; put it before the input it names", cur.sae_name);
		free(in);
		return FS_EXIT_USAGE;
	}
	if (!out || !nin) {
		fs_warn("build: %s", !out ? "-o OUT.sqlite is required" : "no input");
		import_usage(stderr);
		free(in);
		return FS_EXIT_USAGE;
	}
	char err[1024] = "";
	fs_writer *w = writer_create(out, err, sizeof err);
	if (!w) {
		fs_warn("%s", err);
		free(in);
		return FS_EXIT_ERR;
	}
	for (int i = 0; i < nin; i++) {
		int rc = import_run(w, in[i].from, in[i].path, &in[i].o, err, sizeof err);
		if (rc != FS_EXIT_OK) {
			if (cur.progress)
				fputc('\n', stderr);
			writer_abort(w);
			fs_warn("%s", err);
			free(in);
			import_decoders_free(&decs);
			return rc;
		}
	}
	free(in);
	int grc = import_geometry(w, &decs, cur.progress, err, sizeof err);
	import_decoders_free(&decs);
	if (grc != 0) {
		writer_abort(w);
		fs_warn("%s", err);
		return FS_EXIT_ERR;
	}
	if (cur.progress)
		fprintf(stderr, "featscope: writing indexes and full-text tables\n");
	if (writer_finish(w, err, sizeof err) != 0) {
		fs_warn("%s", err);
		return FS_EXIT_ERR;
	}
	return FS_EXIT_OK;
}

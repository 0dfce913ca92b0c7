/*
 * cli_build.c: the `build` subcommand, the command-line face of the native
 * builder (build/build.h) and of the importers (import/import.h). One
 * option spec serves both: native records are built with every option at
 * once; other tools' files (a --from option, or a first input that is a
 * folder or a file of a known format) are imported one input at a time,
 * each with the options given before it.
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/input.h"
#include "build/build.h"
#include "tok/tokens.h"
#include "core/util.h"
#include "import/import.h"
#include "index/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* build's options, one row each: the enum B_* and build_opts_spec are made from it (CLI_OPTIONS). */
#define BUILD_OPTS(X) \
	X(B_OUT, "output", 'o', OPT_STR, "FILE", 0, 0, "index to write (built in a temporary file, renamed at the end)") \
	X(B_SAE, "sae", 0, OPT_STR, "NAME", 0, 0, "dictionary name (default: sae, or from the imported input)") \
	X(B_MODEL, "model", 0, OPT_STR, "NAME", 0, 0, "model name") \
	X(B_HOOK, "hook", 0, OPT_STR, "NAME", 0, 0, "hook point") \
	X(B_LAYER, "layer", 0, OPT_INT, "N", -1, 1 << 20, "layer number") \
	X(B_NFEAT, "n-features", 0, OPT_INT, "N", 1, 1ll << 32, "dictionary size (default: decoder rows or largest feature + 1)") \
	X(B_TOPK, "top-k", 0, OPT_INT, "N", 0, 10000, "top-activating examples kept per feature (20)") \
	X(B_INTERVALS, "intervals", 0, OPT_INT, "N", 0, 1000, "quantile intervals (10; delphi imports 5)") \
	X(B_PERINT, "per-interval", 0, OPT_INT, "N", 0, 1000, "examples per interval (5; delphi imports 3)") \
	X(B_DECODER, "decoder", 0, OPT_STR, "FILE", 0, 0, "decoder [n_features, d_model] (.npy or .safetensors)") \
	X(B_LABELS, "labels", 0, OPT_STR, "FILE", 0, 0, "TSV: feature<TAB>label[<TAB>source]") \
	X(B_UNEMBED, "unembed", 0, OPT_STR, "FILE", 0, 0, "unembedding [d_model, vocab] for logit effects (needs --decoder)") \
	X(B_VOCAB, "vocab", 0, OPT_STR, "FILE", 0, 0, "token per line (C escapes), or tokenizer.json when importing") \
	X(B_KNN, "neighbours", 0, OPT_INT, "K", 0, 10000, "nearest neighbours kept per feature (32)") \
	X(B_KNN_ACROSS, "neighbours-across", 0, OPT_INT, "K", 0, 10000, "of them, in every other dictionary (as --neighbours; 0: none, computed from the decoders)") \
	X(B_FROM, "from", 0, OPT_STR, "FORMAT", 0, 0, "import other tools' files: " IMP_FORMAT_NAMES) \
	X(B_TOKENS, "tokens", 0, OPT_STR, "MODE", 0, 0, "importing: token spelling auto, plain, bytelevel or sentencepiece") \
	X(B_PROGRESS, "progress", 0, OPT_FLAG, NULL, 0, 0, "progress on stderr (default when it is a terminal)") \
	X(B_NOPROGRESS, "no-progress", 0, OPT_FLAG, NULL, 0, 0, "no progress") \
	X(B_MAXREC, "max-record-bytes", 0, OPT_INT, "N", 1024, 1ll << 40, "longest record (line, or single-document file) read (256 MiB)") \
	X(B_RANDOM, "random", 0, OPT_INT, "N", 0, 1000, "random positive samples kept per feature (0)") \
	X(B_JOBS, "jobs", 'j', OPT_INT, "N", 0, 1024, "importing: N processes read the input's files, one writes the index (1; 0: one per core)") \
	X(B_COFIRE, "cofire", 0, OPT_STR, "FILE", 0, 0, "exact co-firing counts across the dictionaries (fires/both lines; before the first --and)")
CLI_OPTIONS(build_opts_spec, BUILD_OPTS);

/* True when the command line imports other tools' files: a --from
 * option, or a first input that is a folder or a file of a known format.
 * -1 when the walk met a usage error or --help (*rc then set). */
static int wants_import(const cmd_entry *e, int argc, char **argv, int *rc)
{
	cli_parser p;
	cli_init(&p, e, argc, argv);
	int k;
	while ((k = cli_walk(&p, rc)) != CLI_END) {
		if (k == B_FROM)
			return 1;
		if (k == CLI_ARG) {
			struct stat st;
			if (stat(p.val, &st) != 0)
				return 0;
			return S_ISDIR(st.st_mode) || import_takes(p.val);
		}
	}
	return *rc >= 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- native */

/* One dictionary's options and inputs from one segment of the command
 * line (first: -o allowed and required). FS_EXIT_OK, or an exit code. */
static int native_parse(const cmd_entry *e, int argc, char **argv, int first, fs_build_opts *o,
			cli_args *a)
{
	int rc;
	if (cli_parse(e, argc, argv, a, &rc))
		return rc;
	if (a->set[B_TOKENS])
		return cli_usage_error(e, "--tokens: only when importing other tools' files (--from)");
	if (a->set[B_JOBS])
		return cli_usage_error(e, "--jobs: only when importing other tools' files (--from)");
	build_opts_init(o);
	o->progress = cli_progress_if(fs_stderr_tty());
	o->out = a->str[B_OUT];
	if (a->set[B_SAE])
		o->sae_name = a->str[B_SAE];
	o->model = a->set[B_MODEL] ? a->str[B_MODEL] : o->model;
	o->hook = a->set[B_HOOK] ? a->str[B_HOOK] : o->hook;
	o->decoder = a->str[B_DECODER];
	o->labels = a->str[B_LABELS];
	o->unembed = a->str[B_UNEMBED];
	o->vocab = a->str[B_VOCAB];
	o->cofire = a->str[B_COFIRE];
	if (a->set[B_LAYER])
		o->layer = (int)a->num[B_LAYER];
	if (a->set[B_NFEAT])
		o->n_features = a->num[B_NFEAT];
	if (a->set[B_TOPK])
		o->top_k = (int)a->num[B_TOPK];
	if (a->set[B_INTERVALS])
		o->n_intervals = (int)a->num[B_INTERVALS];
	if (a->set[B_PERINT])
		o->per_interval = (int)a->num[B_PERINT];
	if (a->set[B_KNN])
		o->knn_k = (int)a->num[B_KNN];
	if (a->set[B_KNN_ACROSS])
		o->knn_across = (int)a->num[B_KNN_ACROSS];
	if (a->set[B_RANDOM])
		o->n_random = (int)a->num[B_RANDOM];
	if (a->set[B_MAXREC])
		input_set_max_record((size_t)a->num[B_MAXREC]);
	/* the last of --progress / --no-progress wins */
	if (a->set[B_PROGRESS] || a->set[B_NOPROGRESS])
		o->progress = cli_progress_if(a->last[B_PROGRESS] > a->last[B_NOPROGRESS]);
	if (first && !o->out)
		return cli_usage_error(e, "-o OUT.sqlite is required");
	if (!first && o->out)
		return cli_usage_error(e, "-o goes before the first --and");
	if (!first && o->cofire)
		return cli_usage_error(e, "--cofire goes before the first --and (it names every dictionary)");
	if (a->npos == 0)
		return cli_usage_error(e, first ? "no input files" : "no input files after --and");
	if (o->unembed && !o->decoder)
		return cli_usage_error(e, "--unembed needs --decoder");
	return FS_EXIT_OK;
}

/* The native builder; `--and` starts another dictionary of the same index,
 * with options of its own, built on the same contexts. */
static int build_native(const cmd_entry *e, int argc, char **argv)
{
	int nd = 1;
	for (int i = 1; i < argc; i++)
		nd += strcmp(argv[i], "--and") == 0;
	fs_build_opts *o = xcalloc((size_t)nd, sizeof *o);
	cli_args *a = xcalloc((size_t)nd, sizeof *a);
	char ***in = xcalloc((size_t)nd, sizeof *in);
	int *nin = xcalloc((size_t)nd, sizeof *nin);
	char **seg = xcalloc((size_t)argc + 1, sizeof *seg);
	int rc = FS_EXIT_OK, start = 1;
	for (int d = 0; d < nd && rc == FS_EXIT_OK; d++) {
		int end = start;
		while (end < argc && strcmp(argv[end], "--and") != 0)
			end++;
		char **v = seg + start - 1; /* the command name, then the segment */
		v[0] = argv[0];
		for (int i = start; i < end; i++)
			v[i - start + 1] = argv[i];
		rc = native_parse(e, end - start + 1, v, d == 0, &o[d], &a[d]);
		if (rc == FS_EXIT_OK) {
			in[d] = (char **)a[d].pos;
			nin[d] = a[d].npos;
		}
		start = end + 1;
	}
	for (int d = 1; d < nd && rc == FS_EXIT_OK; d++)
		for (int k = 0; k < d && rc == FS_EXIT_OK; k++)
			if (strcmp(o[d].sae_name, o[k].sae_name) == 0)
				rc = cli_usage_error(e, "--sae %s: two dictionaries with one name", o[d].sae_name);
	if (rc == FS_EXIT_OK) {
		/* -o must replace none of what is read: records and each
		 * dictionary's files */
		int n = 0, cap = 0;
		for (int d = 0; d < nd; d++)
			cap += nin[d] + 4;
		cap++;
		const char **rd = xcalloc((size_t)cap + 1, sizeof *rd);
		for (int d = 0; d < nd; d++) {
			for (int i = 0; i < nin[d]; i++)
				rd[n++] = in[d][i];
			rd[n++] = o[d].decoder;
			rd[n++] = o[d].labels;
			rd[n++] = o[d].unembed;
			rd[n++] = o[d].vocab;
		}
		rd[n++] = o[0].cofire;
		rc = cli_output_check(e->name, o[0].out, rd, n);
		free(rd);
	}
	char err[1024] = "";
	if (rc == FS_EXIT_OK && build_run_multi(o, nd, in, nin, err, sizeof err) != 0) {
		progress_break(o[0].progress);
		fs_warn("%s", err);
		rc = build_failed_on_io() ? FS_EXIT_ERR : FS_EXIT_USAGE;
	}
	free(o);
	free(a);
	free(in);
	free(nin);
	free(seg);
	return rc;
}

/* ---------------------------------------------------------------- import */

/* One input and the options in force where it appeared. */
typedef struct {
	const char *path;     /* file or folder */
	const char *from;     /* format name, NULL to detect */
	import_opts o;        /* its options */
} imp_input;

/* Read the import form of the command line into in[] (options apply to
 * the inputs after them; after the only input, to it). 0, or an exit code. */
static int import_parse(const cmd_entry *e, int argc, char **argv, imp_input *in, int *nin,
			const char **out, import_opts *cur)
{
	const char *from = NULL;
	int trailing = 0;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	*nin = 0;
	int k, stop;
	while ((k = cli_walk(&p, &stop)) != CLI_END) {
		if (k == CLI_ARG) {
			in[*nin].path = p.val;
			in[*nin].from = from;
			in[*nin].o = *cur;
			(*nin)++;
			/* a name belongs to one input; the other options carry on */
			cur->sae_name = NULL;
			trailing = 0;
			continue;
		}
		switch (k) {
		case B_OUT: *out = p.val; break;
		case B_PROGRESS:
		case B_NOPROGRESS:
			cur->progress = cli_progress_if(k == B_PROGRESS);
			for (int i = 0; i < *nin; i++)
				in[i].o.progress = cur->progress;
			continue;
		case B_FROM:
			if (strcmp(p.val, "auto") && import_format_parse(p.val) == IMPORT_NONE)
				return cli_usage_error(e, "--from: unknown format '%s' (%s)", p.val, import_format_list());
			from = p.val;
			break;
		case B_TOKENS: {
			int m = tok_mode_parse(p.val);
			if (m < 0)
				return cli_usage_error(e, "--tokens: unknown spelling '%s' (auto, plain, bytelevel, sentencepiece)",
						       p.val);
			cur->tok_mode = m;
			break;
		}
		case B_SAE: cur->sae_name = p.val; break;
		case B_VOCAB: cur->vocab = p.val; break;
		case B_MODEL: cur->model = p.val; break;
		case B_HOOK: cur->hook = p.val; break;
		case B_LAYER: cur->layer = (int)p.num; break;
		case B_TOPK: cur->top_k = (int)p.num; break;
		case B_INTERVALS: cur->n_intervals = (int)p.num; break;
		case B_PERINT: cur->per_interval = (int)p.num; break;
		case B_JOBS: {
			long nc = sysconf(_SC_NPROCESSORS_ONLN);
			cur->jobs = p.num ? (int)p.num : nc > 0 ? (int)nc : 1;
			for (int i = 0; i < *nin; i++) /* like --progress: the whole run */
				in[i].o.jobs = cur->jobs;
			continue;
		}
		case B_MAXREC: input_set_max_record((size_t)p.num); break;
		default:
			return cli_usage_error(e, "--%s: not available when importing other formats",
					       e->opts[k].name);
		}
		trailing = 1;
	}
	if (stop >= 0)
		return stop;
	if (*nin == 1 && trailing) {
		/* options after the only input apply to it */
		const char *keep = in[0].o.sae_name;
		in[0].o = *cur;
		if (!cur->sae_name)
			in[0].o.sae_name = keep;
		in[0].from = from;
	} else if (trailing && cur->sae_name) {
		return cli_usage_error(e, "--sae %s: after the last input; put it before the input it names",
				       cur->sae_name);
	}
	if (!*out)
		return cli_usage_error(e, "-o OUT.sqlite is required");
	if (!*nin)
		return cli_usage_error(e, "no input");
	return -1;
}

static int build_import(const cmd_entry *e, int argc, char **argv)
{
	const char *out = NULL;
	import_opts cur;
	import_opts_init(&cur);
	cur.progress = cli_progress_if(fs_stderr_tty());
	import_decoders decs = {0};
	cur.decoders = &decs;
	imp_input *in = xcalloc((size_t)argc, sizeof *in);
	int nin = 0;
	int rc = import_parse(e, argc, argv, in, &nin, &out, &cur);
	if (rc >= 0) {
		free(in);
		return rc;
	}
	/* -o must replace none of what is read: the inputs (files or
	 * folders) and their vocabularies */
	const char **rd = xcalloc((size_t)nin * 2 + 1, sizeof *rd);
	for (int i = 0; i < nin; i++) {
		rd[2 * i] = in[i].path;
		rd[2 * i + 1] = in[i].o.vocab;
	}
	rc = cli_output_check(e->name, out, rd, 2 * nin);
	free(rd);
	if (rc != FS_EXIT_OK) {
		free(in);
		return rc;
	}
	char err[1024] = "";
	fs_writer *w = index_writer_create(out, err, sizeof err);
	if (!w) {
		fs_warn("%s", err);
		free(in);
		return FS_EXIT_ERR;
	}
	for (int i = 0; i < nin; i++) {
		rc = import_run(w, in[i].from, in[i].path, &in[i].o, err, sizeof err);
		if (rc != FS_EXIT_OK) {
			progress_break(cur.progress);
			index_writer_abort(w);
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
		index_writer_abort(w);
		fs_warn("%s", err);
		return FS_EXIT_ERR;
	}
	progress_note(cur.progress, "featscope: writing indexes and full-text tables");
	if (index_writer_finish(w, err, sizeof err) != 0) {
		fs_warn("%s", err);
		return FS_EXIT_ERR;
	}
	return FS_EXIT_OK;
}

static int build_cmd(const cmd_entry *e, int argc, char **argv)
{
	int rc = 0;
	int first = 1; /* the command line up to the first --and */
	while (first < argc && strcmp(argv[first], "--and") != 0)
		first++;
	int imp = wants_import(e, first, argv, &rc);
	if (imp < 0)
		return rc;
	return imp ? build_import(e, argc, argv) : build_native(e, argc, argv);
}

const cmd_entry cmd_build_entry = {
	.name = "build",
	.args = "-o OUT.sqlite INPUT...",
	.opts = build_opts_spec,
	.run_argv = build_cmd,
	.summary = "build an index from activation records or other tools' files (featscope-build(1))",
	.min_args = 0, /* build_native and import_parse say what is missing */
	.max_args = -1,
};

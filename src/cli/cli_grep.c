/*
 * cli_grep.c: the `grep` and `token` subcommands, the command-line face of
 * the concept probe (grep/grep.h): options, progress on stderr, and the
 * ranking as a table or JSON.
 *
 * `token` answers for any string: first the tokens whose text (trimmed of
 * whitespace) equals it; when no token does (a character or a word that a
 * byte-level model splits into several tokens, or a string of whitespace),
 * the tokens that make up its occurrences in the text. It says which of
 * the two it did, and says so in one line when nothing matches.
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/util.h"
#include "grep/grep.h"
#include "index/index.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of grep and token: every one once, its id (G_*) and its
 * row (ROW_id); each command's table picks the ids it takes (cmd.h's
 * CLI_PICK), and the parser gives each option as its id. */
enum { G_CASELESS, G_SAE, G_LIMIT, G_JSON, G_THREADS, G_LITERAL, G_REGEXP, G_SORT, G_PROGRESS,
       G_MATCH_LIMIT, G_NOFILTER };
#define ROW_G_CASELESS {"ignore-case", 'i', OPT_FLAG, NULL, 0, 0, "caseless matching"}
#define ROW_G_SAE {"sae", 0, OPT_STR, "NAME", 0, 0, "only the features of one dictionary"}
#define ROW_G_LIMIT {"limit", 'n', OPT_INT, "N", 1, 1000000, "features listed (20)"}
#define ROW_G_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}
#define ROW_G_THREADS {"threads", 0, OPT_INT, "N", 1, GREP_MAX_THREADS, "worker threads (default: the CPUs)"}
#define ROW_G_LITERAL {"fixed-strings", 'F', OPT_FLAG, NULL, 0, 0, "the pattern is a literal string"}
#define ROW_G_REGEXP {"regexp", 'e', OPT_STR, "PATTERN", 0, 0, "the pattern (when it starts with '-')"}
#define ROW_G_SORT {"sort", 0, OPT_STR, "KEY", 0, 0, "order: f1 (default), mass, precision, recall or contexts"}
#define ROW_G_PROGRESS {"progress", 0, OPT_FLAG, NULL, 0, 0, "partial rankings on stderr while scanning"}
#define ROW_G_MATCH_LIMIT {"match-limit", 0, OPT_INT, "N", 1, 4000000000LL, "PCRE2 match limit per context"}
#define ROW_G_NOFILTER {"no-prefilter", 0, OPT_FLAG, NULL, 0, 0, "match every context on its own (slower; for checks)"}
#define TOKEN_OPTS(X) X(G_CASELESS) X(G_SAE) X(G_LIMIT) X(G_JSON) X(G_THREADS)
#define GREP_OPTS(X) TOKEN_OPTS(X) X(G_LITERAL) X(G_REGEXP) X(G_SORT) X(G_PROGRESS) X(G_MATCH_LIMIT) X(G_NOFILTER)
CLI_PICK(grep_opts_spec, GREP_OPTS);
CLI_PICK(token_opts_spec, TOKEN_OPTS);

/* How `token` matched. */
enum { MATCH_REGEX, MATCH_TOKEN, MATCH_SPAN };

/* One run of the probe as the command line asked for it. */
typedef struct {
	const char *index;     /* INDEX argument */
	const char *pattern;   /* what is compiled */
	const char *asked;     /* PATTERN or TOKEN as typed */
	unsigned flags;        /* GREP_* compile flags */
	int json;              /* --json */
	int progress;          /* --progress */
	const char *sae;       /* --sae NAME */
	int limit;             /* --limit N */
	int sort;              /* --sort KEY, -1 when not given */
	int threads;           /* --threads N */
	uint32_t match_limit;  /* --match-limit N */
	int match;             /* MATCH_* */
} grep_req;

/* A label on one line for a table: escaped (no control bytes reach the
 * terminal) and cut at a character boundary to at most max - 1 bytes. */
static void label_line(const char *label, char *out, size_t max)
{
	fs_buf b = {0};
	escape_append(&b, label, strlen(label), 0);
	size_t n = b.len < max - 1 ? b.len : max - 1;
	while (n > 0 && n < b.len && ((unsigned char)b.p[n] & 0xC0) == 0x80)
		n--;
	if (n)
		memcpy(out, b.p, n);
	out[n] = '\0';
	buf_free(&b);
}

/* State of the progress callback of the command line. */
typedef struct {
	fs_index *ix;               /* for feature names */
	int lines;                  /* --progress: one line per partial result */
	int tty;                    /* stderr is a terminal: overwrite one line */
	int shown;                  /* something was drawn on the tty line */
} progress_state;

static void progress_cb(void *ud, const grep_result *r, int final)
{
	progress_state *pg = ud;
	if (final) {
		if (pg->shown)
			fputs("\r\033[K", stderr);
		pg->shown = 0;
		return;
	}
	if (!pg->lines && !pg->tty)
		return;
	char line[512];
	int n = snprintf(line, sizeof line, "grep: %.1f/%.1f MB (%.0f%%), %lld contexts matched",
			 r->bytes_done / 1e6, r->bytes_total / 1e6,
			 r->bytes_total ? 100.0 * (double)r->bytes_done / (double)r->bytes_total : 100.0,
			 (long long)r->ctx_matched);
	for (int i = 0; i < r->n && i < 3 && n > 0 && (size_t)n < sizeof line; i++) {
		char name[64];
		index_feature_name(pg->ix, r->hits[i].fid, name, sizeof name);
		n += snprintf(line + n, sizeof line - (size_t)n, "%s %s f1 %.2f",
			      i ? "," : "; top:", escape_str(name), r->hits[i].f1);
	}
	if (pg->lines) {
		fprintf(stderr, "featscope: %s\n", line);
	} else {
		fprintf(stderr, "\r\033[K%s", line);
		pg->shown = 1;
	}
	fflush(stderr);
}

/* Print a ranking as a table or JSON. */
static void print_ranking(fs_index *ix, const grep_req *q, const grep_result *r)
{
	char name[64], label[96];
	int token = q->match != MATCH_REGEX;
	if (q->json) {
		json_t *root = json_object(), *arr = json_array();
		json_object_set_new(root, token ? "token" : "pattern", jw_str(q->asked));
		if (token)
			json_object_set_new(root, "match", json_string(q->match == MATCH_TOKEN ? "token" : "span"));
		json_object_set_new(root, "ignore_case", json_boolean(q->flags & GREP_CASELESS));
		if (!token)
			json_object_set_new(root, "sort", json_string(grep_sort_name(q->sort < 0 ? GREP_SORT_F1 : (grep_sort)q->sort)));
		json_object_set_new(root, "matches", json_integer(r->matches));
		json_object_set_new(root, "contexts_matched", json_integer(r->ctx_matched));
		json_object_set_new(root, "tokens_matched", json_integer(r->tok_matched));
		json_object_set_new(root, "features_total", json_integer(r->n_features));
		json_object_set_new(root, "bytes_scanned", json_integer((json_int_t)r->bytes_done));
		for (int i = 0; i < r->n; i++) {
			const grep_hit *h = &r->hits[i];
			fs_feature f;
			json_t *o = json_object();
			index_feature_name(ix, h->fid, name, sizeof name);
			json_object_set_new(o, "rank", json_integer(i + 1));
			json_object_set_new(o, "feature", jw_str(name));
			json_object_set_new(o, "fid", json_integer(h->fid));
			if (!token) {
				json_object_set_new(o, "f1", json_real(h->f1));
				json_object_set_new(o, "precision", json_real(h->precision));
				json_object_set_new(o, "recall", json_real(h->recall));
			}
			json_object_set_new(o, "mass", json_real(h->mass));
			json_object_set_new(o, token ? "tokens" : "fire", json_integer(h->fire));
			if (!token)
				json_object_set_new(o, "cover", json_integer(h->cover));
			else
				json_object_set_new(o, "mean", json_real(h->fire ? h->mass / (double)h->fire : 0));
			json_object_set_new(o, "contexts", json_integer(h->contexts));
			if (index_feature(ix, h->fid, &f) == 0) {
				json_object_set_new(o, "label", jw_str(f.label));
				index_feature_free(&f);
			} else
				json_object_set_new(o, "label", json_string(""));
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "features", arr);
		if (jw_print(stdout, root, JW_PRETTY, 9) != 0)
			fs_warn("writing JSON: out of memory or write error");
		return;
	}
	if (r->n == 0) {
		if (token)
			printf("no token of %s is or makes up '%s'\n", escape_str(q->index), escape_str(q->asked));
		return;
	}
	if (q->match == MATCH_SPAN)
		printf("no token is '%s' alone: ranked by activation on the tokens that make up its %lld "
		       "occurrence%s\n",
		       escape_str(q->asked), (long long)r->matches, r->matches == 1 ? "" : "s");
	if (token)
		printf("%4s  %-14s %12s %7s %8s %9s  %s\n", "rank", "feature", "mass",
		       "tokens", "contexts", "mean", "label");
	else
		printf("%4s  %-14s %6s %9s %6s %12s %8s  %s\n", "rank", "feature", "f1",
		       "precision", "recall", "mass", "contexts", "label");
	for (int i = 0; i < r->n; i++) {
		const grep_hit *h = &r->hits[i];
		fs_feature f;
		index_feature_name(ix, h->fid, name, sizeof name);
		label[0] = '\0';
		if (index_feature(ix, h->fid, &f) == 0) {
			label_line(f.label ? f.label : "", label, 61);
			index_feature_free(&f);
		}
		if (token)
			printf("%4d  %-14s %12.3f %7lld %8lld %9.4f  %s\n", i + 1, escape_str(name), h->mass,
			       (long long)h->fire, (long long)h->contexts,
			       h->fire ? h->mass / (double)h->fire : 0.0, label);
		else
			printf("%4d  %-14s %6.3f %9.3f %6.3f %12.3f %8lld  %s\n", i + 1, escape_str(name),
			       h->f1, h->precision, h->recall, h->mass, (long long)h->contexts, label);
	}
}

/* One scan of ix for q; 0 with *r filled, or an exit code after a message. */
static int scan(fs_index *ix, int sae, const grep_req *q, grep_result *r)
{
	char err[512];
	grep_pattern *p = grep_compile(q->pattern, q->flags, err, sizeof err);
	if (!p) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	progress_state pg = {ix, q->progress, !q->progress && fs_stderr_tty(), 0};
	grep_opts o;
	memset(&o, 0, sizeof o);
	o.sae = sae;
	o.sort = q->match != MATCH_REGEX ? GREP_SORT_MASS : q->sort < 0 ? GREP_SORT_F1 : (grep_sort)q->sort;
	o.limit = q->limit;
	o.threads = q->threads;
	o.match_limit = q->match_limit;
	o.on_result = progress_cb;
	o.ud = &pg;
	o.interval = q->progress ? 0.05 : 0.2;
	int sr = grep_scan(ix, p, &o, r, err, sizeof err);
	if (pg.shown)
		fputs("\r\033[K", stderr);
	grep_pattern_free(p);
	if (sr < 0) {
		fs_warn("%s", err);
		return FS_EXIT_ERR;
	}
	return 0;
}

static int probe_run(grep_req *q)
{
	char err[512];
	fs_index *ix = index_open(q->index, err, sizeof err);
	if (!ix) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	int sae = 0;
	if (q->sae) {
		const fs_sae *d = index_sae_by_name(ix, q->sae);
		if (!d) {
			fs_warn("--sae: no dictionary named '%s' in %s", q->sae, q->index);
			index_close(ix);
			return FS_EXIT_USAGE;
		}
		sae = d->id;
	}
	grep_result r;
	int rc = scan(ix, sae, q, &r);
	if (rc == 0 && q->match == MATCH_TOKEN && r.n == 0) {
		/* no single token spells it: the tokens that make it up */
		grep_result_free(&r);
		q->match = MATCH_SPAN;
		q->pattern = q->asked;
		q->flags = (q->flags & GREP_CASELESS) | GREP_LITERAL;
		rc = scan(ix, sae, q, &r);
	}
	if (rc == 0) {
		print_ranking(ix, q, &r);
		grep_result_free(&r);
	}
	index_close(ix);
	return rc;
}

/* Read grep's or token's (token: 1) command line into q; 0, or an exit code. */
static int parse(const cmd_entry *e, const cli_args *a, int token, grep_req *q, char **owned)
{
	memset(q, 0, sizeof *q);
	*owned = NULL;
	q->index = a->pos[0];
	q->asked = a->npos > 1 ? a->pos[1] : NULL;
	if (!token && a->set[G_REGEXP]) {
		if (q->asked)
			return cli_usage_error(e, "one pattern only (got -e '%s' and '%s')", a->str[G_REGEXP], q->asked);
		q->asked = a->str[G_REGEXP];
	}
	if (!q->asked)
		return cli_usage_error(e, "missing %s in 'featscope %s %s'", token ? "TOKEN" : "PATTERN", e->name,
				       e->args);
	q->json = a->set[G_JSON];
	q->sae = cli_str(a, G_SAE, NULL);
	q->limit = (int)cli_num(a, G_LIMIT, 20);
	q->threads = (int)cli_num(a, G_THREADS, 0);
	q->sort = -1;
	q->flags = a->set[G_CASELESS] ? GREP_CASELESS : 0;
	if (token) {
		/* tokens are compared without surrounding whitespace; a string of
		 * whitespace alone is looked for as it is */
		const char *s = q->asked;
		while (grep_is_space((unsigned char)*s))
			s++;
		size_t n = strlen(s);
		while (n > 0 && grep_is_space((unsigned char)s[n - 1]))
			n--;
		if (!q->asked[0])
			return cli_usage_error(e, "empty token");
		if (n == 0) {
			q->pattern = q->asked;
			q->flags |= GREP_LITERAL;
			q->match = MATCH_SPAN;
		} else {
			q->pattern = *owned = xstrndup(s, n);
			q->flags |= GREP_TOKEN;
			q->match = MATCH_TOKEN;
		}
		return 0;
	}
	q->match = MATCH_REGEX;
	q->pattern = q->asked;
	if (!q->pattern[0])
		return cli_usage_error(e, "empty pattern");
	q->progress = a->set[G_PROGRESS];
	q->match_limit = (uint32_t)cli_num(a, G_MATCH_LIMIT, 0);
	q->flags |= (a->set[G_LITERAL] ? GREP_LITERAL : 0) | (a->set[G_NOFILTER] ? GREP_NOFILTER : 0);
	if (a->set[G_SORT] && (q->sort = grep_sort_parse(a->str[G_SORT])) < 0)
		return cli_usage_error(e, "--sort: expected f1, mass, precision, recall or contexts, got '%s'",
				       a->str[G_SORT]);
	return 0;
}

static int run(const cmd_entry *e, const cli_args *a, int token)
{
	grep_req q;
	char *owned;
	int rc = parse(e, a, token, &q, &owned);
	if (rc == 0)
		rc = probe_run(&q);
	free(owned);
	return rc;
}

static int grep_run(const cmd_entry *e, const cli_args *a)
{
	return run(e, a, 0);
}

static int token_run(const cmd_entry *e, const cli_args *a)
{
	return run(e, a, 1);
}

const cmd_entry cmd_grep_entry = {
	.name = "grep", .args = "INDEX PATTERN", CLI_PICKED(grep_opts_spec), .run = grep_run,
	.summary = "features that track a regex (PCRE2) on the text",
	.min_args = 1, .max_args = 2,
};

const cmd_entry cmd_token_entry = {
	.name = "token", .args = "INDEX TOKEN", CLI_PICKED(token_opts_spec), .run = token_run,
	.summary = "features with the most activation on a token, a character, a word or any string",
	.min_args = 1, .max_args = 2,
};

/*
 * grep.c: the command line of the concept probe, `featscope grep` and
 * `featscope token` (features firing on one token string): options,
 * progress on stderr, text and --json output. The engine is in
 * grep_pattern.c, grep_scan.c and grep_stats.c (grep.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep/grep.h"
#include "cli/cmd.h"
#include "core/format.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------- subcommands */

/* Parsed options of `grep` and `token`. */
typedef struct {
	const char *index;          /* INDEX argument */
	const char *pattern;        /* PATTERN or TOKEN argument */
	int caseless;               /* -i */
	int literal;                /* -F */
	int nofilter;               /* --no-prefilter */
	int json;                   /* --json */
	int progress;               /* --progress */
	const char *sae;            /* --sae NAME */
	int limit;                  /* --limit N */
	int sort;                   /* --sort KEY, -1 when not given */
	int threads;                /* --threads N */
	uint32_t match_limit;       /* --match-limit N */
	char *trimmed;              /* the token without surrounding whitespace (owned) */
} grep_args;

/* Parse argv; returns 0, or FS_EXIT_USAGE after printing a message. */
static int grep_parse(int argc, char **argv, int token, grep_args *a)
{
	const char *cmd = argv[0];
	int npos = 0, dashdash = 0;
	memset(a, 0, sizeof *a);
	a->limit = 20;
	a->sort = -1;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int64_t v;
		if (!dashdash && s[0] == '-' && s[1]) {
			const char *val = NULL;
			int needs = strcmp(s, "--sae") == 0 || strcmp(s, "--limit") == 0 ||
				    strcmp(s, "--sort") == 0 || strcmp(s, "--threads") == 0 ||
				    strcmp(s, "--match-limit") == 0 || strcmp(s, "-e") == 0;
			if (needs) {
				if (i + 1 >= argc) {
					fs_warn("%s: %s needs a value", cmd, s);
					return FS_EXIT_USAGE;
				}
				val = argv[++i];
			}
			if (strcmp(s, "--") == 0)
				dashdash = 1;
			else if (strcmp(s, "-i") == 0 || strcmp(s, "--ignore-case") == 0)
				a->caseless = 1;
			else if (!token && (strcmp(s, "-F") == 0 || strcmp(s, "--fixed-strings") == 0))
				a->literal = 1;
			else if (strcmp(s, "--json") == 0)
				a->json = 1;
			else if (!token && strcmp(s, "--no-prefilter") == 0)
				a->nofilter = 1;
			else if (!token && strcmp(s, "--progress") == 0)
				a->progress = 1;
			else if (strcmp(s, "--sae") == 0)
				a->sae = val;
			else if (strcmp(s, "--limit") == 0) {
				if (parse_i64(val, &v) != 0 || v < 1 || v > 1000000) {
					fs_warn("%s: --limit: expected a number from 1 to 1000000, got '%s'", cmd, val);
					return FS_EXIT_USAGE;
				}
				a->limit = (int)v;
			} else if (!token && strcmp(s, "--sort") == 0) {
				a->sort = grep_sort_parse(val);
				if (a->sort < 0) {
					fs_warn("%s: --sort: expected f1, mass, precision, recall or contexts, got '%s'", cmd, val);
					return FS_EXIT_USAGE;
				}
			} else if (strcmp(s, "--threads") == 0) {
				if (parse_i64(val, &v) != 0 || v < 1 || v > GREP_MAX_THREADS) {
					fs_warn("%s: --threads: expected a number from 1 to %d, got '%s'", cmd, GREP_MAX_THREADS, val);
					return FS_EXIT_USAGE;
				}
				a->threads = (int)v;
			} else if (!token && strcmp(s, "--match-limit") == 0) {
				if (parse_i64(val, &v) != 0 || v < 1 || v > 4000000000LL) {
					fs_warn("%s: --match-limit: expected a positive number, got '%s'", cmd, val);
					return FS_EXIT_USAGE;
				}
				a->match_limit = (uint32_t)v;
			} else if (!token && strcmp(s, "-e") == 0) {
				if (a->pattern) {
					fs_warn("%s: one pattern only", cmd);
					return FS_EXIT_USAGE;
				}
				a->pattern = val;
			} else {
				fs_warn("%s: unknown option '%s'", cmd, s);
				return FS_EXIT_USAGE;
			}
			continue;
		}
		if (npos == 0 && !a->index)
			a->index = s;
		else if (!a->pattern)
			a->pattern = s;
		else {
			fs_warn("%s: unexpected argument '%s'", cmd, s);
			return FS_EXIT_USAGE;
		}
		npos++;
	}
	if (!a->index || !a->pattern) {
		if (token)
			fs_warn("usage: featscope token INDEX TOKEN [-i] [--sae NAME] [--limit N] [--json]");
		else
			fs_warn("usage: featscope grep INDEX PATTERN [-i] [-F] [--sae NAME] [--limit N] "
				"[--sort f1|mass|precision|recall|contexts] [--json] [--progress] "
				"[--threads N] [--match-limit N]");
		return FS_EXIT_USAGE;
	}
	if (token) {
		/* Tokens are compared without surrounding whitespace. */
		while (*a->pattern && grep_is_space((unsigned char)*a->pattern))
			a->pattern++;
		size_t n = strlen(a->pattern);
		while (n > 0 && grep_is_space((unsigned char)a->pattern[n - 1]))
			n--;
		a->trimmed = xstrndup(a->pattern, n);
		a->pattern = a->trimmed;
	}
	if (!a->pattern[0]) {
		fs_warn("%s: empty %s", cmd, token ? "token" : "pattern");
		return FS_EXIT_USAGE;
	}
	return 0;
}

/* A label on one line for a table: escaped (no control bytes reach the
 * terminal) and cut at a character boundary to at most max - 1 bytes. */
static void grep_label_line(const char *label, char *out, size_t max)
{
	fs_buf b = {0};
	format_escaped(&b, label, strlen(label));
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
} grep_cli_progress;

static void grep_cli_cb(void *ud, const grep_result *r, int final)
{
	grep_cli_progress *pg = ud;
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
			      i ? "," : "; top:", name, r->hits[i].f1);
	}
	if (pg->lines) {
		fprintf(stderr, "featscope: %s\n", line);
	} else {
		fprintf(stderr, "\r\033[K%s", line);
		pg->shown = 1;
	}
	fflush(stderr);
}

static int grep_open(const char *path, fs_index **ix, const char *sae, int *sae_id)
{
	char err[512];
	*ix = index_open(path, err, sizeof err);
	if (!*ix) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	*sae_id = 0;
	if (sae) {
		const fs_sae *d = index_sae_by_name(*ix, sae);
		if (!d) {
			fs_warn("--sae: no dictionary named '%s' in %s", sae, path);
			index_close(*ix);
			return FS_EXIT_USAGE;
		}
		*sae_id = d->id;
	}
	return 0;
}

/* Print a ranking as a table or JSON. token selects the `token` columns. */
static void grep_print(fs_index *ix, const grep_args *a, const grep_result *r, int token)
{
	char name[64], label[96];
	if (a->json) {
		json_t *root = json_object(), *arr = json_array();
		json_object_set_new(root, token ? "token" : "pattern", json_string(a->pattern));
		json_object_set_new(root, "ignore_case", json_boolean(a->caseless));
		if (!token)
			json_object_set_new(root, "sort", json_string(
				(const char *[]){"f1", "mass", "precision", "recall", "contexts"}[a->sort < 0 ? 0 : a->sort]));
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
			json_object_set_new(o, "feature", json_string(name));
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
				json_object_set_new(o, "label", json_string(f.label ? f.label : ""));
				feature_free(&f);
			} else
				json_object_set_new(o, "label", json_string(""));
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "features", arr);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
		fputc('\n', stdout);
		json_decref(root);
		return;
	}
	if (r->n == 0)
		return;
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
			grep_label_line(f.label ? f.label : "", label, 61);
			feature_free(&f);
		}
		if (token)
			printf("%4d  %-14s %12.3f %7lld %8lld %9.4f  %s\n", i + 1, name, h->mass,
			       (long long)h->fire, (long long)h->contexts,
			       h->fire ? h->mass / (double)h->fire : 0.0, label);
		else
			printf("%4d  %-14s %6.3f %9.3f %6.3f %12.3f %8lld  %s\n", i + 1, name,
			       h->f1, h->precision, h->recall, h->mass, (long long)h->contexts, label);
	}
}

static int grep_run_args(grep_args *ap, int token);

static int grep_run(int argc, char **argv, int token)
{
	grep_args a;
	int rc = grep_parse(argc, argv, token, &a);
	if (rc == 0)
		rc = grep_run_args(&a, token);
	free(a.trimmed);
	return rc;
}

static int grep_run_args(grep_args *ap, int token)
{
	grep_args a = *ap;
	int rc;
	fs_index *ix;
	int sae;
	if ((rc = grep_open(a.index, &ix, a.sae, &sae)) != 0)
		return rc;
	char err[512];
	unsigned flags = (a.caseless ? GREP_CASELESS : 0) | (a.literal ? GREP_LITERAL : 0) |
			 (token ? GREP_TOKEN : 0) | (a.nofilter ? GREP_NOFILTER : 0);
	grep_pattern *p = grep_compile(a.pattern, flags, err, sizeof err);
	if (!p) {
		fs_warn("%s", err);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	grep_cli_progress pg = {ix, a.progress, !a.progress && fs_stderr_tty(), 0};
	grep_opts o;
	memset(&o, 0, sizeof o);
	o.sae = sae;
	o.sort = token ? GREP_SORT_MASS : a.sort < 0 ? GREP_SORT_F1 : (grep_sort)a.sort;
	o.limit = a.limit;
	o.threads = a.threads;
	o.match_limit = a.match_limit;
	o.on_result = grep_cli_cb;
	o.ud = &pg;
	o.interval = a.progress ? 0.05 : 0.2;
	grep_result r;
	int sr = grep_scan(ix, p, &o, &r, err, sizeof err);
	if (pg.shown)
		fputs("\r\033[K", stderr);
	if (sr < 0) {
		fs_warn("%s", err);
		rc = FS_EXIT_ERR;
	} else {
		grep_print(ix, &a, &r, token);
		grep_result_free(&r);
		rc = FS_EXIT_OK;
	}
	grep_pattern_free(p);
	index_close(ix);
	return rc;
}

int cmd_grep(int argc, char **argv)
{
	return grep_run(argc, argv, 0);
}

int grep_cmd_token(int argc, char **argv)
{
	return grep_run(argc, argv, 1);
}

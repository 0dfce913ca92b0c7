/*
 * cli_source.c: `featscope source INDEX CONTEXT`: the text around a stored
 * context, read from its source document on this machine (import/source.h
 * says where each form of source is looked for). Plain text shows the
 * lines with their numbers and the context between « and »; --json gives
 * the parts (before, text, after) and where they were read.
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "import/source.h"
#include "core/util.h"
#include "index/index.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* source's options, one row each: the enum O_* and source_opts (CLI_OPTIONS). */
#define SOURCE_OPTS(X) \
	X(O_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(O_LINES, "lines", 'l', OPT_INT, "N", 0, 100000, "lines shown before and after the context (5)") \
	X(O_CORPUS, "corpus", 'c', OPT_STR, "DIR", 0, 0, "a corpus folder (manifest.tsv) to read sources from, first")
CLI_OPTIONS(source_opts, SOURCE_OPTS);

/* Start of the line n lines before the one holding pos. */
static size_t src_back(const fs_source_doc *d, size_t pos, int n)
{
	while (pos > 0 && d->text[pos - 1] != '\n')
		pos--;
	for (int k = 0; k < n && pos > 0; k++) {
		pos--;
		while (pos > 0 && d->text[pos - 1] != '\n')
			pos--;
	}
	return pos;
}

/* End (after its newline) of the line n lines after the one holding pos. */
static size_t src_fwd(const fs_source_doc *d, size_t pos, int n)
{
	for (int k = 0; k <= n && pos < d->len; k++) {
		const char *nl = memchr(d->text + pos, '\n', d->len - pos);
		pos = nl ? (size_t)(nl - d->text) + 1 : d->len;
	}
	return pos;
}

static int source_run(const cmd_entry *e, const cli_args *a)
{
	(void)e;
	char *end;
	long long id = strtoll(a->pos[1], &end, 10);
	if (!a->pos[1][0] || *end || id < 1)
		return cli_usage_error(e, "CONTEXT is a context id (a number >= 1), not '%s'", a->pos[1]);
	int lines = (int)cli_num(a, O_LINES, 5);
	fs_index *ix = cli_open_index(a->pos[0]);
	if (!ix)
		return FS_EXIT_USAGE;
	fs_context c;
	if (index_context(ix, id, &c) != 0) {
		fs_warn("%s: context %lld is not in this index", a->pos[0], id);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	fs_source_doc d;
	char err[1024];
	int frc = source_find(c.source, index_path(ix), cli_str(a, O_CORPUS, NULL), c.text,
			      (size_t)c.len, &d, err, sizeof err);
	if (frc != 0) {
		fs_warn("%s: context %lld: %s", a->pos[0], id, err);
		index_context_free(&c);
		index_close(ix);
		return frc == -2 ? FS_EXIT_USAGE : FS_EXIT_ERR;
	}
	size_t cend = d.at + d.n;
	/* the lines the context's last byte is on count as the context's */
	size_t from = src_back(&d, d.at, lines), to = src_fwd(&d, cend > d.at ? cend - 1 : d.at, lines);
	if (a->set[O_JSON]) {
		json_t *o = json_object();
		json_object_set_new(o, "context", json_integer(id));
		json_object_set_new(o, "source", jw_str(c.source));
		json_object_set_new(o, "where", jw_str(d.where));
		json_object_set_new(o, "found", json_boolean(d.n > 0));
		json_object_set_new(o, "line", json_integer(d.line));
		json_object_set_new(o, "offset", json_integer((json_int_t)d.at));
		json_object_set_new(o, "length", json_integer((json_int_t)d.n));
		json_object_set_new(o, "before", jw_strn(d.text + from, d.at - from));
		json_object_set_new(o, "text", jw_strn(d.text + d.at, d.n));
		json_object_set_new(o, "after", jw_strn(d.text + cend, to > cend ? to - cend : 0));
		cli_print_json(o);
	} else {
		printf("context %lld: source %s\n", id, escape_str(c.source));
		printf("read %s: line %d, bytes %zu-%zu of %zu\n", escape_str(d.where), d.line, d.at, cend, d.len);
		int lw = 1, last = d.line + lines + 64;
		for (int x = last; x >= 10; x /= 10)
			lw++;
		int line = d.line;
		for (size_t p = d.at; p > from;)
			line -= d.text[--p] == '\n';
		fs_buf b = {0};
		size_t p = from;
		while (p < to) {
			const char *nl = memchr(d.text + p, '\n', to - p);
			size_t e2 = nl ? (size_t)(nl - d.text) : to;
			b.len = 0;
			if (b.p)
				b.p[0] = 0;
			/* the line, « and » where the context starts and ends on it */
			size_t q = p;
			if (d.n && d.at >= p && d.at <= e2) {
				escape_append(&b, d.text + q, d.at - q, ESC_KEEP_TAB);
				buf_adds(&b, "\xc2\xab");
				q = d.at;
			}
			if (d.n && cend > p && cend <= e2 + 1 && cend - 1 <= e2) {
				size_t stop = cend < e2 ? cend : e2;
				if (stop >= q) {
					escape_append(&b, d.text + q, stop - q, ESC_KEEP_TAB);
					buf_adds(&b, "\xc2\xbb");
					q = stop;
				}
			}
			escape_append(&b, d.text + q, e2 - q, ESC_KEEP_TAB);
			printf("%*d  %s\n", lw, line, b.p ? b.p : "");
			line++;
			p = nl ? e2 + 1 : to;
		}
		free(b.p);
	}
	source_doc_free(&d);
	index_context_free(&c);
	index_close(ix);
	return FS_EXIT_OK;
}

const cmd_entry cmd_source_entry = {
	.name = "source", .args = "INDEX CONTEXT", .opts = source_opts, .run = source_run,
	.summary = "the text around a context in its source document, when it is on this machine",
	.min_args = 2, .max_args = 2,
};

/*
 * unit-cli.c: the front-end toolkit on its own: the escaping rule
 * (core/escape.h) unit by unit against the forms the rule states, the JSON
 * writer (core/json.h) against hand-written JSON text, and the option
 * parser (cli/cmd.h) on every spelling it accepts or refuses.
 */
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/util.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* escape_append of s (n bytes) with flags, compared with want. */
static int esc_is(const char *s, size_t n, unsigned flags, const char *want)
{
	fs_buf b = {0};
	escape_append(&b, s, n, flags);
	int same = b.p && strcmp(b.p, want) == 0;
	if (!same)
		printf("# got [%s] want [%s]\n", b.p ? b.p : "(null)", want);
	buf_free(&b);
	return same;
}
#define ESC_IS(lit, flags, want) esc_is(lit, sizeof lit - 1, flags, want)

static void test_escape(void)
{
	CHECK(ESC_IS("plain text, ünïcødé, 한국어, emoji 😀", 0, "plain text, ünïcødé, 한국어, emoji 😀"), "esc-raw");
	CHECK(ESC_IS("a\nb\tc\rd", 0, "a\\nb\\tc\\rd"), "esc-c0-named");
	CHECK(ESC_IS("a\nb\tc", ESC_KEEP_NL | ESC_KEEP_TAB, "a\nb\tc"), "esc-keep-nl-tab");
	CHECK(ESC_IS("\x1b[2J\x07\x7f", 0, "\\x1b[2J\\x07\\x7f"), "esc-c0-del");
	CHECK(ESC_IS("\x00z", 0, "\\x00z"), "esc-nul");
	CHECK(ESC_IS("back\\slash", 0, "back\\slash"), "esc-backslash-kept");
	CHECK(ESC_IS("\xc2\x9b" "31m", 0, "<U+009B>31m"), "esc-c1-csi");
	CHECK(ESC_IS("\xc2\xad", 0, "<U+00AD>"), "esc-soft-hyphen");
	CHECK(ESC_IS("\xe2\x81\xa0", 0, "<U+2060>"), "esc-word-joiner");
	CHECK(ESC_IS("a\xe2\x80\x8d" "b\xe2\x80\x8c" "c", 0, "a<U+200D>b<U+200C>c"), "esc-zwj-zwnj");
	CHECK(ESC_IS("\xe2\x80\xae" "evil\xe2\x81\xa6", 0, "<U+202E>evil<U+2066>"), "esc-bidi");
	CHECK(ESC_IS("\xef\xbb\xbf", 0, "<U+FEFF>"), "esc-bom");
	CHECK(ESC_IS("\xf3\xa0\x80\x81", 0, "<U+E0001>"), "esc-tag-char");
	CHECK(ESC_IS("\xe2\x80\xa8", 0, "<U+2028>"), "esc-line-separator");
	CHECK(ESC_IS("\xff\xc3\x28\xed\xa0\x80", 0, "\\xff\\xc3(\\xed\\xa0\\x80"), "esc-invalid-utf8");
	CHECK(ESC_IS("\xe2\x82", 0, "\\xe2\\x82"), "esc-truncated");
	/* the reversible form of TSV export */
	CHECK(ESC_IS("a\\b\tc\xe2\x80\xae\xf3\xa0\x80\x81\x1b", ESC_REVERSIBLE, "a\\\\b\\tc\\u202e\\U000e0001\\x1b"),
	      "esc-reversible");
	/* combining marks, CJK and a variation selector are text */
	CHECK(ESC_IS("e\xcc\x81 \xe2\x9d\xa4\xef\xb8\x8f", 0, "e\xcc\x81 \xe2\x9d\xa4\xef\xb8\x8f"), "esc-marks-raw");
	CHECK(escape_codepoint(0x9f) && escape_codepoint(0x200b) && !escape_codepoint(0xa0) && !escape_codepoint(0x41) &&
		      !escape_codepoint(0x1f600) && escape_codepoint(0xe007f) && !escape_codepoint(0x10ffff),
	      "esc-table-edges");
	char *d = escape_dup("x\x1by", 3);
	CHECK(d && strcmp(d, "x\\x1by") == 0, "esc-dup");
	free(d);
}

/* jw_dumps of j in compact style, compared with want; releases j. */
static int json_is(json_t *j, const char *want)
{
	char *s = jw_dumps(j, JW_COMPACT, 0);
	int same = s && strcmp(s, want) == 0;
	if (!same)
		printf("# got [%s] want [%s]\n", s ? s : "(null)", want);
	free(s);
	json_decref(j);
	return same;
}

static void test_json(void)
{
	CHECK(json_is(jw_str("a\x1b" "b"), "\"a\\u001Bb\""), "json-c0");
	CHECK(json_is(jw_str("c1 \xc2\x9b"), "\"c1 \\u009B\""), "json-c1");
	CHECK(json_is(jw_str("\xe2\x80\xae" "rtl"), "\"\\u202Ertl\""), "json-bidi");
	CHECK(json_is(jw_str("\x7f"), "\"\\u007F\""), "json-del");
	CHECK(json_is(jw_str("\xf3\xa0\x80\x81"), "\"\\uDB40\\uDC01\""), "json-supplementary-pair");
	CHECK(json_is(jw_str("한국어 ü"), "\"한국어 ü\""), "json-utf8-raw");
	CHECK(json_is(jw_str("bad \xff\xfe ok"), "\"bad \\\\xff\\\\xfe ok\""), "json-invalid-as-text");
	json_t *o = json_object();
	json_object_set_new(o, "label", jw_str("\xff"));
	json_object_set_new(o, "n", jw_num(0.0 / 0.0));
	CHECK(json_is(o, "{\"label\":\"\\\\xff\",\"n\":null}"), "json-key-kept-nan-null");
	CHECK(json_is(jw_str(NULL), "\"\""), "json-null-string");
}

/* A command with a few options, for the parser. */
enum { T_JSON, T_LIMIT, T_IGNORE, T_FIXED, T_NAME };
static const cli_opt t_opts[] = {
	{"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON"},
	{"limit", 'n', OPT_INT, "N", 1, 100, "rows"},
	{"ignore-case", 'i', OPT_FLAG, NULL, 0, 0, "caseless"},
	{"fixed", 'F', OPT_FLAG, NULL, 0, 0, "literal"},
	{"name", 0, OPT_STR, "S", 0, 0, "a name"},
	{NULL, 0, 0, NULL, 0, 0, NULL},
};
static const cmd_entry t_entry = {.name = "t", .args = "A B", .opts = t_opts, .summary = "test",
				  .min_args = 1, .max_args = 2};

/* Parse a NULL-terminated argv; returns cli_parse's result, *rc set. */
static int parse(cli_args *a, int *rc, const char **args)
{
	char *argv[16];
	int argc = 0;
	argv[argc++] = (char *)"t";
	for (int i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	*rc = -1;
	return cli_parse(&t_entry, argc, argv, a, rc);
}

static void test_parser(void)
{
	cli_args a;
	int rc;
	/* stderr is where usage errors go: keep the test's output clean */
	FILE *keep = stderr;
	stderr = fopen("/dev/null", "w");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--limit=7", NULL}) == 0 && a.num[T_LIMIT] == 7 && a.npos == 1,
	      "opt-eq");
	CHECK(parse(&a, &rc, (const char *[]){"--limit", "7", "x", NULL}) == 0 && a.num[T_LIMIT] == 7 &&
		      !strcmp(a.pos[0], "x"), "opt-space");
	CHECK(parse(&a, &rc, (const char *[]){"-n7", "x", NULL}) == 0 && a.num[T_LIMIT] == 7, "opt-short-attached");
	CHECK(parse(&a, &rc, (const char *[]){"-n", "7", "x", NULL}) == 0 && a.num[T_LIMIT] == 7, "opt-short-space");
	CHECK(parse(&a, &rc, (const char *[]){"-iFj", "x", NULL}) == 0 && a.set[T_IGNORE] && a.set[T_FIXED] &&
		      a.set[T_JSON], "opt-cluster");
	CHECK(parse(&a, &rc, (const char *[]){"-in5", "x", NULL}) == 0 && a.set[T_IGNORE] && a.num[T_LIMIT] == 5,
	      "opt-cluster-value");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--", "--json", NULL}) == 0 && a.npos == 2 && !a.set[T_JSON] &&
		      !strcmp(a.pos[1], "--json"), "opt-dashdash");
	CHECK(parse(&a, &rc, (const char *[]){"x", "-1", NULL}) == 0 && a.npos == 2 && !strcmp(a.pos[1], "-1"),
	      "opt-negative-positional");
	CHECK(parse(&a, &rc, (const char *[]){"x", "-", NULL}) == 0 && !strcmp(a.pos[1], "-"), "opt-dash-positional");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--name=", NULL}) == 0 && a.set[T_NAME] && !strcmp(a.str[T_NAME], ""),
	      "opt-empty-value");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--name", "a", "--name", "b", NULL}) == 0 && a.set[T_NAME] == 2 &&
		      !strcmp(a.str[T_NAME], "b"), "opt-repeat-last-wins");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--bogus", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-unknown");
	CHECK(parse(&a, &rc, (const char *[]){"x", "-z", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-unknown-short");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--limit", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-missing-value");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--limit=0", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-out-of-range");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--limit=5x", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-not-number");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--json=1", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-flag-value");
	CHECK(parse(&a, &rc, (const char *[]){"x", "--lim=3", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-no-prefixes");
	CHECK(parse(&a, &rc, (const char *[]){NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-too-few");
	CHECK(parse(&a, &rc, (const char *[]){"x", "y", "z", NULL}) == 1 && rc == FS_EXIT_USAGE, "opt-too-many");
	CHECK(cli_num(&a, T_LIMIT, 42) == 42 && !strcmp(cli_str(&a, T_NAME, "d"), "d"), "opt-defaults");
	fclose(stderr);
	stderr = keep;
	/* --help goes to stdout and stops with status 0 */
	FILE *keep_out = stdout;
	stdout = fopen("/dev/null", "w");
	int hr = parse(&a, &rc, (const char *[]){"x", "--help", NULL});
	int hr2 = parse(&a, &rc, (const char *[]){"-h", NULL});
	fclose(stdout);
	stdout = keep_out;
	CHECK(hr == 1 && hr2 == 1 && rc == FS_EXIT_OK, "opt-help");
	/* every table entry has a name, a summary and a handler */
	int good = 1, n = 0;
	for (const cmd_entry *const *t = cmd_table(); *t; t++, n++)
		good &= (*t)->name && (*t)->summary && ((*t)->run || (*t)->run_argv) && cmd_find((*t)->name) == *t;
	CHECK(good && n >= 11, "table-entries");
}

int main(void)
{
	test_escape();
	test_json();
	test_parser();
	TEST_END();
}

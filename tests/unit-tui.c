/*
 * unit-tui.c: unit tests of the browser's pure parts: glyph decoding and
 * escaping of untrusted text, display widths, the activation layout of
 * contexts (byte-level tokens joined), heat levels and bar blocks, the
 * line editor and completion, the keymap table (notation, lookup, and
 * that no key is bound twice where it would be ambiguous) and the VIEW_INFO
 * table of screens that heads the help and the man page.
 */
#include "tui/draw.h"
#include "index/index.h"
#include "index/index_int.h"
#include "core/util.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "tui/view.h"
#include "unit.h"

#include <curses.h>
#include <sqlite3.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_glyphs(void)
{
	draw_glyph g;
	size_t p;
	p = draw_glyph_next("a", 1, 0, &g);
	CHECK(p == 1 && g.width == 1 && g.wc[0] == L'a' && !g.esc[0], "glyph-ascii");
	p = draw_glyph_next("\x1b[31m", 5, 0, &g);
	CHECK(p == 1 && strcmp(g.esc, "\\x1b") == 0 && g.width == 4, "glyph-escape-char");
	draw_glyph_next("\n", 1, 0, &g);
	CHECK(strcmp(g.esc, "\\n") == 0 && g.width == 2, "glyph-newline");
	draw_glyph_next("\t", 1, 0, &g);
	CHECK(strcmp(g.esc, "\\t") == 0, "glyph-tab");
	draw_glyph_next("\x7f", 1, 0, &g);
	CHECK(strcmp(g.esc, "\\x7f") == 0, "glyph-del");
	p = draw_glyph_next("\xff\xfe", 2, 0, &g);
	CHECK(p == 1 && strcmp(g.esc, "\\xff") == 0, "glyph-invalid-byte");
	p = draw_glyph_next("\xe6\x9d", 2, 0, &g);
	CHECK(p == 1 && strcmp(g.esc, "\\xe6") == 0, "glyph-truncated-utf8");
	p = draw_glyph_next("\xe2\x80\xae", 3, 0, &g);
	CHECK(p == 3 && strcmp(g.esc, "<U+202E>") == 0 && g.width == 8, "glyph-bidi-override");
	draw_glyph_next("\xe2\x81\xa6", 3, 0, &g);
	CHECK(strcmp(g.esc, "<U+2066>") == 0, "glyph-bidi-isolate");
	draw_glyph_next("\xc2\x85", 2, 0, &g);
	CHECK(strcmp(g.esc, "<U+0085>") == 0, "glyph-c1-control");
	draw_glyph_next("\xef\xbb\xbf", 3, 0, &g);
	CHECK(strcmp(g.esc, "<U+FEFF>") == 0, "glyph-bom");
	p = draw_glyph_next("\xed\x95\x9c", 3, 0, &g);
	CHECK(p == 3 && g.width == 2 && g.wc[0] == 0xd55c, "glyph-hangul-wide");
	p = draw_glyph_next("e\xcc\x81x", 4, 0, &g);
	CHECK(p == 3 && g.width == 1 && g.wc[0] == L'e' && g.wc[1] == 0x301 && g.wc[2] == 0,
	      "glyph-combining-joins");
	p = draw_glyph_next("\xcc\x81", 2, 0, &g);
	CHECK(p == 2 && g.width == 1 && g.wc[0] == 0x25cc && g.wc[1] == 0x301, "glyph-lone-mark");
	p = draw_glyph_next("\xd7\xa9", 2, 0, &g);
	CHECK(p == 2 && g.width == 1 && !g.esc[0], "glyph-hebrew");
	/* Many marks: all bytes consumed, only a few kept. */
	const char *many = "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81";
	p = draw_glyph_next(many, strlen(many), 0, &g);
	CHECK(p == strlen(many) && g.wc[4] == 0, "glyph-many-marks");
	CHECK(draw_width("\xe6\x9d\xb1\xe4\xba\xac", 6) == 4, "width-cjk");
	CHECK(draw_width("a\x1b" "b", 3) == 6, "width-escape");
	CHECK(draw_width("cafe\xcc\x81", 6) == 4, "width-combining");
	CHECK(draw_width("", 0) == 0, "width-empty");
}

static void test_cells(void)
{
	/* "a" "é" (2 bytes) "東" (3 bytes), one token per byte. */
	const char *t = "a\xc3\xa9\xe6\x9d\xb1";
	uint32_t off[7] = {0, 1, 2, 3, 4, 5, 6};
	float acts[6] = {0, 1, 2, 3, 0, 5};
	int n;
	draw_cell *c = draw_context_cells(t, 6, off, 6, acts, &n);
	CHECK(n == 3, "cells-bytes-joined");
	CHECK(c[0].act == 0 && c[0].tok == 0, "cells-ascii-act");
	CHECK(c[1].act == 2 && c[1].tok == 1, "cells-split-char-max");
	CHECK(c[2].act == 5 && c[2].tok == 3 && c[2].g.width == 2, "cells-cjk-max");
	CHECK(draw_cell_of_token(c, n, off, 6, 4) == 2, "cells-of-mid-token");
	CHECK(draw_cell_of_token(c, n, off, 6, 0) == 0, "cells-of-first-token");
	free(c);
	/* Word tokens: two characters in one token share its activation. */
	uint32_t off2[3] = {0, 2, 5};
	float acts2[2] = {4, 7};
	c = draw_context_cells("ab\xc3\xa9z", 5, off2, 2, acts2, &n);
	CHECK(n == 4 && c[0].act == 4 && c[1].act == 4 && c[2].act == 7 && c[3].tok == 1,
	      "cells-word-tokens");
	free(c);
	/* Tokens that do not cover the text leave it at zero. */
	uint32_t off3[2] = {0, 1};
	float acts3[1] = {3};
	c = draw_context_cells("xyz", 3, off3, 1, acts3, &n);
	CHECK(n == 3 && c[0].act == 3 && c[2].act == 0 && c[2].tok == -1, "cells-uncovered");
	free(c);
	/* An escape inside a context is one cell. */
	c = draw_context_cells("a\x1b[0m", 5, NULL, 0, NULL, &n);
	CHECK(n == 5 && strcmp(c[1].g.esc, "\\x1b") == 0, "cells-escape");
	free(c);
}

static void test_heat(void)
{
	CHECK(draw_heat_level(0, 5) == 0, "heat-zero");
	CHECK(draw_heat_level(-1, 5) == 0, "heat-negative");
	CHECK(draw_heat_level(5, 5) == TERM_HEAT_LEVELS - 1, "heat-max");
	CHECK(draw_heat_level(9, 5) == TERM_HEAT_LEVELS - 1, "heat-above-max");
	CHECK(draw_heat_level(0.01f, 5) == 1, "heat-tiny-visible");
	int l1 = draw_heat_level(1, 5), l2 = draw_heat_level(3, 5);
	CHECK(l1 < l2, "heat-monotone");
	CHECK(draw_heat_level(1, 0) == 0, "heat-no-max");
	CHECK(draw_block(1, 3, 4) == 0x2588, "block-full-top");
	CHECK(draw_block(0.5, 1, 4) == 0x2588 && draw_block(0.5, 2, 4) == L' ', "block-half");
	CHECK(draw_block(0.001, 0, 4) == 0x2581, "block-tiny-visible");
	CHECK(draw_block(0, 0, 4) == L' ', "block-empty");
	CHECK(draw_block(0.5 + 1.0 / 32, 2, 4) == 0x2581, "block-eighth");
}

static int test_candidates(const char *prefix, const char **out, int max, void *ctx)
{
	static const char *words[] = {"neighbours", "next-dict", "next-pane", "quit"};
	(void)ctx;
	int k = 0;
	for (int i = 0; i < 4; i++)
		if (strncmp(words[i], prefix, strlen(prefix)) == 0 && k < max)
			out[k++] = words[i];
	return k;
}

static void test_prompt(void)
{
	prompt_line l;
	prompt_set(&l, "");
	prompt_edit(&l, 'a');
	prompt_edit(&l, 0xe9);
	prompt_edit(&l, 0x6771);
	CHECK(strcmp(l.buf, "a\xc3\xa9\xe6\x9d\xb1") == 0 && l.cur == 6, "prompt-insert-utf8");
	CHECK(prompt_edit(&l, KM_FKEY(KEY_BACKSPACE)) == 1 && strcmp(l.buf, "a\xc3\xa9") == 0,
	      "prompt-backspace-whole-char");
	prompt_edit(&l, KM_FKEY(KEY_LEFT));
	CHECK(l.cur == 1, "prompt-left-whole-char");
	prompt_edit(&l, 'b');
	CHECK(strcmp(l.buf, "ab\xc3\xa9") == 0 && l.cur == 2, "prompt-insert-middle");
	prompt_edit(&l, KM_CTRL('k'));
	CHECK(strcmp(l.buf, "ab") == 0, "prompt-kill-end");
	prompt_set(&l, "foo bar baz");
	prompt_edit(&l, KM_CTRL('w'));
	CHECK(strcmp(l.buf, "foo bar ") == 0, "prompt-kill-word");
	prompt_edit(&l, KM_CTRL('a'));
	CHECK(l.cur == 0 && prompt_edit(&l, KM_FKEY(KEY_BACKSPACE)) == 0, "prompt-home-nothing-to-delete");
	prompt_edit(&l, KM_CTRL('d'));
	CHECK(strcmp(l.buf, "oo bar ") == 0, "prompt-delete-forward");
	prompt_edit(&l, KM_CTRL('e'));
	prompt_edit(&l, KM_CTRL('u'));
	CHECK(l.len == 0 && l.buf[0] == 0, "prompt-kill-start");
	CHECK(prompt_edit(&l, KM_FKEY(KEY_F(5))) == -1 && prompt_edit(&l, 3) == -1, "prompt-not-editing");
	/* prompt_set never keeps half a character. */
	char big[PROMPT_MAX + 8];
	memset(big, 'x', sizeof big);
	memcpy(big + PROMPT_MAX - 3, "\xe6\x9d\xb1", 3);
	big[sizeof big - 1] = 0;
	prompt_set(&l, big);
	CHECK(l.len == PROMPT_MAX - 3, "prompt-set-cuts-on-boundary");
	prompt_set(&l, "ne");
	CHECK(prompt_complete(&l, test_candidates, NULL) == 3 && strcmp(l.buf, "ne") == 0,
	      "complete-ambiguous-keeps");
	prompt_set(&l, "nex");
	CHECK(prompt_complete(&l, test_candidates, NULL) == 2 && strcmp(l.buf, "next-") == 0,
	      "complete-common-prefix");
	prompt_set(&l, "q");
	CHECK(prompt_complete(&l, test_candidates, NULL) == 1 && strcmp(l.buf, "quit ") == 0,
	      "complete-unique");
	prompt_set(&l, "z");
	CHECK(prompt_complete(&l, test_candidates, NULL) == 0 && strcmp(l.buf, "z") == 0, "complete-none");
}

static void test_keymap(void)
{
	int used = 0;
	CHECK(keymap_parse_key("<C-d>", &used) == 4 && used == 5, "key-parse-ctrl");
	CHECK(keymap_parse_key("<Down>x", &used) == KM_FKEY(KEY_DOWN) && used == 6, "key-parse-named");
	CHECK(keymap_parse_key("<F12>", &used) == KM_FKEY(KEY_F(12)), "key-parse-f12");
	CHECK(keymap_parse_key("\xc3\xa9", &used) == 0xe9 && used == 2, "key-parse-utf8");
	CHECK(keymap_parse_key("<Nope>", &used) == -1, "key-parse-unknown");
	CHECK(keymap_parse_key("<", &used) == '<' && used == 1, "key-parse-lone-lt");
	CHECK(keymap_parse_key("\xff", &used) == -1, "key-parse-invalid");
	CHECK(keymap_lookup("list", 'o') == ACT_SORT, "lookup-scoped");
	CHECK(keymap_lookup("list", 'd') == ACT_NEXT_DICT && keymap_lookup("neighbours", 'd') == ACT_OTHER_DICT,
	      "lookup-same-key-two-scopes");
	CHECK(keymap_lookup("feature", 'j') == ACT_DOWN, "lookup-global-fallback");
	CHECK(keymap_lookup("list", '\r') == ACT_ENTER && keymap_lookup("list", KM_FKEY(KEY_ENTER)) == ACT_ENTER,
	      "lookup-enter-variants");
	CHECK(keymap_lookup("feature", 'o') == ACT_NONE, "lookup-other-scope-unbound");
	CHECK(keymap_by_name("next-pane") == ACT_NEXT_PANE && keymap_by_name("nope") == ACT_NONE,
	      "by-name");
	/* Every key in the table parses, names round-trip, long names are
	 * unique, and no key is bound twice in one scope (or shadows a
	 * global key that the scope still needs). */
	int bad_parse = 0, bad_round = 0, dup_name = 0, clash = 0;
	for (int a = 1; a < ACT_COUNT; a++) {
		for (int b = a + 1; b < ACT_COUNT; b++)
			dup_name += strcmp(keymap_name(a), keymap_name(b)) == 0;
		const char *p = keymap_keys(a);
		while (*p) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			int k = keymap_parse_key(p, &used);
			if (k < 0) {
				bad_parse++;
				break;
			}
			char nm[32];
			int u2 = 0;
			if (keymap_parse_key(keymap_key_name(k, nm, sizeof nm), &u2) != k)
				bad_round++;
			int found = keymap_lookup(keymap_scope(a), k);
			if (found != a) {
				/* Scoped keys may shadow global ones on purpose; the
				 * reverse (a global key hidden in its own scope) and
				 * two actions in one scope are clashes. */
				if (strcmp(keymap_scope(found), keymap_scope(a)) == 0 ||
				    strcmp(keymap_scope(a), "global") != 0)
					clash++;
			}
			p += used;
		}
	}
	CHECK(bad_parse == 0, "table-keys-parse");
	CHECK(bad_round == 0, "table-key-names-round-trip");
	CHECK(dup_name == 0, "table-names-unique");
	CHECK(clash == 0, "table-no-clashes");
}

/* VIEW_INFO is the one list of screens: scopes unique, every action's
 * scope is a row, and the man page's sections are exactly the rows with
 * keys, in the table's order, under the table's headings. */
static void test_view_info(void)
{
	int dup = 0, orphan = 0;
	for (int k = 0; k < VIEW_COUNT; k++)
		for (int j = k + 1; j < VIEW_COUNT; j++)
			dup += strcmp(view_infos[k].scope, view_infos[j].scope) == 0;
	for (int a = 1; a < ACT_COUNT; a++) {
		int found = 0;
		for (int k = 0; k < VIEW_COUNT; k++)
			found |= strcmp(view_infos[k].scope, keymap_scope(a)) == 0;
		orphan += !found;
	}
	CHECK(dup == 0 && strcmp(view_infos[VIEW_GLOBAL].scope, "global") == 0, "view-info-scopes-unique");
	CHECK(orphan == 0, "view-info-every-keymap-scope");
	char want[1024] = "", got[1024] = "", line[512];
	for (int k = 0; k < VIEW_COUNT; k++) {
		int any = 0;
		for (int a = 1; a < ACT_COUNT; a++)
			any |= strcmp(keymap_scope(a), view_infos[k].scope) == 0;
		if (any)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s|", view_infos[k].section);
	}
	FILE *f = tmpfile();
	if (f) {
		keymap_write_man(f);
		rewind(f);
		while (fgets(line, sizeof line, f))
			if (strncmp(line, ".SS ", 4) == 0) {
				line[strcspn(line, "\n")] = 0;
				snprintf(got + strlen(got), sizeof got - strlen(got), "%s|", line + 4);
			}
		fclose(f);
	}
	CHECK(want[0] && strcmp(want, got) == 0, "view-info-man-sections");
}

/* Keyset paging and ranks agree with OFFSET paging in every order, with
 * ties in the sort column, two dictionaries and a filter. */
static void test_paging(void)
{
	char dir[] = "/tmp/unit-tui.XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0, "paging-tmpdir");
		return;
	}
	char *path = xasprintf("%s/page.sqlite", dir), err[256];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "paging-writer");
	if (!w)
		return;
	fs_sae sa = {0, (char *)"a", (char *)"", (char *)"", -1, 0, 150, (char *)"native"};
	fs_sae sb = {0, (char *)"b", (char *)"", (char *)"", -1, 0, 90, (char *)"native"};
	int ida = index_writer_add_sae(w, &sa), idb = index_writer_add_sae(w, &sb);
	static const char *words[] = {"river", "Bridge", "digit", "bridge", "zebra"};
	for (int i = 0; i < 240; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = i < 150 ? ida : idb;
		f.idx = i < 150 ? (i * 7) % 150 : i - 150;
		char lab[32];
		snprintf(lab, sizeof lab, "%s %d", words[i % 5], i % 4);
		f.label = lab;
		f.label_source = (char *)"test";
		f.density = (i % 7) * 0.001;
		f.max_act = (i % 3) + 1;
		f.cluster = i % 5;
		index_writer_add_feature(w, &f);
	}
	CHECK(index_writer_finish(w, err, sizeof err) == 0, "paging-index-built");
	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "paging-open");
	if (!ix)
		return;
	int bad_fwd = 0, bad_back = 0, bad_rank = 0, combos = 0;
	const char *filters[] = {"", "bridge"};
	for (int sae = 0; sae <= 2; sae++)
		for (int sort = 0; sort < 5; sort++)
			for (int desc = 0; desc < 2; desc++)
				for (int fi = 0; fi < 2; fi++) {
					const char *flt = filters[fi];
					int64_t total = index_feature_count(ix, sae, flt);
					fs_feature *all = xcalloc((size_t)total + 1, sizeof *all);
					int n = index_feature_page(ix, sae, (fs_sort)sort, desc, flt, 0, (int)total + 1, all);
					combos++;
					/* Forward and backward in steps of 37 rows. */
					fs_feature pg[37];
					int64_t pos = 0;
					const fs_feature *at = NULL;
					fs_feature last;
					memset(&last, 0, sizeof last);
					for (;;) {
						int k = index_feature_page_at(ix, sae, (fs_sort)sort, desc, flt, at, 1, 37, pg);
						if (k <= 0)
							break;
						for (int j = 0; j < k; j++)
							if (pos + j >= n || pg[j].id != all[pos + j].id)
								bad_fwd++;
						pos += k;
						index_feature_free(&last);
						last = pg[k - 1];
						last.label = xstrdup(pg[k - 1].label);
						last.label_source = xstrdup(pg[k - 1].label_source);
						for (int j = 0; j < k; j++)
							index_feature_free(&pg[j]);
						at = &last;
					}
					if (pos != n)
						bad_fwd++;
					index_feature_free(&last);
					pos = n;
					at = NULL;
					memset(&last, 0, sizeof last);
					for (;;) {
						int k = index_feature_page_at(ix, sae, (fs_sort)sort, desc, flt, at, -1, 37, pg);
						if (k <= 0)
							break;
						for (int j = 0; j < k; j++)
							if (pos - k + j < 0 || pg[j].id != all[pos - k + j].id)
								bad_back++;
						pos -= k;
						index_feature_free(&last);
						last = pg[0];
						last.label = xstrdup(pg[0].label);
						last.label_source = xstrdup(pg[0].label_source);
						for (int j = 0; j < k; j++)
							index_feature_free(&pg[j]);
						at = &last;
					}
					if (pos != 0)
						bad_back++;
					index_feature_free(&last);
					for (int j = 0; j < n; j++)
						if (index_feature_rank(ix, sae, (fs_sort)sort, desc, flt, all[j].id) != j)
							bad_rank++;
					for (int j = 0; j < n; j++)
						index_feature_free(&all[j]);
					free(all);
				}
	CHECK(combos == 60, "paging-combos");
	CHECK(bad_fwd == 0, "paging-keyset-forward-matches-offset");
	CHECK(bad_back == 0, "paging-keyset-backward-matches-offset");
	CHECK(bad_rank == 0, "paging-rank-matches-position");
	/* A feature outside the list has no rank. */
	int64_t fb = index_feature_id(ix, idb, 3);
	CHECK(index_feature_rank(ix, ida, FS_SORT_ID, 0, "", fb) == -1, "paging-rank-other-dict");
	/* Feature a/0 is "river 0": filtered out by "bridge". */
	CHECK(index_feature_rank(ix, 0, FS_SORT_ID, 0, "bridge", index_feature_id(ix, ida, 0)) == -1,
	      "paging-rank-filtered-out");
	/* The ranks above came from the stored feature_ranks table; an index
	 * without it (built by an earlier featscope) counts the rows before
	 * the feature instead, and must give the same positions. */
	int64_t stored[5][2][241];
	for (int sort = 0; sort < 5; sort++)
		for (int desc = 0; desc < 2; desc++)
			for (int64_t fid = 1; fid <= 240; fid++)
				stored[sort][desc][fid] = index_feature_rank(ix, ida, (fs_sort)sort, desc, "", fid);
	index_close(ix);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
		      sqlite3_exec(db, "DROP TABLE feature_ranks", NULL, NULL, NULL) == SQLITE_OK,
	      "paging-ranks-dropped");
	sqlite3_close(db);
	ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "paging-reopen-without-ranks");
	if (!ix)
		return;
	int bad_counted = 0, in_list = 0;
	for (int sort = 0; sort < 5; sort++)
		for (int desc = 0; desc < 2; desc++)
			for (int64_t fid = 1; fid <= 240; fid++) {
				int64_t r = index_feature_rank(ix, ida, (fs_sort)sort, desc, "", fid);
				bad_counted += r != stored[sort][desc][fid];
				in_list += r >= 0;
			}
	CHECK(in_list == 5 * 2 * 150, "paging-ranks-counted-cover-the-list");
	CHECK(bad_counted == 0, "paging-ranks-stored-equal-counted");
	index_close(ix);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* Logit tokens of a byte-level model as the feature page lists them. */
static void test_token_readable(void)
{
	static const struct { const char *in; size_t n; const char *want; const char *name; } t[] = {
		{" ", 1, "\xe2\x90\xa3", "token-space"},
		{"\t", 1, "\xe2\x87\xa5", "token-tab"},
		{"\n", 1, "\xe2\x86\xb5", "token-newline"},
		{" the", 4, "\xe2\x90\xa3the", "token-space-word"},
		{"\x8a", 1, "<..8A>", "token-continuation-byte"},
		{"\xe3", 1, "<E3..>", "token-lead-byte"},
		{"\xe3\x81", 2, "<E3..><..81>", "token-cut-character"},
		{"\xe6\x9d\xb1", 3, "\xe6\x9d\xb1", "token-whole-character"},
		{"\xff", 1, "\xff", "token-invalid-byte-left-to-escape"},
		{"", 0, "", "token-empty"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *r = draw_token_readable(t[i].in, t[i].n);
		CHECK(strcmp(r, t[i].want) == 0, t[i].name);
		free(r);
	}
	char d[32];
	draw_density(0.0475, d, sizeof d);
	CHECK(strcmp(d, "4.75%") == 0, "density-percent");
	draw_density(0.0001, d, sizeof d);
	CHECK(strcmp(d, "0.01%") == 0, "density-small");
	draw_density(0.000035, d, sizeof d);
	CHECK(strcmp(d, "0.0035%") == 0, "density-tiny-plain-decimals");
	draw_density(0.0000999, d, sizeof d);
	CHECK(strchr(d, 'e') == NULL, "density-no-exponent");
	draw_density(-1, d, sizeof d);
	CHECK(strcmp(d, "-") == 0, "density-unknown");
}

/* The list's filter through the label_tri trigrams gives exactly the rows
 * of a plain substring test, checked against the sqlite3 shell's instr()
 * over lower() (which folds ASCII letters only, as LIKE does). */
static void test_filter_ref(void)
{
	char dir[] = "/tmp/unit-tui.XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0, "filter-tmpdir");
		return;
	}
	char *path = xasprintf("%s/filter.sqlite", dir), err[256];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "filter-writer");
	if (!w)
		return;
	static const char *labels[] = {
		"Golden Gate Bridge", "golden gate", "GOLDEN", "\xc3\x89" "cole normale", "\xc3\xa9" "cole",
		"\xc3\x89" "COLE", "Kelvin \xe2\x84\xaa", "kkk", "100% sure", "100 percent", "a_b c", "axb c",
		"back\\slash", "quote \"here\"", "\xe6\x9d\xb1\xe4\xba\xac (Tokyo)", "\xe6\x9d\xb1\xe4\xba\xac tower",
		"", "river 12", "12 rivers", "\xc5\x9e\xc5\x9e\xc5\x9e", "\xc5\x9f\xc5\x9f\xc5\x9f", "gattaca",
		"GATTACA", "\xc3\x9ftra\xc3\x9f" "e", "STRASSE", "ab'cd", "line\nbreak"};
	enum { NL = sizeof labels / sizeof labels[0] };
	fs_sae sa = {0, (char *)"a", (char *)"", (char *)"", -1, 0, 2 * NL, (char *)"native"};
	int ida = index_writer_add_sae(w, &sa);
	for (int i = 0; i < 2 * NL; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = ida;
		f.idx = (i * 5) % (2 * NL);
		f.label = (char *)labels[i % NL];
		f.label_source = (char *)"test";
		index_writer_add_feature(w, &f);
	}
	CHECK(index_writer_finish(w, err, sizeof err) == 0, "filter-index-built");
	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "filter-open");
	if (!ix)
		return;
	CHECK(index_filter_kind(ix, "gate") == 2, "filter-uses-trigrams");
	CHECK(index_filter_kind(ix, "ga") == 1, "filter-short-scans");
	static const char *filters[] = {
		"gate", "GATE", "golden gate b", "\xc3\xa9" "cole", "\xc3\x89" "COLE", "cole", "COLE n", "k", "kk", "kkk",
		"\xe2\x84\xaa", "vin \xe2\x84\xaa", "100%", "0% s", "a_b", "_b ", "\\sl", "\"here", "e \"h",
		"\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac (", "\xe4\xba\xac to", "12", "river 1", "12 r",
		"\xc5\x9e\xc5\x9e", "\xc5\x9f\xc5\x9f\xc5\x9f", "gAtTaCa", "\xc3\x9ftra", "tra\xc3\x9f" "e", "strasse",
		"zzz", "b'c", "3", "30", "e\nb", "ab'cd", "%%%", "___", "ate Bri", "olden gate bridg"};
	enum { NF = sizeof filters / sizeof filters[0] };
	int bad = 0, nonempty = 0;
	for (int fi = 0; fi < NF; fi++) {
		const char *flt = filters[fi];
		/* the reference: ids in order from the sqlite3 shell */
		fs_buf q = {0};
		buf_printf(&q, "sqlite3 '%s' \"SELECT id FROM features WHERE instr(lower(label),"
			   " lower(CAST(X'", path);
		for (const unsigned char *p = (const unsigned char *)flt; *p; p++)
			buf_printf(&q, "%02X", *p);
		buf_adds(&q, "' AS TEXT))) > 0 OR CAST(idx AS TEXT) = CAST(X'");
		for (const unsigned char *p = (const unsigned char *)flt; *p; p++)
			buf_printf(&q, "%02X", *p);
		buf_adds(&q, "' AS TEXT) ORDER BY idx\"");
		FILE *f = popen(q.p, "r");
		buf_free(&q);
		int64_t want[4 * NL];
		int nw = 0;
		long long v;
		while (f && nw < 4 * NL && fscanf(f, "%lld", &v) == 1)
			want[nw++] = v;
		if (!f || pclose(f) != 0) {
			CHECK(0, "filter-sqlite3-shell");
			break;
		}
		fs_feature page[4 * NL];
		int n = index_feature_page(ix, ida, FS_SORT_ID, 0, flt, 0, 4 * NL, page);
		int64_t cnt = index_feature_count(ix, ida, flt);
		int same = n == nw && cnt == nw;
		for (int i = 0; i < n; i++) {
			if (same && page[i].id != want[i])
				same = 0;
			index_feature_free(&page[i]);
		}
		if (!same) {
			printf("# filter '%s': %d rows (count %lld), the shell's %d\n", flt, n, (long long)cnt, nw);
			bad++;
		}
		nonempty += nw > 0;
	}
	CHECK(bad == 0, "filter-same-as-substring-reference");
	CHECK(nonempty >= NF - 4, "filter-reference-finds-rows");
	index_close(ix);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	test_glyphs();
	test_cells();
	test_heat();
	test_prompt();
	test_keymap();
	test_view_info();
	test_paging();
	test_filter_ref();
	test_token_readable();
	TEST_END();
}

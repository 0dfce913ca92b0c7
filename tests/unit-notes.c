/*
 * unit-notes.c: unit tests of the notes database (src/notes/notes.c): put/get,
 * tags, bookmarks, key order, full-text search, lists, persistence, the
 * schema version, refusal of newer and corrupt databases (left
 * byte-identical), and a write failure under a file size limit that leaves
 * the database consistent. Needs no index.
 */
#include "cli/cmd.h"
#include "index/index.h"
#include "notes/notes.h"
#include "unit.h"
#include "core/util.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Whole file into memory (NULL when missing). */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	fs_buf b = {0};
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	if (!b.p)
		buf_adds(&b, "");
	*len = b.len;
	return b.p;
}

static void spit(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

/* Run SQL on a database with a separate connection; the first column of
 * the first row as a malloc'd string ("" when none, NULL on error). */
static char *sql1(const char *p, const char *sql)
{
	sqlite3 *db;
	char *r = NULL;
	if (sqlite3_open(p, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			r = xstrdup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
		else if (rc == SQLITE_DONE)
			r = xstrdup("");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return r;
}

static int sql_is(const char *p, const char *sql, const char *want)
{
	char *r = sql1(p, sql);
	int ok = r && !strcmp(r, want);
	if (!ok)
		printf("# %s -> [%s], wanted [%s]\n", sql, r ? r : "(error)", want);
	free(r);
	return ok;
}

static int put(fs_notes *n, const char *key, const char *label, const char *note, const char *tags, int bm)
{
	fs_note x = {(char *)key, (char *)label, (char *)note, (char *)tags, bm, 0};
	return notes_put(n, &x);
}

static int has(char **v, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* A refused database must be left byte-identical, with no -wal/-shm
 * created beside it. */
static void check_refused(const char *name, const char *p, const char *want_msg)
{
	size_t l0, l1;
	char *before = slurp(p, &l0);
	char err[512] = "";
	fs_notes *n = notes_open(p, "x", err, sizeof err);
	char *after = slurp(p, &l1);
	char cname[128];
	snprintf(cname, sizeof cname, "%s-refused", name);
	CHECK(n == NULL, cname);
	notes_close(n);
	snprintf(cname, sizeof cname, "%s-message", name);
	CHECK(strstr(err, want_msg) != NULL && strstr(err, p) != NULL, cname);
	if (!strstr(err, want_msg))
		printf("# message: %s\n", err);
	snprintf(cname, sizeof cname, "%s-untouched", name);
	CHECK(before && after && l0 == l1 && memcmp(before, after, l0) == 0, cname);
	char *wal = xasprintf("%s-wal", p), *shm = xasprintf("%s-shm", p);
	snprintf(cname, sizeof cname, "%s-no-wal-left", name);
	CHECK(access(wal, F_OK) != 0 && access(shm, F_OK) != 0, cname);
	free(wal);
	free(shm);
	free(before);
	free(after);
}

static void test_basic(void)
{
	char *p = path_in("a.sqlite"), err[512] = "";
	fs_notes *n = notes_open(p, "ident1", err, sizeof err);
	CHECK(n != NULL, "open-create");
	if (!n) {
		printf("# %s\n", err);
		exit(1);
	}
	CHECK(!strcmp(notes_path(n), p), "path");
	CHECK(sql_is(p, "PRAGMA journal_mode", "wal"), "wal-mode");
	CHECK(sql_is(p, "PRAGMA user_version", "2"), "schema-version");

	fs_note g;
	CHECK(notes_get(n, "fix/3", &g) == 1 && !strcmp(g.label, "") && !strcmp(g.note, "") &&
		      !strcmp(g.tags, "") && g.bookmark == 0 && !strcmp(g.key, "fix/3"),
	      "get-missing-empty");
	notes_note_free(&g);

	CHECK(put(n, "fix/3", "Hangul", "fires on 한국어\nline two", "korean  script,korean", 0) == 0, "put");
	CHECK(notes_get(n, "fix/3", &g) == 0 && !strcmp(g.label, "Hangul") &&
		      !strcmp(g.note, "fires on 한국어\nline two") && g.updated > 0,
	      "get-after-put");
	CHECK(!strcmp(g.tags, "korean script"), "tags-normalised");
	notes_note_free(&g);

	CHECK(put(n, "fix/3", "Hangul syllables", "fires on 한국어\nline two", "korean script", 1) == 0, "put-update");
	CHECK(notes_get(n, "fix/3", &g) == 0 && !strcmp(g.label, "Hangul syllables") && g.bookmark == 1, "get-updated");
	notes_note_free(&g);

	CHECK(put(n, "fix/10", "", "", "", 1) == 0, "put-bookmark-only");
	CHECK(notes_get(n, "fix/10", &g) == 0 && g.bookmark == 1 && !*g.label, "bookmark-only-kept");
	notes_note_free(&g);
	CHECK(put(n, "fix/2", "digits", "", "", 0) == 0 && put(n, "abc/7", "", "x", "", 0) == 0, "put-more");
	CHECK(put(n, "gone/1", "temp", "", "", 0) == 0 && put(n, "gone/1", "", "", "", 0) == 0 &&
		      notes_get(n, "gone/1", &g) == 1,
	      "empty-note-deletes");
	notes_note_free(&g);

	char **keys;
	int nk = notes_keys(n, &keys);
	CHECK(nk == 4 && !strcmp(keys[0], "abc/7") && !strcmp(keys[1], "fix/2") &&
		      !strcmp(keys[2], "fix/3") && !strcmp(keys[3], "fix/10"),
	      "keys-natural-order");
	notes_strv_free(keys, nk);

	/* full-text search over labels, notes and tags */
	nk = notes_search(n, "syllables", 10, &keys);
	CHECK(nk == 1 && !strcmp(keys[0], "fix/3"), "search-label");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "한국어", 10, &keys);
	CHECK(nk == 1 && !strcmp(keys[0], "fix/3"), "search-note-utf8");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "script", 10, &keys);
	CHECK(nk == 1, "search-tag");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "dig*", 10, &keys);
	CHECK(nk == 1 && !strcmp(keys[0], "fix/2"), "search-prefix");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "Hangul", 10, &keys);
	CHECK(nk == 1, "search-case-insensitive");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "temp", 10, &keys);
	CHECK(nk == 0, "search-deleted-gone");
	notes_strv_free(keys, nk);
	CHECK(put(n, "fix/2", "numerals", "", "", 0) == 0, "relabel");
	nk = notes_search(n, "digits", 10, &keys);
	CHECK(nk == 0, "search-old-label-gone");
	notes_strv_free(keys, nk);
	nk = notes_search(n, "fix/2 \"(", 10, &keys);
	CHECK(nk == 0, "search-bad-syntax-is-words");
	notes_strv_free(keys, nk);

	/* lists */
	CHECK(notes_list_add(n, "good", "the good ones", "fix/3") == 0 &&
		      notes_list_add(n, "good", NULL, "fix/10") == 0 &&
		      notes_list_add(n, "good", NULL, "fix/2") == 0 &&
		      notes_list_add(n, "good", NULL, "fix/3") == 0,
	      "list-add");
	CHECK(notes_list_add(n, "todo", "", "abc/7") == 0, "list-add-second");
	char **m;
	int nm = notes_list_members(n, "good", &m);
	CHECK(nm == 3 && !strcmp(m[0], "fix/3") && !strcmp(m[1], "fix/10") && !strcmp(m[2], "fix/2"),
	      "list-members-in-order-no-dup");
	notes_strv_free(m, nm);
	char *d = notes_list_description(n, "good");
	CHECK(d && !strcmp(d, "the good ones"), "list-description");
	free(d);
	CHECK(notes_list_add(n, "good", "better ones", NULL) == 0, "list-describe");
	d = notes_list_description(n, "good");
	CHECK(d && !strcmp(d, "better ones"), "list-description-updated");
	free(d);
	CHECK(notes_list_description(n, "nope") == NULL, "list-description-missing");
	nm = notes_list_names(n, &m);
	CHECK(nm == 2 && !strcmp(m[0], "good") && !strcmp(m[1], "todo"), "list-names");
	notes_strv_free(m, nm);
	nm = notes_key_lists(n, "fix/3", &m);
	CHECK(nm == 1 && !strcmp(m[0], "good"), "key-lists");
	notes_strv_free(m, nm);
	CHECK(notes_list_remove(n, "good", "fix/10") == 0, "list-remove");
	nm = notes_list_members(n, "good", &m);
	CHECK(nm == 2 && !has(m, nm, "fix/10"), "list-removed");
	notes_strv_free(m, nm);
	CHECK(notes_list_remove(n, "todo", NULL) == 0, "list-drop");
	CHECK(notes_list_members(n, "todo", &m) < 0 && strstr(notes_errmsg(n), "todo"), "list-dropped");
	CHECK(sql_is(p, "SELECT count(*) FROM list_members WHERE key = 'abc/7'", "0"), "list-drop-cascades");
	CHECK(notes_list_remove(n, "nope", "fix/3") < 0, "list-remove-missing-fails");
	CHECK(notes_list_name_ok("good-ones_2") && !notes_list_name_ok("a b") && !notes_list_name_ok("") &&
		      !notes_list_name_ok("a,b"),
	      "list-name-check");

	/* a group of saves is one transaction */
	CHECK(notes_begin(n) == 0 && put(n, "grp/1", "one", "", "", 0) == 0 && put(n, "grp/2", "two", "", "", 0) == 0, "group-puts");
	notes_rollback(n);
	CHECK(notes_get(n, "grp/1", &g) == 1, "group-rollback");
	notes_note_free(&g);
	notes_close(n);

	/* everything is there after reopening */
	n = notes_open(p, "other", err, sizeof err);
	CHECK(n != NULL, "reopen");
	CHECK(n && !strcmp(notes_identity_stored(n), "ident1"), "identity-kept");
	CHECK(n && notes_get(n, "fix/3", &g) == 0 && !strcmp(g.label, "Hangul syllables") && g.bookmark, "persisted");
	notes_note_free(&g);
	nm = n ? notes_list_members(n, "good", &m) : -1;
	CHECK(nm == 2, "lists-persisted");
	notes_strv_free(m, nm);
	notes_close(n);
	CHECK(sql_is(p, "PRAGMA integrity_check", "ok"), "integrity");

	/* VACUUM (by hand, with sqlite3) keeps the full-text index in step */
	CHECK(sql_is(p, "DELETE FROM notes WHERE key = 'abc/7'", "") && sql_is(p, "VACUUM", ""), "vacuum");
	CHECK(sql_is(p, "INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)", ""), "vacuum-fts-consistent");
	n = notes_open(p, "x", err, sizeof err);
	nk = n ? notes_search(n, "numerals", 10, &keys) : -1;
	CHECK(nk == 1 && !strcmp(keys[0], "fix/2"), "vacuum-search");
	notes_strv_free(keys, nk);
	notes_close(n);
	free(p);
}

static void test_default_path(void)
{
	char *xdg = path_in("xdg");
	setenv("XDG_DATA_HOME", xdg, 1);
	char err[512];
	fs_notes *n = notes_open(NULL, "0123456789abcdef", err, sizeof err);
	char *want = xasprintf("%s/featscope/notes-0123456789abcdef.sqlite", xdg);
	CHECK(n && !strcmp(notes_path(n), want), "default-path-xdg");
	CHECK(access(want, F_OK) == 0, "default-path-created");
	notes_close(n);
	free(want);
	unsetenv("XDG_DATA_HOME");
	char *home = path_in("home");
	setenv("HOME", home, 1);
	char *dp = notes_default_path("ff");
	want = xasprintf("%s/.local/share/featscope/notes-ff.sqlite", home);
	CHECK(!strcmp(dp, want), "default-path-home");
	free(dp);
	free(want);
	free(home);
	free(xdg);
}

static void test_refuse(void)
{
	char err[512];
	/* a notes database, then a copy made newer */
	char *p = path_in("newer.sqlite");
	fs_notes *n = notes_open(p, "x", err, sizeof err);
	put(n, "fix/1", "keep me", "", "", 0);
	notes_close(n);
	sqlite3 *db;
	sqlite3_open(p, &db);
	sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL);
	sqlite3_close(db);
	check_refused("newer-version", p, "newer");
	free(p);

	/* newer, and left in rollback-journal mode */
	p = path_in("newer-rollback.sqlite");
	sqlite3_open(p, &db);
	sqlite3_exec(db, "PRAGMA journal_mode = DELETE; CREATE TABLE future(x); PRAGMA user_version = 7", NULL, NULL, NULL);
	sqlite3_close(db);
	check_refused("newer-rollback", p, "version 7");
	free(p);

	/* not SQLite at all */
	p = path_in("text.sqlite");
	const char *txt = "these are my notes, in a text file\n";
	spit(p, txt, strlen(txt));
	check_refused("not-sqlite", p, "not a SQLite database");
	free(p);

	/* SQLite, but another program's */
	p = path_in("other.sqlite");
	sqlite3_open(p, &db);
	sqlite3_exec(db, "CREATE TABLE recipes(name, steps); INSERT INTO recipes VALUES ('bread', 'knead')", NULL, NULL, NULL);
	sqlite3_close(db);
	check_refused("other-schema", p, "not a featscope notes database");
	free(p);

	/* our version number, wrong schema */
	p = path_in("wrong.sqlite");
	n = notes_open(p, "x", err, sizeof err);
	notes_close(n);
	sqlite3_open(p, &db);
	sqlite3_exec(db, "DROP TABLE list_members", NULL, NULL, NULL);
	sqlite3_close(db);
	check_refused("wrong-schema", p, "wrong schema");
	free(p);

	/* a notes database with a page overwritten by garbage */
	p = path_in("corrupt.sqlite");
	n = notes_open(p, "x", err, sizeof err);
	for (int i = 0; i < 200; i++) {
		char key[32], note[200];
		snprintf(key, sizeof key, "fix/%d", i);
		snprintf(note, sizeof note, "note number %d with some words to fill pages %0100d", i, i);
		put(n, key, "label", note, "t", 0);
	}
	notes_close(n);
	size_t len;
	char *data = slurp(p, &len);
	CHECK(len > 5 * 4096, "corrupt-setup");
	for (size_t i = 3 * 4096 + 8; i < 4 * 4096 && i < len; i++)
		data[i] = (char)(i * 7 + 3);
	spit(p, data, len);
	free(data);
	check_refused("corrupt-page", p, "corrupt");
	free(p);

	/* truncated to its first page */
	p = path_in("trunc.sqlite");
	n = notes_open(p, "x", err, sizeof err);
	for (int i = 0; i < 100; i++) {
		char key[32];
		snprintf(key, sizeof key, "fix/%d", i);
		put(n, key, "a label long enough to need pages of its own, more or less", "", "", 0);
	}
	notes_close(n);
	data = slurp(p, &len);
	spit(p, data, 4096);
	free(data);
	check_refused("truncated", p, "corrupt");
	free(p);

	/* an empty file is a new database */
	p = path_in("empty.sqlite");
	spit(p, "", 0);
	n = notes_open(p, "x", err, sizeof err);
	CHECK(n != NULL && put(n, "fix/1", "ok", "", "", 0) == 0, "empty-file-initialised");
	notes_close(n);
	free(p);
}

static void test_write_failure(void)
{
	char *p = path_in("full.sqlite"), err[512];
	fs_notes *n = notes_open(p, "x", err, sizeof err);
	CHECK(n && put(n, "fix/1", "before", "saved before the disk filled", "a", 1) == 0, "full-setup");
	notes_close(n);
	n = notes_open(p, "x", err, sizeof err);
	CHECK(n != NULL, "full-reopen");
	if (!n)
		return;
	size_t bl = 200000;
	char *big = xmalloc(bl + 1);
	for (size_t i = 0; i < bl; i++)
		big[i] = "abcdefgh ijklmnop"[i % 17];
	big[bl] = 0;

	/* files may not grow past 64 KiB: the write fails as on a full disk */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "full-limit-set");
	int rc = put(n, "fix/1", "after", big, "b", 0);
	CHECK(rc < 0, "full-put-fails");
	CHECK(strstr(notes_errmsg(n), p) && (strstr(notes_errmsg(n), "write error") || strstr(notes_errmsg(n), "disk full")),
	      "full-clear-message");
	printf("# %s\n", notes_errmsg(n));
	/* a group of saves fails as a whole */
	CHECK(notes_begin(n) == 0 && put(n, "fix/2", "small", "", "", 0) == 0, "full-group-small");
	/* the big save fails now, or at the latest when the group commits */
	int big_rc = put(n, "fix/3", "", big, "", 0);
	CHECK(big_rc < 0 || notes_commit(n) < 0, "full-group-fails");
	notes_rollback(n);
	setrlimit(RLIMIT_FSIZE, &old);

	fs_note g;
	CHECK(notes_get(n, "fix/1", &g) == 0 && !strcmp(g.label, "before") && g.bookmark == 1, "full-old-note-kept");
	notes_note_free(&g);
	CHECK(notes_get(n, "fix/2", &g) == 1, "full-group-rolled-back");
	notes_note_free(&g);
	CHECK(put(n, "fix/4", "later", "written once there is room", "", 0) == 0, "full-later-put-works");
	notes_close(n);
	CHECK(sql_is(p, "PRAGMA integrity_check", "ok"), "full-integrity");
	CHECK(sql_is(p, "SELECT label FROM notes WHERE key = 'fix/1'", "before"), "full-reread");
	CHECK(sql_is(p, "INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)", ""), "full-fts-consistent");
	free(big);
	free(p);
}

/* A small index through the writer API: dictionaries "a" (3 features,
 * width wa) and "b" (2 features), one context, examples and neighbours. */
static int build_index(const char *p, int64_t na)
{
	char err[512];
	fs_writer *w = index_writer_create(p, err, sizeof err);
	if (!w) {
		printf("# %s\n", err);
		return -1;
	}
	fs_sae sa = {0, (char *)"a", (char *)"m", (char *)"h0", 0, 4, na, (char *)"native"};
	fs_sae sb = {0, (char *)"b", (char *)"m", (char *)"h1", 1, 4, 2, (char *)"native"};
	int ia = index_writer_add_sae(w, &sa), ib = index_writer_add_sae(w, &sb);
	int64_t fid[5];
	for (int i = 0; i < 5; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = i < 3 ? ia : ib;
		f.idx = i < 3 ? i : i - 3;
		char label[32];
		snprintf(label, sizeof label, "auto %d", i);
		f.label = label;
		f.label_source = (char *)"auto";
		f.density = 0.01 * (i + 1);
		f.max_act = 2.0 + i;
		f.map_x = f.map_y = NAN;
		fid[i] = index_writer_add_feature(w, &f);
	}
	const char *text = "the cat|sat\ton";
	uint32_t off[] = {0, 3, 7, 11, 12, 14};
	int64_t ctx = index_writer_add_context(w, text, strlen(text), off, 5, "test");
	float acts[5] = {0, 3.5f, 1, 0, 0};
	index_writer_add_example(w, fid[0], 0, 0, ctx, acts, 5);
	index_writer_add_neighbour(w, fid[0], ia, 0, fid[2], 0.9f);
	index_writer_add_neighbour(w, fid[0], ia, 1, fid[1], 0.5f);
	int rc = index_writer_finish(w, err, sizeof err);
	if (rc)
		printf("# %s\n", err);
	return rc;
}

static char *read_all(const char *p)
{
	size_t l;
	char *s = slurp(p, &l);
	return s ? s : xstrdup("");
}

static void test_index(void)
{
	char *p1 = path_in("i1.sqlite"), *p2 = path_in("i2.sqlite"), *p3 = path_in("i3.sqlite");
	CHECK(build_index(p1, 3) == 0 && build_index(p2, 3) == 0 && build_index(p3, 4) == 0, "index-built");
	char err[512], id1[32], id2[32], id3[32];
	fs_index *a = index_open(p1, err, sizeof err), *b = index_open(p2, err, sizeof err),
		 *c = index_open(p3, err, sizeof err);
	CHECK(a && b && c, "index-open");
	if (!a || !b || !c)
		return;
	notes_identity(a, id1, sizeof id1);
	notes_identity(b, id2, sizeof id2);
	notes_identity(c, id3, sizeof id3);
	CHECK(strlen(id1) == 16 && !strcmp(id1, id2), "identity-same-dictionaries");
	CHECK(strcmp(index_uuid(a), index_uuid(b)) != 0, "identity-uuids-differ");
	CHECK(strcmp(id1, id3) != 0, "identity-other-dictionaries");

	char key[64];
	int64_t fb1 = index_feature_id(a, 2, 1);
	CHECK(notes_feature_key(a, fb1, key, sizeof key) == 0 && !strcmp(key, "b/1"), "feature-key");
	CHECK(notes_feature_key(a, 99, key, sizeof key) < 0, "feature-key-missing");
	CHECK(notes_resolve(a, "a/2", key, sizeof key, err, sizeof err) == 0 && !strcmp(key, "a/2"), "resolve-key");
	CHECK(notes_resolve(a, "a/7", key, sizeof key, err, sizeof err) < 0, "resolve-missing");

	char *np = path_in("inotes.sqlite");
	fs_notes *n = notes_open_index(a, np, err, sizeof err);
	CHECK(n && !strcmp(notes_identity_stored(n), id1), "open-index-identity");
	CHECK(sql_is(np, "SELECT value FROM meta WHERE key = 'index_uuid'", index_uuid(a)), "open-index-uuid-recorded");
	put(n, "a/0", "the pipe one", "a | note", "t1", 1);
	put(n, "zz/5", "orphan", "a note for a feature this index lacks", "", 0);
	notes_close(n);
	index_close(a);
	index_close(b);
	index_close(c);

	/* export through the command, as the CLI runs it */
	char *out = path_in("e.txt");
	char *argv1[] = {(char *)"export", p1, (char *)"--notes", np, (char *)"-o", out, NULL};
	CHECK(cmd_dispatch(6, argv1) == 0, "export-run");
	char *t = read_all(out);
	CHECK(strstr(t, "== a/0\nauto label:  auto 0\nlabel:       the pipe one\ntags:        t1\nbookmark:    yes\n") != NULL, "export-text-head");
	CHECK(strstr(t, "       3.500  the« cat»|sat\\ton\n") != NULL, "export-text-context");
	CHECK(strstr(t, "neighbours:  a/2 (0.900), a/1 (0.500)\n") != NULL, "export-text-neighbours");
	CHECK(strstr(t, "== b/1\n") != NULL && strstr(t, "== b/1\n") > strstr(t, "== a/2\n"), "export-text-order");
	CHECK(strstr(t, "== zz/5\n(not in this index)\nlabel:       orphan\n") != NULL, "export-keeps-orphan-notes");
	free(t);
	char *argv2[] = {(char *)"export", p1, (char *)"--notes", np, (char *)"--format", (char *)"json", (char *)"-o", out, NULL};
	CHECK(cmd_dispatch(8, argv2) == 0, "export-json-run");
	t = read_all(out);
	CHECK(strstr(t, "\"neighbours\":[{\"feature\":\"a/2\",\"cosine\":0.9},{\"feature\":\"a/1\",\"cosine\":0.5}]") != NULL,
	      "export-json-neighbours");
	CHECK(strstr(t, "\"top_contexts\":[{\"act\":3.5,\"text\":\"the« cat»|sat\\\\ton\",\"token\":\" cat\"}]") != NULL,
	      "export-json-context");
	CHECK(strstr(t, "{\"feature\":\"zz/5\",\"fid\":null,\"auto_label\":null,\"label\":\"orphan\"") != NULL, "export-json-orphan");
	free(t);
	char *argv3[] = {(char *)"export", p1, (char *)"--notes", np, (char *)"--format", (char *)"markdown", (char *)"-o", out, NULL};
	CHECK(cmd_dispatch(8, argv3) == 0, "export-md-run");
	t = read_all(out);
	CHECK(strstr(t, "| 3.500 | `the« cat»\\|sat\\ton` |\n") != NULL, "export-md-context");
	CHECK(strstr(t, "\nNeighbours: `a/2` (0.900), `a/1` (0.500)\n") != NULL, "export-md-neighbours");
	CHECK(strstr(t, "## `a/0` — the pipe one\n") != NULL, "export-md-heading");
	free(t);
	char *argv4[] = {(char *)"export", p1, (char *)"--notes", np, (char *)"--format", (char *)"tsv", (char *)"-o", out, NULL};
	CHECK(cmd_dispatch(8, argv4) == 0, "export-tsv-run");
	t = read_all(out);
	CHECK(strstr(t, "\na/0\tauto 0\tthe pipe one\ta | note\tt1\tyes\t\t0.01\t2\t3.500 the« cat»|sat\\\\ton\ta/2:0.900 a/1:0.500\n") != NULL,
	      "export-tsv-row");
	free(t);
	free(out);
	free(np);
	free(p1);
	free(p2);
	free(p3);
}

/* Supernodes: saved, read back by slug, replaced, deleted; a version 1
 * database (as featscope wrote it before the table) keeps its notes and
 * gets the table when opened. The stored rows are read with SQLite itself. */
static void test_supernodes(void)
{
	char *p = path_in("sn.sqlite"), err[512] = "";
	fs_notes *n = notes_open(p, "sn", err, sizeof err);
	CHECK(n != NULL, "sn-open");
	if (!n)
		return;
	CHECK(notes_supernode_put(n, "g1", "say 3", "0_116505_1 1_19591_1") == 0, "sn-put");
	CHECK(notes_supernode_put(n, "g1", "a first", "E_16_1") == 0, "sn-put2");
	CHECK(notes_supernode_put(n, "g2", "other", "27_1_3") == 0, "sn-put3");
	CHECK(notes_supernode_put(n, "g1", "bad\x1bname", "x") != 0, "sn-name-control");
	CHECK(notes_supernode_put(n, "g1", "", "x") != 0, "sn-name-empty");
	fs_supernode *sn;
	int c = notes_supernodes(n, "g1", &sn);
	CHECK(c == 2 && !strcmp(sn[0].name, "a first") && !strcmp(sn[1].name, "say 3") &&
		      !strcmp(sn[1].members, "0_116505_1 1_19591_1") && !strcmp(sn[1].slug, "g1"),
	      "sn-read-by-slug");
	if (c > 0)
		notes_supernodes_free(sn, c);
	CHECK(notes_supernode_put(n, "g1", "say 3", "2_1_1") == 0, "sn-replace");
	CHECK(sql_is(p, "SELECT members FROM supernodes WHERE slug = 'g1' AND name = 'say 3'", "2_1_1"), "sn-replaced-sql");
	CHECK(notes_supernode_put(n, "g1", "a first", NULL) == 0, "sn-delete");
	c = notes_supernodes(n, NULL, &sn);
	CHECK(c == 2 && !strcmp(sn[0].slug, "g1") && !strcmp(sn[1].slug, "g2"), "sn-all");
	if (c > 0)
		notes_supernodes_free(sn, c);
	put(n, "fix/1", "old label", "", "", 0);
	notes_close(n);
	/* back to version 1: no table, user_version 1 */
	sqlite3 *db;
	sqlite3_open(p, &db);
	sqlite3_exec(db, "DROP TABLE supernodes; UPDATE meta SET value = '1' WHERE key = 'version'; PRAGMA user_version = 1",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(sql_is(p, "PRAGMA user_version", "1"), "sn-v1-made");
	n = notes_open(p, "sn", err, sizeof err);
	CHECK(n != NULL, "sn-v1-opens");
	if (!n) {
		printf("# %s\n", err);
		return;
	}
	CHECK(sql_is(p, "PRAGMA user_version", "2"), "sn-v1-migrated");
	CHECK(sql_is(p, "SELECT label FROM notes WHERE key = 'fix/1'", "old label"), "sn-v1-notes-kept");
	CHECK(notes_supernode_put(n, "g1", "after", "E_1_0") == 0 &&
		      sql_is(p, "SELECT count(*) FROM supernodes", "1"),
	      "sn-v1-table-works");
	notes_close(n);
	free(p);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/fs-unit-notes.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_default_path();
	test_refuse();
	test_write_failure();
	test_index();
	test_supernodes();
	if (getenv("NOTES_KEEP_TMP"))
		return unit_failed ? 1 : 0;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	TEST_END();
}

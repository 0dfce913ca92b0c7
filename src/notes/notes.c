/*
 * notes.c: the user's notes database (see notes.h). One SQLite file per
 * index identity, in WAL mode with synchronous=FULL, every save its own
 * transaction. This file and notes_store.c are the only ones with SQL for
 * the notes database.
 *
 * Schema (PRAGMA user_version = NOTES_VERSION):
 *   meta(key, value)            format='featscope-notes', identity, index_uuid
 *   notes(id, key, label, note, tags, bookmark, updated) one row per feature
 *   notes_fts                   FTS5 over notes(label, note, tags), kept in
 *                               step by triggers (external content)
 *   lists(id, name, description, created)
 *   list_members(list, key, pos)
 *   supernodes(slug, name, members, updated) a graph's groups of nodes
 *                               (version 2; a version 1 database gets the
 *                               table when it is first opened writable)
 *
 * This file is the database itself: its schema, opening (and the checks
 * before it), transactions and the index's identity; notes_store.c holds
 * what is in it (notes, tags, merging, search, lists).
 *
 * Opening never writes to a file it refuses: the header is read with plain
 * read(2), the schema is checked over a read-only connection, and only a
 * database that passes (or an empty/new file) is opened read-write.
 */
#include "notes/notes_int.h"
#include "index/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static const char *const notes_sql[ST__N] = {
	[ST_GET] = "SELECT label, note, tags, bookmark, updated FROM notes WHERE key = ?1",
	[ST_PUT] = "INSERT INTO notes(key, label, note, tags, bookmark, updated) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(key) DO UPDATE SET "
		   "label = excluded.label, note = excluded.note, tags = excluded.tags, "
		   "bookmark = excluded.bookmark, updated = excluded.updated",
	[ST_DEL] = "DELETE FROM notes WHERE key = ?1",
	[ST_KEYS] = "SELECT key FROM notes",
	[ST_LIST_NAMES] = "SELECT name FROM lists ORDER BY name",
	[ST_LIST_FIND] = "SELECT id, description FROM lists WHERE name = ?1",
	[ST_LIST_NEW] = "INSERT INTO lists(name, description, created) VALUES (?1, ?2, ?3)",
	[ST_LIST_DESC] = "UPDATE lists SET description = ?2 WHERE id = ?1",
	[ST_LIST_ADD] = "INSERT INTO list_members(list, key, pos) VALUES (?1, ?2, "
			"(SELECT coalesce(max(pos), 0) + 1 FROM list_members WHERE list = ?1)) "
			"ON CONFLICT(list, key) DO NOTHING",
	[ST_LIST_RM] = "DELETE FROM list_members WHERE list = ?1 AND key = ?2",
	[ST_LIST_DROP] = "DELETE FROM lists WHERE id = ?1",
	[ST_LIST_MEMBERS] = "SELECT key FROM list_members WHERE list = ?1 ORDER BY pos",
	[ST_KEY_LISTS] = "SELECT l.name FROM list_members m JOIN lists l ON l.id = m.list "
			 "WHERE m.key = ?1 ORDER BY l.name",
	[ST_SEARCH] = "SELECT n.key FROM notes_fts f JOIN notes n ON n.id = f.rowid "
		      "WHERE notes_fts MATCH ?1 ORDER BY bm25(notes_fts), n.key LIMIT ?2",
};

static const char notes_schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE notes(\n"
	"  id INTEGER PRIMARY KEY,           -- stable rowid for notes_fts (VACUUM keeps it)\n"
	"  key TEXT NOT NULL UNIQUE,         -- feature name 'SAE/N'\n"
	"  label TEXT NOT NULL DEFAULT '',   -- the user's label\n"
	"  note TEXT NOT NULL DEFAULT '',    -- free text\n"
	"  tags TEXT NOT NULL DEFAULT '',    -- space-separated\n"
	"  bookmark INTEGER NOT NULL DEFAULT 0,\n"
	"  updated INTEGER NOT NULL          -- unix seconds\n"
	");\n"
	"CREATE VIRTUAL TABLE notes_fts USING fts5(label, note, tags, "
	"  content='notes', content_rowid='id');\n"
	"CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN\n"
	"  INSERT INTO notes_fts(rowid, label, note, tags) VALUES (new.id, new.label, new.note, new.tags);\n"
	"END;\n"
	"CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN\n"
	"  INSERT INTO notes_fts(notes_fts, rowid, label, note, tags) VALUES ('delete', old.id, old.label, old.note, old.tags);\n"
	"END;\n"
	"CREATE TRIGGER notes_au AFTER UPDATE ON notes BEGIN\n"
	"  INSERT INTO notes_fts(notes_fts, rowid, label, note, tags) VALUES ('delete', old.id, old.label, old.note, old.tags);\n"
	"  INSERT INTO notes_fts(rowid, label, note, tags) VALUES (new.id, new.label, new.note, new.tags);\n"
	"END;\n"
	"CREATE TABLE lists(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  created INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE list_members(\n"
	"  list INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,\n"
	"  key TEXT NOT NULL,\n"
	"  pos INTEGER NOT NULL,             -- order of addition within the list\n"
	"  PRIMARY KEY(list, key)\n"
	");\n"
	NOTES_SUPERNODES_SQL;

/* The tables (and their columns) a database must have to be ours. */
static const char *const notes_tables[][8] = {
	{"meta", "key", "value", NULL},
	{"notes", "id", "key", "label", "note", "tags", "bookmark", "updated"},
	{"notes_fts", "label", "note", "tags", NULL},
	{"lists", "id", "name", "description", "created", NULL},
	{"list_members", "list", "key", "pos", NULL},
};

/* ------------------------------------------------------------ helpers */

/* The disk-full family of system errors, as a hint ("" when not one). */
static const char *notes_space_hint(sqlite3 *db)
{
	int e = db ? sqlite3_system_errno(db) : 0;
	if (e == ENOSPC || e == EDQUOT)
		return " (write error: the disk is full)";
	if (e == EFBIG)
		return " (write error: file size limit reached)";
	return "";
}

int notes_fail(fs_notes *n, const char *what)
{
	int rc = sqlite3_extended_errcode(n->db);
	const char *hint = "";
	if (n->readonly && ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN ||
			    (rc & 0xff) == SQLITE_IOERR))
		hint = " (the notes database is read-only here: its file or folder is not writable)";
	else if (*notes_space_hint(n->db))
		hint = notes_space_hint(n->db);
	else if ((rc & 0xff) == SQLITE_FULL)
		hint = " (disk full)";
	else if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_TRUNCATE)
		hint = " (write error: disk full, file size limit or failing device)";
	else if ((rc & 0xff) == SQLITE_IOERR)
		hint = " (I/O error)";
	else if ((rc & 0xff) == SQLITE_BUSY)
		hint = " (another program holds the notes database)";
	else if ((rc & 0xff) == SQLITE_READONLY)
		hint = " (read-only)";
	snprintf(n->err, sizeof n->err, "%s: %s: %s%s", n->path, what,
		 sqlite3_errmsg(n->db), hint);
	return -1;
}

static int notes_exec(fs_notes *n, const char *sql, const char *what)
{
	if (sqlite3_exec(n->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return notes_fail(n, what);
	return 0;
}

/* ------------------------------------------------------- open / check */

/* Make every directory above path (mode 0700 for new ones). */
static int mkdirs_for(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return 0;
}

char *notes_default_path(const char *identity)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/featscope/notes-%s.sqlite", xdg, identity);
	if (!home || !*home)
		home = ".";
	return xasprintf("%s/.local/share/featscope/notes-%s.sqlite", home, identity);
}

/* Check an existing database over a read-only connection. Returns 1 when
 * it is a current notes database, 0 when it is an empty SQLite database
 * (to be initialised), -1 (message in err) when it must be refused. */
/* The notes database cannot be written here: its file or its folder is
 * not writable, or the file system is mounted read-only. */
static int notes_path_readonly(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) : xstrdup(".");
	struct statvfs vf;
	int ro = access(path, W_OK) != 0 || access(dir, W_OK) != 0 ||
		 (statvfs(dir, &vf) == 0 && (vf.f_flag & ST_RDONLY));
	free(dir);
	return ro;
}

/* The database's user_version (the schema's version), -1 when it cannot
 * be read. */
static int notes_user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Version 1 to 2: the supernodes table. Inside one transaction that reads
 * user_version again, so two openers migrate once. */
static int notes_migrate(fs_notes *n)
{
	if (notes_exec(n, "BEGIN IMMEDIATE", "migrate") < 0)
		return -1;
	int v = notes_user_version(n->db);
	int bad = 0;
	if (v == 1) {
		char *uv = xasprintf("PRAGMA user_version = %d", NOTES_VERSION);
		bad = notes_exec(n, NOTES_SUPERNODES_SQL, "migrate") < 0 ||
		      notes_exec(n, "UPDATE meta SET value = '2' WHERE key = 'version'", "migrate") < 0 ||
		      notes_exec(n, uv, "migrate") < 0;
		free(uv);
	}
	if (bad || notes_exec(n, "COMMIT", "migrate") < 0) {
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static int notes_check(const char *path, char *err, size_t errlen)
{
	/* Header first, with plain read(): no SQLite, no locks, no writes. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	unsigned char hdr[100];
	ssize_t got = read(fd, hdr, sizeof hdr);
	close(fd);
	if (got == 0)
		return 0;
	if (got < (ssize_t)sizeof hdr || memcmp(hdr, "SQLite format 3", 16) != 0)
		return fs_seterr(err, errlen, "%s: not a SQLite database; refusing to use it as a notes database (left untouched)", path);
	uint32_t uv = (uint32_t)hdr[60] << 24 | (uint32_t)hdr[61] << 16 | (uint32_t)hdr[62] << 8 | hdr[63];
	if (uv > NOTES_VERSION)
		return fs_seterr(err, errlen, "%s: notes database version %u is newer than this featscope understands (%d); refusing to touch it (left untouched)", path, uv, NOTES_VERSION);

	sqlite3 *db = NULL;
	int ret = -1;
	/* A read-only connection to a WAL database creates -wal and -shm
	 * beside it and leaves them: note which were absent, to remove them. */
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	int had_wal = access(wal, F_OK) == 0, had_shm = access(shm, F_OK) == 0;
	int ro = notes_path_readonly(path) && !had_wal;
	char *uri = ro ? index_ro_uri(path) : NULL;
	int orc = sqlite3_open_v2(ro ? uri : path, &db, SQLITE_OPEN_READONLY | (ro ? SQLITE_OPEN_URI : 0), NULL);
	free(uri);
	if (orc != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		if (*notes_space_hint(db))
			fs_seterr(err, errlen, "%s: cannot open the notes database: no room for its -wal and -shm "
				  "files%s (left untouched)", path, notes_space_hint(db));
		else
			fs_seterr(err, errlen, "%s: corrupt or unreadable notes database: %s (left untouched)", path,
				  sqlite3_errmsg(db));
		sqlite3_finalize(s);
		goto out;
	}
	int v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	/* The WAL may hold a newer user_version than the file header. */
	if (v > NOTES_VERSION) {
		fs_seterr(err, errlen, "%s: notes database version %d is newer than this featscope understands (%d); refusing to touch it (left untouched)", path, v, NOTES_VERSION);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		fs_seterr(err, errlen, "%s: corrupt notes database: %s (left untouched)", path, sqlite3_errmsg(db));
		sqlite3_finalize(s);
		goto out;
	}
	int nobj = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v == 0) {
		if (nobj == 0)
			ret = 0;
		else
			fs_seterr(err, errlen, "%s: a SQLite database but not a featscope notes database (no notes schema); left untouched", path);
		goto out;
	}
	/* Version NOTES_VERSION: every table and column must be there. */
	for (size_t t = 0; t < sizeof notes_tables / sizeof notes_tables[0]; t++) {
		char *sql = xasprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = ?1", notes_tables[t][0]);
		int okp = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK;
		free(sql);
		for (int c = 1; okp && c < 8 && notes_tables[t][c]; c++) {
			sqlite3_reset(s);
			sqlite3_bind_text(s, 1, notes_tables[t][c], -1, SQLITE_STATIC);
			okp = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
		}
		sqlite3_finalize(s);
		if (!okp) {
			fs_seterr(err, errlen, "%s: not a featscope notes database (wrong schema: table %s); left untouched", path, notes_tables[t][0]);
			goto out;
		}
	}
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'format'", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(s, 0), NOTES_FORMAT) != 0) {
		fs_seterr(err, errlen, "%s: not a featscope notes database (meta format is not %s); left untouched", path, NOTES_FORMAT);
		sqlite3_finalize(s);
		goto out;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		fs_seterr(err, errlen, "%s: corrupt notes database (%s); left untouched",
			  path, s && sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : sqlite3_errmsg(db));
		sqlite3_finalize(s);
		goto out;
	}
	sqlite3_finalize(s);
	ret = 1;
out:
	sqlite3_close(db);
	struct stat ws;
	if (!had_wal && stat(wal, &ws) == 0 && ws.st_size == 0) {
		unlink(wal);
		if (!had_shm)
			unlink(shm);
	}
	free(wal);
	free(shm);
	return ret;
}

static int notes_meta_set(fs_notes *n, const char *key, const char *value)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(n->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &s, NULL) != SQLITE_OK)
		return notes_fail(n, "meta");
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : notes_fail(n, "meta");
}

static char *notes_meta_get(fs_notes *n, const char *key)
{
	sqlite3_stmt *s;
	char *v = NULL;
	if (sqlite3_prepare_v2(n->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = col_dup(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Create the schema in a fresh database (inside one transaction; a
 * concurrent creator is detected by re-reading user_version). */
static int notes_init(fs_notes *n, const char *identity)
{
	if (notes_exec(n, "BEGIN IMMEDIATE", "create") < 0)
		return -1;
	int v = notes_user_version(n->db);
	if (v == 0) {
		char ver[32];
		snprintf(ver, sizeof ver, "%d", NOTES_VERSION);
		char *uv = xasprintf("PRAGMA user_version = %d", NOTES_VERSION);
		int bad = notes_exec(n, notes_schema, "create") < 0 ||
			  notes_meta_set(n, "format", NOTES_FORMAT) < 0 ||
			  notes_meta_set(n, "version", ver) < 0 ||
			  notes_meta_set(n, "identity", identity ? identity : "") < 0 ||
			  notes_exec(n, uv, "create") < 0;
		free(uv);
		if (bad) {
			sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (notes_exec(n, "COMMIT", "create") < 0) {
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

fs_notes *notes_open(const char *path, const char *index_identity, char *err, size_t errlen)
{
	char *p = path ? xstrdup(path) : notes_default_path(index_identity && *index_identity ? index_identity : "default");
	struct stat sb;
	int state = 0; /* 0: new or empty, 1: existing notes database */
	if (stat(p, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			fs_seterr(err, errlen, "%s: not a regular file", p);
			free(p);
			return NULL;
		}
		state = notes_check(p, err, errlen);
		if (state < 0) {
			free(p);
			return NULL;
		}
	} else if (errno != ENOENT) {
		fs_seterr(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		return NULL;
	} else if (mkdirs_for(p) != 0) {
		fs_seterr(err, errlen, "%s: cannot create its directory: %s", p, strerror(errno));
		free(p);
		return NULL;
	}

	fs_notes *n = xcalloc(1, sizeof *n);
	n->path = p;
	/* an existing database that cannot be written here is still read:
	 * read-only (immutable when no -wal is beside it) */
	char *walp = xasprintf("%s-wal", p);
	n->readonly = state == 1 && notes_path_readonly(p);
	int immutable = n->readonly && access(walp, F_OK) != 0;
	free(walp);
	char *uri = immutable ? index_ro_uri(p) : NULL;
	int flags = n->readonly ? SQLITE_OPEN_READONLY | (immutable ? SQLITE_OPEN_URI : 0)
				: SQLITE_OPEN_READWRITE | (state ? 0 : SQLITE_OPEN_CREATE);
	int orc = sqlite3_open_v2(immutable ? uri : p, &n->db, flags, NULL);
	free(uri);
	if (orc != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: cannot open notes database: %s", p, n->db ? sqlite3_errmsg(n->db) : "out of memory");
		notes_close(n);
		return NULL;
	}
	sqlite3_extended_result_codes(n->db, 1);
	sqlite3_busy_timeout(n->db, 5000);
	if (notes_exec(n, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", "open") < 0)
		goto fail;
	/* WAL: readers (the TUI) never block the writer and a killed writer
	 * leaves the last committed state. */
	sqlite3_stmt *s = NULL;
	if (!n->readonly && (sqlite3_prepare_v2(n->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
			     sqlite3_step(s) != SQLITE_ROW)) {
		sqlite3_finalize(s);
		notes_fail(n, "WAL mode");
		goto fail;
	}
	sqlite3_finalize(s);
	if (!state && notes_init(n, index_identity) < 0)
		goto fail;
	if (state && !n->readonly && notes_migrate(n) < 0)
		goto fail;
	for (int i = 0; i < ST__N; i++)
		if (sqlite3_prepare_v3(n->db, notes_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &n->st[i], NULL) != SQLITE_OK) {
			notes_fail(n, "prepare");
			goto fail;
		}
	n->identity = notes_meta_get(n, "identity");
	if (!n->identity)
		n->identity = xstrdup("");
	return n;
fail:
	fs_seterr(err, errlen, "%s", n->err);
	notes_close(n);
	return NULL;
}

void notes_close(fs_notes *n)
{
	if (!n)
		return;
	for (int i = 0; i < ST__N; i++)
		sqlite3_finalize(n->st[i]);
	sqlite3_close(n->db);
	free(n->path);
	free(n->identity);
	free(n);
}

const char *notes_path(const fs_notes *n)
{
	return n->path;
}

const char *notes_errmsg(fs_notes *n)
{
	return n->err;
}

const char *notes_identity_stored(const fs_notes *n)
{
	return n->identity;
}

/* --------------------------------------------------------- transactions */

int notes_begin(fs_notes *n)
{
	if (n->depth > 0) {
		if (n->failed) {
			snprintf(n->err, sizeof n->err, "%s: an earlier save of this group failed; nothing saved", n->path);
			return -1;
		}
		n->depth++;
		return 0;
	}
	if (notes_exec(n, "BEGIN IMMEDIATE", "begin") < 0)
		return -1;
	n->depth = 1;
	n->failed = 0;
	return 0;
}

/* Roll back, keeping the message of what went wrong. */
static void notes_abort(fs_notes *n)
{
	char keep[sizeof n->err];
	memcpy(keep, n->err, sizeof keep);
	if (!sqlite3_get_autocommit(n->db))
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(n->err, keep, sizeof keep);
	n->depth = 0;
	n->failed = 0;
}

int notes_commit(fs_notes *n)
{
	if (n->depth == 0)
		return 0;
	if (--n->depth > 0)
		return 0;
	if (n->failed || notes_exec(n, "COMMIT", "save") < 0) {
		notes_abort(n);
		return -1;
	}
	return 0;
}

void notes_rollback(fs_notes *n)
{
	if (n->depth > 0)
		notes_abort(n);
}

int notes_write_end(fs_notes *n, int ok)
{
	if (!ok)
		n->failed = 1;
	int rc = notes_commit(n);
	return ok ? rc : -1;
}

/* ----------------------------------------------------- index identity */

int notes_feature_key(fs_index *ix, int64_t fid, char *out, size_t outlen)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0)
		return -1;
	const fs_sae *s = index_sae_by_id(ix, f.sae);
	snprintf(out, outlen, "%s/%lld", s ? s->name : "?", (long long)f.idx);
	index_feature_free(&f);
	return s ? 0 : -1;
}

int notes_resolve(fs_index *ix, const char *name, char *key, size_t keylen,
		  char *err, size_t errlen)
{
	int64_t fid = index_resolve(ix, name, err, errlen);
	if (fid < 0)
		return -1;
	if (notes_feature_key(ix, fid, key, keylen) != 0)
		return fs_seterr(err, errlen, "%s: no such feature", name);
	return 0;
}

void notes_identity(fs_index *ix, char *out, size_t outlen)
{
	/* What survives a rebuild of the same dictionaries: their names,
	 * models, hook points, layers, widths and sizes, in id order. The
	 * per-build uuid is recorded beside it in meta, for information. */
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	for (int i = 0; i < index_n_saes(ix); i++) {
		const fs_sae *s = index_sae(ix, i);
		char num[96];
		XXH3_64bits_update(st, s->name, strlen(s->name) + 1);
		XXH3_64bits_update(st, s->model ? s->model : "", strlen(s->model ? s->model : "") + 1);
		XXH3_64bits_update(st, s->hook ? s->hook : "", strlen(s->hook ? s->hook : "") + 1);
		int len = snprintf(num, sizeof num, "%d %d %lld", s->layer, s->d_model, (long long)s->n_features);
		XXH3_64bits_update(st, num, (size_t)len + 1);
	}
	unsigned long long h = (unsigned long long)XXH3_64bits_digest(st);
	XXH3_freeState(st);
	snprintf(out, outlen, "%016llx", h);
}

fs_notes *notes_open_index(fs_index *ix, const char *path, char *err, size_t errlen)
{
	char id[32];
	notes_identity(ix, id, sizeof id);
	fs_notes *n = notes_open(path, id, err, errlen);
	if (!n)
		return NULL;
	const char *uuid = index_uuid(ix);
	if (uuid && *uuid) {
		char *old = notes_meta_get(n, "index_uuid");
		/* Recording the last index seen is best effort: a read-only
		 * or full disk must not stop the user reading notes. */
		if (!old || strcmp(old, uuid) != 0)
			notes_meta_set(n, "index_uuid", uuid);
		free(old);
	}
	return n;
}

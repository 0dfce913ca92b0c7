/*
 * index_live.c: the index's record of the model and dictionaries that
 * produced it (table live_files, see index.h). Reading opens its own
 * read-only connection on the index's path, so it needs nothing of
 * index.c's internals; attaching updates the file in place in one
 * transaction: the change is a few rows, SQLite's rollback journal makes
 * it all-or-nothing, and copying a large index to rename it over itself
 * would double the disk and the time for no safety gained.
 */
#include "index/index.h"
#include "core/util.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_SCHEMA                                                                       \
	"CREATE TABLE IF NOT EXISTS live_files(role TEXT NOT NULL, name TEXT NOT NULL, " \
	"file TEXT NOT NULL, xxh3 TEXT NOT NULL, bytes INTEGER NOT NULL, hook TEXT NOT NULL, " \
	"PRIMARY KEY(role, name))"

static char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

int index_live_files(fs_index *ix, fs_live_file **out, char *err, size_t errlen)
{
	*out = NULL;
	sqlite3 *db = NULL;
	const char *path = index_path(ix);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_stmt *st = NULL;
	int n = 0, cap = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'live_files'", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		fs_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		n = -1;
		goto out;
	}
	int have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (!have)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT role, name, file, xxh3, bytes, hook FROM live_files "
				   "ORDER BY role, name", -1, &st, NULL) != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: live_files: %s", path, sqlite3_errmsg(db));
		n = -1;
		goto out;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			*out = xrealloc(*out, (size_t)cap * sizeof **out);
		}
		fs_live_file *f = &(*out)[n++];
		f->role = col(st, 0);
		f->name = col(st, 1);
		f->file = col(st, 2);
		f->xxh3 = col(st, 3);
		f->bytes = sqlite3_column_int64(st, 4);
		f->hook = col(st, 5);
	}
	if (rc != SQLITE_DONE) {
		fs_seterr(err, errlen, "%s: live_files: %s", path, sqlite3_errmsg(db));
		live_files_free(*out, n);
		*out = NULL;
		n = -1;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

void live_files_free(fs_live_file *f, int n)
{
	for (int i = 0; i < n; i++) {
		free(f[i].role);
		free(f[i].name);
		free(f[i].file);
		free(f[i].xxh3);
		free(f[i].hook);
	}
	free(f);
}

int index_attach(const char *path, const fs_live_file *files, int n, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE; " LIVE_SCHEMA "; DELETE FROM live_files;", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO live_files(role, name, file, xxh3, bytes, hook) "
				   "VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, files[i].role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, files[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, files[i].file, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, files[i].xxh3, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, files[i].bytes);
		sqlite3_bind_text(st, 6, files[i].hook, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_close(db) != SQLITE_OK)
		return fs_seterr(err, errlen, "%s: cannot close after writing", path);
	return 0;
fail:
	fs_seterr(err, errlen, "%s: live_files: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return -1;
}

/*
 * notes_int.h: what the files of src/notes/ share, for them only (SQLite's
 * btreeInt.h is the model): the statement table's enum, struct fs_notes,
 * and the helpers both sides use. notes.c is the database (schema, open and
 * its checks, transactions, identity); notes_store.c is what is in it
 * (notes, tags, merging, search, named lists).
 */
#ifndef FS_NOTES_INT_H
#define FS_NOTES_INT_H

#include "notes/notes.h"
#include "core/util.h"

#include <sqlite3.h>

#define NOTES_VERSION 2

/* Version 2's table: a graph's supernodes, by the graph's slug; members are
 * node ids separated by spaces. */
#define NOTES_SUPERNODES_SQL                                                  \
	"CREATE TABLE IF NOT EXISTS supernodes(\n"                              \
	"  slug TEXT NOT NULL,               -- the graph's metadata.slug\n"    \
	"  name TEXT NOT NULL,\n"                                               \
	"  members TEXT NOT NULL,            -- node ids, space-separated\n"    \
	"  updated INTEGER NOT NULL,\n"                                         \
	"  PRIMARY KEY(slug, name)\n"                                           \
	");\n"
#define NOTES_FORMAT "featscope-notes"

/* Prepared statements, made once at open (their SQL: notes_sql in notes.c). */
enum {
	ST_GET, ST_PUT, ST_DEL, ST_KEYS, ST_LIST_NAMES, ST_LIST_FIND, ST_LIST_NEW,
	ST_LIST_DESC, ST_LIST_ADD, ST_LIST_RM, ST_LIST_DROP, ST_LIST_MEMBERS,
	ST_KEY_LISTS, ST_SEARCH, ST__N
};

/* An open notes database. */
struct fs_notes {
	sqlite3 *db;              /* read-write connection */
	char *path;               /* database file */
	char *identity;           /* identity stored in meta at creation */
	sqlite3_stmt *st[ST__N];  /* prepared statements */
	char err[512];            /* last error message */
	int depth;                /* nesting of notes_begin */
	int failed;               /* a save inside the open group failed */
	int readonly;             /* opened read-only (file or folder not writable) */
};

/* Record the last error of n's connection in n->err, with a hint for the
 * usual causes (read-only, disk full, busy); returns -1. */
int notes_fail(fs_notes *n, const char *what);
/* End one write step begun with notes_begin: commit it (or, inside an
 * outer group, leave that to the group); a failed step fails the group. */
int notes_write_end(fs_notes *n, int ok);

/* Bind text (NULL as ""), copied. */
static inline void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* A text column, copied (NULL as ""). */
static inline char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return xstrdup(t ? (const char *)t : "");
}

#endif

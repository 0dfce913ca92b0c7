/*
 * notes_graph.c: the supernodes of attribution graphs in the notes
 * database (table supernodes, version 2 of the schema: notes.c), keyed by
 * the graph's slug: named groups of node ids that the graph screen folds
 * and `featscope notes export` writes with the notes. SQL for the notes
 * database lives only here, in notes.c and in notes_store.c.
 */
#include "notes/notes_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *notes_supernode_name_problem(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0)
		return "a supernode needs a name";
	if (len > 200)
		return "a supernode name has at most 200 bytes";
	const unsigned char *p = (const unsigned char *)name;
	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		int extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
		if (extra < 0 || i + (size_t)extra >= len + (extra ? 0 : 1))
			return "a supernode name must be valid UTF-8";
		if (c < 0x20 || c == 0x7f)
			return "a supernode name has no control characters";
		unsigned cp = extra ? c & (0x3f >> extra) : c;
		for (int k = 1; k <= extra; k++) {
			if ((p[i + (size_t)k] & 0xc0) != 0x80)
				return "a supernode name must be valid UTF-8";
			cp = cp << 6 | (p[i + (size_t)k] & 0x3f);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return "a supernode name must be valid UTF-8";
		if (cp >= 0x80 && cp < 0xa0)
			return "a supernode name has no control characters";
		i += (size_t)extra + 1;
	}
	return NULL;
}

/* A statement on the supernodes table; NULL (n->err set) when it cannot
 * be made, as in a version 1 database opened read-only (no table yet). */
static sqlite3_stmt *sn_prepare(fs_notes *n, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(n->db, sql, -1, &s, NULL) != SQLITE_OK) {
		notes_fail(n, "supernodes");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

int notes_supernodes(fs_notes *n, const char *slug, fs_supernode **out)
{
	*out = NULL;
	sqlite3_stmt *s = sn_prepare(n, slug ? "SELECT slug, name, members, updated FROM supernodes "
						"WHERE slug = ?1 ORDER BY name"
					     : "SELECT slug, name, members, updated FROM supernodes "
						"ORDER BY slug, name");
	if (!s)
		return -1;
	if (slug)
		bind_text(s, 1, slug);
	int cnt = 0, cap = 0, rc;
	fs_supernode *v = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[cnt].slug = col_dup(s, 0);
		v[cnt].name = col_dup(s, 1);
		v[cnt].members = col_dup(s, 2);
		v[cnt].updated = sqlite3_column_int64(s, 3);
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		notes_fail(n, "supernodes");
		sqlite3_finalize(s);
		notes_supernodes_free(v, cnt);
		return -1;
	}
	sqlite3_finalize(s);
	*out = v;
	return cnt;
}

int notes_supernode_put(fs_notes *n, const char *slug, const char *name, const char *members)
{
	const char *why = notes_supernode_name_problem(name);
	if (why) {
		snprintf(n->err, sizeof n->err, "%s: %s", n->path, why);
		return -1;
	}
	int del = !members || !*members;
	if (notes_begin(n) < 0)
		return -1;
	sqlite3_stmt *s = sn_prepare(n, del ? "DELETE FROM supernodes WHERE slug = ?1 AND name = ?2"
					    : "INSERT OR REPLACE INTO supernodes(slug, name, members, updated) "
					      "VALUES (?1, ?2, ?3, ?4)");
	int ok = s != NULL;
	if (ok) {
		bind_text(s, 1, slug);
		bind_text(s, 2, name);
		if (!del) {
			bind_text(s, 3, members);
			sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
		}
		ok = sqlite3_step(s) == SQLITE_DONE;
		if (!ok)
			notes_fail(n, "save supernode");
		sqlite3_finalize(s);
	}
	return notes_write_end(n, ok);
}

void notes_supernodes_free(fs_supernode *s, int count)
{
	for (int i = 0; i < count; i++) {
		free(s[i].slug);
		free(s[i].name);
		free(s[i].members);
	}
	free(s);
}

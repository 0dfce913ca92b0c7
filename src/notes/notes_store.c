/*
 * notes_store.c: what the notes database holds (see notes.h): one note per
 * feature (label, free text, tags, bookmark) read, saved and merged with a
 * concurrent editor's; tags checked and normalised; feature keys in order;
 * full-text search over notes; named lists and their members. The
 * database itself (schema, open, transactions) is notes.c.
 */
#include "notes/notes_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3_stmt *notes_st(fs_notes *n, int which)
{
	sqlite3_stmt *s = n->st[which];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Append a copy of s to a NULL-terminated growable string vector. */
static void strv_push(char ***v, int *n, const char *s)
{
	*v = xrealloc(*v, sizeof **v * (size_t)(*n + 2));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

void notes_strv_free(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Collect column 0 of every row of a bound statement. */
static int notes_collect(fs_notes *n, sqlite3_stmt *s, char ***out, const char *what)
{
	char **v = NULL;
	int cnt = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		strv_push(&v, &cnt, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		notes_strv_free(v, cnt);
		*out = NULL;
		return notes_fail(n, what);
	}
	if (!v)
		v = xcalloc(1, sizeof *v);
	*out = v;
	return cnt;
}

/* Feature keys sort by dictionary name, then numerically by index. */
int notes_key_cmp(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;
	size_t l = la < lb ? la : lb;
	int c = strncmp(a, b, l);
	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	const char *na = sa ? sa + 1 : a, *nb = sb ? sb + 1 : b;
	int64_t ia, ib;
	if (fs_parse_i64(na, &ia) == 0 && fs_parse_i64(nb, &ib) == 0 && ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(na, nb);
}

static int key_qcmp(const void *a, const void *b)
{
	return notes_key_cmp(*(char *const *)a, *(char *const *)b);
}

/* ---------------------------------------------------------------- notes */

static void note_zero(fs_note *out, const char *key)
{
	out->key = xstrdup(key ? key : "");
	out->label = xstrdup("");
	out->note = xstrdup("");
	out->tags = xstrdup("");
	out->bookmark = 0;
	out->updated = 0;
}

int notes_get(fs_notes *n, const char *key, fs_note *out)
{
	sqlite3_stmt *s = notes_st(n, ST_GET);
	bind_text(s, 1, key);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->key = xstrdup(key);
		out->label = col_dup(s, 0);
		out->note = col_dup(s, 1);
		out->tags = col_dup(s, 2);
		out->bookmark = sqlite3_column_int(s, 3) != 0;
		out->updated = sqlite3_column_int64(s, 4);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	note_zero(out, key);
	if (rc == SQLITE_DONE)
		return 1;
	return notes_fail(n, "read note");
}

void notes_note_free(fs_note *note)
{
	if (!note)
		return;
	free(note->key);
	free(note->label);
	free(note->note);
	free(note->tags);
	memset(note, 0, sizeof *note);
}

const char *notes_tag_problem(const char *tag)
{
	const unsigned char *p = (const unsigned char *)tag;
	size_t n = strlen(tag);
	if (n == 0)
		return "empty";
	for (size_t i = 0; i < n;) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
			return "holds white space (" NOTES_TAG_RULE ")";
		if (p[i] == ',')
			return "holds a comma (" NOTES_TAG_RULE ")";
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "holds a control character (" NOTES_TAG_RULE ")";
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		int l = utf8_len(p + i, n - i);
		if (!l)
			return "is not valid UTF-8";
		uint32_t cp = utf8_decode(p + i, l);
		if (cp < 0xa0 || cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0x3000 || cp == 0xa0)
			return "holds a control character or white space (" NOTES_TAG_RULE ")";
		i += (size_t)l;
	}
	return NULL;
}

/* The next tag of a tags string (separated by white space or commas):
 * its start, its length in *len, and *p moved past it; NULL at the end. */
static const char *next_tag(const char **p, size_t *len)
{
	const char *q = *p;
	while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == ',')
		q++;
	const char *s = q;
	while (*q && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r' && *q != ',')
		q++;
	*p = q;
	*len = (size_t)(q - s);
	return q > s ? s : NULL;
}

char *notes_tags_bad(const char *tags, const char **why)
{
	const char *p = tags ? tags : "", *s;
	size_t len;
	while ((s = next_tag(&p, &len))) {
		char *w = xstrndup(s, len);
		const char *y = notes_tag_problem(w);
		if (y) {
			*why = y;
			return w;
		}
		free(w);
	}
	return NULL;
}

char *notes_tags_normalise(const char *tags)
{
	fs_buf b = {0};
	buf_adds(&b, "");
	const char *p = tags ? tags : "", *s;
	size_t len;
	while ((s = next_tag(&p, &len))) {
		/* skip duplicates */
		int dup = 0;
		for (const char *q = b.p; *q;) {
			const char *e = strchr(q, ' ');
			size_t ql = e ? (size_t)(e - q) : strlen(q);
			if (ql == len && memcmp(q, s, len) == 0)
				dup = 1;
			q += ql + (e ? 1 : 0);
		}
		if (dup)
			continue;
		if (b.len)
			buf_addc(&b, ' ');
		buf_add(&b, s, len);
	}
	return b.p;
}

int notes_put(fs_notes *n, const fs_note *note)
{
	if (!note->key || !*note->key) {
		snprintf(n->err, sizeof n->err, "%s: a note needs a feature key", n->path);
		return -1;
	}
	char *tags = notes_tags_normalise(note->tags);
	const char *label = note->label ? note->label : "", *text = note->note ? note->note : "";
	int empty = !*label && !*text && !*tags && !note->bookmark;
	if (notes_begin(n) < 0) {
		free(tags);
		return -1;
	}
	sqlite3_stmt *s;
	if (empty) {
		s = notes_st(n, ST_DEL);
		bind_text(s, 1, note->key);
	} else {
		s = notes_st(n, ST_PUT);
		bind_text(s, 1, note->key);
		bind_text(s, 2, label);
		bind_text(s, 3, text);
		bind_text(s, 4, tags);
		sqlite3_bind_int(s, 5, note->bookmark ? 1 : 0);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL));
	}
	int ok = sqlite3_step(s) == SQLITE_DONE;
	if (!ok)
		notes_fail(n, "save note");
	sqlite3_reset(s);
	free(tags);
	return notes_write_end(n, ok);
}

/* Two field values equal (NULL counts as ""). */
static int field_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Tags equal once normalised. */
static int tags_eq(const char *a, const char *b)
{
	char *x = notes_tags_normalise(a), *y = notes_tags_normalise(b);
	int eq = strcmp(x, y) == 0;
	free(x);
	free(y);
	return eq;
}

int notes_merge(fs_notes *n, const fs_note *base, const fs_note *mine, fs_note *stored)
{
	if (stored)
		memset(stored, 0, sizeof *stored);
	if (!mine->key || !*mine->key) {
		snprintf(n->err, sizeof n->err, "%s: a note needs a feature key", n->path);
		return -1;
	}
	if (notes_begin(n) < 0)
		return -1;
	fs_note cur;
	if (notes_get(n, mine->key, &cur) < 0) {
		notes_note_free(&cur);
		notes_write_end(n, 0);
		return -1;
	}
	/* per field: did the editor change it, did the store change it since */
	int conflict = 0;
	fs_note out = cur;
	if (!field_eq(mine->label, base->label)) {
		conflict |= !field_eq(cur.label, base->label) && !field_eq(cur.label, mine->label);
		out.label = mine->label;
	}
	if (!field_eq(mine->note, base->note)) {
		conflict |= !field_eq(cur.note, base->note) && !field_eq(cur.note, mine->note);
		out.note = mine->note;
	}
	if (!tags_eq(mine->tags, base->tags)) {
		conflict |= !tags_eq(cur.tags, base->tags) && !tags_eq(cur.tags, mine->tags);
		out.tags = mine->tags;
	}
	if (!mine->bookmark != !base->bookmark) {
		conflict |= !cur.bookmark != !base->bookmark && !cur.bookmark != !mine->bookmark;
		out.bookmark = mine->bookmark;
	}
	int rc = 0;
	if (conflict) {
		rc = 1;
		notes_commit(n); /* nothing was written: ends the read */
	} else {
		rc = notes_put(n, &out) < 0 ? -1 : 0;
		if (notes_write_end(n, rc == 0) < 0)
			rc = -1;
	}
	if (stored) {
		if (rc == 0) {
			notes_note_free(&cur);
			if (notes_get(n, mine->key, stored) < 0)
				rc = -1;
		} else {
			*stored = cur;
			return rc;
		}
	}
	notes_note_free(&cur);
	return rc;
}

int notes_keys(fs_notes *n, char ***keys)
{
	int cnt = notes_collect(n, notes_st(n, ST_KEYS), keys, "list notes");
	if (cnt > 1)
		qsort(*keys, (size_t)cnt, sizeof **keys, key_qcmp);
	return cnt;
}

/* Turn free words into an FTS5 query: each word quoted (so "fix/3" or
 * "non-ascii" are not syntax), a trailing '*' kept as a prefix search. */
static char *notes_quote_query(const char *q)
{
	fs_buf b = {0};
	buf_adds(&b, "");
	const char *p = q;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (p == s)
			break;
		int prefix = p[-1] == '*' && p - s > 1;
		if (b.len)
			buf_addc(&b, ' ');
		buf_addc(&b, '"');
		for (const char *c = s; c < p - prefix; c++) {
			if (*c == '"')
				buf_addc(&b, '"');
			buf_addc(&b, *c);
		}
		buf_addc(&b, '"');
		if (prefix)
			buf_addc(&b, '*');
	}
	return b.p;
}

int notes_search(fs_notes *n, const char *query, int limit, char ***keys)
{
	*keys = NULL;
	if (!query || !*query) {
		*keys = xcalloc(1, sizeof **keys);
		return 0;
	}
	sqlite3_stmt *s = notes_st(n, ST_SEARCH);
	bind_text(s, 1, query);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	/* A query that is not valid FTS5 syntax is retried as plain words. */
	if (sqlite3_step(s) == SQLITE_ERROR) {
		sqlite3_reset(s);
		char *qq = notes_quote_query(query);
		bind_text(s, 1, qq);
		free(qq);
	} else {
		sqlite3_reset(s);
	}
	return notes_collect(n, s, keys, "search notes");
}

/* ---------------------------------------------------------------- lists */

/* id of a list, 0 when absent, -1 on error; description copied when asked. */
static int64_t notes_list_find(fs_notes *n, const char *list, char **desc)
{
	sqlite3_stmt *s = notes_st(n, ST_LIST_FIND);
	bind_text(s, 1, list);
	int rc = sqlite3_step(s);
	int64_t id = 0;
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (desc)
			*desc = col_dup(s, 1);
	} else if (rc != SQLITE_DONE) {
		id = notes_fail(n, "find list");
	}
	sqlite3_reset(s);
	return id;
}

int notes_list_names(fs_notes *n, char ***names)
{
	return notes_collect(n, notes_st(n, ST_LIST_NAMES), names, "lists");
}

char *notes_list_description(fs_notes *n, const char *list)
{
	char *d = NULL;
	if (notes_list_find(n, list, &d) <= 0)
		return NULL;
	return d;
}

int notes_list_add(fs_notes *n, const char *list, const char *description, const char *key)
{
	if (!list || !*list) {
		snprintf(n->err, sizeof n->err, "%s: a list needs a name", n->path);
		return -1;
	}
	if (notes_begin(n) < 0)
		return -1;
	int ok = 1;
	int64_t id = notes_list_find(n, list, NULL);
	sqlite3_stmt *s;
	if (id < 0) {
		ok = 0;
	} else if (id == 0) {
		s = notes_st(n, ST_LIST_NEW);
		bind_text(s, 1, list);
		bind_text(s, 2, description);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
		ok = sqlite3_step(s) == SQLITE_DONE;
		if (!ok)
			notes_fail(n, "create list");
		sqlite3_reset(s);
		id = sqlite3_last_insert_rowid(n->db);
	} else if (description) {
		s = notes_st(n, ST_LIST_DESC);
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, description);
		ok = sqlite3_step(s) == SQLITE_DONE;
		if (!ok)
			notes_fail(n, "describe list");
		sqlite3_reset(s);
	}
	if (ok && key && *key) {
		s = notes_st(n, ST_LIST_ADD);
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, key);
		ok = sqlite3_step(s) == SQLITE_DONE;
		if (!ok)
			notes_fail(n, "add to list");
		sqlite3_reset(s);
	}
	return notes_write_end(n, ok);
}

int notes_list_remove(fs_notes *n, const char *list, const char *key)
{
	if (notes_begin(n) < 0)
		return -1;
	int64_t id = notes_list_find(n, list, NULL);
	int ok = id >= 0;
	if (id == 0) {
		snprintf(n->err, sizeof n->err, "%s: no list named '%s'", n->path, list);
		ok = 0;
	} else if (ok) {
		sqlite3_stmt *s = notes_st(n, key ? ST_LIST_RM : ST_LIST_DROP);
		sqlite3_bind_int64(s, 1, id);
		if (key)
			bind_text(s, 2, key);
		ok = sqlite3_step(s) == SQLITE_DONE;
		if (!ok)
			notes_fail(n, "remove from list");
		sqlite3_reset(s);
	}
	return notes_write_end(n, ok);
}

int notes_list_members(fs_notes *n, const char *list, char ***keys)
{
	*keys = NULL;
	int64_t id = notes_list_find(n, list, NULL);
	if (id < 0)
		return -1;
	if (id == 0) {
		snprintf(n->err, sizeof n->err, "%s: no list named '%s'", n->path, list);
		return -1;
	}
	sqlite3_stmt *s = notes_st(n, ST_LIST_MEMBERS);
	sqlite3_bind_int64(s, 1, id);
	return notes_collect(n, s, keys, "list members");
}

int notes_key_lists(fs_notes *n, const char *key, char ***names)
{
	sqlite3_stmt *s = notes_st(n, ST_KEY_LISTS);
	bind_text(s, 1, key);
	return notes_collect(n, s, names, "lists of a feature");
}

int notes_list_name_ok(const char *name)
{
	if (!name || !*name || strlen(name) > 200)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ',')
			return 0;
	return 1;
}

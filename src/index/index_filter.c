/*
 * index_filter.c: the browser list's filter as SQL. A filter matches a
 * feature whose label holds it as a substring (LIKE: ASCII letters
 * case-folded, every other character as is), whose idx written in decimal
 * is it, or whose user label or tags hold it. On an index with the
 * label_tri table (FTS5 trigram, detail=none, built by index_finish_sql),
 * a filter of 3 or more characters first narrows the rows to those whose
 * label holds every trigram of it (folded; a superset of the matches),
 * plus the feature numbered by it and the user-labelled ones; the same
 * LIKE then decides, so the rows are exactly those of the scan. Shorter
 * filters, and indexes built before the table, scan every label.
 */
#include "config.h"
#include "index/index_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The exact test (parameter 3: the filter, LIKE wildcards escaped). */
#define LIKE3 "label LIKE '%' || ?3 || '%' ESCAPE '\\'"
#define EXACT_PLAIN "(" LIKE3 " OR CAST(idx AS TEXT) = ?3)"
#define EXACT_USER                                                                              \
	"(" LIKE3 " OR CAST(idx AS TEXT) = ?3 OR id IN"                                         \
	" (SELECT fid FROM temp.user_labels WHERE label LIKE '%' || ?3 || '%' ESCAPE '\\'" \
	" OR tags LIKE '%' || ?3 || '%' ESCAPE '\\'))"
/* The candidates (parameter 10: the trigrams, index_filter_bind). */
#define CAND                                                                                 \
	"id IN (SELECT rowid FROM label_tri WHERE label_tri MATCH ?10"                       \
	" UNION ALL SELECT f2.id FROM saes s2 CROSS JOIN features f2 ON f2.sae = s2.id"            \
	" AND f2.idx = CAST(?3 AS INTEGER)"

static const char *const filter_sql[2][2] = {
	{EXACT_PLAIN, EXACT_USER},
	{"(" CAND ") AND " EXACT_PLAIN ")", "(" CAND " UNION ALL SELECT fid FROM temp.user_labels) AND " EXACT_USER ")"},
};

/* Characters in s when it is valid UTF-8 (no NUL), else -1. */
static int utf8_chars(const char *s)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
		int k = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (k < 0 || (k == 1 && *p < 0xc2))
			return -1;
		p++;
		for (int i = 0; i < k; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return -1;
	}
	return n;
}

static int has_tri(fs_index *ix)
{
	if (ix->has_tri < 0) {
		/* an index built before the table has none: not an error */
		sqlite3_stmt *s = NULL;
		ix->has_tri = sqlite3_prepare_v2(ix->db, "SELECT rowid FROM label_tri WHERE label_tri MATCH ?",
						 -1, &s, NULL) == SQLITE_OK;
		sqlite3_finalize(s);
	}
	return ix->has_tri;
}

/* Over this many candidates the trigrams do not pay: a page in sort
 * order finds its rows among the first few thousand of a scan, while the
 * candidates would all be read by rowid and sorted. */
enum { MAX_CAND = 10000 };

int index_filter_kind(fs_index *ix, const char *filter)
{
	if (!filter || !*filter)
		return 0;
	if (utf8_chars(filter) < 3 || !has_tri(ix))
		return 1;
	if (ix->tri_filter && strcmp(ix->tri_filter, filter) == 0)
		return ix->tri_kind;
	/* count the candidates, up to the limit (a few ms: the trigrams'
	 * lists of rowids, no row read) */
	int kind = 1;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ix->db,
			       "SELECT count(*) FROM (SELECT rowid FROM label_tri WHERE label_tri MATCH ?10"
			       " LIMIT ?11)",
			       -1, &s, NULL) == SQLITE_OK) {
		index_filter_bind(s, filter, 2);
		sqlite3_bind_int(s, 11, MAX_CAND + 1);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) <= MAX_CAND)
			kind = 2;
	}
	sqlite3_finalize(s);
	free(ix->tri_filter);
	ix->tri_filter = xstrdup(filter);
	ix->tri_kind = kind;
	return kind;
}

const char *index_filter_where(int all, int kind)
{
	return all ? "(?1 = 0)" : kind == 2 ? "+sae = ?1" : "sae = ?1";
}

const char *index_filter_sql(const fs_index *ix, int kind)
{
	return filter_sql[kind == 2][ix->user_labels != 0];
}

/* At most this many trigrams in the MATCH: any subset of them still
 * selects a superset of the matches; these cover every character. */
enum { MAX_TRI = 12 };

void index_filter_bind(sqlite3_stmt *s, const char *filter, int kind)
{
	fs_buf b = {0};
	for (const char *p = filter; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	sqlite3_bind_text(s, 3, b.p, (int)b.len, SQLITE_TRANSIENT);
	buf_free(&b);
	if (kind != 2)
		return;
	/* the start of each character, then every third one's trigram and
	 * the last one's, each as a quoted phrase, ANDed */
	size_t len = strlen(filter), nc = 0;
	size_t *at = xmalloc(sizeof *at * (len + 1));
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)filter[i] & 0xc0) != 0x80)
			at[nc++] = i;
	at[nc] = len;
	fs_buf q = {0};
	int nt = 0;
	for (size_t c = 0;; c += 3) {
		if (c + 3 > nc || nt == MAX_TRI - 1)
			c = nc - 3; /* the last one */
		if (nt)
			buf_adds(&q, " AND ");
		buf_addc(&q, '"');
		for (size_t i = at[c]; i < at[c + 3]; i++) {
			if (filter[i] == '"')
				buf_addc(&q, '"');
			buf_addc(&q, filter[i]);
		}
		buf_addc(&q, '"');
		nt++;
		if (c == nc - 3)
			break;
	}
	free(at);
	sqlite3_bind_text(s, 10, q.p, (int)q.len, SQLITE_TRANSIENT);
	buf_free(&q);
}

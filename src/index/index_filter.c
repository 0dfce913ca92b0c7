/*
 * index_filter.c: the browser list's filter as SQL. A filter matches a
 * feature whose label holds it as a substring (LIKE: ASCII letters
 * case-folded, every other character as is), whose idx written in decimal
 * is it, or whose user label or tags hold it. On an index with the
 * label_tri table (FTS5 trigram with positions, built by index_finish_sql),
 * a filter of 3 or more characters first narrows the rows to those whose
 * label holds it as a phrase of trigrams (case-folded by Unicode rules, so
 * a superset of the matches),
 * plus the feature numbered by it and the user-labelled ones; the same
 * LIKE then decides, so the rows are exactly those of the scan. Shorter
 * filters, filters dense enough for a scan to find its rows sooner
 * (index_filter_kind), and indexes built before the table, scan every
 * label; in the browser (index_filter_steps) a shorter filter that is not
 * dense reads the labels in steps of a few ms instead, into
 * temp.filter_ids, and is answered from the matches found so far (kind 3:
 * once the steps are done, exactly the rows of the scan).
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
/* The candidates (parameter 10: the filter as a phrase, index_filter_bind). */
#define CAND                                                                                 \
	"id IN (SELECT rowid FROM label_tri WHERE label_tri MATCH ?10"                       \
	" UNION ALL SELECT f2.id FROM saes s2 CROSS JOIN features f2 ON f2.sae = s2.id"            \
	" AND f2.idx = CAST(?3 AS INTEGER)"

/* The candidates of kind 3: what the steps found (keyed by parameter 3) */
#define CAND3 "id IN (SELECT id FROM temp.filter_ids WHERE filter = ?3"

static const char *const filter_sql[3][2] = {
	{EXACT_PLAIN, EXACT_USER},
	{"(" CAND ") AND " EXACT_PLAIN ")", "(" CAND " UNION ALL SELECT fid FROM temp.user_labels) AND " EXACT_USER ")"},
	{"(" CAND3 ") AND " EXACT_PLAIN ")", "(" CAND3 " UNION ALL SELECT fid FROM temp.user_labels) AND " EXACT_USER ")"},
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
		/* an index built before the table has none: not an error. The
		 * table only narrows what the LIKE then checks, so one that is
		 * not the FTS5 table featscope writes, or that fails a first
		 * look-up (a damaged or foreign file), is left alone and the
		 * labels are scanned: the rows stay the labels' own. */
		sqlite3_stmt *s = NULL;
		ix->has_tri = 0;
		if (sqlite3_prepare_v2(ix->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'label_tri'"
					       " AND sql LIKE 'CREATE VIRTUAL TABLE label_tri USING fts5(%'",
				       -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
			sqlite3_finalize(s);
			s = NULL;
			if (sqlite3_prepare_v2(ix->db, "SELECT rowid FROM label_tri WHERE label_tri MATCH '\"the\"' LIMIT 1",
					       -1, &s, NULL) == SQLITE_OK) {
				int rc = sqlite3_step(s);
				ix->has_tri = rc == SQLITE_ROW || rc == SQLITE_DONE;
			}
		}
		sqlite3_finalize(s);
	}
	return ix->has_tri;
}

/* Which way pays: a scan in sort order reads about 0.15 us a row and
 * stops once it has a page (and the list's count while typing, at most a
 * few hundred rows: DENSE); the trigrams cost about 1 us a candidate, all
 * read and sorted. So the first K features are tried: a filter with
 * DENSE matches among them is dense enough to scan, any other goes through
 * the trigrams. K = sqrt(1333 n) for n features bounds either way to the
 * same time (36,000 rows, about 5 ms, at 1M; 115,000 at 10M). */
enum { DENSE = 200 };

/* The scan slot of filter, -1 none. */
static int scan_slot(fs_index *ix, const char *filter)
{
	for (int i = 0; i < 4; i++)
		if (ix->scan[i].filter && strcmp(ix->scan[i].filter, filter) == 0) {
			ix->scan[i].use = ++ix->scan_clock;
			return i;
		}
	return -1;
}

/* Bind parameter 3 alone (the filter, as index_filter_bind does). */
static void bind_plain(sqlite3_stmt *s, const char *filter) { index_filter_bind(s, filter, 1); }

/* Forget filter steps after an error: whole scans from now on. */
static void scan_off(fs_index *ix)
{
	ix->filter_steps = 0;
	for (int i = 0; i < 4; i++) {
		free(ix->scan[i].filter);
		ix->scan[i].filter = NULL;
	}
	sqlite3_exec(ix->db, "DELETE FROM temp.filter_ids", NULL, NULL, NULL);
}

/* Start filter's scan in the oldest slot: 0, or -1. */
static int scan_start(fs_index *ix, const char *filter)
{
	if (sqlite3_exec(ix->db, "CREATE TEMP TABLE IF NOT EXISTS filter_ids(filter TEXT NOT NULL,"
			 " id INTEGER NOT NULL, PRIMARY KEY(filter, id)) WITHOUT ROWID", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	int at = 0;
	for (int i = 1; i < 4; i++)
		if (!ix->scan[i].filter || (ix->scan[at].filter && ix->scan[i].use < ix->scan[at].use))
			at = i;
	struct index_filter_scan *sc = &ix->scan[at];
	if (sc->filter) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(ix->db, "DELETE FROM temp.filter_ids WHERE filter = ?3", -1, &s, NULL);
		if (rc == SQLITE_OK) {
			bind_plain(s, sc->filter);
			rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(s);
		free(sc->filter);
		sc->filter = NULL;
		if (rc != SQLITE_OK)
			return -1;
	}
	sc->filter = xstrdup(filter);
	sc->at = 1;
	sc->end = index_feature_id_end(ix);
	sc->step = 4096;
	sc->use = ++ix->scan_clock;
	return 0;
}

void index_filter_steps(fs_index *ix) { ix->filter_steps = 1; }

int index_filter_pending(fs_index *ix, const char *filter, double *done)
{
	int i = filter && *filter ? scan_slot(ix, filter) : -1;
	if (i < 0 || ix->scan[i].at >= ix->scan[i].end)
		return 0;
	if (done)
		*done = ix->scan[i].end > 1 ? (double)(ix->scan[i].at - 1) / (double)(ix->scan[i].end - 1) : 0;
	return 1;
}

int index_filter_step(fs_index *ix, const char *filter, double seconds)
{
	int i = filter && *filter ? scan_slot(ix, filter) : -1;
	if (i < 0 || ix->scan[i].at >= ix->scan[i].end)
		return 0;
	struct index_filter_scan *sc = &ix->scan[i];
	int64_t hi = sc->at + sc->step < sc->end ? sc->at + sc->step : sc->end;
	sqlite3_stmt *s = NULL;
	double t0 = fs_now();
	int rc = sqlite3_prepare_v2(ix->db, "INSERT OR IGNORE INTO temp.filter_ids SELECT ?3, id FROM features"
				    " WHERE id >= ?12 AND id < ?13 AND " EXACT_PLAIN, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		bind_plain(s, filter);
		sqlite3_bind_int64(s, 12, sc->at);
		sqlite3_bind_int64(s, 13, hi);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		scan_off(ix);
		return -1;
	}
	double dt = fs_now() - t0, next = dt > 0 ? sc->step * (seconds / dt) : 2.0 * sc->step;
	if (next > 2.0 * sc->step)
		next = 2.0 * sc->step;
	sc->step = next < 256 ? 256 : next > 1 << 22 ? 1 << 22 : (int)next;
	sc->at = hi;
	return 1;
}

int index_filter_kind(fs_index *ix, const char *filter)
{
	if (!filter || !*filter)
		return 0;
	if (ix->filter_steps && scan_slot(ix, filter) >= 0)
		return 3;
	int tri = utf8_chars(filter) >= 3 && has_tri(ix);
	if (!tri && !ix->filter_steps)
		return 1;
	if (ix->tri_filter && strcmp(ix->tri_filter, filter) == 0)
		return ix->tri_kind;
	int64_t n = index_n_features(ix), k = 4096;
	while (k < n && k * k < 1333 * n)
		k += k / 8;
	/* a scan in steps pays only where one scan would read more than
	 * the test below does; the test itself is one keystroke's work, so
	 * it reads at most 16,384 labels (about 2.5 ms) when no trigrams
	 * follow: a filter it finds sparse reads the rest in steps anyway */
	if (!tri && n <= k)
		return 1;
	if (!tri && k > 16384)
		k = 16384;
	int kind = tri ? 2 : 3;
	sqlite3_stmt *s = NULL;
	char *sql = xasprintf("SELECT count(*) FROM (SELECT 1 FROM features WHERE id < ?12 AND %s LIMIT %d)",
			      index_filter_sql(ix, 1), DENSE);
	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK) {
		index_filter_bind(s, filter, 1);
		sqlite3_bind_int64(s, 12, k + 1);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) >= DENSE)
			kind = 1;
	}
	sqlite3_finalize(s);
	free(sql);
	if (kind == 3) /* not cached: the scan's slot says it */
		return scan_start(ix, filter) == 0 ? 3 : 1;
	free(ix->tri_filter);
	ix->tri_filter = xstrdup(filter);
	ix->tri_kind = kind;
	return kind;
}

const char *index_filter_where(int all, int kind)
{
	return all ? "(?1 = 0)" : kind >= 2 ? "+sae = ?1" : "sae = ?1";
}

const char *index_filter_sql(const fs_index *ix, int kind)
{
	return filter_sql[kind >= 2 ? kind - 1 : 0][ix->user_labels != 0];
}

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
	/* the filter as one phrase: its trigrams at consecutive positions */
	fs_buf q = {0};
	buf_addc(&q, '"');
	for (const char *p = filter; *p; p++) {
		if (*p == '"')
			buf_addc(&q, '"');
		buf_addc(&q, *p);
	}
	buf_addc(&q, '"');
	sqlite3_bind_text(s, 10, q.p, (int)q.len, SQLITE_TRANSIENT);
	buf_free(&q);
}

/*
 * index_schema.c: the index's schema (every table, in one place;
 * man/featscope-index.5 documents it for users), the read side's statement
 * table, and opening an index: fs_index opens read-only (immutable), checks
 * meta without scanning any table, loads the dictionaries and clamps the
 * counts in meta to what the tables hold. Statements are prepared once, on
 * first use (index_rstmt).
 */
#include "config.h"
#include "index/index_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char index_schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;\n"
	"CREATE TABLE saes(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" model TEXT NOT NULL DEFAULT '', hook TEXT NOT NULL DEFAULT '',"
	" layer INTEGER NOT NULL DEFAULT -1, d_model INTEGER NOT NULL DEFAULT 0,"
	" n_features INTEGER NOT NULL DEFAULT 0, source_format TEXT NOT NULL DEFAULT '');\n"
	"CREATE TABLE features(id INTEGER PRIMARY KEY, sae INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" label TEXT NOT NULL DEFAULT '', label_source TEXT NOT NULL DEFAULT '',"
	" density REAL, max_act REAL, mean_act REAL, act_mass REAL NOT NULL DEFAULT 0,"
	" n_examples INTEGER NOT NULL DEFAULT 0, cluster INTEGER NOT NULL DEFAULT 0,"
	" map_x REAL, map_y REAL, hist BLOB);\n"
	"CREATE TABLE feature_ranks(feature INTEGER PRIMARY KEY, r_label INTEGER NOT NULL,"
	" r_density INTEGER NOT NULL, r_max INTEGER NOT NULL, r_cluster INTEGER NOT NULL);\n"
	"CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE chunks(id INTEGER PRIMARY KEY, first_ctx INTEGER NOT NULL,"
	" n INTEGER NOT NULL, offs BLOB NOT NULL, text BLOB NOT NULL, aux BLOB NOT NULL);\n"
	"CREATE TABLE contexts(id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL,"
	" hash INTEGER NOT NULL, ntok INTEGER NOT NULL, source INTEGER);\n"
	"CREATE TABLE examples(feature INTEGER NOT NULL, grp INTEGER NOT NULL,"
	" rank INTEGER NOT NULL, ctx INTEGER NOT NULL, max_act REAL NOT NULL,"
	" max_pos INTEGER NOT NULL, acts BLOB NOT NULL,"
	" PRIMARY KEY(feature, grp, rank)) WITHOUT ROWID;\n"
	"CREATE TABLE descriptions(feature INTEGER PRIMARY KEY, text TEXT NOT NULL);\n"
	"CREATE TABLE intervals(feature INTEGER NOT NULL, grp INTEGER NOT NULL,"
	" lo REAL NOT NULL, hi REAL NOT NULL, frac REAL NOT NULL,"
	" PRIMARY KEY(feature, grp)) WITHOUT ROWID;\n"
	"CREATE TABLE logits(feature INTEGER NOT NULL, sign INTEGER NOT NULL,"
	" rank INTEGER NOT NULL, token TEXT NOT NULL, value REAL NOT NULL,"
	" PRIMARY KEY(feature, sign, rank)) WITHOUT ROWID;\n"
	"CREATE TABLE neighbours(feature INTEGER NOT NULL, other_sae INTEGER NOT NULL,"
	" rank INTEGER NOT NULL, other INTEGER NOT NULL, cosine REAL NOT NULL,"
	" PRIMARY KEY(feature, other_sae, rank)) WITHOUT ROWID;\n"
	"CREATE TABLE clusters(id INTEGER PRIMARY KEY, sae INTEGER NOT NULL,"
	" parent INTEGER NOT NULL, depth INTEGER NOT NULL, size INTEGER NOT NULL,"
	" label TEXT NOT NULL DEFAULT '');\n"
	"CREATE VIRTUAL TABLE ctx_fts USING fts5(text, content='',"
	" tokenize='unicode61 remove_diacritics 2');\n"
	"CREATE VIRTUAL TABLE label_fts USING fts5(label, content='features',"
	" content_rowid='id', tokenize='unicode61 remove_diacritics 2');\n"
	"CREATE VIRTUAL TABLE label_tri USING fts5(label, content='', tokenize='trigram',"
	" columnsize=0);\n"
	"CREATE TABLE feature_tables(feature INTEGER NOT NULL, kind TEXT NOT NULL,"
	" rank INTEGER NOT NULL, other INTEGER NOT NULL, value REAL NOT NULL, aux REAL,"
	" PRIMARY KEY(feature, kind, rank)) WITHOUT ROWID;\n"
	"CREATE TABLE explanations(id INTEGER PRIMARY KEY, feature INTEGER NOT NULL,"
	" text TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',"
	" type TEXT NOT NULL DEFAULT '', score REAL, scores TEXT NOT NULL DEFAULT '');\n"
	"CREATE VIRTUAL TABLE expl_fts USING fts5(text, content='explanations',"
	" content_rowid='id', tokenize='unicode61 remove_diacritics 2');\n";

/* Contexts wait in a temporary table (a file of its own that SQLite
 * deletes) until their examples are known: index_writer_finish packs them into
 * chunks with their token boundaries and examples (see fill_chunks). */
const char index_stage_sql[] =
	"CREATE TEMP TABLE ctx_stage(id INTEGER PRIMARY KEY, hash INTEGER NOT NULL,"
	" ntok INTEGER NOT NULL, toks BLOB NOT NULL, source INTEGER, text BLOB NOT NULL);\n";

/* Built after the bulk load, which is faster than keeping them up to date. */
const char index_finish_sql[] =
	"CREATE UNIQUE INDEX features_sae_idx ON features(sae, idx);\n"
	"CREATE INDEX features_density ON features(sae, density, idx);\n"
	"CREATE INDEX features_max_act ON features(sae, max_act, idx);\n"
	"CREATE INDEX features_cluster ON features(sae, cluster, idx);\n"
	"CREATE INDEX features_label ON features(sae, label COLLATE NOCASE, idx);\n"
	"CREATE INDEX clusters_parent ON clusters(sae, parent);\n"
	"INSERT INTO label_fts(rowid, label) SELECT id, label FROM features WHERE label <> '';\n"
	/* the list's filter: every label's trigrams (index_filter.c) */
	"INSERT INTO label_tri(rowid, label) SELECT id, label FROM features WHERE label <> '';\n"
	"CREATE INDEX explanations_feature ON explanations(feature);\n"
	"INSERT INTO expl_fts(rowid, text) SELECT id, text FROM explanations;\n"
	/* Each feature's position within its dictionary in every sort order
	 * of the browser's list (the ORDER BY of its pages, ascending): a jump
	 * to a feature reads its position instead of counting the rows before
	 * it. */
	"INSERT INTO feature_ranks(feature, r_label, r_density, r_max, r_cluster) SELECT id,"
	" row_number() OVER (PARTITION BY sae ORDER BY label COLLATE NOCASE, idx) - 1,"
	" row_number() OVER (PARTITION BY sae ORDER BY density, idx) - 1,"
	" row_number() OVER (PARTITION BY sae ORDER BY max_act, idx) - 1,"
	" row_number() OVER (PARTITION BY sae ORDER BY cluster, idx) - 1 FROM features;\n";

const char *const index_reader_sql[R_COUNT] = {
	[R_META] = "SELECT key, value FROM meta",
	[R_SAES] = "SELECT id, name, model, hook, layer, d_model, n_features, source_format"
		   " FROM saes ORDER BY id",
	[R_FEATURE] = "SELECT id, sae, idx, label, label_source, density, max_act, mean_act,"
		      " act_mass, n_examples, cluster, map_x, map_y, hist FROM features WHERE id = ?",
	[R_FEATURE_ID] = "SELECT id FROM features WHERE sae = ? AND idx = ?",
	[R_EXAMPLES] = "SELECT ctx, grp, rank, max_act, max_pos, acts, c.ntok FROM examples"
		       " JOIN contexts c ON c.id = ctx WHERE feature = ? ORDER BY grp, rank",
	[R_INTERVALS] = "SELECT grp, lo, hi, frac FROM intervals WHERE feature = ? ORDER BY grp",
	[R_CONTEXT] = "SELECT c.chunk, c.ntok, k.n, s.name, k.first_ctx FROM contexts c"
		      " JOIN chunks k ON k.id = c.chunk LEFT JOIN sources s ON s.id = c.source"
		      " WHERE c.id = ?",
	[R_CONTEXT_TEXT] = "SELECT offs FROM chunks WHERE id = ?",
	[R_LOGITS] = "SELECT token, value FROM logits WHERE feature = ? AND sign = ? ORDER BY rank",
	[R_NEIGHBOURS] = "SELECT other, cosine FROM neighbours WHERE feature = ? AND other_sae = ?"
			 " ORDER BY rank LIMIT ?",
	[R_CL_CHILDREN] = "SELECT c.id, c.parent, c.sae, c.depth, c.size, c.label,"
			  " (SELECT count(*) FROM clusters d WHERE d.sae = c.sae AND d.parent = c.id)"
			  " FROM clusters c WHERE c.sae = ? AND c.parent = ? ORDER BY c.size DESC, c.id",
	[R_CLUSTER] = "SELECT c.id, c.parent, c.sae, c.depth, c.size, c.label,"
		      " (SELECT count(*) FROM clusters d WHERE d.sae = c.sae AND d.parent = c.id)"
		      " FROM clusters c WHERE c.id = ?",
	[R_CL_FEATURES] = "SELECT f.id FROM features f JOIN clusters c ON c.id = ?1"
			  " WHERE f.sae = c.sae AND f.cluster = ?1 ORDER BY f.idx",
	[R_SEARCH_CTX] = "SELECT rowid FROM ctx_fts WHERE ctx_fts MATCH ? ORDER BY rowid LIMIT ?",
	[R_SEARCH_LABEL] = "SELECT rowid FROM label_fts WHERE label_fts MATCH ? ORDER BY rowid LIMIT ?",
	[R_CTX_FEATURES] = "SELECT c.chunk, k.n, k.first_ctx FROM contexts c"
			   " JOIN chunks k ON k.id = c.chunk WHERE c.id = ?",
	[R_CHUNK] = "SELECT first_ctx, n, offs, text FROM chunks WHERE id = ?",
	[R_IDX_ANY] = "SELECT id FROM features WHERE idx = ? ORDER BY sae LIMIT 1",
	[R_EX_ACTS] = "SELECT acts FROM examples WHERE feature = ? AND ctx = ? LIMIT 1",
	[R_TABLE] = "SELECT rank, other, value, aux FROM feature_tables WHERE feature = ? AND kind = ?"
		    " ORDER BY rank",
	[R_EXPLANATIONS] = "SELECT text, source, model, type, score, scores FROM explanations"
			   " WHERE feature = ? ORDER BY score IS NULL, score DESC, id",
	[R_SEARCH_EXPL] = "SELECT DISTINCT e.feature FROM expl_fts JOIN explanations e ON e.id = expl_fts.rowid"
			  " WHERE expl_fts MATCH ? ORDER BY e.feature LIMIT ?",
	[R_FEAT_CTXS] = "SELECT DISTINCT ctx FROM examples WHERE feature = ? ORDER BY ctx",
};

sqlite3_stmt *index_rstmt(fs_index *ix, int i)
{
	if (!ix->st[i] && sqlite3_prepare_v3(ix->db, index_reader_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					     &ix->st[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(ix->st[i]);
	sqlite3_clear_bindings(ix->st[i]);
	return ix->st[i];
}

char *index_col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return xstrdup(t ? (const char *)t : "");
}

char *index_ro_uri(const char *path)
{
	fs_buf b = {0};
	buf_adds(&b, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7f)
			buf_printf(&b, "%%%02X", *p);
		else
			buf_addc(&b, (char)*p);
	}
	buf_adds(&b, "?mode=ro&immutable=1");
	return b.p;
}

fs_index *index_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		fs_seterr(err, errlen, "%s: is a directory, not a featscope index", path);
		return NULL;
	}
	if (access(path, R_OK) != 0) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fs_index *ix = xcalloc(1, sizeof *ix);
	ix->has_ranks = -1;
	ix->has_tri = -1;
	ix->path = xstrdup(path);
	char *uri = index_ro_uri(path);
	int rc = sqlite3_open_v2(uri, &ix->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	sqlite3_stmt *s = NULL;
	if (rc != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: cannot open: %s", path, sqlite3_errmsg(ix->db));
		goto fail;
	}
	sqlite3_extended_result_codes(ix->db, 1);
	/* A hostile file can hold views (a recursive one never ends) or
	 * computed columns where tables belong: refuse them before any query.
	 * (When this cannot even be prepared, the meta query below says why.) */
	if (sqlite3_prepare_v2(ix->db, "SELECT type FROM sqlite_master WHERE type IN ('view', 'trigger')"
			       " OR sql LIKE '%GENERATED%' LIMIT 1", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			fs_seterr(err, errlen, "%s: not a featscope index (it holds a %s)", path,
				  sqlite3_column_type(s, 0) == SQLITE_TEXT &&
				  strcmp((const char *)sqlite3_column_text(s, 0), "table") != 0 ?
				  (const char *)sqlite3_column_text(s, 0) : "computed column");
			goto fail;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	/* reads go through a memory map and a larger page cache: context
	 * texts live in chunk blobs that span many overflow pages */
	sqlite3_exec(ix->db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-32768;", NULL, NULL, NULL);
	rc = sqlite3_prepare_v2(ix->db, index_reader_sql[R_META], -1, &s, NULL);
	if (rc != SQLITE_OK) {
		const char *m = sqlite3_errmsg(ix->db);
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
			fs_seterr(err, errlen, "%s: not a featscope index (not an SQLite database, or corrupt)", path);
		else if (strstr(m, "no such table"))
			fs_seterr(err, errlen, "%s: not a featscope index (no meta table)", path);
		else
			fs_seterr(err, errlen, "%s: not a featscope index (%s)", path, m);
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ix->meta_k = xrealloc(ix->meta_k, sizeof(char *) * (size_t)(ix->n_meta + 1));
		ix->meta_v = xrealloc(ix->meta_v, sizeof(char *) * (size_t)(ix->n_meta + 1));
		ix->meta_k[ix->n_meta] = index_col_strdup(s, 0);
		ix->meta_v[ix->n_meta] = index_col_strdup(s, 1);
		ix->n_meta++;
		if (ix->n_meta > 10000)
			break;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fs_seterr(err, errlen, "%s: not a featscope index (unreadable meta table: %s)",
			  path, sqlite3_errmsg(ix->db));
		goto fail;
	}
	const char *fmt = index_meta(ix, "format"), *ver = index_meta(ix, "version");
	if (!fmt || strcmp(fmt, "featscope-index") != 0) {
		fs_seterr(err, errlen, "%s: not a featscope index (meta 'format' is %s)", path,
			  fmt ? "something else" : "missing");
		goto fail;
	}
	int64_t v;
	if (!ver || fs_parse_i64(ver, &v) != 0 || v != FS_INDEX_VERSION) {
		if (ver && fs_parse_i64(ver, &v) == 0 && v >= 1 && v < FS_INDEX_VERSION)
			fs_seterr(err, errlen, "%s: index format version %s is older than this featscope's (%d):"
				  " rebuild it with featscope build", path, ver, FS_INDEX_VERSION);
		else
			fs_seterr(err, errlen, "%s: index format version %s; this featscope reads version %d",
				  path, ver ? ver : "(missing)", FS_INDEX_VERSION);
		goto fail;
	}
	if (sqlite3_prepare_v2(ix->db, index_reader_sql[R_SAES], -1, &s, NULL) != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: damaged index: %s", path, sqlite3_errmsg(ix->db));
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && ix->n_saes < 100000) {
		ix->saes = xrealloc(ix->saes, sizeof *ix->saes * (size_t)(ix->n_saes + 1));
		fs_sae *d = &ix->saes[ix->n_saes++];
		d->id = sqlite3_column_int(s, 0);
		d->name = index_col_strdup(s, 1);
		d->model = index_col_strdup(s, 2);
		d->hook = index_col_strdup(s, 3);
		d->layer = sqlite3_column_int(s, 4);
		d->d_model = sqlite3_column_int(s, 5);
		d->n_features = sqlite3_column_int64(s, 6);
		d->source_format = index_col_strdup(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fs_seterr(err, errlen, "%s: damaged index: %s", path, sqlite3_errmsg(ix->db));
		s = NULL;
		goto fail;
	}
	/* Counts in meta drive loops (chunk scans, lists): one that lies
	 * would make them run for ever. Clamp each to its table's largest id. */
	static const char *const counted[][2] = {
		{"n_chunks", "SELECT max(id) FROM chunks"},
		{"n_features", "SELECT max(id) FROM features"},
		{"n_contexts", "SELECT max(id) FROM contexts"},
	};
	for (size_t c = 0; c < sizeof counted / sizeof counted[0]; c++) {
		int64_t real = 0;
		s = NULL;
		if (sqlite3_prepare_v2(ix->db, counted[c][1], -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			real = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
		for (int k = 0; k < ix->n_meta; k++) {
			int64_t cnt;
			if (!ix->meta_k[k] || strcmp(ix->meta_k[k], counted[c][0]) != 0)
				continue;
			if (!ix->meta_v[k] || fs_parse_i64(ix->meta_v[k], &cnt) != 0 || cnt > real || cnt < 0) {
				free(ix->meta_v[k]);
				ix->meta_v[k] = xasprintf("%lld", (long long)real);
			}
		}
	}
	/* the file read is the one stat'ed before the open: a rebuild renamed
	 * over the path meanwhile would mix two files later */
	if (index_id_record(ix, &st) != 0) {
		fs_seterr(err, errlen, "%s: the file was replaced while it was being opened (rebuilt?); "
			  "open it again", path);
		goto fail;
	}
	return ix;
fail:
	if (s)
		sqlite3_finalize(s);
	index_close(ix);
	return NULL;
}

void index_close(fs_index *ix)
{
	if (!ix)
		return;
	index_id_free(ix);
	for (int i = 0; i < R_COUNT; i++)
		sqlite3_finalize(ix->st[i]);
	sqlite3_stmt **pg = &ix->page[0][0][0][0];
	for (size_t i = 0; i < sizeof ix->page / sizeof *pg; i++)
		sqlite3_finalize(pg[i]);
	sqlite3_stmt **ct = &ix->count[0][0];
	for (size_t i = 0; i < sizeof ix->count / sizeof *ct; i++)
		sqlite3_finalize(ct[i]);
	sqlite3_finalize(ix->rank_st);
	sqlite3_close(ix->db);
	for (int i = 0; i < ix->n_meta; i++) {
		free(ix->meta_k[i]);
		free(ix->meta_v[i]);
	}
	free(ix->meta_k);
	free(ix->meta_v);
	for (int i = 0; i < ix->n_saes; i++) {
		free(ix->saes[i].name);
		free(ix->saes[i].model);
		free(ix->saes[i].hook);
		free(ix->saes[i].source_format);
	}
	free(ix->saes);
	free(ix->dense);
	free(ix->path);
	free(ix->tri_filter);
	for (int i = 0; i < 4; i++)
		free(ix->scan[i].filter);
	free(ix);
}

const char *index_path(const fs_index *ix) { return ix->path; }
const char *index_errmsg(const fs_index *ix)
{
	if (ix->changed)
		return "the index file changed while it was read (truncated or rewritten in place): "
		       "open it again";
	return sqlite3_errmsg(ix->db);
}

const char *index_meta(fs_index *ix, const char *key)
{
	for (int i = 0; i < ix->n_meta; i++)
		if (strcmp(ix->meta_k[i], key) == 0)
			return ix->meta_v[i];
	return NULL;
}

const char *index_uuid(const fs_index *ix)
{
	const char *u = index_meta((fs_index *)ix, "uuid");
	return u ? u : "";
}

int64_t index_meta_i64(const fs_index *ix, const char *key)
{
	const char *v = index_meta((fs_index *)ix, key);
	int64_t n;
	return v && fs_parse_i64(v, &n) == 0 ? n : 0;
}

int64_t index_n_features(const fs_index *ix) { return index_meta_i64(ix, "n_features"); }
int64_t index_n_contexts(const fs_index *ix) { return index_meta_i64(ix, "n_contexts"); }
int64_t index_n_examples(const fs_index *ix) { return index_meta_i64(ix, "n_examples"); }
int64_t index_n_tokens(const fs_index *ix) { return index_meta_i64(ix, "n_tokens"); }
int64_t index_n_chunks(const fs_index *ix) { return index_meta_i64(ix, "n_chunks"); }

int index_n_saes(const fs_index *ix) { return ix->n_saes; }

const fs_sae *index_sae(const fs_index *ix, int i)
{
	return i >= 0 && i < ix->n_saes ? &ix->saes[i] : NULL;
}

const fs_sae *index_sae_by_id(const fs_index *ix, int id)
{
	for (int i = 0; i < ix->n_saes; i++)
		if (ix->saes[i].id == id)
			return &ix->saes[i];
	return NULL;
}

const fs_sae *index_sae_by_name(const fs_index *ix, const char *name)
{
	for (int i = 0; i < ix->n_saes; i++)
		if (strcmp(ix->saes[i].name, name) == 0)
			return &ix->saes[i];
	return NULL;
}

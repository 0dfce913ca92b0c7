/*
 * index.c: the featscope index file (SQLite), read and write. This is the
 * only module that speaks SQL to an index. The schema is below, in one
 * place; man/featscope-index.5 documents it for users.
 *
 * Write side: fs_writer builds a new index in a temporary file beside the
 * destination (journal off: the file is thrown away on failure; 64 KiB
 * pages), deduplicates contexts by xxh3 and stages them in a temporary
 * table; writer_finish packs them into chunks (texts, token boundaries and
 * examples, one page each), builds the secondary indexes and full-text
 * tables, writes the meta table and renames the file into place.
 *
 * Read side: fs_index opens read-only (immutable), checks meta without
 * scanning any table, and prepares each statement once, on first use.
 */
#include "config.h"
#include "index/index.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* Largest chunk row: SQLite keeps a row of up to U - 35 bytes (U = 65536,
 * the page size) on its leaf page, contiguous, with no overflow pages. */
#define CHUNK_BYTES 65501

static const char schema_sql[] =
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
	"CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE chunks(id INTEGER PRIMARY KEY, first_ctx INTEGER NOT NULL,"
	" n INTEGER NOT NULL, offs BLOB NOT NULL, text BLOB NOT NULL, aux BLOB NOT NULL);\n"
	"CREATE TABLE contexts(id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL,"
	" hash INTEGER NOT NULL, ntok INTEGER NOT NULL, source INTEGER);\n"
	"CREATE TABLE examples(feature INTEGER NOT NULL, grp INTEGER NOT NULL,"
	" rank INTEGER NOT NULL, ctx INTEGER NOT NULL, max_act REAL NOT NULL,"
	" max_pos INTEGER NOT NULL, acts BLOB NOT NULL,"
	" PRIMARY KEY(feature, grp, rank)) WITHOUT ROWID;\n"
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
	" content_rowid='id', tokenize='unicode61 remove_diacritics 2');\n";

/* Contexts wait in a temporary table (a file of its own that SQLite
 * deletes) until their examples are known: writer_finish packs them into
 * chunks with their token boundaries and examples (see fill_chunks). */
static const char stage_sql[] =
	"CREATE TEMP TABLE ctx_stage(id INTEGER PRIMARY KEY, hash INTEGER NOT NULL,"
	" ntok INTEGER NOT NULL, toks BLOB NOT NULL, source INTEGER, text BLOB NOT NULL);\n";

/* Built after the bulk load, which is faster than keeping them up to date. */
static const char finish_sql[] =
	"CREATE UNIQUE INDEX features_sae_idx ON features(sae, idx);\n"
	"CREATE INDEX features_density ON features(sae, density);\n"
	"CREATE INDEX features_max_act ON features(sae, max_act);\n"
	"CREATE INDEX features_cluster ON features(sae, cluster, idx);\n"
	"CREATE INDEX features_label ON features(sae, label COLLATE NOCASE);\n"
	"CREATE INDEX clusters_parent ON clusters(sae, parent);\n"
	"INSERT INTO label_fts(rowid, label) SELECT id, label FROM features WHERE label <> '';\n";

/* ------------------------------------------------------------- codecs */

size_t acts_encode(const float *acts, int ntok, uint8_t *out)
{
	size_t n = 0;
	int prev = -1;
	for (int i = 0; i < ntok; i++) {
		if (acts[i] == 0.0f || isnan(acts[i]))
			continue;
		float v = acts[i];
		if (v > 65504.0f)
			v = 65504.0f;
		if (v < -65504.0f)
			v = -65504.0f;
		uint16_t h = f32_to_f16(v);
		if ((h & 0x7fff) == 0)
			h = (uint16_t)((h & 0x8000) | 1); /* keep "fires" visible */
		n += varint_put(out + n, (uint64_t)(i - prev - 1));
		out[n++] = (uint8_t)(h & 0xff);
		out[n++] = (uint8_t)(h >> 8);
		prev = i;
	}
	return n;
}

int acts_decode(const uint8_t *p, size_t n, float *acts, int ntok)
{
	if (!p) /* an empty blob column reads as NULL */
		p = (const uint8_t *)"", n = 0;
	for (int i = 0; i < ntok; i++)
		acts[i] = 0.0f;
	size_t at = 0;
	int64_t pos = -1;
	while (at < n) {
		uint64_t gap;
		size_t k = varint_get(p + at, n - at, &gap);
		if (!k || gap >= (uint64_t)ntok)
			return -1;
		at += k;
		pos += (int64_t)gap + 1;
		if (pos >= ntok || at + 2 > n)
			return -1;
		acts[pos] = f16_to_f32((uint16_t)(p[at] | (p[at + 1] << 8)));
		at += 2;
	}
	return 0;
}

void ex_put(fs_buf *b, int64_t fid_delta, float max_act, int max_pos,
	    const void *acts, size_t nacts)
{
	uint8_t t[32];
	size_t n = varint_put(t, (uint64_t)fid_delta);
	n += varint_put(t + n, (uint64_t)(max_pos < 0 ? 0 : max_pos));
	uint32_t u;
	memcpy(&u, &max_act, 4);
	for (int i = 0; i < 4; i++)
		t[n++] = (uint8_t)(u >> (8 * i));
	n += varint_put(t + n, (uint64_t)nacts);
	buf_add(b, t, n);
	if (nacts)
		buf_add(b, acts, nacts);
}

int ex_next(const uint8_t *p, size_t n, size_t *at, int64_t *fid, fs_ex_entry *e)
{
	if (*at >= n)
		return 0;
	uint64_t d, pos, na;
	size_t k = varint_get(p + *at, n - *at, &d);
	if (!k || d > ((uint64_t)1 << 40))
		return -1;
	*at += k;
	k = varint_get(p + *at, n - *at, &pos);
	if (!k || pos > (1u << 24) || n - *at - k < 4)
		return -1;
	*at += k;
	uint32_t u = 0;
	for (int i = 0; i < 4; i++)
		u |= (uint32_t)p[*at + (size_t)i] << (8 * i);
	*at += 4;
	k = varint_get(p + *at, n - *at, &na);
	if (!k || na > n - *at - k)
		return -1;
	*at += k;
	*fid += (int64_t)d;
	e->fid = *fid;
	e->max_pos = (int)pos;
	memcpy(&e->max_act, &u, 4);
	e->acts = p + *at;
	e->nacts = (size_t)na;
	*at += (size_t)na;
	return 1;
}

size_t toks_encode(const uint32_t *off, int ntok, uint8_t *out)
{
	size_t n = 0;
	for (int i = 0; i < ntok; i++)
		n += varint_put(out + n, off[i + 1] - off[i]);
	return n;
}

int toks_decode(const uint8_t *p, size_t n, uint32_t *off, int ntok, uint32_t textlen)
{
	if (!p) /* an empty blob column reads as NULL: no arithmetic on it */
		p = (const uint8_t *)"", n = 0;
	size_t at = 0;
	uint64_t sum = 0;
	off[0] = 0;
	for (int i = 0; i < ntok; i++) {
		uint64_t len;
		size_t k = varint_get(p + at, n - at, &len);
		if (!k)
			return -1;
		at += k;
		sum += len;
		if (sum > textlen)
			return -1;
		off[i + 1] = (uint32_t)sum;
	}
	return (at == n && sum == textlen) ? 0 : -1;
}

/* ------------------------------------------------------------ write side */

/* Open-addressing map from context hash to context id. */
typedef struct {
	uint64_t *keys;  /* hash, 0 = empty (hash 0 is remapped to 1) */
	int64_t *vals;   /* context id */
	size_t cap;      /* slots, a power of two */
	size_t used;     /* occupied slots */
} hashmap;

static int64_t hm_get(const hashmap *m, uint64_t k)
{
	if (!m->cap)
		return 0;
	for (size_t i = k & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return m->vals[i];
		if (m->keys[i] == 0)
			return 0;
	}
}

static void hm_put(hashmap *m, uint64_t k, int64_t v);

static void hm_grow(hashmap *m)
{
	hashmap n = {0};
	n.cap = m->cap ? m->cap * 2 : 1024;
	n.keys = xcalloc(n.cap, sizeof *n.keys);
	n.vals = xcalloc(n.cap, sizeof *n.vals);
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			hm_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
}

static void hm_put(hashmap *m, uint64_t k, int64_t v)
{
	if ((m->used + 1) * 4 >= m->cap * 3)
		hm_grow(m);
	size_t i = k & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->used++;
	m->keys[i] = k;
	m->vals[i] = v;
}

enum {
	W_SAE, W_FEATURE, W_LABEL, W_STATS, W_CLUSTER, W_MAP, W_SOURCE, W_CONTEXT,
	W_CHUNK, W_EXAMPLE, W_INTERVAL, W_LOGIT, W_NEIGHBOUR, W_CLUSTERNODE,
	W_META, W_MASS, W_FTS, W_CTXROW, W_COUNT
};

static const char *const writer_sql[W_COUNT] = {
	[W_SAE] = "INSERT INTO saes(name, model, hook, layer, d_model, n_features, source_format)"
		  " VALUES(?,?,?,?,?,?,?)",
	[W_FEATURE] = "INSERT INTO features(sae, idx, label, label_source, density, max_act,"
		      " mean_act, cluster, map_x, map_y, hist) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	[W_LABEL] = "UPDATE features SET label = ?2, label_source = ?3 WHERE id = ?1",
	[W_STATS] = "UPDATE features SET density = ?2, max_act = ?3, mean_act = ?4, hist = ?5"
		    " WHERE id = ?1",
	[W_CLUSTER] = "UPDATE features SET cluster = ?2 WHERE id = ?1",
	[W_MAP] = "UPDATE features SET map_x = ?2, map_y = ?3 WHERE id = ?1",
	[W_SOURCE] = "INSERT INTO sources(name) VALUES(?)",
	[W_CONTEXT] = "INSERT INTO temp.ctx_stage(id, hash, ntok, toks, source, text) VALUES(?,?,?,?,?,?)",
	[W_CHUNK] = "INSERT INTO chunks(id, first_ctx, n, offs, text, aux) VALUES(?,?,?,?,?,?)",
	[W_EXAMPLE] = "INSERT INTO examples(feature, grp, rank, ctx, max_act, max_pos, acts)"
		      " VALUES(?,?,?,?,?,?,?)",
	[W_INTERVAL] = "INSERT OR REPLACE INTO intervals(feature, grp, lo, hi, frac) VALUES(?,?,?,?,?)",
	[W_LOGIT] = "INSERT OR REPLACE INTO logits(feature, sign, rank, token, value) VALUES(?,?,?,?,?)",
	[W_NEIGHBOUR] = "INSERT OR REPLACE INTO neighbours(feature, other_sae, rank, other, cosine)"
			" VALUES(?,?,?,?,?)",
	[W_CLUSTERNODE] = "INSERT INTO clusters(sae, parent, depth, size, label) VALUES(?,?,?,?,?)",
	[W_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)",
	[W_MASS] = "UPDATE features SET act_mass = ?2, n_examples = ?3 WHERE id = ?1",
	[W_FTS] = "INSERT INTO ctx_fts(rowid, text) VALUES(?,?)",
	[W_CTXROW] = "INSERT INTO contexts(id, chunk, hash, ntok, source) VALUES(?,?,?,?,?)",
};

struct fs_writer {
	sqlite3 *db;               /* the temporary file's connection */
	sqlite3_stmt *st[W_COUNT]; /* prepared on first use */
	char *path;                /* destination */
	char *tmp;                 /* temporary file */
	char err[512];             /* first error */
	int failed;                /* an error happened: finish will fail */
	hashmap ctx_by_hash;       /* context dedup */
	hashmap src_by_hash;       /* source name -> id */
	int64_t n_ctx;             /* contexts stored */
	int64_t n_feat;            /* features stored */
	int64_t n_examples;        /* examples stored */
	int64_t n_tokens;          /* tokens seen while building */
	int64_t n_chunks;          /* chunks flushed */
	int64_t n_text_bytes;      /* bytes of chunk text (texts and their NULs) */
	double *mass;              /* act_mass per fid (1-based) */
	int64_t *nex;              /* examples per fid */
	int64_t mass_cap;          /* capacity of mass/nex */
	uint8_t *scratch;          /* encoding buffer */
	size_t scratch_cap;        /* its size */
};

/* Temporary files to remove if the process is interrupted. */
static char *live_tmp[8];

static void on_signal(int sig)
{
	for (int i = 0; i < 8; i++)
		if (live_tmp[i])
			unlink(live_tmp[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track_tmp(char *p, int on)
{
	for (int i = 0; i < 8; i++) {
		if (on && !live_tmp[i]) {
			live_tmp[i] = p;
			break;
		}
		if (!on && live_tmp[i] == p) {
			live_tmp[i] = NULL;
			break;
		}
	}
	if (on) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}
}

static int wfail(fs_writer *w, const char *what)
{
	if (!w->failed) {
		snprintf(w->err, sizeof w->err, "%s: %s: %s", w->path, what,
			 w->db ? sqlite3_errmsg(w->db) : "error");
		w->failed = 1;
	}
	return -1;
}

static sqlite3_stmt *wstmt(fs_writer *w, int i)
{
	if (w->failed)
		return NULL;
	if (!w->st[i] && sqlite3_prepare_v3(w->db, writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &w->st[i], NULL) != SQLITE_OK) {
		wfail(w, "prepare");
		return NULL;
	}
	return w->st[i];
}

static int wstep(fs_writer *w, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return wfail(w, what);
	return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
	sqlite3_bind_text(s, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

static void bind_real_or_null(sqlite3_stmt *s, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

static uint8_t *scratch(fs_writer *w, size_t n)
{
	if (n > w->scratch_cap) {
		w->scratch_cap = n * 2;
		w->scratch = xrealloc(w->scratch, w->scratch_cap);
	}
	return w->scratch;
}

fs_writer *writer_create(const char *path, char *err, size_t errlen)
{
	fs_writer *w = xcalloc(1, sizeof *w);
	w->path = xstrdup(path);
	w->tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkstemp(w->tmp);
	if (fd < 0) {
		fs_seterr(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(w->tmp);
		free(w->path);
		free(w);
		return NULL;
	}
	close(fd);
	track_tmp(w->tmp, 1);
	if (sqlite3_open_v2(w->tmp, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
				"PRAGMA page_size=65536; PRAGMA cache_size=-65536;"
				"PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=FILE;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, stage_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		wfail(w, "create");
		fs_seterr(err, errlen, "%s", w->err);
		writer_abort(w);
		errno = EIO; /* created but not written: a write error */
		return NULL;
	}
	return w;
}

const char *writer_errmsg(fs_writer *w)
{
	return w->err;
}

int writer_add_sae(fs_writer *w, const fs_sae *s)
{
	sqlite3_stmt *st = wstmt(w, W_SAE);
	if (!st)
		return -1;
	bind_text(st, 1, s->name);
	bind_text(st, 2, s->model);
	bind_text(st, 3, s->hook);
	sqlite3_bind_int(st, 4, s->layer);
	sqlite3_bind_int(st, 5, s->d_model);
	sqlite3_bind_int64(st, 6, s->n_features);
	bind_text(st, 7, s->source_format);
	if (wstep(w, st, "add dictionary") < 0)
		return -1;
	return (int)sqlite3_last_insert_rowid(w->db);
}

static void bind_hist(sqlite3_stmt *st, int i, const fs_feature *f)
{
	int any = 0;
	for (int b = 0; b < FS_HIST_BINS; b++)
		any |= f->hist[b] != 0;
	if (!any) {
		sqlite3_bind_null(st, i);
		return;
	}
	/* f32 lo, f32 hi, then FS_HIST_BINS u32 counts, little-endian */
	uint8_t blob[8 + 4 * FS_HIST_BINS];
	memcpy(blob, &f->hist_lo, 4);
	memcpy(blob + 4, &f->hist_hi, 4);
	memcpy(blob + 8, f->hist, 4 * FS_HIST_BINS);
	sqlite3_bind_blob(st, i, blob, sizeof blob, SQLITE_TRANSIENT);
}

int64_t writer_add_feature(fs_writer *w, const fs_feature *f)
{
	sqlite3_stmt *st = wstmt(w, W_FEATURE);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, f->sae);
	sqlite3_bind_int64(st, 2, f->idx);
	bind_text(st, 3, f->label);
	bind_text(st, 4, f->label_source);
	bind_real_or_null(st, 5, f->density < 0 ? NAN : f->density);
	bind_real_or_null(st, 6, f->max_act);
	bind_real_or_null(st, 7, f->mean_act);
	sqlite3_bind_int64(st, 8, f->cluster);
	bind_real_or_null(st, 9, f->map_x);
	bind_real_or_null(st, 10, f->map_y);
	bind_hist(st, 11, f);
	if (wstep(w, st, "add feature") < 0)
		return -1;
	w->n_feat++;
	return sqlite3_last_insert_rowid(w->db);
}

int writer_set_label(fs_writer *w, int64_t fid, const char *label, const char *source)
{
	sqlite3_stmt *st = wstmt(w, W_LABEL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_text(st, 2, label);
	bind_text(st, 3, source);
	return wstep(w, st, "set label");
}

int writer_set_stats(fs_writer *w, int64_t fid, const fs_feature *f)
{
	sqlite3_stmt *st = wstmt(w, W_STATS);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_real_or_null(st, 2, f->density < 0 ? NAN : f->density);
	bind_real_or_null(st, 3, f->max_act);
	bind_real_or_null(st, 4, f->mean_act);
	bind_hist(st, 5, f);
	return wstep(w, st, "set statistics");
}

int writer_set_cluster(fs_writer *w, int64_t fid, int64_t node)
{
	sqlite3_stmt *st = wstmt(w, W_CLUSTER);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int64(st, 2, node);
	return wstep(w, st, "set cluster");
}

int writer_set_map(fs_writer *w, int64_t fid, double x, double y)
{
	sqlite3_stmt *st = wstmt(w, W_MAP);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_real_or_null(st, 2, x);
	bind_real_or_null(st, 3, y);
	return wstep(w, st, "set map position");
}

static int64_t source_id(fs_writer *w, const char *source)
{
	if (!source || !*source)
		return 0;
	uint64_t h = XXH3_64bits(source, strlen(source));
	if (!h)
		h = 1;
	int64_t id = hm_get(&w->src_by_hash, h);
	if (id)
		return id;
	sqlite3_stmt *st = wstmt(w, W_SOURCE);
	if (!st)
		return -1;
	bind_text(st, 1, source);
	if (wstep(w, st, "add source") < 0)
		return -1;
	id = sqlite3_last_insert_rowid(w->db);
	hm_put(&w->src_by_hash, h, id);
	return id;
}

int64_t writer_add_context(fs_writer *w, const char *text, size_t len,
			   const uint32_t *tok_off, int ntok, const char *source)
{
	if (w->failed)
		return -1;
	if (ntok < 0 || tok_off[0] != 0 || tok_off[ntok] != len || len > 0x7fffffff) {
		snprintf(w->err, sizeof w->err, "%s: context token boundaries do not cover its text", w->path);
		w->failed = 1;
		return -1;
	}
	uint8_t *tb = scratch(w, (size_t)ntok * 5 + 16);
	size_t tn = toks_encode(tok_off, ntok, tb);
	XXH3_state_t *hs = XXH3_createState();
	XXH3_64bits_reset(hs);
	XXH3_64bits_update(hs, text, len);
	XXH3_64bits_update(hs, tb, tn);
	uint64_t h = XXH3_64bits_digest(hs);
	XXH3_freeState(hs);
	if (!h)
		h = 1;
	int64_t id = hm_get(&w->ctx_by_hash, h);
	if (id)
		return id;

	int64_t src = source_id(w, source);
	if (src < 0)
		return -1;
	id = ++w->n_ctx;
	sqlite3_stmt *st = wstmt(w, W_CONTEXT);
	if (!st)
		return -1;
	tb = scratch(w, (size_t)ntok * 5 + 16); /* source_id may not realloc, but be safe */
	tn = toks_encode(tok_off, ntok, tb);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)h);
	sqlite3_bind_int(st, 3, ntok);
	sqlite3_bind_blob(st, 4, tb, (int)tn, SQLITE_STATIC);
	if (src)
		sqlite3_bind_int64(st, 5, src);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_blob(st, 6, len ? text : "", (int)len, SQLITE_STATIC);
	if (wstep(w, st, "add context") < 0)
		return -1;
	hm_put(&w->ctx_by_hash, h, id);
	return id;
}

int writer_add_example(fs_writer *w, int64_t fid, int grp, int rank,
		       int64_t ctx, const float *acts, int ntok)
{
	return writer_add_example_at(w, fid, grp, rank, ctx, acts, ntok, -1);
}

int writer_add_example_at(fs_writer *w, int64_t fid, int grp, int rank,
			  int64_t ctx, const float *acts, int ntok, int key)
{
	sqlite3_stmt *st = wstmt(w, W_EXAMPLE);
	if (!st)
		return -1;
	float mx = ntok ? -INFINITY : 0.0f;
	int mpos = 0;
	double sum = 0;
	for (int i = 0; i < ntok; i++) {
		if (isnan(acts[i]))
			continue;
		if (acts[i] > mx) {
			mx = acts[i];
			mpos = i;
		}
		if (acts[i] > 0)
			sum += acts[i];
	}
	if (isinf(mx))
		mx = 0;
	if (key >= 0 && key < ntok && !isnan(acts[key])) {
		/* the example's key token, as its input names it */
		mx = acts[key];
		mpos = key;
	}
	uint8_t *b = scratch(w, (size_t)ntok * 5 + 16);
	size_t n = acts_encode(acts, ntok, b);
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int(st, 2, grp);
	sqlite3_bind_int(st, 3, rank);
	sqlite3_bind_int64(st, 4, ctx);
	sqlite3_bind_double(st, 5, mx);
	sqlite3_bind_int(st, 6, mpos);
	sqlite3_bind_blob(st, 7, b, (int)n, SQLITE_STATIC);
	if (wstep(w, st, "add example") < 0)
		return -1;
	if (fid >= w->mass_cap) {
		int64_t cap = w->mass_cap ? w->mass_cap : 1024;
		while (cap <= fid)
			cap *= 2;
		w->mass = xrealloc(w->mass, (size_t)cap * sizeof *w->mass);
		w->nex = xrealloc(w->nex, (size_t)cap * sizeof *w->nex);
		memset(w->mass + w->mass_cap, 0, (size_t)(cap - w->mass_cap) * sizeof *w->mass);
		memset(w->nex + w->mass_cap, 0, (size_t)(cap - w->mass_cap) * sizeof *w->nex);
		w->mass_cap = cap;
	}
	w->mass[fid] += sum;
	w->nex[fid]++;
	w->n_examples++;
	return 0;
}

int writer_add_interval(fs_writer *w, int64_t fid, const fs_interval *iv)
{
	sqlite3_stmt *st = wstmt(w, W_INTERVAL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int(st, 2, iv->grp);
	sqlite3_bind_double(st, 3, iv->lo);
	sqlite3_bind_double(st, 4, iv->hi);
	sqlite3_bind_double(st, 5, iv->frac);
	return wstep(w, st, "add interval");
}

int writer_add_logit(fs_writer *w, int64_t fid, int sign, int rank,
		     const char *token, float value)
{
	sqlite3_stmt *st = wstmt(w, W_LOGIT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int(st, 2, sign > 0 ? 1 : -1);
	sqlite3_bind_int(st, 3, rank);
	bind_text(st, 4, token);
	sqlite3_bind_double(st, 5, value);
	return wstep(w, st, "add logit");
}

int writer_add_neighbour(fs_writer *w, int64_t fid, int other_sae, int rank,
			 int64_t other_fid, float cosine)
{
	sqlite3_stmt *st = wstmt(w, W_NEIGHBOUR);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int(st, 2, other_sae);
	sqlite3_bind_int(st, 3, rank);
	sqlite3_bind_int64(st, 4, other_fid);
	sqlite3_bind_double(st, 5, cosine);
	return wstep(w, st, "add neighbour");
}

int64_t writer_add_cluster(fs_writer *w, int sae, int64_t parent, int depth,
			   int64_t size, const char *label)
{
	sqlite3_stmt *st = wstmt(w, W_CLUSTERNODE);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, sae);
	sqlite3_bind_int64(st, 2, parent);
	sqlite3_bind_int(st, 3, depth);
	sqlite3_bind_int64(st, 4, size);
	bind_text(st, 5, label);
	if (wstep(w, st, "add cluster") < 0)
		return -1;
	return sqlite3_last_insert_rowid(w->db);
}

int writer_set_meta(fs_writer *w, const char *key, const char *value)
{
	sqlite3_stmt *st = wstmt(w, W_META);
	if (!st)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return wstep(w, st, "set meta");
}

void writer_count_tokens(fs_writer *w, int64_t n)
{
	w->n_tokens += n;
}

static int set_meta_i64(fs_writer *w, const char *key, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)v);
	return writer_set_meta(w, key, b);
}

static void make_uuid(char *out)
{
	uint8_t r[16];
	int fd = open("/dev/urandom", O_RDONLY);
	ssize_t got = fd >= 0 ? read(fd, r, sizeof r) : -1;
	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof r) {
		uint64_t a = XXH3_64bits(&got, sizeof got) ^ (uint64_t)time(NULL);
		uint64_t b = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(fs_now() * 1e9);
		memcpy(r, &a, 8);
		memcpy(r + 8, &b, 8);
	}
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	for (int i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += sprintf(out + o, "%02x", r[i]);
	}
}

/* A chunk being packed by fill_chunks. */
typedef struct {
	int64_t first;             /* its first context id */
	int n;                     /* contexts in it */
	fs_buf text;               /* texts, each followed by a NUL */
	fs_buf offs;               /* u32 text offsets, n + 1 */
	fs_buf aoff;               /* u32 record offsets within aux, n + 1 */
	fs_buf rec;                /* the records */
} chunk_pack;

static void put_u32(fs_buf *b, uint32_t v)
{
	buf_add(b, &v, 4); /* chunk offsets are u32 in host order (little-endian) */
}

static int chunk_flush(fs_writer *w, chunk_pack *c)
{
	if (c->n == 0)
		return 0;
	sqlite3_stmt *st = wstmt(w, W_CHUNK);
	if (!st)
		return -1;
	/* aux = record offsets (counted from the start of aux), then records */
	uint32_t head = (uint32_t)(c->n + 1) * 4;
	fs_buf aux = {0};
	for (int i = 0; i <= c->n; i++) {
		uint32_t o;
		memcpy(&o, c->aoff.p + (size_t)i * 4, 4);
		put_u32(&aux, o + head);
	}
	buf_add(&aux, c->rec.p, c->rec.len);
	w->n_chunks++;
	w->n_text_bytes += (int64_t)c->text.len;
	sqlite3_bind_int64(st, 1, w->n_chunks);
	sqlite3_bind_int64(st, 2, c->first);
	sqlite3_bind_int(st, 3, c->n);
	sqlite3_bind_blob(st, 4, c->offs.p, (int)c->offs.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, c->text.p, (int)c->text.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, aux.p, (int)aux.len, SQLITE_STATIC);
	int rc = wstep(w, st, "add chunk");
	buf_free(&aux);
	c->first += c->n;
	c->n = 0;
	c->text.len = c->offs.len = c->aoff.len = c->rec.len = 0;
	return rc;
}

/* Chunks and the contexts table from the staged contexts, in id order,
 * joined with their examples (read back in context order: SQLite sorts
 * them). A chunk takes contexts while its row fits one page (CHUNK_BYTES:
 * a 64 KiB page less SQLite's cell overhead), so that a scan reads each
 * chunk from one page; a context too large for that gets a chunk of its
 * own (SQLite spills it to overflow pages). */
static int fill_chunks(fs_writer *w)
{
	sqlite3_stmt *c = NULL, *e = NULL, *ins = wstmt(w, W_CTXROW);
	if (!ins)
		return -1;
	if (sqlite3_prepare_v2(w->db, "SELECT id, hash, ntok, toks, source, text"
			       " FROM temp.ctx_stage ORDER BY id", -1, &c, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, "SELECT ctx, feature, max_act, max_pos, acts FROM examples"
			       " ORDER BY ctx, feature, grp, rank", -1, &e, NULL) != SQLITE_OK) {
		sqlite3_finalize(c);
		return wfail(w, "chunks");
	}
	chunk_pack ck = {.first = 1};
	fs_buf r = {0};
	int erc = sqlite3_step(e);
	while (!w->failed && sqlite3_step(c) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(c, 0), prev = 0;
		int ntok = sqlite3_column_int(c, 2);
		size_t nt = (size_t)sqlite3_column_bytes(c, 3), len = (size_t)sqlite3_column_bytes(c, 5);
		/* the context's record: ntok, toks length, toks, examples */
		r.len = 0;
		uint8_t v[20];
		buf_add(&r, v, varint_put(v, (uint64_t)ntok));
		buf_add(&r, v, varint_put(v, (uint64_t)nt));
		if (nt)
			buf_add(&r, sqlite3_column_blob(c, 3), nt);
		while (erc == SQLITE_ROW && sqlite3_column_int64(e, 0) < id)
			erc = sqlite3_step(e); /* examples of contexts never added (none are) */
		while (erc == SQLITE_ROW && sqlite3_column_int64(e, 0) == id) {
			int64_t fid = sqlite3_column_int64(e, 1);
			ex_put(&r, fid - prev, (float)sqlite3_column_double(e, 2), sqlite3_column_int(e, 3),
			       sqlite3_column_blob(e, 4), (size_t)sqlite3_column_bytes(e, 4));
			prev = fid;
			erc = sqlite3_step(e);
		}
		size_t need = len + 1 + r.len + 8;
		size_t have = ck.text.len + ck.rec.len + 8 * ((size_t)ck.n + 1) + 48;
		if (ck.n > 0 && have + need > CHUNK_BYTES && chunk_flush(w, &ck) < 0)
			break;
		if (ck.n == 0) {
			put_u32(&ck.offs, 0);
			put_u32(&ck.aoff, 0);
		}
		if (len)
			buf_add(&ck.text, sqlite3_column_blob(c, 5), len);
		buf_addc(&ck.text, 0);
		buf_add(&ck.rec, r.p, r.len);
		put_u32(&ck.offs, (uint32_t)ck.text.len);
		put_u32(&ck.aoff, (uint32_t)ck.rec.len);
		ck.n++;
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_int64(ins, 2, w->n_chunks + 1);
		sqlite3_bind_value(ins, 3, sqlite3_column_value(c, 1));
		sqlite3_bind_int(ins, 4, ntok);
		sqlite3_bind_value(ins, 5, sqlite3_column_value(c, 4));
		wstep(w, ins, "contexts");
	}
	if (!w->failed)
		chunk_flush(w, &ck);
	if (!w->failed && erc != SQLITE_ROW && erc != SQLITE_DONE)
		wfail(w, "chunks");
	buf_free(&r);
	buf_free(&ck.text);
	buf_free(&ck.offs);
	buf_free(&ck.aoff);
	buf_free(&ck.rec);
	sqlite3_finalize(c);
	sqlite3_finalize(e);
	if (!w->failed && sqlite3_exec(w->db, "DROP TABLE temp.ctx_stage", NULL, NULL, NULL) != SQLITE_OK)
		wfail(w, "chunks");
	return w->failed ? -1 : 0;
}

/* Full-text rows for every context, read back chunk by chunk. */
static int fill_ctx_fts(fs_writer *w)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(w->db, "SELECT first_ctx, n, offs, text FROM chunks ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return wfail(w, "full-text index");
	sqlite3_stmt *ins = wstmt(w, W_FTS);
	int rc;
	while (ins && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(q, 0);
		int n = sqlite3_column_int(q, 1);
		const uint32_t *off = sqlite3_column_blob(q, 2);
		const char *text = sqlite3_column_blob(q, 3);
		for (int i = 0; i < n; i++) {
			uint32_t a = off[i], b = off[i + 1] - 1;
			sqlite3_bind_int64(ins, 1, first + i);
			sqlite3_bind_text(ins, 2, text + a, (int)(b - a), SQLITE_STATIC);
			if (wstep(w, ins, "full-text index") < 0)
				break;
		}
		if (w->failed)
			break;
	}
	sqlite3_finalize(q);
	return w->failed ? -1 : 0;
}

int writer_finish(fs_writer *w, char *err, size_t errlen)
{
	char uuid[40];
	make_uuid(uuid);
	{
		sqlite3_stmt *st;
		for (int64_t fid = 1; fid < w->mass_cap && !w->failed; fid++) {
			if (!w->nex[fid] || !(st = wstmt(w, W_MASS)))
				continue;
			sqlite3_bind_int64(st, 1, fid);
			sqlite3_bind_double(st, 2, w->mass[fid]);
			sqlite3_bind_int64(st, 3, w->nex[fid]);
			wstep(w, st, "example totals");
		}
	}
	if (!w->failed)
		fill_chunks(w);
	if (!w->failed)
		fill_ctx_fts(w);
	if (!w->failed && sqlite3_exec(w->db, finish_sql, NULL, NULL, NULL) != SQLITE_OK)
		wfail(w, "indexes");
	if (!w->failed) {
		writer_set_meta(w, "format", "featscope-index");
		set_meta_i64(w, "version", FS_INDEX_VERSION);
		writer_set_meta(w, "uuid", uuid);
		writer_set_meta(w, "generator", "featscope " PACKAGE_VERSION);
		char when[32];
		time_t now = time(NULL);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		writer_set_meta(w, "created", when);
		set_meta_i64(w, "n_features", w->n_feat);
		set_meta_i64(w, "n_contexts", w->n_ctx);
		set_meta_i64(w, "n_examples", w->n_examples);
		set_meta_i64(w, "n_tokens", w->n_tokens);
		set_meta_i64(w, "n_chunks", w->n_chunks);
		set_meta_i64(w, "n_text_bytes", w->n_text_bytes);
	}
	for (int i = 0; i < W_COUNT; i++) {
		sqlite3_finalize(w->st[i]);
		w->st[i] = NULL;
	}
	if (!w->failed && sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		wfail(w, "commit");
	if (!w->failed && sqlite3_close(w->db) != SQLITE_OK)
		wfail(w, "close");
	else if (!w->failed)
		w->db = NULL;
	if (!w->failed) {
		int fd = open(w->tmp, O_RDONLY);
		if (fd < 0 || fsync(fd) != 0 || chmod(w->tmp, 0644) != 0) {
			snprintf(w->err, sizeof w->err, "%s: %s", w->tmp, strerror(errno));
			w->failed = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	if (!w->failed && rename(w->tmp, w->path) != 0) {
		snprintf(w->err, sizeof w->err, "%s: cannot rename into place: %s", w->path, strerror(errno));
		w->failed = 1;
	}
	if (w->failed) {
		fs_seterr(err, errlen, "%s", w->err);
		writer_abort(w);
		return -1;
	}
	track_tmp(w->tmp, 0);
	free(w->tmp);
	w->tmp = NULL; /* renamed: nothing to remove */
	writer_abort(w);
	return 0;
}

void writer_abort(fs_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->st[i]);
	if (w->db)
		sqlite3_close(w->db);
	if (w->tmp) {
		unlink(w->tmp);
		track_tmp(w->tmp, 0);
	}
	free(w->tmp);
	free(w->path);
	free(w->ctx_by_hash.keys);
	free(w->ctx_by_hash.vals);
	free(w->src_by_hash.keys);
	free(w->src_by_hash.vals);
	free(w->mass);
	free(w->nex);
	free(w->scratch);
	free(w);
}

/* ------------------------------------------------------------- read side */

enum {
	R_META, R_SAES, R_FEATURE, R_FEATURE_ID, R_EXAMPLES, R_INTERVALS, R_CONTEXT,
	R_CONTEXT_TEXT, R_LOGITS, R_NEIGHBOURS, R_CL_CHILDREN, R_CLUSTER, R_CL_FEATURES,
	R_SEARCH_CTX, R_SEARCH_LABEL, R_CTX_FEATURES, R_CHUNK, R_IDX_ANY, R_EX_ACTS, R_COUNT
};

static const char *const reader_sql[R_COUNT] = {
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
};

struct fs_index {
	sqlite3 *db;                /* read-only connection */
	sqlite3_stmt *st[R_COUNT];  /* fixed statements, prepared on first use */
	sqlite3_stmt *page[2][5][2][2]; /* feature paging: [all saes][sort][desc][filtered] */
	sqlite3_stmt *count[2][2];  /* feature counts: [all saes][filtered] */
	char *path;                 /* as opened */
	char **meta_k, **meta_v;    /* meta table */
	int n_meta;                 /* entries in it */
	fs_sae *saes;               /* dictionaries */
	int n_saes;                 /* how many */
	signed char *dense;         /* per dictionary: 1 when its features are
				       exactly idx 0..n-1, 0 when not, -1 unknown */
};

static sqlite3_stmt *rstmt(fs_index *ix, int i)
{
	if (!ix->st[i] && sqlite3_prepare_v3(ix->db, reader_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					     &ix->st[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(ix->st[i]);
	sqlite3_clear_bindings(ix->st[i]);
	return ix->st[i];
}

static char *col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return xstrdup(t ? (const char *)t : "");
}

/* Percent-encode a path for a file: URI. */
static char *path_uri(const char *path)
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
	ix->path = xstrdup(path);
	char *uri = path_uri(path);
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
	rc = sqlite3_prepare_v2(ix->db, reader_sql[R_META], -1, &s, NULL);
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
		ix->meta_k[ix->n_meta] = col_strdup(s, 0);
		ix->meta_v[ix->n_meta] = col_strdup(s, 1);
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
	if (!ver || parse_i64(ver, &v) != 0 || v != FS_INDEX_VERSION) {
		if (ver && parse_i64(ver, &v) == 0 && v >= 1 && v < FS_INDEX_VERSION)
			fs_seterr(err, errlen, "%s: index format version %s is older than this featscope's (%d):"
				  " rebuild it with featscope build", path, ver, FS_INDEX_VERSION);
		else
			fs_seterr(err, errlen, "%s: index format version %s; this featscope reads version %d",
				  path, ver ? ver : "(missing)", FS_INDEX_VERSION);
		goto fail;
	}
	if (sqlite3_prepare_v2(ix->db, reader_sql[R_SAES], -1, &s, NULL) != SQLITE_OK) {
		fs_seterr(err, errlen, "%s: damaged index: %s", path, sqlite3_errmsg(ix->db));
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && ix->n_saes < 100000) {
		ix->saes = xrealloc(ix->saes, sizeof *ix->saes * (size_t)(ix->n_saes + 1));
		fs_sae *d = &ix->saes[ix->n_saes++];
		d->id = sqlite3_column_int(s, 0);
		d->name = col_strdup(s, 1);
		d->model = col_strdup(s, 2);
		d->hook = col_strdup(s, 3);
		d->layer = sqlite3_column_int(s, 4);
		d->d_model = sqlite3_column_int(s, 5);
		d->n_features = sqlite3_column_int64(s, 6);
		d->source_format = col_strdup(s, 7);
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
			if (!ix->meta_v[k] || parse_i64(ix->meta_v[k], &cnt) != 0 || cnt > real || cnt < 0) {
				free(ix->meta_v[k]);
				ix->meta_v[k] = xasprintf("%lld", (long long)real);
			}
		}
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
	for (int i = 0; i < R_COUNT; i++)
		sqlite3_finalize(ix->st[i]);
	sqlite3_stmt **pg = &ix->page[0][0][0][0];
	for (size_t i = 0; i < sizeof ix->page / sizeof *pg; i++)
		sqlite3_finalize(pg[i]);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			sqlite3_finalize(ix->count[i][j]);
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
	free(ix);
}

const char *index_path(const fs_index *ix) { return ix->path; }
const char *index_errmsg(const fs_index *ix) { return sqlite3_errmsg(ix->db); }

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

static int64_t meta_i64(const fs_index *ix, const char *key)
{
	const char *v = index_meta((fs_index *)ix, key);
	int64_t n;
	return v && parse_i64(v, &n) == 0 ? n : 0;
}

int64_t index_n_features(const fs_index *ix) { return meta_i64(ix, "n_features"); }
int64_t index_n_contexts(const fs_index *ix) { return meta_i64(ix, "n_contexts"); }
int64_t index_n_examples(const fs_index *ix) { return meta_i64(ix, "n_examples"); }
int64_t index_n_tokens(const fs_index *ix) { return meta_i64(ix, "n_tokens"); }
int64_t index_n_chunks(const fs_index *ix) { return meta_i64(ix, "n_chunks"); }

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

int64_t index_feature_id(fs_index *ix, int sae, int64_t idx)
{
	sqlite3_stmt *s = rstmt(ix, R_FEATURE_ID);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	sqlite3_bind_int64(s, 2, idx);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return id;
}

int64_t index_resolve(fs_index *ix, const char *name, char *err, size_t errlen)
{
	int64_t n, id;
	if (name[0] == '#') {
		fs_feature f;
		if (parse_i64(name + 1, &n) != 0 || index_feature(ix, n, &f) != 0)
			return fs_seterr(err, errlen, "%s: no such feature", name);
		feature_free(&f);
		return n;
	}
	const char *slash = strrchr(name, '/');
	if (slash) {
		char *sname = xstrndup(name, (size_t)(slash - name));
		const fs_sae *d = index_sae_by_name(ix, sname);
		free(sname);
		if (!d)
			return fs_seterr(err, errlen, "%s: no dictionary named '%.*s' in %s", name,
					 (int)(slash - name), name, ix->path);
		if (parse_i64(slash + 1, &n) != 0)
			return fs_seterr(err, errlen, "%s: not a feature name (N or SAE/N)", name);
		id = index_feature_id(ix, d->id, n);
		if (id < 0)
			return fs_seterr(err, errlen, "%s: no such feature", name);
		return id;
	}
	if (parse_i64(name, &n) != 0)
		return fs_seterr(err, errlen, "%s: not a feature name (N or SAE/N)", name);
	if (ix->n_saes > 0) {
		id = index_feature_id(ix, ix->saes[0].id, n);
		if (id >= 0)
			return id;
	}
	sqlite3_stmt *s = rstmt(ix, R_IDX_ANY);
	if (s) {
		sqlite3_bind_int64(s, 1, n);
		id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
		sqlite3_reset(s);
		if (id >= 0)
			return id;
	}
	return fs_seterr(err, errlen, "%s: no such feature", name);
}

static double col_real_or_nan(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Fill a feature from a row laid out as R_FEATURE's columns. */
static void feature_from_row(sqlite3_stmt *s, fs_feature *f)
{
	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(s, 0);
	f->sae = sqlite3_column_int(s, 1);
	f->idx = sqlite3_column_int64(s, 2);
	f->label = col_strdup(s, 3);
	f->label_source = col_strdup(s, 4);
	f->density = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 5);
	f->max_act = col_real_or_nan(s, 6);
	f->mean_act = col_real_or_nan(s, 7);
	f->act_mass = sqlite3_column_double(s, 8);
	f->n_examples = sqlite3_column_int64(s, 9);
	f->cluster = sqlite3_column_int64(s, 10);
	f->map_x = col_real_or_nan(s, 11);
	f->map_y = col_real_or_nan(s, 12);
	if (sqlite3_column_bytes(s, 13) == 8 + 4 * FS_HIST_BINS) {
		const uint8_t *b = sqlite3_column_blob(s, 13);
		memcpy(&f->hist_lo, b, 4);
		memcpy(&f->hist_hi, b + 4, 4);
		memcpy(f->hist, b + 8, 4 * FS_HIST_BINS);
	}
}

int index_feature(fs_index *ix, int64_t fid, fs_feature *f)
{
	sqlite3_stmt *s = rstmt(ix, R_FEATURE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		feature_from_row(s, f);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

void feature_free(fs_feature *f)
{
	free(f->label);
	free(f->label_source);
	f->label = f->label_source = NULL;
}

const char *index_feature_name(fs_index *ix, int64_t fid, char *out, size_t outlen)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0) {
		snprintf(out, outlen, "#%lld", (long long)fid);
		return out;
	}
	const fs_sae *d = index_sae_by_id(ix, f.sae);
	if (ix->n_saes <= 1 || !d)
		snprintf(out, outlen, "%lld", (long long)f.idx);
	else
		snprintf(out, outlen, "%s/%lld", d->name, (long long)f.idx);
	feature_free(&f);
	return out;
}

static const char *const sort_cols[5] = {"idx", "label COLLATE NOCASE", "density", "max_act", "cluster"};

static const char feature_cols[] =
	"id, sae, idx, label, label_source, density, max_act, mean_act, act_mass,"
	" n_examples, cluster, map_x, map_y, hist";

static const char filter_sql[] =
	"(label LIKE '%' || ?3 || '%' ESCAPE '\\' OR CAST(idx AS TEXT) = ?3)";

/* Bind the list filter as parameter 3, with LIKE wildcards escaped so it
 * matches as a plain substring. */
static void bind_filter(sqlite3_stmt *s, const char *filter)
{
	fs_buf b = {0};
	for (const char *p = filter; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	sqlite3_bind_text(s, 3, b.p, (int)b.len, SQLITE_TRANSIENT);
	buf_free(&b);
}

int index_feature_page(fs_index *ix, int sae, fs_sort sort, int desc,
		       const char *filter, int64_t offset, int limit, fs_feature *out)
{
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = filter && *filter;
	desc = !!desc;
	sqlite3_stmt **sp = &ix->page[all][sort][desc][filt];
	if (!*sp) {
		const char *dir = desc ? "DESC" : "ASC";
		char *sql = xasprintf("SELECT %s FROM features WHERE %s %s %s"
				      " ORDER BY %s %s, sae %s, idx %s LIMIT ?4 OFFSET ?5",
				      feature_cols, all ? "(?1 = 0)" : "sae = ?1",
				      filt ? "AND" : "", filt ? filter_sql : "",
				      sort_cols[sort], dir, dir, dir);
		int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return -1;
	}
	sqlite3_stmt *s = *sp;
	sqlite3_reset(s);
	sqlite3_bind_int(s, 1, sae);
	if (filt)
		bind_filter(s, filter);
	sqlite3_bind_int(s, 4, limit);
	sqlite3_bind_int64(s, 5, offset);
	int n = 0;
	while (n < limit && sqlite3_step(s) == SQLITE_ROW)
		feature_from_row(s, &out[n++]);
	sqlite3_reset(s);
	return n;
}

int64_t index_feature_count(fs_index *ix, int sae, const char *filter)
{
	int all = sae == 0, filt = filter && *filter;
	if (!filt) {
		if (all)
			return index_n_features(ix);
		const fs_sae *d = index_sae_by_id(ix, sae);
		if (!d)
			return 0;
	}
	sqlite3_stmt **sp = &ix->count[all][filt];
	if (!*sp) {
		char *sql = xasprintf("SELECT count(*) FROM features WHERE %s %s %s",
				      all ? "(?1 = 0)" : "sae = ?1", filt ? "AND" : "",
				      filt ? filter_sql : "");
		int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return -1;
	}
	sqlite3_stmt *s = *sp;
	sqlite3_reset(s);
	sqlite3_bind_int(s, 1, sae);
	if (filt)
		bind_filter(s, filter);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

int index_examples(fs_index *ix, int64_t fid, fs_example **out)
{
	*out = NULL;
	sqlite3_stmt *s = rstmt(ix, R_EXAMPLES);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	int n = 0, cap = 0;
	fs_example *ex = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			ex = xrealloc(ex, sizeof *ex * (size_t)cap);
		}
		fs_example *e = &ex[n];
		e->ctx = sqlite3_column_int64(s, 0);
		e->grp = sqlite3_column_int(s, 1);
		e->rank = sqlite3_column_int(s, 2);
		e->max_act = (float)sqlite3_column_double(s, 3);
		e->max_pos = sqlite3_column_int(s, 4);
		e->ntok = sqlite3_column_int(s, 6);
		if (e->ntok < 0 || e->ntok > 1 << 24)
			e->ntok = 0;
		e->acts = xcalloc((size_t)e->ntok + 1, sizeof(float));
		if (acts_decode(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5),
				e->acts, e->ntok) != 0)
			memset(e->acts, 0, sizeof(float) * (size_t)e->ntok);
		if (e->max_pos < 0 || e->max_pos >= e->ntok)
			e->max_pos = 0;
		n++;
	}
	sqlite3_reset(s);
	*out = ex;
	return n;
}

void examples_free(fs_example *ex, int n)
{
	for (int i = 0; i < n; i++)
		free(ex[i].acts);
	free(ex);
}

int index_example_acts(fs_index *ix, int64_t fid, int64_t ctx, float *acts, int ntok)
{
	sqlite3_stmt *s = rstmt(ix, R_EX_ACTS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int64(s, 2, ctx);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = acts_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), acts, ntok);
	sqlite3_reset(s);
	return rc;
}

int index_intervals(fs_index *ix, int64_t fid, fs_interval **out)
{
	*out = NULL;
	sqlite3_stmt *s = rstmt(ix, R_INTERVALS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	int n = 0;
	fs_interval *iv = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		iv = xrealloc(iv, sizeof *iv * (size_t)(n + 1));
		iv[n].grp = sqlite3_column_int(s, 0);
		iv[n].lo = (float)sqlite3_column_double(s, 1);
		iv[n].hi = (float)sqlite3_column_double(s, 2);
		iv[n].frac = (float)sqlite3_column_double(s, 3);
		n++;
	}
	sqlite3_reset(s);
	*out = iv;
	return n;
}

/* Offsets blob of a chunk, validated. */
static int chunk_offsets(const void *blob, int bytes, int n, size_t textlen, uint32_t **off)
{
	if (n < 0 || (int64_t)bytes != ((int64_t)n + 1) * 4)
		return -1;
	uint32_t *o = xmalloc((size_t)bytes);
	memcpy(o, blob, (size_t)bytes);
	for (int i = 0; i < n; i++)
		if (o[i] >= o[i + 1] || o[i + 1] > textlen) {
			free(o);
			return -1;
		}
	*off = o;
	return 0;
}

/* Record bounds o[0], o[1] from an aux blob of total bytes holding n
 * records lie after its offset table and inside the blob. */
static int aux_span_ok(const uint32_t o[2], uint64_t total, int n)
{
	return o[0] <= o[1] && o[1] <= total && o[0] >= ((uint64_t)n + 1) * 4;
}

/* Record i of the n contexts of chunk `chunk` (chunks.aux) into out,
 * through *b (opened on the first call, moved to the chunk after). */
static int aux_read(sqlite3 *db, sqlite3_blob **b, int64_t chunk, int i, int n, fs_buf *out)
{
	int rc = *b ? sqlite3_blob_reopen(*b, chunk)
		    : sqlite3_blob_open(db, "main", "chunks", "aux", chunk, 0, b);
	if (rc != SQLITE_OK || i < 0 || i >= n)
		return -1;
	int64_t total = sqlite3_blob_bytes(*b);
	uint32_t o[2];
	if (((int64_t)i + 2) * 4 > total || sqlite3_blob_read(*b, o, 8, i * 4) != SQLITE_OK)
		return -1;
	if (!aux_span_ok(o, (uint64_t)total, n))
		return -1;
	out->len = 0;
	buf_reserve(out, o[1] - o[0] + 1);
	if (o[1] > o[0] && sqlite3_blob_read(*b, out->p, (int)(o[1] - o[0]), (int)o[0]) != SQLITE_OK)
		return -1;
	out->len = o[1] - o[0];
	return 0;
}

/* A context's record: ntok, its boundaries blob and its examples blob. */
typedef struct {
	int ntok;             /* tokens */
	const uint8_t *toks;  /* their byte lengths, varints (toks_decode) */
	size_t ntoks;         /* bytes of toks */
	const uint8_t *ex;    /* the examples on the context (ex_next) */
	size_t nex;           /* bytes of ex */
} aux_rec;

static int aux_split(const fs_buf *b, aux_rec *r)
{
	const uint8_t *p = (const uint8_t *)b->p;
	size_t n = b->len, at = 0, k;
	uint64_t ntok, nt;
	if (!(k = varint_get(p, n, &ntok)) || ntok > (1u << 24))
		return -1;
	at += k;
	if (!(k = varint_get(p + at, n - at, &nt)) || nt > n - at - k)
		return -1;
	at += k;
	r->ntok = (int)ntok;
	r->toks = p + at;
	r->ntoks = (size_t)nt;
	r->ex = p + at + nt;
	r->nex = n - at - (size_t)nt;
	return 0;
}

int index_context(fs_index *ix, int64_t ctx, fs_context *c)
{
	memset(c, 0, sizeof *c);
	sqlite3_stmt *s = rstmt(ix, R_CONTEXT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, ctx);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return -1;
	}
	int64_t chunk = sqlite3_column_int64(s, 0);
	int ntok = sqlite3_column_int(s, 1), n = sqlite3_column_int(s, 2);
	c->source = col_strdup(s, 3);
	int64_t first = sqlite3_column_int64(s, 4);
	sqlite3_reset(s);
	/* first comes from the file: no overflow on hostile values */
	int64_t i = first <= ctx && (first >= 0 || ctx <= INT64_MAX + first) ? ctx - first : -1;

	/* The context's bytes: read just its slice of the chunk. */
	int rc = -1;
	sqlite3_stmt *o = rstmt(ix, R_CONTEXT_TEXT);
	sqlite3_blob *blob = NULL;
	if (o) {
		sqlite3_bind_int64(o, 1, chunk);
		if (sqlite3_step(o) == SQLITE_ROW) {
			int nb = sqlite3_column_bytes(o, 0);
			const uint32_t *off = sqlite3_column_blob(o, 0);
			if (off && i >= 0 && i < nb / 4 && (i + 2) * 4 <= nb && off[i] < off[i + 1] &&
			    sqlite3_blob_open(ix->db, "main", "chunks", "text", chunk, 0, &blob) == SQLITE_OK) {
				uint32_t a = off[i], b = off[i + 1] - 1;
				int total = sqlite3_blob_bytes(blob);
				if (a <= b && b <= (uint32_t)total) {
					c->len = (int)(b - a);
					c->text = xmalloc((size_t)c->len + 1);
					if (sqlite3_blob_read(blob, c->text, c->len, (int)a) == SQLITE_OK) {
						c->text[c->len] = 0;
						rc = 0;
					}
				}
				sqlite3_blob_close(blob);
			}
		}
		sqlite3_reset(o);
	}
	/* Its token boundaries, from its record in the chunk's aux. */
	fs_buf rec = {0};
	aux_rec ar;
	blob = NULL;
	if (rc == 0 && i < n && aux_read(ix->db, &blob, chunk, (int)i, n, &rec) == 0 &&
	    aux_split(&rec, &ar) == 0 && ar.ntok == ntok) {
		c->ntok = ntok;
		c->tok_off = xmalloc(sizeof(uint32_t) * ((size_t)ntok + 1));
		if (toks_decode(ar.toks, ar.ntoks, c->tok_off, ntok, (uint32_t)c->len) != 0)
			rc = -1;
	} else {
		rc = -1;
	}
	sqlite3_blob_close(blob);
	buf_free(&rec);
	c->id = ctx;
	if (rc != 0) {
		context_free(c);
		return -1;
	}
	return 0;
}

void context_free(fs_context *c)
{
	free(c->text);
	free(c->tok_off);
	free(c->source);
	memset(c, 0, sizeof *c);
}

int index_logits(fs_index *ix, int64_t fid, int sign, fs_logit **out)
{
	*out = NULL;
	sqlite3_stmt *s = rstmt(ix, R_LOGITS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int(s, 2, sign > 0 ? 1 : -1);
	int n = 0;
	fs_logit *l = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		l = xrealloc(l, sizeof *l * (size_t)(n + 1));
		l[n].token = col_strdup(s, 0);
		l[n].value = (float)sqlite3_column_double(s, 1);
		n++;
	}
	sqlite3_reset(s);
	*out = l;
	return n;
}

void logits_free(fs_logit *l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i].token);
	free(l);
}

int index_neighbours(fs_index *ix, int64_t fid, int other_sae, int k, fs_neighbour **out)
{
	*out = NULL;
	if (other_sae == 0) {
		fs_feature f;
		if (index_feature(ix, fid, &f) != 0)
			return -1;
		other_sae = f.sae;
		feature_free(&f);
	}
	sqlite3_stmt *s = rstmt(ix, R_NEIGHBOURS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int(s, 2, other_sae);
	sqlite3_bind_int(s, 3, k);
	int n = 0;
	fs_neighbour *nb = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		nb = xrealloc(nb, sizeof *nb * (size_t)(n + 1));
		nb[n].fid = sqlite3_column_int64(s, 0);
		nb[n].cosine = (float)sqlite3_column_double(s, 1);
		n++;
	}
	sqlite3_reset(s);
	*out = nb;
	return n;
}

static void cluster_from_row(sqlite3_stmt *s, fs_cluster *c)
{
	c->id = sqlite3_column_int64(s, 0);
	c->parent = sqlite3_column_int64(s, 1);
	c->sae = sqlite3_column_int(s, 2);
	c->depth = sqlite3_column_int(s, 3);
	c->size = sqlite3_column_int64(s, 4);
	c->label = col_strdup(s, 5);
	c->n_children = sqlite3_column_int64(s, 6);
}

int index_cluster_children(fs_index *ix, int sae, int64_t parent, fs_cluster **out)
{
	*out = NULL;
	if (parent > 0) {
		fs_cluster p;
		if (index_cluster(ix, parent, &p) != 0)
			return -1;
		sae = p.sae;
		free(p.label);
	}
	sqlite3_stmt *s = rstmt(ix, R_CL_CHILDREN);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	sqlite3_bind_int64(s, 2, parent);
	int n = 0;
	fs_cluster *c = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		c = xrealloc(c, sizeof *c * (size_t)(n + 1));
		cluster_from_row(s, &c[n++]);
	}
	sqlite3_reset(s);
	*out = c;
	return n;
}

int index_cluster(fs_index *ix, int64_t node, fs_cluster *c)
{
	sqlite3_stmt *s = rstmt(ix, R_CLUSTER);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, node);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		cluster_from_row(s, c);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

void clusters_free(fs_cluster *c, int n)
{
	for (int i = 0; i < n; i++)
		free(c[i].label);
	free(c);
}

/* Collect the first integer column of a statement's rows. */
static int collect_ids(sqlite3_stmt *s, int64_t **out)
{
	int n = 0, cap = 0;
	int64_t *v = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, sizeof *v * (size_t)cap);
		}
		v[n++] = sqlite3_column_int64(s, 0);
	}
	int rc = sqlite3_errcode(sqlite3_db_handle(s));
	sqlite3_reset(s);
	*out = v;
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(v);
		*out = NULL;
		return -1;
	}
	return n;
}

int index_cluster_features(fs_index *ix, int64_t node, int64_t **fids)
{
	*fids = NULL;
	sqlite3_stmt *s = rstmt(ix, R_CL_FEATURES);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, node);
	return collect_ids(s, fids);
}

int index_search_contexts(fs_index *ix, const char *query, int limit, int64_t **ctx)
{
	*ctx = NULL;
	sqlite3_stmt *s = rstmt(ix, R_SEARCH_CTX);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, limit);
	return collect_ids(s, ctx);
}

int index_search_labels(fs_index *ix, const char *query, int limit, int64_t **fids)
{
	*fids = NULL;
	sqlite3_stmt *s = rstmt(ix, R_SEARCH_LABEL);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, limit);
	return collect_ids(s, fids);
}

static int ctx_feature_cmp(const void *x, const void *y)
{
	const fs_ctx_feature *a = x, *b = y;
	if (a->max_act != b->max_act)
		return a->max_act > b->max_act ? -1 : 1;
	return (a->fid > b->fid) - (a->fid < b->fid);
}

int index_context_features(fs_index *ix, int64_t ctx, int limit, fs_ctx_feature **out)
{
	*out = NULL;
	sqlite3_stmt *s = rstmt(ix, R_CTX_FEATURES);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, ctx);
	int n = 0, rc = 0;
	fs_ctx_feature *v = NULL;
	int64_t chunk = 0, first = 0;
	int nc = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		chunk = sqlite3_column_int64(s, 0);
		nc = sqlite3_column_int(s, 1);
		first = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	fs_buf rec = {0};
	aux_rec ar = {0};
	sqlite3_blob *b = NULL;
	if (chunk && first >= 0 && first <= ctx && ctx - first < nc) {
		if (aux_read(ix->db, &b, chunk, (int)(ctx - first), nc, &rec) != 0 || aux_split(&rec, &ar) != 0)
			rc = -1;
		size_t at = 0;
		int64_t fid = 0;
		fs_ex_entry e;
		/* entries come in feature order: one per feature, its best */
		while (rc == 0 && (rc = ex_next(ar.ex, ar.nex, &at, &fid, &e)) == 1) {
			rc = 0;
			if (n > 0 && v[n - 1].fid == e.fid) {
				if (e.max_act > v[n - 1].max_act) {
					v[n - 1].max_act = e.max_act;
					v[n - 1].max_pos = e.max_pos;
				}
				continue;
			}
			v = xrealloc(v, sizeof *v * (size_t)(n + 1));
			v[n].fid = e.fid;
			v[n].max_act = e.max_act;
			v[n].max_pos = e.max_pos;
			n++;
		}
	}
	sqlite3_blob_close(b);
	buf_free(&rec);
	if (rc < 0) {
		free(v);
		return -1;
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, ctx_feature_cmp);
	if (limit >= 0 && n > limit)
		n = limit;
	*out = v;
	return n;
}

int index_chunk(fs_index *ix, int64_t id, fs_chunk *ch)
{
	memset(ch, 0, sizeof *ch);
	sqlite3_stmt *s = rstmt(ix, R_CHUNK);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		ch->id = id;
		ch->first_ctx = sqlite3_column_int64(s, 0);
		ch->n = sqlite3_column_int(s, 1);
		ch->len = (size_t)sqlite3_column_bytes(s, 3);
		char *t = xmalloc(ch->len + 1);
		if (ch->len) /* an empty text has no pointer to copy from */
			memcpy(t, sqlite3_column_blob(s, 3), ch->len);
		t[ch->len] = 0;
		ch->text = t;
		rc = chunk_offsets(sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2), ch->n,
				   ch->len, &ch->off);
	}
	sqlite3_reset(s);
	if (rc != 0)
		chunk_free(ch);
	return rc;
}

void chunk_free(fs_chunk *ch)
{
	free((char *)ch->text);
	free(ch->off);
	memset(ch, 0, sizeof *ch);
}

/* ---- import ---- */

int writer_set_sae_size(fs_writer *w, int sae, int64_t n_features, int d_model)
{
	if (w->failed)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db,
			       "UPDATE saes SET n_features = ?1,"
			       " d_model = CASE WHEN ?2 > 0 THEN ?2 ELSE d_model END WHERE id = ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return wfail(w, "set dictionary size");
	sqlite3_bind_int64(st, 1, n_features);
	sqlite3_bind_int(st, 2, d_model);
	sqlite3_bind_int(st, 3, sae);
	int rc = wstep(w, st, "set dictionary size");
	sqlite3_finalize(st);
	return rc;
}

/* ---- search ---- */
/* Bulk and per-context queries of the concept probe (grep.c). */

int64_t index_text_bytes(fs_index *ix)
{
	/* Written by the builder; older indexes sum the blobs (length() of a
	 * blob reads it, so this is a scan of its own). */
	int64_t n = meta_i64(ix, "n_text_bytes");
	if (n > 0)
		return n;
	sqlite3_stmt *s = NULL;
	n = -1;
	if (sqlite3_prepare_v2(ix->db, "SELECT coalesce(sum(length(text)), 0) FROM chunks",
			       -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int index_feature_masses(fs_index *ix, int64_t *nfid, double **mass, int **sae)
{
	sqlite3_stmt *s = NULL;
	int64_t max = -1;
	*mass = NULL;
	*sae = NULL;
	*nfid = 0;
	if (sqlite3_prepare_v2(ix->db, "SELECT coalesce(max(id), 0) FROM features", -1, &s,
			       NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (max < 0 || max > ((int64_t)1 << 32))
		return -1;
	double *m = xcalloc((size_t)max + 1, sizeof *m);
	int *d = xcalloc((size_t)max + 1, sizeof *d);
	int rc = -1;
	if (sqlite3_prepare_v2(ix->db, "SELECT id, sae, act_mass FROM features", -1, &s,
			       NULL) == SQLITE_OK) {
		int r;
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);
			if (id < 0 || id > max)
				continue;
			d[id] = sqlite3_column_int(s, 1);
			m[id] = sqlite3_column_double(s, 2);
		}
		rc = r == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(s);
	if (rc != 0) {
		free(m);
		free(d);
		return -1;
	}
	*mass = m;
	*sae = d;
	*nfid = max + 1;
	return 0;
}

struct index_ctx_reader {
	fs_index *ix;               /* the connection */
	sqlite3_stmt *where;        /* chunk, its first context and size, of a context */
	sqlite3_stmt *chunk;        /* a chunk's first context, count and offsets */
	sqlite3_blob *auxb;         /* open on chunks.aux, moved with reopen */
	fs_chunk ch;                /* the last chunk read (offsets reused; text
	                               points into the current row of chunk) */
	int offcap;                 /* entries allocated in ch.off */
	int64_t cur;                /* context whose record is below (0: none) */
	fs_buf rec;                 /* its record from chunks.aux */
	aux_rec ar;                 /* the record split */
	float *acts;                /* decoded activations */
	int cap;                    /* floats allocated in acts */
	/* Direct reads (see chunk_direct): the file mapped by us. */
	const uint8_t *map;         /* the whole file, or NULL: SQLite reads only */
	size_t maplen;              /* its bytes */
	uint32_t pgsz, usable;      /* page size; usable bytes per page */
	uint32_t root;              /* root page of the chunks table */
	const uint8_t *aux;         /* the current chunk's aux inside map (direct) */
	size_t naux;                /* its bytes */
	int64_t n_direct;           /* chunks read straight from the map */
	fs_buf copy;                /* a chunk's text read through SQLite */
};

/* Zero bytes after a chunk text copied out of SQLite. */
#define CHUNK_PAD 64

/* ---- direct chunk reads ----
 * A scan reads every chunk once. Through SQLite each chunk's text is
 * copied out of the page; instead the reader maps the file and finds the
 * row in the chunks table's b-tree itself (SQLite's file format is stable
 * and documented: https://sqlite.org/fileformat2.html), so the scan reads
 * the page cache in place. Used only when everything checks out: a
 * rollback-journal (not WAL) file, a table leaf reached from the chunks
 * root with the wanted rowid, a row held wholly on its page (the builder
 * makes chunks that fit) with the column types of the schema. Anything
 * else, and every chunk when FEATSCOPE_SQLITE_READS is set, goes through
 * SQLite. */

/* SQLite's varint: big-endian 7-bit groups, the ninth byte whole. */
static size_t sq_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 9; i++) {
		if (p + i >= end)
			return 0;
		if (i == 8) {
			*v = (x << 8) | p[i];
			return 9;
		}
		x = (x << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return (size_t)i + 1;
		}
	}
	return 0;
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Page pgno (1-based) of the mapping, and where its b-tree header starts. */
static const uint8_t *dpage(const index_ctx_reader *r, uint32_t pgno, size_t *hdr)
{
	if (pgno == 0 || (uint64_t)pgno * r->pgsz > r->maplen)
		return NULL;
	*hdr = pgno == 1 ? 100 : 0;
	return r->map + (size_t)(pgno - 1) * r->pgsz;
}

/* The local payload of chunk row id: NULL when it is not found or not
 * wholly on its page. */
static const uint8_t *dfind(const index_ctx_reader *r, int64_t id, size_t *plen)
{
	uint32_t pgno = r->root;
	for (int depth = 0; depth < 32; depth++) {
		size_t h;
		const uint8_t *pg = dpage(r, pgno, &h);
		if (!pg)
			return NULL;
		const uint8_t *end = pg + r->usable;
		uint8_t type = pg[h];
		uint32_t ncell = be16(pg + h + 3);
		size_t cpa = h + (type == 0x05 ? 12 : 8); /* cell pointer array */
		if ((type != 0x05 && type != 0x0D) || cpa + 2 * (size_t)ncell > r->usable)
			return NULL;
		/* the first cell whose rowid is >= id */
		uint32_t lo = 0, hi = ncell;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			uint32_t off = be16(pg + cpa + 2 * (size_t)mid);
			const uint8_t *c = pg + off;
			uint64_t p = 0, key;
			size_t k = 0;
			if (off >= r->usable)
				return NULL;
			if (type == 0x05) {
				if (c + 4 > end || !sq_varint(c + 4, end, &key))
					return NULL;
			} else if (!(k = sq_varint(c, end, &p)) || !sq_varint(c + k, end, &key)) {
				return NULL;
			}
			if ((int64_t)key < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* the cell the search ended on (perhaps never probed) */
		uint32_t co = lo < ncell ? be16(pg + cpa + 2 * (size_t)lo) : 0;
		if (lo < ncell && co + 4 > r->usable)
			return NULL;
		if (type == 0x05) {
			pgno = lo < ncell ? be32(pg + co) : be32(pg + h + 8);
			continue;
		}
		if (lo >= ncell)
			return NULL;
		const uint8_t *c = pg + co;
		uint64_t p, key;
		size_t k1 = sq_varint(c, end, &p), k2 = k1 ? sq_varint(c + k1, end, &key) : 0;
		if (!k2 || (int64_t)key != id || p > r->usable - 35 || c + k1 + k2 + p > end)
			return NULL; /* absent, or spilled to overflow pages */
		*plen = (size_t)p;
		return c + k1 + k2;
	}
	return NULL;
}

/* Chunk id straight from the mapping into ch (offsets copied, text
 * pointing into the map) and its aux into r->aux. 0, or -1 to fall back. */
static int chunk_direct(index_ctx_reader *r, int64_t id, fs_chunk *ch)
{
	size_t plen;
	const uint8_t *p = dfind(r, id, &plen);
	if (!p)
		return -1;
	const uint8_t *end = p + plen;
	uint64_t hsz, t[6];
	size_t k = sq_varint(p, end, &hsz);
	if (!k || hsz > plen)
		return -1;
	const uint8_t *q = p + k, *hend = p + hsz;
	for (int i = 0; i < 6; i++) {
		size_t n = q < hend ? sq_varint(q, hend, &t[i]) : 0;
		if (!n)
			return -1;
		q += n;
	}
	/* id is the rowid alias (NULL); first_ctx, n integers (serial types
	 * 1-6: big-endian of 1, 2, 3, 4, 6 or 8 bytes; 8 and 9: the constants
	 * 0 and 1); then three blobs (even types from 12) */
	static const int isz[] = {0, 1, 2, 3, 4, 6, 8, 0, 0, 0};
	if (t[0] != 0 || t[1] < 1 || t[1] > 9 || t[1] == 7 || t[2] < 1 || t[2] > 9 || t[2] == 7 ||
	    t[3] < 12 || t[3] % 2 || t[4] < 12 || t[4] % 2 || t[5] < 12 || t[5] % 2)
		return -1;
	const uint8_t *v = hend;
	int64_t iv[2];
	for (int i = 0; i < 2; i++) {
		uint64_t ty = t[i + 1];
		int n = isz[ty];
		if (v + n > end)
			return -1;
		if (ty >= 8) {
			iv[i] = (int64_t)ty - 8;
			continue;
		}
		uint64_t x = (v[0] & 0x80) ? ~(uint64_t)0 : 0; /* sign-extend */
		for (int b = 0; b < n; b++)
			x = (x << 8) | v[b];
		iv[i] = (int64_t)x;
		v += n;
	}
	size_t noffs = (size_t)(t[3] - 12) / 2, ntext = (size_t)(t[4] - 12) / 2,
	       naux = (size_t)(t[5] - 12) / 2;
	if (noffs > (size_t)(end - v) || ntext > (size_t)(end - v) - noffs ||
	    naux > (size_t)(end - v) - noffs - ntext)
		return -1;
	int64_t n = iv[1];
	if (n < 0 || (int64_t)noffs != (n + 1) * 4)
		return -1;
	if (n + 1 > r->offcap) {
		r->offcap = (int)n + 1;
		ch->off = xrealloc(ch->off, sizeof *ch->off * (size_t)r->offcap);
	}
	memcpy(ch->off, v, noffs);
	ch->id = id;
	ch->first_ctx = iv[0];
	ch->n = (int)n;
	ch->text = (const char *)(v + noffs);
	ch->len = ntext;
	r->aux = v + noffs + ntext;
	r->naux = naux;
	return 0;
}

/* Map the file when direct reads can serve this index (see above). */
static void direct_open(index_ctx_reader *r)
{
	const char *no = getenv("FEATSCOPE_SQLITE_READS");
	if (no && *no && strcmp(no, "0") != 0)
		return;
	sqlite3_stmt *s = NULL;
	int64_t root = 0;
	if (sqlite3_prepare_v2(r->ix->db, "SELECT rootpage FROM sqlite_schema"
			       " WHERE type = 'table' AND name = 'chunks'", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		root = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	int fd = open(r->ix->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	uint8_t h[100];
	if (root > 0 && root < UINT32_MAX && fstat(fd, &st) == 0 && st.st_size >= 100 &&
	    (uint64_t)st.st_size <= SIZE_MAX && pread(fd, h, 100, 0) == 100 &&
	    memcmp(h, "SQLite format 3", 16) == 0 && h[18] == 1 && h[19] == 1) {
		uint32_t ps = be16(h + 16);
		r->pgsz = ps == 1 ? 65536 : ps;
		r->usable = r->pgsz - h[20];
		if (r->pgsz >= 512 && (r->pgsz & (r->pgsz - 1)) == 0 && r->usable >= 480) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
			if (m != MAP_FAILED) {
				r->map = m;
				r->maplen = (size_t)st.st_size;
				r->root = (uint32_t)root;
			}
		}
	}
	close(fd);
}


index_ctx_reader *index_ctx_reader_open(fs_index *ix)
{
	index_ctx_reader *r = xcalloc(1, sizeof *r);
	r->ix = ix;
	/* Scans touch the whole file: reading through a mapping saves a
	 * system call per page (SQLite caps the size at its compile-time
	 * maximum). */
	sqlite3_exec(ix->db, "PRAGMA mmap_size = 1099511627776", NULL, NULL, NULL);
	if (sqlite3_prepare_v3(ix->db, "SELECT c.chunk, k.first_ctx, k.n FROM contexts c"
			       " JOIN chunks k ON k.id = c.chunk WHERE c.id = ?", -1,
			       SQLITE_PREPARE_PERSISTENT, &r->where, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(ix->db, "SELECT first_ctx, n, offs, text FROM chunks WHERE id = ?", -1,
			       SQLITE_PREPARE_PERSISTENT, &r->chunk, NULL) != SQLITE_OK) {
		index_ctx_reader_close(r);
		return NULL;
	}
	direct_open(r);
	return r;
}

void index_ctx_reader_close(index_ctx_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->maplen);
	sqlite3_finalize(r->where);
	sqlite3_finalize(r->chunk);
	sqlite3_blob_close(r->auxb);
	free(r->ch.off);
	buf_free(&r->copy);
	buf_free(&r->rec);
	free(r->acts);
	free(r);
}

/* Context ctx's record (boundaries and examples) from its chunk's aux:
 * the chunk last read when it holds ctx (the scan's case: the page is at
 * hand), else the one the contexts table names. */
static int ctx_load(index_ctx_reader *r, int64_t ctx)
{
	int64_t chunk = 0, first = 0;
	int n = 0;
	r->cur = 0;
	if (r->ch.text && r->ch.first_ctx <= ctx && ctx - r->ch.first_ctx < r->ch.n) {
		chunk = r->ch.id;
		first = r->ch.first_ctx;
		n = r->ch.n;
	} else {
		sqlite3_stmt *s = r->where;
		sqlite3_bind_int64(s, 1, ctx);
		if (sqlite3_step(s) == SQLITE_ROW) {
			chunk = sqlite3_column_int64(s, 0);
			first = sqlite3_column_int64(s, 1);
			n = sqlite3_column_int(s, 2);
		}
		sqlite3_reset(s);
		if (!chunk || first < 0 || first > ctx || ctx - first >= n)
			return -1;
	}
	int i = (int)(ctx - first);
	if (chunk == r->ch.id && r->aux) {
		/* the chunk came straight from the mapping: so does its aux */
		uint32_t o[2];
		if (((uint64_t)i + 2) * 4 > r->naux)
			return -1;
		memcpy(o, r->aux + (size_t)i * 4, 8);
		if (!aux_span_ok(o, r->naux, n))
			return -1;
		r->rec.len = 0;
		buf_add(&r->rec, r->aux + o[0], o[1] - o[0]);
	} else if (aux_read(r->ix->db, &r->auxb, chunk, i, n, &r->rec) != 0) {
		return -1;
	}
	if (aux_split(&r->rec, &r->ar) != 0)
		return -1;
	r->cur = ctx;
	return 0;
}

int index_ctx_reader_toks(index_ctx_reader *r, int64_t ctx, uint32_t textlen, uint32_t **off)
{
	*off = NULL;
	if (r->cur != ctx && ctx_load(r, ctx) < 0)
		return -1;
	uint32_t *o = xmalloc(sizeof *o * ((size_t)r->ar.ntok + 1));
	if (toks_decode(r->ar.toks, r->ar.ntoks, o, r->ar.ntok, textlen) != 0) {
		free(o);
		return -1;
	}
	*off = o;
	return r->ar.ntok;
}

int index_ctx_reader_examples(index_ctx_reader *r, int64_t ctx, int ntok,
			      index_example_fn fn, void *ud)
{
	if (ntok < 0 || (r->cur != ctx && ctx_load(r, ctx) < 0))
		return -1;
	if (ntok + 1 > r->cap) {
		r->cap = ntok + 64;
		r->acts = xrealloc(r->acts, sizeof *r->acts * (size_t)r->cap);
	}
	size_t at = 0;
	int64_t fid = 0;
	fs_ex_entry e;
	int n = 0, k;
	while ((k = ex_next(r->ar.ex, r->ar.nex, &at, &fid, &e)) == 1) {
		if (acts_decode(e.acts, e.nacts, r->acts, ntok) != 0)
			continue; /* damaged blob: skip the example */
		fn(ud, e.fid, r->acts, ntok);
		n++;
	}
	return k == 0 ? n : -1;
}

int64_t index_ctx_reader_direct(const index_ctx_reader *r)
{
	return r->n_direct;
}

/* A chunk's offsets agree with its text: every context non-empty with
 * its NUL, the last one ending the text; its context ids are in range. */
static int chunk_ok(const fs_chunk *ch)
{
	/* context ids first_ctx + i must not overflow (a hostile file) */
	if (ch->first_ctx < 0 || ch->first_ctx > INT64_MAX - ch->n)
		return 0;
	if (!ch->text || ch->len == 0 || ch->text[ch->len - 1] != 0 || ch->off[0] != 0 ||
	    ch->off[ch->n] != ch->len)
		return 0;
	for (int i = 0; i < ch->n; i++)
		if (ch->off[i] >= ch->off[i + 1])
			return 0;
	return 1;
}

const fs_chunk *index_ctx_reader_chunk(index_ctx_reader *r, int64_t id)
{
	fs_chunk *ch = &r->ch;
	r->cur = 0;
	if (r->map && chunk_direct(r, id, ch) == 0 && chunk_ok(ch)) {
		r->n_direct++;
		return ch;
	}
	/* Through SQLite, copied into a buffer of ours and zero-padded:
	 * PCRE2's JIT may load a little past the subject's end (never acting
	 * on it), which must be defined memory (in a mapped page the row's
	 * aux follows the text). */
	sqlite3_stmt *s = r->chunk;
	int ok = 0;
	ch->text = NULL;
	r->aux = NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int n = sqlite3_column_int(s, 1), nb = sqlite3_column_bytes(s, 2);
		const uint32_t *o = sqlite3_column_blob(s, 2);
		size_t len = (size_t)sqlite3_column_bytes(s, 3);
		const void *t = sqlite3_column_blob(s, 3);
		if (n >= 0 && (int64_t)nb == ((int64_t)n + 1) * 4 && o && t) {
			if (n + 1 > r->offcap) {
				r->offcap = n + 1;
				ch->off = xrealloc(ch->off, sizeof *ch->off * (size_t)r->offcap);
			}
			memcpy(ch->off, o, (size_t)nb);
			ch->id = id;
			ch->first_ctx = sqlite3_column_int64(s, 0);
			ch->n = n;
			r->copy.len = 0;
			buf_reserve(&r->copy, len + CHUNK_PAD);
			memcpy(r->copy.p, t, len);
			memset(r->copy.p + len, 0, CHUNK_PAD);
			ch->text = r->copy.p;
			ch->len = len;
			ok = chunk_ok(ch);
		}
	}
	sqlite3_reset(s);
	if (!ok)
		ch->text = NULL;
	return ok ? ch : NULL;
}

/* ---- tui ---- */

/* Keyset paging for the browser's feature list: the rows after (dir > 0)
 * or before (dir < 0) the row `at` in index_feature_page's order, or the
 * first / last rows when at is NULL, returned in list order. Unlike an
 * OFFSET, the cost does not grow with the distance from the start. */
int index_feature_page_at(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			  const fs_feature *at, int dir, int limit, fs_feature *out)
{
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = filter && *filter;
	int asc = !desc ^ (dir < 0);
	const char *d = asc ? "ASC" : "DESC";
	char *sql = xasprintf("SELECT %s FROM features WHERE %s %s %s %s%s%s%s"
			      " ORDER BY %s %s, sae %s, idx %s LIMIT ?4",
			      feature_cols, all ? "(?1 = 0)" : "sae = ?1", filt ? "AND" : "",
			      filt ? filter_sql : "", at ? "AND (" : "", at ? sort_cols[sort] : "",
			      at ? ", sae, idx) " : "", at ? (asc ? "> (?6, ?7, ?8)" : "< (?6, ?7, ?8)") : "",
			      sort_cols[sort], d, d, d);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	if (filt) {
		bind_filter(s, filter);
	}
	sqlite3_bind_int(s, 4, limit);
	if (at) {
		switch (sort) {
		case FS_SORT_ID: sqlite3_bind_int64(s, 6, at->idx); break;
		case FS_SORT_LABEL: sqlite3_bind_text(s, 6, at->label, -1, SQLITE_TRANSIENT); break;
		case FS_SORT_DENSITY: sqlite3_bind_double(s, 6, at->density); break;
		case FS_SORT_MAXACT: sqlite3_bind_double(s, 6, at->max_act); break;
		case FS_SORT_CLUSTER: sqlite3_bind_int64(s, 6, at->cluster); break;
		}
		sqlite3_bind_int(s, 7, at->sae);
		sqlite3_bind_int64(s, 8, at->idx);
	}
	int n = 0;
	while (n < limit && sqlite3_step(s) == SQLITE_ROW)
		feature_from_row(s, &out[n++]);
	sqlite3_finalize(s);
	for (int i = 0; dir < 0 && i < n / 2; i++) {
		fs_feature t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return n;
}

/* The position of feature fid in index_feature_page's order (the number
 * of rows before it), or -1 when it is not in that list (other dictionary,
 * filtered out, absent). */
/* Whether dictionary sae holds exactly the features 0..n_features-1
 * (counted once, then remembered). */
static int sae_dense(fs_index *ix, int sae)
{
	int i = 0;
	while (i < ix->n_saes && ix->saes[i].id != sae)
		i++;
	if (i == ix->n_saes)
		return 0;
	if (!ix->dense) {
		ix->dense = xmalloc((size_t)ix->n_saes);
		memset(ix->dense, -1, (size_t)ix->n_saes);
	}
	if (ix->dense[i] < 0) {
		sqlite3_stmt *s = NULL;
		ix->dense[i] = 0;
		if (sqlite3_prepare_v2(ix->db, "SELECT count(*), min(idx), max(idx) FROM features WHERE sae = ?",
				       -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int(s, 1, sae);
			int64_t n = ix->saes[i].n_features;
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == n &&
			    sqlite3_column_int64(s, 1) == 0 && sqlite3_column_int64(s, 2) == n - 1)
				ix->dense[i] = 1;
		}
		sqlite3_finalize(s);
	}
	return ix->dense[i];
}

int64_t index_feature_rank(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			   int64_t fid)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0)
		return -1;
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = filter && *filter;
	int64_t rank = -1;
	/* In index order of one dictionary whose features are 0..n-1, the
	 * position is the index itself: no count over the rows before it. */
	if (sort == FS_SORT_ID && !all && !filt && f.sae == sae && sae_dense(ix, sae)) {
		const fs_sae *d = index_sae_by_id(ix, sae);
		rank = desc ? d->n_features - 1 - f.idx : f.idx;
		feature_free(&f);
		return rank;
	}
	/* Rows strictly before on the sort column (an index-only count), plus
	 * the ties before it on (sae, idx). */
	const char *w = all ? "(?1 = 0)" : "sae = ?1", *a = filt ? "AND" : "", *fs = filt ? filter_sql : "";
	const char *op = desc ? ">" : "<";
	char *sql = xasprintf("SELECT (SELECT count(*) FROM features WHERE %s %s %s AND %s %s ?6)"
			      " + (SELECT count(*) FROM features WHERE %s %s %s AND %s = ?6 AND (sae, idx) %s (?7, ?8)),"
			      " (SELECT count(*) FROM features WHERE id = ?9 AND %s %s %s)",
			      w, a, fs, sort_cols[sort], op, w, a, fs, sort_cols[sort], op, w, a, fs);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, sae);
		if (filt) {
			bind_filter(s, filter);
		}
		switch (sort) {
		case FS_SORT_ID: sqlite3_bind_int64(s, 6, f.idx); break;
		case FS_SORT_LABEL: sqlite3_bind_text(s, 6, f.label, -1, SQLITE_TRANSIENT); break;
		case FS_SORT_DENSITY: sqlite3_bind_double(s, 6, f.density); break;
		case FS_SORT_MAXACT: sqlite3_bind_double(s, 6, f.max_act); break;
		case FS_SORT_CLUSTER: sqlite3_bind_int64(s, 6, f.cluster); break;
		}
		sqlite3_bind_int(s, 7, f.sae);
		sqlite3_bind_int64(s, 8, f.idx);
		sqlite3_bind_int64(s, 9, fid);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 1) == 1)
			rank = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	free(sql);
	feature_free(&f);
	return rank;
}

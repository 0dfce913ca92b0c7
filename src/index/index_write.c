/*
 * index_write.c: the write side, fs_writer. It builds a new index in a
 * temporary file beside the destination (journal off: the file is thrown
 * away on failure; 64 KiB pages), deduplicates contexts by xxh3 and stages
 * them in a temporary table; index_writer_finish packs them into chunks (texts,
 * token boundaries and examples, one page each), builds the secondary
 * indexes and full-text tables, writes the meta table and renames the file
 * into place (that end is index_finish.c). Temporary files are removed on
 * SIGINT, SIGTERM and SIGHUP.
 */
#include "config.h"
#include "index/index_write_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

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

const char *const index_writer_sql[W_COUNT] = {
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
	[W_DESC] = "INSERT OR REPLACE INTO descriptions(feature, text) VALUES(?,?)",
	[W_TABLE] = "INSERT OR REPLACE INTO feature_tables(feature, kind, rank, other, value, aux)"
		    " VALUES(?,?,?,?,?,?)",
	[W_EXPL] = "INSERT INTO explanations(feature, text, source, model, type, score, scores)"
		   " VALUES(?,?,?,?,?,?,?)",
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

void index_writer_track_tmp(char *p, int on)
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

/* Temporary files of builders to the same output that died (SIGKILL in
 * the write phase leaves them: no handler runs): their names carry the
 * builder's pid, "OUT.tmp-PID-XXXXXX"; one whose process is gone is
 * removed, and said. A live pid (or one reused) keeps its file. */
static void writer_sweep_stale(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) : xstrdup("./");
	const char *base = slash ? slash + 1 : path;
	size_t bl = strlen(base);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncmp(n, base, bl) != 0 || strncmp(n + bl, ".tmp-", 5) != 0)
			continue;
		char *end;
		long pid = strtol(n + bl + 5, &end, 10);
		if (end == n + bl + 5 || *end != '-' || strlen(end + 1) != 6 || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* alive, or not ours to judge */
		char *full = xasprintf("%s%s", dir, n);
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && unlink(full) == 0)
			fs_warn("removed %s, left by a build that did not finish (pid %ld is gone)", full, pid);
		free(full);
	}
	closedir(d);
	free(dir);
}

fs_writer *index_writer_create(const char *path, char *err, size_t errlen)
{
	writer_sweep_stale(path);
	fs_writer *w = xcalloc(1, sizeof *w);
	w->path = xstrdup(path);
	w->tmp = xasprintf("%s.tmp-%ld-XXXXXX", path, (long)getpid());
	int fd = mkstemp(w->tmp);
	if (fd < 0) {
		fs_seterr(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(w->tmp);
		free(w->path);
		free(w);
		return NULL;
	}
	close(fd);
	index_writer_track_tmp(w->tmp, 1);
	if (sqlite3_open_v2(w->tmp, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
				"PRAGMA page_size=65536; PRAGMA cache_size=-65536;"
				"PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=FILE;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, index_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, index_stage_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		wfail(w, "create");
		fs_seterr(err, errlen, "%s", w->err);
		index_writer_abort(w);
		errno = EIO; /* created but not written: a write error */
		return NULL;
	}
	return w;
}

const char *index_writer_errmsg(fs_writer *w)
{
	return w->err;
}

int index_writer_add_sae(fs_writer *w, const fs_sae *s)
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

int64_t index_writer_add_feature(fs_writer *w, const fs_feature *f)
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

int index_writer_set_label(fs_writer *w, int64_t fid, const char *label, const char *source)
{
	sqlite3_stmt *st = wstmt(w, W_LABEL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_text(st, 2, label);
	bind_text(st, 3, source);
	return wstep(w, st, "set label");
}

int index_writer_set_description(fs_writer *w, int64_t fid, const char *text)
{
	sqlite3_stmt *st = wstmt(w, W_DESC);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_text(st, 2, text);
	return wstep(w, st, "set description");
}

int index_writer_set_stats(fs_writer *w, int64_t fid, const fs_feature *f)
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

int index_writer_set_cluster(fs_writer *w, int64_t fid, int64_t node)
{
	sqlite3_stmt *st = wstmt(w, W_CLUSTER);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_int64(st, 2, node);
	return wstep(w, st, "set cluster");
}

int index_writer_set_map(fs_writer *w, int64_t fid, double x, double y)
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

int64_t index_writer_add_context(fs_writer *w, const char *text, size_t len,
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
	size_t tn = index_toks_encode(tok_off, ntok, tb);
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
	tn = index_toks_encode(tok_off, ntok, tb);
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

int index_writer_add_example(fs_writer *w, int64_t fid, int grp, int rank,
		       int64_t ctx, const float *acts, int ntok)
{
	return index_writer_add_example_at(w, fid, grp, rank, ctx, acts, ntok, -1);
}

int index_writer_add_example_at(fs_writer *w, int64_t fid, int grp, int rank,
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
	size_t n = index_acts_encode(acts, ntok, b);
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

int index_writer_add_interval(fs_writer *w, int64_t fid, const fs_interval *iv)
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

int index_writer_add_logit(fs_writer *w, int64_t fid, int sign, int rank,
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

int index_writer_add_table_row(fs_writer *w, int64_t fid, const char *kind, int rank, int64_t other,
			 double value, double aux)
{
	sqlite3_stmt *st = wstmt(w, W_TABLE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_text(st, 2, kind);
	sqlite3_bind_int(st, 3, rank);
	sqlite3_bind_int64(st, 4, other);
	sqlite3_bind_double(st, 5, isfinite(value) ? value : 0);
	if (isfinite(aux))
		sqlite3_bind_double(st, 6, aux);
	else
		sqlite3_bind_null(st, 6);
	return wstep(w, st, "add feature table row");
}

int index_writer_add_explanation(fs_writer *w, int64_t fid, const fs_explanation *e)
{
	sqlite3_stmt *st = wstmt(w, W_EXPL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	bind_text(st, 2, e->text ? e->text : "");
	bind_text(st, 3, e->source ? e->source : "");
	bind_text(st, 4, e->model ? e->model : "");
	bind_text(st, 5, e->type ? e->type : "");
	if (isfinite(e->score))
		sqlite3_bind_double(st, 6, e->score);
	else
		sqlite3_bind_null(st, 6);
	bind_text(st, 7, e->scores ? e->scores : "");
	return wstep(w, st, "add explanation");
}

int index_writer_add_neighbour(fs_writer *w, int64_t fid, int other_sae, int rank,
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

int64_t index_writer_add_cluster(fs_writer *w, int sae, int64_t parent, int depth,
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

int index_writer_set_meta(fs_writer *w, const char *key, const char *value)
{
	sqlite3_stmt *st = wstmt(w, W_META);
	if (!st)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return wstep(w, st, "set meta");
}

void index_writer_count_tokens(fs_writer *w, int64_t n)
{
	w->n_tokens += n;
}

int index_writer_set_sae_size(fs_writer *w, int sae, int64_t n_features, int d_model)
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

/* ---- compare: decoder rows and context hashes ----
 * The decoders table (optional, written when the builder is given
 * --decoder): per dictionary its decoder rows in blocks of consecutive
 * rows, each block n x d little-endian f16 values. Indexes without it
 * (or without a dictionary's rows) simply have no stored decoder. */

#define DEC_BLOCK_BYTES 262144 /* f16 bytes per stored block, about */

int index_writer_add_decoder(fs_writer *w, int sae, const float *W, int64_t n, int d)
{
	if (w->failed)
		return -1;
	if (n < 1 || d < 1)
		return 0;
	if (sqlite3_exec(w->db, "CREATE TABLE IF NOT EXISTS decoders(sae INTEGER NOT NULL,"
			 " first INTEGER NOT NULL, n INTEGER NOT NULL, d INTEGER NOT NULL,"
			 " rows BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
		return wfail(w, "decoders");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO decoders(sae, first, n, d, rows) VALUES(?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		return wfail(w, "decoders");
	int64_t per = DEC_BLOCK_BYTES / (2 * (int64_t)d);
	if (per < 1)
		per = 1;
	uint8_t *buf = xmalloc((size_t)(per < n ? per : n) * (size_t)d * 2);
	int rc = 0;
	for (int64_t r0 = 0; r0 < n && rc == 0; r0 += per) {
		int64_t nr = n - r0 < per ? n - r0 : per;
		const float *p = W + r0 * d;
		for (int64_t i = 0; i < nr * d; i++) {
			uint16_t h = f32_to_f16(p[i]);
			buf[2 * i] = (uint8_t)(h & 0xff);
			buf[2 * i + 1] = (uint8_t)(h >> 8);
		}
		sqlite3_bind_int(s, 1, sae);
		sqlite3_bind_int64(s, 2, r0);
		sqlite3_bind_int64(s, 3, nr);
		sqlite3_bind_int(s, 4, d);
		sqlite3_bind_blob(s, 5, buf, (int)(nr * d * 2), SQLITE_STATIC);
		rc = wstep(w, s, "decoders");
	}
	free(buf);
	sqlite3_finalize(s);
	return rc;
}

/* ---- co-firing counts (optional table cofire, written by build --cofire) ----
 * One row per feature: its firing tokens and a blob of its partners,
 * sorted by fid, as varint fid gaps (the first from 0) and varint counts. */

static int cofire_by_fid(const void *x, const void *y)
{
	const fs_cofire *a = x, *b = y;
	return a->fid < b->fid ? -1 : a->fid > b->fid;
}

int index_writer_add_cofire(fs_writer *w, int64_t fid, int64_t fires, const fs_cofire *p, int n)
{
	if (w->failed)
		return -1;
	if (sqlite3_exec(w->db, "CREATE TABLE IF NOT EXISTS cofire(feature INTEGER PRIMARY KEY,"
			 " fires INTEGER NOT NULL, partners BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
		return wfail(w, "cofire");
	fs_cofire *s = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *s);
	if (n > 0)
		memcpy(s, p, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cofire_by_fid);
	uint8_t *buf = xmalloc((size_t)n * 20 + 1);
	size_t len = 0;
	int64_t prev = 0;
	for (int i = 0; i < n; i++) {
		len += varint_put(buf + len, (uint64_t)(s[i].fid - prev));
		len += varint_put(buf + len, (uint64_t)s[i].both);
		prev = s[i].fid;
	}
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO cofire(feature, fires, partners) VALUES(?,?,?)", -1,
			       &st, NULL) != SQLITE_OK)
		rc = wfail(w, "cofire");
	else {
		sqlite3_bind_int64(st, 1, fid);
		sqlite3_bind_int64(st, 2, fires);
		sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_STATIC);
		rc = wstep(w, st, "cofire");
		sqlite3_finalize(st);
	}
	free(buf);
	free(s);
	return rc;
}

/* ---- shard state (optional table shard_state, written by harvest --shard) ----
 * One row per feature: the builder's accumulator as an opaque blob
 * (build_acc.c encodes and checks it), which featscope merge reads. */

int index_writer_add_shard_state(fs_writer *w, int64_t fid, const uint8_t *blob, size_t n)
{
	if (w->failed)
		return -1;
	if (sqlite3_exec(w->db, "CREATE TABLE IF NOT EXISTS shard_state(feature INTEGER PRIMARY KEY,"
			 " state BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
		return wfail(w, "shard_state");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO shard_state(feature, state) VALUES(?,?)", -1, &st,
			       NULL) != SQLITE_OK)
		return wfail(w, "shard_state");
	sqlite3_bind_int64(st, 1, fid);
	sqlite3_bind_blob(st, 2, blob ? (const void *)blob : "", (int)n, SQLITE_STATIC);
	int rc = wstep(w, st, "shard_state");
	sqlite3_finalize(st);
	return rc;
}

/* ---- live model: the files an index was made with (see index.h) ----
 * In place, in one transaction: the change is a few rows, SQLite's rollback
 * journal makes it all or nothing, and copying a large index to rename it
 * over itself would double the disk and the time for no safety gained. */

#define LIVE_SCHEMA                                                                       \
	"CREATE TABLE IF NOT EXISTS live_files(role TEXT NOT NULL, name TEXT NOT NULL, " \
	"file TEXT NOT NULL, xxh3 TEXT NOT NULL, bytes INTEGER NOT NULL, hook TEXT NOT NULL, " \
	"PRIMARY KEY(role, name))"

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

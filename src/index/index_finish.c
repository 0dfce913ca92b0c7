/*
 * index_finish.c: the end of a write, index_writer_finish: example totals, then
 * the staged contexts packed into chunks (texts, token boundaries and
 * examples, one 64 KiB page each) with the contexts table, the full-text
 * rows, the secondary indexes (index_finish_sql), the meta table (counts, uuid,
 * dense dictionaries), commit, fsync and the rename into place;
 * index_writer_abort, which throws a write away. The rest of the write side is
 * index_write.c.
 */
#include "config.h"
#include "index/index_write_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static int set_meta_i64(fs_writer *w, const char *key, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)v);
	return index_writer_set_meta(w, key, b);
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
	if (!w->grams)
		w->grams = index_grams_new();
	if (index_grams_add(w->grams, w->db, (const uint8_t *)c->text.p, c->text.len) < 0) {
		buf_free(&aux);
		return wfail(w, "text grams");
	}
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
			index_ex_put(&r, fid - prev, (float)sqlite3_column_double(e, 2), sqlite3_column_int(e, 3),
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

int index_writer_finish(fs_writer *w, char *err, size_t errlen)
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
	if (!w->failed && index_grams_finish(w) < 0)
		wfail(w, "text grams");
	if (!w->failed && sqlite3_exec(w->db, index_finish_sql, NULL, NULL, NULL) != SQLITE_OK)
		wfail(w, "indexes");
	if (!w->failed) {
		index_writer_set_meta(w, "format", "featscope-index");
		set_meta_i64(w, "version", FS_INDEX_VERSION);
		index_writer_set_meta(w, "uuid", uuid);
		index_writer_set_meta(w, "generator", "featscope " PACKAGE_VERSION);
		char when[32];
		time_t now = time(NULL);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		index_writer_set_meta(w, "created", when);
		set_meta_i64(w, "n_features", w->n_feat);
		set_meta_i64(w, "n_contexts", w->n_ctx);
		set_meta_i64(w, "n_examples", w->n_examples);
		set_meta_i64(w, "n_tokens", w->n_tokens);
		set_meta_i64(w, "n_chunks", w->n_chunks);
		set_meta_i64(w, "n_text_bytes", w->n_text_bytes);
		/* The dictionaries whose features are exactly idx 0..n-1 (a
		 * count over every feature, done once here instead of at the
		 * browser's first jump). */
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(w->db,
				       "SELECT ifnull(group_concat(f.sae), '') FROM (SELECT sae, count(*) n,"
				       " min(idx) lo, max(idx) hi FROM features GROUP BY sae) f"
				       " JOIN saes s ON s.id = f.sae"
				       " WHERE f.n = s.n_features AND f.lo = 0 AND f.hi = f.n - 1",
				       -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			index_writer_set_meta(w, "dense_saes", (const char *)sqlite3_column_text(st, 0));
		else
			wfail(w, "dense dictionaries");
		sqlite3_finalize(st);
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
		index_writer_abort(w);
		return -1;
	}
	index_writer_track_tmp(w->tmp, 0);
	free(w->tmp);
	w->tmp = NULL; /* renamed: nothing to remove */
	index_writer_abort(w);
	return 0;
}

void index_writer_abort(fs_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->st[i]);
	if (w->db)
		sqlite3_close(w->db);
	if (w->tmp) {
		unlink(w->tmp);
		index_writer_track_tmp(w->tmp, 0);
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
	index_grams_free(w->grams);
	free(w);
}

/*
 * index_bulk.c: the read side's bulk reads for the engines on an open
 * fs_index: a dictionary's stored decoder rows (compare, nearest), the
 * co-firing counts and the contexts' hashes (family, co-firing, matching
 * contexts across files), and the live model's files (live_files, written
 * by index_attach). Every statement is SQL on the connection opened in
 * index_schema.c.
 */
#include "config.h"
#include "index/index_int.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compare: the stored decoder rows (see index_writer_add_decoder) and the
 * contexts' hashes, for matching contexts across files ---- */

int64_t index_decoder(fs_index *ix, int sae, int *d, float **W)
{
	*W = NULL;
	*d = 0;
	const fs_sae *sa = index_sae_by_id(ix, sae);
	sqlite3_stmt *s;
	if (!sa || sqlite3_prepare_v2(ix->db, "SELECT first, n, d, rows FROM main.decoders"
				      " WHERE sae = ? ORDER BY first", -1, &s, NULL) != SQLITE_OK)
		return 0; /* no such table: nothing stored */
	sqlite3_bind_int(s, 1, sae);
	int64_t got = 0, cap = 0;
	float *out = NULL;
	int width = 0, bad = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(s, 0), nr = sqlite3_column_int64(s, 1);
		int64_t dd = sqlite3_column_int64(s, 2);
		const uint8_t *p = sqlite3_column_blob(s, 3);
		int64_t len = sqlite3_column_bytes(s, 3);
		if (first != got || nr < 1 || dd < 1 || dd > 1 << 20 || (width && dd != width) ||
		    nr > (1 << 30) / dd || len != nr * dd * 2 || first + nr > sa->n_features || !p) {
			bad = 1;
			break;
		}
		width = (int)dd;
		if (got + nr > cap) {
			cap = (got + nr) * 2;
			if (cap > sa->n_features)
				cap = sa->n_features;
			out = xrealloc(out, (size_t)cap * (size_t)width * sizeof *out);
		}
		for (int64_t i = 0; i < nr * dd; i++)
			out[got * dd + i] = f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
		got += nr;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		bad = 1;
	sqlite3_finalize(s);
	if (bad) {
		free(out);
		return -1;
	}
	if (!got) {
		free(out);
		return 0;
	}
	*W = out;
	*d = width;
	return got;
}

/* How many decoder rows are stored for dictionary sae, and their width,
 * without reading them: the block rows' counts only (a few rows per
 * dictionary), so a caller can skip a dictionary with none, or one too
 * large to load now, at no cost. */
int64_t index_decoder_rows(fs_index *ix, int sae, int *d)
{
	*d = 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ix->db, "SELECT sum(n), max(d) FROM main.decoders WHERE sae = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return 0; /* no such table: nothing stored */
	sqlite3_bind_int(s, 1, sae);
	int64_t n = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		int64_t w = sqlite3_column_int64(s, 1);
		*d = w > 0 && w <= 1 << 20 ? (int)w : 0;
	}
	sqlite3_finalize(s);
	return n > 0 && *d > 0 ? n : 0;
}

/* ---- co-firing counts (see index_writer_add_cofire) ---- */

int index_has_cofire(fs_index *ix)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ix->db, "SELECT 1 FROM main.cofire LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return 0; /* no such table */
	int has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return has;
}

int index_cofire(fs_index *ix, int64_t fid, int64_t *fires, fs_cofire **p, int *n)
{
	*fires = 0;
	*p = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ix->db, "SELECT fires, partners FROM main.cofire WHERE feature = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, fid);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	int64_t f = sqlite3_column_int64(s, 0);
	const uint8_t *b = sqlite3_column_blob(s, 1);
	size_t len = (size_t)sqlite3_column_bytes(s, 1);
	/* each partner takes at least 2 bytes; every count within [0, fires],
	 * fids positive and ascending */
	int cap = (int)(len / 2), got = 0, bad = f < 0;
	fs_cofire *out = xmalloc((size_t)(cap > 0 ? cap : 1) * sizeof *out);
	size_t at = 0;
	int64_t prev = 0;
	while (!bad && at < len) {
		uint64_t d, c;
		size_t k1 = varint_get(b + at, len - at, &d);
		size_t k2 = k1 ? varint_get(b + at + k1, len - at - k1, &c) : 0;
		if (!k1 || !k2 || got == cap || d == 0 || d > (uint64_t)INT64_MAX - (uint64_t)prev ||
		    c > (uint64_t)f) {
			bad = 1;
			break;
		}
		at += k1 + k2;
		prev += (int64_t)d;
		out[got++] = (fs_cofire){prev, (int64_t)c};
	}
	sqlite3_finalize(s);
	if (bad) {
		free(out);
		return -1;
	}
	*fires = f;
	*p = out;
	*n = got;
	return 1;
}

int index_context_hashes(fs_index *ix, int64_t *n, uint64_t **h)
{
	*n = 0;
	*h = NULL;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ix->db, "SELECT id, hash FROM contexts ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		return -1;
	int64_t limit = 16;
	sqlite3_stmt *c;
	if (sqlite3_prepare_v2(ix->db, "SELECT count(*) FROM contexts", -1, &c, NULL) == SQLITE_OK &&
	    sqlite3_step(c) == SQLITE_ROW)
		limit += 2 * sqlite3_column_int64(c, 0);
	sqlite3_finalize(c);
	int64_t cap = index_n_contexts(ix) + 2;
	if (cap > limit + 1)
		cap = limit + 1;
	if (cap < 2)
		cap = 2;
	uint64_t *out = xcalloc((size_t)cap, sizeof *out);
	int64_t top = 1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		/* ids are 1..rows in a sound file; larger ones (a damaged file)
		 * are left out rather than sized for (fuzz-index-rows) */
		if (id < 1 || id > limit)
			continue;
		if (id >= cap) {
			int64_t nc = id * 2;
			out = xrealloc(out, (size_t)nc * sizeof *out);
			memset(out + cap, 0, (size_t)(nc - cap) * sizeof *out);
			cap = nc;
		}
		uint64_t v = (uint64_t)sqlite3_column_int64(s, 1);
		out[id] = v ? v : 1;
		if (id + 1 > top)
			top = id + 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(out);
		return -1;
	}
	*n = top;
	*h = out;
	return 0;
}

/* ---- live model (table live_files, written by index_attach) ---- */

int index_live_files(fs_index *ix, fs_live_file **out, char *err, size_t errlen)
{
	*out = NULL;
	sqlite3_stmt *st = NULL;
	int n = 0, cap = 0;
	if (sqlite3_prepare_v2(ix->db, "SELECT count(*) FROM sqlite_master WHERE name = 'live_files'", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return fs_seterr(err, errlen, "%s: %s", ix->path, sqlite3_errmsg(ix->db));
	}
	int have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!have)
		return 0;
	if (sqlite3_prepare_v2(ix->db, "SELECT role, name, file, xxh3, bytes, hook FROM live_files "
				       "ORDER BY role, name", -1, &st, NULL) != SQLITE_OK)
		return fs_seterr(err, errlen, "%s: live_files: %s", ix->path, sqlite3_errmsg(ix->db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			*out = xrealloc(*out, (size_t)cap * sizeof **out);
		}
		fs_live_file *f = &(*out)[n++];
		f->role = index_col_strdup(st, 0);
		f->name = index_col_strdup(st, 1);
		f->file = index_col_strdup(st, 2);
		f->xxh3 = index_col_strdup(st, 3);
		f->bytes = sqlite3_column_int64(st, 4);
		f->hook = index_col_strdup(st, 5);
	}
	if (rc != SQLITE_DONE) {
		fs_seterr(err, errlen, "%s: live_files: %s", ix->path, sqlite3_errmsg(ix->db));
		index_live_files_free(*out, n);
		*out = NULL;
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

void index_live_files_free(fs_live_file *f, int n)
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

/* ---- shard state (see index_writer_add_shard_state) ---- */

int index_shard_state(fs_index *ix, int64_t fid, uint8_t **blob, size_t *n)
{
	*blob = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ix->db, "SELECT state FROM main.shard_state WHERE feature = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0; /* no such table */
	sqlite3_bind_int64(s, 1, fid);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_BLOB && sqlite3_column_type(s, 0) != SQLITE_TEXT) {
		sqlite3_finalize(s);
		return -1;
	}
	const void *p = sqlite3_column_blob(s, 0);
	size_t len = (size_t)sqlite3_column_bytes(s, 0);
	*blob = xmalloc(len ? len : 1);
	if (len)
		memcpy(*blob, p, len);
	*n = len;
	sqlite3_finalize(s);
	return 1;
}

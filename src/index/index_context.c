/*
 * index_context.c: the read side's examples and contexts: a feature's
 * examples and interval bounds, a context's text, token boundaries and the
 * features firing on it (its record in its chunk's aux), and chunks read
 * whole through SQLite (the scan's own reader is index_scan.c).
 */
#include "config.h"
#include "index/index_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int index_examples(fs_index *ix, int64_t fid, fs_example **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_EXAMPLES);
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
		if (index_acts_decode(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5),
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

void index_examples_free(fs_example *ex, int n)
{
	for (int i = 0; i < n; i++)
		free(ex[i].acts);
	free(ex);
}

int index_example_acts(fs_index *ix, int64_t fid, int64_t ctx, float *acts, int ntok)
{
	sqlite3_stmt *s = index_rstmt(ix, R_EX_ACTS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int64(s, 2, ctx);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = index_acts_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), acts, ntok);
	sqlite3_reset(s);
	return rc;
}

int index_feature_contexts(fs_index *ix, int64_t fid, int64_t **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_FEAT_CTXS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	int n = 0, cap = 0, rc;
	int64_t *v = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return -1;
	}
	*out = v;
	return n;
}

int index_intervals(fs_index *ix, int64_t fid, fs_interval **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_INTERVALS);
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

/* Record i of the n contexts of chunk `chunk` (chunks.aux) into out,
 * through *b (opened on the first call, moved to the chunk after). */
int index_aux_read(sqlite3 *db, sqlite3_blob **b, int64_t chunk, int i, int n, fs_buf *out)
{
	int rc = *b ? sqlite3_blob_reopen(*b, chunk)
		    : sqlite3_blob_open(db, "main", "chunks", "aux", chunk, 0, b);
	if (rc != SQLITE_OK || i < 0 || i >= n)
		return -1;
	int64_t total = sqlite3_blob_bytes(*b);
	uint32_t o[2];
	if (((int64_t)i + 2) * 4 > total || sqlite3_blob_read(*b, o, 8, i * 4) != SQLITE_OK)
		return -1;
	if (!index_aux_span_ok(o, (uint64_t)total, n))
		return -1;
	out->len = 0;
	buf_reserve(out, o[1] - o[0] + 1);
	if (o[1] > o[0] && sqlite3_blob_read(*b, out->p, (int)(o[1] - o[0]), (int)o[0]) != SQLITE_OK)
		return -1;
	out->len = o[1] - o[0];
	return 0;
}

int index_context(fs_index *ix, int64_t ctx, fs_context *c)
{
	memset(c, 0, sizeof *c);
	sqlite3_stmt *s = index_rstmt(ix, R_CONTEXT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, ctx);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return -1;
	}
	int64_t chunk = sqlite3_column_int64(s, 0);
	int ntok = sqlite3_column_int(s, 1), n = sqlite3_column_int(s, 2);
	c->source = index_col_strdup(s, 3);
	int64_t first = sqlite3_column_int64(s, 4);
	sqlite3_reset(s);
	/* first comes from the file: no overflow on hostile values */
	int64_t i = first <= ctx && (first >= 0 || ctx <= INT64_MAX + first) ? ctx - first : -1;

	/* The context's bytes: read just its slice of the chunk. */
	int rc = -1;
	sqlite3_stmt *o = index_rstmt(ix, R_CONTEXT_TEXT);
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
	if (rc == 0 && i < n && index_aux_read(ix->db, &blob, chunk, (int)i, n, &rec) == 0 &&
	    index_aux_split(&rec, &ar) == 0 && ar.ntok == ntok) {
		c->ntok = ntok;
		c->tok_off = xmalloc(sizeof(uint32_t) * ((size_t)ntok + 1));
		if (index_toks_decode(ar.toks, ar.ntoks, c->tok_off, ntok, (uint32_t)c->len) != 0)
			rc = -1;
	} else {
		rc = -1;
	}
	sqlite3_blob_close(blob);
	buf_free(&rec);
	c->id = ctx;
	if (rc != 0) {
		index_context_free(c);
		return -1;
	}
	return 0;
}

void index_context_free(fs_context *c)
{
	free(c->text);
	free(c->tok_off);
	free(c->source);
	memset(c, 0, sizeof *c);
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
	sqlite3_stmt *s = index_rstmt(ix, R_CTX_FEATURES);
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
		if (index_aux_read(ix->db, &b, chunk, (int)(ctx - first), nc, &rec) != 0 || index_aux_split(&rec, &ar) != 0)
			rc = -1;
		size_t at = 0;
		int64_t fid = 0;
		fs_ex_entry e;
		/* entries come in feature order: one per feature, its best */
		while (rc == 0 && (rc = index_ex_next(ar.ex, ar.nex, &at, &fid, &e)) == 1) {
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
	sqlite3_stmt *s = index_rstmt(ix, R_CHUNK);
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
		index_chunk_free(ch);
	return rc;
}

void index_chunk_free(fs_chunk *ch)
{
	free((char *)ch->text);
	free(ch->off);
	memset(ch, 0, sizeof *ch);
}

int64_t index_text_bytes(fs_index *ix)
{
	/* Written by the builder; older indexes sum the blobs (length() of a
	 * blob reads it, so this is a scan of its own). */
	int64_t n = index_meta_i64(ix, "n_text_bytes");
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

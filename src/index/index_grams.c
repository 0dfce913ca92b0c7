/*
 * index_grams.c: the text-gram filter of the context chunks. At the end of
 * a write every chunk's text is cut into its byte pairs and triples (ASCII
 * letters folded to lower case), each hashed to one of GRAM_BUCKETS
 * buckets; the table text_grams holds, per bucket and per slab of
 * GRAM_SLAB chunks, the bitset of the chunks with a gram in that bucket.
 * A substring search ANDs the rows of its string's grams and reads only
 * the chunks left (a chunk that holds the string holds all its grams, so
 * none is missed; a chunk that does not may still pass). Indexes written
 * before the table, or with other parameters, have no such meta keys and
 * are read whole.
 *
 * Layout: row id = slab * GRAM_BUCKETS + bucket, bits = one bit per chunk
 * of the slab (chunk slab * GRAM_SLAB + 1 + j is bit j: byte j / 8, bit
 * j % 8), ceil(chunks in the slab / 8) bytes; a bucket with no chunk in a
 * slab has no row. Meta: text_gram_buckets, text_gram_slab (the two
 * constants below) and text_gram_chunks (chunks 1..that are covered).
 */
#include "config.h"
#include "index/index_write_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAM_BITS 15                    /* log2 of the buckets */
#define GRAM_BUCKETS (1u << GRAM_BITS)  /* 32768: 4 KiB per chunk */
#define GRAM_SLAB 2048                  /* chunks per row */
#define GRAM_MAX_PROBES 24              /* buckets a search reads at most */

struct index_grams {
	uint64_t *per;     /* GRAM_BUCKETS bits per chunk of the open slab */
	int n;             /* chunks in the open slab */
	int64_t slab;      /* its number (0-based) */
	int64_t chunks;    /* chunks added in all */
	int table;         /* the table was created */
};

static unsigned char gram_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint32_t gram_hash(uint32_t v)
{
	return (v * 0x9E3779B1u) >> (32 - GRAM_BITS);
}

/* The bucket of the pair (a, b), or of the triple (a, b, c) when c >= 0. */
static uint32_t gram_bucket(unsigned char a, unsigned char b, int c)
{
	uint32_t v = (uint32_t)a | (uint32_t)b << 8;
	v |= c >= 0 ? (uint32_t)c << 16 | 3u << 24 : 2u << 24;
	return gram_hash(v);
}

index_grams *index_grams_new(void)
{
	return xcalloc(1, sizeof(index_grams));
}

void index_grams_free(index_grams *g)
{
	if (g) {
		free(g->per);
		free(g);
	}
}

/* Write the open slab's rows and empty it; 0 or -1. */
static int grams_flush(index_grams *g, sqlite3 *db)
{
	if (g->n == 0)
		return 0;
	if (!g->table && sqlite3_exec(db, "CREATE TABLE text_grams(id INTEGER PRIMARY KEY,"
				      " bits BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	g->table = 1;
	size_t rb = ((size_t)g->n + 7) / 8, words = GRAM_BUCKETS / 64;
	uint8_t *m = xcalloc((size_t)GRAM_BUCKETS, rb);
	for (int j = 0; j < g->n; j++) {
		const uint64_t *w = g->per + (size_t)j * words;
		for (size_t k = 0; k < words; k++)
			for (uint64_t x = w[k]; x; x &= x - 1) {
				size_t b = k * 64 + (size_t)__builtin_ctzll(x);
				m[b * rb + (size_t)j / 8] |= (uint8_t)(1u << (j % 8));
			}
	}
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT INTO text_grams(id, bits) VALUES(?, ?)", -1, &s, NULL);
	for (size_t b = 0; b < GRAM_BUCKETS && rc == SQLITE_OK; b++) {
		const uint8_t *row = m + b * rb;
		size_t k = 0;
		while (k < rb && !row[k])
			k++;
		if (k == rb)
			continue;
		sqlite3_bind_int64(s, 1, g->slab * GRAM_BUCKETS + (int64_t)b);
		sqlite3_bind_blob(s, 2, row, (int)rb, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	free(m);
	g->n = 0;
	g->slab++;
	return rc == SQLITE_OK ? 0 : -1;
}

int index_grams_add(index_grams *g, sqlite3 *db, const uint8_t *t, size_t len)
{
	size_t words = GRAM_BUCKETS / 64;
	if (!g->per)
		g->per = xmalloc(sizeof *g->per * words * GRAM_SLAB);
	uint64_t *w = g->per + (size_t)g->n * words;
	memset(w, 0, sizeof *w * words);
	for (size_t j = 0; j + 1 < len; j++) {
		unsigned char a = gram_fold(t[j]), b = gram_fold(t[j + 1]);
		uint32_t h = gram_bucket(a, b, -1);
		w[h / 64] |= 1ull << (h % 64);
		if (j + 2 < len) {
			h = gram_bucket(a, b, gram_fold(t[j + 2]));
			w[h / 64] |= 1ull << (h % 64);
		}
	}
	g->n++;
	g->chunks++;
	return g->n == GRAM_SLAB ? grams_flush(g, db) : 0;
}

static int set_meta_num(fs_writer *w, const char *key, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)v);
	return index_writer_set_meta(w, key, b);
}

int index_grams_finish(fs_writer *w)
{
	index_grams *g = w->grams;
	if (!g || g->chunks == 0)
		return 0;
	if (grams_flush(g, w->db) < 0)
		return -1;
	if (set_meta_num(w, "text_gram_buckets", GRAM_BUCKETS) < 0 ||
	    set_meta_num(w, "text_gram_slab", GRAM_SLAB) < 0 ||
	    set_meta_num(w, "text_gram_chunks", g->chunks) < 0)
		return -1;
	return 0;
}

/* Usable in a search: a caseless search folds more than ASCII (PCRE2's
 * Unicode folding matches k with the Kelvin sign and s with the long s),
 * so it uses only grams of the other ASCII bytes. */
static int gram_usable(unsigned char c, int caseless)
{
	if (!caseless)
		return 1;
	return c < 0x80 && c != 'k' && c != 'K' && c != 's' && c != 'S';
}

int index_text_candidates(fs_index *ix, const char *str, size_t n, int caseless,
			  uint8_t **may, int64_t *nch)
{
	*may = NULL;
	*nch = 0;
	int64_t cov = index_meta_i64(ix, "text_gram_chunks");
	if (index_meta_i64(ix, "text_gram_buckets") != GRAM_BUCKETS ||
	    index_meta_i64(ix, "text_gram_slab") != GRAM_SLAB || cov <= 0 ||
	    cov > index_n_chunks(ix)) /* (n_chunks is checked at open) */
		return 0;
	const unsigned char *s = (const unsigned char *)str;
	uint32_t probe[GRAM_MAX_PROBES];
	int np = 0;
	/* triples first (they filter more), then pairs */
	for (int len = 3; len >= 2; len--)
		for (size_t j = 0; j + (size_t)len <= n && np < GRAM_MAX_PROBES; j++) {
			int ok = 1;
			for (int k = 0; k < len; k++)
				ok &= gram_usable(s[j + (size_t)k], caseless);
			if (!ok)
				continue;
			uint32_t h = gram_bucket(gram_fold(s[j]), gram_fold(s[j + 1]),
						 len == 3 ? gram_fold(s[j + 2]) : -1);
			int dup = 0;
			for (int k = 0; k < np; k++)
				dup |= probe[k] == h;
			if (!dup)
				probe[np++] = h;
		}
	if (np == 0)
		return 0;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(ix->db, "SELECT bits FROM text_grams WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
		return 0;
	size_t total = ((size_t)cov + 7) / 8;
	uint8_t *m = xmalloc(total);
	int ok = 1;
	for (int64_t slab = 0; slab * GRAM_SLAB < cov && ok; slab++) {
		int64_t c0 = slab * GRAM_SLAB; /* chunks before the slab */
		int64_t nc = cov - c0 < GRAM_SLAB ? cov - c0 : GRAM_SLAB;
		size_t rb = ((size_t)nc + 7) / 8, at = (size_t)c0 / 8; /* GRAM_SLAB % 8 == 0 */
		memset(m + at, 0xff, rb);
		for (int p = 0; p < np && ok; p++) {
			sqlite3_bind_int64(q, 1, slab * GRAM_BUCKETS + probe[p]);
			int rc = sqlite3_step(q);
			if (rc == SQLITE_ROW) {
				const uint8_t *row = sqlite3_column_blob(q, 0);
				if (sqlite3_column_type(q, 0) != SQLITE_BLOB ||
				    (size_t)sqlite3_column_bytes(q, 0) != rb || !row)
					ok = 0; /* not what the builder writes: read every chunk */
				else
					for (size_t k = 0; k < rb; k++)
						m[at + k] &= row[k];
			} else if (rc == SQLITE_DONE) {
				memset(m + at, 0, rb); /* no chunk of the slab has the gram */
				p = np;
			} else {
				ok = 0;
			}
			sqlite3_reset(q);
		}
	}
	sqlite3_finalize(q);
	if (!ok) {
		free(m);
		return 0;
	}
	*may = m;
	*nch = cov;
	return 1;
}

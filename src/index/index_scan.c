/*
 * index_scan.c: the scan's context reader (index_ctx_reader), used by
 * grep's workers: chunks, token boundaries and examples of matched
 * contexts with statements prepared once and buffers reused. It reads
 * chunk rows straight from its own read-only map of the file, walking the
 * chunks table's b-tree in place and checking every step, and falls back
 * to SQLite for anything it cannot vouch for. Before each chunk it checks
 * that the file under the map is still the one mapped (size, mtime,
 * ctime): a file truncated or rewritten in place would otherwise end the
 * program with SIGBUS on the next page read; the scan stops instead and
 * index_errmsg says the file changed.
 */
#include "config.h"
#include "index/index_int.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
	int fd;                     /* the mapped file, kept open to fstat (-1: none) */
	struct stat st0;            /* its size and times when mapped */
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
	if ((no && *no && strcmp(no, "0") != 0) || r->ix->unmapped)
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
	if (!index_id_fd_same(r->ix, fd)) {
		close(fd); /* the path names another file now: SQLite's reads only */
		return;
	}
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
	/* kept open either way: SQLite's own reads map the file too
	 * (mmap_size), and map_still_valid checks before each chunk */
	if (fstat(fd, &r->st0) == 0)
		r->fd = fd;
	else
		close(fd);
}

/* 1 when the file is as it was opened; else the map is dropped, the
 * connection marked changed (index_errmsg) and 0 returned. */
static int map_still_valid(index_ctx_reader *r)
{
	struct stat st;
	if (r->fd < 0)
		return 1;
	if (fstat(r->fd, &st) == 0 && st.st_size == r->st0.st_size &&
	    st.st_mtim.tv_sec == r->st0.st_mtim.tv_sec && st.st_mtim.tv_nsec == r->st0.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == r->st0.st_ctim.tv_sec && st.st_ctim.tv_nsec == r->st0.st_ctim.tv_nsec)
		return 1;
	if (r->map)
		munmap((void *)r->map, r->maplen);
	r->map = NULL;
	r->aux = NULL;
	r->ix->changed = 1;
	return 0;
}


index_ctx_reader *index_ctx_reader_open(fs_index *ix)
{
	index_ctx_reader *r = xcalloc(1, sizeof *r);
	r->ix = ix;
	r->fd = -1;
	/* Scans touch the whole file: reading through a mapping saves a
	 * system call per page (SQLite caps the size at its compile-time
	 * maximum). */
	if (!ix->unmapped)
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
	if (r->fd >= 0)
		close(r->fd);
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
		if (!index_aux_span_ok(o, r->naux, n))
			return -1;
		r->rec.len = 0;
		buf_add(&r->rec, r->aux + o[0], o[1] - o[0]);
	} else if (index_aux_read(r->ix->db, &r->auxb, chunk, i, n, &r->rec) != 0) {
		return -1;
	}
	if (index_aux_split(&r->rec, &r->ar) != 0)
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
	if (index_toks_decode(r->ar.toks, r->ar.ntoks, o, r->ar.ntok, textlen) != 0) {
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
	while ((k = index_ex_next(r->ar.ex, r->ar.nex, &at, &fid, &e)) == 1) {
		if (index_acts_decode(e.acts, e.nacts, r->acts, ntok) != 0)
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
	if (r->ix->changed || !map_still_valid(r)) {
		ch->text = NULL;
		return NULL;
	}
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

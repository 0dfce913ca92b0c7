/*
 * fuzz-index.c: libFuzzer targets for opening and reading an index from a
 * hostile file (src/index/). Two targets are built from this file:
 *
 *   fuzz-index       the input is the whole file: a corrupt or truncated
 *                    SQLite database, or a valid one with another schema.
 *   fuzz-index-rows  the input is a program of edits applied to a small,
 *                    valid index made at start-up (wrong column types,
 *                    huge ntok, offsets past the chunk, blobs whose sizes
 *                    lie, ids that point nowhere, dropped tables); this
 *                    reaches the readers' validation far more often than
 *                    random bytes in a SQLite page do.
 *
 * Either way the file goes through index_open and then the reads the CLI
 * and TUI do (feature, examples, context, chunk, paging, search, logits,
 * neighbours, clusters, the stored decoder and compare's loaders over it,
 * the chunk scanner of grep/token), and each context
 * is rendered with format_context.
 * Every read must fail cleanly or return data within its stated bounds.
 */
#include "compare/compare_load.h"
#include "core/format.h"
#include "grep/grep.h"
#include "index/index.h"
#include "core/util.h"
#include "fuzz-common.h"

#include <math.h>
#include <sqlite3.h>

/* An example handed over by the context reader: ntok dense values. */
static void check_acts(void *ud, int64_t fid, const float *acts, int ntok)
{
	(void)fid;
	volatile float s = 0;
	if (ntok != *(const int *)ud)
		abort();
	for (int t = 0; t < ntok; t++)
		s += acts[t];
	(void)s;
}

/* Read what the CLI's `show` and the TUI would read, checking bounds. */
static void exercise(fs_index *ix)
{
	char name[64];
	fs_buf b = {0};
	int64_t nf = index_n_features(ix);
	(void)index_n_contexts(ix);
	(void)index_uuid(ix);
	{
		int64_t nh = 0;
		uint64_t *h = NULL;
		if (index_context_hashes(ix, &nh, &h) == 0 && nh < 1)
			abort();
		free(h);
	}
	for (int i = 0; i < index_n_saes(ix) && i < 4; i++) {
		const fs_sae *s = index_sae(ix, i);
		if (!s || !s->name)
			abort();
		(void)index_sae_by_name(ix, s->name);
		fs_feature page[4];
		int np = index_feature_page(ix, s->id, (fs_sort)(i % 5), i & 1, i & 2 ? "a" : NULL, 0, 4, page);
		for (int k = 0; k < np; k++)
			index_feature_free(&page[k]);
		(void)index_feature_count(ix, s->id, "1");
		/* the stored decoder, and compare's loaders over it */
		int dd = 0;
		float *W = NULL;
		int64_t nr = index_decoder(ix, s->id, &dd, &W);
		if (nr > 0 && (dd < 1 || !W || nr > s->n_features))
			abort();
		if (nr > 0) {
			volatile float last = W[nr * dd - 1]; /* the whole n x d is there */
			(void)last;
		}
		free(W);
		cmp_side cs;
		char cerr[256];
		if (i == 0 && s->n_features <= 4096 && cmp_side_open(&cs, ix, s->name, NULL, cerr, sizeof cerr) == 0) {
			cmp_acts ca;
			if (cmp_side_decoder(&cs, NULL, cerr, sizeof cerr) == 0 && cs.n > 0 &&
			    cmp_side_acts(&cs, NULL, 0, &ca) == 0) {
				cmp_coact co;
				cmp_pair(&ca, 0, &ca, cs.n - 1, &co);
				if (!isnan(co.share_a) && (co.share_a < 0 || co.share_a > 1))
					abort();
				cmp_acts_free(&ca);
			}
			cmp_side_free(&cs);
		}
		fs_cluster *cl = NULL;
		int nc = index_cluster_children(ix, s->id, 0, &cl);
		for (int k = 0; k < nc && k < 2; k++) {
			int64_t *fids = NULL;
			int n = index_cluster_features(ix, cl[k].id, &fids);
			(void)n;
			free(fids);
		}
		if (nc > 0)
			index_clusters_free(cl, nc);
	}
	char err[256];
	(void)index_resolve(ix, "0", err, sizeof err);
	(void)index_resolve(ix, "#1", err, sizeof err);
	for (int64_t fid = 1; fid <= 4 && (fid <= nf || fid <= 2); fid++) {
		fs_feature f;
		if (index_feature(ix, fid, &f) == 0) {
			(void)index_feature_name(ix, fid, name, sizeof name);
			format_sparkline(&b, f.hist, FS_HIST_BINS);
			format_escaped(&b, f.label, strlen(f.label));
			index_feature_free(&f);
		}
		fs_example *ex = NULL;
		int n = index_examples(ix, fid, &ex);
		for (int i = 0; i < n && i < 8; i++) {
			if (ex[i].ntok < 0 || (ex[i].ntok > 0 && (ex[i].max_pos < 0 || ex[i].max_pos >= ex[i].ntok)))
				abort();
			/* both ends of the dense array are readable (ASan checks) */
			volatile float s = ex[i].acts[0] + (ex[i].ntok ? ex[i].acts[ex[i].ntok - 1] : 0);
			(void)s;
			fs_context c;
			if (index_context(ix, ex[i].ctx, &c) == 0) {
				if (c.len < 0 || c.ntok < 0 || c.tok_off[0] != 0 || (int)c.tok_off[c.ntok] != c.len)
					abort();
				b.len = 0;
				format_context(&b, c.text, (size_t)c.len, c.tok_off, c.ntok,
					       ex[i].max_pos < c.ntok ? ex[i].max_pos : 0, 60);
				float *acts = calloc((size_t)c.ntok + 1, sizeof(float));
				(void)index_example_acts(ix, fid, c.id, acts, c.ntok);
				free(acts);
				fs_ctx_feature *cf = NULL;
				int m = index_context_features(ix, c.id, 4, &cf);
				(void)m;
				free(cf);
				index_context_free(&c);
			}
		}
		if (n > 0)
			index_examples_free(ex, n);
		fs_interval *iv = NULL;
		n = index_intervals(ix, fid, &iv);
		free(iv);
		fs_logit *lg = NULL;
		n = index_logits(ix, fid, 1, &lg);
		if (n > 0)
			index_logits_free(lg, n);
		fs_neighbour *nb = NULL;
		n = index_neighbours(ix, fid, 0, 4, &nb);
		free(nb);
		/* co-firing counts: partners ascending, positive, within fires */
		int64_t cf = 0;
		fs_cofire *cp = NULL;
		int ncp = 0;
		if (index_cofire(ix, fid, &cf, &cp, &ncp) == 1)
			for (int k = 0; k < ncp; k++)
				if (cp[k].fid <= (k ? cp[k - 1].fid : 0) || cp[k].both < 0 || cp[k].both > cf)
					abort();
		free(cp);
		(void)index_has_cofire(ix);
	}
	int64_t nch = index_n_chunks(ix);
	for (int64_t id = 1; id <= nch && id <= 3; id++) {
		fs_chunk ch;
		if (index_chunk(ix, id, &ch) == 0) {
			for (int i = 0; i < ch.n; i++)
				if (ch.off[i] >= ch.off[i + 1] || ch.off[i + 1] > ch.len)
					abort();
			index_chunk_free(&ch);
		}
	}
	int64_t *ids = NULL;
	int n = index_search_contexts(ix, "the", 4, &ids);
	for (int i = 0; i < n; i++) {
		fs_context c;
		if (index_context(ix, ids[i], &c) == 0)
			index_context_free(&c);
	}
	free(ids);
	ids = NULL;
	n = index_search_labels(ix, "a*", 4, &ids);
	free(ids);
	/* the chunk scanner the regex probe and `token` use, and the token
	 * boundaries and examples it reads for a match */
	index_ctx_reader *rd = index_ctx_reader_open(ix);
	for (int64_t id = 1; rd && id <= nch && id <= 3; id++) {
		const fs_chunk *ch = index_ctx_reader_chunk(rd, id);
		if (!ch)
			continue;
		if (!ch->n || ch->off[ch->n] != ch->len || ch->text[ch->len - 1] != 0)
			abort();
		for (int i = 0; i < ch->n && i < 8; i++) {
			uint32_t *off = NULL, len = ch->off[i + 1] - 1 - ch->off[i];
			int ntok = index_ctx_reader_toks(rd, ch->first_ctx + i, len, &off);
			if (ntok >= 0 && (!off || off[0] != 0 || off[ntok] != len))
				abort();
			free(off);
			if (ntok >= 0)
				(void)index_ctx_reader_examples(rd, ch->first_ctx + i, ntok, check_acts, &ntok);
		}
	}
	index_ctx_reader_close(rd);
	ids = NULL;
	char gerr[256];
	n = grep_substring(ix, "at", 1, 4, &ids, gerr, sizeof gerr);
	if (n > 4)
		abort();
	free(ids);
	buf_free(&b);
}

#ifndef FUZZ_ROWS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(".sqlite");
	if (fuzz_write(path, data, size) != 0)
		return 0;
	char err[512];
	fs_index *ix = index_open(path, err, sizeof err);
	if (ix) {
		exercise(ix);
		index_close(ix);
	} else if (!err[0] || strchr(err, '\n')) {
		abort(); /* a refusal is one line */
	}
	unlink(path);
	return 0;
}

#else /* FUZZ_ROWS */

#include "fuzz-template.h"

static uint8_t *tmpl;     /* the valid template index, as bytes */
static size_t tmpl_len;   /* its size */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *path = fuzz_path(".tmpl.sqlite");
	unlink(path);
	make_template(path);
	/* small pages: less to copy per run, and still large enough for the
	 * template's one chunk row, which the scanner then reads in place */
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size = 1024; VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	FILE *f = fopen(path, "rb");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	tmpl_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	tmpl = malloc(tmpl_len);
	if (!tmpl || fread(tmpl, tmpl_len, 1, f) != 1)
		abort();
	fclose(f);
	unlink(path);
	return 0;
}

/* Columns an edit can change: table, column, the column that picks rows. */
static const char *const targets[][3] = {
	{"contexts", "chunk", "id"}, {"contexts", "ntok", "id"}, {"chunks", "aux", "id"},
	{"contexts", "id", "id"}, {"contexts", "source", "id"}, {"chunks", "first_ctx", "id"},
	{"chunks", "n", "id"}, {"chunks", "offs", "id"}, {"chunks", "text", "id"},
	{"chunks", "id", "id"}, {"examples", "ctx", "rank"}, {"examples", "acts", "rank"},
	{"examples", "max_pos", "rank"}, {"examples", "grp", "rank"}, {"examples", "max_act", "rank"},
	{"examples", "feature", "rank"}, {"features", "hist", "id"}, {"features", "sae", "id"},
	{"features", "idx", "id"}, {"features", "cluster", "id"}, {"features", "label", "id"},
	{"features", "density", "id"}, {"features", "n_examples", "id"}, {"features", "id", "id"},
	{"saes", "id", "id"}, {"saes", "n_features", "id"}, {"saes", "d_model", "id"},
	{"saes", "name", "id"}, {"saes", "layer", "id"}, {"logits", "token", "rank"},
	{"logits", "value", "rank"}, {"neighbours", "other", "rank"}, {"neighbours", "other_sae", "rank"},
	{"intervals", "grp", "grp"}, {"sources", "name", "id"}, {"clusters", "parent", "id"},
	{"clusters", "sae", "id"}, {"clusters", "size", "id"}, {"meta", "value", "key"},
	{"decoders", "rows", "first"}, {"decoders", "n", "first"}, {"decoders", "d", "first"},
	{"decoders", "first", "first"}, {"decoders", "sae", "first"},
};
#define N_TARGETS (sizeof targets / sizeof targets[0])
static const char *const meta_keys[] = {"n_features", "n_contexts", "n_examples", "n_tokens",
					"uuid", "version", "format", "n_chunks"};
/* Whole-schema edits. */
static const char *const schema_edits[] = {
	"DROP TABLE examples",
	"DROP TABLE contexts; CREATE TABLE contexts(id INTEGER PRIMARY KEY, chunk)",
	"DROP TABLE chunks; CREATE VIEW chunks(id, first_ctx, n, offs, text, aux) AS SELECT 1, 1, 5, x'00', 'a', x'00'",
	"DROP TABLE ctx_fts",
	"DROP TABLE saes; CREATE TABLE saes(id)",
	"DELETE FROM saes",
	"DROP TABLE features",
	"UPDATE chunks SET aux = substr(aux, 1, 6)",
	"DELETE FROM meta WHERE key = 'uuid'",
	"DELETE FROM chunks",
	"DROP TABLE label_fts; CREATE TABLE label_fts(label)",
	("DROP TABLE meta; CREATE TABLE meta(key, value); INSERT INTO meta VALUES"
	 " ('format', 'featscope-index'), ('version', 2), ('version', 'x')"),
	"UPDATE chunks SET offs = zeroblob(4000000)",
	"UPDATE contexts SET ntok = 16777216",
	"INSERT INTO saes(id, name) VALUES (99, 'c')",
	"DROP TABLE clusters; CREATE TABLE clusters(id, sae, parent, depth, size, label)",
};
#define N_SCHEMA (sizeof schema_edits / sizeof schema_edits[0])

/* Extreme integers an edit can set. */
static const int64_t extremes[] = {0, -1, 1, 2, 0x7fffffff, -0x7fffffffll - 1, 0x80000000ll,
				   0xffffffffll, INT64_MAX, INT64_MIN, 1 << 24, (1 << 24) + 1,
				   0x3fffffff, 0x40000000};

/* Apply edits from the input; returns 0 when the database could be edited. */
static int apply(sqlite3 *db, const uint8_t *p, size_t n)
{
	size_t at = 0;
	char sql[256];
	int edits = 0;
	while (at + 3 <= n && edits++ < 16) {
		unsigned t = p[at], row = p[at + 1], kind = p[at + 2];
		at += 3;
		if (t >= 0xf0) {
			sqlite3_exec(db, schema_edits[(t - 0xf0) % N_SCHEMA], NULL, NULL, NULL);
			continue;
		}
		const char *const *tg = targets[t % N_TARGETS];
		sqlite3_stmt *s = NULL;
		if (strcmp(tg[0], "meta") == 0)
			snprintf(sql, sizeof sql, "UPDATE meta SET value = ?1 WHERE key = '%s'",
				 meta_keys[row % (sizeof meta_keys / sizeof meta_keys[0])]);
		else if (row & 0x80)
			snprintf(sql, sizeof sql, "UPDATE OR IGNORE %s SET %s = ?1", tg[0], tg[1]);
		else
			snprintf(sql, sizeof sql, "UPDATE OR IGNORE %s SET %s = ?1 WHERE %s = %u", tg[0], tg[1],
				 tg[2], row & 7);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
			sqlite3_finalize(s);
			continue;
		}
		size_t len = at < n ? p[at] : 0;
		switch (kind & 7) {
		case 0:
			sqlite3_bind_null(s, 1);
			break;
		case 1:
			sqlite3_bind_int64(s, 1, (int8_t)(kind >> 3) * 3);
			break;
		case 2:
			sqlite3_bind_int64(s, 1, extremes[(kind >> 3) % (sizeof extremes / sizeof extremes[0])]);
			break;
		case 3:
			sqlite3_bind_double(s, 1, (kind >> 3) == 1 ? 1e300 : (kind >> 3) == 2 ? -0.0 : (double)(kind >> 3) / 3);
			break;
		case 4: /* blob from the input */
		case 5: /* text from the input */
			at++;
			if (len > n - at)
				len = n - at;
			if ((kind & 7) == 4)
				sqlite3_bind_blob(s, 1, p + at, (int)len, SQLITE_TRANSIENT);
			else
				sqlite3_bind_text(s, 1, (const char *)p + at, (int)len, SQLITE_TRANSIENT);
			at += len;
			break;
		case 6: /* the blob of uint32 offsets, as a chunk's offs */
		{
			at++;
			if (len > (n - at) / 4)
				len = (n - at) / 4;
			sqlite3_bind_blob(s, 1, p + at, (int)len * 4, SQLITE_TRANSIENT);
			at += len * 4;
			break;
		}
		default:
			sqlite3_bind_zeroblob(s, 1, (kind >> 3) * 37);
			break;
		}
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(".rows.sqlite");
	if (fuzz_write(path, tmpl, tmpl_len) != 0)
		return 0;
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) == SQLITE_OK) {
		sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
		apply(db, data, size);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	char err[512];
	fs_index *ix = index_open(path, err, sizeof err);
	if (ix) {
		exercise(ix);
		index_close(ix);
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	unlink(path);
	return 0;
}

#endif

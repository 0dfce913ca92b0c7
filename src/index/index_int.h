/*
 * index_int.h: what the index_*.c files share and nothing outside
 * src/index/ may use (in the manner of SQLite's btreeInt.h): the read
 * side's connection (struct fs_index) and its statement table, the schema
 * text, and the helpers that read a chunk's aux records through SQLite.
 *
 * The files: index_schema.c (schema, open, meta, dictionaries),
 * index_read.c (the read side's queries about features), index_context.c
 * (examples, contexts, chunks through SQLite), index_write.c (fs_writer)
 * and index_finish.c (index_writer_finish), sharing index_write_int.h,
 * index_codec.c (blob codecs: acts, examples, token boundaries, aux
 * records), index_scan.c (the scan's context reader, which walks the
 * chunks b-tree straight from the file), index_grams.c (the chunks'
 * text-gram filter for substring searches).
 */
#ifndef FS_INDEX_INT_H
#define FS_INDEX_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "index/index.h"

/* Largest chunk row: SQLite keeps a row of up to U - 35 bytes (U = 65536,
 * the page size) on its leaf page, contiguous, with no overflow pages. */
#define CHUNK_BYTES 65501

/* The schema (index_schema.c): the tables a new index gets, the writer's
 * staging table, and what index_writer_finish builds after the bulk load. */
extern const char index_schema_sql[];
extern const char index_stage_sql[];
extern const char index_finish_sql[];

/* The read side's fixed statements, by number (index_reader_sql in index_schema.c). */
enum {
	R_META, R_SAES, R_FEATURE, R_FEATURE_ID, R_EXAMPLES, R_INTERVALS, R_CONTEXT,
	R_CONTEXT_TEXT, R_LOGITS, R_NEIGHBOURS, R_CL_CHILDREN, R_CLUSTER, R_CL_FEATURES,
	R_SEARCH_CTX, R_SEARCH_LABEL, R_CTX_FEATURES, R_CHUNK, R_IDX_ANY, R_EX_ACTS,
	R_TABLE, R_EXPLANATIONS, R_SEARCH_EXPL, R_FEAT_CTXS, R_COUNT
};

extern const char *const index_reader_sql[R_COUNT];

struct fs_index {
	sqlite3 *db;                /* read-only connection */
	sqlite3_stmt *st[R_COUNT];  /* fixed statements, prepared on first use */
	sqlite3_stmt *page[2][5][2][4]; /* feature paging: [all saes][sort][desc][filter kind] */
	sqlite3_stmt *count[2][4];  /* feature counts: [all saes][filter kind] */
	char *path;                 /* as opened */
	char **meta_k, **meta_v;    /* meta table */
	int n_meta;                 /* entries in it */
	fs_sae *saes;               /* dictionaries */
	int n_saes;                 /* how many */
	signed char *dense;         /* per dictionary: 1 when its features are
				       exactly idx 0..n-1, 0 when not, -1 unknown */
	int has_ranks;              /* feature_ranks table: 1 yes, 0 no (an
				       index built before it), -1 unknown */
	sqlite3_stmt *rank_st;      /* its lookup, prepared on first use */
	int has_tri;                /* label_tri table (the filter's trigrams):
				       1 yes, 0 no (an index built before it), -1 unknown */
	char *tri_filter;           /* the last filter index_filter_kind judged */
	int tri_kind;               /* and its kind */
	int filter_steps;           /* short sparse filters read in steps (kind 3,
				       index_filter_steps): only the browser asks */
	struct index_filter_scan {  /* such a filter's scan of the labels so far */
		char *filter;       /* the filter, NULL: slot free */
		int64_t at, end;    /* ids at..end-1 are still to read */
		int step;           /* ids per step, sized to the time asked */
		unsigned use;       /* when last used (the oldest slot is reused) */
	} scan[4];
	unsigned scan_clock;        /* counts uses of scan[] */
	struct index_file_id *fid;  /* the file as opened (index_identity.c) */
	int user_labels;            /* temp.user_labels holds rows (index_set_user_labels):
				       the list's filter and label order read it */
	int unmapped;               /* reads through read(), never a memory map
				       (index_read_unmapped) */
	int changed;                /* a scan found the file truncated or
				       rewritten under its map: index_errmsg
				       says so (index_scan.c) */
};

/* Record the identity of the file ix->path names now, as the one this
 * connection reads: 0, or -1 when the file changed between st0 (a stat
 * before opening) and now (index_identity.c). */
struct stat;
int index_id_record(fs_index *ix, const struct stat *st0);
void index_id_free(fs_index *ix);
/* fd is the file this connection reads (same device, inode, size). */
int index_id_fd_same(const fs_index *ix, int fd);

/* The browser list's filter (index_filter.c): its kind, 0 none, 1 a scan
 * of every label, 2 through the label_tri trigrams, 3 through the ids a
 * scan in steps has found so far (temp.filter_ids, index_filter_step);
 * the SQL of a kind (a condition on features, parameter 3 and, for kind
 * 2, parameter 10); and binding those parameters. */
int index_filter_kind(fs_index *ix, const char *filter);
const char *index_filter_sql(const fs_index *ix, int kind);
void index_filter_bind(sqlite3_stmt *s, const char *filter, int kind);
/* The dictionary's condition (parameter 1; all: every dictionary) for a
 * filter of that kind: with trigrams, not through an index on sae, so that
 * SQLite reads the candidates by rowid instead of scanning a dictionary. */
const char *index_filter_where(int all, int kind);

/* Statement i of index_reader_sql, prepared on first use, reset and unbound;
 * NULL when it cannot be prepared. */
sqlite3_stmt *index_rstmt(fs_index *ix, int i);
/* Column i as a malloc'd string ("" for NULL). */
char *index_col_strdup(sqlite3_stmt *s, int i);
/* A meta value as an integer, 0 when absent or not a number. */
int64_t index_meta_i64(const fs_index *ix, const char *key);

/* A context's record: ntok, its boundaries blob and its examples blob. */
typedef struct {
	int ntok;             /* tokens */
	const uint8_t *toks;  /* their byte lengths, varints (index_toks_decode) */
	size_t ntoks;         /* bytes of toks */
	const uint8_t *ex;    /* the examples on the context (index_ex_next) */
	size_t nex;           /* bytes of ex */
} aux_rec;

/* Split a context's record (from chunks.aux) into its parts; 0 or -1
 * (index_codec.c). */
int index_aux_split(const fs_buf *b, aux_rec *r);
/* Record bounds o[0], o[1] lie after the offset table of an aux blob of
 * total bytes holding n records, and inside it (index_codec.c). */
int index_aux_span_ok(const uint32_t o[2], uint64_t total, int n);
/* Record i of the n contexts of chunk `chunk` into out, read through the
 * blob handle *b (opened on the first call); 0 or -1 (index_context.c). */
int index_aux_read(sqlite3 *db, sqlite3_blob **b, int64_t chunk, int i, int n, fs_buf *out);

/* The text-gram filter being built (index_grams.c): chunks are added in
 * id order from 1; a full slab is written as it fills. 0 or -1 (an SQLite
 * error on db). */
typedef struct index_grams index_grams;
index_grams *index_grams_new(void);
int index_grams_add(index_grams *g, sqlite3 *db, const uint8_t *text, size_t len);
void index_grams_free(index_grams *g);

#endif

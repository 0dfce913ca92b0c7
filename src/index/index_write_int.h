/*
 * index_write_int.h: what the write side's two files share, for them only:
 * index_write.c (fs_writer: create, the add and set calls, decoders, live
 * files) and index_finish.c (index_writer_finish: chunks, full-text rows,
 * indexes, meta, the rename into place; index_writer_abort).
 */
#ifndef FS_INDEX_WRITE_INT_H
#define FS_INDEX_WRITE_INT_H

#include "index/index_int.h"

#include <sqlite3.h>
#include <stdio.h>

/* Open-addressing map from context hash to context id. */
typedef struct {
	uint64_t *keys;  /* hash, 0 = empty (hash 0 is remapped to 1) */
	int64_t *vals;   /* context id */
	size_t cap;      /* slots, a power of two */
	size_t used;     /* occupied slots */
} hashmap;

/* The writer's statements, by number (their SQL: index_writer_sql). */
enum {
	W_SAE, W_FEATURE, W_LABEL, W_STATS, W_CLUSTER, W_MAP, W_SOURCE, W_CONTEXT,
	W_CHUNK, W_EXAMPLE, W_INTERVAL, W_LOGIT, W_NEIGHBOUR, W_CLUSTERNODE,
	W_META, W_MASS, W_FTS, W_CTXROW, W_DESC, W_TABLE, W_EXPL, W_COUNT
};

/* The SQL of each W_* statement (index_write.c). */
extern const char *const index_writer_sql[W_COUNT];

/* An index being written. */
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
	index_grams *grams;        /* the chunks' text-gram filter (index_grams.c) */
	double *mass;              /* act_mass per fid (1-based) */
	int64_t *nex;              /* examples per fid */
	int64_t mass_cap;          /* capacity of mass/nex */
	uint8_t *scratch;          /* encoding buffer */
	size_t scratch_cap;        /* its size */
};

/* Write the rest of w->grams and its meta keys (index_grams.c); 0 or -1. */
int index_grams_finish(fs_writer *w);

/* Remember (on 1) or forget (on 0) a temporary file to remove if the
 * process is interrupted (SIGINT, SIGTERM, SIGHUP). */
void index_writer_track_tmp(char *p, int on);

/* Record the first error (what: its context) and fail the writer: -1. */
static inline int wfail(fs_writer *w, const char *what)
{
	if (!w->failed) {
		snprintf(w->err, sizeof w->err, "%s: %s: %s", w->path, what,
			 w->db ? sqlite3_errmsg(w->db) : "error");
		w->failed = 1;
	}
	return -1;
}

/* Statement i, prepared on first use; NULL once the writer failed. */
static inline sqlite3_stmt *wstmt(fs_writer *w, int i)
{
	if (w->failed)
		return NULL;
	if (!w->st[i] && sqlite3_prepare_v3(w->db, index_writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &w->st[i], NULL) != SQLITE_OK) {
		wfail(w, "prepare");
		return NULL;
	}
	return w->st[i];
}

/* Step s once and reset it; -1 (the writer failed) on an error. */
static inline int wstep(fs_writer *w, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return wfail(w, what);
	return 0;
}

#endif

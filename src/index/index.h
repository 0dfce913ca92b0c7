/*
 * index.h: the featscope index, one SQLite file (format described in
 * man/featscope-index.5). src/index/ is the only folder that speaks SQL to
 * an index: the read side (fs_index, opened read-only, used by the query
 * CLI, grep and the TUI) and the write side (fs_writer, used by the builder
 * and the importers; it writes a temporary file and renames it at the end).
 * Declarations are grouped by subject: records, opening and meta,
 * features, examples, contexts, chunks and the scan reader, logits and
 * neighbours, clusters, full-text search, writing, blob codecs. Which file
 * implements what: src/index/index_int.h.
 *
 * Identifiers: every feature has a global id (fid, 1-based) and a
 * (dictionary, index) pair; every context has an id (1-based) that is also
 * its rowid in the full-text table. Strings returned inside structs belong
 * to the struct and are released by the matching *_free function.
 */
#ifndef FS_INDEX_H
#define FS_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define FS_INDEX_VERSION 2
#define FS_HIST_BINS 32 /* bins in a stored activation histogram */

/* ---------------------------------------------------------------- records */

typedef struct {
	int id;               /* 1-based dictionary id */
	char *name;           /* unique short name, e.g. "demo" or "gpt2-l0" */
	char *model;          /* model name, may be "" */
	char *hook;           /* hook point, may be "" */
	int layer;            /* layer number, -1 when unknown */
	int d_model;          /* width of the decoder rows, 0 when unknown */
	int64_t n_features;   /* dictionary size */
	char *source_format;  /* "native", "saelens", "neuronpedia", ... */
} fs_sae;

typedef struct {
	int64_t id;           /* global feature id (fid) */
	int sae;              /* dictionary id */
	int64_t idx;          /* index within the dictionary */
	char *label;          /* explanation, "" when none */
	char *label_source;   /* "auto", "explanation", "import", ... */
	double density;       /* fraction of tokens on which it fires; <0 unknown */
	double max_act;       /* largest activation seen */
	double mean_act;      /* mean activation over tokens where it fires */
	double act_mass;      /* sum of activations over its stored examples */
	int64_t n_examples;   /* stored examples (all groups) */
	int64_t cluster;      /* leaf cluster node id, 0 when none */
	double map_x, map_y;  /* 2D map position; NaN when none */
	float hist_lo, hist_hi;          /* histogram range */
	uint32_t hist[FS_HIST_BINS];     /* counts, all zero when unknown */
} fs_feature;

/* An example: one feature's activations on one context. grp 0 holds the
 * top activations (rank 0 is the strongest); grp 1..n are quantile
 * intervals, lowest first; grp FS_GRP_RANDOM holds random positive
 * samples (contexts drawn uniformly among those where it fires). */
#define FS_GRP_RANDOM 1000
typedef struct {
	int64_t ctx;          /* context id */
	int grp;              /* 0 = top, else interval number */
	int rank;             /* order within the group */
	float max_act;        /* max activation on this context */
	int max_pos;          /* token position of max_act */
	int ntok;             /* number of tokens (length of acts) */
	float *acts;          /* activation per token, dense */
} fs_example;

typedef struct {
	int grp;              /* interval number (>= 1) */
	float lo, hi;         /* activation bounds of the interval */
	float frac;           /* share of the feature's activations inside, <0 unknown */
} fs_interval;

typedef struct {
	int64_t id;           /* context id */
	char *text;           /* raw bytes (may hold any byte, NUL-terminated) */
	int len;              /* bytes of text */
	int ntok;             /* tokens */
	uint32_t *tok_off;    /* ntok + 1 byte offsets; token i is [off[i], off[i+1]) */
	char *source;         /* where it came from, "" when unknown */
} fs_context;

typedef struct {
	char *token;          /* output token as text */
	float value;          /* logit effect */
} fs_logit;

typedef struct {
	int64_t fid;          /* the neighbouring feature */
	float cosine;         /* decoder cosine similarity */
} fs_neighbour;

typedef struct {
	int64_t id;           /* node id (1-based) */
	int64_t parent;       /* parent node id, 0 for a root */
	int sae;              /* dictionary */
	int depth;            /* 0 for roots */
	int64_t size;         /* features below this node */
	int64_t n_children;   /* child nodes */
	char *label;          /* label made from its members */
} fs_cluster;

/* ------------------------------------------------------ opening, meta */

typedef struct fs_index fs_index;

/* Open read-only. Checks the meta table (format and version) without
 * scanning any table. NULL with a one-line message in err when PATH is
 * missing, not SQLite, not a featscope index or of another version.
 * A connection is used by one thread at a time: a thread of its own
 * opens its own fs_index. */
fs_index *index_open(const char *path, char *err, size_t errlen);
/* "file:PATH?mode=ro&immutable=1", PATH percent-encoded: the URI of a
 * SQLite file read as it is, with no -wal or -shm beside it (the index's
 * connections, and the notes database where its folder cannot be written).
 * malloc'd. */
char *index_ro_uri(const char *path);
void index_close(fs_index *ix);
const char *index_path(const fs_index *ix);
/* A stable identity of the index (its meta 'uuid'), for notes. */
const char *index_uuid(const fs_index *ix);
/* Last SQLite error message, for reporting. */
const char *index_errmsg(const fs_index *ix);

/* Counts kept in meta at build time. */
int64_t index_n_features(const fs_index *ix);
int64_t index_n_contexts(const fs_index *ix);
int64_t index_n_examples(const fs_index *ix);
int64_t index_n_tokens(const fs_index *ix);   /* tokens seen while building */
/* Any meta value by key, NULL when absent (owned by the index). */
const char *index_meta(fs_index *ix, const char *key);

/* Dictionaries, loaded at open (a handful). i is 0-based. */
int index_n_saes(const fs_index *ix);
const fs_sae *index_sae(const fs_index *ix, int i);
const fs_sae *index_sae_by_id(const fs_index *ix, int id);
const fs_sae *index_sae_by_name(const fs_index *ix, const char *name);

/* -------------------------------------------------------------- features */

/* Feature names: "N" (in the only or first dictionary), "SAE/N", or "#FID"
 * for a global id. Returns the fid, or -1 with a message in err. */
int64_t index_resolve(fs_index *ix, const char *name, char *err, size_t errlen);
/* fid for (dictionary, index), -1 when absent. */
int64_t index_feature_id(fs_index *ix, int sae, int64_t idx);
/* Fill *f for fid; 0 on success, -1 when absent. */
int index_feature(fs_index *ix, int64_t fid, fs_feature *f);
/* The feature's description (malloc'd; free it), NULL when it has none
 * or the index predates the descriptions table. */
char *index_feature_description(fs_index *ix, int64_t fid);
void index_feature_free(fs_feature *f);
/* Position features: an automatic label (label_source "auto") that begins
 * FS_POSITION_PREFIX and a digit ("position 0 (first token of the
 * context)"), as the demo harvester names a feature that fires at the
 * first token(s) of its contexts whatever the character (see
 * featscope-index(5)). Rankings hide them by default, as BOS is hidden. */
#define FS_POSITION_PREFIX "position "
/* 1 when a label and its source mark a position feature (either may be NULL). */
int index_label_is_position(const char *label, const char *label_source);
/* 1 when feature fid is a position feature; 0 when not, or absent. */
int index_feature_is_position(fs_index *ix, int64_t fid);
/* "SAE/N" or "N" when there is a single dictionary; static buffer per call
 * site is not used: writes into out (at least 64 bytes). */
const char *index_feature_name(fs_index *ix, int64_t fid, char *out, size_t outlen);

/* Sorted, filtered paging through one dictionary's features (sae 0 = all).
 * filter: NULL/"" for none, else a case-insensitive substring of the label
 * or a feature number. Returns rows written to out (<= limit). */
typedef enum {
	FS_SORT_ID, FS_SORT_LABEL, FS_SORT_DENSITY, FS_SORT_MAXACT, FS_SORT_CLUSTER
} fs_sort;
int index_feature_page(fs_index *ix, int sae, fs_sort sort, int desc,
		       const char *filter, int64_t offset, int limit,
		       fs_feature *out);
int64_t index_feature_count(fs_index *ix, int sae, const char *filter);
/* The same count, stopping after cap + 1 rows where the filter scans the
 * labels (a filter read through the label trigrams is counted to the end:
 * it has few candidates): the list as you type. */
int64_t index_feature_count_upto(fs_index *ix, int sae, const char *filter, int64_t cap);
/* The same count among feature ids lo..hi-1 only (a count taken in steps:
 * the ids from 1 to index_feature_id_end), or -1. */
int64_t index_feature_count_ids(fs_index *ix, int sae, const char *filter, int64_t lo, int64_t hi);
/* One past the largest feature id (1 when there is none). */
int64_t index_feature_id_end(fs_index *ix);
/* Short filters in steps (the browser asks for them): from now on a
 * filter that the trigrams cannot serve (1 or 2 characters, or an index
 * without label_tri) and that few of the first labels match is no longer
 * a scan of every label at each call: the functions here answer from the
 * matches its scan has found so far, and index_filter_step reads on. */
void index_filter_steps(fs_index *ix);
/* 1 while filter's scan has labels left to read (*done, when not NULL:
 * the fraction read), else 0. */
int index_filter_pending(fs_index *ix, const char *filter, double *done);
/* Read on in filter's scan for about `seconds`: 1 when it read some, 0
 * when there was nothing to read, -1 on an error (from then on filters
 * are read by whole scans again). */
int index_filter_step(fs_index *ix, const char *filter, double seconds);
/* The user's own labels and tags of n features (from the notes database;
 * kept in a TEMP table of this connection, the index file is not
 * written): from then on the filter of the functions here also matches
 * them, and the label order sorts a feature by its own label where it
 * has one. n 0 drops them. 0 ok, -1 on error. */
int index_set_user_labels(fs_index *ix, int n, const int64_t *fids, const char *const *labels,
			  const char *const *tags);
/* Keyset paging through the same order as index_feature_page: up to limit
 * rows after (dir > 0) or before (dir < 0) the row `at`, or the first
 * (dir > 0) / last (dir < 0) rows when at is NULL; always in list order.
 * Its cost does not grow with the position in the list. */
int index_feature_page_at(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			  const fs_feature *at, int dir, int limit, fs_feature *out);
/* The position of fid in that order (rows before it), -1 when it is not
 * in the list (another dictionary, filtered out, absent). */
int64_t index_feature_rank(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			   int64_t fid);
/* act_mass and dictionary id of every feature, indexed by fid: *mass and
 * *sae get *nfid = (largest fid + 1) entries (malloc'd; unused slots 0).
 * 0 on success, -1 on error. */
int index_feature_masses(fs_index *ix, int64_t *nfid, double **mass, int **sae);

/* -------------------------------------------------- examples, intervals */

/* All examples of a feature, group then rank order. *out is malloc'd;
 * free with index_examples_free. Returns the count, -1 on error. */
int index_examples(fs_index *ix, int64_t fid, fs_example **out);
void index_examples_free(fs_example *ex, int n);
/* One feature's activations on one context (ntok values); 0 when it has an
 * example there, -1 when not. */
int index_example_acts(fs_index *ix, int64_t fid, int64_t ctx, float *acts, int ntok);
/* The distinct contexts a feature has stored examples on, ascending;
 * *out is malloc'd (NULL when none). Returns the count, -1 on error. */
int index_feature_contexts(fs_index *ix, int64_t fid, int64_t **out);
/* Quantile interval bounds of a feature. */
int index_intervals(fs_index *ix, int64_t fid, fs_interval **out);
/* The one axis of a feature's histogram (CLI and browser alike): from the
 * first bin's start to the end of the last bin with a count, *lo..*hi.
 * Returns that many bins, 0 when the histogram is unknown. */
int index_hist_extent(const fs_feature *f, double *lo, double *hi);
/* The share of a feature's firing tokens whose activation lies in lo..hi,
 * read off its whole histogram (bins cut by the bounds count in
 * proportion). -1 when the histogram is unknown. */
double index_hist_share(const fs_feature *f, double lo, double hi);

/* -------------------------------------------------------------- contexts */

int index_context(fs_index *ix, int64_t ctx, fs_context *c);
void index_context_free(fs_context *c);
/* Features with an example on a context, strongest first. */
typedef struct {
	int64_t fid;          /* the feature */
	float max_act;        /* its largest activation on the context */
	int max_pos;          /* the token where it is */
} fs_ctx_feature;
int index_context_features(fs_index *ix, int64_t ctx, int limit, fs_ctx_feature **out);

/* ------------------------------------------------ chunks, the scan reader */

/* Context text is stored in chunks of concatenated texts (for fast scans).
 * Chunk ids are 1..index_n_chunks. Contexts of a chunk are consecutive ids
 * first..first+n-1. Every text is followed by one NUL byte, so context i
 * spans bytes [off[i], off[i + 1] - 1) of the chunk (off has n + 1 entries;
 * off[n] == len). */
typedef struct {
	int64_t id;           /* chunk id */
	int64_t first_ctx;    /* id of its first context */
	int n;                /* contexts in it */
	const char *text;     /* the chunk bytes */
	size_t len;           /* bytes */
	uint32_t *off;        /* n + 1 offsets into text */
} fs_chunk;
int64_t index_n_chunks(const fs_index *ix);
int index_chunk(fs_index *ix, int64_t id, fs_chunk *ch);
void index_chunk_free(fs_chunk *ch);
/* Bytes of text in all chunks (NUL separators included), -1 on error. */
int64_t index_text_bytes(fs_index *ix);
/* The chunks that may hold the n bytes of str (a caseless search folds
 * case as PCRE2 does), from the index's text-gram filter (index_grams.c):
 * 1 with *may a bitmap (malloc'd) over chunks 1..*nch, bit (id - 1) % 8
 * of byte (id - 1) / 8 set when chunk id may hold it (chunks past *nch
 * are not covered: read them); 0 when there is no filter to use (an index
 * written without one, a string with no gram the filter can use, an
 * unreadable table): read every chunk. */
int index_text_candidates(fs_index *ix, const char *str, size_t n, int caseless,
			  uint8_t **may, int64_t *nch);

/* The scan's reader (grep's workers, one per thread and fs_index) of
 * chunks and of matched contexts' token boundaries and examples, with its
 * statements prepared once; close it before closing ix. */
typedef struct index_ctx_reader index_ctx_reader;
index_ctx_reader *index_ctx_reader_open(fs_index *ix);
void index_ctx_reader_close(index_ctx_reader *r);
/* Chunk id read into buffers the reader keeps (no allocation once they
 * are large enough): the result is valid until the next call or close.
 * NULL when absent or damaged. */
const fs_chunk *index_ctx_reader_chunk(index_ctx_reader *r, int64_t id);
/* Chunks this reader read straight from its own map of the file rather
 * than through SQLite (which it does for rows that spill off their page,
 * files it cannot vouch for, and always when FEATSCOPE_SQLITE_READS is
 * set). For tests and benchmarks. */
int64_t index_ctx_reader_direct(const index_ctx_reader *r);
/* Token boundaries of context ctx without its text; textlen is the text's
 * byte length (from its chunk). *off gets ntok + 1 entries (malloc'd).
 * Returns ntok, -1 when absent or corrupt. */
int index_ctx_reader_toks(index_ctx_reader *r, int64_t ctx, uint32_t textlen, uint32_t **off);
/* Every stored example on context ctx (whose tokens number ntok):
 * fn(ud, fid, acts, ntok) for each, acts dense and valid during the call.
 * Returns the count, -1 on error. */
typedef void (*index_example_fn)(void *ud, int64_t fid, const float *acts, int ntok);
int index_ctx_reader_examples(index_ctx_reader *r, int64_t ctx, int ntok,
			      index_example_fn fn, void *ud);

/* ------------------------------------------------- logits, neighbours */

/* Tables an input gave with a feature (SAEDashboard / Neuronpedia), by
 * kind: "corr_feature" (other: a feature index in the same dictionary,
 * value: Pearson correlation, aux: the l1 figure), "corr_neuron" and
 * "neuron_align" (other: a neuron index, value: Pearson / alignment, aux:
 * l1), "logits_hist" (value: bar centre, aux: bar height). */
typedef struct {
	int rank;             /* order as the input gave it */
	int64_t other;        /* feature or neuron index (0 for a histogram bar) */
	double value;         /* the figure */
	double aux;           /* the second figure, NaN when none */
} fs_table_row;
/* Rows of one kind, in rank order; *out malloc'd (free()). 0 when none or
 * the index predates the table. */
int index_feature_table(fs_index *ix, int64_t fid, const char *kind, fs_table_row **out);

/* Explanations of a feature (several per feature, each with where it came
 * from and its scores), best score first, unscored last. */
typedef struct {
	char *text;           /* the explanation */
	char *source;         /* its file or export ("neuronpedia", "delphi", ...) */
	char *model;          /* the explainer model, "" when unknown */
	char *type;           /* the kind of explanation (typeName), "" when unknown */
	double score;         /* the best of its scores, NaN when unscored */
	char *scores;         /* every score as "name value, ...", "" when none */
} fs_explanation;
int index_explanations(fs_index *ix, int64_t fid, fs_explanation **out);
void index_explanations_free(fs_explanation *e, int n);

/* Logit effects: sign +1 for the top positive, -1 for the top negative.
 * They are the direct path (the decoder row through the unembedding), so
 * a dictionary in the middle of a model skips the blocks after it; the
 * front ends say so under them in these words. */
#define FS_LOGITS_NOTE "direct path: decoder row through the unembedding, later blocks not applied"

int index_logits(fs_index *ix, int64_t fid, int sign, fs_logit **out);
void index_logits_free(fs_logit *l, int n);

/* Nearest neighbours by decoder cosine in dictionary other_sae (0: the
 * feature's own). At most k. */
int index_neighbours(fs_index *ix, int64_t fid, int other_sae, int k,
		     fs_neighbour **out);

/* ---------------------------------------------------------- cluster tree */

/* Children of a node (parent 0: the roots of dictionary sae), one node,
 * and the features directly in a node. */
int index_cluster_children(fs_index *ix, int sae, int64_t parent, fs_cluster **out);
int index_cluster(fs_index *ix, int64_t node, fs_cluster *c);
void index_clusters_free(fs_cluster *c, int n);
int index_cluster_features(fs_index *ix, int64_t node, int64_t **fids);

/* ------------------------------------------------------ full-text search */

/* FTS5 query syntax. Context ids in rowid order, and fids whose label
 * matches. */
int index_search_contexts(fs_index *ix, const char *query, int limit, int64_t **ctx);
int index_search_labels(fs_index *ix, const char *query, int limit, int64_t **fids);
/* The search every front end runs: the query as FTS5 syntax and, when it
 * is not valid syntax, as one phrase (quotes doubled). labels: fids whose
 * label or explanation matches, else context ids. *phrase (may be NULL)
 * is set to 1 when the phrase form was used. Count, -1 on error. */
int index_search(fs_index *ix, int labels, const char *query, int limit, int64_t **out, int *phrase);

/* ------------------------------------------------------------ live model */
/* The model and dictionaries an index was made with (table live_files):
 * files named relative to the index's folder and checked by the XXH3-64
 * of their bytes (src/live/session.c). Read in index_read.c, written by
 * index_attach in index_write.c. */
typedef struct {
	char *role;           /* "model" or "sae" */
	char *name;           /* "" for the model, else the dictionary's name in saes */
	char *file;           /* file name, found beside the index */
	char *xxh3;           /* 16 lowercase hex digits of XXH3-64 of the file */
	int64_t bytes;        /* file size */
	char *hook;           /* the dictionary's hook point ("mlp_hidden.1"), "" for the model */
} fs_live_file;
/* Rows of live_files in (role, name) order into *out (malloc'd); 0 when the
 * index has no model attached, -1 on error (message in err). */
int index_live_files(fs_index *ix, fs_live_file **out, char *err, size_t errlen);
void index_live_files_free(fs_live_file *f, int n);
/* Replace the attached files of the index at path with files[0..n), in
 * place, in one transaction (all or nothing: a few rows, so no copy of
 * the whole file is made). 0 ok, -1 with a message. */
int index_attach(const char *path, const fs_live_file *files, int n, char *err, size_t errlen);

/* ------------------------------------------------------------ write side */

typedef struct fs_writer fs_writer;

/* Start an index that will become PATH. Writes to a temporary file beside
 * it; nothing appears at PATH until index_writer_finish succeeds. On failure
 * errno says why: EIO (or ENOSPC, EFBIG, EDQUOT) for a file that could
 * not be written, anything else for a path that cannot be created. */
fs_writer *index_writer_create(const char *path, char *err, size_t errlen);
/* Returns the new dictionary id (>0), -1 on error (name taken). */
int index_writer_add_sae(fs_writer *w, const fs_sae *s);
/* Set a dictionary's size (and d_model when > 0) once an importer knows it. */
int index_writer_set_sae_size(fs_writer *w, int sae, int64_t n_features, int d_model);
/* Returns the fid. Uses f->sae, idx, label, label_source, density, max_act,
 * mean_act, cluster, map_x/map_y, hist*. act_mass and n_examples are
 * computed by the writer from the examples added. */
int64_t index_writer_add_feature(fs_writer *w, const fs_feature *f);
/* Update a feature's label / stats after the fact. */
int index_writer_set_label(fs_writer *w, int64_t fid, const char *label, const char *source);
int index_writer_set_stats(fs_writer *w, int64_t fid, const fs_feature *f);
/* A feature's longer description (the statistics behind an automatic
 * label, whose short name is the label); table descriptions. */
int index_writer_set_description(fs_writer *w, int64_t fid, const char *text);
int index_writer_set_cluster(fs_writer *w, int64_t fid, int64_t node);
int index_writer_set_map(fs_writer *w, int64_t fid, double x, double y);
/* Store a context once (deduplicated by xxh3 of its text and token
 * boundaries); returns its id. tok_off has ntok + 1 entries. */
int64_t index_writer_add_context(fs_writer *w, const char *text, size_t len,
			   const uint32_t *tok_off, int ntok, const char *source);
/* acts: ntok dense values (stored sparsely as f16). max_act and max_pos
 * are the strongest token's. */
int index_writer_add_example(fs_writer *w, int64_t fid, int grp, int rank,
		       int64_t ctx, const float *acts, int ntok);
/* The same with the example's key token (the token the input picked the
 * example for): max_pos is key and max_act its activation; key < 0: the
 * strongest token. */
int index_writer_add_example_at(fs_writer *w, int64_t fid, int grp, int rank,
			  int64_t ctx, const float *acts, int ntok, int key);
int index_writer_add_interval(fs_writer *w, int64_t fid, const fs_interval *iv);
int index_writer_add_logit(fs_writer *w, int64_t fid, int sign, int rank,
		     const char *token, float value);
int index_writer_add_neighbour(fs_writer *w, int64_t fid, int other_sae, int rank,
			 int64_t other_fid, float cosine);
/* A row of one of a feature's tables (index_feature_table); aux NaN: none. */
int index_writer_add_table_row(fs_writer *w, int64_t fid, const char *kind, int rank, int64_t other,
			 double value, double aux);
/* One explanation of a feature (score NaN: unscored); the feature's label
 * is set apart with index_writer_set_label. */
int index_writer_add_explanation(fs_writer *w, int64_t fid, const fs_explanation *e);
/* Returns the node id. */
int64_t index_writer_add_cluster(fs_writer *w, int sae, int64_t parent, int depth,
			   int64_t size, const char *label);
int index_writer_set_meta(fs_writer *w, const char *key, const char *value);
/* Tokens seen while building (for density). */
void index_writer_count_tokens(fs_writer *w, int64_t n);
/* Build secondary indexes and full-text tables, write meta, commit, and
 * rename into place. 0 on success; on failure the temporary file is gone. */
int index_writer_finish(fs_writer *w, char *err, size_t errlen);
/* Give up: remove the temporary file. */
void index_writer_abort(fs_writer *w);
const char *index_writer_errmsg(fs_writer *w);

/* ----------------------------------------------------------- blob codecs */

/* Per-token activation blob codec (exposed for tests and fuzzing):
 * sparse (varint gap, f16 value) pairs. */
size_t index_acts_encode(const float *acts, int ntok, uint8_t *out);  /* out >= ntok*5 bytes */
int index_acts_decode(const uint8_t *p, size_t n, float *acts, int ntok); /* 0 ok, -1 bad */
/* A context's examples (in its chunk's aux record): per example, in
 * (feature, grp, rank) order, a varint feature id delta, a varint max_pos,
 * the f32 max_act (little-endian) and a varint length followed by its acts
 * blob. */
typedef struct {
	int64_t fid;          /* feature */
	float max_act;        /* its largest activation on the context */
	int max_pos;          /* the token where it is */
	const uint8_t *acts;  /* acts blob (index_acts_decode), inside the ex blob */
	size_t nacts;         /* its bytes */
} fs_ex_entry;
void index_ex_put(fs_buf *b, int64_t fid_delta, float max_act, int max_pos,
	    const void *acts, size_t nacts);
/* The next entry at *at (advanced); *fid carries the running feature id
 * (start at 0). 1: got one, 0: the end, -1: damaged. */
int index_ex_next(const uint8_t *p, size_t n, size_t *at, int64_t *fid, fs_ex_entry *e);
/* Token boundary codec: varint token byte lengths. */
size_t index_toks_encode(const uint32_t *off, int ntok, uint8_t *out); /* out >= ntok*5 */
int index_toks_decode(const uint8_t *p, size_t n, uint32_t *off, int ntok, uint32_t textlen);

/* ---- compare ---- */
/* Store dictionary sae's decoder (n rows of width d, f32 in, f16 kept) in
 * the optional decoders table. 0, -1 on a write error. */
int index_writer_add_decoder(fs_writer *w, int sae, const float *W, int64_t n, int d);
/* The stored decoder of dictionary sae: *W gets n x *d values (malloc'd).
 * Returns n, 0 when the index stores none for it, -1 when damaged. */
int64_t index_decoder(fs_index *ix, int sae, int *d, float **W);
/* The number of decoder rows stored for dictionary sae (0 when none) and
 * their width in *d, without reading the rows. */
int64_t index_decoder_rows(fs_index *ix, int sae, int *d);
/* Every context's stored hash (of its text and token boundaries), indexed
 * by context id: *h gets *n entries (malloc'd; 0 where no context). 0, -1
 * on error. */
int index_context_hashes(fs_index *ix, int64_t *n, uint64_t **h);

/* ---- co-firing: exact counts from the harvest (build --cofire) ----
 * The optional cofire table: per feature the tokens where it fires and its
 * partners in other dictionaries with the tokens where both fire, counted
 * over every harvested token. A partner: */
typedef struct {
	int64_t fid;          /* the other feature (global id) */
	int64_t both;         /* tokens where both fire */
} fs_cofire;
/* Store fid's counts: fires, and n partners (any order; fids distinct, not
 * fid). 0, -1 on a write error. */
int index_writer_add_cofire(fs_writer *w, int64_t fid, int64_t fires, const fs_cofire *p, int n);
/* Whether the index holds co-firing counts (an older index, or one built
 * without --cofire, holds none). */
int index_has_cofire(fs_index *ix);
/* fid's counts: *fires, and its partners (*p malloc'd, *n of them, by fid).
 * 1 when stored, 0 when not (no table, or no row for fid), -1 damaged. */
int index_cofire(fs_index *ix, int64_t fid, int64_t *fires, fs_cofire **p, int *n);
/* The shard state of feature fid (harvest --shard; merge reads it): an
 * opaque blob the builder encodes (build_acc.c). The table is created on
 * the first write. 1 and *blob (malloc'd, *n bytes), 0 when the index has
 * none, -1 on a read error. */
int index_writer_add_shard_state(fs_writer *w, int64_t fid, const uint8_t *blob, size_t n);
int index_shard_state(fs_index *ix, int64_t fid, uint8_t **blob, size_t *n);

/* ---- identity of the open file (index_identity.c) ---- */

/* What index_file_changed finds. */
enum {
	INDEX_SAME = 0,     /* the path names the file ix opened, unchanged */
	INDEX_REPLACED = 1, /* another file renamed over the path (a rebuild),
	                       or the path removed: ix still reads the file it
	                       opened, whole */
	INDEX_MODIFIED = 2, /* the file ix opened changed in place (copied
	                       over, truncated, written): what ix reads is no
	                       longer what it opened; open it again */
};
/* Whether the file at ix's path is still the one ix reads: INDEX_* (a
 * stat), with a short reason in why when it is not INDEX_SAME. */
int index_file_changed(fs_index *ix, char *why, size_t whylen);
/* Reads of ix through read() from now on, never through a memory map
 * (SQLite's, or the scan reader's own): for a long-lived reader (the
 * browser), where a file truncated under a map would kill the process
 * with SIGBUS; a truncated file then gives read errors instead. */
void index_read_unmapped(fs_index *ix);
/* Two connections read the same index: the same file (device, inode,
 * size, mtime) and the same uuid in meta. Connections opened again by
 * path (grep's workers) must pass this before their results are mixed
 * with the first one's. */
int index_same_file(fs_index *a, fs_index *b);

#endif

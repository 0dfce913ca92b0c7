/*
 * import_int.h: the inside of the importers (not for other modules). The
 * reader table: each format is one imp_reader (name, how to recognise it,
 * how to read it) defined in its read_*.c file and listed once in
 * IMP_READERS below. Then the toolkit every reader shares (toolkit.c), the
 * rows Neuronpedia and SAEDashboard share (np_rows.c) and the streaming
 * JSON scanner (json_scan.c). Adding a format touches three places: its
 * read_NAME.c, its IMP_READERS line in import.h and src/import/import.am.
 */
#ifndef FS_IMPORT_INT_H
#define FS_IMPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "import/import.h"
#include "index/index.h"
#include "core/jscan.h"
#include "tok/tokens.h"

/* ------------------------------------------------------- the readers */

typedef struct imp_state imp_state;

/* What detection knows of an input before it picks a reader. */
typedef struct {
	const char *path;     /* the input */
	const char *base;     /* its last path component */
	int is_dir;           /* a folder */
	const char *head;     /* a file's first bytes (gunzipped), NUL-terminated */
	size_t n;             /* bytes in head */
	char top;             /* first non-blank byte of a file ('{', '[', ...), 0 none */
	int json_doc;         /* the head is the start of well-formed JSON */
	int line1_object;     /* the first line alone is a complete JSON object */
	char **keys;          /* top-level keys of a JSON object, as far as head goes */
	int nkeys;            /* their count */
	char **elem_keys;     /* keys of the first element of a top-level array */
	int n_elem_keys;      /* their count */
} imp_sniff;
/* Whether the object (elem: the first array element) has KEY. */
int imp_sniff_has(const imp_sniff *s, const char *key);
int imp_sniff_elem_has(const imp_sniff *s, const char *key);
/* Fill keys/elem_keys/json_doc/line1_object from head (json_scan.c). */
void imp_sniff_json(imp_sniff *s);
void imp_sniff_free(imp_sniff *s);
/* Folder helpers for sniffing: a file (want_dir 0) or folder inside dir;
 * entries of dir (and its subfolders down to depth) whose name match()
 * accepts. */
int imp_exists_in(const char *dir, const char *name, int want_dir);
int imp_dir_count(const char *dir, int (*match)(const char *name), int depth);

/* One format. sniff: 0 not this format, 1 its shape (file name, folder
 * layout), 2 its content (top-level keys). */
typedef struct {
	const char *name;                 /* --from name and source_format */
	const char *alias;                /* another accepted --from name, or NULL */
	const char *expect;               /* what its input looks like, for messages */
	int (*sniff)(const imp_sniff *s); /* recognise an input */
	int (*read)(imp_state *st, const char *path); /* read it (0, or -1 with err) */
} imp_reader;

/* The table (IMP_READERS, in import.h): each reader is imp_reader_NAME,
 * defined in read_NAME.c. */
#define IMP_DECLARE(n, name) extern const imp_reader imp_reader_##n;
IMP_READERS(IMP_DECLARE)
#undef IMP_DECLARE

/* ------------------------------------------------------- the toolkit */

/* A pending neighbour, resolved once all features exist. */
typedef struct {
	int64_t fid;      /* feature that has the neighbour */
	int64_t other;    /* neighbour's index in the same dictionary */
	int rank;         /* order, 0 nearest */
	float cosine;     /* decoder cosine */
} imp_nb;

/* One example waiting for its feature's groups to be numbered. */
typedef struct {
	double bin_min;    /* -1: top group; else the interval's lower bound */
	double bin_max;    /* interval's upper bound */
	double bin_frac;   /* share inside the interval, <0 unknown */
	float max_act;     /* activation on the key token (ranks the example) */
	int key;           /* key token: the input's, else the strongest */
	int fires;         /* some token's activation is above zero */
	int64_t ctx;       /* context id (already written) */
	int ntok;          /* tokens */
	float *acts;       /* ntok activations */
	int order;         /* arrival order, to keep sorting stable */
} imp_ex;

/* State of one import run, shared by import.c, the toolkit and a reader. */
struct imp_state {
	fs_writer *w;            /* where everything goes */
	const char *path;        /* the input (file or folder) */
	const import_opts *o;    /* options */
	char *err;               /* caller's error buffer */
	size_t errlen;           /* its size */
	int runtime;             /* set when a writer call failed (exit 1, not 2) */
	int sae;                 /* dictionary id, 0 until imp_add_sae */
	int64_t *fid_of;         /* fid by feature index (0: none) */
	int64_t n_fid;           /* entries in fid_of */
	imp_nb *nb;              /* deferred neighbours */
	size_t n_nb, cap_nb;     /* count and capacity */
	imp_ex *ex;              /* examples of the feature being collected */
	int n_ex, cap_ex;        /* count and capacity */
	int64_t ex_idx;          /* feature index the pending examples belong to, -1 none */
	int32_t *top_next;       /* per feature index: next rank in the top group (rows
	                          * of a feature that come back later continue) */
	int32_t *grp_next;       /* per feature index: next interval number */
	tok_ctx ctx;             /* scratch for building contexts */
	tok_vocab vocab;         /* loaded vocabulary (n == 0 when none) */
	int64_t n_features;      /* features added */
	int64_t max_idx;         /* largest feature index added, -1 none */
	char *sae_name;          /* the dictionary's name */
	fs_buf vec;              /* decoder rows given with the features ("vector"), f32 */
	int64_t *vec_fid;        /* fid of each row */
	int64_t n_vec, cap_vec;  /* rows and capacity */
	int vec_d;               /* their width (0 none yet, -1 widths disagree) */
	int64_t sae_size;        /* n_features the reader gave the dictionary, 0 unknown */
	int64_t n_examples;      /* examples added */
	double *best;            /* per feature index: score of its label's explanation
	                          * (NaN none yet, -inf unscored) */
	int64_t n_best;          /* entries in best */
	double *hist_c, *hist_h; /* histogram of feature hist_idx (imp_hist_keep) */
	int n_hist;              /* its bars */
	int64_t hist_idx;        /* whose it is, -1 none */
	double t0;               /* start time, for progress */
};

/* Errors: "FILE:LINE: FIELD: message" (line <= 0: "FILE: FIELD: ...").
 * Returns -1. */
int imp_bad(imp_state *st, const char *file, long line, const char *field, const char *fmt, ...)
	FS_PRINTF(5, 6);
/* A writer call failed: message from the writer, marks a runtime error. */
int imp_wfail(imp_state *st, const char *what);

/* Create the dictionary (name from the options when given). */
int imp_add_sae(imp_state *st, fs_sae *s);
/* Add feature idx (f->sae and f->idx are filled in); returns the fid or -1.
 * A second call for the same index returns the first fid. */
int64_t imp_feature(imp_state *st, int64_t idx, fs_feature *f);
/* fid of idx, 0 when absent. */
int64_t imp_fid(const imp_state *st, int64_t idx);
/* A feature with default (unknown) statistics. */
void imp_feature_init(fs_feature *f);
/* A feature's decoder row as the input gives it ("vector"); at the end
 * they go to the geometry step when the input had no neighbours of its
 * own. */
void imp_vector(imp_state *st, int64_t fid, const double *v, size_t n);
/* Queue a neighbour (resolved in imp_finish). */
void imp_neighbour(imp_state *st, int64_t fid, int rank, int64_t other_idx, float cosine);

/* Store a context from token strings (lens may be NULL) and return its id,
 * -1 on writer failure. The spelling follows o->tok_mode. */
int64_t imp_context(imp_state *st, const char *const *toks, const size_t *lens, int ntok,
		    const char *source);
/* The same from a context already built (tok_ctx_build with o->tok_mode;
 * a worker process builds it, see jobs.c). */
int64_t imp_context_text(imp_state *st, const tok_ctx *c, const char *source);
/* The same from token ids through the vocabulary ("<id>" when none). */
int64_t imp_context_ids(imp_state *st, const int64_t *ids, int ntok, const char *source);
/* Its context built into c, nothing written (a worker process's part). */
void imp_ids_ctx(const imp_state *st, const int64_t *ids, int ntok, tok_ctx *c);
/* Text of one token id through the vocabulary, decoded (malloc'd). */
char *imp_token_text(imp_state *st, int64_t id);
/* Decode one token string for display (logit tables), malloc'd. */
char *imp_token_str(imp_state *st, const char *tok);

/* Collect an example of feature idx (added already; flushes the previous
 * feature's examples when idx changes). bin_min -1 marks the top group.
 * key: the example's key token (the input's qualifying token), -1 for the
 * strongest; its activation ranks the example and is its max_act. */
int imp_example(imp_state *st, int64_t idx, double bin_min, double bin_max, double bin_frac,
		int64_t ctx, const float *acts, int ntok, int key);
/* Write the pending examples: top group by key activation, then one
 * interval per distinct bin_min, lowest first. Samples that do not fire
 * (all values zero) and repeats of a window with the same key token in
 * one group are left out. */
int imp_flush_examples(imp_state *st);

/* Keep feature idx's histogram (bar centres, heights) for the share of
 * firing contexts in each of its intervals (flushes the examples of the
 * feature before). 0 or -1. */
int imp_hist_keep(imp_state *st, int64_t idx, const double *centres, const double *heights, int n);
/* Rebin a histogram given by bar centres and heights into f->hist. */
void imp_hist(fs_feature *f, const double *centres, const double *heights, int n);

/* Release what a run holds (import_run calls it). */
void imp_state_free(imp_state *st);
/* Resolve neighbours, flush examples. 0 or -1. */
int imp_finish(imp_state *st);

/* Progress of the read (st->o->progress, core/progress.h): what, done of
 * total (total <= 0: unknown), the features and examples so far. */
void imp_progress(imp_state *st, const char *what, int64_t done, int64_t total);

/* One explanation of feature idx (fid): stored with where it came from,
 * its explainer model and type (NULL: unknown), its best score (NaN:
 * unscored) and every score as text; the best-scored one, else the
 * first, is the feature's label. 0 or -1. */
int imp_explanation(imp_state *st, int64_t idx, int64_t fid, const char *text, const char *source,
		    const char *model, const char *type, double score, const char *scores);

/* Typed fields, the one place that turns a JSON value into a number:
 * absent or null leaves *out as it is and returns 0, a value of the type
 * returns 1, anything else is an error "FILE:LINE: KEY: not a number"
 * (not an integer, not a string) and returns -1. Numbers may be written
 * as strings ("12"); "x" is refused, never read as 0. */
int imp_field_num(imp_state *st, json_t *obj, const char *key, double *out, const char *file, long line);
int imp_field_int(imp_state *st, json_t *obj, const char *key, int64_t *out, const char *file, long line);
int imp_field_str(imp_state *st, json_t *obj, const char *key, const char **out, const char *file,
		  long line);

/* JSON helpers: number (int or real) of key, NAN when absent/not a number. */
double imp_jnum(json_t *obj, const char *key);
/* Numbers of a JSON array into a malloc'd array (*n entries); -1 when it is
 * not an array of numbers (a null element becomes 0). */
int imp_jnums(json_t *arr, double **out, size_t *n);
/* Read a whole JSON document (gzip or plain); NULL with err set. */
json_t *imp_load_json(imp_state *st, const char *path);

/* Neuronpedia-style rows (np_rows.c; Neuronpedia and SAEDashboard).
 * The feature index from key (a number or a numeric string), -1 on error. */
int64_t imp_np_index(imp_state *st, json_t *row, const char *key, const char *file, long line);
/* Add feature idx from a row's statistics fields (frac_nonzero, histogram,
 * pos/neg logits, topkCosSim neighbours, umap); max_act when the row has no
 * maxActApprox (NAN: none). Returns the fid or -1. */
int64_t imp_np_feature(imp_state *st, json_t *row, int64_t idx, double max_act,
		       const char *file, long line);
/* One of a feature's tables (fs_table_row in index.h) from parallel arrays
 * of obj: ikey indices (NULL: none, a histogram), vkey values, akey second
 * figures (NULL or absent: none). Absent arrays add nothing. 0 or -1. */
int imp_table(imp_state *st, int64_t fid, json_t *obj, const char *kind, const char *ikey, const char *vkey,
	      const char *akey, const char *file, long line);
/* Correlated features and neurons and neuron alignment (snake_case keys
 * as SAEDashboard, Neuronpedia and sae_vis write them). 0 or -1. */
int imp_tables(imp_state *st, int64_t fid, json_t *obj, const char *file, long line);
/* One example from a row's tokens[] and values[]; its bin and key token
 * (-1 or absent: none) under the given keys. */
int imp_np_example(imp_state *st, int64_t idx, json_t *row, const char *bmin_key,
		   const char *bmax_key, const char *bfrac_key, const char *key_key,
		   const char *source, const char *file, long line);

/* The example of imp_np_example once its arrays are read (the Neuronpedia
 * row scanner calls it directly); NAN bounds: the top group. */
int imp_np_example_core(imp_state *st, int64_t idx, const char *const *ts, const size_t *ls,
			const float *acts, int nt, double bmin, double bmax, double bfrac,
			int key, const char *source);

/* The same from a context built already (imp_context_text). */
int imp_np_example_ctx(imp_state *st, int64_t idx, const tok_ctx *c, const float *acts, int nt, double bmin,
		       double bmax, double bfrac, int key, const char *source);

/* The validating JSON scanner (core/jscan.h) under the importers' names.
 * Functions return 0, or -1 on anything they do not accept (the caller then
 * falls back to jansson, which gives the precise message). */
typedef jscan imp_scan;
static inline void imp_scan_ws(imp_scan *c) { jscan_ws(c); }
static inline int imp_scan_string(imp_scan *c, int keep) { return jscan_string(c, keep); }
static inline int imp_scan_number(imp_scan *c, double *v) { return jscan_number(c, v); }
static inline int imp_scan_lit(imp_scan *c, const char *w) { return jscan_lit(c, w); }
static inline int imp_scan_skip(imp_scan *c, int depth) { return jscan_skip(c, depth); }

/* Walk a big single-document JSON file (.gz or plain, plain files are
 * mapped): every top-level member but BIG is parsed into a jansson object
 * (top); the members of BIG (array elements, or an object's values with
 * their keys) are parsed one at a time and given to fn with their 1-based
 * line (0 when unknown). Memory: the text plus one element. *found tells
 * whether BIG was there; *top_out (may be NULL) receives top, which the
 * caller releases. 0, or -1 with err set (syntax error with its line, or
 * fn's error). */
typedef int (*imp_elem_fn)(imp_state *st, void *ctx, json_t *top, size_t i, const char *key,
			   json_t *elem, long line);
int imp_json_stream(imp_state *st, const char *path, const char *big, imp_elem_fn fn, void *ctx,
		    json_t **top_out, int *found);

/* ------------------------------------------------- worker processes */

/* An input's files read by worker processes (jobs.c, --jobs): fn(ctx, i,
 * out) writes file i's records to out (0, or -1 to stop the worker); the
 * parent reads file i's records from imp_jobs_stream(j, i), files in
 * order, each to its end, so that it meets them as one process would. */
typedef struct imp_jobs imp_jobs;
typedef int (*imp_job_fn)(void *ctx, int i, FILE *out);
/* Start min(workers, nfiles) workers; NULL with err set. */
imp_jobs *imp_jobs_start(int workers, int nfiles, imp_job_fn fn, void *ctx, char *err, size_t errlen);
FILE *imp_jobs_stream(imp_jobs *j, int i);
/* Exactly n bytes from / to a stream: 0, or -1 (end of stream or error). */
int imp_jobs_get(FILE *f, void *p, size_t n);
int imp_jobs_put(FILE *f, const void *p, size_t n);
/* Close the pipes and wait for the workers (early: stop them first).
 * -1 when one did not finish well (not counted when early). */
int imp_jobs_stop(imp_jobs *j, int early);

#endif

/*
 * import.h: reading what other interpretability tools write (SAELens
 * folders, Neuronpedia exports, SAEDashboard batches, sae_vis JSON, delphi
 * latent caches, OpenAI sae-viewer JSON) into an index through fs_writer.
 * The builder (build.c) calls import_detect and import_run once per input;
 * each input becomes one dictionary. The second half of this header is the
 * toolkit the readers (src/read_*.c) share: it is not for other modules.
 */
#ifndef FS_IMPORT_H
#define FS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "index/index.h"
#include "core/tokens.h"

/* Formats, in the order import_detect tries them. */
typedef enum {
	IMPORT_NONE = 0,
	IMPORT_SAELENS,      /* folder: cfg.json + sae_weights.safetensors */
	IMPORT_NEURONPEDIA,  /* folder: features/ activations/ explanations/ */
	IMPORT_SAEDASHBOARD, /* batch-N.json with features[].activations */
	IMPORT_SAEVIS,       /* sae_vis save_json: feature_data_dict */
	IMPORT_DELPHI,       /* latents/<hookpoint>/<start>_<end>.safetensors */
	IMPORT_OPENAI,       /* sae-viewer per-feature JSON (file or folder) */
	IMPORT_NFORMATS
} import_format;

/* Decoders the readers found (SAELens), kept for the geometry step, which
 * runs once over all inputs so that dictionaries of one width get
 * cross-dictionary neighbours. */
typedef struct {
	int sae;          /* dictionary id */
	char *name;       /* its name */
	int64_t *fids;    /* fid of row i */
	float *W;         /* rows x d, row-major */
	int64_t rows;     /* features */
	int d;            /* width */
} import_decoder;

typedef struct {
	import_decoder *v;   /* decoders */
	int n, cap;          /* count and capacity */
} import_decoders;

typedef struct {
	const char *sae_name;   /* dictionary name; NULL: from the input's metadata */
	import_decoders *decoders; /* readers leave decoders here (NULL: dropped) */
	const char *vocab;      /* vocabulary (tokenizer.json or list) for id-only formats */
	int tok_mode;           /* TOK_* spelling of token strings; TOK_AUTO guesses */
	int progress;           /* progress lines on stderr */
	const char *model;      /* overrides the model name found in the input */
	const char *hook;       /* overrides the hook point */
	int layer;              /* overrides the layer when >= 0 */
	int top_k;              /* delphi/openai: top examples kept per feature (20) */
	int ctx_before;         /* delphi: tokens of context before the peak (24) */
	int ctx_after;          /* delphi: tokens after it (8) */
	int n_intervals;        /* delphi: quantile intervals (5) */
	int per_interval;       /* delphi: examples per interval (3) */
} import_opts;

void import_opts_init(import_opts *o);

/* "saelens", "neuronpedia", "saedashboard", "sae_vis" (or "saevis"),
 * "delphi", "openai"; IMPORT_NONE when unknown. */
int import_format_parse(const char *name);
const char *import_format_name(int format);
/* Comma-separated list of the names, for usage messages. */
const char *import_format_list(void);

/* Guess the format of PATH (a file or folder) from its shape. Returns the
 * format, or IMPORT_NONE with a message in err (unknown or ambiguous). */
int import_detect(const char *path, char *err, size_t errlen);

/* Read PATH as FORMAT (a name, or NULL/"auto" to detect) and write one
 * dictionary with its features, labels, examples, intervals, logits and
 * neighbours through w. Returns 0 (FS_EXIT_OK), FS_EXIT_USAGE for bad input
 * with "FILE:LINE: field: what is wrong" in err (LINE is a JSON path in
 * single-document files), or FS_EXIT_ERR for a runtime failure. The caller
 * aborts the writer on failure. */
int import_run(fs_writer *w, const char *format, const char *path, const import_opts *o,
	       char *err, size_t errlen);

/* Neighbours, concept tree and map of the collected decoders (geom_write
 * in src/geom/geom.h). 0, or -1 with a message in err. */
int import_geometry(fs_writer *w, import_decoders *dd, int progress, char *err, size_t errlen);
void import_decoders_free(import_decoders *dd);


/* ---------------------------------------------------- for the readers */

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
	float max_act;     /* largest activation */
	int64_t ctx;       /* context id (already written) */
	int ntok;          /* tokens */
	float *acts;       /* ntok activations */
	int order;         /* arrival order, to keep sorting stable */
} imp_ex;

/* State of one import run, shared by import.c and a reader. */
typedef struct {
	fs_writer *w;            /* where everything goes */
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
	double t0;               /* start time, for progress */
	double last_progress;    /* time of the last progress line */
} imp_state;

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
/* The same from token ids through the vocabulary ("<id>" when none). */
int64_t imp_context_ids(imp_state *st, const int64_t *ids, int ntok, const char *source);
/* Text of one token id through the vocabulary, decoded (malloc'd). */
char *imp_token_text(imp_state *st, int64_t id);
/* Decode one token string for display (logit tables), malloc'd. */
char *imp_token_str(imp_state *st, const char *tok);

/* Collect an example of feature idx (added already; flushes the previous
 * feature's examples when idx changes). bin_min -1 marks the top group. */
int imp_example(imp_state *st, int64_t idx, double bin_min, double bin_max, double bin_frac,
		int64_t ctx, const float *acts, int ntok);
/* Write the pending examples: top group by max activation, then one
 * interval per distinct bin_min, lowest first. */
int imp_flush_examples(imp_state *st);

/* Rebin a histogram given by bar centres and heights into f->hist. */
void imp_hist(fs_feature *f, const double *centres, const double *heights, int n);

/* Resolve neighbours, flush examples. 0 or -1. */
int imp_finish(imp_state *st);

/* Progress on stderr (when enabled), at most a few times a second. */
void imp_progress(imp_state *st, const char *what, int64_t done, int64_t total);

/* JSON helpers: number (int or real) of key, NAN when absent/not a number. */
double imp_jnum(json_t *obj, const char *key);
/* Numbers of a JSON array into a malloc'd array (*n entries); -1 when it is
 * not an array of numbers (a null element becomes 0). */
int imp_jnums(json_t *arr, double **out, size_t *n);
/* Read a whole JSON document (gzip or plain); NULL with err set. */
json_t *imp_load_json(imp_state *st, const char *path);

/* Neuronpedia-style rows (read_neuronpedia.c; SAEDashboard shares them).
 * The feature index from key (a number or a numeric string), -1 on error. */
int64_t imp_np_index(imp_state *st, json_t *row, const char *key, const char *file, long line);
/* Add feature idx from a row's statistics fields (frac_nonzero, histogram,
 * pos/neg logits, topkCosSim neighbours, umap); max_act when the row has no
 * maxActApprox (NAN: none). Returns the fid or -1. */
int64_t imp_np_feature(imp_state *st, json_t *row, int64_t idx, double max_act,
		       const char *file, long line);
/* One example from a row's tokens[] and values[], bins under the given keys. */
int imp_np_example(imp_state *st, int64_t idx, json_t *row, const char *bmin_key,
		   const char *bmax_key, const char *bfrac_key, const char *source,
		   const char *file, long line);

/* A validating JSON scanner over text in memory (import.c). Functions
 * return 0, or -1 on anything they do not accept (the caller then falls
 * back to jansson, which gives the precise message). */
typedef struct {
	const char *p;      /* cursor */
	const char *end;    /* end of the text */
	fs_buf str;         /* decoded strings, appended when asked */
} imp_scan;
void imp_scan_ws(imp_scan *c);                  /* skip white space */
int imp_scan_string(imp_scan *c, int keep);     /* a string, decoded into str when keep */
int imp_scan_number(imp_scan *c, double *v);    /* a number (strict grammar) */
int imp_scan_lit(imp_scan *c, const char *w);   /* true, false or null */
int imp_scan_skip(imp_scan *c, int depth);      /* any value, checked */

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

/* The readers. */
int read_saelens(imp_state *st, const char *path);
int read_neuronpedia(imp_state *st, const char *path);
int read_saedashboard(imp_state *st, const char *path);
int read_saevis(imp_state *st, const char *path);
int read_delphi(imp_state *st, const char *path);
int read_openai(imp_state *st, const char *path);

#endif

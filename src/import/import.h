/*
 * import.h: reading what other interpretability tools write (SAELens
 * folders, Neuronpedia exports, SAEDashboard batches, sae_vis JSON, delphi
 * latent caches, OpenAI sae-viewer JSON) into an index through fs_writer.
 * The builder (build.c) calls import_detect and import_run once per input;
 * each input becomes one dictionary. The readers and the toolkit they
 * share are declared in import_int.h, which is not for other modules.
 */
#ifndef FS_IMPORT_H
#define FS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/progress.h"
#include "index/index.h"
#include "tok/tokens.h"

/* The importers, in detection order: one X(NAME, "name") per
 * src/import/read_NAME.c (whose reader is imp_reader_NAME, named "name").
 * Formats are numbered 1..n in this order; 0 is none. IMP_FORMAT_NAMES
 * is the list as one string, for help text. */
#define IMP_READERS(X)                                                                  \
	X(saelens, "saelens") X(neuronpedia, "neuronpedia") X(saedashboard, "saedashboard") \
	X(saevis, "sae_vis") X(delphi, "delphi") X(openai, "openai")
#define IMP_NAME_ITEM(n, name) name ", "
#define IMP_FORMAT_NAMES IMP_READERS(IMP_NAME_ITEM) "auto"
#define IMPORT_NONE 0

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
	fs_progress *progress;  /* progress reports (core/progress.h); NULL: none */
	const char *model;      /* overrides the model name found in the input */
	const char *hook;       /* overrides the hook point */
	int layer;              /* overrides the layer when >= 0 */
	int top_k;              /* delphi/openai: top examples kept per feature (20) */
	int ctx_before;         /* delphi: tokens of context before the peak (24) */
	int ctx_after;          /* delphi: tokens after it (8) */
	int n_intervals;        /* delphi: quantile intervals (5) */
	int per_interval;       /* delphi: examples per interval (3) */
	int jobs;               /* processes (--jobs; 1: the input is read by this one alone) */
} import_opts;

/* Load --vocab (vocab.c): a GPT-2 vocab.json, a JSON list in id order, a
 * tokenizer.json (BPE byte-level or byte-fallback, Unigram, WordPiece,
 * WordLevel) or a plain token-per-line list. 0, or -1 with err set. */
int import_vocab_load(const char *path, tok_vocab *v, char *err, size_t errlen);

void import_opts_init(import_opts *o);

/* A format's number from its name or an alias ("saelens", "neuronpedia",
 * "saedashboard", "sae_vis" or "saevis", "delphi", "openai"); IMPORT_NONE
 * when unknown. */
int import_format_parse(const char *name);
const char *import_format_name(int format);
/* Comma-separated list of the names, for usage messages. */
const char *import_format_list(void);

/* Guess the format of PATH (a file or folder) from its content and shape.
 * Returns the format, or IMPORT_NONE with a message in err (unknown,
 * known but not imported, or ambiguous). */
int import_detect(const char *path, char *err, size_t errlen);
/* Whether `featscope build` should import the file PATH rather than read
 * it as native JSON Lines records: a known format, a known one that is not
 * imported, or any JSON document that is not such records (the importers
 * then say what they expected). */
int import_takes(const char *path);

/* Read PATH as FORMAT (a name, or NULL/"auto" to detect) and write one
 * dictionary with its features, labels, examples, intervals, logits and
 * neighbours through w. Returns 0 (FS_EXIT_OK), FS_EXIT_USAGE for bad input
 * with "FILE:LINE: field: what is wrong" in err (LINE is a JSON path in
 * single-document files), or FS_EXIT_ERR for a runtime failure. The caller
 * aborts the writer on failure. */
int import_run(fs_writer *w, const char *format, const char *path, const import_opts *o,
	       char *err, size_t errlen);

/* The collected decoders stored in the index (for compare and family),
 * then their neighbours, concept tree and map (geom_write in
 * src/geom/geom.h). 0, or -1 with a message in err. */
int import_geometry(fs_writer *w, import_decoders *dd, fs_progress *progress, char *err, size_t errlen);
void import_decoders_free(import_decoders *dd);


#endif

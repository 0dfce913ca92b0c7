/*
 * build.h: the native builder. It reads activation records (JSON Lines, one
 * context per line, see featscope-build(1)) in one streaming pass, keeps
 * per-feature top-k and quantile samples, density and a histogram, and
 * writes an index through the writer in index.h. Importers of other formats
 * call into the same options for decoders, labels and geometry.
 */
#ifndef FS_BUILD_H
#define FS_BUILD_H

#include "core/progress.h"
#include "index/index.h"

typedef struct {
	const char *out;          /* -o: index to write */
	const char *sae_name;     /* --sae: dictionary name (default "sae") */
	const char *model;        /* --model */
	const char *hook;         /* --hook */
	int layer;                /* --layer, -1 unknown */
	int64_t n_features;       /* --n-features, 0 = from the data */
	int top_k;                /* --top-k examples per feature (20) */
	int n_intervals;          /* --intervals (10) */
	int per_interval;         /* --per-interval (5) */
	const char *decoder;      /* --decoder FILE (.npy / .safetensors) */
	const float *decoder_rows; /* or the decoder in memory [decoder_n][decoder_d] (the
				   * harvest's dictionary, read by its layout's reader) */
	int64_t decoder_n;        /* its rows */
	int decoder_d;            /* its width */
	const char *labels;       /* --labels FILE (TSV feature<TAB>label) */
	const char *unembed;      /* --unembed FILE [d_model, vocab] or [vocab, d_model] */
	const char *vocab;        /* --vocab FILE (one token per line or tokenizer.json) */
	int knn_k;                /* --neighbours K (32) */
	int knn_across;           /* --neighbours-across K: of them in every other
				     dictionary (-1: as knn_k; 0: none stored) */
	int n_random;             /* --random N: random positive samples per feature (0) */
	fs_progress *progress;    /* progress reports (core/progress.h); NULL: none */
	const char *cofire;       /* --cofire FILE: exact co-firing counts across the
				     dictionaries of the build (first dictionary's options) */
	fs_writer *into;          /* add the dictionary to this open writer (out unused);
				     the caller finishes or aborts it (several dictionaries
				     in one index: harvest) */
	int shard_state;          /* also store the accumulators (shard_state table), so
				     that build_merge can merge this index exactly */
	struct build_merge_src *merge; /* build_merge: the records and accumulators come
				     from shards, not from inputs (merge.c) */
} fs_build_opts;

void build_opts_init(fs_build_opts *o);
/* Run a build of native records; 0 on success, -1 with a one-line message. */
int build_run(fs_build_opts *o, char **inputs, int ninputs, char *err, size_t errlen);
/* After build_run failed: 1 when it failed writing (disk full, write
 * error: exit status 1), 0 on bad input (exit status 2). */
int build_failed_on_io(void);
/* Build nd dictionaries into one index (o[0].out): dictionary i from
 * inputs[i][0..ninputs[i]), each with its own options; contexts with the
 * same text and tokens are stored once, so examples of different
 * dictionaries on one context share its id; neighbours are computed across
 * dictionaries of one width. 0 on success, -1 with a one-line message. */
int build_run_multi(fs_build_opts *o, int nd, char ***inputs, const int *ninputs, char *err,
		    size_t errlen);

/* ---- merge: shards of one harvest into one index (merge.c) ---- */
typedef struct build_merge_src build_merge_src;
/* The shards ix[n] (open, paths for messages; both outlive the merge). */
build_merge_src *build_merge_open(fs_index **ix, const char *const *paths, int n);
/* Refuse shards that are not all the shards 0..N-1 of one harvest of one
 * model, dictionaries and settings: 0 and *nshards, or -1 with one line
 * naming the file and what differs. */
int build_merge_check(build_merge_src *m, int *nshards, char *err, size_t errlen);
/* The dictionary the next build_run (with o->merge set) merges. */
void build_merge_dict(build_merge_src *m, const char *sae);
void build_merge_close(build_merge_src *m);

/* ---- rel: fuzzing entry ---- */
/* Parse one JSONL record line exactly as the builder does (n_features > 0:
 * as with --n-features); 0 when valid, -1 with a message. For fuzzing. */
int build_parse_line(const char *line, size_t len, int64_t n_features, char *err, size_t errlen);

/* Decode one shard_state blob as merge does (at most maxk top-k and maxr
 * reservoir samples); 0 when valid, -1 when refused. For fuzzing. */
int build_state_check(const uint8_t *p, size_t n, int maxk, int maxr);

#endif

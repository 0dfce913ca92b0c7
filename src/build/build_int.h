/*
 * build_int.h: what the native builder's files share, for src/build/ only:
 * build.c (records, per-feature samples, writing the index) and
 * build_inputs.c (the side inputs: labels file, vocabulary, logit effects).
 */
#ifndef FS_BUILD_INT_H
#define FS_BUILD_INT_H

#include "build/build.h"
#include "core/progress.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "index/index.h"

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the per-feature accumulators (build_acc.c) ----
 * Every choice they make is a function of the set of records, never of
 * their order, so that shards of a corpus merge into exactly what one
 * build of the whole corpus keeps (build_merge, merge.c):
 * - each record has an identity rid (XXH3-64 of its source, text and token
 *   offsets) and each (record, feature) pair a key (XXH3-64 of rid seeded
 *   by the feature): a hash, so a uniform random number per pair;
 * - the top-k keeps the k largest maxima, ties to the smaller key;
 * - the reservoir keeps the R smallest keys: a uniform sample without
 *   replacement of the records where the feature fires (bottom-k
 *   sampling), and the bottom R of a union is the bottom R of the
 *   shards' bottom R's;
 * - the sum of activations is a fixed-point integer (BUILD_SUM_SHIFT
 *   fraction bits; exact for values >= 2^-17, each smaller one truncated
 *   the same way in any order), so it adds up the same in any order;
 * - the histogram's range is the smallest power of two above the maximum
 *   (hist_add), its bins halves of halves: a shard's bins rebin exactly. */

__extension__ typedef unsigned __int128 build_u128; /* exact fixed-point sums */
#define BUILD_SUM_SHIFT 40 /* fraction bits of a fixed-point sum */

/* One kept sample: a feature's activations on one record. */
typedef struct {
	float max;        /* max activation on the record */
	int ntok;         /* tokens of the record */
	int64_t rec;      /* record number (staged record, or merge's record table) */
	uint64_t rid;     /* the record's identity */
	uint64_t key;     /* the (record, feature) sampling key */
	uint8_t *acts;    /* index_acts_encode()d values */
	uint32_t nacts;   /* bytes of acts */
} sample;

/* Per-feature accumulator. */
typedef struct {
	sample *top;       /* min-heap of the top-k, worst first */
	int ntop;          /* used */
	sample *res;       /* max-heap by key of the reservoir (bottom-R keys) */
	int nres;          /* used */
	int64_t fires;     /* tokens where it fired */
	build_u128 sum;    /* fixed-point sum of activations where it fired */
	float max;         /* largest activation */
	float hist_hi;     /* histogram range [0, hist_hi) */
	uint32_t hist[FS_HIST_BINS]; /* counts of per-token activations */
} feat_acc;

/* The identity of a record (source, text, token offsets). */
uint64_t build_rid(const char *source, const char *text, size_t len, const uint32_t *off, int ntok);
/* The sampling key of (record rid, feature f). */
uint64_t build_key(uint64_t rid, int64_t f);
/* Count one per-token activation v > 0: fires, sum, histogram. */
void build_acc_value(feat_acc *a, float v);
/* Whether the top-k (k slots) / the reservoir (R slots) takes a sample of
 * this max and key. */
int build_top_wants(const feat_acc *a, int k, float max, uint64_t key);
int build_res_wants(const feat_acc *a, int R, uint64_t key);
/* Put a sample (owned from now on) into the top-k / the reservoir; the
 * caller asked *_wants first. */
void build_top_put(feat_acc *a, int k, sample s);
void build_res_put(feat_acc *a, int R, sample s);
/* Add a shard's fires, sum, max and histogram to a. */
void build_acc_merge_stats(feat_acc *a, int64_t fires, build_u128 sum, float max, float hist_hi,
			   const uint32_t *hist);
/* qsort orders: max descending then key ascending; key ascending. */
int build_cmp_sample_desc(const void *x, const void *y);
int build_cmp_sample_key(const void *x, const void *y);
void build_sample_free(sample *s);
/* The reservoir size for options o (0: none). */
int build_reservoir_size(const fs_build_opts *o);

/* A shard's state of one feature (the shard_state blob): the stats and
 * the kept samples (top then reservoir), each naming its context by id in
 * the shard's index and its own source (a context stored once may stand
 * for identical windows of several documents). Encoded into b (appended);
 * decoded with every size checked. */
void build_state_encode(fs_buf *b, const feat_acc *a, const int64_t *ctx, const char *const *src);
typedef struct {
	int64_t fires;     /* tokens where it fired */
	build_u128 sum;    /* fixed-point sum */
	float max;         /* largest activation */
	float hist_hi;     /* histogram range */
	uint32_t hist[FS_HIST_BINS]; /* counts */
	int ntop, nres;    /* samples of each kind */
	sample *s;         /* [ntop + nres] samples (rec = their context id) */
	char **src;        /* [ntop + nres] their sources */
} build_state;
int build_state_decode(const uint8_t *p, size_t n, int maxk, int maxr, build_state *st);
void build_state_free(build_state *st);

/* Fill a builder's accumulators and token count from the shards (merge.c). */
struct builder;
int build_merge_collect(struct builder *b, char *err, size_t errlen);
/* A merged record's context: text, offsets and source (merge.c). */
int build_merge_fetch(struct build_merge_src *src, int64_t rec, fs_context *c, char *err, size_t errlen);
/* Write the logit effects of dictionary fids (shard 0's, the same in every shard). */
int build_merge_logits(struct build_merge_src *src, fs_writer *w, const int64_t *fids, int64_t nfeat,
		       char *err, size_t errlen);

/* Staging file of record texts: [u32 len][u32 ntok][u32 srclen] text offs source */
typedef struct {
	FILE *f;           /* the file (unlinked at creation) */
	int64_t *pos;      /* file offset of record i */
	int64_t n, cap;    /* records */
} staging;

/* The state of one dictionary's build. */
typedef struct builder {
	fs_build_opts *o;  /* options */
	feat_acc *acc;     /* per feature */
	int64_t nfeat;     /* accumulator slots (grows unless fixed) */
	int fixed;         /* n_features fixed by option or decoder */
	staging st;        /* staged texts */
	int64_t tokens;    /* tokens seen */
	uint64_t rid;      /* the current record's identity */
	/* scratch for one record */
	fs_buf text;       /* context bytes */
	uint32_t *off;     /* token offsets */
	int offcap;        /* capacity of off */
	float *dense;      /* dense acts of one feature */
	int densecap;      /* capacity */
	uint8_t *enc;      /* encoding buffer */
} builder;

/* A failure to write (disk full, write error) rather than bad input: the
 * message goes to err and build_failed_on_io() says 1 from now on. -1. */
int build_io_err(char *err, size_t errlen, const char *fmt, ...) FS_PRINTF(3, 4);

/* Labels file: "feature<TAB>label[<TAB>source[<TAB>description]]" lines,
 * '#' comments. labels, sources and descriptions [nfeat] (NULL where a
 * feature has none; caller frees). 0, or -1 with a message. */
int build_read_labels(const char *path, int64_t nfeat, char ***labels, char ***sources,
		      char ***descs, char *err, size_t errlen);
/* Logit effects: the rows of the decoder dec (feature ids fids) through
 * the unembedding at unembed_path ([d_model, vocab] or [vocab, d_model]),
 * the top tokens both ways written through w, named from vocab_path (one
 * token a line, C escapes) when given. 0, or -1 with a message. */
int build_write_logits(fs_writer *w, const int64_t *fids, const fs_tensor *dec,
		       const char *unembed_path, const char *vocab_path, fs_progress *progress,
		       char *err, size_t errlen);

/* One line of a co-firing file (--cofire). */
typedef struct {
	int sae;          /* dictionary (index into the build's list) */
	int64_t f;        /* feature in it */
	int osae;         /* the other dictionary of a "both" line; -1 for "fires" */
	int64_t of;       /* the other feature */
	int64_t n;        /* tokens */
	int64_t line;     /* line number, for messages */
} build_cofire_line;
/* Read a co-firing file; names[nd] are the build's dictionaries. *out
 * (malloc'd) gets *nout lines. 0, or -1 with "FILE:LINE: field: what". */
int build_read_cofire(const char *path, const char *const *names, int nd, build_cofire_line **out,
		      int64_t *nout, char *err, size_t errlen);
/* Check the lines against the dictionaries' sizes nfeat[nd] and write them
 * through w (fids[d][f]: the global id of feature f of dictionary d); v is
 * sorted in place. 0, or -1 with a message. */
int build_write_cofire(fs_writer *w, const char *path, build_cofire_line *v, int64_t n,
		       int64_t *const *fids, const int64_t *nfeat, int nd, char *err, size_t errlen);

#endif

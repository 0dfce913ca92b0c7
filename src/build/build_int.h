/*
 * build_int.h: what the native builder's files share, for src/build/ only:
 * build.c (records, per-feature samples, writing the index) and
 * build_inputs.c (the side inputs: labels file, vocabulary, logit effects).
 */
#ifndef FS_BUILD_INT_H
#define FS_BUILD_INT_H

#include "core/progress.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "index/index.h"

#include <stddef.h>
#include <stdint.h>

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

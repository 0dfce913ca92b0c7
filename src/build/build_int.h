/*
 * build_int.h: what the native builder's files share, for src/build/ only:
 * build.c (records, per-feature samples, writing the index) and
 * build_inputs.c (the side inputs: labels file, vocabulary, logit effects).
 */
#ifndef FS_BUILD_INT_H
#define FS_BUILD_INT_H

#include "core/tensor.h"
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
		       const char *unembed_path, const char *vocab_path, int progress,
		       char *err, size_t errlen);

#endif

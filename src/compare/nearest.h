/*
 * nearest.h: a feature's nearest features in one dictionary by decoder
 * cosine, as `featscope neighbours` and the browser's neighbours screen
 * show them: the lists the index stores, more computed from the stored
 * decoders when more are asked for, and the searched dictionary's random
 * baseline, so that a neighbour no closer than chance can be marked.
 */
#ifndef FS_COMPARE_NEAREST_H
#define FS_COMPARE_NEAREST_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"

/* Decoders larger than this many values (rows x width) are not loaded to
 * compute neighbours or a baseline (256 MB of floats). */
#define CMP_NEAREST_MAX_VALUES ((int64_t)1 << 26)

typedef struct {
	fs_neighbour *v;   /* nearest first (malloc'd) */
	int n;             /* how many */
	int stored;        /* how many the index stores for this feature there */
	int computed;      /* 1: v computed from the stored decoders (k > stored) */
	float baseline;    /* the searched dictionary's random baseline (p99,
			    * cmp_random_baseline); NaN when it has no stored
			    * decoder (or one over CMP_NEAREST_MAX_VALUES) */
} cmp_nearest;

/* Up to k nearest features of fid in dictionary other_sae (0: its own).
 * The stored lists come first (the build computed them from the
 * full-precision decoder); when k asks for more than are stored and both
 * dictionaries' decoders are stored (same width), all k are computed from
 * those rows instead, exactly. 0; -1 with a message in err (a read error;
 * none stored and none computable is n = 0, not an error). */
int cmp_nearest_find(fs_index *ix, int64_t fid, int other_sae, int k, cmp_nearest *r, char *err,
		     size_t errlen);
void cmp_nearest_free(cmp_nearest *r);

#endif

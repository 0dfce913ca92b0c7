/*
 * geom.h: the entry point of the decoder geometry. The builder and the
 * importers call geom_write once the decoders of their dictionaries are
 * known: it computes every feature's nearest neighbours by decoder cosine
 * (within its dictionary and in every other dictionary of the same width),
 * the concept tree and the 2D map, and stores them through the writer
 * (index_writer_add_neighbour, index_writer_add_cluster / index_writer_set_cluster,
 * index_writer_set_map).
 */
#ifndef FS_GEOM_H
#define FS_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "core/progress.h"
#include "index/index.h"

/* One dictionary's decoder. */
typedef struct {
	int sae;                     /* dictionary id in the writer */
	const char *name;            /* its name, for messages (may be NULL) */
	const int64_t *fids;         /* fid of row i (from index_writer_add_feature) */
	const float *W;              /* n x d row-major decoder (not yet normalised) */
	int64_t n;                   /* rows */
	int d;                       /* row width (d_model) */
	const char *const *labels;   /* label of row i, for naming clusters (may be NULL) */
} geom_dict;

/* What to compute. */
typedef struct {
	int k;            /* neighbours kept per feature and dictionary (default 32) */
	int k_across;     /* of them, kept in every other dictionary of the same
			     width: -1 (default) as k, 0 none (nearest.c computes
			     them from the stored decoders when asked) */
	int approx;       /* 0 exact, 1 approximate (IVF), -1 by size */
	int clusters;     /* build the concept tree */
	int map;          /* lay out the 2D map */
	fs_progress *progress; /* progress reports (core/progress.h); NULL: none */
} geom_opts;

/* Rows above which approx = -1 picks the approximate search. */
#define GEOM_AUTO_APPROX 131072

void geom_opts_init(geom_opts *o);

/* Compute and write the geometry of nd dictionaries. 0 on success; -1
 * with a one-line message in err (a non-finite decoder value, a bad size,
 * a writer error). */
int geom_write(fs_writer *w, const geom_dict *d, int nd, const geom_opts *o,
	       char *err, size_t errlen);

#endif

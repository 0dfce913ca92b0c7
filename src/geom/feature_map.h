/*
 * feature_map.h: a 2D map of features from their neighbour graph, in the manner
 * of UMAP: fuzzy edge weights from each row's nearest neighbours, then
 * stochastic gradient steps that pull neighbours together along edges and
 * push random pairs apart (negative sampling). Seeded, single-threaded, so
 * the same input gives the same map. Positions end in [0,1]^2.
 */
#ifndef FS_LAYOUT_H
#define FS_LAYOUT_H

#include <stdint.h>

#include "geom/cluster.h"
#include "geom/knn.h"

/* Parameters; zeros pick the defaults. */
typedef struct {
	int n_neighbours;     /* graph neighbours per row (default 15, at most nb->k) */
	int epochs;           /* passes (default 500 up to 10,000 rows, else 200; fewer past 1.5e8 edge visits) */
	int negative;         /* negative samples per edge step (default 5) */
	uint64_t seed;        /* sampling seed */
} feature_map_opts;

/* Starting positions from the concept tree: roots around a circle, each
 * child around its parent on a smaller one, rows jittered around their
 * leaf. xy is n x 2. */
void feature_map_init_tree(const cluster_tree *t, uint64_t seed, float *xy);

/* Lay out the rows of a neighbour graph (nb: neighbours within the set).
 * xy (n x 2) holds the starting positions (feature_map_init_tree, or random
 * when init is 0) and receives the map, scaled into [0,1]^2. */
int feature_map_layout(const knn_result *nb, const feature_map_opts *o, int init, float *xy);

#endif

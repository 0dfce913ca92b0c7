/*
 * graph_int.h: what the files of src/graph/ share and nobody else uses
 * (graph.h is the public interface): the id hash and the link orders that
 * graph_index.c builds for graph_load.c.
 */
#ifndef FS_GRAPH_INT_H
#define FS_GRAPH_INT_H

#include "graph/graph.h"

/* The node whose node_id is s[0..n) (no NUL needed), or SIZE_MAX. */
size_t graph_id_lookup(const graph *g, const char *s, size_t n);
/* The hash of g's node ids made again for its nnodes nodes (room for want);
 * a repeated id is left out. Returns how many ids the table holds (fewer
 * than nnodes when an id repeats). */
size_t graph_id_rehash(graph *g, size_t want);
/* Links sorted by source, strongest first (out_start), and in_order by
 * target, strongest first (in_start), from links in file order. */
void graph_build_order(graph *g);

#endif

/*
 * graph_int.h: what the files of src/graph/ share and nobody else uses
 * (graph.h is the public interface): the id hash and the link orders that
 * graph_index.c builds for graph_load.c.
 */
#ifndef FS_GRAPH_INT_H
#define FS_GRAPH_INT_H

#include <stdint.h>
#include <string.h>

#include "graph/graph.h"

/* a[0..n) == b[0..n): ids are mostly 8 to 16 bytes, compared as two
 * overlapping words (the look-ups of every link's ends call this). */
static inline int graph_id_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, b0, a1, b1;
		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

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

/*
 * graphbench.c: the engine's side of bench/graph.sh: an attribution graph
 * read N times (graph_load), then pruned M times at thresholds that change
 * every time (graph_prune, as the graph screen does on a key), printing one
 * line per run: "load MS" or "prune MS NODES LINKS".
 * Usage: graphbench FILE [LOADS] [PRUNES]
 */
#include "core/util.h"
#include "graph/graph.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: graphbench FILE [LOADS] [PRUNES]\n");
		return 2;
	}
	int loads = argc > 2 ? atoi(argv[2]) : 5, prunes = argc > 3 ? atoi(argv[3]) : 50;
	char err[1024];
	graph *g = NULL;
	for (int i = 0; i < loads || !g; i++) {
		if (g)
			graph_free(g);
		double t0 = fs_now();
		if (graph_load(argv[1], &g, err, sizeof err) != 0) {
			fprintf(stderr, "graphbench: %s\n", err);
			return 1;
		}
		printf("load %.3f\n", (fs_now() - t0) * 1e3);
	}
	uint8_t *nk = xmalloc(g->nnodes ? g->nnodes : 1), *lk = xmalloc(g->nlinks ? g->nlinks : 1);
	for (int i = 0; i < prunes; i++) {
		/* thresholds stepping as keys would move them */
		double nt = 0.2 + 0.6 * (double)(i % 7) / 6, et = 0.5 + 0.45 * (double)(i % 5) / 4;
		double t0 = fs_now();
		size_t kn = graph_prune(g, nt, et, nk, lk);
		double ms = (fs_now() - t0) * 1e3;
		size_t kl = 0;
		for (size_t l = 0; l < g->nlinks; l++)
			kl += lk[l];
		printf("prune %.3f %zu %zu\n", ms, kn, kl);
	}
	free(nk);
	free(lk);
	graph_free(g);
	return 0;
}

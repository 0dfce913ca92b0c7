/*
 * fuzz-graph.c: libFuzzer target for attribution graphs (src/graph/): the
 * bytes read by graph_load_mem (the streamed reader of graph_load), and a
 * graph that loads is pruned, searched for paths from each logit, found by
 * id and written as DOT and Mermaid. Hostile files (lying structure, huge
 * numbers, cycles, deep nesting, bad UTF-8) must give one error line or a
 * consistent graph, never a crash, a hang or a huge allocation.
 */
#include "graph/graph.h"
#include "fuzz-common.h"

static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sink)
		sink = fopen("/dev/null", "w");
	graph *g;
	char err[512];
	if (graph_load_mem("fuzz.json", (const char *)data, size, &g, err, sizeof err) != 0) {
		if (!err[0] || strchr(err, '\n'))
			abort(); /* one line, always */
		return 0;
	}
	/* the orders are consistent */
	if (g->out_start[0] != 0 || g->out_start[g->nnodes] != g->nlinks || g->in_start[g->nnodes] != g->nlinks)
		abort();
	for (size_t i = 0; i < g->nnodes; i++)
		for (size_t l = g->out_start[i]; l < g->out_start[i + 1]; l++)
			if (g->links[l].src != i || g->links[l].dst >= g->nnodes)
				abort();
	for (size_t j = 0; j < g->nlinks; j++)
		if (g->in_order[j] >= g->nlinks)
			abort();
	uint8_t *nk = malloc(g->nnodes + 1), *lk = malloc(g->nlinks + 1);
	static const double th[][2] = {{1, 1}, {0.5, 0.8}, {0, 0}};
	for (int t = 0; t < 3; t++) {
		graph_prune(g, th[t][0], th[t][1], nk, lk);
		int logits = 0;
		for (size_t i = 0; i < g->nnodes && logits < 4; i++) {
			if (g->nodes[i].kind != GRAPH_LOGIT)
				continue;
			logits++;
			graph_path *p;
			int n = graph_paths(g, i, 3, t ? nk : NULL, t ? lk : NULL, &p);
			for (int k = 0; k < n; k++)
				if (p[k].n < 1 || p[k].nodes[p[k].n - 1] != i)
					abort();
			graph_paths_free(p, n);
		}
		graph_write_dot(sink, g, nk, lk, NULL, 0);
	}
	graph_group grp[4];
	int ng = g->nsupernodes < 4 ? g->nsupernodes : 4;
	for (int k = 0; k < ng; k++)
		grp[k] = (graph_group){g->sn_names[k], g->sn_members[k], g->sn_count[k]};
	graph_write_mermaid(sink, g, NULL, NULL, grp, ng);
	graph_write_dot(sink, g, NULL, NULL, grp, ng);
	for (size_t i = 0; i < g->nnodes && i < 8; i++) {
		char lab[256];
		graph_node_label(g, i, lab, sizeof lab);
		if (graph_find(g, g->nodes[i].id) >= g->nnodes)
			abort();
	}
	graph_find(g, "0/1@2");
	free(nk);
	free(lk);
	graph_free(g);
	return 0;
}

/*
 * graph.c: the analysis of an attribution graph that every front end shares
 * (graph.h): pruning by node influence and link weight, and the strongest
 * paths from a logit back to the sources.
 *
 * Paths: a link's weight is a direct effect, and a path's score is the
 * product of its links' weights. Because weights can be larger than 1 in
 * magnitude, a longer path can score more than its prefix, so a plain
 * best-first walk would not find the strongest first. Instead, over the
 * kept links (a DAG: links go up the layers), best[v] is the largest |product| of any
 * path from a source to v (1 at a source: a node with no kept link in).
 * (A cycle, which only a broken file has, is cut where the topological
 * order stalls, so the walk stays a DAG.)
 * The search walks back from the logit and orders partial paths by
 * |product so far| * best[v]: an exact bound, and one reached, so the
 * paths come out strongest first and every pop of a source is the next
 * path. The work is bounded (GRAPH_PATH_STATES states).
 */
#include "graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int prunable(const graph_node *n)
{
	return n->kind == GRAPH_FEATURE || n->kind == GRAPH_ERROR;
}

size_t graph_prune(const graph *g, double node_thr, double edge_thr, uint8_t *node_keep, uint8_t *link_keep)
{
	size_t kept = 0;
	for (size_t i = 0; i < g->nnodes; i++) {
		const graph_node *n = &g->nodes[i];
		int k = !prunable(n) || node_thr >= 1 || isnan(n->influence) || n->influence <= node_thr;
		node_keep[i] = (uint8_t)k;
		kept += (size_t)k;
	}
	memset(link_keep, 0, g->nlinks);
	for (size_t d = 0; d < g->nnodes; d++) {
		if (!node_keep[d])
			continue;
		size_t a = g->in_start[d], b = g->in_start[d + 1];
		if (edge_thr >= 1) {
			for (size_t j = a; j < b; j++) {
				size_t l = g->in_order[j];
				link_keep[l] = node_keep[g->links[l].src];
			}
			continue;
		}
		double total = 0;
		for (size_t j = a; j < b; j++) {
			const graph_link *l = &g->links[g->in_order[j]];
			if (node_keep[l->src])
				total += fabs((double)l->weight);
		}
		double target = edge_thr * total, cum = 0;
		for (size_t j = a; j < b && cum < target; j++) {
			size_t li = g->in_order[j];
			const graph_link *l = &g->links[li];
			if (!node_keep[l->src])
				continue;
			link_keep[li] = 1;
			cum += fabs((double)l->weight);
		}
	}
	return kept;
}

/* ------------------------------------------------------------ paths */

#define GRAPH_PATH_STATES 4000000
#define GRAPH_PATH_DEPTH 100000

typedef struct {
	uint32_t node;
	uint32_t parent; /* state toward the logit; UINT32_MAX at the logit */
	uint32_t depth;  /* nodes from the logit to here, less one */
	double prod;     /* signed product of the weights walked */
} pstate;

typedef struct {
	double pri;
	uint32_t st;
} hent;

typedef struct {
	hent *v;
	size_t n, cap;
} heap;

static int heap_less(const hent *a, const hent *b)
{
	/* larger priority first; ties to the older state */
	return a->pri > b->pri || (a->pri == b->pri && a->st < b->st);
}

static int heap_push(heap *h, hent e)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 256;
		hent *nv = realloc(h->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		h->v = nv;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!heap_less(&e, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = e;
	return 0;
}

static hent heap_pop(heap *h)
{
	hent top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!heap_less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* A link the search may walk: kept, from a kept node, and not cut to break
 * a cycle. */
typedef struct {
	const uint8_t *node_keep, *link_keep; /* NULL: everything */
	uint8_t *cut;                         /* NULL: no cycle was met */
} walk;

static int link_ok(const graph *g, size_t li, const walk *w)
{
	if ((w->link_keep && !w->link_keep[li]) || (w->cut && w->cut[li]))
		return 0;
	return !w->node_keep || w->node_keep[g->links[li].src];
}

/* best[v] over the walk's nodes and links, in topological order (Kahn).
 * A broken file's cycle is cut where the walk stalls: the lowest node left
 * loses its links in from the nodes left (w->cut), so that every node keeps
 * the paths that do not go round. has_in[v]: v has a link in. -1 when out
 * of memory. */
static int best_products(const graph *g, walk *w, double *best, uint8_t *has_in)
{
	size_t nn = g->nnodes;
	uint32_t *indeg = calloc(nn ? nn : 1, sizeof *indeg);
	uint32_t *queue = malloc((nn ? nn : 1) * sizeof *queue);
	uint8_t *done = calloc(nn ? nn : 1, 1);
	if (!indeg || !queue || !done) {
		free(indeg);
		free(queue);
		free(done);
		return -1;
	}
	size_t want = 0;
	for (size_t v = 0; v < nn; v++) {
		best[v] = 0;
		if (w->node_keep && !w->node_keep[v])
			continue;
		want++;
		for (size_t j = g->in_start[v]; j < g->in_start[v + 1]; j++)
			indeg[v] += (uint32_t)link_ok(g, g->in_order[j], w);
	}
	size_t qh = 0, qt = 0, next = 0;
	for (size_t v = 0; v < nn; v++)
		if ((!w->node_keep || w->node_keep[v]) && !indeg[v])
			queue[qt++] = (uint32_t)v;
	for (;;) {
		while (qh < qt) {
			uint32_t u = queue[qh++];
			done[u] = 1;
			/* its best: from the links in that are walked (all of them done) */
			double b = 0;
			int any = 0;
			for (size_t j = g->in_start[u]; j < g->in_start[u + 1]; j++) {
				size_t li = g->in_order[j];
				if (!link_ok(g, li, w))
					continue;
				any = 1;
				double c = best[g->links[li].src] * fabs((double)g->links[li].weight);
				if (c > b)
					b = c;
			}
			best[u] = any ? b : 1;
			for (size_t li = g->out_start[u]; li < g->out_start[u + 1]; li++) {
				if (!link_ok(g, li, w))
					continue;
				uint32_t v = g->links[li].dst;
				if (w->node_keep && !w->node_keep[v])
					continue;
				if (--indeg[v] == 0)
					queue[qt++] = v;
			}
		}
		if (qt >= want)
			break;
		/* a cycle: cut the links into the first node left from nodes left */
		while (next < nn && (done[next] || (w->node_keep && !w->node_keep[next]) || !indeg[next]))
			next++;
		if (next >= nn)
			break;
		if (!w->cut && !(w->cut = calloc(g->nlinks ? g->nlinks : 1, 1))) {
			free(indeg);
			free(queue);
			free(done);
			return -1;
		}
		for (size_t j = g->in_start[next]; j < g->in_start[next + 1]; j++) {
			size_t li = g->in_order[j];
			if (link_ok(g, li, w) && !done[g->links[li].src])
				w->cut[li] = 1;
		}
		indeg[next] = 0;
		queue[qt++] = (uint32_t)next;
	}
	for (size_t v = 0; v < nn; v++) {
		has_in[v] = 0;
		for (size_t j = g->in_start[v]; j < g->in_start[v + 1] && !has_in[v]; j++)
			has_in[v] = (uint8_t)link_ok(g, g->in_order[j], w);
	}
	free(indeg);
	free(queue);
	free(done);
	return 0;
}

int graph_paths(const graph *g, size_t logit, int k, const uint8_t *node_keep, const uint8_t *link_keep,
		graph_path **out)
{
	*out = NULL;
	if (!g || logit >= g->nnodes || k <= 0 || (node_keep && !node_keep[logit]))
		return 0;
	double *best = malloc((g->nnodes ? g->nnodes : 1) * sizeof *best);
	uint8_t *has_in = malloc(g->nnodes ? g->nnodes : 1);
	walk w = {node_keep, link_keep, NULL};
	if (!best || !has_in || best_products(g, &w, best, has_in) != 0) {
		free(best);
		free(has_in);
		free(w.cut);
		return -1;
	}
	graph_path *res = calloc((size_t)k, sizeof *res);
	pstate *st = malloc(1024 * sizeof *st);
	size_t nst = 0, cst = 1024;
	heap h = {0};
	int found = 0, oom = !res || !st;
	if (!oom && best[logit] > 0 && has_in[logit]) {
		st[nst++] = (pstate){(uint32_t)logit, UINT32_MAX, 0, 1.0};
		oom = heap_push(&h, (hent){best[logit], 0}) != 0;
	}
	while (!oom && h.n && found < k) {
		hent e = heap_pop(&h);
		pstate s = st[e.st];
		if (!has_in[s.node]) {
			/* a source: the next path, source first */
			graph_path *p = &res[found];
			p->n = (int)s.depth + 1;
			p->nodes = malloc((size_t)p->n * sizeof *p->nodes);
			if (!p->nodes) {
				oom = 1;
				break;
			}
			uint32_t at = e.st;
			for (int i = 0; i < p->n; i++, at = st[at].parent)
				p->nodes[i] = st[at].node;
			p->score = s.prod;
			found++;
			continue;
		}
		if (s.depth >= GRAPH_PATH_DEPTH)
			continue;
		size_t v = s.node;
		for (size_t j = g->in_start[v]; j < g->in_start[v + 1]; j++) {
			size_t li = g->in_order[j];
			if (!link_ok(g, li, &w))
				continue;
			uint32_t u = g->links[li].src;
			double prod = s.prod * (double)g->links[li].weight;
			double pri = fabs(prod) * best[u];
			if (!(pri > 0))
				continue;
			if (nst >= GRAPH_PATH_STATES)
				break;
			if (nst == cst) {
				pstate *ns = realloc(st, cst * 2 * sizeof *ns);
				if (!ns) {
					oom = 1;
					break;
				}
				st = ns;
				cst *= 2;
			}
			st[nst] = (pstate){u, e.st, s.depth + 1, prod};
			if (heap_push(&h, (hent){pri, (uint32_t)nst}) != 0) {
				oom = 1;
				break;
			}
			nst++;
		}
	}
	free(h.v);
	free(st);
	free(best);
	free(has_in);
	free(w.cut);
	if (oom) {
		graph_paths_free(res, found);
		return -1;
	}
	if (!found) {
		free(res);
		return 0;
	}
	*out = res;
	return found;
}

void graph_paths_free(graph_path *p, int n)
{
	if (!p)
		return;
	for (int i = 0; i < n; i++)
		free(p[i].nodes);
	free(p);
}

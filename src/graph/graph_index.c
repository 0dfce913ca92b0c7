/*
 * graph_index.c: what makes a loaded attribution graph quick to walk
 * (graph.h): the hash of node ids (graph_find, and the loader's look-ups of
 * every link's ends), the links in order by source and by target with the
 * strongest first, node kinds' names, and releasing a graph. Shared with
 * graph_load.c through graph_int.h.
 */
#include "graph/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "graph/graph_int.h"

const char *graph_kind_name(graph_kind k)
{
	switch (k) {
	case GRAPH_FEATURE: return "feature";
	case GRAPH_ERROR: return "error";
	case GRAPH_EMBED: return "embedding";
	case GRAPH_LOGIT: return "logit";
	default: return "?";
	}
}

/* ------------------------------------------------------------ the id hash */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ n;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	/* a finaliser (murmur3's): FNV's low bits alone cluster on ids that
	 * differ in their last digits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

size_t graph_id_lookup(const graph *g, const char *s, size_t n)
{
	if (!g->id_hash_cap)
		return SIZE_MAX;
	uint64_t hv = hash_bytes(s, n);
	uint32_t tag = (uint32_t)(hv >> 32);
	size_t mask = g->id_hash_cap - 1, h = (size_t)hv & mask;
	for (;;) {
		uint32_t v = g->id_hash[h];
		if (!v)
			return SIZE_MAX;
		if (g->id_tag[h] == tag) {
			const char *id = g->nodes[v - 1].id;
			if (!strncmp(id, s, n) && id[n] == 0)
				return v - 1;
		}
		h = (h + 1) & mask;
	}
}

/* Insert node i; 0, or -1 when its id is taken. */
static int id_insert(graph *g, size_t i)
{
	const char *id = g->nodes[i].id;
	size_t n = strlen(id);
	uint64_t hv = hash_bytes(id, n);
	size_t mask = g->id_hash_cap - 1, h = (size_t)hv & mask;
	while (g->id_hash[h]) {
		if (!strcmp(g->nodes[g->id_hash[h] - 1].id, id))
			return -1;
		h = (h + 1) & mask;
	}
	g->id_hash[h] = (uint32_t)(i + 1);
	g->id_tag[h] = (uint32_t)(hv >> 32);
	return 0;
}

void graph_id_rehash(graph *g, size_t want)
{
	size_t cap = 16;
	while (cap < want * 2)
		cap *= 2;
	free(g->id_hash);
	free(g->id_tag);
	g->id_hash = xcalloc(cap, sizeof *g->id_hash);
	g->id_tag = xcalloc(cap, sizeof *g->id_tag);
	g->id_hash_cap = cap;
	for (size_t i = 0; i < g->nnodes; i++)
		id_insert(g, i);
}

/* ------------------------------------------------------------ order */

typedef struct {
	float key;    /* |weight| */
	uint32_t other; /* the other end, for ties */
	uint32_t idx;
} sort_ent;

static int ent_cmp(const void *a, const void *b)
{
	const sort_ent *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->other != y->other)
		return x->other < y->other ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void graph_build_order(graph *g)
{
	size_t nn = g->nnodes, nl = g->nlinks;
	g->out_start = xcalloc(nn + 1, sizeof *g->out_start);
	g->in_start = xcalloc(nn + 1, sizeof *g->in_start);
	g->in_order = xmalloc((nl ? nl : 1) * sizeof *g->in_order);
	for (size_t i = 0; i < nl; i++)
		g->out_start[g->links[i].src + 1]++;
	for (size_t i = 0; i < nn; i++)
		g->out_start[i + 1] += g->out_start[i];
	graph_link *sorted = xmalloc((nl ? nl : 1) * sizeof *sorted);
	size_t *fill = xmalloc((nn + 1) * sizeof *fill);
	memcpy(fill, g->out_start, (nn + 1) * sizeof *fill);
	for (size_t i = 0; i < nl; i++)
		sorted[fill[g->links[i].src]++] = g->links[i];
	free(g->links);
	g->links = sorted;
	sort_ent *tmp = NULL;
	size_t tcap = 0;
	for (size_t s = 0; s < nn; s++) {
		size_t a = g->out_start[s], n = g->out_start[s + 1] - a;
		if (n < 2)
			continue;
		if (n > tcap) {
			tcap = n;
			tmp = xrealloc(tmp, tcap * sizeof *tmp);
		}
		for (size_t j = 0; j < n; j++)
			tmp[j] = (sort_ent){fabsf(g->links[a + j].weight), g->links[a + j].dst, (uint32_t)j};
		qsort(tmp, n, sizeof *tmp, ent_cmp);
		graph_link *cp = xmalloc(n * sizeof *cp);
		for (size_t j = 0; j < n; j++)
			cp[j] = g->links[a + tmp[j].idx];
		memcpy(g->links + a, cp, n * sizeof *cp);
		free(cp);
	}
	for (size_t i = 0; i < nl; i++)
		g->in_start[g->links[i].dst + 1]++;
	for (size_t i = 0; i < nn; i++)
		g->in_start[i + 1] += g->in_start[i];
	memcpy(fill, g->in_start, (nn + 1) * sizeof *fill);
	for (size_t i = 0; i < nl; i++)
		g->in_order[fill[g->links[i].dst]++] = i;
	for (size_t d = 0; d < nn; d++) {
		size_t a = g->in_start[d], n = g->in_start[d + 1] - a;
		if (n < 2)
			continue;
		if (n > tcap) {
			tcap = n;
			tmp = xrealloc(tmp, tcap * sizeof *tmp);
		}
		for (size_t j = 0; j < n; j++) {
			const graph_link *l = &g->links[g->in_order[a + j]];
			tmp[j] = (sort_ent){fabsf(l->weight), l->src, (uint32_t)j};
		}
		qsort(tmp, n, sizeof *tmp, ent_cmp);
		size_t *cp = xmalloc(n * sizeof *cp);
		for (size_t j = 0; j < n; j++)
			cp[j] = g->in_order[a + tmp[j].idx];
		memcpy(g->in_order + a, cp, n * sizeof *cp);
		free(cp);
	}
	free(tmp);
	free(fill);
}

void graph_free(graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].id);
		free(g->nodes[i].clerp);
		free(g->nodes[i].token);
		free(g->nodes[i].js_id);
	}
	free(g->nodes);
	free(g->links);
	free(g->out_start);
	free(g->in_start);
	free(g->in_order);
	for (int i = 0; i < g->ntokens; i++)
		free(g->tokens[i]);
	free(g->tokens);
	for (int i = 0; i < g->nsupernodes; i++) {
		free(g->sn_names[i]);
		free(g->sn_members[i]);
	}
	free(g->sn_names);
	free(g->sn_members);
	free(g->sn_count);
	free(g->id_hash);
	free(g->id_tag);
	free(g->path);
	free(g->slug);
	free(g->scan);
	free(g->prompt);
	free(g->transcoder_set);
	free(g);
}

size_t graph_find(const graph *g, const char *id)
{
	if (!g || !id)
		return SIZE_MAX;
	size_t k = graph_id_lookup(g, id, strlen(id));
	if (k != SIZE_MAX)
		return k;
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].js_id && g->nodes[i].js_id[0] && !strcmp(g->nodes[i].js_id, id))
			return i;
	/* LAYER/INDEX@POS */
	long long l, x;
	int pos, used = 0;
	if (sscanf(id, "%lld/%lld@%d%n", &l, &x, &pos, &used) == 3 && id[used] == 0)
		for (size_t i = 0; i < g->nnodes; i++) {
			const graph_node *n = &g->nodes[i];
			if (n->kind == GRAPH_FEATURE && n->layer == l && n->index == x && n->ctx == pos)
				return i;
		}
	return SIZE_MAX;
}

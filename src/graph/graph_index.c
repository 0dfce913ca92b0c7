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

/* A hash of s[0..n): eight bytes at a time, then murmur3's finaliser
 * (ids differ mostly in their last digits; the finaliser spreads them). */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0x100000001b3ull;
	}
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
	uint64_t tag = hv & 0xffffffff00000000ull;
	size_t mask = g->id_hash_cap - 1, h = (size_t)hv & mask;
	for (;;) {
		uint64_t v = g->id_slot[h];
		if (!v)
			return SIZE_MAX;
		if ((v & 0xffffffff00000000ull) == tag) {
			size_t i = (uint32_t)v - 1, o = g->id_off[i];
			/* the arena holds each id and its NUL: its length is the
			 * distance to the next one's start, less one */
			if (g->id_off[i + 1] - o == n + 1 && !memcmp(g->id_arena + o, s, n))
				return i;
		}
		h = (h + 1) & mask;
	}
}

size_t graph_id_rehash(graph *g, size_t want)
{
	size_t cap = 16, held = 0;
	while (cap < want * 2)
		cap *= 2;
	free(g->id_slot);
	free(g->id_arena);
	free(g->id_off);
	g->id_slot = xcalloc(cap, sizeof *g->id_slot);
	g->id_hash_cap = cap;
	/* the ids one after the other, so that a look-up reads one short run
	 * of memory instead of a node and then its id */
	size_t total = 0;
	for (size_t i = 0; i < g->nnodes; i++)
		total += strlen(g->nodes[i].id) + 1;
	g->id_arena = xmalloc(total ? total : 1);
	g->id_off = xmalloc((g->nnodes + 1) * sizeof *g->id_off);
	size_t o = 0;
	for (size_t i = 0; i < g->nnodes; i++) {
		size_t n = strlen(g->nodes[i].id);
		memcpy(g->id_arena + o, g->nodes[i].id, n + 1);
		g->id_off[i] = o;
		o += n + 1;
	}
	g->id_off[g->nnodes] = o;
	for (size_t i = 0; i < g->nnodes; i++) {
		const char *id = g->id_arena + g->id_off[i];
		size_t n = g->id_off[i + 1] - g->id_off[i] - 1;
		if (graph_id_lookup(g, id, n) != SIZE_MAX)
			continue; /* a repeated id: the first keeps it */
		uint64_t hv = hash_bytes(id, n);
		size_t mask = cap - 1, h = (size_t)hv & mask;
		while (g->id_slot[h])
			h = (h + 1) & mask;
		g->id_slot[h] = (hv & 0xffffffff00000000ull) | (uint64_t)(uint32_t)(i + 1);
		held++;
	}
	return held;
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
	free(g->id_slot);
	free(g->id_arena);
	free(g->id_off);
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

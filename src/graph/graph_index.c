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
			if (g->id_off[i + 1] - o == n + 1 && graph_id_eq(g->id_arena + o, s, n))
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

/* The links are put in order by stable counting passes (least significant
 * key first), not by comparisons: a pass by node index (one bucket per
 * node) or by an 11-bit digit of a weight's key. The key of a weight is its
 * |weight|'s bits turned over (the bits of a float that is not negative
 * grow with it; weights are finite), so that ascending keys are descending
 * |weight|. Ties keep the order they came in. */
static uint32_t wkey(float w)
{
	float a = fabsf(w);
	uint32_t b;
	memcpy(&b, &a, sizeof b);
	return 0x7fffffffu - b;
}

#define DIGIT_BITS 11
#define DIGIT_PASSES 3 /* 31 bits of key; odd (see graph_build_order) */
_Static_assert(DIGIT_PASSES * DIGIT_BITS >= 31 && DIGIT_PASSES % 2 == 1, "the key's passes");

/* A link's bucket in a pass: by src (what 0), dst (1) or the weight key's
 * digit at shift (2). */
static inline size_t link_digit(const graph_link *l, int what, int shift)
{
	if (what == 0)
		return l->src;
	if (what == 1)
		return l->dst;
	return (wkey(l->weight) >> shift) & ((1u << DIGIT_BITS) - 1);
}

/* One stable pass of links from `from` into `to` (nb buckets; cnt has room
 * for nb+1). */
static void link_pass(const graph_link *from, graph_link *to, size_t n, int what, int shift, size_t nb,
                      size_t *cnt)
{
	memset(cnt, 0, (nb + 1) * sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[link_digit(&from[i], what, shift) + 1]++;
	for (size_t i = 0; i < nb; i++)
		cnt[i + 1] += cnt[i];
	for (size_t i = 0; i < n; i++)
		to[cnt[link_digit(&from[i], what, shift)]++] = from[i];
}

/* An entry of the in-order index while it is sorted: a link's weight key
 * and its place in links. */
typedef struct {
	uint32_t key, idx;
} ord_ent;

static void ord_pass(const ord_ent *from, ord_ent *to, size_t n, int shift, size_t *cnt)
{
	size_t nb = (size_t)1 << DIGIT_BITS;
	memset(cnt, 0, (nb + 1) * sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[((from[i].key >> shift) & (nb - 1)) + 1]++;
	for (size_t i = 0; i < nb; i++)
		cnt[i + 1] += cnt[i];
	for (size_t i = 0; i < n; i++)
		to[cnt[(from[i].key >> shift) & (nb - 1)]++] = from[i];
}

void graph_build_order(graph *g)
{
	size_t nn = g->nnodes, nl = g->nlinks, nb = (size_t)1 << DIGIT_BITS;
	g->out_start = xcalloc(nn + 1, sizeof *g->out_start);
	g->in_start = xcalloc(nn + 1, sizeof *g->in_start);
	g->in_order = xmalloc((nl ? nl : 1) * sizeof *g->in_order);
	size_t *cnt = xmalloc(((nn > nb ? nn : nb) + 1) * sizeof *cnt);
	for (size_t i = 0; i < nl; i++) {
		g->out_start[g->links[i].src + 1]++;
		g->in_start[g->links[i].dst + 1]++;
	}
	for (size_t i = 0; i < nn; i++) {
		g->out_start[i + 1] += g->out_start[i];
		g->in_start[i + 1] += g->in_start[i];
	}
	/* links by (src, |weight| descending, dst, file order): passes by
	 * dst, the key's digits, then src */
	graph_link *a = g->links, *b = xmalloc((nl ? nl : 1) * sizeof *b), *t;
	link_pass(a, b, nl, 1, 0, nn, cnt);
	for (int d = 0; d < DIGIT_PASSES; d++) {
		link_pass(b, a, nl, 2, d * DIGIT_BITS, nb, cnt);
		t = a, a = b, b = t;
	}
	link_pass(b, a, nl, 0, 0, nn, cnt);
	g->links = a;
	/* in_order by (dst, |weight| descending, place in links): the place
	 * (so src, then file order) is the order it starts in; passes by the
	 * key's digits, then dst. The spare links buffer and in_order hold the
	 * entries meanwhile (an entry is no larger than either's element). */
	ord_ent *x = (ord_ent *)(void *)g->in_order, *y = (ord_ent *)(void *)b, *u;
	for (size_t i = 0; i < nl; i++)
		x[i] = (ord_ent){wkey(g->links[i].weight), (uint32_t)i};
	for (int d = 0; d < DIGIT_PASSES; d++) {
		ord_pass(x, y, nl, d * DIGIT_BITS, cnt);
		u = x, x = y, y = u;
	}
	/* an odd number of passes: the entries are in the spare buffer, and
	 * the last pass writes in_order itself */
	memcpy(cnt, g->in_start, (nn + 1) * sizeof *cnt);
	for (size_t i = 0; i < nl; i++)
		g->in_order[cnt[g->links[x[i].idx].dst]++] = x[i].idx;
	free(b);
	free(cnt);
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

/*
 * graph_load.c: reading an attribution graph (graph.h): the file mapped and
 * walked by the validating scanner of core/jscan.h, never held as one
 * jansson tree. metadata and qParams are small and parsed whole; nodes one
 * element at a time through jansson; links (up to tens of millions) by the
 * scanner alone, their endpoints looked up in a hash of node ids. Then the
 * links are put in order: by source with the strongest first, and an index
 * by target with the strongest first.
 *
 * What a node is, and the `feature` field. circuit-tracer names a node
 * LAYER_X_POS (node_id) and writes feature_type "cross layer transcoder"
 * (also for per-layer transcoders such as Gemma Scope's), "mlp
 * reconstruction error", "embedding" or "logit":
 *   - a feature: X is its index in its layer's dictionary, and `feature` is
 *     the Cantor pairing of layer and index,
 *         feature = (layer + index) * (layer + index + 1) / 2 + index,
 *     so that one number names a feature across layers (0_35_3: 665;
 *     1_12928_3: 83598913). graph_node.index is decoded from `feature` by
 *     the inverse pairing when that gives back the node's layer, and from
 *     node_id's X otherwise (a file that mixes layer and index another way);
 *   - an error node: X is -1, `feature` -1;
 *   - an embedding: layer "E", X the token id, `feature` the position;
 *     its text is metadata.prompt_tokens[ctx_idx];
 *   - a logit: layer one past the model's last (27 for Gemma 2 2B's 26), X
 *     the token id, `feature` the token id; its text is the quoted part of
 *     its clerp ('Output "4" (p=0.233)'). graph_node.layer is the graph's
 *     nlayers for a logit (the row above every feature), the file's value
 *     is kept in graph.logit_layer.
 */
#include "graph/graph.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/escape.h"
#include "core/jscan.h"
#include "core/number.h"
#include "core/progress.h"
#include "core/util.h"
#include "graph/graph_int.h"

/* ------------------------------------------------------------ errors */

typedef struct {
	const char *name;     /* the file, for messages */
	const char *text;     /* its bytes */
	size_t len;
	char *err;
	size_t errlen;
	graph *g;
	int have_nodes;
	const char *links_at, *links_end; /* links seen before nodes */
	size_t cap_nodes, cap_links;
	fs_progress *prog;    /* NULL: silent */
} loader;

/* How far the reader is, every so often. */
static void report(loader *L, const char *at)
{
	if (L->prog)
		progress_update(L->prog, (int64_t)(at - L->text), (int64_t)L->len);
}

static long line_of(const loader *L, const char *p)
{
	long line = 1;
	const char *q = L->text;
	if (!p || p < L->text || p > L->text + L->len)
		return 0;
	while (q < p && (q = memchr(q, '\n', (size_t)(p - q)))) {
		line++;
		q++;
	}
	return line;
}

/* One line: "FILE:LINE: FIELD: message" (LINE left out when unknown). */
static int bad(loader *L, const char *at, const char *field, const char *fmt, ...) FS_PRINTF(4, 5);
static int bad(loader *L, const char *at, const char *field, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fs_buf nm = {0};
	escape_append(&nm, L->name, strlen(L->name), 0);
	long line = line_of(L, at);
	if (line > 0)
		fs_seterr(L->err, L->errlen, "%s:%ld: %s: %s", nm.p ? nm.p : "", line, field, msg);
	else
		fs_seterr(L->err, L->errlen, "%s: %s: %s", nm.p ? nm.p : "", field, msg);
	buf_free(&nm);
	return -1;
}

/* An untrusted string for a message, escaped and cut short. */
static char *quote(const char *s, size_t n)
{
	if (n > 60)
		n = 60;
	return escape_dup(s, n);
}

/* ------------------------------------------------------------ metadata */

static int meta_str(loader *L, json_t *obj, const char *key, const char *field, char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = xstrdup("");
		return 0;
	}
	if (!json_is_string(v))
		return bad(L, NULL, field, "not a string");
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int meta_num(loader *L, json_t *obj, const char *key, const char *field, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return bad(L, NULL, field, "not a number");
	*out = json_number_value(v);
	return 0;
}

static int read_metadata(loader *L, json_t *m)
{
	graph *g = L->g;
	if (!json_is_object(m))
		return bad(L, NULL, "metadata", "not an object");
	if (meta_str(L, m, "slug", "metadata.slug", &g->slug) || meta_str(L, m, "scan", "metadata.scan", &g->scan) ||
	    meta_str(L, m, "prompt", "metadata.prompt", &g->prompt))
		return -1;
	json_t *info = json_object_get(m, "info");
	if (info && !json_is_null(info) && !json_is_object(info))
		return bad(L, NULL, "metadata.info", "not an object");
	if (meta_str(L, info, "transcoder_set", "metadata.info.transcoder_set", &g->transcoder_set))
		return -1;
	json_t *toks = json_object_get(m, "prompt_tokens");
	if (toks && !json_is_null(toks)) {
		if (!json_is_array(toks))
			return bad(L, NULL, "metadata.prompt_tokens", "not an array");
		size_t n = json_array_size(toks);
		if (n > 1000000)
			return bad(L, NULL, "metadata.prompt_tokens", "%zu tokens, more than 1,000,000", n);
		g->tokens = xcalloc(n ? n : 1, sizeof *g->tokens);
		for (size_t i = 0; i < n; i++) {
			json_t *t = json_array_get(toks, i);
			if (!json_is_string(t)) {
				char f[64];
				snprintf(f, sizeof f, "metadata.prompt_tokens[%zu]", i);
				return bad(L, NULL, f, "not a string");
			}
			g->tokens[i] = xstrndup(json_string_value(t), json_string_length(t));
			g->ntokens = (int)(i + 1);
		}
	}
	if (meta_num(L, m, "node_threshold", "metadata.node_threshold", &g->node_threshold))
		return -1;
	json_t *ps = json_object_get(m, "pruning_settings");
	if (ps && !json_is_null(ps)) {
		if (!json_is_object(ps))
			return bad(L, NULL, "metadata.pruning_settings", "not an object");
		if (meta_num(L, ps, "node_threshold", "metadata.pruning_settings.node_threshold", &g->node_threshold) ||
		    meta_num(L, ps, "edge_threshold", "metadata.pruning_settings.edge_threshold", &g->edge_threshold))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ nodes */

/* The kind of a feature_type string; -1 when unknown. */
static int kind_of(const char *t)
{
	if (!strcmp(t, "embedding"))
		return GRAPH_EMBED;
	if (!strcmp(t, "logit"))
		return GRAPH_LOGIT;
	if (!strcmp(t, "mlp reconstruction error") || !strcmp(t, "reconstruction error"))
		return GRAPH_ERROR;
	if (strstr(t, "transcoder") || !strcmp(t, "feature") || !strcmp(t, "sae"))
		return GRAPH_FEATURE;
	return -1;
}

/* node_id LAYER_X_POS: X, or INT64_MIN when it does not have that form. */
static int64_t id_middle(const char *id)
{
	const char *a = strchr(id, '_');
	const char *b = a ? strrchr(id, '_') : NULL;
	if (!a || b == a)
		return INT64_MIN;
	char tmp[32];
	size_t n = (size_t)(b - a - 1);
	if (n == 0 || n >= sizeof tmp)
		return INT64_MIN;
	memcpy(tmp, a + 1, n);
	tmp[n] = 0;
	int64_t v;
	return fs_parse_i64(tmp, &v) == 0 ? v : INT64_MIN;
}

/* The inverse Cantor pairing: z = (a+b)(a+b+1)/2 + b. */
static int unpair(int64_t z, int64_t *a, int64_t *b)
{
	if (z < 0 || z > ((int64_t)1 << 60))
		return -1;
	int64_t w = (int64_t)((sqrt(8.0 * (double)z + 1.0) - 1.0) / 2.0);
	while (w > 0 && w * (w + 1) / 2 > z)
		w--;
	while ((w + 1) * (w + 2) / 2 <= z)
		w++;
	*b = z - w * (w + 1) / 2;
	*a = w - *b;
	return 0;
}

/* The token of a logit's clerp, 'Output "TEXT" (p=...)': TEXT, or "". */
static char *logit_token(const char *clerp)
{
	const char *pre = "Output \"";
	size_t pl = strlen(pre);
	if (strncmp(clerp, pre, pl) != 0)
		return xstrdup("");
	const char *s = clerp + pl, *e = strstr(s, "\" (p=");
	const char *q;
	while (e && (q = strstr(e + 1, "\" (p=")))
		e = q;
	if (!e) {
		size_t n = strlen(s);
		if (n && s[n - 1] == '"')
			return xstrndup(s, n - 1);
		return xstrdup("");
	}
	return xstrndup(s, (size_t)(e - s));
}

static int node_num(loader *L, json_t *o, const char *key, const char *at, size_t i, double *out)
{
	json_t *v = json_object_get(o, key);
	*out = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		char f[80];
		snprintf(f, sizeof f, "nodes[%zu].%s", i, key);
		return bad(L, at, f, "not a number");
	}
	*out = json_number_value(v);
	return 0;
}

static int node_str(loader *L, json_t *o, const char *key, const char *at, size_t i, int need, char **out)
{
	json_t *v = json_object_get(o, key);
	char f[80];
	snprintf(f, sizeof f, "nodes[%zu].%s", i, key);
	if (!v || json_is_null(v)) {
		if (need)
			return bad(L, at, f, "missing");
		*out = xstrdup("");
		return 0;
	}
	if (!json_is_string(v))
		return bad(L, at, f, "not a string");
	if (need && !json_string_length(v))
		return bad(L, at, f, "empty");
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int read_node(loader *L, json_t *o, const char *at, size_t i)
{
	graph *g = L->g;
	char f[80];
	if (!json_is_object(o)) {
		snprintf(f, sizeof f, "nodes[%zu]", i);
		return bad(L, at, f, "not an object");
	}
	if (g->nnodes >= UINT32_MAX - 1)
		return bad(L, at, "nodes", "more than 4 billion nodes");
	if (g->nnodes == L->cap_nodes) {
		L->cap_nodes = L->cap_nodes ? L->cap_nodes * 2 : 256;
		g->nodes = xrealloc(g->nodes, L->cap_nodes * sizeof *g->nodes);
	}
	graph_node *n = &g->nodes[g->nnodes];
	memset(n, 0, sizeof *n);
	n->feature = n->index = n->token_id = -1;
	int rc = 0;
	char *type = NULL;
	if (node_str(L, o, "node_id", at, i, 1, &n->id))
		return -1;
	g->nnodes++; /* from here on graph_free releases it */
	if (node_str(L, o, "feature_type", at, i, 1, &type) || node_str(L, o, "jsNodeId", at, i, 0, &n->js_id) ||
	    node_str(L, o, "clerp", at, i, 0, &n->clerp) || node_num(L, o, "influence", at, i, &n->influence) ||
	    node_num(L, o, "activation", at, i, &n->activation) || node_num(L, o, "token_prob", at, i, &n->token_prob)) {
		free(type);
		return -1;
	}
	n->token = xstrdup("");
	int k = kind_of(type);
	if (k < 0) {
		snprintf(f, sizeof f, "nodes[%zu].feature_type", i);
		char *q = quote(type, strlen(type));
		rc = bad(L, at, f, "\"%s\" is not a kind of node this reads (transcoder, error, embedding, logit)", q);
		free(q);
		free(type);
		return rc;
	}
	free(type);
	n->kind = (graph_kind)k;
	/* layer: "E", a decimal string or an integer */
	json_t *ly = json_object_get(o, "layer");
	int64_t layer = 0;
	snprintf(f, sizeof f, "nodes[%zu].layer", i);
	if (json_is_string(ly) && !strcmp(json_string_value(ly), "E"))
		layer = -1;
	else if (json_is_string(ly)) {
		if (fs_parse_i64(json_string_value(ly), &layer) != 0 || layer < 0 || layer > 100000)
			return bad(L, at, f, "not a layer number or \"E\"");
	} else if (json_is_integer(ly)) {
		layer = json_integer_value(ly);
		if (layer < 0 || layer > 100000)
			return bad(L, at, f, "not a layer number or \"E\"");
	} else
		return bad(L, at, f, ly ? "not a layer number or \"E\"" : "missing");
	if ((layer < 0) != (k == GRAPH_EMBED))
		return bad(L, at, f, k == GRAPH_EMBED ? "an embedding's layer is not \"E\"" : "\"E\" on a node that is not an embedding");
	n->layer = (int)layer;
	json_t *cx = json_object_get(o, "ctx_idx");
	snprintf(f, sizeof f, "nodes[%zu].ctx_idx", i);
	if (!json_is_integer(cx) || json_integer_value(cx) < 0 || json_integer_value(cx) > 100000000)
		return bad(L, at, f, cx ? "not a position (an integer from 0)" : "missing");
	n->ctx = (int)json_integer_value(cx);
	json_t *ft = json_object_get(o, "feature");
	snprintf(f, sizeof f, "nodes[%zu].feature", i);
	if (ft && !json_is_null(ft)) {
		if (!json_is_integer(ft))
			return bad(L, at, f, "not an integer");
		n->feature = json_integer_value(ft);
	}
	json_t *tl = json_object_get(o, "is_target_logit");
	if (tl && !json_is_null(tl) && !json_is_boolean(tl)) {
		snprintf(f, sizeof f, "nodes[%zu].is_target_logit", i);
		return bad(L, at, f, "not true or false");
	}
	n->target_logit = json_is_true(tl);
	int64_t mid = id_middle(n->id);
	if (k == GRAPH_FEATURE) {
		int64_t a, b;
		if (n->feature >= 0 && unpair(n->feature, &a, &b) == 0 && a == layer)
			n->index = b;
		else if (mid >= 0)
			n->index = mid;
		if (layer + 1 > g->nlayers)
			g->nlayers = (int)(layer + 1);
	} else if (k == GRAPH_ERROR) {
		if (layer + 1 > g->nlayers)
			g->nlayers = (int)(layer + 1);
	} else {
		n->token_id = mid >= 0 ? mid : -1;
		if (k == GRAPH_LOGIT) {
			free(n->token);
			n->token = logit_token(n->clerp);
			if (g->logit_layer < (int)layer)
				g->logit_layer = (int)layer;
		}
	}
	return 0;
}

/* The nodes array at c (which points at '['). */
static int read_nodes(loader *L, jscan *c)
{
	c->p++;
	jscan_ws(c);
	size_t i = 0;
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		jscan_ws(c);
		const char *v0 = c->p;
		if (jscan_skip(c, 0) != 0)
			return bad(L, c->p, "nodes", c->p >= c->end ? "the file ends inside it (truncated)" : "not valid JSON here");
		json_error_t je;
		json_t *o = json_loadb(v0, (size_t)(c->p - v0), JSON_DECODE_ANY, &je);
		if (!o)
			return bad(L, v0, "nodes", "not valid JSON here");
		if (!(i & 4095))
			report(L, v0);
		int rc = read_node(L, o, v0, i++);
		json_decref(o);
		if (rc)
			return -1;
		jscan_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			break;
		}
		return bad(L, c->p, "nodes", c->p >= c->end ? "the file ends inside it (truncated)" : "not valid JSON here");
	}
	graph *g = L->g;
	/* id_rehash inserts every node but a repeated id and says how many it
	 * holds */
	if (graph_id_rehash(g, g->nnodes) != g->nnodes) {
		/* find the first repeat for the message */
		for (size_t j = 0; j < g->nnodes; j++)
			if (graph_id_lookup(g, g->nodes[j].id, strlen(g->nodes[j].id)) != j) {
				char f[64], *q = quote(g->nodes[j].id, strlen(g->nodes[j].id));
				snprintf(f, sizeof f, "nodes[%zu].node_id", j);
				bad(L, NULL, f, "\"%s\" is the id of an earlier node too", q);
				free(q);
				return -1;
			}
	}
	for (size_t j = 0; j < g->nnodes; j++)
		if (g->nodes[j].kind == GRAPH_LOGIT)
			g->nodes[j].layer = g->nlayers;
	L->have_nodes = 1;
	return 0;
}

/* ------------------------------------------------------------ links */

/* The links array at c (which points at '['), nodes known. */
static int read_links(loader *L, jscan *c)
{
	graph *g = L->g;
	c->p++;
	jscan_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	size_t i = 0, last[2] = {SIZE_MAX, SIZE_MAX};
	char f[64];
	for (;; i++) {
		jscan_ws(c);
		const char *e0 = c->p;
		if (!(i & 65535))
			report(L, e0);
		if (c->p >= c->end || *c->p != '{') {
			snprintf(f, sizeof f, "links[%zu]", i);
			return bad(L, e0, f, c->p >= c->end ? "the file ends inside it (truncated)" : "not an object");
		}
		c->p++;
		size_t ends[2] = {SIZE_MAX, SIZE_MAX};
		double w = 0;
		int have_w = 0;
		jscan_ws(c);
		if (c->p < c->end && *c->p == '}')
			c->p++;
		else
			for (;;) {
				jscan_ws(c);
				const char *ks;
				size_t kn;
				if (jscan_string_ref(c, &ks, &kn) != 0)
					goto syntax;
				int which = -1;
				if (kn == 6 && !memcmp(ks, "source", 6))
					which = 0;
				else if (kn == 6 && !memcmp(ks, "target", 6))
					which = 1;
				else if (kn == 6 && !memcmp(ks, "weight", 6))
					which = 2;
				jscan_ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					goto syntax;
				jscan_ws(c);
				const char *v0 = c->p;
				if (which == 0 || which == 1) {
					const char *key = which ? "target" : "source";
					if (c->p >= c->end || *c->p != '"') {
						if (jscan_skip(c, 0) != 0)
							goto syntax;
						snprintf(f, sizeof f, "links[%zu].%s", i, key);
						return bad(L, v0, f, "not a string");
					}
					const char *s;
					size_t sn;
					if (jscan_string_ref(c, &s, &sn) != 0)
						goto syntax;
					/* files list a target's links together: the last
					 * node named at this end is tried first (its id in
					 * the arena, its length the distance to the next) */
					size_t k = last[which];
					if (k == SIZE_MAX || g->id_off[k + 1] - g->id_off[k] != sn + 1 ||
					    !graph_id_eq(g->id_arena + g->id_off[k], s, sn))
						k = last[which] = graph_id_lookup(g, s, sn);
					if (k == SIZE_MAX) {
						snprintf(f, sizeof f, "links[%zu].%s", i, key);
						char *q = quote(s, sn);
						bad(L, v0, f, "no node has the id \"%s\"", q);
						free(q);
						return -1;
					}
					ends[which] = k;
				} else if (which == 2) {
					if (jscan_number(c, &w) != 0) {
						snprintf(f, sizeof f, "links[%zu].weight", i);
						int num = c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'));
						c->p = v0;
						if (jscan_skip(c, 0) != 0)
							goto syntax;
						return bad(L, v0, f, num ? "beyond the range of a float" : "not a number");
					}
					have_w = 1;
				} else if (jscan_skip(c, 0) != 0)
					goto syntax;
				jscan_ws(c);
				if (c->p < c->end && *c->p == ',') {
					c->p++;
					continue;
				}
				if (c->p < c->end && *c->p == '}') {
					c->p++;
					break;
				}
				goto syntax;
			}
		if (ends[0] == SIZE_MAX || ends[1] == SIZE_MAX || !have_w)
		{
			snprintf(f, sizeof f, "links[%zu]", i);
			return bad(L, e0, f, "no %s",
			           ends[0] == SIZE_MAX ? "source" : ends[1] == SIZE_MAX ? "target" : "weight");
		}
		if (g->nlinks >= UINT32_MAX - 1)
			return bad(L, e0, "links", "more than 4 billion links");
		if (g->nlinks == L->cap_links) {
			L->cap_links = L->cap_links ? L->cap_links * 2 : 1024;
			g->links = xrealloc(g->links, L->cap_links * sizeof *g->links);
		}
		g->links[g->nlinks++] = (graph_link){(uint32_t)ends[0], (uint32_t)ends[1], (float)w};
		jscan_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return 0;
		}
		goto syntax;
	}
syntax:
	snprintf(f, sizeof f, "links[%zu]", i);
	return bad(L, c->p, f, c->p >= c->end ? "the file ends inside it (truncated)" : "not valid JSON here");
}

/* ------------------------------------------------------------ supernodes */

static int read_qparams(loader *L, json_t *q)
{
	graph *g = L->g;
	if (!json_is_object(q))
		return bad(L, NULL, "qParams", "not an object");
	json_t *sn = json_object_get(q, "supernodes");
	if (!sn || json_is_null(sn))
		return 0;
	if (!json_is_array(sn))
		return bad(L, NULL, "qParams.supernodes", "not an array");
	size_t n = json_array_size(sn);
	if (n > 100000)
		return bad(L, NULL, "qParams.supernodes", "more than 100,000 groups");
	g->sn_names = xcalloc(n ? n : 1, sizeof *g->sn_names);
	g->sn_members = xcalloc(n ? n : 1, sizeof *g->sn_members);
	g->sn_count = xcalloc(n ? n : 1, sizeof *g->sn_count);
	for (size_t i = 0; i < n; i++) {
		json_t *grp = json_array_get(sn, i);
		char f[80];
		snprintf(f, sizeof f, "qParams.supernodes[%zu]", i);
		if (!json_is_array(grp) || !json_array_size(grp) || !json_is_string(json_array_get(grp, 0)))
			return bad(L, NULL, f, "not an array of a name and node ids");
		size_t m = json_array_size(grp) - 1;
		g->sn_names[i] = xstrdup(json_string_value(json_array_get(grp, 0)));
		g->sn_members[i] = xmalloc((m ? m : 1) * sizeof **g->sn_members);
		g->nsupernodes = (int)(i + 1);
		for (size_t j = 0; j < m; j++) {
			json_t *id = json_array_get(grp, j + 1);
			if (!json_is_string(id)) {
				snprintf(f, sizeof f, "qParams.supernodes[%zu][%zu]", i, j + 1);
				return bad(L, NULL, f, "not a string");
			}
			size_t k = graph_find(g, json_string_value(id));
			if (k != SIZE_MAX) /* a node pruned from the file: left out */
				g->sn_members[i][g->sn_count[i]++] = (uint32_t)k;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the file */

static int load_text(loader *L)
{
	graph *g = L->g;
	jscan c = {L->text, L->text + L->len, {0}};
	json_t *meta = NULL, *qp = NULL;
	int rc = -1, saw_nodes = 0, saw_links = 0;
	jscan_ws(&c);
	if (c.p >= c.end || *c.p != '{') {
		bad(L, NULL, "top level", c.p >= c.end ? "empty file" : "not a JSON object, so not an attribution graph");
		goto out;
	}
	c.p++;
	jscan_ws(&c);
	if (c.p < c.end && *c.p == '}')
		c.p++;
	else
		for (;;) {
			jscan_ws(&c);
			c.str.len = 0;
			const char *k0 = c.p;
			if (jscan_string(&c, 1) != 0) {
				bad(L, k0, "top level", c.p >= c.end ? "the file ends inside it (truncated)" : "not valid JSON here");
				goto out;
			}
			char key[16] = "";
			if (c.str.len && c.str.len < sizeof key)
				memcpy(key, c.str.p, c.str.len), key[c.str.len] = 0;
			jscan_ws(&c);
			if (c.p >= c.end || *c.p++ != ':') {
				bad(L, c.p, "top level", c.p >= c.end ? "the file ends inside it (truncated)" : "not valid JSON here");
				goto out;
			}
			jscan_ws(&c);
			const char *v0 = c.p;
			if (!strcmp(key, "nodes") && c.p < c.end && *c.p == '[' && !saw_nodes) {
				saw_nodes = 1;
				if (read_nodes(L, &c))
					goto out;
			} else if (!strcmp(key, "links") && c.p < c.end && *c.p == '[' && !saw_links) {
				saw_links = 1;
				if (L->have_nodes) {
					if (read_links(L, &c))
						goto out;
				} else {
					if (jscan_skip(&c, 0) != 0) {
						bad(L, c.p, "links", c.p >= c.end ? "the file ends inside it (truncated)" : "not valid JSON here");
						goto out;
					}
					L->links_at = v0;
					L->links_end = c.p;
				}
			} else {
				if (jscan_skip(&c, 0) != 0) {
					/* the key is the file's text: escaped (a newline in
					 * it made the message two lines; found by fuzz-graph) */
					char *q = key[0] ? quote(key, strlen(key)) : NULL;
					bad(L, c.p, q ? q : "top level",
					    c.p >= c.end ? "the file ends inside it (truncated)" : "not valid JSON here");
					free(q);
					goto out;
				}
				if (!strcmp(key, "nodes") || !strcmp(key, "links")) {
					bad(L, v0, key, "%s", saw_nodes + saw_links ? "given twice" : "not an array");
					goto out;
				}
				if (!strcmp(key, "metadata") || !strcmp(key, "qParams")) {
					json_t **dst = key[0] == 'm' ? &meta : &qp;
					json_decref(*dst);
					*dst = json_loadb(v0, (size_t)(c.p - v0), JSON_DECODE_ANY, NULL);
					if (!*dst) {
						bad(L, v0, key, "not valid JSON here");
						goto out;
					}
				}
			}
			jscan_ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (c.p < c.end && *c.p == '}') {
				c.p++;
				break;
			}
			bad(L, c.p, "top level", c.p >= c.end ? "the file ends inside it (truncated)" : "not valid JSON here");
			goto out;
		}
	jscan_ws(&c);
	if (c.p != c.end) {
		bad(L, c.p, "top level", "text after the graph's object");
		goto out;
	}
	if (!saw_nodes || !saw_links) {
		bad(L, NULL, !saw_nodes ? "nodes" : "links", "missing: not an attribution graph (it needs \"nodes\" and \"links\" arrays)");
		goto out;
	}
	if (meta && read_metadata(L, meta))
		goto out;
	if (!g->slug)
		g->slug = xstrdup(""), g->scan = xstrdup(""), g->prompt = xstrdup(""), g->transcoder_set = xstrdup("");
	/* embeddings' text, now that prompt_tokens is known */
	for (size_t j = 0; j < g->nnodes; j++) {
		graph_node *n = &g->nodes[j];
		if (n->kind == GRAPH_EMBED && n->ctx < g->ntokens && !n->token[0]) {
			free(n->token);
			n->token = xstrdup(g->tokens[n->ctx]);
		}
	}
	if (L->links_at) {
		jscan lc = {L->links_at, L->links_end, {0}};
		int r = read_links(L, &lc);
		buf_free(&lc.str);
		if (r)
			goto out;
	}
	graph_build_order(g);
	if (qp && read_qparams(L, qp))
		goto out;
	rc = 0;
out:
	buf_free(&c.str);
	json_decref(meta);
	json_decref(qp);
	return rc;
}

static int load_mem(const char *name, const char *text, size_t len, graph **out, fs_progress *p, char *err,
		    size_t errlen)
{
	graph *g = xcalloc(1, sizeof *g);
	g->path = xstrdup(name);
	g->node_threshold = g->edge_threshold = NAN;
	g->logit_layer = -1;
	loader L = {.name = name, .text = text, .len = len, .err = err, .errlen = errlen, .g = g, .prog = p};
	*out = NULL;
	if (p)
		progress_start(p, "", "graph %s", name);
	int rc = load_text(&L);
	if (p && progress_on(p))
		progress_end(p, (int64_t)len);
	if (rc != 0) {
		graph_free(g);
		return -1;
	}
	*out = g;
	return 0;
}

int graph_load_mem(const char *name, const char *text, size_t len, graph **out, char *err, size_t errlen)
{
	return load_mem(name, text, len, out, NULL, err, errlen);
}

int graph_load(const char *path, graph **out, char *err, size_t errlen)
{
	return graph_load_progress(path, out, NULL, err, errlen);
}

int graph_load_progress(const char *path, graph **out, fs_progress *p, char *err, size_t errlen)
{
	*out = NULL;
	int fd = open(path, O_RDONLY);
	struct stat sb;
	fs_buf nm = {0};
	escape_append(&nm, path, strlen(path), 0);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fs_seterr(err, errlen, "%s: %s", nm.p, strerror(errno));
		if (fd >= 0)
			close(fd);
		buf_free(&nm);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fs_seterr(err, errlen, "%s: not a regular file", nm.p);
		close(fd);
		buf_free(&nm);
		return -1;
	}
	buf_free(&nm);
	size_t len = (size_t)sb.st_size;
	void *map = NULL;
	if (len) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		madvise(map, len, MADV_SEQUENTIAL);
	}
	close(fd);
	int rc = load_mem(path, map ? map : "", len, out, p, err, errlen);
	if (map)
		munmap(map, len);
	return rc;
}

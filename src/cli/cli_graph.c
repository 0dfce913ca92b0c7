/*
 * cli_graph.c: `featscope graph FILE [NODE]`: an attribution graph (the
 * circuit-tracer / Neuronpedia JSON, src/graph/graph.h) on the command
 * line. Without NODE: a summary (the prompt, the logits with their
 * probabilities, node counts by kind and by layer); with NODE: that node
 * and its strongest links in and out; --paths LOGIT: the strongest paths
 * from a logit back to the embeddings; --dot / --mermaid: the pruned
 * subgraph as Graphviz or Mermaid text (stdout, or -o FILE written to a
 * temporary file and renamed). --node-threshold and --edge-threshold prune
 * first (graph_prune) for every output. All the analysis is the engine's;
 * this file only prints it (text through escape_str, JSON through jw_*).
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/util.h"
#include "graph/graph.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* graph's options, one row each: the enum O_* and graph_opts (CLI_OPTIONS). */
#define GRAPH_OPTS(X) \
	X(O_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(O_TOP, "top", 'n', OPT_INT, "N", 1, 1000000, "links shown each way, or paths found (10)") \
	X(O_PATHS, "paths", 'p', OPT_STR, "LOGIT", 0, 0, "the strongest paths to LOGIT (its node id, or its token's text)") \
	X(O_NODE_THR, "node-threshold", 0, OPT_FLOAT, "X", 0, 1, "keep feature and error nodes of influence at most X (1: all)") \
	X(O_EDGE_THR, "edge-threshold", 0, OPT_FLOAT, "Y", 0, 1, "keep the strongest links making up Y of each node's input (1: all)") \
	X(O_DOT, "dot", 0, OPT_FLAG, NULL, 0, 0, "the pruned graph as Graphviz DOT") \
	X(O_MERMAID, "mermaid", 0, OPT_FLAG, NULL, 0, 0, "the pruned graph as a Mermaid flowchart") \
	X(O_OUT, "output", 'o', OPT_STR, "FILE", 0, 0, "write --dot or --mermaid to FILE (replaced whole)")
CLI_OPTIONS(graph_opts, GRAPH_OPTS);

/* What one run holds. */
typedef struct {
	graph *g;
	uint8_t *node_keep, *link_keep; /* NULL: nothing pruned */
	size_t kept_nodes, kept_links;
	int top;
} gctx;

/* A link's weight (a float): its exact value when that is a short decimal
 * (0.318359375, as bf16-rounded weights in the files are), else the shortest
 * decimal that reads back as the same float (0.1, not 0.10000000149011612). */
static json_t *weight_json(float w)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%.12g", (double)w);
	if (strtod(buf, NULL) == (double)w)
		return jw_num((double)w);
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)w);
		if ((float)strtod(buf, NULL) == w)
			break;
	}
	return jw_num(strtod(buf, NULL));
}

static const char *num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

/* The file's layer name of node i: "E" for embeddings, the logits' own. */
static void layer_name(const graph *g, size_t i, char *buf, size_t n)
{
	const graph_node *nd = &g->nodes[i];
	if (nd->kind == GRAPH_EMBED)
		snprintf(buf, n, "E");
	else if (nd->kind == GRAPH_LOGIT)
		snprintf(buf, n, "%d", g->logit_layer >= 0 ? g->logit_layer : nd->layer);
	else
		snprintf(buf, n, "%d", nd->layer);
}

static int kept_node(const gctx *c, size_t i)
{
	return !c->node_keep || c->node_keep[i];
}

static int kept_link(const gctx *c, size_t li)
{
	return !c->link_keep || c->link_keep[li];
}

/* ------------------------------------------------------------ summary */

static int by_prob(const void *a, const void *b, const graph *g)
{
	double x = g->nodes[*(const size_t *)a].token_prob, y = g->nodes[*(const size_t *)b].token_prob;
	if (isnan(x))
		x = -1;
	if (isnan(y))
		y = -1;
	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static const graph *sort_g;
static int by_prob_cmp(const void *a, const void *b)
{
	return by_prob(a, b, sort_g);
}

static int summary(const gctx *c, int json)
{
	const graph *g = c->g;
	size_t kinds[GRAPH_NKINDS] = {0};
	int nl = g->nlayers;
	size_t *by_layer = xcalloc((size_t)nl + 1, sizeof *by_layer);
	size_t nemb = 0, nlog = 0, *logits = xmalloc((g->nnodes ? g->nnodes : 1) * sizeof *logits);
	for (size_t i = 0; i < g->nnodes; i++) {
		if (!kept_node(c, i))
			continue;
		const graph_node *n = &g->nodes[i];
		kinds[n->kind]++;
		if (n->kind == GRAPH_EMBED)
			nemb++;
		else if (n->kind == GRAPH_LOGIT)
			logits[nlog++] = i;
		else if (n->layer >= 0 && n->layer < nl)
			by_layer[n->layer]++;
	}
	sort_g = g;
	qsort(logits, nlog, sizeof *logits, by_prob_cmp);
	char b1[32], lname[32];
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "file", jw_str(g->path));
		json_object_set_new(o, "slug", jw_str(g->slug));
		json_object_set_new(o, "scan", jw_str(g->scan));
		json_object_set_new(o, "transcoder_set", jw_str(g->transcoder_set));
		json_object_set_new(o, "prompt", jw_str(g->prompt));
		json_t *toks = json_array();
		for (int i = 0; i < g->ntokens; i++)
			json_array_append_new(toks, jw_str(g->tokens[i]));
		json_object_set_new(o, "prompt_tokens", toks);
		json_object_set_new(o, "nodes", json_integer((json_int_t)g->nnodes));
		json_object_set_new(o, "links", json_integer((json_int_t)g->nlinks));
		if (c->node_keep) {
			json_object_set_new(o, "kept_nodes", json_integer((json_int_t)c->kept_nodes));
			json_object_set_new(o, "kept_links", json_integer((json_int_t)c->kept_links));
		}
		json_object_set_new(o, "layers", json_integer(nl));
		json_t *la = json_array();
		for (size_t k = 0; k < nlog; k++) {
			const graph_node *n = &g->nodes[logits[k]];
			json_t *l = json_object();
			json_object_set_new(l, "id", jw_str(n->id));
			json_object_set_new(l, "token", jw_str(n->token));
			json_object_set_new(l, "token_id", json_integer((json_int_t)n->token_id));
			json_object_set_new(l, "probability", jw_num(n->token_prob));
			json_object_set_new(l, "target", json_boolean(n->target_logit));
			json_array_append_new(la, l);
		}
		json_object_set_new(o, "logits", la);
		json_t *bk = json_object();
		for (int k = 0; k < GRAPH_NKINDS; k++)
			json_object_set_new(bk, graph_kind_name((graph_kind)k), json_integer((json_int_t)kinds[k]));
		json_object_set_new(o, "by_kind", bk);
		/* by the file's layer names: "E", the feature layers, the logits' */
		json_t *bl = json_object();
		if (nemb)
			json_object_set_new(bl, "E", json_integer((json_int_t)nemb));
		for (int l = 0; l < nl; l++)
			if (by_layer[l]) {
				snprintf(lname, sizeof lname, "%d", l);
				json_object_set_new(bl, lname, json_integer((json_int_t)by_layer[l]));
			}
		if (nlog) {
			layer_name(g, logits[0], lname, sizeof lname);
			json_object_set_new(bl, lname, json_integer((json_int_t)nlog));
		}
		json_object_set_new(o, "by_layer", bl);
		cli_print_json(o);
	} else {
		printf("graph %s", escape_str(g->slug[0] ? g->slug : g->path));
		if (g->scan[0] || g->transcoder_set[0])
			printf(" (%s%s%s)", escape_str(g->scan), g->scan[0] && g->transcoder_set[0] ? ", " : "",
			       escape_str(g->transcoder_set));
		printf("\nprompt: %s\n", escape_str(g->prompt));
		if (g->ntokens) {
			printf("tokens:");
			for (int i = 0; i < g->ntokens; i++)
				printf(" %d:\"%s\"", i, escape_str(g->tokens[i]));
			printf("\n");
		}
		printf("%zu nodes, %zu links, %d layers", g->nnodes, g->nlinks, nl);
		if (c->node_keep)
			printf("; kept %zu nodes, %zu links", c->kept_nodes, c->kept_links);
		printf("\nlogits (probability):\n");
		for (size_t k = 0; k < nlog; k++) {
			const graph_node *n = &g->nodes[logits[k]];
			printf("  %-8s \"%s\"%s  %s\n", num(n->token_prob, b1, sizeof b1), escape_str(n->token),
			       n->target_logit ? "  (target)" : "", escape_str(n->id));
		}
		printf("nodes by kind:");
		for (int k = 0; k < GRAPH_NKINDS; k++)
			printf(" %s %zu%s", graph_kind_name((graph_kind)k), kinds[k], k + 1 < GRAPH_NKINDS ? "," : "\n");
		printf("nodes by layer:\n");
		if (nemb)
			printf("  %6s %zu (embeddings)\n", "E", nemb);
		for (int l = 0; l < nl; l++)
			if (by_layer[l])
				printf("  %6d %zu\n", l, by_layer[l]);
		if (nlog) {
			layer_name(g, logits[0], lname, sizeof lname);
			printf("  %6s %zu (logits)\n", lname, nlog);
		}
	}
	free(by_layer);
	free(logits);
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------ one node */

static json_t *node_json(const graph *g, size_t i)
{
	const graph_node *n = &g->nodes[i];
	char lname[32];
	json_t *o = json_object();
	json_object_set_new(o, "id", jw_str(n->id));
	json_object_set_new(o, "kind", jw_str(graph_kind_name(n->kind)));
	layer_name(g, i, lname, sizeof lname);
	json_object_set_new(o, "layer", jw_str(lname));
	json_object_set_new(o, "ctx_idx", json_integer(n->ctx));
	if (n->feature >= 0 || n->kind == GRAPH_ERROR)
		json_object_set_new(o, "feature", json_integer((json_int_t)n->feature));
	if (n->kind == GRAPH_FEATURE)
		json_object_set_new(o, "index", n->index >= 0 ? json_integer((json_int_t)n->index) : json_null());
	if (n->kind == GRAPH_EMBED || n->kind == GRAPH_LOGIT) {
		json_object_set_new(o, "token", jw_str(n->token));
		json_object_set_new(o, "token_id", json_integer((json_int_t)n->token_id));
	}
	return o;
}

static void link_row(const graph *g, size_t other, float w)
{
	char lab[512];
	graph_node_label(g, other, lab, sizeof lab);
	printf("  %10.4g  %-16s %s\n", (double)w, escape_str(g->nodes[other].id), escape_str(lab));
}

static int one_node(const gctx *c, size_t i, int json)
{
	const graph *g = c->g;
	const graph_node *n = &g->nodes[i];
	size_t ni = 0, no = 0;
	for (size_t j = g->in_start[i]; j < g->in_start[i + 1]; j++)
		ni += kept_link(c, g->in_order[j]) && kept_node(c, g->links[g->in_order[j]].src);
	for (size_t li = g->out_start[i]; li < g->out_start[i + 1]; li++)
		no += kept_link(c, li) && kept_node(c, g->links[li].dst);
	if (json) {
		json_t *o = node_json(g, i);
		json_object_set_new(o, "js_id", jw_str(n->js_id));
		json_object_set_new(o, "clerp", jw_str(n->clerp));
		json_object_set_new(o, "influence", jw_num(n->influence));
		json_object_set_new(o, "activation", jw_num(n->activation));
		json_object_set_new(o, "token_prob", jw_num(n->token_prob));
		json_object_set_new(o, "target_logit", json_boolean(n->target_logit));
		json_object_set_new(o, "kept", json_boolean(kept_node(c, i)));
		json_t *in = json_array(), *out = json_array();
		int shown = 0;
		for (size_t j = g->in_start[i]; j < g->in_start[i + 1] && shown < c->top; j++) {
			const graph_link *l = &g->links[g->in_order[j]];
			if (!kept_link(c, g->in_order[j]) || !kept_node(c, l->src))
				continue;
			json_t *r = json_object();
			json_object_set_new(r, "id", jw_str(g->nodes[l->src].id));
			json_object_set_new(r, "weight", weight_json(l->weight));
			json_array_append_new(in, r);
			shown++;
		}
		shown = 0;
		for (size_t li = g->out_start[i]; li < g->out_start[i + 1] && shown < c->top; li++) {
			const graph_link *l = &g->links[li];
			if (!kept_link(c, li) || !kept_node(c, l->dst))
				continue;
			json_t *r = json_object();
			json_object_set_new(r, "id", jw_str(g->nodes[l->dst].id));
			json_object_set_new(r, "weight", weight_json(l->weight));
			json_array_append_new(out, r);
			shown++;
		}
		json_object_set_new(o, "incoming_total", json_integer((json_int_t)ni));
		json_object_set_new(o, "incoming", in);
		json_object_set_new(o, "outgoing_total", json_integer((json_int_t)no));
		json_object_set_new(o, "outgoing", out);
		cli_print_json(o);
		return FS_EXIT_OK;
	}
	char lab[512], b1[32], b2[32], lname[32];
	graph_node_label(g, i, lab, sizeof lab);
	layer_name(g, i, lname, sizeof lname);
	printf("node %s: %s\n", escape_str(n->id), escape_str(lab));
	printf("%s, layer %s, position %d", graph_kind_name(n->kind), lname, n->ctx);
	if (n->ctx < g->ntokens)
		printf(" \"%s\"", escape_str(g->tokens[n->ctx]));
	if (n->kind == GRAPH_FEATURE)
		printf(", index %lld (feature %lld)", (long long)n->index, (long long)n->feature);
	if (n->kind == GRAPH_EMBED || n->kind == GRAPH_LOGIT)
		printf(", token %lld \"%s\"", (long long)n->token_id, escape_str(n->token));
	printf("\n");
	if (n->kind == GRAPH_LOGIT)
		printf("probability %s%s\n", num(n->token_prob, b1, sizeof b1), n->target_logit ? " (target)" : "");
	else
		printf("influence %s, activation %s\n", num(n->influence, b1, sizeof b1), num(n->activation, b2, sizeof b2));
	if (n->clerp[0])
		printf("clerp: %s\n", escape_str(n->clerp));
	if (!kept_node(c, i))
		printf("(pruned at these thresholds)\n");
	printf("incoming links (%zu, strongest %zu):\n", ni, ni < (size_t)c->top ? ni : (size_t)c->top);
	int shown = 0;
	for (size_t j = g->in_start[i]; j < g->in_start[i + 1] && shown < c->top; j++) {
		const graph_link *l = &g->links[g->in_order[j]];
		if (!kept_link(c, g->in_order[j]) || !kept_node(c, l->src))
			continue;
		link_row(g, l->src, l->weight);
		shown++;
	}
	printf("outgoing links (%zu, strongest %zu):\n", no, no < (size_t)c->top ? no : (size_t)c->top);
	shown = 0;
	for (size_t li = g->out_start[i]; li < g->out_start[i + 1] && shown < c->top; li++) {
		const graph_link *l = &g->links[li];
		if (!kept_link(c, li) || !kept_node(c, l->dst))
			continue;
		link_row(g, l->dst, l->weight);
		shown++;
	}
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------ paths */

/* LOGIT as a node id (or jsNodeId) of a logit, else the one logit whose
 * token is that text; SIZE_MAX with a message when none or several. */
static size_t find_logit(const graph *g, const char *s)
{
	size_t k = graph_find(g, s);
	if (k != SIZE_MAX && g->nodes[k].kind == GRAPH_LOGIT)
		return k;
	if (k != SIZE_MAX) {
		fs_warn("graph: %s: node %s is not a logit (its kind: %s)", escape_str(g->path), escape_str(s),
		        graph_kind_name(g->nodes[k].kind));
		return SIZE_MAX;
	}
	size_t found = SIZE_MAX;
	int n = 0;
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].kind == GRAPH_LOGIT && !strcmp(g->nodes[i].token, s)) {
			if (!n++)
				found = i;
		}
	if (n == 1)
		return found;
	fs_warn("graph: %s: %s \"%s\"", escape_str(g->path), n ? "more than one logit has the token" : "no logit or node is",
	        escape_str(s));
	return SIZE_MAX;
}

static int paths(const gctx *c, const char *which, int json)
{
	const graph *g = c->g;
	size_t lg = find_logit(g, which);
	if (lg == SIZE_MAX)
		return FS_EXIT_USAGE;
	graph_path *p;
	int n = graph_paths(g, lg, c->top, c->node_keep, c->link_keep, &p);
	if (n < 0) {
		fs_warn("graph: out of memory finding paths");
		return FS_EXIT_ERR;
	}
	char lab[512];
	graph_node_label(g, lg, lab, sizeof lab);
	if (json) {
		json_t *o = json_object(), *pa = json_array();
		json_object_set_new(o, "logit", jw_str(g->nodes[lg].id));
		json_object_set_new(o, "token", jw_str(g->nodes[lg].token));
		for (int k = 0; k < n; k++) {
			json_t *r = json_object(), *ids = json_array(), *ws = json_array();
			json_object_set_new(r, "score", jw_num(p[k].score));
			for (int j = 0; j < p[k].n; j++)
				json_array_append_new(ids, jw_str(g->nodes[p[k].nodes[j]].id));
			for (int j = 0; j + 1 < p[k].n; j++) {
				/* the link's weight: the strongest from nodes[j] to nodes[j+1] */
				uint32_t s = p[k].nodes[j], d = p[k].nodes[j + 1];
				for (size_t li = g->out_start[s]; li < g->out_start[s + 1]; li++)
					if (g->links[li].dst == d && kept_link(c, li)) {
						json_array_append_new(ws, weight_json(g->links[li].weight));
						break;
					}
			}
			json_object_set_new(r, "nodes", ids);
			json_object_set_new(r, "weights", ws);
			json_array_append_new(pa, r);
		}
		json_object_set_new(o, "paths", pa);
		cli_print_json(o);
	} else {
		printf("paths to %s (%s): %d found, strongest first\n", escape_str(g->nodes[lg].id), escape_str(lab), n);
		for (int k = 0; k < n; k++) {
			printf("%3d %10.4g  ", k + 1, p[k].score);
			for (int j = 0; j < p[k].n; j++) {
				graph_node_label(g, p[k].nodes[j], lab, sizeof lab);
				const char *colon = strstr(lab, ": ");
				if (colon && g->nodes[p[k].nodes[j]].kind != GRAPH_LOGIT)
					lab[colon - lab] = 0; /* the clerp is for the node view */
				printf("%s%s", j ? " -> " : "", escape_str(lab));
			}
			printf("\n");
		}
	}
	graph_paths_free(p, n);
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------ export */

static int export(const gctx *c, int mermaid, const char *out)
{
	const graph *g = c->g;
	graph_group *grp = xcalloc((size_t)g->nsupernodes + 1, sizeof *grp);
	for (int k = 0; k < g->nsupernodes; k++)
		grp[k] = (graph_group){g->sn_names[k], g->sn_members[k], g->sn_count[k]};
	FILE *f = stdout;
	char *tmp = NULL;
	struct stat os;
	int rc = FS_EXIT_OK;
	if (out && strcmp(out, "-") != 0 && !(stat(out, &os) == 0 && !S_ISREG(os.st_mode))) {
		tmp = xasprintf("%s.tmp.XXXXXX", out);
		int fd = mkstemp(tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fs_warn("graph: %s: %s", escape_str(out), strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			free(grp);
			return FS_EXIT_ERR;
		}
		mode_t um = umask(0);
		umask(um);
		fchmod(fd, 0666 & ~um);
	} else if (out && strcmp(out, "-") != 0) {
		f = fopen(out, "w"); /* a device or pipe: written in place */
		if (!f) {
			fs_warn("graph: %s: %s", escape_str(out), strerror(errno));
			free(grp);
			return FS_EXIT_ERR;
		}
	}
	int w = mermaid ? graph_write_mermaid(f, g, c->node_keep, c->link_keep, grp, g->nsupernodes)
	                : graph_write_dot(f, g, c->node_keep, c->link_keep, grp, g->nsupernodes);
	int bad = w != 0 || fflush(f) != 0 || ferror(f);
	int e = errno;
	if (tmp) {
		bad |= fsync(fileno(f)) != 0;
		bad |= fclose(f) != 0;
		if (!bad && rename(tmp, out) != 0) {
			e = errno;
			bad = 1;
		}
		if (bad)
			unlink(tmp);
	} else if (f != stdout)
		bad |= fclose(f) != 0;
	if (bad) {
		fs_warn("graph: write error on %s: %s%s", out ? escape_str(out) : "standard output", strerror(e ? e : EIO),
		        tmp ? " (nothing written)" : "");
		rc = FS_EXIT_ERR;
	}
	free(tmp);
	free(grp);
	return rc;
}

/* ------------------------------------------------------------ the command */

static int graph_run(const cmd_entry *e, const cli_args *a)
{
	int json = a->set[O_JSON], dot = a->set[O_DOT], mmd = a->set[O_MERMAID];
	const char *pth = cli_str(a, O_PATHS, NULL), *out = cli_str(a, O_OUT, NULL);
	if (dot + mmd > 1)
		return cli_usage_error(e, "--dot and --mermaid: one at a time");
	if ((dot || mmd) && (json || pth || a->npos > 1))
		return cli_usage_error(e, "--%s writes the whole pruned graph: not with --json, --paths or NODE",
		                       dot ? "dot" : "mermaid");
	if (out && !dot && !mmd)
		return cli_usage_error(e, "-o is for --dot and --mermaid");
	if (pth && a->npos > 1)
		return cli_usage_error(e, "NODE and --paths: one at a time");
	if (out) {
		const char *in[1] = {a->pos[0]};
		int rc = cli_output_check(e->name, out, in, 1);
		if (rc != FS_EXIT_OK)
			return rc;
	}
	gctx c = {0};
	c.top = (int)cli_num(a, O_TOP, 10);
	char err[1024];
	if (graph_load_progress(a->pos[0], &c.g, cli_progress_if(fs_stderr_tty()), err, sizeof err) != 0) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	const graph *g = c.g;
	int rc;
	if (a->set[O_NODE_THR] || a->set[O_EDGE_THR]) {
		c.node_keep = xmalloc(g->nnodes ? g->nnodes : 1);
		c.link_keep = xmalloc(g->nlinks ? g->nlinks : 1);
		c.kept_nodes = graph_prune(g, cli_float(a, O_NODE_THR, 1), cli_float(a, O_EDGE_THR, 1), c.node_keep,
		                           c.link_keep);
		for (size_t li = 0; li < g->nlinks; li++)
			c.kept_links += c.link_keep[li];
	}
	if (dot || mmd)
		rc = export(&c, mmd, out);
	else if (pth)
		rc = paths(&c, pth, json);
	else if (a->npos > 1) {
		size_t i = graph_find(g, a->pos[1]);
		if (i == SIZE_MAX) {
			fs_warn("graph: %s: no node %s (a node_id, a jsNodeId or LAYER/INDEX@POS)", escape_str(a->pos[0]),
			        escape_str(a->pos[1]));
			rc = FS_EXIT_USAGE;
		} else
			rc = one_node(&c, i, json);
	} else
		rc = summary(&c, json);
	if (rc == FS_EXIT_OK && !dot && !mmd && (fflush(stdout) != 0 || ferror(stdout))) {
		fs_warn("graph: write error on standard output: %s", strerror(errno));
		rc = FS_EXIT_ERR;
	}
	free(c.node_keep);
	free(c.link_keep);
	graph_free(c.g);
	return rc;
}

const cmd_entry cmd_graph_entry = {
	.name = "graph",
	.args = "FILE [NODE]",
	.opts = graph_opts,
	.run = graph_run,
	.summary = "an attribution graph (circuit-tracer JSON): summary, a node's links, paths, DOT/Mermaid",
	.min_args = 1,
	.max_args = 2,
};

/*
 * graph_export.c: a pruned attribution graph as Graphviz DOT or Mermaid
 * flowchart text (graph.h), and the one label of a node that both write
 * and the front ends show.
 *
 * Quoting: every text from the file (node ids, clerps, tokens, group names)
 * first goes through the one escaping rule (core/escape.h: controls,
 * invisible and bidi characters escaped), then through the target
 * language's quoting: in DOT a double-quoted string with `"` and `\`
 * backslashed; in Mermaid a "..." label where `"`, `#`, `&`, `<` and `>`
 * become entity codes (#quot; #35; #amp; #lt; #gt;). Nodes are named n0,
 * n1, ... (their index) in both, so no text from the file is ever an
 * identifier.
 */
#include "graph/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/util.h"

static void label_buf(const graph *g, size_t i, fs_buf *b)
{
	const graph_node *n = &g->nodes[i];
	switch (n->kind) {
	case GRAPH_FEATURE:
		if (n->index >= 0)
			buf_printf(b, "L%d #%lld @%d", n->layer, (long long)n->index, n->ctx);
		else
			buf_printf(b, "%s", n->id);
		break;
	case GRAPH_ERROR:
		buf_printf(b, "error L%d @%d", n->layer, n->ctx);
		break;
	case GRAPH_EMBED:
		buf_printf(b, "emb \"%s\" @%d", n->token, n->ctx);
		break;
	case GRAPH_LOGIT:
		buf_printf(b, "logit \"%s\"", n->token);
		if (!isnan(n->token_prob))
			buf_printf(b, " p=%.3g", n->token_prob);
		break;
	default:
		buf_printf(b, "%s", n->id);
	}
	if (n->kind != GRAPH_LOGIT && n->clerp && n->clerp[0])
		buf_printf(b, ": %s", n->clerp);
}

int graph_node_label(const graph *g, size_t i, char *buf, size_t n)
{
	fs_buf b = {0};
	label_buf(g, i, &b);
	int len = snprintf(buf, n, "%s", b.p ? b.p : "");
	buf_free(&b);
	return len;
}

/* s under the escaping rule, then DOT-quoted (without the quotes). */
static void dot_quote(FILE *f, const char *s, size_t n)
{
	fs_buf e = {0};
	escape_append(&e, s, n, 0);
	for (size_t i = 0; i < e.len; i++) {
		char c = e.p[i];
		if (c == '"' || c == '\\')
			fputc('\\', f);
		fputc(c, f);
	}
	buf_free(&e);
}

/* s under the escaping rule, then as Mermaid label text. */
static void mmd_quote(FILE *f, const char *s, size_t n)
{
	fs_buf e = {0};
	escape_append(&e, s, n, 0);
	for (size_t i = 0; i < e.len; i++) {
		char c = e.p[i];
		switch (c) {
		case '"': fputs("#quot;", f); break;
		case '#': fputs("#35;", f); break;
		case '&': fputs("#amp;", f); break;
		case '<': fputs("#lt;", f); break;
		case '>': fputs("#gt;", f); break;
		default: fputc(c, f);
		}
	}
	buf_free(&e);
}

/* The group each kept node is drawn in (its first), -1 for none. */
static int *group_of(const graph *g, const uint8_t *node_keep, const graph_group *groups, int ngroups)
{
	int *grp = xmalloc((g->nnodes ? g->nnodes : 1) * sizeof *grp);
	for (size_t i = 0; i < g->nnodes; i++)
		grp[i] = -1;
	for (int k = 0; k < ngroups; k++)
		for (int j = 0; j < groups[k].n; j++) {
			uint32_t m = groups[k].members[j];
			if (m < g->nnodes && (!node_keep || node_keep[m]) && grp[m] < 0)
				grp[m] = k;
		}
	return grp;
}

static int kept_link(const graph *g, size_t li, const uint8_t *node_keep, const uint8_t *link_keep)
{
	if (link_keep && !link_keep[li])
		return 0;
	return !node_keep || (node_keep[g->links[li].src] && node_keep[g->links[li].dst]);
}

int graph_write_dot(FILE *f, const graph *g, const uint8_t *node_keep, const uint8_t *link_keep,
		    const graph_group *groups, int ngroups)
{
	int *grp = group_of(g, node_keep, groups, ngroups);
	fs_buf lab = {0};
	fputs("digraph attribution {\n\trankdir=BT;\n\tnode [shape=box, fontsize=10];\n", f);
	if (g->prompt && g->prompt[0]) {
		fputs("\tlabel=\"", f);
		dot_quote(f, g->prompt, strlen(g->prompt));
		fputs("\";\n\tlabelloc=t;\n", f);
	}
	for (int k = -1; k < ngroups; k++) {
		const char *ind = k < 0 ? "\t" : "\t\t";
		if (k >= 0) {
			fprintf(f, "\tsubgraph cluster_%d {\n\t\tlabel=\"", k);
			dot_quote(f, groups[k].name ? groups[k].name : "", groups[k].name ? strlen(groups[k].name) : 0);
			fputs("\";\n", f);
		}
		for (size_t i = 0; i < g->nnodes; i++) {
			if ((node_keep && !node_keep[i]) || grp[i] != k)
				continue;
			lab.len = 0;
			label_buf(g, i, &lab);
			fprintf(f, "%sn%zu [label=\"", ind, i);
			dot_quote(f, lab.p, lab.len);
			fputs("\\n", f);
			dot_quote(f, g->nodes[i].id, strlen(g->nodes[i].id));
			fprintf(f, "\"%s];\n", g->nodes[i].kind == GRAPH_FEATURE ? "" :
			        g->nodes[i].kind == GRAPH_ERROR ? ", style=dashed" : ", style=rounded");
		}
		if (k >= 0)
			fputs("\t}\n", f);
	}
	for (size_t li = 0; li < g->nlinks; li++) {
		if (!kept_link(g, li, node_keep, link_keep))
			continue;
		const graph_link *l = &g->links[li];
		fprintf(f, "\tn%u -> n%u [label=\"%.4g\", color=\"%s\"];\n", l->src, l->dst, (double)l->weight,
		        l->weight < 0 ? "#d62728" : "#1f77b4");
	}
	fputs("}\n", f);
	buf_free(&lab);
	free(grp);
	return ferror(f) ? -1 : 0;
}

int graph_write_mermaid(FILE *f, const graph *g, const uint8_t *node_keep, const uint8_t *link_keep,
			const graph_group *groups, int ngroups)
{
	int *grp = group_of(g, node_keep, groups, ngroups);
	fs_buf lab = {0};
	fputs("flowchart BT\n", f);
	for (int k = -1; k < ngroups; k++) {
		const char *ind = k < 0 ? "    " : "        ";
		if (k >= 0) {
			fprintf(f, "    subgraph g%d [\"", k);
			mmd_quote(f, groups[k].name ? groups[k].name : "", groups[k].name ? strlen(groups[k].name) : 0);
			fputs("\"]\n", f);
		}
		for (size_t i = 0; i < g->nnodes; i++) {
			if ((node_keep && !node_keep[i]) || grp[i] != k)
				continue;
			lab.len = 0;
			label_buf(g, i, &lab);
			fprintf(f, "%sn%zu%s\"", ind, i, g->nodes[i].kind == GRAPH_FEATURE ? "[" : "(");
			mmd_quote(f, lab.p, lab.len);
			fputs("\"", f);
			fputs(g->nodes[i].kind == GRAPH_FEATURE ? "]\n" : ")\n", f);
		}
		if (k >= 0)
			fputs("    end\n", f);
	}
	for (size_t li = 0; li < g->nlinks; li++) {
		if (!kept_link(g, li, node_keep, link_keep))
			continue;
		const graph_link *l = &g->links[li];
		fprintf(f, "    n%u -->|\"%.4g\"| n%u\n", l->src, (double)l->weight, l->dst);
	}
	buf_free(&lab);
	free(grp);
	return ferror(f) ? -1 : 0;
}

/*
 * graph_groups.c: the graph screen's supernodes (the file's qParams groups
 * and the user's, named from marked nodes and saved in the notes database
 * by the graph's slug), the export of the pruned subgraph as DOT or
 * Mermaid (graph.h's writers, temporary file and rename), and which open
 * dictionary holds a feature node (by scan and transcoder set, or --sae).
 */
#include "tui/graph_view.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char **gv_saes;  /* --sae names */
static int gv_nsaes;

void view_graph_set_saes(const char **names, int n)
{
	gv_saes = names;
	gv_nsaes = n;
}

/* ---------------------------------------------------- the dictionaries */

/* A is B, ASCII letters without case. */
static int gv_ieq(const char *a, const char *b)
{
	return a && b && strlen(a) == strlen(b) && view_ascii_ieq(a, b, strlen(a));
}

/* The open file and dictionary that hold node i's feature: a dictionary
 * named with --sae (FILE:SAE or SAE) of the node's layer (or of no layer
 * when it is the only one named), else one whose model is the graph's
 * scan and whose layer is the node's, preferring one whose name or hook
 * mentions the transcoder set's last part. The feature's fid, 0 none. */
int64_t gv_fid(const graph *g, size_t i, tui_file **fout)
{
	const graph_node *nd = &g->nodes[i];
	if (nd->kind != GRAPH_FEATURE || nd->index < 0)
		return 0;
	tui_file *best_f = NULL;
	const fs_sae *best = NULL;
	int best_score = 0;
	const char *set = g->transcoder_set ? g->transcoder_set : "";
	const char *set_last = strrchr(set, '/');
	set_last = set_last ? set_last + 1 : set;
	for (int k = 0; k < gv_nsaes; k++) {
		tui_file *f;
		const char *name = tui_file_ref(gv_saes[k], &f);
		const fs_sae *s = f && f->ix ? index_sae_by_name(f->ix, name) : NULL;
		if (s && (s->layer == nd->layer || (s->layer < 0 && gv_nsaes == 1)) && best_score < 3) {
			best = s;
			best_f = f;
			best_score = 3;
		}
	}
	for (int fi = 0; fi < tui.nfiles && g->scan && g->scan[0]; fi++) {
		tui_file *f = &tui.files[fi];
		for (int k = 0; f->ix && k < index_n_saes(f->ix); k++) {
			const fs_sae *s = index_sae(f->ix, k);
			if (s->layer != nd->layer || !gv_ieq(s->model, g->scan))
				continue;
			int score = 1;
			if (*set_last && ((s->name && strstr(s->name, set_last)) || (s->hook && strstr(s->hook, set_last))))
				score = 2;
			if (score > best_score) {
				best = s;
				best_f = f;
				best_score = score;
			}
		}
	}
	if (!best || nd->index >= best->n_features)
		return 0;
	char ref[256], err[256];
	snprintf(ref, sizeof ref, "%s/%lld", best->name, (long long)nd->index);
	int64_t fid = index_resolve(best_f->ix, ref, err, sizeof err);
	if (fid <= 0)
		return 0;
	if (fout)
		*fout = best_f;
	return fid;
}

/* ------------------------------------------------------------- groups */

void gv_groups_index(gv_priv *p)
{
	for (size_t i = 0; i < p->g->nnodes; i++)
		p->group_of[i] = -1;
	for (int k = 0; k < p->ngroups; k++)
		for (int j = 0; j < p->groups[k].n; j++)
			if (p->group_of[p->groups[k].m[j]] < 0)
				p->group_of[p->groups[k].m[j]] = k;
}

static void gv_group_add(gv_priv *p, const char *name, const uint32_t *m, int n, int from_file)
{
	for (int k = 0; k < p->ngroups; k++)
		if (!p->groups[k].from_file && !from_file && !strcmp(p->groups[k].name, name)) {
			free(p->groups[k].m);
			p->groups[k].m = xmalloc((size_t)(n ? n : 1) * sizeof *m);
			memcpy(p->groups[k].m, m, (size_t)n * sizeof *m);
			p->groups[k].n = n;
			return;
		}
	p->groups = xrealloc(p->groups, (size_t)(p->ngroups + 1) * sizeof *p->groups);
	gv_group *gr = &p->groups[p->ngroups++];
	gr->name = xstrdup(name);
	gr->m = xmalloc((size_t)(n ? n : 1) * sizeof *m);
	memcpy(gr->m, m, (size_t)n * sizeof *m);
	gr->n = n;
	gr->folded = 0;
	gr->from_file = from_file;
}

/* The file's supernodes, then the user's from the notes database. */
void gv_groups_load(gv_priv *p)
{
	graph *g = p->g;
	for (int k = 0; k < g->nsupernodes; k++)
		if (g->sn_count[k] > 0)
			gv_group_add(p, g->sn_names[k], g->sn_members[k], g->sn_count[k], 1);
	fs_supernode *sn;
	int n = tui.notes ? notes_supernodes(tui.notes, p->slug, &sn) : 0;
	if (n < 0) {
		tui_status(TC_ERROR, "supernodes: %s", notes_errmsg(tui.notes));
		n = 0;
	}
	for (int k = 0; k < n; k++) {
		uint32_t *m = xmalloc((strlen(sn[k].members) / 2 + 1) * sizeof *m);
		int cnt = 0;
		char *save = NULL, *dup = xstrdup(sn[k].members);
		for (char *t = strtok_r(dup, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			size_t i = graph_find(g, t);
			if (i != SIZE_MAX)
				m[cnt++] = (uint32_t)i;
		}
		if (cnt)
			gv_group_add(p, sn[k].name, m, cnt, 0);
		free(dup);
		free(m);
	}
	if (n > 0)
		notes_supernodes_free(sn, n);
	gv_groups_index(p);
}

/* 'a': the marked nodes (or the selected one) as a group named by the
 * user, saved in the notes database. */
void gv_group_name(view *v, const char *arg)
{
	gv_priv *p = v->priv;
	if (!tui.notes) {
		tui_status(TC_ERROR, "supernodes are saved in the notes: no notes database is open");
		return;
	}
	if (!p->nmarked && p->cur == SIZE_MAX) {
		tui_status(TC_ERROR, "no node marked (v marks one)");
		return;
	}
	char *name = arg ? xstrdup(arg) : prompt_read("supernode name: ", "", NULL, NULL, NULL);
	if (!name || !*name) {
		free(name);
		return;
	}
	const char *why = notes_supernode_name_problem(name);
	if (why) {
		tui_status(TC_ERROR, "not saved: %s", why);
		free(name);
		return;
	}
	size_t n = p->g->nnodes;
	uint32_t *m = xmalloc((n ? n : 1) * sizeof *m);
	int cnt = 0;
	fs_buf ids = {0};
	for (size_t i = 0; i < n; i++)
		if (p->nmarked ? p->mark[i] : i == p->cur) {
			m[cnt++] = (uint32_t)i;
			buf_printf(&ids, "%s%s", cnt > 1 ? " " : "", p->g->nodes[i].id);
		}
	if (notes_supernode_put(tui.notes, p->slug, name, ids.p ? ids.p : "") != 0) {
		tui_status(TC_ERROR, "could not save the supernode: %s", notes_errmsg(tui.notes));
	} else {
		gv_group_add(p, name, m, cnt, 0);
		gv_groups_index(p);
		memset(p->mark, 0, n);
		p->nmarked = 0;
		gv_layout(p);
		tui_status(TC_STATUS, "supernode '%s' saved (%d node%s)", name, cnt, cnt == 1 ? "" : "s");
	}
	buf_free(&ids);
	free(m);
	free(name);
}

/* 'X': remove the user's group under the cursor. */
void gv_group_delete(gv_priv *p)
{
	int k = p->cur != SIZE_MAX ? p->group_of[p->cur] : -1;
	if (k < 0) {
		tui_status(TC_ERROR, "the selected node is in no supernode");
		return;
	}
	if (p->groups[k].from_file) {
		tui_status(TC_ERROR, "'%s' is the graph file's own supernode: it stays", p->groups[k].name);
		return;
	}
	if (!tui.notes || notes_supernode_put(tui.notes, p->slug, p->groups[k].name, NULL) != 0) {
		tui_status(TC_ERROR, "could not remove the supernode%s%s", tui.notes ? ": " : "",
			   tui.notes ? notes_errmsg(tui.notes) : "");
		return;
	}
	tui_status(TC_STATUS, "supernode '%s' removed", p->groups[k].name);
	free(p->groups[k].name);
	free(p->groups[k].m);
	memmove(&p->groups[k], &p->groups[k + 1], (size_t)(p->ngroups - k - 1) * sizeof *p->groups);
	p->ngroups--;
	gv_groups_index(p);
	gv_layout(p);
}

/* ------------------------------------------------------------- export */

/* ':graph-export dot|mermaid FILE': the pruned subgraph, groups as
 * clusters, written to a temporary file and renamed. */
void gv_export(gv_priv *p, const char *arg)
{
	char *s = arg ? xstrdup(arg) : prompt_read("export (dot|mermaid) FILE: ", "dot ", NULL, NULL, NULL);
	if (!s)
		return;
	char *sp = strchr(s, ' ');
	int dot = -1;
	if (sp) {
		*sp = 0;
		dot = !strcmp(s, "dot") ? 1 : !strcmp(s, "mermaid") ? 0 : -1;
	}
	const char *file = sp ? sp + 1 : "";
	while (*file == ' ')
		file++;
	if (dot < 0 || !*file) {
		tui_status(TC_ERROR, "graph-export: dot FILE or mermaid FILE");
		free(s);
		return;
	}
	graph_group *gg = xcalloc((size_t)(p->ngroups ? p->ngroups : 1), sizeof *gg);
	uint32_t **kept = xcalloc((size_t)(p->ngroups ? p->ngroups : 1), sizeof *kept);
	int ng = 0;
	for (int k = 0; k < p->ngroups; k++) {
		kept[ng] = xmalloc((size_t)(p->groups[k].n ? p->groups[k].n : 1) * sizeof **kept);
		int c = 0;
		for (int j = 0; j < p->groups[k].n; j++)
			if (p->nkeep[p->groups[k].m[j]])
				kept[ng][c++] = p->groups[k].m[j];
		gg[ng].name = p->groups[k].name;
		gg[ng].members = kept[ng];
		gg[ng].n = c;
		ng += c > 0;
	}
	char *tmp = xasprintf("%s.tmp.%ld", file, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;
	if (f) {
		rc = dot ? graph_write_dot(f, p->g, p->nkeep, p->lkeep, gg, ng)
			 : graph_write_mermaid(f, p->g, p->nkeep, p->lkeep, gg, ng);
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, file) != 0)
			rc = -1;
	}
	int e = errno;
	if (rc != 0) {
		unlink(tmp);
		tui_status(TC_ERROR, "graph-export: cannot write '%s': %s", file, strerror(e));
	} else {
		tui_status(TC_STATUS, "%s: %zu nodes, %zu links as %s", file, p->nkept, p->lkept, dot ? "DOT" : "Mermaid");
	}
	for (int k = 0; k <= ng && k < p->ngroups; k++)
		free(kept[k]);
	free(kept);
	free(gg);
	free(tmp);
	free(s);
}

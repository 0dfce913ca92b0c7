/*
 * graph_view.h: what the graph screen's two files share (tui/ only):
 * view_graph.c (layout, drawing, keys) and graph_groups.c (supernodes,
 * export, the dictionary that holds a node's feature).
 */
#ifndef FS_GRAPH_VIEW_H
#define FS_GRAPH_VIEW_H

#include "graph/graph.h"
#include "tui/view.h"

#include <stddef.h>
#include <stdint.h>

/* A group of nodes: a supernode of the file's qParams or of the user's. */
typedef struct {
	char *name;
	uint32_t *m;   /* node indices */
	int n;
	int folded;
	int from_file; /* qParams.supernodes: not saved in the notes */
} gv_group;

typedef struct {
	graph *g;
	char slug[256];          /* the notes' key for this graph */
	double node_thr, edge_thr;
	uint8_t *nkeep, *lkeep;  /* graph_prune's masks */
	size_t nkept, lkept;
	/* layout, made after each prune or fold: rows of layers (top first)
	 * by prompt positions; cell (r, c) holds items[cell[r*ncols+c] ..
	 * cell[r*ncols+c+1]) */
	int *row_layer;
	int nrows, ncols;
	size_t *cell;
	uint32_t *items;
	size_t nitems;
	size_t *pos;             /* node -> its place in items, SIZE_MAX when not shown */
	int *row_of;             /* node -> its row, -1 */
	size_t cur;              /* the selected node, SIZE_MAX none */
	size_t *hist;            /* nodes walked from, for back */
	int nhist, caphist;
	uint8_t *mark;           /* marked for a new group */
	int nmarked;
	gv_group *groups;
	int ngroups;
	int *group_of;           /* node -> its first group, -1 */
	size_t logit;            /* whose paths the pane shows */
	graph_path *paths;
	int npaths, paths_for_logit;
	int paths_dirty;
	int grid_top, col_left;  /* scroll of the grid */
	int pane_h;              /* rows of the pane below the grid */
	double max_act;          /* the largest |activation| of a feature */
} gv_priv;

/* view_graph.c: lay the shown nodes out again (after a prune or a fold);
 * a folded group's representative (its most influential kept member). */
void gv_layout(gv_priv *p);
size_t gv_group_rep(const gv_priv *p, int k);

/* graph_groups.c */
/* The fid of node i's feature in an open index, *fout its file; 0 none. */
int64_t gv_fid(const graph *g, size_t i, tui_file **fout);
/* The node -> group map from p->groups. */
void gv_groups_index(gv_priv *p);
/* The file's qParams supernodes, then the user's from the notes. */
void gv_groups_load(gv_priv *p);
/* 'a' (arg: the name, else asked), 'X', and ':graph-export'. */
void gv_group_name(view *v, const char *arg);
void gv_group_delete(gv_priv *p);
void gv_export(gv_priv *p, const char *arg);

#endif

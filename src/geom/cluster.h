/*
 * cluster.h: the concept tree over decoder directions. Recursive spherical
 * k-means (assignment through sgemm, see knn_kmeans) splits the rows a few
 * levels deep until nodes hold at most leaf_max rows (children that are
 * parts of one tight group are merged back); every node is named
 * from the labels of its members: the words that set it apart from its
 * siblings (frequent among its members, rare among theirs), else the words
 * most shared by its members and rare elsewhere; stop-words and "auto:"
 * boilerplate left out.
 */
#ifndef FS_CLUSTER_H
#define FS_CLUSTER_H

#include <stdint.h>

/* One node of the tree. */
typedef struct {
	int64_t parent;       /* index of the parent in the node array, -1 for a root */
	int depth;            /* 0 for roots */
	int64_t size;         /* rows below this node */
	int n_children;       /* child nodes */
	char *label;          /* words from its members' labels, or "(N features)" */
} cluster_node;

/* The whole tree of one set of rows. */
typedef struct {
	int64_t n_nodes;      /* nodes */
	cluster_node *nodes;  /* preorder: a parent comes before its children */
	int64_t *leaf;        /* per row: index of its leaf node */
	int64_t n_rows;       /* rows */
} cluster_tree;

/* Parameters; zeros pick the defaults. */
typedef struct {
	int branch;           /* most children per node (default 12) */
	int leaf_max;         /* nodes of at most this many rows are leaves (default 48) */
	int min_size;         /* smaller children are merged into their nearest sibling (default 4) */
	int max_depth;        /* deepest level (default 8) */
	int iters;            /* k-means iterations per split (default 15) */
	float merge_cos;      /* children with centroids at least this close that fit a leaf are merged (default 0.8) */
	uint64_t seed;        /* seed of every split */
} cluster_opts;

/* Build the tree of the n normalised rows of X (n x d). labels (may be
 * NULL, entries may be NULL) name the nodes. 0 on success. */
int cluster_build(const float *X, int64_t n, int d, const char *const *labels,
		  const cluster_opts *o, cluster_tree *t);
void cluster_tree_free(cluster_tree *t);

/* Nodes whose name is the same as a sibling's, words in any order (roots
 * are siblings of each other): the figure a build reports, 0 when every
 * sibling is told apart by its name. */
int64_t cluster_sibling_repeats(const cluster_tree *t);

/* The words that would name a group (exposed for tests): members are row
 * numbers into labels, n_all the number of labels. malloc'd string. */
char *cluster_name(const char *const *labels, int64_t n_all, const int64_t *members,
		   int64_t m);

#endif

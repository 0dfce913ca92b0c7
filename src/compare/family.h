/*
 * family.h: a feature's family across widths. For a feature of one
 * dictionary, the dictionaries of the same model, hook point and d_model
 * that are wider, narrowest first, are the levels of a tree: the children
 * of a node are the features of the next level whose decoder direction is
 * among the node's nearest (cosine above the random-direction baseline of
 * that level) and whose firings lie inside the node's (at least min_inside
 * of a child's firing tokens are tokens where the node fires, from the
 * stored examples; children without stored examples are kept on their
 * direction alone). A feature of a level goes to the one node that has it
 * at the highest cosine.
 * When the index holds exact co-firing counts (table cofire, `featscope
 * build --cofire`: tokens where both fire, over every harvested token),
 * they replace the stored examples: the candidates of a node are its
 * co-firing partners of the next level and its k nearest by decoder; a
 * child has share of parent = both / parent's firing tokens >= min_share,
 * inside = both / child's firing tokens >= min_inside and a decoder cosine
 * > min_cos (the baseline is not applied: the counts are the evidence, the
 * cosine the second signal); at most k children a node, by share; a
 * feature of a level goes to the node it shares the most tokens with.
 * Reads the index through index.h and compare_load.h.
 */
#ifndef FS_FAMILY_H
#define FS_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "compare/compare_load.h"

/* What to search. */
typedef struct {
	int k;              /* candidates per node (nearest by cosine), default 8 */
	double min_inside;  /* least share of a child's firings inside its parent's (0.5) */
	double min_share;   /* with co-firing counts: least share of the parent's firing
			       tokens where a child fires (0.05) */
	float min_cos;      /* least cosine besides the baseline (0) */
	int max_levels;     /* wider dictionaries followed at most (default 4) */
} cmp_family_opts;

void cmp_family_opts_init(cmp_family_opts *o);

/* One node of the tree. */
typedef struct {
	int level;           /* 0 for the feature itself, then one per wider dictionary */
	int64_t row;         /* index in its dictionary */
	int64_t fid;         /* global id */
	int parent;          /* node index of the parent, -1 for the root */
	float cos;           /* decoder cosine with the parent */
	double share_parent; /* share of the parent's firing tokens where it fires (NAN unknown) */
	double inside;       /* share of its firing tokens where the parent fires (NAN unknown) */
} cmp_fnode;

/* The tree, nodes in breadth-first order (children of a node sorted by
 * share_parent, then cosine). */
typedef struct {
	cmp_side *lv;        /* nlv levels: level 0 is the feature's dictionary */
	int nlv;             /* levels */
	float *base;         /* per level (from 1): its random-direction baseline */
	cmp_fnode *v;        /* nodes */
	int n;               /* how many */
	char note[256];      /* a remark for the output ("" none), e.g. a level without decoder */
	int exact;           /* 1: built from the index's exact co-firing counts */
	char why[512];       /* when the root has no child: why, one line ("" otherwise) */
} cmp_family;

/* Build the family of fid. 0; -1 with a one-line message in err (no
 * stored decoder for the feature's dictionary, no wider dictionary). */
int cmp_family_build(fs_index *ix, int64_t fid, const cmp_family_opts *o, cmp_family *f,
		     char *err, size_t errlen);
void cmp_family_free(cmp_family *f);

#endif

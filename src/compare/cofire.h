/*
 * cofire.h: a feature's most co-firing features, from the stored
 * examples: the features of every dictionary of the index (its own and
 * the others, whose contexts the builder shares) that have examples on
 * the same stored contexts, ranked by the Jaccard similarity of the two
 * sets of contexts. Reads through index.h only.
 */
#ifndef FS_COFIRE_H
#define FS_COFIRE_H

#include <stdint.h>

#include "index/index.h"

/* One co-firing feature. */
typedef struct {
	int64_t fid;       /* the other feature */
	int64_t shared;    /* stored contexts both have an example on */
	int64_t n_other;   /* the other's stored contexts */
	double jaccard;    /* shared / (own + other - shared) */
} cmp_cofire;

/* At most max features co-firing with fid, by Jaccard (higher first),
 * then more shared contexts, then lower fid; *n_own gets fid's stored
 * contexts. *out is malloc'd (NULL when none). Returns the count, -1 on
 * error. */
int cmp_cofire_feature(fs_index *ix, int64_t fid, int max, cmp_cofire **out, int64_t *n_own);

/* The same work in steps, for a screen that must keep answering keys: the
 * candidates are gathered at start (a read per stored context), then each
 * step weighs candidates (a read each) until budget seconds have passed.
 * cmp_cofire_start returns NULL on error; cmp_cofire_step returns 1 when
 * the ranking is complete, 0 when more steps are needed, -1 on error;
 * cmp_cofire_take then gives what cmp_cofire_feature returns (and the job
 * still needs cmp_cofire_job_free). */
typedef struct cmp_cofire_job cmp_cofire_job;
cmp_cofire_job *cmp_cofire_start(fs_index *ix, int64_t fid, int max);
int cmp_cofire_step(cmp_cofire_job *j, double budget);
int cmp_cofire_take(cmp_cofire_job *j, cmp_cofire **out, int64_t *n_own);
void cmp_cofire_job_free(cmp_cofire_job *j);

#endif

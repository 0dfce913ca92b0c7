/*
 * feature_cofire.h: the feature page's co-firing section (see
 * compare/cofire.h): the features of this index that have stored examples
 * on the same contexts as the page's feature, with their Jaccard figure,
 * shared contexts and label; view_feature.c shows them and opens one on
 * Enter.
 */
#ifndef FS_FEATURE_COFIRE_H
#define FS_FEATURE_COFIRE_H

#include <stdint.h>

#define VIEW_COFIRE_MAX 10 /* co-firing features listed on a page */

/* One line of the section. */
typedef struct {
	int64_t fid;  /* the feature Enter opens, 0 on the heading */
	char *text;   /* the line (owned) */
} view_cofire;

/* The section's lines for feature fid (tui.ix): a heading, then one line
 * per co-firing feature, best first; worked out in steps of about
 * VIEW_COFIRE_STEP seconds (the page's idle ticks): *job starts NULL;
 * each call does one step and returns 0 while more remain, else the
 * count of lines in *out (malloc'd; at least 1: the heading says when
 * there are none), *job freed and NULL again.
 * view_feature_cofire_cancel frees an unfinished one. */
void view_feature_cofire_free(view_cofire *v, int n);
#define VIEW_COFIRE_STEP 0.008
int view_feature_cofire_step(int64_t fid, void **job, view_cofire **out);
void view_feature_cofire_cancel(void **job);

#endif

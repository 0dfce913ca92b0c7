/*
 * feature_cofire.c: the co-firing section of the feature page (see
 * feature_cofire.h), from cmp_cofire_feature over the browser's index, at
 * once or in steps of a time budget.
 */
#include "tui/feature_cofire.h"

#include <stdio.h>
#include <stdlib.h>

#include "compare/cofire.h"
#include "core/util.h"
#include "tui/view.h"

/* The section's lines from n ranked features (n < 0: unreadable). */
static int cofire_lines(cmp_cofire *c, int n, int64_t own, view_cofire **out);

int view_feature_cofire_step(int64_t fid, void **job, view_cofire **out)
{
	cmp_cofire_job *j = *job;
	cmp_cofire *c = NULL;
	int64_t own = 0;
	int n = -1;
	if (!j)
		j = cmp_cofire_start(tui.ix, fid, VIEW_COFIRE_MAX);
	if (j) {
		int rc = cmp_cofire_step(j, VIEW_COFIRE_STEP);
		if (rc == 0) {
			*job = j;
			return 0;
		}
		if (rc == 1)
			n = cmp_cofire_take(j, &c, &own);
		cmp_cofire_job_free(j);
	}
	*job = NULL;
	return cofire_lines(c, n, own, out);
}

void view_feature_cofire_cancel(void **job)
{
	cmp_cofire_job_free(*job);
	*job = NULL;
}

static int cofire_lines(cmp_cofire *c, int n, int64_t own, view_cofire **out)
{
	view_cofire *v = xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof *v);
	if (n < 0)
		v[0].text = xstrdup("co-firing features: could not be read");
	else if (n == 0)
		v[0].text = xasprintf("co-firing features: none (no other feature on its %lld stored contexts)",
				      (long long)own);
	else
		v[0].text = xasprintf("co-firing features: Jaccard of stored contexts, contexts shared (of its %lld), label",
				      (long long)own);
	for (int i = 0; i < n; i++) {
		char name[64] = "?";
		index_feature_name(tui.ix, c[i].fid, name, sizeof name);
		fs_feature f;
		int have = index_feature(tui.ix, c[i].fid, &f) == 0;
		v[i + 1].fid = c[i].fid;
		v[i + 1].text = xasprintf("  %-12s %.3f %5lld  %s", name, c[i].jaccard, (long long)c[i].shared,
					  have && f.label[0] ? f.label : "(no label)");
		if (have)
			index_feature_free(&f);
	}
	free(c);
	*out = v;
	return (n > 0 ? n : 0) + 1;
}

void view_feature_cofire_free(view_cofire *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

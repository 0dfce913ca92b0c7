/*
 * spans.c: runs of tokens where watched features fire above a threshold
 * (see spans.h).
 */
#include "live/spans.h"

#include "core/util.h"

#include <stdlib.h>

void live_spans_init(live_spans *sp, int n, float above)
{
	sp->n = n;
	sp->above = above;
	sp->open = xcalloc((size_t)(n > 0 ? n : 1), sizeof *sp->open);
	for (int i = 0; i < n; i++)
		sp->open[i].tok0 = -1;
	sp->next = 0;
}

void live_spans_free(live_spans *sp)
{
	free(sp->open);
	sp->open = NULL;
}

int live_spans_push(live_spans *sp, const float *acts, int rows, int64_t pos0, live_span_fn fn, void *ud)
{
	if (pos0 != sp->next)
		return -1;
	for (int r = 0; r < rows; r++) {
		int64_t t = pos0 + r;
		for (int i = 0; i < sp->n; i++) {
			float a = acts[(size_t)r * sp->n + i];
			live_span *o = &sp->open[i];
			if (a > sp->above) {
				if (o->tok0 < 0) {
					*o = (live_span){i, t, t + 1, a, t, 0};
				} else if (a > o->max) {
					o->max = a;
					o->max_tok = t;
				}
				o->tok1 = t + 1;
				o->sum += a;
			} else if (o->tok0 >= 0) {
				int rc = fn(ud, o);
				o->tok0 = -1;
				if (rc)
					return rc;
			}
		}
	}
	sp->next = pos0 + rows;
	return 0;
}

int live_spans_end(live_spans *sp, live_span_fn fn, void *ud)
{
	int rc = 0;
	for (int i = 0; i < sp->n; i++) {
		live_span *o = &sp->open[i];
		if (o->tok0 >= 0 && !rc)
			rc = fn(ud, o);
		o->tok0 = -1;
	}
	sp->next = 0;
	return rc;
}

int64_t live_spans_oldest(const live_spans *sp)
{
	int64_t m = -1;
	for (int i = 0; i < sp->n; i++)
		if (sp->open[i].tok0 >= 0 && (m < 0 || sp->open[i].tok0 < m))
			m = sp->open[i].tok0;
	return m;
}

/*
 * spans.h: the spans where watched features fire, for monitoring a corpus
 * with a dictionary (analyze --spans): per feature, each maximal run of
 * consecutive tokens whose activation is above a threshold, with its
 * largest and summed activation. Activations arrive a window at a time,
 * in position order; a span still open when the document ends is closed
 * there. Nothing here prints; the caller writes what each span callback
 * receives.
 */
#ifndef FS_LIVE_SPANS_H
#define FS_LIVE_SPANS_H

#include <stdint.h>

/* One span of one watched feature: tokens [tok0, tok1). */
typedef struct {
	int slot;         /* which watched feature (0..n-1) */
	int64_t tok0;     /* first token */
	int64_t tok1;     /* one past the last */
	float max;        /* largest activation in it */
	int64_t max_tok;  /* token of the largest */
	double sum;       /* summed activation */
} live_span;

/* Takes a finished span; nonzero stops (returned by push/end). */
typedef int (*live_span_fn)(void *ud, const live_span *s);

typedef struct {
	int n;            /* watched features */
	float above;      /* a token is in a span when its activation is > above */
	live_span *open;  /* [n] the open span of each (tok0 < 0: none) */
	int64_t next;     /* the position the next push starts at */
} live_spans;

void live_spans_init(live_spans *sp, int n, float above);
void live_spans_free(live_spans *sp);
/* acts[rows][n]: the watched features' activations at positions
 * pos0..pos0+rows-1 (pos0 must be the position after the last push; -1
 * otherwise). Spans that end are handed to fn in order of their end. */
int live_spans_push(live_spans *sp, const float *acts, int rows, int64_t pos0, live_span_fn fn, void *ud);
/* The document ended: close every open span (in watched order) and start
 * again at position 0. */
int live_spans_end(live_spans *sp, live_span_fn fn, void *ud);
/* The first token of the earliest span still open, or -1: the text
 * before it is no longer needed by any span. */
int64_t live_spans_oldest(const live_spans *sp);

#endif

/*
 * grep_match.c: what a context search shows under each context (see
 * grep.h): where the query matched in the context's text, and the stored
 * features ranked by their activation on the tokens of that match, so that
 * `featscope search` and the browser's search list the same features for
 * the same context, those that fire on GATTACA before those that fire on a
 * quality string beside it.
 */
#include "grep/grep.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		x += x >= 'A' && x <= 'Z' ? 32 : 0;
		y += y >= 'A' && y <= 'Z' ? 32 : 0;
		if (x != y)
			return 0;
	}
	return 1;
}

static int wordch(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void grep_search_match(const char *q, const char *text, size_t len, size_t *off, size_t *mlen)
{
	*mlen = 0;
	*off = 0;
	size_t ql = strlen(q);
	for (size_t i = 0; ql && i + ql <= len; i++)
		if (ieq(text + i, q, ql)) {
			*off = i;
			*mlen = ql;
			return;
		}
	const char *p = q;
	while (*p) {
		while (*p && !wordch((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && wordch((unsigned char)*p))
			p++;
		size_t wl = (size_t)(p - s);
		if (wl == 0 || (wl == 3 && (!strncmp(s, "AND", 3) || !strncmp(s, "NOT", 3))) ||
		    (wl == 2 && !strncmp(s, "OR", 2)))
			continue;
		for (size_t i = 0; i + wl <= len; i++)
			if (ieq(text + i, s, wl)) {
				*off = i;
				*mlen = wl;
				return;
			}
	}
}

static int by_span(const void *a, const void *b)
{
	const grep_span_feature *x = a, *y = b;
	if (x->on_match != y->on_match)
		return y->on_match - x->on_match;
	if (x->act != y->act)
		return x->act < y->act ? 1 : -1;
	return x->fid < y->fid ? -1 : x->fid > y->fid;
}

int grep_span_features(fs_index *ix, const fs_context *c, size_t off, size_t mlen, int limit,
		       grep_span_feature **out)
{
	*out = NULL;
	fs_ctx_feature *cf = NULL;
	int n = index_context_features(ix, c->id, 1 << 20, &cf);
	if (n <= 0) {
		free(cf);
		return n;
	}
	grep_span_feature *v = xcalloc((size_t)n, sizeof *v);
	float *acts = xmalloc((size_t)(c->ntok > 0 ? c->ntok : 1) * sizeof *acts);
	for (int i = 0; i < n; i++) {
		v[i].fid = cf[i].fid;
		v[i].act = cf[i].max_act;
		v[i].pos = cf[i].max_pos;
		if (!mlen || c->ntok <= 0 || index_example_acts(ix, cf[i].fid, c->id, acts, c->ntok) != 0)
			continue;
		/* its strongest activation on a token that overlaps the match */
		float best = 0;
		int at = -1;
		for (int t = 0; t < c->ntok; t++) {
			size_t a = c->tok_off[t], b = c->tok_off[t + 1];
			if (b <= off || a >= off + mlen || !(acts[t] > best))
				continue;
			best = acts[t];
			at = t;
		}
		if (at >= 0) {
			v[i].on_match = 1;
			v[i].act = best;
			v[i].pos = at;
		}
	}
	free(acts);
	free(cf);
	qsort(v, (size_t)n, sizeof *v, by_span);
	if (limit >= 0 && n > limit)
		n = limit;
	*out = v;
	return n;
}

/*
 * grep_stats.c: the concept statistics (definitions in grep.h): which
 * tokens a match covers, the per-feature sums folded from the examples
 * on matched contexts, and the ranking by f1, mass, precision, recall or
 * contexts, whose names are in one table here.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep/grep_int.h"
#include "core/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The ranking keys: the name `--sort` takes and JSON prints, and the
 * title screens show. */
static const struct {
	const char *name;     /* "f1", ... */
	const char *title;    /* "F1", ... */
} grep_sorts[GREP_N_SORTS] = {
	[GREP_SORT_F1] = {"f1", "F1"},
	[GREP_SORT_MASS] = {"mass", "mass"},
	[GREP_SORT_PRECISION] = {"precision", "precision"},
	[GREP_SORT_RECALL] = {"recall", "recall"},
	[GREP_SORT_CONTEXTS] = {"contexts", "contexts"},
};

int grep_sort_parse(const char *s)
{
	for (int i = 0; i < GREP_N_SORTS; i++)
		if (strcmp(s, grep_sorts[i].name) == 0)
			return i;
	return -1;
}

const char *grep_sort_name(grep_sort s)
{
	return (int)s >= 0 && s < GREP_N_SORTS ? grep_sorts[s].name : grep_sorts[0].name;
}

const char *grep_sort_title(grep_sort s)
{
	return (int)s >= 0 && s < GREP_N_SORTS ? grep_sorts[s].title : grep_sorts[0].title;
}

int grep_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int grep_mark_tokens(const size_t *spans, int nspan, const uint32_t *tok_off,
		     int ntok, const char *text, int exact, uint8_t *marked)
{
	int n = 0, k = 0;
	if (ntok > 0)
		memset(marked, 0, (size_t)ntok);
	for (int t = 0; t < ntok; t++) {
		size_t a = tok_off[t], b = tok_off[t + 1];
		if (exact) {
			while (a < b && grep_is_space((unsigned char)text[a]))
				a++;
			while (b > a && grep_is_space((unsigned char)text[b - 1]))
				b--;
		}
		if (b <= a)
			continue;
		/* Spans are in increasing start order and do not overlap;
		 * skip those that end before this token starts. */
		while (k < nspan && spans[2 * k + 1] <= a)
			k++;
		for (int j = k; j < nspan && spans[2 * j] < b; j++) {
			if (exact ? (spans[2 * j] == a && spans[2 * j + 1] == b)
				  : (spans[2 * j + 1] > a)) {
				marked[t] = 1;
				n++;
				break;
			}
		}
	}
	return n;
}

void grep_acc_init(grep_acc *a, int64_t nfid)
{
	size_t n = (size_t)(nfid > 0 ? nfid : 1);
	a->nfid = nfid;
	a->mass = xcalloc(n, sizeof *a->mass);
	a->fire = xcalloc(n, sizeof *a->fire);
	a->cover = xcalloc(n, sizeof *a->cover);
	a->contexts = xcalloc(n, sizeof *a->contexts);
	a->last_ctx = xcalloc(n, sizeof *a->last_ctx);
}

void grep_acc_free(grep_acc *a)
{
	free(a->mass);
	free(a->fire);
	free(a->cover);
	free(a->contexts);
	free(a->last_ctx);
	memset(a, 0, sizeof *a);
}

/* Grow a to hold fid (fids beyond those known at the start). */
void grep_acc_grow(grep_acc *a, int64_t fid)
{
	int64_t n = a->nfid, m = fid + 1 > 2 * n ? fid + 1 : 2 * n;
	size_t old = (size_t)n, add = (size_t)(m - n);
	a->mass = xrealloc(a->mass, (size_t)m * sizeof *a->mass);
	a->fire = xrealloc(a->fire, (size_t)m * sizeof *a->fire);
	a->cover = xrealloc(a->cover, (size_t)m * sizeof *a->cover);
	a->contexts = xrealloc(a->contexts, (size_t)m * sizeof *a->contexts);
	a->last_ctx = xrealloc(a->last_ctx, (size_t)m * sizeof *a->last_ctx);
	memset(a->mass + old, 0, add * sizeof *a->mass);
	memset(a->fire + old, 0, add * sizeof *a->fire);
	memset(a->cover + old, 0, add * sizeof *a->cover);
	memset(a->contexts + old, 0, add * sizeof *a->contexts);
	memset(a->last_ctx + old, 0, add * sizeof *a->last_ctx);
	a->nfid = m;
}

void grep_acc_example(grep_acc *a, int64_t fid, int64_t ctx, const float *acts,
		      int ntok, const uint8_t *marked)
{
	double m = 0;
	int64_t fire = 0, cover = 0;
	if (fid < 0)
		return;
	if (fid >= a->nfid)
		grep_acc_grow(a, fid);
	for (int t = 0; t < ntok; t++) {
		if (!marked[t])
			continue;
		cover++;
		if (acts[t] > 0) {
			fire++;
			m += acts[t];
		}
	}
	a->mass[fid] += m;
	a->fire[fid] += fire;
	a->cover[fid] += cover;
	if (fire > 0 && a->last_ctx[fid] != ctx) {
		a->contexts[fid]++;
		a->last_ctx[fid] = ctx;
	}
}

static grep_sort grep_cmp_key; /* qsort has no user pointer: set before sorting */

static double grep_key(const grep_hit *h, grep_sort s)
{
	switch (s) {
	case GREP_SORT_MASS: return h->mass;
	case GREP_SORT_PRECISION: return h->precision;
	case GREP_SORT_RECALL: return h->recall;
	case GREP_SORT_CONTEXTS: return (double)h->contexts;
	default: return h->f1;
	}
}

static int grep_cmp(const void *x, const void *y)
{
	const grep_hit *a = x, *b = y;
	double ka = grep_key(a, grep_cmp_key), kb = grep_key(b, grep_cmp_key);
	if (ka != kb)
		return ka > kb ? -1 : 1;
	if (a->mass != b->mass)
		return a->mass > b->mass ? -1 : 1;
	return a->fid < b->fid ? -1 : a->fid > b->fid;
}

static pthread_mutex_t grep_sort_mu = PTHREAD_MUTEX_INITIALIZER;

void grep_rank(const grep_acc *a, const double *act_mass, const int *sae_of,
	       int sae, grep_sort sort, int limit, grep_result *r)
{
	size_t n = 0, cap = 64;
	grep_hit *h = xmalloc(cap * sizeof *h);
	for (int64_t f = 0; f < a->nfid; f++) {
		if (a->fire[f] <= 0)
			continue;
		if (sae && (!sae_of || sae_of[f] != sae))
			continue;
		if (n == cap)
			h = xrealloc(h, (cap *= 2) * sizeof *h);
		grep_hit *x = &h[n++];
		double am = act_mass ? act_mass[f] : 0;
		x->fid = f;
		x->mass = a->mass[f];
		x->fire = a->fire[f];
		x->cover = a->cover[f];
		x->contexts = a->contexts[f];
		x->precision = am > 0 ? a->mass[f] / am : 0;
		if (x->precision > 1)
			x->precision = 1; /* f16 rounding of stored acts */
		x->recall = x->cover > 0 ? (double)x->fire / (double)x->cover : 0;
		x->f1 = x->precision + x->recall > 0
			? 2 * x->precision * x->recall / (x->precision + x->recall) : 0;
	}
	pthread_mutex_lock(&grep_sort_mu);
	grep_cmp_key = sort;
	qsort(h, n, sizeof *h, grep_cmp);
	pthread_mutex_unlock(&grep_sort_mu);
	if (limit <= 0)
		limit = 20;
	r->n_features = (int64_t)n;
	r->n = n < (size_t)limit ? (int)n : limit;
	r->hits = h;
}

void grep_result_free(grep_result *r)
{
	free(r->hits);
	r->hits = NULL;
	r->n = 0;
}

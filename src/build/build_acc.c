/*
 * build_acc.c: the native builder's per-feature accumulators (build_int.h
 * says why each choice depends only on the set of records, never their
 * order): record identities and sampling keys, the top-k and the
 * bottom-key reservoir, exact fixed-point sums, the power-of-two histogram
 * and its rebinning, and the shard_state blob that carries an
 * accumulator from a shard's index to build_merge.
 */
#include "build/build_int.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define RESERVOIR_PER_INTERVAL 4 /* reservoir size = intervals x per-interval x this */
#define STATE_VERSION 1           /* first byte of a shard_state blob */

uint64_t build_rid(const char *source, const char *text, size_t len, const uint32_t *off, int ntok)
{
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, source, strlen(source) + 1);
	XXH3_64bits_update(st, text, len);
	uint32_t n = (uint32_t)ntok;
	XXH3_64bits_update(st, &n, sizeof n);
	XXH3_64bits_update(st, off, sizeof *off * (size_t)ntok);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

uint64_t build_key(uint64_t rid, int64_t f)
{
	return XXH3_64bits_withSeed(&rid, sizeof rid, (uint64_t)f);
}

int build_reservoir_size(const fs_build_opts *o)
{
	int R = o->n_intervals * o->per_interval;
	if (o->n_random > R)
		R = o->n_random;
	return R > 0 ? R * RESERVOIR_PER_INTERVAL : 0;
}

void build_acc_value(feat_acc *a, float v)
{
	/* only finite positive values, and loops bounded by the float
	 * exponent range (an infinite value once made this spin forever) */
	if (!(v > 0) || !isfinite(v))
		return;
	a->fires++;
	/* fixed point; values past 2^80 (none a dictionary makes) saturate */
	double fx = ldexp(v < 0x1p80f ? (double)v : 0x1p80, BUILD_SUM_SHIFT);
	a->sum += (build_u128)fx;
	/* the range starts as the smallest power of two above the first
	 * value and doubles past each larger one: in the end the smallest
	 * power of two above the maximum, whatever the order */
	if (a->hist_hi == 0) {
		a->hist_hi = 1;
		for (int k = 0; k < 160 && a->hist_hi > v * 2; k++)
			a->hist_hi /= 2;
	}
	for (int k = 0; k < 300 && v >= a->hist_hi && isfinite(a->hist_hi * 2); k++) {
		/* double the range: merge bins pairwise into the lower half */
		for (int i = 0; i < FS_HIST_BINS / 2; i++)
			a->hist[i] = a->hist[2 * i] + a->hist[2 * i + 1];
		memset(a->hist + FS_HIST_BINS / 2, 0, sizeof(uint32_t) * FS_HIST_BINS / 2);
		a->hist_hi *= 2;
	}
	int bin = (int)(v / a->hist_hi * FS_HIST_BINS);
	if (bin >= FS_HIST_BINS)
		bin = FS_HIST_BINS - 1;
	a->hist[bin]++;
}

void build_acc_merge_stats(feat_acc *a, int64_t fires, build_u128 sum, float max, float hist_hi,
			   const uint32_t *hist)
{
	a->fires += fires;
	a->sum += sum;
	if (max > a->max)
		a->max = max;
	if (!(hist_hi > 0))
		return;
	uint32_t h[FS_HIST_BINS];
	memcpy(h, hist, sizeof h);
	/* bring the lower of the two ranges up to the other by doubling
	 * (bins 2i and 2i+1 become bin i): the counts a single build would
	 * have at that range */
	float hi = hist_hi;
	if (a->hist_hi == 0)
		a->hist_hi = hi;
	for (int k = 0; k < 300 && hi < a->hist_hi; k++) {
		for (int i = 0; i < FS_HIST_BINS / 2; i++)
			h[i] = h[2 * i] + h[2 * i + 1];
		memset(h + FS_HIST_BINS / 2, 0, sizeof(uint32_t) * FS_HIST_BINS / 2);
		hi *= 2;
	}
	for (int k = 0; k < 300 && a->hist_hi < hi; k++) {
		for (int i = 0; i < FS_HIST_BINS / 2; i++)
			a->hist[i] = a->hist[2 * i] + a->hist[2 * i + 1];
		memset(a->hist + FS_HIST_BINS / 2, 0, sizeof(uint32_t) * FS_HIST_BINS / 2);
		a->hist_hi *= 2;
	}
	for (int i = 0; i < FS_HIST_BINS; i++)
		a->hist[i] += h[i];
}

void build_sample_free(sample *s)
{
	free(s->acts);
	s->acts = NULL;
}

/* x ranks below y in the top-k: a smaller max, or the same and a larger key */
static int top_worse(const sample *x, const sample *y)
{
	return x->max < y->max || (x->max == y->max && x->key > y->key);
}

int build_top_wants(const feat_acc *a, int k, float max, uint64_t key)
{
	if (k <= 0)
		return 0;
	if (a->ntop < k)
		return 1;
	sample s = {.max = max, .key = key};
	return top_worse(&a->top[0], &s);
}

void build_top_put(feat_acc *a, int k, sample s)
{
	if (!a->top)
		a->top = xmalloc(sizeof *a->top * (size_t)k);
	sample *h = a->top;
	int i;
	if (a->ntop < k) {
		i = a->ntop++;
		h[i] = s;
		while (i > 0) { /* sift up */
			int p = (i - 1) / 2;
			if (!top_worse(&h[i], &h[p]))
				break;
			sample t = h[i];
			h[i] = h[p];
			h[p] = t;
			i = p;
		}
		return;
	}
	build_sample_free(&h[0]);
	h[0] = s;
	for (i = 0;;) { /* sift down */
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < a->ntop && top_worse(&h[l], &h[m]))
			m = l;
		if (r < a->ntop && top_worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		sample t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int build_res_wants(const feat_acc *a, int R, uint64_t key)
{
	return R > 0 && (a->nres < R || key < a->res[0].key);
}

void build_res_put(feat_acc *a, int R, sample s)
{
	if (!a->res)
		a->res = xmalloc(sizeof *a->res * (size_t)R);
	sample *h = a->res;
	int i;
	if (a->nres < R) {
		i = a->nres++;
		h[i] = s;
		while (i > 0) {
			int p = (i - 1) / 2;
			if (h[p].key >= h[i].key)
				break;
			sample t = h[i];
			h[i] = h[p];
			h[p] = t;
			i = p;
		}
		return;
	}
	build_sample_free(&h[0]);
	h[0] = s;
	for (i = 0;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < a->nres && h[l].key > h[m].key)
			m = l;
		if (r < a->nres && h[r].key > h[m].key)
			m = r;
		if (m == i)
			return;
		sample t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int build_cmp_sample_desc(const void *x, const void *y)
{
	const sample *a = x, *b = y;
	if (a->max != b->max)
		return a->max > b->max ? -1 : 1;
	return (a->key > b->key) - (a->key < b->key);
}

int build_cmp_sample_key(const void *x, const void *y)
{
	const sample *a = x, *b = y;
	return (a->key > b->key) - (a->key < b->key);
}

/* ---- the shard_state blob ----
 * u8 version; varint fires; u64 sum low, u64 sum high; f32 max; f32
 * hist_hi; FS_HIST_BINS varint counts; varint ntop; varint nres; then each
 * sample: u64 rid, f32 max, varint ntok, varint context id, varint source
 * length, the source's bytes, varint nacts,
 * the acts bytes. Integers little-endian. */

static void put_u64(fs_buf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	buf_add(b, x, 8);
}

static void put_f32(fs_buf *b, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	uint8_t x[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
	buf_add(b, x, 4);
}

static void put_var(fs_buf *b, uint64_t v)
{
	uint8_t x[10];
	buf_add(b, x, varint_put(x, v));
}

static void put_sample(fs_buf *b, const sample *s, int64_t ctx, const char *src)
{
	put_u64(b, s->rid);
	put_f32(b, s->max);
	put_var(b, (uint64_t)s->ntok);
	put_var(b, (uint64_t)ctx);
	put_var(b, strlen(src));
	buf_add(b, src, strlen(src));
	put_var(b, s->nacts);
	buf_add(b, s->acts, s->nacts);
}

void build_state_encode(fs_buf *b, const feat_acc *a, const int64_t *ctx, const char *const *src)
{
	buf_addc(b, STATE_VERSION);
	put_var(b, (uint64_t)a->fires);
	put_u64(b, (uint64_t)a->sum);
	put_u64(b, (uint64_t)(a->sum >> 64));
	put_f32(b, a->max);
	put_f32(b, a->hist_hi);
	for (int i = 0; i < FS_HIST_BINS; i++)
		put_var(b, a->hist[i]);
	put_var(b, (uint64_t)a->ntop);
	put_var(b, (uint64_t)a->nres);
	for (int i = 0; i < a->ntop + a->nres; i++)
		put_sample(b, i < a->ntop ? &a->top[i] : &a->res[i - a->ntop], ctx[i], src[i]);
}

typedef struct {
	const uint8_t *p;  /* the blob */
	size_t n, at;      /* its size, the read position */
	int bad;           /* a read ran past the end */
} rd;

static uint64_t get_u64(rd *r)
{
	if (r->n - r->at < 8) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
	r->at += 8;
	return v;
}

static float get_f32(rd *r)
{
	if (r->n - r->at < 4) {
		r->bad = 1;
		return 0;
	}
	const uint8_t *x = r->p + r->at;
	uint32_t u = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
	r->at += 4;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static uint64_t get_var(rd *r, uint64_t max)
{
	uint64_t v = 0;
	size_t k = r->bad ? 0 : varint_get(r->p + r->at, r->n - r->at, &v);
	if (!k || v > max) {
		r->bad = 1;
		return 0;
	}
	r->at += k;
	return v;
}

int build_state_decode(const uint8_t *p, size_t n, int maxk, int maxr, build_state *st)
{
	memset(st, 0, sizeof *st);
	rd r = {p, n, 0, 0};
	if (n < 1 || p[0] != STATE_VERSION)
		return -1;
	r.at = 1;
	st->fires = (int64_t)get_var(&r, (uint64_t)INT64_MAX);
	uint64_t lo = get_u64(&r), hi = get_u64(&r);
	st->sum = (build_u128)hi << 64 | lo;
	st->max = get_f32(&r);
	st->hist_hi = get_f32(&r);
	for (int i = 0; i < FS_HIST_BINS; i++)
		st->hist[i] = (uint32_t)get_var(&r, UINT32_MAX);
	st->ntop = (int)get_var(&r, (uint64_t)maxk);
	st->nres = (int)get_var(&r, (uint64_t)maxr);
	/* the range a histogram may have: 0 (none) or a power of two */
	if (r.bad || !isfinite(st->max) || st->max < 0 || !isfinite(st->hist_hi) || st->hist_hi < 0 ||
	    (st->hist_hi > 0 && frexpf(st->hist_hi, &(int){0}) != 0.5f))
		return -1;
	int ns = st->ntop + st->nres;
	st->s = xcalloc((size_t)(ns > 0 ? ns : 1), sizeof *st->s);
	st->src = xcalloc((size_t)(ns > 0 ? ns : 1), sizeof *st->src);
	for (int i = 0; i < ns && !r.bad; i++) {
		sample *s = &st->s[i];
		s->rid = get_u64(&r);
		s->max = get_f32(&r);
		s->ntok = (int)get_var(&r, 1 << 24);
		s->rec = (int64_t)get_var(&r, (uint64_t)INT64_MAX);
		uint64_t sl = get_var(&r, 1 << 20);
		if (r.bad || r.n - r.at < sl) {
			r.bad = 1;
			break;
		}
		st->src[i] = xstrndup((const char *)r.p + r.at, (size_t)sl);
		r.at += (size_t)sl;
		s->nacts = (uint32_t)get_var(&r, (uint64_t)s->ntok * 5 + 16);
		if (r.bad || r.n - r.at < s->nacts || !isfinite(s->max) || !(s->max > 0)) {
			r.bad = 1;
			break;
		}
		s->acts = xmalloc(s->nacts ? s->nacts : 1);
		memcpy(s->acts, r.p + r.at, s->nacts);
		r.at += s->nacts;
	}
	if (r.bad || r.at != n) {
		build_state_free(st);
		return -1;
	}
	return 0;
}

void build_state_free(build_state *st)
{
	for (int i = 0; st->s && i < st->ntop + st->nres; i++) {
		build_sample_free(&st->s[i]);
		free(st->src[i]);
	}
	free(st->s);
	free(st->src);
	st->s = NULL;
	st->src = NULL;
}

int build_state_check(const uint8_t *p, size_t n, int maxk, int maxr)
{
	build_state st;
	if (build_state_decode(p, n, maxk, maxr, &st) != 0)
		return -1;
	build_state_free(&st);
	return 0;
}

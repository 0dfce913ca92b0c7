/*
 * matches.c: a feature's best decoder match in every other dictionary of
 * its index, against each one's random baseline (see matches.h). The
 * matcher keeps up to MATCH_SLOTS dictionaries' normalised decoders,
 * reusing the oldest slot when full.
 */
#include "compare/matches.h"
#include "compare/compare.h"
#include "nn/blas.h"
#include "core/escape.h"
#include "core/util.h"
#include "geom/knn.h"

#include <stdlib.h>
#include <string.h>

enum { MATCH_SLOTS = 16 };

/* One dictionary's decoders, loaded on first use. */
typedef struct {
	const fs_index *ix; /* the index they are of */
	int sae;            /* dictionary id, 0 for an empty slot */
	int ok;             /* 1 loaded, 0 no decoder (or a bad one) */
	int64_t n;          /* rows */
	int d;              /* their width */
	float *X;           /* normalised decoder rows */
	float base;         /* random-direction baseline among them */
	int has_base;       /* base computed (only a searched one needs it) */
	int big;            /* its decoder is over CMP_BEST_MAX_BYTES: not read */
	uint64_t used;      /* when last asked for */
} match_slot;

struct cmp_matcher {
	match_slot slot[MATCH_SLOTS];
	uint64_t clock;
};

cmp_matcher *cmp_matcher_new(void)
{
	return xcalloc(1, sizeof(cmp_matcher));
}

static void slot_clear(match_slot *s)
{
	if (s->sae)
		free(s->X);
	memset(s, 0, sizeof *s);
}

void cmp_matcher_forget(cmp_matcher *m, const fs_index *ix)
{
	for (int i = 0; m && i < MATCH_SLOTS; i++)
		if (m->slot[i].sae && m->slot[i].ix == ix)
			slot_clear(&m->slot[i]);
}

void cmp_matcher_free(cmp_matcher *m)
{
	if (!m)
		return;
	for (int i = 0; i < MATCH_SLOTS; i++)
		slot_clear(&m->slot[i]);
	free(m);
}

static match_slot *slot_get(cmp_matcher *m, fs_index *ix, int sae)
{
	match_slot *slot = &m->slot[0];
	m->clock++;
	for (int i = 0; i < MATCH_SLOTS; i++) {
		match_slot *s = &m->slot[i];
		if (s->sae == sae && s->ix == ix) {
			s->used = m->clock;
			return s;
		}
		if (!s->sae ? slot->sae != 0 : slot->sae && s->used < slot->used)
			slot = s;
	}
	slot_clear(slot);
	slot->ix = ix;
	slot->sae = sae;
	slot->used = m->clock;
	float *W = NULL;
	int64_t bad;
	const fs_sae *ds = index_sae_by_id(ix, sae);
	int dw = 0;
	int64_t rows = ds ? index_decoder_rows(ix, sae, &dw) : 0;
	if (rows > 0 && rows * ((int64_t)dw * 8) > CMP_BEST_MAX_BYTES) {
		slot->big = 1;
		slot->d = dw;
		return slot;
	}
	slot->n = rows > 0 ? index_decoder(ix, sae, &slot->d, &W) : 0;
	/* as many rows as features, or none is trusted */
	if (slot->n > 0 && slot->n == ds->n_features && slot->d > 0 && (slot->X = knn_normalize(W, slot->n, slot->d, &bad)) != NULL) {
		slot->ok = 1;
	}
	free(W);
	return slot;
}

int cmp_best_matches(cmp_matcher *m, fs_index *ix, int sae, int64_t row, cmp_best *out, int max)
{
	/* nothing to load when no other dictionary could match */
	const fs_sae *me = index_sae_by_id(ix, sae);
	int others = 0;
	for (int i = 0; me && i < index_n_saes(ix); i++) {
		const fs_sae *o = index_sae(ix, i);
		others += o->id != sae && (o->d_model <= 0 || me->d_model <= 0 || o->d_model == me->d_model);
	}
	if (!others)
		return 0;
	match_slot *own = slot_get(m, ix, sae);
	if (own->big)
		return CMP_BEST_TOO_BIG;
	if (!own->ok || row < 0 || row >= own->n)
		return -1;
	int d = own->d, n = 0;
	/* copy the row: the slot may be reused below */
	float *q = xmalloc((size_t)d * sizeof *q);
	memcpy(q, own->X + row * d, (size_t)d * sizeof *q);
	for (int i = 0; i < index_n_saes(ix) && n < max; i++) {
		const fs_sae *o = index_sae(ix, i);
		if (o->id == sae || (o->d_model > 0 && o->d_model != d))
			continue;
		match_slot *s = slot_get(m, ix, o->id);
		if (s->big && s->d == d) {
			out[n++] = (cmp_best){o, -1, 0, 0};
			continue;
		}
		if (!s->ok || s->d != d)
			continue;
		if (!s->has_base) {
			s->base = cmp_random_baseline(s->X, s->n, s->d, 0.99);
			s->has_base = 1;
		}
		float *c = xmalloc((size_t)s->n * sizeof *c);
		blas_sgemv(CblasRowMajor, CblasNoTrans, (int)s->n, d, 1.0f, s->X, d, q, 1, 0.0f, c, 1);
		int64_t bj = 0;
		for (int64_t j = 1; j < s->n; j++)
			if (c[j] > c[bj])
				bj = j;
		out[n++] = (cmp_best){o, bj, c[bj], s->base};
		free(c);
	}
	free(q);
	return n;
}

/* The slot of dictionary sae when held already, else NULL. */
static match_slot *slot_find(cmp_matcher *m, const fs_index *ix, int sae)
{
	for (int i = 0; i < MATCH_SLOTS; i++)
		if (m->slot[i].sae == sae && m->slot[i].ix == ix)
			return &m->slot[i];
	return NULL;
}

/* Getting dictionary sae's slot reads nothing: held, or nothing to read. */
static int slot_cheap(cmp_matcher *m, fs_index *ix, int sae)
{
	int d;
	return slot_find(m, ix, sae) || index_decoder_rows(ix, sae, &d) <= 0;
}

int cmp_best_ready(cmp_matcher *m, fs_index *ix, int sae)
{
	const fs_sae *me = index_sae_by_id(ix, sae);
	if (!me || !slot_cheap(m, ix, sae))
		return !me;
	for (int i = 0; i < index_n_saes(ix); i++) {
		const fs_sae *o = index_sae(ix, i);
		if (o->id != sae && (o->d_model <= 0 || me->d_model <= 0 || o->d_model == me->d_model) &&
		    !slot_cheap(m, ix, o->id))
			return 0;
	}
	return 1;
}

char *cmp_best_line(const cmp_best *v, int n)
{
	if (n <= 0)
		return NULL;
	fs_buf b = {0};
	for (int i = 0; i < n; i++) {
		if (i)
			buf_printf(&b, "; ");
		if (v[i].row < 0)
			buf_printf(&b, "%s not read (too large)", escape_str(v[i].sae->name));
		else if (v[i].cos > v[i].baseline)
			buf_printf(&b, "%s/%lld cos %.3f", escape_str(v[i].sae->name), (long long)v[i].row, v[i].cos);
		else
			buf_printf(&b, "none in %s above %.3f", escape_str(v[i].sae->name), v[i].baseline);
	}
	buf_addc(&b, 0);
	return b.p;
}

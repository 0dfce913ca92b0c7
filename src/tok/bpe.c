/*
 * bpe.c: the BPE engine (see bpe.h): the merge loop, encoding (added
 * tokens, normalisers with byte offsets kept, pre-tokenizer splits, the
 * model with byte-level or byte-fallback symbols) and decoding. Reading the
 * files is bpe_json.c's. Tokens are kept by their key (the vocabulary
 * string as pieces spell it: raw bytes for byte-level BPE, UTF-8 text
 * otherwise) and by their decoded bytes; merges as a hash from a pair of
 * ids to (rank, merged id). A piece is encoded by starting from one symbol
 * per byte (byte-level) or per character and merging, as GPT-2's
 * encoder.py does, every non-overlapping occurrence (left to right) of the
 * lowest-ranked adjacent pair until no pair has a rank; the pairs wait in a
 * heap by rank (merge_piece), so a long piece (CJK text without spaces is
 * one, a whole Gemma text is one) costs O(n log n), not O(n) per merge
 * applied. Encoded pieces are cached.
 */
#include "tok/bpe_int.h"
#include "tok/tokens.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ECMAScript's \s (the reference encoders are JavaScript): */
#define WS "\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"
const char bpe_gpt2_pattern[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

#define CACHE_SLOTS 65536   /* piece cache entries (power of two) */
#define CACHE_MAXLEN 64     /* longest piece cached, bytes */

uint64_t bpe_hash(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	h ^= h >> 29;
	return h ? h : 1;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

int bpe_vocab_find(const fs_bpe *b, const void *s, size_t n)
{
	if (!b->vcap)
		return -1;
	uint64_t h = bpe_hash(s, n);
	for (size_t i = h & (b->vcap - 1);; i = (i + 1) & (b->vcap - 1)) {
		const vocab_slot *v = &b->vs[i];
		if (!v->h)
			return -1;
		if (v->h == h && b->klen[v->id] == n && (n == 0 || memcmp(b->key[v->id], s, n) == 0))
			return v->id;
	}
}

void bpe_vocab_set(fs_bpe *b, int id, int replace)
{
	if ((b->vused + 1) * 2 > b->vcap) {
		/* grow: rehash every slot */
		size_t oc = b->vcap;
		vocab_slot *old = b->vs;
		b->vcap = oc ? oc * 2 : 1024;
		b->vs = xcalloc(b->vcap, sizeof *b->vs);
		for (size_t i = 0; i < oc; i++)
			if (old[i].h) {
				size_t j = old[i].h & (b->vcap - 1);
				while (b->vs[j].h)
					j = (j + 1) & (b->vcap - 1);
				b->vs[j] = old[i];
			}
		free(old);
	}
	uint64_t h = bpe_hash(b->key[id], b->klen[id]);
	size_t i = h & (b->vcap - 1);
	for (; b->vs[i].h; i = (i + 1) & (b->vcap - 1)) {
		const vocab_slot *v = &b->vs[i];
		int o = v->id;
		if (v->h == h && b->klen[o] == b->klen[id] && (b->klen[id] == 0 || memcmp(b->key[o], b->key[id], b->klen[id]) == 0)) {
			if (replace)
				b->vs[i].id = id;
			return;
		}
	}
	b->vs[i].h = h;
	b->vs[i].id = id;
	b->vused++;
}

static const merge_ent *merge_find(const fs_bpe *b, int32_t x, int32_t y)
{
	uint64_t key = (((uint64_t)(uint32_t)x << 32) | (uint32_t)y) + 1;
	for (size_t i = mix64(key) & (b->mcap - 1);; i = (i + 1) & (b->mcap - 1)) {
		const merge_ent *m = &b->ms[i];
		if (!m->key)
			return NULL;
		if (m->key == key)
			return m;
	}
}

static size_t pow2_above(size_t n)
{
	size_t c = 16;
	while (c < n * 2)
		c <<= 1;
	return c;
}

void bpe_merges_alloc(fs_bpe *b, size_t count)
{
	free(b->ms);
	b->mcap = pow2_above(count ? count : 1);
	b->ms = xcalloc(b->mcap, sizeof *b->ms);
}

/* Add a merge; a later duplicate of a pair overrides, as Python's
 * dict(zip(...)) and the reference's Map do. */
void bpe_merge_add(fs_bpe *b, int32_t x, int32_t y, int32_t rank, int32_t id)
{
	uint64_t key = (((uint64_t)(uint32_t)x << 32) | (uint32_t)y) + 1;
	size_t i = mix64(key) & (b->mcap - 1);
	while (b->ms[i].key) {
		if (b->ms[i].key == key) {
			b->ms[i].rank = rank;
			b->ms[i].id = id;
			return;
		}
		i = (i + 1) & (b->mcap - 1);
	}
	b->ms[i].key = key;
	b->ms[i].rank = rank;
	b->ms[i].id = id;
}

/* JavaScript's translation of Python regex syntax it lacks (the same
 * replacement the reference makes), then ECMAScript's \s, \S, \d and \w
 * spelled out, since PCRE2 with UCP would read them as Unicode classes. */
int bpe_pre_regex(bpe_pre *p, const char *pattern, const char *where, char *err, size_t errlen)
{
	static const char ci_from[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
	static const char ci_to[] = "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))";
	fs_buf o = {0};
	int in_class = 0;
	for (const char *s = pattern; *s;) {
		if (!in_class && strncmp(s, ci_from, sizeof ci_from - 1) == 0) {
			buf_adds(&o, ci_to);
			s += sizeof ci_from - 1;
			continue;
		}
		if (*s == '\\' && s[1]) {
			char c = s[1];
			const char *rep = NULL;
			if (c == 's')
				rep = in_class ? WS : "[" WS "]";
			else if (c == 'S')
				rep = in_class ? NULL : "[^" WS "]";
			else if (c == 'd')
				rep = in_class ? "0-9" : "[0-9]";
			else if (c == 'w')
				rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
			if (c == 'S' && in_class) {
				buf_free(&o);
				return fs_seterr(err, errlen, "%s: \\S inside a character class is not supported", where);
			}
			if (rep) {
				buf_adds(&o, rep);
			} else if (c == '#' || c == '&' || c == '~') {
				buf_addc(&o, c);
			} else {
				buf_addc(&o, '\\');
				buf_addc(&o, c);
			}
			s += 2;
			continue;
		}
		if (!in_class && *s == '[') {
			in_class = 1;
			buf_addc(&o, *s++);
			if (*s == '^')
				buf_addc(&o, *s++);
			continue;
		}
		if (in_class && *s == ']')
			in_class = 0;
		buf_addc(&o, *s++);
	}
	buf_addc(&o, 0);
	int ec;
	PCRE2_SIZE eo;
	p->re = pcre2_compile((PCRE2_SPTR)o.p, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
	buf_free(&o);
	if (!p->re) {
		PCRE2_UCHAR m[120];
		pcre2_get_error_message(ec, m, sizeof m);
		return fs_seterr(err, errlen, "%s: regex: %s", where, (const char *)m);
	}
	p->jit = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) == 0;
	p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
	return 0;
}

void bpe_free(fs_bpe *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++) {
		if (b->tok && b->key && b->tok[i] != b->key[i])
			free(b->tok[i]);
		if (b->key)
			free(b->key[i]);
	}
	free(b->key);
	free(b->klen);
	free(b->tok);
	free(b->len);
	free(b->vs);
	free(b->ms);
	if (b->cache) {
		for (size_t i = 0; i < CACHE_SLOTS; i++) {
			free(b->cache[i].s);
			free(b->cache[i].ids);
			free(b->cache[i].rel);
		}
		free(b->cache);
	}
	for (int i = 0; i < b->nnorm; i++) {
		free(b->norm[i].pat);
		free(b->norm[i].rep);
	}
	free(b->norm);
	for (int i = 0; i < b->npre; i++) {
		if (b->pre[i].md)
			pcre2_match_data_free(b->pre[i].md);
		if (b->pre[i].re)
			pcre2_code_free(b->pre[i].re);
		free(b->pre[i].lit);
	}
	free(b->pre);
	for (int i = 0; i < b->nadded; i++)
		free(b->added[i].s);
	free(b->added);
	free(b->ahash);
	free(b->alens);
	free(b->strip);
	free(b->w);
	free(b->wl);
	free(b->nx);
	free(b->pv);
	free(b->round);
	free(b->heap);
	free(b->name);
	free(b);
}

/* Called by the loader when everything is read. */
void bpe_ready(fs_bpe *b)
{
	if (!b->cache)
		b->cache = xcalloc(CACHE_SLOTS, sizeof *b->cache);
	free(b->ahash);
	free(b->alens);
	b->acap = pow2_above((size_t)b->nadded + 1);
	b->ahash = xmalloc(sizeof *b->ahash * b->acap);
	for (size_t i = 0; i < b->acap; i++)
		b->ahash[i] = -1;
	b->alens = xmalloc(sizeof *b->alens * (size_t)(b->nadded + 1));
	b->nalens = 0;
	for (int k = 0; k < b->nadded; k++) {
		const bpe_added *a = &b->added[k];
		if (!b->nalens || b->alens[b->nalens - 1] != a->n)
			b->alens[b->nalens++] = (uint32_t)a->n;
		size_t i = bpe_hash(a->s, a->n) & (b->acap - 1);
		while (b->ahash[i] >= 0)
			i = (i + 1) & (b->acap - 1);
		b->ahash[i] = k;
	}
}

uint64_t bpe_lookups(const fs_bpe *b)
{
	return b->lookups;
}

int bpe_decode(const fs_bpe *b, const int32_t *ids, int64_t n, fs_buf *out, char *err, size_t errlen)
{
	size_t start = out->len;
	for (int64_t i = 0; i < n; i++) {
		size_t l;
		const uint8_t *t = bpe_token_bytes(b, ids[i], &l);
		if (!t)
			return fs_seterr(err, errlen, "token %lld: id %d is not in the vocabulary", (long long)i,
					 (int)ids[i]);
		buf_add(out, t, l);
	}
	/* the decoder's Strip: the prefix the normaliser added */
	for (int k = 0; k < b->strip_n && b->striplen && out->len - start >= b->striplen &&
			memcmp(out->p + start, b->strip, b->striplen) == 0; k++) {
		memmove(out->p + start, out->p + start + b->striplen, out->len - start - b->striplen);
		out->len -= b->striplen;
	}
	return 0;
}

/* The heap of candidate merges: (rank, position of the pair's left
 * token), smallest rank first, then leftmost. */
static int hp_less(const bpe_cand *a, const bpe_cand *c)
{
	return a->rank < c->rank || (a->rank == c->rank && a->pos < c->pos);
}

static void hp_push(fs_bpe *b, int32_t rank, uint32_t pos)
{
	if (b->nh == b->hcap) {
		b->hcap = b->hcap ? b->hcap * 2 : 256;
		b->heap = xrealloc(b->heap, sizeof *b->heap * b->hcap);
	}
	bpe_cand *h = b->heap, c = {rank, pos};
	size_t i = b->nh++;
	while (i > 0 && hp_less(&c, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = c;
}

static bpe_cand hp_pop(fs_bpe *b)
{
	bpe_cand *h = b->heap, top = h[0], last = h[--b->nh];
	size_t i = 0, n = b->nh;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hp_less(&h[c + 1], &h[c]))
			c++;
		if (!hp_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* The merge of the pair starting at node i (its right neighbour), or NULL. */
static const merge_ent *pair_at(fs_bpe *b, uint32_t i)
{
	int32_t j = b->nx[i];
	if (j < 0 || b->w[i] < 0 || b->w[j] < 0)
		return NULL;
	b->lookups++;
	return merge_find(b, b->w[i], b->w[j]);
}

static void cand_at(fs_bpe *b, uint32_t i)
{
	const merge_ent *m = pair_at(b, i);
	if (m)
		hp_push(b, m->rank, i);
}

/* BPE of one piece into b->w (ids, -1 for a character outside the
 * vocabulary), b->wl (byte lengths) and b->round (start positions);
 * returns the token count.
 *
 * GPT-2's rule, in rounds: the lowest-ranked pair present is merged at
 * every occurrence, left to right without overlaps, then the next round
 * looks again. (The reference's queue, which takes one occurrence at a
 * time, lowest rank then leftmost, gives the same tokens: a merge never
 * makes another pair of the same rank, since the merged token is longer
 * than either part.) The tokens are a linked list over the byte positions
 * (a token lives at the position of its first byte) and every pair that
 * has a merge is a candidate (rank, position) in a heap, pushed when the
 * pair comes to be; a candidate whose pair has changed since is stale and
 * is dropped when it comes up. A round takes the smallest valid
 * candidate's rank r, then every candidate of rank r (all the occurrences
 * of that one pair, leftmost first), merging each whose pair is still
 * there; pairs the round makes wait in the heap for the next round. Each
 * merge costs O(log n), so a piece of n bytes costs O(n log n) whatever
 * the number of merges it applies. */
static size_t merge_piece(fs_bpe *b, const uint8_t *s, size_t n)
{
	if (n > b->wcap) {
		b->wcap = n * 2;
		b->w = xrealloc(b->w, sizeof *b->w * b->wcap);
		b->wl = xrealloc(b->wl, sizeof *b->wl * b->wcap);
		b->nx = xrealloc(b->nx, sizeof *b->nx * b->wcap);
		b->pv = xrealloc(b->pv, sizeof *b->pv * b->wcap);
		b->round = xrealloc(b->round, sizeof *b->round * b->wcap);
	}
	int32_t *w = b->w, *nx = b->nx, *pv = b->pv;
	uint32_t *wl = b->wl;
	int32_t last = -1;
	for (size_t i = 0; i < n;) {
		size_t l = 1;
		if (b->bytelevel) {
			w[i] = b->byte_id[s[i]];
		} else {
			int u = utf8_len(s + i, n - i);
			l = u > 0 ? (size_t)u : 1;
			w[i] = bpe_vocab_find(b, s + i, l);
			for (size_t k = 1; k < l; k++)
				wl[i + k] = 0;
		}
		wl[i] = (uint32_t)l;
		pv[i] = last;
		nx[i] = -1;
		if (last >= 0)
			nx[last] = (int32_t)i;
		last = (int32_t)i;
		i += l;
	}
	b->nh = 0;
	for (int32_t i = n ? 0 : -1; i >= 0; i = nx[i])
		cand_at(b, (uint32_t)i);
	while (b->nh) {
		bpe_cand c = hp_pop(b);
		const merge_ent *m = wl[c.pos] ? pair_at(b, c.pos) : NULL;
		if (!m || m->rank != c.rank)
			continue; /* stale */
		int32_t A = w[c.pos], B = w[nx[c.pos]], Z = m->id, r = c.rank;
		/* the round's occurrences, in position order (ranks are unique
		 * to a pair, so every valid candidate of rank r is (A, B)) */
		size_t nr = 0;
		b->round[nr++] = c.pos;
		while (b->nh && b->heap[0].rank == r) {
			bpe_cand d = hp_pop(b);
			if (d.pos != b->round[nr - 1])
				b->round[nr++] = d.pos;
		}
		for (size_t k = 0; k < nr; k++) {
			uint32_t i = b->round[k];
			int32_t j = nx[i];
			/* consumed by the merge on its left, or changed since */
			if (!wl[i] || j < 0 || w[i] != A || w[j] != B)
				continue;
			w[i] = Z;
			wl[i] += wl[j];
			wl[j] = 0;
			nx[i] = nx[j];
			if (nx[i] >= 0)
				pv[nx[i]] = (int32_t)i;
			if (pv[i] >= 0)
				cand_at(b, (uint32_t)pv[i]);
			cand_at(b, i);
		}
	}
	/* the surviving tokens, compacted in order */
	size_t k = 0;
	for (int32_t i = n ? 0 : -1; i >= 0; i = nx[i]) {
		w[k] = w[i];
		wl[k] = wl[i];
		b->round[k] = (uint32_t)i;
		k++;
	}
	return k;
}

/* Output of the encoder: ids and original offsets, grown together. */
typedef struct {
	int32_t **ids;
	uint32_t **offs;
	int64_t *count, *cap;
} tok_out;

static void push(tok_out *o, int32_t id, uint32_t off)
{
	if (*o->count == *o->cap) {
		*o->cap = *o->cap ? *o->cap * 2 : 256;
		*o->ids = xrealloc(*o->ids, sizeof **o->ids * (size_t)*o->cap);
		if (o->offs)
			*o->offs = xrealloc(*o->offs, sizeof **o->offs * (size_t)*o->cap);
	}
	(*o->ids)[*o->count] = id;
	if (o->offs)
		(*o->offs)[*o->count] = off;
	(*o->count)++;
}

/* Normalised text: bytes, and for each byte the offset in the original
 * text it came from (nondecreasing). */
typedef struct {
	char *p;
	uint32_t *m;
	size_t n, cap;
} ntext;

static void nt_reserve(ntext *t, size_t extra)
{
	if (t->n + extra > t->cap) {
		t->cap = (t->n + extra) * 2 + 64;
		t->p = xrealloc(t->p, t->cap);
		t->m = xrealloc(t->m, sizeof *t->m * t->cap);
	}
}

/* n bytes, each from offset off (map NULL) or from map[i]. */
static void nt_add(ntext *t, const char *s, size_t n, const uint32_t *map, uint32_t off)
{
	if (!n)
		return; /* t->p may still be NULL */
	nt_reserve(t, n);
	memcpy(t->p + t->n, s, n);
	for (size_t i = 0; i < n; i++)
		t->m[t->n + i] = map ? map[i] : off;
	t->n += n;
}

/* Where NFC can be computed apart: before a character that is its own
 * starter (canonical class 0), never the second of a composition and
 * whose decomposition, if any, starts with such a character. Only ranges
 * known to be so are listed; elsewhere the chunk just grows. */
static int nfc_break_before(uint32_t c)
{
	return c < 0x300 || (c >= 0x370 && c < 0x483) || (c >= 0x48a && c < 0x530) ||
	       (c >= 0x2000 && c < 0x20d0) || (c >= 0x2100 && c < 0x2c00) || (c >= 0x3000 && c < 0x3099) ||
	       (c >= 0x309b && c < 0x3100) || (c >= 0x4e00 && c < 0xa000) || (c >= 0xac00 && c < 0xd7a4) ||
	       (c >= 0x1f000 && c < 0x1fb00);
}

static void step_nfc(const ntext *in, ntext *out)
{
	out->n = 0;
	for (size_t s = 0; s < in->n;) {
		/* one chunk: [s, e) */
		size_t e = s;
		int ascii = 1;
		do {
			int l = utf8_len((const unsigned char *)in->p + e, in->n - e);
			if (l <= 0)
				l = 1;
			if (l > 1)
				ascii = 0;
			e += (size_t)l;
		} while (e < in->n &&
			 !nfc_break_before(utf8_decode((const unsigned char *)in->p + e,
						       utf8_len((const unsigned char *)in->p + e, in->n - e))));
		utf8proc_uint8_t *r = NULL;
		utf8proc_ssize_t rn = ascii ? -1 : utf8proc_map((const utf8proc_uint8_t *)in->p + s,
								  (utf8proc_ssize_t)(e - s), &r,
								  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (rn < 0 || ((size_t)rn == e - s && memcmp(r, in->p + s, e - s) == 0))
			nt_add(out, in->p + s, e - s, in->m + s, 0); /* unchanged */
		else
			nt_add(out, (const char *)r, (size_t)rn, NULL, in->m[s]);
		free(r);
		s = e;
	}
}

static void step_replace(const bpe_norm *st, const ntext *in, ntext *out)
{
	out->n = 0;
	size_t i = 0, from = 0;
	while (st->plen && i + st->plen <= in->n) {
		if (memcmp(in->p + i, st->pat, st->plen) == 0) {
			nt_add(out, in->p + from, i - from, in->m + from, 0);
			nt_add(out, st->rep, st->rlen, NULL, in->m[i]);
			i += st->plen;
			from = i;
		} else {
			i++;
		}
	}
	nt_add(out, in->p + from, in->n - from, in->m + from, 0);
}

static void step_prepend(const bpe_norm *st, const ntext *in, ntext *out)
{
	out->n = 0;
	if (in->n)
		nt_add(out, st->rep, st->rlen, NULL, in->m[0]);
	nt_add(out, in->p, in->n, in->m, 0);
}

/* Pieces: [start, end) pairs in the normalised text. */
typedef struct {
	uint32_t *v; /* 2 per piece */
	size_t n, cap;
} pieces;

static void pc_add(pieces *p, size_t s, size_t e)
{
	if (e <= s)
		return;
	if (p->n + 2 > p->cap) {
		p->cap = p->cap * 2 + 64;
		p->v = xrealloc(p->v, sizeof *p->v * p->cap);
	}
	p->v[p->n++] = (uint32_t)s;
	p->v[p->n++] = (uint32_t)e;
}

/* The next match of a split pattern in t[from, e) (subject t[s, e)):
 * 1 with [*ms, *me), 0 for none, -1 for a PCRE2 error. */
static int pre_next(bpe_pre *p, const char *t, size_t s, size_t e, size_t from, size_t *ms, size_t *me)
{
	if (!p->re) {
		for (size_t i = from; i + p->llen <= e; i++)
			if (memcmp(t + i, p->lit, p->llen) == 0) {
				*ms = i;
				*me = i + p->llen;
				return 1;
			}
		return 0;
	}
	for (;;) {
		if (from >= e)
			return 0;
		int rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)(t + s), e - s, from - s, PCRE2_NO_UTF_CHECK, p->md, NULL)
				: pcre2_match(p->re, (PCRE2_SPTR)(t + s), e - s, from - s, PCRE2_NO_UTF_CHECK, p->md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return -1;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
		if (ov[1] > ov[0]) {
			*ms = s + ov[0];
			*me = s + ov[1];
			return 1;
		}
		/* an empty match: on one character, as JavaScript's matchAll */
		int l = utf8_len((const unsigned char *)t + s + ov[0], e - s - ov[0]);
		from = s + ov[0] + (size_t)(l > 0 ? l : 1);
	}
}

/* One pre-tokenizer step over every piece. */
static int pre_step(bpe_pre *p, const char *t, const pieces *in, pieces *out, char *err, size_t errlen)
{
	out->n = 0;
	for (size_t k = 0; k < in->n; k += 2) {
		size_t s = in->v[k], e = in->v[k + 1], cur = s, from = s, ms, me;
		size_t gs = SIZE_MAX, ge = 0; /* BEH_CONTIG: the group of adjacent matches */
		int rc;
		while ((rc = pre_next(p, t, s, e, from, &ms, &me)) == 1) {
			switch (p->beh) {
			case BEH_ISOLATED:
				pc_add(out, cur, ms);
				pc_add(out, ms, me);
				cur = me;
				break;
			case BEH_REMOVED:
				pc_add(out, cur, ms);
				cur = me;
				break;
			case BEH_PREV:
				pc_add(out, cur, me);
				cur = me;
				break;
			case BEH_NEXT:
				pc_add(out, cur, ms);
				cur = ms;
				break;
			default: /* BEH_CONTIG */
				if (gs != SIZE_MAX && ms == ge) {
					ge = me;
				} else {
					if (gs != SIZE_MAX)
						pc_add(out, gs, ge);
					pc_add(out, cur, ms);
					gs = ms;
					ge = me;
				}
				cur = me;
				break;
			}
			from = me;
		}
		if (rc < 0)
			return fs_seterr(err, errlen, "byte %zu: pre-tokenizer pattern: PCRE2 error %d", from, rc);
		if (p->beh == BEH_CONTIG && gs != SIZE_MAX)
			pc_add(out, gs, ge);
		pc_add(out, cur, e);
	}
	return 0;
}

/* Encode one piece of normalised text: the ids and where each starts in
 * the piece, in b->w and b->round; returns the count. */
static size_t piece_tokens(fs_bpe *b, const char *s, size_t n)
{
	if (b->ignore_merges) {
		int id = bpe_vocab_find(b, s, n);
		if (id >= 0) {
			if (!b->wcap) {
				b->wcap = 64;
				b->w = xmalloc(sizeof *b->w * b->wcap);
				b->wl = xmalloc(sizeof *b->wl * b->wcap);
				b->nx = xmalloc(sizeof *b->nx * b->wcap);
				b->pv = xmalloc(sizeof *b->pv * b->wcap);
				b->round = xmalloc(sizeof *b->round * b->wcap);
			}
			b->w[0] = id;
			b->round[0] = 0;
			return 1;
		}
	}
	size_t k = merge_piece(b, (const uint8_t *)s, n);
	/* characters outside the vocabulary: byte fallback, else unk; the
	 * bytes of one character share its position */
	size_t unknown = 0;
	for (size_t i = 0; i < k; i++)
		if (b->w[i] < 0)
			unknown++;
	if (!unknown)
		return k;
	size_t need = k + unknown * 3;
	if (need > b->wcap) {
		b->wcap = need * 2;
		b->w = xrealloc(b->w, sizeof *b->w * b->wcap);
		b->wl = xrealloc(b->wl, sizeof *b->wl * b->wcap);
		b->nx = xrealloc(b->nx, sizeof *b->nx * b->wcap);
		b->pv = xrealloc(b->pv, sizeof *b->pv * b->wcap);
		b->round = xrealloc(b->round, sizeof *b->round * b->wcap);
	}
	/* expand from the right end so nothing is overwritten unread */
	size_t out = need;
	for (size_t i = k; i-- > 0;) {
		if (b->w[i] >= 0) {
			out--;
			b->w[out] = b->w[i];
			b->round[out] = b->round[i];
			continue;
		}
		uint32_t pos = b->round[i], l = b->wl[i];
		int all = b->byte_fallback;
		for (uint32_t j = 0; all && j < l; j++)
			all = b->fb_id[(uint8_t)s[pos + j]] >= 0;
		if (all) {
			for (uint32_t j = l; j-- > 0;) {
				out--;
				b->w[out] = b->fb_id[(uint8_t)s[pos + j]];
				b->round[out] = pos;
			}
		} else {
			out--;
			b->w[out] = b->unk;
			b->round[out] = pos;
		}
	}
	/* move down over the slots left unused */
	size_t cnt = need - out;
	memmove(b->w, b->w + out, sizeof *b->w * cnt);
	memmove(b->round, b->round + out, sizeof *b->round * cnt);
	return cnt;
}

/* One piece (normalised bytes nt[s, e)) to the output, through the cache. */
static void encode_piece(fs_bpe *b, const ntext *nt, size_t s, size_t e, uint32_t base, tok_out *o)
{
	const char *p = nt->p ? nt->p + s : NULL;
	size_t n = e - s;
	cache_ent *c = NULL;
	if (n <= CACHE_MAXLEN) {
		uint64_t h = bpe_hash(p, n);
		c = &b->cache[h & (CACHE_SLOTS - 1)];
		if (c->h == h && c->n == n && memcmp(c->s, p, n) == 0) {
			for (uint32_t i = 0; i < c->nids; i++)
				push(o, c->ids[i], nt->m ? nt->m[s + c->rel[i]] : base + (uint32_t)s + c->rel[i]);
			return;
		}
		free(c->s);
		free(c->ids);
		free(c->rel);
		c->h = h;
		c->n = (uint32_t)n;
		c->s = xmalloc(n ? n : 1);
		memcpy(c->s, p, n);
	}
	size_t k = piece_tokens(b, p, n);
	for (size_t i = 0; i < k; i++) {
		if (b->w[i] < 0)
			continue; /* no unk token: the loader refuses such a tokenizer */
		push(o, b->w[i], nt->m ? nt->m[s + b->round[i]] : base + (uint32_t)s + b->round[i]);
	}
	if (c) { /* what was emitted, so a hit gives the same (no -1 ids) */
		c->ids = xmalloc(sizeof *c->ids * (k ? k : 1));
		c->rel = xmalloc(sizeof *c->rel * (k ? k : 1));
		uint32_t m = 0;
		for (size_t i = 0; i < k; i++)
			if (b->w[i] >= 0) {
				c->ids[m] = b->w[i];
				c->rel[m++] = b->round[i];
			}
		c->nids = m;
	}
}

/* A stretch of text between added tokens: normalise, pre-tokenize, model. */
static int encode_section(fs_bpe *b, const char *text, size_t s, size_t e, tok_out *o, char *err, size_t errlen)
{
	if (e <= s)
		return 0;
	ntext a = {0}, c = {0};
	ntext cur = {(char *)text + s, NULL, e - s, 0}; /* m NULL: offset s + i */
	if (b->nnorm) {
		nt_reserve(&a, e - s);
		for (size_t i = 0; i < e - s; i++)
			a.m[i] = (uint32_t)(s + i);
		memcpy(a.p, text + s, e - s);
		a.n = e - s;
		for (int k = 0; k < b->nnorm; k++) {
			const bpe_norm *st = &b->norm[k];
			if (st->kind == NORM_NFC)
				step_nfc(&a, &c);
			else if (st->kind == NORM_REPLACE)
				step_replace(st, &a, &c);
			else
				step_prepend(st, &a, &c);
			ntext t = a;
			a = c;
			c = t;
		}
		cur = a;
	}
	int rc = 0;
	pieces p1 = {0}, p2 = {0};
	pc_add(&p1, 0, cur.n);
	for (int k = 0; k < b->npre && rc == 0; k++) {
		rc = pre_step(&b->pre[k], cur.p, &p1, &p2, err, errlen);
		pieces t = p1;
		p1 = p2;
		p2 = t;
	}
	for (size_t k = 0; rc == 0 && k < p1.n; k += 2)
		encode_piece(b, &cur, p1.v[k], p1.v[k + 1], (uint32_t)s - 0, o);
	free(p1.v);
	free(p2.v);
	free(a.p);
	free(a.m);
	free(c.p);
	free(c.m);
	return rc;
}

/* ECMAScript's white space (String.prototype.trim), for lstrip/rstrip. */
static int js_space(uint32_t c)
{
	return c == 9 || c == 10 || c == 11 || c == 12 || c == 13 || c == 32 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000 || c == 0xfeff;
}

/* The longest added token at text[0..n), or -1: the contents hashed, one
 * look-up per distinct length, longest first. */
static int added_at(const fs_bpe *b, const char *t, size_t n)
{
	for (int L = 0; L < b->nalens; L++) {
		size_t len = b->alens[L];
		if (len > n)
			continue;
		for (size_t i = bpe_hash(t, len) & (b->acap - 1); b->ahash[i] >= 0; i = (i + 1) & (b->acap - 1)) {
			const bpe_added *a = &b->added[b->ahash[i]];
			if (a->n == len && memcmp(a->s, t, len) == 0)
				return b->ahash[i];
		}
	}
	return -1;
}

static int encode_valid(fs_bpe *b, const char *text, size_t n, tok_out *o, char *err, size_t errlen)
{
	if (b->legacy || !b->nadded)
		return encode_section(b, text, 0, n, o, err, errlen);
	size_t start = 0;
	for (size_t i = 0; i < n;) {
		int k = b->added_first[(uint8_t)text[i]] ? added_at(b, text + i, n - i) : -1;
		if (k < 0) {
			i++;
			continue;
		}
		const bpe_added *a = &b->added[k];
		size_t end = i;
		if (a->lstrip) {
			/* back over white space to start */
			while (end > start) {
				size_t q = end - 1;
				while (q > start && ((uint8_t)text[q] & 0xc0) == 0x80)
					q--;
				int l = utf8_len((const unsigned char *)text + q, end - q);
				if (l <= 0 || !js_space(utf8_decode((const unsigned char *)text + q, l)))
					break;
				end = q;
			}
		}
		if (encode_section(b, text, start, end, o, err, errlen) != 0)
			return -1;
		push(o, a->id, (uint32_t)i);
		i += a->n;
		if (a->rstrip)
			while (i < n) {
				int l = utf8_len((const unsigned char *)text + i, n - i);
				if (l <= 0 || !js_space(utf8_decode((const unsigned char *)text + i, l)))
					break;
				i += (size_t)l;
			}
		start = i;
	}
	return encode_section(b, text, start, n, o, err, errlen);
}

int bpe_encode(fs_bpe *b, const char *text, size_t n, int32_t **ids, uint32_t **offs, int64_t *count,
	       int64_t *cap, char *err, size_t errlen)
{
	if (n > UINT32_MAX)
		return fs_seterr(err, errlen, "text: longer than 4 GiB");
	for (size_t i = 0; i < n;) {
		int l = utf8_len((const unsigned char *)text + i, n - i);
		if (!l)
			return fs_seterr(err, errlen, "byte %zu: not UTF-8", i);
		i += (size_t)l;
	}
	tok_out o = {ids, offs, count, cap};
	return encode_valid(b, text, n, &o, err, errlen);
}

int bpe_encode_bytes(fs_bpe *b, const char *text, size_t n, int32_t **ids, uint32_t **offs, int64_t *count,
		     int64_t *cap, char *err, size_t errlen)
{
	if (n > UINT32_MAX)
		return fs_seterr(err, errlen, "text: longer than 4 GiB");
	tok_out o = {ids, offs, count, cap};
	for (size_t at = 0; at < n;) {
		size_t end = at;
		while (end < n) {
			int l = utf8_len((const unsigned char *)text + end, n - end);
			if (!l)
				break;
			end += (size_t)l;
		}
		if (end > at) {
			int64_t before = *count;
			if (encode_valid(b, text + at, end - at, &o, err, errlen) != 0)
				return -1;
			if (offs)
				for (int64_t k = before; k < *count; k++)
					(*offs)[k] += (uint32_t)at;
			at = end;
			continue;
		}
		int id = bpe_byte_token(b, (uint8_t)text[at]);
		if (id < 0)
			return fs_seterr(err, errlen, "byte %zu: not UTF-8, and the tokenizer has no token for it", at);
		push(&o, id, (uint32_t)at);
		at++;
	}
	return 0;
}

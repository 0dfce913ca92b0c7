/*
 * bpe.c: GPT-2 byte-level BPE (see bpe.h). Tokens are kept as raw bytes
 * (the byte-level alphabet undone at load), merges as a hash from a pair
 * of ids to (rank, merged id). A piece of text is encoded by starting from
 * one token per byte and merging, as GPT-2's encoder.py does, every
 * non-overlapping occurrence (left to right) of the lowest-ranked adjacent
 * pair until no pair has a rank; the pairs wait in a heap by rank
 * (merge_piece), so a long piece (CJK text without spaces is one) costs
 * O(n log n), not O(n) per merge applied. Encoded pieces are cached.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/bpe.h"
#include "core/tokens.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ECMAScript's \s (the reference encoder is JavaScript): */
#define WS "\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"
static const char bpe_pattern[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

#define CACHE_SLOTS 65536   /* piece cache entries (power of two) */
#define CACHE_MAXLEN 64     /* longest piece cached, bytes */

/* One cached piece: its bytes and tokens. */
typedef struct {
	uint64_t h;         /* hash of the bytes, 0 when empty */
	char *s;            /* the bytes */
	uint32_t n;         /* byte count */
	int32_t *ids;       /* tokens */
	uint32_t *lens;     /* their byte lengths */
	uint32_t nids;      /* token count */
} cache_ent;

/* A merge: the pair (a, b) becomes id at rank. */
typedef struct {
	uint64_t key;       /* a << 32 | b, plus 1 so 0 means empty */
	int32_t rank;       /* position in the merge list */
	int32_t id;         /* the merged token */
} merge_ent;

/* A vocabulary entry in the bytes -> id hash. */
typedef struct {
	uint64_t h;         /* hash of the bytes, 0 when empty */
	int32_t id;         /* token id */
} vocab_slot;

/* A candidate merge: the pair whose left token is at pos, of rank rank. */
typedef struct {
	int32_t rank;       /* the pair's merge rank when pushed */
	uint32_t pos;       /* byte position of its left token in the piece */
} bpe_cand;

struct fs_bpe {
	char *name;             /* file for messages */
	int n;                  /* ids 0..n-1 */
	uint8_t **tok;          /* raw bytes by id (NULL: no token) */
	uint32_t *len;          /* their lengths */
	vocab_slot *vs;         /* bytes -> id, open addressing */
	size_t vcap;            /* slots (power of two) */
	merge_ent *ms;          /* pair -> merge, open addressing */
	size_t mcap;            /* slots (power of two) */
	int32_t byte_id[256];   /* the token of each single byte (-1 none) */
	int eot;                /* "<|endoftext|>" or -1 */
	pcre2_code *re;         /* the pre-split pattern */
	pcre2_match_data *md;   /* its match data */
	int jit;                /* re is JIT-compiled */
	cache_ent *cache;       /* encoded pieces */
	int32_t *w;             /* scratch: tokens of the piece being merged */
	uint32_t *wl;           /* scratch: their byte lengths */
	size_t wcap;            /* scratch entries */
	int32_t *nx, *pv;       /* scratch: next and previous token of each position (-1 none) */
	uint32_t *round;        /* scratch: the positions of one merge round */
	bpe_cand *heap;         /* scratch: candidate merges */
	size_t nh, hcap;        /* candidates in the heap, room */
	uint64_t lookups;       /* pair lookups made while encoding (bpe_lookups) */
};

static uint64_t hash_bytes(const void *p, size_t n)
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

static int vocab_find(const fs_bpe *b, const void *s, size_t n)
{
	if (!b->vcap)
		return -1;
	uint64_t h = hash_bytes(s, n);
	for (size_t i = h & (b->vcap - 1);; i = (i + 1) & (b->vcap - 1)) {
		const vocab_slot *v = &b->vs[i];
		if (!v->h)
			return -1;
		if (v->h == h && b->len[v->id] == n && memcmp(b->tok[v->id], s, n) == 0)
			return v->id;
	}
}

static void vocab_insert(fs_bpe *b, int id)
{
	uint64_t h = hash_bytes(b->tok[id], b->len[id]);
	size_t i = h & (b->vcap - 1);
	while (b->vs[i].h)
		i = (i + 1) & (b->vcap - 1);
	b->vs[i].h = h;
	b->vs[i].id = id;
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

/* Add a merge unless the pair has one already (the first rank wins, as in
 * a dict built from the list). */
static void merge_add(fs_bpe *b, int32_t x, int32_t y, int32_t rank, int32_t id)
{
	uint64_t key = (((uint64_t)(uint32_t)x << 32) | (uint32_t)y) + 1;
	size_t i = mix64(key) & (b->mcap - 1);
	while (b->ms[i].key) {
		if (b->ms[i].key == key) {
			/* a later duplicate overrides, as Python's dict(zip(...)) does */
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

void bpe_free(fs_bpe *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++)
		free(b->tok[i]);
	free(b->tok);
	free(b->len);
	free(b->vs);
	free(b->ms);
	if (b->cache) {
		for (size_t i = 0; i < CACHE_SLOTS; i++) {
			free(b->cache[i].s);
			free(b->cache[i].ids);
			free(b->cache[i].lens);
		}
		free(b->cache);
	}
	if (b->md)
		pcre2_match_data_free(b->md);
	if (b->re)
		pcre2_code_free(b->re);
	free(b->w);
	free(b->wl);
	free(b->nx);
	free(b->pv);
	free(b->round);
	free(b->heap);
	free(b->name);
	free(b);
}

/* A token string in the byte-level alphabet to raw bytes; -1 when a
 * character is outside the alphabet or the string is not UTF-8. */
static int unbytelevel(const char *s, size_t n, fs_buf *out)
{
	out->len = 0;
	for (size_t i = 0; i < n;) {
		int l = utf8_len((const unsigned char *)s + i, n - i);
		if (!l)
			return -1;
		int byte = tok_bl_byte(utf8_decode((const unsigned char *)s + i, l));
		if (byte < 0)
			return -1;
		buf_addc(out, (char)byte);
		i += (size_t)l;
	}
	return 0;
}

static size_t pow2_above(size_t n)
{
	size_t c = 16;
	while (c < n * 2)
		c <<= 1;
	return c;
}

/* The vocabulary from a JSON object token -> id. */
static int load_vocab(fs_bpe *b, json_t *obj, const char *where, char *err, size_t errlen)
{
	if (!json_is_object(obj))
		return fs_seterr(err, errlen, "%s: vocab: not a JSON object of token -> id", where);
	size_t count = json_object_size(obj);
	if (count == 0)
		return fs_seterr(err, errlen, "%s: vocab: empty", where);
	if (count > (1u << 24))
		return fs_seterr(err, errlen, "%s: vocab: %zu tokens, more than %u", where, count, 1u << 24);
	int64_t maxid = -1;
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val) {
		if (!json_is_integer(val) || json_integer_value(val) < 0 ||
		    json_integer_value(val) >= (json_int_t)count * 2 + 1024)
			return fs_seterr(err, errlen, "%s: vocab: token id is not an integer in 0..%zu",
					 where, count * 2 + 1023);
		if (json_integer_value(val) > maxid)
			maxid = json_integer_value(val);
	}
	b->n = (int)maxid + 1;
	b->tok = xcalloc((size_t)b->n, sizeof *b->tok);
	b->len = xcalloc((size_t)b->n, sizeof *b->len);
	b->vcap = pow2_above(count);
	b->vs = xcalloc(b->vcap, sizeof *b->vs);
	fs_buf raw = {0};
	int rc = 0;
	json_object_foreach(obj, key, val) {
		int id = (int)json_integer_value(val);
		size_t klen = strlen(key);
		if (b->tok[id]) {
			rc = fs_seterr(err, errlen, "%s: vocab: id %d given to two tokens", where, id);
			break;
		}
		if (unbytelevel(key, klen, &raw) != 0) {
			/* added tokens spelled outside the alphabet: kept as text */
			raw.len = 0;
			buf_add(&raw, key, klen);
		}
		if (vocab_find(b, raw.p ? raw.p : "", raw.len) >= 0) {
			/* the same bytes twice (an added token equal to a byte-level
			 * spelling): the first id keeps the bytes -> id entry */
			b->tok[id] = xmalloc(raw.len + 1);
			memcpy(b->tok[id], raw.p ? raw.p : "", raw.len);
			b->len[id] = (uint32_t)raw.len;
			continue;
		}
		b->tok[id] = xmalloc(raw.len + 1);
		memcpy(b->tok[id], raw.p ? raw.p : "", raw.len);
		b->len[id] = (uint32_t)raw.len;
		vocab_insert(b, id);
	}
	buf_free(&raw);
	if (rc)
		return rc;
	for (int c = 0; c < 256; c++) {
		uint8_t ch = (uint8_t)c;
		b->byte_id[c] = vocab_find(b, &ch, 1);
	}
	b->eot = vocab_find(b, "<|endoftext|>", 13);
	return 0;
}

static void merges_alloc(fs_bpe *b, size_t count)
{
	b->mcap = pow2_above(count ? count : 1);
	b->ms = xcalloc(b->mcap, sizeof *b->ms);
}

/* One merge "A B" (token strings in the byte-level alphabet). */
static int add_merge(fs_bpe *b, const char *a, size_t alen, const char *c, size_t clen, int32_t rank,
		     const char *where, char *err, size_t errlen)
{
	fs_buf ra = {0}, rb = {0};
	int rc = 0;
	if (unbytelevel(a, alen, &ra) != 0 || unbytelevel(c, clen, &rb) != 0) {
		rc = fs_seterr(err, errlen, "%s: merge %d: a token outside the byte-level alphabet", where,
			       rank + 1);
		goto out;
	}
	int x = vocab_find(b, ra.p ? ra.p : "", ra.len), y = vocab_find(b, rb.p ? rb.p : "", rb.len);
	buf_add(&ra, rb.p ? rb.p : "", rb.len);
	int z = vocab_find(b, ra.p ? ra.p : "", ra.len);
	if (x < 0 || y < 0 || z < 0) {
		rc = fs_seterr(err, errlen, "%s: merge %d: %s not in the vocabulary", where, rank + 1,
			       x < 0 ? "its first token is" : y < 0 ? "its second token is" : "the merged token is");
		goto out;
	}
	merge_add(b, x, y, rank, z);
out:
	buf_free(&ra);
	buf_free(&rb);
	return rc;
}

/* merges.txt: an optional "#version" line, then "A B" a line. */
static int load_merges_text(fs_bpe *b, const char *where, const char *s, size_t n, char *err,
			    size_t errlen)
{
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	merges_alloc(b, lines);
	int32_t rank = 0;
	int64_t lineno = 0;
	for (size_t at = 0; at < n;) {
		const char *e = memchr(s + at, '\n', n - at);
		size_t l = e ? (size_t)(e - (s + at)) : n - at;
		const char *line = s + at;
		at += l + 1;
		lineno++;
		if (l && line[l - 1] == '\r')
			l--;
		if (l == 0 || (lineno == 1 && l >= 8 && memcmp(line, "#version", 8) == 0))
			continue;
		const char *sp = memchr(line, ' ', l);
		if (!sp || sp == line || sp + 1 == line + l || memchr(sp + 1, ' ', (size_t)(line + l - sp - 1)))
			return fs_seterr(err, errlen, "%s:%lld: merge: expected two tokens separated by one space",
					 where, (long long)lineno);
		char w[600];
		snprintf(w, sizeof w, "%s:%lld", where, (long long)lineno);
		if (add_merge(b, line, (size_t)(sp - line), sp + 1, (size_t)(line + l - sp - 1), rank, w, err,
			      errlen) != 0)
			return -1;
		rank++;
	}
	return 0;
}

static int finish_load(fs_bpe *b, char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE eo;
	b->re = pcre2_compile((PCRE2_SPTR)bpe_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo,
			      NULL);
	if (!b->re)
		return fs_seterr(err, errlen, "tokenizer pattern: PCRE2 error %d at %zu", ec, (size_t)eo);
	b->jit = pcre2_jit_compile(b->re, PCRE2_JIT_COMPLETE) == 0;
	b->md = pcre2_match_data_create_from_pattern(b->re, NULL);
	b->cache = xcalloc(CACHE_SLOTS, sizeof *b->cache);
	for (int c = 0; c < 256; c++)
		if (b->byte_id[c] < 0)
			return fs_seterr(err, errlen, "%s: vocab: no token for byte 0x%02x (not a byte-level BPE vocabulary)",
					 b->name, c);
	return 0;
}

fs_bpe *bpe_load_mem(const char *name, const char *vocab_json, size_t vlen, const char *merges,
		     size_t mlen, char *err, size_t errlen)
{
	fs_bpe *b = xcalloc(1, sizeof *b);
	b->name = xstrdup(name);
	b->eot = -1;
	json_error_t je;
	json_t *root = json_loadb(vocab_json, vlen, 0, &je);
	if (!root) {
		fs_seterr(err, errlen, "%s:%d: bad JSON: %s", name, je.line, fs_msg_clean(je.text));
		goto bad;
	}
	int rc = load_vocab(b, root, name, err, errlen);
	json_decref(root);
	if (rc != 0)
		goto bad;
	char where[512];
	snprintf(where, sizeof where, "%s (merges)", name);
	if (load_merges_text(b, where, merges, mlen, err, errlen) != 0 || finish_load(b, err, errlen) != 0)
		goto bad;
	return b;
bad:
	bpe_free(b);
	return NULL;
}

fs_bpe *bpe_load_tokenizer_mem(const char *name, const char *json, size_t len, char *err, size_t errlen)
{
	fs_bpe *b = xcalloc(1, sizeof *b);
	b->name = xstrdup(name);
	b->eot = -1;
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!root) {
		fs_seterr(err, errlen, "%s:%d: bad JSON: %s", name, je.line, fs_msg_clean(je.text));
		goto bad;
	}
	json_t *model = json_object_get(root, "model");
	json_t *type = json_object_get(model, "type");
	if (!json_is_object(model) || (type && (!json_is_string(type) || strcmp(json_string_value(type), "BPE")))) {
		fs_seterr(err, errlen, "%s: model.type: not a BPE tokenizer (GPT-2 byte-level BPE is supported)", name);
		json_decref(root);
		goto bad;
	}
	if (load_vocab(b, json_object_get(model, "vocab"), name, err, errlen) != 0) {
		json_decref(root);
		goto bad;
	}
	/* added tokens (<|endoftext|>) may be listed only there */
	json_t *added = json_object_get(root, "added_tokens");
	size_t ai;
	json_t *at;
	json_array_foreach(added, ai, at) {
		json_t *id = json_object_get(at, "id"), *content = json_object_get(at, "content");
		if (json_is_integer(id) && json_is_string(content) &&
		    !strcmp(json_string_value(content), "<|endoftext|>") && json_integer_value(id) >= 0 &&
		    json_integer_value(id) < b->n)
			b->eot = (int)json_integer_value(id);
	}
	json_t *merges = json_object_get(model, "merges");
	if (!json_is_array(merges)) {
		fs_seterr(err, errlen, "%s: model.merges: missing or not an array", name);
		json_decref(root);
		goto bad;
	}
	merges_alloc(b, json_array_size(merges));
	size_t i;
	json_t *m;
	json_array_foreach(merges, i, m) {
		char where[600];
		snprintf(where, sizeof where, "%s: model.merges[%zu]", name, i);
		const char *a = NULL, *c = NULL;
		size_t al = 0, cl = 0;
		if (json_is_string(m)) {
			/* "A B" */
			const char *s = json_string_value(m), *sp = strchr(s, ' ');
			if (sp && sp != s && sp[1] && !strchr(sp + 1, ' ')) {
				a = s;
				al = (size_t)(sp - s);
				c = sp + 1;
				cl = strlen(c);
			}
		} else if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
			   json_is_string(json_array_get(m, 1))) {
			/* ["A", "B"] (tokenizers >= 0.20) */
			a = json_string_value(json_array_get(m, 0));
			al = json_string_length(json_array_get(m, 0));
			c = json_string_value(json_array_get(m, 1));
			cl = json_string_length(json_array_get(m, 1));
		}
		if (!a) {
			fs_seterr(err, errlen, "%s: expected \"A B\" or [\"A\", \"B\"]", where);
			json_decref(root);
			goto bad;
		}
		if (add_merge(b, a, al, c, cl, (int32_t)i, where, err, errlen) != 0) {
			json_decref(root);
			goto bad;
		}
	}
	json_decref(root);
	if (finish_load(b, err, errlen) != 0)
		goto bad;
	return b;
bad:
	bpe_free(b);
	return NULL;
}

/* Tokenizer files are tens of MB at most. */
#define BPE_MAX_FILE ((size_t)512 << 20)

fs_bpe *bpe_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	size_t vn, mn;
	char *v = fs_read_file(vocab_json, BPE_MAX_FILE, &vn, err, errlen);
	if (!v)
		return NULL;
	char *m = fs_read_file(merges_txt, BPE_MAX_FILE, &mn, err, errlen);
	if (!m) {
		free(v);
		return NULL;
	}
	char e[768];
	fs_bpe *b = bpe_load_mem(vocab_json, v, vn, m, mn, e, sizeof e);
	if (!b) {
		/* merge errors are about the merges file */
		const char *tag = strstr(e, " (merges)");
		if (tag)
			fs_seterr(err, errlen, "%s%s", merges_txt, tag + 9);
		else
			fs_seterr(err, errlen, "%s", e);
	}
	free(v);
	free(m);
	return b;
}

fs_bpe *bpe_load_tokenizer_json(const char *path, char *err, size_t errlen)
{
	size_t n;
	char *s = fs_read_file(path, BPE_MAX_FILE, &n, err, errlen);
	if (!s)
		return NULL;
	fs_bpe *b = bpe_load_tokenizer_mem(path, s, n, err, errlen);
	free(s);
	return b;
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

fs_bpe *bpe_load_dir(const char *dir, char *err, size_t errlen)
{
	char *tj = xasprintf("%s/tokenizer.json", dir);
	char *vj = xasprintf("%s/vocab.json", dir), *mt = xasprintf("%s/merges.txt", dir);
	char *ej = xasprintf("%s/encoder.json", dir), *vb = xasprintf("%s/vocab.bpe", dir);
	fs_bpe *b = NULL;
	if (exists(vj) && exists(mt))
		b = bpe_load_files(vj, mt, err, errlen);
	else if (exists(tj))
		b = bpe_load_tokenizer_json(tj, err, errlen);
	else if (exists(ej) && exists(vb))
		b = bpe_load_files(ej, vb, err, errlen);
	else
		fs_seterr(err, errlen, "%s: no tokenizer (vocab.json + merges.txt or tokenizer.json)", dir);
	free(tj);
	free(vj);
	free(mt);
	free(ej);
	free(vb);
	return b;
}

int bpe_vocab_size(const fs_bpe *b)
{
	return b->n;
}

int bpe_eot(const fs_bpe *b)
{
	return b->eot;
}

const uint8_t *bpe_token_bytes(const fs_bpe *b, int id, size_t *len)
{
	if (id < 0 || id >= b->n || !b->tok[id])
		return NULL;
	*len = b->len[id];
	return b->tok[id];
}

uint64_t bpe_lookups(const fs_bpe *b)
{
	return b->lookups;
}

int bpe_decode(const fs_bpe *b, const int32_t *ids, int64_t n, fs_buf *out, char *err, size_t errlen)
{
	for (int64_t i = 0; i < n; i++) {
		size_t l;
		const uint8_t *t = bpe_token_bytes(b, ids[i], &l);
		if (!t)
			return fs_seterr(err, errlen, "token %lld: id %d is not in the vocabulary", (long long)i,
					 (int)ids[i]);
		buf_add(out, t, l);
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
	if (j < 0)
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

/* BPE of one piece into b->w / b->wl; returns the token count.
 *
 * GPT-2's rule, in rounds: the lowest-ranked pair present is merged at
 * every occurrence, left to right without overlaps, then the next round
 * looks again. The tokens are a linked list over the byte positions (a
 * token lives at the position of its first byte) and every pair that has
 * a merge is a candidate (rank, position) in a heap, pushed when the pair
 * comes to be; a candidate whose pair has changed since is stale and is
 * dropped when it comes up. A round takes the smallest valid candidate's
 * rank r, then every candidate of rank r (all the occurrences of that one
 * pair, leftmost first), merging each whose pair is still there; pairs
 * the round makes wait in the heap for the next round, as in the rule.
 * Each merge costs O(log n), so a piece of n bytes costs O(n log n)
 * whatever the number of merges it applies (the rule as written costs
 * O(n) a round). */
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
	for (size_t i = 0; i < n; i++) {
		w[i] = b->byte_id[s[i]];
		wl[i] = 1;
		nx[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
		pv[i] = (int32_t)i - 1;
	}
	b->nh = 0;
	for (size_t i = 0; i + 1 < n; i++)
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
		k++;
	}
	return k;
}

static void push(int32_t **ids, uint32_t **offs, int64_t *count, int64_t *cap, int32_t id, uint32_t off)
{
	if (*count == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*ids = xrealloc(*ids, sizeof **ids * (size_t)*cap);
		if (offs)
			*offs = xrealloc(*offs, sizeof **offs * (size_t)*cap);
	}
	(*ids)[*count] = id;
	if (offs)
		(*offs)[*count] = off;
	(*count)++;
}

static void encode_piece(fs_bpe *b, const char *s, size_t n, uint32_t base, int32_t **ids, uint32_t **offs,
			 int64_t *count, int64_t *cap)
{
	cache_ent *c = NULL;
	if (n <= CACHE_MAXLEN) {
		uint64_t h = hash_bytes(s, n);
		c = &b->cache[h & (CACHE_SLOTS - 1)];
		if (c->h == h && c->n == n && memcmp(c->s, s, n) == 0) {
			uint32_t at = base;
			for (uint32_t i = 0; i < c->nids; i++) {
				push(ids, offs, count, cap, c->ids[i], at);
				at += c->lens[i];
			}
			return;
		}
		free(c->s);
		free(c->ids);
		free(c->lens);
		c->h = h;
		c->n = (uint32_t)n;
		c->s = xmalloc(n);
		memcpy(c->s, s, n);
	}
	size_t k = merge_piece(b, (const uint8_t *)s, n);
	uint32_t at = base;
	for (size_t i = 0; i < k; i++) {
		push(ids, offs, count, cap, b->w[i], at);
		at += b->wl[i];
	}
	if (c) {
		c->nids = (uint32_t)k;
		c->ids = xmalloc(sizeof *c->ids * (k ? k : 1));
		c->lens = xmalloc(sizeof *c->lens * (k ? k : 1));
		memcpy(c->ids, b->w, sizeof *c->ids * k);
		memcpy(c->lens, b->wl, sizeof *c->lens * k);
	}
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
	size_t pos = 0;
	while (pos < n) {
		int rc = b->jit ? pcre2_jit_match(b->re, (PCRE2_SPTR)text, n, pos, PCRE2_NO_UTF_CHECK, b->md, NULL)
				: pcre2_match(b->re, (PCRE2_SPTR)text, n, pos, PCRE2_NO_UTF_CHECK, b->md, NULL);
		if (rc < 0) {
			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			return fs_seterr(err, errlen, "byte %zu: tokenizer pattern: PCRE2 error %d", pos, rc);
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(b->md);
		size_t s = ov[0], e = ov[1];
		if (e <= s) {
			/* cannot happen (every alternative consumes); stay safe */
			int l = utf8_len((const unsigned char *)text + pos, n - pos);
			encode_piece(b, text + pos, (size_t)l, (uint32_t)pos, ids, offs, count, cap);
			pos += (size_t)l;
			continue;
		}
		if (s > pos) /* unmatched bytes (none with this pattern) */
			encode_piece(b, text + pos, s - pos, (uint32_t)pos, ids, offs, count, cap);
		encode_piece(b, text + s, e - s, (uint32_t)s, ids, offs, count, cap);
		pos = e;
	}
	return 0;
}

/*
 * bpe_json.c: reading a tokenizer (see bpe.h): GPT-2's vocab.json +
 * merges.txt, or a Hugging Face tokenizer.json (model BPE; its normalizer,
 * pre_tokenizer, added_tokens, decoder and post_processor) with the
 * tokenizer_config.json beside it (bos_token, eos_token, add_bos_token).
 * What the files name is checked (ids in range, merges of known tokens);
 * what the engine cannot do exactly is refused with the file and field.
 * Also the accessors of what a loaded tokenizer holds (sizes, BOS, EOS,
 * token bytes).
 */
#include "tok/bpe_int.h"
#include "tok/tokens.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* A vocabulary string to its key: raw bytes for byte-level BPE (a string
 * outside the alphabet, an added token, is kept as text), else itself. */
static void to_key(const fs_bpe *b, const char *s, size_t n, fs_buf *out)
{
	if (b->bytelevel && unbytelevel(s, n, out) == 0)
		return;
	out->len = 0;
	buf_add(out, s, n);
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = xmalloc(n + 1);
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

/* Room for ids 0..n-1. */
static void grow_ids(fs_bpe *b, int n)
{
	if (n <= b->n)
		return;
	b->key = xrealloc(b->key, sizeof *b->key * (size_t)n);
	b->klen = xrealloc(b->klen, sizeof *b->klen * (size_t)n);
	b->tok = xrealloc(b->tok, sizeof *b->tok * (size_t)n);
	b->len = xrealloc(b->len, sizeof *b->len * (size_t)n);
	for (int i = b->n; i < n; i++) {
		b->key[i] = NULL;
		b->tok[i] = NULL;
		b->klen[i] = b->len[i] = 0;
	}
	b->n = n;
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
	grow_ids(b, (int)maxid + 1);
	free(b->vs);
	b->vcap = 16;
	while (b->vcap < count * 2 + 2)
		b->vcap <<= 1;
	b->vs = xcalloc(b->vcap, sizeof *b->vs);
	b->vused = 0;
	fs_buf raw = {0};
	int rc = 0;
	json_object_foreach(obj, key, val) {
		int id = (int)json_integer_value(val);
		if (b->key[id]) {
			rc = fs_seterr(err, errlen, "%s: vocab: id %d given to two tokens", where, id);
			break;
		}
		to_key(b, key, strlen(key), &raw);
		b->key[id] = dup_bytes(raw.p, raw.len);
		b->klen[id] = (uint32_t)raw.len;
		/* the same key twice (an added token equal to a byte-level
		 * spelling): the first id keeps the key -> id entry */
		bpe_vocab_set(b, id, 0);
	}
	buf_free(&raw);
	return rc;
}

/* A vocabulary string as a key into buf (room for n bytes: byte-level
 * keys are never longer); its length, or -1 outside the byte-level
 * alphabet. */
static long key_into(const fs_bpe *b, const char *s, size_t n, char *buf)
{
	if (!b->bytelevel) {
		memcpy(buf, s, n);
		return (long)n;
	}
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int l = utf8_len((const unsigned char *)s + i, n - i);
		int byte = l ? tok_bl_byte(utf8_decode((const unsigned char *)s + i, l)) : -1;
		if (byte < 0)
			return -1;
		buf[o++] = (char)byte;
		i += (size_t)l;
	}
	return (long)o;
}

/* One merge "A B" (vocabulary strings). */
static int add_merge(fs_bpe *b, const char *a, size_t alen, const char *c, size_t clen, int32_t rank,
		     const char *where, char *err, size_t errlen)
{
	char stack[512], *buf = alen + clen <= sizeof stack ? stack : xmalloc(alen + clen);
	int rc = 0;
	long la = key_into(b, a, alen, buf), lc = la < 0 ? -1 : key_into(b, c, clen, buf + la);
	if (la < 0 || lc < 0) {
		rc = fs_seterr(err, errlen, "%s: merge %d: a token outside the byte-level alphabet", where,
			       rank + 1);
		goto out;
	}
	int x = bpe_vocab_find(b, buf, (size_t)la), y = bpe_vocab_find(b, buf + la, (size_t)lc);
	int z = x < 0 || y < 0 ? -1 : bpe_vocab_find(b, buf, (size_t)(la + lc));
	if (x < 0 || y < 0 || z < 0) {
		rc = fs_seterr(err, errlen, "%s: merge %d: %s not in the vocabulary", where, rank + 1,
			       x < 0 ? "its first token is" : y < 0 ? "its second token is" : "the merged token is");
		goto out;
	}
	bpe_merge_add(b, x, y, rank, z);
out:
	if (buf != stack)
		free(buf);
	return rc;
}

/* merges.txt: an optional "#version" line, then "A B" a line. */
static int load_merges_text(fs_bpe *b, const char *where, const char *s, size_t n, char *err,
			    size_t errlen)
{
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	bpe_merges_alloc(b, lines);
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

/* The ids of the single bytes, the decoded bytes of every token. */
static int finish_bytes(fs_bpe *b, char *err, size_t errlen)
{
	for (int c = 0; c < 256; c++) {
		uint8_t ch = (uint8_t)c;
		char fb[8];
		snprintf(fb, sizeof fb, "<0x%02X>", c);
		b->byte_id[c] = b->bytelevel ? bpe_vocab_find(b, &ch, 1) : -1;
		b->fb_id[c] = b->byte_fallback ? bpe_vocab_find(b, fb, 6) : -1;
		if (b->bytelevel && b->byte_id[c] < 0)
			return fs_seterr(err, errlen, "%s: vocab: no token for byte 0x%02x (not a byte-level BPE vocabulary)",
					 b->name, c);
	}
	if (b->eot < 0)
		b->eot = bpe_vocab_find(b, "<|endoftext|>", 13);
	return 0;
}

static fs_bpe *bpe_new(const char *name)
{
	fs_bpe *b = xcalloc(1, sizeof *b);
	b->name = xstrdup(name);
	b->eot = b->bos = b->eos = b->unk = -1;
	return b;
}

/* Byte-level keys are the decoded bytes; GPT-2's split pattern. */
static int gpt2_defaults(fs_bpe *b, char *err, size_t errlen)
{
	b->legacy = b->gpt2_shape = 1;
	b->pre = xcalloc(1, sizeof *b->pre);
	b->npre = 1;
	b->pre[0].beh = BEH_ISOLATED;
	return bpe_pre_regex(&b->pre[0], bpe_gpt2_pattern, "tokenizer pattern", err, errlen);
}

static void share_keys(fs_bpe *b)
{
	for (int i = 0; i < b->n; i++) {
		b->tok[i] = b->key[i];
		b->len[i] = b->klen[i];
	}
}

fs_bpe *bpe_load_mem(const char *name, const char *vocab_json, size_t vlen, const char *merges,
		     size_t mlen, char *err, size_t errlen)
{
	fs_bpe *b = bpe_new(name);
	b->bytelevel = 1;
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
	if (load_merges_text(b, where, merges, mlen, err, errlen) != 0 || finish_bytes(b, err, errlen) != 0 ||
	    gpt2_defaults(b, err, errlen) != 0)
		goto bad;
	share_keys(b);
	bpe_ready(b);
	return b;
bad:
	bpe_free(b);
	return NULL;
}

/* ------------------------------------------------------ tokenizer.json */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A boolean field, absent (or null) meaning def; -1 when it is neither. */
static int jbool(json_t *o, const char *k, int def)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return def;
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* {"String": s} or {"Regex": s}: 1 string, 2 regex, 0 neither. */
static int jpattern(json_t *o, const char **s)
{
	json_t *p = json_object_get(o, "pattern");
	if ((*s = jstr(p, "String")))
		return 1;
	if ((*s = jstr(p, "Regex")))
		return 2;
	return 0;
}

/* One step of a tokenizer.json pipeline (normalizer, pre_tokenizer,
 * decoder, post_processor): node n of type `type`, at `field` in messages;
 * ctx is the step's own state. */
typedef int (*step_fn)(fs_bpe *b, json_t *n, const char *type, const char *field, void *ctx, char *err,
		       size_t errlen);

/* A pipeline's node: nothing when null, a Sequence's items (under the key
 * `list`, nested sequences too) in order, any other type through fn. */
static int walk_steps(fs_bpe *b, json_t *n, const char *field, const char *list, step_fn fn, void *ctx, char *err,
		      size_t errlen)
{
	if (!n || json_is_null(n))
		return 0;
	const char *type = jstr(n, "type");
	if (!type)
		return fs_seterr(err, errlen, "%s: %s.type: missing", b->name, field);
	if (strcmp(type, "Sequence") != 0)
		return fn(b, n, type, field, ctx, err, errlen);
	json_t *items = json_object_get(n, list);
	if (!json_is_array(items))
		return fs_seterr(err, errlen, "%s: %s.%s: not an array", b->name, field, list);
	size_t i;
	json_t *x;
	json_array_foreach(items, i, x) {
		char f[200];
		snprintf(f, sizeof f, "%s.%s[%zu]", field, list, i);
		if (walk_steps(b, x, f, list, fn, ctx, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int parse_normalizer(fs_bpe *b, json_t *n, const char *type, const char *field, void *ctx, char *err,
			size_t errlen)
{
	(void)ctx;
	bpe_norm st = {0};
	if (!strcmp(type, "NFC")) {
		st.kind = NORM_NFC;
	} else if (!strcmp(type, "Replace")) {
		const char *pat, *content = jstr(n, "content");
		if (jpattern(n, &pat) != 1 || !*pat || !content)
			return fs_seterr(err, errlen, "%s: %s: only a Replace of a String pattern by a string is supported",
					 b->name, field);
		st.kind = NORM_REPLACE;
		st.plen = strlen(pat);
		st.pat = (char *)dup_bytes(pat, st.plen);
		st.rlen = strlen(content);
		st.rep = (char *)dup_bytes(content, st.rlen);
	} else if (!strcmp(type, "Prepend")) {
		const char *pre = jstr(n, "prepend");
		if (!pre)
			return fs_seterr(err, errlen, "%s: %s.prepend: missing or not a string", b->name, field);
		st.kind = NORM_PREPEND;
		st.rlen = strlen(pre);
		st.rep = (char *)dup_bytes(pre, st.rlen);
	} else {
		char t[64];
		snprintf(t, sizeof t, "%s", type);
		return fs_seterr(err, errlen, "%s: %s.type: %s is not supported (NFC, Replace, Prepend, Sequence)",
				 b->name, field, fs_msg_clean(t));
	}
	b->norm = xrealloc(b->norm, sizeof *b->norm * (size_t)(b->nnorm + 1));
	b->norm[b->nnorm++] = st;
	return 0;
}

static bpe_pre *pre_new(fs_bpe *b)
{
	b->pre = xrealloc(b->pre, sizeof *b->pre * (size_t)(b->npre + 1));
	bpe_pre *p = &b->pre[b->npre++];
	memset(p, 0, sizeof *p);
	return p;
}

static int parse_pre(fs_bpe *b, json_t *n, const char *type, const char *field, void *ctx, char *err,
			size_t errlen)
{
	(void)ctx;
	char f[200];
	if (!strcmp(type, "ByteLevel")) {
		int aps = jbool(n, "add_prefix_space", 0), re = jbool(n, "use_regex", 1);
		if (aps != 0)
			return fs_seterr(err, errlen, "%s: %s.add_prefix_space: only false is supported", b->name, field);
		if (re < 0)
			return fs_seterr(err, errlen, "%s: %s.use_regex: not a boolean", b->name, field);
		b->bytelevel = 1;
		if (re) {
			bpe_pre *p = pre_new(b);
			p->beh = BEH_ISOLATED;
			snprintf(f, sizeof f, "%s: %s", b->name, field);
			return bpe_pre_regex(p, bpe_gpt2_pattern, f, err, errlen);
		}
		return 0;
	}
	if (!strcmp(type, "Split")) {
		static const char *const behs[] = {"Isolated", "Removed", "MergedWithPrevious", "MergedWithNext",
						   "Contiguous"};
		const char *pat, *beh = jstr(n, "behavior");
		int kind = jpattern(n, &pat), inv = jbool(n, "invert", 0), bi = -1;
		for (int i = 0; beh && i < 5; i++)
			if (!strcmp(beh, behs[i]))
				bi = i;
		if (!kind)
			return fs_seterr(err, errlen, "%s: %s.pattern: not {\"String\": ...} or {\"Regex\": ...}", b->name,
					 field);
		if (bi < 0)
			return fs_seterr(err, errlen, "%s: %s.behavior: not one of Isolated, Removed, MergedWithPrevious, "
					 "MergedWithNext, Contiguous", b->name, field);
		if (inv != 0)
			return fs_seterr(err, errlen, "%s: %s.invert: only false is supported", b->name, field);
		bpe_pre *p = pre_new(b);
		p->beh = bi;
		if (kind == 1) {
			if (!*pat)
				return fs_seterr(err, errlen, "%s: %s.pattern: empty", b->name, field);
			p->llen = strlen(pat);
			p->lit = (char *)dup_bytes(pat, p->llen);
			return 0;
		}
		snprintf(f, sizeof f, "%s: %s.pattern", b->name, field);
		return bpe_pre_regex(p, pat, f, err, errlen);
	}
	char t[64];
	snprintf(t, sizeof t, "%s", type);
	return fs_seterr(err, errlen, "%s: %s.type: %s is not supported (ByteLevel, Split, Sequence)", b->name, field,
			 fs_msg_clean(t));
}

/* The decoder: what it does to one token is folded into the token's bytes
 * (rep_from -> rep_to); Strip is kept for bpe_decode. */
typedef struct {
	int bytelevel, byte_fallback;
	const char *rep_from, *rep_to;
} dec_info;

static int parse_decoder(fs_bpe *b, json_t *n, const char *type, const char *field, void *ctx, char *err,
			size_t errlen)
{
	dec_info *d = ctx;
	if (!strcmp(type, "ByteLevel")) {
		d->bytelevel = 1;
	} else if (!strcmp(type, "ByteFallback")) {
		d->byte_fallback = 1;
	} else if (!strcmp(type, "Fuse")) {
		/* joining the strings: nothing per token */
	} else if (!strcmp(type, "Replace")) {
		const char *pat, *content = jstr(n, "content");
		if (jpattern(n, &pat) != 1 || !*pat || !content || d->rep_from)
			return fs_seterr(err, errlen, "%s: %s: only one Replace of a String pattern by a string is supported",
					 b->name, field);
		d->rep_from = pat;
		d->rep_to = content;
	} else if (!strcmp(type, "Strip")) {
		const char *content = jstr(n, "content");
		json_t *start = json_object_get(n, "start"), *stop = json_object_get(n, "stop");
		if (!content || !json_is_integer(start) || json_integer_value(start) < 0 ||
		    json_integer_value(start) > 16 || !json_is_integer(stop) || json_integer_value(stop) != 0)
			return fs_seterr(err, errlen, "%s: %s: only Strip of a string from the start (start 0..16, stop 0) is supported",
					 b->name, field);
		free(b->strip);
		b->striplen = strlen(content);
		b->strip = (char *)dup_bytes(content, b->striplen);
		b->strip_n = (int)json_integer_value(start);
	} else {
		char t[64];
		snprintf(t, sizeof t, "%s", type);
		return fs_seterr(err, errlen,
				 "%s: %s.type: %s is not supported (ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence)",
				 b->name, field, fs_msg_clean(t));
	}
	return 0;
}

/* The post-processor: whether it puts a special token before a text
 * (TemplateProcessing's single starting with a SpecialToken). */
static int parse_post(fs_bpe *b, json_t *n, const char *type, const char *field, void *ctx, char *err,
			size_t errlen)
{
	const char **first = ctx;
	if (!strcmp(type, "ByteLevel"))
		return 0;
	if (!strcmp(type, "TemplateProcessing")) {
		json_t *single = json_object_get(n, "single");
		if (!json_is_array(single))
			return fs_seterr(err, errlen, "%s: %s.single: not an array", b->name, field);
		json_t *sp = json_object_get(json_array_get(single, 0), "SpecialToken");
		if (sp) {
			const char *id = jstr(sp, "id");
			if (!id)
				return fs_seterr(err, errlen, "%s: %s.single[0].SpecialToken.id: not a string", b->name, field);
			*first = id;
		}
		return 0;
	}
	char t[64];
	snprintf(t, sizeof t, "%s", type);
	return fs_seterr(err, errlen, "%s: %s.type: %s is not supported (ByteLevel, TemplateProcessing, Sequence)",
			 b->name, field, fs_msg_clean(t));
}

static int cmp_added(const void *x, const void *y)
{
	const bpe_added *a = x, *c = y;
	if (a->n != c->n)
		return a->n > c->n ? -1 : 1;
	return a->id < c->id ? -1 : a->id > c->id;
}

static int load_added(fs_bpe *b, json_t *added, size_t vocab_count, char *err, size_t errlen)
{
	if (!added || json_is_null(added))
		return 0;
	if (!json_is_array(added))
		return fs_seterr(err, errlen, "%s: added_tokens: not an array", b->name);
	size_t limit = (vocab_count + json_array_size(added)) * 2 + 1024;
	size_t i;
	json_t *at;
	b->added = xcalloc(json_array_size(added) + 1, sizeof *b->added);
	json_array_foreach(added, i, at) {
		json_t *id = json_object_get(at, "id"), *content = json_object_get(at, "content");
		if (!json_is_integer(id) || json_integer_value(id) < 0 || (size_t)json_integer_value(id) >= limit)
			return fs_seterr(err, errlen, "%s: added_tokens[%zu].id: not an integer in 0..%zu", b->name, i,
					 limit - 1);
		if (!json_is_string(content) || json_string_length(content) == 0)
			return fs_seterr(err, errlen, "%s: added_tokens[%zu].content: not a non-empty string", b->name, i);
		int sw = jbool(at, "single_word", 0), ls = jbool(at, "lstrip", 0), rs = jbool(at, "rstrip", 0);
		if (sw != 0)
			return fs_seterr(err, errlen, "%s: added_tokens[%zu].single_word: only false is supported", b->name, i);
		if (ls < 0 || rs < 0)
			return fs_seterr(err, errlen, "%s: added_tokens[%zu].%s: not a boolean", b->name, i,
					 ls < 0 ? "lstrip" : "rstrip");
		int k = (int)json_integer_value(id);
		const char *s = json_string_value(content);
		size_t n = json_string_length(content);
		if (memchr(s, 0, n))
			return fs_seterr(err, errlen, "%s: added_tokens[%zu].content: holds a NUL", b->name, i);
		if (b->legacy) {
			/* GPT-2's own encoder spells them as text; only <|endoftext|> */
			if (!strcmp(s, "<|endoftext|>") && k < b->n)
				b->eot = k;
			continue;
		}
		grow_ids(b, k + 1);
		if (b->key[k] && (b->klen[k] != n || memcmp(b->key[k], s, n))) {
			free(b->key[k]);
			b->key[k] = NULL;
		}
		if (!b->key[k]) {
			b->key[k] = dup_bytes(s, n);
			b->klen[k] = (uint32_t)n;
		}
		/* the decoded form: the content itself for byte-level BPE;
		 * else what the decoder makes of it, as of every token */
		if (b->tok[k] && b->tok[k] != b->key[k])
			free(b->tok[k]);
		b->tok[k] = b->bytelevel ? dup_bytes(s, n) : NULL;
		b->len[k] = b->bytelevel ? (uint32_t)n : 0;
		bpe_vocab_set(b, k, 1);
		bpe_added *a = &b->added[b->nadded++];
		a->s = (char *)dup_bytes(s, n);
		a->n = n;
		a->id = k;
		a->lstrip = ls;
		a->rstrip = rs;
		b->added_first[(uint8_t)s[0]] = 1;
	}
	qsort(b->added, (size_t)b->nadded, sizeof *b->added, cmp_added);
	return 0;
}

/* The decoded bytes of the model's tokens (added tokens have theirs). */
static void decoded_bytes(fs_bpe *b, const dec_info *d)
{
	size_t fl = d->rep_from ? strlen(d->rep_from) : 0;
	for (int i = 0; i < b->n; i++) {
		if (b->tok[i] || !b->key[i])
			continue;
		const uint8_t *k = b->key[i];
		uint32_t kl = b->klen[i];
		unsigned v;
		char tail;
		if (!b->bytelevel && d->byte_fallback && kl == 6 && k[0] == '<' && k[1] == '0' && k[2] == 'x' &&
		    sscanf((const char *)k + 3, "%2X%c", &v, &tail) == 2 && tail == '>' &&
		    strchr("0123456789ABCDEF", k[3]) && strchr("0123456789ABCDEF", k[4])) {
			uint8_t byte = (uint8_t)v;
			b->tok[i] = dup_bytes(&byte, 1);
			b->len[i] = 1;
			continue;
		}
		if (b->bytelevel || !fl) {
			b->tok[i] = b->key[i];
			b->len[i] = kl;
			continue;
		}
		fs_buf o = {0};
		for (uint32_t j = 0; j < kl;) {
			if (j + fl <= kl && memcmp(k + j, d->rep_from, fl) == 0) {
				buf_adds(&o, d->rep_to);
				j += (uint32_t)fl;
			} else {
				buf_addc(&o, (char)k[j++]);
			}
		}
		b->tok[i] = dup_bytes(o.p ? o.p : "", o.len);
		b->len[i] = (uint32_t)o.len;
		buf_free(&o);
	}
}

/* bos_token / eos_token of tokenizer_config.json: a string, null, or
 * {"content": string}. 0 with *id (-1 for none), -1 with err. */
static int config_token(fs_bpe *b, json_t *cfg, const char *cname, const char *field, int *id, char *err,
			size_t errlen)
{
	json_t *v = json_object_get(cfg, field);
	*id = -1;
	if (!v || json_is_null(v))
		return 0;
	const char *s = json_is_string(v) ? json_string_value(v) : jstr(v, "content");
	if (!s)
		return fs_seterr(err, errlen, "%s: %s: not a string or {\"content\": string}", cname, field);
	*id = bpe_token_id(b, s, strlen(s));
	if (*id < 0) {
		char t[64];
		snprintf(t, sizeof t, "%s", s);
		return fs_seterr(err, errlen, "%s: %s: \"%s\" is not a token of the vocabulary", cname, field,
				 fs_msg_clean(t));
	}
	return 0;
}

static int load_tj(fs_bpe *b, json_t *root, json_t *cfg, const char *cname, char *err, size_t errlen)
{
	const char *name = b->name;
	json_t *model = json_object_get(root, "model");
	json_t *type = json_object_get(model, "type");
	if (!json_is_object(model) || (type && (!json_is_string(type) || strcmp(json_string_value(type), "BPE"))))
		return fs_seterr(err, errlen, "%s: model.type: not a BPE tokenizer (byte-level and byte-fallback BPE are supported)",
				 name);
	json_t *dropout = json_object_get(model, "dropout");
	if (dropout && !json_is_null(dropout))
		return fs_seterr(err, errlen, "%s: model.dropout: only null is supported", name);
	static const char *const affix[] = {"continuing_subword_prefix", "end_of_word_suffix"};
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(model, affix[i]);
		if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
			return fs_seterr(err, errlen, "%s: model.%s: only null or \"\" is supported", name, affix[i]);
	}
	int bf = jbool(model, "byte_fallback", 0), im = jbool(model, "ignore_merges", 0);
	if (bf < 0 || im < 0)
		return fs_seterr(err, errlen, "%s: model.%s: not a boolean", name, bf < 0 ? "byte_fallback" : "ignore_merges");
	b->byte_fallback = bf;
	b->ignore_merges = im;
	/* the pipeline; none at all is GPT-2's own (as written by tools that
	 * convert vocab.json + merges.txt) */
	dec_info d = {0};
	const char *first = NULL;
	if (!json_object_get(root, "pre_tokenizer") && !json_object_get(root, "normalizer") &&
	    !json_object_get(root, "decoder")) {
		if (gpt2_defaults(b, err, errlen) != 0)
			return -1;
		b->bytelevel = 1;
	} else {
		if (walk_steps(b, json_object_get(root, "normalizer"), "normalizer", "normalizers", parse_normalizer, NULL,
			       err, errlen) != 0 ||
		    walk_steps(b, json_object_get(root, "pre_tokenizer"), "pre_tokenizer", "pretokenizers", parse_pre, NULL,
			       err, errlen) != 0 ||
		    walk_steps(b, json_object_get(root, "decoder"), "decoder", "decoders", parse_decoder, &d, err,
			       errlen) != 0 ||
		    walk_steps(b, json_object_get(root, "post_processor"), "post_processor", "processors", parse_post,
			       (void *)&first, err, errlen) != 0)
			return -1;
		if (d.bytelevel != b->bytelevel)
			return fs_seterr(err, errlen, "%s: decoder: %s", name,
					 b->bytelevel ? "the pre-tokenizer is ByteLevel but the decoder is not"
						      : "ByteLevel, but the pre-tokenizer is not");
		if (b->bytelevel && b->byte_fallback)
			return fs_seterr(err, errlen, "%s: model.byte_fallback: not with a ByteLevel pre-tokenizer", name);
		b->gpt2_shape = b->bytelevel && !b->nnorm && b->npre == 1 && b->pre[0].re && !b->ignore_merges &&
				!b->strip;
	}
	json_t *vocab = json_object_get(model, "vocab");
	if (load_vocab(b, vocab, name, err, errlen) != 0)
		return -1;
	json_t *added = json_object_get(root, "added_tokens");
	if (b->gpt2_shape && !b->legacy) {
		/* GPT-2's pipeline whose added tokens are all in its vocabulary
		 * (<|endoftext|>): read as GPT-2's own, as from vocab.json +
		 * merges.txt, special tokens spelled as text */
		size_t i;
		json_t *at;
		int all = json_is_array(added);
		json_array_foreach(added, i, at) {
			const char *c = jstr(at, "content");
			json_t *id = json_object_get(at, "id");
			if (!c || !json_is_integer(id) || bpe_vocab_find(b, c, strlen(c)) != json_integer_value(id))
				all = 0;
		}
		b->legacy = all;
	}
	if (load_added(b, added, json_object_size(vocab), err, errlen) != 0)
		return -1;
	json_t *merges = json_object_get(model, "merges");
	if (!json_is_array(merges))
		return fs_seterr(err, errlen, "%s: model.merges: missing or not an array", name);
	bpe_merges_alloc(b, json_array_size(merges));
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
		if (!a)
			return fs_seterr(err, errlen, "%s: expected \"A B\" or [\"A\", \"B\"]", where);
		if (add_merge(b, a, al, c, cl, (int32_t)i, where, err, errlen) != 0)
			return -1;
	}
	if (finish_bytes(b, err, errlen) != 0)
		return -1;
	const char *unk = jstr(model, "unk_token");
	if (unk) {
		b->unk = bpe_token_id(b, unk, strlen(unk));
		if (b->unk < 0)
			return fs_seterr(err, errlen, "%s: model.unk_token: not a token of the vocabulary", name);
	}
	if (!b->bytelevel && !b->byte_fallback && b->unk < 0)
		return fs_seterr(err, errlen, "%s: model.unk_token: none, and no byte_fallback (a character outside "
				 "the vocabulary would have no token)", name);
	decoded_bytes(b, &d);
	/* BOS and EOS: the config's, else the post-processor's first token */
	if (first) {
		b->bos = bpe_token_id(b, first, strlen(first));
		if (b->bos < 0)
			return fs_seterr(err, errlen, "%s: post_processor: its special token is not in the vocabulary", name);
		b->adds_bos = 1;
	}
	if (cfg) {
		int bos, eos, add = jbool(cfg, "add_bos_token", -2);
		if (config_token(b, cfg, cname, "bos_token", &bos, err, errlen) != 0 ||
		    config_token(b, cfg, cname, "eos_token", &eos, err, errlen) != 0)
			return -1;
		if (add == -1)
			return fs_seterr(err, errlen, "%s: add_bos_token: not a boolean", cname);
		if (json_object_get(cfg, "bos_token"))
			b->bos = bos;
		b->eos = eos;
		if (add >= 0)
			b->adds_bos = add;
	}
	return 0;
}

fs_bpe *bpe_load_tokenizer_cfg_mem(const char *name, const char *json, size_t len, const char *cname,
				   const char *cfg, size_t clen, char *err, size_t errlen)
{
	fs_bpe *b = bpe_new(name);
	json_error_t je;
	json_t *c = NULL, *root = json_loadb(json, len, 0, &je);
	if (!root) {
		fs_seterr(err, errlen, "%s:%d: bad JSON: %s", name, je.line, fs_msg_clean(je.text));
		goto bad;
	}
	if (cfg) {
		c = json_loadb(cfg, clen, JSON_DECODE_INT_AS_REAL, &je);
		if (!c || !json_is_object(c)) {
			if (c)
				fs_seterr(err, errlen, "%s: not a JSON object", cname);
			else
				fs_seterr(err, errlen, "%s:%d: bad JSON: %s", cname, je.line, fs_msg_clean(je.text));
			goto bad;
		}
	}
	if (!json_is_object(root)) {
		fs_seterr(err, errlen, "%s: not a JSON object", name);
		goto bad;
	}
	if (load_tj(b, root, c, cname ? cname : "tokenizer_config.json", err, errlen) != 0)
		goto bad;
	json_decref(root);
	json_decref(c);
	bpe_ready(b);
	return b;
bad:
	json_decref(root);
	json_decref(c);
	bpe_free(b);
	return NULL;
}

fs_bpe *bpe_load_tokenizer_mem(const char *name, const char *json, size_t len, char *err, size_t errlen)
{
	return bpe_load_tokenizer_cfg_mem(name, json, len, NULL, NULL, 0, err, errlen);
}

/* A whole file into memory (tokenizer files are tens of MB at most). */
static char *slurp(const char *path, size_t *n, char *err, size_t errlen)
{
	return fs_read_file(path, 512u << 20, n, err, errlen);
}

fs_bpe *bpe_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	size_t vn, mn;
	char *v = slurp(vocab_json, &vn, err, errlen);
	if (!v)
		return NULL;
	char *m = slurp(merges_txt, &mn, err, errlen);
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

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

fs_bpe *bpe_load_tokenizer_json(const char *path, char *err, size_t errlen)
{
	size_t n, cn = 0;
	char *s = slurp(path, &n, err, errlen);
	if (!s)
		return NULL;
	/* tokenizer_config.json beside it */
	const char *slash = strrchr(path, '/');
	char *cpath = slash ? xasprintf("%.*s/tokenizer_config.json", (int)(slash - path), path)
			    : xstrdup("tokenizer_config.json");
	char *c = NULL;
	if (exists(cpath) && !(c = slurp(cpath, &cn, err, errlen))) {
		free(s);
		free(cpath);
		return NULL;
	}
	fs_bpe *b = bpe_load_tokenizer_cfg_mem(path, s, n, cpath, c, cn, err, errlen);
	free(s);
	free(c);
	free(cpath);
	return b;
}

fs_bpe *bpe_load_dir(const char *dir, char *err, size_t errlen)
{
	char *tj = xasprintf("%s/tokenizer.json", dir);
	char *vj = xasprintf("%s/vocab.json", dir), *mt = xasprintf("%s/merges.txt", dir);
	char *ej = xasprintf("%s/encoder.json", dir), *vb = xasprintf("%s/vocab.bpe", dir);
	fs_bpe *b = NULL;
	int gpt2_files = exists(vj) && exists(mt);
	if (exists(tj)) {
		b = bpe_load_tokenizer_json(tj, err, errlen);
		/* GPT-2's own pipeline: its vocab.json + merges.txt, read as
		 * always (special tokens spelled as text) */
		if (b && b->gpt2_shape && gpt2_files) {
			bpe_free(b);
			b = bpe_load_files(vj, mt, err, errlen);
		}
	} else if (gpt2_files) {
		b = bpe_load_files(vj, mt, err, errlen);
	} else if (exists(ej) && exists(vb)) {
		b = bpe_load_files(ej, vb, err, errlen);
	} else {
		fs_seterr(err, errlen, "%s: no tokenizer (tokenizer.json, or vocab.json + merges.txt)", dir);
	}
	free(tj);
	free(vj);
	free(mt);
	free(ej);
	free(vb);
	return b;
}

/* ---- what a loaded tokenizer says ---- */

int bpe_vocab_size(const fs_bpe *b)
{
	return b->n;
}

int bpe_eot(const fs_bpe *b)
{
	return b->eot;
}

int bpe_bos(const fs_bpe *b)
{
	return b->bos;
}

int bpe_eos(const fs_bpe *b)
{
	return b->eos;
}

int bpe_adds_bos(const fs_bpe *b)
{
	return b->adds_bos && b->bos >= 0;
}

int bpe_byte_token(const fs_bpe *b, uint8_t byte)
{
	if (b->bytelevel)
		return b->byte_id[byte];
	if (b->byte_fallback && b->fb_id[byte] >= 0)
		return b->fb_id[byte];
	return b->unk;
}

int bpe_token_id(const fs_bpe *b, const char *s, size_t n)
{
	for (int i = 0; i < b->nadded; i++)
		if (b->added[i].n == n && memcmp(b->added[i].s, s, n) == 0)
			return b->added[i].id;
	return bpe_vocab_find(b, s, n);
}

const uint8_t *bpe_token_bytes(const fs_bpe *b, int id, size_t *len)
{
	if (id < 0 || id >= b->n || !b->tok[id])
		return NULL;
	*len = b->len[id];
	return b->tok[id];
}

/*
 * tokens.c: token string decoding (GPT-2 byte-level, SentencePiece),
 * spelling detection, context assembly with exact token boundaries, and
 * vocabulary files (Hugging Face tokenizer.json or a plain list). See
 * tokens.h.
 */
#include "tok/tokens.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/input.h"

/* ------------------------------------------------------------ alphabet */

/* byte -> code point, and code point (< 0x144) -> byte + 1 (0: none). */
static uint32_t bl_char[256];
static uint16_t bl_byte[0x144];
static int bl_ready;

/* The GPT-2 table: printable Latin-1 bytes stand for themselves; the other
 * 68 bytes (controls, space, DEL, C1 controls, NBSP, soft hyphen) take the
 * code points from U+0100 upwards, in byte order. */
static void bl_init(void)
{
	if (bl_ready)
		return;
	uint32_t next = 0x100;
	for (unsigned b = 0; b < 256; b++) {
		int keep = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
		bl_char[b] = keep ? b : next++;
		bl_byte[bl_char[b]] = (uint16_t)(b + 1);
	}
	bl_ready = 1;
}

uint32_t tok_bl_char(unsigned b)
{
	bl_init();
	return bl_char[b & 0xff];
}

int tok_bl_byte(uint32_t cp)
{
	bl_init();
	if (cp >= 0x144 || !bl_byte[cp])
		return -1;
	return bl_byte[cp] - 1;
}

int tok_mode_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return TOK_AUTO;
	if (!strcmp(s, "plain") || !strcmp(s, "text"))
		return TOK_PLAIN;
	if (!strcmp(s, "bytelevel") || !strcmp(s, "byte-level") || !strcmp(s, "gpt2"))
		return TOK_BYTELEVEL;
	if (!strcmp(s, "sentencepiece") || !strcmp(s, "spm"))
		return TOK_SPIECE;
	return -1;
}

const char *tok_mode_name(int mode)
{
	switch (mode) {
	case TOK_PLAIN: return "plain";
	case TOK_BYTELEVEL: return "bytelevel";
	case TOK_SPIECE: return "sentencepiece";
	default: return "auto";
	}
}

/* ------------------------------------------------------------ decoding */

/* Next code point of s (n bytes left); invalid bytes come back as
 * 0x80000000 | byte and advance one. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *adv)
{
	int l = utf8_len(s, n);
	if (l == 0) {
		*adv = 1;
		return 0x80000000u | s[0];
	}
	*adv = (size_t)l;
	return utf8_decode(s, l);
}

/* True when s (n bytes) holds the SentencePiece space mark U+2581. */
static int has_spmark(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(s + i, "\xe2\x96\x81", 3) == 0)
			return 1;
	return 0;
}

/* True when every character is in the byte-level alphabet; *marked is set
 * when one of them is a remapped byte (U+0100..U+0143) and *high when any
 * is above ASCII. */
static int all_bytelevel(const char *s, size_t n, int *marked, int *high)
{
	const unsigned char *p = (const unsigned char *)s;
	*marked = *high = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			/* ASCII: only the printable ones stand for themselves */
			if (p[i] < 0x21 || p[i] > 0x7e)
				return 0;
			i++;
			continue;
		}
		size_t a;
		uint32_t cp = next_cp(p + i, n - i, &a);
		if (tok_bl_byte(cp) < 0)
			return 0;
		*high = 1;
		if (cp >= 0x100)
			*marked = 1;
		i += a;
	}
	return 1;
}

static void decode_bl(const char *s, size_t n, fs_buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	/* the bytes never outnumber the characters' encodings */
	buf_reserve(out, n);
	char *o = out->p + out->len;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			*o++ = (char)p[i++];
			continue;
		}
		size_t a;
		uint32_t cp = next_cp(p + i, n - i, &a);
		int b = tok_bl_byte(cp);
		if (b >= 0) {
			*o++ = (char)b;
		} else {
			memcpy(o, p + i, a); /* outside the alphabet: keep */
			o += a;
		}
		i += a;
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void decode_spiece(const char *s, size_t n, fs_buf *out)
{
	/* a whole token <0xHH> is a byte-fallback piece */
	if (n == 6 && s[0] == '<' && s[1] == '0' && s[2] == 'x' && s[5] == '>' &&
	    hexval(s[3]) >= 0 && hexval(s[4]) >= 0) {
		buf_addc(out, (char)(hexval(s[3]) * 16 + hexval(s[4])));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i + 3 <= n && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
			buf_addc(out, ' ');
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* Valid UTF-8, allowing up to 3 stray continuation bytes at the start and a
 * cut-off sequence at the end when edges is set. */
static int utf8_ok(const unsigned char *p, size_t n, int edges)
{
	size_t i = 0;
	if (edges)
		while (i < n && i < 3 && (p[i] & 0xc0) == 0x80)
			i++;
	while (i < n) {
		int l = utf8_len(p + i, n - i);
		if (l == 0) {
			if (!edges)
				return 0;
			/* a lead byte whose sequence is cut off by the end */
			unsigned c = p[i];
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			if (!need || i + need <= n)
				return 0;
			for (size_t k = i + 1; k < n; k++)
				if ((p[k] & 0xc0) != 0x80)
					return 0;
			return 1;
		}
		i += (size_t)l;
	}
	return 1;
}

void tok_decode(const char *s, size_t n, int mode, fs_buf *out)
{
	int marked, high;
	switch (mode) {
	case TOK_PLAIN:
		buf_add(out, s, n);
		return;
	case TOK_BYTELEVEL:
		decode_bl(s, n, out);
		return;
	case TOK_SPIECE:
		decode_spiece(s, n, out);
		return;
	default:
		if (all_bytelevel(s, n, &marked, &high) && high) {
			size_t at = out->len;
			decode_bl(s, n, out);
			if (utf8_ok((const unsigned char *)out->p + at, out->len - at, 0))
				return;
			out->len = at; /* not valid: keep the text as it is */
			if (out->p)
				out->p[at] = 0;
		}
		buf_add(out, s, n);
	}
}

char *tok_decode_str(const char *s, int mode)
{
	fs_buf b = {0};
	tok_decode(s, strlen(s), mode, &b);
	buf_reserve(&b, 0);
	return b.p;
}

void tok_stats_add(tok_stats *st, const char *s, size_t n)
{
	int marked, high;
	st->n++;
	if (!all_bytelevel(s, n, &marked, &high))
		st->outside++;
	else if (marked)
		st->marked++;
	if (has_spmark(s, n) ||
	    (n == 6 && s[0] == '<' && s[1] == '0' && s[2] == 'x' && s[5] == '>'))
		st->spiece++;
}

int tok_stats_mode(const tok_stats *st)
{
	if (st->spiece && st->spiece >= st->marked)
		return TOK_SPIECE;
	if (st->marked && st->outside == 0)
		return TOK_BYTELEVEL;
	return TOK_AUTO;
}

/* ------------------------------------------------------------ contexts */

static void ctx_push_off(tok_ctx *c)
{
	if (c->ntok + 2 > c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->off = xrealloc(c->off, (size_t)c->cap * sizeof *c->off);
	}
	c->off[c->ntok + 1] = (uint32_t)c->text.len;
}

static void ctx_fill(tok_ctx *c, const char *const *toks, const size_t *lens, int ntok, int mode)
{
	c->text.len = 0;
	c->ntok = 0;
	ctx_push_off(c);
	c->off[0] = 0;
	for (int i = 0; i < ntok; i++) {
		const char *t = toks[i] ? toks[i] : "";
		size_t n = lens ? lens[i] : strlen(t);
		if (mode == TOK_BYTELEVEL)
			decode_bl(t, n, &c->text);
		else if (mode == TOK_SPIECE)
			decode_spiece(t, n, &c->text);
		else
			buf_add(&c->text, t, n);
		ctx_push_off(c);
		c->ntok++;
	}
	buf_reserve(&c->text, 0);
	c->text.p[c->text.len] = 0;
}

int tok_ctx_build(tok_ctx *c, const char *const *toks, const size_t *lens, int ntok, int mode)
{
	if (mode != TOK_AUTO) {
		ctx_fill(c, toks, lens, ntok, mode);
		return mode;
	}
	/* look at the tokens: any '▁'? any byte-level character above ASCII
	 * in a token made only of the alphabet? */
	int any_high = 0, any_sp = 0, any_marked = 0;
	for (int i = 0; i < ntok; i++) {
		const char *t = toks[i] ? toks[i] : "";
		size_t n = lens ? lens[i] : strlen(t);
		int marked, high;
		if (all_bytelevel(t, n, &marked, &high)) {
			any_high |= high;
			any_marked |= marked;
		}
		if (has_spmark(t, n))
			any_sp = 1;
	}
	if (any_sp && !any_marked) {
		ctx_fill(c, toks, lens, ntok, TOK_SPIECE);
		return TOK_SPIECE;
	}
	if (any_high) {
		/* a cut-off character at either end is normal in a window of
		 * byte-level tokens, but only trusted when remapped bytes (Ġ, Ċ,
		 * ...) show the spelling: plain "caf" "é" must stay café */
		ctx_fill(c, toks, lens, ntok, TOK_BYTELEVEL);
		if (utf8_ok((const unsigned char *)c->text.p, c->text.len, any_marked))
			return TOK_BYTELEVEL;
	}
	ctx_fill(c, toks, lens, ntok, TOK_PLAIN);
	return TOK_PLAIN;
}

void tok_ctx_free(tok_ctx *c)
{
	buf_free(&c->text);
	free(c->off);
	memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------- vocabularies */

void tok_vocab_put(tok_vocab *v, int64_t id, const char *s, size_t n, int64_t *cap)
{
	if (id >= *cap) {
		int64_t nc = *cap ? *cap : 1024;
		while (nc <= id)
			nc *= 2;
		v->tok = xrealloc(v->tok, (size_t)nc * sizeof *v->tok);
		v->len = xrealloc(v->len, (size_t)nc * sizeof *v->len);
		memset(v->tok + *cap, 0, (size_t)(nc - *cap) * sizeof *v->tok);
		memset(v->len + *cap, 0, (size_t)(nc - *cap) * sizeof *v->len);
		*cap = nc;
	}
	free(v->tok[id]);
	v->tok[id] = xstrndup(s, n);
	v->len[id] = (uint32_t)n;
	if (id >= v->n)
		v->n = id + 1;
}

/* Undo the C escapes of a plain list line into out; -1 on a bad escape. */
static int unescape(const char *s, size_t n, fs_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf_addc(out, s[i]);
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case '\\': buf_addc(out, '\\'); break;
		case 'x':
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			buf_addc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int tok_vocab_load(const char *path, tok_vocab *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	size_t len;
	char *text = input_slurp(path, &len, err, errlen);
	if (!text)
		return -1;
	int rc = 0;
	int64_t cap = 0, line = 0;
	fs_buf tok = {0};
	tok_stats st = {0};
	for (size_t p = 0; p < len;) {
		char *nl = memchr(text + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - text) : len;
		size_t n = e - p;
		if (n && text[p + n - 1] == '\r')
			n--;
		tok.len = 0;
		if (unescape(text + p, n, &tok) != 0) {
			rc = fs_seterr(err, errlen, "%s:%lld: token: bad escape (use \\n \\t \\r \\\\ \\xHH)",
				       path, (long long)line + 1);
			break;
		}
		if (line >= TOK_VOCAB_MAX_ID) {
			rc = fs_seterr(err, errlen, "%s:%lld: token: too many tokens", path, (long long)line + 1);
			break;
		}
		tok_vocab_put(v, line, tok.len ? tok.p : "", tok.len, &cap);
		tok_stats_add(&st, tok.len ? tok.p : "", tok.len);
		line++;
		p = e + 1;
	}
	buf_free(&tok);
	v->mode = tok_stats_mode(&st);
	if (v->mode == TOK_AUTO)
		v->mode = TOK_PLAIN; /* escapes already give the bytes */
	free(text);
	if (rc == 0 && v->n == 0)
		rc = fs_seterr(err, errlen, "%s: vocabulary: no tokens", path);
	if (rc != 0)
		tok_vocab_free(v);
	return rc;
}

void tok_vocab_free(tok_vocab *v)
{
	for (int64_t i = 0; i < v->n; i++)
		free(v->tok[i]);
	free(v->tok);
	free(v->len);
	memset(v, 0, sizeof *v);
}

const char *tok_vocab_get(const tok_vocab *v, int64_t id, size_t *len)
{
	if (id < 0 || id >= v->n || !v->tok[id])
		return NULL;
	if (len)
		*len = v->len[id];
	return v->tok[id];
}

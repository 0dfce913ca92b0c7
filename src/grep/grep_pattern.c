/*
 * grep_pattern.c: compiling a concept pattern (PCRE2, UTF mode, JIT) and
 * its prefilters: the pattern with NUL as newline for whole-chunk scans
 * when that is safe, an anchored form when no match can start with ASCII,
 * and a byte-pair finder (SSE2, AVX2 at run time) for plain strings; also
 * the UTF-8 check that picks the code for a context.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep/grep_int.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GREP_AVX2 1 /* a 32-byte finder, chosen at run time */
#endif

static pcre2_code *grep_compile1(const char *pattern, uint32_t opts, int *jit,
				 pcre2_compile_context *cc, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				       opts, &code, &off, cc);
	if (!re) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", code);
		fs_seterr(err, errlen, "bad pattern at offset %zu: %s", (size_t)off, (char *)msg);
		return NULL;
	}
	*jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	/* (*NO_JIT) in the pattern: the compile "succeeds" with no JIT code,
	 * and pcre2_jit_match would answer "bad JIT option": interpret it */
	size_t jsz = 0;
	if (*jit && (pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jsz) != 0 || jsz == 0))
		*jit = 0;
	return re;
}

/* Whole-chunk prefilter. A chunk holds its contexts separated by NUL
 * bytes. The prefilter is the pattern compiled with NUL as the newline and
 * multi-line mode (so ^ matches at every context start and . never
 * crosses a separator) and run over the whole chunk: each match names a
 * candidate context, which is then matched on its own (the exact,
 * per-context semantics), and the scan resumes at the next context. This
 * is exact when every per-context match is also a prefilter match at the
 * same place, which holds unless the pattern can see past a context's
 * edge differently from a subject's edge: end anchors ($ \z \Z), \A \G,
 * lookbehind, negative lookahead, \K, backtracking verbs, an explicit NUL
 * or an inline multi-line option. Patterns with any of those (spotted
 * conservatively in the text: an escaped \$ counts too) are matched one
 * context at a time. */
static int grep_filter_safe(const char *p, unsigned flags)
{
	static const char *const risky[] = {
		"$", "(?<=", "(?<!", "(?!", "(*", "\\A", "\\z", "\\Z", "\\G", "\\K",
		"\\0", "\\x0", "\\x{0", "\\o{0", "\\c@",
	};
	if (flags & (GREP_LITERAL | GREP_TOKEN))
		return 1;
	for (size_t i = 0; i < sizeof risky / sizeof *risky; i++)
		if (strstr(p, risky[i]))
			return 0;
	/* Inline options: (?m...) or (?x-m...) would change ^. */
	for (const char *q = strstr(p, "(?"); q; q = strstr(q + 2, "(?")) {
		for (const char *c = q + 2; *c && *c != ')' && *c != ':'; c++)
			if (*c == 'm')
				return 0;
			else if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-' || *c == '^'))
				break;
	}
	return 1;
}

/* True when no match of re can start with an ASCII character (patterns
 * for Hangul, Han, Cyrillic, ...), whatever comes before it. PCRE2 finds
 * no start bitmap for Unicode properties, so its JIT decodes every
 * character; knowing this, the prefilter can jump from one non-ASCII byte
 * to the next instead. Each ASCII character c is tried as the whole rest
 * of a subject, after nothing, a word character and a non-word one (what
 * \b and ^ can see; patterns that look further back never get here),
 * anchored, with hard partial matching: NOMATCH in every case means that
 * no match anywhere starts with c. */
static int grep_no_ascii_start(pcre2_code *re)
{
	const uint8_t *bitmap = NULL;
	uint32_t firsttype = 0;
	pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &bitmap);
	pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &firsttype);
	if (bitmap || firsttype != 0)
		return 0; /* PCRE2 already skips ahead fast */
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	static const char *const before[] = {"", "a", " "};
	int ok = 1;
	for (int c = 1; c < 128 && ok; c++) {
		for (int b = 0; b < 3 && ok; b++) {
			unsigned char subj[3];
			size_t n = strlen(before[b]);
			memcpy(subj, before[b], n);
			subj[n] = (unsigned char)c;
			int r = pcre2_match(re, subj, n + 1, n, PCRE2_ANCHORED | PCRE2_PARTIAL_HARD, md, NULL);
			if (r != PCRE2_ERROR_NOMATCH)
				ok = 0;
		}
	}
	pcre2_match_data_free(md);
	return ok;
}

/* Offset of the first byte >= 0x80 at or after pos, or len. */
size_t grep_next_high(const unsigned char *t, size_t pos, size_t len)
{
	while (pos < len && (pos & 7)) {
		if (t[pos] & 0x80)
			return pos;
		pos++;
	}
	while (len - pos >= 32) {
		uint64_t a, b, c, d;
		memcpy(&a, t + pos, 8);
		memcpy(&b, t + pos + 8, 8);
		memcpy(&c, t + pos + 16, 8);
		memcpy(&d, t + pos + 24, 8);
		if ((a | b | c | d) & 0x8080808080808080ull)
			break;
		pos += 32;
	}
	while (pos < len && !(t[pos] & 0x80))
		pos++;
	return pos;
}

/* A plain-string finder for the prefilter ("packed pair"): two bytes of
 * the string, chosen as the rarest by a rough frequency table of text and
 * code, are looked for at their distance 16 positions at a time (SSE2),
 * and every hit is checked against the whole string. Caseless finders
 * fold ASCII only, so they are built only for ASCII strings without k or
 * s (which Unicode case folding also matches with the Kelvin sign and the
 * long s); other strings use the PCRE2 prefilter. */
typedef struct grep_lit {
	unsigned char *s;     /* the string */
	size_t n;             /* its bytes */
	int caseless;         /* ASCII letters match either case */
	size_t i1, i2;        /* offsets of the two probe bytes */
	unsigned char a1, b1; /* the first probe byte, in both cases */
	unsigned char a2, b2; /* the second probe byte, in both cases */
	unsigned char or1, or2; /* 0x20 when the probe is a caseless letter: a byte
				   x matches it when (x | or) == a (lower case) */
	int avx2;             /* the CPU has AVX2: use the 32-byte loop */
} grep_lit;

/* Rough byte frequency (per mille) in English text and source code. */
static int grep_byte_freq(unsigned char c)
{
	static const char order[] = "etaonisrhldcumfpgwybvkxjqz";
	static const int lf[] = {70, 55, 50, 50, 48, 48, 45, 45, 30, 30, 28, 28, 20,
				 18, 16, 15, 13, 12, 12, 10, 7, 5, 3, 1, 1, 1};
	if (c >= 'a' && c <= 'z')
		return lf[strchr(order, c) - order];
	if (c >= 'A' && c <= 'Z')
		return lf[strchr(order, c - 'A' + 'a') - order] / 8 + 1;
	if (c == ' ')
		return 150;
	if (c == '\n' || c == '_')
		return 18;
	if (c >= '0' && c <= '9')
		return c <= '1' ? 10 : 5;
	if (c && strchr("(),.;*=-\t", c))
		return 7;
	return c < 0x80 ? 3 : 1;
}

static grep_lit *grep_lit_new(const char *str, size_t n, int caseless)
{
	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n && caseless; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c >= 0x80 || c == 'k' || c == 'K' || c == 's' || c == 'S')
			return NULL;
	}
	grep_lit *l = xcalloc(1, sizeof *l);
	l->s = (unsigned char *)xstrndup(str, n);
	l->n = n;
	l->caseless = caseless;
	int best1 = 1 << 30, best2 = 1 << 30;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = l->s[i];
		int f = grep_byte_freq(c);
		if (caseless && isalpha(c))
			f = grep_byte_freq((unsigned char)tolower(c)) + grep_byte_freq((unsigned char)toupper(c));
		if (f < best1) {
			best2 = best1;
			l->i2 = l->i1;
			best1 = f;
			l->i1 = i;
		} else if (f < best2) {
			best2 = f;
			l->i2 = i;
		}
	}
	if (n == 1)
		l->i2 = l->i1;
#ifdef GREP_AVX2
	l->avx2 = __builtin_cpu_supports("avx2");
#endif
	l->a1 = l->b1 = l->s[l->i1];
	l->a2 = l->b2 = l->s[l->i2];
	if (caseless) {
		l->a1 = (unsigned char)tolower(l->a1);
		l->b1 = (unsigned char)toupper(l->b1);
		l->a2 = (unsigned char)tolower(l->a2);
		l->b2 = (unsigned char)toupper(l->b2);
		l->or1 = l->a1 != l->b1 ? 0x20 : 0;
		l->or2 = l->a2 != l->b2 ? 0x20 : 0;
	}
	return l;
}

static void grep_lit_free(grep_lit *l)
{
	if (l) {
		free(l->s);
		free(l);
	}
}

const char *grep_lit_string(const grep_lit *l, size_t *n, int *caseless)
{
	*n = l->n;
	*caseless = l->caseless;
	return (const char *)l->s;
}

static int grep_lit_eq(const grep_lit *l, const unsigned char *t)
{
	if (!l->caseless)
		return memcmp(t, l->s, l->n) == 0;
	for (size_t i = 0; i < l->n; i++)
		if (tolower(t[i]) != tolower(l->s[i]))
			return 0;
	return 1;
}

#ifdef GREP_AVX2
/* The packed-pair loop 32 starts at a time, for starts pos.. while a whole
 * block fits before last. Sets *found and returns the first occurrence, or
 * returns the first start it did not look at. */
__attribute__((target("avx2")))
static size_t grep_lit_find32(const grep_lit *l, const unsigned char *t, size_t pos,
			      size_t last, int *found)
{
	/* (x | or) == a: one compare per probe, both cases of a letter */
	__m256i a1 = _mm256_set1_epi8((char)l->a1), o1 = _mm256_set1_epi8((char)l->or1);
	__m256i a2 = _mm256_set1_epi8((char)l->a2), o2 = _mm256_set1_epi8((char)l->or2);
	*found = 0;
	while (pos + 31 <= last) {
		__m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(t + pos + l->i1));
		__m256i x2 = _mm256_loadu_si256((const __m256i *)(const void *)(t + pos + l->i2));
		__m256i m = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(x1, o1), a1),
					     _mm256_cmpeq_epi8(_mm256_or_si256(x2, o2), a2));
		unsigned mask = (unsigned)_mm256_movemask_epi8(m);
		while (mask) {
			size_t at = pos + (size_t)__builtin_ctz(mask);
			if (grep_lit_eq(l, t + at)) {
				*found = 1;
				return at;
			}
			mask &= mask - 1;
		}
		pos += 32;
	}
	return pos;
}
#endif

/* Offset of the first occurrence at or after pos, or len when none. */
size_t grep_lit_find(const grep_lit *l, const unsigned char *t, size_t pos, size_t len)
{
	if (len < l->n)
		return len;
	size_t last = len - l->n; /* last possible start */
#ifdef GREP_AVX2
	if (l->avx2) {
		int found;
		pos = grep_lit_find32(l, t, pos, last, &found);
		if (found)
			return pos;
	}
#endif
#ifdef __SSE2__
	__m128i a1 = _mm_set1_epi8((char)l->a1), b1 = _mm_set1_epi8((char)l->b1);
	__m128i a2 = _mm_set1_epi8((char)l->a2), b2 = _mm_set1_epi8((char)l->b2);
	/* Starts pos..pos+15 read bytes up to pos + 15 + max(i1, i2) < len. */
	while (pos + 15 <= last) {
		__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(t + pos + l->i1));
		__m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(t + pos + l->i2));
		__m128i m = _mm_and_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x1, a1), _mm_cmpeq_epi8(x1, b1)),
			_mm_or_si128(_mm_cmpeq_epi8(x2, a2), _mm_cmpeq_epi8(x2, b2)));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		while (mask) {
			size_t at = pos + (size_t)__builtin_ctz(mask);
			if (grep_lit_eq(l, t + at))
				return at;
			mask &= mask - 1;
		}
		pos += 16;
	}
#endif
	for (; pos <= last; pos++) {
		unsigned char c1 = t[pos + l->i1], c2 = t[pos + l->i2];
		if ((c1 == l->a1 || c1 == l->b1) && (c2 == l->a2 || c2 == l->b2) &&
		    grep_lit_eq(l, t + pos))
			return pos;
	}
	return len;
}

/* The plain string a pattern stands for: the whole of a literal pattern,
 * or a regex with no metacharacter after an optional leading (?i).
 * Returns NULL when the pattern is no plain string. */
static const char *grep_plain_string(const char *pattern, unsigned flags, int *caseless)
{
	*caseless = (flags & GREP_CASELESS) != 0;
	if (flags & (GREP_LITERAL | GREP_TOKEN))
		return pattern;
	if (strncmp(pattern, "(?i)", 4) == 0) {
		pattern += 4;
		*caseless = 1;
	}
	if (!*pattern || strpbrk(pattern, "\\^$.|?*+()[]{}#"))
		return NULL;
	return pattern;
}

grep_pattern *grep_compile(const char *pattern, unsigned flags, char *err, size_t errlen)
{
	uint32_t opts = PCRE2_UTF;
	if (flags & (GREP_LITERAL | GREP_TOKEN))
		opts |= PCRE2_LITERAL;
	else
		opts |= PCRE2_UCP;
	if (flags & GREP_CASELESS)
		opts |= PCRE2_CASELESS;
	grep_pattern *p = xcalloc(1, sizeof *p);
	p->flags = flags;
	p->code = grep_compile1(pattern, opts, &p->jit, NULL, err, errlen);
	if (p->code)
		p->code_inv = grep_compile1(pattern, opts | PCRE2_MATCH_INVALID_UTF,
					    &p->jit_inv, NULL, err, errlen);
	if (!p->code || !p->code_inv) {
		grep_pattern_free(p);
		return NULL;
	}
	if (!(flags & GREP_NOFILTER) && grep_filter_safe(pattern, flags)) {
		pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
		pcre2_set_newline(cc, PCRE2_NEWLINE_NUL);
		char e[256];
		/* Invalid UTF-8 never matches: chunks need no validation pass. */
		uint32_t fo = opts | PCRE2_MATCH_INVALID_UTF | (opts & PCRE2_LITERAL ? 0 : PCRE2_MULTILINE);
		p->filter = grep_compile1(pattern, fo, &p->jit_filter, cc, e, sizeof e);
		if (p->filter && !(flags & (GREP_LITERAL | GREP_TOKEN)) && grep_no_ascii_start(p->code)) {
			p->anch = grep_compile1(pattern, fo | PCRE2_ANCHORED, &p->jit_anch, cc, e, sizeof e);
			p->skip_ascii = p->anch != NULL;
		}
		pcre2_compile_context_free(cc);
		int ci;
		const char *plain = grep_plain_string(pattern, flags, &ci);
		if (plain && !p->skip_ascii)
			p->lit = grep_lit_new(plain, strlen(plain), ci);
	}
	return p;
}

void grep_pattern_free(grep_pattern *p)
{
	if (!p)
		return;
	pcre2_code_free(p->code);
	pcre2_code_free(p->code_inv);
	pcre2_code_free(p->filter);
	pcre2_code_free(p->anch);
	grep_lit_free(p->lit);
	free(p);
}

int grep_pattern_spans(const grep_pattern *p, const char *text, size_t n, size_t *spans, int max)
{
	const unsigned char *t = (const unsigned char *)text;
	int v = utf8_valid(t, n);
	pcre2_code *code = v ? p->code : p->code_inv;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	int k = 0;
	size_t pos = 0;
	while (k < max && pos <= n) {
		int r = pcre2_match(code, t, n, pos, v ? PCRE2_NO_UTF_CHECK : 0, md, NULL);
		if (r < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		spans[2 * k] = ov[0];
		spans[2 * k + 1] = ov[1];
		k++;
		pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		/* an empty match inside a character: go to its end */
		while (v && pos < n && (t[pos] & 0xc0) == 0x80)
			pos++;
	}
	pcre2_match_data_free(md);
	return k;
}

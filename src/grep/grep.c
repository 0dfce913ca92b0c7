/*
 * grep.c: the concept probe (search engine area). A PCRE2 pattern (JIT,
 * UTF mode) is matched against every context of an index, chunk by chunk,
 * on worker threads that take chunks from a shared counter and each own a
 * read-only SQLite connection and a per-thread accumulator; matches are
 * mapped to the tokens they overlap and the stored examples on matched
 * contexts are summed per feature (see grep.h for the definitions). The
 * calling thread wakes every interval to merge the accumulators into a
 * partial ranking for its callback. Also here: `featscope grep`,
 * `featscope token` (features firing on one token string) and a literal
 * substring search for text that full-text search cannot tokenise.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep/grep.h"
#include "core/format.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GREP_AVX2 1 /* a 32-byte finder, chosen at run time */
#endif

#define GREP_MATCH_LIMIT 2000000u   /* default PCRE2 match limit per context */
#define GREP_DEPTH_LIMIT 100000u    /* interpreter backtracking depth */
#define GREP_JIT_STACK (1024 * 1024)/* most JIT stack per worker */
#define GREP_MAX_THREADS 8

struct grep_pattern {
	pcre2_code *code;     /* UTF mode: for text already validated */
	pcre2_code *code_inv; /* PCRE2_MATCH_INVALID_UTF: for text that is not */
	int jit;              /* code is JIT-compiled (pcre2_jit_match usable) */
	int jit_inv;          /* code_inv is JIT-compiled */
	pcre2_code *filter;   /* whole-chunk prefilter (see grep_filter_safe), or NULL */
	int jit_filter;       /* filter is JIT-compiled */
	pcre2_code *anch;     /* the prefilter anchored, when skip_ascii */
	int jit_anch;         /* anch is JIT-compiled */
	int skip_ascii;       /* no match can start with an ASCII character */
	struct grep_lit *lit; /* byte-pair finder when the pattern is a plain string */
	unsigned flags;       /* GREP_* compile flags */
};

/* ------------------------------------------------------------ patterns */

int grep_sort_parse(const char *s)
{
	static const char *const names[] = {"f1", "mass", "precision", "recall", "contexts"};
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

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
static size_t grep_next_high(const unsigned char *t, size_t pos, size_t len)
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
	__m256i a1 = _mm256_set1_epi8((char)l->a1), b1 = _mm256_set1_epi8((char)l->b1);
	__m256i a2 = _mm256_set1_epi8((char)l->a2), b2 = _mm256_set1_epi8((char)l->b2);
	*found = 0;
	while (pos + 31 <= last) {
		__m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(t + pos + l->i1));
		__m256i x2 = _mm256_loadu_si256((const __m256i *)(const void *)(t + pos + l->i2));
		__m256i m = _mm256_and_si256(
			_mm256_or_si256(_mm256_cmpeq_epi8(x1, a1), _mm256_cmpeq_epi8(x1, b1)),
			_mm256_or_si256(_mm256_cmpeq_epi8(x2, a2), _mm256_cmpeq_epi8(x2, b2)));
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
static size_t grep_lit_find(const grep_lit *l, const unsigned char *t, size_t pos, size_t len)
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

/* Strict UTF-8 validation (RFC 3629: no overlongs, surrogates or code
 * points above U+10FFFF), with an ASCII fast path. Text that passes may be
 * matched with PCRE2_NO_UTF_CHECK. */
static int grep_utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (n - i >= 16) {
			uint64_t a, b;
			memcpy(&a, p + i, 8);
			memcpy(&b, p + i + 8, 8);
			if ((a | b) & 0x8080808080808080ull)
				break;
			i += 16;
		}
		if (i >= n)
			break;
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (size_t k = 2; k <= need; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/* ------------------------------------------------- tokens and statistics */

static int grep_is_space(unsigned char c)
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
static void grep_acc_grow(grep_acc *a, int64_t fid)
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

/* ---------------------------------------------------------------- scan */

typedef struct grep_scan_state grep_scan_state;

/* One worker thread. */
typedef struct {
	grep_scan_state *s;         /* shared state */
	fs_index *ix;               /* own read-only connection */
	index_ctx_reader *rd;       /* its token and example queries */
	pcre2_match_data *md;       /* match data for the pattern */
	pcre2_match_context *mc;    /* match limits and JIT stack */
	pcre2_jit_stack *js;        /* JIT stack */
	pthread_mutex_t mu;         /* guards acc and the counters below */
	grep_acc acc;               /* per-feature sums of this worker */
	int64_t matches;            /* matches found */
	int64_t ctx_matched;        /* contexts with a match */
	int64_t tok_matched;        /* tokens overlapped by a match */
	size_t *spans;              /* match spans of the current context */
	int nspan, capspan;         /* spans used and allocated (pairs) */
	uint8_t *marked;            /* matched-token flags of the current context */
	int capmarked;              /* bytes allocated in marked */
	int64_t ctx;                /* context being folded (example callback) */
	int rc;                     /* GREP_DONE or an error code */
	char err[512];              /* message when rc < 0 */
	pthread_t th;               /* the thread */
} grep_worker;

struct grep_scan_state {
	const grep_pattern *p;      /* the pattern */
	uint32_t match_limit;       /* per-context PCRE2 match limit */
	int64_t nchunks;            /* chunks 1..nchunks */
	atomic_llong next;          /* next chunk id to take */
	atomic_ullong bytes_done;   /* text bytes scanned */
	atomic_llong chunks_done;   /* chunks scanned */
	atomic_int stop;            /* set by a worker on error */
	atomic_int *cancel;         /* the caller's cancel flag, may be NULL */
	pthread_mutex_t mu;         /* guards running */
	pthread_cond_t cv;          /* signalled when a worker ends */
	int running;                /* workers still running */
};

/* Contexts per whole-text prefilter call (see grep_scan_chunk). */
#define GREP_FILTER_WINDOW 64

static int grep_stopped(grep_scan_state *s)
{
	return atomic_load(&s->stop) || (s->cancel && atomic_load(s->cancel));
}

static void grep_push_span(grep_worker *w, size_t a, size_t b)
{
	if (w->nspan == w->capspan) {
		w->capspan = w->capspan ? 2 * w->capspan : 64;
		w->spans = xrealloc(w->spans, (size_t)w->capspan * 2 * sizeof *w->spans);
	}
	w->spans[2 * w->nspan] = a;
	w->spans[2 * w->nspan + 1] = b;
	w->nspan++;
}

/* All non-empty matches in one context's text; 0, or an error code. */
static int grep_match_ctx(grep_worker *w, const unsigned char *subj, size_t len,
			  int valid, int64_t ctx)
{
	const grep_pattern *p = w->s->p;
	pcre2_code *code = valid ? p->code : p->code_inv;
	int jit = valid ? p->jit : p->jit_inv;
	uint32_t opts = PCRE2_NOTEMPTY | (valid ? PCRE2_NO_UTF_CHECK : 0);
	int token = (p->flags & GREP_TOKEN) != 0;
	size_t pos = 0;
	w->nspan = 0;
	while (pos <= len) {
		int rc = jit ? pcre2_jit_match(code, subj, len, pos, opts, w->md, w->mc)
			     : pcre2_match(code, subj, len, pos, opts, w->md, w->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(rc, msg, sizeof msg);
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
				snprintf(w->err, sizeof w->err,
					 "pattern hit the match limit in context %lld (%s): "
					 "it backtracks too much; simplify it or raise --match-limit",
					 (long long)ctx, (char *)msg);
				return GREP_ELIMIT;
			}
			snprintf(w->err, sizeof w->err, "matching context %lld: %s",
				 (long long)ctx, (char *)msg);
			return GREP_ERR;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
		size_t a = ov[0], b = ov[1];
		if (b > a)
			grep_push_span(w, a, b);
		/* Next start: after the match, or (for exact token matching,
		 * which must see overlapping candidates) the next character. */
		size_t next = (token || b <= a) ? (a > pos ? a : pos) + 1 : b;
		while (next < len && (subj[next] & 0xC0) == 0x80)
			next++;
		if (next <= pos)
			next = pos + 1;
		pos = next;
	}
	return 0;
}

static void grep_fold_example(void *ud, int64_t fid, const float *acts, int ntok)
{
	grep_worker *w = ud; /* w->mu is held (grep_fold_ctx) */
	grep_acc_example(&w->acc, fid, w->ctx, acts, ntok, w->marked);
}

/* Map a matched context's spans to tokens and fold its examples. */
static int grep_fold_ctx(grep_worker *w, int64_t ctx, const char *text, size_t len)
{
	uint32_t *off = NULL;
	int ntok = index_ctx_reader_toks(w->rd, ctx, (uint32_t)len, &off);
	if (ntok < 0) {
		snprintf(w->err, sizeof w->err, "context %lld: no token boundaries: %s",
			 (long long)ctx, index_errmsg(w->ix));
		return GREP_ERR;
	}
	if (ntok + 1 > w->capmarked) {
		w->capmarked = ntok + 64;
		w->marked = xrealloc(w->marked, (size_t)w->capmarked);
	}
	int nm = grep_mark_tokens(w->spans, w->nspan, off, ntok, text,
				  (w->s->p->flags & GREP_TOKEN) != 0, w->marked);
	free(off);
	/* one lock for the context and its examples (the merging thread
	 * takes it to read the sums) */
	pthread_mutex_lock(&w->mu);
	w->matches += w->nspan;
	w->ctx_matched++;
	w->tok_matched += nm;
	w->ctx = ctx;
	int ne = nm ? index_ctx_reader_examples(w->rd, ctx, ntok, grep_fold_example, w) : 0;
	pthread_mutex_unlock(&w->mu);
	if (ne < 0) {
		snprintf(w->err, sizeof w->err, "examples of context %lld: %s",
			 (long long)ctx, index_errmsg(w->ix));
		return GREP_ERR;
	}
	return 0;
}

/* Match context i of a chunk exactly and fold it when it matches. */
static int grep_do_ctx(grep_worker *w, const fs_chunk *ch, int i, int valid)
{
	/* Context i is [off[i], off[i + 1] - 1): a NUL follows it. */
	size_t a = ch->off[i], b = ch->off[i + 1] - 1;
	const unsigned char *subj = (const unsigned char *)ch->text + a;
	int v = valid || grep_utf8_valid(subj, b - a);
	int64_t ctx = ch->first_ctx + i;
	int rc = grep_match_ctx(w, subj, b - a, v, ctx);
	if (rc == 0 && w->nspan > 0)
		rc = grep_fold_ctx(w, ctx, (const char *)subj, b - a);
	return rc;
}

/* The context of a chunk holding byte pos (the last with off[i] <= pos). */
static int grep_ctx_at(const fs_chunk *ch, size_t pos)
{
	int lo = 0, hi = ch->n - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (ch->off[mid] <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* One chunk: through the whole-chunk prefilter when the pattern has one
 * (candidate contexts are validated one by one), else one context at a
 * time after validating the whole chunk once. */
static int grep_scan_chunk(grep_worker *w, const fs_chunk *ch)
{
	const grep_pattern *p = w->s->p;
	int valid = 0, i = 0, rc = 0;
	if (!p->filter || p->skip_ascii)
		valid = grep_utf8_valid((const unsigned char *)ch->text, ch->len);
	if (p->filter && (valid || !p->skip_ascii) && ch->n > 0) {
		const unsigned char *t = (const unsigned char *)ch->text;
		size_t pos = 0;
		while (i < ch->n && rc == 0) {
			if (grep_stopped(w->s))
				return 0;
			if (p->lit) {
				pos = grep_lit_find(p->lit, t, pos, ch->len);
				if (pos >= ch->len)
					return 0;
				int c = grep_ctx_at(ch, pos);
				if (c < i)
					c = i;
				rc = grep_do_ctx(w, ch, c, valid);
				i = c + 1;
				if (i < ch->n)
					pos = ch->off[i];
				continue;
			}
			if (p->skip_ascii) {
				/* Try each non-ASCII character, anchored. */
				pos = grep_next_high(t, pos, ch->len);
				if (pos >= ch->len)
					return 0;
				int r = p->jit_anch
					? pcre2_jit_match(p->anch, t, ch->len, pos, PCRE2_NOTEMPTY | PCRE2_NO_UTF_CHECK, w->md, w->mc)
					: pcre2_match(p->anch, t, ch->len, pos, PCRE2_NOTEMPTY | PCRE2_NO_UTF_CHECK, w->md, w->mc);
				if (r == PCRE2_ERROR_NOMATCH) {
					pos++;
					while (pos < ch->len && (t[pos] & 0xC0) == 0x80)
						pos++;
					continue;
				}
				if (r < 0)
					break;
				int c = grep_ctx_at(ch, pos);
				if (c < i)
					c = i;
				rc = grep_do_ctx(w, ch, c, valid);
				i = c + 1;
				if (i < ch->n)
					pos = ch->off[i];
				continue;
			}
			/* The filter runs over windows of GREP_FILTER_WINDOW contexts
			 * (they end after a context's NUL, so no match is cut), so
			 * that cancelling never waits for a whole chunk of heavy
			 * backtracking. */
			int wi = i + GREP_FILTER_WINDOW < ch->n ? i + GREP_FILTER_WINDOW : ch->n;
			size_t wend = wi < ch->n ? ch->off[wi] : ch->len;
			int r = p->jit_filter
				? pcre2_jit_match(p->filter, t, wend, pos, PCRE2_NOTEMPTY, w->md, w->mc)
				: pcre2_match(p->filter, t, wend, pos, PCRE2_NOTEMPTY, w->md, w->mc);
			if (r == PCRE2_ERROR_NOMATCH) {
				if (wi >= ch->n)
					return 0;
				i = wi;
				pos = wend;
				continue;
			}
			if (r < 0)
				break; /* limits and the like: finish one context at a time */
			int c = grep_ctx_at(ch, pcre2_get_ovector_pointer(w->md)[0]);
			if (c < i)
				c = i;
			rc = grep_do_ctx(w, ch, c, valid);
			i = c + 1;
			if (i < ch->n)
				pos = ch->off[i];
		}
	}
	for (; i < ch->n && rc == 0; i++) {
		if ((i & 15) == 15 && grep_stopped(w->s))
			break;
		rc = grep_do_ctx(w, ch, i, valid);
	}
	return rc;
}

static void *grep_worker_main(void *arg)
{
	grep_worker *w = arg;
	grep_scan_state *s = w->s;
	int rc = 0;
	while (rc == 0 && !grep_stopped(s)) {
		int64_t id = atomic_fetch_add(&s->next, 1);
		if (id > s->nchunks)
			break;
		const fs_chunk *ch = index_ctx_reader_chunk(w->rd, id);
		if (!ch) {
			snprintf(w->err, sizeof w->err, "reading text chunk %lld: %s",
				 (long long)id, index_errmsg(w->ix));
			rc = GREP_ERR;
			break;
		}
		rc = grep_scan_chunk(w, ch);
		atomic_fetch_add(&s->bytes_done, (unsigned long long)ch->len);
		atomic_fetch_add(&s->chunks_done, 1);
	}
	w->rc = rc;
	if (rc < 0)
		atomic_store(&s->stop, 1);
	pthread_mutex_lock(&s->mu);
	s->running--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Merge the workers' sums into m and rank them into r. */
static void grep_snapshot(grep_worker *ws, int nw, grep_acc *m, const double *act_mass,
			  const int *sae_of, const grep_opts *o, grep_scan_state *s,
			  double t0, grep_result *r)
{
	memset(r, 0, sizeof *r);
	for (int64_t f = 0; f < m->nfid; f++) {
		m->mass[f] = 0;
		m->fire[f] = m->cover[f] = m->contexts[f] = 0;
	}
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		pthread_mutex_lock(&w->mu);
		if (w->acc.nfid > m->nfid) {
			grep_acc_grow(m, w->acc.nfid - 1);
		}
		for (int64_t f = 0; f < w->acc.nfid; f++) {
			if (!w->acc.cover[f])
				continue;
			m->mass[f] += w->acc.mass[f];
			m->fire[f] += w->acc.fire[f];
			m->cover[f] += w->acc.cover[f];
			m->contexts[f] += w->acc.contexts[f];
		}
		r->matches += w->matches;
		r->ctx_matched += w->ctx_matched;
		r->tok_matched += w->tok_matched;
		pthread_mutex_unlock(&w->mu);
	}
	grep_rank(m, act_mass, sae_of, o->sae, o->sort, o->limit, r);
	r->bytes_done = atomic_load(&s->bytes_done);
	r->chunks_done = atomic_load(&s->chunks_done);
	r->chunks_total = s->nchunks;
	r->seconds = fs_now() - t0;
}

static int grep_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > GREP_MAX_THREADS ? GREP_MAX_THREADS : (int)n;
}

int grep_scan(fs_index *ix, const grep_pattern *p, const grep_opts *o,
	      grep_result *out, char *err, size_t errlen)
{
	double t0 = fs_now();
	grep_scan_state s;
	memset(&s, 0, sizeof s);
	s.p = p;
	s.match_limit = o->match_limit ? o->match_limit : GREP_MATCH_LIMIT;
	s.nchunks = index_n_chunks(ix);
	atomic_init(&s.next, 1);
	atomic_init(&s.bytes_done, 0);
	atomic_init(&s.chunks_done, 0);
	atomic_init(&s.stop, 0);
	s.cancel = o->cancel;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	memset(out, 0, sizeof *out);

	int64_t nfid = 0;
	double *act_mass = NULL;
	int *sae_of = NULL;
	if (index_feature_masses(ix, &nfid, &act_mass, &sae_of) != 0)
		return fs_seterr(err, errlen, "reading features: %s", index_errmsg(ix)), GREP_ERR;
	int64_t total = index_text_bytes(ix);
	if (total < 0)
		total = 0;

	int nw = o->threads > 0 ? o->threads : grep_online_cpus();
	if (nw > GREP_MAX_THREADS)
		nw = GREP_MAX_THREADS;
	if (nw > s.nchunks)
		nw = s.nchunks > 0 ? (int)s.nchunks : 1;
	grep_worker *ws = xcalloc((size_t)nw, sizeof *ws);
	int started = 0, rc = GREP_DONE;
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		char e[256];
		w->s = &s;
		w->ix = index_open(index_path(ix), e, sizeof e);
		if (!w->ix) {
			fs_seterr(err, errlen, "%s", e);
			rc = GREP_ERR;
			break;
		}
		w->rd = index_ctx_reader_open(w->ix);
		if (!w->rd) {
			fs_seterr(err, errlen, "%s: %s", index_path(ix), index_errmsg(w->ix));
			rc = GREP_ERR;
			break;
		}
		w->md = pcre2_match_data_create_from_pattern(p->code, NULL);
		w->mc = pcre2_match_context_create(NULL);
		w->js = pcre2_jit_stack_create(32 * 1024, GREP_JIT_STACK, NULL);
		pcre2_set_match_limit(w->mc, s.match_limit);
		pcre2_set_depth_limit(w->mc, GREP_DEPTH_LIMIT);
		pcre2_jit_stack_assign(w->mc, NULL, w->js);
		pthread_mutex_init(&w->mu, NULL);
		grep_acc_init(&w->acc, nfid);
	}
	if (rc == GREP_DONE) {
		pthread_mutex_lock(&s.mu);
		for (int i = 0; i < nw; i++) {
			if (pthread_create(&ws[i].th, NULL, grep_worker_main, &ws[i]) != 0) {
				atomic_store(&s.stop, 1);
				rc = fs_seterr(err, errlen, "cannot start a thread: %s", strerror(errno));
				break;
			}
			started++;
			s.running++;
		}
		grep_acc merged;
		grep_acc_init(&merged, nfid);
		double iv = o->interval > 0 ? o->interval : 0.1;
		while (s.running > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			long ns = ts.tv_nsec + (long)(iv * 1e9);
			ts.tv_sec += ns / 1000000000L;
			ts.tv_nsec = ns % 1000000000L;
			int w8 = pthread_cond_timedwait(&s.cv, &s.mu, &ts);
			if (w8 == ETIMEDOUT && s.running > 0 && o->on_result && !atomic_load(&s.stop)) {
				pthread_mutex_unlock(&s.mu);
				grep_result pr;
				grep_snapshot(ws, nw, &merged, act_mass, sae_of, o, &s, t0, &pr);
				pr.bytes_total = (uint64_t)total;
				o->on_result(o->ud, &pr, 0);
				grep_result_free(&pr);
				pthread_mutex_lock(&s.mu);
			}
		}
		pthread_mutex_unlock(&s.mu);
		for (int i = 0; i < started; i++)
			pthread_join(ws[i].th, NULL);
		for (int i = 0; i < started && rc == GREP_DONE; i++)
			if (ws[i].rc < 0) {
				rc = ws[i].rc;
				fs_seterr(err, errlen, "%s", ws[i].err);
			}
		if (rc == GREP_DONE) {
			grep_snapshot(ws, nw, &merged, act_mass, sae_of, o, &s, t0, out);
			out->bytes_total = (uint64_t)total;
			if (s.cancel && atomic_load(s.cancel) &&
			    out->chunks_done < out->chunks_total)
				rc = GREP_CANCELLED;
			if (o->on_result)
				o->on_result(o->ud, out, 1);
		}
		grep_acc_free(&merged);
	}
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		index_ctx_reader_close(w->rd);
		if (w->ix)
			index_close(w->ix);
		if (w->md) {
			pcre2_match_data_free(w->md);
			pcre2_match_context_free(w->mc);
			pcre2_jit_stack_free(w->js);
			pthread_mutex_destroy(&w->mu);
			grep_acc_free(&w->acc);
		}
		free(w->spans);
		free(w->marked);
	}
	free(ws);
	free(act_mass);
	free(sae_of);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return rc;
}

/* ------------------------------------------------------ background jobs */

struct grep_job {
	fs_index *ix;               /* the index (its path is all that is used) */
	const grep_pattern *p;      /* the pattern */
	grep_opts o;                /* options (cancel points at ours or the caller's) */
	atomic_int cancel;          /* our cancel flag */
	grep_result res;            /* the final ranking */
	int rc;                     /* grep_scan's return */
	char err[512];              /* its message */
	pthread_t th;               /* the scanning thread */
};

static void *grep_job_main(void *arg)
{
	grep_job *j = arg;
	j->rc = grep_scan(j->ix, j->p, &j->o, &j->res, j->err, sizeof j->err);
	return NULL;
}

grep_job *grep_start(fs_index *ix, const grep_pattern *p, const grep_opts *o)
{
	grep_job *j = xcalloc(1, sizeof *j);
	j->ix = ix;
	j->p = p;
	j->o = *o;
	atomic_init(&j->cancel, 0);
	if (!j->o.cancel)
		j->o.cancel = &j->cancel;
	if (pthread_create(&j->th, NULL, grep_job_main, j) != 0) {
		free(j);
		return NULL;
	}
	return j;
}

void grep_cancel(grep_job *j)
{
	atomic_store(j->o.cancel, 1);
}

int grep_join(grep_job *j, grep_result *out, char *err, size_t errlen)
{
	pthread_join(j->th, NULL);
	int rc = j->rc;
	if (rc < 0)
		fs_seterr(err, errlen, "%s", j->err);
	if (out)
		*out = j->res;
	else
		grep_result_free(&j->res);
	free(j);
	return rc;
}

/* ----------------------------------------------------- substring search */

int grep_substring(fs_index *ix, const char *s, int caseless, int limit,
		   int64_t **ctx, char *err, size_t errlen)
{
	*ctx = NULL;
	grep_pattern *p = grep_compile(s, GREP_LITERAL | (caseless ? GREP_CASELESS : 0), err, errlen);
	if (!p)
		return -1;
	/* An own connection (and reader with reused buffers), as the scan's
	 * workers have: ix may be in use on another thread. */
	fs_index *own = index_open(index_path(ix), err, errlen);
	index_ctx_reader *rd = own ? index_ctx_reader_open(own) : NULL;
	if (!rd) {
		if (own)
			fs_seterr(err, errlen, "%s: %s", index_path(ix), index_errmsg(own));
		index_close(own);
		grep_pattern_free(p);
		return -1;
	}
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
	int n = 0, cap = 0, rc = 0;
	int64_t nch = index_n_chunks(own);
	for (int64_t id = 1; id <= nch && (limit <= 0 || n < limit) && rc == 0; id++) {
		const fs_chunk *ch = index_ctx_reader_chunk(rd, id);
		if (!ch) {
			rc = fs_seterr(err, errlen, "reading text chunk %lld: %s",
				       (long long)id, index_errmsg(own));
			break;
		}
		const unsigned char *t = (const unsigned char *)ch->text;
		for (int i = 0; i < ch->n && (limit <= 0 || n < limit); i++) {
			/* Jump to the next context holding a candidate. */
			size_t pos = ch->off[i], at = ch->len;
			if (p->lit) {
				at = grep_lit_find(p->lit, t, pos, ch->len);
			} else if (p->filter) {
				int r = pcre2_match(p->filter, t, ch->len, pos, 0, md, NULL);
				if (r >= 0)
					at = pcre2_get_ovector_pointer(md)[0];
				else if (r != PCRE2_ERROR_NOMATCH)
					at = pos; /* let the exact match report it */
			} else {
				at = pos;
			}
			if (at >= ch->len)
				break;
			int c = grep_ctx_at(ch, at);
			if (c > i)
				i = c;
			/* The exact test on that context alone. */
			size_t a = ch->off[i], b = ch->off[i + 1] - 1;
			const unsigned char *subj = t + a;
			int v = grep_utf8_valid(subj, b - a);
			int r = pcre2_match(v ? p->code : p->code_inv, subj, b - a, 0,
					    v ? PCRE2_NO_UTF_CHECK : 0, md, NULL);
			if (r >= 0) {
				if (n == cap)
					*ctx = xrealloc(*ctx, (size_t)(cap = cap ? 2 * cap : 64) * sizeof **ctx);
				(*ctx)[n++] = ch->first_ctx + i;
			} else if (r != PCRE2_ERROR_NOMATCH) {
				rc = fs_seterr(err, errlen, "matching context %lld: error %d",
					       (long long)(ch->first_ctx + i), r);
				break;
			}
		}
	}
	pcre2_match_data_free(md);
	index_ctx_reader_close(rd);
	index_close(own);
	grep_pattern_free(p);
	if (rc < 0) {
		free(*ctx);
		*ctx = NULL;
		return -1;
	}
	return n;
}

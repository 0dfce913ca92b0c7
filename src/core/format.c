/*
 * format.c: plain-text rendering of untrusted text (see format.h).
 */
#include "core/format.h"
#include "core/escape.h"

#include <string.h>

void format_escaped(fs_buf *b, const char *s, size_t n)
{
	escape_append(b, s, n, 0);
}

/* Move a byte position back to the start of the UTF-8 character holding it. */
static size_t char_start(const char *t, size_t len, size_t at)
{
	size_t back = 0;
	while (at > 0 && at < len && back < 3 && ((unsigned char)t[at] & 0xc0) == 0x80) {
		at--;
		back++;
	}
	return at;
}

/* Move a byte position forward past continuation bytes. */
static size_t char_end(const char *t, size_t len, size_t at)
{
	size_t fwd = 0;
	while (at < len && fwd < 3 && ((unsigned char)t[at] & 0xc0) == 0x80) {
		at++;
		fwd++;
	}
	return at;
}

/* The position k characters before at (at a character start). */
static size_t chars_back(const char *t, size_t len, size_t at, size_t k)
{
	while (k-- > 0 && at > 0)
		at = char_start(t, len, at - 1);
	return at;
}

/* The position k characters after at (at a character start). */
static size_t chars_fwd(const char *t, size_t len, size_t at, size_t k)
{
	while (k-- > 0 && at < len)
		at = char_end(t, len, at + 1);
	return at;
}

/* Byte span of token mark widened to whole characters. */
static void mark_span(const char *text, size_t len, const uint32_t *tok_off, int mark, size_t *ms, size_t *me)
{
	size_t a = tok_off[mark] < len ? tok_off[mark] : len;
	size_t b = tok_off[mark + 1] < len ? tok_off[mark + 1] : len;
	*ms = char_start(text, len, a);
	*me = char_end(text, len, b < *ms ? *ms : b);
}

void format_token(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off, int ntok, int mark)
{
	buf_add(b, "", 0);
	if (ntok <= 0 || mark < 0 || mark >= ntok || !tok_off)
		return;
	size_t ms, me;
	mark_span(text, len, tok_off, mark, &ms, &me);
	escape_append(b, text + ms, me - ms, 0);
}

void format_context(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off,
		    int ntok, int mark, int width)
{
	size_t half = width > 0 ? (size_t)width / 2 : 40;
	if (ntok <= 0 || mark < 0 || mark >= ntok || !tok_off) {
		size_t e = chars_fwd(text, len, 0, width > 0 ? (size_t)width : 80);
		escape_append(b, text, e, 0);
		if (e < len)
			buf_adds(b, "…");
		return;
	}
	size_t ms, me;
	mark_span(text, len, tok_off, mark, &ms, &me);
	size_t a = chars_back(text, len, ms, half);
	size_t e = chars_fwd(text, len, me, half);
	if (a > 0)
		buf_adds(b, "…");
	escape_append(b, text + a, ms - a, 0);
	buf_adds(b, "«");
	escape_append(b, text + ms, me - ms, 0);
	buf_adds(b, "»");
	escape_append(b, text + me, e - me, 0);
	if (e < len)
		buf_adds(b, "…");
}

void format_sparkline(fs_buf *b, const uint32_t *counts, int n)
{
	static const char *const bars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	uint32_t mx = 0;
	for (int i = 0; i < n; i++)
		if (counts[i] > mx)
			mx = counts[i];
	for (int i = 0; i < n; i++) {
		int lv = mx ? (int)((counts[i] * 8ull + mx - 1) / mx) : 0;
		buf_adds(b, bars[lv]);
	}
}

size_t format_label_cut(const char *s, size_t n, size_t width)
{
	if (n <= width)
		return n;
	size_t best = 0;
	char q = 0; /* the open quote, 0 outside one */
	for (size_t i = 0; i < n;) {
		if (!q && i < width)
			best = i; /* s[0..i) is whole: a cut here leaves no quote open */
		unsigned char c = (unsigned char)s[i];
		if (q) {
			if (c == '\\' && i + 1 < n) {
				i += 2;
				continue;
			}
			if (c == (unsigned char)q &&
			    (i + 1 == n || strchr(",;: )]", s[i + 1])))
				q = 0;
		} else if ((c == '\'' || c == '"') && (i == 0 || strchr(" ,:([", s[i - 1])))
			q = (char)c;
		int l = utf8_len((const unsigned char *)s + i, n - i);
		i += l ? (size_t)l : 1;
	}
	while (best > 0 && strchr(" ,;", s[best - 1]))
		best--;
	return best;
}

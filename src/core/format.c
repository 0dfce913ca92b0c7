/*
 * format.c: plain-text rendering of untrusted text (see format.h).
 */
#include "core/format.h"

#include <string.h>

/* Code points that change how text is laid out or hide it. */
static int invisible(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
	       cp == 0x061c || (cp >= 0x80 && cp < 0xa0) || cp == 0xad || (cp >= 0xfff9 && cp <= 0xfffb);
}

void format_escaped(fs_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_add(b, "", 0); /* NUL-terminated even when nothing is appended */
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (c == '\n')
				buf_adds(b, "\\n");
			else if (c == '\t')
				buf_adds(b, "\\t");
			else if (c == '\r')
				buf_adds(b, "\\r");
			else if (c == '\\')
				buf_adds(b, "\\\\");
			else if (c < 0x20 || c == 0x7f)
				buf_printf(b, "\\x%02x", c);
			else
				buf_addc(b, (char)c);
			i++;
			continue;
		}
		int l = utf8_len(p + i, n - i);
		if (!l) {
			buf_printf(b, "\\x%02x", c);
			i++;
			continue;
		}
		uint32_t cp = utf8_decode(p + i, l);
		if (invisible(cp))
			buf_printf(b, "<U+%04X>", cp);
		else
			buf_add(b, p + i, (size_t)l);
		i += (size_t)l;
	}
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

void format_context(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off,
		    int ntok, int mark, int width)
{
	if (ntok <= 0 || mark < 0 || mark >= ntok) {
		format_escaped(b, text, len < (size_t)width ? len : (size_t)width);
		return;
	}
	size_t ms = char_start(text, len, tok_off[mark]);
	size_t me = tok_off[mark + 1];
	while (me < len && ((unsigned char)text[me] & 0xc0) == 0x80)
		me++;
	size_t half = width > 0 ? (size_t)width / 2 : 40;
	size_t a = ms > half ? char_start(text, len, ms - half) : 0;
	size_t e = me + half < len ? char_start(text, len, me + half) : len;
	if (a > 0)
		buf_adds(b, "…");
	format_escaped(b, text + a, ms - a);
	buf_adds(b, "«");
	format_escaped(b, text + ms, me - ms);
	buf_adds(b, "»");
	format_escaped(b, text + me, e - me);
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

/*
 * escape.c: the one escaping rule (see escape.h): the table of code points
 * shown escaped, and the function that decides each unit of text.
 */
#include "core/escape.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* Valid code points that are shown escaped: they control the terminal,
 * reorder or hide text, or take no column where a terminal and curses may
 * disagree. Sorted, not overlapping (escape_codepoint searches it). */
static const struct {
	uint32_t lo, hi; /* inclusive range */
} esc_table[] = {
	{0x0080, 0x009f},   /* C1 controls (CSI, OSC, ...) */
	{0x00ad, 0x00ad},   /* soft hyphen */
	{0x034f, 0x034f},   /* combining grapheme joiner */
	{0x0600, 0x0605},   /* Arabic number signs (format) */
	{0x061c, 0x061c},   /* Arabic letter mark (bidi) */
	{0x06dd, 0x06dd},   /* Arabic end of ayah (format) */
	{0x070f, 0x070f},   /* Syriac abbreviation mark (format) */
	{0x0890, 0x0891},   /* Arabic pound/piastre marks above (format) */
	{0x08e2, 0x08e2},   /* Arabic disputed end of ayah (format) */
	{0x115f, 0x1160},   /* Hangul choseong/jungseong fillers (invisible) */
	{0x17b4, 0x17b5},   /* Khmer inherent vowels (invisible) */
	{0x180b, 0x180f},   /* Mongolian variation selectors, vowel separator */
	{0x200b, 0x200f},   /* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{0x2028, 0x202e},   /* line/paragraph separators, LRE RLE PDF LRO RLO */
	{0x2060, 0x206f},   /* word joiner, invisible operators, LRI RLI FSI PDI, deprecated format */
	{0x3164, 0x3164},   /* Hangul filler */
	{0xfeff, 0xfeff},   /* zero-width no-break space (BOM) */
	{0xffa0, 0xffa0},   /* halfwidth Hangul filler */
	{0xfff0, 0xfffb},   /* unassigned specials, interlinear annotation */
	{0x110bd, 0x110bd}, /* Kaithi number sign (format) */
	{0x110cd, 0x110cd}, /* Kaithi number sign above (format) */
	{0x13430, 0x1343f}, /* Egyptian hieroglyph format controls */
	{0x1bca0, 0x1bca3}, /* shorthand format controls */
	{0x1d173, 0x1d17a}, /* musical symbol format controls */
	{0xe0000, 0xe0fff}, /* tags and other default-ignorable planes */
};

int escape_codepoint(uint32_t cp)
{
	size_t lo = 0, hi = sizeof esc_table / sizeof esc_table[0];
	if (cp < 0x80)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < esc_table[mid].lo)
			hi = mid;
		else if (cp > esc_table[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

size_t escape_unit(const char *s, size_t n, size_t pos, unsigned flags, char out[ESC_MAX], uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s + pos;
	unsigned c = p[0];
	out[0] = 0;
	*cp = c;
	if (c < 0x80) {
		if (c == '\n' && !(flags & ESC_KEEP_NL))
			strcpy(out, "\\n");
		else if (c == '\t' && !(flags & ESC_KEEP_TAB))
			strcpy(out, "\\t");
		else if (c == '\r')
			strcpy(out, "\\r");
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			snprintf(out, ESC_MAX, "\\x%02x", c);
		else if (c == '\\' && (flags & ESC_REVERSIBLE))
			strcpy(out, "\\\\");
		return 1;
	}
	int l = utf8_len(p, n - pos);
	if (!l) {
		snprintf(out, ESC_MAX, "\\x%02x", c);
		return 1;
	}
	*cp = utf8_decode(p, l);
	if (escape_codepoint(*cp)) {
		if (!(flags & ESC_REVERSIBLE))
			snprintf(out, ESC_MAX, "<U+%04X>", (unsigned)(*cp & 0x1fffff));
		else if (*cp > 0xffff)
			snprintf(out, ESC_MAX, "\\U%08x", (unsigned)(*cp & 0x1fffff));
		else
			snprintf(out, ESC_MAX, "\\u%04x", (unsigned)(*cp & 0xffff));
	}
	return (size_t)l;
}

void escape_append(fs_buf *b, const char *s, size_t n, unsigned flags)
{
	buf_add(b, "", 0); /* NUL-terminated even when nothing is appended */
	size_t raw = 0;    /* start of the run of raw bytes not yet appended */
	for (size_t i = 0; i < n;) {
		char e[ESC_MAX];
		uint32_t cp;
		size_t l = escape_unit(s, n, i, flags, e, &cp);
		if (e[0]) {
			buf_add(b, s + raw, i - raw);
			buf_adds(b, e);
			raw = i + l;
		}
		i += l;
	}
	buf_add(b, s + raw, n - raw);
}

char *escape_dup(const char *s, size_t n)
{
	fs_buf b = {0};
	escape_append(&b, s, n, 0);
	return b.p;
}

const char *escape_strn(const char *s, size_t n)
{
	static fs_buf ring[ESC_RING];
	static unsigned next;
	fs_buf *b = &ring[next++ % ESC_RING];
	b->len = 0;
	escape_append(b, s ? s : "", s ? n : 0, 0);
	return b->p;
}

const char *escape_str(const char *s)
{
	return escape_strn(s, s ? strlen(s) : 0);
}

int escape_columns(const char *s)
{
	size_t n = strlen(s);
	int cols = 0;
	for (size_t pos = 0; pos < n;) {
		char out[ESC_MAX];
		uint32_t cp;
		size_t l = escape_unit(s, n, pos, 0, out, &cp);
		if (out[0]) {
			cols += (int)strlen(out);
		} else {
			int w = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
			cols += w < 0 ? 1 : w;
		}
		pos += l;
	}
	return cols;
}

/*
 * draw.h: width-aware drawing of untrusted text. Bytes from an index are
 * decoded into glyphs: printable characters (with their combining marks,
 * measured with wcwidth, so CJK takes two columns) or an escaped form for
 * everything that must never reach the terminal raw (control characters
 * and escape sequences as \x1b, \n, \t; bidi overrides and other
 * invisible or unprintable code points as <U+202E>; invalid UTF-8 bytes as
 * \xff). The decoding and the context layout (token activations mapped to
 * glyphs, byte-level tokens joined) are pure functions the unit tests call;
 * the draw_* functions put them on the curses screen, clipped to a width.
 */
#ifndef FS_DRAW_H
#define FS_DRAW_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* One glyph of decoded text. */
typedef struct {
	size_t off, len;  /* source bytes it covers */
	wchar_t wc[5];    /* base character and combining marks, 0-terminated; empty when escaped */
	char esc[12];     /* escaped form ("\x1b", "<U+202E>"), "" when printable */
	int width;        /* display columns */
} draw_glyph;

/* Decode the glyph at s[pos] (pos < n); returns the position after it. */
size_t draw_glyph_next(const char *s, size_t n, size_t pos, draw_glyph *g);
/* Display width of s[0..n) as draw_text shows it. */
int draw_width(const char *s, size_t n);

/* A glyph of a context with its activation, for heat-coloured text. */
typedef struct {
	draw_glyph g;   /* the glyph */
	float act;      /* max activation of the tokens overlapping its bytes */
	int tok;        /* first token overlapping it (-1 none) */
} draw_cell;

/* Decode a context into cells. tok_off has ntok + 1 byte offsets; acts
 * has ntok values (NULL: all zero). A multi-byte character split across
 * byte-level tokens becomes one cell with the max of their activations.
 * Returns a malloc'd array, *ncells set. */
draw_cell *draw_context_cells(const char *text, size_t len, const uint32_t *tok_off,
			      int ntok, const float *acts, int *ncells);
/* Index of the cell holding token tok's first byte (0 when none). */
int draw_cell_of_token(const draw_cell *c, int n, const uint32_t *tok_off, int ntok, int tok);
/* Heat level 0..TERM_HEAT_LEVELS-1 of act relative to max. */
int draw_heat_level(float act, float max);
/* The block character (U+2581..U+2588 or space) for row `row` (0 = the
 * bottom) of a bar of height frac (0..1) drawn `rows` rows high. */
wchar_t draw_block(double frac, int row, int rows);

/* Flags for draw_text. */
enum { DRAW_PAD = 1, DRAW_ELLIPSIS = 2 };
/* Draw s (UTF-8, untrusted) at (y, x) in at most w columns with colour
 * class cls; escapes in TC_ESCAPE. Returns the columns used. */
int draw_text(int y, int x, int w, const char *s, int cls, int flags);
/* printf-style draw_text (for our own strings). */
int draw_printf(int y, int x, int w, int cls, int flags, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Fill w columns with spaces in cls. */
void draw_fill(int y, int x, int w, int cls);
/* Draw cells [from, ...) of a context at (y, x) in w columns, coloured by
 * activation relative to max; tokens: alternate underline per token.
 * Returns the index of the first cell not drawn. */
int draw_cells(int y, int x, int w, const draw_cell *c, int n, int from, float max, int tokens);
/* A token as a list of tokens shows it (logit effects), into out
 * (malloc'd): space as U+2423, tab as U+21E5, newline as U+21B5, so a
 * whitespace token is visible; a byte that belongs to a UTF-8 character
 * cut across byte-level tokens as <E3..> (it starts a character) or
 * <..8A> (it continues one); anything else as it is (draw_text escapes). */
char *draw_token_readable(const char *tok, size_t len);
/* A density (a fraction of tokens) as every screen prints it: a
 * percentage in plain decimals, two significant digits below 0.01%
 * ("0.0035%"), "-" when unknown. */
void draw_density(double d, char *out, size_t len);
/* Heat legend "0 [ramp] max" in w columns; returns columns used. */
int draw_legend(int y, int x, int w, float max);

#endif

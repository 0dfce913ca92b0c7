/*
 * escape.h: the one rule for text that must never reach a terminal raw.
 *
 * Every byte that comes from data or from a user, on every output (the
 * command line, the TUI, every export format, error messages, JSON), is
 * decided here, one unit (a UTF-8 character, or a lone byte that is not
 * one) at a time:
 *   - C0 controls: newline, tab and carriage return as \n \t \r (newline
 *     and tab raw where the output allows them: ESC_KEEP_NL, ESC_KEEP_TAB),
 *     the others as \xHH;
 *   - DEL and bytes that are not valid UTF-8: \xHH;
 *   - the code points of one table (C1 controls, bidi embeddings,
 *     overrides, isolates and marks, zero-width characters including
 *     ZWJ/ZWNJ, U+00AD, U+2060, the line and paragraph separators and the
 *     other invisible format characters): <U+XXXX>;
 *   - everything else raw. Backslashes are not doubled (but see
 *     ESC_REVERSIBLE for files that are read back).
 * JSON output (core/json.h) uses the same table and writes those code
 * points as \uXXXX.
 */
#ifndef FS_ESCAPE_H
#define FS_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Flags of escape_unit / escape_append. */
enum {
	ESC_KEEP_NL = 1,  /* newline written raw (multi-line outputs) */
	ESC_KEEP_TAB = 2, /* tab written raw */
	ESC_REVERSIBLE = 4, /* for data files that are read back (TSV export):
	                       backslash doubled and table code points as
	                       \uXXXX (\UXXXXXXXX above U+FFFF), so that every
	                       escape starts with a backslash and undoes exactly */
};

/* Room for the longest escaped form ("<U+10FFFF>") and its NUL. */
#define ESC_MAX 12

/* 1 when the valid code point cp is in the table of code points that are
 * shown escaped (C1, bidi, zero-width, format characters); 0 otherwise
 * (C0 and DEL are decided by escape_unit). */
int escape_codepoint(uint32_t cp);

/* Decide the unit at s[pos] (pos < n): returns its length in bytes (at
 * least 1) and writes its escaped form into out, or "" when it is written
 * raw. *cp gets its code point (the byte itself when it is not UTF-8). */
size_t escape_unit(const char *s, size_t n, size_t pos, unsigned flags, char out[ESC_MAX], uint32_t *cp);

/* Append s[0..n) to b under the rule; b stays NUL-terminated. */
void escape_append(fs_buf *b, const char *s, size_t n, unsigned flags);
/* escape_append into a new NUL-terminated string (malloc'd). */
char *escape_dup(const char *s, size_t n);
/* s[0..n) escaped by the rule into one of ESC_RING buffers used in turn,
 * for a message or a printf: the result stays valid until ESC_RING more
 * calls (hold it longer with escape_dup). NULL is "". Not for threads:
 * the ring is the calling program's, used from its main thread. */
#define ESC_RING 8
const char *escape_strn(const char *s, size_t n);
/* escape_strn of the NUL-terminated s (NULL is ""). */
const char *escape_str(const char *s);
/* Terminal columns that s (NUL-terminated) takes once escaped by the rule:
 * an escaped unit its escape's length, a character its wcwidth in the
 * current locale (one when the locale does not know it), so that columns
 * of text with CJK or Hangul line up. */
int escape_columns(const char *s);

#endif

/*
 * format.h: plain-text rendering shared by the command-line output and
 * export: escaping of bytes that must never reach a terminal raw (control
 * characters, escape sequences, bidi overrides, invalid UTF-8), and one-line
 * context excerpts centred on a token, with that token marked «like this».
 */
#ifndef FS_FORMAT_H
#define FS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Append bytes to b escaped by the one rule of core/escape.h (newline
 * and tab escaped too): escape_append(b, s, n, 0). */
void format_escaped(fs_buf *b, const char *s, size_t n);

/* Append a one-line excerpt of a context: token `mark` widened to whole
 * characters (a character split across byte-level tokens is shown whole),
 * wrapped in « », with width / 2 characters on each side, all escaped.
 * Elided ends are shown as "…". Without a mark (mark < 0), the first
 * `width` characters. */
void format_context(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off,
		    int ntok, int mark, int width);

/* Append the escaped text of token `mark` widened to whole characters (the
 * part format_context wraps in « »); nothing when there is no such token. */
void format_token(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off, int ntok, int mark);

/* Where to cut label s[0..n) to show at most width bytes: n when it fits;
 * else the largest cut below width that splits neither a UTF-8 character
 * nor a quoted item ('...' or "..." opened after a space, ',', ':', '(' or
 * '[', a backslash escaping inside), with the separators before it
 * (spaces, ',', ';') left off; the caller adds "…" when the cut is below n. */
size_t format_label_cut(const char *s, size_t n, size_t width);

/* Append a histogram of counts as Unicode block characters ▁..█. */
void format_sparkline(fs_buf *b, const uint32_t *counts, int n);

#endif

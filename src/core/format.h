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

/* Append bytes to b with every control character shown as \n, \t, \r or
 * \xHH, invalid UTF-8 bytes as \xHH, and bidi controls, zero-width and
 * other invisible format characters as <U+XXXX>. */
void format_escaped(fs_buf *b, const char *s, size_t n);

/* Append a one-line excerpt of a context: about `width` bytes of text
 * around token `mark` (whole characters, escaped), the token wrapped in
 * « ». Elided ends are shown as "…". */
void format_context(fs_buf *b, const char *text, size_t len, const uint32_t *tok_off,
		    int ntok, int mark, int width);

/* Append a histogram of counts as Unicode block characters ▁..█. */
void format_sparkline(fs_buf *b, const uint32_t *counts, int n);

#endif

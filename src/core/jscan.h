/*
 * jscan.h: a small validating JSON scanner over text in memory (strict
 * grammar, UTF-8 checked, strings decoded on request). For the hot paths
 * that must not build a jansson tree of a whole file: the importers'
 * activation rows and big documents, and attribution graphs' links.
 * Functions return 0, or -1 on anything they do not accept; the cursor is
 * then somewhere inside the bad value (callers report its line, or let
 * jansson give the precise message).
 */
#ifndef FS_JSCAN_H
#define FS_JSCAN_H

#include "core/util.h"

typedef struct {
	const char *p;      /* cursor */
	const char *end;    /* end of the text */
	fs_buf str;         /* decoded strings, appended when asked */
} jscan;

void jscan_ws(jscan *c);                  /* skip white space */
int jscan_string(jscan *c, int keep);     /* a string, decoded into str when keep */
/* A string, its text in *s and *n: a pointer into the text itself when the
 * string is plain (printable ASCII, no escape), else decoded into str (str
 * cleared first). */
int jscan_string_ref(jscan *c, const char **s, size_t *n);
int jscan_number(jscan *c, double *v);    /* a number (strict grammar), within a float's range */
int jscan_lit(jscan *c, const char *w);   /* true, false or null */
int jscan_skip(jscan *c, int depth);      /* any value, checked (nesting up to 64) */

#endif

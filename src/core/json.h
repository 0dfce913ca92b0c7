/*
 * json.h: the one JSON writer of every command (jw_: JSON writer, on top
 * of jansson). Strings are always emitted: bytes that are not valid UTF-8
 * become the text \xHH (as escape.h writes them), so a key is never
 * dropped; on output, C0 controls, DEL and every code point of the
 * escaping table (C1 controls, bidi controls, zero-width and format
 * characters) are written as \uXXXX, so a terminal that shows the file
 * interprets none of them. Other characters are written as UTF-8.
 * Beside it, jr_object: the one way a config file's JSON object is read
 * (errors name the file and line).
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A JSON string from any bytes (NULL gives ""). */
json_t *jw_strn(const char *s, size_t n);
/* jw_strn of a NUL-terminated string (NULL gives ""). */
json_t *jw_str(const char *s);
/* A number, or null when it is not finite. */
json_t *jw_num(double v);

/* Output styles. */
enum {
	JW_PRETTY = 0,  /* indented by two, one document (the commands) */
	JW_COMPACT = 1, /* one line (export's one feature per line) */
};

/* The text of j in style (JW_*) with reals to prec significant digits
 * (0: jansson's shortest exact form), escaped as above; malloc'd, NULL
 * when out of memory. Does not release j. */
char *jw_dumps(const json_t *j, int style, int prec);
/* Write j to f with a newline and release it; 0, or -1 on a write error. */
int jw_print(FILE *f, json_t *j, int style, int prec);

/* Reading: the JSON object that is the whole of text (a config file's
 * content; name for messages), jansson flags as json_loadb's. NULL with
 * "NAME:LINE: bad JSON: ..." or "NAME: not a JSON object" in err. */
json_t *jr_object(const char *name, const char *text, size_t len, size_t flags, char *err, size_t errlen);

#endif

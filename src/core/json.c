/*
 * json.c: the JSON writer (see json.h).
 */
#include "core/json.h"
#include "core/escape.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

json_t *jw_strn(const char *s, size_t n)
{
	if (!s)
		return json_string("");
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	/* not UTF-8: each byte that is not part of a character as \xHH */
	const unsigned char *p = (const unsigned char *)s;
	fs_buf b = {0};
	buf_add(&b, "", 0);
	for (size_t i = 0; i < n;) {
		int l = utf8_len(p + i, n - i);
		if (l) {
			buf_add(&b, p + i, (size_t)l);
			i += (size_t)l;
		} else {
			buf_printf(&b, "\\x%02x", p[i]);
			i++;
		}
	}
	j = json_stringn(b.p, b.len);
	buf_free(&b);
	return j;
}

json_t *jw_str(const char *s)
{
	return jw_strn(s, s ? strlen(s) : 0);
}

json_t *jw_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

char *jw_dumps(const json_t *j, int style, int prec)
{
	size_t flags = (style == JW_COMPACT ? JSON_COMPACT : JSON_INDENT(2)) | JSON_ENCODE_ANY;
	if (prec > 0)
		flags |= JSON_REAL_PRECISION(prec);
	char *s = json_dumps(j, flags);
	if (!s)
		return NULL;
	/* jansson writes valid UTF-8 and escapes C0 itself; outside strings
	 * everything is ASCII, so each character found here is in a string */
	fs_buf b = {0};
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), raw = 0;
	buf_add(&b, "", 0);
	for (size_t i = 0; i < n;) {
		int l = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);
		if (l == 0)
			l = 1;
		uint32_t cp = l == 1 ? p[i] : utf8_decode(p + i, l);
		if (cp == 0x7f || escape_codepoint(cp)) {
			buf_add(&b, s + raw, i - raw);
			if (cp >= 0x10000)
				buf_printf(&b, "\\u%04X\\u%04X", (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
					   (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
			else
				buf_printf(&b, "\\u%04X", (unsigned)cp);
			raw = i + (size_t)l;
		}
		i += (size_t)l;
	}
	buf_add(&b, s + raw, n - raw);
	free(s);
	return b.p;
}

int jw_print(FILE *f, json_t *j, int style, int prec)
{
	char *s = jw_dumps(j, style, prec);
	json_decref(j);
	if (!s)
		return -1;
	int rc = fputs(s, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
	free(s);
	return rc;
}

json_t *jr_object(const char *name, const char *text, size_t len, size_t flags, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, flags, &je);
	if (!root) {
		fs_seterr(err, errlen, "%s:%d: bad JSON: %s", name, je.line, fs_msg_clean(je.text));
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		fs_seterr(err, errlen, "%s: not a JSON object", name);
		return NULL;
	}
	return root;
}

/*
 * jscan.c: a small validating JSON scanner over text in memory (strict
 * grammar, UTF-8 checked, strings decoded on request), for the hot paths
 * that must not build a tree: the importers' activation rows and big
 * single-document files (import/json_scan.c), attribution graphs' links
 * (graph/graph_load.c). Declared in core/jscan.h.
 */
#include "core/jscan.h"

#include <stdlib.h>
#include <string.h>

#include "core/number.h"
#include "core/util.h"


void jscan_ws(jscan *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p, uint32_t *v)
{
	uint32_t r = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		r = r * 16 + (uint32_t)d;
	}
	*v = r;
	return 0;
}

/* A string at the cursor, decoded and appended to c->str when keep. */
int jscan_string(jscan *c, int keep)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	for (;;) {
		const char *q = c->p;
		while (q < c->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
			q++;
		if (keep && q > c->p)
			buf_add(&c->str, c->p, (size_t)(q - c->p));
		c->p = q;
		if (q >= c->end)
			return -1;
		unsigned char ch = (unsigned char)*q;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch >= 0x80) {
			int l = utf8_len((const unsigned char *)q, (size_t)(c->end - q));
			if (!l)
				return -1;
			if (keep)
				buf_add(&c->str, q, (size_t)l);
			c->p += l;
			continue;
		}
		/* an escape */
		if (q + 1 >= c->end)
			return -1;
		char e = q[1], out;
		c->p += 2;
		switch (e) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (c->end - c->p < 4 || hex4(c->p, &cp) != 0)
				return -1;
			c->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || hex4(c->p + 2, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				c->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			if (cp == 0)
				return -1; /* NUL inside a token: leave it to jansson */
			if (keep) {
				char u[4];
				buf_add(&c->str, u, (size_t)utf8_encode(cp, u));
			}
			continue;
		}
		default:
			return -1;
		}
		if (keep)
			buf_addc(&c->str, out);
	}
}

static int scan_number(jscan *c, double *v, int check);

/* A JSON number at the cursor (strict grammar); -1 also for one beyond a
 * float (the readers' checks then judge it through jansson). */
int jscan_number(jscan *c, double *v)
{
	return scan_number(c, v, 1);
}

/* The same; check 0: any number (skipping a value, sniffing a format). */
static int scan_number(jscan *c, double *v, int check)
{
	const char *q = c->p;
	if (q < c->end && *q == '-')
		q++;
	if (q >= c->end || !(*q >= '0' && *q <= '9'))
		return -1;
	if (*q == '0')
		q++;
	else
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	if (q < c->end && *q == '.') {
		q++;
		if (q >= c->end || !(*q >= '0' && *q <= '9'))
			return -1;
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < c->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < c->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= c->end || !(*q >= '0' && *q <= '9'))
			return -1;
		while (q < c->end && *q >= '0' && *q <= '9')
			q++;
	}
	/* strtod on a copy: the text may be a mapping with no NUL after it */
	size_t n = (size_t)(q - c->p);
	if (n == 1 && *c->p == '0') {
		*v = 0;
	} else {
		char tmp[64];
		if (n >= sizeof tmp)
			return -1; /* absurdly long: let jansson judge it */
		memcpy(tmp, c->p, n);
		tmp[n] = 0;
		*v = strtod(tmp, NULL);
		if (check && !number_float_ok(*v))
			return -1; /* beyond a float: jansson and the reader's checks judge it */
	}
	c->p = q;
	return 0;
}

int jscan_lit(jscan *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Skip any value, checking its syntax (depth-limited). */
int jscan_skip(jscan *c, int depth)
{
	jscan_ws(c);
	if (c->p >= c->end || depth > 64)
		return -1;
	double d;
	switch (*c->p) {
	case '"':
		return jscan_string(c, 0);
	case 't': return jscan_lit(c, "true");
	case 'f': return jscan_lit(c, "false");
	case 'n': return jscan_lit(c, "null");
	case '[':
	case '{': {
		char close = *c->p == '[' ? ']' : '}';
		int obj = close == '}';
		c->p++;
		jscan_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				jscan_ws(c);
				if (jscan_string(c, 0) != 0)
					return -1;
				jscan_ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return -1;
			}
			if (jscan_skip(c, depth + 1) != 0)
				return -1;
			jscan_ws(c);
			if (c->p >= c->end)
				return -1;
			if (*c->p == ',') {
				c->p++;
				continue;
			}
			if (*c->p++ != close)
				return -1;
			return 0;
		}
	}
	default:
		return scan_number(c, &d, 0);
	}
}

/*
 * jscan.c: a small validating JSON scanner over text in memory (strict
 * grammar, UTF-8 checked, strings decoded on request), for the hot paths
 * that must not build a tree: the importers' activation rows and big
 * single-document files (import/json_scan.c), attribution graphs' links
 * (graph/graph_load.c). Declared in core/jscan.h.
 */
#include "core/jscan.h"

#include <float.h>
#include <stdint.h>
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

int jscan_string_ref(jscan *c, const char **s, size_t *n)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	const char *q = c->p + 1;
	while (q < c->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
		q++;
	if (q < c->end && *q == '"') {
		*s = c->p + 1;
		*n = (size_t)(q - *s);
		c->p = q + 1;
		return 0;
	}
	c->str.len = 0;
	if (jscan_string(c, 1) != 0)
		return -1;
	*s = c->str.p ? c->str.p : "";
	*n = c->str.len;
	return 0;
}

static int scan_number(jscan *c, double *v, int check);

/* The value of the plain decimal p[0..e) (grammar already checked: a sign,
 * digits, a fraction; no exponent) when it is exact the quick way: at most
 * 2^53 once the point is dropped, and at most 22 digits after the point.
 * Then the integer and the power of ten are both exact doubles and one
 * division rounds their quotient correctly, the value strtod gives
 * (Clinger's fast path). 0 when it does not apply (strtod then). */
static int fast_decimal(const char *p, const char *e, double *v)
{
#if FLT_EVAL_METHOD == 0
	static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	int neg = *p == '-', digits = 0, frac = -1;
	uint64_t m = 0;
	for (p += neg; p < e; p++) {
		if (*p == '.') {
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || ++digits > 19)
			return 0;
		m = m * 10 + (uint64_t)(*p - '0');
		frac += frac >= 0;
	}
	if (m > (1ull << 53) || frac > 22)
		return 0;
	double d = (double)m / p10[frac < 0 ? 0 : frac];
	*v = neg ? -d : d;
	return 1;
#else
	(void)p, (void)e, (void)v;
	return 0; /* extended precision arithmetic would round twice */
#endif
}

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
	} else if (fast_decimal(c->p, q, v)) {
		/* exact: no float-range check needed below 2^53 */
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

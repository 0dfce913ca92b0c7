/*
 * json_scan.c: walking big single-document JSON files element by element
 * (imp_json_stream), with jansson parsing one element at a time, and
 * sniffing a JSON file's keys; both on the validating scanner of
 * core/jscan.h. Declared in import_int.h.
 */
#include "import/import_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/input.h"
#include "core/number.h"
#include "core/util.h"


/* Lines up to p, counted from *from (advanced), added to *line. */
static void count_lines(const char **from, const char *p, long *line)
{
	const char *q = *from;
	while (q < p && (q = memchr(q, '\n', (size_t)(p - q)))) {
		(*line)++;
		q++;
	}
	*from = p;
}

int imp_json_stream(imp_state *st, const char *path, const char *big, imp_elem_fn fn, void *ctx,
		    json_t **top_out, int *found)
{
	size_t pl = strlen(path), len = 0;
	char *heap = NULL;
	const char *text = NULL;
	void *map = NULL;
	*found = 0;
	if (top_out)
		*top_out = NULL;
	if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
		heap = input_slurp(path, &len, st->err, st->errlen);
		if (!heap)
			return -1;
		text = heap;
	} else {
		int fd = open(path, O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) != 0) {
			fs_seterr(st->err, st->errlen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		len = (size_t)sb.st_size;
		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				fs_seterr(st->err, st->errlen, "%s: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
			text = map;
		} else {
			text = "";
		}
		close(fd);
	}
	/* pass 1: the top-level members; everything but BIG is parsed */
	json_t *top = json_object();
	jscan c = {text, text + len, {0}};
	const char *big_at = NULL, *big_end = NULL;
	int ok = 0, rc = 0;
	jscan_ws(&c);
	if (c.p < c.end && *c.p == '{') {
		c.p++;
		jscan_ws(&c);
		ok = 1;
		if (c.p < c.end && *c.p == '}')
			c.p++;
		else
			for (;;) {
				jscan_ws(&c);
				c.str.len = 0;
				if (jscan_string(&c, 1) != 0) {
					ok = 0;
					break;
				}
				char *key = xstrndup(c.str.p ? c.str.p : "", c.str.len);
				jscan_ws(&c);
				if (c.p >= c.end || *c.p++ != ':') {
					free(key);
					ok = 0;
					break;
				}
				jscan_ws(&c);
				const char *v0 = c.p;
				if (jscan_skip(&c, 0) != 0) {
					free(key);
					ok = 0;
					break;
				}
				if (!strcmp(key, big) && (*v0 == '[' || *v0 == '{')) {
					big_at = v0;
					big_end = c.p;
				} else {
					json_t *v = json_loadb(v0, (size_t)(c.p - v0), JSON_DECODE_ANY, NULL);
					if (!v) {
						free(key);
						ok = 0;
						break;
					}
					json_object_set_new(top, key, v);
				}
				free(key);
				jscan_ws(&c);
				if (c.p < c.end && *c.p == ',') {
					c.p++;
					continue;
				}
				if (c.p >= c.end || *c.p++ != '}')
					ok = 0;
				break;
			}
		jscan_ws(&c);
		if (c.p != c.end)
			ok = 0;
	}
	buf_free(&c.str);
	if (!ok) {
		/* the scanner refused it: jansson gives the message, or (for the
		 * little it accepts that the scanner does not) the whole tree */
		json_decref(top);
		big_at = NULL;
		json_error_t je;
		top = json_loadb(text, len, 0, &je);
		if (!top) {
			rc = imp_bad(st, path, je.line, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
			goto out;
		}
		if (!json_is_object(top)) {
			rc = imp_bad(st, path, 0, "top level", "not a JSON object");
			goto out;
		}
		json_t *b = json_object_get(top, big);
		if (json_is_array(b) || json_is_object(b)) {
			*found = 1;
			if (json_is_array(b))
				for (size_t i = 0; rc == 0 && i < json_array_size(b); i++)
					rc = fn(st, ctx, top, i, NULL, json_array_get(b, i), 0);
			else {
				const char *k;
				json_t *v;
				size_t i = 0;
				json_object_foreach(b, k, v) {
					if ((rc = fn(st, ctx, top, i++, k, v, 0)) != 0)
						break;
				}
			}
		} else if (b) {
			*found = 1;
			rc = imp_bad(st, path, 0, big, "not an array or object");
		}
		goto out;
	}
	/* pass 2: BIG's members, one at a time */
	if (big_at) {
		*found = 1;
		int obj = *big_at == '{';
		jscan e = {big_at + 1, big_end, {0}};
		const char *counted = text;
		long line = 1;
		size_t i = 0;
		jscan_ws(&e);
		while (rc == 0 && e.p < e.end && *e.p != (obj ? '}' : ']')) {
			char *key = NULL;
			if (obj) {
				e.str.len = 0;
				jscan_string(&e, 1);
				key = xstrndup(e.str.p ? e.str.p : "", e.str.len);
				jscan_ws(&e);
				e.p++; /* ':' (checked in pass 1) */
				jscan_ws(&e);
			}
			const char *v0 = e.p;
			jscan_skip(&e, 0);
			count_lines(&counted, v0, &line);
			json_error_t je;
			json_t *v = json_loadb(v0, (size_t)(e.p - v0), JSON_DECODE_ANY, &je);
			if (!v)
				rc = imp_bad(st, path, line + je.line - 1, "JSON", "column %d: %s", je.column, fs_msg_clean(je.text));
			else
				rc = fn(st, ctx, top, i++, key, v, line);
			if (v)
				json_decref(v);
			free(key);
			jscan_ws(&e);
			if (e.p < e.end && *e.p == ',')
				e.p++;
			jscan_ws(&e);
		}
		buf_free(&e.str);
	}
out:
	if (top_out && rc == 0)
		*top_out = top;
	else if (top)
		json_decref(top);
	if (map)
		munmap(map, len);
	free(heap);
	return rc;
}

/* ------------------------------------------------------------ sniffing */

static void add_key(char ***v, int *n, const char *k, size_t len)
{
	if (*n >= 256)
		return;
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrndup(k, len);
}

/* Keys of the object at the cursor into v (as far as the text goes);
 * elem: also the keys of the first object element of the first member
 * whose value is an array (or, for a top-level array, of its first
 * element). 0 when the whole value was well formed, -1 when the text
 * ended or broke first. */
static int sniff_object(jscan *c, char ***v, int *n, char ***ev, int *en)
{
	c->p++;
	jscan_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		jscan_ws(c);
		c->str.len = 0;
		if (jscan_string(c, 1) != 0)
			return -1;
		add_key(v, n, c->str.p ? c->str.p : "", c->str.len);
		jscan_ws(c);
		if (c->p >= c->end || *c->p++ != ':')
			return -1;
		jscan_ws(c);
		if (ev && !*en && c->p < c->end && *c->p == '[') {
			jscan e = *c;
			e.str = (fs_buf){0};
			e.p++;
			jscan_ws(&e);
			if (e.p < e.end && *e.p == '{')
				sniff_object(&e, ev, en, NULL, NULL);
			buf_free(&e.str);
		}
		if (jscan_skip(c, 0) != 0)
			return -1;
		jscan_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p >= c->end || *c->p++ != '}')
			return -1;
		return 0;
	}
}

void imp_sniff_json(imp_sniff *s)
{
	jscan c = {s->head, s->head + s->n, {0}};
	jscan_ws(&c);
	s->top = c.p < c.end ? *c.p : 0;
	/* the first line alone: a complete object (JSON Lines) or not */
	const char *nl = memchr(c.p, '\n', (size_t)(c.end - c.p));
	if (s->top == '{') {
		jscan l = {c.p, nl ? nl : c.end, {0}};
		s->line1_object = jscan_skip(&l, 0) == 0;
		if (s->line1_object) {
			jscan_ws(&l);
			s->line1_object = l.p == l.end;
		}
	}
	if (s->top == '{') {
		int whole = sniff_object(&c, &s->keys, &s->nkeys, &s->elem_keys, &s->n_elem_keys) == 0;
		/* well formed as far as it goes: the text ended, not the grammar */
		s->json_doc = whole || c.p >= c.end;
		if (!s->json_doc) {
			/* what the scanner does not follow (deep nesting), jansson may */
			json_t *root = json_loadb(s->head, s->n, 0, NULL);
			if (json_is_object(root)) {
				imp_sniff_free(s);
				const char *k;
				json_t *v;
				json_object_foreach(root, k, v) {
					add_key(&s->keys, &s->nkeys, k, strlen(k));
					json_t *e0 = json_array_get(v, 0);
					if (!s->n_elem_keys && json_is_object(e0)) {
						const char *k2;
						json_t *v2;
						json_object_foreach(e0, k2, v2)
							add_key(&s->elem_keys, &s->n_elem_keys, k2, strlen(k2));
					}
				}
				s->json_doc = 1;
			}
			json_decref(root);
		}
	} else if (s->top == '[') {
		jscan e = c;
		e.p++;
		jscan_ws(&e);
		if (e.p < e.end && *e.p == '{')
			sniff_object(&e, &s->elem_keys, &s->n_elem_keys, NULL, NULL);
		buf_free(&e.str);
		s->json_doc = jscan_skip(&c, 0) == 0 || c.p >= c.end;
	}
	buf_free(&c.str);
}

static int has_key(char **v, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i], key))
			return 1;
	return 0;
}

int imp_sniff_has(const imp_sniff *s, const char *key)
{
	return has_key(s->keys, s->nkeys, key);
}

int imp_sniff_elem_has(const imp_sniff *s, const char *key)
{
	return has_key(s->elem_keys, s->n_elem_keys, key);
}

void imp_sniff_free(imp_sniff *s)
{
	for (int i = 0; i < s->nkeys; i++)
		free(s->keys[i]);
	for (int i = 0; i < s->n_elem_keys; i++)
		free(s->elem_keys[i]);
	free(s->keys);
	free(s->elem_keys);
	s->keys = s->elem_keys = NULL;
	s->nkeys = s->n_elem_keys = 0;
}

/*
 * tensor.c: TEMPORARY minimal .npy reader (little-endian f4/f2, C order)
 * so the builder works until the importers area brings the full reader.
 */
#include "tensor.h"
#include "input.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int tensor_npy_header(const uint8_t *p, size_t n, fs_tensor *t, int *dtype, size_t *data_off,
		      char *err, size_t errlen)
{
	if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
		return fs_seterr(err, errlen, "not a .npy file");
	size_t hl = p[6] == 1 ? (size_t)(p[8] | (p[9] << 8)) : 0;
	if (p[6] != 1 || 10 + hl > n)
		return fs_seterr(err, errlen, "header: unsupported version or truncated");
	char *h = xstrndup((const char *)p + 10, hl);
	int rc = 0;
	if (strstr(h, "'<f4'"))
		*dtype = 4;
	else if (strstr(h, "'<f2'"))
		*dtype = 2;
	else
		rc = fs_seterr(err, errlen, "descr: only <f4 and <f2 are supported");
	if (!rc && strstr(h, "True"))
		rc = fs_seterr(err, errlen, "fortran_order: not supported");
	char *sh = strstr(h, "'shape'");
	sh = sh ? strchr(sh, '(') : NULL;
	t->ndim = 0;
	while (!rc && sh && *sh && *sh != ')' && t->ndim < 4) {
		sh++;
		char *e;
		long long v = strtoll(sh, &e, 10);
		if (e == sh)
			break;
		t->shape[t->ndim++] = v;
		sh = e;
		while (*sh == ' ' || *sh == ',')
			sh++;
		sh--;
	}
	if (!rc && t->ndim == 0)
		rc = fs_seterr(err, errlen, "shape: missing");
	free(h);
	*data_off = 10 + hl;
	return rc;
}

int tensor_load(const char *path, const char *name, fs_tensor *t, char *err, size_t errlen)
{
	(void)name;
	memset(t, 0, sizeof *t);
	size_t n;
	char e2[256];
	uint8_t *p = (uint8_t *)input_slurp(path, &n, e2, sizeof e2);
	if (!p)
		return fs_seterr(err, errlen, "%s", e2);
	int dtype;
	size_t off;
	if (tensor_npy_header(p, n, t, &dtype, &off, e2, sizeof e2) != 0) {
		free(p);
		return fs_seterr(err, errlen, "%s: %s", path, e2);
	}
	size_t count = 1;
	for (int i = 0; i < t->ndim; i++)
		count *= (size_t)t->shape[i];
	if (off + count * (size_t)dtype > n) {
		free(p);
		return fs_seterr(err, errlen, "%s: data: truncated", path);
	}
	t->data = xmalloc(sizeof(float) * count);
	for (size_t i = 0; i < count; i++) {
		if (dtype == 4)
			memcpy(&t->data[i], p + off + 4 * i, 4);
		else
			t->data[i] = f16_to_f32((uint16_t)(p[off + 2 * i] | (p[off + 2 * i + 1] << 8)));
	}
	t->name = xstrdup("");
	free(p);
	return 0;
}

void tensor_free(fs_tensor *t)
{
	free(t->data);
	free(t->name);
	memset(t, 0, sizeof *t);
}

/*
 * tensor.c: readers for the two weight-file formats interpretability tools
 * write: NumPy .npy (format versions 1, 2 and 3) and safetensors. Files are
 * mapped read-only; every size and offset in a header is checked against
 * the file's size (with overflow checks) before any data is touched, and
 * values are converted to f32 (from f32, f16, bf16 or f64) in row-major
 * order. Integer tensors (for activation caches) are read element by
 * element through the raw safetensors interface at the end of tensor.h.
 */
#include "nn/tensor.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest header we accept (safetensors and .npy): generous for thousands
 * of tensor entries, small enough to refuse a garbage length. */
#define TENSOR_MAX_HEADER (100u << 20)

/* ---------------------------------------------------------------- dtypes */

static const struct {
	int code;           /* TENSOR_* */
	const char *st;     /* safetensors name */
	const char *npy;    /* NumPy descr without the byte-order mark */
	int size;           /* bytes per element */
} dtypes[] = {
	{TENSOR_F32, "F32", "f4", 4}, {TENSOR_F16, "F16", "f2", 2},
	{TENSOR_BF16, "BF16", NULL, 2}, {TENSOR_F64, "F64", "f8", 8},
	{TENSOR_I8, "I8", "i1", 1}, {TENSOR_U8, "U8", "u1", 1},
	{TENSOR_I16, "I16", "i2", 2}, {TENSOR_U16, "U16", "u2", 2},
	{TENSOR_I32, "I32", "i4", 4}, {TENSOR_U32, "U32", "u4", 4},
	{TENSOR_I64, "I64", "i8", 8}, {TENSOR_U64, "U64", "u8", 8},
};

int tensor_dtype_size(int dtype)
{
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (dtypes[i].code == dtype)
			return dtypes[i].size;
	return 0;
}

const char *tensor_dtype_name(int dtype)
{
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (dtypes[i].code == dtype)
			return dtypes[i].st;
	return "?";
}

void tensor_shape_str(const int64_t *shape, int nd, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < nd && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, i ? ", %lld" : "%lld", (long long)shape[i]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

static int is_float_dtype(int dtype)
{
	return dtype == TENSOR_F32 || dtype == TENSOR_F16 || dtype == TENSOR_BF16 ||
	       dtype == TENSOR_F64;
}

static uint64_t rd_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

float tensor_get_f32(int dtype, const uint8_t *data, size_t i)
{
	switch (dtype) {
	case TENSOR_F32: {
		uint32_t b = (uint32_t)rd_le(data + 4 * i, 4);
		float f;
		memcpy(&f, &b, 4);
		return f;
	}
	case TENSOR_F16:
		return f16_to_f32((uint16_t)rd_le(data + 2 * i, 2));
	case TENSOR_BF16:
		return bf16_to_f32((uint16_t)rd_le(data + 2 * i, 2));
	case TENSOR_F64: {
		uint64_t b = rd_le(data + 8 * i, 8);
		double d;
		memcpy(&d, &b, 8);
		return (float)d;
	}
	default:
		return (float)tensor_get_i64(dtype, data, i);
	}
}

int64_t tensor_get_i64(int dtype, const uint8_t *data, size_t i)
{
	switch (dtype) {
	case TENSOR_I8: return (int8_t)data[i];
	case TENSOR_U8: return data[i];
	case TENSOR_I16: return (int16_t)(uint16_t)rd_le(data + 2 * i, 2);
	case TENSOR_U16: return (int64_t)rd_le(data + 2 * i, 2);
	case TENSOR_I32: return (int32_t)(uint32_t)rd_le(data + 4 * i, 4);
	case TENSOR_U32: return (int64_t)rd_le(data + 4 * i, 4);
	case TENSOR_I64:
	case TENSOR_U64: return (int64_t)rd_le(data + 8 * i, 8);
	default: {
		/* a float where ids belong (hostile file): clamp, as the cast of
		 * NaN or an out-of-range value is undefined */
		float f = tensor_get_f32(dtype, data, i);
		return f != f ? 0 : f >= 9.2e18f ? INT64_MAX : f <= -9.2e18f ? INT64_MIN : (int64_t)f;
	}
	}
}

size_t tensor_first_bad(const float *v, size_t n)
{
	/* a branch-free pass over blocks (vectorised), the position found
	 * only in a block that has a bad value */
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		int bad = 0;
		for (size_t j = 0; j < 64; j++)
			bad |= !(fabsf(v[i + j]) <= TENSOR_WEIGHT_MAX);
		if (bad)
			break;
	}
	for (; i < n; i++)
		if (!(fabsf(v[i]) <= TENSOR_WEIGHT_MAX))
			return i;
	return n;
}

int tensor_check_weights(const char *file, const char *name, const float *v, size_t n, char *err, size_t errlen)
{
	size_t i = tensor_first_bad(v, n);
	if (i == n)
		return 0;
	return fs_seterr(err, errlen, "%s: %s: element %zu is %g (weights must be finite numbers within +-%g)", file,
			 name, i, (double)v[i], (double)TENSOR_WEIGHT_MAX);
}

/* Product of the shape in elements and in bytes, -1 on overflow. */
static int shape_bytes(const int64_t *shape, int ndim, int esize, uint64_t *count, uint64_t *bytes)
{
	uint64_t c = 1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0)
			return -1;
		if (__builtin_mul_overflow(c, (uint64_t)shape[i], &c))
			return -1;
	}
	uint64_t b;
	if (__builtin_mul_overflow(c, (uint64_t)esize, &b))
		return -1;
	if (b > (uint64_t)SIZE_MAX / 2)
		return -1;
	*count = c;
	*bytes = b;
	return 0;
}

/* ------------------------------------------------------------ mapping */

typedef struct {
	const uint8_t *p;   /* mapped bytes (NULL for an empty file) */
	size_t n;           /* file size */
} tensor_map;

static int map_file(const char *path, tensor_map *m, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return fs_seterr(err, errlen, "%s: is a directory", path);
	}
	m->n = (size_t)st.st_size;
	m->p = NULL;
	if (m->n) {
		void *p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		}
		m->p = p;
	}
	close(fd);
	return 0;
}

static void unmap_file(tensor_map *m)
{
	if (m->p)
		munmap((void *)m->p, m->n);
	m->p = NULL;
	m->n = 0;
}

static void convert(fs_tensor *t, int dtype, const uint8_t *data, uint64_t count)
{
	/* values are assembled byte by byte: the data may be unaligned in
	 * the mapping, and this stays correct on any host byte order */
	t->data = xmalloc((size_t)(count ? count : 1) * sizeof(float));
	for (uint64_t i = 0; i < count; i++)
		t->data[i] = tensor_get_f32(dtype, data, (size_t)i);
}

/* ---------------------------------------------------------------- .npy */

/* A tiny scanner over the Python dict literal of a .npy header. */
typedef struct {
	const char *p;   /* cursor */
	const char *end; /* end of the header text */
} npy_scan;

static void npy_ws(npy_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int npy_eat(npy_scan *s, char c)
{
	npy_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

/* A quoted string into out (truncated to outlen-1). */
static int npy_string(npy_scan *s, char *out, size_t outlen)
{
	npy_ws(s);
	if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
		return -1;
	char q = *s->p++;
	size_t k = 0;
	while (s->p < s->end && *s->p != q) {
		if (k + 1 < outlen)
			out[k++] = *s->p;
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	out[k] = 0;
	return 0;
}

int tensor_npy_header(const uint8_t *p, size_t n, fs_tensor *t, int *dtype, size_t *data_off,
		      char *err, size_t errlen)
{
	static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
	if (n < 10 || memcmp(p, magic, 6) != 0)
		return fs_seterr(err, errlen, "magic: not a NumPy .npy file");
	int major = p[6];
	size_t hlen, hstart;
	if (major == 1) {
		hlen = (size_t)rd_le(p + 8, 2);
		hstart = 10;
	} else if (major == 2 || major == 3) {
		if (n < 12)
			return fs_seterr(err, errlen, "header: truncated");
		hlen = (size_t)rd_le(p + 8, 4);
		hstart = 12;
	} else {
		return fs_seterr(err, errlen, "version: unsupported .npy format version %d", major);
	}
	if (hlen > TENSOR_MAX_HEADER || hlen > n - hstart)
		return fs_seterr(err, errlen, "header: length %zu runs past the end of the file", hlen);
	npy_scan s = {(const char *)p + hstart, (const char *)p + hstart + hlen};
	char descr[16] = "";
	int fortran = -1, have_shape = 0;
	int ndim = 0;
	int64_t shape[4] = {0};
	if (!npy_eat(&s, '{'))
		return fs_seterr(err, errlen, "header: not a dictionary");
	while (!npy_eat(&s, '}')) {
		char key[32];
		if (npy_string(&s, key, sizeof key) != 0 || !npy_eat(&s, ':'))
			return fs_seterr(err, errlen, "header: malformed dictionary");
		npy_ws(&s);
		if (strcmp(key, "descr") == 0) {
			if (npy_string(&s, descr, sizeof descr) != 0)
				return fs_seterr(err, errlen, "descr: not a simple type string (structured arrays are not supported)");
		} else if (strcmp(key, "fortran_order") == 0) {
			if ((size_t)(s.end - s.p) >= 4 && memcmp(s.p, "True", 4) == 0) {
				fortran = 1;
				s.p += 4;
			} else if ((size_t)(s.end - s.p) >= 5 && memcmp(s.p, "False", 5) == 0) {
				fortran = 0;
				s.p += 5;
			} else {
				return fs_seterr(err, errlen, "fortran_order: expected True or False");
			}
		} else if (strcmp(key, "shape") == 0) {
			if (!npy_eat(&s, '('))
				return fs_seterr(err, errlen, "shape: expected a tuple");
			while (!npy_eat(&s, ')')) {
				npy_ws(&s);
				int64_t v = 0;
				int digits = 0;
				while (s.p < s.end && *s.p >= '0' && *s.p <= '9') {
					if (v > (INT64_MAX - 9) / 10)
						return fs_seterr(err, errlen, "shape: dimension too large");
					v = v * 10 + (*s.p++ - '0');
					digits++;
				}
				if (s.p < s.end && *s.p == 'L')
					s.p++;
				if (!digits)
					return fs_seterr(err, errlen, "shape: expected a dimension");
				if (ndim == 4)
					return fs_seterr(err, errlen, "shape: more than 4 dimensions");
				shape[ndim++] = v;
				if (!npy_eat(&s, ',')) {
					if (!npy_eat(&s, ')'))
						return fs_seterr(err, errlen, "shape: malformed tuple");
					break;
				}
			}
			have_shape = 1;
		} else {
			return fs_seterr(err, errlen, "header: unexpected key '%s'", key);
		}
		if (!npy_eat(&s, ',')) {
			if (!npy_eat(&s, '}'))
				return fs_seterr(err, errlen, "header: malformed dictionary");
			break;
		}
	}
	if (!descr[0])
		return fs_seterr(err, errlen, "descr: missing");
	if (fortran < 0)
		return fs_seterr(err, errlen, "fortran_order: missing");
	if (fortran)
		return fs_seterr(err, errlen, "fortran_order: column-major arrays are not supported (save with np.ascontiguousarray)");
	if (!have_shape)
		return fs_seterr(err, errlen, "shape: missing");
	if (ndim == 0)
		return fs_seterr(err, errlen, "shape: a scalar, expected 1 or more dimensions");
	const char *d = descr;
	if (*d == '>')
		return fs_seterr(err, errlen, "descr: big-endian '%s' is not supported", descr);
	if (*d == '<' || *d == '=' || *d == '|')
		d++;
	int code = 0;
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (dtypes[i].npy && strcmp(dtypes[i].npy, d) == 0)
			code = dtypes[i].code;
	if (!code)
		return fs_seterr(err, errlen, "descr: unsupported type '%s' (expected <f4, <f2 or <f8)", descr);
	t->ndim = ndim;
	memcpy(t->shape, shape, sizeof shape);
	*dtype = code;
	*data_off = hstart + hlen;
	return 0;
}

int tensor_npy_mem(const uint8_t *p, size_t n, fs_tensor *t, char *err, size_t errlen)
{
	int dtype;
	size_t off;
	if (tensor_npy_header(p, n, t, &dtype, &off, err, errlen) != 0)
		return -1;
	if (!is_float_dtype(dtype))
		return fs_seterr(err, errlen, "descr: integer data, expected floating point");
	uint64_t count, bytes;
	if (shape_bytes(t->shape, t->ndim, tensor_dtype_size(dtype), &count, &bytes) != 0)
		return fs_seterr(err, errlen, "shape: size overflows");
	if (off > n || bytes > n - off)
		return fs_seterr(err, errlen, "data: truncated (%llu bytes needed, %zu present)",
				 (unsigned long long)bytes, off > n ? (size_t)0 : n - off);
	t->name = xstrdup("");
	convert(t, dtype, p + off, count);
	return 0;
}

static int load_npy(const char *path, const tensor_map *m, fs_tensor *t, char *err, size_t errlen)
{
	char e[256];
	if (tensor_npy_mem(m->p, m->n, t, e, sizeof e) != 0)
		return fs_seterr(err, errlen, "%s: %s", path, e);
	return 0;
}

/* ----------------------------------------------------------- safetensors */

struct fs_st_file {
	char *path;        /* for messages */
	tensor_map map;    /* the mapped file */
	json_t *header;    /* parsed JSON header */
	size_t data_start; /* 8 + header length */
};

fs_st_file *tensor_st_open(const char *path, char *err, size_t errlen)
{
	fs_st_file *f = xcalloc(1, sizeof *f);
	if (map_file(path, &f->map, err, errlen) != 0) {
		free(f);
		return NULL;
	}
	f->path = xstrdup(path);
	if (f->map.n < 8) {
		fs_seterr(err, errlen, "%s: header: file too short for a safetensors header", path);
		goto bad;
	}
	uint64_t hlen = rd_le(f->map.p, 8);
	if (hlen > TENSOR_MAX_HEADER || hlen > f->map.n - 8) {
		fs_seterr(err, errlen, "%s: header: length %llu runs past the end of the file (%zu bytes)",
			  path, (unsigned long long)hlen, f->map.n);
		goto bad;
	}
	json_error_t je;
	f->header = json_loadb((const char *)f->map.p + 8, (size_t)hlen, 0, &je);
	if (!f->header) {
		fs_seterr(err, errlen, "%s: header: bad JSON at column %d: %s", path, je.column, fs_msg_clean(je.text));
		goto bad;
	}
	if (!json_is_object(f->header)) {
		fs_seterr(err, errlen, "%s: header: not a JSON object", path);
		goto bad;
	}
	f->data_start = 8 + (size_t)hlen;
	/* every entry must fit the file, not just the one asked for: a
	 * truncated or corrupt file is refused as a whole */
	for (int i = 0; i < tensor_st_count(f); i++) {
		fs_st_info in;
		if (tensor_st_find(f, tensor_st_name(f, i), &in, err, errlen) != 0)
			goto bad;
	}
	return f;
bad:
	tensor_st_close(f);
	return NULL;
}

void tensor_st_close(fs_st_file *f)
{
	if (!f)
		return;
	if (f->header)
		json_decref(f->header);
	unmap_file(&f->map);
	free(f->path);
	free(f);
}

const char *tensor_st_path(const fs_st_file *f)
{
	return f->path;
}

int tensor_st_count(const fs_st_file *f)
{
	int n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(f->header, k, v)
		if (strcmp(k, "__metadata__") != 0)
			n++;
	return n;
}

const char *tensor_st_name(const fs_st_file *f, int i)
{
	const char *k;
	json_t *v;
	json_object_foreach(f->header, k, v) {
		if (strcmp(k, "__metadata__") == 0)
			continue;
		if (i-- == 0)
			return k;
	}
	return NULL;
}

const char *tensor_st_metadata(const fs_st_file *f, const char *key)
{
	json_t *m = json_object_get(f->header, "__metadata__");
	return json_string_value(json_object_get(m, key));
}

int tensor_st_find(const fs_st_file *f, const char *name, fs_st_info *info, char *err, size_t errlen)
{
	const char *path = f->path;
	json_t *e = json_object_get(f->header, name);
	memset(info, 0, sizeof *info);
	if (!e || strcmp(name, "__metadata__") == 0)
		return fs_seterr(err, errlen, "%s: %s: no such tensor", path, name);
	if (!json_is_object(e))
		return fs_seterr(err, errlen, "%s: %s: entry is not an object", path, name);
	const char *dt = json_string_value(json_object_get(e, "dtype"));
	if (!dt)
		return fs_seterr(err, errlen, "%s: %s.dtype: missing", path, name);
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (strcmp(dtypes[i].st, dt) == 0)
			info->dtype = dtypes[i].code;
	if (!info->dtype)
		return fs_seterr(err, errlen, "%s: %s.dtype: unsupported type '%s'", path, name, dt);
	json_t *sh = json_object_get(e, "shape");
	if (!json_is_array(sh))
		return fs_seterr(err, errlen, "%s: %s.shape: missing or not an array", path, name);
	size_t nd = json_array_size(sh);
	if (nd > 4)
		return fs_seterr(err, errlen, "%s: %s.shape: %zu dimensions, at most 4 supported", path, name, nd);
	info->ndim = (int)nd;
	for (size_t i = 0; i < nd; i++) {
		json_t *d = json_array_get(sh, i);
		if (!json_is_integer(d) || json_integer_value(d) < 0)
			return fs_seterr(err, errlen, "%s: %s.shape[%zu]: not a non-negative integer", path, name, i);
		info->shape[i] = json_integer_value(d);
	}
	json_t *off = json_object_get(e, "data_offsets");
	if (!json_is_array(off) || json_array_size(off) != 2 ||
	    !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)))
		return fs_seterr(err, errlen, "%s: %s.data_offsets: expected [begin, end]", path, name);
	json_int_t b = json_integer_value(json_array_get(off, 0));
	json_int_t en = json_integer_value(json_array_get(off, 1));
	size_t avail = f->map.n - f->data_start;
	if (b < 0 || en < b)
		return fs_seterr(err, errlen, "%s: %s.data_offsets: [%lld, %lld] is not a range", path, name,
				 (long long)b, (long long)en);
	if ((uint64_t)en > avail)
		return fs_seterr(err, errlen, "%s: %s.data_offsets: end %lld is past the end of the data (%zu bytes; file truncated?)",
				 path, name, (long long)en, avail);
	uint64_t count, bytes;
	if (shape_bytes(info->shape, info->ndim, tensor_dtype_size(info->dtype), &count, &bytes) != 0)
		return fs_seterr(err, errlen, "%s: %s.shape: size overflows", path, name);
	if (bytes != (uint64_t)(en - b))
		return fs_seterr(err, errlen, "%s: %s.data_offsets: %lld bytes, but shape and dtype need %llu",
				 path, name, (long long)(en - b), (unsigned long long)bytes);
	info->count = (size_t)count;
	info->data = f->map.p + f->data_start + b;
	return 0;
}

static int load_safetensors(const char *path, const char *name, fs_tensor *t, char *err, size_t errlen)
{
	fs_st_file *f = tensor_st_open(path, err, errlen);
	if (!f)
		return -1;
	const char *want = name;
	if (!want) {
		if (json_object_get(f->header, "W_dec"))
			want = "W_dec";
		else if (tensor_st_count(f) == 1)
			want = tensor_st_name(f, 0);
		else {
			fs_buf names = {0};
			for (int i = 0; i < tensor_st_count(f) && i < 8; i++)
				buf_printf(&names, "%s%s", i ? ", " : "", tensor_st_name(f, i));
			fs_seterr(err, errlen, "%s: tensor: no W_dec and %d tensors (%s); name one",
				  path, tensor_st_count(f), names.p ? names.p : "none");
			buf_free(&names);
			tensor_st_close(f);
			return -1;
		}
	}
	fs_st_info in;
	if (tensor_st_find(f, want, &in, err, errlen) != 0) {
		tensor_st_close(f);
		return -1;
	}
	if (!is_float_dtype(in.dtype)) {
		fs_seterr(err, errlen, "%s: %s.dtype: %s, expected F32, F16, BF16 or F64", path, want,
			  tensor_dtype_name(in.dtype));
		tensor_st_close(f);
		return -1;
	}
	if (in.ndim == 0) {
		fs_seterr(err, errlen, "%s: %s.shape: a scalar, expected 1 or more dimensions", path, want);
		tensor_st_close(f);
		return -1;
	}
	t->name = xstrdup(want);
	t->ndim = in.ndim;
	memcpy(t->shape, in.shape, sizeof t->shape);
	convert(t, in.dtype, in.data, in.count);
	tensor_st_close(f);
	return 0;
}

/* ------------------------------------------------------------ public API */

int tensor_load(const char *path, const char *name, fs_tensor *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	tensor_map m;
	if (map_file(path, &m, err, errlen) != 0)
		return -1;
	int rc;
	if (m.n >= 6 && memcmp(m.p, "\x93NUMPY", 6) == 0) {
		rc = load_npy(path, &m, t, err, errlen);
		unmap_file(&m);
	} else {
		unmap_file(&m);
		rc = load_safetensors(path, name, t, err, errlen);
	}
	if (rc != 0)
		tensor_free(t);
	return rc;
}

void tensor_free(fs_tensor *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->data);
	memset(t, 0, sizeof *t);
}

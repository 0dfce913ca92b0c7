/*
 * npz.c: NumPy .npz archives (np.savez: a zip of .npy members), the file
 * Gemma Scope 1 ships its dictionaries in. A small reader of the zip
 * central directory (the end record, zip64's end record and locator when
 * the sizes need them, each member's zip64 extra field), members stored or
 * deflated (zlib, raw inflate). The file is untrusted: every offset and
 * size is checked against the file's size before it is used, the
 * uncompressed size must be what inflate gives, and no member is inflated
 * past the size the directory states.
 */
#include "nn/npz.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* One member of the archive. */
typedef struct {
	char *name;        /* its name, as stored */
	int method;        /* 0 stored, 8 deflate */
	uint64_t csize;    /* compressed size */
	uint64_t usize;    /* uncompressed size */
	uint64_t local;    /* offset of its local header */
} npz_member;

struct fs_npz {
	char *path;        /* for messages */
	FILE *f;           /* the open file */
	uint64_t size;     /* its size */
	npz_member *m;     /* members */
	int n;             /* how many */
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Read n bytes at off into buf: 0, or -1 when the file is shorter. */
static int pread_at(fs_npz *z, uint64_t off, void *buf, size_t n)
{
	if (off > z->size || n > z->size - off)
		return -1;
	if (fseeko(z->f, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, n, z->f) != n)
		return -1;
	return 0;
}

void npz_close(fs_npz *z)
{
	if (!z)
		return;
	for (int i = 0; i < z->n; i++)
		free(z->m[i].name);
	free(z->m);
	if (z->f)
		fclose(z->f);
	free(z->path);
	free(z);
}

/* Values a zip64 extra field replaces (those stored as 0xffffffff), in
 * its order: uncompressed size, compressed size, local header offset. */
static int zip64_extra(const uint8_t *x, size_t n, npz_member *m, int need_u, int need_c, int need_o)
{
	size_t at = 0;
	while (at + 4 <= n) {
		unsigned id = (unsigned)le(x + at, 2), len = (unsigned)le(x + at + 2, 2);
		if (len > n - at - 4)
			return -1;
		if (id == 1) {
			const uint8_t *p = x + at + 4;
			size_t k = 0;
			if (need_u) {
				if (k + 8 > len)
					return -1;
				m->usize = le(p + k, 8), k += 8;
			}
			if (need_c) {
				if (k + 8 > len)
					return -1;
				m->csize = le(p + k, 8), k += 8;
			}
			if (need_o) {
				if (k + 8 > len)
					return -1;
				m->local = le(p + k, 8);
			}
			return 0;
		}
		at += 4 + len;
	}
	return need_u || need_c || need_o ? -1 : 0;
}

fs_npz *npz_open(const char *path, char *err, size_t errlen)
{
	fs_npz *z = xcalloc(1, sizeof *z);
	z->path = xstrdup(path);
	uint8_t *tail = NULL, *cd = NULL;
	z->f = fopen(path, "rb");
	struct stat sb;
	if (!z->f || fstat(fileno(z->f), &sb) != 0) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		fs_seterr(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	z->size = (uint64_t)sb.st_size;
	/* the end record: in the last 22 + 65535 bytes (its comment) */
	size_t tn = z->size < 22 + 65535 ? (size_t)z->size : 22 + 65535;
	tail = xmalloc(tn ? tn : 1);
	if (tn < 22 || pread_at(z, z->size - tn, tail, tn) != 0) {
		fs_seterr(err, errlen, "%s: zip: too short for an archive (%llu bytes)", path,
			  (unsigned long long)z->size);
		goto fail;
	}
	long eo = -1;
	for (long i = (long)tn - 22; i >= 0; i--)
		if (le(tail + i, 4) == 0x06054b50 && le(tail + i + 20, 2) == tn - (size_t)i - 22) {
			eo = i;
			break;
		}
	if (eo < 0) {
		fs_seterr(err, errlen, "%s: zip: no end of central directory record (not an .npz archive)", path);
		goto fail;
	}
	uint64_t eoc = z->size - tn + (uint64_t)eo; /* file offset of the end record */
	uint64_t count = le(tail + eo + 10, 2), cdsize = le(tail + eo + 12, 4), cdoff = le(tail + eo + 16, 4);
	if (count == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) {
		/* zip64: the locator sits just before the end record */
		uint8_t loc[20], e64[56];
		if (eoc < 20 || pread_at(z, eoc - 20, loc, 20) != 0 || le(loc, 4) != 0x07064b50 ||
		    pread_at(z, le(loc + 8, 8), e64, 56) != 0 || le(e64, 4) != 0x06064b50) {
			fs_seterr(err, errlen, "%s: zip: zip64 end record: missing or damaged", path);
			goto fail;
		}
		count = le(e64 + 32, 8);
		cdsize = le(e64 + 40, 8);
		cdoff = le(e64 + 48, 8);
	}
	/* a member's directory entry is at least 46 bytes */
	if (cdoff > z->size || cdsize > z->size - cdoff || count > cdsize / 46 || count > 4096) {
		fs_seterr(err, errlen, "%s: zip: central directory: %llu entries at offset %llu, %llu bytes: "
			  "not inside the file", path, (unsigned long long)count, (unsigned long long)cdoff,
			  (unsigned long long)cdsize);
		goto fail;
	}
	cd = xmalloc(cdsize ? (size_t)cdsize : 1);
	if (pread_at(z, cdoff, cd, (size_t)cdsize) != 0) {
		fs_seterr(err, errlen, "%s: zip: central directory: truncated", path);
		goto fail;
	}
	z->m = xcalloc(count ? (size_t)count : 1, sizeof *z->m);
	size_t at = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (cdsize - at < 46 || le(cd + at, 4) != 0x02014b50) {
			fs_seterr(err, errlen, "%s: zip: central directory entry %llu: bad signature or truncated", path,
				  (unsigned long long)i);
			goto fail;
		}
		const uint8_t *e = cd + at;
		size_t nl = (size_t)le(e + 28, 2), xl = (size_t)le(e + 30, 2), cl = (size_t)le(e + 32, 2);
		if (nl + xl + cl > cdsize - at - 46) {
			fs_seterr(err, errlen, "%s: zip: central directory entry %llu: runs past the directory", path,
				  (unsigned long long)i);
			goto fail;
		}
		npz_member *m = &z->m[z->n++];
		m->name = xmalloc(nl + 1);
		memcpy(m->name, e + 46, nl);
		m->name[nl] = 0;
		m->method = (int)le(e + 10, 2);
		m->csize = le(e + 20, 4);
		m->usize = le(e + 24, 4);
		m->local = le(e + 42, 4);
		if (zip64_extra(e + 46 + nl, xl, m, m->usize == 0xffffffff, m->csize == 0xffffffff,
				m->local == 0xffffffff) != 0) {
			fs_seterr(err, errlen, "%s: zip: member %llu: zip64 sizes missing or damaged", path,
				  (unsigned long long)i);
			goto fail;
		}
		if (le(e + 8, 2) & 1) {
			fs_seterr(err, errlen, "%s: zip: member %llu: encrypted", path, (unsigned long long)i);
			goto fail;
		}
		at += 46 + nl + xl + cl;
	}
	free(tail);
	free(cd);
	return z;
fail:
	free(tail);
	free(cd);
	npz_close(z);
	return NULL;
}

int npz_has(const fs_npz *z, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < z->n; i++)
		if (!strncmp(z->m[i].name, name, n) && !strcmp(z->m[i].name + n, ".npy"))
			return 1;
	return 0;
}

/* The member NAME.npy, or NULL with a message. */
static npz_member *find(fs_npz *z, const char *name, char *err, size_t errlen)
{
	npz_member *m = NULL;
	size_t n = strlen(name);
	for (int i = 0; i < z->n; i++)
		if (!strncmp(z->m[i].name, name, n) && !strcmp(z->m[i].name + n, ".npy"))
			m = &z->m[i];
	if (!m)
		fs_seterr(err, errlen, "%s: %s: missing (no member %s.npy)", z->path, name, name);
	return m;
}

/* The first `limit` bytes (at most its size) of member m, uncompressed,
 * in a new buffer; *got says how many. NULL with a message. */
static uint8_t *member_bytes(fs_npz *z, npz_member *m, const char *name, uint64_t limit, size_t *got, char *err,
			     size_t errlen)
{
	uint8_t lh[30];
	if (pread_at(z, m->local, lh, 30) != 0 || le(lh, 4) != 0x04034b50) {
		fs_seterr(err, errlen, "%s: %s.npy: local header at %llu: missing", z->path, name,
			  (unsigned long long)m->local);
		return NULL;
	}
	uint64_t data = m->local + 30 + le(lh + 26, 2) + le(lh + 28, 2);
	if (data > z->size || m->csize > z->size - data) {
		fs_seterr(err, errlen, "%s: %s.npy: %llu bytes at %llu run past the end of the file", z->path, name,
			  (unsigned long long)m->csize, (unsigned long long)data);
		return NULL;
	}
	if (m->method != 0 && m->method != 8) {
		fs_seterr(err, errlen, "%s: %s.npy: compression method %d (stored or deflate expected)", z->path, name,
			  m->method);
		return NULL;
	}
	if (m->method == 0 && m->csize != m->usize) {
		fs_seterr(err, errlen, "%s: %s.npy: stored with %llu bytes but %llu uncompressed", z->path, name,
			  (unsigned long long)m->csize, (unsigned long long)m->usize);
		return NULL;
	}
	if (m->usize > (uint64_t)SIZE_MAX / 4 || m->csize > (uint64_t)SIZE_MAX / 4) {
		fs_seterr(err, errlen, "%s: %s.npy: %llu bytes is too large", z->path, name, (unsigned long long)m->usize);
		return NULL;
	}
	/* a deflated stream is at most ~1032 times smaller than its output */
	if (m->method == 8 && m->usize / 1032 > m->csize + 1) {
		fs_seterr(err, errlen, "%s: %s.npy: %llu compressed bytes cannot hold %llu", z->path, name,
			  (unsigned long long)m->csize, (unsigned long long)m->usize);
		return NULL;
	}
	uint64_t want = limit < m->usize ? limit : m->usize;
	if (m->method == 0) {
		uint8_t *u = xmalloc(want ? (size_t)want : 1);
		if (pread_at(z, data, u, (size_t)want) != 0) {
			free(u);
			fs_seterr(err, errlen, "%s: %s.npy: read error", z->path, name);
			return NULL;
		}
		*got = (size_t)want;
		return u;
	}
	/* deflated: the compressed bytes a piece at a time, inflated until
	 * `want` bytes are out (all of them: the stream must end there) */
	uint8_t *u = xmalloc(want ? (size_t)want : 1);
	uint8_t *c = xmalloc(1 << 16);
	z_stream st;
	memset(&st, 0, sizeof st);
	int ok = inflateInit2(&st, -15) == Z_OK;
	uint64_t done = 0, fed = 0;
	int zr = Z_OK, whole = want == m->usize;
	/* a whole member: on until the stream's end, which may come after its
	 * last byte is out */
	while (ok && zr == Z_OK && (whole || done < want)) {
		if (st.avail_in == 0 && fed < m->csize) {
			size_t k = m->csize - fed < (1 << 16) ? (size_t)(m->csize - fed) : (1 << 16);
			if (pread_at(z, data + fed, c, k) != 0)
				break;
			fed += k;
			st.next_in = c;
			st.avail_in = (uInt)k;
		}
		uInt out = (uInt)(want - done < (1u << 30) ? want - done : (1u << 30));
		uInt in0 = st.avail_in;
		st.next_out = u + done;
		st.avail_out = out;
		zr = inflate(&st, Z_NO_FLUSH);
		done += out - st.avail_out;
		if (zr == Z_OK && in0 == st.avail_in && out == st.avail_out)
			break; /* no progress */
	}
	if (ok)
		inflateEnd(&st);
	free(c);
	if (!ok || done != want || (whole && zr != Z_STREAM_END) || (!whole && zr != Z_OK && zr != Z_STREAM_END)) {
		free(u);
		fs_seterr(err, errlen, "%s: %s.npy: deflate data damaged or not %llu bytes long", z->path, name,
			  (unsigned long long)m->usize);
		return NULL;
	}
	*got = (size_t)want;
	return u;
}

int npz_read(fs_npz *z, const char *name, fs_tensor *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	npz_member *m = find(z, name, err, errlen);
	size_t n;
	uint8_t *u = m ? member_bytes(z, m, name, UINT64_MAX, &n, err, errlen) : NULL;
	if (!u)
		return -1;
	char e[256];
	int rc = tensor_npy_mem(u, n, t, e, sizeof e);
	free(u);
	if (rc != 0)
		return fs_seterr(err, errlen, "%s: %s.npy: %s", z->path, name, e);
	return 0;
}

int npz_shape(fs_npz *z, const char *name, int64_t shape[4], int *ndim, char *err, size_t errlen)
{
	npz_member *m = find(z, name, err, errlen);
	size_t n;
	/* a .npy header is at most 64 KiB in practice (v1's limit) */
	uint8_t *u = m ? member_bytes(z, m, name, 65536 + 16, &n, err, errlen) : NULL;
	if (!u)
		return -1;
	fs_tensor t;
	memset(&t, 0, sizeof t);
	int dtype;
	size_t off;
	char e[256];
	int rc = tensor_npy_header(u, n, &t, &dtype, &off, e, sizeof e);
	free(u);
	if (rc != 0)
		return fs_seterr(err, errlen, "%s: %s.npy: %s", z->path, name, e);
	*ndim = t.ndim;
	memcpy(shape, t.shape, sizeof t.shape);
	tensor_free(&t);
	return 0;
}

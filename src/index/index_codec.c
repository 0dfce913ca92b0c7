/*
 * index_codec.c: the index's blob codecs, pure functions with no SQL:
 * per-token activations (sparse varint gap + f16 pairs), a context's
 * packed examples, token boundaries (varint byte lengths), and the split
 * of a context's aux record into its boundaries and examples. Exposed for
 * the writer, the readers, tests and fuzz targets.
 */
#include "config.h"
#include "index/index_int.h"

#include <math.h>
#include <string.h>

size_t index_acts_encode(const float *acts, int ntok, uint8_t *out)
{
	size_t n = 0;
	int prev = -1;
	for (int i = 0; i < ntok; i++) {
		if (acts[i] == 0.0f || isnan(acts[i]))
			continue;
		float v = acts[i];
		if (v > 65504.0f)
			v = 65504.0f;
		if (v < -65504.0f)
			v = -65504.0f;
		uint16_t h = f32_to_f16(v);
		if ((h & 0x7fff) == 0)
			h = (uint16_t)((h & 0x8000) | 1); /* keep "fires" visible */
		n += varint_put(out + n, (uint64_t)(i - prev - 1));
		out[n++] = (uint8_t)(h & 0xff);
		out[n++] = (uint8_t)(h >> 8);
		prev = i;
	}
	return n;
}

int index_acts_decode(const uint8_t *p, size_t n, float *acts, int ntok)
{
	if (!p) /* an empty blob column reads as NULL */
		p = (const uint8_t *)"", n = 0;
	for (int i = 0; i < ntok; i++)
		acts[i] = 0.0f;
	size_t at = 0;
	int64_t pos = -1;
	while (at < n) {
		uint64_t gap;
		size_t k = varint_get(p + at, n - at, &gap);
		if (!k || gap >= (uint64_t)ntok)
			return -1;
		at += k;
		pos += (int64_t)gap + 1;
		if (pos >= ntok || at + 2 > n)
			return -1;
		acts[pos] = f16_to_f32((uint16_t)(p[at] | (p[at + 1] << 8)));
		at += 2;
	}
	return 0;
}

void index_ex_put(fs_buf *b, int64_t fid_delta, float max_act, int max_pos,
	    const void *acts, size_t nacts)
{
	uint8_t t[32];
	size_t n = varint_put(t, (uint64_t)fid_delta);
	n += varint_put(t + n, (uint64_t)(max_pos < 0 ? 0 : max_pos));
	uint32_t u;
	memcpy(&u, &max_act, 4);
	for (int i = 0; i < 4; i++)
		t[n++] = (uint8_t)(u >> (8 * i));
	n += varint_put(t + n, (uint64_t)nacts);
	buf_add(b, t, n);
	if (nacts)
		buf_add(b, acts, nacts);
}

int index_ex_next(const uint8_t *p, size_t n, size_t *at, int64_t *fid, fs_ex_entry *e)
{
	if (*at >= n)
		return 0;
	uint64_t d, pos, na;
	size_t k = varint_get(p + *at, n - *at, &d);
	if (!k || d > ((uint64_t)1 << 40))
		return -1;
	*at += k;
	k = varint_get(p + *at, n - *at, &pos);
	if (!k || pos > (1u << 24) || n - *at - k < 4)
		return -1;
	*at += k;
	uint32_t u = 0;
	for (int i = 0; i < 4; i++)
		u |= (uint32_t)p[*at + (size_t)i] << (8 * i);
	*at += 4;
	k = varint_get(p + *at, n - *at, &na);
	if (!k || na > n - *at - k)
		return -1;
	*at += k;
	*fid += (int64_t)d;
	e->fid = *fid;
	e->max_pos = (int)pos;
	memcpy(&e->max_act, &u, 4);
	e->acts = p + *at;
	e->nacts = (size_t)na;
	*at += (size_t)na;
	return 1;
}

size_t index_toks_encode(const uint32_t *off, int ntok, uint8_t *out)
{
	size_t n = 0;
	for (int i = 0; i < ntok; i++)
		n += varint_put(out + n, off[i + 1] - off[i]);
	return n;
}

int index_toks_decode(const uint8_t *p, size_t n, uint32_t *off, int ntok, uint32_t textlen)
{
	if (!p) /* an empty blob column reads as NULL: no arithmetic on it */
		p = (const uint8_t *)"", n = 0;
	size_t at = 0;
	uint64_t sum = 0;
	off[0] = 0;
	for (int i = 0; i < ntok; i++) {
		uint64_t len;
		size_t k = varint_get(p + at, n - at, &len);
		if (!k)
			return -1;
		at += k;
		sum += len;
		if (sum > textlen)
			return -1;
		off[i + 1] = (uint32_t)sum;
	}
	return (at == n && sum == textlen) ? 0 : -1;
}

/* Record bounds o[0], o[1] from an aux blob of total bytes holding n
 * records lie after its offset table and inside the blob. */
int index_aux_span_ok(const uint32_t o[2], uint64_t total, int n)
{
	return o[0] <= o[1] && o[1] <= total && o[0] >= ((uint64_t)n + 1) * 4;
}

int index_aux_split(const fs_buf *b, aux_rec *r)
{
	const uint8_t *p = (const uint8_t *)b->p;
	size_t n = b->len, at = 0, k;
	uint64_t ntok, nt;
	if (!(k = varint_get(p, n, &ntok)) || ntok > (1u << 24))
		return -1;
	at += k;
	if (!(k = varint_get(p + at, n - at, &nt)) || nt > n - at - k)
		return -1;
	at += k;
	r->ntok = (int)ntok;
	r->toks = p + at;
	r->ntoks = (size_t)nt;
	r->ex = p + at + nt;
	r->nex = n - at - (size_t)nt;
	return 0;
}

/*
 * fuzz-codecs.c: libFuzzer target for the index blob codecs (index.h):
 * index_acts_decode (sparse varint-gap/f16 activations), index_toks_decode (varint
 * token lengths) and index_ex_next (a context's packed examples). The first
 * bytes give ntok and the text length; the rest is the blob, as a hostile
 * index would store it. A blob that decodes must give in-range offsets and
 * re-encode to something that decodes the same.
 */
#include "index/index.h"
#include "fuzz-common.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	int ntok = (data[0] | (data[1] << 8)) & 0x3fff; /* up to 16383 tokens */
	uint32_t textlen = (uint32_t)(data[2] | (data[3] << 8)) * 7u;
	const uint8_t *p = data + 4;
	size_t n = size - 4;

	float *acts = malloc(sizeof(float) * ((size_t)ntok + 1));
	float *acts2 = malloc(sizeof(float) * ((size_t)ntok + 1));
	uint8_t *enc = malloc((size_t)ntok * 5 + 16);
	uint32_t *off = malloc(sizeof(uint32_t) * ((size_t)ntok + 1));
	uint32_t *off2 = malloc(sizeof(uint32_t) * ((size_t)ntok + 1));
	if (!acts || !acts2 || !enc || !off || !off2)
		abort();

	if (index_acts_decode(p, n, acts, ntok) == 0) {
		/* Round trip: values survive up to f16 rounding of what was f16. */
		size_t m = index_acts_encode(acts, ntok, enc);
		if (m > (size_t)ntok * 5 || index_acts_decode(enc, m, acts2, ntok) != 0)
			abort();
		for (int i = 0; i < ntok; i++)
			if (isfinite(acts[i]) && acts[i] != 0 && acts2[i] == 0)
				abort(); /* a firing token must stay visible */
	}
	if (index_toks_decode(p, n, off, ntok, textlen) == 0) {
		if (off[0] != 0 || off[ntok] != textlen)
			abort();
		for (int i = 0; i < ntok; i++)
			if (off[i] > off[i + 1])
				abort();
		size_t m = index_toks_encode(off, ntok, enc);
		if (index_toks_decode(enc, m, off2, ntok, textlen) != 0 ||
		    memcmp(off, off2, sizeof(uint32_t) * ((size_t)ntok + 1)) != 0)
			abort();
	}
	/* Packed examples: every entry stays inside the blob, feature ids
	 * only grow, and re-packing what was read reads back the same. */
	size_t at = 0, at2 = 0;
	int64_t fid = 0, fid2 = 0;
	fs_ex_entry e, e2;
	fs_buf again = {0};
	int k;
	while ((k = index_ex_next(p, n, &at, &fid, &e)) == 1) {
		if (e.acts < p || e.acts + e.nacts > p + n || at > n || e.fid < 0)
			abort();
		index_ex_put(&again, e.fid - fid2, e.max_act, e.max_pos, e.acts, e.nacts);
		if (index_ex_next((const uint8_t *)again.p, again.len, &at2, &fid2, &e2) != 1 ||
		    e2.fid != e.fid || e2.max_pos != e.max_pos || e2.nacts != e.nacts ||
		    memcmp(e2.acts, e.acts, e.nacts) != 0 || memcmp(&e2.max_act, &e.max_act, 4) != 0)
			abort();
	}
	buf_free(&again);
	free(acts);
	free(acts2);
	free(enc);
	free(off);
	free(off2);
	return 0;
}

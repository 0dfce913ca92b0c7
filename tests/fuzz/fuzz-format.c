/*
 * fuzz-format.c: libFuzzer target for the terminal-safe text rendering
 * (src/core/format.h): format_escaped and format_context on arbitrary bytes
 * with fuzz-chosen token offsets. The output must never hold a control
 * byte (C0, DEL), a C1 control, a bidi override or invalid UTF-8: that is
 * the promise the command-line output and export rely on.
 */
#include "core/format.h"
#include "core/util.h"
#include "fuzz-common.h"

/* abort() when the rendered text could act on a terminal. */
static void check_safe(const fs_buf *b)
{
	const unsigned char *p = (const unsigned char *)b->p;
	size_t n = b->len;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			abort();
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		int l = utf8_len(p + i, n - i);
		if (!l)
			abort(); /* invalid UTF-8 reached the output */
		uint32_t cp = utf8_decode(p + i, l);
		if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || (cp >= 0x200b && cp <= 0x200f))
			abort();
		i += (size_t)l;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	/* data[0]: number of tokens (0..31); data[1]: marked token; data[2]: width */
	int ntok = data[0] & 31;
	int mark = (int)data[1] - 2;
	int width = data[2];
	const uint8_t *body = data + 3;
	size_t n = size - 3;
	/* Token boundaries: split the text into ntok slices at byte positions
	 * taken from the text itself (arbitrary, possibly mid-character). */
	uint32_t off[33];
	off[0] = 0;
	for (int i = 1; i < ntok; i++) {
		uint32_t want = n ? (uint32_t)((body[(size_t)i % n] * n) / 256) : 0;
		off[i] = want < off[i - 1] ? off[i - 1] : want;
	}
	off[ntok] = (uint32_t)n;
	char *text = fuzz_cstr(body, n);

	fs_buf b = {0};
	format_escaped(&b, text, n);
	check_safe(&b);
	b.len = 0;
	format_context(&b, text, n, off, ntok, mark, width);
	check_safe(&b);
	buf_free(&b);
	free(text);
	return 0;
}

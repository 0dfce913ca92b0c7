/*
 * unit-rel.c: regression tests for crashes and hostile-input bugs found by
 * the fuzz targets in tests/fuzz/ (each check names the target that found
 * it): undefined float-to-integer casts, error messages that echoed raw
 * control bytes, a stale escaping buffer, codec overflows and npy shapes.
 */
#include "build/build.h"
#include "core/format.h"
#include "index/index.h"
#include "nn/tensor.h"
#include "tok/tokens.h"
#include "import/import.h"
#include "unit.h"
#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True when s holds a byte that would act on a terminal or break a line. */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int main(void)
{
	/* fuzz-safetensors: ids read from a float tensor cast out of range */
	float f[4] = {2.82161e+23f, NAN, -INFINITY, 3.0f};
	CHECK(tensor_get_i64(TENSOR_F32, (const uint8_t *)f, 0) == INT64_MAX,
	      "safetensors: huge float as an id clamps to INT64_MAX");
	CHECK(tensor_get_i64(TENSOR_F32, (const uint8_t *)f, 1) == 0, "safetensors: NaN as an id is 0");
	CHECK(tensor_get_i64(TENSOR_F32, (const uint8_t *)f, 2) == INT64_MIN,
	      "safetensors: -inf as an id clamps to INT64_MIN");
	CHECK(tensor_get_i64(TENSOR_F32, (const uint8_t *)f, 3) == 3, "safetensors: 3.0 as an id is 3");

	/* fuzz-jsonl: jansson quotes the bad input; the message must stay one
	 * escaped line */
	char err[512];
	static const char bad1[] = "{\"tokens\": [\"\\u20\ne\"]}";
	CHECK(build_parse_line(bad1, sizeof bad1 - 1, 0, err, sizeof err) != 0 && !has_control(err),
	      "jsonl: bad escape before a newline: message on one line");
	static const char bad2[] = "{\"tokens\": [\"a\\u\x1b]0;pwned\x07\"]}";
	CHECK(build_parse_line(bad2, sizeof bad2 - 1, 0, err, sizeof err) != 0 && !has_control(err),
	      "jsonl: bad escape before ESC/BEL: no raw control byte in the message");
	static const char good[] = "{\"tokens\": [\"a\", \"b\"], \"acts\": [[1, 3, 0.5]]}";
	CHECK(build_parse_line(good, sizeof good - 1, 0, err, sizeof err) == 0, "jsonl: a good record parses");
	CHECK(build_parse_line(good, sizeof good - 1, 2, err, sizeof err) != 0 && strstr(err, "feature out of range"),
	      "jsonl: feature beyond a fixed --n-features is refused");

	/* fuzz-jsonl (with an RSS limit): one id made the builder allocate
	 * ~200 bytes for every feature below it */
	static const char huge[] = "{\"tokens\": [\"a\"], \"acts\": [[0, 100000000, 1.0]]}";
	CHECK(build_parse_line(huge, sizeof huge - 1, 0, err, sizeof err) != 0 && strstr(err, "--n-features"),
	      "jsonl: feature id 1e8 without --n-features is refused, naming the option");
	static const char max[] = "{\"tokens\": [\"a\"], \"acts\": [[0, 16777215, 1.0]]}";
	CHECK(build_parse_line(max, sizeof max - 1, 0, err, sizeof err) == 0,
	      "jsonl: feature id 2^24-1 (16M-latent SAEs) is accepted");

	/* fuzz-tokens: a tokenizer.json whose syntax error sits before a raw
	 * newline and ESC: jansson quotes it; the message stays one clean line */
	char tpath[] = "/tmp/fs-unit-rel-tok-XXXXXX";
	int tfd = mkstemp(tpath);
	FILE *tf = tfd >= 0 ? fdopen(tfd, "wb") : NULL;
	if (tf) {
		fputs("{\"model\": {\"vocab\": {\"a\": 0, \"07]\\\n\x1b]0;x\x07: 1}}}", tf);
		fclose(tf);
	}
	tok_vocab tv;
	err[0] = 0;
	CHECK(tf && import_vocab_load(tpath, &tv, err, sizeof err) != 0 && err[0] && !has_control(err),
	      "tokens: tokenizer.json syntax error message has no raw newline or ESC");
	unlink(tpath);

	/* format: reusing a buffer for an empty string must not show the old text */
	fs_buf b = {0};
	format_escaped(&b, "old text", 8);
	b.len = 0;
	format_escaped(&b, "", 0);
	CHECK(b.p && b.p[0] == 0, "format_escaped: empty input after reuse gives an empty string");
	buf_free(&b);

	/* codecs: a gap varint near 2^64 and token lengths that sum past the text */
	uint8_t gap[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x3c};
	float acts[4];
	CHECK(index_acts_decode(gap, sizeof gap, acts, 4) == -1, "index_acts_decode: huge gap refused");
	uint8_t lens[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f};
	uint32_t off[3];
	CHECK(index_toks_decode(lens, sizeof lens, off, 2, 100) == -1, "index_toks_decode: lengths past the text refused");

	/* fuzz-npy: negative or absurd shapes are refused in the header */
	static const char npy_neg[] = "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }          \n";
	fs_tensor t;
	int dtype;
	size_t doff;
	memset(&t, 0, sizeof t);
	CHECK(tensor_npy_header((const uint8_t *)npy_neg, sizeof npy_neg - 1, &t, &dtype, &doff, err, sizeof err) != 0,
	      "npy: negative dimension refused");
	static const char npy_big[] = "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n";
	char path[] = "/tmp/fs-unit-rel-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (fp) {
		fwrite(npy_big, sizeof npy_big - 1, 1, fp);
		fclose(fp);
	}
	fs_tensor t2;
	int rc = tensor_load(path, NULL, &t2, err, sizeof err);
	CHECK(fp && rc != 0 && strstr(err, path) && !has_control(err),
	      "npy: a huge shape over no data is refused (no huge allocation)");
	if (rc == 0)
		tensor_free(&t2);
	unlink(path);
	TEST_END();
}

/*
 * hftok-tool.c: test driver for the tokenizers (src/core/bpe.h), run by
 * tests/t-core-hftok.sh, which compares what it prints with the reference
 * JavaScript tokenizer (tests/hftok_ref.js).
 *   encode DIR INPUTS   INPUTS holds one input a line as hex of its bytes
 *                       (any bytes: bpe_encode_bytes); prints
 *                       "bos ID adds_bos 0|1", then per input its ids,
 *                       space separated, a tab and the hex of their decoding;
 *                       checks the offsets (nondecreasing, inside the
 *                       input, the first at 0) and exits 1 if not
 *   offsets DIR TEXT    encodes TEXT (an argument, any bytes); prints
 *                       ID@OFFSET for each token, space separated
 *   info DIR            prints "vocab N bos B eos E adds_bos A"
 *   load DIR            loads the tokenizer (exit 2 with its message)
 */
#include "tok/bpe.h"
#include "core/input.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int do_encode(fs_bpe *b, const char *path)
{
	char err[1024];
	fs_input *in = input_open(path, err, sizeof err);
	if (!in) {
		fprintf(stderr, "hftok-tool: %s\n", err);
		return 2;
	}
	printf("bos %d adds_bos %d\n", bpe_adds_bos(b) ? bpe_bos(b) : -1, bpe_adds_bos(b));
	const char *line;
	size_t len;
	int32_t *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cap = 0;
	int rc = 0;
	fs_buf s = {0}, d = {0};
	while ((line = input_line(in, &len))) {
		long long ln = (long long)input_lineno(in);
		s.len = 0;
		for (size_t i = 0; i < len; i += 2) {
			int hi = hexval((unsigned char)line[i]), lo = i + 1 < len ? hexval((unsigned char)line[i + 1]) : -1;
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "hftok-tool: %s:%lld: not hex\n", path, ln);
				rc = 2;
				goto out;
			}
			buf_addc(&s, (char)(hi * 16 + lo));
		}
		int64_t cnt = 0;
		if (bpe_encode_bytes(b, s.p ? s.p : "", s.len, &ids, &offs, &cnt, &cap, err, sizeof err) != 0) {
			fprintf(stderr, "hftok-tool: %s:%lld: %s\n", path, ln, err);
			rc = 2;
			goto out;
		}
		for (int64_t i = 0; i < cnt; i++) {
			printf(i ? " %d" : "%d", ids[i]);
			if (offs[i] >= s.len || (i && offs[i] < offs[i - 1]) || (i == 0 && offs[0] != 0)) {
				fprintf(stderr, "hftok-tool: %s:%lld: token %lld: offset %u out of order or outside the input\n",
					path, ln, (long long)i, offs[i]);
				rc = 1;
			}
		}
		d.len = 0;
		if (bpe_decode(b, ids, cnt, &d, err, sizeof err) != 0) {
			fprintf(stderr, "hftok-tool: %s:%lld: %s\n", path, ln, err);
			rc = 1;
		}
		putchar('\t');
		for (size_t i = 0; i < d.len; i++)
			printf("%02x", (unsigned char)d.p[i]);
		putchar('\n');
	}
out:
	buf_free(&s);
	buf_free(&d);
	free(ids);
	free(offs);
	input_close(in);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "encode") == 0 && argc != 4)) {
		fprintf(stderr, "usage: hftok-tool encode DIR INPUTS | offsets DIR TEXT | info DIR | load DIR\n");
		return 2;
	}
	char err[1024];
	fs_bpe *b = bpe_load_dir(argv[2], err, sizeof err);
	if (!b) {
		fprintf(stderr, "hftok-tool: %s\n", err);
		return 2;
	}
	int rc = 0;
	if (strcmp(argv[1], "encode") == 0)
		rc = do_encode(b, argv[3]);
	else if (strcmp(argv[1], "offsets") == 0 && argc == 4) {
		int32_t *ids = NULL;
		uint32_t *offs = NULL;
		int64_t cnt = 0, cap = 0;
		if (bpe_encode_bytes(b, argv[3], strlen(argv[3]), &ids, &offs, &cnt, &cap, err, sizeof err) != 0) {
			fprintf(stderr, "hftok-tool: %s\n", err);
			rc = 2;
		}
		for (int64_t i = 0; i < cnt; i++)
			printf(i ? " %d@%u" : "%d@%u", ids[i], offs[i]);
		putchar('\n');
		free(ids);
		free(offs);
	} else if (strcmp(argv[1], "info") == 0)
		printf("vocab %d bos %d eos %d adds_bos %d\n", bpe_vocab_size(b), bpe_bos(b), bpe_eos(b), bpe_adds_bos(b));
	bpe_free(b);
	fflush(stdout);
	return rc;
}

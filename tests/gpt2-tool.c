/*
 * gpt2-tool.c: test driver for the GPT-2 runtime, run by tests/t-gpt2*.sh
 * and tests/gpt2_ref.py, which compare what it prints with independent
 * references (the JavaScript encoder, PyTorch).
 *   encode TOKDIR STRINGS   STRINGS holds one JSON string a line; prints
 *                           each one's ids, space separated, a line each;
 *                           checks that the ids decode to the string and
 *                           that the byte offsets tile it (exit 1 if not)
 */
#include "core/bpe.h"
#include "core/input.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int do_encode(const char *dir, const char *path)
{
	char err[1024];
	fs_bpe *b = bpe_load_dir(dir, err, sizeof err);
	if (!b) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		return 2;
	}
	fs_input *in = input_open(path, err, sizeof err);
	if (!in) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		bpe_free(b);
		return 2;
	}
	const char *line;
	size_t len;
	int32_t *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cap = 0;
	int rc = 0;
	while ((line = input_line(in, &len))) {
		if (!len)
			continue;
		json_error_t je;
		json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!json_is_string(j)) {
			fprintf(stderr, "gpt2-tool: %s:%lld: not a JSON string\n", path, (long long)input_lineno(in));
			json_decref(j);
			rc = 2;
			break;
		}
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		int64_t cnt = 0;
		if (bpe_encode(b, s, n, &ids, &offs, &cnt, &cap, err, sizeof err) != 0) {
			fprintf(stderr, "gpt2-tool: %s:%lld: %s\n", path, (long long)input_lineno(in), err);
			json_decref(j);
			rc = 2;
			break;
		}
		for (int64_t i = 0; i < cnt; i++)
			printf(i ? " %d" : "%d", ids[i]);
		putchar('\n');
		fs_buf d = {0};
		if (bpe_decode(b, ids, cnt, &d, err, sizeof err) != 0 || d.len != n || (n && memcmp(d.p, s, n))) {
			fprintf(stderr, "gpt2-tool: %s:%lld: ids do not decode to the string\n", path,
				(long long)input_lineno(in));
			rc = 1;
		}
		for (int64_t i = 0; i < cnt; i++) {
			size_t tl;
			bpe_token_bytes(b, ids[i], &tl);
			uint32_t end = i + 1 < cnt ? offs[i + 1] : (uint32_t)n;
			if ((i == 0 && offs[0] != 0) || offs[i] + tl != end) {
				fprintf(stderr, "gpt2-tool: %s:%lld: token %lld: offset %u does not tile the text\n",
					path, (long long)input_lineno(in), (long long)i, offs[i]);
				rc = 1;
				break;
			}
		}
		buf_free(&d);
		json_decref(j);
	}
	free(ids);
	free(offs);
	input_close(in);
	bpe_free(b);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "encode"))
		return do_encode(argv[2], argv[3]);
	fprintf(stderr, "usage: gpt2-tool encode TOKDIR STRINGS\n");
	return 2;
}

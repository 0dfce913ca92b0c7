/*
 * fuzz-jsonl.c: libFuzzer target for the native JSONL record parser of
 * `featscope build` (src/build/build.c, through build_parse_line). The first
 * input byte chooses whether the feature count is fixed (as with
 * --n-features or a decoder) or grows from the data; the rest is one line.
 * The parser must reject every malformed record with a message and never
 * read or write out of bounds.
 */
#include "build/build.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int64_t nfeat = data[0] & 1 ? (int64_t)(data[0] >> 1) + 1 : 0;
	char err[512];
	err[0] = 0;
	int rc = build_parse_line((const char *)data + 1, size - 1, nfeat, err, sizeof err);
	/* A rejected record always says why, on one line. */
	if (rc != 0 && (err[0] == 0 || strchr(err, '\n')))
		abort();
	return 0;
}

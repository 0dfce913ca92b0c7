/*
 * fuzz-manifest.c: libFuzzer target for the corpus manifest reader
 * (src/import/source.c). Every line of the input goes through
 * source_manifest_line for the document pkg-x:/doc/a.txt (offsets and
 * sizes of any length, 2^64-1 included, must give 0, 1 or an error, and a
 * row it accepts has a lowercase split and a size within
 * SOURCE_MAX_BYTES); then the input is written as manifest.tsv of a corpus
 * folder beside a small heldout.txt and source_find reads the document
 * through it: whatever the manifest says, nothing past the split file is
 * read and nothing too large is allocated.
 */
#include "import/source.h"
#include "fuzz-common.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[256];
	if (!dir[0]) {
		unsetenv("FEATSCOPE_CORPUS");
		snprintf(dir, sizeof dir, "%s", fuzz_path(".corpus"));
		mkdir(dir, 0700);
		char p[300];
		snprintf(p, sizeof p, "%s/heldout.txt", dir);
		static const char held[] = "first line\nthe context is here\nlast line\n";
		if (fuzz_write(p, (const uint8_t *)held, sizeof held - 1) != 0)
			abort();
	}
	const char *s = (const char *)data;
	char err[256];
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(s + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (s + i)) : size - i;
		char split[32];
		uint64_t off = 0, bytes = 0;
		int r = source_manifest_line(s + i, n, "pkg-x", "/doc/a.txt", split, &off, &bytes, err, sizeof err);
		if (r == 1 && (bytes > SOURCE_MAX_BYTES || !split[0] ||
			       strspn(split, "abcdefghijklmnopqrstuvwxyz") != strlen(split)))
			abort();
		i += n + 1;
	}
	char man[300];
	snprintf(man, sizeof man, "%s/manifest.tsv", dir);
	if (fuzz_write(man, data, size) != 0)
		return 0;
	fs_source_doc d;
	static const char ctx[] = "context";
	if (source_find("pkg-x:/doc/a.txt", NULL, dir, ctx, sizeof ctx - 1, &d, err, sizeof err) == 0) {
		/* the document came from inside the 41-byte split file */
		if (d.len > 41 || d.at + d.n > d.len)
			abort();
		source_doc_free(&d);
	}
	return 0;
}

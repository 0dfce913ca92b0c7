/*
 * fuzz-common.h: small helpers shared by the libFuzzer targets in
 * tests/fuzz/: a per-process scratch file that receives the fuzz input
 * (for the code that reads paths), and a NUL-terminated copy of the input.
 */
#ifndef FS_FUZZ_COMMON_H
#define FS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path under $TMPDIR unique to this process, with the given suffix. */
static inline const char *fuzz_path(const char *suffix)
{
	static char paths[4][256];
	static int used;
	const char *dir = getenv("TMPDIR");
	char *p = paths[used++ & 3];
	snprintf(p, sizeof paths[0], "%s/fs-fuzz-%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
	return p;
}

/* Write data to path (truncating); 0 on success. */
static inline int fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int rc = (size && fwrite(data, size, 1, f) != 1) ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* A malloc'd NUL-terminated copy of the input. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#endif

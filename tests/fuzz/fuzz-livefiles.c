/*
 * fuzz-livefiles.c: libFuzzer target for the checks of an index's
 * live_files rows (src/live/session.c). The input is split at tabs into
 * role, name, file, xxh3, bytes and hook, as a row read from a hostile
 * index; live_row_check judges it and live_file_verify opens what it
 * names from a scratch index folder holding one small weights file: a
 * '..' step, an absolute path outside the folder, a device, a size or a
 * hash that does not match must give an error, never a read outside the
 * folder, a hang or a crash; a row it accepts names that file, its size
 * and its hash exactly.
 */
#include "live/session.h"
#include "fuzz-common.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[256];
	static char hex[17];
	static int64_t wbytes;
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/", fuzz_path(".ix"));
		mkdir(dir, 0700);
		char p[300], err[256];
		snprintf(p, sizeof p, "%sw.bin", dir);
		static const char w[] = "FSLM0001 weights of the fuzz target";
		if (fuzz_write(p, (const uint8_t *)w, sizeof w - 1) != 0 ||
		    live_file_hash(p, hex, &wbytes, err, sizeof err) != 0)
			abort();
	}
	char *s = fuzz_cstr(data, size), *f[6] = {"", "", "", "", "", ""};
	int nf = 0;
	for (char *p = s; nf < 6;) {
		f[nf++] = p;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	fs_live_file row = {f[0], f[1], f[2], f[3], strtoll(f[4], NULL, 10), f[5]};
	char err[1024], *path = NULL;
	int ok = live_row_check(&row, err, sizeof err) == 0;
	if (live_file_verify(dir, &row, &path, err, sizeof err) == 0) {
		/* only the one file of the folder can match */
		if (!ok || row.bytes != wbytes || strcmp(row.xxh3, hex) != 0)
			abort();
		free(path);
	}
	free(s);
	return 0;
}

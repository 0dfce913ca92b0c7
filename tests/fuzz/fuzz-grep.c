/*
 * fuzz-grep.c: libFuzzer target for the concept probe (src/grep/grep.h): the
 * input is a PCRE2 pattern (after one byte of flags: caseless, literal,
 * token) compiled with grep_compile and, when it compiles, scanned with
 * grep_scan over a small index with hostile text (made at start-up) under
 * a low match limit, plus grep_substring with the same bytes. Bad patterns
 * must give a one-line error; rankings must hold only known features.
 */
#include "grep/grep.h"
#include "fuzz-template.h"

static fs_index *ix; /* the template index, opened once */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static char path[300];
	snprintf(path, sizeof path, "%s", fuzz_path(".grep.sqlite"));
	unlink(path);
	make_template(path);
	char err[512];
	ix = index_open(path, err, sizeof err);
	if (!ix) {
		fprintf(stderr, "fuzz-grep: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	unsigned flags = data[0] & (GREP_CASELESS | GREP_LITERAL | GREP_TOKEN);
	char *pat = fuzz_cstr(data + 1, size - 1);
	char err[512];
	err[0] = 0;
	grep_pattern *p = grep_compile(pat, flags, err, sizeof err);
	if (!p) {
		if (!err[0] || strchr(err, '\n'))
			abort();
	} else {
		grep_opts o;
		memset(&o, 0, sizeof o);
		o.threads = 1;
		o.match_limit = 20000;
		o.limit = 8;
		o.sort = (grep_sort)(data[0] >> 3) % 5;
		grep_result r;
		memset(&r, 0, sizeof r);
		int rc = grep_scan(ix, p, &o, &r, err, sizeof err);
		if (rc == GREP_DONE || rc == GREP_CANCELLED) {
			int64_t nf = index_n_features(ix);
			for (int i = 0; i < r.n; i++)
				if (r.hits[i].fid < 1 || r.hits[i].fid > nf || !(r.hits[i].mass > 0))
					abort();
			grep_result_free(&r);
		}
		grep_pattern_free(p);
	}
	int64_t *ctx = NULL;
	int n = grep_substring(ix, pat, data[0] & 1, 4, &ctx, err, sizeof err);
	if (n > 4)
		abort();
	free(ctx);
	free(pat);
	return 0;
}

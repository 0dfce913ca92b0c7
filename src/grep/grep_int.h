/*
 * grep_int.h: what the grep engine's files share and nothing outside
 * src/grep/ may use: the compiled pattern (struct grep_pattern) and the
 * helpers the scan takes from the compiler and the statistics.
 *
 * The files: grep_pattern.c (compile, prefilters, the byte-pair finder,
 * UTF-8 checks), grep_scan.c (the scan engine: workers, partial rankings,
 * background jobs, substring search), grep_stats.c (matched tokens,
 * per-feature sums, ranking, the sort names), grep.c (the command line).
 */
#ifndef FS_GREP_INT_H
#define FS_GREP_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#include "grep/grep.h"

struct grep_lit; /* a plain string's byte-pair finder (grep_pattern.c) */

struct grep_pattern {
	pcre2_code *code;     /* UTF mode: for text already validated */
	pcre2_code *code_inv; /* PCRE2_MATCH_INVALID_UTF: for text that is not */
	int jit;              /* code is JIT-compiled (pcre2_jit_match usable) */
	int jit_inv;          /* code_inv is JIT-compiled */
	pcre2_code *filter;   /* whole-chunk prefilter (see grep_filter_safe), or NULL */
	int jit_filter;       /* filter is JIT-compiled */
	pcre2_code *anch;     /* the prefilter anchored, when skip_ascii */
	int jit_anch;         /* anch is JIT-compiled */
	int skip_ascii;       /* no match can start with an ASCII character */
	struct grep_lit *lit; /* byte-pair finder when the pattern is a plain string */
	unsigned flags;       /* GREP_* compile flags */
};

/* The first offset >= pos of l's string in t[0, len), len when absent. */
size_t grep_lit_find(const struct grep_lit *l, const unsigned char *t, size_t pos, size_t len);
/* The string of a finder: its bytes, their number and whether it is caseless. */
const char *grep_lit_string(const struct grep_lit *l, size_t *n, int *caseless);
/* The offset of the first byte >= 0x80 at or after pos, len when none. */
size_t grep_next_high(const unsigned char *t, size_t pos, size_t len);
/* Make room in a for feature fid (grep_stats.c). */
void grep_acc_grow(grep_acc *a, int64_t fid);

#endif

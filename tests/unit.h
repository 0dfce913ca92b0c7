/*
 * unit.h: the smallest test harness: CHECK prints "ok NAME" or
 * "FAIL NAME: file:line: condition" and counts; TEST_END returns the
 * exit status. tests/run tallies the lines of every test program.
 */
#ifndef FS_UNIT_H
#define FS_UNIT_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

static int unit_failed;

#define CHECK(cond, name)                                                   \
	do {                                                                \
		if (cond) {                                                 \
			printf("ok %s\n", (name));                          \
		} else {                                                    \
			printf("FAIL %s: %s:%d: %s\n", (name), __FILE__,    \
			       __LINE__, #cond);                            \
			unit_failed++;                                      \
		}                                                           \
		fflush(stdout);                                             \
	} while (0)

#define TEST_END() return unit_failed ? 1 : 0

/* Do two encodings agree: k (feature, value) pairs each, the same
 * features (a zero's slot aside) and values within 1e-4 relative? (The
 * live tests' comparison of SAE codes.) */
static inline int unit_same_pairs(const int *ia, const float *va, const int *ib, const float *vb, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		if (ia[j] != ib[j] && !(va[j] == 0 && vb[j] == 0))
			return 0;
		if (fabsf(va[j] - vb[j]) > 1e-4f * (1 + fabsf(vb[j])))
			return 0;
	}
	return 1;
}

#endif

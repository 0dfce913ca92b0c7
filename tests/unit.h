/*
 * unit.h: the smallest test harness: CHECK prints "ok NAME" or
 * "FAIL NAME: file:line: condition" and counts; TEST_END returns the
 * exit status. tests/run tallies the lines of every test program.
 */
#ifndef FS_UNIT_H
#define FS_UNIT_H

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

#endif

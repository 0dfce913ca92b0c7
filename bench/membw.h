/*
 * membw.h: the memory-bandwidth floor for the benchmarks: the time to read
 * a buffer once with every core (a thread per core, each summing its share
 * 32 bytes at a time with vector adds), the least time a pass that must
 * read that many bytes from memory can take. The buffer should be larger
 * than the caches.
 */
#ifndef FS_BENCH_MEMBW_H
#define FS_BENCH_MEMBW_H

#include <stddef.h>
#include <stdint.h>

/* What the reads summed (written, so they are not optimised away). */
extern volatile uint64_t membw_sink;

/* Seconds of the fastest of `rounds` reads of buf[0..bytes) with `threads`
 * threads (bytes rounded down to 32 * threads). */
double membw_read_seconds(const void *buf, size_t bytes, int threads, int rounds);
/* Threads to use: the online processors. */
int membw_threads(void);

#endif

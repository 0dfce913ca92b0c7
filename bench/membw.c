/*
 * membw.c: the memory-bandwidth floor (see membw.h).
 */
#include "bench/membw.h"

#include "core/util.h"

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

/* The sums of the reads, kept so that no read is optimised away. */
volatile uint64_t membw_sink;

typedef uint64_t v4u64 __attribute__((vector_size(32)));

typedef struct {
	const unsigned char *p; /* this thread's share */
	size_t n;               /* bytes, a multiple of 32 */
	uint64_t sum;           /* kept so the reads are not removed */
} share;

static void *read_share(void *ud)
{
	share *s = ud;
	v4u64 a = {0, 0, 0, 0}, b = a, c = a, d = a, x;
	size_t i = 0;
	for (; i + 128 <= s->n; i += 128) {
		__builtin_memcpy(&x, s->p + i, 32);
		a += x;
		__builtin_memcpy(&x, s->p + i + 32, 32);
		b += x;
		__builtin_memcpy(&x, s->p + i + 64, 32);
		c += x;
		__builtin_memcpy(&x, s->p + i + 96, 32);
		d += x;
	}
	for (; i + 32 <= s->n; i += 32) {
		__builtin_memcpy(&x, s->p + i, 32);
		a += x;
	}
	a += b + c + d;
	s->sum = a[0] ^ a[1] ^ a[2] ^ a[3];
	return NULL;
}

int membw_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

double membw_read_seconds(const void *buf, size_t bytes, int threads, int rounds)
{
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	size_t per = bytes / (size_t)threads / 32 * 32;
	double best = 1e30;
	for (int r = 0; r < rounds; r++) {
		pthread_t th[64];
		share sh[64];
		int made[64] = {0};
		double t0 = fs_now();
		for (int t = 0; t < threads; t++) {
			sh[t] = (share){(const unsigned char *)buf + (size_t)t * per, per, 0};
			if (t > 0)
				made[t] = pthread_create(&th[t], NULL, read_share, &sh[t]) == 0;
			if (t > 0 && !made[t])
				read_share(&sh[t]);
		}
		read_share(&sh[0]);
		for (int t = 1; t < threads; t++)
			if (made[t])
				pthread_join(th[t], NULL);
		double dt = fs_now() - t0;
		for (int t = 0; t < threads; t++)
			membw_sink ^= sh[t].sum;
		if (dt < best)
			best = dt;
	}
	return best;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers of the bench programs (bench_owner, bench_route,
 * bench_lpm, bench_hash, bench_table), written once so that they all
 * draw, time and sort alike. Static inline, so bench/build.sh links
 * nothing more; the programs' sources sit next to this header.
 *
 * Nothing here holds state. The random state is the caller's, so each
 * program keeps its own seed (fixed, or from getrandom()) and its own
 * sequence of draws.
 */
#ifndef FC_BENCH_BENCH_H
#define FC_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/*
 * splitmix64: the next draw from *state. Fast, the same sequence from
 * the same seed, and every output once per period. The caller passes the
 * state, so a program can keep two streams apart (bench_route draws its
 * cache seeds apart from its destinations).
 */
static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* CLOCK_MONOTONIC in ns, as a double: what every timed pass subtracts. */
static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort() order of doubles, ascending; a - b would not fit an int. */
static inline int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * The median of v[0..n), n >= 1, which is left sorted: the middle value,
 * or the mean of the two middle ones when n is even. (bench_table takes
 * the nearest rank instead: its quantile().)
 */
static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A latency histogram with fixed, log-spaced buckets: upper bounds of
 * 1 us, 2 us, 4 us, ... 2^(HIST_BOUNDS-1) us (about one second), and one
 * more bucket for everything beyond. Fixed bounds let histograms of
 * different threads be added bucket by bucket, and a scraper compare
 * them over time.
 *
 * One thread writes a struct hist; any thread may read it while it does:
 * each word is stored whole (relaxed atomics), so a reader sees every
 * counter at some value it really had. The counters of one reading may
 * be from slightly different moments; the total is not stored, so that
 * a count added up from the buckets always equals their sum, as a
 * scraper expects of the +Inf bucket and the count.
 */
#ifndef FC_HIST_H
#define FC_HIST_H

#include <stdint.h>

#define HIST_BOUNDS	21		/* 1 us .. 2^20 us = 1.048576 s */

struct hist {
	/* per bucket, not cumulative; [HIST_BOUNDS]: past the last bound */
	uint64_t bucket[HIST_BOUNDS + 1];
	uint64_t sum_ns;
};

/* The upper bound of bucket i (i < HIST_BOUNDS), in nanoseconds. */
uint64_t hist_bound_ns(unsigned int i);
/* The bucket a value of ns falls in: the first whose bound is >= ns. */
unsigned int hist_bucket(uint64_t ns);

/* Count n observations of ns each. The writer thread only. */
void hist_add(struct hist *h, uint64_t ns, uint64_t n);

/* Add src, read while its writer may run, to dst (a private copy). */
void hist_merge(struct hist *dst, const struct hist *src);

#endif

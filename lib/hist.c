// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdatomic.h>

#include "hist.h"

#define NS_PER_US 1000u

uint64_t hist_bound_ns(unsigned int i)
{
	return (uint64_t)NS_PER_US << i;
}

unsigned int hist_bucket(uint64_t ns)
{
	/* whole microseconds, rounded up: bucket i holds (2^(i-1), 2^i] */
	uint64_t us = ns / NS_PER_US + (ns % NS_PER_US != 0);
	unsigned int i;

	if (us <= 1)
		return 0;
	i = 64 - (unsigned int)__builtin_clzll(us - 1);
	return i < HIST_BOUNDS ? i : HIST_BOUNDS;
}

/* One writer: a relaxed load and store, not a locked add. */
static void add_word(uint64_t *w, uint64_t n)
{
	_Atomic uint64_t *a = (_Atomic uint64_t *)w;

	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed)
			      + n, memory_order_relaxed);
}

static uint64_t read_word(const uint64_t *w)
{
	return atomic_load_explicit((_Atomic uint64_t *)w,
				    memory_order_relaxed);
}

void hist_add(struct hist *h, uint64_t ns, uint64_t n)
{
	add_word(&h->bucket[hist_bucket(ns)], n);
	add_word(&h->sum_ns, ns * n);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	for (i = 0; i <= HIST_BOUNDS; i++)
		dst->bucket[i] += read_word(&src->bucket[i]);
	dst->sum_ns += read_word(&src->sum_ns);
}

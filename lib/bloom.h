/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Bloom next-hop cache: one counting Bloom filter per next hop over
 * destination addresses, asked before the LPM. Exactly one filter
 * positive and that next hop's backing store holding the address: that
 * next hop. No filter, several, or a store that says no: the slow path.
 * The design is BUFFALO's (Yu, Fabrikant, Rexford, "BUFFALO: Bloom
 * Filter Forwarding Architecture for Large Organizations", CoNEXT 2009)
 * with one change: a single positive is confirmed before it is trusted.
 *
 * Why confirm. A destination in no filter still hits exactly one of N
 * filters with probability N f (1 - f)^(N - 1), f the false-positive
 * rate of one filter: a few percent at 5 next hops, several times that
 * at 65 (tests/unit/test_bloom.c measures it). Unconfirmed, each of those
 * packets would leave by a next hop the kernel would not have chosen.
 * The store is an exact set, so a confirmed hit is never wrong; a
 * false positive costs one extra probe of one small hash set.
 *
 * Layout. All filters share size (m bits), hash count (k) and seeds, so
 * one SipHash of the address gives the k positions for every filter,
 * and the filters are stored sliced: row p holds bit p of every filter,
 * 64 filters to a word. A lookup ANDs k rows and counts the bits left;
 * with many next hops the AND is usually empty after a few rows. The
 * counters (4 bits each, see bloom.c) are the writer's alone, in their
 * own arrays; readers touch only the bits, a quarter of their size.
 *
 * Concurrency. Any number of readers call bloom_lookup() inside an RCU
 * read-side critical section; it never blocks, retries or writes
 * shared memory. Every other call is a writer's, and the caller
 * serialises writers (one thread, or its own lock). A reseed or a
 * filter that must widen builds a new generation (seeds, rows,
 * counters) to the side from the stores and swaps one pointer; the old
 * one is freed by bloom_reclaim() after a grace period. A hit is exact
 * even while the writer works: the next hop reported held the address
 * in its store at some instant during the lookup (bloom.c says why).
 *
 * The library does no I/O: randomness and the grace period come in
 * through struct bloom_params.
 */
#ifndef FC_BLOOM_H
#define FC_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define BLOOM_MAX_NEXTHOPS	4096u
#define BLOOM_MAX_HASHES	32u
#define BLOOM_MIN_BITS		8u
#define BLOOM_MAX_BITS		(1u << 31)

struct bloom_cache;

struct bloom_params {
	uint32_t max_nexthops;	/* 1..BLOOM_MAX_NEXTHOPS */
	uint32_t expected;	/* addresses per next hop, for sizing */
	double fp_rate;		/* target per filter, e.g. 0.01; or: */
	uint32_t bits, hashes;	/* explicit size (0: derived) */
	/* Fill buf with len random bytes (the hash seeds). */
	void (*random)(void *buf, size_t len);
	/* Wait until no reader can see what was removed (an RCU grace
	 * period); called by bloom_reclaim(). */
	void (*synchronize)(void);
};

enum bloom_result {
	BLOOM_HIT,		/* one filter positive, confirmed: *nh set */
	BLOOM_NONE,		/* no filter positive */
	BLOOM_SEVERAL,		/* more than one positive */
	BLOOM_FALSE_POSITIVE,	/* one positive, its store says no */
};

/*
 * hit..false_positive are the caller's: bloom_lookup() returns what
 * happened and writes nothing, because a counter every reader
 * increments is a cache line every core fights over on each packet.
 * The daemon counts per thread (bloom_count()) and sums; bloom_get_stats()
 * leaves those four at zero.
 */
struct bloom_stats {
	uint64_t hit, none, several, false_positive;
	uint64_t reseeds;	/* generations built with new seeds */
	uint64_t entries;	/* (next hop, address) pairs stored */
	size_t memory;		/* bytes: current generation, stores */
};

/*
 * Sizing, when bits or hashes is 0: m = n log2(1/p) / ln 2 bits for n =
 * expected addresses at false-positive rate p, and k = m / n ln 2
 * hashes (the optimum). Explicit bits with hashes 0 derives k the same
 * way. fp_rate is per filter, and with N next hops an address stored
 * under one is positive in another too with probability about (N - 1) f
 * (BLOOM_SEVERAL, the slow path): at 65 next hops and 1% that is half
 * of them, so choose f near the slow-path share wanted divided by N.
 * Returns NULL with errno EINVAL (a parameter out of range, or nothing
 * to derive the size from) or ENOMEM.
 */
struct bloom_cache *bloom_new(const struct bloom_params *p);
/* No reader may be left. NULL is fine. */
void bloom_free(struct bloom_cache *c);

/* --- readers: call inside an RCU read-side critical section -------------- */

/*
 * Which next hop dst (AF_INET: the first 4 bytes; AF_INET6) goes to, if
 * the cache knows. *nh is written on BLOOM_HIT only. Any other result
 * means the slow path; an unknown family is BLOOM_NONE.
 */
enum bloom_result bloom_lookup(const struct bloom_cache *c, int family,
			       const union fc_addr *dst, uint32_t *nh);

static inline void bloom_count(struct bloom_stats *st, enum bloom_result r)
{
	switch (r) {
	case BLOOM_HIT:
		st->hit++;
		break;
	case BLOOM_NONE:
		st->none++;
		break;
	case BLOOM_SEVERAL:
		st->several++;
		break;
	case BLOOM_FALSE_POSITIVE:
		st->false_positive++;
		break;
	}
}

/* --- writers: one at a time ---------------------------------------------- */

/*
 * Store dst under next hop nh (not 0), which is created on first use.
 * Returns 0, -EINVAL (nh 0 or a bad family), -EEXIST (already stored
 * under nh), -ENOSPC (a new next hop beyond max_nexthops, or 2^29
 * addresses under one) or -ENOMEM.
 * The same address under two next hops is allowed; its lookups then
 * answer BLOOM_SEVERAL.
 */
int bloom_add(struct bloom_cache *c, uint32_t nh, int family,
	      const union fc_addr *dst);
/*
 * Remove dst from nh. Returns 0, -EINVAL or -ENOENT (not stored there).
 * nh stays known, with its filter, until bloom_del_nexthop().
 */
int bloom_del(struct bloom_cache *c, uint32_t nh, int family,
	      const union fc_addr *dst);
/* Drop every address of nh (its route went away) and nh itself. */
void bloom_del_nexthop(struct bloom_cache *c, uint32_t nh);

/*
 * New seeds, every filter rebuilt from the stores, one pointer swapped:
 * a false positive of the old seeds is most likely not one of the new,
 * and counters that saturated count exactly again. Costs a pass over
 * every stored address; call it from the writer thread, off the packet
 * path. Returns 0 or -ENOMEM (the old generation stays).
 */
int bloom_reseed(struct bloom_cache *c);
/* Free what no reader can see any more: one grace period, none when
 * there is nothing to free. */
void bloom_reclaim(struct bloom_cache *c);

/* A writer's call; see struct bloom_stats for the lookup counters. */
void bloom_get_stats(const struct bloom_cache *c, struct bloom_stats *st);

#endif

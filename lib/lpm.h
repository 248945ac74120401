/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Longest-prefix match for the routing mirror: one LPM per family and
 * routing table, mapping prefixes to a 32-bit value chosen by the caller
 * (a next-hop id; 0 is reserved and means "no route").
 *
 * Structure. A multibit trie with leaf pushing, in the DIR-24-8 style
 * (Gupta, Lin, McKeown, "Routing lookups in hardware at memory access
 * speeds", INFOCOM 1998): a root table indexed directly by the first
 * 24 bits of an IPv4 address (16 bits of an IPv6 one), then groups of
 * 256 entries, one per further byte. Every entry is one 32-bit word:
 * a leaf (the value and the length of the longest prefix covering all
 * the addresses behind the entry) or the number of a group. An IPv4
 * lookup is one memory access for all but the few addresses under a
 * prefix longer than /24, two for those; an IPv6 lookup under a /48 is
 * five, the first two in tables small enough to stay in cache.
 *
 * Why this rather than a compressed trie (poptrie, tree bitmap): an
 * update is a few plain word stores into tables that never move, so
 * readers need no copy-on-write of nodes and see each address's answer
 * change in one store; a route change costs a microsecond; and a lookup
 * is as short as DPDK's rte_lpm, the same structure: within a few
 * percent of it one by one, faster in batches (bench/bench_lpm.c;
 * figures in its output). The price is memory: 64 MiB of IPv4 root,
 * of which only the pages routes touch are ever backed (a table of a
 * few routes costs a few pages), and 1 KiB a group, which makes a full
 * IPv6 table (200k prefixes) some 185 MiB. A compressed trie would take
 * a fraction of that, at the cost of rebuilding nodes on every change:
 * the next step if IPv6 memory matters more than update cost.
 *
 * The root and the groups come from mmap(), the groups from one range
 * of address space reserved up front (4 GiB, PROT_NONE, made usable a
 * huge page at a time), so that a group's address is its number times
 * 1 KiB from the base: one load a level. Both ask for transparent huge
 * pages: random lookups over 64 MiB of 4 KiB pages miss the TLB.
 *
 * The default route (/0) of an IPv4 LPM is kept beside the tables while
 * its routes touch less than half of the root, so that a small table
 * with a default route stays small; then it moves into the tables,
 * where it costs lookups nothing (IPv6 keeps it there from the start).
 * Values of 2^23 and more (FIB_ASK is 2^31) go through a side table of
 * values, shared and reference-counted.
 *
 * The prefixes themselves are kept exactly, writer-side only, in one
 * open-addressed hash per prefix length: an add or a replace finds its
 * prefix there in O(1), a delete finds the covering prefix to restore
 * by probing the shorter lengths that have any prefix, and walks and
 * counts come from there. Loading a full table is then linear, under
 * half a second for a million IPv4 prefixes, sorted or not: a prefix
 * writes only the entries of its range whose stored length is not
 * longer than its own (more-specifics already there keep theirs). The
 * hash is not keyed: the prefixes come from the kernel's routing
 * tables, not from packets.
 *
 * Concurrency. One writer at a time (the caller serialises lpm_add(),
 * lpm_del(), lpm_walk(), lpm_reclaim()); any number of readers, inside
 * an RCU read-side critical section, never blocking or retrying. A
 * reader sees, for each address, the answer from before or after an
 * update, never another: groups are filled before the entry that makes
 * them reachable is stored (release), every entry changes in one atomic
 * store, and a group that becomes unreachable (its 256 entries became
 * equal, so the parent entry now holds the leaf) is only reused after a
 * grace period, in lpm_reclaim(). The grace period comes in through
 * struct lpm_params; the library does no I/O.
 */
#ifndef FC_LPM_H
#define FC_LPM_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

struct lpm;

struct lpm_params {
	int family;				/* AF_INET or AF_INET6 */
	void (*synchronize)(void);		/* RCU grace period, for freeing */
};

/* NULL: out of memory, or a family other than AF_INET and AF_INET6. */
struct lpm *lpm_new(const struct lpm_params *p);
/* No reader may be left. NULL-safe. */
void lpm_free(struct lpm *l);

/* --- writers: one thread at a time (the caller serialises) ------------- */

/*
 * Add prefix/len with value nh, or change the value of a prefix already
 * there. Bits of prefix beyond len are ignored. Returns 0, -EINVAL (len
 * beyond the family's, or nh 0) or -ENOMEM (nothing changed).
 */
int lpm_add(struct lpm *l, const union fc_addr *prefix, uint8_t len,
	    uint32_t nh);
/*
 * Remove prefix/len; its addresses fall back to the longest prefix that
 * covers it. Returns 0, -ENOENT (not there), -EINVAL (bad len) or
 * -ENOMEM (a group was needed to split an entry; nothing changed).
 */
int lpm_del(struct lpm *l, const union fc_addr *prefix, uint8_t len);

/*
 * Visit every prefix once, shortest lengths first (in no order within a
 * length); stop when fn returns false. fn must not change the LPM.
 */
void lpm_walk(const struct lpm *l,
	      bool (*fn)(const union fc_addr *p, uint8_t len, uint32_t nh,
			 void *arg),
	      void *arg);
size_t lpm_count(const struct lpm *l);
/*
 * Bytes held: the pages of the root table that routes have touched,
 * the groups' memory, the prefix store and the value table.
 */
size_t lpm_memory(const struct lpm *l);
/*
 * Free what updates made unreachable: one grace period, none when
 * nothing was retired (cheap to call after every batch of updates).
 */
void lpm_reclaim(struct lpm *l);

/* --- readers: any thread, inside an RCU read-side critical section ---- */

/*
 * The value of the longest prefix containing addr, 0 when none; *len
 * (when len is not NULL) gets that prefix's length (0 when none).
 * Inline, below.
 */
static inline uint32_t lpm_lookup(const struct lpm *l,
				  const union fc_addr *addr, uint8_t *len);
/*
 * n lookups at once, nh[i] for addrs[i]: the family tested once, and
 * IPv6 lookups walked level by level 32 at a time, so that their
 * memory fetches overlap.
 */
void lpm_lookup_many(const struct lpm *l, const union fc_addr *addrs,
		     size_t n, uint32_t *nh);

/*
 * --- inside: what lookups read -------------------------------------------
 *
 * Private to lpm.c, and here only so that lpm_lookup() can be inline: a
 * function call costs as much as a lookup that hits the cache. struct
 * lpm begins with struct lpm_tables.
 *
 * An entry is 32 bits. Bit 31 clear: a plain leaf, the common case, told
 * apart with one test:
 *
 *   leaf        0 | depth (8) | value (23)        0: empty, no route
 *   wide leaf   1 1 | depth (8) | value table index (22)
 *   group       1 0 | group number (30)
 *
 * A wide leaf holds a value of 2^23 or more, through the value table.
 */
#define LPM_E_SPECIAL		(1u << 31)
#define LPM_E_WIDE		(1u << 30)
#define LPM_E_DEPTH_SHIFT	23
#define LPM_E_VALUE_MASK	((1u << LPM_E_DEPTH_SHIFT) - 1)
#define LPM_MAX_GROUPS		(1u << 22)	/* 4 GiB of address space */

/* What a lookup must do, in one word. */
enum {
	LPM_IN_V4,		/* IPv4, the default route in the tables */
	LPM_IN_V6,
	LPM_IN_V4_SPARSE,	/* IPv4, the default route kept apart */
};

struct lpm_tables {
	uint32_t *root4;		/* LPM_IN_V4: root, else NULL */
	uint32_t kind;			/* LPM_IN_* */
	uint32_t dflt;			/* LPM_IN_V4_SPARSE: the /0's leaf
					 * (left there when it moves in) */
	uint32_t *root;			/* 2^24 entries (IPv4), 2^16 (IPv6) */
	uint32_t *groups;		/* LPM_MAX_GROUPS of 256 entries */
	uint32_t *values;		/* the value table */
};

/*
 * Entries are read with dependency-ordered loads (what rcu_dereference()
 * does): relaxed atomic loads, each address computed from the value
 * loaded before it, which every CPU this runs on keeps in order. C11
 * would call it consume, which compilers promote to acquire, and acquire
 * costs 10-20% here: it keeps the compiler from starting the next
 * lookup's loads early. ThreadSanitizer does not follow dependencies, so
 * its builds use acquire.
 */
#if defined(__SANITIZE_THREAD__)
#define LPM_IN_ORDER __ATOMIC_ACQUIRE
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LPM_IN_ORDER __ATOMIC_ACQUIRE
#endif
#endif
#ifndef LPM_IN_ORDER
#define LPM_IN_ORDER __ATOMIC_RELAXED
#endif
#define lpm_in_load(x)	__atomic_load_n(&(x), LPM_IN_ORDER)
/* GCC may leave "inline" out of line where a caller has several calls */
#define lpm_in_inline	inline __attribute__((always_inline))

static lpm_in_inline bool lpm_in_is_group(uint32_t e)
{
	return (e & (LPM_E_SPECIAL | LPM_E_WIDE)) == LPM_E_SPECIAL;
}

static lpm_in_inline const uint32_t *lpm_in_group(const struct lpm_tables *t,
						  uint32_t e)
{
	return t->groups + ((size_t)(e & ~LPM_E_SPECIAL) << 8);
}

/* The leaf for x: one access, two under a prefix longer than /24. */
static lpm_in_inline uint32_t lpm_in_entry4(const struct lpm_tables *t,
					    uint32_t x)
{
	uint32_t e = lpm_in_load(t->root[x >> 8]);

	if (__builtin_expect(lpm_in_is_group(e), 0))
		e = lpm_in_load(lpm_in_group(t, e)[x & 0xff]);
	return e;
}

/* A root of 16 bits, then a group per byte; none after the last. */
static lpm_in_inline uint32_t lpm_in_entry6(const struct lpm_tables *t,
					    const uint8_t *b)
{
	uint32_t e = lpm_in_load(t->root[(uint32_t)b[0] << 8 | b[1]]);

	for (b += 2; lpm_in_is_group(e); b++)
		e = lpm_in_load(lpm_in_group(t, e)[*b]);
	return e;
}

/* Out of line: the rare cases. */
uint32_t lpm_in_wide(const struct lpm_tables *t, uint32_t e, uint8_t *len);
uint32_t lpm_in_lookup_sparse(const struct lpm_tables *t,
			      const union fc_addr *addr, uint8_t *len);

static lpm_in_inline uint32_t lpm_in_leaf(const struct lpm_tables *t,
					  uint32_t e, uint8_t *len)
{
	if (__builtin_expect(e & LPM_E_SPECIAL, 0))
		return lpm_in_wide(t, e, len);
	if (len)
		*len = (uint8_t)(e >> LPM_E_DEPTH_SHIFT);
	return e & LPM_E_VALUE_MASK;
}

/*
 * IPv4, x in host order: bit 31 is tested once, for a plain leaf is the
 * answer to all but a few lookups of a full table. Otherwise a group,
 * then maybe a wide leaf.
 */
static lpm_in_inline uint32_t lpm_in_lookup4(const struct lpm_tables *t,
					     const uint32_t *root, uint32_t x,
					     uint8_t *len)
{
	uint32_t e = lpm_in_load(root[x >> 8]);

	if (__builtin_expect(e & LPM_E_SPECIAL, 0)) {
		if (!(e & LPM_E_WIDE))
			e = lpm_in_load(lpm_in_group(t, e)[x & 0xff]);
		if (e & LPM_E_SPECIAL)
			return lpm_in_wide(t, e, len);
	}
	if (len)
		*len = (uint8_t)(e >> LPM_E_DEPTH_SHIFT);
	return e & LPM_E_VALUE_MASK;
}

/*
 * One load, root4, says which path to take and where the IPv4 root is:
 * the family test costs no more than that.
 */
static lpm_in_inline uint32_t lpm_lookup(const struct lpm *l,
					  const union fc_addr *addr,
					  uint8_t *len)
{
	const struct lpm_tables *t = (const struct lpm_tables *)(const void *)l;
	const uint32_t *root4 = lpm_in_load(t->root4);

	if (__builtin_expect(root4 != NULL, 1))
		return lpm_in_lookup4(t, root4, ntohl(addr->v4.s_addr), len);
	if (__atomic_load_n(&t->kind, __ATOMIC_RELAXED) == LPM_IN_V6)
		return lpm_in_leaf(t, lpm_in_entry6(t, addr->b), len);
	return lpm_in_lookup_sparse(t, addr, len);
}

#endif

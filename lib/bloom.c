/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Bloom next-hop cache. What it is for, and how readers and the
 * writer share it, is in bloom.h. Here:
 *
 * Generations. A generation is the seeds, m, k, the sliced rows readers
 * AND and the writer's counters. The writer updates the current one in
 * place (a bit follows its counter across zero); a rebuild from the
 * stores replaces it whole: a reseed, or a next hop whose slot lies past
 * the rows' width. Slots (a filter's column in every row) and next
 * hops are the cache's, not a generation's, so a rebuild copies nothing
 * but counts.
 *
 * Counters are 4 bits, two to a byte. With k = (m/n) ln 2 the chance
 * that any of m counters ever reaches 16 is below 1.37e-15 m (Fan, Cao,
 * Almeida, Broder, "Summary Cache", 2000), so 8 bits would double the
 * writer's memory (already four times the rows readers read) for a
 * filter loaded far past its design. That case stays correct anyway by
 * one rule: a counter that reaches 15 sticks. It no longer counts; no
 * decrement moves it, and its bit stays set until a rebuild recounts
 * from the stores. Decrementing it could reach zero while addresses
 * still hash there: a false negative, which no later add would repair.
 * A stuck counter costs at most a false positive, which confirmation
 * catches, and the next reseed clears it.
 *
 * Stores. Each next hop's addresses are an open-addressing set with
 * linear probing and its own SipHash key. An entry goes EMPTY -> an
 * address -> DEAD and never back, and its bytes are written once,
 * before the state that shows them is published; deleting only marks
 * it DEAD. When dead entries fill the set (or it grows, or empties) the
 * live ones are copied into a new set, which is published, and the old
 * one, never written again, is freed after a grace period.
 *
 * Why a hit is exact. A lookup that finds one positive loads that
 * slot's next hop (published whole; its id never changes) and its
 * store, and reports the id only if the store holds the address. An
 * entry the reader loads as holding the address held it at that instant
 * (its bytes never change while it is visible). A store the reader
 * loaded is either current or was frozen when replaced, after the
 * reader loaded it: either way it shows the next hop's set as it was at
 * an instant during the lookup. The rows take no part in this: a stale
 * or half-updated view of them only sends a lookup to the slow path,
 * or picks which next hop is asked.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bloom.h"
#include "hash.h"

/* The RCU pointer operations as C11 atomics, as in flowtable.c. */
#define bl_deref(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define bl_publish(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define bl_read(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define bl_write(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define CTR_MAX		15u	/* a 4-bit counter here sticks */
#define SET_MIN		8u	/* entries of the smallest store */
#define SET_MAX		(1u << 30)
#define ENTRY_EMPTY	0u
#define ENTRY_DEAD	UINT32_MAX
#define SET_NONE	UINT32_MAX	/* set_find(): not there */
#define LN2		0.69314718055994530942

/*
 * An address as it is hashed, stored and compared: two words, an IPv4
 * address in the first 4 bytes and zeros after. Compared a word at a
 * time with plain loads rather than memcmp(), which is faster and which
 * the compiler may expand inline where ThreadSanitizer cannot see it.
 */
struct bloom_key {
	uint64_t w[2];
	int family;
};

/* An address in a store; state is ENTRY_EMPTY, ENTRY_DEAD or the
 * address's family. */
struct bloom_entry {
	uint64_t w[2];
	uint32_t state;
};

struct bloom_set {
	struct hash_key key;
	uint32_t mask;
	uint32_t live, dead;		/* writer only */
	struct bloom_set *retired;
	struct bloom_entry e[];
};

struct bloom_nh {
	uint32_t id;			/* the caller's; never changes */
	uint32_t slot;			/* its filter's column */
	struct bloom_set *set;		/* published */
	struct bloom_nh *retired;
};

struct bloom_gen {
	struct hash_key seed;
	uint32_t bits, hashes;		/* m, k */
	uint32_t words;			/* per row: 64 filters a word */
	uint64_t *rows;			/* bits rows; bit j: slot j */
	uint8_t **counters;		/* per slot (NULL: unused); writer */
	struct bloom_gen *retired;
};

struct bloom_cache {
	/* what lookups read */
	struct bloom_gen *gen;		/* published */
	struct bloom_nh **slot;		/* published; NULL: free */

	/* the writer's, on lines of their own */
	struct bloom_params p __attribute__((aligned(64)));
	uint32_t bits, hashes;
	uint32_t slots;			/* length of slot[]: 64 a word */
	uint32_t used;			/* highest slot in use, + 1 */
	struct bloom_nh **byid;		/* id -> next hop */
	uint32_t byid_mask;
	uint64_t entries, reseeds;
	struct bloom_gen *retired_gens;
	struct bloom_set *retired_sets;
	struct bloom_nh *retired_nhs;
};

/* --- addresses and positions --------------------------------------------- */

static inline bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* An IPv4 address hashes as 4 bytes, an IPv6 one as 16: SipHash takes
 * the length in, so the families never collide by construction. */
static inline size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static inline struct bloom_key key_of(int family, const union fc_addr *a)
{
	struct bloom_key k = { .family = family };

	memcpy(k.w, a->b, addr_len(family));
	return k;
}

static inline uint64_t key_hash(const struct hash_key *seed,
				const struct bloom_key *k)
{
	return siphash13(seed, k->w, addr_len(k->family));
}

/* x scaled into [0, n): a multiply and a shift, no division. */
static inline uint32_t reduce(uint32_t x, uint32_t n)
{
	return (uint32_t)(((uint64_t)x * n) >> 32);
}

/*
 * The k positions of an address, by enhanced double hashing (Dillinger
 * and Manolios, "Bloom Filters in Probabilistic Verification", 2004):
 * g_0 = a, g_i+1 = g_i + b_i, b_i+1 = b_i + i, all mod m, a and b from
 * the two halves of one SipHash with the generation's seed. One hash
 * for k positions, as in plain double hashing (Kirsch and Mitzenmacher,
 * "Less Hashing, Same Performance", 2006), but without its weakness at
 * the small m sizing gives a next hop with few addresses: a b sharing a
 * large factor with m cycles through a few positions. Measured here,
 * m = 288, k = 10, n = 20: 0.13% false positives, 0.58% for plain
 * double hashing, 0.10% for k independent hashes. 32 bits for each half
 * are plenty, m being at most 2^31, which also keeps the sums from
 * overflowing.
 */
static inline void positions(const struct bloom_gen *g,
			     const struct bloom_key *k, uint32_t *pos)
{
	uint64_t h = key_hash(&g->seed, k);
	uint32_t p = reduce((uint32_t)h, g->bits);
	uint32_t step = reduce((uint32_t)(h >> 32), g->bits);
	uint32_t i;

	for (i = 0; i < g->hashes; i++) {
		pos[i] = p;
		p += step;
		if (p >= g->bits)
			p -= g->bits;
		step += i;
		while (step >= g->bits)	/* twice or more: tiny m */
			step -= g->bits;
	}
}

static inline uint64_t *row(const struct bloom_gen *g, uint32_t pos)
{
	return &g->rows[(size_t)pos * g->words];
}

/* --- stores -------------------------------------------------------------- */

static inline uint32_t set_home(const struct bloom_set *s,
				const struct bloom_key *k)
{
	return (uint32_t)key_hash(&s->key, k) & s->mask;
}

/*
 * Where k is in s, or SET_NONE. For readers and the writer alike: a
 * probe stops at the first empty entry, and there is always one (s is
 * at most 3/4 full, dead entries included).
 */
static uint32_t set_find(const struct bloom_set *s, const struct bloom_key *k)
{
	uint32_t i = set_home(s, k), n, st;
	const struct bloom_entry *e;

	for (n = 0; n <= s->mask; n++, i = (i + 1) & s->mask) {
		e = &s->e[i];
		st = bl_deref(e->state);
		if (st == ENTRY_EMPTY)
			return SET_NONE;
		if (st == (uint32_t)k->family && e->w[0] == k->w[0] &&
		    e->w[1] == k->w[1])
			return i;
	}
	return SET_NONE;
}

/* What a live entry holds. */
static inline struct bloom_key entry_key(const struct bloom_entry *e)
{
	return (struct bloom_key){
		.w = { e->w[0], e->w[1] }, .family = (int)e->state,
	};
}

static inline bool entry_live(const struct bloom_entry *e)
{
	return e->state != ENTRY_EMPTY && e->state != ENTRY_DEAD;
}

static struct bloom_set *set_new(struct bloom_cache *c, uint32_t size)
{
	struct bloom_set *s;

	s = calloc(1, sizeof(*s) + (size_t)size * sizeof(s->e[0]));
	if (!s)
		return NULL;
	s->mask = size - 1;
	c->p.random(&s->key, sizeof(s->key));
	return s;
}

/* The smallest store that holds live addresses at most half full. */
static uint32_t set_size_for(uint32_t live)
{
	uint32_t n = SET_MIN;

	while (n / 2 < live && n < SET_MAX)
		n *= 2;
	return n;
}

/*
 * Into the first empty entry of the probe (dead ones are not reused: a
 * reader may be comparing their bytes); the bytes first, then the state
 * that shows them.
 */
static void set_put(struct bloom_set *s, const struct bloom_key *k)
{
	uint32_t i = set_home(s, k);

	while (s->e[i].state != ENTRY_EMPTY)
		i = (i + 1) & s->mask;
	s->e[i].w[0] = k->w[0];
	s->e[i].w[1] = k->w[1];
	bl_publish(s->e[i].state, (uint32_t)k->family);
	s->live++;
}

/* Copy n's live addresses into a new store of size entries and publish
 * it; the old one is frozen from now on and freed after a grace period. */
static int set_resize(struct bloom_cache *c, struct bloom_nh *n,
		      uint32_t size)
{
	struct bloom_set *s = n->set, *t;
	struct bloom_key k;
	uint32_t i;

	t = set_new(c, size);
	if (!t)
		return -ENOMEM;
	for (i = 0; i <= s->mask; i++) {
		if (!entry_live(&s->e[i]))
			continue;
		k = entry_key(&s->e[i]);
		set_put(t, &k);
	}
	bl_publish(n->set, t);
	s->retired = c->retired_sets;
	c->retired_sets = s;
	return 0;
}

static int set_add(struct bloom_cache *c, struct bloom_nh *n,
		   const struct bloom_key *k)
{
	const struct bloom_set *s = n->set;
	int err;

	if (((uint64_t)s->live + s->dead + 1) * 4 >
	    ((uint64_t)s->mask + 1) * 3) {
		if (s->live >= SET_MAX / 2)
			return -ENOSPC;
		err = set_resize(c, n, set_size_for(s->live + 1));
		if (err)
			return err;
	}
	set_put(n->set, k);
	return 0;
}

static void set_kill(struct bloom_cache *c, struct bloom_nh *n, uint32_t i)
{
	struct bloom_set *s = n->set;

	bl_write(s->e[i].state, ENTRY_DEAD);
	s->live--;
	s->dead++;
	/* mostly empty: give the memory back (if that fails, the set is
	 * still right, only big) */
	if (s->mask + 1 > SET_MIN && (uint64_t)s->live * 8 < s->mask + 1)
		set_resize(c, n, set_size_for(s->live));
}

static size_t set_memory(const struct bloom_set *s)
{
	return sizeof(*s) + ((size_t)s->mask + 1) * sizeof(s->e[0]);
}

/* --- filters (the writer) ------------------------------------------------ */

static inline size_t ctr_bytes(uint32_t bits)
{
	return ((size_t)bits + 1) / 2;
}

static inline unsigned int ctr_get(const uint8_t *ctr, uint32_t i)
{
	return (ctr[i / 2] >> (i % 2 * 4)) & 0xfu;
}

static inline void ctr_set(uint8_t *ctr, uint32_t i, unsigned int v)
{
	unsigned int sh = i % 2 * 4;

	ctr[i / 2] = (uint8_t)((ctr[i / 2] & ~(0xfu << sh)) | v << sh);
}

/* A word of a row changes while readers may be ANDing it: one store. */
static void row_set(struct bloom_gen *g, uint32_t pos, uint32_t slot, bool on)
{
	uint64_t *w = &row(g, pos)[slot / 64];
	uint64_t bit = 1ull << (slot % 64);

	bl_write(*w, on ? bl_read(*w) | bit : bl_read(*w) & ~bit);
}

static void filter_add(struct bloom_gen *g, uint32_t slot,
		       const struct bloom_key *k)
{
	uint8_t *ctr = g->counters[slot];
	uint32_t pos[BLOOM_MAX_HASHES], i;
	unsigned int v;

	positions(g, k, pos);
	for (i = 0; i < g->hashes; i++) {
		v = ctr_get(ctr, pos[i]);
		if (v == CTR_MAX)
			continue;
		ctr_set(ctr, pos[i], v + 1);
		if (v == 0)
			row_set(g, pos[i], slot, true);
	}
}

static void filter_del(struct bloom_gen *g, uint32_t slot,
		       const struct bloom_key *k)
{
	uint8_t *ctr = g->counters[slot];
	uint32_t pos[BLOOM_MAX_HASHES], i;
	unsigned int v;

	positions(g, k, pos);
	for (i = 0; i < g->hashes; i++) {
		v = ctr_get(ctr, pos[i]);
		/* stuck (see the top of the file), or nothing to take: a
		 * counter never wraps below zero */
		if (v == CTR_MAX || v == 0)
			continue;
		ctr_set(ctr, pos[i], v - 1);
		if (v == 1)
			row_set(g, pos[i], slot, false);
	}
}

/* Empty slot's filter outright, stuck counters included: the slot may
 * go to another next hop next. */
static void filter_clear(struct bloom_gen *g, uint32_t slot)
{
	uint32_t pos;

	for (pos = 0; pos < g->bits; pos++)
		row_set(g, pos, slot, false);
	free(g->counters[slot]);
	g->counters[slot] = NULL;
}

/* Counters for slot in g, if it has none yet. */
static int filter_open(struct bloom_gen *g, uint32_t slot)
{
	if (!g->counters[slot])
		g->counters[slot] = calloc(1, ctr_bytes(g->bits));
	return g->counters[slot] ? 0 : -ENOMEM;
}

/* --- generations (the writer) -------------------------------------------- */

static uint32_t words_for(uint32_t slots)
{
	return slots ? (slots + 63) / 64 : 1;
}

static void gen_free(struct bloom_gen *g)
{
	uint32_t j;

	if (!g)
		return;
	if (g->counters)
		for (j = 0; j < g->words * 64; j++)
			free(g->counters[j]);
	free(g->counters);
	free(g->rows);
	free(g);
}

static struct bloom_gen *gen_new(const struct bloom_cache *c,
				 const struct hash_key *seed, uint32_t words)
{
	uint64_t size = (uint64_t)c->bits * words * sizeof(uint64_t);
	struct bloom_gen *g;

	/* rows start on a cache line: a row of up to 8 words is one */
	size = (size + 63) & ~63ull;
	if (size > SIZE_MAX)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->seed = *seed;
	g->bits = c->bits;
	g->hashes = c->hashes;
	g->words = words;
	g->counters = calloc((size_t)words * 64, sizeof(g->counters[0]));
	g->rows = aligned_alloc(64, (size_t)size);
	if (!g->counters || !g->rows) {
		gen_free(g);
		return NULL;
	}
	memset(g->rows, 0, (size_t)size);
	return g;
}

/* Count every address of n's store into its filter in g. */
static int gen_fill(struct bloom_gen *g, const struct bloom_nh *n)
{
	const struct bloom_set *s = n->set;
	struct bloom_key k;
	uint32_t i;

	if (filter_open(g, n->slot))
		return -ENOMEM;
	for (i = 0; i <= s->mask; i++) {
		if (!entry_live(&s->e[i]))
			continue;
		k = entry_key(&s->e[i]);
		filter_add(g, n->slot, &k);
	}
	return 0;
}

/*
 * Replace the current generation by one with seed, rows for slots
 * filters, and counts from the stores: built aside, then one pointer
 * swapped. Lookups that loaded the old one finish with it; its rows are
 * freed after a grace period, its counters now (readers never read
 * them).
 */
static int gen_rebuild(struct bloom_cache *c, const struct hash_key *seed,
		       uint32_t slots)
{
	struct bloom_gen *g, *old = c->gen;
	uint32_t j;

	g = gen_new(c, seed, words_for(slots));
	if (!g)
		return -ENOMEM;
	for (j = 0; j < c->used; j++) {
		if (c->slot[j] && gen_fill(g, c->slot[j])) {
			gen_free(g);
			return -ENOMEM;
		}
	}
	bl_publish(c->gen, g);
	for (j = 0; j < old->words * 64; j++)
		free(old->counters[j]);
	free(old->counters);
	old->counters = NULL;
	old->retired = c->retired_gens;
	c->retired_gens = old;
	return 0;
}

/* --- next hops (the writer) ---------------------------------------------- */

static inline uint32_t id_home(const struct bloom_cache *c, uint32_t id)
{
	/* ids are the caller's, not packets': no need for a keyed hash */
	uint32_t h = id * 0x9e3779b1u;

	return (h ^ h >> 16) & c->byid_mask;
}

/* The next hop called id, or NULL; *at: where it is in byid[]. */
static struct bloom_nh *nh_find(const struct bloom_cache *c, uint32_t id,
				uint32_t *at)
{
	uint32_t i = id_home(c, id);
	struct bloom_nh *n;

	for (; (n = c->byid[i]); i = (i + 1) & c->byid_mask) {
		if (n->id == id) {
			if (at)
				*at = i;
			return n;
		}
	}
	return NULL;
}

/* byid[] is at most half full: there is always a free entry. */
static void nh_map(struct bloom_cache *c, struct bloom_nh *n)
{
	uint32_t i = id_home(c, n->id);

	while (c->byid[i])
		i = (i + 1) & c->byid_mask;
	c->byid[i] = n;
}

/*
 * Empty byid[i] and close the gap behind it (Knuth's algorithm R): an
 * entry further on moves into the hole unless its home lies cyclically
 * after the hole, so probes never need tombstones.
 */
static void nh_unmap(struct bloom_cache *c, uint32_t i)
{
	uint32_t j = i, home, mask = c->byid_mask;

	for (;;) {
		c->byid[i] = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (!c->byid[j])
				return;
			home = id_home(c, c->byid[j]->id);
			if (((j - home) & mask) >= ((j - i) & mask))
				break;
		}
		c->byid[i] = c->byid[j];
		i = j;
	}
}

/* The lowest free slot, so the rows stay narrow; or -ENOSPC. */
static int slot_free(const struct bloom_cache *c)
{
	uint32_t j;

	for (j = 0; j < c->used; j++)
		if (!c->slot[j])
			return (int)j;
	return c->used < c->p.max_nexthops ? (int)c->used : -ENOSPC;
}

static int nh_create(struct bloom_cache *c, uint32_t id, struct bloom_nh **ret)
{
	struct bloom_gen *g = c->gen;
	struct bloom_nh *n;
	int slot, err;

	slot = slot_free(c);
	if (slot < 0)
		return slot;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->id = id;
	n->slot = (uint32_t)slot;
	n->set = set_new(c, SET_MIN);
	if (!n->set) {
		free(n);
		return -ENOMEM;
	}
	/* past the rows' width: a generation with wider rows, same seed */
	err = 0;
	if (n->slot >= g->words * 64)
		err = gen_rebuild(c, &g->seed, n->slot + 1);
	if (!err)
		err = filter_open(c->gen, n->slot);
	if (err) {
		free(n->set);
		free(n);
		return err;
	}
	nh_map(c, n);
	if (n->slot >= c->used)
		c->used = n->slot + 1;
	bl_publish(c->slot[n->slot], n);
	*ret = n;
	return 0;
}

/* --- the API ------------------------------------------------------------- */

enum bloom_result bloom_lookup(const struct bloom_cache *c, int family,
			       const union fc_addr *dst, uint32_t *nh)
{
	uint32_t pos[BLOOM_MAX_HASHES], w, i, slot = 0;
	const struct bloom_gen *g;
	const struct bloom_nh *n;
	struct bloom_key k;
	bool found = false;
	uint64_t acc;

	if (!family_ok(family))
		return BLOOM_NONE;
	k = key_of(family, dst);
	g = bl_deref(c->gen);
	positions(g, &k, pos);
	/* k rows in flight at once rather than one after another; with
	 * many next hops the AND empties early and some go unused */
	for (i = 0; i < g->hashes; i++)
		__builtin_prefetch(row(g, pos[i]));
	for (w = 0; w < g->words; w++) {
		acc = ~0ull;
		for (i = 0; i < g->hashes && acc; i++)
			acc &= bl_read(row(g, pos[i])[w]);
		if (!acc)
			continue;
		if (found || (acc & (acc - 1)))
			return BLOOM_SEVERAL;
		found = true;
		slot = w * 64 + (uint32_t)__builtin_ctzll(acc);
	}
	if (!found)
		return BLOOM_NONE;
	/* the one positive must be confirmed: see bloom.h */
	n = bl_deref(c->slot[slot]);
	if (!n || set_find(bl_deref(n->set), &k) == SET_NONE)
		return BLOOM_FALSE_POSITIVE;	/* slot emptied: the same */
	*nh = n->id;
	return BLOOM_HIT;
}

int bloom_add(struct bloom_cache *c, uint32_t nh, int family,
	      const union fc_addr *dst)
{
	struct bloom_nh *n;
	struct bloom_key k;
	int err;

	if (!nh || !family_ok(family))
		return -EINVAL;
	k = key_of(family, dst);
	n = nh_find(c, nh, NULL);
	if (!n) {
		err = nh_create(c, nh, &n);
		if (err)
			return err;
	} else if (set_find(n->set, &k) != SET_NONE) {
		return -EEXIST;
	}
	/* the store first, so that a reader seeing the bits confirms */
	err = set_add(c, n, &k);
	if (err)
		return err;
	filter_add(c->gen, n->slot, &k);
	c->entries++;
	return 0;
}

int bloom_del(struct bloom_cache *c, uint32_t nh, int family,
	      const union fc_addr *dst)
{
	struct bloom_nh *n;
	struct bloom_key k;
	uint32_t i;

	if (!nh || !family_ok(family))
		return -EINVAL;
	k = key_of(family, dst);
	n = nh_find(c, nh, NULL);
	if (!n)
		return -ENOENT;
	i = set_find(n->set, &k);
	if (i == SET_NONE)
		return -ENOENT;
	/* the store first: from here on no lookup confirms it */
	set_kill(c, n, i);
	filter_del(c->gen, n->slot, &k);
	c->entries--;
	return 0;
}

void bloom_del_nexthop(struct bloom_cache *c, uint32_t nh)
{
	struct bloom_nh *n;
	uint32_t at;

	n = nh ? nh_find(c, nh, &at) : NULL;
	if (!n)
		return;
	/* a lookup that already has n finishes with n and its store,
	 * which stay as they were until a grace period has passed */
	bl_publish(c->slot[n->slot], NULL);
	filter_clear(c->gen, n->slot);
	nh_unmap(c, at);
	c->entries -= n->set->live;
	while (c->used && !c->slot[c->used - 1])
		c->used--;
	n->retired = c->retired_nhs;
	c->retired_nhs = n;
}

int bloom_reseed(struct bloom_cache *c)
{
	struct hash_key seed;
	int err;

	c->p.random(&seed, sizeof(seed));
	/* rows as wide as the slots in use: narrower, if next hops went */
	err = gen_rebuild(c, &seed, c->used);
	if (!err)
		c->reseeds++;
	return err;
}

static void free_retired(struct bloom_gen *gens, struct bloom_set *sets,
			 struct bloom_nh *nhs)
{
	struct bloom_gen *g;
	struct bloom_set *s;
	struct bloom_nh *n;

	while ((g = gens)) {
		gens = g->retired;
		gen_free(g);
	}
	while ((s = sets)) {
		sets = s->retired;
		free(s);
	}
	while ((n = nhs)) {
		nhs = n->retired;
		free(n->set);
		free(n);
	}
}

void bloom_reclaim(struct bloom_cache *c)
{
	struct bloom_gen *gens = c->retired_gens;
	struct bloom_set *sets = c->retired_sets;
	struct bloom_nh *nhs = c->retired_nhs;

	if (!gens && !sets && !nhs)
		return;
	c->retired_gens = NULL;
	c->retired_sets = NULL;
	c->retired_nhs = NULL;
	c->p.synchronize();
	free_retired(gens, sets, nhs);
}

void bloom_get_stats(const struct bloom_cache *c, struct bloom_stats *st)
{
	const struct bloom_gen *g = c->gen;
	size_t mem;
	uint32_t j;

	mem = sizeof(*c) + (size_t)c->slots * sizeof(c->slot[0]) +
	      ((size_t)c->byid_mask + 1) * sizeof(c->byid[0]);
	mem += sizeof(*g) + (size_t)g->bits * g->words * sizeof(uint64_t) +
	       (size_t)g->words * 64 * sizeof(g->counters[0]);
	for (j = 0; j < c->used; j++) {
		if (g->counters[j])
			mem += ctr_bytes(g->bits);
		if (c->slot[j])
			mem += sizeof(*c->slot[j]) +
			       set_memory(c->slot[j]->set);
	}
	*st = (struct bloom_stats){
		.reseeds = c->reseeds,
		.entries = c->entries,
		.memory = mem,
	};
}

/* --- life ---------------------------------------------------------------- */

/*
 * log2(x) for x >= 1, so that sizing needs no libm: the integer part by
 * halving, then the fraction a bit at a time (squaring doubles the
 * logarithm; each time it passes 1, that bit is set). 30 bits are more
 * than a bit count needs.
 */
static double log2_of(double x)
{
	double r = 0, bit = 1;
	int i;

	while (x >= 2) {
		x /= 2;
		r += 1;
	}
	for (i = 0; i < 30; i++) {
		x *= x;
		bit /= 2;
		if (x >= 2) {
			x /= 2;
			r += bit;
		}
	}
	return r;
}

/*
 * m and k from the parameters. For n addresses at false-positive rate
 * p, the optimum is m = n log2(1/p) / ln 2 bits and k = (m / n) ln 2
 * hashes (then p = 2^-k): 9.6 bits and 7 hashes an address at 1%.
 */
static int filter_size(const struct bloom_params *p, uint32_t *bits,
		       uint32_t *hashes)
{
	double m = p->bits, k = p->hashes;

	if (!p->bits) {
		if (!p->expected || !(p->fp_rate > 0 && p->fp_rate < 1))
			return -EINVAL;
		m = p->expected * log2_of(1 / p->fp_rate) / LN2 + 1;
		if (m > BLOOM_MAX_BITS)
			return -EINVAL;
		if (m < BLOOM_MIN_BITS)
			m = BLOOM_MIN_BITS;
		m = (double)(uint32_t)m;
	}
	if (!p->hashes) {
		if (!p->expected)
			return -EINVAL;
		k = m / p->expected * LN2 + 0.5;
		k = k < 1 ? 1 : k > BLOOM_MAX_HASHES ? BLOOM_MAX_HASHES : k;
		k = (double)(uint32_t)k;
	}
	if (m < BLOOM_MIN_BITS || m > BLOOM_MAX_BITS || k < 1 ||
	    k > BLOOM_MAX_HASHES)
		return -EINVAL;
	*bits = (uint32_t)m;
	*hashes = (uint32_t)k;
	return 0;
}

struct bloom_cache *bloom_new(const struct bloom_params *p)
{
	struct bloom_cache *c;
	struct hash_key seed;
	uint32_t bits, hashes, n;

	if (!p->random || !p->synchronize || !p->max_nexthops ||
	    p->max_nexthops > BLOOM_MAX_NEXTHOPS ||
	    filter_size(p, &bits, &hashes)) {
		errno = EINVAL;
		return NULL;
	}
	c = aligned_alloc(64, sizeof(*c));
	if (!c)
		goto nomem;
	memset(c, 0, sizeof(*c));
	c->p = *p;
	c->bits = bits;
	c->hashes = hashes;
	c->slots = words_for(p->max_nexthops) * 64;
	c->slot = calloc(c->slots, sizeof(c->slot[0]));
	/* at most half full: probes stay short and always end */
	for (n = 2; n < 2 * p->max_nexthops; n *= 2)
		;
	c->byid_mask = n - 1;
	c->byid = calloc(n, sizeof(c->byid[0]));
	p->random(&seed, sizeof(seed));
	c->gen = gen_new(c, &seed, 1);
	if (!c->slot || !c->byid || !c->gen) {
		gen_free(c->gen);
		free(c->byid);
		free(c->slot);
		free(c);
		goto nomem;
	}
	return c;
nomem:
	errno = ENOMEM;
	return NULL;
}

void bloom_free(struct bloom_cache *c)
{
	uint32_t j;

	if (!c)
		return;
	/* no reader is left: nothing to wait for */
	free_retired(c->retired_gens, c->retired_sets, c->retired_nhs);
	for (j = 0; j < c->used; j++) {
		if (c->slot[j]) {
			free(c->slot[j]->set);
			free(c->slot[j]);
		}
	}
	gen_free(c->gen);
	free(c->byid);
	free(c->slot);
	free(c);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Longest-prefix match; the structure and its concurrency are explained
 * in lpm.h. Here: the entry format, the groups' memory, the one routine
 * that applies a prefix to the tables (add, replace and delete are all
 * "write this leaf where that condition holds, in this prefix's
 * range"), the writer-side prefix store and the lookups.
 *
 * Invariant (it is what makes the one routine right): a leaf entry holds
 * the value and length of the longest prefix matching every address
 * behind the entry; an empty entry (0) means no such prefix. The one
 * exception is a /0 kept apart (make_dense() says when): it is in no
 * entry, and answers for the empty ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "lpm.h"

/*
 * The writer's side of the RCU operations, as C11 atomics so that
 * ThreadSanitizer sees them (on x86 each is a plain move); the readers'
 * side is lpm_in_load(), in lpm.h.
 */
#define lpm_publish(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define lpm_write(p, v)		__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

/*
 * The entry format is drawn in lpm.h. The prefix store keeps a "code"
 * per prefix: the value itself when it fits a leaf, else CODE_WIDE and
 * its index in the value table.
 */
#define E_SPECIAL	LPM_E_SPECIAL
#define E_WIDE		LPM_E_WIDE
#define E_DEPTH_SHIFT	LPM_E_DEPTH_SHIFT
#define E_WIDE_SHIFT	22		/* a wide leaf's depth */
#define INLINE_VALUES	(1u << E_DEPTH_SHIFT)
#define CODE_WIDE	(1u << 31)
#define MAX_VALUES	(1u << E_WIDE_SHIFT)	/* of the value table */

#define GROUP_BITS	8
#define GROUP_ENTRIES	(1u << GROUP_BITS)
#define GROUP_BYTES	(GROUP_ENTRIES * sizeof(uint32_t))
/*
 * The groups live in one reserved range of address space, so that a
 * group's address is the base plus its number times 1 KiB: one load a
 * level, as the root's. The range is made accessible a chunk (one huge
 * page) at a time as groups are needed, and given back the same way.
 */
#define HUGE_BYTES	(2u << 20)
#define CHUNK_SHIFT	11
#define CHUNK_GROUPS	(1u << CHUNK_SHIFT)
#define CHUNK_BYTES	((size_t)CHUNK_GROUPS * GROUP_BYTES)
#define CHUNK_WORDS	(CHUNK_GROUPS / 64)
#define MAX_GROUPS	LPM_MAX_GROUPS
#define MAX_CHUNKS	(MAX_GROUPS / CHUNK_GROUPS)
#define GROUPS_BYTES	((size_t)MAX_GROUPS * GROUP_BYTES)
#define PAGE_ENTRIES	1024u		/* root entries in a 4 KiB page */

#define V4_ROOT_BITS	24
#define V6_ROOT_BITS	16
#define MAX_KEY_WORDS	4

/* The value table's reference counts double as its lists. */
#define VAL_FREE	(1u << 31)	/* on the free list; low bits: next */
#define VAL_RETIRED	(1u << 30)	/* waiting for a grace period */
#define VAL_NONE	0x3fffffffu	/* end of either list */

/*
 * One open-addressed table (linear probing, deletes by backward shift)
 * of records of kw key words and a value word, the value never 0 (0
 * marks a free slot). The prefixes of one length are one such table,
 * keyed by the masked address; the value table's index is another.
 */
struct wtab {
	uint32_t *slot;
	uint32_t mask;			/* slots - 1 */
	uint32_t used;
	uint8_t kw;
};

struct chunk_info {
	uint64_t free[CHUNK_WORDS];	/* bit set: the group is free */
	uint64_t retired[CHUNK_WORDS];	/* bit set: free after a grace period */
	uint32_t n_free, n_retired;
	bool mapped;
};

struct retired_mem {
	struct retired_mem *next;
	void *p;
};

struct lpm {
	struct lpm_tables t;		/* what lookups read: first */

	/* the writer's */
	int family;
	uint8_t root_bits;
	uint8_t max_len;
	bool dense;			/* the /0 is in the tables */
	struct lpm_params p;
	size_t count;
	size_t root_bytes;
	uint8_t *root_pages;		/* bitmap: root pages written */
	size_t root_touched;		/* pages in it */
	struct chunk_info *ci;		/* chunk_cap of them */
	uint32_t chunk_cap, chunk_hw;	/* chunk slots: infos, in use */
	uint32_t n_chunks, hint;	/* allocated; lowest maybe with free */
	uint32_t free_groups;		/* in allocated chunks */
	uint32_t groups_retired;
	uint32_t *vref;			/* per value: references, or lists */
	uint32_t n_values;		/* size of values[] and vref[] */
	uint32_t vfree, vretired;	/* list heads */
	struct wtab vindex;		/* value -> index + 1 */
	struct retired_mem *retired_mem;
	struct wtab plen[129];		/* prefixes by length */
};

/* --- memory of the big tables ---------------------------------------------- */

/*
 * The root and the groups' range come straight from mmap: zero pages on
 * demand (an IPv4 table of ten routes touches a few pages of its 64 MiB
 * root), and aligned to 2 MiB so that the kernel can back them with
 * transparent huge pages where we ask it to: a random lookup into 64 MiB
 * of 4 KiB pages misses the TLB almost every time. The groups' range is
 * only reserved (prot PROT_NONE): it costs address space, not memory.
 */
static void *big_alloc(size_t bytes, int prot, bool huge)
{
	size_t len = bytes + HUGE_BYTES, head;
	uint8_t *m, *p;

	m = mmap(NULL, len, prot,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)m + HUGE_BYTES - 1) &
			~(uintptr_t)(HUGE_BYTES - 1));
	head = (size_t)(p - m);
	if (head)
		munmap(m, head);
	if (len - head > bytes)
		munmap(p + bytes, len - head - bytes);
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE);	/* a hint: may fail */
#else
	(void)huge;
#endif
	return p;
}

static void big_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

/* --- entries ------------------------------------------------------------- */

static inline uint32_t leaf(uint32_t code, uint8_t depth)
{
	if (code & CODE_WIDE)
		return E_SPECIAL | E_WIDE | (uint32_t)depth << E_WIDE_SHIFT |
		       (code & ~CODE_WIDE);
	return (uint32_t)depth << E_DEPTH_SHIFT | code;
}

static inline uint8_t leaf_depth(uint32_t e)
{
	return (uint8_t)(e >> (e & E_SPECIAL ? E_WIDE_SHIFT : E_DEPTH_SHIFT));
}

static inline bool is_group(uint32_t e)
{
	return lpm_in_is_group(e);
}

/* The writer's view of a group: entry e, or a group number. */
static inline uint32_t *group_at(const struct lpm *l, uint32_t e)
{
	return l->t.groups + ((size_t)(e & ~E_SPECIAL) << GROUP_BITS);
}

/* --- groups ---------------------------------------------------------------- */

static int chunk_add(struct lpm *l)
{
	struct chunk_info *ci;
	uint8_t *mem;
	uint32_t c, w;

	for (c = 0; c < l->chunk_hw && l->ci[c].mapped; c++)
		;
	if (c == MAX_CHUNKS)
		return -ENOMEM;
	if (c == l->chunk_cap) {
		uint32_t cap = l->chunk_cap ? l->chunk_cap * 2 : 4;

		ci = realloc(l->ci, cap * sizeof(*ci));
		if (!ci)
			return -ENOMEM;
		l->ci = ci;
		l->chunk_cap = cap;
	}
	mem = (uint8_t *)l->t.groups + c * CHUNK_BYTES;
	if (mprotect(mem, CHUNK_BYTES, PROT_READ | PROT_WRITE))
		return -ENOMEM;
#ifdef MADV_HUGEPAGE
	madvise(mem, CHUNK_BYTES, MADV_HUGEPAGE);
#endif
	ci = &l->ci[c];
	for (w = 0; w < CHUNK_WORDS; w++) {
		ci->free[w] = ~0ull;
		ci->retired[w] = 0;
	}
	ci->n_free = CHUNK_GROUPS;
	ci->n_retired = 0;
	ci->mapped = true;
	if (c == l->chunk_hw)
		l->chunk_hw++;
	if (c < l->hint)
		l->hint = c;
	l->n_chunks++;
	l->free_groups += CHUNK_GROUPS;
	return 0;
}

/* Its memory back to the system: a fresh reservation over it. */
static void chunk_drop(struct lpm *l, uint32_t c)
{
	void *mem = (uint8_t *)l->t.groups + c * CHUNK_BYTES;

	if (mmap(mem, CHUNK_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		return;		/* still mapped: keep using it */
	l->ci[c].mapped = false;
	l->free_groups -= CHUNK_GROUPS;
	l->n_chunks--;
}

/*
 * An update splits entries along one path only, so it needs at most one
 * new group per level below the root that its prefix reaches into:
 * having those free before it starts, it cannot fail half-way.
 */
static int groups_reserve(struct lpm *l, uint8_t len)
{
	uint32_t need;
	int err;

	if (len <= l->root_bits)
		return 0;
	need = ((uint32_t)len - l->root_bits + GROUP_BITS - 1) / GROUP_BITS;
	while (l->free_groups < need) {
		err = chunk_add(l);
		if (err)
			return err;
	}
	return 0;
}

static uint32_t group_alloc(struct lpm *l)
{
	struct chunk_info *ci;
	uint32_t c = l->hint, w;
	unsigned int b;

	while (!l->ci[c].mapped || !l->ci[c].n_free)
		c++;
	l->hint = c;
	ci = &l->ci[c];
	for (w = 0; !ci->free[w]; w++)
		;
	b = (unsigned int)__builtin_ctzll(ci->free[w]);
	ci->free[w] &= ~(1ull << b);
	ci->n_free--;
	l->free_groups--;
	return c << CHUNK_SHIFT | w * 64 | b;
}

/* Free at once: no reader can have seen it (or none can any more). */
static void group_release(struct lpm *l, uint32_t g)
{
	uint32_t c = g >> CHUNK_SHIFT, i = g & (CHUNK_GROUPS - 1);
	struct chunk_info *ci = &l->ci[c];

	ci->free[i / 64] |= 1ull << (i % 64);
	ci->n_free++;
	l->free_groups++;
	if (c < l->hint)
		l->hint = c;
	/* an empty chunk goes back to the system, but the first stays:
	 * a small table adding and removing one long prefix would map and
	 * unmap it every time */
	if (ci->n_free == CHUNK_GROUPS && c)
		chunk_drop(l, c);
}

/* Unreachable now, but readers may still be inside it. */
static void group_retire(struct lpm *l, uint32_t g)
{
	uint32_t c = g >> CHUNK_SHIFT, i = g & (CHUNK_GROUPS - 1);

	l->ci[c].retired[i / 64] |= 1ull << (i % 64);
	l->ci[c].n_retired++;
	l->groups_retired++;
}

static void groups_reclaim(struct lpm *l)
{
	uint32_t c, w;

	for (c = 0; c < l->chunk_hw && l->groups_retired; c++) {
		struct chunk_info *ci = &l->ci[c];

		for (w = 0; w < CHUNK_WORDS && ci->n_retired; w++) {
			uint64_t bits = ci->retired[w];

			ci->retired[w] = 0;
			while (bits) {
				unsigned int b = (unsigned int)__builtin_ctzll(bits);

				bits &= bits - 1;
				ci->n_retired--;
				l->groups_retired--;
				group_release(l, c << CHUNK_SHIFT | w * 64 | b);
			}
		}
	}
}

/* --- the value table -------------------------------------------------------- */

static int values_grow(struct lpm *l)
{
	uint32_t n = l->n_values ? l->n_values * 2 : 16, i;
	struct retired_mem *rm = NULL;
	uint32_t *v, *ref;

	if (n > MAX_VALUES)
		return -ENOMEM;
	ref = realloc(l->vref, n * sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	l->vref = ref;
	v = malloc(n * sizeof(*v));
	if (l->t.values)
		rm = malloc(sizeof(*rm));
	if (!v || (l->t.values && !rm)) {
		free(v);
		free(rm);
		return -ENOMEM;
	}
	if (l->n_values)
		memcpy(v, l->t.values, l->n_values * sizeof(*v));
	for (i = l->n_values; i < n; i++) {
		v[i] = 0;
		ref[i] = VAL_FREE | (i + 1 < n ? i + 1 : VAL_NONE);
	}
	l->vfree = l->n_values;
	l->n_values = n;
	if (rm) {
		rm->p = l->t.values;
		rm->next = l->retired_mem;
		l->retired_mem = rm;
	}
	lpm_publish(l->t.values, v);
	return 0;
}

static int wtab_add(struct wtab *t, const uint32_t *key, uint32_t val);
static uint32_t *wtab_find(const struct wtab *t, const uint32_t *key);
static void wtab_del(struct wtab *t, uint32_t *r);

/* The code a leaf holds for value nh; takes a reference. */
static int code_get(struct lpm *l, uint32_t nh, uint32_t *code)
{
	uint32_t *r, i;

	if (nh < INLINE_VALUES) {
		*code = nh;
		return 0;
	}
	r = wtab_find(&l->vindex, &nh);
	if (r) {
		i = r[1] - 1;
		l->vref[i]++;
		*code = CODE_WIDE | i;
		return 0;
	}
	if (l->vfree == VAL_NONE && values_grow(l))
		return -ENOMEM;
	i = l->vfree;
	if (wtab_add(&l->vindex, &nh, i + 1))
		return -ENOMEM;
	l->vfree = l->vref[i] & ~VAL_FREE;
	l->vref[i] = 1;
	/* published by the release store of the first entry holding it */
	lpm_write(l->t.values[i], nh);
	*code = CODE_WIDE | i;
	return 0;
}

static void code_put(struct lpm *l, uint32_t code)
{
	uint32_t i = code & ~CODE_WIDE;

	if (!(code & CODE_WIDE) || --l->vref[i])
		return;
	wtab_del(&l->vindex, wtab_find(&l->vindex, &l->t.values[i]));
	/* a reader may hold a leaf with this code: reuse it only after a
	 * grace period */
	l->vref[i] = VAL_RETIRED | l->vretired;
	l->vretired = i;
}

static uint32_t code_value(const struct lpm *l, uint32_t code)
{
	if (code & CODE_WIDE)
		return l->t.values[code & ~CODE_WIDE];
	return code;
}

static void values_reclaim(struct lpm *l)
{
	uint32_t i, next;

	for (i = l->vretired; i != VAL_NONE; i = next) {
		next = l->vref[i] & ~VAL_RETIRED;
		l->vref[i] = VAL_FREE | l->vfree;
		l->vfree = i;
	}
	l->vretired = VAL_NONE;
}

/* --- the prefix store: one hash table per length --------------------------- */

static inline uint32_t *wtab_rec(const struct wtab *t, uint32_t i)
{
	return t->slot + (size_t)i * (t->kw + 1u);
}

/* A multiply-xorshift mix of the key words (not keyed: see lpm.h). */
static inline uint32_t wtab_hash(const uint32_t *key, unsigned int kw)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	unsigned int i;

	for (i = 0; i < kw; i++) {
		h = (h ^ key[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

static inline bool key_eq(const uint32_t *a, const uint32_t *b,
			  unsigned int kw)
{
	unsigned int i;

	for (i = 0; i < kw; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static uint32_t *wtab_find(const struct wtab *t, const uint32_t *key)
{
	uint32_t i, *r;

	if (!t->used)
		return NULL;
	for (i = wtab_hash(key, t->kw) & t->mask;; i = (i + 1) & t->mask) {
		r = wtab_rec(t, i);
		if (!r[t->kw])
			return NULL;
		if (key_eq(r, key, t->kw))
			return r;
	}
}

/* Put a record known to be absent into a table with room. */
static void wtab_put(struct wtab *t, const uint32_t *rec)
{
	uint32_t i, *r;

	for (i = wtab_hash(rec, t->kw) & t->mask;; i = (i + 1) & t->mask) {
		r = wtab_rec(t, i);
		if (!r[t->kw])
			break;
	}
	memcpy(r, rec, (t->kw + 1u) * sizeof(*r));
	t->used++;
}

static int wtab_resize(struct wtab *t, uint32_t slots)
{
	struct wtab n = { .mask = slots - 1, .kw = t->kw };
	uint32_t i;

	n.slot = calloc(slots, (t->kw + 1u) * sizeof(uint32_t));
	if (!n.slot)
		return -ENOMEM;
	for (i = 0; t->slot && i <= t->mask; i++)
		if (wtab_rec(t, i)[t->kw])
			wtab_put(&n, wtab_rec(t, i));
	free(t->slot);
	*t = n;
	return 0;
}

/* Up to 3/4 full: linear probing stays short with a mixing hash. */
static int wtab_add(struct wtab *t, const uint32_t *key, uint32_t val)
{
	uint32_t rec[MAX_KEY_WORDS + 1];
	int err;

	if (!t->slot || (t->used + 1) * 4ull > (t->mask + 1ull) * 3) {
		err = wtab_resize(t, t->slot ? (t->mask + 1) * 2 : 16);
		if (err)
			return err;
	}
	memcpy(rec, key, t->kw * sizeof(*rec));
	rec[t->kw] = val;
	wtab_put(t, rec);
	return 0;
}

/*
 * Remove r, moving back each later record of its run that may live in
 * its place (its home is not between the hole and itself): no
 * tombstones, so lookups of absent keys stay short after many deletes.
 * Shrinks below 1/8 full (the memory of a withdrawn table comes back).
 */
static void wtab_del(struct wtab *t, uint32_t *r)
{
	uint32_t hole = (uint32_t)((r - t->slot) / (t->kw + 1u)), j = hole;
	uint32_t home, *rj;

	for (;;) {
		j = (j + 1) & t->mask;
		rj = wtab_rec(t, j);
		if (!rj[t->kw])
			break;
		home = wtab_hash(rj, t->kw) & t->mask;
		if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
			memcpy(wtab_rec(t, hole), rj,
			       (t->kw + 1u) * sizeof(*rj));
			hole = j;
		}
	}
	wtab_rec(t, hole)[t->kw] = 0;
	t->used--;
	if (!t->used) {
		free(t->slot);
		t->slot = NULL;
		t->mask = 0;
	} else if (t->mask + 1 > 16 && t->used * 8ull < t->mask + 1ull) {
		wtab_resize(t, (t->mask + 1) / 2);	/* failing is harmless */
	}
}

static size_t wtab_bytes(const struct wtab *t)
{
	return t->slot ? (t->mask + 1ull) * (t->kw + 1u) * sizeof(uint32_t) : 0;
}

/* --- prefixes ---------------------------------------------------------------- */

struct key {
	union {
		uint8_t b[16];
		uint32_t w[MAX_KEY_WORDS];
	};
};

static inline unsigned int key_words(const struct lpm *l)
{
	return l->family == AF_INET ? 1 : 4;
}

/* The first len bits of a, the rest zero. */
static void key_make(const struct lpm *l, const uint8_t *a, uint8_t len,
		     struct key *k)
{
	unsigned int i, bytes = key_words(l) * 4u;

	memset(k, 0, sizeof(*k));
	memcpy(k->b, a, bytes);
	for (i = len / 8u; i < bytes; i++)
		k->b[i] &= i == len / 8u ? (uint8_t)(0xff00u >> (len % 8)) : 0;
}

/*
 * The leaf of the longest prefix shorter than len that covers k, 0 when
 * none (or only a /0 kept apart, which answers by itself): the answer a
 * deleted prefix's addresses fall back to.
 */
static uint32_t covering_leaf(const struct lpm *l, const struct key *k,
			      uint8_t len)
{
	struct key m;
	uint32_t *r;
	int j;

	for (j = len - 1; j >= 1; j--) {
		if (!l->plen[j].used)
			continue;
		key_make(l, k->b, (uint8_t)j, &m);
		r = wtab_find(&l->plen[j], m.w);
		if (r)
			return leaf(r[key_words(l)], (uint8_t)j);
	}
	if (!l->dense || !l->plen[0].used)
		return 0;
	memset(&m, 0, sizeof(m));
	r = wtab_find(&l->plen[0], m.w);
	return leaf(r[key_words(l)], 0);
}

/* --- applying a prefix to the tables --------------------------------------- */

/*
 * What an update writes, and where: in the prefix's range, an add writes
 * its leaf over every leaf of a length not above its own (more-specifics
 * keep theirs); a replace or a delete rewrites the leaves of exactly its
 * length, which can only be its own.
 */
struct op {
	const uint8_t *a;		/* the prefix, masked */
	uint8_t len;
	bool add;
	uint32_t val;			/* the leaf to write */
};

static inline bool op_hits(const struct op *op, uint32_t e)
{
	if (op->add)
		return leaf_depth(e) <= op->len;
	return e && leaf_depth(e) == op->len;
}

static inline unsigned int level_end(const struct lpm *l, unsigned int k)
{
	return l->root_bits + GROUP_BITS * k;
}

/* The prefix's index into a table of level k (0: the root). */
static inline uint32_t level_index(const struct lpm *l, const uint8_t *a,
				   unsigned int k)
{
	if (k)
		return a[l->root_bits / 8u + k - 1];
	if (l->root_bits == 24)
		return (uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2];
	return (uint32_t)a[0] << 8 | a[1];
}

static void root_touch(struct lpm *l, uint32_t i, uint32_t n)
{
	uint32_t pg;

	for (pg = i / PAGE_ENTRIES; pg <= (i + n - 1) / PAGE_ENTRIES; pg++) {
		if (l->root_pages[pg / 8] & (1u << (pg % 8)))
			continue;
		l->root_pages[pg / 8] |= (uint8_t)(1u << (pg % 8));
		l->root_touched++;
	}
}

static bool group_uniform(const uint32_t *g)
{
	uint32_t i, diff = 0;

	for (i = 1; i < GROUP_ENTRIES; i++)
		diff |= g[i] ^ g[0];
	return !diff && !is_group(g[0]);
}

/*
 * A group whose entries all became the same leaf is replaced by that
 * leaf: the memory of withdrawn more-specifics comes back, and the next
 * lookup there is one access shorter.
 */
static void group_collapse(struct lpm *l, uint32_t *slot)
{
	uint32_t e = *slot, *g = group_at(l, e);

	if (!group_uniform(g))
		return;
	lpm_publish(*slot, g[0]);
	group_retire(l, e & ~E_SPECIAL);
}

static void apply(struct lpm *l, const struct op *op, uint32_t *t,
		  unsigned int k);

/* The prefix covers every address behind *slot. */
static void apply_full(struct lpm *l, const struct op *op, uint32_t *slot)
{
	uint32_t e = *slot, *g, i;

	if (is_group(e)) {
		g = group_at(l, e);
		for (i = 0; i < GROUP_ENTRIES; i++)
			apply_full(l, op, &g[i]);
		group_collapse(l, slot);
	} else if (op_hits(op, e)) {
		lpm_publish(*slot, op->val);
	}
}

/*
 * The prefix covers part of what is behind *slot, a table of level k. A
 * leaf that must change there is split: a new group, every entry a copy
 * of the leaf, gets the update and only then replaces the leaf, so a
 * reader finds the old leaf or the whole new group.
 */
static void apply_partial(struct lpm *l, const struct op *op, uint32_t *slot,
			  unsigned int k)
{
	uint32_t e = *slot, *g, gi, i;

	if (is_group(e)) {
		apply(l, op, group_at(l, e), k + 1);
		group_collapse(l, slot);
		return;
	}
	if (!op_hits(op, e))
		return;
	gi = group_alloc(l);
	g = group_at(l, gi);
	for (i = 0; i < GROUP_ENTRIES; i++)
		g[i] = e;
	apply(l, op, g, k + 1);
	if (group_uniform(g)) {
		/* a replace by the same leaf: nothing changed */
		group_release(l, gi);
		return;
	}
	lpm_publish(*slot, E_SPECIAL | gi);
}

/* Apply op to the entries of table t, of level k, in the prefix's range. */
static void apply(struct lpm *l, const struct op *op, uint32_t *t,
		  unsigned int k)
{
	unsigned int end = level_end(l, k);
	uint32_t i = level_index(l, op->a, k), n;

	if (op->len > end) {
		if (!k)
			root_touch(l, i, 1);
		apply_partial(l, op, &t[i], k);
		return;
	}
	/* the prefix is masked: i is the first of its 2^(end - len) */
	n = 1u << (end - op->len);
	if (!k)
		root_touch(l, i, n);
	for (; n; n--, i++)
		apply_full(l, op, &t[i]);
}

static void update(struct lpm *l, const struct key *k, uint8_t len,
		   bool add, uint32_t val)
{
	struct op op = { .a = k->b, .len = len, .add = add, .val = val };

	if (len || l->dense) {
		apply(l, &op, l->t.root, 0);
		return;
	}
	/* a reader that sees the old kind gets the old answer, and one
	 * that sees LPM_IN_V4_SPARSE and no dflt yet, "no default" */
	lpm_publish(l->t.dflt, val);
	lpm_publish(l->t.kind, val ? LPM_IN_V4_SPARSE : LPM_IN_V4);
	lpm_publish(l->t.root4, val ? NULL : l->t.root);
}

/*
 * A default route kept apart sends every lookup down the slow path (a
 * call, and a test that mispredicts wherever no other route matches); in
 * the tables it costs nothing, but writing it into a sparse IPv4 root
 * would touch all 64 MiB. So it moves in once routes have touched half
 * the root (a full table touches all of it), and stays. Readers see the
 * same answer throughout: the entries first, then the kind and root4.
 */
static void make_dense(struct lpm *l)
{
	struct key zero;
	uint32_t *r;

	l->dense = true;
	memset(&zero, 0, sizeof(zero));
	r = wtab_find(&l->plen[0], zero.w);
	if (!r)
		return;
	update(l, &zero, 0, true, leaf(r[key_words(l)], 0));
	lpm_publish(l->t.kind, LPM_IN_V4);
	lpm_publish(l->t.root4, l->t.root);
	/* dflt stays: a lookup that read an empty entry before the move
	 * may read it only now, and must still find the default there */
}

/* --- writers --------------------------------------------------------------- */

static int replace(struct lpm *l, const struct key *k, uint8_t len,
		   uint32_t *r, uint32_t nh)
{
	unsigned int kw = key_words(l);
	uint32_t code, old = r[kw];
	int err;

	if (code_value(l, old) == nh)
		return 0;
	err = code_get(l, nh, &code);
	if (err)
		return err;
	r[kw] = code;
	update(l, k, len, false, leaf(code, len));
	code_put(l, old);
	return 0;
}

int lpm_add(struct lpm *l, const union fc_addr *prefix, uint8_t len,
	    uint32_t nh)
{
	struct key k;
	uint32_t code, *r;
	int err;

	if (len > l->max_len || !nh)
		return -EINVAL;
	key_make(l, prefix->b, len, &k);
	err = groups_reserve(l, len);
	if (err)
		return err;
	r = wtab_find(&l->plen[len], k.w);
	if (r)
		return replace(l, &k, len, r, nh);
	err = code_get(l, nh, &code);
	if (err)
		return err;
	err = wtab_add(&l->plen[len], k.w, code);
	if (err) {
		code_put(l, code);
		return err;
	}
	l->count++;
	update(l, &k, len, true, leaf(code, len));
	if (!l->dense && l->root_touched * 2 * PAGE_ENTRIES >=
			 (size_t)1 << l->root_bits)
		make_dense(l);
	return 0;
}

int lpm_del(struct lpm *l, const union fc_addr *prefix, uint8_t len)
{
	struct key k;
	uint32_t code, *r;
	int err;

	if (len > l->max_len)
		return -EINVAL;
	key_make(l, prefix->b, len, &k);
	r = wtab_find(&l->plen[len], k.w);
	if (!r)
		return -ENOENT;
	/* a leaf merged from several prefixes of this length may have to
	 * be split again */
	err = groups_reserve(l, len);
	if (err)
		return err;
	code = r[key_words(l)];
	wtab_del(&l->plen[len], r);
	l->count--;
	update(l, &k, len, false, len ? covering_leaf(l, &k, len) : 0);
	code_put(l, code);
	return 0;
}

void lpm_walk(const struct lpm *l,
	      bool (*fn)(const union fc_addr *p, uint8_t len, uint32_t nh,
			 void *arg),
	      void *arg)
{
	unsigned int kw = key_words(l), len;
	union fc_addr a;
	uint32_t i, *r;

	for (len = 0; len <= l->max_len; len++) {
		const struct wtab *t = &l->plen[len];

		for (i = 0; t->used && i <= t->mask; i++) {
			r = wtab_rec(t, i);
			if (!r[kw])
				continue;
			memset(&a, 0, sizeof(a));
			memcpy(a.b, r, kw * sizeof(*r));
			if (!fn(&a, (uint8_t)len, code_value(l, r[kw]), arg))
				return;
		}
	}
}

size_t lpm_count(const struct lpm *l)
{
	return l->count;
}

size_t lpm_memory(const struct lpm *l)
{
	size_t b = sizeof(*l) + l->root_touched * PAGE_ENTRIES * 4 +
		   l->n_chunks * CHUNK_BYTES +
		   l->chunk_cap * sizeof(*l->ci) +
		   l->n_values * 2 * sizeof(uint32_t) +
		   wtab_bytes(&l->vindex);
	unsigned int len;

	for (len = 0; len <= l->max_len; len++)
		b += wtab_bytes(&l->plen[len]);
	return b;
}

void lpm_reclaim(struct lpm *l)
{
	struct retired_mem *rm;

	if (!l->groups_retired && l->vretired == VAL_NONE && !l->retired_mem)
		return;
	l->p.synchronize();
	groups_reclaim(l);
	values_reclaim(l);
	while ((rm = l->retired_mem)) {
		l->retired_mem = rm->next;
		free(rm->p);
		free(rm);
	}
}

/* --- readers (lpm_lookup() is inline, in lpm.h) ------------------------- */

_Static_assert(V6_ROOT_BITS == 16 && V4_ROOT_BITS == 24,
	       "lpm_in_entry4() and lpm_in_entry6() index the root by these");
_Static_assert(GROUP_BITS == 8, "lpm_in_group() assumes groups of 256");
_Static_assert(MAX_GROUPS <= E_WIDE, "a group number fits an entry");

/*
 * A wide leaf's value. The entry was loaded with a dependency load, but
 * the value table's address does not depend on it: the fence orders the
 * two (the table a leaf indexes was published before the leaf; with
 * acquire loads, under ThreadSanitizer, they are in order already).
 */
uint32_t lpm_in_wide(const struct lpm_tables *t, uint32_t e, uint8_t *len)
{
	const uint32_t *v;

#if LPM_IN_ORDER == __ATOMIC_RELAXED
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
	if (len)
		*len = leaf_depth(e);
	v = __atomic_load_n(&t->values, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&v[e & (MAX_VALUES - 1)], __ATOMIC_RELAXED);
}

/* An IPv4 LPM whose default route is kept apart (see make_dense()). */
uint32_t lpm_in_lookup_sparse(const struct lpm_tables *t,
			      const union fc_addr *addr, uint8_t *len)
{
	uint32_t e = lpm_in_entry4(t, ntohl(addr->v4.s_addr));

	if (!e)
		e = __atomic_load_n(&t->dflt, __ATOMIC_RELAXED);
	return lpm_in_leaf(t, e, len);
}

#define WAVE 32

/*
 * IPv6, 32 at a time, a level at a time: the loads of one level of the
 * 32 overlap. One after the other, each lookup ends in a loop exit that
 * mispredicts (its number of levels varies), and the processor throws
 * away the loads of the next lookup it had started: measured on a full
 * table, a quarter slower with a cached working set, a third with a
 * spread one. (Waves of 8 or 16 wait too often for their slowest
 * lookup; keeping 16 lookups in flight, each refilled as it ends,
 * mispredicts as much as one after the other.)
 */
static void many6(const struct lpm_tables *t, const union fc_addr *a,
		  size_t n, uint32_t *nh)
{
	uint32_t e[WAVE];
	unsigned int k;
	size_t i, j, m;
	bool more;

	for (i = 0; i < n; i += m) {
		m = n - i < WAVE ? n - i : WAVE;
		for (j = 0; j < m; j++)
			e[j] = lpm_in_load(t->root[(uint32_t)a[i + j].b[0] << 8 |
						   a[i + j].b[1]]);
		/* no group below the last byte: k stops at 15 */
		for (k = 2, more = true; more; k++) {
			more = false;
			for (j = 0; j < m; j++) {
				if (!lpm_in_is_group(e[j]))
					continue;
				e[j] = lpm_in_load(lpm_in_group(t, e[j])
							[a[i + j].b[k]]);
				more |= lpm_in_is_group(e[j]);
			}
		}
		for (j = 0; j < m; j++)
			nh[i + j] = lpm_in_leaf(t, e[j], NULL);
	}
}

/*
 * IPv4: a loop of single lookups, the kind tested once; the processor
 * overlaps the cache misses of consecutive lookups by itself
 * (prefetching a batch ahead measured slower, for the instructions it
 * adds). IPv6: many6().
 */
void lpm_lookup_many(const struct lpm *l, const union fc_addr *addrs,
		     size_t n, uint32_t *nh)
{
	const struct lpm_tables *t = &l->t;
	const uint32_t *root4 = lpm_in_load(t->root4);
	size_t i;

	/* a change of kind during the batch: the old kind still answers
	 * as the old tables did */
	if (root4) {
		for (i = 0; i < n; i++)
			nh[i] = lpm_in_lookup4(t, root4,
					       ntohl(addrs[i].v4.s_addr), NULL);
	} else if (__atomic_load_n(&t->kind, __ATOMIC_RELAXED) == LPM_IN_V6) {
		many6(t, addrs, n, nh);
	} else {
		for (i = 0; i < n; i++)
			nh[i] = lpm_in_lookup_sparse(t, &addrs[i], NULL);
	}
}

/* --- life ------------------------------------------------------------------ */

struct lpm *lpm_new(const struct lpm_params *p)
{
	struct lpm *l;
	unsigned int len;

	if (p->family != AF_INET && p->family != AF_INET6)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->p = *p;
	l->family = p->family;
	l->t.kind = p->family == AF_INET ? LPM_IN_V4 : LPM_IN_V6;
	l->root_bits = p->family == AF_INET ? V4_ROOT_BITS : V6_ROOT_BITS;
	l->max_len = p->family == AF_INET ? 32 : 128;
	/* the IPv6 root is 256 KiB: the /0 goes into the tables at once */
	l->dense = p->family == AF_INET6;
	l->vfree = VAL_NONE;
	l->vretired = VAL_NONE;
	l->vindex.kw = 1;
	for (len = 0; len <= l->max_len; len++)
		l->plen[len].kw = (uint8_t)key_words(l);
	l->root_bytes = ((size_t)1 << l->root_bits) * sizeof(uint32_t);
	/* huge pages for the IPv4 root, which random lookups hit all
	 * over; the IPv6 root is 256 KiB */
	l->t.root = big_alloc(l->root_bytes, PROT_READ | PROT_WRITE,
			      p->family == AF_INET);
	l->t.groups = big_alloc(GROUPS_BYTES, PROT_NONE, false);
	l->root_pages = calloc(l->root_bytes / (PAGE_ENTRIES * 4) / 8 + 1, 1);
	if (!l->t.root || !l->t.groups || !l->root_pages) {
		lpm_free(l);
		return NULL;
	}
	if (p->family == AF_INET)
		l->t.root4 = l->t.root;
	return l;
}

void lpm_free(struct lpm *l)
{
	struct retired_mem *rm;
	unsigned int len;

	if (!l)
		return;
	/* no reader is left: what is retired goes with the rest */
	big_free(l->t.groups, GROUPS_BYTES);
	while ((rm = l->retired_mem)) {
		l->retired_mem = rm->next;
		free(rm->p);
		free(rm);
	}
	for (len = 0; len <= l->max_len; len++)
		free(l->plen[len].slot);
	free(l->vindex.slot);
	free(l->t.values);
	free(l->vref);
	free(l->ci);
	free(l->root_pages);
	big_free(l->t.root, l->root_bytes);
	free(l);
}

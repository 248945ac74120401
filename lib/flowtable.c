/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table; the design (RCU readers, one writer mutex, tagged
 * buckets, resize by moving entries between tables) is explained in
 * flowtable.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "flowtable.h"

/*
 * The RCU pointer operations, as C11 atomics so that ThreadSanitizer
 * understands them (liburcu's own are volatile accesses and barriers it
 * cannot see). On x86 an acquire load and a release store are plain
 * moves: the read side still costs nothing. Acquire is used where
 * liburcu would use a dependency (consume) load, which compilers
 * promote to acquire anyway.
 */
#define ft_deref(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define ft_publish(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define ft_read(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

#define FT_SLOTS	10	/* entries per 64-byte bucket */
#define FT_MIN_BUCKETS	128u
#define FT_MAX_BUCKETS	(1u << 27)
#define FT_STEP		4	/* old buckets moved per write */
#define FT_CHUNK	64	/* buckets per lock hold in a walk */
#define FT_REHASH_PROBE	8	/* a key this far from home: new secret */
#define FT_PROBE_MAX	32	/* refuse admitted inserts past this */
#define FT_VICTIMS	4096
#define FT_SLAB_FLOWS	8192	/* flows per slab */
#define FT_MAX_SLABS	32768	/* 2^28 flows */
#define FT_ZONES	65536

/* An entry's reference: the flow's index, and whether this entry is the
 * reply key of a NAT flow. */
#define REF_REPLY	(1u << 31)

/*
 * A bucket is one cache line: ten entries, each a 16-bit tag from the
 * key's hash and a 32-bit flow reference (0: empty), so a lookup rejects
 * almost every other key without touching its flow; and a count of the
 * keys that started a probe at or before this bucket and were stored
 * after it, so a lookup knows where to stop without tombstones.
 *
 * Every key has two candidate buckets (two parts of its hash) and goes
 * into the emptier one; only when both are full does it probe on from
 * the first, and its tag then says so (TAG_PROBED). Two choices keep
 * buckets evenly filled up to 80% and more, so the index stays small:
 * eight bytes or less a flow on average.
 */
#define TAG_PROBED	1u

struct ft_bucket {
	/* tags 0-3, 4-7 and 8-9, 16 bits each: words, so that readers
	 * load them atomically (with relaxed loads, which cost nothing) */
	uint64_t tags[2];
	uint32_t tags2;
	uint32_t overflow;
	uint32_t ref[FT_SLOTS];
};

_Static_assert(sizeof(struct ft_bucket) == 64, "a bucket is a cache line");
_Static_assert(sizeof(struct flow) == 80, "struct flow grew");

struct ft_table {
	uint32_t mask;
	struct hash_key key;
	struct ft_table *future;	/* the table this one moves into */
	struct ft_table *retired;	/* free list link */
	struct ft_bucket b[] __attribute__((aligned(64)));
};

struct ft_zone {
	uint32_t flows, unreplied, max_flows;
	enum ft_on_full on_full;
	uint64_t inserted, dropped, evicted;
	uint32_t oldest, newest;	/* unreplied flows, by age (idx) */
};

struct ft_slab {
	struct flow flows[FT_SLAB_FLOWS];
};

struct flowtable {
	struct ft_table *tbl;		/* oldest table still in use */
	struct ft_slab **slabs;		/* FT_MAX_SLABS; only ever added to */
	pthread_mutex_t lock;
	struct ft_params p;

	/* under the lock */
	uint32_t move_pos;		/* next bucket of tbl to move */
	uint64_t entries;		/* one per flow, two with NAT */
	uint32_t walkers;		/* walks running: no resize starts */
	uint32_t floor;			/* no shrink below: ft_reserve() */
	uint32_t clock;
	uint8_t round;
	struct ft_zone *zones[FT_ZONES];
	struct ft_stats st;
	uint32_t retired;		/* removed flows, linked by ->older */
	struct ft_table *retired_tables;
	struct ft_victim victims[FT_VICTIMS];
	size_t n_victims;
	uint32_t n_slabs;
	uint32_t slab_used;		/* flows handed out of the last slab */
	uint32_t free;			/* reusable flows, linked by ->older */
};

/* --- keys and entries -------------------------------------------------- */

static inline struct flow *flow_at(const struct flowtable *ft, uint32_t idx)
{
	const struct ft_slab *s;

	idx--;
	s = ft_deref(ft->slabs[idx / FT_SLAB_FLOWS]);
	return (struct flow *)&s->flows[idx % FT_SLAB_FLOWS];
}

static inline struct flow *ref_flow(const struct flowtable *ft, uint32_t ref)
{
	return flow_at(ft, ref & ~REF_REPLY);
}

void flow_reply(const struct flow *f, struct tuple *out)
{
	if (f->flags & FLOW_NAT)
		*out = f->ext->reply;
	else
		tuple_reverse(&f->orig, out);
}

/*
 * Keys compared a word at a time: memcmp() is a call, and this is the
 * innermost loop. A tuple is five words: the source address, the
 * destination address, then ports, zone, family and protocol.
 */
static inline void key_words(const struct tuple *t, uint64_t w[5])
{
	memcpy(w, t, 5 * sizeof(w[0]));
}

static inline bool key_eq(const struct tuple *a, const struct tuple *b)
{
	uint64_t x[5], y[5];

	key_words(a, x);
	key_words(b, y);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* Whether a is b with its ends swapped. */
static inline bool key_eq_reversed(const struct tuple *a,
				   const struct tuple *b)
{
	uint64_t x[4], y[4];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[2]) | (x[1] ^ y[3]) | (x[2] ^ y[0]) |
		(x[3] ^ y[1])) == 0 &&
	       a->sport == b->dport && a->dport == b->sport &&
	       a->zone == b->zone && a->family == b->family &&
	       a->proto == b->proto;
}

_Static_assert(sizeof(struct tuple) == 5 * sizeof(uint64_t),
	       "a tuple is five words");

/* The key an entry is stored under. */
static void ref_key(const struct flowtable *ft, uint32_t ref,
		    struct tuple *out)
{
	const struct flow *f = ref_flow(ft, ref);

	*out = ref & REF_REPLY ? f->ext->reply : f->orig;
}

/*
 * Which key of the entry's flow t is, if any. A flow without NAT has one
 * entry that answers for both directions (its reply key is the reversed
 * orig, and both hash alike, see key_hash()); with NAT, one entry
 * answers for the orig key alone and one for the reply key.
 */
static bool ref_matches(const struct flowtable *ft, uint32_t ref,
			const struct tuple *t, struct flow **fp,
			enum ft_dir *dir)
{
	struct flow *f = ref_flow(ft, ref);

	*fp = f;
	if (ref & REF_REPLY) {
		*dir = FT_REPLY;
		return key_eq(&f->ext->reply, t);
	}
	*dir = FT_ORIG;
	if (key_eq(&f->orig, t))
		return true;
	if (ft_read(f->flags) & FLOW_NAT)
		return false;
	*dir = FT_REPLY;
	return key_eq_reversed(t, &f->orig);
}

/*
 * A key and its reverse hash alike: the hash is taken over the key with
 * its ends in a fixed order. So a flow without NAT needs one entry, not
 * two. An IPv4 key is hashed as its 16 meaningful bytes rather than 40
 * (two SipHash rounds fewer: a third of the hash's time); the family is
 * among them, so no IPv4 key hashes as an IPv6 one by construction. The
 * low 27 bits pick the first bucket, bits 24-50 the second, the top
 * bits are the tag (see bucket1(), bucket2(), hash_tag()).
 */
static inline uint64_t key_hash(const struct ft_table *tb,
				const struct tuple *t)
{
	uint64_t w[5], m[2];
	struct tuple r;
	bool swap;

	/* any order works that a key and its reverse agree on */
	key_words(t, w);
	swap = w[0] != w[2] ? w[0] > w[2] :
	       w[1] != w[3] ? w[1] > w[3] : t->sport > t->dport;
	if (swap) {
		tuple_reverse(t, &r);
		t = &r;
	}
	if (t->family != AF_INET)
		return siphash13(&tb->key, t, sizeof(*t));
	m[0] = (uint64_t)t->src.v4.s_addr << 32 | t->dst.v4.s_addr;
	memcpy(&m[1], &t->sport, sizeof(m[1]));
	return siphash13(&tb->key, m, sizeof(m));
}

/* Bits 0-26 and 24-50 name the two buckets, bits 49-63 the tag. */
static inline uint16_t hash_tag(uint64_t h)
{
	return (uint16_t)(h >> 48) & (uint16_t)~TAG_PROBED;
}

static inline uint32_t bucket1(const struct ft_table *tb, uint64_t h)
{
	return (uint32_t)h & tb->mask;
}

static inline uint32_t bucket2(const struct ft_table *tb, uint64_t h)
{
	return (uint32_t)(h >> 24) & tb->mask;
}

static inline const struct ft_bucket *bucket_at(const struct ft_table *tb,
						 uint32_t b)
{
	return &tb->b[b & tb->mask];
}

/* --- readers ------------------------------------------------------------ */

static inline uint16_t tag_get(const struct ft_bucket *bk, unsigned int i)
{
	if (i < 8)
		return (uint16_t)(ft_read(bk->tags[i / 4]) >> (16 * (i % 4)));
	return (uint16_t)(ft_read(bk->tags2) >> (16 * (i - 8)));
}

/* Writers only, under the lock: a read-modify-write of the tag's word. */
static void tag_set(struct ft_bucket *bk, unsigned int i, uint16_t tag)
{
	if (i < 8) {
		uint64_t *w = &bk->tags[i / 4];
		unsigned int sh = 16 * (i % 4);

		__atomic_store_n(w, (*w & ~(0xffffull << sh)) |
				 (uint64_t)tag << sh, __ATOMIC_RELAXED);
	} else {
		uint32_t *w = &bk->tags2;
		unsigned int sh = 16 * (i - 8);

		__atomic_store_n(w, (*w & ~(0xffffu << sh)) |
				 (uint32_t)tag << sh, __ATOMIC_RELAXED);
	}
}

/*
 * The slots whose tag is tag, as a mask with bit 2i set for slot i: the
 * first eight tags compared at once (SSE2, where there is SSE2: one
 * by one they were a third of a lookup's instructions).
 */
static inline unsigned int tag_hits(const struct ft_bucket *bk, uint16_t tag)
{
	uint64_t w0 = ft_read(bk->tags[0]), w1 = ft_read(bk->tags[1]);
	uint32_t w2 = ft_read(bk->tags2);
	unsigned int m = 0, i;
#ifdef __SSE2__
	__m128i v = _mm_set_epi64x((long long)w1, (long long)w0);
	__m128i eq = _mm_cmpeq_epi16(
		_mm_and_si128(v, _mm_set1_epi16((short)(uint16_t)~TAG_PROBED)),
		_mm_set1_epi16((short)tag));

	m = (unsigned int)_mm_movemask_epi8(eq) & 0x5555u;
#else
	for (i = 0; i < 8; i++) {
		uint16_t t = (uint16_t)((i < 4 ? w0 : w1) >> (16 * (i % 4)));

		m |= (unsigned int)((t & ~TAG_PROBED) == tag) << (2 * i);
	}
#endif
	for (i = 8; i < FT_SLOTS; i++)
		m |= (unsigned int)(((uint16_t)(w2 >> (16 * (i - 8))) &
				     ~TAG_PROBED) == tag) << (2 * i);
	return m;
}

static struct flow *bucket_find(const struct flowtable *ft,
				const struct ft_bucket *bk, uint16_t tag,
				const struct tuple *t, enum ft_dir *dir)
{
	unsigned int m = tag_hits(bk, tag);
	struct flow *f;
	enum ft_dir d;

	while (m) {
		unsigned int i = (unsigned int)__builtin_ctz(m) / 2;
		uint32_t ref = ft_deref(bk->ref[i]);

		m &= m - 1;
		if (ref && ref_matches(ft, ref, t, &f, &d)) {
			if (dir)
				*dir = d;
			return f;
		}
	}
	return NULL;
}

/* Search one table: both candidate buckets, then the probe after them. */
static struct flow *table_find(const struct flowtable *ft,
			       const struct ft_table *tb, uint64_t h,
			       const struct tuple *t, enum ft_dir *dir)
{
	uint32_t b = bucket1(tb, h), n;
	uint16_t tag = hash_tag(h);
	const struct ft_bucket *bk = bucket_at(tb, b);
	struct flow *f;

	/* a miss reads both: start the second now */
	__builtin_prefetch(bucket_at(tb, bucket2(tb, h)));
	f = bucket_find(ft, bk, tag, t, dir);
	if (!f && bucket2(tb, h) != b)
		f = bucket_find(ft, bucket_at(tb, bucket2(tb, h)), tag, t, dir);
	for (n = 1; !f && n <= tb->mask && ft_deref(bk->overflow); n++) {
		bk = bucket_at(tb, b + n);
		f = bucket_find(ft, bk, tag, t, dir);
	}
	return f;
}

struct flow *ft_lookup(struct flowtable *ft, const struct tuple *t,
		       enum ft_dir *dir)
{
	struct ft_table *tb;
	struct flow *f;

	for (tb = ft_deref(ft->tbl); tb; tb = ft_deref(tb->future)) {
		f = table_find(ft, tb, key_hash(tb, t), t, dir);
		if (f)
			return f;
		/* an entry moved on after we passed its old place was
		 * published in the next table before it left, and every
		 * load above was an acquire: reading tb->future now sees
		 * at least what was there when the entry left */
	}
	return NULL;
}

#define FT_BATCH 32

static void prefetch_tagged(const struct flowtable *ft,
			    const struct ft_bucket *bk, uint16_t tag)
{
	unsigned int m = tag_hits(bk, tag);

	while (m) {
		uint32_t ref = ft_deref(bk->ref[__builtin_ctz(m) / 2]);

		m &= m - 1;
		if (ref)
			__builtin_prefetch(ref_flow(ft, ref));
	}
}

/*
 * As ft_lookup(), but each step's memory is fetched for the whole batch
 * before any of it is used: all candidate buckets, then the flows their
 * tags point at. Nearly every key is in one of its two buckets, so that
 * is nearly all the memory a lookup touches, and the misses overlap.
 * During a resize the oldest table is searched in a batch too.
 */
static void lookup_batch(struct flowtable *ft, const struct tuple *keys,
			 size_t n, struct flow **out, enum ft_dir *dirs)
{
	struct ft_table *tb = ft_deref(ft->tbl), *next;
	uint64_t h[FT_BATCH];
	size_t i;

	for (i = 0; i < n; i++) {
		h[i] = key_hash(tb, &keys[i]);
		__builtin_prefetch(bucket_at(tb, bucket1(tb, h[i])));
		__builtin_prefetch(bucket_at(tb, bucket2(tb, h[i])));
	}
	for (i = 0; i < n; i++) {
		prefetch_tagged(ft, bucket_at(tb, bucket1(tb, h[i])),
				hash_tag(h[i]));
		prefetch_tagged(ft, bucket_at(tb, bucket2(tb, h[i])),
				hash_tag(h[i]));
	}
	for (i = 0; i < n; i++) {
		out[i] = table_find(ft, tb, h[i], &keys[i], &dirs[i]);
		/* moved on by a resize (see ft_lookup()): the rest of the
		 * way one at a time */
		for (next = ft_deref(tb->future); !out[i] && next;
		     next = ft_deref(next->future))
			out[i] = table_find(ft, next, key_hash(next, &keys[i]),
					    &keys[i], &dirs[i]);
	}
}

void ft_lookup_many(struct flowtable *ft, const struct tuple *keys, size_t n,
		    struct flow **out, enum ft_dir *dirs)
{
	size_t i, m;

	for (i = 0; i < n; i += m) {
		m = n - i < FT_BATCH ? n - i : FT_BATCH;
		lookup_batch(ft, keys + i, m, out + i, dirs + i);
	}
}

/* --- entries (writers, under the lock) ----------------------------------- */

static int free_slot(const struct ft_bucket *bk)
{
	int i;

	for (i = 0; i < FT_SLOTS; i++)
		if (!bk->ref[i])
			return i;
	return -1;
}

static unsigned int bucket_used(const struct ft_bucket *bk)
{
	unsigned int i, n = 0;

	for (i = 0; i < FT_SLOTS; i++)
		n += bk->ref[i] != 0;
	return n;
}

static void slot_set(struct ft_bucket *bk, int i, uint16_t tag, uint32_t ref)
{
	tag_set(bk, (unsigned int)i, tag);
	ft_publish(bk->ref[i], ref);
}

/*
 * Store an entry: in the emptier of its two buckets, or else in the
 * first with room after its first bucket, whose buckets passed learn of it
 * first, so a reader never stops short of an entry it can see. Returns
 * how many buckets a lookup walks to it.
 */
static uint32_t slot_put(struct ft_table *tb, uint64_t h, uint32_t ref)
{
	uint32_t b1 = bucket1(tb, h), b2 = bucket2(tb, h), n, k;
	struct ft_bucket *bk = &tb->b[b1], *alt = &tb->b[b2];
	int i;

	if (bucket_used(alt) < bucket_used(bk))
		bk = alt;
	i = free_slot(bk);
	if (i >= 0) {
		slot_set(bk, i, hash_tag(h), ref);
		return 1;
	}
	for (n = 1; n <= tb->mask; n++) {
		bk = &tb->b[(b1 + n) & tb->mask];
		i = free_slot(bk);
		if (i < 0)
			continue;
		for (k = 0; k < n; k++) {
			struct ft_bucket *p = &tb->b[(b1 + k) & tb->mask];

			ft_publish(p->overflow, p->overflow + 1);
		}
		slot_set(bk, i, hash_tag(h) | TAG_PROBED, ref);
		return n + 1;
	}
	return 0;	/* never: tables grow long before they fill */
}

static int slot_of(const struct ft_bucket *bk, uint32_t ref)
{
	int i;

	for (i = 0; i < FT_SLOTS; i++)
		if (bk->ref[i] == ref)
			return i;
	return -1;
}

/* Remove the entry ref from tb, if it is there. */
static bool slot_del(struct ft_table *tb, uint64_t h, uint32_t ref)
{
	uint32_t b1 = bucket1(tb, h), n, k;
	struct ft_bucket *bk = &tb->b[b1];
	int i;

	i = slot_of(bk, ref);
	if (i < 0) {
		bk = &tb->b[bucket2(tb, h)];
		i = slot_of(bk, ref);
	}
	if (i >= 0 && !(tag_get(bk, (unsigned int)i) & TAG_PROBED)) {
		ft_publish(bk->ref[i], 0);
		return true;
	}
	for (n = 1; n <= tb->mask && tb->b[(b1 + n - 1) & tb->mask].overflow; n++) {
		bk = &tb->b[(b1 + n) & tb->mask];
		i = slot_of(bk, ref);
		if (i < 0 || !(tag_get(bk, (unsigned int)i) & TAG_PROBED))
			continue;
		ft_publish(bk->ref[i], 0);
		for (k = 0; k < n; k++) {
			struct ft_bucket *p = &tb->b[(b1 + k) & tb->mask];

			ft_publish(p->overflow, p->overflow - 1);
		}
		return true;
	}
	return false;
}

/* --- tables and resize (writers, under the lock) ------------------------ */

static struct ft_table *table_new(struct flowtable *ft, uint32_t buckets)
{
	struct ft_table *tb;

	tb = calloc(1, sizeof(*tb) + (size_t)buckets * sizeof(tb->b[0]));
	if (!tb)
		return NULL;
	tb->mask = buckets - 1;
	ft->p.random(&tb->key, sizeof(tb->key));
	return tb;
}

/* The table writers insert into: the newest. */
static struct ft_table *table_newest(struct flowtable *ft)
{
	return ft->tbl->future ? ft->tbl->future : ft->tbl;
}

static void resize_start(struct flowtable *ft, uint32_t buckets)
{
	struct ft_table *tb;

	if (ft->tbl->future || ft->walkers)
		return;
	tb = table_new(ft, buckets);
	if (!tb)
		return;		/* stay as we are; probes just grow longer */
	ft->move_pos = 0;
	if (buckets > ft->tbl->mask + 1)
		ft->st.grows++;
	else if (buckets < ft->tbl->mask + 1)
		ft->st.shrinks++;
	else
		ft->st.rehashes++;
	ft_publish(ft->tbl->future, tb);
}

/* Move the entries stored in old bucket i into the future table. */
static void move_bucket(struct flowtable *ft, struct ft_table *old,
			struct ft_table *new, uint32_t i)
{
	struct ft_bucket *bk = &old->b[i];
	struct tuple key;
	uint32_t k;

	for (k = 0; k < FT_SLOTS; k++) {
		uint32_t ref = bk->ref[k];

		if (!ref)
			continue;
		ref_key(ft, ref, &key);
		/* published in the new table before it leaves the old */
		slot_put(new, key_hash(new, &key), ref);
		slot_del(old, key_hash(old, &key), ref);
		ft->st.resize_moves++;
	}
}

static void resize_step(struct flowtable *ft, uint32_t budget)
{
	struct ft_table *old = ft->tbl, *new = old->future;

	if (!new)
		return;
	while (budget-- && ft->move_pos <= old->mask)
		move_bucket(ft, old, new, ft->move_pos++);
	if (ft->move_pos <= old->mask)
		return;
	ft_publish(ft->tbl, new);
	old->retired = ft->retired_tables;
	ft->retired_tables = old;
}

static uint64_t capacity(const struct ft_table *tb)
{
	return (tb->mask + 1ull) * FT_SLOTS;
}

static void resize_check(struct flowtable *ft)
{
	uint32_t buckets = ft->tbl->mask + 1;
	uint64_t cap = capacity(ft->tbl);

	/* between 1/10 and 4/5 full: with two choices a key probes past
	 * its buckets about once in 10^4 at 4/5 (measured), and the index
	 * costs 8 to 64 bytes an entry */
	if (ft->entries > cap / 5 * 4 && buckets < FT_MAX_BUCKETS)
		resize_start(ft, buckets * 2);
	else if (ft->entries < cap / 10 && buckets > FT_MIN_BUCKETS &&
		 buckets > ft->floor)
		resize_start(ft, buckets / 2);
}

/* Store the entries of f; returns the longest walk to one of them. */
static uint32_t flow_link(struct flowtable *ft, struct flow *f)
{
	struct ft_table *tb = table_newest(ft);
	uint32_t n, m = 0;

	n = slot_put(tb, key_hash(tb, &f->orig), f->idx);
	if (f->flags & FLOW_NAT)
		m = slot_put(tb, key_hash(tb, &f->ext->reply), f->idx | REF_REPLY);
	ft->entries += f->flags & FLOW_NAT ? 2 : 1;
	return n > m ? n : m;
}

/* The entry is in the old table unless it was moved or added since. */
static void entry_del(struct flowtable *ft, const struct tuple *key,
		      uint32_t ref)
{
	struct ft_table *tb;

	for (tb = ft->tbl; tb; tb = tb->future)
		if (slot_del(tb, key_hash(tb, key), ref))
			return;
}

/* How many buckets a lookup would walk to a new entry for key. */
static uint32_t probe_len(struct flowtable *ft, const struct tuple *key)
{
	struct ft_table *tb = table_newest(ft);
	uint64_t h = key_hash(tb, key);
	uint32_t b = bucket1(tb, h), n;

	if (free_slot(bucket_at(tb, bucket2(tb, h))) >= 0)
		return 1;
	for (n = 0; n <= tb->mask; n++)
		if (free_slot(bucket_at(tb, b + n)) >= 0)
			return n + 1;
	return n;
}

struct flow *ft_find_locked(struct flowtable *ft, const struct tuple *t,
			    enum ft_dir *dir)
{
	struct ft_table *tb;
	struct flow *f;

	for (tb = ft->tbl; tb; tb = tb->future) {
		f = table_find(ft, tb, key_hash(tb, t), t, dir);
		if (f)
			return f;
	}
	return NULL;
}

/* --- flows: memory -------------------------------------------------------- */

/*
 * Flows come from slabs of FT_SLAB_FLOWS, named by a 32-bit index (so an
 * entry is 6 bytes with its tag), without an allocator header each.
 * Freed flows are kept for reuse rather than returned to the system.
 */
static struct flow *flow_alloc(struct flowtable *ft)
{
	uint32_t idx = ft->free;
	struct ft_slab *s;
	struct flow *f;

	if (idx) {
		f = flow_at(ft, idx);
		ft->free = f->older;
	} else {
		if (!ft->n_slabs || ft->slab_used == FT_SLAB_FLOWS) {
			if (ft->n_slabs == FT_MAX_SLABS)
				return NULL;
			s = malloc(sizeof(*s));
			if (!s)
				return NULL;
			ft_publish(ft->slabs[ft->n_slabs], s);
			ft->n_slabs++;
			ft->slab_used = 0;
		}
		idx = (ft->n_slabs - 1) * FT_SLAB_FLOWS + ft->slab_used++ + 1;
		f = flow_at(ft, idx);
	}
	memset(f, 0, sizeof(*f));
	f->idx = idx;
	return f;
}

static void flow_release(struct flowtable *ft, struct flow *f)
{
	free(f->ext);
	f->ext = NULL;
	f->older = ft->free;
	ft->free = f->idx;
}

/* --- flows: zones and lists -------------------------------------------- */

static struct ft_zone *zone_get(struct flowtable *ft, uint16_t id)
{
	struct ft_zone *z = ft->zones[id];

	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z)
			return NULL;
		z->on_full = FT_FULL_DROP;
		ft->zones[id] = z;
	}
	return z;
}

static void unreplied_add(struct flowtable *ft, struct ft_zone *z,
			  struct flow *f)
{
	f->newer = 0;
	f->older = z->newest;
	if (z->newest)
		flow_at(ft, z->newest)->newer = f->idx;
	else
		z->oldest = f->idx;
	z->newest = f->idx;
	z->unreplied++;
}

static void unreplied_del(struct flowtable *ft, struct ft_zone *z,
			  struct flow *f)
{
	if (f->older)
		flow_at(ft, f->older)->newer = f->newer;
	else
		z->oldest = f->newer;
	if (f->newer)
		flow_at(ft, f->newer)->older = f->older;
	else
		z->newest = f->older;
	f->older = f->newer = 0;
	z->unreplied--;
}

static void flags_store(struct flow *f, uint16_t flags)
{
	__atomic_store_n(&f->flags, flags, __ATOMIC_RELAXED);
}

void ft_set_flags_locked(struct flowtable *ft, struct flow *f, uint16_t flags)
{
	const uint16_t own = FLOW_UNREPLIED_LIST | FLOW_NAT;
	struct ft_zone *z = ft->zones[f->orig.zone];
	bool listed = f->flags & FLOW_UNREPLIED_LIST;

	/* which list it is on and how its reply key is kept are ours */
	flags = (uint16_t)((flags & ~own) | (f->flags & FLOW_NAT));
	if (listed && (flags & FLOW_SEEN_REPLY))
		unreplied_del(ft, z, f);
	else if (!listed && !(flags & FLOW_SEEN_REPLY))
		unreplied_add(ft, z, f);
	if (!(flags & FLOW_SEEN_REPLY))
		flags |= FLOW_UNREPLIED_LIST;
	flags_store(f, flags);
}

/* --- flows: linking ------------------------------------------------------- */

static void flow_unlink(struct flowtable *ft, struct flow *f)
{
	struct ft_zone *z = ft->zones[f->orig.zone];

	entry_del(ft, &f->orig, f->idx);
	if (f->flags & FLOW_NAT)
		entry_del(ft, &f->ext->reply, f->idx | REF_REPLY);
	ft->entries -= f->flags & FLOW_NAT ? 2 : 1;
	if (f->flags & FLOW_UNREPLIED_LIST) {
		unreplied_del(ft, z, f);
		flags_store(f, f->flags & (uint16_t)~FLOW_UNREPLIED_LIST);
	}
	z->flows--;
	ft->st.flows--;
	f->older = ft->retired;
	ft->retired = f->idx;
}

void ft_del_locked(struct flowtable *ft, struct flow *f)
{
	flow_unlink(ft, f);
	ft->st.deletes++;
	if (!ft->walkers) {
		resize_step(ft, FT_STEP);
		resize_check(ft);
	}
}

static void victim_note(struct flowtable *ft, const struct flow *f)
{
	if (ft->n_victims == FT_VICTIMS) {
		ft->st.victims_lost++;
		return;
	}
	ft->victims[ft->n_victims++] = (struct ft_victim){
		.orig = f->orig, .ct_id = f->ct_id,
	};
}

/* Room for one more flow of zone z, per the caps; false: refuse it. */
static bool admit(struct flowtable *ft, struct ft_zone *z)
{
	bool zone_full = z->max_flows && z->flows >= z->max_flows;
	bool table_full = ft->p.max_flows && ft->st.flows >= ft->p.max_flows;

	if (!zone_full && !table_full)
		return true;
	if (z->on_full == FT_FULL_EVICT && z->oldest) {
		struct flow *victim = flow_at(ft, z->oldest);

		victim_note(ft, victim);
		flow_unlink(ft, victim);
		z->evicted++;
		ft->st.evicted++;
		return true;
	}
	z->dropped++;
	ft->st.dropped++;
	return false;
}

static bool same_reverse(const struct tuple *orig, const struct tuple *reply)
{
	return key_eq_reversed(reply, orig);
}

struct flow *ft_add_locked(struct flowtable *ft, const struct tuple *orig,
			   const struct tuple *reply, bool admitted)
{
	struct tuple rev;
	struct ft_zone *z;
	struct flow *f, *old;
	uint32_t len;

	if (!reply) {
		tuple_reverse(orig, &rev);
		reply = &rev;
	}
	while ((old = ft_find_locked(ft, orig, NULL)))
		ft_del_locked(ft, old);
	while ((old = ft_find_locked(ft, reply, NULL)))
		ft_del_locked(ft, old);

	z = zone_get(ft, orig->zone);
	if (!z) {
		errno = ENOMEM;
		return NULL;
	}
	if (admitted) {
		if (probe_len(ft, orig) >= FT_PROBE_MAX ||
		    probe_len(ft, reply) >= FT_PROBE_MAX) {
			ft->st.chain_too_long++;
			resize_start(ft, ft->tbl->mask + 1);
			errno = E2BIG;
			return NULL;
		}
		if (!admit(ft, z)) {
			errno = ENOSPC;
			return NULL;
		}
	}
	f = flow_alloc(ft);
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->orig = *orig;
	if (!same_reverse(orig, reply)) {
		f->ext = calloc(1, sizeof(*f->ext));
		if (!f->ext) {
			flow_release(ft, f);
			errno = ENOMEM;
			return NULL;
		}
		f->ext->reply = *reply;
		f->flags |= FLOW_NAT;
	}
	f->born = (uint16_t)ft->clock;
	unreplied_add(ft, z, f);
	f->flags |= FLOW_UNREPLIED_LIST;
	z->flows++;
	z->inserted++;
	ft->st.flows++;
	ft->st.inserts++;

	len = flow_link(ft, f);
	if (!ft->walkers) {
		if (len > FT_REHASH_PROBE)
			resize_start(ft, ft->tbl->mask + 1);
		resize_step(ft, FT_STEP);
		resize_check(ft);
	}
	return f;
}

struct flow_ext *ft_ext_locked(struct flowtable *ft, struct flow *f)
{
	struct flow_ext *x = f->ext;

	(void)ft;
	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	/* published whole: readers take f->ext without the lock */
	if (x)
		__atomic_store_n(&f->ext, x, __ATOMIC_RELEASE);
	return x;
}

struct flow *ft_set_reply_locked(struct flowtable *ft, struct flow *f,
				 const struct tuple *reply)
{
	struct flow *n;
	uint16_t flags = f->flags, born = f->born;
	uint16_t route[2] = { f->route[0], f->route[1] };
	struct flow_ext x = { 0 };

	if (f->ext)
		x = *f->ext;
	n = ft_add_locked(ft, &f->orig, reply, false);
	if (!n)
		return NULL;
	n->route[0] = route[0];
	n->route[1] = route[1];
	if ((x.sa[0].proto || x.sa[1].proto || x.owner.flags || x.sid.len) &&
	    ft_ext_locked(ft, n)) {
		memcpy(n->ext->sa, x.sa, sizeof(x.sa));
		n->ext->owner = x.owner;
		n->ext->sid = x.sid;
	}
	/* ft_add_locked() removed f, which held the orig key */
	n->ct_id = f->ct_id;
	n->mark = f->mark;
	n->queued_packets = f->queued_packets;
	n->tcp_state = f->tcp_state;
	n->seen = f->seen;
	n->born = born;
	ft->st.inserts--;
	ft->st.deletes--;
	ft->zones[n->orig.zone]->inserted--;
	ft_set_flags_locked(ft, n, flags);
	return n;
}

/* --- caps, victims, housekeeping ------------------------------------------ */

void ft_lock(struct flowtable *ft)
{
	pthread_mutex_lock(&ft->lock);
}

void ft_unlock(struct flowtable *ft)
{
	pthread_mutex_unlock(&ft->lock);
}

void ft_set_max_flows(struct flowtable *ft, uint32_t max_flows)
{
	ft_lock(ft);
	ft->p.max_flows = max_flows;
	ft_unlock(ft);
}

void ft_set_zone_cap(struct flowtable *ft, uint16_t zone, uint32_t max_flows,
		     enum ft_on_full on_full)
{
	struct ft_zone *z;

	ft_lock(ft);
	z = zone_get(ft, zone);
	if (z) {
		z->max_flows = max_flows;
		z->on_full = on_full;
	}
	ft_unlock(ft);
}

size_t ft_take_victims(struct flowtable *ft, struct ft_victim *out,
		       size_t max)
{
	size_t n;

	ft_lock(ft);
	n = ft->n_victims < max ? ft->n_victims : max;
	memcpy(out, ft->victims, n * sizeof(*out));
	memmove(ft->victims, ft->victims + n,
		(ft->n_victims - n) * sizeof(*out));
	ft->n_victims -= n;
	ft_unlock(ft);
	return n;
}

/* Buckets for flows entries, at most 4/5 full. */
static uint32_t buckets_for(uint64_t flows)
{
	uint64_t b = FT_MIN_BUCKETS;

	while (b * FT_SLOTS * 4 < flows * 5 && b < FT_MAX_BUCKETS)
		b *= 2;
	return (uint32_t)b;
}

void ft_reserve(struct flowtable *ft, uint64_t flows)
{
	uint32_t want = buckets_for(flows);

	ft_lock(ft);
	ft->floor = flows ? want : buckets_for(ft->p.initial_flows);
	if (want > ft->tbl->mask + 1u)
		resize_start(ft, want);
	ft_unlock(ft);
	while (ft_maintain(ft, 4096))
		;
}

void ft_set_clock(struct flowtable *ft, uint32_t now)
{
	__atomic_store_n(&ft->clock, now, __ATOMIC_RELAXED);
}

bool ft_maintain(struct flowtable *ft, uint32_t budget)
{
	bool running;

	ft_lock(ft);
	if (!ft->walkers) {
		resize_step(ft, budget);
		resize_check(ft);
	}
	running = ft->tbl->future != NULL;
	ft_unlock(ft);
	return running;
}

void ft_reclaim(struct flowtable *ft)
{
	struct ft_table *tables, *tb;
	uint32_t flows;
	struct flow *f;

	ft_lock(ft);
	flows = ft->retired;
	tables = ft->retired_tables;
	ft->retired = 0;
	ft->retired_tables = NULL;
	ft_unlock(ft);
	if (!flows && !tables)
		return;
	ft->p.synchronize();
	while ((tb = tables)) {
		tables = tb->retired;
		free(tb);
	}
	ft_lock(ft);
	while (flows) {
		f = flow_at(ft, flows);
		flows = f->older;
		flow_release(ft, f);
	}
	ft_unlock(ft);
}

/* --- walks ------------------------------------------------------------------ */

/*
 * Visit the flows of buckets [from, from + FT_CHUNK) of the current
 * table, each through its orig entry. Holding the lock with no resize
 * running, nothing moves between tables, and fn removing its flow only
 * clears slots.
 */
static bool walk_chunk(struct flowtable *ft, uint32_t from,
		       bool (*fn)(struct flow *, void *), void *arg)
{
	struct ft_table *tb = ft->tbl;
	uint32_t i, k, end = from + FT_CHUNK;

	if (end > tb->mask + 1)
		end = tb->mask + 1;
	for (i = from; i < end; i++) {
		for (k = 0; k < FT_SLOTS; k++) {
			uint32_t ref = tb->b[i].ref[k];

			if (ref && !(ref & REF_REPLY) &&
			    !fn(ref_flow(ft, ref), arg))
				return false;
		}
	}
	return true;
}

void ft_walk(struct flowtable *ft, bool (*fn)(struct flow *f, void *arg),
	     void *arg)
{
	uint32_t i;
	bool go;

	/* hold new resizes off, and finish a running one a step at a time */
	ft_lock(ft);
	ft->walkers++;
	ft_unlock(ft);
	for (;;) {
		ft_lock(ft);
		go = ft->tbl->future != NULL;
		if (go)
			resize_step(ft, FT_CHUNK);
		ft_unlock(ft);
		if (!go)
			break;
	}

	for (i = 0, go = true; go; i += FT_CHUNK) {
		ft_lock(ft);
		if (i > ft->tbl->mask) {
			ft_unlock(ft);
			break;
		}
		go = walk_chunk(ft, i, fn, arg);
		ft_unlock(ft);
	}

	ft_lock(ft);
	ft->walkers--;
	resize_check(ft);
	ft_unlock(ft);
}

uint8_t ft_mark_round(struct flowtable *ft)
{
	uint8_t r;

	ft_lock(ft);
	r = ++ft->round;
	ft_unlock(ft);
	return r;
}

struct sweep {
	struct flowtable *ft;
	uint8_t round;
	uint32_t min_age;	/* expire: pending flows at least this old */
	bool pending;		/* expire pending flows, not sweep */
	size_t removed;
};

static bool sweep_one(struct flow *f, void *arg)
{
	struct sweep *s = arg;
	uint16_t age = (uint16_t)(s->ft->clock - f->born);

	if (s->pending ? !(f->flags & FLOW_CONFIRMED) && age >= s->min_age
		       : (f->flags & FLOW_CONFIRMED) && f->seen != s->round) {
		flow_unlink(s->ft, f);
		s->removed++;
	}
	return true;
}

/* Walk with s, and count what it removed as deletes and in *counter. */
static size_t sweep_run(struct flowtable *ft, struct sweep *s,
			uint64_t *counter)
{
	ft_walk(ft, sweep_one, s);
	ft_lock(ft);
	*counter += s->removed;
	ft->st.deletes += s->removed;
	ft_unlock(ft);
	return s->removed;
}

size_t ft_sweep(struct flowtable *ft)
{
	struct sweep s = { .ft = ft, .round = ft->round };

	return sweep_run(ft, &s, &ft->st.swept);
}

size_t ft_expire_pending(struct flowtable *ft, uint32_t ttl)
{
	struct sweep s = { .ft = ft, .pending = true,
			   .min_age = ttl > UINT16_MAX ? UINT16_MAX : ttl };

	return sweep_run(ft, &s, &ft->st.pending_expired);
}

/* --- statistics ---------------------------------------------------------- */

void ft_get_stats(struct flowtable *ft, struct ft_stats *st)
{
	const struct ft_table *tb;

	ft_lock(ft);
	*st = ft->st;
	tb = table_newest(ft);
	st->buckets = tb->mask + 1ull;
	st->load = (double)ft->entries / (double)capacity(tb);
	st->resizing = ft->tbl->future != NULL;
	ft_unlock(ft);
}

/*
 * The walk to every stored key: one bucket for a key in either of its
 * two buckets (both are read at once), one more per bucket probed past
 * the first. Only probed keys need their hash, so this is cheap.
 */
void ft_chain_stats(struct flowtable *ft, struct ft_stats *st)
{
	const struct ft_table *tb;
	struct tuple key;
	uint32_t i, k, d;

	st->longest_chain = 0;
	memset(st->chains, 0, sizeof(st->chains));
	for (tb = ft_deref(ft->tbl); tb; tb = ft_deref(tb->future)) {
		for (i = 0; i <= tb->mask; i++) {
			const struct ft_bucket *bk = &tb->b[i];

			for (k = 0; k < FT_SLOTS; k++) {
				uint32_t ref = ft_deref(bk->ref[k]);

				if (!ref)
					continue;
				d = 0;
				if (tag_get(bk, k) & TAG_PROBED) {
					ref_key(ft, ref, &key);
					d = (i - bucket1(tb, key_hash(tb, &key))) &
					    tb->mask;
				}
				if (d + 1 > st->longest_chain)
					st->longest_chain = d + 1;
				st->chains[d < FT_CHAIN_HIST - 1 ? d
							: FT_CHAIN_HIST - 1]++;
			}
		}
	}
}

size_t ft_zone_stats(struct flowtable *ft, struct ft_zone_stats *out,
		     size_t max)
{
	size_t n = 0;
	uint32_t id;

	ft_lock(ft);
	for (id = 0; id < FT_ZONES && n < max; id++) {
		const struct ft_zone *z = ft->zones[id];

		if (!z || (!z->flows && !z->max_flows && !z->inserted))
			continue;
		out[n++] = (struct ft_zone_stats){
			.zone = (uint16_t)id, .flows = z->flows,
			.unreplied = z->unreplied, .max_flows = z->max_flows,
			.on_full = z->on_full, .inserted = z->inserted,
			.dropped = z->dropped, .evicted = z->evicted,
		};
	}
	ft_unlock(ft);
	return n;
}

/* --- life ------------------------------------------------------------------- */

struct flowtable *ft_new(const struct ft_params *p)
{
	struct flowtable *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->p = *p;
	ft->floor = buckets_for(p->initial_flows);
	pthread_mutex_init(&ft->lock, NULL);
	ft->slabs = calloc(FT_MAX_SLABS, sizeof(ft->slabs[0]));
	ft->tbl = table_new(ft, ft->floor);
	if (!ft->tbl || !ft->slabs) {
		free(ft->tbl);
		free(ft->slabs);
		free(ft);
		return NULL;
	}
	return ft;
}

void ft_free(struct flowtable *ft)
{
	struct ft_table *tb, *next;
	uint32_t i, k;

	if (!ft)
		return;
	ft_reclaim(ft);
	/* flows still stored own their ext; released ones freed theirs */
	for (tb = ft->tbl; tb; tb = tb->future)
		for (i = 0; i <= tb->mask; i++)
			for (k = 0; k < FT_SLOTS; k++) {
				uint32_t ref = tb->b[i].ref[k];

				if (ref && !(ref & REF_REPLY))
					free(ref_flow(ft, ref)->ext);
			}
	for (tb = ft->tbl; tb; tb = next) {
		next = tb->future;
		free(tb);
	}
	for (i = 0; i < ft->n_slabs; i++)
		free(ft->slabs[i]);
	free(ft->slabs);
	for (i = 0; i < FT_ZONES; i++)
		free(ft->zones[i]);
	pthread_mutex_destroy(&ft->lock);
	free(ft);
}

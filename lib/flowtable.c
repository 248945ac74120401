/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table; the design (RCU readers, one writer mutex, resize by
 * moving chain tails between tables) is explained in flowtable.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

#define FT_MIN_BUCKETS	1024u
#define FT_MAX_BUCKETS	(1u << 30)
#define FT_STEP		8	/* old buckets moved per write */
#define FT_CHUNK	256	/* buckets per lock hold in a walk */
#define FT_REHASH_CHAIN	16	/* a chain this long: new secret */
#define FT_CHAIN_MAX	64	/* refuse admitted inserts past this */
#define FT_VICTIMS	4096
#define FT_SLAB_FLOWS	8192	/* flows per slab block */
#define FT_ZONES	65536

_Static_assert(sizeof(struct flow) == 96, "struct flow grew");
_Static_assert(offsetof(struct flow, node) == 0, "nodes lead the flow");

struct ft_table {
	uint32_t mask;
	struct hash_key key;
	struct ft_table *future;	/* the table this one moves into */
	struct ft_table *retired;	/* free list link */
	struct ft_node *b[];
};

struct ft_zone {
	uint32_t flows, unreplied, max_flows;
	enum ft_on_full on_full;
	uint64_t inserted, dropped, evicted;
	struct flow *oldest, *newest;	/* unreplied flows, by age */
};

struct ft_slab {
	struct ft_slab *next;
	struct flow flows[FT_SLAB_FLOWS];
};

struct flowtable {
	struct ft_table *tbl;		/* oldest table still in use */
	pthread_mutex_t lock;
	struct ft_params p;

	/* under the lock */
	uint32_t move_pos;		/* next bucket of tbl to move */
	uint64_t nodes;
	uint32_t walkers;		/* walks running: no resize starts */
	uint32_t clock;
	uint8_t round;
	struct ft_zone *zones[FT_ZONES];
	struct ft_stats st;
	struct flow *retired;		/* removed, linked by ->older */
	struct ft_table *retired_tables;
	struct ft_victim victims[FT_VICTIMS];
	size_t n_victims;

	struct ft_slab *slabs;
	size_t slab_used;		/* flows handed out of slabs */
	struct flow *free;		/* reusable flows, linked by ->older */
};

/* --- keys and nodes ---------------------------------------------------- */

/* Flows are 32-byte aligned and node[1] sits 8 bytes in. */
static inline struct flow *node_flow(const struct ft_node *n)
{
	return (struct flow *)((uintptr_t)n & ~(uintptr_t)31);
}

static inline enum ft_dir node_dir(const struct ft_node *n)
{
	return ((uintptr_t)n & 31) ? FT_REPLY : FT_ORIG;
}

void flow_reply(const struct flow *f, struct tuple *out)
{
	if (f->flags & FLOW_NAT)
		*out = f->ext->reply;
	else
		tuple_reverse(&f->orig, out);
}

static void node_key(const struct ft_node *n, struct tuple *out)
{
	const struct flow *f = node_flow(n);

	*out = node_dir(n) == FT_ORIG ? f->orig : f->ext->reply;
}

/*
 * Which key of n's flow t is, if any. A flow without NAT has one node
 * that answers for both directions (its reply key is the reversed orig,
 * and both hash alike, see bucket_of()); with NAT, node[0] answers for
 * the orig key alone and node[1] for the reply key.
 */
static bool node_matches(const struct ft_node *n, const struct tuple *t,
			 enum ft_dir *dir)
{
	const struct flow *f = node_flow(n);
	struct tuple r;

	if (node_dir(n) == FT_REPLY) {
		*dir = FT_REPLY;
		return memcmp(&f->ext->reply, t, sizeof(*t)) == 0;
	}
	*dir = FT_ORIG;
	if (memcmp(&f->orig, t, sizeof(*t)) == 0)
		return true;
	if (ft_read(f->flags) & FLOW_NAT)
		return false;
	/* cheap reject before building the reversed key */
	if (t->sport != f->orig.dport || t->dport != f->orig.sport)
		return false;
	*dir = FT_REPLY;
	tuple_reverse(&f->orig, &r);
	return memcmp(&r, t, sizeof(*t)) == 0;
}

/*
 * A key and its reverse land in the same bucket: the hash is taken over
 * the key with its ends in a fixed order (the lesser address and port
 * first). So a flow without NAT needs one node, not two: half the
 * buckets for the same chain lengths, and half the work in a resize.
 */
static inline uint32_t bucket_of(const struct ft_table *tb,
				 const struct tuple *t)
{
	int c = memcmp(&t->src, &t->dst, sizeof(t->src));
	struct tuple r;

	if (c > 0 || (c == 0 && t->sport > t->dport)) {
		tuple_reverse(t, &r);
		t = &r;
	}
	return (uint32_t)siphash13(&tb->key, t, sizeof(*t)) & tb->mask;
}

/* --- readers ------------------------------------------------------------ */

static struct flow *chain_find(struct ft_table *tb, uint32_t b,
			       const struct tuple *t, enum ft_dir *dir)
{
	struct ft_node *n;
	enum ft_dir d;

	for (n = ft_deref(tb->b[b]); n; n = ft_deref(n->next)) {
		if (node_matches(n, t, &d)) {
			if (dir)
				*dir = d;
			return node_flow(n);
		}
	}
	return NULL;
}

struct flow *ft_lookup(struct flowtable *ft, const struct tuple *t,
		       enum ft_dir *dir)
{
	struct ft_table *tb;
	struct flow *f;

	for (tb = ft_deref(ft->tbl); tb; tb = ft_deref(tb->future)) {
		f = chain_find(tb, bucket_of(tb, t), t, dir);
		if (f)
			return f;
		/* a node moved on after we passed its old place was
		 * published in the next table before it left, and every
		 * load above was an acquire: reading tb->future now sees
		 * at least what was there when the node left */
	}
	return NULL;
}

#define FT_BATCH 32

/*
 * The table is searched as by ft_lookup(), but each step's memory is
 * fetched for the whole batch before any of it is used: all bucket heads,
 * then all first nodes. Nearly all chains are one node long, so that is
 * nearly all the memory a lookup touches, and its misses overlap.
 */
static void lookup_batch(struct flowtable *ft, const struct tuple *keys,
			 size_t n, struct flow **out, enum ft_dir *dirs)
{
	struct ft_table *tb = ft_deref(ft->tbl);
	struct ft_node *head[FT_BATCH];
	uint32_t b[FT_BATCH];
	size_t i;

	if (ft_deref(tb->future)) {
		for (i = 0; i < n; i++)
			out[i] = ft_lookup(ft, &keys[i], &dirs[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		b[i] = bucket_of(tb, &keys[i]);
		__builtin_prefetch(&tb->b[b[i]]);
	}
	for (i = 0; i < n; i++) {
		head[i] = ft_deref(tb->b[b[i]]);
		if (head[i]) {
			__builtin_prefetch(node_flow(head[i]));
			__builtin_prefetch((char *)node_flow(head[i]) + 64);
		}
	}
	for (i = 0; i < n; i++) {
		struct ft_node *nd;

		out[i] = NULL;
		for (nd = head[i]; nd; nd = ft_deref(nd->next)) {
			if (node_matches(nd, &keys[i], &dirs[i])) {
				out[i] = node_flow(nd);
				break;
			}
		}
		/* a resize may have begun since tb was read */
		if (!out[i] && ft_deref(tb->future))
			out[i] = ft_lookup(ft, &keys[i], &dirs[i]);
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
		return;		/* stay as we are; chains just grow longer */
	ft->move_pos = 0;
	if (buckets > ft->tbl->mask + 1)
		ft->st.grows++;
	else if (buckets < ft->tbl->mask + 1)
		ft->st.shrinks++;
	else
		ft->st.rehashes++;
	ft_publish(ft->tbl->future, tb);
}

/* Move old bucket i into the future table, tail first. */
static void move_bucket(struct flowtable *ft, struct ft_table *old,
			struct ft_table *new, uint32_t i)
{
	struct ft_node **pp, *n;
	struct tuple key;
	uint32_t b;

	while (old->b[i]) {
		for (pp = &old->b[i]; (*pp)->next; pp = &(*pp)->next)
			;
		n = *pp;
		node_key(n, &key);
		b = bucket_of(new, &key);
		ft_publish(n->next, new->b[b]);
		ft_publish(new->b[b], n);
		/* a release store: published in the new table before it
		 * leaves the old */
		ft_publish(*pp, NULL);
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

static void resize_check(struct flowtable *ft)
{
	uint32_t buckets = ft->tbl->mask + 1;

	/* between 1/8 and 1/2 a node per bucket: chains of 8 or more are
	 * then as rare as one in 10^5 of 2^20 buckets */
	if (ft->nodes > buckets / 2 && buckets < FT_MAX_BUCKETS)
		resize_start(ft, buckets * 2);
	else if (ft->nodes < buckets / 8 && buckets > FT_MIN_BUCKETS &&
		 buckets > ft->p.initial_buckets)
		resize_start(ft, buckets / 2);
}

/* --- flows: memory -------------------------------------------------------- */

/*
 * Flows come from slabs of FT_SLAB_FLOWS: no allocator header per flow,
 * and the 32-byte alignment the node tagging needs. Freed flows are kept
 * for reuse rather than returned to the system.
 */
static struct flow *flow_alloc(struct flowtable *ft)
{
	struct flow *f = ft->free;
	struct ft_slab *s;

	if (f) {
		ft->free = f->older;
	} else {
		s = ft->slabs;
		if (!s || ft->slab_used == FT_SLAB_FLOWS) {
			s = aligned_alloc(_Alignof(struct ft_slab), sizeof(*s));
			if (!s)
				return NULL;
			s->next = ft->slabs;
			ft->slabs = s;
			ft->slab_used = 0;
		}
		f = &s->flows[ft->slab_used++];
	}
	memset(f, 0, sizeof(*f));
	return f;
}

static void flow_release(struct flowtable *ft, struct flow *f)
{
	free(f->ext);
	f->older = ft->free;
	ft->free = f;
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

static void unreplied_add(struct ft_zone *z, struct flow *f)
{
	f->newer = NULL;
	f->older = z->newest;
	if (z->newest)
		z->newest->newer = f;
	else
		z->oldest = f;
	z->newest = f;
	z->unreplied++;
}

static void unreplied_del(struct ft_zone *z, struct flow *f)
{
	if (f->older)
		f->older->newer = f->newer;
	else
		z->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		z->newest = f->older;
	f->older = f->newer = NULL;
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
		unreplied_del(z, f);
	else if (!listed && !(flags & FLOW_SEEN_REPLY))
		unreplied_add(z, f);
	if (!(flags & FLOW_SEEN_REPLY))
		flags |= FLOW_UNREPLIED_LIST;
	flags_store(f, flags);
}

/* --- flows: linking ------------------------------------------------------- */

static unsigned int node_link(struct flowtable *ft, struct ft_node *n,
			      const struct tuple *key)
{
	struct ft_table *tb = table_newest(ft);
	uint32_t b = bucket_of(tb, key);
	unsigned int len = 0;
	struct ft_node *m;

	for (m = tb->b[b]; m; m = m->next)
		len++;
	ft_publish(n->next, tb->b[b]);
	ft_publish(tb->b[b], n);
	ft->nodes++;
	return len + 1;
}

/*
 * A node is in the old table until its bucket moves, or in the new one
 * if it was inserted or moved there: look in each.
 */
static void node_unlink(struct flowtable *ft, struct ft_node *n)
{
	struct ft_node **pp;
	struct ft_table *tb;
	struct tuple key;

	node_key(n, &key);
	for (tb = ft->tbl; tb; tb = tb->future) {
		for (pp = &tb->b[bucket_of(tb, &key)]; *pp; pp = &(*pp)->next) {
			if (*pp == n) {
				ft_publish(*pp, n->next);
				ft->nodes--;
				return;
			}
		}
	}
}

/* The longest chain a key of the newest table lands in. */
static unsigned int chain_len(struct flowtable *ft, const struct tuple *key)
{
	struct ft_table *tb = table_newest(ft);
	unsigned int len = 0;
	struct ft_node *m;

	for (m = tb->b[bucket_of(tb, key)]; m; m = m->next)
		len++;
	return len;
}

struct flow *ft_find_locked(struct flowtable *ft, const struct tuple *t,
			    enum ft_dir *dir)
{
	struct ft_table *tb;
	struct flow *f;

	for (tb = ft->tbl; tb; tb = tb->future) {
		f = chain_find(tb, bucket_of(tb, t), t, dir);
		if (f)
			return f;
	}
	return NULL;
}

static void flow_unlink(struct flowtable *ft, struct flow *f)
{
	struct ft_zone *z = ft->zones[f->orig.zone];

	node_unlink(ft, &f->node[FT_ORIG]);
	if (f->flags & FLOW_NAT)
		node_unlink(ft, &f->node[FT_REPLY]);
	if (f->flags & FLOW_UNREPLIED_LIST) {
		unreplied_del(z, f);
		flags_store(f, f->flags & (uint16_t)~FLOW_UNREPLIED_LIST);
	}
	z->flows--;
	ft->st.flows--;
	f->older = ft->retired;
	ft->retired = f;
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
		struct flow *victim = z->oldest;

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
	struct tuple r;

	tuple_reverse(orig, &r);
	return memcmp(&r, reply, sizeof(r)) == 0;
}

struct flow *ft_add_locked(struct flowtable *ft, const struct tuple *orig,
			   const struct tuple *reply, bool admitted)
{
	struct tuple rev;
	struct ft_zone *z;
	struct flow *f, *old;
	unsigned int len, len2;

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
		if (chain_len(ft, orig) >= FT_CHAIN_MAX ||
		    chain_len(ft, reply) >= FT_CHAIN_MAX) {
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
	unreplied_add(z, f);
	f->flags |= FLOW_UNREPLIED_LIST;
	z->flows++;
	z->inserted++;
	ft->st.flows++;
	ft->st.inserts++;

	len = node_link(ft, &f->node[FT_ORIG], orig);
	if (f->flags & FLOW_NAT) {
		len2 = node_link(ft, &f->node[FT_REPLY], reply);
		if (len2 > len)
			len = len2;
	}
	if (!ft->walkers) {
		if (len > FT_REHASH_CHAIN)
			resize_start(ft, ft->tbl->mask + 1);
		resize_step(ft, FT_STEP);
		resize_check(ft);
	}
	return f;
}

struct flow *ft_set_reply_locked(struct flowtable *ft, struct flow *f,
				 const struct tuple *reply)
{
	struct flow *n;
	uint16_t flags = f->flags, born = f->born;

	n = ft_add_locked(ft, &f->orig, reply, false);
	if (!n)
		return NULL;
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
	struct flow *flows, *f;

	ft_lock(ft);
	flows = ft->retired;
	tables = ft->retired_tables;
	ft->retired = NULL;
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
	while ((f = flows)) {
		flows = f->older;
		flow_release(ft, f);
	}
	ft_unlock(ft);
}

/* --- walks ------------------------------------------------------------------ */

/*
 * Visit the flows of buckets [from, from + FT_CHUNK) of the current
 * table, each through its orig node. Holding the lock with no resize
 * running, nothing moves between tables; fn may remove the flow it is
 * given, so the next node is read first.
 */
static bool walk_chunk(struct flowtable *ft, uint32_t from,
		       bool (*fn)(struct flow *, void *), void *arg)
{
	struct ft_table *tb = ft->tbl;
	uint32_t i, end = from + FT_CHUNK;
	struct ft_node *n, *next;

	if (end > tb->mask + 1)
		end = tb->mask + 1;
	for (i = from; i < end; i++) {
		for (n = tb->b[i]; n; n = next) {
			next = n->next;
			if (node_dir(n) == FT_ORIG && !fn(node_flow(n), arg))
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

size_t ft_sweep(struct flowtable *ft)
{
	struct sweep s = { .ft = ft, .round = ft->round };

	ft_walk(ft, sweep_one, &s);
	ft_lock(ft);
	ft->st.swept += s.removed;
	ft->st.deletes += s.removed;
	ft_unlock(ft);
	return s.removed;
}

size_t ft_expire_pending(struct flowtable *ft, uint32_t ttl)
{
	struct sweep s = { .ft = ft, .pending = true,
			   .min_age = ttl > UINT16_MAX ? UINT16_MAX : ttl };

	ft_walk(ft, sweep_one, &s);
	ft_lock(ft);
	ft->st.pending_expired += s.removed;
	ft->st.deletes += s.removed;
	ft_unlock(ft);
	return s.removed;
}

/* --- statistics ---------------------------------------------------------- */

void ft_get_stats(struct flowtable *ft, struct ft_stats *st)
{
	ft_lock(ft);
	*st = ft->st;
	st->buckets = table_newest(ft)->mask + 1ull;
	st->load = (double)ft->nodes / (double)st->buckets;
	st->resizing = ft->tbl->future != NULL;
	ft_unlock(ft);
}

void ft_chain_stats(struct flowtable *ft, struct ft_stats *st)
{
	struct ft_table *tb;
	struct ft_node *n;
	uint32_t i, len;

	st->longest_chain = 0;
	memset(st->chains, 0, sizeof(st->chains));
	for (tb = ft_deref(ft->tbl); tb; tb = ft_deref(tb->future)) {
		for (i = 0; i <= tb->mask; i++) {
			len = 0;
			for (n = ft_deref(tb->b[i]); n;
			     n = ft_deref(n->next))
				len++;
			if (len > st->longest_chain)
				st->longest_chain = len;
			st->chains[len < FT_CHAIN_HIST - 1 ? len
							   : FT_CHAIN_HIST - 1]++;
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

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t b = FT_MIN_BUCKETS;

	while (b < n && b < FT_MAX_BUCKETS)
		b *= 2;
	return b;
}

struct flowtable *ft_new(const struct ft_params *p)
{
	struct flowtable *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->p = *p;
	ft->p.initial_buckets = pow2_at_least(p->initial_buckets);
	pthread_mutex_init(&ft->lock, NULL);
	ft->tbl = table_new(ft, ft->p.initial_buckets);
	if (!ft->tbl) {
		free(ft);
		return NULL;
	}
	return ft;
}

void ft_free(struct flowtable *ft)
{
	struct ft_table *tb, *next;
	struct ft_node *n;
	struct ft_slab *s;
	uint32_t i;

	if (!ft)
		return;
	ft_reclaim(ft);
	/* flows still linked own their ext; the free list's were freed */
	for (tb = ft->tbl; tb; tb = tb->future)
		for (i = 0; i <= tb->mask; i++)
			for (n = tb->b[i]; n; n = n->next)
				if (node_dir(n) == FT_ORIG)
					free(node_flow(n)->ext);
	for (tb = ft->tbl; tb; tb = next) {
		next = tb->future;
		free(tb);
	}
	while ((s = ft->slabs)) {
		ft->slabs = s->next;
		free(s);
	}
	for (i = 0; i < FT_ZONES; i++)
		free(ft->zones[i]);
	pthread_mutex_destroy(&ft->lock);
	free(ft);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table: every flow reachable from its original and its reply
 * tuple (zone included), per-zone and global caps, online resize.
 *
 * Concurrency. Lookups run under an RCU read lock (the daemon's is
 * liburcu's) and never block or retry; every change (insert, update,
 * delete, a resize step) happens under one writer mutex. Writers are the
 * queue workers (one insert per new flow) and the conntrack mirror (one
 * change per event): each holds the mutex for a few hundred nanoseconds,
 * and a resize never holds it longer than a step of a few buckets. RCU
 * because its read side costs nothing on the packet path, its grace
 * periods are proven (liburcu is the kernel's design in userspace), and
 * memory is freed without reference counts: a removed flow stays
 * readable until every reader that could have found it is gone
 * (ft_reclaim()). The library itself needs only the grace period, which
 * comes in through ft_params, so its tests can use one ThreadSanitizer
 * understands.
 *
 * Index. A bucket is one cache line of ten entries, each a 16-bit tag
 * from the key's hash and the flow's 32-bit index, so a lookup compares
 * tags and touches a flow only on a tag match: a miss reads its buckets,
 * a hit one flow more. Every key has two candidate buckets and goes into
 * the emptier; only when both are full does it probe on from the first,
 * whose buckets count the keys that passed them, so a lookup knows where
 * to stop and deletes need no tombstones. A flow without NAT has one
 * entry, found by either direction: a key and its reverse hash alike. A
 * NAT flow has one entry per key.
 *
 * Resize (grow past 4/5 full, shrink below 1/10, or rehash at the same
 * size with a new secret when a key lands far from home) allocates the
 * new bucket array and moves the old buckets over, a few per write and
 * more from ft_maintain(). Each entry is published in the new table
 * before it leaves the old, and a lookup searches each table in turn,
 * oldest first, so a reader that missed an entry in the old table finds
 * it in the new one. A lookup never blocks or retries.
 *
 * Every table has its own SipHash secret, so a same-size rehash with a
 * fresh secret breaks up a chain someone managed to build.
 *
 * The library does no I/O: randomness and the RCU grace period come in
 * through struct ft_params.
 */
#ifndef FC_FLOWTABLE_H
#define FC_FLOWTABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "sid.h"
#include "tuple.h"

enum ft_dir {
	FT_ORIG = 0,
	FT_REPLY = 1,
};

enum {
	FLOW_CONFIRMED	= 1u << 0,	/* conntrack knows it (has a ct id) */
	FLOW_SEEN_REPLY	= 1u << 1,	/* IPS_SEEN_REPLY */
	FLOW_ASSURED	= 1u << 2,	/* IPS_ASSURED */
	FLOW_DECIDED	= 1u << 3,	/* ct mark carries our decided bit */
	FLOW_QUEUED	= 1u << 4,	/* created by a queued packet */
	FLOW_FROM_DUMP	= 1u << 5,	/* learnt from a dump, no event yet */
	FLOW_NAT	= 1u << 6,	/* reply is not the reversed orig */
	FLOW_UNREPLIED_LIST = 1u << 7,	/* on its zone's unreplied list */
	FLOW_FOLLOW	= 1u << 8,	/* re-routed and re-marked on route
					 * changes (policy route = "follow") */
};

struct flow_ext;

/*
 * 80 bytes. Fields other than the key change only under the writer
 * mutex; readers see each one whole (they are at most word sized).
 */
struct flow {
	struct tuple orig;		/* zone, family and proto for both */
	struct flow_ext *ext;		/* NULL until something is cached */
	uint32_t idx;			/* the table's name for it, from 1 */
	uint32_t older, newer;		/* zone's unreplied list, by age */
	uint32_t ct_id;			/* 0 until confirmed */
	uint32_t mark;			/* ct mark */
	uint16_t flags;			/* FLOW_* */
	uint16_t queued_packets;	/* stops at UINT16_MAX */
	uint16_t born;			/* ft clock (seconds) at insert, mod 2^16 */
	uint8_t tcp_state;		/* TCP_CONNTRACK_*, 0 for others */
	uint8_t seen;			/* resync round that last saw it */
	/* routes of the original and the reply direction: ids of the
	 * answers the daemon keeps (lib/routeset.h); 0: none cached */
	uint16_t route[2];
};

/* The IPsec SA that carries one direction of a flow; proto 0: none. */
struct flow_sa {
	uint32_t spi;			/* 0: a policy, but no SA installed */
	uint32_t reqid;
	uint8_t proto;			/* IPPROTO_ESP, IPPROTO_AH */
	uint8_t mode;			/* XFRM_MODE_TRANSPORT, ... */
	uint8_t dir;			/* XFRM_POLICY_IN, _OUT, _FWD */
};

enum {
	FLOW_OWNER_SOCKET	= 1u << 0,	/* found by sock_diag */
	FLOW_OWNER_QUEUE	= 1u << 1,	/* uid/gid the queue gave */
	FLOW_OWNER_GID		= 1u << 2,	/* gid is known */
	FLOW_OWNER_LISTENER	= 1u << 3,	/* a listening socket */
};

/* The local end's socket and who holds it; flags 0: none. */
struct flow_owner {
	uint32_t inode;			/* 0: none (not a socket lookup) */
	uint32_t uid, gid;
	uint32_t pid;			/* 0: no process found */
	uint64_t cookie;		/* the socket's, 0: none */
	uint64_t cgroup;		/* cgroup v2 id, 0: not reported */
	char comm[16];			/* "" when pid is 0 */
	uint8_t flags;			/* FLOW_OWNER_* */
};

/* What only some flows carry; written under the writer lock, read by
 * walks (which hold it) or, for reply and sa, by readers. */
struct flow_ext {
	struct tuple reply;		/* when FLOW_NAT */
	struct flow_sa sa[2];		/* original, reply */
	struct flow_owner owner;
	struct stream_id sid;		/* len 0: none */
};

struct ft_params {
	uint32_t initial_flows;		/* sized for these; never shrinks below */
	uint32_t max_flows;		/* 0: no global cap */
	/* Fill buf with len random bytes (the hash secrets). */
	void (*random)(void *buf, size_t len);
	/* Wait until no reader can see what was removed (an RCU grace
	 * period); called by ft_reclaim() and ft_free(). */
	void (*synchronize)(void);
};

enum ft_on_full {
	FT_FULL_EVICT,		/* evict the zone's oldest unreplied flow */
	FT_FULL_DROP,		/* refuse the new flow */
};

/* A flow removed to make room: the kernel's entry must go too. */
struct ft_victim {
	struct tuple orig;
	uint32_t ct_id;
};

struct ft_zone_stats {
	uint16_t zone;
	uint32_t flows;
	uint32_t unreplied;
	uint32_t max_flows;		/* 0: none */
	enum ft_on_full on_full;
	uint64_t inserted;
	uint64_t dropped;		/* new flows refused: zone or table full */
	uint64_t evicted;
};

#define FT_CHAIN_HIST 9			/* keys 0..7 buckets from home, 8+ */

struct ft_stats {
	uint64_t flows;
	uint64_t buckets;
	double load;			/* entries per slot */
	uint64_t inserts, deletes;
	uint64_t dropped, evicted;
	uint64_t grows, shrinks, rehashes;
	uint64_t resize_moves;		/* entries moved between tables */
	bool resizing;
	uint64_t chain_too_long;	/* inserts refused: probe past the cap */
	uint64_t victims_lost;		/* evictions the kernel was not told of */
	uint64_t pending_expired;	/* pending flows never confirmed */
	uint64_t swept;			/* removed by resyncs */
	/* filled by ft_chain_stats(): the buckets a lookup of each stored
	 * key walks (its chain), the most of any, and how many keys sit
	 * 0, 1, .. 7, 8+ buckets past their home */
	uint32_t longest_chain;
	uint64_t chains[FT_CHAIN_HIST];
};

struct flowtable;

struct flowtable *ft_new(const struct ft_params *p);
/* No reader may be left; frees every flow. */
void ft_free(struct flowtable *ft);

/* --- readers: call inside an RCU read-side critical section ---------- */

/* The flow with key t in either direction, or NULL; *dir says which. */
struct flow *ft_lookup(struct flowtable *ft, const struct tuple *t,
		       enum ft_dir *dir);
/* n lookups at once, memory fetches overlapped: out[i] for keys[i]. */
void ft_lookup_many(struct flowtable *ft, const struct tuple *keys, size_t n,
		    struct flow **out, enum ft_dir *dirs);

/* The reply-direction key of f. */
void flow_reply(const struct flow *f, struct tuple *out);

/* --- writers ----------------------------------------------------------- */

void ft_lock(struct flowtable *ft);
void ft_unlock(struct flowtable *ft);

/* Under the lock: as ft_lookup(). */
struct flow *ft_find_locked(struct flowtable *ft, const struct tuple *t,
			    enum ft_dir *dir);

/*
 * Under the lock: add a flow with these keys (reply NULL: the reversed
 * orig). Any other flow holding either key is stale (the kernel never
 * has two entries sharing a tuple) and is removed first. When admit is
 * set the caps apply: a full zone (or table) evicts or refuses per the
 * zone's on_full. Returns the new flow, or NULL with errno ENOSPC (full,
 * counted), E2BIG (chain past the cap, counted) or ENOMEM.
 */
struct flow *ft_add_locked(struct flowtable *ft, const struct tuple *orig,
			   const struct tuple *reply, bool admit);

/* Under the lock: remove f; it stays readable until ft_reclaim(). */
void ft_del_locked(struct flowtable *ft, struct flow *f);

/*
 * Under the lock: give f a different reply key. Readers may be comparing
 * f's keys, so f is replaced by a copy; returns the copy (NULL, ENOMEM:
 * f was left as it was).
 */
struct flow *ft_set_reply_locked(struct flowtable *ft, struct flow *f,
				 const struct tuple *reply);

/* Under the lock: f's flags change; keeps the unreplied list true. */
void ft_set_flags_locked(struct flowtable *ft, struct flow *f,
			 uint16_t flags);

/*
 * Size the index for flows flows now, rather than growing step by step
 * while they arrive (a dump at start), and shrink no smaller until
 * ft_reserve(ft, 0). Takes the lock a step at a time.
 */
void ft_reserve(struct flowtable *ft, uint64_t flows);

/* Caps; a zone without a cap has max_flows 0. */
void ft_set_max_flows(struct flowtable *ft, uint32_t max_flows);
void ft_set_zone_cap(struct flowtable *ft, uint16_t zone, uint32_t max_flows,
		     enum ft_on_full on_full);

/*
 * Flows evicted since the last call (up to max), for the kernel's
 * entries to be deleted. Takes the lock.
 */
size_t ft_take_victims(struct flowtable *ft, struct ft_victim *out,
		       size_t max);

/*
 * The table's clock, in seconds, for flow ages; the caller advances it
 * (the library reads no clock).
 */
void ft_set_clock(struct flowtable *ft, uint32_t now);

/*
 * Housekeeping, from one thread: move up to budget buckets of a running
 * resize, and start a shrink that deletes alone would not. Returns
 * whether a resize is still running.
 */
bool ft_maintain(struct flowtable *ft, uint32_t budget);
/*
 * Remove pending flows (never confirmed by conntrack) older than ttl
 * seconds: their packet was dropped after our verdict. Returns how many.
 */
size_t ft_expire_pending(struct flowtable *ft, uint32_t ttl);
/* Free what no reader can see any more: one grace period, none when
 * there is nothing to free. */
void ft_reclaim(struct flowtable *ft);

/* f's ext, made (zeroed) when it has none; NULL when out of memory. */
struct flow_ext *ft_ext_locked(struct flowtable *ft, struct flow *f);

/*
 * Visit every flow once, holding the lock for a few hundred buckets at a
 * time (no resize runs meanwhile); fn may call the _locked functions on
 * f and nothing else of the table. Flows added during the walk may be
 * missed. Stops early when fn returns false.
 */
void ft_walk(struct flowtable *ft, bool (*fn)(struct flow *f, void *arg),
	     void *arg);

/*
 * A resync: ft_mark_round() starts a round, the caller marks each flow
 * the kernel still has (flow_seen()), and ft_sweep() then removes every
 * confirmed flow the round did not see (as ft_walk() does, a chunk per
 * lock hold). Returns how many went. Pending flows are left to
 * ft_expire_pending().
 */
uint8_t ft_mark_round(struct flowtable *ft);
static inline void flow_seen(struct flow *f, uint8_t round)
{
	f->seen = round;
}
size_t ft_sweep(struct flowtable *ft);

void ft_get_stats(struct flowtable *ft, struct ft_stats *st);
/* Visit every stored key (a reader); fills longest_chain and chains[]. */
void ft_chain_stats(struct flowtable *ft, struct ft_stats *st);
/* Zones with flows or a cap, ascending; returns how many (up to max). */
size_t ft_zone_stats(struct flowtable *ft, struct ft_zone_stats *out,
		     size_t max);

#endif

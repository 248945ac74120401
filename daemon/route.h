/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flow's routes: which route the kernel takes for a packet, answered
 * by the routing mirror (lib/fib.h), by the Bloom next-hop cache in
 * front of it, or by the kernel itself (RTM_GETROUTE), as routes.cache
 * says; the mirror asks the kernel too whenever it cannot know. Answers
 * are interned (lib/routeset.h), so a flow keeps a 16-bit id per
 * direction.
 *
 * The shared part (struct route_cache) belongs to the main thread; each
 * queue worker resolves through a struct route_worker of its own, with
 * its own rtnetlink socket and counters, inside an RCU read-side
 * critical section.
 */
#ifndef FC_ROUTE_H
#define FC_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fib.h"
#include "json.h"
#include "routeset.h"
#include "tuple.h"

struct fcd;
struct route_cache;
struct route_worker;

struct route_stats {
	uint64_t lookups;		/* routes resolved */
	uint64_t mirror;		/* answered by the routing mirror */
	uint64_t kernel;		/* answered by RTM_GETROUTE */
	uint64_t kernel_errors;		/* RTM_GETROUTE gave no answer */
	uint64_t bloom_hit;		/* one filter, confirmed */
	uint64_t bloom_none;		/* no filter: slow path */
	uint64_t bloom_several;		/* several filters: slow path */
	uint64_t bloom_false_positive;	/* one filter, store said no */
	uint64_t bloom_bypass;		/* rules select on more than the
					 * destination, or routes changed
					 * since the filters were built */
	uint64_t bloom_full;		/* filters emptied: entry cap reached */
	uint64_t no_id;			/* answers not kept: no id left */
};

int route_cache_open(struct fcd *fcd, struct route_cache **ret);
void route_cache_close(struct route_cache *rc);
/*
 * Once a second, main thread: after a route change, empty the Bloom
 * cache (until then workers do not trust it); reseed it when due; free
 * what readers no longer see.
 */
void route_cache_tick(struct route_cache *rc);

/* Any thread. NULL for id 0. */
const struct route_info *route_cache_get(const struct route_cache *rc,
					 uint16_t id);

struct route_worker *route_worker_new(struct route_cache *rc);
void route_worker_free(struct route_worker *rw);

/*
 * The id of the kernel's answer for q (iif_index: q->iif's index, 0 for
 * a locally generated packet); 0 when the kernel gave no answer or no
 * id is left. Caller holds the RCU read lock, under which it read cfg.
 */
uint16_t route_resolve(struct route_worker *rw, const struct config *cfg,
		       const struct fib_query *q, int iif_index);

/* Whether dst is an address of this host (the local table says so).
 * Caller holds the RCU read lock. */
bool route_dst_local(struct route_worker *rw, uint8_t family,
		     const union fc_addr *dst);

/*
 * Both routes of a flow: the original direction's as its first packet
 * takes it (iif 0: generated here), the reply's as replies will come: in
 * by the device the original leaves by, or generated here when the
 * original was delivered here (to a local, broadcast or multicast
 * address). ifname(ctx, index) names devices. route[] gets the ids, 0
 * where no answer came.
 */
void route_flow(struct route_worker *rw, const struct config *cfg,
		const struct tuple *t, uint32_t iif, uint32_t mark,
		const char *(*ifname)(void *ctx, uint32_t index), void *ctx,
		uint16_t route[2]);

/*
 * After a route change (main thread; at most five times a second): every
 * flow decided with route = "follow" gets its routes again, and, where
 * its next hops moved, its new mark, in the table and in conntrack.
 */
void route_follow(struct route_cache *rc);

/* The counters of every worker, added up, as JSON members. */
void route_cache_json(const struct route_cache *rc, struct json *j);
void route_cache_stats(const struct route_cache *rc, struct route_stats *st);

#endif

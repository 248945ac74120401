/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The conntrack mirror: keeps the flow table equal to the kernel's
 * conntrack table through ctnetlink, and deletes the kernel's entries of
 * flows the table evicted.
 *
 * Start: subscribe to NEW, UPDATE and DESTROY events, then dump, then
 * apply the events that queued up meanwhile, so no change falls between
 * the dump and the events. Lost events (ENOBUFS) and, every
 * conntrack.resync_interval, a reconcile: dump again, mark what the
 * kernel still has, sweep the rest. The periodic one is there because
 * an entry created while nobody listened never sends DESTROY (kernels
 * since 5.19 give it no event extension), so flows learnt from a dump at
 * start could otherwise outlive their entries.
 *
 * Reliable delivery is off by default, deliberately: with
 * NETLINK_BROADCAST_ERROR the kernel keeps a destroyed entry, counting
 * against nf_conntrack_max, until its DESTROY event is delivered, so a
 * mirror that falls behind would make the kernel refuse new connections;
 * and NEW events can be lost regardless. Without it a loss costs one
 * resync and no connection. conntrack.reliable = true sets both
 * NETLINK_BROADCAST_ERROR and NETLINK_NO_ENOBUFS, as conntrackd does for
 * its reliable mode; then losses are not reported and only the periodic
 * reconcile repairs them.
 */
#ifndef FC_CTSYNC_H
#define FC_CTSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "tuple.h"

struct config;
struct fcd;
struct ctsync;

struct ctsync_stats {
	uint64_t events;		/* event messages applied */
	uint64_t new, update, destroy;
	uint64_t enobufs;		/* overruns reported: events lost */
	uint64_t lost;			/* events the kernel dropped for us */
	uint64_t resyncs;		/* dumps after a loss or on the timer */
	uint64_t dumps;
	uint64_t dump_entries;		/* entries read by the last dump */
	uint64_t sync_ms;		/* the first dump, at start */
	uint64_t last_dump_ms;
	uint64_t swept;			/* flows the kernel no longer had */
	uint64_t errors;		/* messages we could not use */
	uint64_t deleted;		/* entries deleted in the kernel: of
					 * evicted flows, of removed backends */
	uint64_t delete_errors;
	uint64_t marked;		/* ct marks changed (routes followed) */
	uint64_t mark_errors;
	uint64_t no_memory;		/* flows not mirrored: allocation failed */
};

/*
 * Subscribe to events (nothing is read yet). Returns 0 or -errno, the
 * reason logged.
 */
int ctsync_open(struct fcd *fcd, struct ctsync **ret);
/* The first dump; events are read from the loop afterwards. */
int ctsync_start(struct ctsync *cs);
void ctsync_close(struct ctsync *cs);

/* Apply the socket settings of a (re)loaded configuration. */
void ctsync_configure(struct ctsync *cs, const struct config *cfg);

/* Once a second: evictions to the kernel, the periodic reconcile. */
void ctsync_tick(struct ctsync *cs, uint64_t now);

/*
 * Change the bits mask of an entry's ct mark to those of mark, the other
 * bits left as they are; sent without waiting (a refusal is counted when
 * its answer is read). Returns 0 or -errno. Main thread.
 */
int ctsync_set_mark(struct ctsync *cs, const struct tuple *t, uint32_t ct_id,
		    uint32_t mark, uint32_t mask);

/* Ask the kernel to delete the entry of t (ct_id) without waiting;
 * counted under deleted or delete_errors. Main thread. */
void ctsync_delete(struct ctsync *cs, const struct tuple *t, uint32_t ct_id);

struct ctsync_flush {
	uint64_t flows;			/* cached answers dropped */
	uint64_t cleared;		/* ct marks cleared in the kernel */
	uint64_t deleted;		/* entries deleted (delete_ct) */
	uint64_t errors;		/* of those, sends that failed */
	bool no_memory;			/* some flows were not flushed */
};

/*
 * Forget what was decided for the flows of zone (-1: every zone): their
 * decided flag, routes, owner and stream ID in the table, and the bits
 * mask of their ct marks in the kernel, so that their next packet is
 * queued and decided again. With delete_ct the kernel's entries are
 * deleted instead, and the flows start again as new ones. Main thread.
 */
void ctsync_flush(struct ctsync *cs, int zone, uint32_t mask, bool delete_ct,
		  struct ctsync_flush *res);

void ctsync_get_stats(const struct ctsync *cs, struct ctsync_stats *st);
void ctsync_stats_json(const struct ctsync *cs, struct json *j);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IPsec mirror: the kernel's XFRM policies and SAs, followed through
 * NETLINK_XFRM into an immutable struct xfrmdb (lib/xfrmdb.h) that queue
 * workers ask, without a syscall, which SA carries a flow.
 */
#ifndef FC_XFRMSYNC_H
#define FC_XFRMSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "tuple.h"
#include "xfrmdb.h"

struct fcd;
struct xfrmsync;

struct xfrmsync_stats {
	uint64_t events;		/* messages from the event groups */
	uint64_t dumps;			/* policies and SAs read again */
	uint64_t dumps_failed;		/* the previous snapshot stayed */
	uint64_t enobufs;		/* events lost: a dump follows */
	uint64_t truncated;		/* messages shorter than they say */
	uint64_t errors;		/* other messages we could not use */
	uint64_t no_memory;
	uint32_t skipped;		/* last dump: per-socket policies and
					 * SAs still being negotiated */
	uint32_t policies;		/* in the published snapshot */
	uint32_t states;
};

/*
 * Subscribe to policy, SA and expiry events, dump policies and SAs, and
 * follow from fcd->loop. Returns 0 or -errno: -EPROTONOSUPPORT when the
 * kernel has no XFRM netlink (CONFIG_XFRM_USER), -EPERM without
 * CAP_NET_ADMIN; both mean "no IPsec mirror", not a broken daemon.
 */
int xfrmsync_open(struct fcd *fcd, struct xfrmsync **ret);
/* NULL-safe. After the queue workers have stopped: frees the snapshot. */
void xfrmsync_close(struct xfrmsync *xs);
/* Once a second: retry a dump that failed, or one still owed. */
void xfrmsync_tick(struct xfrmsync *xs);

/*
 * xfrmdb_lookup() on the published snapshot: any thread, the caller
 * holding urcu_memb_read_lock() (and registered with urcu-memb). False
 * when xs is NULL. t's ports are in host byte order.
 */
bool xfrmsync_lookup(const struct xfrmsync *xs, const struct tuple *t,
		     uint8_t dir, struct xfrm_sa_ref *out);

/* Main thread. All zero when xs is NULL. */
void xfrmsync_get_stats(const struct xfrmsync *xs, struct xfrmsync_stats *st);

#endif

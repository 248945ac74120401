/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The routing mirror: routes of every table and both families, policy
 * rules and link names, followed through rtnetlink into a struct fib
 * (lib/fib.h) that queue workers resolve routes from without a syscall.
 */
#ifndef FC_RTSYNC_H
#define FC_RTSYNC_H

#include <stdint.h>

struct fcd;
struct fib;
struct rtsync;

struct rtsync_stats {
	uint64_t route_events;		/* routes added, replaced, deleted */
	uint64_t rule_dumps;		/* the rule set read again */
	uint64_t dumps;			/* everything read again */
	uint64_t enobufs;		/* events lost: each costs a dump */
	uint64_t errors;		/* messages we could not use */
	uint64_t no_memory;
};

/* Subscribe, dump links, rules and routes, follow from the loop. */
int rtsync_open(struct fcd *fcd, struct rtsync **ret);
void rtsync_close(struct rtsync *rs);
/* Once a second: retry a dump that failed. */
void rtsync_tick(struct rtsync *rs);

const struct fib *rtsync_fib(const struct rtsync *rs);
/* The name of a link, NULL when unknown. Main thread only. */
const char *rtsync_ifname(const struct rtsync *rs, int ifindex);
void rtsync_get_stats(const struct rtsync *rs, struct rtsync_stats *st);

#endif

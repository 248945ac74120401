/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The routing mirror as data: policy rules, tables of prefixes (each an
 * LPM, lib/lpm.h) and the next hops they lead to, and the one question
 * asked of them for every new flow: which route would the kernel choose
 * for this packet?
 *
 * The answer is exact or not given. fib_resolve() walks the rules as the
 * kernel's fib_rules_lookup() does and looks up tables as
 * fib_table_lookup() does, for the cases this mirror models completely:
 * rules matching on priority, source and destination prefix, fwmark and
 * mask, input and output interface, IP protocol and port ranges, with
 * the actions table, goto, nop, blackhole, unreachable and prohibit, and
 * suppress_prefixlength; tables of single-path routes without TOS. For
 * anything else (a multipath route, whose hash it does not model; a
 * nexthop object; a route with TOS or several routes on one prefix that
 * differ in more than their metric; a rule selector it does not know) it
 * answers FIB_ASK_KERNEL, and the caller asks the kernel with
 * RTM_GETROUTE. So it never reports a route the kernel would not choose.
 *
 * Concurrency: one writer (the rtnetlink mirror) builds new rule sets and
 * next hops and changes tables; readers (queue workers) resolve under an
 * RCU read lock. Rule sets and next hops are immutable once published.
 */
#ifndef FC_FIB_H
#define FC_FIB_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define FIB_MAX_RULES 1024

/* A route's answer, shared by every prefix that leads to it. */
struct fib_nexthop {
	uint32_t id;			/* 1.. */
	uint32_t table;
	uint8_t family;
	uint8_t type;			/* RTN_UNICAST, RTN_LOCAL, ... */
	uint8_t scope;
	bool has_gateway, has_prefsrc;
	int oif;			/* 0: none (blackhole, ...) */
	union fc_addr gateway;
	union fc_addr prefsrc;
	uint32_t metric;
};

struct fib_rule {
	uint32_t priority;
	uint8_t family;
	uint8_t action;			/* FR_ACT_* */
	bool invert;
	uint32_t table;			/* FR_ACT_TO_TBL */
	uint32_t goto_priority;		/* FR_ACT_GOTO */
	struct prefix src, dst;		/* len 0: any */
	uint32_t fwmark, fwmask;
	char iif[IFNAMSIZ], oif[IFNAMSIZ]; /* "": any */
	uint8_t ip_proto;		/* 0: any */
	struct port_range sport, dport;	/* 0-0: any */
	int suppress_prefixlen;		/* -1: none */
	bool unknown;			/* a selector or action not modelled */
};

/* The packet a route is asked for. */
struct fib_query {
	uint8_t family;
	union fc_addr src, dst;
	uint32_t mark;
	const char *iif;		/* NULL: locally generated */
	const char *oif;		/* NULL: not bound to a device */
	uint8_t proto;
	uint16_t sport, dport;
};

enum fib_answer {
	FIB_OK,			/* *nh is the kernel's route */
	FIB_NO_ROUTE,		/* the kernel would say unreachable too */
	FIB_ASK_KERNEL,		/* not modelled here: RTM_GETROUTE */
};

struct fib_result {
	const struct fib_nexthop *nh;	/* FIB_OK */
	uint32_t table;
	uint8_t prefix_len;
	uint8_t type;			/* RTN_*; of the rule for its actions */
};

struct fib;

struct fib_params {
	void (*synchronize)(void);	/* RCU grace period */
};

struct fib *fib_new(const struct fib_params *p);
void fib_free(struct fib *fib);

/* --- writer ------------------------------------------------------------- */

/*
 * A route: the kernel keys it by family, table, prefix, TOS and metric,
 * and `ip route append` puts several next hops under one key (the kernel
 * tries them in an order a dump does not tell: such a prefix asks the
 * kernel). replace (NLM_F_REPLACE) drops what the key held first.
 * not_modelled marks a route the lookup cannot follow exactly
 * (multipath, a nexthop object): any lookup landing on its prefix asks
 * the kernel. Returns 0 or -errno.
 */
int fib_route_add(struct fib *fib, const struct prefix *pfx, uint8_t tos,
		  const struct fib_nexthop *nh, bool not_modelled,
		  bool replace);
/* The route with this key and next hop (nh->oif 0: any under the key). */
int fib_route_del(struct fib *fib, const struct prefix *pfx, uint8_t tos,
		  const struct fib_nexthop *nh);
/* Forget every route (before a full dump). */
void fib_flush_routes(struct fib *fib);

/* The whole rule set, replaced at once (rules change rarely). */
int fib_set_rules(struct fib *fib, const struct fib_rule *rules, size_t n);

/* Bumped by every change; a flow resolved at an older one may be stale. */
uint32_t fib_generation(const struct fib *fib);

/* Free what no reader can see any more (one grace period). */
void fib_reclaim(struct fib *fib);

/* --- readers (RCU read side) --------------------------------------------- */

enum fib_answer fib_resolve(const struct fib *fib, const struct fib_query *q,
			    struct fib_result *res);

/*
 * Whether fib_resolve()'s answer for q is a function of q->dst alone, so
 * that an answer cached by destination (the Bloom cache) is the one it
 * would give: no rule of q's family selects on anything but the
 * destination, and q is none of the packets left to the kernel.
 */
bool fib_dst_cacheable(const struct fib *fib, const struct fib_query *q);

const struct fib_nexthop *fib_nexthop(const struct fib *fib, uint32_t id);

/* The single-path route of one table for dst, rules aside; NULL when
 * none (or only one the mirror does not model). */
const struct fib_nexthop *fib_table_lookup(const struct fib *fib,
					   uint32_t table, uint8_t family,
					   const union fc_addr *dst);

struct fib_stats {
	size_t routes4, routes6, rules, nexthops, tables;
	size_t memory;
	uint32_t generation;
};
void fib_get_stats(const struct fib *fib, struct fib_stats *st);

#endif

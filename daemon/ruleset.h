/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The managed nf_tables ruleset, `table ip flowcached` and `table ip6
 * flowcached` (a pair, not one inet table: the xt CONNMARK target that
 * copies the masked mark exists for IPv4 and IPv6 only): zone
 * classification before conntrack, the fast path for decided flows, the
 * queue for undecided ones and the save of the daemon's mark into the ct
 * mark. Both tables are installed or replaced in one nf_tables batch, so
 * the kernel holds either the old ruleset or the new one, never a mix and
 * never none.
 */
#ifndef FC_RULESET_H
#define FC_RULESET_H

#include "config.h"

#define RULESET_TABLE "flowcached"

struct ruleset;

/* Open the nf_tables netlink socket. Returns 0 or -errno. */
int ruleset_open(struct ruleset **ret);

/*
 * Install or atomically replace the tables for cfg. On failure the
 * tables the kernel had before are untouched, and what the kernel
 * refused (which chain, rule and expression, and why) has been logged;
 * -ENOBUFS or -ETIMEDOUT mean answers were lost twice and the outcome is
 * unknown. The first call finds out which queue statement this kernel
 * has and later calls reuse the answer. Returns 0 or -errno.
 */
int ruleset_apply(struct ruleset *rs, const struct config *cfg);

/* Delete the tables; 0 also when there were none. Returns 0 or -errno. */
int ruleset_remove(struct ruleset *rs);

/* NULL-safe. */
void ruleset_close(struct ruleset *rs);

/*
 * The queue statement in use: "nft queue" or "xt NFQUEUE (compat)";
 * "not probed yet" before the first successful ruleset_apply().
 */
const char *ruleset_queue_backend(const struct ruleset *rs);

#endif

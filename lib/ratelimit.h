/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * At most burst events per interval, the rest counted, as the kernel's
 * printk_ratelimit does: a flood of packets that each deserve a log line
 * costs the journal burst lines and one "suppressed" line per interval.
 * Not thread-safe: the caller serialises.
 */
#ifndef FC_RATELIMIT_H
#define FC_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_ns;
	uint32_t burst;
	uint32_t used;			/* events let through this interval */
	uint64_t begin;			/* of the interval, ns; 0: none yet */
	uint64_t missed;		/* suppressed since the last report */
};

#define RATELIMIT_INIT(interval_s, n) \
	{ .interval_ns = (interval_s) * 1000000000ull, .burst = (n) }

/*
 * Whether the event at now (ns, monotonic) may pass. When it opens a new
 * interval after suppressed ones, *suppressed is how many were, else 0.
 */
bool ratelimit_pass(struct ratelimit *rl, uint64_t now, uint64_t *suppressed);

#endif

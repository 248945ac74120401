/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's stream-ID maps: `map sids_z<zone>` in both managed
 * tables (the ruleset creates them empty), sid -> the mark of its
 * backend, each element with the zone's idle timeout. A packet whose sid
 * is in the map gets its mark there and is never queued, even on a new
 * 5-tuple. Elements go in one nf_tables batch per call, on a netlink
 * socket of the caller's own.
 */
#ifndef FC_SIDMAP_H
#define FC_SIDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct sidmap;

/* One element: sid (len bytes) of zone -> mark, for timeout_ms. */
struct sidmap_elem {
	uint16_t zone;
	uint8_t len;
	uint8_t sid[SID_MAX_LEN];
	uint32_t mark;
	uint64_t timeout_ms;
};

/* Returns 0 or -errno. */
int sidmap_open(struct sidmap **ret);
void sidmap_close(struct sidmap *sm);

/*
 * Put n elements into both tables' maps (one already there with the
 * same mark stays, with its timeout renewed), or take them out. Returns
 * how many elements the kernel refused (0: all done; a sid mapped to
 * another mark must be taken out first), or -errno when the batch could
 * not be sent or its answers read.
 */
int sidmap_put(struct sidmap *sm, const struct sidmap_elem *e, size_t n);
int sidmap_del(struct sidmap *sm, const struct sidmap_elem *e, size_t n);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pinned next hops: the routing tables and rules that keep a flow on the
 * next hop it was decided with. Next hop k (a device and gateway of one
 * family) gets table routes.pin_table + k holding one default route by
 * it, and an `ip rule fwmark k/routes.pin_mask lookup` that table (and
 * one for routes.pin_reply_mask), at routes.pin_priority. A flow whose
 * policy rule says route = "pin" or "follow" carries k in those mark
 * bits; the managed ruleset restores each direction's bits to its own
 * packets. The tables and rules are the daemon's, made when a next hop
 * is first needed, kept across restarts (a restart finds them again in
 * the routing mirror, so pinned flows stay where they are) and removed
 * with the ruleset.
 *
 * The only file that writes routes and rules (rtnetlink); any thread.
 */
#ifndef FC_PIN_H
#define FC_PIN_H

#include <stdint.h>

#include "json.h"
#include "routeset.h"

struct fcd;
struct pins;

int pin_open(struct fcd *fcd, struct pins **ret);
void pin_close(struct pins *p);
/* Delete every table and rule of ours (at stop, with the ruleset). */
void pin_remove(struct pins *p);

/*
 * The mark bits that pin a flow to the next hops of its original and
 * reply routes (either may be NULL): the slots' numbers in pin_mask and
 * pin_reply_mask. A route that is not a unicast route by a device, or
 * a next hop beyond the 255 slots or that the kernel refused, adds no
 * bits (and is counted); so does p NULL (no routes.pin_mask).
 */
uint32_t pin_mark(struct pins *p, const struct route_info *orig,
		  const struct route_info *reply);

void pin_json(struct pins *p, struct json *j);

#endif

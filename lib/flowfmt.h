/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flow as the CLI shows it: one JSON object in the fields of the
 * interface contract (DESIGN.md), or one line of text. Shared by the
 * control command and the tests, so both read the same words.
 */
#ifndef FC_FLOWFMT_H
#define FC_FLOWFMT_H

#include "buf.h"
#include "flowtable.h"
#include "json.h"
#include "routeset.h"

/* What the daemon knows of a flow beyond the table: its routes (NULL:
 * none cached) with their devices by name (NULL: unknown), its owner's
 * user name and cgroup path, and its stream ID's backend (NULL: none,
 * or unknown). */
struct flow_extra {
	const struct route_info *route[2];	/* original, reply */
	const char *oif[2];
	const char *user;
	const char *cgroup;
	const char *backend;
};

/* f's owner, NULL when it has none. The caller holds the table's lock
 * (a walk does), under which owners are written. */
const struct flow_owner *flow_owner_of(const struct flow *f);

/*
 * The state as conntrack -L words it: the TCP state for TCP, else
 * ASSURED, REPLIED or UNREPLIED; PENDING before conntrack confirmed the
 * flow (its first packet was queued, the NEW event has not come).
 */
const char *flow_state(const struct flow *f);

void flow_json(struct json *j, const struct flow *f,
	       const struct flow_extra *x);
void flow_text(struct buf *out, const struct flow *f,
	       const struct flow_extra *x);

#endif

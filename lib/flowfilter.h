/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which flows `flowcachectl flows` shows: conditions that must all hold,
 * set from the command's options, and the predicate that tests a flow.
 * Addresses and ports are those of the original direction, as
 * `conntrack -L -s/-d/--sport/--dport` read them. Pure: user names and a
 * flow's backend are resolved by the caller.
 */
#ifndef FC_FLOWFILTER_H
#define FC_FLOWFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "flowtable.h"
#include "policy.h"

enum {
	FLOW_FILTER_ZONE	= 1u << 0,
	FLOW_FILTER_PROTO	= 1u << 1,
	FLOW_FILTER_SRC		= 1u << 2,
	FLOW_FILTER_DST		= 1u << 3,
	FLOW_FILTER_PORT	= 1u << 4,
	FLOW_FILTER_UID		= 1u << 5,
	FLOW_FILTER_SID		= 1u << 6,
	FLOW_FILTER_BACKEND	= 1u << 7,
};

struct flow_filter {
	unsigned int has;		/* FLOW_FILTER_*: the conditions set */
	uint16_t zone;
	uint8_t proto;
	struct prefix src, dst;		/* of the original direction */
	struct port_range port;		/* either port of the original
					 * direction; protocols with ports */
	uint32_t uid;			/* the owner's */
	struct stream_id sid;
	char backend[L7_NAME_MAX];
};

/*
 * Set the condition of option opt ("--proto", "--src", "--dst",
 * "--port", "--sid", "--backend") to value. Returns 0; -ENOENT when opt
 * is none of those (the caller's, such as --zone and --user, which need
 * more than parsing); -EINVAL with a message naming the option appended
 * to err when value is not one the option takes.
 */
int flow_filter_parse(struct flow_filter *ff, const char *opt,
		      const char *value, struct buf *err);

/*
 * Whether f meets every condition of ff. backend is the name of f's
 * stream-ID backend, NULL when it has none; the caller holds the table's
 * lock (a walk does), under which a flow's owner and sid are written.
 */
bool flow_filter_match(const struct flow_filter *ff, const struct flow *f,
		       const char *backend);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A conntrack entry as ctnetlink sends it (dumps and events): the
 * attributes after the nfgenmsg header, read into the fields the flow
 * table keeps. This is the hot loop of a dump (a million entries at
 * start), so it reads only those, in one pass, without allocating;
 * libnetfilter_conntrack's general parser, an object per entry with
 * every attribute, cost 0.7 us an entry here, more than the kernel
 * spends producing it (bench/ctsync.sh).
 *
 * Every length is checked against the message: a truncated or lying
 * attribute is an error, never a read past the buffer.
 */
#ifndef FC_CTMSG_H
#define FC_CTMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

struct ct_entry {
	struct tuple orig, reply;	/* both carry the entry's zone */
	uint32_t id;
	uint32_t mark;			/* 0 when absent */
	uint32_t status;		/* IPS_*; 0 when absent */
	uint8_t tcp_state;		/* TCP_CONNTRACK_*, when has_tcp_state */
	bool has_id;
	bool has_status;
	bool has_tcp_state;
};

enum ctmsg_err {
	CTMSG_OK,
	CTMSG_TRUNCATED,	/* an attribute runs past the message */
	CTMSG_NO_TUPLE,		/* an original or reply tuple is missing */
	CTMSG_BAD_TUPLE,	/* no addresses of one family, no protocol */
};

/*
 * Parse attrs[0, len), the payload after struct nfgenmsg. Returns
 * CTMSG_OK and fills *out, or the first problem found.
 */
enum ctmsg_err ctmsg_parse(const void *attrs, size_t len,
			   struct ct_entry *out);

#endif

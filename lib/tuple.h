/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow key: zone, family, protocol, addresses, ports. One layout for
 * both families (IPv4 in the first 4 bytes of each address, the rest
 * zero) so that hashing and comparing are plain memory operations; the
 * struct has no padding, so memcmp/memcpy over it are exact.
 *
 * ICMP and ICMPv6 echo flows carry the echo id in both ports, so that the
 * reply's tuple is the original's with addresses and ports swapped, as
 * for TCP and UDP. Protocols without ports have both ports zero.
 */
#ifndef FC_TUPLE_H
#define FC_TUPLE_H

#include <stdint.h>

#include "addr.h"

struct tuple {
	union fc_addr src;
	union fc_addr dst;
	uint16_t sport;		/* host byte order */
	uint16_t dport;
	uint16_t zone;		/* conntrack zone; 0 is the default zone */
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t proto;		/* IPPROTO_* */
};

_Static_assert(sizeof(struct tuple) == 40, "struct tuple has padding");

/* The tuple of the other direction. */
static inline void tuple_reverse(const struct tuple *t, struct tuple *r)
{
	*r = *t;
	r->src = t->dst;
	r->dst = t->src;
	r->sport = t->dport;
	r->dport = t->sport;
}

#endif

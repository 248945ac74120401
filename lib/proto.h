/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names of the IP protocols flowcached understands, as nft and conntrack
 * spell them. A fixed table rather than /etc/protocols, so that the config
 * means the same on every machine and the JSON names never change.
 */
#ifndef FC_PROTO_H
#define FC_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* "tcp" for 6, ...; NULL for a protocol without a name here. */
const char *proto_name(uint8_t proto);
/* A name above, or a number 0..255. Returns the number, or -EINVAL. */
int proto_parse(const char *s);
/* Whether the protocol's header starts with source and destination
 * ports, which conntrack, routing rules and XFRM selectors match on. */
bool proto_has_ports(uint8_t proto);

#endif

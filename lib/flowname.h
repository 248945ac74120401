/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one way a flow is named in logs and in the CLI's text:
 * "zone 10 tcp 10.0.0.1:5000 -> 10.0.1.2:80", "zone 0 udp
 * [fd00::1]:53 -> [fd00::2]:40000", "zone 10 icmp 10.0.1.2 -> 10.0.2.2",
 * so that a grep for one finds the other.
 */
#ifndef FC_FLOWNAME_H
#define FC_FLOWNAME_H

#include <stddef.h>

#include "tuple.h"

/* Longest name: zone, a protocol word, two bracketed IPv6 addresses
 * with ports, and the words between. */
#define FLOW_NAME_MAX 128

/* Writes t's name into s (len bytes, truncated if need be); returns s. */
char *flow_name(const struct tuple *t, char *s, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>

#include "flowname.h"
#include "proto.h"

char *flow_name(const struct tuple *t, char *s, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], p[16];
	const char *name = proto_name(t->proto);
	bool v6 = t->family == AF_INET6;

	if (!inet_ntop(t->family, &t->src, a, sizeof(a)))
		a[0] = '\0';
	if (!inet_ntop(t->family, &t->dst, b, sizeof(b)))
		b[0] = '\0';
	if (!name) {
		snprintf(p, sizeof(p), "proto %u", t->proto);
		name = p;
	}
	if (proto_has_ports(t->proto))
		snprintf(s, len, "zone %u %s %s%s%s:%u -> %s%s%s:%u", t->zone,
			 name, v6 ? "[" : "", a, v6 ? "]" : "", t->sport,
			 v6 ? "[" : "", b, v6 ? "]" : "", t->dport);
	else
		snprintf(s, len, "zone %u %s %s -> %s", t->zone, name, a, b);
	return s;
}

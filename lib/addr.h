/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text forms of addresses, prefixes and port ranges as the config and the
 * CLI write them. Parsing only: nothing here resolves names.
 */
#ifndef FC_ADDR_H
#define FC_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

union fc_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t b[16];
};

struct prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;		/* 0..32 or 0..128 */
	union fc_addr addr;	/* host bits are zero */
};

struct port_range {
	uint16_t lo, hi;	/* lo <= hi */
};

struct addr_port {
	uint8_t family;
	union fc_addr addr;
	uint16_t port;
};

/* Longest text of a prefix: an IPv6 address, '/', three digits. */
#define PREFIX_STRLEN (46 + 4)

/*
 * "10.0.0.0/8", "fd00::/64", or a bare address (a host prefix).
 * Returns 0, -EINVAL when malformed or the length is out of range,
 * -EDOM when bits beyond the prefix length are set (a typo more often
 * than not, so it is refused rather than masked).
 */
int prefix_parse(const char *s, struct prefix *ret);
/* Writes "addr/len" (or the bare address for a host prefix). */
void prefix_format(const struct prefix *p, char *out, size_t len);
/* Whether addr (of the given family) lies inside p. */
bool prefix_contains(const struct prefix *p, int family,
		     const union fc_addr *addr);

/* "80" or "1024-65535". Returns 0 or -EINVAL. Port 0 is refused. */
int port_range_parse(const char *s, struct port_range *ret);

/* "127.0.0.1:9530" or "[::1]:9530". Returns 0 or -EINVAL. */
int addr_port_parse(const char *s, struct addr_port *ret);

/* Longest text of an addr_port: '[', an IPv6 address, "]:", a port. */
#define ADDR_PORT_STRLEN (1 + 45 + 2 + 5 + 1)
/* Writes the form addr_port_parse() reads. */
void addr_port_format(const struct addr_port *ap, char *out, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static int addr_parse(const char *s, size_t n, uint8_t *family,
		      union fc_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, tmp, &a->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, &a->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Decimal number in [0, max] spanning exactly s[0..n). */
static int parse_uint(const char *s, size_t n, unsigned long max,
		      unsigned long *ret)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		/* checked per digit: no wrap-around where long is 32 bits */
		if (v > max)
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

int prefix_parse(const char *s, struct prefix *ret)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct prefix p = { 0 };
	unsigned long len;
	unsigned int bits, i;

	if (addr_parse(s, alen, &p.family, &p.addr) < 0)
		return -EINVAL;
	bits = p.family == AF_INET ? 32 : 128;
	len = bits;
	if (slash && parse_uint(slash + 1, strlen(slash + 1), bits, &len) < 0)
		return -EINVAL;
	p.len = (uint8_t)len;
	for (i = p.len; i < bits; i++)
		if (p.addr.b[i / 8] & (0x80 >> (i % 8)))
			return -EDOM;
	*ret = p;
	return 0;
}

void prefix_format(const struct prefix *p, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int bits = p->family == AF_INET ? 32 : 128;

	inet_ntop(p->family, &p->addr, a, sizeof(a));
	if (p->len == bits)
		snprintf(out, len, "%s", a);
	else
		snprintf(out, len, "%s/%u", a, p->len);
}

bool prefix_contains(const struct prefix *p, int family,
		     const union fc_addr *addr)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (p->family != family)
		return false;
	if (memcmp(p->addr.b, addr->b, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((p->addr.b[full] ^ addr->b[full]) & mask)
			return false;
	}
	return true;
}

int port_range_parse(const char *s, struct port_range *ret)
{
	const char *dash = strchr(s, '-');
	unsigned long lo, hi;

	if (dash) {
		if (parse_uint(s, (size_t)(dash - s), 65535, &lo) < 0 ||
		    parse_uint(dash + 1, strlen(dash + 1), 65535, &hi) < 0)
			return -EINVAL;
	} else {
		if (parse_uint(s, strlen(s), 65535, &lo) < 0)
			return -EINVAL;
		hi = lo;
	}
	if (lo == 0 || lo > hi)
		return -EINVAL;
	ret->lo = (uint16_t)lo;
	ret->hi = (uint16_t)hi;
	return 0;
}

int addr_port_parse(const char *s, struct addr_port *ret)
{
	struct addr_port ap = { 0 };
	const char *colon, *a = s;
	size_t alen;
	unsigned long port;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		a = s + 1;
		alen = (size_t)(close - a);
		colon = close + 1;
		if (addr_parse(a, alen, &ap.family, &ap.addr) < 0 ||
		    ap.family != AF_INET6)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		alen = (size_t)(colon - s);
		if (addr_parse(a, alen, &ap.family, &ap.addr) < 0 ||
		    ap.family != AF_INET)
			return -EINVAL;
	}
	if (parse_uint(colon + 1, strlen(colon + 1), 65535, &port) < 0 ||
	    port == 0)
		return -EINVAL;
	ap.port = (uint16_t)port;
	*ret = ap;
	return 0;
}

void addr_port_format(const struct addr_port *ap, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(ap->family, &ap->addr, a, sizeof(a));
	snprintf(out, len, ap->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 ap->port);
}

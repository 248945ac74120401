// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/policy.c. zone_classify: first match in list order,
 * the iif list (the oif standing in for it on locally generated packets,
 * no match when neither is known), proto, addresses and ports on either
 * end (family-aware, ranges inclusive), AND across keys and OR within a
 * list, the empty list, t->zone ignored; plus a seeded random property
 * check that both directions of a flow land in the same zone. policy_eval:
 * first match, the empty match, RULE_HAS_ZONE/FAMILY/PROTO, directional
 * src/dst prefixes and sport/dport ranges, iif/oif lists, no match.
 */
#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "policy.h"
#include "tuple.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * List literals for match structs. They have the storage of the block
 * they appear in, which is the whole test function.
 */
#define IFS(...) ((struct ifname_list){					\
	ARRAY_SIZE(((char[][IFNAMSIZ]){ __VA_ARGS__ })),		\
	(char[][IFNAMSIZ]){ __VA_ARGS__ } })
#define PFXS(...) ((struct prefix_list){				\
	ARRAY_SIZE(((struct prefix[]){ __VA_ARGS__ })),			\
	(struct prefix[]){ __VA_ARGS__ } })
#define PORTS(...) ((struct port_list){					\
	ARRAY_SIZE(((struct port_range[]){ __VA_ARGS__ })),		\
	(struct port_range[]){ __VA_ARGS__ } })

/* The prefix of text, which must be valid. */
static struct prefix pfx(const char *text)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(text, &p) == 0, "bad test prefix %s", text);
	return p;
}

/* A tuple of the given family; the addresses must be valid for it. */
static struct tuple mktuple(int family, int proto, const char *src,
			    unsigned int sport, const char *dst,
			    unsigned int dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = (uint8_t)family;
	t.proto = (uint8_t)proto;
	ck_assert_msg(inet_pton(family, src, &t.src) == 1,
		      "bad test address %s", src);
	ck_assert_msg(inet_pton(family, dst, &t.dst) == 1,
		      "bad test address %s", dst);
	t.sport = (uint16_t)sport;
	t.dport = (uint16_t)dport;
	return t;
}

static struct tuple tcp4(const char *src, unsigned int sport,
			 const char *dst, unsigned int dport)
{
	return mktuple(AF_INET, IPPROTO_TCP, src, sport, dst, dport);
}

static struct tuple tcp6(const char *src, unsigned int sport,
			 const char *dst, unsigned int dport)
{
	return mktuple(AF_INET6, IPPROTO_TCP, src, sport, dst, dport);
}

static struct tuple reversed(const struct tuple *t)
{
	struct tuple r;

	tuple_reverse(t, &r);
	return r;
}

static const struct pkt_where fwd_eth0 = { .iif = "eth0", .oif = "eth1" };
static const struct pkt_where nowhere = { .iif = NULL, .oif = NULL };

/* Index of p in arr (n elements), -1 for NULL, -2 for anywhere else. */
static long idx(const void *p, const void *arr, size_t n, size_t size)
{
	const char *c = p, *a = arr;

	if (!p)
		return -1;
	if (c < a || c >= a + n * size || (size_t)(c - a) % size)
		return -2;
	return (long)((size_t)(c - a) / size);
}

/*
 * zone_classify must return &zones[want], or NULL when want is -1. In
 * failure messages zones[-1] is NULL, zones[-2] a pointer outside zones.
 */
#define expect_zone(zones, n, t, w, want) do {				\
	const struct zone_conf *z_ = zone_classify((zones), (n), (t), (w)); \
	long got_ = idx(z_, (zones), (n), sizeof(struct zone_conf));	\
	ck_assert_msg(got_ == (want),					\
		      "zone_classify gave zones[%ld], want zones[%ld]",	\
		      got_, (long)(want));				\
} while (0)

/* policy_eval must return &rules[want], or NULL when want is -1. */
#define expect_rule(rules, n, t, w, want) do {				\
	const struct rule_conf *r_ = policy_eval((rules), (n), (t), (w)); \
	long got_ = idx(r_, (rules), (n), sizeof(struct rule_conf));	\
	ck_assert_msg(got_ == (want),					\
		      "policy_eval gave rules[%ld], want rules[%ld]",	\
		      got_, (long)(want));				\
} while (0)

/* --- zone_classify ----------------------------------------------------- */

START_TEST(test_zone_empty_list)
{
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	ck_assert_ptr_null(zone_classify(NULL, 0, &t, &fwd_eth0));
	ck_assert_ptr_null(zone_classify(NULL, 0, &t, &nowhere));
}
END_TEST

START_TEST(test_zone_no_keys_matches_all)
{
	struct zone_conf zones[] = { { .id = 1 } };
	struct tuple t4 = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct tuple t6 = mktuple(AF_INET6, IPPROTO_UDP, "2001:db8::1", 53,
				  "2001:db8::2", 53);

	expect_zone(zones, 1, &t4, &fwd_eth0, 0);
	expect_zone(zones, 1, &t6, &fwd_eth0, 0);
	/* no interface key, so an unknown interface does not matter */
	expect_zone(zones, 1, &t4, &nowhere, 0);
}
END_TEST

START_TEST(test_zone_first_match_wins)
{
	struct zone_conf zones[] = {
		{ .id = 10, .match = { .proto = IPPROTO_UDP } },
		{ .id = 20, .match = { .port = PORTS({ 80, 80 }) } },
		{ .id = 30, .match = { .addr = PFXS(pfx("192.0.2.0/24")) } },
		{ .id = 40 },
	};
	size_t n = ARRAY_SIZE(zones);
	struct tuple t;

	/* matches 20, 30 and 40: the earliest is taken */
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	expect_zone(zones, n, &t, &fwd_eth0, 1);
	/* matches all four */
	t.proto = IPPROTO_UDP;
	expect_zone(zones, n, &t, &fwd_eth0, 0);
	/* matches 30 and 40 */
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 443);
	expect_zone(zones, n, &t, &fwd_eth0, 2);
	/* only the catch-all */
	t = tcp4("203.0.113.1", 40000, "198.51.100.7", 443);
	expect_zone(zones, n, &t, &fwd_eth0, 3);
	/* and without it, none */
	expect_zone(zones, n - 1, &t, &fwd_eth0, -1);
	/* order is list order, not id order */
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	expect_zone(&zones[2], 2, &t, &fwd_eth0, 0);
}
END_TEST

START_TEST(test_zone_iif)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .iif = IFS("eth0", "eth1") } },
		{ .id = 2, .match = { .iif = IFS("wg0") } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct pkt_where w;

	w = (struct pkt_where){ .iif = "eth0", .oif = "wg0" };
	expect_zone(zones, 2, &t, &w, 0);
	/* any element of the list */
	w = (struct pkt_where){ .iif = "eth1", .oif = "wg0" };
	expect_zone(zones, 2, &t, &w, 0);
	w = (struct pkt_where){ .iif = "wg0", .oif = "eth0" };
	expect_zone(zones, 2, &t, &w, 1);
	/* the packet's iif, not its oif, when it has one */
	w = (struct pkt_where){ .iif = "eth2", .oif = "eth0" };
	expect_zone(zones, 2, &t, &w, -1);
	w = (struct pkt_where){ .iif = "eth2", .oif = NULL };
	expect_zone(zones, 2, &t, &w, -1);
	/* whole names only */
	w = (struct pkt_where){ .iif = "eth", .oif = NULL };
	expect_zone(zones, 2, &t, &w, -1);
	w = (struct pkt_where){ .iif = "eth00", .oif = NULL };
	expect_zone(zones, 2, &t, &w, -1);
	w = (struct pkt_where){ .iif = "wg", .oif = NULL };
	expect_zone(zones, 2, &t, &w, -1);
}
END_TEST

START_TEST(test_zone_iif_local)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .iif = IFS("eth0") } },
		{ .id = 2, .match = { .iif = IFS("eth1", "wg0") } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct pkt_where w;

	/* locally generated: replies arrive where it leaves */
	w = (struct pkt_where){ .iif = NULL, .oif = "eth0" };
	expect_zone(zones, 2, &t, &w, 0);
	w = (struct pkt_where){ .iif = NULL, .oif = "wg0" };
	expect_zone(zones, 2, &t, &w, 1);
	w = (struct pkt_where){ .iif = NULL, .oif = "eth2" };
	expect_zone(zones, 2, &t, &w, -1);
}
END_TEST

START_TEST(test_zone_iif_unknown)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .iif = IFS("eth0") } },
		{ .id = 2, .match = { .proto = IPPROTO_TCP } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	/* neither interface known: the iif zone is skipped */
	expect_zone(zones, 2, &t, &nowhere, 1);
	expect_zone(zones, 1, &t, &nowhere, -1);
}
END_TEST

START_TEST(test_zone_proto)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .proto = IPPROTO_UDP } },
		{ .id = 2, .match = { .proto = IPPROTO_ICMPV6 } },
		{ .id = 3, .match = { .proto = 0 } },
	};
	struct tuple t;

	t = mktuple(AF_INET, IPPROTO_UDP, "192.0.2.1", 5353,
		    "198.51.100.7", 53);
	expect_zone(zones, 3, &t, &fwd_eth0, 0);
	t = mktuple(AF_INET6, IPPROTO_ICMPV6, "2001:db8::1", 7,
		    "2001:db8::2", 7);
	expect_zone(zones, 3, &t, &fwd_eth0, 1);
	/* proto 0 is any */
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	expect_zone(zones, 3, &t, &fwd_eth0, 2);
	expect_zone(zones, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_addr_v4)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .addr = PFXS(pfx("10.0.0.0/8")) } },
		{ .id = 2, .match = { .addr = PFXS(pfx("192.0.2.128/25")) } },
	};
	struct tuple t;

	/* src end */
	t = tcp4("10.1.2.3", 40000, "198.51.100.7", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	/* dst end */
	t = tcp4("198.51.100.7", 40000, "10.255.255.255", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	/* both ends */
	t = tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	/* unaligned prefix, either end */
	t = tcp4("192.0.2.128", 40000, "198.51.100.7", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t = tcp4("198.51.100.7", 40000, "192.0.2.255", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	/* neither end */
	t = tcp4("192.0.2.127", 40000, "11.0.0.1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_addr_v6)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .addr = PFXS(pfx("fd00::/8")) } },
		{ .id = 2, .match = { .addr = PFXS(pfx("2001:db8:0:8000::/49")) } },
	};
	struct tuple t;

	t = tcp6("fd12:3456::1", 40000, "2001:db8::1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	t = tcp6("2001:db8::1", 40000, "fdff::1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	t = tcp6("2001:db8:0:8000::1", 40000, "2001:db8::1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t = tcp6("2001:db8::1", 40000, "2001:db8:0:ffff::1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t = tcp6("2001:db8:0:7fff::1", 40000, "fe80::1", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_addr_family)
{
	struct zone_conf v4[] = {
		{ .id = 1, .match = { .addr = PFXS(pfx("10.0.0.0/8")) } },
	};
	struct zone_conf v4all[] = {
		{ .id = 2, .match = { .addr = PFXS(pfx("0.0.0.0/0")) } },
	};
	struct zone_conf v6all[] = {
		{ .id = 3, .match = { .addr = PFXS(pfx("::/0")) } },
	};
	struct tuple t;

	/* a00::/8 has the same first bytes as 10.0.0.0/8 */
	t = tcp6("a00::1", 40000, "a00::2", 80);
	expect_zone(v4, 1, &t, &fwd_eth0, -1);
	t = tcp6("::ffff:10.0.0.1", 40000, "::ffff:10.0.0.2", 80);
	expect_zone(v4, 1, &t, &fwd_eth0, -1);
	/* any IPv4 address, but only of IPv4 tuples */
	expect_zone(v4all, 1, &t, &fwd_eth0, -1);
	t = tcp4("10.0.0.1", 40000, "10.0.0.2", 80);
	expect_zone(v4all, 1, &t, &fwd_eth0, 0);
	expect_zone(v4, 1, &t, &fwd_eth0, 0);
	/* and the other way round */
	expect_zone(v6all, 1, &t, &fwd_eth0, -1);
	t = tcp6("2001:db8::1", 40000, "fd00::2", 80);
	expect_zone(v6all, 1, &t, &fwd_eth0, 0);
}
END_TEST

START_TEST(test_zone_port)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .port = PORTS({ 1000, 2000 }) } },
	};
	struct tuple t;

	/* either end, bounds included */
	t = tcp4("192.0.2.1", 1000, "198.51.100.7", 80);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 2000, "198.51.100.7", 80);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 1000);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 2000);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 1500, "198.51.100.7", 1500);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	/* just outside, both ends */
	t = tcp4("192.0.2.1", 999, "198.51.100.7", 2001);
	expect_zone(zones, 1, &t, &fwd_eth0, -1);
	t = tcp4("192.0.2.1", 2001, "198.51.100.7", 999);
	expect_zone(zones, 1, &t, &fwd_eth0, -1);
	/* portless protocols have both ports 0 */
	t = mktuple(AF_INET, IPPROTO_GRE, "192.0.2.1", 0, "198.51.100.7", 0);
	expect_zone(zones, 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_port_extremes)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = { .port = PORTS({ 65535, 65535 }) } },
		{ .id = 2, .match = { .port = PORTS({ 1, 1 }) } },
	};
	struct tuple t;

	t = tcp4("192.0.2.1", 65535, "198.51.100.7", 80);
	expect_zone(zones, 2, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 65534, "198.51.100.7", 1);
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t = tcp4("192.0.2.1", 65534, "198.51.100.7", 2);
	expect_zone(zones, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_list_or)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = {
			.addr = PFXS(pfx("10.0.0.0/8"), pfx("fd00::/8"),
				     pfx("192.0.2.7")),
			.port = PORTS({ 22, 22 }, { 80, 80 }, { 8000, 8999 }),
		} },
	};
	struct tuple t;

	t = tcp4("10.0.0.1", 40000, "198.51.100.7", 22);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("198.51.100.7", 40000, "192.0.2.7", 80);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp4("198.51.100.7", 8999, "192.0.2.7", 40000);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	t = tcp6("2001:db8::1", 8000, "fd00::1", 443);
	expect_zone(zones, 1, &t, &fwd_eth0, 0);
	/* an address in the list, no port */
	t = tcp4("198.51.100.7", 40000, "192.0.2.7", 81);
	expect_zone(zones, 1, &t, &fwd_eth0, -1);
	/* a port in the list, no address */
	t = tcp4("198.51.100.7", 40000, "192.0.2.8", 80);
	expect_zone(zones, 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_zone_keys_and)
{
	struct zone_conf zones[] = {
		{ .id = 1, .match = {
			.iif = IFS("eth0"),
			.proto = IPPROTO_TCP,
			.addr = PFXS(pfx("10.0.0.0/8")),
			.port = PORTS({ 443, 443 }),
		} },
	};
	struct pkt_where w = { .iif = "eth0", .oif = "eth1" };
	struct pkt_where other = { .iif = "eth1", .oif = "eth0" };
	struct tuple t = tcp4("10.0.0.1", 40000, "198.51.100.7", 443);
	struct tuple u;

	expect_zone(zones, 1, &t, &w, 0);
	/* each key failing on its own */
	expect_zone(zones, 1, &t, &other, -1);
	u = t;
	u.proto = IPPROTO_UDP;
	expect_zone(zones, 1, &u, &w, -1);
	u = tcp4("11.0.0.1", 40000, "198.51.100.7", 443);
	expect_zone(zones, 1, &u, &w, -1);
	u = tcp4("10.0.0.1", 40000, "198.51.100.7", 444);
	expect_zone(zones, 1, &u, &w, -1);
}
END_TEST

START_TEST(test_zone_ignores_t_zone)
{
	struct zone_conf zones[] = {
		{ .id = 7, .match = { .proto = IPPROTO_UDP } },
		{ .id = 8, .match = { .proto = IPPROTO_TCP } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	t.zone = 0;
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t.zone = 7;
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t.zone = 65535;
	expect_zone(zones, 2, &t, &fwd_eth0, 1);
	t.proto = IPPROTO_ICMP;
	t.zone = 8;
	expect_zone(zones, 2, &t, &fwd_eth0, -1);
}
END_TEST

/* --- zone_classify: both directions of a flow -------------------------- */

#define PROP_SEED	20240601u
#define PROP_ITERS	5000
#define PROP_ZONES	5
#define PROP_MAX	3	/* elements per list */

static const char *const prop_ifs[] = { "eth0", "eth1", "eth2", "wg0", "br0" };

static const char *const prop_pfx[] = {
	"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/25", "192.0.2.200",
	"0.0.0.0/0", "fd00::/8", "2001:db8::/33", "2001:db8:8000::/33",
	"2001:db8::1", "::/0",
};

static const char *const prop_addr4[] = {
	"10.0.0.1", "10.1.2.3", "10.2.0.1", "192.0.2.1", "192.0.2.127",
	"192.0.2.128", "192.0.2.200", "198.51.100.7",
};

static const char *const prop_addr6[] = {
	"fd00::1", "fdff::2", "2001:db8::1", "2001:db8::2",
	"2001:db8:8000::1", "2001:db8:7fff::1", "fe80::1", "::1",
};

static const uint16_t prop_port[] = {
	0, 1, 22, 53, 79, 80, 81, 443, 1023, 1024, 8080, 40000, 65535,
};

static const uint8_t prop_proto[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6,
};

struct prop_zone {
	char ifs[ARRAY_SIZE(prop_ifs)][IFNAMSIZ];
	struct prefix pfx[PROP_MAX];
	struct port_range port[PROP_MAX];
};

static unsigned int pick(unsigned int n)
{
	return (unsigned int)rand() % n;
}

static uint16_t prop_random_port(void)
{
	uint16_t p = prop_port[pick(ARRAY_SIZE(prop_port))];

	return p ? p : 1;
}

/*
 * A random zone whose interface list is empty, holds both a and b, or
 * holds neither (so that either both directions meet it or neither does).
 */
static void prop_make_zone(struct zone_conf *z, struct prop_zone *st,
			   uint16_t id, unsigned int a, unsigned int b)
{
	struct zone_match *m = &z->match;
	unsigned int i, kind, n;

	memset(z, 0, sizeof(*z));
	memset(st, 0, sizeof(*st));
	z->id = id;
	m->iif.v = st->ifs;
	m->addr.v = st->pfx;
	m->port.v = st->port;

	kind = pick(3);
	for (i = 0; kind && i < ARRAY_SIZE(prop_ifs); i++) {
		bool in;

		if (i == a || i == b)
			in = kind == 1;
		else
			in = pick(2);
		if (in)
			strcpy(st->ifs[m->iif.n++], prop_ifs[i]);
	}

	if (pick(3) == 0)
		m->proto = prop_proto[pick(ARRAY_SIZE(prop_proto))];

	n = pick(PROP_MAX + 1);
	for (i = 0; i < n; i++)
		st->pfx[m->addr.n++] = pfx(prop_pfx[pick(ARRAY_SIZE(prop_pfx))]);

	n = pick(PROP_MAX + 1);
	for (i = 0; i < n; i++) {
		uint16_t lo = prop_random_port(), hi = prop_random_port();

		if (lo > hi) {
			uint16_t tmp = lo;

			lo = hi;
			hi = tmp;
		}
		if (pick(2))
			hi = lo;
		st->port[m->port.n++] = (struct port_range){ lo, hi };
	}
}

static struct tuple prop_make_tuple(void)
{
	int family = pick(2) ? AF_INET : AF_INET6;
	const char *const *pool = family == AF_INET ? prop_addr4 : prop_addr6;
	size_t n = family == AF_INET ? ARRAY_SIZE(prop_addr4) :
				       ARRAY_SIZE(prop_addr6);
	const char *src = pool[pick((unsigned int)n)];
	const char *dst = pool[pick((unsigned int)n)];
	struct tuple t;

	t = mktuple(family, prop_proto[pick(ARRAY_SIZE(prop_proto))],
		    src, prop_port[pick(ARRAY_SIZE(prop_port))],
		    dst, prop_port[pick(ARRAY_SIZE(prop_port))]);
	t.zone = (uint16_t)pick(3);
	return t;
}

/*
 * Where a packet is seen whose replies arrive on ifname: received there
 * (oif anything), or locally generated and leaving by it.
 */
static struct pkt_where prop_make_where(const char *ifname)
{
	static const char *const oifs[] = { NULL, "eth0", "eth1", "lo" };

	if (pick(4) == 0)
		return (struct pkt_where){ .iif = NULL, .oif = ifname };
	return (struct pkt_where){ .iif = ifname,
				   .oif = oifs[pick(ARRAY_SIZE(oifs))] };
}

START_TEST(test_zone_symmetric_random)
{
	struct zone_conf zones[PROP_ZONES];
	struct prop_zone st[PROP_ZONES];
	unsigned int hits[PROP_ZONES + 1] = { 0 };
	unsigned int iter, i;

	srand(PROP_SEED);
	for (iter = 0; iter < PROP_ITERS; iter++) {
		unsigned int a = pick(ARRAY_SIZE(prop_ifs));
		unsigned int b = pick(ARRAY_SIZE(prop_ifs));
		struct tuple t = prop_make_tuple(), r;
		struct pkt_where wa = prop_make_where(prop_ifs[a]);
		struct pkt_where wb = prop_make_where(prop_ifs[b]);
		const struct zone_conf *za, *zb;

		for (i = 0; i < PROP_ZONES; i++)
			prop_make_zone(&zones[i], &st[i], (uint16_t)(i + 1),
				       a, b);
		tuple_reverse(&t, &r);
		/* t->zone is ignored, so it need not agree either */
		r.zone = (uint16_t)pick(3);
		za = zone_classify(zones, PROP_ZONES, &t, &wa);
		zb = zone_classify(zones, PROP_ZONES, &r, &wb);
		ck_assert_msg(za == zb,
			      "iteration %u: original in zones[%ld] via %s, reply in zones[%ld] via %s",
			      iter, idx(za, zones, PROP_ZONES, sizeof(*zones)),
			      prop_ifs[a],
			      idx(zb, zones, PROP_ZONES, sizeof(*zones)),
			      prop_ifs[b]);
		hits[za ? (size_t)(za - zones) : PROP_ZONES]++;
	}
	/* the check is only worth something if every outcome occurred */
	for (i = 0; i <= PROP_ZONES; i++)
		ck_assert_msg(hits[i] >= PROP_ITERS / 100,
			      "outcome %u seen only %u times", i, hits[i]);
}
END_TEST

/* --- policy_eval ------------------------------------------------------- */

START_TEST(test_rule_none)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_PROTO, .match = { .proto = IPPROTO_UDP } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	ck_assert_ptr_null(policy_eval(NULL, 0, &t, &fwd_eth0));
	expect_rule(rules, 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_empty_matches_all)
{
	struct rule_conf rules[] = { { .verdict = VERDICT_DROP } };
	struct tuple t4 = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct tuple t6 = mktuple(AF_INET6, IPPROTO_ICMPV6, "2001:db8::1", 9,
				  "2001:db8::2", 9);

	t6.zone = 3;
	expect_rule(rules, 1, &t4, &fwd_eth0, 0);
	expect_rule(rules, 1, &t6, &fwd_eth0, 0);
	expect_rule(rules, 1, &t4, &nowhere, 0);
}
END_TEST

START_TEST(test_rule_first_match_wins)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_PROTO, .match = { .proto = IPPROTO_UDP },
		  .verdict = VERDICT_DROP },
		{ .match = { .dport = PORTS({ 80, 80 }) },
		  .verdict = VERDICT_ACCEPT },
		{ .match = { .dport = PORTS({ 1, 1024 }) },
		  .verdict = VERDICT_DROP },
		{ .verdict = VERDICT_ACCEPT },
	};
	size_t n = ARRAY_SIZE(rules);
	struct tuple t;

	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	expect_rule(rules, n, &t, &fwd_eth0, 1);
	t.proto = IPPROTO_UDP;
	expect_rule(rules, n, &t, &fwd_eth0, 0);
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 22);
	expect_rule(rules, n, &t, &fwd_eth0, 2);
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 8080);
	expect_rule(rules, n, &t, &fwd_eth0, 3);
	expect_rule(rules, n - 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_zone)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_ZONE, .match = { .zone = 0 } },
		{ .has = RULE_HAS_ZONE, .match = { .zone = 5 } },
		/* zone without RULE_HAS_ZONE is not a key */
		{ .match = { .zone = 9 } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	t.zone = 0;
	expect_rule(rules, 3, &t, &fwd_eth0, 0);
	t.zone = 5;
	expect_rule(rules, 3, &t, &fwd_eth0, 1);
	expect_rule(rules, 1, &t, &fwd_eth0, -1);
	t.zone = 1;
	expect_rule(rules, 3, &t, &fwd_eth0, 2);
	expect_rule(rules, 2, &t, &fwd_eth0, -1);
	t.zone = 65535;
	expect_rule(rules, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_family)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_FAMILY, .match = { .family = AF_INET6 } },
		{ .has = RULE_HAS_FAMILY, .match = { .family = AF_INET } },
	};
	struct tuple t4 = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct tuple t6 = tcp6("2001:db8::1", 40000, "2001:db8::2", 80);

	expect_rule(rules, 2, &t6, &fwd_eth0, 0);
	expect_rule(rules, 2, &t4, &fwd_eth0, 1);
	expect_rule(rules, 1, &t4, &fwd_eth0, -1);
	expect_rule(&rules[1], 1, &t6, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_proto)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_PROTO, .match = { .proto = IPPROTO_UDP } },
		{ .has = RULE_HAS_PROTO, .match = { .proto = IPPROTO_TCP } },
		/* proto without RULE_HAS_PROTO is not a key */
		{ .match = { .proto = IPPROTO_TCP } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	expect_rule(rules, 3, &t, &fwd_eth0, 1);
	t.proto = IPPROTO_UDP;
	expect_rule(rules, 3, &t, &fwd_eth0, 0);
	t.proto = IPPROTO_ICMP;
	expect_rule(rules, 3, &t, &fwd_eth0, 2);
	expect_rule(rules, 2, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_mark_not_a_key)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_MARK, .mark = 0x10 },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);

	expect_rule(rules, 1, &t, &fwd_eth0, 0);
}
END_TEST

START_TEST(test_rule_src_dst)
{
	struct rule_conf src[] = {
		{ .match = { .src = PFXS(pfx("10.0.0.0/8"),
					 pfx("2001:db8::/32")) } },
	};
	struct rule_conf dst[] = {
		{ .match = { .dst = PFXS(pfx("10.0.0.0/8"),
					 pfx("2001:db8::/32")) } },
	};
	struct rule_conf both[] = {
		{ .match = { .src = PFXS(pfx("192.0.2.0/24")),
			     .dst = PFXS(pfx("10.0.0.0/8")) } },
	};
	struct tuple t, r;

	/* the sender's address is src, and only it */
	t = tcp4("10.0.0.1", 40000, "198.51.100.7", 80);
	r = reversed(&t);
	expect_rule(src, 1, &t, &fwd_eth0, 0);
	expect_rule(src, 1, &r, &fwd_eth0, -1);
	expect_rule(dst, 1, &t, &fwd_eth0, -1);
	expect_rule(dst, 1, &r, &fwd_eth0, 0);
	t = tcp6("2001:db8::1", 40000, "fd00::1", 80);
	r = reversed(&t);
	expect_rule(src, 1, &t, &fwd_eth0, 0);
	expect_rule(src, 1, &r, &fwd_eth0, -1);
	expect_rule(dst, 1, &t, &fwd_eth0, -1);
	expect_rule(dst, 1, &r, &fwd_eth0, 0);
	/* both keys must match */
	t = tcp4("192.0.2.1", 40000, "10.0.0.1", 80);
	r = reversed(&t);
	expect_rule(both, 1, &t, &fwd_eth0, 0);
	expect_rule(both, 1, &r, &fwd_eth0, -1);
	t = tcp4("192.0.2.1", 40000, "11.0.0.1", 80);
	expect_rule(both, 1, &t, &fwd_eth0, -1);
	t = tcp4("192.0.3.1", 40000, "10.0.0.1", 80);
	expect_rule(both, 1, &t, &fwd_eth0, -1);
	/* family-aware */
	t = tcp6("a00::1", 40000, "a00::2", 80);
	expect_rule(src, 1, &t, &fwd_eth0, -1);
	expect_rule(dst, 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_ports)
{
	struct rule_conf sport[] = {
		{ .match = { .sport = PORTS({ 1000, 2000 }, { 53, 53 }) } },
	};
	struct rule_conf dport[] = {
		{ .match = { .dport = PORTS({ 1000, 2000 }, { 53, 53 }) } },
	};
	struct rule_conf both[] = {
		{ .match = { .sport = PORTS({ 1024, 65535 }),
			     .dport = PORTS({ 443, 443 }) } },
	};
	static const struct {
		unsigned int port;
		bool in;
	} cases[] = {
		{ 999, false }, { 1000, true }, { 1500, true }, { 2000, true },
		{ 2001, false }, { 52, false }, { 53, true }, { 54, false },
	};
	struct tuple t, r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		t = tcp4("192.0.2.1", cases[i].port, "198.51.100.7", 40000);
		r = reversed(&t);
		expect_rule(sport, 1, &t, &fwd_eth0, cases[i].in ? 0 : -1);
		expect_rule(dport, 1, &r, &fwd_eth0, cases[i].in ? 0 : -1);
		/* the other end's port does not count */
		expect_rule(sport, 1, &r, &fwd_eth0, -1);
		expect_rule(dport, 1, &t, &fwd_eth0, -1);
	}
	t = tcp4("192.0.2.1", 40000, "198.51.100.7", 443);
	expect_rule(both, 1, &t, &fwd_eth0, 0);
	t.sport = 1024;
	expect_rule(both, 1, &t, &fwd_eth0, 0);
	t.sport = 1023;
	expect_rule(both, 1, &t, &fwd_eth0, -1);
	t.sport = 65535;
	t.dport = 444;
	expect_rule(both, 1, &t, &fwd_eth0, -1);
}
END_TEST

START_TEST(test_rule_iif)
{
	struct rule_conf rules[] = {
		{ .match = { .iif = IFS("eth0", "wg0") } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct pkt_where w;

	w = (struct pkt_where){ .iif = "eth0", .oif = NULL };
	expect_rule(rules, 1, &t, &w, 0);
	w = (struct pkt_where){ .iif = "wg0", .oif = "eth1" };
	expect_rule(rules, 1, &t, &w, 0);
	w = (struct pkt_where){ .iif = "eth1", .oif = "eth0" };
	expect_rule(rules, 1, &t, &w, -1);
	w = (struct pkt_where){ .iif = "eth", .oif = NULL };
	expect_rule(rules, 1, &t, &w, -1);
	/* locally generated: no iif, and no stand-in for it here */
	w = (struct pkt_where){ .iif = NULL, .oif = "eth0" };
	expect_rule(rules, 1, &t, &w, -1);
	expect_rule(rules, 1, &t, &nowhere, -1);
}
END_TEST

START_TEST(test_rule_oif)
{
	struct rule_conf rules[] = {
		{ .match = { .oif = IFS("eth1") } },
		{ .match = { .iif = IFS("eth0"), .oif = IFS("wg0", "eth2") } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct pkt_where w;

	w = (struct pkt_where){ .iif = "eth0", .oif = "eth1" };
	expect_rule(rules, 2, &t, &w, 0);
	w = (struct pkt_where){ .iif = NULL, .oif = "eth1" };
	expect_rule(rules, 2, &t, &w, 0);
	/* the oif, not the iif */
	w = (struct pkt_where){ .iif = "eth1", .oif = "eth0" };
	expect_rule(rules, 2, &t, &w, -1);
	/* oif not known yet */
	w = (struct pkt_where){ .iif = "eth0", .oif = NULL };
	expect_rule(rules, 2, &t, &w, -1);
	/* iif and oif both */
	w = (struct pkt_where){ .iif = "eth0", .oif = "eth2" };
	expect_rule(rules, 2, &t, &w, 1);
	w = (struct pkt_where){ .iif = "wg0", .oif = "eth2" };
	expect_rule(rules, 2, &t, &w, -1);
	w = (struct pkt_where){ .iif = NULL, .oif = "wg0" };
	expect_rule(rules, 2, &t, &w, -1);
}
END_TEST

START_TEST(test_rule_keys_and)
{
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_ZONE | RULE_HAS_FAMILY | RULE_HAS_PROTO,
		  .match = {
			.zone = 2, .family = AF_INET, .proto = IPPROTO_TCP,
			.src = PFXS(pfx("192.0.2.0/24")),
			.dst = PFXS(pfx("198.51.100.0/24")),
			.sport = PORTS({ 1024, 65535 }),
			.dport = PORTS({ 80, 80 }),
			.iif = IFS("eth0"), .oif = IFS("eth1"),
		} },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80), u;
	struct pkt_where w;

	t.zone = 2;
	expect_rule(rules, 1, &t, &fwd_eth0, 0);
	/* each key failing on its own */
	u = t;
	u.zone = 0;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = tcp6("2001:db8::1", 40000, "2001:db8::2", 80);
	u.zone = 2;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = t;
	u.proto = IPPROTO_UDP;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = tcp4("192.0.3.1", 40000, "198.51.100.7", 80);
	u.zone = 2;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = tcp4("192.0.2.1", 40000, "198.51.101.7", 80);
	u.zone = 2;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = t;
	u.sport = 1023;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	u = t;
	u.dport = 81;
	expect_rule(rules, 1, &u, &fwd_eth0, -1);
	w = (struct pkt_where){ .iif = "eth2", .oif = "eth1" };
	expect_rule(rules, 1, &t, &w, -1);
	w = (struct pkt_where){ .iif = "eth0", .oif = "eth2" };
	expect_rule(rules, 1, &t, &w, -1);
}
END_TEST

/* A flow's owner as the daemon's callback gives it; counts the calls
 * and remembers what the last one asked for. */
struct owner_stub {
	const struct owner_view *view;	/* NULL: no owner */
	int calls;
	unsigned int need;
};

static const struct owner_view *stub_owner(void *ctx, unsigned int need)
{
	struct owner_stub *o = ctx;

	o->calls++;
	o->need = need;
	return o->view;
}

START_TEST(test_rule_owner)
{
	uint32_t uids[] = { 34, 1000 }, gids[] = { 100 };
	char comms[][OWNER_COMM_MAX] = { "curl" };
	char *cgroups[] = { "/system.slice/backup.service", "/" };
	struct rule_conf rules[] = {
		{ .has = RULE_HAS_PROTO, .match = { .proto = IPPROTO_UDP,
		  .owner = { .need = OWNER_HAS_UID, .n_uid = 2, .uid = uids } } },
		{ .match = { .owner = { .need = OWNER_HAS_UID | OWNER_HAS_COMM,
		  .n_uid = 1, .uid = &uids[1], .n_comm = 1, .comm = comms } } },
		{ .match = { .owner = { .need = OWNER_HAS_GID | OWNER_HAS_CGROUP,
		  .n_gid = 1, .gid = gids, .n_cgroup = 1, .cgroup = cgroups } } },
		{ .match = { .owner = { .need = OWNER_HAS_CGROUP,
		  .n_cgroup = 1, .cgroup = &cgroups[1] } } },
	};
	struct tuple t = tcp4("192.0.2.1", 40000, "198.51.100.7", 80);
	struct owner_view v = { .has = OWNER_HAS_UID | OWNER_HAS_GID |
				OWNER_HAS_COMM | OWNER_HAS_CGROUP,
				.uid = 1000, .gid = 100, .comm = "curl",
				.cgroup = "/system.slice/backup.service/sub" };
	struct owner_stub o = { .view = &v };
	struct pkt_where w = { .iif = "eth0", .owner = stub_owner,
			       .owner_ctx = &o };

	/* rule 0 wants UDP: its owner is never asked for */
	expect_rule(rules, 1, &t, &w, -1);
	ck_assert_int_eq(o.calls, 0);
	expect_rule(rules, 4, &t, &w, 1);
	ck_assert_uint_eq(o.need, OWNER_HAS_UID | OWNER_HAS_COMM);
	v.comm = "curl2";
	/* a cgroup below the rule's matches; gid too */
	expect_rule(rules, 4, &t, &w, 2);
	v.cgroup = "/system.slice/backup.serviceX";
	expect_rule(rules, 3, &t, &w, -1);
	/* "/" holds every cgroup */
	expect_rule(rules, 4, &t, &w, 3);
	t.proto = IPPROTO_UDP;
	v.uid = 34;
	expect_rule(rules, 4, &t, &w, 0);
	/* what the owner is not known by never matches */
	v.has = OWNER_HAS_UID;
	t.proto = IPPROTO_TCP;
	v.uid = 1000;
	v.comm = "curl";
	expect_rule(rules, 4, &t, &w, -1);
	/* no owner, or no callback: no owner rule holds */
	o.view = NULL;
	expect_rule(rules, 4, &t, &w, -1);
	expect_rule(rules, 4, &t, &fwd_eth0, -1);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("zone_classify");
	tcase_add_test(tc, test_zone_empty_list);
	tcase_add_test(tc, test_zone_no_keys_matches_all);
	tcase_add_test(tc, test_zone_first_match_wins);
	tcase_add_test(tc, test_zone_iif);
	tcase_add_test(tc, test_zone_iif_local);
	tcase_add_test(tc, test_zone_iif_unknown);
	tcase_add_test(tc, test_zone_proto);
	tcase_add_test(tc, test_zone_addr_v4);
	tcase_add_test(tc, test_zone_addr_v6);
	tcase_add_test(tc, test_zone_addr_family);
	tcase_add_test(tc, test_zone_port);
	tcase_add_test(tc, test_zone_port_extremes);
	tcase_add_test(tc, test_zone_list_or);
	tcase_add_test(tc, test_zone_keys_and);
	tcase_add_test(tc, test_zone_ignores_t_zone);
	tcase_add_test(tc, test_zone_symmetric_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy_eval");
	tcase_add_test(tc, test_rule_none);
	tcase_add_test(tc, test_rule_empty_matches_all);
	tcase_add_test(tc, test_rule_first_match_wins);
	tcase_add_test(tc, test_rule_zone);
	tcase_add_test(tc, test_rule_family);
	tcase_add_test(tc, test_rule_proto);
	tcase_add_test(tc, test_rule_mark_not_a_key);
	tcase_add_test(tc, test_rule_src_dst);
	tcase_add_test(tc, test_rule_ports);
	tcase_add_test(tc, test_rule_iif);
	tcase_add_test(tc, test_rule_oif);
	tcase_add_test(tc, test_rule_keys_and);
	tcase_add_test(tc, test_rule_owner);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

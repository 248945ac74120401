// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/fib.c, on a router set up as `ip rule` and
 * `ip route` would leave it: the kernel's three default rules, a local
 * table, a main table with a connected /24 and a default route, and
 * extra tables reached by fwmark, by input interface and by source.
 * Checked: the route each query gets (table, next hop, type), the
 * lowest metric winning and a delete restoring the next, a replace,
 * suppress_prefixlength, goto and nop, rule and route types that drop,
 * throw, inverted rules, port and protocol selectors, IPv6, and every
 * case the mirror must hand to the kernel instead of guessing:
 * multipath, TOS, two routes of one metric, an unknown selector, a
 * device-bound socket, broadcast.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fib.h"

static void no_grace(void)
{
}

static struct prefix pfx(const char *s)
{
	struct prefix p;

	ck_assert_int_eq(prefix_parse(s, &p), 0);
	return p;
}

static union fc_addr addr(int family, const char *s)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, s, &a), 1);
	return a;
}

static struct fib_nexthop hop(uint32_t table, uint8_t type, int oif,
			      const char *gw, uint32_t metric)
{
	struct fib_nexthop nh = { .table = table, .family = AF_INET,
				  .type = type, .oif = oif, .metric = metric };

	if (gw) {
		nh.has_gateway = true;
		nh.gateway = addr(AF_INET, gw);
	}
	return nh;
}

static void route(struct fib *fib, const char *p, struct fib_nexthop nh)
{
	struct prefix x = pfx(p);

	nh.family = x.family;
	ck_assert_int_eq(fib_route_add(fib, &x, 0, &nh, false, true), 0);
}

static struct fib_rule rule(uint32_t prio, uint32_t table)
{
	struct fib_rule r = { .priority = prio, .family = AF_INET,
			      .action = FR_ACT_TO_TBL, .table = table,
			      .suppress_prefixlen = -1 };
	return r;
}

/* The router: lan0 (2) 10.0.1.1/24, wan0 (3) 10.0.2.1/24, wan1 (4). */
static struct fib *router(struct fib_rule *extra, size_t n_extra)
{
	struct fib_params p = { .synchronize = no_grace };
	struct fib *fib = fib_new(&p);
	struct fib_rule rules[16];
	size_t n = 0, i;

	ck_assert_ptr_nonnull(fib);
	rules[n++] = rule(0, RT_TABLE_LOCAL);
	for (i = 0; i < n_extra; i++)
		rules[n++] = extra[i];
	rules[n++] = rule(32766, RT_TABLE_MAIN);
	rules[n++] = rule(32767, RT_TABLE_DEFAULT);
	ck_assert_int_eq(fib_set_rules(fib, rules, n), 0);

	route(fib, "10.0.1.1/32", hop(RT_TABLE_LOCAL, RTN_LOCAL, 2, NULL, 0));
	route(fib, "10.0.2.1/32", hop(RT_TABLE_LOCAL, RTN_LOCAL, 3, NULL, 0));
	route(fib, "10.0.1.0/24", hop(RT_TABLE_MAIN, RTN_UNICAST, 2, NULL, 0));
	route(fib, "10.0.2.0/24", hop(RT_TABLE_MAIN, RTN_UNICAST, 3, NULL, 0));
	route(fib, "0.0.0.0/0", hop(RT_TABLE_MAIN, RTN_UNICAST, 3,
				    "10.0.2.254", 0));
	route(fib, "0.0.0.0/0", hop(100, RTN_UNICAST, 4, "10.9.9.1", 0));
	return fib;
}

static enum fib_answer ask(const struct fib *fib, const char *src,
			   const char *dst, uint32_t mark, const char *iif,
			   struct fib_result *res)
{
	struct fib_query q = { .family = AF_INET, .mark = mark, .iif = iif,
			       .proto = IPPROTO_TCP, .sport = 40000,
			       .dport = 443 };

	q.src = addr(AF_INET, src);
	q.dst = addr(AF_INET, dst);
	return fib_resolve(fib, &q, res);
}

static void expect(const struct fib *fib, const char *dst, uint32_t mark,
		   uint32_t table, int oif, const char *gw)
{
	struct fib_result res;
	union fc_addr g;

	ck_assert_int_eq(ask(fib, "10.0.1.2", dst, mark, "lan0", &res), FIB_OK);
	ck_assert_uint_eq(res.table, table);
	ck_assert_int_eq(res.nh->oif, oif);
	ck_assert_int_eq(res.nh->has_gateway, gw != NULL);
	if (gw) {
		g = addr(AF_INET, gw);
		ck_assert(memcmp(&res.nh->gateway, &g, 4) == 0);
	}
}

START_TEST(test_main_and_local)
{
	struct fib *fib = router(NULL, 0);
	struct fib_result res;

	expect(fib, "10.0.1.7", 0, RT_TABLE_MAIN, 2, NULL);
	expect(fib, "8.8.8.8", 0, RT_TABLE_MAIN, 3, "10.0.2.254");
	ck_assert_int_eq(ask(fib, "10.0.1.2", "10.0.1.1", 0, "lan0", &res),
			 FIB_OK);
	ck_assert_uint_eq(res.type, RTN_LOCAL);
	ck_assert_uint_eq(res.table, RT_TABLE_LOCAL);
	ck_assert_uint_eq(res.prefix_len, 32);
	fib_free(fib);
}
END_TEST

START_TEST(test_fwmark_iif_src_rules)
{
	struct fib_rule extra[3] = { rule(100, 100), rule(200, 100),
				     rule(300, 100) };
	struct fib *fib;

	extra[0].fwmark = 0x10;
	extra[0].fwmask = 0xff;
	strcpy(extra[1].iif, "wan0");
	extra[2].src = pfx("10.0.1.128/25");
	fib = router(extra, 3);
	/* only the masked bits count */
	expect(fib, "8.8.8.8", 0x00110010, 100, 4, "10.9.9.1");
	expect(fib, "8.8.8.8", 0x00110011, RT_TABLE_MAIN, 3, "10.0.2.254");
	fib_free(fib);

	{
		struct fib_result res;

		fib = router(extra, 3);
		ck_assert_int_eq(ask(fib, "10.0.2.9", "8.8.8.8", 0, "wan0",
				     &res), FIB_OK);
		ck_assert_uint_eq(res.table, 100);
		ck_assert_int_eq(ask(fib, "10.0.1.200", "8.8.8.8", 0, "lan0",
				     &res), FIB_OK);
		ck_assert_uint_eq(res.table, 100);
		ck_assert_int_eq(ask(fib, "10.0.1.100", "8.8.8.8", 0, "lan0",
				     &res), FIB_OK);
		ck_assert_uint_eq(res.table, RT_TABLE_MAIN);
		/* locally generated packets match iif "lo" */
		ck_assert_int_eq(ask(fib, "10.0.2.1", "8.8.8.8", 0, NULL, &res),
				 FIB_OK);
		ck_assert_uint_eq(res.table, RT_TABLE_MAIN);
		fib_free(fib);
	}
}
END_TEST

START_TEST(test_metric_replace_delete)
{
	struct fib *fib = router(NULL, 0);
	struct fib_nexthop a = hop(RT_TABLE_MAIN, RTN_UNICAST, 4, "10.0.2.9", 50);
	struct prefix p = pfx("192.0.2.0/24");
	uint32_t gen = fib_generation(fib);

	route(fib, "192.0.2.0/24", hop(RT_TABLE_MAIN, RTN_UNICAST, 3,
				       "10.0.2.8", 100));
	ck_assert_uint_gt(fib_generation(fib), gen);
	expect(fib, "192.0.2.1", 0, RT_TABLE_MAIN, 3, "10.0.2.8");
	route(fib, "192.0.2.0/24", a);
	expect(fib, "192.0.2.1", 0, RT_TABLE_MAIN, 4, "10.0.2.9");
	/* replace the metric-50 route */
	a.gateway = addr(AF_INET, "10.0.2.10");
	route(fib, "192.0.2.0/24", a);
	expect(fib, "192.0.2.1", 0, RT_TABLE_MAIN, 4, "10.0.2.10");
	ck_assert_int_eq(fib_route_del(fib, &p, 0, &a), 0);
	expect(fib, "192.0.2.1", 0, RT_TABLE_MAIN, 3, "10.0.2.8");
	a = hop(RT_TABLE_MAIN, RTN_UNICAST, 0, NULL, 100);
	ck_assert_int_eq(fib_route_del(fib, &p, 0, &a), 0);
	expect(fib, "192.0.2.1", 0, RT_TABLE_MAIN, 3, "10.0.2.254");
	ck_assert_int_eq(fib_route_del(fib, &p, 0, &a), -ENOENT);
	fib_free(fib);
}
END_TEST

START_TEST(test_suppress_goto_nop)
{
	struct fib_rule extra[3] = { rule(10, RT_TABLE_MAIN), rule(20, 0),
				     rule(30, 100) };
	struct fib *fib;

	/* main without its default route, then table 100 (wg-quick) */
	extra[0].suppress_prefixlen = 0;
	extra[1].action = FR_ACT_NOP;
	fib = router(extra, 3);
	expect(fib, "10.0.1.9", 0, RT_TABLE_MAIN, 2, NULL);
	expect(fib, "8.8.8.8", 0, 100, 4, "10.9.9.1");
	fib_free(fib);

	/* a goto over the table-100 rule, and one whose target is gone */
	extra[0] = rule(10, 0);
	extra[0].action = FR_ACT_GOTO;
	extra[0].goto_priority = 32766;
	extra[1] = rule(20, 0);
	extra[1].action = FR_ACT_GOTO;
	extra[1].goto_priority = 12345;
	fib = router(extra, 3);
	expect(fib, "8.8.8.8", 0, RT_TABLE_MAIN, 3, "10.0.2.254");
	fib_free(fib);
}
END_TEST

START_TEST(test_drops_and_throw)
{
	struct fib_rule extra[1] = { rule(50, 0) };
	struct fib_result res;
	struct fib *fib;

	extra[0].action = FR_ACT_PROHIBIT;
	extra[0].dst = pfx("203.0.113.0/24");
	fib = router(extra, 1);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "203.0.113.5", 0, "lan0", &res),
			 FIB_NO_ROUTE);
	ck_assert_uint_eq(res.type, RTN_PROHIBIT);
	route(fib, "198.51.100.0/24", hop(RT_TABLE_MAIN, RTN_UNREACHABLE, 0,
					  NULL, 0));
	ck_assert_int_eq(ask(fib, "10.0.1.2", "198.51.100.1", 0, "lan0", &res),
			 FIB_NO_ROUTE);
	ck_assert_uint_eq(res.type, RTN_UNREACHABLE);
	/* throw: on to the next rule, here the (empty) default table */
	route(fib, "192.0.2.0/24", hop(RT_TABLE_MAIN, RTN_THROW, 0, NULL, 0));
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_NO_ROUTE);
	fib_free(fib);
}
END_TEST

START_TEST(test_invert_and_ports)
{
	struct fib_rule extra[2] = { rule(10, 100), rule(20, 100) };
	struct fib_result res;
	struct fib *fib;

	/* everything not from the LAN: table 100 */
	extra[0].src = pfx("10.0.1.0/24");
	extra[0].invert = true;
	extra[1].ip_proto = IPPROTO_TCP;
	extra[1].dport = (struct port_range){ 443, 443 };
	fib = router(extra, 2);
	ck_assert_int_eq(ask(fib, "10.0.2.9", "8.8.8.8", 0, "wan0", &res),
			 FIB_OK);
	ck_assert_uint_eq(res.table, 100);
	/* from the LAN, TCP to 443: the second rule */
	ck_assert_int_eq(ask(fib, "10.0.1.2", "8.8.8.8", 0, "lan0", &res),
			 FIB_OK);
	ck_assert_uint_eq(res.table, 100);
	fib_free(fib);
}
END_TEST

START_TEST(test_ask_the_kernel)
{
	struct fib_rule extra[1] = { rule(10, 100) };
	struct fib_nexthop nh = hop(RT_TABLE_MAIN, RTN_UNICAST, 3, "10.0.2.7", 0);
	struct fib_query q = { .family = AF_INET, .oif = "wan0" };
	struct prefix p = pfx("192.0.2.0/24");
	struct fib_result res;
	struct fib *fib = router(NULL, 0);

	/* multipath (or a nexthop object): its hash is not modelled */
	ck_assert_int_eq(fib_route_add(fib, &p, 0, &nh, true, false), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(fib_route_del(fib, &p, 0, &nh), 0);
	/* a TOS route on the prefix */
	ck_assert_int_eq(fib_route_add(fib, &p, 0x10, &nh, false, false), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(fib_route_del(fib, &p, 0x10, &nh), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_OK);
	/* two routes under one key (`ip route append`): which the kernel
	 * tries first is its insertion order, which a dump does not tell */
	ck_assert_int_eq(fib_route_add(fib, &p, 0, &nh, false, false), 0);
	nh.oif = 4;
	ck_assert_int_eq(fib_route_add(fib, &p, 0, &nh, false, false), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	/* a replace leaves one */
	ck_assert_int_eq(fib_route_add(fib, &p, 0, &nh, false, true), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "192.0.2.1", 0, "lan0", &res),
			 FIB_OK);
	ck_assert_int_eq(res.nh->oif, 4);
	fib_free(fib);

	/* an unknown selector (uid range, tun id, l3mdev, TOS) */
	extra[0].unknown = true;
	fib = router(extra, 1);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "8.8.8.8", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	fib_free(fib);

	/* a socket bound to a device */
	fib = router(NULL, 0);
	q.src = addr(AF_INET, "10.0.2.1");
	q.dst = addr(AF_INET, "8.8.8.8");
	ck_assert_int_eq(fib_resolve(fib, &q, &res), FIB_ASK_KERNEL);
	/* broadcast */
	route(fib, "10.0.1.255/32", hop(RT_TABLE_LOCAL, RTN_BROADCAST, 2,
					NULL, 0));
	ck_assert_int_eq(ask(fib, "10.0.1.2", "10.0.1.255", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	/* martians, and a forwarded packet from our own address: the
	 * kernel's input route refuses them before any rule */
	ck_assert_int_eq(ask(fib, "10.0.1.1", "8.8.8.8", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(ask(fib, "10.0.1.255", "8.8.8.8", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "127.0.0.1", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(ask(fib, "0.0.0.0", "8.8.8.8", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "224.0.0.5", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	/* our own address as the source of a local packet is fine */
	ck_assert_int_eq(ask(fib, "10.0.1.1", "8.8.8.8", 0, NULL, &res),
			 FIB_OK);
	fib_free(fib);
}
END_TEST

START_TEST(test_ipv6)
{
	struct fib_params p = { .synchronize = no_grace };
	struct fib *fib = fib_new(&p);
	struct fib_rule rules[2] = { rule(0, RT_TABLE_LOCAL),
				     rule(32766, RT_TABLE_MAIN) };
	struct fib_nexthop nh = { .table = RT_TABLE_MAIN, .type = RTN_UNICAST,
				  .oif = 3, .metric = 1024 };
	struct prefix def = pfx("::/0"), lan = pfx("fd01::/64");
	struct fib_query q = { .family = AF_INET6, .iif = "lan0" };
	struct fib_result res;

	rules[0].family = rules[1].family = AF_INET6;
	ck_assert_int_eq(fib_set_rules(fib, rules, 2), 0);
	nh.family = AF_INET6;
	nh.has_gateway = true;
	nh.gateway = addr(AF_INET6, "fd02::fe");
	ck_assert_int_eq(fib_route_add(fib, &def, 0, &nh, false, false), 0);
	nh.has_gateway = false;
	nh.oif = 2;
	nh.metric = 256;
	ck_assert_int_eq(fib_route_add(fib, &lan, 0, &nh, false, false), 0);
	q.src = addr(AF_INET6, "fd01::2");
	q.dst = addr(AF_INET6, "2001:db8::1");
	ck_assert_int_eq(fib_resolve(fib, &q, &res), FIB_OK);
	ck_assert_int_eq(res.nh->oif, 3);
	ck_assert_uint_eq(res.prefix_len, 0);
	q.dst = addr(AF_INET6, "fd01::99");
	ck_assert_int_eq(fib_resolve(fib, &q, &res), FIB_OK);
	ck_assert_int_eq(res.nh->oif, 2);
	ck_assert_uint_eq(res.prefix_len, 64);
	fib_free(fib);
}
END_TEST

START_TEST(test_no_rule_no_route)
{
	struct fib_params p = { .synchronize = no_grace };
	struct fib *fib = fib_new(&p);
	struct fib_result res;

	/* no rule set yet: nothing is known, ask */
	ck_assert_int_eq(ask(fib, "10.0.1.2", "8.8.8.8", 0, "lan0", &res),
			 FIB_ASK_KERNEL);
	ck_assert_int_eq(fib_set_rules(fib, NULL, 0), 0);
	ck_assert_int_eq(ask(fib, "10.0.1.2", "8.8.8.8", 0, "lan0", &res),
			 FIB_NO_ROUTE);
	fib_free(fib);
}
END_TEST

/* Generated here from a source that is not ours: the kernel refuses it
 * before any rule, so the mirror must not answer. And which answers a
 * destination-keyed cache may keep: only while no rule selects on more
 * than the destination. */
START_TEST(test_local_source_and_dst_cacheable)
{
	struct fib_rule extra[1] = { rule(100, 100) };
	struct fib_query q = { .family = AF_INET };
	struct fib_result res;
	struct fib *fib = router(NULL, 0);

	ck_assert_int_eq(ask(fib, "10.0.2.1", "8.8.8.8", 0, NULL, &res), FIB_OK);
	ck_assert_int_eq(ask(fib, "10.0.2.77", "8.8.8.8", 0, NULL, &res),
			 FIB_ASK_KERNEL);
	q.src = addr(AF_INET, "10.0.1.2");
	q.dst = addr(AF_INET, "8.8.8.8");
	q.iif = "lan0";
	ck_assert(fib_dst_cacheable(fib, &q));
	q.src = addr(AF_INET, "10.0.1.1");	/* ours, from outside */
	ck_assert(!fib_dst_cacheable(fib, &q));
	fib_free(fib);

	extra[0].dst = pfx("192.0.2.0/24");
	fib = router(extra, 1);
	q.src = addr(AF_INET, "10.0.1.2");
	ck_assert(fib_dst_cacheable(fib, &q));
	fib_free(fib);
	extra[0].fwmark = extra[0].fwmask = 0x10;
	fib = router(extra, 1);
	ck_assert(!fib_dst_cacheable(fib, &q));
	fib_free(fib);
}
END_TEST

static Suite *fib_suite(void)
{
	Suite *s = suite_create("fib");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_main_and_local);
	tcase_add_test(tc, test_fwmark_iif_src_rules);
	tcase_add_test(tc, test_metric_replace_delete);
	tcase_add_test(tc, test_suppress_goto_nop);
	tcase_add_test(tc, test_drops_and_throw);
	tcase_add_test(tc, test_invert_and_ports);
	tcase_add_test(tc, test_ask_the_kernel);
	tcase_add_test(tc, test_local_source_and_dst_cacheable);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_no_rule_no_route);
	suite_add_tcase(s, tc);
	return s;
}


int main(void)
{
	SRunner *sr = srunner_create(fib_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what log lines about flows are made of: lib/flowname.c
 * (the one name of a flow, for IPv4, IPv6, protocols with and without
 * ports, unnamed protocols, a buffer too small) and lib/ratelimit.c
 * (burst per interval, the count of what was held back, reported once).
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "flowname.h"
#include "ratelimit.h"
#include "unit.h"

START_TEST(test_name_ipv4_tcp)
{
	struct tuple t = unit_tuple(10, 6, "10.0.0.1", 5000, "10.0.1.2", 80);
	char s[FLOW_NAME_MAX];

	ck_assert_str_eq(flow_name(&t, s, sizeof(s)),
			 "zone 10 tcp 10.0.0.1:5000 -> 10.0.1.2:80");
}
END_TEST

START_TEST(test_name_ipv6_udp)
{
	struct tuple t = unit_tuple(0, 17, "fd00::1", 53, "fd00::2", 40000);
	char s[FLOW_NAME_MAX];

	ck_assert_str_eq(flow_name(&t, s, sizeof(s)),
			 "zone 0 udp [fd00::1]:53 -> [fd00::2]:40000");
}
END_TEST

START_TEST(test_name_without_ports)
{
	struct tuple icmp = unit_tuple(10, 1, "10.0.1.2", 7, "10.0.2.2", 0);
	struct tuple other = unit_tuple(3, 253, "10.0.1.2", 0, "10.0.2.2", 0);
	char s[FLOW_NAME_MAX];

	ck_assert_str_eq(flow_name(&icmp, s, sizeof(s)),
			 "zone 10 icmp 10.0.1.2 -> 10.0.2.2");
	ck_assert_str_eq(flow_name(&other, s, sizeof(s)),
			 "zone 3 proto 253 10.0.1.2 -> 10.0.2.2");
}
END_TEST

/* The longest name fits FLOW_NAME_MAX; a short buffer is cut, ended. */
START_TEST(test_name_lengths)
{
	struct tuple t;
	char s[FLOW_NAME_MAX], small[12];

	memset(&t, 0, sizeof(t));
	t.zone = 65535;
	t.family = AF_INET6;
	t.proto = 136;
	memset(&t.src, 0xff, sizeof(t.src));
	memset(&t.dst, 0xfe, sizeof(t.dst));
	t.sport = t.dport = 65535;
	flow_name(&t, s, sizeof(s));
	ck_assert_uint_lt(strlen(s), sizeof(s) - 1);
	ck_assert_ptr_nonnull(strstr(s, " -> ["));
	flow_name(&t, small, sizeof(small));
	ck_assert_str_eq(small, "zone 65535 ");
}
END_TEST

START_TEST(test_ratelimit_burst)
{
	struct ratelimit rl = RATELIMIT_INIT(5, 3);
	uint64_t t0 = 1000000000ull, sup;
	int i, passed = 0;

	for (i = 0; i < 100; i++) {
		passed += ratelimit_pass(&rl, t0 + (uint64_t)i * 1000, &sup);
		ck_assert_uint_eq(sup, 0);
	}
	ck_assert_int_eq(passed, 3);
	/* the next interval reports the 97 held back, once */
	ck_assert(ratelimit_pass(&rl, t0 + 5000000000ull, &sup));
	ck_assert_uint_eq(sup, 97);
	ck_assert(ratelimit_pass(&rl, t0 + 5000000001ull, &sup));
	ck_assert_uint_eq(sup, 0);
	/* a quiet interval: nothing to report */
	ck_assert(ratelimit_pass(&rl, t0 + 60000000000ull, &sup));
	ck_assert_uint_eq(sup, 0);
}
END_TEST

/* A clock that reads 0 (the first event) still starts an interval. */
START_TEST(test_ratelimit_zero_clock)
{
	struct ratelimit rl = RATELIMIT_INIT(1, 1);
	uint64_t sup;

	ck_assert(ratelimit_pass(&rl, 0, &sup));
	ck_assert(!ratelimit_pass(&rl, 1, &sup));
	ck_assert(!ratelimit_pass(&rl, 999999999ull, &sup));
	ck_assert(ratelimit_pass(&rl, 1000000001ull, &sup));
	ck_assert_uint_eq(sup, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logfmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_name_ipv4_tcp);
	tcase_add_test(tc, test_name_ipv6_udp);
	tcase_add_test(tc, test_name_without_ports);
	tcase_add_test(tc, test_name_lengths);
	tcase_add_test(tc, test_ratelimit_burst);
	tcase_add_test(tc, test_ratelimit_zero_clock);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

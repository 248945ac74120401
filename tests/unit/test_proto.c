// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/proto.c: proto_name and proto_parse for every named
 * IP protocol (checked against the IANA numbers, not the table itself),
 * plain numbers 0..255, and the inputs proto_parse must refuse.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int num;
	const char *name;
} named[] = {
	{ 1, "icmp" },
	{ 6, "tcp" },
	{ 17, "udp" },
	{ 33, "dccp" },
	{ 47, "gre" },
	{ 50, "esp" },
	{ 51, "ah" },
	{ 58, "icmpv6" },
	{ 132, "sctp" },
	{ 136, "udplite" },
};

static bool is_named(int num)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(named); i++)
		if (named[i].num == num)
			return true;
	return false;
}

START_TEST(test_proto_name_named)
{
	const char *name = proto_name((uint8_t)named[_i].num);

	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, named[_i].name);
}
END_TEST

START_TEST(test_proto_parse_named)
{
	ck_assert_int_eq(proto_parse(named[_i].name), named[_i].num);
}
END_TEST

/* Every number: named ones have their name, the rest none. */
START_TEST(test_proto_name_unnamed)
{
	int i;

	for (i = 0; i <= 255; i++) {
		if (is_named(i))
			continue;
		ck_assert_msg(proto_name((uint8_t)i) == NULL,
			      "proto_name(%d) = \"%s\", want NULL", i,
			      proto_name((uint8_t)i));
	}
	ck_assert_ptr_null(proto_name(0));
	ck_assert_ptr_null(proto_name(4));
	ck_assert_ptr_null(proto_name(41));
	ck_assert_ptr_null(proto_name(255));
}
END_TEST

START_TEST(test_proto_parse_numbers)
{
	char s[8];
	int i;

	for (i = 0; i <= 255; i++) {
		snprintf(s, sizeof(s), "%d", i);
		ck_assert_msg(proto_parse(s) == i, "proto_parse(\"%s\") = %d",
			      s, proto_parse(s));
	}
	ck_assert_int_eq(proto_parse("0"), 0);
	ck_assert_int_eq(proto_parse("6"), 6);
	ck_assert_int_eq(proto_parse("255"), 255);
}
END_TEST

/* A name and its number parse the same, and name the number back. */
START_TEST(test_proto_round_trip)
{
	char s[8];
	int num = named[_i].num;

	snprintf(s, sizeof(s), "%d", num);
	ck_assert_int_eq(proto_parse(s), proto_parse(named[_i].name));
	ck_assert_str_eq(proto_name((uint8_t)proto_parse(s)), named[_i].name);
}
END_TEST

START_TEST(test_proto_parse_out_of_range)
{
	ck_assert_int_eq(proto_parse("256"), -EINVAL);
	ck_assert_int_eq(proto_parse("1000"), -EINVAL);
	/* 2^32 + 6 and 2^64 + 6 must not wrap to 6 */
	ck_assert_int_eq(proto_parse("4294967302"), -EINVAL);
	ck_assert_int_eq(proto_parse("18446744073709551622"), -EINVAL);
	ck_assert_int_eq(proto_parse("99999999999999999999999"), -EINVAL);
	ck_assert_int_eq(proto_parse("-1"), -EINVAL);
	ck_assert_int_eq(proto_parse("-6"), -EINVAL);
}
END_TEST

START_TEST(test_proto_parse_refused)
{
	static const char *const bad[] = {
		"", "tcpx", "xtcp", "tc", "TCP", "Tcp", "tcp ", " tcp",
		"icmp6", "ipv6-icmp", "udp-lite", "6 ", " 6", "+6", "6x",
		"0x6", "6.0", "six", "\n", "6\n",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(proto_parse(bad[i]) == -EINVAL,
			      "proto_parse(\"%s\") = %d, want %d", bad[i],
			      proto_parse(bad[i]), -EINVAL);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("named");
	tcase_add_loop_test(tc, test_proto_name_named, 0,
			    (int)ARRAY_SIZE(named));
	tcase_add_loop_test(tc, test_proto_parse_named, 0,
			    (int)ARRAY_SIZE(named));
	tcase_add_loop_test(tc, test_proto_round_trip, 0,
			    (int)ARRAY_SIZE(named));
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_test(tc, test_proto_name_unnamed);
	tcase_add_test(tc, test_proto_parse_numbers);
	tcase_add_test(tc, test_proto_parse_out_of_range);
	tcase_add_test(tc, test_proto_parse_refused);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

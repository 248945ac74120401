// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/flowfilter.c: each option's values, good and bad
 * (the message names the option), and the predicate: each condition
 * alone on flows that meet it and flows that miss it by one field, ports
 * of either side, ICMP's echo id not taken for a port, families kept
 * apart, owners and sids only where a flow has them, and conditions
 * combined with AND.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <string.h>

#include "flowfilter.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct flow_ext ext_owned, ext_sid;

static struct flow flow4(uint16_t zone, uint8_t proto, const char *src,
			 uint16_t sport, const char *dst, uint16_t dport)
{
	struct flow f = { 0 };

	f.orig = unit_tuple(zone, proto, src, sport, dst, dport);
	return f;
}

static struct flow_filter filter(const char *opt, const char *value)
{
	struct flow_filter ff = { 0 };
	struct buf err = BUF_INIT;

	ck_assert_msg(flow_filter_parse(&ff, opt, value, &err) == 0,
		      "%s %s: %s", opt, value, err.data ? err.data : "");
	buf_free(&err);
	return ff;
}

START_TEST(test_parse_good)
{
	static const char *const good[][2] = {
		{ "--proto", "tcp" }, { "--proto", "icmpv6" }, { "--proto", "0" },
		{ "--proto", "255" }, { "--src", "10.0.0.1" },
		{ "--src", "10.0.0.0/8" }, { "--src", "0.0.0.0/0" },
		{ "--dst", "fd00::/64" }, { "--dst", "::1" },
		{ "--port", "80" }, { "--port", "1-65535" }, { "--port", "5000-5999" },
		{ "--sid", "00" }, { "--sid", "C0FFEE01" },
		{ "--sid", "000102030405060708090a0b0c0d0e0f" },
		{ "--backend", "m1" },
	};
	struct flow_filter ff;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		ff = filter(good[i][0], good[i][1]);
	ck_assert_uint_eq(ff.has, FLOW_FILTER_BACKEND);
	ff = filter("--sid", "C0ffee01");
	ck_assert_uint_eq(ff.sid.len, 4);
	ck_assert_uint_eq(ff.sid.b[0], 0xc0);
	ck_assert_uint_eq(ff.sid.b[3], 0x01);
	ff = filter("--port", "5000-5999");
	ck_assert_uint_eq(ff.port.lo, 5000);
	ck_assert_uint_eq(ff.port.hi, 5999);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const char *const bad[][3] = {
		/* option, value, a word the message must hold */
		{ "--proto", "", "--proto" }, { "--proto", "TCP", "--proto" },
		{ "--proto", "256", "--proto" }, { "--proto", "-1", "--proto" },
		{ "--src", "10.0.0.256", "--src" }, { "--src", "", "--src" },
		{ "--src", "10.0.0.0/33", "--src" },
		{ "--src", "10.0.0.1/8", "10.0.0.0/8" },
		{ "--dst", "fd00::1/64", "fd00::/64" },
		{ "--dst", "host.example", "--dst" },
		{ "--port", "0", "--port" }, { "--port", "65536", "--port" },
		{ "--port", "20-10", "--port" }, { "--port", "x", "--port" },
		{ "--port", "", "--port" },
		{ "--sid", "", "--sid" }, { "--sid", "abc", "--sid" },
		{ "--sid", "zz", "--sid" }, { "--sid", "0x12", "--sid" },
		{ "--sid", "000102030405060708090a0b0c0d0e0f10", "--sid" },
		{ "--backend", "", "--backend" },
		{ "--backend", "a-name-that-is-longer-than-31-bytes", "--backend" },
	};
	struct flow_filter ff = { 0 };
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		buf_reset(&err);
		ck_assert_msg(flow_filter_parse(&ff, bad[i][0], bad[i][1],
						&err) == -EINVAL,
			      "%s '%s' was taken", bad[i][0], bad[i][1]);
		ck_assert_msg(err.len && strstr(err.data, bad[i][2]),
			      "%s '%s': '%s' does not say %s", bad[i][0],
			      bad[i][1], err.data ? err.data : "", bad[i][2]);
	}
	ck_assert_uint_eq(ff.has, 0);
	ck_assert_int_eq(flow_filter_parse(&ff, "--zone", "1", &err), -ENOENT);
	ck_assert_int_eq(flow_filter_parse(&ff, "--frob", "1", &err), -ENOENT);
	buf_free(&err);
}
END_TEST

START_TEST(test_match_tuple)
{
	struct flow tcp = flow4(10, IPPROTO_TCP, "10.0.1.2", 40000, "10.0.2.2", 80);
	struct flow udp6 = flow4(0, IPPROTO_UDP, "fd01::2", 53000, "fd02::2", 53);
	struct flow icmp = flow4(0, IPPROTO_ICMP, "10.0.1.2", 80, "10.0.2.2", 80);
	struct flow_filter ff = { 0 };

	/* no condition: everything */
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ck_assert(flow_filter_match(&ff, &udp6, "m1"));

	ff.has = FLOW_FILTER_ZONE;
	ff.zone = 10;
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ck_assert(!flow_filter_match(&ff, &udp6, NULL));

	ff = filter("--proto", "udp");
	ck_assert(!flow_filter_match(&ff, &tcp, NULL));
	ck_assert(flow_filter_match(&ff, &udp6, NULL));

	ff = filter("--src", "10.0.1.0/24");
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ck_assert(!flow_filter_match(&ff, &udp6, NULL));	/* other family */
	ff = filter("--src", "10.0.2.2");	/* the destination: no */
	ck_assert(!flow_filter_match(&ff, &tcp, NULL));
	ff = filter("--dst", "10.0.2.2");
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ff = filter("--dst", "fd02::/16");
	ck_assert(flow_filter_match(&ff, &udp6, NULL));
	ck_assert(!flow_filter_match(&ff, &tcp, NULL));
	ff = filter("--src", "0.0.0.0/0");
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ck_assert(!flow_filter_match(&ff, &udp6, NULL));

	/* either port, a range; ICMP's echo id is no port */
	ff = filter("--port", "80");
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ck_assert(!flow_filter_match(&ff, &icmp, NULL));
	ff = filter("--port", "40000");
	ck_assert(flow_filter_match(&ff, &tcp, NULL));
	ff = filter("--port", "40001-65535");
	ck_assert(!flow_filter_match(&ff, &tcp, NULL));
	ck_assert(flow_filter_match(&ff, &udp6, NULL));
	ff = filter("--port", "81-39999");
	ck_assert(!flow_filter_match(&ff, &tcp, NULL));
}
END_TEST

START_TEST(test_match_extras)
{
	struct flow owned = flow4(0, IPPROTO_TCP, "10.0.1.2", 1, "10.0.1.1", 8080);
	struct flow sid = flow4(20, IPPROTO_UDP, "10.0.1.2", 2, "10.0.2.2", 5004);
	struct flow bare = flow4(0, IPPROTO_UDP, "10.0.1.2", 3, "10.0.2.2", 9);
	struct flow_filter ff = { 0 };

	ext_owned.owner.flags = FLOW_OWNER_SOCKET;
	ext_owned.owner.uid = 65534;
	owned.ext = &ext_owned;
	ext_sid.sid.len = 4;
	memcpy(ext_sid.sid.b, "\xc0\xff\xee\x01", 4);
	sid.ext = &ext_sid;

	ff.has = FLOW_FILTER_UID;
	ff.uid = 65534;
	ck_assert(flow_filter_match(&ff, &owned, NULL));
	ck_assert(!flow_filter_match(&ff, &bare, NULL));
	ck_assert(!flow_filter_match(&ff, &sid, NULL));	/* ext, no owner */
	ff.uid = 0;
	ck_assert(!flow_filter_match(&ff, &owned, NULL));

	ff = filter("--sid", "c0ffee01");
	ck_assert(flow_filter_match(&ff, &sid, "m1"));
	ck_assert(!flow_filter_match(&ff, &owned, NULL));
	ck_assert(!flow_filter_match(&ff, &bare, NULL));
	ff = filter("--sid", "c0ffee");	/* a prefix is another sid */
	ck_assert(!flow_filter_match(&ff, &sid, "m1"));
	ff = filter("--sid", "c0ffee02");
	ck_assert(!flow_filter_match(&ff, &sid, "m1"));

	ff = filter("--backend", "m1");
	ck_assert(flow_filter_match(&ff, &sid, "m1"));
	ck_assert(!flow_filter_match(&ff, &sid, "m2"));
	ck_assert(!flow_filter_match(&ff, &sid, NULL));
	ck_assert(!flow_filter_match(&ff, &sid, "m10"));
}
END_TEST

/* Conditions add up: each one set makes the answer false on its own. */
START_TEST(test_match_and)
{
	struct flow f = flow4(20, IPPROTO_UDP, "10.0.1.2", 41000, "10.0.2.2", 5004);
	struct flow_filter ff = { 0 };
	struct buf err = BUF_INIT;
	static const char *const opts[][3] = {
		/* option, a value f meets, one it misses */
		{ "--proto", "udp", "tcp" },
		{ "--src", "10.0.1.2", "10.0.1.3" },
		{ "--dst", "10.0.0.0/16", "10.1.0.0/16" },
		{ "--port", "5004", "5005" },
		{ "--sid", "c0ffee01", "c0ffee02" },
		{ "--backend", "m2", "m1" },
	};
	size_t i, k;

	ext_sid.sid.len = 4;
	memcpy(ext_sid.sid.b, "\xc0\xff\xee\x01", 4);
	f.ext = &ext_sid;
	for (i = 0; i < ARRAY_SIZE(opts); i++)
		ck_assert_int_eq(flow_filter_parse(&ff, opts[i][0], opts[i][1],
						   &err), 0);
	ff.has |= FLOW_FILTER_ZONE;
	ff.zone = 20;
	ck_assert(flow_filter_match(&ff, &f, "m2"));
	for (k = 0; k < ARRAY_SIZE(opts); k++) {
		struct flow_filter one = ff;

		ck_assert_int_eq(flow_filter_parse(&one, opts[k][0], opts[k][2],
						   &err), 0);
		ck_assert_msg(!flow_filter_match(&one, &f, "m2"),
			      "%s %s did not count", opts[k][0], opts[k][2]);
	}
	ff.zone = 21;
	ck_assert(!flow_filter_match(&ff, &f, "m2"));
	buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowfilter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_match_tuple);
	tcase_add_test(tc, test_match_extras);
	tcase_add_test(tc, test_match_and);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

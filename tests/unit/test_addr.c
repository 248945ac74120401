// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/addr.c: prefix_parse (IPv4/IPv6, host prefixes,
 * length limits, host bits, malformed input), prefix_format round trips,
 * prefix_contains (byte-aligned and not, family mismatch, /0),
 * port_range_parse, addr_port_parse and addr_port_format.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The address bytes of text, which must be valid for family. */
static union fc_addr mkaddr(int family, const char *text)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_msg(inet_pton(family, text, &a) == 1,
		      "bad test address %s", text);
	return a;
}

static size_t addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Parse s, which must succeed, and compare with the expected prefix. */
static void expect_prefix(const char *s, int family, const char *addr,
			  unsigned int len)
{
	union fc_addr want = mkaddr(family, addr);
	struct prefix p;
	int ret;

	memset(&p, 0xa5, sizeof(p));
	ret = prefix_parse(s, &p);
	ck_assert_msg(ret == 0, "prefix_parse(\"%s\") = %d, want 0", s, ret);
	ck_assert_msg(p.family == family, "prefix_parse(\"%s\"): family %u",
		      s, p.family);
	ck_assert_msg(p.len == len, "prefix_parse(\"%s\"): len %u, want %u",
		      s, p.len, len);
	ck_assert_msg(!memcmp(p.addr.b, want.b, addr_bytes(family)),
		      "prefix_parse(\"%s\"): wrong address", s);
}

static void expect_prefix_err(const char *s, int err)
{
	struct prefix p;
	int ret = prefix_parse(s, &p);

	ck_assert_msg(ret == err, "prefix_parse(\"%s\") = %d, want %d",
		      s, ret, err);
}

/* --- prefix_parse ------------------------------------------------------ */

START_TEST(test_prefix_parse_v4)
{
	expect_prefix("10.0.0.0/8", AF_INET, "10.0.0.0", 8);
	expect_prefix("192.168.1.0/24", AF_INET, "192.168.1.0", 24);
	expect_prefix("172.16.0.0/12", AF_INET, "172.16.0.0", 12);
	expect_prefix("192.0.2.128/25", AF_INET, "192.0.2.128", 25);
}
END_TEST

START_TEST(test_prefix_parse_v6)
{
	expect_prefix("fd00::/64", AF_INET6, "fd00::", 64);
	expect_prefix("2001:db8::/32", AF_INET6, "2001:db8::", 32);
	expect_prefix("2001:DB8:0:0:8000::/65", AF_INET6, "2001:db8:0:0:8000::",
		      65);
	expect_prefix("::ffff:10.0.0.0/104", AF_INET6, "::ffff:10.0.0.0", 104);
	/* Long form, as long as an address text gets. */
	expect_prefix("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		      AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128);
}
END_TEST

START_TEST(test_prefix_parse_host)
{
	expect_prefix("192.0.2.1", AF_INET, "192.0.2.1", 32);
	expect_prefix("0.0.0.0", AF_INET, "0.0.0.0", 32);
	expect_prefix("2001:db8::1", AF_INET6, "2001:db8::1", 128);
	expect_prefix("::", AF_INET6, "::", 128);
}
END_TEST

START_TEST(test_prefix_parse_zero)
{
	expect_prefix("0.0.0.0/0", AF_INET, "0.0.0.0", 0);
	expect_prefix("::/0", AF_INET6, "::", 0);
}
END_TEST

START_TEST(test_prefix_parse_max_len)
{
	expect_prefix("192.0.2.1/32", AF_INET, "192.0.2.1", 32);
	expect_prefix("255.255.255.255/32", AF_INET, "255.255.255.255", 32);
	expect_prefix("2001:db8::1/128", AF_INET6, "2001:db8::1", 128);
	expect_prefix("::1/128", AF_INET6, "::1", 128);
}
END_TEST

START_TEST(test_prefix_parse_len_out_of_range)
{
	expect_prefix_err("10.0.0.0/33", -EINVAL);
	expect_prefix_err("10.0.0.0/128", -EINVAL);
	expect_prefix_err("10.0.0.0/256", -EINVAL);
	expect_prefix_err("fd00::/129", -EINVAL);
	expect_prefix_err("fd00::/1000", -EINVAL);
	expect_prefix_err("10.0.0.0/-1", -EINVAL);
	expect_prefix_err("10.0.0.0/99999999999", -EINVAL);
	/* 2^32 + 8: must not wrap to 8 where unsigned long is 32 bits */
	expect_prefix_err("10.0.0.0/4294967304", -EINVAL);
	expect_prefix_err("fd00::/18446744073709551680", -EINVAL);
}
END_TEST

START_TEST(test_prefix_parse_garbage)
{
	expect_prefix_err("foo", -EINVAL);
	expect_prefix_err("foo/8", -EINVAL);
	expect_prefix_err("10.0.0/8", -EINVAL);
	expect_prefix_err("10.0.0.0.0/8", -EINVAL);
	expect_prefix_err("256.0.0.0/8", -EINVAL);
	expect_prefix_err("fd00:::/64", -EINVAL);
	expect_prefix_err("fd00::g/64", -EINVAL);
	expect_prefix_err("10.0.0.0//8", -EINVAL);
	expect_prefix_err("10.0.0.0/8/8", -EINVAL);
	expect_prefix_err("10.0.0.0/", -EINVAL);
	expect_prefix_err("/", -EINVAL);
	expect_prefix_err("10.0.0.0/+8", -EINVAL);
	expect_prefix_err("10.0.0.0/0x8", -EINVAL);
	expect_prefix_err("localhost", -EINVAL);
	/* longer than any address text */
	expect_prefix_err("0000:0000:0000:0000:0000:0000:0000:0000:"
			  "0000:0000/64", -EINVAL);
}
END_TEST

START_TEST(test_prefix_parse_host_bits)
{
	expect_prefix_err("10.0.0.1/8", -EDOM);
	expect_prefix_err("192.168.1.128/24", -EDOM);
	expect_prefix_err("192.168.1.1/31", -EDOM);
	expect_prefix_err("10.8.0.0/12", -EDOM);	/* 0x08 is below /12 */
	expect_prefix_err("1.0.0.0/0", -EDOM);
	expect_prefix_err("fd00::1/64", -EDOM);
	expect_prefix_err("fd00::1/127", -EDOM);
	expect_prefix_err("2001:db8:0:0:8000::/64", -EDOM);
	expect_prefix_err("::1/0", -EDOM);
	/* the neighbours without host bits are fine */
	expect_prefix("10.16.0.0/12", AF_INET, "10.16.0.0", 12);
	expect_prefix("192.168.1.2/31", AF_INET, "192.168.1.2", 31);
	expect_prefix("fd00::2/127", AF_INET6, "fd00::2", 127);
}
END_TEST

START_TEST(test_prefix_parse_trailing_junk)
{
	expect_prefix_err("10.0.0.0/8x", -EINVAL);
	expect_prefix_err("10.0.0.0/8 ", -EINVAL);
	expect_prefix_err("10.0.0.0 /8", -EINVAL);
	expect_prefix_err(" 10.0.0.0/8", -EINVAL);
	expect_prefix_err("10.0.0.0x/8", -EINVAL);
	expect_prefix_err("192.0.2.1 ", -EINVAL);
	expect_prefix_err("192.0.2.1\n", -EINVAL);
	expect_prefix_err("fd00::/64\n", -EINVAL);
}
END_TEST

START_TEST(test_prefix_parse_empty)
{
	expect_prefix_err("", -EINVAL);
	expect_prefix_err("/24", -EINVAL);
	expect_prefix_err("/0", -EINVAL);
}
END_TEST

/* --- prefix_format ----------------------------------------------------- */

static const struct {
	const char *in, *out;
} format_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "192.0.2.1", "192.0.2.1" },
	{ "192.0.2.1/32", "192.0.2.1" },
	{ "172.16.0.0/13", "172.16.0.0/13" },
	{ "::/0", "::/0" },
	{ "fd00::/64", "fd00::/64" },
	{ "FD00:0:0::/48", "fd00::/48" },
	{ "2001:0db8::/32", "2001:db8::/32" },
	{ "2001:db8::1", "2001:db8::1" },
	{ "2001:db8::1/128", "2001:db8::1" },
	{ "2001:db8::/127", "2001:db8::/127" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" },
};

START_TEST(test_prefix_format_round_trip)
{
	const char *in = format_cases[_i].in, *want = format_cases[_i].out;
	struct prefix p, q;
	char out[PREFIX_STRLEN];

	ck_assert_int_eq(prefix_parse(in, &p), 0);
	memset(out, 'X', sizeof(out));
	prefix_format(&p, out, sizeof(out));
	ck_assert_str_eq(out, want);

	/* and the text reads back as the same prefix */
	ck_assert_int_eq(prefix_parse(out, &q), 0);
	ck_assert_uint_eq(q.family, p.family);
	ck_assert_uint_eq(q.len, p.len);
	ck_assert_mem_eq(q.addr.b, p.addr.b, addr_bytes(p.family));
}
END_TEST

START_TEST(test_prefix_format_truncates)
{
	struct prefix p;
	char out[16];

	ck_assert_int_eq(prefix_parse("10.0.0.0/8", &p), 0);
	memset(out, 'X', sizeof(out));
	prefix_format(&p, out, 5);
	ck_assert_str_eq(out, "10.0");
	ck_assert_int_eq(out[5], 'X');
}
END_TEST

/* --- prefix_contains --------------------------------------------------- */

static bool contains(const char *prefix, int family, const char *addr)
{
	union fc_addr a = mkaddr(family, addr);
	struct prefix p;

	ck_assert_msg(prefix_parse(prefix, &p) == 0, "bad test prefix %s",
		      prefix);
	return prefix_contains(&p, family, &a);
}

START_TEST(test_prefix_contains_v4)
{
	ck_assert(contains("10.0.0.0/8", AF_INET, "10.0.0.0"));
	ck_assert(contains("10.0.0.0/8", AF_INET, "10.1.2.3"));
	ck_assert(contains("10.0.0.0/8", AF_INET, "10.255.255.255"));
	ck_assert(!contains("10.0.0.0/8", AF_INET, "11.0.0.0"));
	ck_assert(!contains("10.0.0.0/8", AF_INET, "9.255.255.255"));
	ck_assert(contains("192.168.1.0/24", AF_INET, "192.168.1.77"));
	ck_assert(!contains("192.168.1.0/24", AF_INET, "192.168.2.77"));
	ck_assert(contains("192.0.2.1", AF_INET, "192.0.2.1"));
	ck_assert(!contains("192.0.2.1", AF_INET, "192.0.2.0"));
	ck_assert(!contains("192.0.2.1", AF_INET, "192.0.2.2"));
	ck_assert(!contains("192.0.2.1/32", AF_INET, "193.0.2.1"));
}
END_TEST

START_TEST(test_prefix_contains_v4_unaligned)
{
	/* 172.16.0.0/13 is 172.16.0.0 - 172.23.255.255 */
	ck_assert(contains("172.16.0.0/13", AF_INET, "172.16.0.0"));
	ck_assert(contains("172.16.0.0/13", AF_INET, "172.20.1.1"));
	ck_assert(contains("172.16.0.0/13", AF_INET, "172.23.255.255"));
	ck_assert(!contains("172.16.0.0/13", AF_INET, "172.24.0.0"));
	ck_assert(!contains("172.16.0.0/13", AF_INET, "172.15.255.255"));
	ck_assert(!contains("172.16.0.0/13", AF_INET, "173.16.0.0"));
	/* /1 and /31 */
	ck_assert(contains("128.0.0.0/1", AF_INET, "255.0.0.1"));
	ck_assert(!contains("128.0.0.0/1", AF_INET, "127.255.255.255"));
	ck_assert(contains("192.0.2.2/31", AF_INET, "192.0.2.3"));
	ck_assert(!contains("192.0.2.2/31", AF_INET, "192.0.2.1"));
	ck_assert(!contains("192.0.2.2/31", AF_INET, "192.0.2.4"));
}
END_TEST

START_TEST(test_prefix_contains_v6)
{
	ck_assert(contains("fd00::/64", AF_INET6, "fd00::1"));
	ck_assert(contains("fd00::/64", AF_INET6, "fd00::ffff:ffff:ffff:ffff"));
	ck_assert(!contains("fd00::/64", AF_INET6, "fd00:0:0:1::"));
	ck_assert(!contains("fd00::/64", AF_INET6, "fd01::"));
	ck_assert(contains("2001:db8::1", AF_INET6, "2001:db8::1"));
	ck_assert(!contains("2001:db8::1", AF_INET6, "2001:db8::"));
	ck_assert(!contains("2001:db8::1", AF_INET6, "2001:db8::3"));
	ck_assert(!contains("2001:db8::1", AF_INET6, "3001:db8::1"));
}
END_TEST

START_TEST(test_prefix_contains_v6_unaligned)
{
	ck_assert(contains("2001:db8::/127", AF_INET6, "2001:db8::"));
	ck_assert(contains("2001:db8::/127", AF_INET6, "2001:db8::1"));
	ck_assert(!contains("2001:db8::/127", AF_INET6, "2001:db8::2"));
	ck_assert(!contains("2001:db8::/127", AF_INET6, "2001:db8::3"));
	ck_assert(!contains("2001:db8::/127", AF_INET6, "2001:db9::"));
	/* fe80::/10 is fe80:: - febf:ffff:... */
	ck_assert(contains("fe80::/10", AF_INET6, "fe80::1"));
	ck_assert(contains("fe80::/10", AF_INET6, "febf:ffff::1"));
	ck_assert(!contains("fe80::/10", AF_INET6, "fec0::1"));
	ck_assert(!contains("fe80::/10", AF_INET6, "fe7f:ffff::1"));
	/* /13 in the second byte */
	ck_assert(contains("2008::/13", AF_INET6, "200f:ffff::"));
	ck_assert(!contains("2008::/13", AF_INET6, "2010::"));
	ck_assert(!contains("2008::/13", AF_INET6, "2007:ffff::"));
	/* 8000::/1 */
	ck_assert(contains("8000::/1", AF_INET6, "ffff::"));
	ck_assert(!contains("8000::/1", AF_INET6, "7fff:ffff::"));
}
END_TEST

START_TEST(test_prefix_contains_family_mismatch)
{
	ck_assert(!contains("0.0.0.0/0", AF_INET6, "::"));
	ck_assert(!contains("0.0.0.0/0", AF_INET6, "2001:db8::1"));
	ck_assert(!contains("::/0", AF_INET, "0.0.0.0"));
	ck_assert(!contains("::/0", AF_INET, "10.0.0.1"));
	/* same leading bytes, other family */
	ck_assert(!contains("10.0.0.0/8", AF_INET6, "a00::"));
	ck_assert(!contains("a00::/8", AF_INET, "10.0.0.0"));
}
END_TEST

START_TEST(test_prefix_contains_zero)
{
	ck_assert(contains("0.0.0.0/0", AF_INET, "0.0.0.0"));
	ck_assert(contains("0.0.0.0/0", AF_INET, "10.1.2.3"));
	ck_assert(contains("0.0.0.0/0", AF_INET, "255.255.255.255"));
	ck_assert(contains("::/0", AF_INET6, "::"));
	ck_assert(contains("::/0", AF_INET6, "2001:db8::1"));
	ck_assert(contains("::/0", AF_INET6,
			   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}
END_TEST

/* --- port_range_parse -------------------------------------------------- */

static void expect_range(const char *s, unsigned int lo, unsigned int hi)
{
	struct port_range r = { 0, 0 };
	int ret = port_range_parse(s, &r);

	ck_assert_msg(ret == 0, "port_range_parse(\"%s\") = %d, want 0",
		      s, ret);
	ck_assert_msg(r.lo == lo && r.hi == hi,
		      "port_range_parse(\"%s\") = %u-%u, want %u-%u",
		      s, r.lo, r.hi, lo, hi);
}

static void expect_range_err(const char *s)
{
	struct port_range r;
	int ret = port_range_parse(s, &r);

	ck_assert_msg(ret == -EINVAL, "port_range_parse(\"%s\") = %d, want %d",
		      s, ret, -EINVAL);
}

START_TEST(test_port_range_single)
{
	expect_range("80", 80, 80);
	expect_range("1", 1, 1);
	expect_range("65535", 65535, 65535);
}
END_TEST

START_TEST(test_port_range_range)
{
	expect_range("1024-65535", 1024, 65535);
	expect_range("1-65535", 1, 65535);
	expect_range("53-53", 53, 53);
	expect_range("8000-8080", 8000, 8080);
}
END_TEST

START_TEST(test_port_range_zero)
{
	expect_range_err("0");
	expect_range_err("0-0");
	expect_range_err("0-80");
}
END_TEST

START_TEST(test_port_range_reversed)
{
	expect_range_err("10-5");
	expect_range_err("65535-1");
	expect_range_err("81-80");
}
END_TEST

START_TEST(test_port_range_too_big)
{
	expect_range_err("65536");
	expect_range_err("1-65536");
	expect_range_err("65536-65537");
	expect_range_err("99999999999");
	/* 2^32 + 80: must not wrap to 80 where unsigned long is 32 bits */
	expect_range_err("4294967376");
	expect_range_err("1-4294967376");
}
END_TEST

START_TEST(test_port_range_junk)
{
	expect_range_err("");
	expect_range_err("http");
	expect_range_err("80a");
	expect_range_err("8 0");
	expect_range_err(" 80");
	expect_range_err("80 ");
	expect_range_err("+80");
	expect_range_err("0x50");
	expect_range_err("-");
	expect_range_err("-5");
	expect_range_err("5-");
	expect_range_err("1--2");
	expect_range_err("1-2-3");
	expect_range_err("1 - 2");
	expect_range_err("1,2");
}
END_TEST

/* --- addr_port_parse --------------------------------------------------- */

static void expect_addr_port(const char *s, int family, const char *addr,
			     unsigned int port)
{
	union fc_addr want = mkaddr(family, addr);
	struct addr_port ap;
	int ret;

	memset(&ap, 0xa5, sizeof(ap));
	ret = addr_port_parse(s, &ap);
	ck_assert_msg(ret == 0, "addr_port_parse(\"%s\") = %d, want 0", s, ret);
	ck_assert_msg(ap.family == family, "addr_port_parse(\"%s\"): family %u",
		      s, ap.family);
	ck_assert_msg(!memcmp(ap.addr.b, want.b, addr_bytes(family)),
		      "addr_port_parse(\"%s\"): wrong address", s);
	ck_assert_msg(ap.port == port, "addr_port_parse(\"%s\"): port %u",
		      s, ap.port);
}

static void expect_addr_port_err(const char *s)
{
	struct addr_port ap;
	int ret = addr_port_parse(s, &ap);

	ck_assert_msg(ret == -EINVAL, "addr_port_parse(\"%s\") = %d, want %d",
		      s, ret, -EINVAL);
}

START_TEST(test_addr_port_v4)
{
	expect_addr_port("127.0.0.1:9530", AF_INET, "127.0.0.1", 9530);
	expect_addr_port("0.0.0.0:1", AF_INET, "0.0.0.0", 1);
	expect_addr_port("192.0.2.1:65535", AF_INET, "192.0.2.1", 65535);
}
END_TEST

START_TEST(test_addr_port_v6)
{
	expect_addr_port("[::1]:9530", AF_INET6, "::1", 9530);
	expect_addr_port("[::]:65535", AF_INET6, "::", 65535);
	expect_addr_port("[2001:db8::1]:80", AF_INET6, "2001:db8::1", 80);
	expect_addr_port("[::ffff:127.0.0.1]:9530", AF_INET6,
			 "::ffff:127.0.0.1", 9530);
}
END_TEST

START_TEST(test_addr_port_missing_port)
{
	expect_addr_port_err("127.0.0.1");
	expect_addr_port_err("127.0.0.1:");
	expect_addr_port_err("[::1]");
	expect_addr_port_err("[::1]:");
	expect_addr_port_err("");
	expect_addr_port_err(":9530");
	expect_addr_port_err("[]:9530");
}
END_TEST

START_TEST(test_addr_port_zero)
{
	expect_addr_port_err("127.0.0.1:0");
	expect_addr_port_err("[::1]:0");
	expect_addr_port_err("127.0.0.1:00");
}
END_TEST

START_TEST(test_addr_port_v6_unbracketed)
{
	expect_addr_port_err("::1:9530");
	expect_addr_port_err("2001:db8::1:80");
	expect_addr_port_err("::1");
}
END_TEST

START_TEST(test_addr_port_v4_bracketed)
{
	expect_addr_port_err("[127.0.0.1]:9530");
	expect_addr_port_err("[0.0.0.0]:80");
}
END_TEST

START_TEST(test_addr_port_too_big)
{
	expect_addr_port_err("127.0.0.1:65536");
	expect_addr_port_err("[::1]:65536");
	expect_addr_port_err("127.0.0.1:99999999999");
	/* 2^32 + 9530: must not wrap where unsigned long is 32 bits */
	expect_addr_port_err("127.0.0.1:4294976826");
}
END_TEST

START_TEST(test_addr_port_junk)
{
	expect_addr_port_err("localhost:9530");
	expect_addr_port_err("127.0.0.1:http");
	expect_addr_port_err("127.0.0.1:95a");
	expect_addr_port_err("127.0.0.1: 80");
	expect_addr_port_err("127.0.0.1:80 ");
	expect_addr_port_err("127.0.0.1:-80");
	expect_addr_port_err("127.0.0.1:+80");
	expect_addr_port_err("127.0.0.1:80:80");
	expect_addr_port_err("[::1:9530");
	expect_addr_port_err("[::1]x:9530");
	expect_addr_port_err("[::1]9530");
	expect_addr_port_err("[::1]:80]");
	expect_addr_port_err("[[::1]]:80");
}
END_TEST

/* The text addr_port_format writes parses back to the same value. */
START_TEST(test_addr_port_format)
{
	static const char *const texts[] = {
		"127.0.0.1:9530", "0.0.0.0:1", "[::1]:9530",
		"[fd00::1:2]:65535", "[::ffff:192.0.2.1]:80",
	};
	char out[ADDR_PORT_STRLEN];
	struct addr_port ap, back;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		ck_assert_int_eq(addr_port_parse(texts[i], &ap), 0);
		addr_port_format(&ap, out, sizeof(out));
		ck_assert_str_eq(out, texts[i]);
		ck_assert_int_eq(addr_port_parse(out, &back), 0);
		ck_assert_uint_eq(back.family, ap.family);
		ck_assert(!memcmp(&back.addr, &ap.addr, sizeof(ap.addr)));
		ck_assert_uint_eq(back.port, ap.port);
	}
	ap.family = AF_INET6;
	memset(&ap.addr, 0xff, sizeof(ap.addr));
	ap.port = 65535;
	addr_port_format(&ap, out, sizeof(out));
	ck_assert_str_eq(out,
		"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("prefix_parse");
	tcase_add_test(tc, test_prefix_parse_v4);
	tcase_add_test(tc, test_prefix_parse_v6);
	tcase_add_test(tc, test_prefix_parse_host);
	tcase_add_test(tc, test_prefix_parse_zero);
	tcase_add_test(tc, test_prefix_parse_max_len);
	tcase_add_test(tc, test_prefix_parse_len_out_of_range);
	tcase_add_test(tc, test_prefix_parse_garbage);
	tcase_add_test(tc, test_prefix_parse_host_bits);
	tcase_add_test(tc, test_prefix_parse_trailing_junk);
	tcase_add_test(tc, test_prefix_parse_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix_format");
	tcase_add_loop_test(tc, test_prefix_format_round_trip, 0,
			    (int)ARRAY_SIZE(format_cases));
	tcase_add_test(tc, test_prefix_format_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix_contains");
	tcase_add_test(tc, test_prefix_contains_v4);
	tcase_add_test(tc, test_prefix_contains_v4_unaligned);
	tcase_add_test(tc, test_prefix_contains_v6);
	tcase_add_test(tc, test_prefix_contains_v6_unaligned);
	tcase_add_test(tc, test_prefix_contains_family_mismatch);
	tcase_add_test(tc, test_prefix_contains_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("port_range_parse");
	tcase_add_test(tc, test_port_range_single);
	tcase_add_test(tc, test_port_range_range);
	tcase_add_test(tc, test_port_range_zero);
	tcase_add_test(tc, test_port_range_reversed);
	tcase_add_test(tc, test_port_range_too_big);
	tcase_add_test(tc, test_port_range_junk);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr_port_parse");
	tcase_add_test(tc, test_addr_port_v4);
	tcase_add_test(tc, test_addr_port_v6);
	tcase_add_test(tc, test_addr_port_missing_port);
	tcase_add_test(tc, test_addr_port_zero);
	tcase_add_test(tc, test_addr_port_v6_unbracketed);
	tcase_add_test(tc, test_addr_port_v4_bracketed);
	tcase_add_test(tc, test_addr_port_too_big);
	tcase_add_test(tc, test_addr_port_junk);
	tcase_add_test(tc, test_addr_port_format);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

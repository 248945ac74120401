// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/ctmsg.c: entries built attribute by attribute as
 * ctnetlink lays them out (nested tuples, big-endian numbers, aligned
 * attributes): IPv4 TCP with mark, id, status, zone and TCP state;
 * IPv6 ICMPv6 echo with its id in both ports; a NAT'ed reply; absent
 * optional attributes; and every kind of damage: a missing tuple, an
 * attribute longer than what is left, one shorter than its header,
 * addresses of both families, a tuple without a protocol, and every
 * prefix and every single-byte corruption of a good message, none of
 * which may read outside the buffer (run under valgrind or ASan to see).
 */
#include <arpa/inet.h>
#include <check.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctmsg.h"

struct msg {
	uint8_t b[1024];
	size_t len;
	size_t open[8];		/* offsets of nests being written */
	int depth;
};

static void put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			    .nla_type = type };

	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	put(m, type, &v, 1);
}

static void put_be16(struct msg *m, uint16_t type, uint16_t v)
{
	v = htons(v);
	put(m, type, &v, 2);
}

static void put_be32(struct msg *m, uint16_t type, uint32_t v)
{
	v = htonl(v);
	put(m, type, &v, 4);
}

static void nest(struct msg *m, uint16_t type)
{
	m->open[m->depth++] = m->len;
	put(m, type | NLA_F_NESTED, NULL, 0);
}

static void end(struct msg *m)
{
	size_t at = m->open[--m->depth];
	uint16_t len = (uint16_t)(m->len - at);

	memcpy(m->b + at, &len, sizeof(len));
}

static void tuple4(struct msg *m, uint16_t type, const char *src,
		   const char *dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	struct in_addr a;

	nest(m, type);
	nest(m, CTA_TUPLE_IP);
	inet_pton(AF_INET, src, &a);
	put(m, CTA_IP_V4_SRC, &a, 4);
	inet_pton(AF_INET, dst, &a);
	put(m, CTA_IP_V4_DST, &a, 4);
	end(m);
	nest(m, CTA_TUPLE_PROTO);
	put_u8(m, CTA_PROTO_NUM, proto);
	put_be16(m, CTA_PROTO_SRC_PORT, sp);
	put_be16(m, CTA_PROTO_DST_PORT, dp);
	end(m);
	end(m);
}

static void tcp_entry(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	tuple4(m, CTA_TUPLE_ORIG, "10.0.1.2", "10.0.2.2", IPPROTO_TCP,
	       40000, 80);
	tuple4(m, CTA_TUPLE_REPLY, "10.0.2.2", "10.0.1.2", IPPROTO_TCP,
	       80, 40000);
	nest(m, CTA_PROTOINFO);
	nest(m, CTA_PROTOINFO_TCP);
	put_u8(m, CTA_PROTOINFO_TCP_STATE, 3);
	end(m);
	end(m);
	put_be32(m, CTA_STATUS, IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED);
	put_be32(m, CTA_MARK, 0x00110000);
	put_be32(m, CTA_ID, 123456);
	put_be16(m, CTA_ZONE, 10);
}

START_TEST(test_ipv4_tcp)
{
	struct ct_entry e;
	struct msg m;
	char s[INET_ADDRSTRLEN];

	tcp_entry(&m);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_OK);
	ck_assert_uint_eq(e.orig.family, AF_INET);
	ck_assert_uint_eq(e.orig.proto, IPPROTO_TCP);
	inet_ntop(AF_INET, &e.orig.src, s, sizeof(s));
	ck_assert_str_eq(s, "10.0.1.2");
	inet_ntop(AF_INET, &e.reply.src, s, sizeof(s));
	ck_assert_str_eq(s, "10.0.2.2");
	ck_assert_uint_eq(e.orig.sport, 40000);
	ck_assert_uint_eq(e.orig.dport, 80);
	ck_assert_uint_eq(e.orig.zone, 10);
	ck_assert_uint_eq(e.reply.zone, 10);
	ck_assert_uint_eq(e.mark, 0x00110000);
	ck_assert(e.has_id);
	ck_assert_uint_eq(e.id, 123456);
	ck_assert(e.status & IPS_ASSURED);
	ck_assert(e.has_tcp_state);
	ck_assert_uint_eq(e.tcp_state, 3);
	/* the reply key is exactly the reversed orig: a flow without NAT */
	ck_assert_uint_eq(e.reply.sport, e.orig.dport);
	ck_assert(memcmp(&e.reply.dst, &e.orig.src, sizeof(e.orig.src)) == 0);
}
END_TEST

START_TEST(test_ipv6_icmp_echo)
{
	struct in6_addr a, b;
	struct ct_entry e;
	struct msg m;
	int k;

	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET6, "fd01::2", &a);
	inet_pton(AF_INET6, "fd02::2", &b);
	for (k = 0; k < 2; k++) {
		nest(&m, k ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG);
		nest(&m, CTA_TUPLE_IP);
		put(&m, CTA_IP_V6_SRC, k ? &b : &a, 16);
		put(&m, CTA_IP_V6_DST, k ? &a : &b, 16);
		end(&m);
		nest(&m, CTA_TUPLE_PROTO);
		put_u8(&m, CTA_PROTO_NUM, IPPROTO_ICMPV6);
		put_be16(&m, CTA_PROTO_ICMPV6_ID, 4242);
		put_u8(&m, CTA_PROTO_ICMPV6_TYPE, k ? 129 : 128);
		put_u8(&m, CTA_PROTO_ICMPV6_CODE, 0);
		end(&m);
		end(&m);
	}
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_OK);
	ck_assert_uint_eq(e.orig.family, AF_INET6);
	ck_assert(memcmp(&e.orig.src, &a, 16) == 0);
	ck_assert_uint_eq(e.orig.sport, 4242);
	ck_assert_uint_eq(e.orig.dport, 4242);
	ck_assert_uint_eq(e.reply.sport, 4242);
	/* absent: zone 0, mark 0, no id, no status, no TCP state */
	ck_assert_uint_eq(e.orig.zone, 0);
	ck_assert_uint_eq(e.mark, 0);
	ck_assert(!e.has_id && !e.has_status && !e.has_tcp_state);
}
END_TEST

START_TEST(test_nat_reply)
{
	struct ct_entry e;
	struct msg m;

	memset(&m, 0, sizeof(m));
	tuple4(&m, CTA_TUPLE_ORIG, "10.0.1.2", "192.0.2.1", IPPROTO_UDP,
	       5000, 53);
	tuple4(&m, CTA_TUPLE_REPLY, "10.9.9.9", "10.0.1.2", IPPROTO_UDP,
	       53, 5000);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_OK);
	ck_assert(memcmp(&e.reply.src, &e.orig.dst, 4) != 0);
}
END_TEST

START_TEST(test_missing_tuple)
{
	struct ct_entry e;
	struct msg m;

	memset(&m, 0, sizeof(m));
	tuple4(&m, CTA_TUPLE_ORIG, "10.0.1.2", "10.0.2.2", IPPROTO_TCP, 1, 2);
	put_be32(&m, CTA_MARK, 7);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_NO_TUPLE);
	ck_assert_int_eq(ctmsg_parse(m.b, 0, &e), CTMSG_NO_TUPLE);
}
END_TEST

START_TEST(test_bad_lengths)
{
	struct ct_entry e;
	struct nlattr a;
	struct msg m;

	tcp_entry(&m);
	/* the first attribute claims more than the message has */
	memcpy(&a, m.b, sizeof(a));
	a.nla_len = (uint16_t)(m.len + 4);
	memcpy(m.b, &a, sizeof(a));
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_TRUNCATED);
	/* shorter than its own header */
	a.nla_len = 2;
	memcpy(m.b, &a, sizeof(a));
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_TRUNCATED);
}
END_TEST

START_TEST(test_bad_tuples)
{
	struct in_addr v4;
	struct in6_addr v6;
	struct ct_entry e;
	struct msg m;

	/* addresses of both families */
	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET, "10.0.0.1", &v4);
	inet_pton(AF_INET6, "fd00::1", &v6);
	nest(&m, CTA_TUPLE_ORIG);
	nest(&m, CTA_TUPLE_IP);
	put(&m, CTA_IP_V4_SRC, &v4, 4);
	put(&m, CTA_IP_V4_DST, &v4, 4);
	put(&m, CTA_IP_V6_SRC, &v6, 16);
	put(&m, CTA_IP_V6_DST, &v6, 16);
	end(&m);
	end(&m);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_BAD_TUPLE);

	/* no protocol */
	memset(&m, 0, sizeof(m));
	nest(&m, CTA_TUPLE_ORIG);
	nest(&m, CTA_TUPLE_IP);
	put(&m, CTA_IP_V4_SRC, &v4, 4);
	put(&m, CTA_IP_V4_DST, &v4, 4);
	end(&m);
	end(&m);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_BAD_TUPLE);

	/* an address attribute shorter than an address */
	memset(&m, 0, sizeof(m));
	nest(&m, CTA_TUPLE_ORIG);
	nest(&m, CTA_TUPLE_IP);
	put(&m, CTA_IP_V4_SRC, &v4, 2);
	put(&m, CTA_IP_V4_DST, &v4, 4);
	end(&m);
	end(&m);
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_BAD_TUPLE);
}
END_TEST

START_TEST(test_damage_never_crashes)
{
	struct ct_entry e;
	struct msg m;
	size_t n, i;
	int ok = 0;

	tcp_entry(&m);
	/* every prefix: only the whole message (or one cut after the
	 * last attribute the parser needs) parses */
	for (n = 0; n <= m.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, m.b, n);
		ok += ctmsg_parse(copy, n, &e) == CTMSG_OK;
		free(copy);
	}
	ck_assert_int_ge(ok, 1);
	/* every byte, every value: exact-size heap copies, so a read past
	 * the end shows under valgrind or ASan */
	for (i = 0; i < m.len; i++) {
		for (n = 0; n < 256; n++) {
			uint8_t *copy = malloc(m.len);

			memcpy(copy, m.b, m.len);
			copy[i] = (uint8_t)n;
			ctmsg_parse(copy, m.len, &e);
			free(copy);
		}
	}
	ck_assert_int_eq(ctmsg_parse(m.b, m.len, &e), CTMSG_OK);
}
END_TEST

static Suite *ctmsg_suite(void)
{
	Suite *s = suite_create("ctmsg");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_ipv4_tcp);
	tcase_add_test(tc, test_ipv6_icmp_echo);
	tcase_add_test(tc, test_nat_reply);
	tcase_add_test(tc, test_missing_tuple);
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_bad_tuples);
	tcase_add_test(tc, test_damage_never_crashes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctmsg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

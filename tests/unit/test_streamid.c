// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/streamid.c: which side of a zone's streams a
 * packet is; the sid is read where nft's @ih reads it (after the UDP
 * header, after the TCP header with its options), and a payload too
 * short to hold it gives none, whatever the copy holds beyond the
 * datagram.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"
#include "streamid.h"
#include "unit.h"

static struct port_range ports_v[] = { { 5004, 5004 }, { 6000, 6010 } };

static struct l7_conf udp_l7(uint16_t offset, uint8_t length)
{
	return (struct l7_conf){
		.proto = IPPROTO_UDP, .offset = offset, .length = length,
		.ports = { .n = 2, .v = ports_v },
	};
}

/* An IPv4 packet: 20-byte header, then l4 (l4_len bytes). */
static size_t ipv4(uint8_t *buf, uint8_t proto, const uint8_t *l4,
		   size_t l4_len)
{
	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (uint8_t)((20 + l4_len) >> 8);
	buf[3] = (uint8_t)(20 + l4_len);
	buf[8] = 64;
	buf[9] = proto;
	buf[12] = 10, buf[15] = 1;
	buf[16] = 10, buf[19] = 2;
	memcpy(buf + 20, l4, l4_len);
	return 20 + l4_len;
}

static size_t udp(uint8_t *buf, uint16_t sport, uint16_t dport,
		  const uint8_t *payload, size_t len)
{
	uint8_t l4[128] = { 0 };

	l4[0] = (uint8_t)(sport >> 8), l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
	l4[4] = (uint8_t)((8 + len) >> 8), l4[5] = (uint8_t)(8 + len);
	memcpy(l4 + 8, payload, len);
	return ipv4(buf, IPPROTO_UDP, l4, 8 + len);
}

START_TEST(test_udp)
{
	static const uint8_t rtp[] = {
		0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00,
		0xde, 0xad, 0xbe, 0xef, 0xaa, 0xbb
	};
	struct l7_conf l = udp_l7(8, 4);
	uint8_t buf[256];
	struct pkt_info pi;
	struct stream_id sid;
	char hex[2 * SID_MAX_LEN + 1];
	size_t n = udp(buf, 40000, 5004, rtp, sizeof(rtp));

	ck_assert_int_eq(pkt_parse(buf, (uint32_t)n, (uint32_t)n, &pi), PKT_OK);
	ck_assert_int_eq(streamid_applies(&l, &pi.tuple), STREAMID_CLIENT);
	ck_assert(streamid_read(&l, &pi, buf, &sid));
	ck_assert_uint_eq(sid.len, 4);
	streamid_hex(&sid, hex);
	ck_assert_str_eq(hex, "deadbeef");
	ck_assert_uint_eq(sid.b[4], 0);

	/* the last bytes of the payload exactly */
	l = udp_l7(10, 4);
	ck_assert(streamid_read(&l, &pi, buf, &sid));
	streamid_hex(&sid, hex);
	ck_assert_str_eq(hex, "beefaabb");
	/* one byte past it */
	l = udp_l7(11, 4);
	ck_assert(!streamid_read(&l, &pi, buf, &sid));
	ck_assert_uint_eq(sid.len, 0);
}
END_TEST

START_TEST(test_short_copy_and_padding)
{
	static const uint8_t six[] = { 1, 2, 3, 4, 5, 6 };
	struct l7_conf l = udp_l7(2, 4);
	uint8_t buf[256];
	struct pkt_info pi;
	struct stream_id sid;
	size_t n = udp(buf, 40000, 6005, six, sizeof(six));

	/* link padding after the datagram is not payload */
	memset(buf + n, 0xee, 16);
	ck_assert_int_eq(pkt_parse(buf, (uint32_t)n + 16, (uint32_t)n + 16,
				   &pi), PKT_OK);
	ck_assert(streamid_read(&l, &pi, buf, &sid));
	l = udp_l7(4, 4);
	ck_assert(!streamid_read(&l, &pi, buf, &sid));
	/* a copy that ends inside the sid */
	l = udp_l7(2, 4);
	ck_assert_int_eq(pkt_parse(buf, (uint32_t)n - 1, (uint32_t)n, &pi),
			 PKT_OK);
	ck_assert(!streamid_read(&l, &pi, buf, &sid));
}
END_TEST

START_TEST(test_sides)
{
	struct l7_conf l = udp_l7(0, 1), none = { 0 };
	struct tuple t = { .family = AF_INET, .proto = IPPROTO_UDP,
			   .sport = 40000, .dport = 6010 };

	ck_assert_int_eq(streamid_applies(&l, &t), STREAMID_CLIENT);
	t.sport = 6000, t.dport = 40000;
	ck_assert_int_eq(streamid_applies(&l, &t), STREAMID_SERVER);
	t.sport = 40000, t.dport = 6011;
	ck_assert_int_eq(streamid_applies(&l, &t), STREAMID_NONE);
	t.dport = 5004;
	t.proto = IPPROTO_TCP;
	ck_assert_int_eq(streamid_applies(&l, &t), STREAMID_NONE);
	t.proto = IPPROTO_UDP;
	ck_assert_int_eq(streamid_applies(&none, &t), STREAMID_NONE);
}
END_TEST

START_TEST(test_tcp_options)
{
	struct l7_conf l = {
		.proto = IPPROTO_TCP, .offset = 0, .length = 2,
		.ports = { .n = 1, .v = ports_v },
	};
	uint8_t l4[64] = { 0 }, buf[128];
	struct pkt_info pi;
	struct stream_id sid;
	char hex[2 * SID_MAX_LEN + 1];
	size_t n;

	l4[0] = 0x9c, l4[1] = 0x40;		/* 40000 */
	l4[2] = 0x13, l4[3] = 0x8c;		/* 5004 */
	l4[12] = 8 << 4;			/* 32 bytes: 12 of options */
	l4[13] = 0x18;				/* PSH ACK */
	l4[20] = 1, l4[21] = 1, l4[22] = 8, l4[23] = 10;	/* NOP NOP TS */
	l4[32] = 0x12, l4[33] = 0x34;
	n = ipv4(buf, IPPROTO_TCP, l4, 34);
	ck_assert_int_eq(pkt_parse(buf, (uint32_t)n, (uint32_t)n, &pi), PKT_OK);
	ck_assert(streamid_read(&l, &pi, buf, &sid));
	streamid_hex(&sid, hex);
	ck_assert_str_eq(hex, "1234");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("streamid");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_short_copy_and_padding);
	tcase_add_test(tc, test_sides);
	tcase_add_test(tc, test_tcp_options);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/pkt.c. Packets are built byte by byte by the small
 * builders below, plus scapy-built vectors from pkt_vectors.h (see
 * gen_pkt_vectors.py). Every parse runs on an exact-size heap copy of
 * the captured bytes, so that ASan or valgrind catch a read past
 * buf[caplen - 1].
 *
 *   gcc -Wall -Wextra -Wshadow -D_GNU_SOURCE -Ilib \
 *       $(pkg-config --cflags check) tests/unit/test_pkt.c lib/pkt.c \
 *       $(pkg-config --libs check) -o /tmp/test_pkt
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"
#include "pkt_vectors.h"

#define A4 "192.0.2.1"
#define B4 "198.51.100.7"
#define R4 "203.0.113.254"
#define A6 "2001:db8::1"
#define B6 "2001:db8:ffff::7"
#define R6 "2001:db8:eeee::fe"

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80

/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
};

/* --- builders ----------------------------------------------------------- */

#define PB_MAX 4096

struct pb {
	uint8_t b[PB_MAX];
	uint32_t len;
};

static void put(struct pb *p, const void *d, uint32_t n)
{
	ck_assert_uint_le(p->len + n, PB_MAX);
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put8(struct pb *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pb *p, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(p, b, 2);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void zero(struct pb *p, uint32_t n)
{
	while (n--)
		put8(p, 0);
}

/* Recognisable payload: byte i of it is 0xa0 + i. */
static void fill(struct pb *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		put8(p, (uint8_t)(0xa0 + i));
}

static void set16(struct pb *p, uint32_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void put_addr(struct pb *p, int family, const char *s)
{
	uint8_t a[16];

	ck_assert_int_eq(inet_pton(family, s, a), 1);
	put(p, a, family == AF_INET ? 4 : 16);
}

/* IPv4 header without options; ip4_done() sets the total length. */
static uint32_t ip4(struct pb *p, uint8_t proto, const char *src,
		    const char *dst)
{
	uint32_t off = p->len;

	put8(p, 0x45);
	put8(p, 0);
	put16(p, 0);
	put16(p, 1);
	put16(p, 0);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put_addr(p, AF_INET, src);
	put_addr(p, AF_INET, dst);
	return off;
}

/* Options right after ip4(); n is a multiple of 4. */
static void ip4_opts(struct pb *p, uint32_t off, const uint8_t *opts,
		     uint32_t n)
{
	ck_assert_uint_eq(n % 4, 0);
	put(p, opts, n);
	p->b[off] = (uint8_t)(0x40 | (5 + n / 4));
}

static void ip4_frag(struct pb *p, uint32_t off, uint16_t offset8, int mf)
{
	set16(p, off + 6, (uint16_t)(offset8 | (mf ? 0x2000 : 0)));
}

static void ip4_done(struct pb *p, uint32_t off)
{
	set16(p, off + 2, (uint16_t)(p->len - off));
}

static uint32_t ip6(struct pb *p, uint8_t nh, const char *src,
		    const char *dst)
{
	uint32_t off = p->len;

	put32(p, 0x60000000);
	put16(p, 0);
	put8(p, nh);
	put8(p, 64);
	put_addr(p, AF_INET6, src);
	put_addr(p, AF_INET6, dst);
	return off;
}

static void ip6_done(struct pb *p, uint32_t off)
{
	set16(p, off + 4, (uint16_t)(p->len - off - 40));
}

/* Hop-by-hop, destination options or routing: (units + 1) * 8 bytes. */
static void ext(struct pb *p, uint8_t nh, uint8_t units)
{
	uint32_t n = ((uint32_t)units + 1) * 8;

	put8(p, nh);
	put8(p, units);
	put8(p, 1);		/* PadN over the rest */
	put8(p, (uint8_t)(n - 4));
	zero(p, n - 4);
}

static void frag6(struct pb *p, uint8_t nh, uint16_t offset_bytes, int m)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(offset_bytes | (m ? 1 : 0)));
	put32(p, 0xf00d);
}

/* Authentication header of (plen + 2) * 4 bytes, plen >= 1. */
static void ah(struct pb *p, uint8_t nh, uint8_t plen)
{
	put8(p, nh);
	put8(p, plen);
	put16(p, 0);
	put32(p, 0x100);
	put32(p, 1);
	zero(p, ((uint32_t)plen + 2) * 4 - 12);
}

static void tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags,
		const uint8_t *opts, uint32_t optlen)
{
	ck_assert_uint_eq(optlen % 4, 0);
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);
	put32(p, 0);
	put8(p, (uint8_t)((5 + optlen / 4) << 4));
	put8(p, flags);
	put16(p, 65535);
	put16(p, 0);
	put16(p, 0);
	if (optlen)
		put(p, opts, optlen);
}

static void udp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t paylen)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, (uint16_t)(8 + paylen));
	put16(p, 0);
	fill(p, paylen);
}

static void udplite(struct pb *p, uint16_t sport, uint16_t dport, uint16_t cov)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, cov);
	put16(p, 0);
}

/* Common header, then one INIT chunk of chunk_len bytes (0: none). */
static void sctp(struct pb *p, uint16_t sport, uint16_t dport,
		 uint16_t chunk_len)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 0);
	put32(p, 0);
	if (!chunk_len)
		return;
	put8(p, 1);
	put8(p, 0);
	put16(p, chunk_len);
	zero(p, chunk_len < 4 ? 0 : ((chunk_len + 3u) & ~3u) - 4);
}

static void dccp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t doff,
		 int x, uint8_t cscov)
{
	uint32_t start = p->len;

	put16(p, sport);
	put16(p, dport);
	put8(p, doff);
	put8(p, cscov & 0x0f);
	put16(p, 0);
	put8(p, (uint8_t)((1 << 1) | (x ? 1 : 0)));	/* type 1 (Data) */
	put8(p, 0);
	put16(p, 0);
	if (x)
		put32(p, 0);
	while (p->len - start < (uint32_t)doff * 4)
		put8(p, 0);
}

static void icmp(struct pb *p, uint8_t type, uint8_t code, uint16_t id,
		 uint16_t seq)
{
	put8(p, type);
	put8(p, code);
	put16(p, 0);
	put16(p, id);
	put16(p, seq);
}

static void pb_init(struct pb *p)
{
	memset(p, 0, sizeof(*p));
}

/* A4:40000 -> B4:443 TCP with the SYN options and paylen payload bytes. */
static void pkt_v4_tcp(struct pb *p, uint8_t flags, uint32_t paylen)
{
	uint32_t o;

	pb_init(p);
	o = ip4(p, IPPROTO_TCP, A4, B4);
	tcp(p, 40000, 443, flags, syn_opts, sizeof(syn_opts));
	fill(p, paylen);
	ip4_done(p, o);
}

static void pkt_v4_udp(struct pb *p, uint32_t paylen)
{
	uint32_t o;

	pb_init(p);
	o = ip4(p, IPPROTO_UDP, A4, B4);
	udp(p, 5353, 53, paylen);
	ip4_done(p, o);
}

/*
 * A6:50000 -> B6:22, hop-by-hop (8) + destination options (16) +
 * routing (24) + TCP with 20 bytes of options (40) + paylen:
 *   [0,40) IPv6, [40,88) extension headers, [88,128) TCP, [128,..) data
 */
static void pkt_v6_chain_tcp(struct pb *p, uint32_t paylen)
{
	uint32_t o;

	pb_init(p);
	o = ip6(p, IPPROTO_HOPOPTS, A6, B6);
	ext(p, IPPROTO_DSTOPTS, 0);
	ext(p, IPPROTO_ROUTING, 1);
	ext(p, IPPROTO_TCP, 2);
	tcp(p, 50000, 22, TH_SYN, syn_opts, sizeof(syn_opts));
	fill(p, paylen);
	ip6_done(p, o);
}

/* R4 -> A4: an ICMP error carrying the first keep bytes of inner. */
static void icmp4_err(struct pb *p, uint8_t type, uint8_t code,
		      const struct pb *inner, uint32_t keep)
{
	uint32_t o;

	pb_init(p);
	o = ip4(p, IPPROTO_ICMP, R4, A4);
	icmp(p, type, code, 0, 0);
	put(p, inner->b, keep);
	ip4_done(p, o);
}

static void icmp6_err(struct pb *p, uint8_t type, uint8_t code,
		      const struct pb *inner, uint32_t keep)
{
	uint32_t o;

	pb_init(p);
	o = ip6(p, IPPROTO_ICMPV6, R6, A6);
	icmp(p, type, code, 0, 0);
	put(p, inner->b, keep);
	ip6_done(p, o);
}

/* --- parsing and checking ----------------------------------------------- */

/* Parse an exact-size heap copy of the first caplen bytes. */
static enum pkt_err parse_n(const struct pb *p, uint32_t caplen,
			    uint32_t wire_len, struct pkt_info *pi)
{
	uint8_t *c = NULL;
	enum pkt_err err;

	if (caplen) {
		c = malloc(caplen);
		ck_assert_ptr_nonnull(c);
		memcpy(c, p->b, caplen < PB_MAX ? caplen : PB_MAX);
	}
	err = pkt_parse(c, caplen, wire_len, pi);
	free(c);
	return err;
}

static enum pkt_err parse(const struct pb *p, struct pkt_info *pi)
{
	return parse_n(p, p->len, p->len, pi);
}

#define ck_assert_err(got, want) do {					\
	enum pkt_err _g = (got), _w = (want);				\
	ck_assert_msg(_g == _w, "got %s, want %s", pkt_err_name(_g),	\
		      pkt_err_name(_w));				\
} while (0)

static struct tuple tup(int family, uint8_t proto, const char *src,
			const char *dst, uint16_t sport, uint16_t dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = (uint8_t)family;
	t.proto = proto;
	ck_assert_int_eq(inet_pton(family, src, &t.src), 1);
	ck_assert_int_eq(inet_pton(family, dst, &t.dst), 1);
	t.sport = sport;
	t.dport = dport;
	return t;
}

static void tuple_fmt(const struct tuple *t, char *out, size_t n)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	inet_ntop(t->family, &t->src, s, sizeof(s));
	inet_ntop(t->family, &t->dst, d, sizeof(d));
	snprintf(out, n, "[fam %u proto %u zone %u %s:%u -> %s:%u]",
		 t->family, t->proto, t->zone, s, t->sport, d, t->dport);
}

#define ck_assert_tuple_eq(a, b) do {					\
	char _x[160], _y[160];						\
	tuple_fmt((a), _x, sizeof(_x));					\
	tuple_fmt((b), _y, sizeof(_y));					\
	ck_assert_msg(!memcmp((a), (b), sizeof(struct tuple)),		\
		      "tuple %s != %s", _x, _y);			\
} while (0)

static void check_tuple(const struct pkt_info *pi, int family, uint8_t proto,
			const char *src, const char *dst, uint16_t sport,
			uint16_t dport)
{
	struct tuple t = tup(family, proto, src, dst, sport, dport);

	ck_assert_tuple_eq(&pi->tuple, &t);
}

/* --- names -------------------------------------------------------------- */

START_TEST(test_err_names)
{
	unsigned int i, j;

	for (i = 0; i < PKT_ERR__MAX; i++) {
		const char *n = pkt_err_name((enum pkt_err)i), *c;

		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "unknown");
		ck_assert_uint_gt(strlen(n), 1);
		for (c = n; *c; c++)
			ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '_' ||
				      (*c >= '0' && *c <= '9'),
				      "counter name \"%s\" not snake_case", n);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(n, pkt_err_name((enum pkt_err)j));
	}
	/* Pinned: these are daemon counter names, users graph them. */
	ck_assert_str_eq(pkt_err_name(PKT_OK), "ok");
	ck_assert_str_eq(pkt_err_name(PKT_ERR_IHL), "bad_ihl");
	ck_assert_str_eq(pkt_err_name(PKT_ERR_EXTHDR_TRUNC),
			 "ipv6_exthdr_truncated");
	ck_assert_str_eq(pkt_err_name(PKT_ERR_SHORT_L4), "l4_truncated");
	ck_assert_str_eq(pkt_err_name(PKT_ERR_ICMP_INNER), "bad_icmp_inner");
	ck_assert_str_eq(pkt_err_name(PKT_ERR__MAX), "unknown");
	ck_assert_str_eq(pkt_err_name((enum pkt_err)-1), "unknown");
	ck_assert_str_eq(pkt_err_name((enum pkt_err)1000), "unknown");
}
END_TEST

/* --- one packet per rejection reason ------------------------------------ */

/*
 * Build and parse a packet that must be rejected for exactly this
 * reason. No default: -Wswitch flags a reason added without a case.
 */
static enum pkt_err reason_case(enum pkt_err want)
{
	struct pkt_info pi;
	struct pb p, q;
	uint32_t o, i;

	pb_init(&p);
	switch (want) {
	case PKT_OK:
		pkt_v4_tcp(&p, TH_SYN, 0);
		return parse(&p, &pi);
	case PKT_ERR_CAPLEN:
		pkt_v4_tcp(&p, TH_SYN, 0);
		return parse_n(&p, p.len, p.len - 1, &pi);
	case PKT_ERR_RUNT:
		pkt_v4_tcp(&p, TH_SYN, 0);
		return parse_n(&p, 19, 19, &pi);
	case PKT_ERR_SHORT_L3:
		pkt_v4_tcp(&p, TH_SYN, 0);
		return parse_n(&p, 19, p.len, &pi);
	case PKT_ERR_VERSION:
		pkt_v4_tcp(&p, TH_SYN, 0);
		p.b[0] = 0x55;
		return parse(&p, &pi);
	case PKT_ERR_IHL:
		pkt_v4_tcp(&p, TH_SYN, 0);
		p.b[0] = 0x44;
		return parse(&p, &pi);
	case PKT_ERR_TOTLEN:
		pkt_v4_tcp(&p, TH_SYN, 0);
		set16(&p, 2, (uint16_t)(p.len + 1));
		return parse(&p, &pi);
	case PKT_ERR_IPV4_OPT:
		o = ip4(&p, IPPROTO_UDP, A4, B4);
		ip4_opts(&p, o, (const uint8_t[]){ 1, 0x44, 1, 0 }, 4);
		udp(&p, 1, 2, 0);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_IPV6_PLEN:
		pkt_v6_chain_tcp(&p, 0);
		return parse_n(&p, p.len - 1, p.len - 1, &pi);
	case PKT_ERR_JUMBO:
		pkt_v6_chain_tcp(&p, 0);
		set16(&p, 4, 0);
		return parse(&p, &pi);
	case PKT_ERR_EXTHDR_TRUNC:
		pkt_v6_chain_tcp(&p, 0);
		return parse_n(&p, 60, p.len, &pi);
	case PKT_ERR_EXTHDR_LEN:
		pkt_v6_chain_tcp(&p, 0);
		p.b[41] = 200;
		return parse(&p, &pi);
	case PKT_ERR_EXTHDR_ORDER:
		o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
		ext(&p, IPPROTO_HOPOPTS, 0);
		ext(&p, IPPROTO_UDP, 0);
		udp(&p, 1, 2, 0);
		ip6_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_EXTHDR_DUP:
		o = ip6(&p, IPPROTO_ROUTING, A6, B6);
		ext(&p, IPPROTO_ROUTING, 0);
		ext(&p, IPPROTO_UDP, 0);
		udp(&p, 1, 2, 0);
		ip6_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_EXTHDR_LOOP:
		o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
		for (i = 0; i < 120; i++)
			ext(&p, i < 119 ? IPPROTO_DSTOPTS : IPPROTO_UDP, 0);
		udp(&p, 1, 2, 0);
		ip6_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_FRAG:
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		ip4_frag(&p, o, 0, 1);
		zero(&p, 16);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_FRAG_BAD:
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		ip4_frag(&p, o, 10, 0);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_SHORT_L4:
		pkt_v4_tcp(&p, TH_SYN, 0);
		return parse_n(&p, 30, p.len, &pi);
	case PKT_ERR_L4_LEN:
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		zero(&p, 19);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_TCP_DOFF:
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		tcp(&p, 1, 2, TH_SYN, NULL, 0);
		p.b[o + 20 + 12] = 4 << 4;
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_TCP_OPT:
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		tcp(&p, 1, 2, TH_SYN, (const uint8_t[]){ 2, 0, 0, 0 }, 4);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_TCP_FLAGS:
		pkt_v4_tcp(&p, TH_SYN | TH_FIN, 0);
		return parse(&p, &pi);
	case PKT_ERR_UDP_LEN:
		pkt_v4_udp(&p, 4);
		set16(&p, 24, 7);
		return parse(&p, &pi);
	case PKT_ERR_UDPLITE_COV:
		o = ip4(&p, IPPROTO_UDPLITE, A4, B4);
		udplite(&p, 1, 2, 9);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_SCTP:
		o = ip4(&p, IPPROTO_SCTP, A4, B4);
		sctp(&p, 1, 2, 0);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_DCCP:
		o = ip4(&p, IPPROTO_DCCP, A4, B4);
		dccp(&p, 1, 2, 3, 1, 0);
		ip4_done(&p, o);
		return parse(&p, &pi);
	case PKT_ERR_ICMP_INNER:
		pkt_v4_udp(&q, 0);
		icmp4_err(&p, 3, 3, &q, 24);
		return parse(&p, &pi);
	case PKT_ERR__MAX:
		break;
	}
	ck_abort_msg("no case for %d", want);
	return PKT_OK;
}

START_TEST(test_every_reason)
{
	unsigned int e;

	for (e = 0; e < PKT_ERR__MAX; e++)
		ck_assert_err(reason_case((enum pkt_err)e), (enum pkt_err)e);
}
END_TEST

START_TEST(test_out_untouched_on_error)
{
	struct pkt_info pi, ref;
	struct pb p;

	pkt_v4_tcp(&p, TH_SYN | TH_RST, 10);
	memset(&pi, 0xaa, sizeof(pi));
	memcpy(&ref, &pi, sizeof(pi));
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_FLAGS);
	ck_assert_mem_eq(&pi, &ref, sizeof(pi));
}
END_TEST

/* --- IPv4 --------------------------------------------------------------- */

START_TEST(test_v4_tcp)
{
	struct pkt_info pi;
	struct pb p;

	pkt_v4_tcp(&p, TH_SYN, 10);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_TCP, A4, B4, 40000, 443);
	ck_assert_uint_eq(pi.l3_len, 70);
	ck_assert_uint_eq(pi.l4_off, 20);
	ck_assert_uint_eq(pi.payload_off, 60);
	ck_assert_uint_eq(pi.payload_len, 10);
	ck_assert_uint_eq(pi.payload_wire_len, 10);
	ck_assert_uint_eq(pi.tcp_flags, TH_SYN);
	ck_assert(!pi.fragment && !pi.later_fragment && !pi.icmp_error);
	/* IPv4 addresses sit in the first 4 bytes; the rest stays zero. */
	ck_assert_uint_eq(pi.tuple.src.b[4] | pi.tuple.src.b[15] |
			  pi.tuple.dst.b[4] | pi.tuple.dst.b[15], 0);
	ck_assert_uint_eq(pi.tuple.zone, 0);
}
END_TEST

START_TEST(test_v4_udp)
{
	struct pkt_info pi;
	struct pb p;

	pkt_v4_udp(&p, 33);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_UDP, A4, B4, 5353, 53);
	ck_assert_uint_eq(pi.payload_off, 28);
	ck_assert_uint_eq(pi.payload_len, 33);
	ck_assert_uint_eq(pi.payload_wire_len, 33);
	ck_assert_uint_eq(pi.tcp_flags, 0);
}
END_TEST

START_TEST(test_v4_udplite)
{
	static const uint16_t good[] = { 0, 8, 20, 28 }, bad[] = { 1, 7, 29,
								  0xffff };
	struct pkt_info pi;
	struct pb p;
	unsigned int i;
	uint32_t o;

	for (i = 0; i < 8; i++) {
		uint16_t cov = i < 4 ? good[i] : bad[i - 4];

		pb_init(&p);
		o = ip4(&p, IPPROTO_UDPLITE, A4, B4);
		udplite(&p, 5004, 5006, cov);
		fill(&p, 20);		/* UDP-Lite length: 28 */
		ip4_done(&p, o);
		ck_assert_err(parse(&p, &pi), i < 4 ? PKT_OK :
			      PKT_ERR_UDPLITE_COV);
		if (i < 4) {
			check_tuple(&pi, AF_INET, IPPROTO_UDPLITE, A4, B4,
				    5004, 5006);
			ck_assert_uint_eq(pi.payload_off, 28);
			ck_assert_uint_eq(pi.payload_len, 20);
		}
	}
}
END_TEST

START_TEST(test_v4_sctp)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	pb_init(&p);
	o = ip4(&p, IPPROTO_SCTP, A4, B4);
	sctp(&p, 36412, 2905, 20);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_SCTP, A4, B4, 36412, 2905);
	ck_assert_uint_eq(pi.payload_off, 32);
	ck_assert_uint_eq(pi.payload_wire_len, 20);
	/* Only the common header is in the capture: fine, not checked. */
	ck_assert_err(parse_n(&p, 34, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 2);

	/* First chunk length below 4, past the packet; no chunk at all. */
	p.b[34] = 0;
	p.b[35] = 3;
	ck_assert_err(parse(&p, &pi), PKT_ERR_SCTP);
	p.b[35] = 21;
	ck_assert_err(parse(&p, &pi), PKT_ERR_SCTP);
	p.b[35] = 20;
	ck_assert_err(parse(&p, &pi), PKT_OK);
	p.len = 32;
	ip4_done(&p, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_SCTP);
	p.len = 30;
	ip4_done(&p, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);
	/* Shorter than the common header in the capture only. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_SCTP, A4, B4);
	sctp(&p, 1, 2, 4);
	ip4_done(&p, o);
	ck_assert_err(parse_n(&p, 31, p.len, &pi), PKT_ERR_SHORT_L4);
}
END_TEST

START_TEST(test_v4_dccp)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* X = 1: 16-byte header, data offset 5 (one word of options). */
	pb_init(&p);
	o = ip4(&p, IPPROTO_DCCP, A4, B4);
	dccp(&p, 5001, 6001, 5, 1, 0);
	fill(&p, 12);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_DCCP, A4, B4, 5001, 6001);
	ck_assert_uint_eq(pi.payload_off, 40);
	ck_assert_uint_eq(pi.payload_len, 12);
	ck_assert_err(parse_n(&p, 39, p.len, &pi), PKT_ERR_SHORT_L4);

	p.b[24] = 3;		/* 12 bytes, but X asks for 16 */
	ck_assert_err(parse(&p, &pi), PKT_ERR_DCCP);
	p.b[24] = 9;		/* 36 bytes, the packet has 32 */
	ck_assert_err(parse(&p, &pi), PKT_ERR_DCCP);
	p.b[24] = 8;
	ck_assert_err(parse(&p, &pi), PKT_OK);
	p.b[25] = 9;		/* coverage 32 bytes: fits */
	ck_assert_err(parse(&p, &pi), PKT_OK);
	p.b[25] = 10;		/* coverage 36 bytes: past the packet */
	ck_assert_err(parse(&p, &pi), PKT_ERR_DCCP);

	/* Shorter than the generic header: in the packet, in the capture. */
	ck_assert_err(parse_n(&p, 31, p.len, &pi), PKT_ERR_SHORT_L4);
	p.len = 28;
	ip4_done(&p, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);

	/* X = 0: 12 bytes is a whole header, 8 is not. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_DCCP, A4, B4);
	dccp(&p, 1, 2, 3, 0, 0);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_off, 32);
	p.b[24] = 2;
	ck_assert_err(parse(&p, &pi), PKT_ERR_DCCP);
}
END_TEST

START_TEST(test_v4_icmp_echo)
{
	struct pkt_info req, rep, rev;
	struct pb p;
	uint32_t o;

	pb_init(&p);
	o = ip4(&p, IPPROTO_ICMP, A4, B4);
	icmp(&p, 8, 0, 0x1234, 1);
	fill(&p, 16);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &req), PKT_OK);
	check_tuple(&req, AF_INET, IPPROTO_ICMP, A4, B4, 0x1234, 0x1234);
	ck_assert_uint_eq(req.icmp_type, 8);
	ck_assert_uint_eq(req.payload_off, 28);
	ck_assert_uint_eq(req.payload_len, 16);
	ck_assert(!req.icmp_error);

	/* The reply's tuple is the request's reversed, as for TCP/UDP. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_ICMP, B4, A4);
	icmp(&p, 0, 0, 0x1234, 1);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &rep), PKT_OK);
	tuple_reverse(&req.tuple, &rev.tuple);
	ck_assert_tuple_eq(&rep.tuple, &rev.tuple);
}
END_TEST

START_TEST(test_v4_icmp_other_types)
{
	static const struct {
		uint8_t type;
		int has_id;
	} types[] = {
		{ 13, 1 }, { 14, 1 }, { 15, 1 }, { 16, 1 }, { 17, 1 },
		{ 18, 1 }, { 9, 0 }, { 10, 0 }, { 42, 0 }, { 255, 0 },
	};
	struct pkt_info pi;
	struct pb p;
	unsigned int i;
	uint32_t o;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint16_t id = types[i].has_id ? 0x0777 : 0;

		pb_init(&p);
		o = ip4(&p, IPPROTO_ICMP, A4, B4);
		icmp(&p, types[i].type, 0, 0x0777, 9);
		zero(&p, 12);
		ip4_done(&p, o);
		ck_assert_err(parse(&p, &pi), PKT_OK);
		check_tuple(&pi, AF_INET, IPPROTO_ICMP, A4, B4, id, id);
		ck_assert(!pi.icmp_error);
	}
	/* ICMP shorter than its 8-byte header. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_ICMP, A4, B4);
	put32(&p, 0x08000000);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);
}
END_TEST

START_TEST(test_v4_other_proto)
{
	static const uint8_t protos[] = { IPPROTO_GRE, IPPROTO_ESP, IPPROTO_AH,
					  IPPROTO_IPIP, IPPROTO_IPV6, 0, 253,
					  IPPROTO_ICMPV6, IPPROTO_NONE };
	struct pkt_info pi;
	struct pb p;
	unsigned int i;
	uint32_t o;

	for (i = 0; i < sizeof(protos); i++) {
		pb_init(&p);
		o = ip4(&p, protos[i], A4, B4);
		fill(&p, 7);
		ip4_done(&p, o);
		ck_assert_err(parse(&p, &pi), PKT_OK);
		check_tuple(&pi, AF_INET, protos[i], A4, B4, 0, 0);
		ck_assert_uint_eq(pi.l4_off, 20);
		ck_assert_uint_eq(pi.payload_off, 20);
		/* IPv6's "no next header" means nothing in IPv4. */
		ck_assert_uint_eq(pi.payload_len, 7);
	}
}
END_TEST

START_TEST(test_v4_header_checks)
{
	struct pkt_info pi;
	struct pb p;
	uint8_t v;

	pkt_v4_tcp(&p, TH_ACK, 4);
	for (v = 0; v < 5; v++) {
		p.b[0] = (uint8_t)(0x40 | v);
		ck_assert_err(parse(&p, &pi), PKT_ERR_IHL);
	}
	/* IHL 15 (60 bytes): within the capture, the options are TCP bytes. */
	p.b[0] = 0x4f;
	ck_assert_err(parse(&p, &pi), PKT_ERR_IPV4_OPT);
	p.b[0] = 0x45;

	set16(&p, 2, 19);
	ck_assert_err(parse(&p, &pi), PKT_ERR_TOTLEN);
	set16(&p, 2, (uint16_t)(p.len + 1));
	ck_assert_err(parse(&p, &pi), PKT_ERR_TOTLEN);
	set16(&p, 2, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_JUMBO);
	set16(&p, 2, (uint16_t)p.len);
	ck_assert_err(parse(&p, &pi), PKT_OK);

	/* Version nibbles other than 4 and 6. */
	for (v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p.b[0] = (uint8_t)(v << 4 | 5);
		ck_assert_err(parse(&p, &pi), PKT_ERR_VERSION);
	}
	p.b[0] = 0x45;

	/* Empty and runt packets; cut captures of long enough packets. */
	ck_assert_err(parse_n(&p, 0, 0, &pi), PKT_ERR_RUNT);
	ck_assert_err(pkt_parse(NULL, 0, 0, &pi), PKT_ERR_RUNT);
	ck_assert_err(pkt_parse(NULL, 0, 100, &pi), PKT_ERR_SHORT_L3);
	ck_assert_err(parse_n(&p, 1, 1, &pi), PKT_ERR_RUNT);
	ck_assert_err(parse_n(&p, 19, 19, &pi), PKT_ERR_RUNT);
	ck_assert_err(parse_n(&p, 1, p.len, &pi), PKT_ERR_SHORT_L3);
	ck_assert_err(parse_n(&p, 19, p.len, &pi), PKT_ERR_SHORT_L3);
	ck_assert_err(parse_n(&p, p.len, p.len - 1, &pi), PKT_ERR_CAPLEN);
}
END_TEST

START_TEST(test_v4_ihl_beyond_capture)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* 60-byte header of NOPs, cut by a 40-byte copy range. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_UDP, A4, B4);
	ip4_opts(&p, o, (const uint8_t[40]){ [0 ... 39] = 1 }, 40);
	udp(&p, 1, 2, 10);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.l4_off, 60);
	ck_assert_err(parse_n(&p, 40, p.len, &pi), PKT_ERR_SHORT_L3);
	ck_assert_err(parse_n(&p, 59, p.len, &pi), PKT_ERR_SHORT_L3);
	ck_assert_err(parse_n(&p, 60, p.len, &pi), PKT_ERR_SHORT_L4);
	ck_assert_err(parse_n(&p, 68, p.len, &pi), PKT_OK);
	/* Total length shorter than the 60-byte header. */
	set16(&p, 2, 59);
	ck_assert_err(parse(&p, &pi), PKT_ERR_TOTLEN);
}
END_TEST

START_TEST(test_v4_options)
{
	static const struct {
		uint8_t o[8];
		uint32_t n;
		enum pkt_err err;
	} cases[] = {
		{ { 1, 1, 1, 1 }, 4, PKT_OK },
		{ { 0, 0xff, 0xff, 0xff }, 4, PKT_OK },	/* after EOL: padding */
		{ { 7, 7, 4, 10, 1, 1, 1, 0 }, 8, PKT_OK },	/* RR */
		{ { 0x94, 4, 0, 0 }, 4, PKT_OK },		/* RA */
		{ { 0x44, 0, 1, 1 }, 4, PKT_ERR_IPV4_OPT },	/* length 0 */
		{ { 0x44, 1, 1, 1 }, 4, PKT_ERR_IPV4_OPT },	/* length 1 */
		{ { 0x44, 5, 0, 0 }, 4, PKT_ERR_IPV4_OPT },	/* past end */
		{ { 1, 1, 0x44, 3 }, 4, PKT_ERR_IPV4_OPT },
		{ { 1, 1, 1, 0x44 }, 4, PKT_ERR_IPV4_OPT },	/* no length */
		{ { 0x94, 4, 0, 0, 7, 0xff, 0, 0 }, 8, PKT_ERR_IPV4_OPT },
	};
	struct pkt_info pi;
	struct pb p;
	unsigned int i;
	uint32_t o;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t n = cases[i].n;

		pb_init(&p);
		o = ip4(&p, IPPROTO_UDP, A4, B4);
		ip4_opts(&p, o, cases[i].o, n);
		udp(&p, 1, 2, 0);
		ip4_done(&p, o);
		ck_assert_msg(parse(&p, &pi) == cases[i].err, "case %u", i);
		if (cases[i].err == PKT_OK)
			check_tuple(&pi, AF_INET, IPPROTO_UDP, A4, B4, 1, 2);
	}
}
END_TEST

START_TEST(test_v4_link_padding)
{
	struct pkt_info pi;
	struct pb p;

	/* An Ethernet minimum frame pads a short packet: not payload. */
	pkt_v4_udp(&p, 2);
	zero(&p, 16);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.l3_len, 30);
	ck_assert_uint_eq(pi.payload_len, 2);
	ck_assert_uint_eq(pi.payload_wire_len, 2);
	/* Padding present on the wire but not captured. */
	ck_assert_err(parse_n(&p, 30, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 2);
}
END_TEST

/* --- TCP ---------------------------------------------------------------- */

START_TEST(test_tcp_flags_all)
{
	/* conntrack's table; PSH, ECE and CWR never matter. */
	static const uint8_t ok[] = {
		TH_SYN, TH_SYN | TH_URG, TH_SYN | TH_ACK, TH_RST,
		TH_RST | TH_ACK, TH_FIN | TH_ACK, TH_FIN | TH_ACK | TH_URG,
		TH_ACK, TH_ACK | TH_URG,
	};
	struct pkt_info pi;
	unsigned int f, i;
	struct pb p;

	for (f = 0; f < 256; f++) {
		uint8_t core = f & (TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG);
		int valid = 0;

		for (i = 0; i < sizeof(ok); i++)
			valid |= core == ok[i];
		pkt_v4_tcp(&p, (uint8_t)f, 0);
		ck_assert_msg(parse(&p, &pi) == (valid ? PKT_OK :
						 PKT_ERR_TCP_FLAGS),
			      "flags 0x%02x", f);
		if (valid)
			ck_assert_uint_eq(pi.tcp_flags, f);
	}
	/* The named offenders. */
	pkt_v4_tcp(&p, TH_SYN | TH_FIN, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_FLAGS);
	pkt_v4_tcp(&p, TH_SYN | TH_RST, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_FLAGS);
	pkt_v4_tcp(&p, 0, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_FLAGS);
	pkt_v4_tcp(&p, TH_FIN | TH_PSH | TH_URG, 0);	/* Xmas */
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_FLAGS);
	pkt_v4_tcp(&p, TH_SYN | TH_ECE | TH_CWR, 0);
	ck_assert_err(parse(&p, &pi), PKT_OK);
}
END_TEST

START_TEST(test_tcp_doff)
{
	struct pkt_info pi;
	struct pb p;
	uint8_t d;

	pkt_v4_tcp(&p, TH_ACK, 8);	/* 40-byte header, 8 bytes data */
	for (d = 0; d < 5; d++) {
		p.b[32] = (uint8_t)(d << 4);
		ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_DOFF);
	}
	p.b[32] = 12 << 4;		/* 48 bytes: the options + the data */
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_OPT);
	p.b[32] = 13 << 4;		/* 52: past the segment */
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_DOFF);
	p.b[32] = 15 << 4;
	ck_assert_err(parse(&p, &pi), PKT_ERR_TCP_DOFF);
	/* Within the segment but past the capture. */
	p.b[32] = 10 << 4;
	ck_assert_err(parse_n(&p, 59, p.len, &pi), PKT_ERR_SHORT_L4);
	ck_assert_err(parse_n(&p, 60, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 0);
	ck_assert_uint_eq(pi.payload_wire_len, 8);
}
END_TEST

START_TEST(test_tcp_options)
{
	static const struct {
		uint8_t o[8];
		uint32_t n;
		enum pkt_err err;
	} cases[] = {
		{ { 1, 1, 1, 1 }, 4, PKT_OK },
		{ { 0, 0x99, 0x99, 0x99 }, 4, PKT_OK },	/* after EOL: padding */
		{ { 2, 4, 5, 0xb4 }, 4, PKT_OK },
		{ { 1, 1, 4, 2, 1, 3, 3, 7 }, 8, PKT_OK },
		{ { 2, 0, 5, 0xb4 }, 4, PKT_ERR_TCP_OPT },	/* length 0 */
		{ { 2, 1, 5, 0xb4 }, 4, PKT_ERR_TCP_OPT },	/* length 1 */
		{ { 2, 5, 5, 0xb4 }, 4, PKT_ERR_TCP_OPT },	/* past end */
		{ { 1, 1, 1, 2 }, 4, PKT_ERR_TCP_OPT },	/* no length byte */
		{ { 1, 1, 8, 10, 0, 0, 0, 0 }, 8, PKT_ERR_TCP_OPT },
		{ { 2, 4, 5, 0xb4, 0xfe, 0xff, 0, 0 }, 8, PKT_ERR_TCP_OPT },
	};
	struct pkt_info pi;
	struct pb p;
	unsigned int i;
	uint32_t o;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t n = cases[i].n;

		pb_init(&p);
		o = ip4(&p, IPPROTO_TCP, A4, B4);
		tcp(&p, 1, 2, TH_SYN, cases[i].o, n);
		ip4_done(&p, o);
		ck_assert_msg(parse(&p, &pi) == cases[i].err, "case %u", i);
	}
}
END_TEST

/* --- UDP ---------------------------------------------------------------- */

START_TEST(test_udp_len)
{
	struct pkt_info pi;
	struct pb p;

	pkt_v4_udp(&p, 12);		/* UDP length 20 */
	set16(&p, 24, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_UDP_LEN);
	set16(&p, 24, 7);
	ck_assert_err(parse(&p, &pi), PKT_ERR_UDP_LEN);
	set16(&p, 24, 21);
	ck_assert_err(parse(&p, &pi), PKT_ERR_UDP_LEN);
	/* Shorter than the IP payload: legal, the rest is not payload. */
	set16(&p, 24, 8);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_wire_len, 0);
	ck_assert_uint_eq(pi.payload_len, 0);
	set16(&p, 24, 13);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_wire_len, 5);
	ck_assert_uint_eq(pi.payload_len, 5);
	ck_assert_err(parse_n(&p, 30, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 2);
	/* UDP header cut by the capture, or missing from the packet. */
	ck_assert_err(parse_n(&p, 27, p.len, &pi), PKT_ERR_SHORT_L4);
	p.len = 27;
	ip4_done(&p, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);
}
END_TEST

/* --- IPv6 --------------------------------------------------------------- */

START_TEST(test_v6_basic)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	pb_init(&p);
	o = ip6(&p, IPPROTO_TCP, A6, B6);
	tcp(&p, 50000, 22, TH_SYN | TH_ACK, syn_opts, sizeof(syn_opts));
	fill(&p, 3);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_TCP, A6, B6, 50000, 22);
	ck_assert_uint_eq(pi.l4_off, 40);
	ck_assert_uint_eq(pi.payload_off, 80);
	ck_assert_uint_eq(pi.payload_len, 3);

	pb_init(&p);
	o = ip6(&p, IPPROTO_UDP, A6, B6);
	udp(&p, 4500, 4501, 64);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_UDP, A6, B6, 4500, 4501);
	ck_assert_uint_eq(pi.payload_wire_len, 64);

	pb_init(&p);
	o = ip6(&p, IPPROTO_UDPLITE, A6, B6);
	udplite(&p, 7, 8, 8);
	fill(&p, 4);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_UDPLITE, A6, B6, 7, 8);

	pb_init(&p);
	o = ip6(&p, IPPROTO_SCTP, A6, B6);
	sctp(&p, 5060, 5061, 16);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_SCTP, A6, B6, 5060, 5061);

	pb_init(&p);
	o = ip6(&p, IPPROTO_DCCP, A6, B6);
	dccp(&p, 9, 10, 4, 1, 0);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_DCCP, A6, B6, 9, 10);

	/* ICMP (v4) inside IPv6 is just a protocol number. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_ICMP, A6, B6);
	icmp(&p, 8, 0, 5, 5);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_ICMP, A6, B6, 0, 0);
}
END_TEST

START_TEST(test_v6_icmp6_echo)
{
	struct pkt_info req, rep, rev;
	struct pb p;
	uint32_t o;

	pb_init(&p);
	o = ip6(&p, IPPROTO_ICMPV6, A6, B6);
	icmp(&p, 128, 0, 0xbeef, 1);
	fill(&p, 56);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &req), PKT_OK);
	check_tuple(&req, AF_INET6, IPPROTO_ICMPV6, A6, B6, 0xbeef, 0xbeef);
	ck_assert_uint_eq(req.icmp_type, 128);
	ck_assert_uint_eq(req.payload_len, 56);

	pb_init(&p);
	o = ip6(&p, IPPROTO_ICMPV6, B6, A6);
	icmp(&p, 129, 0, 0xbeef, 1);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &rep), PKT_OK);
	tuple_reverse(&req.tuple, &rev.tuple);
	ck_assert_tuple_eq(&rep.tuple, &rev.tuple);

	/* Neighbour discovery and MLD: no id. Node information: id. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_ICMPV6, A6, B6);
	icmp(&p, 135, 0, 0x1111, 0x2222);
	zero(&p, 16);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &rep), PKT_OK);
	check_tuple(&rep, AF_INET6, IPPROTO_ICMPV6, A6, B6, 0, 0);
	p.b[40] = 139;
	ck_assert_err(parse(&p, &rep), PKT_OK);
	check_tuple(&rep, AF_INET6, IPPROTO_ICMPV6, A6, B6, 0x1111, 0x1111);
}
END_TEST

START_TEST(test_v6_ext_chain)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	pkt_v6_chain_tcp(&p, 20);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_TCP, A6, B6, 50000, 22);
	ck_assert_uint_eq(pi.l4_off, 88);
	ck_assert_uint_eq(pi.payload_off, 128);
	ck_assert_uint_eq(pi.payload_len, 20);

	/* Hop-by-hop + dest opts + routing + fragment (first) + TCP. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_HOPOPTS, A6, B6);
	ext(&p, IPPROTO_DSTOPTS, 0);
	ext(&p, IPPROTO_ROUTING, 0);
	ext(&p, IPPROTO_FRAGMENT, 2);
	frag6(&p, IPPROTO_TCP, 0, 1);
	tcp(&p, 1234, 80, TH_SYN, syn_opts, sizeof(syn_opts));
	fill(&p, 16);			/* 56 bytes after the fragment header */
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_TCP, A6, B6, 1234, 80);
	ck_assert(pi.fragment && !pi.later_fragment);
	ck_assert_uint_eq(pi.l4_off, 40 + 8 + 8 + 24 + 8);
	ck_assert_uint_eq(pi.payload_len, 16);

	/* AH ((plen + 2) * 4 bytes) and a second destination options. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_HOPOPTS, A6, B6);
	ext(&p, IPPROTO_DSTOPTS, 1);
	ext(&p, IPPROTO_ROUTING, 0);
	ext(&p, IPPROTO_AH, 0);
	ah(&p, IPPROTO_DSTOPTS, 4);
	ext(&p, IPPROTO_UDP, 0);
	udp(&p, 53, 5353, 5);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_UDP, A6, B6, 53, 5353);
	ck_assert_uint_eq(pi.l4_off, 40 + 8 + 16 + 8 + 24 + 8);

	/* ESP and "no next header" end the walk, keyed by proto. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
	ext(&p, IPPROTO_ESP, 0);
	put32(&p, 0x1001);
	fill(&p, 20);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_ESP, A6, B6, 0, 0);
	ck_assert_uint_eq(pi.l4_off, 48);
	ck_assert_uint_eq(pi.payload_len, 24);
	p.b[40] = IPPROTO_NONE;
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_NONE, A6, B6, 0, 0);
	ck_assert_uint_eq(pi.payload_len, 0);
	ck_assert_uint_eq(pi.payload_wire_len, 0);
}
END_TEST

START_TEST(test_v6_ext_rules)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* Hop-by-hop twice, or after another header. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_HOPOPTS, A6, B6);
	ext(&p, IPPROTO_HOPOPTS, 0);
	ext(&p, IPPROTO_UDP, 0);
	udp(&p, 1, 2, 0);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_ORDER);
	/* Two fragment headers. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_FRAGMENT, A6, B6);
	frag6(&p, IPPROTO_FRAGMENT, 0, 1);
	frag6(&p, IPPROTO_UDP, 0, 1);
	udp(&p, 1, 2, 0);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_DUP);
	/* Two destination options are fine (RFC 8200 allows it). */
	pb_init(&p);
	o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
	ext(&p, IPPROTO_DSTOPTS, 0);
	ext(&p, IPPROTO_UDP, 0);
	udp(&p, 1, 2, 0);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
}
END_TEST

static void v6_chain_of(struct pb *p, uint8_t kind, unsigned int n)
{
	unsigned int i;
	uint32_t o;

	pb_init(p);
	o = ip6(p, kind, A6, B6);
	for (i = 0; i < n; i++) {
		uint8_t nh = i + 1 < n ? kind : IPPROTO_UDP;

		if (kind == IPPROTO_AH)
			ah(p, nh, 1);
		else
			ext(p, nh, 0);
	}
	udp(p, 1, 2, 0);
	ip6_done(p, o);
}

START_TEST(test_v6_ext_many)
{
	struct pkt_info pi;
	struct pb p;
	unsigned int n;

	for (n = 1; n <= 130; n++) {
		v6_chain_of(&p, IPPROTO_DSTOPTS, n);
		ck_assert_err(parse(&p, &pi), n <= PKT_MAX_EXTHDR ? PKT_OK :
			      PKT_ERR_EXTHDR_LOOP);
		v6_chain_of(&p, IPPROTO_AH, n);
		ck_assert_err(parse(&p, &pi), n <= PKT_MAX_EXTHDR ? PKT_OK :
			      PKT_ERR_EXTHDR_LOOP);
	}
	v6_chain_of(&p, IPPROTO_DSTOPTS, 16);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.l4_off, 40 + 16 * 8);
	/* A long chain cut by the capture before the bound is reached. */
	v6_chain_of(&p, IPPROTO_DSTOPTS, 120);
	ck_assert_err(parse_n(&p, 100, p.len, &pi), PKT_ERR_EXTHDR_TRUNC);
}
END_TEST

START_TEST(test_v6_ext_len_arith)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* Length byte 255: 2048 bytes claimed, 16 present. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
	ext(&p, IPPROTO_UDP, 0);
	udp(&p, 1, 2, 0);
	ip6_done(&p, o);
	p.b[41] = 255;
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_LEN);
	/* Same, but the packet really is that long: the capture cut it. */
	p.len = 40 + 2048 + 8;
	ip6_done(&p, o);
	ck_assert_err(parse_n(&p, 64, p.len, &pi), PKT_ERR_EXTHDR_TRUNC);
	ck_assert_err(parse_n(&p, p.len - 8, p.len, &pi), PKT_ERR_SHORT_L4);
	/* AH with length 255: (255 + 2) * 4 bytes. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_AH, A6, B6);
	ah(&p, IPPROTO_UDP, 1);
	udp(&p, 1, 2, 0);
	ip6_done(&p, o);
	p.b[41] = 255;
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_LEN);
	/* Fewer than 8 bytes left for an extension header. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_ROUTING, A6, B6);
	zero(&p, 6);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_LEN);
}
END_TEST

START_TEST(test_v6_plen)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	pkt_v6_chain_tcp(&p, 4);
	/* Longer than the packet. */
	set16(&p, 4, (uint16_t)(p.len - 40 + 1));
	ck_assert_err(parse(&p, &pi), PKT_ERR_IPV6_PLEN);
	set16(&p, 4, 0xffff);
	ck_assert_err(parse(&p, &pi), PKT_ERR_IPV6_PLEN);
	/* Shorter than the wire: the link padded it. */
	set16(&p, 4, (uint16_t)(p.len - 40));
	zero(&p, 10);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.l3_len, p.len - 10);
	ck_assert_uint_eq(pi.payload_len, 4);
	/* 0 on a longer packet: a jumbogram (or BIG TCP). */
	set16(&p, 4, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_JUMBO);

	/* 0 on a bare 40-byte header: nothing follows. */
	pb_init(&p);
	ip6(&p, IPPROTO_NONE, A6, B6);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_NONE, A6, B6, 0, 0);
	p.b[6] = IPPROTO_TCP;
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);
	p.b[6] = IPPROTO_HOPOPTS;
	ck_assert_err(parse(&p, &pi), PKT_ERR_EXTHDR_LEN);

	/* RFC 2675 jumbogram: jumbo option, UDP length 0. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_HOPOPTS, A6, B6);
	put8(&p, IPPROTO_UDP);
	put8(&p, 0);
	put8(&p, 0xc2);
	put8(&p, 4);
	put32(&p, 70000);
	udp(&p, 1, 2, 16);
	set16(&p, 48 + 4, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_JUMBO);
	(void)o;

	/* Runt and cut IPv6 headers. */
	pkt_v6_chain_tcp(&p, 0);
	ck_assert_err(parse_n(&p, 39, 39, &pi), PKT_ERR_RUNT);
	ck_assert_err(parse_n(&p, 39, p.len, &pi), PKT_ERR_SHORT_L3);
}
END_TEST

/* --- fragments ---------------------------------------------------------- */

START_TEST(test_v4_fragments)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* First fragment holding the TCP header: ports as usual. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_TCP, A4, B4);
	ip4_frag(&p, o, 0, 1);
	tcp(&p, 3333, 22, TH_ACK, NULL, 0);
	fill(&p, 4);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_TCP, A4, B4, 3333, 22);
	ck_assert(pi.fragment && !pi.later_fragment);
	ck_assert_uint_eq(pi.payload_len, 4);
	ck_assert_uint_eq(pi.payload_wire_len, 4);
	/* TCP data offset past the end of the first fragment. */
	p.b[32] = 7 << 4;
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG);

	/* First fragment too short for the TCP header. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_TCP, A4, B4);
	ip4_frag(&p, o, 0, 1);
	zero(&p, 16);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG);
	/* ... and too short for SCTP's first chunk. */
	p.b[9] = IPPROTO_SCTP;
	p.len = 32;
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG);
	/* UDP: 8 bytes are enough; its length covers the whole datagram. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_UDP, A4, B4);
	ip4_frag(&p, o, 0, 1);
	udp(&p, 1, 2, 8);
	set16(&p, 24, 1400);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_UDP, A4, B4, 1, 2);
	ck_assert_uint_eq(pi.payload_wire_len, 8);

	/* Later fragment: no ports, no payload window. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_TCP, A4, B4);
	ip4_frag(&p, o, 185, 1);
	fill(&p, 24);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_TCP, A4, B4, 0, 0);
	ck_assert(pi.fragment && pi.later_fragment);
	ck_assert_uint_eq(pi.l4_off, 20);
	ck_assert_uint_eq(pi.payload_len, 0);
	ck_assert_uint_eq(pi.payload_wire_len, 0);
	/* The last one, odd size: fine. */
	ip4_frag(&p, o, 185, 0);
	p.len -= 3;
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert(pi.later_fragment);
	/* Ending past 64 KiB: 65520 + 21; 65512 + 21 still fits. */
	ip4_frag(&p, o, 8190, 0);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);
	ip4_frag(&p, o, 8189, 0);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	/* Empty, first or later. */
	p.len = 20;
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);
	ip4_frag(&p, o, 0, 1);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);
	/* DF alone is no fragment. */
	set16(&p, 6, 0x4000);
	ck_assert_err(parse(&p, &pi), PKT_ERR_L4_LEN);
}
END_TEST

START_TEST(test_v6_fragments)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t o;

	/* Later fragment: proto from the fragment header, ports 0. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_DSTOPTS, A6, B6);
	ext(&p, IPPROTO_FRAGMENT, 0);
	frag6(&p, IPPROTO_UDP, 1448, 1);
	fill(&p, 32);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_UDP, A6, B6, 0, 0);
	ck_assert(pi.fragment && pi.later_fragment);
	ck_assert_uint_eq(pi.l4_off, 56);
	ck_assert_uint_eq(pi.payload_len, 0);
	/* Its data needs a multiple of 8 bytes unless it is the last. */
	p.len -= 3;
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);
	p.b[51] = (uint8_t)(p.b[51] & ~1);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	/* Nothing after the fragment header. */
	p.len = 56;
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);
	/* Next header of a later fragment can be an extension header. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_FRAGMENT, A6, B6);
	frag6(&p, IPPROTO_DSTOPTS, 64, 0);
	fill(&p, 8);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_DSTOPTS, A6, B6, 0, 0);
	/* Ending past 64 KiB. */
	set16(&p, 42, 0xfff8);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG_BAD);

	/* Atomic fragment (offset 0, M clear): a whole packet. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_FRAGMENT, A6, B6);
	frag6(&p, IPPROTO_UDP, 0, 0);
	udp(&p, 8, 9, 1);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	check_tuple(&pi, AF_INET6, IPPROTO_UDP, A6, B6, 8, 9);
	ck_assert(!pi.fragment && !pi.later_fragment);

	/* First fragment whose header chain ends past the fragment. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_FRAGMENT, A6, B6);
	frag6(&p, IPPROTO_DSTOPTS, 0, 1);
	ext(&p, IPPROTO_TCP, 2);	/* 24 bytes, but only 16 sent */
	p.len -= 8;
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG);
	/* First fragment too short for TCP. */
	pb_init(&p);
	o = ip6(&p, IPPROTO_FRAGMENT, A6, B6);
	frag6(&p, IPPROTO_TCP, 0, 1);
	zero(&p, 16);
	ip6_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_ERR_FRAG);
}
END_TEST

/* --- ICMP errors -------------------------------------------------------- */

START_TEST(test_icmp4_error_tcp)
{
	struct pkt_info orig, reply, err, rev;
	struct pb p, r, e;
	uint32_t o;

	/* A4:40000 -> B4:443 provokes an error from R4 back to A4. */
	pkt_v4_tcp(&p, TH_SYN, 0);
	ck_assert_err(parse(&p, &orig), PKT_OK);
	pb_init(&r);
	o = ip4(&r, IPPROTO_TCP, B4, A4);
	tcp(&r, 443, 40000, TH_SYN | TH_ACK, NULL, 0);
	ip4_done(&r, o);
	ck_assert_err(parse(&r, &reply), PKT_OK);

	icmp4_err(&e, 3, 1, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	ck_assert_uint_eq(err.icmp_type, 3);
	ck_assert_uint_eq(err.icmp_code, 1);
	ck_assert_uint_eq(err.l4_off, 20);
	ck_assert_uint_eq(err.payload_off, 28);
	ck_assert_uint_eq(err.tcp_flags, 0);
	/*
	 * The error travels towards A4 like a reply of the flow would, so
	 * its tuple is the original reversed, equal to the reply's.
	 */
	tuple_reverse(&orig.tuple, &rev.tuple);
	ck_assert_tuple_eq(&err.tuple, &rev.tuple);
	ck_assert_tuple_eq(&err.tuple, &reply.tuple);
	check_tuple(&err, AF_INET, IPPROTO_TCP, B4, A4, 443, 40000);

	/* All of the embedded packet, not just 8 bytes of TCP. */
	icmp4_err(&e, 11, 0, &p, p.len);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert_tuple_eq(&err.tuple, &reply.tuple);
	/* Source quench, redirect and parameter problem are errors too. */
	icmp4_err(&e, 4, 0, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	icmp4_err(&e, 5, 1, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	icmp4_err(&e, 12, 0, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert_tuple_eq(&err.tuple, &reply.tuple);
}
END_TEST

START_TEST(test_icmp4_error_udp)
{
	struct pkt_info err;
	struct pb p, e;
	uint32_t o;

	pkt_v4_udp(&p, 40);
	icmp4_err(&e, 3, 3, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	check_tuple(&err, AF_INET, IPPROTO_UDP, B4, A4, 53, 5353);

	/* Embedded header with options (IHL 6). */
	pb_init(&p);
	o = ip4(&p, IPPROTO_UDP, A4, B4);
	ip4_opts(&p, o, (const uint8_t[]){ 0x94, 4, 0, 0 }, 4);
	udp(&p, 7, 8, 0);
	ip4_done(&p, o);
	icmp4_err(&e, 11, 0, &p, p.len);
	ck_assert_err(parse(&e, &err), PKT_OK);
	check_tuple(&err, AF_INET, IPPROTO_UDP, B4, A4, 8, 7);

	/* Embedded echo request: the id in both ports. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_ICMP, A4, B4);
	icmp(&p, 8, 0, 0x4242, 1);
	ip4_done(&p, o);
	icmp4_err(&e, 3, 1, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	check_tuple(&err, AF_INET, IPPROTO_ICMP, B4, A4, 0x4242, 0x4242);

	/* Embedded GRE: keyed by proto. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_GRE, A4, B4);
	zero(&p, 8);
	ip4_done(&p, o);
	icmp4_err(&e, 3, 1, &p, 28);
	ck_assert_err(parse(&e, &err), PKT_OK);
	check_tuple(&err, AF_INET, IPPROTO_GRE, B4, A4, 0, 0);
}
END_TEST

START_TEST(test_icmp4_error_bad_inner)
{
	struct pkt_info pi;
	struct pb p, e, q;
	uint32_t o, keep;

	pkt_v4_tcp(&p, TH_SYN, 0);
	/* Fewer than IP header + 8 bytes in the message. */
	for (keep = 0; keep < 28; keep++) {
		icmp4_err(&e, 3, 3, &p, keep);
		ck_assert_msg(parse(&e, &pi) == PKT_ERR_ICMP_INNER,
			      "keep %u", keep);
	}
	/* The same bytes on the wire, but our capture cut them. */
	icmp4_err(&e, 3, 3, &p, 28);
	for (keep = 28; keep < 56; keep++)
		ck_assert_err(parse_n(&e, keep, e.len, &pi), PKT_ERR_SHORT_L4);
	ck_assert_err(parse_n(&e, 56, e.len, &pi), PKT_OK);

	/* Embedded IHL < 5, total length < IHL. */
	icmp4_err(&e, 3, 3, &p, 28);
	e.b[28] = 0x44;
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);
	e.b[28] = 0x45;
	set16(&e, 30, 10);
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);

	/* Embedded IPv6. */
	pkt_v6_chain_tcp(&q, 0);
	icmp4_err(&e, 3, 3, &q, 96);
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);

	/* An error about an error. */
	pb_init(&q);
	o = ip4(&q, IPPROTO_ICMP, A4, B4);
	icmp(&q, 3, 3, 0, 0);
	ip4_done(&q, o);
	icmp4_err(&e, 11, 0, &q, 28);
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);

	/* Embedded header with options cut: by the message, by the copy. */
	pb_init(&q);
	o = ip4(&q, IPPROTO_UDP, A4, B4);
	ip4_opts(&q, o, (const uint8_t[8]){ 1, 1, 1, 1, 1, 1, 1, 0 }, 8);
	udp(&q, 1, 2, 0);
	ip4_done(&q, o);
	icmp4_err(&e, 3, 3, &q, 24);
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);
	icmp4_err(&e, 3, 3, &q, 36);
	ck_assert_err(parse(&e, &pi), PKT_OK);
	ck_assert_err(parse_n(&e, 52, e.len, &pi), PKT_ERR_SHORT_L4);

	/* Embedded ICMPv6 number in IPv4: a protocol without ports. */
	pb_init(&q);
	o = ip4(&q, IPPROTO_ICMPV6, A4, B4);
	icmp(&q, 1, 0, 9, 9);
	ip4_done(&q, o);
	icmp4_err(&e, 3, 3, &q, 28);
	ck_assert_err(parse(&e, &pi), PKT_OK);
	check_tuple(&pi, AF_INET, IPPROTO_ICMPV6, B4, A4, 0, 0);

	/* About a non-first fragment: names no flow. */
	pb_init(&q);
	o = ip4(&q, IPPROTO_UDP, A4, B4);
	ip4_frag(&q, o, 100, 1);
	zero(&q, 8);
	ip4_done(&q, o);
	icmp4_err(&e, 11, 1, &q, 28);
	ck_assert_err(parse(&e, &pi), PKT_ERR_ICMP_INNER);
	/* About a first fragment: fine. */
	ip4_frag(&q, o, 0, 1);
	icmp4_err(&e, 11, 1, &q, 28);
	ck_assert_err(parse(&e, &pi), PKT_OK);
}
END_TEST

START_TEST(test_icmp6_errors)
{
	struct pkt_info orig, err, rev;
	struct pb p, e, q;
	uint32_t o, keep;

	/* TCP behind extension headers inside a destination unreachable. */
	pkt_v6_chain_tcp(&p, 0);
	ck_assert_err(parse(&p, &orig), PKT_OK);
	icmp6_err(&e, 1, 4, &p, 96);
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	ck_assert_uint_eq(err.icmp_type, 1);
	tuple_reverse(&orig.tuple, &rev.tuple);
	ck_assert_tuple_eq(&err.tuple, &rev.tuple);
	check_tuple(&err, AF_INET6, IPPROTO_TCP, B6, A6, 22, 50000);
	for (keep = 0; keep < 96; keep++) {
		icmp6_err(&e, 1, 4, &p, keep);
		ck_assert_msg(parse(&e, &err) == PKT_ERR_ICMP_INNER,
			      "keep %u", keep);
	}
	icmp6_err(&e, 1, 4, &p, 96);
	for (keep = 48; keep < 144; keep++)
		ck_assert_err(parse_n(&e, keep, e.len, &err), PKT_ERR_SHORT_L4);

	/* Packet too big carrying UDP; time exceeded; parameter problem. */
	pb_init(&q);
	o = ip6(&q, IPPROTO_UDP, A6, B6);
	udp(&q, 443, 60000, 1300);
	ip6_done(&q, o);
	icmp6_err(&e, 2, 0, &q, 1232);
	ck_assert_err(parse(&e, &err), PKT_OK);
	check_tuple(&err, AF_INET6, IPPROTO_UDP, B6, A6, 60000, 443);
	e.b[40] = 3;
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	e.b[40] = 4;
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(err.icmp_error);
	/* Type 5 is unassigned: no error, no ports. */
	e.b[40] = 5;
	ck_assert_err(parse(&e, &err), PKT_OK);
	ck_assert(!err.icmp_error);
	check_tuple(&err, AF_INET6, IPPROTO_ICMPV6, R6, A6, 0, 0);

	/* Embedded echo request. */
	pb_init(&q);
	o = ip6(&q, IPPROTO_ICMPV6, A6, B6);
	icmp(&q, 128, 0, 0x0bad, 1);
	ip6_done(&q, o);
	icmp6_err(&e, 3, 0, &q, q.len);
	ck_assert_err(parse(&e, &err), PKT_OK);
	check_tuple(&err, AF_INET6, IPPROTO_ICMPV6, B6, A6, 0x0bad, 0x0bad);
	/* Embedded error. */
	q.b[40] = 1;
	icmp6_err(&e, 3, 0, &q, q.len);
	ck_assert_err(parse(&e, &err), PKT_ERR_ICMP_INNER);
	/* Embedded IPv4. */
	pkt_v4_udp(&q, 0);
	icmp6_err(&e, 1, 0, &q, q.len);
	ck_assert_err(parse(&e, &err), PKT_ERR_ICMP_INNER);
	/* Embedded non-first fragment; embedded bad extension chain. */
	pb_init(&q);
	o = ip6(&q, IPPROTO_FRAGMENT, A6, B6);
	frag6(&q, IPPROTO_UDP, 8, 1);
	zero(&q, 8);
	ip6_done(&q, o);
	icmp6_err(&e, 1, 0, &q, q.len);
	ck_assert_err(parse(&e, &err), PKT_ERR_ICMP_INNER);
	v6_chain_of(&q, IPPROTO_DSTOPTS, 17);
	icmp6_err(&e, 1, 0, &q, q.len);
	ck_assert_err(parse(&e, &err), PKT_ERR_ICMP_INNER);
	/* Embedded jumbo/plen lies don't matter: it is cut by design. */
	pkt_v6_chain_tcp(&q, 0);
	set16(&q, 4, 0);
	icmp6_err(&e, 1, 0, &q, 96);
	ck_assert_err(parse(&e, &err), PKT_OK);
}
END_TEST

/* --- truncation at every byte ------------------------------------------- */

START_TEST(test_trunc_v6_chain_every_byte)
{
	struct pkt_info pi, full;
	struct pb p;
	uint32_t c;

	pkt_v6_chain_tcp(&p, 20);	/* 148 bytes, headers end at 128 */
	ck_assert_err(parse(&p, &full), PKT_OK);
	ck_assert_uint_eq(full.payload_off, 128);
	for (c = 0; c <= p.len; c++) {
		enum pkt_err want;

		if (c < 40)
			want = PKT_ERR_SHORT_L3;
		else if (c < 88)
			want = PKT_ERR_EXTHDR_TRUNC;
		else if (c < 128)
			want = PKT_ERR_SHORT_L4;
		else
			want = PKT_OK;
		ck_assert_msg(parse_n(&p, c, p.len, &pi) == want,
			      "caplen %u: %s", c,
			      pkt_err_name(parse_n(&p, c, p.len, &pi)));
		if (want == PKT_OK) {
			ck_assert_tuple_eq(&pi.tuple, &full.tuple);
			ck_assert_uint_eq(pi.payload_len, c - 128);
			ck_assert_uint_eq(pi.payload_wire_len, 20);
		}
	}
}
END_TEST

START_TEST(test_trunc_v6_chain_short_wire)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t c;

	/* The packet itself ends early and its payload length says so. */
	pkt_v6_chain_tcp(&p, 20);
	for (c = 0; c < p.len; c++) {
		struct pb q = p;
		enum pkt_err want;

		if (c < 40) {
			want = PKT_ERR_RUNT;
		} else {
			set16(&q, 4, (uint16_t)(c - 40));
			if (c < 88)
				want = PKT_ERR_EXTHDR_LEN;
			else if (c < 108)
				want = PKT_ERR_L4_LEN;
			else if (c < 128)
				want = PKT_ERR_TCP_DOFF;
			else
				want = PKT_OK;
		}
		ck_assert_msg(parse_n(&q, c, c, &pi) == want, "len %u: %s", c,
			      pkt_err_name(parse_n(&q, c, c, &pi)));
		/* The payload length still claims the whole packet: a lie. */
		if (c >= 40)
			ck_assert_err(parse_n(&p, c, c, &pi),
				      PKT_ERR_IPV6_PLEN);
	}
	ck_assert_err(parse_n(&p, p.len, p.len, &pi), PKT_OK);
}
END_TEST

/*
 * For every accepted packet: a capture shorter than some threshold T is
 * refused as truncated (never as malformed), one of T bytes or more gives
 * the same answer as the whole packet with the payload clipped, and T is
 * where the payload starts (further in for an ICMP error, whose
 * embedded headers must be whole too).
 */
static void check_every_caplen(const uint8_t *b, uint32_t len, uint32_t wire,
			       const char *name)
{
	struct pkt_info full, pi;
	uint32_t c, t = UINT32_MAX;
	struct pb p;

	pb_init(&p);
	memcpy(p.b, b, len);
	p.len = len;
	ck_assert_err(parse_n(&p, len, wire, &full), PKT_OK);
	for (c = 0; c <= len; c++) {
		enum pkt_err err = parse_n(&p, c, wire, &pi);

		if (err != PKT_OK) {
			ck_assert_msg(t == UINT32_MAX,
				      "%s: caplen %u refused after %u passed",
				      name, c, t);
			ck_assert_msg(err == PKT_ERR_SHORT_L3 ||
				      err == PKT_ERR_EXTHDR_TRUNC ||
				      err == PKT_ERR_SHORT_L4,
				      "%s: caplen %u: %s", name, c,
				      pkt_err_name(err));
			continue;
		}
		if (t == UINT32_MAX)
			t = c;
		ck_assert_tuple_eq(&pi.tuple, &full.tuple);
		ck_assert_uint_eq(pi.l4_off, full.l4_off);
		ck_assert_uint_eq(pi.payload_off, full.payload_off);
		ck_assert_uint_eq(pi.payload_wire_len, full.payload_wire_len);
		ck_assert_uint_eq(pi.fragment, full.fragment);
		ck_assert_uint_eq(pi.later_fragment, full.later_fragment);
		ck_assert_uint_eq(pi.icmp_error, full.icmp_error);
		{
			uint32_t end = full.payload_off + full.payload_wire_len;
			uint32_t have = c < end ? c : end;

			ck_assert_uint_eq(pi.payload_len,
					  have > pi.payload_off ?
					  have - pi.payload_off : 0);
			ck_assert_uint_le(pi.payload_off + pi.payload_len, c);
		}
	}
	if (full.icmp_error)
		ck_assert_msg(t > full.payload_off, "%s: T %u", name, t);
	else
		ck_assert_msg(t == full.payload_off, "%s: T %u, payload at %u",
			      name, t, full.payload_off);
}

START_TEST(test_trunc_every_vector)
{
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++) {
		const struct pkt_vector *v = &pkt_vectors[i];

		if (v->err != PKT_OK)
			continue;
		check_every_caplen(v->data, v->caplen, v->wire_len, v->name);
		n++;
	}
	ck_assert_uint_gt(n, 30);
}
END_TEST

START_TEST(test_trunc_icmp_error_every_byte)
{
	struct pb p, e;

	pkt_v4_tcp(&p, TH_SYN, 0);
	icmp4_err(&e, 3, 3, &p, p.len);
	check_every_caplen(e.b, e.len, e.len, "icmp4 error");
	pkt_v6_chain_tcp(&p, 0);
	icmp6_err(&e, 1, 0, &p, p.len);
	check_every_caplen(e.b, e.len, e.len, "icmp6 error");
}
END_TEST

/* --- payload window ----------------------------------------------------- */

START_TEST(test_payload_window)
{
	const uint8_t *d = NULL;
	struct pkt_info pi;
	uint8_t *buf;
	struct pb p;
	uint32_t cap;

	pkt_v4_tcp(&p, TH_ACK, 100);	/* payload at 60, 100 bytes */
	cap = 60 + 30;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, p.b, cap);
	ck_assert_err(pkt_parse(buf, cap, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_off, 60);
	ck_assert_uint_eq(pi.payload_len, 30);
	ck_assert_uint_eq(pi.payload_wire_len, 100);

	ck_assert(pkt_payload(&pi, buf, 0, 4, &d));
	ck_assert_ptr_eq(d, buf + 60);
	ck_assert_uint_eq(d[0], 0xa0);
	ck_assert_uint_eq(d[3], 0xa3);
	ck_assert(pkt_payload(&pi, buf, 26, 4, &d));	/* up to the end */
	ck_assert_uint_eq(d[3], 0xa0 + 29);
	ck_assert(pkt_payload(&pi, buf, 0, 30, &d));
	ck_assert(pkt_payload(&pi, buf, 30, 0, &d));	/* empty, at end */
	ck_assert_ptr_eq(d, buf + 90);

	d = NULL;
	ck_assert(!pkt_payload(&pi, buf, 27, 4, &d));	/* across the end */
	ck_assert(!pkt_payload(&pi, buf, 0, 31, &d));
	ck_assert(!pkt_payload(&pi, buf, 30, 1, &d));	/* at the end */
	ck_assert(!pkt_payload(&pi, buf, 31, 0, &d));	/* beyond */
	ck_assert(!pkt_payload(&pi, buf, 1000, 4, &d));
	ck_assert(!pkt_payload(&pi, buf, UINT32_MAX, 1, &d));	/* wraps */
	ck_assert(!pkt_payload(&pi, buf, 1, UINT32_MAX, &d));
	ck_assert(!pkt_payload(&pi, buf, UINT32_MAX - 2, 4, &d));
	ck_assert(!pkt_payload(&pi, buf, UINT32_MAX, UINT32_MAX, &d));
	ck_assert(!pkt_payload(&pi, buf, 4, UINT32_MAX - 3, &d));
	ck_assert_ptr_null(d);
	free(buf);
}
END_TEST

START_TEST(test_payload_clipping)
{
	const uint8_t *d = NULL;
	struct pkt_info pi;
	struct pb p, e;
	uint32_t o;

	/* UDP length shorter than the IP payload: the window stops there. */
	pkt_v4_udp(&p, 12);
	set16(&p, 24, 12);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 4);
	ck_assert(pkt_payload(&pi, p.b, 0, 4, &d));
	ck_assert(!pkt_payload(&pi, p.b, 0, 5, &d));

	/* Link padding captured: never part of the window. */
	pkt_v4_tcp(&p, TH_ACK, 3);
	zero(&p, 20);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 3);
	ck_assert(!pkt_payload(&pi, p.b, 3, 1, &d));

	/* No payload at all: only the empty window at 0. */
	pkt_v4_tcp(&p, TH_SYN, 0);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert(pkt_payload(&pi, p.b, 0, 0, &d));
	ck_assert(!pkt_payload(&pi, p.b, 0, 1, &d));

	/* Later fragments have no payload window. */
	pb_init(&p);
	o = ip4(&p, IPPROTO_UDP, A4, B4);
	ip4_frag(&p, o, 10, 0);
	fill(&p, 40);
	ip4_done(&p, o);
	ck_assert_err(parse(&p, &pi), PKT_OK);
	ck_assert(!pkt_payload(&pi, p.b, 0, 1, &d));
	ck_assert(!pkt_payload(&pi, p.b, 8, 4, &d));

	/* The payload of an ICMP error is the embedded packet. */
	pkt_v4_udp(&p, 0);
	icmp4_err(&e, 3, 3, &p, 28);
	ck_assert_err(parse(&e, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_off, 28);
	ck_assert_uint_eq(pi.payload_len, 28);
	ck_assert(pkt_payload(&pi, e.b, 0, 1, &d));
	ck_assert_uint_eq(d[0], 0x45);

	/* A configured offset past the copy range but within the packet. */
	pkt_v4_udp(&p, 200);
	ck_assert_err(parse_n(&p, 64, p.len, &pi), PKT_OK);
	ck_assert_uint_eq(pi.payload_len, 36);
	ck_assert_uint_eq(pi.payload_wire_len, 200);
	ck_assert(!pkt_payload(&pi, p.b, 40, 4, &d));
}
END_TEST

/* --- scapy vectors ------------------------------------------------------ */

START_TEST(test_scapy_vectors)
{
	unsigned int i;

	for (i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++) {
		const struct pkt_vector *v = &pkt_vectors[i];
		struct pkt_info pi;
		enum pkt_err err;
		struct pb p;

		pb_init(&p);
		memcpy(p.b, v->data, v->caplen);
		p.len = v->caplen;
		err = parse_n(&p, v->caplen, v->wire_len, &pi);
		ck_assert_msg(err == v->err, "%s: got %s, want %s", v->name,
			      pkt_err_name(err), pkt_err_name(v->err));
		if (err != PKT_OK)
			continue;
		{
			int fam = v->family == 4 ? AF_INET : AF_INET6;
			struct tuple t = tup(fam, v->proto, v->src, v->dst,
					     v->sport, v->dport);
			char x[160], y[160];

			tuple_fmt(&pi.tuple, x, sizeof(x));
			tuple_fmt(&t, y, sizeof(y));
			ck_assert_msg(!memcmp(&pi.tuple, &t, sizeof(t)),
				      "%s: tuple %s != %s", v->name, x, y);
		}
		ck_assert_msg(pi.l3_len == v->l3_len &&
			      pi.l4_off == v->l4_off &&
			      pi.payload_off == v->payload_off &&
			      pi.payload_wire_len == v->payload_wire_len &&
			      pi.tcp_flags == v->tcp_flags &&
			      pi.fragment == v->fragment &&
			      pi.later_fragment == v->later_fragment &&
			      pi.icmp_error == v->icmp_error,
			      "%s: l3 %u l4 %u poff %u pwire %u flags %x "
			      "frag %d later %d icmperr %d", v->name,
			      pi.l3_len, pi.l4_off, pi.payload_off,
			      pi.payload_wire_len, pi.tcp_flags, pi.fragment,
			      pi.later_fragment, pi.icmp_error);
	}
}
END_TEST

static Suite *pkt_suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_every_reason);
	tcase_add_test(tc, test_out_untouched_on_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("ipv4");
	tcase_add_test(tc, test_v4_tcp);
	tcase_add_test(tc, test_v4_udp);
	tcase_add_test(tc, test_v4_udplite);
	tcase_add_test(tc, test_v4_sctp);
	tcase_add_test(tc, test_v4_dccp);
	tcase_add_test(tc, test_v4_icmp_echo);
	tcase_add_test(tc, test_v4_icmp_other_types);
	tcase_add_test(tc, test_v4_other_proto);
	tcase_add_test(tc, test_v4_header_checks);
	tcase_add_test(tc, test_v4_ihl_beyond_capture);
	tcase_add_test(tc, test_v4_options);
	tcase_add_test(tc, test_v4_link_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("l4");
	tcase_add_test(tc, test_tcp_flags_all);
	tcase_add_test(tc, test_tcp_doff);
	tcase_add_test(tc, test_tcp_options);
	tcase_add_test(tc, test_udp_len);
	suite_add_tcase(s, tc);

	tc = tcase_create("ipv6");
	tcase_add_test(tc, test_v6_basic);
	tcase_add_test(tc, test_v6_icmp6_echo);
	tcase_add_test(tc, test_v6_ext_chain);
	tcase_add_test(tc, test_v6_ext_rules);
	tcase_add_test(tc, test_v6_ext_many);
	tcase_add_test(tc, test_v6_ext_len_arith);
	tcase_add_test(tc, test_v6_plen);
	suite_add_tcase(s, tc);

	tc = tcase_create("fragments");
	tcase_add_test(tc, test_v4_fragments);
	tcase_add_test(tc, test_v6_fragments);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp_errors");
	tcase_add_test(tc, test_icmp4_error_tcp);
	tcase_add_test(tc, test_icmp4_error_udp);
	tcase_add_test(tc, test_icmp4_error_bad_inner);
	tcase_add_test(tc, test_icmp6_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_test(tc, test_trunc_v6_chain_every_byte);
	tcase_add_test(tc, test_trunc_v6_chain_short_wire);
	tcase_add_test(tc, test_trunc_every_vector);
	tcase_add_test(tc, test_trunc_icmp_error_every_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("payload");
	tcase_add_test(tc, test_payload_window);
	tcase_add_test(tc, test_payload_clipping);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_scapy_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pkt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

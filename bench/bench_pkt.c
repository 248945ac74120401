// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_pkt: ns per packet of pkt_parse() over a fixed mix, and of
 * libnetfilter_queue's pktbuff helpers on the same bytes as its peer.
 *
 *   gcc -O2 -Wall -Wextra -Ilib bench/bench_pkt.c lib/pkt.c \
 *       $(pkg-config --cflags --libs libnetfilter_queue) -o /tmp/bench_pkt
 *   /tmp/bench_pkt [N]        N packets per run (default 10000000)
 *   /tmp/bench_pkt --smoke    100000 packets, for CI
 *
 * The mix, cycled: IPv4 TCP SYN with options and a payload; IPv6 UDP
 * behind AH and a fragment header (a first fragment); an IPv4 ICMP
 * port-unreachable carrying a UDP header. Each side gets ports and the
 * payload pointer of every packet; for the ICMP error both go on to the
 * embedded UDP header (the peer by hand: see nfq_parse()).
 *
 * Two peer figures. "alloc": pktb_alloc() + parse + pktb_free() per
 * packet, which is how the library is used on a queued packet (1.0.5
 * has no pktb_setup_raw(); pktb_alloc() copies the packet). "parse":
 * the pkt_buffs are made once and only the header helpers are timed,
 * the library's lower bound.
 *
 * Read the ratio with care: the peer checks much less (no IPv4/TCP
 * option walk, no flag, length or fragment rules, no ICMP at all).
 * And the IPv6 packet avoids hop-by-hop and destination options on
 * purpose: libnetfilter_queue 1.0.5's nfq_ip6_set_transport_header()
 * takes their length byte as a byte count instead of (len + 1) * 8, and
 * loops forever on hop-by-hop + destination options (fixed upstream in
 * 51f25df3, "src: fix IPv6 header handling", 2021; Debian 12 ships
 * 1.0.5). AH it sizes right.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_ipv6.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>
#include <libnetfilter_queue/pktbuff.h>

#include "pkt.h"

#define NPKT 3
#define ROUNDS 3

struct bpkt {
	const char *name;
	int family;
	uint8_t proto;		/* L4 the peer looks for */
	bool icmp_error;
	uint8_t b[256];
	uint32_t len;
};

static struct bpkt pkts[NPKT];

static void put(struct bpkt *p, const void *d, uint32_t n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put16(struct bpkt *p, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(p, b, 2);
}

static void set16(struct bpkt *p, uint32_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void ip4(struct bpkt *p, uint8_t proto, uint32_t src, uint32_t dst)
{
	uint8_t h[20] = { 0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto };

	src = htonl(src);
	dst = htonl(dst);
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	put(p, h, 20);
}

static void build(void)
{
	static const uint8_t syn_opts[20] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7,
	};
	struct bpkt *p;
	uint8_t z[64] = { 0 };

	/* IPv4 TCP, 40-byte header, 32 bytes of data. */
	p = &pkts[0];
	p->name = "ipv4 tcp";
	p->family = AF_INET;
	p->proto = IPPROTO_TCP;
	ip4(p, IPPROTO_TCP, 0xc0000201, 0xc6336407);
	put16(p, 40000);
	put16(p, 443);
	put(p, "\0\0\x03\xe8\0\0\0\0", 8);
	put(p, (uint8_t[]){ 10 << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0 }, 8);
	put(p, syn_opts, sizeof(syn_opts));
	put(p, "GET /index.html HTTP/1.1\r\nHost: ", 32);
	set16(p, 2, (uint16_t)p->len);

	/* IPv6 + AH (24) + fragment (first, M) + UDP + 32 bytes. */
	p = &pkts[1];
	p->name = "ipv6 ah+frag udp";
	p->family = AF_INET6;
	p->proto = IPPROTO_UDP;
	put(p, (uint8_t[]){ 0x60, 0, 0, 0, 0, 0, IPPROTO_AH, 64 }, 8);
	put(p, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
	put(p, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 7 },
	    16);
	put(p, (uint8_t[]){ IPPROTO_FRAGMENT, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0,
			    1 }, 12);
	put(p, z, 12);			/* ICV */
	/* Identification 0x00001234: see the note on the peer's walk. */
	put(p, (uint8_t[]){ IPPROTO_UDP, 0, 0, 1, 0, 0, 0x12, 0x34 }, 8);
	put16(p, 4500);
	put16(p, 4500);
	put16(p, 8 + 1400);		/* the whole datagram's length */
	put16(p, 0);
	put(p, "QUIC-ish payload, 32 bytes long.", 32);
	set16(p, 4, (uint16_t)(p->len - 40));

	/* IPv4 ICMP port unreachable about a UDP packet. */
	p = &pkts[2];
	p->name = "ipv4 icmp error";
	p->family = AF_INET;
	p->proto = IPPROTO_UDP;
	p->icmp_error = true;
	ip4(p, IPPROTO_ICMP, 0xcb0071fe, 0xc0000201);
	put(p, (uint8_t[]){ 3, 3, 0, 0, 0, 0, 0, 0 }, 8);
	ip4(p, IPPROTO_UDP, 0xc0000201, 0xc6336407);
	set16(p, 28 + 2, 20 + 8 + 40);
	put16(p, 5353);
	put16(p, 53);
	put16(p, 48);
	put16(p, 0);
	set16(p, 2, (uint16_t)p->len);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- ours --------------------------------------------------------------- */

static uint64_t ours_one(const struct bpkt *p)
{
	const uint8_t *d = NULL;
	struct pkt_info pi;

	if (pkt_parse(p->b, p->len, p->len, &pi) != PKT_OK)
		return 0;
	pkt_payload(&pi, p->b, 0, 0, &d);
	return (uint64_t)pi.tuple.sport << 16 ^ pi.tuple.dport ^
	       (uint64_t)pi.payload_len << 32 ^ (uintptr_t)d;
}

/* --- the peer ----------------------------------------------------------- */

/*
 * The L4 header a pkt_buff points at: ports (sport << 16 | dport) into
 * *ports, and a value mixing ports and payload for the checksum.
 */
static uint64_t nfq_l4(struct pkt_buff *pb, uint8_t proto, uint32_t *ports)
{
	uint64_t len = 0;
	void *pl;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = nfq_tcp_get_hdr(pb);

		if (!th)
			return 0;
		*ports = (uint32_t)ntohs(th->th_sport) << 16 |
			 ntohs(th->th_dport);
		pl = nfq_tcp_get_payload(th, pb);
		if (pl)
			len = nfq_tcp_get_payload_len(th, pb);
	} else {
		struct udphdr *uh = nfq_udp_get_hdr(pb);

		if (!uh)
			return 0;
		*ports = (uint32_t)ntohs(uh->uh_sport) << 16 |
			 ntohs(uh->uh_dport);
		pl = nfq_udp_get_payload(uh, pb);
		if (pl)
			len = nfq_udp_get_payload_len(uh, pb);
	}
	return *ports ^ len << 32 ^ (uintptr_t)pl;
}

/*
 * Find the L4 header. For the ICMP error the library stops at the ICMP
 * header: nfq_ip_get_hdr() refuses the embedded IPv4 header because its
 * total length (the original datagram's) is more than the bytes the
 * error carries, which is the nature of an ICMP error. So the embedded
 * ports are read by hand, the least a user of the library must write.
 */
static uint64_t nfq_parse(struct pkt_buff *pb, const struct bpkt *p,
			  uint32_t *ports)
{
	if (p->family == AF_INET) {
		struct iphdr *iph = nfq_ip_get_hdr(pb);

		if (!iph || nfq_ip_set_transport_header(pb, iph) < 0)
			return 0;
		if (p->icmp_error) {
			const uint8_t *icmp = pktb_transport_header(pb);
			const uint8_t *end = pktb_data(pb) + pktb_len(pb);
			const uint8_t *in = icmp + 8, *l4;

			if (end - icmp < 8 + 20 || icmp[0] != 3 ||
			    in[0] >> 4 != 4 || (in[0] & 15) < 5)
				return 0;
			l4 = in + (in[0] & 15) * 4;
			if (end - l4 < 8)
				return 0;
			/* Reversed, as pkt_parse() gives it. */
			*ports = (uint32_t)(l4[2] << 8 | l4[3]) << 16 |
				 (uint32_t)(l4[0] << 8 | l4[1]);
			return *ports;
		}
	} else {
		struct ip6_hdr *ip6h = nfq_ip6_get_hdr(pb);

		if (!ip6h || !nfq_ip6_set_transport_header(pb, ip6h, p->proto))
			return 0;
	}
	return nfq_l4(pb, p->proto, ports);
}

static uint64_t nfq_one_alloc(const struct bpkt *p, uint32_t *ports)
{
	struct pkt_buff *pb;
	uint64_t r;

	pb = pktb_alloc(p->family, (void *)p->b, p->len, 0);
	if (!pb)
		return 0;
	r = nfq_parse(pb, p, ports);
	pktb_free(pb);
	return r;
}

/* --- driver ------------------------------------------------------------- */

/* Ports only, as both sides report them, for the agreement check. */
static uint32_t ports_ours(const struct bpkt *p)
{
	struct pkt_info pi;

	if (pkt_parse(p->b, p->len, p->len, &pi) != PKT_OK)
		return 0;
	return (uint32_t)pi.tuple.sport << 16 | pi.tuple.dport;
}

int main(int argc, char **argv)
{
	struct pkt_buff *pre[NPKT];
	uint64_t best[3] = { UINT64_MAX, UINT64_MAX, UINT64_MAX };
	uint64_t n = 10000000, i, sum = 0, t;
	uint32_t ports;
	unsigned int r, k;

	if (argc > 1 && !strcmp(argv[1], "--smoke"))
		n = 100000;
	else if (argc > 1)
		n = strtoull(argv[1], NULL, 10);
	if (!n) {
		fprintf(stderr, "usage: %s [N | --smoke]\n", argv[0]);
		return 2;
	}
	build();

	for (k = 0; k < NPKT; k++) {
		pre[k] = pktb_alloc(pkts[k].family, pkts[k].b, pkts[k].len, 0);
		if (!pre[k])
			return 1;
	}

	/* Both must find the same ports, or the race means nothing. */
	for (k = 0; k < NPKT; k++) {
		uint32_t a = ports_ours(&pkts[k]), b = 0;

		nfq_one_alloc(&pkts[k], &b);

		printf("%-18s %3u bytes  ours %5u -> %-5u  peer %5u -> %-5u\n",
		       pkts[k].name, pkts[k].len, a >> 16, a & 0xffff,
		       b >> 16, b & 0xffff);
		if (!a || a != b) {
			fprintf(stderr, "parsers disagree on %s\n",
				pkts[k].name);
			return 1;
		}
	}

	for (r = 0; r < ROUNDS; r++) {
		t = now_ns();
		for (i = 0; i < n; i++)
			sum += ours_one(&pkts[i % NPKT]);
		t = now_ns() - t;
		best[0] = t < best[0] ? t : best[0];

		t = now_ns();
		for (i = 0; i < n; i++)
			sum += nfq_one_alloc(&pkts[i % NPKT], &ports);
		t = now_ns() - t;
		best[1] = t < best[1] ? t : best[1];

		t = now_ns();
		for (i = 0; i < n; i++) {
			k = (unsigned int)(i % NPKT);
			sum += nfq_parse(pre[k], &pkts[k], &ports);
		}
		t = now_ns() - t;
		best[2] = t < best[2] ? t : best[2];
	}

	printf("packets per run: %llu, best of %u runs\n",
	       (unsigned long long)n, ROUNDS);
	printf("pkt_parse                          %7.2f ns/pkt\n",
	       (double)best[0] / (double)n);
	printf("libnetfilter_queue alloc+parse     %7.2f ns/pkt  "
	       "(%.2fx ours)\n",
	       (double)best[1] / (double)n, (double)best[1] / (double)best[0]);
	printf("libnetfilter_queue parse only      %7.2f ns/pkt  "
	       "(%.2fx ours)\n",
	       (double)best[2] / (double)n, (double)best[2] / (double)best[0]);
	printf("(checksum %llx)\n", (unsigned long long)sum);

	for (k = 0; k < NPKT; k++)
		pktb_free(pre[k]);
	return 0;
}

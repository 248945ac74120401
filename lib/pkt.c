// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packet parser (see pkt.h for the contract).
 *
 * Invariants: every byte is read through a pointer that pkt_get() handed
 * out after checking [off, off + n) against the packet's end and the
 * capture, or inside a span such a pointer covers; limits are compared
 * as "off > lim || n > lim - off", which cannot wrap; cap <= end <=
 * wire_len at all times; every loop is bounded (PKT_MAX_EXTHDR headers,
 * 40 bytes of options). The result is built in a local pkt_info and
 * copied out only on success.
 */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

#define IPV4_MF			0x2000
#define IPV4_OFFSET		0x1fff
#define IPV6_FRAG_OFFSET	0xfff8
#define IPV6_FRAG_M		0x0001
/* The most a reassembled packet (IPv4) or payload (IPv6) can hold. */
#define IP_MAXLEN		65535

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10
#define TH_URG	0x20

/* ICMPv6 node information query and reply (RFC 4620); glibc lacks names. */
#define ICMP6_NI_QUERY	139
#define ICMP6_NI_REPLY	140

struct pkt_ctx {
	const uint8_t *buf;
	uint32_t end;		/* packet end: wire_len, then the IP length */
	uint32_t cap;		/* min(caplen, end): what of it we hold */
	/*
	 * Once a first fragment is seen, running past its end is no lie but
	 * a fragment cut too early for its headers: that reason wins.
	 */
	enum pkt_err past_end;
};

struct exthdr_walk {
	uint32_t off;		/* of the header named by nh */
	uint8_t nh;
	bool fragment;
	bool later;		/* stopped at a non-first fragment's data */
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The one gate to the buffer. [off, off + n) past the packet's end gets
 * past_end (the packet lies, or the first-fragment override); within the
 * packet but past the capture gets cut.
 */
static inline enum pkt_err pkt_get(const struct pkt_ctx *c, uint32_t off,
				   uint32_t n, enum pkt_err past_end,
				   enum pkt_err cut, const uint8_t **ret)
{
	if (off > c->end || n > c->end - off)
		return c->past_end ? c->past_end : past_end;
	if (off > c->cap || n > c->cap - off)
		return cut;
	*ret = c->buf + off;
	return PKT_OK;
}

/*
 * IPv4 and TCP options share one layout: 0 ends the list (the rest is
 * padding), 1 is a lone byte, anything else is kind, length >= 2, data.
 */
static bool options_ok(const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (p[i] == 0)
			break;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i)
			return false;
		i += p[i + 1];
	}
	return true;
}

/*
 * conntrack's tcp_valid_flags[] (nf_conntrack_proto_tcp.c): PSH, ECE and
 * CWR go with anything; FIN, SYN, RST, ACK, URG only in these sets. The
 * same table, so that we never build a flow conntrack calls invalid.
 */
static bool tcp_flags_ok(uint8_t flags)
{
	switch (flags & (TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG)) {
	case TH_SYN:
	case TH_SYN | TH_URG:
	case TH_SYN | TH_ACK:
	case TH_RST:
	case TH_RST | TH_ACK:
	case TH_FIN | TH_ACK:
	case TH_FIN | TH_ACK | TH_URG:
	case TH_ACK:
	case TH_ACK | TH_URG:
		return true;
	}
	return false;
}

/* Queries conntrack pairs with a reply by id; the id goes in both ports. */
static bool icmp_is_query(int family, uint8_t type)
{
	if (family == AF_INET)
		switch (type) {
		case ICMP_ECHOREPLY:
		case ICMP_ECHO:
		case ICMP_TIMESTAMP:
		case ICMP_TIMESTAMPREPLY:
		case ICMP_INFO_REQUEST:
		case ICMP_INFO_REPLY:
		case ICMP_ADDRESS:
		case ICMP_ADDRESSREPLY:
			return true;
		}
	else
		switch (type) {
		case ICMP6_ECHO_REQUEST:
		case ICMP6_ECHO_REPLY:
		case ICMP6_NI_QUERY:
		case ICMP6_NI_REPLY:
			return true;
		}
	return false;
}

/* The errors that carry the offending packet (the kernel's icmp_is_err()). */
static bool icmp_is_error(int family, uint8_t type)
{
	if (family == AF_INET)
		switch (type) {
		case ICMP_DEST_UNREACH:
		case ICMP_SOURCE_QUENCH:
		case ICMP_REDIRECT:
		case ICMP_TIME_EXCEEDED:
		case ICMP_PARAMETERPROB:
			return true;
		}
	else
		switch (type) {
		case ICMP6_DST_UNREACH:
		case ICMP6_PACKET_TOO_BIG:
		case ICMP6_TIME_EXCEEDED:
		case ICMP6_PARAM_PROB:
			return true;
		}
	return false;
}

static void set_payload(const struct pkt_ctx *c, struct pkt_info *pi,
			uint32_t off, uint32_t wire_end)
{
	/* Callers guarantee off <= wire_end <= c->end. */
	pi->payload_off = off;
	pi->payload_wire_len = wire_end - off;
	pi->payload_len = c->cap > off ? min_u32(c->cap, wire_end) - off : 0;
}

/*
 * Walk the IPv6 extension headers from w->off/w->nh to the first header
 * that is not one (upper layer, ESP, no next header, or anything
 * unknown), or to the data of a non-first fragment. The inner walk (the
 * packet inside an ICMPv6 error) is cut short by design, so fragment
 * lengths mean nothing there and are not checked.
 */
static enum pkt_err ipv6_walk(struct pkt_ctx *c, struct exthdr_walk *w,
			      bool inner)
{
	bool routing = false, frag = false;
	unsigned int n = 0;
	enum pkt_err err;
	const uint8_t *p;
	uint32_t len;

	for (;;) {
		switch (w->nh) {
		case IPPROTO_HOPOPTS:
			if (n)
				return PKT_ERR_EXTHDR_ORDER;
			break;
		case IPPROTO_ROUTING:
			/* A second one would make the destination ambiguous. */
			if (routing)
				return PKT_ERR_EXTHDR_DUP;
			routing = true;
			break;
		case IPPROTO_FRAGMENT:
			/* Fragments of fragments: an evasion trick, no use. */
			if (frag)
				return PKT_ERR_EXTHDR_DUP;
			frag = true;
			break;
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
			break;
		default:
			return PKT_OK;
		}
		if (++n > PKT_MAX_EXTHDR)
			return PKT_ERR_EXTHDR_LOOP;
		/* Each is at least 8 bytes: enough for nh, length, frag. */
		err = pkt_get(c, w->off, 8, PKT_ERR_EXTHDR_LEN,
			      PKT_ERR_EXTHDR_TRUNC, &p);
		if (err)
			return err;
		if (w->nh == IPPROTO_FRAGMENT)
			len = 8;
		else if (w->nh == IPPROTO_AH)
			len = ((uint32_t)p[1] + 2) * 4;
		else
			len = ((uint32_t)p[1] + 1) * 8;
		err = pkt_get(c, w->off, len, PKT_ERR_EXTHDR_LEN,
			      PKT_ERR_EXTHDR_TRUNC, &p);
		if (err)
			return err;

		if (w->nh == IPPROTO_FRAGMENT) {
			uint16_t fo = get16(p + 2);
			uint32_t foff = fo & IPV6_FRAG_OFFSET;
			uint32_t data = c->end - (w->off + 8);

			if (foff || (fo & IPV6_FRAG_M)) {
				w->fragment = true;
				if (!inner &&
				    (!data || foff + data > IP_MAXLEN ||
				     ((fo & IPV6_FRAG_M) && data % 8)))
					return PKT_ERR_FRAG_BAD;
				if (foff) {
					w->later = true;
					w->nh = p[0];
					w->off += 8;
					return PKT_OK;
				}
				c->past_end = PKT_ERR_FRAG;
			}
		}
		w->nh = p[0];
		w->off += len;
	}
}

/*
 * The packet embedded in an ICMP error: IP header (and IPv6 extension
 * headers) plus the first 8 bytes of L4, which hold the ports or the
 * ICMP id. The embedded packet is cut short by design, so its own length
 * fields are not held against the message. Returns the reasons of the
 * outer parse; the caller sorts them into truncated and malformed.
 */
static enum pkt_err icmp_inner(struct pkt_ctx *c, int family, uint32_t off,
			       struct tuple *t)
{
	const uint8_t *p;
	enum pkt_err err;
	uint32_t l4;
	uint8_t proto;

	err = pkt_get(c, off, 1, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L3, &p);
	if (err)
		return err;
	if (family == AF_INET) {
		uint32_t hlen;

		if (p[0] >> 4 != 4)
			return PKT_ERR_VERSION;
		err = pkt_get(c, off, 20, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L3, &p);
		if (err)
			return err;
		hlen = (uint32_t)(p[0] & 0x0f) * 4;
		if (hlen < 20)
			return PKT_ERR_IHL;
		if (get16(p + 2) < hlen)
			return PKT_ERR_TOTLEN;
		/* A non-first fragment names no flow. */
		if (get16(p + 6) & IPV4_OFFSET)
			return PKT_ERR_FRAG;
		proto = p[9];
		memcpy(t->src.b, p + 12, 4);
		memcpy(t->dst.b, p + 16, 4);
		err = pkt_get(c, off, hlen, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L3,
			      &p);
		if (err)
			return err;
		l4 = off + hlen;
	} else {
		struct exthdr_walk w;

		if (p[0] >> 4 != 6)
			return PKT_ERR_VERSION;
		err = pkt_get(c, off, 40, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L3, &p);
		if (err)
			return err;
		memcpy(t->src.b, p + 8, 16);
		memcpy(t->dst.b, p + 24, 16);
		w = (struct exthdr_walk){ .off = off + 40, .nh = p[6] };
		err = ipv6_walk(c, &w, true);
		if (err)
			return err;
		if (w.later)
			return PKT_ERR_FRAG;
		proto = w.nh;
		l4 = w.off;
	}
	t->family = (uint8_t)family;
	t->proto = proto;

	err = pkt_get(c, l4, 8, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		t->sport = get16(p);
		t->dport = get16(p + 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (proto != (family == AF_INET ? IPPROTO_ICMP :
			      IPPROTO_ICMPV6))
			break;
		/* An error about an error is never sent; never recurse. */
		if (icmp_is_error(family, p[0]))
			return PKT_ERR_ICMP_INNER;
		if (icmp_is_query(family, p[0]))
			t->sport = t->dport = get16(p + 4);
		break;
	}
	return PKT_OK;
}

static enum pkt_err parse_icmp(struct pkt_ctx *c, uint32_t off,
			       struct pkt_info *pi)
{
	int family = pi->tuple.family;
	const uint8_t *p;
	enum pkt_err err;

	err = pkt_get(c, off, 8, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	pi->icmp_type = p[0];
	pi->icmp_code = p[1];
	if (icmp_is_error(family, p[0])) {
		struct pkt_ctx ic = *c;
		struct tuple inner;

		memset(&inner, 0, sizeof(inner));
		ic.past_end = PKT_OK;
		err = icmp_inner(&ic, family, off + 8, &inner);
		switch (err) {
		case PKT_OK:
			break;
		case PKT_ERR_SHORT_L3:
		case PKT_ERR_EXTHDR_TRUNC:
		case PKT_ERR_SHORT_L4:
			/* Whole in the message, cut by our copy range. */
			return PKT_ERR_SHORT_L4;
		default:
			return PKT_ERR_ICMP_INNER;
		}
		tuple_reverse(&inner, &pi->tuple);
		pi->icmp_error = true;
	} else if (icmp_is_query(family, p[0])) {
		pi->tuple.sport = pi->tuple.dport = get16(p + 4);
	}
	set_payload(c, pi, off + 8, c->end);
	return PKT_OK;
}

static enum pkt_err parse_tcp(struct pkt_ctx *c, uint32_t off,
			      struct pkt_info *pi)
{
	const uint8_t *p;
	enum pkt_err err;
	uint32_t hlen;

	err = pkt_get(c, off, 20, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	hlen = (uint32_t)(p[12] >> 4) * 4;
	if (hlen < 20)
		return PKT_ERR_TCP_DOFF;
	err = pkt_get(c, off, hlen, PKT_ERR_TCP_DOFF, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	if (!options_ok(p + 20, hlen - 20))
		return PKT_ERR_TCP_OPT;
	if (!tcp_flags_ok(p[13]))
		return PKT_ERR_TCP_FLAGS;
	pi->tuple.sport = get16(p);
	pi->tuple.dport = get16(p + 2);
	pi->tcp_flags = p[13];
	set_payload(c, pi, off + hlen, c->end);
	return PKT_OK;
}

static enum pkt_err parse_udp(struct pkt_ctx *c, uint32_t off,
			      struct pkt_info *pi)
{
	const uint8_t *p;
	enum pkt_err err;
	uint32_t ulen, wire_end = c->end;

	err = pkt_get(c, off, 8, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	ulen = get16(p + 4);
	if (pi->tuple.proto == IPPROTO_UDP) {
		/*
		 * 0 would mean "see the jumbogram length", and jumbograms
		 * were refused already. A first fragment holds only part of
		 * the datagram its length describes. Less than the IP
		 * payload is legal: the rest is padding (the kernel trims).
		 */
		if (ulen < 8)
			return PKT_ERR_UDP_LEN;
		if (!pi->fragment) {
			if (ulen > c->end - off)
				return PKT_ERR_UDP_LEN;
			wire_end = off + ulen;
		}
	} else {
		/* UDP-Lite: the field is the checksum coverage (RFC 3828). */
		if (ulen && (ulen < 8 ||
			     (!pi->fragment && ulen > c->end - off)))
			return PKT_ERR_UDPLITE_COV;
	}
	pi->tuple.sport = get16(p);
	pi->tuple.dport = get16(p + 2);
	set_payload(c, pi, off + 8, wire_end);
	return PKT_OK;
}

static enum pkt_err parse_sctp(struct pkt_ctx *c, uint32_t off,
			       struct pkt_info *pi)
{
	const uint8_t *p;
	enum pkt_err err;

	err = pkt_get(c, off, 12, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	pi->tuple.sport = get16(p);
	pi->tuple.dport = get16(p + 2);
	/* conntrack refuses a packet without chunks; so do we. */
	if (c->end - off < 16)
		return c->past_end ? c->past_end : PKT_ERR_SCTP;
	/* The first chunk's header is checked only when we hold it. */
	if (c->cap - off >= 16) {
		uint32_t clen;

		err = pkt_get(c, off + 12, 4, PKT_ERR_SCTP, PKT_ERR_SHORT_L4,
			      &p);
		if (err)
			return err;
		clen = get16(p + 2);
		if (clen < 4 || (!pi->fragment && clen > c->end - off - 12))
			return PKT_ERR_SCTP;
	}
	set_payload(c, pi, off + 12, c->end);
	return PKT_OK;
}

static enum pkt_err parse_dccp(struct pkt_ctx *c, uint32_t off,
			       struct pkt_info *pi)
{
	const uint8_t *p;
	enum pkt_err err;
	uint32_t hlen, cscov;

	err = pkt_get(c, off, 12, PKT_ERR_L4_LEN, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	hlen = (uint32_t)p[4] * 4;
	/* X set: 48-bit sequence numbers, a 16-byte generic header. */
	if (hlen < ((p[8] & 1) ? 16u : 12u))
		return PKT_ERR_DCCP;
	cscov = p[5] & 0x0f;
	/* Coverage is in words from the header on, 0 meaning all of it. */
	if (!pi->fragment && cscov && (cscov - 1) * 4 > c->end - off)
		return PKT_ERR_DCCP;
	pi->tuple.sport = get16(p);
	pi->tuple.dport = get16(p + 2);
	err = pkt_get(c, off, hlen, PKT_ERR_DCCP, PKT_ERR_SHORT_L4, &p);
	if (err)
		return err;
	set_payload(c, pi, off + hlen, c->end);
	return PKT_OK;
}

static enum pkt_err parse_l4(struct pkt_ctx *c, uint8_t proto, uint32_t off,
			     struct pkt_info *pi)
{
	pi->tuple.proto = proto;
	pi->l4_off = off;
	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(c, off, pi);
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return parse_udp(c, off, pi);
	case IPPROTO_SCTP:
		return parse_sctp(c, off, pi);
	case IPPROTO_DCCP:
		return parse_dccp(c, off, pi);
	case IPPROTO_ICMP:
		if (pi->tuple.family == AF_INET)
			return parse_icmp(c, off, pi);
		break;
	case IPPROTO_ICMPV6:
		if (pi->tuple.family == AF_INET6)
			return parse_icmp(c, off, pi);
		break;
	case IPPROTO_NONE:
		/* RFC 8200: whatever follows "no next header" is ignored. */
		if (pi->tuple.family == AF_INET6) {
			set_payload(c, pi, off, off);
			return PKT_OK;
		}
		break;
	}
	/* ESP, GRE, tunnels, ...: keyed by proto, all of it is payload. */
	set_payload(c, pi, off, c->end);
	return PKT_OK;
}

static void later_fragment(struct pkt_info *pi, uint8_t proto, uint32_t off)
{
	pi->tuple.proto = proto;
	pi->l4_off = off;
	pi->payload_off = off;
	pi->later_fragment = true;
}

static enum pkt_err parse_ipv4(struct pkt_ctx *c, uint32_t caplen,
			       struct pkt_info *pi)
{
	uint32_t hlen, tot, foff;
	const uint8_t *h;
	enum pkt_err err;
	uint16_t fo;

	err = pkt_get(c, 0, 20, PKT_ERR_RUNT, PKT_ERR_SHORT_L3, &h);
	if (err)
		return err;
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	if (hlen < 20)
		return PKT_ERR_IHL;
	tot = get16(h + 2);
	/* BIG TCP (> 64 KiB GSO) leaves 0 here and trusts the skb length. */
	if (!tot && c->end > hlen)
		return PKT_ERR_JUMBO;
	if (tot < hlen || tot > c->end)
		return PKT_ERR_TOTLEN;
	c->end = tot;
	c->cap = min_u32(caplen, tot);
	err = pkt_get(c, 0, hlen, PKT_ERR_TOTLEN, PKT_ERR_SHORT_L3, &h);
	if (err)
		return err;
	if (!options_ok(h + 20, hlen - 20))
		return PKT_ERR_IPV4_OPT;

	pi->tuple.family = AF_INET;
	pi->l3_len = tot;
	memcpy(pi->tuple.src.b, h + 12, 4);
	memcpy(pi->tuple.dst.b, h + 16, 4);

	fo = get16(h + 6);
	foff = (uint32_t)(fo & IPV4_OFFSET) * 8;
	if (foff || (fo & IPV4_MF)) {
		uint32_t data = tot - hlen;

		pi->fragment = true;
		/*
		 * The kernel drops empty fragments and those ending past
		 * 64 KiB (ping of death), but trims rather than drops a
		 * non-last fragment of odd size, so we accept those.
		 */
		if (!data || foff + data > IP_MAXLEN)
			return PKT_ERR_FRAG_BAD;
		if (foff) {
			later_fragment(pi, h[9], hlen);
			return PKT_OK;
		}
		c->past_end = PKT_ERR_FRAG;
	}
	return parse_l4(c, h[9], hlen, pi);
}

static enum pkt_err parse_ipv6(struct pkt_ctx *c, uint32_t caplen,
			       struct pkt_info *pi)
{
	struct exthdr_walk w;
	const uint8_t *h;
	enum pkt_err err;
	uint32_t plen;

	err = pkt_get(c, 0, 40, PKT_ERR_RUNT, PKT_ERR_SHORT_L3, &h);
	if (err)
		return err;
	plen = get16(h + 4);
	/*
	 * 0 on a longer packet: a jumbogram (hop-by-hop jumbo option) or
	 * BIG TCP, whose length only the link knows. Refused, not trusted.
	 */
	if (!plen && c->end > 40)
		return PKT_ERR_JUMBO;
	if (plen > c->end - 40)
		return PKT_ERR_IPV6_PLEN;
	c->end = 40 + plen;
	c->cap = min_u32(caplen, c->end);

	pi->tuple.family = AF_INET6;
	pi->l3_len = c->end;
	memcpy(pi->tuple.src.b, h + 8, 16);
	memcpy(pi->tuple.dst.b, h + 24, 16);

	w = (struct exthdr_walk){ .off = 40, .nh = h[6] };
	err = ipv6_walk(c, &w, false);
	if (err)
		return err;
	pi->fragment = w.fragment;
	if (w.later) {
		later_fragment(pi, w.nh, w.off);
		return PKT_OK;
	}
	return parse_l4(c, w.nh, w.off, pi);
}

enum pkt_err pkt_parse(const uint8_t *buf, uint32_t caplen, uint32_t wire_len,
		       struct pkt_info *out)
{
	struct pkt_ctx c = { .buf = buf, .end = wire_len, .cap = caplen };
	struct pkt_info pi;
	const uint8_t *p;
	enum pkt_err err;

	if (caplen > wire_len)
		return PKT_ERR_CAPLEN;
	err = pkt_get(&c, 0, 1, PKT_ERR_RUNT, PKT_ERR_SHORT_L3, &p);
	if (err)
		return err;
	memset(&pi, 0, sizeof(pi));
	switch (p[0] >> 4) {
	case 4:
		err = parse_ipv4(&c, caplen, &pi);
		break;
	case 6:
		err = parse_ipv6(&c, caplen, &pi);
		break;
	default:
		return PKT_ERR_VERSION;
	}
	if (err)
		return err;
	*out = pi;
	return PKT_OK;
}

static const char *const pkt_err_names[PKT_ERR__MAX] = {
	[PKT_OK]		= "ok",
	[PKT_ERR_CAPLEN]	= "bad_caplen",
	[PKT_ERR_RUNT]		= "runt",
	[PKT_ERR_SHORT_L3]	= "l3_truncated",
	[PKT_ERR_VERSION]	= "bad_ip_version",
	[PKT_ERR_IHL]		= "bad_ihl",
	[PKT_ERR_TOTLEN]	= "bad_totlen",
	[PKT_ERR_IPV4_OPT]	= "bad_ipv4_opt",
	[PKT_ERR_IPV6_PLEN]	= "bad_ipv6_plen",
	[PKT_ERR_JUMBO]		= "jumbo",
	[PKT_ERR_EXTHDR_TRUNC]	= "ipv6_exthdr_truncated",
	[PKT_ERR_EXTHDR_LEN]	= "ipv6_exthdr_overrun",
	[PKT_ERR_EXTHDR_ORDER]	= "ipv6_hbh_not_first",
	[PKT_ERR_EXTHDR_DUP]	= "ipv6_exthdr_dup",
	[PKT_ERR_EXTHDR_LOOP]	= "ipv6_exthdr_too_many",
	[PKT_ERR_FRAG]		= "frag_too_short",
	[PKT_ERR_FRAG_BAD]	= "bad_frag",
	[PKT_ERR_SHORT_L4]	= "l4_truncated",
	[PKT_ERR_L4_LEN]	= "l4_hdr_overrun",
	[PKT_ERR_TCP_DOFF]	= "bad_tcp_doff",
	[PKT_ERR_TCP_OPT]	= "bad_tcp_opt",
	[PKT_ERR_TCP_FLAGS]	= "bad_tcp_flags",
	[PKT_ERR_UDP_LEN]	= "bad_udp_len",
	[PKT_ERR_UDPLITE_COV]	= "bad_udplite_cov",
	[PKT_ERR_SCTP]		= "bad_sctp_chunk",
	[PKT_ERR_DCCP]		= "bad_dccp_hdr",
	[PKT_ERR_ICMP_INNER]	= "bad_icmp_inner",
};

const char *pkt_err_name(enum pkt_err err)
{
	if ((unsigned int)err >= PKT_ERR__MAX || !pkt_err_names[err])
		return "unknown";
	return pkt_err_names[err];
}

bool pkt_payload(const struct pkt_info *pi, const uint8_t *buf,
		 uint32_t offset, uint32_t length, const uint8_t **ret)
{
	if (offset > pi->payload_len || length > pi->payload_len - offset)
		return false;
	*ret = buf + pi->payload_off + offset;
	return true;
}

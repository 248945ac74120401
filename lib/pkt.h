/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet parser: from the IP header of a queued packet to its flow key,
 * the offset of its L4 header and the window of L4 payload we hold.
 *
 * Three lengths bound every packet. caplen is what NFQUEUE copied (the
 * copy range may cut the packet short), wire_len what the packet really
 * was (NFQA_CAP_LEN), and the IP header's own length (total length, or
 * 40 + payload length) says where the packet ends; bytes between that
 * and wire_len are link padding and belong to no layer. Two kinds of
 * rejection follow, and are counted apart so that a copy range set too
 * small never looks like an attack: a header that runs past the
 * packet's own end means the packet lies (bad_totlen, l4_hdr_overrun,
 * ...), while a header that is whole in the packet but cut by the copy
 * range is *_truncated.
 *
 * The parser never reads past buf[caplen - 1], never allocates, keeps
 * no state, and leaves *out untouched unless it returns PKT_OK.
 */
#ifndef FC_PKT_H
#define FC_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "tuple.h"

/*
 * Longest IPv6 extension-header chain walked before giving up. A real
 * packet carries at most a handful (RFC 8200 4.1: each once, destination
 * options twice); the bound keeps the walk short on a crafted chain.
 */
#define PKT_MAX_EXTHDR	16

/*
 * One value per rejection reason; pkt_err_name() gives each a counter
 * name. "overrun": a header runs past the packet's own end (the packet
 * lies); "truncated": it is whole in the packet but cut by the copy range.
 */
enum pkt_err {
	PKT_OK = 0,
	/* caplen > wire_len: the caller's lengths disagree */
	PKT_ERR_CAPLEN,
	/* the packet is empty or shorter than a fixed IP header */
	PKT_ERR_RUNT,
	/* the capture ends inside the IP header or its options */
	PKT_ERR_SHORT_L3,
	/* version nibble neither 4 nor 6 */
	PKT_ERR_VERSION,
	/* IPv4 IHL < 5 */
	PKT_ERR_IHL,
	/* IPv4 total length < IHL * 4, or > wire_len */
	PKT_ERR_TOTLEN,
	/* IPv4 option of length < 2, or running past the header */
	PKT_ERR_IPV4_OPT,
	/* 40 + IPv6 payload length > wire_len */
	PKT_ERR_IPV6_PLEN,
	/*
	 * Length field 0 on a longer packet: BIG TCP (IPv4 or IPv6) or an
	 * RFC 2675 jumbogram, whose real length only the link knows.
	 * Refused rather than trusted.
	 */
	PKT_ERR_JUMBO,
	/* the capture ends inside an IPv6 extension header */
	PKT_ERR_EXTHDR_TRUNC,
	/* an extension header runs past the packet's end */
	PKT_ERR_EXTHDR_LEN,
	/* hop-by-hop options anywhere but right after the IPv6 header */
	PKT_ERR_EXTHDR_ORDER,
	/* a second routing or fragment header */
	PKT_ERR_EXTHDR_DUP,
	/* more than PKT_MAX_EXTHDR extension headers */
	PKT_ERR_EXTHDR_LOOP,
	/* first fragment too short for its L4 header (IPv6: or for the
	 * rest of its extension headers) */
	PKT_ERR_FRAG,
	/* empty fragment, fragment ending past 64 KiB, or an IPv6 non-last
	 * fragment whose length is not a multiple of 8 */
	PKT_ERR_FRAG_BAD,
	/* the capture ends inside the L4 header (for an ICMP error: inside
	 * the embedded IP header + 8 bytes) */
	PKT_ERR_SHORT_L4,
	/* the IP payload is shorter than the fixed L4 header (TCP 20;
	 * UDP, UDP-Lite, ICMP 8; SCTP, DCCP 12) */
	PKT_ERR_L4_LEN,
	/* TCP data offset < 5, or past the segment */
	PKT_ERR_TCP_DOFF,
	/* TCP option of length < 2, or running past the options */
	PKT_ERR_TCP_OPT,
	/* a flag set conntrack refuses too: SYN+FIN, SYN+RST, none at all,
	 * FIN without ACK, ... (PSH, ECE, CWR go with anything) */
	PKT_ERR_TCP_FLAGS,
	/* UDP length < 8 (0 included), or > the IP payload */
	PKT_ERR_UDP_LEN,
	/* UDP-Lite checksum coverage neither 0 nor 8..length */
	PKT_ERR_UDPLITE_COV,
	/* SCTP without room for a chunk, or a first chunk length < 4 or
	 * past the packet */
	PKT_ERR_SCTP,
	/* DCCP data offset below the generic header or past the packet, or
	 * checksum coverage past the packet */
	PKT_ERR_DCCP,
	/* ICMP error whose embedded packet is cut short in the message,
	 * malformed, of the other family, a non-first fragment, or itself
	 * an ICMP error */
	PKT_ERR_ICMP_INNER,
	PKT_ERR__MAX
};

/*
 * What pkt_parse() learnt. Offsets are from the start of buf (the IP
 * header); every window below lies within [0, caplen).
 *
 * tuple: family, proto, addresses, ports (host order); zone is 0, the
 * caller sets it. Ports are 0 for protocols without them and for
 * non-first fragments. ICMP queries that conntrack tracks as
 * request/reply pairs (echo, timestamp, info, address mask; ICMPv6 echo
 * and node information) carry their id in both ports, as tuple.h says
 * for echo: conntrack keys all of them by id, and a tuple without it
 * would never match the mirrored entry.
 *
 * icmp_error: the packet is an ICMP/ICMPv6 error and tuple is not its
 * own but that of the flow it reports on, oriented the way the error
 * travels: src = the embedded packet's destination, dst = its source,
 * ports swapped, proto = the embedded packet's protocol. The error goes
 * back to the embedded packet's sender, so this is the tuple a packet of
 * that flow heading to the same receiver would have (the flow's reply
 * tuple when the embedded packet was in the original direction), which
 * makes a two-direction flow lookup land on the same flow and the same
 * direction. It is also what conntrack looks up for an error
 * (icmp_error_message() inverts the embedded tuple). The outer
 * addresses, those of the router that complained, are in no tuple; read
 * them from the header at offset 0 if needed.
 */
struct pkt_info {
	struct tuple tuple;
	/* IP packet length per its header; < wire_len when link-padded */
	uint32_t l3_len;
	/* the L4 header; the byte after the IPv6 extension headers; the
	 * fragment data of a non-first fragment */
	uint32_t l4_off;
	/*
	 * First byte after the L4 header. TCP and UDP exactly where nft's
	 * @ih points (thoff + doff * 4, thoff + 8), so that a stream ID
	 * read here is the one a payload-keyed map reads in the kernel;
	 * UDP-Lite and ICMP + 8, SCTP + 12 (the chunks), DCCP + doff * 4;
	 * l4_off for protocols not parsed.
	 */
	uint32_t payload_off;
	/* L4 payload bytes present in buf: clipped to caplen and to
	 * payload_wire_len */
	uint32_t payload_len;
	/* L4 payload length per the headers (UDP: its length field; a first
	 * fragment: its own share); 0 for non-first fragments and for IPv6
	 * no-next-header */
	uint32_t payload_wire_len;
	uint8_t tcp_flags;	/* TCP flags byte as sent (CWR..FIN); else 0 */
	/* type and code when the packet's own L4 is ICMP of its family */
	uint8_t icmp_type;
	uint8_t icmp_code;
	/* any fragment; an IPv6 atomic fragment (offset 0, M clear) is a
	 * whole packet: false */
	bool fragment;
	/* non-first fragment: no L4 header, tuple keyed by proto (for IPv6
	 * the fragment header's next header) with ports 0, no payload */
	bool later_fragment;
	bool icmp_error;	/* tuple is the reported flow's, see above */
};

/*
 * Parse the packet in buf[0, caplen), which was wire_len bytes long on
 * the wire (wire_len >= caplen). The family comes from the version
 * nibble. Returns PKT_OK and fills *out, or the first reason found to
 * reject the packet, leaving *out untouched. Never reads outside buf[0,
 * caplen); buf may be NULL when caplen is 0.
 */
enum pkt_err pkt_parse(const uint8_t *buf, uint32_t caplen, uint32_t wire_len,
		       struct pkt_info *out);

/*
 * Stable snake_case counter name of a reason ("ok", "bad_ihl",
 * "ipv6_exthdr_truncated", ...); "unknown" for a value out of range.
 */
const char *pkt_err_name(enum pkt_err err);

/*
 * The L4 payload bytes [offset, offset + length) of a packet pkt_parse()
 * accepted into pi, from the same buf. Returns true and sets *ret when
 * all of them are in the capture (length 0 is true for offset <=
 * payload_len), false otherwise, also when offset + length wraps; *ret
 * is untouched then. When false, pi->payload_wire_len tells a packet too
 * short (wait for more data) from a copy range too small.
 */
bool pkt_payload(const struct pkt_info *pi, const uint8_t *buf,
		 uint32_t offset, uint32_t length, const uint8_t **ret);

#endif

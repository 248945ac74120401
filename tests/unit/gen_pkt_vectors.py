#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate tests/unit/pkt_vectors.h: packets built by scapy, for test_pkt.c.

The header is committed; the tests never need scapy. Regenerate with
Debian's python3-scapy (not a pyenv python, which lacks it):

    /usr/bin/python3 tests/unit/gen_pkt_vectors.py > tests/unit/pkt_vectors.h
    /usr/bin/python3 tests/unit/gen_pkt_vectors.py --corpus DIR   # fuzz seeds

For an accepted packet the expected tuple, offsets and flags come from
scapy's own dissection of the bytes (derive() below), not from pkt.c's
logic, so the two parsers check each other. For a rejected one the
expected reason is written by hand next to the packet.
"""
import argparse
import os
import struct
import sys
import warnings

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import Raw, raw, conf  # noqa: E402
from scapy.layers.inet import (IP, TCP, UDP, ICMP, IPerror, TCPerror,  # noqa: E402
                               UDPerror, ICMPerror, IPOption_RR)
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop,  # noqa: E402
                                IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                                IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                ICMPv6EchoReply, ICMPv6DestUnreach,
                                ICMPv6PacketTooBig, ICMPv6TimeExceeded,
                                ICMPv6ParamProblem, IPerror6, Jumbo,
                                ICMPv6ND_RA)
from scapy.layers.sctp import SCTP, SCTPChunkInit, SCTPChunkData  # noqa: E402
from scapy.layers.ipsec import AH, ESP  # noqa: E402
from scapy.layers.l2 import GRE  # noqa: E402

conf.verb = 0

A4, B4, R4 = "192.0.2.1", "198.51.100.7", "203.0.113.254"
A6, B6, R6 = "2001:db8::1", "2001:db8:ffff::7", "2001:db8:eeee::fe"

EXT6 = (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
        IPv6ExtHdrFragment, AH)
ICMP4_QUERY = {0, 8, 13, 14, 15, 16, 17, 18}
ICMP4_ERROR = {3, 4, 5, 11, 12}
ICMP6_QUERY = {128, 129, 139, 140}
ICMP6_ERROR = {1, 2, 3, 4}
PORTS = {6, 17, 136, 132, 33}


def hdr_size(layer):
    return len(raw(layer)) - len(raw(layer.payload))


def inner_tuple(err, fam):
    """The flow inside an ICMP error, from scapy's IPerror/IPerror6."""
    ip = err[IPerror] if fam == 4 else err[IPerror6]
    if fam == 4:
        proto, lay = ip.proto, ip.payload
    else:
        proto, lay = ip.nh, ip.payload
        while isinstance(lay, EXT6):
            proto, lay = lay.nh, lay.payload
    if proto in PORTS:
        # TCPerror/UDPerror carry ports; other classes may be Raw.
        if hasattr(lay, "sport"):
            sp, dp = lay.sport, lay.dport
        else:
            b = raw(lay)
            sp, dp = struct.unpack("!HH", b[:4])
    elif (fam == 4 and proto == 1) or (fam == 6 and proto == 58):
        b = raw(lay)
        t = b[0]
        q = ICMP4_QUERY if fam == 4 else ICMP6_QUERY
        sp = dp = struct.unpack("!H", b[4:6])[0] if t in q else 0
    else:
        sp = dp = 0
    return ip.src, ip.dst, proto, sp, dp


def redissect(lay, proto):
    """scapy leaves some payloads (after AH, say) as Raw: decode by number."""
    cls = {0: IPv6ExtHdrHopByHop, 43: IPv6ExtHdrRouting,
           44: IPv6ExtHdrFragment, 60: IPv6ExtHdrDestOpt, 51: AH,
           6: TCP, 17: UDP, 132: SCTP}.get(proto)
    if cls and isinstance(lay, Raw):
        return cls(raw(lay))
    return lay


def derive(b):
    """What pkt_parse() must say about bytes b, per scapy's dissection."""
    fam = b[0] >> 4
    q = IP(b) if fam == 4 else IPv6(b)
    e = dict(family=fam, src=q.src, dst=q.dst, fragment=False, later=False,
             icmp_error=False, tcp_flags=0)
    if fam == 4:
        l3_end = q.len
        proto = q.proto
        l4 = q.ihl * 4
        e["fragment"] = bool(q.frag or (q.flags & 1))
        e["later"] = bool(q.frag)
        lay = q.payload
    else:
        l3_end = 40 + q.plen
        proto, off, lay = q.nh, 40, redissect(q.payload, q.nh)
        while isinstance(lay, EXT6):
            if isinstance(lay, IPv6ExtHdrFragment) and (lay.offset or lay.m):
                e["fragment"] = True
                if lay.offset:
                    e["later"] = True
                    proto, off = lay.nh, off + 8
                    break
            off += hdr_size(lay)
            proto, lay = lay.nh, redissect(lay.payload, lay.nh)
        l4 = off
    e.update(proto=proto, sport=0, dport=0, l3_len=l3_end, l4_off=l4)
    if e["later"]:
        e.update(payload_off=l4, payload_wire_len=0)
        return e
    poff, pend = l4, l3_end
    if proto == 6:
        e["sport"], e["dport"] = lay.sport, lay.dport
        e["tcp_flags"] = int(lay.flags)
        poff = l4 + lay.dataofs * 4
    elif proto == 17:
        e["sport"], e["dport"] = lay.sport, lay.dport
        poff = l4 + 8
        if not e["fragment"]:
            pend = l4 + lay.len
    elif proto in (136,):
        e["sport"], e["dport"] = struct.unpack("!HH", b[l4:l4 + 4])
        poff = l4 + 8
    elif proto == 132:
        e["sport"], e["dport"] = lay.sport, lay.dport
        poff = l4 + 12
    elif (fam == 4 and proto == 1) or (fam == 6 and proto == 58):
        t = b[l4]
        poff = l4 + 8
        if t in (ICMP4_ERROR if fam == 4 else ICMP6_ERROR):
            s, d, p, sp, dp = inner_tuple(lay, fam)
            # Reversed: the orientation the error travels in.
            e.update(src=d, dst=s, proto=p, sport=dp, dport=sp,
                     icmp_error=True)
        elif t in (ICMP4_QUERY if fam == 4 else ICMP6_QUERY):
            e["sport"] = e["dport"] = struct.unpack("!H", b[l4 + 4:l4 + 6])[0]
    elif proto == 59:
        pend = poff
    e.update(payload_off=poff, payload_wire_len=pend - poff)
    return e


VECTORS = []


def ok(name, pkt, caplen=None, wire=None, pad=b""):
    b = raw(pkt) + pad
    VECTORS.append(dict(name=name, data=b, caplen=caplen, wire=wire,
                        err="PKT_OK", exp=derive(raw(pkt))))


def bad(name, data, err, caplen=None, wire=None):
    b = data if isinstance(data, bytes) else raw(data)
    VECTORS.append(dict(name=name, data=b, caplen=caplen, wire=wire, err=err))


def patch(b, off, new):
    return b[:off] + bytes(new) + b[off + len(new):]


def build():
    ip4 = IP(src=A4, dst=B4, id=1)
    ip6 = IPv6(src=A6, dst=B6)
    tcp_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                ("NOP", None), ("WScale", 7)]

    # --- accepted ---
    ok("v4_tcp_syn_opts", ip4 / TCP(sport=40000, dport=443, flags="S",
                                    options=tcp_opts))
    ok("v4_tcp_pa_payload", ip4 / TCP(sport=40000, dport=80, flags="PA")
       / Raw(b"GET / HTTP/1.1\r\n\r\n"))
    ok("v4_tcp_ece_cwr_syn", ip4 / TCP(sport=1, dport=2, flags="SEC"))
    ok("v4_udp", ip4 / UDP(sport=5353, dport=53) / Raw(b"q" * 30))
    ok("v4_udp_link_padding", ip4 / UDP(sport=7, dport=9) / Raw(b"abc"),
       pad=b"\0" * 11)
    ok("v4_udplite", IP(src=A4, dst=B4, proto=136) /
       Raw(struct.pack("!HHHH", 5004, 5006, 8, 0) + b"rtp!" * 4))
    ok("v4_sctp_init", ip4 / SCTP(sport=36412, dport=36412) /
       SCTPChunkInit())
    ok("v4_sctp_data", ip4 / SCTP(sport=9, dport=10) /
       SCTPChunkData(data=b"hello"))
    ok("v4_icmp_echo", ip4 / ICMP(type=8, id=0x1234, seq=1) / Raw(b"p" * 8))
    ok("v4_icmp_echo_reply", IP(src=B4, dst=A4) /
       ICMP(type=0, id=0x1234, seq=1))
    ok("v4_icmp_timestamp", ip4 / ICMP(type=13, id=77, ts_ori=1, ts_rx=2,
                                        ts_tx=3))
    ok("v4_icmp_router_adv", ip4 / ICMP(type=9) / Raw(b"\0" * 8))
    ok("v4_gre", ip4 / GRE() / Raw(b"\0" * 20))
    ok("v4_options_rr", IP(src=A4, dst=B4,
                           options=[IPOption_RR(routers=["10.1.1.1"])]) /
       UDP(sport=1000, dport=2000))
    ok("v4_first_fragment_tcp", IP(src=A4, dst=B4, flags="MF") /
       TCP(sport=3333, dport=22, flags="A") / Raw(b"f" * 20))
    ok("v4_later_fragment", IP(src=A4, dst=B4, frag=185, proto=17) /
       Raw(b"z" * 40))
    ok("v4_icmp_unreach_udp", IP(src=R4, dst=A4) / ICMP(type=3, code=3) /
       IPerror(src=A4, dst=B4) / UDPerror(sport=5353, dport=53))
    ok("v4_icmp_ttl_tcp", IP(src=R4, dst=A4) / ICMP(type=11) /
       IPerror(src=A4, dst=B4) / TCPerror(sport=40000, dport=443))
    ok("v4_icmp_redirect_tcp", IP(src=R4, dst=A4) / ICMP(type=5, gw=R4) /
       IPerror(src=A4, dst=B4) / TCPerror(sport=1, dport=2))
    ok("v4_icmp_unreach_echo", IP(src=R4, dst=A4) / ICMP(type=3, code=1) /
       IPerror(src=A4, dst=B4) / ICMPerror(type=8, id=0x4242))
    ok("v4_ah_keyed_by_proto", ip4 / AH(nh=6, payloadlen=4,
                                        icv=b"\0" * 12) / TCP())

    ok("v6_tcp", ip6 / TCP(sport=50000, dport=22, flags="S",
                           options=tcp_opts))
    ok("v6_udp", ip6 / UDP(sport=4500, dport=4500) / Raw(b"u" * 64))
    ok("v6_udplite", IPv6(src=A6, dst=B6, nh=136) /
       Raw(struct.pack("!HHHH", 1, 2, 0, 0) + b"x" * 8))
    ok("v6_sctp", ip6 / SCTP(sport=5060, dport=5060) / SCTPChunkInit())
    ok("v6_icmp6_echo", ip6 / ICMPv6EchoRequest(id=0xbeef, seq=3))
    ok("v6_icmp6_echo_reply", IPv6(src=B6, dst=A6) /
       ICMPv6EchoReply(id=0xbeef, seq=3))
    ok("v6_icmp6_ra", ip6 / ICMPv6ND_RA())
    ok("v6_chain_hbh_dst_rt_frag_tcp", ip6 / IPv6ExtHdrHopByHop() /
       IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=[R6]) /
       IPv6ExtHdrFragment(offset=0, m=1, id=9) /
       TCP(sport=1234, dport=80, flags="S", options=tcp_opts) /
       Raw(b"x" * 16))
    ok("v6_chain_hbh_dst_rt_ah_dst_udp", ip6 / IPv6ExtHdrHopByHop() /
       IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=[R6]) /
       AH(nh=60, payloadlen=4, icv=b"\0" * 12) / IPv6ExtHdrDestOpt() /
       UDP(sport=53, dport=53))
    ok("v6_atomic_fragment", ip6 / IPv6ExtHdrFragment(offset=0, m=0) /
       UDP(sport=8, dport=9))
    ok("v6_later_fragment", ip6 / IPv6ExtHdrFragment(nh=17, offset=100,
                                                     m=1) / Raw(b"y" * 16))
    ok("v6_esp", ip6 / ESP(spi=0x1001, seq=1, data=b"e" * 24))
    ok("v6_no_next_header", ip6 / IPv6ExtHdrDestOpt(nh=59) /
       Raw(b"ignored!"))
    ok("v6_sixteen_dstopts", IPv6(src=A6, dst=B6) /
       _chain(IPv6ExtHdrDestOpt, 16) / UDP(sport=1, dport=2))
    ok("v6_icmp6_unreach_tcp", IPv6(src=R6, dst=A6) / ICMPv6DestUnreach() /
       IPerror6(src=A6, dst=B6) / TCPerror(sport=50000, dport=22))
    ok("v6_icmp6_ptb_udp", IPv6(src=R6, dst=A6) / ICMPv6PacketTooBig(
        mtu=1280) / IPerror6(src=A6, dst=B6) / UDPerror(sport=443,
                                                          dport=60000))
    ok("v6_icmp6_ttl_exthdr_udp", IPv6(src=R6, dst=A6) /
       ICMPv6TimeExceeded() / IPerror6(src=A6, dst=B6) /
       IPv6ExtHdrDestOpt() / UDPerror(sport=1, dport=2))
    ok("v6_icmp6_param_echo", IPv6(src=R6, dst=A6) / ICMPv6ParamProblem() /
       IPerror6(src=A6, dst=B6) / ICMPv6EchoRequest(id=7))

    # --- rejected ---
    bad("v4_ihl_4", IP(src=A4, dst=B4, ihl=4) / UDP(), "PKT_ERR_IHL")
    bad("v4_totlen_lt_hdr", IP(src=A4, dst=B4, len=19) / UDP(),
        "PKT_ERR_TOTLEN")
    bad("v4_totlen_gt_wire", IP(src=A4, dst=B4, len=300) / UDP(),
        "PKT_ERR_TOTLEN")
    rr = raw(IP(src=A4, dst=B4,
                options=[IPOption_RR(routers=["10.1.1.1"])]) / UDP())
    bad("v4_opt_len_0", patch(rr, 21, [0]), "PKT_ERR_IPV4_OPT")
    bad("v4_opt_len_1", patch(rr, 21, [1]), "PKT_ERR_IPV4_OPT")
    bad("v4_opt_past_hdr", patch(rr, 21, [9]), "PKT_ERR_IPV4_OPT")
    bad("v4_tcp_doff_4", ip4 / TCP(dataofs=4), "PKT_ERR_TCP_DOFF")
    bad("v4_tcp_doff_past", ip4 / TCP(dataofs=15), "PKT_ERR_TCP_DOFF")
    mss = raw(ip4 / TCP(options=[("MSS", 1460)]))
    bad("v4_tcp_opt_len_0", patch(mss, 41, [0]), "PKT_ERR_TCP_OPT")
    bad("v4_tcp_opt_len_1", patch(mss, 41, [1]), "PKT_ERR_TCP_OPT")
    bad("v4_tcp_opt_past", patch(mss, 41, [5]), "PKT_ERR_TCP_OPT")
    for flags in ("SF", "SR", "", "F", "FPU", "SRAFU", "R" + "F"):
        bad("v4_tcp_flags_" + (flags or "none"), ip4 / TCP(flags=flags),
            "PKT_ERR_TCP_FLAGS")
    bad("v4_udp_len_0", ip4 / UDP(len=0), "PKT_ERR_UDP_LEN")
    bad("v4_udp_len_7", ip4 / UDP(len=7), "PKT_ERR_UDP_LEN")
    bad("v4_udp_len_past", ip4 / UDP(len=100) / Raw(b"x" * 10),
        "PKT_ERR_UDP_LEN")
    bad("v4_udplite_cov_4", IP(src=A4, dst=B4, proto=136) /
        Raw(struct.pack("!HHHH", 1, 2, 4, 0)), "PKT_ERR_UDPLITE_COV")
    bad("v4_sctp_no_chunk", ip4 / SCTP(), "PKT_ERR_SCTP")
    init = raw(ip4 / SCTP() / SCTPChunkInit())
    bad("v4_sctp_chunk_len_2", patch(init, 34, [0, 2]), "PKT_ERR_SCTP")
    bad("v4_sctp_chunk_past", patch(init, 34, [0, 200]), "PKT_ERR_SCTP")
    bad("v4_sctp_short", IP(src=A4, dst=B4, proto=132) / Raw(b"\0" * 8),
        "PKT_ERR_L4_LEN")
    bad("v4_tcp_short", IP(src=A4, dst=B4, proto=6) / Raw(b"\0" * 19),
        "PKT_ERR_L4_LEN")
    bad("v4_first_fragment_short", IP(src=A4, dst=B4, flags="MF", proto=6) /
        Raw(b"\0" * 8), "PKT_ERR_FRAG")
    bad("v4_later_fragment_empty", IP(src=A4, dst=B4, frag=10, proto=6),
        "PKT_ERR_FRAG_BAD")
    bad("v4_fragment_past_64k", IP(src=A4, dst=B4, frag=8190, proto=17) /
        Raw(b"\0" * 64), "PKT_ERR_FRAG_BAD")
    bad("v4_icmp_inner_cut", IP(src=R4, dst=A4) / ICMP(type=3) /
        IPerror(src=A4, dst=B4, proto=17) / Raw(b"\0\x35"),
        "PKT_ERR_ICMP_INNER")
    bad("v4_icmp_inner_is_error", IP(src=R4, dst=A4) / ICMP(type=11) /
        IPerror(src=A4, dst=B4) / ICMPerror(type=3), "PKT_ERR_ICMP_INNER")
    bad("v4_icmp_inner_v6", IP(src=R4, dst=A4) / ICMP(type=3) /
        IPerror6(src=A6, dst=B6) / UDPerror(), "PKT_ERR_ICMP_INNER")
    bad("v4_icmp_inner_later_frag", IP(src=R4, dst=A4) / ICMP(type=3) /
        IPerror(src=A4, dst=B4, frag=4, proto=17) / Raw(b"\0" * 8),
        "PKT_ERR_ICMP_INNER")
    cut = raw(IP(src=R4, dst=A4) / ICMP(type=3) / IPerror(src=A4, dst=B4) /
              TCPerror())
    bad("v4_icmp_inner_capture_cut", cut, "PKT_ERR_SHORT_L4",
        caplen=20 + 8 + 20 + 3, wire=len(cut))
    bad("v6_plen_gt_wire", IPv6(src=A6, dst=B6, plen=200) / UDP(),
        "PKT_ERR_IPV6_PLEN")
    bad("v6_hbh_not_first", ip6 / IPv6ExtHdrDestOpt() /
        IPv6ExtHdrHopByHop() / UDP(), "PKT_ERR_EXTHDR_ORDER")
    bad("v6_two_routing", ip6 / IPv6ExtHdrRouting(addresses=[R6]) /
        IPv6ExtHdrRouting(addresses=[R6]) / UDP(), "PKT_ERR_EXTHDR_DUP")
    bad("v6_two_fragment", ip6 / IPv6ExtHdrFragment(m=1) /
        IPv6ExtHdrFragment(m=1) / UDP() / Raw(b"\0" * 8),
        "PKT_ERR_EXTHDR_DUP")
    bad("v6_120_dstopts", ip6 / _chain(IPv6ExtHdrDestOpt, 120) / UDP(),
        "PKT_ERR_EXTHDR_LOOP")
    bad("v6_17_dstopts", ip6 / _chain(IPv6ExtHdrDestOpt, 17) / UDP(),
        "PKT_ERR_EXTHDR_LOOP")
    dst = raw(ip6 / IPv6ExtHdrDestOpt() / UDP())
    bad("v6_exthdr_len_255", patch(dst, 41, [255]), "PKT_ERR_EXTHDR_LEN")
    bad("v6_exthdr_capture_cut", dst, "PKT_ERR_EXTHDR_TRUNC", caplen=45,
        wire=len(dst))
    bad("v6_jumbo", IPv6(src=A6, dst=B6, plen=0) /
        IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)]) /
        UDP(len=0) / Raw(b"\0" * 16), "PKT_ERR_JUMBO")
    bad("v6_first_fragment_short", ip6 / IPv6ExtHdrFragment(nh=6, m=1) /
        Raw(b"\0" * 16), "PKT_ERR_FRAG")
    bad("v6_fragment_not_8", ip6 / IPv6ExtHdrFragment(nh=17, m=1) /
        UDP() / Raw(b"\0" * 5), "PKT_ERR_FRAG_BAD")
    bad("v6_icmp6_inner_v4", IPv6(src=R6, dst=A6) / ICMPv6DestUnreach() /
        IPerror(src=A4, dst=B4) / UDPerror(), "PKT_ERR_ICMP_INNER")
    bad("v6_icmp6_inner_cut", IPv6(src=R6, dst=A6) / ICMPv6DestUnreach() /
        IPerror6(src=A6, dst=B6, nh=6) / Raw(b"\0" * 4),
        "PKT_ERR_ICMP_INNER")
    bad("v6_tcp_cut", ip6 / TCP(options=tcp_opts), "PKT_ERR_SHORT_L4",
        caplen=40 + 25, wire=40 + 40)
    bad("v4_header_cut", ip4 / TCP(), "PKT_ERR_SHORT_L3", caplen=12,
        wire=40)
    bad("version_5", b"\x50" + b"\0" * 39, "PKT_ERR_VERSION")
    bad("runt_v4", raw(ip4 / TCP())[:19], "PKT_ERR_RUNT")


def _chain(cls, n):
    p = cls()
    for _ in range(n - 1):
        p = p / cls()
    return p


def c_str(s):
    return '"' + s + '"'


def emit(out):
    w = out.write
    w("/* SPDX-License-Identifier: GPL-2.0-or-later */\n")
    w("/*\n * Generated by tests/unit/gen_pkt_vectors.py (scapy %s); do not\n"
      " * edit. Expected values of accepted packets come from scapy's\n"
      " * dissection, those of rejected ones from the generator's author.\n"
      " */\n" % __import__("scapy").__version__)
    w("#ifndef FC_PKT_VECTORS_H\n#define FC_PKT_VECTORS_H\n\n")
    w("#include <stdbool.h>\n#include <stdint.h>\n\n#include \"pkt.h\"\n\n")
    w("struct pkt_vector {\n\tconst char *name;\n\tconst uint8_t *data;\n"
      "\tuint32_t caplen;\n\tuint32_t wire_len;\n\tenum pkt_err err;\n"
      "\t/* when err is PKT_OK: */\n\tint family;\t\t/* 4 or 6 */\n"
      "\tuint8_t proto;\n\tconst char *src, *dst;\n"
      "\tuint16_t sport, dport;\n\tuint32_t l3_len, l4_off, payload_off, "
      "payload_wire_len;\n\tuint8_t tcp_flags;\n"
      "\tbool fragment, later_fragment, icmp_error;\n};\n\n")
    for i, v in enumerate(VECTORS):
        b = v["data"]
        w("static const uint8_t pkt_vector_%d[%d] = {" % (i, len(b)))
        for j, x in enumerate(b):
            w(("\n\t" if j % 12 == 0 else " ") + "0x%02x," % x)
        w("\n};\n")
    w("\nstatic const struct pkt_vector pkt_vectors[] = {\n")
    for i, v in enumerate(VECTORS):
        b = v["data"]
        cap = v["caplen"] if v["caplen"] is not None else len(b)
        wire = v["wire"] if v["wire"] is not None else len(b)
        w("\t{ %s, pkt_vector_%d, %d, %d, %s" % (c_str(v["name"]), i, cap,
                                                 wire, v["err"]))
        e = v.get("exp")
        if e:
            w(",\n\t  %d, %d, %s, %s, %d, %d, %d, %d, %d, %d, 0x%02x, %s, %s, %s"
              % (e["family"], e["proto"], c_str(e["src"]), c_str(e["dst"]),
                 e["sport"], e["dport"], e["l3_len"], e["l4_off"],
                 e["payload_off"], e["payload_wire_len"], e["tcp_flags"],
                 str(e["fragment"]).lower(), str(e["later"]).lower(),
                 str(e["icmp_error"]).lower()))
        else:
            w(",\n\t  0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0x00, false, false, false")
        w(" },\n")
    w("};\n\n#endif\n")


def corpus(d):
    """Fuzz seeds in fuzz_pkt.c's input format: 4 control bytes, packet."""
    os.makedirs(d, exist_ok=True)
    for v in VECTORS:
        b = v["data"]
        cap = v["caplen"] if v["caplen"] is not None else len(b)
        wire = v["wire"] if v["wire"] is not None else len(b)
        ctl = struct.pack("!HBB", wire - cap, 2, 4)
        with open(os.path.join(d, v["name"]), "wb") as f:
            f.write(ctl + b[:cap])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", metavar="DIR",
                    help="write fuzz seeds to DIR instead of the header")
    a = ap.parse_args()
    build()
    if a.corpus:
        corpus(a.corpus)
    else:
        emit(sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a synthetic full Internet routing table, for bench/bench_lpm.c.

    bench/gen_prefixes.py [--v4 N] [--v6 N] [--seed S] [--nexthops K] [-o FILE]

One line per prefix, "ADDR/LEN NEXTHOP", the IPv4 ones first, in no
particular order (the order the generator drew them: the benchmark loads
them as they come and sorted). Next hops are 1..K (default 256: a router
with a few hundred BGP neighbours); the same seed writes the same table.

What makes it look like a real table, rather than random bits:

* The prefix-length mix of the IPv4 and IPv6 BGP tables of 2024 (counts
  read off the public table reports, bgp.potaroo.net and the CIDR
  report, rounded), scaled to N: IPv4 is 60% /24, then /22, /23, /21,
  /20, /19, /18, /16 ... down to a dozen /8; IPv6 is half /48, then /32,
  /44, /40, /29, /36. A router's FIB also carries what BGP filters out
  (connected and IGP routes: /25 to /32, /56 to /128): a few of those.
* Addresses clustered as allocations are. IPv4 prefixes of /16 and
  longer fall into a /16 drawn with Zipf-like weights from the unicast
  space (some blocks are carved into hundreds of /24s, most into a few),
  so more-specifics nest under covering routes as they do in the real
  table; shorter ones lie anywhere in unicast space. IPv6 prefixes
  longer than /32 fall inside LIR allocations (/29 in RIPE's space, /32
  elsewhere) in the RIRs' /12s, again with skewed weights; that sharing
  of the upper bits is what decides the memory of a multibit trie, so
  uniformly random IPv6 prefixes would overstate it badly.
"""
import argparse
import bisect
import ipaddress
import itertools
import random
import sys

# IPv4 prefixes per length in a table of ~960k (2024); /25-/32: a FIB's
# connected and IGP routes.
V4_MIX = {
    8: 16, 9: 12, 10: 37, 11: 100, 12: 290, 13: 560, 14: 1100, 15: 1900,
    16: 13500, 17: 8300, 18: 13900, 19: 26000, 20: 44000, 21: 50000,
    22: 120000, 23: 100000, 24: 580000,
    25: 300, 26: 300, 27: 300, 28: 400, 29: 600, 30: 800, 31: 200, 32: 1100,
}

# IPv6 prefixes per length in a table of ~200k (2024), plus a FIB's
# longer ones.
V6_MIX = {
    19: 5, 20: 30, 22: 40, 23: 20, 24: 300, 25: 80, 26: 150, 27: 250,
    28: 1500, 29: 9000, 30: 1200, 31: 800, 32: 27000, 33: 2000, 34: 2000,
    35: 1200, 36: 8000, 37: 600, 38: 1500, 39: 1000, 40: 16000, 41: 1000,
    42: 3000, 43: 1200, 44: 20000, 45: 2500, 46: 5000, 47: 3500, 48: 90000,
    56: 300, 64: 800, 127: 100, 128: 300,
}

# First octets that are not routed unicast space.
V4_SKIP = {0, 10, 127} | set(range(224, 256))

# The RIRs' IPv6 space and the share of prefixes in each; the length of
# the allocations made from it.
V6_REGIONS = [
    # (region, share, allocation length)
    ("2a00::/12", 0.40, 29),     # RIPE NCC
    ("2400::/12", 0.20, 32),     # APNIC
    ("2600::/12", 0.20, 32),     # ARIN
    ("2001::/16", 0.10, 32),     # the first allocations, all RIRs
    ("2800::/12", 0.08, 32),     # LACNIC
    ("2c00::/12", 0.02, 32),     # AFRINIC
]


def scaled(mix, n):
    """Counts per length summing to n, in the proportions of mix."""
    total = sum(mix.values())
    out = {ln: int(c * n / total) for ln, c in mix.items()}
    # hand the rounding remainder to the biggest length
    big = max(mix, key=mix.get)
    out[big] += n - sum(out.values())
    return out


def zipf_cum(n, s, rng):
    """Cumulative Zipf(s) weights over n items in a random order."""
    w = [1.0 / (i + 1) ** s for i in range(n)]
    rng.shuffle(w)
    return list(itertools.accumulate(w))


def pick(rng, cum):
    return bisect.bisect_left(cum, rng.random() * cum[-1])


def gen_v4(n, rng):
    counts = scaled(V4_MIX, n)
    blocks = [o << 8 | p for o in range(256) if o not in V4_SKIP
              for p in range(256)]
    cum = zipf_cum(len(blocks), 0.9, rng)
    infra = [blocks[pick(rng, cum)] << 16 | rng.getrandbits(16) & 0xff00
             for _ in range(max(1, n // 500))]
    seen = set()
    out = []
    for ln in sorted(counts, reverse=True):
        mask = (0xffffffff << (32 - ln)) & 0xffffffff
        made = 0
        while made < counts[ln]:
            if ln > 24:
                a = rng.choice(infra) | rng.getrandbits(8)
            elif ln >= 16:
                # half the more-specifics land in a skewed /16, half
                # anywhere: dense blocks and a long tail
                b = (blocks[pick(rng, cum)] if rng.random() < 0.5
                     else rng.choice(blocks))
                a = b << 16 | rng.getrandbits(16)
            else:
                a = rng.choice(blocks) << 16 | rng.getrandbits(16)
            a &= mask
            if (a, ln) in seen:
                continue
            seen.add((a, ln))
            out.append((a, ln))
            made += 1
    rng.shuffle(out)
    return out


def gen_v6(n, rng):
    counts = scaled(V6_MIX, n)
    regions = [(ipaddress.ip_network(r), share, alen)
               for r, share, alen in V6_REGIONS]
    rcum = list(itertools.accumulate(s for _, s, _ in regions))
    # one LIR allocation per ~6 prefixes, as in the real table
    allocs = []
    aseen = set()
    while len(allocs) < max(1, n // 6):
        net, _, alen = regions[pick(rng, rcum)]
        free = alen - net.prefixlen
        a = int(net.network_address) | rng.getrandbits(free) << (128 - alen)
        if (a, alen) not in aseen:
            aseen.add((a, alen))
            allocs.append((a, alen))
    acum = zipf_cum(len(allocs), 0.8, rng)
    seen = set()
    out = []
    for ln in sorted(counts):
        mask = ((1 << ln) - 1) << (128 - ln)
        made = 0
        tries = 0
        while made < counts[ln]:
            tries += 1
            base, blen = allocs[pick(rng, acum)]
            if ln < blen or (ln == blen and rng.random() < 0.2):
                # shorter than an allocation: anywhere in a region
                net, _, _ = regions[pick(rng, rcum)]
                base, blen = int(net.network_address), net.prefixlen
                if ln < blen:
                    base, blen = 0x2000 << 112, 3
            a = base | rng.getrandbits(128 - blen) & ((1 << (128 - blen)) - 1)
            a &= mask
            if (a, ln) in seen:
                if tries > 50 * counts[ln] + 1000:
                    break       # the length's space is full: fewer of it
                continue
            seen.add((a, ln))
            out.append((a, ln))
            made += 1
    rng.shuffle(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--v4", type=int, default=1000000)
    ap.add_argument("--v6", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nexthops", type=int, default=256)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.v4 < 0 or a.v6 < 0 or not 1 <= a.nexthops < 1 << 24:
        ap.error("counts must be >= 0 and --nexthops 1..2^24-1")
    rng = random.Random(a.seed)
    f = sys.stdout if a.output == "-" else open(a.output, "w")
    lines = []
    for addr, ln in gen_v4(a.v4, rng):
        lines.append("%s/%d %d\n" % (ipaddress.IPv4Address(addr), ln,
                                      rng.randint(1, a.nexthops)))
    for addr, ln in gen_v6(a.v6, rng):
        lines.append("%s/%d %d\n" % (ipaddress.IPv6Address(addr), ln,
                                      rng.randint(1, a.nexthops)))
    f.writelines(lines)
    if f is not sys.stdout:
        f.close()


if __name__ == "__main__":
    main()

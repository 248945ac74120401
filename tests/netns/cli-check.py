#!/usr/bin/env python3
"""Checks of tests/netns/cli.sh on flowcachectl's answers.

    cli-check.py filter KERNEL FLOWS_JSON EXPR [none]
        The flows of FLOWS_JSON (`flowcachectl --json flows FILTERS`) are
        exactly the entries of KERNEL (`conntrack -L`, both families)
        for which the Python expression EXPR holds, computed here on the
        kernel's entries: zone, proto (a number), src, dst, sport, dport
        (of the original direction; ICMP's echo id in both ports) and
        mark, with net("10.0.0.0/8") and ip("10.0.0.1") at hand. The
        expectation must be some entries but not all, or with "none", no
        entry at all.
    cli-check.py table TEXT FLOWS_JSON [WIDTH]
        TEXT (`flows`, the table) has the header, one row for each flow of
        FLOWS_JSON (zone, protocol, source and destination as the table
        writes them) and the count line; with WIDTH, no line is longer.
    cli-check.py long TEXT FLOWS_JSON
        TEXT (`flows --long`) has one line for each flow, starting with
        its name as the logs write it, and the count line.
    cli-check.py top ALL_JSON TOP_JSON N KEY
        TOP_JSON (`flows --sort KEY --limit N`) holds N flows of ALL_JSON,
        those with the most queued packets first (KEY queued), or for
        KEY age, the N oldest, which the test made first: ports 40001-3.

Prints what it compared as # lines; exit status 0 when it holds, 1 when
not, 2 when an input could not be read.
"""

import ipaddress
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import ctcompare  # noqa: E402

PORT_PROTOS = (6, 17, 33, 132, 136)
NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}


def endpoint(addr, port, proto):
    if proto not in PORT_PROTOS:
        return addr
    return "[%s]:%d" % (addr, port) if ":" in addr else "%s:%d" % (addr, port)


def flows_of(path):
    return [ctcompare.parse_flow(f) for f in ctcompare.read_flows(path)]


def check_filter(kernel, flows_json, expr, none=False):
    entries, _ = ctcompare.read_kernel(kernel)
    want = set()
    for k, e in entries.items():
        zone, proto, src, dst, sport, dport = k
        env = {"zone": zone, "proto": proto, "src": src, "dst": dst,
               "sport": sport, "dport": dport, "mark": e["mark"],
               "net": ipaddress.ip_network, "ip": ipaddress.ip_address}
        if eval(expr, env):
            want.add(k)
    got = {ctcompare.key_of(f) for f in flows_of(flows_json)}
    print("# %d flows shown, %d of the kernel's %d entries expected (%s)"
          % (len(got), len(want), len(entries), expr))
    for k in sorted(got - want)[:5]:
        print("# shown, not expected: " + ctcompare.show_key(k))
    for k in sorted(want - got)[:5]:
        print("# expected, not shown: " + ctcompare.show_key(k))
    if none:
        return not want and not got
    return got == want and 0 < len(want) < len(entries)


def lines_of(path):
    with open(path) as fh:
        return fh.read().split("\n")[:-1]


def check_table(text, flows_json, width=None):
    lines = lines_of(text)
    flows = flows_of(flows_json)
    ok = True
    if not lines or lines[0].split()[:4] != ["ZONE", "PROTO", "SOURCE",
                                             "DESTINATION"]:
        print("# no header: %r" % (lines[:1],))
        return False
    if lines[-1] != "%d flows" % len(flows):
        print("# count line %r, %d flows" % (lines[-1], len(flows)))
        ok = False
    rows = [line.split() for line in lines[1:-1]]
    for f in flows:
        src, dst, sport, dport = f["orig"]
        cells = [str(f["zone"]), NAMES.get(f["proto"], str(f["proto"])),
                 endpoint(src, sport, f["proto"]),
                 endpoint(dst, dport, f["proto"])]
        n = sum(1 for r in rows if r[:4] == cells)
        if n != 1:
            print("# %d rows for %s" % (n, " ".join(cells)))
            ok = False
    if len(rows) != len(flows):
        print("# %d rows, %d flows" % (len(rows), len(flows)))
        ok = False
    if width:
        longest = max(len(line) for line in lines)
        print("# %d rows, longest line %d (width %s)" % (len(rows), longest,
                                                        width))
        ok = ok and longest <= int(width)
    return ok


def check_long(text, flows_json):
    lines = lines_of(text)
    flows = flows_of(flows_json)
    ok = lines[-1] == "%d flows" % len(flows) and len(lines) == len(flows) + 1
    for f in flows:
        src, dst, sport, dport = f["orig"]
        name = "zone %d %s %s -> %s " % (
            f["zone"], NAMES.get(f["proto"], "proto %d" % f["proto"]),
            endpoint(src, sport, f["proto"]), endpoint(dst, dport, f["proto"]))
        if sum(1 for line in lines if line.startswith(name)) != 1:
            print("# no line for %r" % name)
            ok = False
    print("# %d lines for %d flows" % (len(lines) - 1, len(flows)))
    return ok


def check_top(all_json, top_json, n, key):
    import json
    with open(all_json) as fh:
        everything = json.load(fh)["flows"]
    with open(top_json) as fh:
        top = json.load(fh)["flows"]
    n = int(n)
    keys = {ctcompare.key_of(ctcompare.parse_flow(f)) for f in everything}
    ok = len(top) == n and all(
        ctcompare.key_of(ctcompare.parse_flow(f)) in keys for f in top)
    if key == "queued":
        want = sorted((f["queued_packets"] for f in everything),
                      reverse=True)[:n]
        got = [f["queued_packets"] for f in top]
        print("# queued packets of the top %d: %s, of all: %s" % (n, got,
                                                                 want))
        return ok and got == want
    got = sorted(f["orig"]["sport"] for f in top)
    print("# source ports of the %d oldest: %s" % (n, got))
    return ok and got == [40001, 40002, 40003][:n]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        if mode == "filter":
            ok = check_filter(args[0], args[1], args[2],
                              len(args) > 3 and args[3] == "none")
        elif mode == "table":
            ok = check_table(*args)
        elif mode == "long":
            ok = check_long(*args)
        elif mode == "top":
            ok = check_top(*args)
        else:
            sys.exit(__doc__)
    except (ctcompare.ParseError, OSError, ValueError, KeyError) as err:
        print("# cannot read: %s" % err)
        sys.exit(2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

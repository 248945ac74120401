#!/usr/bin/env python3
"""Compare the kernel's conntrack table with flowcached's mirror of it.

    ctcompare.py [options] CONNTRACK_L FLOWS_JSON
    ctcompare.py --parse CONNTRACK_L

CONNTRACK_L is the text of `conntrack -L` (both families may be
concatenated: `conntrack -L -f ipv4; conntrack -L -f ipv6`; with
`-o id` the kernel ids are read too; `-o extended` is understood).
FLOWS_JSON is the output of `flowcachectl --json flows [--zone N]`.
Either may be "-" for standard input.

An entry is keyed by zone, protocol number and original tuple; for each
key the reply tuple and the mark must agree (and with --state the state,
with --ids the conntrack id). ICMP and ICMPv6 carry the echo id as both
ports, protocols without ports carry 0, as the flow JSON does.

--fields first checks each flow object against the interface contract:
every member present (zone, proto, orig, reply, ct_id, mark, state,
route, owner, sid, backend, queued_packets), integers where integers
are promised.

Prints the first differences (--max, default 10), then one summary line
per zone and a verdict line. Exit status: 0 equal, 1 different, 2 the
input could not be read.

--parse prints the kernel entries as the tool understood them, one JSON
object a line, to check the parser against real `conntrack -L` output.
"""

import argparse
import functools
import ipaddress
import json
import sys

# /etc/protocols names as conntrack prints them and as the daemon may
PROTO_NUMBERS = {
    "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "dccp": 33, "ipv6": 41,
    "gre": 47, "esp": 50, "ah": 51, "icmpv6": 58, "ipv6-icmp": 58,
    "sctp": 132, "udplite": 136,
}
ICMP_PROTOS = (1, 58)
# the flow object's members, by the interface contract (DESIGN.md)
FLOW_FIELDS = ("zone", "proto", "orig", "reply", "ct_id", "mark", "state",
               "route", "owner", "sid", "backend", "queued_packets")
TUPLE_FIELDS = ("src", "dst", "sport", "dport")
# keys that end the reply tuple and start the entry's own fields
META_KEYS = ("mark", "secctx", "zone", "orig-zone", "reply-zone", "use",
             "labels", "delta-time", "timestamp", "helper")


class ParseError(Exception):
    pass


@functools.lru_cache(maxsize=65536)
def addr6(text):
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise ParseError("bad address %r" % text)


def addr(text):
    """Canonical text of an address, so that fd00::1 == fd00:0::1. IPv4
    is compared as written: both sides print dotted quads."""
    if not isinstance(text, str):
        raise ParseError("bad address %r" % (text,))
    return addr6(text) if ":" in text else text


def proto_number(p):
    if isinstance(p, bool):
        raise ParseError("bad proto %r" % p)
    if isinstance(p, int):
        return p
    if isinstance(p, str):
        if p.isdigit():
            return int(p)
        if p.lower() in PROTO_NUMBERS:
            return PROTO_NUMBERS[p.lower()]
    raise ParseError("unknown proto %r" % (p,))


def tuple_of(fields, proto):
    """(src, dst, sport, dport) from one direction's key=value fields."""
    if "src" not in fields or "dst" not in fields:
        raise ParseError("tuple without src/dst")
    if proto in ICMP_PROTOS:
        port = int(fields.get("id", 0))
        sport = dport = port
    else:
        sport = int(fields.get("sport", 0))
        dport = int(fields.get("dport", 0))
    return (addr(fields["src"]), addr(fields["dst"]), sport, dport)


def parse_ct_line(line):
    """One `conntrack -L` line -> dict, or None for lines to skip."""
    tok = line.split()
    if not tok or line.startswith("conntrack v") or "=" not in line:
        return None
    # -o extended: "ipv4 2 tcp 6 ..."
    if tok[0] in ("ipv4", "ipv6") and len(tok) > 2 and tok[1].isdigit():
        tok = tok[2:]
    if len(tok) < 3 or not tok[1].isdigit():
        raise ParseError("no protocol number")
    proto = int(tok[1])
    dirs = [{}, {}]
    meta = {}
    flags = []
    state = None
    where = -1          # -1 before the tuples, 0 orig, 1 reply, 2 meta
    for t in tok[2:]:
        if t.startswith("[") and t.endswith("]"):
            flags.append(t[1:-1])
            continue
        if "=" not in t:
            # timeout (a number) and the protocol state (a word)
            if where == -1 and not t.isdigit():
                state = t
            continue
        k, v = t.split("=", 1)
        if k == "src" and where < 1:
            where += 1
        if k in META_KEYS:
            where = 2
        if where in (0, 1):
            if k in ("packets", "bytes"):
                continue
            if k in dirs[where]:
                raise ParseError("%s twice in one tuple" % k)
            dirs[where][k] = v
        elif where == 2:
            meta[k] = v
        else:
            raise ParseError("field %r before the tuple" % t)
    if not dirs[0] or not dirs[1]:
        raise ParseError("missing a direction")
    zone = meta.get("zone", meta.get("orig-zone", "0"))
    return {
        "zone": int(zone),
        "proto": proto,
        "orig": tuple_of(dirs[0], proto),
        "reply": tuple_of(dirs[1], proto),
        "mark": int(meta.get("mark", "0"), 0),
        "state": state,
        "flags": flags,
        "ct_id": int(meta["id"]) if "id" in meta else None,
    }


def kernel_state(e):
    """The state as the daemon names it: TCP/SCTP/DCCP state, else the
    status (UNREPLIED, REPLIED or ASSURED)."""
    if e["state"]:
        return e["state"]
    if "UNREPLIED" in e["flags"]:
        return "UNREPLIED"
    if "ASSURED" in e["flags"]:
        return "ASSURED"
    return "REPLIED"


def parse_flow(f):
    def tup(d):
        return (addr(d["src"]), addr(d["dst"]), int(d["sport"]),
                int(d["dport"]))
    try:
        return {
            "zone": int(f["zone"]),
            "proto": proto_number(f["proto"]),
            "orig": tup(f["orig"]),
            "reply": tup(f["reply"]),
            "mark": int(f["mark"]),
            "state": f.get("state"),
            "ct_id": f.get("ct_id"),
        }
    except (KeyError, TypeError, ValueError) as e:
        raise ParseError("flow %s: %s %s" % (json.dumps(f), type(e).__name__, e))


def key_of(e):
    return (e["zone"], e["proto"]) + e["orig"]


def show_key(k):
    zone, proto, src, dst, sport, dport = k
    return "zone %d proto %d %s:%d -> %s:%d" % (zone, proto, src, sport,
                                               dst, dport)


def show_tuple(t):
    return "%s:%d -> %s:%d" % (t[0], t[2], t[1], t[3])


def open_arg(name):
    return sys.stdin if name == "-" else open(name)


def read_kernel(name):
    entries = {}
    dups = 0
    with open_arg(name) as fh:
        for n, line in enumerate(fh, 1):
            try:
                e = parse_ct_line(line)
            except (ParseError, ValueError) as err:
                raise ParseError("%s:%d: %s: %s" % (name, n, err,
                                                    line.strip()))
            if e is None:
                continue
            k = key_of(e)
            if k in entries:
                dups += 1
            entries[k] = e
    return entries, dups


def field_problems(f):
    """What is wrong with one flow object's members, as text."""
    out = []
    for k in FLOW_FIELDS:
        if k not in f:
            out.append("flow without %r: %s" % (k, json.dumps(f)))
    for d in ("orig", "reply"):
        t = f.get(d)
        if not isinstance(t, dict) or any(k not in t for k in TUPLE_FIELDS):
            out.append("flow whose %r lacks src/dst/sport/dport: %s"
                       % (d, json.dumps(f)))
        elif not all(isinstance(t[k], int) for k in ("sport", "dport")):
            out.append("flow with non-integer ports: %s" % json.dumps(f))
    for k in ("zone", "ct_id", "mark", "queued_packets"):
        if k in f and (not isinstance(f[k], int) or isinstance(f[k], bool)):
            out.append("flow whose %r is not an integer: %s"
                       % (k, json.dumps(f)))
    if "state" in f and not isinstance(f["state"], str):
        out.append("flow whose 'state' is not a string: %s" % json.dumps(f))
    return out


def read_flows(name):
    with open_arg(name) as fh:
        try:
            doc = json.load(fh)
        except ValueError as err:
            raise ParseError("%s: not JSON: %s" % (name, err))
    if not isinstance(doc, dict) or not isinstance(doc.get("flows"), list):
        raise ParseError('%s: no "flows" list' % name)
    if not all(isinstance(f, dict) for f in doc["flows"]):
        raise ParseError('%s: a flow that is not an object' % name)
    return doc["flows"]


def main():
    ap = argparse.ArgumentParser(
        description="compare conntrack -L with flowcachectl --json flows")
    ap.add_argument("-z", "--zone", type=int,
                    help="only this zone of the kernel's table (the mirror "
                    "side is taken whole: pass it flows --zone N)")
    ap.add_argument("-n", "--max", type=int, default=10,
                    help="differences to print (default 10)")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print nothing, only the exit status")
    ap.add_argument("--state", action="store_true",
                    help="compare the state too")
    ap.add_argument("--ids", action="store_true",
                    help="compare conntrack ids too (needs conntrack -L -o id)")
    ap.add_argument("--fields", action="store_true",
                    help="check that every flow object has the contract's "
                    "members, with the contract's types")
    ap.add_argument("--ignore-pending", action="store_true",
                    help="leave out mirror flows with ct_id 0 (not yet "
                    "confirmed by the kernel)")
    ap.add_argument("--parse", action="store_true",
                    help="only parse CONNTRACK_L and print its entries")
    ap.add_argument("kernel")
    ap.add_argument("flows", nargs="?")
    a = ap.parse_args()

    out = (lambda *x: None) if a.quiet else print
    try:
        kernel, kdups = read_kernel(a.kernel)
        if a.parse:
            for e in kernel.values():
                print(json.dumps(e))
            return 0
        if a.flows is None:
            ap.error("FLOWS_JSON is missing")
        raw = read_flows(a.flows)
        if a.fields:
            bad = [p for f in raw for p in field_problems(f)]
            for text in bad[:a.max]:
                out(text)
            if bad:
                out("DIFFERENT: %d problems with the flow objects' members"
                    % len(bad))
                return 1
        flows = [parse_flow(f) for f in raw]
    except (ParseError, OSError) as err:
        print("ctcompare: %s" % err, file=sys.stderr)
        return 2

    if a.zone is not None:
        kernel = {k: e for k, e in kernel.items() if e["zone"] == a.zone}

    mirror = {}
    problems = []           # (zone, text)
    dup = 0
    for f in flows:
        if a.ignore_pending and not f["ct_id"]:
            continue
        k = key_of(f)
        if k in mirror:
            dup += 1
            problems.append((f["zone"], "twice in the mirror: " + show_key(k)))
        mirror[k] = f

    zones = {}

    def z(n):
        return zones.setdefault(n, {"kernel": 0, "mirror": 0, "missing": 0,
                                    "extra": 0, "differ": 0})
    for k, e in kernel.items():
        z(e["zone"])["kernel"] += 1
        f = mirror.get(k)
        if f is None:
            z(e["zone"])["missing"] += 1
            problems.append((e["zone"], "missing from the mirror: %s "
                             "(reply %s, mark 0x%x)" % (show_key(k),
                             show_tuple(e["reply"]), e["mark"])))
            continue
        what = []
        if f["reply"] != e["reply"]:
            what.append("reply kernel %s mirror %s" % (
                show_tuple(e["reply"]), show_tuple(f["reply"])))
        if f["mark"] != e["mark"]:
            what.append("mark kernel 0x%x mirror 0x%x" % (e["mark"],
                                                           f["mark"]))
        if a.state and f["state"] != kernel_state(e):
            what.append("state kernel %s mirror %s" % (kernel_state(e),
                                                       f["state"]))
        if a.ids and e["ct_id"] is not None and f["ct_id"] != e["ct_id"]:
            what.append("ct_id kernel %d mirror %s" % (e["ct_id"],
                                                       f["ct_id"]))
        if what:
            z(e["zone"])["differ"] += 1
            problems.append((e["zone"], "differs: %s: %s" % (show_key(k),
                                                             "; ".join(what))))
    for k, f in mirror.items():
        z(f["zone"])["mirror"] += 1
        if k not in kernel:
            z(f["zone"])["extra"] += 1
            problems.append((f["zone"], "not in the kernel: %s (reply %s, "
                             "mark 0x%x, ct_id %s, state %s)" % (
                                 show_key(k), show_tuple(f["reply"]),
                                 f["mark"], f["ct_id"], f["state"])))

    for _, text in problems[:a.max]:
        out(text)
    if len(problems) > a.max:
        out("... and %d more" % (len(problems) - a.max))
    for n in sorted(zones):
        s = zones[n]
        out("zone %d: kernel %d, mirror %d, missing %d, not in kernel %d, "
            "differ %d" % (n, s["kernel"], s["mirror"], s["missing"],
                           s["extra"], s["differ"]))
    if kdups:
        out("note: %d kernel lines repeated an earlier entry" % kdups)
    if problems:
        out("DIFFERENT: %d problems (%d kernel entries, %d mirror flows)" % (
            len(problems), len(kernel), len(flows)))
        return 1
    out("equal: %d entries in %d zones" % (len(kernel), len(zones)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

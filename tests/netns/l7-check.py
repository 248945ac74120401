#!/usr/bin/env python3
# Comparisons for tests/netns/l7.sh. Each mode prints what is wrong (at
# most 20 lines) and exits 1, or prints a summary as "# " lines and
# exits 0.
#
#   arrivals ROUND N OUT RECORDS...
#       where the datagrams of ROUND went (records of l7-peer.py recv):
#       every one of the N sessions arrived, each at exactly one
#       backend; OUT gets {"backend": {sid: name}, "tuple": {"src:sport":
#       sid}, "session": {sid: session}}
#   same A B [SID...]
#       two arrivals agree on every sid's backend (only the SIDs given,
#       when given)
#   sids SIDS.json ZONE ARRIVALS
#       `flowcachectl --json sids` lists for ZONE exactly the sids that
#       arrived, each with the backend it arrived at, at least one flow
#       and packet, and an age no less than its idle time
#   flows FLOWS.json ZONE ARRIVALS
#       each flow of ZONE whose original source is a tuple of ARRIVALS
#       has that tuple's sid and backend, and every tuple has its flow
#   moved BEFORE.json AFTER.json ZONE GONE
#       between two `--json sids`: the sids of backend GONE are all on
#       other backends, every other sid kept its backend; prints the
#       number moved on stdout
#   map NFT.json SIDS.json ZONE DECIDED
#       the nft map (nft -j list map) has one element per sid of ZONE,
#       keyed by the sid, whose mark is the backend's with DECIDED set;
#       exits 2 instead of 0 when nft shows every mark byte-swapped
#       (how nft prints the map, not what the kernel holds)
import json
import sys

problems = []


def load(path):
    with open(path) as f:
        return json.load(f)


def arrivals(rnd, n, out, *records):
    rnd, n = int(rnd), int(n)
    backend, tuples, session, seen = {}, {}, {}, {}
    for path in records:
        for line in open(path):
            name, sid, r, s, src, sport, _ = line.split()
            if r == "-" or int(r) != rnd or int(s) >= n:
                continue
            seen.setdefault(sid, set()).add(name)
            backend[sid] = name
            session[sid] = int(s)
            tuples["%s:%s" % (src, sport)] = sid
    for sid, names in seen.items():
        if len(names) > 1:
            problems.append("sid %s (session %d) arrived at %s" % (
                sid, session[sid], " and ".join(sorted(names))))
    if len(seen) != n:
        problems.append("%d of %d sessions arrived" % (len(seen), n))
    with open(out, "w") as f:
        json.dump({"backend": backend, "tuple": tuples, "session": session},
                  f, indent=1, sort_keys=True)
    share = {}
    for name in backend.values():
        share[name] = share.get(name, 0) + 1
    print("# round %d: %s" % (rnd, ", ".join(
        "%s %d" % kv for kv in sorted(share.items()))))


def same(a, b, *only):
    a, b = load(a)["backend"], load(b)["backend"]
    for sid in only or sorted(set(a) | set(b)):
        if a.get(sid) != b.get(sid):
            problems.append("sid %s: %s, then %s" % (sid, a.get(sid), b.get(sid)))


def zone_sids(path, zone):
    return {e["sid"].lower(): e for e in load(path)["sids"]
            if e["zone"] == int(zone)}


def sids(path, zone, arr):
    listed = zone_sids(path, zone)
    want = load(arr)["backend"]
    for sid, e in sorted(listed.items()):
        if e["flows"] < 1 or e["packets"] < 1 or e["age"] < e["idle"]:
            problems.append("sid %s: flows %d, packets %d, age %d, idle %d" % (
                sid, e["flows"], e["packets"], e["age"], e["idle"]))
    for sid in sorted(set(listed) | set(want)):
        got = listed.get(sid, {}).get("backend")
        if got != want.get(sid):
            problems.append("sid %s: sids says %s, it arrived at %s" % (
                sid, got, want.get(sid)))
    print("# sids lists %d sids for zone %s" % (len(listed), zone))


def flows(path, zone, arr):
    arr = load(arr)
    found = set()
    for f in load(path)["flows"]:
        o = f["orig"]
        key = "%s:%d" % (o["src"], o["sport"])
        if f["zone"] != int(zone) or key not in arr["tuple"]:
            continue
        found.add(key)
        sid = arr["tuple"][key]
        want = (sid, arr["backend"][sid])
        got = ((f.get("sid") or "").lower() or None, f.get("backend"))
        if got != want:
            problems.append("flow from %s: sid/backend %s, expected %s" % (
                key, got, want))
    for key in sorted(set(arr["tuple"]) - found):
        problems.append("no flow from %s" % key)
    print("# %d flows checked" % len(found))


def moved(before, after, zone, gone):
    b, a = zone_sids(before, zone), zone_sids(after, zone)
    n = 0
    for sid in sorted(set(a) | set(b)):
        was = b.get(sid, {}).get("backend")
        now = a.get(sid, {}).get("backend")
        if was == gone:
            if now in (None, gone):
                problems.append("sid %s of %s: now %s" % (sid, gone, now))
            else:
                n += 1
        elif was != now:
            problems.append("sid %s moved from %s to %s" % (sid, was, now))
    print(n)


def key_of(v):
    """an nft element key or value as an integer"""
    if isinstance(v, dict) and "elem" in v:
        v = v["elem"]["val"]
    if isinstance(v, str):
        return int(v, 0)
    return int(v)


def nft_map(path, sids_path, zone, decided):
    decided = int(decided, 0)
    listed = zone_sids(sids_path, zone)
    elems = None
    for o in load(path)["nftables"]:
        if "map" in o:
            elems = o["map"].get("elem", [])
    if elems is None:
        problems.append("no map in the listing")
        return
    by_key = {}
    swapped = vswapped = 0
    for k, v in elems:
        k = key_of(k)
        width = len(next(iter(listed), "")) // 2 or 4
        hexkey = "%0*x" % (2 * width, k)
        if hexkey not in listed:
            alt = int.from_bytes(k.to_bytes(width, "little"), "big")
            if "%0*x" % (2 * width, alt) in listed:
                hexkey = "%0*x" % (2 * width, alt)
                swapped += 1
        by_key[hexkey] = key_of(v)
    if swapped:
        print("# nft prints %d keys byte-swapped" % swapped)
    for sid, e in sorted(listed.items()):
        want = e["mark"] | decided
        if sid not in by_key:
            problems.append("sid %s (%s) has no map element" % (sid, e["backend"]))
        elif by_key[sid] == int.from_bytes(want.to_bytes(4, "little"), "big"):
            vswapped += 1
        elif by_key[sid] != want:
            problems.append("sid %s: map value 0x%08x, backend %s mark 0x%08x" % (
                sid, by_key[sid], e["backend"], want))
    for k in sorted(set(by_key) - set(listed)):
        problems.append("map element %s is no listed sid" % k)
    print("# map: %d elements, sids: %d" % (len(elems), len(listed)))
    if vswapped:
        e = next(iter(listed.values()))
        print("# nft prints %d of the marks byte-swapped (%s: 0x%08x shown as "
              "0x%08x)" % (vswapped, e["backend"], e["mark"] | decided,
                           int.from_bytes((e["mark"] | decided).to_bytes(4, "little"), "big")))
    return 2 if vswapped or swapped else 0


if __name__ == "__main__":
    modes = {"arrivals": arrivals, "same": same, "sids": sids,
             "flows": flows, "moved": moved, "map": nft_map}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.exit("usage: l7-check.py %s ARGS..." % "|".join(modes))
    rc = 0
    try:
        rc = modes[sys.argv[1]](*sys.argv[2:]) or 0
    except (OSError, ValueError, KeyError, TypeError) as e:
        problems.append("%s: %r" % (type(e).__name__, e))
    for p in problems[:20]:
        print(p)
    if len(problems) > 20:
        print("... and %d more" % (len(problems) - 20))
    sys.exit(1 if problems else rc)

#!/bin/sh
# Every flow's cached routes against the kernel: a router with two
# uplinks, an ECMP route, a policy rule by fwmark (the mark the daemon's
# policy gives UDP flows to ports 5000-5999) and one by source prefix,
# a prohibit rule and an unreachable route. 2,000 UDP flows from random
# LAN sources to random destinations (a few to the router itself) go
# through the queue; for each, the route of the original direction must
# equal `ip route get DST from SRC iif lan0 mark M ipproto udp sport S
# dport D`, and the reply direction's `ip route get SRC from DST iif OIF
# mark M ...` with OIF the device the original leaves by (no iif when
# the original was delivered locally): device, gateway, table, type.
# Checked with each route cache: lpm, bloom, kernel.
#
#   [lan] 10.0.1.2 --- lan0 [router R: flowcached] wan0 --- [up0] 10.0.2.254
#                                                  wan1 --- [up1] 10.0.3.254
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

uplinks_lab || exit 99
for d in all default lan0 wan0 wan1; do
	ip netns exec "$R" sysctl -qw "net.ipv4.conf.$d.rp_filter=0"
done
ip -n "$R" route add default via 10.0.2.254 dev wan0
ip -n "$R" route add default via 10.0.3.254 dev wan1 table 100
ip -n "$R" route add 192.0.2.0/24 via 10.0.3.254 metric 50
ip -n "$R" route add 192.0.2.0/24 via 10.0.2.254 metric 10
ip -n "$R" route add unreachable 198.18.0.0/15
ip -n "$R" route add 198.51.100.0/24 nexthop via 10.0.2.254 nexthop via 10.0.3.254
ip -n "$R" rule add fwmark 0x00100000/0x00100000 table 100 pref 100
ip -n "$R" rule add from 10.0.1.128/25 table 100 pref 200
ip -n "$R" rule add to 203.0.113.0/24 prohibit pref 300

conf() {
	cat >"$T/flowcached.conf" <<EOF
conntrack = { pending_ttl = 300; };
zones = ( { id = 10; name = "lan"; match = { iif = [ "lan0", "wan0", "wan1" ]; }; } );
policy = ( { match = { proto = "udp"; dport = [ "5000-5999" ]; }; mark = 0x00100000; } );
routes = { cache = "$1"; };
control = { socket = "$SOCK"; };
EOF
}

# flows N SEED [PORTSEED]: N UDP flows from the LAN, one datagram each,
# sources spread over 10.0.1.0/24 (raw socket: any source), destinations
# random; the same SEED with another PORTSEED: new flows to the same
# destinations
flows() {
	ip netns exec "$L" python3 - "$1" "$2" "${3:-$2}" <<'PY'
import random, socket, struct, sys
n, seed, pseed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
prnd = random.Random(pseed)
nets = [("8.8.0.0", 16), ("192.0.2.0", 24), ("198.51.100.0", 24),
        ("203.0.113.0", 24), ("198.18.0.0", 16), ("1.0.0.0", 8),
        ("172.16.0.0", 12), ("10.0.2.0", 24), ("10.0.3.0", 24)]
def pick(base, bits):
    b = struct.unpack("!I", socket.inet_aton(base))[0]
    return socket.inet_ntoa(struct.pack("!I", b | rnd.getrandbits(32 - bits)))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(n):
    src = "10.0.1.%d" % rnd.randint(3, 254)
    dst = "10.0.1.1" if i % 50 == 0 else pick(*rnd.choice(nets))
    sport = prnd.randint(1024, 65535)
    dport = prnd.choice([53, 443, prnd.randint(5000, 5999)])
    udp = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"ping"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff,
                     0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    s.sendto(ip + udp, (dst, 0))
PY
}

# compare N: every UDP flow's routes against `ip route get`; prints the
# tallies and the first disagreements; exit 0 when all N agree
compare() {
	ctl --json flows >"$T/flows.json" || return 1
	python3 - "$1" "$R" "$T/flows.json" <<'PY'
import json, re, subprocess, sys
n, ns, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tables = {"local": 255, "main": 254, "default": 253}
norte = ("unreachable", "prohibit", "blackhole")
def kernel(args):
    r = subprocess.run(["ip", "-n", ns, "route", "get"] + args,
                       capture_output=True, text=True)
    if r.returncode:
        return None
    out = r.stdout.split("\n")[0]
    first = out.split()[0]
    typ = first if first in ("local", "broadcast", "multicast",
                             "unreachable", "prohibit", "blackhole") else "unicast"
    dev = re.search(r" dev (\S+)", out)
    via = re.search(r" via (\S+)", out)
    table = re.search(r" table (\S+)", out)
    t = table.group(1) if table else "main"
    return (typ, dev.group(1) if dev else None, via.group(1) if via else None,
            tables.get(t, None) or int(t))
def ours(r):
    return r and (r["type"], r["oif"], r["gateway"], r["table"])
flows = [f for f in json.load(open(path))["flows"]
         if f["proto"] == "udp" and f["zone"] == 10]
same = differ = 0
shown = 0
def show(*a):
    global shown
    if shown < 8:
        print("#", *a)
        shown += 1
for f in flows:
    o, mark = f["orig"], hex(f["mark"])
    port = ["ipproto", "udp"]
    qo = [o["dst"], "from", o["src"], "iif", "lan0", "mark", mark] + port + \
         ["sport", str(o["sport"]), "dport", str(o["dport"])]
    ko = kernel(qo)
    route = f["route"] or {}
    mo, mr = ours(route.get("orig")), ours(route.get("reply"))
    if ko is None:
        # no route: the kernel refuses; ours must say so (or nothing:
        # EINVAL does not say which kind), and no reply route
        ok = (mo is None or mo[0] in norte) and mr is None
        same += ok
        differ += not ok
        if not ok:
            show("no route, ours:", qo, mo, mr)
        continue
    if ko != mo:
        differ += 1
        show("orig differ:", " ".join(qo), "kernel", ko, "ours", mo)
        continue
    qr = [o["src"], "from", o["dst"], "mark", mark] + port + \
         ["sport", str(o["dport"]), "dport", str(o["sport"])]
    if ko[0] == "unicast":
        qr += ["iif", ko[1]]
    kr = kernel(qr)
    if kr != mr and not (kr is None and (mr is None or mr[0] in norte)):
        differ += 1
        show("reply differ:", " ".join(qr), "kernel", kr, "ours", mr)
        continue
    same += 1
print("# %d flows: %d routes as the kernel's both ways, %d differ" %
      (len(flows), same, differ))
sys.exit(0 if len(flows) == n and same == n else 1)
PY
}

n_udp() {
	ctl --json flows 2>/dev/null | python3 -c 'import json,sys
print(sum(1 for f in json.load(sys.stdin)["flows"] if f["proto"] == "udp"))'
}
have_flows() { [ "$(n_udp)" -ge "$1" ]; }

seed=1
for cache in lpm bloom kernel; do
	conf "$cache"
	start_daemon "$R" || { fail "daemon starts ($cache)"; finish; }
	flows 2000 $seed
	seed=$((seed + 1))
	check "$cache: 2,000 flows queued and cached" wait_secs 20 have_flows 2000
	check "$cache: each flow's routes, both ways, are the kernel's" compare 2000
	ctl --json routes >"$T/routes-$cache.json"
	case $cache in
	lpm) check "lpm: ECMP flows were asked of the kernel" \
		[ "$(json_get "$T/routes-$cache.json" 'd["cache"]["kernel"] > 0')" = True ] ;;
	kernel) check "kernel: every route was asked of the kernel" \
		[ "$(json_get "$T/routes-$cache.json" 'd["cache"]["mirror"]')" = 0 ] ;;
	bloom) check "bloom: rules select on more than the destination: bypassed" \
		[ "$(json_get "$T/routes-$cache.json" 'd["cache"]["bloom"]["bypass"] > 0')" = True ] ;;
	esac
	kill "$DAEMON_PID"
	wait_gone "$DAEMON_PID" 10
	ip netns exec "$R" conntrack -F 2>/dev/null
done

# Only destination rules: the Bloom cache answers, and still as the kernel
ip -n "$R" rule del pref 100
ip -n "$R" rule del pref 200
ip -n "$R" route del 198.51.100.0/24
conf bloom
start_daemon "$R" || { fail "daemon starts (bloom, destination rules)"; finish; }
# new flows to the same destinations: the second time from the cache
flows 1000 7
wait_secs 20 have_flows 1000
flows 1000 7 8
check "bloom: 2,000 flows queued and cached" wait_secs 20 have_flows 2000
check "bloom: 2,000 flows' routes are the kernel's" compare 2000
ctl --json routes >"$T/routes-bloom2.json"
check "bloom: destinations seen before are answered by the filters" \
	[ "$(json_get "$T/routes-bloom2.json" 'd["cache"]["bloom"]["hit"] > 0')" = True ]
check "the daemon is still running" alive "$DAEMON_PID"
finish

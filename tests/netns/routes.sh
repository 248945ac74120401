#!/bin/sh
# The routing mirror against the kernel: a router with two uplinks, a
# default route in main and one in table 100, policy rules by fwmark,
# by source prefix, by destination (prohibit) and by TCP port, routes of
# two metrics on one prefix, a throw route and an ECMP route. For 2,000
# queries with random destinations, sources, marks and ports,
# `flowcachectl routes get` must give what `ip route get` gives (device,
# gateway, table; or no route), or say it asks the kernel, which it may
# do only where the mirror cannot know (the ECMP prefix). Then routes and
# rules change, and the mirror follows within a second.
#
#   [router: flowcached -f; lan0 10.0.1.1/24, wan0 10.0.2.1/24, wan1 10.0.3.1/24]
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

R=$(ns_create router) || exit 99
for d in lan0 wan0 wan1; do
	ip -n "$R" link add "$d" type veth peer name "${d}p" &&
		ip -n "$R" link set "$d" up && ip -n "$R" link set "${d}p" up ||
		exit 99
done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec "$R" sysctl -qw net.ipv4.conf.default.rp_filter=0
for d in lan0 wan0 wan1; do
	ip netns exec "$R" sysctl -qw "net.ipv4.conf.$d.rp_filter=0"
done
ip -n "$R" addr add 10.0.1.1/24 dev lan0
ip -n "$R" addr add 10.0.2.1/24 dev wan0
ip -n "$R" addr add 10.0.3.1/24 dev wan1
ip -n "$R" route add default via 10.0.2.254 dev wan0
ip -n "$R" route add default via 10.0.3.254 dev wan1 table 100
ip -n "$R" route add 100.64.0.0/10 via 10.0.2.250 table 100
ip -n "$R" route add throw 100.64.1.0/24 table 100
ip -n "$R" route add 192.0.2.0/24 via 10.0.3.254 metric 50
ip -n "$R" route add 192.0.2.0/24 via 10.0.2.254 metric 10
ip -n "$R" route add 192.0.2.128/25 via 10.0.3.253
ip -n "$R" route add unreachable 198.18.0.0/15
ip -n "$R" route add 198.51.100.0/24 nexthop via 10.0.2.254 nexthop via 10.0.3.254
ip -n "$R" rule add fwmark 0x10/0xff table 100 pref 100
ip -n "$R" rule add from 10.0.1.128/25 table 100 pref 200
ip -n "$R" rule add to 203.0.113.0/24 prohibit pref 300
ip -n "$R" rule add ipproto tcp dport 8443 table 100 pref 400

SOCK=$T/control.sock
make_conf || exit 99
start_daemon "$R" || { fail "daemon starts"; finish; }

# compare N SEED: queries made from SEED, each asked of both; prints the
# tallies and the first disagreements, exit 0 when none disagree
compare() {
	python3 - "$1" "$2" "$R" "$FCCTL" "$SOCK" <<'PY'
import random, re, subprocess, sys
n, seed, ns, ctl, sock = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:]
rnd = random.Random(seed)
nets = ["8.8.8.0/24", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
        "100.64.0.0/16", "100.64.1.0/24", "198.18.0.0/16", "10.0.1.0/24",
        "10.0.2.0/24", "10.0.3.0/24", "1.0.0.0/8", "172.16.0.0/12"]
def addr(net):
    base, bits = net.split("/")
    b = sum(int(x) << (24 - 8 * i) for i, x in enumerate(base.split(".")))
    a = b | rnd.getrandbits(32 - int(bits)) if int(bits) < 32 else b
    return ".".join(str(a >> s & 255) for s in (24, 16, 8, 0))
def kernel(q):
    r = subprocess.run(["ip", "-n", ns, "route", "get"] + q,
                       capture_output=True, text=True)
    if r.returncode:
        return ("none",)
    out = r.stdout.split("\n")[0]
    if out.startswith("local "):
        return ("local",)
    dev = re.search(r" dev (\S+)", out).group(1)
    via = re.search(r" via (\S+)", out)
    table = re.search(r" table (\S+)", out)
    return ("route", dev, via.group(1) if via else None,
            table.group(1) if table else "254")
def mirror(q):
    out = subprocess.run([ctl, "-s", sock, "routes", "get"] + q,
                         capture_output=True, text=True).stdout.strip()
    if out.startswith("ask"):
        return ("ask",)
    if out.startswith("no route"):
        return ("none",)
    if " type local " in out:
        return ("local",)
    dev = re.search(r" dev (\S+)", out).group(1)
    via = re.search(r" via (\S+)", out)
    table = re.search(r" table (\S+)", out).group(1)
    return ("route", dev, via.group(1) if via else None, table)
tally = {"same": 0, "ask": 0, "differ": 0}
shown = 0
for i in range(n):
    dst = addr(rnd.choice(nets))
    src = "10.0.1.%d" % rnd.randint(2, 254)
    q = [dst, "from", src, "iif", "lan0"]
    if rnd.random() < 0.3:
        q += ["mark", hex(rnd.choice([0x10, 0x110, 0x11, 0x2010]))]
    if rnd.random() < 0.3:
        q += ["ipproto", "tcp", "dport", str(rnd.choice([443, 8443]))]
    k = kernel(q)
    m = mirror([x if x != "ipproto" else "proto" for x in q])
    if m == ("ask",):
        tally["ask"] += 1
        # ECMP, and the subnets' broadcast addresses (the kernel's
        # local table types them broadcast)
        if not dst.startswith("198.51.100.") and not (
                dst.startswith("10.0.") and dst.endswith(".255")):
            tally["differ"] += 1
            if shown < 5:
                print("# asked the kernel off the ECMP prefix:", " ".join(q))
                shown += 1
    elif m == k:
        tally["same"] += 1
    else:
        tally["differ"] += 1
        if shown < 5:
            print("# differ:", " ".join(q), "kernel", k, "mirror", m)
            shown += 1
print("# %d queries: %d the same, %d asked the kernel (ECMP, broadcast), "
      "%d differ" % (n, tally["same"], tally["ask"], tally["differ"]))
sys.exit(1 if tally["differ"] or tally["same"] < n // 2 else 0)
PY
}

check "2,000 queries: the mirror answers as the kernel does" compare 2000 1

# routes and rules change under it
ip -n "$R" route del 192.0.2.0/24 via 10.0.2.254 metric 10
ip -n "$R" route replace default via 10.0.3.254 dev wan1
ip -n "$R" rule add fwmark 0x20/0xff table 100 pref 150
ip -n "$R" rule del pref 300
ip -n "$R" route add 203.0.113.0/24 via 10.0.2.253
settled() {
	ctl routes get 203.0.113.9 from 10.0.1.2 iif lan0 | grep -q "via 10.0.2.253" &&
		ctl routes get 8.8.8.8 from 10.0.1.2 iif lan0 | grep -q "dev wan1"
}
check "the mirror follows route and rule changes" wait_for 2 settled
check "and still answers as the kernel does" compare 500 2
ctl --json routes >"$T/routes.json"
check "routes --json: IPv4 routes counted" \
	[ "$(json_get "$T/routes.json" 'd["routes4"] > 10')" = True ]
check "routes get: bad input is a usage error" \
	eval 'ctl routes get nonsense 2>/dev/null; [ $? -eq 2 ]'
check "the daemon is still running" alive "$DAEMON_PID"
finish

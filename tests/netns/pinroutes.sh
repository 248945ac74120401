#!/bin/sh
# Routes that stay put, and routes that follow: UDP flows to a server
# reachable by both uplinks, ten decided with route = "pin" (port 6000)
# and ten with route = "follow" (port 7000). Then the route to the
# server moves from wan0 to wan1. Within a second the follow flows show
# the new route and carry the new next hop in their mark (in the
# daemon's table and in conntrack), while the pinned flows keep theirs;
# and their later packets leave accordingly: counted where they arrive,
# up0 or up1. The daemon's tables and rules go when it stops.
#
#   [lan] 10.0.1.2 --- lan0 [router R] wan0 --- [up0] 10.0.2.254 } 198.51.100.10
#                                      wan1 --- [up1] 10.0.3.254 }
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

uplinks_lab || exit 99
for u in "$U0:10.0.2" "$U1:10.0.3"; do
	ns=${u%%:*} net=${u#*:}
	ip -n "$ns" addr add 198.51.100.10/32 dev lo
	ip -n "$ns" route add default via "$net.1"
	ip netns exec "$ns" nft -f - <<EOF || exit 99
table ip count {
	chain in {
		type filter hook prerouting priority 0;
		udp dport 6000 counter
		udp dport 7000 counter
	}
}
EOF
done
ip -n "$R" route add 198.51.100.0/24 via 10.0.2.254

cat >"$T/flowcached.conf" <<EOF
marks = { mask = 0xffff0000; };
ruleset = { keep_on_exit = false; };
zones = ( { id = 10; name = "lan"; match = { iif = [ "lan0", "wan0", "wan1" ]; }; } );
policy = (
  { match = { proto = "udp"; dport = [ 6000 ]; }; route = "pin"; },
  { match = { proto = "udp"; dport = [ 7000 ]; }; route = "follow"; mark = 0x00100000; }
);
routes = { pin_mask = 0x0f000000; pin_reply_mask = 0xf0000000; pin_table = 2000; pin_priority = 90; };
control = { socket = "$SOCK"; };
EOF
start_daemon "$R" || { fail "daemon starts"; finish; }

# send N: one datagram on each of 20 long-lived sockets (ports 6000 and
# 7000 alternately), N times
ip netns exec "$L" python3 - "$T/sender.fifo" <<'PY' &
import os, socket, sys, time
fifo = sys.argv[1]
os.mkfifo(fifo)
socks = []
for i in range(20):
    # not connected: the servers' port unreachables must not stop it
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    socks.append((s, ("198.51.100.10", 6000 if i % 2 == 0 else 7000)))
while True:
    with open(fifo) as f:
        for line in f:
            n = int(line)
            for _ in range(n):
                for s, to in socks:
                    s.sendto(b"data", to)
                    time.sleep(0.0005)
PY
_pids="$_pids $!"
wait_for 5 test -p "$T/sender.fifo" || { fail "sender starts"; finish; }
send() { echo "$1" >"$T/sender.fifo"; }

# counted PORT NS: packets to PORT that arrived in NS
counted() {
	ip netns exec "$2" nft -j list chain ip count in | python3 -c '
import json, sys
port = int(sys.argv[1])
for r in json.load(sys.stdin)["nftables"]:
    r = r.get("rule")
    if r and any(e.get("match", {}).get("right") == port for e in r["expr"]):
        print(next(e["counter"]["packets"] for e in r["expr"] if "counter" in e))' "$1"
}

# flows_where PORT: "oif mark" of each UDP flow to PORT, sorted
flows_where() {
	ctl --json flows | python3 -c '
import json, sys
port = int(sys.argv[1])
out = []
for f in json.load(sys.stdin)["flows"]:
    if f["proto"] == "udp" and f["orig"]["dport"] == port:
        r = (f["route"] or {}).get("orig") or {}
        out.append("%s 0x%08x" % (r.get("oif"), f["mark"]))
print("\n".join(sorted(out)))' "$1"
}
# all_via PORT OIF: all ten flows to PORT leave by OIF
all_via() { [ "$(flows_where "$1" | grep -c "^$2 ")" -eq 10 ]; }
# ct_marks PORT: the ct marks conntrack has for flows to PORT
ct_marks() {
	ip netns exec "$R" conntrack -L -p udp --dport "$1" --zone 10 2>/dev/null |
		sed -n 's/.*mark=\([0-9]*\).*/\1/p' | sort -u
}

send 1
check "20 flows decided, by wan0" eval 'wait_for 5 all_via 6000 wan0 && wait_for 5 all_via 7000 wan0'
ctl --json routes >"$T/routes1.json"
check "two next hops pinned so far (wan0, lan0 for replies)" \
	[ "$(json_get "$T/routes1.json" '[n["oif"] for n in d["pinned"]["nexthops"]]')" = "['wan0', 'lan0']" ]
check "their ip rules: by original and reply field, priority 90" \
	eval '[ "$(ip -n "$R" rule show pref 90 | grep -c "lookup 200[12]")" -eq 4 ]'
pin_before=$(flows_where 6000)
follow_mark_before=$(flows_where 7000 | sed -n '1s/.* //p')
check "follow flows' marks are in conntrack" \
	[ "$(ct_marks 7000)" = "$(printf %d "$follow_mark_before")" ]
send 10
wait_for 5 eval '[ "$(counted 7000 "$U0")" -ge 110 ]'
a6=$(counted 6000 "$U0") a7=$(counted 7000 "$U0")
b6=$(counted 6000 "$U1") b7=$(counted 7000 "$U1")
check "before the change everything went to up0" \
	eval '[ "$a6" -eq 110 ] && [ "$a7" -eq 110 ] && [ "$b6" -eq 0 ] && [ "$b7" -eq 0 ]'

ip -n "$R" route replace 198.51.100.0/24 via 10.0.3.254
check "within a second, the follow flows leave by wan1" wait_for 1 all_via 7000 wan1
follow_mark_after=$(flows_where 7000 | sed -n '1s/.* //p')
check "and carry a new next hop in their mark" \
	[ "$follow_mark_after" != "$follow_mark_before" ]
check "conntrack has the new marks" \
	wait_for 2 eval '[ "$(ct_marks 7000)" = "$(printf %d "$follow_mark_after")" ]'
check "pinned flows kept their route and mark" [ "$(flows_where 6000)" = "$pin_before" ]

send 10
wait_for 5 eval '[ "$(counted 7000 "$U1")" -ge 100 ] && [ "$(counted 6000 "$U0")" -ge 210 ]'
check "pinned flows' packets still arrive by up0 (wan0)" \
	eval '[ "$(counted 6000 "$U0")" -eq 210 ] && [ "$(counted 6000 "$U1")" -eq 0 ]'
check "follow flows' packets now arrive by up1 (wan1)" \
	eval '[ "$(counted 7000 "$U1")" -eq 100 ] && [ "$(counted 7000 "$U0")" -eq 110 ]'

kill "$DAEMON_PID"
wait_gone "$DAEMON_PID" 10
check "the daemon's rules are gone when it stops" \
	[ -z "$(ip -n "$R" rule show pref 90)" ]
check "and its tables" [ -z "$(ip -n "$R" route show table 2001 2>/dev/null)" ]
finish

#!/bin/bash
# Per-zone connection limits on a router: zone 10 (lan0 and wan0) takes
# max_flows = 100.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f, managed ruleset, zone 10
#
# on_full = "drop": the client holds 100 TCP connections to the server;
# the 101st connect times out (its SYNs are dropped at the queue),
# zones[].dropped counts it, and no entry for it is confirmed.
# on_full = "evict": 101 one-way UDP flows (the server drops them
# silently, so all stay unreplied); the 101st evicts the oldest, the
# first one, from the flow table and from the kernel's conntrack table.
. "$(dirname "$0")/lib.sh"
for t in conntrack nft python3; do
	command -v $t >/dev/null || { echo "no $t: skipped"; exit 77; }
done

router_lab || exit 99
# unreplied UDP entries last 30 s by default: long enough, but the
# first flow must not expire on its own while the zone fills
ip netns exec "$R" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300
# bg NS CMD...: a helper process in NS, stopped by lib.sh's cleanup
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" & _pids="$_pids $!"; }

conf() {
	cat >"$T/flowcached.conf" <<EOF
zones = ( { id = 10; name = "lan"; match = { iif = [ "lan0", "wan0" ]; };
            max_flows = 100; on_full = "$1"; } );
conntrack = { rcvbuf = 33554432; };
control = { socket = "$SOCK"; };
EOF
}
zone10() { zone_get 10 "$1"; }
zone10_is() { [ "$(zone10 "$1")" = "$2" ]; }
# kernel entries in zone 10 (one conntrack line each)
ct_zone10() { ct "$R" -L -w 10 | grep -c "zone=10 "; }

# --- drop ----------------------------------------------------------------
conf drop
start_daemon "$R" || { fail "daemon answers"; finish; }
check "zones --json: zone 10 capped at 100, drop" \
	[ "$(zone10 max_flows)/$(zone10 on_full)" = "100/drop" ]
check "zones --json has the contract's members" [ "$(json_get "$T/zones.json" \
	"' '.join(sorted({'zone', 'name', 'flows', 'unreplied', 'max_flows', 'on_full', 'inserted', 'dropped', 'evicted'} - set(d['zones'][0])))")" = "" ]

bg "$S" python3 -c '
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", 5000))
l.listen(512)
held = []
while True:
    held.append(l.accept()[0])
'
wait_for 5 eval 'ip netns exec "$S" ss -ltn | grep -q ":5000 "'
# the client opens 100 connections, says how many worked, holds them
bg "$C" python3 -c '
import socket, sys, time
held = []
for i in range(100):
    try:
        held.append(socket.create_connection(("10.0.2.2", 5000), timeout=5))
    except OSError:
        pass
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % len(held))
time.sleep(600)
' "$T/held"
wait_for 60 test -s "$T/held"
check "100 connections through the zone" [ "$(cat "$T/held")" = 100 ]
check "zone 10 holds 100 flows" wait_secs 5 zone10_is flows 100
check "the kernel's zone 10 holds 100 entries" [ "$(ct_zone10)" -eq 100 ]

ip netns exec "$C" python3 -c '
import socket, sys
try:
    socket.create_connection(("10.0.2.2", 5000), timeout=3)
except OSError as e:
    print("# 101st connect: %s" % e)
    sys.exit(1)
'
check "the 101st connect fails" [ $? -ne 0 ]
check "zones[].dropped counts it" wait_secs 2 eval '[ "$(zone10 dropped)" -ge 1 ]'
check "zone 10 still holds 100 flows" zone10_is flows 100
check "and the kernel confirmed no entry for it" [ "$(ct_zone10)" -eq 100 ]
mirror_settles "the mirror equals conntrack -L (no flow left for the drop)" "$R" 5
echo "# zone 10: $(ctl --json zones)"

# --- evict ---------------------------------------------------------------
# end the connections and let their FINs and RSTs pass while the daemon
# still runs, so that no late packet starts an entry in the next round
for p in $_pids; do
	[ "$p" = "$DAEMON_PID" ] && continue
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
# (TIME_WAIT sends nothing unless spoken to)
no_conns() {
	! ip netns exec "$1" ss -tnH state connected exclude time-wait |
		grep -q ":5000"
}
wait_secs 10 no_conns "$C" && wait_secs 10 no_conns "$S"
kill -TERM "$DAEMON_PID"
wait_gone "$DAEMON_PID" 5
ct "$R" -F >/dev/null
ip netns exec "$S" nft -f - <<'EOF'
table ip sink {
	chain in {
		type filter hook input priority filter;
		udp dport 9999 drop
	}
}
EOF
conf evict
start_daemon "$R" || { fail "daemon answers (evict)"; finish; }
check "zones --json: zone 10 capped at 100, evict" \
	[ "$(zone10 max_flows)/$(zone10 on_full)" = "100/evict" ]
check "zone 10 starts empty" zone10_is flows 0

# udp_flows FIRST LAST: one datagram from each source port FIRST..LAST
udp_flows() {
	ip netns exec "$C" python3 -c '
import socket, sys
for port in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.1.2", port))
    s.sendto(b"u", ("10.0.2.2", 9999))
    s.close()
' "$1" "$2"
}
# in_kernel SPORT / in_mirror SPORT: the flow from that port exists
in_kernel() { ct "$R" -L -w 10 -p udp --sport "$1" | grep -q "sport=$1 "; }
in_mirror() {
	ctl --json flows --zone 10 >"$T/z10.json" &&
	[ "$(json_get "$T/z10.json" "sum(1 for f in d['flows'] if f['orig']['sport'] == $1 and f['ct_id'])")" = 1 ]
}

udp_flows 40000 40000
check "the first flow is in the kernel" wait_secs 5 in_kernel 40000
check "and in the mirror, confirmed" wait_secs 5 in_mirror 40000
udp_flows 40001 40099
check "zone 10 holds 100 flows" wait_secs 5 zone10_is flows 100
check "all 100 unreplied" zone10_is unreplied 100
deleted=$(stats_get "['conntrack']['deleted']")
udp_flows 40100 40100
check "the 101st flow is in the kernel" wait_secs 5 in_kernel 40100
check "and in the mirror" wait_secs 5 in_mirror 40100
check "the oldest flow is gone from the kernel's table" \
	wait_secs 3 eval '! in_kernel 40000'
check "and from the mirror" eval '! in_mirror 40000'
check "zones[].evicted counts it" [ "$(zone10 evicted)" -ge 1 ]
check "zone 10 holds 100 flows" zone10_is flows 100
check "the kernel's zone 10 holds 100 entries" [ "$(ct_zone10)" -eq 100 ]
check "conntrack.deleted counts the kernel delete" \
	[ "$(stats_get "['conntrack']['deleted']")" -gt "${deleted:-0}" ]
check "flows 40001..40099 are all still there" \
	[ "$(ct "$R" -L -w 10 -p udp | grep -c "sport=400[0-9][0-9] ")" -eq 99 ]
mirror_settles "the mirror equals conntrack -L" "$R" 5
echo "# zone 10: $(ctl --json zones)"

finish

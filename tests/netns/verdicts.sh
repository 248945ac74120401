#!/bin/bash
# Many new flows at once, with different verdicts and marks interleaved:
# each flow must get its own policy's decision even though the daemon
# answers runs of equal decisions with one batch verdict.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f
#
# Policy: udp dport 7000 -> mark 0x00200000 and ct labels 3 and 70,
# 7001 -> 0x00400000, 7002 -> drop. The client sends 3,000 new flows, cycling over the three
# ports, as fast as it can; conntrack on the router must then show every
# 7000 flow with 0x210000 (decided bit + mark), every 7001 flow with
# 0x410000, and no 7002 flow at all.
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }

router_lab || exit 99

cat >"$T/flowcached.conf" <<EOF
zones = ( { id = 10; match = { iif = [ "lan0", "wan0" ]; }; } );
policy = (
  { match = { proto = "udp"; dport = 7000; }; mark = 0x00200000; label = [ 3, 70 ]; },
  { match = { proto = "udp"; dport = 7001; }; mark = 0x00400000; },
  { match = { proto = "udp"; dport = 7002; }; verdict = "drop"; }
);
control = { socket = "$SOCK"; };
EOF
start_daemon "$R" || { fail "daemon answers"; finish; }
# the kernel's own view of the labels: count labelled packets after the
# daemon's tables have run
ip netns exec "$R" nft -f - <<'EOF'
table ip seen {
	chain post {
		type filter hook postrouting priority 0;
		udp dport 7000 ct label 3 ct label 70 counter name l7000
		udp dport 7001 ct label 3 counter name l7001
	}
	counter l7000 { }
	counter l7001 { }
}
EOF
seen() { ip netns exec "$R" nft -j list counter ip seen "$1" | python3 -c 'import json,sys; print([o for o in json.load(sys.stdin)["nftables"] if "counter" in o][0]["counter"]["packets"])'; }

ip netns exec "$C" python3 - <<'PY'
import socket
socks = []
for i in range(3000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.1.2", 20000 + i))
    socks.append(s)
for i, s in enumerate(socks):
    # runs of four equal decisions, so batch verdicts carry most of them
    s.sendto(b"z" * 32, ("10.0.2.2", 7000 + (i // 4) % 3))
PY

ctl --json stats >"$T/st.json"
handled=$(json_get "$T/st.json" "d['queues']['packets']")
batches=$(json_get "$T/st.json" "d['queues']['verdict_batches']")
echo "# daemon: $handled packets in $batches sendmsg calls"
check "the daemon saw every flow's first packet" [ "$handled" -ge 3000 ]
check "runs of equal decisions went out as batch verdicts" \
	[ "$(json_get "$T/st.json" "d['queues']['batch_verdicts']")" -gt 0 ]

ip netns exec "$R" conntrack -L -p udp 2>/dev/null >"$T/ct.txt"
count() { grep -c -- "$1" "$T/ct.txt"; }
n7000=$(count "dport=7000 .*mark=2162688 ")
n7001=$(count "dport=7001 .*mark=4259840 ")
bad=$(grep -E "dport=700[01] " "$T/ct.txt" | grep -vE "dport=7000 .*mark=2162688 |dport=7001 .*mark=4259840 " | wc -l)
echo "# conntrack: $n7000 flows to 7000 and $n7001 to 7001 with their marks, $bad with another"
check "all 1,000 flows to 7000 carry 0x210000" [ "$n7000" -eq 1000 ]
check "all 1,000 flows to 7001 carry 0x410000" [ "$n7001" -eq 1000 ]
check "no flow carries another flow's mark" [ "$bad" -eq 0 ]
check "no flow to 7002 was let through" [ "$(count "dport=7002 ")" -eq 0 ]
check "the 1,000 flows to 7000 carry ct labels 3 and 70" [ "$(seen l7000)" -eq 1000 ]
check "flows to 7001 carry no label" [ "$(seen l7001)" -eq 0 ]
check "1,000 drops counted" \
	[ "$(json_get "$T/st.json" "d['queues']['dropped']")" -ge 1000 ]

finish

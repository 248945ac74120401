#!/bin/bash
# Malformed packets, crafted with scapy, reach the daemon through the
# queue: it stays up, counts each under its reason, and gives the verdict
# queues.malformed asks for.
#
#   [client] eth0 10.0.1.2 fd01::2 --- lan0 [router] wan0 --- eth0 10.0.2.2 fd02::2 [server]
#                                       flowcached -f
#
# What can be sent is what the kernel lets reach a hook. A bad IPv4 IHL
# or total length never does: ip_rcv drops it before PREROUTING and, on
# this kernel, a raw socket refuses to send it (EINVAL); those cases are
# covered by the parser's unit tests. IPv4 options are checked only
# after PREROUTING, and L4 and IPv6 extension-header damage passes
# ip_rcv/ipv6_rcv (conntrack calls it invalid), so all of those reach
# the queue on a forwarded packet.
. "$(dirname "$0")/lib.sh"
SCAPY_PY=/usr/bin/python3
$SCAPY_PY -c 'import scapy' 2>/dev/null || { echo "no scapy (python3-scapy): skipped"; exit 77; }

router_lab ipv6 || exit 99
# the server counts what arrives from the client, per kind
ip netns exec "$S" nft -f - <<'EOF'
table inet seen {
	chain input {
		type filter hook prerouting priority -400;
		ip saddr 10.0.1.2 meta l4proto tcp counter name tcp4
		ip6 saddr fd01::2 counter name any6
	}
	counter tcp4 { }
	counter any6 { }
}
EOF
seen() { ip netns exec "$S" nft -j list counter inet seen "$1" | python3 -c 'import json,sys; print([o for o in json.load(sys.stdin)["nftables"] if "counter" in o][0]["counter"]["packets"])'; }

make_conf || exit 99
start_daemon "$R" || { fail "daemon answers"; finish; }
reason() { ctl --json stats >"$T/st.json" && json_get "$T/st.json" "d['queues']['malformed_by_reason']['$1']"; }
scapy() { ip netns exec "$1" $SCAPY_PY -c "from scapy.all import *; conf.verb = 0; $2"; }

# name, namespace, scapy expression, the parser's counter
cases=(
	"truncated TCP header|$C|send(IP(dst='10.0.2.2', proto=6)/Raw(b'\x13\x88\x00\x50' + b'\x00' * 6))|l4_hdr_overrun"
	"TCP data offset 3|$C|send(IP(dst='10.0.2.2')/TCP(dport=80, dataofs=3))|bad_tcp_doff"
	"TCP option of length 0|$C|send(IP(dst='10.0.2.2')/TCP(dport=80, dataofs=6, options=[])/Raw(b'\x02\x00\x00\x00'))|bad_tcp_opt"
	"TCP SYN+FIN|$C|send(IP(dst='10.0.2.2')/TCP(dport=80, flags='SF'))|bad_tcp_flags"
	"UDP length 4|$C|send(IP(dst='10.0.2.2')/UDP(dport=53, len=4)/Raw(b'abcd'))|bad_udp_len"
	"IPv6 ext header chain off the end|$C|send(IPv6(dst='fd02::2', nh=60)/Raw(b'\x06\x05' + b'\x00' * 6))|ipv6_exthdr_overrun"
	"IPv4 option of length 1|$C|send(IP(dst='10.0.2.2', options=IPOption(b'\x44\x01\x00\x00'))/UDP(dport=53))|bad_ipv4_opt"
)

for c in "${cases[@]}"; do
	IFS='|' read -r name ns expr counter <<<"$c"
	before=$(reason "$counter")
	scapy "$ns" "$expr"
	check "$name: counted as $counter" \
		wait_for 3 eval '[ "$(reason "$counter")" -gt "$before" ]'
done
check "daemon alive after the malformed packets" alive "$DAEMON_PID"
check "status still answers" ctl_ok

# the verdict follows queues.malformed: accept (default) lets them pass,
# drop stops them
before=$(seen tcp4)
scapy "$C" "send(IP(dst='10.0.2.2')/TCP(dport=80, dataofs=3))"
check "malformed = accept: the packet reaches the server" \
	wait_for 3 eval '[ "$(seen tcp4)" -gt "$before" ]'
before6=$(seen any6)
scapy "$C" "send(IPv6(dst='fd02::2', nh=60)/Raw(b'\x06\x05' + b'\x00' * 6))"
check "malformed = accept: the IPv6 packet reaches the server" \
	wait_for 3 eval '[ "$(seen any6)" -gt "$before6" ]'

sed -i 's/malformed = "accept";/malformed = "drop";/' "$T/flowcached.conf"
check "reload with malformed = drop" eval 'ctl reload >/dev/null'
dropped=$(ctl --json stats >"$T/st.json" && json_get "$T/st.json" "d['queues']['dropped']")
before=$(seen tcp4)
before_reason=$(reason bad_tcp_doff)
scapy "$C" "send(IP(dst='10.0.2.2')/TCP(dport=80, dataofs=3))"
wait_for 3 eval '[ "$(reason bad_tcp_doff)" -gt "$before_reason" ]'
check "malformed = drop: counted as dropped" \
	eval '[ "$(ctl --json stats >"$T/st.json" && json_get "$T/st.json" "d[\"queues\"][\"dropped\"]")" -gt "$dropped" ]'
check "malformed = drop: the packet does not reach the server" \
	[ "$(seen tcp4)" -eq "$before" ]

finish

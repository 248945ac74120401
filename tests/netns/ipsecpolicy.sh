#!/bin/sh
# IPsec policies on flows, without SAs (this test's half that any kernel
# with XFRM can run; xfrm.sh needs ESP for the SAs and their SPIs):
# flowcached on host B, which has transport-mode ESP policies for UDP
# port 4500, in (reqid 7) and out (reqid 8). A flow from A to port 4500
# shows the in policy's template on its original direction and the out
# one's on its reply, with SPI 0 (no SA installed); a flow to port 5000
# shows "ipsec": null. A policy added while the daemon runs applies to
# the next new flow.
#
#   [A] eth0 10.0.5.1 ----- eth0 10.0.5.2 [B: flowcached]
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

A=$(ns_create a) && B=$(ns_create b) && veth "$A" eth0 "$B" eth0 || exit 99
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$A" addr add 10.0.5.1/24 dev eth0
ip -n "$B" addr add 10.0.5.2/24 dev eth0
ip -n "$B" xfrm policy add src 10.0.5.1/32 dst 10.0.5.2/32 proto udp \
	dport 4500 dir in tmpl proto esp reqid 7 mode transport ||
	{ echo "no XFRM policies in this kernel: skipped"; exit 77; }
ip -n "$B" xfrm policy add src 10.0.5.2/32 dst 10.0.5.1/32 proto udp \
	sport 4500 dir out tmpl proto esp reqid 8 mode transport || exit 99

cat >"$T/flowcached.conf" <<EOF
zones = ( { id = 5; name = "a"; match = { iif = [ "eth0" ]; }; } );
control = { socket = "$SOCK"; };
EOF
start_daemon "$B" || { fail "daemon starts"; finish; }

# udp SPORT DPORT: one datagram from A
udp() {
	ip netns exec "$A" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.5.1", int(sys.argv[1])))
s.sendto(b"x", ("10.0.5.2", int(sys.argv[2])))' "$1" "$2"
}
# ipsec_of DPORT SPORT: the flow's "ipsec" member, as Python prints it
ipsec_of() {
	ctl --json flows | python3 -c '
import json, sys
for f in json.load(sys.stdin)["flows"]:
    if f["orig"]["dport"] == int(sys.argv[1]) and f["orig"]["sport"] == int(sys.argv[2]):
        print(f["ipsec"])' "$1" "$2"
}
has_flow() { [ -n "$(ipsec_of "$1" "$2")" ]; }

udp 40000 4500
udp 40001 5000
check "both flows queued" eval 'wait_for 5 has_flow 4500 40000 && wait_for 5 has_flow 5000 40001'
check "the covered flow shows both policies' templates, no SA yet" \
	[ "$(ipsec_of 4500 40000)" = "{'orig': {'spi': 0, 'reqid': 7, 'proto': 'esp', 'mode': 'transport', 'dir': 'in'}, 'reply': {'spi': 0, 'reqid': 8, 'proto': 'esp', 'mode': 'transport', 'dir': 'out'}}" ]
check "the flow no policy covers shows none" [ "$(ipsec_of 5000 40001)" = None ]

ip -n "$B" xfrm policy add src 10.0.5.1/32 dst 10.0.5.2/32 proto udp \
	dport 5000 dir in tmpl proto ah reqid 9 mode transport || exit 99
sleep 0.5
udp 40002 5000
check "a policy added later covers the next flow" \
	wait_for 5 eval '[ "$(ipsec_of 5000 40002)" = "{'"'"'orig'"'"': {'"'"'spi'"'"': 0, '"'"'reqid'"'"': 9, '"'"'proto'"'"': '"'"'ah'"'"', '"'"'mode'"'"': '"'"'transport'"'"', '"'"'dir'"'"': '"'"'in'"'"'}, '"'"'reply'"'"': None}" ]'
check "the daemon is still running" alive "$DAEMON_PID"
finish

#!/bin/bash
# The IPsec SA of each flow, end to end: two hosts with a transport-mode
# ESP SA pair and policies for TCP port 5001, flowcached on one of them.
# A TCP flow to port 5001 goes through ESP (the SAs' byte counters move)
# and `flowcachectl flows --json` shows it with the outbound SA's SPI as
# ipsec.orig.spi and the inbound one's as ipsec.reply.spi; a flow to
# port 5002, which no policy covers, shows "ipsec": null.
#
#   [A: flowcached -f] eth0 10.0.0.1 ----- eth0 10.0.0.2 [B]
#       SA 0x1001 A -> B (reqid 1), SA 0x2002 B -> A (reqid 1)
#       policies: tcp 5001 out/in on both sides; 5002 in the clear
#
# Needs ESP in the kernel (CONFIG_INET_ESP, rfc4106(gcm(aes))): skipped
# without it.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || { echo "no socat: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
command -v nft >/dev/null || { echo "no nft(8): skipped"; exit 77; }

A=$(ns_create a) && B=$(ns_create b) && veth "$A" eth0 "$B" eth0 || exit 99
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$A" addr add 10.0.0.1/24 dev eth0
ip -n "$B" addr add 10.0.0.2/24 dev eth0

SPI_AB=0x1001
SPI_BA=0x2002
KEY_AB=0x0102030405060708090a0b0c0d0e0f1011121314
KEY_BA=0x1112131415161718191a1b1c1d1e1f2021222324
# sa NS SRC DST SPI KEY
sa() {
	ip -n "$1" xfrm state add src "$2" dst "$3" proto esp spi "$4" reqid 1 \
		mode transport aead 'rfc4106(gcm(aes))' "$5" 128
}
if ! sa "$A" 10.0.0.1 10.0.0.2 $SPI_AB $KEY_AB 2>"$T/esp.err"; then
	echo "no ESP in this kernel ($(cat "$T/esp.err")): skipped"
	exit 77
fi
sa "$A" 10.0.0.2 10.0.0.1 $SPI_BA $KEY_BA &&
	sa "$B" 10.0.0.1 10.0.0.2 $SPI_AB $KEY_AB &&
	sa "$B" 10.0.0.2 10.0.0.1 $SPI_BA $KEY_BA || exit 99
# policy NS SRC DST DIR PORTSEL: TCP with PORTSEL ("dport 5001")
policy() {
	ip -n "$1" xfrm policy add src "$2/32" dst "$3/32" proto tcp $5 dir "$4" \
		tmpl proto esp reqid 1 mode transport
}
policy "$A" 10.0.0.1 10.0.0.2 out "dport 5001" &&
	policy "$A" 10.0.0.2 10.0.0.1 in "sport 5001" &&
	policy "$B" 10.0.0.2 10.0.0.1 out "sport 5001" &&
	policy "$B" 10.0.0.1 10.0.0.2 in "dport 5001" || exit 99

# The default config, its zone on A's only interface: locally made flows
# are queued on output, their replies come back to a decided flow.
make_conf || exit 99
sed -i 's|iif = \[ "lan0", "wan0" \]|iif = [ "eth0" ]|' "$T/flowcached.conf"
grep -q 'iif = \[ "eth0" \]' "$T/flowcached.conf" || exit 99
start_daemon "$A" || { fail "daemon answers"; finish; }
pass "daemon up in A"

for port in 5001 5002; do
	ip netns exec "$B" socat -u TCP-LISTEN:$port,reuseaddr,fork \
		"OPEN:$T/recv.$port,creat,append" &
	_pids="$_pids $!"
done
wait_for 5 eval 'ip netns exec "$B" ss -ltn | grep -q ":5002 "' || exit 99

# sa_bytes NS SRC DST SPI: bytes the SA has carried
sa_bytes() {
	ip -s -n "$1" xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		awk '/lifetime current:/ { getline; sub(/\(bytes\).*/, ""); print $1 + 0; exit }'
}
send() { # send PORT TEXT: one TCP flow from A to B
	echo "$2" | ip netns exec "$A" socat -u - TCP:10.0.0.2:$1,connect-timeout=3
}

check "a TCP flow to port 5001 gets through" send 5001 "through esp"
check "and B received it" wait_for 2 grep -q "through esp" "$T/recv.5001"
out_bytes=$(sa_bytes "$A" 10.0.0.1 10.0.0.2 $SPI_AB)
in_bytes=$(sa_bytes "$A" 10.0.0.2 10.0.0.1 $SPI_BA)
echo "# A's SAs: out $SPI_AB ${out_bytes:-?} bytes, in $SPI_BA ${in_bytes:-?} bytes"
check "it went out through the outbound SA" [ "${out_bytes:-0}" -gt 0 ]
check "and its replies came in through the inbound SA" [ "${in_bytes:-0}" -gt 0 ]

before=$out_bytes
check "a TCP flow to port 5002 gets through" send 5002 "in the clear"
check "and B received it" wait_for 2 grep -q "in the clear" "$T/recv.5002"
check "in the clear: the outbound SA carried no more" \
	[ "$(sa_bytes "$A" 10.0.0.1 10.0.0.2 $SPI_AB)" = "$before" ]

# ipsec_of DPORT: the "ipsec" member of the TCP flow to DPORT, as
# "orig SPI/REQID/PROTO/MODE reply ..." (- for a null direction), "null",
# or "absent"; fails when the daemon has no such flow
ipsec_of() {
	ctl --json flows >"$T/flows.json" 2>/dev/null || return 1
	python3 - "$T/flows.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fl = [f for f in d["flows"]
      if f.get("proto") == "tcp" and f["orig"]["dport"] == int(sys.argv[2])]
if not fl:
    sys.exit(1)
if "ipsec" not in fl[0]:
    print("absent")
elif fl[0]["ipsec"] is None:
    print("null")
else:
    i = fl[0]["ipsec"]
    sa = lambda d: "-" if d is None else "%#x/%s/%s/%s" % (
        d.get("spi"), d.get("reqid"), d.get("proto"), d.get("mode"))
    print("orig", sa(i.get("orig")), "reply", sa(i.get("reply")))
PY
}
check "the daemon has both flows" \
	wait_for 2 eval 'ipsec_of 5001 >/dev/null && ipsec_of 5002 >/dev/null'
got=$(ipsec_of 5001)
echo "# flow to 5001: ipsec $got"
check "port 5001: ipsec.orig.spi is the outbound SA's" \
	[ "$(sed -n 's|^orig \([^/ ]*\).*|\1|p' <<<"$got")" = $SPI_AB ]
check "port 5001: ipsec.reply.spi is the inbound SA's" \
	[ "$(sed -n 's|.* reply \([^/ ]*\).*|\1|p' <<<"$got")" = $SPI_BA ]
check "port 5001: ESP, transport, reqid 1 in both directions" \
	[ "$got" = "orig $SPI_AB/1/esp/transport reply $SPI_BA/1/esp/transport" ]
got=$(ipsec_of 5002)
echo "# flow to 5002: ipsec $got"
check "port 5002, no policy: ipsec is null" [ "$got" = null ]
check "the daemon is still running" alive "$DAEMON_PID"
finish

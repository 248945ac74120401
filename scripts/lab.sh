#!/bin/sh
# The lab: flowcached on a router between a client and a server, each in
# its own network namespace, with the shipped default configuration.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                 (.3 later)          flowcached -f            media servers .11 .12
#
# Part 1, the shipped configuration: zone 10, flows decided once and then
# kept in the kernel, their routes both ways, the owner of a local socket,
# a dropped flow. Part 2: the configuration's stream-ID example switched
# on by a reload: RTP streams kept on their media server by SSRC, in the
# kernel, even when the client's address changes.
#
# Installs what is missing, builds, starts the lab, shows the daemon, and
# tears everything down again (--keep leaves it running; then run
# `scripts/lab.sh --down` to remove it).
set -eu
cd "$(dirname "$0")/.."
NS_C=fc-lab-client NS_R=fc-lab-router NS_S=fc-lab-server
CONF=/tmp/flowcached-lab.conf
SOCK=/run/flowcached/control.sock
PIDFILE=/run/flowcached-lab.pid

down() {
	if [ -f "$PIDFILE" ]; then
		kill -TERM "$(cat "$PIDFILE")" 2>/dev/null || true
		i=0
		while kill -0 "$(cat "$PIDFILE")" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		rm -f "$PIDFILE"
	fi
	for ns in $NS_C $NS_R $NS_S; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}

case "${1:-}" in
--down) down; exit 0 ;;
--keep|"") ;;
*) echo "usage: scripts/lab.sh [--keep|--down]" >&2; exit 2 ;;
esac

scripts/deps.sh
scripts/build.sh >/dev/null
down
# the daemon reloads the file it started with: a copy, changed in part 2
cp conf/flowcached.conf "$CONF"
[ "${1:-}" = --keep ] || trap down EXIT

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "network namespaces"
for ns in $NS_C $NS_R $NS_S; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add eth0 netns $NS_C type veth peer name lan0 netns $NS_R
ip link add eth0 netns $NS_S type veth peer name wan0 netns $NS_R
ip -n $NS_C addr add 10.0.1.2/24 dev eth0
ip -n $NS_R addr add 10.0.1.1/24 dev lan0
ip -n $NS_R addr add 10.0.2.1/24 dev wan0
ip -n $NS_S addr add 10.0.2.2/24 dev eth0
ip -n $NS_S addr add 10.0.2.11/24 dev eth0
ip -n $NS_S addr add 10.0.2.12/24 dev eth0
for l in "$NS_C eth0" "$NS_R lan0" "$NS_R wan0" "$NS_S eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n $NS_C route add default via 10.0.1.1
ip -n $NS_S route add default via 10.0.2.1
ip netns exec $NS_R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $NS_R sysctl -qw net.netfilter.nf_conntrack_acct=1
run ip -n $NS_R -br addr

step "configuration check (the shipped conf/flowcached.conf)"
run ./flowcached -t -c "$CONF"

step "flowcached on the router"
ip netns exec $NS_R ./flowcached -f -c "$CONF" >/tmp/flowcached-lab.log 2>&1 &
echo $! >"$PIDFILE"
i=0
until ./flowcachectl -s "$SOCK" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 250 ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
		echo "flowcached did not come up:" >&2
		cat /tmp/flowcached-lab.log >&2
		exit 1
	fi
	sleep 0.02
done
echo "started, pid $(cat "$PIDFILE"), log in /tmp/flowcached-lab.log"

step "the managed ruleset on the router"
run ip netns exec $NS_R nft list table ip flowcached

step "traffic from the client to the server, through the router"
ip netns exec $NS_S socat -u TCP-LISTEN:80,reuseaddr,fork OPEN:/dev/null &
ip netns exec $NS_S socat -u TCP-LISTEN:23,reuseaddr,fork OPEN:/dev/null &
ip netns exec $NS_S socat -u UDP-RECV:5004,bind=10.0.2.2 OPEN:/dev/null &
i=0
until ip netns exec $NS_S ss -ltn | grep -q ':23 '; do
	i=$((i + 1)); [ $i -lt 250 ] || break; sleep 0.02
done
echo "TCP to port 80: 10 MB"
head -c 10000000 /dev/zero | ip netns exec $NS_C socat -u - TCP:10.0.2.2:80
echo "UDP to port 5004: 1000 datagrams"
ip netns exec $NS_C python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1000):
    s.sendto(b"x" * 100, ("10.0.2.2", 5004))'
printf 'TCP to port 23 (the default policy drops it): '
if ip netns exec $NS_C socat -u OPEN:/dev/null TCP:10.0.2.2:23,connect-timeout=1 2>/dev/null; then
	echo "connected?!"
else
	echo "refused, as configured"
fi
run ip netns exec $NS_C ping -c 3 -i 0.2 -q 10.0.2.2
echo "TCP from the router itself, as user nobody: a local socket, so its"
echo "flow shows its owner (user, pid, comm, inode)"
head -c 100000 /dev/zero | ip netns exec $NS_R setpriv --reuid=nobody \
	--regid=nogroup --clear-groups socat -u - TCP:10.0.2.2:80

step "conntrack on the router: zone 10, mark 0x110000 = decided bit + policy mark"
run ip netns exec $NS_R conntrack -L -o extended 2>/dev/null

step "the router's counters: fast path (decided in the kernel) against queue"
run ip netns exec $NS_R nft list chain ip flowcached decide_prerouting

step "the daemon's flow table: the mirror of conntrack, with what it decided"
echo "(ROUTE is the original direction's; flows --long shows both)"
run ./flowcachectl -s "$SOCK" flows
run ./flowcachectl -s "$SOCK" zones

step "routes both ways: the daemon's routing mirror and the kernel agree"
run ./flowcachectl -s "$SOCK" flows --long --port 80 --src 10.0.1.2
run ./flowcachectl -s "$SOCK" routes get 10.0.2.2 iif lan0 from 10.0.1.2
run ip netns exec $NS_R ip route get 10.0.2.2 iif lan0 from 10.0.1.2
run ./flowcachectl -s "$SOCK" routes get 10.0.1.2 iif wan0 from 10.0.2.2
run ip netns exec $NS_R ip route get 10.0.1.2 iif wan0 from 10.0.2.2

step "the owner of the router's own connection (user nobody)"
run ./flowcachectl -s "$SOCK" flows --user nobody

step "the daemon: one packet per flow decided, the rest stayed in the kernel"
run ./flowcachectl -s "$SOCK" stats
run ./flowcachectl -s "$SOCK" status

step "part 2: stream IDs. Switch on the stream-ID example of the config and reload"
sed -i '/^    # l7 = {/,/} ); };/ s/^    # /    /' "$CONF"
run grep -A3 '^    l7 = {' "$CONF"
run ./flowcachectl -s "$SOCK" reload
echo "the kernel now has a map of SSRC -> backend mark (sids_z10), and DNAT by mark:"
run ip netns exec $NS_R nft list chain ip flowcached nat_prerouting

# the media servers: print each datagram's SSRC and the server it reached
ip netns exec $NS_S python3 -u -c '
import select, socket, struct
socks = []
for a in ("10.0.2.11", "10.0.2.12"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a, 5004))
    socks.append(s)
print("ready")
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(2048)
        print("%s ssrc=%08x from %s:%d" % (s.getsockname()[0],
              struct.unpack("!I", data[8:12])[0], peer[0], peer[1]))
' >/tmp/flowcached-lab-media.log 2>&1 &
i=0
until grep -q ready /tmp/flowcached-lab-media.log; do
	i=$((i + 1))
	if [ $i -ge 250 ]; then
		echo "the media servers did not start:" >&2
		cat /tmp/flowcached-lab-media.log >&2
		exit 1
	fi
	sleep 0.02
done
# rtp SRC FIRSTPORT: 6 streams, SSRC 0x5eed0001.., 20 RTP packets each,
# to the media address 10.0.2.2:5004, one source port per stream
rtp() {
	ip netns exec $NS_C python3 -c '
import socket, struct, sys
src, port = sys.argv[1], int(sys.argv[2])
for k in range(6):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, port + k))
    for seq in range(20):
        hdr = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x5eed0001 + k)
        s.sendto(hdr + bytes(160), ("10.0.2.2", 5004))
' "$1" "$2"
}
echo "6 RTP streams from 10.0.1.2 to 10.0.2.2:5004, 20 packets each"
rtp 10.0.1.2 40000
sleep 0.3
run ./flowcachectl -s "$SOCK" sids
run ./flowcachectl -s "$SOCK" flows --port 5004 --src 10.0.1.2
echo "the daemon put each SSRC into the kernel's map, with its backend's mark:"
run ip netns exec $NS_R nft list map ip flowcached sids_z10

step "part 2: the client's address changes (NAT rebinding, a phone changing network)"
ip -n $NS_C addr add 10.0.1.3/24 dev eth0
echo "the same 6 SSRCs, now from 10.0.1.3 and new ports"
rtp 10.0.1.3 41000
sleep 0.3
echo "each SSRC reached the same media server before and after:"
python3 - /tmp/flowcached-lab-media.log <<'PY'
import collections, sys
seen = collections.defaultdict(lambda: collections.defaultdict(set))
for line in open(sys.argv[1]).readlines()[1:]:
    server, ssrc, _, src = line.split()
    seen[ssrc.split("=")[1]][src.split(":")[0]].add(server)
print("  SSRC      from 10.0.1.2   from 10.0.1.3")
for ssrc in sorted(seen):
    print("  %s  %-14s  %s" % (ssrc, ",".join(sorted(seen[ssrc]["10.0.1.2"])),
                               ",".join(sorted(seen[ssrc]["10.0.1.3"]))))
PY
echo "the new flows were never queued (queued 0): the kernel's map decided them"
run ./flowcachectl -s "$SOCK" flows --long --src 10.0.1.3
echo "the stream's flows from both addresses, on one backend (? : the kernel's"
echo "map decided the new one, the daemon never saw its payload):"
run ./flowcachectl -s "$SOCK" flows --backend m1
run ip netns exec $NS_R conntrack -L -p udp --dport 5004 -s 10.0.1.3 2>/dev/null

step "flowcachectl watch, one frame (it refreshes in a terminal; q quits)"
run ./flowcachectl -s "$SOCK" watch

step "flush: zone 10 decides again (conntrack entries stay)"
run ./flowcachectl -s "$SOCK" flush --zone 10

if [ "${1:-}" = --keep ]; then
	printf '\nThe lab keeps running: ip netns exec %s ..., ./flowcachectl status;\n' $NS_R
	printf 'remove it with: scripts/lab.sh --down\n'
fi

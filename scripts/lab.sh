#!/bin/sh
# The lab: flowcached on a router between a client and a server, each in
# its own network namespace, with the shipped default configuration.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                                     flowcached -f -c conf/flowcached.conf
#
# Installs what is missing, builds, starts the lab, shows the daemon, and
# tears everything down again (--keep leaves it running; then run
# `scripts/lab.sh --down` to remove it).
set -eu
cd "$(dirname "$0")/.."
NS_C=fc-lab-client NS_R=fc-lab-router NS_S=fc-lab-server
CONF=$PWD/conf/flowcached.conf
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
for l in "$NS_C eth0" "$NS_R lan0" "$NS_R wan0" "$NS_S eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n $NS_C route add default via 10.0.1.1
ip -n $NS_S route add default via 10.0.2.1
ip netns exec $NS_R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $NS_R sysctl -qw net.netfilter.nf_conntrack_acct=1
run ip -n $NS_R -br addr

step "configuration check"
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
ip netns exec $NS_S socat -u UDP-RECV:5004 OPEN:/dev/null &
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
run ./flowcachectl -s "$SOCK" flows
run ./flowcachectl -s "$SOCK" zones

step "the daemon: one packet per flow decided, the rest stayed in the kernel"
run ./flowcachectl -s "$SOCK" stats
run ./flowcachectl -s "$SOCK" status

step "reload"
run ./flowcachectl -s "$SOCK" reload

if [ "${1:-}" = --keep ]; then
	printf '\nThe lab keeps running: ip netns exec %s ..., ./flowcachectl status;\n' $NS_R
	printf 'remove it with: scripts/lab.sh --down\n'
fi

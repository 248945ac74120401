#!/bin/sh
# Install, with apt-get, whatever of flowcached's build and test
# dependencies this Debian machine lacks. Needs root; does nothing when
# everything is there.
set -eu

# build: compiler, autotools, the libraries configure checks for
BUILD="build-essential autoconf automake libtool pkg-config
	libnetfilter-queue-dev libnetfilter-conntrack-dev libmnl-dev
	libnftnl-dev libconfig-dev libsystemd-dev liburcu-dev check"
# tests and the lab: the real tools on the other side
TOOLS="iproute2 nftables iptables conntrack socat python3 python3-scapy
	iperf3 procps systemd iputils-ping ethtool groff-base curl prometheus
	tmux"
# the Debian package, and its test under systemd in a container
DEB="debhelper debootstrap systemd-container"
# the benchmarks' peers: DPDK's rte_hash, xxHash, conntrackd
BENCH="dpdk-dev libxxhash-dev conntrackd"

missing=""
for p in $BUILD $TOOLS $DEB $BENCH; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
log=/tmp/flowcached-deps.log
# shellcheck disable=SC2086
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "apt-get failed; full output in $log" >&2
	exit 1
fi
# conntrackd is a benchmark peer, started by the benchmark in its own
# namespace; the package's service would follow the host's table.
# prometheus is there for promtool (tests/netns/metrics.sh); its server
# is not wanted.
for svc in conntrackd prometheus; do
	case " $missing " in
	*" $svc "*)
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || true
		fi ;;
	esac
done

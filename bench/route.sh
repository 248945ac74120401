#!/bin/sh
# The route-cache benchmark: writes a synthetic full IPv4 table with
# gen_prefixes.py (16 next hops), builds bench_route with bench/build.sh,
# loads the table into the main table of a network namespace with
# `ip -batch`, and runs bench_route in that namespace, each command line
# printed before it runs. bench_route compares, on the same table and
# the same destinations, lib/lpm.c, lib/fib.c's fib_resolve(), the Bloom
# next-hop cache (lib/bloom.c) in front of each, RTM_GETROUTE round trips
# and `ip route get` processes: ns per lookup, lookups/s, the cache's
# hit / none / several / false-positive shares and memory, every figure
# with its ratio to lpm_lookup(). What the figures mean is at the top of
# bench_route.c.
#
# The namespace, fcbr-<pid>, removed on exit whatever happens:
#
#   flows in:  fcin0 10.254.0.1/24 (peer fcin0p), from 10.254.0.2
#   next hops: fcrL  10.255.L.1/24 (peer fcrLp), L = 0..3; next hop n of
#              the table is gateway 10.255.L.(2 + j), n - 1 = 4 L + j
#   main:      every prefix of the table "via" its next hop's gateway
#
# Usage: bench/route.sh [--smoke] [--repeat N] [--kv FILE] [--no-kernel]
#   (default)    1M prefixes, 4M destinations a stream, 3 passes; 100k
#                RTM_GETROUTE and 100 `ip route get` a stream; loading
#                the kernel's table takes some 15 s, the run about 2 min
#   --smoke      50k prefixes, 256k destinations, one pass, 5k round
#                trips and 20 processes a stream (CI: well under a minute)
#   --repeat N   run bench_route N times on the same tables and print the
#                median of every figure across the runs (one per line)
#   --kv FILE    write those medians to FILE ("stream impl figure value")
#   --no-kernel  no namespace, no kernel rows: ours alone, without root
# Exit: 0 all ran and every answer agreed, 1 a build, a load or a run
# failed (bench_route exits 1 when any answer differs), 2 usage, 77
# lib/lpm.c, fib.c or bloom.c, python3, ip, root or veth is not there.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=repeat.sh
. "$BENCH_DIR/repeat.sh"
SMOKE=0
REPEAT=1
KV_OUT=
KERNEL=1

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
skip() { echo "route.sh: $*: skipped" >&2; exit 77; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--kv) KV_OUT=${2:-}; [ -n "$KV_OUT" ] || usage; shift ;;
	--no-kernel) KERNEL=0 ;;
	*) usage ;;
	esac
	shift
done
repeat_ok || usage

for src in lpm fib bloom; do
	[ -f "$BENCH_DIR/../lib/$src.c" ] || skip "lib/$src.c is not there yet"
done
command -v python3 >/dev/null || skip "no python3 for gen_prefixes.py"
if [ "$KERNEL" = 1 ]; then
	[ "$(id -u)" -eq 0 ] ||
		skip "needs root for its namespace (or --no-kernel)"
	command -v ip >/dev/null || skip "no ip (apt-get install iproute2)"
fi

run() {
	echo "+ $*"
	"$@"
}
now_ms() { date +%s%3N; }
slab_kib() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

if [ "$SMOKE" = 1 ]; then
	PREFIXES=50000
	ARGS="--addresses 262144 --passes 1"
	KARGS="--kernel 5000 --spawns 20"
else
	PREFIXES=1000000
	ARGS="--addresses 4194304 --passes 3"
	KARGS="--kernel 100000 --spawns 100"
fi

NS=
T=$(mktemp -d "/tmp/fc-bench-route.XXXXXX") || exit 1
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

run "$BENCH_DIR/build.sh" bench_route || exit 1
[ -x "$BENCH_DIR/bench_route" ] ||
	{ echo "route.sh: bench_route was not built" >&2; exit 1; }
run python3 "$BENCH_DIR/gen_prefixes.py" --v4 "$PREFIXES" --v6 0 \
	--nexthops 16 --seed 1 -o "$T/table" || exit 1

# shellcheck disable=SC2086
set -- "$BENCH_DIR/bench_route" --prefixes "$T/table" $ARGS
if [ "$KERNEL" = 1 ]; then
	run "$BENCH_DIR/bench_route" --prefixes "$T/table" \
		--write-batch "$T/batch" || exit 1
	grep -v '^route ' "$T/batch" >"$T/links"
	grep '^route ' "$T/batch" >"$T/routes"
	NS=fcbr-$$
	run ip netns add "$NS" || { NS=; skip "cannot create a namespace"; }
	run ip -n "$NS" -batch "$T/links" ||
		skip "cannot set up the links (veth?)"
	# forwarding on, or an input route is "unreachable"; no reverse
	# path filter (the flows' source is not routed back)
	for s in net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		 net.ipv4.conf.default.rp_filter=0 \
		 net.ipv4.conf.fcin0.rp_filter=0; do
		ip netns exec "$NS" sysctl -qw "$s" || exit 1
	done
	slab0=$(slab_kib)
	t0=$(now_ms)
	echo "+ ip -n $NS -batch $T/routes   ($(wc -l <"$T/routes") routes)"
	ip -n "$NS" -batch "$T/routes" || exit 1
	t1=$(now_ms)
	slab1=$(slab_kib)
	load_ms=$((t1 - t0))
	slab=$((slab1 - slab0))
	echo "# kernel: $load_ms ms to load, slab $slab KiB more" \
	     "(the machine is shared: approximate)"
	# shellcheck disable=SC2086
	set -- ip netns exec "$NS" "$@" $KARGS \
		--kernel-load-ms "$load_ms" --kernel-slab-kib "$slab"
fi

repeat_runs "stream impl figure" -k1,1 3 run "$@"
exit $?

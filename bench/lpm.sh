#!/bin/sh
# The LPM benchmark: writes a synthetic full routing table with
# gen_prefixes.py, builds bench_lpm with bench/build.sh, and runs it,
# each command line printed before it runs. bench_lpm compares
# lib/lpm.c with DPDK's rte_lpm (IPv4) and rte_lpm6 (IPv6) on that table:
# load time, lookups (random, routed and flow-local destinations, single
# and batched, on 4 KiB and huge pages), single route changes, memory.
# What the figures mean is at the top of bench_lpm.c; how the table is
# made, at the top of gen_prefixes.py.
#
# Usage: bench/lpm.sh [--smoke] [--repeat N] [--kv FILE] [--no-peer]
#   (default)   1M IPv4 and 200k IPv6 prefixes, 4M addresses a stream;
#               loading rte_lpm alone takes a minute or more
#   --smoke     100k and 20k prefixes, 256k addresses, one pass (CI:
#               well under a minute)
#   --repeat N  run bench_lpm N times on the same table and print the
#               median of every figure across the runs (one per line)
#   --kv FILE   write those medians to FILE ("family impl figure value")
#   --no-peer   ours alone
# Exit: 0 all ran and agreed, 1 a build or a run failed (bench_lpm exits
# 1 when an answer differs from the peer's), 2 usage, 77 lib/lpm.c or
# python3 is not there.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=repeat.sh
. "$BENCH_DIR/repeat.sh"
SMOKE=0
REPEAT=1
KV_OUT=
PEER=

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--kv) KV_OUT=${2:-}; [ -n "$KV_OUT" ] || usage; shift ;;
	--no-peer) PEER=--no-peer ;;
	*) usage ;;
	esac
	shift
done
repeat_ok || usage

if [ ! -f "$BENCH_DIR/../lib/lpm.c" ]; then
	echo "lpm.sh: lib/lpm.c is not there yet: skipped" >&2
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "lpm.sh: no python3 for gen_prefixes.py: skipped" >&2
	exit 77
fi

run() {
	echo "+ $*"
	"$@"
}

if [ "$SMOKE" = 1 ]; then
	GEN="--v4 100000 --v6 20000"
	ARGS="--addresses 262144 --passes 1 --updates 50"
else
	GEN="--v4 1000000 --v6 200000"
	ARGS="--addresses 4194304 --passes 3 --updates 200"
fi

T=$(mktemp -d "/tmp/fc-bench-lpm.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

run "$BENCH_DIR/build.sh" bench_lpm || exit 1
[ -x "$BENCH_DIR/bench_lpm" ] || { echo "lpm.sh: bench_lpm was not built" >&2; exit 1; }
# shellcheck disable=SC2086
run python3 "$BENCH_DIR/gen_prefixes.py" $GEN --seed 1 -o "$T/table" || exit 1

# shellcheck disable=SC2086
repeat_runs "family impl figure" -k1,1 2 \
	run "$BENCH_DIR/bench_lpm" --prefixes "$T/table" $ARGS $PEER
exit $?

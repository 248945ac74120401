#!/bin/sh
# The flow-table benchmarks: builds bench_table and bench_hash with
# bench/build.sh, then runs both, each command line printed before it
# runs. bench_table compares lib/flowtable.c with DPDK's rte_hash and
# watches lookups while the table grows and shrinks; bench_hash compares
# the table's SipHash-1-3 with faster hashes and floods each. What the
# figures mean is at the top of each .c file.
#
# Usage: bench/table.sh [--smoke | --full] [--repeat N] [--kv FILE]
#   --smoke     N = 10k and 100k, one pass (CI: well under a minute)
#   (default)   N = 10k and 1M
#   --full      N = 10k, 1M and 10M (about 4 GiB of memory)
#   --repeat N  run bench_table N times and print the median of every
#               figure across the runs (one per line)
#   --kv FILE   write those medians to FILE ("N impl figure value")
# Exit: 0 both ran, 1 a build or a benchmark failed (bench_table exits 1
# when an answer was wrong), 2 usage, 77 lib/flowtable.c is not there.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=repeat.sh
. "$BENCH_DIR/repeat.sh"
SIZE=
REPEAT=1
KV_OUT=

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke|--full) SIZE=$1 ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--kv) KV_OUT=${2:-}; [ -n "$KV_OUT" ] || usage; shift ;;
	*) usage ;;
	esac
	shift
done
repeat_ok || usage

if [ ! -f "$BENCH_DIR/../lib/flowtable.c" ]; then
	echo "table.sh: lib/flowtable.c is not there yet: skipped" >&2
	exit 77
fi

run() {
	echo "+ $*"
	"$@"
}

run "$BENCH_DIR/build.sh" bench_table bench_hash || exit 1

HASH_ARGS=
[ "$SIZE" = --smoke ] && HASH_ARGS=--smoke
# shellcheck disable=SC2086
run "$BENCH_DIR/bench_hash" $HASH_ARGS || exit 1

T=$(mktemp -d "/tmp/fc-bench-table.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2086
repeat_runs "N impl figure" -k1,1n 1 run "$BENCH_DIR/bench_table" $SIZE
exit $?

#!/bin/sh
# The socket-owner benchmark: builds bench_owner with bench/build.sh and
# runs it in a fresh network namespace, each command line printed before
# it runs. bench_owner opens 10,000 TCP sockets on 127.0.0.1 (a listener
# and 5,000 connections, both ends) and finds random ones of them by
# their addresses and ports: an exact sock_diag request made and read by
# lib/sockdiag.c (the daemon's way) against a scan of /proc/net/tcp, and
# for a few, the inode's process by a scan of /proc/PID/fd. Lookups/s,
# median and p99 latency per method; what they mean is at the top of
# bench_owner.c.
#
# Every run gets its own namespace, fcbo-<pid>, with lo up and nothing
# else, removed when the run ends and on exit whatever happens: the
# sockets a run leaves in TIME_WAIT would lengthen the next run's file.
#
# Usage: bench/owner.sh [--smoke] [--repeat N] [--kv FILE]
#   (default)    20,000 sock_diag lookups, 2,000 /proc/net/tcp scans and
#                10 /proc/PID/fd scans; about 25 s a run
#   --smoke      1,000, 200 and 3 (CI: about 3 s)
#   --repeat N   N runs, each in a new namespace, and the median of every
#                figure across them (one per line)
#   --kv FILE    write those medians to FILE ("owner method figure value")
# Exit: 0 all ran and every answer was right, 1 a build or a run failed
# (bench_owner exits 1 when a lookup answers wrongly), 2 usage, 77
# lib/sockdiag.c, ip or root is not there.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=repeat.sh
. "$BENCH_DIR/repeat.sh"
SMOKE=0
REPEAT=1
KV_OUT=

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
skip() { echo "owner.sh: $*: skipped" >&2; exit 77; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--kv) KV_OUT=${2:-}; [ -n "$KV_OUT" ] || usage; shift ;;
	*) usage ;;
	esac
	shift
done
repeat_ok || usage

[ -f "$BENCH_DIR/../lib/sockdiag.c" ] || skip "lib/sockdiag.c is not there yet"
[ "$(id -u)" -eq 0 ] || skip "needs root for its namespace"
command -v ip >/dev/null || skip "no ip (apt-get install iproute2)"

run() {
	echo "+ $*"
	"$@"
}

if [ "$SMOKE" = 1 ]; then
	ARGS="--lookups 1000 --proc-lookups 200 --pid-lookups 3"
else
	ARGS=
fi

NS=
T=$(mktemp -d "/tmp/fc-bench-owner.XXXXXX") || exit 1
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

run "$BENCH_DIR/build.sh" bench_owner || exit 1
[ -x "$BENCH_DIR/bench_owner" ] ||
	{ echo "owner.sh: bench_owner was not built" >&2; exit 1; }

# one_run [ARG...]: bench_owner in a namespace of its own, then gone
# shellcheck disable=SC2317 # run by repeat_runs
one_run() {
	NS=fcbo-$$
	run ip netns add "$NS" || { NS=; skip "cannot create a namespace"; }
	run ip -n "$NS" link set lo up || exit 1
	# a /proc/net/tcp read walks every bucket of this hash; negative:
	# the host's, shared by the namespaces (tcp_child_ehash_entries 0)
	echo "# established hash: $(ip netns exec "$NS" sysctl -n \
		net.ipv4.tcp_ehash_entries) buckets"
	# shellcheck disable=SC2086
	run ip netns exec "$NS" "$BENCH_DIR/bench_owner" $ARGS "$@"
	run_rc=$?
	ip netns del "$NS" || run_rc=1
	NS=
	return "$run_rc"
}

repeat_runs "owner method figure" -k1,1 2 one_run
exit $?

# Shell library for the benchmarks that build the client-router-server lab
# (bench/slowpath.sh, fastpath.sh, l7.sh, ctsync.sh, ctevents.sh); sourced,
# never run. Their reports share bench/report.py.
#
# Every stage of a benchmark gets fresh namespaces, so that one stage's
# conntrack entries, queue bindings or leftover rules never touch the
# next:
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#
# The router's interfaces are called lan0/wan0 as in scripts/lab.sh, so
# the shipped configuration's zone (iif lan0, wan0) matches and the daemon
# does its real work. Names carry the script name and its pid; everything
# created is registered and removed again by stage_down and by the EXIT
# trap, processes first. Waiting is on a condition (wait_for), never a
# bare sleep, and every wait is bounded.

set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
BENCH_NAME=$(basename "$0" .sh)
: "${FLOWCACHED:=$TOP/flowcached}"
: "${FLOWCACHECTL:=$TOP/flowcachectl}"
: "${FC_CONF_SRC:=$TOP/conf/flowcached.conf}"
HZ=$(getconf CLK_TCK)

if [ "$(id -u)" -ne 0 ]; then
	echo "$BENCH_NAME: needs root (network namespaces): skipped" >&2
	exit 77
fi
for tool in ip nft iptables-nft python3 taskset; do
	command -v "$tool" >/dev/null || {
		echo "$BENCH_NAME: no $tool (apt-get install" \
		     "iproute2 nftables iptables python3 util-linux): skipped" >&2
		exit 77
	}
done

T=$(mktemp -d "/tmp/fc-bench-$BENCH_NAME.XXXXXX") || exit 1
KEEP=0
_pids=""
_namespaces=""

log() { printf '%s\n' "$*" >&2; }

# arg_range OPTION VALUE MIN MAX: a whole number in MIN..MAX, else exit 2
arg_range() {
	case $2 in ''|*[!0-9]*) log "$BENCH_NAME: $1 takes a whole number"; exit 2 ;; esac
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || { log "$BENCH_NAME: $1 $3..$4"; exit 2; }
}

# --seconds and --repeat, as the data-path scripts take them
check_run_args() {
	arg_range --seconds "$SECONDS_RUN" 1 600
	arg_range --repeat "$REPEAT" 1 20
}
die() { log "$BENCH_NAME: $*"; exit 1; }

# rec RUN KEY VALUE: one result, collected in $T/RUN.kv (bench/report.py
# reads them back)
rec() { printf '%s=%s\n' "$2" "$3" >>"$T/$1.kv"; }
# run_fail RUN WHY: RUN failed; said, recorded as its error, and FAILED
# set, which turns the driver's exit status into 1
FAILED=0
run_fail() {
	log "${0##*/}: $1: $2"
	rec "$1" error "$2"
	FAILED=1
}

# now_us: monotonic enough for our bounds (bash 5's EPOCHREALTIME).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds; gives
# up once SECONDS have passed, however long each poll takes.
wait_for() {
	local end=$(( $(now_us) + $1 * 1000000 ))
	shift
	while ! "$@"; do
		[ "$(now_us)" -ge "$end" ] && return 1
		sleep 0.02
	done
}
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }

# spawn PIDVAR LOG NS CMD...: start CMD in NS in the background, its
# output in LOG; the pid (that of CMD itself: ip netns exec and taskset
# exec it) goes into PIDVAR and is registered for clean-up.
spawn() {
	local var=$1 out=$2 ns=$3 pid
	shift 3
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	pid=$!
	_pids="$_pids $pid"
	eval "$var=$pid"
}

# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL.
stop_pid() {
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	wait_for 5 gone "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

stage_down() {
	local p ns
	for p in $_pids; do
		stop_pid "$p"
	done
	_pids=""
	for ns in $_namespaces; do
		ip netns del "$ns" 2>/dev/null
	done
	_namespaces=""
}

_cleanup() {
	stage_down
	if [ "$KEEP" = 1 ]; then
		log "# logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

# topo_up STAGE: the three namespaces of one stage; sets NS_C NS_R NS_S.
# The server counts what arrives in `table inet fcbench`, chain input.
C_ADDR=10.0.1.2
S_ADDR=10.0.2.2
topo_up() {
	local s=$1 ns
	NS_C=fcb-$BENCH_NAME-$$-$s-c
	NS_R=fcb-$BENCH_NAME-$$-$s-r
	NS_S=fcb-$BENCH_NAME-$$-$s-s
	for ns in $NS_C $NS_R $NS_S; do
		ip netns add "$ns" || return 1
		_namespaces="$_namespaces $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip link add eth0 netns "$NS_C" type veth peer name lan0 netns "$NS_R" &&
	ip link add eth0 netns "$NS_S" type veth peer name wan0 netns "$NS_R" &&
	ip -n "$NS_C" addr add $C_ADDR/24 dev eth0 &&
	ip -n "$NS_R" addr add 10.0.1.1/24 dev lan0 &&
	ip -n "$NS_R" addr add 10.0.2.1/24 dev wan0 &&
	ip -n "$NS_S" addr add $S_ADDR/24 dev eth0 &&
	ip -n "$NS_C" link set eth0 up &&
	ip -n "$NS_R" link set lan0 up &&
	ip -n "$NS_R" link set wan0 up &&
	ip -n "$NS_S" link set eth0 up &&
	ip -n "$NS_C" route add default via 10.0.1.1 &&
	ip -n "$NS_S" route add default via 10.0.2.1 &&
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	# routes are there once ping answers (at most 5 s)
	wait_for 5 ip netns exec "$NS_C" ping -c 1 -W 1 -q $S_ADDR \
		>/dev/null 2>&1
}

# nft_counter NS TABLE_FAMILY TABLE CHAIN COMMENT: packets of the counter
# rule carrying that comment.
nft_counter() {
	ip netns exec "$1" nft -j list chain "$2" "$3" "$4" | python3 -c '
import json, sys
want = sys.argv[1]
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == want:
        for e in r["expr"]:
            if "counter" in e:
                print(e["counter"]["packets"]); sys.exit(0)
print(0)' "$5"
}

# queue_line NS QUEUE: that queue's line in nfnetlink_queue as
# "portid total copy_mode copy_range dropped user_dropped id_sequence",
# or nothing while nobody is bound.
queue_line() {
	ip netns exec "$1" awk -v q="$2" \
		'$1 == q { print $2, $3, $4, $5, $6, $7, $8 }' \
		/proc/net/netfilter/nfnetlink_queue
}
queue_bound() { [ -n "$(queue_line "$1" "$2")" ]; }
queue_empty() {
	local l
	l=$(queue_line "$1" "$2")
	[ -z "$l" ] || [ "$(echo "$l" | cut -d' ' -f2)" = 0 ]
}

# cpu_ticks PID: utime + stime of the whole process (all threads), in
# clock ticks; the fields after the command name, which may hold spaces.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# ct_stat NS FIELD: a column of /proc/net/stat/nf_conntrack summed over
# the CPUs (the file is hex, one line per CPU).
ct_stat() {
	ip netns exec "$1" python3 -c '
import sys
rows = open("/proc/net/stat/nf_conntrack").read().split("\n")
head = rows[0].split()
col = head.index(sys.argv[1])
print(sum(int(r.split()[col], 16) for r in rows[1:] if r.strip()))' "$2"
}

# cpu_idle_pct MS: share of idle time over all CPUs during MS ms.
cpu_idle_pct() {
	local a b
	a=$(head -1 /proc/stat)
	sleep "$(awk -v m="$1" 'BEGIN { print m / 1000 }')"
	b=$(head -1 /proc/stat)
	echo "$a" "$b" | awk '{
		for (i = 2; i <= 11; i++) { t1 += $i; t2 += $(i + 11) }
		idle = ($(16) + $(17)) - ($5 + $6); tot = t2 - t1
		pct = 0; if (tot > 0) pct = 100 * idle / tot
		printf "%d\n", pct }'
}
_quiet() { [ "$(cpu_idle_pct 250)" -ge "$QUIET_PCT" ]; }
# wait_quiet: up to QUIET_WAIT (10) s for the machine to be >= 90% idle (namespaces
# of the last stage are torn down asynchronously by the kernel; other
# users may be busy). Prints the idle share it saw last.
QUIET_PCT=90
wait_quiet() {
	wait_for "${QUIET_WAIT:-10}" _quiet || true
	cpu_idle_pct 250
}
# busy_tasks: the tasks using >= 5% of a CPU right now, "comm(pct%) ...".
busy_tasks() {
	command -v top >/dev/null || return 0
	top -b -n2 -d0.3 -w 200 | awk '/^top -/ { n++ }
		n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 {
			printf "%s%s(%s%%)", sep, $12, $9; sep = " " }
		END { print "" }'
}

# Private copies of the daemon and its CLI, so a rebuild of the tree
# during the run cannot swap the binary under a stage.
daemon_prepare() {
	if [ ! -x "$FLOWCACHED" ] || [ ! -x "$FLOWCACHECTL" ]; then
		log "$BENCH_NAME: no $FLOWCACHED; building the tree (scripts/build.sh)"
		"$TOP/scripts/build.sh" >"$T/build.log" 2>&1 ||
			{ tail -20 "$T/build.log" >&2; die "build failed"; }
	fi
	cp "$FLOWCACHED" "$T/flowcached" && cp "$FLOWCACHECTL" "$T/flowcachectl" ||
		die "cannot copy $FLOWCACHED / $FLOWCACHECTL"
	SOCK=$T/control.sock
	sed "s|socket = \"/run/flowcached/control.sock\"|socket = \"$SOCK\"|" \
		"$FC_CONF_SRC" >"$T/flowcached.conf"
	grep -q "socket = \"$SOCK\"" "$T/flowcached.conf" ||
		die "$FC_CONF_SRC has no 'socket = \"/run/flowcached/control.sock\"' line"
	"$T/flowcached" -t -c "$T/flowcached.conf" >"$T/conf-check.log" 2>&1 ||
		{ cat "$T/conf-check.log" >&2; die "configuration refused"; }
}
ctl() { "$T/flowcachectl" -s "$SOCK" "$@"; }
ctl_ok() { ctl status >/dev/null 2>&1; }

_daemon_up_or_gone() { ctl_ok || gone "$DAEMON_PID"; }
# daemon_start NS [CPU]: flowcached -f in NS (pinned to CPU when given);
# sets DAEMON_PID; fails unless it answers on its control socket.
daemon_start() {
	local ns=$1 cpu=${2:-}
	rm -f "$SOCK"
	if [ -n "$cpu" ]; then
		spawn DAEMON_PID "$T/daemon.log" "$ns" taskset -c "$cpu" \
			"$T/flowcached" -f -c "$T/flowcached.conf"
	else
		spawn DAEMON_PID "$T/daemon.log" "$ns" \
			"$T/flowcached" -f -c "$T/flowcached.conf"
	fi
	wait_for 10 _daemon_up_or_gone
	if ! ctl_ok; then
		log "$BENCH_NAME: flowcached did not start; its log:"
		sed 's/^/    /' "$T/daemon.log" | tail -20 >&2
		return 1
	fi
}

# json_get EXPR: a value from the JSON document on stdin, d being it.
json_get() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"
}

# daemon_managed NS: the daemon runs its own ruleset: its status says
# managed (and installed, where it reports that) and a table called
# flowcached, of any family, exists in NS -- the daemon installs
# `table ip flowcached` + `table ip6 flowcached` (xt targets cannot live
# in an inet table), a later one may install `table inet flowcached`.
# Sets MANAGED_TABLES ("ip flowcached, ip6 flowcached").
managed_tables() {
	ip netns exec "$1" nft list tables 2>/dev/null |
		awk '$3 == "flowcached" { printf "%s%s %s", sep, $2, $3; sep = ", " }'
}
_managed_now() {
	local st
	st=$(ctl --json status) || return 1
	[ "$(echo "$st" | json_get 'd.get("ruleset", {}).get("installed", True)')" = True ] &&
		[ -n "$(managed_tables "$1")" ]
}
daemon_managed() {
	MANAGED_TABLES=""
	[ "$(ctl --json status | json_get 'd.get("ruleset", {}).get("managed")')" = True ] ||
		return 1
	wait_for 3 _managed_now "$1" || return 1
	MANAGED_TABLES=$(managed_tables "$1")
}

# nft_comment_sum NS COMMENT: packets of every counter in rules with
# that comment, summed over the tables called flowcached.
nft_comment_sum() {
	ip netns exec "$1" nft -j list ruleset 2>/dev/null | python3 -c '
import json, sys
want, total = sys.argv[1], 0
try:
    doc = json.load(sys.stdin)["nftables"]
except Exception:
    doc = []
for o in doc:
    r = o.get("rule")
    if r and r.get("table") == "flowcached" and r.get("comment") == want:
        for e in r["expr"]:
            if "counter" in e:
                total += e["counter"]["packets"]
print(total)' "$2"
}

# ipt_target_packets NS TABLE CHAIN TARGET: packets of the iptables-nft
# rules in CHAIN whose target is TARGET.
ipt_target_packets() {
	ip netns exec "$1" iptables-nft -t "$2" -L "$3" -v -x -n 2>/dev/null |
		awk -v t="$4" '$3 == t { s += $1 } END { print s + 0 }'
}

# build the bench programs when missing or older than their source
bench_build() {
	local p need=0
	for p in nullq udpflood; do
		[ "$BENCH_DIR/$p" -nt "$BENCH_DIR/$p.c" ] || need=1
	done
	[ $need = 0 ] && return 0
	"$BENCH_DIR/build.sh" nullq udpflood >&2 ||
		die "building bench programs failed"
}

# conntrack_rcvbuf CONF BYTES: conntrack.rcvbuf in CONF set to BYTES,
# in the file's own conntrack block when it has one
conntrack_rcvbuf() {
	if grep -q '^conntrack[[:space:]]*=' "$1"; then
		sed -i "/^conntrack[[:space:]]*=/,/^}/ s/^\([[:space:]]*rcvbuf[[:space:]]*=[[:space:]]*\)[0-9]*;/\1$2;/" "$1"
		grep -q "^[[:space:]]*rcvbuf[[:space:]]*=[[:space:]]*$2;" "$1" ||
			sed -i "/^conntrack[[:space:]]*=/a\\  rcvbuf = $2;" "$1"
	else
		printf '\nconntrack = {\n  rcvbuf = %s;\n};\n' "$2" >>"$1"
	fi
}
# fc_check CONF: the daemon accepts CONF; else FC_SKIP says why
fc_check() {
	"$T/flowcached" -t -c "$1" >"$T/conf-check.log" 2>&1 && return 0
	if grep -q "unknown key 'conntrack'" "$T/conf-check.log"; then
		FC_SKIP="no conntrack mirror in this build (its configuration check: $(head -1 "$T/conf-check.log"))"
	else
		FC_SKIP="its configuration check refuses our configuration: $(head -1 "$T/conf-check.log")"
	fi
	return 1
}

# The host's nf_conntrack_max (a namespace cannot raise its own): raised
# for the run by ct_max_raise N when lower, and put back on exit, before
# the clean-up removes the namespaces (ct_setup installs that trap).
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
CT_MAX_ORIG=""
ct_max_restore() {
	[ -n "$CT_MAX_ORIG" ] || return 0
	echo "$CT_MAX_ORIG" >"$CT_MAX_FILE" 2>/dev/null &&
		log "# host nf_conntrack_max restored to $CT_MAX_ORIG"
	CT_MAX_ORIG=""
}
ct_max_raise() {
	local need=$1 cur
	cur=$(cat "$CT_MAX_FILE") || return 1
	[ "$cur" -ge "$need" ] && return 0
	CT_MAX_ORIG=$cur
	echo "$need" >"$CT_MAX_FILE" || return 1
	log "# host nf_conntrack_max raised from $cur to $need for the run"
}

# ct_setup: the trap above, and ctdump/ctfill built when missing or
# older than their source
ct_setup() {
	local p
	trap '_cleanup; ct_max_restore' EXIT
	for p in ctdump ctfill; do
		[ "$BENCH_DIR/$p" -nt "$BENCH_DIR/$p.c" ] && continue
		"$BENCH_DIR/build.sh" ctdump ctfill >&2 ||
			die "building ctdump/ctfill failed"
		break
	done
}

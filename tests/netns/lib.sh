# Shell library for the netns tests; sourced, never run.
#
# Each test gets namespaces whose names carry the test name and its pid,
# so tests can run side by side and a crashed run never collides with the
# next; everything created is registered and removed by an EXIT trap,
# daemons first. Waiting is always on a condition (wait_for), never a
# bare sleep. A test that cannot run here exits 77 (automake: SKIP).

set -u
: "${FC_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FC_SRCDIR:=$FC_BUILDDIR}"
FCD=$FC_BUILDDIR/flowcached
FCCTL=$FC_BUILDDIR/flowcachectl
TEST_NAME=$(basename "$0" .sh)

if [ "${FC_SKIP_NETNS:-0}" = 1 ]; then
	echo "FC_SKIP_NETNS=1: skipped"; exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "netns tests need root: skipped"; exit 77
fi
command -v ip >/dev/null || { echo "no ip(8): skipped"; exit 77; }

T=$(mktemp -d "/tmp/fc-$TEST_NAME.XXXXXX") || exit 99
chmod 755 "$T"
_pids=""
_pass=0
_fail=0

cleanup() {
	local p ns
	for p in $_pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $_pids; do
		wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	# ns_create runs in $(...) subshells: the list lives in a file
	for ns in $(cat "$T/namespaces" 2>/dev/null); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$_fail" -ne 0 ] || [ "${FC_KEEP:-0}" = 1 ]; then
		echo "# test files kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { _pass=$((_pass + 1)); echo "ok   $1"; }
fail() {
	_fail=$((_fail + 1)); echo "FAIL $1${2:+: $2}"
	if [ -f "$T/daemon.log" ]; then
		echo "# daemon log:"; sed 's/^/#   /' "$T/daemon.log" | tail -20
	fi
}
# check NAME CMD...: pass when CMD succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

# Print the summary line and exit with the tests' verdict.
finish() {
	echo "$TEST_NAME: $_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
	exit $?
}

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge $((limit * 50)) ] && return 1
		sleep 0.02
	done
}

alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }
# wait_gone PID SECONDS
wait_gone() { wait_for "$2" gone "$1"; }

# ns_create SHORT: a fresh namespace with lo up; prints its full name.
ns_create() {
	local ns="fc-$TEST_NAME-$$-$1"
	ip netns add "$ns" || return 1
	echo "$ns" >>"$T/namespaces"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both up.
veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
	ip -n "$1" link set "$2" up &&
	ip -n "$3" link set "$4" up
}

# make_conf [SRC]: the shipped default config (or SRC) with the control
# socket moved into this test's folder; writes $T/flowcached.conf.
SOCK=$T/control.sock
make_conf() {
	sed "s|socket = \"/run/flowcached/control.sock\"|socket = \"$SOCK\"|" \
		"${1:-$FC_SRCDIR/conf/flowcached.conf}" >"$T/flowcached.conf"
	grep -q "$SOCK" "$T/flowcached.conf"
}

ctl() { "$FCCTL" -s "$SOCK" "$@"; }
ctl_ok() { ctl status >/dev/null 2>&1; }

# json_get FILE EXPR: print a value from a JSON document (python3 -c).
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"
}

# start_daemon NS [ARGS...]: flowcached -f in NS with $T/flowcached.conf,
# logging to $T/daemon.log; sets DAEMON_PID; waits until it answers.
start_daemon() {
	local ns=$1
	shift
	ip netns exec "$ns" "$FCD" -f -c "$T/flowcached.conf" "$@" \
		>>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	_pids="$_pids $DAEMON_PID"
	wait_for 10 ctl_ok
}

json_valid() { python3 -m json.tool "$1" >/dev/null; }

# router_lab [ipv6|noipv6]: the three-namespace lab every data-path test
# uses; sets C, R and S.
#
#   [client C] eth0 10.0.1.2 fd01::2 --- lan0 .1 [router R] wan0 .1 --- eth0 10.0.2.2 fd02::2 [server S]
#
# ipv6 adds the fd01::/64 and fd02::/64 addresses and routes; noipv6
# (the default) turns IPv6 off, so that no router solicitation or MLD
# report reaches the queue and every packet the daemon sees belongs to a
# flow the test made.
router_lab() {
	local ns
	C=$(ns_create client) && R=$(ns_create router) && S=$(ns_create server) &&
	veth "$C" eth0 "$R" lan0 && veth "$S" eth0 "$R" wan0 || return 1
	ip -n "$C" addr add 10.0.1.2/24 dev eth0
	ip -n "$R" addr add 10.0.1.1/24 dev lan0
	ip -n "$R" addr add 10.0.2.1/24 dev wan0
	ip -n "$S" addr add 10.0.2.2/24 dev eth0
	ip -n "$C" route add default via 10.0.1.1
	ip -n "$S" route add default via 10.0.2.1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
	if [ "${1:-noipv6}" = ipv6 ]; then
		ip -n "$C" addr add fd01::2/64 dev eth0 nodad
		ip -n "$R" addr add fd01::1/64 dev lan0 nodad
		ip -n "$R" addr add fd02::1/64 dev wan0 nodad
		ip -n "$S" addr add fd02::2/64 dev eth0 nodad
		ip -n "$C" -6 route add default via fd01::1
		ip -n "$S" -6 route add default via fd02::1
		ip netns exec "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
	else
		for ns in "$C" "$R" "$S"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		done
	fi
}

# uplinks_lab: the two-uplink router of flowroutes.sh and pinroutes.sh;
# sets L, R, U0 and U1. IPv4 only.
#
#   [L] eth0 10.0.1.2 --- lan0 .1 [R] wan0 10.0.2.1 --- eth0 .254 [U0]
#                                     wan1 10.0.3.1 --- eth0 .254 [U1]
uplinks_lab() {
	local ns
	L=$(ns_create lan) && R=$(ns_create router) && U0=$(ns_create up0) &&
		U1=$(ns_create up1) || return 1
	veth "$L" eth0 "$R" lan0 && veth "$U0" eth0 "$R" wan0 &&
		veth "$U1" eth0 "$R" wan1 || return 1
	for ns in "$L" "$R" "$U0" "$U1"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$L" addr add 10.0.1.2/24 dev eth0
	ip -n "$L" route add default via 10.0.1.1
	ip -n "$R" addr add 10.0.1.1/24 dev lan0
	ip -n "$R" addr add 10.0.2.1/24 dev wan0
	ip -n "$R" addr add 10.0.3.1/24 dev wan1
	ip -n "$U0" addr add 10.0.2.254/24 dev eth0
	ip -n "$U1" addr add 10.0.3.254/24 dev eth0
}

# --- conntrack mirror helpers: mirror.sh, eventloss.sh, restart.sh,
# zonecap.sh, hashflood.sh -------------------------------------------
#
# The kernel's table is read with conntrack(8), the daemon's mirror with
# `flowcachectl --json flows`; tests/netns/ctcompare.py compares the two
# entry for entry (zone, protocol, both tuples, mark).
CTCOMPARE=$FC_SRCDIR/tests/netns/ctcompare.py

# wait_secs SECONDS CMD...: like wait_for, for conditions that take long
# to evaluate (a dump of 100,000 entries): the limit is wall-clock time,
# polled every 0.1 s.
wait_secs() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ct NS ARGS...: conntrack(8) in NS, its chatter on stderr dropped.
ct() { local ns=$1; shift; ip netns exec "$ns" conntrack "$@" 2>/dev/null; }

# ct_count NS: entries in NS's conntrack table, all zones and families.
ct_count() { ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }

# ct_max_at_least NS N: NS's conntrack table takes N entries (its
# nf_conntrack_max follows the host's and cannot exceed it).
ct_max_at_least() {
	local cur
	cur=$(ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_max)
	[ "$cur" -ge "$2" ] ||
		ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_max="$2" 2>/dev/null
}

# ct_load NS FILE: `conntrack -R FILE` in NS (one -I or -D command a line,
# without `conntrack`); fails when a line fails.
ct_load() { ip netns exec "$1" conntrack -R "$2" >/dev/null 2>"$T/ct_load.err"; }

# ct_dump NS FILE: the kernel's table, both families, with conntrack ids.
ct_dump() {
	{ ct "$1" -L -f ipv4 -o id; ct "$1" -L -f ipv6 -o id; } >"$2"
}

# stats_get PATH: one value of `flowcachectl --json stats`, PATH in
# Python syntax: stats_get "['table']['flows']"
stats_get() {
	ctl --json stats >"$T/stats.json" 2>/dev/null &&
	json_get "$T/stats.json" "d$1"
}

# zone_get ZONE FIELD: one field of a zone in `flowcachectl --json zones`
# (prints 0 when the zone is not listed: no flows and no cap).
zone_get() {
	ctl --json zones >"$T/zones.json" 2>/dev/null &&
	json_get "$T/zones.json" "([z['$2'] for z in d['zones'] if z['zone'] == $1] + [0])[0]"
}

# mirror_count_is N: the daemon's table holds N flows.
mirror_count_is() { [ "$(stats_get "['table']['flows']" 2>/dev/null)" = "$1" ]; }

# mirror_compare NS [ZONE] [CTCOMPARE-OPTIONS...]: dump both sides (the
# daemon's with flows --zone ZONE when given, ZONE "" for all) into
# $T/kernel.txt and $T/flows.json and compare them; ctcompare's report
# in $T/compare.out.
mirror_compare() {
	local ns=$1 zone=${2:-}
	shift
	[ $# -gt 0 ] && shift
	echo "conntrack -L failed" >"$T/compare.out"
	ct_dump "$ns" "$T/kernel.txt" || return 2
	if [ -n "$zone" ]; then
		ctl --json flows --zone "$zone" >"$T/flows.json" 2>"$T/compare.out" ||
			return 2
		set -- --zone "$zone" "$@"
	else
		ctl --json flows >"$T/flows.json" 2>"$T/compare.out" || return 2
	fi
	python3 "$CTCOMPARE" "$@" "$T/kernel.txt" "$T/flows.json" \
		>"$T/compare.out" 2>&1
}

# mirror_settles NAME NS SECONDS [ZONE] [CTCOMPARE-OPTIONS...]: check NAME
# passes when, within SECONDS, the mirror equals the kernel's table;
# prints ctcompare's summary (and its first differences) as # lines.
mirror_settles() {
	local name=$1 ns=$2 secs=$3
	shift 3
	if wait_secs "$secs" mirror_compare "$ns" "$@"; then
		sed -n 's/^/# /; /^# zone /p' "$T/compare.out"
		pass "$name"
	else
		sed 's/^/# /' "$T/compare.out"
		fail "$name"
	fi
}

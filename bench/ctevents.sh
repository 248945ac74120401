#!/bin/bash
# Conntrack event benchmark: does flowcached's conntrack mirror follow
# NEW and DESTROY events at increasing rates, and when it cannot, does it
# lose, count and resync? The peer, in the same run, is bench/ctdump
# --events: a libmnl listener with the same receive buffer that only
# counts, so loss can be told apart from "the kernel drops this much
# anyway at that buffer size".
#
#   [ns fcb-ctevents-PID-STAGE]  lo only
#     bench/ctfill (CPU 0)        creates K entries at R/s   -> NEW events
#                                 deletes the same K at R/s  -> DESTROY events
#     consumer (CPU 1)            bench/ctdump --events --rcvbuf B, or
#                                 flowcached -f -c CONF with
#                                 conntrack = { rcvbuf = B; } (and
#                                 ruleset.managed = false)
#
# A stage is one consumer with one buffer size B in a fresh namespace; it
# runs every rate R in increasing order, each as two phases (NEW, then
# DESTROY). Entries are those of ctfill (zones 0,1,2,3, 1/4 IPv6, 1/2 TCP,
# timeout one day): they live until deleted, so each phase makes exactly
# K events. Events are made inside ctfill's sendmsg(), so ctfill's achieved
# rate is the event rate. After each phase the script waits until the
# consumer's event socket is empty (Rmem 0 in /proc/net/netlink), then
# reads:
#   the kernel's drop counter of the consumer's event socket(s) (the Drops
#     column of /proc/net/netlink: events the kernel could not queue),
#     and its effective receive buffer (ss -f netlink -m: rb);
#   listener: its counts of NEW/DESTROY and ENOBUFS reports;
#   flowcached: the deltas of .conntrack.new, .destroy, .enobufs,
#     .resyncs from `flowcachectl stats --json`, and whether the mirror
#     ends equal to the kernel: .table.flows == `conntrack -C`, waited for
#     up to --converge seconds (a resync after a loss takes time), and how
#     long that took.
# K = R x --seconds for a paced rate; R = 0 means as fast as ctfill goes,
# with K = 150000 x --seconds (this kernel's NEW rate in a namespace).
# The consumer's CPU time per phase comes from /proc/PID/stat.
#
# The table limit: a namespace's nf_conntrack_max follows the host's and
# cannot be written in the namespace, so the host value is raised for the
# run when under the largest K + 10%, and restored on exit.
#
# Usage: bench/ctevents.sh [--smoke] [--rates "R..."] [--bufs "B..."]
#        [--seconds S] [--consumers "listener flowcached"] [--converge S]
#        [--no-pin] [--json FILE] [--keep]
#   --smoke      K = 20000 at full speed, buffers 212992 and 67108864 (CI)
#   --rates      events per second per phase, 0 = full speed
#                (25000 50000 100000 0)
#   --bufs       receive buffer sizes, bytes (212992 33554432 67108864);
#                the kernel doubles what is asked with SO_RCVBUFFORCE
#   --seconds S  phase length at the paced rates (4)
#   --converge S wait up to S seconds for the mirror to equal the table (30)
# Exit: 0 every stage ran and the mirror ended equal to the table after
# every phase (flowcached may be reported as skipped when it has no
# conntrack mirror), 1 a stage failed, 2 usage, 3 the mirror did not end
# equal to the kernel's table after some phase, 77 cannot run here.

RATES="25000 50000 100000 0"
BUFS="212992 33554432 67108864"
PHASE_S=4
CONSUMERS="listener flowcached"
CONVERGE=30
PIN=1
JSON_OUT=
KEEP_REQ=0
SMOKE=0
FULL_RATE=150000

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1; RATES=0; BUFS="212992 67108864"; CONVERGE=10; QUIET_WAIT=2 ;;
	--rates) RATES=${2:?}; shift ;;
	--bufs) BUFS=${2:?}; shift ;;
	--seconds) PHASE_S=${2:?}; shift ;;
	--consumers) CONSUMERS=${2:?}; shift ;;
	--converge) CONVERGE=${2:?}; shift ;;
	--no-pin) PIN=0 ;;
	--json) JSON_OUT=${2:?}; shift ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) usage ;;
	*) echo "ctevents.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
for v in $RATES $BUFS $PHASE_S $CONVERGE; do
	case $v in ''|*[!0-9]*) echo "ctevents.sh: '$v' is not a number" >&2; exit 2 ;; esac
done
[ "$PHASE_S" -ge 1 ] && [ "$PHASE_S" -le 60 ] ||
	{ echo "ctevents.sh: --seconds 1..60" >&2; exit 2; }
for c in $CONSUMERS; do
	case $c in listener|flowcached) ;;
	*) echo "ctevents.sh: unknown consumer '$c'" >&2; exit 2 ;; esac
done

. "$(dirname "$0")/lib.sh"
KEEP=$KEEP_REQ
command -v conntrack >/dev/null || {
	log "ctevents.sh: no conntrack (apt-get install conntrack): skipped"
	exit 77
}
command -v ss >/dev/null || { log "ctevents.sh: no ss (iproute2): skipped"; exit 77; }
if [ "$PIN" = 1 ] && [ "$(nproc)" -lt 2 ]; then
	log "ctevents.sh: one CPU only: not pinning"
	PIN=0
fi
PROD_CPU=0
CONS_CPU=1

# events per phase at rate R
phase_k() {
	if [ "$SMOKE" = 1 ]; then echo 20000
	elif [ "$1" = 0 ]; then echo $((FULL_RATE * PHASE_S))
	else echo $(($1 * PHASE_S)); fi
}
K_MAX=0
for r in $RATES; do
	k=$(phase_k "$r")
	[ "$k" -gt "$K_MAX" ] && K_MAX=$k
done

ct_setup
need=$((K_MAX + K_MAX / 10 + 1000))
ct_max_raise "$need" || die "cannot raise the host's nf_conntrack_max to $need"

pin() { [ "$PIN" = 1 ] && echo "taskset -c $1"; }


# flowcached: binaries copied once; one configuration per buffer size
FC_SKIP=""
case " $CONSUMERS " in *" flowcached "*) daemon_prepare ;; esac
fc_conf() {	# fc_conf RCVBUF: $T/flowcached-RCVBUF.conf, or sets FC_SKIP
	local cf=$T/flowcached-$1.conf
	sed 's/^\([[:space:]]*managed[[:space:]]*=[[:space:]]*\)true;/\1false;/' \
		"$T/flowcached.conf" >"$cf"
	conntrack_rcvbuf "$cf" "$1"
	fc_check "$cf"
}

# ev_socks NS PID: "portid groups rmem drops rb" for each NETLINK_NETFILTER
# socket of PID that is subscribed to a group (the event sockets)
ev_socks() {
	ip netns exec "$1" python3 - "$2" <<-'PY'
	import os, re, subprocess, sys
	pid = sys.argv[1]
	inodes = set()
	for fd in os.listdir("/proc/%s/fd" % pid):
	    try:
	        m = re.match(r"socket:\[(\d+)\]", os.readlink("/proc/%s/fd/%s" % (pid, fd)))
	    except OSError:
	        continue
	    if m:
	        inodes.add(m.group(1))
	rb = {}
	ss = subprocess.run(["ss", "-f", "netlink", "-m", "-n", "-a"],
	                    capture_output=True, text=True).stdout
	for m in re.finditer(r"\s12:(-?\d+)\s.*?skmem:\(r\d+,rb(\d+)", ss):
	    rb[m.group(1)] = m.group(2)
	for line in open("/proc/net/netlink").read().splitlines()[1:]:
	    f = line.split()
	    if f[1] == "12" and f[9] in inodes and int(f[3], 16):
	        print(f[2], f[3], f[4], f[8], rb.get(f[2], "?"))
	PY
}
# sock_sum NS PID COLUMN: a column of ev_socks summed (3 rmem, 4 drops)
sock_sum() { ev_socks "$1" "$2" | awk -v c="$3" '{ s += $c } END { print s + 0 }'; }
_drained() { [ "$(sock_sum "$1" "$2" 3)" = 0 ]; }

# listener counters: SIGUSR1 makes it print one line; the newest one
_new_line() { [ "$(grep -c '^ctdump: events' "$1")" -gt "$2" ]; }
listener_line() {	# listener_line PID LOG
	local n
	n=$(grep -c '^ctdump: events' "$2")
	kill -USR1 "$1" 2>/dev/null
	wait_for 5 _new_line "$2" "$n" || return 1
	grep '^ctdump: events' "$2" | tail -1
}
kv() { echo " $2" | sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p"; }

fc_stats_to() { ctl --json stats >"$1" 2>>"$T/ctl.log"; }
fc_get() {	# fc_get FILE EXPR
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2" 2>/dev/null
}
_fc_equal() {	# the mirror holds as many flows as the kernel's table
	local want flows
	want=$(ip netns exec "$NS" conntrack -C)
	ctl --json stats >"$T/fc-now.json" 2>/dev/null || return 1
	flows=$(fc_get "$T/fc-now.json" 'd["table"]["flows"]')
	[ -n "$flows" ] && [ "$flows" = "$want" ]
}
_fc_ready() {	# first sync done (or the daemon is gone)
	gone "$DAEMON_PID" && return 0
	ctl --json stats >"$T/fc-now.json" 2>/dev/null || return 1
	[ "$(fc_get "$T/fc-now.json" '"conntrack" in d and d["conntrack"].get("sync_ms") is not None')" = True ]
}

# phase STAGE_RUN RATE OP: one phase (create or delete) with counters
phase() {
	local s=$1 rate=$2 op=$3 r k out t0 t1 line
	k=$(phase_k "$rate")
	r=$s.$rate.$op
	rec "$r" stage "$s"
	rec "$r" consumer "$CONSUMER"
	rec "$r" rcvbuf "$BUF"
	rec "$r" rate "$rate"
	rec "$r" op "$op"
	rec "$r" k "$k"
	rec "$r" drops0 "$(sock_sum "$NS" "$CPID" 4)"
	rec "$r" ticks0 "$(cpu_ticks "$CPID")"
	if [ "$CONSUMER" = flowcached ]; then
		fc_stats_to "$T/$r-stats0.json"
	else
		line=$(listener_line "$CPID" "$T/$s-listener.log") ||
			{ run_fail "$r" "the listener did not report"; return 1; }
		rec "$r" listener0 "$line"
	fi
	# shellcheck disable=SC2046
	out=$(ip netns exec "$NS" $(pin $PROD_CPU) "$BENCH_DIR/ctfill" --quiet \
		--count "$k" --rate "$rate" $([ "$op" = delete ] && echo --delete) 2>&1)
	rec "$r" ctfill "$out"
	rec "$r" produced "$(kv ok "$out")"
	rec "$r" prod_rate "$(awk -v ok="$(kv ok "$out")" -v s="$(kv seconds "$out")" \
		'BEGIN { printf "%.0f", (s > 0 ? ok / s : 0) }')"
	[ "$(kv ok "$out")" = "$k" ] ||
		{ run_fail "$r" "ctfill did not $op all $k entries: $out"; return 1; }
	t0=$(now_us)
	wait_for 30 _drained "$NS" "$CPID" || log "    $r: event socket not empty after 30 s"
	rec "$r" drain_s "$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
	rec "$r" drops1 "$(sock_sum "$NS" "$CPID" 4)"
	rec "$r" ticks1 "$(cpu_ticks "$CPID")"
	rec "$r" rb "$(ev_socks "$NS" "$CPID" | awk '{ printf "%s%s", s, $5; s = "," }')"
	rec "$r" table "$(ip netns exec "$NS" conntrack -C)"
	if [ "$CONSUMER" = listener ]; then
		line=$(listener_line "$CPID" "$T/$s-listener.log") ||
			{ run_fail "$r" "the listener did not report"; return 1; }
		rec "$r" listener1 "$line"
		return 0
	fi
	fc_stats_to "$T/$r-stats1.json"
	t0=$(now_us)
	if wait_for "$CONVERGE" _fc_equal; then
		t1=$(now_us)
		rec "$r" converged_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
	else
		rec "$r" converged_s "-1"
	fi
	fc_stats_to "$T/$r-stats2.json"
	rec "$r" stats "$T/$r-stats0.json $T/$r-stats1.json $T/$r-stats2.json"
}

stage() {	# stage CONSUMER BUF
	local s=$1-$2 rate
	CONSUMER=$1
	BUF=$2
	NS=fcb-ctevents-$$-$s
	log "== $s"
	ip netns add "$NS" || { run_fail "$s.setup" "ip netns add failed"; return; }
	_namespaces="$_namespaces $NS"
	ip -n "$NS" link set lo up
	if [ "$CONSUMER" = listener ]; then
		# shellcheck disable=SC2046
		spawn CPID "$T/$s-listener.log" "$NS" $(pin $CONS_CPU) \
			"$BENCH_DIR/ctdump" --events --rcvbuf "$BUF" --seconds 3600
		if ! wait_for 5 eval '[ -n "$(ev_socks "$NS" "$CPID")" ]'; then
			run_fail "$s.setup" "the listener did not subscribe: $(cat "$T/$s-listener.log")"
			return
		fi
	else
		if [ -n "$FC_SKIP" ] || ! fc_conf "$BUF"; then
			rec "$s.setup" consumer flowcached
			rec "$s.setup" rcvbuf "$BUF"
			rec "$s.setup" skipped "$FC_SKIP"
			return
		fi
		rm -f "$SOCK"
		# shellcheck disable=SC2046
		spawn DAEMON_PID "$T/$s-daemon.log" "$NS" $(pin $CONS_CPU) \
			"$T/flowcached" -f -c "$T/flowcached-$BUF.conf"
		CPID=$DAEMON_PID
		if ! wait_for 20 _fc_ready || gone "$CPID"; then
			run_fail "$s.setup" "flowcached did not start or sync: $(tail -3 "$T/$s-daemon.log" | tr '\n' ' ')"
			return
		fi
		if ! wait_for 5 eval '[ -n "$(ev_socks "$NS" "$CPID")" ]'; then
			run_fail "$s.setup" "flowcached has no netlink socket subscribed to conntrack events"
			return
		fi
	fi
	rec "$s.setup" idle_pct_before "$(wait_quiet)"
	rec "$s.setup" busy_tasks "$(busy_tasks)"
	for rate in $RATES; do
		phase "$s" "$rate" create || break
		phase "$s" "$rate" delete || break
		alive "$CPID" || { run_fail "$s.$rate" "$CONSUMER died"; break; }
	done
	[ "$CONSUMER" = flowcached ] && cp "$T/$s-daemon.log" "$T/$s-daemon.kept.log" 2>/dev/null
	stage_down
}

for buf in $BUFS; do
	for c in $CONSUMERS; do
		stage "$c" "$buf"
	done
done

python3 -B - "$BENCH_DIR" "$T" "$HZ" "${JSON_OUT:-}" "$RATES" "$BUFS" <<'PY'
import glob, json, os, sys

sys.path.insert(0, sys.argv[1])
from report import load

T, hz, json_out, rates, bufs = sys.argv[2:]
hz = int(hz)

def kvline(line):
    return dict(x.split("=", 1) for x in line.split() if "=" in x)

def num(v, default=0):
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            return default

rows, notes = [], []
for path in sorted(glob.glob(os.path.join(T, "*.kv"))):
    name = os.path.basename(path)[:-3]
    kv = load(path)
    if name.endswith(".setup") or kv.get("skipped") or "op" not in kv:
        if "idle_pct_before" in kv:
            notes.append("%s: machine %s%% idle before its first phase%s" % (
                name[:-6], kv["idle_pct_before"],
                "; busy: " + kv["busy_tasks"] if kv.get("busy_tasks") else ""))
        if kv.get("skipped") or kv.get("error"):
            notes.append("%s: %s" % (name, kv.get("skipped") and
                         "skipped: " + kv["skipped"] or "FAILED: " + kv["error"]))
        continue
    r = {"run": name, "consumer": kv["consumer"], "rcvbuf": num(kv["rcvbuf"]),
         "rate": num(kv["rate"]), "op": kv["op"], "k": num(kv["k"]),
         "produced": num(kv.get("produced")),
         "prod_rate": num(kv.get("prod_rate")), "error": kv.get("error"),
         "rb": kv.get("rb"), "table": num(kv.get("table"))}
    r["drops"] = num(kv.get("drops1")) - num(kv.get("drops0"))
    r["cpu_s"] = (num(kv.get("ticks1")) - num(kv.get("ticks0"))) / hz
    r["drain_s"] = num(kv.get("drain_s"), None)
    want = "new" if r["op"] == "create" else "destroy"
    if r["error"]:
        rows.append(r)
        continue
    if r["consumer"] == "listener":
        l0 = kvline(kv.get("listener0", ""))
        l1 = kvline(kv.get("listener1", ""))
        r["received"] = num(l1.get(want)) - num(l0.get(want))
        r["enobufs"] = num(l1.get("enobufs")) - num(l0.get("enobufs"))
        r["listener_drops"] = num(l1.get("drops")) - num(l0.get("drops"))
    else:
        s0, s1, s2 = (json.load(open(p)) if os.path.getsize(p) else {}
                      for p in kv["stats"].split())
        c0, c1, c2 = (s.get("conntrack") or {} for s in (s0, s1, s2))
        d = lambda a, b, k: num(b.get(k)) - num(a.get(k))
        r["received"] = d(c0, c1, want)
        r["enobufs"] = d(c0, c1, "enobufs")
        r["resyncs"] = d(c0, c2, "resyncs")
        r["flows_end"] = (s2.get("table") or {}).get("flows")
        r["converged_s"] = num(kv.get("converged_s"), -1)
        r["conntrack_end"] = c2
    rows.append(r)

def kib(b):
    return "%dK" % (b // 1024) if b < 1 << 20 else "%dM" % (b >> 20)

print()
print("conntrack events: each phase makes K events with ctfill (R/s asked, "
      "0 = full speed); the consumer's receive buffer as asked (the kernel's "
      "rb in brackets)")
hdr = ("%-10s %6s %7s %-7s %8s %8s %8s %8s %7s %5s %7s %6s  %s" % (
    "consumer", "rcvbuf", "asked/s", "phase", "made/s", "events", "received",
    "k.drops", "enobufs", "rsync", "cpu_s", "drain", "mirror == table"))
print(hdr)
print("-" * len(hdr))
order = {"listener": 0, "flowcached": 1}
rows.sort(key=lambda r: (r["rcvbuf"], r["rate"] if r["rate"] else 1e12,
                         r["op"] != "create", order[r["consumer"]]))
for r in rows:
    if r.get("error"):
        print("%-10s %6s %7s %-7s FAILED: %s" % (
            r["consumer"], kib(r["rcvbuf"]), r["rate"] or "max",
            "NEW" if r["op"] == "create" else "DESTROY", r["error"]))
        continue
    if r["consumer"] == "flowcached":
        mirror = ("equal after %.1f s" % r["converged_s"]
                  if r["converged_s"] >= 0 else
                  "NOT equal: flows %s, table %d" % (r["flows_end"], r["table"]))
        rs = "%d" % r["resyncs"]
    else:
        mirror, rs = "-", "-"
    print("%-10s %6s %7s %-7s %8d %8d %8d %8d %7d %5s %7.2f %6.2f  %s" % (
        r["consumer"], "%s(%s)" % (kib(r["rcvbuf"]), kib(num(r["rb"].split(",")[0]))) if r["rb"] else kib(r["rcvbuf"]),
        r["rate"] or "max", "NEW" if r["op"] == "create" else "DESTROY",
        r["prod_rate"], r["produced"], r["received"], r["drops"],
        r["enobufs"], rs, r["cpu_s"], r["drain_s"] or 0, mirror))
print("made/s: events per second ctfill produced; received: events the "
      "consumer counted\n(flowcached: .conntrack.new/.destroy); k.drops: "
      "the kernel's drop counter of the\nconsumer's event socket; enobufs: "
      "overruns reported to it; rsync: .conntrack.resyncs;\ndrain: seconds "
      "after ctfill ended until its socket was empty")
for n in notes:
    print(n)
failed = any(r.get("error") for r in rows) or any(": FAILED: " in n for n in notes)
if json_out:
    with open(json_out, "w") as f:
        json.dump({"benchmark": "ctevents", "rows": rows, "notes": notes}, f,
                  indent=1)
unequal = [r["run"] for r in rows if r["consumer"] == "flowcached" and
           not r.get("error") and r.get("converged_s", 0) < 0]
if unequal:
    print("the mirror did NOT end equal to the kernel's table after: " +
          ", ".join(unequal))
sys.exit(1 if failed else 3 if unequal else 0)
PY
rc=$?
[ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
exit $rc

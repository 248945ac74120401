#!/bin/bash
# L7 stream-ID benchmark (issue 7): what a zone with `l7` costs when the
# daemon decides each new stream ID (Maglev, the sid table, an element
# added to the kernel map), and what the kernel map saves once the sids
# are known: a known sid on a new 5-tuple is marked by the rule "sid" in
# decide_prerouting and never queued.
#
#   [client]                       [router]                                [server]
#   udpflood on CPU 0              flowcached on CPU 1
#   eth0 10.0.1.2 -------- lan0 10.0.1.1             wan0 10.0.2.1 -------- eth0 10.0.2.2 (sent to)
#   sources 10.1.0.1               prio -300 udp counter "router_in"            10.0.2.11 b1
#     (the taught flows),          + the daemon's own ruleset (managed)         10.0.2.12 b2
#   10.2.0.1-200                   zone 10 l7: udp dport 5004, sid at           10.0.2.13 b3
#     (new 5-tuples)               payload offset 8, 4 bytes; b1-b3 DNAT       input: counters
#                                                                               "at_backend",
#                                                                               "at_vip", drop
#
# Every datagram goes to 10.0.2.2:5004 with 18 bytes of payload (46-byte
# IP packets) and a 4-byte stream ID at offset 8. The configuration is
# the shipped conf/flowcached.conf (its zone 10 takes lan0 and wan0; its
# policy marks zone 10's flows 0x00100000), with the control socket moved
# into a temp folder, and for every stage but p the l7 block above
# inserted into zone 10: three backends with addresses on the server, so
# a decided packet is DNATed there (at_backend) and one that failed open
# arrives at 10.0.2.2 (at_vip).
#
# Stages, each in fresh namespaces (and but for k a fresh daemon), the
# same time each with the sender at full speed:
#   k  no daemon: one nft rule DNATs every new flow to a backend in turn
#      (numgen), on the new 5-tuples of m: what a new 5-tuple costs the
#      kernel with conntrack and NAT and nothing of ours
#   p  no l7 zone: a new 5-tuple every datagram, decided by the policy
#      (the slow path of bench/slowpath.sh, on this traffic)
#   n  l7: a new 5-tuple and a new sid every datagram; the daemon decides
#      each (Maglev, sid table, map element): decisions/s = l7.new_sids
#   f  l7, fast path: the daemon is taught N sids (--sids, 1000), one
#      datagram each on its own 5-tuple, then the flood repeats those N
#      decided flows (the ct mark carries them, as in bench/fastpath.sh)
#   m  l7, map: taught the same way, then a new 5-tuple every datagram
#      carrying one of the N known sids: the rule "sid" marks it from the
#      map, nothing is queued
#   u  l7, no map: as m, but the rule "sid" is deleted from
#      decide_prerouting first (by its handle), so every new 5-tuple is
#      queued and the daemon decides it from its sid table
# Measured per stage: datagrams sent, arrived at a backend (steered) and
# at 10.0.2.2 (not steered: failed open, or no l7), the daemon's
# queues.packets and l7 counters (deltas), the kernel's queue id
# sequence, the hits of the rules "sid", "sid-fastpath", "fastpath" and
# "queue" (queue hits minus queued: failed open), the daemon's CPU time
# and how busy each CPU was.
#
# Usage: bench/l7.sh [--smoke] [--seconds S] [--repeat N] [--stages kpnfmu]
#        [--sids N] [--rate PPS] [--no-pin] [--perf] [--json FILE] [--keep]
#   --smoke     1 s per stage, 200 taught sids (CI); --seconds: 5 by default
#   --repeat N  run the stages N times, interleaved, and report medians
#   --sids N    sids taught before stages f, m and u (1000)
#   --rate PPS  offered load of the flood (0, the default: full speed)
#   --perf      perf record -g the daemon, and the sender's CPU (where the
#               kernel forwards what is not queued; pinned runs only),
#               during each flood (keeps the logs; the reports are in the
#               folder named at the end)
# Exit: 0 all stages ran, 1 a stage failed (daemon did not start or died,
# teaching failed, nothing sent or delivered, stage m queued more than
# 1% of its packets, or less than 99% of k's, f's or m's packets at the
# router reached a backend), 2 usage, 77 cannot run here (not root, no
# nft, iptables-nft, taskset, or a daemon without l7).

SECONDS_RUN=5
REPEAT=1
STAGES=kpnfmu
TEACH=1000
RATE=0
PIN=1
JSON_OUT=
QUIET_WAIT=10
KEEP_REQ=0
SMOKE=0
PERF=0

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SECONDS_RUN=1; QUIET_WAIT=1; SMOKE=1 ;;
	--seconds) SECONDS_RUN=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--stages) STAGES=${2:?}; shift ;;
	--sids) TEACH=${2:?}; shift ;;
	--rate) RATE=${2:?}; shift ;;
	--no-pin) PIN=0 ;;
	--perf) PERF=1 ;;
	--json) JSON_OUT=${2:?}; shift ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) usage ;;
	*) echo "l7.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
case $STAGES in *[!kpnfmu]*|'') echo "l7.sh: --stages takes letters of kpnfmu" >&2; exit 2 ;; esac
case $TEACH in ''|*[!0-9]*) echo "l7.sh: --sids takes a number" >&2; exit 2 ;; esac
[ "$TEACH" -ge 1 ] && [ "$TEACH" -le 50000 ] || { echo "l7.sh: --sids 1..50000" >&2; exit 2; }
case $RATE in ''|*[!0-9]*) echo "l7.sh: --rate takes packets/s" >&2; exit 2 ;; esac
# the smoke run teaches fewer sids, unless told a number
[ "$SMOKE" = 1 ] && [ "$TEACH" = 1000 ] && TEACH=200

. "$(dirname "$0")/lib.sh"
check_run_args
KEEP=$KEEP_REQ
[ "$PERF" = 1 ] && KEEP=1
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null; then
	die "--perf: no perf (apt-get install linux-perf)"
fi

if [ "$PIN" = 1 ] && [ "$(nproc)" -lt 2 ]; then
	log "l7.sh: one CPU only: not pinning"
	PIN=0
fi
SEND_CPU=0
DAEMON_CPU=1

bench_build
daemon_prepare

# The traffic. The flood's new 5-tuples: 200 sources x 50,000 ports, 10M
# before one repeats (the p and n floods and the m and u floods use the
# same ones; each stage has its own namespaces). The taught flows: one
# source, ports 10000.. (one per sid). Sids of the new-sid floods start
# at 1, the taught ones at TEACH_FIRST.
DPORT=5004
SID_OFFSET=8
SIZE=18
NEW_SRC=10.2.0.1 NEW_SRCS=200 NEW_SPORT=10000 NEW_SPORTS=50000
TEACH_SRC=10.1.0.1 TEACH_SPORT=10000 TEACH_FIRST=0x10000000
TEACH_RATE=20000
BACKENDS="10.0.2.11 10.0.2.12 10.0.2.13"

# The two configurations: the shipped one (stage p), and the same with
# an l7 block in zone 10 (the others). The backends' marks are not the
# policy's 0x00100000.
cp "$T/flowcached.conf" "$T/policy.conf"
sed '/^  { id = 10;/a\
    l7 = { proto = "udp"; ports = [ 5004 ]; offset = 8; length = 4;\
           idle_timeout = 600;\
           backends = ( { name = "b1"; mark = 0x00200000; addr = "10.0.2.11"; },\
                        { name = "b2"; mark = 0x00300000; addr = "10.0.2.12"; },\
                        { name = "b3"; mark = 0x00400000; addr = "10.0.2.13"; } ); };' \
	"$T/policy.conf" >"$T/l7.conf"
grep -q 'name = "b3"' "$T/l7.conf" ||
	die "$FC_CONF_SRC has no line starting '  { id = 10;' to put the l7 block in"
if ! "$T/flowcached" -t -c "$T/l7.conf" >"$T/conf-check.log" 2>&1; then
	log "l7.sh: flowcached refuses the l7 configuration (no l7 support?): skipped"
	sed 's/^/    /' "$T/conf-check.log" >&2
	exit 77
fi

# cpu_idle N: CPU N's idle and iowait time, in clock ticks. Busy time is
# the wall time minus this: the busy columns of /proc/stat are sampled at
# each tick (tick-based accounting here), which a paced sender that
# sleeps between batches can fall in step with; idle time is measured
# when the CPU goes idle and comes back.
cpu_idle() {
	awk -v c="cpu$1" '$1 == c { print $5 + $6 }' /proc/stat
}
# exec_ms PID: CPU time of all the threads of PID so far, in ms, as the
# scheduler counts it (se.sum_exec_runtime); utime + stime in
# /proc/PID/stat are tick samples, off by tens of percent for a daemon
# that runs in short bursts
exec_ms() {
	awk '$1 == "se.sum_exec_runtime" { s += $3 } END { printf "%.3f\n", s }' \
		/proc/"$1"/task/*/sched 2>/dev/null
}

# The lab on top of topo_up: the backends' addresses on the server, a
# way back to the flood's sources, the router's neighbour entries for the
# backends made before the first packet needs them, and the counters.
lab_up() {
	local a
	for a in $BACKENDS; do
		ip -n "$NS_S" addr add "$a/24" dev eth0 || return 1
	done
	ip -n "$NS_R" route add 10.1.0.0/16 via "$C_ADDR" &&
	ip -n "$NS_R" route add 10.2.0.0/16 via "$C_ADDR" || return 1
	for a in $BACKENDS; do
		ip netns exec "$NS_R" ping -c 1 -W 1 -q "$a" >/dev/null 2>&1 ||
			return 1
	done
	ip netns exec "$NS_R" nft -f - <<-EOF || return 1
	table ip fcbench {
		chain router_in {
			type filter hook prerouting priority -300; policy accept;
			meta l4proto udp counter comment "router_in"
		}
	}
	EOF
	ip netns exec "$NS_S" nft -f - <<-EOF
	table inet fcbench {
		chain input {
			type filter hook input priority 0; policy accept;
			ip daddr { ${BACKENDS// /, } } meta l4proto udp counter drop comment "at_backend"
			meta l4proto udp counter drop comment "at_vip"
		}
	}
	EOF
}

# counters RUN SUFFIX: the kernel's side, read in one go: the router's
# and the server's counters (nft -j), the router's conntrack early_drop
# and its queue's id sequence (QUEUE; none in stage k)
counters() {
	python3 - "$NS_R" "$NS_S" "${QUEUE:-}" "$2" >>"$T/$1.kv" <<-'PY'
	import json, subprocess, sys
	ns_r, ns_s, queue, x = sys.argv[1:]
	def run(ns, *cmd):
	    return subprocess.run(("ip", "netns", "exec", ns) + cmd, check=True,
	                          capture_output=True, text=True).stdout
	def hits(ns, tables):
	    out = {}
	    for o in json.loads(run(ns, "nft", "-j", "-t", "list",
		                          "ruleset"))["nftables"]:
	        r = o.get("rule")
	        if not r or r.get("table") not in tables or "comment" not in r:
	            continue
	        for e in r["expr"]:
	            if "counter" in e:
	                out[r["comment"]] = (out.get(r["comment"], 0)
	                                     + e["counter"]["packets"])
	    return out
	h = hits(ns_r, ("fcbench", "fcbench_k", "flowcached"))
	h.update(hits(ns_s, ("fcbench",)))
	for k, c in (("router_in", "router_in"), ("at_backend", "at_backend"),
	             ("at_vip", "at_vip"), ("hit_queue", "queue"),
	             ("hit_sid", "sid"), ("hit_sidfast", "sid-fastpath"),
	             ("hit_fastpath", "fastpath"), ("hit_kdnat", "k_dnat")):
	    print("%s%s=%d" % (k, x, h.get(c, 0)))
	rows = run(ns_r, "cat", "/proc/net/stat/nf_conntrack").split("\n")
	col = rows[0].split().index("early_drop")
	print("ct_early_drop%s=%d" % (x, sum(int(l.split()[col], 16)
	                                    for l in rows[1:] if l.strip())))
	seq = 0
	for l in run(ns_r, "cat", "/proc/net/netfilter/nfnetlink_queue").split("\n"):
	    f = l.split()
	    if queue and f and f[0] == queue:
	        seq = int(f[7])
	print("q_id_seq%s=%d" % (x, seq))
	PY
}
snapshot() {	# snapshot RUN SUFFIX
	local r=$1 x=$2
	rec "$r" "wall_us$x" "$(now_us)"
	counters "$r" "$x" || return 1
	if [ -n "${DAEMON_PID:-}" ]; then
		rec "$r" "ticks$x" "$(cpu_ticks "$DAEMON_PID" 2>/dev/null || echo 0)"
		rec "$r" "exec_ms$x" "$(exec_ms "$DAEMON_PID")"
		ctl --json stats >"$T/$r-stats$x.json" 2>>"$T/ctl.log"
	fi
}
# busy RUN SUFFIX: the CPUs' idle ticks, just before and after the flood
busy() {
	rec "$1" "idle_send$2" "$(cpu_idle $SEND_CPU)"
	rec "$1" "idle_daemon$2" "$(cpu_idle $DAEMON_CPU)"
	rec "$1" "flood_us$2" "$(now_us)"
}

stat_of() { ctl --json stats | json_get "$1"; }
# taught: the daemon has decided the TEACH sids and answered every
# packet it was given
taught() {
	[ "$(stat_of "d['l7']['new_sids'] >= $TEACH and d['l7']['map_adds'] >= $TEACH")" = True ] &&
		queue_empty "$NS_R" "$QUEUE"
}
# sid_handles: the handles of the rules with comment "sid" in
# decide_prerouting
sid_handles() {
	ip netns exec "$NS_R" nft -a list chain ip flowcached decide_prerouting 2>/dev/null |
		sed -n 's/.* comment "sid" # handle \([0-9]*\)$/\1/p'
}

# flood RUN ARGS...: udpflood from the client for SECONDS_RUN
flood() {
	local r=$1
	shift
	# shellcheck disable=SC2046
	timeout $((SECONDS_RUN + 30)) ip netns exec "$NS_C" \
		$([ "$PIN" = 1 ] && echo taskset -c $SEND_CPU) \
		"$BENCH_DIR/udpflood" --dst $S_ADDR --dport $DPORT --dports 1 \
		--size $SIZE --sid-offset $SID_OFFSET --rate "$RATE" \
		--seconds "$SECONDS_RUN" "$@" >"$T/$r-udpflood.log" 2>&1
}

# kernel_only: stage k's router, no daemon: every new flow to dport 5004
# DNATed to a backend in turn, which also turns conntrack on
kernel_only() {
	local a i=0 map=""
	for a in $BACKENDS; do
		map="$map${map:+, }$i : $a"
		i=$((i + 1))
	done
	ip netns exec "$NS_R" nft -f - <<-EOF
	table ip fcbench_k {
		chain pre {
			type nat hook prerouting priority -100; policy accept;
			udp dport $DPORT counter dnat to numgen inc mod $i map { $map } comment "k_dnat"
		}
	}
	EOF
}

# teach: one datagram per sid, each on its own 5-tuple, slowly enough
# for the daemon to decide every one
teach() {
	local r=$1
	ip netns exec "$NS_C" "$BENCH_DIR/udpflood" --dst $S_ADDR \
		--src $TEACH_SRC --sport $TEACH_SPORT --sports "$TEACH" \
		--dport $DPORT --dports 1 --size $SIZE \
		--sid-offset $SID_OFFSET --sid-first $TEACH_FIRST \
		--sids "$TEACH" --count "$TEACH" --rate $TEACH_RATE \
		>"$T/$r-teach.log" 2>&1 ||
		{ run_fail "$r" "teaching: $(cat "$T/$r-teach.log")"; return 1; }
	if ! wait_for 5 taught; then
		run_fail "$r" "taught $TEACH sids, the daemon has $(stat_of 'd["l7"]["new_sids"]') new sids and $(stat_of 'd["l7"]["map_adds"]') map adds"
		return 1
	fi
	rec "$r" taught "$TEACH"
}

# run_stage STAGE N: results in $T/STAGE.N.kv
run_stage() {
	local s=$1 r=$1.$2 label conf=l7 h out perf_pids="" p
	case $s in
	k) label="kernel alone: ct + DNAT"; conf= ;;
	p) label="policy, no l7 zone"; conf=policy ;;
	n) label="l7: new sid each packet" ;;
	f) label="l7: fast path, decided" ;;
	m) label="l7: known sids, map" ;;
	u) label="l7: known sids, no map" ;;
	esac
	rec "$r" stage "$s"
	rec "$r" label "$label"
	log "== $r: $label"
	DAEMON_PID="" QUEUE=""
	topo_up "$s$2" || { run_fail "$r" "topology did not come up"; return; }
	lab_up || { run_fail "$r" "backend addresses, routes or counters refused"; return; }

	if [ -z "$conf" ]; then
		kernel_only || { run_fail "$r" "nft refused the DNAT rule"; return; }
		rec "$r" variant "no daemon: one nft rule, udp dport $DPORT dnat to numgen inc mod 3 map { the backends }"
	else
		cp "$T/$conf.conf" "$T/flowcached.conf"
		daemon_start "$NS_R" "$([ "$PIN" = 1 ] && echo $DAEMON_CPU)" ||
			{ run_fail "$r" "flowcached did not start"; return; }
		QUEUE=$(ctl --json status | json_get 'd["queues"]["first"]')
		wait_for 5 queue_bound "$NS_R" "$QUEUE" ||
			{ run_fail "$r" "flowcached did not bind queue $QUEUE"; return; }
		daemon_managed "$NS_R" ||
			{ run_fail "$r" "no managed ruleset from the daemon: the map and its rule live there"; return; }
		if [ "$conf" = l7 ] && [ -z "$(sid_handles)" ]; then
			run_fail "$r" "the l7 zone has no rule \"sid\" in decide_prerouting"
			return
		fi
	fi
	case $s in f|m|u) teach "$r" || return ;; esac
	if [ "$s" = u ]; then
		for h in $(sid_handles); do
			ip netns exec "$NS_R" nft delete rule ip flowcached \
				decide_prerouting handle "$h" ||
				{ run_fail "$r" "cannot delete rule sid (handle $h)"; return; }
		done
		[ -z "$(sid_handles)" ] ||
			{ run_fail "$r" "the rule sid is still there"; return; }
		rec "$r" variant "the rule \"sid\" deleted from decide_prerouting: every new 5-tuple queued"
	fi

	rec "$r" idle_pct_before "$(wait_quiet)"
	rec "$r" loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	rec "$r" busy_tasks "$(busy_tasks)"
	snapshot "$r" 0 || { run_fail "$r" "cannot read the counters"; return; }
	if [ "$PERF" = 1 ] && [ -n "$DAEMON_PID" ]; then
		perf record -g -p "$DAEMON_PID" -o "$T/$r-perf-daemon.data" \
			>"$T/$r-perf-record.log" 2>&1 &
		perf_pids=$!
	fi
	if [ "$PERF" = 1 ] && [ "$PIN" = 1 ]; then
		perf record -g -C $SEND_CPU -o "$T/$r-perf-cpu$SEND_CPU.data" \
			>>"$T/$r-perf-record.log" 2>&1 &
		perf_pids="$perf_pids $!"
	fi
	_pids="$_pids $perf_pids"
	busy "$r" 0
	case $s in
	k|p|n)	flood "$r" --src $NEW_SRC --srcs $NEW_SRCS --sport $NEW_SPORT \
			--sports $NEW_SPORTS --sid-first 1 --sids 0 ;;
	m|u)	flood "$r" --src $NEW_SRC --srcs $NEW_SRCS --sport $NEW_SPORT \
			--sports $NEW_SPORTS --sid-first $TEACH_FIRST \
			--sids "$TEACH" ;;
	f)	flood "$r" --src $TEACH_SRC --sport $TEACH_SPORT \
			--sports "$TEACH" --sid-first $TEACH_FIRST \
			--sids "$TEACH" ;;
	esac
	busy "$r" 1
	for p in $perf_pids; do
		kill -INT "$p" 2>/dev/null
		wait_for 10 gone "$p"
	done
	for p in "$T/$r"-perf-*.data; do
		[ -f "$p" ] || continue
		{ perf report -i "$p" --stdio --no-children --sort dso \
			-g none 2>/dev/null
		  perf report -i "$p" --stdio --no-children --sort dso,symbol \
			-g none --percent-limit 0.5 2>/dev/null
		  perf report -i "$p" --stdio --children --sort symbol \
			-g none --percent-limit 2 2>/dev/null
		} >"${p%.data}-report.txt"
	done
	out=$(cat "$T/$r-udpflood.log")
	# the daemon works through what is still queued (at most 10 s)
	if [ -n "$QUEUE" ]; then
		wait_for 10 queue_empty "$NS_R" "$QUEUE" ||
			log "    queue not empty after 10 s"
	fi
	snapshot "$r" 1 || { run_fail "$r" "cannot read the counters"; return; }
	rec "$r" sent "$(echo "$out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')"
	rec "$r" secs "$(echo "$out" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')"
	[ -z "$DAEMON_PID" ] && return
	if [ "$s" = u ] && [ -n "$(sid_handles)" ]; then
		run_fail "$r" "the rule sid came back during the run"
		return
	fi
	if ! alive "$DAEMON_PID"; then
		run_fail "$r" "the daemon died during the run"
		sed 's/^/    /' "$T/daemon.log" | tail -20 >&2
		return
	fi
	stop_pid "$DAEMON_PID"
	cp "$T/daemon.log" "$T/$r-daemon.log" 2>/dev/null
}

for n in $(seq 1 "$REPEAT"); do
	for s in k p n f m u; do
		case $STAGES in *$s*) run_stage "$s" "$n"; stage_down ;; esac
	done
done

python3 -B - "$BENCH_DIR" "$T" "$SECONDS_RUN" "$REPEAT" "$HZ" "$PIN" "$RATE" \
	"$TEACH" "${JSON_OUT:-}" <<'PY'
import glob, json, os, sys

sys.path.insert(0, sys.argv[1])
from report import delta, load_runs, num, print_table_head, stage_medians

T, secs_req, repeat, hz, pin, rate, teach, json_out = sys.argv[2:]
hz = int(hz)

KEYS = (("queues", ("packets", "decided", "enobufs", "id_gaps",
                    "verdict_errors")),
        ("l7", ("decisions", "new_sids", "known_sids", "map_adds",
                "map_errors", "fallback", "table_full")),
        ("conntrack", ("new", "destroy", "lost", "resyncs")))

def stats_delta(run):
    """the daemon's queue, l7 and conntrack counters over the flood"""
    try:
        a = json.load(open(os.path.join(T, run + "-stats0.json")))
        b = json.load(open(os.path.join(T, run + "-stats1.json")))
    except Exception:
        return None
    d = {}
    for sect, keys in KEYS:
        for k in keys:
            if k in b.get(sect, {}):
                d["%s.%s" % (sect, k)] = (b[sect][k]
                                          - a.get(sect, {}).get(k, 0))
    return d

def row(run, kv):
    r = {"run": run, "stage": kv.get("stage"), "label": kv.get("label"),
         "variant": kv.get("variant"), "error": kv.get("error")}
    if r["error"]:
        return r
    s = r["stage"]
    secs = num(kv, "secs") or float(secs_req)
    d = {}
    if s != "k":
        d = stats_delta(run)
        if d is None:
            r["error"] = "flowcachectl stats gave nothing"
            return r
    flood_s = delta(kv, "flood_us") / 1e6
    r.update({
        "seconds": secs, "sent": num(kv, "sent"),
        "router_in": delta(kv, "router_in"),
        "at_backend": delta(kv, "at_backend"), "at_vip": delta(kv, "at_vip"),
        "queued": d.get("queues.packets", 0),
        "kernel_queued": delta(kv, "q_id_seq"),
        "hit_queue": delta(kv, "hit_queue"), "hit_sid": delta(kv, "hit_sid"),
        "hit_sidfast": delta(kv, "hit_sidfast"),
        "hit_fastpath": delta(kv, "hit_fastpath"),
        "hit_kdnat": delta(kv, "hit_kdnat"),
        "ct_early_drop": delta(kv, "ct_early_drop"),
        # the scheduler's count where /proc/PID/task/*/sched has it
        "daemon_cpu_s": None if s == "k" else
                        delta(kv, "exec_ms") / 1000 if num(kv, "exec_ms1")
                        else delta(kv, "ticks") / hz,
        "daemon": d, "taught": num(kv, "taught"),
        "idle_pct_before": num(kv, "idle_pct_before"),
        "loadavg": kv.get("loadavg"), "busy_tasks": kv.get("busy_tasks"),
        "perf_reports": sorted(glob.glob(os.path.join(
            T, run + "-perf-*-report.txt"))),
    })
    r["delivered"] = r["at_backend"] + r["at_vip"]
    # reached the queue rule, never given to the daemon: failed open
    r["failed_open"] = max(0.0, r["hit_queue"] - r["kernel_queued"])
    # decisions the daemon made during the flood
    r["decisions"] = {"n": d.get("l7.new_sids"), "p": r["queued"],
                      "u": d.get("l7.known_sids")}.get(s)
    for k in ("sent", "delivered", "at_backend", "at_vip", "queued",
              "failed_open"):
        r[k + "_pps"] = r[k] / secs
    r["decisions_pps"] = (None if r["decisions"] is None
                          else r["decisions"] / secs)
    # the daemon's CPU per decision (it also follows conntrack: every
    # new flow, decided or failed open, is an event it reads)
    r["us_per_decision"] = (r["daemon_cpu_s"] * 1e6 / r["decisions"]
                            if r["decisions"] else None)
    r["busy_send_pct"] = r["busy_daemon_pct"] = None
    if flood_s > 0 and pin == "1":
        r["busy_send_pct"] = max(0.0, 100 - 100 * delta(kv, "idle_send")
                                 / hz / flood_s)
        r["busy_daemon_pct"] = max(0.0, 100 - 100 * delta(kv, "idle_daemon")
                                   / hz / flood_s)
    if r["sent"] <= 0:
        r["error"] = "nothing sent"
    elif r["delivered"] <= 0:
        r["error"] = "nothing arrived at the server"
    elif s in ("p", "n", "u") and r["queued"] <= 0:
        r["error"] = "the daemon was given no packet"
    elif s == "n" and not r["decisions"]:
        r["error"] = "no new sid decided: l7 not working"
    elif s == "m" and r["queued"] > 0.01 * r["sent"]:
        r["error"] = ("%d of %d packets were queued with the map in place"
                      % (r["queued"], r["sent"]))
    elif s in ("k", "f", "m") and r["at_backend"] < 0.99 * r["router_in"]:
        r["error"] = ("only %d of the %d packets at the router reached a "
                      "backend" % (r["at_backend"], r["router_in"]))
    return r

runs = load_runs(T, row)
failed = any(r["error"] for r in runs.values())

COLS = ("sent", "sent_pps", "delivered_pps", "at_backend_pps", "at_vip_pps",
        "queued", "queued_pps", "failed_open_pps", "decisions_pps",
        "daemon_cpu_s", "us_per_decision", "busy_send_pct",
        "busy_daemon_pct")
med = stage_medians(runs, "kpnfmu", COLS)

def f0(v):
    return "-" if v is None else "%.0f" % v
def f2(v):
    return "-" if v is None else "%.2f" % v
def fmt(name, r):
    if r.get("error"):
        return "%-28s FAILED: %s" % (name[:28], r["error"])
    return "%-28s %7s %7s %7s %7s %8s %8s %7s %5s %6s %4s %4s" % (
        name[:28], f0(r["sent_pps"]), f0(r["delivered_pps"]),
        f0(r["at_backend_pps"]), f0(r["at_vip_pps"]), f0(r["queued"]),
        f0(r["decisions_pps"]), f0(r["failed_open_pps"]),
        f2(r["daemon_cpu_s"]), f2(r["us_per_decision"]),
        f0(r["busy_send_pct"]), f0(r["busy_daemon_pct"]))
hdr = "%-28s %7s %7s %7s %7s %8s %8s %7s %5s %6s %4s %4s" % (
    "stage", "sent/s", "deliv/s", "steer/s", "vip/s", "queued",
    "decide/s", "failop/s", "cpu_s", "us/dec", "cpu0", "cpu1")

print()
print("l7 stream IDs: %s s per run, %s run(s) per stage, UDP 18-byte "
      "payload (46-byte IP packets)\nto 10.0.2.2:5004, a 4-byte sid at "
      "payload offset 8; %s sids taught for f, m, u%s;\n%s" % (
          secs_req, repeat, teach,
          "" if rate == "0" else "; offered %s pps" % rate,
          "sender on CPU 0, daemon on CPU 1" if pin == "1"
          else "no CPU pinning"))
print_table_head(secs_req, repeat, runs, hdr, fmt)
for s, m in med.items():
    print(fmt("%s %s" % (s, m["label"]), m))
print("deliv/s: arrived at the server; steer/s: of them at a backend "
      "(DNATed); vip/s: at\n10.0.2.2 (not steered); queued: packets the "
      "daemon was given (queues.packets);\ndecide/s: l7.new_sids (n), "
      "queues.packets (p), l7.known_sids (u) per second;\nfailop/s: "
      "reached the queue rule, accepted uninspected (queue full); cpu_s,\n"
      "us/dec: the daemon's CPU time, and per decision; cpu0, cpu1: % "
      "busy during the\nflood, the sender's and the daemon's CPU "
      "(everything on them)")
print()
for run, r in runs.items():
    if r["error"]:
        continue
    d = r["daemon"]
    print("%s %s%s" % (run, r["label"],
                       ": " + r["variant"] if r.get("variant") else ""))
    print("   rule hits: sid %d, sid-fastpath %d, fastpath %d, queue %d%s; "
          "kernel queued %d;\n   conntrack early_drop %d" % (
              r["hit_sid"], r["hit_sidfast"], r["hit_fastpath"],
              r["hit_queue"], ", k_dnat %d" % r["hit_kdnat"]
              if r["hit_kdnat"] else "", r["kernel_queued"],
              r["ct_early_drop"]))
    if d:
        print("   flowcached (delta): " + ", ".join(
            "%s %d" % kv for kv in d.items()))
    print("   machine idle before %d%%, loadavg %s%s" % (
        r["idle_pct_before"], r["loadavg"], "; busy then: " + r["busy_tasks"]
        if r.get("busy_tasks") else ""))
    for p in r.get("perf_reports", []):
        print("   perf report: " + p)

ratios = {}
def ok(s):
    return s in med and not med[s].get("error")
print()
if ok("n") and ok("p"):
    ratios["n/p decisions"] = (med["n"]["decisions_pps"]
                               / med["p"]["decisions_pps"])
    print("new sids: %.0f decisions/s, policy alone %.0f: n/p %.3f" % (
        med["n"]["decisions_pps"], med["p"]["decisions_pps"],
        ratios["n/p decisions"]))
for a, b in (("m", "f"), ("u", "f"), ("m", "u"), ("m", "k")):
    if ok(a) and ok(b):
        k = "%s/%s steered" % (a, b)
        ratios[k] = med[a]["at_backend_pps"] / med[b]["at_backend_pps"]
        print("known sids: %s %.0f packets/s at a backend, %s %.0f: "
              "%s %.3f" % (a, med[a]["at_backend_pps"], b,
                           med[b]["at_backend_pps"], k, ratios[k]))
for s in ("m", "u"):
    if ok(s):
        print("queued with %s: %d of %d sent (%.2f%%)" % (
            "the map" if s == "m" else "no map", med[s]["queued"],
            med[s]["sent"], 100 * med[s]["queued"] / max(1, med[s]["sent"])))
if json_out:
    with open(json_out, "w") as f:
        json.dump({"benchmark": "l7", "runs": runs, "median": med,
                   "ratios": ratios}, f, indent=1)
sys.exit(1 if failed else 0)
PY
rc=$?
[ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
exit $rc

#!/bin/bash
# Slow-path benchmark: how many packets per second of new UDP flows a
# responder on NFQUEUE decides, and how much CPU it spends per packet --
# the null responder (bench/nullq) against the real daemon.
#
#   [client]                     [router]                                  [server]
#   udpflood on CPU 0            responder on CPU 1
#   eth0 10.0.1.2 ------- lan0 10.0.1.1              wan0 10.0.2.1 ------- eth0 10.0.2.2
#                         prio -300  udp counter "router_in"               input: udp counter
#                         prio -190  udp ct state new counter                "delivered" drop
#                                    (and conntrack is on, as it will
#                                    be under the daemon's ruleset)
#                         mangle PREROUTING -p udp -j NFQUEUE
#                                    --queue-num 0 --queue-bypass
#
# Stages, each in fresh namespaces, each for the same time with the
# sender at full speed (the next source/destination port pair for every
# datagram: one new conntrack flow per datagram):
#   a  bench/nullq               one NFQNL_MSG_VERDICT_BATCH per receive
#   b  bench/nullq --per-packet  one verdict with a mark per packet, all
#                                in one sendmsg (flowcached's shape)
#   c  $FLOWCACHED -f -c CONF    the shipped conf/flowcached.conf with the
#                                control socket moved into a temp folder;
#                                the rule above is added unless the daemon
#                                installed its own ruleset (status says
#                                managed and a table called flowcached --
#                                ip/ip6 or inet -- exists in the router)
#   e  bench/nullq --per-packet  under the daemon's own ruleset: the daemon
#                                installs its tables and exits (they stay:
#                                ruleset.keep_on_exit), nullq answers on its
#                                queue with mark 0x110000 -- stage c's kernel
#                                work without the daemon (skipped while the
#                                daemon installs no ruleset)
#   d  bench/nullq --batch-mark  (not run by default) one VERDICT_BATCH
#                                that also carries a mark
# Measured per stage: datagrams sent, delivered to the server, handled by
# the responder (nullq's count; flowcached's queues.packets), the
# responder's CPU time (/proc/PID/stat utime+stime, all threads) -> CPU
# microseconds per packet, the kernel's queue counters
# (/proc/net/netfilter/nfnetlink_queue), what failed open (reached the
# rule, never given to the responder: counted nowhere by the kernel), and
# how busy other tasks kept the responder's CPU (this machine is shared).
#
# Usage: bench/slowpath.sh [--smoke] [--seconds S] [--repeat N]
#        [--stages abcde] [--rate PPS] [--sports N] [--dports N]
#        [--size BYTES] [--no-pin] [--perf] [--json FILE]
#        [--check-targets] [--keep]
#   --smoke     1 s per stage (CI); --seconds: 5 by default
#   --repeat N  run the stages N times, interleaved, and report medians
#   --perf      perf record -g the responder during each run (keeps the
#               logs; the report is in the folder named at the end)
# Exit: 0 all stages ran, 1 a stage failed (responder did not start or
# died, nothing sent, delivered or handled), 2 usage, 3 with
# --check-targets when flowcached missed a target, 77 cannot run here.

SECONDS_RUN=5
REPEAT=1
RATE=0
STAGES=abce
SPORTS=20000
DPORTS=50
SIZE=18
PIN=1
PERF=0
JSON_OUT=
CHECK=0
CT_MAX=2097152
QUIET_WAIT=10
KEEP_REQ=0

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SECONDS_RUN=1; QUIET_WAIT=3 ;;
	--seconds) SECONDS_RUN=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--rate) RATE=${2:?}; shift ;;
	--stages) STAGES=${2:?}; shift ;;
	--sports) SPORTS=${2:?}; shift ;;
	--dports) DPORTS=${2:?}; shift ;;
	--size) SIZE=${2:?}; shift ;;
	--no-pin) PIN=0 ;;
	--perf) PERF=1 ;;
	--json) JSON_OUT=${2:?}; shift ;;
	--check-targets) CHECK=1 ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) usage ;;
	*) echo "slowpath.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
case $STAGES in *[!abcde]*|'') echo "slowpath.sh: --stages takes letters of abcde" >&2; exit 2 ;; esac

. "$(dirname "$0")/lib.sh"
check_run_args
KEEP=$KEEP_REQ
[ "$PERF" = 1 ] && KEEP=1

if [ "$PIN" = 1 ] && [ "$(nproc)" -lt 2 ]; then
	log "slowpath.sh: one CPU only: not pinning"
	PIN=0
fi
SEND_CPU=0
RESP_CPU=1
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null; then
	die "--perf: no perf (apt-get install linux-perf)"
fi

bench_build
case $STAGES in *[ce]*) daemon_prepare ;; esac

# qsum NS "Q..." FIELD: a column of queue_line summed over the queues
# (1 portid, 2 total, 3 copy_mode, 4 copy_range, 5 dropped,
# 6 user_dropped, 7 id_sequence)
qsum() {
	local q s=0 v
	for q in $2; do
		v=$(queue_line "$1" "$q" | cut -d' ' -f"$3")
		s=$((s + ${v:-0}))
	done
	echo $s
}
all_bound() { local q; for q in $2; do queue_bound "$1" "$q" || return 1; done; }
all_empty() { local q; for q in $2; do queue_empty "$1" "$q" || return 1; done; }

# cpu_busy N: ticks CPU N spent on anything but idle and iowait.
cpu_busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# The counters: router_in (everything UDP reaching the router, before
# conntrack), new_flows (after conntrack; this rule is also what turns
# conntrack on in the router, as the daemon's ruleset will), delivered
# (at the server, which then drops: no ICMP errors come back).
counters_up() {
	ip netns exec "$NS_R" nft -f - <<-EOF || return 1
	table ip fcbench {
		chain router_in {
			type filter hook prerouting priority -300; policy accept;
			meta l4proto udp counter comment "router_in"
		}
		chain after_conntrack {
			type filter hook prerouting priority -190; policy accept;
			meta l4proto udp ct state new counter comment "new_flows"
		}
	}
	EOF
	ip netns exec "$NS_S" nft -f - <<-EOF || return 1
	table inet fcbench {
		chain input {
			type filter hook input priority 0; policy accept;
			meta l4proto udp counter drop comment "delivered"
		}
	}
	EOF
}

queue_rule() {
	local first=$1 count=$2 target
	if [ "$count" -gt 1 ]; then
		target="--queue-balance $first:$((first + count - 1))"
	else
		target="--queue-num $first"
	fi
	# shellcheck disable=SC2086
	ip netns exec "$NS_R" iptables-nft -t mangle -A PREROUTING -p udp \
		-j NFQUEUE $target --queue-bypass
}

snapshot() {	# snapshot RUN SUFFIX
	local r=$1 x=$2
	rec "$r" "wall_us$x" "$(now_us)"
	rec "$r" "ticks$x" "$(cpu_ticks "$RPID" 2>/dev/null || echo 0)"
	rec "$r" "cpu_busy$x" "$(cpu_busy $RESP_CPU)"
	rec "$r" "delivered$x" "$(nft_counter "$NS_S" inet fcbench input delivered)"
	rec "$r" "router_in$x" "$(nft_counter "$NS_R" ip fcbench router_in router_in)"
	rec "$r" "new_flows$x" "$(nft_counter "$NS_R" ip fcbench after_conntrack new_flows)"
	rec "$r" "q_dropped$x" "$(qsum "$NS_R" "$QUEUES" 5)"
	rec "$r" "q_user_dropped$x" "$(qsum "$NS_R" "$QUEUES" 6)"
	rec "$r" "q_id_seq$x" "$(qsum "$NS_R" "$QUEUES" 7)"
	if [ "$MANAGED" = 1 ]; then
		rec "$r" "at_rule$x" "$(nft_comment_sum "$NS_R" queue)"
		rec "$r" "fastpath$x" "$(nft_comment_sum "$NS_R" fastpath)"
	else
		rec "$r" "at_rule$x" "$(ipt_target_packets "$NS_R" mangle PREROUTING NFQUEUE)"
	fi
	rec "$r" "ct_early_drop$x" "$(ct_stat "$NS_R" early_drop)"
	rec "$r" "ct_drop$x" "$(ct_stat "$NS_R" drop)"
	if [ "${r%%.*}" = c ]; then
		ctl --json stats >"$T/$r-stats$x.json" 2>>"$T/ctl.log" || true
	fi
}

# run_stage STAGE N: one run of one stage, results in $T/STAGE.N.kv
run_stage() {
	local s=$1 r=$1.$2 label mode="" out perf_pid="" first count
	case $s in
	a) label="nullq (batch verdict)" ;;
	b) label="nullq --per-packet"; mode=--per-packet ;;
	c) label="flowcached" ;;
	d) label="nullq --batch-mark"; mode=--batch-mark ;;
	e) label="nullq -p, daemon's rules"; mode=--per-packet ;;
	esac
	rec "$r" stage "$s"
	rec "$r" label "$label"
	log "== $r: $label"
	RPID=""
	MANAGED=0
	topo_up "$s$2" || { run_fail "$r" "topology did not come up"; return; }
	counters_up || { run_fail "$r" "nft counters refused"; return; }
	# raise the router's conntrack table as far as the kernel lets a
	# namespace (it caps it at the initial namespace's value)
	ip netns exec "$NS_R" sysctl -qw net.netfilter.nf_conntrack_max=$CT_MAX \
		2>/dev/null
	rec "$r" ct_max "$(ip netns exec "$NS_R" cat /proc/sys/net/netfilter/nf_conntrack_max)"

	if [ "$s" = c ]; then
		DLOG=$T/$r-daemon.log
		daemon_start "$NS_R" "$([ "$PIN" = 1 ] && echo $RESP_CPU)" ||
			{ run_fail "$r" "flowcached did not start"; return; }
		cp "$T/daemon.log" "$DLOG" 2>/dev/null
		RPID=$DAEMON_PID
		ctl --json status >"$T/$r-status.json"
		first=$(json_get 'd["queues"]["first"]' <"$T/$r-status.json")
		count=$(json_get 'd["queues"]["count"]' <"$T/$r-status.json")
		QUEUES=$(seq "$first" $((first + count - 1)) | tr '\n' ' ')
		if ! wait_for 5 all_bound "$NS_R" "$QUEUES"; then
			run_fail "$r" "flowcached did not bind queues $QUEUES"
			return
		fi
		if daemon_managed "$NS_R"; then
			MANAGED=1
			rec "$r" variant "the daemon's own ruleset ($MANAGED_TABLES); no rule of ours"
		elif [ -n "$(managed_tables "$NS_R")" ]; then
			run_fail "$r" "a flowcached table exists but the daemon does not report it installed; not adding a second queue rule"
			return
		else
			queue_rule "$first" "$count" ||
				{ run_fail "$r" "iptables-nft refused the NFQUEUE rule"; return; }
			rec "$r" variant "no managed ruleset from the daemon: our iptables-nft NFQUEUE rule, queues $QUEUES"
		fi
	else
		QUEUES=0
		if [ "$s" = e ]; then
			# The daemon's own tables, which it leaves in place on
			# exit (ruleset.keep_on_exit), with the null responder
			# on its queue: the same kernel work as stage c, minus
			# the daemon.
			daemon_start "$NS_R" ||
				{ run_fail "$r" "flowcached did not start"; return; }
			count=$(ctl --json status | json_get 'd["queues"]["count"]')
			QUEUES=$(ctl --json status | json_get 'd["queues"]["first"]')
			if ! daemon_managed "$NS_R"; then
				stop_pid "$DAEMON_PID"
				rec "$r" skipped "the daemon installs no ruleset of its own yet"
				return
			fi
			stop_pid "$DAEMON_PID"
			if [ -z "$(managed_tables "$NS_R")" ] || [ "$count" != 1 ]; then
				rec "$r" skipped "needs ruleset.keep_on_exit = true and one queue"
				return
			fi
			MANAGED=1
			mode="--per-packet --mark 0x110000"
		fi
		# shellcheck disable=SC2046,SC2086
		spawn RPID "$T/$r-nullq.log" "$NS_R" \
			$([ "$PIN" = 1 ] && echo taskset -c $RESP_CPU) \
			"$BENCH_DIR/nullq" --queue $QUEUES \
			--seconds $((SECONDS_RUN + 120)) $mode
		if ! wait_for 5 all_bound "$NS_R" "$QUEUES" || ! alive "$RPID"; then
			sed 's/^/    /' "$T/$r-nullq.log" >&2
			run_fail "$r" "nullq did not bind queue $QUEUES"
			return
		fi
		if [ "$s" = e ]; then
			rec "$r" variant "the daemon's own ruleset ($MANAGED_TABLES, left in place by keep_on_exit) with nullq --per-packet --mark 0x110000 on queue $QUEUES"
		else
			queue_rule 0 1 || { run_fail "$r" "iptables-nft refused the NFQUEUE rule"; return; }
			rec "$r" variant "our iptables-nft NFQUEUE rule, queue 0"
		fi
	fi

	rec "$r" idle_pct_before "$(wait_quiet)"
	rec "$r" loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	rec "$r" busy_tasks "$(busy_tasks)"
	snapshot "$r" 0
	if [ "$PERF" = 1 ]; then
		perf record -g -p "$RPID" -o "$T/$r-perf.data" \
			>"$T/$r-perf-record.log" 2>&1 &
		perf_pid=$!
		_pids="$_pids $perf_pid"
	fi
	# shellcheck disable=SC2046
	timeout $((SECONDS_RUN + 30)) ip netns exec "$NS_C" \
		$([ "$PIN" = 1 ] && echo taskset -c $SEND_CPU) \
		"$BENCH_DIR/udpflood" --dst $S_ADDR --seconds "$SECONDS_RUN" \
		--sports "$SPORTS" --dports "$DPORTS" --size "$SIZE" \
		--rate "$RATE" >"$T/$r-udpflood.log" 2>&1
	out=$(cat "$T/$r-udpflood.log")
	# the responder works through what is still queued (at most 10 s)
	wait_for 10 all_empty "$NS_R" "$QUEUES" || log "    queue not empty after 10 s"
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null
		wait_for 10 gone "$perf_pid"
	fi
	snapshot "$r" 1
	rec "$r" sent "$(echo "$out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')"
	rec "$r" secs "$(echo "$out" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')"
	rec "$r" flows "$(echo "$out" | sed -n 's/.* flows=\([0-9]*\).*/\1/p')"
	if [ -n "$perf_pid" ]; then
		{ perf report -i "$T/$r-perf.data" --stdio --no-children \
			--sort dso 2>/dev/null
		  perf report -i "$T/$r-perf.data" --stdio --no-children \
			--sort dso,symbol --percent-limit 0.5 2>/dev/null
		} >"$T/$r-perf-report.txt"
		rec "$r" perf_report "$T/$r-perf-report.txt"
	fi
	if ! alive "$RPID"; then
		run_fail "$r" "the responder died during the run"
		[ "$s" = c ] && sed 's/^/    /' "$T/daemon.log" | tail -20 >&2
		return
	fi
	if [ "$s" = c ]; then
		if [ -s "$T/$r-stats1.json" ]; then
			rec "$r" stats_json "$T/$r-stats0.json $T/$r-stats1.json"
		else
			run_fail "$r" "flowcachectl stats gave nothing"
		fi
		stop_pid "$RPID"
		cp "$T/daemon.log" "$DLOG" 2>/dev/null
	else
		stop_pid "$RPID"
		rec "$r" handled "$(sed -n 's/.* packets=\([0-9]*\).*/\1/p' "$T/$r-nullq.log")"
		rec "$r" pkts_per_recv "$(sed -n 's/.* pkts_per_recv=\([0-9.]*\).*/\1/p' "$T/$r-nullq.log")"
		rec "$r" responder_counters "$(grep '^nullq:.*packets=' "$T/$r-nullq.log" | tail -1)"
	fi
}

for n in $(seq 1 "$REPEAT"); do
	for s in a b e c d; do
		case $STAGES in *$s*) run_stage "$s" "$n"; stage_down ;; esac
	done
done

python3 -B - "$BENCH_DIR" "$T" "$STAGES" "$HZ" "$SECONDS_RUN" "$CHECK" \
	"${JSON_OUT:-}" "$PIN" "$RATE" "$SIZE" "$REPEAT" <<'PY'
import json, os, sys

sys.path.insert(0, sys.argv[1])
from report import delta, load_runs, num, print_table_head, stage_medians

T, stages, hz, secs_req, check, json_out, pin, rate, size, repeat = sys.argv[2:]
hz = int(hz)

def row(run, kv):
    r = {"run": run, "stage": kv.get("stage"), "label": kv.get("label"),
         "variant": kv.get("variant"), "error": kv.get("error"),
         "skipped": kv.get("skipped")}
    if r["error"] or r["skipped"]:
        return r
    secs = num(kv, "secs") or float(secs_req)
    handled = num(kv, "handled")
    if r["stage"] == "c":
        a, b = kv["stats_json"].split()
        s0 = json.load(open(a))["queues"] if os.path.getsize(a) else {}
        s1 = json.load(open(b))["queues"]
        dq = {k: s1[k] - s0.get(k, 0) for k in s1
              if isinstance(s1[k], int) and not isinstance(s1[k], bool)}
        handled = dq["packets"]
        r["daemon"] = {k: dq[k] for k in (
            "packets", "accepted", "dropped", "decided", "malformed",
            "no_payload", "enobufs", "id_gaps", "recv_truncated",
            "verdict_batches", "verdict_errors")}
        r["pkts_per_recv"] = (handled / dq["verdict_batches"]
                              if dq["verdict_batches"] else 0)
    else:
        r["pkts_per_recv"] = num(kv, "pkts_per_recv")
        r["nullq"] = kv.get("responder_counters")
    cpu = delta(kv, "ticks") / hz
    window = delta(kv, "wall_us") / 1e6
    queued = delta(kv, "q_id_seq")
    at_rule = delta(kv, "at_rule")
    r.update({
        "seconds": secs, "window_s": window, "sent": num(kv, "sent"),
        "delivered": delta(kv, "delivered"),
        "router_in": delta(kv, "router_in"),
        "new_flows": delta(kv, "new_flows"),
        "queued": queued, "handled": handled, "at_rule": at_rule,
        "fastpath": delta(kv, "fastpath"),
        "q_dropped": delta(kv, "q_dropped"),
        "q_user_dropped": delta(kv, "q_user_dropped"),
        "ct_early_drop": delta(kv, "ct_early_drop"),
        "ct_drop": delta(kv, "ct_drop"), "ct_max": num(kv, "ct_max"),
        "flows": num(kv, "flows"), "cpu_s": cpu,
        "us_per_pkt": cpu * 1e6 / handled if handled else None,
        # everything the responder's CPU did (pinned runs only): the
        # responder plus kernel work its verdicts set off elsewhere
        "cpu_us_per_pkt": (delta(kv, "cpu_busy") / hz * 1e6 / handled
                           if pin == "1" and handled else None),
        # the responder's CPU busy with other tasks (pinned runs only)
        "other_pct": (100 * max(0.0, delta(kv, "cpu_busy") / hz - cpu)
                      / window if pin == "1" and window > 0 else None),
        "idle_pct_before": num(kv, "idle_pct_before"),
        "loadavg": kv.get("loadavg"), "perf_report": kv.get("perf_report"),
        "busy_tasks": kv.get("busy_tasks"),
    })
    # reached the queue rule, never given to the responder: failed open
    r["failed_open"] = max(0.0, at_rule - queued - r["q_dropped"]
                           - r["q_user_dropped"])
    if queued > at_rule + 64:
        r["warning"] = ("the kernel queued %d packets but only %d reached "
                        "the queue rule: counted twice?" % (queued, at_rule))
    for k in ("sent", "delivered", "handled", "failed_open"):
        r[k + "_pps"] = r[k] / secs
    if r["sent"] <= 0:
        r["error"] = "nothing sent"
    elif r["delivered"] <= 0:
        r["error"] = "zero packets delivered to the server"
    elif handled <= 0:
        r["error"] = "the responder handled no packet"
    return r

runs = load_runs(T, row)
failed = any(r["error"] for r in runs.values())

COLS = ("sent_pps", "delivered_pps", "handled_pps", "failed_open_pps",
        "q_dropped", "q_user_dropped", "cpu_s", "us_per_pkt",
        "cpu_us_per_pkt", "pkts_per_recv", "other_pct")
def fmt(name, r):
    if r.get("error"):
        return "%-24s FAILED: %s" % (name, r["error"])
    if r.get("skipped"):
        return "%-24s skipped: %s" % (name, r["skipped"])
    c1 = r.get("cpu_us_per_pkt")
    return ("%-24s %8.0f %8.0f %9.0f %9.0f %6d %6.2f %7.3f %7s %6.1f" % (
        name[:24], r["sent_pps"], r["delivered_pps"], r["handled_pps"],
        r["failed_open_pps"], r["q_dropped"] + r["q_user_dropped"],
        r["cpu_s"], r["us_per_pkt"],
        "-" if c1 is None else "%.3f" % c1, r["pkts_per_recv"]))
hdr = ("%-24s %8s %8s %9s %9s %6s %6s %7s %7s %6s" % (
    "responder", "sent/s", "deliv/s", "handled/s", "failopn/s", "kdrop",
    "cpu_s", "us/pkt", "cpu1/pk", "p/recv"))

# one row per stage: the median of each column over its runs
med = stage_medians(runs, "abecd", COLS)

print()
print("slow path: %s s per run, %s run(s) per stage, UDP %s-byte payload "
      "(%d-byte IP packets), one new flow per datagram%s; %s" % (
          secs_req, repeat, size, int(size) + 28,
          "" if rate == "0" else ", offered %s pps" % rate,
          "sender on CPU 0, responder on CPU 1" if pin == "1"
          else "no CPU pinning"))
print_table_head(secs_req, repeat, runs, hdr, fmt)
for s, m in med.items():
    print(fmt(m["label"], m))
print("handled/s: packets the responder decided; failopn/s: reached the "
      "queue rule but the\nqueue was full, accepted uninspected "
      "(fail-open); kdrop: the kernel's queue_dropped +\n"
      "queue_user_dropped; cpu_s, us/pkt: the responder's own CPU time "
      "(utime+stime)%s; p/recv:\npackets per receive (per verdict "
      "sendmsg)" % (
          "; cpu1/pk: all busy time of\nthe responder's CPU per packet "
          "(the responder, kernel work its verdicts set off,\nother tasks)"
          if pin == "1" else ""))
print()
for run, r in runs.items():
    if r["error"] or r["skipped"]:
        continue
    print("%s %s: %s" % (run, r["label"], r["variant"]))
    print("   conntrack: %d new flows at the router, early_drop %d, drop %d "
          "(nf_conntrack_max %d; %d distinct flows offered)" % (
              r["new_flows"], r["ct_early_drop"], r["ct_drop"], r["ct_max"],
              r["flows"]))
    print("   queue: %d reached the queue rule%s, %d given to the responder, "
          "queue_dropped %d, queue_user_dropped %d; machine idle before %d%%,"
          " loadavg %s%s" % (
              r["at_rule"], ", %d took the fast path" % r["fastpath"]
              if r["fastpath"] else "",
              r["queued"], r["q_dropped"], r["q_user_dropped"],
              r["idle_pct_before"], r["loadavg"],
              "" if r["other_pct"] is None else
              "; responder's CPU busy with other tasks during the run %.0f%%"
              % r["other_pct"]))
    if r.get("busy_tasks"):
        print("   busy before the run: " + r["busy_tasks"])
    if r.get("nullq"):
        print("   " + r["nullq"])
    if r.get("warning"):
        print("   WARNING: " + r["warning"])
    if "daemon" in r:
        print("   flowcached counters (delta): " + ", ".join(
            "%s %d" % kv for kv in r["daemon"].items()))
    if r.get("perf_report"):
        print("   perf report: " + r["perf_report"])

versus = {}
if "c" in med and not med["c"].get("error"):
    c = med["c"]
    print()
    for s in ("a", "b", "e", "d"):
        if s in med and not med[s].get("error") and not med[s].get("skipped"):
            n = med[s]
            ratio = c["handled_pps"] / n["handled_pps"]
            added = c["us_per_pkt"] - n["us_per_pkt"]
            print("flowcached vs %-22s handled/s %.3f (target >= 0.90), "
                  "CPU %+.3f us/packet (target <= +0.50)" % (
                      n["label"] + ":", ratio, added))
            versus[s] = {"rate_ratio": ratio, "added_us_per_pkt": added,
                         "meets": ratio >= 0.9 and added <= 0.5}
if json_out:
    with open(json_out, "w") as f:
        json.dump({"benchmark": "slowpath", "runs": runs, "median": med,
                   "versus": versus}, f, indent=1)
if failed:
    sys.exit(1)
if check == "1" and "a" in versus and not versus["a"]["meets"]:
    sys.exit(3)
PY
rc=$?
[ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
exit $rc

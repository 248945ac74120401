#!/bin/bash
# Fast-path benchmark: TCP throughput through a router (iperf3, one
# stream) with no queue at all, with every packet queued to a null
# responder (what inline NFQUEUE daemons do), and with flowcached, which
# queues only the first packet(s) of a flow and lets the kernel carry the
# rest on the ct mark.
#
#   [client]                      [router]                          [server]
#   iperf3 -c                                                       iperf3 -s
#   eth0 10.0.1.2 -------- lan0 10.0.1.1       wan0 10.0.2.1 -------- eth0 10.0.2.2
#                          a  no rule at all
#                          t  conntrack only (one `ct state` rule; no queue)
#                          b  mangle PREROUTING -p tcp -j NFQUEUE --queue-bypass
#                             -> bench/nullq (batch verdicts), every packet
#                          c  flowcached -f -c CONF: its own ruleset when it
#                             installs one (status: managed + installed, and a
#                             table called flowcached in the router); else the
#                             fast path emulated with iptables-nft:
#                               mangle PREROUTING
#                                 -m connmark --mark 0x10000/0x10000
#                                     -j CONNMARK --restore-mark --mask 0xff0000
#                                 -m connmark --mark 0x10000/0x10000 -j ACCEPT
#                                 -p tcp -j NFQUEUE --queue-num Q --queue-bypass
#                               mangle POSTROUTING (a later hook)
#                                 -m mark --mark 0x10000/0x10000
#                                     -j CONNMARK --save-mark --mask 0xff0000
#                             with the daemon answering (or, with --responder
#                             nullq, bench/nullq --per-packet --mark 0x10000)
# Each stage gets fresh namespaces; the output says which variant of c ran.
# Reported: Gbit/s at the receiver, retransmits, packets that went to
# userspace, and the ratios c/a and b/a (target: c/a >= 0.95).
#
# Usage: bench/fastpath.sh [--smoke] [--seconds S] [--repeat N]
#        [--stages atbc] [--responder flowcached|nullq] [--json FILE]
#        [--check-targets] [--keep]
#   --smoke     1 s per stage (CI); --seconds: 5 by default
#   --repeat N  run the stages N times, interleaved, and report medians
# Exit: 0 all stages ran, 1 a stage failed (daemon did not start, iperf3
# failed or moved nothing), 2 usage, 3 with --check-targets when c/a is
# under 0.95, 77 cannot run here (not root, no iperf3).

SECONDS_RUN=5
REPEAT=1
STAGES=atbc
RESPONDER=flowcached
JSON_OUT=
CHECK=0
QUIET_WAIT=10
KEEP_REQ=0
PORT=5201

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SECONDS_RUN=1; QUIET_WAIT=3 ;;
	--seconds) SECONDS_RUN=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--stages) STAGES=${2:?}; shift ;;
	--responder) RESPONDER=${2:?}; shift ;;
	--json) JSON_OUT=${2:?}; shift ;;
	--check-targets) CHECK=1 ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) usage ;;
	*) echo "fastpath.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
case $STAGES in *[!atbc]*|'') echo "fastpath.sh: --stages takes letters of atbc" >&2; exit 2 ;; esac
case $RESPONDER in flowcached|nullq) ;; *) echo "fastpath.sh: --responder flowcached or nullq" >&2; exit 2 ;; esac

. "$(dirname "$0")/lib.sh"
check_run_args
KEEP=$KEEP_REQ
command -v iperf3 >/dev/null || { log "fastpath.sh: no iperf3 (apt-get install iperf3): skipped"; exit 77; }

bench_build
if [ "$RESPONDER" = flowcached ]; then
	case $STAGES in *c*) daemon_prepare ;; esac
fi

server_listening() {
	[ -n "$(ip netns exec "$NS_S" ss -Hltn "sport = :$PORT" 2>/dev/null)" ]
}
queue_id_seq() { queue_line "$NS_R" "$1" | cut -d' ' -f7; }

emulate_fastpath() {	# emulate_fastpath QUEUE
	local ipt="ip netns exec $NS_R iptables-nft -t mangle"
	$ipt -A PREROUTING -m connmark --mark 0x10000/0x10000 \
		-j CONNMARK --restore-mark --mask 0xff0000 &&
	$ipt -A PREROUTING -m connmark --mark 0x10000/0x10000 -j ACCEPT &&
	$ipt -A PREROUTING -p tcp -j NFQUEUE --queue-num "$1" --queue-bypass &&
	$ipt -A POSTROUTING -m mark --mark 0x10000/0x10000 \
		-j CONNMARK --save-mark --mask 0xff0000
}

# run_stage STAGE N
run_stage() {
	local s=$1 r=$1.$2 label q="" rpid="" spid
	case $s in
	a) label="no queue rule" ;;
	t) label="conntrack only, no queue" ;;
	b) label="every packet to nullq" ;;
	c) label="flowcached"
	   [ "$RESPONDER" = nullq ] && label="emulated fast path, nullq" ;;
	esac
	rec "$r" stage "$s"
	rec "$r" label "$label"
	log "== $r: $label"
	topo_up "$s$2" || { run_fail "$r" "topology did not come up"; return; }

	case $s in
	a)
		rec "$r" variant "no rules in the router"
		;;
	t)
		ip netns exec "$NS_R" nft -f - <<-EOF ||
		table ip fcbench {
			chain pre {
				type filter hook prerouting priority -150; policy accept;
				ct state new counter
			}
		}
		EOF
			{ run_fail "$r" "nft refused the conntrack rule"; return; }
		rec "$r" variant "one nft rule (ct state new counter): conntrack on, nothing queued"
		;;
	b)
		q=0
		spawn rpid "$T/$r-nullq.log" "$NS_R" "$BENCH_DIR/nullq" --queue 0 \
			--seconds $((SECONDS_RUN + 120))
		if ! wait_for 5 queue_bound "$NS_R" 0 || ! alive "$rpid"; then
			sed 's/^/    /' "$T/$r-nullq.log" >&2
			run_fail "$r" "nullq did not bind queue 0"
			return
		fi
		ip netns exec "$NS_R" iptables-nft -t mangle -A PREROUTING -p tcp \
			-j NFQUEUE --queue-num 0 --queue-bypass ||
			{ run_fail "$r" "iptables-nft refused the NFQUEUE rule"; return; }
		rec "$r" variant "iptables-nft: every TCP packet -> NFQUEUE 0 -> nullq (one VERDICT_BATCH per receive)"
		;;
	c)
		if [ "$RESPONDER" = nullq ]; then
			q=0
			spawn rpid "$T/$r-nullq.log" "$NS_R" "$BENCH_DIR/nullq" \
				--queue 0 --per-packet --mark 0x10000 \
				--seconds $((SECONDS_RUN + 120))
			if ! wait_for 5 queue_bound "$NS_R" 0 || ! alive "$rpid"; then
				run_fail "$r" "nullq did not bind queue 0"
				return
			fi
			emulate_fastpath 0 ||
				{ run_fail "$r" "iptables-nft refused the fast-path rules"; return; }
			rec "$r" variant "EMULATED fast path (iptables-nft connmark rules above), responder nullq --per-packet --mark 0x10000 (not the daemon)"
		else
			daemon_start "$NS_R" || { run_fail "$r" "flowcached did not start"; return; }
			rpid=$DAEMON_PID
			q=$(ctl --json status | json_get 'd["queues"]["first"]')
			if ! wait_for 5 queue_bound "$NS_R" "$q"; then
				run_fail "$r" "flowcached did not bind queue $q"
				return
			fi
			if daemon_managed "$NS_R"; then
				rec "$r" variant "flowcached with its own ruleset ($MANAGED_TABLES)"
				rec "$r" managed 1
			elif [ -n "$(managed_tables "$NS_R")" ]; then
				run_fail "$r" "a flowcached table exists but the daemon does not report it installed"
				return
			else
				emulate_fastpath "$q" ||
					{ run_fail "$r" "iptables-nft refused the fast-path rules"; return; }
				rec "$r" variant "EMULATED fast path (no managed ruleset from the daemon: iptables-nft connmark rules above), flowcached as the responder"
			fi
		fi
		;;
	esac

	spawn spid "$T/$r-server.log" "$NS_S" iperf3 -s -1 -B $S_ADDR -p $PORT
	wait_for 5 server_listening || { run_fail "$r" "iperf3 server did not listen"; return; }
	rec "$r" idle_pct_before "$(wait_quiet)"
	rec "$r" loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	rec "$r" busy_tasks "$(busy_tasks)"
	[ -n "$q" ] && rec "$r" id_seq0 "$(queue_id_seq "$q")"
	[ -n "$rpid" ] && rec "$r" ticks0 "$(cpu_ticks "$rpid")"
	timeout $((SECONDS_RUN + 30)) ip netns exec "$NS_C" iperf3 -c $S_ADDR \
		-p $PORT -t "$SECONDS_RUN" -J --connect-timeout 3000 \
		>"$T/$r-iperf3.json" 2>"$T/$r-iperf3.err"
	rec "$r" iperf3_rc $?
	rec "$r" iperf3_json "$T/$r-iperf3.json"
	if [ -n "$q" ]; then
		wait_for 5 queue_empty "$NS_R" "$q"
		rec "$r" id_seq1 "$(queue_id_seq "$q")"
	fi
	if [ -n "$rpid" ]; then
		if alive "$rpid"; then
			rec "$r" ticks1 "$(cpu_ticks "$rpid")"
		else
			run_fail "$r" "the responder died during the run"
			return
		fi
	fi
	if [ "$s" = c ]; then
		if [ "$(sed -n 's/^managed=//p' "$T/$r.kv")" = 1 ]; then
			rec "$r" fastpath "$(nft_comment_sum "$NS_R" fastpath)"
		else
			rec "$r" fastpath "$(ipt_target_packets "$NS_R" mangle PREROUTING ACCEPT)"
		fi
		if [ "$RESPONDER" = flowcached ]; then
			ctl --json stats >"$T/$r-stats.json" 2>/dev/null &&
				rec "$r" stats_json "$T/$r-stats.json"
		fi
	fi
	[ -n "$rpid" ] && stop_pid "$rpid"
	if [ -f "$T/$r-nullq.log" ]; then
		rec "$r" nullq "$(grep '^nullq:.*packets=' "$T/$r-nullq.log" | tail -1)"
	fi
}

for n in $(seq 1 "$REPEAT"); do
	for s in a t b c; do
		case $STAGES in *$s*) run_stage "$s" "$n"; stage_down ;; esac
	done
done

python3 -B - "$BENCH_DIR" "$T" "$SECONDS_RUN" "$REPEAT" "$CHECK" "${JSON_OUT:-}" \
	"$HZ" <<'PY'
import json, statistics, sys

sys.path.insert(0, sys.argv[1])
from report import load_runs, print_table_head

T, secs, repeat, check, json_out, hz = sys.argv[2:]
hz = int(hz)

def row(run, kv):
    r = {"run": run, "stage": kv.get("stage"), "label": kv.get("label"),
         "variant": kv.get("variant"), "error": kv.get("error"),
         "idle_pct_before": kv.get("idle_pct_before"),
         "loadavg": kv.get("loadavg"), "nullq": kv.get("nullq"),
         "busy_tasks": kv.get("busy_tasks")}
    if not r["error"]:
        try:
            d = json.load(open(kv["iperf3_json"]))
        except Exception as e:
            d = {"error": "no JSON from iperf3 (%s)" % e}
        if "error" in d or kv.get("iperf3_rc") != "0":
            r["error"] = "iperf3: %s" % d.get("error", "exit %s" % kv.get("iperf3_rc"))
        else:
            end = d["end"]
            r["gbps"] = end["sum_received"]["bits_per_second"] / 1e9
            r["retransmits"] = end["sum_sent"].get("retransmits", 0)
            r["bytes"] = end["sum_received"]["bytes"]
            if r["gbps"] <= 0:
                r["error"] = "zero throughput"
    if "id_seq1" in kv:
        r["queued"] = int(kv["id_seq1"] or 0) - int(kv["id_seq0"] or 0)
    if "ticks1" in kv:
        r["responder_cpu_s"] = (int(kv["ticks1"]) - int(kv["ticks0"])) / hz
    if "fastpath" in kv:
        r["fastpath"] = int(kv["fastpath"] or 0)
    if kv.get("stats_json"):
        q = json.load(open(kv["stats_json"]))["queues"]
        r["daemon"] = {k: q[k] for k in ("packets", "decided", "enobufs",
                       "id_gaps", "verdict_errors") if k in q}
    return r

runs = load_runs(T, row)
failed = any(r["error"] for r in runs.values())
med = {}
for s in "atbc":
    ok = [r for r in runs.values() if r["stage"] == s and not r["error"]]
    if ok:
        m = dict(ok[0])
        for k in ("gbps", "retransmits", "queued", "responder_cpu_s"):
            vals = [r[k] for r in ok if r.get(k) is not None]
            m[k] = statistics.median(vals) if vals else None
        m["runs"] = len(ok)
        med[s] = m

def line(name, r):
    if r.get("error"):
        return "%-30s FAILED: %s" % (name, r["error"])
    q = r.get("queued")
    cpu = r.get("responder_cpu_s")
    return "%-30s %7.2f %8d %10s %8s" % (
        name[:30], r["gbps"], r["retransmits"],
        "-" if q is None else "%d" % q,
        "-" if cpu is None else "%.2f" % cpu)
hdr = "%-30s %7s %8s %10s %8s" % ("setup", "Gbit/s", "retrans",
                                   "queued", "resp cpu")
print()
print("fast path: iperf3 TCP, one stream, client -> router -> server, %s s "
      "per run, %s run(s) per setup, no CPU pinning" % (secs, repeat))
print_table_head(secs, repeat, runs, hdr, line, per="setup")
for s, m in med.items():
    print(line("%s) %s" % (s, m["label"]), m))
for run, r in runs.items():
    if r["error"] and r["stage"] not in med:
        print(line("%s) %s" % (r["stage"], r["label"]), r))
print("queued: packets handed to userspace (NFQUEUE ids; with GSO one "
      "id can be a\nsuper-packet of many segments); resp cpu: the "
      "responder's CPU seconds")
print()
for run, r in runs.items():
    if r["error"]:
        continue
    extra = ""
    if r.get("fastpath") is not None:
        extra = "; fast-path rule hits %d" % r["fastpath"]
    print("%s %s: %s%s" % (run, r["label"], r["variant"], extra))
    if r.get("daemon"):
        print("   flowcached counters: " + ", ".join(
            "%s %d" % kv for kv in r["daemon"].items()))
    if r.get("nullq"):
        print("   " + r["nullq"])
    if r["stage"] == "c" and r.get("queued") is not None and r["queued"] > 100:
        print("   WARNING: %d packets were queued: the fast path did not "
              "take over" % r["queued"])
    print("   machine idle before %s%%, loadavg %s%s" % (
        r["idle_pct_before"], r["loadavg"], "; busy then: " + r["busy_tasks"]
        if r.get("busy_tasks") else ""))

ratios = {}
if "a" in med:
    print()
    for s in "tbc":
        if s in med:
            ratios[s] = med[s]["gbps"] / med["a"]["gbps"]
            print("%s/a  %-30s %.3f%s" % (s, med[s]["label"], ratios[s],
                  " (target >= 0.95)" if s == "c" else ""))
if json_out:
    with open(json_out, "w") as f:
        json.dump({"benchmark": "fastpath", "runs": runs, "median": med,
                   "ratios_to_a": ratios}, f, indent=1)
if failed:
    sys.exit(1)
if check == "1" and "c" in ratios and ratios["c"] < 0.95:
    sys.exit(3)
PY
rc=$?
[ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
exit $rc

#!/bin/bash
# Operator tools benchmark: what flowcachectl's commands cost on a table
# of N flows, against the conntrack(8) command that answers the same
# question about the same entries, in the same run, so each result is a
# ratio:
#
#   [ns fcb-cli-PID-t]  lo only; N entries made by bench/ctfill in zones
#                       0..3 (1/4 IPv6, 1/2 TCP ESTABLISHED, the rest UDP
#                       ASSURED, timeout one day), each with ct mark
#                       0x00110000: the shipped marks.mask 0x00ff0000,
#                       its "decided" bit and the zone-10 policy mark, as
#                       if the daemon had decided them; flowcached -f,
#                       started in the namespace before them, mirrors
#                       them (conf/flowcached.conf, control socket in a
#                       temp folder, managed = false)
#
#   stage      command                                       peer
#   list_*     conntrack -L; flowcachectl flows, --json      conntrack -L
#              flows, flows --long (all > /dev/null)
#   src_*      the UDP flows from a prefix that holds ~1%    conntrack -L
#              of the entries: conntrack -L -p udp -s PFX;   -p udp -s PFX
#              flows --proto udp --src PFX
#   port_*     one source port (a flow or two): conntrack    conntrack -L
#              -L -p udp --sport P; flows --proto udp        -p udp --sport P
#              --port P
#   top_fc     flows --sort queued --limit 40 --width 160:   flows --json
#              the top flows of one `watch` refresh
#   refresh_fc all of one `watch` refresh: --json status,    flows --json
#              stats, zones, then the top 40 as above
#   count_ct,  conntrack -C; conntrack -S (the kernel's
#   stats_ct   counters)
#   stats_fc   flowcachectl --json stats                     conntrack -S
#   mark_cf    bench/ctfill --update --mark 0 --mark-mask
#              0x00ff0000: the daemon's bits cleared in every
#              entry by ctnetlink updates of the known tuples,
#              256 a sendmsg: the floor
#   mark_fc    flowcachectl flush: the same bits cleared     mark_cf
#              by ctnetlink updates, cached answers dropped
#   del_ct     conntrack -D: every entry deleted, one by one
#   del_cf     bench/ctfill --delete: the floor, as mark_cf
#   flush_ct   conntrack -F: the kernel empties the table
#              (one message; not what flush --conntrack can
#              do, as it deletes only the daemon's flows)
#   del_fc     flowcachectl flush --conntrack                del_ct
#
# No conntrack(8) peer for the mark flush: conntrack 1.4.7's -U fails
# with ENOBUFS after about 256 entries (after each update it GETs the
# entry to print it, reads one of the two answers and leaves the other
# in its socket until the socket overflows), sends the update without
# the entry's zone (zoned entries are not found; -w is refused with -U)
# and needs -f (an AF_UNSPEC update is refused, "Operation not
# supported"). Every command runs through `nsenter --net` into the
# namespace, flowcachectl too, so both sides pay the same start-up. Wall
# clock of each call, median over the calls of a repeat and then over the
# repeats; the daemon's CPU (utime + stime of all its threads) over the
# same calls. Each listing is also run once more per repeat into a file
# and checked (N rows; the filters: flowcached's rows = conntrack's). The
# flushes are checked by conntrack -L --mark, -C and the daemon's
# counters, then the marks are set again or the table is filled again
# (ctfill), untimed; "settled" is from the start of a flush
# until the daemon has read the events it caused (.conntrack.events).
#
# Usage: bench/cli.sh [--smoke] [--entries N] [--repeat R] [--json FILE]
#        [--keep]
#   --smoke        N = 2000, one repeat, one call of each listing and 3
#                  of each small command (CI; about 20 s)
#   --entries N    entries in the table (100000)
#   --repeat R     repeats of every stage; medians (1)
#   --json FILE    every run and the medians as JSON
#   --keep         keep the temp folder (logs, outputs)
# Exit: 0 every stage ran and checked out, 1 a stage failed or a check did
# not hold, 2 usage, 77 cannot run here (not root, no conntrack or nsenter).

ENTRIES=100000
REPEAT=1
JSON_OUT=
KEEP_REQ=0
CALLS_BIG=3
CALLS_SMALL=20
QUIET_WAIT=3
SETTLE_WAIT=60
MARK=0x00110000
MASK=0x00ff0000

usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) ENTRIES=2000; REPEAT=1; CALLS_BIG=1; CALLS_SMALL=3; QUIET_WAIT=1 ;;
	--entries) ENTRIES=${2:-}; shift ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--json) JSON_OUT=${2:?}; shift ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) usage ;;
	*) echo "cli.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
. "$(dirname "$0")/lib.sh"
arg_range --entries "$ENTRIES" 100 4000000
arg_range --repeat "$REPEAT" 1 20
KEEP=$KEEP_REQ
for tool in conntrack nsenter; do
	command -v "$tool" >/dev/null || {
		log "cli.sh: no $tool (apt-get install conntrack util-linux): skipped"
		exit 77
	}
done
ct_setup

NS=fcb-cli-$$-t
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
fc() { in_ns "$T/flowcachectl" -s "$SOCK" "$@"; }
fc_stat() { ctl --json stats | json_get "$1"; }

# fill: N marked entries in the empty table (ctfill)
fill() {
	local out
	out=$(in_ns "$BENCH_DIR/ctfill" --count "$ENTRIES" --mark "$MARK" \
		--quiet) || { log "cli.sh: ctfill: $out"; return 1; }
	FILL_LINE=$out
	[ "$(in_ns conntrack -C)" = "$ENTRIES" ] ||
		{ log "cli.sh: $(in_ns conntrack -C) entries after ctfill, wanted $ENTRIES"; return 1; }
}
# ct_shown ARGS...: how many entries conntrack -L ARGS lists
ct_shown() {
	in_ns conntrack -L "$@" 2>&1 >/dev/null |
		sed -n 's/.* \([0-9]*\) flow entries have been shown.*/\1/p'
}

_flows_are() { [ "$(fc_stat "d['table']['flows']")" = "$1" ]; }
_events_past() { [ "$(fc_stat "d['conntrack']['events']")" -ge "$1" ]; }
# settle RUN EVENTS: wait until the daemon has read EVENTS events in all,
# then record the time since the flush began (TIMED_T0) as RUN's settled
settle() {
	if ! wait_for "$SETTLE_WAIT" _events_past "$2"; then
		run_fail "$1" "the daemon read $(fc_stat "d['conntrack']['events']") conntrack events in $SETTLE_WAIT s, not $2"
		return 1
	fi
	rec "$1" settled_s "$(awk -v a="$TIMED_T0" -v b="$(now_us)" 'BEGIN { printf "%.4f", (b - a) / 1e6 }')"
}
# grew RUN KEY BEFORE: the daemon's conntrack.KEY went up by N since
# BEFORE
grew() {
	local now
	now=$(fc_stat "d['conntrack']['$2']")
	[ $((now - $3)) = "$ENTRIES" ] ||
		run_fail "$1" "the daemon's conntrack.$2 went up by $((now - $3)), not $ENTRIES"
}
# mark_all: the daemon's mark on every entry again (untimed), and the
# daemon has read the updates
mark_all() {
	local e0 n out
	e0=$(fc_stat "d['conntrack']['events']")
	out=$(ct_marks "$MARK") || { log "cli.sh: marking again: $out"; return 1; }
	n=$(ct_shown -m "$MARK/$MASK")
	[ "$n" = "$ENTRIES" ] || { log "cli.sh: $n entries marked again, not $ENTRIES"; return 1; }
	wait_for "$SETTLE_WAIT" _events_past $((e0 + ENTRIES)) ||
		{ log "cli.sh: the daemon did not read the marking's events"; return 1; }
}
# refill: the table filled again after a delete stage, and mirrored
refill() {
	wait_for "$SETTLE_WAIT" _flows_are 0 ||
		{ log "cli.sh: the mirror kept $(fc_stat "d['table']['flows']") flows of a deleted table"; return 1; }
	fill && wait_for "$SETTLE_WAIT" _flows_are "$ENTRIES" ||
		{ log "cli.sh: the mirror has $(fc_stat "d['table']['flows']") flows after the refill, not $ENTRIES"; return 1; }
}

# ct_marks MARK: the bits of MASK in every entry's mark set to MARK's
ct_marks() {
	in_ns "$BENCH_DIR/ctfill" --count "$ENTRIES" --update --mark "$1" \
		--mark-mask "$MASK" --quiet
}

# timed RUN CALLS CMD...: CMD (a command or a function) CALLS times,
# stdout to /dev/null; records the median wall clock of a call, every
# call's, and the daemon's CPU per call. TIMED_T0: when the first began.
timed() {
	local r=$1 calls=$2 t0 c0 all="" s
	shift 2
	rec "$r" idle_pct_before "$(wait_quiet)"
	c0=$(cpu_ticks "$DAEMON_PID")
	TIMED_T0=$(now_us)
	for _ in $(seq 1 "$calls"); do
		t0=$(now_us)
		if ! "$@" >/dev/null 2>"$T/$r.err"; then
			run_fail "$r" "$* failed: $(tail -1 "$T/$r.err")"
			return 1
		fi
		all="$all $(( $(now_us) - t0 ))"
	done
	s=$(echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort -n |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6f", m / 1e6 }')
	rec "$r" seconds "$s"
	rec "$r" calls "$calls"
	rec "$r" every "$(echo "$all" | awk '{ for (i = 1; i <= NF; i++) printf "%s%.4f", (i > 1 ? " " : ""), $i / 1e6 }')"
	rec "$r" cpu_s "$(awk -v a="$c0" -v b="$(cpu_ticks "$DAEMON_PID")" -v n="$calls" -v hz="$HZ" \
		'BEGIN { printf "%.5f", (b - a) / hz / n }')"
}

# shown RUN FILE ROWS: one more call's output in FILE had ROWS rows;
# records them and its size
shown() {
	rec "$1" rows "$3"
	rec "$1" bytes "$(stat -c %s "$2")"
}
# tail_count FILE: N of the last line "N flows" or "K of N flows" (K)
tail_count() { tail -1 "$1" | awk '$NF == "flows" { print $1 }'; }

stage() {	# stage NAME LABEL N: the run's record, named and labelled
	R=$1.$3
	rec "$R" stage "$1"
	rec "$R" label "$2"
	log "== $R: $2"
}

ct_list() { in_ns conntrack -L "$@"; }
refresh() {
	fc --json status && fc --json stats && fc --json zones &&
		fc flows --sort queued --limit 40 --width 160
}

run_lists() {
	local n=$1 f=$T/out c
	stage list_ct "conntrack -L" "$n"
	timed "$R" "$CALLS_BIG" ct_list && {
		c=$(ct_list 2>&1 >"$f" | sed -n 's/.* \([0-9]*\) flow entries have been shown.*/\1/p')
		shown "$R" "$f" "$c"
		[ "$c" = "$ENTRIES" ] || run_fail "$R" "conntrack -L showed $c entries, not $ENTRIES"
	}
	stage list_fc "flowcachectl flows" "$n"
	timed "$R" "$CALLS_BIG" fc flows && {
		fc flows >"$f"
		c=$(tail_count "$f")
		shown "$R" "$f" "$c"
		[ "$c" = "$ENTRIES" ] && [ "$(wc -l <"$f")" = $((ENTRIES + 2)) ] ||
			run_fail "$R" "flows: '$(tail -1 "$f")', $(wc -l <"$f") lines, not $ENTRIES flows"
	}
	stage list_json "flowcachectl --json flows" "$n"
	timed "$R" "$CALLS_BIG" fc --json flows && {
		fc --json flows >"$f"
		c=$(json_get 'len(d["flows"])' <"$f")
		shown "$R" "$f" "$c"
		[ "$c" = "$ENTRIES" ] || run_fail "$R" "flows --json: $c flows, not $ENTRIES"
	}
	stage list_long "flowcachectl flows --long" "$n"
	timed "$R" "$CALLS_BIG" fc flows --long && {
		fc flows --long >"$f"
		c=$(tail_count "$f")
		shown "$R" "$f" "$c"
		[ "$c" = "$ENTRIES" ] && [ "$(wc -l <"$f")" = $((ENTRIES + 1)) ] ||
			run_fail "$R" "flows --long: '$(tail -1 "$f")', $(wc -l <"$f") lines, not $ENTRIES flows"
	}
}

# filtered NAME_CT NAME_FC N "CONNTRACK ARGS" "FLOWS ARGS": both list the
# same entries
filtered() {
	local n=$3 f=$T/out ct fcn
	# shellcheck disable=SC2086
	{
	stage "$1" "conntrack -L $4" "$n"
	timed "$R" "$CALLS_SMALL" ct_list $4 && {
		ct=$(ct_list $4 2>&1 >"$f" | sed -n 's/.* \([0-9]*\) flow entries have been shown.*/\1/p')
		shown "$R" "$f" "$ct"
	}
	stage "$2" "flowcachectl flows $5" "$n"
	timed "$R" "$CALLS_SMALL" fc flows $5 && {
		fc flows $5 >"$f"
		fcn=$(tail_count "$f")
		shown "$R" "$f" "$fcn"
		[ -n "$ct" ] && [ "$fcn" = "$ct" ] && [ "$ct" -gt 0 ] ||
			run_fail "$R" "flows $5 showed ${fcn:-?} flows, conntrack -L $4 ${ct:-?}"
	}
	}
}

run_top() {
	local n=$1 f=$T/out
	stage top_fc "flowcachectl flows --sort queued --limit 40 --width 160" "$n"
	timed "$R" "$CALLS_SMALL" fc flows --sort queued --limit 40 --width 160 && {
		fc flows --sort queued --limit 40 --width 160 >"$f"
		shown "$R" "$f" "$(tail_count "$f")"
		tail -1 "$f" | grep -qx "40 of $ENTRIES flows" ||
			run_fail "$R" "the top 40: '$(tail -1 "$f")'"
	}
	stage refresh_fc "watch's refresh: --json status, stats, zones; the top 40" "$n"
	timed "$R" "$CALLS_SMALL" refresh && {
		refresh >"$f"
		shown "$R" "$f" "$(tail_count "$f")"
		tail -1 "$f" | grep -qx "40 of $ENTRIES flows" ||
			run_fail "$R" "the refresh's top 40: '$(tail -1 "$f")'"
	}
}

run_counters() {
	local n=$1 f=$T/out c
	stage count_ct "conntrack -C" "$n"
	timed "$R" "$CALLS_SMALL" in_ns conntrack -C && {
		c=$(in_ns conntrack -C)
		[ "$c" = "$ENTRIES" ] || run_fail "$R" "conntrack -C: $c"
	}
	stage stats_ct "conntrack -S" "$n"
	timed "$R" "$CALLS_SMALL" in_ns conntrack -S && {
		in_ns conntrack -S >"$f"
		shown "$R" "$f" "$(wc -l <"$f")"
	}
	stage stats_fc "flowcachectl --json stats" "$n"
	timed "$R" "$CALLS_SMALL" fc --json stats && {
		fc --json stats >"$f"
		c=$(json_get "d['table']['flows']" <"$f")
		shown "$R" "$f" 1
		[ "$c" = "$ENTRIES" ] || run_fail "$R" "stats: $c flows, not $ENTRIES"
	}
}

# flush_check RUN: every entry is there and has none of the daemon's bits
flush_check() {
	local c
	c=$(ct_shown -m "0/$MASK")
	[ "$c" = "$ENTRIES" ] || run_fail "$1" "$c of $ENTRIES entries without the daemon's mark bits after it"
}
run_marks() {
	local n=$1 e0 m0
	stage mark_fc "flowcachectl flush" "$n"
	e0=$(fc_stat "d['conntrack']['events']")
	m0=$(fc_stat "d['conntrack']['marked']")
	if timed "$R" 1 fc --json flush; then
		settle "$R" $((e0 + ENTRIES))
		rec "$R" rows "$ENTRIES"
		grew "$R" marked "$m0"
		flush_check "$R"
	fi
	mark_all || die "the table could not be marked again"

	stage mark_cf "bench/ctfill --update --mark 0 --mark-mask $MASK" "$n"
	e0=$(fc_stat "d['conntrack']['events']")
	if timed "$R" 1 ct_marks 0; then
		settle "$R" $((e0 + ENTRIES))
		rec "$R" rows "$ENTRIES"
		flush_check "$R"
	fi
	mark_all || die "the table could not be marked again"
}

# deleted NAME LABEL N CMD...: a stage that empties the table, then the
# table made again
deleted() {
	local name=$1 label=$2 n=$3 e0 d0
	shift 3
	stage "$name" "$label" "$n"
	e0=$(fc_stat "d['conntrack']['events']")
	d0=$(fc_stat "d['conntrack']['deleted']")
	if timed "$R" 1 "$@"; then
		settle "$R" $((e0 + ENTRIES))
		rec "$R" rows "$ENTRIES"
		[ "$name" != del_fc ] || grew "$R" deleted "$d0"
		[ "$(in_ns conntrack -C)" = 0 ] ||
			run_fail "$R" "$(in_ns conntrack -C) entries left"
	fi
	refill || die "the table could not be made again"
}
run_deletes() {
	deleted del_fc "flowcachectl flush --conntrack" "$1" fc --json flush --conntrack
	deleted del_ct "conntrack -D" "$1" in_ns conntrack -D
	deleted del_cf "bench/ctfill --delete" "$1" \
		in_ns "$BENCH_DIR/ctfill" --count "$ENTRIES" --delete --quiet
	deleted flush_ct "conntrack -F" "$1" in_ns conntrack -F
}

# --- the table and the daemon ---------------------------------------------

ip netns add "$NS" || die "cannot create a namespace"
_namespaces="$_namespaces $NS"
ip -n "$NS" link set lo up || die "lo in $NS"
ct_max_raise $((ENTRIES + ENTRIES / 10 + 1000)) ||
	die "cannot raise the host's nf_conntrack_max"

daemon_prepare
sed -i 's/^\([[:space:]]*managed[[:space:]]*=[[:space:]]*\)true;/\1false;/' "$T/flowcached.conf"
"$T/flowcached" -t -c "$T/flowcached.conf" >"$T/conf-check.log" 2>&1 ||
	{ cat "$T/conf-check.log" >&2; die "configuration refused"; }
daemon_start "$NS" || die "flowcached did not start"
# The daemon first: with nf_conntrack_events = 2 (the default) an entry
# made while nobody listens has no event cache and never reports its
# mark changes, so the flushes' events could not be waited for.
log "== table: $ENTRIES entries (ctfill), mark $MARK"
fill || die "the table could not be made"
wait_for "$SETTLE_WAIT" _flows_are "$ENTRIES" ||
	die "the mirror has $(fc_stat "d['table']['flows']") flows, not $ENTRIES"

# ~1% of the entries: a prefix over the first 2^k indexes, of which 3/8
# are IPv4 UDP (bench/ctfill.c)
k=0
while [ $((1 << (k + 1))) -le $((ENTRIES / 32)) ]; do k=$((k + 1)); done
PFX=10.0.0.0/$((32 - k))
# one UDP source port: that of the first UDP flow the daemon lists
PORT=$(fc --json flows --proto udp --limit 1 | json_get 'd["flows"][0]["orig"]["sport"]') ||
	die "no UDP flow to take a port from"
rec table fill "$FILL_LINE"
rec table prefix "$PFX"
rec table port "$PORT"
rec table elsewhere "$(cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)"

for n in $(seq 1 "$REPEAT"); do
	run_lists "$n"
	filtered src_ct src_fc "$n" "-p udp -s $PFX" "--proto udp --src $PFX"
	filtered port_ct port_fc "$n" "-p udp --sport $PORT" "--proto udp --port $PORT"
	run_top "$n"
	run_counters "$n"
	run_marks "$n"
	run_deletes "$n"
done
alive "$DAEMON_PID" || run_fail daemon "flowcached exited: $(tail -1 "$T/daemon.log")"

python3 -B - "$BENCH_DIR" "$T" "$ENTRIES" "$REPEAT" "$CALLS_BIG" \
	"$CALLS_SMALL" "${JSON_OUT:-}" <<'PY'
import json, os, sys

sys.path.insert(0, sys.argv[1])
from report import load, load_runs, stage_medians

T, entries, repeat, calls_big, calls_small, json_out = sys.argv[2:]
entries = int(entries)


def f(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def row(run, kv):
    return {"run": run, "stage": kv.get("stage"), "label": kv.get("label"),
            "error": kv.get("error"), "seconds": f(kv.get("seconds")),
            "cpu_s": f(kv.get("cpu_s")), "rows": f(kv.get("rows")),
            "bytes": f(kv.get("bytes")), "settled_s": f(kv.get("settled_s")),
            "idle": f(kv.get("idle_pct_before")), "every": kv.get("every", "")}


table = load(os.path.join(T, "table.kv"))
runs = {k: v for k, v in load_runs(T, row).items() if v["stage"]}
# stage, its peer: the ratio is seconds / the peer's seconds
ORDER = [("listing", [("list_ct", None), ("list_fc", "list_ct"),
                      ("list_json", "list_ct"), ("list_long", "list_ct")]),
         ("filtered listing, ~1%", [("src_ct", None), ("src_fc", "src_ct")]),
         ("filtered listing, one port", [("port_ct", None),
                                         ("port_fc", "port_ct")]),
         ("watch, once a second", [("top_fc", "list_json"),
                                   ("refresh_fc", "list_json")]),
         ("counters", [("count_ct", None), ("stats_ct", None),
                       ("stats_fc", "stats_ct")]),
         ("flush: the daemon's mark bits cleared in every entry",
          [("mark_cf", None), ("mark_fc", "mark_cf")]),
         ("flush --conntrack: every entry deleted",
          [("del_ct", None), ("del_cf", "del_ct"), ("flush_ct", "del_ct"),
           ("del_fc", "del_ct")])]
stages = [s for _, g in ORDER for s, _ in g]
med = stage_medians(runs, stages,
                    ("seconds", "cpu_s", "rows", "bytes", "settled_s"))

print()
print("operator tools: %d entries in zones 0..3 (%s)" % (entries, table.get("fill", "")))
print("filters: -s/--src %s, --sport/--port %s; %s repeat(s), medians; "
      "calls a repeat: %s (listings), %s (small), 1 (flushes)" % (
          table.get("prefix"), table.get("port"), repeat, calls_big,
          calls_small))
print("entries in the init namespace: %s" % table.get("elsewhere"))
hdr = "%-58s %9s %8s %9s %8s %9s %9s" % (
    "command", "seconds", "x peer", "daemon_s", "rows", "out_KiB",
    "settled_s")
for title, group in ORDER:
    print()
    print("%s:" % title)
    print(hdr)
    print("-" * len(hdr))
    for s, peer in group:
        m = med.get(s)
        if not m:
            continue
        if m.get("error"):
            print("%-58s FAILED: %s" % (m["label"][:58], m["error"]))
            continue
        p = med.get(peer) if peer else None
        ratio = ("%.2f" % (m["seconds"] / p["seconds"])
                 if p and not p.get("error") and p.get("seconds") else "-")
        g = lambda k, fmt, scale=1: (fmt % (m[k] / scale)
                                     if m.get(k) is not None else "-")
        print("%-58s %9s %8s %9s %8s %9s %9s" % (
            m["label"][:58], g("seconds", "%.4f"), ratio,
            g("cpu_s", "%.4f"), g("rows", "%.0f"), g("bytes", "%.0f", 1024),
            g("settled_s", "%.3f")))
print()
print("seconds: wall clock of one call, median; x peer: over the peer's "
      "(list_ct, src_ct,\nport_ct: conntrack -L with the same filter; "
      "top/refresh: flows --json; stats:\nconntrack -S; flush: ctfill "
      "--update; --conntrack: conntrack -D); daemon_s: flowcached's\nCPU per "
      "call (utime + stime, %s Hz ticks); settled_s: from the start of a "
      "flush\nuntil the daemon had read the events it caused." % (
          os.sysconf("SC_CLK_TCK")))
for s, what in (("mark_cf", "marks cleared"), ("mark_fc", "marks cleared"),
                ("del_ct", "entries deleted"), ("del_cf", "entries deleted"),
                ("flush_ct", "entries deleted"),
                ("del_fc", "entries deleted")):
    m = med.get(s)
    if m and not m.get("error") and m.get("seconds"):
        print("%-12s %10.0f %s/s" % (s, entries / m["seconds"], what))
failed = [r for r in runs.values() if r["error"]]
for r in failed:
    print("%s FAILED: %s" % (r["run"], r["error"]))
if json_out:
    with open(json_out, "w") as fh:
        json.dump({"benchmark": "cli", "entries": entries, "table": table,
                   "runs": runs, "median": med}, fh, indent=1)
sys.exit(1 if failed else 0)
PY
rc=$?
[ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
exit $rc

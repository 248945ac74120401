#!/bin/bash
# Metrics scrape benchmark: what one scrape of the Prometheus page costs
# the daemon, against `flowcachectl --json stats`, with N flows in the
# table; so the result is a ratio:
#
#   [ns fcb-metrics-PID-t]  lo only; N conntrack entries made by
#                           bench/ctfill (zones 0..3, 1/4 IPv6), learnt
#                           by flowcached's first dump
#     flowcached   conf/flowcached.conf with the control socket in a temp
#                  folder, ruleset.managed = false, the table cap at
#                  least 1.05 N,
#                  metrics = { listen = "127.0.0.1:9530"; }
#     scrape       GET /metrics over TCP, read to the end (the daemon
#                  closes): from connect to close, in one Python process
#     stats        "stats --json" over the control socket, read to the end,
#                  the same way: no process start-up in either figure
#
# Both walk the flow table once for its chain lengths; the scrape renders
# more families, stats the JSON of the same counters. Each repeat times
# one scrape and one stats request, alternating; the summary prints the
# medians, their ratio (scrape / stats) and the page's size. Also checks
# that the page reports the N flows.
#
# Usage: bench/metrics.sh [--smoke] [--entries N] [--repeat R] [--keep]
#   --smoke        N = 20000, 20 repeats (CI; a few seconds)
#   --entries N    entries in the table (100000)
#   --repeat R     requests of each kind (100)
# Exit: 0 done, 1 something failed, 2 usage, 77 cannot run here (not
# root, no conntrack tools).

ENTRIES=100000
REPEAT=100
KEEP_REQ=0
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) ENTRIES=20000; REPEAT=20 ;;
	--entries) ENTRIES=${2:-}; shift ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--keep) KEEP_REQ=1 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "metrics.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

. "$(dirname "$0")/lib.sh"
arg_range --entries "$ENTRIES" 1 4000000
arg_range --repeat "$REPEAT" 1 1000
KEEP=$KEEP_REQ
command -v conntrack >/dev/null ||
	{ log "metrics.sh: no conntrack(8) (apt-get install conntrack): skipped"; exit 77; }
ct_setup

NS=fcb-metrics-$$-t
ip netns add "$NS" || die "cannot create a namespace"
_namespaces="$_namespaces $NS"
ip -n "$NS" link set lo up || die "lo"
ct_max_raise $((ENTRIES + ENTRIES / 10 + 1000)) ||
	die "cannot raise the host's nf_conntrack_max"
out=$(ip netns exec "$NS" "$BENCH_DIR/ctfill" --count "$ENTRIES" --quiet) ||
	die "ctfill: $out"

daemon_prepare
cf=$T/flowcached.conf
sed -i 's/^\([[:space:]]*managed[[:space:]]*=[[:space:]]*\)true;/\1false;/' "$cf"
# the shipped table cap must hold the table, with room
max=$(awk '/^table[[:space:]]*=/ { t = 1 } t && /max_flows/ {
	gsub(/[^0-9]/, "", $3); print $3; exit }' "$cf")
if [ -n "$max" ] && [ "$max" -lt $((ENTRIES + ENTRIES / 20)) ]; then
	sed -i "/^table[[:space:]]*=/,/}/ s/max_flows = [0-9]*;/max_flows = $((ENTRIES * 2));/" "$cf"
fi
conntrack_rcvbuf "$cf" 67108864
printf '\nmetrics = { listen = "127.0.0.1:9530"; };\n' >>"$cf"
"$T/flowcached" -t -c "$cf" >"$T/conf-check.log" 2>&1 ||
	{ cat "$T/conf-check.log" >&2; die "configuration refused"; }
daemon_start "$NS" || die "flowcached did not start"
learnt() { [ "$(ctl --json stats | json_get "d['table']['flows']")" -ge "$ENTRIES" ]; }
wait_for 60 learnt || die "the mirror did not learn the $ENTRIES entries"

ip netns exec "$NS" python3 - "$SOCK" "$REPEAT" "$ENTRIES" >"$T/times.txt" <<'PY' ||
import socket, statistics, sys, time

sock, repeat, entries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def read_all(s):
    parts = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            return b"".join(parts)
        parts.append(b)

def scrape():
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", 9530))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
    page = read_all(s)
    s.close()
    return time.perf_counter() - t, page

def stats():
    t = time.perf_counter()
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"stats --json\n")
    body = read_all(s)
    s.close()
    return time.perf_counter() - t, body

ts, tj = [], []
for _ in range(repeat):
    t, page = scrape()
    ts.append(t)
    t, body = stats()
    tj.append(t)
head, _, text = page.partition(b"\r\n\r\n")
if not head.startswith(b"HTTP/1.1 200"):
    sys.exit("scrape: " + head.split(b"\r\n")[0].decode())
flows = [l for l in text.decode().splitlines()
         if l.startswith("flowcached_table_flows ")]
if not flows or int(flows[0].split()[1]) < entries:
    sys.exit("the page does not show the %d flows: %s" % (entries, flows))
ms, mj = statistics.median(ts) * 1e3, statistics.median(tj) * 1e3
print("scrape_ms=%.3f stats_ms=%.3f ratio=%.2f page_bytes=%d json_bytes=%d"
      % (ms, mj, ms / mj, len(text), len(body)))
PY
	die "timing failed: $(cat "$T/times.txt")"

line=$(cat "$T/times.txt")
kv() { echo " $line" | sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p"; }
echo "metrics.sh: $ENTRIES flows, $REPEAT requests of each kind, medians:"
printf '  %-30s %8s ms  (%s bytes)\n' "scrape (GET /metrics)" "$(kv scrape_ms)" "$(kv page_bytes)"
printf '  %-30s %8s ms  (%s bytes)\n' "flowcachectl --json stats" "$(kv stats_ms)" "$(kv json_bytes)"
echo "  scrape / stats: $(kv ratio)"

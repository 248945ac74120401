#!/bin/bash
# A (re)started daemon rebuilds its table from the kernel: 100,000
# conntrack entries exist before flowcached starts; after the first dump
# the mirror equals conntrack -L, and every entry whose ct mark carries
# the decided bit (the lowest bit of marks.mask: 0x00010000) shows that
# mark, so no decision is lost. Then kill -9, change the table while
# nobody listens, start again: equal again. Last, 13,333 entries the
# daemon learnt only from its dump (created before anyone listened) are
# deleted: the mirror must follow. KERNEL-FACTS.md says such entries may
# die without a DESTROY event (nf_conntrack_events=2); on 6.18 here the
# events do come, for ctnetlink deletes and for timeouts alike, so the
# periodic resync (resync_interval = 5) is only the backstop; the test
# prints which of the two removed them.
#
#   [main: flowcached -f, ruleset unmanaged; 100,000 entries before start]
#
# Prints the first dump's duration (stats.conntrack.sync_ms) as
# "# sync_ms=N".
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }

NS=$(ns_create main) || exit 99
ct_max_at_least "$NS" 120000 ||
	{ echo "nf_conntrack_max below 120,000: skipped"; exit 77; }

cat >"$T/flowcached.conf" <<EOF
ruleset = { managed = false; };
conntrack = { rcvbuf = 33554432; resync_interval = 5; };
control = { socket = "$SOCK"; };
EOF

# entries FILE FIRST COUNT ZONES...: COUNT -I lines numbered from FIRST,
# spread over ZONES; TCP, UDP, ICMP and a tenth IPv6; a fifth carry a
# decided mark (some with bits outside the daemon's mask), a tenth
# another tool's mark without the decided bit
entries() {
	python3 - "$@" <<'PY'
import sys
path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
zones = [int(z) for z in sys.argv[4:]]
with open(path, "w") as fh:
    for i in range(first, first + count):
        z = zones[i % len(zones)]
        a, b, c = i >> 16 & 255, i >> 8 & 255, i & 255
        if i % 5 == 0:
            mark = (0x00110000, 0x00210000, 0x80ff0001 | 0x00010000)[i // 5 % 3]
        elif i % 10 == 1:
            mark = 0x0000beef
        else:
            mark = 0
        tail = " -t 3600 -w %d -m 0x%x" % (z, mark)
        if i % 10 == 9:
            print("-I -s fd00::%x:%x -d fd99::1 -p udp --sport %d --dport 53%s"
                  % (i >> 16, i & 0xffff, 1024 + i % 60000, tail), file=fh)
        elif i % 10 == 8:
            print("-I -s 10.%d.%d.%d -d 10.99.0.1 -p icmp --icmp-type 8 "
                  "--icmp-code 0 --icmp-id %d%s" % (a + 100, b, c, i & 0xffff, tail),
                  file=fh)
        elif i % 2:
            print("-I -s 10.%d.%d.%d -d 10.99.0.1 -p udp --sport %d --dport 53%s"
                  % (a, b, c, 1024 + i % 60000, tail), file=fh)
        else:
            print("-I -s 10.%d.%d.%d -d 10.99.0.1 -p tcp --sport %d --dport 443 "
                  "--state ESTABLISHED%s" % (a, b, c, 1024 + i % 60000, tail),
                  file=fh)
PY
}

# decided_agree: the flows with the decided bit in their mark are
# exactly the kernel's (from the last mirror_compare), and there are
# some; prints how many
decided_agree() {
	python3 - "$T/kernel.txt" "$T/flows.json" <<'PY'
import json, re, sys
kernel = sum(1 for l in open(sys.argv[1])
             if int(re.search(r" mark=(\d+)", l).group(1)) & 0x00010000)
flows = sum(1 for f in json.load(open(sys.argv[2]))["flows"]
            if f["mark"] & 0x00010000)
print("# decided marks: kernel %d, flows %d" % (kernel, flows))
sys.exit(0 if kernel == flows and kernel > 0 else 1)
PY
}

# start_synced NAME EXPECTED: start the daemon on the present table,
# wait until it holds EXPECTED flows, print sync_ms
start_synced() {
	local t0 t1
	t0=$(date +%s%N)
	start_daemon "$NS" || { fail "$1: daemon answers"; return 1; }
	check "$1: the daemon holds all $2 flows" wait_secs 60 mirror_count_is "$2"
	t1=$(date +%s%N)
	echo "# sync_ms=$(stats_get "['conntrack']['sync_ms']")" \
		"(start to full table: $(((t1 - t0) / 1000000)) ms)"
}

entries "$T/first.txt" 0 100000 0 10 20 || exit 99
ct_load "$NS" "$T/first.txt"
check "conntrack -R created 100,000 entries" [ "$(ct_count "$NS")" -eq 100000 ]

# --- first start -------------------------------------------------------
start_synced "start" 100000
mirror_settles "after the first dump the mirror equals conntrack -L" "$NS" 60
mirror_compare "$NS" "" --state --ids
check "states and conntrack ids agree too" [ $? -eq 0 ]
grep -v '^zone\|^equal' "$T/compare.out" | sed 's/^/# /'
check "the decided marks survive in the mirror" decided_agree
ctl --json stats >"$T/stats.json"
check "one dump read every entry" [ "$(json_get "$T/stats.json" \
	"int(d['conntrack']['dumps'] >= 1 and d['conntrack']['dump_entries'] >= 100000)")" = 1 ]

# --- kill -9, change the table, start again ----------------------------
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
# while nobody listens: zone 10's UDP entries go (IPv4 and IPv6), 10,000
# new ones arrive in zone 30
ct "$NS" -D -w 10 -p udp >/dev/null
ct "$NS" -D -f ipv6 -w 10 -p udp >/dev/null
entries "$T/second.txt" 100000 10000 30 || exit 99
ct_load "$NS" "$T/second.txt"
expected=$(ct_count "$NS")
echo "# the table now holds $expected entries"
check "zone 10 lost its UDP entries, zone 30 gained 10,000" \
	[ "$expected" -gt 85000 -a "$expected" -lt 100000 ]

start_synced "restart" "$expected"
mirror_settles "after the restart the mirror equals conntrack -L" "$NS" 60
mirror_compare "$NS" "" --state --ids
check "states and conntrack ids agree too" [ $? -eq 0 ]
grep -v '^zone\|^equal' "$T/compare.out" | sed 's/^/# /'
check "the decided marks survive the restart" decided_agree
check "zones --json: zone 30 holds 10,000" [ "$(zone_get 30 flows)" = 10000 ]

# --- entries learnt from the dump die ------------------------------------
ctl --json stats >"$T/before.json"
ct "$NS" -D -w 20 -p tcp >/dev/null
left=$(ct_count "$NS")
echo "# deleted $((expected - left)) zone 20 TCP entries that predate the daemon"
mirror_settles "entries learnt from the dump die in the mirror too" "$NS" 20
ctl --json stats >"$T/after.json"
echo "# destroy events for them: $(($(json_get "$T/after.json" "d['conntrack']['destroy']") - $(json_get "$T/before.json" "d['conntrack']['destroy']"))), resyncs: $(($(json_get "$T/after.json" "d['conntrack']['resyncs']") - $(json_get "$T/before.json" "d['conntrack']['resyncs']"))), swept: $(($(json_get "$T/after.json" "d['conntrack']['swept']") - $(json_get "$T/before.json" "d['conntrack']['swept']")))"
check "the daemon is still running" alive "$DAEMON_PID"

finish

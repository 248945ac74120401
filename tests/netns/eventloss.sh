#!/bin/bash
# Lost conntrack events: with a 4 KiB event socket buffer, bursts of
# thousands of NEW and DESTROY events overrun it (the kernel reports
# ENOBUFS once and drops the rest); the daemon must notice, resync from a
# dump, sweep what is gone, and end up equal to conntrack -L.
#
#   [main: flowcached -f, ruleset unmanaged, conntrack.rcvbuf = 4096]
#
# resync_interval = 0, so that only the overrun can start a resync.
# Bursts: 20,000 inserts (conntrack -R), then 10,000 deletes (three
# conntrack -D by prefix), then inserts into a new zone while a whole
# zone is deleted.
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }

NS=$(ns_create main) || exit 99
ct_max_at_least "$NS" 30000 || { echo "nf_conntrack_max below 30,000: skipped"; exit 77; }

cat >"$T/flowcached.conf" <<EOF
ruleset = { managed = false; };
conntrack = { rcvbuf = 4096; resync_interval = 0; };
control = { socket = "$SOCK"; };
EOF
start_daemon "$NS" || { fail "daemon answers"; finish; }
pass "daemon up with a 4 KiB event buffer"

# entries ZONE COUNT FILE: COUNT -I lines in ZONE, TCP and UDP, sources
# 10.ZONE.x.y (even) and 10.ZONE+1.x.y (odd, deleted later)
entries() {
	python3 - "$@" <<'PY'
import sys
zone, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(path, "w") as fh:
    for n in range(count):
        src = "10.%d.%d.%d" % (zone + n % 2, n >> 8 & 255, n & 255)
        if n % 3:
            p = "-p tcp --sport %d --dport 80 --state ESTABLISHED" % (1024 + n % 60000)
        else:
            p = "-p udp --sport %d --dport 53" % (1024 + n % 60000)
        print("-I -s %s -d 10.99.0.1 %s -t 3600 -w %d -m 0x%x"
              % (src, p, zone, n % 7), file=fh)
PY
}
cstat() { stats_get "['conntrack']['$1']"; }
# cstat_ge NAME N: conntrack counter NAME is at least N
cstat_ge() { local v; v=$(cstat "$1" 2>/dev/null) && [ "${v:-0}" -ge "$2" ] 2>/dev/null; }

# --- a burst of 20,000 NEW events --------------------------------------
entries 0 8000 "$T/z0.txt" && entries 10 6000 "$T/z10.txt" &&
	entries 20 6000 "$T/z20.txt" || exit 99
cat "$T/z0.txt" "$T/z10.txt" "$T/z20.txt" >"$T/burst1.txt"
ct_load "$NS" "$T/burst1.txt"
check "conntrack -R created 20,000 entries" [ "$(ct_count "$NS")" -eq 20000 ]
check "the overrun is seen (conntrack.enobufs >= 1)" \
	wait_secs 10 cstat_ge enobufs 1
check "and answered with a resync (conntrack.resyncs >= 1)" \
	wait_secs 10 cstat_ge resyncs 1
echo "# after the inserts: events $(cstat events), enobufs $(cstat enobufs), resyncs $(cstat resyncs)"
mirror_settles "after 20,000 lost-event inserts the mirror equals conntrack -L" "$NS" 30

# --- a burst of 10,000 DESTROY events ----------------------------------
resyncs=$(cstat resyncs); resyncs=${resyncs:-0}
for z in 0 10 20; do
	ct "$NS" -D -w $z -s 10.$((z + 1)).0.0/16 >/dev/null
done
check "conntrack -D deleted 10,000" [ "$(ct_count "$NS")" -eq 10000 ]
check "the lost DESTROY events start another resync" \
	wait_secs 10 cstat_ge resyncs $((resyncs + 1))
mirror_settles "after 10,000 lost-event deletes the mirror equals conntrack -L" "$NS" 30

# --- inserts and deletes at once ---------------------------------------
entries 30 10000 "$T/z30.txt" || exit 99
resyncs=$(cstat resyncs); resyncs=${resyncs:-0}
ct "$NS" -D -w 10 -s 10.10.0.0/16 >/dev/null &
ct_load "$NS" "$T/z30.txt"
wait $!
check "zone 10 emptied while 10,000 entries went into zone 30" \
	[ "$(ct_count "$NS")" -eq 17000 ]
check "and the overrun starts a resync again" \
	wait_secs 10 cstat_ge resyncs $((resyncs + 1))
mirror_settles "after both the mirror equals conntrack -L" "$NS" 30
check "zones --json: zone 10 is empty" [ "$(zone_get 10 flows)" = 0 ]
check "zones --json: zone 30 holds 10,000" [ "$(zone_get 30 flows)" = 10000 ]

ctl --json stats >"$T/stats.json"
echo "# conntrack: $(json_get "$T/stats.json" "d['conntrack']")"
echo "# table: swept $(json_get "$T/stats.json" "d['table']['swept']"), flows $(json_get "$T/stats.json" "d['table']['flows']")"
check "every resync dumped the table" [ "$(json_get "$T/stats.json" \
	"int(d['conntrack']['dumps'] >= d['conntrack']['resyncs'] >= 3)")" = 1 ]
check "the daemon is still running" alive "$DAEMON_PID"

finish

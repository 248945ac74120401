#!/bin/bash
# Crafted tuples must not degrade the flow table: 200,000 conntrack
# entries whose tuples differ as little as an attacker can make them
# differ, mirrored by the daemon; its chains stay short (longest <= 8)
# while the table grows from empty to 200,000, and it shrinks back when
# they are gone.
#
#   [main: flowcached -f, ruleset unmanaged]
#
# 100,000 entries share both addresses and walk the ports in arithmetic
# progression (sport up, dport down: constant sum, TCP and UDP);
# 100,000 come from sources spread over 10.0.0.0/8 (step 167) to one
# address and port. Prints table.buckets, table.load and the chain
# histogram as # lines.
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }

NS=$(ns_create main) || exit 99
ct_max_at_least "$NS" 220000 ||
	{ echo "nf_conntrack_max below 220,000: skipped"; exit 77; }

cat >"$T/flowcached.conf" <<EOF
ruleset = { managed = false; };
conntrack = { rcvbuf = 33554432; };
control = { socket = "$SOCK"; };
EOF
start_daemon "$NS" || { fail "daemon answers"; finish; }

python3 - "$T/flood.txt" <<'PY' || exit 99
import sys
with open(sys.argv[1], "w") as fh:
    for proto in ("tcp --state ESTABLISHED", "udp"):
        p, _, state = proto.partition(" ")
        for k in range(50000):
            print("-I -s 10.1.1.1 -d 10.2.2.2 -p %s --sport %d --dport %d %s -t 3600"
                  % (p, 1000 + k, 60000 - k, state), file=fh)
    base = 10 << 24
    for k in range(100000):
        a = base + 1 + k * 167
        print("-I -s %d.%d.%d.%d -d 192.0.2.1 -p tcp --sport 40000 --dport 443 "
              "--state ESTABLISHED -t 3600"
              % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255), file=fh)
PY
table() { stats_get "['table']['$1']"; }
# resizing may be a flag or a count of buckets left to move
not_resizing() { case "$(table resizing)" in False|false|0) return 0;; esac; return 1; }
fewer_buckets() { [ "$(table buckets)" -lt "$1" ] 2>/dev/null; }
show() {
	ctl --json stats >"$T/stats.json" || return
	echo "# $1: $(json_get "$T/stats.json" "', '.join('%s %s' % (k, d['table'][k]) for k in ('flows', 'buckets', 'load', 'longest_chain', 'grows', 'shrinks', 'rehashes', 'resizing', 'chain_too_long'))")"
	echo "# keys 0..7 and 8+ buckets past their first: $(json_get "$T/stats.json" "d['table']['chains']")"
}
# histogram_adds_up: one count per stored key (one a flow, none of these
# is NAT'ed), and the longest chain is where the last nonzero count is
histogram_adds_up() {
	[ "$(json_get "$T/stats.json" "int(sum(d['table']['chains']) == d['table']['flows'] and \
		max(i for i, n in enumerate(d['table']['chains']) if n) + 1 == min(d['table']['longest_chain'], 9))")" = 1 ]
}

ct_load "$NS" "$T/flood.txt"
check "conntrack -R created 200,000 entries" [ "$(ct_count "$NS")" -eq 200000 ]
check "the daemon holds 200,000 flows" wait_secs 60 mirror_count_is 200000
# let a resize in progress finish before judging the chains
wait_secs 10 not_resizing
show "after 200,000 crafted inserts"
longest=$(json_get "$T/stats.json" "d['table']['longest_chain']")
check "the longest chain holds at most 8 flows (it holds $longest)" \
	[ "$longest" -le 8 ]
check "the chain histogram counts every flow and ends at the longest chain" \
	histogram_adds_up
check "the table grew to hold them" [ "$(table grows)" -ge 1 ]
buckets=$(table buckets)

ct "$NS" -F >/dev/null
check "the daemon lets them all go" wait_secs 60 mirror_count_is 0
check "the table shrinks back" wait_secs 20 fewer_buckets "$buckets"
show "after the flush"
check "the daemon is still running" alive "$DAEMON_PID"

finish

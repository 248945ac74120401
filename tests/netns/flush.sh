#!/bin/bash
# flowcachectl flush: cached answers are dropped and flows decide again
# on their next packet; the kernel's entries stay (their ct marks lose
# the daemon's bits only) unless --conntrack is given.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f
#
# Zone 10 holds udp port 7000 (mark 0x00200000), zone 20 udp port 7001
# (mark 0x00400000); 8 flows each, from fixed source ports, so that the
# same 5-tuples can be sent again after a flush.
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }

router_lab || exit 99

cat >"$T/flowcached.conf" <<EOF
zones = (
  { id = 10; match = { proto = "udp"; port = 7000; }; },
  { id = 20; match = { proto = "udp"; port = 7001; }; }
);
policy = (
  { match = { zone = 10; }; mark = 0x00200000; },
  { match = { zone = 20; }; mark = 0x00400000; }
);
control = { socket = "$SOCK"; };
EOF
start_daemon "$R" || { fail "daemon answers"; finish; }

# send PORT: one datagram on each of the 8 flows to PORT
send() {
	ip netns exec "$C" python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for i in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.1.2", 30000 + i))
    s.sendto(b"flush-test", ("10.0.2.2", port))
    s.close()
PY
}
# marks ZONE: the ct marks of ZONE's entries, sorted, one line
marks() {
	ct "$R" -L -w "$1" -p udp | sed -n 's/.*mark=\([0-9]*\).*/\1/p' |
		sort | uniq -c | awk '{printf "%sx%s ", $1, $2}'
}
# 0x00210000 = 2162688, 0x00410000 = 4259840
marks_are() { [ "$(marks "$1")" = "$2" ]; }
decided_is() { [ "$(stats_get "['queues']['decided']")" = "$1" ]; }
queued_is() { [ "$(stats_get "['queues']['packets']")" = "$1" ]; }

# a bit outside marks.mask, as another tool would set it: flush keeps it
ip netns exec "$R" nft -f - <<'EOF'
table ip other {
	chain forward_marks {
		type filter hook forward priority 0;
		udp sport 30000 udp dport 7000 ct mark set ct mark | 0x1
	}
}
EOF
send 7000
send 7001
check "zone 10: 8 decided entries (0x00210000), one with 0x1" \
	wait_for 10 marks_are 10 "7x2162688 1x2162689 "
check "zone 20: 8 decided entries (0x00410000)" \
	wait_for 10 marks_are 20 "8x4259840 "

before=$(ct_count "$R")
decided0=$(stats_get "['queues']['decided']")
packets0=$(stats_get "['queues']['packets']")

ctl --json flush --zone 10 >"$T/flush10.json"
check "flush --zone 10: exit 0, valid JSON" \
	eval '[ $? -eq 0 ] && json_valid "$T/flush10.json"'
check "flush --zone 10: 8 flows, 8 ct marks cleared, none deleted" \
	[ "$(json_get "$T/flush10.json" '(d["zone"], d["flows"], d["marks_cleared"], d["conntrack_deleted"], d["errors"])')" = "(10, 8, 8, 0, 0)" ]
check "zone 10: the daemon's bits gone, the other tool's bit kept" \
	wait_for 10 marks_are 10 "7x0 1x1 "
check "zone 20: untouched" marks_are 20 "8x4259840 "
check "no conntrack entry deleted" [ "$(ct_count "$R")" = "$before" ]
ctl --json flows --zone 10 >"$T/flows10.json"
check "zone 10's flows are undecided in the mirror" \
	[ "$(json_get "$T/flows10.json" 'sum(1 for f in d["flows"] if f["mark"] & 0x00010000)')" = 0 ]
check "the flush is logged" \
	wait_for 5 grep -q "flush of zone 10: 8 flows decide again" "$T/daemon.log"

send 7000
send 7001
check "zone 10 decided again on its next packets" \
	wait_for 10 marks_are 10 "7x2162688 1x2162689 "
check "8 new decisions" wait_for 5 decided_is $((decided0 + 8))
check "8 packets queued: none of zone 20 (still on the fast path)" \
	queued_is $((packets0 + 8))

ctl flush >"$T/flush.txt"
check "flush (text): every zone, 16 flows" \
	grep -q "^16 flows flushed: 16 ct marks cleared, 0 conntrack entries deleted, 0 errors$" "$T/flush.txt"

ctl --json flush --conntrack >"$T/flushct.json"
check "flush --conntrack: 16 entries deleted" \
	[ "$(json_get "$T/flushct.json" '(d["zone"], d["flows"], d["conntrack_deleted"])')" = "(None, 16, 16)" ]
check "flush --conntrack: the kernel's entries are gone" \
	wait_for 10 eval '[ -z "$(marks 10)$(marks 20)" ]'
send 7001
check "a deleted flow starts again as a new one, decided" \
	wait_for 10 marks_are 20 "8x4259840 "

ctl flush --zone x >/dev/null 2>"$T/usage.err"
check "flush --zone x: exit 2, says why" \
	eval "[ $? -eq 2 ] && grep -q 'zone number 0..65535' '$T/usage.err'"
ctl flush --all >/dev/null 2>"$T/usage.err"
check "flush --all: exit 2, names the argument" \
	eval "[ $? -eq 2 ] && grep -q \"unexpected argument '--all'\" '$T/usage.err'"
finish

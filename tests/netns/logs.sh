#!/bin/bash
# Log lines about flows: each names its flow the one way
# ("zone 10 udp 10.0.1.2:30000 -> 10.0.2.2:7000: ..."), and a flood
# of them is rate-limited per call site (10 lines per 5 s, then one line
# counting what was held back), so it cannot fill the journal.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f
#
# Zone 10 (lan0/wan0) holds udp port 7000 (logged accept) and 7002
# (logged drop); zone 20, udp port 7001, is capped at 5 flows with
# on_full = "drop".
. "$(dirname "$0")/lib.sh"

router_lab || exit 99

cat >"$T/flowcached.conf" <<EOF
zones = (
  { id = 20; match = { proto = "udp"; port = 7001; }; max_flows = 5; on_full = "drop"; },
  { id = 10; match = { iif = [ "lan0", "wan0" ]; }; }
);
policy = (
  { match = { proto = "udp"; dport = 7000; }; mark = 0x00200000; log = true; },
  { match = { proto = "udp"; dport = 7002; }; verdict = "drop"; log = true; },
  { match = { proto = "udp"; dport = 7003; }; verdict = "drop"; }
);
control = { socket = "$SOCK"; };
EOF
start_daemon "$R" || { fail "daemon answers"; finish; }

# send PORT N [FIRST]: one datagram from each of N source ports
send() {
	ip netns exec "$C" python3 - "$@" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
first = int(sys.argv[3]) if len(sys.argv) > 3 else 30000
for i in range(n):
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.bind(("10.0.1.2", first + i))
    t.sendto(b"log-test", ("10.0.2.2", port))
    t.close()
PY
}
lines() { grep -c -- "$1" "$T/daemon.log"; }
dropped_at_least() { [ "$(stats_get "['queues']['dropped']")" -ge "$1" ]; }

send 7000 1
check "a logged accept names the flow and the rule" \
	wait_for 5 grep -q "^flowcached: zone 10 udp 10.0.1.2:30000 -> 10.0.2.2:7000: accepted by the policy rule of line 6, mark 0x00210000$" "$T/daemon.log"

send 7002 300 31000
check "300 dropped flows counted" wait_for 5 dropped_at_least 300
n=$(lines "-> 10.0.2.2:7002: dropped by the policy rule of line 7$")
check "a flood of 300 drops logs at most 10 lines (got $n)" \
	eval "[ $n -ge 1 ] && [ $n -le 10 ]"
m=$(grep -Ec '^flowcached: zone 10 udp 10\.0\.1\.2:31[0-9]{3} -> 10\.0\.2\.2:7002: dropped by the policy rule of line 7$' "$T/daemon.log")
check "every drop line names its flow the same way ($m of $n)" [ "$m" = "$n" ]
send 7003 50 33000
check "50 more dropped" wait_for 5 dropped_at_least 350
check "a drop rule without log = true logs nothing" \
	eval '[ "$(lines ":7003")" = 0 ]'

# after the interval, the next drop line is preceded by the count
sleep 5
send 7002 1 32500
check "then one line says how many were held back" \
	wait_for 5 grep -q "^flowcached: $((300 - n)) lines like the next were suppressed in 5 s$" "$T/daemon.log"
check "followed by the new drop" \
	eval 'grep -A1 "lines like the next were suppressed" "$T/daemon.log" | grep -q "10.0.1.2:32500 -> 10.0.2.2:7002: dropped"'

send 7001 8 34000
check "zone 20 full: the 3 refused flows are logged by name" \
	wait_for 5 eval '[ "$(grep -Ec "^flowcached: zone 20 udp 10\.0\.1\.2:3400[5-7] -> 10\.0\.2\.2:7001: dropped: its zone or the flow table is full$" "$T/daemon.log")" = 3 ]'
check "the flood of drops did not touch the zone-full limit" \
	[ "$(lines "zone or the flow table is full")" = 3 ]
finish

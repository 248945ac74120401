#!/bin/bash
# The data path against the real kernel: flowcached on a router decides
# each flow once; every later packet takes the kernel's fast path.
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f, managed ruleset, zone 10
#
# The router runs the shipped default config (zone 10 on lan0/wan0, tcp
# port 23 dropped, mark 0x00100000 for zone 10) with conntrack accounting
# on, so the kernel counts every packet of a flow while the daemon counts
# those it saw.
. "$(dirname "$0")/lib.sh"
command -v conntrack >/dev/null || { echo "no conntrack(8): skipped"; exit 77; }
command -v nft >/dev/null || { echo "no nft(8): skipped"; exit 77; }
command -v socat >/dev/null || { echo "no socat: skipped"; exit 77; }

router_lab || exit 99
ip netns exec "$R" sysctl -qw net.netfilter.nf_conntrack_acct=1
# one wire packet per segment, so that the kernel's packet counts are
# counts of packets and not of GSO super-packets
ip netns exec "$C" ethtool -K eth0 tso off gso off >/dev/null 2>&1
ip netns exec "$S" ethtool -K eth0 tso off gso off >/dev/null 2>&1

make_conf || exit 99
start_daemon "$R" || { fail "daemon answers"; finish; }
pass "daemon up with the default config"

stat_of() { ctl --json stats >"$T/st.json" && json_get "$T/st.json" "d['queues']$1"; }
# ip and ip6 tables: see daemon/ruleset.c for why not one inet table
table() {
	ip netns exec "$R" nft list table ip flowcached 2>/dev/null
	ip netns exec "$R" nft list table ip6 flowcached 2>/dev/null
}
check "managed table installed" eval 'table | grep -q "chain decide_prerouting"'
check "queue rule present with bypass" eval 'table | grep -Eq "queue .*bypass|NFQUEUE.*bypass"'

# --- TCP: 50,000+ packets, one decision --------------------------------
ip netns exec "$S" socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null &
_pids="$_pids $!"
wait_for 5 eval 'ip netns exec "$S" ss -ltn | grep -q ":5001 "'
before=$(stat_of "['packets']")
head -c 80000000 /dev/zero |
	ip netns exec "$C" socat -u - TCP:10.0.2.2:5001,sndbuf=262144
check "TCP transfer of 80 MB completes" [ $? -eq 0 ]
after=$(stat_of "['packets']")
ct=$(ip netns exec "$R" conntrack -L -p tcp --dport 5001 2>/dev/null | head -n 1)
pkts=$(sed -n 's/.*dport=5001 packets=\([0-9]*\).*/\1/p' <<<"$ct")
echo "# conntrack: $ct"
echo "# queued for this flow: $((after - before)), conntrack counted ${pkts:-?} in the original direction"
check "the kernel counted >= 50,000 packets of the TCP flow" [ "${pkts:-0}" -ge 50000 ]
check "the daemon saw at most 3 of them (decide_after 1)" [ $((after - before)) -le 3 ]
check "the flow carries zone 10" grep -q "zone=10" <<<"$ct"
check "and the policy's mark with the decided bit (0x110000)" \
	grep -q "mark=1114112" <<<"$ct"

# --- UDP: 10,000 datagrams, one decision -------------------------------
ip netns exec "$S" socat -u UDP-RECV:5004 OPEN:/dev/null &
_pids="$_pids $!"
wait_for 5 eval 'ip netns exec "$S" ss -lun | grep -q ":5004 "'
# udp_flow SPORT PAUSE: 10,000 datagrams from one socket; PAUSE seconds
# after the first one (0: one burst). Prints how many the daemon saw.
udp_flow() {
	local before after
	before=$(stat_of "['packets']")
	ip netns exec "$C" python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.2", int(sys.argv[1])))
s.sendto(b"x" * 64, ("10.0.2.2", 5004))
time.sleep(float(sys.argv[2]))
for i in range(9999):
    s.sendto(b"x" * 64, ("10.0.2.2", 5004))
PY
	after=$(stat_of "['packets']")
	echo $((after - before))
}
udp_pkts() {
	ip netns exec "$R" conntrack -L -p udp --sport "$1" 2>/dev/null |
		sed -n 's/.*dport=5004 packets=\([0-9]*\).*/\1/p'
}
queued=$(udp_flow 40004 0.05)
pkts=$(udp_pkts 40004)
echo "# queued for this flow: $queued, conntrack counted ${pkts:-?}"
check "the kernel counted 10,000 datagrams of the UDP flow" [ "${pkts:-0}" -ge 10000 ]
check "the daemon saw at most 3 of them" [ "$queued" -le 3 ]
# A burst from the first datagram on: each datagram that arrives before
# the first verdict finds no confirmed conntrack entry and is queued too,
# so what the daemon sees is its decision time times the packet rate.
queued=$(udp_flow 40005 0)
pkts=$(udp_pkts 40005)
echo "# burst: queued $queued of ${pkts:-?} datagrams"
check "a burst flow: the kernel counted 10,000 datagrams" [ "${pkts:-0}" -ge 10000 ]
check "a burst flow: under 1% of them reached the daemon" [ "$queued" -lt 100 ]

# --- policy: port 23 is dropped, port 80 is not -------------------------
for port in 23 80; do
	ip netns exec "$S" socat TCP-LISTEN:$port,reuseaddr,fork EXEC:/bin/true &
	_pids="$_pids $!"
done
wait_for 5 eval 'ip netns exec "$S" ss -ltn | grep -q ":23 "'
dropped=$(stat_of "['dropped']")
ip netns exec "$C" socat -u OPEN:/dev/null TCP:10.0.2.2:23,connect-timeout=2 2>/dev/null
check "connect to port 23 fails (policy drop)" [ $? -ne 0 ]
check "the drop is counted" [ "$(stat_of "['dropped']")" -gt "$dropped" ]
ip netns exec "$C" socat -u OPEN:/dev/null TCP:10.0.2.2:80,connect-timeout=2
check "connect to port 80 works" [ $? -eq 0 ]
check "conntrack shows the policy's mark on the port 80 flow" \
	eval 'ip netns exec "$R" conntrack -L -p tcp --dport 80 2>/dev/null | grep -q "mark=1114112"'
check "no conntrack entry for port 23 was confirmed" \
	eval '! ip netns exec "$R" conntrack -L -p tcp --dport 23 2>/dev/null | grep -q ESTABLISHED'

# --- kill -9 during a transfer: no stall over 1 s ----------------------
ip netns exec "$S" python3 - >"$T/gap.out" <<'PY' &
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", 5002)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); c.settimeout(10)
last = time.monotonic(); gap = 0.0; total = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    now = time.monotonic(); gap = max(gap, now - last); last = now; total += len(d)
print("maxgap %.3f total %d" % (gap, total))
PY
gap_pid=$!
wait_for 5 eval 'ip netns exec "$S" ss -ltn | grep -q ":5002 "'
ip netns exec "$C" python3 - <<'PY' &
import socket, time
s = socket.create_connection(("10.0.2.2", 5002))
end = time.monotonic() + 3
while time.monotonic() < end:
    s.sendall(b"y" * 16384)
    time.sleep(0.001)
s.close()
PY
sender=$!
sleep 1
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
wait "$sender"
check "transfer completes after kill -9" [ $? -eq 0 ]
wait "$gap_pid"
echo "# $(cat "$T/gap.out")"
check "no stall over 1 s in that transfer" \
	eval 'awk "{ exit !(\$2 < 1.0) }" "$T/gap.out"'
check "kill -9 leaves the table (bypass carries traffic)" \
	eval 'table | grep -q "chain decide_prerouting"'
start_daemon "$R"
check "restarted daemon takes over" [ $? -eq 0 ]
ip netns exec "$C" socat -u OPEN:/dev/null TCP:10.0.2.2:80,connect-timeout=2
check "new flows are decided again after the restart" \
	[ "$(stat_of "['decided']")" -ge 1 ]

# --- reload: the queue rule never goes missing --------------------------
table >"$T/before.nft"
sed -i 's|^zones = (|zones = (\n  { id = 20; name = "media"; match = { proto = "udp"; port = [ 5004 ]; }; },|' "$T/flowcached.conf"
check "reload with a new zone" eval 'ctl reload >/dev/null'
table >"$T/after.nft"
check "the new zone is in the table" grep -q "ct zone set 20" "$T/after.nft"
check "the queue rule is still there" \
	grep -Eq "queue .*bypass|NFQUEUE.*bypass" "$T/after.nft"
printf 'zones = ( { id = 30; match = { proto = "tcp"; }; } );\nbogus = 1;\n' >"$T/flowcached.conf"
ctl reload >/dev/null 2>&1
check "a broken reload is refused" [ $? -eq 1 ]
check "and leaves the table exactly as it was" eval 'diff -q <(table) "$T/after.nft" >/dev/null'

# --- SIGTERM with keep_on_exit = true leaves the table -----------------
kill -TERM "$DAEMON_PID"
wait_gone "$DAEMON_PID" 5
check "keep_on_exit: the table stays after SIGTERM" \
	eval 'table | grep -q "chain decide_prerouting"'

finish

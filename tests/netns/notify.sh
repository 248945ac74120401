#!/bin/bash
# Type=notify without systemd: NOTIFY_SOCKET points at a datagram socket
# this test owns. READY=1 (with STATUS=) must arrive after the control
# socket accepts connections; WATCHDOG=1 when WATCHDOG_USEC asks for it;
# STATUS= with flows and rates once a second; RELOADING=1 then READY=1
# around a SIGHUP; STOPPING=1 on SIGTERM.
#
#   [ns "main": flowcached -f ] --sd_notify--> notify-listen.py ($T/notify)
. "$(dirname "$0")/lib.sh"

NS=$(ns_create main) || exit 99
make_conf || exit 99
python3 "$FC_SRCDIR/tests/netns/notify-listen.py" "$T/notify" "$SOCK" \
	>"$T/notify.log" 2>&1 &
_pids="$_pids $!"
wait_for 5 grep -q listening "$T/notify.log" || { fail "listener up"; finish; }

# 200 ms watchdog: expect a WATCHDOG=1 at least every 100 ms
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=200000 start_daemon "$NS" ||
	fail "daemon answers"
check "READY=1 reaches NOTIFY_SOCKET" wait_for 5 grep -q "READY=1" "$T/notify.log"
check "READY=1 carries a STATUS= summary" \
	grep -q "READY=1|STATUS=1 zones, 2 policy rules" "$T/notify.log"
check "the control socket was open when READY=1 arrived" \
	grep -q "control-socket-open-at-ready" "$T/notify.log"

check "STATUS= then tells flows, decisions/s and drops" \
	wait_for 5 grep -Eq "^STATUS=[0-9]+ flows, [0-9]+ decisions/s, [0-9]+ drops/s \([0-9]+ dropped\); 1 zones" "$T/notify.log"

count_watchdog() { grep -c "^WATCHDOG=1$" "$T/notify.log"; }
check "WATCHDOG=1 arrives when WATCHDOG_USEC is set" \
	wait_for 5 eval '[ "$(count_watchdog)" -ge 5 ]'

kill -HUP "$DAEMON_PID"
check "SIGHUP sends RELOADING=1" wait_for 5 grep -q "^RELOADING=1|MONOTONIC_USEC=" "$T/notify.log"
check "then READY=1 again" \
	wait_for 5 eval '[ "$(grep -A3 RELOADING "$T/notify.log" | grep -c "READY=1")" -ge 1 ]'

kill -TERM "$DAEMON_PID"
check "SIGTERM stops the daemon" wait_gone "$DAEMON_PID" 5
check "STOPPING=1 is sent" wait_for 2 grep -q "^STOPPING=1$" "$T/notify.log"

# without WATCHDOG_USEC there is no watchdog chatter
: >"$T/notify.log"
NOTIFY_SOCKET=$T/notify start_daemon "$NS" || fail "daemon answers (2)"
wait_for 5 grep -q "READY=1" "$T/notify.log"
sleep 0.5
check "no WATCHDOG=1 without WATCHDOG_USEC" [ "$(count_watchdog)" -eq 0 ]

finish

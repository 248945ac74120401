#!/bin/bash
# The daemon's life in a namespace, with the shipped default config:
# start, status (text and JSON), reload on SIGHUP with a good file and with
# a broken one (old config kept, error logged as FILE:LINE), reload over
# the control socket, clean exit on SIGTERM and SIGINT.
#
#   [ns "main": flowcached -f ] <-- flowcachectl over $T/control.sock
. "$(dirname "$0")/lib.sh"

NS=$(ns_create main) || exit 99
make_conf || exit 99
start_daemon "$NS" || { fail "daemon answers status"; finish; }
pass "daemon starts with the default config and answers"

ctl status >"$T/status.txt" 2>&1
check "status exits 0" [ $? -eq 0 ]
check "status text names version and config" \
	grep -q "^flowcached [0-9.]*, pid $DAEMON_PID" "$T/status.txt"
check "status text shows the default config's zone" \
	grep -q "^zones: *1$" "$T/status.txt"

ctl --json status >"$T/status.json"
check "status --json is one JSON document" json_valid "$T/status.json"
check "status --json pid is the daemon's" \
	[ "$(json_get "$T/status.json" 'd["pid"]')" = "$DAEMON_PID" ]
check "status --json names the config file" \
	[ "$(json_get "$T/status.json" 'd["config"]["file"]')" = "$T/flowcached.conf" ]
ctl status --json >"$T/status2.json"
check "--json after the command works too" \
	[ "$(json_get "$T/status2.json" 'd["config"]["zones"]')" = 1 ]

reloads() { ctl --json status >"$T/s.json" && json_get "$T/s.json" "d[\"reloads\"][\"$1\"]"; }
zones() { ctl --json status >"$T/s.json" && json_get "$T/s.json" 'd["config"]["zones"]'; }

# good reload: a second zone appears
cp "$T/flowcached.conf" "$T/good.conf"
sed -i 's|^zones = (|zones = (\n  { id = 20; name = "extra"; match = { proto = "udp"; }; },|' "$T/flowcached.conf"
kill -HUP "$DAEMON_PID"
check "SIGHUP with a good file reloads" wait_for 5 eval '[ "$(reloads ok)" = 1 ]'
check "the new config is in force" [ "$(zones)" = 2 ]
check "reload is logged" grep -q "reloaded $T/flowcached.conf" "$T/daemon.log"

# bad reload: an unknown key on a known line, and a bad value
cp "$T/flowcached.conf" "$T/second.conf"
line=$(grep -n '^table = {' "$T/flowcached.conf" | cut -d: -f1)
sed -i "${line}a\\  max_flowz = 10;" "$T/flowcached.conf"
kill -HUP "$DAEMON_PID"
check "SIGHUP with a broken file is counted as failed" \
	wait_for 5 eval '[ "$(reloads failed)" = 1 ]'
check "daemon still alive after a failed reload" alive "$DAEMON_PID"
check "old config still in force" [ "$(zones)" = 2 ]
check "error logged as FILE:LINE" \
	grep -q "$T/flowcached.conf:$((line + 1)): unknown key 'max_flowz'" "$T/daemon.log"
check "status shows the last reload error" \
	grep -q "last reload error: $T/flowcached.conf:$((line + 1)):" <(ctl status)

# reload over the control socket: errors come back, exit status 1
ctl reload >"$T/reload.out" 2>"$T/reload.err"
check "flowcachectl reload with a broken file exits 1" [ $? -eq 1 ]
check "flowcachectl reload prints FILE:LINE" \
	grep -q "^$T/flowcached.conf:$((line + 1)): unknown key" "$T/reload.out"
cp "$T/good.conf" "$T/flowcached.conf"
check "flowcachectl reload with a good file exits 0" eval "ctl reload >/dev/null"
check "and the good file is in force" [ "$(zones)" = 1 ]
check "a good reload clears the last error" \
	eval '! ctl status | grep -q "last reload error"'

# restart-only keys keep their running values on reload
sed -i 's/^  first = 0;/  first = 7;/' "$T/flowcached.conf"
check "the edit moved queues.first" grep -q "^  first = 7;" "$T/flowcached.conf"
check "reload with a new queues.first succeeds" eval 'ctl reload >/dev/null'
check "and warns that it needs a restart" \
	grep -q "take effect at the next restart; queues 0-0 stay in use" "$T/daemon.log"
check "the running queues stay" eval 'ctl status | grep -q "^queues: *0-0$"'
cp "$T/good.conf" "$T/flowcached.conf"

# SIGTERM: clean exit, socket removed
kill -TERM "$DAEMON_PID"
check "SIGTERM stops the daemon" wait_gone "$DAEMON_PID" 5
wait "$DAEMON_PID"
check "exit status 0 after SIGTERM" [ $? -eq 0 ]
check "control socket removed" [ ! -e "$SOCK" ]
check "stop is logged" grep -q "stopped" "$T/daemon.log"

# SIGINT too
start_daemon "$NS" || fail "restart"
kill -INT "$DAEMON_PID"
check "SIGINT stops the daemon" wait_gone "$DAEMON_PID" 5
wait "$DAEMON_PID"
check "exit status 0 after SIGINT" [ $? -eq 0 ]

finish

#!/bin/bash
# Without -f the daemon detaches, and the starting process exits only
# when the daemon is ready: 0 when it runs, 1 (with the reason on stderr)
# when start-up failed.
. "$(dirname "$0")/lib.sh"

NS=$(ns_create main) || exit 99
make_conf || exit 99

ip netns exec "$NS" "$FCD" -c "$T/flowcached.conf" >"$T/start.out" 2>&1
check "start without -f exits 0 once ready" [ $? -eq 0 ]
check "the daemon answers right after the starter returned" ctl_ok
ctl --json status >"$T/status.json"
pid=$(json_get "$T/status.json" 'd["pid"]')
_pids="$_pids $pid"
check "the daemon runs detached" alive "$pid"
check "in a session of its own" [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
check "with stdio on /dev/null" [ "$(readlink /proc/"$pid"/fd/2)" = /dev/null ]

ip netns exec "$NS" "$FCD" -c "$T/flowcached.conf" >"$T/second.out" 2>&1
check "a second daemon on the same socket exits 1" [ $? -eq 1 ]
check "and says why" grep -q "another flowcached answers there" "$T/second.out"
check "the first one still answers" ctl_ok

sed "s|socket = \"$SOCK\"|socket = \"$T/no/such/dir/c.sock\"|" "$T/flowcached.conf" >"$T/nodir.conf"
ip netns exec "$NS" "$FCD" -c "$T/nodir.conf" >"$T/nodir.out" 2>&1
check "an unusable socket path exits 1" [ $? -eq 1 ]
check "naming the path" grep -q "$T/no/such/dir/c.sock" "$T/nodir.out"

printf 'queues = { count = 0; };\n' >"$T/bad.conf"
ip netns exec "$NS" "$FCD" -c "$T/bad.conf" >"$T/bad.out" 2>&1
check "a broken config exits 1 before detaching" [ $? -eq 1 ]
check "with FILE:LINE on stderr" grep -q "$T/bad.conf:1: 'count' = 0" "$T/bad.out"

kill -TERM "$pid"
check "SIGTERM stops the detached daemon" wait_gone "$pid" 5
check "control socket removed" [ ! -e "$SOCK" ]

# a stale socket file from a killed daemon does not block the next start
start_daemon "$NS" || fail "start for the stale-socket case"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
check "a killed daemon leaves its socket file" [ -S "$SOCK" ]
start_daemon "$NS"
check "the next start replaces a stale socket" [ $? -eq 0 ]

finish

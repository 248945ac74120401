#!/bin/bash
# The control socket and flowcachectl: permissions, exit codes, the line
# protocol spoken raw (socat), clients that misbehave (idle, too long, too many) without hurting the others.
. "$(dirname "$0")/lib.sh"

NS=$(ns_create main) || exit 99
make_conf || exit 99

ctl status >"$T/none.out" 2>"$T/none.err"
check "no daemon: exit 1" [ $? -eq 1 ]
check "no daemon: says so" grep -q "is it running?" "$T/none.err"

start_daemon "$NS" || { fail "daemon answers"; finish; }
check "socket mode is 0660" [ "$(stat -c %a "$SOCK")" = 660 ]
check "socket is a socket" [ -S "$SOCK" ]

ctl bogus >/dev/null 2>"$T/usage.err"
check "unknown command: exit 2" [ $? -eq 2 ]
check "unknown command: named" grep -q "unknown command 'bogus'" "$T/usage.err"
ctl >/dev/null 2>&1
check "no command: exit 2" [ $? -eq 2 ]
ctl --frob status >/dev/null 2>&1
check "unknown option: exit 2" [ $? -eq 2 ]
ctl status extra >/dev/null 2>"$T/extra.err"
check "status with a stray argument: exit 2" [ $? -eq 2 ]
check "help exits 0" eval '"$FCCTL" --help | grep -q "^Usage: flowcachectl"'

check "flush with no flows: 0 flushed" \
	eval 'ctl flush | grep -q "^0 flows flushed"'
check "sids with no stream-ID zone: none" eval 'ctl sids | grep -q "^0 sids$"'
ctl --json sids >"$T/sids.json"
check "sids --json: valid, an empty list" \
	eval 'json_valid "$T/sids.json" && [ "$(json_get "$T/sids.json" "len(d[\"sids\"])")" = 0 ]'
ctl sids --zone x >/dev/null 2>&1
check "sids --zone x: exit 2" [ $? -eq 2 ]

check "stats answers" eval 'ctl stats | grep -q "^queues 0-0: packets"'
ctl flows --zone 70000 >/dev/null 2>"$T/zone.err"
check "flows --zone out of range: exit 2, says why" \
	eval "[ $? -eq 2 ] && grep -q 'zone number 0..65535' '$T/zone.err'"
ctl --json flows --zone 10 >"$T/flows.json"
check "flows --json is one document with a flows list" \
	[ "$(json_get "$T/flows.json" 'type(d["flows"]).__name__')" = list ]
ctl --json zones >"$T/zones.json"
check "zones --json lists the configured zone and its cap" \
	[ "$(json_get "$T/zones.json" '[z["max_flows"] for z in d["zones"] if z["zone"] == 10][0]')" = 262144 ]
ctl --json stats >"$T/stats.json"
check "stats --json has the queue counters" \
	[ "$(json_get "$T/stats.json" 'd["queues"]["verdict_errors"]')" = 0 ]

raw() { printf "$1" | socat -t 2 - "UNIX-CONNECT:$SOCK"; }
check "raw: status answers 0 and the body" \
	eval 'raw "status\n" | head -1 | grep -qx 0'
check "raw: malformed request (double space) answers 2" \
	eval 'raw "status  --json\n" | grep -qx "2 malformed request line"'
check "raw: control byte answers 2" \
	eval 'raw "sta\ttus\n" | grep -qx "2 malformed request line"'
long=$(head -c 5000 /dev/zero | tr '\0' a)
check "raw: a line over 4096 bytes answers 2" \
	eval 'raw "$long\n" | grep -qx "2 request line too long"'
check "raw: 33 words answers 2" \
	eval 'raw "$(printf "status%.0s " $(seq 32))status\n" | grep -qx "2 too many words in the request"'
check "raw: half a line then close gets no answer, daemon fine" \
	eval '[ -z "$(raw "stat")" ] && ctl_ok'

# idle clients are closed after 5 s; meanwhile others are served
python3 - "$SOCK" >"$T/idle.out" 2>&1 <<'PY' &
import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(3)]
for c in s:
    c.connect(sys.argv[1])
t = time.monotonic()
for c in s:
    c.settimeout(15)
    assert c.recv(100) == b""       # closed by the daemon without a reply
print("closed after %.1f s" % (time.monotonic() - t))
PY
idle=$!
check "status is served while idle clients hang" ctl_ok
wait "$idle"
check "idle clients are closed after about 5 s" \
	grep -Eq "closed after ([5-7])\.[0-9] s" "$T/idle.out"

# more clients than the daemon serves at once: the surplus gets "busy"
python3 - "$SOCK" >"$T/busy.out" 2>&1 <<'PY'
import socket, sys
s = []
for _ in range(20):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    s.append(c)
busy = 0
for c in s[16:]:
    c.settimeout(5)
    if c.recv(100).startswith(b"1 busy"):
        busy += 1
print("busy", busy)
PY
check "clients over the limit are told busy" grep -qx "busy 4" "$T/busy.out"
check "after they leave, status is served" wait_for 5 ctl_ok
ctl --json status >"$T/s.json"
check "refused clients are counted" \
	[ "$(json_get "$T/s.json" 'd["control"]["rejected"]')" -ge 4 ]
check "daemon alive after all of it" alive "$DAEMON_PID"

finish

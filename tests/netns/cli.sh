#!/bin/bash
# flowcachectl (issue 8) against a daemon on a router: every command in
# text and JSON (each JSON answer read by python3 -m json.tool); every
# flows filter compared with what conntrack -L, ss and the traffic the
# test made say, computed independently (tests/netns/cli-check.py); the
# table, its fitting to 80 and 200 columns and to the terminal it is
# printed on, --long, --sort and --limit; exit status 2 for bad usage of
# every command and option, and 1 without a daemon; watch off a terminal
# (one frame) and in tmux (the header, the top flow, keys, a resize, q,
# Ctrl-C and the daemon going away, the terminal restored after each);
# the bash completion.
#
#   [client C] eth0 10.0.1.2 fd01::2 --- lan0 [router R: flowcached] wan0 --- eth0 10.0.2.2 fd02::2 [server S]
#                                            listener :8080 (nobody)                listeners :80, :5005
#
#   zone 10 web    TCP 80, 8080: 3 connections C -> S:80 from ports
#                  40001-40003, made 2 s before the rest (the oldest);
#                  2 to R:8080, owned by nobody (a policy rule on the
#                  owner makes the daemon look it up before its verdict)
#   zone 20 media  UDP 5004, stream IDs c0ffee01..06 from ports
#                  41001-41006, backends m1 and m2
#   zone 21 wait   TCP 5005, l7 with decide_after 8: one connection that
#                  sends nothing stays undecided, the most queued packets
#   zone 0         ICMP echo C -> S, UDP 9999 (IPv4) and 53 (IPv6)
. "$(dirname "$0")/lib.sh"

for tool in python3 conntrack socat ss tmux setpriv ping; do
	command -v $tool >/dev/null || { echo "no $tool: skipped"; exit 77; }
done
id nobody >/dev/null 2>&1 || { echo "no user nobody: skipped"; exit 77; }
CHECK=$FC_SRCDIR/tests/netns/cli-check.py
COMPLETION=$FC_SRCDIR/completions/flowcachectl
TMUX_L=fc-cli-$$
tm() { tmux -L "$TMUX_L" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

# rc_is WANT NAME CMD...: check NAME passes when CMD exits WANT; its
# standard error in $T/rc.err
rc_is() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"$T/rc.out" 2>"$T/rc.err"
	rc=$?
	if [ $rc -eq "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, want $want: $(head -c 300 "$T/rc.err")"
	fi
}
# usage NAME WORD ARGS...: flowcachectl ARGS exits 2 and its message
# holds WORD (the option at fault)
usage() {
	local name=$1 word=$2 rc
	shift 2
	ctl "$@" >"$T/rc.out" 2>"$T/rc.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$word" "$T/rc.err"; then
		pass "usage: $name: exit 2, names $word"
	else
		fail "usage: $name: exit 2, names $word" \
			"exit $rc: $(head -c 300 "$T/rc.err")"
	fi
}
# checkpy NAME MODE ARGS...: check NAME passes when cli-check.py MODE
# holds; its report as # lines
checkpy() {
	local name=$1
	shift
	if python3 "$CHECK" "$@" >"$T/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name"
	fi
	sed 's/^/# /; s/^# # /# /' "$T/check.out"
}

# --- no daemon: every command exits 1 -----------------------------------
make_conf || exit 99
for cmd in status flows stats zones routes sids reload flush watch; do
	rc_is 1 "no daemon: $cmd exits 1" ctl $cmd
	check "no daemon: $cmd says so" grep -q "is it running?" "$T/rc.err"
done
rc_is 1 "no daemon: --json flows exits 1" ctl --json flows

# --- the lab ------------------------------------------------------------
router_lab ipv6 || exit 99
# UDP and ICMP entries must outlive the test
ip netns exec "$R" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 \
	net.netfilter.nf_conntrack_icmp_timeout=600 \
	net.netfilter.nf_conntrack_icmpv6_timeout=600
cat >"$T/flowcached.conf" <<EOF
marks = { mask = 0x00ff0000; };
ruleset = { keep_on_exit = false; };
zones = (
  { id = 10; name = "web"; match = { proto = "tcp"; port = [ 80, 8080 ]; }; },
  { id = 20; name = "media"; match = { proto = "udp"; port = [ 5004 ]; };
    l7 = { proto = "udp"; ports = [ 5004 ]; offset = 8; length = 4; idle_timeout = 600;
           backends = ( { name = "m1"; mark = 0x00100000; }, { name = "m2"; mark = 0x00200000; } ); }; },
  { id = 21; name = "wait"; match = { proto = "tcp"; port = [ 5005 ]; }; decide_after = 8;
    l7 = { proto = "tcp"; ports = [ 5005 ]; offset = 8; length = 4; idle_timeout = 600;
           backends = ( { name = "t1"; mark = 0x00500000; } ); }; }
);
policy = (
  { match = { owner = { user = "nobody"; }; }; mark = 0x00400000; },
  { match = { zone = 10; }; mark = 0x00300000; }
);
control = { socket = "$SOCK"; };
EOF
start_daemon "$R" || { fail "daemon starts"; finish; }

# serve NS USER CMD...: a listener in NS as USER
serve() {
	local ns=$1 user=$2
	shift 2
	if [ "$user" = root ]; then
		ip netns exec "$ns" "$@" </dev/null >/dev/null 2>>"$T/peers.err" &
	else
		ip netns exec "$ns" setpriv --reuid="$user" --regid="$(id -g "$user")" \
			--clear-groups "$@" </dev/null >/dev/null 2>>"$T/peers.err" &
	fi
	_pids="$_pids $!"
}
# hold ADDRESS: socat in C sends LINE (nothing when empty) to ADDRESS and
# keeps its socket open until the test ends
hold() {
	ip netns exec "$C" sh -c '{ printf "$2"; exec sleep 600; } | exec socat -u - "$1"' \
		sh "$1" "${2:-}" >/dev/null 2>>"$T/peers.err" &
	_pids="$_pids $!"
}
listening() { ip netns exec "$1" ss -Htln | grep -q ":$2 "; }
serve "$S" root socat -u TCP-LISTEN:80,fork,reuseaddr OPEN:/dev/null
serve "$S" root socat -u TCP-LISTEN:5005,fork,reuseaddr OPEN:/dev/null
serve "$R" nobody socat -u TCP-LISTEN:8080,fork,reuseaddr OPEN:/dev/null
for l in "$S 80" "$S 5005" "$R 8080"; do
	wait_for 5 listening $l || { fail "listener $l"; finish; }
done
n_flows() { ctl --json flows >"$T/n.json" 2>/dev/null &&
	json_get "$T/n.json" 'len(d["flows"])'; }

# the oldest flows, then the others in a later second of the table's clock
for p in 1 2 3; do
	hold "TCP:10.0.2.2:80,sourceport=4000$p" 'x\n'
done
check "3 flows to S:80" wait_for 10 eval '[ "$(n_flows)" = 3 ]'
sleep 2.1
hold TCP:10.0.1.1:8080 'x\n'
hold TCP:10.0.1.1:8080 'x\n'
hold TCP:10.0.2.2:5005
ip netns exec "$C" python3 - <<'PY'
import socket, struct
for i in range(1, 7):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.1.2", 41000 + i))
    # RTP-like: the sid (the SSRC) at payload offset 8
    s.sendto(struct.pack("!BBHI", 0x80, 96, 1, i) +
             bytes.fromhex("c0ffee%02x" % i) + b"cli-test", ("10.0.2.2", 5004))
PY
ip netns exec "$C" ping -c 1 -W 2 10.0.2.2 >/dev/null
ip netns exec "$C" sh -c 'echo x | socat -u - UDP:10.0.2.2:9999'
ip netns exec "$C" sh -c 'echo x | socat -u - UDP6:[fd02::2]:53'
check "the test's 15 flows are in the table" \
	wait_for 10 eval '[ "$(n_flows)" = 15 ]'
mirror_settles "the mirror equals the kernel's table" "$R" 10
ctl --json flows >"$T/all.json"
N_FLOWS=$(json_get "$T/all.json" 'len(d["flows"])')

# --- every command, text and JSON ----------------------------------------
for cmd in status stats zones routes sids reload flows "routes get 10.0.2.2"; do
	rc_is 0 "$cmd: text, exit 0" ctl $cmd
	cp "$T/rc.out" "$T/text.out"
	check "$cmd: some text" [ -s "$T/text.out" ]
	rc_is 0 "$cmd --json: exit 0" ctl $cmd --json
	check "$cmd --json: one JSON document (json.tool)" json_valid "$T/rc.out"
done
check "status names the daemon's pid" \
	eval 'ctl status | grep -q "^flowcached .*, pid $DAEMON_PID,"'
check "zones lists web, media and wait" \
	eval '[ "$(ctl zones | awk "\$2 == \"web\" || \$2 == \"media\" || \$2 == \"wait\"" | wc -l)" = 3 ]'
check "sids lists the 6 stream IDs" eval 'ctl sids | grep -q "^6 sids$"'
ctl routes get 10.0.2.2 from 10.0.1.2 iif lan0 >"$T/get.txt"
sed "s/^/# routes get 10.0.2.2 from C: /" "$T/get.txt"
check "routes get answers the route to S" grep -q "dev wan0" "$T/get.txt"
ctl --json status >"$T/status.json"
check "status --json: version and pid" \
	[ "$(json_get "$T/status.json" 'd["pid"]')" = "$DAEMON_PID" ]

# --- flows filters ---------------------------------------------------------
ct_dump "$R" "$T/kernel.txt"
# the sockets nobody holds, from ss: their peers' ports
nobody_ports=$(ip netns exec "$R" ss -Htne '( sport = :8080 )' |
	grep 'uid:65534' | grep -o '10\.0\.1\.2:[0-9]*' | cut -d: -f2 |
	paste -sd, -)
echo "# nobody's connections from ports: $nobody_ports"
# filter NAME EXPR [none] -- ARGS...: flows ARGS shows what EXPR selects
# in the kernel's table
filter() {
	local name=$1 expr=$2 none=
	shift 2
	[ "$1" = none ] && { none=none; shift; }
	shift
	ctl --json flows "$@" >"$T/f.json" 2>"$T/f.err" ||
		{ fail "flows $*: $name" "$(cat "$T/f.err")"; return; }
	checkpy "flows $*: $name" filter "$T/kernel.txt" "$T/f.json" "$expr" $none
}
filter "zone 10" 'zone == 10' -- --zone 10
filter "zone 21" 'zone == 21' -- --zone 21
filter "no zone 99" 'zone == 99' none -- --zone 99
filter "udp" 'proto == 17' -- --proto udp
filter "icmp, by number" 'proto == 1' -- --proto 1
filter "source prefix" 'ip(src) in net("10.0.1.0/24")' -- --src 10.0.1.0/24
filter "source address" 'src == "10.0.1.2"' -- --src 10.0.1.2
filter "IPv6 source" 'ip(src) in net("fd01::/64")' -- --src fd01::/64
filter "destination (orig)" 'dst == "10.0.1.1"' -- --dst 10.0.1.1
filter "IPv6 destination" 'dst == "fd02::2"' -- --dst fd02::2
filter "no such source" 'False' none -- --src 192.0.2.0/24
filter "port, either side" \
	'proto in (6, 17) and 5004 in (sport, dport)' -- --port 5004
filter "source port" \
	'proto in (6, 17) and 40002 in (sport, dport)' -- --port 40002
filter "port range" \
	'proto in (6, 17) and (41001 <= sport <= 41003 or 41001 <= dport <= 41003)' \
	-- --port 41001-41003
filter "user nobody (ss)" "dport == 8080 and sport in ($nobody_ports,)" \
	-- --user nobody
filter "uid 65534" "dport == 8080 and sport in ($nobody_ports,)" \
	-- --user 65534
filter "sid c0ffee02 (sent from 41002)" 'zone == 20 and sport == 41002' \
	-- --sid c0ffee02
filter "sid in upper case" 'zone == 20 and sport == 41005' -- --sid C0FFEE05
filter "backend m1 (conntrack mark 0x110000)" \
	'zone == 20 and mark & 0xff0000 == 0x110000' -- --backend m1
filter "backend m2 (conntrack mark 0x210000)" \
	'zone == 20 and mark & 0xff0000 == 0x210000' -- --backend m2
filter "AND: zone 10, tcp, to S, port 80" \
	'zone == 10 and proto == 6 and dst == "10.0.2.2" and dport == 80' \
	-- --zone 10 --proto tcp --dst 10.0.2.0/24 --port 80
filter "AND: udp from C, m1" \
	'proto == 17 and src == "10.0.1.2" and mark & 0xff0000 == 0x110000' \
	-- --proto udp --src 10.0.1.2 --backend m1
filter "AND that nothing meets" 'False' none -- --proto tcp --sid c0ffee01

# --- the table, --long, --sort, --limit ---------------------------------------
ctl flows >"$T/table.txt"
checkpy "flows: a table, one row a flow, the count" table "$T/table.txt" "$T/all.json"
sed 's/^/# /' "$T/table.txt"
ctl flows --width 200 >"$T/t200.txt"
checkpy "flows --width 200: the same, fits" table "$T/t200.txt" "$T/all.json" 200
ctl flows --width 80 >"$T/t80.txt"
checkpy "flows --width 80: fits in 80 columns" table "$T/t80.txt" "$T/all.json" 80
sed 's/^/# /' "$T/t80.txt"
check "flows --width 80: OWNER, with the fewest cells, left out; SID whole" \
	eval '! grep -q "OWNER" "$T/t80.txt" && grep -q " c0ffee02/m[12]$" "$T/t80.txt"'
check "flows: sid and backend" grep -q " c0ffee02/m[12]$" "$T/table.txt"
check "flows: the route to S (wan0) and to R (local)" \
	eval 'grep -q "10.0.2.2:80 .* wan0 " "$T/table.txt" && grep -q "10.0.1.1:8080 .* local " "$T/table.txt"'
check "flows: no escape sequence" eval '! grep -q "$(printf "\033")" "$T/table.txt"'
ctl flows -l >"$T/long.txt"
checkpy "flows -l: a line a flow as the logs name it" long "$T/long.txt" "$T/all.json"
ctl flows --long --zone 20 >"$T/long20.txt"
check "flows --long --zone 20: sid and backend in the long form" \
	eval '[ "$(grep -c " sid c0ffee0[1-6] backend m[12]$" "$T/long20.txt")" = 6 ]'
ctl --json flows --sort queued --limit 1 >"$T/top1.json"
checkpy "flows --sort queued --limit 1: the most queued flow" \
	top "$T/all.json" "$T/top1.json" 1 queued
check "... which is the undecided one to port 5005" \
	[ "$(json_get "$T/top1.json" 'd["flows"][0]["orig"]["dport"]')" = 5005 ]
ctl --json flows --sort queued --limit 4 >"$T/top4.json"
checkpy "flows --sort queued --limit 4" top "$T/all.json" "$T/top4.json" 4 queued
ctl --json flows --sort age --limit 3 >"$T/old3.json"
checkpy "flows --sort age --limit 3: the 3 made first" \
	top "$T/all.json" "$T/old3.json" 3 age
check "flows --limit 5: 5 rows and '5 of $N_FLOWS flows'" \
	eval 'ctl flows --limit 5 >"$T/l5.txt" && [ "$(wc -l <"$T/l5.txt")" = 7 ] &&
	      tail -1 "$T/l5.txt" | grep -qx "5 of $N_FLOWS flows"'
check "flows --sort age --limit 2 --zone 20: 2 of 6" \
	eval 'ctl flows --sort age --limit 2 --zone 20 | tail -1 | grep -qx "2 of 6 flows"'
check "--json flows --limit 3: 3 flows" \
	eval '[ "$(ctl --json flows --limit 3 >"$T/l3.json" && json_get "$T/l3.json" "len(d[\"flows\"])")" = 3 ]'
check "--json flows is the contract's document" \
	python3 "$CTCOMPARE" --fields "$T/kernel.txt" "$T/all.json"

# on a terminal, the table fits its width: a joined line (-J) longer than
# the pane is one that wrapped
cat >"$T/pane.sh" <<'EOF'
#!/bin/bash
# pane.sh OUT CMD...: CMD in a tmux pane; its exit status to OUT.rc and
# the terminal's settings after it to OUT.stty, then the pane stays
out=$1
shift
trap : INT
"$@"
echo $? >"$out.rc"
stty -a >"$out.stty"
exec sleep 600
EOF
tm new-session -d -s t80 -x 80 -y 50 bash "$T/pane.sh" "$T/t80" "$FCCTL" -s "$SOCK" flows
wait_for 5 test -s "$T/t80.rc"
tm capture-pane -p -J -t t80 >"$T/pane80.txt"
check "flows on an 80-column terminal: no line wraps" \
	eval '[ "$(awk "length > 80" "$T/pane80.txt" | wc -l)" = 0 ] &&
	      grep -q "10.0.1.2:40001 " "$T/pane80.txt" &&
	      grep -qx "$N_FLOWS flows" "$T/pane80.txt"'

# --- bad usage: 2, and the message names what is wrong -------------------------
usage "unknown command" "unknown command 'frob'" frob
usage "no command" "no command" 
usage "unknown global option" "--frob" --frob status
rc_is 2 "-s without its value: exit 2" "$FCCTL" -s
for cmd in status stats zones reload sids flush routes flows; do
	usage "$cmd with a stray argument" "'stray'" $cmd stray
done
usage "status -j after the command" "'-j'" status -j
usage "flows --zone without its value" "--zone" flows --zone
usage "flows --zone 70000" "--zone" flows --zone 70000
usage "flows --zone x" "--zone" flows --zone x
usage "flows --proto bogus" "--proto" flows --proto bogus
usage "flows --proto 256" "--proto" flows --proto 256
usage "flows --src 10.0.0.300" "--src" flows --src 10.0.0.300
usage "flows --src with host bits" "10.0.0.0/8" flows --src 10.0.0.1/8
usage "flows --dst nonsense" "--dst" flows --dst nonsense
usage "flows --port 0" "--port" flows --port 0
usage "flows --port 10-5" "--port" flows --port 10-5
usage "flows --user unknown" "--user" flows --user no-such-user-fc
usage "flows --sid odd digits" "--sid" flows --sid abc
usage "flows --sid not hex" "--sid" flows --sid xyz1
usage "flows --backend too long" "--backend" flows --backend \
	a-backend-name-longer-than-31-bytes
usage "flows --sort size" "--sort" flows --sort size
usage "flows --limit 0" "--limit" flows --limit 0
usage "flows --limit -3" "--limit" flows --limit -3
usage "flows --width 70000" "--width" flows --width 70000
usage "flows --frob" "'--frob'" flows --frob 1
usage "flows --long --json" "--long" flows --long --json
usage "flows --port ''" "may not be empty" flows --port ''
usage "sids --zone x" "sids" sids --zone x
usage "routes get nonsense" "not an address" routes get nonsense
usage "watch --frob" "'--frob'" watch --frob
usage "watch -n 0" "-n" watch -n 0
usage "watch --interval x" "--interval" watch --interval x
usage "watch --sort size" "--sort" watch --sort size
usage "watch --zone without its value" "--zone" watch --zone
usage "watch --proto bogus (the daemon's word)" "--proto" watch --proto bogus
usage "-j watch" "JSON" -j watch

# --- bash completion ----------------------------------------------------------
# complete WORDS...: COMPREPLY for the last word, space-separated
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_flowcachectl
	echo "${COMPREPLY[*]}"
}
if . "$COMPLETION"; then
	pass "the completion loads in bash"
	check "completion: commands" \
		[ "$(complete_words "$FCCTL" s)" = "status stats sids" ]
	check "completion: all commands" \
		[ "$(complete_words "$FCCTL" "" | wc -w)" = 9 ]
	check "completion: global options" \
		eval '[[ " $(complete_words "$FCCTL" --) " == *" --socket "*"--json "* ]]'
	check "completion: flows options" \
		[ "$(complete_words "$FCCTL" -s "$SOCK" flows --s)" = "--src --sid --sort" ]
	check "completion: zones from the daemon" \
		[ "$(complete_words "$FCCTL" -s "$SOCK" flows --zone "")" = "0 10 20 21" ]
	check "completion: zones of the prefix" \
		[ "$(complete_words "$FCCTL" -s "$SOCK" flows --zone 2)" = "20 21" ]
	check "completion: no zones without a daemon, no noise" \
		[ -z "$(complete_words "$FCCTL" -s "$T/none.sock" flows --zone "" 2>&1)" ]
	check "completion: protocol names" \
		[ "$(complete_words "$FCCTL" flows --proto ud)" = "udp udplite" ]
	check "completion: sort keys" \
		[ "$(complete_words "$FCCTL" watch --sort "")" = "age queued" ]
	check "completion: backends from the daemon" \
		[ "$(complete_words "$FCCTL" -s "$SOCK" flows --backend m)" = "m1 m2" ]
	check "completion: users" \
		[ "$(complete_words "$FCCTL" flows --user nobod)" = nobody ]
	check "completion: flush options" \
		[ "$(complete_words "$FCCTL" flush --)" = "--zone --conntrack --json" ]
	check "completion: routes get keywords after the address" \
		eval '[[ " $(complete_words "$FCCTL" routes get 10.0.2.2 "") " == *" from "*"dport "* ]]'
	check "completion: a value needs no options" \
		[ -z "$(complete_words "$FCCTL" flows --src "")" ]
	check "completion: registered for flowcachectl" \
		eval 'complete -p flowcachectl | grep -q _flowcachectl'
else
	fail "the completion loads in bash"
fi

# --- watch off a terminal: one frame -------------------------------------------
rc_is 0 "watch, not on a terminal: one frame, exit 0" ctl watch -n 0.3
cp "$T/rc.out" "$T/frame.txt"
sed 's/^/# /' "$T/frame.txt"
check "the frame: the daemon, its pid" \
	grep -q "^flowcached [0-9.]* pid $DAEMON_PID up " "$T/frame.txt"
check "the frame: rates" grep -q "^flows 15  decisions/s [0-9.k]* " "$T/frame.txt"
check "the frame: the zones" \
	eval 'grep -q "^10 *web " "$T/frame.txt" && grep -q "^21 *wait " "$T/frame.txt"'
check "the frame: the most queued flow first" \
	eval 'grep -A1 "^ZONE PROTO" "$T/frame.txt" | tail -1 | grep -q "10.0.2.2:5005 "'
check "the frame: no escape sequence" \
	eval '! grep -q "$(printf "\033")" "$T/frame.txt"'
check "watch --zone 20 --sort age: only zone 20's flows" \
	eval 'ctl watch -n 0.1 --zone 20 --sort age >"$T/f20.txt" &&
	      grep -q "top by age" "$T/f20.txt" && tail -1 "$T/f20.txt" | grep -qx "6 flows"'

# --- watch in tmux ---------------------------------------------------------
pane() { tm capture-pane -p -t "$1"; }
shows() { pane "$1" | grep -q -- "$2"; }
# restored NAME: the terminal of session NAME is in canonical mode with
# echo again
restored() { grep -q " icanon" "$T/$1.stty" && grep -q " echo " "$T/$1.stty"; }
tm new-session -d -s w1 -x 120 -y 40 bash "$T/pane.sh" "$T/w1" \
	"$FCCTL" -s "$SOCK" watch -n 0.5
check "watch: the header" wait_for 5 shows w1 "^flowcached [0-9.]* pid $DAEMON_PID up"
check "watch: rates after the second sample" \
	wait_for 5 shows w1 "^flows 15  decisions/s [0-9]"
check "watch: the most queued flow on top" \
	eval 'pane w1 | grep -A1 "^ZONE PROTO" | tail -1 | grep -q "10.0.2.2:5005 "'
check "watch: all 15 flows fit in 40 rows" shows w1 "^15 flows"
check "watch: no line longer than the pane" \
	eval '[ "$(tm capture-pane -p -J -t w1 | awk "length > 120" | wc -l)" = 0 ]'
tm send-keys -t w1 s
check "watch: s sorts by age, the oldest on top" \
	wait_for 5 eval 'shows w1 "top by age" &&
		pane w1 | grep -A1 "^ZONE PROTO" | tail -1 | grep -q "10.0.1.2:4000[123] "'
nz=$(ctl --json zones | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["zones"]))')
tm resize-window -t w1 -x 80 -y 24
check "watch: resized to 80x24, $((24 - 9 - nz)) of 15 flows, nothing wraps" \
	wait_for 5 eval 'shows w1 "^$((24 - 9 - nz)) of 15 flows" &&
		[ "$(tm capture-pane -p -J -t w1 | awk "length > 80" | wc -l)" = 0 ]'
tm send-keys -t w1 q
check "watch: q quits, exit 0" \
	eval 'wait_for 5 test -s "$T/w1.rc" && [ "$(cat "$T/w1.rc")" = 0 ]'
check "watch: after q the terminal is restored" restored w1

tm new-session -d -s w2 -x 100 -y 30 bash "$T/pane.sh" "$T/w2" \
	"$FCCTL" -s "$SOCK" watch
wait_for 5 shows w2 "^flowcached " || fail "watch w2 starts"
tm send-keys -t w2 C-c
check "watch: Ctrl-C quits, exit 0" \
	eval 'wait_for 5 test -s "$T/w2.rc" && [ "$(cat "$T/w2.rc")" = 0 ]'
check "watch: after Ctrl-C the terminal is restored" restored w2

# Ctrl-Z in an interactive shell: stopped with the terminal given back,
# and after fg the view again, nothing of it left on the shell's screen
tm new-session -d -s w4 -x 100 -y 30 bash --norc --noprofile -i
tm send-keys -t w4 "$FCCTL -s $SOCK watch" Enter
wait_for 5 shows w4 "^flowcached " || fail "watch w4 starts"
tm send-keys -t w4 C-z
check "watch: Ctrl-Z stops it" wait_for 5 shows w4 "Stopped"
tm send-keys -t w4 "stty -a >$T/w4.stty; fg" Enter
check "watch: stopped, the terminal is the shell's" \
	eval 'wait_for 5 test -s "$T/w4.stty" && restored w4'
check "watch: fg, the view again" \
	wait_for 5 shows w4 "^flowcached .* pid $DAEMON_PID"
tm send-keys -t w4 q
tm send-keys -t w4 "echo rc=\$? >$T/w4.rc" Enter
check "watch: q after fg, exit 0, the shell's screen clean" \
	eval 'wait_for 5 test -s "$T/w4.rc" && [ "$(cat "$T/w4.rc")" = rc=0 ] &&
		! shows w4 "^flows [0-9]"'

# --- flush, in both forms ---------------------------------------------------------
rc_is 0 "flush --zone 0: exit 0" ctl flush --zone 0
rc_is 0 "flush --zone 0 --json: exit 0" ctl --json flush --zone 0
check "flush --json: one JSON document" json_valid "$T/rc.out"

# --- the daemon goes away under watch ---------------------------------------------
tm new-session -d -s w3 -x 100 -y 30 bash "$T/pane.sh" "$T/w3" \
	"$FCCTL" -s "$SOCK" watch -n 0.2
wait_for 5 shows w3 "^flowcached " || fail "watch w3 starts"
kill -TERM "$DAEMON_PID"
wait_gone "$DAEMON_PID" 10 || fail "the daemon stops"
check "watch: the daemon gone, exit 1" \
	eval 'wait_for 5 test -s "$T/w3.rc" && [ "$(cat "$T/w3.rc")" = 1 ]'
check "watch: says why" shows w3 "cannot reach flowcached at $SOCK"
check "watch: the terminal is restored" restored w3
rc_is 1 "no daemon any more: flows exits 1" ctl flows

finish

#!/bin/sh
# L7 stream IDs (issue 7): 300 RTP-like UDP sessions to a VIP, each its
# own socket and stream ID (the SSRC: 4 bytes at payload offset 8),
# behind a NAT. The router's daemon gives each new sid a backend by
# Maglev (weights 1:1:2), keeps it, and puts sid -> mark in the nft map
# sids_z20; a DNAT rule per backend mark sends the flow there. Checked:
#  1. every session arrives at exactly one backend, and `sids` (and each
#     flow's sid/backend) says the backend it arrived at; the shares
#     follow the weights; conntrack has the backend's mark on each flow;
#  2. NAT rebinding (the NAT's address changes, its conntrack is flushed,
#     half the clients move to new addresses): 300 new 5-tuples at the
#     router, every session still at its backend, at most 10 packets
#     queued for all of them (the kernel map carried them); the map
#     holds the 300 sids with their backends' marks;
#  3. restart with keep_on_exit (the default): while the daemon is down
#     the map stays and rebound sessions still reach their backends; once
#     it is back, existing flows keep theirs, and new 5-tuples get the
#     same backends as before (Maglev needs no memory);
#  4. reload without b2: b2's sids, and only those, move (the count is
#     b2's share, and l7.moved says so); the map follows, and so do the
#     conntrack marks of b2's flows: those the daemon decided by sid and
#     those the kernel map decided or that predate the restart; the
#     moved sessions' next datagrams, on their existing flows and on new
#     5-tuples, arrive where `sids` says, the others where they were;
#  5. a 6-byte payload (shorter than offset + length) is counted in
#     l7.short_payload and decided without a sid (it reaches the VIP
#     itself, no backend), and its flow stays so; TCP connections that
#     never send a byte fall back after decide_after packets and are
#     counted in l7.fallback; a TCP flow whose first segment carries a
#     sid (after the TCP options) gets it and its backend's mark.
#
#   [CL] eth0 ---------- lan0 [N] wan0 -------- n0 [R: flowcached] b1 --- eth0 [B1] 10.0.31.2:5004
#   10.0.10.2-17/24    10.0.10.1   10.0.8.2-7  10.0.8.1              b2 --- eth0 [B2] 10.0.32.2:5004
#   300 sessions,                  snat to one          VIP 10.0.9.100 b3 --- eth0 [B3] 10.0.33.2:6004
#   TCP clients                    of them              (lo; UDP 5004, TCP 5005, 5006)
#
# Each receiver writes a line per datagram (tests/netns/l7-peer.py);
# tests/netns/l7-check.py compares them with `flowcachectl --json sids`,
# `--json flows` and `nft -j list map`.
. "$(dirname "$0")/lib.sh"

for tool in python3 conntrack nft ss socat; do
	command -v $tool >/dev/null || { echo "no $tool: skipped"; exit 77; }
done
PEER=$FC_SRCDIR/tests/netns/l7-peer.py
CHECK=$FC_SRCDIR/tests/netns/l7-check.py
VIP=10.0.9.100
N_SESS=300
DECIDED=0x00010000	# the lowest bit of marks.mask

# --- the lab ----------------------------------------------------------
CL=$(ns_create cl) && N=$(ns_create nat) && R=$(ns_create router) &&
	B1=$(ns_create b1) && B2=$(ns_create b2) && B3=$(ns_create b3) ||
	exit 99
veth "$CL" eth0 "$N" lan0 && veth "$N" wan0 "$R" n0 &&
	veth "$R" b1 "$B1" eth0 && veth "$R" b2 "$B2" eth0 &&
	veth "$R" b3 "$B3" eth0 || exit 99
for ns in "$CL" "$N" "$R" "$B1" "$B2" "$B3"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
i=2
while [ $i -le 17 ]; do
	ip -n "$CL" addr add 10.0.10.$i/24 dev eth0
	i=$((i + 1))
done
ip -n "$CL" route add default via 10.0.10.1
ip -n "$N" addr add 10.0.10.1/24 dev lan0
for i in 2 3 4 5 6 7; do
	ip -n "$N" addr add 10.0.8.$i/24 dev wan0
done
ip -n "$N" route add default via 10.0.8.1
ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1
ip -n "$R" addr add 10.0.8.1/24 dev n0
ip -n "$R" addr add $VIP/32 dev lo
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
for b in 1 2 3; do
	eval ns=\$B$b
	ip -n "$R" addr add 10.0.3$b.1/24 dev b$b
	ip -n "$ns" addr add 10.0.3$b.2/24 dev eth0
	ip -n "$ns" route add default via 10.0.3$b.1
done

# nat_to ADDR: N rewrites its clients' sources to ADDR, and forgets
# every binding it had, so each session's next datagram is a new
# 5-tuple at the router
nat_to() {
	ip netns exec "$N" nft -f - <<EOF &&
table ip nat
flush table ip nat
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan0" snat to $1
	}
}
EOF
	ip netns exec "$N" conntrack -F 2>/dev/null
}
nat_to 10.0.8.2 || exit 99

# --- the receivers: B1, B2, B3 and the VIP itself (fallback) ------------
recv() {	# recv NS NAME ADDR PORT
	ip netns exec "$1" python3 "$PEER" recv "$2" "$3" "$4" \
		"$T/recv-$2.txt" 2>>"$T/peers.err" &
	_pids="$_pids $!"
}
recv "$B1" b1 0.0.0.0 5004
recv "$B2" b2 0.0.0.0 5004
recv "$B3" b3 0.0.0.0 6004
recv "$R" vip $VIP 5004
# listening NS PORT: something in NS listens on UDP PORT
listening() { ip netns exec "$1" ss -Hlun | grep -q ":$2 "; }
for l in "$B1 5004" "$B2 5004" "$B3 6004" "$R 5004"; do
	wait_for 5 listening $l || { fail "receiver $l"; finish; }
done
for p in 5005 5006; do
	ip netns exec "$R" socat -u TCP-LISTEN:$p,bind=$VIP,fork,reuseaddr \
		OPEN:/dev/null 2>>"$T/peers.err" &
	_pids="$_pids $!"
done
RECORDS="$T/recv-b1.txt $T/recv-b2.txt $T/recv-b3.txt $T/recv-vip.txt"
touch $RECORDS

# --- the config -------------------------------------------------------
# conf [b2]: zone 20 with backends b1, b3 and, when asked, b2; zones 21
# and 22 for TCP
conf() {
	b2=
	[ "${1:-}" = b2 ] &&
		b2='{ name = "b2"; mark = 0x00200000; addr = "10.0.32.2"; },'
	cat >"$T/flowcached.conf" <<EOF
marks = { mask = 0x00ff0000; };
zones = (
  { id = 20; name = "media"; match = { proto = "udp"; port = [ 5004, 6004 ]; };
    l7 = { proto = "udp"; ports = [ 5004 ]; offset = 8; length = 4; idle_timeout = 60;
           backends = ( { name = "b1"; mark = 0x00100000; addr = "10.0.31.2"; },
                        $b2
                        { name = "b3"; mark = 0x00300000; addr = "10.0.33.2"; port = 6004; weight = 2; } ); }; },
  { id = 21; name = "tcp-nodata"; match = { proto = "tcp"; port = [ 5005 ]; }; decide_after = 4;
    l7 = { proto = "tcp"; ports = [ 5005 ]; offset = 8; length = 4; idle_timeout = 60;
           backends = ( { name = "t1"; mark = 0x00400000; }, { name = "t2"; mark = 0x00500000; } ); }; },
  { id = 22; name = "tcp-sid"; match = { proto = "tcp"; port = [ 5006 ]; }; decide_after = 8;
    l7 = { proto = "tcp"; ports = [ 5006 ]; offset = 8; length = 4; idle_timeout = 60;
           backends = ( { name = "t3"; mark = 0x00600000; }, { name = "t4"; mark = 0x00700000; } ); }; }
);
control = { socket = "$SOCK"; };
EOF
}
conf b2
if ! "$FCD" -t -c "$T/flowcached.conf" >"$T/conf-t.out" 2>&1; then
	sed 's/^/# /' "$T/conf-t.out"
	echo "flowcached -t refuses the l7 config (no l7 support yet?): skipped"
	exit 77
fi
start_daemon "$R" || { fail "daemon starts"; finish; }

# --- the sessions -----------------------------------------------------
touch "$T/sender.done"
ip netns exec "$CL" python3 "$PEER" send "$T/sender.fifo" "$T/sender.done" \
	$VIP 5004 $N_SESS 2>>"$T/peers.err" &
_pids="$_pids $!"
wait_for 5 test -p "$T/sender.fifo" || { fail "sender starts"; finish; }
# sender COMMAND...: one command to the sessions (see l7-peer.py), done
sender() {
	local n
	n=$(wc -l <"$T/sender.done")
	echo "$*" >"$T/sender.fifo"
	wait_for 20 eval '[ "$(wc -l <"$T/sender.done")" -gt '"$n"' ]'
}
# arrived ROUND: datagrams of ROUND recorded, all receivers together
arrived() { awk -v r="$1" '$3 == r' $RECORDS | wc -l; }
# round ROUND COUNT WHAT: every session sends COUNT datagrams of ROUND
# (one each first, the rest once the first have all arrived); checks
# that each arrived at exactly one place; $T/arrROUND.json says where
round() {
	local name="round $1, $3: each of the $N_SESS sessions arrived, at one backend"
	sender send "$1" 1 &&
		wait_for 10 eval "[ \"\$(arrived $1)\" -ge $N_SESS ]"
	if [ "$2" -gt 1 ]; then
		sender send "$1" $(($2 - 1)) &&
			wait_for 10 eval "[ \"\$(arrived $1)\" -ge $(($2 * N_SESS)) ]"
	fi
	if python3 "$CHECK" arrivals "$1" $N_SESS "$T/arr$1.json" $RECORDS \
		>"$T/arr$1.out" 2>&1; then
		cat "$T/arr$1.out"
		pass "$name"
	else
		sed 's/^/# /; s/^# # /# /' "$T/arr$1.out"
		fail "$name"
	fi
}
# checkpy NAME MODE ARGS...: check NAME passes when l7-check.py MODE
# finds nothing wrong; its output as # lines
checkpy() {
	local name=$1
	shift
	if python3 "$CHECK" "$@" >"$T/check.out" 2>&1; then
		sed 's/^/# /; s/^# # /# /' "$T/check.out"
		pass "$name"
	else
		sed 's/^/# /; s/^# # /# /' "$T/check.out"
		fail "$name"
	fi
}
# map_ok NAME MAP.json SIDS.json: check NAME passes when the nft map
# holds each sid of zone 20 with its backend's mark (printed by nft as
# it is, or byte-swapped: map_rc 2)
map_ok() {
	python3 "$CHECK" map "$2" "$3" 20 $DECIDED >"$T/check.out" 2>&1
	map_rc=$?
	sed 's/^/# /; s/^# # /# /' "$T/check.out"
	if [ $map_rc -ne 1 ]; then pass "$1"; else fail "$1"; fi
}
l7_stat() { stats_get "['l7']['$1']"; }
queued() { stats_get "['queues']['packets']"; }
sids_json() { ctl --json sids >"$1"; }
# ct_zone20 [CONNTRACK-FILTERS...]: R's zone-20 UDP entries
ct_zone20() { ct "$R" -L -p udp -w 20 "$@"; }
nft_map() {
	ip netns exec "$R" nft -j list map ip flowcached sids_z20 >"$1" 2>&1
}
# ct_marks_ok FILE: every entry's mark is the backend's its reply comes
# from, with the decided bit
ct_marks_ok() {
	awk '
	/src=10\.0\.31\.2 / && !/mark=1114112 / { bad++ }
	/src=10\.0\.32\.2 / && !/mark=2162688 / { bad++ }
	/src=10\.0\.33\.2 / && !/mark=3211264 / { bad++ }
	/src=10\.0\.3[123]\.2 / { n++ }
	END { print "# " n " entries DNATed to a backend, " bad + 0 " with another mark"; exit !(n >= 300 && !bad) }' "$1"
}
# backend_count FILE NAME: sids of zone 20 on backend NAME in a --json sids
backend_count() {
	json_get "$1" "sum(1 for e in d['sids'] if e['zone'] == 20 and e['backend'] == '$2')"
}

# --- 1. 300 sessions, each to one backend ------------------------------
round 1 3 "first datagrams"
share() { json_get "$T/arr1.json" "sum(1 for b in d['backend'].values() if b == '$1')"; }
s1=$(share b1) s2=$(share b2) s3=$(share b3)
check "weights 1:1:2 (expected 75/75/150): b1 $s1, b2 $s2, b3 $s3" eval \
	'[ "$s1" -ge 41 ] && [ "$s1" -le 109 ] && [ "$s2" -ge 41 ] && [ "$s2" -le 109 ] &&
	 [ "$s3" -ge 111 ] && [ "$s3" -le 189 ]'
sids_json "$T/sids1.json"
checkpy "sids lists the 300 sids, each with the backend its datagrams reached" \
	sids "$T/sids1.json" 20 "$T/arr1.json"
ctl --json flows >"$T/flows1.json"
checkpy "each flow shows its session's sid and backend" \
	flows "$T/flows1.json" 20 "$T/arr1.json"
ctl --json stats >"$T/stats1.json"
echo "# l7 stats: $(json_get "$T/stats1.json" "d['l7']")"
echo "# queued so far: $(json_get "$T/stats1.json" "d['queues']['packets']")"
check "l7.new_sids is 300" [ "$(json_get "$T/stats1.json" "d['l7']['new_sids']")" = 300 ]
check "l7.decisions is 300" [ "$(json_get "$T/stats1.json" "d['l7']['decisions']")" = 300 ]
ct_zone20 >"$T/ct1.txt"
check "conntrack: 300 flows DNATed, each carrying its backend's mark" ct_marks_ok "$T/ct1.txt"

# --- 2. NAT rebinding: new 5-tuples, same backends, not queued ---------
q0=$(queued)
nat_to 10.0.8.3
sender rebind 0
round 2 2 "rebound"
checkpy "rebound sessions reached the backend they had" same "$T/arr1.json" "$T/arr2.json"
new_tuples=$(ct_zone20 -s 10.0.8.3 | grep -c 'dport=5004')
check "the router saw $new_tuples new 5-tuples (300 expected)" [ "$new_tuples" -eq 300 ]
q1=$(queued)
echo "# queued while the 300 rebound sessions sent: $((q1 - q0))"
check "at most 10 packets queued for them (the kernel map carried them)" \
	[ $((q1 - q0)) -le 10 ]
ct_zone20 -s 10.0.8.3 >"$T/ct2.txt"
check "conntrack: the 300 new flows carry their backend's mark" ct_marks_ok "$T/ct2.txt"
nft_map "$T/map2.json"
sids_json "$T/sids2.json"
map_ok "nft map sids_z20: the 300 sids, each with its backend's mark" \
	"$T/map2.json" "$T/sids2.json"
check "nft lists the map's marks as they are (not byte-swapped)" [ $map_rc -eq 0 ]

# --- 3. restart, keep_on_exit = true (the default) ---------------------
kill "$DAEMON_PID"
check "the daemon stops" wait_gone "$DAEMON_PID" 10
nft_map "$T/map3.json"
map_ok "with keep_on_exit the map stays while the daemon is down" \
	"$T/map3.json" "$T/sids2.json"
nat_to 10.0.8.4
sender rebind 1
round 3 1 "rebound, daemon down"
checkpy "daemon down: rebound sessions still reach their backends" \
	same "$T/arr1.json" "$T/arr3.json"
start_daemon "$R" || { fail "the daemon starts again"; finish; }
round 4 1 "daemon back, same 5-tuples"
checkpy "restarted: existing flows keep their backends" same "$T/arr1.json" "$T/arr4.json"
nat_to 10.0.8.5
round 5 1 "daemon back, rebound"
checkpy "restarted: new 5-tuples of the sessions get the backends they had" \
	same "$T/arr1.json" "$T/arr5.json"
sids_json "$T/sids5.json"
checkpy "restarted: sids lists each sid with the backend it had before" \
	sids "$T/sids5.json" 20 "$T/arr1.json"

# --- 4. reload without b2 ---------------------------------------------
live=$(ct_zone20 -s 10.0.8.5 | grep -c 'dport=5004')
check "the sessions' 300 flows are in conntrack before the reload ($live)" [ "$live" -eq 300 ]
moved0=$(l7_stat moved)
on_b2=$(backend_count "$T/sids5.json" b2)
conf
check "reload without b2" eval 'ctl reload >"$T/reload.out" 2>&1'
check "b2 leaves the sid table" \
	wait_for 5 eval 'sids_json "$T/sids6.json" && [ "$(backend_count "$T/sids6.json" b2)" = 0 ]'
python3 "$CHECK" moved "$T/sids5.json" "$T/sids6.json" 20 b2 >"$T/moved.out" 2>&1
rc=$?
moved=$(head -n 1 "$T/moved.out")
sed -n '2,$s/^/# /p' "$T/moved.out"
check "b2's sids moved ($moved of $on_b2), no other sid changed backend" \
	eval '[ $rc -eq 0 ] && [ "$moved" = "$on_b2" ] && [ "$on_b2" -gt 0 ]'
check "l7.moved counts them" [ "$(($(l7_stat moved) - moved0))" = "$on_b2" ]
nft_map "$T/map6.json"
map_ok "the map follows: 300 sids, the moved ones with their new mark" \
	"$T/map6.json" "$T/sids6.json"
ct_zone20 >"$T/ct6.txt"
# by_nat FILE: entries with b2's mark (0x00210000), by the NAT address
# they came from (each NAT address is one stage of this test)
by_nat() {
	awk '/mark=2162688 / { n[$4]++ } END { for (a in n) printf " %s: %d", a, n[a] }' "$1"
}
echo "# entries with b2's mark after the reload, by source:$(by_nat "$T/ct6.txt")"
# 10.0.8.5: the flows the restarted daemon decided by sid; .3 and .4:
# flows the kernel map decided (daemon up, daemon down); .2: flows the
# first daemon decided, learnt by the second from conntrack
check "conntrack: no flow the daemon decided by sid keeps b2's mark" \
	eval '! grep "src=10.0.8.5 " "$T/ct6.txt" | grep -q "mark=2162688 "'
check "conntrack: no flow the kernel map decided, or from before the restart, keeps b2's mark" \
	eval '! grep -v "src=10.0.8.5 " "$T/ct6.txt" | grep -q "mark=2162688 "'
round 6 1 "b2 gone, same 5-tuples"
checkpy "existing flows: b2's sessions arrive at their new backends, the others where they were" \
	sids "$T/sids6.json" 20 "$T/arr6.json"
# the sessions' current flows that still go to b2's address
grep 'src=10.0.8.5 ' "$T/ct6.txt" | grep 'src=10.0.32.2 ' >"$T/ct6-b2.txt"
echo "# flows of the sessions (from 10.0.8.5) DNATed to b2 before the reload: $(wc -l <"$T/ct6-b2.txt"), their marks now:$(sed -n 's/.*mark=\([0-9]*\) .*/\1/p' "$T/ct6-b2.txt" | sort | uniq -c | tr -s ' \n' ' ')"
head -n 2 "$T/ct6-b2.txt" | sed 's/^/#   /'
nat_to 10.0.8.6
round 7 1 "b2 gone, rebound"
checkpy "new 5-tuples: every session arrives where sids says" \
	sids "$T/sids6.json" 20 "$T/arr7.json"

# --- 5. short payloads, TCP without payload, TCP with a sid -------------
short0=$(l7_stat short_payload)
sender extra short 6 00000000 8
# short_tuple: SRC:SPORT of the 6-byte datagram at the VIP
short_tuple() { awk '$7 == 6 { print $5 ":" $6; exit }' "$T/recv-vip.txt"; }
check "a 6-byte datagram reaches the VIP itself, no backend" \
	wait_for 5 eval '[ -n "$(short_tuple)" ]'
check "l7.short_payload counts it" \
	wait_for 2 eval '[ "$(l7_stat short_payload)" = $((short0 + 1)) ]'
# flow_of SRC:SPORT: that flow of the daemon's table, "sid backend mark queued"
flow_of() {
	ctl --json flows >"$T/flows-x.json" &&
	python3 -c 'import json, sys
src, sport = sys.argv[2].rsplit(":", 1)
for f in json.load(open(sys.argv[1]))["flows"]:
    if f["orig"]["src"] == src and f["orig"]["sport"] == int(sport):
        print(f.get("sid"), f.get("backend"), f["mark"], f.get("queued_packets"))' \
		"$T/flows-x.json" "$1"
}
fl=$(flow_of "$(short_tuple)")
echo "# its flow: sid backend mark queued = $fl"
check "its flow is decided without sid or backend" \
	eval 'set -- $fl; [ "$1" = None ] && [ "$2" = None ] && [ $(($3 & DECIDED)) -ne 0 ]'
sender extra short 20 feedf00d 9
check "a full datagram on that flow follows it to the VIP" \
	wait_for 5 eval 'grep -q "^vip feedf00d 9 " "$T/recv-vip.txt"'
check "and no backend got it" \
	eval '! grep -qh " feedf00d " "$T/recv-b1.txt" "$T/recv-b2.txt" "$T/recv-b3.txt"'

fallback0=$(l7_stat fallback)
ip netns exec "$CL" python3 "$PEER" tcp-empty $VIP 5005 5 2>>"$T/peers.err"
check "5 TCP connections without payload" [ $? -eq 0 ]
check "l7.fallback counts all 5" \
	wait_for 5 eval '[ "$(l7_stat fallback)" -ge $((fallback0 + 5)) ]'
# zone_flows ZONE: "sid backend decided queued" of each TCP flow of ZONE
zone_flows() {
	ctl --json flows --zone "$1" | python3 -c 'import json, sys
for f in json.load(sys.stdin)["flows"]:
    if f["proto"] == "tcp":
        print(f.get("sid"), f.get("backend"), 1 if f["mark"] & int(sys.argv[1], 0) else 0,
              f.get("queued_packets"))' $DECIDED
}
zone_flows 21 >"$T/z21.txt"
sed 's/^/# zone 21: sid backend decided queued = /' "$T/z21.txt"
check "their flows are decided without sid, after at most 4 queued packets (decide_after)" \
	awk 'NF == 4 && $1 == "None" && $2 == "None" && $3 == 1 && $4 <= 4 { n++ }
	     END { exit !(n == 5 && NR == 5) }' "$T/z21.txt"

ip netns exec "$CL" python3 "$PEER" tcp-sid $VIP 5006 c0ffee01 30 \
	2>>"$T/peers.err" &
_pids="$_pids $!"
# tcp_sid: "backend mark" of sid c0ffee01 in zone 22
tcp_sid() {
	ctl --json sids --zone 22 >"$T/sids22.json" 2>/dev/null &&
	json_get "$T/sids22.json" "' '.join('%s %d' % (e['backend'], e['mark']) for e in d['sids'] if e['sid'].lower() == 'c0ffee01')" |
		grep .
}
check "TCP: the sid of the first segment (after the options) is found" \
	wait_for 5 eval 'tcp_sid >/dev/null'
set -- $(tcp_sid) x 0
tb=$1 tm=$2
zone_flows 22 >"$T/z22.txt"
sed 's/^/# zone 22: sid backend decided queued = /' "$T/z22.txt"
check "its flow has sid c0ffee01 and backend $tb, decided by its data segment" \
	awk -v b="$tb" '$1 == "c0ffee01" && $2 == b && $3 == 1 && $4 <= 4 { n++ }
	     END { exit !(n == 1) }' "$T/z22.txt"
check "conntrack has $tb's mark on it" \
	eval 'ct "$R" -L -p tcp --dport 5006 | grep -q "mark=$((tm | DECIDED)) "'

ctl --json stats >"$T/stats-end.json"
echo "# l7 stats: $(json_get "$T/stats-end.json" "d['l7']")"
check "no map errors" [ "$(json_get "$T/stats-end.json" "d['l7']['map_errors']")" = 0 ]
# a sid of zone 20 and its backend, from the last --json sids
set -- $(json_get "$T/sids6.json" "' '.join([(e['sid'], e['backend']) for e in d['sids'] if e['zone'] == 20][0])")
one_sid=$1 one_backend=$2
check "sids (text) shows sid $one_sid on $one_backend" \
	eval 'ctl sids --zone 20 | grep -q "$one_sid .*$one_backend"'
check "the daemon is still running" eval 'alive "$DAEMON_PID" && ctl_ok'
finish

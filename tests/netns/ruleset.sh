#!/bin/bash
# The managed ruleset (daemon/ruleset.c) against the real kernel, driven by
# tests/netns/ruleset-tool, with no daemon listening on the queue:
# install, zones in conntrack (both families, forwarded and local), queue
# bypass, the fast path after a flow is marked decided, masked mark
# restore, masked save (a test chain stands in for the daemon's verdict
# mark), atomic replacement under a reader, a refused batch that changes
# nothing, removal.
#
#   [client] eth0 10.0.1.2 fd01::2 --- lan0 10.0.1.1 fd01::1 [router] wan0 10.0.2.1 fd02::1 --- eth0 10.0.2.2 fd02::2 [server]
#                                        ruleset-tool apply|remove
#
# The tables are `table ip flowcached` and `table ip6 flowcached`: the xt
# CONNMARK target that copies the masked mark is registered for IPv4 and
# IPv6 only, so nft compat cannot use it from an inet table (ENOENT).
. "$(dirname "$0")/lib.sh"

TOOL=$FC_BUILDDIR/tests/netns/ruleset-tool
[ -x "$TOOL" ] || { echo "$TOOL not built"; exit 99; }
for t in nft conntrack socat python3; do
	command -v $t >/dev/null || { echo "no $t: skipped"; exit 77; }
done

router_lab ipv6 || exit 99
reachable() { ip netns exec "$C" ping -c1 -W1 "$1" >/dev/null 2>&1; }
wait_for 5 reachable 10.0.2.2 && wait_for 5 reachable fd02::2 ||
	{ echo "the server is not reachable through the router"; exit 99; }

in_r() { ip netns exec "$R" "$@"; }
# nft in the router; listing a table that holds xt targets makes nft warn
# "managed by iptables-nft" on stderr, which is noise here
nft_r() { in_r nft "$@" 2>/dev/null; }
tool() { in_r "$TOOL" "$@"; }
# bg NS CMD...: a helper process in NS, stopped by lib.sh's cleanup
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" >/dev/null 2>&1 & _pids="$_pids $!"; }

# nft_json FAM: `nft -j list table FAM flowcached` into $T/FAM.json
nft_json() { nft_r -j list table "$1" flowcached >"$T/$1.json"; }
# counter FAM CHAIN COMMENT: packets counted by the rule with that comment
counter() {
	nft_r -j list chain "$1" flowcached "$2" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == sys.argv[1]:
        print(sum(e["counter"]["packets"] for e in r["expr"] if "counter" in e))
        break' "$3"
}
# testcount NAME: a counter of this test's own table `ip fctest`
testcount() {
	nft_r -j list chain ip fctest post | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == sys.argv[1]:
        print(sum(e["counter"]["packets"] for e in r["expr"] if "counter" in e))' "$1"
}
# ct_set_mark SRC DST SPORT DPORT ZONE MARK: update the mark of a UDP/IPv4
# conntrack entry by hand. conntrack -U (conntrack-tools 1.4.7) cannot:
# it sends the update without the zone (and without the family unless
# -f is given), so an entry in zone 10 is never found; this sends the
# ctnetlink update the daemon will send, with CTA_ZONE.
ct_set_mark() {
	in_r python3 - "$@" <<'EOF'
import socket, struct, sys
src, dst, sport, dport, zone, mark = sys.argv[1:7]
def attr(t, p):
    n = 4 + len(p)
    return struct.pack("=HH", n, t) + p + b"\0" * (-n % 4)
NESTED = 0x8000
ip = attr(1 | NESTED, attr(1, socket.inet_aton(src)) + attr(2, socket.inet_aton(dst)))
l4 = attr(2 | NESTED, attr(1, bytes([17])) + attr(2, struct.pack("!H", int(sport)))
          + attr(3, struct.pack("!H", int(dport))))
body = struct.pack("=BBH", socket.AF_INET, 0, 0) + attr(1 | NESTED, ip + l4) \
    + attr(18, struct.pack("!H", int(zone))) + attr(8, struct.pack("!I", int(mark, 0)))
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)   # NETLINK_NETFILTER
# IPCTNL_MSG_CT_NEW without NLM_F_CREATE: update an existing entry only
s.send(struct.pack("=IHHII", 16 + len(body), 1 << 8, 0x1 | 0x4, 1, 0) + body)
err = struct.unpack("=i", s.recv(4096)[16:20])[0]
if err:
    print("ctnetlink update:", -err, file=sys.stderr)
sys.exit(1 if err else 0)
EOF
}

make_conf || exit 99
CONF1=$T/flowcached.conf
# A second config: a zone for media flows (udp 5004, an address list of
# both families), listed first so it wins; another mark mask; 2 queues.
CONF2=$T/second.conf
sed -e 's|^zones = (|zones = (\n  { id = 20; name = "media"; match = { proto = "udp"; port = [ 5004 ]; addr = [ "10.0.2.0/24", "192.0.2.0/24", "fd02::/64" ]; }; },|' \
    -e 's|mask = 0x00ff0000;|mask = 0xff000000;|' \
    -e 's|mark = 0x00100000;|mark = 0x10000000;|' \
    -e 's|count = 1; |count = 2; |' "$CONF1" >"$CONF2"
"$FCD" -t -c "$CONF2" >/dev/null || { fail "second config is valid"; finish; }

# ---- install ------------------------------------------------------------

tool apply "$CONF1" >"$T/apply.out" 2>"$T/apply.err"
check "apply exits 0" [ $? -eq 0 ]
check "apply prints the queue backend" \
	grep -Eq '^backend: (nft queue|xt NFQUEUE \(compat\))$' "$T/apply.out"
check "apply logs which queue statement runs" \
	grep -Eq 'ruleset: queue statement: (nft queue|xt NFQUEUE \(compat\))$' "$T/apply.err"
BACKEND=$(sed -n 's/^backend: //p' "$T/apply.out")
echo "# queue backend: $BACKEND"
nft_r list tables >"$T/tables.txt"
check "tables ip and ip6 flowcached exist, no inet one" \
	eval 'grep -qx "table ip flowcached" "$T/tables.txt" &&
	      grep -qx "table ip6 flowcached" "$T/tables.txt" &&
	      ! grep -q "table inet flowcached" "$T/tables.txt"'

# chains: name, hook and priority, in both families
chains_ok() {
	nft_json "$1" && python3 - "$T/$1.json" <<'EOF'
import json, sys
want = {"zone_prerouting": ("prerouting", -300), "zone_output": ("output", -300),
        "decide_prerouting": ("prerouting", -150), "decide_output": ("output", -150),
        "save_prerouting": ("prerouting", -149), "save_output": ("output", -149)}
got = {c["name"]: (c.get("hook"), c.get("prio"), c.get("type"), c.get("policy"))
       for o in json.load(open(sys.argv[1]))["nftables"] for c in [o.get("chain")] if c}
ok = set(got) == set(want) and all(
    got[n] == (h, p, "filter", "accept") for n, (h, p) in want.items())
if not ok:
    print("#   chains:", got)
sys.exit(0 if ok else 1)
EOF
}
for fam in ip ip6; do
	check "$fam: six chains with the right hooks and priorities" chains_ok $fam
	nft_r list table $fam flowcached >"$T/$fam.txt"
	check "$fam: zone 10 rules on iifname/oifname lan0, wan0" \
		eval "grep -q 'iifname @zone10_iif ct zone set 10 accept' '$T/$fam.txt' &&
		      grep -q 'oifname @zone10_iif ct zone set 10 accept' '$T/$fam.txt' &&
		      grep -A4 'set zone10_iif' '$T/$fam.txt' | grep -q '\"lan0\"' &&
		      grep -A5 'set zone10_iif' '$T/$fam.txt' | grep -q '\"wan0\"'"
	check "$fam: restore rule: decided bit, masked CONNMARK restore, accept" \
		grep -Eq 'ct mark & 0x00010000 != 0x00000000 counter packets [0-9]+ bytes [0-9]+ meta mark set ct mark and 0xff0000 accept comment "fastpath"' "$T/$fam.txt"
	check "$fam: queue rule: queue num 0 bypass, counted" \
		grep -Eq 'counter packets [0-9]+ bytes [0-9]+ queue num 0 bypass comment "queue"' "$T/$fam.txt"
	check "$fam: save rule: undecided, marked, masked CONNMARK save" \
		grep -Eq 'ct mark & 0x00010000 == 0x00000000 meta mark & 0x00010000 != 0x00000000 counter packets [0-9]+ bytes [0-9]+ ct mark set mark and 0xff0000 comment "save"' "$T/$fam.txt"
done
nft_r --debug=netlink list chain ip flowcached save_prerouting >"$T/save.netlink"
check "save rule is the xt CONNMARK target (netlink view)" \
	grep -q '\[ target name CONNMARK rev 2 \]' "$T/save.netlink"
nft_r --debug=netlink list chain ip flowcached decide_prerouting >"$T/decide.netlink"
if [ "$BACKEND" = "nft queue" ]; then
	check "queue rule is the native queue expression (netlink view)" \
		grep -q '\[ queue num 0 ' "$T/decide.netlink"
else
	check "queue rule is xt NFQUEUE rev 3 (netlink view)" \
		grep -q '\[ target name NFQUEUE rev 3 \]' "$T/decide.netlink"
fi

# ---- zones and bypass: a TCP connection through the router ----------------

bg "$S" socat TCP4-LISTEN:8080,reuseaddr,fork SYSTEM:"echo pong"
bg "$S" socat TCP6-LISTEN:8080,ipv6only=1,reuseaddr,fork SYSTEM:"echo pong6"
listening() { [ "$(ip netns exec "$S" ss -Hltn "sport = :8080" | wc -l)" -eq 2 ]; }
wait_for 5 listening || fail "server listens"
q0=$(counter ip decide_prerouting queue)
reply=$(echo ping | ip netns exec "$C" socat -T5 - TCP:10.0.2.2:8080 2>&1)
check "TCP through the router works with nobody on the queue (bypass)" \
	[ "$reply" = pong ]
check "the queue rule counted the flow's packets" \
	[ "$(counter ip decide_prerouting queue)" -gt "$q0" ]
check "conntrack: the connection is in zone 10, both directions in one entry, [ASSURED]" \
	wait_for 5 eval 'in_r conntrack -L -p tcp --dport 8080 2>/dev/null |
		grep "src=10.0.1.2 dst=10.0.2.2 .*src=10.0.2.2 dst=10.0.1.2 .*\[ASSURED\].* zone=10 " |
		[ "$(wc -l)" -eq 1 ]'
check "no entry of the connection outside zone 10" \
	eval '! in_r conntrack -L -p tcp --dport 8080 2>/dev/null | grep -v " zone=10 " | grep -q .'
reply=$(echo ping | ip netns exec "$C" socat -T5 - "TCP6:[fd02::2]:8080" 2>&1)
check "TCP over IPv6 through the router works (bypass)" [ "$reply" = pong6 ]
check "conntrack: the IPv6 connection is in zone 10 too (ip6 table), [ASSURED]" \
	wait_for 5 eval 'in_r conntrack -L -f ipv6 -p tcp --dport 8080 2>/dev/null |
		grep -q "src=fd01::2 dst=fd02::2 .*\[ASSURED\].* zone=10 "'
o0=$(counter ip decide_output queue)
in_r ping -c1 -W2 10.0.2.2 >/dev/null
check "the router's own traffic out of wan0 gets zone 10 (oifname rule)" \
	eval 'in_r conntrack -L -p icmp 2>/dev/null | grep -q "src=10.0.2.1 dst=10.0.2.2 .* zone=10 "'
check "the router's own traffic is queued (bypass) from the output chain" \
	[ "$(counter ip decide_output queue)" -gt "$o0" ]

# ---- the fast path after the flow is decided ------------------------------

# This test's own table watches the packet mark around the flowcached
# chains: "pre" (-190, after conntrack, before the decision at -150) sets
# a bit outside the mask on flow 1, and on flow 2 stands in for the
# daemon's verdict mark; "post" (-140, after the save at -149) counts
# what the restore produced.
in_r nft -f - <<'EOF' || fail "test table fctest"
table ip fctest {
	chain pre {
		type filter hook prerouting priority -190;
		udp dport 9000 meta mark set 0x00000100
		udp dport 9001 ct mark 0x00040001 meta mark set 0x00130100
	}
	chain post {
		type filter hook prerouting priority -140;
		udp dport 9000 meta mark 0x00110100 counter comment "restored"
		udp dport 9000 meta mark & 0x00000001 != 0 counter comment "leaked"
		udp dport 9000 meta mark & 0xff00feff != 0 counter comment "other bits"
		udp dport 9001 meta mark 0x00130000 counter comment "restored2"
	}
}
EOF
bg "$S" socat -u UDP-RECV:9000 /dev/null
bg "$S" socat -u UDP-RECV:9001 /dev/null
# udp_send [DPORT SPORT]
udp_send() {
	echo x | ip netns exec "$C" \
		socat -u - "UDP:10.0.2.2:${1:-9000},sourceport=${2:-40000},reuseaddr"
}
ct_udp() { in_r conntrack -L -p udp --dport "${1:-9000}" 2>/dev/null; }
q0=$(counter ip decide_prerouting queue)
udp_send
check "an undecided UDP flow is queued (bypass) in zone 10" \
	wait_for 5 eval '[ "$(counter ip decide_prerouting queue)" -gt "$q0" ] &&
		ct_udp | grep -q "sport=40000 dport=9000 .* zone=10 "'
# decided bit 0x00010000, a policy mark 0x00100000, and bit 0x1 that is
# not ours
check "ct mark set by hand: decided | 0x00100000 | 0x1" \
	ct_set_mark 10.0.1.2 10.0.2.2 40000 9000 10 0x00110001
check "conntrack shows the new ct mark" \
	eval 'ct_udp | grep -q "sport=40000 dport=9000 .* mark=1114113 zone=10 "'
q1=$(counter ip decide_prerouting queue)
# shellcheck disable=SC2034 # f1 is read in the eval below
f1=$(counter ip decide_prerouting fastpath)
r1=$(testcount restored)
for i in 1 2 3 4 5; do udp_send; done
check "5 further packets of the flow hit the fast-path counter" \
	wait_for 5 eval '[ "$(counter ip decide_prerouting fastpath)" -eq $((f1 + 5)) ]'
check "... and not the queue counter" \
	[ "$(counter ip decide_prerouting queue)" -eq "$q1" ]
check "restore: packet mark = our ct mark bits | the packet's own bit 0x100" \
	[ "$(testcount restored)" -eq $((r1 + 5)) ]
check "restore copies no ct mark bit outside the mask (0x1)" \
	[ "$(testcount leaked)" -eq 0 ]
check "restore sets no other packet mark bit" \
	[ "$(testcount "other bits")" -eq 0 ]
check "the ct mark keeps its bit outside the mask" \
	eval 'ct_udp | grep -q "sport=40000 dport=9000 .* mark=1114113 zone=10 "'
check "the save rule left decided flows alone" \
	[ "$(counter ip save_prerouting save)" -eq 0 ]

# save, with "pre" playing the daemon: flow 2 gets ct mark 0x00040001 (a
# stale bit of ours, one not ours), then a packet marked 0x00130100
# (decided | 0x00120000 | a bit not ours) before the decision.
udp_send 9001 40002
wait_for 5 eval 'ct_udp 9001 | grep -q "sport=40002 .* zone=10 "'
check "flow 2: ct mark 0x00040001 set by hand" \
	ct_set_mark 10.0.1.2 10.0.2.2 40002 9001 10 0x00040001
udp_send 9001 40002
check "save: ct mark = 0x00130001 (bits not ours kept, ours replaced)" \
	wait_for 5 eval 'ct_udp 9001 | grep -q "sport=40002 .* mark=1245185 zone=10 "'
check "the save rule counted that one packet" \
	[ "$(counter ip save_prerouting save)" -eq 1 ]
udp_send 9001 40002
check "after the save the flow is on the fast path, packet mark 0x00130000" \
	wait_for 5 eval '[ "$(testcount restored2)" -eq 1 ]'
in_r nft delete table ip fctest

# ---- atomic replacement ---------------------------------------------------

# A reader lists the table as fast as it can while 50 replacements run,
# alternating two configs; every snapshot must hold both queue rules.
# The same reader against remove-then-apply (not atomic) proves it can
# see a gap.
poller() {
	while [ ! -e "$T/stop" ]; do
		# shellcheck disable=SC2266 # the listing is piped into the count
		if nft_r list table ip flowcached 2>/dev/null |
			[ "$(grep -c 'comment "queue"')" -eq 2 ]; then
			echo ok
		else
			echo missing
		fi
	done
}
replace_loop() {
	local out=$1 i
	shift
	rm -f "$T/stop"
	poller >"$out" &
	local pp=$!
	for i in $(seq 1 50); do
		"$@" "$i" || echo "replace $i failed" >&2
	done
	touch "$T/stop"
	wait $pp
}
atomic() {
	if [ $(($1 % 2)) = 1 ]; then tool apply "$CONF2"; else tool apply "$CONF1"; fi >/dev/null 2>&1
}
replace_loop "$T/atomic.poll" atomic 2>"$T/atomic.err"
n_ok=$(grep -c '^ok$' "$T/atomic.poll")
n_missing=$(grep -c '^missing$' "$T/atomic.poll")
echo "# atomic replace: $n_ok snapshots with the queue rules, $n_missing without"
check "50 replacements all succeeded" [ ! -s "$T/atomic.err" ]
check "the reader took snapshots during the replacements" [ "$n_ok" -ge 20 ]
check "no snapshot without the queue rule (atomic replace)" [ "$n_missing" -eq 0 ]
gap_found() { grep -q '^missing$' "$T/naive.poll"; }
naive() { gap_found 2>/dev/null && return; tool remove && tool apply "$CONF1"; } >/dev/null 2>&1
replace_loop "$T/naive.poll" naive
check "the reader does see a gap when replacing is not atomic" gap_found

tool apply "$CONF2" >/dev/null 2>&1
nft_r list table ip flowcached >"$T/ip2.txt"
nft_r list table ip6 flowcached >"$T/ip62.txt"
check "second config: zone 20 rules come first, for either end" \
	eval 'grep -m1 "ct zone set" "$T/ip2.txt" | grep -q "zone 20 media" &&
	      [ "$(grep -c "ct zone set 20 accept" "$T/ip2.txt")" -eq 8 ]'
check "second config: zone 20 address set holds its IPv4 prefixes only" \
	eval 'grep -A4 "set zone20_addr" "$T/ip2.txt" | grep -q "10.0.2.0/24, 192.0.2.0/24"'
check "second config: the ip6 table matches fd02::/64 for zone 20" \
	grep -q 'ip6 daddr fd02::-fd02::ffff:ffff:ffff:ffff udp dport 5004 ct zone set 20 accept' "$T/ip62.txt"
check "second config: its mask and decided bit are in the restore and save rules" \
	eval 'grep -q "ct mark & 0x01000000 != 0x00000000 .*meta mark set ct mark and 0xff000000 accept" "$T/ip2.txt" &&
	      grep -q "meta mark & 0x01000000 != 0x00000000 .*ct mark set mark and 0xff000000" "$T/ip2.txt"'
check "second config: queues 0-1" grep -q 'queue num 0-1 bypass' "$T/ip2.txt"
bg "$S" socat -u UDP-RECV:5004 /dev/null
echo x | ip netns exec "$C" socat -u - UDP:10.0.2.2:5004,sourceport=41000,reuseaddr
check "conntrack: a udp/5004 flow to 10.0.2.0/24 is in zone 20" \
	wait_for 5 eval 'in_r conntrack -L -p udp --dport 5004 2>/dev/null |
		grep -q "sport=41000 dport=5004 .* zone=20 "'

# ---- a batch the kernel refuses changes nothing ---------------------------

nft_r -s list ruleset >"$T/before.txt"
if command -v capsh >/dev/null; then
	drop() { in_r capsh --drop=cap_net_admin -- -c '"$0" "$@"' "$@"; }
else
	drop() { in_r setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$@"; }
fi
drop "$TOOL" apply "$CONF1" >"$T/refused.out" 2>"$T/refused.err"
check "apply without CAP_NET_ADMIN exits 1" [ $? -eq 1 ]
check "... and says the kernel refused the batch, and why" \
	grep -q 'ruleset: kernel refused the batch (flowcached needs CAP_NET_ADMIN): Operation not permitted' "$T/refused.err"
check "... and that the old ruleset stays" \
	grep -q 'not installed; the kernel keeps the ruleset it had' "$T/refused.err"
nft_r -s list ruleset >"$T/after.txt"
check "the ruleset is exactly as before" cmp -s "$T/before.txt" "$T/after.txt"

# ---- remove ---------------------------------------------------------------

tool remove >/dev/null 2>"$T/remove.err"
check "remove exits 0" [ $? -eq 0 ]
check "remove deletes both tables" \
	eval '! nft_r list tables | grep -q flowcached'
tool remove >/dev/null 2>>"$T/remove.err"
check "remove when absent exits 0" [ $? -eq 0 ]
check "remove logged no error" [ ! -s "$T/remove.err" ]

finish

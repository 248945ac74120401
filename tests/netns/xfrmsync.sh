#!/bin/bash
# The IPsec mirror (daemon/xfrmsync.c) against the kernel, through
# tests/netns/xfrm-tool, which runs it alone on a loop like the daemon's
# and answers lookups on stdin. One namespace, no traffic: what is
# checked is what the mirror reads and follows.
#
#   [host: xfrm-tool; ip xfrm policy/state add, del, flush]
#
# - the first dump: policies of three directions, priorities, port and
#   protocol selectors, a block policy, a bypass, IPv6, a mark (which the
#   mirror says it cannot evaluate), a per-socket-free dump; an SA still
#   being negotiated (ip xfrm state allocspi) is not an SA;
# - events: a policy added, replaced, deleted, flushed is seen within a
#   second; a burst of 300 policies costs far fewer than 300 dumps;
# - lost events: with the tool stopped, 4,000 policies overflow its
#   socket (ENOBUFS), and after it goes on it holds all of them;
# - SAs, where the kernel has ESP (CONFIG_INET_ESP): SPIs reported for
#   both directions, a rekey to a newer SA, a deleted SA gone.
. "$(dirname "$0")/lib.sh"

XTOOL=$FC_BUILDDIR/tests/netns/xfrm-tool
[ -x "$XTOOL" ] || { echo "no $XTOOL (make check builds it): skipped"; exit 77; }

H=$(ns_create host) || exit 99
if ! ip -n "$H" xfrm policy add src 192.0.2.1 dst 192.0.2.2 dir out \
	tmpl proto esp mode transport 2>"$T/probe.err"; then
	echo "no XFRM in this kernel ($(cat "$T/probe.err")): skipped"
	exit 77
fi
ip -n "$H" xfrm policy flush

# Policies as `ip xfrm` writes them; the mirror reads them at start.
x() { ip -n "$H" xfrm "$@"; }
x policy add src 10.0.1.0/24 dst 10.0.2.0/24 proto tcp dport 80 dir out \
	priority 100 tmpl proto esp reqid 5 mode transport
x policy add src 10.0.1.0/24 dst 10.0.2.0/24 dir out priority 200 action block
x policy add src 10.0.1.0/24 dst 10.0.2.0/24 proto udp dport 500 dir out \
	priority 10
x policy add src 10.0.2.0/24 dst 10.0.1.0/24 proto tcp sport 80 dir in \
	priority 100 tmpl proto esp reqid 5 mode transport
x policy add src 10.5.0.0/16 dst 10.6.0.0/16 dir fwd \
	tmpl src 192.0.2.9 dst 192.0.2.1 proto esp reqid 7 mode tunnel
x policy add src fd01::/64 dst fd02::/64 dir out \
	tmpl src fd01::2 dst fd02::9 proto esp reqid 9 mode tunnel
x policy add src 10.0.1.0/24 dst 10.0.3.0/24 dir out mark 0x10 mask 0xff \
	tmpl proto esp reqid 11 mode transport
x state allocspi src 10.0.1.2 dst 10.0.2.2 proto esp reqid 5 mode transport \
	>/dev/null

coproc TOOL { exec ip netns exec "$H" "$XTOOL" 2>"$T/tool.err"; }
_pids="$_pids $TOOL_PID"
# bash closes a coprocess's own descriptors in pipelines: copies do not
exec {IN}>&"${TOOL[1]}" {OUT}<&"${TOOL[0]}"
read -r -t 10 line <&"$OUT"
if [ "${line:-}" != ready ]; then
	fail "xfrm-tool starts" "$(cat "$T/tool.err")"
	finish
fi
pass "xfrm-tool opens the mirror"

# ask COMMAND...: the tool's answer
ask() {
	local line=""
	echo "$*" >&"$IN"
	read -r -t 10 line <&"$OUT"
	echo "$line"
}
# answers WANT COMMAND...: the tool answers WANT
answers() { local want=$1; shift; [ "$(ask "$@")" = "$want" ]; }
# expect NAME WANT COMMAND...: check NAME, showing the answer on failure
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(ask "$@")
	if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got '$got'"; fi
}
# settles NAME SECONDS WANT COMMAND...: the answer becomes WANT in time
settles() {
	local name=$1 secs=$2 want=$3
	shift 3
	if wait_for "$secs" answers "$want" "$@"; then
		pass "$name"
	else
		fail "$name" "still '$(ask "$@")'"
	fi
}
stat_of() { ask stats | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

echo "# $(ask stats)"
check "the dump: 7 policies, no SA" \
	[ "$(stat_of policies)" = 7 -a "$(stat_of states)" = 0 ]
check "the larval SA (allocspi) is skipped, not counted as an error" \
	[ "$(stat_of skipped)" -ge 1 -a "$(stat_of errors)" = 0 ]

idx() { # idx DIR SELECTOR-WORDS...: the kernel's index of that policy
	local dir=$1; shift
	ip -s -n "$H" xfrm policy get dir "$dir" "$@" |
		sed -n 's/.* index \([0-9]*\) .*/\1/p' | head -1
}
I_ESP=$(idx out src 10.0.1.0/24 dst 10.0.2.0/24 proto tcp dport 80)
I_BLOCK=$(idx out src 10.0.1.0/24 dst 10.0.2.0/24)
I_IKE=$(idx out src 10.0.1.0/24 dst 10.0.2.0/24 proto udp dport 500)
I_IN=$(idx in src 10.0.2.0/24 dst 10.0.1.0/24 proto tcp sport 80)
I_FWD=$(idx fwd src 10.5.0.0/16 dst 10.6.0.0/16)
I_V6=$(idx out src fd01::/64 dst fd02::/64)
I_MARK=$(idx out src 10.0.1.0/24 dst 10.0.3.0/24 mark 0x10 mask 0xff)
echo "# indexes: esp $I_ESP block $I_BLOCK ike $I_IKE in $I_IN fwd $I_FWD v6 $I_V6 mark $I_MARK"

expect "out, tcp to port 80: the ESP policy, no SA (the larval one is not)" \
	"index $I_ESP priority 100 esp transport reqid 5 spi none" \
	lookup out tcp 10.0.1.2 40000 10.0.2.2 80
expect "out, tcp to port 81: the block policy below it" \
	"index $I_BLOCK priority 200 block" lookup out tcp 10.0.1.2 40000 10.0.2.2 81
expect "out, udp to port 500: the bypass above it" \
	"index $I_IKE priority 10 bypass" lookup out udp 10.0.1.2 500 10.0.2.2 500
expect "out, another network: no policy" \
	"none" lookup out tcp 10.0.1.2 40000 10.0.9.2 80
expect "in, the reply from port 80" \
	"index $I_IN priority 100 esp transport reqid 5 spi none" \
	lookup in tcp 10.0.2.2 80 10.0.1.2 40000
expect "in is not out" "none" lookup in tcp 10.0.1.2 40000 10.0.2.2 80
expect "fwd, a tunnel template" \
	"index $I_FWD priority 0 esp tunnel reqid 7 spi none" \
	lookup fwd udp 10.5.1.1 1 10.6.1.1 2
expect "IPv6" "index $I_V6 priority 0 esp tunnel reqid 9 spi none" \
	lookup out udp fd01::2 1 fd02::3 2
expect "a policy on the packet mark: said to be not modelled" \
	"not-modelled index $I_MARK" lookup out tcp 10.0.1.2 1 10.0.3.2 2

# --- events --------------------------------------------------------------
x policy add src 10.0.1.2 dst 10.0.2.2 proto tcp dport 80 dir out priority 50 \
	tmpl proto ah reqid 6 mode transport
I_AH=$(idx out src 10.0.1.2 dst 10.0.2.2 proto tcp dport 80)
settles "a policy added is seen within a second" 1 \
	"index $I_AH priority 50 ah transport reqid 6 spi none" \
	lookup out tcp 10.0.1.2 40000 10.0.2.2 80
x policy update src 10.0.1.2 dst 10.0.2.2 proto tcp dport 80 dir out \
	priority 150 tmpl proto ah reqid 6 mode transport
settles "a priority changed by update" 1 \
	"index $I_ESP priority 100 esp transport reqid 5 spi none" \
	lookup out tcp 10.0.1.2 40000 10.0.2.2 80
x policy delete src 10.0.1.0/24 dst 10.0.2.0/24 proto tcp dport 80 dir out
settles "a policy deleted" 1 "index $I_AH priority 150 ah transport reqid 6 spi none" \
	lookup out tcp 10.0.1.2 40000 10.0.2.2 80
x policy flush
settles "a flush" 1 "none" lookup out tcp 10.0.1.2 40000 10.0.2.2 80
check "no policy left in the mirror" wait_for 1 eval '[ "$(stat_of policies)" = 0 ]'

# host N: 10.7.A.B, whose policy to anywhere has priority N, reqid N
host() { echo "10.7.$(($1 / 250)).$(($1 % 250 + 1))"; }
batch() { # batch FIRST COUNT FILE
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "xfrm policy add src $(host $i) dst 0.0.0.0/0 dir out priority $i tmpl proto esp reqid $i mode transport"
	done >"$3"
}
batch 0 300 "$T/burst"
dumps=$(stat_of dumps)
ip -n "$H" -batch "$T/burst"
check "a burst of 300 policies: all of them" wait_for 3 eval '[ "$(stat_of policies)" = 300 ]'
dumps=$(( $(stat_of dumps) - dumps ))
echo "# 300 policy events cost $dumps dumps"
check "and far fewer dumps than events" [ "$dumps" -lt 100 ]
expect "the last of them" \
	"index $(idx out src "$(host 299)" dst 0.0.0.0/0) priority 299 esp transport reqid 299 spi none" \
	lookup out tcp "$(host 299)" 1 8.8.8.8 2

# --- lost events ---------------------------------------------------------
batch 1000 4000 "$T/flood"
enobufs=$(stat_of enobufs)
kill -STOP "$TOOL_PID"
ip -n "$H" -batch "$T/flood"
kill -CONT "$TOOL_PID"
check "4,000 policies while stopped: all of them after" \
	wait_for 5 eval '[ "$(stat_of policies)" = 4300 ]'
echo "# $(ask stats)"
check "events were lost (ENOBUFS) and the dump made up for them" \
	[ "$(stat_of enobufs)" -gt "$enobufs" ]
expect "a policy from the flood" \
	"index $(idx out src "$(host 4999)" dst 0.0.0.0/0) priority 4999 esp transport reqid 4999 spi none" \
	lookup out tcp "$(host 4999)" 1 8.8.8.8 2
x policy flush

# --- SAs, where the kernel has ESP -----------------------------------------
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
sa() { # sa SRC DST SPI: a transport ESP SA with reqid 1
	x state add src "$1" dst "$2" proto esp spi "$3" reqid 1 mode transport \
		aead 'rfc4106(gcm(aes))' "$KEY" 128
}
if sa 10.0.1.2 10.0.2.2 0x1001 2>"$T/esp.err"; then
	sa 10.0.2.2 10.0.1.2 0x2002
	x policy add src 10.0.1.2 dst 10.0.2.2 dir out tmpl proto esp reqid 1 mode transport
	x policy add src 10.0.2.2 dst 10.0.1.2 dir in tmpl proto esp reqid 1 mode transport
	settles "SA: the outbound SPI" 1 "$(printf 'index %s priority 0 esp transport reqid 1 spi 0x1001' "$(idx out src 10.0.1.2 dst 10.0.2.2)")" \
		lookup out tcp 10.0.1.2 1 10.0.2.2 2
	expect "SA: the inbound SPI" "$(printf 'index %s priority 0 esp transport reqid 1 spi 0x2002' "$(idx in src 10.0.2.2 dst 10.0.1.2)")" \
		lookup in tcp 10.0.2.2 2 10.0.1.2 1
	sleep 1.1	# SAs are told apart by their add time, in seconds
	sa 10.0.1.2 10.0.2.2 0x1003
	settles "SA: a rekey, the newer SA" 1 "$(printf 'index %s priority 0 esp transport reqid 1 spi 0x1003' "$(idx out src 10.0.1.2 dst 10.0.2.2)")" \
		lookup out tcp 10.0.1.2 1 10.0.2.2 2
	x state delete src 10.0.1.2 dst 10.0.2.2 proto esp spi 0x1003
	x state delete src 10.0.1.2 dst 10.0.2.2 proto esp spi 0x1001
	settles "SA: deleted, the policy stays" 1 "$(printf 'index %s priority 0 esp transport reqid 1 spi none' "$(idx out src 10.0.1.2 dst 10.0.2.2)")" \
		lookup out tcp 10.0.1.2 1 10.0.2.2 2
	check "SA: one left in the mirror" wait_for 1 eval '[ "$(stat_of states)" = 1 ]'
else
	echo "# no ESP in this kernel ($(cat "$T/esp.err")): SA checks not run"
fi

echo "# $(ask stats)"
check "no message was truncated or malformed" \
	[ "$(stat_of truncated)" = 0 -a "$(stat_of errors)" = 0 ]
check "no dump failed" [ "$(stat_of dumps_failed)" = 0 ]
check "the tool is still running" alive "$TOOL_PID"
finish

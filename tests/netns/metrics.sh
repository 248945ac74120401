#!/bin/bash
# Prometheus metrics over HTTP (metrics.listen), scraped with curl and
# checked with promtool:
#
#   [ns "alone": flowcached -f]  metrics off; bad listen values; a port
#                                already taken; an IPv6 listener [::1]
#
#   [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [router] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                               flowcached -f, zone 10 "lan",
#                               metrics on 127.0.0.1:9530
#
# On the router: the page passes `promtool check metrics` before and
# after traffic; packets, verdicts, flows by zone and the decision
# latency histogram move with the traffic; other paths, methods and
# garbage get 404, 405 and 400 and are counted; clients that never
# finish their request, or send nothing, and one too many (503) neither
# block the loop (flowcachectl status answers) nor keep the listener
# from serving, and idle ones are dropped; reloads move the listener,
# keep it when the new address cannot be bound, and turn it off.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "no curl: skipped"; exit 77; }
command -v promtool >/dev/null || { echo "no promtool (Debian: prometheus): skipped"; exit 77; }

PAGE_TYPE="text/plain; version=0.0.4; charset=utf-8"

# write_conf LISTEN: zone 10 "lan", udp dport 7002 dropped, metrics on
# LISTEN (none when empty)
write_conf() {
	local metrics=""

	[ -n "$1" ] && metrics="metrics = { listen = \"$1\"; };"
	cat >"$T/flowcached.conf" <<EOF
zones = ( { id = 10; name = "lan"; match = { iif = [ "lan0", "wan0" ]; }; } );
policy = ( { match = { proto = "udp"; dport = 7002; }; verdict = "drop"; } );
control = { socket = "$SOCK"; };
$metrics
EOF
}

stop_daemon() { kill -TERM "$DAEMON_PID" && wait_gone "$DAEMON_PID" 10; }

# scrape NS URL FILE: the body into FILE, the headers into FILE.head
scrape() {
	ip netns exec "$1" curl -sS -g --max-time 5 -D "$3.head" -o "$3" "$2"
}
# metric FILE SERIES: the value of one series, e.g.
# 'flowcached_queue_verdicts_total{verdict="drop"}'
metric() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { exit !f }' "$1"; }
has() { metric "$@" >/dev/null; }
header() { tr -d '\r' <"$1.head" | sed -n "s/^$2: //Ip"; }
promtool_ok() { promtool check metrics <"$1" >"$T/promtool.out" 2>&1; }
listening() { ip netns exec "$1" ss -Htln | grep -q .; }

# --- alone: off, bad values, a taken port, IPv6 ---------------------------
A=$(ns_create alone) || exit 99

write_conf ""
start_daemon "$A" || { fail "daemon answers (metrics off)"; finish; }
check "no metrics key: nothing listens on TCP" eval '! listening "$A"'
check "no metrics key: a scrape finds nobody" \
	eval '! scrape "$A" http://127.0.0.1:9530/metrics "$T/off" 2>/dev/null'
check "the daemon stops" stop_daemon

write_conf "127.0.0.1:99999"
line=$(grep -n "^metrics" "$T/flowcached.conf" | cut -d: -f1)
"$FCD" -t -c "$T/flowcached.conf" >/dev/null 2>"$T/bad.err"
check "a bad listen value: -t exits 1" [ $? -eq 1 ]
check "with FILE:LINE and the value" grep -q \
	"^$T/flowcached.conf:$line: 'listen' = \"127.0.0.1:99999\" is not ADDRESS:PORT" \
	"$T/bad.err"
ip netns exec "$A" "$FCD" -f -c "$T/flowcached.conf" >"$T/bad-start.out" 2>&1
check "a bad listen value: the daemon refuses to start" [ $? -eq 1 ]
check "and says where" grep -q "$T/flowcached.conf:$line: 'listen'" "$T/bad-start.out"

ip netns exec "$A" python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9530)); s.listen(); time.sleep(60)' &
holder=$!
_pids="$_pids $holder"
wait_for 5 listening "$A"
write_conf "127.0.0.1:9530"
ip netns exec "$A" "$FCD" -f -c "$T/flowcached.conf" >"$T/taken.out" 2>&1
check "a port already taken: the daemon exits 1" [ $? -eq 1 ]
check "and says why" grep -q "metrics: cannot listen on 127.0.0.1:9530: Address already in use" "$T/taken.out"
kill "$holder"
wait_gone "$holder" 5

write_conf "[::1]:9530"
start_daemon "$A" || { fail "daemon answers (metrics on [::1])"; finish; }
check "IPv6: [::1]:9530 serves the page" \
	scrape "$A" "http://[::1]:9530/metrics" "$T/v6"
check "IPv6: promtool accepts it" promtool_ok "$T/v6"
check "the daemon stops" stop_daemon

# --- the router: the page and traffic ---------------------------------------
router_lab || exit 99
write_conf "127.0.0.1:9530"
start_daemon "$R" || { fail "daemon answers (metrics on)"; finish; }
URL=http://127.0.0.1:9530/metrics

check "GET /metrics answers" scrape "$R" "$URL" "$T/m1"
check "status 200" grep -q "^HTTP/1.1 200 OK" "$T/m1.head"
check "Content-Type is the text format's" [ "$(header "$T/m1" Content-Type)" = "$PAGE_TYPE" ]
check "Content-Length is the body's" [ "$(header "$T/m1" Content-Length)" = "$(wc -c <"$T/m1")" ]
check "Connection: close" [ "$(header "$T/m1" Connection)" = close ]
if promtool_ok "$T/m1"; then pass "promtool accepts the page"; else
	fail "promtool accepts the page" "$(head -5 "$T/promtool.out")"; fi
check "every family has HELP and TYPE" eval '[ "$(grep -c "^# HELP " "$T/m1")" = "$(grep -c "^# TYPE " "$T/m1")" ]'
check "build info names the version" \
	has "$T/m1" "flowcached_build_info{version=\"$(sed -n 's/^flowcached \([^,]*\),.*/\1/p' <(ctl status))\"}"
check "the configured zone is there, with its name, before any flow" \
	has "$T/m1" 'flowcached_zone_flows{zone="10",zone_name="lan"}'

# 40 flows to udp 7000 (accepted, decided) and 10 to 7002 (dropped)
ip netns exec "$C" python3 - <<'PY'
import socket
for i in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.1.2", 21000 + i))
    s.sendto(b"m" * 32, ("10.0.2.2", 7000 if i < 40 else 7002))
PY
moved() {
	scrape "$R" "$URL" "$T/m2" &&
	[ "$(metric "$T/m2" 'flowcached_queue_verdicts_total{verdict="drop"}')" -ge 10 ] &&
	[ "$(metric "$T/m2" 'flowcached_zone_flows{zone="10",zone_name="lan"}')" -ge 40 ]
}
check "the traffic shows in a scrape" wait_for 10 moved
delta() { echo $(($(metric "$T/m2" "$1") - $(metric "$T/m1" "$1"))); }
d_pkts=$(delta flowcached_queue_packets_total)
d_acc=$(delta 'flowcached_queue_verdicts_total{verdict="accept"}')
d_drop=$(delta 'flowcached_queue_verdicts_total{verdict="drop"}')
d_lat=$(delta flowcached_decision_latency_seconds_count)
echo "# packets +$d_pkts, accepted +$d_acc, dropped +$d_drop, decisions timed +$d_lat"
check "packets moved by at least 50" [ "$d_pkts" -ge 50 ]
check "accept verdicts moved by at least 40" [ "$d_acc" -ge 40 ]
check "drop verdicts moved by exactly 10" [ "$d_drop" -eq 10 ]
check "the 10 drops are the policy's" \
	[ "$(delta 'flowcached_queue_drops_total{reason="policy"}')" -eq 10 ]
check "decisions moved by at least 40" [ "$(delta flowcached_queue_decisions_total)" -ge 40 ]
check "the latency histogram counted every decision (>= 50)" [ "$d_lat" -ge 50 ]
check "its +Inf bucket equals its count" [ "$(metric "$T/m2" 'flowcached_decision_latency_seconds_bucket{le="+Inf"}')" = \
	"$(metric "$T/m2" flowcached_decision_latency_seconds_count)" ]
check "its buckets never decrease" awk '
	/^flowcached_decision_latency_seconds_bucket/ { if ($2 < last) bad = 1; last = $2 }
	END { exit bad }' "$T/m2"
check "its sum is above zero" awk '$1 == "flowcached_decision_latency_seconds_sum" { exit !($2 > 0) }' "$T/m2"
check "the table counts the flows" [ "$(metric "$T/m2" flowcached_table_flows)" -ge 40 ]
check "conntrack NEW events arrived" [ "$(metric "$T/m2" 'flowcached_conntrack_events_total{type="new"}')" -ge 40 ]
check "promtool accepts the page after traffic" promtool_ok "$T/m2"
ctl --json stats >"$T/stats.json"
check "the verdicts agree with flowcachectl stats" \
	[ "$(json_get "$T/stats.json" "d['queues']['dropped']")" = "$(metric "$T/m2" 'flowcached_queue_verdicts_total{verdict="drop"}')" ]

# --- what is not a scrape ---------------------------------------------------
refused() { metric "$1" "flowcached_metrics_refused_total{reason=\"$2\"}"; }
scrape "$R" http://127.0.0.1:9530/other "$T/404"
check "another path: 404" grep -q "^HTTP/1.1 404 " "$T/404.head"
ip netns exec "$R" curl -sS -X POST -D "$T/405.head" -o /dev/null "$URL"
check "another method: 405 with Allow: GET" \
	eval 'grep -q "^HTTP/1.1 405 " "$T/405.head" && [ "$(header "$T/405" Allow)" = GET ]'
raw() { printf "$1" | ip netns exec "$R" socat -t 3 - TCP:127.0.0.1:9530 | head -1 | tr -d '\r'; }
check "garbage: 400" [ "$(raw 'garbage\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ]
check "binary bytes: 400" [ "$(raw '\001\002\003\377')" = "HTTP/1.1 400 Bad Request" ]
check "HTTP/2.0: 400" [ "$(raw 'GET /metrics HTTP/2.0\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ]
ip netns exec "$R" curl -sS -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' a)" \
	-D "$T/big.head" -o /dev/null "$URL"
check "a request over 8 KiB: 400" grep -q "^HTTP/1.1 400 " "$T/big.head"
check "a query string is ignored" eval 'scrape "$R" "$URL?x=1" "$T/q" && grep -q "^HTTP/1.1 200" "$T/q.head"'
check "the listener still serves" scrape "$R" "$URL" "$T/m3"
check "refusals are counted: 400s" [ "$(refused "$T/m3" bad_request)" -ge 4 ]
check "refusals are counted: 404" [ "$(refused "$T/m3" not_found)" -ge 1 ]
check "refusals are counted: 405" [ "$(refused "$T/m3" method)" -ge 1 ]
check "scrapes are counted" [ "$(metric "$T/m3" flowcached_metrics_scrapes_total)" -gt \
	"$(metric "$T/m1" flowcached_metrics_scrapes_total)" ]

# --- clients that misbehave -------------------------------------------------
# 16 connections fill the slots (one sends half a request, the others
# nothing); the 17th is refused with 503; then 14 leave, and the two
# slow ones left must be dropped by the daemon within ~5 s
ip netns exec "$R" python3 - >"$T/slow.out" 2>&1 <<'PY' &
import socket, time
addr = ("127.0.0.1", 9530)
conns = []
for i in range(16):
    conns.append(socket.create_connection(addr))
conns[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.5)
extra = socket.create_connection(addr)
extra.settimeout(5)
print("17th:", extra.recv(100).split(b"\r\n")[0].decode(), flush=True)
for s in conns[2:]:
    s.close()
print("ready", flush=True)
t = time.monotonic()
for s, what in ((conns[0], "half request"), (conns[1], "silent")):
    s.settimeout(15)
    print(what + ": " + ("closed" if s.recv(100) == b"" else "answered"))
print("dropped after %.1f s" % (time.monotonic() - t), flush=True)
PY
slow=$!
wait_for 10 grep -q ready "$T/slow.out"
check "a 17th client gets 503" grep -q "^17th: HTTP/1.1 503 Service Unavailable" "$T/slow.out"
check "flowcachectl status answers while slow clients hang" \
	eval 'timeout 2 "$FCCTL" -s "$SOCK" status >/dev/null'
check "a scrape is served while slow clients hang" wait_for 5 scrape "$R" "$URL" "$T/m4"
wait "$slow"
sed 's/^/# /' "$T/slow.out"
check "the half request is dropped, never answered" grep -q "^half request: closed" "$T/slow.out"
check "so is the silent client" grep -q "^silent: closed" "$T/slow.out"
check "the slow clients are gone within 8 s" \
	awk '/^dropped after/ { exit !($3 < 8) }' "$T/slow.out"
scrape "$R" "$URL" "$T/m5"
check "the 503 is counted as busy" [ "$(refused "$T/m5" busy)" -ge 1 ]
check "both idle clients are counted" [ "$(refused "$T/m5" idle)" -eq 2 ]
check "no metrics client is left" [ "$(metric "$T/m5" flowcached_metrics_clients)" = 1 ]
check "promtool accepts the page" promtool_ok "$T/m5"

# --- reload -----------------------------------------------------------------
reload_to() { write_conf "$1"; ctl reload >"$T/reload.out" 2>&1; }
check "reload to 127.0.0.2:9531: ok" reload_to "127.0.0.2:9531"
check "the new address serves" scrape "$R" http://127.0.0.2:9531/metrics "$T/m6"
check "the old one no longer listens" \
	eval '! scrape "$R" "$URL" "$T/gone" 2>/dev/null'
check "the reload is counted" [ "$(metric "$T/m6" 'flowcached_reloads_total{result="ok"}')" -ge 1 ]
check "reload to an address not here: the reload itself works" reload_to "192.0.2.1:9531"
check "the old listener stays" scrape "$R" http://127.0.0.2:9531/metrics "$T/m7"
check "and the log says so" grep -q \
	"metrics: cannot listen on 192.0.2.1:9531; still serving on 127.0.0.2:9531" "$T/daemon.log"
check "reload to 0.0.0.0 on the same port: ok" reload_to "0.0.0.0:9531"
check "the wildcard address serves" scrape "$R" http://127.0.0.1:9531/metrics "$T/m8"
reload_to "127.0.0.1:0"
check "reload to a bad value exits 1" [ $? -eq 1 ]
check "and prints FILE:LINE" grep -q \
	"^$T/flowcached.conf:$line: 'listen' = \"127.0.0.1:0\" is not ADDRESS:PORT" \
	"$T/reload.out"
check "and the listener stays" scrape "$R" http://127.0.0.1:9531/metrics "$T/m9"
check "reload without metrics: ok" reload_to ""
check "nothing listens any more" eval '! listening "$R"'
check "flowcachectl still answers" ctl_ok

finish

#!/bin/bash
# The conntrack mirror under churn: 20,000 entries created, a third of
# them re-marked, half deleted, in three zones, both families, TCP, UDP,
# ICMP, ICMPv6 and a protocol without ports; after each step the
# daemon's flow table (flowcachectl --json flows) must equal conntrack -L
# entry for entry: zone, protocol, both tuples, mark (ctcompare.py).
#
#   [main: flowcached -f, ruleset unmanaged] s0 10.98.0.1 --- s1 [sink]
#                                             10.99.0.0/16 via s0
#
# The daemon only mirrors here (managed = false: no queue rule), so
# every flow it holds was learnt from ctnetlink events. The three zones
# hold the same tuples: a mirror that drops the zone from its key, or
# applies an event to another zone's flow, shows as a wrong mark.
#
# conntrack-tools 1.4.7 cannot update an entry outside zone 0 (`-U`
# takes no --zone and looks the entry up in zone 0), and one `-U` that
# matches a few hundred entries stops with ENOBUFS. So zone 0 entries
# are re-marked with `conntrack -U -s PREFIX` over groups of ~30, each
# retried until the kernel shows the mark; entries in zones 10 and 20
# are re-marked by the kernel itself: one datagram per UDP entry, sent
# from the entry's own address and port (IP_TRANSPARENT) with SO_MARK,
# put into the entry's zone by `ct zone set` (keyed by that mark) and
# its mark into the entry by `ct mark set meta mark`, out through s0
# into the sink. Deletes are `conntrack -D -w ZONE -s PREFIX`: each
# takes one dump, where a -D per entry would dump the table once a line.
. "$(dirname "$0")/lib.sh"
for t in conntrack nft python3; do
	command -v $t >/dev/null || { echo "no $t: skipped"; exit 77; }
done

NS=$(ns_create main) && SINK=$(ns_create sink) || exit 99
in_ns() { ip netns exec "$NS" "$@"; }
# no router solicitations or MLD on the veth: the table holds only the
# test's entries; UDP entries refreshed by the marking datagrams keep an
# hour, not 30 s
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
ct_max_at_least "$NS" 30000 || { echo "nf_conntrack_max below 30,000: skipped"; exit 77; }
veth "$NS" s0 "$SINK" s1 || exit 99
in_ns ip addr add 10.98.0.1/32 dev s0
in_ns ip route add 10.99.0.0/16 dev s0
in_ns ip neigh replace 10.99.0.1 lladdr 02:00:00:00:00:01 dev s0 nud permanent

cat >"$T/flowcached.conf" <<EOF
ruleset = { managed = false; };
conntrack = { rcvbuf = 33554432; };
control = { socket = "$SOCK"; };
EOF
start_daemon "$NS" || { fail "daemon answers"; finish; }
pass "daemon up, mirroring only"

# mirror.py gen DIR: the test's entries. mirror.py update0 DIR: re-mark
# zone 0. mirror.py send DIR: the marking datagrams for zones 10 and 20.
cat >"$T/mirror.py" <<'PY'
import ipaddress, os, socket, subprocess, sys

ZONES = {0: 6667, 10: 6667, 20: 6666}      # 20,000 entries


def canon(a):
    return str(ipaddress.ip_address(a))


def entries():
    """(zone, n, family, proto, src, line) for every entry.

    n counts within a zone; the three zones hold the same tuples, so a
    mirror that loses the zone from its key shows. Odd n are deleted
    later and live in their own prefix (10.1.0.0/16, fd00:1::/32), so
    that one conntrack -D per zone and family removes exactly half. The
    first marks carry the zone in their low bits."""
    for z, count in ZONES.items():
        for n in range(count):
            d = n % 2
            k = (n // 2) % 20
            v4 = "10.%d.%d.%d" % (d, n >> 8, n & 255)
            v6 = "fd00:%x::%x" % (d, n)
            mark = (n % 4) << 8 | z
            if n % 16 == 5:
                mark |= 0x00110000          # a decided flow's mark
            tail = " -t 3600 -w %d -m 0x%x" % (z, mark)
            if k < 10:
                yield z, n, 4, "tcp", v4, ("-I -s %s -d 10.99.0.1 -p tcp "
                    "--sport %d --dport 80 --state ESTABLISHED" % (v4, 1024 + n)) + tail
            elif k < 15:
                yield z, n, 4, "udp", v4, ("-I -s %s -d 10.99.0.1 -p udp "
                    "--sport %d --dport 53" % (v4, 1024 + n)) + tail
            elif k < 17:
                yield z, n, 4, "icmp", v4, ("-I -s %s -d 10.99.0.1 -p icmp "
                    "--icmp-type 8 --icmp-code 0 --icmp-id %d" % (v4, n)) + tail
            elif k == 17:
                yield z, n, 6, "tcp", v6, ("-I -s %s -d fd99::1 -p tcp "
                    "--sport %d --dport 443 --state ESTABLISHED" % (v6, 1024 + n)) + tail
            elif k == 18 and (n // 40) % 2 == 0:
                yield z, n, 6, "udp", v6, ("-I -s %s -d fd99::1 -p udp "
                    "--sport %d --dport 53" % (v6, 1024 + n)) + tail
            elif k == 18:
                yield z, n, 6, "icmpv6", v6, ("-I -s %s -d fd99::1 -p icmpv6 "
                    "--icmpv6-type 128 --icmpv6-code 0 --icmpv6-id %d" % (v6, n)) + tail
            else:
                yield z, n, 4, "41", v4, ("-I -s %s -d 10.99.0.1 -p 41" % v4) + tail


def groups():
    """Zone 0 update groups: (family, prefix, mark, [src, ...]), the
    entries that stay (even n): half of zone 0, a sixth of the table.
    A group's prefix matches its tuples in zones 10 and 20 too: -U
    finds them in its dump, but its update (no zone) lands on zone 0
    again, so ~30 entries a zone keep it under the ENOBUFS limit."""
    g = {}
    for z, n, fam, proto, src, _ in entries():
        if z != 0 or n % 2:
            continue
        d = 0
        if fam == 4:
            key = (4, "10.%d.%d.%d/26" % (d, n >> 8, n & 0xc0))
        else:
            key = (6, "fd00:%x::%x/119" % (d, n & ~0x1ff))
        g.setdefault(key, []).append(canon(src))
    out = []
    for i, (key, srcs) in enumerate(sorted(g.items())):
        mark = 0x5000 + i
        if i % 2:
            mark |= 0x80000000               # above INT32_MAX
        out.append((key[0], key[1], mark, srcs))
    return out


def kernel_marks():
    """src address -> mark of every zone 0 entry in the kernel."""
    marks = {}
    for fam in ("ipv4", "ipv6"):
        txt = subprocess.run(["conntrack", "-L", "-f", fam, "-w", "0"],
                             capture_output=True, text=True).stdout
        for line in txt.splitlines():
            f = {}
            for t in line.split():
                if "=" in t:
                    k, v = t.split("=", 1)
                    f.setdefault(k, v)      # the first src is the original
            if "zone" not in f and "src" in f:
                marks[canon(f["src"])] = int(f["mark"])
    return marks


mode, tdir = sys.argv[1], sys.argv[2]
if mode == "gen":
    with open(os.path.join(tdir, "insert.txt"), "w") as fh:
        for e in entries():
            print(e[5], file=fh)
elif mode == "update0":
    todo = groups()
    updated = sum(len(g[3]) for g in todo)
    for attempt in range(6):
        for fam, prefix, mark, srcs in todo:
            cmd = ["conntrack", "-U", "-s", prefix, "-m", "0x%x" % mark]
            if fam == 6:
                cmd[2:2] = ["-f", "ipv6"]
            subprocess.run(cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        km = kernel_marks()
        todo = [g for g in todo if any(km.get(s) != g[2] for s in g[3])]
        if not todo:
            break
    print("%d entries in %d groups, %d passes, %d groups left" % (
        updated, len(groups()), attempt + 1, len(todo)))
    sys.exit(1 if todo else 0)
elif mode == "send":
    SO_MARK, IP_TRANSPARENT = 36, 19
    sent = 0
    for z, n, fam, proto, src, _ in entries():
        if z == 0 or proto != "udp" or fam != 4:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_MARK, 0x10000000 | (z << 16) | n)
        s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        s.bind((src, 1024 + n))
        s.sendto(b"m", ("10.99.0.1", 53))
        s.close()
        sent += 1
    print(sent)
PY

# --- 20,000 inserts ----------------------------------------------------
python3 "$T/mirror.py" gen "$T" || exit 99
ct_load "$NS" "$T/insert.txt"
check "conntrack -R created 20,000 entries" [ "$(ct_count "$NS")" -eq 20000 ]
check "the daemon counts 20,000 flows" wait_secs 30 mirror_count_is 20000
mirror_settles "after 20,000 inserts the mirror equals conntrack -L" "$NS" 30
mirror_compare "$NS" "" --fields
check "every flow object has the contract's members" [ $? -eq 0 ]
grep -v '^zone\|^equal' "$T/compare.out" | sed 's/^/# /'
mirror_compare "$NS" "" --state --ids
check "states and conntrack ids agree too" [ $? -eq 0 ]
grep -v '^zone\|^equal' "$T/compare.out" | sed 's/^/# /'

# --- re-mark a third: half of zone 0 (-U), zones 10 and 20 UDP (kernel) --
in_ns python3 "$T/mirror.py" update0 "$T" >"$T/update0.out"
check "conntrack -U re-marked the 3,334 zone 0 entries that stay" [ $? -eq 0 ]
echo "# conntrack -U: $(cat "$T/update0.out")"
in_ns nft -f - <<'EOF'
table ip ctmark {
	chain zone_out {
		type filter hook output priority raw;
		meta mark and 0x00ff0000 == 0x000a0000 ct zone set 10
		meta mark and 0x00ff0000 == 0x00140000 ct zone set 20
	}
	chain mark_out {
		type filter hook output priority filter;
		meta mark != 0 ct mark set meta mark
	}
}
EOF
sent=$(in_ns python3 "$T/mirror.py" send "$T")
marked=$(ct "$NS" -L -f ipv4 | grep -c ' mark=2[67][0-9]\{7\} ')
echo "# $sent datagrams re-marked $marked UDP entries in zones 10 and 20"
check "every datagram re-marked its entry in zone 10 or 20" \
	[ "${sent:-0}" -gt 3000 -a "$marked" -eq "${sent:-0}" ]
check "and created none" [ "$(ct_count "$NS")" -eq 20000 ]
mirror_settles "after the mark updates the mirror equals conntrack -L" "$NS" 30

# --- delete half -------------------------------------------------------
for z in 0 10 20; do
	ct "$NS" -D -w $z -s 10.1.0.0/16 >/dev/null
	ct "$NS" -D -f ipv6 -w $z -s fd00:1::/32 >/dev/null
done
check "conntrack -D deleted half (the 9,999 odd ones)" [ "$(ct_count "$NS")" -eq 10001 ]
check "the daemon counts 10,001 flows" wait_secs 30 mirror_count_is 10001
mirror_settles "after deleting half the mirror equals conntrack -L" "$NS" 30

# --- per zone ------------------------------------------------------------
for z in 0 10 20; do
	mirror_settles "flows --zone $z equals the kernel's zone $z" "$NS" 10 $z
	kernel=$(grep -c "zone=$z " "$T/kernel.txt")
	[ $z -eq 0 ] && kernel=$(grep -vc "zone=" "$T/kernel.txt")
	check "zones --json: zone $z holds $kernel flows" \
		[ "$(zone_get $z flows)" = "$kernel" ]
done

ctl --json stats >"$T/stats.json"
echo "# conntrack: $(json_get "$T/stats.json" "d['conntrack']")"
echo "# table: $(json_get "$T/stats.json" "{k: v for k, v in d['table'].items() if k != 'chains'}")"
check "stats --json has the contract's table and conntrack counters" \
	[ "$(json_get "$T/stats.json" "' '.join(sorted({'flows', 'buckets', 'load', 'longest_chain', 'chains', 'inserts', 'deletes', 'dropped', 'evicted', 'grows', 'shrinks', 'rehashes', 'resizing', 'chain_too_long', 'pending_expired', 'swept'} - set(d['table'])) + sorted({'events', 'new', 'update', 'destroy', 'enobufs', 'resyncs', 'dumps', 'dump_entries', 'sync_ms', 'errors', 'deleted'} - set(d['conntrack'])))")" = "" ]
check "table.chains has 9 counts" \
	[ "$(json_get "$T/stats.json" "len(d['table']['chains'])")" = 9 ]
check "the mirror saw the NEW events" \
	[ "$(json_get "$T/stats.json" "d['conntrack']['new']")" -ge 20000 ]
check "and the DESTROY events" \
	[ "$(json_get "$T/stats.json" "d['conntrack']['destroy']")" -ge 9999 ]
check "no event errors" \
	[ "$(json_get "$T/stats.json" "d['conntrack']['errors']")" -eq 0 ]
check "the daemon is still running" alive "$DAEMON_PID"

finish

#!/bin/sh
# Socket owners (issue 6): when one end of a flow is this machine, the
# daemon finds the socket of that end with an exact sock_diag lookup and
# records its owner. Services and clients run as two test users; every
# owner the daemon reports must be what ss(8) reports for that socket
# (uid, inode, cookie, a process holding it and its comm), for flows
# coming in (TCP: the accepted socket replaces the listener the SYN
# found; UDP: the bound socket) and going out. Policy on owners: one
# user's flows get a mark, and only that user's (read back from
# conntrack); a program by its comm gets its SYN dropped. flows --user
# filters; a sender gone before the lookup leaves no owner (and is
# counted), never a wrong one; an unknown user name in the config is
# refused with FILE:LINE.
#
#   [client C] eth0 10.0.9.1 fd09::1 ---------- eth0 10.0.9.2 fd09::2 [server S]
#     listeners 9001-9003 (root)                  flowcached -f, managed ruleset
#     clients of 8001-8003                        listeners 8001, 8003 (fcown-a),
#                                                 8002/udp (fcown-b); clients of
#                                                 9001-9005 as fcown-a, fcown-b, root
. "$(dirname "$0")/lib.sh"

for tool in socat conntrack ss setpriv useradd userdel pgrep python3; do
	command -v $tool >/dev/null || { echo "no $tool: skipped"; exit 77; }
done

# --- two test users, removed at exit if this test made them ----------
# lib.sh's EXIT trap (cleanup) first stops everything in the namespaces,
# so no process of these users is left when they are removed.
made_users=""
drop_users() {
	local u
	for u in $made_users; do
		wait_for 5 eval "! pgrep -u $u >/dev/null"
		userdel "$u" || echo "# could not remove user $u"
	done
	[ -z "$CG" ] || wait_for 5 rmdir "$CG" 2>/dev/null ||
		echo "# could not remove cgroup $CG"
}
trap 'cleanup; drop_users' EXIT
for u in fcown-a fcown-b; do
	id -u "$u" >/dev/null 2>&1 && continue
	useradd --system --no-create-home --shell /usr/sbin/nologin "$u" ||
		{ echo "cannot create user $u: skipped"; exit 77; }
	made_users="$made_users $u"
done

# --- a cgroup of our own, when this machine has a cgroup v2 mount ------
CGNAME=/flowcached-owners-test-$$
CG=
cg_root=$(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' \
	/proc/self/mountinfo | head -n 1)
if [ -n "$cg_root" ] && mkdir "$cg_root$CGNAME" 2>/dev/null; then
	CG=$cg_root$CGNAME
fi

# --- the lab ------------------------------------------------------------
C=$(ns_create client) && S=$(ns_create server) && veth "$C" eth0 "$S" eth0 ||
	exit 99
ip -n "$C" addr add 10.0.9.1/24 dev eth0
ip -n "$S" addr add 10.0.9.2/24 dev eth0
ip -n "$C" addr add fd09::1/64 dev eth0 nodad
ip -n "$S" addr add fd09::2/64 dev eth0 nodad

cat >"$T/flowcached.conf" <<EOF
marks = { mask = 0x00ff0000; };
ruleset = { keep_on_exit = false; };
policy = (
  { match = { owner = { user = "fcown-a"; }; }; mark = 0x00100000; },
  { match = { proto = "tcp"; owner = { comm = "blocked-client"; }; }; verdict = "drop"; },
  { match = { owner = { cgroup = "$CGNAME"; }; }; mark = 0x00200000; }
);
control = { socket = "$SOCK"; };
EOF
start_daemon "$S" || { fail "daemon starts"; finish; }

# as_user USER: the command words that run a program as USER (none for
# root)
as_user() {
	[ "$1" = root ] ||
		echo "setpriv --reuid=$1 --regid=$(id -g "$1") --clear-groups"
}
# serve NS USER CMD...: a server in NS, as USER
serve() {
	local ns=$1 user=$2
	shift 2
	ip netns exec "$ns" $(as_user "$user") "$@" </dev/null >/dev/null \
		2>>"$T/services.err" &
	_pids="$_pids $!"
}
# hold NS USER ADDRESS: socat as USER in NS sends one line to ADDRESS,
# then keeps its socket open until the test ends
hold() {
	ip netns exec "$1" sh -c \
		'{ echo x; exec sleep 120; } | exec '"$(as_user "$2")"' socat -u - "$1"' \
		sh "$3" >/dev/null 2>>"$T/services.err" &
	_pids="$_pids $!"
}
listening() { ip netns exec "$1" ss -Htuln | grep -q ":$2 "; }

serve "$S" fcown-a socat -u TCP-LISTEN:8001,fork,reuseaddr OPEN:/dev/null
serve "$S" fcown-b socat -u UDP-RECV:8002 -
serve "$S" fcown-a socat -u TCP6-LISTEN:8003,fork,reuseaddr,ipv6only OPEN:/dev/null
serve "$C" root socat -u TCP-LISTEN:9001,fork,reuseaddr OPEN:/dev/null
serve "$C" root socat -u UDP-RECV:9002 OPEN:/dev/null
serve "$C" root socat -u TCP-LISTEN:9003,fork,reuseaddr OPEN:/dev/null
for p in "$S 8001" "$S 8002" "$S 8003" "$C 9001" "$C 9002" "$C 9003"; do
	wait_for 5 listening $p || { fail "listener $p"; finish; }
done

# Clients, each on its own socket: inbound from C (as root), outbound
# from S with source ports that say the user: 41xxx fcown-a, 42xxx
# fcown-b.
for i in 1 2 3; do
	hold "$C" root TCP:10.0.9.2:8001
	hold "$C" root UDP:10.0.9.2:8002
done
for i in 1 2; do
	hold "$C" root "TCP6:[fd09::2]:8003"
	hold "$S" fcown-a TCP:10.0.9.1:9001,sourceport=4100$i,reuseaddr
	hold "$S" fcown-b TCP:10.0.9.1:9001,sourceport=4200$i,reuseaddr
done
hold "$S" fcown-a UDP:10.0.9.1:9002,sourceport=41011
hold "$S" fcown-b UDP:10.0.9.1:9002,sourceport=42011

# The flows and who should own them, as PROTO/DIR/PORTS/USER/COUNT: in
# selects flows by their destination port (the local end is the
# destination), out by their source port (the local end is the source).
RULES_IN="tcp/in/8001/fcown-a/3 udp/in/8002/fcown-b/3 tcp/in/8003/fcown-a/2"
RULES_OUT="tcp/out/41001-41002/fcown-a/2 udp/out/41011/fcown-a/1
tcp/out/42001-42002/fcown-b/2 udp/out/42011/fcown-b/1"

# owners_py MODE ARGS...: the comparisons, in $T/owners.out
#   owners FLOWS.JSON SS.TXT RULE...: each flow's owner is what ss says
#     about the socket of its local end (uid, inode, cookie, pid among
#     the holders, that holder's comm; TCP: not the listener), user and
#     gid are the rule's user's (the services run with its group), and
#     each rule has its COUNT flows at least
#   marks CT.TXT BIT USER RULE...: in conntrack's table, BIT of the mark
#     is set on USER's flows and on no others, and each rule has its
#     COUNT flows at least
#   user ALL.JSON USER.JSON USER: USER.JSON (flows --user USER) has only
#     USER's flows, at least one, and all of USER's TCP flows of ALL.JSON
owners_py() {
	python3 - "$@" >"$T/owners.out" 2>&1 <<'PY'
import ipaddress, json, pwd, re, sys

mode, args = sys.argv[1], sys.argv[2:]
problems = []
LOCAL = {ipaddress.ip_address("10.0.9.2"), ipaddress.ip_address("fd09::2")}

def rules_of(words):
    out = []
    for w in words:
        proto, d, ports, user, n = w.split("/")
        lo, _, hi = ports.partition("-")
        out.append(dict(proto=proto, dir=d, lo=int(lo), hi=int(hi or lo),
                        user=user, n=int(n), seen=0))
    return out

def rule_for(rules, proto, sport, dport):
    for r in rules:
        port = dport if r["dir"] == "in" else sport
        if r["proto"] == proto and r["lo"] <= port <= r["hi"]:
            return r
    return None

def counts(rules):
    for r in rules:
        if r["seen"] < r["n"]:
            problems.append("%s/%s/%d-%d: %d flows, expected %d" % (
                r["proto"], r["dir"], r["lo"], r["hi"], r["seen"], r["n"]))

def ip(s):
    a = ipaddress.ip_address(s.strip("[]").split("%")[0])
    return a.ipv4_mapped or a if a.version == 6 else a

def end(s):
    """ss's ADDR:PORT; the address None when it is a wildcard"""
    host, _, port = s.rpartition(":")
    host = host.strip("[]").split("%")[0]
    addr = None if host in ("*", "0.0.0.0", "::") else ip(host)
    return addr, (None if port == "*" else int(port))

def read_ss(path):
    socks = []
    for line in open(path):
        f = line.split()
        if len(f) < 6 or f[0] not in ("tcp", "udp"):
            continue
        m = re.search(r"users:\(\((.*?)\)\)", line)
        users = re.findall(r'"([^"]*)",pid=(\d+)', m.group(1)) if m else []
        num = lambda key: re.search(r"\b%s:([0-9a-f]+)" % key, line)
        uid, ino, sk = num("uid"), num("ino"), num("sk")
        socks.append(dict(proto=f[0], state=f[1], local=end(f[4]),
                          peer=end(f[5]), uid=int(uid.group(1)) if uid else 0,
                          inode=int(ino.group(1)) if ino else None,
                          cookie=int(sk.group(1), 16) if sk else None,
                          holders={int(p): c for c, p in users}))
    return socks

def find(socks, proto, local, remote):
    def at(s):
        return (s["proto"] == proto and s["local"][1] == local[1] and
                s["local"][0] in (None, local[0]))
    exact = [s for s in socks if at(s) and s["peer"] == remote]
    if exact or proto != "udp":
        return exact
    return [s for s in socks if at(s) and s["peer"][1] is None]

if mode == "owners":
    flows = json.load(open(args[0]))["flows"]
    socks = read_ss(args[1])
    rules = rules_of(args[2:])
    for f in flows:
        if f["proto"] not in ("tcp", "udp"):
            continue
        o = f["orig"]
        r = rule_for(rules, f["proto"], o["sport"], o["dport"])
        if r is None:
            continue
        r["seen"] += 1
        src, dst = (ip(o["src"]), o["sport"]), (ip(o["dst"]), o["dport"])
        local, remote = (dst, src) if r["dir"] == "in" else (src, dst)
        name = "%s %s:%d -> %s:%d" % (f["proto"], src[0], src[1], dst[0], dst[1])
        if local[0] not in LOCAL:
            problems.append("%s: local end %s is not S's" % (name, local[0]))
            continue
        own = f.get("owner")
        if not own:
            problems.append("%s: owner %r" % (name, own))
            continue
        found = find(socks, f["proto"], local, remote)
        if len(found) != 1:
            problems.append("%s: ss lists %d sockets for it" % (name, len(found)))
            continue
        s = found[0]
        pw = pwd.getpwnam(r["user"])
        want = dict(uid=s["uid"], user=r["user"], gid=pw.pw_gid,
                    inode=s["inode"], cookie=s["cookie"])
        if f["proto"] == "tcp":
            want["listener"] = False
        if s["uid"] != pw.pw_uid:
            problems.append("%s: ss says uid %d, not %s's" % (name, s["uid"], r["user"]))
        for k, v in want.items():
            if own.get(k) != v:
                problems.append("%s: %s %r, ss %r" % (name, k, own.get(k), v))
        if own.get("pid") not in s["holders"]:
            problems.append("%s: pid %r, ss has %s" % (name, own.get("pid"),
                                                       sorted(s["holders"])))
        elif own.get("comm") != s["holders"][own["pid"]]:
            problems.append("%s: comm %r, ss %r" % (name, own.get("comm"),
                                                    s["holders"][own["pid"]]))
    counts(rules)
elif mode == "marks":
    bit, marked = int(args[1], 0), args[2]
    rules = rules_of(args[3:])
    for line in open(args[0]):
        f = line.split()
        sport, dport, mark = (re.search(r"\b%s=(\d+)" % k, line)
                              for k in ("sport", "dport", "mark"))
        if not f or not sport or not dport:
            continue
        mark = int(mark.group(1)) if mark else 0
        r = rule_for(rules, f[0], int(sport.group(1)), int(dport.group(1)))
        if r:
            r["seen"] += 1
        if (r is not None and r["user"] == marked) != bool(mark & bit):
            problems.append("mark 0x%08x on %s's flow: %s" % (
                mark, r["user"] if r else "nobody", " ".join(f[:8])))
    counts(rules)
elif mode == "user":
    uid = pwd.getpwnam(args[2]).pw_uid
    every = json.load(open(args[0]))["flows"]
    shown = json.load(open(args[1]))["flows"]
    if not shown:
        problems.append("flows --user %s shows no flow" % args[2])
    for f in shown:
        if (f.get("owner") or {}).get("uid") != uid:
            problems.append("shown, owner %r: %s" % (f.get("owner"), f["orig"]))
    ids = {f["ct_id"] for f in shown}
    for f in every:
        if (f["proto"] == "tcp" and (f.get("owner") or {}).get("uid") == uid
                and f["ct_id"] not in ids):
            problems.append("not shown: %s" % f["orig"])
for p in problems[:20]:
    print(p)
sys.exit(1 if problems else 0)
PY
}

# owners_match RULE...: the daemon's owners against ss in S
owners_match() {
	ctl --json flows >"$T/flows.json" 2>/dev/null &&
	ip netns exec "$S" ss -Htuanpe >"$T/ss.txt" 2>/dev/null &&
	owners_py owners "$T/flows.json" "$T/ss.txt" "$@"
}
# marks_match: the owner mark in conntrack, only on fcown-a's flows
marks_match() {
	ct_dump "$S" "$T/ct.txt" &&
	owners_py marks "$T/ct.txt" 0x00100000 fcown-a $RULES_IN $RULES_OUT
}
report() { sed 's/^/# /' "$T/owners.out"; }

# 1: inbound owners. The TCP listener the SYN found is replaced with
# the accepted socket within about 2 s.
name="inbound flows: each owner is what ss says of the socket (TCP, UDP, TCP/IPv6)"
if wait_secs 6 owners_match $RULES_IN; then pass "$name"; else report; fail "$name"; fi

# 2: outbound owners, and the policy's mark on one user's flows
name="outbound flows of two users: each owner is what ss says (TCP, UDP)"
if wait_secs 3 owners_match $RULES_OUT; then pass "$name"; else report; fail "$name"; fi
if wait_secs 3 marks_match; then
	pass "the owner policy marks fcown-a's flows, and only those"
else
	report; fail "the owner policy marks fcown-a's flows, and only those"
fi

# 2b: a cgroup: a client (fcown-b, source port 42050) in our cgroup
if [ -n "$CG" ]; then
	# joined outside the namespace: ip netns exec remounts /sys
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG" \
		ip netns exec "$S" sh -c '{ echo x; exec sleep 120; } |
		exec setpriv --reuid=fcown-b --regid="$(id -g fcown-b)" \
			--clear-groups socat -u - TCP:10.0.9.1:9001,sourceport=42050' \
		>/dev/null 2>>"$T/services.err" &
	_pids="$_pids $!"
	# cgroup_flow: the flow's owner cgroup and its conntrack mark
	cgroup_flow() {
		ctl --json flows >"$T/flows-cg.json" 2>/dev/null &&
		python3 -c 'import json, sys
f = [f for f in json.load(open(sys.argv[1]))["flows"]
     if f["orig"]["sport"] == 42050]
print(f[0]["owner"]["cgroup"], f[0]["mark"] & 0x00200000) if f and f[0]["owner"] else sys.exit(1)' \
			"$T/flows-cg.json" >"$T/cg.out" &&
		[ "$(cat "$T/cg.out")" = "$CGNAME 2097152" ]
	}
	name="a client in cgroup $CGNAME: its owner shows it, the cgroup rule marks it"
	if wait_secs 3 cgroup_flow; then
		pass "$name"
	else
		sed 's/^/# got: /' "$T/cg.out"; tail -n 3 "$T/services.err"
		fail "$name"
	fi
	ct_dump "$S" "$T/ct-cg.txt"
	check "conntrack: the cgroup mark on that flow only" [ "$(grep -c 'mark=2162688' "$T/ct-cg.txt")" -eq 1 ]
else
	echo "# no writable cgroup v2 mount: cgroup match not tested"
fi

# 3: drop by comm
cp "$(command -v socat)" "$T/blocked-client"
dropped0=$(stats_get "['queues']['dropped']")
ip netns exec "$S" "$T/blocked-client" -u OPEN:/dev/null \
	TCP:10.0.9.1:9003,connect-timeout=2 2>/dev/null
check "a program named blocked-client cannot connect (policy drop on comm)" [ $? -ne 0 ]
check "its SYN was dropped by the daemon" \
	[ "$(stats_get "['queues']['dropped']")" -gt "$dropped0" ]
ip netns exec "$S" socat -u OPEN:/dev/null TCP:10.0.9.1:9003,connect-timeout=2
check "the same connection made by socat works" [ $? -eq 0 ]

# 4: flows --user
ctl --json flows >"$T/all.json"
ctl --json flows --user fcown-a >"$T/user.json"
check "flows --user fcown-a exits 0" [ $? -eq 0 ]
if owners_py user "$T/all.json" "$T/user.json" fcown-a; then
	pass "flows --user fcown-a shows fcown-a's flows and no others"
else
	report; fail "flows --user fcown-a shows fcown-a's flows and no others"
fi
ctl flows --user no-such-user-x >/dev/null 2>&1
check "flows --user with an unknown name exits 2" [ $? -eq 2 ]

# 5: the sender is gone before the daemon looks. While the daemon is
# stopped its datagram waits in the queue.
gone0=$(stats_get "['owners']['gone']")
echo "# owners before: $(json_get "$T/stats.json" "d['owners']")"
# stopped PID: every thread of PID is stopped (state T)
stopped() {
	! grep -qv '^[0-9]* (.*) T ' /proc/"$1"/task/*/stat 2>/dev/null
}
kill -STOP "$DAEMON_PID"
wait_for 2 stopped "$DAEMON_PID" || echo "# the daemon did not stop"
echo x | ip netns exec "$S" timeout 5 $(as_user fcown-b) \
	socat -u - UDP:10.0.9.1:9005,sourceport=42099
rc=$?
kill -CONT "$DAEMON_PID"
check "a sender as fcown-b sent one datagram and exited" [ $rc -eq 0 ]
# flow9005: the daemon's flow from port 42099 to 9005, as JSON
flow9005() {
	ctl --json flows >"$T/flows5.json" 2>/dev/null &&
	python3 -c 'import json, sys
f = [f for f in json.load(open(sys.argv[1]))["flows"]
     if f["orig"]["dport"] == 9005 and f["orig"]["sport"] == 42099]
print(json.dumps(f[0])) if f else sys.exit(1)' "$T/flows5.json"
}
gone_grew() { [ "$(stats_get "['owners']['gone']" 2>/dev/null)" -gt "${gone0:-0}" ] 2>/dev/null; }
check "its flow appears" wait_secs 5 eval 'flow9005 >/dev/null'
check "the lookup that found no socket is counted (owners.gone)" wait_secs 5 gone_grew
flow9005 >"$T/flow5.json"
echo "# $(cat "$T/flow5.json")"
echo "# owners after: $(stats_get "['owners']")"
check "and its flow has no owner" \
	[ "$(json_get "$T/flow5.json" "d['owner']")" = None ]

# 6: an unknown user in the config
cat >"$T/bad.conf" <<'EOF'
# owners.sh: a policy rule on a user that does not exist
policy = ( { match = { owner = { user = "no-such-user-x"; }; }; verdict = "drop"; } );
EOF
"$FCD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
rc=$?
sed 's/^/# /' "$T/bad.out"
check "flowcached -t refuses an unknown user" [ $rc -eq 1 ]
check "with FILE:LINE and the name" \
	eval 'grep -F "$T/bad.conf:2:" "$T/bad.out" | grep -q no-such-user-x'

check "the daemon is still running" eval 'alive "$DAEMON_PID" && ctl_ok'
finish

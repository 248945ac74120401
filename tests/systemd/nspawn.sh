#!/bin/bash
# The Debian package under a real systemd: the .deb built from this tree
# is installed in a Debian 12 container whose PID 1 is systemd, and the
# service is driven as an operator would: systemctl start, reload (a good
# and a broken file), restart, stop; journalctl; flowcachectl, with
# traffic through the daemon.
#
#   host:      dpkg-buildpackage -b in a copy of the tree (no build products)
#              $FC_NSPAWN_CACHE/bookworm, debootstrapped once, kept read-only;
#              each run boots an overlay of it:
#              systemd-nspawn --boot --register=no --keep-unit --private-network
#   container: [client] eth0 10.0.1.2 --- lan0 10.0.1.1 [root ns] wan0 10.0.2.1 --- eth0 10.0.2.2 [server]
#                                         flowcached.service with the packaged
#                                         config (zone 10 on lan0/wan0)
#
# machinectl and systemctl -M cannot reach the container here, so every
# command inside runs through nsenter into its init's namespaces. Each
# stage's time is printed as a "# time" line. Needs root, debootstrap,
# systemd-nspawn, debhelper and the build dependencies (scripts/deps.sh);
# the first run needs the Debian mirror apt uses.
. "$(dirname "$0")/../netns/lib.sh"

for c in debootstrap:debootstrap systemd-nspawn:systemd-container \
	 dpkg-buildpackage:dpkg-dev dh:debhelper nsenter:util-linux \
	 flock:util-linux; do
	command -v "${c%%:*}" >/dev/null ||
		{ echo "no ${c%%:*} (package ${c#*:}): skipped"; exit 77; }
done
grep -qw overlay /proc/filesystems || { echo "no overlayfs: skipped"; exit 77; }

SUITE=bookworm
CACHE=${FC_NSPAWN_CACHE:-/var/cache/flowcached-test}
ROOT=$CACHE/$SUITE
# what the tests use inside, besides what the package depends on
BASE="systemd systemd-sysv dbus iproute2 nftables iptables conntrack
	iputils-ping socat"
CONF=/etc/flowcached/flowcached.conf
NSPAWN_PID=
CT_PID=

down() {
	if [ -n "$NSPAWN_PID" ] && alive "$NSPAWN_PID"; then
		# nspawn turns SIGTERM into an orderly shutdown of the container
		kill -TERM "$NSPAWN_PID"
		if ! wait_gone "$NSPAWN_PID" 30; then
			[ -n "$CT_PID" ] && kill -KILL "$CT_PID" 2>/dev/null
			kill -KILL "$NSPAWN_PID" 2>/dev/null
			wait_gone "$NSPAWN_PID" 5
		fi
	fi
	if mountpoint -q "$T/root"; then
		umount "$T/root" 2>/dev/null || umount -l "$T/root"
	fi
	cleanup
}
trap down EXIT

since() { echo $((SECONDS - $1)); }

# copy_tree DIR: the source tree as a checkout with uncommitted work
# would have it (git's files and new ones, no build products), or the
# whole folder outside git (the package build cleans it first).
copy_tree() {
	local top
	mkdir -p "$1"
	top=$(git -C "$FC_SRCDIR" rev-parse --show-toplevel 2>/dev/null)
	if [ -n "$top" ] && [ "$top" -ef "$FC_SRCDIR" ]; then
		git -C "$FC_SRCDIR" ls-files -z --cached --others --exclude-standard |
			tar -C "$FC_SRCDIR" --null -T - --ignore-failed-read -cf - |
			tar -C "$1" -xf -
	else
		cp -a "$FC_SRCDIR/." "$1/"
	fi
}

# apt_mirror: the Debian mirror this machine's apt uses for $SUITE.
apt_mirror() {
	{
		sed -n "s/^deb \(\[[^]]*\] \)\?\([^ ]*\) $SUITE .*/\2/p" \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
		awk -v suite="$SUITE" 'BEGIN { RS = "" }
			/(^|\n)Types:[^\n]*deb([ \n]|$)/ &&
			match($0, /(^|\n)Suites:[^\n]*/) &&
			(" " substr($0, RSTART, RLENGTH) " ") ~ (" " suite " ") &&
			match($0, /(^|\n)URIs: *[^ \n]*/) {
				u = substr($0, RSTART, RLENGTH); sub(/.*URIs: */, "", u)
				print u }' /etc/apt/sources.list.d/*.sources 2>/dev/null
	} | head -n 1 | grep . || echo http://deb.debian.org/debian
}

# deb_depends DEB: the packages DEB depends on, the first of alternatives.
deb_depends() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' |
		sed 's/|.*//; s/([^)]*)//; s/:any//; s/[[:space:]]//g' | grep .
}

# root_ready PACKAGES: $ROOT exists and was made with every one of them.
root_ready() {
	[ -d "$ROOT" ] && [ -f "$ROOT.packages" ] &&
		[ -z "$(comm -23 <(echo "$1") "$ROOT.packages")" ]
}

# make_root PACKAGES: debootstrap a minimal $SUITE with PACKAGES into
# $ROOT; exits 77 when the mirror cannot be reached.
make_root() {
	local mirror
	mirror=$(apt_mirror)
	echo "# debootstrap $SUITE from $mirror into $ROOT"
	rm -rf "$ROOT.new"
	if ! debootstrap --variant=minbase --include="$(echo $1 | tr ' ' ,)" \
		"$SUITE" "$ROOT.new" "$mirror" >"$T/debootstrap.log" 2>&1; then
		tail -n 20 "$T/debootstrap.log" | sed 's/^/# /'
		rm -rf "$ROOT.new"
		if grep -q "Failed getting release file" "$T/debootstrap.log"; then
			echo "$mirror cannot be reached: skipped"; exit 77
		fi
		fail "debootstrap $SUITE"; finish
	fi
	rm -rf "$ROOT.new"/var/cache/apt/archives/*.deb
	rm -rf "$ROOT"
	mv "$ROOT.new" "$ROOT"
	echo "$1" >"$ROOT.packages"
}

# in_ct CMD...: CMD inside the container, with a clean environment.
in_ct() {
	nsenter -t "$CT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@"
}

# find_init: the container's PID 1 (pid 1 in its own pid namespace),
# a child of systemd-nspawn; sets CT_PID.
find_init() {
	local p
	for p in $(pgrep -P "$NSPAWN_PID"); do
		if [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = 1 ]; then
			CT_PID=$p
			return 0
		fi
	done
	return 1
}

booted() {
	local s
	s=$(in_ct systemctl is-system-running 2>/dev/null)
	[ "$s" = running ] || [ "$s" = degraded ]
}

# unit_is PROPERTY VALUE: a property of flowcached.service
unit_is() {
	[ "$(in_ct systemctl show -p "$1" --value flowcached)" = "$2" ]
}

# status_is EXPR VALUE: EXPR (Python on d) over `flowcachectl --json
# status` prints VALUE; read on the host.
status_is() {
	in_ct flowcachectl --json status >"$T/status.json" 2>/dev/null &&
		[ "$(json_get "$T/status.json" "$1")" = "$2" ]
}

# has_flow COND: a flow f of `flowcachectl --json flows` meets COND
# (Python).
has_flow() {
	in_ct flowcachectl --json flows >"$T/flows.json" 2>/dev/null &&
		[ "$(json_get "$T/flows.json" "any($1 for f in d['flows'])")" = True ]
}

journal_has() {
	in_ct journalctl -u flowcached -o verbose --no-pager >"$T/journal.txt" 2>&1 &&
		grep -q -- "$1" "$T/journal.txt"
}

tables() { in_ct nft list tables 2>/dev/null | grep -c ' flowcached$'; }

main_pid() { in_ct systemctl show -p MainPID --value flowcached; }

# said PID TEXT: process PID logged a line with TEXT.
said() {
	in_ct journalctl -o cat --no-pager _PID="$1" 2>/dev/null | grep -qF -- "$2"
}

# ping_through [COUNT]: pings from the client to the server, through the
# daemon's router; quiet.
ping_through() {
	in_ct ip netns exec client ping -c "${1:-1}" -i 0.2 -W 2 10.0.2.2 >/dev/null
}

t_all=$SECONDS

# --- the package -------------------------------------------------------
t=$SECONDS
copy_tree "$T/src"
if ! (cd "$T/src" && dpkg-checkbuilddeps) >"$T/build.log" 2>&1; then
	sed 's/^/# /' "$T/build.log"
	echo "build dependencies missing (scripts/deps.sh installs them): skipped"
	exit 77
fi
(cd "$T/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) noautodbgsym" \
	dpkg-buildpackage -us -uc -b) >>"$T/build.log" 2>&1
DEB=$(ls "$T"/flowcached_*.deb 2>/dev/null)
echo "# time: .deb built in $(since $t) s"
if [ -f "$DEB" ]; then
	pass "dpkg-buildpackage -us -uc -b builds $(basename "$DEB")"
else
	tail -n 30 "$T/build.log" | sed 's/^/# /'
	fail "dpkg-buildpackage -us -uc -b"; finish
fi
echo "# Depends: $(dpkg-deb -f "$DEB" Depends)"

# --- the root, made once and shared read-only --------------------------
t=$SECONDS
need=$(printf '%s\n' $BASE $(deb_depends "$DEB") | sort -u)
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
if root_ready "$need"; then
	echo "# root: $ROOT (cached)"
else
	make_root "$need"
	echo "# time: debootstrap in $(since $t) s"
fi
# runs share the root; only a run that needs another one replaces it
flock -s 9
mkdir "$T/upper" "$T/work" "$T/root"
mount -t overlay overlay \
	-o "lowerdir=$ROOT,upperdir=$T/upper,workdir=$T/work" "$T/root" ||
	{ fail "overlay of $ROOT"; finish; }
cp "$DEB" "$T/root/root/"

# --- boot ----------------------------------------------------------------
t=$SECONDS
systemd-nspawn -q -D "$T/root" --machine="fc-nspawn-$$" --boot \
	--register=no --keep-unit --private-network --console=read-only \
	</dev/null >"$T/nspawn.log" 2>&1 &
NSPAWN_PID=$!
if ! wait_for 20 find_init || ! wait_secs 90 booted; then
	tail -n 30 "$T/nspawn.log" | sed 's/^/# /'
	fail "the container boots"; finish
fi
pass "systemd boots in the container: $(in_ct systemctl is-system-running)"
in_ct systemctl --failed --no-legend --plain | sed 's/^/# failed unit: /'
echo "# time: booted in $(since $t) s"

# --- install -------------------------------------------------------------
if in_ct dpkg -i "/root/$(basename "$DEB")" >"$T/dpkg.log" 2>&1; then
	pass "dpkg -i installs the package"
else
	sed 's/^/# /' "$T/dpkg.log"; fail "dpkg -i"; finish
fi
in_ct dpkg -L flowcached >"$T/files.txt"
for f in /usr/sbin/flowcached /usr/bin/flowcachectl \
	 /lib/systemd/system/flowcached.service \
	 /etc/flowcached/flowcached.conf /etc/flowcached/flowcached.nft \
	 /usr/share/man/man8/flowcached.8.gz \
	 /usr/share/man/man8/flowcachectl.8.gz \
	 /usr/share/man/man5/flowcached.conf.5.gz \
	 /usr/share/bash-completion/completions/flowcachectl; do
	check "dpkg -L lists $f" grep -qx "$f" "$T/files.txt"
done
check "the configuration files are conffiles" eval \
	'[ "$(in_ct dpkg-query -W -f="\${Conffiles}" flowcached | grep -c /etc/flowcached/)" = 2 ]'
check "postinst made the system group flowcached" \
	eval 'in_ct getent group flowcached >/dev/null'
check "the packaged config gives the control socket to it" \
	in_ct grep -q '^ *group = "flowcached";' "$CONF"
check "installing neither enables nor starts the service" eval \
	'unit_is UnitFileState disabled && unit_is ActiveState inactive'

# --- the lab inside --------------------------------------------------------
in_ct sh -ec '
	ip netns add client
	ip netns add server
	ip link add lan0 type veth peer name eth0 netns client
	ip link add wan0 type veth peer name eth0 netns server
	ip addr add 10.0.1.1/24 dev lan0
	ip addr add 10.0.2.1/24 dev wan0
	ip link set lan0 up
	ip link set wan0 up
	for n in client server; do
		ip -n $n link set lo up
		ip -n $n link set eth0 up
	done
	ip -n client addr add 10.0.1.2/24 dev eth0
	ip -n server addr add 10.0.2.2/24 dev eth0
	ip -n client route add default via 10.0.1.1
	ip -n server route add default via 10.0.2.1
	echo 1 >/proc/sys/net/ipv4/ip_forward
' || { fail "the lab inside the container"; finish; }
for port in 8080 23; do
	in_ct systemd-run -q --unit="fc-echo-$port" ip netns exec server \
		socat TCP-LISTEN:$port,bind=10.0.2.2,reuseaddr,fork PIPE
done
wait_for 5 eval 'in_ct ip netns exec server ss -ltn | grep -q ":23 "'

# --- start ------------------------------------------------------------------
t=$SECONDS
if in_ct systemctl start flowcached; then
	pass "systemctl start flowcached returns 0 ($(since $t) s)"
else
	in_ct journalctl -u flowcached --no-pager | tail -n 20 | sed 's/^/# /'
	fail "systemctl start flowcached"; finish
fi
# Type=notify: start returns once READY=1 came, so no waiting here
check "the unit is active (running) at once" eval \
	'unit_is ActiveState active && unit_is SubState running'
status_text=$(in_ct systemctl show -p StatusText --value flowcached)
echo "# StatusText=$status_text"
check "the daemon sent a STATUS= line" [ -n "$status_text" ]
check "systemctl status shows it" eval \
	'in_ct systemctl status flowcached --no-pager | grep -q "Status: \"$status_text\""'
check "the managed tables are in the container's namespace" [ "$(tables)" = 2 ]

# --- traffic is decided ---------------------------------------------------
check "ping client -> server through the daemon" ping_through 3
check "a TCP exchange through the daemon" eval \
	'[ "$(echo hello | in_ct ip netns exec client socat -t 2 - TCP:10.0.2.2:8080)" = hello ]'
check "telnet (port 23) is dropped by the default policy" eval \
	'! echo x | in_ct ip netns exec client socat -T 2 - TCP:10.0.2.2:23,connect-timeout=2 2>/dev/null'
ct_line=$(in_ct conntrack -L -p tcp --dport 8080 2>/dev/null | head -n 1)
echo "# conntrack: $ct_line"
check "conntrack: the TCP flow in zone 10" grep -q "zone=10" <<<"$ct_line"
check "conntrack: with the policy's mark and the decided bit (0x110000)" \
	grep -q "mark=1114112" <<<"$ct_line"
check "flowcachectl --json flows: the TCP flow, zone 10, mark 0x110000" \
	has_flow "f['zone'] == 10 and f['proto'] == 'tcp' and
		  f['orig']['dport'] == 8080 and f['mark'] == 0x110000"
check "and the ping, zone 10, mark 0x110000" \
	has_flow "f['zone'] == 10 and f['proto'] == 'icmp' and
		  f['orig']['dst'] == '10.0.2.2' and f['mark'] == 0x110000"

# --- the flowcached group ----------------------------------------------------
in_ct useradd -M -G flowcached fc-operator
check "a member of flowcached may use flowcachectl" eval \
	'in_ct setpriv --reuid=fc-operator --regid=fc-operator --init-groups \
		flowcachectl status >/dev/null'
check "a user who is not may not" eval \
	'! in_ct setpriv --reuid=nobody --regid=nogroup --clear-groups flowcachectl status >/dev/null 2>&1'

# --- reload --------------------------------------------------------------------
in_ct sed -i 's/^zones = ($/&\n  { id = 20; name = "media"; match = { proto = "udp"; port = [ 5004 ]; }; max_flows = 1000; },/' "$CONF"
check "systemctl reload with a new zone returns 0" \
	in_ct systemctl reload flowcached
check "the new zone is in force (2 zones, reloads.ok 1)" \
	status_is "d['config']['zones'], d['reloads']['ok']" "(2, 1)"
check "flowcachectl zones lists zone 20" eval \
	'in_ct flowcachectl --json zones >"$T/zones.json" &&
	 [ "$(json_get "$T/zones.json" "[z[\"zone\"] for z in d[\"zones\"]].count(20)")" = 1 ]'

echo "bogus_key = 1;" | in_ct sh -c "cat >>$CONF"
bad_line=$(in_ct sh -c "wc -l <$CONF")
check "systemctl reload with a broken config fails" eval \
	'! in_ct systemctl reload flowcached 2>"$T/reload.err"'
sed 's/^/# /' "$T/reload.err"
check "the service keeps running" eval 'unit_is ActiveState active && unit_is SubState running'
check "on the old config (2 zones, reloads.failed 1)" \
	status_is "d['config']['zones'], d['reloads']['failed']" "(2, 1)"
check "still deciding: ping through the daemon" ping_through
check "journalctl -u flowcached: CONFIG_FILE=$CONF" journal_has "CONFIG_FILE=$CONF"
check "journalctl -u flowcached: CONFIG_LINE=$bad_line" journal_has "CONFIG_LINE=$bad_line$"
check "journalctl -u flowcached: SYSLOG_IDENTIFIER=flowcached" \
	journal_has "SYSLOG_IDENTIFIER=flowcached$"
in_ct journalctl -u flowcached -p err -o cat --no-pager | sed 's/^/# journal: /'
in_ct sed -i '/^bogus_key = 1;$/d' "$CONF"

# --- restart, kill, stop ----------------------------------------------------
# keep_on_exit = true (the default) keeps the tables across a restart
# and a kill -TERM, so decided flows stay fast and the rest bypass the
# queue; only a stop job on the unit (systemctl stop) removes them. The
# daemon tells the two apart by asking systemd over D-Bus, from inside
# the unit's sandbox.
check "the packaged config keeps the tables on exit" \
	in_ct grep -q '^  keep_on_exit = true;$' "$CONF"

# watch_tables: samples the number of managed tables into
# $T/tables.watch until $T/watch.stop exists.
watch_tables() {
	while [ ! -e "$T/watch.stop" ]; do
		tables >>"$T/tables.watch"
		sleep 0.05
	done
}

pid=$(main_pid)
watch_tables &
watcher=$!
in_ct ip netns exec client ping -n -i 0.1 -c 40 -W 1 10.0.2.2 \
	>"$T/ping.txt" 2>&1 &
pinger=$!
wait_for 5 grep -q "icmp_seq=3 " "$T/ping.txt"
t=$SECONDS
check "systemctl restart flowcached returns 0" in_ct systemctl restart flowcached
echo "# time: restarted in $(since $t) s"
check "the tables are there the moment it returns" [ "$(tables)" = 2 ]
check "and a new daemon runs" eval \
	'[ "$(main_pid)" != "$pid" ] && unit_is SubState running'
wait "$pinger"
touch "$T/watch.stop"
wait "$watcher"
echo "# $(grep -c . "$T/tables.watch") samples of nft list tables, $(grep -m1 'packet loss' "$T/ping.txt")"
check "the tables never left while it restarted" eval \
	'grep -qx 2 "$T/tables.watch" && ! grep -qvx 2 "$T/tables.watch"'
check "a ping through the daemon across the restart lost nothing" \
	grep -q " 0% packet loss" "$T/ping.txt"
check "journal: the old daemon kept them for the restart" wait_for 5 \
	said "$pid" "ruleset: tables ip/ip6 flowcached kept for the restart"

pid=$(main_pid)
# minbase has no kill(1): the shell's
in_ct sh -c 'kill -TERM "$1"' sh "$pid"
check "kill -TERM: the daemon exits cleanly and is not restarted" eval \
	'wait_for 10 unit_is ActiveState inactive && unit_is SubState dead &&
	 unit_is Result success'
check "the tables stay" [ "$(tables)" = 2 ]
check "journal: kept (keep_on_exit)" wait_for 5 \
	said "$pid" "ruleset: tables ip/ip6 flowcached kept (keep_on_exit)"
check "and traffic passes the queue nobody listens on (bypass)" ping_through

check "started again" eval 'in_ct systemctl start flowcached && [ "$(tables)" = 2 ]'
pid=$(main_pid)
t=$(date +%s%N)
check "systemctl stop flowcached returns 0" in_ct systemctl stop flowcached
echo "# time: stopped in $((($(date +%s%N) - t) / 1000000)) ms"
check "the unit is inactive" unit_is ActiveState inactive
check "systemctl stop removed the managed tables" [ "$(tables)" = 0 ]
check "journal: removed because of systemctl stop" wait_for 5 \
	said "$pid" "ruleset: systemctl stop: tables ip/ip6 flowcached removed"
check "traffic passes without them" ping_through

# A bus that does not answer costs the stop at most a second, and then
# nothing says it is final: the tables stay.
check "started again" eval 'in_ct systemctl start flowcached && [ "$(tables)" = 2 ]'
pid=$(main_pid)
in_ct systemctl start dbus
bus=$(in_ct systemctl show -p MainPID --value dbus)
in_ct sh -c 'kill -STOP "$1"' sh "$bus"
t=$(date +%s%N)
check "with the system bus frozen, systemctl stop returns 0" \
	in_ct systemctl stop flowcached
ms=$((($(date +%s%N) - t) / 1000000))
in_ct sh -c 'kill -CONT "$1"' sh "$bus"
check "in $ms ms: the daemon gave the bus 1 s" [ "$ms" -lt 2500 ]
check "the tables stay" [ "$(tables)" = 2 ]
check "journal: the bus did not say why" wait_for 5 \
	said "$pid" "systemd: cannot read the job of flowcached.service"
check "journal: kept (keep_on_exit)" \
	said "$pid" "ruleset: tables ip/ip6 flowcached kept (keep_on_exit)"

in_ct sed -i 's/^  keep_on_exit = true;$/  keep_on_exit = false;/' "$CONF"
check "started again with keep_on_exit = false" eval \
	'in_ct systemctl start flowcached && [ "$(tables)" = 2 ]'
pid=$(main_pid)
check "systemctl stop removes the managed tables" eval \
	'in_ct systemctl stop flowcached && [ "$(tables)" = 0 ]'
check "journal: removed (keep_on_exit = false)" wait_for 5 \
	said "$pid" "ruleset: tables ip/ip6 flowcached removed"
check "journalctl -u flowcached: the daemon logged its stop" \
	journal_has "MESSAGE=stopped$"
in_ct sed -i 's/^  keep_on_exit = false;$/  keep_on_exit = true;/' "$CONF"

# --- remove, purge -----------------------------------------------------------
in_ct systemctl start flowcached
check "dpkg -r stops the running service and its tables go" eval \
	'in_ct dpkg -r flowcached >"$T/dpkg.log" 2>&1 &&
	 [ "$(in_ct systemctl is-active flowcached)" = inactive ] &&
	 [ "$(tables)" = 0 ]'
check "dpkg --purge removes /etc/flowcached and keeps the group" eval \
	'in_ct dpkg --purge flowcached >>"$T/dpkg.log" 2>&1 &&
	 ! in_ct test -e /etc/flowcached &&
	 in_ct getent group flowcached >/dev/null'

echo "# time: whole test $(since $t_all) s"
finish

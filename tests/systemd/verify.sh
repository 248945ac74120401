#!/bin/sh
# systemd-analyze verify on the shipped unit, with its binary paths pointed
# at this build (verify checks that ExecStart= names an executable), plus
# the promises the unit makes that verify does not check.
set -u
: "${FC_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FC_SRCDIR:=$FC_BUILDDIR}"
unit=$FC_SRCDIR/systemd/flowcached.service
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

sed -e "s|/usr/sbin/flowcached|$FC_BUILDDIR/flowcached|g" \
    -e "s|/usr/bin/flowcachectl|$FC_BUILDDIR/flowcachectl|g" "$unit" \
	>"$tmp/flowcached.service"
if systemd-analyze verify "$tmp/flowcached.service" >"$tmp/out" 2>&1 &&
   ! grep -q . "$tmp/out"; then
	echo "ok   systemd-analyze verify"
else
	echo "FAIL systemd-analyze verify:"; cat "$tmp/out"; fail=1
fi

for want in '^Type=notify$' '^ExecReload=/usr/bin/flowcachectl reload$' '^Restart=on-failure$' \
	    '^CapabilityBoundingSet=.*CAP_NET_ADMIN' '^NoNewPrivileges=yes$' \
	    '^ProtectSystem=strict$' '^RuntimeDirectory=flowcached$' \
	    '^RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6$' \
	    '^ExecStart=/usr/sbin/flowcached -f '; do
	if grep -Eq -- "$want" "$unit"; then
		echo "ok   unit has $want"
	else
		echo "FAIL unit lacks $want"; fail=1
	fi
done
exit $fail

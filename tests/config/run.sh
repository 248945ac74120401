#!/bin/sh
# Golden tests of `flowcached -t`: for each NN-name.conf here,
#   NN-name.err   exit 1, and stderr is exactly this (FILE:LINE: lines);
#   NN-name.dump  exit 0, and `-t -v` prints exactly this; the dump parsed
#                 again must print itself (it is valid config syntax).
# The shipped conf/flowcached.conf and conf/examples/*.conf must pass
# as well.
set -u
: "${FC_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FC_SRCDIR:=$FC_BUILDDIR}"
fcd=$FC_BUILDDIR/flowcached
dir=$FC_SRCDIR/tests/config
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# run from the folder so messages carry the bare file name
cd "$dir" || exit 99
for conf in *.conf; do
	base=${conf%.conf}
	if [ -f "$base.err" ]; then
		"$fcd" -t -c "$conf" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 1 ]; then
			bad "$conf" "exit $rc, expected 1"
		elif ! diff -u "$base.err" "$tmp/err" >"$tmp/diff"; then
			bad "$conf" "stderr differs:"; cat "$tmp/diff"
		else
			ok "$conf"
		fi
	elif [ -f "$base.dump" ]; then
		"$fcd" -t -v -c "$conf" >"$tmp/dump" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			bad "$conf" "exit $rc:"; cat "$tmp/err"
		elif ! diff -u "$base.dump" "$tmp/dump" >"$tmp/diff"; then
			bad "$conf" "dump differs:"; cat "$tmp/diff"
		elif ! "$fcd" -t -v -c "$tmp/dump" >"$tmp/dump2" 2>"$tmp/err" ||
		     ! cmp -s "$tmp/dump" "$tmp/dump2"; then
			bad "$conf" "the dump does not parse back to itself"
			cat "$tmp/err"
		else
			ok "$conf"
		fi
	else
		bad "$conf" "has neither $base.err nor $base.dump"
	fi
done

for conf in "$FC_SRCDIR"/conf/flowcached.conf "$FC_SRCDIR"/conf/examples/*.conf; do
	name=${conf#"$FC_SRCDIR"/}
	if "$fcd" -t -c "$conf" >/dev/null 2>"$tmp/err"; then
		ok "$name"
	else
		bad "$name" "$(cat "$tmp/err")"
	fi
done

echo "config: $pass passed, $fail failed"
[ $fail -eq 0 ]

#!/bin/sh
# The man pages render without a single warning: groff -ww, and man -l
# as a reader would run it.
set -u
: "${FC_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v groff >/dev/null || { echo "no groff: skipped"; exit 77; }
pass=0 fail=0
for page in flowcached.8 flowcached.conf.5 flowcachectl.8; do
	out=$(groff -ww -man -z "$FC_SRCDIR/man/$page" 2>&1)
	if [ -z "$out" ]; then
		pass=$((pass + 1)); echo "ok   $page renders without warnings"
	else
		fail=$((fail + 1)); echo "FAIL $page:"; echo "$out"
	fi
	command -v man >/dev/null || continue
	# what a reader gets: man -l on an 80-column terminal, its
	# warnings (lines too long to break, ...) on stderr
	out=$(MANWIDTH=80 man --warnings -l "$FC_SRCDIR/man/$page" 2>&1 >/dev/null)
	if [ -z "$out" ]; then
		pass=$((pass + 1)); echo "ok   man -l $page: no warnings"
	else
		fail=$((fail + 1)); echo "FAIL man -l $page:"; echo "$out"
	fi
done
echo "man: $pass passed, $fail failed"
[ $fail -eq 0 ]

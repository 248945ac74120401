#!/bin/sh
# The whole test suite: installs what is missing, builds, runs the unit,
# config, systemd and network-namespace tests (root needed for the last),
# checks that the release tarball builds and passes (make distcheck), and
# ends with one line: "tests: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
scripts/build.sh || exit 1

make check
check_rc=$?
# the Debian package under real systemd in a container (skips without root)
make check-systemd || check_rc=1

# Count single checks, not just scripts: "ok"/"FAIL" lines of the shell
# tests, Check's "Checks: N, Failures: F, Errors: E" of the unit tests.
logs=$(find tests -name '*.log' ! -name 'test-suite.log')
passed=0 failed=0
for l in $logs; do
	ok=$(grep -c '^ok ' "$l")
	bad=$(grep -c '^FAIL ' "$l")
	chk=$(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$l" | tail -n 1)
	if [ -n "$chk" ]; then
		set -- $chk
		ok=$((ok + $1 - $2 - $3))
		bad=$((bad + $2 + $3))
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
done
skipped=$(sed -n 's/^# SKIP: *//p' test-suite.log 2>/dev/null | head -n 1)
: "${skipped:=0}"
if [ $check_rc -ne 0 ]; then
	# show what failed, and count a failed script with no failed check
	for l in $(grep -l -E '^:test-result: (FAIL|ERROR)' $(find tests -name '*.trs') 2>/dev/null); do
		log=${l%.trs}.log
		echo "==== ${log}"; tail -n 40 "$log"
		grep -q '^FAIL ' "$log" || failed=$((failed + 1))
	done
fi

# Benchmarks in their smoke size: they must run, their figures are not
# judged here (docs/PERFORMANCE.md has the real runs).
bench_rc=0
if [ "$(id -u)" -eq 0 ] && [ "${FC_SKIP_BENCH:-0}" != 1 ]; then
	for b in "bench/build.sh" "bench/bench_pkt --smoke" \
		 "bench/slowpath.sh --smoke" "bench/fastpath.sh --smoke" "bench/l7.sh --smoke" \
		 "bench/table.sh --smoke" "bench/ctsync.sh --smoke" \
		 "bench/ctevents.sh --smoke" "bench/lpm.sh --smoke" "bench/route.sh --smoke" \
		 "bench/owner.sh --smoke" "bench/metrics.sh --smoke" \
		 "bench/cli.sh --smoke"; do
		if $b >bench-smoke.log 2>&1; then
			passed=$((passed + 1)); echo "ok   $b"
		else
			rc=$?
			if [ $rc -eq 77 ]; then
				echo "skip $b"
			else
				failed=$((failed + 1)); bench_rc=1
				echo "FAIL $b (exit $rc):"; tail -n 30 bench-smoke.log
			fi
		fi
	done
fi

distcheck_rc=0
if [ "${FC_SKIP_DISTCHECK:-0}" != 1 ]; then
	# the tarball's own "make check" without the netns tests: they ran above
	FC_SKIP_NETNS=1 make distcheck >distcheck.log 2>&1
	distcheck_rc=$?
	if [ $distcheck_rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   make distcheck"
	else
		failed=$((failed + 1))
		echo "FAIL make distcheck (last lines of distcheck.log):"
		tail -n 40 distcheck.log
	fi
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $check_rc -eq 0 ] && [ $distcheck_rc -eq 0 ] && [ $bench_rc -eq 0 ] && [ $failed -eq 0 ]

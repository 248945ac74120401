# shellcheck shell=sh
# --repeat N and --kv FILE of the benchmark drivers that take them
# (bench/owner.sh, route.sh, lpm.sh, table.sh): N runs, then the median
# of every figure across them. Sourced, never run; POSIX sh, as those
# drivers are. Apart from lib.sh because sourcing that one asks for root
# and the namespace tools, which lpm.sh and table.sh do without.
#
# The driver sets BENCH_DIR (where medians.awk is), REPEAT (1 unless
# --repeat), KV_OUT (empty unless --kv) and T (a scratch directory it
# removes on exit).

# repeat_ok: REPEAT is a whole number from 1 to 20.
repeat_ok() {
	case $REPEAT in ''|*[!0-9]*) return 1 ;; esac
	[ "$REPEAT" -ge 1 ] && [ "$REPEAT" -le 20 ]
}

# repeat_runs KEYS SORT1 PREC CMD...: with REPEAT 1 and no KV_OUT, CMD
# once, as it is. Else CMD --kv $T/runI.kv for I = 1..REPEAT, each after
# "== run I of REPEAT", and then one line a figure, "KEYS median [min
# max]" with PREC decimals (medians.awk), also kept in $T/medians; KV_OUT
# gets them without the range. KEYS names the three key columns of the
# --kv lines, for the heading; SORT1 is sort's option for the first one
# (-k1,1, or -k1,1n when it is a number). Returns CMD's status, or 1 when
# a run failed or KV_OUT could not be written.
repeat_runs() {
	_keys=$1 _sort1=$2 _prec=$3
	shift 3
	if [ "$REPEAT" -eq 1 ] && [ -z "$KV_OUT" ]; then
		"$@"
		return
	fi

	_rc=0
	_i=1
	while [ "$_i" -le "$REPEAT" ]; do
		echo
		echo "== run $_i of $REPEAT"
		"$@" --kv "$T/run$_i.kv" || _rc=1
		_i=$((_i + 1))
	done

	echo
	echo "== medians of $REPEAT run(s): $_keys median [min max]"
	cat "$T"/run*.kv | sort "$_sort1" -k2,2 -k3,3 -k4,4g |
		awk -v prec="$_prec" -f "$BENCH_DIR/medians.awk" |
		tee "$T/medians"
	if [ -n "$KV_OUT" ]; then
		cut -d' ' -f1-4 "$T/medians" >"$KV_OUT" || _rc=1
	fi
	return $_rc
}

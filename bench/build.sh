#!/bin/sh
# Build the benchmark programs into bench/: nullq (the null NFQUEUE
# responder), udpflood (the bounded UDP sender) and, when its source is
# there, bench_pkt (pkt_parse() against libnetfilter_queue's helpers).
# Needs the libraries the daemon needs (scripts/deps.sh installs them);
# the daemon itself comes from the main build, ./scripts/build.sh.
#
#   bench/build.sh                   all of them
#   bench/build.sh nullq udpflood    only those
set -eu
cd "$(dirname "$0")"
CC=${CC:-gcc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra}
[ $# -gt 0 ] || set -- nullq udpflood bench_pkt
for prog in "$@"; do
	case $prog in
	nullq)
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS nullq.c \
			$(pkg-config --cflags --libs libmnl libnetfilter_queue) -o nullq) ;;
	udpflood)
		# shellcheck disable=SC2086
		(set -x; $CC $CFLAGS udpflood.c -o udpflood) ;;
	bench_pkt)
		[ -f bench_pkt.c ] || continue
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -I../lib bench_pkt.c ../lib/pkt.c \
			$(pkg-config --cflags --libs libnetfilter_queue) -o bench_pkt) ;;
	*) echo "build.sh: unknown program '$prog'" >&2; exit 2 ;;
	esac
done

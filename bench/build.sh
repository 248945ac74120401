#!/bin/sh
# Build the benchmark programs into bench/: nullq (the null NFQUEUE
# responder), udpflood (the bounded UDP sender) and, when its source is
# there, bench_pkt (pkt_parse() against libnetfilter_queue's helpers),
# ctdump (ctnetlink dump/event counter) and ctfill (conntrack entry filler),
# and, when their sources are there, bench_table (the flow table against
# DPDK's rte_hash; the peer only when pkg-config finds libdpdk) and
# bench_hash (SipHash against CRC32C and, with libxxhash, XXH3), and
# bench_lpm (the LPM against DPDK's rte_lpm and rte_lpm6, the same way),
# and bench_route (the LPM, the routing mirror, the Bloom cache and the
# kernel's answers, on one table), and bench_owner (a flow's socket by
# sock_diag, lib/sockdiag.c, against a /proc/net/tcp scan).
# Needs the libraries the daemon needs (scripts/deps.sh installs them);
# the daemon itself comes from the main build, ./scripts/build.sh.
#
#   bench/build.sh                   all of them
#   bench/build.sh nullq udpflood    only those
set -eu
cd "$(dirname "$0")"
CC=${CC:-gcc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra}
[ $# -gt 0 ] || set -- nullq udpflood bench_pkt ctdump ctfill bench_table \
	bench_hash bench_lpm bench_route bench_owner
for prog in "$@"; do
	case $prog in
	nullq)
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS nullq.c \
			$(pkg-config --cflags --libs libmnl libnetfilter_queue) -o nullq) ;;
	udpflood)
		# shellcheck disable=SC2086
		(set -x; $CC $CFLAGS udpflood.c -o udpflood) ;;
	ctdump)
		# the conntrack dump/event counter (bench/ctsync.sh,
		# bench/ctevents.sh)
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS ctdump.c $(pkg-config --cflags --libs \
			libmnl libnetfilter_conntrack) -o ctdump) ;;
	ctfill)
		# the conntrack entry filler (bench/ctsync.sh, bench/ctevents.sh)
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS ctfill.c \
			$(pkg-config --cflags --libs libmnl) -o ctfill) ;;
	bench_pkt)
		[ -f bench_pkt.c ] || continue
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -I../lib bench_pkt.c ../lib/pkt.c \
			$(pkg-config --cflags --libs libnetfilter_queue) -o bench_pkt) ;;
	bench_table)
		[ -f bench_table.c ] || continue
		[ -f ../lib/flowtable.c ] || continue
		peer=
		if pkg-config --exists libdpdk; then
			peer="-DHAVE_DPDK $(pkg-config --cflags --libs libdpdk)"
		fi
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -I../lib bench_table.c crc_kernel.c ../lib/flowtable.c \
			$(pkg-config --cflags --libs liburcu-memb) \
			$peer -o bench_table) ;;
	bench_hash)
		[ -f bench_hash.c ] || continue
		xxh=
		if pkg-config --exists libxxhash; then
			xxh="-DHAVE_XXHASH $(pkg-config --cflags --libs libxxhash)"
		fi
		# shellcheck disable=SC2086
		(set -x; $CC $CFLAGS -msse4.2 -I../lib bench_hash.c crc_kernel.c \
			$xxh -o bench_hash) ;;
	bench_lpm)
		[ -f bench_lpm.c ] || continue
		[ -f ../lib/lpm.c ] || continue
		peer=
		if pkg-config --exists libdpdk; then
			peer="-DHAVE_DPDK $(pkg-config --cflags --libs libdpdk)"
		fi
		# -fno-strict-aliasing as in the daemon's build: the IPv4
		# addresses are read as union fc_addr where they lie
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -fno-strict-aliasing -I../lib bench_lpm.c \
			../lib/lpm.c $(pkg-config --cflags --libs liburcu-memb) \
			$peer -o bench_lpm) ;;
	bench_route)
		[ -f bench_route.c ] || continue
		for src in lpm fib bloom; do
			[ -f "../lib/$src.c" ] || continue 2
		done
		# -fno-strict-aliasing: addresses read as union fc_addr
		# where they lie, as in bench_lpm
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -fno-strict-aliasing -I../lib \
			bench_route.c ../lib/lpm.c ../lib/fib.c ../lib/bloom.c \
			$(pkg-config --cflags --libs liburcu-memb libmnl) \
			-o bench_route) ;;
	bench_owner)
		[ -f bench_owner.c ] || continue
		[ -f ../lib/sockdiag.c ] || continue
		# shellcheck disable=SC2086
		# with the daemon's /proc side (daemon/procfs.c) for the
		# whole owner answer
		# shellcheck disable=SC2046,SC2086
		(set -x; $CC $CFLAGS -D_GNU_SOURCE -I../lib -I../daemon bench_owner.c \
			../lib/sockdiag.c ../lib/inomap.c ../daemon/procfs.c \
			../daemon/log.c ../lib/ratelimit.c ../lib/flowname.c \
			../lib/proto.c $(pkg-config --cflags --libs libsystemd) \
			-lpthread -o bench_owner) ;;
	*) echo "build.sh: unknown program '$prog'" >&2; exit 2 ;;
	esac
done

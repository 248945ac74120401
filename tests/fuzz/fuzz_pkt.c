// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for lib/pkt.c: pkt_parse() and pkt_payload() on
 * arbitrary bytes, with the invariants of pkt.h checked on every
 * accepted packet (a broken one aborts, so the fuzzer keeps the input).
 *
 * Input: 4 control bytes, then the captured packet (caplen = the rest).
 *   [0..1] big-endian slack: wire_len = caplen + slack, except that
 *          0xffff means wire_len = caplen - 1 (the caller's lengths
 *          disagree: must be refused, never read);
 *   [2]    payload offset, [3] payload length for pkt_payload().
 * Shorter inputs are parsed whole with wire_len = caplen.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_pkt.c lib/pkt.c -o /tmp/fuzz_pkt
 *   /tmp/fuzz_pkt -max_total_time=60 CORPUS_DIR
 * Seeds: /usr/bin/python3 tests/unit/gen_pkt_vectors.py --corpus CORPUS_DIR
 *
 * Without libFuzzer, -DFUZZ_MAIN builds a driver that runs every file
 * named on the command line once (for gcc -fsanitize=address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "invariant broken: %s\n", #cond);	\
		abort();						\
	}								\
} while (0)

static void check_info(const struct pkt_info *pi, const uint8_t *buf,
		       uint32_t caplen, uint32_t wire_len)
{
	const struct tuple *t = &pi->tuple;
	static const uint8_t zero[12];
	volatile uint8_t sink = 0;
	uint32_t i;

	check(t->family == AF_INET || t->family == AF_INET6);
	if (t->family == AF_INET) {
		check(!memcmp(t->src.b + 4, zero, 12));
		check(!memcmp(t->dst.b + 4, zero, 12));
	}
	check(t->zone == 0);
	check(pi->l3_len <= wire_len);
	check(pi->l4_off <= pi->l3_len);
	check(pi->l4_off <= pi->payload_off);
	check(pi->payload_off <= pi->l3_len);
	check(pi->payload_wire_len <= pi->l3_len - pi->payload_off);
	check(pi->payload_len <= pi->payload_wire_len);
	check(pi->payload_len == 0 ||
	      pi->payload_off + pi->payload_len <= caplen);
	check(!pi->later_fragment || pi->fragment);
	check(!pi->later_fragment || (t->sport == 0 && t->dport == 0 &&
				      pi->payload_wire_len == 0));
	check(!pi->icmp_error || !pi->later_fragment);
	check(!pi->tcp_flags || t->proto == 6);
	/* Touch the window: ASan must find every byte of it inside buf. */
	for (i = 0; i < pi->payload_len; i++)
		sink ^= buf[pi->payload_off + i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t caplen, wire_len, poff = 0, plen = 0;
	const uint8_t *buf = data, *p;
	struct pkt_info pi, again;
	enum pkt_err err;

	if (size > 0x10000 + 4)
		return 0;
	if (size >= 4) {
		uint16_t slack = (uint16_t)(data[0] << 8 | data[1]);

		buf = data + 4;
		caplen = (uint32_t)size - 4;
		if (slack == 0xffff)
			wire_len = caplen ? caplen - 1 : 0;
		else
			wire_len = caplen + slack;
		poff = data[2];
		plen = data[3];
	} else {
		caplen = wire_len = (uint32_t)size;
	}
	/*
	 * libFuzzer's buffer ends exactly at data + size, so a read past
	 * buf[caplen - 1] is a heap overflow ASan reports.
	 */
	err = pkt_parse(caplen ? buf : NULL, caplen, wire_len, &pi);
	check(pkt_err_name(err) != NULL);
	check((unsigned int)err < PKT_ERR__MAX);
	if (err != PKT_OK)
		return 0;
	check(caplen <= wire_len);
	check_info(&pi, buf, caplen, wire_len);

	/*
	 * Captured link padding changes nothing: the same answer with the
	 * capture clipped to the IP length.
	 */
	check(pkt_parse(buf, caplen < pi.l3_len ? caplen : pi.l3_len,
			wire_len, &again) == PKT_OK);
	check(!memcmp(&pi, &again, sizeof(pi)));

	if (pkt_payload(&pi, buf, poff, plen, &p)) {
		check(p >= buf + pi.payload_off);
		check(poff + plen <= pi.payload_len);
		if (plen)
			check(p[plen - 1] == buf[pi.payload_off + poff +
						 plen - 1]);
	} else {
		check(poff + plen > pi.payload_len);
	}
	check(!pkt_payload(&pi, buf, UINT32_MAX, plen + 1, &p));
	check(!pkt_payload(&pi, buf, poff + 1, UINT32_MAX, &p));
	check(!pkt_payload(&pi, buf, pi.payload_len + 1, 0, &p));
	check(pkt_payload(&pi, buf, pi.payload_len, 0, &p));
	return 0;
}

#include "replay.h"

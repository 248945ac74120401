// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for lib/xfrmmsg.c and lib/xfrmdb.c: messages parsed
 * as policies or states, whatever was accepted built into a snapshot,
 * and flows looked up in it in every direction, with the invariants of
 * xfrmdb.h checked on every answer (a broken one aborts, so the fuzzer
 * keeps the input).
 *
 * Input: records of [kind][len_hi][len_lo][len bytes]; kind bit 0 says
 * policy (0) or state (1). What is left after the last whole record
 * (up to sizeof(struct tuple) bytes) is a flow to look up, its family
 * forced to AF_INET or AF_INET6.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_xfrmmsg.c lib/xfrmmsg.c lib/xfrmdb.c \
 *       -o /tmp/fuzz_xfrmmsg
 *   /tmp/fuzz_xfrmmsg -max_total_time=60 CORPUS_DIR
 *
 * Without libFuzzer, -DFUZZ_MAIN builds a driver that runs every
 * file named on the command line once.
 */
#include <linux/xfrm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrmmsg.h"

#define MAX_ENTRIES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const struct xfrm_sa_ref *r, uint8_t dir)
{
	if (r->dir != dir)
		abort();
	if (r->not_modelled && (r->proto || r->has_state || r->spi))
		abort();
	if (!r->has_state && r->spi)
		abort();
	if (r->action == XFRM_POLICY_BLOCK && (r->proto || r->has_state))
		abort();
	if (r->action > XFRM_POLICY_BLOCK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xfrmdb_policy pols[MAX_ENTRIES];
	static struct xfrmdb_state states[MAX_ENTRIES];
	size_t n_pols = 0, n_states = 0;
	struct xfrmdb *db;
	struct tuple t;
	uint8_t dir;

	while (size >= 3) {
		size_t len = (size_t)data[1] << 8 | data[2];
		uint8_t *copy;

		if (len > size - 3)
			break;
		/* a buffer of exactly the message, for ASan */
		copy = malloc(len ? len : 1);
		if (!copy)
			return 0;
		memcpy(copy, data + 3, len);
		if (!(data[0] & 1)) {
			if (n_pols < MAX_ENTRIES &&
			    xfrmmsg_policy(copy, len, &pols[n_pols]) == XFRMMSG_OK) {
				if (pols[n_pols].n_tmpl > XFRMDB_MAX_TMPL ||
				    pols[n_pols].dir > XFRM_POLICY_FWD)
					abort();
				n_pols++;
			}
		} else if (n_states < MAX_ENTRIES &&
			   xfrmmsg_state(copy, len, 5000,
					 &states[n_states]) == XFRMMSG_OK) {
			n_states++;
		}
		free(copy);
		data += 3 + len;
		size -= 3 + len;
	}

	db = xfrmdb_new(pols, n_pols, states, n_states);
	if (!db)
		return 0;
	if (xfrmdb_n_policies(db) != n_pols || xfrmdb_n_states(db) != n_states)
		abort();
	memset(&t, 0, sizeof(t));
	memcpy(&t, data, size < sizeof(t) ? size : sizeof(t));
	t.family = t.family & 1 ? AF_INET6 : AF_INET;
	if (t.family == AF_INET) {
		memset(t.src.b + 4, 0, 12);
		memset(t.dst.b + 4, 0, 12);
	}
	for (dir = 0; dir <= XFRM_POLICY_FWD + 1; dir++) {
		struct xfrm_sa_ref r;

		if (!xfrmdb_lookup(db, &t, dir, &r))
			continue;
		if (dir > XFRM_POLICY_FWD || !n_pols)
			abort();
		check_answer(&r, dir);
	}
	xfrmdb_free(db);
	return 0;
}

#include "replay.h"

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream IDs from packets: which packets of a zone carry one (its l7
 * proto, to one of its ports: the client's side), and the bytes at the
 * configured offset of their L4 payload, read where nft's @ih reads
 * them, so that the daemon and the kernel's map agree on every sid.
 */
#ifndef FC_STREAMID_H
#define FC_STREAMID_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "policy.h"

enum streamid_dir {
	STREAMID_NONE,		/* not l's proto, or none of its ports */
	STREAMID_CLIENT,	/* to one of l's ports: carries the sid */
	STREAMID_SERVER,	/* from one of them: a reply */
};

/* Which side of l's streams t (a packet's tuple) is, if any. */
enum streamid_dir streamid_applies(const struct l7_conf *l,
				   const struct tuple *t);

/*
 * The sid of the packet at data (parsed into pi): true with *sid, false
 * when its payload is too short to hold one (or l has no stream IDs).
 */
bool streamid_read(const struct l7_conf *l, const struct pkt_info *pi,
		   const uint8_t *data, struct stream_id *sid);

/* sid as lowercase hex into out (2 * SID_MAX_LEN + 1 bytes at least). */
void streamid_hex(const struct stream_id *sid, char *out);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "streamid.h"

enum streamid_dir streamid_applies(const struct l7_conf *l,
				   const struct tuple *t)
{
	if (!l->proto || t->proto != l->proto)
		return STREAMID_NONE;
	if (port_in(&l->ports, t->dport))
		return STREAMID_CLIENT;
	return port_in(&l->ports, t->sport) ? STREAMID_SERVER : STREAMID_NONE;
}

bool streamid_read(const struct l7_conf *l, const struct pkt_info *pi,
		   const uint8_t *data, struct stream_id *sid)
{
	memset(sid, 0, sizeof(*sid));
	/* payload_len: what the headers say is there and the copy holds */
	if (!l->proto || l->length > SID_MAX_LEN ||
	    (uint32_t)l->offset + l->length > pi->payload_len)
		return false;
	sid->len = l->length;
	memcpy(sid->b, data + pi->payload_off + l->offset, l->length);
	return true;
}

void streamid_hex(const struct stream_id *sid, char *out)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t i;

	for (i = 0; i < sid->len && i < SID_MAX_LEN; i++) {
		out[2 * i] = digits[sid->b[i] >> 4];
		out[2 * i + 1] = digits[sid->b[i] & 15];
	}
	out[2 * i] = '\0';
}

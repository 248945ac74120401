/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stream ID: the bytes that name an application session (an RTP
 * SSRC, a QUIC connection ID), at most one nft register long, so that a
 * kernel map can be keyed by it.
 */
#ifndef FC_SID_H
#define FC_SID_H

#include <stdint.h>

#define SID_MAX_LEN	16

struct stream_id {
	uint8_t len;			/* 0: none */
	uint8_t b[SID_MAX_LEN];		/* bytes past len are zero */
};

#endif

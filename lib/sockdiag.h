/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_diag (inet_diag) messages for one question: which socket owns
 * this flow's local end? The request names the socket exactly, so the
 * kernel answers with a hash lookup (the one its receive path does),
 * not a walk over every socket; a TCP SYN finds the listener.
 *
 * The kernel reads the two ends differently per protocol: TCP takes
 * idiag_src as the local end, UDP (for historical reasons, as
 * udp_diag.c says) as the remote one. sockdiag_request() hides that.
 */
#ifndef FC_SOCKDIAG_H
#define FC_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct sockdiag_end {
	union fc_addr addr;
	uint16_t port;			/* host byte order */
};

struct sockdiag_answer {
	uint32_t inode;			/* 0: no file (closed, orphaned) */
	uint32_t uid;
	uint64_t cookie;
	uint64_t cgroup;		/* cgroup v2 id; 0: not reported */
	uint8_t state;			/* TCP_ESTABLISHED, TCP_LISTEN, ... */
};

/*
 * Writes into buf the lookup of the proto (TCP, UDP, UDP-Lite) socket
 * of family whose local end is local and whose peer is remote. Returns
 * the request's length, 0 when size is too small or proto has no
 * sock_diag lookup.
 */
size_t sockdiag_request(void *buf, size_t size, uint32_t seq, uint8_t family,
			uint8_t proto, const struct sockdiag_end *local,
			const struct sockdiag_end *remote);

/*
 * One message of the answer, len bytes at nlh (as many as were
 * received). Returns 1 with *a filled for an inet_diag message, 0 for
 * NLMSG_DONE, -errno for an error message (-ENOENT: no such socket),
 * -EBADMSG when the message is cut short or of another kind.
 */
int sockdiag_parse(const void *nlh, size_t len, struct sockdiag_answer *a);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * XFRM policies and states as the kernel sends them (answers to
 * XFRM_MSG_GETPOLICY and XFRM_MSG_GETSA dumps, which are
 * XFRM_MSG_NEWPOLICY and XFRM_MSG_NEWSA messages), read into the
 * entries of lib/xfrmdb.h:
 *
 *   +----------------------+---------+---------+-----
 *   | xfrm_userpolicy_info | nlattr  | nlattr  | ...   XFRMA_TMPL (n x
 *   | / xfrm_usersa_info   | + data  | + data  |       xfrm_user_tmpl),
 *   +----------------------+---------+---------+-----  XFRMA_MARK, ...
 *   ^ payload: what follows struct nlmsghdr
 *
 * Every length is checked against the message: a message shorter than
 * its fixed part, an attribute running past the end, or one too short
 * for its type is TRUNCATED and never read past; values out of range
 * (family, direction, template count) are BAD. Numbers the kernel
 * keeps in network byte order (SPIs, selector ports) come out in host
 * byte order, IPv4 addresses zero-padded as in struct tuple. The entry
 * is written only when the answer is XFRMMSG_OK.
 */
#ifndef FC_XFRMMSG_H
#define FC_XFRMMSG_H

#include <stddef.h>
#include <stdint.h>

#include "xfrmdb.h"

enum xfrmmsg_err {
	XFRMMSG_OK,
	XFRMMSG_SKIP,		/* well formed, not for the mirror: a
				 * per-socket policy, a larval state */
	XFRMMSG_TRUNCATED,	/* shorter than it says or needs */
	XFRMMSG_BAD,		/* a value out of range */
};

/* A policy: payload[0, len) starts with struct xfrm_userpolicy_info. */
enum xfrmmsg_err xfrmmsg_policy(const void *payload, size_t len,
				struct xfrmdb_policy *out);

/*
 * A state: payload[0, len) starts with struct xfrm_usersa_info. now is
 * the wall clock in seconds (the kernel's add and use times are), to
 * tell a state past its soft time limits (dying). A state the kernel is
 * still negotiating (ESP, AH or IPcomp without an algorithm: created by
 * an acquire or XFRM_MSG_ALLOCSPI) is SKIP: it carries no traffic.
 */
enum xfrmmsg_err xfrmmsg_state(const void *payload, size_t len, uint64_t now,
			       struct xfrmdb_state *out);

#endif

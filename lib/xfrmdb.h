/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IPsec mirror as data: the kernel's XFRM policies and states (SAs),
 * and the one question asked of them for a flow and a direction: which
 * policy applies, and which SA would carry the flow?
 *
 * A struct xfrmdb is a snapshot, immutable once built. The writer (the
 * XFRM mirror) builds a new one from a complete dump and publishes it
 * with rcu_assign_pointer(); readers (queue workers) look up under an
 * RCU read lock and never see half a change. Policies and SAs are few
 * (tens to a few thousand), so a lookup scans the policies of its
 * direction in the kernel's order, stopping at the first match (a
 * linear scan: ~3 ns a policy, 3 us to the last of 1,000 here), and
 * finds SAs by binary search on (family, destination, protocol). A
 * lookup never allocates.
 *
 * What is modelled, as net/xfrm does it:
 * - the policy: of the direction, sub-type policies before main ones,
 *   then the lowest priority number, then the oldest (the kernel keeps
 *   equal priorities in insertion order; the index it hands out grows
 *   with age, so the lowest index stands in for the oldest); selector
 *   on family, source and destination prefixes, protocol, ports under
 *   their masks;
 * - output (XFRM_POLICY_OUT), xfrm_state_find(): a state of the
 *   template's outer family, protocol, mode and exactly its reqid (0
 *   matches 0 only), its SPI when the template names one, the
 *   template's endpoints (tunnel, BEET) or the flow's addresses
 *   (transport; after a tunnel template, that tunnel's endpoints), a
 *   state source of "any" taken only when no exact one exists, no mark
 *   and no interface id, the state's selector (when it has a family)
 *   matching the flow; among several, one not past a soft limit, then
 *   the newest;
 * - input and forward (XFRM_POLICY_IN, _FWD), xfrm_state_ok(): the
 *   same, except that a template reqid of 0 matches any, and in
 *   transport mode the state's destination must be the flow's and its
 *   source the flow's or "any" (the kernel finds inbound SAs by SPI;
 *   the mirror, which has no packet, by the addresses the SPI was
 *   negotiated for).
 * The SA reported is that of the first ESP or AH template (IPcomp only
 * compresses), or of the first template when the policy has neither.
 *
 * What is not: the packet's mark, xfrm interface ids, security
 * contexts, a selector's interface, ports of ICMP, GRE and MH (the
 * kernel puts type/code or the key there), sub-type policies (the
 * kernel applies them together with a main one). When the first policy
 * whose selector could match the flow depends on one of these, the
 * answer says not_modelled, with that policy's index and priority and
 * nothing else: the kernel may or may not apply it. Per-socket policies
 * (directions 3-5, should a dump carry them) and larval states (an SA
 * being negotiated: no algorithm yet) are left out by the parser
 * (lib/xfrmmsg.h). A tunnel template with no source lets the kernel
 * pick the source by route; the mirror takes any source then.
 */
#ifndef FC_XFRMDB_H
#define FC_XFRMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "tuple.h"

#define XFRMDB_MAX_TMPL	6		/* XFRM_MAX_DEPTH */

/* XFRMA_SA_DIR (Linux 6.10) values; 0: the state has no direction */
#define XFRMDB_SA_DIR_IN	1
#define XFRMDB_SA_DIR_OUT	2

struct xfrmdb_sel {
	union fc_addr daddr, saddr;
	uint16_t dport, dport_mask;	/* host byte order */
	uint16_t sport, sport_mask;
	uint8_t family;			/* of a state: 0 matches any flow */
	uint8_t prefixlen_d, prefixlen_s;
	uint8_t proto;			/* 0: any */
	int ifindex;			/* 0: any */
};

struct xfrmdb_tmpl {
	union fc_addr daddr, saddr;	/* tunnel endpoints; any in transport */
	uint32_t spi;			/* host byte order; 0: any */
	uint32_t reqid;
	uint8_t family;			/* of the endpoints (outer header) */
	uint8_t proto;			/* IPPROTO_ESP, _AH, _COMP */
	uint8_t mode;			/* XFRM_MODE_* */
	bool optional;
};

struct xfrmdb_policy {
	struct xfrmdb_sel sel;		/* its family is the policy's */
	uint32_t priority;		/* lower first */
	uint32_t index;
	uint32_t mark_v, mark_m;
	uint32_t if_id;
	uint8_t dir;			/* XFRM_POLICY_IN, _OUT, _FWD */
	uint8_t action;			/* XFRM_POLICY_ALLOW, _BLOCK */
	uint8_t type;			/* XFRM_POLICY_TYPE_MAIN, _SUB */
	bool has_sec_ctx;
	uint8_t n_tmpl;
	struct xfrmdb_tmpl tmpl[XFRMDB_MAX_TMPL];
};

struct xfrmdb_state {
	struct xfrmdb_sel sel;
	union fc_addr daddr, saddr;	/* outer header */
	uint32_t spi;			/* host byte order */
	uint32_t reqid;
	uint32_t mark_v, mark_m;
	uint32_t if_id;
	uint64_t add_time;		/* wall clock, s: the newest wins */
	uint8_t family;			/* of daddr and saddr */
	uint8_t proto;
	uint8_t mode;
	uint8_t dir;			/* XFRMDB_SA_DIR_*, 0 */
	bool wildrecv;			/* XFRM_STATE_WILDRECV: input only */
	bool dying;			/* past a soft limit: chosen last */
};

/* The answer for one flow and direction. */
struct xfrm_sa_ref {
	uint32_t spi;			/* host byte order; 0 unless has_state */
	uint32_t reqid;			/* the state's, else the template's */
	uint32_t policy_index;
	uint32_t policy_priority;
	uint8_t proto;			/* IPPROTO_ESP, _AH, _COMP; 0: the
					 * policy has no template (bypass or
					 * block) */
	uint8_t mode;			/* XFRM_MODE_TRANSPORT, _TUNNEL, ... */
	uint8_t dir;			/* as asked */
	uint8_t action;			/* XFRM_POLICY_ALLOW or _BLOCK */
	bool has_state;			/* an SA is installed for it */
	bool not_modelled;		/* see above; proto .. has_state 0 */
};

struct xfrmdb;

/*
 * A snapshot of these policies and states; the arrays are copied and
 * may be reused at once. Entries with a direction, family or template
 * count out of range are left out (the parser never produces them).
 * Returns NULL with errno set to ENOMEM.
 */
struct xfrmdb *xfrmdb_new(const struct xfrmdb_policy *pols, size_t n_pols,
			  const struct xfrmdb_state *states, size_t n_states);
/* NULL-safe. Only once no reader can see db any more. */
void xfrmdb_free(struct xfrmdb *db);

size_t xfrmdb_n_policies(const struct xfrmdb *db);
size_t xfrmdb_n_states(const struct xfrmdb *db);

/*
 * The policy the kernel would apply to a packet of t in direction dir
 * (XFRM_POLICY_IN, _OUT, _FWD) and the SA it would use. Returns true and
 * fills *out when a policy applies (or might: out->not_modelled), false
 * when none does, db is NULL or dir is out of range; *out is untouched
 * then. t's ports are in host byte order.
 */
bool xfrmdb_lookup(const struct xfrmdb *db, const struct tuple *t,
		   uint8_t dir, struct xfrm_sa_ref *out);

#endif

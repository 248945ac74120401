/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Zones and policy rules as data, and the two questions asked of them
 * for every undecided flow: which zone is it in, and which rule decides
 * it. The daemon's config parser fills these structs; the managed
 * ruleset turns the zones into nft rules. zone_classify() must agree
 * with those rules exactly, because without NFQA_CT it is how the daemon
 * learns the zone the kernel gave a queued packet.
 */
#ifndef FC_POLICY_H
#define FC_POLICY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "sid.h"
#include "tuple.h"

#define ZONE_NAME_MAX 32

struct ifname_list {
	size_t n;
	char (*v)[IFNAMSIZ];
};

struct prefix_list {
	size_t n;
	struct prefix *v;
};

struct port_list {
	size_t n;
	struct port_range *v;
};

enum on_full {
	ON_FULL_EVICT,		/* evict the oldest unreplied flow of the zone */
	ON_FULL_DROP,		/* drop the new flow's packet */
};

/*
 * A zone must hold both directions of a flow, and the raw hook that sets
 * it runs before conntrack knows which direction a packet is. So a zone
 * matches symmetric properties only: the interface either side's packets
 * arrive on (for locally generated packets: the one they leave by, where
 * the replies will arrive), an address on either end, the protocol, a
 * port on either end. Lists match any element; the keys present must all
 * match.
 */
struct zone_match {
	struct ifname_list iif;
	struct prefix_list addr;
	uint8_t proto;			/* 0: any */
	struct port_list port;
};

#define L7_NAME_MAX	32
#define L7_BACKENDS_MAX	64

/* Where a zone's stream IDs send their flows. */
struct l7_backend {
	char name[L7_NAME_MAX];
	uint32_t mark;			/* inside marks.mask, decided bit clear */
	uint32_t weight;		/* Maglev share, 0: none */
	uint8_t family;			/* of addr; 0: no DNAT */
	union fc_addr addr;
	uint16_t port;			/* 0: keep the packet's */
	int line;
};

struct maglev;

/*
 * A zone's stream IDs: length bytes at offset in the L4 payload of its
 * client's packets (proto, to one of ports), as nft's @ih reads them.
 */
struct l7_conf {
	uint8_t proto;			/* 0: the zone has no stream IDs */
	struct port_list ports;
	uint16_t offset;
	uint8_t length;
	uint32_t idle_timeout;		/* s a sid is kept without packets */
	size_t n_backends;
	struct l7_backend *backends;
	struct maglev *maglev;		/* the backends' lookup table */
	int line;
};

struct zone_conf {
	uint16_t id;			/* conntrack zone, 1..65535 */
	char name[ZONE_NAME_MAX];
	struct zone_match match;
	uint32_t max_flows;		/* 0: only the global cap */
	enum on_full on_full;
	uint32_t decide_after;		/* packets a flow may stay undecided */
	struct l7_conf l7;
	int line;
};

enum verdict {
	VERDICT_ACCEPT,
	VERDICT_DROP,
};

enum {
	RULE_HAS_ZONE	= 1u << 0,
	RULE_HAS_FAMILY	= 1u << 1,
	RULE_HAS_PROTO	= 1u << 2,
	RULE_HAS_MARK	= 1u << 3,
	RULE_HAS_LABEL	= 1u << 4,
};

/* What a rule says of its flows' routes once decided. */
enum route_policy {
	ROUTE_POLICY_NONE,
	ROUTE_POLICY_PIN,	/* keep the next hop chosen now, for good */
	ROUTE_POLICY_FOLLOW,	/* move with the routing table */
};

/* What an owner match asks for, and what a flow's owner is known by. */
enum {
	OWNER_HAS_UID		= 1u << 0,
	OWNER_HAS_GID		= 1u << 1,
	OWNER_HAS_COMM		= 1u << 2,
	OWNER_HAS_CGROUP	= 1u << 3,
};

#define OWNER_COMM_MAX	16		/* TASK_COMM_LEN, NUL included */

/*
 * The local socket's owner of a flow; each list matches any element,
 * the lists present must all match. A cgroup matches the socket's own
 * and every cgroup below it. need is the OWNER_HAS_* of the lists
 * present, 0 for a rule without an owner match.
 */
struct owner_match {
	unsigned int need;
	size_t n_uid, n_gid, n_comm, n_cgroup;
	uint32_t *uid, *gid;
	char (*comm)[OWNER_COMM_MAX];
	char **cgroup;			/* "/a/b": below the cgroup2 root */
};

/* What is known of a flow's owner: the OWNER_HAS_* fields in has. */
struct owner_view {
	unsigned int has;
	uint32_t uid, gid;
	const char *comm;
	const char *cgroup;		/* "/a/b", "/" for the root */
};

/* conntrack labels: 128 bits, as `ct label` numbers them */
#define CT_LABEL_BITS	128

/* Lists match any element; the keys present must all match. Addresses
 * and ports are those of the packet as it travels (src = its sender). */
struct rule_match {
	uint16_t zone;			/* 0: flows in no configured zone */
	uint8_t family;			/* AF_INET, AF_INET6 */
	uint8_t proto;
	struct prefix_list src, dst;
	struct port_list sport, dport;
	struct ifname_list iif, oif;
	struct owner_match owner;
};

struct rule_conf {
	unsigned int has;		/* RULE_HAS_* */
	struct rule_match match;
	enum verdict verdict;
	uint32_t mark;			/* inside marks.mask */
	/* ct label bits to set, bit n at labels[n / 8] & (1 << n % 8), the
	 * kernel's layout on little-endian hosts; carried into conntrack by
	 * the ruleset, keyed by the rule's mark */
	uint8_t labels[CT_LABEL_BITS / 8];
	enum route_policy route;
	bool log;			/* each decision is logged */
	int line;
};

/* What a packet tells about its flow besides the tuple. */
struct pkt_where {
	const char *iif;		/* NULL: locally generated */
	const char *oif;		/* NULL: not known (before routing) */
	/*
	 * The flow's owner, with at least the fields need asks for, called
	 * only for a rule whose other matches all hold (a lookup is not
	 * free); NULL from it, or no callback: the flow has no local owner
	 * (or it is gone), and no owner match holds.
	 */
	const struct owner_view *(*owner)(void *ctx, unsigned int need);
	void *owner_ctx;
};

/* Whether port lies in one of l's ranges. */
bool port_in(const struct port_list *l, uint16_t port);

/* The zone with conntrack zone id, NULL when none. */
const struct zone_conf *zone_find(const struct zone_conf *zones, size_t n,
				  uint16_t id);

/*
 * The first zone whose match the packet meets, as the kernel's zone rules
 * see it: t->zone is ignored. NULL: no zone (conntrack zone 0).
 */
const struct zone_conf *zone_classify(const struct zone_conf *zones,
				      size_t n, const struct tuple *t,
				      const struct pkt_where *w);

/* The first rule whose match the packet meets (t->zone included); NULL
 * when none does, which means accept without a mark. */
const struct rule_conf *policy_eval(const struct rule_conf *rules, size_t n,
				    const struct tuple *t,
				    const struct pkt_where *w);

#endif

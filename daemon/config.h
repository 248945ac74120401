/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration: read with libconfig, checked completely (types,
 * bounds, unknown keys, cross-field rules) and returned as one immutable
 * struct config. The daemon holds a pointer to the one in force and swaps
 * it whole on reload, so no reader ever sees half of an old and half of a
 * new configuration, and a file that fails any check changes nothing.
 */
#ifndef FC_CONFIG_H
#define FC_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "buf.h"

#define CONFIG_MAX_ERRORS 32
#define ZONE_NAME_MAX 32

enum on_full {
	ON_FULL_EVICT,		/* evict the oldest unreplied flow of the zone */
	ON_FULL_DROP,		/* drop the new flow's packet */
};

enum route_cache {
	ROUTE_CACHE_LPM,
	ROUTE_CACHE_BLOOM,
	ROUTE_CACHE_KERNEL,
};

enum verdict {
	VERDICT_ACCEPT,
	VERDICT_DROP,
};

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

/*
 * A zone must hold both directions of a flow, and the raw hook that sets
 * it runs before conntrack knows which direction a packet is. So a zone
 * matches symmetric properties only: the input interface of either side,
 * an address on either end, the protocol, a port on either end.
 */
struct zone_match {
	struct ifname_list iif;
	struct prefix_list addr;
	uint8_t proto;			/* 0: any */
	struct port_list port;
};

struct zone_conf {
	uint16_t id;			/* conntrack zone, 1..65535 */
	char name[ZONE_NAME_MAX];
	struct zone_match match;
	uint32_t max_flows;		/* 0: only the global cap */
	enum on_full on_full;
	uint32_t decide_after;		/* packets a flow may stay undecided */
	int line;
};

enum {
	RULE_HAS_ZONE	= 1u << 0,
	RULE_HAS_FAMILY	= 1u << 1,
	RULE_HAS_PROTO	= 1u << 2,
	RULE_HAS_MARK	= 1u << 3,
};

struct rule_match {
	uint16_t zone;			/* 0: flows in no configured zone */
	uint8_t family;			/* AF_INET, AF_INET6 */
	uint8_t proto;
	struct prefix_list src, dst;
	struct port_list sport, dport;
	struct ifname_list iif, oif;
};

struct rule_conf {
	unsigned int has;		/* RULE_HAS_* */
	struct rule_match match;
	enum verdict verdict;
	uint32_t mark;			/* inside marks.mask */
	int line;
};

struct config {
	char *file;

	struct {
		uint16_t first;
		uint16_t count;
		uint32_t maxlen;
		uint32_t copy_bytes;
		bool fail_open;
	} queues;

	struct {
		uint32_t mask;		/* the only ct/meta mark bits we touch */
		uint32_t decided;	/* lowest bit of mask: "decided" */
	} marks;

	struct {
		bool managed;
		bool keep_on_exit;
	} ruleset;

	struct {
		uint32_t max_flows;
	} table;

	size_t n_zones;
	struct zone_conf *zones;

	size_t n_rules;
	struct rule_conf *rules;

	struct {
		enum route_cache cache;
	} routes;

	struct {
		char *socket;
		char *group;		/* NULL: the daemon's own group */
		gid_t gid;
	} control;

	struct {
		bool enabled;
		struct addr_port listen;
	} metrics;
};

struct config_error {
	char *file;
	int line;			/* 0 when the error is not on a line */
	char *msg;
};

struct config_errors {
	size_t n;
	bool truncated;			/* more than CONFIG_MAX_ERRORS */
	struct config_error v[CONFIG_MAX_ERRORS];
};

/*
 * Read and check path. On success returns 0 and *ret; on failure returns
 * -EINVAL (or -ENOMEM) with every problem found in errs, and *ret is
 * untouched. Call config_errors_free() either way.
 */
int config_load(const char *path, struct config **ret,
		struct config_errors *errs);
void config_free(struct config *c);
void config_errors_free(struct config_errors *errs);

/* "FILE:LINE: message" (or "FILE: message" when there is no line). */
void config_error_format(const struct config_error *e, struct buf *out);

/* The configuration in force, every default spelled out, as config syntax. */
void config_dump(const struct config *c, struct buf *out);

const char *verdict_name(enum verdict v);
const char *route_cache_name(enum route_cache c);
const char *on_full_name(enum on_full f);

#endif

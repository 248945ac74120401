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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "buf.h"
#include "policy.h"

#define CONFIG_MAX_ERRORS 32

enum route_cache_mode {
	ROUTE_CACHE_LPM,
	ROUTE_CACHE_BLOOM,
	ROUTE_CACHE_KERNEL,
};

struct config {
	char *file;
	unsigned long generation;	/* set by the daemon: 1, 2, ... per load */

	struct {
		uint16_t first;
		uint16_t count;
		uint32_t maxlen;
		uint32_t copy_bytes;
		bool fail_open;
		enum verdict malformed;	/* for packets the parser refuses */
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

	struct {
		uint32_t rcvbuf;	/* event socket receive buffer, bytes */
		bool reliable;		/* NETLINK_BROADCAST_ERROR + NO_ENOBUFS */
		uint32_t resync_interval; /* s; reconcile dump-learnt flows */
		uint32_t pending_ttl;	/* s a queued flow may wait for NEW */
	} conntrack;

	size_t n_zones;
	struct zone_conf *zones;

	size_t n_rules;
	struct rule_conf *rules;

	struct {
		enum route_cache_mode cache;
		uint32_t bloom_expected; /* destinations per next hop */
		double bloom_fp_rate;	/* per filter */
		uint32_t bloom_entries;	/* cap: past it, empty filters again */
		uint32_t bloom_reseed;	/* s between reseeds; 0: never */
		uint32_t pin_mask;	/* mark bits: the next hop, original */
		uint32_t pin_reply_mask; /* and reply direction; 0: none */
		uint32_t pin_table;	/* next hop k routes by table + k */
		uint32_t pin_priority;	/* of the daemon's ip rules */
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
const char *route_cache_name(enum route_cache_mode c);
const char *on_full_name(enum on_full f);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state, handed to every module; there are no globals.
 * The configuration is immutable and replaced whole by fcd_reload().
 */
#ifndef FC_FCD_H
#define FC_FCD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "loop.h"

struct control;
struct ctsync;
struct flowtable;
struct l7;
struct metrics;
struct owner_cache;
struct pins;
struct queues;
struct route_cache;
struct rtsync;
struct ruleset;
struct xfrmsync;

struct fcd {
	struct loop loop;
	/* Published with rcu_assign_pointer(); queue workers read it under
	 * urcu_memb_read_lock(), the main thread (its only writer) directly. */
	struct config *cfg;
	const char *config_path;
	unsigned long generation;	/* of the last config loaded */
	int exit_status;		/* EXIT_FAILURE when a worker gave up */

	uint64_t started;		/* monotonic ns */
	time_t loaded_at;		/* wall clock of the last good load */

	struct {
		uint64_t ok;
		uint64_t failed;
		char last_error[512];	/* empty when the last one worked */
	} reload;

	struct control *control;
	struct metrics *metrics;	/* listening only with metrics.listen */
	struct flowtable *ft;		/* shared with the queue workers */
	struct ctsync *ctsync;
	struct rtsync *rtsync;		/* routes, rules and links */
	struct route_cache *routes;	/* flows' routes: answers, Bloom cache */
	struct pins *pins;		/* NULL unless routes.pin_mask */
	struct xfrmsync *xfrmsync;	/* IPsec policies and SAs; NULL: none */
	struct owner_cache *owners;	/* flows' local sockets and processes */
	struct l7 *l7;			/* stream IDs and their backends */
	struct queues *queues;
	struct ruleset *ruleset;		/* NULL unless ruleset.managed */
	struct loop_source signals;
	struct loop_source tick;	/* once a second: housekeeping */
	uint64_t last_expire;		/* pending flows last expired, ns */
	struct loop_source watchdog;
};

/*
 * Load the config file again and, when every check passes, swap it in.
 * On failure the running configuration stays, each error is logged with
 * its file and line, and, when errors is not NULL, written there one per
 * line. Returns 0 or a negative errno.
 */
int fcd_reload(struct fcd *fcd, struct buf *errors);

/* Fill buf with len random bytes (hash secrets and seeds). */
void fcd_random(void *buf, size_t len);

/* One line for systemd's STATUS= and the log. */
void fcd_summary(const struct fcd *fcd, struct buf *out);

#endif

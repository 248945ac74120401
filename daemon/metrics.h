/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus metrics over HTTP, when metrics.listen is set: the only
 * file that talks HTTP. A tiny HTTP/1.x server on the main loop: one
 * request per connection, answered and closed; GET /metrics gets the
 * page (daemon/scrape.c renders it), another path 404, another method
 * 405, anything else that is not a request 400. Nothing blocks: sockets
 * are non-blocking, replies are written as the client reads them, and
 * clients are capped in number and dropped when idle, so a slow or
 * broken scraper cannot stall the loop or hold a slot for ever.
 *
 * A reload that changes metrics.listen moves the listener: the new
 * address is bound first and the old one closed once that worked; when
 * the new one cannot be bound, the old one stays (logged).
 */
#ifndef FC_METRICS_H
#define FC_METRICS_H

#include <stdint.h>

#include "buf.h"

struct config;
struct fcd;
struct metrics;

struct metrics_stats {
	uint64_t scrapes;		/* pages served */
	uint64_t bad_request;		/* 400: not a request, or too big */
	uint64_t not_found;		/* 404: not /metrics */
	uint64_t bad_method;		/* 405: not GET */
	uint64_t busy;			/* refused: too many clients */
	uint64_t idle;			/* dropped: too slow */
	unsigned int clients;		/* connected now */
};

/*
 * Listen where the configuration says (or nowhere). Returns 0 or
 * -errno, the reason logged.
 */
int metrics_open(struct fcd *fcd, struct metrics **ret);
/* Stop listening and drop the clients. */
void metrics_close(struct metrics *m);
/* Drop clients that have been idle for too long. */
void metrics_tick(struct metrics *m, uint64_t now);

/*
 * On reload, before cfg is published: listen where cfg says. When its
 * address cannot be bound, the running listener stays and cfg is set
 * back to it, so that cfg says what is in force.
 */
void metrics_follow(struct metrics *m, struct config *cfg);

void metrics_get_stats(const struct metrics *m, struct metrics_stats *st);

/* Implemented by the page's renderer: every metric, in the text format. */
void scrape_render(struct fcd *fcd, struct buf *out);

#endif

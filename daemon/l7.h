/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * L7 stream IDs: in a zone with an l7 block, the first packet of a flow
 * that carries a stream ID (sid) decides its backend: the one the sid
 * already has, or, for a new sid, the one Maglev gives (lib/maglev.h),
 * so that every daemon with the same backends agrees. The sid is then
 * put into the zone's kernel map (daemon/sidmap.h), and from there on
 * the kernel marks its packets itself, on any 5-tuple.
 *
 * The sid table (lib/sidtable.h) is shared by the queue workers under
 * one mutex; each worker puts its new sids into the maps through a
 * struct l7_worker of its own, after its batch of verdicts.
 */
#ifndef FC_L7_H
#define FC_L7_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "pkt.h"
#include "streamid.h"

struct fcd;
struct l7;
struct l7_worker;

struct l7_stats {
	uint64_t decisions;		/* flows decided by their sid */
	uint64_t new_sids;		/* sids given a backend */
	uint64_t known_sids;		/* flows of a sid seen before */
	uint64_t short_payload;		/* payload too short to hold a sid */
	uint64_t waiting;		/* TCP packets accepted undecided */
	uint64_t fallback;		/* flows decided without a sid */
	uint64_t map_adds;		/* elements put into the kernel maps */
	uint64_t map_errors;		/* ... refused, or not sent */
	uint64_t expired;		/* sids idle past idle_timeout */
	uint64_t moved;			/* sids whose backend went away */
	uint64_t table_full;		/* sids not kept: no memory */
};

int l7_open(struct fcd *fcd, struct l7 **ret);
void l7_close(struct l7 *l);

struct l7_worker *l7_worker_new(struct l7 *l);
void l7_worker_free(struct l7_worker *lw);

enum l7_verdict {
	L7_NONE,		/* not a packet of a stream-ID zone's clients */
	L7_SID,			/* decided: *backend */
	L7_WAIT,		/* TCP without the sid yet: accept, undecided */
	L7_FALLBACK,		/* no sid: the policy decides, no backend */
};

/*
 * The packet at data (parsed into pi) of zone z, the queued-th packet of
 * its flow: does it decide the flow by sid? With L7_SID, *sid and
 * *backend say how. Caller holds the RCU read lock under which it read
 * cfg (z is one of its zones).
 */
enum l7_verdict l7_classify(struct l7_worker *lw, const struct config *cfg,
			    const struct zone_conf *z,
			    const struct pkt_info *pi, const uint8_t *data,
			    uint32_t queued, struct stream_id *sid,
			    const struct l7_backend **backend);

/* After the verdicts: the sids l7_classify() decided go into the maps. */
void l7_worker_run(struct l7_worker *lw);

/* Main thread, once a second: sids idle past their zone's timeout go. */
void l7_tick(struct l7 *l);

/*
 * Main thread, after the ruleset of cfg replaced the tables (and emptied
 * the maps) and cfg replaced old: sids keep their backend by name; those
 * whose backend is gone get another (Maglev over the new list), and
 * their flows' marks change in the table and in conntrack; then every
 * sid goes back into the maps.
 */
void l7_reload(struct l7 *l, const struct config *old,
	       const struct config *cfg);

/* The backend of zone z whose mark f carries; NULL when none. */
const struct l7_backend *l7_backend_of(const struct config *cfg,
				       uint16_t zone, uint32_t mark);

void l7_get_stats(struct l7 *l, struct l7_stats *st);
/* Stream IDs known now. */
size_t l7_sid_count(struct l7 *l);
void l7_json(struct l7 *l, struct json *j);
void l7_text(struct l7 *l, struct buf *out);
/* `sids [--zone N]`: zone < 0 for all. */
void l7_sids(struct l7 *l, const struct config *cfg, int zone, bool json,
	     struct buf *out);

#endif

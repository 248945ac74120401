/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NFQUEUE: one worker thread per queue, each with its own netlink socket
 * and its own small loop. A worker reads many packets per receive,
 * decides each (parse, zone, policy), and sends all their verdicts in one
 * sendmsg. The configuration is read under RCU, so a reload never waits
 * for, nor tears under, a worker.
 */
#ifndef FC_QUEUE_H
#define FC_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "pkt.h"

struct fcd;
struct hist;
struct queues;

/* Optional kernel features, each asked for in its own request. */
enum queue_feature {
	QF_FAIL_OPEN,
	QF_GSO,
	QF_UID_GID,
	QF_CONNTRACK,
	QF__MAX
};

struct queue_stats {
	uint64_t packets;		/* packet messages received */
	uint64_t accepted;
	uint64_t dropped;
	uint64_t decided;		/* accepted with the "decided" mark */
	uint64_t malformed;		/* sum of bad[] */
	uint64_t bad[PKT_ERR__MAX];	/* by parser reason */
	uint64_t no_payload;		/* packet message without NFQA_PAYLOAD */
	uint64_t enobufs;		/* receive overruns reported */
	uint64_t id_gaps;		/* packet ids never seen: messages our
					 * socket had no room for (a full queue
					 * fails open before ids are given) */
	uint64_t recv_truncated;	/* a message larger than our buffer */
	uint64_t verdict_batches;	/* sendmsg calls */
	uint64_t batch_verdicts;	/* NFQNL_MSG_VERDICT_BATCH messages, each
					 * answering a run of equal decisions */
	uint64_t verdict_errors;	/* verdicts the kernel refused */
	uint64_t table_full;		/* new flows dropped: zone or table full */
	uint64_t policy_dropped;	/* by a rule with verdict "drop" */
	uint64_t malformed_dropped;	/* queues.malformed = "drop" */
	uint64_t already_decided;	/* packets of flows decided before */
	uint64_t not_cached;		/* decided, but not entered: no memory
					 * or a chain at its cap */
};

/*
 * Bind queues first..first+count-1 of the configuration in force, each
 * setting applied in its own acknowledged request, and start the workers.
 * Returns 0 or -errno (the reason is logged); nothing is left bound then.
 */
int queue_open(struct fcd *fcd, struct queues **ret);
/* Stop the workers and unbind; packets in flight fall back to bypass. */
void queue_close(struct queues *q);

/* Counters of all workers added up (read while they run). */
void queue_stats_sum(const struct queues *q, struct queue_stats *out);
/*
 * The decision latency of all workers, added up: for each packet the
 * policy decided, from the wake-up whose receive brought it to the
 * sendmsg that carried its verdict (read while they run).
 */
void queue_latency(const struct queues *q, struct hist *out);
/* Whether every queue got feature f from the kernel. */
bool queue_has_feature(const struct queues *q, enum queue_feature f);
const char *queue_feature_name(enum queue_feature f);

/* The counters as JSON members of the object being written. */
void queue_stats_json(const struct queues *q, struct json *j);

#endif

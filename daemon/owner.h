/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket owners: for a flow with a local end, the socket that owns it
 * (an exact sock_diag lookup of the flow's tuple: inode, uid, cookie,
 * cgroup id) and the process holding that socket (daemon/procfs.h).
 *
 * Looked up once per flow: on the verdict's path only when a policy rule
 * asks (through struct owner_query, the policy's callback), otherwise
 * right after the worker has sent its batch of verdicts. A locally
 * generated packet comes with its sender's uid and gid (NFQA_UID/GID),
 * which answer user and group matches with no lookup at all. A TCP SYN finds the listening socket; the main thread's tick
 * looks again for the socket accept() made, which is what ss shows.
 *
 * The shared part (struct owner_cache) belongs to the main thread; each
 * queue worker asks through a struct owner_worker of its own, with its
 * own sock_diag socket.
 */
#ifndef FC_OWNER_H
#define FC_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "flowtable.h"
#include "json.h"
#include "policy.h"
#include "tuple.h"

struct fcd;
struct owner_cache;
struct owner_worker;
struct procfs_stats;

struct owner_stats {
	uint64_t lookups;		/* sock_diag lookups */
	uint64_t found;			/* ... that found the socket */
	uint64_t gone;			/* ... that did not: closed first */
	uint64_t no_process;		/* socket found, no process holds it */
	uint64_t from_queue;		/* matched on the queue's uid/gid */
	uint64_t errors;		/* sock_diag failed otherwise */
	uint64_t retried;		/* a listener, replaced by the
					 * accepted socket */
	uint64_t deferred_full;		/* left without an owner: too many
					 * waiting */
};

int owner_cache_open(struct fcd *fcd, struct owner_cache **ret);
void owner_cache_close(struct owner_cache *oc);
/* Main thread, once a second: flows owned by a listener look again. */
void owner_cache_tick(struct owner_cache *oc);
void owner_cache_stats(struct owner_cache *oc, struct owner_stats *st,
		       struct procfs_stats *ps);
void owner_cache_json(struct owner_cache *oc, struct json *j);
void owner_cache_text(struct owner_cache *oc, struct buf *out);
/* o's cgroup path, as procfs_cgroup_path() finds it. */
bool owner_cgroup_path(struct owner_cache *oc, const struct flow_owner *o,
		       char *buf, size_t size);

struct owner_worker *owner_worker_new(struct owner_cache *oc);
void owner_worker_free(struct owner_worker *ow);

enum owner_end {
	OWNER_NONE,			/* no end of the flow is local */
	OWNER_SRC,			/* generated here */
	OWNER_DST,			/* delivered here */
};

/* One packet's question, asked at most once, and only if needed. */
struct owner_query {
	struct owner_worker *ow;
	const struct tuple *t;
	enum owner_end end;
	bool queue_ids;			/* uid, gid came with the packet */
	uint32_t uid, gid;
	bool asked, found;
	struct flow_owner o;		/* when found */
	struct owner_view view;
	char cgroup[256];
};

/* struct pkt_where's owner callback; ctx is a struct owner_query. */
const struct owner_view *owner_query_view(void *ctx, unsigned int need);

/*
 * After the verdict: the owner q did not look up, looked up and stored
 * on the flow by owner_worker_run(), which the worker calls once its
 * verdicts are out. Returns false when too many wait (counted).
 */
bool owner_worker_defer(struct owner_worker *ow, const struct owner_query *q);
void owner_worker_run(struct owner_worker *ow);

/* What q found to store with a new flow, NULL when nothing; a
 * listener's flow is also put up for a second look. */
const struct flow_owner *owner_query_result(struct owner_query *q);

#endif

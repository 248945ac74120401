// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket owners (see owner.h), and the only file that talks sock_diag.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "fcd.h"
#include "log.h"
#include "owner.h"
#include "procfs.h"
#include "sockdiag.h"

#define ASK_TIMEOUT_MS	1000
/* owners looked up after a batch's verdicts: at most one per packet */
#define DEFER_MAX	256
#define RETRY_MAX	4096
#define RETRY_TRIES	3

struct owner_job {
	struct tuple t;
	enum owner_end end;
	bool queue_ids;
	uint32_t uid, gid;
	uint8_t tries;
};

struct owner_cache {
	struct fcd *fcd;
	struct procfs *proc;
	struct owner_worker *main_ow;	/* the tick's */
	pthread_mutex_t retry_lock;
	struct owner_job *retry;	/* listeners to look at again */
	size_t n_retry;
	_Atomic uint64_t st[sizeof(struct owner_stats) / sizeof(uint64_t)];
};

struct owner_worker {
	struct owner_cache *oc;
	int fd;
	uint32_t seq;
	size_t n_jobs;
	struct owner_job jobs[DEFER_MAX];
	uint8_t buf[8192];
};

#define OSTAT_INC(oc, field) atomic_fetch_add_explicit(			\
	&(oc)->st[offsetof(struct owner_stats, field) / sizeof(uint64_t)], \
	1, memory_order_relaxed)

int owner_cache_open(struct fcd *fcd, struct owner_cache **ret)
{
	struct owner_cache *oc = calloc(1, sizeof(*oc));
	int err;

	if (!oc)
		return -ENOMEM;
	oc->fcd = fcd;
	pthread_mutex_init(&oc->retry_lock, NULL);
	oc->retry = calloc(RETRY_MAX, sizeof(*oc->retry));
	err = oc->retry ? procfs_open(&oc->proc) : -ENOMEM;
	if (!err) {
		oc->main_ow = owner_worker_new(oc);
		if (!oc->main_ow)
			err = -errno;
	}
	if (err) {
		owner_cache_close(oc);
		return err;
	}
	*ret = oc;
	return 0;
}

void owner_cache_close(struct owner_cache *oc)
{
	if (!oc)
		return;
	owner_worker_free(oc->main_ow);
	procfs_close(oc->proc);
	free(oc->retry);
	pthread_mutex_destroy(&oc->retry_lock);
	free(oc);
}

bool owner_cgroup_path(struct owner_cache *oc, const struct flow_owner *o,
		       char *buf, size_t size)
{
	return procfs_cgroup_path(oc->proc, o->cgroup, o->pid, buf, size);
}

struct owner_worker *owner_worker_new(struct owner_cache *oc)
{
	struct owner_worker *ow = calloc(1, sizeof(*ow));
	struct timeval tv = { .tv_sec = ASK_TIMEOUT_MS / 1000,
			      .tv_usec = ASK_TIMEOUT_MS % 1000 * 1000 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (!ow)
		return NULL;
	ow->oc = oc;
	ow->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (ow->fd < 0 ||
	    setsockopt(ow->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(ow->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_warn(errno, "owners: sock_diag socket");
		owner_worker_free(ow);
		errno = EIO;
		return NULL;
	}
	return ow;
}

void owner_worker_free(struct owner_worker *ow)
{
	if (!ow)
		return;
	if (ow->fd >= 0)
		close(ow->fd);
	free(ow);
}

static bool diag_proto(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE;
}

/*
 * One exact lookup: 1 with *a, 0 when there is no such socket, -errno
 * when the question could not be asked or answered. The kernel answers
 * while we send, so the read finds the answer waiting; one left over
 * from a request that timed out has an older sequence number.
 */
static int ask(struct owner_worker *ow, const struct tuple *t,
	       enum owner_end end, struct sockdiag_answer *a)
{
	struct sockdiag_end here, peer;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const struct nlmsghdr *nlh;
	size_t len;
	ssize_t n;
	int rc;

	here.addr = end == OWNER_SRC ? t->src : t->dst;
	here.port = end == OWNER_SRC ? t->sport : t->dport;
	peer.addr = end == OWNER_SRC ? t->dst : t->src;
	peer.port = end == OWNER_SRC ? t->dport : t->sport;
	len = sockdiag_request(ow->buf, sizeof(ow->buf), ++ow->seq, t->family,
			       t->proto, &here, &peer);
	if (!len)
		return -EPROTONOSUPPORT;
	do {
		n = sendto(ow->fd, ow->buf, len, 0, (struct sockaddr *)&sa,
			   sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (;;) {
		n = recv(ow->fd, ow->buf, sizeof(ow->buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		nlh = (const struct nlmsghdr *)ow->buf;
		if ((size_t)n < sizeof(*nlh) || nlh->nlmsg_seq != ow->seq)
			continue;
		rc = sockdiag_parse(ow->buf, (size_t)n, a);
		if (rc == -ENOENT)
			return 0;
		return rc == 1 ? 1 : rc < 0 ? rc : -EBADMSG;
	}
}

/*
 * A TCP socket without a file that is not closing: still in its
 * handshake (a request socket, reported as TCP_SYN_RECV) or waiting in
 * its listener's accept queue (ESTABLISHED, or CLOSE_WAIT when the peer
 * already closed). The program that will accept it holds the listener.
 */
static bool unaccepted(const struct tuple *t, uint8_t state)
{
	return t->proto == IPPROTO_TCP &&
	       (state == TCP_SYN_RECV || state == TCP_ESTABLISHED ||
		state == TCP_CLOSE_WAIT);
}

/*
 * The listener an unaccepted connection waits on. With the peer's end
 * zeroed the kernel's lookup misses the connection and finds the
 * listener.
 */
static int ask_listener(struct owner_worker *ow, const struct tuple *t,
			enum owner_end end, struct sockdiag_answer *a)
{
	struct tuple l = *t;

	if (end == OWNER_SRC) {
		memset(&l.dst, 0, sizeof(l.dst));
		l.dport = 0;
	} else {
		memset(&l.src, 0, sizeof(l.src));
		l.sport = 0;
	}
	return ask(ow, &l, end, a);
}

/*
 * Who owns t's end: true with *o filled. A socket without a file
 * (inode 0: closed, lingering in the kernel) owns nothing any more.
 * A second look (again) that finds nothing is not counted as gone: the
 * flow keeps the owner it has.
 */
static bool lookup(struct owner_worker *ow, const struct tuple *t,
		   enum owner_end end, bool again, struct flow_owner *o)
{
	struct owner_cache *oc = ow->oc;
	struct sockdiag_answer a;
	int rc;

	OSTAT_INC(oc, lookups);
	rc = ask(ow, t, end, &a);
	if (rc == 1 && !a.inode && unaccepted(t, a.state))
		rc = ask_listener(ow, t, end, &a);
	if (rc < 0) {
		OSTAT_INC(oc, errors);
		return false;
	}
	if (rc == 0 || !a.inode) {
		if (!again)
			OSTAT_INC(oc, gone);
		return false;
	}
	OSTAT_INC(oc, found);
	memset(o, 0, sizeof(*o));
	o->inode = a.inode;
	o->uid = a.uid;
	o->cookie = a.cookie;
	o->cgroup = a.cgroup;
	o->flags = FLOW_OWNER_SOCKET;
	if (t->proto == IPPROTO_TCP && a.state == TCP_LISTEN)
		o->flags |= FLOW_OWNER_LISTENER;
	if (!procfs_owner(oc->proc, a.inode, a.uid, o))
		OSTAT_INC(oc, no_process);
	return true;
}

/* The owner of a flow sock_diag cannot look up: what the queue said. */
static bool from_queue(const struct owner_job *j, struct flow_owner *o)
{
	if (!j->queue_ids)
		return false;
	memset(o, 0, sizeof(*o));
	o->uid = j->uid;
	o->gid = j->gid;
	o->flags = FLOW_OWNER_QUEUE | FLOW_OWNER_GID;
	return true;
}

static void store(struct owner_cache *oc, const struct tuple *t,
		  const struct flow_owner *o)
{
	struct flowtable *ft = oc->fcd->ft;
	struct flow_ext *x;
	struct flow *f;

	ft_lock(ft);
	f = ft_find_locked(ft, t, NULL);
	if (f && (x = ft_ext_locked(ft, f)))
		x->owner = *o;
	ft_unlock(ft);
}

static void retry_add(struct owner_cache *oc, const struct owner_job *j)
{
	pthread_mutex_lock(&oc->retry_lock);
	if (oc->n_retry < RETRY_MAX)
		oc->retry[oc->n_retry++] = *j;
	pthread_mutex_unlock(&oc->retry_lock);
}

const struct owner_view *owner_query_view(void *ctx, unsigned int need)
{
	struct owner_query *q = ctx;
	struct owner_view *v = &q->view;

	if (q->end == OWNER_NONE)
		return NULL;
	if (!q->asked && q->queue_ids &&
	    !(need & ~(OWNER_HAS_UID | OWNER_HAS_GID))) {
		OSTAT_INC(q->ow->oc, from_queue);
		*v = (struct owner_view){
			.has = OWNER_HAS_UID | OWNER_HAS_GID,
			.uid = q->uid, .gid = q->gid,
		};
		return v;
	}
	if (!q->asked) {
		q->asked = true;
		q->found = diag_proto(q->t->proto) &&
			   lookup(q->ow, q->t, q->end, false, &q->o);
		if (q->found) {
			*v = (struct owner_view){
				.has = OWNER_HAS_UID, .uid = q->o.uid,
				.gid = q->o.gid, .comm = q->o.comm,
			};
			if (q->o.flags & FLOW_OWNER_GID)
				v->has |= OWNER_HAS_GID;
			if (q->o.pid)
				v->has |= OWNER_HAS_COMM;
		} else if (q->queue_ids) {
			*v = (struct owner_view){
				.has = OWNER_HAS_UID | OWNER_HAS_GID,
				.uid = q->uid, .gid = q->gid,
			};
		} else {
			return NULL;
		}
	}
	if ((need & OWNER_HAS_CGROUP) && !(v->has & OWNER_HAS_CGROUP) &&
	    q->found && owner_cgroup_path(q->ow->oc, &q->o, q->cgroup,
					  sizeof(q->cgroup))) {
		v->cgroup = q->cgroup;
		v->has |= OWNER_HAS_CGROUP;
	}
	return q->found || q->queue_ids ? v : NULL;
}

const struct flow_owner *owner_query_result(struct owner_query *q)
{
	struct owner_job j;

	if (!q->asked || !q->found)
		return NULL;
	if (q->o.flags & FLOW_OWNER_LISTENER) {
		j = (struct owner_job){ .t = *q->t, .end = q->end };
		retry_add(q->ow->oc, &j);
	}
	return &q->o;
}

bool owner_worker_defer(struct owner_worker *ow, const struct owner_query *q)
{
	if (q->end == OWNER_NONE || q->asked)
		return true;
	if (ow->n_jobs == DEFER_MAX) {
		OSTAT_INC(ow->oc, deferred_full);
		return false;
	}
	ow->jobs[ow->n_jobs++] = (struct owner_job){
		.t = *q->t, .end = q->end, .queue_ids = q->queue_ids,
		.uid = q->uid, .gid = q->gid,
	};
	return true;
}

void owner_worker_run(struct owner_worker *ow)
{
	struct flow_owner o;
	size_t i;

	for (i = 0; i < ow->n_jobs; i++) {
		const struct owner_job *j = &ow->jobs[i];

		if (diag_proto(j->t.proto) ?
		    !lookup(ow, &j->t, j->end, false, &o) :
		    !from_queue(j, &o))
			continue;
		store(ow->oc, &j->t, &o);
		if (o.flags & FLOW_OWNER_LISTENER)
			retry_add(ow->oc, j);
	}
	ow->n_jobs = 0;
}

void owner_cache_tick(struct owner_cache *oc)
{
	struct owner_job *jobs;
	struct flow_owner o;
	size_t i, n;

	pthread_mutex_lock(&oc->retry_lock);
	n = oc->n_retry;
	jobs = n ? malloc(n * sizeof(*jobs)) : NULL;
	if (jobs) {
		memcpy(jobs, oc->retry, n * sizeof(*jobs));
		oc->n_retry = 0;
	}
	pthread_mutex_unlock(&oc->retry_lock);
	if (!jobs)
		return;
	for (i = 0; i < n; i++) {
		if (!lookup(oc->main_ow, &jobs[i].t, jobs[i].end, true, &o))
			continue;
		if (!(o.flags & FLOW_OWNER_LISTENER)) {
			store(oc, &jobs[i].t, &o);
			OSTAT_INC(oc, retried);
		} else if (++jobs[i].tries < RETRY_TRIES) {
			retry_add(oc, &jobs[i]);
		}
	}
	free(jobs);
}

void owner_cache_stats(struct owner_cache *oc, struct owner_stats *st,
		       struct procfs_stats *ps)
{
	uint64_t *v = (uint64_t *)st;
	size_t i;

	for (i = 0; i < sizeof(*st) / sizeof(*v); i++)
		v[i] = atomic_load_explicit(&oc->st[i], memory_order_relaxed);
	procfs_get_stats(oc->proc, ps);
}

void owner_cache_json(struct owner_cache *oc, struct json *j)
{
	struct procfs_stats ps;
	struct owner_stats st;

	owner_cache_stats(oc, &st, &ps);
	json_kv_uint(j, "lookups", st.lookups);
	json_kv_uint(j, "found", st.found);
	json_kv_uint(j, "gone", st.gone);
	json_kv_uint(j, "no_process", st.no_process);
	json_kv_uint(j, "from_queue", st.from_queue);
	json_kv_uint(j, "errors", st.errors);
	json_kv_uint(j, "retried", st.retried);
	json_kv_uint(j, "deferred_full", st.deferred_full);
	json_kv_uint(j, "proc_scans", ps.scans);
	json_kv_uint(j, "cache_hits", ps.cache_hits);
	json_kv_uint(j, "cache_stale", ps.stale);
	json_kv_uint(j, "cache_inodes", ps.inodes);
	json_kv_uint(j, "cgroup_walks", ps.cgroup_walks);
}

void owner_cache_text(struct owner_cache *oc, struct buf *out)
{
	struct procfs_stats ps;
	struct owner_stats st;

	owner_cache_stats(oc, &st, &ps);
	buf_printf(out, "owners: lookups %llu, found %llu, gone %llu, "
		   "no process %llu, from queue %llu, errors %llu, "
		   "listeners replaced %llu, deferred full %llu\n"
		   "  /proc: scans %llu, cache hits %llu, stale %llu, "
		   "inodes %u, cgroup walks %llu\n",
		   (unsigned long long)st.lookups,
		   (unsigned long long)st.found,
		   (unsigned long long)st.gone,
		   (unsigned long long)st.no_process,
		   (unsigned long long)st.from_queue,
		   (unsigned long long)st.errors,
		   (unsigned long long)st.retried,
		   (unsigned long long)st.deferred_full,
		   (unsigned long long)ps.scans,
		   (unsigned long long)ps.cache_hits,
		   (unsigned long long)ps.stale, ps.inodes,
		   (unsigned long long)ps.cgroup_walks);
}

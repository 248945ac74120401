// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The IPsec mirror (see xfrmsync.h). Two NETLINK_XFRM sockets, as for
 * routes: one bound to the policy, SA and expiry groups and read from
 * the main loop, one for dumps.
 *
 * Events are not applied one by one: any of them only says "the kernel
 * changed", and the mirror reads policies and SAs again whole, builds a
 * new snapshot and publishes it. Policies and SAs are few, a dump of
 * them is cheap, and so the mirror holds no state an event could leave
 * wrong: a lost event (ENOBUFS) costs exactly what any event costs, the
 * next dump. Soft expiries come as events too (XFRMNLGRP_EXPIRE), so a
 * dump follows an SA becoming "dying", which changes which SA the
 * kernel prefers.
 *
 * Bursts (an IKE daemon bringing up hundreds of tunnels) are coalesced:
 * everything read in one wake-up costs one dump, and dumps are at least
 * XS_MIN_GAP_NS apart; one owed sooner waits on a one-shot timer. The
 * event socket is subscribed before the first dump, so a change made
 * while it runs is an event read after it. A dump that fails leaves the
 * previous snapshot in place and is tried again by xfrmsync_tick().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <urcu/urcu-memb.h>

#include "fcd.h"
#include "log.h"
#include "xfrmmsg.h"
#include "xfrmsync.h"

#define XS_BUF_SIZE	(64 * 1024)
#define XS_EVENT_BUDGET	256
/* Events are tiny and rare, and a loss costs one dump: no more needed */
#define XS_RCVBUF	(1 << 20)
#define XS_MIN_GAP_NS	(50 * 1000 * 1000ull)

struct xfrmsync {
	struct fcd *fcd;
	struct xfrmdb *db;		/* rcu_assign_pointer() */
	struct mnl_socket *ev, *req;
	uint32_t seq;
	int timer_fd;
	struct loop_source ev_src, timer_src;
	bool ev_in_loop, timer_in_loop;
	bool due;			/* the kernel changed since the dump */
	bool failed;			/* the last dump did not finish */
	bool timer_armed;
	uint64_t last_dump;		/* monotonic ns */
	/* what a dump gathers, kept from one dump to the next */
	uint16_t dump_type;
	bool dump_intr, dump_oom;
	uint64_t wall;			/* s, for soft time limits */
	uint32_t bad, skipped;
	struct xfrmdb_policy *pols;
	size_t n_pols, cap_pols;
	struct xfrmdb_state *states;
	size_t n_states, cap_states;
	struct xfrmsync_stats st;
	uint8_t buf[XS_BUF_SIZE];
};

/* --- dumps --------------------------------------------------------------- */

/*
 * v (room for *cap entries of size bytes, n of them used) with room for
 * one more; NULL when out of memory, v still valid.
 */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t want;
	void *p;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : 64;
	p = realloc(v, want * size);
	if (p)
		*cap = want;
	return p;
}

static void count(struct xfrmsync *xs, enum xfrmmsg_err err)
{
	switch (err) {
	case XFRMMSG_OK:
		break;
	case XFRMMSG_SKIP:
		xs->skipped++;
		break;
	case XFRMMSG_TRUNCATED:
		xs->st.truncated++;
		xs->bad++;
		break;
	case XFRMMSG_BAD:
		xs->st.errors++;
		xs->bad++;
		break;
	}
}

static int on_dump(const struct nlmsghdr *nlh, void *data)
{
	struct xfrmsync *xs = data;
	const void *p = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	struct xfrmdb_policy *pols;
	struct xfrmdb_state *states;
	enum xfrmmsg_err err;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		xs->dump_intr = true;
	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY &&
	    nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return MNL_CB_OK;
	if (xs->dump_type == XFRM_MSG_GETPOLICY &&
	    nlh->nlmsg_type == XFRM_MSG_NEWPOLICY) {
		pols = grow(xs->pols, &xs->cap_pols, xs->n_pols,
			    sizeof(*pols));
		if (!pols) {
			xs->dump_oom = true;
			return MNL_CB_OK;
		}
		xs->pols = pols;
		err = xfrmmsg_policy(p, len, &xs->pols[xs->n_pols]);
		if (err == XFRMMSG_OK)
			xs->n_pols++;
		count(xs, err);
	} else if (xs->dump_type == XFRM_MSG_GETSA &&
		   nlh->nlmsg_type == XFRM_MSG_NEWSA) {
		states = grow(xs->states, &xs->cap_states, xs->n_states,
			      sizeof(*states));
		if (!states) {
			xs->dump_oom = true;
			return MNL_CB_OK;
		}
		xs->states = states;
		err = xfrmmsg_state(p, len, xs->wall,
				    &xs->states[xs->n_states]);
		if (err == XFRMMSG_OK)
			xs->n_states++;
		count(xs, err);
	}
	return MNL_CB_OK;
}

/* One dump request, its answers through on_dump(). Returns 0 or -errno. */
static int dump(struct xfrmsync *xs, uint16_t type)
{
	struct nlmsghdr req = {
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = type,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nlmsg_seq = ++xs->seq,
	};
	unsigned int portid = mnl_socket_get_portid(xs->req);
	ssize_t n;
	int ret = 1;

	/* what a dump that failed half-way left unread */
	while (recv(mnl_socket_get_fd(xs->req), xs->buf, sizeof(xs->buf),
		    MSG_DONTWAIT) > 0)
		;
	/* a dump has no payload: the kernel starts it before parsing any */
	if (mnl_socket_sendto(xs->req, &req, req.nlmsg_len) < 0)
		return -errno;
	xs->dump_type = type;
	do {
		n = mnl_socket_recvfrom(xs->req, xs->buf, sizeof(xs->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		ret = mnl_cb_run(xs->buf, (size_t)n, xs->seq, portid,
				 on_dump, xs);
	} while (ret > 0);
	xs->dump_type = 0;
	if (n < 0 || ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static void publish(struct xfrmsync *xs, struct xfrmdb *db)
{
	struct xfrmdb *old = xs->db;

	rcu_assign_pointer(xs->db, db);
	urcu_memb_synchronize_rcu();
	xfrmdb_free(old);
	xs->st.policies = (uint32_t)xfrmdb_n_policies(db);
	xs->st.states = (uint32_t)xfrmdb_n_states(db);
}

/* Policies and SAs again, into a new snapshot. Returns 0 or -errno. */
static int resync(struct xfrmsync *xs, uint64_t now)
{
	struct xfrmdb *db = NULL;
	int err;

	/* set before reading: events read after the dump ask for another */
	xs->due = false;
	xs->last_dump = now;
	xs->st.dumps++;
	xs->n_pols = xs->n_states = 0;
	xs->bad = xs->skipped = 0;
	xs->dump_intr = xs->dump_oom = false;
	xs->wall = (uint64_t)time(NULL);
	err = dump(xs, XFRM_MSG_GETPOLICY);
	if (!err)
		err = dump(xs, XFRM_MSG_GETSA);
	if (!err && xs->dump_intr)
		err = -EAGAIN;
	if (!err && xs->dump_oom)
		err = -ENOMEM;
	if (!err) {
		db = xfrmdb_new(xs->pols, xs->n_pols, xs->states,
				xs->n_states);
		if (!db)
			err = -ENOMEM;
	}
	if (err) {
		if (err == -ENOMEM)
			xs->st.no_memory++;
		xs->st.dumps_failed++;
		xs->failed = true;
		return err;
	}
	xs->failed = false;
	xs->st.skipped = xs->skipped;
	if (xs->bad)
		log_warnx("IPsec mirror: %u policies or SAs could not be read "
			  "(truncated or malformed) and are left out", xs->bad);
	publish(xs, db);
	return 0;
}

/* --- events -------------------------------------------------------------- */

static void arm_timer(struct xfrmsync *xs, uint64_t in_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(in_ns / 1000000000u),
			      .tv_nsec = (long)(in_ns % 1000000000u) },
	};

	if (xs->timer_armed)
		return;
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(xs->timer_fd, 0, &its, NULL) == 0)
		xs->timer_armed = true;
	/* else the tick does it, within a second */
}

/*
 * A dump owed by events: now, or when XS_MIN_GAP_NS has passed since
 * the last one. After a failed dump the tick retries, once a second.
 */
static void catch_up(struct xfrmsync *xs, uint64_t now)
{
	int err;

	if (!xs->due || xs->failed)
		return;
	if (now - xs->last_dump < XS_MIN_GAP_NS) {
		arm_timer(xs, xs->last_dump + XS_MIN_GAP_NS - now);
		return;
	}
	err = resync(xs, now);
	if (err < 0)
		log_warn(err, "IPsec mirror: dump after a change failed; "
			 "trying again every second");
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct xfrmsync *xs = data;

	xs->st.events++;
	xs->due = true;
	return MNL_CB_OK;
}

static void on_events(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct xfrmsync *xs = src->data;
	int i;

	for (i = 0; i < XS_EVENT_BUDGET; i++) {
		ssize_t n = recv(mnl_socket_get_fd(xs->ev), xs->buf,
				 sizeof(xs->buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* what was lost is read by the dump */
				xs->st.enobufs++;
				xs->due = true;
				continue;
			}
			if (errno != EAGAIN)
				log_warn(errno, "reading IPsec events");
			break;
		}
		if (mnl_cb_run(xs->buf, (size_t)n, 0, 0, on_event, xs) < 0) {
			/* whatever it was, the kernel changed */
			xs->st.errors++;
			xs->due = true;
		}
	}
	catch_up(xs, now);
}

static void on_timer(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct xfrmsync *xs = src->data;

	loop_timerfd_ack(xs->timer_fd);
	xs->timer_armed = false;
	catch_up(xs, now);
}

void xfrmsync_tick(struct xfrmsync *xs)
{
	bool was_failing;
	int err;

	if (!xs || (!xs->due && !xs->failed))
		return;
	was_failing = xs->failed;
	err = resync(xs, loop_now());
	/* once when it starts failing, once when it works again */
	if (err < 0 && !was_failing)
		log_warn(err, "IPsec mirror: dump failed; trying again "
			 "every second");
	else if (!err && was_failing)
		log_notice("IPsec mirror: dump works again");
}

/* --- set-up -------------------------------------------------------------- */

int xfrmsync_open(struct fcd *fcd, struct xfrmsync **ret)
{
	static const int groups[] = {
		XFRMNLGRP_POLICY, XFRMNLGRP_SA, XFRMNLGRP_EXPIRE,
	};
	struct xfrmsync *xs = calloc(1, sizeof(*xs));
	int err, v = XS_RCVBUF;
	size_t i;

	if (!xs)
		return -ENOMEM;
	xs->fcd = fcd;
	xs->timer_fd = -1;
	xs->ev = mnl_socket_open(NETLINK_XFRM);
	if (!xs->ev) {
		err = -errno;
		goto fail;
	}
	xs->req = mnl_socket_open(NETLINK_XFRM);
	if (!xs->req) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(xs->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(xs->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = groups[i];

		if (mnl_socket_setsockopt(xs->ev, NETLINK_ADD_MEMBERSHIP, &g,
					  sizeof(g)) < 0) {
			err = -errno;
			goto fail;
		}
	}
	if (setsockopt(mnl_socket_get_fd(xs->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &v, sizeof(v)) < 0)
		setsockopt(mnl_socket_get_fd(xs->ev), SOL_SOCKET, SO_RCVBUF,
			   &v, sizeof(v));
	xs->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (xs->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = resync(xs, loop_now());
	if (err < 0)
		goto fail;
	err = loop_add(&fcd->loop, &xs->ev_src, mnl_socket_get_fd(xs->ev),
		       EPOLLIN, on_events, xs);
	if (err < 0)
		goto fail;
	xs->ev_in_loop = true;
	err = loop_add(&fcd->loop, &xs->timer_src, xs->timer_fd, EPOLLIN,
		       on_timer, xs);
	if (err < 0)
		goto fail;
	xs->timer_in_loop = true;
	*ret = xs;
	return 0;
fail:
	xfrmsync_close(xs);
	return err;
}

void xfrmsync_close(struct xfrmsync *xs)
{
	if (!xs)
		return;
	if (xs->ev_in_loop)
		loop_del(&xs->fcd->loop, &xs->ev_src);
	if (xs->timer_in_loop)
		loop_del(&xs->fcd->loop, &xs->timer_src);
	if (xs->timer_fd >= 0)
		close(xs->timer_fd);
	if (xs->ev)
		mnl_socket_close(xs->ev);
	if (xs->req)
		mnl_socket_close(xs->req);
	xfrmdb_free(xs->db);
	free(xs->pols);
	free(xs->states);
	free(xs);
}

/* --- readers ------------------------------------------------------------- */

bool xfrmsync_lookup(const struct xfrmsync *xs, const struct tuple *t,
		     uint8_t dir, struct xfrm_sa_ref *out)
{
	if (!xs)
		return false;
	return xfrmdb_lookup(rcu_dereference(xs->db), t, dir, out);
}

void xfrmsync_get_stats(const struct xfrmsync *xs, struct xfrmsync_stats *st)
{
	if (!xs) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = xs->st;
}

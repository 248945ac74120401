// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFQUEUE workers (libmnl + libnetfilter_queue's nlmsg helpers).
 *
 * Set-up, per queue, each step its own acknowledged request: bind; copy
 * mode and range; queue length; then every optional flag alone. A config
 * message carrying a flag the kernel lacks (NFQA_CFG_F_CONNTRACK here) is
 * refused whole with EOPNOTSUPP; had the copy mode travelled in it, the
 * queue would stay bound in COPY_NONE and every packet would be dropped,
 * bypass or not. A refused flag is logged and the worker goes on without.
 *
 * The verdict path: recvmmsg() up to QUEUE_BATCH datagrams, decide each
 * packet, send every verdict in one sendmsg(): one NFQNL_MSG_VERDICT_BATCH
 * per run of packets with the same verdict and mark, a plain verdict for
 * a packet alone (see worker_flush() for why that is exact). Nothing on
 * this path allocates, locks or logs unless something went wrong.
 *
 * Failure policy, where it happens: a packet we cannot parse gets
 * queues.malformed (accept by default: don't disrupt traffic); a verdict
 * the kernel refuses is counted, except EPERM, which means we lost
 * CAP_NET_ADMIN and every later verdict would fail too: then the worker
 * reports it and the daemon exits, so that systemd restarts it and the
 * queue rule's bypass carries traffic meanwhile.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <urcu/urcu-memb.h>

#include "fcd.h"
#include "flowtable.h"
#include "hist.h"
#include "l7.h"
#include "log.h"
#include "owner.h"
#include "pin.h"
#include "policy.h"
#include "queue.h"
#include "route.h"
#include "xfrmsync.h"

#define QUEUE_BATCH		64
/* Room for the attributes around the copied bytes (header, mark,
 * interfaces, hw address, timestamp, uid/gid, cap_len, ct). */
#define QUEUE_MSG_OVERHEAD	1024
/* One verdict message: nlmsghdr, nfgenmsg, verdict header, mark. */
#define QUEUE_VERDICT_SIZE	64
#define IFCACHE_SIZE		64
/* Decisions held per receive: a datagram carries one packet message. */
#define QUEUE_PENDING		QUEUE_BATCH

/* A verdict decided but not sent yet, in packet id order. */
struct decision {
	uint32_t id;
	uint32_t mark;
	uint8_t verdict;		/* NF_ACCEPT, NF_DROP */
	bool set_mark;
	bool timed;			/* the policy's: latency counted */
};

struct ifcache_entry {
	uint32_t index;
	char name[IFNAMSIZ];
};

struct worker {
	struct queues *q;
	uint16_t num;
	struct mnl_socket *nl;
	unsigned int portid;
	pthread_t thread;
	bool started;
	int stop_fd;
	struct loop loop;
	struct loop_source nl_src, stop_src;

	uint32_t last_id;
	bool seen_id;
	unsigned long cfg_generation;	/* to notice a reload */
	struct ifcache_entry ifcache[IFCACHE_SIZE];
	bool features[QF__MAX];
	struct queue_stats st;		/* written by this worker only */
	struct hist latency;		/* of this worker's timed decisions */
	uint64_t received;		/* the wake-up that read the batch */
	struct route_worker *rt;
	struct owner_worker *ow;
	struct l7_worker *l7;
	uint64_t last_warn;

	size_t slot_size;
	uint8_t *slots;			/* QUEUE_BATCH receive buffers */
	size_t n_pending;
	struct decision pending[QUEUE_PENDING];
	uint8_t verdicts[QUEUE_PENDING * QUEUE_VERDICT_SIZE];
};

struct queues {
	struct fcd *fcd;
	unsigned int n;
	struct worker *w;
	int fatal_fd;			/* workers -> main: give up */
	struct loop_source fatal_src;
};

static const char *const feature_names[QF__MAX] = {
	[QF_FAIL_OPEN] = "fail-open",
	[QF_GSO] = "gso",
	[QF_UID_GID] = "uid-gid",
	[QF_CONNTRACK] = "conntrack",
};

static const uint32_t feature_flags[QF__MAX] = {
	[QF_FAIL_OPEN] = NFQA_CFG_F_FAIL_OPEN,
	[QF_GSO] = NFQA_CFG_F_GSO,
	[QF_UID_GID] = NFQA_CFG_F_UID_GID,
	[QF_CONNTRACK] = NFQA_CFG_F_CONNTRACK,
};

const char *queue_feature_name(enum queue_feature f)
{
	return feature_names[f];
}

/* One writer per counter: a relaxed load and store, not a locked add. */
#define STAT_ADD(w, field, n) atomic_store_explicit(			\
	(_Atomic uint64_t *)&(w)->st.field,				\
	atomic_load_explicit((_Atomic uint64_t *)&(w)->st.field,	\
			     memory_order_relaxed) + (n),		\
	memory_order_relaxed)
#define STAT_INC(w, field) STAT_ADD(w, field, 1)

/* Set-up: send one request with NLM_F_ACK and wait for its answer. A
 * packet that arrives meanwhile (the queue is bound before its copy mode
 * is set) is accepted at once so that it is not held for ever. */
static void worker_accept_now(struct worker *w, uint32_t id);
static void worker_flush(struct worker *w);

static int setup_cb(const struct nlmsghdr *nlh, void *data)
{
	struct worker *w = data;
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	worker_accept_now(w, ntohl(ph->packet_id));
	return MNL_CB_OK;
}

static int worker_request(struct worker *w, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ret = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(buf, (size_t)ret, seq, w->portid, setup_cb, w);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *cfg_msg(char *buf, uint16_t num, uint32_t seq)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);

	nlh->nlmsg_seq = seq;
	return nlh;
}

static int worker_bind(struct worker *w, const struct config *cfg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t seq = 1;
	int f, err, rcvbuf;

	w->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!w->nl)
		return -errno;
	if (mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	w->portid = mnl_socket_get_portid(w->nl);

	/* Room for a full queue, so the kernel queue (maxlen) and not our
	 * socket decides when fail-open starts; FORCE overrides rmem_max. */
	rcvbuf = (int)((uint64_t)cfg->queues.maxlen *
		       (cfg->queues.copy_bytes + 512) > 64u << 20 ?
		       64u << 20 : cfg->queues.maxlen *
		       (cfg->queues.copy_bytes + 512));
	if (rcvbuf < 1 << 20)
		rcvbuf = 1 << 20;
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		log_warn(errno, "queue %u: SO_RCVBUFFORCE %d", w->num, rcvbuf);

	nlh = cfg_msg(buf, w->num, seq++);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	err = worker_request(w, nlh);
	if (err < 0) {
		log_warn(err, "queue %u: bind%s", w->num, err == -EBUSY ?
			 " (another process listens on it)" : "");
		return err;
	}

	nlh = cfg_msg(buf, w->num, seq++);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET,
				 (int)cfg->queues.copy_bytes);
	err = worker_request(w, nlh);
	if (err < 0) {
		log_warn(err, "queue %u: copy mode", w->num);
		return err;
	}

	nlh = cfg_msg(buf, w->num, seq++);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->queues.maxlen);
	err = worker_request(w, nlh);
	if (err < 0) {
		log_warn(err, "queue %u: queue length %u", w->num,
			 cfg->queues.maxlen);
		return err;
	}

	for (f = 0; f < QF__MAX; f++) {
		uint32_t flag = feature_flags[f];

		if (f == QF_FAIL_OPEN && !cfg->queues.fail_open)
			continue;
		nlh = cfg_msg(buf, w->num, seq++);
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flag));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flag));
		err = worker_request(w, nlh);
		if (err < 0) {
			log_info("queue %u: kernel has no %s (%s); going on "
				 "without it", w->num, feature_names[f],
				 strerror(-err));
			continue;
		}
		w->features[f] = true;
	}
	return 0;
}

/* Interface names by index, cached per worker; emptied on reload. A miss
 * costs one ioctl, a hit a short scan of a small table. */
static const char *worker_ifname(struct worker *w, uint32_t index)
{
	struct ifcache_entry *e = &w->ifcache[index % IFCACHE_SIZE];

	if (!index)
		return NULL;
	if (e->index == index)
		return e->name;
	if (!if_indextoname(index, e->name)) {
		e->index = 0;
		return NULL;
	}
	e->index = index;
	return e->name;
}

static void worker_fatal(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->q->fatal_fd, &one, sizeof(one)) < 0)
		abort();
}

static void worker_decide(struct worker *w, uint32_t id, int verdict,
			  bool set_mark, uint32_t mark)
{
	struct decision *d;

	if (w->n_pending == QUEUE_PENDING)
		worker_flush(w);
	d = &w->pending[w->n_pending++];
	*d = (struct decision){ .id = id, .mark = mark,
				.verdict = (uint8_t)verdict,
				.set_mark = set_mark };
}

/* A decision the policy made: the decision latency histogram counts it
 * once its verdict is sent. */
static void worker_decide_timed(struct worker *w, uint32_t id, int verdict,
				bool set_mark, uint32_t mark)
{
	worker_decide(w, id, verdict, set_mark, mark);
	w->pending[w->n_pending - 1].timed = true;
}

static bool same_decision(const struct decision *a, const struct decision *b)
{
	return a->verdict == b->verdict && a->set_mark == b->set_mark &&
	       (!a->set_mark || a->mark == b->mark);
}

/*
 * Send the pending decisions in one sendmsg. Consecutive packets with
 * the same verdict and mark (most new flows of a zone) share one
 * NFQNL_MSG_VERDICT_BATCH, which the kernel applies to every packet still
 * queued with an id up to the one given. That is exact here because we
 * answer every packet we read, in id order, and hold none back; and a
 * packet whose message never reached us (socket overrun) was never put
 * on the kernel's queue, so no batch can reach a packet we did not see.
 * One verdict message per packet cost ~0.8 us more per packet in
 * bench/slowpath.sh.
 */
static void worker_flush(struct worker *w)
{
	struct mnl_nlmsg_batch *b;
	size_t i, j, timed = 0;

	if (!w->n_pending)
		return;
	b = mnl_nlmsg_batch_start(w->verdicts, sizeof(w->verdicts));
	for (i = 0; i < w->n_pending; i = j) {
		const struct decision *d;
		struct nlmsghdr *nlh;

		for (j = i + 1; j < w->n_pending &&
		     same_decision(&w->pending[i], &w->pending[j]); j++)
			;
		d = &w->pending[j - 1];
		if (j - i > 1)
			STAT_INC(w, batch_verdicts);
		nlh = nfq_nlmsg_put(mnl_nlmsg_batch_current(b), j - i > 1 ?
				    NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
				    w->num);
		nfq_nlmsg_verdict_put(nlh, (int)d->id, d->verdict);
		if (d->set_mark)
			nfq_nlmsg_verdict_put_mark(nlh, d->mark);
		mnl_nlmsg_batch_next(b);
	}
	for (i = 0; i < w->n_pending; i++)
		timed += w->pending[i].timed;
	w->n_pending = 0;
	STAT_INC(w, verdict_batches);
	if (mnl_socket_sendto(w->nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0) {
		STAT_INC(w, verdict_errors);
		if (errno == EPERM) {
			log_err("queue %u: sending verdicts: %s; without "
				"CAP_NET_ADMIN no verdict can be given, "
				"exiting", w->num, strerror(errno));
			worker_fatal(w);
		}
	} else if (timed) {
		hist_add(&w->latency, loop_now() - w->received, timed);
	}
	mnl_nlmsg_batch_stop(b);
}

static void worker_accept_now(struct worker *w, uint32_t id)
{
	worker_decide(w, id, NF_ACCEPT, false, 0);
	worker_flush(w);
}

/* Zone from NFQA_CT where the kernel attaches it (production kernels). */
static bool ct_zone(const struct nlattr *ct, uint16_t *zone)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, ct) {
		if (mnl_attr_get_type(a) == CTA_ZONE &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
			*zone = ntohs(mnl_attr_get_u16(a));
			return true;
		}
	}
	return false;
}

static void worker_warn(struct worker *w, uint64_t now, const char *what,
			int err)
{
	/* at most one such line a second per worker */
	if (now - w->last_warn < 1000000000ull)
		return;
	w->last_warn = now;
	log_warn(err, "queue %u: %s", w->num, what);
}

/*
 * Whether the packet belongs to a flow conntrack will confirm. ICMP
 * errors and fragments say nothing about a flow of their own; of the
 * other ICMP messages conntrack tracks the queries that carry an id
 * (ND, MLD and router messages stay untracked), and only an echo request
 * starts a flow we would see confirmed.
 */
static bool flow_keyed(const struct pkt_info *pi)
{
	if (pi->icmp_error || pi->fragment)
		return false;
	if (pi->tuple.proto == IPPROTO_ICMP)
		return pi->icmp_type == 8;
	if (pi->tuple.proto == IPPROTO_ICMPV6)
		return pi->icmp_type == 128;
	return true;
}

static void flow_count_packet(struct flow *f)
{
	uint16_t n = CMM_LOAD_SHARED(f->queued_packets);

	/* racy between workers, and only a statistic */
	if (n < UINT16_MAX)
		CMM_STORE_SHARED(f->queued_packets, (uint16_t)(n + 1));
}

/*
 * The first packet of a flow the table does not have: enter it, pending
 * until conntrack's NEW event confirms it, with the mark it is about to
 * get and flags (FLOW_DECIDED, so its next packets, queued before that
 * mark is in conntrack, get the same answer; without it the flow waits
 * for its stream ID, and a later packet decides it through here again).
 * Returns false when the zone (or the table) is full and refuses it: the
 * packet is dropped, as the zone's on_full = "drop" says. A flow that
 * cannot be entered for any other reason (no memory, or an index so
 * crowded that it would be stored far from its buckets) is decided all
 * the same, just not cached.
 */
static bool flow_admit(struct worker *w, struct flowtable *ft,
		       const struct tuple *t, uint32_t mark,
		       const uint16_t route[2], const struct flow_sa sa[2],
		       const struct flow_owner *owner,
		       const struct stream_id *sid, uint16_t flags)
{
	struct flow *f;
	bool ok = true;

	ft_lock(ft);
	f = ft_find_locked(ft, t, NULL);
	if (!f) {
		f = ft_add_locked(ft, t, NULL, true);
		if (!f && errno == ENOSPC)
			ok = false;
		else if (!f)
			STAT_INC(w, not_cached);
		else
			CMM_STORE_SHARED(f->queued_packets, 1);
	}
	if (f) {
		CMM_STORE_SHARED(f->mark, mark);
		CMM_STORE_SHARED(f->route[0], route[0]);
		CMM_STORE_SHARED(f->route[1], route[1]);
		if ((sa[0].proto || sa[1].proto || owner || sid) &&
		    ft_ext_locked(ft, f)) {
			memcpy(f->ext->sa, sa, 2 * sizeof(*sa));
			if (owner)
				f->ext->owner = *owner;
			if (sid)
				f->ext->sid = *sid;
		}
		ft_set_flags_locked(ft, f, f->flags | FLOW_QUEUED | flags);
	}
	ft_unlock(ft);
	return ok;
}

static const char *ifname_of(void *w, uint32_t index)
{
	return worker_ifname(w, index);
}

/* The SA the kernel's policy of direction dir puts t in, if any. */
static bool sa_lookup(struct worker *w, const struct tuple *t, uint8_t dir,
		      struct flow_sa *sa)
{
	struct xfrm_sa_ref ref;

	if (!xfrmsync_lookup(w->q->fcd->xfrmsync, t, dir, &ref) ||
	    ref.not_modelled || ref.action != XFRM_POLICY_ALLOW || !ref.proto)
		return false;
	sa->spi = ref.spi;
	sa->reqid = ref.reqid;
	sa->proto = ref.proto;
	sa->mode = ref.mode;
	sa->dir = dir;
	return true;
}

/*
 * The SAs of a new flow's two directions, by where it goes: generated
 * here, its original leaves by an output policy and its replies come in
 * by an input one; delivered here, the other way round; forwarded, each
 * direction leaves by an output policy, or is checked by a forward one.
 */
static void flow_sas(struct worker *w, const struct tuple *t, uint32_t iif,
		     const uint16_t route[2], struct flow_sa sa[2])
{
	const struct route_info *r = route_cache_get(w->q->fcd->routes,
						     route[0]);
	struct tuple rev;
	int d;

	memset(sa, 0, 2 * sizeof(*sa));
	if (!w->q->fcd->xfrmsync)
		return;
	tuple_reverse(t, &rev);
	if (!iif) {
		sa_lookup(w, t, XFRM_POLICY_OUT, &sa[0]);
		sa_lookup(w, &rev, XFRM_POLICY_IN, &sa[1]);
	} else if (r && r->type == RTN_LOCAL) {
		sa_lookup(w, t, XFRM_POLICY_IN, &sa[0]);
		sa_lookup(w, &rev, XFRM_POLICY_OUT, &sa[1]);
	} else {
		for (d = 0; d < 2; d++)
			if (!sa_lookup(w, d ? &rev : t, XFRM_POLICY_OUT, &sa[d]))
				sa_lookup(w, d ? &rev : t, XFRM_POLICY_FWD,
					  &sa[d]);
	}
}

/*
 * Which end of t's flow is here: a packet without an input device was
 * generated here; one to an address of ours is delivered here. The
 * queue names the sender's uid and gid with locally generated packets.
 */
/* A new flow the table had no room for. */
#define FLOW_FULL_MSG "dropped: its zone or the flow table is full"

static void owner_query_init(struct worker *w, struct owner_query *q,
			     const struct tuple *t, uint32_t iif,
			     struct nlattr *attr[])
{
	q->ow = w->ow;
	q->t = t;
	if (!iif)
		q->end = OWNER_SRC;
	else if (route_dst_local(w->rt, t->family, &t->dst))
		q->end = OWNER_DST;
	if (attr[NFQA_UID] && attr[NFQA_GID]) {
		q->queue_ids = true;
		q->uid = ntohl(mnl_attr_get_u32(attr[NFQA_UID]));
		q->gid = ntohl(mnl_attr_get_u32(attr[NFQA_GID]));
	}
}

static void worker_packet(struct worker *w, const struct config *cfg,
			  const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;
	const struct rule_conf *rule;
	const struct zone_conf *zone = NULL;
	struct pkt_where where = { 0 };
	struct owner_query oq = { 0 };
	const struct l7_backend *backend = NULL;
	enum l7_verdict l7v = L7_NONE;
	struct stream_id sid;
	bool enter;
	struct pkt_info pi;
	enum pkt_err perr;
	const uint8_t *data;
	uint32_t id, caplen, wire_len, mark = 0, newmark, iif = 0;
	uint16_t route[2] = { 0, 0 };
	struct flow_sa sa[2] = { { 0 } };
	struct flowtable *ft = w->q->fcd->ft;
	struct flow *f;
	uint16_t ctzone;
	bool keyed;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	STAT_INC(w, packets);
	/* ids rise by one per packet the kernel tried to hand us: a jump
	 * means packets our socket had no room for (failed open, or dropped
	 * without fail-open). Packets refused because the queue itself was
	 * full get no id and show nowhere here: compare the queue rule's
	 * counter with "packets" for those. */
	if (w->seen_id && id - w->last_id > 1 && id - w->last_id < 1u << 31)
		STAT_ADD(w, id_gaps, id - w->last_id - 1);
	w->last_id = id;
	w->seen_id = true;

	if (attr[NFQA_MARK])
		mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	if (!attr[NFQA_PAYLOAD]) {
		STAT_INC(w, no_payload);
		worker_decide(w, id, NF_ACCEPT, false, 0);
		STAT_INC(w, accepted);
		return;
	}
	data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	wire_len = attr[NFQA_CAP_LEN] ?
		   ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : caplen;

	perr = pkt_parse(data, caplen, wire_len, &pi);
	if (perr != PKT_OK) {
		STAT_INC(w, malformed);
		STAT_INC(w, bad[perr]);
		if (cfg->queues.malformed == VERDICT_DROP) {
			worker_decide(w, id, NF_DROP, false, 0);
			STAT_INC(w, dropped);
			STAT_INC(w, malformed_dropped);
		} else {
			worker_decide(w, id, NF_ACCEPT, false, 0);
			STAT_INC(w, accepted);
		}
		return;
	}

	if (attr[NFQA_IFINDEX_INDEV])
		iif = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	where.iif = worker_ifname(w, iif);
	where.oif = attr[NFQA_IFINDEX_OUTDEV] ? worker_ifname(w,
		ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]))) : NULL;
	if (attr[NFQA_CT] && ct_zone(attr[NFQA_CT], &ctzone)) {
		pi.tuple.zone = ctzone;
		zone = zone_find(cfg->zones, cfg->n_zones, ctzone);
	} else {
		zone = zone_classify(cfg->zones, cfg->n_zones, &pi.tuple, &where);
		pi.tuple.zone = zone ? zone->id : 0;
	}

	keyed = flow_keyed(&pi);
	f = keyed ? ft_lookup(ft, &pi.tuple, NULL) : NULL;
	if (f) {
		flow_count_packet(f);
		if (CMM_LOAD_SHARED(f->flags) & FLOW_DECIDED) {
			/* decided before (by us before a restart, or a
			 * packet that raced its flow's first verdict):
			 * the same answer, not a second decision */
			newmark = (mark & ~cfg->marks.mask) |
				  (CMM_LOAD_SHARED(f->mark) & cfg->marks.mask);
			worker_decide(w, id, NF_ACCEPT, true, newmark);
			STAT_INC(w, accepted);
			STAT_INC(w, already_decided);
			return;
		}
	}

	/* a flow entered undecided, waiting for its stream ID, is decided
	 * as a new one */
	enter = keyed && (!f || (CMM_LOAD_SHARED(f->flags) & FLOW_QUEUED));
	if (enter && zone && zone->l7.proto) {
		l7v = l7_classify(w->l7, cfg, zone, &pi, data,
				  f ? CMM_LOAD_SHARED(f->queued_packets) : 1,
				  &sid, &backend);
		if (l7v == L7_WAIT && !f &&
		    !flow_admit(w, ft, &pi.tuple, 0, route, sa, NULL, NULL,
				0)) {
			log_flow(LOG_WARNING, &pi.tuple, FLOW_FULL_MSG);
			worker_decide(w, id, NF_DROP, false, 0);
			STAT_INC(w, dropped);
			STAT_INC(w, table_full);
			return;
		}
		if (l7v == L7_WAIT) {
			worker_decide(w, id, NF_ACCEPT, false, 0);
			STAT_INC(w, accepted);
			return;
		}
	}
	if (keyed)
		owner_query_init(w, &oq, &pi.tuple, iif, attr);
	where.owner = owner_query_view;
	where.owner_ctx = &oq;
	rule = policy_eval(cfg->rules, cfg->n_rules, &pi.tuple, &where);
	if (rule && rule->verdict == VERDICT_DROP) {
		if (rule->log)
			log_flow(LOG_INFO, &pi.tuple, "dropped by the policy "
				 "rule of line %d", rule->line);
		worker_decide_timed(w, id, NF_DROP, false, 0);
		STAT_INC(w, dropped);
		STAT_INC(w, policy_dropped);
		return;
	}
	/* only the bits of marks.mask are ours; the rest pass unchanged;
	 * a stream ID's backend decides instead of the rule's mark */
	newmark = (mark & ~cfg->marks.mask) | cfg->marks.decided |
		  (l7v == L7_SID ? backend->mark :
		   rule && (rule->has & RULE_HAS_MARK) ? rule->mark : 0);
	if (enter) {
		route_flow(w->rt, cfg, &pi.tuple, where.iif ? iif : 0, newmark,
			   ifname_of, w, route);
		if (rule && rule->route)
			newmark |= pin_mark(w->q->fcd->pins,
				route_cache_get(w->q->fcd->routes, route[0]),
				route_cache_get(w->q->fcd->routes, route[1]));
		flow_sas(w, &pi.tuple, where.iif ? iif : 0, route, sa);
	}
	if (enter && !flow_admit(w, ft, &pi.tuple, newmark, route, sa,
				 owner_query_result(&oq),
				 l7v == L7_SID ? &sid : NULL, FLOW_DECIDED |
				 (rule && rule->route == ROUTE_POLICY_FOLLOW ?
				  FLOW_FOLLOW : 0))) {
		log_flow(LOG_WARNING, &pi.tuple, FLOW_FULL_MSG);
		worker_decide_timed(w, id, NF_DROP, false, 0);
		STAT_INC(w, dropped);
		STAT_INC(w, table_full);
		return;
	}
	if (enter)
		owner_worker_defer(w->ow, &oq);
	if (rule && rule->log)
		log_flow(LOG_INFO, &pi.tuple, "accepted by the policy rule of "
			 "line %d, mark 0x%08x", rule->line, newmark);
	worker_decide_timed(w, id, NF_ACCEPT, true, newmark);
	STAT_INC(w, accepted);
	STAT_INC(w, decided);
}

/*
 * A packet message larger than our buffer (attributes we did not plan
 * for). NFQA_PACKET_HDR is always the first attribute, so its id can be
 * read from what we have, and the packet accepted rather than held.
 */
static void worker_truncated(struct worker *w, const struct nlmsghdr *nlh,
			     size_t have)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nlattr *a;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET ||
	    have < off + NLA_HDRLEN + sizeof(*ph))
		return;
	a = (const struct nlattr *)((const uint8_t *)nlh + off);
	if (mnl_attr_get_type(a) != NFQA_PACKET_HDR ||
	    a->nla_len < NLA_HDRLEN + sizeof(*ph))
		return;
	ph = mnl_attr_get_payload(a);
	worker_decide(w, ntohl(ph->packet_id), NF_ACCEPT, false, 0);
	STAT_INC(w, accepted);
}

/* An error message in the stream: the answer to one of our verdicts. */
static void worker_nlerror(struct worker *w, const struct nlmsghdr *nlh,
			   uint64_t now)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || e->error == 0)
		return;
	STAT_INC(w, verdict_errors);
	if (e->error == -EPERM) {
		log_err("queue %u: the kernel refuses our verdicts (%s); "
			"exiting so that bypass and a restart take over",
			w->num, strerror(EPERM));
		worker_fatal(w);
		return;
	}
	worker_warn(w, now, "kernel refused a verdict", e->error);
}

static void worker_read(struct loop_source *src, uint32_t events,
			uint64_t now)
{
	struct worker *w = src->data;
	struct mmsghdr msgs[QUEUE_BATCH];
	struct iovec iov[QUEUE_BATCH];
	const struct config *cfg;
	int i, n;

	for (i = 0; i < QUEUE_BATCH; i++) {
		iov[i].iov_base = w->slots + (size_t)i * w->slot_size;
		iov[i].iov_len = w->slot_size;
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
						   .msg_iovlen = 1 };
	}
	n = recvmmsg(src->fd, msgs, QUEUE_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS) {
			/* the kernel failed open or dropped packets for us;
			 * how many shows as a gap in the packet ids */
			STAT_INC(w, enobufs);
		} else if (errno != EAGAIN && errno != EINTR) {
			worker_warn(w, now, "receive", errno);
		}
		return;
	}
	w->received = now;

	urcu_memb_read_lock();
	cfg = rcu_dereference(w->q->fcd->cfg);
	if (cfg->generation != w->cfg_generation) {
		/* a reload may come with renamed interfaces */
		memset(w->ifcache, 0, sizeof(w->ifcache));
		w->cfg_generation = cfg->generation;
	}
	for (i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = (int)msgs[i].msg_len;

		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			STAT_INC(w, recv_truncated);
			worker_truncated(w, nlh, w->slot_size);
			continue;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR)
				worker_nlerror(w, nlh, now);
			else if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFQNL_MSG_PACKET)
				worker_packet(w, cfg, nlh);
		}
	}
	urcu_memb_read_unlock();
	worker_flush(w);
	/* the verdicts are out: now the owners nothing waited for, and the
	 * new stream IDs into the kernel's maps */
	owner_worker_run(w->ow);
	l7_worker_run(w->l7);
}

static void worker_stop(struct loop_source *src, uint32_t events,
			uint64_t now)
{
	struct worker *w = src->data;

	loop_stop(&w->loop);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int err;

	urcu_memb_register_thread();
	err = loop_run(&w->loop);
	if (err < 0) {
		log_warn(err, "queue %u: event loop", w->num);
		worker_fatal(w);
	}
	urcu_memb_unregister_thread();
	return NULL;
}

static void queues_fatal(struct loop_source *src, uint32_t events,
			 uint64_t now)
{
	struct queues *q = src->data;

	q->fcd->exit_status = EXIT_FAILURE;
	loop_stop(&q->fcd->loop);
}

static int worker_start(struct worker *w, const struct config *cfg)
{
	int err;

	w->stop_fd = -1;
	w->rt = route_worker_new(w->q->fcd->routes);
	if (!w->rt)
		return -ENOMEM;
	w->ow = owner_worker_new(w->q->fcd->owners);
	if (!w->ow)
		return -errno;
	w->l7 = l7_worker_new(w->q->fcd->l7);
	if (!w->l7)
		return -errno;
	w->slot_size = cfg->queues.copy_bytes + QUEUE_MSG_OVERHEAD;
	w->slots = malloc(w->slot_size * QUEUE_BATCH);
	if (!w->slots)
		return -ENOMEM;
	err = worker_bind(w, cfg);
	if (err < 0)
		return err;
	err = loop_init(&w->loop);
	if (err < 0)
		return err;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	err = loop_add(&w->loop, &w->nl_src, mnl_socket_get_fd(w->nl), EPOLLIN,
		       worker_read, w);
	if (!err)
		err = loop_add(&w->loop, &w->stop_src, w->stop_fd, EPOLLIN,
			       worker_stop, w);
	if (err < 0)
		return err;
	err = -pthread_create(&w->thread, NULL, worker_main, w);
	if (err < 0)
		return err;
	w->started = true;
	return 0;
}

static void worker_close(struct worker *w)
{
	uint64_t one = 1;

	if (w->started) {
		if (write(w->stop_fd, &one, sizeof(one)) < 0)
			abort();
		pthread_join(w->thread, NULL);
	}
	/* closing the socket unbinds the queue; the kernel drops what it
	 * still held for us, and the rule's bypass takes new packets */
	if (w->nl)
		mnl_socket_close(w->nl);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	loop_close(&w->loop);
	route_worker_free(w->rt);
	owner_worker_free(w->ow);
	l7_worker_free(w->l7);
	free(w->slots);
}

int queue_open(struct fcd *fcd, struct queues **ret)
{
	const struct config *cfg = fcd->cfg;
	struct queues *q;
	unsigned int i;
	int err, f;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->fcd = fcd;
	q->n = cfg->queues.count;
	q->w = calloc(q->n, sizeof(*q->w));
	q->fatal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!q->w || q->fatal_fd < 0) {
		err = q->w ? -errno : -ENOMEM;
		goto fail;
	}
	err = loop_add(&fcd->loop, &q->fatal_src, q->fatal_fd, EPOLLIN,
		       queues_fatal, q);
	if (err < 0)
		goto fail;
	for (i = 0; i < q->n; i++) {
		q->w[i].q = q;
		q->w[i].num = (uint16_t)(cfg->queues.first + i);
		q->w[i].loop.epfd = -1;
		err = worker_start(&q->w[i], cfg);
		if (err < 0) {
			q->n = i + 1;
			goto fail;
		}
	}
	for (f = 0; f < QF__MAX; f++)
		if (!queue_has_feature(q, f) &&
		    (f != QF_FAIL_OPEN || cfg->queues.fail_open))
			log_notice("queues: no %s; %s", feature_names[f],
				   f == QF_CONNTRACK ? "zones come from our "
				   "own classifier" : "running without it");
	*ret = q;
	return 0;
fail:
	queue_close(q);
	return err;
}

void queue_close(struct queues *q)
{
	unsigned int i;

	if (!q)
		return;
	for (i = 0; q->w && i < q->n; i++)
		worker_close(&q->w[i]);
	if (q->fatal_fd >= 0) {
		loop_del(&q->fcd->loop, &q->fatal_src);
		close(q->fatal_fd);
	}
	free(q->w);
	free(q);
}

bool queue_has_feature(const struct queues *q, enum queue_feature f)
{
	unsigned int i;

	for (i = 0; i < q->n; i++)
		if (!q->w[i].features[f])
			return false;
	return q->n > 0;
}

void queue_stats_sum(const struct queues *q, struct queue_stats *out)
{
	const size_t words = sizeof(*out) / sizeof(uint64_t);
	unsigned int i;
	size_t k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < q->n; i++) {
		const uint64_t *src = (const uint64_t *)&q->w[i].st;
		uint64_t *dst = (uint64_t *)out;

		for (k = 0; k < words; k++)
			dst[k] += atomic_load_explicit(
				(_Atomic uint64_t *)&src[k],
				memory_order_relaxed);
	}
}

void queue_latency(const struct queues *q, struct hist *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < q->n; i++)
		hist_merge(out, &q->w[i].latency);
}

void queue_stats_json(const struct queues *q, struct json *j)
{
	struct queue_stats s;
	int k;

	queue_stats_sum(q, &s);
	json_kv_uint(j, "packets", s.packets);
	json_kv_uint(j, "accepted", s.accepted);
	json_kv_uint(j, "dropped", s.dropped);
	json_kv_uint(j, "decided", s.decided);
	json_kv_uint(j, "malformed", s.malformed);
	json_key(j, "malformed_by_reason");
	json_obj_begin(j);
	for (k = 1; k < PKT_ERR__MAX; k++)
		json_kv_uint(j, pkt_err_name(k), s.bad[k]);
	json_obj_end(j);
	json_kv_uint(j, "no_payload", s.no_payload);
	json_kv_uint(j, "table_full", s.table_full);
	json_kv_uint(j, "policy_dropped", s.policy_dropped);
	json_kv_uint(j, "malformed_dropped", s.malformed_dropped);
	json_kv_uint(j, "already_decided", s.already_decided);
	json_kv_uint(j, "not_cached", s.not_cached);
	json_kv_uint(j, "enobufs", s.enobufs);
	json_kv_uint(j, "id_gaps", s.id_gaps);
	json_kv_uint(j, "recv_truncated", s.recv_truncated);
	json_kv_uint(j, "verdict_batches", s.verdict_batches);
	json_kv_uint(j, "batch_verdicts", s.batch_verdicts);
	json_kv_uint(j, "verdict_errors", s.verdict_errors);
	json_key(j, "features");
	json_obj_begin(j);
	for (k = 0; k < QF__MAX; k++)
		json_kv_bool(j, feature_names[k], queue_has_feature(q, k));
	json_obj_end(j);
}

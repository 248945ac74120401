// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conntrack mirror (see ctsync.h). Two netlink sockets: one bound to
 * the event groups, read from the main loop; one for requests (dumps,
 * deletes), used synchronously. Entries are read by lib/ctmsg.c (see
 * there why not by libnetfilter_conntrack); deletes are built by
 * libnetfilter_conntrack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <urcu/system.h>

#include "ctmsg.h"
#include "ctsync.h"
#include "fcd.h"
#include "flowtable.h"
#include "log.h"

/* A dump answer comes in skbs of up to 32 KiB; events one per message. */
#define CT_BUF_SIZE	(64 * 1024)
/* Event receives per loop wake-up, so the loop stays responsive. */
#define CT_EVENT_BUDGET	256
/* Before a resync: enough to empty any buffer, not forever in a storm. */
#define CT_DRAIN_BUDGET	(1 << 20)
#define CT_VICTIMS	256

struct ctsync {
	struct fcd *fcd;
	struct flowtable *ft;
	struct mnl_socket *ev;		/* events */
	struct mnl_socket *req;		/* dumps and deletes */
	uint32_t seq;
	struct loop_source ev_src;
	bool in_loop;

	bool dumping;			/* a dump's entries are being applied */
	uint8_t round;			/* of the resync running */
	bool resync_due;		/* events were lost */
	uint64_t last_dump;		/* monotonic ns */
	uint32_t rcvbuf;		/* what the kernel gave */
	uint32_t rcvbuf_wanted;		/* conntrack.rcvbuf applied */
	bool reliable;			/* applied */
	struct ctsync_stats st;
	uint8_t buf[CT_BUF_SIZE];
};

static uint64_t ms_since(uint64_t start)
{
	return (loop_now() - start) / 1000000;
}

/* --- from conntrack's words to ours ------------------------------------- */

static uint16_t entry_flags(const struct ct_entry *e, uint32_t decided)
{
	uint16_t flags = FLOW_CONFIRMED;

	if (e->status & IPS_SEEN_REPLY)
		flags |= FLOW_SEEN_REPLY;
	if (e->status & IPS_ASSURED)
		flags |= FLOW_ASSURED;
	if (e->mark & decided)
		flags |= FLOW_DECIDED;
	return flags;
}

/* --- applying one entry ------------------------------------------------------ */

enum ct_kind { CT_DUMPED, CT_NEW, CT_UPDATE, CT_DESTROY };

static void apply_destroy(struct ctsync *cs, const struct tuple *orig,
			  uint32_t id)
{
	enum ft_dir dir;
	struct flow *f;

	ft_lock(cs->ft);
	f = ft_find_locked(cs->ft, orig, &dir);
	/* only the incarnation this event is about */
	if (f && dir == FT_ORIG &&
	    (f->ct_id == id || !(f->flags & FLOW_CONFIRMED)))
		ft_del_locked(cs->ft, f);
	ft_unlock(cs->ft);
}

/*
 * Create or refresh the flow of a NEW or UPDATE event or a dumped entry.
 * The flow a queued packet created before conntrack confirmed it is the
 * same flow: it is completed, not duplicated. A flow found only by its
 * reply key, or holding another ct id, is a stale one the kernel no
 * longer has; ft_add_locked() replaces it.
 */
static void apply_entry(struct ctsync *cs, const struct ct_entry *e,
			enum ct_kind kind)
{
	uint32_t decided = cs->fcd->cfg->marks.decided;
	bool fresh = false;
	struct tuple have;
	enum ft_dir dir;
	uint16_t flags;
	struct flow *f;

	ft_lock(cs->ft);
	f = ft_find_locked(cs->ft, &e->orig, &dir);
	if (f && (dir != FT_ORIG ||
		  ((f->flags & FLOW_CONFIRMED) && f->ct_id != e->id)))
		f = NULL;
	if (f) {
		flow_reply(f, &have);
		if (memcmp(&have, &e->reply, sizeof(have)) != 0)
			f = ft_set_reply_locked(cs->ft, f, &e->reply);
	} else {
		f = ft_add_locked(cs->ft, &e->orig, &e->reply, false);
		fresh = true;
	}
	if (!f) {
		cs->st.no_memory++;
		ft_unlock(cs->ft);
		return;
	}
	flags = entry_flags(e, decided) |
		(f->flags & (FLOW_QUEUED | FLOW_FOLLOW));
	/* "learnt from a dump" lasts until the flow's first event */
	if (kind == CT_DUMPED && (fresh || (f->flags & FLOW_FROM_DUMP)))
		flags |= FLOW_FROM_DUMP;
	CMM_STORE_SHARED(f->ct_id, e->id);
	CMM_STORE_SHARED(f->mark, e->mark);
	if (e->has_tcp_state)
		CMM_STORE_SHARED(f->tcp_state, e->tcp_state);
	ft_set_flags_locked(cs->ft, f, flags);
	if (kind == CT_DUMPED)
		flow_seen(f, cs->round);
	ft_unlock(cs->ft);
}

static int on_message(const struct nlmsghdr *nlh, void *data)
{
	const size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	struct ctsync *cs = data;
	struct ct_entry e;
	enum ct_kind kind;

	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		kind = cs->dumping ? CT_DUMPED :
		       (nlh->nlmsg_flags & NLM_F_CREATE) ? CT_NEW : CT_UPDATE;
		break;
	case IPCTNL_MSG_CT_DELETE:
		kind = CT_DESTROY;
		break;
	default:
		return MNL_CB_OK;
	}
	if (nlh->nlmsg_len < off ||
	    ctmsg_parse((const uint8_t *)nlh + off, nlh->nlmsg_len - off,
			&e) != CTMSG_OK) {
		cs->st.errors++;
		return MNL_CB_OK;
	}
	switch (kind) {
	case CT_DUMPED:
		cs->st.dump_entries++;
		break;
	case CT_NEW:
		cs->st.new++;
		break;
	case CT_UPDATE:
		cs->st.update++;
		break;
	case CT_DESTROY:
		cs->st.destroy++;
		break;
	}
	if (kind != CT_DUMPED)
		cs->st.events++;
	if (kind == CT_DESTROY)
		apply_destroy(cs, &e.orig, e.id);
	else
		apply_entry(cs, &e, kind);
	return MNL_CB_OK;
}

/* --- requests: dumps and deletes ------------------------------------------- */

/* A ctnetlink request; family AF_UNSPEC for every family (dumps). */
static struct nlmsghdr *request(struct ctsync *cs, void *buf, uint16_t type,
				uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++cs->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/*
 * Answers on the request socket that are not the dump's: errors of
 * deletes sent earlier without waiting (the entry may have gone
 * meanwhile, ENOENT, which is what we wanted anyway).
 */
static void stray_answer(struct ctsync *cs, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return;
	e = mnl_nlmsg_get_payload(nlh);
	if (!e->error || e->error == -ENOENT)
		return;
	if (NFNL_MSG_TYPE(e->msg.nlmsg_type) == IPCTNL_MSG_CT_NEW)
		cs->st.mark_errors++;
	else
		cs->st.delete_errors++;
}

/*
 * Read the answers to request seq until its end, feeding entries to
 * on_message(). Returns 0, or -errno (a dump cut short: EINTR is
 * retried; ENOBUFS on the request socket means the dump itself lost
 * messages and must be done again).
 */
static int read_answers(struct ctsync *cs, uint32_t seq)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(cs->req, cs->buf, sizeof(cs->buf));
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)cs->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq) {
				stray_answer(cs, nlh);
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -EBADMSG;
				if (e->error)
					return e->error;
				continue;
			}
			on_message(nlh, cs);
		}
		if (len > 0)
			cs->st.errors++;	/* a message cut short */
	}
}

static int count_attr(const struct nlattr *a, void *data)
{
	uint32_t *count = data;

	if (mnl_attr_get_type(a) == CTA_STATS_GLOBAL_ENTRIES &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*count = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

/* How many entries the kernel has (0 when it will not say). */
static uint32_t kernel_entries(struct ctsync *cs)
{
	uint8_t req[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	struct nlmsghdr *q;
	uint32_t count = 0;
	ssize_t n;
	int len;

	q = request(cs, req, IPCTNL_MSG_CT_GET_STATS, 0, AF_UNSPEC);
	if (mnl_socket_sendto(cs->req, q, q->nlmsg_len) < 0)
		return 0;
	do {
		n = mnl_socket_recvfrom(cs->req, cs->buf, sizeof(cs->buf));
	} while (n < 0 && errno == EINTR);
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)cs->buf; n > 0 &&
	     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != q->nlmsg_seq) {
			stray_answer(cs, nlh);
			continue;
		}
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_GET_STATS)
			mnl_attr_parse(nlh, sizeof(struct nfgenmsg), count_attr,
				       &count);
	}
	return count;
}

/* Dump the whole table (every family, every zone) into the flow table. */
static int dump(struct ctsync *cs)
{
	uint8_t req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint64_t start = loop_now();
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		nlh = request(cs, req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);
		if (mnl_socket_sendto(cs->req, nlh, nlh->nlmsg_len) < 0)
			return -errno;
		cs->st.dump_entries = 0;
		cs->dumping = true;
		err = read_answers(cs, nlh->nlmsg_seq);
		cs->dumping = false;
		if (err != -ENOBUFS && err != -EINTR)
			break;
		log_warn(err, "conntrack dump cut short, dumping again");
	}
	cs->st.dumps++;
	cs->st.last_dump_ms = ms_since(start);
	cs->last_dump = loop_now();
	return err;
}

/*
 * Dump again and sweep what the dump did not show. Pending flows (their
 * packet queued, conntrack not yet confirmed) are left alone.
 */
/*
 * Events the kernel dropped for our socket, exactly (SO_MEMINFO); the
 * ENOBUFS that reports a loss comes once however many follow.
 */
static uint32_t events_dropped(const struct ctsync *cs)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(mnl_socket_get_fd(cs->ev), SOL_SOCKET, SO_MEMINFO, mem,
		       &len) < 0 || len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static void read_events(struct ctsync *cs, int budget);

/*
 * Dump again and sweep what the dump did not show. Pending flows (their
 * packet queued, conntrack not yet confirmed) are left alone.
 *
 * A socket that overran stays "congested", dropping every event without
 * a further report, until its queue has been read empty; so the queue
 * is read out first, or the dump would miss what is dropped while it
 * runs. If events were dropped during the dump all the same, another
 * resync follows.
 */
static void resync(struct ctsync *cs, const char *why)
{
	uint32_t drops;
	size_t swept;
	int err;

	cs->resync_due = false;
	cs->st.resyncs++;
	read_events(cs, CT_DRAIN_BUDGET);
	drops = events_dropped(cs);
	cs->round = ft_mark_round(cs->ft);
	err = dump(cs);
	if (err < 0) {
		log_warn(err, "conntrack resync (%s): dump failed, nothing "
			 "swept; trying again in a second", why);
		cs->resync_due = true;
		return;
	}
	swept = ft_sweep(cs->ft);
	cs->st.swept += swept;
	if (events_dropped(cs) != drops)
		cs->resync_due = true;
	log_info("conntrack resync (%s): %llu entries in %llu ms, %zu stale "
		 "flows removed%s", why, (unsigned long long)cs->st.dump_entries,
		 (unsigned long long)cs->st.last_dump_ms, swept,
		 cs->resync_due ? "; events were lost meanwhile, again soon" : "");
}

/* The kernel's entry of a flow, by its original tuple (and ct id). */
static struct nf_conntrack *entry_of(const struct tuple *t, uint32_t ct_id)
{
	struct nf_conntrack *ct = nfct_new();

	if (!ct)
		return NULL;
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, t->family);
	if (t->family == AF_INET) {
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, t->src.v4.s_addr);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, t->dst.v4.s_addr);
	} else {
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &t->src.v6);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &t->dst.v6);
	}
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, t->proto);
	if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		/* only echo flows carry an id; the request is the orig */
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE,
				 t->proto == IPPROTO_ICMP ? 8 : 128);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(t->sport));
	} else {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(t->sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(t->dport));
	}
	nfct_set_attr_u16(ct, ATTR_ZONE, t->zone);
	if (ct_id)
		nfct_set_attr_u32(ct, ATTR_ID, ct_id);
	return ct;
}

/* Answers to deletes and mark changes already sent: only refusals come
 * back. */
static void read_delete_answers(struct ctsync *cs)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	while ((n = recv(mnl_socket_get_fd(cs->req), cs->buf, sizeof(cs->buf),
			 MSG_DONTWAIT)) > 0) {
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)cs->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			stray_answer(cs, nlh);
	}
}

/*
 * An update of t's entry (delete false: the bits mask of its mark set
 * to mark's) or its deletion, built at buf (MNL_SOCKET_BUFFER_SIZE
 * bytes at least); NULL when out of memory.
 */
static struct nlmsghdr *entry_request(struct ctsync *cs, void *buf,
				      const struct tuple *t, uint32_t ct_id,
				      bool delete, uint32_t mark, uint32_t mask)
{
	struct nf_conntrack *ct = entry_of(t, ct_id);
	struct nlmsghdr *nlh;

	if (!ct)
		return NULL;
	if (!delete)
		nfct_set_attr_u32(ct, ATTR_MARK, mark & mask);
	/* the kernel reads the tuple in the message's family: AF_UNSPEC
	 * is refused with EOPNOTSUPP; an update has no NLM_F_CREATE: the
	 * entry, or ENOENT */
	nlh = request(cs, buf, delete ? IPCTNL_MSG_CT_DELETE :
		      IPCTNL_MSG_CT_NEW, 0, t->family);
	if (nfct_nlmsg_build(nlh, ct) < 0)
		nlh = NULL;
	/* libnetfilter_conntrack has no mark mask for updates: only these
	 * bits change, the other tools' stay */
	else if (!delete)
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	nfct_destroy(ct);
	return nlh;
}

/*
 * Deletes and mark updates, many to a sendmsg (the kernel takes the
 * messages of one buffer in turn); counted as sent, refusals when their
 * answers are read.
 */
#define CT_BATCH_SIZE	(64 * 1024)

struct ct_batch {
	uint8_t buf[CT_BATCH_SIZE];
	size_t len;
	uint64_t deletes, updates;
};

static void batch_send(struct ctsync *cs, struct ct_batch *b)
{
	bool sent = b->len && mnl_socket_sendto(cs->req, b->buf, b->len) >= 0;

	if (sent) {
		cs->st.deleted += b->deletes;
		cs->st.marked += b->updates;
	} else {
		cs->st.delete_errors += b->deletes;
		cs->st.mark_errors += b->updates;
	}
	b->len = 0;
	b->deletes = b->updates = 0;
	read_delete_answers(cs);
}

static void batch_add(struct ctsync *cs, struct ct_batch *b,
		      const struct tuple *t, uint32_t ct_id, bool delete,
		      uint32_t mark, uint32_t mask)
{
	struct nlmsghdr *nlh;

	if (b->len + MNL_SOCKET_BUFFER_SIZE > sizeof(b->buf))
		batch_send(cs, b);
	nlh = entry_request(cs, b->buf + b->len, t, ct_id, delete, mark, mask);
	if (!nlh) {
		if (delete)
			cs->st.delete_errors++;
		else
			cs->st.mark_errors++;
		return;
	}
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	if (delete)
		b->deletes++;
	else
		b->updates++;
}

int ctsync_set_mark(struct ctsync *cs, const struct tuple *t, uint32_t ct_id,
		    uint32_t mark, uint32_t mask)
{
	uint8_t req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = entry_request(cs, req, t, ct_id, false, mark,
					     mask);
	int err = 0;

	if (!nlh)
		err = -ENOMEM;
	else if (mnl_socket_sendto(cs->req, nlh, nlh->nlmsg_len) < 0)
		err = -errno;
	if (err)
		cs->st.mark_errors++;
	else
		cs->st.marked++;
	read_delete_answers(cs);
	return err;
}

void ctsync_delete(struct ctsync *cs, const struct tuple *t, uint32_t ct_id)
{
	uint8_t req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = entry_request(cs, req, t, ct_id, true, 0, 0);

	if (!nlh || mnl_socket_sendto(cs->req, nlh, nlh->nlmsg_len) < 0)
		cs->st.delete_errors++;
	else
		cs->st.deleted++;
	read_delete_answers(cs);
}

static void delete_victims(struct ctsync *cs)
{
	struct ft_victim v[CT_VICTIMS];
	struct ct_batch *b = NULL;
	size_t i, n;

	while ((n = ft_take_victims(cs->ft, v, CT_VICTIMS)) > 0) {
		if (!b && !(b = calloc(1, sizeof(*b)))) {
			cs->st.delete_errors += n;
			continue;
		}
		for (i = 0; i < n; i++) {
			log_flow(LOG_NOTICE, &v[i].orig, "evicted for a new "
				 "flow (its zone was full): conntrack entry "
				 "deleted");
			batch_add(cs, b, &v[i].orig, v[i].ct_id, true, 0, 0);
		}
	}
	if (b)
		batch_send(cs, b);
	free(b);
}

struct flush_walk {
	int zone;
	uint32_t mask;
	struct ft_victim *v;		/* entries to change in the kernel */
	size_t n, cap;
	struct ctsync_flush *res;
	struct flowtable *ft;
};

static bool flush_one(struct flow *f, void *arg)
{
	struct flush_walk *w = arg;

	if (w->zone >= 0 && f->orig.zone != w->zone)
		return true;
	if (f->ct_id && !array_grow((void **)&w->v, &w->cap, w->n,
				    sizeof(*w->v))) {
		w->res->no_memory = true;
		return false;
	}
	if (f->ct_id)
		w->v[w->n++] = (struct ft_victim){ f->orig, f->ct_id };
	CMM_STORE_SHARED(f->mark, f->mark & ~w->mask);
	CMM_STORE_SHARED(f->route[0], 0);
	CMM_STORE_SHARED(f->route[1], 0);
	if (f->ext) {
		memset(&f->ext->owner, 0, sizeof(f->ext->owner));
		f->ext->sid.len = 0;
	}
	/* queued from now on: the next packet's answer is cached again */
	ft_set_flags_locked(w->ft, f, (f->flags & ~(FLOW_DECIDED |
			    FLOW_FOLLOW)) | FLOW_QUEUED);
	w->res->flows++;
	return true;
}

void ctsync_flush(struct ctsync *cs, int zone, uint32_t mask, bool delete_ct,
		  struct ctsync_flush *res)
{
	struct flush_walk w = { .zone = zone, .mask = mask, .res = res,
				.ft = cs->ft };
	uint64_t errors = cs->st.delete_errors + cs->st.mark_errors;
	uint64_t deleted = cs->st.deleted, marked = cs->st.marked;
	struct ct_batch *b = calloc(1, sizeof(*b));
	size_t i;

	memset(res, 0, sizeof(*res));
	if (!b) {
		res->no_memory = true;
		return;
	}
	ft_walk(cs->ft, flush_one, &w);
	for (i = 0; i < w.n; i++)
		batch_add(cs, b, &w.v[i].orig, w.v[i].ct_id, delete_ct, 0,
			  mask);
	batch_send(cs, b);
	free(b);
	res->deleted = cs->st.deleted - deleted;
	res->cleared = cs->st.marked - marked;
	res->errors = cs->st.delete_errors + cs->st.mark_errors - errors;
	free(w.v);
}

/* --- events ------------------------------------------------------------------ */

/* Read and apply up to budget receives of events, or until none wait. */
static void read_events(struct ctsync *cs, int budget)
{
	int i;

	for (i = 0; i < budget; i++) {
		ssize_t n = recv(mnl_socket_get_fd(cs->ev), cs->buf,
				 sizeof(cs->buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* the kernel dropped events for us; the ones
				 * still queued after this are good */
				cs->st.enobufs++;
				cs->resync_due = true;
				continue;
			}
			if (errno != EAGAIN)
				log_warn(errno, "reading conntrack events");
			break;
		}
		if (mnl_cb_run(cs->buf, (size_t)n, 0, 0, on_message, cs) < 0)
			cs->st.errors++;
	}
}

static void on_events(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct ctsync *cs = src->data;

	read_events(cs, CT_EVENT_BUDGET);
	delete_victims(cs);
	/* at most one loss resync a second: under an event storm that
	 * outruns us, dumping back to back would starve everything else */
	if (cs->resync_due && now - cs->last_dump >= 1000000000ull)
		resync(cs, "events lost");
}

static int set_int_opt(struct mnl_socket *nl, int level, int opt, int v)
{
	return setsockopt(mnl_socket_get_fd(nl), level, opt, &v, sizeof(v));
}

void ctsync_configure(struct ctsync *cs, const struct config *cfg)
{
	int fd = mnl_socket_get_fd(cs->ev), v = (int)cfg->conntrack.rcvbuf;
	socklen_t len = sizeof(v);

	if (cs->rcvbuf_wanted != cfg->conntrack.rcvbuf) {
		/* FORCE: past net.core.rmem_max, as we have CAP_NET_ADMIN;
		 * without it the kernel caps the size, and we say so */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
			log_warn(errno, "conntrack events: receive buffer of "
				 "%d bytes", v);
		cs->rcvbuf_wanted = cfg->conntrack.rcvbuf;
		/* the kernel reports twice what it counts against data */
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
			cs->rcvbuf = (uint32_t)v / 2;
		if (cs->rcvbuf < cs->rcvbuf_wanted)
			log_warnx("conntrack events: receive buffer is %u bytes, "
				  "not the %u asked for", cs->rcvbuf,
				  cs->rcvbuf_wanted);
	}
	if (cs->reliable != cfg->conntrack.reliable) {
		v = cfg->conntrack.reliable;
		if (set_int_opt(cs->ev, SOL_NETLINK, NETLINK_BROADCAST_ERROR, v) < 0 ||
		    set_int_opt(cs->ev, SOL_NETLINK, NETLINK_NO_ENOBUFS, v) < 0)
			log_warn(errno, "conntrack events: reliable delivery %s",
				 v ? "on" : "off");
		cs->reliable = cfg->conntrack.reliable;
	}
}

int ctsync_open(struct fcd *fcd, struct ctsync **ret)
{
	struct ctsync *cs = calloc(1, sizeof(*cs));
	int err;

	if (!cs)
		return -ENOMEM;
	cs->fcd = fcd;
	cs->ft = fcd->ft;
	cs->ev = mnl_socket_open(NETLINK_NETFILTER);
	cs->req = mnl_socket_open(NETLINK_NETFILTER);
	if (!cs->ev || !cs->req) {
		err = -errno;
		log_warn(err, "conntrack: netlink sockets");
		goto fail;
	}
	if (mnl_socket_bind(cs->ev, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_UPDATE |
			    NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(cs->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		log_warn(err, "conntrack: subscribing to events");
		goto fail;
	}
	/* a 32 MiB dump socket: a dump never outruns us, we read it alone */
	set_int_opt(cs->req, SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20);
	ctsync_configure(cs, fcd->cfg);
	*ret = cs;
	return 0;
fail:
	ctsync_close(cs);
	return err;
}

int ctsync_start(struct ctsync *cs)
{
	uint64_t start = loop_now();
	int err;

	/* one resize before the dump instead of a dozen during it */
	ft_reserve(cs->ft, kernel_entries(cs));
	cs->round = ft_mark_round(cs->ft);
	err = dump(cs);
	if (err < 0) {
		log_warn(err, "conntrack: dumping the table");
		return err;
	}
	ft_reserve(cs->ft, 0);
	cs->st.sync_ms = ms_since(start);
	log_info("conntrack: %llu entries mirrored in %llu ms",
		 (unsigned long long)cs->st.dump_entries,
		 (unsigned long long)cs->st.sync_ms);
	err = loop_add(&cs->fcd->loop, &cs->ev_src, mnl_socket_get_fd(cs->ev),
		       EPOLLIN, on_events, cs);
	cs->in_loop = err == 0;
	return err;
}

void ctsync_tick(struct ctsync *cs, uint64_t now)
{
	uint32_t every = cs->fcd->cfg->conntrack.resync_interval;

	delete_victims(cs);
	if (cs->resync_due && now - cs->last_dump >= 1000000000ull)
		resync(cs, "events lost");
	else if (every && now - cs->last_dump >= every * 1000000000ull)
		resync(cs, "periodic");
}

void ctsync_close(struct ctsync *cs)
{
	if (!cs)
		return;
	if (cs->in_loop)
		loop_del(&cs->fcd->loop, &cs->ev_src);
	if (cs->ev)
		mnl_socket_close(cs->ev);
	if (cs->req)
		mnl_socket_close(cs->req);
	free(cs);
}

void ctsync_get_stats(const struct ctsync *cs, struct ctsync_stats *st)
{
	*st = cs->st;
	st->lost = events_dropped(cs);
}

void ctsync_stats_json(const struct ctsync *cs, struct json *j)
{
	struct ctsync_stats st;
	const struct ctsync_stats *s = &st;

	ctsync_get_stats(cs, &st);
	json_kv_uint(j, "events", s->events);
	json_kv_uint(j, "new", s->new);
	json_kv_uint(j, "update", s->update);
	json_kv_uint(j, "destroy", s->destroy);
	json_kv_uint(j, "enobufs", s->enobufs);
	json_kv_uint(j, "lost", s->lost);
	json_kv_uint(j, "resyncs", s->resyncs);
	json_kv_uint(j, "dumps", s->dumps);
	json_kv_uint(j, "dump_entries", s->dump_entries);
	json_kv_uint(j, "sync_ms", s->sync_ms);
	json_kv_uint(j, "last_dump_ms", s->last_dump_ms);
	json_kv_uint(j, "swept", s->swept);
	json_kv_uint(j, "errors", s->errors);
	json_kv_uint(j, "deleted", s->deleted);
	json_kv_uint(j, "delete_errors", s->delete_errors);
	json_kv_uint(j, "marked", s->marked);
	json_kv_uint(j, "mark_errors", s->mark_errors);
	json_kv_uint(j, "no_memory", s->no_memory);
	json_kv_uint(j, "rcvbuf", cs->rcvbuf);
	json_kv_bool(j, "reliable", cs->reliable);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Route resolution for flows (see route.h), and the only file that asks
 * the kernel for a single route (RTM_GETROUTE).
 *
 * The Bloom cache maps destinations to answer ids. It is trusted only
 * while two things hold: every rule of the family selects on the
 * destination alone (fib_dst_cacheable()), so that the destination
 * decides the answer; and the routing mirror has not changed since the
 * filters were built (the generation they were built at). After a
 * change, workers bypass it until the main thread has swapped in an
 * empty one, so a changed route is never answered from it. Workers add
 * what the slow path found, under one lock (once per new destination).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <urcu/system.h>
#include <urcu/urcu-memb.h>

#include "bloom.h"
#include "ctsync.h"
#include "fcd.h"
#include "flowtable.h"
#include "log.h"
#include "pin.h"
#include "proto.h"
#include "route.h"
#include "rtsync.h"

/* lo is the first device of every network namespace */
#define LOOPBACK_IFINDEX	1
#define ASK_TIMEOUT_MS		1000
#define MAX_WORKERS		64

struct bloom_gen {
	struct bloom_cache *bc;
	uint32_t fib_gen;		/* built for this routing state */
	_Atomic bool full;		/* entry cap reached: start again */
	uint32_t entries;		/* destinations added (bloom_lock) */
	struct bloom_gen *retired;
};

struct route_cache {
	struct fcd *fcd;
	struct routeset *answers;
	struct bloom_gen *bloom;	/* RCU; NULL unless cache = bloom */
	pthread_mutex_t bloom_lock;	/* writers of bloom->bc */
	struct bloom_gen *retired;
	uint64_t next_reseed;		/* ns */
	uint64_t emptied;		/* generations dropped at the cap */
	struct route_worker *main_rw;	/* the main thread's, to follow */
	uint32_t follow_gen;		/* routes followed up to here */
	uint64_t follow_at;		/* ns, last walk */
	uint64_t followed;		/* flows re-marked */
	pthread_mutex_t workers_lock;
	struct route_worker *workers[MAX_WORKERS];
};

struct route_worker {
	struct route_cache *rc;
	struct mnl_socket *nl;		/* opened on first use */
	uint32_t seq, portid;
	struct route_stats st;
	uint8_t buf[8192];		/* one answer: a route message */
};

/* One writer per counter (its worker): a relaxed load and store. */
#define RSTAT_INC(rw, field) atomic_store_explicit(			\
	(_Atomic uint64_t *)&(rw)->st.field,				\
	atomic_load_explicit((_Atomic uint64_t *)&(rw)->st.field,	\
			     memory_order_relaxed) + 1,			\
	memory_order_relaxed)

static struct bloom_gen *bloom_gen_new(struct route_cache *rc,
				       const struct config *cfg)
{
	struct bloom_params p = {
		.max_nexthops = BLOOM_MAX_NEXTHOPS,
		.expected = cfg->routes.bloom_expected,
		.fp_rate = cfg->routes.bloom_fp_rate,
		.random = fcd_random,
		.synchronize = urcu_memb_synchronize_rcu,
	};
	struct bloom_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->fib_gen = fib_generation(rtsync_fib(rc->fcd->rtsync));
	g->bc = bloom_new(&p);
	if (!g->bc) {
		free(g);
		return NULL;
	}
	return g;
}

int route_cache_open(struct fcd *fcd, struct route_cache **ret)
{
	struct route_cache *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return -ENOMEM;
	rc->fcd = fcd;
	rc->answers = routeset_new();
	if (!rc->answers) {
		free(rc);
		return -ENOMEM;
	}
	pthread_mutex_init(&rc->bloom_lock, NULL);
	pthread_mutex_init(&rc->workers_lock, NULL);
	rc->follow_gen = fib_generation(rtsync_fib(fcd->rtsync));
	rc->main_rw = route_worker_new(rc);
	if (!rc->main_rw) {
		route_cache_close(rc);
		return -ENOMEM;
	}
	*ret = rc;
	route_cache_tick(rc);
	return 0;
}

static void bloom_gen_free(struct bloom_gen *g)
{
	bloom_free(g->bc);
	free(g);
}

static void retired_free(struct route_cache *rc)
{
	struct bloom_gen *g;

	if (!rc->retired)
		return;
	urcu_memb_synchronize_rcu();
	while ((g = rc->retired)) {
		rc->retired = g->retired;
		bloom_gen_free(g);
	}
}

void route_cache_close(struct route_cache *rc)
{
	if (!rc)
		return;
	route_worker_free(rc->main_rw);
	retired_free(rc);
	if (rc->bloom)
		bloom_gen_free(rc->bloom);
	routeset_free(rc->answers);
	pthread_mutex_destroy(&rc->bloom_lock);
	pthread_mutex_destroy(&rc->workers_lock);
	free(rc);
}

static void bloom_swap(struct route_cache *rc, struct bloom_gen *g)
{
	struct bloom_gen *old = rc->bloom;

	rcu_assign_pointer(rc->bloom, g);
	if (old) {
		old->retired = rc->retired;
		rc->retired = old;
	}
}

void route_cache_tick(struct route_cache *rc)
{
	const struct config *cfg = rc->fcd->cfg;
	uint32_t gen = fib_generation(rtsync_fib(rc->fcd->rtsync));
	uint64_t now = loop_now();
	struct bloom_gen *g;

	if (cfg->routes.cache != ROUTE_CACHE_BLOOM) {
		if (rc->bloom)
			bloom_swap(rc, NULL);
	} else if (!rc->bloom || rc->bloom->fib_gen != gen ||
		   atomic_load_explicit(&rc->bloom->full, memory_order_relaxed)) {
		if (rc->bloom && rc->bloom->full)
			rc->emptied++;
		g = bloom_gen_new(rc, cfg);
		if (g)
			bloom_swap(rc, g);
		else
			log_warn(ENOMEM, "route cache: no Bloom filters");
		rc->next_reseed = now + cfg->routes.bloom_reseed * 1000000000ull;
	} else if (cfg->routes.bloom_reseed && now >= rc->next_reseed) {
		pthread_mutex_lock(&rc->bloom_lock);
		if (bloom_reseed(rc->bloom->bc) < 0)
			log_warn(ENOMEM, "route cache: Bloom reseed");
		pthread_mutex_unlock(&rc->bloom_lock);
		rc->next_reseed = now + cfg->routes.bloom_reseed * 1000000000ull;
	}
	retired_free(rc);
	if (rc->bloom) {
		pthread_mutex_lock(&rc->bloom_lock);
		bloom_reclaim(rc->bloom->bc);
		pthread_mutex_unlock(&rc->bloom_lock);
	}
}

const struct route_info *route_cache_get(const struct route_cache *rc,
					 uint16_t id)
{
	return routeset_get(rc->answers, id);
}

struct route_worker *route_worker_new(struct route_cache *rc)
{
	struct route_worker *rw = calloc(1, sizeof(*rw));
	size_t i;

	if (!rw)
		return NULL;
	rw->rc = rc;
	pthread_mutex_lock(&rc->workers_lock);
	for (i = 0; i < MAX_WORKERS && rc->workers[i]; i++)
		;
	if (i < MAX_WORKERS)
		rc->workers[i] = rw;
	pthread_mutex_unlock(&rc->workers_lock);
	if (i == MAX_WORKERS) {
		free(rw);
		return NULL;
	}
	return rw;
}

void route_worker_free(struct route_worker *rw)
{
	struct route_cache *rc;
	size_t i;

	if (!rw)
		return;
	rc = rw->rc;
	pthread_mutex_lock(&rc->workers_lock);
	for (i = 0; i < MAX_WORKERS; i++)
		if (rc->workers[i] == rw)
			rc->workers[i] = NULL;
	pthread_mutex_unlock(&rc->workers_lock);
	if (rw->nl)
		mnl_socket_close(rw->nl);
	free(rw);
}

/* --- the kernel ------------------------------------------------------------ */

static int ask_open(struct route_worker *rw)
{
	struct timeval tv = { .tv_sec = ASK_TIMEOUT_MS / 1000,
			      .tv_usec = ASK_TIMEOUT_MS % 1000 * 1000 };

	rw->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!rw->nl)
		return -errno;
	if (mnl_socket_bind(rw->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(rw->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		int err = -errno;

		mnl_socket_close(rw->nl);
		rw->nl = NULL;
		return err;
	}
	rw->portid = mnl_socket_get_portid(rw->nl);
	return 0;
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		     const union fc_addr *a)
{
	mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, a);
}

static struct nlmsghdr *ask_build(struct route_worker *rw,
				  const struct fib_query *q, int iif_index)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(rw->buf);
	struct rtmsg *rtm;
	union fc_addr zero = { 0 };

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++rw->seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = q->family;
	rtm->rtm_dst_len = q->family == AF_INET ? 32 : 128;
	/* the table that answered, as `ip route get` reports it */
	rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	put_addr(nlh, RTA_DST, q->family, &q->dst);
	if (memcmp(&q->src, &zero, sizeof(zero))) {
		rtm->rtm_src_len = rtm->rtm_dst_len;
		put_addr(nlh, RTA_SRC, q->family, &q->src);
	}
	if (iif_index)
		mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)iif_index);
	if (q->mark)
		mnl_attr_put_u32(nlh, RTA_MARK, q->mark);
	/* the kernel refuses RTA_IP_PROTO for other protocols (EOPNOTSUPP,
	 * rtm_getroute_parse_ip_proto()), and reads ports of these only */
	if (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP ||
	    q->proto == IPPROTO_ICMP || q->proto == IPPROTO_ICMPV6) {
		mnl_attr_put_u8(nlh, RTA_IP_PROTO, q->proto);
		if (q->sport || q->dport) {
			mnl_attr_put_u16(nlh, RTA_SPORT, htons(q->sport));
			mnl_attr_put_u16(nlh, RTA_DPORT, htons(q->dport));
		}
	}
	return nlh;
}

struct ask_reply {
	struct route_info *r;
	int err;			/* 0, or the kernel's -errno */
	bool got;
	uint32_t seq;
};

static int ask_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= RTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ask_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct ask_reply *ar = data;
	struct route_info *r = ar->r;
	const struct rtmsg *rtm;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), ask_attr, tb) < 0)
		return MNL_CB_ERROR;
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	r->family = rtm->rtm_family;
	r->type = rtm->rtm_type;
	r->table = tb[RTA_TABLE] &&
		   mnl_attr_get_payload_len(tb[RTA_TABLE]) >= 4 ?
		   mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (tb[RTA_OIF] && mnl_attr_get_payload_len(tb[RTA_OIF]) >= 4)
		r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen) {
		memcpy(&r->gateway, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
		r->has_gateway = true;
	}
	if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == alen) {
		memcpy(&r->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), alen);
		r->has_prefsrc = true;
	}
	ar->got = true;
	return MNL_CB_STOP;
}

static int ask_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct ask_reply *ar = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	ar->err = e->error;
	return MNL_CB_STOP;
}

/*
 * The route an error stands for, as ip_route_input/output say it.
 * EINVAL is a blackhole route or a packet refused before any route
 * (a martian): not knowing which, it is no answer.
 */
static bool error_type(int err, uint8_t *type)
{
	switch (err) {
	case -ENETUNREACH:
	case -EHOSTUNREACH:
		*type = RTN_UNREACHABLE;
		return true;
	case -EACCES:
		*type = RTN_PROHIBIT;
		return true;
	default:
		return false;
	}
}

/* 0 with *r filled (a route, or the kind of no route), or -errno. */
static int ask_kernel(struct route_worker *rw, const struct fib_query *q,
		      int iif_index, struct route_info *r)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ask_error };
	struct ask_reply ar = { .r = r };
	struct nlmsghdr *nlh;
	ssize_t n;
	int err;

	if (!rw->nl && (err = ask_open(rw)) < 0)
		return err;
	memset(r, 0, sizeof(*r));
	nlh = ask_build(rw, q, iif_index);
	ar.seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(rw->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (!ar.got && !ar.err) {
		n = mnl_socket_recvfrom(rw->nl, rw->buf, sizeof(rw->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* an answer to an older, timed-out request is skipped */
		err = mnl_cb_run2(rw->buf, (size_t)n, ar.seq, rw->portid,
				  ask_cb, &ar, ctl, NLMSG_MIN_TYPE);
		if (err < 0 && errno != ESRCH && errno != EPROTO)
			return -errno;
	}
	if (ar.err) {
		r->family = q->family;
		return error_type(ar.err, &r->type) ? 0 : ar.err;
	}
	return 0;
}

/* --- resolving --------------------------------------------------------------- */

static void from_fib(const struct fib_query *q, enum fib_answer a,
		     const struct fib_result *res, struct route_info *r)
{
	memset(r, 0, sizeof(*r));
	r->family = q->family;
	r->type = a == FIB_OK || res->type ? res->type : RTN_UNREACHABLE;
	r->table = res->table;
	if (a != FIB_OK)
		return;
	r->oif = res->nh->oif;
	r->has_gateway = res->nh->has_gateway;
	r->gateway = res->nh->gateway;
	r->has_prefsrc = res->nh->has_prefsrc;
	r->prefsrc = res->nh->prefsrc;
}

/* The mirror's answer, else the kernel's; false when neither came. */
static bool slow_path(struct route_worker *rw, const struct config *cfg,
		      const struct fib_query *q, int iif_index,
		      struct route_info *r)
{
	const struct fib *fib = rtsync_fib(rw->rc->fcd->rtsync);
	struct fib_result res;
	enum fib_answer a;
	int err;

	if (cfg->routes.cache != ROUTE_CACHE_KERNEL) {
		a = fib_resolve(fib, q, &res);
		if (a != FIB_ASK_KERNEL) {
			from_fib(q, a, &res, r);
			RSTAT_INC(rw, mirror);
			return true;
		}
	}
	err = ask_kernel(rw, q, iif_index, r);
	if (err < 0) {
		RSTAT_INC(rw, kernel_errors);
		return false;
	}
	RSTAT_INC(rw, kernel);
	return true;
}

static uint16_t intern(struct route_worker *rw, struct route_info *r)
{
	uint16_t id;

	/* delivered locally: the kernel names lo, whichever device holds
	 * the address */
	if (r->type == RTN_LOCAL)
		r->oif = LOOPBACK_IFINDEX;
	id = routeset_intern(rw->rc->answers, r);
	if (!id)
		RSTAT_INC(rw, no_id);
	return id;
}

static void bloom_learn(struct route_worker *rw, const struct config *cfg,
			struct bloom_gen *g, const struct fib_query *q,
			uint16_t id)
{
	struct route_cache *rc = rw->rc;
	int err;

	pthread_mutex_lock(&rc->bloom_lock);
	if (g->entries >= cfg->routes.bloom_entries) {
		/* bounded memory: the tick starts again with empty filters */
		atomic_store_explicit(&g->full, true, memory_order_relaxed);
		err = 0;
	} else {
		err = bloom_add(g->bc, id, q->family, &q->dst);
		g->entries += err == 0;
	}
	pthread_mutex_unlock(&rc->bloom_lock);
	if (err < 0 && err != -EEXIST && err != -ENOSPC)
		log_warn(-err, "route cache: Bloom add");
}

bool route_dst_local(struct route_worker *rw, uint8_t family,
		     const union fc_addr *dst)
{
	const struct fib_nexthop *nh;

	nh = fib_table_lookup(rtsync_fib(rw->rc->fcd->rtsync), RT_TABLE_LOCAL,
			      family, dst);
	return nh && nh->type == RTN_LOCAL;
}

uint16_t route_resolve(struct route_worker *rw, const struct config *cfg,
		       const struct fib_query *q, int iif_index)
{
	const struct fib *fib = rtsync_fib(rw->rc->fcd->rtsync);
	struct bloom_gen *g = rcu_dereference(rw->rc->bloom);
	struct route_info r;
	enum bloom_result b;
	uint32_t nh;
	uint16_t id;

	RSTAT_INC(rw, lookups);
	if (g && (g->fib_gen != fib_generation(fib) ||
		  !fib_dst_cacheable(fib, q))) {
		RSTAT_INC(rw, bloom_bypass);
		g = NULL;
	}
	if (g) {
		b = bloom_lookup(g->bc, q->family, &q->dst, &nh);
		switch (b) {
		case BLOOM_HIT:
			RSTAT_INC(rw, bloom_hit);
			return (uint16_t)nh;
		case BLOOM_NONE:
			RSTAT_INC(rw, bloom_none);
			break;
		case BLOOM_SEVERAL:
			RSTAT_INC(rw, bloom_several);
			break;
		case BLOOM_FALSE_POSITIVE:
			RSTAT_INC(rw, bloom_false_positive);
			break;
		}
	}
	if (!slow_path(rw, cfg, q, iif_index, &r))
		return 0;
	id = intern(rw, &r);
	/* the answer must still be the current one when it is learnt; and
	 * "no route" is not learnt: every such destination under one
	 * answer would fill its filter until it says yes to anything */
	if (g && id && (r.type == RTN_UNICAST || r.type == RTN_LOCAL) &&
	    g->fib_gen == fib_generation(fib))
		bloom_learn(rw, cfg, g, q, id);
	return id;
}

void route_flow(struct route_worker *rw, const struct config *cfg,
		const struct tuple *t, uint32_t iif, uint32_t mark,
		const char *(*ifname)(void *ctx, uint32_t index), void *ctx,
		uint16_t route[2])
{
	bool ports = proto_has_ports(t->proto);
	struct fib_query q = {
		.family = t->family, .src = t->src, .dst = t->dst,
		.mark = mark, .iif = ifname(ctx, iif), .proto = t->proto,
		.sport = ports ? t->sport : 0, .dport = ports ? t->dport : 0,
	};
	const struct route_info *r;

	route[1] = 0;
	if (iif && !q.iif) {
		route[0] = 0;
		return;
	}
	route[0] = route_resolve(rw, cfg, &q, (int)iif);
	r = routeset_get(rw->rc->answers, route[0]);
	if (!r || (r->type != RTN_UNICAST && r->type != RTN_LOCAL &&
		   r->type != RTN_BROADCAST && r->type != RTN_MULTICAST))
		return;
	iif = r->type == RTN_UNICAST ? (uint32_t)r->oif : 0;
	q.iif = ifname(ctx, iif);
	if (iif && !q.iif)
		return;
	q.src = t->dst;
	q.dst = t->src;
	q.sport = ports ? t->dport : 0;
	q.dport = ports ? t->sport : 0;
	route[1] = route_resolve(rw, cfg, &q, (int)iif);
}

/* --- following route changes ------------------------------------------------- */

#define FOLLOW_BATCH	65536
/* a burst of route events walks the table once, not once per event */
#define FOLLOW_MIN_NS	200000000ull

struct follow_update {
	struct tuple orig;
	uint32_t ct_id;
	uint32_t mark;
	uint16_t route[2];
};

struct follow_walk {
	struct route_cache *rc;
	const struct config *cfg;
	struct follow_update *v;
	size_t n;
	bool truncated;
};

static const char *main_ifname(void *rc, uint32_t index)
{
	return rtsync_ifname(((struct route_cache *)rc)->fcd->rtsync,
			     (int)index);
}

/*
 * A followed flow's routes again, as its first packet would get them
 * now: the mark without its pinned next hops, and the device it came in
 * by, which is where its replies leave (none when its replies are
 * delivered here: it was generated here).
 */
static bool follow_one(struct flow *f, void *arg)
{
	struct follow_walk *fw = arg;
	const struct config *cfg = fw->cfg;
	uint32_t pins = cfg->routes.pin_mask | cfg->routes.pin_reply_mask;
	const struct route_info *reply;
	struct follow_update *u;
	uint16_t route[2];
	uint32_t mark, iif;

	if (!(f->flags & FLOW_FOLLOW) || !(f->flags & FLOW_CONFIRMED))
		return true;
	if (fw->n == FOLLOW_BATCH) {
		fw->truncated = true;
		return false;
	}
	reply = routeset_get(fw->rc->answers, f->route[1]);
	if (!reply)
		return true;
	iif = reply->type == RTN_UNICAST ? (uint32_t)reply->oif : 0;
	mark = f->mark & ~pins;
	route_flow(fw->rc->main_rw, cfg, &f->orig, iif, mark, main_ifname,
		   fw->rc, route);
	mark |= pin_mark(fw->rc->fcd->pins,
			 routeset_get(fw->rc->answers, route[0]),
			 routeset_get(fw->rc->answers, route[1]));
	if (mark == f->mark && route[0] == f->route[0] &&
	    route[1] == f->route[1])
		return true;
	u = &fw->v[fw->n++];
	u->orig = f->orig;
	u->ct_id = f->ct_id;
	u->mark = mark;
	u->route[0] = route[0];
	u->route[1] = route[1];
	return true;
}

void route_follow(struct route_cache *rc)
{
	const struct config *cfg = rc->fcd->cfg;
	uint32_t gen = fib_generation(rtsync_fib(rc->fcd->rtsync));
	struct follow_walk fw = { .rc = rc, .cfg = cfg };
	struct flowtable *ft = rc->fcd->ft;
	uint64_t now = loop_now();
	enum ft_dir dir;
	struct flow *f;
	size_t i;

	if (gen == rc->follow_gen || !rc->fcd->pins ||
	    now - rc->follow_at < FOLLOW_MIN_NS)
		return;
	fw.v = malloc(FOLLOW_BATCH * sizeof(*fw.v));
	if (!fw.v) {
		/* the generation stays behind: the next tick tries again */
		log_warn(ENOMEM, "routes: cannot follow a route change yet");
		return;
	}
	rc->follow_at = now;
	ft_walk(ft, follow_one, &fw);
	for (i = 0; i < fw.n; i++) {
		const struct follow_update *u = &fw.v[i];
		bool remark = false;

		ft_lock(ft);
		f = ft_find_locked(ft, &u->orig, &dir);
		if (f && dir == FT_ORIG && f->ct_id == u->ct_id) {
			remark = f->mark != u->mark;
			CMM_STORE_SHARED(f->route[0], u->route[0]);
			CMM_STORE_SHARED(f->route[1], u->route[1]);
			CMM_STORE_SHARED(f->mark, u->mark);
		}
		ft_unlock(ft);
		if (remark &&
		    ctsync_set_mark(rc->fcd->ctsync, &u->orig, u->ct_id,
				    u->mark, cfg->marks.mask) == 0) {
			rc->followed++;
			log_flow(LOG_INFO, &u->orig, "follows a route change: "
				 "mark 0x%08x", u->mark);
		}
	}
	free(fw.v);
	if (!fw.truncated)
		rc->follow_gen = gen;
}

/* --- counters ---------------------------------------------------------------- */

void route_cache_stats(const struct route_cache *rc, struct route_stats *st)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)st;
	size_t i, k, n = sizeof(*st) / sizeof(uint64_t);

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock((pthread_mutex_t *)&rc->workers_lock);
	for (i = 0; i < MAX_WORKERS; i++) {
		if (!rc->workers[i])
			continue;
		src = (const uint64_t *)&rc->workers[i]->st;
		for (k = 0; k < n; k++)
			dst[k] += atomic_load_explicit(
				(_Atomic uint64_t *)&src[k],
				memory_order_relaxed);
	}
	pthread_mutex_unlock((pthread_mutex_t *)&rc->workers_lock);
	st->bloom_full = rc->emptied;
}

void route_cache_json(const struct route_cache *rc, struct json *j)
{
	struct routeset_stats rs;
	struct bloom_stats bs = { 0 };
	struct route_stats st;

	route_cache_stats(rc, &st);
	routeset_get_stats(rc->answers, &rs);
	json_kv_uint(j, "lookups", st.lookups);
	json_kv_uint(j, "mirror", st.mirror);
	json_kv_uint(j, "kernel", st.kernel);
	json_kv_uint(j, "kernel_errors", st.kernel_errors);
	json_kv_uint(j, "answers", rs.answers);
	json_kv_uint(j, "no_id", st.no_id + rs.full);
	json_kv_uint(j, "followed", rc->followed);
	json_key(j, "bloom");
	if (!rc->bloom) {
		json_null(j);
		return;
	}
	pthread_mutex_lock((pthread_mutex_t *)&rc->bloom_lock);
	bloom_get_stats(rc->bloom->bc, &bs);
	pthread_mutex_unlock((pthread_mutex_t *)&rc->bloom_lock);
	json_obj_begin(j);
	json_kv_uint(j, "hit", st.bloom_hit);
	json_kv_uint(j, "none", st.bloom_none);
	json_kv_uint(j, "several", st.bloom_several);
	json_kv_uint(j, "false_positive", st.bloom_false_positive);
	json_kv_uint(j, "bypass", st.bloom_bypass);
	json_kv_uint(j, "emptied", st.bloom_full);
	json_kv_uint(j, "entries", bs.entries);
	json_kv_uint(j, "reseeds", bs.reseeds);
	json_kv_uint(j, "memory", bs.memory);
	json_obj_end(j);
}

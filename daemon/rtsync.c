// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The routing mirror (see rtsync.h): rtnetlink routes, rules and links
 * into lib/fib.c. Two sockets, as for conntrack: one bound to the event
 * groups and read from the main loop, one for dumps. Routes change one
 * by one; rules, which are few, are dumped again whole on any change, so
 * that the rule set is always the kernel's exactly. A lost event
 * (ENOBUFS) costs a full dump of everything.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <urcu/urcu-memb.h>

#include "fcd.h"
#include "fib.h"
#include "log.h"
#include "route.h"
#include "rtsync.h"

#define RT_BUF_SIZE	(64 * 1024)
#define RT_EVENT_BUDGET	256
#define RT_MAX_LINKS	4096

struct rtsync {
	struct fcd *fcd;
	struct fib *fib;
	struct mnl_socket *ev, *req;
	uint32_t seq;
	struct loop_source ev_src;
	bool in_loop;
	bool dumping;			/* on_message() sees a dump's answers */
	bool resync_due, rules_due;
	/* links, by index, for rules and the CLI (main thread only) */
	char names[RT_MAX_LINKS][IFNAMSIZ];
	/* a rule dump being gathered */
	struct fib_rule *rules;
	size_t n_rules;
	struct rtsync_stats st;
	uint8_t buf[RT_BUF_SIZE];
};

/* --- attributes ------------------------------------------------------------ */

struct attrs {
	const struct nlattr *a[RTA_MAX > FRA_MAX ? RTA_MAX + 1 : FRA_MAX + 1];
	int max;
};

static int keep_attr(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->a[type] = a;
	return MNL_CB_OK;
}

static bool addr_of(const struct nlattr *a, uint8_t family, union fc_addr *out)
{
	size_t len = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	if (!a || mnl_attr_get_payload_len(a) < len)
		return false;
	memcpy(out, mnl_attr_get_payload(a), len);
	return true;
}

static uint32_t u32_of(const struct nlattr *a, uint32_t dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : dflt;
}

/* --- routes ---------------------------------------------------------------- */

static void on_route(struct rtsync *rs, const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct attrs at = { .max = RTA_MAX };
	struct fib_nexthop nh = { 0 };
	struct prefix pfx = { 0 };
	bool not_modelled;
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return;
	if (mnl_attr_parse(nlh, sizeof(*rtm), keep_attr, &at) < 0) {
		rs->st.errors++;
		return;
	}
	pfx.family = rtm->rtm_family;
	pfx.len = rtm->rtm_dst_len;
	if (pfx.len && !addr_of(at.a[RTA_DST], pfx.family, &pfx.addr)) {
		rs->st.errors++;
		return;
	}
	nh.family = rtm->rtm_family;
	nh.table = u32_of(at.a[RTA_TABLE], rtm->rtm_table);
	nh.type = rtm->rtm_type;
	nh.scope = rtm->rtm_scope;
	nh.oif = (int)u32_of(at.a[RTA_OIF], 0);
	nh.metric = u32_of(at.a[RTA_PRIORITY], 0);
	nh.has_gateway = addr_of(at.a[RTA_GATEWAY], nh.family, &nh.gateway);
	nh.has_prefsrc = addr_of(at.a[RTA_PREFSRC], nh.family, &nh.prefsrc);
	/* what the lookup does not follow: a multipath hash, nexthop
	 * objects, a gateway of the other family, IPv6 source routes */
	not_modelled = at.a[RTA_MULTIPATH] || at.a[RTA_NH_ID] ||
		       at.a[RTA_VIA] || at.a[RTA_SRC];

	if (nlh->nlmsg_type == RTM_NEWROUTE)
		err = fib_route_add(rs->fib, &pfx, rtm->rtm_tos, &nh,
				    not_modelled,
				    nlh->nlmsg_flags & NLM_F_REPLACE);
	else
		err = fib_route_del(rs->fib, &pfx, rtm->rtm_tos, &nh);
	if (err == -ENOMEM)
		rs->st.no_memory++;
	rs->st.route_events++;
}

/* --- rules ------------------------------------------------------------------ */

static void port_range(const struct nlattr *a, struct port_range *r)
{
	const struct fib_rule_port_range *pr;

	if (!a || mnl_attr_get_payload_len(a) < sizeof(*pr))
		return;
	pr = mnl_attr_get_payload(a);
	r->lo = pr->start;
	r->hi = pr->end;
}

static void ifname_of(const struct nlattr *a, char *out)
{
	if (a)
		snprintf(out, IFNAMSIZ, "%s", mnl_attr_get_str(a));
}

static void on_rule(struct rtsync *rs, const struct nlmsghdr *nlh)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct attrs at = { .max = FRA_MAX };
	struct fib_rule r = { .suppress_prefixlen = -1 };
	struct fib_rule *grown;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)) ||
	    (frh->family != AF_INET && frh->family != AF_INET6))
		return;
	if (mnl_attr_parse(nlh, sizeof(*frh), keep_attr, &at) < 0) {
		rs->st.errors++;
		return;
	}
	r.family = frh->family;
	r.action = frh->action;
	r.invert = frh->flags & FIB_RULE_INVERT;
	r.priority = u32_of(at.a[FRA_PRIORITY], 0);
	r.table = u32_of(at.a[FRA_TABLE], frh->table);
	r.goto_priority = u32_of(at.a[FRA_GOTO], 0);
	if (at.a[FRA_FWMARK]) {
		r.fwmark = mnl_attr_get_u32(at.a[FRA_FWMARK]);
		r.fwmask = u32_of(at.a[FRA_FWMASK], UINT32_MAX);
	}
	r.src.family = r.dst.family = frh->family;
	r.src.len = frh->src_len;
	r.dst.len = frh->dst_len;
	if (r.src.len)
		addr_of(at.a[FRA_SRC], frh->family, &r.src.addr);
	if (r.dst.len)
		addr_of(at.a[FRA_DST], frh->family, &r.dst.addr);
	ifname_of(at.a[FRA_IIFNAME], r.iif);
	ifname_of(at.a[FRA_OIFNAME], r.oif);
	if (at.a[FRA_IP_PROTO])
		r.ip_proto = mnl_attr_get_u8(at.a[FRA_IP_PROTO]);
	port_range(at.a[FRA_SPORT_RANGE], &r.sport);
	port_range(at.a[FRA_DPORT_RANGE], &r.dport);
	if (at.a[FRA_SUPPRESS_PREFIXLEN])
		r.suppress_prefixlen = (int)mnl_attr_get_u32(at.a[FRA_SUPPRESS_PREFIXLEN]);
	/* selectors this mirror does not evaluate: the kernel decides */
	r.unknown = frh->tos || at.a[FRA_UID_RANGE] || at.a[FRA_TUN_ID] ||
		    at.a[FRA_L3MDEV] ||
		    (at.a[FRA_SUPPRESS_IFGROUP] &&
		     u32_of(at.a[FRA_SUPPRESS_IFGROUP], UINT32_MAX) != UINT32_MAX);

	grown = realloc(rs->rules, (rs->n_rules + 1) * sizeof(*rs->rules));
	if (!grown) {
		rs->st.no_memory++;
		return;
	}
	rs->rules = grown;
	rs->rules[rs->n_rules++] = r;
}

/* --- links ------------------------------------------------------------------ */

static void on_link(struct rtsync *rs, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attrs at = { .max = IFLA_MAX < RTA_MAX ? IFLA_MAX : RTA_MAX };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) ||
	    ifi->ifi_index <= 0 || ifi->ifi_index >= RT_MAX_LINKS)
		return;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		rs->names[ifi->ifi_index][0] = '\0';
		return;
	}
	if (mnl_attr_parse(nlh, sizeof(*ifi), keep_attr, &at) < 0)
		return;
	ifname_of(at.a[IFLA_IFNAME], rs->names[ifi->ifi_index]);
}

static int on_message(const struct nlmsghdr *nlh, void *data)
{
	struct rtsync *rs = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		on_route(rs, nlh);
		break;
	case RTM_NEWRULE:
	case RTM_DELRULE:
		/* gathered during a dump; an event asks for one */
		if (rs->dumping)
			on_rule(rs, nlh);
		else
			rs->rules_due = true;
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		on_link(rs, nlh);
		break;
	}
	return MNL_CB_OK;
}

/* --- dumps ------------------------------------------------------------------ */

static int dump(struct rtsync *rs, uint16_t type, uint8_t family)
{
	uint8_t req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtgenmsg *g;
	unsigned int portid = mnl_socket_get_portid(rs->req);
	ssize_t n;
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++rs->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = family;
	if (mnl_socket_sendto(rs->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	rs->dumping = true;
	do {
		n = mnl_socket_recvfrom(rs->req, rs->buf, sizeof(rs->buf));
		if (n < 0 && errno == EINTR) {
			ret = 1;
			continue;
		}
		if (n < 0)
			break;
		ret = mnl_cb_run(rs->buf, (size_t)n, rs->seq, portid,
				 on_message, rs);
	} while (ret > 0);
	rs->dumping = false;
	return n < 0 || ret < 0 ? -errno : 0;
}

static int dump_rules(struct rtsync *rs)
{
	int err;

	rs->n_rules = 0;
	err = dump(rs, RTM_GETRULE, AF_UNSPEC);
	if (!err)
		err = fib_set_rules(rs->fib, rs->rules, rs->n_rules);
	rs->st.rule_dumps++;
	return err;
}

/* Everything again: links, rules, and routes into an emptied table. */
static int dump_all(struct rtsync *rs)
{
	int err;

	fib_flush_routes(rs->fib);
	err = dump(rs, RTM_GETLINK, AF_UNSPEC);
	if (!err)
		err = dump_rules(rs);
	if (!err)
		err = dump(rs, RTM_GETROUTE, AF_UNSPEC);
	rs->st.dumps++;
	rs->resync_due = err < 0;
	return err;
}

/* --- events ------------------------------------------------------------------- */

/*
 * Dumps owed after lost events or a rule change; from the event handler
 * and, so that a failed dump is retried even when no event follows, once
 * a second.
 */
static void catch_up(struct rtsync *rs)
{
	if (rs->resync_due) {
		if (dump_all(rs) < 0)
			log_warnx("routing mirror: dump after lost events "
				  "failed; trying again in a second");
	} else if (rs->rules_due) {
		rs->rules_due = false;
		if (dump_rules(rs) < 0)
			rs->resync_due = true;
	}
	fib_reclaim(rs->fib);
}

static void on_events(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct rtsync *rs = src->data;
	int i;

	for (i = 0; i < RT_EVENT_BUDGET; i++) {
		ssize_t n = recv(mnl_socket_get_fd(rs->ev), rs->buf,
				 sizeof(rs->buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				rs->st.enobufs++;
				rs->resync_due = true;
				continue;
			}
			if (errno != EAGAIN)
				log_warn(errno, "reading routing events");
			break;
		}
		if (mnl_cb_run(rs->buf, (size_t)n, 0, 0, on_message, rs) < 0)
			rs->st.errors++;
	}
	catch_up(rs);
	/* flows that follow routes move now, not at the next tick */
	if (rs->fcd->routes)
		route_follow(rs->fcd->routes);
}

void rtsync_tick(struct rtsync *rs)
{
	catch_up(rs);
}

int rtsync_open(struct fcd *fcd, struct rtsync **ret)
{
	struct fib_params fp = { .synchronize = urcu_memb_synchronize_rcu };
	struct rtsync *rs = calloc(1, sizeof(*rs));
	int err, v = 4 << 20, group = RTNLGRP_IPV6_RULE;

	if (!rs)
		return -ENOMEM;
	rs->fcd = fcd;
	rs->fib = fib_new(&fp);
	rs->ev = mnl_socket_open(NETLINK_ROUTE);
	rs->req = mnl_socket_open(NETLINK_ROUTE);
	if (!rs->fib || !rs->ev || !rs->req) {
		err = -ENOMEM;
		goto fail;
	}
	/* IPv6 rules have no legacy group bit: joined by number */
	if (mnl_socket_bind(rs->ev, RTMGRP_LINK | RTMGRP_IPV4_ROUTE |
			    RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE,
			    MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(rs->ev, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0 ||
	    mnl_socket_bind(rs->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		log_warn(err, "routing mirror: rtnetlink sockets");
		goto fail;
	}
	/* a full table's worth of route changes at once (a BGP session
	 * coming up) should not cost a resync */
	setsockopt(mnl_socket_get_fd(rs->ev), SOL_SOCKET, SO_RCVBUFFORCE, &v,
		   sizeof(v));
	err = dump_all(rs);
	if (err < 0) {
		log_warn(err, "routing mirror: dumping routes and rules");
		goto fail;
	}
	err = loop_add(&fcd->loop, &rs->ev_src, mnl_socket_get_fd(rs->ev),
		       EPOLLIN, on_events, rs);
	if (err < 0)
		goto fail;
	rs->in_loop = true;
	*ret = rs;
	return 0;
fail:
	rtsync_close(rs);
	return err;
}

void rtsync_close(struct rtsync *rs)
{
	if (!rs)
		return;
	if (rs->in_loop)
		loop_del(&rs->fcd->loop, &rs->ev_src);
	if (rs->ev)
		mnl_socket_close(rs->ev);
	if (rs->req)
		mnl_socket_close(rs->req);
	fib_free(rs->fib);
	free(rs->rules);
	free(rs);
}

const struct fib *rtsync_fib(const struct rtsync *rs)
{
	return rs->fib;
}

const char *rtsync_ifname(const struct rtsync *rs, int ifindex)
{
	if (ifindex <= 0 || ifindex >= RT_MAX_LINKS || !rs->names[ifindex][0])
		return NULL;
	return rs->names[ifindex];
}

void rtsync_get_stats(const struct rtsync *rs, struct rtsync_stats *st)
{
	*st = rs->st;
}

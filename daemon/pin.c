// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pinned next hops (see pin.h). Slots are given out under one mutex and
 * installed synchronously: a new next hop is rare (a router has a few),
 * and the flow's first packet must not leave before its table exists.
 * A slot's table is written before its rules, so a rule never points at
 * an empty table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "fcd.h"
#include "fib.h"
#include "log.h"
#include "pin.h"
#include "rtsync.h"

#define PIN_SLOTS	256		/* 1..255: 8 bits of mark at most */
/* routes we add say who made them (`ip route` shows "proto 252") */
#define RTPROT_FLOWCACHED	252

struct slot {
	bool used;
	struct route_info nh;		/* family, oif, gateway */
};

struct pins {
	struct fcd *fcd;
	pthread_mutex_t lock;
	struct mnl_socket *nl;
	uint32_t seq, portid;
	uint32_t mask, reply_mask, table, priority;
	struct slot slot[PIN_SLOTS];
	uint32_t n_slots;		/* the masks' room, up to 255 */
	uint64_t pinned, no_slot, errors;
	uint8_t buf[8192];
};

static unsigned int shift_of(uint32_t mask)
{
	return mask ? (unsigned int)__builtin_ctz(mask) : 0;
}

/* --- rtnetlink, one acknowledged request at a time ----------------------- */

static struct nlmsghdr *req_start(struct pins *p, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++p->seq;
	return nlh;
}

/* 0, or the kernel's -errno for the request. */
static int req_send(struct pins *p, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int err;

	if (mnl_socket_sendto(p->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(p->nl, p->buf, sizeof(p->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		err = mnl_cb_run(p->buf, (size_t)n, seq, p->portid, NULL, NULL);
		if (err == MNL_CB_STOP)
			return 0;
		/* an old answer (another sequence number): read on */
		if (err < 0 && errno != ESRCH)
			return -errno;
	}
}

static int put_route(struct pins *p, uint32_t k, uint16_t type)
{
	const struct route_info *nh = &p->slot[k].nh;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = req_start(p, type, type == RTM_NEWROUTE ?
			NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = nh->family;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_FLOWCACHED;
	rtm->rtm_type = RTN_UNICAST;
	/* no gateway: the destinations are on the device's link */
	rtm->rtm_scope = nh->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, p->table + k);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)nh->oif);
	if (nh->has_gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, nh->family == AF_INET ? 4 : 16,
			     &nh->gateway);
	return req_send(p, nlh);
}

static int put_rule(struct pins *p, uint8_t family, uint32_t k,
		    uint32_t mask, uint16_t type)
{
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;

	nlh = req_start(p, type, type == RTM_NEWRULE ?
			NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_TABLE, p->table + k);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, p->priority);
	mnl_attr_put_u32(nlh, FRA_FWMARK, k << shift_of(mask));
	mnl_attr_put_u32(nlh, FRA_FWMASK, mask);
	return req_send(p, nlh);
}

/* The rules of slot k, for each mark field in use. */
static int put_rules(struct pins *p, uint32_t k)
{
	uint32_t masks[2] = { p->mask, p->reply_mask };
	int i, err;

	for (i = 0; i < 2 && masks[i]; i++) {
		err = put_rule(p, p->slot[k].nh.family, k, masks[i],
			       RTM_NEWRULE);
		if (err < 0 && err != -EEXIST)
			return err;
	}
	return 0;
}

static void log_slot(struct pins *p, uint32_t k, const char *what, int err)
{
	const struct route_info *nh = &p->slot[k].nh;
	char gw[INET6_ADDRSTRLEN] = "", dev[IF_NAMESIZE] = "?";

	if (nh->has_gateway)
		inet_ntop(nh->family, &nh->gateway, gw, sizeof(gw));
	/* any thread: not the routing mirror's names */
	if_indextoname((unsigned int)nh->oif, dev);
	if (err)
		log_warn(-err, "pin: next hop %u (dev %s%s%s, table %u): %s", k,
			 dev, gw[0] ? " via " : "", gw, p->table + k, what);
	else
		log_info("pin: next hop %u (dev %s%s%s) %s: table %u, fwmark "
			 "0x%x/0x%x", k, dev, gw[0] ? " via " : "", gw,
			 what, p->table + k, k << shift_of(p->mask), p->mask);
}

/* --- slots ------------------------------------------------------------------- */

static bool same_hop(const struct route_info *a, const struct route_info *b)
{
	return a->family == b->family && a->oif == b->oif &&
	       a->has_gateway == b->has_gateway &&
	       (!a->has_gateway ||
		!memcmp(&a->gateway, &b->gateway, sizeof(a->gateway)));
}

/* The slot of next hop r, made (and installed) if new; 0 when none. */
static uint32_t slot_get(struct pins *p, const struct route_info *r)
{
	uint32_t k, free_k = 0;
	int err;

	if (!r || r->type != RTN_UNICAST || !r->oif)
		return 0;
	for (k = 1; k <= p->n_slots; k++) {
		if (p->slot[k].used && same_hop(&p->slot[k].nh, r))
			return k;
		if (!p->slot[k].used && !free_k)
			free_k = k;
	}
	if (!free_k) {
		p->no_slot++;
		return 0;
	}
	memset(&p->slot[free_k].nh, 0, sizeof(p->slot[free_k].nh));
	p->slot[free_k].nh.family = r->family;
	p->slot[free_k].nh.oif = r->oif;
	p->slot[free_k].nh.has_gateway = r->has_gateway;
	p->slot[free_k].nh.gateway = r->gateway;
	err = put_route(p, free_k, RTM_NEWROUTE);
	if (!err)
		err = put_rules(p, free_k);
	if (err < 0) {
		log_slot(p, free_k, "cannot install", err);
		p->errors++;
		return 0;
	}
	p->slot[free_k].used = true;
	log_slot(p, free_k, "pinned", 0);
	return free_k;
}

uint32_t pin_mark(struct pins *p, const struct route_info *orig,
		  const struct route_info *reply)
{
	uint32_t mark = 0, k;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	k = slot_get(p, orig);
	mark |= k << shift_of(p->mask);
	if (p->reply_mask) {
		k = slot_get(p, reply);
		mark |= k << shift_of(p->reply_mask);
	}
	if (mark)
		p->pinned++;
	pthread_mutex_unlock(&p->lock);
	return mark;
}

/*
 * Slots a previous run made: our tables, as the routing mirror read
 * them. Their rules are added again (EEXIST when they are still there),
 * so flows pinned before the restart keep their next hops.
 */
static void recover(struct pins *p)
{
	const struct fib *fib = rtsync_fib(p->fcd->rtsync);
	const union fc_addr any = { 0 };
	const struct fib_nexthop *nh;
	uint32_t k;
	int f, err;

	/* the main thread writes the mirror: no read lock needed */
	for (k = 1; k <= p->n_slots; k++) {
		for (f = 0; f < 2; f++) {
			nh = fib_table_lookup(fib, p->table + k,
					      f ? AF_INET6 : AF_INET, &any);
			if (nh && nh->type == RTN_UNICAST && nh->oif)
				break;
		}
		if (f == 2)
			continue;
		p->slot[k].used = true;
		p->slot[k].nh.family = nh->family;
		p->slot[k].nh.type = RTN_UNICAST;
		p->slot[k].nh.oif = nh->oif;
		p->slot[k].nh.has_gateway = nh->has_gateway;
		p->slot[k].nh.gateway = nh->gateway;
	}
	for (k = 1; k <= p->n_slots; k++) {
		if (!p->slot[k].used)
			continue;
		err = put_rules(p, k);
		log_slot(p, k, err < 0 ? "rules not restored" : "found again",
			 err < 0 ? err : 0);
	}
}

int pin_open(struct fcd *fcd, struct pins **ret)
{
	const struct config *cfg = fcd->cfg;
	struct pins *p;
	uint32_t room;

	*ret = NULL;
	if (!cfg->routes.pin_mask)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->fcd = fcd;
	p->mask = cfg->routes.pin_mask;
	p->reply_mask = cfg->routes.pin_reply_mask;
	p->table = cfg->routes.pin_table;
	p->priority = cfg->routes.pin_priority;
	room = p->mask >> shift_of(p->mask);
	if (p->reply_mask && p->reply_mask >> shift_of(p->reply_mask) < room)
		room = p->reply_mask >> shift_of(p->reply_mask);
	p->n_slots = room < PIN_SLOTS - 1 ? room : PIN_SLOTS - 1;
	p->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!p->nl || mnl_socket_bind(p->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		pin_close(p);
		return err;
	}
	p->portid = mnl_socket_get_portid(p->nl);
	recover(p);
	*ret = p;
	return 0;
}

void pin_remove(struct pins *p)
{
	uint32_t masks[2], k;
	int i;

	if (!p)
		return;
	masks[0] = p->mask;
	masks[1] = p->reply_mask;
	pthread_mutex_lock(&p->lock);
	for (k = 1; k <= p->n_slots; k++) {
		if (!p->slot[k].used)
			continue;
		for (i = 0; i < 2 && masks[i]; i++)
			put_rule(p, p->slot[k].nh.family, k, masks[i],
				 RTM_DELRULE);
		put_route(p, k, RTM_DELROUTE);
		p->slot[k].used = false;
	}
	pthread_mutex_unlock(&p->lock);
	log_info("pin: tables %u-%u and their rules removed", p->table + 1,
		 p->table + p->n_slots);
}

void pin_close(struct pins *p)
{
	if (!p)
		return;
	if (p->nl)
		mnl_socket_close(p->nl);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pin_json(struct pins *p, struct json *j)
{
	char gw[INET6_ADDRSTRLEN];
	const char *dev;
	uint32_t k;

	json_key(j, "pinned");
	if (!p) {
		json_null(j);
		return;
	}
	pthread_mutex_lock(&p->lock);
	json_obj_begin(j);
	json_kv_uint(j, "flows", p->pinned);
	json_kv_uint(j, "no_slot", p->no_slot);
	json_kv_uint(j, "errors", p->errors);
	json_key(j, "nexthops");
	json_arr_begin(j);
	for (k = 1; k <= p->n_slots; k++) {
		const struct route_info *nh = &p->slot[k].nh;

		if (!p->slot[k].used)
			continue;
		json_obj_begin(j);
		json_kv_uint(j, "slot", k);
		json_kv_uint(j, "table", p->table + k);
		json_kv_uint(j, "fwmark", k << shift_of(p->mask));
		dev = rtsync_ifname(p->fcd->rtsync, nh->oif);
		json_kv_str(j, "oif", dev);
		json_kv_str(j, "gateway", nh->has_gateway &&
			    inet_ntop(nh->family, &nh->gateway, gw, sizeof(gw)) ?
			    gw : NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	pthread_mutex_unlock(&p->lock);
}

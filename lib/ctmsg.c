// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ctmsg.h"

/* One attribute of a nested run; the walk stops on a malformed one. */
struct attr {
	uint16_t type;
	uint16_t len;		/* of the payload */
	const uint8_t *data;
};

struct walk {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static bool attr_next(struct walk *w, struct attr *a)
{
	struct nlattr h;
	size_t step;

	if (w->left < NLA_HDRLEN)
		return false;
	memcpy(&h, w->p, sizeof(h));
	if (h.nla_len < NLA_HDRLEN || h.nla_len > w->left) {
		w->bad = true;
		return false;
	}
	a->type = h.nla_type & NLA_TYPE_MASK;
	a->len = (uint16_t)(h.nla_len - NLA_HDRLEN);
	a->data = w->p + NLA_HDRLEN;
	step = NLA_ALIGN(h.nla_len);
	if (step > w->left)
		step = w->left;
	w->p += step;
	w->left -= step;
	return true;
}

static struct walk walk_of(const struct attr *a)
{
	return (struct walk){ .p = a->data, .left = a->len };
}

static bool get_u8(const struct attr *a, uint8_t *v)
{
	if (a->len < 1)
		return false;
	*v = a->data[0];
	return true;
}

static bool get_be16(const struct attr *a, uint16_t *v)
{
	uint16_t x;

	if (a->len < sizeof(x))
		return false;
	memcpy(&x, a->data, sizeof(x));
	*v = ntohs(x);
	return true;
}

static bool get_be32(const struct attr *a, uint32_t *v)
{
	uint32_t x;

	if (a->len < sizeof(x))
		return false;
	memcpy(&x, a->data, sizeof(x));
	*v = ntohl(x);
	return true;
}

static bool get_addr(const struct attr *a, size_t len, union fc_addr *v)
{
	if (a->len < len)
		return false;
	memcpy(v, a->data, len);
	return true;
}

static bool parse_ip(const struct attr *ip, struct tuple *t)
{
	struct walk w = walk_of(ip);
	int have4 = 0, have6 = 0;
	struct attr a;

	while (attr_next(&w, &a)) {
		switch (a.type) {
		case CTA_IP_V4_SRC:
			have4 += get_addr(&a, 4, &t->src);
			break;
		case CTA_IP_V4_DST:
			have4 += get_addr(&a, 4, &t->dst);
			break;
		case CTA_IP_V6_SRC:
			have6 += get_addr(&a, 16, &t->src);
			break;
		case CTA_IP_V6_DST:
			have6 += get_addr(&a, 16, &t->dst);
			break;
		}
	}
	if (w.bad || (have4 == 2) == (have6 == 2))
		return false;
	t->family = have4 == 2 ? AF_INET : AF_INET6;
	return true;
}

/* ICMP echo carries its id in both ports, as lib/pkt.c keys packets. */
static bool parse_proto(const struct attr *proto, struct tuple *t)
{
	struct walk w = walk_of(proto);
	bool have_num = false;
	uint16_t id;
	struct attr a;

	while (attr_next(&w, &a)) {
		switch (a.type) {
		case CTA_PROTO_NUM:
			have_num = get_u8(&a, &t->proto);
			break;
		case CTA_PROTO_SRC_PORT:
			get_be16(&a, &t->sport);
			break;
		case CTA_PROTO_DST_PORT:
			get_be16(&a, &t->dport);
			break;
		case CTA_PROTO_ICMP_ID:
		case CTA_PROTO_ICMPV6_ID:
			if (get_be16(&a, &id))
				t->sport = t->dport = id;
			break;
		}
	}
	return !w.bad && have_num;
}

static enum ctmsg_err parse_tuple(const struct attr *tuple, struct tuple *t)
{
	struct walk w = walk_of(tuple);
	bool ip = false, proto = false;
	struct attr a;

	memset(t, 0, sizeof(*t));
	while (attr_next(&w, &a)) {
		if (a.type == CTA_TUPLE_IP && !parse_ip(&a, t))
			return CTMSG_BAD_TUPLE;
		if (a.type == CTA_TUPLE_PROTO && !parse_proto(&a, t))
			return CTMSG_BAD_TUPLE;
		ip |= a.type == CTA_TUPLE_IP;
		proto |= a.type == CTA_TUPLE_PROTO;
	}
	if (w.bad)
		return CTMSG_TRUNCATED;
	return ip && proto ? CTMSG_OK : CTMSG_BAD_TUPLE;
}

static void parse_protoinfo(const struct attr *info, struct ct_entry *e)
{
	struct walk w = walk_of(info), tw;
	struct attr a, b;

	while (attr_next(&w, &a)) {
		if (a.type != CTA_PROTOINFO_TCP)
			continue;
		tw = walk_of(&a);
		while (attr_next(&tw, &b))
			if (b.type == CTA_PROTOINFO_TCP_STATE)
				e->has_tcp_state = get_u8(&b, &e->tcp_state);
	}
}

enum ctmsg_err ctmsg_parse(const void *attrs, size_t len,
			   struct ct_entry *out)
{
	struct walk w = { .p = attrs, .left = len };
	bool orig = false, reply = false;
	enum ctmsg_err err;
	uint16_t zone = 0;
	struct attr a;

	memset(out, 0, sizeof(*out));
	while (attr_next(&w, &a)) {
		switch (a.type) {
		case CTA_TUPLE_ORIG:
			err = parse_tuple(&a, &out->orig);
			if (err != CTMSG_OK)
				return err;
			orig = true;
			break;
		case CTA_TUPLE_REPLY:
			err = parse_tuple(&a, &out->reply);
			if (err != CTMSG_OK)
				return err;
			reply = true;
			break;
		case CTA_ZONE:
			get_be16(&a, &zone);
			break;
		case CTA_MARK:
			get_be32(&a, &out->mark);
			break;
		case CTA_ID:
			out->has_id = get_be32(&a, &out->id);
			break;
		case CTA_STATUS:
			out->has_status = get_be32(&a, &out->status);
			break;
		case CTA_PROTOINFO:
			parse_protoinfo(&a, out);
			break;
		}
	}
	if (w.bad)
		return CTMSG_TRUNCATED;
	if (!orig || !reply)
		return CTMSG_NO_TUPLE;
	out->orig.zone = out->reply.zone = zone;
	return CTMSG_OK;
}

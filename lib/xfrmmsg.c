// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * XFRM messages into xfrmdb entries (see xfrmmsg.h). The fixed parts are
 * copied out of the buffer before use (netlink aligns to 4 bytes, the
 * lifetime counters are 64-bit); attributes are walked with their
 * lengths checked before anything is read.
 */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrmmsg.h"

/* Newer than Debian 12's <linux/xfrm.h> (Linux 6.1) */
#define ATTR_SA_DIR	33		/* XFRMA_SA_DIR, Linux 6.10: __u8 */
#define ATTR_MAX	33

struct attrs {
	const uint8_t *data[ATTR_MAX + 1];
	uint16_t len[ATTR_MAX + 1];
};

/*
 * The attributes of buf[0, len); the last of a type wins. False when one
 * is shorter than its header or runs past the end. Fewer bytes than a
 * header at the end are padding.
 */
static bool attrs_read(const uint8_t *buf, size_t len, struct attrs *at)
{
	memset(at, 0, sizeof(*at));
	while (len >= NLA_HDRLEN) {
		struct nlattr h;
		uint16_t type;
		size_t step;

		memcpy(&h, buf, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > len)
			return false;
		type = h.nla_type & NLA_TYPE_MASK;
		if (type <= ATTR_MAX) {
			at->data[type] = buf + NLA_HDRLEN;
			at->len[type] = (uint16_t)(h.nla_len - NLA_HDRLEN);
		}
		step = NLA_ALIGN(h.nla_len);
		if (step > len)
			step = len;
		buf += step;
		len -= step;
	}
	return true;
}

/* Copies attribute type into out when present; false when it is too
 * short for it. */
static bool attr_get(const struct attrs *at, int type, void *out, size_t size)
{
	if (!at->data[type])
		return true;
	if (at->len[type] < size)
		return false;
	memcpy(out, at->data[type], size);
	return true;
}

static bool family_ok(unsigned int family)
{
	return family == AF_INET || family == AF_INET6;
}

static void addr_read(union fc_addr *out, const xfrm_address_t *a,
		      unsigned int family)
{
	memset(out, 0, sizeof(*out));
	if (family_ok(family))
		memcpy(out->b, a, family == AF_INET ? 4 : 16);
}

static bool sel_read(struct xfrmdb_sel *out, const struct xfrm_selector *s)
{
	unsigned int max = s->family == AF_INET ? 32 : 128;

	memset(out, 0, sizeof(*out));
	if (s->family && !family_ok(s->family))
		return false;
	if (s->prefixlen_d > max || s->prefixlen_s > max)
		return false;
	out->family = (uint8_t)s->family;
	addr_read(&out->daddr, &s->daddr, s->family);
	addr_read(&out->saddr, &s->saddr, s->family);
	out->dport = ntohs(s->dport);
	out->dport_mask = ntohs(s->dport_mask);
	out->sport = ntohs(s->sport);
	out->sport_mask = ntohs(s->sport_mask);
	out->prefixlen_d = s->prefixlen_d;
	out->prefixlen_s = s->prefixlen_s;
	out->proto = s->proto;
	out->ifindex = s->ifindex;
	return true;
}

/* The attributes after a fixed part of hdr bytes (netlink pads it). */
static enum xfrmmsg_err attrs_after(const void *payload, size_t len,
				    size_t hdr, struct attrs *at)
{
	size_t start = NLMSG_ALIGN(hdr);

	if (len < hdr)
		return XFRMMSG_TRUNCATED;
	if (start > len)
		start = len;
	if (!attrs_read((const uint8_t *)payload + start, len - start, at))
		return XFRMMSG_TRUNCATED;
	return XFRMMSG_OK;
}

enum xfrmmsg_err xfrmmsg_policy(const void *payload, size_t len,
				struct xfrmdb_policy *ret)
{
	struct xfrmdb_policy r, *out = &r;
	struct xfrm_userpolicy_info p;
	struct xfrm_userpolicy_type type = { .type = XFRM_POLICY_TYPE_MAIN };
	struct xfrm_mark mark = { 0, 0 };
	uint32_t if_id = 0;
	struct attrs at;
	enum xfrmmsg_err err;
	size_t n, i;

	err = attrs_after(payload, len, sizeof(p), &at);
	if (err)
		return err;
	memcpy(&p, payload, sizeof(p));
	if (!attr_get(&at, XFRMA_POLICY_TYPE, &type, sizeof(type)) ||
	    !attr_get(&at, XFRMA_MARK, &mark, sizeof(mark)) ||
	    !attr_get(&at, XFRMA_IF_ID, &if_id, sizeof(if_id)))
		return XFRMMSG_TRUNCATED;
	/* per-socket policies are dumped with directions 3..5 */
	if (p.dir >= XFRM_POLICY_MAX)
		return p.dir < 2 * XFRM_POLICY_MAX ? XFRMMSG_SKIP : XFRMMSG_BAD;
	n = at.len[XFRMA_TMPL] / sizeof(struct xfrm_user_tmpl);
	if (!family_ok(p.sel.family) || p.action > XFRM_POLICY_BLOCK ||
	    type.type >= XFRM_POLICY_TYPE_MAX ||
	    at.len[XFRMA_TMPL] % sizeof(struct xfrm_user_tmpl) ||
	    n > XFRMDB_MAX_TMPL)
		return XFRMMSG_BAD;

	memset(out, 0, sizeof(*out));
	if (!sel_read(&out->sel, &p.sel))
		return XFRMMSG_BAD;
	out->priority = p.priority;
	out->index = p.index;
	out->dir = p.dir;
	out->action = p.action;
	out->type = type.type;
	out->mark_v = mark.v;
	out->mark_m = mark.m;
	out->if_id = if_id;
	out->has_sec_ctx = at.data[XFRMA_SEC_CTX] != NULL;
	for (i = 0; i < n; i++) {
		struct xfrmdb_tmpl *t = &out->tmpl[i];
		struct xfrm_user_tmpl ut;

		memcpy(&ut, at.data[XFRMA_TMPL] + i * sizeof(ut), sizeof(ut));
		/* the kernel fills in the policy's family when none is given */
		if (!ut.family)
			ut.family = p.sel.family;
		if (!family_ok(ut.family))
			return XFRMMSG_BAD;
		t->family = (uint8_t)ut.family;
		addr_read(&t->daddr, &ut.id.daddr, ut.family);
		addr_read(&t->saddr, &ut.saddr, ut.family);
		t->spi = ntohl(ut.id.spi);
		t->reqid = ut.reqid;
		t->proto = ut.id.proto;
		t->mode = ut.mode;
		t->optional = ut.optional;
	}
	out->n_tmpl = (uint8_t)n;
	*ret = r;
	return XFRMMSG_OK;
}

/* after s seconds from t (0: no such limit) */
static bool after(uint64_t now, uint64_t t, uint64_t s)
{
	return s && now >= t && now - t >= s;
}

enum xfrmmsg_err xfrmmsg_state(const void *payload, size_t len, uint64_t now,
			       struct xfrmdb_state *ret)
{
	struct xfrmdb_state r, *out = &r;
	struct xfrm_usersa_info p;
	const struct xfrm_lifetime_cfg *l = &p.lft;
	const struct xfrm_lifetime_cur *c = &p.curlft;
	struct xfrm_mark mark = { 0, 0 };
	uint32_t if_id = 0;
	uint8_t dir = 0;
	struct attrs at;
	enum xfrmmsg_err err;
	bool has_alg;

	err = attrs_after(payload, len, sizeof(p), &at);
	if (err)
		return err;
	memcpy(&p, payload, sizeof(p));
	if (!attr_get(&at, XFRMA_MARK, &mark, sizeof(mark)) ||
	    !attr_get(&at, XFRMA_IF_ID, &if_id, sizeof(if_id)) ||
	    !attr_get(&at, ATTR_SA_DIR, &dir, sizeof(dir)))
		return XFRMMSG_TRUNCATED;
	if (!family_ok(p.family))
		return XFRMMSG_BAD;
	memset(out, 0, sizeof(*out));
	if (!sel_read(&out->sel, &p.sel))
		return XFRMMSG_BAD;
	has_alg = at.data[XFRMA_ALG_AEAD] || at.data[XFRMA_ALG_CRYPT] ||
		  at.data[XFRMA_ALG_AUTH] || at.data[XFRMA_ALG_AUTH_TRUNC] ||
		  at.data[XFRMA_ALG_COMP];
	if (!has_alg && (p.id.proto == IPPROTO_ESP || p.id.proto == IPPROTO_AH ||
			 p.id.proto == IPPROTO_COMP))
		return XFRMMSG_SKIP;

	out->family = (uint8_t)p.family;
	addr_read(&out->daddr, &p.id.daddr, p.family);
	addr_read(&out->saddr, &p.saddr, p.family);
	out->spi = ntohl(p.id.spi);
	out->proto = p.id.proto;
	out->reqid = p.reqid;
	out->mode = p.mode;
	out->mark_v = mark.v;
	out->mark_m = mark.m;
	out->if_id = if_id;
	out->dir = dir;
	out->add_time = c->add_time;
	out->wildrecv = p.flags & XFRM_STATE_WILDRECV;
	/* the kernel's soft expiry: xfrm_state_check_expire() for the
	 * counters, xfrm_timer_handler() for the times */
	out->dying = c->bytes >= l->soft_byte_limit ||
		     c->packets >= l->soft_packet_limit ||
		     after(now, c->add_time, l->soft_add_expires_seconds) ||
		     (c->use_time &&
		      after(now, c->use_time, l->soft_use_expires_seconds));
	*ret = r;
	return XFRMMSG_OK;
}

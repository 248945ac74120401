// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/xfrmdb.c, on policies and SAs as `ip xfrm` would
 * install them. Checked: the policy chosen by priority (and by age at
 * equal priority), selectors with address prefixes (on and off byte
 * boundaries, host bits in the selector), protocols and port masks;
 * directions kept apart; transport templates resolved to the SA of the
 * flow's addresses in each direction, tunnel templates to the SA of
 * their endpoints, a tunnel's endpoints seen by the template after it;
 * reqid exact on output and a wildcard on input when 0; a template SPI;
 * an exact source before "any"; a live SA before a dying one, then the
 * newest; SA selectors, directions and marks; a policy without an SA,
 * a bypass and a block policy; what the mirror cannot evaluate (marks,
 * interface ids, ICMP type selectors, sub policies) said as such; IPv6;
 * a thousand policies added in random order.
 */
#include <arpa/inet.h>
#include <check.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrmdb.h"

static uint8_t family_of(const char *s)
{
	return strchr(s, ':') ? AF_INET6 : AF_INET;
}

static union fc_addr addr(const char *s)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family_of(s), s, &a), 1);
	return a;
}

/* A policy from src to dst ("10.0.0.0/8"; "" for any of the family of
 * the other). */
static struct xfrmdb_policy pol(uint8_t dir, const char *src, const char *dst,
				uint32_t priority, uint32_t index)
{
	struct xfrmdb_policy p;
	struct prefix s, d;
	const char *any;

	memset(&p, 0, sizeof(p));
	any = family_of(*src ? src : dst) == AF_INET ? "0.0.0.0/0" : "::/0";
	ck_assert_int_eq(prefix_parse(*src ? src : any, &s), 0);
	ck_assert_int_eq(prefix_parse(*dst ? dst : any, &d), 0);
	p.sel.family = s.family;
	p.sel.saddr = s.addr;
	p.sel.prefixlen_s = s.len;
	p.sel.daddr = d.addr;
	p.sel.prefixlen_d = d.len;
	p.dir = dir;
	p.priority = priority;
	p.index = index;
	p.action = XFRM_POLICY_ALLOW;
	p.type = XFRM_POLICY_TYPE_MAIN;
	return p;
}

/* A template; src and dst NULL: transport (the flow's addresses). */
static void tmpl(struct xfrmdb_policy *p, uint8_t proto, uint8_t mode,
		 uint32_t reqid, const char *src, const char *dst)
{
	struct xfrmdb_tmpl *t = &p->tmpl[p->n_tmpl++];

	memset(t, 0, sizeof(*t));
	t->family = p->sel.family;
	if (dst) {
		t->family = family_of(dst);
		t->daddr = addr(dst);
		t->saddr = addr(src);
	}
	t->proto = proto;
	t->mode = mode;
	t->reqid = reqid;
}

static struct xfrmdb_state sa(const char *src, const char *dst, uint32_t spi,
			      uint8_t proto, uint8_t mode, uint32_t reqid)
{
	struct xfrmdb_state x;

	memset(&x, 0, sizeof(x));
	x.family = family_of(dst);
	x.saddr = addr(src);
	x.daddr = addr(dst);
	x.spi = spi;
	x.proto = proto;
	x.mode = mode;
	x.reqid = reqid;
	x.add_time = 1000;
	return x;
}

static struct tuple flow(uint8_t proto, const char *src, uint16_t sport,
			 const char *dst, uint16_t dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family_of(src);
	t.src = addr(src);
	t.dst = addr(dst);
	t.proto = proto;
	t.sport = sport;
	t.dport = dport;
	return t;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct xfrmdb *db_of(const struct xfrmdb_policy *p, size_t np,
			    const struct xfrmdb_state *s, size_t ns)
{
	struct xfrmdb *db = xfrmdb_new(p, np, s, ns);

	ck_assert_ptr_nonnull(db);
	return db;
}

/* The lookup's answer in one line, to compare whole answers at once. */
static const char *ask(const struct xfrmdb *db, struct tuple t, uint8_t dir)
{
	static char buf[128];
	struct xfrm_sa_ref r;

	if (!xfrmdb_lookup(db, &t, dir, &r))
		return "none";
	if (r.not_modelled)
		snprintf(buf, sizeof(buf), "not modelled index %u", r.policy_index);
	else if (r.action == XFRM_POLICY_BLOCK)
		snprintf(buf, sizeof(buf), "block index %u", r.policy_index);
	else if (!r.proto)
		snprintf(buf, sizeof(buf), "bypass index %u", r.policy_index);
	else
		snprintf(buf, sizeof(buf), "index %u proto %u mode %u reqid %u %s 0x%x",
			 r.policy_index, r.proto, r.mode, r.reqid,
			 r.has_state ? "spi" : "no state", r.spi);
	ck_assert_uint_eq(r.dir, dir);
	return buf;
}

#define ESP IPPROTO_ESP
#define AH IPPROTO_AH
#define TRANSPORT XFRM_MODE_TRANSPORT
#define TUNNEL XFRM_MODE_TUNNEL
#define IN XFRM_POLICY_IN
#define OUT XFRM_POLICY_OUT
#define FWD XFRM_POLICY_FWD

START_TEST(test_priority)
{
	struct xfrmdb_policy p[4];
	struct xfrmdb *db;

	/* given out of order; index 9 is older than 17 at priority 50 */
	p[0] = pol(OUT, "10.0.1.0/24", "10.0.2.0/24", 100, 1);
	tmpl(&p[0], ESP, TRANSPORT, 1, NULL, NULL);
	p[1] = pol(OUT, "10.0.1.0/24", "10.0.2.5", 50, 17);
	tmpl(&p[1], ESP, TRANSPORT, 2, NULL, NULL);
	p[2] = pol(OUT, "10.0.1.0/24", "10.0.2.0/25", 50, 9);
	tmpl(&p[2], ESP, TRANSPORT, 3, NULL, NULL);
	p[3] = pol(OUT, "10.0.9.0/24", "", 1, 25);	/* matches nothing here */
	tmpl(&p[3], ESP, TRANSPORT, 4, NULL, NULL);
	db = db_of(p, N(p), NULL, 0);
	ck_assert_uint_eq(xfrmdb_n_policies(db), 4);
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.1.2", 4000, "10.0.2.5", 80), OUT),
			 "index 9 proto 50 mode 0 reqid 3 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.1.2", 4000, "10.0.2.200", 80), OUT),
			 "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.3.2", 4000, "10.0.2.5", 80), OUT),
			 "none");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_selectors)
{
	struct xfrmdb_policy p[5];
	struct xfrmdb *db;

	/* /23 off a byte boundary, with host bits set in the selector */
	p[0] = pol(OUT, "", "10.0.4.0/23", 10, 8);
	p[0].sel.daddr = addr("10.0.5.77");
	tmpl(&p[0], ESP, TRANSPORT, 1, NULL, NULL);
	/* tcp to port 443 only */
	p[1] = pol(OUT, "", "192.0.2.0/24", 10, 16);
	p[1].sel.proto = IPPROTO_TCP;
	p[1].sel.dport = 443;
	p[1].sel.dport_mask = 0xffff;
	tmpl(&p[1], ESP, TRANSPORT, 2, NULL, NULL);
	/* udp from ports 0x1000-0x1fff (a mask, not a range) */
	p[2] = pol(OUT, "", "192.0.2.0/24", 20, 24);
	p[2].sel.proto = IPPROTO_UDP;
	p[2].sel.sport = 0x1000;
	p[2].sel.sport_mask = 0xf000;
	tmpl(&p[2], ESP, TRANSPORT, 3, NULL, NULL);
	/* sctp, any port */
	p[3] = pol(OUT, "198.51.100.0/24", "", 10, 32);
	p[3].sel.proto = IPPROTO_SCTP;
	tmpl(&p[3], AH, TRANSPORT, 4, NULL, NULL);
	/* port selectors on a protocol without ports: the kernel sees 0 */
	p[4] = pol(OUT, "", "203.0.113.0/24", 10, 40);
	p[4].sel.dport = 0;
	p[4].sel.dport_mask = 0xffff;
	tmpl(&p[4], ESP, TRANSPORT, 5, NULL, NULL);
	db = db_of(p, N(p), NULL, 0);

	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 1, "10.0.4.1", 2), OUT),
			 "index 8 proto 50 mode 0 reqid 1 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 1, "10.0.5.255", 2), OUT),
			 "index 8 proto 50 mode 0 reqid 1 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 1, "10.0.6.0", 2), OUT), "none");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 1, "10.0.3.255", 2), OUT), "none");

	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "1.1.1.1", 5000, "192.0.2.1", 443), OUT),
			 "index 16 proto 50 mode 0 reqid 2 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "1.1.1.1", 443, "192.0.2.1", 80), OUT), "none");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 40000, "192.0.2.1", 443), OUT), "none");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 0x1abc, "192.0.2.1", 53), OUT),
			 "index 24 proto 50 mode 0 reqid 3 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "1.1.1.1", 0x2000, "192.0.2.1", 53), OUT), "none");

	ck_assert_str_eq(ask(db, flow(IPPROTO_SCTP, "198.51.100.9", 7, "8.8.8.8", 9), OUT),
			 "index 32 proto 51 mode 0 reqid 4 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "198.51.100.9", 7, "8.8.8.8", 9), OUT), "none");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "198.51.100.9", 7, "8.8.8.8", 9), IN), "none");

	ck_assert_str_eq(ask(db, flow(IPPROTO_ESP, "1.1.1.1", 0, "203.0.113.1", 0), OUT),
			 "index 40 proto 50 mode 0 reqid 5 no state 0x0");
	/* an IPv6 flow never matches an IPv4 selector, /0 or not */
	ck_assert_str_eq(ask(db, flow(IPPROTO_SCTP, "2001:db8::1", 7, "2001:db8::2", 9), OUT),
			 "none");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_directions)
{
	struct xfrmdb_policy p[3];
	struct tuple t = flow(IPPROTO_TCP, "10.0.1.2", 4000, "10.0.2.2", 80);
	struct xfrm_sa_ref r = { .spi = 77 };
	struct xfrmdb *db;

	p[0] = pol(OUT, "10.0.1.0/24", "10.0.2.0/24", 0, 1);
	tmpl(&p[0], ESP, TRANSPORT, 1, NULL, NULL);
	p[1] = pol(IN, "10.0.1.0/24", "10.0.2.0/24", 0, 8);
	tmpl(&p[1], ESP, TRANSPORT, 2, NULL, NULL);
	p[2] = pol(FWD, "10.0.1.0/24", "10.0.2.0/24", 0, 18);
	tmpl(&p[2], AH, TRANSPORT, 3, NULL, NULL);
	db = db_of(p, N(p), NULL, 0);
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	ck_assert_str_eq(ask(db, t, IN), "index 8 proto 50 mode 0 reqid 2 no state 0x0");
	ck_assert_str_eq(ask(db, t, FWD), "index 18 proto 51 mode 0 reqid 3 no state 0x0");
	/* out of range, or no snapshot: no answer, *out untouched */
	ck_assert(!xfrmdb_lookup(db, &t, 3, &r));
	ck_assert(!xfrmdb_lookup(db, &t, 255, &r));
	ck_assert(!xfrmdb_lookup(NULL, &t, OUT, &r));
	ck_assert_uint_eq(r.spi, 77);
	xfrmdb_free(db);
	xfrmdb_free(NULL);
	ck_assert_uint_eq(xfrmdb_n_policies(NULL), 0);
}
END_TEST

/* Host A 10.0.1.2 and host B 10.0.2.2, as A sees it. */
START_TEST(test_transport)
{
	struct xfrmdb_policy p[2];
	struct xfrmdb_state s[6];
	struct tuple orig = flow(IPPROTO_UDP, "10.0.1.2", 4000, "10.0.2.2", 53);
	struct tuple reply = flow(IPPROTO_UDP, "10.0.2.2", 53, "10.0.1.2", 4000);
	struct xfrm_sa_ref r;
	struct xfrmdb *db;

	p[0] = pol(OUT, "10.0.1.2", "10.0.2.2", 0, 1);
	tmpl(&p[0], ESP, TRANSPORT, 7, NULL, NULL);
	p[1] = pol(IN, "10.0.2.2", "10.0.1.2", 0, 8);
	tmpl(&p[1], ESP, TRANSPORT, 7, NULL, NULL);
	s[0] = sa("10.0.1.2", "10.0.2.2", 0x1001, ESP, TRANSPORT, 7);
	s[1] = sa("10.0.2.2", "10.0.1.2", 0x2002, ESP, TRANSPORT, 7);
	/* not ours: another source, another mode, another protocol */
	s[2] = sa("10.0.1.9", "10.0.2.2", 0x3003, ESP, TRANSPORT, 7);
	s[3] = sa("10.0.1.2", "10.0.2.2", 0x4004, ESP, TUNNEL, 7);
	s[4] = sa("10.0.1.2", "10.0.2.2", 0x5005, AH, TRANSPORT, 7);
	s[5] = sa("10.0.2.2", "10.0.1.3", 0x6006, ESP, TRANSPORT, 7);
	db = db_of(p, N(p), s, N(s));
	ck_assert_uint_eq(xfrmdb_n_states(db), 6);

	ck_assert(xfrmdb_lookup(db, &orig, OUT, &r));
	ck_assert(r.has_state && !r.not_modelled);
	ck_assert_uint_eq(r.spi, 0x1001);
	ck_assert_uint_eq(r.reqid, 7);
	ck_assert_uint_eq(r.proto, IPPROTO_ESP);
	ck_assert_uint_eq(r.mode, XFRM_MODE_TRANSPORT);
	ck_assert_uint_eq(r.action, XFRM_POLICY_ALLOW);
	ck_assert_uint_eq(r.policy_index, 1);
	ck_assert_str_eq(ask(db, reply, IN), "index 8 proto 50 mode 0 reqid 7 spi 0x2002");
	/* the reply's tuple asks no OUT question here */
	ck_assert_str_eq(ask(db, reply, OUT), "none");
	xfrmdb_free(db);

	/* a state whose source is "any" serves, after an exact one */
	s[0] = sa("0.0.0.0", "10.0.2.2", 0x1111, ESP, TRANSPORT, 7);
	db = db_of(p, N(p), s, 1);
	ck_assert_str_eq(ask(db, orig, OUT), "index 1 proto 50 mode 0 reqid 7 spi 0x1111");
	xfrmdb_free(db);
	s[1] = sa("10.0.1.2", "10.0.2.2", 0x2222, ESP, TRANSPORT, 7);
	s[1].add_time = 1;	/* older, and still first */
	db = db_of(p, N(p), s, 2);
	ck_assert_str_eq(ask(db, orig, OUT), "index 1 proto 50 mode 0 reqid 7 spi 0x2222");
	xfrmdb_free(db);
}
END_TEST

/* Gateways 192.0.2.1 (here) and 198.51.100.1 between 10.1.0.0/16 and
 * 10.2.0.0/16. */
START_TEST(test_tunnel)
{
	struct xfrmdb_policy p[3];
	struct xfrmdb_state s[4];
	struct tuple orig = flow(IPPROTO_TCP, "10.1.0.5", 40000, "10.2.3.4", 22);
	struct tuple reply = flow(IPPROTO_TCP, "10.2.3.4", 22, "10.1.0.5", 40000);
	struct xfrmdb *db;

	p[0] = pol(OUT, "10.1.0.0/16", "10.2.0.0/16", 0, 1);
	tmpl(&p[0], ESP, TUNNEL, 5, "192.0.2.1", "198.51.100.1");
	p[1] = pol(FWD, "10.2.0.0/16", "10.1.0.0/16", 0, 10);
	tmpl(&p[1], ESP, TUNNEL, 5, "198.51.100.1", "192.0.2.1");
	p[2] = pol(IN, "10.2.0.0/16", "10.1.0.0/16", 0, 8);
	tmpl(&p[2], ESP, TUNNEL, 0, "0.0.0.0", "192.0.2.1");
	s[0] = sa("192.0.2.1", "198.51.100.1", 0xc0000001, ESP, TUNNEL, 5);
	s[1] = sa("198.51.100.1", "192.0.2.1", 0xc0000002, ESP, TUNNEL, 5);
	/* another peer's SA to us: not the FWD policy's */
	s[2] = sa("203.0.113.1", "192.0.2.1", 0xc0000003, ESP, TUNNEL, 5);
	s[2].add_time = 9999;
	/* transport to the gateway: not a tunnel's */
	s[3] = sa("192.0.2.1", "198.51.100.1", 0xc0000004, ESP, TRANSPORT, 5);
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, orig, OUT), "index 1 proto 50 mode 1 reqid 5 spi 0xc0000001");
	ck_assert_str_eq(ask(db, reply, FWD), "index 10 proto 50 mode 1 reqid 5 spi 0xc0000002");
	/* source any and reqid 0 in an inbound template: any peer, the
	 * newest of them */
	ck_assert_str_eq(ask(db, reply, IN), "index 8 proto 50 mode 1 reqid 5 spi 0xc0000003");
	/* flows inside the tunnel only: the gateways' own traffic is not */
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "192.0.2.1", 1, "198.51.100.1", 2), OUT),
			 "none");
	xfrmdb_free(db);

	/* a tunnel template with no source: the kernel picks it by route */
	p[0].tmpl[0].saddr = addr("0.0.0.0");
	db = db_of(p, 1, s, N(s));
	ck_assert_str_eq(ask(db, orig, OUT), "index 1 proto 50 mode 1 reqid 5 spi 0xc0000001");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_nested_templates)
{
	struct xfrmdb_policy p[2];
	struct xfrmdb_state s[3];
	struct tuple t = flow(IPPROTO_TCP, "10.1.0.5", 1000, "10.2.0.6", 80);
	struct xfrmdb *db;

	/* IPcomp first (it compresses, it does not protect), then ESP */
	p[0] = pol(OUT, "10.1.0.0/16", "10.2.0.0/16", 0, 1);
	tmpl(&p[0], IPPROTO_COMP, TRANSPORT, 3, NULL, NULL);
	p[0].tmpl[0].optional = true;
	tmpl(&p[0], ESP, TRANSPORT, 3, NULL, NULL);
	/* a tunnel, then transport ESP between its endpoints */
	p[1] = pol(OUT, "10.1.0.0/16", "10.3.0.0/16", 0, 9);
	tmpl(&p[1], IPPROTO_IPIP, TUNNEL, 4, "192.0.2.1", "198.51.100.1");
	tmpl(&p[1], ESP, TRANSPORT, 4, NULL, NULL);
	s[0] = sa("10.1.0.5", "10.2.0.6", 0x100, ESP, TRANSPORT, 3);
	s[1] = sa("192.0.2.1", "198.51.100.1", 0x200, ESP, TRANSPORT, 4);
	s[2] = sa("10.1.0.5", "10.3.0.6", 0x300, ESP, TRANSPORT, 4);
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 50 mode 0 reqid 3 spi 0x100");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.1.0.5", 1000, "10.3.0.6", 80), OUT),
			 "index 9 proto 50 mode 0 reqid 4 spi 0x200");
	xfrmdb_free(db);

	/* IPcomp alone: reported as what protects nothing else */
	p[0].n_tmpl = 1;
	db = db_of(p, 1, s, N(s));
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 108 mode 0 reqid 3 no state 0x0");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_reqid_and_spi)
{
	struct xfrmdb_policy p[2];
	struct xfrmdb_state s[2];
	struct tuple o = flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 2);
	struct tuple i = flow(IPPROTO_TCP, "10.0.2.2", 2, "10.0.1.2", 1);
	struct xfrmdb *db;

	p[0] = pol(OUT, "", "10.0.2.0/24", 0, 1);
	tmpl(&p[0], ESP, TRANSPORT, 0, NULL, NULL);
	p[1] = pol(IN, "10.0.2.0/24", "", 0, 8);
	tmpl(&p[1], ESP, TRANSPORT, 0, NULL, NULL);
	s[0] = sa("10.0.1.2", "10.0.2.2", 0x10, ESP, TRANSPORT, 5);
	s[1] = sa("10.0.2.2", "10.0.1.2", 0x20, ESP, TRANSPORT, 5);
	db = db_of(p, N(p), s, N(s));
	/* output: reqid 0 finds reqid 0 only (xfrm_state_find) */
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 0 no state 0x0");
	/* input: reqid 0 is a wildcard (xfrm_state_ok) */
	ck_assert_str_eq(ask(db, i, IN), "index 8 proto 50 mode 0 reqid 5 spi 0x20");
	xfrmdb_free(db);

	p[0].tmpl[0].reqid = 5;
	p[1].tmpl[0].reqid = 6;
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 5 spi 0x10");
	ck_assert_str_eq(ask(db, i, IN), "index 8 proto 50 mode 0 reqid 6 no state 0x0");
	xfrmdb_free(db);

	/* a template that names an SPI takes that SA only */
	p[0].tmpl[0].spi = 0x11;
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 5 no state 0x0");
	xfrmdb_free(db);
	p[0].tmpl[0].spi = 0x10;
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 5 spi 0x10");
	xfrmdb_free(db);
}
END_TEST

/* Rekeying: two SAs for one template, told apart as the kernel does. */
START_TEST(test_rekey)
{
	struct xfrmdb_policy p = pol(OUT, "", "10.0.2.0/24", 0, 1);
	struct xfrmdb_state s[3];
	struct tuple t = flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 2);
	struct xfrmdb *db;

	tmpl(&p, ESP, TRANSPORT, 1, NULL, NULL);
	s[0] = sa("10.0.1.2", "10.0.2.2", 0xa, ESP, TRANSPORT, 1);
	s[1] = sa("10.0.1.2", "10.0.2.2", 0xb, ESP, TRANSPORT, 1);
	s[1].add_time = 2000;
	s[2] = sa("10.0.1.2", "10.0.2.2", 0xc, ESP, TRANSPORT, 1);
	s[2].add_time = 1500;
	db = db_of(&p, 1, s, N(s));
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 50 mode 0 reqid 1 spi 0xb");
	xfrmdb_free(db);
	/* the newest is past its soft limit: the next newest live one */
	s[1].dying = true;
	db = db_of(&p, 1, s, N(s));
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 50 mode 0 reqid 1 spi 0xc");
	xfrmdb_free(db);
	/* all dying: the newest */
	s[0].dying = s[2].dying = true;
	db = db_of(&p, 1, s, N(s));
	ck_assert_str_eq(ask(db, t, OUT), "index 1 proto 50 mode 0 reqid 1 spi 0xb");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_state_filters)
{
	struct xfrmdb_policy p[2];
	struct xfrmdb_state s;
	struct tuple o = flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 2);
	struct tuple i = flow(IPPROTO_TCP, "10.0.2.2", 2, "10.0.1.2", 1);
	struct prefix x;
	struct xfrmdb *db;

	p[0] = pol(OUT, "", "10.0.2.0/24", 0, 1);
	tmpl(&p[0], ESP, TRANSPORT, 1, NULL, NULL);
	p[1] = pol(IN, "10.0.2.0/24", "", 0, 8);
	tmpl(&p[1], ESP, TRANSPORT, 1, NULL, NULL);

	/* an SA's selector must admit the flow */
	s = sa("10.0.1.2", "10.0.2.2", 0x10, ESP, TRANSPORT, 1);
	ck_assert_int_eq(prefix_parse("10.0.2.128/25", &x), 0);
	s.sel.family = AF_INET;
	s.sel.daddr = x.addr;
	s.sel.prefixlen_d = x.len;
	db = db_of(p, 1, &s, 1);
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
	s.sel.prefixlen_d = 24;
	db = db_of(p, 1, &s, 1);
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 1 spi 0x10");
	xfrmdb_free(db);

	/* an SA marked for input only is not used for output */
	s = sa("10.0.1.2", "10.0.2.2", 0x10, ESP, TRANSPORT, 1);
	s.dir = XFRMDB_SA_DIR_IN;
	db = db_of(p, 1, &s, 1);
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
	s = sa("10.0.2.2", "10.0.1.2", 0x20, ESP, TRANSPORT, 1);
	s.dir = XFRMDB_SA_DIR_OUT;
	db = db_of(p, N(p), &s, 1);
	ck_assert_str_eq(ask(db, i, IN), "index 8 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
	s.dir = XFRMDB_SA_DIR_IN;
	db = db_of(p, N(p), &s, 1);
	ck_assert_str_eq(ask(db, i, IN), "index 8 proto 50 mode 0 reqid 1 spi 0x20");
	xfrmdb_free(db);

	/* a mark value: not for unmarked packets; WILDRECV: input only */
	s = sa("10.0.1.2", "10.0.2.2", 0x10, ESP, TRANSPORT, 1);
	s.mark_v = 5;
	s.mark_m = 0xff;
	db = db_of(p, 1, &s, 1);
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
	s.mark_v = 0;
	s.wildrecv = true;
	db = db_of(p, 1, &s, 1);
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_block_and_bypass)
{
	struct xfrmdb_policy p[3];
	struct xfrmdb *db;
	struct xfrm_sa_ref r;
	struct tuple ike = flow(IPPROTO_UDP, "10.0.1.2", 500, "10.0.2.2", 500);

	/* IKE bypasses, telnet is blocked, the rest is ESP */
	p[0] = pol(OUT, "", "10.0.2.0/24", 1, 1);
	p[0].sel.proto = IPPROTO_UDP;
	p[0].sel.dport = 500;
	p[0].sel.dport_mask = 0xffff;
	p[1] = pol(OUT, "", "10.0.2.0/24", 2, 9);
	p[1].sel.proto = IPPROTO_TCP;
	p[1].sel.dport = 23;
	p[1].sel.dport_mask = 0xffff;
	p[1].action = XFRM_POLICY_BLOCK;
	tmpl(&p[1], ESP, TRANSPORT, 1, NULL, NULL);	/* never used */
	p[2] = pol(OUT, "", "10.0.2.0/24", 3, 17);
	tmpl(&p[2], ESP, TRANSPORT, 1, NULL, NULL);
	db = db_of(p, N(p), NULL, 0);
	ck_assert_str_eq(ask(db, ike, OUT), "bypass index 1");
	ck_assert(xfrmdb_lookup(db, &ike, OUT, &r));
	ck_assert(r.action == XFRM_POLICY_ALLOW && !r.proto && !r.has_state);
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 23), OUT),
			 "block index 9");
	ck_assert(xfrmdb_lookup(db, &(struct tuple){ .family = AF_INET,
			.proto = IPPROTO_TCP, .dport = 23,
			.dst = addr("10.0.2.9") }, OUT, &r));
	ck_assert(r.action == XFRM_POLICY_BLOCK && !r.proto && !r.spi);
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 24), OUT),
			 "index 17 proto 50 mode 0 reqid 1 no state 0x0");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_not_modelled)
{
	struct xfrmdb_policy p[6];
	struct xfrmdb *db;
	struct tuple t = flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 2);
	struct tuple ping = flow(IPPROTO_ICMP, "10.0.1.2", 7, "10.0.2.2", 7);
	struct xfrm_sa_ref r;

	p[0] = pol(OUT, "", "10.0.2.0/24", 1, 1);	/* a mark: maybe */
	p[0].mark_v = 1;
	p[0].mark_m = 0xff;
	p[1] = pol(OUT, "", "10.0.2.0/24", 0, 9);	/* v without m: never */
	p[1].mark_v = 1;
	p[2] = pol(OUT, "", "10.0.3.0/24", 1, 17);	/* an xfrm interface */
	p[2].if_id = 4;
	p[3] = pol(OUT, "", "10.0.4.0/24", 1, 25);	/* an output device */
	p[3].sel.ifindex = 3;
	p[4] = pol(OUT, "", "10.0.2.0/24", 0, 33);	/* ICMP type 8 */
	p[4].sel.proto = IPPROTO_ICMP;
	p[4].sel.sport = 8;
	p[4].sel.sport_mask = 0xffff;
	p[5] = pol(OUT, "", "10.0.5.0/24", 100, 41);	/* sub policy */
	p[5].type = XFRM_POLICY_TYPE_SUB;
	db = db_of(p, N(p), NULL, 0);
	ck_assert(xfrmdb_lookup(db, &t, OUT, &r));
	ck_assert(r.not_modelled);
	ck_assert_uint_eq(r.policy_index, 1);
	ck_assert(!r.proto && !r.has_state && !r.spi);
	ck_assert_str_eq(ask(db, ping, OUT), "not modelled index 33");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "1.1.1.1", 1, "10.0.3.1", 2), OUT),
			 "not modelled index 17");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "1.1.1.1", 1, "10.0.4.1", 2), OUT),
			 "not modelled index 25");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "1.1.1.1", 1, "10.0.5.1", 2), OUT),
			 "not modelled index 41");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_ipv6)
{
	struct xfrmdb_policy p[3];
	struct xfrmdb_state s[3];
	struct tuple o = flow(IPPROTO_UDP, "fd01::2", 4000, "fd02::2", 4789);
	struct tuple i = flow(IPPROTO_UDP, "fd02::2", 4789, "fd01::2", 4000);
	struct xfrmdb *db;

	p[0] = pol(OUT, "fd01::/64", "fd02::/64", 0, 1);
	tmpl(&p[0], ESP, TRANSPORT, 3, NULL, NULL);
	p[1] = pol(IN, "fd02::/64", "fd01::/64", 0, 8);
	tmpl(&p[1], ESP, TRANSPORT, 3, NULL, NULL);
	/* IPv4 networks behind an IPv6 tunnel (4in6) */
	p[2] = pol(OUT, "10.0.0.0/8", "10.9.0.0/16", 0, 17);
	tmpl(&p[2], ESP, TUNNEL, 4, "2001:db8::1", "2001:db8::2");
	s[0] = sa("fd01::2", "fd02::2", 0x61, ESP, TRANSPORT, 3);
	s[1] = sa("fd02::2", "fd01::2", 0x62, ESP, TRANSPORT, 3);
	s[2] = sa("2001:db8::1", "2001:db8::2", 0x63, ESP, TUNNEL, 4);
	db = db_of(p, N(p), s, N(s));
	ck_assert_str_eq(ask(db, o, OUT), "index 1 proto 50 mode 0 reqid 3 spi 0x61");
	ck_assert_str_eq(ask(db, i, IN), "index 8 proto 50 mode 0 reqid 3 spi 0x62");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "fd01::2", 1, "fd03::2", 2), OUT), "none");
	/* prefix boundaries: fd02::/64 ends at fd02::ffff:ffff:ffff:ffff */
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "fd01::2", 1,
				      "fd02::ffff:ffff:ffff:ffff", 2), OUT),
			 "index 1 proto 50 mode 0 reqid 3 no state 0x0");
	ck_assert_str_eq(ask(db, flow(IPPROTO_UDP, "fd01::2", 1, "fd02:0:0:1::", 2), OUT),
			 "none");
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.1.1.1", 1, "10.9.8.7", 2), OUT),
			 "index 17 proto 50 mode 1 reqid 4 spi 0x63");
	xfrmdb_free(db);
}
END_TEST

START_TEST(test_bad_entries_left_out)
{
	struct xfrmdb_policy p[3];
	struct xfrmdb_state s[2];
	struct xfrmdb *db;

	p[0] = pol(OUT, "", "10.0.2.0/24", 0, 1);
	p[1] = pol(OUT, "", "10.0.2.0/24", 0, 9);
	p[1].dir = 3;
	p[2] = pol(OUT, "", "10.0.2.0/24", 0, 17);
	p[2].n_tmpl = XFRMDB_MAX_TMPL + 1;
	s[0] = sa("10.0.1.2", "10.0.2.2", 1, ESP, TRANSPORT, 1);
	s[1] = s[0];
	s[1].family = AF_UNSPEC;
	db = db_of(p, N(p), s, N(s));
	ck_assert_uint_eq(xfrmdb_n_policies(db), 1);
	ck_assert_uint_eq(xfrmdb_n_states(db), 1);
	xfrmdb_free(db);
	/* empty is a valid snapshot */
	db = db_of(NULL, 0, NULL, 0);
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.1.2", 1, "10.0.2.2", 2), OUT),
			 "none");
	xfrmdb_free(db);
}
END_TEST

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* 1,000 host policies with priorities 1..1000 in random order, each
 * under a /16 catch-all of priority 5000 and its SA: every host finds its
 * own policy and SA, a host without one the catch-all. */
START_TEST(test_many)
{
	enum { NP = 1000 };
	struct xfrmdb_policy *p = calloc(NP + 1, sizeof(*p));
	struct xfrmdb_state *s = calloc(NP, sizeof(*s));
	uint32_t order[NP];
	struct xfrmdb *db;
	char dst[32], want[96];
	int i;

	ck_assert(p && s);
	for (i = 0; i < NP; i++)
		order[i] = (uint32_t)i;
	for (i = NP - 1; i > 0; i--) {
		uint32_t j = rnd() % (uint32_t)(i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < NP; i++) {
		uint32_t h = order[i];

		snprintf(dst, sizeof(dst), "10.9.%u.%u", h / 250, h % 250 + 1);
		p[i] = pol(OUT, "", dst, h + 1, 8 * (h + 1));
		tmpl(&p[i], ESP, TRANSPORT, h + 1, NULL, NULL);
		s[i] = sa("10.0.0.1", dst, 0x10000 + h, ESP, TRANSPORT, h + 1);
	}
	p[NP] = pol(OUT, "", "10.9.0.0/16", 5000, 8 * (NP + 1));
	tmpl(&p[NP], ESP, TRANSPORT, 9999, NULL, NULL);
	db = db_of(p, NP + 1, s, NP);
	for (i = 0; i < NP; i++) {
		snprintf(dst, sizeof(dst), "10.9.%d.%d", i / 250, i % 250 + 1);
		snprintf(want, sizeof(want),
			 "index %d proto 50 mode 0 reqid %d spi 0x%x",
			 8 * (i + 1), i + 1, 0x10000 + i);
		ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.0.1", 1, dst, 2), OUT),
				 want);
	}
	ck_assert_str_eq(ask(db, flow(IPPROTO_TCP, "10.0.0.1", 1, "10.9.200.1", 2), OUT),
			 "index 8008 proto 50 mode 0 reqid 9999 no state 0x0");
	xfrmdb_free(db);
	free(p);
	free(s);
}
END_TEST

static Suite *xfrmdb_suite(void)
{
	Suite *s = suite_create("xfrmdb");
	TCase *tc = tcase_create("lookup");

	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_selectors);
	tcase_add_test(tc, test_directions);
	tcase_add_test(tc, test_transport);
	tcase_add_test(tc, test_tunnel);
	tcase_add_test(tc, test_nested_templates);
	tcase_add_test(tc, test_reqid_and_spi);
	tcase_add_test(tc, test_rekey);
	tcase_add_test(tc, test_state_filters);
	tcase_add_test(tc, test_block_and_bypass);
	tcase_add_test(tc, test_not_modelled);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_bad_entries_left_out);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xfrmdb_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

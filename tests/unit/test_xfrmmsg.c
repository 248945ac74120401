// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/xfrmmsg.c: policies and states laid out as the
 * kernel's copy_to_user_policy()/copy_to_user_state() do (the fixed
 * struct, then aligned attributes): an IPv4 policy with two templates,
 * a mark, a type and an interface id, byte orders of SPIs and ports,
 * a template without a family; per-socket policies skipped; an IPv6
 * state with an AEAD, a direction and a mark; larval ESP and AH states
 * skipped, IPcomp kept when it has its algorithm; soft limits in bytes,
 * packets, add and use time; and damage: bad families, directions and
 * actions, template runs of a wrong length or too many, attributes too
 * short for their type, shorter than their header, longer than what is
 * left, every prefix and every single-byte corruption of good messages,
 * none of which may read outside the buffer (run under ASan to see) or
 * write the entry when the answer is not OK.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrmmsg.h"

struct msg {
	uint8_t b[2048];
	size_t len;
};

static void put_fixed(struct msg *m, const void *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->b, data, len);
	m->len = NLMSG_ALIGN(len);
}

static void put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			    .nla_type = type };

	ck_assert_uint_le(m->len + NLA_ALIGN(NLA_HDRLEN + len), sizeof(m->b));
	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void set_addr(xfrm_address_t *a, int family, const char *s)
{
	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(inet_pton(family, s, a), 1);
}

static union fc_addr addr(int family, const char *s)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, s, &a), 1);
	return a;
}

static bool addr_is(const union fc_addr *a, int family, const char *s)
{
	union fc_addr b = addr(family, s);

	return !memcmp(a, &b, sizeof(b));
}

/* ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.2 proto tcp dport 443
 *   dir out priority 100 mark 0x10/0xff if_id 7
 *   tmpl proto comp mode transport reqid 3 level use
 *   tmpl src 192.0.2.1 dst 198.51.100.1 proto esp spi 0x01020304
 *        mode tunnel reqid 0x89abcdef */
static void good_policy(struct msg *m)
{
	struct xfrm_userpolicy_info p;
	struct xfrm_user_tmpl t[2];
	struct xfrm_userpolicy_type type = { .type = XFRM_POLICY_TYPE_MAIN };
	struct xfrm_mark mark = { .v = 0x10, .m = 0xff };
	uint32_t if_id = 7;

	memset(&p, 0, sizeof(p));
	set_addr(&p.sel.saddr, AF_INET, "10.0.1.0");
	set_addr(&p.sel.daddr, AF_INET, "10.0.2.2");
	p.sel.prefixlen_s = 24;
	p.sel.prefixlen_d = 32;
	p.sel.family = AF_INET;
	p.sel.proto = IPPROTO_TCP;
	p.sel.dport = htons(443);
	p.sel.dport_mask = htons(0xffff);
	p.sel.sport = htons(0x1000);
	p.sel.sport_mask = htons(0xf000);
	p.priority = 100;
	p.index = 0x81;
	p.dir = XFRM_POLICY_OUT;
	p.action = XFRM_POLICY_ALLOW;
	p.lft.soft_byte_limit = XFRM_INF;
	memset(t, 0, sizeof(t));
	t[0].family = AF_INET;
	t[0].id.proto = IPPROTO_COMP;
	t[0].mode = XFRM_MODE_TRANSPORT;
	t[0].reqid = 3;
	t[0].optional = 1;
	t[0].aalgos = t[0].ealgos = t[0].calgos = ~0u;
	t[1].family = 0;		/* the policy's */
	set_addr(&t[1].saddr, AF_INET, "192.0.2.1");
	set_addr(&t[1].id.daddr, AF_INET, "198.51.100.1");
	t[1].id.proto = IPPROTO_ESP;
	t[1].id.spi = htonl(0x01020304);
	t[1].mode = XFRM_MODE_TUNNEL;
	t[1].reqid = 0x89abcdef;
	put_fixed(m, &p, sizeof(p));
	put(m, XFRMA_TMPL, t, sizeof(t));
	put(m, XFRMA_POLICY_TYPE, &type, sizeof(type));
	put(m, XFRMA_MARK, &mark, sizeof(mark));
	put(m, XFRMA_IF_ID, &if_id, sizeof(if_id));
}

START_TEST(test_policy)
{
	struct msg m;
	struct xfrmdb_policy p;

	good_policy(&m);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_OK);
	ck_assert_uint_eq(p.sel.family, AF_INET);
	ck_assert(addr_is(&p.sel.saddr, AF_INET, "10.0.1.0"));
	ck_assert(addr_is(&p.sel.daddr, AF_INET, "10.0.2.2"));
	ck_assert_uint_eq(p.sel.prefixlen_s, 24);
	ck_assert_uint_eq(p.sel.prefixlen_d, 32);
	ck_assert_uint_eq(p.sel.proto, IPPROTO_TCP);
	ck_assert_uint_eq(p.sel.dport, 443);
	ck_assert_uint_eq(p.sel.dport_mask, 0xffff);
	ck_assert_uint_eq(p.sel.sport, 0x1000);
	ck_assert_uint_eq(p.sel.sport_mask, 0xf000);
	ck_assert_uint_eq(p.priority, 100);
	ck_assert_uint_eq(p.index, 0x81);
	ck_assert_uint_eq(p.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(p.action, XFRM_POLICY_ALLOW);
	ck_assert_uint_eq(p.type, XFRM_POLICY_TYPE_MAIN);
	ck_assert_uint_eq(p.mark_v, 0x10);
	ck_assert_uint_eq(p.mark_m, 0xff);
	ck_assert_uint_eq(p.if_id, 7);
	ck_assert(!p.has_sec_ctx);
	ck_assert_uint_eq(p.n_tmpl, 2);
	ck_assert_uint_eq(p.tmpl[0].proto, IPPROTO_COMP);
	ck_assert_uint_eq(p.tmpl[0].reqid, 3);
	ck_assert(p.tmpl[0].optional);
	ck_assert_uint_eq(p.tmpl[1].family, AF_INET);
	ck_assert_uint_eq(p.tmpl[1].proto, IPPROTO_ESP);
	ck_assert_uint_eq(p.tmpl[1].spi, 0x01020304);
	ck_assert_uint_eq(p.tmpl[1].mode, XFRM_MODE_TUNNEL);
	ck_assert_uint_eq(p.tmpl[1].reqid, 0x89abcdef);
	ck_assert(!p.tmpl[1].optional);
	ck_assert(addr_is(&p.tmpl[1].saddr, AF_INET, "192.0.2.1"));
	ck_assert(addr_is(&p.tmpl[1].daddr, AF_INET, "198.51.100.1"));
}
END_TEST

static void set_policy(struct msg *m, size_t off, const void *v, size_t len)
{
	memcpy(m->b + off, v, len);
}

START_TEST(test_policy_values)
{
	struct xfrm_userpolicy_info pi;
	struct msg m;
	struct xfrmdb_policy p;
	uint8_t u8;
	uint16_t u16;

	memset(&p, 0xa5, sizeof(p));
	/* per-socket policies: dumped with directions 3..5 */
	good_policy(&m);
	u8 = XFRM_POLICY_MAX + XFRM_POLICY_OUT;
	set_policy(&m, offsetof(struct xfrm_userpolicy_info, dir), &u8, 1);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_SKIP);
	u8 = 2 * XFRM_POLICY_MAX;
	set_policy(&m, offsetof(struct xfrm_userpolicy_info, dir), &u8, 1);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);

	good_policy(&m);
	u8 = 2;
	set_policy(&m, offsetof(struct xfrm_userpolicy_info, action), &u8, 1);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);

	good_policy(&m);
	u16 = AF_UNSPEC;
	set_policy(&m, offsetof(struct xfrm_userpolicy_info, sel.family), &u16, 2);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);

	good_policy(&m);
	u8 = 33;
	set_policy(&m, offsetof(struct xfrm_userpolicy_info, sel.prefixlen_d), &u8, 1);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);

	/* a template of a third family */
	good_policy(&m);
	memcpy(&pi, m.b, sizeof(pi));
	{
		struct xfrm_user_tmpl t;

		memset(&t, 0, sizeof(t));
		t.family = AF_PACKET;
		t.id.proto = IPPROTO_ESP;
		put_fixed(&m, &pi, sizeof(pi));
		put(&m, XFRMA_TMPL, &t, sizeof(t));
		ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);
	}
	/* nothing of it was written */
	{
		struct xfrmdb_policy fresh;

		memset(&fresh, 0xa5, sizeof(fresh));
		ck_assert(!memcmp(&p, &fresh, sizeof(p)));
	}
}
END_TEST

START_TEST(test_policy_templates)
{
	struct xfrm_userpolicy_info pi;
	struct xfrm_user_tmpl t[XFRMDB_MAX_TMPL + 1];
	struct xfrm_userpolicy_type type = { .type = XFRM_POLICY_TYPE_SUB };
	struct msg m;
	struct xfrmdb_policy p;
	uint8_t ctx[8] = { 0 };
	int i;

	good_policy(&m);
	memcpy(&pi, m.b, sizeof(pi));
	memset(t, 0, sizeof(t));
	for (i = 0; i <= XFRMDB_MAX_TMPL; i++) {
		t[i].family = AF_INET;
		t[i].id.proto = IPPROTO_AH;
	}
	/* no template, a bypass: fine */
	put_fixed(&m, &pi, sizeof(pi));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_OK);
	ck_assert_uint_eq(p.n_tmpl, 0);
	ck_assert_uint_eq(p.mark_m, 0);
	/* six are the kernel's most, seven are refused */
	put(&m, XFRMA_TMPL, t, XFRMDB_MAX_TMPL * sizeof(t[0]));
	put(&m, XFRMA_POLICY_TYPE, &type, sizeof(type));
	put(&m, XFRMA_SEC_CTX, ctx, sizeof(ctx));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_OK);
	ck_assert_uint_eq(p.n_tmpl, XFRMDB_MAX_TMPL);
	ck_assert_uint_eq(p.tmpl[5].proto, IPPROTO_AH);
	ck_assert_uint_eq(p.type, XFRM_POLICY_TYPE_SUB);
	ck_assert(p.has_sec_ctx);
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_TMPL, t, sizeof(t));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);
	/* a run that is not a whole number of templates */
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_TMPL, t, sizeof(t[0]) + 1);
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);
	/* a type of its own */
	type.type = XFRM_POLICY_TYPE_MAX;
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_POLICY_TYPE, &type, sizeof(type));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_BAD);
}
END_TEST

START_TEST(test_short_attributes)
{
	struct xfrm_userpolicy_info pi;
	struct msg m;
	struct xfrmdb_policy p;
	uint32_t four = 1;
	uint8_t one = 1;
	struct nlattr a;

	good_policy(&m);
	memcpy(&pi, m.b, sizeof(pi));
	/* a mark of 4 bytes, an interface id of 1, a type of 1 */
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_MARK, &four, sizeof(four));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_TRUNCATED);
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_IF_ID, &one, sizeof(one));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_TRUNCATED);
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_POLICY_TYPE, &one, sizeof(one));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_TRUNCATED);
	/* an attribute longer than the message */
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, XFRMA_IF_ID, &four, sizeof(four));
	a.nla_len = 64;
	a.nla_type = XFRMA_IF_ID;
	memcpy(m.b + NLMSG_ALIGN(sizeof(pi)), &a, sizeof(a));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_TRUNCATED);
	/* one shorter than its header */
	a.nla_len = 3;
	memcpy(m.b + NLMSG_ALIGN(sizeof(pi)), &a, sizeof(a));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len, &p), XFRMMSG_TRUNCATED);
	/* a type past any we know is ignored, as is trailing padding */
	put_fixed(&m, &pi, sizeof(pi));
	put(&m, 200, &four, sizeof(four));
	ck_assert_int_eq(xfrmmsg_policy(m.b, m.len + 3, &p), XFRMMSG_OK);
	/* and the fixed part must be there */
	ck_assert_int_eq(xfrmmsg_policy(m.b, sizeof(pi) - 1, &p), XFRMMSG_TRUNCATED);
	ck_assert_int_eq(xfrmmsg_policy(m.b, 0, &p), XFRMMSG_TRUNCATED);
}
END_TEST

/* ip xfrm state add src fd02::2 dst fd01::2 proto esp spi 0xc0ffee01
 *   reqid 9 mode transport aead 'rfc4106(gcm(aes))' ... 128 mark 3/0xf
 *   dir in; added at 1000, soft limits far away */
static void good_state(struct msg *m, struct xfrm_usersa_info *ret)
{
	struct xfrm_usersa_info p;
	struct xfrm_mark mark = { .v = 3, .m = 0xf };
	uint8_t aead[64] = { 0 };
	uint8_t dir = XFRMDB_SA_DIR_IN;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	set_addr(&p.id.daddr, AF_INET6, "fd01::2");
	set_addr(&p.saddr, AF_INET6, "fd02::2");
	p.id.spi = htonl(0xc0ffee01);
	p.id.proto = IPPROTO_ESP;
	p.reqid = 9;
	p.mode = XFRM_MODE_TRANSPORT;
	p.sel.family = AF_INET6;
	set_addr(&p.sel.daddr, AF_INET6, "fd01::2");
	p.sel.prefixlen_d = 128;
	p.lft.soft_byte_limit = p.lft.hard_byte_limit = XFRM_INF;
	p.lft.soft_packet_limit = p.lft.hard_packet_limit = XFRM_INF;
	p.lft.soft_add_expires_seconds = 3600;
	p.lft.soft_use_expires_seconds = 600;
	p.curlft.add_time = 1000;
	p.curlft.use_time = 1500;
	p.curlft.bytes = 12345;
	p.curlft.packets = 10;
	if (ret)
		*ret = p;
	put_fixed(m, &p, sizeof(p));
	put(m, XFRMA_ALG_AEAD, aead, sizeof(aead));
	put(m, XFRMA_MARK, &mark, sizeof(mark));
	put(m, 33 /* XFRMA_SA_DIR */, &dir, sizeof(dir));
}

START_TEST(test_state)
{
	struct msg m;
	struct xfrmdb_state s;

	good_state(&m, NULL);
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_OK);
	ck_assert_uint_eq(s.family, AF_INET6);
	ck_assert(addr_is(&s.daddr, AF_INET6, "fd01::2"));
	ck_assert(addr_is(&s.saddr, AF_INET6, "fd02::2"));
	ck_assert_uint_eq(s.spi, 0xc0ffee01);
	ck_assert_uint_eq(s.proto, IPPROTO_ESP);
	ck_assert_uint_eq(s.reqid, 9);
	ck_assert_uint_eq(s.mode, XFRM_MODE_TRANSPORT);
	ck_assert_uint_eq(s.sel.family, AF_INET6);
	ck_assert_uint_eq(s.sel.prefixlen_d, 128);
	ck_assert_uint_eq(s.mark_v, 3);
	ck_assert_uint_eq(s.mark_m, 0xf);
	ck_assert_uint_eq(s.dir, XFRMDB_SA_DIR_IN);
	ck_assert_uint_eq(s.add_time, 1000);
	ck_assert(!s.dying && !s.wildrecv);
}
END_TEST

START_TEST(test_state_ipv4_padding)
{
	struct xfrm_usersa_info p;
	struct msg m;
	struct xfrmdb_state s;
	uint8_t crypt[16] = { 0 };

	/* bytes past an IPv4 address are not the address */
	memset(&p, 0, sizeof(p));
	memset(&p.id.daddr, 0xee, sizeof(p.id.daddr));
	memset(&p.saddr, 0xee, sizeof(p.saddr));
	p.id.daddr.a4 = inet_addr("10.0.2.2");
	p.saddr.a4 = inet_addr("10.0.1.2");
	p.family = AF_INET;
	p.id.proto = IPPROTO_ESP;
	p.flags = XFRM_STATE_WILDRECV;
	p.lft.soft_byte_limit = p.lft.soft_packet_limit = XFRM_INF;
	put_fixed(&m, &p, sizeof(p));
	put(&m, XFRMA_ALG_CRYPT, crypt, sizeof(crypt));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 0, &s), XFRMMSG_OK);
	ck_assert(addr_is(&s.daddr, AF_INET, "10.0.2.2"));
	ck_assert(addr_is(&s.saddr, AF_INET, "10.0.1.2"));
	ck_assert_uint_eq(s.sel.family, 0);
	ck_assert(s.wildrecv);
	ck_assert_uint_eq(s.dir, 0);
}
END_TEST

START_TEST(test_larval)
{
	struct xfrm_usersa_info p;
	struct msg m;
	struct xfrmdb_state s;
	uint8_t alg[16] = { 0 };

	good_state(&m, &p);
	/* what ALLOCSPI or an acquire leaves: no algorithm yet */
	put_fixed(&m, &p, sizeof(p));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_SKIP);
	p.id.proto = IPPROTO_AH;
	put_fixed(&m, &p, sizeof(p));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_SKIP);
	put(&m, XFRMA_ALG_AUTH_TRUNC, alg, sizeof(alg));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_OK);
	p.id.proto = IPPROTO_COMP;
	put_fixed(&m, &p, sizeof(p));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_SKIP);
	put(&m, XFRMA_ALG_COMP, alg, sizeof(alg));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 2000, &s), XFRMMSG_OK);
	ck_assert_uint_eq(s.proto, IPPROTO_COMP);
}
END_TEST

static bool dying(struct xfrm_usersa_info *p, uint64_t now)
{
	struct msg m;
	struct xfrmdb_state s;
	uint8_t alg[16] = { 0 };

	put_fixed(&m, p, sizeof(*p));
	put(&m, XFRMA_ALG_CRYPT, alg, sizeof(alg));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, now, &s), XFRMMSG_OK);
	return s.dying;
}

START_TEST(test_soft_limits)
{
	struct xfrm_usersa_info p;
	struct msg m;

	good_state(&m, &p);
	ck_assert(!dying(&p, 2000));
	/* add time: 3600 s after 1000 */
	p.curlft.use_time = 0;		/* never used: no use limit */
	ck_assert(!dying(&p, 4599));
	ck_assert(dying(&p, 4600));
	/* use time: 600 s after 1500 */
	p.curlft.use_time = 1500;
	ck_assert(dying(&p, 2100));
	/* a clock before the add time is not an expiry */
	p.lft.soft_use_expires_seconds = 0;
	ck_assert(!dying(&p, 10));
	/* bytes and packets */
	p.lft.soft_byte_limit = 12345;
	ck_assert(dying(&p, 2000));
	p.lft.soft_byte_limit = 12346;
	ck_assert(!dying(&p, 2000));
	p.lft.soft_packet_limit = 10;
	ck_assert(dying(&p, 2000));
	/* no time limits at all */
	p.lft.soft_packet_limit = XFRM_INF;
	p.lft.soft_add_expires_seconds = 0;
	ck_assert(!dying(&p, UINT64_MAX));
}
END_TEST

START_TEST(test_state_values)
{
	struct xfrm_usersa_info p;
	struct msg m;
	struct xfrmdb_state s, fresh;
	uint8_t alg[16] = { 0 };

	memset(&s, 0x5a, sizeof(s));
	fresh = s;
	good_state(&m, &p);
	p.family = AF_UNSPEC;
	put_fixed(&m, &p, sizeof(p));
	put(&m, XFRMA_ALG_CRYPT, alg, sizeof(alg));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 0, &s), XFRMMSG_BAD);
	good_state(&m, &p);
	p.sel.family = 99;
	put_fixed(&m, &p, sizeof(p));
	put(&m, XFRMA_ALG_CRYPT, alg, sizeof(alg));
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 0, &s), XFRMMSG_BAD);
	good_state(&m, &p);
	put_fixed(&m, &p, sizeof(p));
	put(&m, XFRMA_MARK, alg, 7);
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 0, &s), XFRMMSG_TRUNCATED);
	put_fixed(&m, &p, sizeof(p));
	put(&m, 33, alg, 0);		/* a direction of no bytes */
	ck_assert_int_eq(xfrmmsg_state(m.b, m.len, 0, &s), XFRMMSG_TRUNCATED);
	ck_assert_int_eq(xfrmmsg_state(m.b, sizeof(p) - 1, 0, &s), XFRMMSG_TRUNCATED);
	ck_assert(!memcmp(&s, &fresh, sizeof(s)));
}
END_TEST

/*
 * Every prefix and every single-byte change of a good message: any
 * answer is allowed, reading outside [0, len) is not. Each damaged
 * message lives in a buffer of exactly its length, so ASan sees a read
 * past it.
 */
static void damage(const struct msg *good, bool policy)
{
	size_t len, i;
	int v;

	for (len = 0; len <= good->len; len++) {
		uint8_t *b = malloc(len ? len : 1);
		struct xfrmdb_policy p;
		struct xfrmdb_state s;
		enum xfrmmsg_err e;

		ck_assert_ptr_nonnull(b);
		memcpy(b, good->b, len);
		e = policy ? xfrmmsg_policy(b, len, &p)
			   : xfrmmsg_state(b, len, 5000, &s);
		if (len < (policy ? sizeof(struct xfrm_userpolicy_info)
				  : sizeof(struct xfrm_usersa_info)))
			ck_assert_int_eq(e, XFRMMSG_TRUNCATED);
		free(b);
	}
	for (i = 0; i < good->len; i++)
		for (v = 0; v < 256; v += 17) {
			uint8_t *b = malloc(good->len);
			struct xfrmdb_policy p;
			struct xfrmdb_state s;

			ck_assert_ptr_nonnull(b);
			memcpy(b, good->b, good->len);
			b[i] ^= (uint8_t)(v | 1);
			if (policy) {
				if (xfrmmsg_policy(b, good->len, &p) == XFRMMSG_OK)
					ck_assert_uint_le(p.n_tmpl, XFRMDB_MAX_TMPL);
			} else {
				(void)xfrmmsg_state(b, good->len, 5000, &s);
			}
			free(b);
		}
}

START_TEST(test_damage)
{
	struct msg m;

	good_policy(&m);
	damage(&m, true);
	good_state(&m, NULL);
	damage(&m, false);
}
END_TEST

static Suite *xfrmmsg_suite(void)
{
	Suite *s = suite_create("xfrmmsg");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_policy_values);
	tcase_add_test(tc, test_policy_templates);
	tcase_add_test(tc, test_short_attributes);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_state_ipv4_padding);
	tcase_add_test(tc, test_larval);
	tcase_add_test(tc, test_soft_limits);
	tcase_add_test(tc, test_state_values);
	tcase_add_test(tc, test_damage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xfrmmsg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

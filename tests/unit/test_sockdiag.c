// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/sockdiag.c: the request is an exact lookup (no
 * dump flag) with the two ends where the kernel reads them (TCP: local
 * in idiag_src; UDP: swapped), protocols without a lookup are refused;
 * answers are read whole, errors come back as -errno, and messages cut
 * short or with a broken attribute are refused without reading past
 * their end.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>

#include "sockdiag.h"
#include "unit.h"

static struct sockdiag_end end4(const char *a, uint16_t port)
{
	struct sockdiag_end e = { .port = port };

	ck_assert_int_eq(inet_pton(AF_INET, a, &e.addr), 1);
	return e;
}

START_TEST(test_request)
{
	uint8_t buf[256];
	struct sockdiag_end l = end4("10.0.0.1", 80), r = end4("10.0.0.2", 5000);
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct inet_diag_req_v2 *q = NLMSG_DATA(nlh);
	size_t len;

	len = sockdiag_request(buf, sizeof(buf), 7, AF_INET, IPPROTO_TCP,
			       &l, &r);
	ck_assert_uint_eq(len, NLMSG_LENGTH(sizeof(*q)));
	ck_assert_uint_eq(nlh->nlmsg_len, len);
	ck_assert_uint_eq(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST);
	ck_assert_uint_eq(nlh->nlmsg_seq, 7);
	ck_assert_uint_eq(q->sdiag_family, AF_INET);
	ck_assert_uint_eq(q->sdiag_protocol, IPPROTO_TCP);
	ck_assert_uint_eq(ntohs(q->id.idiag_sport), 80);
	ck_assert_uint_eq(ntohs(q->id.idiag_dport), 5000);
	ck_assert_int_eq(memcmp(q->id.idiag_src, &l.addr, 4), 0);
	ck_assert_int_eq(memcmp(q->id.idiag_dst, &r.addr, 4), 0);
	ck_assert_uint_eq(q->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);

	len = sockdiag_request(buf, sizeof(buf), 8, AF_INET, IPPROTO_UDP,
			       &l, &r);
	ck_assert_uint_ne(len, 0);
	ck_assert_uint_eq(ntohs(q->id.idiag_sport), 5000);
	ck_assert_uint_eq(ntohs(q->id.idiag_dport), 80);
	ck_assert_int_eq(memcmp(q->id.idiag_src, &r.addr, 4), 0);

	ck_assert_uint_eq(sockdiag_request(buf, sizeof(buf), 9, AF_INET,
					   IPPROTO_ICMP, &l, &r), 0);
	ck_assert_uint_eq(sockdiag_request(buf, 16, 9, AF_INET, IPPROTO_TCP,
					   &l, &r), 0);
}
END_TEST

/* An answer as the kernel sends one, with a cgroup id attribute. */
static size_t answer(uint8_t *buf, size_t size)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct inet_diag_msg *m;
	struct nlattr *a;
	uint64_t cg = 0x1234567890ull;
	size_t len = NLMSG_LENGTH(sizeof(*m));

	memset(buf, 0, size);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = NLMSG_DATA(nlh);
	m->idiag_family = AF_INET;
	m->idiag_state = 10;
	m->idiag_uid = 1000;
	m->idiag_inode = 424242;
	m->id.idiag_cookie[0] = 0x11;
	m->id.idiag_cookie[1] = 0x2;
	a = (void *)(buf + NLMSG_ALIGN(len));
	a->nla_type = INET_DIAG_CGROUP_ID;
	a->nla_len = NLA_HDRLEN + sizeof(cg);
	memcpy((uint8_t *)a + NLA_HDRLEN, &cg, sizeof(cg));
	len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	nlh->nlmsg_len = (uint32_t)len;
	return len;
}

START_TEST(test_parse)
{
	uint8_t buf[256];
	struct sockdiag_answer a;
	struct nlmsghdr *nlh = (void *)buf;
	struct nlattr *at;
	size_t len = answer(buf, sizeof(buf));

	ck_assert_int_eq(sockdiag_parse(buf, len, &a), 1);
	ck_assert_uint_eq(a.inode, 424242);
	ck_assert_uint_eq(a.uid, 1000);
	ck_assert_uint_eq(a.state, 10);
	ck_assert_uint_eq(a.cookie, 0x200000011ull);
	ck_assert_uint_eq(a.cgroup, 0x1234567890ull);

	/* cut short: never read past what was received */
	ck_assert_int_eq(sockdiag_parse(buf, len - 1, &a), -EBADMSG);
	ck_assert_int_eq(sockdiag_parse(buf, 8, &a), -EBADMSG);
	/* an attribute longer than its message */
	at = (void *)(buf + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct inet_diag_msg))));
	at->nla_len = 200;
	ck_assert_int_eq(sockdiag_parse(buf, len, &a), -EBADMSG);

	/* no such socket */
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(nlh))->error = -ENOENT;
	ck_assert_int_eq(sockdiag_parse(buf, nlh->nlmsg_len, &a), -ENOENT);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	ck_assert_int_eq(sockdiag_parse(buf, nlh->nlmsg_len, &a), -EBADMSG);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_len = NLMSG_LENGTH(4);
	ck_assert_int_eq(sockdiag_parse(buf, nlh->nlmsg_len, &a), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sockdiag");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

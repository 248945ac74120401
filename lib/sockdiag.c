// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sockdiag.h"

static void put_end(uint8_t family, const struct sockdiag_end *e,
		    __be32 addr[4], __be16 *port)
{
	memcpy(addr, &e->addr, family == AF_INET ? 4 : 16);
	*port = htons(e->port);
}

size_t sockdiag_request(void *buf, size_t size, uint32_t seq, uint8_t family,
			uint8_t proto, const struct sockdiag_end *local,
			const struct sockdiag_end *remote)
{
	struct nlmsghdr *nlh = buf;
	struct inet_diag_req_v2 *r;
	size_t len = NLMSG_LENGTH(sizeof(*r));

	if (size < len || (family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	     proto != IPPROTO_UDPLITE))
		return 0;
	memset(buf, 0, len);
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	/* no NLM_F_DUMP: the kernel's exact lookup, not a walk */
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	r = NLMSG_DATA(nlh);
	r->sdiag_family = family;
	r->sdiag_protocol = proto;
	r->idiag_states = ~0u;
	r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (proto == IPPROTO_TCP) {
		put_end(family, local, r->id.idiag_src, &r->id.idiag_sport);
		put_end(family, remote, r->id.idiag_dst, &r->id.idiag_dport);
	} else {
		put_end(family, remote, r->id.idiag_src, &r->id.idiag_sport);
		put_end(family, local, r->id.idiag_dst, &r->id.idiag_dport);
	}
	return len;
}

int sockdiag_parse(const void *buf, size_t len, struct sockdiag_answer *a)
{
	const struct nlmsghdr *nlh = buf;
	const struct inet_diag_msg *m;
	const struct nlattr *at;
	size_t off, alen;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len)
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		return e->error < 0 ? e->error : -EBADMSG;
	}
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = NLMSG_DATA(nlh);
	memset(a, 0, sizeof(*a));
	a->inode = m->idiag_inode;
	a->uid = m->idiag_uid;
	a->state = m->idiag_state;
	a->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
		    m->id.idiag_cookie[0];
	off = NLMSG_LENGTH(sizeof(*m));
	off = NLMSG_ALIGN(off);
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		at = (const struct nlattr *)((const uint8_t *)buf + off);
		alen = at->nla_len;
		if (alen < NLA_HDRLEN || off + alen > nlh->nlmsg_len)
			return -EBADMSG;
		if ((at->nla_type & NLA_TYPE_MASK) == INET_DIAG_CGROUP_ID &&
		    alen >= NLA_HDRLEN + sizeof(uint64_t))
			memcpy(&a->cgroup, (const uint8_t *)at + NLA_HDRLEN,
			       sizeof(a->cgroup));
		off += NLA_ALIGN(alen);
	}
	return 1;
}

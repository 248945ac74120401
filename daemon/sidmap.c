// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stream-ID map elements (see sidmap.h): the only file that changes the
 * maps' contents; daemon/ruleset.c makes the maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "ruleset.h"
#include "sidmap.h"

/* elements per message: a message stays well inside one page */
#define ELEMS_PER_MSG	64
#define BATCH_BYTES	(1 << 18)
#define ANSWER_TIMEOUT_S	1

struct sidmap {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char *buf;
};

int sidmap_open(struct sidmap **ret)
{
	struct sidmap *sm = calloc(1, sizeof(*sm));
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	int err;

	if (!sm)
		return -ENOMEM;
	sm->buf = malloc(BATCH_BYTES);
	sm->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sm->buf || !sm->nl) {
		err = sm->buf ? -errno : -ENOMEM;
		sidmap_close(sm);
		return err;
	}
	if (mnl_socket_bind(sm->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(sm->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		err = -errno;
		sidmap_close(sm);
		return err;
	}
	sm->portid = mnl_socket_get_portid(sm->nl);
	sm->seq = (uint32_t)time(NULL);
	*ret = sm;
	return 0;
}

void sidmap_close(struct sidmap *sm)
{
	if (!sm)
		return;
	if (sm->nl)
		mnl_socket_close(sm->nl);
	free(sm->buf);
	free(sm);
}

static struct nftnl_set *map_of(uint8_t family, uint16_t zone)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char name[32];

	snprintf(name, sizeof(name), "sids_z%u", zone);
	if (s && (nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE) < 0 ||
		  nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)) {
		nftnl_set_free(s);
		return NULL;
	}
	if (s)
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	return s;
}

static int elem_put(struct nftnl_set *s, const struct sidmap_elem *e)
{
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();

	if (!se)
		return -ENOMEM;
	if (nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->sid, e->len) < 0 ||
	    nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, &e->mark,
			       sizeof(e->mark)) < 0) {
		nftnl_set_elem_free(se);
		return -ENOMEM;
	}
	nftnl_set_elem_set_u64(se, NFTNL_SET_ELEM_TIMEOUT, e->timeout_ms);
	nftnl_set_elem_add(s, se);
	return 0;
}

/* One message of type for the n elements at e, all of one zone. */
static int put_msg(struct sidmap *sm, struct mnl_nlmsg_batch *b, int type,
		   uint8_t family, const struct sidmap_elem *e, size_t n)
{
	struct nftnl_set *s = map_of(family, e[0].zone);
	struct nlmsghdr *nlh;
	size_t i;
	int err = s ? 0 : -ENOMEM;

	for (i = 0; !err && i < n; i++)
		err = elem_put(s, &e[i]);
	if (!err) {
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
			(uint16_t)type, family,
			NLM_F_ACK | (type == NFT_MSG_NEWSETELEM ?
				     NLM_F_CREATE : 0), ++sm->seq);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		mnl_nlmsg_batch_next(b);
	}
	if (s)
		nftnl_set_free(s);
	return err;
}

/*
 * The kernel handles a batch while we send it, so every answer is
 * waiting when sendto() returns: read until there is none. Returns how
 * many messages it refused, or -errno.
 */
static int read_answers(struct sidmap *sm, uint32_t first, uint32_t last)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int refused = 0;
	ssize_t n;

	for (;;) {
		const struct nlmsghdr *nlh;
		int len;

		n = recv(mnl_socket_get_fd(sm->nl), buf, sizeof(buf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? refused : -errno;
		len = (int)n;
		for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_seq >= first && nlh->nlmsg_seq <= last &&
			    err->error)
				refused++;
		}
	}
}

/* One batch of type for the n elements at e, in both tables. */
static int batch(struct sidmap *sm, int type, const struct sidmap_elem *e,
		 size_t n)
{
	static const uint8_t families[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	struct mnl_nlmsg_batch *b;
	uint32_t first;
	size_t i, run, f;
	int err = 0;

	b = mnl_nlmsg_batch_start(sm->buf, BATCH_BYTES);
	if (!b)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), ++sm->seq);
	mnl_nlmsg_batch_next(b);
	first = sm->seq + 1;
	for (i = 0; !err && i < n; i += run) {
		for (run = 1; i + run < n && run < ELEMS_PER_MSG &&
		     e[i + run].zone == e[i].zone; run++)
			;
		for (f = 0; !err && f < sizeof(families); f++)
			err = put_msg(sm, b, type, families[f], &e[i], run);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), ++sm->seq);
	mnl_nlmsg_batch_next(b);
	if (!err && mnl_socket_sendto(sm->nl, mnl_nlmsg_batch_head(b),
				      mnl_nlmsg_batch_size(b)) < 0)
		err = -errno;
	if (!err)
		err = read_answers(sm, first, sm->seq - 1);
	mnl_nlmsg_batch_stop(b);
	return err;
}

/*
 * A batch is all or nothing: one refused element (a sid still mapped
 * to another mark: EEXIST) keeps the others out too. Then each goes in
 * on its own.
 */
static int each(struct sidmap *sm, int type, const struct sidmap_elem *e,
		size_t n)
{
	size_t i;
	int err, refused = 0;

	err = batch(sm, type, e, n);
	if (err <= 0 || n == 1)
		return err < 0 ? err : err ? (int)n : 0;
	for (i = 0; i < n; i++) {
		err = batch(sm, type, &e[i], 1);
		if (err < 0)
			return err;
		refused += err > 0;
	}
	return refused;
}

int sidmap_put(struct sidmap *sm, const struct sidmap_elem *e, size_t n)
{
	return n ? each(sm, NFT_MSG_NEWSETELEM, e, n) : 0;
}

int sidmap_del(struct sidmap *sm, const struct sidmap_elem *e, size_t n)
{
	return n ? each(sm, NFT_MSG_DELSETELEM, e, n) : 0;
}

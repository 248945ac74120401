// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ruleset: the managed tables `table ip flowcached` and `table ip6
 * flowcached`, and the only file that talks to nf_tables.
 *
 * Why two tables and not one inet table: the masked mark copies need the
 * xt CONNMARK target (nft's `ct mark set ct mark and ~M or meta mark`
 * needs a bitwise with two register operands, which libnftnl 1.2.4
 * cannot build), and since the 2024 fix "netfilter: xtables: avoid
 * NFPROTO_UNSPEC where needed" CONNMARK is registered for IPv4 and IPv6
 * only: nft compat cannot find it from an inet table (ENOENT). The two
 * tables have the same chains; zone rules with addresses go to the
 * table of their family.
 *
 * Invariants:
 * - The tables change only through one batch: for each family add the
 *   table and delete it, then add both again with every chain, set and
 *   rule. The first add makes the delete valid when there was no table;
 *   the kernel commits the batch whole or not at all, so the old tables
 *   stay exactly as they were when anything in the new ones is refused,
 *   and no packet ever sees a ruleset without the queue rule.
 * - Every message but BEGIN/END asks for an ack, so each gets exactly one
 *   answer, matched by sequence number (seq0 is BEGIN, seq0 + 1 + i is
 *   message i). Answers to older batches are ignored. nfnetlink handles
 *   a batch inside our sendmsg(), so by the time it returns every answer
 *   is queued on the socket, or was dropped for lack of buffer (ENOBUFS);
 *   then we cannot know what happened, and since the batch replaces the
 *   tables whole, sending it again is harmless: we do, once, with more
 *   buffer.
 * - The queue statement: the native `queue` expression where the kernel
 *   has it, else the xt NFQUEUE target (rev 3) through nft compat, as
 *   iptables-nft emits it. The first successful apply decides; reloads
 *   reuse the answer.
 * - Mark copies touch the bits of marks.mask only: restore is
 *   meta = (meta & ~M) | (ct & M), save is ct = (ct & ~M) | (meta & M).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "log.h"
#include "ruleset.h"

/* Batch pages; no single message may grow past the overrun. */
#define BATCH_PAGE		(128 * 1024)
#define BATCH_OVERRUN		(64 * 1024)
/* Ranges per NEWSETELEM message, keeping each well under the overrun. */
#define RANGES_PER_MSG		256
/* An error echoes its request, so one answer is at most a message. */
#define RECV_BUF		(2 * BATCH_OVERRUN)
/* Answers are queued before sendmsg() returns; this only guards a
 * kernel that would one day answer later. */
#define REPLY_TIMEOUT_MS	5000
/* Receive buffer per message: an ack costs about 1 KiB of truesize. */
#define ACK_COST		1024
#define REPORT_MAX		8

/* Hook priorities, as iptables names them. */
#define PRIO_RAW		(-300)
#define PRIO_MANGLE		(-150)
#define PRIO_NAT_DST		(-100)

/* nft's datatype numbers and byte orders, kept in set metadata so that
 * `nft list` prints names, addresses and ports instead of hex. */
#define NFT_TYPE_INTEGER	4
#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_IP6ADDR	8
#define NFT_TYPE_INET_SERVICE	13
#define NFT_TYPE_MARK		19
#define NFT_TYPE_IFNAME		41
#define NFT_BYTEORDER_HOST	1
#define NFT_BYTEORDER_BIG	2

enum queue_backend {
	QUEUE_UNPROBED,
	QUEUE_NFT,
	QUEUE_XT,
};

struct ruleset {
	struct mnl_socket *nl;
	uint32_t seq;
	enum queue_backend backend;
	int rcvbuf, sndbuf;		/* what we asked the socket for */
	char *rbuf;
};

enum obj {
	OBJ_TABLE,
	OBJ_CHAIN,
	OBJ_SET,
	OBJ_ELEMS,
	OBJ_RULE,
};

/* One message of a batch, and the kernel's answer to it. */
struct msg {
	enum obj obj;
	uint8_t family;
	const char *chain;
	unsigned int rule;		/* position in the chain, from 1 */
	bool queue;			/* the rule holds the queue statement */
	char what[128];
	int status;			/* 1: no answer yet, else 0 or -errno */
	unsigned int expr;		/* refused expression from 1, or 0 */
	char expr_name[16];
	char ext_msg[128];		/* the kernel's extack text, if any */
};

struct batch {
	struct nftnl_batch *nb;
	uint8_t family;			/* of the messages put from now on */
	struct msg *msgs;
	size_t n, cap;
	uint32_t seq0;
	uint32_t set_id;
	int err;			/* building failed: -ENOMEM */
	int batch_err;			/* answer to BEGIN: the whole batch */
	char batch_ext_msg[128];
	size_t pending;
	bool lost;			/* answers were dropped (ENOBUFS) */
};

struct chain_spec {
	const char *name;
	uint32_t hook;
	int prio;
	bool output;
	const char *type;		/* NULL: "filter" */
};

enum {
	CH_ZONE_PRE,
	CH_ZONE_OUT,
	CH_DECIDE_PRE,
	CH_DECIDE_OUT,
	CH_SAVE_PRE,
	CH_SAVE_OUT,
	CH_NAT_PRE,
	CH_MAX,
};

/*
 * Zones before conntrack (raw), so the entry is created in its zone; the
 * decision at mangle; the save one step after it, so that a packet the
 * daemon accepted with a mark re-enters right there.
 */
#define PRE	NF_INET_PRE_ROUTING
#define OUT	NF_INET_LOCAL_OUT
static const struct chain_spec chains[CH_MAX] = {
	[CH_ZONE_PRE]	= { "zone_prerouting",	 PRE, PRIO_RAW,	       false },
	[CH_ZONE_OUT]	= { "zone_output",	 OUT, PRIO_RAW,	       true },
	[CH_DECIDE_PRE]	= { "decide_prerouting", PRE, PRIO_MANGLE,     false },
	[CH_DECIDE_OUT]	= { "decide_output",	 OUT, PRIO_MANGLE,     true },
	[CH_SAVE_PRE]	= { "save_prerouting",	 PRE, PRIO_MANGLE + 1, false },
	[CH_SAVE_OUT]	= { "save_output",	 OUT, PRIO_MANGLE + 1, true },
	[CH_NAT_PRE]	= { "nat_prerouting",	 PRE, PRIO_NAT_DST,    false,
			    "nat" },
};
#undef PRE
#undef OUT

/* A closed range of keys in network byte order, left-aligned. */
struct krange {
	uint8_t lo[16], hi[16];
};

/* The keys of one match (interface names, prefixes, ports). */
struct keys {
	const char *what;
	uint32_t type, len, byteorder;
	bool interval;
	size_t n;
	struct krange *v;
	char set[32];			/* the set holding them, if any */
	uint32_t set_id;
};

static const char *backend_name(enum queue_backend qb)
{
	switch (qb) {
	case QUEUE_NFT:
		return "nft queue";
	case QUEUE_XT:
		return "xt NFQUEUE (compat)";
	case QUEUE_UNPROBED:
		break;
	}
	return "not probed yet";
}

const char *ruleset_queue_backend(const struct ruleset *rs)
{
	return backend_name(rs->backend);
}

/* snprintf at *len, clamped: a long name shortens a message, no more. */
static void __attribute__((format(printf, 4, 5)))
appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

/* ---- building a batch ------------------------------------------------ */

static int batch_init(struct batch *b, uint32_t seq0)
{
	memset(b, 0, sizeof(*b));
	b->seq0 = seq0;
	b->nb = nftnl_batch_alloc(BATCH_PAGE, BATCH_OVERRUN);
	if (!b->nb)
		return -ENOMEM;
	nftnl_batch_begin(nftnl_batch_buffer(b->nb), seq0);
	if (nftnl_batch_update(b->nb) < 0)
		return -ENOMEM;
	return 0;
}

static void batch_fini(struct batch *b)
{
	if (b->nb)
		nftnl_batch_free(b->nb);
	free(b->msgs);
}

/* Start message number b->n; its payload follows, then batch_next(). */
static struct nlmsghdr *batch_put(struct batch *b, uint16_t type,
				  uint16_t flags, enum obj obj,
				  const char *chain, unsigned int rule,
				  struct msg **ret)
{
	struct msg *m;

	if (b->err)
		return NULL;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct msg *v = reallocarray(b->msgs, cap, sizeof(*v));

		if (!v) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->msgs = v;
		b->cap = cap;
	}
	m = &b->msgs[b->n];
	memset(m, 0, sizeof(*m));
	m->obj = obj;
	m->family = b->family;
	m->chain = chain;
	m->rule = rule;
	m->status = 1;
	if (ret)
		*ret = m;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->nb), type,
				     b->family, flags | NLM_F_ACK,
				     b->seq0 + 1 + (uint32_t)b->n++);
}

static void batch_next(struct batch *b)
{
	if (nftnl_batch_update(b->nb) < 0)
		b->err = -ENOMEM;
}

static void batch_end(struct batch *b)
{
	if (b->err)
		return;
	nftnl_batch_end(nftnl_batch_buffer(b->nb),
			b->seq0 + 1 + (uint32_t)b->n);
	batch_next(b);
}

/* The comment tells whoever reads `nft list ruleset` where it comes from. */
static int table_comment(struct nftnl_table *t)
{
	struct nftnl_udata_buf *ud;
	int ret = -ENOMEM;

	ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 2);
	if (ud && nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT,
				       "managed by flowcached: replaced on "
				       "every reload, edits are lost") &&
	    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA,
				 nftnl_udata_buf_data(ud),
				 nftnl_udata_buf_len(ud)) == 0)
		ret = 0;
	if (ud)
		nftnl_udata_buf_free(ud);
	return ret;
}

static void put_table(struct batch *b, uint16_t type)
{
	bool add = type == NFT_MSG_NEWTABLE;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, RULESET_TABLE) < 0 ||
	    (add && table_comment(t) < 0)) {
		b->err = -ENOMEM;
		goto out;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, b->family);
	nlh = batch_put(b, type, add ? NLM_F_CREATE : 0, OBJ_TABLE, NULL, 0,
			NULL);
	if (!nlh)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_next(b);
out:
	if (t)
		nftnl_table_free(t);
}

static void put_chain(struct batch *b, const struct chain_spec *cs)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	struct msg *m;

	if (b->err)
		return;
	c = nftnl_chain_alloc();
	if (!c ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, RULESET_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, cs->name) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE,
				cs->type ? cs->type : "filter") < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, b->family);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, cs->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, cs->prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = batch_put(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, OBJ_CHAIN,
			cs->name, 0, &m);
	if (!nlh)
		goto out;
	snprintf(m->what, sizeof(m->what), "hook %s priority %d",
		 cs->output ? "output" : "prerouting", cs->prio);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_next(b);
out:
	if (c)
		nftnl_chain_free(c);
}

/* ---- expressions ----------------------------------------------------- */

static struct nftnl_expr *put_expr(struct batch *b, struct nftnl_rule *r,
				   const char *name)
{
	struct nftnl_expr *e;

	if (b->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		b->err = -ENOMEM;
		return NULL;
	}
	nftnl_rule_add_expr(r, e);
	return e;
}

/* A "meta" or "ct" expression: key, and which register it reads or fills. */
static void put_keyed(struct batch *b, struct nftnl_rule *r, const char *name,
		      uint16_t key_attr, uint32_t key, uint16_t reg_attr)
{
	struct nftnl_expr *e = put_expr(b, r, name);

	if (!e)
		return;
	nftnl_expr_set_u32(e, key_attr, key);
	nftnl_expr_set_u32(e, reg_attr, NFT_REG_1);
}

static void put_meta(struct batch *b, struct nftnl_rule *r, uint32_t key)
{
	put_keyed(b, r, "meta", NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_DREG);
}

static void put_ct_load(struct batch *b, struct nftnl_rule *r, uint32_t key)
{
	put_keyed(b, r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_DREG);
}

static void put_ct_set(struct batch *b, struct nftnl_rule *r, uint32_t key)
{
	put_keyed(b, r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_SREG);
}

static void put_payload(struct batch *b, struct nftnl_rule *r, uint32_t base,
			uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = put_expr(b, r, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
}

static void put_cmp(struct batch *b, struct nftnl_rule *r, uint32_t op,
		    const void *data, uint32_t len)
{
	struct nftnl_expr *e = put_expr(b, r, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void put_cmp_u8(struct batch *b, struct nftnl_rule *r, uint8_t v)
{
	put_cmp(b, r, NFT_CMP_EQ, &v, sizeof(v));
}

/* reg1 = reg1 & mask, then compare it with value */
static void put_mask_cmp(struct batch *b, struct nftnl_rule *r,
			 uint32_t mask, uint32_t op, uint32_t value)
{
	struct nftnl_expr *e = put_expr(b, r, "bitwise");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	put_cmp(b, r, op, &value, sizeof(value));
}

/* reg1 = reg1 & mask, then compare it with 0 */
static void put_mask_test(struct batch *b, struct nftnl_rule *r,
			  uint32_t mask, uint32_t op)
{
	put_mask_cmp(b, r, mask, op, 0);
}

static void put_lookup(struct batch *b, struct nftnl_rule *r,
		       const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = put_expr(b, r, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		b->err = -ENOMEM;
}

static void put_imm_data(struct batch *b, struct nftnl_rule *r,
			 const void *data, uint32_t len)
{
	struct nftnl_expr *e = put_expr(b, r, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void put_accept(struct batch *b, struct nftnl_rule *r)
{
	struct nftnl_expr *e = put_expr(b, r, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
}

static void put_counter(struct batch *b, struct nftnl_rule *r)
{
	put_expr(b, r, "counter");
}

/* An xt target through nft compat; info is copied, padded as xt wants. */
static void put_target(struct batch *b, struct nftnl_rule *r, const char *name,
		       uint32_t rev, const void *info, size_t len)
{
	struct nftnl_expr *e = put_expr(b, r, "target");
	void *data;

	if (!e)
		return;
	/* the kernel wants exactly XT_ALIGN(targetsize) bytes */
	data = calloc(1, XT_ALIGN(len));
	if (!data || nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, name) < 0) {
		free(data);
		b->err = -ENOMEM;
		return;
	}
	memcpy(data, info, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, rev);
	/* the expression owns data from here on */
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, data, XT_ALIGN(len));
}

/*
 * Revision 2 with no shift does what revision 1 does; it is what
 * iptables-nft emits and what nft's xt printer decodes (it reads every
 * CONNMARK as revision 2 and shows revision 1 as a "set").
 */
/* meta = (meta & ~nfmask) | (ct & ctmask) (restore), ct likewise (save) */
static void put_connmark2(struct batch *b, struct nftnl_rule *r, uint8_t mode,
			  uint32_t ctmask, uint32_t nfmask)
{
	struct xt_connmark_tginfo2 info = {
		.ctmask = ctmask,
		.nfmask = nfmask,
		.mode = mode,
	};

	put_target(b, r, "CONNMARK", 2, &info, sizeof(info));
}

static void put_connmark(struct batch *b, struct nftnl_rule *r, uint8_t mode,
			 uint32_t mask)
{
	put_connmark2(b, r, mode, mask, mask);
}

static void put_queue(struct batch *b, struct nftnl_rule *r,
		      enum queue_backend qb, uint16_t first, uint16_t count)
{
	struct xt_NFQ_info_v3 info = {
		.queuenum = first,
		.queues_total = count,
		.flags = NFQ_FLAG_BYPASS,
	};
	struct nftnl_expr *e;

	if (qb == QUEUE_XT) {
		put_target(b, r, "NFQUEUE", 3, &info, sizeof(info));
		return;
	}
	e = put_expr(b, r, "queue");
	if (!e)
		return;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, first);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, count);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, NFT_QUEUE_FLAG_BYPASS);
}

/* ---- rules ------------------------------------------------------------ */

static struct nftnl_rule *rule_start(struct batch *b, const char *chain)
{
	struct nftnl_rule *r;

	if (b->err)
		return NULL;
	r = nftnl_rule_alloc();
	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, RULESET_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		if (r)
			nftnl_rule_free(r);
		b->err = -ENOMEM;
		return NULL;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, b->family);
	return r;
}

/* Serialize r as the rule at position pos of chain, with a comment that
 * `nft list` shows and tests look rules up by. Frees r. */
static void rule_emit(struct batch *b, struct nftnl_rule *r, const char *chain,
		      unsigned int pos, const char *comment, const char *what,
		      bool queue)
{
	struct nftnl_udata_buf *ud = NULL;
	struct nlmsghdr *nlh;
	struct msg *m;

	if (!r)
		return;
	if (b->err)
		goto out;
	ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 2);
	if (!ud ||
	    !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment) ||
	    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA,
				nftnl_udata_buf_data(ud),
				nftnl_udata_buf_len(ud)) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nlh = batch_put(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			OBJ_RULE, chain, pos, &m);
	if (!nlh)
		goto out;
	m->queue = queue;
	snprintf(m->what, sizeof(m->what), "%s", what);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_next(b);
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	nftnl_rule_free(r);
}

/* ---- sets ------------------------------------------------------------ */

static int krange_cmp(const void *a, const void *b)
{
	return memcmp(((const struct krange *)a)->lo,
		      ((const struct krange *)b)->lo, 16);
}

/* k += 1 over its first len bytes; false when it wraps past the top. */
static bool key_inc(uint8_t *k, uint32_t len)
{
	while (len--)
		if (++k[len])
			return true;
	return false;
}

/*
 * Sort, and merge what overlaps or touches: the kernel refuses
 * overlapping intervals (EEXIST), and a hash set wants each key once.
 */
static void keys_normalize(struct keys *k)
{
	size_t i, out = 0;

	if (k->n < 2)
		return;
	qsort(k->v, k->n, sizeof(*k->v), krange_cmp);
	for (i = 1; i < k->n; i++) {
		struct krange *cur = &k->v[out], *nx = &k->v[i];
		uint8_t after[16];
		bool joins;

		if (k->interval) {
			memcpy(after, cur->hi, sizeof(after));
			joins = !key_inc(after, k->len) ||
				memcmp(nx->lo, after, sizeof(after)) <= 0;
		} else {
			joins = !memcmp(nx->lo, cur->lo, sizeof(nx->lo));
		}
		if (!joins)
			k->v[++out] = *nx;
		else if (memcmp(nx->hi, cur->hi, sizeof(nx->hi)) > 0)
			memcpy(cur->hi, nx->hi, sizeof(cur->hi));
	}
	k->n = out + 1;
}

static int keys_alloc(struct keys *k, size_t n)
{
	k->n = 0;
	k->v = n ? calloc(n, sizeof(*k->v)) : NULL;
	return n && !k->v ? -ENOMEM : 0;
}

static int keys_ifnames(struct keys *k, const struct ifname_list *l)
{
	size_t i;

	*k = (struct keys){ .what = "interface names", .type = NFT_TYPE_IFNAME,
			    .len = IFNAMSIZ, .byteorder = NFT_BYTEORDER_HOST };
	if (keys_alloc(k, l->n) < 0)
		return -ENOMEM;
	for (i = 0; i < l->n; i++, k->n++) {
		/* meta iifname loads IFNAMSIZ bytes, zero-padded */
		memcpy(k->v[i].lo, l->v[i], strnlen(l->v[i], IFNAMSIZ - 1));
		memcpy(k->v[i].hi, k->v[i].lo, sizeof(k->v[i].hi));
	}
	keys_normalize(k);
	return 0;
}

static int keys_prefixes(struct keys *k, const struct prefix_list *l,
			 int family)
{
	bool v4 = family == AF_INET;
	size_t i;

	*k = (struct keys){ .what = v4 ? "ipv4 addresses" : "ipv6 addresses",
			    .type = v4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR,
			    .len = v4 ? 4 : 16, .byteorder = NFT_BYTEORDER_BIG,
			    .interval = true };
	if (keys_alloc(k, l->n) < 0)
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		const struct prefix *p = &l->v[i];
		struct krange *kr = &k->v[k->n];
		unsigned int bit;

		if (p->family != family)
			continue;
		memcpy(kr->lo, p->addr.b, k->len);
		memcpy(kr->hi, p->addr.b, k->len);
		for (bit = p->len; bit < k->len * 8; bit++)
			kr->hi[bit / 8] |= 0x80 >> (bit % 8);
		k->n++;
	}
	keys_normalize(k);
	return 0;
}

static int keys_ports(struct keys *k, const struct port_list *l)
{
	size_t i;

	*k = (struct keys){ .what = "ports", .type = NFT_TYPE_INET_SERVICE,
			    .len = 2, .byteorder = NFT_BYTEORDER_BIG,
			    .interval = true };
	if (keys_alloc(k, l->n) < 0)
		return -ENOMEM;
	for (i = 0; i < l->n; i++, k->n++) {
		uint16_t lo = htons(l->v[i].lo), hi = htons(l->v[i].hi);

		memcpy(k->v[i].lo, &lo, sizeof(lo));
		memcpy(k->v[i].hi, &hi, sizeof(hi));
	}
	keys_normalize(k);
	return 0;
}

static int elem_udata_open(struct nftnl_set_elem *e)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(8);
	int ret = -ENOMEM;

	/* only for `nft list`: the range runs to the end of the key space */
	if (ud && nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_ELEM_FLAGS,
				      NFTNL_SET_ELEM_F_INTERVAL_OPEN) &&
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
			       nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) == 0)
		ret = 0;
	if (ud)
		nftnl_udata_buf_free(ud);
	return ret;
}

static int elem_add(struct nftnl_set *s, const uint8_t *key, uint32_t len,
		    bool end, bool open)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -ENOMEM;
	if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len) < 0 ||
	    (open && elem_udata_open(e) < 0)) {
		nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
				       NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
	return 0;
}

static struct nftnl_set *set_new(struct batch *b, const struct keys *k)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, k->set) < 0) {
		if (s)
			nftnl_set_free(s);
		b->err = -ENOMEM;
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, b->family);
	nftnl_set_set_u32(s, NFTNL_SET_ID, k->set_id);
	return s;
}

/* The elements of k, RANGES_PER_MSG ranges per message. */
static void put_elems(struct batch *b, const struct keys *k)
{
	size_t i = 0;

	while (!b->err && i < k->n) {
		struct nftnl_set *s = set_new(b, k);
		size_t stop = k->n - i > RANGES_PER_MSG ? i + RANGES_PER_MSG
							: k->n;
		struct nlmsghdr *nlh;
		struct msg *m;

		if (!s)
			return;
		for (; i < stop; i++) {
			uint8_t end[16];
			bool open;

			memcpy(end, k->v[i].hi, sizeof(end));
			open = k->interval && !key_inc(end, k->len);
			if (elem_add(s, k->v[i].lo, k->len, false, open) < 0 ||
			    (k->interval && !open &&
			     elem_add(s, end, k->len, true, false) < 0)) {
				b->err = -ENOMEM;
				break;
			}
		}
		nlh = batch_put(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, OBJ_ELEMS,
				NULL, 0, &m);
		if (nlh) {
			snprintf(m->what, sizeof(m->what), "%s (%s)", k->set,
				 k->what);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			batch_next(b);
		}
		nftnl_set_free(s);
	}
}

/*
 * A named constant set holding k, for the zone's rules to share. Named,
 * not anonymous: an anonymous set serves one rule only, and binding one
 * makes the kernel walk the whole batch (1000 zones took half a minute).
 */
static void put_set(struct batch *b, struct keys *k, uint16_t zone,
		    const char *kind)
{
	struct nftnl_udata_buf *ud = NULL;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	struct msg *m;

	if (b->err)
		return;
	snprintf(k->set, sizeof(k->set), "zone%u_%s", zone, kind);
	k->set_id = ++b->set_id;
	s = set_new(b, k);
	if (!s)
		return;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_CONSTANT |
			  (k->interval ? NFT_SET_INTERVAL : 0));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, k->type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, k->len);
	ud = nftnl_udata_buf_alloc(16);
	if (!ud || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
					k->byteorder) ||
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nlh = batch_put(b, NFT_MSG_NEWSET, NLM_F_CREATE, OBJ_SET, NULL, 0, &m);
	if (!nlh)
		goto out;
	snprintf(m->what, sizeof(m->what), "%s (%s)", k->set, k->what);
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_next(b);
	/* elements before the rules: a bound constant set takes no more */
	put_elems(b, k);
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	nftnl_set_free(s);
}

/* A list of more than one range goes into a set; see put_match(). */
static void put_set_if_list(struct batch *b, struct keys *k, uint16_t zone,
			    const char *kind)
{
	if (k->n > 1)
		put_set(b, k, zone, kind);
}

/* reg1 holds a key: compare it with k's one key or range, or look it up
 * in k's set. */
static void put_match(struct batch *b, struct nftnl_rule *r,
		      const struct keys *k)
{
	const struct krange *kr = &k->v[0];
	struct nftnl_expr *e;

	if (k->set_id) {
		put_lookup(b, r, k->set, k->set_id);
		return;
	}
	if (!memcmp(kr->lo, kr->hi, sizeof(kr->lo))) {
		put_cmp(b, r, NFT_CMP_EQ, kr->lo, k->len);
		return;
	}
	e = put_expr(b, r, "range");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, kr->lo, k->len);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, kr->hi, k->len);
}

/* ---- the table -------------------------------------------------------- */

enum end { END_ANY, END_SRC, END_DST };

/* A zone's keys, addresses only of the family of the table being built. */
struct zone_keys {
	struct keys iif, addr, port;
};

static void zone_keys_free(struct zone_keys *zk)
{
	free(zk->iif.v);
	free(zk->addr.v);
	free(zk->port.v);
}

/* The zone's keys for the family being built, and their sets. */
static int zone_keys_init(struct batch *b, struct zone_keys *zk,
			  const struct zone_conf *z)
{
	memset(zk, 0, sizeof(*zk));
	if (keys_ifnames(&zk->iif, &z->match.iif) < 0 ||
	    keys_prefixes(&zk->addr, &z->match.addr, b->family == NFPROTO_IPV4 ?
			  AF_INET : AF_INET6) < 0 ||
	    keys_ports(&zk->port, &z->match.port) < 0) {
		zone_keys_free(zk);
		b->err = -ENOMEM;
		return b->err;
	}
	put_set_if_list(b, &zk->iif, z->id, "iif");
	put_set_if_list(b, &zk->addr, z->id, "addr");
	put_set_if_list(b, &zk->port, z->id, "port");
	return 0;
}

/*
 * [iifname|oifname in K] [meta l4proto P] [saddr|daddr in K]
 * [th sport|dport in K] ct zone set ID accept
 */
static void zone_rule(struct batch *b, const struct chain_spec *cs,
		      const struct zone_conf *z, const struct zone_keys *zk,
		      enum end addr, enum end port, unsigned int pos)
{
	struct nftnl_rule *r = rule_start(b, cs->name);
	bool v4 = b->family == NFPROTO_IPV4;
	char comment[64], what[128];
	uint16_t zone = z->id;
	size_t len = 0;

	if (!r)
		return;
	appendf(what, sizeof(what), &len, "zone %u \"%s\":", z->id, z->name);
	if (zk->iif.n) {
		put_meta(b, r, cs->output ? NFT_META_OIFNAME
					  : NFT_META_IIFNAME);
		put_match(b, r, &zk->iif);
		appendf(what, sizeof(what), &len, " %s",
			cs->output ? "oifname" : "iifname");
	}
	if (z->match.proto) {
		put_meta(b, r, NFT_META_L4PROTO);
		put_cmp_u8(b, r, z->match.proto);
		appendf(what, sizeof(what), &len, " l4proto %u",
			z->match.proto);
	}
	if (addr != END_ANY) {
		put_payload(b, r, NFT_PAYLOAD_NETWORK_HEADER,
			    v4 ? (addr == END_SRC ? 12 : 16) :
				 (addr == END_SRC ? 8 : 24), zk->addr.len);
		put_match(b, r, &zk->addr);
		appendf(what, sizeof(what), &len, " %s",
			addr == END_SRC ? "saddr" : "daddr");
	}
	if (port != END_ANY) {
		put_payload(b, r, NFT_PAYLOAD_TRANSPORT_HEADER,
			    port == END_SRC ? 0 : 2, 2);
		put_match(b, r, &zk->port);
		appendf(what, sizeof(what), &len, " th %s",
			port == END_SRC ? "sport" : "dport");
	}
	/* ct zone takes host byte order */
	put_imm_data(b, r, &zone, sizeof(zone));
	put_ct_set(b, r, NFT_CT_ZONE);
	put_accept(b, r);
	snprintf(comment, sizeof(comment), "zone %u %s", z->id, z->name);
	rule_emit(b, r, cs->name, pos, comment, what, false);
}

/*
 * A zone's addresses and ports match "either end": the raw hook runs
 * before conntrack knows which way a packet goes, so each form gets its
 * own rule and both directions of a flow land in the same zone. A zone
 * with addresses only of the other family has no rule here.
 */
static void zone_rules(struct batch *b, const struct chain_spec *cs,
		       const struct zone_conf *z, const struct zone_keys *zk,
		       unsigned int *pos)
{
	static const enum end both[] = { END_SRC, END_DST };
	static const enum end any[] = { END_ANY };
	const enum end *aends = z->match.addr.n ? both : any;
	const enum end *pends = z->match.port.n ? both : any;
	size_t na = z->match.addr.n ? 2 : 1, np = z->match.port.n ? 2 : 1;
	size_t a, p;

	if (z->match.addr.n && !zk->addr.n)
		return;
	for (a = 0; a < na; a++)
		for (p = 0; p < np; p++)
			zone_rule(b, cs, z, zk, aends[a], pends[p], ++*pos);
}

/* The map of a zone's stream IDs, filled by the daemon (daemon/sidmap.c):
 * sid -> the mark of its backend, each element for idle_timeout. */
static void put_sid_map(struct batch *b, const struct zone_conf *z,
			uint32_t set_id)
{
	const struct l7_conf *l = &z->l7;
	struct nftnl_udata_buf *ud = NULL;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	struct msg *m;
	char name[32];

	if (b->err)
		return;
	snprintf(name, sizeof(name), "sids_z%u", z->id);
	s = nftnl_set_alloc();
	ud = nftnl_udata_buf_alloc(16);
	if (!s || !ud ||
	    nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0 ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				 NFT_BYTEORDER_BIG) ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER,
				 NFT_BYTEORDER_HOST) ||
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, b->family);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP | NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_INTEGER);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, l->length);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_TYPE_MARK);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sizeof(uint32_t));
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT,
			  (uint64_t)l->idle_timeout * 1000);
	nlh = batch_put(b, NFT_MSG_NEWSET, NLM_F_CREATE, OBJ_SET, NULL, 0, &m);
	if (!nlh)
		goto out;
	snprintf(m->what, sizeof(m->what), "%s (stream IDs of zone %u)", name,
		 z->id);
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_next(b);
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (s)
		nftnl_set_free(s);
}

/*
 * ct zone Z meta l4proto P th dport PORTS
 *	meta mark set @ih,OFFSET,LENGTH map @sids_zZ
 * A sid the map does not hold leaves the mark as it was (the lookup
 * ends the rule), and the packet goes on to the queue.
 */
static void sid_rule(struct batch *b, const struct chain_spec *cs,
		     const struct zone_conf *z, unsigned int pos)
{
	const struct l7_conf *l = &z->l7;
	uint32_t set_id = ++b->set_id;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	struct keys ports;
	char name[32], what[96];
	uint16_t zone = z->id;

	if (keys_ports(&ports, &l->ports) < 0) {
		b->err = -ENOMEM;
		return;
	}
	put_sid_map(b, z, set_id);
	put_set_if_list(b, &ports, z->id, "l7port");
	r = rule_start(b, cs->name);
	if (r) {
		put_ct_load(b, r, NFT_CT_ZONE);
		put_cmp(b, r, NFT_CMP_EQ, &zone, sizeof(zone));
		put_meta(b, r, NFT_META_L4PROTO);
		put_cmp_u8(b, r, l->proto);
		put_payload(b, r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		put_match(b, r, &ports);
		put_payload(b, r, NFT_PAYLOAD_INNER_HEADER, l->offset,
			    l->length);
		snprintf(name, sizeof(name), "sids_z%u", z->id);
		e = put_expr(b, r, "lookup");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
			if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
					       name) < 0)
				b->err = -ENOMEM;
		}
		put_keyed(b, r, "meta", NFTNL_EXPR_META_KEY, NFT_META_MARK,
			  NFTNL_EXPR_META_SREG);
		put_counter(b, r);
		snprintf(what, sizeof(what), "zone %u: mark set @ih,%u,%u map "
			 "@%s", z->id, l->offset * 8, l->length * 8, name);
		rule_emit(b, r, cs->name, pos, "sid", what, false);
	}
	free(ports.v);
}

/*
 * Known stream IDs: each l7 zone's map rule, then, for a packet one of
 * them marked, accept; the save chain keeps its mark in conntrack and
 * the nat chain sends it to its backend. No packet of such a sid is
 * queued, on whatever 5-tuple it comes.
 */
static void sid_rules(struct batch *b, const struct chain_spec *cs,
		      const struct config *cfg, unsigned int *pos)
{
	struct nftnl_rule *r;
	bool any = false;
	size_t i;

	for (i = 0; i < cfg->n_zones; i++)
		if (cfg->zones[i].l7.proto) {
			sid_rule(b, cs, &cfg->zones[i], (*pos)++);
			any = true;
		}
	if (!any)
		return;
	r = rule_start(b, cs->name);
	if (r) {
		put_meta(b, r, NFT_META_MARK);
		put_mask_test(b, r, cfg->marks.decided, NFT_CMP_NEQ);
		put_counter(b, r);
		put_accept(b, r);
		rule_emit(b, r, cs->name, (*pos)++, "sid-fastpath",
			  "known stream ID: accept", false);
	}
}

/* Whether a backend of cfg needs the nat chain of family. */
static bool backend_nat(const struct l7_backend *be, uint8_t family)
{
	if (be->family)
		return (be->family == AF_INET) == (family == NFPROTO_IPV4);
	return be->port != 0;
}

static bool nat_needed(const struct config *cfg, uint8_t family)
{
	size_t i, k;

	for (i = 0; i < cfg->n_zones; i++)
		for (k = 0; k < cfg->zones[i].l7.n_backends; k++)
			if (backend_nat(&cfg->zones[i].l7.backends[k], family))
				return true;
	return false;
}

static void put_imm_reg(struct batch *b, struct nftnl_rule *r, uint32_t reg,
			const void *data, uint32_t len)
{
	struct nftnl_expr *e = put_expr(b, r, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

/*
 * meta mark & MASK == BACKEND dnat to ADDR[:PORT], or redirect to :PORT
 * for a backend without an address. The nat chain sees a connection's
 * first packet only, so what a flow was sent to stays put.
 */
static void nat_rules(struct batch *b, const struct chain_spec *cs,
		      const struct config *cfg)
{
	unsigned int pos = 1;
	size_t i, k;

	for (i = 0; i < cfg->n_zones; i++) {
		const struct zone_conf *z = &cfg->zones[i];

		for (k = 0; k < z->l7.n_backends; k++) {
			const struct l7_backend *be = &z->l7.backends[k];
			uint16_t port = htons(be->port);
			struct nftnl_rule *r;
			struct nftnl_expr *e;
			char what[96];

			if (!backend_nat(be, b->family))
				continue;
			r = rule_start(b, cs->name);
			if (!r)
				return;
			put_meta(b, r, NFT_META_MARK);
			put_mask_cmp(b, r, cfg->marks.mask, NFT_CMP_EQ,
				     be->mark | cfg->marks.decided);
			put_counter(b, r);
			if (be->family) {
				put_imm_reg(b, r, NFT_REG_1, &be->addr,
					    be->family == AF_INET ? 4 : 16);
				if (be->port)
					put_imm_reg(b, r, NFT_REG_2, &port,
						    sizeof(port));
				e = put_expr(b, r, "nat");
				if (e) {
					nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE,
							   NFT_NAT_DNAT);
					nftnl_expr_set_u32(e,
						NFTNL_EXPR_NAT_FAMILY, b->family);
					nftnl_expr_set_u32(e,
						NFTNL_EXPR_NAT_REG_ADDR_MIN,
						NFT_REG_1);
					if (be->port) {
						nftnl_expr_set_u32(e,
						NFTNL_EXPR_NAT_REG_PROTO_MIN,
						NFT_REG_2);
						nftnl_expr_set_u32(e,
						NFTNL_EXPR_NAT_FLAGS,
						NF_NAT_RANGE_PROTO_SPECIFIED);
					}
				}
			} else {
				put_imm_reg(b, r, NFT_REG_1, &port,
					    sizeof(port));
				e = put_expr(b, r, "redir");
				if (e) {
					nftnl_expr_set_u32(e,
						NFTNL_EXPR_REDIR_REG_PROTO_MIN,
						NFT_REG_1);
					nftnl_expr_set_u32(e,
						NFTNL_EXPR_REDIR_FLAGS,
						NF_NAT_RANGE_PROTO_SPECIFIED);
				}
			}
			snprintf(what, sizeof(what), "zone %u backend %s",
				 z->id, be->name);
			rule_emit(b, r, cs->name, pos++, "backend", what, false);
		}
	}
}

static void decide_rules(struct batch *b, const struct chain_spec *cs,
			 const struct config *cfg, enum queue_backend qb)
{
	struct nftnl_rule *r;
	char what[64];

	uint32_t pin = cfg->routes.pin_mask, pin_reply = cfg->routes.pin_reply_mask;
	unsigned int pos = 1;

	/* decided: restore the mark bits we own, leave the others, done.
	 * With pinned next hops, a packet carries its own direction's only:
	 * a reply routed by the original's next hop would go back out. */
	if (pin) {
		r = rule_start(b, cs->name);
		if (r) {
			put_ct_load(b, r, NFT_CT_MARK);
			put_mask_test(b, r, cfg->marks.decided, NFT_CMP_NEQ);
			put_ct_load(b, r, NFT_CT_DIRECTION);
			put_cmp_u8(b, r, IP_CT_DIR_REPLY);
			put_counter(b, r);
			put_connmark2(b, r, XT_CONNMARK_RESTORE,
				      cfg->marks.mask & ~pin, cfg->marks.mask);
			put_accept(b, r);
			rule_emit(b, r, cs->name, pos++, "fastpath-reply",
				  "fast path, replies: xt CONNMARK restore",
				  false);
		}
	}
	r = rule_start(b, cs->name);
	if (r) {
		put_ct_load(b, r, NFT_CT_MARK);
		put_mask_test(b, r, cfg->marks.decided, NFT_CMP_NEQ);
		put_counter(b, r);
		put_connmark2(b, r, XT_CONNMARK_RESTORE,
			      cfg->marks.mask & ~pin_reply, cfg->marks.mask);
		put_accept(b, r);
		rule_emit(b, r, cs->name, pos++, "fastpath",
			  "fast path: xt CONNMARK restore", false);
	}
	if (!cs->output)
		sid_rules(b, cs, cfg, &pos);
	/* undecided: to the daemon; with nobody listening, on (bypass) */
	r = rule_start(b, cs->name);
	if (r) {
		put_counter(b, r);
		put_queue(b, r, qb, cfg->queues.first, cfg->queues.count);
		snprintf(what, sizeof(what), "queue: %s",
			 qb == QUEUE_XT ? "xt NFQUEUE" : "nft queue");
		rule_emit(b, r, cs->name, pos, "queue", what, true);
	}
}

/* Not decided yet, but the daemon's verdict marked the packet: keep it. */
static void save_rule(struct batch *b, const struct chain_spec *cs,
		      const struct config *cfg, unsigned int pos)
{
	struct nftnl_rule *r = rule_start(b, cs->name);

	if (!r)
		return;
	put_ct_load(b, r, NFT_CT_MARK);
	put_mask_test(b, r, cfg->marks.decided, NFT_CMP_EQ);
	put_meta(b, r, NFT_META_MARK);
	put_mask_test(b, r, cfg->marks.decided, NFT_CMP_NEQ);
	put_counter(b, r);
	put_connmark(b, r, XT_CONNMARK_SAVE, cfg->marks.mask);
	rule_emit(b, r, cs->name, pos, "save", "save: xt CONNMARK save", false);
}

/*
 * Policy labels, before the save rule: a flow not decided yet whose packet
 * the daemon marked with a labelling rule's mark gets that rule's ct
 * label bits (`ct label set` adds bits, it clears none). The config
 * guarantees each labelling rule a mark of its own.
 */
static void label_rules(struct batch *b, const struct chain_spec *cs,
			const struct config *cfg, unsigned int *pos)
{
	size_t i;

	for (i = 0; i < cfg->n_rules; i++) {
		const struct rule_conf *rc = &cfg->rules[i];
		struct nftnl_rule *r;
		char what[64];

		if (!(rc->has & RULE_HAS_LABEL))
			continue;
		r = rule_start(b, cs->name);
		if (!r)
			return;
		put_ct_load(b, r, NFT_CT_MARK);
		put_mask_test(b, r, cfg->marks.decided, NFT_CMP_EQ);
		put_meta(b, r, NFT_META_MARK);
		put_mask_cmp(b, r, cfg->marks.mask, NFT_CMP_EQ,
			     rc->mark | cfg->marks.decided);
		put_counter(b, r);
		put_imm_data(b, r, rc->labels, sizeof(rc->labels));
		put_ct_set(b, r, NFT_CT_LABELS);
		snprintf(what, sizeof(what), "label: policy rule of line %d",
			 rc->line);
		rule_emit(b, r, cs->name, ++*pos, "label", what, false);
	}
}

static const uint8_t families[] = { NFPROTO_IPV4, NFPROTO_IPV6 };

static const char *family_name(uint8_t family)
{
	return family == NFPROTO_IPV4 ? "ip" : "ip6";
}

/* Table, chains and rules for cfg, in the family b->family. */
static int build_family(struct batch *b, const struct config *cfg,
			enum queue_backend qb)
{
	unsigned int pos_pre = 0, pos_out = 0, pos_lbl_pre = 0, pos_lbl_out = 0;
	size_t i;
	int c;

	put_table(b, NFT_MSG_NEWTABLE);
	for (c = 0; c < CH_MAX; c++)
		if (c != CH_NAT_PRE || nat_needed(cfg, b->family))
			put_chain(b, &chains[c]);
	for (i = 0; i < cfg->n_zones && !b->err; i++) {
		struct zone_keys zk;

		if (zone_keys_init(b, &zk, &cfg->zones[i]) < 0)
			return -ENOMEM;
		zone_rules(b, &chains[CH_ZONE_PRE], &cfg->zones[i], &zk,
			   &pos_pre);
		zone_rules(b, &chains[CH_ZONE_OUT], &cfg->zones[i], &zk,
			   &pos_out);
		zone_keys_free(&zk);
	}
	decide_rules(b, &chains[CH_DECIDE_PRE], cfg, qb);
	decide_rules(b, &chains[CH_DECIDE_OUT], cfg, qb);
	label_rules(b, &chains[CH_SAVE_PRE], cfg, &pos_lbl_pre);
	label_rules(b, &chains[CH_SAVE_OUT], cfg, &pos_lbl_out);
	save_rule(b, &chains[CH_SAVE_PRE], cfg, pos_lbl_pre + 1);
	save_rule(b, &chains[CH_SAVE_OUT], cfg, pos_lbl_out + 1);
	if (nat_needed(cfg, b->family))
		nat_rules(b, &chains[CH_NAT_PRE], cfg);
	return b->err;
}

/* The managed tables for cfg, or with cfg NULL their removal. */
static int build(struct batch *b, const struct config *cfg,
		 enum queue_backend qb)
{
	size_t f;

	/* adding first makes the delete succeed when there is no table */
	for (f = 0; f < sizeof(families); f++) {
		b->family = families[f];
		put_table(b, NFT_MSG_NEWTABLE);
		put_table(b, NFT_MSG_DELTABLE);
	}
	for (f = 0; cfg && f < sizeof(families); f++) {
		b->family = families[f];
		if (build_family(b, cfg, qb) < 0)
			break;
	}
	batch_end(b);
	return b->err;
}

/* ---- talking to the kernel ------------------------------------------- */

/* Grow a socket buffer to at least want bytes; never shrink it. */
static void sock_grow(struct ruleset *rs, int force_opt, int opt, int *cur,
		      size_t want)
{
	int fd = mnl_socket_get_fd(rs->nl), v;

	if (want <= (size_t)*cur)
		return;
	v = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
	/* FORCE passes rmem_max/wmem_max; we hold CAP_NET_ADMIN anyway */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) < 0)
		return;
	*cur = v;
}

/* Where in a refused rule the kernel pointed (extack offset). */
static void locate_expr(struct msg *m, const struct nlmsghdr *orig,
			uint32_t off)
{
	const struct nlattr *a, *e, *x;
	unsigned int i = 0;

	if (NFNL_MSG_TYPE(orig->nlmsg_type) != NFT_MSG_NEWRULE)
		return;
	mnl_attr_for_each(a, orig, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			uint32_t start = (uint32_t)((const char *)e -
						    (const char *)orig);

			i++;
			if (off < start || off >= start + e->nla_len)
				continue;
			m->expr = i;
			mnl_attr_for_each_nested(x, e)
				if (mnl_attr_get_type(x) == NFTA_EXPR_NAME)
					snprintf(m->expr_name,
						 sizeof(m->expr_name), "%s",
						 mnl_attr_get_str(x));
		}
	}
}

/* The extended ack after an error: the kernel's text and the offset of
 * the attribute it refused, within the request it echoes back. */
static void parse_extack(const struct nlmsghdr *nlh, struct msg *m,
			 char *ext_msg, size_t ext_len)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const struct nlmsghdr *orig = &err->msg;
	const struct nlattr *a;
	size_t off = sizeof(*nlh) + sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (orig->nlmsg_len < sizeof(*orig) ||
		    (const char *)orig + orig->nlmsg_len > end)
			return;
		off += NLMSG_ALIGN(orig->nlmsg_len - sizeof(*orig));
	}
	mnl_attr_for_each(a, nlh, off - sizeof(*nlh)) {
		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(ext_msg, ext_len, "%s",
					 mnl_attr_get_str(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (m && !(nlh->nlmsg_flags & NLM_F_CAPPED) &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				locate_expr(m, orig, mnl_attr_get_u32(a));
			break;
		}
	}
}

static void take_answers(struct batch *b, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *err;
		struct msg *m;
		uint32_t i;

		/* nf_tables answers a batch with acks and errors only */
		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
			continue;
		err = mnl_nlmsg_get_payload(nlh);
		if (nlh->nlmsg_seq == b->seq0) {
			/* the batch as a whole: EPERM, ENOMEM, or the commit */
			if (err->error < 0 && !b->batch_err) {
				b->batch_err = err->error;
				parse_extack(nlh, NULL, b->batch_ext_msg,
					     sizeof(b->batch_ext_msg));
			}
			continue;
		}
		i = nlh->nlmsg_seq - b->seq0 - 1;
		if (i >= b->n || b->msgs[i].status != 1)
			continue;	/* an older batch's, or a duplicate */
		m = &b->msgs[i];
		m->status = err->error > 0 ? -err->error : err->error;
		b->pending--;
		if (m->status < 0)
			parse_extack(nlh, m, m->ext_msg, sizeof(m->ext_msg));
	}
}

/*
 * Send the batch and collect one answer per message. Returns 0 when
 * every answer came or the batch was refused whole (b then says how it
 * went), -ENOBUFS or -ETIMEDOUT when answers are missing (what the kernel
 * did is unknown), or the -errno of sending.
 */
static int transact(struct ruleset *rs, struct batch *b)
{
	int fd = mnl_socket_get_fd(rs->nl), niov, i, ret;
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr mh = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	struct iovec *iov;
	size_t total = 0;

	niov = nftnl_batch_iovec_len(b->nb);
	iov = calloc((size_t)niov, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(b->nb, iov, (uint32_t)niov);
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;

	/* the batch travels as one datagram, and all answers (an error
	 * echoes its request) must fit in the receive buffer at once */
	sock_grow(rs, SO_SNDBUFFORCE, SO_SNDBUF, &rs->sndbuf, total + 4096);
	sock_grow(rs, SO_RCVBUFFORCE, SO_RCVBUF, &rs->rcvbuf,
		  b->n * ACK_COST + total + RECV_BUF);

	b->pending = b->n;
	do
		ret = (int)sendmsg(fd, &mh, 0);
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		goto out;
	}
	while (b->pending) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = recv(fd, rs->rbuf, RECV_BUF,
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n > RECV_BUF) {
			/* an answer larger than any request we send: count
			 * it lost rather than misread it */
			b->lost = true;
			continue;
		}
		if (n >= 0) {
			take_answers(b, rs->rbuf, (size_t)n);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			b->lost = true;
			continue;
		}
		if (errno != EAGAIN) {
			ret = -errno;
			goto out;
		}
		/* answers are queued during sendmsg(): once the batch failed
		 * whole or some were dropped, nothing more will come */
		if (b->batch_err || b->lost)
			break;
		ret = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (ret == 0)
			break;
	}
	ret = 0;
	if (b->pending && !b->batch_err)
		ret = b->lost ? -ENOBUFS : -ETIMEDOUT;
out:
	free(iov);
	return ret;
}

static bool queue_refused(const struct msg *m)
{
	return m->queue && (m->status == -ENOENT || m->status == -EOPNOTSUPP) &&
	       (!m->expr || !strcmp(m->expr_name, "queue"));
}

static void describe(const struct msg *m, char *out, size_t size)
{
	const char *fam = family_name(m->family);
	size_t len = 0;

	switch (m->obj) {
	case OBJ_TABLE:
		appendf(out, size, &len, "table %s %s", fam, RULESET_TABLE);
		break;
	case OBJ_CHAIN:
		appendf(out, size, &len, "chain %s %s (%s)", fam, m->chain,
			m->what);
		break;
	case OBJ_SET:
		appendf(out, size, &len, "set %s %s", fam, m->what);
		break;
	case OBJ_ELEMS:
		appendf(out, size, &len, "elements of set %s %s", fam, m->what);
		break;
	case OBJ_RULE:
		appendf(out, size, &len, "rule %u of chain %s %s (%s)", m->rule,
			fam, m->chain, m->what);
		if (m->expr)
			appendf(out, size, &len, ", expression %u (%s)",
				m->expr, m->expr_name);
		break;
	}
	if (m->ext_msg[0])
		appendf(out, size, &len, " [%s]", m->ext_msg);
}

/* Log, once each, what the kernel refused and why. */
static void report(const struct batch *b, int ret)
{
	const char *ext = b->batch_ext_msg;
	size_t i, failed = 0;
	char desc[320];

	if (ret == -ENOBUFS || ret == -ETIMEDOUT) {
		log_warn(ret, "ruleset: %zu of %zu answers from the kernel "
			 "are missing; it is unknown whether tables ip/ip6 %s "
			 "changed", b->pending, b->n, RULESET_TABLE);
		return;
	}
	if (b->batch_err)
		log_warn(b->batch_err,
			 "ruleset: kernel refused the batch%s%s%s%s",
			 b->batch_err == -EPERM ?
			 " (flowcached needs CAP_NET_ADMIN)" : "",
			 ext[0] ? " [" : "", ext, ext[0] ? "]" : "");
	for (i = 0; i < b->n; i++) {
		if (b->msgs[i].status >= 0)
			continue;
		if (failed++ < REPORT_MAX) {
			describe(&b->msgs[i], desc, sizeof(desc));
			log_warn(b->msgs[i].status,
				 "ruleset: kernel refused %s", desc);
		}
	}
	if (failed > REPORT_MAX)
		log_warnx("ruleset: ... and %zu more refused",
			  failed - REPORT_MAX);
}

/* The result of a transaction as one -errno: the first refusal. */
static int outcome(const struct batch *b)
{
	size_t i;

	if (b->batch_err)
		return b->batch_err;
	for (i = 0; i < b->n; i++)
		if (b->msgs[i].status < 0)
			return b->msgs[i].status;
	return 0;
}

/*
 * Build, send, and when answers went missing, send the same batch once
 * more with a larger receive buffer: it replaces the table whole, so a
 * second copy changes nothing if the first went in. Leaves the last
 * attempt in b, for batch_fini().
 */
static int run_batch(struct ruleset *rs, struct batch *b,
		     const struct config *cfg, enum queue_backend qb)
{
	int ret, attempt = 0;

	for (;;) {
		ret = batch_init(b, rs->seq);
		if (ret == 0)
			ret = build(b, cfg, qb);
		rs->seq += (uint32_t)b->n + 2;
		if (ret == 0)
			ret = transact(rs, b);
		if ((ret != -ENOBUFS && ret != -ETIMEDOUT) || attempt++)
			break;
		log_warnx("ruleset: %zu of %zu answers from the kernel went "
			  "missing; sending the batch again", b->pending, b->n);
		sock_grow(rs, SO_RCVBUFFORCE, SO_RCVBUF, &rs->rcvbuf,
			  2 * (size_t)rs->rcvbuf);
		batch_fini(b);
	}
	return ret < 0 ? ret : outcome(b);
}

/* With probing, a refused queue expression is not logged but flagged. */
static int apply_with(struct ruleset *rs, const struct config *cfg,
		      enum queue_backend qb, bool probing, bool *refused)
{
	struct batch b;
	size_t i;
	int ret;

	*refused = false;
	ret = run_batch(rs, &b, cfg, qb);
	if (probing && ret < 0 && !b.batch_err)
		for (i = 0; i < b.n; i++)
			if (queue_refused(&b.msgs[i]))
				*refused = true;
	if (ret < 0 && !*refused)
		report(&b, ret);
	batch_fini(&b);
	return ret;
}

int ruleset_apply(struct ruleset *rs, const struct config *cfg)
{
	bool probing = rs->backend == QUEUE_UNPROBED, refused;
	enum queue_backend qb = probing ? QUEUE_NFT : rs->backend;
	int ret;

	ret = apply_with(rs, cfg, qb, probing, &refused);
	if (refused) {
		log_notice("ruleset: this kernel has no nft queue expression; "
			   "queueing through xt NFQUEUE (nft compat)");
		qb = QUEUE_XT;
		ret = apply_with(rs, cfg, qb, false, &refused);
	}
	if (ret == -ENOBUFS || ret == -ETIMEDOUT) {
		log_err("ruleset: could not confirm tables ip/ip6 %s; apply "
			"again to be sure which ruleset is in force",
			RULESET_TABLE);
		return ret;
	}
	if (ret < 0) {
		log_err("ruleset: tables ip/ip6 %s not installed; the kernel "
			"keeps the ruleset it had", RULESET_TABLE);
		return ret;
	}
	if (probing) {
		rs->backend = qb;
		log_notice("ruleset: queue statement: %s", backend_name(qb));
	}
	log_info("ruleset: tables ip/ip6 %s installed: %zu zones, queues %u-%u "
		 "via %s", RULESET_TABLE, cfg->n_zones, cfg->queues.first,
		 cfg->queues.first + cfg->queues.count - 1, backend_name(qb));
	return 0;
}

int ruleset_remove(struct ruleset *rs)
{
	struct batch b;
	int ret;

	ret = run_batch(rs, &b, NULL, QUEUE_UNPROBED);
	if (ret < 0) {
		report(&b, ret);
		log_err("ruleset: could not delete tables ip/ip6 %s",
			RULESET_TABLE);
	}
	batch_fini(&b);
	return ret;
}

int ruleset_open(struct ruleset **ret)
{
	struct ruleset *rs;
	socklen_t sl = sizeof(int);
	int one = 1, fd, err;

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->rbuf = malloc(RECV_BUF);
	if (!rs->rbuf) {
		err = -ENOMEM;
		goto fail;
	}
	rs->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!rs->nl) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(rs->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	fd = mnl_socket_get_fd(rs->nl);
	/* extended acks name the refused attribute; older kernels lack them
	 * and we only lose the expression number in messages */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* the kernel reports twice what was set; we compare with what we ask */
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rs->rcvbuf, &sl) == 0)
		rs->rcvbuf /= 2;
	sl = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rs->sndbuf, &sl) == 0)
		rs->sndbuf /= 2;
	rs->seq = (uint32_t)time(NULL);
	*ret = rs;
	return 0;
fail:
	ruleset_close(rs);
	return err;
}

void ruleset_close(struct ruleset *rs)
{
	if (!rs)
		return;
	if (rs->nl)
		mnl_socket_close(rs->nl);
	free(rs->rbuf);
	free(rs);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The IPsec mirror as data (see xfrmdb.h). One allocation holds a
 * snapshot: the states sorted by (family, destination, protocol), which
 * is how every template finds its candidates, then the policies sorted
 * by (direction, sub-type first, priority, index), with where each
 * direction's run begins. Nothing in it changes after xfrmdb_new().
 */
#include <errno.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto.h"
#include "xfrmdb.h"

#define N_DIRS		(XFRM_POLICY_FWD + 1)
#define MODE_IPTFS	5		/* XFRM_MODE_IPTFS, Linux 6.14 */

struct xfrmdb {
	size_t n_pols, n_states;
	size_t dir_start[N_DIRS + 1];	/* pols[dir_start[d], dir_start[d+1]) */
	struct xfrmdb_state *states;
	struct xfrmdb_policy *pols;
};

/* --- addresses ----------------------------------------------------------- */

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static bool addr_eq(const union fc_addr *a, const union fc_addr *b,
		    uint8_t family)
{
	return !memcmp(a->b, b->b, addr_len(family));
}

static bool addr_any(const union fc_addr *a, uint8_t family)
{
	static const union fc_addr zero;

	return addr_eq(a, &zero, family);
}

/* The first len bits of a and p agree; bits past them may be anything,
 * as in the kernel's addr_match(). */
static bool prefix_match(const union fc_addr *a, const union fc_addr *p,
			 unsigned int len, unsigned int max)
{
	unsigned int bytes, bits;

	if (len > max)
		len = max;
	bytes = len / 8;
	bits = len % 8;
	if (memcmp(a->b, p->b, bytes))
		return false;
	return !bits || !((a->b[bytes] ^ p->b[bytes]) & (0xff00u >> bits));
}

/* --- selectors ----------------------------------------------------------- */

enum sel_answer { SEL_NO, SEL_YES, SEL_MAYBE };

/*
 * What the kernel's flow key (struct flowi) carries where the ports go:
 * the ports for these, ICMP type and code, the GRE key or the MH type
 * for those we cannot know from a tuple, zero for the rest (as tuples
 * have too).
 */
static enum sel_answer ports_of(uint8_t proto, const struct tuple *t,
				uint16_t *sport, uint16_t *dport)
{
	if (proto_has_ports(proto)) {
		*sport = t->sport;
		*dport = t->dport;
		return SEL_YES;
	}
	switch (proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
	case IPPROTO_GRE:
	case IPPROTO_MH:
		return SEL_MAYBE;
	default:
		*sport = *dport = 0;
		return SEL_YES;
	}
}

static enum sel_answer sel_match(const struct xfrmdb_sel *s,
				 const struct tuple *t)
{
	unsigned int max = t->family == AF_INET ? 32 : 128;
	enum sel_answer ans = SEL_YES;
	uint16_t sport, dport;

	if (s->family != t->family ||
	    !prefix_match(&t->dst, &s->daddr, s->prefixlen_d, max) ||
	    !prefix_match(&t->src, &s->saddr, s->prefixlen_s, max) ||
	    (s->proto && s->proto != t->proto))
		return SEL_NO;
	if (s->sport_mask || s->dport_mask) {
		ans = ports_of(t->proto, t, &sport, &dport);
		if (ans == SEL_YES &&
		    (((sport ^ s->sport) & s->sport_mask) ||
		     ((dport ^ s->dport) & s->dport_mask)))
			return SEL_NO;
	}
	if (s->ifindex)
		ans = SEL_MAYBE;
	return ans;
}

/* A state's selector, when it has a family, must admit the flow. What a
 * selector cannot tell from a tuple does not rule the state out. */
static bool state_admits(const struct xfrmdb_state *x, const struct tuple *t)
{
	return !x->sel.family || sel_match(&x->sel, t) != SEL_NO;
}

/* --- building ------------------------------------------------------------ */

static int cmp_key(uint8_t fa, const union fc_addr *da, uint8_t pa,
		   uint8_t fb, const union fc_addr *db, uint8_t pb)
{
	int c;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	c = memcmp(da->b, db->b, sizeof(da->b));
	if (c)
		return c;
	return pa < pb ? -1 : pa > pb;
}

static int cmp_state(const void *a, const void *b)
{
	const struct xfrmdb_state *x = a, *y = b;

	return cmp_key(x->family, &x->daddr, x->proto,
		       y->family, &y->daddr, y->proto);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_policy(const void *a, const void *b)
{
	const struct xfrmdb_policy *p = a, *q = b;

	if (p->dir != q->dir)
		return p->dir < q->dir ? -1 : 1;
	if (p->type != q->type)		/* sub before main */
		return p->type > q->type ? -1 : 1;
	if (p->priority != q->priority)
		return cmp_u32(p->priority, q->priority);
	return cmp_u32(p->index, q->index);
}

static bool family_ok(uint8_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static bool policy_ok(const struct xfrmdb_policy *p)
{
	unsigned int max = p->sel.family == AF_INET ? 32 : 128;
	int i;

	if (p->dir >= N_DIRS || !family_ok(p->sel.family) ||
	    p->n_tmpl > XFRMDB_MAX_TMPL ||
	    p->sel.prefixlen_d > max || p->sel.prefixlen_s > max)
		return false;
	for (i = 0; i < p->n_tmpl; i++)
		if (!family_ok(p->tmpl[i].family))
			return false;
	return true;
}

struct xfrmdb *xfrmdb_new(const struct xfrmdb_policy *pols, size_t n_pols,
			  const struct xfrmdb_state *states, size_t n_states)
{
	struct xfrmdb *db;
	size_t i, n, size;
	int d;

	if (n_pols > SIZE_MAX / 2 / sizeof(*pols) ||
	    n_states > SIZE_MAX / 2 / sizeof(*states)) {
		errno = ENOMEM;
		return NULL;
	}
	/* the header and the states keep 8-byte alignment for what follows */
	size = sizeof(*db) + n_states * sizeof(*states) +
	       n_pols * sizeof(*pols);
	db = calloc(1, size);
	if (!db)
		return NULL;
	db->states = (struct xfrmdb_state *)(db + 1);
	db->pols = (struct xfrmdb_policy *)(db->states + n_states);

	for (i = n = 0; i < n_states; i++)
		if (family_ok(states[i].family))
			db->states[n++] = states[i];
	db->n_states = n;
	qsort(db->states, db->n_states, sizeof(*db->states), cmp_state);

	for (i = n = 0; i < n_pols; i++)
		if (policy_ok(&pols[i]))
			db->pols[n++] = pols[i];
	db->n_pols = n;
	qsort(db->pols, db->n_pols, sizeof(*db->pols), cmp_policy);
	for (d = 0, i = 0; d <= N_DIRS; d++) {
		while (i < db->n_pols && db->pols[i].dir < d)
			i++;
		db->dir_start[d] = i;
	}
	return db;
}

void xfrmdb_free(struct xfrmdb *db)
{
	free(db);
}

size_t xfrmdb_n_policies(const struct xfrmdb *db)
{
	return db ? db->n_pols : 0;
}

size_t xfrmdb_n_states(const struct xfrmdb *db)
{
	return db ? db->n_states : 0;
}

/* --- lookup -------------------------------------------------------------- */

/* Modes whose template names the outer addresses (xfrm_tmpl_resolve_one) */
static bool names_endpoints(uint8_t mode)
{
	return mode == XFRM_MODE_TUNNEL || mode == XFRM_MODE_BEET ||
	       mode == MODE_IPTFS;
}

/* The first state not ordered before (family, daddr, proto). */
static size_t lower_bound(const struct xfrmdb *db, uint8_t family,
			  const union fc_addr *daddr, uint8_t proto)
{
	size_t lo = 0, hi = db->n_states;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct xfrmdb_state *x = &db->states[mid];

		if (cmp_key(x->family, &x->daddr, x->proto,
			    family, daddr, proto) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The state for template tm whose outer header goes from saddr to daddr
 * (see xfrmdb.h for the rules of each direction). A state whose source
 * is exactly saddr comes before one whose source is "any" (the kernel's
 * second pass); then one not dying; then the newest.
 */
static const struct xfrmdb_state *
find_state(const struct xfrmdb *db, const struct xfrmdb_policy *p,
	   const struct xfrmdb_tmpl *tm, uint8_t dir, const struct tuple *t,
	   const union fc_addr *daddr, const union fc_addr *saddr)
{
	const struct xfrmdb_state *best = NULL;
	bool out = dir == XFRM_POLICY_OUT;
	bool any_src = addr_any(saddr, tm->family);
	unsigned int best_rank = 0;
	union fc_addr d;
	size_t i;

	/* states keep IPv4 addresses zero-padded, as tuples do */
	memset(&d, 0, sizeof(d));
	memcpy(d.b, daddr->b, addr_len(tm->family));
	for (i = lower_bound(db, tm->family, &d, tm->proto);
	     i < db->n_states; i++) {
		const struct xfrmdb_state *x = &db->states[i];
		bool exact;
		unsigned int rank;

		if (x->family != tm->family || x->proto != tm->proto ||
		    !addr_eq(&x->daddr, &d, x->family))
			break;
		if (x->mode != tm->mode || (tm->spi && x->spi != tm->spi) ||
		    /* (mark & x->mark.m) == x->mark.v for a packet without
		     * a mark and a policy without one */
		    x->mark_v || x->if_id != p->if_id || !state_admits(x, t))
			continue;
		if (out ? x->reqid != tm->reqid || x->wildrecv ||
			  x->dir == XFRMDB_SA_DIR_IN
			: (tm->reqid && x->reqid != tm->reqid) ||
			  x->dir == XFRMDB_SA_DIR_OUT)
			continue;
		exact = any_src || addr_eq(&x->saddr, saddr, x->family);
		if (!exact && (!addr_any(&x->saddr, x->family) ||
			       /* inbound tunnel: xfrm_state_addr_cmp() */
			       (!out && names_endpoints(tm->mode))))
			continue;
		rank = (exact ? 0 : 2) + x->dying;
		if (!best || rank < best_rank ||
		    (rank == best_rank && x->add_time > best->add_time)) {
			best = x;
			best_rank = rank;
		}
	}
	return best;
}

static void resolve(const struct xfrmdb *db, const struct xfrmdb_policy *p,
		    const struct tuple *t, uint8_t dir,
		    struct xfrm_sa_ref *out)
{
	const union fc_addr *daddr = &t->dst, *saddr = &t->src;
	const struct xfrmdb_tmpl *tm;
	const struct xfrmdb_state *x;
	int pick, i;

	if (!p->n_tmpl)
		return;
	for (pick = 0; pick < p->n_tmpl; pick++)
		if (p->tmpl[pick].proto == IPPROTO_ESP ||
		    p->tmpl[pick].proto == IPPROTO_AH)
			break;
	if (pick == p->n_tmpl)
		pick = 0;
	/* templates apply innermost first: a tunnel's endpoints are the
	 * addresses every template after it sees */
	for (i = 0; i <= pick; i++)
		if (names_endpoints(p->tmpl[i].mode)) {
			daddr = &p->tmpl[i].daddr;
			saddr = &p->tmpl[i].saddr;
		}
	tm = &p->tmpl[pick];
	out->proto = tm->proto;
	out->mode = tm->mode;
	out->reqid = tm->reqid;
	x = find_state(db, p, tm, dir, t, daddr, saddr);
	if (x) {
		out->has_state = true;
		out->spi = x->spi;
		out->reqid = x->reqid;
	}
}

bool xfrmdb_lookup(const struct xfrmdb *db, const struct tuple *t,
		   uint8_t dir, struct xfrm_sa_ref *out)
{
	size_t i;

	if (!db || dir >= N_DIRS)
		return false;
	for (i = db->dir_start[dir]; i < db->dir_start[dir + 1]; i++) {
		const struct xfrmdb_policy *p = &db->pols[i];
		enum sel_answer m = sel_match(&p->sel, t);

		/* (mark & m) == v: without mask bits, v decides for all */
		if (m == SEL_NO || (!p->mark_m && p->mark_v))
			continue;
		memset(out, 0, sizeof(*out));
		out->dir = dir;
		out->policy_index = p->index;
		out->policy_priority = p->priority;
		if (m == SEL_MAYBE || p->mark_m || p->if_id ||
		    p->has_sec_ctx || p->type != XFRM_POLICY_TYPE_MAIN) {
			out->not_modelled = true;
			return true;
		}
		out->action = p->action;
		if (p->action == XFRM_POLICY_ALLOW)
			resolve(db, p, t, dir, out);
		return true;
	}
	return false;
}

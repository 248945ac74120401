// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The routing mirror (see fib.h). Each table holds an LPM per family
 * whose value is a next-hop id, or FIB_ASK when the prefix carries a
 * route the lookup cannot follow exactly. The routes themselves (several
 * may share a prefix, told apart by TOS and metric) live in a writer-side
 * store, from which each prefix's LPM value is worked out again whenever
 * one of its routes changes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fib.h"
#include "lpm.h"

#define ft_deref(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define ft_publish(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

#define FIB_MAX_TABLES	256
#define FIB_MAX_NH	65536
#define FIB_ASK		(1u << 31)	/* LPM value: ask the kernel */

struct fib_table {
	uint32_t id;
	struct lpm *lpm[2];		/* [0] IPv4, [1] IPv6 */
};

struct rule_set {
	size_t n;
	bool dst_only[2];		/* per family: no rule selects on more */
	struct rule_set *retired;
	struct fib_rule r[];
};

/* A route as the writer keeps it. */
struct route {
	struct route *next;		/* hash chain */
	struct prefix pfx;
	uint32_t table;
	uint8_t tos;
	uint32_t metric;
	uint32_t nh;
	bool not_modelled;
};

struct nh_slot {
	struct fib_nexthop *nh;
	uint32_t refs;
};

struct fib {
	struct fib_params p;
	/* readers */
	struct fib_table *tables[FIB_MAX_TABLES];
	uint32_t n_tables;
	struct rule_set *rules;
	struct fib_nexthop **nh;	/* FIB_MAX_NH, by id */
	uint32_t generation;

	/* writer */
	struct nh_slot *slots;		/* FIB_MAX_NH, by id */
	uint32_t nh_free_hint;
	struct route **buckets;
	size_t n_buckets, n_routes, routes4, routes6;
	struct fib_nexthop *retired_nh[64];
	size_t n_retired_nh;
	struct rule_set *retired_rules;
};

static int fam_index(uint8_t family)
{
	return family == AF_INET6;
}

/* --- tables ---------------------------------------------------------------- */

static struct fib_table *table_find(const struct fib *fib, uint32_t id)
{
	uint32_t i, n = ft_deref(fib->n_tables);

	for (i = 0; i < n; i++) {
		struct fib_table *t = ft_deref(fib->tables[i]);

		if (t->id == id)
			return t;
	}
	return NULL;
}

static struct fib_table *table_get(struct fib *fib, uint32_t id)
{
	struct fib_table *t = table_find(fib, id);
	struct lpm_params lp = { .synchronize = fib->p.synchronize };
	int k;

	if (t || fib->n_tables == FIB_MAX_TABLES)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = id;
	for (k = 0; k < 2; k++) {
		lp.family = k ? AF_INET6 : AF_INET;
		t->lpm[k] = lpm_new(&lp);
		if (!t->lpm[k]) {
			lpm_free(t->lpm[0]);
			free(t);
			return NULL;
		}
	}
	ft_publish(fib->tables[fib->n_tables], t);
	ft_publish(fib->n_tables, fib->n_tables + 1);
	return t;
}

/* --- next hops ------------------------------------------------------------- */

static bool nh_same(const struct fib_nexthop *a, const struct fib_nexthop *b)
{
	return a->table == b->table && a->family == b->family &&
	       a->type == b->type && a->scope == b->scope &&
	       a->oif == b->oif && a->metric == b->metric &&
	       a->has_gateway == b->has_gateway &&
	       a->has_prefsrc == b->has_prefsrc &&
	       (!a->has_gateway ||
		!memcmp(&a->gateway, &b->gateway, sizeof(a->gateway))) &&
	       (!a->has_prefsrc ||
		!memcmp(&a->prefsrc, &b->prefsrc, sizeof(a->prefsrc)));
}

/* The id of a next hop equal to want, made if new, with one more ref. */
static uint32_t nh_get(struct fib *fib, const struct fib_nexthop *want)
{
	uint32_t id, free_id = 0;

	for (id = 1; id < FIB_MAX_NH; id++) {
		if (!fib->slots[id].nh) {
			if (!free_id)
				free_id = id;
			if (id >= fib->nh_free_hint)
				break;
			continue;
		}
		if (nh_same(fib->slots[id].nh, want)) {
			fib->slots[id].refs++;
			return id;
		}
	}
	if (!free_id)
		return 0;
	fib->slots[free_id].nh = malloc(sizeof(*want));
	if (!fib->slots[free_id].nh)
		return 0;
	*fib->slots[free_id].nh = *want;
	fib->slots[free_id].nh->id = free_id;
	fib->slots[free_id].refs = 1;
	if (free_id >= fib->nh_free_hint)
		fib->nh_free_hint = free_id + 1;
	ft_publish(fib->nh[free_id], fib->slots[free_id].nh);
	return free_id;
}

static void nh_put(struct fib *fib, uint32_t id)
{
	struct nh_slot *s = &fib->slots[id];

	if (--s->refs)
		return;
	ft_publish(fib->nh[id], NULL);
	if (fib->n_retired_nh == sizeof(fib->retired_nh) / sizeof(fib->retired_nh[0]))
		fib_reclaim(fib);
	fib->retired_nh[fib->n_retired_nh++] = s->nh;
	s->nh = NULL;
}

/* --- the route store (writer only) --------------------------------------- */

static size_t route_hash(const struct fib *fib, const struct prefix *p,
			 uint32_t table)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *b = p->addr.b;
	size_t i, len = p->family == AF_INET ? 4 : 16;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	h = (h ^ p->len ^ (uint64_t)p->family << 8 ^ (uint64_t)table << 16) *
	    1099511628211ull;
	return (size_t)(h ^ h >> 29) & (fib->n_buckets - 1);
}

static bool same_prefix(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int store_grow(struct fib *fib)
{
	size_t n = fib->n_buckets ? fib->n_buckets * 2 : 1024, i, old = fib->n_buckets;
	struct route **b = calloc(n, sizeof(*b)), **ob = fib->buckets, *r, *next;

	if (!b)
		return -ENOMEM;
	fib->buckets = b;
	fib->n_buckets = n;
	for (i = 0; i < old; i++) {
		for (r = ob[i]; r; r = next) {
			size_t k = route_hash(fib, &r->pfx, r->table);

			next = r->next;
			r->next = b[k];
			b[k] = r;
		}
	}
	free(ob);
	return 0;
}

/*
 * What the LPM answers for this prefix: the lowest-metric route, which
 * is the one the kernel tries first, when every route there is one this
 * mirror follows and no other shares its metric; else FIB_ASK.
 */
static uint32_t prefix_value(const struct fib *fib, const struct prefix *p,
			     uint32_t table, bool *any)
{
	const struct route *r, *best = NULL;
	bool ask = false, tie = false;

	*any = false;
	for (r = fib->buckets[route_hash(fib, p, table)]; r; r = r->next) {
		if (r->table != table || !same_prefix(&r->pfx, p))
			continue;
		*any = true;
		if (r->tos || r->not_modelled)
			ask = true;
		if (best && r->metric == best->metric)
			tie = true;
		if (!best || r->metric < best->metric) {
			best = r;
			tie = false;
		}
	}
	if (!best)
		return 0;
	return ask || tie ? FIB_ASK : best->nh;
}

static int prefix_update(struct fib *fib, const struct prefix *p,
			 uint32_t table)
{
	struct fib_table *t = table_get(fib, table);
	bool any;
	uint32_t v;
	int err;

	if (!t)
		return -ENOMEM;
	v = prefix_value(fib, p, table, &any);
	if (any)
		err = lpm_add(t->lpm[fam_index(p->family)], &p->addr, p->len, v);
	else
		err = lpm_del(t->lpm[fam_index(p->family)], &p->addr, p->len);
	__atomic_add_fetch(&fib->generation, 1, __ATOMIC_RELEASE);
	return err == -ENOENT ? 0 : err;
}

static bool same_key(const struct route *r, const struct prefix *pfx,
		     uint8_t tos, uint32_t table, uint32_t metric)
{
	return r->table == table && r->tos == tos && r->metric == metric &&
	       same_prefix(&r->pfx, pfx);
}

/* A route unlinked from its chain: its next hop and counts go with it. */
static void route_free(struct fib *fib, struct route *r)
{
	nh_put(fib, r->nh);
	fib->n_routes--;
	if (r->pfx.family == AF_INET)
		fib->routes4--;
	else
		fib->routes6--;
	free(r);
}

/* Remove every route under the kernel's key for a replace. */
static void drop_key(struct fib *fib, const struct prefix *pfx, uint8_t tos,
		     uint32_t table, uint32_t metric)
{
	struct route *r, **pp;

	pp = &fib->buckets[route_hash(fib, pfx, table)];
	while ((r = *pp)) {
		if (!same_key(r, pfx, tos, table, metric)) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		route_free(fib, r);
	}
}

int fib_route_add(struct fib *fib, const struct prefix *pfx, uint8_t tos,
		  const struct fib_nexthop *nh, bool not_modelled, bool replace)
{
	struct route *r, **pp;
	uint32_t id;
	int err;

	if (fib->n_routes >= fib->n_buckets && (err = store_grow(fib)) < 0)
		return err;
	if (replace)
		drop_key(fib, pfx, tos, nh->table, nh->metric);
	id = nh_get(fib, nh);
	if (!id)
		return -ENOMEM;
	pp = &fib->buckets[route_hash(fib, pfx, nh->table)];
	for (r = *pp; r; r = r->next) {
		if (same_key(r, pfx, tos, nh->table, nh->metric) && r->nh == id) {
			/* the same route again (a dump after an event) */
			nh_put(fib, id);
			r->not_modelled = not_modelled;
			return prefix_update(fib, pfx, nh->table);
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		nh_put(fib, id);
		return -ENOMEM;
	}
	*r = (struct route){ .next = *pp, .pfx = *pfx, .table = nh->table,
			     .tos = tos, .metric = nh->metric, .nh = id,
			     .not_modelled = not_modelled };
	*pp = r;
	fib->n_routes++;
	if (pfx->family == AF_INET)
		fib->routes4++;
	else
		fib->routes6++;
	return prefix_update(fib, pfx, nh->table);
}

int fib_route_del(struct fib *fib, const struct prefix *pfx, uint8_t tos,
		  const struct fib_nexthop *nh)
{
	struct route *r, **pp;
	uint32_t id = 0;

	if (!fib->n_buckets)
		return -ENOENT;
	/* the next hop, when given, tells apart routes of one key */
	for (id = 1; id < fib->nh_free_hint; id++)
		if (fib->slots[id].nh && nh_same(fib->slots[id].nh, nh))
			break;
	for (pp = &fib->buckets[route_hash(fib, pfx, nh->table)]; (r = *pp);
	     pp = &r->next) {
		if (same_key(r, pfx, tos, nh->table, nh->metric) &&
		    (!nh->oif || r->nh == id))
			break;
	}
	if (!r)
		return -ENOENT;
	*pp = r->next;
	route_free(fib, r);
	return prefix_update(fib, pfx, nh->table);
}

void fib_flush_routes(struct fib *fib)
{
	struct route *r;
	size_t i;

	for (i = 0; i < fib->n_buckets; i++) {
		while ((r = fib->buckets[i])) {
			struct prefix p = r->pfx;
			uint32_t table = r->table;

			drop_key(fib, &p, r->tos, table, r->metric);
			prefix_update(fib, &p, table);
		}
	}
}

/* --- rules ------------------------------------------------------------------ */

/* Whether a rule's match and action depend on the destination alone. */
static bool dst_only(const struct fib_rule *r)
{
	return !r->unknown && !r->src.len && !r->fwmask && !r->iif[0] &&
	       !r->oif[0] && !r->ip_proto && !r->sport.lo && !r->sport.hi &&
	       !r->dport.lo && !r->dport.hi;
}

int fib_set_rules(struct fib *fib, const struct fib_rule *rules, size_t n)
{
	struct rule_set *rs, *old;
	size_t i;

	if (n > FIB_MAX_RULES)
		return -E2BIG;
	rs = malloc(sizeof(*rs) + n * sizeof(rs->r[0]));
	if (!rs)
		return -ENOMEM;
	rs->n = n;
	rs->retired = NULL;
	memcpy(rs->r, rules, n * sizeof(rs->r[0]));
	rs->dst_only[0] = rs->dst_only[1] = true;
	for (i = 0; i < n; i++)
		if (!dst_only(&rules[i]))
			rs->dst_only[fam_index(rules[i].family)] = false;
	old = fib->rules;
	ft_publish(fib->rules, rs);
	if (old) {
		old->retired = fib->retired_rules;
		fib->retired_rules = old;
	}
	__atomic_add_fetch(&fib->generation, 1, __ATOMIC_RELEASE);
	return 0;
}

uint32_t fib_generation(const struct fib *fib)
{
	return __atomic_load_n(&fib->generation, __ATOMIC_ACQUIRE);
}

/* --- the lookup ---------------------------------------------------------------- */

static bool prefix_has(const struct prefix *p, const union fc_addr *a)
{
	uint8_t bytes = p->len / 8, bits = p->len % 8;

	if (!p->len)
		return true;
	if (memcmp(&p->addr, a, bytes))
		return false;
	return !bits ||
	       !((p->addr.b[bytes] ^ a->b[bytes]) & (uint8_t)(0xff << (8 - bits)));
}

static bool in_range(const struct port_range *r, uint16_t port)
{
	return (!r->lo && !r->hi) || (port >= r->lo && port <= r->hi);
}

/* As fib_rule_match(): every selector the rule has must match. */
static bool rule_matches(const struct fib_rule *r, const struct fib_query *q)
{
	const char *iif = q->iif ? q->iif : "lo";
	bool m;

	m = (!r->iif[0] || !strcmp(r->iif, iif)) &&
	    (!r->oif[0] || (q->oif && !strcmp(r->oif, q->oif))) &&
	    !((r->fwmark ^ q->mark) & r->fwmask) &&
	    prefix_has(&r->src, &q->src) &&
	    prefix_has(&r->dst, &q->dst) &&
	    (!r->ip_proto || r->ip_proto == q->proto) &&
	    in_range(&r->sport, q->sport) && in_range(&r->dport, q->dport);
	return r->invert ? !m : m;
}

static size_t goto_target(const struct rule_set *rs, uint32_t priority,
			  size_t from)
{
	size_t i;

	for (i = from; i < rs->n; i++)
		if (rs->r[i].priority == priority)
			return i;
	return rs->n;
}

/*
 * Addresses the kernel checks before any rule (martians: zero, loopback,
 * multicast, limited broadcast) are left to it; so is a forwarded packet
 * from one of our own or a broadcast address, which its input route
 * refuses.
 */
static bool special(const struct fib *fib, const struct fib_query *q)
{
	static const union fc_addr zero;
	const struct fib_table *local;
	const struct fib_nexthop *nh;
	uint32_t s, d, v;
	uint8_t len;

	if (q->family == AF_INET) {
		memcpy(&s, &q->src, 4);
		memcpy(&d, &q->dst, 4);
		s = ntohl(s);
		d = ntohl(d);
		if (s >> 24 == 0 || s >> 24 == 127 || s >> 28 == 14 ||
		    s == UINT32_MAX || d >> 24 == 0 || d >> 24 == 127 ||
		    d >> 28 == 14 || d == UINT32_MAX)
			return true;
	} else if (q->src.b[0] == 0xff || q->dst.b[0] == 0xff ||
		   IN6_IS_ADDR_UNSPECIFIED(&q->dst.v6) ||
		   IN6_IS_ADDR_LOOPBACK(&q->dst.v6) ||
		   IN6_IS_ADDR_LOOPBACK(&q->src.v6)) {
		return true;
	}
	local = table_find(fib, RT_TABLE_LOCAL);
	v = local ? lpm_lookup(local->lpm[fam_index(q->family)], &q->src,
			       &len) : 0;
	nh = v && !(v & FIB_ASK) ? ft_deref(fib->nh[v]) : NULL;
	/* generated here from a given IPv4 source: it must be one of our
	 * addresses, or ip_route_output_key_hash_rcu() refuses it */
	if (!q->iif)
		return q->family == AF_INET && memcmp(&q->src, &zero, 4) &&
		       (!nh || nh->type != RTN_LOCAL);
	if (!v)
		return false;
	return !nh || nh->type == RTN_LOCAL || nh->type == RTN_BROADCAST;
}

bool fib_dst_cacheable(const struct fib *fib, const struct fib_query *q)
{
	const struct rule_set *rs = ft_deref(fib->rules);

	return rs && rs->dst_only[fam_index(q->family)] && !q->oif &&
	       !special(fib, q);
}

enum fib_answer fib_resolve(const struct fib *fib, const struct fib_query *q,
			    struct fib_result *res)
{
	const struct rule_set *rs = ft_deref(fib->rules);
	const struct fib_nexthop *nh;
	const struct fib_table *t;
	uint8_t len;
	uint32_t v;
	size_t i, to;

	memset(res, 0, sizeof(*res));
	/* a socket bound to a device routes by rules of its own */
	if (!rs || q->oif || special(fib, q))
		return FIB_ASK_KERNEL;
	for (i = 0; i < rs->n; i++) {
		const struct fib_rule *r = &rs->r[i];

		if (r->family != q->family)
			continue;
		if (r->unknown)
			return FIB_ASK_KERNEL;
		if (!rule_matches(r, q))
			continue;
		switch (r->action) {
		case FR_ACT_TO_TBL:
			break;
		case FR_ACT_GOTO:
			/* the kernel skips a goto whose target is gone */
			to = goto_target(rs, r->goto_priority, i + 1);
			if (to < rs->n)
				i = to - 1;
			continue;
		case FR_ACT_NOP:
			continue;
		case FR_ACT_BLACKHOLE:
			res->type = RTN_BLACKHOLE;
			return FIB_NO_ROUTE;
		case FR_ACT_UNREACHABLE:
			res->type = RTN_UNREACHABLE;
			return FIB_NO_ROUTE;
		case FR_ACT_PROHIBIT:
			res->type = RTN_PROHIBIT;
			return FIB_NO_ROUTE;
		default:
			return FIB_ASK_KERNEL;
		}
		t = table_find(fib, r->table);
		if (!t)
			continue;
		v = lpm_lookup(t->lpm[fam_index(q->family)], &q->dst, &len);
		if (!v)
			continue;
		if (v & FIB_ASK)
			return FIB_ASK_KERNEL;
		nh = ft_deref(fib->nh[v]);
		if (!nh)
			return FIB_ASK_KERNEL;	/* changing under us */
		if (nh->type == RTN_THROW)
			continue;
		if (r->suppress_prefixlen >= 0 && len <= r->suppress_prefixlen)
			continue;
		res->table = r->table;
		res->prefix_len = len;
		res->type = nh->type;
		switch (nh->type) {
		case RTN_UNICAST:
		case RTN_LOCAL:
			res->nh = nh;
			return FIB_OK;
		case RTN_BLACKHOLE:
		case RTN_UNREACHABLE:
		case RTN_PROHIBIT:
			return FIB_NO_ROUTE;
		default:
			/* broadcast, multicast, anycast, NAT: not modelled */
			return FIB_ASK_KERNEL;
		}
	}
	return FIB_NO_ROUTE;
}

const struct fib_nexthop *fib_table_lookup(const struct fib *fib,
					   uint32_t table, uint8_t family,
					   const union fc_addr *dst)
{
	const struct fib_table *t = table_find(fib, table);
	uint8_t len;
	uint32_t v;

	if (!t)
		return NULL;
	v = lpm_lookup(t->lpm[fam_index(family)], dst, &len);
	return v && !(v & FIB_ASK) ? ft_deref(fib->nh[v]) : NULL;
}

const struct fib_nexthop *fib_nexthop(const struct fib *fib, uint32_t id)
{
	return id && id < FIB_MAX_NH ? ft_deref(fib->nh[id]) : NULL;
}

/* --- life ------------------------------------------------------------------- */

void fib_reclaim(struct fib *fib)
{
	struct rule_set *rs;
	uint32_t i;

	if (!fib->n_retired_nh && !fib->retired_rules) {
		for (i = 0; i < fib->n_tables; i++) {
			lpm_reclaim(fib->tables[i]->lpm[0]);
			lpm_reclaim(fib->tables[i]->lpm[1]);
		}
		return;
	}
	fib->p.synchronize();
	while (fib->n_retired_nh)
		free(fib->retired_nh[--fib->n_retired_nh]);
	while ((rs = fib->retired_rules)) {
		fib->retired_rules = rs->retired;
		free(rs);
	}
	for (i = 0; i < fib->n_tables; i++) {
		lpm_reclaim(fib->tables[i]->lpm[0]);
		lpm_reclaim(fib->tables[i]->lpm[1]);
	}
}

void fib_get_stats(const struct fib *fib, struct fib_stats *st)
{
	uint32_t i;

	memset(st, 0, sizeof(*st));
	st->routes4 = fib->routes4;
	st->routes6 = fib->routes6;
	st->rules = fib->rules ? fib->rules->n : 0;
	st->tables = fib->n_tables;
	st->generation = fib_generation(fib);
	for (i = 1; i < FIB_MAX_NH; i++)
		st->nexthops += fib->slots[i].nh != NULL;
	st->memory = fib->n_buckets * sizeof(*fib->buckets) +
		     fib->n_routes * sizeof(struct route);
	for (i = 0; i < fib->n_tables; i++)
		st->memory += lpm_memory(fib->tables[i]->lpm[0]) +
			      lpm_memory(fib->tables[i]->lpm[1]);
}

struct fib *fib_new(const struct fib_params *p)
{
	struct fib *fib = calloc(1, sizeof(*fib));

	if (!fib)
		return NULL;
	fib->p = *p;
	fib->nh = calloc(FIB_MAX_NH, sizeof(*fib->nh));
	fib->slots = calloc(FIB_MAX_NH, sizeof(*fib->slots));
	if (!fib->nh || !fib->slots) {
		free(fib->nh);
		free(fib->slots);
		free(fib);
		return NULL;
	}
	return fib;
}

void fib_free(struct fib *fib)
{
	uint32_t i;

	if (!fib)
		return;
	fib_flush_routes(fib);
	fib_reclaim(fib);
	free(fib->rules);
	for (i = 0; i < fib->n_tables; i++) {
		lpm_free(fib->tables[i]->lpm[0]);
		lpm_free(fib->tables[i]->lpm[1]);
		free(fib->tables[i]);
	}
	free(fib->buckets);
	free(fib->nh);
	free(fib->slots);
	free(fib);
}

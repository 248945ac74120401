// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "policy.h"

static bool ifname_in(const struct ifname_list *l, const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < l->n; i++)
		if (!strncmp(l->v[i], name, IFNAMSIZ))
			return true;
	return false;
}

static bool addr_in(const struct prefix_list *l, uint8_t family,
		    const union fc_addr *a)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (prefix_contains(&l->v[i], family, a))
			return true;
	return false;
}

bool port_in(const struct port_list *l, uint16_t port)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (port >= l->v[i].lo && port <= l->v[i].hi)
			return true;
	return false;
}

static bool zone_matches(const struct zone_match *m, const struct tuple *t,
			 const struct pkt_where *w)
{
	/* a locally generated packet's replies arrive where it leaves */
	const char *in = w->iif ? w->iif : w->oif;

	if (m->iif.n && !ifname_in(&m->iif, in))
		return false;
	if (m->proto && m->proto != t->proto)
		return false;
	if (m->addr.n && !addr_in(&m->addr, t->family, &t->src) &&
	    !addr_in(&m->addr, t->family, &t->dst))
		return false;
	if (m->port.n && !port_in(&m->port, t->sport) &&
	    !port_in(&m->port, t->dport))
		return false;
	return true;
}

const struct zone_conf *zone_classify(const struct zone_conf *zones,
				      size_t n, const struct tuple *t,
				      const struct pkt_where *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (zone_matches(&zones[i].match, t, w))
			return &zones[i];
	return NULL;
}

static bool id_in(const uint32_t *v, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* path is cg, or below it */
static bool cgroup_in(char *const *cg, size_t n, const char *path)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(cg[i]);
		if (!strncmp(path, cg[i], len) &&
		    (path[len] == '\0' || path[len] == '/' ||
		     (len == 1 && cg[i][0] == '/')))
			return true;
	}
	return false;
}

static bool owner_matches(const struct owner_match *m,
			  const struct pkt_where *w)
{
	const struct owner_view *o;
	size_t i;

	if (!w->owner)
		return false;
	o = w->owner(w->owner_ctx, m->need);
	if (!o || (o->has & m->need) != m->need)
		return false;
	if (m->n_uid && !id_in(m->uid, m->n_uid, o->uid))
		return false;
	if (m->n_gid && !id_in(m->gid, m->n_gid, o->gid))
		return false;
	if (m->n_comm) {
		for (i = 0; i < m->n_comm; i++)
			if (!strcmp(m->comm[i], o->comm))
				break;
		if (i == m->n_comm)
			return false;
	}
	if (m->n_cgroup && !cgroup_in(m->cgroup, m->n_cgroup, o->cgroup))
		return false;
	return true;
}

static bool rule_matches(const struct rule_conf *r, const struct tuple *t,
			 const struct pkt_where *w)
{
	const struct rule_match *m = &r->match;

	if ((r->has & RULE_HAS_ZONE) && m->zone != t->zone)
		return false;
	if ((r->has & RULE_HAS_FAMILY) && m->family != t->family)
		return false;
	if ((r->has & RULE_HAS_PROTO) && m->proto != t->proto)
		return false;
	if (m->src.n && !addr_in(&m->src, t->family, &t->src))
		return false;
	if (m->dst.n && !addr_in(&m->dst, t->family, &t->dst))
		return false;
	if (m->sport.n && !port_in(&m->sport, t->sport))
		return false;
	if (m->dport.n && !port_in(&m->dport, t->dport))
		return false;
	if (m->iif.n && !ifname_in(&m->iif, w->iif))
		return false;
	if (m->oif.n && !ifname_in(&m->oif, w->oif))
		return false;
	/* last: it may cost a lookup */
	if (m->owner.need && !owner_matches(&m->owner, w))
		return false;
	return true;
}

const struct zone_conf *zone_find(const struct zone_conf *zones, size_t n,
				  uint16_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (zones[i].id == id)
			return &zones[i];
	return NULL;
}

const struct rule_conf *policy_eval(const struct rule_conf *rules, size_t n,
				    const struct tuple *t,
				    const struct pkt_where *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rule_matches(&rules[i], t, w))
			return &rules[i];
	return NULL;
}

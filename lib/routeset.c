// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Interned route answers (see routeset.h): an array by id and an open
 * addressing index of ids. An answer is written in full before its id
 * is published in the index (release), so a reader that finds the id
 * (acquire) sees the whole answer; nothing is ever removed, so there is
 * nothing to reclaim.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "routeset.h"

/* Twice the ids: linear probing stays short when full. */
#define INDEX_SIZE	(2u * (ROUTESET_MAX + 1))

struct routeset {
	pthread_mutex_t lock;
	uint32_t n;			/* ids 1..n are given out */
	uint64_t full;
	struct route_info *v;		/* by id; [0] unused */
	uint16_t *index;		/* ids by hash, 0: empty */
};

/* Only the fields that are set take part, so that equal answers are
 * equal however their unused bytes were left. */
static void canonical(const struct route_info *r, struct route_info *c)
{
	memset(c, 0, sizeof(*c));
	c->family = r->family;
	c->type = r->type;
	c->table = r->table;
	c->oif = r->oif;
	c->has_gateway = r->has_gateway;
	c->has_prefsrc = r->has_prefsrc;
	if (r->has_gateway)
		c->gateway = r->gateway;
	if (r->has_prefsrc)
		c->prefsrc = r->prefsrc;
}

static uint32_t answer_hash(const struct route_info *c)
{
	const uint8_t *p = (const uint8_t *)c;
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < sizeof(*c); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (uint32_t)(h ^ h >> 32) & (INDEX_SIZE - 1);
}

struct routeset *routeset_new(void)
{
	struct routeset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	/* calloc maps these fresh: pages are touched only as ids are used */
	rs->v = calloc(ROUTESET_MAX + 1, sizeof(*rs->v));
	rs->index = calloc(INDEX_SIZE, sizeof(*rs->index));
	if (!rs->v || !rs->index) {
		routeset_free(rs);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&rs->lock, NULL);
	return rs;
}

void routeset_free(struct routeset *rs)
{
	if (!rs)
		return;
	if (rs->v && rs->index)
		pthread_mutex_destroy(&rs->lock);
	free(rs->v);
	free(rs->index);
	free(rs);
}

/* The slot holding c's id, or the empty slot where it would go. */
static uint32_t find(const struct routeset *rs, const struct route_info *c,
		     uint16_t *id)
{
	uint32_t pos = answer_hash(c);

	for (;;) {
		*id = __atomic_load_n(&rs->index[pos], __ATOMIC_ACQUIRE);
		if (!*id || !memcmp(&rs->v[*id], c, sizeof(*c)))
			return pos;
		pos = (pos + 1) & (INDEX_SIZE - 1);
	}
}

uint16_t routeset_intern(struct routeset *rs, const struct route_info *r)
{
	struct route_info c;
	uint32_t pos;
	uint16_t id;

	canonical(r, &c);
	find(rs, &c, &id);
	if (id)
		return id;
	pthread_mutex_lock(&rs->lock);
	pos = find(rs, &c, &id);
	if (!id) {
		if (rs->n == ROUTESET_MAX) {
			__atomic_fetch_add(&rs->full, 1, __ATOMIC_RELAXED);
		} else {
			id = (uint16_t)(rs->n + 1);
			rs->v[id] = c;
			__atomic_store_n(&rs->n, id, __ATOMIC_RELEASE);
			__atomic_store_n(&rs->index[pos], id, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&rs->lock);
	return id;
}

const struct route_info *routeset_get(const struct routeset *rs, uint16_t id)
{
	if (!id || id > __atomic_load_n(&rs->n, __ATOMIC_ACQUIRE))
		return NULL;
	return &rs->v[id];
}

void routeset_get_stats(const struct routeset *rs, struct routeset_stats *st)
{
	st->answers = __atomic_load_n(&rs->n, __ATOMIC_ACQUIRE);
	st->full = __atomic_load_n(&rs->full, __ATOMIC_RELAXED);
}

const char *route_type_name(uint8_t type)
{
	static const char *const names[] = {
		[RTN_UNICAST] = "unicast", [RTN_LOCAL] = "local",
		[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast",
		[RTN_MULTICAST] = "multicast", [RTN_BLACKHOLE] = "blackhole",
		[RTN_UNREACHABLE] = "unreachable", [RTN_PROHIBIT] = "prohibit",
		[RTN_THROW] = "throw",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
	       names[type] : "other";
}

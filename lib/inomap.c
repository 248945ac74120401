// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inomap.h"

#define INOMAP_MIN_SLOTS	1024u

static uint32_t slot_of(const struct inomap *m, uint32_t inode)
{
	return (uint32_t)((inode * 0x9e3779b97f4a7c15ull) >> 32) & m->mask;
}

int inomap_init(struct inomap *m, uint32_t max)
{
	memset(m, 0, sizeof(*m));
	m->v = calloc(INOMAP_MIN_SLOTS, sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	m->mask = INOMAP_MIN_SLOTS - 1;
	m->max = max ? max : 1;
	return 0;
}

void inomap_free(struct inomap *m)
{
	free(m->v);
	m->v = NULL;
}

void inomap_clear(struct inomap *m)
{
	memset(m->v, 0, ((size_t)m->mask + 1) * sizeof(*m->v));
	m->n = 0;
}

static struct inomap_entry *probe(const struct inomap *m, uint32_t inode)
{
	uint32_t i = slot_of(m, inode);

	while (m->v[i].inode && m->v[i].inode != inode)
		i = (i + 1) & m->mask;
	return &m->v[i];
}

/* Twice the slots, the entries moved over; at most half full after. */
static int grow(struct inomap *m)
{
	struct inomap old = *m;
	uint32_t i;

	m->v = calloc(((size_t)old.mask + 1) * 2, sizeof(*m->v));
	if (!m->v) {
		*m = old;
		return -ENOMEM;
	}
	m->mask = old.mask * 2 + 1;
	for (i = 0; i <= old.mask; i++)
		if (old.v[i].inode)
			*probe(m, old.v[i].inode) = old.v[i];
	free(old.v);
	return 0;
}

int inomap_put(struct inomap *m, uint32_t inode, uint32_t pid, uint32_t fd)
{
	struct inomap_entry *e;

	if (!inode)
		return 0;
	e = probe(m, inode);
	if (!e->inode) {
		if (m->n >= m->max) {
			inomap_clear(m);
		} else if ((m->n + 1) * 2 > m->mask + 1) {
			if (grow(m) < 0)
				return -ENOMEM;
		}
		e = probe(m, inode);
		m->n++;
	}
	*e = (struct inomap_entry){ .inode = inode, .pid = pid, .fd = fd };
	return 0;
}

const struct inomap_entry *inomap_get(const struct inomap *m, uint32_t inode)
{
	const struct inomap_entry *e;

	if (!inode)
		return NULL;
	e = probe(m, inode);
	return e->inode ? e : NULL;
}

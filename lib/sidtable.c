// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known stream IDs (see sidtable.h): a dense array of entries and an
 * index of (hash, entry + 1) slots. Keys are stored canonical, their
 * unused bytes and padding zero, so one memcmp compares zone, length
 * and bytes, and one hash of the whole struct covers exactly those.
 *
 * Growth doubles; shrinking waits until an eighth full and then leaves
 * a quarter, so a count going up and down around one size does not
 * rebuild each time. A rebuild recomputes every hash: at 100,000 sids
 * a few milliseconds, rare, and it keeps the slot at 8 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sidtable.h"

#define MIN_SLOTS	64u
#define MIN_ENTRIES	32u
/* The index tops out at 2^31 slots, at most half of them used. */
#define HARD_MAX	(1u << 30)

struct slot {
	uint32_t hash;			/* low bits of the key's hash */
	uint32_t idx;			/* entry + 1; 0: free */
};

struct sidtable {
	struct hash_key key;
	struct sid_entry *v;		/* [0, n) in use */
	uint32_t n, cap;
	struct slot *index;
	uint32_t mask;			/* slots - 1 */
	uint32_t max;			/* 0: no cap */
};

static bool canonical(const struct sid_key *k, struct sid_key *c)
{
	if (!k->len || k->len > SID_MAX_LEN)
		return false;
	memset(c, 0, sizeof(*c));
	c->zone = k->zone;
	c->len = k->len;
	memcpy(c->b, k->b, k->len);
	return true;
}

static uint32_t key_hash(const struct sidtable *t, const struct sid_key *c)
{
	return (uint32_t)siphash13(&t->key, c, sizeof(*c));
}

/* The slot holding c, or the free slot where it would go. */
static uint32_t find(const struct sidtable *t, const struct sid_key *c,
		     uint32_t h, bool *found)
{
	uint32_t i = h & t->mask;
	const struct slot *s;

	for (;; i = (i + 1) & t->mask) {
		s = &t->index[i];
		if (!s->idx)
			break;
		if (s->hash == h &&
		    !memcmp(&t->v[s->idx - 1].key, c, sizeof(*c))) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

/* The slot of entry idx, which is in the table. */
static uint32_t slot_of(const struct sidtable *t, uint32_t idx)
{
	uint32_t i = key_hash(t, &t->v[idx].key) & t->mask;

	while (t->index[i].idx != idx + 1)
		i = (i + 1) & t->mask;
	return i;
}

/* A new index of slots slots (a power of two) over the same entries. */
static int rebuild(struct sidtable *t, uint32_t slots)
{
	struct slot *index = calloc(slots, sizeof(*index));
	uint32_t k, h, i, mask = slots - 1;

	if (!index)
		return -ENOMEM;
	for (k = 0; k < t->n; k++) {
		h = key_hash(t, &t->v[k].key);
		for (i = h & mask; index[i].idx; i = (i + 1) & mask)
			;
		index[i] = (struct slot){ h, k + 1 };
	}
	free(t->index);
	t->index = index;
	t->mask = mask;
	return 0;
}

static int resize_entries(struct sidtable *t, uint32_t cap)
{
	struct sid_entry *v = realloc(t->v, (size_t)cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->v = v;
	t->cap = cap;
	return 0;
}

/* After removals: give memory back once an eighth full. Failing to is
 * harmless, the table just stays larger. */
static void maybe_shrink(struct sidtable *t)
{
	uint32_t slots = MIN_SLOTS, cap = MIN_ENTRIES;

	if ((uint64_t)t->n * 8 < (uint64_t)t->mask + 1 &&
	    t->mask + 1 > MIN_SLOTS) {
		while (slots < (uint64_t)t->n * 4)
			slots *= 2;
		rebuild(t, slots);
	}
	if ((uint64_t)t->n * 8 < t->cap && t->cap > MIN_ENTRIES) {
		while (cap < (uint64_t)t->n * 2)
			cap *= 2;
		resize_entries(t, cap);
	}
}

/*
 * Remove the entry in slot pos. Backward shift: each later entry of the
 * probe run that may sit in the freed slot (its home is not between the
 * hole and where it is) moves up, so every run stays unbroken without
 * tombstones. Then the last entry takes the removed one's place.
 */
static void remove_at(struct sidtable *t, uint32_t pos)
{
	uint32_t idx = t->index[pos].idx - 1, last = t->n - 1;
	uint32_t hole = pos, j = pos, home;

	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->index[j].idx)
			break;
		home = t->index[j].hash & t->mask;
		if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
			t->index[hole] = t->index[j];
			hole = j;
		}
	}
	t->index[hole] = (struct slot){ 0, 0 };
	if (idx != last) {
		t->index[slot_of(t, last)].idx = idx + 1;
		memcpy(&t->v[idx], &t->v[last], sizeof(t->v[idx]));
	}
	t->n--;
}

struct sidtable *sidtable_new(uint32_t max_entries,
			      void (*random)(void *buf, size_t len))
{
	struct sidtable *t;

	if (!random) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max_entries;
	random(&t->key, sizeof(t->key));
	t->index = calloc(MIN_SLOTS, sizeof(*t->index));
	t->v = malloc(MIN_ENTRIES * sizeof(*t->v));
	if (!t->index || !t->v) {
		sidtable_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->mask = MIN_SLOTS - 1;
	t->cap = MIN_ENTRIES;
	return t;
}

void sidtable_free(struct sidtable *t)
{
	if (!t)
		return;
	free(t->v);
	free(t->index);
	free(t);
}

struct sid_entry *sidtable_get(struct sidtable *t, const struct sid_key *k)
{
	struct sid_key c;
	uint32_t pos;
	bool found;

	if (!canonical(k, &c))
		return NULL;
	pos = find(t, &c, key_hash(t, &c), &found);
	return found ? &t->v[t->index[pos].idx - 1] : NULL;
}

struct sid_entry *sidtable_add(struct sidtable *t, const struct sid_key *k,
			       uint16_t backend, uint64_t now)
{
	struct sid_entry *e;
	struct sid_key c;
	uint32_t h, pos;
	bool found;

	if (!canonical(k, &c)) {
		errno = EINVAL;
		return NULL;
	}
	h = key_hash(t, &c);
	pos = find(t, &c, h, &found);
	if (found) {
		errno = EEXIST;
		return NULL;
	}
	if ((t->max && t->n >= t->max) || t->n >= HARD_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	if (t->n == t->cap && resize_entries(t, t->cap * 2) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1) {
		if (rebuild(t, (t->mask + 1) * 2) < 0) {
			errno = ENOMEM;
			return NULL;
		}
		pos = find(t, &c, h, &found);
	}
	e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	memcpy(&e->key, &c, sizeof(c));	/* padding included */
	e->backend = backend;
	e->first_seen = now;
	e->last_seen = now;
	t->index[pos] = (struct slot){ h, t->n + 1 };
	t->n++;
	return e;
}

void sidtable_del(struct sidtable *t, const struct sid_key *k)
{
	struct sid_key c;
	uint32_t pos;
	bool found;

	if (!canonical(k, &c))
		return;
	pos = find(t, &c, key_hash(t, &c), &found);
	if (!found)
		return;
	remove_at(t, pos);
	maybe_shrink(t);
}

size_t sidtable_expire(struct sidtable *t, uint64_t now,
		       uint32_t (*idle)(void *ctx, uint16_t zone),
		       void (*gone)(void *ctx, const struct sid_entry *e),
		       void *ctx)
{
	struct sid_entry *e;
	size_t removed = 0;
	uint32_t k = 0, w;

	/* a removal brings the last entry to k: look at k again */
	while (k < t->n) {
		e = &t->v[k];
		w = idle(ctx, e->key.zone);
		if (!w || now < e->last_seen || now - e->last_seen < w) {
			k++;
			continue;
		}
		if (gone)
			gone(ctx, e);
		remove_at(t, slot_of(t, k));
		removed++;
	}
	if (removed)
		maybe_shrink(t);
	return removed;
}

void sidtable_walk(struct sidtable *t,
		   bool (*fn)(struct sid_entry *e, void *ctx), void *ctx)
{
	uint32_t k;

	for (k = 0; k < t->n; k++)
		if (!fn(&t->v[k], ctx))
			break;
}

size_t sidtable_count(const struct sidtable *t)
{
	return t->n;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Maglev table building (see maglev.h).
 *
 * Each backend has a permutation of the table's slots, offset + j * skip
 * (mod size), from two hashes of its name; size is prime, so any skip in
 * 1..size-1 visits every slot. Backends take turns; on its turn a
 * backend claims the next slot of its permutation that nobody holds yet,
 * until all are held.
 *
 * Weights decide whose turn it is, by credit: in every round each
 * backend earns its weight, and takes one turn when its credit reaches
 * the largest weight (which it then pays). The heaviest backends take a
 * turn every round, one of a third their weight every third round.
 * Backends with a turn in the same round take it in name order. With
 * equal weights this is the paper's round robin. If the table fills in
 * round R, a backend of weight w holds floor(R * w / wmax) entries or
 * one fewer (the round ran out before its turn): within about n entries
 * of its exact share, and nothing at all when w < wmax / R (1 against
 * 1,000,000 in 65537 entries).
 *
 * Rather than visiting every backend in every round (n * rounds steps,
 * which one heavy backend among many light ones makes n * size), each
 * backend's next turn is computed, k turns done means its k+1-th comes
 * in round ceil((k + 1) * wmax / w), and a heap hands out turns in
 * (round, name) order: size * log n steps, the same table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "maglev.h"

/*
 * The fixed keys; see maglev.h for why they may never change. ASCII, so
 * nobody mistakes them for secrets: "maglev-o" "ffset-v1", "maglev-s"
 * "kip-v1\0\0", "maglev-s" "id-v1\0\0\0".
 */
static const struct hash_key offset_key = {
	0x6d61676c65762d6full, 0x66667365742d7631ull
};
static const struct hash_key skip_key = {
	0x6d61676c65762d73ull, 0x6b69702d76310000ull
};
static const struct hash_key sid_key = {
	0x6d61676c65762d73ull, 0x69642d7631000000ull
};

struct maglev {
	uint32_t size;
	size_t n;
	uint16_t *table;		/* backend of each slot */
	uint32_t *share;		/* slots held, by caller's index */
};

/* A backend while the table is built, in name order. */
struct builder {
	const char *name;
	uint16_t idx;			/* in the caller's arrays */
	uint32_t weight;
	uint32_t skip;
	uint32_t next;			/* its next candidate slot */
	uint64_t turns;			/* taken so far */
};

struct turn {
	uint64_t round;
	uint32_t rank;			/* in name order: breaks ties */
};

static bool is_prime(uint32_t x)
{
	uint32_t d;

	if (x < 2)
		return false;
	if (x % 2 == 0)
		return x == 2;
	for (d = 3; (uint64_t)d * d <= x; d += 2)
		if (x % d == 0)
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct builder *)a)->name,
		      ((const struct builder *)b)->name);
}

static bool turn_before(const struct turn *a, const struct turn *b)
{
	return a->round < b->round ||
	       (a->round == b->round && a->rank < b->rank);
}

static void heap_down(struct turn *h, size_t len, size_t i)
{
	struct turn t = h[i];
	size_t c;

	while ((c = 2 * i + 1) < len) {
		if (c + 1 < len && turn_before(&h[c + 1], &h[c]))
			c++;
		if (!turn_before(&h[c], &t))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = t;
}

/* The round of a backend's turn after k: the first r with r * w >= k * wmax.
 * k <= size and wmax fit 32 bits, so the product cannot overflow. */
static uint64_t turn_round(uint64_t k, uint32_t w, uint32_t wmax)
{
	uint64_t a = k * wmax;

	return a / w + (a % w != 0);
}

/* Fill the table; b[0..active) are the backends of positive weight, in
 * name order. */
static int fill(struct maglev *m, struct builder *b, size_t active,
		uint32_t wmax)
{
	struct turn *heap = malloc(active * sizeof(*heap));
	bool *held = calloc(m->size, sizeof(*held));
	uint32_t filled = 0;
	size_t i;

	if (!heap || !held) {
		free(heap);
		free(held);
		return -ENOMEM;
	}
	for (i = 0; i < active; i++)
		heap[i] = (struct turn){ turn_round(1, b[i].weight, wmax),
					 (uint32_t)i };
	for (i = active / 2; i-- > 0;)
		heap_down(heap, active, i);

	while (filled < m->size) {
		struct builder *t = &b[heap[0].rank];

		/* a full permutation: a free slot is always found */
		while (held[t->next])
			t->next = (uint32_t)(((uint64_t)t->next + t->skip) %
					     m->size);
		held[t->next] = true;
		m->table[t->next] = t->idx;
		m->share[t->idx]++;
		filled++;
		t->next = (uint32_t)(((uint64_t)t->next + t->skip) % m->size);
		t->turns++;
		heap[0].round = turn_round(t->turns + 1, t->weight, wmax);
		heap_down(heap, active, 0);
	}
	free(heap);
	free(held);
	return 0;
}

struct maglev *maglev_new(const char *const *names, const uint32_t *weights,
			  size_t n, uint32_t size)
{
	struct builder *b = NULL;
	struct maglev *m = NULL;
	size_t i, active = 0;
	uint32_t wmax = 0;
	int err = -EINVAL;

	if (!names || n == 0 || n > MAGLEV_MAX_BACKENDS || size < n ||
	    !is_prime(size))
		goto out;
	b = calloc(n, sizeof(*b));
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!names[i])
			goto out;
		b[i].name = names[i];
		b[i].idx = (uint16_t)i;
		b[i].weight = weights ? weights[i] : 1;
	}
	qsort(b, n, sizeof(*b), by_name);
	/* equal names would be one backend twice, its rank by input order */
	for (i = 1; i < n; i++)
		if (!strcmp(b[i - 1].name, b[i].name))
			goto out;
	/* the weightless drop out of the build altogether; the order of
	 * the rest stays by name */
	for (i = 0; i < n; i++) {
		if (!b[i].weight)
			continue;
		b[active] = b[i];
		if (b[active].weight > wmax)
			wmax = b[active].weight;
		active++;
	}
	if (!active)
		goto out;
	for (i = 0; i < active; i++) {
		size_t len = strlen(b[i].name);

		b[i].next = (uint32_t)(siphash13(&offset_key, b[i].name, len) %
				       size);
		/* size 2 leaves one choice, which is fine: 1 */
		b[i].skip = size > 2 ?
			    (uint32_t)(siphash13(&skip_key, b[i].name, len) %
				       (size - 1)) + 1 : 1;
	}

	err = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out;
	m->size = size;
	m->n = n;
	m->table = malloc((size_t)size * sizeof(*m->table));
	m->share = calloc(n, sizeof(*m->share));
	if (!m->table || !m->share)
		goto out;
	err = fill(m, b, active, wmax);
out:
	free(b);
	if (err < 0) {
		maglev_free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

void maglev_free(struct maglev *m)
{
	if (!m)
		return;
	free(m->table);
	free(m->share);
	free(m);
}

int maglev_pick(const struct maglev *m, uint64_t key_hash)
{
	return m->table[key_hash % m->size];
}

uint64_t maglev_hash(const void *key, size_t len)
{
	return siphash13(&sid_key, key, len);
}

uint32_t maglev_share(const struct maglev *m, size_t i)
{
	return i < m->n ? m->share[i] : 0;
}

uint32_t maglev_size(const struct maglev *m)
{
	return m->size;
}

size_t maglev_count(const struct maglev *m)
{
	return m->n;
}

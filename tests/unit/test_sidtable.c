// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/sidtable.c: what is added is found, once; zone and
 * length are part of a sid and bytes past the length are not; expiry
 * removes exactly the idle, per zone, and says so for each; the table
 * grows to 100,000 sids, loses half and takes them again; the cap
 * refuses with ENOSPC; and random adds and deletes agree with a plain
 * array, through growth and shrinking.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sidtable.h"
#include "unit.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Deterministic, so a failure can be run again. */
static void test_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = (uint8_t)rnd();
}

/* Sid number i of zone: i's bytes, little-endian, as many as fit in
 * len; past 4 of them 0x5a, like the rest of a QUIC CID. */
static struct sid_key sid(uint16_t zone, uint32_t i, uint8_t len)
{
	struct sid_key k;
	uint8_t j;

	memset(&k, 0, sizeof(k));
	k.zone = zone;
	k.len = len;
	for (j = 0; j < len && j < SID_MAX_LEN; j++)
		k.b[j] = j < 4 ? (uint8_t)(i >> (8 * j)) : 0x5a;
	return k;
}

START_TEST(test_add_get_del)
{
	struct sidtable *t = sidtable_new(0, test_random);
	struct sid_key k = sid(1, 0xabcdef, 4), garbage;
	struct sid_entry *e;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(sidtable_get(t, &k));
	e = sidtable_add(t, &k, 3, 1000);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->backend, 3);
	ck_assert_uint_eq(e->flows, 0);
	ck_assert_uint_eq(e->packets, 0);
	ck_assert_uint_eq(e->first_seen, 1000);
	ck_assert_uint_eq(e->last_seen, 1000);
	ck_assert_uint_eq(sidtable_count(t), 1);
	e->flows = 2;
	e->packets = 7;

	/* garbage past len is not part of the sid, nor stored */
	garbage = k;
	memset(garbage.b + 4, 0xff, SID_MAX_LEN - 4);
	e = sidtable_get(t, &garbage);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->flows, 2);
	ck_assert_uint_eq(e->packets, 7);
	ck_assert_mem_eq(e->key.b, k.b, SID_MAX_LEN);

	errno = 0;
	ck_assert_ptr_null(sidtable_add(t, &garbage, 4, 1001));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_uint_eq(sidtable_get(t, &k)->backend, 3);
	ck_assert_uint_eq(sidtable_count(t), 1);

	sidtable_del(t, &k);
	ck_assert_ptr_null(sidtable_get(t, &k));
	ck_assert_uint_eq(sidtable_count(t), 0);
	sidtable_del(t, &k);		/* unknown: nothing */
	ck_assert_ptr_nonnull(sidtable_add(t, &k, 1, 2000));
	ck_assert_uint_eq(sidtable_get(t, &k)->first_seen, 2000);
	sidtable_free(t);
	sidtable_free(NULL);
}
END_TEST

START_TEST(test_key_is_zone_len_bytes)
{
	struct sidtable *t = sidtable_new(0, test_random);
	struct sid_key a = sid(1, 7, 4);		/* 07 00 00 00 */
	struct sid_key longer = sid(1, 7, 5);		/* 07 00 00 00 5a */
	struct sid_key shorter = sid(1, 7, 3);		/* 07 00 00 */
	struct sid_key zone2 = sid(2, 7, 4);
	struct sid_key zeros = sid(1, 7, 4);

	/* the same bytes as a's and the zero padding, but longer */
	zeros.len = 8;
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(sidtable_add(t, &a, 1, 0));
	ck_assert_ptr_null(sidtable_get(t, &longer));
	ck_assert_ptr_null(sidtable_get(t, &shorter));
	ck_assert_ptr_null(sidtable_get(t, &zone2));
	ck_assert_ptr_null(sidtable_get(t, &zeros));
	ck_assert_ptr_nonnull(sidtable_add(t, &longer, 2, 0));
	ck_assert_ptr_nonnull(sidtable_add(t, &shorter, 3, 0));
	ck_assert_ptr_nonnull(sidtable_add(t, &zone2, 4, 0));
	ck_assert_ptr_nonnull(sidtable_add(t, &zeros, 5, 0));
	ck_assert_uint_eq(sidtable_count(t), 5);
	ck_assert_uint_eq(sidtable_get(t, &a)->backend, 1);
	ck_assert_uint_eq(sidtable_get(t, &longer)->backend, 2);
	ck_assert_uint_eq(sidtable_get(t, &shorter)->backend, 3);
	ck_assert_uint_eq(sidtable_get(t, &zone2)->backend, 4);
	ck_assert_uint_eq(sidtable_get(t, &zeros)->backend, 5);
	sidtable_del(t, &zone2);
	ck_assert_uint_eq(sidtable_get(t, &a)->backend, 1);
	ck_assert_ptr_null(sidtable_get(t, &zone2));
	sidtable_free(t);
}
END_TEST

START_TEST(test_bad_input)
{
	struct sidtable *t = sidtable_new(0, test_random);
	struct sid_key k = sid(1, 1, 0);
	struct sid_key full = sid(1, 1, SID_MAX_LEN);

	ck_assert_ptr_nonnull(t);
	errno = 0;
	ck_assert_ptr_null(sidtable_add(t, &k, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(sidtable_get(t, &k));
	k.len = SID_MAX_LEN + 1;
	errno = 0;
	ck_assert_ptr_null(sidtable_add(t, &k, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(sidtable_get(t, &k));
	sidtable_del(t, &k);
	ck_assert_ptr_nonnull(sidtable_add(t, &full, 0, 0));
	ck_assert_ptr_nonnull(sidtable_get(t, &full));
	ck_assert_uint_eq(sidtable_count(t), 1);
	sidtable_free(t);

	errno = 0;
	ck_assert_ptr_null(sidtable_new(0, NULL));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* Zone 1: 10 s, zone 2: never, zone 3: 5 s. */
static uint32_t idle_of(void *ctx, uint16_t zone)
{
	(void)ctx;
	return zone == 1 ? 10 : zone == 3 ? 5 : 0;
}

struct gone_log {
	uint64_t now;
	size_t calls;
	uint8_t seen[3000];		/* by sid number */
};

static void on_gone(void *ctx, const struct sid_entry *e)
{
	struct gone_log *g = ctx;
	uint32_t i;

	i = e->key.b[0] | e->key.b[1] << 8;
	ck_assert_uint_lt(i, 3000);
	ck_assert_uint_eq(g->seen[i], 0);
	ck_assert_uint_ne(idle_of(ctx, e->key.zone), 0);
	ck_assert_uint_ge(g->now - e->last_seen, idle_of(ctx, e->key.zone));
	g->seen[i] = 1;
	g->calls++;
}

START_TEST(test_expire)
{
	struct sidtable *t = sidtable_new(0, test_random);
	static struct gone_log g;
	struct sid_key k;
	struct sid_entry *e;
	size_t want = 0, n;
	uint64_t last;
	uint16_t zone;
	uint32_t i;

	ck_assert_ptr_nonnull(t);
	/* sid i in zone i % 3 + 1, last seen between 85 and 104 */
	for (i = 0; i < 3000; i++) {
		zone = (uint16_t)(i % 3 + 1);
		last = 85 + i % 20;
		k = sid(zone, i, 4);
		e = sidtable_add(t, &k, 0, 80);
		ck_assert_ptr_nonnull(e);
		e->last_seen = last;
		/* at 100: zone 1 idle from 90 back, zone 3 from 95 back;
		 * a last_seen after now (101..104) is not idle */
		if ((zone == 1 && last <= 90) || (zone == 3 && last <= 95))
			want++;
	}
	g.now = 100;
	n = sidtable_expire(t, 100, idle_of, on_gone, &g);
	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(g.calls, want);
	ck_assert_uint_eq(sidtable_count(t), 3000 - want);
	/* what was reported gone is gone; the rest is there */
	for (i = 0; i < 3000; i++) {
		k = sid((uint16_t)(i % 3 + 1), i, 4);
		if (g.seen[i])
			ck_assert_ptr_null(sidtable_get(t, &k));
		else
			ck_assert_ptr_nonnull(sidtable_get(t, &k));
	}
	/* again at the same time: nothing more */
	ck_assert_uint_eq(sidtable_expire(t, 100, idle_of, on_gone, &g), 0);
	/* much later: all but zone 2's, without a gone callback */
	n = sidtable_expire(t, 1000, idle_of, NULL, NULL);
	ck_assert_uint_eq(n, 2000 - want);
	ck_assert_uint_eq(sidtable_count(t), 1000);
	for (i = 1; i < 3000; i += 3) {
		k = sid(2, i, 4);
		ck_assert_ptr_nonnull(sidtable_get(t, &k));
	}
	sidtable_free(t);
}
END_TEST

static bool count_and_mark(struct sid_entry *e, void *ctx)
{
	size_t *n = ctx;

	e->backend = 9;
	e->flows++;
	return ++*n < 1000000;
}

static bool stop_at_ten(struct sid_entry *e, void *ctx)
{
	size_t *n = ctx;

	(void)e;
	return ++*n < 10;
}

START_TEST(test_growth)
{
	struct sidtable *t = sidtable_new(0, test_random);
	struct sid_entry *e;
	struct sid_key k;
	size_t n = 0;
	uint32_t i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 100000; i++) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		e = sidtable_add(t, &k, (uint16_t)(i % 5), i);
		ck_assert_ptr_nonnull(e);
	}
	ck_assert_uint_eq(sidtable_count(t), 100000);
	for (i = 0; i < 100000; i++) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		e = sidtable_get(t, &k);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->backend, i % 5);
		ck_assert_uint_eq(e->first_seen, i);
	}
	/* delete the even half */
	for (i = 0; i < 100000; i += 2) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		sidtable_del(t, &k);
	}
	ck_assert_uint_eq(sidtable_count(t), 50000);
	for (i = 0; i < 100000; i++) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		e = sidtable_get(t, &k);
		if (i % 2) {
			ck_assert_ptr_nonnull(e);
			ck_assert_uint_eq(e->first_seen, i);
		} else {
			ck_assert_ptr_null(e);
		}
	}
	/* and back */
	for (i = 0; i < 100000; i += 2) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		ck_assert_ptr_nonnull(sidtable_add(t, &k, 7, 200000));
	}
	ck_assert_uint_eq(sidtable_count(t), 100000);
	for (i = 0; i < 100000; i++) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		e = sidtable_get(t, &k);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->backend, i % 2 ? i % 5 : 7);
	}

	sidtable_walk(t, count_and_mark, &n);
	ck_assert_uint_eq(n, 100000);
	k = sid(1, 0, 4);
	ck_assert_uint_eq(sidtable_get(t, &k)->backend, 9);
	ck_assert_uint_eq(sidtable_get(t, &k)->flows, 1);
	n = 0;
	sidtable_walk(t, stop_at_ten, &n);
	ck_assert_uint_eq(n, 10);

	/* all of them, down to empty and the smallest size */
	for (i = 0; i < 100000; i++) {
		k = sid((uint16_t)(1 + i % 7), i, (uint8_t)(4 + i % 13));
		sidtable_del(t, &k);
	}
	ck_assert_uint_eq(sidtable_count(t), 0);
	n = 0;
	sidtable_walk(t, count_and_mark, &n);
	ck_assert_uint_eq(n, 0);
	k = sid(1, 0, 4);
	ck_assert_ptr_nonnull(sidtable_add(t, &k, 1, 0));
	sidtable_free(t);
}
END_TEST

START_TEST(test_cap)
{
	struct sidtable *t = sidtable_new(100, test_random);
	struct sid_key k;
	uint32_t i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 100; i++) {
		k = sid(1, i, 4);
		ck_assert_ptr_nonnull(sidtable_add(t, &k, 0, 0));
	}
	k = sid(1, 100, 4);
	errno = 0;
	ck_assert_ptr_null(sidtable_add(t, &k, 0, 0));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(sidtable_count(t), 100);
	/* an existing sid is EEXIST, not ENOSPC: the caller looks it up */
	k = sid(1, 5, 4);
	errno = 0;
	ck_assert_ptr_null(sidtable_add(t, &k, 0, 0));
	ck_assert_int_eq(errno, EEXIST);
	sidtable_del(t, &k);
	k = sid(1, 100, 4);
	ck_assert_ptr_nonnull(sidtable_add(t, &k, 0, 0));
	sidtable_free(t);
}
END_TEST

/*
 * Random adds, deletes and expiries over 3,000 possible sids against a
 * plain array: the count rises and falls through several sizes, so
 * backward-shift deletion, the moves of the last entry and rebuilds in
 * both directions all run, and every answer is checked.
 */
#define MODEL_N 3000

struct model {
	bool in[MODEL_N];
	uint16_t backend[MODEL_N];
	uint64_t last[MODEL_N];
};

static struct sid_key model_key(uint32_t i)
{
	/* two bytes or more: i itself tells them apart */
	return sid((uint16_t)(i % 4), i, (uint8_t)(2 + i % (SID_MAX_LEN - 1)));
}

static uint32_t idle_all(void *ctx, uint16_t zone)
{
	(void)ctx;
	(void)zone;
	return 50;
}

static void model_gone(void *ctx, const struct sid_entry *e)
{
	struct model *m = ctx;
	uint32_t i = e->key.b[0] | e->key.b[1] << 8;
	struct sid_key k;

	ck_assert_uint_lt(i, MODEL_N);
	k = model_key(i);
	ck_assert_mem_eq(&k, &e->key, sizeof(k));
	ck_assert(m->in[i]);
	m->in[i] = false;
}

START_TEST(test_model)
{
	struct sidtable *t = sidtable_new(0, test_random);
	static struct model m;
	struct sid_entry *e;
	struct sid_key k;
	uint32_t op, i, j, target = 0;
	uint64_t now = 1000;
	size_t n;

	ck_assert_ptr_nonnull(t);
	memset(&m, 0, sizeof(m));
	for (op = 0; op < 300000; op++) {
		/* the target fill swings between empty and full */
		if (op % 20000 == 0)
			target = (uint32_t)(rnd() % MODEL_N);
		i = (uint32_t)(rnd() % MODEL_N);
		k = model_key(i);
		n = sidtable_count(t);
		if (rnd() % 1000 == 0) {
			now += 30;
			sidtable_expire(t, now, idle_all, model_gone, &m);
			for (j = 0; j < MODEL_N; j++)
				ck_assert(!m.in[j] || now - m.last[j] < 50);
		} else if (n < target || (n == target && rnd() % 2)) {
			e = sidtable_add(t, &k, (uint16_t)op, now);
			if (m.in[i]) {
				ck_assert_ptr_null(e);
				ck_assert_int_eq(errno, EEXIST);
			} else {
				ck_assert_ptr_nonnull(e);
				m.in[i] = true;
				m.backend[i] = (uint16_t)op;
				m.last[i] = now;
			}
		} else {
			sidtable_del(t, &k);
			m.in[i] = false;
		}
		if (op % 10000 == 0) {
			n = 0;
			for (j = 0; j < MODEL_N; j++) {
				k = model_key(j);
				e = sidtable_get(t, &k);
				ck_assert(!e == !m.in[j]);
				if (e) {
					ck_assert_uint_eq(e->backend,
							  m.backend[j]);
					n++;
				}
			}
			ck_assert_uint_eq(sidtable_count(t), n);
		}
	}
	sidtable_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sidtable");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_add_get_del);
	tcase_add_test(tc, test_key_is_zone_len_bytes);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_model);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

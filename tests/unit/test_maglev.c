// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/maglev.c: the table depends on the backends, not
 * on the order they are listed in, so gateways agree; weights set the
 * shares; removing a backend moves its sids and few others, adding one
 * about 1/(n+1), and the figures are printed; weight 0 is the same as
 * absent; bad input is refused. Known answers pin the hash and the fill
 * order, which daemons of different versions must agree on.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "maglev.h"
#include "unit.h"

#define KEYS	100000u

/* Deterministic, so a failure can be run again. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The hash of the i-th pseudo-random 4-byte sid, an RTP SSRC say. */
static uint64_t sid_hash(uint64_t *s)
{
	uint32_t ssrc = (uint32_t)rnd(s);

	return maglev_hash(&ssrc, sizeof(ssrc));
}

static size_t index_of(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n && strcmp(names[i], name); i++)
		;
	ck_assert_uint_lt(i, n);
	return i;
}

static const char *const five[] = { "gw-a", "gw-b", "gw-c", "gw-d", "gw-e" };

START_TEST(test_order_independent)
{
	/* the same backends, listed backwards and shuffled */
	static const char *const fwd[] = { "alpha", "bravo", "charlie",
					   "delta", "echo", "foxtrot" };
	static const uint32_t wfwd[] = { 1, 3, 1, 2, 5, 1 };
	static const char *const mix[] = { "echo", "alpha", "foxtrot",
					   "charlie", "bravo", "delta" };
	static const uint32_t wmix[] = { 5, 1, 1, 1, 3, 2 };
	struct maglev *a = maglev_new(fwd, wfwd, 6, MAGLEV_DEFAULT_SIZE);
	struct maglev *b = maglev_new(mix, wmix, 6, MAGLEV_DEFAULT_SIZE);
	uint64_t s = 0x1234567, h;
	uint32_t i;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < KEYS; i++) {
		h = sid_hash(&s);
		ck_assert_str_eq(fwd[maglev_pick(a, h)],
				 mix[maglev_pick(b, h)]);
	}
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(maglev_share(a, i),
				  maglev_share(b, index_of(mix, 6, fwd[i])));
	maglev_free(a);
	maglev_free(b);
}
END_TEST

START_TEST(test_builds_agree)
{
	struct maglev *a = maglev_new(five, NULL, 5, MAGLEV_DEFAULT_SIZE);
	struct maglev *b = maglev_new(five, NULL, 5, MAGLEV_DEFAULT_SIZE);
	uint64_t slot;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(maglev_size(a), MAGLEV_DEFAULT_SIZE);
	ck_assert_uint_eq(maglev_count(a), 5);
	/* every slot, not a sample */
	for (slot = 0; slot < MAGLEV_DEFAULT_SIZE; slot++)
		ck_assert_int_eq(maglev_pick(a, slot), maglev_pick(b, slot));
	maglev_free(a);
	maglev_free(b);
}
END_TEST

/*
 * Known answers. If this fails, sids land elsewhere than with the
 * previous version: gateways running both disagree during an upgrade.
 * Change the expected values only on purpose, and say so in NEWS.
 */
START_TEST(test_known_answers)
{
	static const uint8_t cid[8] = { 0xde, 0xad, 0xbe, 0xef,
					0x01, 0x02, 0x03, 0x04 };
	static const uint32_t w[] = { 1, 2, 1, 1, 1 };
	struct maglev *m = maglev_new(five, w, 5, MAGLEV_DEFAULT_SIZE);
	/* the first 40 slots of the table */
	static const char first[] = "1213214311014013014310344201224221324021";
	uint32_t ssrc = 0x12345678;
	uint64_t i;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(maglev_hash("", 0), 0xa261842e3a58ff43ull);
	ck_assert_uint_eq(maglev_hash(cid, sizeof(cid)), 0x7c714506a43babb5ull);
	ck_assert_int_eq(maglev_pick(m, maglev_hash(cid, sizeof(cid))),
			 4);
	ck_assert_int_eq(maglev_pick(m, maglev_hash(&ssrc, 4)), 1);
	ck_assert_int_eq(maglev_pick(m, 0), 1);
	ck_assert_int_eq(maglev_pick(m, 1), 2);
	ck_assert_int_eq(maglev_pick(m, 65536), 1);
	ck_assert_uint_eq(maglev_share(m, 1), 21846);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(maglev_pick(m, i), first[i] - '0');
	maglev_free(m);
}
END_TEST

/* Each share within one round's turns (n) of its exact proportion. */
static void check_shares(const struct maglev *m, const uint32_t *w, size_t n)
{
	uint64_t total = 0, sum = 0;
	double exact;
	size_t i;

	for (i = 0; i < n; i++)
		total += w[i];
	for (i = 0; i < n; i++) {
		exact = (double)maglev_size(m) * w[i] / total;
		ck_assert_msg(maglev_share(m, i) + (double)n >= exact &&
			      maglev_share(m, i) <= exact + (double)n,
			      "backend %zu: %u entries, %.1f exact", i,
			      maglev_share(m, i), exact);
		sum += maglev_share(m, i);
	}
	ck_assert_uint_eq(sum, maglev_size(m));
}

START_TEST(test_weights)
{
	static const char *const names[] = { "a", "b", "c" };
	static const uint32_t w[] = { 1, 2, 1 };
	static const uint32_t wild[] = { 7, 1000, 1, 0, 333 };
	struct maglev *m = maglev_new(names, w, 3, MAGLEV_DEFAULT_SIZE);
	uint32_t hits[3] = { 0 }, i;
	uint64_t s = 42;

	ck_assert_ptr_nonnull(m);
	check_shares(m, w, 3);
	for (i = 0; i < KEYS; i++)
		hits[maglev_pick(m, sid_hash(&s))]++;
	printf("maglev 1:2:1: entries %u/%u/%u, %u random sids "
	       "%.2f%%/%.2f%%/%.2f%%\n",
	       maglev_share(m, 0), maglev_share(m, 1), maglev_share(m, 2),
	       KEYS, 100.0 * hits[0] / KEYS, 100.0 * hits[1] / KEYS,
	       100.0 * hits[2] / KEYS);
	ck_assert_uint_ge(hits[0], KEYS * 23 / 100);
	ck_assert_uint_le(hits[0], KEYS * 27 / 100);
	ck_assert_uint_ge(hits[1], KEYS * 48 / 100);
	ck_assert_uint_le(hits[1], KEYS * 52 / 100);
	ck_assert_uint_ge(hits[2], KEYS * 23 / 100);
	ck_assert_uint_le(hits[2], KEYS * 27 / 100);
	maglev_free(m);

	m = maglev_new(five, wild, 5, MAGLEV_DEFAULT_SIZE);
	ck_assert_ptr_nonnull(m);
	check_shares(m, wild, 5);
	ck_assert_uint_eq(maglev_share(m, 3), 0);
	ck_assert_uint_eq(maglev_share(m, 5), 0);
	maglev_free(m);
}
END_TEST

/* Weight 0 drains a backend: the table is that of the others alone. */
START_TEST(test_weight_zero_is_absent)
{
	static const char *const four[] = { "gw-a", "gw-b", "gw-d", "gw-e" };
	static const uint32_t w5[] = { 2, 1, 0, 3, 1 };
	static const uint32_t w4[] = { 2, 1, 3, 1 };
	struct maglev *a = maglev_new(five, w5, 5, MAGLEV_DEFAULT_SIZE);
	struct maglev *b = maglev_new(four, w4, 4, MAGLEV_DEFAULT_SIZE);
	uint64_t slot;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (slot = 0; slot < MAGLEV_DEFAULT_SIZE; slot++)
		ck_assert_str_eq(five[maglev_pick(a, slot)],
				 four[maglev_pick(b, slot)]);
	maglev_free(a);
	maglev_free(b);
}
END_TEST

/*
 * Remove each of 5 backends in turn: all of its sids go to the others,
 * and of the sids on the others fewer than 2% move (Maglev trades exact
 * minimal disruption for even shares; the paper's figure for this size
 * is about 1-2%).
 */
START_TEST(test_remove_one)
{
	struct maglev *all = maglev_new(five, NULL, 5, MAGLEV_DEFAULT_SIZE);
	const char *rest[4];
	uint32_t gone, i, j, on_rest, moved, orphans;
	uint64_t s, h, slot, slot_moved;

	ck_assert_ptr_nonnull(all);
	for (gone = 0; gone < 5; gone++) {
		struct maglev *m;

		for (i = j = 0; i < 5; i++)
			if (i != gone)
				rest[j++] = five[i];
		m = maglev_new(rest, NULL, 4, MAGLEV_DEFAULT_SIZE);
		ck_assert_ptr_nonnull(m);

		s = 0xfeed + gone;
		on_rest = moved = orphans = 0;
		for (i = 0; i < KEYS; i++) {
			const char *was, *now;

			h = sid_hash(&s);
			was = five[maglev_pick(all, h)];
			now = rest[maglev_pick(m, h)];
			if (was == five[gone]) {
				ck_assert_ptr_ne(now, five[gone]);
				orphans++;
				continue;
			}
			on_rest++;
			if (strcmp(was, now))
				moved++;
		}
		slot_moved = 0;
		for (slot = 0; slot < MAGLEV_DEFAULT_SIZE; slot++)
			if (five[maglev_pick(all, slot)] != five[gone] &&
			    strcmp(five[maglev_pick(all, slot)],
				   rest[maglev_pick(m, slot)]))
				slot_moved++;
		printf("maglev remove %s of 5: %u sids moved with it, %u of "
		       "%u others moved (%.2f%%); table: %llu of %u entries "
		       "of the others (%.2f%%)\n", five[gone], orphans, moved,
		       on_rest, 100.0 * moved / on_rest,
		       (unsigned long long)slot_moved,
		       MAGLEV_DEFAULT_SIZE - maglev_share(all, gone),
		       100.0 * (double)slot_moved /
		       (MAGLEV_DEFAULT_SIZE - maglev_share(all, gone)));
		ck_assert_uint_lt(moved * 50, on_rest);
		maglev_free(m);
	}
	maglev_free(all);
}
END_TEST

/* Adding a 6th backend moves about 1/6 of the sids, nearly all to it. */
START_TEST(test_add_one)
{
	static const char *const six[] = { "gw-a", "gw-b", "gw-c", "gw-d",
					   "gw-e", "gw-f" };
	struct maglev *a = maglev_new(five, NULL, 5, MAGLEV_DEFAULT_SIZE);
	struct maglev *b = maglev_new(six, NULL, 6, MAGLEV_DEFAULT_SIZE);
	uint32_t i, moved = 0, to_new = 0;
	uint64_t s = 99, h;
	int pa, pb;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < KEYS; i++) {
		h = sid_hash(&s);
		pa = maglev_pick(a, h);
		pb = maglev_pick(b, h);
		/* the first five names are the same in both arrays */
		if (pa != pb) {
			moved++;
			if (pb == 5)
				to_new++;
		}
	}
	printf("maglev add a 6th: %u of %u sids moved (%.2f%%, 1/6 = "
	       "16.67%%), %u to the new one, %u between old ones\n", moved,
	       KEYS, 100.0 * moved / KEYS, to_new, moved - to_new);
	ck_assert_uint_ge(moved, KEYS * 15 / 100);
	ck_assert_uint_le(moved, KEYS * 19 / 100);
	ck_assert_uint_ge(to_new * 100, moved * 90);
	maglev_free(a);
	maglev_free(b);
}
END_TEST

START_TEST(test_bad_input)
{
	static const char *const dup[] = { "x", "y", "x" };
	static const char *const with_null[] = { "x", NULL };
	static const uint32_t zeros[] = { 0, 0, 0, 0, 0 };

	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, 5, 65536));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, 5, 65535));	/* 3*5*17*257 */
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, 5, 1));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, 5, 3));	/* prime < n */
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, 0, MAGLEV_DEFAULT_SIZE));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(NULL, NULL, 5, MAGLEV_DEFAULT_SIZE));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, NULL, MAGLEV_MAX_BACKENDS + 1,
				      MAGLEV_DEFAULT_SIZE * 2 + 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(five, zeros, 5, MAGLEV_DEFAULT_SIZE));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(dup, NULL, 3, MAGLEV_DEFAULT_SIZE));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(maglev_new(with_null, NULL, 2, 7));
	ck_assert_int_eq(errno, EINVAL);
	maglev_free(NULL);
}
END_TEST

/* The smallest tables still work: every slot held, by the only one. */
START_TEST(test_small)
{
	static const char *const one[] = { "only" };
	struct maglev *m = maglev_new(one, NULL, 1, 2);
	uint64_t k;

	ck_assert_ptr_nonnull(m);
	for (k = 0; k < 10; k++)
		ck_assert_int_eq(maglev_pick(m, k), 0);
	ck_assert_uint_eq(maglev_share(m, 0), 2);
	maglev_free(m);
	m = maglev_new(five, NULL, 5, 5);
	ck_assert_ptr_nonnull(m);
	for (k = 0; k < 5; k++)
		ck_assert_uint_eq(maglev_share(m, k), 1);
	maglev_free(m);
}
END_TEST

/*
 * One heavy backend among many light ones: visiting every backend each
 * round would take n * size steps; the turn heap makes it size * log n.
 */
START_TEST(test_many_backends)
{
	enum { N = 20000 };
	static char buf[N][12];
	static const char *names[N];
	static uint32_t w[N];
	struct timespec t0, t1;
	struct maglev *m;
	double ms;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "be%zu", i);
		names[i] = buf[i];
		w[i] = 1;
	}
	w[N / 2] = 1000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = maglev_new(names, w, N, MAGLEV_DEFAULT_SIZE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_ptr_nonnull(m);
	check_shares(m, w, N);
	printf("maglev %d backends, one heavy: built in %.1f ms, the heavy "
	       "one holds %u entries\n", N, ms, maglev_share(m, N / 2));
	maglev_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maglev");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_order_independent);
	tcase_add_test(tc, test_builds_agree);
	tcase_add_test(tc, test_known_answers);
	tcase_add_test(tc, test_weights);
	tcase_add_test(tc, test_weight_zero_is_absent);
	tcase_add_test(tc, test_remove_one);
	tcase_add_test(tc, test_add_one);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_small);
	tcase_add_test(tc, test_many_backends);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

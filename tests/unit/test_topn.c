// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/topn.c: the N best of random streams against a full
 * sort of the same stream (ties in arrival order), for limits from 1 to
 * more than the stream and without one; the texts travel with their
 * keys; a newcomer never displaces an equal key; topn_wants() says
 * exactly what topn_add() would do.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topn.h"
#include "unit.h"

struct ref {
	uint64_t key;
	size_t seq;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* n items with keys below range (small ranges make ties), the best limit */
static void check_stream(size_t n, uint64_t range, size_t limit, uint64_t seed)
{
	struct ref *all = calloc(n, sizeof(*all));
	struct buf text = BUF_INIT;
	struct topn t;
	size_t i, want;
	char expect[32];

	ck_assert_ptr_nonnull(all);
	topn_init(&t, limit);
	for (i = 0; i < n; i++) {
		bool wants;
		int rc;

		all[i].key = rnd(&seed) % range;
		all[i].seq = i;
		wants = topn_wants(&t, all[i].key);
		buf_reset(&text);
		buf_printf(&text, "item %zu", i);
		rc = topn_add(&t, all[i].key, &text);
		ck_assert_int_eq(rc, wants);
		if (!rc) {	/* untouched when not kept */
			snprintf(expect, sizeof(expect), "item %zu", i);
			ck_assert_str_eq(text.data, expect);
		}
	}
	qsort(all, n, sizeof(*all), ref_cmp);
	topn_sort(&t);
	want = limit && limit < n ? limit : n;
	ck_assert_uint_eq(t.n, want);
	for (i = 0; i < want; i++) {
		snprintf(expect, sizeof(expect), "item %zu", all[i].seq);
		ck_assert_msg(t.v[i].key == all[i].key,
			      "n %zu limit %zu: place %zu has key %" PRIu64
			      ", want %" PRIu64, n, limit, i, t.v[i].key,
			      all[i].key);
		ck_assert_str_eq(t.v[i].text.data, expect);
	}
	topn_free(&t);
	buf_free(&text);
	free(all);
}

START_TEST(test_against_sort)
{
	static const size_t limits[] = { 0, 1, 2, 3, 10, 100, 999, 1000, 5000 };
	static const uint64_t ranges[] = { 1, 3, 1000, UINT32_MAX };
	size_t i, k;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		for (k = 0; k < sizeof(ranges) / sizeof(ranges[0]); k++)
			check_stream(1000, ranges[k], limits[i], i * 31 + k);
	check_stream(0, 10, 5, 1);
	check_stream(1, 10, 5, 1);
}
END_TEST

/* Equal keys: the first ones stay, in arrival order. */
START_TEST(test_ties)
{
	struct buf text = BUF_INIT;
	struct topn t;
	int i;

	topn_init(&t, 3);
	for (i = 0; i < 10; i++) {
		buf_reset(&text);
		buf_printf(&text, "%d", i);
		ck_assert_int_eq(topn_add(&t, 7, &text), i < 3);
	}
	ck_assert(!topn_wants(&t, 7));
	ck_assert(topn_wants(&t, 8));
	topn_sort(&t);
	ck_assert_str_eq(t.v[0].text.data, "0");
	ck_assert_str_eq(t.v[1].text.data, "1");
	ck_assert_str_eq(t.v[2].text.data, "2");
	topn_free(&t);
	buf_free(&text);
}
END_TEST

/* A kept item's text moves in; the one that falls out comes back empty,
 * its memory reused. */
START_TEST(test_buffers)
{
	struct buf text = BUF_INIT;
	struct topn t;

	topn_init(&t, 1);
	buf_puts(&text, "first");
	ck_assert_int_eq(topn_add(&t, 1, &text), 1);
	ck_assert_ptr_null(text.data);
	ck_assert_uint_eq(text.len, 0);
	buf_puts(&text, "second");
	ck_assert_int_eq(topn_add(&t, 2, &text), 1);
	ck_assert_ptr_nonnull(text.data);
	ck_assert_uint_eq(text.len, 0);
	ck_assert_str_eq(t.v[0].text.data, "second");
	buf_puts(&text, "third");
	ck_assert_int_eq(topn_add(&t, 0, &text), 0);
	ck_assert_str_eq(text.data, "third");
	topn_free(&t);
	buf_free(&text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("topn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_against_sort);
	tcase_add_test(tc, test_ties);
	tcase_add_test(tc, test_buffers);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/hist.c and lib/prom.c: bucket bounds and the edge
 * of every bucket (a value on a bound belongs to it, one nanosecond
 * more to the next), the overflow bucket, counts of several at once and
 * the sum; merging; a reader merging while a writer thread adds, which
 * must only ever see counts that grow and, at the end, all of them;
 * and the exposition text, compared with the exact expected lines
 * (escaping, label order, seconds written exactly, a histogram's
 * cumulative buckets, +Inf, _sum and _count).
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "buf.h"
#include "hist.h"
#include "prom.h"
#include "unit.h"

static uint64_t total(const struct hist *h)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i <= HIST_BOUNDS; i++)
		n += h->bucket[i];
	return n;
}

START_TEST(test_bounds)
{
	unsigned int i;

	ck_assert_uint_eq(hist_bound_ns(0), 1000);
	ck_assert_uint_eq(hist_bound_ns(1), 2000);
	ck_assert_uint_eq(hist_bound_ns(HIST_BOUNDS - 1), 1048576000ull);
	for (i = 1; i < HIST_BOUNDS; i++)
		ck_assert_uint_eq(hist_bound_ns(i), 2 * hist_bound_ns(i - 1));
}
END_TEST

START_TEST(test_bucket_edges)
{
	unsigned int i;

	ck_assert_uint_eq(hist_bucket(0), 0);
	ck_assert_uint_eq(hist_bucket(1), 0);
	ck_assert_uint_eq(hist_bucket(999), 0);
	for (i = 0; i < HIST_BOUNDS; i++) {
		uint64_t b = hist_bound_ns(i);

		ck_assert_msg(hist_bucket(b) == i, "%llu ns in bucket %u, "
			      "not %u", (unsigned long long)b, hist_bucket(b),
			      i);
		ck_assert_uint_eq(hist_bucket(b + 1), i + 1);
		if (i > 0)
			ck_assert_uint_eq(hist_bucket(b - 1), i);
	}
	ck_assert_uint_eq(hist_bucket(UINT64_MAX), HIST_BOUNDS);
	ck_assert_uint_eq(hist_bucket(10ull * 1000000000ull), HIST_BOUNDS);
}
END_TEST

START_TEST(test_add_sum)
{
	struct hist h = { .sum_ns = 0 };

	hist_add(&h, 1500, 3);		/* 1.5 us: the 2 us bucket */
	hist_add(&h, 700, 1);
	hist_add(&h, 5000000000ull, 2);	/* 5 s: beyond the last bound */
	hist_add(&h, 42, 0);
	ck_assert_uint_eq(h.bucket[0], 1);
	ck_assert_uint_eq(h.bucket[1], 3);
	ck_assert_uint_eq(h.bucket[HIST_BOUNDS], 2);
	ck_assert_uint_eq(total(&h), 6);
	ck_assert_uint_eq(h.sum_ns, 4500 + 700 + 10000000000ull);
}
END_TEST

START_TEST(test_merge)
{
	struct hist a = { .sum_ns = 0 }, b = a, m = a;

	hist_add(&a, 3000, 2);
	hist_add(&b, 3000, 1);
	hist_add(&b, 100000, 4);
	hist_merge(&m, &a);
	hist_merge(&m, &b);
	ck_assert_uint_eq(m.bucket[hist_bucket(3000)], 3);
	ck_assert_uint_eq(m.bucket[hist_bucket(100000)], 4);
	ck_assert_uint_eq(total(&m), 7);
	ck_assert_uint_eq(m.sum_ns, 9000 + 400000);
	/* the sources are left as they were */
	ck_assert_uint_eq(total(&a), 2);
}
END_TEST

#define ADDS 2000000u

struct race {
	struct hist h;
	atomic_bool done;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	uint64_t i;

	for (i = 0; i < ADDS; i++)
		hist_add(&r->h, (i % 4096) * 300, 1);
	atomic_store(&r->done, true);
	return NULL;
}

START_TEST(test_concurrent_reader)
{
	static struct race r;
	uint64_t last = 0, reads = 0;
	pthread_t t;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pthread_create(&t, NULL, writer, &r), 0);
	while (!atomic_load(&r.done)) {
		struct hist m = { .sum_ns = 0 };
		uint64_t n;

		hist_merge(&m, &r.h);
		n = total(&m);
		ck_assert_uint_ge(n, last);
		ck_assert_uint_le(n, ADDS);
		last = n;
		reads++;
	}
	pthread_join(t, NULL);
	{
		struct hist m = { .sum_ns = 0 };

		hist_merge(&m, &r.h);
		ck_assert_uint_eq(total(&m), ADDS);
	}
	ck_assert_uint_gt(reads, 0);
}
END_TEST

/* --- prom -------------------------------------------------------------- */

START_TEST(test_prom_family_and_samples)
{
	struct buf b = BUF_INIT;

	prom_family(&b, "fc_x_total", PROM_COUNTER,
		    "Things \\ done\nwell \"x\"");
	prom_uint(&b, "fc_x_total", NULL, 7);
	prom_uint(&b, "fc_x_total", (const char *[]){ "zone", "10", "name",
		  "a\"b\\c\nd", NULL }, 18446744073709551615ull);
	prom_double(&b, "fc_load", NULL, 0.25);
	prom_double(&b, "fc_load", (const char *[]){ "k", "v", NULL }, NAN);
	prom_seconds(&b, "fc_s", NULL, 1500);
	prom_seconds(&b, "fc_s", NULL, 0);
	prom_seconds(&b, "fc_s", NULL, 3000000000ull);
	prom_gauge(&b, "fc_g", "G", 3);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.data,
		"# HELP fc_x_total Things \\\\ done\\nwell \"x\"\n"
		"# TYPE fc_x_total counter\n"
		"fc_x_total 7\n"
		"fc_x_total{zone=\"10\",name=\"a\\\"b\\\\c\\nd\"} "
		"18446744073709551615\n"
		"fc_load 0.25\n"
		"fc_load{k=\"v\"} NaN\n"
		"fc_s 0.0000015\n"
		"fc_s 0\n"
		"fc_s 3\n"
		"# HELP fc_g G\n"
		"# TYPE fc_g gauge\n"
		"fc_g 3\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_prom_hist)
{
	struct hist h = { .sum_ns = 0 };
	struct buf b = BUF_INIT;
	char *line;
	unsigned int n = 0;

	hist_add(&h, 500, 1);		/* le 1 us */
	hist_add(&h, 3000, 2);		/* le 4 us */
	hist_add(&h, 2000000000ull, 1);	/* +Inf only */
	prom_hist(&b, "fc_lat_seconds", (const char *[]){ "q", "0", NULL }, &h);
	ck_assert(!b.failed);
	ck_assert_ptr_nonnull(strstr(b.data,
		"fc_lat_seconds_bucket{q=\"0\",le=\"0.000001\"} 1\n"
		"fc_lat_seconds_bucket{q=\"0\",le=\"0.000002\"} 1\n"
		"fc_lat_seconds_bucket{q=\"0\",le=\"0.000004\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
		"fc_lat_seconds_bucket{q=\"0\",le=\"1.048576\"} 3\n"
		"fc_lat_seconds_bucket{q=\"0\",le=\"+Inf\"} 4\n"
		"fc_lat_seconds_sum{q=\"0\"} 2.0000065\n"
		"fc_lat_seconds_count{q=\"0\"} 4\n"));
	for (line = b.data; (line = strstr(line, "_bucket{")); line++)
		n++;
	ck_assert_uint_eq(n, HIST_BOUNDS + 1);
	buf_reset(&b);
	memset(&h, 0, sizeof(h));
	prom_hist(&b, "fc_l", NULL, &h);
	ck_assert_ptr_nonnull(strstr(b.data, "fc_l_bucket{le=\"+Inf\"} 0\n"
				     "fc_l_sum 0\nfc_l_count 0\n"));
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_bucket_edges);
	tcase_add_test(tc, test_add_sum);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_concurrent_reader);
	tcase_add_test(tc, test_prom_family_and_samples);
	tcase_add_test(tc, test_prom_hist);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

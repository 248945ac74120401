// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/routeset.c: equal answers share an id whatever
 * their unused bytes hold, different ones do not, ids stay valid and
 * unchanged, the set refuses (id 0, counted) once all ids are used, and
 * threads interning the same answers at once agree on their ids.
 */
#include <arpa/inet.h>
#include <check.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "routeset.h"
#include "unit.h"

static struct route_info unicast(int oif, const char *gw)
{
	struct route_info r;

	/* garbage where nothing is set: it must not matter */
	memset(&r, 0xa5, sizeof(r));
	r.family = AF_INET;
	r.type = RTN_UNICAST;
	r.table = 254;
	r.oif = oif;
	r.has_prefsrc = false;
	r.has_gateway = gw != NULL;
	if (gw)
		ck_assert_int_eq(inet_pton(AF_INET, gw, &r.gateway), 1);
	return r;
}

START_TEST(test_intern)
{
	struct routeset *rs = routeset_new();
	struct route_info a = unicast(2, "10.0.2.254");
	struct route_info b = unicast(2, "10.0.2.254");
	struct route_info c = unicast(3, "10.0.2.254");
	struct route_info d = unicast(2, NULL);
	struct routeset_stats st;
	uint16_t ia, ib, ic, id;

	ck_assert_ptr_nonnull(rs);
	memset(&b.prefsrc, 0x11, sizeof(b.prefsrc));
	ia = routeset_intern(rs, &a);
	ib = routeset_intern(rs, &b);
	ic = routeset_intern(rs, &c);
	id = routeset_intern(rs, &d);
	ck_assert_uint_ne(ia, 0);
	ck_assert_uint_eq(ia, ib);
	ck_assert_uint_ne(ia, ic);
	ck_assert_uint_ne(ia, id);
	ck_assert_uint_ne(ic, id);
	ck_assert_int_eq(routeset_get(rs, ia)->oif, 2);
	ck_assert(routeset_get(rs, ia)->has_gateway);
	ck_assert(!routeset_get(rs, id)->has_gateway);
	ck_assert_ptr_null(routeset_get(rs, 0));
	ck_assert_ptr_null(routeset_get(rs, 999));
	routeset_get_stats(rs, &st);
	ck_assert_uint_eq(st.answers, 3);
	ck_assert_str_eq(route_type_name(RTN_LOCAL), "local");
	ck_assert_str_eq(route_type_name(250), "other");
	routeset_free(rs);
}
END_TEST

START_TEST(test_full)
{
	struct routeset *rs = routeset_new();
	struct routeset_stats st;
	struct route_info r = unicast(1, NULL);
	uint32_t i;

	for (i = 1; i <= ROUTESET_MAX; i++) {
		r.table = i;
		ck_assert_uint_eq(routeset_intern(rs, &r), i);
	}
	r.table = 0;
	ck_assert_uint_eq(routeset_intern(rs, &r), 0);
	/* what is there is still found */
	r.table = 77;
	ck_assert_uint_eq(routeset_intern(rs, &r), 77);
	ck_assert_uint_eq(routeset_get(rs, ROUTESET_MAX)->table, ROUTESET_MAX);
	routeset_get_stats(rs, &st);
	ck_assert_uint_eq(st.answers, ROUTESET_MAX);
	ck_assert_uint_eq(st.full, 1);
	routeset_free(rs);
}
END_TEST

#define THREADS 4
#define ANSWERS 2000

struct racer {
	struct routeset *rs;
	uint16_t ids[ANSWERS];
};

static void *race(void *arg)
{
	struct racer *x = arg;
	struct route_info r = unicast(5, NULL);
	int i;

	for (i = 0; i < ANSWERS; i++) {
		r.table = (uint32_t)i;
		x->ids[i] = routeset_intern(x->rs, &r);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct racer x[THREADS];
	pthread_t t[THREADS];
	struct routeset *rs = routeset_new();
	struct routeset_stats st;
	int i, k;

	for (k = 0; k < THREADS; k++) {
		x[k].rs = rs;
		ck_assert_int_eq(pthread_create(&t[k], NULL, race, &x[k]), 0);
	}
	for (k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	for (i = 0; i < ANSWERS; i++) {
		ck_assert_uint_ne(x[0].ids[i], 0);
		ck_assert_uint_eq(routeset_get(rs, x[0].ids[i])->table,
				  (uint32_t)i);
		for (k = 1; k < THREADS; k++)
			ck_assert_uint_eq(x[k].ids[i], x[0].ids[i]);
	}
	routeset_get_stats(rs, &st);
	ck_assert_uint_eq(st.answers, ANSWERS);
	routeset_free(rs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("routeset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_intern);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_threads);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

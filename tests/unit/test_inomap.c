// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/inomap.c: what is put is found, replaced in place,
 * kept across growth; inode 0 is never entered; past its cap the map
 * starts again empty rather than growing without bound.
 */
#include <check.h>

#include "inomap.h"
#include "unit.h"

START_TEST(test_put_get)
{
	struct inomap m;
	const struct inomap_entry *e;
	uint32_t i;

	ck_assert_int_eq(inomap_init(&m, 1u << 20), 0);
	/* sequential inodes, as the kernel hands them out, past growth */
	for (i = 1; i <= 50000; i++)
		ck_assert_int_eq(inomap_put(&m, 3000000 + i, i, i % 100), 0);
	ck_assert_uint_eq(m.n, 50000);
	for (i = 1; i <= 50000; i++) {
		e = inomap_get(&m, 3000000 + i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->pid, i);
		ck_assert_uint_eq(e->fd, i % 100);
	}
	ck_assert_ptr_null(inomap_get(&m, 3000000));
	ck_assert_ptr_null(inomap_get(&m, 3050001));
	ck_assert_int_eq(inomap_put(&m, 3000007, 0, 0), 0);
	ck_assert_uint_eq(inomap_get(&m, 3000007)->pid, 0);
	ck_assert_uint_eq(m.n, 50000);
	ck_assert_int_eq(inomap_put(&m, 0, 1, 1), 0);
	ck_assert_ptr_null(inomap_get(&m, 0));
	ck_assert_uint_eq(m.n, 50000);
	inomap_free(&m);
}
END_TEST

START_TEST(test_cap)
{
	struct inomap m;
	uint32_t i;

	ck_assert_int_eq(inomap_init(&m, 100), 0);
	for (i = 1; i <= 100; i++)
		inomap_put(&m, i, i, 0);
	ck_assert_uint_eq(m.n, 100);
	ck_assert_ptr_nonnull(inomap_get(&m, 1));
	/* the 101st starts it again, holding only itself */
	inomap_put(&m, 101, 101, 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_ptr_null(inomap_get(&m, 1));
	ck_assert_uint_eq(inomap_get(&m, 101)->pid, 101);
	inomap_clear(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(inomap_get(&m, 101));
	inomap_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("inomap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

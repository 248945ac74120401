/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libcheck unit test ends with: run the suite, and give
 * automake's test driver the exit status it reads (0: all passed).
 */
#ifndef FC_UNIT_H
#define FC_UNIT_H

#include <check.h>

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif

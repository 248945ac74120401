/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libcheck unit test ends with: run the suite, and give
 * automake's test driver the exit status it reads (0: all passed).
 */
#ifndef FC_UNIT_H
#define FC_UNIT_H

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "tuple.h"

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* A flow key from text; the family follows the address ("fd00::1"). */
static inline struct tuple unit_tuple(uint16_t zone, uint8_t proto,
				      const char *src, uint16_t sport,
				      const char *dst, uint16_t dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.zone = zone;
	t.proto = proto;
	t.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(t.family, src, &t.src), 1);
	ck_assert_int_eq(inet_pton(t.family, dst, &t.dst), 1);
	t.sport = sport;
	t.dport = dport;
	return t;
}

#endif

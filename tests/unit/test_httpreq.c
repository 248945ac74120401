// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/httpreq.c, the metrics server's request head: the
 * statuses (200, 404, 405, 400), when a request is complete (headers
 * end; a bad line at once), heads split across reads, a full buffer,
 * control bytes; and 200,000 mutated heads, each in a buffer of its
 * exact size, that must get a status from the list and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"
#include "unit.h"

#define CAP 256

/* The status for s sent whole, in a buffer of CAP bytes. */
static int status_of(const char *s)
{
	size_t n = strlen(s);

	return httpreq_status(s, n, n > CAP ? n : CAP, n, "/metrics");
}

START_TEST(test_statuses)
{
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.0\n\n"), 200);
	ck_assert_int_eq(status_of("GET /metrics?x=1 HTTP/1.1\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
	ck_assert_int_eq(status_of("POST /metrics HTTP/1.1\r\n\r\n"), 405);
	ck_assert_int_eq(status_of("HEAD /metrics HTTP/1.1\r\n\r\n"), 405);
}
END_TEST

/* A bad request line is answered at once, before any header. */
START_TEST(test_bad_lines)
{
	static const char *const bad[] = {
		"get /metrics HTTP/1.1\r\n",
		"GET /metrics HTTP/2.0\r\n",
		"GET /metrics HTTP/1.1 \r\n",
		"GET metrics HTTP/1.1\r\n",
		"GET  /metrics HTTP/1.1\r\n",
		"GET\r\n",
		"\r\n",
		"GETTINGVERYLONGMETHOD /metrics HTTP/1.1\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(status_of(bad[i]) == 400, "%s", bad[i]);
}
END_TEST

START_TEST(test_incomplete)
{
	ck_assert_int_eq(status_of("GET /metr"), 0);
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.1\r\n"), 0);
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\n"), 0);
}
END_TEST

/* Byte by byte, as a slow client sends: 0 until the empty line. */
START_TEST(test_trickle)
{
	const char *req = "GET /metrics HTTP/1.1\r\nAccept: */*\r\n\r\n";
	size_t n = strlen(req), i;

	for (i = 1; i < n; i++)
		ck_assert_int_eq(httpreq_status(req, i, CAP, 1, "/metrics"), 0);
	ck_assert_int_eq(httpreq_status(req, n, CAP, 1, "/metrics"), 200);
}
END_TEST

START_TEST(test_full_buffer)
{
	char buf[64];

	memset(buf, 'A', sizeof(buf));
	ck_assert_int_eq(httpreq_status(buf, sizeof(buf), sizeof(buf),
					sizeof(buf), "/metrics"), 400);
	/* a good line whose headers fill the rest */
	memcpy(buf, "GET /metrics HTTP/1.1\r\n", 23);
	ck_assert_int_eq(httpreq_status(buf, sizeof(buf), sizeof(buf),
					sizeof(buf), "/metrics"), 400);
}
END_TEST

/* Only bytes of the latest read are checked for control characters. */
START_TEST(test_control_bytes)
{
	ck_assert_int_eq(status_of("GET /met\001rics HTTP/1.1\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.1\r\nX: \177\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET /metrics HTTP/1.1\r\nX:\ty\r\n\r\n"), 200);
}
END_TEST

START_TEST(test_mutations)
{
	const char *seed = "GET /metrics?a=b HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(seed);
	unsigned int state = 7;
	int i, k;

	for (i = 0; i < 200000; i++) {
		size_t len = 1 + (size_t)rand_r(&state) % (n + 8);
		char *buf = malloc(len);
		int st;

		ck_assert_ptr_nonnull(buf);
		for (k = 0; k < (int)len; k++)
			buf[k] = k < (int)n ? seed[k] : '\n';
		for (k = rand_r(&state) % 4; k >= 0; k--)
			buf[rand_r(&state) % len] = (char)rand_r(&state);
		st = httpreq_status(buf, len, len + (size_t)(i & 1),
				    1 + (size_t)rand_r(&state) % len,
				    "/metrics");
		ck_assert(st == 0 || st == 200 || st == 400 || st == 404 ||
			  st == 405);
		free(buf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("httpreq");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_statuses);
	tcase_add_test(tc, test_bad_lines);
	tcase_add_test(tc, test_incomplete);
	tcase_add_test(tc, test_trickle);
	tcase_add_test(tc, test_full_buffer);
	tcase_add_test(tc, test_control_bytes);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

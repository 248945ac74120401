// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/buf.c and lib/json.c: appends and printf growing the
 * buffer past its first 256 bytes and to several KiB, buf_consume,
 * buf_reset, the sticky failure; the JSON writer's commas in nested
 * objects and arrays, the key/value helpers, and string escaping, each
 * compared with the exact expected text.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* --- buf --------------------------------------------------------------- */

START_TEST(test_buf_init)
{
	struct buf b = BUF_INIT;

	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert(!b.failed);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_append_basic)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "abc"), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.data, "abc");
	ck_assert_int_eq(buf_putc(&b, 'd'), 0);
	ck_assert_int_eq(buf_append(&b, "ef", 2), 0);
	ck_assert_int_eq(buf_append(&b, "zzz", 0), 0);
	ck_assert_int_eq(buf_puts(&b, ""), 0);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "abcdef42-x");
	ck_assert(b.cap > b.len);
	ck_assert(!b.failed);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_append_nul_bytes)
{
	static const char bin[] = { 'a', '\0', 'b', '\0' };
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_append(&b, bin, sizeof(bin)), 0);
	ck_assert_int_eq(buf_putc(&b, '\0'), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.data, "a\0b\0\0", 6);
	buf_free(&b);
}
END_TEST

/* One byte at a time across the first reallocation and well beyond. */
START_TEST(test_buf_putc_growth)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < 3000; i++) {
		ck_assert_int_eq(buf_putc(&b, (char)('a' + i % 26)), 0);
		ck_assert_uint_eq(b.len, i + 1);
		ck_assert(b.cap > b.len);
		ck_assert_int_eq(b.data[b.len], '\0');
	}
	for (i = 0; i < 3000; i++)
		ck_assert_int_eq(b.data[i], 'a' + i % 26);
	ck_assert_uint_eq(strlen(b.data), 3000);
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_append_past_256)
{
	char chunk[300];
	struct buf b = BUF_INIT;

	memset(chunk, 'x', sizeof(chunk));
	ck_assert_int_eq(buf_append(&b, chunk, 250), 0);
	ck_assert_uint_eq(b.len, 250);
	/* crosses the first 256 bytes */
	ck_assert_int_eq(buf_puts(&b, "0123456789"), 0);
	ck_assert_uint_eq(b.len, 260);
	ck_assert(b.cap > 260);
	ck_assert_mem_eq(b.data, chunk, 250);
	ck_assert_str_eq(b.data + 250, "0123456789");
	/* one append larger than the whole buffer so far */
	ck_assert_int_eq(buf_append(&b, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(b.len, 560);
	ck_assert(b.cap > 560);
	ck_assert_mem_eq(b.data + 260, chunk, sizeof(chunk));
	ck_assert_int_eq(b.data[560], '\0');
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_printf_growth)
{
	struct buf b = BUF_INIT;
	char want[16];
	int i;

	/* 2000 lines of 6 bytes: ~12 KiB through many reallocations */
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(buf_printf(&b, "%05d\n", i), 0);
	ck_assert_uint_eq(b.len, 12000);
	ck_assert(b.cap > b.len);
	ck_assert_uint_eq(strlen(b.data), 12000);
	for (i = 0; i < 2000; i++) {
		snprintf(want, sizeof(want), "%05d\n", i);
		ck_assert_mem_eq(b.data + 6 * i, want, 6);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_printf_large)
{
	struct buf b = BUF_INIT;
	char *big = malloc(5001);
	size_t i;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 5000; i++)
		big[i] = (char)('A' + i % 26);
	big[5000] = '\0';
	ck_assert_int_eq(buf_puts(&b, "<"), 0);
	/* a single printf several KiB long, from a small buffer */
	ck_assert_int_eq(buf_printf(&b, "%s|%s>", big, "end"), 0);
	ck_assert_uint_eq(b.len, 1 + 5000 + 1 + 3 + 1);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_mem_eq(b.data + 1, big, 5000);
	ck_assert_str_eq(b.data + 5001, "|end>");
	free(big);
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_consume_partial)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "hello world"), 0);
	buf_consume(&b, 0);
	ck_assert_uint_eq(b.len, 11);
	ck_assert_str_eq(b.data, "hello world");
	buf_consume(&b, 6);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(b.data, "world");
	buf_consume(&b, 4);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_str_eq(b.data, "d");
	ck_assert_int_eq(buf_puts(&b, "one"), 0);
	ck_assert_str_eq(b.data, "done");
	ck_assert_uint_eq(b.len, 4);
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_consume_large)
{
	struct buf b = BUF_INIT;
	char want[16];
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_printf(&b, "%04d", i), 0);
	buf_consume(&b, 4 * 600);
	ck_assert_uint_eq(b.len, 4 * 400);
	for (i = 600; i < 1000; i++) {
		snprintf(want, sizeof(want), "%04d", i);
		ck_assert_mem_eq(b.data + 4 * (i - 600), want, 4);
	}
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_consume_full)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "hello"), 0);
	buf_consume(&b, 5);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");

	ck_assert_int_eq(buf_puts(&b, "again"), 0);
	buf_consume(&b, 100);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");

	ck_assert_int_eq(buf_puts(&b, "after"), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(b.data, "after");
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_reset)
{
	struct buf b = BUF_INIT;
	char *data;
	size_t cap;
	int i;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_puts(&b, "0123456789"), 0);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	/* the memory is kept */
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_int_eq(buf_printf(&b, "%s", "new"), 0);
	ck_assert_str_eq(b.data, "new");
	ck_assert_uint_eq(b.len, 3);
	ck_assert_ptr_eq(b.data, data);
	buf_free(&b);

	/* resetting an empty buffer is harmless */
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_failed_sticky)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "keep"), 0);
	/* a size no allocation can satisfy */
	ck_assert_int_eq(buf_append(&b, "x", SIZE_MAX), -ENOMEM);
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, 4);
	/* later appends are no-ops and report the failure */
	ck_assert_int_eq(buf_puts(&b, "more"), -ENOMEM);
	ck_assert_int_eq(buf_putc(&b, 'c'), -ENOMEM);
	ck_assert_int_eq(buf_printf(&b, "%d", 1), -ENOMEM);
	ck_assert_int_eq(buf_append(&b, "y", 1), -ENOMEM);
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_str_eq(b.data, "keep");
	/* reset forgets the failure with the contents */
	buf_reset(&b);
	ck_assert(!b.failed);
	ck_assert_int_eq(buf_puts(&b, "ok"), 0);
	ck_assert_str_eq(b.data, "ok");
	buf_free(&b);
	ck_assert(!b.failed);
}
END_TEST

/* --- json -------------------------------------------------------------- */

START_TEST(test_json_empty)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_obj_end(&j);
	ck_assert_str_eq(b.data, "{}");

	buf_reset(&b);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_arr_end(&j);
	ck_assert_str_eq(b.data, "[]");
	ck_assert_uint_eq(j.depth, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_json_flat_object)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "name", "eth0");
	json_kv_int(&j, "delta", -5);
	json_kv_uint(&j, "packets", 12345);
	json_kv_bool(&j, "up", true);
	json_kv_bool(&j, "down", false);
	json_key(&j, "none");
	json_null(&j);
	json_key(&j, "raw");
	json_int(&j, 7);
	json_obj_end(&j);
	ck_assert_str_eq(b.data, "{\"name\":\"eth0\",\"delta\":-5,"
			 "\"packets\":12345,\"up\":true,\"down\":false,"
			 "\"none\":null,\"raw\":7}");
	ck_assert(!b.failed);
	buf_free(&b);
}
END_TEST

START_TEST(test_json_array_values)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_arr_begin(&j);
	json_int(&j, 1);
	json_int(&j, -2);
	json_uint(&j, 3);
	json_str(&j, "s");
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_str(&j, "");
	json_arr_end(&j);
	ck_assert_str_eq(b.data, "[1,-2,3,\"s\",true,false,null,\"\"]");
	buf_free(&b);
}
END_TEST

START_TEST(test_json_nested)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "name", "eth0");
	json_key(&j, "flows");
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "proto", "tcp");
	json_kv_uint(&j, "port", 443);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "proto", "udp");
	json_kv_uint(&j, "port", 53);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key(&j, "empty");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "list");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_arr_begin(&j);
	json_int(&j, 2);
	json_int(&j, 3);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_key(&j, "deep");
	json_obj_begin(&j);
	json_kv_bool(&j, "x", true);
	json_obj_end(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_kv_int(&j, "last", -1);
	json_obj_end(&j);
	ck_assert_str_eq(b.data,
			 "{\"name\":\"eth0\","
			 "\"flows\":[{\"proto\":\"tcp\",\"port\":443},"
			 "{\"proto\":\"udp\",\"port\":53}],"
			 "\"empty\":{},"
			 "\"list\":[1,[2,3],[],{},{\"deep\":{\"x\":true}}],"
			 "\"last\":-1}");
	ck_assert_uint_eq(j.depth, 0);
	ck_assert(!b.failed);
	buf_free(&b);
}
END_TEST

START_TEST(test_json_containers_in_array)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_str(&j, "z");
	json_arr_end(&j);
	ck_assert_str_eq(b.data, "[{},{},[],\"z\"]");
	buf_free(&b);
}
END_TEST

START_TEST(test_json_int_limits)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_int(&j, "min", INT64_MIN);
	json_kv_int(&j, "max", INT64_MAX);
	json_kv_int(&j, "zero", 0);
	json_kv_uint(&j, "umax", UINT64_MAX);
	json_obj_end(&j);
	ck_assert_str_eq(b.data, "{\"min\":-9223372036854775808,"
			 "\"max\":9223372036854775807,\"zero\":0,"
			 "\"umax\":18446744073709551615}");
	buf_free(&b);
}
END_TEST

START_TEST(test_json_kv_str_null)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "a", NULL);
	json_kv_str(&j, "b", "x");
	json_kv_str(&j, "c", NULL);
	json_kv_str(&j, "d", "");
	json_obj_end(&j);
	ck_assert_str_eq(b.data,
			 "{\"a\":null,\"b\":\"x\",\"c\":null,\"d\":\"\"}");
	buf_free(&b);
}
END_TEST

/* json_escape output for input, compared exactly. */
static void expect_escape(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	json_escape(&b, in);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_msg(!strcmp(b.data, want), "json_escape: got %s, want %s",
		      b.data, want);
	ck_assert_uint_eq(b.len, strlen(want));
	buf_free(&b);
}

START_TEST(test_json_escape_specials)
{
	expect_escape("", "\"\"");
	expect_escape("plain", "\"plain\"");
	expect_escape("a\"b", "\"a\\\"b\"");
	expect_escape("a\\b", "\"a\\\\b\"");
	expect_escape("\\\"", "\"\\\\\\\"\"");
	expect_escape("line\n", "\"line\\n\"");
	expect_escape("a\tb", "\"a\\tb\"");
	expect_escape("a\rb", "\"a\\rb\"");
	expect_escape("/path/to", "\"/path/to\"");
}
END_TEST

START_TEST(test_json_escape_control)
{
	expect_escape("\x01", "\"\\u0001\"");
	expect_escape("a\x01z", "\"a\\u0001z\"");
	expect_escape("\x08\x0c", "\"\\u0008\\u000c\"");
	expect_escape("\x1b[0m", "\"\\u001b[0m\"");
	expect_escape("\x1f", "\"\\u001f\"");
	expect_escape(" ~", "\" ~\"");
}
END_TEST

START_TEST(test_json_escape_high_bytes)
{
	/* UTF-8 and stray bytes >= 0x80 go out as they came */
	expect_escape("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect_escape("\x80\xff", "\"\x80\xff\"");
	expect_escape("\xe2\x82\xac\n", "\"\xe2\x82\xac\\n\"");
}
END_TEST

START_TEST(test_json_escape_in_writer)
{
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "k\"ey", "v\\al\n");
	json_key(&j, "tab\there");
	json_arr_begin(&j);
	json_str(&j, "\x01");
	json_str(&j, "\xc3\xa9");
	json_arr_end(&j);
	json_obj_end(&j);
	ck_assert_str_eq(b.data, "{\"k\\\"ey\":\"v\\\\al\\n\","
			 "\"tab\\there\":[\"\\u0001\",\"\xc3\xa9\"]}");
	buf_free(&b);
}
END_TEST

START_TEST(test_json_max_depth)
{
	struct buf b = BUF_INIT;
	struct json j;
	char want[2 * JSON_MAX_DEPTH + 1];
	int i;

	json_init(&j, &b);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_begin(&j);
	ck_assert_uint_eq(j.depth, JSON_MAX_DEPTH);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_end(&j);
	ck_assert(!b.failed);
	memset(want, '[', JSON_MAX_DEPTH);
	memset(want + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	want[2 * JSON_MAX_DEPTH] = '\0';
	ck_assert_str_eq(b.data, want);

	/* one level deeper fails the buffer */
	buf_reset(&b);
	json_init(&j, &b);
	for (i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_obj_begin(&j);
	ck_assert(b.failed);
	ck_assert_uint_le(j.depth, JSON_MAX_DEPTH);
	buf_free(&b);
}
END_TEST

static Suite *buf_json_suite(void)
{
	Suite *s = suite_create("buf_json");
	TCase *tc;

	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_init);
	tcase_add_test(tc, test_buf_append_basic);
	tcase_add_test(tc, test_buf_append_nul_bytes);
	tcase_add_test(tc, test_buf_putc_growth);
	tcase_add_test(tc, test_buf_append_past_256);
	tcase_add_test(tc, test_buf_printf_growth);
	tcase_add_test(tc, test_buf_printf_large);
	tcase_add_test(tc, test_buf_consume_partial);
	tcase_add_test(tc, test_buf_consume_large);
	tcase_add_test(tc, test_buf_consume_full);
	tcase_add_test(tc, test_buf_reset);
	tcase_add_test(tc, test_buf_failed_sticky);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_empty);
	tcase_add_test(tc, test_json_flat_object);
	tcase_add_test(tc, test_json_array_values);
	tcase_add_test(tc, test_json_nested);
	tcase_add_test(tc, test_json_containers_in_array);
	tcase_add_test(tc, test_json_int_limits);
	tcase_add_test(tc, test_json_kv_str_null);
	tcase_add_test(tc, test_json_escape_specials);
	tcase_add_test(tc, test_json_escape_control);
	tcase_add_test(tc, test_json_escape_high_bytes);
	tcase_add_test(tc, test_json_escape_in_writer);
	tcase_add_test(tc, test_json_max_depth);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buf_json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

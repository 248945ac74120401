// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/ctlmsg.c, the control socket's wire format: request
 * lines (ctl_request_format and ctl_request_parse, their word and length
 * limits, malformed lines) and response headers (ctl_response_header and
 * ctl_response_parse, partial and malformed headers, the length limit).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlmsg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A word of n copies of c, to be freed by the caller. */
static char *make_word(size_t n, char c)
{
	char *w = malloc(n + 1);

	ck_assert_ptr_nonnull(w);
	memset(w, c, n);
	w[n] = '\0';
	return w;
}

/* ctl_request_parse on a private copy of the first len bytes of s. */
static int parse_copy(const char *s, size_t len, char *argv[], int max,
		      char **copy)
{
	*copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(*copy);
	memcpy(*copy, s, len);
	return ctl_request_parse(*copy, len, argv, max);
}

static void expect_parse_err(const char *s, size_t len, int max, int err)
{
	char *argv[CTL_MAX_ARGS + 1];
	char *copy;
	int ret = parse_copy(s, len, argv, max, &copy);

	ck_assert_msg(ret == err, "ctl_request_parse(\"%.*s\") = %d, want %d",
		      (int)len, s, ret, err);
	free(copy);
}

/* --- ctl_request_format ------------------------------------------------ */

START_TEST(test_request_format_ok)
{
	char *one[] = { "status" };
	char *four[] = { "flows", "--json", "-n", "10" };
	char *odd[] = { "a/b=c", "!~{}[]" };
	struct buf b = BUF_INIT;

	ck_assert_int_eq(ctl_request_format(&b, 1, one), 0);
	ck_assert_str_eq(b.data, "status\n");
	/* it appends */
	ck_assert_int_eq(ctl_request_format(&b, 4, four), 0);
	ck_assert_str_eq(b.data, "status\nflows --json -n 10\n");
	buf_reset(&b);
	ck_assert_int_eq(ctl_request_format(&b, 2, odd), 0);
	ck_assert_str_eq(b.data, "a/b=c !~{}[]\n");
	buf_free(&b);
}
END_TEST

static const char *const bad_words[] = {
	"",
	"a b",
	" a",
	"a ",
	"a\nb",
	"a\n",
	"a\tb",
	"a\rb",
	"\x01",
	"a\x1f",
	"a\x7f",
	"caf\xc3\xa9",
};

START_TEST(test_request_format_bad_word)
{
	char *argv[3] = { "flows", (char *)bad_words[_i], "x" };
	struct buf b = BUF_INIT;
	int ret;

	ret = ctl_request_format(&b, 3, argv);
	ck_assert_msg(ret == -EINVAL, "bad word %d: got %d, want %d", _i, ret,
		      -EINVAL);
	/* nothing is written for a refused request */
	ck_assert_uint_eq(b.len, 0);
	/* also as the only word */
	ret = ctl_request_format(&b, 1, argv + 1);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_request_format_no_words)
{
	char *argv[] = { "status" };
	struct buf b = BUF_INIT;

	ck_assert_int_eq(ctl_request_format(&b, 0, argv), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_request_format_too_many)
{
	char *argv[CTL_MAX_ARGS + 1];
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < CTL_MAX_ARGS + 1; i++)
		argv[i] = "w";
	ck_assert_int_eq(ctl_request_format(&b, CTL_MAX_ARGS + 1, argv),
			 -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	/* exactly the maximum is fine */
	ck_assert_int_eq(ctl_request_format(&b, CTL_MAX_ARGS, argv), 0);
	ck_assert_uint_eq(b.len, 2 * CTL_MAX_ARGS);
	buf_free(&b);
}
END_TEST

START_TEST(test_request_format_too_long)
{
	struct buf b = BUF_INIT;
	char *argv[CTL_MAX_ARGS];
	char *w;
	int i;

	/* one word filling the line exactly: CTL_REQ_MAX with the newline */
	w = make_word(CTL_REQ_MAX - 1, 'a');
	ck_assert_int_eq(ctl_request_format(&b, 1, &w), 0);
	ck_assert_uint_eq(b.len, CTL_REQ_MAX);
	free(w);

	buf_reset(&b);
	w = make_word(CTL_REQ_MAX, 'a');
	ck_assert_int_eq(ctl_request_format(&b, 1, &w), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	free(w);

	/* many words adding up to one byte too many */
	w = make_word(CTL_REQ_MAX / CTL_MAX_ARGS - 1, 'b');
	for (i = 0; i < CTL_MAX_ARGS; i++)
		argv[i] = w;
	ck_assert_int_eq(ctl_request_format(&b, CTL_MAX_ARGS, argv), 0);
	ck_assert_uint_eq(b.len, CTL_REQ_MAX);
	free(w);
	buf_reset(&b);
	w = make_word(CTL_REQ_MAX / CTL_MAX_ARGS, 'b');
	for (i = 0; i < CTL_MAX_ARGS; i++)
		argv[i] = w;
	ck_assert_int_eq(ctl_request_format(&b, CTL_MAX_ARGS, argv), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	free(w);
	buf_free(&b);
}
END_TEST

/* --- ctl_request_parse ------------------------------------------------- */

/* Format argv, parse the line back and compare the words. */
static void round_trip(int argc, char *argv[])
{
	struct buf b = BUF_INIT;
	char *out[CTL_MAX_ARGS];
	int i, n;

	ck_assert_int_eq(ctl_request_format(&b, argc, argv), 0);
	n = ctl_request_parse(b.data, b.len, out, CTL_MAX_ARGS);
	ck_assert_int_eq(n, argc);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(out[i], argv[i]);
		/* the words point into the line */
		ck_assert(out[i] >= b.data && out[i] < b.data + b.len);
	}
	buf_free(&b);
}

START_TEST(test_request_parse_round_trip)
{
	char *one[] = { "status" };
	char *four[] = { "flows", "--json", "-n", "10" };
	char *many[CTL_MAX_ARGS];
	char *long_word = make_word(CTL_REQ_MAX - 1, 'q');
	char *lw[] = { long_word };
	char num[CTL_MAX_ARGS][4];
	int i;

	round_trip(1, one);
	round_trip(4, four);
	for (i = 0; i < CTL_MAX_ARGS; i++) {
		snprintf(num[i], sizeof(num[i]), "%d", i);
		many[i] = num[i];
	}
	round_trip(CTL_MAX_ARGS, many);
	round_trip(1, lw);
	free(long_word);
}
END_TEST

START_TEST(test_request_parse_in_place)
{
	char line[] = "flows --json\n";
	char *argv[4];

	ck_assert_int_eq(ctl_request_parse(line, strlen(line), argv, 4), 2);
	ck_assert_ptr_eq(argv[0], line);
	ck_assert_ptr_eq(argv[1], line + 6);
	ck_assert_str_eq(argv[0], "flows");
	ck_assert_str_eq(argv[1], "--json");
	ck_assert_int_eq(line[5], '\0');
	ck_assert_int_eq(line[12], '\0');
}
END_TEST

START_TEST(test_request_parse_no_newline)
{
	expect_parse_err("status", 6, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("flows --json", 12, CTL_MAX_ARGS, -EBADMSG);
	/* the newline is the last byte given, not merely present */
	expect_parse_err("status\nx", 8, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("", 0, CTL_MAX_ARGS, -EBADMSG);
}
END_TEST

START_TEST(test_request_parse_spaces)
{
	expect_parse_err("a  b\n", 5, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err(" a\n", 3, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err(" a b\n", 5, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a \n", 3, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a b \n", 5, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err(" \n", 2, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("  \n", 3, CTL_MAX_ARGS, -EBADMSG);
}
END_TEST

START_TEST(test_request_parse_empty_line)
{
	expect_parse_err("\n", 1, CTL_MAX_ARGS, -EBADMSG);
}
END_TEST

START_TEST(test_request_parse_control)
{
	expect_parse_err("a\x01\n", 3, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a\tb\n", 4, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("status\r\n", 8, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a\nb\n", 4, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a\0b\n", 4, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("a\x7f\n", 3, CTL_MAX_ARGS, -EBADMSG);
	expect_parse_err("caf\xc3\xa9\n", 6, CTL_MAX_ARGS, -EBADMSG);
}
END_TEST

START_TEST(test_request_parse_max_words)
{
	char line[] = "a b c\n";
	char *argv[3];
	int n;

	expect_parse_err("a b c\n", 6, 2, -E2BIG);
	expect_parse_err("a b c\n", 6, 1, -E2BIG);
	expect_parse_err("a\n", 2, 0, -E2BIG);
	n = ctl_request_parse(line, strlen(line), argv, 3);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(argv[0], "a");
	ck_assert_str_eq(argv[1], "b");
	ck_assert_str_eq(argv[2], "c");
}
END_TEST

START_TEST(test_request_parse_ctl_max_args)
{
	struct buf b = BUF_INIT;
	char *argv[CTL_MAX_ARGS + 1];
	char *copy;
	int i;

	for (i = 0; i < CTL_MAX_ARGS; i++)
		buf_puts(&b, "w ");
	b.data[b.len - 1] = '\n';
	ck_assert_int_eq(parse_copy(b.data, b.len, argv, CTL_MAX_ARGS, &copy),
			 CTL_MAX_ARGS);
	free(copy);

	/* one word more */
	b.data[b.len - 1] = ' ';
	buf_puts(&b, "w\n");
	ck_assert_int_eq(parse_copy(b.data, b.len, argv, CTL_MAX_ARGS, &copy),
			 -E2BIG);
	free(copy);
	ck_assert_int_eq(parse_copy(b.data, b.len, argv, CTL_MAX_ARGS + 1,
				    &copy), CTL_MAX_ARGS + 1);
	free(copy);
	buf_free(&b);
}
END_TEST

START_TEST(test_request_parse_too_long)
{
	char *line = make_word(CTL_REQ_MAX + 1, 'a');
	char *argv[1];

	line[CTL_REQ_MAX] = '\n';
	ck_assert_int_eq(ctl_request_parse(line, CTL_REQ_MAX + 1, argv, 1),
			 -EBADMSG);
	free(line);
}
END_TEST

/* --- ctl_response_header / ctl_response_parse -------------------------- */

static const struct {
	enum ctl_code code;
	const char *msg;	/* given to ctl_response_header */
	const char *line;	/* the header it writes */
	const char *parsed;	/* the message ctl_response_parse finds */
} headers[] = {
	{ CTL_OK, NULL, "0\n", "" },
	{ CTL_OK, "", "0\n", "" },
	{ CTL_OK, "reloaded", "0 reloaded\n", "reloaded" },
	{ CTL_ERROR, NULL, "1\n", "" },
	{ CTL_ERROR, "no such flow", "1 no such flow\n", "no such flow" },
	{ CTL_USAGE, NULL, "2\n", "" },
	{ CTL_USAGE, "unknown command 'x'", "2 unknown command 'x'\n",
	  "unknown command 'x'" },
	{ CTL_ERROR, "two\nlines", "1 two lines\n", "two lines" },
	{ CTL_USAGE, "\n", "2  \n", " " },
	{ CTL_ERROR, "a\n\nb\n", "1 a  b \n", "a  b " },
};

START_TEST(test_response_round_trip)
{
	struct buf b = BUF_INIT;
	const char *msg = NULL;
	size_t msglen = 99, hlen = strlen(headers[_i].line);
	int code = -1, ret;

	ck_assert_int_eq(ctl_response_header(&b, headers[_i].code,
					     headers[_i].msg), 0);
	ck_assert_str_eq(b.data, headers[_i].line);

	/* a body follows the header on the wire */
	buf_puts(&b, "body\n{\"x\":1}\n");
	ret = ctl_response_parse(b.data, b.len, &code, &msg, &msglen);
	ck_assert_int_eq(ret, (int)hlen);
	ck_assert_int_eq(code, (int)headers[_i].code);
	ck_assert_uint_eq(msglen, strlen(headers[_i].parsed));
	ck_assert_ptr_nonnull(msg);
	ck_assert(msg >= b.data && msg + msglen <= b.data + hlen);
	ck_assert_mem_eq(msg, headers[_i].parsed, msglen);
	ck_assert_str_eq(b.data + ret, "body\n{\"x\":1}\n");

	/* and the header alone */
	ret = ctl_response_parse(b.data, hlen, &code, &msg, &msglen);
	ck_assert_int_eq(ret, (int)hlen);
	buf_free(&b);
}
END_TEST

START_TEST(test_response_header_appends)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "x");
	ck_assert_int_eq(ctl_response_header(&b, CTL_ERROR, "m"), 0);
	ck_assert_str_eq(b.data, "x1 m\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_response_parse_partial)
{
	static const char *const partial[] = {
		"", "0", "1", "1 ", "1 hel", "2 unknown command",
	};
	const char *msg;
	size_t i, msglen;
	int code;

	for (i = 0; i < ARRAY_SIZE(partial); i++)
		ck_assert_msg(ctl_response_parse(partial[i], strlen(partial[i]),
						 &code, &msg, &msglen) ==
			      -EAGAIN, "partial header \"%s\"", partial[i]);
}
END_TEST

START_TEST(test_response_parse_partial_long)
{
	char *data = make_word(CTL_REQ_MAX, 'm');
	const char *msg;
	size_t msglen;
	int code;

	data[0] = '1';
	data[1] = ' ';
	/* one byte short of the limit, still waiting for the newline */
	ck_assert_int_eq(ctl_response_parse(data, CTL_REQ_MAX - 1, &code,
					    &msg, &msglen), -EAGAIN);
	free(data);
}
END_TEST

START_TEST(test_response_parse_garbage)
{
	static const char *const bad[] = {
		"\n", "x\n", "3\n", "9 msg\n", "-1\n", "12\n", "1x\n",
		"0msg\n", " 0\n", "\t0\n", "0\t msg\n", "ok\n", "\n0\n",
	};
	const char *msg;
	size_t i, msglen;
	int code;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(ctl_response_parse(bad[i], strlen(bad[i]), &code,
						 &msg, &msglen) == -EBADMSG,
			      "garbage header %zu", i);
}
END_TEST

START_TEST(test_response_parse_too_long)
{
	char *data = make_word(2 * CTL_REQ_MAX, 'm');
	const char *msg;
	size_t msglen;
	int code;

	data[0] = '1';
	data[1] = ' ';
	/* no newline within CTL_REQ_MAX bytes */
	ck_assert_int_eq(ctl_response_parse(data, CTL_REQ_MAX, &code, &msg,
					    &msglen), -EBADMSG);
	ck_assert_int_eq(ctl_response_parse(data, 2 * CTL_REQ_MAX, &code,
					    &msg, &msglen), -EBADMSG);
	/* a newline that comes too late does not help */
	data[CTL_REQ_MAX] = '\n';
	ck_assert_int_eq(ctl_response_parse(data, 2 * CTL_REQ_MAX, &code,
					    &msg, &msglen), -EBADMSG);
	/* the longest header that is allowed: CTL_REQ_MAX with its newline */
	data[CTL_REQ_MAX - 1] = '\n';
	ck_assert_int_eq(ctl_response_parse(data, 2 * CTL_REQ_MAX, &code,
					    &msg, &msglen), CTL_REQ_MAX);
	ck_assert_int_eq(code, 1);
	ck_assert_ptr_eq(msg, data + 2);
	ck_assert_uint_eq(msglen, CTL_REQ_MAX - 3);
	free(data);
}
END_TEST

/*
 * Whatever the daemon puts in a header, flowcachectl must be able to read
 * it back. The daemon quotes request words in its messages ("unknown
 * command '%s'"), and a request word may be almost CTL_REQ_MAX long.
 */
START_TEST(test_response_long_message_round_trip)
{
	char *word = make_word(CTL_REQ_MAX - 1, 'z');
	struct buf msgbuf = BUF_INIT, b = BUF_INIT;
	const char *msg;
	size_t msglen;
	int code = -1, ret;

	buf_printf(&msgbuf, "unknown command '%s'", word);
	ck_assert_int_eq(ctl_response_header(&b, CTL_USAGE, msgbuf.data), 0);
	buf_puts(&b, "body");
	ret = ctl_response_parse(b.data, b.len, &code, &msg, &msglen);
	ck_assert_msg(ret > 0,
		      "ctl_response_parse() = %d on a %zu-byte header written "
		      "by ctl_response_header()", ret, b.len - 4);
	ck_assert_int_eq(code, CTL_USAGE);
	ck_assert_str_eq(b.data + ret, "body");
	buf_free(&b);
	buf_free(&msgbuf);
	free(word);
}
END_TEST

static Suite *ctlmsg_suite(void)
{
	Suite *s = suite_create("ctlmsg");
	TCase *tc;

	tc = tcase_create("request_format");
	tcase_add_test(tc, test_request_format_ok);
	tcase_add_loop_test(tc, test_request_format_bad_word, 0,
			    (int)ARRAY_SIZE(bad_words));
	tcase_add_test(tc, test_request_format_no_words);
	tcase_add_test(tc, test_request_format_too_many);
	tcase_add_test(tc, test_request_format_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("request_parse");
	tcase_add_test(tc, test_request_parse_round_trip);
	tcase_add_test(tc, test_request_parse_in_place);
	tcase_add_test(tc, test_request_parse_no_newline);
	tcase_add_test(tc, test_request_parse_spaces);
	tcase_add_test(tc, test_request_parse_empty_line);
	tcase_add_test(tc, test_request_parse_control);
	tcase_add_test(tc, test_request_parse_max_words);
	tcase_add_test(tc, test_request_parse_ctl_max_args);
	tcase_add_test(tc, test_request_parse_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, test_response_round_trip, 0,
			    (int)ARRAY_SIZE(headers));
	tcase_add_test(tc, test_response_header_appends);
	tcase_add_test(tc, test_response_parse_partial);
	tcase_add_test(tc, test_response_parse_partial_long);
	tcase_add_test(tc, test_response_parse_garbage);
	tcase_add_test(tc, test_response_parse_too_long);
	tcase_add_test(tc, test_response_long_message_round_trip);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctlmsg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/jsonread.c: documents as the daemon writes them
 * (lib/json.c) read back; lookups, iteration, numbers and strings; and
 * malformed input refused whole: a list of classic mistakes, every
 * truncation of a valid document, nesting past the limit, and random
 * mutations. Every input sits in a buffer of exactly its length (no NUL
 * after it), so a read past the end is a read past the allocation.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonread.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* s copied to an allocation of exactly its length */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	return p;
}

static int parse_exact(struct jsonread *r, const char *s, size_t n,
		       char **keep)
{
	*keep = exact(s, n);
	return jsonread_parse(r, *keep, n);
}

/* A document in the shape of `stats --json`, written by lib/json.c. */
static void stats_doc(struct buf *b)
{
	struct json j;

	json_init(&j, b);
	json_obj_begin(&j);
	json_key(&j, "queues");
	json_obj_begin(&j);
	json_kv_uint(&j, "packets", 26988);
	json_kv_uint(&j, "decided", UINT64_MAX);
	json_key(&j, "features");
	json_obj_begin(&j);
	json_kv_bool(&j, "gso", true);
	json_obj_end(&j);
	json_obj_end(&j);
	json_key(&j, "zones");
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_kv_uint(&j, "zone", 0);
	json_kv_str(&j, "name", NULL);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_kv_uint(&j, "zone", 10);
	json_kv_str(&j, "name", "lan \"a\"\n\x01");
	json_obj_end(&j);
	json_arr_end(&j);
	json_key(&j, "load");
	json_fixed(&j, 0.707, 3);
	json_kv_int(&j, "neg", -5);
	json_key(&j, "empty");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	buf_putc(b, '\n');
}

START_TEST(test_daemon_document)
{
	struct jsonread r = JSONREAD_INIT;
	struct buf b = BUF_INIT;
	const struct jsonread_tok *root, *zones, *z, *t;
	char name[64], *keep;
	uint64_t v;
	int n = 0;

	stats_doc(&b);
	ck_assert_int_eq(parse_exact(&r, b.data, b.len, &keep), 0);
	root = jsonread_root(&r);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, JSONREAD_OBJECT);
	ck_assert_uint_eq(root->count, 5);

	ck_assert_int_eq(jsonread_uint(&r, jsonread_path(&r, root,
			 "queues.packets"), &v), 0);
	ck_assert_uint_eq(v, 26988);
	ck_assert_int_eq(jsonread_uint(&r, jsonread_path(&r, root,
			 "queues.decided"), &v), 0);
	ck_assert(v == UINT64_MAX);
	t = jsonread_path(&r, root, "queues.features.gso");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->type, JSONREAD_BOOL);
	ck_assert_ptr_null(jsonread_path(&r, root, "queues.nothing"));
	ck_assert_ptr_null(jsonread_path(&r, root, "queues.packets.x"));
	ck_assert_ptr_null(jsonread_get(&r, root, "queue"));

	zones = jsonread_get(&r, root, "zones");
	ck_assert_int_eq(zones->type, JSONREAD_ARRAY);
	ck_assert_uint_eq(zones->count, 2);
	for (z = jsonread_next(&r, zones, NULL); z;
	     z = jsonread_next(&r, zones, z), n++) {
		ck_assert_int_eq(jsonread_uint(&r, jsonread_get(&r, z, "zone"),
					       &v), 0);
		ck_assert_uint_eq(v, n ? 10 : 0);
	}
	ck_assert_int_eq(n, 2);
	z = jsonread_next(&r, zones, NULL);
	ck_assert_int_eq(jsonread_get(&r, z, "name")->type, JSONREAD_NULL);
	ck_assert_int_eq(jsonread_str(&r, jsonread_get(&r, z, "name"), name,
				      sizeof(name)), -EINVAL);
	z = jsonread_next(&r, zones, z);
	ck_assert_int_eq(jsonread_str(&r, jsonread_get(&r, z, "name"), name,
				      sizeof(name)), 9);
	ck_assert_str_eq(name, "lan \"a\"\n\x01");

	/* not unsigned integers */
	ck_assert_int_eq(jsonread_uint(&r, jsonread_get(&r, root, "load"), &v),
			 -EINVAL);
	ck_assert_int_eq(jsonread_uint(&r, jsonread_get(&r, root, "neg"), &v),
			 -EINVAL);
	ck_assert_int_eq(jsonread_uint(&r, zones, &v), -EINVAL);
	ck_assert_int_eq(jsonread_uint(&r, NULL, &v), -EINVAL);

	t = jsonread_get(&r, root, "empty");
	ck_assert_uint_eq(t->count, 0);
	ck_assert_ptr_null(jsonread_next(&r, t, NULL));

	/* an object's values in order */
	n = 0;
	for (t = jsonread_next(&r, root, NULL); t;
	     t = jsonread_next(&r, root, t))
		n++;
	ck_assert_int_eq(n, 5);

	jsonread_free(&r);
	free(keep);
	buf_free(&b);
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "7", 0, 7 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -EINVAL, 0 },
		{ "99999999999999999999999", -EINVAL, 0 },
		{ "-0", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "1E+3", -EINVAL, 0 },
	};
	struct jsonread r = JSONREAD_INIT;
	size_t i;
	uint64_t v;
	char *keep;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ck_assert_msg(parse_exact(&r, cases[i].text,
					  strlen(cases[i].text), &keep) == 0,
			      "'%s' is JSON", cases[i].text);
		v = 0;
		ck_assert_int_eq(jsonread_uint(&r, jsonread_root(&r), &v),
				 cases[i].rc);
		ck_assert(v == cases[i].v);
		free(keep);
	}
	jsonread_free(&r);
}
END_TEST

START_TEST(test_strings)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "\"\"", "" },
		{ "\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d" },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
		{ "\"\\u0041\\u00e9\\u20ac\"", "A\xc3\xa9\xe2\x82\xac" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
		{ "\"\\ud83dx\"", "?x" },
		{ "\"\\ude00\"", "?" },
		{ "\"caf\xc3\xa9\"", "caf\xc3\xa9" },
	};
	struct jsonread r = JSONREAD_INIT;
	char out[32], *keep;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ck_assert_int_eq(parse_exact(&r, cases[i].text,
					     strlen(cases[i].text), &keep), 0);
		ck_assert_int_eq(jsonread_str(&r, jsonread_root(&r), out,
					      sizeof(out)),
				 (int)strlen(cases[i].want));
		ck_assert_str_eq(out, cases[i].want);
		free(keep);
	}
	/* too long for the buffer: cut, terminated, said */
	ck_assert_int_eq(parse_exact(&r, "\"abcdef\"", 8, &keep), 0);
	ck_assert_int_eq(jsonread_str(&r, jsonread_root(&r), out, 4), -ENOSPC);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(jsonread_str(&r, jsonread_root(&r), out, 0), -EINVAL);
	free(keep);
	jsonread_free(&r);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\"}",
		"{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}",
		"[1 2]", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10",
		"tru", "truex", "nul", "NaN", "Infinity", "\"abc", "\"\\x\"",
		"\"\\u12\"", "\"\\u12g4\"", "\"a\nb\"", "\"\\", "[]]", "{}}",
		"1 2", "[1]x", "\"a\"\"b\"", "[\"a\":1]", "{\"a\":1:2}",
		"\x01", "[\x7f]", "{\"a\":[}]",
	};
	struct jsonread r = JSONREAD_INIT;
	char *keep;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(parse_exact(&r, bad[i], strlen(bad[i]), &keep) ==
			      -EINVAL, "'%s' was taken", bad[i]);
		ck_assert_ptr_null(jsonread_root(&r));
		free(keep);
	}
	jsonread_free(&r);
}
END_TEST

/* Every proper prefix of a document is refused, except those that are
 * themselves whole values (never the case for an object). */
START_TEST(test_truncated)
{
	struct jsonread r = JSONREAD_INIT;
	struct buf b = BUF_INIT;
	char *keep;
	size_t n;

	stats_doc(&b);
	for (n = 0; n < b.len - 1; n++) {
		ck_assert_msg(parse_exact(&r, b.data, n, &keep) == -EINVAL,
			      "a cut at %zu was taken", n);
		free(keep);
	}
	ck_assert_int_eq(parse_exact(&r, b.data, b.len - 1, &keep), 0);
	free(keep);
	jsonread_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_depth)
{
	struct jsonread r = JSONREAD_INIT;
	char doc[2 * (JSONREAD_MAX_DEPTH + 1)], *keep;
	size_t d;

	for (d = 0; d < JSONREAD_MAX_DEPTH + 1; d++) {
		doc[d] = '[';
		doc[2 * (JSONREAD_MAX_DEPTH + 1) - 1 - d] = ']';
	}
	ck_assert_int_eq(parse_exact(&r, doc, sizeof(doc), &keep), -E2BIG);
	free(keep);
	ck_assert_int_eq(parse_exact(&r, doc + 1, sizeof(doc) - 2, &keep), 0);
	ck_assert_uint_eq(r.n, JSONREAD_MAX_DEPTH);
	free(keep);
	jsonread_free(&r);
}
END_TEST

/* Random edits of a valid document: refused or taken, never a crash, and
 * when taken every token lies inside the text. */
START_TEST(test_mutations)
{
	static const char alphabet[] = "{}[]\":,\\u0123456789.-+eEtrufalsn \n";
	struct jsonread r = JSONREAD_INIT;
	struct buf b = BUF_INIT;
	uint64_t state = 0x9e3779b97f4a7c15ull;
	char *doc;
	size_t i, k, taken = 0;
	size_t rounds;

	stats_doc(&b);
	for (rounds = 0; rounds < 20000; rounds++) {
		doc = exact(b.data, b.len);
		for (k = 0; k < 1 + rounds % 4; k++) {
			state = state * 6364136223846793005ull +
				1442695040888963407ull;
			doc[(state >> 33) % b.len] =
				alphabet[(state >> 13) % (sizeof(alphabet) - 1)];
		}
		if (jsonread_parse(&r, doc, b.len) == 0) {
			taken++;
			for (i = 0; i < r.n; i++)
				ck_assert(r.tok[i].start + r.tok[i].len <= b.len &&
					  r.tok[i].end <= r.n && r.tok[i].end > i);
		}
		free(doc);
	}
	ck_assert_uint_gt(taken, 0);
	jsonread_free(&r);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonread");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_daemon_document);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

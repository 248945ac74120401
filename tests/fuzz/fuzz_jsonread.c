// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for lib/jsonread.c: any bytes parsed as a document;
 * when taken, every token must lie inside the text and its subtree
 * inside the token list, and walking the whole tree with
 * jsonread_next(), jsonread_get(), jsonread_uint() and jsonread_str()
 * must stay inside it too (a broken invariant aborts, so the fuzzer
 * keeps the input; AddressSanitizer catches a read past the input,
 * which libFuzzer hands over in an allocation of exactly its size).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_jsonread.c lib/jsonread.c lib/buf.c \
 *       -o /tmp/fuzz_jsonread
 *   /tmp/fuzz_jsonread -max_total_time=60 CORPUS_DIR
 *
 * Without libFuzzer, -DFUZZ_MAIN builds a driver that runs every
 * file named on the command line once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct jsonread *r, const struct jsonread_tok *t,
		 size_t size)
{
	const struct jsonread_tok *c = NULL;
	char s[8];
	uint64_t v;

	if (t < r->tok || t >= r->tok + r->n ||
	    (size_t)t->start + t->len > size || t->end > r->n ||
	    t->end <= (size_t)(t - r->tok))
		abort();
	jsonread_uint(r, t, &v);
	jsonread_str(r, t, s, sizeof(s));
	jsonread_get(r, t, "zone");
	while ((c = jsonread_next(r, t, c)))
		walk(r, c, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonread r = JSONREAD_INIT;

	if (jsonread_parse(&r, (const char *)data, size) == 0)
		walk(&r, jsonread_root(&r), size);
	else if (jsonread_root(&r))
		abort();
	jsonread_free(&r);
	return 0;
}

#include "replay.h"

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON reader, for the documents the daemon writes (lib/json.h)
 * and flowcachectl reads back (watch computes rates from them). The
 * whole text is checked against RFC 8259 first and split into tokens,
 * one per value and one per member name, in document order; lookups
 * walk the tokens, and nothing is copied or unescaped until asked for.
 * Every read stays inside text[0..len): a document that is cut short,
 * nested too deep or malformed is refused whole. Not a general DOM:
 * no editing, no floating point, strings are bytes.
 */
#ifndef FC_JSONREAD_H
#define FC_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deeper documents are refused; ours nest 4 levels at most. */
#define JSONREAD_MAX_DEPTH 64

enum jsonread_type {
	JSONREAD_NULL,
	JSONREAD_BOOL,
	JSONREAD_NUMBER,
	JSONREAD_STRING,
	JSONREAD_ARRAY,
	JSONREAD_OBJECT,
};

struct jsonread_tok {
	uint8_t type;		/* enum jsonread_type */
	uint32_t start, len;	/* its text; a string's without the quotes */
	uint32_t count;		/* array: elements; object: members */
	uint32_t end;		/* index of the first token after its subtree */
};

struct jsonread {
	const char *text;	/* the caller's, not copied */
	struct jsonread_tok *tok;	/* tok[0] is the document's value */
	size_t n, cap;
};

#define JSONREAD_INIT { NULL, NULL, 0, 0 }

/*
 * Tokenize text[0..len), one JSON value with optional white space around
 * it. r keeps pointing into text. Returns 0, -EINVAL when the text is not
 * JSON (or longer than 4 GiB), -E2BIG when nested deeper than
 * JSONREAD_MAX_DEPTH, -ENOMEM. r may be parsed into again; free it with
 * jsonread_free().
 */
int jsonread_parse(struct jsonread *r, const char *text, size_t len);
void jsonread_free(struct jsonread *r);

/* The document's value; NULL before a successful parse. */
const struct jsonread_tok *jsonread_root(const struct jsonread *r);

/* The value of obj's member key (the first, if repeated); NULL when obj
 * is not an object or has no such member. */
const struct jsonread_tok *jsonread_get(const struct jsonread *r,
					const struct jsonread_tok *obj,
					const char *key);
/* Members one after the other: jsonread_get() per dot-separated name,
 * "queues.decided". NULL when any step is missing. */
const struct jsonread_tok *jsonread_path(const struct jsonread *r,
					 const struct jsonread_tok *obj,
					 const char *path);

/*
 * Elements of an array, or members' values of an object, in order:
 * first with prev NULL, then the one after prev; NULL at the end (or
 * when c is neither).
 */
const struct jsonread_tok *jsonread_next(const struct jsonread *r,
					 const struct jsonread_tok *c,
					 const struct jsonread_tok *prev);

/* A number without sign, fraction or exponent that fits: 0, or -EINVAL
 * (also for NULL t), *v untouched. */
int jsonread_uint(const struct jsonread *r, const struct jsonread_tok *t,
		  uint64_t *v);

/*
 * A string, unescaped, into out[0..size) with a NUL; \u escapes become
 * UTF-8 (a lone surrogate '?'). Returns its length, or -EINVAL when t is
 * not a string (or NULL), -ENOSPC when it does not fit (out then holds
 * what fitted).
 */
int jsonread_str(const struct jsonread *r, const struct jsonread_tok *t,
		 char *out, size_t size);

#endif

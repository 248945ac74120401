/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming JSON writer into a struct buf. The writer places commas and
 * colons itself, so renderers only say what comes next; strings are
 * escaped per RFC 8259 (control bytes as \u00XX, bytes >= 0x80 passed
 * through: names we print are interface names, comms and paths, which
 * the kernel gives us as bytes). Nesting is limited to JSON_MAX_DEPTH.
 */
#ifndef FC_JSON_H
#define FC_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	unsigned int depth;
	bool need_comma[JSON_MAX_DEPTH + 1];
	bool after_key;
};

void json_init(struct json *j, struct buf *out);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* In an object: the key of the next value. */
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_fixed(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* A value already written as JSON, len bytes (one rendered apart, to
 * be placed later: flows --sort). */
void json_raw(struct json *j, const char *s, size_t len);

/* Shorthands for key + value. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Write s as a JSON string literal (quotes included). */
void json_escape(struct buf *out, const char *s);

#endif

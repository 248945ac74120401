// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>

#include "json.h"

void json_init(struct json *j, struct buf *out)
{
	*j = (struct json){ .out = out };
}

/* Comma before any value that is not the first in its container. */
static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		buf_putc(j->out, ',');
	j->need_comma[j->depth] = true;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	buf_putc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	else
		j->out->failed = true;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	buf_putc(j->out, c);
}

void json_obj_begin(struct json *j) { json_open(j, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j) { json_open(j, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

void json_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(out, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"':  buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20)
				buf_printf(out, "\\u%04x", *p);
			else
				buf_putc(out, (char)*p);
		}
	}
	buf_putc(out, '"');
}

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_escape(j->out, key);
	buf_putc(j->out, ':');
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	json_sep(j);
	json_escape(j->out, s);
}

void json_int(struct json *j, int64_t v)
{
	json_sep(j);
	buf_printf(j->out, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	buf_printf(j->out, "%" PRIu64, v);
}

/* Fixed notation: JSON has no NaN or infinity, and we print neither. */
void json_fixed(struct json *j, double v, int decimals)
{
	json_sep(j);
	buf_printf(j->out, "%.*f", decimals, v);
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	buf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_sep(j);
	buf_puts(j->out, "null");
}

void json_raw(struct json *j, const char *s, size_t len)
{
	json_sep(j);
	buf_append(j->out, s, len);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s)
		json_str(j, s);
	else
		json_null(j);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

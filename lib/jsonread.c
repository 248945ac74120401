// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "jsonread.h"

struct parser {
	struct jsonread *r;
	const char *s;
	size_t len, pos;
	unsigned int depth;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && is_ws(p->s[p->pos]))
		p->pos++;
}

/* A token for the value at start; its length and end come later. */
static int push(struct parser *p, uint8_t type, size_t start, size_t *idx)
{
	struct jsonread *r = p->r;

	if (!array_grow((void **)&r->tok, &r->cap, r->n, sizeof(*r->tok)))
		return -ENOMEM;
	*idx = r->n++;
	r->tok[*idx] = (struct jsonread_tok){
		.type = type, .start = (uint32_t)start, .end = (uint32_t)r->n,
	};
	return 0;
}

static int leaf(struct parser *p, uint8_t type, size_t start, size_t len)
{
	size_t idx;
	int err = push(p, type, start, &idx);

	if (!err)
		p->r->tok[idx].len = (uint32_t)len;
	return err;
}

/* At a '"': the string's token, quotes excluded, escapes checked. */
static int string(struct parser *p)
{
	size_t i = p->pos + 1, start = i;
	int k;

	while (i < p->len) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == '"') {
			p->pos = i + 1;
			return leaf(p, JSONREAD_STRING, start, i - start);
		}
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= p->len)
			return -EINVAL;
		switch (p->s[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (p->len - i < 6)
				return -EINVAL;
			for (k = 2; k < 6; k++)
				if (hex_digit(p->s[i + k]) < 0)
					return -EINVAL;
			i += 6;
			break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->pos, start = i;

	if (i < p->len && s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(s[i]))
		return -EINVAL;
	if (s[i++] != '0')
		while (i < p->len && is_digit(s[i]))
			i++;
	if (i < p->len && s[i] == '.') {
		if (++i >= p->len || !is_digit(s[i]))
			return -EINVAL;
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(s[i]))
			return -EINVAL;
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	p->pos = i;
	return leaf(p, JSONREAD_NUMBER, start, i - start);
}

static int literal(struct parser *p, const char *word, uint8_t type)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return -EINVAL;
	p->pos += n;
	return leaf(p, type, p->pos - n, n);
}

static int value(struct parser *p);

/* At a '{' or '[': the container's token, then its members' or
 * elements' in order; every member is a name's token and a value's. */
static int container(struct parser *p, uint8_t type)
{
	char close = type == JSONREAD_OBJECT ? '}' : ']';
	size_t idx;
	int err;

	if (p->depth >= JSONREAD_MAX_DEPTH)
		return -E2BIG;
	err = push(p, type, p->pos, &idx);
	if (err)
		return err;
	p->pos++;
	p->depth++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
	} else {
		for (;;) {
			if (type == JSONREAD_OBJECT) {
				skip_ws(p);
				if (p->pos >= p->len || p->s[p->pos] != '"')
					return -EINVAL;
				err = string(p);
				if (err)
					return err;
				skip_ws(p);
				if (p->pos >= p->len || p->s[p->pos] != ':')
					return -EINVAL;
				p->pos++;
			}
			err = value(p);
			if (err)
				return err;
			p->r->tok[idx].count++;
			skip_ws(p);
			if (p->pos >= p->len)
				return -EINVAL;
			if (p->s[p->pos] == close)
				break;
			if (p->s[p->pos++] != ',')
				return -EINVAL;
		}
		p->pos++;
	}
	p->depth--;
	p->r->tok[idx].len = (uint32_t)(p->pos - p->r->tok[idx].start);
	p->r->tok[idx].end = (uint32_t)p->r->n;
	return 0;
}

static int value(struct parser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return -EINVAL;
	switch (p->s[p->pos]) {
	case '{':
		return container(p, JSONREAD_OBJECT);
	case '[':
		return container(p, JSONREAD_ARRAY);
	case '"':
		return string(p);
	case 't':
		return literal(p, "true", JSONREAD_BOOL);
	case 'f':
		return literal(p, "false", JSONREAD_BOOL);
	case 'n':
		return literal(p, "null", JSONREAD_NULL);
	default:
		return number(p);
	}
}

int jsonread_parse(struct jsonread *r, const char *text, size_t len)
{
	struct parser p = { .r = r, .s = text, .len = len };
	int err;

	r->text = text;
	r->n = 0;
	if (len > UINT32_MAX)
		return -EINVAL;
	err = value(&p);
	if (!err) {
		skip_ws(&p);
		if (p.pos != len)
			err = -EINVAL;
	}
	if (err)
		r->n = 0;
	return err;
}

void jsonread_free(struct jsonread *r)
{
	free(r->tok);
	*r = (struct jsonread)JSONREAD_INIT;
}

const struct jsonread_tok *jsonread_root(const struct jsonread *r)
{
	return r->n ? &r->tok[0] : NULL;
}

const struct jsonread_tok *jsonread_get(const struct jsonread *r,
					const struct jsonread_tok *obj,
					const char *key)
{
	size_t klen = strlen(key), k;
	uint32_t m;

	if (!obj || obj->type != JSONREAD_OBJECT)
		return NULL;
	k = (size_t)(obj - r->tok) + 1;
	for (m = 0; m < obj->count; m++) {
		const struct jsonread_tok *name = &r->tok[k];

		if (name->len == klen &&
		    !memcmp(r->text + name->start, key, klen))
			return &r->tok[k + 1];
		k = r->tok[k + 1].end;
	}
	return NULL;
}

const struct jsonread_tok *jsonread_path(const struct jsonread *r,
					 const struct jsonread_tok *obj,
					 const char *path)
{
	char name[64];
	const char *dot;
	size_t n;

	while (obj && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		obj = jsonread_get(r, obj, name);
		path += n + (dot != NULL);
	}
	return obj;
}

const struct jsonread_tok *jsonread_next(const struct jsonread *r,
					 const struct jsonread_tok *c,
					 const struct jsonread_tok *prev)
{
	size_t skip, first;

	if (!c || (c->type != JSONREAD_ARRAY && c->type != JSONREAD_OBJECT))
		return NULL;
	/* past a member's name to its value */
	skip = c->type == JSONREAD_OBJECT;
	first = (size_t)(c - r->tok) + 1 + skip;
	if (!prev)
		return c->count ? &r->tok[first] : NULL;
	if (prev->end >= c->end)
		return NULL;
	return &r->tok[prev->end + skip];
}

int jsonread_uint(const struct jsonread *r, const struct jsonread_tok *t,
		  uint64_t *v)
{
	const char *s;
	uint64_t x = 0;
	uint32_t i;

	if (!t || t->type != JSONREAD_NUMBER)
		return -EINVAL;
	s = r->text + t->start;
	for (i = 0; i < t->len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (!is_digit(s[i]) || x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* Code point cp as UTF-8 into out[0..4); returns its length. */
static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The 4 hex digits at s (checked by the parser). */
static uint32_t hex4(const char *s)
{
	uint32_t v = 0;
	int k;

	for (k = 0; k < 4; k++)
		v = v << 4 | (uint32_t)hex_digit(s[k]);
	return v;
}

int jsonread_str(const struct jsonread *r, const struct jsonread_tok *t,
		 char *out, size_t size)
{
	static const char plain[] = "\"\\/bfnrt";
	static const char unescaped[] = "\"\\/\b\f\n\r\t";
	const char *s, *e;
	size_t n = 0, k;
	char u[4];

	if (!t || t->type != JSONREAD_STRING || size == 0)
		return -EINVAL;
	s = r->text + t->start;
	e = s + t->len;
	while (s < e) {
		k = 1;
		if (*s != '\\') {
			u[0] = *s++;
		} else if (s[1] != 'u') {
			u[0] = unescaped[strchr(plain, s[1]) - plain];
			s += 2;
		} else {
			uint32_t cp = hex4(s + 2), lo = 0;

			s += 6;
			if (e - s >= 6 && s[0] == '\\' && s[1] == 'u')
				lo = hex4(s + 2);
			/* a pair makes one code point; a lone half is '?' */
			if (cp >= 0xd800 && cp < 0xdc00 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = '?';
			}
			k = utf8_put(cp, u);
		}
		if (n + k >= size) {
			out[n] = '\0';
			return -ENOSPC;
		}
		memcpy(out + n, u, k);
		n += k;
	}
	out[n] = '\0';
	return (int)n;
}

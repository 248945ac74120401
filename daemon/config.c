// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libconfig -> struct config. Every section is read by a function that
 * names the keys it knows (anything else is an error on its own line),
 * reads each key through one typed accessor that checks type and range,
 * and leaves the default in place when the key is absent. Cross-field
 * rules run last, on the complete struct. Errors are collected, not
 * stopped at, so an operator fixes a file in one pass.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <libconfig.h>

#include "config.h"
#include "maglev.h"
#include "proto.h"

#define CONFIG_DEFAULT_SOCKET	"/run/flowcached/control.sock"

struct cfx {
	const char *file;
	struct config_errors *errs;
};

static void cfx_add(struct cfx *x, const char *file, int line,
		    const char *fmt, va_list ap)
{
	struct config_error *e;

	if (x->errs->n == CONFIG_MAX_ERRORS) {
		x->errs->truncated = true;
		return;
	}
	e = &x->errs->v[x->errs->n];
	e->file = strdup(file ? file : x->file);
	e->line = line;
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	if (!e->file || !e->msg) {
		free(e->file);
		free(e->msg);
		x->errs->truncated = true;
		return;
	}
	x->errs->n++;
}

__attribute__((format(printf, 4, 5)))
static void cerr_at(struct cfx *x, const char *file, int line,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfx_add(x, file, line, fmt, ap);
	va_end(ap);
}

/* An error located at setting s. */
__attribute__((format(printf, 3, 4)))
static void cerr(struct cfx *x, const config_setting_t *s,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfx_add(x, config_setting_source_file(s),
		(int)config_setting_source_line(s), fmt, ap);
	va_end(ap);
}

/* Allocation failures become errors too, so a config is never accepted
 * with a part missing. */
static void *cfx_calloc(struct cfx *x, const config_setting_t *s,
			size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		cerr(x, s, "out of memory");
	return p;
}

/* The key to name in a message: an element of a list is named after its
 * list; the line number says which one. */
static const char *key_of(const config_setting_t *s)
{
	const config_setting_t *p = config_setting_parent(s);
	const char *n = config_setting_name(s);

	if (!n && p)
		n = config_setting_name(p);
	return n ? n : "element";
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true or false";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	}
	return "a value";
}

static bool is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* Report every member of grp whose name is not in keys[]. */
static void check_keys(struct cfx *x, const config_setting_t *grp,
		       const char *const keys[])
{
	int i, n = config_setting_length(grp);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(grp, (unsigned int)i);
		const char *name = config_setting_name(m);
		const char *const *k;

		for (k = keys; *k; k++)
			if (!strcmp(*k, name))
				break;
		if (!*k)
			cerr(x, m, "unknown key '%s'", name);
	}
}

/*
 * The accessors below return 1 when the key is present and valid (and set
 * *out), 0 when it is absent (out untouched), -1 after reporting an error.
 */
static int get_group(struct cfx *x, const config_setting_t *parent,
		     const char *key, const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(parent, key);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cerr(x, s, "'%s' must be a group { ... }, not %s", key,
		     type_name(config_setting_type(s)));
		return -1;
	}
	*out = s;
	return 1;
}

static int int_value(struct cfx *x, const config_setting_t *s,
		     int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (!is_int(s)) {
		cerr(x, s, "'%s' must be an integer, not %s", key_of(s),
		     type_name(config_setting_type(s)));
		return -1;
	}
	v = (int64_t)config_setting_get_int64(s);
	/* libconfig stores 0x80000000..0xffffffff as a negative 32-bit int:
	 * a mark or mask written in hex means the unsigned value. */
	if (v < 0 && config_setting_type(s) == CONFIG_TYPE_INT &&
	    config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		v &= 0xffffffff;
	if (v < min || v > max) {
		/* libconfig wraps decimals above INT32_MAX to negatives */
		cerr(x, s, "'%s' = %" PRId64 " is out of range %" PRId64
		     "..%" PRId64 "%s", key_of(s), v, min, max,
		     v < 0 && min >= 0 && max > INT32_MAX ?
		     " (write values above 2147483647 in hex, e.g. "
		     "0xff000000)" : "");
		return -1;
	}
	*out = v;
	return 1;
}

static int get_int(struct cfx *x, const config_setting_t *grp,
		   const char *key, int64_t min, int64_t max, int64_t *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);

	return s ? int_value(x, s, min, max, out) : 0;
}

#define GET_UINT(x, grp, key, min, max, dst) ({				\
	int64_t v_;							\
	int r_ = get_int((x), (grp), (key), (min), (max), &v_);		\
	if (r_ > 0)							\
		(dst) = (__typeof__(dst))v_;				\
	r_;								\
})

/* A number with a fraction; libconfig reads "0.01" as a float only. */
static int get_real(struct cfx *x, const config_setting_t *grp,
		    const char *key, double min, double max, double *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	double v;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_FLOAT) {
		cerr(x, s, "'%s' must be a number with a fraction (e.g. 0.01), "
		     "not %s", key, type_name(config_setting_type(s)));
		return -1;
	}
	v = config_setting_get_float(s);
	if (!(v >= min && v <= max)) {
		cerr(x, s, "'%s' must be between %g and %g", key, min, max);
		return -1;
	}
	*out = v;
	return 1;
}

static int get_bool(struct cfx *x, const config_setting_t *grp,
		    const char *key, bool *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cerr(x, s, "'%s' must be true or false, not %s", key,
		     type_name(config_setting_type(s)));
		return -1;
	}
	*out = config_setting_get_bool(s);
	return 1;
}

static int str_value(struct cfx *x, const config_setting_t *s,
		     const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cerr(x, s, "'%s' must be a string, not %s", key_of(s),
		     type_name(config_setting_type(s)));
		return -1;
	}
	*out = config_setting_get_string(s);
	return 1;
}

static int get_str(struct cfx *x, const config_setting_t *grp,
		   const char *key, const char **out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);

	return s ? str_value(x, s, out) : 0;
}

/* A string that must be one of names[]; *out is its index. */
static int get_enum(struct cfx *x, const config_setting_t *grp,
		    const char *key, const char *const names[], int *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	const char *v;
	char choices[128] = "";
	int i;

	if (!s)
		return 0;
	if (str_value(x, s, &v) < 0)
		return -1;
	for (i = 0; names[i]; i++) {
		if (!strcmp(names[i], v)) {
			*out = i;
			return 1;
		}
		snprintf(choices + strlen(choices),
			 sizeof(choices) - strlen(choices), "%s%s",
			 i ? ", " : "", names[i]);
	}
	cerr(x, s, "'%s' = \"%s\" is not one of: %s", key, v, choices);
	return -1;
}

/*
 * A key that holds a list: [ a, b ] or ( a, b ), or one scalar taken as a
 * list of one, so that `port = 80;` and `port = [ 80, 443 ];` both work.
 * Returns the number of elements (0 when absent or empty) and sets *list;
 * elem() walks it.
 */
static int get_list(struct cfx *x, const config_setting_t *grp,
		    const char *key, const config_setting_t **list)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	int t;

	if (!s)
		return 0;
	t = config_setting_type(s);
	*list = s;
	if (t == CONFIG_TYPE_GROUP) {
		cerr(x, s, "'%s' must be a value or a list of values", key);
		return -1;
	}
	if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
		return config_setting_length(s);
	return 1;
}

static const config_setting_t *elem(const config_setting_t *list, int i)
{
	int t = config_setting_type(list);

	if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
		return config_setting_get_elem(list, (unsigned int)i);
	return list;
}

static int get_ifnames(struct cfx *x, const config_setting_t *grp,
		       const char *key, struct ifname_list *out)
{
	const config_setting_t *list;
	int i, n = get_list(x, grp, key, &list), bad = 0;

	if (n <= 0)
		return n;
	out->v = cfx_calloc(x, list, (size_t)n, sizeof(*out->v));
	if (!out->v)
		return -1;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = elem(list, i);
		const char *name;

		if (str_value(x, e, &name) < 0) {
			bad = 1;
			continue;
		}
		if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
		    strchr(name, ' ')) {
			cerr(x, e, "'%s': \"%s\" is not an interface name "
			     "(1 to %d characters, no '/' or space)", key,
			     name, IFNAMSIZ - 1);
			bad = 1;
			continue;
		}
		snprintf(out->v[out->n++], IFNAMSIZ, "%s", name);
	}
	return bad ? -1 : 1;
}

static int get_prefixes(struct cfx *x, const config_setting_t *grp,
			const char *key, struct prefix_list *out)
{
	const config_setting_t *list;
	int i, n = get_list(x, grp, key, &list), bad = 0;

	if (n <= 0)
		return n;
	out->v = cfx_calloc(x, list, (size_t)n, sizeof(*out->v));
	if (!out->v)
		return -1;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = elem(list, i);
		const char *text;
		int r;

		if (str_value(x, e, &text) < 0) {
			bad = 1;
			continue;
		}
		r = prefix_parse(text, &out->v[out->n]);
		if (r == -EDOM) {
			cerr(x, e, "'%s': \"%s\" has bits set beyond its "
			     "prefix length", key, text);
			bad = 1;
		} else if (r < 0) {
			cerr(x, e, "'%s': \"%s\" is not an address or "
			     "address/length", key, text);
			bad = 1;
		} else {
			out->n++;
		}
	}
	return bad ? -1 : 1;
}

static int get_ports(struct cfx *x, const config_setting_t *grp,
		     const char *key, struct port_list *out)
{
	const config_setting_t *list;
	int i, n = get_list(x, grp, key, &list), bad = 0;

	if (n <= 0)
		return n;
	out->v = cfx_calloc(x, list, (size_t)n, sizeof(*out->v));
	if (!out->v)
		return -1;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = elem(list, i);
		struct port_range *r = &out->v[out->n];
		const char *text;
		int64_t v;

		if (is_int(e)) {
			if (int_value(x, e, 1, 65535, &v) < 0) {
				bad = 1;
				continue;
			}
			r->lo = r->hi = (uint16_t)v;
			out->n++;
			continue;
		}
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cerr(x, e, "'%s' takes ports (80) or ranges "
			     "(\"1024-2047\"), not %s", key,
			     type_name(config_setting_type(e)));
			bad = 1;
			continue;
		}
		text = config_setting_get_string(e);
		if (port_range_parse(text, r) < 0) {
			cerr(x, e, "'%s': \"%s\" is not a port 1..65535 or a "
			     "range LOW-HIGH", key, text);
			bad = 1;
			continue;
		}
		out->n++;
	}
	return bad ? -1 : 1;
}

/* proto = "tcp" or proto = 6 */
static int get_proto(struct cfx *x, const config_setting_t *grp,
		     uint8_t *out)
{
	const config_setting_t *s = config_setting_get_member(grp, "proto");
	int64_t v;
	int p;

	if (!s)
		return 0;
	if (is_int(s)) {
		if (int_value(x, s, 0, 255, &v) < 0)
			return -1;
		*out = (uint8_t)v;
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cerr(x, s, "'proto' must be a name (\"tcp\") or a number");
		return -1;
	}
	p = proto_parse(config_setting_get_string(s));
	if (p < 0) {
		cerr(x, s, "'proto' = \"%s\" is not a protocol name or number",
		     config_setting_get_string(s));
		return -1;
	}
	*out = (uint8_t)p;
	return 1;
}

/* Sections. Each returns nothing: errors are in x, defaults stay. */

static const char *const verdict_names[] = { "accept", "drop", NULL };

static void read_queues(struct cfx *x, const config_setting_t *root,
			struct config *c)
{
	static const char *const keys[] = {
		"first", "count", "maxlen", "copy_bytes", "fail_open",
		"malformed", NULL
	};
	const config_setting_t *g;
	int v;

	if (get_group(x, root, "queues", &g) <= 0)
		return;
	check_keys(x, g, keys);
	GET_UINT(x, g, "first", 0, 65535, c->queues.first);
	GET_UINT(x, g, "count", 1, 64, c->queues.count);
	GET_UINT(x, g, "maxlen", 1, 1 << 20, c->queues.maxlen);
	GET_UINT(x, g, "copy_bytes", 64, 65535, c->queues.copy_bytes);
	get_bool(x, g, "fail_open", &c->queues.fail_open);
	if (get_enum(x, g, "malformed", verdict_names, &v) > 0)
		c->queues.malformed = (enum verdict)v;
	if ((unsigned int)c->queues.first + c->queues.count - 1 > 65535)
		cerr(x, g, "queues %u..%u run past queue number 65535",
		     c->queues.first,
		     (unsigned int)c->queues.first + c->queues.count - 1);
}

static void read_marks(struct cfx *x, const config_setting_t *root,
		       struct config *c)
{
	static const char *const keys[] = { "mask", NULL };
	const config_setting_t *g;

	if (get_group(x, root, "marks", &g) <= 0)
		return;
	check_keys(x, g, keys);
	GET_UINT(x, g, "mask", 1, UINT32_MAX, c->marks.mask);
}

static void read_ruleset(struct cfx *x, const config_setting_t *root,
			 struct config *c)
{
	static const char *const keys[] = { "managed", "keep_on_exit", NULL };
	const config_setting_t *g;

	if (get_group(x, root, "ruleset", &g) <= 0)
		return;
	check_keys(x, g, keys);
	get_bool(x, g, "managed", &c->ruleset.managed);
	get_bool(x, g, "keep_on_exit", &c->ruleset.keep_on_exit);
}

static void read_table(struct cfx *x, const config_setting_t *root,
		       struct config *c)
{
	static const char *const keys[] = { "max_flows", NULL };
	const config_setting_t *g;

	if (get_group(x, root, "table", &g) <= 0)
		return;
	check_keys(x, g, keys);
	GET_UINT(x, g, "max_flows", 1, 1 << 28, c->table.max_flows);
}

static void read_conntrack(struct cfx *x, const config_setting_t *root,
			   struct config *c)
{
	static const char *const keys[] = {
		"rcvbuf", "reliable", "resync_interval", "pending_ttl", NULL
	};
	const config_setting_t *g;

	if (get_group(x, root, "conntrack", &g) <= 0)
		return;
	check_keys(x, g, keys);
	GET_UINT(x, g, "rcvbuf", 4096, 1u << 29, c->conntrack.rcvbuf);
	get_bool(x, g, "reliable", &c->conntrack.reliable);
	GET_UINT(x, g, "resync_interval", 0, 86400,
		 c->conntrack.resync_interval);
	GET_UINT(x, g, "pending_ttl", 1, 3600, c->conntrack.pending_ttl);
}

static const char *const on_full_names[] = { "evict", "drop", NULL };

/* backends = ( { name; mark; addr?; port?; weight?; }, ... ) */
static void read_backend(struct cfx *x, const config_setting_t *s,
			 struct l7_backend *b)
{
	static const char *const keys[] = {
		"name", "mark", "addr", "port", "weight", NULL
	};
	const config_setting_t *a;
	const char *name, *addr;

	b->line = (int)config_setting_source_line(s);
	b->weight = 1;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cerr(x, s, "a backend must be a group { name = ...; mark = ...; }");
		return;
	}
	check_keys(x, s, keys);
	if (get_str(x, s, "name", &name) <= 0)
		cerr(x, s, "backend has no 'name'");
	else if (!*name || strlen(name) >= L7_NAME_MAX)
		cerr(x, config_setting_get_member(s, "name"),
		     "backend 'name' must be 1 to %d characters",
		     L7_NAME_MAX - 1);
	else
		snprintf(b->name, sizeof(b->name), "%s", name);
	if (GET_UINT(x, s, "mark", 1, UINT32_MAX, b->mark) == 0)
		cerr(x, s, "backend has no 'mark' (the bits its flows get)");
	GET_UINT(x, s, "port", 1, 65535, b->port);
	GET_UINT(x, s, "weight", 0, 65535, b->weight);
	if (get_str(x, s, "addr", &addr) > 0) {
		a = config_setting_get_member(s, "addr");
		if (inet_pton(AF_INET, addr, &b->addr) == 1)
			b->family = AF_INET;
		else if (inet_pton(AF_INET6, addr, &b->addr) == 1)
			b->family = AF_INET6;
		else
			cerr(x, a, "'addr' = \"%s\" is not an IPv4 or IPv6 "
			     "address", addr);
	}
}

/* l7 = { proto; ports; offset; length; idle_timeout; backends; } */
static void read_l7(struct cfx *x, const config_setting_t *z,
		    struct l7_conf *l)
{
	static const char *const keys[] = {
		"proto", "ports", "offset", "length", "idle_timeout",
		"backends", NULL
	};
	const config_setting_t *g, *bl;
	const char *names[L7_BACKENDS_MAX];
	uint32_t weights[L7_BACKENDS_MAX];
	size_t i, j;
	int n;

	if (get_group(x, z, "l7", &g) <= 0)
		return;
	l->line = (int)config_setting_source_line(g);
	l->idle_timeout = 60;
	check_keys(x, g, keys);
	if (get_proto(x, g, &l->proto) <= 0 ||
	    (l->proto != IPPROTO_UDP && l->proto != IPPROTO_TCP)) {
		cerr(x, g, "l7 needs 'proto' = \"udp\" or \"tcp\"");
		l->proto = IPPROTO_UDP;
	}
	if (get_ports(x, g, "ports", &l->ports) == 0)
		cerr(x, g, "l7 needs 'ports': the servers' ports whose "
		     "clients send stream IDs");
	GET_UINT(x, g, "offset", 0, 1024, l->offset);
	if (GET_UINT(x, g, "length", 1, SID_MAX_LEN, l->length) == 0)
		cerr(x, g, "l7 needs 'length': bytes of the stream ID, 1..%d",
		     SID_MAX_LEN);
	GET_UINT(x, g, "idle_timeout", 1, 86400 * 7, l->idle_timeout);
	bl = config_setting_get_member(g, "backends");
	if (!bl || config_setting_type(bl) != CONFIG_TYPE_LIST ||
	    (n = config_setting_length(bl)) == 0) {
		cerr(x, bl ? bl : g, "l7 needs 'backends' = ( { name = ...; "
		     "mark = ...; }, ... )");
		return;
	}
	if (n > L7_BACKENDS_MAX) {
		cerr(x, bl, "%d backends; at most %d are supported", n,
		     L7_BACKENDS_MAX);
		return;
	}
	l->backends = cfx_calloc(x, bl, (size_t)n, sizeof(*l->backends));
	if (!l->backends)
		return;
	l->n_backends = (size_t)n;
	for (i = 0; i < l->n_backends; i++) {
		read_backend(x, config_setting_get_elem(bl, (unsigned int)i),
			     &l->backends[i]);
		for (j = 0; j < i; j++)
			if (l->backends[i].name[0] &&
			    !strcmp(l->backends[i].name, l->backends[j].name))
				cerr(x, config_setting_get_elem(bl,
					(unsigned int)i), "backend name \"%s\" "
				     "is already used on line %d",
				     l->backends[i].name, l->backends[j].line);
		names[i] = l->backends[i].name;
		weights[i] = l->backends[i].weight;
	}
	if (x->errs->n)
		return;
	l->maglev = maglev_new(names, weights, l->n_backends,
			       MAGLEV_DEFAULT_SIZE);
	if (!l->maglev)
		cerr(x, bl, "backends: %s", errno == EINVAL ?
		     "every weight is 0: no backend would get a stream" :
		     strerror(errno));
}

static void read_zone(struct cfx *x, const config_setting_t *z,
		      struct zone_conf *zc)
{
	static const char *const keys[] = {
		"id", "name", "match", "max_flows", "on_full", "decide_after",
		"l7", NULL
	};
	static const char *const match_keys[] = {
		"iif", "addr", "proto", "port", NULL
	};
	const config_setting_t *m;
	const char *name;
	int on_full;

	zc->line = (int)config_setting_source_line(z);
	zc->on_full = ON_FULL_EVICT;
	zc->decide_after = 1;
	if (config_setting_type(z) != CONFIG_TYPE_GROUP) {
		cerr(x, z, "a zone must be a group { id = N; ... }");
		return;
	}
	check_keys(x, z, keys);
	if (GET_UINT(x, z, "id", 1, 65535, zc->id) == 0)
		cerr(x, z, "zone has no 'id' (its conntrack zone, 1..65535)");
	if (get_str(x, z, "name", &name) > 0) {
		if (!*name || strlen(name) >= ZONE_NAME_MAX)
			cerr(x, config_setting_get_member(z, "name"),
			     "'name' must be 1 to %d characters",
			     ZONE_NAME_MAX - 1);
		else
			snprintf(zc->name, sizeof(zc->name), "%s", name);
	}
	GET_UINT(x, z, "max_flows", 0, 1 << 28, zc->max_flows);
	if (get_enum(x, z, "on_full", on_full_names, &on_full) > 0)
		zc->on_full = (enum on_full)on_full;
	GET_UINT(x, z, "decide_after", 1, 255, zc->decide_after);
	read_l7(x, z, &zc->l7);

	if (get_group(x, z, "match", &m) <= 0) {
		if (!config_setting_get_member(z, "match"))
			cerr(x, z, "zone has no 'match' group: which packets "
			     "belong to it?");
		return;
	}
	check_keys(x, m, match_keys);
	get_ifnames(x, m, "iif", &zc->match.iif);
	get_prefixes(x, m, "addr", &zc->match.addr);
	get_proto(x, m, &zc->match.proto);
	get_ports(x, m, "port", &zc->match.port);
	if (zc->match.port.n && !proto_has_ports(zc->match.proto))
		cerr(x, m, "'port' needs 'proto' set to tcp, udp, udplite, "
		     "sctp or dccp");
	if (config_setting_length(m) == 0)
		cerr(x, m, "zone match is empty: give iif, addr or proto");
}

static void read_zones(struct cfx *x, const config_setting_t *root,
		       struct config *c)
{
	const config_setting_t *l = config_setting_get_member(root, "zones");
	int i, n;

	if (!l)
		return;
	if (config_setting_type(l) != CONFIG_TYPE_LIST) {
		cerr(x, l, "'zones' must be a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(l);
	if (n > 1024) {
		cerr(x, l, "%d zones; at most 1024 are supported", n);
		return;
	}
	if (n == 0)
		return;
	c->zones = cfx_calloc(x, l, (size_t)n, sizeof(*c->zones));
	if (!c->zones)
		return;
	c->n_zones = (size_t)n;
	for (i = 0; i < n; i++)
		read_zone(x, config_setting_get_elem(l, (unsigned int)i),
			  &c->zones[i]);
}

/* label = 3; or label = [ 3, 70 ]; bits 0..127 of the ct label. */
static int get_labels(struct cfx *x, const config_setting_t *grp,
		      uint8_t labels[CT_LABEL_BITS / 8])
{
	const config_setting_t *list;
	int i, n = get_list(x, grp, "label", &list), bad = 0;
	int64_t bit;

	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		if (int_value(x, elem(list, i), 0, CT_LABEL_BITS - 1, &bit) < 0) {
			bad = 1;
			continue;
		}
		labels[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	return bad ? -1 : 1;
}

/* A rule for one family whose prefixes are of the other never matches. */
static void check_family(struct cfx *x, const config_setting_t *m,
			 const char *key, const struct prefix_list *l,
			 uint8_t family)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].family != family) {
			cerr(x, config_setting_get_member(m, key),
			     "'%s' has %s prefixes in a rule for family %s",
			     key, family == AF_INET ? "IPv6" : "IPv4",
			     family == AF_INET ? "ipv4" : "ipv6");
			return;
		}
	}
}

/* A user or group: a name, resolved now, or a number. */
static bool owner_id(struct cfx *x, const config_setting_t *e,
		     const char *key, bool group, uint32_t *id)
{
	char buf[4096];
	const char *name;
	long long v;

	if (is_int(e)) {
		v = config_setting_get_int64(e);
		if (v < 0 || v >= UINT32_MAX) {
			cerr(x, e, "'%s' = %lld is not a %s id", key, v,
			     group ? "group" : "user");
			return false;
		}
		*id = (uint32_t)v;
		return true;
	}
	if (str_value(x, e, &name) < 0)
		return false;
	if (group) {
		struct group gr, *res = NULL;

		if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res) {
			*id = (uint32_t)res->gr_gid;
			return true;
		}
	} else {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res) {
			*id = (uint32_t)res->pw_uid;
			return true;
		}
	}
	cerr(x, e, "'%s' = \"%s\": no such %s", key, name,
	     group ? "group" : "user");
	return false;
}

static void get_owner_ids(struct cfx *x, const config_setting_t *grp,
			  const char *key, bool group, struct owner_match *m,
			  size_t *n, uint32_t **v)
{
	const config_setting_t *list;
	int i, len = get_list(x, grp, key, &list);

	if (len <= 0)
		return;
	*v = cfx_calloc(x, list, (size_t)len, sizeof(**v));
	if (!*v)
		return;
	for (i = 0; i < len; i++)
		if (owner_id(x, elem(list, i), key, group, &(*v)[*n]))
			(*n)++;
	m->need |= group ? OWNER_HAS_GID : OWNER_HAS_UID;
}

static void get_comms(struct cfx *x, const config_setting_t *grp,
		      struct owner_match *m)
{
	const config_setting_t *list;
	int i, len = get_list(x, grp, "comm", &list);
	const char *name;

	if (len <= 0)
		return;
	m->comm = cfx_calloc(x, list, (size_t)len, sizeof(*m->comm));
	if (!m->comm)
		return;
	for (i = 0; i < len; i++) {
		if (str_value(x, elem(list, i), &name) < 0)
			continue;
		if (!*name || strlen(name) >= OWNER_COMM_MAX) {
			cerr(x, elem(list, i), "'comm' = \"%s\": a process "
			     "name has 1 to %d characters (as in "
			     "/proc/PID/comm)", name, OWNER_COMM_MAX - 1);
			continue;
		}
		snprintf(m->comm[m->n_comm++], OWNER_COMM_MAX, "%s", name);
	}
	m->need |= OWNER_HAS_COMM;
}

static void get_cgroups(struct cfx *x, const config_setting_t *grp,
			struct owner_match *m)
{
	const config_setting_t *list;
	int i, len = get_list(x, grp, "cgroup", &list);
	const char *path;
	size_t n;

	if (len <= 0)
		return;
	m->cgroup = cfx_calloc(x, list, (size_t)len, sizeof(*m->cgroup));
	if (!m->cgroup)
		return;
	for (i = 0; i < len; i++) {
		if (str_value(x, elem(list, i), &path) < 0)
			continue;
		n = strlen(path);
		if (path[0] != '/' || n > 255 || strstr(path, "//") ||
		    (n > 1 && path[n - 1] == '/')) {
			cerr(x, elem(list, i), "'cgroup' = \"%s\" is not a "
			     "cgroup v2 path such as \"/system.slice/"
			     "backup.service\"", path);
			continue;
		}
		m->cgroup[m->n_cgroup] = strdup(path);
		if (!m->cgroup[m->n_cgroup]) {
			cerr(x, list, "out of memory");
			return;
		}
		m->n_cgroup++;
	}
	m->need |= OWNER_HAS_CGROUP;
}

/* owner = { user; group; comm; cgroup; } */
static void read_owner(struct cfx *x, const config_setting_t *m,
		       struct owner_match *om)
{
	static const char *const keys[] = {
		"user", "group", "comm", "cgroup", NULL
	};
	const config_setting_t *g;

	if (get_group(x, m, "owner", &g) <= 0)
		return;
	check_keys(x, g, keys);
	get_owner_ids(x, g, "user", false, om, &om->n_uid, &om->uid);
	get_owner_ids(x, g, "group", true, om, &om->n_gid, &om->gid);
	get_comms(x, g, om);
	get_cgroups(x, g, om);
	if (!om->need)
		cerr(x, g, "'owner' needs at least one of user, group, comm, "
		     "cgroup");
}

static void read_rule(struct cfx *x, const config_setting_t *r,
		      struct rule_conf *rc)
{
	static const char *const keys[] = {
		"match", "verdict", "mark", "label", "route", "log", NULL
	};
	static const char *const route_names[] = {
		"none", "pin", "follow", NULL
	};
	static const char *const match_keys[] = {
		"zone", "family", "proto", "src", "dst", "sport", "dport",
		"iif", "oif", "owner", NULL
	};
	static const char *const family_names[] = { "ipv4", "ipv6", NULL };
	const config_setting_t *m;
	int v;

	rc->line = (int)config_setting_source_line(r);
	if (config_setting_type(r) != CONFIG_TYPE_GROUP) {
		cerr(x, r, "a policy rule must be a group { match = { ... }; ... }");
		return;
	}
	check_keys(x, r, keys);
	if (get_enum(x, r, "verdict", verdict_names, &v) > 0)
		rc->verdict = (enum verdict)v;
	if (GET_UINT(x, r, "mark", 0, UINT32_MAX, rc->mark) > 0)
		rc->has |= RULE_HAS_MARK;
	if (get_labels(x, r, rc->labels) > 0)
		rc->has |= RULE_HAS_LABEL;
	if (get_enum(x, r, "route", route_names, &v) > 0)
		rc->route = (enum route_policy)v;
	get_bool(x, r, "log", &rc->log);

	if (get_group(x, r, "match", &m) <= 0)
		return;
	check_keys(x, m, match_keys);
	if (GET_UINT(x, m, "zone", 0, 65535, rc->match.zone) > 0)
		rc->has |= RULE_HAS_ZONE;
	if (get_enum(x, m, "family", family_names, &v) > 0) {
		rc->match.family = v == 0 ? AF_INET : AF_INET6;
		rc->has |= RULE_HAS_FAMILY;
	}
	if (get_proto(x, m, &rc->match.proto) > 0)
		rc->has |= RULE_HAS_PROTO;
	get_prefixes(x, m, "src", &rc->match.src);
	get_prefixes(x, m, "dst", &rc->match.dst);
	get_ports(x, m, "sport", &rc->match.sport);
	get_ports(x, m, "dport", &rc->match.dport);
	get_ifnames(x, m, "iif", &rc->match.iif);
	get_ifnames(x, m, "oif", &rc->match.oif);
	read_owner(x, m, &rc->match.owner);
	if (rc->has & RULE_HAS_FAMILY) {
		check_family(x, m, "src", &rc->match.src, rc->match.family);
		check_family(x, m, "dst", &rc->match.dst, rc->match.family);
	}
	if ((rc->match.sport.n || rc->match.dport.n) &&
	    !(rc->has & RULE_HAS_PROTO))
		cerr(x, m, "'sport'/'dport' need 'proto' in the same match");
}

static void read_policy(struct cfx *x, const config_setting_t *root,
			struct config *c)
{
	const config_setting_t *l = config_setting_get_member(root, "policy");
	int i, n;

	if (!l)
		return;
	if (config_setting_type(l) != CONFIG_TYPE_LIST) {
		cerr(x, l, "'policy' must be a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(l);
	if (n == 0)
		return;
	c->rules = cfx_calloc(x, l, (size_t)n, sizeof(*c->rules));
	if (!c->rules)
		return;
	c->n_rules = (size_t)n;
	for (i = 0; i < n; i++)
		read_rule(x, config_setting_get_elem(l, (unsigned int)i),
			  &c->rules[i]);
}

static const char *const route_cache_names[] = {
	"lpm", "bloom", "kernel", NULL
};

static void read_routes(struct cfx *x, const config_setting_t *root,
			struct config *c)
{
	static const char *const keys[] = {
		"cache", "bloom_expected", "bloom_fp_rate", "bloom_entries",
		"bloom_reseed", "pin_mask", "pin_reply_mask", "pin_table",
		"pin_priority", NULL
	};
	const config_setting_t *g;
	int v;

	if (get_group(x, root, "routes", &g) <= 0)
		return;
	check_keys(x, g, keys);
	if (get_enum(x, g, "cache", route_cache_names, &v) > 0)
		c->routes.cache = (enum route_cache_mode)v;
	GET_UINT(x, g, "bloom_expected", 16, 1 << 24, c->routes.bloom_expected);
	get_real(x, g, "bloom_fp_rate", 1e-9, 0.5, &c->routes.bloom_fp_rate);
	GET_UINT(x, g, "bloom_entries", 1024, 1 << 28, c->routes.bloom_entries);
	GET_UINT(x, g, "bloom_reseed", 0, 86400 * 7, c->routes.bloom_reseed);
	GET_UINT(x, g, "pin_mask", 0, UINT32_MAX, c->routes.pin_mask);
	GET_UINT(x, g, "pin_reply_mask", 0, UINT32_MAX,
		 c->routes.pin_reply_mask);
	GET_UINT(x, g, "pin_table", 1, 0xfffff000u, c->routes.pin_table);
	GET_UINT(x, g, "pin_priority", 1, 32765, c->routes.pin_priority);
}

static void read_control(struct cfx *x, const config_setting_t *root,
			 struct config *c)
{
	static const char *const keys[] = { "socket", "group", NULL };
	const config_setting_t *g;
	const char *s;

	if (get_group(x, root, "control", &g) <= 0)
		return;
	check_keys(x, g, keys);
	if (get_str(x, g, "socket", &s) > 0) {
		/* sun_path holds 108 bytes including the NUL */
		if (s[0] != '/' || strlen(s) > 107)
			cerr(x, config_setting_get_member(g, "socket"),
			     "'socket' must be an absolute path of at most "
			     "107 bytes");
		else if (!(c->control.socket = strdup(s)))
			cerr(x, g, "out of memory");
	}
	if (get_str(x, g, "group", &s) > 0) {
		struct group *gr = getgrnam(s);

		if (!gr)
			cerr(x, config_setting_get_member(g, "group"),
			     "'group' = \"%s\": no such group", s);
		else if (!(c->control.group = strdup(s)))
			cerr(x, g, "out of memory");
		else
			c->control.gid = gr->gr_gid;
	}
}

static void read_metrics(struct cfx *x, const config_setting_t *root,
			 struct config *c)
{
	static const char *const keys[] = { "listen", NULL };
	const config_setting_t *g;
	const char *s;

	if (get_group(x, root, "metrics", &g) <= 0)
		return;
	check_keys(x, g, keys);
	if (get_str(x, g, "listen", &s) <= 0)
		return;
	if (addr_port_parse(s, &c->metrics.listen) < 0)
		cerr(x, config_setting_get_member(g, "listen"),
		     "'listen' = \"%s\" is not ADDRESS:PORT "
		     "(\"127.0.0.1:9530\", \"[::1]:9530\")", s);
	else
		c->metrics.enabled = true;
}

/*
 * The ruleset sets a rule's labels on flows whose packet carries that
 * rule's mark, so a label needs an accepted flow and a mark of its own.
 */
static void check_label_rule(struct cfx *x, const config_setting_t *rs,
			     const struct config *c, size_t i)
{
	const struct rule_conf *r = &c->rules[i];
	size_t j;

	if (r->verdict == VERDICT_DROP) {
		cerr(x, rs, "'label' on a rule that drops: a dropped flow "
		     "has no conntrack entry to label");
		return;
	}
	if (!(r->has & RULE_HAS_MARK) || !r->mark) {
		cerr(x, rs, "'label' needs a non-zero 'mark' in the same rule "
		     "(the kernel finds the flows to label by it)");
		return;
	}
	for (j = 0; j < c->n_rules; j++) {
		if (j != i && (c->rules[j].has & RULE_HAS_MARK) &&
		    c->rules[j].mark == r->mark) {
			cerr(x, rs, "mark 0x%08x of a rule with 'label' is also "
			     "the mark of the rule on line %d; give each "
			     "labelling rule a mark of its own", r->mark,
			     c->rules[j].line);
			return;
		}
	}
}

/* A next-hop field of the mark: contiguous bits inside marks.mask, clear
 * of the "decided" bit, and at most 8 of them (255 next hops, one table
 * each). */
static void check_pin_mask(struct cfx *x, const config_setting_t *root,
			   const struct config *c, const char *key,
			   uint32_t mask)
{
	const config_setting_t *s;
	uint32_t low = mask & -mask;

	/* not 0: set in a routes group */
	if (!mask)
		return;
	s = config_setting_get_member(config_setting_get_member(root, "routes"),
				      key);
	if (mask & ~c->marks.mask || mask & c->marks.decided)
		cerr(x, s, "routes.%s 0x%08x must lie inside marks.mask "
		     "0x%08x, clear of its lowest (\"decided\") bit", key, mask,
		     c->marks.mask);
	else if ((mask + low) & mask)
		cerr(x, s, "routes.%s 0x%08x must be one run of bits", key,
		     mask);
	else if (mask / low > 255)
		cerr(x, s, "routes.%s 0x%08x: at most 8 bits (255 next hops)",
		     key, mask);
}

/*
 * A zone's stream IDs: inside the bytes the queue copies (after the
 * largest IP and L4 headers), and backend marks the daemon may set and
 * tell apart.
 */
/*
 * The nat chain sends every flow whose mark is a backend's to that
 * backend, so the mark must be the backend's alone: not another zone's
 * backend's, not a policy rule's.
 */
static void check_backend_mark(struct cfx *x, const config_setting_t *bs,
			       const struct config *c,
			       const struct zone_conf *z,
			       const struct l7_backend *b)
{
	size_t i, k;

	for (i = 0; &c->zones[i] != z; i++)
		for (k = 0; k < c->zones[i].l7.n_backends; k++)
			if (c->zones[i].l7.backends[k].mark == b->mark)
				cerr(x, bs, "backend \"%s\": mark 0x%08x is "
				     "already backend \"%s\"'s of zone %u",
				     b->name, b->mark,
				     c->zones[i].l7.backends[k].name,
				     c->zones[i].id);
	for (i = 0; i < c->n_rules; i++)
		if ((c->rules[i].has & RULE_HAS_MARK) &&
		    c->rules[i].verdict != VERDICT_DROP &&
		    (c->rules[i].mark & c->marks.mask) == b->mark)
			cerr(x, bs, "backend \"%s\": mark 0x%08x is also the "
			     "mark of the policy rule of line %d, whose flows "
			     "would be taken for this backend's", b->name,
			     b->mark, c->rules[i].line);
}

static void check_l7(struct cfx *x, const config_setting_t *zs,
		     const struct config *c, const struct zone_conf *z)
{
	const struct l7_conf *l = &z->l7;
	const config_setting_t *bl = config_setting_get_member(
		config_setting_get_member(zs, "l7"), "backends");
	uint32_t room = l->proto == IPPROTO_TCP ? 40 + 60 : 40 + 8;
	size_t i, j;

	if (l->offset + l->length + room > c->queues.copy_bytes)
		cerr(x, zs, "zone %u: l7 offset %u + length %u is past what "
		     "the queue copies: queues.copy_bytes %u holds %u bytes "
		     "of %s payload after the largest headers", z->id,
		     l->offset, l->length, c->queues.copy_bytes,
		     c->queues.copy_bytes > room ? c->queues.copy_bytes - room
						 : 0, proto_name(l->proto));
	if (l->proto == IPPROTO_TCP && z->decide_after < 4)
		cerr(x, zs, "zone %u: l7 over TCP needs decide_after of at "
		     "least 4: the handshake's three packets carry no stream "
		     "ID", z->id);
	for (i = 0; i < l->n_backends; i++) {
		const struct l7_backend *b = &l->backends[i];
		const config_setting_t *bs = config_setting_get_elem(bl,
							(unsigned int)i);

		/* a TCP connection's sid comes after its handshake, too
		 * late for the nat hook, which sees only its first packet */
		if (l->proto == IPPROTO_TCP && (b->family || b->port))
			cerr(x, bs, "backend \"%s\": a TCP zone's backends "
			     "take a mark only (no addr or port): the stream "
			     "ID comes after the handshake, when the "
			     "connection can no longer be sent elsewhere",
			     b->name);

		if (b->mark & ~c->marks.mask || b->mark & c->marks.decided)
			cerr(x, bs, "backend \"%s\": mark "
				"0x%08x must lie inside marks.mask 0x%08x, "
				"clear of its lowest (\"decided\") bit",
				b->name, b->mark, c->marks.mask);
		for (j = 0; j < i; j++)
			if (b->mark == l->backends[j].mark)
				cerr(x, bs, "backend \"%s\": "
					"mark 0x%08x is already backend \"%s\"'s",
					b->name, b->mark, l->backends[j].name);
		check_backend_mark(x, bs, c, z, b);
	}
}

/* Rules that involve more than one key, on the complete struct. */
static void check_config(struct cfx *x, const config_setting_t *root,
			 struct config *c)
{
	size_t i, j;

	c->marks.decided = c->marks.mask & -c->marks.mask;
	check_pin_mask(x, root, c, "pin_mask", c->routes.pin_mask);
	check_pin_mask(x, root, c, "pin_reply_mask", c->routes.pin_reply_mask);
	if (c->routes.pin_mask & c->routes.pin_reply_mask)
		cerr(x, config_setting_get_member(root, "routes"),
		     "routes.pin_mask and pin_reply_mask overlap");
	if (c->routes.pin_reply_mask && !c->routes.pin_mask)
		cerr(x, config_setting_get_member(root, "routes"),
		     "routes.pin_reply_mask needs pin_mask");
	for (i = 0; i < c->n_zones; i++) {
		const struct zone_conf *z = &c->zones[i];
		const config_setting_t *zs = config_setting_get_elem(
			config_setting_get_member(root, "zones"), (unsigned int)i);

		if (z->l7.proto)
			check_l7(x, zs, c, z);
		if (z->max_flows > c->table.max_flows)
			cerr(x, zs, "zone %u: max_flows %u is above "
			     "table.max_flows %u", z->id, z->max_flows,
			     c->table.max_flows);
		for (j = 0; j < i; j++) {
			if (z->id && z->id == c->zones[j].id)
				cerr(x, zs, "zone id %u is already used on "
				     "line %d", z->id, c->zones[j].line);
			if (z->name[0] && !strcmp(z->name, c->zones[j].name))
				cerr(x, zs, "zone name \"%s\" is already used "
				     "on line %d", z->name, c->zones[j].line);
		}
	}
	for (i = 0; i < c->n_rules; i++) {
		const struct rule_conf *r = &c->rules[i];
		const config_setting_t *rs = config_setting_get_elem(
			config_setting_get_member(root, "policy"), (unsigned int)i);

		if (r->has & RULE_HAS_MARK) {
			if (r->mark & ~c->marks.mask)
				cerr(x, rs, "mark 0x%08x has bits outside "
				     "marks.mask 0x%08x", r->mark,
				     c->marks.mask);
			else if (r->mark & c->marks.decided)
				cerr(x, rs, "mark 0x%08x uses bit 0x%08x, "
				     "which flowcached sets on every decided "
				     "flow (the lowest bit of marks.mask)",
				     r->mark, c->marks.decided);
		}
		if (r->has & RULE_HAS_LABEL)
			check_label_rule(x, rs, c, i);
		if (r->route && !c->routes.pin_mask)
			cerr(x, rs, "'route' needs routes.pin_mask: the mark "
			     "bits that carry the flow's next hop");
		if ((r->has & RULE_HAS_MARK) &&
		    (r->mark & (c->routes.pin_mask | c->routes.pin_reply_mask)))
			cerr(x, rs, "mark 0x%08x has bits of routes.pin_mask or "
			     "pin_reply_mask, which carry next hops", r->mark);
		if ((r->has & RULE_HAS_ZONE) && r->match.zone) {
			for (j = 0; j < c->n_zones; j++)
				if (c->zones[j].id == r->match.zone)
					break;
			if (j == c->n_zones)
				cerr(x, rs, "match.zone %u is not a configured "
				     "zone", r->match.zone);
		}
	}
}

/* Sections are read in a fixed order, not in file order: sort by place so
 * the operator reads the errors top to bottom. Insertion sort is stable
 * and the list is short. */
static void sort_errors(struct config_errors *errs)
{
	size_t i, j;

	for (i = 1; i < errs->n; i++) {
		struct config_error e = errs->v[i];

		for (j = i; j > 0; j--) {
			const struct config_error *p = &errs->v[j - 1];
			int c = strcmp(p->file, e.file);

			if (c < 0 || (c == 0 && p->line <= e.line))
				break;
			errs->v[j] = *p;
		}
		errs->v[j] = e;
	}
}

static void config_defaults(struct config *c)
{
	c->queues.first = 0;
	c->queues.count = 1;
	c->queues.maxlen = 4096;
	c->queues.copy_bytes = 256;
	c->queues.fail_open = true;
	c->marks.mask = 0x00ff0000;
	c->ruleset.managed = true;
	c->ruleset.keep_on_exit = true;
	c->table.max_flows = 1048576;
	c->conntrack.rcvbuf = 64u << 20;
	c->conntrack.resync_interval = 300;
	c->conntrack.pending_ttl = 30;
	c->routes.cache = ROUTE_CACHE_LPM;
	c->routes.bloom_expected = 65536;
	c->routes.bloom_fp_rate = 0.001;
	c->routes.bloom_entries = 1048576;
	c->routes.bloom_reseed = 3600;
	c->routes.pin_table = 1000;
	c->routes.pin_priority = 100;
}

int config_load(const char *path, struct config **ret,
		struct config_errors *errs)
{
	static const char *const keys[] = {
		"queues", "marks", "ruleset", "table", "conntrack", "zones",
		"policy", "routes", "control", "metrics", NULL
	};
	struct cfx x = { .file = path, .errs = errs };
	const config_setting_t *root;
	struct config *c;
	char *dir;
	config_t lc;
	FILE *f;
	int err = 0;

	memset(errs, 0, sizeof(*errs));
	c = calloc(1, sizeof(*c));
	dir = strdup(path);
	if (!c || !dir) {
		free(c);
		free(dir);
		return -ENOMEM;
	}
	config_defaults(c);

	config_init(&lc);
	/* @include "x.conf" is relative to the including file's folder. */
	config_set_include_dir(&lc, dirname(dir));
	f = fopen(path, "re");
	if (!f) {
		cerr_at(&x, path, 0, "cannot open: %s", strerror(errno));
		err = -EINVAL;
		goto out;
	}
	if (config_read(&lc, f) != CONFIG_TRUE) {
		const char *text = config_error_text(&lc);

		/* libconfig's words for a mixed array; say what to write */
		cerr_at(&x, config_error_file(&lc), config_error_line(&lc),
			"%s%s", text, strstr(text, "mismatched element type") ?
			" (an array [ ] holds one type; a list ( ) may mix "
			"ports and \"LOW-HIGH\" ranges)" : "");
		fclose(f);
		err = -EINVAL;
		goto out;
	}
	fclose(f);
	root = config_root_setting(&lc);
	check_keys(&x, root, keys);
	read_queues(&x, root, c);
	read_marks(&x, root, c);
	read_ruleset(&x, root, c);
	read_table(&x, root, c);
	read_conntrack(&x, root, c);
	read_zones(&x, root, c);
	read_policy(&x, root, c);
	read_routes(&x, root, c);
	read_control(&x, root, c);
	read_metrics(&x, root, c);
	if (!errs->n && !errs->truncated)
		check_config(&x, root, c);

	if (!c->control.socket)
		c->control.socket = strdup(CONFIG_DEFAULT_SOCKET);
	c->file = strdup(path);
	if (!c->control.socket || !c->file)
		err = -ENOMEM;
	else if (errs->n || errs->truncated)
		err = -EINVAL;
out:
	sort_errors(errs);
	config_destroy(&lc);
	free(dir);
	if (err) {
		config_free(c);
		return err;
	}
	*ret = c;
	return 0;
}

static void zone_free(struct zone_conf *z)
{
	free(z->match.iif.v);
	free(z->match.addr.v);
	free(z->match.port.v);
	free(z->l7.ports.v);
	free(z->l7.backends);
	maglev_free(z->l7.maglev);
}

static void rule_free(struct rule_conf *r)
{
	free(r->match.src.v);
	free(r->match.dst.v);
	free(r->match.sport.v);
	free(r->match.dport.v);
	size_t i;

	free(r->match.iif.v);
	free(r->match.oif.v);
	free(r->match.owner.uid);
	free(r->match.owner.gid);
	free(r->match.owner.comm);
	for (i = 0; i < r->match.owner.n_cgroup; i++)
		free(r->match.owner.cgroup[i]);
	free(r->match.owner.cgroup);
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_zones; i++)
		zone_free(&c->zones[i]);
	for (i = 0; i < c->n_rules; i++)
		rule_free(&c->rules[i]);
	free(c->zones);
	free(c->rules);
	free(c->control.socket);
	free(c->control.group);
	free(c->file);
	free(c);
}

void config_errors_free(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	errs->n = 0;
	errs->truncated = false;
}

void config_error_format(const struct config_error *e, struct buf *out)
{
	if (e->line > 0)
		buf_printf(out, "%s:%d: %s", e->file, e->line, e->msg);
	else
		buf_printf(out, "%s: %s", e->file, e->msg);
}

const char *verdict_name(enum verdict v)
{
	return verdict_names[v];
}

const char *route_cache_name(enum route_cache_mode c)
{
	return route_cache_names[c];
}

const char *on_full_name(enum on_full f)
{
	return on_full_names[f];
}

static void dump_ifnames(struct buf *out, const char *key,
			 const struct ifname_list *l)
{
	size_t i;

	if (!l->n)
		return;
	buf_printf(out, " %s = [", key);
	for (i = 0; i < l->n; i++)
		buf_printf(out, "%s \"%s\"", i ? "," : "", l->v[i]);
	buf_puts(out, " ];");
}

static void dump_prefixes(struct buf *out, const char *key,
			  const struct prefix_list *l)
{
	char text[PREFIX_STRLEN];
	size_t i;

	if (!l->n)
		return;
	buf_printf(out, " %s = [", key);
	for (i = 0; i < l->n; i++) {
		prefix_format(&l->v[i], text, sizeof(text));
		buf_printf(out, "%s \"%s\"", i ? "," : "", text);
	}
	buf_puts(out, " ];");
}

static void dump_ports(struct buf *out, const char *key,
		       const struct port_list *l)
{
	size_t i;

	if (!l->n)
		return;
	buf_printf(out, " %s = [", key);
	for (i = 0; i < l->n; i++) {
		if (l->v[i].lo == l->v[i].hi)
			buf_printf(out, "%s \"%u\"", i ? "," : "", l->v[i].lo);
		else
			buf_printf(out, "%s \"%u-%u\"", i ? "," : "",
				   l->v[i].lo, l->v[i].hi);
	}
	buf_puts(out, " ];");
}

static void dump_ids(struct buf *out, const char *key, const uint32_t *v,
		     size_t n)
{
	size_t i;

	if (!n)
		return;
	buf_printf(out, " %s = [", key);
	for (i = 0; i < n; i++)
		buf_printf(out, "%s %u", i ? "," : "", v[i]);
	buf_puts(out, " ];");
}

static void dump_owner(struct buf *out, const struct owner_match *m)
{
	size_t i;

	if (!m->need)
		return;
	buf_puts(out, " owner = {");
	dump_ids(out, "user", m->uid, m->n_uid);
	dump_ids(out, "group", m->gid, m->n_gid);
	if (m->n_comm) {
		buf_puts(out, " comm = [");
		for (i = 0; i < m->n_comm; i++)
			buf_printf(out, "%s \"%s\"", i ? "," : "", m->comm[i]);
		buf_puts(out, " ];");
	}
	if (m->n_cgroup) {
		buf_puts(out, " cgroup = [");
		for (i = 0; i < m->n_cgroup; i++)
			buf_printf(out, "%s \"%s\"", i ? "," : "",
				   m->cgroup[i]);
		buf_puts(out, " ];");
	}
	buf_puts(out, " };");
}

static void dump_proto(struct buf *out, uint8_t proto)
{
	const char *name = proto_name(proto);

	if (name)
		buf_printf(out, " proto = \"%s\";", name);
	else
		buf_printf(out, " proto = %u;", proto);
}

static void dump_l7(struct buf *out, const struct l7_conf *l)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	if (!l->proto)
		return;
	buf_puts(out, "\n    l7 = {");
	dump_proto(out, l->proto);
	dump_ports(out, "ports", &l->ports);
	buf_printf(out, " offset = %u; length = %u; idle_timeout = %u;\n"
		   "      backends = (", l->offset, l->length, l->idle_timeout);
	for (i = 0; i < l->n_backends; i++) {
		const struct l7_backend *b = &l->backends[i];

		buf_printf(out, "%s\n        { name = \"%s\"; mark = 0x%08x; "
			   "weight = %u;", i ? "," : "", b->name, b->mark,
			   b->weight);
		if (b->family && inet_ntop(b->family, &b->addr, addr,
					   sizeof(addr)))
			buf_printf(out, " addr = \"%s\";", addr);
		if (b->port)
			buf_printf(out, " port = %u;", b->port);
		buf_puts(out, " }");
	}
	buf_puts(out, " ); };");
}

static void dump_labels(struct buf *out, const uint8_t *labels)
{
	int bit, n = 0;

	buf_puts(out, " label = [");
	for (bit = 0; bit < CT_LABEL_BITS; bit++)
		if (labels[bit / 8] & (1u << (bit % 8)))
			buf_printf(out, "%s %d", n++ ? "," : "", bit);
	buf_puts(out, " ];");
}

void config_dump(const struct config *c, struct buf *out)
{
	char listen[ADDR_PORT_STRLEN];
	size_t i;

	buf_printf(out, "queues = { first = %u; count = %u; maxlen = %u; "
		   "copy_bytes = %u; fail_open = %s; malformed = \"%s\"; };\n",
		   c->queues.first, c->queues.count, c->queues.maxlen,
		   c->queues.copy_bytes, c->queues.fail_open ? "true" : "false",
		   verdict_name(c->queues.malformed));
	buf_printf(out, "marks = { mask = 0x%08x; };\n", c->marks.mask);
	buf_printf(out, "ruleset = { managed = %s; keep_on_exit = %s; };\n",
		   c->ruleset.managed ? "true" : "false",
		   c->ruleset.keep_on_exit ? "true" : "false");
	buf_printf(out, "table = { max_flows = %u; };\n", c->table.max_flows);
	buf_printf(out, "conntrack = { rcvbuf = %u; reliable = %s; "
		   "resync_interval = %u; pending_ttl = %u; };\n",
		   c->conntrack.rcvbuf, c->conntrack.reliable ? "true" : "false",
		   c->conntrack.resync_interval, c->conntrack.pending_ttl);
	buf_puts(out, "zones = (");
	for (i = 0; i < c->n_zones; i++) {
		const struct zone_conf *z = &c->zones[i];

		buf_printf(out, "%s\n  { id = %u;", i ? "," : "", z->id);
		if (z->name[0])
			buf_printf(out, " name = \"%s\";", z->name);
		buf_puts(out, " match = {");
		dump_ifnames(out, "iif", &z->match.iif);
		dump_prefixes(out, "addr", &z->match.addr);
		if (z->match.proto)
			dump_proto(out, z->match.proto);
		dump_ports(out, "port", &z->match.port);
		buf_printf(out, " }; max_flows = %u; on_full = \"%s\"; "
			   "decide_after = %u;", z->max_flows,
			   on_full_name(z->on_full), z->decide_after);
		dump_l7(out, &z->l7);
		buf_puts(out, " }");
	}
	buf_puts(out, c->n_zones ? "\n);\n" : " );\n");
	buf_puts(out, "policy = (");
	for (i = 0; i < c->n_rules; i++) {
		const struct rule_conf *r = &c->rules[i];

		buf_printf(out, "%s\n  { match = {", i ? "," : "");
		if (r->has & RULE_HAS_ZONE)
			buf_printf(out, " zone = %u;", r->match.zone);
		if (r->has & RULE_HAS_FAMILY)
			buf_printf(out, " family = \"%s\";",
				   r->match.family == AF_INET ? "ipv4" : "ipv6");
		if (r->has & RULE_HAS_PROTO)
			dump_proto(out, r->match.proto);
		dump_prefixes(out, "src", &r->match.src);
		dump_prefixes(out, "dst", &r->match.dst);
		dump_ports(out, "sport", &r->match.sport);
		dump_ports(out, "dport", &r->match.dport);
		dump_ifnames(out, "iif", &r->match.iif);
		dump_ifnames(out, "oif", &r->match.oif);
		dump_owner(out, &r->match.owner);
		buf_printf(out, " }; verdict = \"%s\";", verdict_name(r->verdict));
		if (r->has & RULE_HAS_MARK)
			buf_printf(out, " mark = 0x%08x;", r->mark);
		if (r->has & RULE_HAS_LABEL)
			dump_labels(out, r->labels);
		if (r->route)
			buf_printf(out, " route = \"%s\";",
				   r->route == ROUTE_POLICY_PIN ? "pin" : "follow");
		if (r->log)
			buf_puts(out, " log = true;");
		buf_puts(out, " }");
	}
	buf_puts(out, c->n_rules ? "\n);\n" : " );\n");
	buf_printf(out, "routes = { cache = \"%s\"; bloom_expected = %u; "
		   "bloom_fp_rate = %g; bloom_entries = %u; bloom_reseed = %u; "
		   "pin_mask = 0x%08x; pin_reply_mask = 0x%08x; pin_table = "
		   "%u; pin_priority = %u; };\n",
		   route_cache_name(c->routes.cache),
		   c->routes.bloom_expected, c->routes.bloom_fp_rate,
		   c->routes.bloom_entries, c->routes.bloom_reseed,
		   c->routes.pin_mask, c->routes.pin_reply_mask,
		   c->routes.pin_table, c->routes.pin_priority);
	buf_printf(out, "control = { socket = \"%s\";", c->control.socket);
	if (c->control.group)
		buf_printf(out, " group = \"%s\";", c->control.group);
	buf_puts(out, " };\n");
	if (c->metrics.enabled) {
		addr_port_format(&c->metrics.listen, listen, sizeof(listen));
		buf_printf(out, "metrics = { listen = \"%s\"; };\n", listen);
	}
}

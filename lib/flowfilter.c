// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter.h"
#include "flowfmt.h"
#include "hex.h"
#include "proto.h"

/* "0000100a": 1 to SID_MAX_LEN bytes, two hex digits each. */
static int sid_parse(const char *s, struct stream_id *sid)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 || n / 2 > SID_MAX_LEN)
		return -EINVAL;
	memset(sid, 0, sizeof(*sid));
	for (i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		sid->b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	sid->len = (uint8_t)(n / 2);
	return 0;
}

/* --src/--dst: an address or a prefix, host bits clear. */
static int prefix_opt(struct prefix *p, const char *opt, const char *value,
		      struct buf *err)
{
	char fixed[PREFIX_STRLEN];
	unsigned int i, bits;
	int rc = prefix_parse(value, p);

	if (rc == -EDOM) {
		/* say which prefix was probably meant */
		const char *slash = strchr(value, '/');
		char addr[INET6_ADDRSTRLEN];

		memcpy(addr, value, (size_t)(slash - value));
		addr[slash - value] = '\0';
		prefix_parse(addr, p);
		p->len = (uint8_t)strtoul(slash + 1, NULL, 10);
		bits = p->family == AF_INET ? 32 : 128;
		for (i = p->len; i < bits; i++)
			p->addr.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		prefix_format(p, fixed, sizeof(fixed));
		buf_printf(err, "%s %s: bits past the prefix length are set "
			   "(%s?)", opt, value, fixed);
		return -EINVAL;
	}
	if (rc < 0) {
		buf_printf(err, "%s takes an address or a prefix (10.0.0.0/8, "
			   "fd00::/64), not '%s'", opt, value);
		return -EINVAL;
	}
	return 0;
}

int flow_filter_parse(struct flow_filter *ff, const char *opt,
		      const char *value, struct buf *err)
{
	int proto;

	if (!strcmp(opt, "--proto")) {
		proto = proto_parse(value);
		if (proto < 0) {
			buf_printf(err, "--proto takes a protocol name (tcp, "
				   "udp, icmp, ...) or a number 0..255, not "
				   "'%s'", value);
			return -EINVAL;
		}
		ff->proto = (uint8_t)proto;
		ff->has |= FLOW_FILTER_PROTO;
	} else if (!strcmp(opt, "--src")) {
		if (prefix_opt(&ff->src, opt, value, err) < 0)
			return -EINVAL;
		ff->has |= FLOW_FILTER_SRC;
	} else if (!strcmp(opt, "--dst")) {
		if (prefix_opt(&ff->dst, opt, value, err) < 0)
			return -EINVAL;
		ff->has |= FLOW_FILTER_DST;
	} else if (!strcmp(opt, "--port")) {
		if (port_range_parse(value, &ff->port) < 0) {
			buf_printf(err, "--port takes a port 1..65535 or a "
				   "range LOW-HIGH, not '%s'", value);
			return -EINVAL;
		}
		ff->has |= FLOW_FILTER_PORT;
	} else if (!strcmp(opt, "--sid")) {
		if (sid_parse(value, &ff->sid) < 0) {
			buf_printf(err, "--sid takes a stream ID in "
				   "hexadecimal, 1 to %d bytes (as flows shows "
				   "it), not '%s'", SID_MAX_LEN, value);
			return -EINVAL;
		}
		ff->has |= FLOW_FILTER_SID;
	} else if (!strcmp(opt, "--backend")) {
		if (!*value || strlen(value) >= sizeof(ff->backend)) {
			buf_printf(err, "--backend takes a backend's name (at "
				   "most %zu bytes), not '%s'",
				   sizeof(ff->backend) - 1, value);
			return -EINVAL;
		}
		strcpy(ff->backend, value);
		ff->has |= FLOW_FILTER_BACKEND;
	} else {
		return -ENOENT;
	}
	return 0;
}

static bool in_range(const struct port_range *r, uint16_t port)
{
	return port >= r->lo && port <= r->hi;
}

bool flow_filter_match(const struct flow_filter *ff, const struct flow *f,
		       const char *backend)
{
	const struct tuple *t = &f->orig;
	const struct flow_ext *x;
	const struct flow_owner *o;

	if ((ff->has & FLOW_FILTER_ZONE) && t->zone != ff->zone)
		return false;
	if ((ff->has & FLOW_FILTER_PROTO) && t->proto != ff->proto)
		return false;
	if ((ff->has & FLOW_FILTER_SRC) &&
	    !prefix_contains(&ff->src, t->family, &t->src))
		return false;
	if ((ff->has & FLOW_FILTER_DST) &&
	    !prefix_contains(&ff->dst, t->family, &t->dst))
		return false;
	/* ICMP's echo id sits in the ports, but is no port */
	if ((ff->has & FLOW_FILTER_PORT) &&
	    (!proto_has_ports(t->proto) ||
	     (!in_range(&ff->port, t->sport) &&
	      !in_range(&ff->port, t->dport))))
		return false;
	if (ff->has & FLOW_FILTER_UID) {
		o = flow_owner_of(f);
		if (!o || o->uid != ff->uid)
			return false;
	}
	if (ff->has & FLOW_FILTER_SID) {
		x = __atomic_load_n(&f->ext, __ATOMIC_ACQUIRE);
		if (!x || x->sid.len != ff->sid.len ||
		    memcmp(x->sid.b, ff->sid.b, ff->sid.len))
			return false;
	}
	if ((ff->has & FLOW_FILTER_BACKEND) &&
	    (!backend || strcmp(backend, ff->backend)))
		return false;
	return true;
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <sys/socket.h>

#include "flowfmt.h"
#include "proto.h"
#include "streamid.h"

/* TCP_CONNTRACK_* in the order of the kernel's enum */
static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

const char *flow_state(const struct flow *f)
{
	if (!(f->flags & FLOW_CONFIRMED))
		return "PENDING";
	if (f->orig.proto == IPPROTO_TCP &&
	    f->tcp_state < sizeof(tcp_states) / sizeof(tcp_states[0]))
		return tcp_states[f->tcp_state];
	if (f->flags & FLOW_ASSURED)
		return "ASSURED";
	return f->flags & FLOW_SEEN_REPLY ? "REPLIED" : "UNREPLIED";
}

static void addr_text(const struct tuple *t, const union fc_addr *a,
		      char *s, size_t len)
{
	if (!inet_ntop(t->family, a, s, (socklen_t)len))
		s[0] = '\0';
}

static void dir_json(struct json *j, const char *key, const struct tuple *t)
{
	char s[INET6_ADDRSTRLEN];

	json_key(j, key);
	json_obj_begin(j);
	addr_text(t, &t->src, s, sizeof(s));
	json_kv_str(j, "src", s);
	addr_text(t, &t->dst, s, sizeof(s));
	json_kv_str(j, "dst", s);
	json_kv_uint(j, "sport", t->sport);
	json_kv_uint(j, "dport", t->dport);
	json_obj_end(j);
}

static void route_json(struct json *j, const char *key,
		       const struct route_info *r, const char *oif)
{
	char s[INET6_ADDRSTRLEN];

	json_key(j, key);
	if (!r) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "type", route_type_name(r->type));
	json_kv_bool(j, "local", r->type == RTN_LOCAL);
	json_key(j, "oif");
	if (oif)
		json_str(j, oif);
	else if (r->oif)
		json_uint(j, (uint64_t)r->oif);
	else
		json_null(j);
	json_kv_str(j, "gateway", r->has_gateway &&
		    inet_ntop(r->family, &r->gateway, s, sizeof(s)) ? s : NULL);
	json_kv_str(j, "prefsrc", r->has_prefsrc &&
		    inet_ntop(r->family, &r->prefsrc, s, sizeof(s)) ? s : NULL);
	json_kv_uint(j, "table", r->table);
	json_obj_end(j);
}

static void sa_json(struct json *j, const char *key, const struct flow_sa *sa)
{
	static const char *const modes[] = {
		[XFRM_MODE_TRANSPORT] = "transport", [XFRM_MODE_TUNNEL] = "tunnel",
		[XFRM_MODE_ROUTEOPTIMIZATION] = "ro",
		[XFRM_MODE_IN_TRIGGER] = "in_trigger", [XFRM_MODE_BEET] = "beet",
	};
	static const char *const dirs[] = {
		[XFRM_POLICY_IN] = "in", [XFRM_POLICY_OUT] = "out",
		[XFRM_POLICY_FWD] = "fwd",
	};

	json_key(j, key);
	if (!sa->proto) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_uint(j, "spi", sa->spi);
	json_kv_uint(j, "reqid", sa->reqid);
	json_kv_str(j, "proto", sa->proto == IPPROTO_ESP ? "esp" :
		    sa->proto == IPPROTO_AH ? "ah" : "comp");
	json_kv_str(j, "mode", sa->mode < sizeof(modes) / sizeof(modes[0]) &&
		    modes[sa->mode] ? modes[sa->mode] : "other");
	json_kv_str(j, "dir", sa->dir < sizeof(dirs) / sizeof(dirs[0]) &&
		    dirs[sa->dir] ? dirs[sa->dir] : "other");
	json_obj_end(j);
}

/* null, or the SA of each direction (null where that has none) */
static void ipsec_json(struct json *j, const struct flow *f)
{
	const struct flow_ext *x = __atomic_load_n(&f->ext, __ATOMIC_ACQUIRE);

	json_key(j, "ipsec");
	if (!x || (!x->sa[0].proto && !x->sa[1].proto)) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	sa_json(j, "orig", &x->sa[0]);
	sa_json(j, "reply", &x->sa[1]);
	json_obj_end(j);
}

const struct flow_owner *flow_owner_of(const struct flow *f)
{
	const struct flow_ext *x = __atomic_load_n(&f->ext, __ATOMIC_ACQUIRE);

	return x && x->owner.flags ? &x->owner : NULL;
}

static void kv_uint_or_null(struct json *j, const char *key, bool known,
			    uint64_t v)
{
	json_key(j, key);
	if (known)
		json_uint(j, v);
	else
		json_null(j);
}

static void kv_str_or_null(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s)
		json_str(j, s);
	else
		json_null(j);
}

/* f's stream ID in hex, "" when it has none */
static void sid_hex(const struct flow *f, char hex[2 * SID_MAX_LEN + 1])
{
	const struct flow_ext *x = __atomic_load_n(&f->ext, __ATOMIC_ACQUIRE);

	hex[0] = '\0';
	if (x && x->sid.len)
		streamid_hex(&x->sid, hex);
}

static void owner_json(struct json *j, const struct flow *f,
		       const struct flow_extra *x)
{
	const struct flow_owner *o = flow_owner_of(f);
	bool sock;

	json_key(j, "owner");
	if (!o) {
		json_null(j);
		return;
	}
	sock = o->flags & FLOW_OWNER_SOCKET;
	json_obj_begin(j);
	json_kv_uint(j, "uid", o->uid);
	kv_str_or_null(j, "user", x->user);
	kv_uint_or_null(j, "gid", o->flags & FLOW_OWNER_GID, o->gid);
	kv_uint_or_null(j, "pid", o->pid, o->pid);
	kv_str_or_null(j, "comm", o->pid ? o->comm : NULL);
	kv_str_or_null(j, "cgroup", x->cgroup);
	kv_uint_or_null(j, "cgroup_id", o->cgroup, o->cgroup);
	kv_uint_or_null(j, "inode", sock, o->inode);
	kv_uint_or_null(j, "cookie", sock, o->cookie);
	json_kv_bool(j, "listener", o->flags & FLOW_OWNER_LISTENER);
	json_obj_end(j);
}

void flow_json(struct json *j, const struct flow *f,
	       const struct flow_extra *x)
{
	char hex[2 * SID_MAX_LEN + 1];
	const char *name = proto_name(f->orig.proto);
	struct tuple reply;

	flow_reply(f, &reply);
	json_obj_begin(j);
	json_kv_uint(j, "zone", f->orig.zone);
	json_kv_str(j, "family", f->orig.family == AF_INET ? "ipv4" : "ipv6");
	json_key(j, "proto");
	if (name)
		json_str(j, name);
	else
		json_uint(j, f->orig.proto);
	dir_json(j, "orig", &f->orig);
	dir_json(j, "reply", &reply);
	json_kv_uint(j, "ct_id", f->ct_id);
	json_kv_uint(j, "mark", f->mark);
	json_kv_str(j, "state", flow_state(f));
	json_kv_bool(j, "decided", f->flags & FLOW_DECIDED);
	json_kv_bool(j, "nat", f->flags & FLOW_NAT);
	/* no event seen yet: such an entry may end without one */
	json_kv_bool(j, "from_dump", f->flags & FLOW_FROM_DUMP);
	json_key(j, "route");
	if (x->route[0] || x->route[1]) {
		json_obj_begin(j);
		route_json(j, "orig", x->route[0], x->oif[0]);
		route_json(j, "reply", x->route[1], x->oif[1]);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	ipsec_json(j, f);
	owner_json(j, f, x);
	sid_hex(f, hex);
	kv_str_or_null(j, "sid", hex[0] ? hex : NULL);
	kv_str_or_null(j, "backend", x->backend);
	json_kv_uint(j, "queued_packets", f->queued_packets);
	json_obj_end(j);
}

static void dir_text(struct buf *out, const struct tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	addr_text(t, &t->src, s, sizeof(s));
	addr_text(t, &t->dst, d, sizeof(d));
	if (t->family == AF_INET6)
		buf_printf(out, "[%s]:%u -> [%s]:%u", s, t->sport, d, t->dport);
	else
		buf_printf(out, "%s:%u -> %s:%u", s, t->sport, d, t->dport);
}

static void route_text(struct buf *out, const char *dir,
		       const struct route_info *r, const char *oif)
{
	char s[INET6_ADDRSTRLEN];

	if (!r)
		return;
	buf_printf(out, " %s ", dir);
	if (r->type != RTN_UNICAST)
		buf_printf(out, "%s ", route_type_name(r->type));
	if (oif)
		buf_printf(out, "dev %s ", oif);
	if (r->has_gateway && inet_ntop(r->family, &r->gateway, s, sizeof(s)))
		buf_printf(out, "via %s ", s);
	buf_printf(out, "table %u", r->table);
}

static void owner_text(struct buf *out, const struct flow *f,
		       const struct flow_extra *x)
{
	const struct flow_owner *o = flow_owner_of(f);

	if (!o)
		return;
	if (x->user)
		buf_printf(out, " owner %s", x->user);
	else
		buf_printf(out, " owner uid %u", o->uid);
	if (o->pid)
		buf_printf(out, " pid %u comm %s", o->pid, o->comm);
	if (o->flags & FLOW_OWNER_SOCKET)
		buf_printf(out, " inode %u", o->inode);
	if (x->cgroup)
		buf_printf(out, " cgroup %s", x->cgroup);
	if (o->flags & FLOW_OWNER_LISTENER)
		buf_puts(out, " listener");
}

void flow_text(struct buf *out, const struct flow *f,
	       const struct flow_extra *x)
{
	char hex[2 * SID_MAX_LEN + 1];
	const char *name = proto_name(f->orig.proto);
	struct tuple reply;

	flow_reply(f, &reply);
	buf_printf(out, "zone %u ", f->orig.zone);
	if (name)
		buf_printf(out, "%s ", name);
	else
		buf_printf(out, "proto %u ", f->orig.proto);
	dir_text(out, &f->orig);
	buf_puts(out, " reply ");
	dir_text(out, &reply);
	buf_printf(out, " %s mark 0x%08x id %u queued %u%s", flow_state(f),
		   f->mark, f->ct_id, f->queued_packets,
		   f->flags & FLOW_DECIDED ? " decided" : "");
	route_text(out, "route", x->route[0], x->oif[0]);
	route_text(out, "reply route", x->route[1], x->oif[1]);
	owner_text(out, f, x);
	sid_hex(f, hex);
	if (hex[0])
		buf_printf(out, " sid %s backend %s", hex,
			   x->backend ? x->backend : "-");
	buf_putc(out, '\n');
}

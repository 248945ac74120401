// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <string.h>
#include <sys/socket.h>

#include "flowfmt.h"
#include "flowname.h"
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

/* as flow_name() writes the original direction */
static void dir_text(struct buf *out, const struct tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	addr_text(t, &t->src, s, sizeof(s));
	addr_text(t, &t->dst, d, sizeof(d));
	if (!proto_has_ports(t->proto))
		buf_printf(out, "%s -> %s", s, d);
	else if (t->family == AF_INET6)
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
	char hex[2 * SID_MAX_LEN + 1], name[FLOW_NAME_MAX];
	struct tuple reply;

	flow_reply(f, &reply);
	/* named as the logs name it, so that a grep finds both */
	buf_puts(out, flow_name(&f->orig, name, sizeof(name)));
	buf_puts(out, " reply ");
	dir_text(out, &reply);
	buf_printf(out, " %s mark 0x%08x id %u queued %u%s", flow_state(f),
		   f->mark, f->ct_id, f->queued_packets,
		   f->flags & FLOW_DECIDED ? " decided" : "");
	route_text(out, "route", x->route[0], x->oif[0]);
	route_text(out, "reply route", x->route[1], x->oif[1]);
	owner_text(out, f, x);
	sid_hex(f, hex);
	if (hex[0] || x->backend)
		buf_printf(out, " sid %s backend %s", hex[0] ? hex : "-",
			   x->backend ? x->backend : "-");
	buf_putc(out, '\n');
}

/* --- the table ------------------------------------------------------- */

static const char *const col_heads[FLOW_COLS] = {
	[FLOW_COL_ZONE] = "ZONE", [FLOW_COL_PROTO] = "PROTO",
	[FLOW_COL_SRC] = "SOURCE", [FLOW_COL_DST] = "DESTINATION",
	[FLOW_COL_STATE] = "STATE", [FLOW_COL_MARK] = "MARK",
	[FLOW_COL_ROUTE] = "ROUTE", [FLOW_COL_OWNER] = "OWNER",
	[FLOW_COL_SID] = "SID",
};

/* How narrow a column may get when the table must fit; 0: it may not
 * shrink. An IPv4 address with a port fits in 17 most of the time. */
static const size_t col_min[FLOW_COLS] = {
	[FLOW_COL_SRC] = 17, [FLOW_COL_DST] = 17, [FLOW_COL_ROUTE] = 6,
	[FLOW_COL_OWNER] = 6, [FLOW_COL_SID] = 8,
};

/* End the cell begun at start: control bytes out, then its NUL. */
static void cell_end(struct buf *row, size_t start)
{
	size_t i;

	if (row->failed)
		return;
	for (i = start; i < row->len; i++)
		if ((unsigned char)row->data[i] < 0x20 || row->data[i] == 0x7f)
			row->data[i] = '?';
	buf_putc(row, '\0');
}

static void addr_cell(struct buf *row, const struct tuple *t,
		      const union fc_addr *a, uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	addr_text(t, a, s, sizeof(s));
	if (!proto_has_ports(t->proto))
		buf_puts(row, s);
	else if (t->family == AF_INET6)
		buf_printf(row, "[%s]:%u", s, port);
	else
		buf_printf(row, "%s:%u", s, port);
}

static void route_cell(struct buf *row, const struct route_info *r,
		       const char *oif)
{
	char s[INET6_ADDRSTRLEN];

	if (!r) {
		buf_putc(row, '-');
		return;
	}
	if (r->type != RTN_UNICAST) {
		buf_puts(row, route_type_name(r->type));
		return;
	}
	if (oif)
		buf_puts(row, oif);
	else
		buf_printf(row, "if%u", r->oif);
	if (r->has_gateway && inet_ntop(r->family, &r->gateway, s, sizeof(s)))
		buf_printf(row, " via %s", s);
}

static void owner_cell(struct buf *row, const struct flow *f,
		       const struct flow_extra *x)
{
	const struct flow_owner *o = flow_owner_of(f);

	if (!o) {
		buf_putc(row, '-');
		return;
	}
	if (x->user)
		buf_puts(row, x->user);
	else
		buf_printf(row, "%u", o->uid);
	if (o->pid)
		buf_printf(row, "/%s[%u]", o->comm, o->pid);
}

void flow_cells(struct buf *row, const struct flow *f,
		const struct flow_extra *x)
{
	char hex[2 * SID_MAX_LEN + 1];
	const char *name = proto_name(f->orig.proto);
	struct tuple reply;
	size_t start = row->len;

	flow_reply(f, &reply);
	buf_printf(row, "%u", f->orig.zone);
	cell_end(row, start);
	start = row->len;
	if (name)
		buf_puts(row, name);
	else
		buf_printf(row, "%u", f->orig.proto);
	cell_end(row, start);
	start = row->len;
	addr_cell(row, &f->orig, &f->orig.src, f->orig.sport);
	cell_end(row, start);
	start = row->len;
	addr_cell(row, &f->orig, &f->orig.dst, f->orig.dport);
	cell_end(row, start);
	start = row->len;
	buf_puts(row, flow_state(f));
	cell_end(row, start);
	start = row->len;
	buf_printf(row, "0x%x", f->mark);
	cell_end(row, start);
	start = row->len;
	route_cell(row, x->route[0], x->oif[0]);
	cell_end(row, start);
	start = row->len;
	owner_cell(row, f, x);
	cell_end(row, start);
	start = row->len;
	sid_hex(f, hex);
	if (x->backend)
		buf_printf(row, "%s/%s", hex[0] ? hex : "?", x->backend);
	else
		buf_puts(row, hex[0] ? hex : "-");
	cell_end(row, start);
}

static bool utf8_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Characters in s[0..n). */
static size_t text_width(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += !utf8_cont(s[i]);
	return w;
}

/* Offset of the k-th character of s (its length past the last). */
static size_t char_offset(const char *s, size_t k)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!utf8_cont(s[i]) && k-- == 0)
			break;
	return i;
}

void flow_rows_add(struct flow_rows *t, const char *cells, size_t len)
{
	const char *p = cells, *end = cells + len;
	size_t w, l;
	int c;

	for (c = 0; c < FLOW_COLS && p < end; c++) {
		l = strnlen(p, (size_t)(end - p));
		w = text_width(p, l);
		if (w > t->width[c])
			t->width[c] = w;
		if (strcmp(p, "-"))
			t->said[c]++;
		p += l + 1;
	}
	/* a failed buffer stays failed: n counts whole rows only */
	if (buf_append(&t->cells, cells, len) == 0)
		t->n++;
}

/*
 * s (w characters) in a column of width cw: padded unless it is the
 * line's last, or cut with a '~' where characters went.
 */
static void put_cell(struct buf *out, const char *s, size_t w, size_t cw,
		     bool middle, bool last)
{
	size_t head, tail;

	if (w <= cw) {
		buf_puts(out, s);
		if (!last)
			buf_printf(out, "%*s", (int)(cw - w), "");
		return;
	}
	if (cw == 0)
		return;
	head = middle ? (cw - 1) / 2 : cw - 1;
	tail = cw - 1 - head;
	buf_append(out, s, char_offset(s, head));
	buf_putc(out, '~');
	buf_puts(out, s + char_offset(s, w - tail));
}

/* Cut the line begun at start to width characters. */
static void line_cut(struct buf *out, size_t start, size_t width)
{
	size_t i, w = 0;

	if (out->failed)
		return;
	for (i = start; i < out->len; i++) {
		if (utf8_cont(out->data[i]))
			continue;
		if (w++ == width) {
			out->len = i;
			out->data[i] = '\0';
			return;
		}
	}
}

/* A line's width with the columns shown at widths w; narrowest: with
 * each as narrow as it may get. */
static size_t line_width(const size_t w[FLOW_COLS],
			 const bool show[FLOW_COLS], bool narrowest)
{
	size_t total = 0, cw;
	int c, n = 0;

	for (c = 0; c < FLOW_COLS; c++) {
		if (!show[c])
			continue;
		cw = narrowest && col_min[c] && col_min[c] < w[c] ?
		     col_min[c] : w[c];
		total += cw + (n++ > 0);
	}
	return total;
}

/* Column widths and which columns show, for a table width (0: any). */
static void layout(const struct flow_rows *t, unsigned int width,
		   size_t w[FLOW_COLS], bool show[FLOW_COLS])
{
	size_t total, widest;
	int c, pick;

	for (c = 0; c < FLOW_COLS; c++) {
		w[c] = strlen(col_heads[c]);
		if (t->width[c] > w[c])
			w[c] = t->width[c];
		show[c] = true;
	}
	if (!width || line_width(w, show, false) <= width)
		return;
	/* what says nothing goes first, then what says the least */
	for (c = FLOW_COL_ROUTE; c <= FLOW_COL_SID; c++)
		if (t->n && !t->said[c])
			show[c] = false;
	while (line_width(w, show, true) > width) {
		pick = -1;
		for (c = FLOW_COL_ROUTE; c <= FLOW_COL_SID; c++)
			if (show[c] &&
			    (pick < 0 || t->said[c] <= t->said[pick]))
				pick = c;
		if (pick < 0)
			break;
		show[pick] = false;
	}
	/* the widest give way first */
	for (total = line_width(w, show, false); total > width; total--) {
		pick = -1;
		widest = 0;
		for (c = 0; c < FLOW_COLS; c++) {
			if (show[c] && col_min[c] && w[c] > col_min[c] &&
			    w[c] > widest) {
				widest = w[c];
				pick = c;
			}
		}
		if (pick < 0)
			break;
		w[pick]--;
	}
}

void flow_rows_render(const struct flow_rows *t, unsigned int width,
		      struct buf *out)
{
	const char *p = t->cells.data, *cell[FLOW_COLS];
	size_t w[FLOW_COLS], r, start;
	bool show[FLOW_COLS], first;
	int c, last = 0;

	layout(t, width, w, show);
	for (c = 0; c < FLOW_COLS; c++)
		if (show[c])
			last = c;
	for (r = 0; r <= t->n; r++) {
		for (c = 0; c < FLOW_COLS; c++) {
			if (r == 0) {
				cell[c] = col_heads[c];
			} else {
				cell[c] = p;
				p += strlen(p) + 1;
			}
		}
		start = out->len;
		first = true;
		for (c = 0; c < FLOW_COLS; c++) {
			if (!show[c])
				continue;
			if (!first)
				buf_putc(out, ' ');
			first = false;
			put_cell(out, cell[c],
				 text_width(cell[c], strlen(cell[c])), w[c],
				 c == FLOW_COL_SRC || c == FLOW_COL_DST,
				 c == last);
		}
		if (width)
			line_cut(out, start, width);
		buf_putc(out, '\n');
	}
}

void flow_rows_free(struct flow_rows *t)
{
	buf_free(&t->cells);
	*t = (struct flow_rows)FLOW_ROWS_INIT;
}

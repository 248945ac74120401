// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What each control command does. control.c owns the socket; this file
 * owns the meaning of the words. Every command renders both forms, text
 * for people and JSON (one document) for scripts, from the same data.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <pwd.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <urcu/system.h>

#include "control.h"
#include "ctsync.h"
#include "fcd.h"
#include "flowfilter.h"
#include "flowfmt.h"
#include "fib.h"
#include "flowtable.h"
#include "json.h"
#include "log.h"
#include "l7.h"
#include "owner.h"
#include "proto.h"
#include "pin.h"
#include "queue.h"
#include "route.h"
#include "routeset.h"
#include "rtsync.h"
#include "ruleset.h"
#include "topn.h"

struct cmd {
	const char *name;
	enum ctl_code (*run)(struct fcd *fcd, bool json, int argc,
			     char *argv[], struct buf *out, struct buf *msg);
};

static void status_json(struct fcd *fcd, struct buf *out, uint64_t up)
{
	const struct config *cfg = fcd->cfg;
	unsigned int clients;
	uint64_t rejected;
	struct json j;

	control_stats(fcd->control, &clients, &rejected);
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_str(&j, "version", PACKAGE_VERSION);
	json_kv_int(&j, "pid", getpid());
	json_kv_uint(&j, "uptime_s", up);
	json_key(&j, "config");
	json_obj_begin(&j);
	json_kv_str(&j, "file", cfg->file);
	json_kv_int(&j, "loaded_at", (int64_t)fcd->loaded_at);
	json_kv_uint(&j, "zones", cfg->n_zones);
	json_kv_uint(&j, "policy_rules", cfg->n_rules);
	json_obj_end(&j);
	json_key(&j, "reloads");
	json_obj_begin(&j);
	json_kv_uint(&j, "ok", fcd->reload.ok);
	json_kv_uint(&j, "failed", fcd->reload.failed);
	json_kv_str(&j, "last_error", fcd->reload.last_error[0] ?
		    fcd->reload.last_error : NULL);
	json_obj_end(&j);
	json_key(&j, "queues");
	json_obj_begin(&j);
	json_kv_uint(&j, "first", cfg->queues.first);
	json_kv_uint(&j, "count", cfg->queues.count);
	json_obj_end(&j);
	json_key(&j, "ruleset");
	json_obj_begin(&j);
	json_kv_bool(&j, "managed", cfg->ruleset.managed);
	json_kv_bool(&j, "installed", fcd->ruleset != NULL);
	json_kv_str(&j, "queue_backend", fcd->ruleset ?
		    ruleset_queue_backend(fcd->ruleset) : NULL);
	json_kv_bool(&j, "keep_on_exit", cfg->ruleset.keep_on_exit);
	json_obj_end(&j);
	json_key(&j, "control");
	json_obj_begin(&j);
	json_kv_uint(&j, "clients", clients);
	json_kv_uint(&j, "rejected", rejected);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_putc(out, '\n');
}

static void status_text(struct fcd *fcd, struct buf *out, uint64_t up)
{
	const struct config *cfg = fcd->cfg;
	char when[32] = "?";
	struct tm tm;

	if (localtime_r(&fcd->loaded_at, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	buf_printf(out, "flowcached %s, pid %d, up %llus\n", PACKAGE_VERSION,
		   (int)getpid(), (unsigned long long)up);
	buf_printf(out, "config:   %s (loaded %s)\n", cfg->file, when);
	buf_printf(out, "reloads:  %llu ok, %llu failed\n",
		   (unsigned long long)fcd->reload.ok,
		   (unsigned long long)fcd->reload.failed);
	if (fcd->reload.last_error[0])
		buf_printf(out, "last reload error: %s\n",
			   fcd->reload.last_error);
	buf_printf(out, "zones:    %zu\n", cfg->n_zones);
	buf_printf(out, "policy:   %zu rules\n", cfg->n_rules);
	buf_printf(out, "queues:   %u-%u\n", cfg->queues.first,
		   cfg->queues.first + cfg->queues.count - 1);
	if (fcd->ruleset)
		buf_printf(out, "ruleset:  managed, tables ip/ip6 %s, %s\n",
			   RULESET_TABLE, ruleset_queue_backend(fcd->ruleset));
	else
		buf_puts(out, "ruleset:  external (conf/flowcached.nft)\n");
}

static enum ctl_code cmd_status(struct fcd *fcd, bool json, int argc,
				char *argv[], struct buf *out, struct buf *msg)
{
	uint64_t up = (loop_now() - fcd->started) / 1000000000ull;

	if (argc > 1) {
		buf_printf(msg, "status: unexpected argument '%s'", argv[1]);
		return CTL_USAGE;
	}
	if (json)
		status_json(fcd, out, up);
	else
		status_text(fcd, out, up);
	return CTL_OK;
}

static enum ctl_code cmd_reload(struct fcd *fcd, bool json, int argc,
				char *argv[], struct buf *out, struct buf *msg)
{
	struct buf errors = BUF_INIT;
	enum ctl_code code = CTL_OK;
	struct json j;

	if (argc > 1) {
		buf_printf(msg, "reload: unexpected argument '%s'", argv[1]);
		return CTL_USAGE;
	}
	if (fcd_reload(fcd, &errors) < 0) {
		code = CTL_ERROR;
		buf_puts(msg, "reload failed, the running configuration stays");
	}
	if (json) {
		json_init(&j, out);
		json_obj_begin(&j);
		json_kv_bool(&j, "reloaded", code == CTL_OK);
		json_kv_str(&j, "file", fcd->config_path);
		json_kv_str(&j, "errors", errors.len ? errors.data : NULL);
		json_obj_end(&j);
		buf_putc(out, '\n');
	} else if (errors.len) {
		buf_append(out, errors.data, errors.len);
	} else {
		buf_printf(out, "reloaded %s\n", fcd->config_path);
	}
	buf_free(&errors);
	return code;
}

static void table_stats(struct fcd *fcd, struct ft_stats *t)
{
	ft_get_stats(fcd->ft, t);
	/* the main thread is the one that frees: no read lock needed */
	ft_chain_stats(fcd->ft, t);
}

static void table_text(struct fcd *fcd, struct buf *out)
{
	struct ft_stats t;
	int k;

	table_stats(fcd, &t);
	buf_printf(out, "table: flows %llu, buckets %llu, load %.3f, longest "
		   "chain %u%s\n", (unsigned long long)t.flows,
		   (unsigned long long)t.buckets, t.load, t.longest_chain,
		   t.resizing ? ", resizing" : "");
	buf_puts(out, "  keys by buckets past their first:");
	for (k = 0; k < FT_CHAIN_HIST; k++)
		buf_printf(out, " %d%s:%llu", k, k == FT_CHAIN_HIST - 1 ? "+" : "",
			   (unsigned long long)t.chains[k]);
	buf_printf(out, "\n  inserts %llu, deletes %llu, dropped %llu, "
		   "evicted %llu, swept %llu, pending expired %llu\n",
		   (unsigned long long)t.inserts, (unsigned long long)t.deletes,
		   (unsigned long long)t.dropped, (unsigned long long)t.evicted,
		   (unsigned long long)t.swept,
		   (unsigned long long)t.pending_expired);
	buf_printf(out, "  resizes: grows %llu, shrinks %llu, rehashes %llu, "
		   "entries moved %llu; probe cap hits %llu, evictions not "
		   "sent %llu\n", (unsigned long long)t.grows,
		   (unsigned long long)t.shrinks,
		   (unsigned long long)t.rehashes,
		   (unsigned long long)t.resize_moves,
		   (unsigned long long)t.chain_too_long,
		   (unsigned long long)t.victims_lost);
}

static void table_json(struct fcd *fcd, struct json *j)
{
	struct ft_stats t;
	int k;

	table_stats(fcd, &t);
	json_kv_uint(j, "flows", t.flows);
	json_kv_uint(j, "buckets", t.buckets);
	json_key(j, "load");
	json_fixed(j, t.load, 4);
	json_kv_uint(j, "longest_chain", t.longest_chain);
	json_key(j, "chains");
	json_arr_begin(j);
	for (k = 0; k < FT_CHAIN_HIST; k++)
		json_uint(j, t.chains[k]);
	json_arr_end(j);
	json_kv_uint(j, "inserts", t.inserts);
	json_kv_uint(j, "deletes", t.deletes);
	json_kv_uint(j, "dropped", t.dropped);
	json_kv_uint(j, "evicted", t.evicted);
	json_kv_uint(j, "grows", t.grows);
	json_kv_uint(j, "shrinks", t.shrinks);
	json_kv_uint(j, "rehashes", t.rehashes);
	json_kv_uint(j, "resize_moves", t.resize_moves);
	json_kv_bool(j, "resizing", t.resizing);
	json_kv_uint(j, "chain_too_long", t.chain_too_long);
	json_kv_uint(j, "victims_lost", t.victims_lost);
	json_kv_uint(j, "pending_expired", t.pending_expired);
	json_kv_uint(j, "swept", t.swept);
}

static void conntrack_text(struct fcd *fcd, struct buf *out)
{
	struct ctsync_stats c;

	ctsync_get_stats(fcd->ctsync, &c);
	buf_printf(out, "conntrack: events %llu (new %llu, update %llu, "
		   "destroy %llu), lost %llu (enobufs %llu), resyncs %llu\n",
		   (unsigned long long)c.events, (unsigned long long)c.new,
		   (unsigned long long)c.update, (unsigned long long)c.destroy,
		   (unsigned long long)c.lost, (unsigned long long)c.enobufs,
		   (unsigned long long)c.resyncs);
	buf_printf(out, "  dumps %llu (last %llu entries in %llu ms; first "
		   "sync %llu ms), swept %llu, errors %llu, no memory %llu\n",
		   (unsigned long long)c.dumps,
		   (unsigned long long)c.dump_entries,
		   (unsigned long long)c.last_dump_ms,
		   (unsigned long long)c.sync_ms, (unsigned long long)c.swept,
		   (unsigned long long)c.errors,
		   (unsigned long long)c.no_memory);
	buf_printf(out, "  evicted entries deleted %llu, delete errors %llu\n",
		   (unsigned long long)c.deleted,
		   (unsigned long long)c.delete_errors);
}

static void stats_text(struct fcd *fcd, struct buf *out)
{
	const struct config *cfg = fcd->cfg;
	struct queue_stats st;
	int k, shown = 0;

	queue_stats_sum(fcd->queues, &st);
	buf_printf(out, "queues %u-%u: packets %llu, accepted %llu, "
		   "dropped %llu, decided %llu\n", cfg->queues.first,
		   cfg->queues.first + cfg->queues.count - 1,
		   (unsigned long long)st.packets,
		   (unsigned long long)st.accepted,
		   (unsigned long long)st.dropped,
		   (unsigned long long)st.decided);
	buf_printf(out, "  malformed %llu", (unsigned long long)st.malformed);
	for (k = 1; k < PKT_ERR__MAX; k++) {
		if (!st.bad[k])
			continue;
		buf_printf(out, "%s %s %llu", shown++ ? "," : ":",
			   pkt_err_name(k), (unsigned long long)st.bad[k]);
	}
	buf_printf(out, "\n  lost: enobufs %llu, id_gaps %llu, "
		   "recv_truncated %llu, no_payload %llu\n",
		   (unsigned long long)st.enobufs,
		   (unsigned long long)st.id_gaps,
		   (unsigned long long)st.recv_truncated,
		   (unsigned long long)st.no_payload);
	buf_printf(out, "  verdicts: sendmsg %llu, batch verdicts %llu, "
		   "errors %llu\n", (unsigned long long)st.verdict_batches,
		   (unsigned long long)st.batch_verdicts,
		   (unsigned long long)st.verdict_errors);
	buf_puts(out, "  kernel features:");
	for (k = 0; k < QF__MAX; k++)
		buf_printf(out, " %s %s", queue_feature_name(k),
			   queue_has_feature(fcd->queues, k) ? "yes" : "no");
	buf_printf(out, "\n  new flows: dropped (table full) %llu, already "
		   "decided %llu, not cached %llu\n",
		   (unsigned long long)st.table_full,
		   (unsigned long long)st.already_decided,
		   (unsigned long long)st.not_cached);
	table_text(fcd, out);
	conntrack_text(fcd, out);
	owner_cache_text(fcd->owners, out);
	l7_text(fcd->l7, out);
}

static enum ctl_code cmd_stats(struct fcd *fcd, bool json, int argc,
			       char *argv[], struct buf *out, struct buf *msg)
{
	struct json j;

	if (argc > 1) {
		buf_printf(msg, "stats: unexpected argument '%s'", argv[1]);
		return CTL_USAGE;
	}
	if (!json) {
		stats_text(fcd, out);
		return CTL_OK;
	}
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "queues");
	json_obj_begin(&j);
	queue_stats_json(fcd->queues, &j);
	json_obj_end(&j);
	json_key(&j, "table");
	json_obj_begin(&j);
	table_json(fcd, &j);
	json_obj_end(&j);
	json_key(&j, "conntrack");
	json_obj_begin(&j);
	ctsync_stats_json(fcd->ctsync, &j);
	json_obj_end(&j);
	json_key(&j, "owners");
	json_obj_begin(&j);
	owner_cache_json(fcd->owners, &j);
	json_obj_end(&j);
	json_key(&j, "l7");
	json_obj_begin(&j);
	l7_json(fcd->l7, &j);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_putc(out, '\n');
	return CTL_OK;
}

/* "--zone N": 0..65535 */
static int parse_zone(const char *s, int *zone)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return -1;
	*zone = (int)v;
	return 0;
}

/* "--user NAME" (or a uid) */
static int parse_user(const char *s, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024], *end;
	unsigned long v;

	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) == 0 && res) {
		*uid = (uint32_t)res->pw_uid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX - 1)
		return -1;
	*uid = (uint32_t)v;
	return 0;
}

/* --- flows ---------------------------------------------------------- */

enum flows_form { FLOWS_TABLE, FLOWS_LONG, FLOWS_JSON };
enum flows_sort { FLOWS_UNSORTED, FLOWS_BY_AGE, FLOWS_BY_QUEUED };

struct flows_walk {
	struct fcd *fcd;
	struct flow_filter ff;
	enum flows_form form;
	enum flows_sort sort;
	uint64_t limit;		/* 0: all */
	unsigned int width;	/* the table's, 0: any */
	uint16_t now;		/* the table's clock, for ages */
	struct buf row;		/* the flow being rendered */
	struct topn top;	/* the flows kept, when sorted */
	struct json j;		/* FLOWS_JSON: into out */
	struct flow_rows rows;	/* FLOWS_TABLE */
	struct buf *out;
	uint64_t matched, shown;
	bool failed;		/* out of memory */
	/* the last owner's names: flows of one user come in runs */
	uint32_t name_uid;
	bool have_name;
	char name[64];
	char cgroup[256];
};

/* uid's login name; NULL when it has none */
static const char *user_name(struct flows_walk *w, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (!w->have_name || w->name_uid != uid) {
		w->name[0] = '\0';
		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(w->name, sizeof(w->name), "%s", res->pw_name);
		w->name_uid = uid;
		w->have_name = true;
	}
	return w->name[0] ? w->name : NULL;
}

static void flow_extra_of(struct flows_walk *w, struct flow *f,
			  const struct l7_backend *be, struct flow_extra *x)
{
	const struct flow_owner *o = flow_owner_of(f);
	int d;

	x->user = o ? user_name(w, o->uid) : NULL;
	/* the table has no cgroup column */
	x->cgroup = o && w->form != FLOWS_TABLE &&
		    owner_cgroup_path(w->fcd->owners, o, w->cgroup,
				      sizeof(w->cgroup)) ? w->cgroup : NULL;
	x->backend = be ? be->name : NULL;
	for (d = 0; d < 2; d++) {
		x->route[d] = route_cache_get(w->fcd->routes,
					     CMM_LOAD_SHARED(f->route[d]));
		x->oif[d] = x->route[d] && x->route[d]->oif ?
			    rtsync_ifname(w->fcd->rtsync, x->route[d]->oif) :
			    NULL;
	}
}

/* A rendered flow into the answer. */
static void flows_emit(struct flows_walk *w, const struct buf *row)
{
	switch (w->form) {
	case FLOWS_JSON:
		json_raw(&w->j, row->data, row->len);
		break;
	case FLOWS_LONG:
		buf_append(w->out, row->data, row->len);
		break;
	case FLOWS_TABLE:
		flow_rows_add(&w->rows, row->data, row->len);
		break;
	}
	w->shown++;
}

static bool show_flow(struct flow *f, void *arg)
{
	struct flows_walk *w = arg;
	const struct l7_backend *be;
	struct flow_extra x;
	struct json j;
	uint64_t key = 0;

	/* a backend's mark is its own (config.c): flows the kernel's sid
	 * map decided, whose sid the daemon never saw, have it too */
	be = l7_backend_of(w->fcd->cfg, f->orig.zone, f->mark);
	if (!flow_filter_match(&w->ff, f, be ? be->name : NULL))
		return true;
	w->matched++;
	/* past the limit only counted; a flow that cannot make the top
	 * costs no rendering */
	if (w->sort == FLOWS_UNSORTED && w->limit && w->shown == w->limit)
		return true;
	if (w->sort != FLOWS_UNSORTED) {
		key = w->sort == FLOWS_BY_QUEUED ? f->queued_packets :
		      (uint16_t)(w->now - f->born);
		if (!topn_wants(&w->top, key))
			return true;
	}
	flow_extra_of(w, f, be, &x);
	buf_reset(&w->row);
	switch (w->form) {
	case FLOWS_JSON:
		json_init(&j, &w->row);
		flow_json(&j, f, &x);
		break;
	case FLOWS_LONG:
		flow_text(&w->row, f, &x);
		break;
	case FLOWS_TABLE:
		flow_cells(&w->row, f, &x);
		break;
	}
	if (w->row.failed || (w->sort != FLOWS_UNSORTED &&
			      topn_add(&w->top, key, &w->row) < 0)) {
		w->failed = true;
		return false;
	}
	if (w->sort == FLOWS_UNSORTED)
		flows_emit(w, &w->row);
	return true;
}

/* "--limit N": 1..2^32-1; "--width N": 0..65535 */
static int parse_count(const char *s, unsigned long min, unsigned long max,
		       unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *v < min || *v > max ?
	       -1 : 0;
}

#define FLOWS_USAGE "flows [--zone N] [--proto P] [--src ADDR[/LEN]] " \
	"[--dst ADDR[/LEN]] [--port N[-M]] [--user NAME] [--sid HEX] " \
	"[--backend NAME] [--sort age|queued] [--limit N] [--long] [--width N]"

/* The options of flows that take a value. */
static const char *const flows_value_opts[] = {
	"--zone", "--proto", "--src", "--dst", "--port", "--user", "--sid",
	"--backend", "--sort", "--limit", "--width", NULL
};

static enum ctl_code flows_options(struct flows_walk *w, int argc,
				   char *argv[], struct buf *msg)
{
	const char *const *o;
	unsigned long v;
	int k, zone;

	for (k = 1; k < argc; k++) {
		const char *opt = argv[k], *val;

		if (!strcmp(opt, "-l") || !strcmp(opt, "--long")) {
			if (w->form == FLOWS_JSON) {
				buf_puts(msg, "flows: --long and --json are "
					 "two forms, choose one");
				return CTL_USAGE;
			}
			w->form = FLOWS_LONG;
			continue;
		}
		for (o = flows_value_opts; *o && strcmp(*o, opt); o++)
			;
		if (!*o) {
			buf_printf(msg, "flows: unexpected argument '%s' ("
				   FLOWS_USAGE ")", opt);
			return CTL_USAGE;
		}
		if (k + 1 == argc) {
			buf_printf(msg, "flows: %s needs a value", opt);
			return CTL_USAGE;
		}
		val = argv[++k];
		if (!strcmp(opt, "--zone")) {
			if (parse_zone(val, &zone) < 0) {
				buf_printf(msg, "flows: --zone takes a zone "
					   "number 0..65535, not '%s'", val);
				return CTL_USAGE;
			}
			w->ff.zone = (uint16_t)zone;
			w->ff.has |= FLOW_FILTER_ZONE;
		} else if (!strcmp(opt, "--user")) {
			if (parse_user(val, &w->ff.uid) < 0) {
				buf_printf(msg, "flows: --user: no such user "
					   "'%s'", val);
				return CTL_USAGE;
			}
			w->ff.has |= FLOW_FILTER_UID;
		} else if (!strcmp(opt, "--sort")) {
			if (!strcmp(val, "age")) {
				w->sort = FLOWS_BY_AGE;
			} else if (!strcmp(val, "queued")) {
				w->sort = FLOWS_BY_QUEUED;
			} else {
				buf_printf(msg, "flows: --sort takes age or "
					   "queued, not '%s'", val);
				return CTL_USAGE;
			}
		} else if (!strcmp(opt, "--limit")) {
			if (parse_count(val, 1, UINT32_MAX, &v) < 0) {
				buf_printf(msg, "flows: --limit takes a number "
					   "of flows 1..%u, not '%s'",
					   UINT32_MAX, val);
				return CTL_USAGE;
			}
			w->limit = v;
		} else if (!strcmp(opt, "--width")) {
			if (parse_count(val, 0, 65535, &v) < 0) {
				buf_printf(msg, "flows: --width takes a number "
					   "of columns 0..65535 (0: any), not "
					   "'%s'", val);
				return CTL_USAGE;
			}
			w->width = (unsigned int)v;
		} else {
			buf_puts(msg, "flows: ");
			if (flow_filter_parse(&w->ff, opt, val, msg) < 0)
				return CTL_USAGE;
			buf_reset(msg);
		}
	}
	return CTL_OK;
}

static enum ctl_code cmd_flows(struct fcd *fcd, bool json, int argc,
			       char *argv[], struct buf *out, struct buf *msg)
{
	struct flows_walk w = {
		.fcd = fcd, .out = out,
		.form = json ? FLOWS_JSON : FLOWS_TABLE,
		.now = (uint16_t)(loop_now() / 1000000000ull),
		.row = BUF_INIT, .rows = FLOW_ROWS_INIT,
	};
	enum ctl_code code;
	bool oom;
	size_t i;

	code = flows_options(&w, argc, argv, msg);
	if (code != CTL_OK)
		return code;
	topn_init(&w.top, w.limit);
	if (w.form == FLOWS_JSON) {
		json_init(&w.j, out);
		json_obj_begin(&w.j);
		json_key(&w.j, "flows");
		json_arr_begin(&w.j);
	}
	ft_walk(fcd->ft, show_flow, &w);
	topn_sort(&w.top);
	for (i = 0; i < w.top.n; i++)
		flows_emit(&w, &w.top.v[i].text);
	if (w.form == FLOWS_JSON) {
		json_arr_end(&w.j);
		json_obj_end(&w.j);
		buf_putc(out, '\n');
	} else {
		if (w.form == FLOWS_TABLE)
			flow_rows_render(&w.rows, w.width, out);
		if (w.shown == w.matched)
			buf_printf(out, "%llu flows\n",
				   (unsigned long long)w.shown);
		else
			buf_printf(out, "%llu of %llu flows\n",
				   (unsigned long long)w.shown,
				   (unsigned long long)w.matched);
	}
	oom = w.failed || w.rows.cells.failed || out->failed;
	topn_free(&w.top);
	flow_rows_free(&w.rows);
	buf_free(&w.row);
	if (oom) {
		buf_reset(out);
		buf_puts(msg, "flows: out of memory");
		return CTL_ERROR;
	}
	return CTL_OK;
}

static const char *zone_name(const struct config *cfg, uint16_t id)
{
	const struct zone_conf *z = zone_find(cfg->zones, cfg->n_zones, id);

	return z ? z->name : NULL;
}

static enum ctl_code cmd_zones(struct fcd *fcd, bool json, int argc,
			       char *argv[], struct buf *out, struct buf *msg)
{
	struct ft_zone_stats *zs;
	size_t i, n;
	struct json j;

	if (argc > 1) {
		buf_printf(msg, "zones: unexpected argument '%s'", argv[1]);
		return CTL_USAGE;
	}
	zs = calloc(65536, sizeof(*zs));
	if (!zs) {
		buf_puts(msg, "zones: out of memory");
		return CTL_ERROR;
	}
	n = ft_zone_stats(fcd->ft, zs, 65536);
	if (json) {
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "zones");
		json_arr_begin(&j);
	} else {
		buf_printf(out, "%-6s %-16s %10s %10s %10s %-6s %10s %10s %10s\n",
			   "zone", "name", "flows", "unreplied", "max", "full",
			   "inserted", "dropped", "evicted");
	}
	for (i = 0; i < n; i++) {
		const struct ft_zone_stats *z = &zs[i];
		const char *name = zone_name(fcd->cfg, z->zone);
		const char *full = z->on_full == FT_FULL_EVICT ? "evict" : "drop";

		if (!json) {
			buf_printf(out, "%-6u %-16s %10u %10u %10u %-6s %10llu "
				   "%10llu %10llu\n", z->zone, name ? name : "-",
				   z->flows, z->unreplied, z->max_flows, full,
				   (unsigned long long)z->inserted,
				   (unsigned long long)z->dropped,
				   (unsigned long long)z->evicted);
			continue;
		}
		json_obj_begin(&j);
		json_kv_uint(&j, "zone", z->zone);
		json_kv_str(&j, "name", name);
		json_kv_uint(&j, "flows", z->flows);
		json_kv_uint(&j, "unreplied", z->unreplied);
		json_kv_uint(&j, "max_flows", z->max_flows);
		json_kv_str(&j, "on_full", full);
		json_kv_uint(&j, "inserted", z->inserted);
		json_kv_uint(&j, "dropped", z->dropped);
		json_kv_uint(&j, "evicted", z->evicted);
		json_obj_end(&j);
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		buf_putc(out, '\n');
	}
	free(zs);
	return CTL_OK;
}

/* --- routes ---------------------------------------------------------------- */

/*
 * "routes get DST [from SRC] [mark M] [iif IF] [proto P] [sport N]
 * [dport N]": the mirror's answer for such a packet, as `ip route get`
 * would give the kernel's.
 */
static int parse_get(int argc, char *argv[], struct fib_query *q,
		     struct buf *msg)
{
	union fc_addr a;
	char *end;
	int k, proto;

	memset(q, 0, sizeof(*q));
	if (argc < 3) {
		buf_puts(msg, "routes get: a destination address is needed");
		return -1;
	}
	q->family = strchr(argv[2], ':') ? AF_INET6 : AF_INET;
	if (inet_pton(q->family, argv[2], &q->dst) != 1) {
		buf_printf(msg, "routes get: '%s' is not an address", argv[2]);
		return -1;
	}
	for (k = 3; k + 1 < argc; k += 2) {
		const char *key = argv[k], *v = argv[k + 1];
		unsigned long n;

		errno = 0;
		n = strtoul(v, &end, 0);
		if (!strcmp(key, "from") &&
		    inet_pton(q->family, v, &a) == 1) {
			q->src = a;
		} else if (!strcmp(key, "iif")) {
			q->iif = v;
		} else if (!strcmp(key, "proto") && (proto = proto_parse(v)) >= 0) {
			q->proto = (uint8_t)proto;
		} else if (!errno && *v && !*end && !strcmp(key, "mark") &&
			   n <= UINT32_MAX) {
			q->mark = (uint32_t)n;
		} else if (!errno && *v && !*end && n <= 65535 &&
			   (!strcmp(key, "sport") || !strcmp(key, "dport"))) {
			*(key[0] == 's' ? &q->sport : &q->dport) = (uint16_t)n;
		} else {
			buf_printf(msg, "routes get: cannot use '%s %s'", key, v);
			return -1;
		}
	}
	if (k < argc) {
		buf_printf(msg, "routes get: '%s' needs a value", argv[k]);
		return -1;
	}
	return 0;
}

static void route_get(struct fcd *fcd, bool json, const struct fib_query *q,
		      struct buf *out)
{
	const char *answers[] = { "route", "no route", "ask the kernel" };
	char gw[INET6_ADDRSTRLEN] = "", src[INET6_ADDRSTRLEN] = "";
	struct fib_result res;
	enum fib_answer a;
	const char *dev = NULL;
	struct json j;

	a = fib_resolve(rtsync_fib(fcd->rtsync), q, &res);
	if (a == FIB_OK) {
		dev = rtsync_ifname(fcd->rtsync, res.nh->oif);
		if (res.nh->has_gateway)
			inet_ntop(q->family, &res.nh->gateway, gw, sizeof(gw));
		if (res.nh->has_prefsrc)
			inet_ntop(q->family, &res.nh->prefsrc, src, sizeof(src));
	}
	if (!json) {
		buf_printf(out, "%s", answers[a]);
		/* no type: no rule led to any table's route */
		if (a != FIB_ASK_KERNEL && res.type)
			buf_printf(out, " type %s", route_type_name(res.type));
		if (a == FIB_OK)
			buf_printf(out, " table %u dev %s%s%s%s%s /%u",
				   res.table, dev ? dev : "?", gw[0] ? " via " : "",
				   gw, src[0] ? " src " : "", src, res.prefix_len);
		buf_putc(out, '\n');
		return;
	}
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_str(&j, "answer", answers[a]);
	json_kv_str(&j, "type", a == FIB_ASK_KERNEL || !res.type ? NULL :
		    route_type_name(res.type));
	if (a == FIB_OK) {
		json_kv_uint(&j, "table", res.table);
		json_kv_str(&j, "oif", dev);
		json_kv_str(&j, "gateway", gw[0] ? gw : NULL);
		json_kv_str(&j, "prefsrc", src[0] ? src : NULL);
		json_kv_uint(&j, "prefix_len", res.prefix_len);
	}
	json_obj_end(&j);
	buf_putc(out, '\n');
}

static enum ctl_code cmd_routes(struct fcd *fcd, bool json, int argc,
				char *argv[], struct buf *out, struct buf *msg)
{
	struct fib_query q;
	struct rtsync_stats r;
	struct route_stats c;
	struct fib_stats f;
	struct json j;

	if (argc > 1 && !strcmp(argv[1], "get")) {
		if (parse_get(argc, argv, &q, msg) < 0)
			return CTL_USAGE;
		route_get(fcd, json, &q, out);
		return CTL_OK;
	}
	if (argc > 1) {
		buf_printf(msg, "routes: unexpected argument '%s' (routes "
			   "[get DST [from SRC] [mark M] [iif IF] [proto P] "
			   "[sport N] [dport N]])", argv[1]);
		return CTL_USAGE;
	}
	fib_get_stats(rtsync_fib(fcd->rtsync), &f);
	rtsync_get_stats(fcd->rtsync, &r);
	if (!json) {
		buf_printf(out, "routes: %zu IPv4, %zu IPv6 in %zu tables, %zu "
			   "rules, %zu next hops, %zu bytes; generation %u\n",
			   f.routes4, f.routes6, f.tables, f.rules, f.nexthops,
			   f.memory, f.generation);
		buf_printf(out, "  events: routes %llu, rule dumps %llu, full "
			   "dumps %llu, lost (enobufs) %llu, errors %llu\n",
			   (unsigned long long)r.route_events,
			   (unsigned long long)r.rule_dumps,
			   (unsigned long long)r.dumps,
			   (unsigned long long)r.enobufs,
			   (unsigned long long)r.errors);
		route_cache_stats(fcd->routes, &c);
		buf_printf(out, "  flows' routes (cache %s): %llu looked up, "
			   "%llu by the mirror, %llu asked of the kernel (%llu "
			   "failed)\n", route_cache_name(fcd->cfg->routes.cache),
			   (unsigned long long)c.lookups,
			   (unsigned long long)c.mirror,
			   (unsigned long long)c.kernel,
			   (unsigned long long)c.kernel_errors);
		if (fcd->cfg->routes.cache == ROUTE_CACHE_BLOOM)
			buf_printf(out, "  bloom: hit %llu, none %llu, several "
				   "%llu, false positive %llu, bypassed %llu\n",
				   (unsigned long long)c.bloom_hit,
				   (unsigned long long)c.bloom_none,
				   (unsigned long long)c.bloom_several,
				   (unsigned long long)c.bloom_false_positive,
				   (unsigned long long)c.bloom_bypass);
		return CTL_OK;
	}
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_uint(&j, "routes4", f.routes4);
	json_kv_uint(&j, "routes6", f.routes6);
	json_kv_uint(&j, "tables", f.tables);
	json_kv_uint(&j, "rules", f.rules);
	json_kv_uint(&j, "nexthops", f.nexthops);
	json_kv_uint(&j, "memory", f.memory);
	json_kv_uint(&j, "generation", f.generation);
	json_kv_uint(&j, "route_events", r.route_events);
	json_kv_uint(&j, "rule_dumps", r.rule_dumps);
	json_kv_uint(&j, "dumps", r.dumps);
	json_kv_uint(&j, "enobufs", r.enobufs);
	json_kv_uint(&j, "errors", r.errors);
	json_key(&j, "cache");
	json_obj_begin(&j);
	json_kv_str(&j, "mode", route_cache_name(fcd->cfg->routes.cache));
	route_cache_json(fcd->routes, &j);
	json_obj_end(&j);
	pin_json(fcd->pins, &j);
	json_obj_end(&j);
	buf_putc(out, '\n');
	return CTL_OK;
}

static enum ctl_code cmd_sids(struct fcd *fcd, bool json, int argc,
			      char *argv[], struct buf *out, struct buf *msg)
{
	int zone = -1, k;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--zone") && k + 1 < argc &&
		    parse_zone(argv[k + 1], &zone) == 0) {
			k++;
			continue;
		}
		buf_printf(msg, "sids: unexpected argument '%s' "
			   "(sids [--zone N])", argv[k]);
		return CTL_USAGE;
	}
	l7_sids(fcd->l7, fcd->cfg, zone, json, out);
	return CTL_OK;
}

static enum ctl_code cmd_flush(struct fcd *fcd, bool json, int argc,
			       char *argv[], struct buf *out, struct buf *msg)
{
	struct ctsync_flush res;
	bool delete_ct = false;
	int k, zone = -1;
	char what[16];
	struct json j;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--zone") && k + 1 < argc) {
			if (parse_zone(argv[++k], &zone) < 0) {
				buf_printf(msg, "flush: --zone takes a zone "
					   "number 0..65535, not '%s'", argv[k]);
				return CTL_USAGE;
			}
		} else if (!strcmp(argv[k], "--conntrack")) {
			delete_ct = true;
		} else if (!strcmp(argv[k], "--zone")) {
			buf_puts(msg, "flush: --zone needs a zone number");
			return CTL_USAGE;
		} else {
			buf_printf(msg, "flush: unexpected argument '%s' "
				   "(flush [--zone N] [--conntrack])", argv[k]);
			return CTL_USAGE;
		}
	}
	ctsync_flush(fcd->ctsync, zone, fcd->cfg->marks.mask, delete_ct, &res);
	if (zone >= 0)
		snprintf(what, sizeof(what), "zone %d", zone);
	log_info("flush of %s: %llu flows decide again%s",
		 zone >= 0 ? what : "every zone", (unsigned long long)res.flows,
		 delete_ct ? ", their conntrack entries deleted" : "");
	if (json) {
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "zone");
		if (zone >= 0)
			json_int(&j, zone);
		else
			json_null(&j);
		json_kv_uint(&j, "flows", res.flows);
		json_kv_uint(&j, "marks_cleared", res.cleared);
		json_kv_uint(&j, "conntrack_deleted", res.deleted);
		json_kv_uint(&j, "errors", res.errors);
		json_obj_end(&j);
		buf_putc(out, '\n');
	} else {
		buf_printf(out, "%llu flows flushed: %llu ct marks cleared, "
			   "%llu conntrack entries deleted, %llu errors\n",
			   (unsigned long long)res.flows,
			   (unsigned long long)res.cleared,
			   (unsigned long long)res.deleted,
			   (unsigned long long)res.errors);
	}
	if (res.no_memory) {
		buf_puts(msg, "flush: out of memory, some flows were not "
			 "flushed");
		return CTL_ERROR;
	}
	return CTL_OK;
}

static const struct cmd cmds[] = {
	{ "status", cmd_status },
	{ "reload", cmd_reload },
	{ "flows", cmd_flows },
	{ "stats", cmd_stats },
	{ "zones", cmd_zones },
	{ "routes", cmd_routes },
	{ "sids", cmd_sids },
	{ "flush", cmd_flush },
};

enum ctl_code cmd_run(struct fcd *fcd, int argc, char *argv[],
		      struct buf *out, struct buf *msg)
{
	bool json = false;
	size_t i;
	int n = 0, k;

	/* --json may stand anywhere; the rest keeps its order */
	for (k = 0; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			json = true;
		else
			argv[n++] = argv[k];
	}
	if (n == 0) {
		buf_puts(msg, "no command");
		return CTL_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[0]))
			return cmds[i].run(fcd, json, n, argv, out, msg);
	buf_printf(msg, "unknown command '%s'", argv[0]);
	return CTL_USAGE;
}

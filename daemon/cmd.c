// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What each control command does. control.c owns the socket; this file
 * owns the meaning of the words. Every command renders both forms, text
 * for people and JSON (one document) for scripts, from the same data.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "fcd.h"
#include "json.h"
#include "queue.h"
#include "ruleset.h"

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
	buf_putc(out, '\n');
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
	json_obj_end(&j);
	buf_putc(out, '\n');
	return CTL_OK;
}

/* Commands whose issues have not landed: they say so and fail. */
static enum ctl_code cmd_pending(struct fcd *fcd, bool json, int argc,
				 char *argv[], struct buf *out, struct buf *msg)
{
	buf_printf(msg, "%s: not yet implemented", argv[0]);
	return CTL_ERROR;
}

static const struct cmd cmds[] = {
	{ "status", cmd_status },
	{ "reload", cmd_reload },
	{ "flows", cmd_pending },
	{ "stats", cmd_stats },
	{ "zones", cmd_pending },
	{ "routes", cmd_pending },
	{ "sids", cmd_pending },
	{ "flush", cmd_pending },
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

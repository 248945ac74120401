// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a metrics scrape shows: every counter the modules keep, read
 * through their getters (the same ones `flowcachectl stats` uses), as
 * Prometheus families named flowcached_*. Counters end in _total,
 * durations are in seconds, and what `stats` spreads over several
 * fields (verdicts, events by type, drops by reason) is one family with
 * a label here. metrics.c serves the page; this file only writes it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "control.h"
#include "ctsync.h"
#include "fcd.h"
#include "fib.h"
#include "flowtable.h"
#include "hist.h"
#include "l7.h"
#include "metrics.h"
#include "owner.h"
#include "procfs.h"
#include "prom.h"
#include "queue.h"
#include "route.h"
#include "rtsync.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* A label list: LABELS("zone", "10", "zone_name", "lan") */
#define LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* One family of a counter per label value: name{key="v0"} c[0], ... */
struct labelled {
	const char *value;
	uint64_t count;
};

static void counter_by(struct buf *out, const char *name, const char *help,
		       const char *key, const struct labelled *v, size_t n)
{
	size_t i;

	prom_family(out, name, PROM_COUNTER, help);
	for (i = 0; i < n; i++)
		prom_uint(out, name, LABELS(key, v[i].value), v[i].count);
}

#define COUNTER_BY(out, name, help, key, ...) do {			\
	const struct labelled v_[] = { __VA_ARGS__ };			\
	counter_by(out, name, help, key, v_, sizeof(v_) / sizeof(v_[0])); \
} while (0)

static void daemon_metrics(struct fcd *fcd, struct buf *out)
{
	prom_family(out, "flowcached_build_info", PROM_GAUGE,
		    "The running flowcached's version; always 1.");
	prom_uint(out, "flowcached_build_info",
		  LABELS("version", PACKAGE_VERSION), 1);
	prom_family(out, "flowcached_uptime_seconds", PROM_GAUGE,
		    "Time since the daemon started.");
	prom_seconds(out, "flowcached_uptime_seconds", NULL,
		     loop_now() - fcd->started);
	prom_gauge(out, "flowcached_config_loaded_timestamp_seconds",
		   "When the configuration in force was loaded (Unix time).",
		   (uint64_t)fcd->loaded_at);
	COUNTER_BY(out, "flowcached_reloads_total", "Configuration reloads "
		   "by result; a failed one kept the running configuration.",
		   "result", { "ok", fcd->reload.ok },
		   { "failed", fcd->reload.failed });
}

static void queue_metrics(struct fcd *fcd, struct buf *out)
{
	struct queue_stats s;
	struct hist lat;
	int k;

	queue_stats_sum(fcd->queues, &s);
	prom_counter(out, "flowcached_queue_packets_total",
		     "Packets the kernel queued to the daemon.", s.packets);
	COUNTER_BY(out, "flowcached_queue_verdicts_total",
		   "Verdicts given to queued packets.", "verdict",
		   { "accept", s.accepted }, { "drop", s.dropped });
	COUNTER_BY(out, "flowcached_queue_drops_total", "Packets dropped, "
		   "by reason: policy (a rule's verdict), table_full (a new "
		   "flow found no room), malformed (queues.malformed = "
		   "\"drop\").", "reason",
		   { "policy", s.policy_dropped },
		   { "table_full", s.table_full },
		   { "malformed", s.malformed_dropped });
	prom_counter(out, "flowcached_queue_decisions_total",
		     "Flows decided: packets accepted with the decided mark.",
		     s.decided);
	prom_counter(out, "flowcached_queue_already_decided_total",
		     "Queued packets of flows decided before, given the same "
		     "answer again.", s.already_decided);
	prom_family(out, "flowcached_queue_malformed_packets_total",
		    PROM_COUNTER, "Packets the parser refused, by reason; "
		    "queues.malformed says whether they were accepted.");
	for (k = 1; k < PKT_ERR__MAX; k++)
		prom_uint(out, "flowcached_queue_malformed_packets_total",
			  LABELS("reason", pkt_err_name(k)), s.bad[k]);
	COUNTER_BY(out, "flowcached_queue_errors_total", "Packets the queues "
		   "could not handle as usual, by reason: table_full (a new "
		   "flow refused and dropped: its zone or the table is full), "
		   "not_cached (decided, not entered in the table), no_payload "
		   "and recv_truncated (accepted uninspected), id_gap (never "
		   "reached the daemon: failed open or dropped by the kernel), "
		   "enobufs (receive overruns reported), verdict_error "
		   "(verdicts the kernel refused).", "reason",
		   { "table_full", s.table_full },
		   { "not_cached", s.not_cached },
		   { "no_payload", s.no_payload },
		   { "recv_truncated", s.recv_truncated },
		   { "id_gap", s.id_gaps }, { "enobufs", s.enobufs },
		   { "verdict_error", s.verdict_errors });
	prom_counter(out, "flowcached_queue_verdict_sends_total",
		     "Batches of verdicts sent (one sendmsg each).",
		     s.verdict_batches);
	prom_counter(out, "flowcached_queue_batch_verdicts_total",
		     "Batch verdict messages, each answering a run of packets "
		     "with equal decisions.", s.batch_verdicts);
	prom_family(out, "flowcached_queue_feature", PROM_GAUGE,
		    "Whether every queue got this optional kernel feature.");
	for (k = 0; k < QF__MAX; k++)
		prom_uint(out, "flowcached_queue_feature",
			  LABELS("feature", queue_feature_name(k)),
			  queue_has_feature(fcd->queues, k));
	queue_latency(fcd->queues, &lat);
	prom_family(out, "flowcached_decision_latency_seconds",
		    PROM_HISTOGRAM, "Time from the receive that brought a "
		    "packet the policy decided to the send of its verdict.");
	prom_hist(out, "flowcached_decision_latency_seconds", NULL, &lat);
}

static void table_metrics(struct fcd *fcd, struct buf *out)
{
	static const char *const lengths[FT_CHAIN_HIST] = {
		"0", "1", "2", "3", "4", "5", "6", "7", "8+"
	};
	struct ft_stats t;
	int k;

	ft_get_stats(fcd->ft, &t);
	/* the main thread is the one that frees: no read lock needed */
	ft_chain_stats(fcd->ft, &t);
	prom_gauge(out, "flowcached_table_flows", "Flows in the table.",
		   t.flows);
	prom_gauge(out, "flowcached_table_buckets", "Buckets of the table's "
		   "index: its capacity until it grows.", t.buckets);
	prom_gauge(out, "flowcached_table_max_flows", "The table's cap on "
		   "flows (table.max_flows).", fcd->cfg->table.max_flows);
	prom_family(out, "flowcached_table_load", PROM_GAUGE,
		    "Flows per bucket.");
	prom_double(out, "flowcached_table_load", NULL, t.load);
	prom_gauge(out, "flowcached_table_resizing", "1 while the index is "
		   "being resized.", t.resizing);
	prom_gauge(out, "flowcached_table_longest_chain", "The most buckets "
		   "a lookup of any stored flow walks.", t.longest_chain);
	prom_family(out, "flowcached_table_chain_flows", PROM_GAUGE,
		    "Flows by the buckets past their home bucket a lookup "
		    "walks to find them (8+: eight or more).");
	for (k = 0; k < FT_CHAIN_HIST; k++)
		prom_uint(out, "flowcached_table_chain_flows",
			  LABELS("length", lengths[k]), t.chains[k]);
	prom_counter(out, "flowcached_table_inserts_total",
		     "Flows entered in the table.", t.inserts);
	prom_counter(out, "flowcached_table_deletes_total",
		     "Flows removed from the table.", t.deletes);
	prom_counter(out, "flowcached_table_refused_total", "New flows "
		     "refused: their zone or the table was full.", t.dropped);
	prom_counter(out, "flowcached_table_evictions_total", "Flows evicted "
		     "to make room for new ones.", t.evicted);
	prom_counter(out, "flowcached_table_evictions_unsent_total",
		     "Evictions the kernel could not be told of.",
		     t.victims_lost);
	COUNTER_BY(out, "flowcached_table_resizes_total",
		   "Resizes of the index, by direction.", "direction",
		   { "grow", t.grows }, { "shrink", t.shrinks });
	prom_counter(out, "flowcached_table_rehashes_total", "Index rebuilds "
		     "under a new hash secret.", t.rehashes);
	prom_counter(out, "flowcached_table_resize_moves_total",
		     "Flows moved between indexes while resizing.",
		     t.resize_moves);
	prom_counter(out, "flowcached_table_chain_cap_hits_total",
		     "Inserts refused: the flow would sit past the probe cap.",
		     t.chain_too_long);
	prom_counter(out, "flowcached_table_pending_expired_total",
		     "Queued flows whose conntrack entry never came.",
		     t.pending_expired);
	prom_counter(out, "flowcached_table_swept_total", "Flows removed by "
		     "a resync: the kernel no longer had them.", t.swept);
}

/* One zone's sample: labelled with its number and its name ("" when
 * the config gives it none, or no longer has it). */
static void zone_sample(struct fcd *fcd, struct buf *out, const char *name,
			const struct ft_zone_stats *zs, uint64_t v)
{
	const struct zone_conf *z = zone_find(fcd->cfg->zones,
					      fcd->cfg->n_zones, zs->zone);
	char id[8];

	snprintf(id, sizeof(id), "%u", zs->zone);
	prom_uint(out, name, LABELS("zone", id, "zone_name",
				    z && z->name ? z->name : ""), v);
}

static int zone_cmp(const void *a, const void *b)
{
	const struct ft_zone_stats *x = a, *y = b;

	return (int)x->zone - (int)y->zone;
}

/*
 * The zones the table lists, with room after them for the configured
 * ones: a few as a rule, so the array starts small and doubles while
 * the table fills it (zeroing room for all 65536 cost most of a scrape).
 */
static struct ft_zone_stats *zones_listed(struct fcd *fcd, size_t *n)
{
	size_t extra = fcd->cfg->n_zones, max = 64;
	struct ft_zone_stats *zs = NULL, *p;

	for (;;) {
		p = realloc(zs, (max + extra) * sizeof(*zs));
		if (!p) {
			free(zs);
			return NULL;
		}
		zs = p;
		*n = ft_zone_stats(fcd->ft, zs, max);
		if (*n < max || max == 65536)
			return zs;
		max *= 2;
	}
}

static const struct {
	const char *name;
	enum prom_type type;
	const char *help;
} zone_families[] = {
	{ "flowcached_zone_flows", PROM_GAUGE, "Flows in the zone." },
	{ "flowcached_zone_unreplied_flows", PROM_GAUGE,
	  "Flows of the zone that saw no reply yet." },
	{ "flowcached_zone_max_flows", PROM_GAUGE,
	  "The zone's cap on flows; 0: none." },
	{ "flowcached_zone_inserts_total", PROM_COUNTER,
	  "Flows entered in the zone." },
	{ "flowcached_zone_refused_total", PROM_COUNTER,
	  "New flows the zone refused: it or the table was full." },
	{ "flowcached_zone_evictions_total", PROM_COUNTER,
	  "Flows of the zone evicted to make room." },
};

/* The value of zone_families[k] */
static uint64_t zone_value(const struct ft_zone_stats *z, size_t k)
{
	const uint64_t v[] = { z->flows, z->unreplied, z->max_flows,
			       z->inserted, z->dropped, z->evicted };

	return v[k];
}

static void zone_metrics(struct fcd *fcd, struct buf *out)
{
	const struct config *cfg = fcd->cfg;
	struct ft_zone_stats *zs;
	size_t i, k, n, listed;

	zs = zones_listed(fcd, &n);
	if (!zs) {
		out->failed = true;
		return;
	}
	listed = n;
	/* a configured zone no flow entered yet is all zeros: listed all
	 * the same, so that its series exist from the start */
	for (i = 0; i < cfg->n_zones; i++) {
		struct ft_zone_stats key = { .zone = cfg->zones[i].id };

		if (!bsearch(&key, zs, listed, sizeof(*zs), zone_cmp))
			zs[n++] = key;
	}
	for (k = 0; k < sizeof(zone_families) / sizeof(zone_families[0]); k++) {
		prom_family(out, zone_families[k].name, zone_families[k].type,
			    zone_families[k].help);
		for (i = 0; i < n; i++)
			zone_sample(fcd, out, zone_families[k].name, &zs[i],
				    zone_value(&zs[i], k));
	}
	free(zs);
}

static void conntrack_metrics(struct fcd *fcd, struct buf *out)
{
	struct ctsync_stats c;

	ctsync_get_stats(fcd->ctsync, &c);
	COUNTER_BY(out, "flowcached_conntrack_events_total",
		   "Conntrack events applied to the mirror, by type.", "type",
		   { "new", c.new }, { "update", c.update },
		   { "destroy", c.destroy });
	prom_counter(out, "flowcached_conntrack_overruns_total",
		     "Event socket overruns (ENOBUFS); each costs a resync.",
		     c.enobufs);
	prom_counter(out, "flowcached_conntrack_events_lost_total",
		     "Events the kernel dropped for the daemon.", c.lost);
	prom_counter(out, "flowcached_conntrack_resyncs_total", "Dumps after "
		     "a loss or on the resync timer.", c.resyncs);
	prom_counter(out, "flowcached_conntrack_dumps_total",
		     "Dumps of the kernel's table.", c.dumps);
	prom_gauge(out, "flowcached_conntrack_last_dump_entries",
		   "Entries the last dump read.", c.dump_entries);
	prom_family(out, "flowcached_conntrack_last_dump_duration_seconds",
		    PROM_GAUGE, "How long the last dump took.");
	prom_seconds(out, "flowcached_conntrack_last_dump_duration_seconds",
		     NULL, c.last_dump_ms * NS_PER_MS);
	prom_family(out, "flowcached_conntrack_first_sync_duration_seconds",
		    PROM_GAUGE, "How long the first dump, at start, took.");
	prom_seconds(out, "flowcached_conntrack_first_sync_duration_seconds",
		     NULL, c.sync_ms * NS_PER_MS);
	prom_counter(out, "flowcached_conntrack_swept_total", "Flows a resync "
		     "removed: the kernel no longer had them.", c.swept);
	prom_counter(out, "flowcached_conntrack_errors_total",
		     "Messages the mirror could not use.", c.errors);
	prom_counter(out, "flowcached_conntrack_deletes_total", "Kernel "
		     "entries deleted: of evicted flows, of removed backends.",
		     c.deleted);
	prom_counter(out, "flowcached_conntrack_delete_errors_total",
		     "Deletes the kernel refused or that were not sent.",
		     c.delete_errors);
	prom_counter(out, "flowcached_conntrack_mark_updates_total",
		     "Conntrack marks changed (routes followed).", c.marked);
	prom_counter(out, "flowcached_conntrack_mark_errors_total",
		     "Mark changes the kernel refused.", c.mark_errors);
	prom_counter(out, "flowcached_conntrack_no_memory_total",
		     "Flows not mirrored: allocation failed.", c.no_memory);
}

static void route_metrics(struct fcd *fcd, struct buf *out)
{
	const char *mode = route_cache_name(fcd->cfg->routes.cache);
	struct rtsync_stats r;
	struct route_stats c;
	struct fib_stats f;

	route_cache_stats(fcd->routes, &c);
	prom_family(out, "flowcached_route_cache_info", PROM_GAUGE,
		    "The route cache in use (routes.cache); always 1.");
	prom_uint(out, "flowcached_route_cache_info", LABELS("mode", mode), 1);
	prom_counter(out, "flowcached_route_lookups_total",
		     "Flows' routes resolved.", c.lookups);
	COUNTER_BY(out, "flowcached_route_answers_total", "Routes answered, "
		   "by who answered: the routing mirror or the kernel.",
		   "source", { "mirror", c.mirror }, { "kernel", c.kernel });
	prom_counter(out, "flowcached_route_kernel_errors_total",
		     "Route queries the kernel gave no answer to.",
		     c.kernel_errors);
	COUNTER_BY(out, "flowcached_route_bloom_lookups_total",
		   "Bloom next-hop cache lookups by result: hit (one filter, "
		   "confirmed), none, several and false_positive (the slow "
		   "path), bypass (the cache could not be used).", "result",
		   { "hit", c.bloom_hit }, { "none", c.bloom_none },
		   { "several", c.bloom_several },
		   { "false_positive", c.bloom_false_positive },
		   { "bypass", c.bloom_bypass });
	prom_counter(out, "flowcached_route_bloom_emptied_total",
		     "Times the Bloom filters were emptied at their entry cap.",
		     c.bloom_full);
	prom_counter(out, "flowcached_route_answers_unkept_total",
		     "Route answers not kept: no id left.", c.no_id);

	fib_get_stats(rtsync_fib(fcd->rtsync), &f);
	prom_family(out, "flowcached_routes", PROM_GAUGE,
		    "Routes in the routing mirror, by family.");
	prom_uint(out, "flowcached_routes", LABELS("family", "ipv4"),
		  f.routes4);
	prom_uint(out, "flowcached_routes", LABELS("family", "ipv6"),
		  f.routes6);
	prom_gauge(out, "flowcached_route_tables",
		   "Routing tables in the mirror.", f.tables);
	prom_gauge(out, "flowcached_route_rules",
		   "Policy routing rules in the mirror.", f.rules);
	prom_gauge(out, "flowcached_route_nexthops",
		   "Next hops in the mirror.", f.nexthops);
	prom_gauge(out, "flowcached_route_mirror_memory_bytes",
		   "Memory the routing mirror uses.", f.memory);

	rtsync_get_stats(fcd->rtsync, &r);
	prom_counter(out, "flowcached_rtnetlink_route_events_total",
		     "Routes added, replaced or deleted.", r.route_events);
	prom_counter(out, "flowcached_rtnetlink_rule_dumps_total",
		     "Times the rules were read again.", r.rule_dumps);
	prom_counter(out, "flowcached_rtnetlink_dumps_total",
		     "Times everything was read again.", r.dumps);
	prom_counter(out, "flowcached_rtnetlink_overruns_total",
		     "Event socket overruns (ENOBUFS); each costs a dump.",
		     r.enobufs);
	prom_counter(out, "flowcached_rtnetlink_errors_total",
		     "Messages the routing mirror could not use.", r.errors);
}

static void owner_metrics(struct fcd *fcd, struct buf *out)
{
	struct procfs_stats p;
	struct owner_stats o;

	owner_cache_stats(fcd->owners, &o, &p);
	prom_counter(out, "flowcached_owner_lookups_total",
		     "Socket lookups (sock_diag) for flows' owners.",
		     o.lookups);
	prom_counter(out, "flowcached_owner_found_total",
		     "Lookups that found the socket.", o.found);
	prom_counter(out, "flowcached_owner_gone_total",
		     "Lookups that did not: it closed first.", o.gone);
	prom_counter(out, "flowcached_owner_no_process_total",
		     "Sockets found that no process holds.", o.no_process);
	prom_counter(out, "flowcached_owner_from_queue_total", "Owners "
		     "matched on the uid and gid the queue gave.",
		     o.from_queue);
	prom_counter(out, "flowcached_owner_errors_total",
		     "Lookups that failed otherwise.", o.errors);
	prom_counter(out, "flowcached_owner_listeners_replaced_total",
		     "Owners first found as a listener, then as the accepted "
		     "socket.", o.retried);
	prom_counter(out, "flowcached_owner_deferred_full_total",
		     "Flows left without an owner: too many waited.",
		     o.deferred_full);
	prom_counter(out, "flowcached_owner_proc_scans_total",
		     "Walks of /proc for a socket's process.", p.scans);
	COUNTER_BY(out, "flowcached_owner_inode_cache_total",
		   "Socket inode cache answers: still true or stale.",
		   "result", { "hit", p.cache_hits }, { "stale", p.stale });
	prom_gauge(out, "flowcached_owner_inode_cache_entries",
		   "Socket inodes in the cache.", p.inodes);
	prom_counter(out, "flowcached_owner_cgroup_walks_total",
		     "Walks of the cgroup tree.", p.cgroup_walks);
}

static void sid_metrics(struct fcd *fcd, struct buf *out)
{
	struct l7_stats s;

	l7_get_stats(fcd->l7, &s);
	prom_gauge(out, "flowcached_sids", "Stream IDs known.",
		   l7_sid_count(fcd->l7));
	prom_counter(out, "flowcached_sid_decisions_total",
		     "Flows decided by their stream ID.", s.decisions);
	COUNTER_BY(out, "flowcached_sid_lookups_total", "Stream IDs of new "
		   "flows: new ones given a backend, known ones keeping "
		   "theirs.", "sid", { "new", s.new_sids },
		   { "known", s.known_sids });
	prom_counter(out, "flowcached_sid_waiting_total", "TCP packets "
		     "accepted undecided, before the stream ID came.",
		     s.waiting);
	prom_counter(out, "flowcached_sid_fallback_total",
		     "Flows of a stream-ID zone decided without one.",
		     s.fallback);
	prom_counter(out, "flowcached_sid_short_payload_total",
		     "Payloads too short to hold a stream ID.",
		     s.short_payload);
	prom_counter(out, "flowcached_sid_map_adds_total",
		     "Stream IDs put into the kernel's maps.", s.map_adds);
	prom_counter(out, "flowcached_sid_map_errors_total",
		     "Map elements the kernel refused, or not sent.",
		     s.map_errors);
	prom_counter(out, "flowcached_sid_expired_total",
		     "Stream IDs idle past their zone's timeout.", s.expired);
	prom_counter(out, "flowcached_sid_moved_total", "Stream IDs moved to "
		     "another backend: theirs went away.", s.moved);
	prom_counter(out, "flowcached_sid_unkept_total",
		     "Stream IDs not kept: no memory.", s.table_full);
}

static void server_metrics(struct fcd *fcd, struct buf *out)
{
	struct metrics_stats m;
	unsigned int clients;
	uint64_t rejected;

	metrics_get_stats(fcd->metrics, &m);
	prom_counter(out, "flowcached_metrics_scrapes_total",
		     "Metrics pages served.", m.scrapes);
	COUNTER_BY(out, "flowcached_metrics_refused_total", "Metrics "
		   "requests refused, by reason: bad_request (400), "
		   "not_found (404), method (405), busy (too many clients), "
		   "idle (dropped, too slow).", "reason",
		   { "bad_request", m.bad_request },
		   { "not_found", m.not_found }, { "method", m.bad_method },
		   { "busy", m.busy }, { "idle", m.idle });
	prom_gauge(out, "flowcached_metrics_clients",
		   "Metrics clients connected.", m.clients);
	control_stats(fcd->control, &clients, &rejected);
	prom_gauge(out, "flowcached_control_clients",
		   "Control socket clients connected.", clients);
	prom_counter(out, "flowcached_control_refused_total",
		     "Control connections refused: too many clients.",
		     rejected);
}

void scrape_render(struct fcd *fcd, struct buf *out)
{
	daemon_metrics(fcd, out);
	queue_metrics(fcd, out);
	table_metrics(fcd, out);
	zone_metrics(fcd, out);
	conntrack_metrics(fcd, out);
	route_metrics(fcd, out);
	owner_metrics(fcd, out);
	sid_metrics(fcd, out);
	server_metrics(fcd, out);
}

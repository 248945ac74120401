// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowcached: options, start-up, the main loop, reload and shutdown.
 *
 * Start-up order matters to systemd and to users: the config is checked
 * before anything is opened, every socket is open before READY=1, and a
 * daemonizing parent exits only when the child is ready (its exit status
 * says whether start-up worked). Signal handlers do not exist: SIGTERM,
 * SIGINT and SIGHUP arrive through a signalfd on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#include "control.h"
#include "ctsync.h"
#include "fcd.h"
#include "flowtable.h"
#include "l7.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "notify.h"
#include "queue.h"
#include "pin.h"
#include "route.h"
#include "xfrmsync.h"
#include "rtsync.h"
#include "ruleset.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/flowcached/flowcached.conf"
#define TICK_NS 1000000000ull

struct options {
	const char *config;
	bool check_only;
	bool foreground;
	int verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flowcached [OPTIONS]\n"
"Decide each flow once and keep it in the kernel's fast path.\n"
"\n"
"  -c, --config FILE  configuration file (default: " DEFAULT_CONFIG ")\n"
"  -t, --test         check the configuration and exit: 0 valid, 1 not;\n"
"                     with -v, print it with every default filled in\n"
"  -f, --foreground   do not daemonize; log to stderr, or to the journal\n"
"                     under systemd\n"
"  -v, --verbose      log debug messages too\n"
"  -V, --version      print the version and exit\n"
"  -h, --help         print this help and exit\n"
"\n"
"Signals: SIGHUP reloads the configuration (kept unchanged when the new\n"
"file has errors), SIGTERM and SIGINT stop the daemon.\n"
"See flowcached(8) and flowcached.conf(5).\n");
}

static void parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct options){ .config = DEFAULT_CONFIG };
	while ((c = getopt_long(argc, argv, "c:tfvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check_only = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("flowcached %s\n", PACKAGE_VERSION);
			exit(EXIT_SUCCESS);
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowcached: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* Log each error once, with its place as journal fields, and optionally
 * collect the lines for a control client. */
static void report_config_errors(const struct config_errors *errs,
				 const char *what, struct buf *collect)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];
		struct buf line = BUF_INIT;
		char ffile[512], fline[32];
		const char *fields[] = { ffile, fline, NULL };

		config_error_format(e, &line);
		snprintf(ffile, sizeof(ffile), "CONFIG_FILE=%s", e->file);
		snprintf(fline, sizeof(fline), "CONFIG_LINE=%d", e->line);
		log_emit(LOG_ERR, 0, fields, "%s%s", what,
			 line.data ? line.data : "out of memory");
		if (collect && line.data)
			buf_printf(collect, "%s\n", line.data);
		buf_free(&line);
	}
	if (errs->truncated) {
		log_err("%sfurther errors not shown", what);
		if (collect)
			buf_puts(collect, "further errors not shown\n");
	}
}

/* -t prints bare FILE:LINE: lines, the form editors and CI jump to. */
static void print_config_errors(const struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		struct buf line = BUF_INIT;

		config_error_format(&errs->v[i], &line);
		fprintf(stderr, "%s\n", line.data ? line.data : "out of memory");
		buf_free(&line);
	}
	if (errs->truncated)
		fprintf(stderr, "further errors not shown\n");
}

void fcd_summary(const struct fcd *fcd, struct buf *out)
{
	const struct config *cfg = fcd->cfg;

	buf_printf(out, "%zu zones, %zu policy rules, queues %u-%u; "
		   "reloads %llu ok, %llu failed",
		   cfg->n_zones, cfg->n_rules, cfg->queues.first,
		   cfg->queues.first + cfg->queues.count - 1,
		   (unsigned long long)fcd->reload.ok,
		   (unsigned long long)fcd->reload.failed);
}

/*
 * systemd's STATUS=, refreshed by the tick: what `systemctl status`
 * shows at a glance. Rates are over the time since the last refresh.
 */
static void update_status(struct fcd *fcd)
{
	static uint64_t last_at, last_decided, last_dropped;
	uint64_t now = loop_now(), secs;
	struct queue_stats q = { 0 };
	struct ft_stats t;
	struct buf s = BUF_INIT;

	if (fcd->queues)
		queue_stats_sum(fcd->queues, &q);
	ft_get_stats(fcd->ft, &t);
	secs = last_at ? (now - last_at) / 1000000 : 0;
	buf_printf(&s, "%llu flows, %llu decisions/s, %llu drops/s "
		   "(%llu dropped); ", (unsigned long long)t.flows,
		   secs ? (unsigned long long)((q.decided - last_decided) *
					       1000 / secs) : 0ull,
		   secs ? (unsigned long long)((q.dropped - last_dropped) *
					       1000 / secs) : 0ull,
		   (unsigned long long)q.dropped);
	last_at = now;
	last_decided = q.decided;
	last_dropped = q.dropped;
	fcd_summary(fcd, &s);
	if (s.data)
		notify_status(s.data);
	buf_free(&s);
}

static bool same_string(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * Settings that only a restart can change keep their running values in
 * the new config, with a warning: the workers stay bound to the queues
 * they have, and the ruleset must keep feeding those, not new numbers
 * nobody listens on.
 */
static int keep_restart_only(const struct config *old, struct config *new)
{
	char *sock;

	if (old->queues.first != new->queues.first ||
	    old->queues.count != new->queues.count ||
	    old->queues.maxlen != new->queues.maxlen ||
	    old->queues.copy_bytes != new->queues.copy_bytes ||
	    old->queues.fail_open != new->queues.fail_open)
		log_warnx("reload: queues.first, count, maxlen, copy_bytes "
			  "and fail_open take effect at the next restart; "
			  "queues %u-%u stay in use", old->queues.first,
			  old->queues.first + old->queues.count - 1);
	new->queues.first = old->queues.first;
	new->queues.count = old->queues.count;
	new->queues.maxlen = old->queues.maxlen;
	new->queues.copy_bytes = old->queues.copy_bytes;
	new->queues.fail_open = old->queues.fail_open;

	/* the pinned flows' marks name tables of the running settings */
	if (old->routes.pin_mask != new->routes.pin_mask ||
	    old->routes.pin_reply_mask != new->routes.pin_reply_mask ||
	    old->routes.pin_table != new->routes.pin_table ||
	    old->routes.pin_priority != new->routes.pin_priority)
		log_warnx("reload: routes.pin_mask, pin_reply_mask, pin_table "
			  "and pin_priority take effect at the next restart%s",
			  old->routes.pin_mask ? "" :
			  "; until then route = \"pin\"/\"follow\" pins nothing");
	new->routes.pin_mask = old->routes.pin_mask;
	new->routes.pin_reply_mask = old->routes.pin_reply_mask;
	new->routes.pin_table = old->routes.pin_table;
	new->routes.pin_priority = old->routes.pin_priority;

	if (!strcmp(old->control.socket, new->control.socket) &&
	    same_string(old->control.group, new->control.group))
		return 0;
	log_warnx("reload: control.socket and control.group take effect at "
		  "the next restart; the daemon keeps listening on %s",
		  old->control.socket);
	sock = strdup(old->control.socket);
	if (!sock)
		return -ENOMEM;
	free(new->control.socket);
	new->control.socket = sock;
	free(new->control.group);
	new->control.group = old->control.group ? strdup(old->control.group) : NULL;
	if (old->control.group && !new->control.group)
		return -ENOMEM;
	new->control.gid = old->control.gid;
	return 0;
}

/*
 * Make the kernel's table follow cfg: install or atomically replace it
 * when managed, remove ours when the operator switched to an external
 * ruleset. On failure the kernel keeps the table it had.
 */
static int ruleset_follow(struct fcd *fcd, const struct config *cfg)
{
	int err;

	if (!cfg->ruleset.managed) {
		if (!fcd->ruleset)
			return 0;
		err = ruleset_remove(fcd->ruleset);
		if (err < 0)
			return err;
		ruleset_close(fcd->ruleset);
		fcd->ruleset = NULL;
		log_notice("ruleset: managed table removed; the external "
			   "ruleset decides what is queued");
		return 0;
	}
	if (fcd->ruleset)
		return ruleset_apply(fcd->ruleset, cfg);
	err = ruleset_open(&fcd->ruleset);
	if (err < 0) {
		log_warn(err, "ruleset: cannot open nf_tables");
		return err;
	}
	err = ruleset_apply(fcd->ruleset, cfg);
	if (err < 0) {
		/* nothing of ours is in the kernel: say so in status */
		ruleset_close(fcd->ruleset);
		fcd->ruleset = NULL;
	}
	return err;
}

void fcd_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal(errno, "getrandom");
		p += n;
		len -= (size_t)n;
	}
}

static enum ft_on_full ft_on_full(enum on_full f)
{
	return f == ON_FULL_EVICT ? FT_FULL_EVICT : FT_FULL_DROP;
}

/* The caps of cfg, replacing those of old (NULL at start). */
static void table_caps(struct fcd *fcd, const struct config *old,
		       const struct config *cfg)
{
	size_t i;

	for (i = 0; old && i < old->n_zones; i++)
		ft_set_zone_cap(fcd->ft, old->zones[i].id, 0, FT_FULL_DROP);
	for (i = 0; i < cfg->n_zones; i++)
		ft_set_zone_cap(fcd->ft, cfg->zones[i].id,
				cfg->zones[i].max_flows,
				ft_on_full(cfg->zones[i].on_full));
	ft_set_max_flows(fcd->ft, cfg->table.max_flows);
}

static void table_open(struct fcd *fcd)
{
	struct ft_params p = {
		.random = fcd_random,
		.synchronize = urcu_memb_synchronize_rcu,
	};

	fcd->ft = ft_new(&p);
	if (!fcd->ft)
		fatal(ENOMEM, "flow table");
	table_caps(fcd, NULL, fcd->cfg);
}

/*
 * Once a second: the table's clock, resize steps (a lock hold per 1024
 * buckets, so workers wait no longer than that; at most 50 ms of them,
 * the rest of a resize rides on inserts and deletes), pending flows
 * that never got their NEW event, and memory no reader can see any more.
 */
static void table_tick(struct fcd *fcd, uint64_t now)
{
	uint32_t ttl = fcd->cfg->conntrack.pending_ttl;

	ft_set_clock(fcd->ft, (uint32_t)(now / 1000000000ull));
	while (ft_maintain(fcd->ft, 1024) && loop_now() - now < 50000000ull)
		;
	if (now - fcd->last_expire >= ttl * 1000000000ull / 2) {
		ft_expire_pending(fcd->ft, ttl);
		fcd->last_expire = now;
	}
	ft_reclaim(fcd->ft);
}

int fcd_reload(struct fcd *fcd, struct buf *errors)
{
	struct config_errors errs;
	struct config *cfg, *old;
	struct buf s = BUF_INIT;
	int err;

	notify_reloading();
	log_info("reloading %s", fcd->config_path);
	err = config_load(fcd->config_path, &cfg, &errs);
	if (err < 0) {
		fcd->reload.failed++;
		report_config_errors(&errs, "reload failed, keeping the "
				     "running configuration: ", errors);
		if (errs.n)
			config_error_format(&errs.v[0], &s);
		snprintf(fcd->reload.last_error, sizeof(fcd->reload.last_error),
			 "%s", s.data ? s.data : strerror(-err));
		buf_free(&s);
		config_errors_free(&errs);
		update_status(fcd);
		notify_ready(NULL);
		return err;
	}
	config_errors_free(&errs);
	err = keep_restart_only(fcd->cfg, cfg);
	if (!err)
		err = ruleset_follow(fcd, cfg);
	if (err < 0) {
		fcd->reload.failed++;
		snprintf(fcd->reload.last_error, sizeof(fcd->reload.last_error),
			 err == -ENOMEM ? "out of memory" :
			 "ruleset: the kernel refused the new table (%s); the "
			 "old one stays", strerror(-err));
		log_err("reload failed, keeping the running configuration: %s",
			fcd->reload.last_error);
		if (errors)
			buf_printf(errors, "%s\n", fcd->reload.last_error);
		config_free(cfg);
		update_status(fcd);
		notify_ready(NULL);
		return err;
	}
	metrics_follow(fcd->metrics, cfg);
	old = fcd->cfg;
	cfg->generation = ++fcd->generation;
	table_caps(fcd, old, cfg);
	l7_reload(fcd->l7, old, cfg);
	ctsync_configure(fcd->ctsync, cfg);
	rcu_assign_pointer(fcd->cfg, cfg);
	/* every worker is past the old config before it goes */
	urcu_memb_synchronize_rcu();
	config_free(old);
	fcd->loaded_at = time(NULL);
	fcd->reload.ok++;
	fcd->reload.last_error[0] = '\0';
	log_info("reloaded %s", fcd->config_path);
	update_status(fcd);
	notify_ready(NULL);
	return 0;
}

static void announce_ready(struct fcd *fcd)
{
	struct buf s = BUF_INIT;

	fcd_summary(fcd, &s);
	log_notice("flowcached %s started with %s: %s", PACKAGE_VERSION,
		   fcd->config_path, s.data ? s.data : "");
	notify_ready(s.data);
	buf_free(&s);
}

static void on_signal(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct fcd *fcd = src->data;
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			fcd_reload(fcd, NULL);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s received, stopping",
				 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			loop_stop(&fcd->loop);
			return;
		}
	}
}

static void on_tick(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct fcd *fcd = src->data;

	loop_timerfd_ack(src->fd);
	control_tick(fcd->control, now);
	metrics_tick(fcd->metrics, now);
	ctsync_tick(fcd->ctsync, now);
	rtsync_tick(fcd->rtsync);
	route_cache_tick(fcd->routes);
	owner_cache_tick(fcd->owners);
	l7_tick(fcd->l7);
	route_follow(fcd->routes);
	xfrmsync_tick(fcd->xfrmsync);
	table_tick(fcd, now);
	update_status(fcd);
}

static void on_watchdog(struct loop_source *src, uint32_t events,
			uint64_t now)
{
	loop_timerfd_ack(src->fd);
	notify_watchdog();
}

static int open_signals(struct fcd *fcd)
{
	sigset_t mask;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return loop_add(&fcd->loop, &fcd->signals, fd, EPOLLIN, on_signal, fcd);
}

static int open_timer(struct fcd *fcd, struct loop_source *src,
		      uint64_t period, loop_cb cb)
{
	int fd = loop_timerfd(period);

	if (fd < 0)
		return fd;
	return loop_add(&fcd->loop, src, fd, EPOLLIN, cb, fcd);
}

/*
 * The parent waits on a pipe until the child says it is ready (one byte)
 * or dies (EOF), and exits 0 or 1 accordingly, so that an init script or a
 * user sees start-up errors as an exit status, with the messages on the
 * terminal that started it.
 */
static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		fatal(errno, "pipe");
	pid = fork();
	if (pid < 0)
		fatal(errno, "fork");
	if (pid > 0) {
		close(pfd[1]);
		exit(read(pfd[0], &c, 1) == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(pfd[0]);
	if (setsid() < 0)
		fatal(errno, "setsid");
	if (chdir("/") < 0)
		fatal(errno, "chdir /");
	return pfd[1];
}

static void detach(int ready_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	log_set_target(LOG_TO_SYSLOG);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(ready_fd, "", 1) != 1)
		log_warn(errno, "telling the parent we are ready");
	close(ready_fd);
}

/*
 * Removes the managed tables unless they are to outlive the daemon, and
 * says which. keep_on_exit bridges a restart: decided flows stay fast
 * and the rest bypass the queue until we are back. After a final
 * "systemctl stop" nobody comes back, so a stop job on our unit removes
 * them; what systemd does not confirm as one (kill -TERM, no bus, a
 * restart) keeps them. Returns whether they, and the pinned routes, stay.
 */
static bool keep_or_remove_tables(struct fcd *fcd)
{
	bool keep = fcd->cfg->ruleset.keep_on_exit;
	char *job = NULL;

	if (keep && notify_unit_job(&job) == 0 && job && !strcmp(job, "stop"))
		keep = false;
	if (fcd->ruleset && !keep) {
		if (ruleset_remove(fcd->ruleset) == 0)
			log_info("ruleset: %stables ip/ip6 %s removed",
				 job ? "systemctl stop: " : "", RULESET_TABLE);
	} else if (fcd->ruleset) {
		log_info("ruleset: tables ip/ip6 %s kept %s", RULESET_TABLE,
			 job && strstr(job, "restart") ? "for the restart" :
			 "(keep_on_exit)");
	}
	free(job);
	return keep;
}

int main(int argc, char *argv[])
{
	struct fcd fcd = { .signals.fd = -1 };
	struct config_errors errs;
	struct options o;
	uint64_t wd;
	int err, ready_fd = -1;
	bool keep;

	parse_options(argc, argv, &o);
	log_init(o.foreground ? log_target_detect() : LOG_TO_STDERR,
		 o.verbose ? LOG_DEBUG : LOG_INFO);

	fcd.config_path = o.config;
	fcd.exit_status = EXIT_SUCCESS;
	err = config_load(o.config, &fcd.cfg, &errs);
	if (err < 0) {
		if (o.check_only)
			print_config_errors(&errs);
		else
			report_config_errors(&errs, "", NULL);
		config_errors_free(&errs);
		return EXIT_FAILURE;
	}
	config_errors_free(&errs);
	if (o.check_only) {
		if (o.verbose) {
			struct buf dump = BUF_INIT;

			config_dump(fcd.cfg, &dump);
			fputs(dump.data ? dump.data : "", stdout);
			buf_free(&dump);
		} else {
			printf("%s: configuration OK\n", o.config);
		}
		config_free(fcd.cfg);
		return EXIT_SUCCESS;
	}

	if (!o.foreground)
		ready_fd = daemonize();
	fcd.started = loop_now();
	fcd.loaded_at = time(NULL);
	fcd.cfg->generation = ++fcd.generation;
	err = loop_init(&fcd.loop);
	if (err < 0)
		fatal(err, "epoll");
	err = open_signals(&fcd);
	if (err < 0)
		fatal(err, "signalfd");
	err = control_open(&fcd, &fcd.control);
	if (err < 0)
		fatal(err, "cannot open the control socket %s",
		      fcd.cfg->control.socket);
	err = metrics_open(&fcd, &fcd.metrics);
	if (err < 0)
		fatal(err, "cannot serve metrics");
	table_open(&fcd);
	err = rtsync_open(&fcd, &fcd.rtsync);
	if (err < 0)
		fatal(err, "cannot follow the routing tables");
	err = route_cache_open(&fcd, &fcd.routes);
	if (err < 0)
		fatal(err, "route cache");
	err = owner_cache_open(&fcd, &fcd.owners);
	if (err < 0)
		fatal(err, "socket owners");
	err = l7_open(&fcd, &fcd.l7);
	if (err < 0)
		fatal(err, "stream IDs");
	err = pin_open(&fcd, &fcd.pins);
	if (err < 0)
		fatal(err, "cannot manage the pinned next hops' tables");
	err = xfrmsync_open(&fcd, &fcd.xfrmsync);
	if (err < 0)
		log_warn(err, "IPsec: cannot follow XFRM policies and SAs; "
			 "flows show no SA");
	/* subscribed before the queues run, so no NEW event of a flow they
	 * see is missed */
	err = ctsync_open(&fcd, &fcd.ctsync);
	if (err < 0)
		fatal(err, "cannot follow conntrack");
	err = queue_open(&fcd, &fcd.queues);
	if (err < 0)
		fatal(err, "cannot listen on queues %u-%u",
		      fcd.cfg->queues.first,
		      fcd.cfg->queues.first + fcd.cfg->queues.count - 1);
	/* queues first: the rule that feeds them finds a listener */
	err = ruleset_follow(&fcd, fcd.cfg);
	if (err < 0)
		fatal(err, "cannot install the managed ruleset");
	/* the dump comes once the queues answer, so flows are decided
	 * (and merge into what the dump brings) while it runs */
	err = ctsync_start(fcd.ctsync);
	if (err < 0)
		fatal(err, "cannot dump the conntrack table");
	err = open_timer(&fcd, &fcd.tick, TICK_NS, on_tick);
	if (err < 0)
		fatal(err, "timerfd");
	wd = notify_watchdog_period();
	if (wd) {
		/* twice per period: one late wake-up must not kill us */
		err = open_timer(&fcd, &fcd.watchdog, wd / 2, on_watchdog);
		if (err < 0)
			fatal(err, "watchdog timerfd");
	}

	announce_ready(&fcd);
	if (ready_fd >= 0)
		detach(ready_fd);

	err = loop_run(&fcd.loop);
	if (err < 0)
		log_warn(err, "event loop failed");

	notify_stopping();
	keep = keep_or_remove_tables(&fcd);
	ruleset_close(fcd.ruleset);
	queue_close(fcd.queues);
	if (!keep)
		pin_remove(fcd.pins);
	pin_close(fcd.pins);
	xfrmsync_close(fcd.xfrmsync);
	ctsync_close(fcd.ctsync);
	owner_cache_close(fcd.owners);
	l7_close(fcd.l7);
	route_cache_close(fcd.routes);
	rtsync_close(fcd.rtsync);
	ft_free(fcd.ft);
	metrics_close(fcd.metrics);
	control_close(fcd.control);
	loop_close(&fcd.loop);
	config_free(fcd.cfg);
	log_notice("stopped");
	return err < 0 ? EXIT_FAILURE : fcd.exit_status;
}

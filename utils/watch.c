// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowcachectl watch: a live view of the daemon, redrawn every interval.
 * Each refresh asks for `status`, `stats` and `zones` in JSON (rates are
 * the differences of two such samples over the time between them) and
 * for the top flows as the daemon renders its table: `flows --sort
 * queued --limit N --width COLS`, N what the terminal's rows leave. One
 * request per connection, as every client; the daemon's answers are the
 * only state besides the previous sample.
 *
 * The terminal: the alternate screen, the cursor hidden, and input
 * neither echoed nor line-buffered (termios) while the view runs; ISIG
 * stays, so Ctrl-C is a SIGINT. Signals come through a signalfd polled
 * with the keyboard, never interrupting a write. Every way out restores
 * the terminal: q, SIGINT, SIGTERM, SIGHUP, SIGQUIT, the daemon going
 * away; Ctrl-Z restores it before stopping and takes it again on
 * SIGCONT.
 *
 * Not on a terminal, watch prints one frame, from two samples an
 * interval apart, and exits: for scripts and tests.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "flowcachectl.h"
#include "jsonread.h"
#include "watch.h"

/* A frame's size off a terminal. */
#define PLAIN_ROWS	24
#define NAME_MAX_LEN	64
#define MAX_FILTER_WORDS 16

struct zone_sample {
	uint64_t zone, flows, unreplied, max_flows, inserted, dropped, evicted;
	char name[NAME_MAX_LEN];
};

struct sample {
	uint64_t at;			/* CLOCK_MONOTONIC, ns */
	char version[NAME_MAX_LEN];
	uint64_t pid, uptime_s;
	/* counters of stats --json, at the paths of stat_paths[] */
	uint64_t flows, packets, accepted, dropped, decided, malformed,
		 id_gaps, refused, evicted, events, ct_new, ct_update,
		 ct_destroy, ct_lost, resyncs;
	struct zone_sample *zones;
	size_t n_zones;
};

static const struct {
	const char *path;
	size_t off;
} stat_paths[] = {
	{ "table.flows", offsetof(struct sample, flows) },
	{ "queues.packets", offsetof(struct sample, packets) },
	{ "queues.accepted", offsetof(struct sample, accepted) },
	{ "queues.dropped", offsetof(struct sample, dropped) },
	{ "queues.decided", offsetof(struct sample, decided) },
	{ "queues.malformed", offsetof(struct sample, malformed) },
	{ "queues.id_gaps", offsetof(struct sample, id_gaps) },
	{ "table.dropped", offsetof(struct sample, refused) },
	{ "table.evicted", offsetof(struct sample, evicted) },
	{ "conntrack.events", offsetof(struct sample, events) },
	{ "conntrack.new", offsetof(struct sample, ct_new) },
	{ "conntrack.update", offsetof(struct sample, ct_update) },
	{ "conntrack.destroy", offsetof(struct sample, ct_destroy) },
	{ "conntrack.lost", offsetof(struct sample, ct_lost) },
	{ "conntrack.resyncs", offsetof(struct sample, resyncs) },
};

struct watch {
	const char *path;
	double interval;		/* seconds */
	bool by_age;			/* else by queued packets */
	char *filters[MAX_FILTER_WORDS];
	int n_filters;
	bool tty;			/* drawing on a terminal */
	unsigned int rows, cols;	/* cols 0: any */
	size_t zones_shown;
	struct sample prev, cur;	/* prev.at 0: none */
	struct ctl_reply reply;
	struct jsonread doc;
	struct buf flows;		/* the daemon's table */
	struct buf err;			/* why the view ends */
	int status;			/* the exit status it ends with */
	struct termios saved;
	bool raw;			/* the terminal is ours */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- asking the daemon ------------------------------------------------- */

/* One request; its body in w->reply. A refusal ends the view with the
 * daemon's message and code (2 for filters it did not take). */
static int ask(struct watch *w, int argc, char *argv[])
{
	int rc = ctl_call(w->path, argc, argv, &w->reply, &w->err);

	if (rc == -EINVAL || rc == -E2BIG) {
		buf_printf(&w->err, "watch: %s", rc == -EINVAL ?
			   "arguments may not be empty or contain spaces or "
			   "control characters" : "the request is too long");
		w->status = 2;
		return -1;
	}
	if (rc < 0) {
		w->status = 1;
		return -1;
	}
	if (w->reply.code != 0) {
		/* the daemon's messages name the command */
		buf_printf(&w->err, "%s", w->reply.msg.len ?
			   w->reply.msg.data : "the daemon refused");
		w->status = w->reply.code;
		return -1;
	}
	return 0;
}

/* ask() for "CMD --json", the answer parsed into w->doc */
static int ask_json(struct watch *w, const char *cmd)
{
	char *argv[] = { (char *)cmd, "--json" };

	if (ask(w, 2, argv) < 0)
		return -1;
	if (jsonread_parse(&w->doc, w->reply.body.data, w->reply.body.len) ||
	    jsonread_root(&w->doc)->type != JSONREAD_OBJECT) {
		buf_printf(&w->err, "%s: the daemon's JSON could not be read",
			   cmd);
		w->status = 1;
		return -1;
	}
	return 0;
}

/* A counter; 0 when the daemon does not report it. */
static uint64_t get_uint(struct watch *w, const struct jsonread_tok *obj,
			 const char *path)
{
	uint64_t v = 0;

	jsonread_uint(&w->doc, jsonread_path(&w->doc, obj, path), &v);
	return v;
}

static void get_str(struct watch *w, const struct jsonread_tok *obj,
		    const char *key, char *out, size_t size)
{
	if (jsonread_str(&w->doc, jsonread_get(&w->doc, obj, key), out,
			 size) == -EINVAL)
		snprintf(out, size, "-");
}

static int sample_zones(struct watch *w, struct sample *s)
{
	const struct jsonread_tok *arr, *z = NULL;
	struct zone_sample *zs;
	size_t n = 0;

	if (ask_json(w, "zones") < 0)
		return -1;
	arr = jsonread_get(&w->doc, jsonread_root(&w->doc), "zones");
	if (!arr || arr->type != JSONREAD_ARRAY) {
		buf_puts(&w->err, "zones: no zones in the daemon's answer");
		w->status = 1;
		return -1;
	}
	zs = realloc(s->zones, (arr->count ? arr->count : 1) * sizeof(*zs));
	if (!zs) {
		buf_puts(&w->err, "zones: out of memory");
		w->status = 1;
		return -1;
	}
	s->zones = zs;
	while ((z = jsonread_next(&w->doc, arr, z)) && n < arr->count) {
		struct zone_sample *e = &zs[n++];

		e->zone = get_uint(w, z, "zone");
		e->flows = get_uint(w, z, "flows");
		e->unreplied = get_uint(w, z, "unreplied");
		e->max_flows = get_uint(w, z, "max_flows");
		e->inserted = get_uint(w, z, "inserted");
		e->dropped = get_uint(w, z, "dropped");
		e->evicted = get_uint(w, z, "evicted");
		get_str(w, z, "name", e->name, sizeof(e->name));
	}
	s->n_zones = n;
	return 0;
}

static int sample(struct watch *w, struct sample *s)
{
	const struct jsonread_tok *root;
	size_t i;

	s->at = now_ns();
	if (ask_json(w, "status") < 0)
		return -1;
	root = jsonread_root(&w->doc);
	get_str(w, root, "version", s->version, sizeof(s->version));
	s->pid = get_uint(w, root, "pid");
	s->uptime_s = get_uint(w, root, "uptime_s");
	if (ask_json(w, "stats") < 0)
		return -1;
	root = jsonread_root(&w->doc);
	for (i = 0; i < sizeof(stat_paths) / sizeof(stat_paths[0]); i++)
		*(uint64_t *)((char *)s + stat_paths[i].off) =
			get_uint(w, root, stat_paths[i].path);
	return sample_zones(w, s);
}

/* The top n flows, as the daemon's table, into w->flows. */
static int top_flows(struct watch *w, unsigned int n)
{
	char *argv[8 + MAX_FILTER_WORDS], limit[16], width[16];
	int argc = 0, i;

	snprintf(limit, sizeof(limit), "%u", n);
	snprintf(width, sizeof(width), "%u", w->cols);
	argv[argc++] = "flows";
	argv[argc++] = "--sort";
	argv[argc++] = w->by_age ? "age" : "queued";
	argv[argc++] = "--limit";
	argv[argc++] = limit;
	argv[argc++] = "--width";
	argv[argc++] = width;
	for (i = 0; i < w->n_filters; i++)
		argv[argc++] = w->filters[i];
	if (ask(w, argc, argv) < 0)
		return -1;
	buf_reset(&w->flows);
	buf_append(&w->flows, w->reply.body.data, w->reply.body.len);
	return 0;
}

/* --- the frame ---------------------------------------------------------- */

struct frame {
	struct watch *w;
	struct buf out;
	unsigned int lines;
};

/* One line, cut to the width and with control bytes made '?'. On a
 * terminal each line clears what is left of the old one, and the last
 * row gets no newline, which would scroll the screen. */
__attribute__((format(printf, 2, 3)))
static void line(struct frame *fr, const char *fmt, ...)
{
	struct watch *w = fr->w;
	size_t start, i, chars = 0;
	va_list ap;

	if (fr->lines >= w->rows)
		return;
	if (fr->lines++ && w->tty)
		buf_puts(&fr->out, "\x1b[K\n");
	else if (fr->lines > 1)
		buf_putc(&fr->out, '\n');
	start = fr->out.len;
	va_start(ap, fmt);
	buf_vprintf(&fr->out, fmt, ap);
	va_end(ap);
	if (fr->out.failed)
		return;
	for (i = start; i < fr->out.len; i++) {
		unsigned char c = (unsigned char)fr->out.data[i];

		if (c < 0x20 || c == 0x7f)
			fr->out.data[i] = '?';
		if ((c & 0xc0) != 0x80 && w->cols && chars++ == w->cols) {
			fr->out.len = i;
			fr->out.data[i] = '\0';
			break;
		}
	}
}

/* v, a count or a rate, in at most 6 characters */
static const char *num(double v, char s[16])
{
	if (v < 1e3)
		snprintf(s, 16, "%.0f", v);
	else if (v < 1e6)
		snprintf(s, 16, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(s, 16, "%.1fM", v / 1e6);
	else
		snprintf(s, 16, "%.1fG", v / 1e9);
	return s;
}

/* Whether there is a previous sample of the same daemon to take rates
 * from. */
static bool have_rates(const struct watch *w)
{
	return w->prev.at && w->prev.pid == w->cur.pid &&
	       w->prev.uptime_s <= w->cur.uptime_s && w->cur.at > w->prev.at;
}

/* The rate of the counter at off as text; "-" without two samples, or
 * when it went backwards. */
static const char *rate_of(const struct watch *w, uint64_t then, uint64_t now,
			   char s[16])
{
	if (!have_rates(w) || now < then)
		return "-";
	return num((double)(now - then) * 1e9 /
		   (double)(w->cur.at - w->prev.at), s);
}

#define RATE(w, field, s) rate_of(w, (w)->prev.field, (w)->cur.field, s)

static void uptime_text(uint64_t s, char out[32])
{
	if (s < 60)
		snprintf(out, 32, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, 32, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(out, 32, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s / 60 % 60);
	else
		snprintf(out, 32, "%llud%02lluh", (unsigned long long)s / 86400,
			 (unsigned long long)s / 3600 % 24);
}

static void header(struct frame *fr)
{
	struct watch *w = fr->w;
	const struct sample *c = &w->cur;
	char up[32], a[16], b[16], d[16], e[16], f[16], g[16];

	uptime_text(c->uptime_s, up);
	line(fr, "flowcached %s pid %llu up %s, every %gs, top by %s%s",
	     c->version, (unsigned long long)c->pid, up, w->interval,
	     w->by_age ? "age" : "queued", w->tty ? "  q:quit s:sort" : "");
	line(fr, "flows %s  decisions/s %s  queued/s %s  accept/s %s  "
	     "drop/s %s", num((double)c->flows, a), RATE(w, decided, b),
	     RATE(w, packets, d), RATE(w, accepted, e), RATE(w, dropped, f));
	line(fr, "refused/s %s  uninspected/s %s  malformed/s %s  "
	     "evicted/s %s", RATE(w, refused, a), RATE(w, id_gaps, b),
	     RATE(w, malformed, d), RATE(w, evicted, e));
	line(fr, "events/s %s (new %s, update %s, destroy %s)  lost %s  "
	     "resyncs %s", RATE(w, events, a), RATE(w, ct_new, b),
	     RATE(w, ct_update, d), RATE(w, ct_destroy, e),
	     num((double)c->ct_lost, f), num((double)c->resyncs, g));
	line(fr, "%s", "");
}

/* zone z of the previous sample, if it had it */
static const struct zone_sample *prev_zone(const struct watch *w,
					   uint64_t zone)
{
	size_t i;

	for (i = 0; i < w->prev.n_zones; i++)
		if (w->prev.zones[i].zone == zone)
			return &w->prev.zones[i];
	return NULL;
}

static void zones(struct frame *fr, size_t shown)
{
	struct watch *w = fr->w;
	char a[16], b[16], c[16];
	size_t i;

	line(fr, "%-6s %-16s %8s %9s %8s %7s %7s %7s", "ZONE", "NAME", "FLOWS",
	     "UNREPLIED", "MAX", "NEW/s", "DROP/s", "EVICT/s");
	for (i = 0; i < shown; i++) {
		const struct zone_sample *z = &w->cur.zones[i];
		const struct zone_sample *p = prev_zone(w, z->zone);
		static const struct zone_sample none;

		if (!p)
			p = &none;
		line(fr, "%-6llu %-16s %8llu %9llu %8llu %7s %7s %7s",
		     (unsigned long long)z->zone, z->name,
		     (unsigned long long)z->flows,
		     (unsigned long long)z->unreplied,
		     (unsigned long long)z->max_flows,
		     rate_of(w, p->inserted, z->inserted, a),
		     rate_of(w, p->dropped, z->dropped, b),
		     rate_of(w, p->evicted, z->evicted, c));
	}
	if (shown < w->cur.n_zones)
		line(fr, "... %zu more zones (flowcachectl zones)",
		     w->cur.n_zones - shown);
	line(fr, "%s", "");
}

/* The zones the rows leave room for, and the flows. */
static void layout(const struct watch *w, size_t *zones_shown,
		   unsigned int *flows_shown)
{
	/* header 5, zones' header and blank 2, flows' header and count 2 */
	unsigned int fixed = 9, room, zones_room, n;

	room = w->rows > fixed ? w->rows - fixed : 0;
	/* zones take at most a third; one line says how many did not fit */
	zones_room = room / 3 > 1 ? room / 3 : 1;
	n = w->cur.n_zones <= zones_room ? (unsigned int)w->cur.n_zones :
	    zones_room - 1;
	*zones_shown = n;
	n += n < w->cur.n_zones;
	*flows_shown = room > n ? room - n : 1;
}

static int draw(struct watch *w)
{
	struct frame fr = { .w = w, .out = BUF_INIT };
	const char *p, *nl;
	size_t left;
	ssize_t n;
	int rc = 0;

	if (w->tty)
		buf_puts(&fr.out, "\x1b[H");
	header(&fr);
	zones(&fr, w->zones_shown);
	for (p = w->flows.data, left = w->flows.len; p && left; ) {
		nl = memchr(p, '\n', left);
		n = nl ? nl - p : (ssize_t)left;
		line(&fr, "%.*s", (int)n, p);
		p += n + (nl != NULL);
		left -= (size_t)n + (nl != NULL);
	}
	buf_puts(&fr.out, w->tty ? "\x1b[K\x1b[J" : "\n");
	for (p = fr.out.data, left = fr.out.len; !fr.out.failed && left; ) {
		n = write(STDOUT_FILENO, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_printf(&w->err, "watch: writing the view: %s",
				   strerror(errno));
			w->status = 1;
			rc = -1;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fr.out.failed) {
		buf_puts(&w->err, "watch: out of memory");
		w->status = 1;
		rc = -1;
	}
	buf_free(&fr.out);
	return rc;
}

/* The terminal's size, and the top flows it has room for. */
static int fetch_top(struct watch *w)
{
	unsigned int flows_shown;
	struct winsize ws;

	if (w->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_row && ws.ws_col) {
		w->rows = ws.ws_row;
		w->cols = ws.ws_col;
	}
	layout(w, &w->zones_shown, &flows_shown);
	return top_flows(w, flows_shown);
}

static int show(struct watch *w)
{
	return fetch_top(w) < 0 ? -1 : draw(w);
}

/* A new sample; the last one becomes the one rates start from. */
static int resample(struct watch *w)
{
	struct zone_sample *spare = w->prev.zones;

	/* the previous sample's zones' memory serves the next one */
	w->prev = w->cur;
	w->cur = (struct sample){ .zones = spare };
	return sample(w, &w->cur);
}

/* --- the terminal ------------------------------------------------------- */

static int term_take(struct watch *w)
{
	struct termios t = w->saved;

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (isatty(STDIN_FILENO) && tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
		return -1;
	/* the alternate screen, cursor hidden */
	if (write(STDOUT_FILENO, "\x1b[?1049h\x1b[?25l", 14) < 0)
		return -1;
	w->raw = true;
	return 0;
}

static void term_give_back(struct watch *w)
{
	if (!w->raw)
		return;
	if (write(STDOUT_FILENO, "\x1b[?25h\x1b[?1049l", 14) < 0)
		w->status = w->status ? w->status : 1;
	if (isatty(STDIN_FILENO))
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &w->saved);
	w->raw = false;
}

/* What a key does: 1 quit, 2 refresh now, 0 nothing. */
static int key(struct watch *w, char c)
{
	switch (c) {
	case 'q':
	case 'Q':
		return 1;
	case 's':
		w->by_age = !w->by_age;
		return 2;
	case 'r':
	case ' ':
		return 2;
	default:
		return 0;
	}
}

/*
 * Wait for the next refresh, a key or a signal. Returns 1 quit, 0
 * refresh, -1 error.
 */
static int wait_next(struct watch *w, int sfd, uint64_t due)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	uint64_t now;
	char keys[64];
	ssize_t n, i;
	int timeout, k;
	nfds_t nfds = isatty(STDIN_FILENO) ? 2 : 1;
	struct timespec zero = { 0 };
	sigset_t cont;

	sigemptyset(&cont);
	sigaddset(&cont, SIGCONT);

	for (;;) {
		now = now_ns();
		if (now >= due)
			return 0;
		timeout = (int)((due - now + 999999) / 1000000);
		if (poll(pfd, nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			buf_printf(&w->err, "watch: poll: %s", strerror(errno));
			w->status = 1;
			return -1;
		}
		if (pfd[0].revents & POLLIN &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGWINCH:
				return 0;
			case SIGTSTP:
				term_give_back(w);
				raise(SIGSTOP);
				/* continued: by the SIGCONT now pending */
				sigtimedwait(&cont, NULL, &zero);
				/* fall through */
			case SIGCONT:
				/* whoever stopped us may have changed the
				 * terminal: take it again, whole */
				w->raw = false;
				if (term_take(w) < 0) {
					buf_puts(&w->err, "watch: cannot take "
						 "the terminal back");
					w->status = 1;
					return -1;
				}
				return 0;
			default:	/* SIGINT, SIGTERM, SIGHUP, SIGQUIT */
				return 1;
			}
		}
		if (nfds > 1 && pfd[1].revents & (POLLIN | POLLHUP)) {
			n = read(STDIN_FILENO, keys, sizeof(keys));
			if (n <= 0) {
				nfds = 1;	/* no more keys to read */
				continue;
			}
			for (i = 0, k = 0; i < n && k != 1; i++) {
				int what = key(w, keys[i]);

				if (what > k)
					k = what;
			}
			if (k)
				return k == 1;
		}
	}
}

static int run_tty(struct watch *w)
{
	sigset_t set;
	int sfd, rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		buf_printf(&w->err, "watch: signals: %s", strerror(errno));
		w->status = 1;
		return -1;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &w->saved) < 0) {
		buf_printf(&w->err, "watch: %s", strerror(errno));
		w->status = 1;
		close(sfd);
		return -1;
	}
	/* the first frame's data before the screen changes: a filter the
	 * daemon refuses is reported on a normal terminal */
	w->rows = PLAIN_ROWS;
	if (sample(w, &w->cur) < 0 || fetch_top(w) < 0) {
		close(sfd);
		return -1;
	}
	if (term_take(w) < 0 || draw(w) < 0)
		rc = -1;
	while (!rc) {
		rc = wait_next(w, sfd,
			       w->cur.at + (uint64_t)(w->interval * 1e9));
		if (!rc && (resample(w) < 0 || show(w) < 0))
			rc = -1;
	}
	term_give_back(w);
	close(sfd);
	return rc < 0 ? -1 : 0;
}

static int run_plain(struct watch *w)
{
	struct timespec ts;
	uint64_t ns = (uint64_t)(w->interval * 1e9);

	w->rows = PLAIN_ROWS;
	if (sample(w, &w->cur) < 0)
		return -1;
	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (resample(w) < 0)
		return -1;
	return show(w);
}

/* --- options ------------------------------------------------------------ */

/* The flows filters watch passes on (the daemon checks their values). */
static const char *const filter_opts[] = {
	"--zone", "--proto", "--src", "--dst", "--port", "--user", "--sid",
	"--backend", NULL
};

static int options(struct watch *w, int argc, char *argv[])
{
	const char *const *o;
	char *end;
	int k;

	for (k = 1; k < argc; k++) {
		const char *opt = argv[k];

		for (o = filter_opts; *o && strcmp(*o, opt); o++)
			;
		if (!*o && strcmp(opt, "-n") && strcmp(opt, "--interval") &&
		    strcmp(opt, "--sort"))
			return usage_error("watch: unexpected argument '%s' "
					   "(watch [-n SECONDS] [--sort "
					   "age|queued] [flows' filters])",
					   opt);
		if (k + 1 == argc)
			return usage_error("watch: %s needs a value", opt);
		if (*o) {
			if (w->n_filters + 2 > MAX_FILTER_WORDS)
				return usage_error("%s", "watch: too many "
						   "filters");
			w->filters[w->n_filters++] = argv[k];
			w->filters[w->n_filters++] = argv[++k];
		} else if (!strcmp(opt, "--sort")) {
			k++;
			if (strcmp(argv[k], "age") && strcmp(argv[k], "queued"))
				return usage_error("watch: --sort takes age or "
						   "queued, not '%s'", argv[k]);
			w->by_age = !strcmp(argv[k], "age");
		} else {
			k++;
			errno = 0;
			w->interval = strtod(argv[k], &end);
			if (errno || end == argv[k] || *end ||
			    !isfinite(w->interval) || w->interval < 0.1 ||
			    w->interval > 3600)
				return usage_error("watch: %s takes seconds "
						   "0.1..3600, not '%s'", opt,
						   argv[k]);
		}
	}
	return 0;
}

int watch_main(const char *path, int argc, char *argv[])
{
	struct watch w = {
		.path = path, .interval = 1.0, .reply = CTL_REPLY_INIT,
		.doc = JSONREAD_INIT, .flows = BUF_INIT, .err = BUF_INIT,
	};
	int rc;

	rc = options(&w, argc, argv);
	if (rc)
		return rc;
	w.tty = isatty(STDOUT_FILENO);
	rc = w.tty ? run_tty(&w) : run_plain(&w);
	if (rc < 0)
		fprintf(stderr, "flowcachectl: %s\n", w.err.len ? w.err.data :
			"watch failed");
	free(w.prev.zones);
	free(w.cur.zones);
	ctl_reply_free(&w.reply);
	jsonread_free(&w.doc);
	buf_free(&w.flows);
	buf_free(&w.err);
	return rc < 0 ? (w.status ? w.status : 1) : 0;
}

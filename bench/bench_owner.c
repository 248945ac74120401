// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_owner: what it costs to find the local socket of a flow, on the
 * same sockets and the same random targets, in one run.
 *
 *   sockdiag  one exact inet_diag request (no NLM_F_DUMP) and its answer
 *             on a NETLINK_SOCK_DIAG socket, made and read by
 *             lib/sockdiag.c: what the daemon does
 *   procscan  open /proc/net/tcp, read all of it, then walk its lines
 *             until the target's local and remote address:port: how
 *             tools without sock_diag do it (OpenSnitch falls back to
 *             it). A lean scanner: hex parsed by hand, the inode read
 *             from the matching line only, no line after it parsed; so
 *             a lower bound for tools that parse every line
 *   pidscan   informative, a few targets only: from the inode to the
 *             process, readdir /proc, then readlink every
 *             /proc/PID/fd/N until "socket:[inode]". sock_diag gives
 *             no pid, so the daemon needs this step too. The plain
 *             walk: daemon/procfs.c also walks the socket user's
 *             processes first and records every socket it passes
 *   owner     the daemon's whole answer: the sock_diag lookup, then
 *             daemon/procfs.c for the process (its inode cache, warm
 *             after the first lookup's walk: a readlink to confirm the
 *             holder, its comm and its gid), the pid checked to be ours
 *
 *   bench/build.sh bench_owner
 *   ip netns exec NS bench_owner [--sockets N] [--lookups M]
 *                 [--proc-lookups P] [--pid-lookups K] [--kv FILE]
 * bench/owner.sh makes the namespace and does all of it.
 *
 * The sockets: a listener on 127.0.0.1 and N/2 connections to it, both
 * ends kept open, so /proc/net/tcp holds N + 1 lines; default N 10,000.
 * Run it in a fresh namespace (ip netns add, lo up): anyone else's
 * sockets, or the TIME_WAIT ones of an earlier run, lengthen the file.
 *
 * The targets: M (default 20,000) sockets drawn at random (a fixed
 * seed) from either end of a connection, one list for every method:
 * sockdiag looks up all M, procscan the first P (default 2,000: a scan
 * of 10,000 lines takes some 10 ms) and pidscan the first K (default
 * 10). Each answer is checked: the inode must be the st_ino of the
 * socket's fd, the pid ours. Before timing, each method runs on the
 * first 10 targets: the first request may load the tcp_diag module.
 *
 * Every lookup is timed alone (CLOCK_MONOTONIC); lookups/s is the
 * count over the whole loop. One line a method, then procscan's times
 * over sockdiag's (mean: the mean time, sockdiag's lookups/s over
 * procscan's):
 *   owner_sockdiag lookups=M lookups_per_s=X median_us=X p99_us=X wrong=0
 *   owner_ratio procscan_over_sockdiag median=X p99=X mean=X
 * (p99: nearest rank). --kv FILE writes the same figures as
 * "owner METHOD FIGURE VALUE" for bench/medians.awk. Exit 0, 1 when a
 * lookup failed or answered wrongly (or the setup failed), 2 usage.
 */
#ifndef _GNU_SOURCE		/* build.sh defines it, for daemon/log.c */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "procfs.h"
#include "sockdiag.h"

#define MAX_SOCKETS	50000	/* 25,000 connections to one port: fewer
				 * than the 28,232 ephemeral ports */
#define WARMUP		10
#define PROC_TCP	"/proc/net/tcp"

/* One end of a connection, as its own socket sees it. */
struct end {
	struct sockdiag_end local, remote;
	uint32_t inode;
};

struct method {
	const char *key, *name;
	bool (*lookup)(const struct end *e);	/* true: answered right */
	size_t n;
	/* figures */
	double per_s, median_us, p99_us;
	size_t wrong;
};

static struct {
	size_t sockets, lookups, proc_lookups, pid_lookups;
	FILE *kv;
} o = { .sockets = 10000, .lookups = 20000, .proc_lookups = 2000,
	.pid_lookups = 10 };

static struct end *ends;
static size_t n_ends;
static size_t *targets;
static int diag_fd;
static uint32_t diag_seq;
static char *proc_buf;
static size_t proc_cap, proc_len;
static uint64_t pid_dirs, pid_links;	/* what pidscan went through */
static int first_error;			/* the first failure's -errno */
static uint64_t rng = 0x2545f4914f6cdd1dull;	/* splitmix64(): targets */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_owner: out of memory\n");
		exit(1);
	}
	return p;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_owner: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void note_error(int err)
{
	if (!first_error)
		first_error = err;
}

/* --- the sockets ---------------------------------------------------------- */

/* One fd a socket and a few for us; as root the hard limit moves too. */
static void raise_nofile(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fail("getrlimit");
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fail("setrlimit RLIMIT_NOFILE");
}

static void get_end(int fd, struct end *e)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct stat st;

	memset(e, 0, sizeof(*e));
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		fail("getsockname");
	e->local.addr.v4 = a.sin_addr;
	e->local.port = ntohs(a.sin_port);
	len = sizeof(a);
	if (getpeername(fd, (struct sockaddr *)&a, &len) < 0)
		fail("getpeername");
	e->remote.addr.v4 = a.sin_addr;
	e->remote.port = ntohs(a.sin_port);
	if (fstat(fd, &st) < 0)
		fail("fstat");
	e->inode = (uint32_t)st.st_ino;
}

/*
 * Connect and accept one at a time: on loopback connect() returns with
 * the handshake done, so the accept queue never holds more than one and
 * no SYN is ever dropped. The fds stay open until exit.
 */
static void open_sockets(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	size_t i;
	int l, c, s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		fail("socket");
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    listen(l, 16) < 0)
		fail("listener on 127.0.0.1");
	n_ends = o.sockets;
	ends = xcalloc(n_ends, sizeof(*ends));
	for (i = 0; i < n_ends; i += 2) {
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			fail("socket");
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			fail("connect to 127.0.0.1 (is lo up?)");
		s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0)
			fail("accept");
		get_end(c, &ends[i]);
		get_end(s, &ends[i + 1]);
	}
}

/* --- sock_diag ------------------------------------------------------------ */

/* One exact lookup; true with *a for e's socket. */
static bool diag_ask(const struct end *e, struct sockdiag_answer *a)
{
	uint8_t buf[8192];
	size_t len;
	ssize_t r;
	int ret;

	len = sockdiag_request(buf, sizeof(buf), ++diag_seq, AF_INET,
			       IPPROTO_TCP, &e->local, &e->remote);
	if (send(diag_fd, buf, len, 0) != (ssize_t)len) {
		note_error(-errno);
		return false;
	}
	r = recv(diag_fd, buf, sizeof(buf), 0);
	if (r < 0) {
		note_error(-errno);
		return false;
	}
	/* an exact request has one message for an answer, not a dump */
	ret = sockdiag_parse(buf, (size_t)r, a);
	if (ret != 1) {
		note_error(ret ? ret : -ENOENT);
		return false;
	}
	return ((struct nlmsghdr *)buf)->nlmsg_seq == diag_seq &&
	       a->inode == e->inode;
}

static bool diag_lookup(const struct end *e)
{
	struct sockdiag_answer a;

	return diag_ask(e, &a);
}

static struct procfs *procfs;

static bool owner_lookup(const struct end *e)
{
	struct sockdiag_answer a;
	struct flow_owner fo = { 0 };

	return diag_ask(e, &a) &&
	       procfs_owner(procfs, a.inode, a.uid, &fo) &&
	       fo.pid == (uint32_t)getpid();
}

/* --- /proc/net/tcp -------------------------------------------------------- */

/* Reads /proc/net/tcp whole into proc_buf; false on error. */
static bool proc_read(void)
{
	ssize_t r;
	int fd;

	fd = open(PROC_TCP, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		note_error(-errno);
		return false;
	}
	proc_len = 0;
	for (;;) {
		if (proc_len + 1 >= proc_cap) {
			proc_cap = proc_cap ? 2 * proc_cap : 1 << 21;
			proc_buf = realloc(proc_buf, proc_cap);
			if (!proc_buf) {
				fprintf(stderr, "bench_owner: out of memory\n");
				exit(1);
			}
		}
		r = read(fd, proc_buf + proc_len, proc_cap - proc_len - 1);
		if (r <= 0)
			break;
		proc_len += (size_t)r;
	}
	if (r < 0)
		note_error(-errno);
	close(fd);
	proc_buf[proc_len] = '\0';
	return r == 0;
}

static const char *hex32(const char *p, uint32_t *v)
{
	uint32_t x = 0;
	int d;

	for (;; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return p;
}

static const char *skip_fields(const char *p, int n)
{
	while (n--) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	while (*p == ' ')
		p++;
	return p;
}

/*
 * The kernel writes each end as %08X:%04X: the address is the __be32
 * as the CPU reads it (so it equals s_addr), the port in host order.
 * Fields after "sl:": local, remote, st, tx:rx, tr:when, retrnsmt, uid,
 * timeout, inode.
 */
static bool proc_lookup(const struct end *e)
{
	const char *p, *eol;
	uint32_t la, lp, ra, rp;

	if (!proc_read())
		return false;
	p = strchr(proc_buf, '\n');	/* the header */
	while (p && *++p) {
		eol = strchr(p, '\n');
		p = skip_fields(p, 1);
		p = hex32(p, &la);
		p = hex32(p + 1, &lp);
		p = hex32(p + 1, &ra);
		p = hex32(p + 1, &rp);
		if (la == e->local.addr.v4.s_addr && lp == e->local.port &&
		    ra == e->remote.addr.v4.s_addr && rp == e->remote.port)
			return strtoul(skip_fields(p, 6), NULL, 10) == e->inode;
		p = eol;
	}
	note_error(-ENOENT);
	return false;
}

/* --- inode -> pid --------------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The first process in /proc with an fd linked to want; its pid or 0. */
static long pid_in(DIR *proc, const char *want, size_t want_len)
{
	char path[sizeof("/proc//fd") + 256], link[64];
	struct dirent *de, *fe;
	DIR *fds;
	ssize_t n;

	while ((de = readdir(proc))) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		if (!fds)
			continue;	/* gone, or a kernel thread's */
		pid_dirs++;
		while ((fe = readdir(fds))) {
			if (fe->d_name[0] == '.')
				continue;
			pid_links++;
			n = readlinkat(dirfd(fds), fe->d_name, link,
				       sizeof(link));
			if (n == (ssize_t)want_len &&
			    !memcmp(link, want, want_len)) {
				closedir(fds);
				return strtol(de->d_name, NULL, 10);
			}
		}
		closedir(fds);
	}
	return 0;
}

static bool pid_lookup(const struct end *e)
{
	char want[32];
	DIR *proc;
	long pid;
	int n;

	n = snprintf(want, sizeof(want), "socket:[%u]", e->inode);
	proc = opendir("/proc");
	if (!proc) {
		note_error(-errno);
		return false;
	}
	pid = pid_in(proc, want, (size_t)n);
	closedir(proc);
	if (!pid)
		note_error(-ENOENT);
	return pid == getpid();
}

/* --- timing and the report ------------------------------------------------ */

static void run(struct method *m)
{
	size_t i, warm = m->n < WARMUP ? m->n : WARMUP;
	double *ns = xcalloc(m->n, sizeof(*ns)), t0, t1, a;

	for (i = 0; i < warm; i++)
		m->lookup(&ends[targets[i]]);
	pid_dirs = pid_links = 0;
	first_error = 0;
	t0 = now_ns();
	for (i = 0; i < m->n; i++) {
		a = now_ns();
		if (!m->lookup(&ends[targets[i]]))
			m->wrong++;
		ns[i] = now_ns() - a;
	}
	t1 = now_ns();
	m->per_s = (double)m->n / ((t1 - t0) / 1e9);
	m->median_us = median(ns, m->n) / 1e3;
	/* median() left ns sorted; p99 by nearest rank: the smallest
	 * value with 99% at or below it */
	m->p99_us = ns[(m->n * 99 + 99) / 100 - 1] / 1e3;
	if (m->wrong)
		fprintf(stderr, "bench_owner: %s: %zu of %zu lookups failed "
			"or answered wrongly (first error: %s)\n", m->name,
			m->wrong, m->n, first_error ? strerror(-first_error) :
			"none, a wrong answer");
	free(ns);
}

static void kv(const char *method, const char *figure, double v)
{
	if (o.kv)
		fprintf(o.kv, "owner %s %s %.4f\n", method, figure, v);
}

static void report(const struct method *m)
{
	printf("owner_%s lookups=%zu lookups_per_s=%.0f median_us=%.2f "
	       "p99_us=%.2f wrong=%zu", m->key, m->n, m->per_s, m->median_us,
	       m->p99_us, m->wrong);
	kv(m->key, "lookups_per_s", m->per_s);
	kv(m->key, "median_us", m->median_us);
	kv(m->key, "p99_us", m->p99_us);
	if (m->lookup == pid_lookup && m->n)
		printf(" fd_dirs_per_lookup=%.0f readlinks_per_lookup=%.0f",
		       (double)pid_dirs / (double)m->n,
		       (double)pid_links / (double)m->n);
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_owner [--sockets N] [--lookups M] "
		"[--proc-lookups P] [--pid-lookups K] [--kv FILE]\n"
		"  N even, 2..%d; P and K at most M; run it in a fresh "
		"network namespace\n",
		MAX_SOCKETS);
	exit(2);
}

int main(int argc, char **argv)
{
	struct method m[] = {
		{ .key = "sockdiag", .name = "sock_diag exact",
		  .lookup = diag_lookup },
		{ .key = "procscan", .name = PROC_TCP " scan",
		  .lookup = proc_lookup },
		{ .key = "pidscan", .name = "/proc/PID/fd scan",
		  .lookup = pid_lookup },
		{ .key = "owner", .name = "sock_diag + daemon/procfs.c",
		  .lookup = owner_lookup },
	};
	size_t i, lines = 0;
	double t0, setup_ms, ratio[3];
	int a, rc = 0;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = argv[a + 1];

		if (!val)
			usage();
		if (!strcmp(arg, "--sockets"))
			o.sockets = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--lookups"))
			o.lookups = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--proc-lookups"))
			o.proc_lookups = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--pid-lookups"))
			o.pid_lookups = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--kv")) {
			o.kv = fopen(val, "w");
			if (!o.kv) {
				perror(val);
				return 2;
			}
		} else
			usage();
		a++;
	}
	if (o.sockets < 2 || o.sockets > MAX_SOCKETS || o.sockets % 2 ||
	    o.lookups < 1 || o.proc_lookups < 1 ||
	    o.proc_lookups > o.lookups || o.pid_lookups > o.lookups)
		usage();

	raise_nofile(o.sockets);
	t0 = now_ns();
	open_sockets();
	setup_ms = (now_ns() - t0) / 1e6;
	targets = xcalloc(o.lookups, sizeof(*targets));
	for (i = 0; i < o.lookups; i++)
		targets[i] = splitmix64(&rng) % n_ends;
	diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			 NETLINK_SOCK_DIAG);
	if (diag_fd < 0)
		fail("NETLINK_SOCK_DIAG socket");
	if (!proc_read())
		fail(PROC_TCP);
	for (i = 0; i < proc_len; i++)
		lines += proc_buf[i] == '\n';
	printf("bench_owner: %ld CPUs online; %zu sockets + a listener "
	       "opened in %.0f ms; %s: %zu lines, %zu bytes; %zu targets\n",
	       sysconf(_SC_NPROCESSORS_ONLN), n_ends, setup_ms, PROC_TCP,
	       lines ? lines - 1 : 0, proc_len, o.lookups);
	fflush(stdout);

	m[0].n = o.lookups;
	m[1].n = o.proc_lookups;
	m[2].n = o.pid_lookups;
	m[3].n = o.lookups;
	if (procfs_open(&procfs) < 0)
		fail("procfs_open");
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (!m[i].n)
			continue;
		run(&m[i]);
		report(&m[i]);
		fflush(stdout);
		if (m[i].wrong)
			rc = 1;
	}
	/* times over times: mean is the inverse of the lookups/s ratio */
	ratio[0] = m[1].median_us / m[0].median_us;
	ratio[1] = m[1].p99_us / m[0].p99_us;
	ratio[2] = m[0].per_s / m[1].per_s;
	printf("owner_ratio procscan_over_sockdiag median=%.0f p99=%.0f "
	       "mean=%.0f\n", ratio[0], ratio[1], ratio[2]);
	kv("procscan_over_sockdiag", "median", ratio[0]);
	kv("procscan_over_sockdiag", "p99", ratio[1]);
	kv("procscan_over_sockdiag", "mean", ratio[2]);

	if (o.kv)
		fclose(o.kv);
	procfs_close(procfs);
	close(diag_fd);
	free(proc_buf);
	free(targets);
	free(ends);
	return rc;
}

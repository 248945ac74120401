// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctdump: the floor that flowcached's conntrack mirror is measured
 * against -- a libmnl loop that reads ctnetlink and only counts.
 *
 * Build (bench/build.sh does the same):
 *   gcc -O2 -Wall -Wextra bench/ctdump.c \
 *       $(pkg-config --cflags --libs libmnl libnetfilter_conntrack) \
 *       -o bench/ctdump
 *
 * Dump mode (default): one IPCTNL_MSG_CT_GET request with NLM_F_DUMP and
 * nfgen_family AF_UNSPEC (every family) and no CTA_ZONE (every zone),
 * then receive until NLMSG_DONE, counting the entries with mnl_cb_run()
 * and a callback that does nothing else. Each receive takes one
 * datagram; the kernel fills a dump datagram up to the size of the
 * largest receive it has seen (capped at 32 KiB), so the buffer is
 * 32 KiB. The dump is flow-controlled by the kernel (the
 * next datagram is built when we read), so the receive buffer size does
 * not matter for it; it is set anyway, as a real mirror would.
 * Prints "ctdump: entries=N seconds=S rate=R".
 *
 * Dump mode with --parse nfct: each entry also goes through what
 * flowcached's daemon/ctsync.c does to read one, nfct_new() +
 * nfct_nlmsg_parse() + nfct_destroy() of libnetfilter_conntrack, and
 * nothing else: the floor of a mirror that parses that way, to split its
 * time into "reading", "parsing" and "the rest". With --parse mnl, each
 * entry is parsed with libmnl alone into what a mirror keeps (both
 * tuples, zone, id, mark, status, TCP state), no allocation: the floor
 * of a lean parser.
 *
 * Event mode (--events): subscribe to the NEW and DESTROY groups (and
 * UPDATE with --update) with a receive buffer of --rcvbuf bytes set the
 * way flowcached sets its own (SO_RCVBUFFORCE, which the kernel doubles),
 * and count: new, update, destroy events, ENOBUFS reports (each one
 * means "one or more events were dropped"), and the socket's own drop
 * counter (SO_MEMINFO, SK_MEMINFO_DROPS: the number of events the kernel
 * could not queue). recvmmsg() of up to 64 datagrams per call, the
 * cheapest way to read events. Nothing else is done with them. Prints
 * one line of key=value counters on SIGUSR1 (and goes on) and on
 * SIGTERM/SIGINT or after --seconds (and exits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define DUMP_BUF	32768	/* libmnl >= 1.0.5: MNL_SOCKET_DUMP_SIZE */
#define RECV_BATCH	64
#define EVENT_SLOT	4096	/* one event datagram: one message, < 1 KiB */

struct opts {
	bool events;
	bool update;
	int parse;		/* PARSE_* */
	int rcvbuf;
	double seconds;
};

enum { PARSE_NONE, PARSE_NFCT, PARSE_MNL };

struct counters {
	uint64_t entries;	/* dump: entries */
	uint64_t parse_errors;	/* dump --parse: entries not understood */
	uint64_t new, update, destroy, other;
	uint64_t recvs;		/* receive calls that returned data */
	uint64_t enobufs;	/* overruns reported */
};

static struct opts opt;
static struct counters cnt;
static volatile sig_atomic_t stop_req, dump_req;

static void on_stop(int sig) { (void)sig; stop_req = 1; }
static void on_dump(int sig) { (void)sig; dump_req = 1; }

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ctdump [--parse nfct|mnl] [--rcvbuf BYTES]\n"
"       ctdump --events [--update] [--rcvbuf BYTES] [--seconds S]\n"
"Dump the conntrack table (all families, all zones) and count the\n"
"entries; or listen to conntrack events and count them.\n"
"  -p, --parse HOW      dump: parse each entry too; nfct: as flowcached,\n"
"                       nfct_new + nfct_nlmsg_parse + nfct_destroy; mnl:\n"
"                       libmnl only, the fields a mirror keeps\n"
"  -e, --events         count events instead of dumping\n"
"  -u, --update         with --events: subscribe to UPDATE events too\n"
"  -b, --rcvbuf BYTES   receive buffer, set with SO_RCVBUFFORCE (dump:\n"
"                       8 MiB; events: 212992, the kernel's default)\n"
"  -s, --seconds S      with --events: exit after S seconds (3600)\n"
"Event mode prints its counters on SIGUSR1, SIGTERM and at the end.\n");
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "events", no_argument, NULL, 'e' },
		{ "update", no_argument, NULL, 'u' },
		{ "parse", required_argument, NULL, 'p' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	char *end;
	int c;

	opt = (struct opts){ .seconds = 3600 };
	while ((c = getopt_long(argc, argv, "eup:b:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'e': opt.events = true; break;
		case 'u': opt.update = true; break;
		case 'p':
			if (!strcmp(optarg, "nfct"))
				opt.parse = PARSE_NFCT;
			else if (!strcmp(optarg, "mnl"))
				opt.parse = PARSE_MNL;
			else {
				fprintf(stderr, "ctdump: --parse nfct or mnl\n");
				exit(2);
			}
			break;
		case 'b':
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg || !v || v > 1ul << 30) {
				fprintf(stderr, "ctdump: bad rcvbuf '%s' (1..2^30)\n",
					optarg);
				exit(2);
			}
			opt.rcvbuf = (int)v;
			break;
		case 's':
			opt.seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(opt.seconds > 0) ||
			    opt.seconds > 86400) {
				fprintf(stderr, "ctdump: bad seconds '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc || (opt.update && !opt.events) ||
	    (opt.parse && opt.events)) {
		usage(stderr);
		exit(2);
	}
	if (!opt.rcvbuf)
		opt.rcvbuf = opt.events ? 212992 : 8 << 20;
}

static struct mnl_socket *open_socket(unsigned int groups)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (!nl || mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ctdump: netlink socket: %s\n", strerror(errno));
		exit(1);
	}
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &opt.rcvbuf, sizeof(opt.rcvbuf)) < 0)
		fprintf(stderr, "ctdump: SO_RCVBUFFORCE %d: %s\n", opt.rcvbuf,
			strerror(errno));
	return nl;
}

static int effective_rcvbuf(struct mnl_socket *nl)
{
	int v = 0;
	socklen_t len = sizeof(v);

	getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &v, &len);
	return v;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	cnt.entries++;
	return MNL_CB_OK;
}

static int parse_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nf_conntrack *ct = nfct_new();

	(void)data;
	cnt.entries++;
	if (!ct || nfct_nlmsg_parse(nlh, ct) < 0)
		cnt.parse_errors++;
	if (ct)
		nfct_destroy(ct);
	return MNL_CB_OK;
}

/* What a mirror keeps of one entry; written to a global so that the
 * compiler cannot drop the parse. */
struct lean_tuple {
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};
struct lean_entry {
	struct lean_tuple orig, reply;
	uint32_t id, mark, status;
	uint16_t zone;
	uint8_t tcp_state;
};
static struct lean_entry lean_sink;

struct attrs {
	const struct nlattr *a[CTA_MAX + 1];
	unsigned int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->a[type] = attr;
	return MNL_CB_OK;
}

static bool nested(const struct nlattr *attr, unsigned int max,
		   struct attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->max = max;
	return attr && mnl_attr_parse_nested(attr, attr_cb, out) >= 0;
}

static bool lean_tuple(const struct nlattr *attr, uint8_t family,
		       struct lean_tuple *t)
{
	struct attrs tu, ip, l4;
	size_t alen = family == AF_INET6 ? 16 : 4;
	int s = family == AF_INET6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC;
	int d = family == AF_INET6 ? CTA_IP_V6_DST : CTA_IP_V4_DST;

	if (!nested(attr, CTA_TUPLE_MAX, &tu) ||
	    !nested(tu.a[CTA_TUPLE_IP], CTA_IP_MAX, &ip) ||
	    !nested(tu.a[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &l4) ||
	    !ip.a[s] || !ip.a[d] || !l4.a[CTA_PROTO_NUM] ||
	    mnl_attr_get_payload_len(ip.a[s]) < alen ||
	    mnl_attr_get_payload_len(ip.a[d]) < alen)
		return false;
	t->family = family;
	memcpy(t->src, mnl_attr_get_payload(ip.a[s]), alen);
	memcpy(t->dst, mnl_attr_get_payload(ip.a[d]), alen);
	t->proto = mnl_attr_get_u8(l4.a[CTA_PROTO_NUM]);
	if (l4.a[CTA_PROTO_SRC_PORT] && l4.a[CTA_PROTO_DST_PORT]) {
		t->sport = ntohs(mnl_attr_get_u16(l4.a[CTA_PROTO_SRC_PORT]));
		t->dport = ntohs(mnl_attr_get_u16(l4.a[CTA_PROTO_DST_PORT]));
	}
	return true;
}

static int lean_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct lean_entry e = { 0 };
	struct attrs top = { .max = CTA_MAX }, pi, tcp;

	(void)data;
	cnt.entries++;
	if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, &top) < 0 ||
	    !lean_tuple(top.a[CTA_TUPLE_ORIG], nfg->nfgen_family, &e.orig) ||
	    !lean_tuple(top.a[CTA_TUPLE_REPLY], nfg->nfgen_family, &e.reply)) {
		cnt.parse_errors++;
		return MNL_CB_OK;
	}
	if (top.a[CTA_ZONE])
		e.zone = ntohs(mnl_attr_get_u16(top.a[CTA_ZONE]));
	if (top.a[CTA_ID])
		e.id = ntohl(mnl_attr_get_u32(top.a[CTA_ID]));
	if (top.a[CTA_MARK])
		e.mark = ntohl(mnl_attr_get_u32(top.a[CTA_MARK]));
	if (top.a[CTA_STATUS])
		e.status = ntohl(mnl_attr_get_u32(top.a[CTA_STATUS]));
	if (nested(top.a[CTA_PROTOINFO], CTA_PROTOINFO_MAX, &pi) &&
	    nested(pi.a[CTA_PROTOINFO_TCP], CTA_PROTOINFO_TCP_MAX, &tcp) &&
	    tcp.a[CTA_PROTOINFO_TCP_STATE])
		e.tcp_state = mnl_attr_get_u8(tcp.a[CTA_PROTOINFO_TCP_STATE]);
	lean_sink = e;
	return MNL_CB_OK;
}

static int dump(void)
{
	static char buf[DUMP_BUF] __attribute__((aligned(8)));
	struct mnl_socket *nl = open_socket(0);
	unsigned int portid = mnl_socket_get_portid(nl);
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	double t0, t1;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	t0 = now_s();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "ctdump: send: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ctdump: receive: %s\n", strerror(errno));
			return 1;
		}
		cnt.recvs++;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid,
				 opt.parse == PARSE_NFCT ? parse_cb :
				 opt.parse == PARSE_MNL ? lean_cb : count_cb,
				 NULL);
		if (ret < 0) {
			fprintf(stderr, "ctdump: dump: %s\n", strerror(errno));
			return 1;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
	t1 = now_s();
	printf("ctdump: entries=%llu seconds=%.3f rate=%.0f recvs=%llu "
	       "rcvbuf=%d parse=%s parse_errors=%llu\n",
	       (unsigned long long)cnt.entries, t1 - t0,
	       t1 > t0 ? (double)cnt.entries / (t1 - t0) : 0.0,
	       (unsigned long long)cnt.recvs, effective_rcvbuf(nl),
	       opt.parse == PARSE_NFCT ? "nfct" :
	       opt.parse == PARSE_MNL ? "mnl" : "none",
	       (unsigned long long)cnt.parse_errors);
	mnl_socket_close(nl);
	return 0;
}

static uint32_t sock_drops(struct mnl_socket *nl)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_MEMINFO, mem,
		       &len) < 0 || len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static void report(struct mnl_socket *nl, double t0)
{
	struct rusage ru;
	double user, sys, wall = now_s() - t0;

	getrusage(RUSAGE_SELF, &ru);
	user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("ctdump: events new=%llu update=%llu destroy=%llu other=%llu "
	       "enobufs=%llu drops=%u recvs=%llu rcvbuf=%d wall_s=%.3f "
	       "user_s=%.3f sys_s=%.3f\n",
	       (unsigned long long)cnt.new, (unsigned long long)cnt.update,
	       (unsigned long long)cnt.destroy, (unsigned long long)cnt.other,
	       (unsigned long long)cnt.enobufs, sock_drops(nl),
	       (unsigned long long)cnt.recvs, effective_rcvbuf(nl), wall, user,
	       sys);
	fflush(stdout);
}

static void count_event(const struct nlmsghdr *nlh)
{
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK) {
		cnt.other++;
		return;
	}
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		if (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL))
			cnt.new++;
		else
			cnt.update++;
		break;
	case IPCTNL_MSG_CT_DELETE:
		cnt.destroy++;
		break;
	default:
		cnt.other++;
		break;
	}
}

static int events(void)
{
	static char slots[RECV_BATCH][EVENT_SLOT] __attribute__((aligned(8)));
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	struct sigaction sa = { 0 };
	struct mnl_socket *nl;
	unsigned int groups;
	double t0, deadline;
	int fd, i;

	groups = (1u << (NFNLGRP_CONNTRACK_NEW - 1)) |
		 (1u << (NFNLGRP_CONNTRACK_DESTROY - 1));
	if (opt.update)
		groups |= 1u << (NFNLGRP_CONNTRACK_UPDATE - 1);
	nl = open_socket(groups);
	fd = mnl_socket_get_fd(nl);
	/* the blocking receive wakes at least every 200 ms to see the clock */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* no SA_RESTART: a signal ends the blocking receive at once */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_dump;
	sigaction(SIGUSR1, &sa, NULL);

	for (i = 0; i < RECV_BATCH; i++) {
		iov[i].iov_base = slots[i];
		iov[i].iov_len = EVENT_SLOT;
	}
	fprintf(stderr, "ctdump: listening, rcvbuf %d (asked %d)\n",
		effective_rcvbuf(nl), opt.rcvbuf);
	t0 = now_s();
	deadline = t0 + opt.seconds;
	while (!stop_req && now_s() < deadline) {
		int n;

		if (dump_req) {
			dump_req = 0;
			report(nl, t0);
		}
		for (i = 0; i < RECV_BATCH; i++)
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
							   .msg_iovlen = 1 };
		n = recvmmsg(fd, msgs, RECV_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == ENOBUFS)
				cnt.enobufs++;
			else if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "ctdump: receive: %s\n",
					strerror(errno));
				return 1;
			}
			continue;
		}
		cnt.recvs++;
		for (i = 0; i < n; i++) {
			const struct nlmsghdr *nlh = iov[i].iov_base;
			int len = (int)msgs[i].msg_len;

			for (; mnl_nlmsg_ok(nlh, len);
			     nlh = mnl_nlmsg_next(nlh, &len))
				count_event(nlh);
		}
	}
	report(nl, t0);
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	return opt.events ? events() : dump();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctfill: create (or delete, or change the marks of) N conntrack entries
 * through ctnetlink, fast or at a given rate -- the filler for
 * bench/ctsync.sh and bench/cli.sh and the event source for
 * bench/ctevents.sh.
 *
 * Build (bench/build.sh does the same):
 *   gcc -O2 -Wall -Wextra bench/ctfill.c \
 *       $(pkg-config --cflags --libs libmnl) -o bench/ctfill
 *
 * Entry i (0 <= i < 2^24) is a function of i alone, so that a later
 * `ctfill --delete` or `--update` with the same options finds the same
 * entries:
 *   h       i * 2654435761 mod 2^32 (Knuth's multiplicative hash), so
 *           that family, protocol and zone vary independently
 *   family  IPv6 when --v6 K > 0 and (h >> 8) % K == 0, else IPv4
 *   proto   TCP (ESTABLISHED) when --tcp K > 0 and (h >> 16) % K == 0,
 *           else UDP
 *   zone    zones[(h >> 24) % nzones]             (--zones 0,1,2,3)
 *   orig    10.A.B.C:sport -> 172.16.0.1:53|443   (A.B.C = i)
 *           fd00::i:sport  -> fd00:ffff::1:53|443
 *   reply   the original, inverted; status SEEN_REPLY|ASSURED
 *   mark    --mark M (0: none), e.g. the mark a daemon would have saved
 *   timeout --timeout seconds (one day), so nothing expires during a run
 *
 * --update changes the mark of existing entries instead: the bits of
 * --mark-mask become those of --mark, as a mark-saving daemon does
 * (CTA_MARK_MASK; conntrack -U cannot do it for many entries, see
 * bench/cli.sh).
 *
 * Requests go out without NLM_F_ACK, --batch of them in one sendmsg():
 * nfnetlink handles every message of the datagram before sendmsg()
 * returns, and answers only the ones that failed, so after each send
 * the socket is drained without blocking and the errors are counted by
 * errno (EEXIST: already there; ENOENT on delete: already gone; ENOMEM:
 * nf_conntrack_max reached).
 *
 * With --rate R the batches are spaced on an absolute monotonic
 * schedule (batches shrink so that one covers at least ~0.5 ms); without
 * it ctfill sends as fast as the kernel takes them. Each event that the
 * kernel sends to listeners is produced inside our sendmsg(), so the
 * achieved rate is the event rate.
 *
 * Prints one line of key=value counters at the end; exit 0 when every
 * request was answered with success or with EEXIST/ENOENT (the entry was
 * already in the wanted state; not so for ENOENT on --update), 1
 * otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#define MAX_ZONES	64
#define MAX_BATCH	1024
#define MSG_MAX		256	/* one request, IPv6 TCP, with room */
#define INDEX_LIMIT	(1u << 24)

struct opts {
	uint32_t start, count;
	uint16_t zones[MAX_ZONES];
	unsigned int nzones;
	unsigned int v6_every, tcp_every;
	uint32_t timeout;
	uint32_t mark, mark_mask;
	unsigned int batch;
	double rate;
	bool del;
	bool update;
	bool quiet;
};

struct counters {
	uint64_t sent;		/* requests sent */
	uint64_t sends;		/* sendmsg() calls */
	uint64_t ok;		/* requests without an error answer */
	uint64_t eexist, enoent, enomem, other;
	uint64_t enobufs;	/* error answers lost: our own buffer overran */
	int first_other;	/* errno of the first unexpected error */
};

static struct opts opt;
static struct counters cnt;
static struct mnl_socket *nl;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ctfill [OPTIONS]\n"
"Create (or delete, or update) conntrack entries through ctnetlink in\n"
"batches.\n"
"  -n, --count N        entries (100000)\n"
"      --start I        index of the first entry (0); indexes < 2^24\n"
"  -z, --zones LIST     conntrack zones, comma separated (0,1,2,3)\n"
"      --v6 K           every K-th entry IPv6, 0: none (4)\n"
"      --tcp K          every K-th entry TCP, 0: none (2)\n"
"  -t, --timeout S      entry timeout in seconds (86400)\n"
"  -m, --mark M         ct mark of the created entries (0)\n"
"  -u, --update         set the bits of --mark-mask in the entries' marks\n"
"                       to those of --mark instead of creating them\n"
"      --mark-mask M    the bits --update changes (0xffffffff)\n"
"  -b, --batch N        requests per sendmsg(), 1..%d (256)\n"
"  -r, --rate R         requests per second, 0: as fast as possible (0)\n"
"  -d, --delete         delete the entries instead of creating them\n"
"  -q, --quiet          no progress line on stderr\n"
"Prints key=value counters at the end.\n", MAX_BATCH);
}

static unsigned long parse_ul(const char *s, const char *what,
			      unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "ctfill: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_zones(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		exit(1);
	opt.nzones = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (opt.nzones == MAX_ZONES) {
			fprintf(stderr, "ctfill: at most %d zones\n", MAX_ZONES);
			exit(2);
		}
		opt.zones[opt.nzones++] = (uint16_t)parse_ul(tok, "zone", 65535);
	}
	free(copy);
	if (!opt.nzones) {
		fprintf(stderr, "ctfill: no zone in '%s'\n", s);
		exit(2);
	}
}

static void parse_opts(int argc, char **argv)
{
	enum { O_START = 256, O_V6, O_TCP, O_MARK_MASK };
	static const struct option lopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, O_START },
		{ "zones", required_argument, NULL, 'z' },
		{ "v6", required_argument, NULL, O_V6 },
		{ "tcp", required_argument, NULL, O_TCP },
		{ "timeout", required_argument, NULL, 't' },
		{ "mark", required_argument, NULL, 'm' },
		{ "mark-mask", required_argument, NULL, O_MARK_MASK },
		{ "update", no_argument, NULL, 'u' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "delete", no_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	opt = (struct opts){ .count = 100000, .v6_every = 4, .tcp_every = 2,
			     .timeout = 86400, .batch = 256,
			     .mark_mask = UINT32_MAX };
	parse_zones("0,1,2,3");
	while ((c = getopt_long(argc, argv, "n:z:t:m:ub:r:dqh", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'n': opt.count = (uint32_t)parse_ul(optarg, "count", INDEX_LIMIT); break;
		case O_START: opt.start = (uint32_t)parse_ul(optarg, "start", INDEX_LIMIT); break;
		case 'z': parse_zones(optarg); break;
		case O_V6: opt.v6_every = (unsigned int)parse_ul(optarg, "v6", 1u << 20); break;
		case O_TCP: opt.tcp_every = (unsigned int)parse_ul(optarg, "tcp", 1u << 20); break;
		case 't': opt.timeout = (uint32_t)parse_ul(optarg, "timeout", 1u << 30); break;
		case 'm': opt.mark = (uint32_t)parse_ul(optarg, "mark", UINT32_MAX); break;
		case O_MARK_MASK: opt.mark_mask = (uint32_t)parse_ul(optarg, "mark mask", UINT32_MAX); break;
		case 'u': opt.update = true; break;
		case 'b':
			opt.batch = (unsigned int)parse_ul(optarg, "batch", MAX_BATCH);
			if (!opt.batch) {
				fprintf(stderr, "ctfill: batch must be 1..%d\n", MAX_BATCH);
				exit(2);
			}
			break;
		case 'r':
			opt.rate = strtod(optarg, &end);
			if (*end || end == optarg || opt.rate < 0 || opt.rate > 1e8) {
				fprintf(stderr, "ctfill: bad rate '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'd': opt.del = true; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (opt.update && opt.del) {
		fprintf(stderr, "ctfill: --update or --delete, not both\n");
		exit(2);
	}
	if ((uint64_t)opt.start + opt.count > INDEX_LIMIT) {
		fprintf(stderr, "ctfill: start + count must stay below %u\n",
			INDEX_LIMIT);
		exit(2);
	}
}

/* One tuple (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY) of entry i. */
static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint32_t i,
		      bool v6, uint8_t proto, bool reply)
{
	uint16_t sport = htons((uint16_t)(1024 + i % 60000));
	uint16_t dport = htons(proto == IPPROTO_TCP ? 443 : 53);
	struct nlattr *tuple, *ip, *l4;

	tuple = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v6) {
		struct in6_addr a = { 0 }, b = { 0 };

		a.s6_addr[0] = 0xfd;
		a.s6_addr[13] = (uint8_t)(i >> 16);
		a.s6_addr[14] = (uint8_t)(i >> 8);
		a.s6_addr[15] = (uint8_t)i;
		b.s6_addr[0] = 0xfd;
		b.s6_addr[2] = 0xff;
		b.s6_addr[3] = 0xff;
		b.s6_addr[15] = 1;
		mnl_attr_put(nlh, CTA_IP_V6_SRC, sizeof(a), reply ? &b : &a);
		mnl_attr_put(nlh, CTA_IP_V6_DST, sizeof(a), reply ? &a : &b);
	} else {
		uint32_t a = htonl(0x0a000000u | (i & 0xffffffu));
		uint32_t b = htonl(0xac100001u);

		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, reply ? b : a);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, reply ? a : b);
	}
	mnl_attr_nest_end(nlh, ip);
	l4 = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, reply ? dport : sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, reply ? sport : dport);
	mnl_attr_nest_end(nlh, l4);
	mnl_attr_nest_end(nlh, tuple);
}

/* The request for entry i at buf; returns its aligned length. */
static size_t put_request(char *buf, uint32_t i, uint32_t seq)
{
	uint32_t h = i * 2654435761u;
	bool v6 = opt.v6_every && (h >> 8) % opt.v6_every == 0;
	uint8_t proto = opt.tcp_every && (h >> 16) % opt.tcp_every == 0 ?
			IPPROTO_TCP : IPPROTO_UDP;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (opt.del ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_REQUEST;
	/* an update is a NEW without NLM_F_CREATE: ENOENT when not there */
	if (!opt.del && !opt.update)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	put_tuple(nlh, CTA_TUPLE_ORIG, i, v6, proto, false);
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(opt.zones[(h >> 24) % opt.nzones]));
	if (opt.update) {
		/* the kernel's new mark: (old & ~mask) ^ mark */
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(opt.mark & opt.mark_mask));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(opt.mark_mask));
	} else if (!opt.del) {
		put_tuple(nlh, CTA_TUPLE_REPLY, i, v6, proto, true);
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(opt.timeout));
		if (opt.mark)
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(opt.mark));
		mnl_attr_put_u32(nlh, CTA_STATUS,
				 htonl(IPS_CONFIRMED | IPS_SEEN_REPLY |
				       IPS_ASSURED));
		if (proto == IPPROTO_TCP) {
			struct nlattr *pi, *tcp;

			pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
			tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
					TCP_CONNTRACK_ESTABLISHED);
			mnl_attr_nest_end(nlh, tcp);
			mnl_attr_nest_end(nlh, pi);
		}
	}
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Count the error answers already queued on our socket; never blocks. */
static void drain(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
	int fd = mnl_socket_get_fd(nl);

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == ENOBUFS) {
				cnt.enobufs++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			switch (-e->error) {
			case 0: break;
			case EEXIST: cnt.eexist++; break;
			case ENOENT: cnt.enoent++; break;
			case ENOMEM: cnt.enomem++; break;
			default:
				if (!cnt.other)
					cnt.first_other = -e->error;
				cnt.other++;
				break;
			}
		}
	}
}

static void sleep_until(double t)
{
	struct timespec ts;
	double now = now_s();

	if (t <= now)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t -= now;
	ts.tv_sec += (time_t)t;
	ts.tv_nsec += (long)((t - (double)(time_t)t) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static char buf[MAX_BATCH * MSG_MAX] __attribute__((aligned(8)));
	int sz = 64 << 20;
	unsigned int batch;
	uint32_t i, end, seq = 1;
	double t0, t1, next_report;
	uint64_t errors;

	parse_opts(argc, argv);
	batch = opt.batch;
	if (opt.rate > 0) {
		/* at least ~0.5 ms of requests per batch, at most --batch */
		double b = opt.rate / 2000.0;

		batch = b < 1 ? 1 : b > opt.batch ? opt.batch : (unsigned int)b;
	}

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ctfill: netlink socket: %s\n", strerror(errno));
		return 1;
	}
	/* room for a whole batch going out and its error answers coming back */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		   sizeof(sz));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		   sizeof(sz));

	t0 = now_s();
	next_report = t0 + 1;
	end = opt.start + opt.count;
	for (i = opt.start; i < end;) {
		size_t off = 0;
		uint32_t k, n = end - i < batch ? end - i : batch;

		if (opt.rate > 0)
			sleep_until(t0 + (double)(i - opt.start) / opt.rate);
		for (k = 0; k < n; k++)
			off += put_request(buf + off, i + k, seq++);
		cnt.sends++;
		if (mnl_socket_sendto(nl, buf, off) < 0) {
			fprintf(stderr, "ctfill: sendmsg: %s\n", strerror(errno));
			return 1;
		}
		cnt.sent += n;
		i += n;
		drain();
		if (!opt.quiet && now_s() >= next_report) {
			next_report += 1;
			fprintf(stderr, "ctfill: %llu of %u %s\n",
				(unsigned long long)cnt.sent, opt.count,
				opt.del ? "deleted" : opt.update ? "updated" :
				"created");
		}
	}
	t1 = now_s();
	drain();
	errors = cnt.eexist + cnt.enoent + cnt.enomem + cnt.other;
	cnt.ok = cnt.sent - errors;
	printf("ctfill: op=%s count=%u sent=%llu ok=%llu eexist=%llu "
	       "enoent=%llu enomem=%llu other_errors=%llu first_other=%s "
	       "lost_answers=%llu sends=%llu batch=%u seconds=%.3f rate=%.0f\n",
	       opt.del ? "delete" : opt.update ? "update" : "create", opt.count,
	       (unsigned long long)cnt.sent, (unsigned long long)cnt.ok,
	       (unsigned long long)cnt.eexist, (unsigned long long)cnt.enoent,
	       (unsigned long long)cnt.enomem, (unsigned long long)cnt.other,
	       cnt.other ? strerror(cnt.first_other) : "-",
	       (unsigned long long)cnt.enobufs, (unsigned long long)cnt.sends,
	       batch, t1 - t0, t1 > t0 ? (double)cnt.sent / (t1 - t0) : 0.0);
	mnl_socket_close(nl);
	return cnt.enomem || cnt.other || cnt.enobufs ||
	       (opt.update && cnt.enoent) ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nullq: the fastest null NFQUEUE responder we can write, the peer that
 * flowcached's slow path is measured against. It decides nothing: every
 * packet is accepted.
 *
 * Build (from the top of the tree; bench/build.sh does the same):
 *   gcc -O2 -Wall -Wextra bench/nullq.c \
 *       $(pkg-config --cflags --libs libmnl libnetfilter_queue) -o bench/nullq
 *
 * Set-up mirrors flowcached's daemon/queue.c worker_bind(): bind, copy mode
 * and range, queue length, then each flag (fail-open, GSO, uid/gid) in its
 * own acknowledged request, because a config message with one flag the
 * kernel lacks is refused whole. The receive buffer is sized the same way.
 *
 * The loop: recvmmsg() of up to 64 packet messages (MSG_WAITFORONE: block
 * for the first, take whatever else is already there), then
 *   default       ONE NFQNL_MSG_VERDICT_BATCH: accept every id up to the
 *                 highest one received;
 *   --per-packet  one NFQNL_MSG_VERDICT with NFQA_MARK per packet, all of
 *                 them in one sendmsg() -- the shape of flowcached's
 *                 verdicts, so the cost of per-packet marks shows apart;
 *   --batch-mark  one VERDICT_BATCH that carries NFQA_MARK too: the kernel
 *                 sets that mark on every packet the batch covers, so a
 *                 run of packets with the same verdict and mark needs
 *                 only one message.
 * The packet id is read straight from NFQA_PACKET_HDR, which the kernel
 * always puts first; other attributes are not parsed.
 *
 * On SIGTERM/SIGINT, or after --seconds (default 600, a safety bound),
 * it prints one line of key=value counters and exits; SIGUSR1 prints the
 * line and goes on. CPU time comes from getrusage(RUSAGE_SELF).
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
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define BATCH_MAX	64
#define MODE_NAME	(opt.per_packet ? "per-packet" : opt.batch_mark ? \
			 "batch-mark" : "batch")
#define MSG_OVERHEAD	1024	/* same slot size as flowcached */
#define VERDICT_SIZE	64	/* nlmsghdr + nfgenmsg + verdict + mark */

struct opts {
	uint16_t queue;
	unsigned int copy_range;
	unsigned int maxlen;
	unsigned int batch;
	bool per_packet;
	bool batch_mark;
	uint32_t mark;
	double seconds;
	int rcvbuf;
	bool fail_open, gso, uid_gid;
};

struct counters {
	uint64_t packets;	/* packet messages handled */
	uint64_t recv_calls;	/* recvmmsg() calls that returned packets */
	uint64_t verdict_msgs;	/* verdict messages sent */
	uint64_t sends;		/* sendmsg() calls */
	uint64_t send_errors;	/* sendmsg() failures */
	uint64_t verdict_errors; /* NLMSG_ERROR answers to our verdicts */
	uint64_t enobufs;	/* receive overruns reported */
	uint64_t id_gaps;	/* ids skipped: failed open or dropped */
	uint64_t truncated;	/* messages larger than a slot */
};

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
"Usage: nullq [OPTIONS]\n"
"A null NFQUEUE responder: accepts every packet, as fast as it can.\n"
"  -q, --queue N        queue number (0)\n"
"  -r, --copy-range B   bytes of each packet copied (256)\n"
"  -l, --maxlen N       kernel queue length (4096)\n"
"  -b, --batch N        messages per recvmmsg(), 1..64 (64)\n"
"  -p, --per-packet     one NFQNL_MSG_VERDICT with a mark per packet (all\n"
"                       in one sendmsg) instead of one VERDICT_BATCH\n"
"      --batch-mark     one VERDICT_BATCH carrying NFQA_MARK per receive\n"
"  -m, --mark M         mark set with --per-packet/--batch-mark (0x10000)\n"
"  -s, --seconds S      exit after S seconds (600; a safety bound)\n"
"      --rcvbuf BYTES   socket receive buffer (as flowcached: maxlen *\n"
"                       (copy_range + 512), 1..64 MiB)\n"
"      --no-fail-open   do not set NFQA_CFG_F_FAIL_OPEN\n"
"      --no-gso         do not set NFQA_CFG_F_GSO\n"
"      --no-uid-gid     do not set NFQA_CFG_F_UID_GID\n"
"Prints key=value counters and CPU time on SIGTERM/SIGINT or at the end;\n"
"SIGUSR1 prints them and goes on.\n");
}

static unsigned long parse_ul(const char *s, const char *what,
			      unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "nullq: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_RCVBUF = 256, O_NO_FAIL_OPEN, O_NO_GSO, O_NO_UID_GID,
	       O_BATCH_MARK };
	static const struct option lopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "copy-range", required_argument, NULL, 'r' },
		{ "maxlen", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },
		{ "per-packet", no_argument, NULL, 'p' },
		{ "batch-mark", no_argument, NULL, O_BATCH_MARK },
		{ "mark", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, O_RCVBUF },
		{ "no-fail-open", no_argument, NULL, O_NO_FAIL_OPEN },
		{ "no-gso", no_argument, NULL, O_NO_GSO },
		{ "no-uid-gid", no_argument, NULL, O_NO_UID_GID },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	*o = (struct opts){ .copy_range = 256, .maxlen = 4096,
			    .batch = BATCH_MAX, .mark = 0x10000,
			    .seconds = 600, .fail_open = true, .gso = true,
			    .uid_gid = true };
	while ((c = getopt_long(argc, argv, "q:r:l:b:pm:s:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'q': o->queue = (uint16_t)parse_ul(optarg, "queue", 65535); break;
		case 'r': o->copy_range = (unsigned int)parse_ul(optarg, "copy range", 65535); break;
		case 'l': o->maxlen = (unsigned int)parse_ul(optarg, "maxlen", 1u << 24); break;
		case 'b':
			o->batch = (unsigned int)parse_ul(optarg, "batch", BATCH_MAX);
			if (!o->batch) {
				fprintf(stderr, "nullq: batch must be 1..%d\n", BATCH_MAX);
				exit(2);
			}
			break;
		case 'p': o->per_packet = true; break;
		case O_BATCH_MARK: o->batch_mark = true; break;
		case 'm': o->mark = (uint32_t)parse_ul(optarg, "mark", UINT32_MAX); break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(o->seconds > 0) ||
			    o->seconds > 86400) {
				fprintf(stderr, "nullq: bad seconds '%s' (0 < S <= 86400)\n", optarg);
				exit(2);
			}
			break;
		case O_RCVBUF: o->rcvbuf = (int)parse_ul(optarg, "rcvbuf", 1u << 30); break;
		case O_NO_FAIL_OPEN: o->fail_open = false; break;
		case O_NO_GSO: o->gso = false; break;
		case O_NO_UID_GID: o->uid_gid = false; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (o->per_packet && o->batch_mark) {
		fprintf(stderr, "nullq: --per-packet or --batch-mark, not both\n");
		exit(2);
	}
	if (!o->rcvbuf) {
		uint64_t b = (uint64_t)o->maxlen * (o->copy_range + 512);

		o->rcvbuf = (int)(b > 64u << 20 ? 64u << 20 :
				  b < 1u << 20 ? 1u << 20 : b);
	}
}

/*
 * The packet id of an NFQNL_MSG_PACKET message of len bytes (len may be
 * short of nlmsg_len when the message was truncated). NFQA_PACKET_HDR is
 * the first attribute; should that ever change, fall back to a full parse.
 */
static bool packet_id(const struct nlmsghdr *nlh, size_t len, uint32_t *id)
{
	const size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nlattr *a;

	if (len >= off + NLA_HDRLEN + sizeof(*ph)) {
		a = (const struct nlattr *)((const char *)nlh + off);
		if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
		    a->nla_len >= NLA_HDRLEN + sizeof(*ph)) {
			ph = (const void *)((const char *)a + NLA_HDRLEN);
			*id = ntohl(ph->packet_id);
			return true;
		}
	}
	if (len >= nlh->nlmsg_len) {
		struct nlattr *attr[NFQA_MAX + 1] = { NULL };

		if (nfq_nlmsg_parse(nlh, attr) >= 0 && attr[NFQA_PACKET_HDR]) {
			ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
			*id = ntohl(ph->packet_id);
			return true;
		}
	}
	return false;
}

static struct mnl_socket *nl;
static unsigned int portid;
static struct opts opt;
static struct counters cnt;

static int send_buf(const void *buf, size_t len)
{
	cnt.sends++;
	if (mnl_socket_sendto(nl, buf, len) < 0) {
		cnt.send_errors++;
		return -errno;
	}
	return 0;
}

static void accept_one(uint32_t id)
{
	char buf[VERDICT_SIZE * 2] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, opt.queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	cnt.verdict_msgs++;
	send_buf(nlh, nlh->nlmsg_len);
}

/* During set-up: a packet that arrives before we listen is accepted. */
static int setup_cb(const struct nlmsghdr *nlh, void *data)
{
	uint32_t id;

	(void)data;
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFQNL_MSG_PACKET &&
	    packet_id(nlh, nlh->nlmsg_len, &id))
		accept_one(id);
	return MNL_CB_OK;
}

static int request(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
	uint32_t seq = nlh->nlmsg_seq;
	int ret, tries = 0;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (tries++ < 100000) {
		ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, setup_cb, NULL);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
	return -ETIMEDOUT;
}

static struct nlmsghdr *cfg_msg(char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, opt.queue);

	nlh->nlmsg_seq = seq;
	return nlh;
}

static void fatal(const char *what, int err)
{
	fprintf(stderr, "nullq: queue %u: %s: %s\n", opt.queue, what,
		strerror(err < 0 ? -err : err));
	exit(1);
}

static void bind_queue(void)
{
	static const struct { uint32_t flag; const char *name; } flags[] = {
		{ NFQA_CFG_F_FAIL_OPEN, "fail-open" },
		{ NFQA_CFG_F_GSO, "gso" },
		{ NFQA_CFG_F_UID_GID, "uid-gid" },
	};
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	uint32_t seq = 1;
	unsigned int i;
	int err;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		fatal("netlink socket", errno);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		fatal("netlink bind", errno);
	portid = mnl_socket_get_portid(nl);
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &opt.rcvbuf, sizeof(opt.rcvbuf)) < 0)
		fprintf(stderr, "nullq: SO_RCVBUFFORCE %d: %s\n", opt.rcvbuf,
			strerror(errno));

	nlh = cfg_msg(buf, seq++);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if ((err = request(nlh)) < 0)
		fatal(err == -EBUSY ? "bind (another process listens)" : "bind", err);
	nlh = cfg_msg(buf, seq++);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)opt.copy_range);
	if ((err = request(nlh)) < 0)
		fatal("copy mode", err);
	nlh = cfg_msg(buf, seq++);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, opt.maxlen);
	if ((err = request(nlh)) < 0)
		fatal("queue length", err);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((flags[i].flag == NFQA_CFG_F_FAIL_OPEN && !opt.fail_open) ||
		    (flags[i].flag == NFQA_CFG_F_GSO && !opt.gso) ||
		    (flags[i].flag == NFQA_CFG_F_UID_GID && !opt.uid_gid))
			continue;
		nlh = cfg_msg(buf, seq++);
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags[i].flag));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags[i].flag));
		if ((err = request(nlh)) < 0)
			fprintf(stderr, "nullq: queue %u: no %s (%s); going on\n",
				opt.queue, flags[i].name, strerror(-err));
	}
}

static void report(double t0)
{
	struct rusage ru;
	double user, sys, wall = now_s() - t0;

	getrusage(RUSAGE_SELF, &ru);
	user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("nullq: queue=%u mode=%s packets=%llu recv_calls=%llu "
	       "pkts_per_recv=%.1f verdict_msgs=%llu sends=%llu "
	       "send_errors=%llu verdict_errors=%llu enobufs=%llu id_gaps=%llu "
	       "truncated=%llu wall_s=%.3f user_s=%.3f sys_s=%.3f "
	       "pps=%.0f cpu_us_per_pkt=%.3f\n",
	       opt.queue, MODE_NAME,
	       (unsigned long long)cnt.packets,
	       (unsigned long long)cnt.recv_calls,
	       cnt.recv_calls ? (double)cnt.packets / (double)cnt.recv_calls : 0.0,
	       (unsigned long long)cnt.verdict_msgs,
	       (unsigned long long)cnt.sends,
	       (unsigned long long)cnt.send_errors,
	       (unsigned long long)cnt.verdict_errors,
	       (unsigned long long)cnt.enobufs,
	       (unsigned long long)cnt.id_gaps,
	       (unsigned long long)cnt.truncated,
	       wall, user, sys, wall > 0 ? (double)cnt.packets / wall : 0.0,
	       cnt.packets ? (user + sys) * 1e6 / (double)cnt.packets : 0.0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static char verdicts[BATCH_MAX * VERDICT_SIZE] __attribute__((aligned(8)));
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	struct sigaction sa = { 0 };
	uint32_t last_id = 0, max_id = 0;
	bool seen_id = false;
	size_t slot;
	char *slots;
	double t0, deadline;
	unsigned int i;
	int fd;

	parse_opts(argc, argv, &opt);
	slot = opt.copy_range + MSG_OVERHEAD;
	slots = malloc(slot * BATCH_MAX);
	if (!slots)
		fatal("malloc", ENOMEM);

	/* no SA_RESTART: a signal ends the blocking receive at once */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_dump;
	sigaction(SIGUSR1, &sa, NULL);

	bind_queue();
	fd = mnl_socket_get_fd(nl);
	/* the blocking receive wakes at least every 200 ms to see the clock */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fprintf(stderr, "nullq: queue %u bound, mode %s, copy %u, batch %u, "
		"rcvbuf %d\n", opt.queue, MODE_NAME,
		opt.copy_range, opt.batch, opt.rcvbuf);

	for (i = 0; i < BATCH_MAX; i++) {
		iov[i].iov_base = slots + (size_t)i * slot;
		iov[i].iov_len = slot;
	}
	t0 = now_s();
	deadline = t0 + opt.seconds;

	while (!stop_req && now_s() < deadline) {
		size_t voff = 0;
		bool have_id = false;
		int n, k;

		if (dump_req) {
			dump_req = 0;
			report(t0);
		}
		for (i = 0; i < opt.batch; i++)
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
							   .msg_iovlen = 1 };
		n = recvmmsg(fd, msgs, opt.batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == ENOBUFS)
				cnt.enobufs++;
			else if (errno != EAGAIN && errno != EINTR)
				fatal("receive", errno);
			continue;
		}
		cnt.recv_calls++;
		for (k = 0; k < n; k++) {
			const struct nlmsghdr *nlh = iov[k].iov_base;
			int len = (int)msgs[k].msg_len;
			struct nlmsghdr *v;
			uint32_t id;

			if (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
				/* only the first message of the datagram */
				cnt.truncated++;
				len = (int)slot;
			}
			for (; len >= (int)sizeof(*nlh); nlh = mnl_nlmsg_next(nlh, &len)) {
				size_t have = (size_t)len < nlh->nlmsg_len ?
					      (size_t)len : nlh->nlmsg_len;

				if (nlh->nlmsg_len < sizeof(*nlh))
					break;
				if (nlh->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

					if (have >= mnl_nlmsg_size(sizeof(*e)) && e->error)
						cnt.verdict_errors++;
					continue;
				}
				if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET ||
				    !packet_id(nlh, have, &id))
					continue;
				cnt.packets++;
				if (seen_id && id - last_id > 1 && id - last_id < 1u << 31)
					cnt.id_gaps += id - last_id - 1;
				last_id = id;
				seen_id = true;
				if (!opt.per_packet) {
					if (!have_id || (int32_t)(id - max_id) > 0)
						max_id = id;
					have_id = true;
					continue;
				}
				if (voff + VERDICT_SIZE > sizeof(verdicts)) {
					send_buf(verdicts, voff);
					voff = 0;
				}
				v = nfq_nlmsg_put(verdicts + voff,
						  NFQNL_MSG_VERDICT, opt.queue);
				nfq_nlmsg_verdict_put(v, (int)id, NF_ACCEPT);
				nfq_nlmsg_verdict_put_mark(v, opt.mark);
				voff += NLMSG_ALIGN(v->nlmsg_len);
				cnt.verdict_msgs++;
			}
		}
		if (voff) {
			send_buf(verdicts, voff);
		} else if (have_id) {
			char buf[VERDICT_SIZE] __attribute__((aligned(8)));
			struct nlmsghdr *v = nfq_nlmsg_put(buf,
				NFQNL_MSG_VERDICT_BATCH, opt.queue);

			nfq_nlmsg_verdict_put(v, (int)max_id, NF_ACCEPT);
			if (opt.batch_mark)
				nfq_nlmsg_verdict_put_mark(v, opt.mark);
			cnt.verdict_msgs++;
			send_buf(v, v->nlmsg_len);
		}
	}
	report(t0);
	mnl_socket_close(nl);
	free(slots);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpflood: a bounded IPv4 UDP sender for the slow-path benchmark. Every
 * datagram comes from the next (source port, destination port) pair, so
 * each one is a new conntrack flow until the pairs run out and the cycle
 * starts again: --sports x --dports distinct flows (x --srcs, with
 * several source addresses).
 *
 * With --sid-offset the payload also carries a stream ID for the L7
 * benchmark (bench/l7.sh): 4 bytes, big-endian, at that payload offset.
 * Datagram k (counted from 0) carries --sid-first + k, a new one each
 * time, or with --sids N the sid --sid-first + k mod N; since the flows
 * are taken in order from the first, a run with as many flows as sids
 * gives each flow the same sid every time round.
 *
 * Build (from the top of the tree; bench/build.sh does the same):
 *   gcc -O2 -Wall -Wextra bench/udpflood.c -o bench/udpflood
 *
 * It writes IPv4+UDP headers itself on a raw socket (IPPROTO_RAW, so
 * IP_HDRINCL) and sends them with sendmmsg() in batches; the kernel fills
 * in the IP id, the checksum and, when --src is not given, the source
 * address. The UDP checksum is 0 (allowed for IPv4).
 *
 * Always bounded: it stops after --seconds (default 5, at most 600) or
 * --count datagrams, whichever comes first, or on SIGINT/SIGTERM. It
 * refuses to run outside a named network namespace (ip netns): the
 * traffic is meant for namespaces built for the benchmark, never for a
 * real network.
 * Prints one line of key=value results.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

#define BATCH_MAX	1024
#define PAYLOAD_MAX	1472

static volatile sig_atomic_t stop_req;

static void on_stop(int sig) { (void)sig; stop_req = 1; }

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: udpflood --dst ADDR [OPTIONS]\n"
"A bounded IPv4 UDP flood, one new (sport, dport) pair per datagram.\n"
"  -d, --dst ADDR        destination address (required)\n"
"  -S, --src ADDR        source address (default: chosen by the kernel)\n"
"      --sport FIRST     first source port (20000)\n"
"      --sports N        source ports FIRST..FIRST+N-1 (20000)\n"
"      --dport FIRST     first destination port (5000)\n"
"      --dports N        destination ports (50); flows = sports x dports\n"
"      --srcs N          with --src: source addresses SRC..SRC+N-1 (1);\n"
"                        flows = sports x dports x srcs\n"
"  -l, --size BYTES      UDP payload bytes, 0..%d (18: 46-byte IP packets,\n"
"                        64-byte Ethernet frames with FCS)\n"
"  -b, --batch N         datagrams per sendmmsg(), 1..%d (64)\n"
"  -s, --seconds S       stop after S seconds, 0 < S <= 600 (5)\n"
"  -n, --count N         stop after N datagrams (no limit)\n"
"  -r, --rate PPS        pace to PPS datagrams/s (0: as fast as possible)\n"
"      --sid-offset OFF  write a 4-byte big-endian stream ID at payload\n"
"                        offset OFF (none: the payload is all 0xa5)\n"
"      --sid-first X     the first datagram's stream ID (1)\n"
"      --sids N          datagram k carries FIRST + k mod N (0: FIRST + k,\n"
"                        a new stream ID every datagram)\n"
"Prints: sent, errors, seconds, pps, flows.\n", PAYLOAD_MAX, BATCH_MAX);
}

static unsigned long long parse_ull(const char *s, const char *what,
				    unsigned long long min,
				    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "udpflood: bad %s '%s' (%llu..%llu)\n", what,
			s, min, max);
		exit(2);
	}
	return v;
}

/*
 * Run only inside a named network namespace (one that `ip netns add`
 * made, bind-mounted under /run/netns): this tool floods, and the only
 * acceptable target is a namespace made for the purpose.
 */
static void check_netns(void)
{
	struct stat self, ns;
	struct dirent *de;
	char path[512];
	DIR *d;

	if (stat("/proc/self/ns/net", &self) < 0) {
		fprintf(stderr, "udpflood: /proc/self/ns/net: %s\n",
			strerror(errno));
		exit(1);
	}
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (stat(path, &ns) == 0 && ns.st_dev == self.st_dev &&
		    ns.st_ino == self.st_ino) {
			closedir(d);
			return;
		}
	}
	if (d)
		closedir(d);
	fprintf(stderr, "udpflood: refusing to run outside a named network "
		"namespace; use ip netns exec\n");
	exit(1);
}

int main(int argc, char **argv)
{
	enum { O_SPORT = 256, O_SPORTS, O_DPORT, O_DPORTS, O_SRCS,
	       O_SID_OFFSET, O_SID_FIRST, O_SIDS };
	static const struct option lopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 'S' },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "sports", required_argument, NULL, O_SPORTS },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "dports", required_argument, NULL, O_DPORTS },
		{ "srcs", required_argument, NULL, O_SRCS },
		{ "sid-offset", required_argument, NULL, O_SID_OFFSET },
		{ "sid-first", required_argument, NULL, O_SID_FIRST },
		{ "sids", required_argument, NULL, O_SIDS },
		{ "size", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long count = 0, rate = 0, sent = 0, errors = 0;
	unsigned long long flows, flow = 0;
	unsigned int sport = 20000, sports = 20000, dport = 5000, dports = 50;
	unsigned int size = 18, batch = 64, i, srcs = 1;
	unsigned long long sid_first = 1, sids = 0;
	int sid_offset = -1;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct in_addr src = { 0 };
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sigaction sa = { 0 };
	double seconds = 5, t0, t1, deadline;
	size_t dlen;
	uint8_t *bufs;
	bool have_dst = false;
	char *end;
	int c, fd;

	while ((c = getopt_long(argc, argv, "d:S:l:b:s:n:r:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst.sin_addr) != 1) {
				fprintf(stderr, "udpflood: bad address '%s'\n", optarg);
				return 2;
			}
			have_dst = true;
			break;
		case 'S':
			if (inet_pton(AF_INET, optarg, &src) != 1) {
				fprintf(stderr, "udpflood: bad address '%s'\n", optarg);
				return 2;
			}
			break;
		case O_SPORT: sport = (unsigned int)parse_ull(optarg, "sport", 1, 65535); break;
		case O_SPORTS: sports = (unsigned int)parse_ull(optarg, "sports", 1, 65535); break;
		case O_DPORT: dport = (unsigned int)parse_ull(optarg, "dport", 1, 65535); break;
		case O_DPORTS: dports = (unsigned int)parse_ull(optarg, "dports", 1, 65535); break;
		case O_SRCS: srcs = (unsigned int)parse_ull(optarg, "srcs", 1, 1u << 24); break;
		case O_SID_OFFSET: sid_offset = (int)parse_ull(optarg, "sid-offset", 0, PAYLOAD_MAX - 4); break;
		case O_SID_FIRST: sid_first = parse_ull(optarg, "sid-first", 0, 0xffffffffull); break;
		case O_SIDS: sids = parse_ull(optarg, "sids", 0, 0xffffffffull); break;
		case 'l': size = (unsigned int)parse_ull(optarg, "size", 0, PAYLOAD_MAX); break;
		case 'b': batch = (unsigned int)parse_ull(optarg, "batch", 1, BATCH_MAX); break;
		case 'n': count = parse_ull(optarg, "count", 1, ~0ull); break;
		case 'r': rate = parse_ull(optarg, "rate", 0, 100000000ull); break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(seconds > 0) ||
			    seconds > 600) {
				fprintf(stderr, "udpflood: bad seconds '%s' (0 < S <= 600)\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!have_dst || optind < argc) {
		usage(stderr);
		return 2;
	}
	if (sport + sports - 1 > 65535 || dport + dports - 1 > 65535) {
		fprintf(stderr, "udpflood: port range past 65535\n");
		return 2;
	}
	if (srcs > 1 && !src.s_addr) {
		fprintf(stderr, "udpflood: --srcs needs --src\n");
		return 2;
	}
	if (srcs > 1 && (uint64_t)ntohl(src.s_addr) + srcs - 1 > 0xffffffffull) {
		fprintf(stderr, "udpflood: source range past 255.255.255.255\n");
		return 2;
	}
	if (sid_offset >= 0 && (unsigned int)sid_offset + 4 > size) {
		fprintf(stderr, "udpflood: --sid-offset %d needs --size %d or more\n",
			sid_offset, sid_offset + 4);
		return 2;
	}
	check_netns();
	flows = (unsigned long long)sports * dports * srcs;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "udpflood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	dlen = sizeof(struct iphdr) + sizeof(struct udphdr) + size;
	bufs = calloc(batch, dlen);
	msgs = calloc(batch, sizeof(*msgs));
	iov = calloc(batch, sizeof(*iov));
	if (!bufs || !msgs || !iov) {
		fprintf(stderr, "udpflood: out of memory\n");
		return 1;
	}
	for (i = 0; i < batch; i++) {
		struct iphdr *ip = (struct iphdr *)(bufs + (size_t)i * dlen);
		struct udphdr *uh = (struct udphdr *)(ip + 1);

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons((uint16_t)dlen);
		ip->saddr = src.s_addr;		/* 0: the kernel fills it in */
		ip->daddr = dst.sin_addr.s_addr;
		uh->len = htons((uint16_t)(dlen - sizeof(*ip)));
		memset(uh + 1, 0xa5, size);
		iov[i].iov_base = ip;
		iov[i].iov_len = dlen;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	t0 = now_s();
	deadline = t0 + seconds;
	t1 = t0;
	while (!stop_req && (!count || sent < count)) {
		unsigned int n = batch;
		int ret;

		t1 = now_s();
		if (t1 >= deadline)
			break;
		if (count && count - sent < n)
			n = (unsigned int)(count - sent);
		if (rate) {
			/* send this batch no earlier than its due time */
			double due = t0 + (double)sent / (double)rate;

			if (due > t1) {
				struct timespec ts;

				due = due < deadline ? due : deadline;
				ts.tv_sec = (time_t)due;
				ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL);
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			struct udphdr *uh = (struct udphdr *)
				(bufs + (size_t)i * dlen + sizeof(struct iphdr));
			unsigned long long f = (flow + i) % flows;

			uh->source = htons((uint16_t)(sport + f % sports));
			uh->dest = htons((uint16_t)(dport + f / sports % dports));
			if (srcs > 1) {
				struct iphdr *ip = (struct iphdr *)
					(bufs + (size_t)i * dlen);

				ip->saddr = htonl(ntohl(src.s_addr) +
					(uint32_t)(f / sports / dports));
			}
			if (sid_offset >= 0) {
				unsigned long long k = sent + i;
				uint32_t sid = htonl((uint32_t)(sid_first +
					(sids ? k % sids : k)));

				memcpy((uint8_t *)(uh + 1) + sid_offset, &sid,
				       sizeof(sid));
			}
		}
		ret = sendmmsg(fd, msgs, n, 0);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			errors++;
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			fprintf(stderr, "udpflood: sendmmsg: %s\n", strerror(errno));
			break;
		}
		sent += (unsigned int)ret;
		flow = (flow + (unsigned int)ret) % flows;
	}
	t1 = now_s() - t0;
	printf("udpflood: sent=%llu errors=%llu seconds=%.3f pps=%.0f "
	       "flows=%llu size=%u\n", sent, errors, t1,
	       t1 > 0 ? (double)sent / t1 : 0.0, flows, size);
	close(fd);
	return sent ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_route: what a flow's route costs, asked of every place the
 * daemon can ask, on one synthetic full IPv4 table and the same
 * destinations, in one run.
 *
 *   lpm         lpm_lookup() (lib/lpm.c) on the table: the floor
 *   lpm chain   the same, each lookup's address waiting for the last
 *               one's answer: its latency, where the tight loop above
 *               overlaps the cache misses of a dozen lookups. Code as
 *               long as fib_resolve() (or a queue worker's, between two
 *               flows) leaves less of that overlap
 *   fib         fib_resolve() (lib/fib.c) with the kernel's default rules
 *               (0 local, 32766 main, 32767 default): the rules walked,
 *               the local table asked about the source (a forwarded
 *               packet), then local and main about the destination, the
 *               route's interned next hop returned
 *   bloom+lpm   the Bloom next-hop cache (lib/bloom.c) first; BLOOM_HIT
 *               answers, anything else asks lpm_lookup() and then learns
 *               the destination under the LPM's next hop (an unrouted
 *               one has no next hop: never learnt, always a miss)
 *   bloom+fib   the same in front of fib_resolve(), "no route" learnt
 *               too, under an id of its own: what daemon/route.c does
 *               with cache = "bloom"
 *   bloom only  bloom_lookup() alone on the warm cache, nothing asked
 *               after it: what a probe costs, hit or miss
 *   kernel      one RTM_GETROUTE request and its answer on an rtnetlink
 *               socket, as the daemon asks for a flow it cannot model,
 *               in a namespace whose main table holds the same routes
 *   ip route    one `ip route get` process a destination
 *
 *   bench/build.sh bench_route
 *   bench_route --prefixes FILE --write-batch OUT   the lab, for ip -batch
 *   bench_route --prefixes FILE [--addresses N] [--passes P]
 *               [--working-set W] [--bloom-fp F] [--kernel K]
 *               [--spawns S] [--kernel-load-ms MS] [--kernel-slab-kib KIB]
 *               [--kv FILE]
 * bench/route.sh does all of it.
 *
 * Destinations, N per stream (default 2^22), IPv4 in network order as
 * packets carry them, read in order:
 *   zipf     a working set of W addresses (default 65536) inside random
 *            prefixes of the table, drawn log-uniformly (P(j) ~ 1/j,
 *            about Zipf 1): the busy destinations of a flow cache
 *   uniform  the same working set, each address as often as the next
 *   random   uniform over the IPv4 space but 10.254.0.0/15 (the lab's
 *            own networks), drawn again for every pass: nearly every
 *            destination new, many unrouted, a few martians (0/8, 127/8,
 *            224/4) that fib_resolve() leaves to the kernel
 *
 * The Bloom caches, one of each kind per stream, are sized for the
 * working set: W / (next hops) addresses a filter at false-positive
 * rate F (default 0.001; bloom.h: about the slow-path share wanted over
 * the number of next hops), and hold at most W entries. At the cap they
 * are thrown away and started again empty (at the next chunk of 1024
 * lookups, as daemon/route.c does at its next tick); on the random
 * stream that happens every W destinations learnt. Learning (bloom_add)
 * and starting again are in the timed figures: this one thread is both
 * the queue worker and the writer.
 *
 * Passes. One untimed pass over each stream compares every answer: the
 * LPM's next hop, fib_resolve()'s (its next hop's gateway, mapped back
 * to the table's number; "no route" is 0; "ask the kernel" only for a
 * martian, where the LPM must say 0), bloom+lpm's and bloom+fib's. It
 * also warms both caches. Then P passes (default 3), each timing every
 * row in turn; figures are medians. Each timed pass sums its answers
 * and every sum must be the LPM's. Lookups run under liburcu's read
 * lock, taken per chunk of 1024 (the daemon's price, not a row's).
 *
 * The kernel rows need the lab: this program run (ip netns exec) in a
 * namespace set up from --write-batch's output. K round trips a stream
 * (default 0: none) on its first K destinations, each answer (RTA_OIF,
 * RTA_GATEWAY; or the error) checked against fib_resolve()'s; S `ip
 * route get` processes a stream (default 0), each output checked the
 * same way. Both ask as for a forwarded packet: from 10.254.0.2, iif
 * fcin0, TCP to port 443.
 *
 * The lab: next hop n (1..64) of the table is gateway 10.255.L.(2 + j)
 * on link fcrL (a veth, the other end fcrLp up beside it), with
 * n - 1 = 4 L + j; each fcrL holds 10.255.L.1/24; flows come in on fcin0
 * (10.254.0.1/24). fib gets what the kernel's local and main tables
 * hold for that, then the prefixes.
 *
 * Every figure is printed with its ratio to lpm_lookup()'s on the same
 * stream (memory and load: to the LPM's): for ns, memory and load, above
 * 1 is slower or bigger than the LPM; for lookups/s, below 1 is slower.
 * Exit 0, 1 when any answer or sum differs, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#include "bench.h"
#include "bloom.h"
#include "fib.h"
#include "lpm.h"

#define RCU_CHUNK	1024	/* lookups per RCU read-side section */
#define MAX_PASSES	15
#define NH_PER_LINK	4
#define MAX_NH		64	/* 16 links of 4 gateways */
#define NOROUTE_ID	(MAX_NH + 1)	/* bloom+fib: "no route" learnt */
#define MAX_FIB_ID	4096
#define SPAWN_OUT	512

/* the lab, host order */
#define LINK_NET	0x0aff0000u	/* 10.255.L.0/24 on fcrL */
#define IN_NET		0x0afe0000u	/* 10.254.0.0/24 on fcin0 */
#define CLIENT		0x0afe0002u	/* the flows' source */
#define CLIENT_S	"10.254.0.2"
#define IN_NAME		"fcin0"
#define DPORT		443
#define SPORT		40000

extern char **environ;

enum stream_kind { ZIPF, UNIFORM, RANDOM, N_STREAM };
enum impl { LPM, LPM_CHAIN, FIB, BLOOM_LPM, BLOOM_FIB, BLOOM_ONLY, KERNEL,
	    SPAWN, N_IMPL };

static const char *const stream_name[N_STREAM] = {
	"flow-local Zipf", "flow-local uniform", "random",
};
static const char *const stream_key[N_STREAM] = { "zipf", "uniform",
						  "random" };
static const char *const impl_name[N_IMPL] = {
	"lpm_lookup (lib/lpm.c)",
	"lpm_lookup, each after the last",
	"fib_resolve (lib/fib.c)",
	"Bloom, lpm_lookup on a miss",
	"Bloom, fib_resolve on a miss",
	"bloom_lookup alone (warm)",
	"kernel: RTM_GETROUTE",
	"kernel: ip route get process",
};
static const char *const impl_key[N_IMPL] = {
	"lpm", "lpm_chain", "fib", "bloom_lpm", "bloom_fib", "bloom_only",
	"rtnetlink", "ip_route_get",
};

struct pfx {
	uint32_t net;		/* network order */
	uint8_t len;
	uint8_t nh;		/* 1..MAX_NH */
};

struct stream {
	uint32_t *a;		/* network order; 3 words of slack at the end */
	size_t n;
};

/* A Bloom cache as a queue worker sees it, with its cap. */
struct dcache {
	struct bloom_cache *c;
	uint64_t entries;	/* learnt since it was (re)started */
	bool full;		/* at the cap: new one at the chunk's end */
	uint64_t restarts;
	struct bloom_stats st;	/* outcomes, counted by the caller */
};

#define NA (-1.0)

struct figures {
	double ns[N_STREAM][N_IMPL];
	uint64_t outcome[N_STREAM][2][4];	/* [bloom+lpm, bloom+fib] */
	double bloom_mib[N_STREAM][2];
	uint64_t bloom_entries[N_STREAM][2], restarts[N_STREAM][2];
	uint64_t routed[N_STREAM], unrouted[N_STREAM], asked[N_STREAM];
	size_t kernel_n[N_STREAM], spawn_n[N_STREAM];
	double lpm_mib, fib_mib, lpm_ms, fib_ms;
};

static struct {
	const char *file, *batch;
	size_t addresses, ws, kernel, spawns;
	unsigned int passes;
	double fp;
	double kernel_ms, kernel_kib;
	FILE *kv;
} o = {
	.addresses = 1u << 22, .ws = 65536, .passes = 3, .fp = 0.001,
	.kernel_ms = NA, .kernel_kib = NA,
};

static struct pfx *tab;
static size_t n_tab, cap_tab;
static unsigned int n_nh, n_links;
static struct stream streams[N_STREAM];
static struct figures fig;
static int link_index[MAX_NH / NH_PER_LINK], in_index;
static uint8_t fib_num[MAX_FIB_ID];	/* fib next-hop id -> table's number */
static uint64_t rng = 0x2545f4914f6cdd1dull, seed_rng = 0x9e3779b97f4a7c15ull;
static int errors;

/* --- small things --------------------------------------------------------- */

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

/* The caches' seeds: reproducible, and apart from the streams' draws. */
static void bench_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t r;
	size_t k;

	while (len) {
		r = splitmix64(&seed_rng);
		k = len < sizeof(r) ? len : sizeof(r);
		memcpy(p, &r, k);
		p += k;
		len -= k;
	}
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_route: out of memory\n");
		exit(1);
	}
	return p;
}

static void grace(void)
{
	urcu_memb_synchronize_rcu();
}

/* Address i of a stream where it lies, as our APIs take it (only the
 * first 4 bytes of the union are read). */
static inline const union fc_addr *addr_at(const struct stream *s, size_t i)
{
	return (const union fc_addr *)(const void *)&s->a[i];
}

static void ip_str(uint32_t net, char *out)
{
	inet_ntop(AF_INET, &net, out, INET_ADDRSTRLEN);
}

/* 0/8, 127/8, 224/4, 255.255.255.255: the kernel's to judge. */
static bool martian(uint32_t net)
{
	uint32_t a = ntohl(net);

	return a >> 24 == 0 || a >> 24 == 127 || a >> 28 == 14 ||
	       a == UINT32_MAX;
}

/* --- the table, the lab, the streams -------------------------------------- */

static uint32_t gateway_of(unsigned int nh)
{
	unsigned int l = (nh - 1) / NH_PER_LINK, j = (nh - 1) % NH_PER_LINK;

	return htonl(LINK_NET | l << 8 | (2 + j));
}

/* The table's number of a gateway in the lab; 0 for any other. */
static unsigned int number_of(uint32_t gw_net)
{
	uint32_t g = ntohl(gw_net), l = (g >> 8) & 0xff, j = (g & 0xff) - 2;

	if ((g & 0xffff0000u) != LINK_NET || l >= n_links || j >= NH_PER_LINK)
		return 0;
	return l * NH_PER_LINK + j + 1;
}

static void read_prefixes(const char *path)
{
	char *line = NULL, *slash;
	size_t cap = 0, lineno = 0;
	unsigned int len;
	unsigned long nh;
	struct in_addr a;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (strchr(line, ':'))
			continue;	/* IPv6: not this benchmark's */
		slash = strchr(line, '/');
		if (!slash || sscanf(slash + 1, "%u %lu", &len, &nh) != 2)
			goto bad;
		*slash = 0;
		if (inet_pton(AF_INET, line, &a) != 1 || len > 32 || !nh ||
		    nh > MAX_NH)
			goto bad;
		if (n_tab == cap_tab) {
			cap_tab = cap_tab ? cap_tab * 2 : 1024;
			tab = realloc(tab, cap_tab * sizeof(*tab));
			if (!tab) {
				fprintf(stderr, "bench_route: out of memory\n");
				exit(1);
			}
		}
		tab[n_tab++] = (struct pfx){ .net = a.s_addr,
					     .len = (uint8_t)len,
					     .nh = (uint8_t)nh };
		if (nh > n_nh)
			n_nh = (unsigned int)nh;
	}
	free(line);
	fclose(f);
	if (!n_tab) {
		fprintf(stderr, "%s: no IPv4 prefixes\n", path);
		exit(2);
	}
	n_links = (n_nh + NH_PER_LINK - 1) / NH_PER_LINK;
	return;
bad:
	fprintf(stderr, "%s:%zu: not \"ADDR/LEN NEXTHOP\" (IPv4, next hop "
		"1..%u)\n", path, lineno, MAX_NH);
	exit(2);
}

/* The lab as `ip -batch` lines: links, addresses, then every route. */
static int write_batch(const char *path)
{
	char net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	FILE *f = fopen(path, "w");
	unsigned int l;
	size_t i;

	if (!f) {
		perror(path);
		return 2;
	}
	fprintf(f, "link set lo up\n");
	for (l = 0; l < n_links; l++)
		fprintf(f, "link add fcr%u type veth peer name fcr%up\n"
			"link set fcr%u up\nlink set fcr%up up\n"
			"addr add 10.255.%u.1/24 dev fcr%u\n",
			l, l, l, l, l, l);
	fprintf(f, "link add %s type veth peer name %sp\nlink set %s up\n"
		"link set %sp up\naddr add 10.254.0.1/24 dev %s\n", IN_NAME,
		IN_NAME, IN_NAME, IN_NAME, IN_NAME);
	for (i = 0; i < n_tab; i++) {
		ip_str(tab[i].net, net);
		ip_str(gateway_of(tab[i].nh), gw);
		fprintf(f, "route add %s/%u via %s\n", net, tab[i].len, gw);
	}
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* Interface indexes: the lab's when we run in it, else made up. */
static bool lab_indexes(bool need)
{
	char name[IFNAMSIZ];
	unsigned int l;

	for (l = 0; l < n_links; l++) {
		snprintf(name, sizeof(name), "fcr%u", l);
		link_index[l] = (int)if_nametoindex(name);
		if (!link_index[l] && need)
			return false;
		if (!link_index[l])
			link_index[l] = 100 + (int)l;
	}
	in_index = (int)if_nametoindex(IN_NAME);
	if (!in_index && need)
		return false;
	if (!in_index)
		in_index = 99;
	return true;
}

/* A random address inside p. */
static uint32_t inside(const struct pfx *p)
{
	uint32_t host = p->len == 32 ? 0 : (uint32_t)rnd() >> p->len;

	return htonl(ntohl(p->net) | host);
}

static void make_stream(enum stream_kind k, const uint32_t *ws)
{
	struct stream *s = &streams[k];
	unsigned int bits = 0, e;
	size_t i, j;
	uint32_t a;

	while ((1ul << bits) < o.ws)
		bits++;
	s->n = o.addresses;
	if (!s->a)
		s->a = xcalloc(s->n + 3, sizeof(*s->a));
	for (i = 0; i < s->n; i++) {
		switch (k) {
		case ZIPF:
			/* log-uniform: a power of two, then uniform below
			 * the next; P(j) ~ 1/j */
			do {
				e = (unsigned int)(rnd() % bits);
				j = ((size_t)1 << e) - 1 +
				    rnd() % ((size_t)1 << e);
			} while (j >= o.ws);
			s->a[i] = ws[j];
			break;
		case UNIFORM:
			s->a[i] = ws[rnd() % o.ws];
			break;
		default:
			do
				a = (uint32_t)rnd();
			while (a >> 17 == IN_NET >> 17);
			s->a[i] = htonl(a);
			break;
		}
	}
}

/* --- loading -------------------------------------------------------------- */

static struct lpm *lpm_load(void)
{
	struct lpm_params lp = { .family = AF_INET, .synchronize = grace };
	union fc_addr a = { 0 };
	double t0 = now_ns();
	struct lpm *l = lpm_new(&lp);
	size_t i;
	int err;

	if (!l) {
		fprintf(stderr, "bench_route: lpm_new failed\n");
		exit(1);
	}
	for (i = 0; i < n_tab; i++) {
		a.v4.s_addr = tab[i].net;
		err = lpm_add(l, &a, tab[i].len, tab[i].nh);
		if (err) {
			fprintf(stderr, "bench_route: lpm_add: %s\n",
				strerror(-err));
			exit(1);
		}
	}
	fig.lpm_ms = (now_ns() - t0) / 1e6;
	fig.lpm_mib = (double)lpm_memory(l) / (1 << 20);
	return l;
}

static void fib_add(struct fib *f, uint32_t net, uint8_t len,
		    const struct fib_nexthop *nh)
{
	struct prefix p = { .family = AF_INET, .len = len };
	int err;

	p.addr.v4.s_addr = net;
	err = fib_route_add(f, &p, 0, nh, false, false);
	if (err) {
		fprintf(stderr, "bench_route: fib_route_add: %s\n",
			strerror(-err));
		exit(1);
	}
}

/* What `ip route show table local` and `table main` hold for an
 * address on a link: local and broadcast, the connected /24. */
static void fib_link(struct fib *f, uint32_t net24, int oif)
{
	struct fib_nexthop nh = {
		.family = AF_INET, .oif = oif, .has_prefsrc = true,
	};

	nh.prefsrc.v4.s_addr = htonl(net24 | 1);
	nh.table = RT_TABLE_LOCAL;
	nh.type = RTN_LOCAL;
	nh.scope = RT_SCOPE_HOST;
	fib_add(f, htonl(net24 | 1), 32, &nh);
	nh.type = RTN_BROADCAST;
	nh.scope = RT_SCOPE_LINK;
	fib_add(f, htonl(net24 | 255), 32, &nh);
	nh.table = RT_TABLE_MAIN;
	nh.type = RTN_UNICAST;
	fib_add(f, htonl(net24), 24, &nh);
}

static struct fib *fib_load(void)
{
	static const struct { uint32_t prio, table; } def[] = {
		{ 0, RT_TABLE_LOCAL }, { 32766, RT_TABLE_MAIN },
		{ 32767, RT_TABLE_DEFAULT },
	};
	struct fib_params fp = { .synchronize = grace };
	struct fib_rule rules[3];
	struct fib_nexthop nh;
	struct fib_stats st;
	double t0 = now_ns();
	struct fib *f = fib_new(&fp);
	unsigned int l;
	uint32_t id;
	size_t i;

	if (!f) {
		fprintf(stderr, "bench_route: fib_new failed\n");
		exit(1);
	}
	memset(rules, 0, sizeof(rules));
	for (i = 0; i < 3; i++) {
		rules[i].priority = def[i].prio;
		rules[i].family = AF_INET;
		rules[i].action = FR_ACT_TO_TBL;
		rules[i].table = def[i].table;
		rules[i].suppress_prefixlen = -1;
	}
	if (fib_set_rules(f, rules, 3)) {
		fprintf(stderr, "bench_route: fib_set_rules failed\n");
		exit(1);
	}
	/* lo: 127.0.0.0/8 and 127.0.0.1 local, 127.255.255.255 broadcast */
	nh = (struct fib_nexthop){
		.table = RT_TABLE_LOCAL, .family = AF_INET, .type = RTN_LOCAL,
		.scope = RT_SCOPE_HOST, .oif = 1, .has_prefsrc = true,
	};
	nh.prefsrc.v4.s_addr = htonl(0x7f000001);
	fib_add(f, htonl(0x7f000000), 8, &nh);
	fib_add(f, htonl(0x7f000001), 32, &nh);
	nh.type = RTN_BROADCAST;
	nh.scope = RT_SCOPE_LINK;
	fib_add(f, htonl(0x7fffffff), 32, &nh);
	for (l = 0; l < n_links; l++)
		fib_link(f, LINK_NET | l << 8, link_index[l]);
	fib_link(f, IN_NET, in_index);
	/* `ip route add PFX via GW`: main, unicast, universe, metric 0 */
	for (i = 0; i < n_tab; i++) {
		unsigned int n = tab[i].nh;

		nh = (struct fib_nexthop){
			.table = RT_TABLE_MAIN, .family = AF_INET,
			.type = RTN_UNICAST, .scope = RT_SCOPE_UNIVERSE,
			.has_gateway = true,
			.oif = link_index[(n - 1) / NH_PER_LINK],
		};
		nh.gateway.v4.s_addr = gateway_of(n);
		fib_add(f, tab[i].net, tab[i].len, &nh);
	}
	fig.fib_ms = (now_ns() - t0) / 1e6;
	fib_get_stats(f, &st);
	fig.fib_mib = (double)st.memory / (1 << 20);
	/* next-hop ids back to the table's numbers: a connected or local
	 * route is none of them (0xff never equals an LPM answer) */
	for (id = 1; id < MAX_FIB_ID; id++) {
		const struct fib_nexthop *x = fib_nexthop(f, id);

		if (x)
			fib_num[id] = x->has_gateway ?
				      (uint8_t)number_of(x->gateway.v4.s_addr) :
				      0xff;
	}
	return f;
}

static struct fib_query base_query(void)
{
	struct fib_query q = {
		.family = AF_INET, .iif = IN_NAME, .proto = IPPROTO_TCP,
		.sport = SPORT, .dport = DPORT,
	};

	q.src.v4.s_addr = htonl(CLIENT);
	return q;
}

/* fib_resolve()'s answer as the table's number; 0 no route, -1 ask. */
static int fib_answer(const struct fib *f, struct fib_query *q,
		      uint32_t dst, struct fib_result *res)
{
	enum fib_answer a;

	q->dst.v4.s_addr = dst;
	a = fib_resolve(f, q, res);
	if (a == FIB_ASK_KERNEL)
		return -1;
	if (a == FIB_NO_ROUTE)
		return 0;
	return res->nh->id < MAX_FIB_ID ? fib_num[res->nh->id] : 0xff;
}

/* --- the Bloom caches ----------------------------------------------------- */

static void dcache_open(struct dcache *d)
{
	struct bloom_params p = {
		.max_nexthops = NOROUTE_ID,
		.expected = (uint32_t)(o.ws / n_nh),
		.fp_rate = o.fp,
		.random = bench_random,
		.synchronize = grace,
	};

	if (!p.expected)
		p.expected = 1;
	d->c = bloom_new(&p);
	if (!d->c) {
		fprintf(stderr, "bench_route: bloom_new: %s\n",
			strerror(errno));
		exit(1);
	}
	d->entries = 0;
	d->full = false;
}

/*
 * What the slow path found, learnt; at the cap, nothing more until the
 * tick starts again. The count is ours: bloom_get_stats() walks every
 * next hop, too dear to ask per miss.
 */
static inline void dcache_learn(struct dcache *d, uint32_t nh,
				const union fc_addr *a)
{
	int err;

	if (d->full)
		return;
	if (d->entries >= o.ws) {
		d->full = true;
		return;
	}
	err = bloom_add(d->c, nh, AF_INET, a);
	if (!err)
		d->entries++;
	else if (err != -EEXIST) {
		fprintf(stderr, "bench_route: bloom_add: %s\n", strerror(-err));
		exit(1);
	}
}

/* Outside the read lock, after a chunk: the daemon's tick. */
static void dcache_tick(struct dcache *d)
{
	if (d->full) {
		bloom_free(d->c);
		dcache_open(d);
		d->restarts++;
		return;
	}
	bloom_reclaim(d->c);
}

static void dcache_close(struct dcache *d)
{
	bloom_free(d->c);
	d->c = NULL;
}

/* --- passes --------------------------------------------------------------- */

/* Where the chunk of lookups starting at i ends. */
static inline size_t chunk_end(const struct stream *s, size_t i)
{
	return i + RCU_CHUNK < s->n ? i + RCU_CHUNK : s->n;
}

static double pass_lpm(const struct lpm *l, const struct stream *s,
		       uint64_t *sum)
{
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++)
			acc += lpm_lookup(l, addr_at(s, j), NULL);
		urcu_memb_read_unlock();
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

/*
 * The address XORed with bits of the running sum that are always zero
 * (it stays far below 2^60), which the compiler cannot know: each
 * lookup starts when the last one has answered.
 */
static double pass_lpm_chain(const struct lpm *l, const struct stream *s,
			     uint64_t *sum)
{
	union fc_addr a = { 0 };
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++) {
			a.v4.s_addr = s->a[j] ^ (uint32_t)(acc >> 60);
			acc += lpm_lookup(l, &a, NULL);
		}
		urcu_memb_read_unlock();
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

static double pass_fib(const struct fib *f, const struct stream *s,
		       uint64_t *sum)
{
	struct fib_query q = base_query();
	struct fib_result res;
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++) {
			q.dst.v4.s_addr = s->a[j];
			if (fib_resolve(f, &q, &res) == FIB_OK)
				acc += fib_num[res.nh->id];
		}
		urcu_memb_read_unlock();
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

/* The cache, then the LPM on a miss; a routed miss is learnt. */
static inline uint32_t ask_bloom_lpm(struct dcache *d, const struct lpm *l,
				     const union fc_addr *a)
{
	enum bloom_result r;
	uint32_t nh;

	r = bloom_lookup(d->c, AF_INET, a, &nh);
	bloom_count(&d->st, r);
	if (r == BLOOM_HIT)
		return nh;
	nh = lpm_lookup(l, a, NULL);
	if (nh)
		dcache_learn(d, nh, a);
	return nh;
}

/* The cache, then fib_resolve(): a route or "no route" is learnt, what
 * it leaves to the kernel is not (-1). */
static inline int ask_bloom_fib(struct dcache *d, const struct fib *f,
				struct fib_query *q, const union fc_addr *a)
{
	struct fib_result res;
	enum bloom_result r;
	uint32_t nh;
	int v;

	r = bloom_lookup(d->c, AF_INET, a, &nh);
	bloom_count(&d->st, r);
	if (r == BLOOM_HIT)
		return nh == NOROUTE_ID ? 0 : (int)nh;
	v = fib_answer(f, q, a->v4.s_addr, &res);
	if (v >= 0)
		dcache_learn(d, v ? (uint32_t)v : NOROUTE_ID, a);
	return v;
}

static double pass_bloom_lpm(struct dcache *d, const struct lpm *l,
			     const struct stream *s, uint64_t *sum)
{
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++)
			acc += ask_bloom_lpm(d, l, addr_at(s, j));
		urcu_memb_read_unlock();
		dcache_tick(d);
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

static double pass_bloom_fib(struct dcache *d, const struct fib *f,
			     const struct stream *s, uint64_t *sum)
{
	struct fib_query q = base_query();
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;
	int v;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++) {
			v = ask_bloom_fib(d, f, &q, addr_at(s, j));
			if (v > 0)
				acc += (uint64_t)v;
		}
		urcu_memb_read_unlock();
		dcache_tick(d);
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

/* Probes alone: the hits counted, nothing else done. */
static double pass_bloom_only(const struct dcache *d, const struct stream *s,
			      uint64_t *hits)
{
	uint64_t acc = 0;
	double t0 = now_ns();
	size_t i, j, e;
	uint32_t nh;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++)
			acc += bloom_lookup(d->c, AF_INET, addr_at(s, j),
					    &nh) == BLOOM_HIT;
		urcu_memb_read_unlock();
	}
	*hits = acc;
	return (now_ns() - t0) / (double)s->n;
}

/*
 * Whether the answers for one destination agree: the LPM's next hop v,
 * fib's fv (-1: ask the kernel, only for a martian, where the LPM has
 * no route either), and both caches'.
 */
static bool agree(uint32_t dst, uint32_t v, int fv, uint32_t bl, int bf)
{
	if (bl != v || bf != fv)
		return false;
	if (fv < 0)
		return martian(dst) && !v;
	return (uint32_t)fv == v;
}

/*
 * Every answer of the stream, each way; warms both caches. Returns the
 * number of disagreements and counts the fib's answers.
 */
static size_t verify(enum stream_kind k, const struct lpm *l,
		     const struct fib *f, struct dcache *dl, struct dcache *df)
{
	const struct stream *s = &streams[k];
	struct fib_query q = base_query(), q2 = base_query();
	struct fib_result res;
	char a_s[INET_ADDRSTRLEN];
	size_t bad = 0, i, j, e;
	uint32_t v, bl;
	int fv, bf;

	for (i = 0; i < s->n; i = e) {
		e = chunk_end(s, i);
		urcu_memb_read_lock();
		for (j = i; j < e; j++) {
			v = lpm_lookup(l, addr_at(s, j), NULL);
			fv = fib_answer(f, &q, s->a[j], &res);
			bl = ask_bloom_lpm(dl, l, addr_at(s, j));
			bf = ask_bloom_fib(df, f, &q2, addr_at(s, j));
			if (fv < 0)
				fig.asked[k]++;
			else if (fv)
				fig.routed[k]++;
			else
				fig.unrouted[k]++;
			if (agree(s->a[j], v, fv, bl, bf) || bad++ >= 5)
				continue;
			ip_str(s->a[j], a_s);
			printf("%s: %s: lpm %u, fib %d, bloom+lpm %u, "
			       "bloom+fib %d\n", stream_key[k], a_s, v, fv, bl,
			       bf);
		}
		urcu_memb_read_unlock();
		dcache_tick(dl);
		dcache_tick(df);
	}
	return bad;
}

/* --- the kernel ----------------------------------------------------------- */

struct kanswer {
	int err;		/* -errno from NLMSG_ERROR, 0: a route */
	uint8_t type;
	uint32_t oif, gw;
	bool has_gw;
};

static int rta_cb(const struct nlattr *attr, void *data)
{
	struct kanswer *k = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			k->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(attr) == 4) {
			memcpy(&k->gw, mnl_attr_get_payload(attr), 4);
			k->has_gw = true;
		}
		break;
	}
	return MNL_CB_OK;
}

/* One request, one answer: the route of a forwarded TCP packet to dst. */
static int kernel_ask(struct mnl_socket *nl, uint32_t seq, uint32_t dst,
		      uint8_t *buf, size_t size, struct kanswer *k)
{
	uint32_t src = htonl(CLIENT);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_src_len = 32;
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	mnl_attr_put(nlh, RTA_SRC, 4, &src);
	mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)in_index);
	mnl_attr_put_u8(nlh, RTA_IP_PROTO, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, RTA_SPORT, htons(SPORT));
	mnl_attr_put_u16(nlh, RTA_DPORT, htons(DPORT));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, size);
	if (n < 0)
		return -errno;
	nlh = (struct nlmsghdr *)(void *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_seq != seq)
		return -EPROTO;
	memset(k, 0, sizeof(*k));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		k->err = e->error ? e->error : -EPROTO;
		return 0;
	}
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return -EPROTO;
	rtm = mnl_nlmsg_get_payload(nlh);
	k->type = rtm->rtm_type;
	mnl_attr_parse(nlh, sizeof(*rtm), rta_cb, k);
	return 0;
}

/* Whether an answer (route: oif and gateway; else err) is fib's. */
static bool same_as_fib(const struct fib *f, uint32_t dst, int err,
			uint32_t oif, bool has_gw, uint32_t gw, size_t *asked)
{
	struct fib_query q = base_query();
	struct fib_result res;
	int v;

	urcu_memb_read_lock();
	v = fib_answer(f, &q, dst, &res);
	urcu_memb_read_unlock();
	if (v < 0) {
		(*asked)++;
		return true;	/* the kernel's to judge: nothing to compare */
	}
	if (!v)
		return err == -ENETUNREACH;
	return !err && oif == (uint32_t)res.nh->oif && has_gw &&
	       gw == res.nh->gateway.v4.s_addr;
}

static double kernel_pass(enum stream_kind k, const struct fib *f)
{
	const struct stream *s = &streams[k];
	size_t n = o.kernel < s->n ? o.kernel : s->n, i, bad = 0, asked = 0;
	struct kanswer *ans = xcalloc(n, sizeof(*ans));
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	char a_s[INET_ADDRSTRLEN];
	double t0, ns;
	int err;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_route: rtnetlink socket");
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		err = kernel_ask(nl, (uint32_t)i + 1, s->a[i], buf,
				 sizeof(buf), &ans[i]);
		if (err) {
			fprintf(stderr, "bench_route: RTM_GETROUTE: %s\n",
				strerror(-err));
			exit(1);
		}
	}
	ns = (now_ns() - t0) / (double)n;
	mnl_socket_close(nl);
	for (i = 0; i < n; i++) {
		if (same_as_fib(f, s->a[i], ans[i].err, ans[i].oif,
				ans[i].has_gw, ans[i].gw, &asked))
			continue;
		if (bad++ < 5) {
			ip_str(s->a[i], a_s);
			printf("%s: %s: the kernel says err %d type %u oif %u "
			       "gw %08x, fib does not\n", stream_key[k], a_s,
			       ans[i].err, ans[i].type, ans[i].oif,
			       ntohl(ans[i].gw));
		}
	}
	if (bad) {
		printf("%s: %zu of %zu kernel answers differ from "
		       "fib_resolve()\n", stream_key[k], bad, n);
		errors++;
	}
	fig.kernel_n[k] = n - asked;
	free(ans);
	return ns;
}

/* `ip route get` for dst: its output (stdout and stderr) in out. */
static int spawn_get(uint32_t dst, char *out, size_t cap, int *status)
{
	char d[INET_ADDRSTRLEN], sp[8];
	char *argv[] = {
		"ip", "route", "get", d, "from", CLIENT_S, "iif", IN_NAME,
		"ipproto", "tcp", "sport", sp, "dport", "443", NULL,
	};
	posix_spawn_file_actions_t fa;
	size_t got = 0;
	ssize_t r;
	pid_t pid;
	int p[2], err;

	ip_str(dst, d);
	snprintf(sp, sizeof(sp), "%u", SPORT);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	err = posix_spawnp(&pid, "ip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		close(p[0]);
		return -err;
	}
	while (got + 1 < cap && (r = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(p[0]);
	if (waitpid(pid, status, 0) < 0)
		return -errno;
	return 0;
}

/* "... via GW dev NAME ..." against fib's answer. */
static bool spawn_same(const struct fib *f, uint32_t dst, const char *out,
		       int status, size_t *asked)
{
	char name[IFNAMSIZ + 1] = "", gw_s[INET_ADDRSTRLEN] = "";
	const char *via = strstr(out, " via "), *dev = strstr(out, " dev ");
	struct in_addr gw = { 0 };
	uint32_t oif = 0;

	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return same_as_fib(f, dst,
				   strstr(out, "Network is unreachable") ?
				   -ENETUNREACH : -EINVAL, 0, false, 0, asked);
	if (dev && sscanf(dev, " dev %16s", name) == 1)
		oif = if_nametoindex(name);
	if (via && sscanf(via, " via %15s", gw_s) == 1)
		inet_pton(AF_INET, gw_s, &gw);
	return same_as_fib(f, dst, 0, oif, via != NULL, gw.s_addr, asked);
}

static double spawn_pass(enum stream_kind k, const struct fib *f)
{
	const struct stream *s = &streams[k];
	size_t n = o.spawns < s->n ? o.spawns : s->n, i, bad = 0, asked = 0;
	char (*out)[SPAWN_OUT] = xcalloc(n, sizeof(*out));
	int *status = xcalloc(n, sizeof(*status)), err;
	char a_s[INET_ADDRSTRLEN];
	double t0, ns;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		err = spawn_get(s->a[i], out[i], sizeof(out[i]), &status[i]);
		if (err) {
			fprintf(stderr, "bench_route: ip route get: %s\n",
				strerror(-err));
			exit(1);
		}
	}
	ns = (now_ns() - t0) / (double)n;
	for (i = 0; i < n; i++) {
		if (spawn_same(f, s->a[i], out[i], status[i], &asked))
			continue;
		if (bad++ < 5) {
			ip_str(s->a[i], a_s);
			out[i][strcspn(out[i], "\n")] = 0;
			printf("%s: %s: ip route get says \"%s\", fib does "
			       "not\n", stream_key[k], a_s, out[i]);
		}
	}
	if (bad) {
		printf("%s: %zu of %zu ip route get answers differ from "
		       "fib_resolve()\n", stream_key[k], bad, n);
		errors++;
	}
	fig.spawn_n[k] = n - asked;
	free(out);
	free(status);
	return ns;
}

/* --- one stream ----------------------------------------------------------- */

static void check_sum(enum stream_kind k, enum impl i, uint64_t sum,
		      uint64_t want)
{
	if (sum == want)
		return;
	printf("%s %s: answers sum to %llu, the LPM's to %llu\n",
	       stream_key[k], impl_key[i], (unsigned long long)sum,
	       (unsigned long long)want);
	errors++;
}

static void run_stream(enum stream_kind k, const struct lpm *l,
		       const struct fib *f)
{
	const struct stream *s = &streams[k];
	struct dcache dc[2] = { { 0 } };
	double v[BLOOM_ONLY + 1][MAX_PASSES];
	uint64_t sum, want, hits;
	struct bloom_stats st;
	unsigned int p;
	size_t bad;
	int i, b;

	printf("+ %s: checking every answer\n", stream_name[k]);
	fflush(stdout);
	dcache_open(&dc[0]);
	dcache_open(&dc[1]);
	bad = verify(k, l, f, &dc[0], &dc[1]);
	if (bad) {
		printf("%s: %zu of %zu answers differ\n", stream_key[k], bad,
		       s->n);
		errors++;
	}
	for (b = 0; b < 2; b++) {
		memset(&dc[b].st, 0, sizeof(dc[b].st));
		dc[b].restarts = 0;
	}
	printf("+ %s: %u timed passes\n", stream_name[k], o.passes);
	fflush(stdout);
	for (p = 0; p < o.passes; p++) {
		/* random: new destinations every pass, or the caches
		 * would answer what the last pass taught them */
		if (k == RANDOM)
			make_stream(k, NULL);
		v[LPM][p] = pass_lpm(l, s, &want);
		v[LPM_CHAIN][p] = pass_lpm_chain(l, s, &sum);
		check_sum(k, LPM_CHAIN, sum, want);
		v[FIB][p] = pass_fib(f, s, &sum);
		check_sum(k, FIB, sum, want);
		v[BLOOM_LPM][p] = pass_bloom_lpm(&dc[0], l, s, &sum);
		check_sum(k, BLOOM_LPM, sum, want);
		v[BLOOM_FIB][p] = pass_bloom_fib(&dc[1], f, s, &sum);
		check_sum(k, BLOOM_FIB, sum, want);
		v[BLOOM_ONLY][p] = pass_bloom_only(&dc[0], s, &hits);
	}
	for (i = 0; i <= BLOOM_ONLY; i++)
		fig.ns[k][i] = median(v[i], o.passes);
	for (b = 0; b < 2; b++) {
		fig.outcome[k][b][0] = dc[b].st.hit;
		fig.outcome[k][b][1] = dc[b].st.none;
		fig.outcome[k][b][2] = dc[b].st.several;
		fig.outcome[k][b][3] = dc[b].st.false_positive;
		fig.restarts[k][b] = dc[b].restarts;
		bloom_get_stats(dc[b].c, &st);
		fig.bloom_mib[k][b] = (double)st.memory / (1 << 20);
		fig.bloom_entries[k][b] = st.entries;
		dcache_close(&dc[b]);
	}
	fig.ns[k][KERNEL] = fig.ns[k][SPAWN] = NA;
	if (o.kernel) {
		printf("+ %s: %zu RTM_GETROUTE round trips\n", stream_name[k],
		       o.kernel < s->n ? o.kernel : s->n);
		fflush(stdout);
		fig.ns[k][KERNEL] = kernel_pass(k, f);
	}
	if (o.spawns) {
		printf("+ %s: %zu ip route get processes\n", stream_name[k],
		       o.spawns < s->n ? o.spawns : s->n);
		fflush(stdout);
		fig.ns[k][SPAWN] = spawn_pass(k, f);
	}
}

/* --- the report ----------------------------------------------------------- */

static void kv(const char *k1, const char *k2, const char *k3, double v)
{
	if (o.kv && v != NA)
		fprintf(o.kv, "%s %s %s %.4f\n", k1, k2, k3, v);
}

/* "value (ratio)", 22 wide; the ratio's digits as it needs them. */
static void cell(double v, double base, const char *fmt)
{
	char a[32], r[24] = "", c[64];

	if (v == NA) {
		printf(" %22s", "-");
		return;
	}
	snprintf(a, sizeof(a), fmt, v);
	if (base > 0) {
		double x = v / base;

		snprintf(r, sizeof(r), x >= 100 ? " (%.0f)" : x >= 10 ?
			 " (%.1f)" : x >= 0.1 ? " (%.2f)" : " (%.2g)", x);
	}
	snprintf(c, sizeof(c), "%s%s", a, r);
	printf(" %22s", c);
}

static void report(void)
{
	double base[N_STREAM], x;
	const char *bl[2] = { "bloom_lpm", "bloom_fib" };
	const char *oc[4] = { "hit", "none", "several", "false_positive" };
	int k, i, b, j;
	uint64_t tot;

	printf("\nIPv4, %zu prefixes over %u next hops; %zu destinations a "
	       "stream, working set %zu; ns: median of %u passes\n"
	       "(in brackets: the ratio to lpm_lookup on the same stream)\n",
	       n_tab, n_nh, o.addresses, o.ws, o.passes);
	printf("  %-34s", "");
	for (k = 0; k < N_STREAM; k++)
		printf(" %22s", stream_name[k]);
	printf("\n  ns per lookup\n");
	for (k = 0; k < N_STREAM; k++)
		base[k] = fig.ns[k][LPM];
	for (i = 0; i < N_IMPL; i++) {
		printf("  %-34s", impl_name[i]);
		for (k = 0; k < N_STREAM; k++) {
			cell(fig.ns[k][i], base[k], i >= KERNEL ? "%.0f" :
			     "%.2f");
			kv(stream_key[k], impl_key[i], "ns", fig.ns[k][i]);
		}
		printf("\n");
	}
	printf("  million lookups per second\n");
	for (i = 0; i < N_IMPL; i++) {
		printf("  %-34s", impl_name[i]);
		for (k = 0; k < N_STREAM; k++) {
			x = fig.ns[k][i] == NA ? NA : 1e3 / fig.ns[k][i];
			cell(x, 1e3 / base[k], x != NA && x < 0.1 ? "%.4f" :
			     "%.2f");
			kv(stream_key[k], impl_key[i], "mlps", x);
		}
		printf("\n");
	}
	printf("  answers checked against fib_resolve (kernel rows: "
	       "compared, martians left out)\n");
	printf("  %-34s", "routed / no route / asks kernel %");
	for (k = 0; k < N_STREAM; k++) {
		char c[48];

		tot = fig.routed[k] + fig.unrouted[k] + fig.asked[k];
		snprintf(c, sizeof(c), "%.1f / %.1f / %.1f",
			 100.0 * (double)fig.routed[k] / (double)tot,
			 100.0 * (double)fig.unrouted[k] / (double)tot,
			 100.0 * (double)fig.asked[k] / (double)tot);
		printf(" %22s", c);
	}
	printf("\n");
	for (i = KERNEL; i <= SPAWN; i++) {
		printf("  %-34s", i == KERNEL ?
		       "RTM_GETROUTE answers compared" :
		       "ip route get answers compared");
		for (k = 0; k < N_STREAM; k++) {
			size_t n = i == KERNEL ? fig.kernel_n[k] :
				   fig.spawn_n[k];

			if (fig.ns[k][i] == NA)
				printf(" %22s", "-");
			else
				printf(" %22zu", n);
		}
		printf("\n");
	}
	for (b = 0; b < 2; b++) {
		printf("  %s, %% of lookups (timed passes)\n",
		       b ? "Bloom, fib_resolve on a miss" :
			   "Bloom, lpm_lookup on a miss");
		for (j = 0; j < 4; j++) {
			printf("    %-32s", oc[j]);
			for (k = 0; k < N_STREAM; k++) {
				tot = fig.outcome[k][b][0] +
				      fig.outcome[k][b][1] +
				      fig.outcome[k][b][2] +
				      fig.outcome[k][b][3];
				x = tot ? 100.0 * (double)fig.outcome[k][b][j] /
					  (double)tot : 0;
				printf(" %21.3f%%", x);
				kv(stream_key[k], bl[b], oc[j], x);
			}
			printf("\n");
		}
		printf("    %-32s", "memory MiB at the end");
		for (k = 0; k < N_STREAM; k++) {
			cell(fig.bloom_mib[k][b], fig.lpm_mib, "%.2f");
			kv(stream_key[k], bl[b], "mib", fig.bloom_mib[k][b]);
		}
		printf("\n    %-32s", "entries at the end");
		for (k = 0; k < N_STREAM; k++)
			printf(" %22llu",
			       (unsigned long long)fig.bloom_entries[k][b]);
		printf("\n    %-32s", "emptied at the cap");
		for (k = 0; k < N_STREAM; k++)
			printf(" %22llu",
			       (unsigned long long)fig.restarts[k][b]);
		printf("\n");
	}
	printf("  %-34s %22s %22s\n", "one figure a table", "memory MiB",
	       "load ms");
	printf("  %-34s", "lib/lpm.c");
	cell(fig.lpm_mib, fig.lpm_mib, "%.1f");
	cell(fig.lpm_ms, fig.lpm_ms, "%.0f");
	printf("\n  %-34s", "lib/fib.c (rules, local, main)");
	cell(fig.fib_mib, fig.lpm_mib, "%.1f");
	cell(fig.fib_ms, fig.lpm_ms, "%.0f");
	printf("\n  %-34s", "kernel (slab growth; ip -batch)");
	cell(o.kernel_kib == NA ? NA : o.kernel_kib / 1024, fig.lpm_mib,
	     "%.1f");
	cell(o.kernel_ms, fig.lpm_ms, "%.0f");
	printf("\n");
	kv("table", "lpm", "mib", fig.lpm_mib);
	kv("table", "lpm", "load_ms", fig.lpm_ms);
	kv("table", "fib", "mib", fig.fib_mib);
	kv("table", "fib", "load_ms", fig.fib_ms);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_route --prefixes FILE [--write-batch "
		"OUT] [--addresses N] [--passes P] [--working-set W] "
		"[--bloom-fp F] [--kernel K] [--spawns S] "
		"[--kernel-load-ms MS] [--kernel-slab-kib KIB] [--kv FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *thp = "?";
	char thp_buf[128];
	uint32_t *ws;
	struct lpm *l;
	struct fib *f;
	FILE *tf;
	size_t j;
	int a, k;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] :
						  NULL;

		if (!val && strcmp(arg, "--help"))
			usage();
		if (!strcmp(arg, "--prefixes"))
			o.file = val;
		else if (!strcmp(arg, "--write-batch"))
			o.batch = val;
		else if (!strcmp(arg, "--addresses"))
			o.addresses = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--passes"))
			o.passes = (unsigned int)atoi(val);
		else if (!strcmp(arg, "--working-set"))
			o.ws = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--bloom-fp"))
			o.fp = strtod(val, NULL);
		else if (!strcmp(arg, "--kernel"))
			o.kernel = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--spawns"))
			o.spawns = strtoul(val, NULL, 0);
		else if (!strcmp(arg, "--kernel-load-ms"))
			o.kernel_ms = strtod(val, NULL);
		else if (!strcmp(arg, "--kernel-slab-kib"))
			o.kernel_kib = strtod(val, NULL);
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
	if (!o.file || o.passes < 1 || o.passes > MAX_PASSES ||
	    o.addresses < RCU_CHUNK || o.ws < 2 || o.ws > (1u << 24) ||
	    !(o.fp > 0 && o.fp < 1))
		usage();
	read_prefixes(o.file);
	if (o.batch)
		return write_batch(o.batch);
	if (!lab_indexes(o.kernel || o.spawns)) {
		fprintf(stderr, "bench_route: no fcr0.. or %s here: --kernel "
			"and --spawns run in the lab (--write-batch)\n",
			IN_NAME);
		return 2;
	}
	tf = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (tf && fgets(thp_buf, sizeof(thp_buf), tf))
		thp = strtok(thp_buf, "\n");
	printf("bench_route: %ld CPUs online, THP %s, %zu IPv4 prefixes "
	       "over %u next hops from %s\n", sysconf(_SC_NPROCESSORS_ONLN),
	       thp, n_tab, n_nh, o.file);
	if (tf)
		fclose(tf);

	urcu_memb_register_thread();
	l = lpm_load();
	f = fib_load();
	ws = xcalloc(o.ws, sizeof(*ws));
	for (j = 0; j < o.ws; j++)
		ws[j] = inside(&tab[rnd() % n_tab]);
	for (k = 0; k < N_STREAM; k++)
		make_stream(k, ws);
	free(ws);
	for (k = 0; k < N_STREAM; k++)
		run_stream(k, l, f);
	report();

	for (k = 0; k < N_STREAM; k++)
		free(streams[k].a);
	fib_free(f);
	lpm_free(l);
	urcu_memb_unregister_thread();
	free(tab);
	if (o.kv)
		fclose(o.kv);
	if (errors)
		printf("\nbench_route: %d check(s) failed\n", errors);
	return errors ? 1 : 0;
}

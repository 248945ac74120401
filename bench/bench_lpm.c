// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_lpm: the longest-prefix match (lib/lpm.c) against DPDK's rte_lpm
 * (IPv4) and rte_lpm6 (IPv6), on a synthetic full table and the same
 * destination streams, in one run.
 *
 *   bench/build.sh bench_lpm         (HAVE_DPDK when pkg-config finds it)
 *   bench/gen_prefixes.py -o FILE    the table (bench/lpm.sh does both)
 *   bench/bench_lpm --prefixes FILE [--addresses N] [--passes P]
 *                   [--updates K] [--no-peer] [--kv FILE]
 *
 * The table is read from FILE ("ADDR/LEN NEXTHOP" lines, as
 * gen_prefixes.py writes them; next hops below 2^24, rte_lpm's limit).
 * Both sides are given the same prefixes in the file's (random) order.
 *
 * Streams, N addresses each (default 2^22), read in order, so that only
 * the tables' memory is touched at random; both sides read the same
 * addresses, in network order as packets carry them (struct stream says
 * how each side takes them):
 *   random      uniform over the IPv4 space (IPv4 only: in IPv6 almost
 *               every random address misses at the first level)
 *   routed      a random prefix of the table, random host bits: every
 *               lookup ends in a route, long prefixes as often as the
 *               table has them
 *   flow-local  4096 routed addresses, drawn log-uniformly (the first
 *               few far more often than the rest, about Zipf 1): the
 *               working set of a busy flow cache, all of it in cache
 *
 * Lookups: "single" calls lpm_lookup() / rte_lpm_lookup() /
 * rte_lpm6_lookup() once per address; "batch" calls lpm_lookup_many() /
 * rte_lpm_lookup_bulk() / rte_lpm6_lookup_bulk_func() per 64. Ours run
 * under liburcu's read lock, taken per 1024 lookups (a queue worker
 * takes it per burst of packets; a lock and unlock cost some tens of ns
 * here, the daemon's price, not the LPM's); DPDK's lookups take none.
 * Figures are ns per lookup, the median of --passes passes. Every pass
 * sums the values found on both sides and the sums must agree; once per
 * stream every single answer is compared. A difference exits 1.
 *
 * Loads: create and add every prefix, in the file's order (on 4 KiB
 * pages and on huge pages) and sorted by address (ours only: rte_lpm
 * takes a minute or more for a full table, in any order).
 *
 * Pages. DPDK runs without hugepages here (--no-huge), so its tables sit
 * on 4 KiB pages; ours ask for transparent huge pages (madvise), which a
 * 64 MiB table wants: a random lookup on 4 KiB pages misses the TLB
 * nearly every time. To compare like with like, every lookup figure is
 * taken twice: "4K", both sides on 4 KiB pages (this process runs with
 * PR_SET_THP_DISABLE while both are built), and "THP", ours rebuilt
 * with huge pages allowed and rte_lpm's tables copied to memory with
 * huge pages (peer_clone_thp() says why a copy), about what DPDK gets
 * on the hugepages it is deployed with. rte_lpm6 cannot be copied (its
 * struct is private): no THP figures for it.
 *
 * Updates, on the loaded tables (THP), K of each (default 200), each
 * timed alone: us per call, median and max. Adds of a prefix not in the
 * table and its delete, a value change of one that is; ours call
 * lpm_reclaim() every 16 updates, untimed. Memory: ours what
 * lpm_memory() reports, DPDK's its heap's allocated bytes
 * (rte_malloc_get_socket_stats), and for both the growth of the
 * resident set over the load (4K phase).
 *
 * Ratios are flowcached / peer: below 1, flowcached is faster or
 * smaller. rte_lpm is sized to the table (max_rules = prefixes + room
 * for the updates, number_tbl8s = the /24s under a longer prefix, plus
 * room); rte_lpm6 likewise, its tbl8s counted from the table, and EAL's
 * memory (-m) from both. With
 * DPDK, pkg-config's flags (among them -march=corei7) apply to
 * lib/lpm.c too: one compiler line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#ifdef HAVE_DPDK
#include <sched.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#endif

#include "bench.h"
#include "lpm.h"

#define BATCH		64
#define RCU_CHUNK	1024	/* lookups per RCU read-side section */
#define MAX_UPD		7	/* update rows a family */
#define WS_BITS		12
#define WORKING_SET	(1u << WS_BITS)
#define MAX_PASSES	15
#define HUGE		(2ul << 20)

enum fam { V4, V6, N_FAM };
enum impl { OURS, PEER, N_IMPL };
enum pages { K4, THP, N_PAGES };
enum kind { RANDOM, ROUTED, LOCAL, N_KIND };

static const char *const fam_name[N_FAM] = { "IPv4", "IPv6" };
static const char *const fam_key[N_FAM] = { "v4", "v6" };
static const char *const peer_name[N_FAM] = { "rte_lpm", "rte_lpm6" };
static const char *const kind_name[N_KIND] = {
	"random", "routed", "flow-local",
};
static const char *const pages_name[N_PAGES] = { "4K", "THP" };

struct pfx {
	union fc_addr a;
	uint8_t len;
	uint32_t nh;
};

struct table {
	struct pfx *p;
	size_t n, cap;
	size_t n_long;		/* longer than /24 (IPv4), /48 (IPv6) */
};

/*
 * Both sides read the same addresses, as a packet carries them: IPv4 as
 * 4 bytes in network order, IPv6 as 16. A single lookup of ours reads
 * the address where it lies (a union fc_addr of which only the first 4
 * bytes are read); rte_lpm takes host order, so its caller converts
 * (ntohl(), the one instruction our API does inside). A batch is
 * gathered first into each API's input array, 64 entries in L1, as a
 * queue worker would gather the destinations of a burst: union fc_addr
 * for ours, host-order words for rte_lpm.
 */
struct stream {
	union fc_addr *a;	/* IPv6 */
	uint32_t *net4;		/* IPv4 */
	size_t n;
};

#define NA (-1.0)

struct figures {
	double load[N_IMPL][3];		/* [K4 random, THP random, THP sorted] */
	double mem[N_IMPL], rss[N_IMPL];
	double look[N_KIND][2][N_IMPL][N_PAGES];	/* [single, batch] */
	double upd[MAX_UPD][N_IMPL][2];	/* [op][median, max], ns */
	char upd_name[MAX_UPD][32], upd_key[MAX_UPD][16];
	size_t n_upd;
};

static struct {
	const char *file;
	size_t addresses;
	unsigned int passes;
	unsigned int updates;
	bool peer;
	FILE *kv;
} o = {
	.addresses = 1u << 22, .passes = 3, .updates = 200, .peer = true,
};

static struct table tab[N_FAM];
static struct stream streams[N_FAM][N_KIND];
static struct figures fig[N_FAM];
static uint64_t rng = 0x2545f4914f6cdd1dull;
static int errors;
static bool peer_thp;		/* rte_lpm has a copy on huge pages */

/* --- small things ------------------------------------------------------- */

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

static size_t rss_bytes(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (size_t)sysconf(_SC_PAGESIZE);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		exit(1);
	}
	return p;
}

static void no_grace(void)
{
	urcu_memb_synchronize_rcu();
}

static void thp(bool allowed)
{
	if (prctl(PR_SET_THP_DISABLE, allowed ? 0 : 1, 0, 0, 0))
		perror("bench_lpm: PR_SET_THP_DISABLE");
}

/* --- the table and the streams ---------------------------------------------- */

static void table_push(struct table *t, const struct pfx *p)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->p = realloc(t->p, t->cap * sizeof(*t->p));
		if (!t->p) {
			fprintf(stderr, "bench_lpm: out of memory\n");
			exit(1);
		}
	}
	t->p[t->n++] = *p;
}

static void read_prefixes(const char *path)
{
	char *line = NULL, *slash;
	size_t cap = 0, lineno = 0;
	unsigned int len;
	unsigned long nh;
	struct pfx p;
	FILE *f = fopen(path, "r");
	int fam;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		memset(&p, 0, sizeof(p));
		slash = strchr(line, '/');
		if (!slash || sscanf(slash + 1, "%u %lu", &len, &nh) != 2)
			goto bad;
		*slash = 0;
		fam = strchr(line, ':') ? V6 : V4;
		if (inet_pton(fam == V4 ? AF_INET : AF_INET6, line, &p.a) != 1 ||
		    len > (fam == V4 ? 32u : 128u) || !nh || nh >= 1ul << 24)
			goto bad;
		p.len = (uint8_t)len;
		p.nh = (uint32_t)nh;
		tab[fam].n_long += len > (fam == V4 ? 24u : 48u);
		table_push(&tab[fam], &p);
	}
	free(line);
	fclose(f);
	return;
bad:
	fprintf(stderr, "%s:%zu: not \"ADDR/LEN NEXTHOP\" (next hop "
		"1..2^24-1)\n", path, lineno);
	exit(2);
}

/* A random address inside prefix p. */
static union fc_addr inside(const struct pfx *p, int fam)
{
	union fc_addr a = p->a;
	unsigned int bits = fam == V4 ? 32 : 128, i;
	uint64_t r = 0;

	for (i = p->len; i < bits; i++) {
		if ((i - p->len) % 64 == 0)
			r = rnd();
		if (r & 1)
			a.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		r >>= 1;
	}
	return a;
}

static void make_stream(int fam, enum kind k, size_t n)
{
	struct stream *s = &streams[fam][k];
	union fc_addr ws[WORKING_SET];
	unsigned int e;
	size_t i, j;

	s->n = n;
	s->a = xcalloc(n, sizeof(*s->a));
	for (j = 0; k == LOCAL && j < WORKING_SET; j++)
		ws[j] = inside(&tab[fam].p[rnd() % tab[fam].n], fam);
	for (i = 0; i < n; i++) {
		switch (k) {
		case RANDOM:
			s->a[i].v4.s_addr = (uint32_t)rnd();
			break;
		case ROUTED:
			s->a[i] = inside(&tab[fam].p[rnd() % tab[fam].n], fam);
			break;
		default:
			/* log-uniform index: a power of two in 1..2048,
			 * then uniform below the next; P(j) ~ 1/j, about
			 * Zipf 1 */
			e = (unsigned int)(rnd() % WS_BITS);
			j = ((size_t)1 << e) - 1 + rnd() % ((size_t)1 << e);
			s->a[i] = ws[j];
			break;
		}
	}
	if (fam != V4)
		return;
	/* room for a whole union fc_addr at the last address */
	s->net4 = xcalloc(n + 3, sizeof(*s->net4));
	for (i = 0; i < n; i++)
		s->net4[i] = s->a[i].v4.s_addr;
	free(s->a);
	s->a = NULL;
}

/* Address i of a stream, as our API takes it (see struct stream). */
static inline const union fc_addr *addr_at(const struct stream *s, size_t i)
{
	if (s->net4)
		return (const union fc_addr *)(const void *)&s->net4[i];
	return &s->a[i];
}

static bool has_stream(int fam, enum kind k)
{
	return streams[fam][k].n != 0;
}

static int cmp_pfx(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;
	int c = memcmp(a->a.b, b->a.b, 16);

	return c ? c : a->len - b->len;
}

/* --- ours -------------------------------------------------------------------- */

/* Create and load; returns ms. */
static double ours_build(int fam, const struct pfx *p, size_t n,
			 struct lpm **out)
{
	struct lpm_params lp = {
		.family = fam == V4 ? AF_INET : AF_INET6,
		.synchronize = no_grace,
	};
	double t0 = now_ns();
	struct lpm *l = lpm_new(&lp);
	size_t i;
	int err;

	if (!l) {
		fprintf(stderr, "bench_lpm: lpm_new failed\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		err = lpm_add(l, &p[i].a, p[i].len, p[i].nh);
		if (err) {
			fprintf(stderr, "bench_lpm: lpm_add: %s\n",
				strerror(-err));
			exit(1);
		}
	}
	*out = l;
	return (now_ns() - t0) / 1e6;
}

/* A batch of up to BATCH addresses from i, where our API wants them. */
static const union fc_addr *batch_at(const struct stream *s, size_t i,
				     size_t m, union fc_addr *buf)
{
	size_t j;

	if (!s->net4)
		return s->a + i;
	for (j = 0; j < m; j++)
		buf[j].v4.s_addr = s->net4[i + j];
	return buf;
}

static double ours_pass(const struct lpm *l, const struct stream *s,
			bool batch, uint64_t *sum)
{
	/* in locals: the lookups' atomic loads keep the compiler from
	 * keeping struct fields in registers */
	const uint32_t *net4 = s->net4;
	const union fc_addr *a6 = s->a;
	union fc_addr buf[BATCH];
	uint32_t nh[BATCH];
	uint64_t acc = 0;
	size_t i, j, m;
	double t0 = now_ns();

	for (i = 0; i < s->n; i += m) {
		m = s->n - i < BATCH ? s->n - i : BATCH;
		if (i % RCU_CHUNK == 0)
			urcu_memb_read_lock();
		if (batch) {
			lpm_lookup_many(l, batch_at(s, i, m, buf), m, nh);
			for (j = 0; j < m; j++)
				acc += nh[j];
		} else if (net4) {
			for (j = i; j < i + m; j++)
				acc += lpm_lookup(l, (const union fc_addr *)
						  (const void *)&net4[j], NULL);
		} else {
			for (j = i; j < i + m; j++)
				acc += lpm_lookup(l, &a6[j], NULL);
		}
		if ((i + m) % RCU_CHUNK == 0 || i + m == s->n)
			urcu_memb_read_unlock();
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

/* --- the peer ---------------------------------------------------------------- */

#ifdef HAVE_DPDK
static bool eal_up;
static struct rte_lpm *rte4;
static struct rte_lpm *look4;	/* what lookups use: rte4, or its copy */
static uint32_t rte4_tbl8s;
static uint32_t n_tbl8[N_FAM];	/* tbl8 groups each peer is given */
static struct rte_lpm6 *rte6;

/*
 * EAL without hugepages, PCI, shared config or telemetry: only its
 * allocator is wanted. -l 0 pins this thread to CPU 0; the affinity it
 * had is put back afterwards, so both sides run under the same
 * scheduling.
 */
static void eal_start(size_t mb)
{
	char m[24], *argv[] = {
		"bench_lpm", "--no-huge", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=4", "-l", "0", "-m", m, NULL,
	};
	cpu_set_t cpus;
	int got;

	snprintf(m, sizeof(m), "%zu", mb);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	printf("+ rte_eal_init:");
	for (got = 1; argv[got]; got++)
		printf(" %s", argv[got]);
	printf("\n");
	fflush(stdout);
	got = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (got < 0) {
		printf("EAL did not start (%s); running without the peers\n",
		       rte_strerror(rte_errno));
		return;
	}
	eal_up = true;
}

static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) < 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* rte_lpm's tbl8 groups: one per /24 holding a longer prefix. */
static uint32_t tbl8s_v4(void)
{
	uint32_t *k = xcalloc(tab[V4].n + 1, sizeof(*k)), n = 0, u = 0, i;

	for (i = 0; i < tab[V4].n; i++)
		if (tab[V4].p[i].len > 24)
			k[n++] = ntohl(tab[V4].p[i].a.v4.s_addr) >> 8;
	qsort(k, n, sizeof(*k), cmp_u32);
	for (i = 0; i < n; i++)
		u += !i || k[i] != k[i - 1];
	free(k);
	return u;
}

struct lvkey {
	uint8_t b[16];
	uint8_t bits;
};

static int cmp_lvkey(const void *x, const void *y)
{
	const struct lvkey *a = x, *b = y;
	int c = memcmp(a->b, b->b, 16);

	return c ? c : a->bits - b->bits;
}

/*
 * rte_lpm6's tbl8 groups: its first level takes 24 bits, each further
 * one 8, and a prefix needs a group at every level boundary it passes;
 * prefixes sharing the bits above a boundary share that group.
 */
static uint32_t tbl8s_v6(void)
{
	size_t n = 0, i, cap = tab[V6].n * 4 + 16;
	struct lvkey *k = xcalloc(cap, sizeof(*k));
	unsigned int bits, j;
	uint32_t u = 0;

	for (i = 0; i < tab[V6].n; i++) {
		const struct pfx *p = &tab[V6].p[i];

		for (bits = 24; bits < p->len; bits += 8) {
			if (n == cap) {
				cap *= 2;
				k = realloc(k, cap * sizeof(*k));
				if (!k)
					exit(1);
			}
			memset(&k[n], 0, sizeof(k[n]));
			for (j = 0; j < bits / 8; j++)
				k[n].b[j] = p->a.b[j];
			k[n++].bits = (uint8_t)bits;
		}
	}
	qsort(k, n, sizeof(*k), cmp_lvkey);
	for (i = 0; i < n; i++)
		u += !i || cmp_lvkey(&k[i], &k[i - 1]);
	free(k);
	return u;
}

static double peer_build(int fam)
{
	size_t room = o.updates * 4 + 1024, i;
	const struct table *t = &tab[fam];
	double t0;
	int err;

	if (fam == V4) {
		struct rte_lpm_config c = {
			.max_rules = (uint32_t)(t->n + room),
			.number_tbl8s = n_tbl8[V4],
		};

		t0 = now_ns();
		rte4 = look4 = rte_lpm_create("bench4", (int)rte_socket_id(),
					      &c);
		rte4_tbl8s = c.number_tbl8s;
		if (!rte4)
			goto fail;
		for (i = 0; i < t->n; i++) {
			err = rte_lpm_add(rte4, ntohl(t->p[i].a.v4.s_addr),
					  t->p[i].len, t->p[i].nh);
			if (err)
				goto add_fail;
		}
	} else {
		struct rte_lpm6_config c = {
			.max_rules = (uint32_t)(t->n + room),
			.number_tbl8s = n_tbl8[V6],
		};

		t0 = now_ns();
		rte6 = rte_lpm6_create("bench6", (int)rte_socket_id(), &c);
		if (!rte6)
			goto fail;
		for (i = 0; i < t->n; i++) {
			err = rte_lpm6_add(rte6, t->p[i].a.b, t->p[i].len,
					   t->p[i].nh);
			if (err)
				goto add_fail;
		}
	}
	return (now_ns() - t0) / 1e6;
fail:
	fprintf(stderr, "bench_lpm: %s_create: %s\n", peer_name[fam],
		rte_strerror(rte_errno));
	exit(1);
add_fail:
	fprintf(stderr, "bench_lpm: %s_add: %s\n", peer_name[fam],
		strerror(-err));
	exit(1);
}

static double peer_pass(int fam, const struct stream *s, bool batch,
			uint64_t *sum)
{
	const uint32_t *net4 = s->net4;
	uint32_t nh[BATCH], buf[BATCH], x;
	uint64_t acc = 0;
	size_t i, j, m;
	double t0 = now_ns();

	for (i = 0; i < s->n; i += m) {
		m = s->n - i < BATCH ? s->n - i : BATCH;
		if (fam == V4 && batch) {
			for (j = 0; j < m; j++)
				buf[j] = ntohl(net4[i + j]);
			rte_lpm_lookup_bulk(look4, buf, nh, (unsigned)m);
			for (j = 0; j < m; j++)
				acc += nh[j] & RTE_LPM_LOOKUP_SUCCESS ?
				       nh[j] & 0xffffff : 0;
		} else if (fam == V4) {
			for (j = i; j < i + m; j++) {
				x = 0;
				rte_lpm_lookup(look4, ntohl(net4[j]), &x);
				acc += x;
			}
		} else if (batch) {
			rte_lpm6_lookup_bulk_func(rte6,
				(uint8_t (*)[16])(void *)&s->a[i],
				(int32_t *)nh, (unsigned)m);
			for (j = 0; j < m; j++)
				acc += (int32_t)nh[j] < 0 ? 0 : nh[j];
		} else {
			for (j = 0; j < m; j++) {
				x = 0;
				rte_lpm6_lookup(rte6, s->a[i + j].b, &x);
				acc += x;
			}
		}
	}
	*sum = acc;
	return (now_ns() - t0) / (double)s->n;
}

static int peer_add(int fam, const struct pfx *p)
{
	return fam == V4 ? rte_lpm_add(rte4, ntohl(p->a.v4.s_addr), p->len,
				       p->nh)
			 : rte_lpm6_add(rte6, p->a.b, p->len, p->nh);
}

static int peer_del(int fam, const struct pfx *p)
{
	return fam == V4 ? rte_lpm_delete(rte4, ntohl(p->a.v4.s_addr), p->len)
			 : rte_lpm6_delete(rte6, p->a.b, p->len);
}

/* One answer, for the comparison pass. */
static uint32_t peer_one(int fam, const union fc_addr *a)
{
	uint32_t x = 0;

	if (fam == V4)
		rte_lpm_lookup(look4, ntohl(a->v4.s_addr), &x);
	else
		rte_lpm6_lookup(rte6, a->b, &x);
	return x;
}

/* Anonymous memory, 2 MiB aligned, huge pages asked for. */
static void *thp_alloc(size_t bytes)
{
	uint8_t *m = mmap(NULL, bytes + HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p;

	if (m == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)m + HUGE - 1) & ~(HUGE - 1));
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/*
 * rte_lpm on huge pages. DPDK's --no-huge memory is a memfd (shmem),
 * which has no transparent huge pages unless shmem_enabled allows them
 * (here it does not); but struct rte_lpm is public and its lookups read
 * only tbl24 and tbl8, so a copy of both in anonymous memory with huge
 * pages runs DPDK's own lookup code as it would on its hugepages.
 * rte_lpm6 is opaque: no copy, no THP figures.
 */
static bool peer_clone_thp(void)
{
	size_t t8 = (size_t)rte4_tbl8s * RTE_LPM_TBL8_GROUP_NUM_ENTRIES *
		    sizeof(struct rte_lpm_tbl_entry);
	struct rte_lpm *c = thp_alloc(sizeof(*c));
	struct rte_lpm_tbl_entry *tbl8 = thp_alloc(t8);

	if (!rte4 || !c || !tbl8) {
		printf("rte_lpm: no memory for its copy on huge pages\n");
		return false;
	}
	memcpy(c, rte4, sizeof(*c));
	memcpy(tbl8, rte4->tbl8, t8);
	c->tbl8 = tbl8;
	look4 = c;		/* never freed: the process ends soon */
	return true;
}

static bool peer_up(void)
{
	return eal_up;
}
#else
static bool peer_up(void)
{
	return false;
}

static size_t heap_bytes(void)
{
	return 0;
}

static double peer_build(int fam)
{
	(void)fam;
	return NA;
}

static double peer_pass(int fam, const struct stream *s, bool batch,
			uint64_t *sum)
{
	(void)fam, (void)s, (void)batch;
	*sum = 0;
	return NA;
}

static int peer_add(int fam, const struct pfx *p)
{
	(void)fam, (void)p;
	return 0;
}

static int peer_del(int fam, const struct pfx *p)
{
	(void)fam, (void)p;
	return 0;
}

static uint32_t peer_one(int fam, const union fc_addr *a)
{
	(void)fam, (void)a;
	return 0;
}
#endif

/* --- measuring -------------------------------------------------------------- */

/* Every answer of every stream, ours against the peer's. */
static void compare(int fam, const struct lpm *l)
{
	union fc_addr buf[BATCH];
	const union fc_addr *a;
	uint32_t nh[BATCH];
	size_t i, j, bad = 0;
	int k;

	for (k = 0; k < N_KIND; k++) {
		const struct stream *s = &streams[fam][k];

		for (i = 0; i < s->n; i += BATCH) {
			size_t m = s->n - i < BATCH ? s->n - i : BATCH;

			urcu_memb_read_lock();
			lpm_lookup_many(l, batch_at(s, i, m, buf), m, nh);
			for (j = 0; j < m; j++) {
				uint32_t one;

				a = addr_at(s, i + j);
				one = lpm_lookup(l, a, NULL);
				bad += one != nh[j] ||
				       (peer_up() && one != peer_one(fam, a));
			}
			urcu_memb_read_unlock();
		}
	}
	if (bad) {
		printf("%s: %zu answers differ%s\n", fam_name[fam], bad,
		       peer_up() ? " (ours single/batch or ours/peer)" : "");
		errors++;
	}
}

static void lookups(int fam, const struct lpm *l, enum pages pg,
		    bool with_peer)
{
	double v[N_IMPL][MAX_PASSES];
	uint64_t sum[N_IMPL];
	unsigned int p, b;
	int k, i;

	for (k = 0; k < N_KIND; k++) {
		const struct stream *s = &streams[fam][k];

		if (!has_stream(fam, k))
			continue;
		for (b = 0; b < 2; b++) {
			for (p = 0; p < o.passes; p++) {
				v[OURS][p] = ours_pass(l, s, b, &sum[OURS]);
				if (!with_peer)
					continue;
				v[PEER][p] = peer_pass(fam, s, b, &sum[PEER]);
				if (sum[OURS] != sum[PEER]) {
					printf("%s %s: value sums differ: "
					       "%llu, peer %llu\n",
					       fam_name[fam], kind_name[k],
					       (unsigned long long)sum[OURS],
					       (unsigned long long)sum[PEER]);
					errors++;
				}
			}
			for (i = 0; i < N_IMPL; i++)
				fig[fam].look[k][b][i][pg] =
					i == OURS || with_peer ?
					median(v[i], o.passes) : NA;
		}
	}
}

/*
 * K prefixes of a length not in the table (checked: a lookup of the
 * prefix's address does not come back with that length), inside
 * routed space.
 */
static void new_prefixes(int fam, const struct lpm *l, uint8_t len,
			 struct pfx *out, size_t k)
{
	size_t i = 0, tries = 0;
	uint8_t got;

	while (i < k && tries++ < k * 1000) {
		struct pfx p = { .len = len, .nh = 1 + (uint32_t)(rnd() % 200) };
		const struct pfx *base = &tab[fam].p[rnd() % tab[fam].n];
		unsigned int j, bits = fam == V4 ? 32 : 128;

		if (base->len > len)
			continue;
		p.a = inside(base, fam);
		for (j = len; j < bits; j++)
			p.a.b[j / 8] &= (uint8_t)~(0x80u >> (j % 8));
		urcu_memb_read_lock();
		lpm_lookup(l, &p.a, &got);
		urcu_memb_read_unlock();
		if (got == len)
			continue;
		for (j = 0; j < i; j++)
			if (!memcmp(out[j].a.b, p.a.b, 16))
				break;
		if (j == i)
			out[i++] = p;
	}
	if (i < k) {
		fprintf(stderr, "bench_lpm: no room for new /%u prefixes\n",
			len);
		exit(1);
	}
}

enum upd_op { U_ADD, U_DEL, U_SET };

static void time_op(int fam, struct lpm *l, enum impl who, enum upd_op op,
		    struct pfx *p, size_t k, double *med, double *max)
{
	double *v = xcalloc(k, sizeof(*v)), t0;
	size_t i;
	int err;

	for (i = 0; i < k; i++) {
		t0 = now_ns();
		if (who == OURS)
			err = op == U_DEL ? lpm_del(l, &p[i].a, p[i].len)
					  : lpm_add(l, &p[i].a, p[i].len,
						    p[i].nh);
		else
			err = op == U_DEL ? peer_del(fam, &p[i]) :
						 peer_add(fam, &p[i]);
		v[i] = now_ns() - t0;
		if (err) {
			printf("%s update: %s\n", who == OURS ? "lpm" :
			       peer_name[fam], strerror(-err));
			errors++;
		}
		if (who == OURS && i % 16 == 15)
			lpm_reclaim(l);		/* not timed */
	}
	*max = v[0];
	for (i = 1; i < k; i++)
		if (v[i] > *max)
			*max = v[i];
	*med = median(v, k);
	free(v);
}

/* Time op on k prefixes on both sides; the next row of the report. */
static void update_row(int fam, struct lpm *l, bool with_peer,
		       enum upd_op op, struct pfx *p, size_t k)
{
	static const char *const verb[] = { "add", "delete", "change" };
	static const char *const key[] = { "add", "del", "set" };
	struct figures *f = &fig[fam];
	size_t n = f->n_upd++;
	int w;

	snprintf(f->upd_name[n], sizeof(f->upd_name[n]), "%s /%u%s", verb[op],
		 p[0].len, op == U_SET ? " value" : ", new");
	snprintf(f->upd_key[n], sizeof(f->upd_key[n]), "%s%u", key[op],
		 p[0].len);
	for (w = 0; w < N_IMPL; w++) {
		f->upd[n][w][0] = f->upd[n][w][1] = NA;
		if (w == OURS || with_peer)
			time_op(fam, l, w, op, p, k, &f->upd[n][w][0],
				&f->upd[n][w][1]);
	}
}

/*
 * Adds of new prefixes of three lengths and their deletes, then value
 * changes of prefixes in the table, on both sides.
 */
static void updates(int fam, struct lpm *l, bool with_peer)
{
	static const uint8_t len4[] = { 24, 32, 16 }, len6[] = { 48, 64, 32 };
	const uint8_t *lens = fam == V4 ? len4 : len6;
	size_t k = o.updates, i, u;
	struct pfx *p = xcalloc(k, sizeof(*p));

	fig[fam].n_upd = 0;
	for (u = 0; u < 3; u++) {
		new_prefixes(fam, l, lens[u], p, k);
		update_row(fam, l, with_peer, U_ADD, p, k);
		update_row(fam, l, with_peer, U_DEL, p, k);
	}
	for (i = 0; i < k; i++) {
		do
			p[i] = tab[fam].p[rnd() % tab[fam].n];
		while (p[i].len != lens[0]);
		p[i].nh = p[i].nh % 200 + 1000;
	}
	update_row(fam, l, with_peer, U_SET, p, k);
	free(p);
	lpm_reclaim(l);
}

/* --- the report -------------------------------------------------------------- */

static void kv(int fam, int who, const char *key, double v)
{
	if (o.kv && v != NA)
		fprintf(o.kv, "%s %s %s %.3f\n", fam_key[fam],
			who == OURS ? "flowcached" : peer_name[fam], key, v);
}

static void cell(double v, const char *fmt)
{
	char b[32];

	if (v == NA)
		printf(" %12s", "-");
	else {
		snprintf(b, sizeof(b), fmt, v);
		printf(" %12s", b);
	}
}

static void row(int fam, const char *label, const char *key, double ours,
		double peer, const char *fmt)
{
	printf("  %-34s", label);
	cell(ours, fmt);
	cell(peer, fmt);
	if (ours != NA && peer != NA && peer > 0)
		printf(" %8.2f", ours / peer);
	printf("\n");
	kv(fam, OURS, key, ours);
	kv(fam, PEER, key, peer);
}

static void report(int fam)
{
	const struct figures *f = &fig[fam];
	char label[64], key[64];
	unsigned int b, u;
	int k, pg;

	printf("\n%s: %zu prefixes (%zu longer than /%u), %zu addresses "
	       "per stream, median of %u passes\n", fam_name[fam], tab[fam].n,
	       tab[fam].n_long, fam == V4 ? 24 : 48, o.addresses, o.passes);
	printf("  %-34s %12s %12s %8s\n", "", "flowcached", peer_name[fam],
	       "ratio");
	row(fam, "load ms, file order, 4K", "load_ms", f->load[OURS][0],
	    f->load[PEER][0], "%.0f");
	row(fam, "load ms, file order, THP", "load_thp_ms", f->load[OURS][1],
	    NA, "%.0f");
	row(fam, "load ms, sorted, THP", "load_sorted_thp_ms",
	    f->load[OURS][2], NA, "%.0f");
	row(fam, "memory MiB, allocated", "mem_mib", f->mem[OURS],
	    f->mem[PEER], "%.1f");
	row(fam, "memory MiB, RSS growth", "rss_mib", f->rss[OURS],
	    f->rss[PEER], "%.1f");
	for (pg = 0; pg < N_PAGES; pg++) {
		for (k = 0; k < N_KIND; k++) {
			if (!has_stream(fam, k))
				continue;
			for (b = 0; b < 2; b++) {
				snprintf(label, sizeof(label),
					 "lookup ns, %s, %s, %s", kind_name[k],
					 b ? "batch" : "single",
					 pages_name[pg]);
				snprintf(key, sizeof(key), "%s_%s_%s_ns",
					 kind_name[k], b ? "batch" : "single",
					 pages_name[pg]);
				row(fam, label, key, f->look[k][b][OURS][pg],
				    f->look[k][b][PEER][pg], "%.2f");
			}
		}
	}
	for (u = 0; u < f->n_upd; u++) {
		snprintf(label, sizeof(label), "%s, us median",
			 f->upd_name[u]);
		snprintf(key, sizeof(key), "%s_us", f->upd_key[u]);
		row(fam, label, key, f->upd[u][OURS][0] / 1e3,
		    f->upd[u][PEER][0] == NA ? NA : f->upd[u][PEER][0] / 1e3,
		    "%.2f");
		snprintf(label, sizeof(label), "%s, us max", f->upd_name[u]);
		snprintf(key, sizeof(key), "%s_max_us", f->upd_key[u]);
		row(fam, label, key, f->upd[u][OURS][1] / 1e3,
		    f->upd[u][PEER][1] == NA ? NA : f->upd[u][PEER][1] / 1e3,
		    "%.2f");
	}
}

/* --- phases -------------------------------------------------------------------- */

/*
 * Both sides built with THP off, their lookups timed; ours is then
 * freed (the THP phase builds its own), the peer kept.
 */
static void phase_4k(int fam)
{
	struct figures *f = &fig[fam];
	size_t rss0, heap0;
	struct lpm *l;

	rss0 = rss_bytes();
	f->load[OURS][0] = ours_build(fam, tab[fam].p, tab[fam].n, &l);
	f->rss[OURS] = (double)(rss_bytes() - rss0) / (1 << 20);
	f->mem[OURS] = (double)lpm_memory(l) / (1 << 20);
	f->load[PEER][0] = f->mem[PEER] = f->rss[PEER] = NA;
	if (peer_up()) {
		printf("+ loading %s (%zu prefixes)\n", peer_name[fam],
		       tab[fam].n);
		fflush(stdout);
		heap0 = heap_bytes();
		rss0 = rss_bytes();
		f->load[PEER][0] = peer_build(fam);
		f->rss[PEER] = (double)(rss_bytes() - rss0) / (1 << 20);
		f->mem[PEER] = (double)(heap_bytes() - heap0) / (1 << 20);
	}
	compare(fam, l);
	lookups(fam, l, K4, peer_up());
	lpm_free(l);
}

static void phase_thp(int fam)
{
	struct figures *f = &fig[fam];
	struct pfx *sorted;
	struct lpm *l, *ls;

	f->load[OURS][1] = ours_build(fam, tab[fam].p, tab[fam].n, &l);
	sorted = xcalloc(tab[fam].n, sizeof(*sorted));
	memcpy(sorted, tab[fam].p, tab[fam].n * sizeof(*sorted));
	qsort(sorted, tab[fam].n, sizeof(*sorted), cmp_pfx);
	f->load[OURS][2] = ours_build(fam, sorted, tab[fam].n, &ls);
	lpm_free(ls);
	free(sorted);
	compare(fam, l);
	lookups(fam, l, THP, peer_up() && peer_thp && fam == V4);
	updates(fam, l, peer_up());
	lpm_free(l);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_lpm --prefixes FILE [--addresses N] "
		"[--passes P] [--updates K] [--no-peer] [--kv FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int a, fam, k;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--prefixes") && a + 1 < argc)
			o.file = argv[++a];
		else if (!strcmp(argv[a], "--addresses") && a + 1 < argc)
			o.addresses = strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--passes") && a + 1 < argc)
			o.passes = (unsigned int)atoi(argv[++a]);
		else if (!strcmp(argv[a], "--updates") && a + 1 < argc)
			o.updates = (unsigned int)atoi(argv[++a]);
		else if (!strcmp(argv[a], "--no-peer"))
			o.peer = false;
		else if (!strcmp(argv[a], "--kv") && a + 1 < argc) {
			o.kv = fopen(argv[++a], "w");
			if (!o.kv) {
				perror(argv[a]);
				return 2;
			}
		} else
			usage();
	}
	if (!o.file || o.passes < 1 || o.passes > MAX_PASSES ||
	    o.addresses < BATCH || o.updates < 1 || o.updates > 100000)
		usage();

	/* everything built from here on sits on 4 KiB pages, until the
	 * THP phase */
	thp(false);
	read_prefixes(o.file);
	for (fam = 0; fam < N_FAM; fam++) {
		if (!tab[fam].n)
			continue;
		for (k = 0; k < N_KIND; k++)
			if (k != RANDOM || fam == V4)
				make_stream(fam, k, o.addresses);
	}
	urcu_memb_register_thread();
#ifdef HAVE_DPDK
	if (o.peer) {
		/* rte_lpm: 64 MiB and 1 KiB a tbl8, 8 bytes a rule;
		 * rte_lpm6 the same and its rule hash: generous, since
		 * it is only reserved */
		/* room for the updates' prefixes too; rte_lpm6's groups
		 * are counted for its strides, ours may differ a little */
		size_t room = o.updates * 4 + 1024;

		n_tbl8[V4] = tbl8s_v4() + (uint32_t)room;
		n_tbl8[V6] = tbl8s_v6() * 11 / 10 + (uint32_t)room * 8;
		/* MiB: both tbl24s, the tbl8s (1 KiB each), the rules
		 * (rte_lpm's array, rte_lpm6's hash), a quarter more */
		eal_start((256 + 128 + (n_tbl8[V4] + n_tbl8[V6]) / 1024 +
			   (tab[V4].n * 16 + tab[V6].n * 160) / (1 << 20)) *
			  5 / 4);
	}
#endif
	printf("bench_lpm: %ld CPUs online, %zu IPv4 and %zu IPv6 prefixes "
	       "from %s\n", sysconf(_SC_NPROCESSORS_ONLN), tab[V4].n,
	       tab[V6].n, o.file);

	for (fam = 0; fam < N_FAM; fam++)
		if (tab[fam].n)
			phase_4k(fam);
	thp(true);
#ifdef HAVE_DPDK
	if (peer_up())
		peer_thp = peer_clone_thp();
#endif
	for (fam = 0; fam < N_FAM; fam++)
		if (tab[fam].n)
			phase_thp(fam);
	for (fam = 0; fam < N_FAM; fam++)
		if (tab[fam].n)
			report(fam);

#ifdef HAVE_DPDK
	if (peer_up()) {
		rte_lpm_free(rte4);
		rte_lpm6_free(rte6);
		rte_eal_cleanup();
	}
#endif
	urcu_memb_unregister_thread();
	if (o.kv)
		fclose(o.kv);
	if (errors)
		printf("\nbench_lpm: %d check(s) failed\n", errors);
	return errors ? 1 : 0;
}

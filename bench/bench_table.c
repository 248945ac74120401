// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_table: the flow table (lib/flowtable.c) against DPDK's rte_hash,
 * on the same random keys, and the table's behaviour while it resizes.
 *
 *   bench/build.sh bench_table      (HAVE_DPDK when pkg-config finds it)
 *   bench/bench_table               N = 10k and 1M
 *   bench/bench_table --full        N = 10k, 1M and 10M
 *   bench/bench_table --smoke       N = 10k and 100k, a few seconds (CI)
 *   options: --sizes N,N,..  --passes P  --no-peer  --kv FILE
 *
 * Per N, each table gets the same N flows (random IPv4 TCP/UDP tuples)
 * and the same probe arrays: random present keys ("hit", orig keys) and
 * keys never inserted ("miss"), read in order so that only the table's
 * memory is touched at random.
 *
 *   flowcached   ft_new() with initial_flows N (rte_hash is sized up
 *                front too: entries N); inserts are
 *                ft_lock + ft_add_locked(admit = false) + ft_unlock each;
 *                lookups take the RCU read lock per ft_lookup() and per
 *                ft_lookup_many() call of 32 keys. Extra rows, ours only:
 *                inserts into a table created with initial_flows 0 (the
 *                resizes included); inserts and memory when every flow is
 *                source-NATed (its reply key then is not the reversed
 *                orig: a second node and an extension); single lookups by
 *                the reply key (the hit probes reversed).
 *   rte_hash     rte_hash_create(entries = N, key_len 40, rte_hash_crc,
 *                random seed), default flags (single writer, readers
 *                not safe against it): the fastest it gets. It holds one
 *                key per flow and no flow state: a DPDK application keeps
 *                that in its own array, indexed by the position returned,
 *                and would need a second key for the reply direction.
 *   rte_hash-lf  the same with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
 *                the mode in which lookups may run during writes, as
 *                ours do (not with --smoke).
 *
 * Figures are ns per operation, the median of --passes passes, and the
 * ratio flowcached/peer (below 1: flowcached is faster). Insert figures
 * include first-touch page faults on both sides. Bytes per flow: what the
 * allocator handed out (malloc for flowcached, the DPDK heap for
 * rte_hash) from before the table was created to after N inserts, over
 * N; the resident-set growth is printed beside it.
 *
 * Crafted keys: 1000 IPv6 flows whose CRC32C is one value under every
 * seed (CRC is linear; see crc_kernel()), into rte_hash with its default
 * hash, rte_hash_crc, and into our table: what the peer's speed rests on.
 *
 * Then, at the largest N, the resize test: a table created with
 * initial_flows 0 (its least size) is filled with N flows by this thread
 * while a second thread
 * (on another CPU when there is one) looks up keys already inserted,
 * alternating batches of 1000 single lookups and 32 ft_lookup_many()
 * calls of 32 keys. Each batch is timed with the TSC; per phase of the
 * writer, and per resize, the p50/p99/max of the batch means and the
 * slowest single lookup (or 32-key call) are printed. After the growth
 * ft_maintain() finishes any resize, then 90% of the flows are deleted
 * (the reader now looking up the surviving 10%), the shrink is finished
 * by ft_maintain(), and both steady states are timed too. A lookup that
 * misses a present key is counted: it must stay 0. The writer inserts
 * and deletes one flow per lock hold, reads ft_get_stats() every 64 to
 * see a resize begin or end, and calls ft_reclaim() every 65536. The
 * reader reads the TSC after every single lookup, which keeps lookups
 * from overlapping: compare its phases with each other, not with the
 * figures of the first part.
 *
 * EAL runs without hugepages (--no-huge), so rte_hash lives on 4 KiB
 * pages as our table does. When EAL cannot start, the reason is printed
 * and the peer is left out. With DPDK, pkg-config's flags (among them
 * -march=corei7) apply to lib/flowtable.c too: one compiler line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <x86intrin.h>

#include <urcu/urcu-memb.h>

#ifdef HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#endif

#include "bench.h"
#include "crc_kernel.h"
#include "flowtable.h"
#include "tuple.h"

#define BATCH		32
#define MAX_SIZES	8
#define RZ_SINGLE	1000		/* single lookups per timed batch */
#define RZ_GROUPS	32		/* ft_lookup_many() calls per batch */
#define RZ_MAX_REC	(1u << 22)
#define RZ_MAX_EPOCH	4096
#define RZ_POLL		64		/* writer ops between resize polls */
#define RZ_RECLAIM	65536		/* writer ops between ft_reclaim() */
#define RZ_BUDGET	1024		/* buckets per ft_maintain() */

enum impl { FT, RTE, RTE_LF, N_IMPL };
static const char *const impl_name[N_IMPL] = {
	"flowcached", "rte_hash", "rte_hash-lf",
};

enum metric {
	M_INSERT, M_GROW, M_NAT, M_HIT, M_HIT32, M_REPLY, M_MISS, M_MISS32,
	M_BYTES, M_BYTES_NAT, M_RSS, N_METRIC,
};
#define NA (-1.0)	/* a figure that does not apply */
static const struct {
	const char *label, *key;
} metric[N_METRIC] = {
	[M_INSERT] = { "insert ns/op, presized", "insert_ns" },
	[M_GROW] = { "insert ns/op, growing", "insert_grow_ns" },
	[M_NAT] = { "insert ns/op, NAT, presized", "insert_nat_ns" },
	[M_HIT] = { "hit ns/op, single", "hit_ns" },
	[M_HIT32] = { "hit ns/op, batch of 32", "hit32_ns" },
	[M_REPLY] = { "hit ns/op, reply key", "hit_reply_ns" },
	[M_MISS] = { "miss ns/op, single", "miss_ns" },
	[M_MISS32] = { "miss ns/op, batch of 32", "miss32_ns" },
	[M_BYTES] = { "bytes/flow, allocated", "bytes_per_flow" },
	[M_BYTES_NAT] = { "bytes/flow, NAT, allocated", "bytes_per_nat_flow" },
	[M_RSS] = { "bytes/flow, RSS growth", "rss_per_flow" },
};

struct figures {
	bool ran;
	double v[N_METRIC];	/* or NA */
	uint64_t wrong;		/* failed inserts, hits missed, misses hit */
	uint64_t refused;	/* rte_hash: inserts its full buckets refused */
	struct ft_stats st;	/* flowcached: the table after the inserts */
};

struct opts {
	uint64_t sizes[MAX_SIZES];
	size_t n_sizes;
	size_t probes;		/* hit probes; half as many misses */
	unsigned int passes;
	double steady_s;	/* resize test: each steady phase */
	bool peer, peer_lf;
	FILE *kv;
};

static struct opts o = {
	.sizes = { 10000, 1000000 }, .n_sizes = 2, .probes = 1u << 21,
	.passes = 3, .steady_s = 1.0, .peer = true, .peer_lf = true,
};
static uint64_t rng_state;
static double tsc_ns;		/* ns per TSC tick */
static int errors;

/* --- small things ------------------------------------------------------- */

static uint64_t rnd(void)
{
	return splitmix64(&rng_state);
}

/* uniform in [0, n) without a division */
static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
}

/* The table's secrets: from the kernel, as the daemon draws them. */
static void ft_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("bench_table: getrandom");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The TSC ticks at a constant rate here (constant_tsc); measure it. */
static void tsc_calibrate(void)
{
	double t0 = now_ns(), t1;
	uint64_t c0 = __rdtsc();

	do
		t1 = now_ns();
	while (t1 - t0 < 50e6);
	tsc_ns = (t1 - t0) / (double)(__rdtsc() - c0);
}

/* q-quantile of v (sorted in place), nearest rank */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)n);
	return v[i < n ? i : n - 1];
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_table: out of memory (%zu x %zu)\n",
			n, size);
		exit(1);
	}
	return p;
}

/* Bytes malloc has handed out (heap and mmapped chunks). */
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
	unsigned long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Other work on the machine shows up in every figure: say how much. */
static const char *loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	char *nl;

	snprintf(buf, len, "unknown");
	if (f) {
		if (!fgets(buf, (int)len, f))
			snprintf(buf, len, "unknown");
		fclose(f);
	}
	/* the three averages; runnable/total and the last pid are noise */
	nl = strchr(buf, '/');
	while (nl && nl > buf && *nl != ' ')
		nl--;
	if (nl)
		*nl = 0;
	return buf;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void kv(uint64_t n, const char *impl, const char *key, double v)
{
	if (o.kv)
		fprintf(o.kv, "%llu %s %s %.3f\n", (unsigned long long)n, impl,
			key, v);
}

/* --- keys ------------------------------------------------------------------ */

/*
 * Clients in 10.0.0.0/8 to anywhere, ephemeral source ports, the ports
 * a router mostly sees. Distinct with overwhelming odds (88 random bits);
 * the flow count after the inserts is checked anyway.
 */
static void make_keys(struct tuple *k, size_t n, uint64_t *s)
{
	static const struct { uint16_t port; uint8_t proto; } svc[] = {
		{ 443, 6 }, { 80, 6 }, { 443, 17 }, { 53, 17 }, { 0, 6 },
	};
	size_t i, j;
	uint64_t r;

	for (i = 0; i < n; i++) {
		r = splitmix64(s);
		j = (size_t)(r % 5);
		memset(&k[i], 0, sizeof(k[i]));
		k[i].src.v4.s_addr = htonl(0x0a000000u | (uint32_t)(r >> 40));
		k[i].dst.v4.s_addr = (uint32_t)splitmix64(s);
		k[i].sport = (uint16_t)(1024 + (r >> 8) % 64512);
		k[i].dport = svc[j].port ? svc[j].port : (uint16_t)(r >> 24);
		k[i].family = AF_INET;
		k[i].proto = svc[j].proto;
	}
}

struct probes {
	struct tuple *hit, *miss, *reply;	/* reply: hit keys reversed */
	const void **hit_p, **miss_p;	/* rte_hash_lookup_bulk() wants these */
	size_t n_hit, n_miss;
};

static void make_probes(struct probes *p, const struct tuple *keys,
			size_t n_keys)
{
	size_t i;

	for (i = 0; i < p->n_hit; i++) {
		p->hit[i] = keys[rnd_below(&rng_state, n_keys)];
		p->hit_p[i] = &p->hit[i];
		tuple_reverse(&p->hit[i], &p->reply[i]);
	}
	/* fresh keys from the same distribution, never inserted */
	make_keys(p->miss, p->n_miss, &rng_state);
	for (i = 0; i < p->n_miss; i++)
		p->miss_p[i] = &p->miss[i];
}

/* --- flowcached --------------------------------------------------------- */

static struct flowtable *ft_create(uint32_t initial_flows)
{
	struct ft_params p = {
		.initial_flows = initial_flows,
		.random = ft_random,
		.synchronize = urcu_memb_synchronize_rcu,
	};
	struct flowtable *ft = ft_new(&p);

	if (!ft) {
		fprintf(stderr, "bench_table: ft_new failed\n");
		exit(1);
	}
	return ft;
}

static bool ft_insert(struct flowtable *ft, const struct tuple *k)
{
	struct flow *f;

	ft_lock(ft);
	f = ft_add_locked(ft, k, NULL, false);
	ft_unlock(ft);
	return f != NULL;
}

static double ft_pass(struct flowtable *ft, const struct tuple *k, size_t n,
		      bool batched, size_t *found)
{
	struct flow *out[BATCH];
	enum ft_dir dirs[BATCH], dir;
	size_t i, j, hit = 0;
	double t0 = now_ns();

	if (!batched) {
		for (i = 0; i < n; i++) {
			urcu_memb_read_lock();
			hit += ft_lookup(ft, &k[i], &dir) != NULL;
			urcu_memb_read_unlock();
		}
	} else {
		for (i = 0; i + BATCH <= n; i += BATCH) {
			urcu_memb_read_lock();
			ft_lookup_many(ft, &k[i], BATCH, out, dirs);
			urcu_memb_read_unlock();
			for (j = 0; j < BATCH; j++)
				hit += out[j] != NULL;
		}
	}
	*found = hit;
	return (now_ns() - t0) / (double)n;
}

/* The table for the comparison: presized, filled with the N flows. */
static struct flowtable *ft_build(uint64_t n, const struct tuple *keys,
				  struct figures *fg)
{
	size_t heap0 = heap_bytes(), rss0 = rss_bytes();
	struct flowtable *ft;
	uint64_t i;
	double t0, t;

	ft = ft_create((uint32_t)n);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (!ft_insert(ft, &keys[i]))
			fg->wrong++;
	t = now_ns() - t0;
	fg->v[M_INSERT] = t / (double)n;
	fg->v[M_BYTES] = (double)(heap_bytes() - heap0) / (double)n;
	fg->v[M_RSS] = (double)(rss_bytes() - rss0) / (double)n;
	ft_get_stats(ft, &fg->st);
	urcu_memb_read_lock();
	ft_chain_stats(ft, &fg->st);
	urcu_memb_read_unlock();
	if (fg->st.flows != n) {
		fprintf(stderr, "flowcached: %llu flows after %llu inserts\n",
			(unsigned long long)fg->st.flows,
			(unsigned long long)n);
		fg->wrong++;
	}
	fg->ran = true;
	return ft;
}

/* Inserts into a table that starts small: what the resizes add. */
static void ft_grow_inserts(uint64_t n, const struct tuple *keys,
			    struct figures *fg)
{
	struct flowtable *ft = ft_create(0);
	uint64_t i;
	double t0, t;

	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (!ft_insert(ft, &keys[i]))
			fg->wrong++;
	t = now_ns() - t0;
	ft_free(ft);
	fg->v[M_GROW] = t / (double)n;
}

/*
 * Every flow source-NATed behind one address, as on a home router: the
 * reply key is not the reversed orig, so the flow carries it in an
 * extension and is indexed twice.
 */
static void nat_reply(const struct tuple *orig, struct tuple *reply,
		      uint64_t *s)
{
	tuple_reverse(orig, reply);
	reply->dst.v4.s_addr = htonl(0xcb007101);	/* 203.0.113.1 */
	reply->dport = (uint16_t)(1024 + rnd_below(s, 64512));
}

static void ft_nat_inserts(uint64_t n, const struct tuple *keys,
			   struct figures *fg)
{
	struct tuple *reply = xcalloc(n, sizeof(*reply));
	size_t heap0 = heap_bytes();
	struct flowtable *ft;
	struct flow *f;
	uint64_t i, s = rnd();
	double t0, t;

	for (i = 0; i < n; i++)
		nat_reply(&keys[i], &reply[i], &s);
	/* two nodes a flow: the size growth would reach */
	ft = ft_create((uint32_t)(2 * n));
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ft_lock(ft);
		f = ft_add_locked(ft, &keys[i], &reply[i], false);
		ft_unlock(ft);
		if (!f)
			fg->wrong++;
	}
	t = now_ns() - t0;
	fg->v[M_NAT] = t / (double)n;
	fg->v[M_BYTES_NAT] = (double)(heap_bytes() - heap0) / (double)n;
	ft_free(ft);
	free(reply);
}

/* --- rte_hash -------------------------------------------------------------- */

#ifdef HAVE_DPDK
static bool eal_up;

/*
 * EAL without hugepages, PCI, shared config or telemetry: only its
 * allocator is wanted. -l 0 pins this thread to CPU 0; the affinity it
 * had is put back afterwards, so both tables run under the same
 * scheduling.
 */
static void eal_start(uint64_t max_n)
{
	char mb[24], *argv[] = {
		"bench_table", "--no-huge", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=4", "-l", "0", "-m", mb, NULL,
	};
	uint64_t slots = 1;
	cpu_set_t cpus;
	int got;

	/*
	 * rte_hash takes ~64 bytes per slot, slots a power of two, and
	 * both of its tables live at once; the heap is only reserved, and
	 * pages are touched as they are used
	 */
	while (slots < max_n)
		slots <<= 1;
	snprintf(mb, sizeof(mb), "%llu",
		 (unsigned long long)(256 + ((slots * 160) >> 20)));
	sched_getaffinity(0, sizeof(cpus), &cpus);
	printf("+ rte_eal_init:");
	for (got = 1; argv[got]; got++)
		printf(" %s", argv[got]);
	printf("\n");
	fflush(stdout);
	got = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (got < 0) {
		printf("rte_hash: EAL did not start (%s); running without "
		       "the peer\n", rte_strerror(rte_errno));
		return;
	}
	eal_up = true;
}

static size_t rte_heap_bytes(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) < 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static double rte_pass(struct rte_hash *h, const struct tuple *k,
		       const void **kp, size_t n, bool batched, size_t *found)
{
	int32_t pos[BATCH];
	size_t i, j, hit = 0;
	double t0 = now_ns();

	if (!batched) {
		for (i = 0; i < n; i++)
			hit += rte_hash_lookup(h, &k[i]) >= 0;
	} else {
		for (i = 0; i + BATCH <= n; i += BATCH) {
			rte_hash_lookup_bulk(h, &kp[i], BATCH, pos);
			for (j = 0; j < BATCH; j++)
				hit += pos[j] >= 0;
		}
	}
	*found = hit;
	return (now_ns() - t0) / (double)n;
}

static struct rte_hash *rte_build(uint64_t n, const struct tuple *keys,
				  bool lf, struct figures *fg)
{
	char name[32];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = (uint32_t)n,
		.key_len = sizeof(struct tuple),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = lf ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0,
	};
	size_t heap0, rss0;
	uint64_t i, failed = 0;
	struct rte_hash *h;
	double t0, t;

	if (!eal_up)
		return NULL;
	snprintf(name, sizeof(name), "bench%llu%s", (unsigned long long)n,
		 lf ? "lf" : "");
	ft_random(&hp.hash_func_init_val, sizeof(hp.hash_func_init_val));
	heap0 = rte_heap_bytes();
	rss0 = rss_bytes();
	h = rte_hash_create(&hp);
	if (!h) {
		printf("rte_hash: create failed for %llu entries: %s\n",
		       (unsigned long long)n, rte_strerror(rte_errno));
		return NULL;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (rte_hash_add_key(h, &keys[i]) < 0)
			failed++;
	t = now_ns() - t0;
	/* the cuckoo table is full near 95% load: a figure, not an error */
	if (failed)
		printf("%s: %llu of %llu inserts refused (buckets full)\n",
		       impl_name[lf ? RTE_LF : RTE],
		       (unsigned long long)failed, (unsigned long long)n);
	fg->refused = failed;
	fg->v[M_INSERT] = t / (double)n;
	fg->v[M_BYTES] = (double)(rte_heap_bytes() - heap0) / (double)n;
	fg->v[M_RSS] = (double)(rss_bytes() - rss0) / (double)n;
	fg->ran = true;
	return h;
}

static void rte_destroy(struct rte_hash *h)
{
	rte_hash_free(h);
}
#else
struct rte_hash;

static void eal_start(uint64_t max_n)
{
	(void)max_n;
	printf("rte_hash: built without DPDK (no libdpdk pkg-config); "
	       "running without the peer\n");
}

static double rte_pass(struct rte_hash *h, const struct tuple *k,
		       const void **kp, size_t n, bool batched, size_t *found)
{
	(void)h, (void)k, (void)kp, (void)n, (void)batched;
	*found = 0;
	return 0;
}

static struct rte_hash *rte_build(uint64_t n, const struct tuple *keys,
				  bool lf, struct figures *fg)
{
	(void)n, (void)keys, (void)lf, (void)fg;
	return NULL;
}

static void rte_destroy(struct rte_hash *h)
{
	(void)h;
}
#endif

/* --- lookups, the tables side by side -------------------------------------- */

struct tables {
	struct flowtable *ft;
	struct rte_hash *rte[N_IMPL];	/* [RTE], [RTE_LF] */
};

/* One pass of lookup figure m over table i; counts wrong answers. */
static double lookup_pass(const struct tables *t, enum impl i, int m,
			  const struct probes *p, struct figures *fg)
{
	bool batched = m == M_HIT32 || m == M_MISS32;
	bool present = m == M_HIT || m == M_HIT32 || m == M_REPLY;
	const struct tuple *k = m == M_REPLY ? p->reply :
				present ? p->hit : p->miss;
	const void **kp = present ? p->hit_p : p->miss_p;
	size_t n = present ? p->n_hit : p->n_miss, found;
	double ns;

	if (i == FT)
		ns = ft_pass(t->ft, k, n, batched, &found);
	else
		ns = rte_pass(t->rte[i], k, kp, n, batched, &found);
	/* a refused insert leaves a hit probe without its key */
	if (present && !fg->refused)
		fg->wrong += n - found;
	else if (!present)
		fg->wrong += found;
	return ns;
}

/*
 * Each pass visits every table in turn, so that a noisy neighbour on
 * this shared machine hits them alike; the median pass is kept.
 */
static void lookups(const struct tables *t, const struct probes *p,
		    struct figures *fg)
{
	static const int ms[] = { M_HIT, M_HIT32, M_REPLY, M_MISS, M_MISS32 };
	double ns[N_IMPL][16];
	unsigned int pass;
	size_t k;
	int i;

	for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
		for (pass = 0; pass < o.passes; pass++) {
			for (i = 0; i < N_IMPL; i++) {
				if (!fg[i].ran || (ms[k] == M_REPLY && i != FT))
					continue;
				ns[i][pass] = lookup_pass(t, (enum impl)i,
							  ms[k], p, &fg[i]);
			}
		}
		/* the median by nearest rank, not bench.h's median() */
		for (i = 0; i < N_IMPL; i++)
			if (fg[i].ran && (ms[k] != M_REPLY || i == FT))
				fg[i].v[ms[k]] = quantile(ns[i], o.passes,
							  0.5);
	}
}

/* --- one size ------------------------------------------------------------- */

/* Percent of keys stored [lo, hi) buckets past their home bucket. */
static double chain_pct(const struct ft_stats *st, int lo, int hi)
{
	uint64_t in = 0, all = 0;
	int i;

	for (i = 0; i < FT_CHAIN_HIST; i++) {
		all += st->chains[i];
		if (i >= lo && i < hi)
			in += st->chains[i];
	}
	return all ? 100.0 * (double)in / (double)all : 0;
}

static void print_figure(double v, int width, int prec)
{
	if (v == NA)
		printf(" %*s", width, "-");
	else
		printf(" %*.*f", width, prec, v);
}

static void print_size(uint64_t n, const struct probes *p,
		       const struct figures *fg)
{
	const struct ft_stats *st = &fg[FT].st;
	enum impl i;
	int m;

	printf("\nN = %llu flows: %zu hit probes, %zu miss probes, median of "
	       "%u pass%s\n", (unsigned long long)n, p->n_hit, p->n_miss,
	       o.passes, o.passes > 1 ? "es" : "");
	printf("  %-28s", "");
	for (i = 0; i < N_IMPL; i++) {
		if (!fg[i].ran)
			continue;
		printf(" %12s", impl_name[i]);
		if (i != FT)
			printf(" %7s", i == RTE ? "ft/rte" : "ft/lf");
	}
	printf("\n");
	for (m = 0; m < N_METRIC; m++) {
		printf("  %-28s", metric[m].label);
		for (i = 0; i < N_IMPL; i++) {
			if (!fg[i].ran)
				continue;
			print_figure(fg[i].v[m], 12, 1);
			if (i != FT)
				print_figure(fg[i].v[m] > 0 && fg[FT].v[m] > 0 ?
					     fg[FT].v[m] / fg[i].v[m] : NA, 7, 2);
			if (fg[i].v[m] != NA)
				kv(n, impl_name[i], metric[m].key, fg[i].v[m]);
		}
		printf("\n");
	}
	printf("  %-28s", "inserts/s (millions)");
	for (i = 0; i < N_IMPL; i++) {
		if (!fg[i].ran)
			continue;
		printf(" %12.2f", 1e3 / fg[i].v[M_INSERT]);
		if (i != FT)
			printf(" %7s", "");
	}
	printf("\n");
	printf("  flowcached index: %llu buckets, %.2f entries per slot, "
	       "longest probe %u bucket(s);\n  keys 0/1/2/3/4+ buckets past "
	       "home: %.1f/%.1f/%.1f/%.1f/%.1f%%\n",
	       (unsigned long long)st->buckets, st->load,
	       st->longest_chain, chain_pct(st, 0, 1), chain_pct(st, 1, 2),
	       chain_pct(st, 2, 3), chain_pct(st, 3, 4),
	       chain_pct(st, 4, FT_CHAIN_HIST));
	for (i = 0; i < N_IMPL; i++) {
		if (fg[i].ran && fg[i].wrong) {
			printf("  %s: %llu wrong answers or failed inserts\n",
			       impl_name[i], (unsigned long long)fg[i].wrong);
			errors++;
		}
	}
	fflush(stdout);
}

static void run_size(uint64_t n)
{
	struct figures fg[N_IMPL] = { 0 };
	struct probes p = { .n_hit = o.probes, .n_miss = o.probes / 2 };
	struct tuple *keys = xcalloc(n, sizeof(*keys));
	struct tables t = { 0 };
	int i, m;

	for (i = 0; i < N_IMPL; i++)
		for (m = 0; m < N_METRIC; m++)
			fg[i].v[m] = NA;
	p.hit = xcalloc(p.n_hit, sizeof(*p.hit));
	p.hit_p = xcalloc(p.n_hit, sizeof(*p.hit_p));
	p.reply = xcalloc(p.n_hit, sizeof(*p.reply));
	p.miss = xcalloc(p.n_miss, sizeof(*p.miss));
	p.miss_p = xcalloc(p.n_miss, sizeof(*p.miss_p));
	make_keys(keys, n, &rng_state);
	make_probes(&p, keys, n);

	t.ft = ft_build(n, keys, &fg[FT]);
	if (o.peer)
		t.rte[RTE] = rte_build(n, keys, false, &fg[RTE]);
	if (o.peer && o.peer_lf)
		t.rte[RTE_LF] = rte_build(n, keys, true, &fg[RTE_LF]);
	/* the second table reuses heap pages the first one touched */
	if (fg[RTE].ran)
		fg[RTE_LF].v[M_RSS] = NA;
	lookups(&t, &p, fg);
	ft_free(t.ft);
	rte_destroy(t.rte[RTE]);
	rte_destroy(t.rte[RTE_LF]);
	ft_grow_inserts(n, keys, &fg[FT]);
	ft_nat_inserts(n, keys, &fg[FT]);
	print_size(n, &p, fg);

	free(keys);
	free(p.hit);
	free(p.hit_p);
	free(p.reply);
	free(p.miss);
	free(p.miss_p);
}

/* --- keys built to collide under CRC32C --------------------------------- */

#define CRAFTED		1000

/* Key i: one client /64, the interface ids from the kernel's span. */
static void crafted_key(struct tuple *t, const uint64_t *basis, size_t nb,
			size_t i)
{
	static const uint8_t net[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint64_t iid = 0;
	size_t j;

	memset(t, 0, sizeof(*t));
	memcpy(t->src.b, net, sizeof(net));	/* 2001:db8::/64 */
	t->dst = t->src;
	t->dst.b[15] = 1;
	for (j = 0; j < nb && j < 20; j++)
		if (i >> j & 1)
			iid ^= basis[j];
	for (j = 0; j < 8; j++)
		t->src.b[8 + j] ^= (uint8_t)(iid >> (8 * j));
	t->sport = 40000;
	t->dport = 443;
	t->family = AF_INET6;
	t->proto = 6;
}

#ifdef HAVE_DPDK
static void crafted_rte(const struct tuple *k, size_t n)
{
	struct rte_hash_parameters hp = {
		.name = "crafted", .entries = 1u << 20,
		.key_len = sizeof(struct tuple), .hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
	};
	struct rte_hash *h;
	size_t i, refused = 0;

	if (!eal_up)
		return;
	ft_random(&hp.hash_func_init_val, sizeof(hp.hash_func_init_val));
	h = rte_hash_create(&hp);
	if (!h)
		return;
	for (i = 0; i < n; i++)
		if (rte_hash_add_key(h, &k[i]) < 0)
			refused++;
	printf("  rte_hash (2^20 entries, random seed): %zu of %zu refused\n",
	       refused, n);
	kv(n, "crafted", "rte_refused", (double)refused);
	rte_hash_free(h);
}
#else
static void crafted_rte(const struct tuple *k, size_t n)
{
	(void)k, (void)n;
}
#endif

/*
 * What rte_hash's speed rests on: its CRC32C can be made to put chosen
 * keys in one bucket pair without knowing the seed, and a full bucket
 * pair refuses the key. The same keys go into our table (admitted, so
 * its probe cap applies).
 */
static void run_crafted(void)
{
	struct tuple *k = xcalloc(CRAFTED, sizeof(*k));
	struct flowtable *ft = ft_create(0);
	struct ft_stats st;
	uint64_t basis[IID_BITS];
	size_t nb = crc_kernel(0xffffffff, basis, IID_BITS), i, refused = 0;
	struct flow *f;

	printf("\ncrafted keys: %d IPv6 flows from one /64 with one CRC32C "
	       "under every seed\n", CRAFTED);
	for (i = 0; i < CRAFTED; i++)
		crafted_key(&k[i], basis, nb, i);
	if (crc32c_tuple(0, &k[0]) != crc32c_tuple(0, &k[CRAFTED - 1]))
		printf("  (construction failed: hashes differ)\n");
	crafted_rte(k, CRAFTED);
	for (i = 0; i < CRAFTED; i++) {
		ft_lock(ft);
		f = ft_add_locked(ft, &k[i], NULL, true);
		ft_unlock(ft);
		refused += !f;
	}
	ft_get_stats(ft, &st);
	urcu_memb_read_lock();
	ft_chain_stats(ft, &st);
	urcu_memb_read_unlock();
	printf("  flowcached: %zu of %d refused, longest probe %u "
	       "bucket(s)\n", refused, CRAFTED, st.longest_chain);
	kv(CRAFTED, "crafted", "ft_refused", (double)refused);
	ft_free(ft);
	free(k);
}

/* --- resize under lookups --------------------------------------------------- */

enum rz_phase {
	PH_GROW, PH_GROW_FINISH, PH_BIG, PH_SHRINK, PH_SHRINK_FINISH,
	PH_SMALL, N_PHASE,
};
static const char *const phase_name[N_PHASE] = {
	"inserting N", "ft_maintain", "steady at N",
	"deleting 90%", "ft_maintain", "steady at N/10",
};

struct rz_epoch {
	enum rz_phase phase;
	bool resizing;
	uint64_t flows;		/* at its start */
	uint64_t buckets;	/* the newest table's */
};

struct rz_rec {
	uint32_t epoch;
	uint8_t batched;
	float mean_ns;		/* per lookup, over the batch */
	float max_ns;		/* slowest lookup, or 32-key call */
};

struct rz {
	struct flowtable *ft;
	const struct tuple *keys;
	_Atomic uint64_t lo, hi;	/* the reader's keys: [lo, hi) */
	_Atomic uint32_t epoch;
	_Atomic uint64_t batches;
	_Atomic bool stop;
	uint64_t missed;		/* present keys not found */

	struct rz_rec *rec;
	size_t n_rec;
	struct rz_epoch ep[RZ_MAX_EPOCH];
	_Atomic uint32_t n_ep;
	bool resizing;			/* the writer's last poll */
};

/*
 * One batch of single lookups, each timed from the end of the last. The
 * keys are gathered first, so the timing holds the table's memory only.
 */
static void rz_single(struct rz *z, uint64_t *s, uint64_t lo, uint64_t hi,
		      struct rz_rec *r)
{
	static __thread struct tuple k[RZ_SINGLE];
	uint64_t t0, prev, now, d, max = 0;
	enum ft_dir dir;
	struct flow *f;
	size_t i;

	for (i = 0; i < RZ_SINGLE; i++)
		k[i] = z->keys[lo + rnd_below(s, hi - lo)];
	t0 = prev = __rdtsc();
	for (i = 0; i < RZ_SINGLE; i++) {
		urcu_memb_read_lock();
		f = ft_lookup(z->ft, &k[i], &dir);
		urcu_memb_read_unlock();
		now = __rdtsc();
		if (!f)
			z->missed++;
		d = now - prev;
		if (d > max)
			max = d;
		prev = now;
	}
	r->mean_ns = (float)((double)(prev - t0) * tsc_ns / RZ_SINGLE);
	r->max_ns = (float)((double)max * tsc_ns);
}

/* One batch of ft_lookup_many() calls; keys gathered outside the timing. */
static void rz_batched(struct rz *z, uint64_t *s, uint64_t lo, uint64_t hi,
		       struct rz_rec *r)
{
	struct tuple k[BATCH];
	struct flow *out[BATCH];
	enum ft_dir dirs[BATCH];
	uint64_t t0, d, sum = 0, max = 0;
	size_t g, i;

	for (g = 0; g < RZ_GROUPS; g++) {
		for (i = 0; i < BATCH; i++)
			k[i] = z->keys[lo + rnd_below(s, hi - lo)];
		t0 = __rdtsc();
		urcu_memb_read_lock();
		ft_lookup_many(z->ft, k, BATCH, out, dirs);
		urcu_memb_read_unlock();
		d = __rdtsc() - t0;
		for (i = 0; i < BATCH; i++)
			if (!out[i])
				z->missed++;
		sum += d;
		if (d > max)
			max = d;
	}
	r->mean_ns = (float)((double)sum * tsc_ns / (RZ_GROUPS * BATCH));
	r->max_ns = (float)((double)max * tsc_ns);
}

static void *rz_reader(void *arg)
{
	struct rz *z = arg;
	uint64_t s = rnd(), lo, hi, b = 0;
	struct rz_rec r;

	urcu_memb_register_thread();
	while (!atomic_load(&z->stop)) {
		r.epoch = atomic_load(&z->epoch);
		lo = atomic_load(&z->lo);
		hi = atomic_load(&z->hi);
		if (hi <= lo) {
			sched_yield();
			continue;
		}
		r.batched = b & 1;
		if (r.batched)
			rz_batched(z, &s, lo, hi, &r);
		else
			rz_single(z, &s, lo, hi, &r);
		if (z->n_rec < RZ_MAX_REC)
			z->rec[z->n_rec++] = r;
		atomic_store(&z->batches, ++b);
	}
	urcu_memb_unregister_thread();
	return NULL;
}

static void rz_new_epoch(struct rz *z, enum rz_phase ph, bool resizing)
{
	uint32_t e = atomic_load(&z->n_ep);
	struct ft_stats st;

	if (e == RZ_MAX_EPOCH)
		return;
	ft_get_stats(z->ft, &st);
	z->ep[e] = (struct rz_epoch){
		.phase = ph, .resizing = resizing,
		.flows = st.flows, .buckets = st.buckets,
	};
	z->resizing = resizing;
	atomic_store(&z->n_ep, e + 1);
	atomic_store(&z->epoch, e);
}

/* Every RZ_POLL writer ops: a new epoch when a resize began or ended. */
static void rz_poll(struct rz *z, enum rz_phase ph, uint64_t op)
{
	struct ft_stats st;

	if (op % RZ_POLL)
		return;
	ft_get_stats(z->ft, &st);
	if (st.resizing != z->resizing)
		rz_new_epoch(z, ph, st.resizing);
	if (op % RZ_RECLAIM == 0)
		ft_reclaim(z->ft);
}

/* Wait until the reader has started two batches after a change. */
static void rz_sync_reader(struct rz *z)
{
	uint64_t b = atomic_load(&z->batches);

	while (atomic_load(&z->batches) < b + 2)
		sched_yield();
}

/* ft_maintain() until no resize runs, as the daemon's housekeeping would. */
static void rz_finish(struct rz *z, enum rz_phase ph)
{
	rz_new_epoch(z, ph, false);
	while (ft_maintain(z->ft, RZ_BUDGET))
		if (!z->resizing)
			rz_new_epoch(z, ph, true);
	ft_reclaim(z->ft);
	if (z->resizing)
		rz_new_epoch(z, ph, false);
}

static void rz_steady(struct rz *z, enum rz_phase ph)
{
	double t0 = now_ns();

	rz_new_epoch(z, ph, false);
	while (now_ns() - t0 < o.steady_s * 1e9)
		usleep(10000);
}

struct rz_stat {
	size_t n;
	double p50, p99, max, worst;	/* of batch means; slowest call */
};

static void rz_stats(const struct rz *z, bool (*want)(const struct rz *,
		     uint32_t, const void *), const void *arg, bool batched,
		     struct rz_stat *out, double *buf)
{
	size_t i, n = 0;
	double worst = 0;

	for (i = 0; i < z->n_rec; i++) {
		const struct rz_rec *r = &z->rec[i];

		if (r->batched != batched || !want(z, r->epoch, arg))
			continue;
		buf[n++] = r->mean_ns;
		if (r->max_ns > worst)
			worst = r->max_ns;
	}
	out->n = n;
	out->worst = worst;
	out->p50 = quantile(buf, n, 0.50);
	out->p99 = quantile(buf, n, 0.99);
	out->max = n ? buf[n - 1] : 0;
}

struct rz_group {
	enum rz_phase phase;
	int resizing;		/* -1: either */
	const char *key;	/* for --kv */
};

static bool want_group(const struct rz *z, uint32_t e, const void *arg)
{
	const struct rz_group *g = arg;

	return z->ep[e].phase == g->phase &&
	       (g->resizing < 0 || z->ep[e].resizing == (bool)g->resizing);
}

static bool want_epoch(const struct rz *z, uint32_t e, const void *arg)
{
	(void)z;
	return e == *(const uint32_t *)arg;
}

static void rz_print_row(const char *label, const struct rz_stat *s1,
			 const struct rz_stat *s32)
{
	printf("  %-34s %7zu %6.0f %6.0f %7.0f %8.1f | %6zu %6.0f %6.0f "
	       "%7.0f %8.1f\n", label, s1->n, s1->p50, s1->p99, s1->max,
	       s1->worst / 1e3, s32->n, s32->p50, s32->p99, s32->max,
	       s32->worst / 1e3);
}

static void rz_kv(uint64_t n, const char *group, const struct rz_stat *s1,
		  const struct rz_stat *s32)
{
	static const char *const what[] = { "p50", "p99", "max", "worst" };
	const struct rz_stat *s[2] = { s1, s32 };
	char key[64];
	size_t i, j;

	for (i = 0; i < 2; i++) {
		const double v[] = { s[i]->p50, s[i]->p99, s[i]->max,
				     s[i]->worst };

		for (j = 0; j < 4; j++) {
			snprintf(key, sizeof(key), "%s_%s_%s", group,
				 i ? "x32" : "single", what[j]);
			kv(n, "resize", key, v[j]);
		}
	}
}

static void rz_report(const struct rz *z, uint64_t n, double *buf)
{
	static const struct rz_group groups[] = {
		{ PH_GROW, 0, "grow" }, { PH_GROW, 1, "grow_resizing" },
		{ PH_GROW_FINISH, -1, "grow_maintain" }, { PH_BIG, -1, "big" },
		{ PH_SHRINK, 0, "shrink" }, { PH_SHRINK, 1, "shrink_resizing" },
		{ PH_SHRINK_FINISH, -1, "shrink_maintain" },
		{ PH_SMALL, -1, "small" },
	};
	struct rz_stat s1, s32;
	char label[64];
	uint32_t e, n_ep = atomic_load(&z->n_ep);
	size_t i;

	printf("\n  per writer phase: batches timed; p50, p99 and max of the"
	       " batch means (ns per\n  lookup); the slowest single lookup"
	       " (x32: the slowest 32-key call), in us.\n  The slowest are"
	       " scheduling as often as not: this is a shared VM.\n");
	printf("  %-34s %7s %6s %6s %7s %8s | %6s %6s %6s %7s %8s\n",
	       "", "single", "p50", "p99", "max", "slowest", "x32", "p50",
	       "p99", "max", "slowest");
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		rz_stats(z, want_group, &groups[i], false, &s1, buf);
		rz_stats(z, want_group, &groups[i], true, &s32, buf);
		if (!s1.n && !s32.n)
			continue;
		snprintf(label, sizeof(label), "%s%s", phase_name[groups[i].phase],
			 groups[i].resizing < 0 ? "" : groups[i].resizing ?
			 ", resize running" : ", no resize");
		rz_print_row(label, &s1, &s32);
		rz_kv(n, groups[i].key, &s1, &s32);
	}

	printf("\n  per stretch: \"at B\": no resize running, B buckets; "
	       "\"-> B\": a resize into B\n  buckets running; with the flow "
	       "count at its start\n");
	for (e = 0; e < n_ep; e++) {
		const struct rz_epoch *ep = &z->ep[e];

		rz_stats(z, want_epoch, &e, false, &s1, buf);
		rz_stats(z, want_epoch, &e, true, &s32, buf);
		if (s1.n + s32.n < 10)
			continue;
		snprintf(label, sizeof(label), "%-12s %s %llu, %llu fl",
			 phase_name[ep->phase], ep->resizing ? "->" : "at",
			 (unsigned long long)ep->buckets,
			 (unsigned long long)ep->flows);
		rz_print_row(label, &s1, &s32);
	}
}

/*
 * The reader gets CPU 1 from its start (moving it later would put the
 * migration into a timed batch), this thread CPU 0.
 */
static void start_reader(struct rz *z, pthread_t *reader, int ncpu)
{
	pthread_attr_t attr;
	cpu_set_t set;

	pthread_attr_init(&attr);
	if (ncpu > 1) {
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		pin_to(0);
	}
	if (pthread_create(reader, &attr, rz_reader, z)) {
		fprintf(stderr, "bench_table: pthread_create failed\n");
		exit(1);
	}
	pthread_attr_destroy(&attr);
}

static void run_resize(uint64_t n)
{
	struct rz *z = xcalloc(1, sizeof(*z));
	struct tuple *keys = xcalloc(n, sizeof(*keys));
	size_t heap0, heap_grown;
	double t0, t_ins, t_del, *buf;
	struct ft_stats st;
	pthread_t reader;
	uint64_t i;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	make_keys(keys, n, &rng_state);
	z->keys = keys;
	z->rec = xcalloc(RZ_MAX_REC, sizeof(*z->rec));
	heap0 = heap_bytes();
	z->ft = ft_create(0);
	ft_get_stats(z->ft, &st);
	printf("\nresize under lookups: %llu flows into a table of %llu "
	       "buckets, then 90%% deleted\n", (unsigned long long)n,
	       (unsigned long long)st.buckets);
	fflush(stdout);

	rz_new_epoch(z, PH_GROW, false);
	start_reader(z, &reader, ncpu);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (!ft_insert(z->ft, &keys[i]))
			errors++;
		atomic_store(&z->hi, i + 1);
		rz_poll(z, PH_GROW, i + 1);
	}
	t_ins = now_ns() - t0;
	rz_finish(z, PH_GROW_FINISH);
	ft_get_stats(z->ft, &st);
	heap_grown = heap_bytes() - heap0;
	rz_steady(z, PH_BIG);

	/* the reader keeps to the first 10%, which stay */
	atomic_store(&z->hi, n / 10);
	rz_sync_reader(z);
	rz_new_epoch(z, PH_SHRINK, false);
	t0 = now_ns();
	for (i = n / 10; i < n; i++) {
		struct flow *f;

		ft_lock(z->ft);
		f = ft_find_locked(z->ft, &keys[i], NULL);
		if (f)
			ft_del_locked(z->ft, f);
		ft_unlock(z->ft);
		if (!f)
			errors++;
		rz_poll(z, PH_SHRINK, i + 1);
	}
	t_del = now_ns() - t0;
	rz_finish(z, PH_SHRINK_FINISH);
	rz_steady(z, PH_SMALL);

	atomic_store(&z->stop, true);
	pthread_join(reader, NULL);
	if (ncpu > 1) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (i = 0; i < (uint64_t)ncpu && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}

	printf("  inserts: %.0f ns each (%.2f M/s) with the reader running; "
	       "%llu grows\n", t_ins / (double)n, (double)n * 1e3 / t_ins,
	       (unsigned long long)st.grows);
	printf("  grown table: %llu buckets, %.1f bytes/flow allocated\n",
	       (unsigned long long)st.buckets, (double)heap_grown / (double)n);
	ft_get_stats(z->ft, &st);
	printf("  deletes: %.0f ns each; %llu shrinks; now %llu buckets, "
	       "%.1f MB still allocated for %llu flows\n",
	       t_del / (double)(n - n / 10), (unsigned long long)st.shrinks,
	       (unsigned long long)st.buckets,
	       (double)(heap_bytes() - heap0) / 1e6,
	       (unsigned long long)st.flows);
	printf("  present keys the reader did not find: %llu%s\n",
	       (unsigned long long)z->missed, z->missed ? "  <-- BUG" : "");
	if (z->n_rec == RZ_MAX_REC)
		printf("  (record buffer full: later batches not counted)\n");
	kv(n, "resize", "insert_ns", t_ins / (double)n);
	kv(n, "resize", "grown_bytes_per_flow", (double)heap_grown / (double)n);
	kv(n, "resize", "missed", (double)z->missed);
	if (z->missed)
		errors++;

	buf = xcalloc(z->n_rec + 1, sizeof(*buf));
	rz_report(z, n, buf);
	free(buf);
	ft_free(z->ft);
	free(z->rec);
	free(keys);
	free(z);
}

/* --- main ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: bench_table [--smoke | --full] [--sizes N,N,..]"
		" [--passes P] [--no-peer] [--kv FILE]\n");
	exit(2);
}

static void parse_sizes(const char *s)
{
	char *end;

	o.n_sizes = 0;
	while (*s && o.n_sizes < MAX_SIZES) {
		o.sizes[o.n_sizes] = strtoull(s, &end, 10);
		if (end == s || o.sizes[o.n_sizes] < BATCH ||
		    o.sizes[o.n_sizes] > (1u << 28))
			usage();
		o.n_sizes++;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			usage();
	}
	if (!o.n_sizes)
		usage();
}

int main(int argc, char **argv)
{
	char la[64];
	uint64_t max_n = 0;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--smoke")) {
			o.sizes[0] = 10000;
			o.sizes[1] = 100000;
			o.n_sizes = 2;
			o.probes = 1u << 17;
			o.passes = 1;
			o.steady_s = 0.2;
			o.peer_lf = false;
		} else if (!strcmp(argv[a], "--full")) {
			o.sizes[0] = 10000;
			o.sizes[1] = 1000000;
			o.sizes[2] = 10000000;
			o.n_sizes = 3;
		} else if (!strcmp(argv[a], "--sizes") && a + 1 < argc) {
			parse_sizes(argv[++a]);
		} else if (!strcmp(argv[a], "--passes") && a + 1 < argc) {
			o.passes = (unsigned int)atoi(argv[++a]);
			if (o.passes < 1 || o.passes > 15)
				usage();
		} else if (!strcmp(argv[a], "--no-peer")) {
			o.peer = false;
		} else if (!strcmp(argv[a], "--kv") && a + 1 < argc) {
			o.kv = fopen(argv[++a], "w");
			if (!o.kv) {
				perror(argv[a]);
				return 2;
			}
		} else {
			usage();
		}
	}
	for (i = 0; i < o.n_sizes; i++)
		if (o.sizes[i] > max_n)
			max_n = o.sizes[i];

	ft_random(&rng_state, sizeof(rng_state));
	tsc_calibrate();
	urcu_memb_register_thread();
	if (o.peer)
		eal_start(max_n);

	printf("bench_table: %ld CPUs online, TSC %.3f GHz, load average "
	       "%s\n", sysconf(_SC_NPROCESSORS_ONLN), 1 / tsc_ns,
	       loadavg(la, sizeof(la)));
	for (i = 0; i < o.n_sizes; i++)
		run_size(o.sizes[i]);
	run_crafted();
	run_resize(max_n);

#ifdef HAVE_DPDK
	if (eal_up)
		rte_eal_cleanup();
#endif
	urcu_memb_unregister_thread();
	if (o.kv)
		fclose(o.kv);
	if (errors)
		printf("\nbench_table: %d error(s), see above\n", errors);
	return errors ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_hash: the flow table's hash against the faster candidates, on
 * the real 40-byte key (struct tuple), and what each does under a flood.
 *
 *   gcc -O2 -Wall -Wextra -msse4.2 -Ilib -DHAVE_XXHASH bench/bench_hash.c \
 *       $(pkg-config --cflags libxxhash) -o /tmp/bench_hash
 *   /tmp/bench_hash            20M hashes per figure, median of 5
 *   /tmp/bench_hash --smoke    1M hashes per figure, for CI
 *   /tmp/bench_hash --v4-only  speed on IPv4 keys alone
 *
 * Candidates: SipHash-1-3 (lib/hash.h, what the table uses), SipHash-2-4
 * (written here; the full-strength variant), XXH3_64bits_withSeed()
 * (libxxhash, when built with HAVE_XXHASH) and CRC32C with the seed as
 * its initial value (SSE4.2 crc32 over the five words of the key; what
 * DPDK's rte_hash_crc() computes).
 *
 * Speed. Every candidate is reached the same way, an indirect call to a
 * wrapper with the hash inlined into it (XXH3 through XXH_INLINE_ALL,
 * libxxhash's header-only mode), so call overhead cancels out of the
 * comparison. Two figures: "independent" hashes many keys in a row, the
 * throughput of a batched lookup; "chained" feeds each result into the
 * next key, the latency a single lookup waits for. One more row is what
 * the table hashes: IPv4 keys as their 16 meaningful bytes (addresses,
 * then ports, zone, family and protocol), IPv6 keys whole; the key mix
 * is three IPv4 keys to one IPv6 (--v4-only: IPv4 alone). The chained
 * loop writes the port it changes as 16 bits, so the 16-byte variant's
 * 8-byte load of the ports pays a store-forwarding stall there.
 *
 * Floods. Each key set is hashed into a 262144-bucket table (index: the
 * low bits, as a table with a power-of-two size takes them), with a fresh
 * random secret; the longest chain and the number of chains over 8 are
 * printed. 200000 keys at load 0.76 give a longest chain of 7 or 8 (9
 * about one time in 30) and next to no chain over 8 when the hash
 * behaves like a random function.
 *
 *   ports+1    one address pair, the two ports read as one 32-bit number
 *              counting up (a port scan, or many clients behind one NAT)
 *   /8 sweep   sources 10.0.0.0 + i, one destination and port pair
 *   crafted    IPv6 sources inside one /64 (what anyone is given), chosen
 *              so that CRC32C lands them in one bucket, whatever the seed
 *
 * CRC32C is linear over GF(2): crc(s, a) ^ crc(s, b) = crc(0, a ^ b) for
 * keys of one length, whatever the seed s. So the key differences that
 * put keys into one bucket are found once, without the seed, by solving
 * a linear system (Gaussian elimination over the 64 interface-id bits),
 * and work against every seed. The program also prints one pair of keys
 * with equal 32-bit CRC32C, checked under two random seeds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#ifdef HAVE_XXHASH
/* the library's own code, compiled in: inlined as the others are */
#define XXH_INLINE_ALL
#include <xxhash.h>
#endif

#include "bench.h"
#include "crc_kernel.h"
#include "hash.h"
#include "tuple.h"

#define NKEYS		4096		/* speed test keys: fit in L1/L2 */
#define REPEAT		5
#define FLOOD_KEYS	200000
#define FLOOD_BUCKETS	262144
#define FLOOD_BITS	18		/* log2(FLOOD_BUCKETS) */

struct seeds {
	struct hash_key sip;
	uint64_t xxh;
	uint32_t crc;
};

struct candidate {
	const char *name;
	uint64_t (*fn)(const struct seeds *s, const struct tuple *t);
};

static uint64_t n_hashes = 20000000;
static bool v4_only;
static struct tuple keys[NKEYS];

/* --- the local candidates ---------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

/*
 * SipHash-2-4 of the 40-byte key (a multiple of 8: the last block holds
 * only the length). Little-endian hosts only, as is this benchmark.
 */
static inline uint64_t siphash24_tuple(const struct hash_key *k,
				       const struct tuple *t)
{
	uint64_t v[4] = {
		k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f6dull,
		k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull,
	};
	uint64_t w[sizeof(*t) / 8 + 1];
	size_t i;

	memcpy(w, t, sizeof(*t));
	w[sizeof(*t) / 8] = (uint64_t)sizeof(*t) << 56;
	for (i = 0; i < sizeof(w) / 8; i++) {
		v[3] ^= w[i];
		sip_round(v);
		sip_round(v);
		v[0] ^= w[i];
	}
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* --- one call each ------------------------------------------------------- */

static uint64_t h_sip13(const struct seeds *s, const struct tuple *t)
{
	return siphash13(&s->sip, t, sizeof(*t));
}

/* As lib/flowtable.c's key_hash() feeds it (without the ends' ordering). */
static uint64_t h_sip13_16(const struct seeds *s, const struct tuple *t)
{
	uint64_t m[2];

	if (t->family != AF_INET)
		return siphash13(&s->sip, t, sizeof(*t));
	m[0] = (uint64_t)t->src.v4.s_addr << 32 | t->dst.v4.s_addr;
	memcpy(&m[1], &t->sport, sizeof(m[1]));
	return siphash13(&s->sip, m, sizeof(m));
}

static uint64_t h_sip24(const struct seeds *s, const struct tuple *t)
{
	return siphash24_tuple(&s->sip, t);
}

#ifdef HAVE_XXHASH
static uint64_t h_xxh3(const struct seeds *s, const struct tuple *t)
{
	return XXH3_64bits_withSeed(t, sizeof(*t), s->xxh);
}
#endif

static uint64_t h_crc(const struct seeds *s, const struct tuple *t)
{
	return crc32c_tuple(s->crc, t);
}

static const struct candidate candidates[] = {
	{ "siphash13 (lib)", h_sip13 },
	{ "siphash13, v4 16 B", h_sip13_16 },
	{ "siphash24", h_sip24 },
#ifdef HAVE_XXHASH
	{ "xxh3 (libxxhash)", h_xxh3 },
#endif
	{ "crc32c (sse4.2)", h_crc },
};
#define N_CAND (sizeof(candidates) / sizeof(candidates[0]))

/* --- helpers --------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return splitmix64(&rng_state);
}

static void fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t r;
	size_t n;

	for (; len; p += n, len -= n) {
		r = rnd();
		n = len < sizeof(r) ? len : sizeof(r);
		memcpy(p, &r, n);
	}
}

static void new_seeds(struct seeds *s)
{
	fill_random(s, sizeof(*s));
}

static void tuple_v4(struct tuple *t, uint32_t src, uint32_t dst,
		     uint16_t sport, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->src.v4.s_addr = __builtin_bswap32(src);
	t->dst.v4.s_addr = __builtin_bswap32(dst);
	t->sport = sport;
	t->dport = dport;
	t->family = AF_INET;
	t->proto = 6;
}

/* --- speed ------------------------------------------------------------------ */

/* Keys as a busy router sees them: IPv4 and IPv6, TCP and UDP. */
static void make_keys(void)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		struct tuple *t = &keys[i];

		tuple_v4(t, (uint32_t)rnd(), (uint32_t)rnd(),
			 (uint16_t)rnd(), (uint16_t)rnd());
		t->proto = i & 1 ? 17 : 6;
		if (i % 4 == 3 && !v4_only) {
			fill_random(&t->src, sizeof(t->src));
			fill_random(&t->dst, sizeof(t->dst));
			t->family = AF_INET6;
		}
	}
}

static double run_independent(const struct candidate *c,
			      const struct seeds *s, uint64_t *sink)
{
	uint64_t i, acc = 0;
	double t0 = now_ns();

	for (i = 0; i < n_hashes; i++)
		acc += c->fn(s, &keys[i & (NKEYS - 1)]);
	*sink += acc;
	return (now_ns() - t0) / (double)n_hashes;
}

static double run_chained(const struct candidate *c, const struct seeds *s,
			  uint64_t *sink)
{
	struct tuple t;
	uint64_t i, h = 0;
	double t0 = now_ns();

	for (i = 0; i < n_hashes; i++) {
		t = keys[i & (NKEYS - 1)];
		t.sport ^= (uint16_t)h;
		h = c->fn(s, &t);
	}
	*sink += h;
	return (now_ns() - t0) / (double)n_hashes;
}

static void bench_speed(void)
{
	double ind[REPEAT], chn[REPEAT];
	struct seeds s;
	uint64_t sink = 0;
	size_t c, r;

	new_seeds(&s);
	make_keys();
	printf("speed: ns per hash of a 40-byte key%s, median of %d runs of "
	       "%llu hashes\n", v4_only ? " (IPv4 keys only)" : "", REPEAT,
	       (unsigned long long)n_hashes);
	printf("  %-20s %12s %12s\n", "hash", "independent", "chained");
	for (c = 0; c < N_CAND; c++) {
		/* interleaved, so a noisy neighbour hits every candidate */
		for (r = 0; r < REPEAT; r++) {
			ind[r] = run_independent(&candidates[c], &s, &sink);
			chn[r] = run_chained(&candidates[c], &s, &sink);
		}
		printf("  %-20s %12.2f %12.2f\n", candidates[c].name,
		       median(ind, REPEAT), median(chn, REPEAT));
	}
	/* keep the results alive */
	if (sink == 42)
		printf("\n");
}

/* --- floods ---------------------------------------------------------------- */

static void set_iid(struct tuple *t, uint64_t iid)
{
	size_t j;

	for (j = 0; j < 8; j++)
		t->src.b[8 + j] ^= (uint8_t)(iid >> (8 * j));
}

static uint64_t get_iid(const struct tuple *t)
{
	uint64_t iid = 0;
	size_t j;

	for (j = 0; j < 8; j++)
		iid = iid << 8 | t->src.b[8 + j];
	return iid;
}

static void crafted_base(struct tuple *t)
{
	/* 2001:db8:1:2::/64 -> 2001:db8::80, port 443 */
	static const uint8_t src[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };
	static const uint8_t dst[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(t, 0, sizeof(*t));
	memcpy(t->src.b, src, sizeof(src));
	memcpy(t->dst.b, dst, sizeof(dst));
	t->dst.b[15] = 0x80;
	t->sport = 40000;
	t->dport = 443;
	t->family = AF_INET6;
	t->proto = 6;
}

/* The n keys of a flood set; false when the set cannot be built. */
static bool flood_keys(const char *set, struct tuple *out, size_t n)
{
	size_t i, j;

	if (!strcmp(set, "ports+1")) {
		for (i = 0; i < n; i++) {
			uint32_t pp = (1024u << 16) + (uint32_t)i;

			tuple_v4(&out[i], 0xc0000201, 0xc6336401,
				 (uint16_t)(pp >> 16), (uint16_t)pp);
		}
		return true;
	}
	if (!strcmp(set, "/8 sweep")) {
		for (i = 0; i < n; i++)
			tuple_v4(&out[i], 0x0a000000 + (uint32_t)i,
				 0xc6336401, 40000, 80);
		return true;
	}
	if (!strcmp(set, "crafted")) {
		uint64_t basis[IID_BITS];
		size_t nb = crc_kernel(FLOOD_BUCKETS - 1, basis, IID_BITS);

		if (nb < FLOOD_BITS)
			return false;
		/* key i: the combination of basis vectors i's bits select */
		for (i = 0; i < n; i++) {
			uint64_t iid = 0;

			for (j = 0; j < FLOOD_BITS; j++)
				if (i >> j & 1)
					iid ^= basis[j];
			crafted_base(&out[i]);
			set_iid(&out[i], iid);
		}
		return true;
	}
	return false;
}

static void flood_one(const struct candidate *c, const struct tuple *k,
		      size_t n, uint32_t *count)
{
	uint32_t longest = 0, over8 = 0, i;
	struct seeds s;

	new_seeds(&s);
	memset(count, 0, FLOOD_BUCKETS * sizeof(*count));
	for (i = 0; i < n; i++)
		count[c->fn(&s, &k[i]) & (FLOOD_BUCKETS - 1)]++;
	for (i = 0; i < FLOOD_BUCKETS; i++) {
		if (count[i] > longest)
			longest = count[i];
		if (count[i] > 8)
			over8++;
	}
	printf(" %9u %6u |", longest, over8);
}

static int bench_flood(void)
{
	static const char *const sets[] = { "ports+1", "/8 sweep", "crafted" };
	enum { N_SETS = sizeof(sets) / sizeof(sets[0]) };
	struct tuple *k[N_SETS] = { NULL };
	bool built[N_SETS];
	uint32_t *count = calloc(FLOOD_BUCKETS, sizeof(*count));
	size_t c, i;
	int ret = -1;

	for (i = 0; i < N_SETS; i++) {
		k[i] = calloc(FLOOD_KEYS, sizeof(*k[i]));
		if (!k[i])
			goto out;
		built[i] = flood_keys(sets[i], k[i], FLOOD_KEYS);
	}
	if (!count)
		goto out;
	printf("\nflood: %d keys into %d buckets, a random secret per cell;"
	       " longest chain, chains > 8\n", FLOOD_KEYS, FLOOD_BUCKETS);
	printf("  %-20s |", "hash");
	for (i = 0; i < N_SETS; i++)
		printf(" %16s |", sets[i]);
	printf("\n");
	for (c = 0; c < N_CAND; c++) {
		printf("  %-20s |", candidates[c].name);
		for (i = 0; i < N_SETS; i++) {
			if (built[i])
				flood_one(&candidates[c], k[i], FLOOD_KEYS,
					  count);
			else
				printf(" %16s |", "n/a");
		}
		printf("\n");
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "bench_hash: out of memory\n");
	for (i = 0; i < N_SETS; i++)
		free(k[i]);
	free(count);
	return ret;
}

/* Two keys with one CRC32C under any seed; shown under two. */
static void crc_collision(void)
{
	uint64_t basis[IID_BITS];
	struct tuple a, b;
	struct seeds s1, s2;
	size_t nb = crc_kernel(0xffffffff, basis, IID_BITS);

	printf("\ncrc32c collision, built without the seed: ");
	if (!nb) {
		printf("no kernel vector found (skipped)\n");
		return;
	}
	crafted_base(&a);
	set_iid(&a, rnd());
	b = a;
	set_iid(&b, basis[0]);
	new_seeds(&s1);
	new_seeds(&s2);
	printf("%zu-dimensional space of differences\n", nb);
	printf("  key A: src iid %016llx   key B: src iid %016llx\n",
	       (unsigned long long)get_iid(&a), (unsigned long long)get_iid(&b));
	printf("  seed %08x: crc A %08x  crc B %08x  %s\n", s1.crc,
	       crc32c_tuple(s1.crc, &a), crc32c_tuple(s1.crc, &b),
	       crc32c_tuple(s1.crc, &a) == crc32c_tuple(s1.crc, &b) ?
	       "equal" : "differ");
	printf("  seed %08x: crc A %08x  crc B %08x  %s\n", s2.crc,
	       crc32c_tuple(s2.crc, &a), crc32c_tuple(s2.crc, &b),
	       crc32c_tuple(s2.crc, &a) == crc32c_tuple(s2.crc, &b) ?
	       "equal" : "differ");
	printf("  siphash13 under one key: A %016llx  B %016llx\n",
	       (unsigned long long)h_sip13(&s1, &a),
	       (unsigned long long)h_sip13(&s1, &b));
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_hash [--smoke] [--hashes N] [--v4-only]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			n_hashes = 1000000;
		else if (!strcmp(argv[i], "--v4-only"))
			v4_only = true;
		else if (!strcmp(argv[i], "--hashes") && i + 1 < argc)
			n_hashes = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (!n_hashes)
		usage();
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		rng_state = (uint64_t)now_ns();

	bench_speed();
	if (bench_flood())
		return 1;
	crc_collision();
	return 0;
}

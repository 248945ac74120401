// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/bloom.c: hits, misses and several positives, IPv4
 * and IPv6 kept apart; a false positive forced with a tiny filter goes
 * to the slow path and is answered right there, and reseeding makes that
 * address stop being one; deletes, whole next hops dropped and their
 * slots reused, rows wider than 64 next hops; saturated counters that
 * never underflow; sizing against the measured rate; readers racing a
 * writer that adds, deletes, drops next hops and reseeds (this binary is
 * also built with -fsanitize=thread as test_bloom_tsan). And a
 * measurement, logged and not asserted: how often a destination in no
 * filter hits exactly one, the hole an unconfirmed design falls into.
 *
 * The grace period is tests/unit/rcu_test.h's, which ThreadSanitizer
 * can follow (it cannot see liburcu's).
 */
#ifndef _GNU_SOURCE		/* configure defines it; the bare gcc line not */
#define _GNU_SOURCE		/* rcu_test.h: pthread_rwlockattr_setkind_np() */
#endif
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bloom.h"
#include "rcu_test.h"

/* The ThreadSanitizer build runs ten times slower: smaller sizes. */
#ifndef SCALE
#define SCALE 1
#endif


static struct bloom_params params(uint32_t max_nexthops, uint32_t expected,
				  double fp_rate, uint32_t bits,
				  uint32_t hashes)
{
	return (struct bloom_params){
		.max_nexthops = max_nexthops,
		.expected = expected,
		.fp_rate = fp_rate,
		.bits = bits,
		.hashes = hashes,
		.random = test_random,
		.synchronize = rcu_test_synchronize,
	};
}

static struct bloom_cache *cache(uint32_t max_nexthops, uint32_t expected,
				 double fp_rate, uint32_t bits,
				 uint32_t hashes)
{
	struct bloom_params p = params(max_nexthops, expected, fp_rate, bits,
				       hashes);
	struct bloom_cache *c = bloom_new(&p);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* a.b.c.d, whatever is in the other 12 bytes */
static union fc_addr v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	union fc_addr x;

	memset(&x, 0xa5, sizeof(x));
	x.v4.s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
	return x;
}

/* Address i of a numbered range: 10.(16 + range).x.y. */
static union fc_addr nth(uint32_t range, uint32_t i)
{
	return v4(10, 16 + range, (i >> 8) & 0xff, i & 0xff);
}

static union fc_addr v6(const char *s)
{
	union fc_addr x;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &x.v6), 1);
	return x;
}

static enum bloom_result lookup(const struct bloom_cache *c, int family,
				const union fc_addr *a, uint32_t *nh)
{
	enum bloom_result r;

	read_lock();
	r = bloom_lookup(c, family, a, nh);
	read_unlock();
	return r;
}

static void add(struct bloom_cache *c, uint32_t nh, const union fc_addr *a)
{
	ck_assert_int_eq(bloom_add(c, nh, AF_INET, a), 0);
}

static void del(struct bloom_cache *c, uint32_t nh, const union fc_addr *a)
{
	ck_assert_int_eq(bloom_del(c, nh, AF_INET, a), 0);
}

/* Looks a member up: it must hit, and on nh. */
static void assert_hit(const struct bloom_cache *c, int family,
		       const union fc_addr *a, uint32_t nh)
{
	uint32_t got = 0;

	ck_assert_int_eq(lookup(c, family, a, &got), BLOOM_HIT);
	ck_assert_uint_eq(got, nh);
}

/*
 * Looks a member up where other next hops have filters too: a hit names
 * nh; another filter's false positive may make it several instead.
 */
static void assert_member(const struct bloom_cache *c, const union fc_addr *a,
			  uint32_t nh)
{
	enum bloom_result r;
	uint32_t got = 0;

	r = lookup(c, AF_INET, a, &got);
	ck_assert(r == BLOOM_HIT || r == BLOOM_SEVERAL);
	if (r == BLOOM_HIT)
		ck_assert_uint_eq(got, nh);
}

/* --- basics -------------------------------------------------------------- */

START_TEST(test_hit)
{
	struct bloom_cache *c = cache(8, 100, 0.01, 0, 0);
	union fc_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
	union fc_addr x = v6("fd00::1"), a6 = v6("a00:1::");
	struct bloom_stats st;
	uint32_t nh = 0;

	add(c, 7, &a);
	add(c, 7, &b);
	ck_assert_int_eq(bloom_add(c, 9, AF_INET6, &x), 0);
	assert_hit(c, AF_INET, &a, 7);
	assert_hit(c, AF_INET, &b, 7);
	assert_hit(c, AF_INET6, &x, 9);
	ck_assert_int_eq(bloom_add(c, 7, AF_INET, &a), -EEXIST);
	/* only the first 4 bytes of an IPv4 address count */
	a.b[15] ^= 0xff;
	assert_hit(c, AF_INET, &a, 7);
	/* an IPv6 address starting with 10.0.0.1's bytes is another one */
	ck_assert(lookup(c, AF_INET6, &a6, &nh) != BLOOM_HIT);
	ck_assert(lookup(c, 12345, &a, &nh) == BLOOM_NONE);
	ck_assert_int_eq(bloom_add(c, 0, AF_INET, &a), -EINVAL);
	ck_assert_int_eq(bloom_add(c, 7, AF_UNIX, &a), -EINVAL);

	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.reseeds, 0);
	ck_assert_uint_eq(st.hit + st.none + st.several + st.false_positive, 0);
	ck_assert_uint_gt(st.memory, 0);
	bloom_free(c);
}
END_TEST

START_TEST(test_none)
{
	struct bloom_cache *c = cache(8, 1000, 0.01, 0, 0);
	uint32_t i, nh = 0, none = 0;
	union fc_addr a;
	enum bloom_result r;

	a = nth(0, 1);
	ck_assert_int_eq(lookup(c, AF_INET, &a, &nh), BLOOM_NONE);
	for (i = 0; i < 1000; i++) {
		a = nth(1, i);
		add(c, 1, &a);
		a = nth(2, i);
		add(c, 2, &a);
	}
	/* two filters at 1% each: about 2% single positives, all caught */
	for (i = 0; i < 10000; i++) {
		a = nth(3, i);
		r = lookup(c, AF_INET, &a, &nh);
		ck_assert(r != BLOOM_HIT);
		none += r == BLOOM_NONE;
	}
	ck_assert_uint_ge(none, 9500);
	ck_assert_uint_eq(nh, 0);
	bloom_free(c);
}
END_TEST

START_TEST(test_several)
{
	struct bloom_cache *c = cache(8, 100, 0.01, 0, 0);
	union fc_addr a = v4(192, 0, 2, 1);
	uint32_t nh = 0;

	add(c, 1, &a);
	add(c, 2, &a);
	ck_assert_int_eq(lookup(c, AF_INET, &a, &nh), BLOOM_SEVERAL);
	ck_assert_uint_eq(nh, 0);
	del(c, 2, &a);
	assert_hit(c, AF_INET, &a, 1);
	bloom_free(c);
}
END_TEST

/* --- false positives ----------------------------------------------------- */

/*
 * The slow path, as the daemon would take it: the LPM's answer. Here the
 * test knows the truth: members of next hop 1, and nothing else.
 */
static uint32_t slow_path(const union fc_addr *a, const union fc_addr *members,
			  uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(&members[i].v4, &a->v4, 4))
			return 1;
	return 0;
}

/* The cache, then the slow path. */
static uint32_t resolve(const struct bloom_cache *c, const union fc_addr *a,
			const union fc_addr *members, uint32_t n,
			enum bloom_result *r)
{
	uint32_t nh = 0;

	*r = lookup(c, AF_INET, a, &nh);
	return *r == BLOOM_HIT ? nh : slow_path(a, members, n);
}

START_TEST(test_false_positive_reseed)
{
	/* 64 bits, one hash, eight members: an eighth of the bits set */
	struct bloom_cache *c = cache(4, 0, 0, 64, 1);
	union fc_addr members[8], a, fp;
	uint32_t i, nh, tries, reseeds;
	enum bloom_result r;
	struct bloom_stats st;
	bool found = false;

	for (i = 0; i < 8; i++) {
		members[i] = nth(0, i);
		add(c, 1, &members[i]);
	}

	for (tries = 0; tries < 10000 && !found; tries++) {
		a = nth(1, tries);
		ck_assert_uint_eq(resolve(c, &a, members, 8, &r), 0);
		ck_assert(r != BLOOM_HIT);
		if (r == BLOOM_FALSE_POSITIVE) {
			fp = a;
			found = true;
		}
	}
	ck_assert(found);
	/* unconfirmed, this address would have left by next hop 1 */
	ck_assert_uint_eq(resolve(c, &fp, members, 8, &r), 0);
	ck_assert_int_eq(r, BLOOM_FALSE_POSITIVE);

	for (reseeds = 0; reseeds < 100; reseeds++) {
		ck_assert_int_eq(bloom_reseed(c), 0);
		bloom_reclaim(c);
		for (i = 0; i < 8; i++)
			assert_hit(c, AF_INET, &members[i], 1);
		if (lookup(c, AF_INET, &fp, &nh) != BLOOM_FALSE_POSITIVE)
			break;
	}
	ck_assert_uint_lt(reseeds, 100);
	ck_assert_uint_eq(resolve(c, &fp, members, 8, &r), 0);
	ck_assert_int_eq(r, BLOOM_NONE);
	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.reseeds, reseeds + 1);
	ck_assert_uint_eq(st.entries, 8);
	bloom_free(c);
}
END_TEST

/* --- deletion ------------------------------------------------------------ */

START_TEST(test_del)
{
	struct bloom_cache *c = cache(8, 1000, 0.01, 0, 0);
	union fc_addr a;
	struct bloom_stats st;
	uint32_t i, nh;

	for (i = 0; i < 1000; i++) {
		a = nth(0, i);
		add(c, 1, &a);
	}
	for (i = 0; i < 1000; i += 2) {
		a = nth(0, i);
		del(c, 1, &a);
	}
	for (i = 0; i < 1000; i++) {
		a = nth(0, i);
		if (i % 2)
			assert_hit(c, AF_INET, &a, 1);
		else
			ck_assert(lookup(c, AF_INET, &a, &nh) != BLOOM_HIT);
	}
	a = nth(0, 0);
	ck_assert_int_eq(bloom_del(c, 1, AF_INET, &a), -ENOENT);
	ck_assert_int_eq(bloom_del(c, 2, AF_INET, &a), -ENOENT);
	ck_assert_int_eq(bloom_del(c, 0, AF_INET, &a), -EINVAL);
	/* the store shrank as it emptied; and back in */
	add(c, 1, &a);
	assert_hit(c, AF_INET, &a, 1);
	del(c, 1, &a);

	/* nothing saturated: with every address gone every bit is clear */
	for (i = 1; i < 1000; i += 2) {
		a = nth(0, i);
		del(c, 1, &a);
	}
	for (i = 0; i < 2000; i++) {
		a = nth(0, i);
		ck_assert_int_eq(lookup(c, AF_INET, &a, &nh), BLOOM_NONE);
	}
	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	bloom_reclaim(c);
	bloom_free(c);
}
END_TEST

START_TEST(test_del_nexthop)
{
	struct bloom_cache *c = cache(2, 200, 0.01, 0, 0);
	union fc_addr a;
	struct bloom_stats st;
	uint32_t i, nh;

	for (i = 0; i < 200; i++) {
		a = nth(1, i);
		add(c, 1, &a);
		a = nth(2, i);
		add(c, 2, &a);
	}
	a = nth(3, 0);
	ck_assert_int_eq(bloom_add(c, 3, AF_INET, &a), -ENOSPC);
	bloom_del_nexthop(c, 1);
	bloom_del_nexthop(c, 1);
	bloom_del_nexthop(c, 0);
	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 200);
	for (i = 0; i < 200; i++) {
		a = nth(1, i);
		/* its filter went with it: no positive from slot 0 */
		ck_assert(lookup(c, AF_INET, &a, &nh) != BLOOM_HIT);
		ck_assert(lookup(c, AF_INET, &a, &nh) != BLOOM_SEVERAL);
		a = nth(2, i);
		assert_hit(c, AF_INET, &a, 2);
	}
	a = nth(1, 0);
	ck_assert_int_eq(bloom_del(c, 1, AF_INET, &a), -ENOENT);

	/* the slot is free again, for another next hop */
	for (i = 0; i < 200; i++) {
		a = nth(1, i);
		add(c, 3, &a);
	}
	for (i = 0; i < 200; i++) {
		a = nth(1, i);
		assert_member(c, &a, 3);
		a = nth(2, i);
		assert_member(c, &a, 2);
	}
	bloom_reclaim(c);
	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 400);
	bloom_free(c);
}
END_TEST

/*
 * A filter loaded far past its design: 600 addresses in 64 4-bit
 * counters with 2 hashes, 1200 increments, most counters stuck at 15. A
 * counter that went on counting down would reach zero with members
 * still behind it, and they would miss; a stuck one stays set.
 */
START_TEST(test_counters_never_underflow)
{
	struct bloom_cache *c = cache(2, 0, 0, 64, 2);
	union fc_addr a;
	uint32_t i, nh, stuck = 0;

	for (i = 0; i < 600; i++) {
		a = nth(0, i);
		add(c, 1, &a);
	}
	for (i = 0; i < 600; i += 2) {
		a = nth(0, i);
		del(c, 1, &a);
	}
	for (i = 1; i < 600; i += 2) {
		a = nth(0, i);
		assert_hit(c, AF_INET, &a, 1);
	}
	for (i = 1; i < 600; i += 2) {
		a = nth(0, i);
		del(c, 1, &a);
	}
	/* all gone, yet stuck bits still say yes; the store says no */
	for (i = 0; i < 600; i++) {
		a = nth(0, i);
		ck_assert(lookup(c, AF_INET, &a, &nh) != BLOOM_HIT);
		stuck += lookup(c, AF_INET, &a, &nh) == BLOOM_FALSE_POSITIVE;
	}
	ck_assert_uint_gt(stuck, 0);
	/* a rebuild counts from the stores: exact again */
	ck_assert_int_eq(bloom_reseed(c), 0);
	for (i = 0; i < 600; i++) {
		a = nth(0, i);
		ck_assert_int_eq(lookup(c, AF_INET, &a, &nh), BLOOM_NONE);
	}
	bloom_free(c);
}
END_TEST

/* --- many next hops ------------------------------------------------------ */

START_TEST(test_wide_rows)
{
	struct bloom_cache *c = cache(200, 20, 0.001, 0, 0);
	union fc_addr a;
	enum bloom_result r;
	struct bloom_stats st;
	uint32_t n, i, nh, hits = 0;

	/* 130 next hops: three words a row, grown one rebuild at a time */
	for (n = 0; n < 130; n++)
		for (i = 0; i < 20; i++) {
			a = nth(n, i);
			add(c, 1000 + n, &a);
		}
	for (n = 0; n < 130; n++)
		for (i = 0; i < 20; i++) {
			a = nth(n, i);
			nh = 0;
			r = lookup(c, AF_INET, &a, &nh);
			ck_assert(r == BLOOM_HIT || r == BLOOM_SEVERAL);
			if (r == BLOOM_HIT)
				ck_assert_uint_eq(nh, 1000 + n);
			hits += r == BLOOM_HIT;
		}
	/* 129 other filters at about 0.1% each: some 85% stand alone */
	ck_assert_uint_ge(hits, 130 * 20 * 75 / 100);
	/* positives in two different words */
	a = nth(5, 0);
	add(c, 1129, &a);
	ck_assert_int_eq(lookup(c, AF_INET, &a, &nh), BLOOM_SEVERAL);

	/* all but the first three go; a reseed narrows the rows again */
	for (n = 3; n < 130; n++)
		bloom_del_nexthop(c, 1000 + n);
	ck_assert_int_eq(bloom_reseed(c), 0);
	bloom_reclaim(c);
	bloom_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 60);
	for (n = 0; n < 3; n++)
		for (i = 0; i < 20; i++) {
			a = nth(n, i);
			assert_member(c, &a, 1000 + n);
		}
	bloom_free(c);
}
END_TEST

/* --- sizing -------------------------------------------------------------- */

START_TEST(test_sizing)
{
	const struct {
		uint32_t max, expected;
		double fp;
		uint32_t bits, hashes;
	} bad[] = {
		{ 0, 100, 0.01, 0, 0 },		/* no next hops */
		{ BLOOM_MAX_NEXTHOPS + 1, 100, 0.01, 0, 0 },
		{ 4, 0, 0.01, 0, 0 },		/* nothing to size for */
		{ 4, 100, 0, 0, 0 },
		{ 4, 100, 1, 0, 0 },
		{ 4, 0, 0, 1024, 0 },			/* k from what? */
		{ 4, 0, 0, 4, 1 },			/* too small */
		{ 4, 0, 0, 1024, BLOOM_MAX_HASHES + 1 },
		{ 4, 1u << 30, 1e-9, 0, 0 },		/* too big */
	};
	struct bloom_params p;
	struct bloom_cache *c;
	enum bloom_result r;
	union fc_addr a;
	uint32_t i, nh, fp = 0;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		p = params(bad[k].max, bad[k].expected, bad[k].fp,
			   bad[k].bits, bad[k].hashes);
		errno = 0;
		ck_assert_ptr_null(bloom_new(&p));
		ck_assert_int_eq(errno, EINVAL);
	}
	p = params(4, 100, 0.01, 0, 0);
	p.random = NULL;
	ck_assert_ptr_null(bloom_new(&p));

	/* derived from 1%: one filter at its design load lands near 1% */
	c = cache(1, 2000, 0.01, 0, 0);
	for (i = 0; i < 2000; i++) {
		a = nth(0, i);
		add(c, 1, &a);
	}
	for (i = 0; i < 100000; i++) {
		a = v4(11, i >> 16, (i >> 8) & 0xff, i & 0xff);
		r = lookup(c, AF_INET, &a, &nh);
		ck_assert(r == BLOOM_NONE || r == BLOOM_FALSE_POSITIVE);
		fp += r == BLOOM_FALSE_POSITIVE;
	}
	ck_assert_uint_ge(fp, 500);
	ck_assert_uint_le(fp, 1600);
	bloom_free(c);
}
END_TEST

/*
 * Not a check but a measurement: destinations in no filter, and how many
 * hit exactly one, so that a cache that trusted the one positive would
 * send them to a wrong next hop. Theory: N f (1 - f)^(N - 1).
 */
static void measure_hole(uint32_t nexthops, double fp_rate)
{
	const uint32_t per = 1000, probes = 200000 / SCALE;
	struct bloom_cache *c = cache(nexthops, per, fp_rate, 0, 0);
	uint32_t n, i, nh, single = 0, several = 0;
	double theory = nexthops * fp_rate;
	enum bloom_result r;
	union fc_addr a;

	for (n = 0; n < nexthops; n++)
		for (i = 0; i < per; i++) {
			a = nth(n, i);
			add(c, n + 1, &a);
		}
	for (i = 1; i < nexthops; i++)
		theory *= 1 - fp_rate;
	for (i = 0; i < probes; i++) {
		a = v4(172, 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
		r = lookup(c, AF_INET, &a, &nh);
		ck_assert(r != BLOOM_HIT);
		single += r == BLOOM_FALSE_POSITIVE;
		several += r == BLOOM_SEVERAL;
	}
	printf("bloom hole: %2u next hops, f = %.3f per filter: %.2f%% of "
	       "uncached destinations hit exactly one filter (theory %.2f%%; "
	       "unconfirmed, each goes to a wrong next hop), %.2f%% several\n",
	       nexthops, fp_rate, 100.0 * single / probes, 100.0 * theory,
	       100.0 * several / probes);
	fflush(stdout);
	bloom_free(c);
}

START_TEST(test_unconfirmed_hole)
{
	measure_hole(5, 0.01);
	measure_hole(65, 0.01);
	measure_hole(5, 0.001);
	measure_hole(65, 0.001);
}
END_TEST

/* --- readers against a writer -------------------------------------------- */

/*
 * Three kinds of address, each with one possible truth:
 *   stable  range 0..3, always in next hop 1 + range: a hit must name
 *           it; only "several" may come instead (another filter's false
 *           positive), never none or a false positive;
 *   churn   range 8 + n, only ever in next hop 1000 + n, which the
 *           writer fills, thins, drops whole and brings back: a hit
 *           must name 1000 + n;
 *   absent  range 200, never stored: never a hit.
 */
#define STABLE_NH	4
#define STABLE_PER	64
#define CHURN_NH	70		/* with the stable ones: two words */
#define CHURN_PER	16
#define ROUNDS		(40 / SCALE)

struct race {
	struct bloom_cache *c;
	int stop;
	uint64_t wrong, lookups, stable_hits;
};

static void check_one(struct race *rc, uint32_t k, uint64_t *wrong,
		      uint64_t *hits)
{
	uint32_t kind = k % 3, nh = 0, n, i;
	enum bloom_result r;
	union fc_addr a;

	if (kind == 0) {
		n = k / 3 % STABLE_NH;
		i = k / 3 / STABLE_NH % STABLE_PER;
		a = nth(n, i);
		r = bloom_lookup(rc->c, AF_INET, &a, &nh);
		if (r == BLOOM_HIT && nh == 1 + n)
			(*hits)++;
		else if (r != BLOOM_SEVERAL)
			(*wrong)++;
	} else if (kind == 1) {
		n = k / 3 % CHURN_NH;
		i = k / 3 / CHURN_NH % CHURN_PER;
		a = nth(8 + n, i);
		r = bloom_lookup(rc->c, AF_INET, &a, &nh);
		if (r == BLOOM_HIT && nh != 1000 + n)
			(*wrong)++;
	} else {
		a = nth(200, k / 3 % 4096);
		r = bloom_lookup(rc->c, AF_INET, &a, &nh);
		if (r == BLOOM_HIT)
			(*wrong)++;
	}
}

static void *reader(void *arg)
{
	struct race *rc = arg;
	uint64_t wrong = 0, lookups = 0, hits = 0;
	uint32_t i, j;

	for (j = 0; !__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE); j++) {
		read_lock();
		for (i = 0; i < 64; i++)
			check_one(rc, j * 64 + i, &wrong, &hits);
		read_unlock();
		lookups += 64;
	}
	__atomic_add_fetch(&rc->wrong, wrong, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rc->lookups, lookups, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rc->stable_hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

static void churn_round(struct bloom_cache *c, uint32_t round)
{
	union fc_addr a;
	uint32_t k, n, i;

	/* every other round the ids arrive in reverse: slots change hands */
	for (k = 0; k < CHURN_NH; k++) {
		n = round % 2 ? CHURN_NH - 1 - k : k;
		for (i = 0; i < CHURN_PER; i++) {
			a = nth(8 + n, i);
			add(c, 1000 + n, &a);
		}
	}
	if (round % 2)
		ck_assert_int_eq(bloom_reseed(c), 0);
	/* out, back in (among the dead entries), and out again */
	for (n = 0; n < CHURN_NH; n++)
		for (i = 1; i < CHURN_PER; i += 2) {
			a = nth(8 + n, i);
			del(c, 1000 + n, &a);
			add(c, 1000 + n, &a);
			del(c, 1000 + n, &a);
		}
	bloom_reclaim(c);
	for (n = 0; n < CHURN_NH; n++)
		bloom_del_nexthop(c, 1000 + n);
	/* back to one word a row, to grow again next round */
	ck_assert_int_eq(bloom_reseed(c), 0);
	bloom_reclaim(c);
}

START_TEST(test_readers_during_changes)
{
	struct race rc = { .c = cache(128, 64, 0.01, 0, 0) };
	struct bloom_stats st;
	pthread_t th[2];
	union fc_addr a;
	uint32_t n, i;

	for (n = 0; n < STABLE_NH; n++)
		for (i = 0; i < STABLE_PER; i++) {
			a = nth(n, i);
			add(rc.c, 1 + n, &a);
		}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, &rc);
	for (i = 0; i < ROUNDS; i++)
		churn_round(rc.c, i);
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	bloom_get_stats(rc.c, &st);
	printf("bloom race: %llu lookups, %llu stable hits, %llu reseeds\n",
	       (unsigned long long)rc.lookups,
	       (unsigned long long)rc.stable_hits,
	       (unsigned long long)st.reseeds);
	fflush(stdout);
	ck_assert_uint_gt(rc.lookups, 0);
	ck_assert_uint_gt(rc.stable_hits, 0);
	ck_assert_uint_eq(rc.wrong, 0);
	ck_assert_uint_eq(st.entries, STABLE_NH * STABLE_PER);
	ck_assert_uint_eq(st.reseeds, ROUNDS + ROUNDS / 2);
	bloom_free(rc.c);
}
END_TEST

static Suite *bloom_suite(void)
{
	Suite *s = suite_create("bloom");
	TCase *tc;

	tc = tcase_create("basics");
	tcase_add_test(tc, test_hit);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_several);
	tcase_add_test(tc, test_sizing);
	suite_add_tcase(s, tc);

	tc = tcase_create("false_positives");
	tcase_add_test(tc, test_false_positive_reseed);
	tcase_add_test(tc, test_counters_never_underflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("deletion");
	tcase_add_test(tc, test_del);
	tcase_add_test(tc, test_del_nexthop);
	tcase_add_test(tc, test_wide_rows);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_readers_during_changes);
	suite_add_tcase(s, tc);

	tc = tcase_create("measure");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unconfirmed_hole);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bloom_suite());
	int failed;

	rcu_test_init();

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

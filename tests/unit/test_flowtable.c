// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/hash.c and lib/flowtable.c: SipHash-1-3 against
 * vectors from an independent implementation; lookups by the original
 * and the reply key (NAT'ed or not), zones kept apart, stale holders of
 * a key replaced, delete; growth from nothing to 200,000 flows and back
 * with every flow found throughout; readers running against a writer
 * that grows, shrinks and deletes (this binary is also built with
 * -fsanitize=thread as test_flowtable_tsan); zone caps with drop and
 * with eviction of the oldest unreplied flow; resync rounds and the
 * expiry of pending flows; walks; and chains kept short under tuples a
 * weak hash would pile up.
 *
 * The grace period is tests/unit/rcu_test.h's, which ThreadSanitizer
 * can follow (it cannot see liburcu's).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flowtable.h"
#include "hash.h"
#include "rcu_test.h"

/* The ThreadSanitizer build runs ten times slower: smaller sizes. */
#ifndef SCALE
#define SCALE 1
#endif

static struct flowtable *table(uint32_t buckets)
{
	struct ft_params p = {
		.initial_flows = buckets,
		.random = test_random,
		.synchronize = rcu_test_synchronize,
	};
	struct flowtable *ft = ft_new(&p);

	ck_assert_ptr_nonnull(ft);
	return ft;
}

/* Flow number i: 10.x.y.z:port -> 192.168.0.1:80, tcp. */
static struct tuple key(uint32_t i, uint16_t zone)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.proto = IPPROTO_TCP;
	t.zone = zone;
	t.src.v4.s_addr = htonl(0x0a000000u | (i >> 8));
	t.dst.v4.s_addr = htonl(0xc0a80001u);
	t.sport = (uint16_t)(1024 + (i & 0xff));
	t.dport = 80;
	return t;
}

static struct tuple reversed(const struct tuple *t)
{
	struct tuple r;

	tuple_reverse(t, &r);
	return r;
}

static struct flow *add(struct flowtable *ft, const struct tuple *t,
			const struct tuple *reply, bool admitted)
{
	struct flow *f;

	ft_lock(ft);
	f = ft_add_locked(ft, t, reply, admitted);
	ft_unlock(ft);
	return f;
}

static void del(struct flowtable *ft, const struct tuple *t)
{
	struct flow *f;

	ft_lock(ft);
	f = ft_find_locked(ft, t, NULL);
	ck_assert_ptr_nonnull(f);
	ft_del_locked(ft, f);
	ft_unlock(ft);
}

static struct flow *lookup(struct flowtable *ft, const struct tuple *t,
			   enum ft_dir *dir)
{
	struct flow *f;

	read_lock();
	f = ft_lookup(ft, t, dir);
	read_unlock();
	return f;
}

static void maintain(struct flowtable *ft)
{
	while (ft_maintain(ft, 4096))
		;
	ft_reclaim(ft);
}

START_TEST(test_siphash13_vectors)
{
	/* key 00..0f, message 00 01 .. (n-1); from an independent
	 * implementation checked against SipHash-2-4's published vectors */
	static const struct { size_t n; uint64_t h; } v[] = {
		{ 0, 0xabac0158050fc4dcull }, { 1, 0xc9f49bf37d57ca93ull },
		{ 7, 0xd3927d989bb11140ull }, { 8, 0x369095118d299a8eull },
		{ 15, 0xd320d86d2a519956ull }, { 40, 0xc1d2363299e41531ull },
		{ 63, 0x9d199062b7bbb3a8ull },
	};
	struct hash_key k = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_uint_eq(siphash13(&k, msg, v[i].n), v[i].h);
}
END_TEST

START_TEST(test_both_directions)
{
	struct flowtable *ft = table(0);
	struct tuple t = key(1, 0), r, other = key(2, 0);
	enum ft_dir dir;
	struct flow *f;

	f = add(ft, &t, NULL, false);
	ck_assert_ptr_nonnull(f);
	ck_assert(lookup(ft, &t, &dir) == f);
	ck_assert_int_eq(dir, FT_ORIG);
	tuple_reverse(&t, &r);
	ck_assert(lookup(ft, &r, &dir) == f);
	ck_assert_int_eq(dir, FT_REPLY);
	ck_assert_ptr_null(lookup(ft, &other, NULL));
	/* the same tuple in another zone is another flow */
	t.zone = 7;
	ck_assert_ptr_null(lookup(ft, &t, NULL));
	ck_assert(add(ft, &t, NULL, false) != f);
	ck_assert(lookup(ft, &t, NULL) != f);
	t.zone = 0;
	ck_assert(lookup(ft, &t, NULL) == f);
	ft_free(ft);
}
END_TEST

START_TEST(test_nat_reply)
{
	struct flowtable *ft = table(0);
	struct tuple t = key(1, 3), nat, rev;
	struct flow *f, *g;
	enum ft_dir dir;

	/* the server's answer comes back to the masquerading address */
	tuple_reverse(&t, &nat);
	nat.dst.v4.s_addr = htonl(0xc0a80002u);
	nat.dport = 40000;
	f = add(ft, &t, &nat, false);
	ck_assert(f->flags & FLOW_NAT);
	ck_assert(lookup(ft, &nat, &dir) == f);
	ck_assert_int_eq(dir, FT_REPLY);
	tuple_reverse(&t, &rev);
	ck_assert_ptr_null(lookup(ft, &rev, NULL));

	/* rekey to the plain reverse: one flow, the new key only */
	f->mark = 42;
	ft_lock(ft);
	g = ft_set_reply_locked(ft, f, &rev);
	ft_unlock(ft);
	ck_assert_ptr_nonnull(g);
	ck_assert(!(g->flags & FLOW_NAT));
	ck_assert_uint_eq(g->mark, 42);
	ck_assert(lookup(ft, &rev, NULL) == g);
	ck_assert(lookup(ft, &t, NULL) == g);
	ck_assert_ptr_null(lookup(ft, &nat, NULL));
	maintain(ft);
	ck_assert_uint_eq(ft_zone_stats(ft, &(struct ft_zone_stats){ 0 }, 1), 1);
	ft_free(ft);
}
END_TEST

START_TEST(test_stale_replaced)
{
	struct flowtable *ft = table(0);
	struct tuple a = key(1, 0), b = key(2, 0), ra;
	struct ft_stats st;
	struct flow *f1, *f2;

	f1 = add(ft, &a, NULL, false);
	add(ft, &b, NULL, false);
	/* a new flow whose reply key is a's orig key: a is stale */
	tuple_reverse(&a, &ra);
	f2 = add(ft, &ra, NULL, false);
	ck_assert(f2 != f1);
	ck_assert(lookup(ft, &a, NULL) == f2);
	ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows, 2);
	del(ft, &ra);
	del(ft, &b);
	ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows, 0);
	ck_assert_ptr_null(lookup(ft, &a, NULL));
	maintain(ft);
	ft_free(ft);
}
END_TEST

static void check_all(struct flowtable *ft, uint32_t from, uint32_t to,
		      bool present)
{
	struct tuple t, r;
	uint32_t i;

	for (i = from; i < to; i++) {
		t = key(i, 1);
		tuple_reverse(&t, &r);
		if (present) {
			ck_assert_ptr_nonnull(lookup(ft, &t, NULL));
			ck_assert_ptr_nonnull(lookup(ft, &r, NULL));
		} else {
			ck_assert_ptr_null(lookup(ft, &t, NULL));
		}
	}
}

START_TEST(test_grow_and_shrink)
{
	const uint32_t n = 200000 / SCALE;
	struct flowtable *ft = table(0);
	struct ft_stats st;
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct tuple t = key(i, 1);

		ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
		if (i % 20000 == 0)
			check_all(ft, 0, i, true);
	}
	check_all(ft, 0, n, true);
	maintain(ft);
	ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows, n);
	ck_assert_uint_ge(st.grows, 6);
	ck_assert(st.load <= 1.0);
	ck_assert(st.load > 0.25);

	for (i = 0; i < n - 100; i++) {
		struct tuple t = key(i, 1);

		del(ft, &t);
		if (i % 20000 == 0)
			check_all(ft, i + 1, n, true);
	}
	check_all(ft, 0, n - 100, false);
	check_all(ft, n - 100, n, true);
	maintain(ft);
	ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows, 100);
	ck_assert_uint_ge(st.shrinks, 5);
	ck_assert_uint_le(st.buckets, 2048);
	ft_free(ft);
}
END_TEST

START_TEST(test_lookup_many)
{
	struct flowtable *ft = table(0);
	struct tuple keys[100];
	struct flow *out[100];
	enum ft_dir dirs[100];
	uint32_t i;

	for (i = 0; i < 100; i++) {
		keys[i] = key(i, 2);
		if (i % 2 == 0)
			add(ft, &keys[i], NULL, false);
		if (i % 4 == 0)
			keys[i] = reversed(&keys[i]);
	}
	read_lock();
	ft_lookup_many(ft, keys, 100, out, dirs);
	read_unlock();
	for (i = 0; i < 100; i++) {
		if (i % 2) {
			ck_assert_ptr_null(out[i]);
			continue;
		}
		ck_assert_ptr_nonnull(out[i]);
		ck_assert_int_eq(dirs[i], i % 4 == 0 ? FT_REPLY : FT_ORIG);
	}
	ft_free(ft);
}
END_TEST

/* --- readers against a writer ------------------------------------------ */

#define STABLE (5000 / SCALE)

struct race {
	struct flowtable *ft;
	int stop;
	uint64_t misses, lookups;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	struct tuple keys[32];
	struct flow *out[32];
	enum ft_dir dirs[32];
	uint64_t misses = 0, lookups = 0;
	uint32_t i, j;

	for (j = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); j++) {
		for (i = 0; i < 32; i++) {
			keys[i] = key((j * 32 + i) % STABLE, 5);
			if (i & 1)
				keys[i] = reversed(&keys[i]);
		}
		read_lock();
		if (j & 1) {
			ft_lookup_many(r->ft, keys, 32, out, dirs);
		} else {
			for (i = 0; i < 32; i++)
				out[i] = ft_lookup(r->ft, &keys[i], &dirs[i]);
		}
		for (i = 0; i < 32; i++)
			if (!out[i] || dirs[i] != (i & 1 ? FT_REPLY : FT_ORIG))
				misses++;
		read_unlock();
		lookups += 32;
	}
	__atomic_add_fetch(&r->misses, misses, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->lookups, lookups, __ATOMIC_RELAXED);
	return NULL;
}

START_TEST(test_readers_during_resize)
{
	struct race r = { .ft = table(0) };
	pthread_t th[2];
	struct ft_stats st;
	uint32_t i, round;

	for (i = 0; i < STABLE; i++) {
		struct tuple t = key(i, 5);

		add(r.ft, &t, NULL, false);
	}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, &r);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 40000 / SCALE; i++) {
			struct tuple t = key(i, 6);

			add(r.ft, &t, NULL, false);
			if (i % 1000 == 0)
				ft_reclaim(r.ft);
		}
		for (i = 0; i < 40000 / SCALE; i++) {
			struct tuple t = key(i, 6);

			del(r.ft, &t);
			if (i % 1000 == 0) {
				ft_maintain(r.ft, 64);
				ft_reclaim(r.ft);
			}
		}
	}
	maintain(r.ft);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ft_get_stats(r.ft, &st);
	ck_assert_uint_ge(st.grows, 3);
	ck_assert_uint_ge(st.shrinks, 3);
	ck_assert_uint_gt(r.lookups, 0);
	ck_assert_uint_eq(r.misses, 0);
	ck_assert_uint_eq(st.flows, STABLE);
	ft_free(r.ft);
}
END_TEST

/* --- caps ---------------------------------------------------------------- */

START_TEST(test_cap_drop)
{
	struct flowtable *ft = table(0);
	struct ft_zone_stats zs;
	struct tuple t;
	uint32_t i;

	ft_set_zone_cap(ft, 4, 100, FT_FULL_DROP);
	for (i = 0; i < 100; i++) {
		t = key(i, 4);
		ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	}
	t = key(100, 4);
	errno = 0;
	ck_assert_ptr_null(add(ft, &t, NULL, true));
	ck_assert_int_eq(errno, ENOSPC);
	/* other zones are not affected; events are always mirrored */
	t = key(100, 8);
	ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	t = key(101, 4);
	ck_assert_ptr_nonnull(add(ft, &t, NULL, false));
	ck_assert_uint_eq(ft_zone_stats(ft, &zs, 1), 1);
	ck_assert_uint_eq(zs.zone, 4);
	ck_assert_uint_eq(zs.flows, 101);
	ck_assert_uint_eq(zs.dropped, 1);
	ck_assert_uint_eq(zs.max_flows, 100);
	ft_free(ft);
}
END_TEST

START_TEST(test_cap_evict_oldest_unreplied)
{
	struct flowtable *ft = table(0);
	struct ft_victim v[4];
	struct ft_zone_stats zs;
	struct tuple t, first = key(0, 4), second = key(1, 4);
	struct flow *f;
	uint32_t i;

	ft_set_zone_cap(ft, 4, 100, FT_FULL_EVICT);
	for (i = 0; i < 100; i++) {
		t = key(i, 4);
		f = add(ft, &t, NULL, true);
		f->ct_id = 1000 + i;
	}
	/* the oldest has seen a reply: the second oldest goes */
	ft_lock(ft);
	f = ft_find_locked(ft, &first, NULL);
	ft_set_flags_locked(ft, f, f->flags | FLOW_SEEN_REPLY | FLOW_CONFIRMED);
	ft_unlock(ft);
	t = key(100, 4);
	ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	ck_assert_ptr_nonnull(lookup(ft, &first, NULL));
	ck_assert_ptr_null(lookup(ft, &second, NULL));
	ck_assert_uint_eq(ft_take_victims(ft, v, 4), 1);
	ck_assert_uint_eq(v[0].ct_id, 1001);
	ck_assert(memcmp(&v[0].orig, &second, sizeof(second)) == 0);
	ck_assert_uint_eq(ft_take_victims(ft, v, 4), 0);
	ft_zone_stats(ft, &zs, 1);
	ck_assert_uint_eq(zs.flows, 100);
	ck_assert_uint_eq(zs.evicted, 1);
	ck_assert_uint_eq(zs.unreplied, 99);
	ft_free(ft);
}
END_TEST

START_TEST(test_global_cap)
{
	struct flowtable *ft = table(0);
	struct tuple t;
	uint32_t i;

	ft_set_max_flows(ft, 10);
	for (i = 0; i < 10; i++) {
		t = key(i, (uint16_t)i);
		ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	}
	t = key(10, 11);
	ck_assert_ptr_null(add(ft, &t, NULL, true));
	/* a zone that evicts makes room from its own flows */
	ft_set_zone_cap(ft, 3, 0, FT_FULL_EVICT);
	t = key(11, 3);
	ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	t = key(3, 3);
	ck_assert_ptr_null(lookup(ft, &t, NULL));
	ft_free(ft);
}
END_TEST

/* --- resync and expiry -------------------------------------------------- */

START_TEST(test_sweep_round)
{
	struct flowtable *ft = table(0);
	struct tuple t;
	struct flow *f;
	uint8_t round;
	uint32_t i;

	for (i = 0; i < 1000; i++) {
		t = key(i, 0);
		f = add(ft, &t, NULL, false);
		/* every tenth stays pending (no ct id yet) */
		if (i % 10)
			f->flags |= FLOW_CONFIRMED;
	}
	round = ft_mark_round(ft);
	for (i = 0; i < 1000; i += 2) {
		t = key(i, 0);
		ft_lock(ft);
		flow_seen(ft_find_locked(ft, &t, NULL), round);
		ft_unlock(ft);
	}
	/* unseen and confirmed: every odd i (pending ones are multiples
	 * of ten, all seen) */
	ck_assert_uint_eq(ft_sweep(ft), 500);
	for (i = 0; i < 1000; i++) {
		t = key(i, 0);
		ck_assert((lookup(ft, &t, NULL) != NULL) == (i % 2 == 0));
	}
	ft_free(ft);
}
END_TEST

START_TEST(test_expire_pending)
{
	struct flowtable *ft = table(0);
	struct tuple a = key(1, 0), b = key(2, 0), c = key(3, 0);
	struct flow *f;

	ft_set_clock(ft, 65530);
	add(ft, &a, NULL, false);
	f = add(ft, &b, NULL, false);
	f->flags |= FLOW_CONFIRMED;
	ft_set_clock(ft, 65540);	/* the 16-bit age wraps */
	add(ft, &c, NULL, false);
	ck_assert_uint_eq(ft_expire_pending(ft, 30), 0);
	ft_set_clock(ft, 65560);
	ck_assert_uint_eq(ft_expire_pending(ft, 30), 1);
	ck_assert_ptr_null(lookup(ft, &a, NULL));
	ck_assert_ptr_nonnull(lookup(ft, &b, NULL));
	ck_assert_ptr_nonnull(lookup(ft, &c, NULL));
	ft_free(ft);
}
END_TEST

static bool count_flow(struct flow *f, void *arg)
{
	uint8_t *seen = arg;

	seen[ntohl(f->orig.src.v4.s_addr) & 0xffff]++;
	return true;
}

START_TEST(test_walk_each_once)
{
	struct flowtable *ft = table(0);
	static uint8_t seen[65536];
	struct tuple t;
	uint32_t i;

	for (i = 0; i < 30000; i++) {
		t = key(i << 8, 0);
		add(ft, &t, NULL, false);
	}
	/* mid-resize: the walk finishes it and sees each flow once */
	ft_walk(ft, count_flow, seen);
	for (i = 0; i < 30000; i++)
		ck_assert_uint_eq(seen[i], 1);
	ft_free(ft);
}
END_TEST

/* --- crafted tuples ------------------------------------------------------- */

START_TEST(test_flood_chains_short)
{
	struct flowtable *ft = table(0);
	struct ft_stats st;
	struct tuple t;
	uint32_t i;

	/* same addresses, ports in arithmetic progression */
	for (i = 0; i < 100000 / SCALE; i++) {
		t = key(0, 0);
		t.sport = (uint16_t)(i * 7);
		t.dport = (uint16_t)(i / 9363 * 1000);
		ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	}
	/* addresses across a /8, one port */
	for (i = 0; i < 100000 / SCALE; i++) {
		t = key(0, 0);
		t.src.v4.s_addr = htonl(0x0b000000u | i * 131);
		ck_assert_ptr_nonnull(add(ft, &t, NULL, true));
	}
	maintain(ft);
	ft_get_stats(ft, &st);
	read_lock();
	ft_chain_stats(ft, &st);
	read_unlock();
	ck_assert_uint_eq(st.flows, 200000 / SCALE);
	ck_assert_uint_le(st.longest_chain, 8);
	ck_assert_uint_eq(st.chain_too_long, 0);
	ft_free(ft);
}
END_TEST

static Suite *flowtable_suite(void)
{
	Suite *s = suite_create("flowtable");
	TCase *tc;

	tc = tcase_create("hash");
	tcase_add_test(tc, test_siphash13_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_both_directions);
	tcase_add_test(tc, test_nat_reply);
	tcase_add_test(tc, test_stale_replaced);
	tcase_add_test(tc, test_grow_and_shrink);
	tcase_add_test(tc, test_lookup_many);
	tcase_add_test(tc, test_readers_during_resize);
	tcase_add_test(tc, test_walk_each_once);
	tcase_add_test(tc, test_flood_chains_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("caps");
	tcase_add_test(tc, test_cap_drop);
	tcase_add_test(tc, test_cap_evict_oldest_unreplied);
	tcase_add_test(tc, test_global_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("resync");
	tcase_add_test(tc, test_sweep_round);
	tcase_add_test(tc, test_expire_pending);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flowtable_suite());
	int failed;

	rcu_test_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

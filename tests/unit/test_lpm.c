// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for lib/lpm.c: random prefixes of every length, IPv4 and
 * IPv6, against a naive reference (a linear scan of all prefixes) at
 * random addresses and at the edges of every prefix, through adds,
 * replaces and deletes and in every load order; deletes restoring the
 * covering route; two prefixes merged into one leaf and split again;
 * the default route, beside the tables and moved into them; host
 * routes; values too wide for a leaf; walks returning exactly the
 * prefixes; memory coming back after a grace period; and readers
 * running against a writer that adds, replaces and deletes (this binary
 * is also built with -fsanitize=thread as test_lpm_tsan), which must
 * never see an address answered by a prefix that was never there or
 * does not contain it, nor lose the default route while it moves.
 *
 * The grace period is a reader-writer lock, as in test_flowtable.c: a
 * correct, slow RCU that ThreadSanitizer can follow.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lpm.h"
#include "rcu_test.h"

/*
 * The ThreadSanitizer build runs ten times slower: smaller sizes, and no
 * random IPv4 prefixes shorter than /12 (each writes 2^(24 - len) root
 * entries; the named tests still have /0 and /8).
 */
#ifndef SCALE
#define SCALE 1
#endif
#define V4_MIN_RANDOM_LEN (SCALE > 1 ? 12 : 0)

static unsigned int grace_periods;

static void synchronize(void)
{
	rcu_test_synchronize();
	grace_periods++;
}

/* xorshift64*: reproducible; one state per thread */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}


static struct lpm *lpm(int family)
{
	struct lpm_params p = { .family = family, .synchronize = synchronize };
	struct lpm *l = lpm_new(&p);

	ck_assert_ptr_nonnull(l);
	return l;
}

static unsigned int max_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

static union fc_addr a4(uint32_t x)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	a.v4.s_addr = htonl(x);
	return a;
}

static union fc_addr addr(int family, const char *s)
{
	union fc_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, s, &a), 1);
	return a;
}

/* The first len bits of a, the rest zero. */
static union fc_addr masked(const union fc_addr *a, unsigned int len)
{
	union fc_addr m = *a;
	unsigned int i;

	for (i = len / 8; i < 16; i++)
		m.b[i] &= i == len / 8 ? (uint8_t)(0xff00u >> (len % 8)) : 0;
	return m;
}

static bool covers(const union fc_addr *p, unsigned int len,
		   const union fc_addr *a)
{
	union fc_addr m = masked(a, len);

	return !memcmp(m.b, p->b, 16);
}

/* --- the reference: every prefix in an array, scanned ------------------ */

struct route {
	union fc_addr p;
	uint8_t len;
	uint32_t nh;
	bool live;
};

struct ref {
	int family;
	struct route *r;
	size_t n;
};

static uint32_t ref_lookup(const struct ref *ref, const union fc_addr *a,
			   uint8_t *len)
{
	uint32_t nh = 0;
	int best = -1;
	size_t i;

	for (i = 0; i < ref->n; i++) {
		const struct route *r = &ref->r[i];

		if (r->live && (int)r->len > best && covers(&r->p, r->len, a)) {
			best = r->len;
			nh = r->nh;
		}
	}
	*len = best < 0 ? 0 : (uint8_t)best;
	return nh;
}

/* A random value: mostly small, some too wide for a leaf. */
static uint32_t rnd_nh(void)
{
	switch (rnd64() % 8) {
	case 0:
		return 0x80000000u | (uint32_t)(rnd64() % 4);
	case 1:
		/* both sides of the widest value a leaf holds */
		return (1u << 23) - 2 + (uint32_t)(rnd64() % 4);
	default:
		return 1 + (uint32_t)(rnd64() % 5000);
	}
}

/*
 * Random prefixes that nest: each starts from one of a few base
 * addresses with some bits flipped, so short and long prefixes overlap
 * as in a real table. Lengths are uniform over 0..max, duplicates
 * dropped.
 */
static void ref_fill(struct ref *ref, int family, size_t n)
{
	union fc_addr bases[8], a;
	unsigned int bits = max_len(family), i, len;
	size_t k, j;

	ref->family = family;
	ref->r = calloc(n, sizeof(*ref->r));
	ref->n = 0;
	for (i = 0; i < 8; i++)
		for (j = 0; j < 16; j++)
			bases[i].b[j] = j < bits / 8 ? (uint8_t)rnd64() : 0;
	for (k = 0; k < n; k++) {
		a = bases[rnd64() % 8];
		for (i = 0; i < 3; i++) {
			unsigned int bit = (unsigned int)(rnd64() % bits);

			a.b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		}
		len = (unsigned int)(rnd64() % (bits + 1));
		if (family == AF_INET && (int)len < V4_MIN_RANDOM_LEN)
			len = bits - len;
		a = masked(&a, len);
		for (j = 0; j < ref->n; j++)
			if (ref->r[j].len == len &&
			    !memcmp(ref->r[j].p.b, a.b, 16))
				break;
		if (j < ref->n)
			continue;
		ref->r[ref->n++] = (struct route){
			.p = a, .len = (uint8_t)len, .nh = rnd_nh(),
		};
	}
}

static void ref_add(struct lpm *l, struct route *r)
{
	ck_assert_int_eq(lpm_add(l, &r->p, r->len, r->nh), 0);
	r->live = true;
}

static void ref_del(struct lpm *l, struct route *r)
{
	ck_assert_int_eq(lpm_del(l, &r->p, r->len), 0);
	r->live = false;
}

/* Prefix i's first and last address and their neighbours, or random. */
static union fc_addr probe(const struct ref *ref, size_t i, unsigned int kind)
{
	const struct route *r = &ref->r[i % ref->n];
	unsigned int bits = max_len(ref->family), j;
	union fc_addr a = r->p;
	int carry;

	if (kind >= 2) {
		/* random host bits inside the prefix */
		for (j = r->len; j < bits; j++)
			if (rnd64() & 1)
				a.b[j / 8] |= (uint8_t)(0x80u >> (j % 8));
		return a;
	}
	for (j = r->len; j < bits; j++)	/* the last address */
		a.b[j / 8] |= (uint8_t)(0x80u >> (j % 8));
	if (kind == 0) {
		/* the one after the last (wraps at the top) */
		for (j = bits / 8, carry = 1; j-- > 0 && carry;) {
			a.b[j]++;
			carry = a.b[j] == 0;
		}
	} else {
		/* the one before the first */
		a = r->p;
		for (j = bits / 8, carry = 1; j-- > 0 && carry;) {
			carry = a.b[j] == 0;
			a.b[j]--;
		}
	}
	return a;
}

/* Every kind of probe of every prefix, plus random addresses. */
static void check_all(struct lpm *l, const struct ref *ref)
{
	union fc_addr batch[64];
	uint32_t want[64], got[64], nh;
	size_t i, n = 0, k;
	uint8_t len, wlen;
	unsigned int kind, j;

	for (i = 0; i < ref->n * 4 + 2000; i++) {
		union fc_addr a;

		kind = (unsigned int)(i % 4);
		if (i >= ref->n * 4) {
			memset(&a, 0, sizeof(a));
			for (j = 0; j < max_len(ref->family) / 8; j++)
				a.b[j] = (uint8_t)rnd64();
		} else {
			a = probe(ref, i / 4, kind);
		}
		want[n] = ref_lookup(ref, &a, &wlen);
		read_lock();
		nh = lpm_lookup(l, &a, &len);
		read_unlock();
		ck_assert_msg(nh == want[n] && len == wlen,
			      "probe %zu: got %u/%u, want %u/%u", i, nh, len,
			      want[n], wlen);
		batch[n++] = a;
		if (n == 64 || i + 1 == ref->n * 4 + 2000) {
			read_lock();
			lpm_lookup_many(l, batch, n, got);
			read_unlock();
			for (k = 0; k < n; k++)
				ck_assert_uint_eq(got[k], want[k]);
			n = 0;
		}
	}
}

static size_t live_count(const struct ref *ref)
{
	size_t i, n = 0;

	for (i = 0; i < ref->n; i++)
		n += ref->r[i].live;
	return n;
}

/* Add all, check; delete half, check; replace some, check; re-add. */
static void random_vs_naive(int family, size_t n)
{
	struct lpm *l = lpm(family);
	struct ref ref;
	size_t i;

	ref_fill(&ref, family, n);
	for (i = 0; i < ref.n; i++)
		ref_add(l, &ref.r[i]);
	ck_assert_uint_eq(lpm_count(l), ref.n);
	check_all(l, &ref);

	for (i = 0; i < ref.n; i++)
		if (rnd64() & 1)
			ref_del(l, &ref.r[i]);
	ck_assert_uint_eq(lpm_count(l), live_count(&ref));
	lpm_reclaim(l);
	check_all(l, &ref);

	for (i = 0; i < ref.n; i++) {
		if (ref.r[i].live && rnd64() % 3 == 0) {
			ref.r[i].nh = rnd_nh();
			ref_add(l, &ref.r[i]);
		}
	}
	ck_assert_uint_eq(lpm_count(l), live_count(&ref));
	check_all(l, &ref);

	for (i = 0; i < ref.n; i++)
		if (!ref.r[i].live)
			ref_add(l, &ref.r[i]);
	lpm_reclaim(l);
	check_all(l, &ref);
	lpm_free(l);
	free(ref.r);
}

START_TEST(test_v4_random_vs_naive)
{
	random_vs_naive(AF_INET, 3000 / SCALE);
}
END_TEST

START_TEST(test_v6_random_vs_naive)
{
	random_vs_naive(AF_INET6, 3000 / SCALE);
}
END_TEST

static int by_len_then_addr(const void *x, const void *y)
{
	const struct route *a = x, *b = y;

	if (a->len != b->len)
		return a->len - b->len;
	return memcmp(a->p.b, b->p.b, 16);
}

/*
 * Loaded shortest first, longest first or at random, the same prefixes
 * give the same answers: the add path must not depend on what is there.
 */
START_TEST(test_load_order)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct lpm *l;
	struct ref ref;
	unsigned int f, order;
	size_t i;

	for (f = 0; f < 2; f++) {
		ref_fill(&ref, fams[f], 2000 / SCALE);
		qsort(ref.r, ref.n, sizeof(*ref.r), by_len_then_addr);
		for (order = 0; order < 3; order++) {
			l = lpm(fams[f]);
			for (i = 0; i < ref.n; i++) {
				size_t j = order == 0 ? i :
					   order == 1 ? ref.n - 1 - i :
					   (i * 7919) % ref.n;

				ref_add(l, &ref.r[j]);
			}
			check_all(l, &ref);
			lpm_free(l);
		}
		free(ref.r);
	}
}
END_TEST

static uint32_t lookup(struct lpm *l, const union fc_addr *a, uint8_t *len)
{
	uint32_t nh;

	read_lock();
	nh = lpm_lookup(l, a, len);
	read_unlock();
	return nh;
}

static uint32_t lookup4(struct lpm *l, const char *s, uint8_t *len)
{
	union fc_addr a = addr(AF_INET, s);

	return lookup(l, &a, len);
}

static void add4(struct lpm *l, const char *s, uint8_t len, uint32_t nh)
{
	union fc_addr a = addr(AF_INET, s);

	ck_assert_int_eq(lpm_add(l, &a, len, nh), 0);
}

static void del4(struct lpm *l, const char *s, uint8_t len)
{
	union fc_addr a = addr(AF_INET, s);

	ck_assert_int_eq(lpm_del(l, &a, len), 0);
}

START_TEST(test_covering_restored)
{
	struct lpm *l = lpm(AF_INET);
	uint8_t len;

	add4(l, "10.0.0.0", 8, 8);
	add4(l, "10.1.0.0", 16, 16);
	add4(l, "10.1.2.0", 24, 24);
	add4(l, "10.1.2.128", 25, 25);
	add4(l, "10.1.2.200", 32, 32);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 32);
	ck_assert_uint_eq(len, 32);
	ck_assert_uint_eq(lookup4(l, "10.1.2.201", &len), 25);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 24);
	ck_assert_uint_eq(lookup4(l, "10.1.3.1", &len), 16);
	ck_assert_uint_eq(lookup4(l, "10.2.0.0", &len), 8);
	ck_assert_uint_eq(lookup4(l, "11.0.0.0", &len), 0);
	ck_assert_uint_eq(len, 0);

	/* the middle goes: its addresses fall to the next covering one */
	del4(l, "10.1.2.128", 25);
	ck_assert_uint_eq(lookup4(l, "10.1.2.201", &len), 24);
	ck_assert_uint_eq(len, 24);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 32);
	del4(l, "10.1.0.0", 16);
	ck_assert_uint_eq(lookup4(l, "10.1.3.1", &len), 8);
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 24);
	del4(l, "10.1.2.0", 24);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 8);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 32);
	/* the covering one goes while a more-specific stays */
	del4(l, "10.0.0.0", 8);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 0);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 32);
	del4(l, "10.1.2.200", 32);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 0);
	ck_assert_uint_eq(lpm_count(l), 0);
	ck_assert_int_eq(lpm_del(l, &(union fc_addr){ 0 }, 8), -ENOENT);

	/* re-added in the other order */
	add4(l, "10.1.2.200", 32, 32);
	add4(l, "10.1.2.128", 25, 25);
	add4(l, "10.0.0.0", 8, 8);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 32);
	ck_assert_uint_eq(lookup4(l, "10.1.2.129", &len), 25);
	ck_assert_uint_eq(lookup4(l, "10.1.2.127", &len), 8);
	lpm_free(l);
}
END_TEST

/*
 * Two /25s with the same value make their group all one leaf, which
 * replaces it; deleting or changing one of them must split it again.
 */
START_TEST(test_merged_leaf_split)
{
	struct lpm *l = lpm(AF_INET);
	uint8_t len;

	add4(l, "10.0.0.0", 24, 1);
	add4(l, "10.0.0.0", 25, 7);
	add4(l, "10.0.0.128", 25, 7);
	ck_assert_uint_eq(lookup4(l, "10.0.0.1", &len), 7);
	ck_assert_uint_eq(len, 25);
	add4(l, "10.0.0.128", 25, 9);
	ck_assert_uint_eq(lookup4(l, "10.0.0.1", &len), 7);
	ck_assert_uint_eq(lookup4(l, "10.0.0.129", &len), 9);
	add4(l, "10.0.0.128", 25, 7);
	del4(l, "10.0.0.0", 25);
	ck_assert_uint_eq(lookup4(l, "10.0.0.1", &len), 1);
	ck_assert_uint_eq(len, 24);
	ck_assert_uint_eq(lookup4(l, "10.0.0.129", &len), 7);
	ck_assert_uint_eq(len, 25);
	lpm_free(l);
}
END_TEST

START_TEST(test_default_route)
{
	struct lpm *l = lpm(AF_INET);
	struct lpm *l6 = lpm(AF_INET6);
	union fc_addr any = { 0 }, x6 = addr(AF_INET6, "2001:db8::1");
	uint8_t len = 99;

	ck_assert_uint_eq(lookup4(l, "1.2.3.4", &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(lpm_add(l, &any, 0, 5), 0);
	ck_assert_uint_eq(lookup4(l, "1.2.3.4", &len), 5);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(lookup4(l, "255.255.255.255", &len), 5);
	add4(l, "1.2.3.0", 24, 6);
	ck_assert_uint_eq(lookup4(l, "1.2.3.4", &len), 6);
	ck_assert_uint_eq(lookup4(l, "1.2.4.4", &len), 5);
	/* host bits of a /0 are ignored */
	any = addr(AF_INET, "9.9.9.9");
	ck_assert_int_eq(lpm_add(l, &any, 0, 0x80000000u), 0);
	ck_assert_uint_eq(lookup4(l, "1.2.4.4", &len), 0x80000000u);
	ck_assert_uint_eq(lpm_count(l), 2);
	del4(l, "1.2.3.0", 24);
	ck_assert_uint_eq(lookup4(l, "1.2.3.4", &len), 0x80000000u);
	ck_assert_int_eq(lpm_del(l, &any, 0), 0);
	ck_assert_uint_eq(lookup4(l, "1.2.3.4", &len), 0);
	ck_assert_int_eq(lpm_del(l, &any, 0), -ENOENT);

	ck_assert_int_eq(lpm_add(l6, &x6, 0, 3), 0);
	ck_assert_uint_eq(lookup(l6, &x6, &len), 3);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(lpm_add(l6, &x6, 128, 4), 0);
	ck_assert_uint_eq(lookup(l6, &x6, &len), 4);
	ck_assert_uint_eq(len, 128);
	lpm_free(l);
	lpm_free(l6);
}
END_TEST

START_TEST(test_default_moves_in)
{
	union fc_addr any;
	struct lpm *l;
	uint8_t len;

	/*
	 * IPv4 keeps a default route beside its tables until routes touch
	 * half of the root; then it moves in. The answers must not change,
	 * before, across and after, and deletes must restore it. (Not
	 * under ThreadSanitizer: 50 million atomic stores; the readers'
	 * test moves a default route too.)
	 */
	if (SCALE > 1)
		return;
	l = lpm(AF_INET);
	any = addr(AF_INET, "0.0.0.0");
	ck_assert_int_eq(lpm_add(l, &any, 0, 5), 0);
	add4(l, "10.1.0.0", 16, 16);
	add4(l, "10.1.2.128", 25, 25);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 16);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 25);
	ck_assert_uint_eq(lookup4(l, "200.0.0.1", &len), 5);
	add4(l, "128.0.0.0", 1, 1);
	ck_assert_uint_eq(lookup4(l, "200.0.0.1", &len), 1);
	ck_assert_uint_eq(lookup4(l, "100.0.0.1", &len), 5);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 16);
	ck_assert_uint_eq(lookup4(l, "10.1.2.2", &len), 16);
	del4(l, "10.1.0.0", 16);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 5);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 25);
	del4(l, "128.0.0.0", 1);
	ck_assert_uint_eq(lookup4(l, "200.0.0.1", &len), 5);
	ck_assert_int_eq(lpm_add(l, &any, 0, 0x80000001u), 0);
	ck_assert_uint_eq(lookup4(l, "200.0.0.1", &len), 0x80000001u);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 0x80000001u);
	ck_assert_int_eq(lpm_del(l, &any, 0), 0);
	ck_assert_uint_eq(lookup4(l, "200.0.0.1", &len), 0);
	ck_assert_uint_eq(lookup4(l, "10.1.2.1", &len), 0);
	ck_assert_uint_eq(lookup4(l, "10.1.2.200", &len), 25);
	del4(l, "10.1.2.128", 25);
	ck_assert_uint_eq(lpm_count(l), 0);
	lpm_free(l);
}
END_TEST

START_TEST(test_host_routes)
{
	struct lpm *l = lpm(AF_INET);
	struct lpm *l6 = lpm(AF_INET6);
	union fc_addr a;
	uint32_t i;
	uint8_t len;

	/* 256 neighbouring /32s, every other one: one group, no leaks */
	for (i = 0; i < 256; i += 2) {
		a = a4(0xc0a80100u + i);
		ck_assert_int_eq(lpm_add(l, &a, 32, 1000 + i), 0);
	}
	for (i = 0; i < 256; i++) {
		a = a4(0xc0a80100u + i);
		ck_assert_uint_eq(lookup(l, &a, &len), i % 2 ? 0 : 1000 + i);
		ck_assert_uint_eq(len, i % 2 ? 0 : 32);
	}
	a = a4(0xffffffffu);
	ck_assert_int_eq(lpm_add(l, &a, 32, 1), 0);
	ck_assert_uint_eq(lookup(l, &a, &len), 1);
	a = a4(0xfffffffeu);
	ck_assert_uint_eq(lookup(l, &a, &len), 0);

	/* /128s at both ends of a /64 and at the top of the space */
	a = addr(AF_INET6, "2001:db8::");
	ck_assert_int_eq(lpm_add(l6, &a, 128, 1), 0);
	a = addr(AF_INET6, "2001:db8::ffff:ffff:ffff:ffff");
	ck_assert_int_eq(lpm_add(l6, &a, 128, 2), 0);
	a = addr(AF_INET6, "2001:db8::");
	ck_assert_int_eq(lpm_add(l6, &a, 64, 3), 0);
	a = addr(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(lpm_add(l6, &a, 128, 4), 0);
	ck_assert_uint_eq(lookup(l6, &a, &len), 4);
	ck_assert_uint_eq(len, 128);
	a = addr(AF_INET6, "2001:db8::");
	ck_assert_uint_eq(lookup(l6, &a, &len), 1);
	a = addr(AF_INET6, "2001:db8::1");
	ck_assert_uint_eq(lookup(l6, &a, &len), 3);
	ck_assert_uint_eq(len, 64);
	a = addr(AF_INET6, "2001:db8::ffff:ffff:ffff:ffff");
	ck_assert_uint_eq(lookup(l6, &a, &len), 2);
	a = addr(AF_INET6, "2001:db8::ffff:ffff:ffff:fffe");
	ck_assert_uint_eq(lookup(l6, &a, &len), 3);
	a = addr(AF_INET6, "2001:db8:0:1::");
	ck_assert_uint_eq(lookup(l6, &a, &len), 0);
	lpm_free(l);
	lpm_free(l6);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct lpm_params p = { .family = AF_UNIX, .synchronize = synchronize };
	struct lpm *l = lpm(AF_INET), *l6 = lpm(AF_INET6);
	union fc_addr a = addr(AF_INET, "10.0.0.0");

	ck_assert_ptr_null(lpm_new(&p));
	ck_assert_int_eq(lpm_add(l, &a, 33, 1), -EINVAL);
	ck_assert_int_eq(lpm_add(l, &a, 8, 0), -EINVAL);
	ck_assert_int_eq(lpm_del(l, &a, 33), -EINVAL);
	ck_assert_int_eq(lpm_del(l, &a, 8), -ENOENT);
	ck_assert_int_eq(lpm_add(l6, &a, 129, 1), -EINVAL);
	ck_assert_int_eq(lpm_add(l6, &a, 128, 1), 0);
	ck_assert_uint_eq(lpm_count(l), 0);
	ck_assert_uint_eq(lpm_count(l6), 1);
	lpm_free(l);
	lpm_free(l6);
	lpm_free(NULL);
}
END_TEST

/* A replace changes the value, not the count; bits past len are ignored. */
START_TEST(test_replace)
{
	struct lpm *l = lpm(AF_INET6);
	union fc_addr p = addr(AF_INET6, "2001:db8:1::"),
		      q = addr(AF_INET6, "2001:db8:1::ff"),
		      x = addr(AF_INET6, "2001:db8:1:2::3");
	uint8_t len;

	ck_assert_int_eq(lpm_add(l, &p, 48, 1), 0);
	ck_assert_int_eq(lpm_add(l, &q, 48, 2), 0);
	ck_assert_uint_eq(lpm_count(l), 1);
	ck_assert_uint_eq(lookup(l, &x, &len), 2);
	ck_assert_int_eq(lpm_add(l, &p, 48, 0xfffffff0u), 0);
	ck_assert_uint_eq(lookup(l, &x, &len), 0xfffffff0u);
	ck_assert_uint_eq(len, 48);
	ck_assert_int_eq(lpm_add(l, &p, 48, 0xfffffff0u), 0);
	ck_assert_int_eq(lpm_add(l, &p, 48, 3), 0);
	ck_assert_uint_eq(lookup(l, &x, &len), 3);
	ck_assert_uint_eq(lpm_count(l), 1);
	ck_assert_int_eq(lpm_del(l, &q, 48), 0);
	ck_assert_uint_eq(lookup(l, &x, &len), 0);
	lpm_free(l);
}
END_TEST

/* Values past a leaf's 22 bits: shared, released, reused. */
START_TEST(test_wide_values)
{
	struct lpm *l = lpm(AF_INET);
	union fc_addr a;
	uint32_t i;
	uint8_t len;

	for (i = 0; i < 3000; i++) {
		a = a4(0x0a000000u + (i << 8));
		ck_assert_int_eq(lpm_add(l, &a, 24, 0xff000000u + i % 1000), 0);
	}
	for (i = 0; i < 3000; i++) {
		a = a4(0x0a000000u + (i << 8) + 7);
		ck_assert_uint_eq(lookup(l, &a, &len), 0xff000000u + i % 1000);
	}
	for (i = 0; i < 3000; i += 2) {
		a = a4(0x0a000000u + (i << 8));
		ck_assert_int_eq(lpm_del(l, &a, 24), 0);
	}
	lpm_reclaim(l);
	for (i = 0; i < 3000; i += 2) {
		a = a4(0x0a000000u + (i << 8));
		ck_assert_int_eq(lpm_add(l, &a, 24, 0xfe000000u + i), 0);
	}
	for (i = 0; i < 3000; i++) {
		a = a4(0x0a000000u + (i << 8) + 200);
		ck_assert_uint_eq(lookup(l, &a, &len),
				  i % 2 ? 0xff000000u + i % 1000
					: 0xfe000000u + i);
	}
	lpm_free(l);
}
END_TEST

struct seen {
	const struct ref *ref;
	size_t n;
	bool ok;
};

static bool walk_one(const union fc_addr *p, uint8_t len, uint32_t nh,
		     void *arg)
{
	struct seen *s = arg;
	size_t i;

	for (i = 0; i < s->ref->n; i++) {
		const struct route *r = &s->ref->r[i];

		if (r->live && r->len == len && !memcmp(r->p.b, p->b, 16)) {
			s->ok &= r->nh == nh;
			s->n++;
			return true;
		}
	}
	s->ok = false;
	return true;
}

static bool walk_stop(const union fc_addr *p, uint8_t len, uint32_t nh,
		      void *arg)
{
	(void)p;
	(void)len;
	(void)nh;
	(*(size_t *)arg)++;
	return false;
}

START_TEST(test_walk_exact)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct lpm *l;
	struct ref ref;
	struct seen s;
	size_t i, calls = 0;
	unsigned int f;

	for (f = 0; f < 2; f++) {
		l = lpm(fams[f]);
		ref_fill(&ref, fams[f], 1500 / SCALE);
		for (i = 0; i < ref.n; i++)
			ref_add(l, &ref.r[i]);
		for (i = 0; i < ref.n; i += 3)
			ref_del(l, &ref.r[i]);
		s = (struct seen){ .ref = &ref, .ok = true };
		lpm_walk(l, walk_one, &s);
		ck_assert(s.ok);
		/* each live prefix once, and nothing else */
		ck_assert_uint_eq(s.n, live_count(&ref));
		ck_assert_uint_eq(lpm_count(l), live_count(&ref));
		lpm_walk(l, walk_stop, &calls);
		ck_assert_uint_eq(calls, f + 1);
		lpm_free(l);
		free(ref.r);
	}
}
END_TEST

/*
 * Long prefixes take groups; once they are gone and a grace period has
 * passed, the groups, their chunks and the prefix store's tables come
 * back: what is left is the first chunk and the root pages written.
 */
START_TEST(test_memory_reclaimed)
{
	struct lpm *l = lpm(AF_INET6);
	size_t before = lpm_memory(l), full, after;
	struct route *r = calloc(4000, sizeof(*r));
	unsigned int periods, round;
	uint32_t i, j;

	for (i = 0; i < 4000; i++) {
		for (j = 0; j < 16; j++)
			r[i].p.b[j] = (uint8_t)rnd64();
		r[i].p.b[0] = 0x20;
		r[i].len = (uint8_t)(64 + i % 65);
		r[i].p = masked(&r[i].p, r[i].len);
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 4000; i++)
			ck_assert_int_eq(lpm_add(l, &r[i].p, r[i].len, 1 + i),
					 0);
		if (!round)
			full = lpm_memory(l);
		/* the second time, from groups reclaimed */
		ck_assert_uint_le(lpm_memory(l), full);
		ck_assert_uint_gt(lpm_memory(l), before + (20u << 20));
		for (i = 0; i < 4000; i++)
			ck_assert_int_eq(lpm_del(l, &r[i].p, r[i].len), 0);
		ck_assert_uint_eq(lpm_count(l), 0);
		periods = grace_periods;
		lpm_reclaim(l);
		ck_assert_uint_eq(grace_periods, periods + 1);
		/* nothing retired since: no grace period */
		lpm_reclaim(l);
		ck_assert_uint_eq(grace_periods, periods + 1);
		after = lpm_memory(l);
		ck_assert_uint_le(after, before + (2u << 20) + (320u << 10));
	}
	lpm_free(l);
	free(r);
}
END_TEST

/* --- readers against a writer -------------------------------------------- */

#define CANDIDATES 400

/*
 * Candidate i has two values, 100 + 2i and 101 + 2i (with bit 30 set
 * for every fourth, which takes the value table's path), so a reader
 * can tell from a value alone which prefix answered. The covering
 * prefix of all of them, value 1, is never removed.
 *
 * Outside the cover, a default route (value 2) is there throughout, and
 * half-way the writer adds a half of the space (value 3, "half"): in
 * IPv4 that moves the default route from beside the tables into them
 * (see make_dense() in lpm.c). Addresses outside both must answer 2 at
 * every moment; inside the half, 2 or 3; never 0.
 */
#define DEFAULT_NH	2
#define HALF_NH		3

struct race {
	int family;
	struct lpm *l;
	struct route cand[CANDIDATES];
	union fc_addr cover, half, outside, in_half;
	uint8_t cover_len;
	int stop;
	uint64_t lookups, bad;
};

/* The default route and the half: the only answers outside the cover. */
static unsigned int outside_bad(const struct race *r)
{
	unsigned int bad = 0;
	uint32_t nh;
	uint8_t len;

	nh = lpm_lookup(r->l, &r->outside, &len);
	bad += nh != DEFAULT_NH || len != 0;
	nh = lpm_lookup(r->l, &r->in_half, &len);
	bad += !(nh == DEFAULT_NH && len == 0) && !(nh == HALF_NH && len == 1);
	return bad;
}

static uint32_t cand_nh(uint32_t i, uint32_t which)
{
	return (i % 4 ? 0 : 1u << 30) | (100 + 2 * i + which);
}

static long cand_of(uint32_t nh)
{
	nh &= ~(1u << 30);
	if (nh < 100 || nh >= 100 + 2 * CANDIDATES)
		return -1;
	return (long)(nh - 100) / 2;
}

static bool answer_ok(const struct race *r, const union fc_addr *a,
		      uint32_t nh, uint8_t len)
{
	long i;

	if (nh == 1)
		return len == r->cover_len;
	i = cand_of(nh);
	return i >= 0 && len == r->cand[i].len &&
	       covers(&r->cand[i].p, len, a);
}

static void *reader(void *arg)
{
	struct race *r = arg;
	uint64_t s = (uint64_t)(uintptr_t)&s | 1, lookups = 0, bad = 0;
	union fc_addr a[16];
	uint32_t nh[16];
	unsigned int i, k, bits = max_len(r->family);
	uint8_t len;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 16; i++) {
			const struct route *c;

			do
				c = &r->cand[rnd_next(&s) % CANDIDATES];
			while (!c->len);	/* unused */
			a[i] = c->p;
			for (k = c->len; k < bits; k++)
				if (rnd_next(&s) & 1)
					a[i].b[k / 8] |=
						(uint8_t)(0x80u >> (k % 8));
		}
		read_lock();
		for (i = 0; i < 16; i++) {
			nh[i] = lpm_lookup(r->l, &a[i], &len);
			bad += !answer_ok(r, &a[i], nh[i], len);
		}
		bad += outside_bad(r);
		lpm_lookup_many(r->l, a, 16, nh);
		for (i = 0; i < 16; i++) {
			long c = cand_of(nh[i]);

			/* no length from lpm_lookup_many(): check the
			 * prefix it names contains the address */
			bad += nh[i] != 1 &&
			       (c < 0 || !covers(&r->cand[c].p,
						 r->cand[c].len, &a[i]));
		}
		read_unlock();
		lookups += 32;
	}
	__atomic_add_fetch(&r->lookups, lookups, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void race(int family)
{
	struct race *r = calloc(1, sizeof(*r));
	unsigned int bits = max_len(family), i, k, which[CANDIDATES] = { 0 };
	bool live[CANDIDATES] = { false };
	pthread_t th[2];
	uint32_t op;

	r->family = family;
	r->l = lpm(family);
	r->cover = family == AF_INET ? addr(family, "10.0.0.0")
				     : addr(family, "2001:db8::");
	r->cover_len = family == AF_INET ? 8 : 32;
	/* nested candidates of all lengths under the cover */
	for (i = 0; i < CANDIDATES; i++) {
		union fc_addr p = r->cover;
		unsigned int len = r->cover_len + 1 +
				   (unsigned int)(rnd64() % (bits - r->cover_len));

		for (k = r->cover_len; k < len; k++)
			if (rnd64() % 4 == 0)
				p.b[k / 8] |= (uint8_t)(0x80u >> (k % 8));
		for (k = 0; k < i; k++)
			if (r->cand[k].len == len &&
			    !memcmp(r->cand[k].p.b, p.b, 16))
				break;
		if (k < i)
			len = bits;	/* a duplicate: make it a host route */
		r->cand[i].p = masked(&p, len);
		r->cand[i].len = (uint8_t)len;
		for (k = 0; k < i; k++)
			if (r->cand[k].len == len &&
			    !memcmp(r->cand[k].p.b, r->cand[i].p.b, 16))
				r->cand[i].len = 0;	/* still one: unused */
	}
	ck_assert_int_eq(lpm_add(r->l, &r->cover, r->cover_len, 1), 0);
	/* the cover is in the lower half; the default everywhere */
	r->half = addr(family, family == AF_INET ? "128.0.0.0" : "8000::");
	r->in_half = addr(family, family == AF_INET ? "200.1.2.3" : "c000::1");
	r->outside = addr(family, family == AF_INET ? "64.1.2.3" : "3000::1");
	ck_assert_int_eq(lpm_add(r->l, &(union fc_addr){ 0 }, 0, DEFAULT_NH),
			 0);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, r);
	for (op = 0; op < 30000 / SCALE; op++) {
		if (op == 15000 / SCALE)
			ck_assert_int_eq(lpm_add(r->l, &r->half, 1, HALF_NH),
					 0);
		i = (uint32_t)(rnd64() % CANDIDATES);
		if (!r->cand[i].len)
			continue;
		if (!live[i]) {
			ck_assert_int_eq(lpm_add(r->l, &r->cand[i].p,
						 r->cand[i].len,
						 cand_nh(i, which[i])), 0);
			live[i] = true;
		} else if (rnd64() & 1) {
			which[i] ^= 1;
			ck_assert_int_eq(lpm_add(r->l, &r->cand[i].p,
						 r->cand[i].len,
						 cand_nh(i, which[i])), 0);
		} else {
			ck_assert_int_eq(lpm_del(r->l, &r->cand[i].p,
						 r->cand[i].len), 0);
			live[i] = false;
		}
		if (op % 64 == 0)
			lpm_reclaim(r->l);
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_gt(r->lookups, 0);
	ck_assert_uint_eq(r->bad, 0);
	lpm_free(r->l);
	free(r);
}

START_TEST(test_readers_vs_writer_v4)
{
	race(AF_INET);
}
END_TEST

START_TEST(test_readers_vs_writer_v6)
{
	race(AF_INET6);
}
END_TEST

static Suite *lpm_suite(void)
{
	Suite *s = suite_create("lpm");
	TCase *tc;

	tc = tcase_create("answers");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_v4_random_vs_naive);
	tcase_add_test(tc, test_v6_random_vs_naive);
	tcase_add_test(tc, test_load_order);
	tcase_add_test(tc, test_covering_restored);
	tcase_add_test(tc, test_merged_leaf_split);
	tcase_add_test(tc, test_default_route);
	tcase_add_test(tc, test_default_moves_in);
	tcase_add_test(tc, test_host_routes);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_wide_values);
	tcase_add_test(tc, test_walk_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_test(tc, test_memory_reclaimed);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_readers_vs_writer_v4);
	tcase_add_test(tc, test_readers_vs_writer_v6);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lpm_suite());
	int failed;

	rcu_test_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the unit tests of lock-free readers (flow table, LPM, Bloom
 * cache): a grace period that ThreadSanitizer can follow, and
 * reproducible randomness.
 *
 * The grace period is a reader-writer lock, a correct if slow RCU: a
 * reader holds it shared for its read-side section, synchronize() takes
 * it exclusive once. It prefers writers (rcu_test_init()): with readers
 * preferred, readers taking it back to back keep synchronize() waiting
 * for seconds when the machine has one free CPU.
 */
#ifndef FC_RCU_TEST_H
#define FC_RCU_TEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

static pthread_rwlock_t rcu_test_lock = PTHREAD_RWLOCK_INITIALIZER;

static inline void rcu_test_init(void)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&rcu_test_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

static inline void read_lock(void)
{
	pthread_rwlock_rdlock(&rcu_test_lock);
}

static inline void read_unlock(void)
{
	pthread_rwlock_unlock(&rcu_test_lock);
}

static inline void rcu_test_synchronize(void)
{
	pthread_rwlock_wrlock(&rcu_test_lock);
	pthread_rwlock_unlock(&rcu_test_lock);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: test randomness, reproducible */
static inline uint64_t rnd64(void)
{
	uint64_t x = __atomic_load_n(&rng_state, __ATOMIC_RELAXED);

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	__atomic_store_n(&rng_state, x, __ATOMIC_RELAXED);
	return x * 0x2545f4914f6cdd1dull;
}

static inline void test_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = (uint8_t)rnd64();
}

#endif

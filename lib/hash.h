/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keyed hash of flow keys: SipHash-1-3 with a 128-bit secret drawn
 * at start. A table indexed by an unkeyed (or linear, like CRC32C) hash
 * can be filled into one chain by anyone who can send packets; SipHash
 * is a PRF, so without the secret no set of tuples collides more than
 * chance allows. One compression round instead of two is what the
 * kernel's hsiphash and Rust's HashMap settle for: flood resistance is
 * kept, and bench/bench_hash.c shows what the faster unkeyed-quality
 * candidates would save on the 40-byte key.
 */
#ifndef FC_HASH_H
#define FC_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_key {
	uint64_t k0, k1;
};

/* SipHash-1-3 of len bytes. */
uint64_t siphash13(const struct hash_key *key, const void *data, size_t len);

#endif

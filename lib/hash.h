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
#include <string.h>

struct hash_key {
	uint64_t k0, k1;
};

/*
 * SipHash-1-3 of len bytes (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", c = 1 compression and d = 3 finalization rounds),
 * written from the paper for little- and big-endian hosts alike. Inline:
 * with the key's constant length the compiler unrolls it.
 */
#define SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIP_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);	\
	v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);	\
} while (0)

static inline uint64_t sip_load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t siphash13(const struct hash_key *key, const void *data,
				 size_t len)
{
	const uint8_t *p = data, *end = p + (len & ~(size_t)7);
	uint64_t v0 = key->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = key->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = key->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = key->k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (; p != end; p += 8) {
		m = sip_load_le64(p);
		v3 ^= m;
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif

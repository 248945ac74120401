/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys built to collide under CRC32C without knowing its seed, shared by
 * bench_hash (the flood test) and bench_table (rte_hash, whose hash is
 * CRC32C, against crafted keys).
 *
 * CRC32C is linear: crc(s, a) ^ crc(s, b) = crc(0, a ^ b) for keys of
 * one length, whatever the seed s. So changes of the 64 interface-id
 * bits of an IPv6 source that leave chosen bits of crc(0, .) unchanged
 * (the kernel of a 32 x 64 matrix over GF(2)) give keys that agree on
 * those bits under every seed.
 */
#ifndef FC_BENCH_CRC_KERNEL_H
#define FC_BENCH_CRC_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

#define IID_BITS 64

/* CRC32C of the key's five words, starting from seed (SSE4.2). */
uint32_t crc32c_tuple(uint32_t seed, const struct tuple *t);

/*
 * A basis (up to max vectors) of the interface-id changes that keep the
 * bits in keep (a mask) of the CRC unchanged. Returns its size.
 */
size_t crc_kernel(uint32_t keep, uint64_t *basis, size_t max);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include <nmmintrin.h>
#include <string.h>

#include "crc_kernel.h"

/* SSE4.2 for this function alone: the rest is built for any x86-64 */
__attribute__((target("sse4.2")))
uint32_t crc32c_tuple(uint32_t seed, const struct tuple *t)
{
	uint64_t w[sizeof(*t) / 8], c = seed;
	size_t i;

	memcpy(w, t, sizeof(*t));
	for (i = 0; i < sizeof(w) / 8; i++)
		c = _mm_crc32_u64(c, w[i]);
	return (uint32_t)c;
}

size_t crc_kernel(uint32_t keep, uint64_t *basis, size_t max)
{
	uint32_t img[IID_BITS], ti;
	uint64_t comb[IID_BITS], tc;
	size_t j, p, row = 0, n = 0;
	struct tuple e;
	int bit;

	/* the images crc(0, e_j) of each interface-id bit alone */
	for (j = 0; j < IID_BITS; j++) {
		memset(&e, 0, sizeof(e));
		e.src.b[8 + j / 8] = (uint8_t)(1u << (j % 8));
		img[j] = crc32c_tuple(0, &e) & keep;
		comb[j] = 1ull << j;
	}
	/* eliminate: every pivot bit leaves all other rows */
	for (bit = 31; bit >= 0; bit--) {
		for (p = row; p < IID_BITS && !(img[p] >> bit & 1); p++)
			;
		if (p == IID_BITS)
			continue;
		ti = img[p];
		tc = comb[p];
		img[p] = img[row];
		comb[p] = comb[row];
		img[row] = ti;
		comb[row] = tc;
		for (j = 0; j < IID_BITS; j++) {
			if (j != row && (img[j] >> bit & 1)) {
				img[j] ^= img[row];
				comb[j] ^= comb[row];
			}
		}
		row++;
	}
	/* rows past the pivots map to zero: each is a kernel vector */
	for (j = row; j < IID_BITS && n < max; j++)
		basis[n++] = comb[j];
	return n;
}

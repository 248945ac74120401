/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016): which of a
 * zone's backends a stream ID goes to.
 *
 * Two properties are the point, and both are contracts:
 *
 * - Agreement without shared state. The table is a pure function of the
 *   set of (name, weight) pairs and the size: backends are placed by a
 *   hash of their name under a fixed key, built in name order, never in
 *   the order the config lists them. Every daemon with the same backends
 *   therefore sends a sid to the same one, and the sid hash is fixed
 *   too. Changing either hash key, the hash, or the fill order below
 *   moves nearly every sid and makes gateways of different versions
 *   disagree; tests/unit/test_maglev.c pins known answers for that.
 *
 * - Little disruption. Removing one of N backends moves the sids that
 *   were on it and a small fraction of the others (Maglev is near
 *   minimal, not exact: 0.1-1.5% of them for 5 backends in 65537
 *   entries, depending on the names; tests/unit/test_maglev.c prints
 *   its case); adding one moves about 1/(N+1). Both get worse as the
 *   backends approach the size: keep size over 100 times their number,
 *   as the paper advises (500 in 65537: adding one moves 1.1%, not
 *   0.2%).
 *
 * A fixed public hash means a client that picks its own sid can pick
 * its backend. That is inherent in agreeing without a shared secret,
 * and a client choosing its sid could always retry until it landed
 * where it wanted.
 *
 * The library does no I/O and keeps no state outside the table; a
 * built table is read-only, so any number of threads may pick at once.
 */
#ifndef FC_MAGLEV_H
#define FC_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

/* Prime; the paper's choice. Each of up to a few hundred backends gets
 * hundreds of entries, so shares are within a fraction of a percent. */
#define MAGLEV_DEFAULT_SIZE	65537u
#define MAGLEV_MAX_BACKENDS	65535u

struct maglev;

/*
 * The lookup table of n backends: names[i] (non-NULL, distinct
 * NUL-terminated strings) with weights[i] (NULL: all 1). A backend's
 * share of the size entries is proportional to its weight; weight 0
 * gives it none, and the table is then exactly that of the others
 * alone (a backend drained by weight 0 moves no other sid). size must
 * be a prime, at least n.
 *
 * Returns NULL with errno EINVAL (n 0 or over MAGLEV_MAX_BACKENDS, size
 * not a prime or under n, a NULL or repeated name, every weight 0) or
 * ENOMEM.
 */
struct maglev *maglev_new(const char *const *names, const uint32_t *weights,
			  size_t n, uint32_t size);
/* NULL is ignored. */
void maglev_free(struct maglev *m);

/* The backend of a sid whose maglev_hash() is key_hash: an index into
 * the names given to maglev_new(), always one of positive weight. */
int maglev_pick(const struct maglev *m, uint64_t key_hash);

/* The fixed-key hash of a sid's len bytes (SipHash-1-3, see hash.h):
 * the same on every host, whatever its byte order. */
uint64_t maglev_hash(const void *key, size_t len);

/* Entries of the table owned by backend i (names[i]); 0 past n. */
uint32_t maglev_share(const struct maglev *m, size_t i);
/* The size and the number of backends it was built with. */
uint32_t maglev_size(const struct maglev *m);
size_t maglev_count(const struct maglev *m);

#endif

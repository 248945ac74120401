/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stream IDs a daemon knows, per zone: the backend each was given
 * and what was seen of it. Maglev (maglev.h) decides a new sid; a known
 * one keeps its backend here even when the backend list changes, so a
 * stream is not moved while it lasts, and is forgotten once idle.
 *
 * A sid is its zone, its length and that many bytes: the same bytes in
 * another zone, or as a prefix of a longer sid, are another sid. Bytes
 * of b past len are ignored on input and stored as zero.
 *
 * The sids come from packets, so anyone can choose them: the index is
 * keyed with a secret drawn from the caller's random source when the
 * table is made, and no set of sids collides more than chance allows.
 *
 * Layout: the entries in one dense array, found through an open
 * addressing index (linear probing, at most half full, deletion by
 * backward shift, so no tombstones). A removed entry's place is taken
 * by the last one. Both grow by doubling and shrink when an eighth
 * full, so memory follows the number of sids both ways.
 *
 * A struct sid_entry pointer is valid until the next sidtable_add(),
 * sidtable_del() or sidtable_expire() on its table, any of which may
 * move entries. There is no locking inside: the caller serializes
 * every call on a table (the daemon holds its mutex).
 */
#ifndef FC_SIDTABLE_H
#define FC_SIDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sid.h"


struct sid_key {
	uint16_t zone;
	uint8_t len;			/* 1..SID_MAX_LEN */
	uint8_t b[SID_MAX_LEN];		/* bytes past len are zero */
};

struct sid_entry {
	struct sid_key key;		/* not to be changed in place */
	uint16_t backend;		/* index into the zone's backend list */
	uint32_t flows;			/* flows decided with this sid */
	uint64_t packets;		/* packets of it the daemon saw */
	uint64_t first_seen, last_seen;	/* seconds, caller's clock */
};

struct sidtable;

/*
 * max_entries: the most sids kept, 0 for no cap but memory. random
 * fills buf with len random bytes, once, for the hash secret. NULL with
 * errno EINVAL (random NULL) or ENOMEM.
 */
struct sidtable *sidtable_new(uint32_t max_entries,
			      void (*random)(void *buf, size_t len));
/* NULL is ignored. */
void sidtable_free(struct sidtable *t);

/* The entry of k; NULL when unknown (or k->len is 0 or over the max). */
struct sid_entry *sidtable_get(struct sidtable *t, const struct sid_key *k);

/*
 * Enter k with backend, flows and packets 0, first and last seen now.
 * NULL with errno EINVAL (k->len 0 or over SID_MAX_LEN), EEXIST (k is
 * already there: sidtable_get() it), ENOSPC (max_entries reached) or
 * ENOMEM; the table is then unchanged.
 */
struct sid_entry *sidtable_add(struct sidtable *t, const struct sid_key *k,
			       uint16_t backend, uint64_t now);

/* Forget k; nothing when unknown. */
void sidtable_del(struct sidtable *t, const struct sid_key *k);

/*
 * Remove every entry idle for idle(ctx, zone) seconds or more, that is
 * now - last_seen >= idle (a last_seen after now is not idle; idle 0:
 * the zone's sids never expire), calling gone(ctx, e) (NULL: none) for
 * each just before it goes. idle is asked once per entry visited.
 * Neither callback may add or remove entries. Returns how many went.
 * Visits every entry: the caller bounds how often.
 */
size_t sidtable_expire(struct sidtable *t, uint64_t now,
		       uint32_t (*idle)(void *ctx, uint16_t zone),
		       void (*gone)(void *ctx, const struct sid_entry *e),
		       void *ctx);

/* Visit every entry, in no particular order, until fn returns false. fn
 * may change e's backend and counters, not its key, and may not add or
 * remove entries. */
void sidtable_walk(struct sidtable *t,
		   bool (*fn)(struct sid_entry *e, void *ctx), void *ctx);

size_t sidtable_count(const struct sidtable *t);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Route answers as flows keep them: each distinct answer (type, table,
 * device, gateway, preferred source) is stored once and named by a
 * 16-bit id, so a flow carries its route for both directions in four
 * bytes. A router has few distinct answers however many flows it
 * forwards: one per next hop and type.
 *
 * Answers are never removed. A flow's id stays valid for as long as the
 * flow exists, however routes change meanwhile; what changes is which id
 * a new lookup returns. When all 65535 ids are used, new answers get id
 * 0 (no route cached) and are counted, never a wrong answer.
 *
 * Concurrency: any thread interns and reads. Reading and finding an
 * existing answer take no lock; only storing a new one takes the mutex.
 */
#ifndef FC_ROUTESET_H
#define FC_ROUTESET_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define ROUTESET_MAX 65535u

struct route_info {
	uint8_t family;
	uint8_t type;			/* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	bool has_gateway;
	bool has_prefsrc;
	uint32_t table;
	int oif;			/* 0: none */
	union fc_addr gateway;
	union fc_addr prefsrc;
};

struct routeset;

/* NULL with errno ENOMEM. */
struct routeset *routeset_new(void);
void routeset_free(struct routeset *rs);

/* The id of an answer equal to r (fields that are not set are ignored),
 * stored if new. 0 when the set is full or out of memory. */
uint16_t routeset_intern(struct routeset *rs, const struct route_info *r);
/* The answer of id; NULL for 0 or an id never given out. */
const struct route_info *routeset_get(const struct routeset *rs, uint16_t id);

struct routeset_stats {
	uint32_t answers;		/* distinct answers stored */
	uint64_t full;			/* answers refused: no id left */
};
void routeset_get_stats(const struct routeset *rs, struct routeset_stats *st);

/* Lower-case name of an RTN_* type ("unicast", "local", ...). */
const char *route_type_name(uint8_t type);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flow as the CLI shows it: one JSON object in the fields of the
 * interface contract (DESIGN.md), or one line of text. Shared by the
 * control command and the tests, so both read the same words.
 */
#ifndef FC_FLOWFMT_H
#define FC_FLOWFMT_H

#include "buf.h"
#include "flowtable.h"
#include "json.h"

/*
 * The state as conntrack -L words it: the TCP state for TCP, else
 * ASSURED, REPLIED or UNREPLIED; PENDING before conntrack confirmed the
 * flow (its first packet was queued, the NEW event has not come).
 */
const char *flow_state(const struct flow *f);

void flow_json(struct json *j, const struct flow *f);
void flow_text(struct buf *out, const struct flow *f);

#endif

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
#include "routeset.h"

/* What the daemon knows of a flow beyond the table: its routes (NULL:
 * none cached) with their devices by name (NULL: unknown), its owner's
 * user name and cgroup path, and its stream ID's backend (NULL: none,
 * or unknown). */
struct flow_extra {
	const struct route_info *route[2];	/* original, reply */
	const char *oif[2];
	const char *user;
	const char *cgroup;
	const char *backend;
};

/* f's owner, NULL when it has none. The caller holds the table's lock
 * (a walk does), under which owners are written. */
const struct flow_owner *flow_owner_of(const struct flow *f);

/*
 * The state as conntrack -L words it: the TCP state for TCP, else
 * ASSURED, REPLIED or UNREPLIED; PENDING before conntrack confirmed the
 * flow (its first packet was queued, the NEW event has not come).
 */
const char *flow_state(const struct flow *f);

void flow_json(struct json *j, const struct flow *f,
	       const struct flow_extra *x);
/* Everything known of f on one line (flows --long). */
void flow_text(struct buf *out, const struct flow *f,
	       const struct flow_extra *x);

/*
 * The flows table (flows without --long), one row a flow:
 *
 *   ZONE PROTO SOURCE         DESTINATION STATE       MARK     ROUTE OWNER SID
 *   10   tcp   10.0.1.2:54538 10.0.2.2:80 ESTABLISHED 0x110000 wan0  -     -
 *
 * ROUTE is the original direction's (device and gateway, or the route's
 * type when it is not unicast), OWNER user/comm[pid], SID sid/backend;
 * "-" where nothing is known.
 */
enum flow_col {
	FLOW_COL_ZONE,
	FLOW_COL_PROTO,
	FLOW_COL_SRC,
	FLOW_COL_DST,
	FLOW_COL_STATE,
	FLOW_COL_MARK,
	FLOW_COL_ROUTE,
	FLOW_COL_OWNER,
	FLOW_COL_SID,
	FLOW_COLS
};

/* f's row: FLOW_COLS cells appended to row, each NUL-terminated, with
 * control bytes (a comm can hold any) made '?' so that no cell moves a
 * terminal's cursor. */
void flow_cells(struct buf *row, const struct flow *f,
		const struct flow_extra *x);

/* A table being built: its rows' cells, and each column's widest cell
 * (in characters: UTF-8 continuation bytes take no room). */
struct flow_rows {
	struct buf cells;
	size_t n;
	size_t width[FLOW_COLS];
	size_t said[FLOW_COLS];		/* cells other than "-" */
};

#define FLOW_ROWS_INIT { BUF_INIT, 0, { 0 }, { 0 } }

/* Append a row of cells from flow_cells(), len bytes. */
void flow_rows_add(struct flow_rows *t, const char *cells, size_t len);

/*
 * The header line and the rows, each column as wide as its widest cell.
 * With width > 0 every line fits in width characters: when the table is
 * wider, ROUTE, OWNER and SID go if they hold nothing but "-"; then, while
 * the rest would not fit even at its narrowest, the one of them that says
 * the least (the fewest cells other than "-"); then the widest of SOURCE,
 * DESTINATION, ROUTE, OWNER and SID give way, a character at a time down
 * to a minimum each, their cells cut with a '~' (addresses in the middle,
 * keeping the port; the others at the end); a line still too long is cut
 * at width.
 */
void flow_rows_render(const struct flow_rows *t, unsigned int width,
		      struct buf *out);
void flow_rows_free(struct flow_rows *t);

#endif

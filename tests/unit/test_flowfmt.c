// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the flows table of lib/flowfmt.c: each column's cell
 * for flows with and without route, owner and sid; the table at its full
 * width (columns aligned, also past UTF-8 names) and fitted to 200, 150,
 * 100, 80, 60 and 20 columns (no line longer; empty columns gone first,
 * then the extra column that says the least while even the narrowest
 * table is too wide; long
 * addresses cut in the middle keeping their port, other cells at the
 * end); and no control byte of a process name reaching the terminal.
 */
#include <arpa/inet.h>
#include <check.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "flowfmt.h"
#include "unit.h"

static struct flow_ext ext_owner, ext_sid;

static struct flow mkflow(uint16_t zone, uint8_t proto, const char *src,
			  uint16_t sport, const char *dst, uint16_t dport)
{
	struct flow f = { 0 };

	f.orig = unit_tuple(zone, proto, src, sport, dst, dport);
	f.flags = FLOW_CONFIRMED;
	return f;
}

/* the n-th cell of a row */
static const char *cell(const struct buf *row, int n)
{
	const char *p = row->data;

	while (n--)
		p += strlen(p) + 1;
	return p;
}

/* characters of a line (UTF-8 continuation bytes take no room) */
static size_t chars(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

static struct route_info via_gw, local_rt;

static void table(struct flow_rows *t)
{
	struct flow f;
	struct flow_extra x = { 0 };
	struct buf row = BUF_INIT;

	inet_pton(AF_INET, "10.0.2.254", &via_gw.gateway);
	via_gw.family = AF_INET;
	via_gw.type = RTN_UNICAST;
	via_gw.has_gateway = true;
	via_gw.oif = 3;
	local_rt.type = RTN_LOCAL;

	f = mkflow(10, IPPROTO_TCP, "10.0.1.2", 40001, "10.0.2.2", 80);
	f.tcp_state = 3;
	f.mark = 0x310000;
	x.route[0] = &via_gw;
	x.oif[0] = "wan0";
	flow_cells(&row, &f, &x);
	flow_rows_add(t, row.data, row.len);

	buf_reset(&row);
	f = mkflow(0, IPPROTO_UDP, "fd01:2345:6789:abcd:ef01:2345:6789:abcd",
		   53000, "fd02::2", 443);
	f.flags |= FLOW_SEEN_REPLY;
	ext_owner.owner.flags = FLOW_OWNER_SOCKET;
	ext_owner.owner.uid = 1000;
	ext_owner.owner.pid = 4242;
	strcpy(ext_owner.owner.comm, "caf\xc3\xa9\x1b[2J");
	f.ext = &ext_owner;
	x = (struct flow_extra){ .route = { &local_rt }, .user = "alice" };
	flow_cells(&row, &f, &x);
	flow_rows_add(t, row.data, row.len);

	buf_reset(&row);
	f = mkflow(20, IPPROTO_ICMP, "10.0.1.2", 7, "10.0.2.2", 7);
	ext_sid.sid.len = 4;
	memcpy(ext_sid.sid.b, "\xc0\xff\xee\x01", 4);
	f.ext = &ext_sid;
	x = (struct flow_extra){ .backend = "m1" };
	flow_cells(&row, &f, &x);
	flow_rows_add(t, row.data, row.len);
	buf_free(&row);
}

START_TEST(test_cells)
{
	struct flow f = mkflow(10, IPPROTO_TCP, "10.0.1.2", 40001, "10.0.2.2", 80);
	struct flow_extra x = { .route = { &via_gw }, .oif = { "wan0" } };
	struct buf row = BUF_INIT;
	struct flow_rows t = FLOW_ROWS_INIT;

	table(&t);	/* fills via_gw */
	f.tcp_state = 3;
	f.mark = 0x310000;
	flow_cells(&row, &f, &x);
	ck_assert_str_eq(cell(&row, FLOW_COL_ZONE), "10");
	ck_assert_str_eq(cell(&row, FLOW_COL_PROTO), "tcp");
	ck_assert_str_eq(cell(&row, FLOW_COL_SRC), "10.0.1.2:40001");
	ck_assert_str_eq(cell(&row, FLOW_COL_DST), "10.0.2.2:80");
	ck_assert_str_eq(cell(&row, FLOW_COL_STATE), "ESTABLISHED");
	ck_assert_str_eq(cell(&row, FLOW_COL_MARK), "0x310000");
	ck_assert_str_eq(cell(&row, FLOW_COL_ROUTE), "wan0 via 10.0.2.254");
	ck_assert_str_eq(cell(&row, FLOW_COL_OWNER), "-");
	ck_assert_str_eq(cell(&row, FLOW_COL_SID), "-");
	ck_assert_uint_eq(cell(&row, FLOW_COL_SID) + 2 - row.data, row.len);

	/* the rows of table(): IPv6 with an owner, ICMP with a sid */
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_eq(t.said[FLOW_COL_ZONE], 3);
	ck_assert_uint_eq(t.said[FLOW_COL_ROUTE], 2);
	ck_assert_uint_eq(t.said[FLOW_COL_OWNER], 1);
	ck_assert_uint_eq(t.said[FLOW_COL_SID], 1);
	buf_reset(&row);
	buf_append(&row, t.cells.data, t.cells.len);
	while (strcmp(cell(&row, FLOW_COL_ZONE), "0"))
		buf_consume(&row, (size_t)(cell(&row, FLOW_COLS) - row.data));
	ck_assert_str_eq(cell(&row, FLOW_COL_SRC),
			 "[fd01:2345:6789:abcd:ef01:2345:6789:abcd]:53000");
	ck_assert_str_eq(cell(&row, FLOW_COL_STATE), "REPLIED");
	ck_assert_str_eq(cell(&row, FLOW_COL_ROUTE), "local");
	ck_assert_str_eq(cell(&row, FLOW_COL_OWNER),
			 "alice/caf\xc3\xa9?[2J[4242]");
	buf_consume(&row, (size_t)(cell(&row, FLOW_COLS) - row.data));
	ck_assert_str_eq(cell(&row, FLOW_COL_SRC), "10.0.1.2");
	ck_assert_str_eq(cell(&row, FLOW_COL_DST), "10.0.2.2");
	ck_assert_str_eq(cell(&row, FLOW_COL_STATE), "UNREPLIED");
	ck_assert_str_eq(cell(&row, FLOW_COL_MARK), "0x0");
	ck_assert_str_eq(cell(&row, FLOW_COL_ROUTE), "-");
	ck_assert_str_eq(cell(&row, FLOW_COL_SID), "c0ffee01/m1");
	buf_free(&row);
	flow_rows_free(&t);
}
END_TEST

/* Full width: every column starts where its header does. */
START_TEST(test_full_width)
{
	struct flow_rows t = FLOW_ROWS_INIT;
	struct buf out = BUF_INIT;
	const char *line, *nl, *col;
	size_t owner_at, lines = 0;

	table(&t);
	flow_rows_render(&t, 0, &out);
	ck_assert_ptr_null(strchr(out.data, '\x1b'));
	ck_assert_ptr_null(strchr(out.data, '~'));
	col = strstr(out.data, "OWNER");
	ck_assert_ptr_nonnull(col);
	owner_at = (size_t)(col - out.data);
	ck_assert(strncmp(out.data, "ZONE PROTO SOURCE ", 18) == 0);
	for (line = out.data; *line; line = nl + 1, lines++) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl == line || nl[-1] != ' ', "trailing space");
		if (lines == 0)
			continue;
		/* the character before OWNER's column is the space */
		col = line;
		while (chars(line, (size_t)(col - line)) < owner_at)
			col++;
		ck_assert_msg(col[-1] == ' ' && col[0] != ' ',
			      "OWNER out of line in '%.*s'", (int)(nl - line),
			      line);
	}
	ck_assert_uint_eq(lines, 4);
	buf_free(&out);
	flow_rows_free(&t);
}
END_TEST

START_TEST(test_fitted)
{
	static const unsigned int widths[] = { 200, 150, 100, 80, 60, 20 };
	struct flow_rows t = FLOW_ROWS_INIT;
	struct buf out = BUF_INIT, full = BUF_INIT;
	const char *line, *nl;
	size_t i, longest;

	table(&t);
	flow_rows_render(&t, 0, &full);
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		buf_reset(&out);
		flow_rows_render(&t, widths[i], &out);
		longest = 0;
		for (line = out.data; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (chars(line, (size_t)(nl - line)) > longest)
				longest = chars(line, (size_t)(nl - line));
		}
		ck_assert_msg(longest <= widths[i], "width %u: a line of %zu",
			      widths[i], longest);
		if (widths[i] >= 150) {
			/* room enough: as at full width */
			ck_assert_str_eq(out.data, full.data);
		}
		if (widths[i] == 100) {
			/* the IPv6 source gives way, its port stays */
			ck_assert_ptr_nonnull(strstr(out.data, "~"));
			ck_assert_ptr_nonnull(strstr(out.data, "]:53000 "));
			ck_assert_ptr_nonnull(strstr(out.data, "fd01:"));
			ck_assert_ptr_nonnull(strstr(out.data, "OWNER"));
		}
		if (widths[i] == 80) {
			/* all at their narrowest would not fit: OWNER
			 * and SID say as much (a cell each), the one
			 * further right goes */
			ck_assert_ptr_null(strstr(out.data, " SID"));
			ck_assert_ptr_nonnull(strstr(out.data, " OWNER\n"));
		}
	}
	buf_free(&out);
	buf_free(&full);
	flow_rows_free(&t);
}
END_TEST

/* Of the extras, the one that says the least goes first. */
START_TEST(test_least_said)
{
	struct flow_rows t = FLOW_ROWS_INIT;
	struct buf out = BUF_INIT, row = BUF_INIT;
	struct flow f = mkflow(20, IPPROTO_UDP, "10.0.1.2", 41001, "10.0.2.2",
			       5004);
	struct flow_extra x = { .route = { &via_gw }, .oif = { "wan0" },
				.backend = "m1" };

	table(&t);	/* owner 1, sid 1 */
	f.ext = &ext_sid;
	flow_cells(&row, &f, &x);
	flow_rows_add(&t, row.data, row.len);	/* sid 2 */
	flow_rows_render(&t, 80, &out);
	ck_assert_ptr_null(strstr(out.data, "OWNER"));
	ck_assert_ptr_nonnull(strstr(out.data, " SID\n"));
	ck_assert_ptr_nonnull(strstr(out.data, " c0ffee0"));
	buf_free(&out);
	buf_free(&row);
	flow_rows_free(&t);
}
END_TEST

/* Columns with nothing but "-" go first when room is short. */
START_TEST(test_empty_columns)
{
	struct flow f = mkflow(10, IPPROTO_TCP, "10.0.1.2", 40001, "10.0.2.2", 80);
	struct flow_extra x = { 0 };
	struct flow_rows t = FLOW_ROWS_INIT;
	struct buf row = BUF_INIT, out = BUF_INIT;

	flow_cells(&row, &f, &x);
	flow_rows_add(&t, row.data, row.len);
	flow_rows_render(&t, 0, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "ROUTE OWNER SID\n"));
	buf_reset(&out);
	flow_rows_render(&t, 60, &out);
	ck_assert_ptr_null(strstr(out.data, "ROUTE"));
	ck_assert_ptr_null(strstr(out.data, "OWNER"));
	ck_assert_ptr_nonnull(strstr(out.data, "MARK\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "10.0.1.2:40001 "));
	/* no rows: the header alone */
	flow_rows_free(&t);
	buf_reset(&out);
	flow_rows_render(&t, 80, &out);
	ck_assert_str_eq(out.data, "ZONE PROTO SOURCE DESTINATION STATE MARK "
			 "ROUTE OWNER SID\n");
	buf_free(&row);
	buf_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowfmt");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_cells);
	tcase_add_test(tc, test_full_width);
	tcase_add_test(tc, test_fitted);
	tcase_add_test(tc, test_least_said);
	tcase_add_test(tc, test_empty_columns);
	suite_add_tcase(s, tc);
	return unit_run(s);
}

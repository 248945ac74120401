// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdbool.h>
#include <string.h>

#include "httpreq.h"

/* "GET", "POST": upper-case letters only. */
static bool is_method(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 16)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

/* The status that answers a request line (without its line end). */
static int line_status(const char *line, size_t n, const char *path)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *target, *q;
	size_t tlen, plen, want = strlen(path);

	if (!sp1 || !is_method(line, (size_t)(sp1 - line)))
		return 400;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2)
		return 400;
	tlen = (size_t)(sp2 - target);
	if (tlen == 0 || target[0] != '/' ||
	    n - (size_t)(sp2 + 1 - line) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) && memcmp(sp2 + 1, "HTTP/1.1", 8)))
		return 400;
	q = memchr(target, '?', tlen);
	plen = q ? (size_t)(q - target) : tlen;
	if (plen != want || memcmp(target, path, want))
		return 404;
	if ((size_t)(sp1 - line) != 3 || memcmp(line, "GET", 3))
		return 405;
	return 200;
}

/* Bytes no request head carries: control characters but tab, CR, LF. */
static bool has_control(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ||
		    ch == 0x7f)
			return true;
	}
	return false;
}

int httpreq_status(const char *buf, size_t len, size_t cap, size_t fresh,
		   const char *path)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;
	int status;

	if (has_control(buf + len - fresh, fresh))
		return 400;
	if (!nl)
		return len == cap ? 400 : 0;
	n = (size_t)(nl - buf);
	if (n && buf[n - 1] == '\r')
		n--;
	status = line_status(buf, n, path);
	if (status == 400)
		return 400;
	if (memmem(buf, len, "\n\n", 2) || memmem(buf, len, "\n\r\n", 3))
		return status;
	return len == cap ? 400 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The request head of a one-page HTTP/1.x server (the metrics page):
 * which status answers what a client has sent so far. Pure: the caller
 * reads, this only looks at the bytes.
 */
#ifndef FC_HTTPREQ_H
#define FC_HTTPREQ_H

#include <stddef.h>

/*
 * buf holds the len bytes read so far, of a buffer of cap bytes; the
 * last fresh of them arrived with the latest read. Returns 0 to read on,
 * or the status to answer: 200 for "GET path HTTP/1.0|1.1" (a query
 * after path is ignored), 404 another path, 405 another method, 400 a
 * malformed or oversized head or a control byte. A bad request line is
 * answered as soon as it is complete; a good one once the headers end
 * (an empty line), so that the reply never overtakes a request still
 * being sent.
 */
int httpreq_status(const char *buf, size_t len, size_t cap, size_t fresh,
		   const char *path);

#endif

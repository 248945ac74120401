/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire format of the control socket (a SOCK_STREAM UNIX socket):
 *
 *   client -> daemon   one request line:  WORD{ WORD}\n
 *                      at most CTL_REQ_MAX bytes and CTL_MAX_ARGS words;
 *                      a word is printable ASCII without spaces.
 *   daemon -> client   one header line:   CODE[ MESSAGE]\n
 *                      then the body until the daemon closes.
 *
 * CODE is the exit status flowcachectl returns: 0 ok, 1 the daemon
 * could not do it, 2 the request was malformed. The body is the command's
 * output, text or JSON as the request asked ("--json" among its words).
 * A line protocol keeps `socat - UNIX:/run/flowcached/control.sock` a
 * usable client when flowcachectl is missing.
 */
#ifndef FC_CTLMSG_H
#define FC_CTLMSG_H

#include <stddef.h>

#include "buf.h"

#define CTL_REQ_MAX	4096
#define CTL_MAX_ARGS	32

enum ctl_code {
	CTL_OK = 0,
	CTL_ERROR = 1,
	CTL_USAGE = 2,
};

/*
 * Append the request line for argv[0..argc-1] to out.
 * Returns 0, -EINVAL if a word is empty or holds a space or control byte,
 * -E2BIG if the request exceeds the limits, -ENOMEM.
 */
int ctl_request_format(struct buf *out, int argc, char *const argv[]);

/*
 * Split a received request line in place. line must end with '\n' (the
 * caller reads until it sees one); the newline and the separators are
 * overwritten with NULs and argv[] points into line.
 * Returns the number of words (>= 1), -EBADMSG when the line is not of the
 * form above, -E2BIG when it has more than max words.
 */
int ctl_request_parse(char *line, size_t len, char *argv[], int max);

/*
 * Append a header line; msg may be NULL. A newline in msg becomes a space;
 * a message too long for the line (CTL_REQ_MAX with code and newline) is
 * cut, so that ctl_response_parse() always reads what this wrote.
 */
int ctl_response_header(struct buf *out, enum ctl_code code, const char *msg);

/*
 * Parse the header line at the start of data[0..len).
 * On success sets *code, *msg (into data, not NUL-terminated) and *msglen,
 * and returns the header's length including its newline. Returns -EAGAIN
 * while no newline has arrived (and len < CTL_REQ_MAX), -EBADMSG otherwise.
 */
int ctl_response_parse(const char *data, size_t len, int *code,
		       const char **msg, size_t *msglen);

#endif

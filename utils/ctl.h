/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowcachectl's side of the control socket (lib/ctlmsg.h): one
 * connection per request, the answer read whole.
 */
#ifndef FC_CTL_H
#define FC_CTL_H

#include "buf.h"

#define CTL_DEFAULT_SOCKET "/run/flowcached/control.sock"

struct ctl_reply {
	int code;		/* the daemon's: the exit status it means */
	struct buf msg;		/* the header's message; "" when none */
	struct buf body;	/* the command's output */
};

#define CTL_REPLY_INIT { 0, BUF_INIT, BUF_INIT }

/*
 * Send argv[0..argc) to the daemon at path and read its answer into r
 * (emptied first). Returns 0; -EINVAL or -E2BIG when the words cannot
 * make a request (an empty word, a space or control byte; too many or
 * too long: a usage error); -EIO when the daemon could not be reached or
 * its answer read, with one line on why in err (not cleared first).
 */
int ctl_call(const char *path, int argc, char *const argv[],
	     struct ctl_reply *r, struct buf *err);
void ctl_reply_free(struct ctl_reply *r);

#endif

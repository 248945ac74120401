/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: a UNIX stream socket (mode 0660, group from the
 * config) that flowcachectl talks to with the line protocol of
 * lib/ctlmsg.h. Requests run on the main loop, one at a time, so a
 * command sees a consistent daemon; replies are written without blocking,
 * so a slow reader cannot stall the loop.
 */
#ifndef FC_CONTROL_H
#define FC_CONTROL_H

#include <stdint.h>

#include "buf.h"
#include "ctlmsg.h"

struct fcd;
struct control;

/*
 * Bind the socket named in the config and add it to the loop. Refuses
 * (-EADDRINUSE) when a daemon already answers there; removes a stale
 * socket file left by one that died. Returns 0 or -errno.
 */
int control_open(struct fcd *fcd, struct control **ret);
/* Stop listening, drop the clients, remove the socket file. */
void control_close(struct control *ctl);
/* Close clients that sent nothing useful for too long. */
void control_tick(struct control *ctl, uint64_t now);

/* Clients connected now; connections refused because too many were. */
void control_stats(const struct control *ctl, unsigned int *clients,
		   uint64_t *rejected);

/* Implemented by the command layer: run argv, write the body to out. */
enum ctl_code cmd_run(struct fcd *fcd, int argc, char *argv[],
		      struct buf *out, struct buf *msg);

#endif

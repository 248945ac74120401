/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager's side channel (sd_notify), and the one question
 * the daemon asks systemd over D-Bus: why it is being stopped. Every call
 * is a no-op when the daemon does not run under systemd, so it runs the
 * same everywhere.
 */
#ifndef FC_NOTIFY_H
#define FC_NOTIFY_H

#include <stdint.h>

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *status);
/* The watchdog period systemd asked for, in ns, or 0 when it is off. */
uint64_t notify_watchdog_period(void);
void notify_watchdog(void);
/*
 * The type of the job systemd runs on the daemon's unit ("stop",
 * "restart", ...) in *ret_type (free it), or NULL when there is none
 * (kill -TERM by hand, a worker giving up) or the daemon does not run
 * under systemd. Asks over the system bus and gives up after 1 s.
 * Returns 0, or -errno when the bus did not answer (logged here).
 */
int notify_unit_job(char **ret_type);

#endif

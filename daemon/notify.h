/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager's side channel (sd_notify). Every call is a no-op
 * when NOTIFY_SOCKET is unset, so the daemon runs the same everywhere.
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

#endif

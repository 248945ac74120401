// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static void notify_send(const char *state, const char *status)
{
	int r;

	if (status)
		r = sd_notifyf(0, "%s%sSTATUS=%s", state ? state : "",
			       state ? "\n" : "", status);
	else
		r = sd_notify(0, state);
	if (r < 0)
		log_warn(r, "sd_notify");
}

void notify_ready(const char *status)
{
	notify_send("READY=1", status);
}

void notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	/* MONOTONIC_USEC lets newer systemd tie the READY=1 that follows to
	 * this reload; older versions ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
		 (unsigned long long)ts.tv_nsec / 1000);
	notify_send(state, NULL);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1", NULL);
}

void notify_status(const char *status)
{
	notify_send(NULL, status);
}

uint64_t notify_watchdog_period(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec * 1000;
}

void notify_watchdog(void)
{
	notify_send("WATCHDOG=1", NULL);
}

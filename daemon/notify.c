// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

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

/*
 * Why a unit job: systemd stops a service with SIGTERM both for
 * "systemctl stop" and for the first half of "systemctl restart", and the
 * environment says nothing either. The job it runs on the unit meanwhile
 * ("stop" or "restart") is the only place the two differ.
 */
#define SD1		"org.freedesktop.systemd1"
#define SD1_PATH	"/org/freedesktop/systemd1"
/* The whole question, connecting included: the stop has 10 s
 * (TimeoutStopSec=) for everything, and sd-bus would wait 25 s. */
#define NOTIFY_BUS_BUDGET_US	1000000ull

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* What is left of the budget, at least 1 us: sd-bus reads 0 as "use the
 * default timeout". */
static uint64_t left_us(uint64_t deadline)
{
	uint64_t now = mono_us();

	return now < deadline ? deadline - now : 1;
}

/* The method call timeout does not cover the authentication and Hello
 * that sd_bus_open_system() starts, so wait for those here. */
static int bus_open(uint64_t deadline, sd_bus **ret_bus)
{
	sd_bus *bus;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	while ((r = sd_bus_is_ready(bus)) == 0) {
		r = sd_bus_process(bus, NULL);
		if (r == 0)
			r = mono_us() < deadline ?
				sd_bus_wait(bus, left_us(deadline)) : -ETIMEDOUT;
		if (r < 0)
			break;
	}
	if (r < 0) {
		sd_bus_close_unref(bus);
		return r;
	}
	*ret_bus = bus;
	return 0;
}

int notify_unit_job(char **ret_type)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *unit_reply = NULL, *job_reply = NULL;
	const char *unit_path, *job_path;
	char *unit = NULL, *type = NULL;
	sd_bus *bus = NULL;
	uint64_t deadline;
	uint32_t job_id;
	int r;

	*ret_type = NULL;
	if (sd_booted() <= 0 || sd_pid_get_unit(0, &unit) < 0)
		return 0;
	deadline = mono_us() + NOTIFY_BUS_BUDGET_US;
	r = bus_open(deadline, &bus);
	if (r < 0)
		goto out;
	sd_bus_set_method_call_timeout(bus, left_us(deadline));
	r = sd_bus_call_method(bus, SD1, SD1_PATH, SD1 ".Manager", "GetUnit",
			       &error, &unit_reply, "s", unit);
	if (r < 0)
		goto out;
	r = sd_bus_message_read(unit_reply, "o", &unit_path);
	if (r <= 0) {
		r = r ? r : -EBADMSG;
		goto out;
	}
	sd_bus_set_method_call_timeout(bus, left_us(deadline));
	r = sd_bus_get_property(bus, SD1, unit_path, SD1 ".Unit", "Job",
				&error, &job_reply, "(uo)");
	if (r < 0)
		goto out;
	r = sd_bus_message_read(job_reply, "(uo)", &job_id, &job_path);
	if (r <= 0) {
		r = r ? r : -EBADMSG;
		goto out;
	}
	if (job_id == 0)
		goto out;
	sd_bus_set_method_call_timeout(bus, left_us(deadline));
	r = sd_bus_get_property_string(bus, SD1, job_path, SD1 ".Job",
				       "JobType", &error, &type);
out:
	if (r < 0 && sd_bus_error_is_set(&error))
		log_warnx("systemd: cannot read the job of %s: %s", unit,
			  error.message ? error.message : error.name);
	else if (r < 0)
		log_warn(r, "systemd: cannot read the job of %s over the "
			 "system bus", unit);
	else
		*ret_type = type;
	sd_bus_error_free(&error);
	sd_bus_message_unref(job_reply);
	sd_bus_message_unref(unit_reply);
	/* no flush: that would wait for a frozen bus without a limit */
	sd_bus_close_unref(bus);
	free(unit);
	return r < 0 ? r : 0;
}

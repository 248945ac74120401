/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging. Under systemd (stderr is the journal stream) messages go to the
 * journal with structured fields; a daemonized process logs to syslog; in
 * the foreground otherwise, to stderr. Only the daemon logs: lib/ returns
 * errors and the layer that decides what happens next says so, once.
 */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "ratelimit.h"
#include "tuple.h"

enum log_target {
	LOG_TO_STDERR,
	LOG_TO_JOURNAL,
	LOG_TO_SYSLOG,
};

/* Journal when stderr is the journal stream (JOURNAL_STREAM), else stderr. */
enum log_target log_target_detect(void);
void log_init(enum log_target target, int max_prio);
void log_set_target(enum log_target target);
/* Whether lines of prio are written: spares building one that is not. */
bool log_enabled(int prio);
enum log_target log_get_target(void);

/*
 * fields: NULL or a NULL-terminated list of preformatted "KEY=value"
 * journal fields (KEY in upper case), ignored by the other targets.
 * err: an errno value whose strerror is appended as ": reason", or 0.
 */
void log_emit(int prio, int err, const char *const *fields,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_err(...)	log_emit(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warnx(...)	log_emit(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_notice(...)	log_emit(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_info(...)	log_emit(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_debug(...)	log_emit(LOG_DEBUG, 0, NULL, __VA_ARGS__)
/* Like log_warnx, with ": strerror(err)" appended; err may be negative. */
#define log_warn(err, ...) log_emit(LOG_WARNING, (err), NULL, __VA_ARGS__)

/*
 * A line about one flow: "zone 10 tcp 10.0.0.1:5000 -> 10.0.1.2:80:
 * message" (lib/flowname.h), with FLOW_* journal fields. Packets cause
 * these, so each call site lets LOG_FLOW_BURST lines through per
 * LOG_FLOW_INTERVAL_S and then says how many it held back. Any thread.
 */
#define LOG_FLOW_INTERVAL_S	5
#define LOG_FLOW_BURST		10
#define log_flow(prio, t, ...) do {					\
	static struct ratelimit log_rl_ =				\
		RATELIMIT_INIT(LOG_FLOW_INTERVAL_S, LOG_FLOW_BURST);	\
	log_flow_emit(&log_rl_, (prio), (t), __VA_ARGS__);		\
} while (0)
void log_flow_emit(struct ratelimit *rl, int prio, const struct tuple *t,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Start-up failure: log and exit(1). Never used on the packet or event path. */
void fatal(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif

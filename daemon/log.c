// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

#define LOG_IDENT "flowcached"
#define LOG_MAX_FIELDS 16

static enum log_target log_target = LOG_TO_STDERR;
static int log_max_prio = LOG_INFO;

enum log_target log_target_detect(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd sets JOURNAL_STREAM=dev:inode of the stream it connected
	 * to stderr; comparing it tells a journal from an inherited one that
	 * a user redirected. */
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return LOG_TO_STDERR;
	if (fstat(STDERR_FILENO, &st) < 0)
		return LOG_TO_STDERR;
	if ((unsigned long long)st.st_dev != dev ||
	    (unsigned long long)st.st_ino != ino)
		return LOG_TO_STDERR;
	return LOG_TO_JOURNAL;
}

void log_init(enum log_target target, int max_prio)
{
	log_max_prio = max_prio;
	log_set_target(target);
}

void log_set_target(enum log_target target)
{
	if (target == LOG_TO_SYSLOG && log_target != LOG_TO_SYSLOG)
		openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_target = target;
}

enum log_target log_get_target(void)
{
	return log_target;
}

static void log_journal(int prio, const char *msg, const char *const *fields)
{
	struct iovec iov[LOG_MAX_FIELDS + 3];
	char pbuf[16], *mbuf;
	size_t n = 0;

	if (asprintf(&mbuf, "MESSAGE=%s", msg) < 0)
		return;
	snprintf(pbuf, sizeof(pbuf), "PRIORITY=%d", prio);
	iov[n++] = (struct iovec){ mbuf, strlen(mbuf) };
	iov[n++] = (struct iovec){ pbuf, strlen(pbuf) };
	iov[n++] = (struct iovec){ "SYSLOG_IDENTIFIER=" LOG_IDENT,
				   sizeof("SYSLOG_IDENTIFIER=" LOG_IDENT) - 1 };
	for (; fields && *fields && n < sizeof(iov) / sizeof(iov[0]); fields++)
		iov[n++] = (struct iovec){ (void *)*fields, strlen(*fields) };
	if (sd_journal_sendv(iov, (int)n) < 0)
		fprintf(stderr, "%s\n", msg);
	free(mbuf);
}

static void log_vemit(int prio, int err, const char *const *fields,
		      const char *fmt, va_list ap)
{
	char msg[1024];
	int n, saved = errno;

	if (prio > log_max_prio)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			 strerror(err < 0 ? -err : err));
	switch (log_target) {
	case LOG_TO_JOURNAL:
		log_journal(prio, msg, fields);
		break;
	case LOG_TO_SYSLOG:
		syslog(prio, "%s", msg);
		break;
	case LOG_TO_STDERR:
		fprintf(stderr, LOG_IDENT ": %s\n", msg);
		break;
	}
	errno = saved;
}

void log_emit(int prio, int err, const char *const *fields,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(prio, err, fields, fmt, ap);
	va_end(ap);
}

void fatal(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, err, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

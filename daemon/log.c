// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "flowname.h"
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

bool log_enabled(int prio)
{
	return prio <= log_max_prio;
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

/* The rate limits of every log_flow() call site: workers share them. */
static pthread_mutex_t flow_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void log_flow_emit(struct ratelimit *rl, int prio, const struct tuple *t,
		   const char *fmt, ...)
{
	char name[FLOW_NAME_MAX], msg[768], a[INET6_ADDRSTRLEN];
	char zone[24], proto[24], src[64], dst[64], sport[24], dport[24];
	const char *fields[] = { zone, proto, src, dst, sport, dport, NULL };
	uint64_t suppressed;
	va_list ap;
	bool pass;

	if (!log_enabled(prio))
		return;
	pthread_mutex_lock(&flow_lock);
	pass = ratelimit_pass(rl, now_ns(), &suppressed);
	pthread_mutex_unlock(&flow_lock);
	if (suppressed)
		log_emit(prio, 0, NULL, "%llu lines like the next were "
			 "suppressed in %u s", (unsigned long long)suppressed,
			 LOG_FLOW_INTERVAL_S);
	if (!pass)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(zone, sizeof(zone), "FLOW_ZONE=%u", t->zone);
	snprintf(proto, sizeof(proto), "FLOW_PROTO=%u", t->proto);
	snprintf(src, sizeof(src), "FLOW_SRC=%s",
		 inet_ntop(t->family, &t->src, a, sizeof(a)) ? a : "");
	snprintf(dst, sizeof(dst), "FLOW_DST=%s",
		 inet_ntop(t->family, &t->dst, a, sizeof(a)) ? a : "");
	snprintf(sport, sizeof(sport), "FLOW_SPORT=%u", t->sport);
	snprintf(dport, sizeof(dport), "FLOW_DPORT=%u", t->dport);
	log_emit(prio, 0, fields, "%s: %s",
		 flow_name(t, name, sizeof(name)), msg);
}

void fatal(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, err, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

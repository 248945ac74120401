/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop: epoll over file descriptors, nothing else. Signals come
 * in through a signalfd and timers through timerfds, so every source is an
 * fd and a handler never runs inside a signal context.
 *
 * Why not sd-event: each NFQUEUE worker thread runs a loop of its own, and
 * the verdict path wants nothing between the socket and its handler that
 * allocates or reorders; twenty lines of epoll serve the main thread and
 * the workers alike, with bounded work per wake-up left to the handlers.
 * libsystemd is still used for what only it does well: sd_notify and the
 * journal.
 */
#ifndef FC_LOOP_H
#define FC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_source;

/* now: CLOCK_MONOTONIC in nanoseconds, read once per wake-up. */
typedef void (*loop_cb)(struct loop_source *src, uint32_t events,
			uint64_t now);

struct loop_source {
	int fd;
	loop_cb cb;
	void *data;
};

struct loop {
	int epfd;
	bool stop;
};

uint64_t loop_now(void);

int loop_init(struct loop *l);
/*
 * Returns 0 or -errno. src must stay valid until loop_del(); a handler may
 * delete and free its own source, never another one (it may still be
 * among the events of the current wake-up).
 */
int loop_add(struct loop *l, struct loop_source *src, int fd,
	     uint32_t events, loop_cb cb, void *data);
int loop_mod(struct loop *l, struct loop_source *src, uint32_t events);
void loop_del(struct loop *l, struct loop_source *src);
/* Runs until loop_stop(); returns 0, or -errno if epoll itself fails. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
void loop_close(struct loop *l);

/*
 * One connection from a listening socket, non-blocking and close-on-exec:
 * its fd, or -EAGAIN when none waits, or another -errno (logged, with
 * what, when it is not a connection that went away meanwhile).
 */
int loop_accept(int listen_fd, const char *what);

/* A periodic CLOCK_MONOTONIC timerfd; returns the fd or -errno. */
int loop_timerfd(uint64_t interval_ns);
/* Read a timerfd's expiry count so it stops being readable. */
void loop_timerfd_ack(int fd);

#endif

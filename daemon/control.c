// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "fcd.h"
#include "log.h"

/* Enough for a person and a few scripts; more are told "busy". */
#define CONTROL_MAX_CLIENTS	16
/* A client that neither completes its request nor reads its reply for
 * this long is dropped, so a stuck one cannot hold a slot for ever. */
#define CONTROL_IDLE_NS		(5ull * 1000000000ull)

struct client {
	struct loop_source src;
	struct control *ctl;
	uint64_t since;
	size_t len;
	char req[CTL_REQ_MAX];
	struct buf reply;
	struct client *next;
};

struct control {
	struct fcd *fcd;
	struct loop_source listen;
	char *path;
	struct client *clients;
	unsigned int n_clients;
	uint64_t rejected;		/* connections refused over the limit */
};

static void client_free(struct client *c)
{
	struct control *ctl = c->ctl;
	struct client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->n_clients--;
	loop_del(&ctl->fcd->loop, &c->src);
	close(c->src.fd);
	buf_free(&c->reply);
	free(c);
}

static void client_reply(struct client *c, enum ctl_code code,
			 const char *msg, const struct buf *body)
{
	ctl_response_header(&c->reply, code, msg);
	if (body && body->len)
		buf_append(&c->reply, body->data, body->len);
	if (c->reply.failed) {
		buf_reset(&c->reply);
		ctl_response_header(&c->reply, CTL_ERROR, "out of memory");
	}
	if (loop_mod(&c->ctl->fcd->loop, &c->src, EPOLLOUT) < 0)
		client_free(c);
}

static void client_run(struct client *c)
{
	struct buf body = BUF_INIT, msg = BUF_INIT;
	char *argv[CTL_MAX_ARGS];
	enum ctl_code code;
	int argc;

	argc = ctl_request_parse(c->req, c->len, argv, CTL_MAX_ARGS);
	if (argc < 0) {
		client_reply(c, CTL_USAGE, argc == -E2BIG ?
			     "too many words in the request" :
			     "malformed request line", NULL);
		return;
	}
	code = cmd_run(c->ctl->fcd, argc, argv, &body, &msg);
	client_reply(c, code, msg.data, &body);
	buf_free(&body);
	buf_free(&msg);
}

static void client_write(struct client *c, uint64_t now)
{
	while (c->reply.len) {
		ssize_t n = send(c->src.fd, c->reply.data, c->reply.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;		/* the client went away: nothing to tell */
		}
		buf_consume(&c->reply, (size_t)n);
		/* a reader that keeps reading is not idle, however slow */
		c->since = now;
	}
	client_free(c);
}

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n = recv(c->src.fd, c->req + c->len,
				 sizeof(c->req) - c->len, MSG_DONTWAIT);
		char *nl;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_free(c);
			return;
		}
		if (n == 0) {
			/* closed before a full line: nothing to answer */
			client_free(c);
			return;
		}
		nl = memchr(c->req + c->len, '\n', (size_t)n);
		c->len += (size_t)n;
		if (nl) {
			c->len = (size_t)(nl - c->req) + 1;
			client_run(c);
			return;
		}
		if (c->len == sizeof(c->req)) {
			client_reply(c, CTL_USAGE, "request line too long", NULL);
			return;
		}
	}
}

static void client_event(struct loop_source *src, uint32_t events,
			 uint64_t now)
{
	struct client *c = src->data;

	if (events & EPOLLOUT)
		client_write(c, now);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

static void control_accept(struct loop_source *src, uint32_t events,
			   uint64_t now)
{
	struct control *ctl = src->data;

	for (;;) {
		struct client *c;
		int fd = loop_accept(src->fd, "control socket");

		if (fd < 0)
			return;
		if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
			static const char busy[] = "1 busy: too many clients\n";

			ctl->rejected++;
			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug("control socket: refusing a client");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->since = now;
		if (loop_add(&ctl->fcd->loop, &c->src, fd, EPOLLIN,
			     client_event, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

void control_stats(const struct control *ctl, unsigned int *clients,
		   uint64_t *rejected)
{
	*clients = ctl->n_clients;
	*rejected = ctl->rejected;
}

void control_tick(struct control *ctl, uint64_t now)
{
	struct client *c;

	/* Not freed here: an event of the client may be pending in this
	 * wake-up (loop.h). Shut down, its own handler reads the end (or
	 * fails to write) and frees it. */
	for (c = ctl->clients; c; c = c->next)
		if (now - c->since > CONTROL_IDLE_NS)
			shutdown(c->src.fd, SHUT_RDWR);
}

/* Whether a daemon answers on path: then it is not ours to remove. */
static bool control_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return used;
}

/* The runtime directory: systemd creates it (RuntimeDirectory=); when
 * started by hand, create the last level so the default path works. */
static int control_mkdir(const char *path)
{
	char *dir = strdup(path), *slash;
	int err = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			err = -errno;
	}
	free(dir);
	return err;
}

int control_open(struct fcd *fcd, struct control **ret)
{
	const struct config *cfg = fcd->cfg;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	mode_t old_mask;
	int fd, err;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", cfg->control.socket);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->fcd = fcd;
	ctl->listen.fd = -1;
	ctl->path = strdup(cfg->control.socket);
	if (!ctl->path) {
		err = -ENOMEM;
		goto fail;
	}
	err = control_mkdir(ctl->path);
	if (err < 0) {
		log_warn(err, "control socket %s: cannot create its folder",
			 ctl->path);
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	ctl->listen.fd = fd;
	if (control_in_use(&sun)) {
		log_err("control socket %s: another flowcached answers there",
			ctl->path);
		err = -EADDRINUSE;
		goto fail;
	}
	unlink(ctl->path);
	/* umask around bind: the file never exists with wider permissions */
	old_mask = umask(0117);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_mask);
	if (err < 0) {
		log_warn(err, "control socket %s: bind", ctl->path);
		goto fail;
	}
	if (cfg->control.group && chown(ctl->path, (uid_t)-1, cfg->control.gid) < 0) {
		err = -errno;
		log_warn(err, "control socket %s: chown to group %s",
			 ctl->path, cfg->control.group);
		goto fail_unlink;
	}
	if (listen(fd, 64) < 0 ||
	    (err = loop_add(&fcd->loop, &ctl->listen, fd, EPOLLIN,
			    control_accept, ctl)) < 0) {
		err = err ? err : -errno;
		log_warn(err, "control socket %s: listen", ctl->path);
		goto fail_unlink;
	}
	*ret = ctl;
	return 0;

fail_unlink:
	unlink(ctl->path);
fail:
	if (ctl->listen.fd >= 0)
		close(ctl->listen.fd);
	free(ctl->path);
	free(ctl);
	return err;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	loop_del(&ctl->fcd->loop, &ctl->listen);
	close(ctl->listen.fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

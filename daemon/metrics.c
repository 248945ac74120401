// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include "addr.h"
#include "config.h"
#include "fcd.h"
#include "httpreq.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"

/* A Prometheus server or two, and people with curl; more are refused. */
#define METRICS_MAX_CLIENTS	16
/* A client that does not complete its request this long after it
 * connected, or stops reading the reply for this long, is dropped. */
#define METRICS_IDLE_NS		(5ull * 1000000000ull)
/* The request line and headers; a scraper sends a few hundred bytes. */
#define METRICS_REQ_MAX		8192
/* Connections taken per wake-up, so a flood of them cannot starve the
 * loop's other sources; the rest wait in the backlog. */
#define METRICS_ACCEPTS		32

struct client {
	struct loop_source src;
	struct metrics *m;
	uint64_t since;
	size_t len;
	char req[METRICS_REQ_MAX];
	struct buf reply;
	bool idle;			/* shut down by metrics_tick() */
	struct client *next;
};

struct metrics {
	struct fcd *fcd;
	struct loop_source listen;	/* fd -1: not listening */
	struct addr_port addr;		/* where, when listening */
	struct client *clients;
	struct metrics_stats st;
};

static void client_free(struct client *c)
{
	struct metrics *m = c->m;
	struct client **pp;

	for (pp = &m->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	m->st.clients--;
	loop_del(&m->fcd->loop, &c->src);
	close(c->src.fd);
	buf_free(&c->reply);
	free(c);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Internal Server Error";
	}
}

/* The whole reply: status line, headers, body. Connection: close, as
 * every connection carries one request. */
static void client_reply(struct client *c, int status)
{
	struct metrics *m = c->m;
	struct buf body = BUF_INIT;
	const char *type = "text/plain; charset=utf-8";

	switch (status) {
	case 200:
		m->st.scrapes++;
		scrape_render(m->fcd, &body);
		type = PROM_CONTENT_TYPE;
		break;
	case 400:
		m->st.bad_request++;
		break;
	case 404:
		m->st.not_found++;
		break;
	case 405:
		m->st.bad_method++;
		break;
	}
	if (body.failed) {
		buf_free(&body);
		status = 500;
		type = "text/plain; charset=utf-8";
	}
	if (status != 200)
		buf_printf(&body, "%d %s\n", status, status_text(status));
	buf_printf(&c->reply, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
		   status, status_text(status), type, body.len,
		   status == 405 ? "Allow: GET\r\n" : "");
	buf_append(&c->reply, body.data, body.len);
	buf_free(&body);
	if (c->reply.failed ||
	    loop_mod(&m->fcd->loop, &c->src, EPOLLOUT) < 0)
		client_free(c);
}

/* The idle clock is not reset here: a request has METRICS_IDLE_NS from
 * the connection to arrive whole, however slowly it trickles in. */
static void client_read(struct client *c)
{
	ssize_t n;
	int status;

	n = recv(c->src.fd, c->req + c->len, sizeof(c->req) - c->len,
		 MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_free(c);
		return;
	}
	if (n == 0) {
		/* closed before a whole request: nobody to answer */
		client_free(c);
		return;
	}
	c->len += (size_t)n;
	status = httpreq_status(c->req, c->len, sizeof(c->req), (size_t)n,
				"/metrics");
	if (status)
		client_reply(c, status);
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
			break;		/* the client went away */
		}
		buf_consume(&c->reply, (size_t)n);
		/* a reader that keeps reading is not idle, however slow */
		c->since = now;
	}
	client_free(c);
}

static void client_event(struct loop_source *src, uint32_t events,
			 uint64_t now)
{
	struct client *c = src->data;

	if (c->reply.len)
		client_write(c, now);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

static void refuse_busy(int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";

	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("metrics: refusing a client");
	close(fd);
}

static void metrics_accept(struct loop_source *src, uint32_t events,
			   uint64_t now)
{
	struct metrics *m = src->data;
	int k;

	/* closed by a reload earlier in this wake-up */
	if (src->fd < 0)
		return;
	for (k = 0; k < METRICS_ACCEPTS; k++) {
		struct client *c;
		int fd = loop_accept(src->fd, "metrics");

		if (fd < 0)
			return;
		if (m->st.clients >= METRICS_MAX_CLIENTS) {
			m->st.busy++;
			refuse_busy(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->m = m;
		c->since = now;
		if (loop_add(&m->fcd->loop, &c->src, fd, EPOLLIN,
			     client_event, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = m->clients;
		m->clients = c;
		m->st.clients++;
	}
}

static int listener_socket(const struct addr_port *ap)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	socklen_t len;
	int fd, one = 1, err;

	memset(&sa, 0, sizeof(sa));
	if (ap->family == AF_INET) {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(ap->port);
		sa.in.sin_addr = ap->addr.v4;
		len = sizeof(sa.in);
	} else {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(ap->port);
		sa.in6.sin6_addr = ap->addr.v6;
		len = sizeof(sa.in6);
	}
	fd = socket(ap->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a restart finds its port free although old connections linger */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, &sa.sa, len) < 0 || listen(fd, METRICS_MAX_CLIENTS) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void listener_close(struct metrics *m)
{
	if (m->listen.fd < 0)
		return;
	loop_del(&m->fcd->loop, &m->listen);
	close(m->listen.fd);
	m->listen.fd = -1;
}

/*
 * Listen on ap instead of where we listen now. Returns 0 or -errno;
 * when ap cannot be bound, the old listener stays.
 */
static int listener_move(struct metrics *m, const struct addr_port *ap)
{
	int fd = listener_socket(ap), err;

	if (fd < 0)
		return fd;
	listener_close(m);
	err = loop_add(&m->fcd->loop, &m->listen, fd, EPOLLIN, metrics_accept,
		       m);
	if (err < 0) {
		close(fd);
		m->listen.fd = -1;
		return err;
	}
	m->addr = *ap;
	return 0;
}

int metrics_open(struct fcd *fcd, struct metrics **ret)
{
	const struct config *cfg = fcd->cfg;
	char where[ADDR_PORT_STRLEN];
	struct metrics *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fcd = fcd;
	m->listen.fd = -1;
	if (cfg->metrics.enabled) {
		addr_port_format(&cfg->metrics.listen, where, sizeof(where));
		err = listener_move(m, &cfg->metrics.listen);
		if (err < 0) {
			log_warn(err, "metrics: cannot listen on %s", where);
			free(m);
			return err;
		}
		log_info("metrics: serving http://%s/metrics", where);
	}
	*ret = m;
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	while (m->clients)
		client_free(m->clients);
	listener_close(m);
	free(m);
}

/*
 * An idle client's socket is shut down, not freed: its event may be
 * among this wake-up's, and only its own handler may free it, which it
 * does on the end of file or the failed send that follow.
 */
void metrics_tick(struct metrics *m, uint64_t now)
{
	struct client *c;

	for (c = m->clients; c; c = c->next) {
		if (!c->idle && now - c->since > METRICS_IDLE_NS) {
			c->idle = true;
			m->st.idle++;
			shutdown(c->src.fd, SHUT_RDWR);
		}
	}
}

static bool same_addr_port(const struct addr_port *a,
			   const struct addr_port *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(&a->addr, &b->addr, a->family == AF_INET ?
		       sizeof(a->addr.v4) : sizeof(a->addr.v6));
}

void metrics_follow(struct metrics *m, struct config *cfg)
{
	char want[ADDR_PORT_STRLEN], had[ADDR_PORT_STRLEN] = "";
	bool on = m->listen.fd >= 0;
	struct addr_port old = m->addr;
	int err;

	if (on)
		addr_port_format(&old, had, sizeof(had));
	if (!cfg->metrics.enabled) {
		if (on)
			log_info("metrics: no longer serving on %s", had);
		listener_close(m);
		return;
	}
	if (on && same_addr_port(&old, &cfg->metrics.listen))
		return;
	addr_port_format(&cfg->metrics.listen, want, sizeof(want));
	err = listener_move(m, &cfg->metrics.listen);
	if (err == -EADDRINUSE && on && old.port == cfg->metrics.listen.port) {
		/* our own listener may hold the port (127.0.0.1:9530 to
		 * 0.0.0.0:9530): let it go first, and take it back if the
		 * new address still cannot be had */
		listener_close(m);
		err = listener_move(m, &cfg->metrics.listen);
		/* whether this worked, too, is m->listen.fd below */
		if (err < 0)
			listener_move(m, &old);
	}
	if (err < 0) {
		on = m->listen.fd >= 0;
		log_warn(err, "metrics: cannot listen on %s; %s%s", want,
			 on ? "still serving on " : "metrics are off", on ?
			 had : "");
		cfg->metrics.enabled = on;
		cfg->metrics.listen = m->addr;
		return;
	}
	log_info("metrics: serving http://%s/metrics", want);
}

void metrics_get_stats(const struct metrics *m, struct metrics_stats *st)
{
	*st = m->st;
}

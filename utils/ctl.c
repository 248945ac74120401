// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ctlmsg.h"

/* The daemon walks its whole table for some answers; give it time. */
#define REPLY_TIMEOUT_S 60

static int ctl_connect(const char *path, struct buf *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		buf_printf(err, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		buf_printf(err, "cannot reach flowcached at %s: %s%s", path,
			   strerror(e), e == ENOENT || e == ECONNREFUSED ?
			   " (is it running?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, struct buf *in)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		if (buf_append(in, chunk, (size_t)n) < 0)
			return -ENOMEM;
	}
}

int ctl_call(const char *path, int argc, char *const argv[],
	     struct ctl_reply *r, struct buf *err)
{
	struct buf req = BUF_INIT;
	const char *msg;
	size_t msglen;
	int fd, rc, hdr;

	buf_reset(&r->msg);
	buf_reset(&r->body);
	rc = ctl_request_format(&req, argc, argv);
	if (rc < 0) {
		buf_free(&req);
		return rc == -ENOMEM ? -EIO : rc;
	}
	fd = ctl_connect(path, err);
	if (fd < 0) {
		buf_free(&req);
		return -EIO;
	}
	rc = send_all(fd, req.data, req.len);
	if (!rc)
		rc = read_all(fd, &r->body);
	close(fd);
	buf_free(&req);
	if (rc < 0) {
		buf_printf(err, "talking to %s: %s", path, strerror(-rc));
		return -EIO;
	}
	hdr = r->body.len ? ctl_response_parse(r->body.data, r->body.len,
					       &r->code, &msg, &msglen) :
			    -EBADMSG;
	if (hdr < 0) {
		buf_printf(err, "%s sent a malformed reply", path);
		return -EIO;
	}
	/* NUL-terminated, "" included */
	buf_append(&r->msg, msg, msglen);
	buf_consume(&r->body, (size_t)hdr);
	if (r->msg.failed || r->body.failed) {
		buf_printf(err, "reading the answer of %s: %s", path,
			   strerror(ENOMEM));
		return -EIO;
	}
	return 0;
}

void ctl_reply_free(struct ctl_reply *r)
{
	buf_free(&r->msg);
	buf_free(&r->body);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowcachectl: sends one command to the daemon's control socket and
 * prints the answer. Exit status: 0 done, 1 the daemon could not do it
 * (or is not running), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "ctlmsg.h"

#define DEFAULT_SOCKET "/run/flowcached/control.sock"
#define REPLY_TIMEOUT_S 60

static const char *const commands[] = {
	"status", "flows", "stats", "zones", "routes", "sids", "reload",
	"flush", NULL
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flowcachectl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
"Ask a running flowcached.\n"
"\n"
"Commands:\n"
"  status    the daemon, its configuration and its reloads\n"
"  reload    check the configuration file again and apply it\n"
"  flows     the flow table (flows [--zone N] [--user NAME])\n"
"  stats     counters\n"
"  zones     flows and caps per zone\n"
"  routes    the routing mirror (routes get DST [from SRC] [mark M]\n"
"            [iif IF] [proto P] [sport N] [dport N]: its answer)\n"
"  sids      L7 stream IDs and their backends\n"
"  flush     drop cached answers so that flows are decided again\n"
"\n"
"Options:\n"
"  -s, --socket PATH  control socket (default: " DEFAULT_SOCKET ")\n"
"  -j, --json         print one JSON document\n"
"  -V, --version      print the version and exit\n"
"  -h, --help         print this help and exit\n"
"\n"
"Exit status: 0 done, 1 the daemon could not do it or is not running,\n"
"2 bad usage. See flowcachectl(8).\n");
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flowcachectl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'flowcachectl --help'.\n");
	return 2;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "flowcachectl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "flowcachectl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;

		fprintf(stderr, "flowcachectl: cannot reach flowcached at %s: "
			"%s%s\n", path, strerror(err),
			err == ENOENT || err == ECONNREFUSED ?
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

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_SOCKET, *msg;
	struct buf req = BUF_INIT, in = BUF_INIT;
	char *words[CTL_MAX_ARGS];
	int c, i, n = 0, fd, err, code, hdr;
	const char *const *cmd;
	bool json = false;
	size_t msglen;

	/* '+': stop at the command, whose own options are the daemon's */
	while ((c = getopt_long(argc, argv, "+s:jVh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'V':
			printf("flowcachectl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'flowcachectl --help'.\n");
			return 2;
		}
	}
	if (optind == argc)
		return usage_error("%s", "no command given");
	for (cmd = commands; *cmd; cmd++)
		if (!strcmp(*cmd, argv[optind]))
			break;
	if (!*cmd)
		return usage_error("unknown command '%s'", argv[optind]);
	if (argc - optind + json > CTL_MAX_ARGS)
		return usage_error("%s", "too many arguments");
	for (i = optind; i < argc; i++)
		words[n++] = argv[i];
	if (json)
		words[n++] = "--json";
	err = ctl_request_format(&req, n, words);
	if (err < 0)
		return usage_error("%s", err == -EINVAL ?
				   "arguments may not be empty or contain "
				   "spaces or control characters" :
				   "the request is too long");

	fd = ctl_connect(path);
	if (fd < 0)
		return 1;
	err = send_all(fd, req.data, req.len);
	if (!err)
		err = read_all(fd, &in);
	close(fd);
	buf_free(&req);
	if (err < 0) {
		fprintf(stderr, "flowcachectl: talking to %s: %s\n", path,
			strerror(-err));
		return 1;
	}
	hdr = in.len ? ctl_response_parse(in.data, in.len, &code, &msg,
					  &msglen) : -EBADMSG;
	if (hdr < 0) {
		fprintf(stderr, "flowcachectl: %s sent a malformed reply\n", path);
		return 1;
	}
	fwrite(in.data + hdr, 1, in.len - (size_t)hdr, stdout);
	if (msglen)
		fprintf(stderr, "flowcachectl: %.*s\n", (int)msglen, msg);
	buf_free(&in);
	if (fflush(stdout) != 0)
		return 1;
	return code;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowcachectl: sends one command to the daemon's control socket and
 * prints the answer; `watch` (utils/watch.c) keeps asking. Exit status:
 * 0 done, 1 the daemon could not do it (or is not running), 2 bad usage.
 * The daemon parses the commands' own options and says which one is
 * wrong; this side knows only the global options, `watch`, and that the
 * flows table should fit the terminal it is printed on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl.h"
#include "ctlmsg.h"
#include "flowcachectl.h"
#include "watch.h"

static const char *const commands[] = {
	"status", "flows", "stats", "zones", "routes", "sids", "reload",
	"flush", "watch", NULL
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
"  flows     the flows that match every filter given, as a table\n"
"            (-l, --long: everything, a line each; --json)\n"
"              --zone N  --proto P  --src ADDR[/LEN]  --dst ADDR[/LEN]\n"
"              --port N[-M]  --user NAME  --sid HEX  --backend NAME\n"
"            --sort age|queued  oldest or most queued packets first\n"
"            --limit N          only the first N\n"
"            --width N          fit the table in N columns (0: any;\n"
"                               default: the terminal's)\n"
"  stats     counters\n"
"  zones     flows and caps per zone\n"
"  routes    the routing mirror (routes get DST [from SRC] [mark M]\n"
"            [iif IF] [proto P] [sport N] [dport N]: its answer)\n"
"  sids      L7 stream IDs and their backends (sids [--zone N])\n"
"  flush     drop cached answers so that flows are decided again\n"
"            (flush [--zone N] [--conntrack])\n"
"  watch     a live view: rates, zones and the top flows, redrawn\n"
"            every second (watch [-n SECONDS] [--sort age|queued]\n"
"            [flows' filters]); q or Ctrl-C quits\n"
"\n"
"Options:\n"
"  -s, --socket PATH  control socket (default: " CTL_DEFAULT_SOCKET ")\n"
"  -j, --json         print one JSON document\n"
"  -V, --version      print the version and exit\n"
"  -h, --help         print this help and exit\n"
"\n"
"Exit status: 0 done, 1 the daemon could not do it or is not running,\n"
"2 bad usage. See flowcachectl(8).\n");
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flowcachectl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'flowcachectl --help'.\n");
	return 2;
}

/* The width of the terminal the flows table goes to; 0: not one, or
 * the table's form or width was chosen. */
static unsigned int table_width(int argc, char *argv[], bool json)
{
	struct winsize ws;
	int i;

	if (json || !isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
		return 0;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-l") ||
		    !strcmp(argv[i], "--long") || !strcmp(argv[i], "--width"))
			return 0;
	return ws.ws_col;
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
	const char *path = CTL_DEFAULT_SOCKET;
	struct ctl_reply r = CTL_REPLY_INIT;
	struct buf err = BUF_INIT;
	char *words[CTL_MAX_ARGS], width[16];
	const char *const *cmd;
	unsigned int cols;
	int c, i, n = 0, rc;
	bool json = false;

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
	argc -= optind;
	argv += optind;
	if (!strcmp(*cmd, "watch")) {
		if (json)
			return usage_error("%s", "watch has no JSON form");
		return watch_main(path, argc, argv);
	}
	cols = strcmp(*cmd, "flows") ? 0 : table_width(argc, argv, json);
	if (argc + json + 2 * (cols > 0) > CTL_MAX_ARGS)
		return usage_error("%s", "too many arguments");
	for (i = 0; i < argc; i++)
		words[n++] = argv[i];
	if (json)
		words[n++] = "--json";
	if (cols) {
		snprintf(width, sizeof(width), "%u", cols);
		words[n++] = "--width";
		words[n++] = width;
	}

	rc = ctl_call(path, n, words, &r, &err);
	if (rc == -EINVAL || rc == -E2BIG)
		return usage_error("%s", rc == -EINVAL ?
				   "arguments may not be empty or contain "
				   "spaces or control characters" :
				   "the request is too long");
	if (rc < 0) {
		fprintf(stderr, "flowcachectl: %s\n", err.data);
		buf_free(&err);
		return 1;
	}
	fwrite(r.body.data, 1, r.body.len, stdout);
	if (r.msg.len)
		fprintf(stderr, "flowcachectl: %s\n", r.msg.data);
	rc = r.code;
	ctl_reply_free(&r);
	if (fflush(stdout) != 0)
		return 1;
	return rc;
}

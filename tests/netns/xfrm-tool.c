// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfrm-tool: daemon/xfrmsync.c alone, on a loop of its own with a
 * once-a-second tick as the daemon's, for tests/netns/xfrmsync.sh. It
 * reads commands on stdin, one a line, and answers each with one line:
 *
 *   lookup in|out|fwd PROTO SRC SPORT DST DPORT
 *       none
 *     | not-modelled index N
 *     | index N priority P block
 *     | index N priority P bypass
 *     | index N priority P esp|ah|comp|PROTO transport|tunnel|MODE
 *         reqid R spi 0xSPI|none
 *   stats
 *       events N dumps N dumps_failed N enobufs N truncated N errors N
 *         skipped N policies N states N
 *
 * PROTO is tcp, udp, icmp or a number. Exits at the end of its input;
 * 1 when the mirror cannot be opened (the reason on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#include "fcd.h"
#include "log.h"
#include "xfrmsync.h"

struct tool {
	struct fcd fcd;
	struct xfrmsync *xs;
	struct loop_source in_src, tick_src;
	int tick_fd;
	char line[1024];
	size_t len;
};

static int proto_of(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "icmp"))
		return IPPROTO_ICMP;
	return atoi(s);
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_COMP:
		return "comp";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

static const char *mode_name(uint8_t m, char *buf, size_t len)
{
	switch (m) {
	case XFRM_MODE_TRANSPORT:
		return "transport";
	case XFRM_MODE_TUNNEL:
		return "tunnel";
	}
	snprintf(buf, len, "%u", m);
	return buf;
}

static bool parse_addr(const char *s, uint8_t *family, union fc_addr *a)
{
	memset(a, 0, sizeof(*a));
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, s, a) == 1;
}

static void lookup(struct tool *tl, char **w, int n)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	struct xfrm_sa_ref r;
	struct tuple t;
	uint8_t f2, dir;
	char b1[16], b2[16];
	bool hit;

	memset(&t, 0, sizeof(t));
	for (dir = 0; dir < 3 && n == 7; dir++)
		if (!strcmp(w[1], dirs[dir]))
			break;
	if (n != 7 || dir == 3 || !parse_addr(w[3], &t.family, &t.src) ||
	    !parse_addr(w[5], &f2, &t.dst) || f2 != t.family) {
		printf("error: lookup in|out|fwd PROTO SRC SPORT DST DPORT\n");
		return;
	}
	t.proto = (uint8_t)proto_of(w[2]);
	t.sport = (uint16_t)atoi(w[4]);
	t.dport = (uint16_t)atoi(w[6]);
	urcu_memb_read_lock();
	hit = xfrmsync_lookup(tl->xs, &t, dir, &r);
	urcu_memb_read_unlock();
	if (!hit)
		printf("none\n");
	else if (r.not_modelled)
		printf("not-modelled index %u\n", r.policy_index);
	else if (r.action == XFRM_POLICY_BLOCK)
		printf("index %u priority %u block\n", r.policy_index,
		       r.policy_priority);
	else if (!r.proto)
		printf("index %u priority %u bypass\n", r.policy_index,
		       r.policy_priority);
	else if (r.has_state)
		printf("index %u priority %u %s %s reqid %u spi 0x%x\n",
		       r.policy_index, r.policy_priority,
		       proto_name(r.proto, b1, sizeof(b1)),
		       mode_name(r.mode, b2, sizeof(b2)), r.reqid, r.spi);
	else
		printf("index %u priority %u %s %s reqid %u spi none\n",
		       r.policy_index, r.policy_priority,
		       proto_name(r.proto, b1, sizeof(b1)),
		       mode_name(r.mode, b2, sizeof(b2)), r.reqid);
}

static void command(struct tool *tl, char *line)
{
	char *w[8], *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t", &save); tok && n < 8;
	     tok = strtok_r(NULL, " \t", &save))
		w[n++] = tok;
	if (!n)
		return;
	if (!strcmp(w[0], "lookup")) {
		lookup(tl, w, n);
	} else if (!strcmp(w[0], "stats")) {
		struct xfrmsync_stats st;

		xfrmsync_get_stats(tl->xs, &st);
		printf("events %llu dumps %llu dumps_failed %llu enobufs %llu "
		       "truncated %llu errors %llu skipped %u policies %u "
		       "states %u\n",
		       (unsigned long long)st.events,
		       (unsigned long long)st.dumps,
		       (unsigned long long)st.dumps_failed,
		       (unsigned long long)st.enobufs,
		       (unsigned long long)st.truncated,
		       (unsigned long long)st.errors, st.skipped, st.policies,
		       st.states);
	} else {
		printf("error: unknown command %s\n", w[0]);
	}
	fflush(stdout);
}

static void on_input(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct tool *tl = src->data;
	ssize_t n = read(0, tl->line + tl->len, sizeof(tl->line) - 1 - tl->len);
	char *nl;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return;
		loop_stop(&tl->fcd.loop);
		return;
	}
	tl->len += (size_t)n;
	tl->line[tl->len] = '\0';
	while ((nl = strchr(tl->line, '\n'))) {
		size_t used = (size_t)(nl - tl->line) + 1;

		*nl = '\0';
		command(tl, tl->line);
		memmove(tl->line, tl->line + used, tl->len - used + 1);
		tl->len -= used;
	}
	if (tl->len == sizeof(tl->line) - 1)
		tl->len = 0;	/* a line too long: dropped */
}

static void on_tick(struct loop_source *src, uint32_t events, uint64_t now)
{
	struct tool *tl = src->data;

	loop_timerfd_ack(tl->tick_fd);
	xfrmsync_tick(tl->xs);
}

int main(void)
{
	static struct tool tl;
	int err;

	log_init(LOG_TO_STDERR, LOG_INFO);
	urcu_memb_register_thread();
	if (loop_init(&tl.fcd.loop) < 0)
		return 1;
	err = xfrmsync_open(&tl.fcd, &tl.xs);
	if (err < 0) {
		log_warn(err, "xfrm-tool: cannot open the IPsec mirror");
		return 1;
	}
	tl.tick_fd = loop_timerfd(1000000000ull);
	if (tl.tick_fd < 0 ||
	    loop_add(&tl.fcd.loop, &tl.tick_src, tl.tick_fd, EPOLLIN, on_tick,
		     &tl) < 0 ||
	    loop_add(&tl.fcd.loop, &tl.in_src, 0, EPOLLIN, on_input, &tl) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	err = loop_run(&tl.fcd.loop);
	loop_del(&tl.fcd.loop, &tl.in_src);
	loop_del(&tl.fcd.loop, &tl.tick_src);
	close(tl.tick_fd);
	xfrmsync_close(tl.xs);
	loop_close(&tl.fcd.loop);
	urcu_memb_unregister_thread();
	return err < 0;
}

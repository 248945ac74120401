// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "ctlmsg.h"

static int ctl_word_ok(const char *w)
{
	if (!*w)
		return 0;
	for (; *w; w++)
		if ((unsigned char)*w <= ' ' || (unsigned char)*w >= 0x7f)
			return 0;
	return 1;
}

int ctl_request_format(struct buf *out, int argc, char *const argv[])
{
	size_t total = 0;
	int i;

	if (argc < 1)
		return -EINVAL;
	if (argc > CTL_MAX_ARGS)
		return -E2BIG;
	for (i = 0; i < argc; i++) {
		if (!ctl_word_ok(argv[i]))
			return -EINVAL;
		total += strlen(argv[i]) + 1;
	}
	if (total > CTL_REQ_MAX)
		return -E2BIG;
	for (i = 0; i < argc; i++) {
		buf_puts(out, argv[i]);
		buf_putc(out, i + 1 < argc ? ' ' : '\n');
	}
	return out->failed ? -ENOMEM : 0;
}

int ctl_request_parse(char *line, size_t len, char *argv[], int max)
{
	size_t i, start = 0;
	int n = 0;

	if (len == 0 || len > CTL_REQ_MAX || line[len - 1] != '\n')
		return -EBADMSG;
	line[len - 1] = '\0';
	for (i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ') {
			if (i == start)
				return -EBADMSG;
			line[i] = '\0';
			if (n == max)
				return -E2BIG;
			argv[n++] = line + start;
			start = i + 1;
		} else if (c < ' ' || c >= 0x7f) {
			return -EBADMSG;
		}
	}
	if (start == len - 1)
		return -EBADMSG;
	if (n == max)
		return -E2BIG;
	argv[n++] = line + start;
	return n;
}

int ctl_response_header(struct buf *out, enum ctl_code code, const char *msg)
{
	/* code, space, message, newline: within what the parser reads */
	size_t room = CTL_REQ_MAX - 3;

	buf_printf(out, "%d", (int)code);
	if (msg && *msg) {
		buf_putc(out, ' ');
		for (; *msg && room; msg++, room--)
			buf_putc(out, *msg == '\n' ? ' ' : *msg);
	}
	buf_putc(out, '\n');
	return out->failed ? -ENOMEM : 0;
}

int ctl_response_parse(const char *data, size_t len, int *code,
		       const char **msg, size_t *msglen)
{
	const char *nl = memchr(data, '\n', len < CTL_REQ_MAX ? len : CTL_REQ_MAX);

	if (!nl)
		return len < CTL_REQ_MAX ? -EAGAIN : -EBADMSG;
	if (nl == data || data[0] < '0' || data[0] > '2')
		return -EBADMSG;
	if (nl - data > 1 && data[1] != ' ')
		return -EBADMSG;
	*code = data[0] - '0';
	*msg = nl - data > 1 ? data + 2 : nl;
	*msglen = (size_t)(nl - *msg);
	return (int)(nl - data + 1);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One hex digit's value, either case; -1 for anything else. */
#ifndef FC_HEX_H
#define FC_HEX_H

static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of flowcachectl share.
 */
#ifndef FC_FLOWCACHECTL_H
#define FC_FLOWCACHECTL_H

/* "flowcachectl: MESSAGE" and a hint on stderr; returns 2, the exit
 * status of bad usage. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

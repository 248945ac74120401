/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket inode -> the process (pid) and descriptor (fd) that hold it:
 * what a walk of /proc/PID/fd found, kept so the next lookup of the same
 * socket does not walk again. Open addressing over inodes, which the
 * kernel hands out in sequence, so a multiplicative hash spreads them.
 * Bounded: past max entries it starts again empty, and the next misses
 * fill it with what is still open.
 */
#ifndef FC_INOMAP_H
#define FC_INOMAP_H

#include <stdint.h>

struct inomap_entry {
	uint32_t inode;			/* 0: free */
	uint32_t pid;			/* 0: its holder is not known */
	uint32_t fd;
};

struct inomap {
	struct inomap_entry *v;
	uint32_t mask;			/* slots - 1 */
	uint32_t n;			/* entries in use */
	uint32_t max;			/* most entries kept */
};

/* max: the most entries kept, at least 1. Returns 0 or -ENOMEM. */
int inomap_init(struct inomap *m, uint32_t max);
void inomap_free(struct inomap *m);
void inomap_clear(struct inomap *m);

/* Enter (or replace) inode's holder; inode 0 is ignored. 0 or -ENOMEM
 * (the map is left as it was). */
int inomap_put(struct inomap *m, uint32_t inode, uint32_t pid, uint32_t fd);

/* NULL when inode is not in the map. */
const struct inomap_entry *inomap_get(const struct inomap *m, uint32_t inode);

#endif

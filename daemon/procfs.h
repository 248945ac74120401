/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The processes behind sockets, from /proc and the cgroup v2 tree: which
 * process holds a socket inode, its comm and gid, and a cgroup id's
 * path. sock_diag names a socket's inode, uid and cgroup id but not its
 * process; only the descriptors in /proc/PID/fd link the two, and
 * walking them is the slow path, done when the inode map (lib/inomap.h)
 * does not know an inode, and remembered for every socket seen on the
 * way. Any thread; one mutex.
 */
#ifndef FC_PROCFS_H
#define FC_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtable.h"

struct procfs;

struct procfs_stats {
	uint64_t scans;			/* walks of /proc (map misses) */
	uint64_t cache_hits;		/* the map knew, and still true */
	uint64_t stale;			/* the map knew, no longer true */
	uint64_t cgroup_walks;		/* walks of the cgroup tree */
	uint32_t inodes;		/* in the map */
};

/* Returns 0 or -errno. Without a cgroup v2 mount cgroup paths are
 * unknown; that is logged once, not an error. */
int procfs_open(struct procfs **ret);
void procfs_close(struct procfs *p);

/*
 * The process holding socket inode, created by uid (that user's
 * processes are walked first): o->pid, o->comm and, with
 * FLOW_OWNER_GID, o->gid. False when no process holds it (it closed, or
 * only the kernel does); o is then left as it was.
 */
bool procfs_owner(struct procfs *p, uint32_t inode, uint32_t uid,
		  struct flow_owner *o);

/*
 * A socket's cgroup v2 path below the root ("/" for the root itself),
 * from its id; false when unknown. Without a cgroup v2 mount to search,
 * the cgroup process pid (its holder) is in now stands in for it.
 */
bool procfs_cgroup_path(struct procfs *p, uint64_t id, uint32_t pid,
			char *buf, size_t size);

void procfs_get_stats(struct procfs *p, struct procfs_stats *st);

#endif

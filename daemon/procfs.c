// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inomap.h"
#include "log.h"
#include "procfs.h"

/* Sockets remembered: the map starts again empty past this many. */
#define INODES_MAX	(1u << 20)
#define CGROUP_CACHE	64
#define CGROUP_PATH_MAX	256
#define CGROUP_DEPTH	32

struct cgroup_name {
	uint64_t id;
	char path[CGROUP_PATH_MAX];
};

struct procfs {
	pthread_mutex_t lock;
	struct inomap inodes;
	int cgroup_fd;			/* the cgroup v2 root; -1: none */
	struct cgroup_name cg[CGROUP_CACHE];
	unsigned int cg_next;
	struct procfs_stats st;
};

/* "socket:[123]" -> 123; 0 for any other link */
static uint32_t socket_inode(const char *link)
{
	unsigned long v;
	char *end;

	if (strncmp(link, "socket:[", 8))
		return 0;
	v = strtoul(link + 8, &end, 10);
	return *end == ']' && v <= UINT32_MAX ? (uint32_t)v : 0;
}

static bool holds(uint32_t pid, uint32_t fd, uint32_t inode)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/fd/%" PRIu32, pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return socket_inode(link) == inode;
}

/* Every socket of process pid into the map; true when one is inode. */
static bool scan_process(struct procfs *p, int proc_fd, const char *pid_s,
			 uint32_t pid, uint32_t inode)
{
	const struct inomap_entry *e;
	char path[NAME_MAX + 8], link[64];
	struct dirent *de;
	bool found = false;
	uint32_t ino;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", pid_s);
	fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;		/* gone, or a kernel thread */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		ino = socket_inode(link);
		if (!ino)
			continue;
		/* the first holder found stays: a walk sees lower pids
		 * first, the parent of a forked server before its child */
		e = inomap_get(&p->inodes, ino);
		if ((!e || !e->pid) &&
		    inomap_put(&p->inodes, ino, pid,
			       (uint32_t)strtoul(de->d_name, NULL, 10)) < 0)
			continue;
		found |= ino == inode;
	}
	closedir(d);
	return found;
}

/*
 * Walk /proc for the holder of inode, the processes running as uid
 * first (sockets are nearly always used by the user who made them),
 * then the rest. Returns its pid, 0 when none.
 */
static uint32_t scan(struct procfs *p, uint32_t inode, uint32_t uid)
{
	const struct inomap_entry *e;
	struct dirent *de;
	struct stat st;
	int pass, proc_fd;
	uint32_t pid;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	proc_fd = dirfd(d);
	p->st.scans++;
	for (pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			if (!isdigit((unsigned char)de->d_name[0]) ||
			    fstatat(proc_fd, de->d_name, &st, 0) < 0 ||
			    (st.st_uid == uid) != (pass == 0))
				continue;
			pid = (uint32_t)strtoul(de->d_name, NULL, 10);
			if (scan_process(p, proc_fd, de->d_name, pid, inode))
				goto found;
		}
	}
	closedir(d);
	return 0;
found:
	closedir(d);
	e = inomap_get(&p->inodes, inode);
	return e ? e->pid : 0;
}

static bool read_comm(uint32_t pid, char comm[16])
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, 15);
	close(fd);
	if (n <= 0)
		return false;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return true;
}

bool procfs_owner(struct procfs *p, uint32_t inode, uint32_t uid,
		  struct flow_owner *o)
{
	const struct inomap_entry *e;
	char comm[16], path[32];
	struct stat st;
	uint32_t pid = 0;

	if (!inode)
		return false;
	pthread_mutex_lock(&p->lock);
	e = inomap_get(&p->inodes, inode);
	if (e && e->pid && holds(e->pid, e->fd, inode)) {
		p->st.cache_hits++;
		pid = e->pid;
	} else {
		if (e && e->pid) {
			/* closed by that process, or passed on: the walk
			 * finds who holds it now */
			p->st.stale++;
			inomap_put(&p->inodes, inode, 0, 0);
		}
		pid = scan(p, inode, uid);
	}
	pthread_mutex_unlock(&p->lock);
	/* the process may have gone since: then it is no owner */
	snprintf(path, sizeof(path), "/proc/%" PRIu32, pid);
	if (!pid || !read_comm(pid, comm) || stat(path, &st) < 0)
		return false;
	o->pid = pid;
	memcpy(o->comm, comm, sizeof(o->comm));
	o->gid = (uint32_t)st.st_gid;
	o->flags |= FLOW_OWNER_GID;
	return true;
}

/* --- cgroups ----------------------------------------------------------- */

/* Depth first below dir (whose path is path[0..len)) for the directory
 * whose inode is id: cgroup v2 ids are the kernfs inode numbers. */
static bool cg_find(int dir, uint64_t id, char *path, size_t len,
		    size_t size, int depth)
{
	struct dirent *de;
	struct stat st;
	bool found = false;
	size_t n;
	DIR *d;
	int fd = dup(dir), sub;

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		n = strlen(de->d_name);
		if (len + 1 + n >= size ||
		    fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, n + 1);
		if ((uint64_t)st.st_ino == id) {
			found = true;
			break;
		}
		if (depth >= CGROUP_DEPTH)
			continue;
		sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY |
			     O_CLOEXEC);
		if (sub < 0)
			continue;
		found = cg_find(sub, id, path, len + 1 + n, size, depth + 1);
		close(sub);
	}
	closedir(d);
	if (!found)
		path[len] = '\0';
	return found;
}

/* The cgroup v2 path pid is in now: the "0::" line of /proc/PID/cgroup. */
static bool process_cgroup(uint32_t pid, char *buf, size_t size)
{
	char path[48], line[512];
	bool found = false;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		n = strcspn(line + 3, "\n");
		line[3 + n] = '\0';
		found = n < size;
		if (found)
			memcpy(buf, line + 3, n + 1);
	}
	fclose(f);
	return found;
}

bool procfs_cgroup_path(struct procfs *p, uint64_t id, uint32_t pid,
			char *buf, size_t size)
{
	struct cgroup_name *c;
	struct stat st;
	bool found;
	unsigned int i;

	if (p->cgroup_fd < 0)
		return pid && process_cgroup(pid, buf, size);
	if (!id || size < 2)
		return false;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < CGROUP_CACHE; i++)
		if (p->cg[i].id == id) {
			found = snprintf(buf, size, "%s", p->cg[i].path) <
				(int)size;
			pthread_mutex_unlock(&p->lock);
			return found;
		}
	p->st.cgroup_walks++;
	if (fstat(p->cgroup_fd, &st) == 0 && (uint64_t)st.st_ino == id) {
		snprintf(buf, size, "/");
		found = true;
	} else {
		buf[0] = '\0';
		found = cg_find(p->cgroup_fd, id, buf, 0, size, 0);
	}
	if (found && strlen(buf) < CGROUP_PATH_MAX) {
		/* a removed cgroup's id is never reused: no staleness */
		c = &p->cg[p->cg_next++ % CGROUP_CACHE];
		c->id = id;
		memcpy(c->path, buf, strlen(buf) + 1);
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

/*
 * The cgroup v2 mount: ours, else init's through /proc/1/root, which
 * reaches it from a mount namespace without one (as `ip netns exec`
 * makes, remounting /sys) where we may. Its mount point is the fifth
 * field of a mountinfo line whose type, after " - ", is cgroup2.
 */
static int open_cgroup_root(const char *mountinfo, const char *prefix)
{
	char line[1024], mnt[PATH_MAX], path[PATH_MAX + 16];
	const char *sep;
	int fd = -1;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, mnt);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	fclose(f);
	return fd;
}

int procfs_open(struct procfs **ret)
{
	struct procfs *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (inomap_init(&p->inodes, INODES_MAX) < 0) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->cgroup_fd = open_cgroup_root("/proc/self/mountinfo", "");
	if (p->cgroup_fd < 0)
		p->cgroup_fd = open_cgroup_root("/proc/1/mountinfo",
						"/proc/1/root");
	if (p->cgroup_fd < 0)
		log_info("owners: no cgroup v2 mount here; cgroups are "
			 "those of the owning processes (/proc/PID/cgroup)");
	*ret = p;
	return 0;
}

void procfs_close(struct procfs *p)
{
	if (!p)
		return;
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	inomap_free(&p->inodes);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void procfs_get_stats(struct procfs *p, struct procfs_stats *st)
{
	pthread_mutex_lock(&p->lock);
	*st = p->st;
	st->inodes = p->inodes.n;
	pthread_mutex_unlock(&p->lock);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowcachectl watch: the live view (utils/watch.c).
 */
#ifndef FC_WATCH_H
#define FC_WATCH_H

/* "watch [OPTIONS]" with argv[0] "watch", against the daemon at path;
 * returns flowcachectl's exit status. */
int watch_main(const char *path, int argc, char *argv[]);

#endif

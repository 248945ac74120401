// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ruleset-tool: drives daemon/ruleset.c alone, for tests/netns/ruleset.sh.
 *
 *   ruleset-tool apply CONFIG    install or replace table inet flowcached
 *   ruleset-tool remove          delete it (absent is fine)
 *
 * Prints the queue backend on success; exits 0, or 1 with the reason
 * logged to stderr, or 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "ruleset.h"

static int load(const char *path, struct config **cfg)
{
	struct config_errors errs = { 0 };
	struct buf out = BUF_INIT;
	size_t i;
	int ret;

	ret = config_load(path, cfg, &errs);
	for (i = 0; i < errs.n; i++) {
		buf_reset(&out);
		config_error_format(&errs.v[i], &out);
		fprintf(stderr, "%s\n", out.len ? out.data : "");
	}
	buf_free(&out);
	config_errors_free(&errs);
	return ret;
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct ruleset *rs = NULL;
	int ret;

	if (!(argc == 3 && !strcmp(argv[1], "apply")) &&
	    !(argc == 2 && !strcmp(argv[1], "remove"))) {
		fprintf(stderr, "usage: ruleset-tool apply CONFIG | remove\n");
		return 2;
	}
	log_init(LOG_TO_STDERR, LOG_DEBUG);
	if (argc == 3 && load(argv[2], &cfg) < 0)
		return 1;
	ret = ruleset_open(&rs);
	if (ret < 0) {
		log_warn(ret, "ruleset-tool: cannot open the nf_tables socket");
		goto out;
	}
	ret = cfg ? ruleset_apply(rs, cfg) : ruleset_remove(rs);
	if (ret == 0 && cfg)
		printf("backend: %s\n", ruleset_queue_backend(rs));
out:
	ruleset_close(rs);
	config_free(cfg);
	return ret < 0 ? 1 : 0;
}

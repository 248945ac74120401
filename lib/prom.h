/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Prometheus text exposition format (version 0.0.4) into a struct
 * buf: a family's HELP and TYPE lines, then its samples, one a line,
 * "name{label="value",...} value". Label values and help texts are
 * escaped as the format wants (backslash, double quote, newline), so a
 * zone name from the config cannot break the output. Durations are
 * written in seconds, exactly, from integer nanoseconds.
 *
 * Labels are passed as a NULL-terminated list of name, value pairs,
 * (const char *[]){ "zone", "10", NULL }, or NULL for none; names are
 * the caller's constants and are written as they are.
 */
#ifndef FC_PROM_H
#define FC_PROM_H

#include <stdint.h>

#include "buf.h"
#include "hist.h"

/* Content-Type of a page in this format. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
};

/* "# HELP name help" and "# TYPE name type": once, before the samples. */
void prom_family(struct buf *out, const char *name, enum prom_type type,
		 const char *help);

void prom_uint(struct buf *out, const char *name, const char *const *labels,
	       uint64_t v);
/* NaN and infinities as the format spells them. */
void prom_double(struct buf *out, const char *name,
		 const char *const *labels, double v);
/* ns nanoseconds as seconds: 1500 -> 0.0000015. */
void prom_seconds(struct buf *out, const char *name,
		  const char *const *labels, uint64_t ns);

/* A family of one sample without labels. */
void prom_counter(struct buf *out, const char *name, const char *help,
		  uint64_t v);
void prom_gauge(struct buf *out, const char *name, const char *help,
		uint64_t v);

/*
 * The samples of a histogram family name: name_bucket{...,le="B"} for
 * each bound B in seconds, cumulative, then le="+Inf", name_sum in
 * seconds and name_count. h is a private copy (see hist_merge()).
 */
void prom_hist(struct buf *out, const char *name, const char *const *labels,
	       const struct hist *h);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "prom.h"

static const char *const type_names[] = {
	[PROM_COUNTER] = "counter",
	[PROM_GAUGE] = "gauge",
	[PROM_HISTOGRAM] = "histogram",
};

/* Backslash and newline always; the double quote in label values only
 * (a help text may carry it as it is). */
static void escape(struct buf *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else if (*s == '"' && quote)
			buf_puts(out, "\\\"");
		else
			buf_putc(out, *s);
	}
}

void prom_family(struct buf *out, const char *name, enum prom_type type,
		 const char *help)
{
	buf_printf(out, "# HELP %s ", name);
	escape(out, help, false);
	buf_printf(out, "\n# TYPE %s %s\n", name, type_names[type]);
}

/* name{labels,key="value"} and the space before the value; key may be
 * NULL. */
static void sample_start(struct buf *out, const char *name, const char *suffix,
			 const char *const *labels, const char *key,
			 const char *value)
{
	const char *sep = "{";

	buf_puts(out, name);
	buf_puts(out, suffix);
	for (; labels && labels[0] && labels[1]; labels += 2) {
		buf_printf(out, "%s%s=\"", sep, labels[0]);
		escape(out, labels[1], true);
		buf_putc(out, '"');
		sep = ",";
	}
	if (key) {
		buf_printf(out, "%s%s=\"", sep, key);
		escape(out, value, true);
		buf_putc(out, '"');
		sep = ",";
	}
	buf_puts(out, sep[0] == ',' ? "} " : " ");
}

/* Seconds in decimal, no trailing zeros: "0.000001", "1.5", "2". */
static void format_seconds(char *s, size_t size, uint64_t ns)
{
	int n = snprintf(s, size, "%" PRIu64 ".%09" PRIu64,
			 ns / 1000000000u, ns % 1000000000u);

	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
}

void prom_uint(struct buf *out, const char *name, const char *const *labels,
	       uint64_t v)
{
	sample_start(out, name, "", labels, NULL, NULL);
	buf_printf(out, "%" PRIu64 "\n", v);
}

void prom_double(struct buf *out, const char *name,
		 const char *const *labels, double v)
{
	sample_start(out, name, "", labels, NULL, NULL);
	if (isnan(v))
		buf_puts(out, "NaN\n");
	else if (isinf(v))
		buf_puts(out, v > 0 ? "+Inf\n" : "-Inf\n");
	else
		buf_printf(out, "%.9g\n", v);
}

void prom_seconds(struct buf *out, const char *name,
		  const char *const *labels, uint64_t ns)
{
	char s[32];

	format_seconds(s, sizeof(s), ns);
	sample_start(out, name, "", labels, NULL, NULL);
	buf_printf(out, "%s\n", s);
}

void prom_counter(struct buf *out, const char *name, const char *help,
		  uint64_t v)
{
	prom_family(out, name, PROM_COUNTER, help);
	prom_uint(out, name, NULL, v);
}

void prom_gauge(struct buf *out, const char *name, const char *help,
		uint64_t v)
{
	prom_family(out, name, PROM_GAUGE, help);
	prom_uint(out, name, NULL, v);
}

void prom_hist(struct buf *out, const char *name, const char *const *labels,
	       const struct hist *h)
{
	uint64_t n = 0;
	unsigned int i;
	char le[32];

	for (i = 0; i < HIST_BOUNDS; i++) {
		n += h->bucket[i];
		format_seconds(le, sizeof(le), hist_bound_ns(i));
		sample_start(out, name, "_bucket", labels, "le", le);
		buf_printf(out, "%" PRIu64 "\n", n);
	}
	n += h->bucket[HIST_BOUNDS];
	sample_start(out, name, "_bucket", labels, "le", "+Inf");
	buf_printf(out, "%" PRIu64 "\n", n);
	format_seconds(le, sizeof(le), h->sum_ns);
	sample_start(out, name, "_sum", labels, NULL, NULL);
	buf_printf(out, "%s\n", le);
	sample_start(out, name, "_count", labels, NULL, NULL);
	buf_printf(out, "%" PRIu64 "\n", n);
}

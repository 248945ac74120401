/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Growable byte buffer. Output of the control socket and of every text
 * or JSON renderer is built here before it is written anywhere, so a
 * renderer never does I/O and an allocation failure is reported once, at
 * the end, instead of after every append: the first failure makes the
 * buffer sticky-failed and later appends are no-ops.
 */
#ifndef FC_BUF_H
#define FC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;		/* always NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	bool failed;		/* an append ran out of memory */
};

#define BUF_INIT { NULL, 0, 0, false }

/* Each append returns 0, or -ENOMEM and marks the buffer failed. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Forget the contents but keep the memory. */
void buf_reset(struct buf *b);
/* Drop the first n bytes (after a partial write). */
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

/*
 * Room for element n of the array *v of *cap elements of size bytes:
 * doubles it (from 256) when full. Returns false, *v untouched, when
 * memory runs out.
 */
bool array_grow(void **v, size_t *cap, size_t n, size_t size);

#endif

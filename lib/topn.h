/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The N best of a stream of items, each a key and a rendered text
 * (`flows --sort queued --limit N`): a bounded min-heap whose root is
 * the worst item kept, so an item that cannot make it costs one
 * comparison and no rendering, and memory stays N items however long
 * the stream. Best is the larger key; among equal keys, the earlier.
 * Without a limit it keeps everything, and sorting is a heapsort.
 */
#ifndef FC_TOPN_H
#define FC_TOPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct topn_item {
	uint64_t key;
	uint64_t seq;		/* arrival order, for ties */
	struct buf text;
};

struct topn {
	struct topn_item *v;	/* a heap until topn_sort(), then sorted */
	size_t n, cap;
	size_t limit;		/* 0: no limit */
	uint64_t seq;
};

void topn_init(struct topn *t, size_t limit);
void topn_free(struct topn *t);

/* Whether an item with key would be kept now. */
bool topn_wants(const struct topn *t, uint64_t key);

/*
 * Keep text with key when it makes the cut. text's contents move into
 * t; text comes back empty, holding the memory of the item that fell
 * out (if any) for the caller's next item. Returns 1 kept, 0 not kept
 * (text untouched), -ENOMEM (text untouched).
 */
int topn_add(struct topn *t, uint64_t key, struct buf *text);

/* Order the items best first, in t->v[0..n). No topn_add() after it. */
void topn_sort(struct topn *t);

#endif

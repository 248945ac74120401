// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>

#include "topn.h"

void topn_init(struct topn *t, size_t limit)
{
	*t = (struct topn){ .limit = limit };
}

void topn_free(struct topn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		buf_free(&t->v[i].text);
	free(t->v);
	*t = (struct topn){ 0 };
}

/* a is worse than b: it leaves first */
static bool worse(const struct topn_item *a, const struct topn_item *b)
{
	return a->key < b->key || (a->key == b->key && a->seq > b->seq);
}

static void swap(struct topn_item *a, struct topn_item *b)
{
	struct topn_item tmp = *a;

	*a = *b;
	*b = tmp;
}

static void sift_up(struct topn_item *v, size_t i)
{
	while (i > 0 && worse(&v[i], &v[(i - 1) / 2])) {
		swap(&v[i], &v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct topn_item *v, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && worse(&v[l], &v[m]))
			m = l;
		if (r < n && worse(&v[r], &v[m]))
			m = r;
		if (m == i)
			return;
		swap(&v[i], &v[m]);
		i = m;
	}
}

bool topn_wants(const struct topn *t, uint64_t key)
{
	/* a newcomer loses ties: it arrived later */
	return !t->limit || t->n < t->limit || key > t->v[0].key;
}

int topn_add(struct topn *t, uint64_t key, struct buf *text)
{
	struct topn_item item = { .key = key, .seq = t->seq, .text = *text };

	if (!topn_wants(t, key))
		return 0;
	if (t->limit && t->n == t->limit) {
		*text = t->v[0].text;
		buf_reset(text);
		t->v[0] = item;
		sift_down(t->v, t->n, 0);
	} else {
		if (!array_grow((void **)&t->v, &t->cap, t->n, sizeof(*t->v)))
			return -ENOMEM;
		t->v[t->n] = item;
		sift_up(t->v, t->n++);
		*text = (struct buf)BUF_INIT;
	}
	t->seq++;
	return 1;
}

void topn_sort(struct topn *t)
{
	size_t n;

	/* the worst goes last, then the worst of the rest before it */
	for (n = t->n; n > 1; n--) {
		swap(&t->v[0], &t->v[n - 1]);
		sift_down(t->v, n - 1, 0);
	}
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * L7 stream IDs (see l7.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/system.h>

#include "ctsync.h"
#include "fcd.h"
#include "flowtable.h"
#include "l7.h"
#include "log.h"
#include "loop.h"
#include "maglev.h"
#include "sidmap.h"
#include "sidtable.h"
#include "streamid.h"

/* sids decided between two batches of verdicts: one per packet at most */
#define PENDING_MAX	256
#define SIDS_MAX	(1u << 22)

struct l7 {
	struct fcd *fcd;
	pthread_mutex_t lock;
	struct sidtable *sids;		/* under lock */
	unsigned long gen;		/* config the backend indexes are of */
	struct sidmap *sm;		/* the main thread's */
	_Atomic uint64_t st[sizeof(struct l7_stats) / sizeof(uint64_t)];
};

struct l7_worker {
	struct l7 *l;
	struct sidmap *sm;
	size_t n;
	struct sidmap_elem pending[PENDING_MAX];
};

#define LSTAT_ADD(l, field, v) atomic_fetch_add_explicit(		\
	&(l)->st[offsetof(struct l7_stats, field) / sizeof(uint64_t)],	\
	(v), memory_order_relaxed)
#define LSTAT_INC(l, field) LSTAT_ADD(l, field, 1)

static uint64_t now_s(void)
{
	return loop_now() / 1000000000u;
}

int l7_open(struct fcd *fcd, struct l7 **ret)
{
	struct l7 *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->fcd = fcd;
	l->gen = fcd->cfg->generation;
	pthread_mutex_init(&l->lock, NULL);
	l->sids = sidtable_new(SIDS_MAX, fcd_random);
	err = l->sids ? sidmap_open(&l->sm) : -ENOMEM;
	if (err < 0) {
		l7_close(l);
		return err;
	}
	*ret = l;
	return 0;
}

void l7_close(struct l7 *l)
{
	if (!l)
		return;
	sidmap_close(l->sm);
	sidtable_free(l->sids);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct l7_worker *l7_worker_new(struct l7 *l)
{
	struct l7_worker *lw = calloc(1, sizeof(*lw));
	int err;

	if (!lw)
		return NULL;
	lw->l = l;
	err = sidmap_open(&lw->sm);
	if (err < 0) {
		free(lw);
		errno = -err;
		return NULL;
	}
	return lw;
}

void l7_worker_free(struct l7_worker *lw)
{
	if (!lw)
		return;
	sidmap_close(lw->sm);
	free(lw);
}

static void key_of(struct sid_key *k, uint16_t zone,
		   const struct stream_id *sid)
{
	memset(k, 0, sizeof(*k));
	k->zone = zone;
	k->len = sid->len;
	memcpy(k->b, sid->b, sid->len);
}

static uint16_t pick(const struct l7_conf *l7, const uint8_t *b, uint8_t len)
{
	return (uint16_t)maglev_pick(l7->maglev, maglev_hash(b, len));
}

static struct sidmap_elem elem_of(const struct sid_key *k, uint32_t mark,
				  uint32_t idle_timeout)
{
	struct sidmap_elem e = {
		.zone = k->zone, .len = k->len, .mark = mark,
		.timeout_ms = (uint64_t)idle_timeout * 1000,
	};

	memcpy(e.sid, k->b, k->len);
	return e;
}

/*
 * The backend of sid: the one it has, or Maglev's for a new one. A
 * config the table's indexes are not of yet (a reload in between) gets
 * Maglev's answer and leaves the table alone.
 */
static uint16_t backend_for(struct l7 *l, const struct config *cfg,
			    const struct zone_conf *z,
			    const struct stream_id *sid)
{
	struct sid_key k;
	struct sid_entry *e;
	uint16_t idx;

	key_of(&k, z->id, sid);
	pthread_mutex_lock(&l->lock);
	if (l->gen != cfg->generation) {
		pthread_mutex_unlock(&l->lock);
		return pick(&z->l7, sid->b, sid->len);
	}
	e = sidtable_get(l->sids, &k);
	if (e) {
		LSTAT_INC(l, known_sids);
	} else {
		LSTAT_INC(l, new_sids);
		e = sidtable_add(l->sids, &k, pick(&z->l7, sid->b, sid->len),
				 now_s());
		if (!e) {
			LSTAT_INC(l, table_full);
			idx = pick(&z->l7, sid->b, sid->len);
			pthread_mutex_unlock(&l->lock);
			return idx;
		}
	}
	e->flows++;
	e->packets++;
	e->last_seen = now_s();
	idx = e->backend;
	pthread_mutex_unlock(&l->lock);
	return idx;
}

enum l7_verdict l7_classify(struct l7_worker *lw, const struct config *cfg,
			    const struct zone_conf *z,
			    const struct pkt_info *pi, const uint8_t *data,
			    uint32_t queued, struct stream_id *sid,
			    const struct l7_backend **backend)
{
	const struct l7_conf *l7 = &z->l7;
	struct l7 *l = lw->l;
	enum streamid_dir dir;
	struct sid_key k;
	uint16_t idx;

	dir = streamid_applies(l7, &pi->tuple);
	if (dir == STREAMID_NONE)
		return L7_NONE;
	if (dir == STREAMID_SERVER || !streamid_read(l7, pi, data, sid)) {
		/* a TCP flow's handshake carries no payload, and its
		 * server's packets no sid */
		if (l7->proto == IPPROTO_TCP && queued < z->decide_after) {
			LSTAT_INC(l, waiting);
			return L7_WAIT;
		}
		if (dir == STREAMID_CLIENT &&
		    (pi->payload_len || l7->proto != IPPROTO_TCP))
			LSTAT_INC(l, short_payload);
		LSTAT_INC(l, fallback);
		return L7_FALLBACK;
	}
	idx = backend_for(l, cfg, z, sid);
	if (idx >= l7->n_backends) {
		LSTAT_INC(l, fallback);
		return L7_FALLBACK;
	}
	*backend = &l7->backends[idx];
	LSTAT_INC(l, decisions);
	if (log_enabled(LOG_DEBUG)) {
		char hex[2 * SID_MAX_LEN + 1];

		streamid_hex(sid, hex);
		log_flow(LOG_DEBUG, &pi->tuple, "stream ID %s: backend %s",
			 hex, (*backend)->name);
	}
	if (lw->n < PENDING_MAX) {
		key_of(&k, z->id, sid);
		lw->pending[lw->n++] = elem_of(&k, (*backend)->mark |
					       cfg->marks.decided,
					       l7->idle_timeout);
	} else {
		LSTAT_INC(l, map_errors);
	}
	return L7_SID;
}

static void put_elems(struct l7 *l, struct sidmap *sm,
		      const struct sidmap_elem *e, size_t n)
{
	int rc = sidmap_put(sm, e, n);

	if (rc < 0) {
		LSTAT_ADD(l, map_errors, n);
		log_warn(rc, "l7: cannot put %zu stream IDs into the kernel "
			 "maps", n);
		return;
	}
	LSTAT_ADD(l, map_adds, n - (size_t)rc);
	LSTAT_ADD(l, map_errors, (size_t)rc);
}

void l7_worker_run(struct l7_worker *lw)
{
	if (!lw->n)
		return;
	put_elems(lw->l, lw->sm, lw->pending, lw->n);
	lw->n = 0;
}

/* --- housekeeping -------------------------------------------------------- */

/* zone id of cfg, when it has stream IDs */
static const struct zone_conf *zone_of(const struct config *cfg, uint16_t id)
{
	const struct zone_conf *z = zone_find(cfg->zones, cfg->n_zones, id);

	return z && z->l7.proto ? z : NULL;
}

struct expire_ctx {
	struct l7 *l;
	const struct config *cfg;
};

/* a zone that lost its stream IDs keeps them a second at most */
static uint32_t expire_idle(void *ctx, uint16_t zone)
{
	const struct zone_conf *z = zone_of(((struct expire_ctx *)ctx)->cfg,
					    zone);

	return z ? z->l7.idle_timeout : 1;
}

static void expire_gone(void *ctx, const struct sid_entry *e)
{
	(void)e;
	LSTAT_INC(((struct expire_ctx *)ctx)->l, expired);
}

void l7_tick(struct l7 *l)
{
	struct expire_ctx x = { .l = l, .cfg = l->fcd->cfg };

	pthread_mutex_lock(&l->lock);
	sidtable_expire(l->sids, now_s(), expire_idle, expire_gone, &x);
	pthread_mutex_unlock(&l->lock);
}

const struct l7_backend *l7_backend_of(const struct config *cfg,
				       uint16_t zone, uint32_t mark)
{
	const struct zone_conf *z = zone_of(cfg, zone);
	uint32_t bits = mark & cfg->marks.mask & ~cfg->marks.decided;
	size_t i;

	for (i = 0; z && i < z->l7.n_backends; i++)
		if (z->l7.backends[i].mark == bits)
			return &z->l7.backends[i];
	return NULL;
}

/* --- reload ------------------------------------------------------------------ */

struct reload_walk {
	struct l7 *l;
	const struct config *old, *cfg;
	struct sidtable *moved;		/* sids whose backend changed */
	struct sidmap_elem *elems;	/* every sid, for the new maps */
	size_t n, cap;
	struct sid_key *gone;		/* sids of zones without l7 now */
	size_t n_gone, cap_gone;
	bool no_memory;
};

static bool reload_one(struct sid_entry *e, void *arg)
{
	struct reload_walk *w = arg;
	const struct zone_conf *zo = zone_of(w->old, e->key.zone);
	const struct zone_conf *zn = zone_of(w->cfg, e->key.zone);
	const char *name = zo && e->backend < zo->l7.n_backends ?
			   zo->l7.backends[e->backend].name : NULL;
	size_t i;

	if (!zn) {
		if (array_grow((void **)&w->gone, &w->cap_gone, w->n_gone,
			 sizeof(*w->gone)))
			w->gone[w->n_gone++] = e->key;
		else
			w->no_memory = true;
		return true;
	}
	for (i = 0; name && i < zn->l7.n_backends; i++)
		if (!strcmp(zn->l7.backends[i].name, name))
			break;
	if (name && i < zn->l7.n_backends) {
		e->backend = (uint16_t)i;
	} else {
		e->backend = pick(&zn->l7, e->key.b, e->key.len);
		LSTAT_INC(w->l, moved);
		if (!sidtable_add(w->moved, &e->key, e->backend, 0))
			w->no_memory = true;
	}
	if (!array_grow((void **)&w->elems, &w->cap, w->n, sizeof(*w->elems))) {
		w->no_memory = true;
		return true;
	}
	w->elems[w->n++] = elem_of(&e->key, zn->l7.backends[e->backend].mark |
				   w->cfg->marks.decided, zn->l7.idle_timeout);
	return true;
}

/* A backend of a zone that the new config no longer has. */
struct removed {
	uint16_t zone;
	uint32_t mark;			/* its bits, decided bit clear */
	bool nat;			/* it rewrote addresses */
};

struct remark {
	struct tuple orig;
	uint32_t ct_id, mark;		/* mark 0: delete the entry */
};

struct remark_walk {
	const struct config *cfg;
	struct sidtable *moved;
	const struct removed *removed;
	size_t n_removed;
	struct remark *v;
	size_t n, cap;
	bool no_memory;
};

static const struct removed *removed_of(const struct remark_walk *w,
					const struct flow *f)
{
	uint32_t bits = f->mark & w->cfg->marks.mask & ~w->cfg->marks.decided;
	size_t i;

	for (i = 0; i < w->n_removed; i++)
		if (w->removed[i].zone == f->orig.zone &&
		    w->removed[i].mark == bits)
			return &w->removed[i];
	return NULL;
}

/*
 * A flow on a backend that is gone: one the kernel sent there by DNAT,
 * or whose sid we do not know (the kernel's map decided it), loses its
 * conntrack entry, so that its next packet starts a new one, decided
 * by the map or the daemon as the sid is now; the others take their
 * sid's new backend's mark, here and (after the walk) in conntrack.
 */
static bool remark_one(struct flow *f, void *arg)
{
	struct remark_walk *w = arg;
	const struct removed *rm = removed_of(w, f);
	const struct zone_conf *z;
	struct sid_entry *e = NULL;
	struct sid_key k;
	uint32_t mark = 0;

	if (!rm || !f->ct_id)
		return true;
	if (!rm->nat && f->ext && f->ext->sid.len) {
		key_of(&k, f->orig.zone, &f->ext->sid);
		e = sidtable_get(w->moved, &k);
	}
	z = e ? zone_of(w->cfg, k.zone) : NULL;
	if (z) {
		mark = (f->mark & ~w->cfg->marks.mask) | w->cfg->marks.decided |
		       z->l7.backends[e->backend].mark;
		CMM_STORE_SHARED(f->mark, mark);
	}
	if (!array_grow((void **)&w->v, &w->cap, w->n, sizeof(*w->v))) {
		w->no_memory = true;
		return true;
	}
	w->v[w->n++] = (struct remark){ .orig = f->orig, .ct_id = f->ct_id,
					.mark = mark };
	return true;
}

/* The backends of old that cfg no longer has, zone by zone. */
static struct removed *removed_backends(const struct config *old,
					const struct config *cfg, size_t *n)
{
	struct removed *v = NULL;
	size_t i, k, m, cap = 0;

	*n = 0;
	for (i = 0; i < old->n_zones; i++) {
		const struct zone_conf *zo = &old->zones[i];
		const struct zone_conf *zn = zone_of(cfg, zo->id);

		for (k = 0; zo->l7.proto && k < zo->l7.n_backends; k++) {
			const struct l7_backend *b = &zo->l7.backends[k];

			for (m = 0; zn && m < zn->l7.n_backends; m++)
				if (!strcmp(zn->l7.backends[m].name, b->name))
					break;
			if (zn && m < zn->l7.n_backends)
				continue;
			if (!array_grow((void **)&v, &cap, *n, sizeof(*v))) {
				*n = 0;
				free(v);
				return NULL;
			}
			v[(*n)++] = (struct removed){
				.zone = zo->id, .mark = b->mark,
				.nat = b->family || b->port,
			};
		}
	}
	return v;
}

void l7_reload(struct l7 *l, const struct config *old,
	       const struct config *cfg)
{
	struct reload_walk w = { .l = l, .old = old, .cfg = cfg };
	struct remark_walk rw = { .cfg = cfg };
	size_t i, deleted = 0;

	w.moved = sidtable_new(0, fcd_random);
	rw.removed = removed_backends(old, cfg, &rw.n_removed);
	if (!w.moved) {
		log_warn(ENOMEM, "l7: reload: stream IDs keep their backends");
		free((void *)rw.removed);
		return;
	}
	pthread_mutex_lock(&l->lock);
	sidtable_walk(l->sids, reload_one, &w);
	for (i = 0; i < w.n_gone; i++)
		sidtable_del(l->sids, &w.gone[i]);
	l->gen = cfg->generation;
	pthread_mutex_unlock(&l->lock);
	if (w.n)
		put_elems(l, l->sm, w.elems, w.n);
	if (rw.n_removed) {
		rw.moved = w.moved;
		ft_walk(l->fcd->ft, remark_one, &rw);
		for (i = 0; i < rw.n; i++) {
			if (rw.v[i].mark) {
				ctsync_set_mark(l->fcd->ctsync, &rw.v[i].orig,
						rw.v[i].ct_id, rw.v[i].mark,
						cfg->marks.mask);
				continue;
			}
			ctsync_delete(l->fcd->ctsync, &rw.v[i].orig,
				      rw.v[i].ct_id);
			deleted++;
		}
		log_info("l7: %zu backends gone: %zu stream IDs moved to "
			 "others; of their flows %zu marked again, %zu "
			 "conntrack entries deleted to start again",
			 rw.n_removed, sidtable_count(w.moved), rw.n - deleted,
			 deleted);
	}
	if (w.no_memory || rw.no_memory)
		log_warn(ENOMEM, "l7: reload: some stream IDs or flows were "
			 "not updated");
	free(rw.v);
	free((void *)rw.removed);
	free(w.elems);
	free(w.gone);
	sidtable_free(w.moved);
}

/* --- showing ------------------------------------------------------------------ */

void l7_get_stats(struct l7 *l, struct l7_stats *st)
{
	uint64_t *v = (uint64_t *)st;
	size_t i;

	for (i = 0; i < sizeof(*st) / sizeof(*v); i++)
		v[i] = atomic_load_explicit(&l->st[i], memory_order_relaxed);
}

size_t l7_sid_count(struct l7 *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = sidtable_count(l->sids);
	pthread_mutex_unlock(&l->lock);
	return n;
}

void l7_json(struct l7 *l, struct json *j)
{
	struct l7_stats st;

	l7_get_stats(l, &st);
	json_kv_uint(j, "decisions", st.decisions);
	json_kv_uint(j, "new_sids", st.new_sids);
	json_kv_uint(j, "known_sids", st.known_sids);
	json_kv_uint(j, "short_payload", st.short_payload);
	json_kv_uint(j, "waiting", st.waiting);
	json_kv_uint(j, "fallback", st.fallback);
	json_kv_uint(j, "map_adds", st.map_adds);
	json_kv_uint(j, "map_errors", st.map_errors);
	json_kv_uint(j, "expired", st.expired);
	json_kv_uint(j, "moved", st.moved);
	json_kv_uint(j, "table_full", st.table_full);
	json_kv_uint(j, "sids", l7_sid_count(l));
}

void l7_text(struct l7 *l, struct buf *out)
{
	struct l7_stats st;
	size_t n;

	l7_get_stats(l, &st);
	n = l7_sid_count(l);
	buf_printf(out, "l7: sids %zu, decisions %llu (new sids %llu, known "
		   "%llu), waiting %llu, fallback %llu (short payload %llu)\n"
		   "  maps: adds %llu, errors %llu; expired %llu, moved %llu, "
		   "not kept %llu\n", n,
		   (unsigned long long)st.decisions,
		   (unsigned long long)st.new_sids,
		   (unsigned long long)st.known_sids,
		   (unsigned long long)st.waiting,
		   (unsigned long long)st.fallback,
		   (unsigned long long)st.short_payload,
		   (unsigned long long)st.map_adds,
		   (unsigned long long)st.map_errors,
		   (unsigned long long)st.expired,
		   (unsigned long long)st.moved,
		   (unsigned long long)st.table_full);
}

struct sids_walk {
	const struct config *cfg;
	int zone;
	bool json;
	struct json j;
	struct buf *out;
	uint64_t now;
	size_t shown;
};

static bool show_sid(struct sid_entry *e, void *arg)
{
	struct sids_walk *w = arg;
	const struct zone_conf *z = zone_of(w->cfg, e->key.zone);
	const struct l7_backend *b = z && e->backend < z->l7.n_backends ?
				     &z->l7.backends[e->backend] : NULL;
	struct stream_id sid = { .len = e->key.len };
	char hex[2 * SID_MAX_LEN + 1];

	if (w->zone >= 0 && e->key.zone != w->zone)
		return true;
	memcpy(sid.b, e->key.b, e->key.len);
	streamid_hex(&sid, hex);
	w->shown++;
	if (!w->json) {
		buf_printf(w->out, "%-6u %-34s %-16s %8u %10llu %8llu %8llu\n",
			   e->key.zone, hex, b ? b->name : "-", e->flows,
			   (unsigned long long)e->packets,
			   (unsigned long long)(w->now - e->first_seen),
			   (unsigned long long)(w->now - e->last_seen));
		return true;
	}
	json_obj_begin(&w->j);
	json_kv_uint(&w->j, "zone", e->key.zone);
	json_kv_str(&w->j, "sid", hex);
	json_key(&w->j, "backend");
	if (b)
		json_str(&w->j, b->name);
	else
		json_null(&w->j);
	json_kv_uint(&w->j, "mark", b ? b->mark | w->cfg->marks.decided : 0);
	json_kv_uint(&w->j, "flows", e->flows);
	json_kv_uint(&w->j, "packets", e->packets);
	json_kv_uint(&w->j, "age", w->now - e->first_seen);
	json_kv_uint(&w->j, "idle", w->now - e->last_seen);
	json_obj_end(&w->j);
	return true;
}

void l7_sids(struct l7 *l, const struct config *cfg, int zone, bool json,
	     struct buf *out)
{
	struct sids_walk w = {
		.cfg = cfg, .zone = zone, .json = json, .out = out,
		.now = now_s(),
	};

	if (json) {
		json_init(&w.j, out);
		json_obj_begin(&w.j);
		json_key(&w.j, "sids");
		json_arr_begin(&w.j);
	} else {
		buf_printf(out, "%-6s %-34s %-16s %8s %10s %8s %8s\n", "zone",
			   "sid", "backend", "flows", "packets", "age", "idle");
	}
	pthread_mutex_lock(&l->lock);
	sidtable_walk(l->sids, show_sid, &w);
	pthread_mutex_unlock(&l->lock);
	if (json) {
		json_arr_end(&w.j);
		json_obj_end(&w.j);
		buf_putc(out, '\n');
	} else {
		buf_printf(out, "%zu sids\n", w.shown);
	}
}

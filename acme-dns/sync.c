/* The in-memory tables follow the store: a walk over everything (at start and after a reconnect, taking out what
 * disappeared meanwhile), and one key re-read whenever another instance changed it. */
#include "sync.h"

#include "log.h"
#include "publish.h"
#include "wire.h"

#include <urcu.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNC_SET_MAX 16   /* as txt_table: a set holds at most 16 values */

struct sync {
	struct sync_deps d;
	struct store_watch watch;
};

/* ---- a set of keys (fixed width, zero padded), for finding what a resync must take out ---- */

struct keyset {
	uint8_t *keys;
	size_t n, cap, width;
};

static int keyset_add(struct keyset *k, const void *key, size_t len)
{
	if (len >= k->width)
		return -1;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		uint8_t *p = realloc(k->keys, cap * k->width);
		if (!p)
			return -1;
		k->keys = p;
		k->cap = cap;
	}
	uint8_t *slot = k->keys + k->n++ * k->width;
	memset(slot, 0, k->width);
	memcpy(slot, key, len);
	return 0;
}

/* Two widths only (labels, wire names): a comparator each, since qsort passes no context. */
static int key_cmp_label(const void *a, const void *b)
{
	return memcmp(a, b, STORE_NAME_MAX);
}

static int key_cmp_wire(const void *a, const void *b)
{
	return memcmp(a, b, WIRE_NAME_MAX + 1);
}

static int (*key_cmp(const struct keyset *k))(const void *, const void *)
{
	return k->width == STORE_NAME_MAX ? key_cmp_label : key_cmp_wire;
}

static bool keyset_has(const struct keyset *k, const void *key, size_t len)
{
	uint8_t probe[WIRE_NAME_MAX + 1] = { 0 };
	if (len >= k->width || len > WIRE_NAME_MAX)
		return false;
	memcpy(probe, key, len);
	return k->n && bsearch(probe, k->keys, k->n, k->width, key_cmp(k)) != NULL;
}

static void keyset_sort(struct keyset *k)
{
	if (k->n)
		qsort(k->keys, k->n, k->width, key_cmp(k));
}

/* ---- the walk over everything ---- */

/* Values of one key arrive newest first and together: publish each group when it ends, and remember its key. */
struct load_ctx {
	struct txt_table *t;
	bool names;                       /* whole names (UPDATE), not subdomains */
	char key[STORE_DNAME_MAX];
	struct store_value vals[SYNC_SET_MAX];
	size_t n, kept, accounts, values;
	bool collect;                     /* the table held entries before: remember keys, to find stale ones */
	struct keyset loaded;             /* keys with values in the store: labels, or lower-case wire names */
	bool failed;
};

static int load_publish(struct load_ctx *l, const struct txt_item *items)
{
	uint8_t wire[WIRE_NAME_MAX];
	size_t len = l->names ? wire_name_from_str(l->key, wire) : 0;
	if (!l->names) {
		if (txt_table_set(l->t, l->key, items, l->n) < 0)
			return -1;
		return l->collect ? keyset_add(&l->loaded, l->key, strlen(l->key)) : 0;
	}
	if (!len || txt_table_name_set(l->t, wire, items, l->n) < 0)
		return -1;
	uint8_t lower[WIRE_NAME_MAX];
	wire_name_lower(lower, wire);
	return l->collect ? keyset_add(&l->loaded, lower, len) : 0;
}

static void load_flush(struct load_ctx *l)
{
	struct txt_item items[SYNC_SET_MAX];
	for (size_t i = 0; i < l->n; i++)
		items[i] = (struct txt_item){ .value = l->vals[i].value, .created = l->vals[i].created };
	if (l->n && load_publish(l, items) < 0) {
		log_warn("store: %s %s: cannot serve its values", l->names ? "name" : "subdomain", l->key);
		l->failed = true;
	}
	l->values += l->n;
	l->n = 0;
}

static int load_account(void *ctx, const struct store_account *a)
{
	struct load_ctx *l = ctx;
	if (txt_table_register(l->t, a->subdomain) < 0)
		log_warn("store: account %s: subdomain %s cannot be served", a->username, a->subdomain);
	l->accounts++;
	return 0;
}

static int load_value(void *ctx, const char *key, const struct store_value *v)
{
	struct load_ctx *l = ctx;
	if (strcmp(key, l->key) != 0) {
		load_flush(l);
		snprintf(l->key, sizeof(l->key), "%s", key);
	}
	if (l->n < l->kept && l->n < SYNC_SET_MAX)
		l->vals[l->n++] = *v;
	return 0;
}

/* Entries of the table that have values the store no longer holds (removed while we were not listening). */
struct sweep {
	const struct keyset *loaded;
	struct keyset stale;
};

static void sweep_entry(void *ctx, const uint8_t *key, size_t len, const struct txt_set *set)
{
	struct sweep *s = ctx;
	if (set->n > 0 && !keyset_has(s->loaded, key, len) && keyset_add(&s->stale, key, len) < 0)
		log_warn("store: out of memory; a stale value may be served until its next change");
}

/* Takes the stale entries' values out. Returns how many. */
static size_t sweep(struct load_ctx *l)
{
	struct sweep s = { .loaded = &l->loaded, .stale = { .width = l->loaded.width } };
	keyset_sort(&l->loaded);
	txt_table_each(l->t, sweep_entry, &s);
	for (size_t i = 0; i < s.stale.n; i++) {
		const char *key = (const char *)s.stale.keys + i * s.stale.width;
		int rc = l->names ? txt_table_name_set(l->t, (const uint8_t *)key, NULL, 0) : txt_table_set(l->t, key, NULL, 0);
		if (rc < 0)
			log_warn("store: a value the store no longer holds cannot be taken out of the table");
	}
	free(s.stale.keys);
	return s.stale.n;
}

static void load_init(struct load_ctx *l, struct txt_table *t, bool names, unsigned kept)
{
	memset(l, 0, sizeof(*l));
	l->t = t;
	l->names = names;
	l->kept = kept;
	l->collect = txt_table_count(t) > 0;     /* at start the tables are empty: nothing can be stale */
	l->loaded.width = names ? WIRE_NAME_MAX + 1 : STORE_NAME_MAX;
}

/* The caller holds the write lock. */
static int load_all(struct sync *s, struct load_ctx *l, struct load_ctx *ln, size_t *stale)
{
	load_init(l, s->d.txt, false, s->d.values_kept);
	load_init(ln, s->d.names, true, s->d.values_kept);
	int rc = store_load(s->d.store, load_account, load_value, l);
	if (rc == 0) {
		load_flush(l);
		rc = store_load_names(s->d.store, load_value, ln);
	}
	if (rc == 0) {
		load_flush(ln);
		/* A failed publish left its key out of the set: nothing is known to be stale then. */
		*stale = l->failed || !l->collect ? 0 : sweep(l);
		*stale += ln->failed || !ln->collect ? 0 : sweep(ln);
	}
	free(l->loaded.keys);
	free(ln->loaded.keys);
	return rc;
}

int sync_load(struct sync *s)
{
	struct load_ctx l, ln;
	size_t stale = 0;
	pthread_mutex_lock(s->d.write_lock);
	int rc = load_all(s, &l, &ln, &stale);
	pthread_mutex_unlock(s->d.write_lock);
	if (rc < 0) {
		log_error("store %s: cannot load accounts and values", store_name(s->d.store));
		return -1;
	}
	log_info("store %s: %zu accounts, %zu values, %zu values at _acme-challenge names loaded%s", store_name(s->d.store),
		 l.accounts, l.values, ln.values, stale ? "; values the store no longer holds taken out" : "");
	return 0;
}

/* ---- following a shared store ---- */

static void on_changed(void *ctx, enum store_target target, const char *key)
{
	struct sync *s = ctx;
	pthread_mutex_lock(s->d.write_lock);
	if (target == STORE_SUBDOMAIN)
		(void)publish_subdomain(s->d.store, s->d.txt, s->d.values_kept, key);   /* logs its failure */
	else
		(void)publish_name(s->d.store, s->d.names, s->d.values_kept, key);
	pthread_mutex_unlock(s->d.write_lock);
	log_debug("store %s: %s %s changed elsewhere, published", store_name(s->d.store),
		  target == STORE_NAME ? "name" : "subdomain", key);
}

/* So that this instance's DNS answers NODATA for it, not NXDOMAIN. */
static void on_registered(void *ctx, const char *subdomain)
{
	struct sync *s = ctx;
	pthread_mutex_lock(s->d.write_lock);
	int rc = txt_table_register(s->d.txt, subdomain);
	pthread_mutex_unlock(s->d.write_lock);
	if (rc < 0)
		log_warn("store %s: subdomain %s, registered elsewhere, cannot be served", store_name(s->d.store),
			 subdomain);
}

static int on_resync(void *ctx)
{
	return sync_load(ctx);
}

/* The store's thread publishes into the tables, which use liburcu: it must be a registered reader. */
static void on_thread_start(void *ctx)
{
	rcu_register_thread();
}

static void on_thread_stop(void *ctx)
{
	rcu_unregister_thread();
}

struct sync *sync_new(const struct sync_deps *deps)
{
	struct sync *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->d = *deps;
	s->watch = (struct store_watch){ .ctx = s, .changed = on_changed, .registered = on_registered,
					 .resync = on_resync, .thread_start = on_thread_start,
					 .thread_stop = on_thread_stop };
	return s;
}

void sync_free(struct sync *s)
{
	free(s);
}

int sync_watch(struct sync *s)
{
	return store_watch(s->d.store, &s->watch);
}

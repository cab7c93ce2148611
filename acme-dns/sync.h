/* Keeping the in-memory tables in step with the store: the load at start, and for a store several instances
 * share (PostgreSQL), each change another instance commits and a full resync after a reconnect. */
#ifndef ADNS_SYNC_H
#define ADNS_SYNC_H

#include "store.h"
#include "txt_table.h"

#include <pthread.h>

struct sync;

struct sync_deps {
	struct store *store;
	struct txt_table *txt;            /* account subdomains */
	struct txt_table *names;          /* _acme-challenge names written by UPDATE */
	pthread_mutex_t *write_lock;      /* the writers' lock the API and UPDATE hold around store write + publish */
	unsigned values_kept;
};

/* Returns a new sync (the pointers in deps must outlive it), or NULL when out of memory. */
struct sync *sync_new(const struct sync_deps *deps);
/* Frees s; the store's watch must be stopped (store_close) first. NULL is fine. */
void sync_free(struct sync *s);

/* Loads every account and value from the store into the tables, and takes out of them the values the store no
 * longer holds, under the write lock. Logs what it loaded. Returns 0 or -1 (logged). */
int sync_load(struct sync *s);
/* Starts following the store's changes (store_watch), before sync_load: a no-op for a store only this process
 * writes. Returns 0 or -1. */
int sync_watch(struct sync *s);

#endif

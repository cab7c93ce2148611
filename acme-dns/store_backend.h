/* What a store backend implements behind store.h: the operations table, and helpers the backends share.
 * Only store.c, store_sqlite.c and store_pg.c include this header. */
#ifndef ADNS_STORE_BACKEND_H
#define ADNS_STORE_BACKEND_H

#include "store.h"

#include <stdbool.h>

typedef int (*store_account_fn)(void *ctx, const struct store_account *acct);
typedef int (*store_value_fn)(void *ctx, const char *key, const struct store_value *val);

/* Each function has the contract of its store_* namesake in store.h; the copy functions are described there
 * with store_copy. Keys arrive as the caller gave them: the backend lower-cases and checks them. */
struct store_ops {
	const char *kind;                                   /* "sqlite", "postgresql" */
	void (*close)(struct store *st);
	int (*ping)(struct store *st);
	int (*account_create)(struct store *st, const struct store_account *acct);
	int (*account_get)(struct store *st, const char *username, struct store_account *out);
	int (*value_add)(struct store *st, const char *subdomain, const char *value, int64_t now, uint64_t *seq_out);
	int (*value_remove)(struct store *st, const char *subdomain, const char *value);
	int (*values_get)(struct store *st, enum store_target target, const char *key, struct store_value *out,
			  size_t max);
	int (*apply)(struct store *st, const struct store_change *changes, size_t n, int64_t now);
	int (*load)(struct store *st, store_account_fn on_account, store_value_fn on_value, void *ctx);
	/* The same for serving, where on_account may get the subdomain alone; NULL = load. */
	int (*load_serving)(struct store *st, store_account_fn on_account, store_value_fn on_value, void *ctx);
	int (*load_names)(struct store *st, store_value_fn on_value, void *ctx);
	/* NULL: the backend imports through a temporary SQLite store (store.c). */
	int (*import_acme_dns)(struct store *st, const char *db, size_t *n_accounts, size_t *n_values, char *errbuf,
			       size_t errlen);
	/* One write transaction for a whole copy, held from copy_begin to copy_end by the calling thread. */
	int (*copy_begin)(struct store *st, enum store_copy_mode mode, char *errbuf, size_t errlen);
	int (*copy_account)(struct store *st, const struct store_account *acct);
	int (*copy_value)(struct store *st, enum store_target target, const char *key, const struct store_value *val);
	int (*copy_end)(struct store *st, bool commit, char *errbuf, size_t errlen);
	/* NULL: the store has no other writers to follow (SQLite is one process's). */
	int (*watch)(struct store *st, const struct store_watch *w);
};

/* The head of every backend's own struct, which starts with it. */
struct store {
	const struct store_ops *ops;
	char *name;                       /* the path, or the URL without its password: for messages */
	unsigned values_kept;
};

/* Backends. Each returns NULL with errbuf set on failure; values_kept is already checked. */
struct store *store_sqlite_open(const char *path, unsigned values_kept, char *errbuf, size_t errlen);
struct store *store_pg_open(const char *url, unsigned values_kept, char *errbuf, size_t errlen);

/* Fills the head of a new store; returns 0, or -1 when out of memory. store_head_clear frees it. */
int store_head_init(struct store *st, const struct store_ops *ops, const char *path_or_url, unsigned values_kept);
void store_head_clear(struct store *st);

/* Copies key lower-cased (ASCII) into out (cap bytes) so every lookup is case-insensitive; -1 if empty or too
 * long. */
int store_key_lower(const char *key, char *out, size_t cap);
/* The capacity a key of target needs: STORE_NAME_MAX for subdomains, STORE_DNAME_MAX for names. */
size_t store_key_cap(enum store_target target);
/* Whether a change is well formed (key and, unless it clears, a value of 1..STORE_VALUE_MAX bytes). */
bool store_change_ok(const struct store_change *c);

/* snprintf into errbuf when it is not NULL. */
void store_err_set(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

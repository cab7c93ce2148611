/* The durable store of accounts and challenge values: one interface for every backend, SQLite (one file in WAL
 * mode, the default) or PostgreSQL (a postgres:// URL, shared by several acme-dnsd instances). */
#ifndef ADNS_STORE_H
#define ADNS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX   64   /* username and subdomain (UUIDs are 36) */
#define STORE_HASH_MAX   128
#define STORE_VALUE_MAX  255
#define STORE_DNAME_MAX  256  /* a whole name in text, without the trailing dot */
#define STORE_VALUES_KEPT_MAX 16 /* the largest values_kept */

struct store;

/* What a store function documented to return -1 returns instead when the database cannot be reached at all
 * (PostgreSQL while disconnected): the caller answers "try again later", not "broken". Test failure with < 0. */
#define STORE_UNAVAILABLE (-2)

struct store_account {
	char username[STORE_NAME_MAX];
	char password_hash[STORE_HASH_MAX];  /* bcrypt "$2a$"/"$2b$" */
	char subdomain[STORE_NAME_MAX];
	char *allowfrom_json;                /* owned: JSON array of CIDR strings, "[]" when none */
	int64_t created;                     /* unix seconds; 0 when unknown (imported) */
};

struct store_value {
	uint64_t seq;                        /* monotonic across the whole store: orders values, never a clock */
	int64_t created;                     /* unix seconds, only for the optional age limit */
	char value[STORE_VALUE_MAX + 1];
};

/* Opens (creating and migrating the schema as needed) the store at path: a SQLite file, or a postgres:// or
 * postgresql:// URL. values_kept is N, 1..16. Returns NULL with errbuf set on failure. */
struct store *store_open(const char *path, unsigned values_kept, char *errbuf, size_t errlen);
/* Closes the store (and stops its watch). NULL is fine. */
void store_close(struct store *st);
/* Returns 0 when the store answers a trivial query (for /health), -1 or STORE_UNAVAILABLE otherwise. */
int store_ping(struct store *st);
/* Whether path names a PostgreSQL database (postgres:// or postgresql://) rather than a SQLite file. */
bool store_is_url(const char *path);
/* Writes path into out (len bytes) fit for logs: a URL loses its password ("postgres://u:***@host/db").
 * Returns out. */
char *store_redact(const char *path, char *out, size_t len);
/* The store's path or URL as store_redact writes it; lives as long as st. */
const char *store_name(const struct store *st);
/* "sqlite" or "postgresql". */
const char *store_kind(const struct store *st);

/* Inserts a new account, durably. Returns 0, 1 if the username or subdomain exists, -1 on error. */
int store_account_create(struct store *st, const struct store_account *acct);
/* Looks an account up by username. Returns 0 (out filled; free with store_account_clear), 1 not found, -1 error. */
int store_account_get(struct store *st, const char *username, struct store_account *out);
/* Frees what store_account_get allocated inside acct. */
void store_account_clear(struct store_account *acct);

/* Appends a value to subdomain with the next sequence number and trims the subdomain to the newest N values,
 * all in one transaction, durable before it returns. Returns 0 (seq_out set if non-NULL) or -1. */
int store_value_add(struct store *st, const char *subdomain, const char *value, int64_t now, uint64_t *seq_out);
/* Removes every copy of value from subdomain. Returns the number removed (0 if none) or -1. */
int store_value_remove(struct store *st, const char *subdomain, const char *value);
/* Fills out[0..max) with the subdomain's values, newest first. Returns the count or -1. */
int store_values_get(struct store *st, const char *subdomain, struct store_value *out, size_t max);

/* Who owns values: an account's subdomain (one label, also written by the HTTP API), or a whole name in text
 * without the trailing dot ("_acme-challenge.example.org", written by RFC 2136 UPDATE). */
enum store_target { STORE_SUBDOMAIN = 0, STORE_NAME };
enum store_op {
	STORE_ADD,        /* as store_value_add: a repeated value moves to the front; the newest values_kept stay */
	STORE_REMOVE,     /* every copy of value */
	STORE_CLEAR,      /* every value of key */
};
struct store_change {
	enum store_op op;
	enum store_target target;
	const char *key;                     /* subdomain or name, any case */
	const char *value;                   /* for STORE_ADD and STORE_REMOVE */
};
/* Applies the n changes in order in one transaction, durable before it returns, or none of them.
 * Returns 0 or -1. */
int store_apply(struct store *st, const struct store_change *changes, size_t n, int64_t now);
/* Fills out[0..max) with a name's values, newest first. Returns the count or -1. */
int store_name_values_get(struct store *st, const char *name, struct store_value *out, size_t max);
/* Calls on_value for every value of every name (newest first within a name), under the store lock.
 * Returns 0 or -1. */
int store_load_names(struct store *st, int (*on_value)(void *ctx, const char *name, const struct store_value *val),
		     void *ctx);

/* Calls on_account for every account and on_value for every value (newest first within a subdomain), for
 * serving: on_account may get the subdomain alone (SQLite reads nothing else). A callback returning non-zero stops
 * the walk. Returns 0 or -1. */
int store_load(struct store *st,
	       int (*on_account)(void *ctx, const struct store_account *acct),
	       int (*on_value)(void *ctx, const char *subdomain, const struct store_value *val),
	       void *ctx);

/* Following the writes of other processes (PostgreSQL: other acme-dnsd instances on the same database). The
 * callbacks run on the store's own thread, one at a time, and may call the store. */
struct store_watch {
	void *ctx;
	/* key's values were changed by someone: re-read and publish them. */
	void (*changed)(void *ctx, enum store_target target, const char *key);
	/* An account with this subdomain was created by someone: it exists from now on. */
	void (*registered)(void *ctx, const char *subdomain);
	/* The connection came back after a loss, and changes may have been missed: re-read everything. Returns 0,
	 * or -1 and the store drops the connection and tries again later. */
	int (*resync)(void *ctx);
	/* Called on the store's thread when it starts and before it ends (e.g. to register it with liburcu). */
	void (*thread_start)(void *ctx);
	void (*thread_stop)(void *ctx);
};
/* Starts following changes (the store keeps w's pointers, not w): every change committed after this returns is
 * handed over, so call it before the first load. While the database is unreachable the store reconnects with
 * capped exponential backoff, calls resync once back, and its functions return STORE_UNAVAILABLE meanwhile. A
 * store no other process writes (SQLite) does nothing. Returns 0 or -1. */
int store_watch(struct store *st, const struct store_watch *w);

/* Copying a whole store into another (acme-dnsd --copy-store), in one transaction of the target. */
enum store_copy_mode {
	STORE_COPY_EMPTY,      /* the target must hold no account and no value; sequence numbers are kept */
	STORE_COPY_REPLACE,    /* the target's accounts and values are deleted first; sequence numbers are kept */
	STORE_COPY_MERGE,      /* accounts already in the target are skipped with their values; new sequence numbers */
};
struct store_copy_counts {
	size_t accounts, values, name_values;   /* copied */
	size_t skipped;                         /* accounts already present (STORE_COPY_MERGE) */
};
/* Copies every account, every subdomain value and every name value of from into to, keeping each value's
 * created time and order. Returns 0 with n set, or -1 with errbuf set and nothing written. */
int store_copy(struct store *from, struct store *to, enum store_copy_mode mode, struct store_copy_counts *n,
	       char *errbuf, size_t errlen);

/* Imports accounts and values from a joohoi/acme-dns SQLite database (schema version 1), keeping the bcrypt
 * hashes. Accounts already present are left alone. Returns 0 with the counts set, or -1 with errbuf set. */
int store_import_acme_dns(struct store *st, const char *acme_dns_db, size_t *n_accounts, size_t *n_values,
			  char *errbuf, size_t errlen);

#endif

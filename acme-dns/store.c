/* The store's public face: picks the backend by the path (SQLite file or postgres:// URL), dispatches to its
 * operations, and does what is the same for every backend (copying, redacting URLs, key checks). */
#include "store_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void store_err_set(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

int store_key_lower(const char *key, char *out, size_t cap)
{
	size_t n = key ? strnlen(key, cap) : 0;
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (key[i] >= 'A' && key[i] <= 'Z') ? (char)(key[i] - 'A' + 'a') : key[i];
	out[n] = '\0';
	return 0;
}

size_t store_key_cap(enum store_target target)
{
	return target == STORE_NAME ? STORE_DNAME_MAX : STORE_NAME_MAX;
}

bool store_change_ok(const struct store_change *c)
{
	size_t klen = c->key ? strnlen(c->key, STORE_DNAME_MAX) : 0;
	if (klen == 0 || klen >= store_key_cap(c->target))
		return false;
	if (c->op == STORE_CLEAR)
		return true;
	return c->value && c->value[0] && strnlen(c->value, STORE_VALUE_MAX + 1) <= STORE_VALUE_MAX;
}

/* ---- names for messages ---- */

bool store_is_url(const char *path)
{
	return path && (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0);
}

/* Appends n bytes of s to out (len bytes, *pos used so far), always leaving it terminated. */
static void put(char *out, size_t len, size_t *pos, const char *s, size_t n)
{
	if (*pos >= len)
		return;
	size_t room = len - 1 - *pos;
	n = n < room ? n : room;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
}

/* The query part ("a=b&password=c"): each password parameter's value becomes ***. */
static void redact_query(const char *q, char *out, size_t len, size_t *pos)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		if (n >= 9 && strncmp(q, "password=", 9) == 0)
			put(out, len, pos, "password=***", 12);
		else
			put(out, len, pos, q, n);
		q += n;
		if (*q == '&')
			put(out, len, pos, q++, 1);
	}
}

/* The authority ("user:secret@host:port"): the password after the user's colon becomes ***. */
static void redact_authority(const char *a, size_t alen, char *out, size_t len, size_t *pos)
{
	const char *at = NULL;
	for (const char *p = a; p < a + alen; p++)
		if (*p == '@')
			at = p;                       /* the last '@' ends the user information */
	const char *colon = at ? memchr(a, ':', (size_t)(at - a)) : NULL;
	if (!colon) {
		put(out, len, pos, a, alen);
		return;
	}
	put(out, len, pos, a, (size_t)(colon - a));
	put(out, len, pos, ":***", 4);
	put(out, len, pos, at, alen - (size_t)(at - a));
}

char *store_redact(const char *path, char *out, size_t len)
{
	size_t pos = 0;
	if (!out || len == 0)
		return out;
	out[0] = '\0';
	if (!path)
		return out;
	if (!store_is_url(path)) {
		put(out, len, &pos, path, strlen(path));
		return out;
	}
	const char *auth = strstr(path, "://") + 3;
	size_t alen = strcspn(auth, "/?");
	put(out, len, &pos, path, (size_t)(auth - path));
	redact_authority(auth, alen, out, len, &pos);
	const char *rest = auth + alen;
	const char *query = strchr(rest, '?');
	put(out, len, &pos, rest, query ? (size_t)(query - rest) + 1 : strlen(rest));
	if (query)
		redact_query(query + 1, out, len, &pos);
	return out;
}

int store_head_init(struct store *st, const struct store_ops *ops, const char *path_or_url, unsigned values_kept)
{
	size_t n = strlen(path_or_url) + 8;   /* ":***" can be longer than the password it hides */
	st->ops = ops;
	st->values_kept = values_kept;
	st->name = malloc(n);
	if (!st->name)
		return -1;
	store_redact(path_or_url, st->name, n);
	return 0;
}

void store_head_clear(struct store *st)
{
	free(st->name);
	st->name = NULL;
}

const char *store_name(const struct store *st)
{
	return st->name;
}

const char *store_kind(const struct store *st)
{
	return st->ops->kind;
}

/* ---- dispatch ---- */

struct store *store_open(const char *path, unsigned values_kept, char *errbuf, size_t errlen)
{
	if (values_kept < 1 || values_kept > STORE_VALUES_KEPT_MAX) {
		store_err_set(errbuf, errlen, "values_kept %u is out of range 1..%d", values_kept, STORE_VALUES_KEPT_MAX);
		return NULL;
	}
	if (!path || !*path) {
		store_err_set(errbuf, errlen, "no store path given");
		return NULL;
	}
	if (store_is_url(path))
		return store_pg_open(path, values_kept, errbuf, errlen);
	return store_sqlite_open(path, values_kept, errbuf, errlen);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_ping(struct store *st)
{
	return st->ops->ping(st);
}

int store_account_create(struct store *st, const struct store_account *acct)
{
	return st->ops->account_create(st, acct);
}

int store_account_get(struct store *st, const char *username, struct store_account *out)
{
	return st->ops->account_get(st, username, out);
}

void store_account_clear(struct store_account *acct)
{
	if (!acct)
		return;
	free(acct->allowfrom_json);
	acct->allowfrom_json = NULL;
}

int store_value_add(struct store *st, const char *subdomain, const char *value, int64_t now, uint64_t *seq_out)
{
	return st->ops->value_add(st, subdomain, value, now, seq_out);
}

int store_value_remove(struct store *st, const char *subdomain, const char *value)
{
	return st->ops->value_remove(st, subdomain, value);
}

int store_values_get(struct store *st, const char *subdomain, struct store_value *out, size_t max)
{
	return st->ops->values_get(st, STORE_SUBDOMAIN, subdomain, out, max);
}

int store_name_values_get(struct store *st, const char *name, struct store_value *out, size_t max)
{
	return st->ops->values_get(st, STORE_NAME, name, out, max);
}

int store_apply(struct store *st, const struct store_change *changes, size_t n, int64_t now)
{
	return st->ops->apply(st, changes, n, now);
}

int store_load(struct store *st,
	       int (*on_account)(void *ctx, const struct store_account *acct),
	       int (*on_value)(void *ctx, const char *subdomain, const struct store_value *val),
	       void *ctx)
{
	return (st->ops->load_serving ? st->ops->load_serving : st->ops->load)(st, on_account, on_value, ctx);
}

int store_load_names(struct store *st, int (*on_value)(void *ctx, const char *name, const struct store_value *val),
		     void *ctx)
{
	return st->ops->load_names(st, on_value, ctx);
}

int store_watch(struct store *st, const struct store_watch *w)
{
	return st->ops->watch ? st->ops->watch(st, w) : 0;
}

/* ---- copying ---- */

/* Values of one key arrive newest first and together; they are written oldest first when the key ends, so a
 * target that numbers them afresh (STORE_COPY_MERGE) keeps their order. */
struct copy_ctx {
	struct store *to;
	enum store_copy_mode mode;
	enum store_target target;
	char key[STORE_DNAME_MAX];
	struct store_value buf[STORE_VALUES_KEPT_MAX];
	size_t n, dropped;
	char (*skip)[STORE_NAME_MAX];         /* STORE_COPY_MERGE: subdomains of accounts the target had */
	size_t n_skip, cap_skip;
	struct store_copy_counts counts;
	bool failed;
};

static int skip_add(struct copy_ctx *c, const char *sub)
{
	if (c->n_skip == c->cap_skip) {
		size_t cap = c->cap_skip ? c->cap_skip * 2 : 64;
		void *p = realloc(c->skip, cap * sizeof(*c->skip));
		if (!p)
			return -1;
		c->skip = p;
		c->cap_skip = cap;
	}
	return store_key_lower(sub, c->skip[c->n_skip++], STORE_NAME_MAX);
}

static bool skipped(const struct copy_ctx *c, const char *key)
{
	char k[STORE_NAME_MAX];
	if (c->target != STORE_SUBDOMAIN || store_key_lower(key, k, sizeof(k)) < 0)
		return false;
	for (size_t i = 0; i < c->n_skip; i++)     /* rare (accounts present twice): a plain scan will do */
		if (strcmp(c->skip[i], k) == 0)
			return true;
	return false;
}

static int copy_account(void *ctx, const struct store_account *a)
{
	struct copy_ctx *c = ctx;
	int rc = c->to->ops->copy_account(c->to, a);
	if (rc == 0) {
		c->counts.accounts++;
		return 0;
	}
	if (rc == 1 && c->mode == STORE_COPY_MERGE && skip_add(c, a->subdomain) == 0) {
		log_info("store %s: account %s (subdomain %s) already present, skipped", c->to->name, a->username,
			 a->subdomain);
		c->counts.skipped++;
		return 0;
	}
	log_error("store %s: account %s (subdomain %s): %s", c->to->name, a->username, a->subdomain,
		  rc == 1 ? "its username or subdomain is taken" : "cannot be written");
	c->failed = true;
	return 1;
}

static int copy_flush(struct copy_ctx *c)
{
	int rc = 0;
	for (size_t i = c->n; rc == 0 && i-- > 0;) {
		if (c->mode == STORE_COPY_MERGE)
			c->buf[i].seq = 0;
		rc = c->to->ops->copy_value(c->to, c->target, c->key, &c->buf[i]);
		if (rc == 0 && c->target == STORE_SUBDOMAIN)
			c->counts.values++;
		else if (rc == 0)
			c->counts.name_values++;
	}
	c->n = 0;
	if (rc < 0) {
		log_error("store %s: %s %s: a value cannot be written", c->to->name,
			  c->target == STORE_NAME ? "name" : "subdomain", c->key);
		c->failed = true;
	}
	return rc;
}

static int copy_value(void *ctx, const char *key, const struct store_value *v)
{
	struct copy_ctx *c = ctx;
	if (strcmp(key, c->key) != 0) {
		if (copy_flush(c) < 0)
			return 1;
		snprintf(c->key, sizeof(c->key), "%s", key);
	}
	if (skipped(c, key))
		return 0;
	if (c->n < STORE_VALUES_KEPT_MAX)
		c->buf[c->n++] = *v;
	else
		c->dropped++;                     /* older than any store keeps: not copied */
	return 0;
}

/* Walks from and writes into to's open copy transaction. Returns 0 or -1. */
static int copy_walk(struct store *from, struct copy_ctx *c, char *errbuf, size_t errlen)
{
	int rc = from->ops->load(from, copy_account, copy_value, c);
	if (rc == 0 && !c->failed)
		rc = copy_flush(c);
	c->target = STORE_NAME;
	c->key[0] = '\0';
	if (rc == 0 && !c->failed)
		rc = from->ops->load_names(from, copy_value, c);
	if (rc == 0 && !c->failed)
		rc = copy_flush(c);
	if (rc < 0 || c->failed) {
		if (errbuf && !errbuf[0])
			store_err_set(errbuf, errlen, "copying from %s into %s failed (see the log)", from->name,
				      c->to->name);
		return -1;
	}
	if (c->dropped)
		log_warn("store %s: %zu values beyond the newest %d of their key were not copied", from->name,
			 c->dropped, STORE_VALUES_KEPT_MAX);
	return 0;
}

int store_copy(struct store *from, struct store *to, enum store_copy_mode mode, struct store_copy_counts *n,
	       char *errbuf, size_t errlen)
{
	struct copy_ctx c = { .to = to, .mode = mode, .target = STORE_SUBDOMAIN };
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (n)
		memset(n, 0, sizeof(*n));
	if (to->ops->copy_begin(to, mode, errbuf, errlen) < 0)
		return -1;
	int rc = copy_walk(from, &c, errbuf, errlen);
	if (to->ops->copy_end(to, rc == 0, errbuf, errlen) < 0)
		rc = -1;
	free(c.skip);
	if (rc == 0 && n)
		*n = c.counts;
	return rc;
}

/* ---- the acme-dns importer ---- */

/* For a backend without its own importer: import into a temporary SQLite store, then merge that in. */
static int import_via_sqlite(struct store *st, const char *db, size_t *n_accounts, size_t *n_values, char *errbuf,
			     size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600], side[620];
	snprintf(dir, sizeof(dir), "%s/acme-dnsd-import.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		store_err_set(errbuf, errlen, "cannot make a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/import.db", dir);
	struct store *staging = store_sqlite_open(path, st->values_kept, errbuf, errlen);
	struct store_copy_counts counts = { 0 };
	size_t na = 0, nv = 0;
	int rc = staging ? staging->ops->import_acme_dns(staging, db, &na, &nv, errbuf, errlen) : -1;
	if (rc == 0)
		rc = store_copy(staging, st, STORE_COPY_MERGE, &counts, errbuf, errlen);
	store_close(staging);
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(side, sizeof(side), "%s%s", path, suffix[i]);
		(void)unlink(side);               /* -wal and -shm may not exist */
	}
	(void)rmdir(dir);                         /* best effort: a leftover empty directory in TMPDIR */
	if (rc == 0)
		log_info("store %s: imported %zu accounts and %zu values from %s", st->name, counts.accounts,
			 counts.values, db);
	if (n_accounts)
		*n_accounts = rc == 0 ? counts.accounts : 0;
	if (n_values)
		*n_values = rc == 0 ? counts.values : 0;
	return rc;
}

int store_import_acme_dns(struct store *st, const char *acme_dns_db, size_t *n_accounts, size_t *n_values,
			  char *errbuf, size_t errlen)
{
	if (st->ops->import_acme_dns)
		return st->ops->import_acme_dns(st, acme_dns_db, n_accounts, n_values, errbuf, errlen);
	return import_via_sqlite(st, acme_dns_db, n_accounts, n_values, errbuf, errlen);
}

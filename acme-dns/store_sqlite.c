/* The durable store on SQLite: accounts and challenge values in one WAL-mode file, and the acme-dns importer. */
#include "store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define STORE_SCHEMA_VERSION   3      /* what this code writes; a newer file is refused, an older one migrated */
#define STORE_BUSY_TIMEOUT_MS  5000

enum store_sql_id {
	SQL_PING, SQL_BEGIN_WRITE, SQL_BEGIN_READ, SQL_COMMIT, SQL_ROLLBACK,
	SQL_ACCOUNT_INSERT, SQL_ACCOUNT_GET,
	SQL_VALUE_INSERT, SQL_VALUE_TRIM, SQL_VALUE_REMOVE, SQL_VALUES_GET,
	SQL_LOAD_ACCOUNTS, SQL_LOAD_SUBDOMAINS, SQL_LOAD_VALUES,
	SQL_NAME_INSERT, SQL_NAME_TRIM, SQL_NAME_REMOVE, SQL_NAME_CLEAR, SQL_NAME_GET, SQL_LOAD_NAMES,
	SQL_VALUE_CLEAR, SQL_VALUE_COPY, SQL_NAME_COPY,
	SQL_COUNT
};

static const char *const store_sql[SQL_COUNT] = {
	[SQL_PING] = "SELECT 1",
	[SQL_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[SQL_BEGIN_READ] = "BEGIN",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	[SQL_ACCOUNT_INSERT] = "INSERT INTO accounts(username, password_hash, subdomain, allowfrom, created) "
			       "VALUES(?1, ?2, ?3, ?4, ?5)",
	[SQL_ACCOUNT_GET] = "SELECT username, password_hash, subdomain, allowfrom, created FROM accounts "
			    "WHERE username = ?1",
	[SQL_VALUE_INSERT] = "INSERT INTO txt_values(subdomain, value, created) VALUES(?1, ?2, ?3)",
	[SQL_VALUE_TRIM] = "DELETE FROM txt_values WHERE subdomain = ?1 AND seq NOT IN "
			   "(SELECT seq FROM txt_values WHERE subdomain = ?1 ORDER BY seq DESC LIMIT ?2)",
	[SQL_VALUE_REMOVE] = "DELETE FROM txt_values WHERE subdomain = ?1 AND value = ?2",
	[SQL_VALUES_GET] = "SELECT seq, created, value FROM txt_values WHERE subdomain = ?1 ORDER BY seq DESC LIMIT ?2",
	[SQL_LOAD_ACCOUNTS] = "SELECT username, password_hash, subdomain, allowfrom, created FROM accounts "
			      "ORDER BY username",
	/* Serving needs the subdomain alone, in table order (ORDER BY username walks its index and fetches every
	 * row at random): a third of the start-up with a million accounts. */
	[SQL_LOAD_SUBDOMAINS] = "SELECT subdomain FROM accounts",
	[SQL_LOAD_VALUES] = "SELECT subdomain, seq, created, value FROM txt_values ORDER BY subdomain, seq DESC",
	[SQL_NAME_INSERT] = "INSERT INTO name_values(name, value, created) VALUES(?1, ?2, ?3)",
	[SQL_NAME_TRIM] = "DELETE FROM name_values WHERE name = ?1 AND seq NOT IN "
			  "(SELECT seq FROM name_values WHERE name = ?1 ORDER BY seq DESC LIMIT ?2)",
	[SQL_NAME_REMOVE] = "DELETE FROM name_values WHERE name = ?1 AND value = ?2",
	[SQL_NAME_CLEAR] = "DELETE FROM name_values WHERE name = ?1",
	[SQL_NAME_GET] = "SELECT seq, created, value FROM name_values WHERE name = ?1 ORDER BY seq DESC LIMIT ?2",
	[SQL_LOAD_NAMES] = "SELECT name, seq, created, value FROM name_values ORDER BY name, seq DESC",
	[SQL_VALUE_CLEAR] = "DELETE FROM txt_values WHERE subdomain = ?1",
	/* A copy keeps each value's sequence number; AUTOINCREMENT then continues above the largest. */
	[SQL_VALUE_COPY] = "INSERT INTO txt_values(subdomain, value, created, seq) VALUES(?1, ?2, ?3, ?4)",
	[SQL_NAME_COPY] = "INSERT INTO name_values(name, value, created, seq) VALUES(?1, ?2, ?3, ?4)",
};

/* The statements of one kind of value owner: account subdomains (txt_values) or whole names (name_values). */
struct value_sql {
	enum store_sql_id insert, trim, remove, clear, get, copy;
};
static const struct value_sql value_sql[] = {
	[STORE_SUBDOMAIN] = { SQL_VALUE_INSERT, SQL_VALUE_TRIM, SQL_VALUE_REMOVE, SQL_VALUE_CLEAR, SQL_VALUES_GET,
			      SQL_VALUE_COPY },
	[STORE_NAME] = { SQL_NAME_INSERT, SQL_NAME_TRIM, SQL_NAME_REMOVE, SQL_NAME_CLEAR, SQL_NAME_GET, SQL_NAME_COPY },
};

/* AUTOINCREMENT so a sequence number is never handed out twice, even after the newest value was trimmed. */
static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE accounts(username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, subdomain TEXT UNIQUE NOT NULL,"
	" allowfrom TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
	"CREATE TABLE txt_values(seq INTEGER PRIMARY KEY AUTOINCREMENT, subdomain TEXT NOT NULL, value TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX txt_values_subdomain_seq ON txt_values(subdomain, seq);"
	"INSERT INTO meta(key, value) VALUES('schema_version', '1');";

/* Version 2: the values RFC 2136 UPDATE writes at whole names (_acme-challenge.example.org), kept like the
 * account values: newest values_kept per name, ordered by their own AUTOINCREMENT sequence. */
static const char schema_v2[] =
	"CREATE TABLE name_values(seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX name_values_name_seq ON name_values(name, seq);"
	"UPDATE meta SET value = '2' WHERE key = 'schema_version';";

/* Version 3: the index of account values carries the whole row (subdomain, seq newest first, created, value), so
 * the start-up walk in subdomain order reads the index alone instead of fetching every row at random from it
 * (a million values: 0.3 s against 0.6 s); the queries by subdomain use it as they used the old one. */
static const char schema_v3[] =
	"DROP INDEX IF EXISTS txt_values_subdomain_seq;"
	"CREATE INDEX txt_values_walk ON txt_values(subdomain, seq DESC, created, value);"
	"UPDATE meta SET value = '3' WHERE key = 'schema_version';";

/* migrations[v] takes a store from version v to v + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = { schema_v1, schema_v2, schema_v3 };
struct sqlite_store {
	struct store base;                /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
	const char *path;                 /* base.name, for messages */
	unsigned values_kept;
	pthread_mutex_t lock;             /* the prepared statements are shared: one caller at a time */
	sqlite3_stmt *stmt[SQL_COUNT];
};

static struct sqlite_store *sq(struct store *st)
{
	return (struct sqlite_store *)st;
}

static int name_lower(const char *name, char out[STORE_NAME_MAX])
{
	return store_key_lower(name, out, STORE_NAME_MAX);
}

/* Copies a text column into out; -1 when it is NULL, holds a NUL byte or does not fit. */
static int column_copy(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);
	if (!t || n < 0 || (size_t)n >= outlen || memchr(t, '\0', (size_t)n))
		return -1;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* ---- shared statements (the caller holds st->lock) ---- */

static void stmt_reset(sqlite3_stmt *s)
{
	/* sqlite3_reset only repeats the last step's error, which the caller has already handled. */
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);   /* always SQLITE_OK */
}

static int stmt_fail(struct sqlite_store *st, sqlite3_stmt *s, const char *what, const char *obj)
{
	log_error("store %s: %s %s: %s", st->path, what, obj, sqlite3_errmsg(st->db));
	stmt_reset(s);
	return -1;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int bind_int64(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

/* Steps a statement that returns no rows, then readies it for the next use. */
static int stmt_exec(struct sqlite_store *st, enum store_sql_id id, const char *what, const char *obj)
{
	sqlite3_stmt *s = st->stmt[id];
	if (sqlite3_step(s) != SQLITE_DONE)
		return stmt_fail(st, s, what, obj);
	stmt_reset(s);
	return 0;
}

static void tx_rollback(struct sqlite_store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;   /* no transaction open: never begun, or SQLite already rolled it back */
	(void)stmt_exec(st, SQL_ROLLBACK, "rollback", "");
}

static int tx_commit(struct sqlite_store *st)
{
	if (stmt_exec(st, SQL_COMMIT, "commit", "") == 0)
		return 0;
	tx_rollback(st);
	return -1;
}

/* Returns 0 inserted, 1 when the username or the subdomain is taken, -1 on error. */
static int account_insert(struct sqlite_store *st, const char *user, const char *hash, const char *sub,
			  const char *allowfrom, int64_t created)
{
	sqlite3_stmt *s = st->stmt[SQL_ACCOUNT_INSERT];
	if (bind_text(s, 1, user) < 0 || bind_text(s, 2, hash) < 0 || bind_text(s, 3, sub) < 0 ||
	    bind_text(s, 4, allowfrom) < 0 || bind_int64(s, 5, created) < 0)
		return stmt_fail(st, s, "binding account", user);
	if (sqlite3_step(s) == SQLITE_DONE) {
		stmt_reset(s);
		return 0;
	}
	int ext = sqlite3_extended_errcode(st->db);
	if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) {
		stmt_reset(s);
		return 1;
	}
	return stmt_fail(st, s, "creating account", user);
}

static int value_insert(struct sqlite_store *st, const char *sub, const char *value, int64_t created, uint64_t *seq)
{
	sqlite3_stmt *s = st->stmt[SQL_VALUE_INSERT];
	if (bind_text(s, 1, sub) < 0 || bind_text(s, 2, value) < 0 || bind_int64(s, 3, created) < 0)
		return stmt_fail(st, s, "binding value for", sub);
	if (sqlite3_step(s) != SQLITE_DONE)
		return stmt_fail(st, s, "adding value to", sub);
	if (seq)
		*seq = (uint64_t)sqlite3_last_insert_rowid(st->db);
	stmt_reset(s);
	return 0;
}

/* Deletes the subdomain's values beyond the newest values_kept by sequence; *removed gets how many. */
static int value_trim(struct sqlite_store *st, const char *sub, size_t *removed)
{
	sqlite3_stmt *s = st->stmt[SQL_VALUE_TRIM];
	if (bind_text(s, 1, sub) < 0 || bind_int64(s, 2, st->values_kept) < 0)
		return stmt_fail(st, s, "binding trim of", sub);
	if (sqlite3_step(s) != SQLITE_DONE)
		return stmt_fail(st, s, "trimming values of", sub);
	if (removed)
		*removed = (size_t)sqlite3_changes(st->db);
	stmt_reset(s);
	return 0;
}

static int account_from_row(sqlite3_stmt *s, struct store_account *out)
{
	memset(out, 0, sizeof(*out));
	if (column_copy(s, 0, out->username, sizeof(out->username)) < 0 ||
	    column_copy(s, 1, out->password_hash, sizeof(out->password_hash)) < 0 ||
	    column_copy(s, 2, out->subdomain, sizeof(out->subdomain)) < 0) {
		log_error("store: an account row is malformed");
		return -1;
	}
	const unsigned char *allow = sqlite3_column_text(s, 3);
	out->allowfrom_json = strdup(allow ? (const char *)allow : "[]");
	if (!out->allowfrom_json) {
		log_error("store: out of memory");
		return -1;
	}
	out->created = sqlite3_column_int64(s, 4);
	return 0;
}

/* ---- opening and the schema ---- */

/* Creates the file ourselves so a new store is 0600 whatever the umask (SQLite gives its -wal/-shm the same). */
static int store_file_create(const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		store_err_set(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Runs a query returning one integer. Returns 0, or -1 with errbuf set. */
static int sql_int(struct sqlite_store *st, const char *sql, int64_t *out, char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		store_err_set(errbuf, errlen, "%s: query returned nothing: %s", st->path, sql);
	else
		store_err_set(errbuf, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);   /* repeats the step's error, reported above */
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Reads the schema version into *version: 0 for a new, empty file. -1 (errbuf set) for a file that is not
 * ours or that a newer acme-dnsd wrote. */
static int schema_version_read(struct sqlite_store *st, int64_t *version, char *errbuf, size_t errlen)
{
	int64_t tables = 0, has_meta = 0;
	if (sql_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
			"ESCAPE '\\'", &tables, errbuf, errlen) < 0 ||
	    sql_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", &has_meta,
		    errbuf, errlen) < 0)
		return -1;
	if (!has_meta && tables > 0) {
		store_err_set(errbuf, errlen, "%s is not an acme-dnsd store (it holds other tables and no 'meta'); "
			"to migrate a joohoi/acme-dns database use --import-acme-dns", st->path);
		return -1;
	}
	*version = 0;
	if (has_meta && sql_int(st, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
				version, errbuf, errlen) < 0)
		return -1;
	if (has_meta && *version < 1) {
		store_err_set(errbuf, errlen, "%s: meta.schema_version is not a valid version", st->path);
		return -1;
	}
	if (*version > STORE_SCHEMA_VERSION) {
		store_err_set(errbuf, errlen, "%s: store schema version %lld is newer than this acme-dnsd supports (%d); "
			"run a newer acme-dnsd", st->path, (long long)*version, STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static int sql_exec(struct sqlite_store *st, const char *sql, char *errbuf, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	store_err_set(errbuf, errlen, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

static int pragma_wal(struct sqlite_store *st, char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
	int ok = mode && strcmp((const char *)mode, "wal") == 0;
	if (!ok)
		store_err_set(errbuf, errlen, "%s: cannot switch to WAL mode: %s", st->path,
			rc == SQLITE_ROW ? (mode ? (const char *)mode : "?") : sqlite3_errmsg(st->db));
	sqlite3_finalize(s);   /* repeats the step's error, reported above */
	return ok ? 0 : -1;
}

/* Creates the schema in a new file, or migrates an older one step by step, in one transaction. */
static int schema_setup(struct sqlite_store *st, char *errbuf, size_t errlen)
{
	int64_t version = 0;
	if (sql_exec(st, "BEGIN IMMEDIATE", errbuf, errlen) < 0)
		return -1;
	int rc = schema_version_read(st, &version, errbuf, errlen);   /* again: another process may have won */
	int64_t from = version;
	for (; rc == 0 && version < STORE_SCHEMA_VERSION; version++)
		rc = sql_exec(st, migrations[version], errbuf, errlen);
	if (rc == 0 && from == 0)
		log_info("store %s: created (schema version %d)", st->path, STORE_SCHEMA_VERSION);
	else if (rc == 0 && from < STORE_SCHEMA_VERSION)
		log_info("store %s: schema migrated from version %lld to %d", st->path, (long long)from,
			 STORE_SCHEMA_VERSION);
	if (rc == 0)
		rc = sql_exec(st, "COMMIT", errbuf, errlen);
	if (rc < 0 && !sqlite3_get_autocommit(st->db) && sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_error("store %s: rollback: %s", st->path, sqlite3_errmsg(st->db));
	return rc;
}

static int store_db_open(struct sqlite_store *st, char *errbuf, size_t errlen)
{
	int64_t version = 0;
	int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_err_set(errbuf, errlen, "%s: %s", st->path, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		return -1;
	}
	if (sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK) {
		store_err_set(errbuf, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	/* Refuse a foreign or newer file before changing anything in it, WAL mode included. */
	if (schema_version_read(st, &version, errbuf, errlen) < 0)
		return -1;
	/* FULL: a commit reaches the disk before store_value_add returns, so an answered update survives a crash. */
	if (pragma_wal(st, errbuf, errlen) < 0 || sql_exec(st, "PRAGMA synchronous=FULL", errbuf, errlen) < 0)
		return -1;
	return schema_setup(st, errbuf, errlen);
}

static int stmts_prepare(struct sqlite_store *st, char *errbuf, size_t errlen)
{
	for (int i = 0; i < SQL_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			store_err_set(errbuf, errlen, "%s: preparing \"%s\": %s", st->path, store_sql[i],
				sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

static const struct store_ops sqlite_ops;

static struct sqlite_store *store_new(const char *path, unsigned values_kept)
{
	struct sqlite_store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (store_head_init(&st->base, &sqlite_ops, path, values_kept) < 0) {
		free(st);
		return NULL;
	}
	if (pthread_mutex_init(&st->lock, NULL) != 0) {
		store_head_clear(&st->base);
		free(st);
		return NULL;
	}
	st->path = st->base.name;
	st->values_kept = values_kept;
	return st;
}

static void sqlite_close(struct store *base)
{
	struct sqlite_store *st = sq(base);
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);   /* NULL is fine; errors were reported when they happened */
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_error("store %s: close: %s", st->path, sqlite3_errmsg(st->db));
	pthread_mutex_destroy(&st->lock);
	store_head_clear(&st->base);
	free(st);
}

struct store *store_sqlite_open(const char *path, unsigned values_kept, char *errbuf, size_t errlen)
{
	if (store_file_create(path, errbuf, errlen) < 0)
		return NULL;
	struct sqlite_store *st = store_new(path, values_kept);
	if (!st) {
		store_err_set(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (store_db_open(st, errbuf, errlen) < 0 || stmts_prepare(st, errbuf, errlen) < 0) {
		sqlite_close(&st->base);
		return NULL;
	}
	return &st->base;
}

static int sqlite_ping(struct store *base)
{
	struct sqlite_store *st = sq(base);
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = st->stmt[SQL_PING];
	int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : stmt_fail(st, s, "ping", "");
	if (rc == 0)
		stmt_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---- accounts ---- */

static int sqlite_account_create(struct store *base, const struct store_account *acct)
{
	struct sqlite_store *st = sq(base);
	char user[STORE_NAME_MAX], sub[STORE_NAME_MAX];
	size_t hlen = acct ? strnlen(acct->password_hash, STORE_HASH_MAX) : 0;
	if (!acct || name_lower(acct->username, user) < 0 || name_lower(acct->subdomain, sub) < 0 || hlen == 0 ||
	    hlen >= STORE_HASH_MAX) {
		log_error("store: refusing an account with an empty or over-long field");
		return -1;
	}
	pthread_mutex_lock(&st->lock);
	int rc = account_insert(st, user, acct->password_hash, sub, acct->allowfrom_json ? acct->allowfrom_json : "[]",
				acct->created);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int sqlite_account_get(struct store *base, const char *username, struct store_account *out)
{
	struct sqlite_store *st = sq(base);
	char user[STORE_NAME_MAX];
	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));   /* store_account_clear is safe whatever the result */
	if (name_lower(username, user) < 0)
		return 1;   /* no such name can exist */
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = st->stmt[SQL_ACCOUNT_GET];
	int rc;
	if (bind_text(s, 1, user) < 0) {
		rc = stmt_fail(st, s, "binding account", user);
	} else {
		int step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			rc = account_from_row(s, out);
		else if (step == SQLITE_DONE)
			rc = 1;
		else
			rc = stmt_fail(st, s, "reading account", user);
		if (step == SQLITE_ROW || step == SQLITE_DONE)
			stmt_reset(s);
	}
	pthread_mutex_unlock(&st->lock);
	if (rc < 0)
		store_account_clear(out);
	return rc;
}

/* ---- values ---- */

static int value_args_ok(const char *subdomain, const char *value, char sub[STORE_NAME_MAX])
{
	if (name_lower(subdomain, sub) < 0 || !value || strnlen(value, STORE_VALUE_MAX + 1) > STORE_VALUE_MAX) {
		log_error("store: refusing a value: subdomain or value empty or too long");
		return -1;
	}
	return 0;
}

/* Deletes earlier copies of value, inside the caller's transaction. */
static int value_drop_same(struct sqlite_store *st, const char *sub, const char *value)
{
	sqlite3_stmt *s = st->stmt[SQL_VALUE_REMOVE];
	if (bind_text(s, 1, sub) < 0 || bind_text(s, 2, value) < 0)
		return stmt_fail(st, s, "binding removal from", sub);
	if (sqlite3_step(s) != SQLITE_DONE)
		return stmt_fail(st, s, "removing a value from", sub);
	stmt_reset(s);
	return 0;
}

/* A value sent again moves to the front instead of being kept twice, so a repeated update never evicts the
 * other value a wildcard + base name order needs. */
static int sqlite_value_add(struct store *base, const char *subdomain, const char *value, int64_t now,
			    uint64_t *seq_out)
{
	struct sqlite_store *st = sq(base);
	char sub[STORE_NAME_MAX];
	uint64_t seq = 0;
	if (value_args_ok(subdomain, value, sub) < 0)
		return -1;
	pthread_mutex_lock(&st->lock);
	int rc = stmt_exec(st, SQL_BEGIN_WRITE, "begin for", sub);
	if (rc == 0)
		rc = value_drop_same(st, sub, value);
	if (rc == 0)
		rc = value_insert(st, sub, value, now, &seq);
	if (rc == 0)
		rc = value_trim(st, sub, NULL);
	if (rc == 0)
		rc = tx_commit(st);
	else
		tx_rollback(st);
	pthread_mutex_unlock(&st->lock);
	if (rc == 0 && seq_out)
		*seq_out = seq;
	return rc;
}

static int sqlite_value_remove(struct store *base, const char *subdomain, const char *value)
{
	struct sqlite_store *st = sq(base);
	char sub[STORE_NAME_MAX];
	if (value_args_ok(subdomain, value, sub) < 0)
		return -1;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = st->stmt[SQL_VALUE_REMOVE];
	int rc;
	if (bind_text(s, 1, sub) < 0 || bind_text(s, 2, value) < 0) {
		rc = stmt_fail(st, s, "binding removal from", sub);
	} else if (sqlite3_step(s) != SQLITE_DONE) {
		rc = stmt_fail(st, s, "removing a value from", sub);
	} else {
		rc = sqlite3_changes(st->db);
		stmt_reset(s);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int value_from_row(sqlite3_stmt *s, int first_col, struct store_value *v)
{
	v->seq = (uint64_t)sqlite3_column_int64(s, first_col);
	v->created = sqlite3_column_int64(s, first_col + 1);
	if (column_copy(s, first_col + 2, v->value, sizeof(v->value)) < 0) {
		log_error("store: value %llu is malformed", (unsigned long long)v->seq);
		return -1;
	}
	return 0;
}

/* The newest max values of a subdomain or a name (target), newest first. */
static int sqlite_values_get(struct store *base, enum store_target target, const char *key, struct store_value *out,
			     size_t max)
{
	struct sqlite_store *st = sq(base);
	char sub[STORE_DNAME_MAX];
	if (store_key_lower(key, sub, target == STORE_NAME ? STORE_DNAME_MAX : STORE_NAME_MAX) < 0 || (!out && max > 0))
		return -1;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = st->stmt[value_sql[target].get];
	int n = 0, step = SQLITE_DONE;
	if (bind_text(s, 1, sub) < 0 || bind_int64(s, 2, max > INT_MAX ? INT_MAX : (int64_t)max) < 0) {
		n = stmt_fail(st, s, "binding values of", sub);
		pthread_mutex_unlock(&st->lock);
		return n;
	}
	while (n >= 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
		n = value_from_row(s, 0, &out[n]) < 0 ? -1 : n + 1;
	if (n >= 0 && step != SQLITE_DONE)
		n = stmt_fail(st, s, "reading values of", sub);
	else
		stmt_reset(s);
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* ---- several changes in one transaction ---- */

/* Binds ?1 = key, then value (when not NULL) and num (when not NULL) to the next numbers, and steps. */
static int run_kv(struct sqlite_store *st, enum store_sql_id id, const char *key, const char *value, const int64_t *num)
{
	sqlite3_stmt *s = st->stmt[id];
	int i = 1;
	if (bind_text(s, i++, key) < 0 || (value && bind_text(s, i++, value) < 0) ||
	    (num && bind_int64(s, i, *num) < 0))
		return stmt_fail(st, s, "binding values of", key);
	if (sqlite3_step(s) != SQLITE_DONE)
		return stmt_fail(st, s, "writing values of", key);
	stmt_reset(s);
	return 0;
}

/* One change inside the caller's transaction; an added value moves to the front as in store_value_add. */
static int change_run(struct sqlite_store *st, const struct store_change *c, int64_t now)
{
	const struct value_sql *q = &value_sql[c->target];
	char key[STORE_DNAME_MAX];
	int64_t kept = st->values_kept;
	if (store_key_lower(c->key, key, c->target == STORE_NAME ? STORE_DNAME_MAX : STORE_NAME_MAX) < 0 ||
	    (c->op != STORE_CLEAR && (!c->value || !*c->value || strnlen(c->value, STORE_VALUE_MAX + 1) > STORE_VALUE_MAX))) {
		log_error("store: refusing a change: name or value empty or too long");
		return -1;
	}
	switch (c->op) {
	case STORE_ADD:
		if (run_kv(st, q->remove, key, c->value, NULL) < 0 || run_kv(st, q->insert, key, c->value, &now) < 0)
			return -1;
		return run_kv(st, q->trim, key, NULL, &kept);
	case STORE_REMOVE:
		return run_kv(st, q->remove, key, c->value, NULL);
	case STORE_CLEAR:
		return run_kv(st, q->clear, key, NULL, NULL);
	}
	return -1;
}

static int sqlite_apply(struct store *base, const struct store_change *changes, size_t n, int64_t now)
{
	struct sqlite_store *st = sq(base);
	pthread_mutex_lock(&st->lock);
	int rc = stmt_exec(st, SQL_BEGIN_WRITE, "begin", "changes");
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = change_run(st, &changes[i], now);
	if (rc == 0)
		rc = tx_commit(st);
	else
		tx_rollback(st);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---- the startup walk ---- */

/* Returns 0 at the end, 1 when the callback stopped the walk, -1 on error. */
static int load_accounts(struct sqlite_store *st, int (*on_account)(void *, const struct store_account *), void *ctx)
{
	sqlite3_stmt *s = st->stmt[SQL_LOAD_ACCOUNTS];
	int step = SQLITE_DONE, rc = 0;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_account a;
		if (account_from_row(s, &a) < 0)
			rc = -1;
		else if (on_account(ctx, &a) != 0)
			rc = 1;
		store_account_clear(&a);
	}
	if (rc == 0 && step != SQLITE_DONE)
		return stmt_fail(st, s, "reading", "accounts");
	stmt_reset(s);
	return rc;
}

/* The accounts' subdomains alone (the other fields empty), for serving. */
static int load_subdomains(struct sqlite_store *st, int (*on_account)(void *, const struct store_account *), void *ctx)
{
	sqlite3_stmt *s = st->stmt[SQL_LOAD_SUBDOMAINS];
	int step = SQLITE_DONE, rc = 0;
	struct store_account a;
	memset(&a, 0, sizeof(a));
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (column_copy(s, 0, a.subdomain, sizeof(a.subdomain)) < 0) {
			log_error("store: an account row is malformed");
			rc = -1;
		} else if (on_account(ctx, &a) != 0) {
			rc = 1;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		return stmt_fail(st, s, "reading", "accounts");
	stmt_reset(s);
	return rc;
}

static int load_values(struct sqlite_store *st, enum store_sql_id id,
		       int (*on_value)(void *, const char *, const struct store_value *), void *ctx)
{
	sqlite3_stmt *s = st->stmt[id];
	int step = SQLITE_DONE, rc = 0;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		char sub[STORE_DNAME_MAX];
		struct store_value v;
		if (column_copy(s, 0, sub, sizeof(sub)) < 0 || value_from_row(s, 1, &v) < 0)
			rc = -1;
		else if (on_value(ctx, sub, &v) != 0)
			rc = 1;
	}
	if (rc == 0 && step != SQLITE_DONE)
		return stmt_fail(st, s, "reading", "values");
	stmt_reset(s);
	return rc;
}

/* The callbacks run under the store lock (one read transaction, a consistent picture): they must not call back
 * into the store. A callback stopping the walk is not an error. */
static int sqlite_load_walk(struct store *base, bool full, store_account_fn on_account, store_value_fn on_value,
			    void *ctx)
{
	struct sqlite_store *st = sq(base);
	pthread_mutex_lock(&st->lock);
	int rc = stmt_exec(st, SQL_BEGIN_READ, "begin", "load");
	if (rc == 0 && on_account)
		rc = full ? load_accounts(st, on_account, ctx) : load_subdomains(st, on_account, ctx);
	if (rc == 0 && on_value)
		rc = load_values(st, SQL_LOAD_VALUES, on_value, ctx);
	if (rc >= 0)
		rc = tx_commit(st) < 0 ? -1 : rc;
	else
		tx_rollback(st);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? -1 : 0;
}

static int sqlite_load(struct store *base, store_account_fn on_account, store_value_fn on_value, void *ctx)
{
	return sqlite_load_walk(base, true, on_account, on_value, ctx);
}

static int sqlite_load_serving(struct store *base, store_account_fn on_account, store_value_fn on_value, void *ctx)
{
	return sqlite_load_walk(base, false, on_account, on_value, ctx);
}

static int sqlite_load_names(struct store *base, store_value_fn on_value, void *ctx)
{
	struct sqlite_store *st = sq(base);
	pthread_mutex_lock(&st->lock);
	int rc = stmt_exec(st, SQL_BEGIN_READ, "begin", "load");
	if (rc == 0)
		rc = load_values(st, SQL_LOAD_NAMES, on_value, ctx);
	if (rc >= 0)
		rc = tx_commit(st) < 0 ? -1 : rc;
	else
		tx_rollback(st);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? -1 : 0;
}

/* ---- importing a joohoi/acme-dns database ---- */

struct import_ctx {
	struct sqlite_store *st;
	sqlite3 *src;
	const char *src_path;
	sqlite3_stmt *src_values;         /* one subdomain's non-empty values, oldest first */
	size_t accounts, values;
	char *errbuf;
	size_t errlen;
};

/* "file:" URI with mode=ro, every byte outside the unreserved set percent-encoded. Caller frees. */
static char *sqlite_uri_readonly(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char suffix[] = "?mode=ro";
	size_t n = strlen(path), j = 0;
	char *uri = malloc(n * 3 + sizeof("file://") + sizeof(suffix));
	if (!uri)
		return NULL;
	const char *prefix = path[0] == '/' ? "file://" : "file:";
	memcpy(uri, prefix, strlen(prefix));
	j = strlen(prefix);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
			uri[j++] = (char)c;
		} else {
			uri[j++] = '%';
			uri[j++] = hex[c >> 4];
			uri[j++] = hex[c & 15];
		}
	}
	memcpy(uri + j, suffix, sizeof(suffix));
	return uri;
}

/* Returns 1 when src has the table, 0 when not, -1 (errbuf set) when src cannot be read at all. */
static int src_has_table(struct import_ctx *ic, const char *table)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ic->src, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	int has = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) > 0 : -1;
	if (has < 0)
		store_err_set(ic->errbuf, ic->errlen, "%s: %s", ic->src_path, sqlite3_errmsg(ic->src));
	sqlite3_finalize(s);   /* repeats the step's error, reported above */
	return has;
}

/* The source must be an acme-dns database of version 1: records and txt tables, db_version 1 when recorded. */
static int src_check(struct import_ctx *ic)
{
	static const char *const tables[] = { "records", "txt" };
	for (size_t i = 0; i < 2; i++) {
		int has = src_has_table(ic, tables[i]);
		if (has <= 0) {
			if (has == 0)
				store_err_set(ic->errbuf, ic->errlen, "%s is not a joohoi/acme-dns database (no '%s' table; "
					"acme-dns database version 1 expected)", ic->src_path, tables[i]);
			return -1;
		}
	}
	int has_meta = src_has_table(ic, "acmedns");
	if (has_meta <= 0)
		return has_meta;   /* no version row to check: the two tables are what matters */
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ic->src, "SELECT Value FROM acmedns WHERE Name = 'db_version'", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
	int ok = rc == SQLITE_DONE || (v && strcmp((const char *)v, "1") == 0);
	if (!ok)
		store_err_set(ic->errbuf, ic->errlen, "%s: acme-dns database version %s is not supported (only 1)", ic->src_path,
			v ? (const char *)v : sqlite3_errmsg(ic->src));
	sqlite3_finalize(s);   /* repeats the step's error, reported above */
	return ok ? 0 : -1;
}

static int src_open(struct import_ctx *ic)
{
	char *uri = sqlite_uri_readonly(ic->src_path);
	int rc = uri ? sqlite3_open_v2(uri, &ic->src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) : SQLITE_NOMEM;
	free(uri);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(ic->src, STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		store_err_set(ic->errbuf, ic->errlen, "cannot open %s: %s", ic->src_path,
			ic->src ? sqlite3_errmsg(ic->src) : sqlite3_errstr(rc));
		return -1;
	}
	if (src_check(ic) < 0)
		return -1;
	/* One read transaction: accounts and values from the same moment even if acme-dns is still running. */
	char *msg = NULL;
	if (sqlite3_exec(ic->src, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_prepare_v2(ic->src, "SELECT Value, LastUpdate FROM txt WHERE Subdomain = ?1 AND Value <> '' "
			       "ORDER BY LastUpdate, rowid", -1, &ic->src_values, NULL) != SQLITE_OK) {
		store_err_set(ic->errbuf, ic->errlen, "%s: %s", ic->src_path, msg ? msg : sqlite3_errmsg(ic->src));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void src_close(struct import_ctx *ic)
{
	sqlite3_finalize(ic->src_values);   /* errors were reported when they happened */
	if (ic->src && !sqlite3_get_autocommit(ic->src) && sqlite3_exec(ic->src, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		log_warn("import %s: ending the read: %s", ic->src_path, sqlite3_errmsg(ic->src));
	if (sqlite3_close(ic->src) != SQLITE_OK)
		log_warn("import %s: close: %s", ic->src_path, sqlite3_errmsg(ic->src));
}

/* What to store for an acme-dns AllowFrom: the list as is, "[]" for JSON null (acme-dns reads that as no limit),
 * NULL for anything else: acme-dns refuses such an account, so it is skipped rather than opened to everyone. */
static const char *allowfrom_import(const char *json)
{
	json_t *a = json ? json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL) : NULL;
	const char *use = json_is_null(a) ? "[]" : json_is_array(a) ? json : NULL;
	for (size_t i = 0; use && json_is_array(a) && i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			use = NULL;
	json_decref(a);
	return use;
}

/* Copies the account's non-empty values in acme-dns's order of recency, then trims to values_kept. */
static int import_values(struct import_ctx *ic, const char *src_sub, const char *sub)
{
	sqlite3_stmt *q = ic->src_values;
	size_t added = 0, removed = 0;
	int step = SQLITE_DONE, rc = bind_text(q, 1, src_sub);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(q, 0);
		if (!v || strlen((const char *)v) > STORE_VALUE_MAX) {
			log_warn("import %s: subdomain %s: a value is too long, skipped", ic->src_path, sub);
			continue;
		}
		rc = value_insert(ic->st, sub, (const char *)v, sqlite3_column_int64(q, 1), NULL);
		added += rc == 0;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_err_set(ic->errbuf, ic->errlen, "%s: reading txt: %s", ic->src_path, sqlite3_errmsg(ic->src));
		rc = -1;
	}
	stmt_reset(q);
	if (rc == 0)
		rc = value_trim(ic->st, sub, &removed);
	if (rc == 0)
		ic->values += added - removed;
	return rc;
}

/* Imports one records row. Returns 0 (imported or skipped with a log line) or -1 (errbuf set). */
static int import_account(struct import_ctx *ic, sqlite3_stmt *row)
{
	char user_raw[STORE_NAME_MAX], sub_raw[STORE_NAME_MAX], user[STORE_NAME_MAX], sub[STORE_NAME_MAX];
	char hash[STORE_HASH_MAX];
	const char *allow = allowfrom_import((const char *)sqlite3_column_text(row, 3));
	if (column_copy(row, 0, user_raw, sizeof(user_raw)) < 0 || column_copy(row, 2, sub_raw, sizeof(sub_raw)) < 0 ||
	    name_lower(user_raw, user) < 0 || name_lower(sub_raw, sub) < 0 ||
	    column_copy(row, 1, hash, sizeof(hash)) < 0 || strncmp(hash, "$2", 2) != 0) {
		log_warn("import %s: a records row has a malformed username, subdomain or bcrypt hash, skipped",
			 ic->src_path);
		return 0;
	}
	if (!allow) {
		log_warn("import %s: account %s: AllowFrom is not a JSON list of strings, skipped", ic->src_path, user);
		return 0;
	}
	int rc = account_insert(ic->st, user, hash, sub, allow, 0);
	if (rc == 1) {
		log_info("import %s: account %s (subdomain %s) already present, skipped", ic->src_path, user, sub);
		return 0;
	}
	if (rc == 0)
		rc = import_values(ic, sub_raw, sub);
	if (rc < 0) {
		if (!ic->errbuf[0])
			store_err_set(ic->errbuf, ic->errlen, "writing account %s to %s: %s", user, ic->st->path,
				sqlite3_errmsg(ic->st->db));
		return -1;
	}
	ic->accounts++;
	return 0;
}

static int import_accounts(struct import_ctx *ic)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ic->src, "SELECT Username, Password, Subdomain, AllowFrom FROM records ORDER BY rowid",
			       -1, &s, NULL) != SQLITE_OK) {
		store_err_set(ic->errbuf, ic->errlen, "%s: %s", ic->src_path, sqlite3_errmsg(ic->src));
		return -1;
	}
	int step = SQLITE_DONE, rc = 0;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
		rc = import_account(ic, s);
	if (rc == 0 && step != SQLITE_DONE) {
		store_err_set(ic->errbuf, ic->errlen, "%s: reading records: %s", ic->src_path, sqlite3_errmsg(ic->src));
		rc = -1;
	}
	sqlite3_finalize(s);   /* repeats the step's error, reported above */
	return rc;
}

static int sqlite_import_acme_dns(struct store *base, const char *acme_dns_db, size_t *n_accounts, size_t *n_values,
				  char *errbuf, size_t errlen)
{
	struct sqlite_store *st = sq(base);
	char scratch[256];
	struct import_ctx ic = { .st = st, .src_path = acme_dns_db, .errbuf = errbuf ? errbuf : scratch,
				 .errlen = errbuf ? errlen : sizeof(scratch) };
	if (ic.errlen == 0) {
		ic.errbuf = scratch;
		ic.errlen = sizeof(scratch);
	}
	ic.errbuf[0] = '\0';
	if (!acme_dns_db || !*acme_dns_db) {
		store_err_set(ic.errbuf, ic.errlen, "no acme-dns database given");
		return -1;
	}
	int rc = src_open(&ic);
	if (rc == 0) {
		pthread_mutex_lock(&st->lock);
		rc = stmt_exec(st, SQL_BEGIN_WRITE, "begin import into", st->path);
		if (rc == 0)
			rc = import_accounts(&ic);
		if (rc == 0)
			rc = tx_commit(st);
		else
			tx_rollback(st);
		if (rc < 0 && !ic.errbuf[0])
			store_err_set(ic.errbuf, ic.errlen, "writing to %s: %s", st->path, sqlite3_errmsg(st->db));
		pthread_mutex_unlock(&st->lock);
	}
	src_close(&ic);
	if (rc == 0)
		log_info("store %s: imported %zu accounts and %zu values from %s", st->path, ic.accounts, ic.values,
			 acme_dns_db);
	if (n_accounts)
		*n_accounts = rc == 0 ? ic.accounts : 0;
	if (n_values)
		*n_values = rc == 0 ? ic.values : 0;
	return rc;
}

/* ---- copying a whole store in (acme-dnsd --copy-store) ---- */

/* Begins the copy's write transaction and keeps the lock until sqlite_copy_end. */
static int sqlite_copy_begin(struct store *base, enum store_copy_mode mode, char *errbuf, size_t errlen)
{
	struct sqlite_store *st = sq(base);
	int64_t rows = 0;
	pthread_mutex_lock(&st->lock);
	int rc = stmt_exec(st, SQL_BEGIN_WRITE, "begin copy into", st->path);
	if (rc == 0 && mode == STORE_COPY_EMPTY) {
		rc = sql_int(st, "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM txt_values) + "
				 "(SELECT count(*) FROM name_values)", &rows, errbuf, errlen);
		if (rc == 0 && rows > 0) {
			store_err_set(errbuf, errlen, "%s is not empty (%lld accounts and values); --force replaces "
				      "its content", st->path, (long long)rows);
			rc = -1;
		}
	}
	if (rc == 0 && mode == STORE_COPY_REPLACE)
		rc = sql_exec(st, "DELETE FROM accounts; DELETE FROM txt_values; DELETE FROM name_values;", errbuf,
			      errlen);
	if (rc < 0) {
		if (errbuf && !errbuf[0])
			store_err_set(errbuf, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
		tx_rollback(st);
		pthread_mutex_unlock(&st->lock);
	}
	return rc;
}

static int sqlite_copy_account(struct store *base, const struct store_account *a)
{
	struct sqlite_store *st = sq(base);
	char user[STORE_NAME_MAX], sub[STORE_NAME_MAX];
	if (name_lower(a->username, user) < 0 || name_lower(a->subdomain, sub) < 0 || !a->password_hash[0])
		return -1;
	return account_insert(st, user, a->password_hash, sub, a->allowfrom_json ? a->allowfrom_json : "[]",
			      a->created);
}

/* A value with its own sequence number is inserted as it is; one without (seq 0) gets the next number, and the
 * key is trimmed to values_kept as an add would. */
static int sqlite_copy_value(struct store *base, enum store_target target, const char *key,
			     const struct store_value *v)
{
	struct sqlite_store *st = sq(base);
	const struct value_sql *q = &value_sql[target];
	char k[STORE_DNAME_MAX];
	int64_t created = v->created, kept = st->values_kept;
	if (store_key_lower(key, k, store_key_cap(target)) < 0 || !v->value[0])
		return -1;
	if (v->seq == 0)
		return run_kv(st, q->insert, k, v->value, &created) < 0 ? -1 : run_kv(st, q->trim, k, NULL, &kept);
	sqlite3_stmt *s = st->stmt[q->copy];
	if (bind_text(s, 1, k) < 0 || bind_text(s, 2, v->value) < 0 || bind_int64(s, 3, created) < 0 ||
	    bind_int64(s, 4, (int64_t)v->seq) < 0)
		return stmt_fail(st, s, "binding copied value of", k);
	return stmt_exec(st, q->copy, "copying a value of", k);
}

static int sqlite_copy_end(struct store *base, bool commit, char *errbuf, size_t errlen)
{
	struct sqlite_store *st = sq(base);
	int rc = 0;
	if (commit) {
		rc = tx_commit(st);
		if (rc < 0)
			store_err_set(errbuf, errlen, "%s: commit: %s", st->path, sqlite3_errmsg(st->db));
	} else {
		tx_rollback(st);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static const struct store_ops sqlite_ops = {
	.kind = "sqlite",
	.close = sqlite_close,
	.ping = sqlite_ping,
	.account_create = sqlite_account_create,
	.account_get = sqlite_account_get,
	.value_add = sqlite_value_add,
	.value_remove = sqlite_value_remove,
	.values_get = sqlite_values_get,
	.apply = sqlite_apply,
	.load = sqlite_load,
	.load_serving = sqlite_load_serving,
	.load_names = sqlite_load_names,
	.import_acme_dns = sqlite_import_acme_dns,
	.copy_begin = sqlite_copy_begin,
	.copy_account = sqlite_copy_account,
	.copy_value = sqlite_copy_value,
	.copy_end = sqlite_copy_end,
	.watch = NULL,
};

/* Unit tests for the store: schema, durability across reopen, N trimming by sequence, accounts, acme-dns import.
 * They run on SQLite; with ADNS_TEST_PG_URL=postgresql://... set (tests/integration/pg.sh does), the same tests
 * run on that PostgreSQL database instead (its schema "public" is emptied before each), but for the few about
 * SQLite's file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "password.h"
#include "store.h"

#define SUB1 "ee7f390c-350c-4bb3-9efd-6734274f5b18"
#define USER1 "d1e141a7-2d07-4dda-9303-69a3c4c38072"
#define KEY1 "JzzoMAozfa0iJ2ueh-9nP6eu7HVVW6xz28prSdcQ"
#define USER2 "24811146-a59a-49fe-bbca-8a78e2498bd8"
#define KEY2 "BdvRJtSQihBwSs38i4FUXhPPZJ-2twPfzXMU8YP5"
#define SUB2 "cf62d42e-10c0-4b0a-b320-b7424a67d6c3"
#define USER3 "848d3b28-6aca-4d50-9649-3c62b4200baf"
#define VAL_OLD "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define VAL_NEW "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"

struct fx {
	char dir[256];
	char db[300];
	char err[512];
	bool pg;                          /* db is a PostgreSQL URL */
};

/* Runs SQL on the PostgreSQL database behind the store's back. */
static void pg_raw_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		print_error("%s: %s\n", sql, PQerrorMessage(c));
	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/adns-store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
	const char *url = getenv("ADNS_TEST_PG_URL");
	if (url && *url) {
		f->pg = true;
		snprintf(f->db, sizeof(f->db), "%s", url);
		pg_raw_exec(url, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	}
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int rc = nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void fixture_path(char *out, size_t outlen)
{
	const char *dir = getenv("ADNS_FIXTURES");
	snprintf(out, outlen, "%s/acme-dns-v1.sqlite3", dir && *dir ? dir : "tests/fixtures");
}

/* Runs SQL on the file (or database) behind the store's back (the store must be closed). */
static void raw_exec(const char *path, const char *sql)
{
	if (store_is_url(path)) {
		pg_raw_exec(path, sql);
		return;
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static struct store *open_ok(struct fx *f, unsigned n)
{
	struct store *st = store_open(f->db, n, f->err, sizeof(f->err));
	if (!st)
		print_error("store_open: %s\n", f->err);
	assert_non_null(st);
	return st;
}

static void account_make(struct store_account *a, const char *user, const char *sub)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->username, sizeof(a->username), "%s", user);
	snprintf(a->subdomain, sizeof(a->subdomain), "%s", sub);
	snprintf(a->password_hash, sizeof(a->password_hash), "%s",
		 "$2b$10$tz8VlXGSzTnULAKBUgUhhOla3T1JjGqF2cZjAdSgfvWh4rF0c9Jna");
	a->created = 1700000000;
}

static void test_schema_created_and_values_survive_reopen(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	struct stat sb;
	assert_true(f->pg || stat(f->db, &sb) == 0);
	assert_true(f->pg || (sb.st_mode & 0777) == 0600);
	assert_int_equal(store_ping(st), 0);
	uint64_t seq = 0;
	assert_int_equal(store_value_add(st, "sub-a", "value-1", 100, &seq), 0);
	assert_true(seq > 0);
	store_close(st);

	st = open_ok(f, 2);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, "sub-a", v, 4), 1);
	assert_string_equal(v[0].value, "value-1");
	assert_int_equal(v[0].seq, seq);
	assert_int_equal(v[0].created, 100);
	store_close(st);
	if (f->pg)
		return;

	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "3");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Adds count values "v<i>" in the same second and checks exactly the newest n remain, newest first. */
static void check_rapid_adds(struct fx *f, unsigned n, int count)
{
	struct store *st = open_ok(f, n);
	uint64_t seqs[64];
	char val[16];
	for (int i = 0; i < count; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		assert_int_equal(store_value_add(st, "rapid", val, 1700000000, &seqs[i]), 0);
		if (i > 0)
			assert_true(seqs[i] > seqs[i - 1]);
	}
	struct store_value v[32];
	int got = store_values_get(st, "rapid", v, 32);
	assert_int_equal(got, (int)n < count ? (int)n : count);
	for (int i = 0; i < got; i++) {
		snprintf(val, sizeof(val), "v%d", count - 1 - i);
		assert_string_equal(v[i].value, val);
		assert_int_equal(v[i].seq, seqs[count - 1 - i]);
	}
	/* max smaller than what is kept: the newest ones. */
	assert_int_equal(store_values_get(st, "rapid", v, 1), 1);
	snprintf(val, sizeof(val), "v%d", count - 1);
	assert_string_equal(v[0].value, val);
	store_close(st);
}

static void test_trim_rapid_adds_keeps_newest_two(void **state)
{
	check_rapid_adds(*state, 2, 7);
}

static void test_values_kept_1(void **state)
{
	check_rapid_adds(*state, 1, 5);
}

static void test_values_kept_16(void **state)
{
	check_rapid_adds(*state, 16, 40);
}

static void test_values_kept_out_of_range(void **state)
{
	struct fx *f = *state;
	assert_null(store_open(f->db, 0, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "values_kept"));
	assert_null(store_open(f->db, 17, f->err, sizeof(f->err)));
}

static void test_trim_is_per_subdomain_and_seq_never_reused(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 1);
	uint64_t a = 0, b = 0, c = 0;
	assert_int_equal(store_value_add(st, "one", "x", 1, &a), 0);
	assert_int_equal(store_value_add(st, "two", "y", 1, &b), 0);
	assert_int_equal(store_value_remove(st, "two", "y"), 1);
	/* The newest row was deleted; its number must not come back. */
	assert_int_equal(store_value_add(st, "two", "z", 1, &c), 0);
	assert_true(c > b && b > a);
	struct store_value v[2];
	assert_int_equal(store_values_get(st, "one", v, 2), 1);
	assert_string_equal(v[0].value, "x");
	store_close(st);
}

struct adder {
	struct store *st;
	int id, failures;
};

static void *adder_run(void *arg)
{
	struct adder *a = arg;
	char val[32];
	for (int i = 0; i < 25; i++) {
		snprintf(val, sizeof(val), "t%d-%d", a->id, i);
		a->failures += store_value_add(a->st, "threads", val, 1, NULL) != 0;
	}
	return NULL;
}

/* The daemon's threads share one store: concurrent adds must all land and the newest N by sequence stay. */
static void test_concurrent_adds(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 4);
	pthread_t t[4];
	struct adder a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct adder){ .st = st, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, adder_run, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].failures, 0);
	}
	uint64_t seq = 0;
	assert_int_equal(store_value_add(st, "threads", "last", 1, &seq), 0);
	assert_int_equal(seq, 101);   /* 100 from the threads, none lost, none reused */
	struct store_value v[8];
	assert_int_equal(store_values_get(st, "threads", v, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v[i].seq, seq - (uint64_t)i);
	store_close(st);
}

static void test_remove(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 4);
	assert_int_equal(store_value_add(st, "rm", "a", 1, NULL), 0);
	assert_int_equal(store_value_add(st, "rm", "b", 1, NULL), 0);
	assert_int_equal(store_value_add(st, "rm", "a", 1, NULL), 0);
	assert_int_equal(store_value_remove(st, "rm", "a"), 1);
	assert_int_equal(store_value_remove(st, "rm", "a"), 0);
	assert_int_equal(store_value_remove(st, "RM", "zzz"), 0);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, "rm", v, 4), 1);
	assert_string_equal(v[0].value, "b");
	assert_int_equal(store_value_remove(st, "Rm", "b"), 1);
	assert_int_equal(store_values_get(st, "rm", v, 4), 0);
	store_close(st);
}

/* The same value twice moves to the front: with N = 2 the other value survives. */
static void test_repeated_value_moves_to_front(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	assert_int_equal(store_value_add(st, "dup", "base", 1, NULL), 0);
	assert_int_equal(store_value_add(st, "dup", "wild", 2, NULL), 0);
	assert_int_equal(store_value_add(st, "dup", "base", 3, NULL), 0);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, "dup", v, 4), 2);
	assert_string_equal(v[0].value, "base");
	assert_string_equal(v[1].value, "wild");
	store_close(st);
}

static void test_subdomain_case_insensitive(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	struct store_value v[2];
	assert_int_equal(store_value_add(st, "ABC-Def", "val", 1, NULL), 0);
	assert_int_equal(store_values_get(st, "abc-def", v, 2), 1);
	assert_int_equal(store_values_get(st, "ABC-DEF", v, 2), 1);
	assert_int_equal(store_value_add(st, "abc-def", "val2", 1, NULL), 0);
	assert_int_equal(store_values_get(st, "aBc-DeF", v, 2), 2);
	assert_string_equal(v[0].value, "val2");

	struct store_account a, got;
	account_make(&a, "User-ONE", "Mixed-Sub");
	assert_int_equal(store_account_create(st, &a), 0);
	account_make(&a, "user-two", "MIXED-SUB");
	assert_int_equal(store_account_create(st, &a), 1);
	assert_int_equal(store_account_get(st, "user-one", &got), 0);
	assert_string_equal(got.subdomain, "mixed-sub");
	store_account_clear(&got);
	store_close(st);
}

static void test_value_limits(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	char big[STORE_VALUE_MAX + 2];
	memset(big, 'x', sizeof(big));
	big[STORE_VALUE_MAX] = '\0';
	assert_int_equal(store_value_add(st, "lim", big, 1, NULL), 0);
	big[STORE_VALUE_MAX] = 'x';
	big[STORE_VALUE_MAX + 1] = '\0';
	assert_int_equal(store_value_add(st, "lim", big, 1, NULL), -1);
	assert_int_equal(store_value_add(st, "", "v", 1, NULL), -1);
	assert_int_equal(store_value_add(st, NULL, "v", 1, NULL), -1);
	struct store_value v[2];
	assert_int_equal(store_values_get(st, "lim", v, 2), 1);
	assert_int_equal(strlen(v[0].value), STORE_VALUE_MAX);
	store_close(st);
}

static void test_accounts_duplicate_and_unknown(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	struct store_account a, got;
	account_make(&a, "u1", "s1");
	a.allowfrom_json = "[\"10.0.0.0/8\"]";
	assert_int_equal(store_account_create(st, &a), 0);
	assert_int_equal(store_account_create(st, &a), 1);           /* same username */
	account_make(&a, "u2", "s1");
	assert_int_equal(store_account_create(st, &a), 1);           /* same subdomain */
	account_make(&a, "u3", "s3");                                /* allowfrom NULL: stored as [] */
	assert_int_equal(store_account_create(st, &a), 0);

	assert_int_equal(store_account_get(st, "nobody", &got), 1);
	assert_int_equal(store_account_get(st, "u1", &got), 0);
	assert_string_equal(got.username, "u1");
	assert_string_equal(got.subdomain, "s1");
	assert_string_equal(got.allowfrom_json, "[\"10.0.0.0/8\"]");
	assert_int_equal(got.created, 1700000000);
	assert_memory_equal(got.password_hash, "$2b$10$", 7);
	store_account_clear(&got);
	assert_int_equal(store_account_get(st, "u3", &got), 0);
	assert_string_equal(got.allowfrom_json, "[]");
	store_account_clear(&got);
	store_close(st);
}

struct walk {
	int accounts, values, stop_after;
	char last_sub[STORE_NAME_MAX];
	uint64_t last_seq;
	int order_ok;
};

static int walk_account(void *ctx, const struct store_account *a)
{
	struct walk *w = ctx;
	w->accounts++;
	return w->stop_after && w->accounts >= w->stop_after;
}

static int walk_value(void *ctx, const char *sub, const struct store_value *v)
{
	struct walk *w = ctx;
	if (strcmp(sub, w->last_sub) == 0 && v->seq >= w->last_seq)
		w->order_ok = 0;
	snprintf(w->last_sub, sizeof(w->last_sub), "%s", sub);
	w->last_seq = v->seq;
	w->values++;
	return 0;
}

static void test_load_walks_accounts_then_values(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 3);
	struct store_account a;
	account_make(&a, "u1", "s1");
	assert_int_equal(store_account_create(st, &a), 0);
	account_make(&a, "u2", "s2");
	assert_int_equal(store_account_create(st, &a), 0);
	const char *subs[] = { "s1", "s2", "s1", "s2", "s1", "s1" };
	const char *vals[] = { "v1", "v2", "v3", "v4", "v5", "v6" };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(store_value_add(st, subs[i], vals[i], 1, NULL), 0);
	struct walk w = { .order_ok = 1 };
	assert_int_equal(store_load(st, walk_account, walk_value, &w), 0);
	assert_int_equal(w.accounts, 2);
	assert_int_equal(w.values, 5);   /* s1 trimmed to 3, s2 holds 2 */
	assert_true(w.order_ok);
	struct walk stop = { .order_ok = 1, .stop_after = 1 };
	assert_int_equal(store_load(st, walk_account, walk_value, &stop), 0);
	assert_int_equal(stop.accounts, 1);
	assert_int_equal(stop.values, 0);
	/* The store still works after a stopped walk (its transaction ended). */
	assert_int_equal(store_value_add(st, "s2", "w", 1, NULL), 0);
	store_close(st);
}

static void import_fixture_ok(struct store *st, size_t want_accounts, size_t want_values)
{
	char src[512], err[512] = "";
	size_t na = 99, nv = 99;
	fixture_path(src, sizeof(src));
	int rc = store_import_acme_dns(st, src, &na, &nv, err, sizeof(err));
	if (rc != 0)
		print_error("import: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(na, want_accounts);
	assert_int_equal(nv, want_values);
}

static void test_import_fixture(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	import_fixture_ok(st, 3, 2);

	struct store_value v[4];
	assert_int_equal(store_values_get(st, SUB1, v, 4), 2);
	assert_string_equal(v[0].value, VAL_NEW);
	assert_string_equal(v[1].value, VAL_OLD);
	assert_true(v[0].seq > v[1].seq);
	assert_int_equal(v[0].created, 1795437007);
	assert_int_equal(v[1].created, 1795437005);
	assert_int_equal(store_values_get(st, SUB2, v, 4), 0);   /* empty acme-dns rows are not values */

	struct store_account a;
	assert_int_equal(store_account_get(st, USER1, &a), 0);
	assert_string_equal(a.subdomain, SUB1);
	assert_memory_equal(a.password_hash, "$2a$10$", 7);
	assert_true(password_verify(KEY1, a.password_hash));
	assert_false(password_verify(KEY2, a.password_hash));
	assert_string_equal(a.allowfrom_json, "[]");
	assert_int_equal(a.created, 0);
	store_account_clear(&a);
	assert_int_equal(store_account_get(st, USER2, &a), 0);
	assert_string_equal(a.subdomain, SUB2);
	assert_string_equal(a.allowfrom_json, "[\"127.0.0.0/8\"]");
	store_account_clear(&a);
	assert_int_equal(store_account_get(st, USER3, &a), 0);
	store_account_clear(&a);
	store_close(st);
}

static void test_import_twice_imports_nothing_new(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	import_fixture_ok(st, 3, 2);
	import_fixture_ok(st, 0, 0);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, SUB1, v, 4), 2);
	store_close(st);
	/* And after a reopen, from the file. */
	st = open_ok(f, 2);
	import_fixture_ok(st, 0, 0);
	assert_int_equal(store_values_get(st, SUB1, v, 4), 2);
	store_close(st);
}

static void test_import_trims_to_values_kept(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 1);
	import_fixture_ok(st, 3, 1);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, SUB1, v, 4), 1);
	assert_string_equal(v[0].value, VAL_NEW);
	store_close(st);
}

static void test_import_skips_existing_account(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	struct store_account a;
	account_make(&a, USER1, SUB1);
	assert_int_equal(store_account_create(st, &a), 0);
	import_fixture_ok(st, 2, 0);
	struct store_account got;
	assert_int_equal(store_account_get(st, USER1, &got), 0);
	assert_false(password_verify(KEY1, got.password_hash));   /* ours, untouched */
	store_account_clear(&got);
	store_close(st);
}

static void test_import_refuses_non_acme_dns(void **state)
{
	struct fx *f = *state;
	char other[300], text[300];
	size_t na = 7, nv = 7;
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	raw_exec(other, "CREATE TABLE records(a, b); CREATE TABLE unrelated(x);");
	snprintf(text, sizeof(text), "%s/notes.txt", f->dir);
	FILE *fp = fopen(text, "w");
	assert_non_null(fp);
	fputs("this is not a database, not even close; it just has to be long enough to have a header\n", fp);
	fclose(fp);

	struct store *st = open_ok(f, 2);
	assert_int_equal(store_import_acme_dns(st, other, &na, &nv, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "not a joohoi/acme-dns database"));
	assert_non_null(strstr(f->err, "'txt'"));
	assert_int_equal(na, 0);
	assert_int_equal(nv, 0);
	assert_int_equal(store_import_acme_dns(st, text, &na, &nv, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "not a database"));
	snprintf(other, sizeof(other), "%s/missing.db", f->dir);
	assert_int_equal(store_import_acme_dns(st, other, &na, &nv, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "cannot open"));
	assert_int_equal(access(other, F_OK), -1);   /* read-only: nothing created */
	assert_int_equal(store_ping(st), 0);
	store_close(st);
}

/* acme-dns's own schema, with rows its code would not write but a hand-edited or old database may hold. */
static const char edge_db_sql[] =
	"CREATE TABLE acmedns(Name TEXT, Value TEXT);"
	"INSERT INTO acmedns VALUES('db_version', '1');"
	"CREATE TABLE records(Username TEXT UNIQUE NOT NULL PRIMARY KEY, Password TEXT UNIQUE NOT NULL,"
	" Subdomain TEXT UNIQUE NOT NULL, AllowFrom TEXT);"
	"CREATE TABLE txt(Subdomain TEXT NOT NULL, Value TEXT NOT NULL DEFAULT '', LastUpdate INT);"
	"INSERT INTO records VALUES('u-null', '$2a$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 's-null', 'null');"
	"INSERT INTO records VALUES('u-sqlnull', '$2a$10$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 's-sqlnull', NULL);"
	"INSERT INTO records VALUES('u-junk', '$2a$10$ccccccccccccccccccccccccccccccccccccccccccccccccccccc', 's-junk', 'nope');"
	"INSERT INTO records VALUES('U-Mixed', '$2a$10$ddddddddddddddddddddddddddddddddddddddddddddddddddddd', 'S-Mixed', '[]');"
	"INSERT INTO txt VALUES('S-Mixed', 'newer', 5);"
	"INSERT INTO txt VALUES('S-Mixed', 'older', 3);"
	"INSERT INTO txt VALUES('S-Mixed', '', 0);"
	"INSERT INTO txt VALUES('s-junk', 'never', 9);";

static void test_import_edge_rows(void **state)
{
	struct fx *f = *state;
	char src[300];
	size_t na = 0, nv = 0;
	snprintf(src, sizeof(src), "%s/edge acme-dns?#%%.db", f->dir);   /* URI-special characters in the name */
	raw_exec(src, edge_db_sql);
	struct store *st = open_ok(f, 2);
	int rc = store_import_acme_dns(st, src, &na, &nv, f->err, sizeof(f->err));
	if (rc != 0)
		print_error("import: %s\n", f->err);
	assert_int_equal(rc, 0);
	assert_int_equal(na, 2);   /* AllowFrom NULL or not JSON: acme-dns could not use them, skipped */
	assert_int_equal(nv, 2);
	struct store_account a;
	assert_int_equal(store_account_get(st, "u-null", &a), 0);
	assert_string_equal(a.allowfrom_json, "[]");
	store_account_clear(&a);
	assert_int_equal(store_account_get(st, "u-sqlnull", &a), 1);
	assert_int_equal(store_account_get(st, "u-junk", &a), 1);
	assert_int_equal(store_account_get(st, "u-mixed", &a), 0);
	assert_string_equal(a.subdomain, "s-mixed");
	store_account_clear(&a);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, "s-mixed", v, 4), 2);
	assert_string_equal(v[0].value, "newer");   /* by LastUpdate, not by row order */
	assert_string_equal(v[1].value, "older");
	assert_int_equal(store_values_get(st, "s-junk", v, 4), 0);
	store_close(st);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	store_close(open_ok(f, 2));
	raw_exec(f->db, f->pg ? "UPDATE schema_version SET version = 3" :
				"UPDATE meta SET value = '4' WHERE key = 'schema_version'");
	assert_null(store_open(f->db, 2, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "newer"));
	assert_non_null(strstr(f->err, f->pg ? "version 3" : "version 4"));
}

static void test_foreign_database_refused(void **state)
{
	struct fx *f = *state;
	/* A shared PostgreSQL database may hold other applications' tables: only ours by name are a conflict. */
	raw_exec(f->db, f->pg ? "CREATE TABLE accounts(Username TEXT)" : "CREATE TABLE records(Username TEXT)");
	assert_null(store_open(f->db, 2, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "not an acme-dnsd store"));
}

/* ---- values at whole names (RFC 2136 UPDATE) and changes applied together ---- */

#define NAME1 "_acme-challenge.example.test"

static int count_values(struct store *st, enum store_target t, const char *key, struct store_value *v)
{
	return t == STORE_NAME ? store_name_values_get(st, key, v, 16) : store_values_get(st, key, v, 16);
}

static void test_apply_names_and_subdomains(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	struct store_change add[] = {
		{ STORE_ADD, STORE_NAME, "_ACME-challenge.Example.TEST", "a" },
		{ STORE_ADD, STORE_NAME, NAME1, "b" },
		{ STORE_ADD, STORE_SUBDOMAIN, SUB1, "x" },
		{ STORE_ADD, STORE_NAME, NAME1, "c" },           /* values_kept 2: "a" goes */
	};
	assert_int_equal(store_apply(st, add, 4, 100), 0);
	struct store_value v[16];
	assert_int_equal(count_values(st, STORE_NAME, NAME1, v), 2);
	assert_string_equal(v[0].value, "c");
	assert_string_equal(v[1].value, "b");
	assert_int_equal(v[0].created, 100);
	assert_int_equal(count_values(st, STORE_SUBDOMAIN, SUB1, v), 1);
	assert_int_equal(count_values(st, STORE_SUBDOMAIN, NAME1, v), 0);    /* names and subdomains do not mix */

	/* lego's way: delete the RRset, then add. */
	struct store_change replace[] = { { STORE_CLEAR, STORE_NAME, NAME1, NULL }, { STORE_ADD, STORE_NAME, NAME1, "d" } };
	assert_int_equal(store_apply(st, replace, 2, 101), 0);
	assert_int_equal(count_values(st, STORE_NAME, NAME1, v), 1);
	assert_string_equal(v[0].value, "d");
	struct store_change rm[] = { { STORE_REMOVE, STORE_NAME, NAME1, "d" }, { STORE_REMOVE, STORE_SUBDOMAIN, SUB1, "nope" },
				     { STORE_CLEAR, STORE_SUBDOMAIN, SUB1, NULL } };
	assert_int_equal(store_apply(st, rm, 3, 102), 0);
	assert_int_equal(count_values(st, STORE_NAME, NAME1, v), 0);
	assert_int_equal(count_values(st, STORE_SUBDOMAIN, SUB1, v), 0);
	assert_int_equal(store_apply(st, NULL, 0, 103), 0);
	store_close(st);
}

/* One bad change and none of the batch happens. */
static void test_apply_is_atomic(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 2);
	char big[STORE_VALUE_MAX + 2];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct store_change first[] = { { STORE_ADD, STORE_NAME, NAME1, "keep" } };
	assert_int_equal(store_apply(st, first, 1, 1), 0);
	struct store_change bad[] = { { STORE_CLEAR, STORE_NAME, NAME1, NULL }, { STORE_ADD, STORE_SUBDOMAIN, SUB1, "x" },
				      { STORE_ADD, STORE_NAME, NAME1, big } };
	assert_int_equal(store_apply(st, bad, 3, 2), -1);
	struct store_change empty_value[] = { { STORE_CLEAR, STORE_NAME, NAME1, NULL }, { STORE_ADD, STORE_NAME, NAME1, "" } };
	assert_int_equal(store_apply(st, empty_value, 2, 2), -1);
	struct store_change no_key[] = { { STORE_CLEAR, STORE_NAME, NAME1, NULL }, { STORE_REMOVE, STORE_NAME, "", "keep" } };
	assert_int_equal(store_apply(st, no_key, 2, 2), -1);
	struct store_value v[16];
	assert_int_equal(count_values(st, STORE_NAME, NAME1, v), 1);
	assert_string_equal(v[0].value, "keep");
	assert_int_equal(count_values(st, STORE_SUBDOMAIN, SUB1, v), 0);
	/* Still usable afterwards. */
	assert_int_equal(store_apply(st, first, 1, 3), 0);
	store_close(st);
}

struct name_walk {
	char names[8][STORE_DNAME_MAX];
	int counts[8];
	int n;
};

static int walk_name(void *ctx, const char *name, const struct store_value *v)
{
	struct name_walk *w = ctx;
	if (w->n == 0 || strcmp(w->names[w->n - 1], name) != 0)
		snprintf(w->names[w->n++], STORE_DNAME_MAX, "%s", name);
	w->counts[w->n - 1]++;
	return 0;
}

static void test_names_survive_reopen(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f, 3);
	struct store_change c[] = { { STORE_ADD, STORE_NAME, NAME1, "1" }, { STORE_ADD, STORE_NAME, "_acme-challenge.b.test", "2" },
				    { STORE_ADD, STORE_NAME, NAME1, "3" } };
	assert_int_equal(store_apply(st, c, 3, 7), 0);
	store_close(st);
	st = open_ok(f, 3);
	struct name_walk w = { .n = 0 };
	assert_int_equal(store_load_names(st, walk_name, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.names[0], "_acme-challenge.b.test");
	assert_int_equal(w.counts[0], 1);
	assert_string_equal(w.names[1], NAME1);
	assert_int_equal(w.counts[1], 2);
	store_close(st);
}

/* A store written by the version-1 schema (before UPDATE) is migrated in place, its data kept. */
static void test_migrate_v1(void **state)
{
	struct fx *f = *state;
	if (f->pg)
		skip();                       /* PostgreSQL stores began at the second SQLite schema */
	raw_exec(f->db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
			"CREATE TABLE accounts(username TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
			" subdomain TEXT UNIQUE NOT NULL, allowfrom TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
			"CREATE TABLE txt_values(seq INTEGER PRIMARY KEY AUTOINCREMENT, subdomain TEXT NOT NULL,"
			" value TEXT NOT NULL, created INTEGER NOT NULL);"
			"CREATE INDEX txt_values_subdomain_seq ON txt_values(subdomain, seq);"
			"INSERT INTO meta(key, value) VALUES('schema_version', '1');"
			"INSERT INTO txt_values(subdomain, value, created) VALUES('" SUB1 "', '" VAL_OLD "', 5);");
	struct store *st = open_ok(f, 2);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, SUB1, v, 4), 1);
	assert_string_equal(v[0].value, VAL_OLD);
	struct store_change c[] = { { STORE_ADD, STORE_NAME, NAME1, VAL_NEW } };
	assert_int_equal(store_apply(st, c, 1, 9), 0);
	assert_int_equal(store_name_values_get(st, NAME1, v, 4), 1);
	store_close(st);
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "3");
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(open_ok(f, 2));                    /* opening again migrates nothing */
}

/* ---- what every backend shares: URL handling and the copy ---- */

static void test_is_url_and_redact(void **state)
{
	char out[256];
	assert_true(store_is_url("postgres://h/db"));
	assert_true(store_is_url("postgresql://h/db"));
	assert_false(store_is_url("/var/lib/acme-dnsd/store.db"));
	assert_false(store_is_url("postgres.db"));
	assert_false(store_is_url(NULL));
	assert_string_equal(store_redact("/var/lib/x.db", out, sizeof(out)), "/var/lib/x.db");
	assert_string_equal(store_redact("postgresql://acme:s3cret@db.example.org:5433/acme", out, sizeof(out)),
			    "postgresql://acme:***@db.example.org:5433/acme");
	assert_string_equal(store_redact("postgres://acme@db/acme?sslmode=require", out, sizeof(out)),
			    "postgres://acme@db/acme?sslmode=require");
	assert_string_equal(store_redact("postgres://u:p@ss:w@[::1]/d", out, sizeof(out)), "postgres://u:***@[::1]/d");
	assert_string_equal(store_redact("postgres:///acme?host=/run/pg&password=hunter22&user=u", out, sizeof(out)),
			    "postgres:///acme?host=/run/pg&password=***&user=u");
	assert_string_equal(store_redact("postgres://h", out, sizeof(out)), "postgres://h");
	assert_string_equal(store_redact("postgresql://u:pw@h/d", out, 18), "postgresql://u:**");   /* cut, never the password */
}

/* Opens a second SQLite store beside f->db. */
static struct store *open_other(struct fx *f, const char *file)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", f->dir, file);
	struct store *st = store_open(path, 16, f->err, sizeof(f->err));
	assert_non_null(st);
	return st;
}

static void fill(struct store *st)
{
	struct store_account a;
	account_make(&a, "u1", "s1");
	assert_int_equal(store_account_create(st, &a), 0);
	account_make(&a, "u2", "s2");
	a.allowfrom_json = "[\"10.0.0.0/8\"]";
	assert_int_equal(store_account_create(st, &a), 0);
	assert_int_equal(store_value_add(st, "s1", "old", 10, NULL), 0);
	assert_int_equal(store_value_add(st, "s1", "new", 20, NULL), 0);
	assert_int_equal(store_value_add(st, "s2", "only", 30, NULL), 0);
	struct store_change c[] = { { STORE_ADD, STORE_NAME, NAME1, "n1" }, { STORE_ADD, STORE_NAME, NAME1, "n2" } };
	assert_int_equal(store_apply(st, c, 2, 40), 0);
}

/* The copy keeps sequence numbers and times in the empty and replace modes, and refuses a non-empty target. */
static void test_copy_modes(void **state)
{
	struct fx *f = *state;
	struct store *src = open_other(f, "src.db"), *dst = open_other(f, "dst.db");
	struct store_copy_counts n;
	fill(src);
	assert_int_equal(store_copy(src, dst, STORE_COPY_EMPTY, &n, f->err, sizeof(f->err)), 0);
	assert_int_equal(n.accounts, 2);
	assert_int_equal(n.values, 3);
	assert_int_equal(n.name_values, 2);
	struct store_value a[4], b[4];
	assert_int_equal(store_values_get(src, "s1", a, 4), 2);
	assert_int_equal(store_values_get(dst, "s1", b, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a[i].seq, b[i].seq);
		assert_int_equal(a[i].created, b[i].created);
		assert_string_equal(a[i].value, b[i].value);
	}
	struct store_account acct;
	assert_int_equal(store_account_get(dst, "u2", &acct), 0);
	assert_string_equal(acct.allowfrom_json, "[\"10.0.0.0/8\"]");
	store_account_clear(&acct);
	assert_int_equal(store_name_values_get(dst, NAME1, b, 4), 2);
	assert_string_equal(b[0].value, "n2");

	f->err[0] = '\0';
	assert_int_equal(store_copy(src, dst, STORE_COPY_EMPTY, &n, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "not empty"));
	assert_int_equal(store_value_add(dst, "s1", "extra", 50, NULL), 0);   /* the refused copy left dst usable */
	assert_int_equal(store_copy(src, dst, STORE_COPY_REPLACE, &n, f->err, sizeof(f->err)), 0);
	assert_int_equal(store_values_get(dst, "s1", b, 4), 2);
	assert_string_equal(b[0].value, "new");                               /* "extra" went with the replace */
	uint64_t seq = 0;
	assert_int_equal(store_value_add(dst, "s9", "later", 60, &seq), 0);
	assert_true(seq > a[0].seq);                                          /* numbering goes on above the copy */
	store_close(src);
	store_close(dst);
}

/* Merging skips accounts the target has (with their values) and numbers values afresh, in their order. */
static void test_copy_merge(void **state)
{
	struct fx *f = *state;
	struct store *src = open_other(f, "src.db"), *dst = open_other(f, "dst.db");
	struct store_copy_counts n;
	struct store_account a;
	account_make(&a, "u1", "s1");
	assert_int_equal(store_account_create(dst, &a), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_value_add(dst, "filler", "x", 1, NULL), 0);   /* dst's sequence is ahead */
	fill(src);
	assert_int_equal(store_copy(src, dst, STORE_COPY_MERGE, &n, f->err, sizeof(f->err)), 0);
	assert_int_equal(n.accounts, 1);
	assert_int_equal(n.skipped, 1);
	assert_int_equal(n.values, 1);                                        /* s1's two values stayed out */
	struct store_value v[4];
	assert_int_equal(store_values_get(dst, "s1", v, 4), 0);
	assert_int_equal(store_values_get(dst, "s2", v, 4), 1);
	assert_int_equal(store_name_values_get(dst, NAME1, v, 4), 2);
	assert_string_equal(v[0].value, "n2");                                /* order kept under new numbers */
	assert_true(v[0].seq > v[1].seq);
	store_close(src);
	store_close(dst);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_schema_created_and_values_survive_reopen),
		T(test_trim_rapid_adds_keeps_newest_two),
		T(test_values_kept_1),
		T(test_values_kept_16),
		T(test_values_kept_out_of_range),
		T(test_trim_is_per_subdomain_and_seq_never_reused),
		T(test_concurrent_adds),
		T(test_remove),
		T(test_repeated_value_moves_to_front),
		T(test_subdomain_case_insensitive),
		T(test_value_limits),
		T(test_accounts_duplicate_and_unknown),
		T(test_load_walks_accounts_then_values),
		T(test_import_fixture),
		T(test_import_twice_imports_nothing_new),
		T(test_import_trims_to_values_kept),
		T(test_import_skips_existing_account),
		T(test_import_refuses_non_acme_dns),
		T(test_import_edge_rows),
		T(test_newer_schema_refused),
		T(test_foreign_database_refused),
		T(test_apply_names_and_subdomains),
		T(test_apply_is_atomic),
		T(test_names_survive_reopen),
		T(test_migrate_v1),
		cmocka_unit_test(test_is_url_and_redact),
		T(test_copy_modes),
		T(test_copy_merge),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

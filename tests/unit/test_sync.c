/* sync.c: the tables follow the store; a second load (a resync after a reconnect) also takes out values the
 * store no longer holds. Run on SQLite: the logic does not depend on the backend. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"
#include "sync.h"
#include "txt_table.h"
#include "wire.h"

#include <urcu.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME1 "_acme-challenge.example.test"
#define NAME2 "_acme-challenge.other.test"

struct fx {
	char dir[256];
	struct store *st;
	struct txt_table *txt, *names;
	pthread_mutex_t lock;
	struct sync *sync;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char path[300], err[256];
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/adns-sync.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/store.db", f->dir);
	f->st = store_open(path, 2, err, sizeof(err));
	f->txt = txt_table_new();
	f->names = txt_table_new();
	pthread_mutex_init(&f->lock, NULL);
	struct sync_deps d = { f->st, f->txt, f->names, &f->lock, 2 };
	f->sync = f->st ? sync_new(&d) : NULL;
	*state = f;
	return f->sync && f->txt && f->names ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	sync_free(f->sync);
	rcu_barrier();
	txt_table_free(f->txt);
	txt_table_free(f->names);
	pthread_mutex_destroy(&f->lock);
	int rc = nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* The values a table serves for a subdomain (or name), in order, joined by spaces; "-" when it is unknown. */
static void served(struct txt_table *t, bool name, const char *key, char *out, size_t len)
{
	uint8_t wire[WIRE_NAME_MAX];
	size_t wlen = name ? wire_name_from_str(key, wire) : 0;
	size_t pos = 0;
	out[0] = '\0';
	rcu_read_lock();
	const struct txt_set *s = name ? txt_table_name_lookup(t, wire, wlen) :
		txt_table_lookup(t, (const uint8_t *)key, strlen(key));
	if (!s)
		snprintf(out, len, "-");
	for (uint32_t i = 0; s && i < s->n && pos < len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%.*s", i ? " " : "", (int)s->v[i].rdlen, s->v[i].rdata + 1);
	rcu_read_unlock();
}

static void account(struct store *st, const char *user, const char *sub)
{
	struct store_account a = { .allowfrom_json = "[]", .created = 1 };
	snprintf(a.username, sizeof(a.username), "%s", user);
	snprintf(a.subdomain, sizeof(a.subdomain), "%s", sub);
	snprintf(a.password_hash, sizeof(a.password_hash), "$2b$10$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(store_account_create(st, &a), 0);
}

static void test_load_then_resync(void **state)
{
	struct fx *f = *state;
	char got[256];
	account(f->st, "u1", "s1");
	account(f->st, "u2", "s2");
	assert_int_equal(store_value_add(f->st, "s1", "v1", 1, NULL), 0);
	assert_int_equal(store_value_add(f->st, "s1", "v2", 2, NULL), 0);
	assert_int_equal(store_value_add(f->st, "s2", "w1", 3, NULL), 0);
	struct store_change c[] = { { STORE_ADD, STORE_NAME, NAME1, "n1" }, { STORE_ADD, STORE_NAME, NAME2, "m1" } };
	assert_int_equal(store_apply(f->st, c, 2, 4), 0);
	assert_int_equal(sync_load(f->sync), 0);
	served(f->txt, false, "s1", got, sizeof(got));
	assert_string_equal(got, "v2 v1");
	served(f->names, true, NAME1, got, sizeof(got));
	assert_string_equal(got, "n1");

	/* Changes made while "disconnected": a value removed, a subdomain emptied, a name cleared, an account and
	 * a value added. */
	assert_int_equal(store_value_remove(f->st, "s1", "v1"), 1);
	assert_int_equal(store_value_remove(f->st, "s2", "w1"), 1);
	struct store_change clear[] = { { STORE_CLEAR, STORE_NAME, NAME1, NULL } };
	assert_int_equal(store_apply(f->st, clear, 1, 5), 0);
	account(f->st, "u3", "s3");
	assert_int_equal(store_value_add(f->st, "s1", "v3", 6, NULL), 0);

	assert_int_equal(sync_load(f->sync), 0);
	served(f->txt, false, "s1", got, sizeof(got));
	assert_string_equal(got, "v3 v2");
	served(f->txt, false, "s2", got, sizeof(got));
	assert_string_equal(got, "");                 /* registered, nothing left: NODATA */
	served(f->txt, false, "s3", got, sizeof(got));
	assert_string_equal(got, "");
	served(f->names, true, NAME1, got, sizeof(got));
	assert_string_equal(got, "-");                /* gone from the name table */
	served(f->names, true, NAME2, got, sizeof(got));
	assert_string_equal(got, "m1");
	served(f->txt, false, "nobody", got, sizeof(got));
	assert_string_equal(got, "-");
}

/* A store only this process writes has nothing to follow. */
static void test_watch_sqlite_is_a_no_op(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sync_watch(f->sync), 0);
}

int main(void)
{
	rcu_register_thread();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_then_resync, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_watch_sqlite_is_a_no_op, fx_setup, fx_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}

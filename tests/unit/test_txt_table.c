/* The challenge value table: registration, publication, case-insensitive lookup, readers during updates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "txt_table.h"

#include <urcu.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SUB "0a1b2c3d-0000-4000-8000-000000000001"

static const struct txt_set *lookup(struct txt_table *t, const char *label)
{
	return txt_table_lookup(t, (const uint8_t *)label, strlen(label));
}

static void test_register_and_set(void **state)
{
	struct txt_table *t = txt_table_new();
	rcu_read_lock();
	assert_null(lookup(t, SUB));
	rcu_read_unlock();
	assert_int_equal(txt_table_register(t, SUB), 0);
	assert_int_equal(txt_table_register(t, SUB), 0);         /* twice is fine */
	assert_int_equal(txt_table_count(t), 1);
	rcu_read_lock();
	const struct txt_set *s = lookup(t, SUB);
	assert_non_null(s);
	assert_int_equal(s->n, 0);
	rcu_read_unlock();
	struct txt_item items[2] = { { "newest", 20 }, { "older", 10 } };
	assert_int_equal(txt_table_set(t, SUB, items, 2), 0);
	rcu_read_lock();
	s = lookup(t, "0A1B2C3D-0000-4000-8000-000000000001");
	assert_non_null(s);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->v[0].rdlen, 6);
	assert_memory_equal(s->v[0].rdata, "\6newest", 7);
	assert_int_equal(s->v[1].created, 10);
	rcu_read_unlock();
	txt_table_free(t);
}

static void test_bad_input(void **state)
{
	struct txt_table *t = txt_table_new();
	assert_int_equal(txt_table_register(t, ""), -1);
	assert_int_equal(txt_table_register(t, "a.b"), -1);
	assert_int_equal(txt_table_register(t, "sp ace"), -1);
	char longlabel[70];
	memset(longlabel, 'a', 64);
	longlabel[64] = 0;
	assert_int_equal(txt_table_register(t, longlabel), -1);
	struct txt_item many[17];
	for (int i = 0; i < 17; i++)
		many[i] = (struct txt_item){ "v", i };
	assert_int_equal(txt_table_set(t, SUB, many, 17), -1);
	assert_int_equal(txt_table_set(t, SUB, many, 16), 0);
	char big[300];
	memset(big, 'x', 256);
	big[256] = 0;
	struct txt_item toolong = { big, 1 };
	assert_int_equal(txt_table_set(t, SUB, &toolong, 1), -1);
	rcu_read_lock();
	assert_int_equal(lookup(t, SUB)->n, 16);                 /* the failed update changed nothing */
	assert_null(txt_table_lookup(t, (const uint8_t *)"x", 0));
	rcu_read_unlock();
	txt_table_free(t);
}

static void test_many_names(void **state)
{
	struct txt_table *t = txt_table_new();
	char name[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "name-%d", i);
		assert_int_equal(txt_table_register(t, name), 0);
	}
	assert_int_equal(txt_table_count(t), 20000);
	rcu_read_lock();
	for (int i = 0; i < 20000; i += 997) {
		snprintf(name, sizeof(name), "NAME-%d", i);
		assert_non_null(lookup(t, name));
	}
	assert_null(lookup(t, "name-20000"));
	rcu_read_unlock();
	txt_table_free(t);
}

/* Each published set holds two equal values "g<N>"; a reader must never see a mix of generations. */
static struct txt_table *shared;
static atomic_bool done;
static atomic_long torn, reads;

static void *reader(void *arg)
{
	rcu_register_thread();
	while (!atomic_load(&done)) {
		rcu_read_lock();
		const struct txt_set *s = lookup(shared, SUB);
		if (s && s->n == 2 && (s->v[0].rdlen != s->v[1].rdlen ||
				       memcmp(s->v[0].rdata, s->v[1].rdata, s->v[0].rdlen + 1) != 0))
			atomic_fetch_add(&torn, 1);
		atomic_fetch_add(&reads, 1);
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_readers_see_whole_sets(void **state)
{
	shared = txt_table_new();
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	char v[32];
	for (int g = 0; g < 20000; g++) {
		snprintf(v, sizeof(v), "g%d", g);
		struct txt_item items[2] = { { v, g }, { v, g } };
		assert_int_equal(txt_table_set(shared, SUB, items, 2), 0);
	}
	atomic_store(&done, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&torn), 0);
	assert_true(atomic_load(&reads) > 0);
	rcu_barrier();
	txt_table_free(shared);
}

/* ---- whole names ---- */

#define W_CHAL "\017_acme-challenge\007example\004test"      /* _acme-challenge.example.test */
#define W_DEEP "\017_acme-challenge\003www\003app\007example\004test"
#define W_APP "\003app\007example\004test"

static const struct txt_set *nlookup(struct txt_table *t, const char *wire)
{
	return txt_table_name_lookup(t, (const uint8_t *)wire, strlen(wire) + 1);
}

static void test_names_and_ancestors(void **state)
{
	struct txt_table *t = txt_table_new();
	struct txt_item two[2] = { { "token-b", 20 }, { "token-a", 10 } };
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_CHAL, two, 2), 0);
	assert_int_equal(txt_table_count(t), 3);                   /* the name, example.test, test */
	rcu_read_lock();
	const struct txt_set *s = nlookup(t, "\017_ACME-Challenge\007EXAMPLE\004test");
	assert_non_null(s);
	assert_int_equal(s->n, 2);
	assert_memory_equal(s->v[0].rdata, "\7token-b", 8);
	assert_int_equal(nlookup(t, "\007example\004test")->n, 0);   /* exists, no values: NODATA */
	assert_null(nlookup(t, "\003www\007example\004test"));
	rcu_read_unlock();

	/* A deeper name: app.example.test and www.app.example.test exist while it has values. */
	struct txt_item one = { "deep", 30 };
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, &one, 1), 0);
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, &one, 1), 0);    /* again: still one name */
	assert_int_equal(txt_table_count(t), 6);
	rcu_read_lock();
	assert_int_equal(nlookup(t, W_APP)->n, 0);
	assert_int_equal(nlookup(t, W_DEEP)->n, 1);
	rcu_read_unlock();

	/* Taking the first name's values away keeps what the deeper name still needs. */
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_CHAL, NULL, 0), 0);
	assert_int_equal(txt_table_count(t), 5);
	rcu_read_lock();
	assert_null(nlookup(t, W_CHAL));
	assert_non_null(nlookup(t, "\007example\004test"));
	rcu_read_unlock();
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, NULL, 0), 0);
	assert_int_equal(txt_table_count(t), 0);
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, NULL, 0), 0);    /* nothing there: fine */
	assert_int_equal(txt_table_count(t), 0);
	rcu_read_lock();
	assert_null(nlookup(t, W_APP));
	assert_null(nlookup(t, "\004test"));
	rcu_read_unlock();

	/* A name that has values of its own and is also above another one. */
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_APP, &one, 1), 0);
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, &one, 1), 0);
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_APP, NULL, 0), 0);
	rcu_read_lock();
	assert_int_equal(nlookup(t, W_APP)->n, 0);
	rcu_read_unlock();
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, NULL, 0), 0);
	assert_int_equal(txt_table_count(t), 0);

	/* Bad input changes nothing. */
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)"", &one, 1), -1);
	struct txt_item many[17];
	for (int i = 0; i < 17; i++)
		many[i] = (struct txt_item){ "v", i };
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_CHAL, many, 17), -1);
	assert_int_equal(txt_table_count(t), 0);
	rcu_read_lock();
	assert_null(txt_table_name_lookup(t, (const uint8_t *)"", 1));
	assert_null(txt_table_name_lookup(t, (const uint8_t *)W_CHAL, 0));
	rcu_read_unlock();
	txt_table_free(t);
}

struct each_seen {
	int entries, with_values;
	bool saw_sub;
};

static void each_count(void *ctx, const uint8_t *key, size_t len, const struct txt_set *set)
{
	struct each_seen *e = ctx;
	e->entries++;
	e->with_values += set->n > 0;
	e->saw_sub |= len == strlen(SUB) && memcmp(key, SUB, len) == 0;
}

/* txt_table_each visits every entry once with its lower-case key and set, names above others included. */
static void test_each(void **state)
{
	struct txt_table *t = txt_table_new();
	struct each_seen e = { 0 };
	txt_table_each(t, each_count, &e);
	assert_int_equal(e.entries, 0);
	struct txt_item one = { "v", 1 };
	assert_int_equal(txt_table_register(t, "0A1B2C3D-0000-4000-8000-000000000001"), 0);
	assert_int_equal(txt_table_set(t, "other", &one, 1), 0);
	txt_table_each(t, each_count, &e);
	assert_int_equal(e.entries, 2);
	assert_int_equal(e.with_values, 1);
	assert_true(e.saw_sub);
	txt_table_free(t);

	t = txt_table_new();
	e = (struct each_seen){ 0 };
	assert_int_equal(txt_table_name_set(t, (const uint8_t *)W_DEEP, &one, 1), 0);
	txt_table_each(t, each_count, &e);
	assert_int_equal(e.entries, 5);           /* the name and the four above it but the root */
	assert_int_equal(e.with_values, 1);
	txt_table_free(t);
}

int main(void)
{
	rcu_register_thread();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_set),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_readers_see_whole_sets),
		cmocka_unit_test(test_names_and_ancestors),
		cmocka_unit_test(test_each),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_barrier();
	rcu_unregister_thread();
	return rc;
}

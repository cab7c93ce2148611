/* The solver engine (solvers/solver.c): records grouped by zone and name, batches that never split one name's
 * records for adapters that replace whole sets, pacing to a request budget, and a cancel that stops the pacing of
 * present but never of clean-up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "solver.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAXCALLS 16
static struct {
	size_t n;
	size_t size[MAXCALLS];
	char first[MAXCALLS][64];       /* target of the first record of each call */
	char names[MAXCALLS][256];      /* targets of the call, space separated */
} calls;

static int record_call(struct solver *s, const struct solver_record *r, size_t n, char *e, size_t l)
{
	if (calls.n < MAXCALLS) {
		calls.size[calls.n] = n;
		snprintf(calls.first[calls.n], sizeof(calls.first[0]), "%s", r[0].target);
		for (size_t i = 0; i < n; i++)
			snprintf(calls.names[calls.n] + strlen(calls.names[calls.n]),
				 sizeof(calls.names[0]) - strlen(calls.names[calls.n]), "%s%s", i ? " " : "", r[i].target);
	}
	calls.n++;
	return 0;
}
static const struct solver_ops ops = { "test", record_call, record_call, NULL };

static struct solver_record rec(const char *target, const char *zone, const char *value)
{
	return (struct solver_record){ .domain = "d", .fqdn = target, .value = value, .target = target, .zone = zone };
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_grouped_by_zone_and_name(void **state)
{
	struct solver s = { .ops = &ops, .caps = { .appends = true } };
	struct solver_record r[4] = { rec("b.z2", "z2", "1"), rec("a.z1", "z1", "2"), rec("b.z2", "z2", "3"),
				      rec("c.z1", "z1", "4") };
	char err[128];
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_present(&s, r, 4, err, sizeof(err)), 0);
	assert_int_equal(calls.n, 1);
	assert_string_equal(calls.names[0], "a.z1 c.z1 b.z2 b.z2");
}

static void test_whole_sets_never_split(void **state)
{
	/* Batches of 2, names a (2 values), b (3 values), c (1): a | b b b | c. */
	struct solver s = { .ops = &ops, .caps = { .appends = false, .batch_max = 2 } };
	struct solver_record r[6] = { rec("a", "z", "1"), rec("b", "z", "2"), rec("a", "z", "3"), rec("b", "z", "4"),
				      rec("b", "z", "5"), rec("c", "z", "6") };
	char err[128];
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_present(&s, r, 6, err, sizeof(err)), 0);
	assert_int_equal(calls.n, 3);
	assert_string_equal(calls.names[0], "a a");
	assert_string_equal(calls.names[1], "b b b");
	assert_string_equal(calls.names[2], "c");
	/* An adapter that appends takes plain batches of 2. */
	s.caps.appends = true;
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_cleanup(&s, r, 6, err, sizeof(err)), 0);
	assert_int_equal(calls.n, 3);
	assert_string_equal(calls.names[1], "b b");
}

static void test_paced_to_budget(void **state)
{
	/* 600 requests a minute = one per 100 ms: four calls of one record take at least 300 ms. */
	struct solver s = { .ops = &ops, .caps = { .appends = true, .batch_max = 1, .requests_per_minute = 600 } };
	struct solver_record r[4] = { rec("a", "z", "1"), rec("b", "z", "2"), rec("c", "z", "3"), rec("d", "z", "4") };
	char err[128];
	struct timespec t0;
	memset(&calls, 0, sizeof(calls));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(solver_present(&s, r, 4, err, sizeof(err)), 0);
	assert_true(ms_since(&t0) >= 290);
	assert_int_equal(calls.n, 4);
	/* Without a budget nothing waits (no upper bound is asserted: machines are noisy). */
	s.caps.requests_per_minute = 0;
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_present(&s, r, 4, err, sizeof(err)), 0);
	assert_int_equal(calls.n, 4);
}

static void test_cancel_stops_present_not_cleanup(void **state)
{
	volatile sig_atomic_t cancel = 1;
	struct solver s = { .ops = &ops, .caps = { .appends = true, .batch_max = 1, .requests_per_minute = 60 },
			    .cancel = &cancel };
	struct solver_record r[2] = { rec("a", "z", "1"), rec("b", "z", "2") };
	char err[128];
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_present(&s, r, 2, err, sizeof(err)), -1);
	assert_int_equal(calls.n, 1);           /* the first call needs no wait; the second would wait 1 s */
	assert_non_null(strstr(err, "interrupted"));
	s.caps.requests_per_minute = 1200;      /* 50 ms per record: clean-up waits, cancel or not */
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(solver_cleanup(&s, r, 2, err, sizeof(err)), 0);
	assert_int_equal(calls.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_by_zone_and_name),
		cmocka_unit_test(test_whole_sets_never_split),
		cmocka_unit_test(test_paced_to_budget),
		cmocka_unit_test(test_cancel_stops_present_not_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Open connections per client address: the limit, release on close, exact addresses, IPv4-mapped IPv6. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "connlimit.h"
#include "netaddr.h"

#include <stdio.h>

static const struct sockaddr *ip(const char *text, struct sockaddr_storage *ss)
{
	assert_int_equal(netaddr_parse_ip(text, ss), 0);
	return (const struct sockaddr *)ss;
}

static void test_limit_and_release(void **state)
{
	struct sockaddr_storage a, b;
	struct connlimit *cl = connlimit_new(3, 42);
	assert_non_null(cl);
	const struct sockaddr *sa = ip("192.0.2.1", &a), *sb = ip("192.0.2.2", &b);
	for (int i = 0; i < 3; i++)
		assert_true(connlimit_acquire(cl, sa));
	assert_false(connlimit_acquire(cl, sa));
	assert_int_equal(connlimit_count(cl, sa), 3);       /* a refusal is not counted */
	assert_true(connlimit_acquire(cl, sb));             /* the neighbour is another client */
	connlimit_release(cl, sa);
	assert_true(connlimit_acquire(cl, sa));
	assert_false(connlimit_acquire(cl, sa));
	for (int i = 0; i < 3; i++)
		connlimit_release(cl, sa);
	assert_int_equal(connlimit_count(cl, sa), 0);
	connlimit_release(cl, sa);                          /* one release too many is harmless */
	assert_int_equal(connlimit_count(cl, sa), 0);
	assert_int_equal(connlimit_count(cl, sb), 1);
	connlimit_free(cl);                                 /* frees b's entry still open */
}

static void test_exact_addresses(void **state)
{
	struct sockaddr_storage a;
	struct connlimit *cl = connlimit_new(1, 7);
	assert_non_null(cl);
	assert_true(connlimit_acquire(cl, ip("2001:db8::1", &a)));
	assert_true(connlimit_acquire(cl, ip("2001:db8::2", &a)));       /* /128, not a network */
	assert_false(connlimit_acquire(cl, ip("2001:db8::1", &a)));
	assert_true(connlimit_acquire(cl, ip("198.51.100.7", &a)));
	assert_false(connlimit_acquire(cl, ip("::ffff:198.51.100.7", &a)));   /* mapped = the same IPv4 client */
	connlimit_release(cl, ip("::ffff:198.51.100.7", &a));
	assert_int_equal(connlimit_count(cl, ip("198.51.100.7", &a)), 0);
	connlimit_free(cl);
}

static void test_no_limit(void **state)
{
	struct sockaddr_storage a;
	assert_null(connlimit_new(0, 1));
	for (int i = 0; i < 100; i++)
		assert_true(connlimit_acquire(NULL, ip("192.0.2.1", &a)));
	connlimit_release(NULL, ip("192.0.2.1", &a));
	assert_int_equal(connlimit_count(NULL, ip("192.0.2.1", &a)), 0);
	connlimit_free(NULL);
}

static void test_many_addresses(void **state)
{
	/* more addresses than buckets: chains work, and every entry goes with its last connection (ASan's leak
	 * check sees any left behind) */
	struct connlimit *cl = connlimit_new(2, 3);
	struct sockaddr_storage a;
	char text[48];
	assert_non_null(cl);
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "2001:db8::%x", i);
		assert_true(connlimit_acquire(cl, ip(text, &a)));
		assert_true(connlimit_acquire(cl, ip(text, &a)));
		assert_false(connlimit_acquire(cl, ip(text, &a)));
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(text, sizeof(text), "2001:db8::%x", i);
		connlimit_release(cl, ip(text, &a));
		connlimit_release(cl, ip(text, &a));
		assert_int_equal(connlimit_count(cl, ip(text, &a)), 0);
	}
	for (int i = 1; i < 5000; i += 2) {
		snprintf(text, sizeof(text), "2001:db8::%x", i);
		assert_int_equal(connlimit_count(cl, ip(text, &a)), 2);
	}
	connlimit_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_release),
		cmocka_unit_test(test_exact_addresses),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests_name("connlimit", tests, NULL, NULL);
}

/* The token-bucket limiter per client network: rates, bursts, prefixes, IPv4-mapped IPv6, a table that never grows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "netaddr.h"
#include "ratelimit.h"

#include <stdio.h>

static const struct sockaddr *ip(const char *text, struct sockaddr_storage *ss)
{
	assert_int_equal(netaddr_parse_ip(text, ss), 0);
	return (const struct sockaddr *)ss;
}

/* The registration limiter of the API: per_minute a minute, burst per_minute, IPv4 /32, IPv6 /64. */
static struct ratelimit *per_minute(uint32_t n, size_t slots, uint64_t seed)
{
	const struct ratelimit_conf conf = { .rate = n / 60.0, .burst = n, .ipv4_prefix = 32, .ipv6_prefix = 64 };
	return ratelimit_new(&conf, slots, seed);
}

static void test_per_minute_bucket(void **state)
{
	struct sockaddr_storage a, b;
	uint32_t retry = 0;
	struct ratelimit *rl = per_minute(2, 64, 12345);
	assert_non_null(rl);
	const struct sockaddr *sa = ip("192.0.2.1", &a), *sb = ip("192.0.2.2", &b);
	assert_true(ratelimit_take(rl, sa, 1000, &retry));
	assert_true(ratelimit_take(rl, sa, 1000, &retry));
	assert_false(ratelimit_take(rl, sa, 1000, &retry));
	assert_int_equal(retry, 30);                                  /* 2 per minute: one every 30 s */
	assert_true(ratelimit_take(rl, sb, 1000, &retry));            /* other addresses are not affected */
	assert_false(ratelimit_take(rl, sa, 20999, &retry));
	assert_int_equal(retry, 11);
	assert_true(ratelimit_take(rl, sa, 31000, &retry));
	assert_false(ratelimit_take(rl, sa, 31000, &retry));
	assert_false(ratelimit_take(rl, sa, 500, &retry));           /* a clock going back refills nothing */
	assert_true(ratelimit_take(rl, sa, 1000000, NULL));
	assert_true(ratelimit_take(rl, sa, 1000000, NULL));           /* the burst is capped at the rate */
	assert_false(ratelimit_take(rl, sa, 1000000, NULL));
	ratelimit_free(rl);
	assert_null(per_minute(0, 64, 1));
	assert_true(ratelimit_take(NULL, sa, 0, NULL));               /* no limiter: unlimited */
}

static void test_per_minute_keys(void **state)
{
	struct sockaddr_storage a;
	struct ratelimit *rl = per_minute(1, 64, 99);
	assert_non_null(rl);
	assert_true(ratelimit_take(rl, ip("2001:db8:1:2::1", &a), 0, NULL));
	assert_false(ratelimit_take(rl, ip("2001:db8:1:2:ffff::9", &a), 0, NULL));   /* same /64 */
	assert_true(ratelimit_take(rl, ip("2001:db8:1:3::1", &a), 0, NULL));
	assert_true(ratelimit_take(rl, ip("198.51.100.1", &a), 0, NULL));
	assert_false(ratelimit_take(rl, ip("::ffff:198.51.100.1", &a), 0, NULL));    /* mapped = IPv4 */
	assert_true(ratelimit_take(rl, ip("198.51.100.2", &a), 0, NULL));            /* /32: the neighbour is apart */
	assert_true(ratelimit_take(rl, NULL, 0, NULL));
	assert_false(ratelimit_take(rl, NULL, 0, NULL));
	ratelimit_free(rl);
}

static void test_per_second_rate_and_burst(void **state)
{
	struct sockaddr_storage a;
	const struct ratelimit_conf conf = { .rate = 10, .burst = 5, .ipv4_prefix = 32, .ipv6_prefix = 128 };
	struct ratelimit *rl = ratelimit_new(&conf, 1024, 4);
	const struct sockaddr *sa = ip("203.0.113.9", &a);
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_take(rl, sa, 5000, NULL));      /* the burst */
	uint32_t retry = 0;
	assert_false(ratelimit_take(rl, sa, 5000, &retry));
	assert_int_equal(retry, 1);                                   /* under a second: rounded up to 1 */
	assert_false(ratelimit_take(rl, sa, 5099, NULL));             /* 10 a second: one token per 100 ms */
	assert_true(ratelimit_take(rl, sa, 5100, NULL));
	assert_false(ratelimit_take(rl, sa, 5100, NULL));
	/* one second on: 10 tokens regained, but the bucket holds 5 */
	int allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_take(rl, sa, 6100, NULL);
	assert_int_equal(allowed, 5);
	/* a steady second at 1 ms steps lets through the rate, not more */
	allowed = 0;
	for (int64_t t = 6101; t <= 7100; t++)
		allowed += ratelimit_take(rl, sa, t, NULL);
	assert_int_equal(allowed, 10);
	ratelimit_free(rl);
	/* a burst below 1 is one token; a non-positive rate is no limiter */
	const struct ratelimit_conf tiny = { .rate = 1, .burst = 0, .ipv4_prefix = 32, .ipv6_prefix = 128 };
	rl = ratelimit_new(&tiny, 8, 1);
	assert_true(ratelimit_take(rl, sa, 0, NULL));
	assert_false(ratelimit_take(rl, sa, 0, NULL));
	ratelimit_free(rl);
	const struct ratelimit_conf off = { .rate = 0, .burst = 5, .ipv4_prefix = 32, .ipv6_prefix = 128 };
	assert_null(ratelimit_new(&off, 8, 1));
	assert_null(ratelimit_new(NULL, 8, 1));
}

/* The response rate limit's networks: IPv4 /24 and IPv6 /56 share one bucket each. */
static void test_network_prefixes(void **state)
{
	struct sockaddr_storage a;
	const struct ratelimit_conf conf = { .rate = 1, .burst = 1, .ipv4_prefix = 24, .ipv6_prefix = 56 };
	struct ratelimit *rl = ratelimit_new(&conf, 1024, 77);
	assert_non_null(rl);
	assert_true(ratelimit_take(rl, ip("192.0.2.1", &a), 0, NULL));
	assert_false(ratelimit_take(rl, ip("192.0.2.254", &a), 0, NULL));           /* same /24 */
	assert_false(ratelimit_take(rl, ip("::ffff:192.0.2.77", &a), 0, NULL));     /* mapped, same /24 */
	assert_true(ratelimit_take(rl, ip("192.0.3.1", &a), 0, NULL));              /* next /24 */
	assert_true(ratelimit_take(rl, ip("2001:db8:0:100::1", &a), 0, NULL));
	assert_false(ratelimit_take(rl, ip("2001:db8:0:1ff:ffff::1", &a), 0, NULL)); /* same /56 */
	assert_true(ratelimit_take(rl, ip("2001:db8:0:200::1", &a), 0, NULL));      /* next /56 */
	/* an IPv6 address whose first bytes look like an IPv4 network is not that network */
	assert_true(ratelimit_take(rl, ip("c000:200::", &a), 0, NULL));
	ratelimit_free(rl);
}

static void test_slots_reused_never_grown(void **state)
{
	/* one set of 8 slots: an exhausted client survives while refilled (idle) slots can be reused */
	struct ratelimit *rl = per_minute(2, 8, 7);
	struct sockaddr_storage a, o;
	char text[32];
	assert_non_null(rl);
	const struct sockaddr *sa = ip("192.0.2.1", &a);
	assert_true(ratelimit_take(rl, sa, 0, NULL));
	assert_true(ratelimit_take(rl, sa, 0, NULL));
	for (int i = 0; i < 7; i++) {
		snprintf(text, sizeof(text), "198.51.100.%d", i + 1);
		assert_true(ratelimit_take(rl, ip(text, &o), 0, NULL));
	}
	/* 30 s on, the seven others are full again; the first has one token */
	assert_true(ratelimit_take(rl, ip("203.0.113.1", &o), 30000, NULL));
	assert_true(ratelimit_take(rl, sa, 30000, NULL));
	assert_false(ratelimit_take(rl, sa, 30000, NULL));
	/* a flood of addresses never grows the table and never crashes */
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 250, i % 250);
		assert_true(ratelimit_take(rl, ip(text, &o), 30000, NULL));
	}
	/* with every slot busy, a new network takes the least recently used one and starts with a full bucket */
	ratelimit_free(rl);
	rl = per_minute(1, 8, 7);
	for (int i = 0; i < 8; i++) {
		snprintf(text, sizeof(text), "198.51.100.%d", i + 1);
		assert_true(ratelimit_take(rl, ip(text, &o), i, NULL));
	}
	assert_true(ratelimit_take(rl, ip("203.0.113.1", &o), 100, NULL));          /* evicts 198.51.100.1 */
	assert_false(ratelimit_take(rl, ip("198.51.100.8", &o), 100, NULL));        /* still known, still empty */
	assert_true(ratelimit_take(rl, ip("198.51.100.1", &o), 100, NULL));         /* forgotten: a fresh bucket */
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_minute_bucket),
		cmocka_unit_test(test_per_minute_keys),
		cmocka_unit_test(test_per_second_rate_and_burst),
		cmocka_unit_test(test_network_prefixes),
		cmocka_unit_test(test_slots_reused_never_grown),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}

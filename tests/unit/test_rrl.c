/* Response rate limiting of UDP answers: send within the rate, then drop or slip (truncate) in turn. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "netaddr.h"
#include "rrl.h"

#include <string.h>

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	return 0;
}

static const struct sockaddr *ip(const char *text, struct sockaddr_storage *ss)
{
	assert_int_equal(netaddr_parse_ip(text, ss), 0);
	return (const struct sockaddr *)ss;
}

static struct rrl *make(uint32_t rate, uint32_t burst, uint32_t slip)
{
	struct config cfg = { .rrl_rate = rate, .rrl_burst = burst, .rrl_slip = slip, .rrl_ipv4_prefix = 24,
			      .rrl_ipv6_prefix = 56 };
	return rrl_new(&cfg, 1234);
}

static void test_off(void **state)
{
	struct sockaddr_storage a;
	assert_null(make(0, 0, 2));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rrl_check(NULL, ip("192.0.2.1", &a), 0), RRL_SEND);
	uint64_t d, s;
	rrl_totals(NULL, &d, &s);
	assert_true(d == 0 && s == 0);
	rrl_free(NULL);
}

/* Rate 10, burst 10 (the default), slip 2: 10 sent, then drop, slip, drop, slip... */
static void test_slip_two(void **state)
{
	struct sockaddr_storage a, b;
	struct rrl *r = make(10, 0, 2);
	assert_non_null(r);
	const struct sockaddr *sa = ip("192.0.2.1", &a);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rrl_check(r, sa, 1000), RRL_SEND);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rrl_check(r, sa, 1000), i % 2 ? RRL_SLIP : RRL_DROP);
	assert_int_equal(rrl_check(r, ip("192.0.2.200", &b), 1000), RRL_DROP);   /* same /24 */
	assert_int_equal(rrl_check(r, ip("192.0.3.1", &b), 1000), RRL_SEND);     /* another network */
	assert_int_equal(rrl_check(r, sa, 1100), RRL_SEND);                      /* 100 ms later: one token */
	uint64_t d, s;
	rrl_totals(r, &d, &s);
	assert_int_equal(d, 6);
	assert_int_equal(s, 5);
	rrl_report(r, 2000, "worker 0");   /* logs (at error level here: silent) and resets the window */
	rrl_totals(r, &d, &s);
	assert_int_equal(d, 6);            /* the totals stay */
	rrl_free(r);
}

static void test_slip_never_and_always(void **state)
{
	struct sockaddr_storage a;
	struct rrl *never = make(1, 3, 0), *always = make(1, 3, 1);
	const struct sockaddr *sa = ip("2001:db8:1:ff00::1", &a);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rrl_check(never, sa, 0), RRL_SEND);
		assert_int_equal(rrl_check(always, sa, 0), RRL_SEND);
	}
	for (int i = 0; i < 10; i++) {
		assert_int_equal(rrl_check(never, sa, 0), RRL_DROP);
		assert_int_equal(rrl_check(always, ip("2001:db8:1:ffff::9", &a), 0), RRL_SLIP);   /* same /56 */
		ip("2001:db8:1:ff00::1", &a);
	}
	rrl_free(never);
	rrl_free(always);
}

static void test_truncate(void **state)
{
	/* id 0x1234, QR AA RD, QD 1 AN 1 NS 0 AR 1; question a.test TXT IN; one TXT record; an OPT record */
	static const uint8_t answer[] = {
		0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
		0x01, 'a', 0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x10, 0x00, 0x01,
		0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 'x',
		0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t msg[sizeof(answer)];
	memcpy(msg, answer, sizeof(answer));
	size_t n = rrl_truncate(msg, sizeof(msg));
	assert_int_equal(n, 24);                               /* header and question */
	static const uint8_t want[24] = {
		0x12, 0x34, 0x87, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 'a', 0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x10, 0x00, 0x01,
	};
	assert_memory_equal(msg, want, sizeof(want));
	/* an answer without a question (FORMERR to garbage) keeps its header alone */
	uint8_t formerr[12] = { 0xab, 0xcd, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(rrl_truncate(formerr, sizeof(formerr)), 12);
	assert_int_equal(formerr[2], 0x82);
	assert_int_equal(formerr[3], 0x01);                    /* the rcode stays */
	/* a question that does not parse: header only, QDCOUNT 0 */
	uint8_t cut[] = { 0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x05, 'a', 'b' };
	assert_int_equal(rrl_truncate(cut, sizeof(cut)), 12);
	assert_int_equal(cut[5], 0);
	assert_int_equal(rrl_truncate(cut, 11), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_slip_two),
		cmocka_unit_test(test_slip_never_and_always),
		cmocka_unit_test(test_truncate),
	};
	return cmocka_run_group_tests_name("rrl", tests, setup, NULL);
}

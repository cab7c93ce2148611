/* acme-dns-cli delegation: CAA matching (RFC 8659 section 4): issue vs issuewild, parameters after ';', an empty
 * value that forbids every CA, case, and sets with no issue rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../cli/caa.h"

#include <stdio.h>
#include <string.h>

static const char *const LE[] = { "letsencrypt.org" };

static struct cli_caa_rec rec(const char *tag, const char *value)
{
	struct cli_caa_rec r;
	memset(&r, 0, sizeof(r));
	snprintf(r.tag, sizeof(r.tag), "%s", tag);
	snprintf(r.value, sizeof(r.value), "%s", value);
	return r;
}

static void test_issuer(void **state)
{
	char out[64];
	assert_true(cli_caa_issuer("  LetsEncrypt.org ; validationmethods=dns-01", out, sizeof(out)));
	assert_string_equal(out, "letsencrypt.org");
	assert_true(cli_caa_issuer(";", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(cli_caa_issuer("", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(cli_caa_issuer("ca.example.", out, sizeof(out)));
	assert_string_equal(out, "ca.example");
	assert_false(cli_caa_issuer("a-long-name.example", out, 5));
}

static void test_issue(void **state)
{
	struct cli_caa_rec r[3] = { rec("issue", "other-ca.example"), rec("issue", "letsencrypt.org; accounturi=x"),
				    rec("iodef", "mailto:a@example.org") };
	assert_int_equal(cli_caa_check(r, 1, false, LE, 1), CLI_CAA_FORBIDDEN);
	assert_int_equal(cli_caa_check(r, 2, false, LE, 1), CLI_CAA_ALLOWED);
	assert_int_equal(cli_caa_check(&r[2], 1, false, LE, 1), CLI_CAA_NO_RULE);   /* iodef only */
	assert_int_equal(cli_caa_check(r, 0, false, LE, 1), CLI_CAA_NO_RULE);
	struct cli_caa_rec upper = rec("ISSUE", "LETSENCRYPT.ORG");
	assert_int_equal(cli_caa_check(&upper, 1, false, LE, 1), CLI_CAA_ALLOWED);
}

static void test_empty_forbids(void **state)
{
	struct cli_caa_rec r[2] = { rec("issue", ";"), rec("issue", "") };
	const char *const ids[] = { "" };
	assert_int_equal(cli_caa_check(r, 2, false, LE, 1), CLI_CAA_FORBIDDEN);
	assert_int_equal(cli_caa_check(r, 2, false, ids, 1), CLI_CAA_FORBIDDEN); /* "" never names a CA */
}

static void test_issuewild(void **state)
{
	struct cli_caa_rec r[2] = { rec("issue", "letsencrypt.org"), rec("issuewild", ";") };
	/* A wildcard goes by issuewild when there is one; other names ignore it. */
	assert_int_equal(cli_caa_check(r, 2, true, LE, 1), CLI_CAA_FORBIDDEN);
	assert_int_equal(cli_caa_check(r, 2, false, LE, 1), CLI_CAA_ALLOWED);
	/* Without issuewild, a wildcard goes by issue. */
	assert_int_equal(cli_caa_check(r, 1, true, LE, 1), CLI_CAA_ALLOWED);
	struct cli_caa_rec w[2] = { rec("issue", ";"), rec("issuewild", "letsencrypt.org") };
	assert_int_equal(cli_caa_check(w, 2, true, LE, 1), CLI_CAA_ALLOWED);
	assert_int_equal(cli_caa_check(w, 2, false, LE, 1), CLI_CAA_FORBIDDEN);
}

static void test_values(void **state)
{
	struct cli_caa_rec r[3] = { rec("issue", "a.example"), rec("issuewild", "b.example"), rec("issue", "c.example") };
	char out[128];
	cli_caa_values(r, 3, false, out, sizeof(out));
	assert_string_equal(out, "issue \"a.example\", issue \"c.example\"");
	cli_caa_values(r, 3, true, out, sizeof(out));
	assert_string_equal(out, "issuewild \"b.example\"");
	cli_caa_values(r, 3, false, out, 10);
	assert_int_equal(strlen(out), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issuer),        cmocka_unit_test(test_issue),
		cmocka_unit_test(test_empty_forbids), cmocka_unit_test(test_issuewild),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* acme-dns-cli renewal decision (RFC 9773 section 4.2 and the --days rule), times and meta.json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../cli/certs.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define NOW ((time_t)1750000000)   /* 2025-06-15T15:06:40Z */

static struct cli_due_out decide(struct cli_due_in in)
{
	struct cli_due_out out;
	memset(&out, 0x55, sizeof(out));
	cli_due(&in, &out);
	assert_non_null(out.why);
	return out;
}

static void test_days_rule(void **state)
{
	struct cli_due_in in = { .now = NOW, .not_after = NOW + 40 * DAY, .days = 30 };
	struct cli_due_out out = decide(in);
	assert_false(out.due);
	assert_int_equal(out.when, NOW + 10 * DAY);
	assert_string_equal(out.why, "fewer than --days days left");

	in.not_after = NOW + 20 * DAY;
	out = decide(in);
	assert_true(out.due);
	assert_int_equal(out.when, NOW - 10 * DAY);

	/* "Fewer than --days days": exactly 30 days left is not due, a second less is. */
	in.not_after = NOW + 30 * DAY;
	assert_false(decide(in).due);
	in.not_after = NOW + 30 * DAY - 1;
	assert_true(decide(in).due);
}

static void test_force_and_expired(void **state)
{
	struct cli_due_in in = { .now = NOW, .not_after = NOW + 80 * DAY, .days = 30, .force = true };
	struct cli_due_out out = decide(in);
	assert_true(out.due);
	assert_string_equal(out.why, "forced");

	/* Expired: due whatever the window says. */
	in = (struct cli_due_in){ .now = NOW, .not_after = NOW - 1, .days = 30, .have_window = true,
				  .window_start = NOW + DAY, .window_end = NOW + 2 * DAY, .pick = 0.5 };
	out = decide(in);
	assert_true(out.due);
	assert_string_equal(out.why, "expired");
}

static void test_window_future(void **state)
{
	/* The whole window lies ahead: not due, and the time named is inside it. */
	for (double pick = 0; pick < 1; pick += 0.125) {
		struct cli_due_in in = { .now = NOW, .not_after = NOW + 60 * DAY, .days = 30, .have_window = true,
					 .window_start = NOW + DAY, .window_end = NOW + 3 * DAY, .pick = pick };
		struct cli_due_out out = decide(in);
		assert_false(out.due);
		assert_true(out.when >= NOW + DAY && out.when < NOW + 3 * DAY);
		assert_string_equal(out.why, "renewalInfo window");
	}
}

static void test_window_ignores_days(void **state)
{
	/* With a window the --days rule does not apply: 5 days left but the window is later. */
	struct cli_due_in in = { .now = NOW, .not_after = NOW + 5 * DAY, .days = 30, .have_window = true,
				 .window_start = NOW + DAY, .window_end = NOW + 2 * DAY, .pick = 0 };
	assert_false(decide(in).due);
}

static void test_window_inside(void **state)
{
	/* Now is in the middle of the window: a pick before now is due, after now is not. */
	struct cli_due_in in = { .now = NOW, .not_after = NOW + 60 * DAY, .days = 30, .have_window = true,
				 .window_start = NOW - DAY, .window_end = NOW + DAY, .pick = 0.25 };
	struct cli_due_out out = decide(in);
	assert_true(out.due);
	assert_int_equal(out.when, NOW - DAY / 2);

	in.pick = 0.75;
	out = decide(in);
	assert_false(out.due);
	assert_int_equal(out.when, NOW + DAY / 2);

	in.pick = 0.5;
	assert_true(decide(in).due);            /* picked time == now */
}

static void test_window_past(void **state)
{
	/* The window's end has passed: due for any pick, even one that rounds to the end. */
	double picks[] = { 0, 0.5, 0.999999999, 1.0, 7.0 };
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		struct cli_due_in in = { .now = NOW, .not_after = NOW + 60 * DAY, .days = 30, .have_window = true,
					 .window_start = NOW - 2 * DAY, .window_end = NOW, .pick = picks[i] };
		assert_true(decide(in).due);
	}
}

static void test_window_degenerate(void **state)
{
	/* A window whose end is not after its start: its start is the time. */
	struct cli_due_in in = { .now = NOW, .not_after = NOW + 60 * DAY, .days = 30, .have_window = true,
				 .window_start = NOW + DAY, .window_end = NOW + DAY, .pick = 0.9 };
	struct cli_due_out out = decide(in);
	assert_false(out.due);
	assert_int_equal(out.when, NOW + DAY);
	in.window_start = NOW - 1;
	in.window_end = NOW - 100;
	assert_true(decide(in).due);
}

static void test_pick_distribution(void **state)
{
	/* Uniform in [0,1): never outside, and both halves get a fair share of 2000 draws. */
	int low = 0;
	for (int i = 0; i < 2000; i++) {
		double r = cli_due_random();
		assert_true(r >= 0 && r < 1);
		low += r < 0.5;
	}
	assert_true(low > 800 && low < 1200);
}

static void test_times(void **state)
{
	char buf[32];
	time_t t;
	assert_string_equal(cli_time_format(NOW, buf, sizeof(buf)), "2025-06-15T15:06:40Z");
	assert_int_equal(cli_time_parse("2025-06-15T15:06:40Z", &t), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(cli_time_parse("2025-06-15T15:06:40", &t), -1);
	assert_int_equal(cli_time_parse("2025-06-15T15:06:40Z junk", &t), -1);
	assert_int_equal(cli_time_parse("yesterday", &t), -1);
	assert_int_equal(cli_time_parse(NULL, &t), -1);
}

static void test_meta_roundtrip(void **state)
{
	struct cli_cert_meta m = { .n_names = 2, .key_type = "ec256", .server = "https://ca/dir", .ari_id = "a.b",
				   .serial = "0ABC", .not_before = NOW - DAY, .not_after = NOW + 89 * DAY,
				   .issued = NOW, .profile = "shortlived" };
	m.names[0] = "*.example.com";
	m.names[1] = "example.com";
	json_t *j = cli_meta_to_json(&m);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "not_after")), "2025-09-12T15:06:40Z");
	assert_null(json_object_get(j, "revoked"));
	assert_null(json_object_get(j, "preferred_chain"));

	struct cli_cert_meta back;
	char err[256];
	assert_int_equal(cli_meta_from_json(j, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_names, 2);
	assert_string_equal(back.names[0], "*.example.com");
	assert_string_equal(back.names[1], "example.com");
	assert_string_equal(back.key_type, "ec256");
	assert_string_equal(back.server, "https://ca/dir");
	assert_string_equal(back.ari_id, "a.b");
	assert_string_equal(back.serial, "0ABC");
	assert_string_equal(back.profile, "shortlived");
	assert_null(back.preferred_chain);
	assert_int_equal(back.not_before, NOW - DAY);
	assert_int_equal(back.not_after, NOW + 89 * DAY);
	assert_int_equal(back.issued, NOW);
	assert_int_equal(back.revoked, 0);
	cli_meta_clear(&back);
	json_decref(j);
}

static void expect_meta_error(const char *text, const char *want)
{
	char err[256] = "";
	struct cli_cert_meta m;
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(cli_meta_from_json(j, &m, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("got \"%s\", want \"%s\"", err, want);
	json_decref(j);
}

static void test_meta_errors(void **state)
{
	expect_meta_error("{\"key_type\":\"ec256\",\"server\":\"s\",\"not_after\":\"2025-01-01T00:00:00Z\"}",
			  "\"names\" must be a list");
	expect_meta_error("{\"names\":[\"a.b\",3],\"key_type\":\"ec256\",\"server\":\"s\"}", "\"names\"[1]");
	expect_meta_error("{\"names\":[\"a.b\"],\"key_type\":\"ec256\",\"server\":\"s\"}", "\"not_after\" is missing");
	expect_meta_error("{\"names\":[\"a.b\"],\"key_type\":\"ec256\",\"server\":\"s\",\"not_after\":\"soon\"}",
			  "\"not_after\" is not a time");
	expect_meta_error("{\"names\":[\"a.b\"],\"server\":\"s\",\"not_after\":\"2025-01-01T00:00:00Z\"}",
			  "\"key_type\" is missing");
	expect_meta_error("[]", "not a JSON object");
}

static void test_relpath(void **state)
{
	char *p = cli_cert_relpath("_.example.com", "meta.json");
	assert_string_equal(p, "certificates/_.example.com/meta.json");
	free(p);
	p = cli_cert_relpath("x", NULL);
	assert_string_equal(p, "certificates/x");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_rule),
		cmocka_unit_test(test_force_and_expired),
		cmocka_unit_test(test_window_future),
		cmocka_unit_test(test_window_ignores_days),
		cmocka_unit_test(test_window_inside),
		cmocka_unit_test(test_window_past),
		cmocka_unit_test(test_window_degenerate),
		cmocka_unit_test(test_pick_distribution),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_meta_roundtrip),
		cmocka_unit_test(test_meta_errors),
		cmocka_unit_test(test_relpath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for password.c: random UUIDs and keys, bcrypt hash and verify, equal cost for unknown users. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "password.h"

/* Account 1 of tests/fixtures/acme-dns-v1.sqlite3: a hash joohoi/acme-dns wrote ($2a$, Go's bcrypt). */
#define FIXTURE_KEY  "JzzoMAozfa0iJ2ueh-9nP6eu7HVVW6xz28prSdcQ"
#define FIXTURE_HASH "$2a$10$U14dZdoontIvEO/1PyNlw.ZB0EBcnl83pKhrjCEoIT.ds2NrJB85K"

static int is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void test_uuid_format(void **state)
{
	char a[37], b[37];
	assert_int_equal(password_uuid(a, sizeof(a)), 0);
	assert_int_equal(password_uuid(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 36);
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_true(is_hex_lower(a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
	assert_int_equal(password_uuid(a, 36), -1);
}

static void test_key_length_and_alphabet(void **state)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	char k1[PASSWORD_KEY_LEN + 1], k2[PASSWORD_KEY_LEN + 1];
	assert_int_equal(password_new_key(k1, sizeof(k1)), 0);
	assert_int_equal(password_new_key(k2, sizeof(k2)), 0);
	assert_int_equal(strlen(k1), PASSWORD_KEY_LEN);
	assert_int_equal(strspn(k1, alphabet), PASSWORD_KEY_LEN);
	assert_int_equal(strspn(k2, alphabet), PASSWORD_KEY_LEN);
	assert_string_not_equal(k1, k2);
	assert_int_equal(password_new_key(k1, PASSWORD_KEY_LEN), -1);
}

static void test_hash_verify_round_trip(void **state)
{
	char key[PASSWORD_KEY_LEN + 1], h1[64], h2[64];
	assert_int_equal(password_new_key(key, sizeof(key)), 0);
	assert_int_equal(password_hash(key, h1, sizeof(h1)), 0);
	assert_int_equal(strlen(h1), 60);
	assert_memory_equal(h1, "$2b$10$", 7);
	assert_true(password_verify(key, h1));
	/* A fresh salt each time: same key, different hash, both verify. */
	assert_int_equal(password_hash(key, h2, sizeof(h2)), 0);
	assert_string_not_equal(h1, h2);
	assert_true(password_verify(key, h2));
	assert_int_equal(password_hash(key, h1, 63), -1);
}

static void test_wrong_key_false(void **state)
{
	char h[64];
	assert_int_equal(password_hash("right-key", h, sizeof(h)), 0);
	assert_false(password_verify("wrong-key", h));
	assert_false(password_verify("", h));
	assert_false(password_verify(NULL, h));
}

static void test_acme_dns_hash_verifies(void **state)
{
	assert_true(password_verify(FIXTURE_KEY, FIXTURE_HASH));
	assert_false(password_verify("JzzoMAozfa0iJ2ueh-9nP6eu7HVVW6xz28prSdcR", FIXTURE_HASH));
	/* The same hash with the $2b$ and $2y$ prefixes is the same bcrypt for ASCII keys. */
	char h[64];
	memcpy(h, FIXTURE_HASH, sizeof(FIXTURE_HASH));
	h[2] = 'y';
	assert_true(password_verify(FIXTURE_KEY, h));
}

static void test_null_and_malformed_hash_false(void **state)
{
	assert_false(password_verify(FIXTURE_KEY, NULL));
	assert_false(password_verify(FIXTURE_KEY, ""));
	assert_false(password_verify(FIXTURE_KEY, "$2a$10$short"));
	assert_false(password_verify(FIXTURE_KEY, "$1$abcdefgh$0123456789012345678901"));
	/* Cost 31 would stall a worker for hours: refused, not computed. */
	char h[64];
	memcpy(h, FIXTURE_HASH, sizeof(FIXTURE_HASH));
	h[4] = '3';
	h[5] = '1';
	assert_false(password_verify(FIXTURE_KEY, h));
	/* The dummy hash's own phrase must not open an unknown account. */
	assert_false(password_verify("acme-dnsd timing equaliser", NULL));
}

static double seconds_of_verify(const char *key, const char *hash)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	(void)password_verify(key, hash);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Loose on purpose (shared CI machines): the unknown user must cost a bcrypt, within 5x of a real check. */
static void test_unknown_user_costs_a_bcrypt(void **state)
{
	double real = 1e9, unknown = 1e9;
	for (int i = 0; i < 3; i++) {
		double r = seconds_of_verify(FIXTURE_KEY, FIXTURE_HASH);
		double u = seconds_of_verify(FIXTURE_KEY, NULL);
		real = r < real ? r : real;
		unknown = u < unknown ? u : unknown;
	}
	print_message("verify: real %.4fs, unknown user %.4fs\n", real, unknown);
	assert_true(unknown * 5 >= real);
	assert_true(real * 5 >= unknown);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_format),
		cmocka_unit_test(test_key_length_and_alphabet),
		cmocka_unit_test(test_hash_verify_round_trip),
		cmocka_unit_test(test_wrong_key_false),
		cmocka_unit_test(test_acme_dns_hash_verifies),
		cmocka_unit_test(test_null_and_malformed_hash_false),
		cmocka_unit_test(test_unknown_user_costs_a_bcrypt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

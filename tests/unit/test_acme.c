/* lib/acme pure pieces: RFC 3339 times, the dns-01 value, error names. The protocol runs against pebble in
 * tests/integration. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "acme_int.h"
#include "key.h"

#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

static void test_parse_time(void **state)
{
	time_t t;
	assert_int_equal(acme_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(acme_parse_time("2025-01-02T04:00:00Z", &t), 0);
	assert_int_equal(t, 1735790400);
	assert_int_equal(acme_parse_time("2025-01-02T04:00:00.123456789Z", &t), 0);
	assert_int_equal(t, 1735790400);
	assert_int_equal(acme_parse_time("2025-01-02T06:00:00+02:00", &t), 0);
	assert_int_equal(t, 1735790400);
	assert_int_equal(acme_parse_time("2025-01-02T03:30:00-00:30", &t), 0);
	assert_int_equal(t, 1735790400);
	assert_int_equal(acme_parse_time("2025-01-02 04:00:00Z", &t), -1);
	assert_int_equal(acme_parse_time("2025-01-02T04:00:00", &t), -1);
	assert_int_equal(acme_parse_time("2025-01-02T04:00:00Zjunk", &t), -1);
	assert_int_equal(acme_parse_time("", &t), -1);
	assert_int_equal(acme_parse_time(NULL, &t), -1);
}

/* The value is base64url(SHA-256(token "." thumbprint)): recomputed here by hand. */
static void test_dns01_value(void **state)
{
	EVP_PKEY *k = key_generate(KEY_EC256);
	assert_non_null(k);
	const char *token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
	char *v = acme_dns01_value(k, token);
	assert_non_null(v);
	assert_int_equal(strlen(v), 43);
	char *thumb = key_thumbprint(k);
	char ka[256];
	snprintf(ka, sizeof(ka), "%s.%s", token, thumb);
	unsigned char d[32];
	unsigned int dl;
	assert_int_equal(EVP_Digest(ka, strlen(ka), d, &dl, EVP_sha256(), NULL), 1);
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char want[44];
	for (int i = 0, o = 0; i < 32; i += 3) {
		uint32_t n = (uint32_t)d[i] << 16 | (i + 1 < 32 ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < 32 ? d[i + 2] : 0);
		for (int j = 0; j < 4 && o < 43; j++)
			want[o++] = alphabet[(n >> (18 - 6 * j)) & 63];
		want[o < 43 ? o : 43] = 0;
	}
	assert_string_equal(v, want);
	char *v2 = acme_dns01_value(k, "other-token");
	assert_string_not_equal(v, v2);
	free(v);
	free(v2);
	free(thumb);
	EVP_PKEY_free(k);
}

static void test_err_names(void **state)
{
	assert_string_equal(acme_err_name(ACME_ERR_CA), "ca");
	assert_string_equal(acme_err_name(ACME_ERR_SETUP), "setup");
	assert_string_equal(acme_err_name((enum acme_err)99), "internal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_dns01_value),
		cmocka_unit_test(test_err_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for b64.c, key.c, jws.c, csr.c and cert.c, checked against OpenSSL and RFC examples. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "cert.h"
#include "csr.h"
#include "jws.h"
#include "key.h"

#define N_TYPES 6

/* One key of each type, generated once for the whole group (RSA 4096 takes a while). */
static EVP_PKEY *keys[N_TYPES];

static int group_setup(void **state)
{
	for (int t = 0; t < N_TYPES; t++) {
		keys[t] = key_generate((enum key_type)t);
		if (keys[t] == NULL)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (int t = 0; t < N_TYPES; t++)
		EVP_PKEY_free(keys[t]);
	return 0;
}

/* ---- helpers ---- */

/* b64url_decode of s as a NUL-terminated string; fails the test on bad input. */
static char *b64_to_str(const char *s)
{
	size_t n = 0;
	uint8_t *raw = b64url_decode(s, &n);
	assert_non_null(raw);
	char *out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, raw, n);
	out[n] = '\0';
	free(raw);
	return out;
}

static json_t *b64_to_json(const char *s)
{
	char *text = b64_to_str(s);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	return j;
}

/* The public half of key as its own EVP_PKEY, so signatures are checked without the private key. */
static EVP_PKEY *public_only(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	assert_true(n > 0);
	const unsigned char *p = der;
	EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	assert_non_null(pub);
	return pub;
}

/* The byte length of a base64url member, or -1 when it does not decode. */
static long b64_member_len(json_t *obj, const char *name)
{
	size_t n = 0;
	const char *s = json_string_value(json_object_get(obj, name));
	uint8_t *raw = s != NULL ? b64url_decode(s, &n) : NULL;
	free(raw);
	return raw != NULL ? (long)n : -1;
}

/* Verifies a JWS signature (r||s for ECDSA, as RFC 7518 sends it) with pub. Returns 1 when valid. */
static int verify_jws(EVP_PKEY *pub, const char *alg, const char *input, const uint8_t *sig, size_t siglen)
{
	const EVP_MD *md = strcmp(alg, "ES384") == 0 ? EVP_sha384() : strcmp(alg, "EdDSA") == 0 ? NULL : EVP_sha256();
	uint8_t *der = NULL;
	int derlen = (int)siglen;
	if (alg[0] == 'E' && alg[1] == 'S') {
		size_t half = siglen / 2;
		ECDSA_SIG *es = ECDSA_SIG_new();
		assert_non_null(es);
		BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
		assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		assert_true(derlen > 0);
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub), 1);
	int ok = EVP_DigestVerify(ctx, der != NULL ? der : sig, (size_t)derlen, (const unsigned char *)input,
				  strlen(input));
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

/* "protected.payload" of a flattened JWS, malloc'd. */
static char *jws_input(json_t *jws)
{
	const char *prot = json_string_value(json_object_get(jws, "protected"));
	const char *payload = json_string_value(json_object_get(jws, "payload"));
	assert_non_null(prot);
	assert_non_null(payload);
	size_t a = strlen(prot), b = strlen(payload);
	char *s = malloc(a + b + 2);
	assert_non_null(s);
	memcpy(s, prot, a);
	s[a] = '.';
	memcpy(s + a + 1, payload, b + 1);
	return s;
}

/* ---- b64 ---- */

static void test_b64_rfc4648_vectors(void **state)
{
	/* RFC 4648 section 10, without the padding. */
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char *e = b64url_encode(in[i], strlen(in[i]));
		assert_non_null(e);
		assert_string_equal(e, out[i]);
		free(e);
		size_t n = 99;
		uint8_t *d = b64url_decode(out[i], &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		free(d);
	}
}

static void test_b64_url_alphabet_round_trip(void **state)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	static const uint8_t high[] = { 0xfb, 0xff, 0xbf };
	char *e = b64url_encode(high, sizeof(high));
	assert_string_equal(e, "-_-_");
	free(e);
	for (size_t len = 0; len <= sizeof(all); len++) {
		e = b64url_encode(all, len);
		assert_non_null(e);
		assert_null(strpbrk(e, "+/="));
		size_t n = 0;
		uint8_t *d = b64url_decode(e, &n);
		assert_non_null(d);
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(d, all, len);
		free(d);
		free(e);
	}
}

static void test_b64_decode_padding_accepted(void **state)
{
	static const char *const padded[] = { "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=" };
	static const char *const plain[] = { "f", "fo", "foo", "foob", "fooba" };
	for (size_t i = 0; i < 5; i++) {
		size_t n = 0;
		uint8_t *d = b64url_decode(padded[i], &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		free(d);
	}
}

static void test_b64_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"Zm9v+g", "Zm9v/g", "Zm 9v", " Zm9v", "Zm9v\n", "Z", "Zm9vY", "Zg=", "Zg===", "Zm9v=", "Zm8==",
		"=", "==", "Z=g=", "Zg==Zg==", "Zm9v\t", "Zm9v.", "Zm9v\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 0;
		uint8_t *d = b64url_decode(bad[i], &n);
		if (d != NULL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	size_t n = 1;
	assert_null(b64url_decode(NULL, &n));
}

/* ---- keys ---- */

static void test_key_type_names(void **state)
{
	static const char *const names[N_TYPES] = { "ec256", "ec384", "rsa2048", "rsa3072", "rsa4096", "ed25519" };
	for (int t = 0; t < N_TYPES; t++) {
		enum key_type parsed;
		assert_string_equal(key_type_name((enum key_type)t), names[t]);
		assert_int_equal(key_type_parse(names[t], &parsed), 0);
		assert_int_equal(parsed, t);
	}
	enum key_type parsed;
	assert_int_equal(key_type_parse("EC256", &parsed), -1);
	assert_int_equal(key_type_parse("rsa1024", &parsed), -1);
	assert_int_equal(key_type_parse("", &parsed), -1);
	assert_null(key_type_name((enum key_type)N_TYPES));
}

static void test_key_generate_and_pem_round_trip(void **state)
{
	static const char *const algs[N_TYPES] = { "ES256", "ES384", "RS256", "RS256", "RS256", "EdDSA" };
	for (int t = 0; t < N_TYPES; t++) {
		assert_int_equal(key_type_of(keys[t]), t);
		assert_string_equal(key_jws_alg(keys[t]), algs[t]);
		size_t len = 0;
		char *pem = key_to_pem(keys[t], &len);
		assert_non_null(pem);
		assert_int_equal(strlen(pem), len);
		assert_memory_equal(pem, "-----BEGIN PRIVATE KEY-----\n", 28);
		EVP_PKEY *back = key_from_pem(pem, len);
		assert_non_null(back);
		assert_int_equal(EVP_PKEY_eq(back, keys[t]), 1);
		assert_int_equal(key_type_of(back), t);
		EVP_PKEY_free(back);
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	assert_null(key_from_pem("not a key", 9));
	ERR_clear_error();
}

static void test_key_other_types_refused(void **state)
{
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	assert_non_null(p521);
	assert_non_null(x25519);
	assert_int_equal(key_type_of(p521), -1);
	assert_null(key_jws_alg(p521));
	assert_null(key_jwk(p521));
	assert_int_equal(key_type_of(x25519), -1);
	assert_null(key_jws_alg(x25519));
	assert_null(jws_sign(x25519, NULL, "n", "https://ca/x", "{}"));
	EVP_PKEY_free(p521);
	EVP_PKEY_free(x25519);
}

/* Writes text to a new temporary file; the path goes in path[]. */
static void write_temp(char *path, size_t pathlen, const char *text)
{
	snprintf(path, pathlen, "/tmp/test_crypto_key_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_key_load_file(void **state)
{
	char path[64], err[256];
	size_t len = 0;
	char *pem = key_to_pem(keys[KEY_EC256], &len);
	assert_non_null(pem);
	write_temp(path, sizeof(path), pem);
	OPENSSL_cleanse(pem, len);
	free(pem);
	EVP_PKEY *k = key_load_file(path, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, keys[KEY_EC256]), 1);
	EVP_PKEY_free(k);
	unlink(path);

	assert_null(key_load_file("/nonexistent/acme.key", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/acme.key: No such file or directory");

	write_temp(path, sizeof(path), "hello\n");
	assert_null(key_load_file(path, err, sizeof(err)));
	char want[128];
	snprintf(want, sizeof(want), "%s: no PEM private key found", path);
	assert_string_equal(err, want);
	unlink(path);

	write_temp(path, sizeof(path), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	assert_null(key_load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a readable PEM private key", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(ERR_peek_error(), 0);
}

/* An encrypted key is refused without prompting on the terminal. */
static void test_key_load_encrypted_refused(void **state)
{
	BIO *bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, keys[KEY_EC256], EVP_aes_256_cbc(), "pw", 2, NULL, NULL),
			 1);
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	char *text = malloc((size_t)n + 1);
	assert_non_null(text);
	memcpy(text, data, (size_t)n);
	text[n] = '\0';
	BIO_free(bio);
	char path[64], err[256];
	write_temp(path, sizeof(path), text);
	free(text);
	assert_null(key_load_file(path, err, sizeof(err)));
	char want[128];
	snprintf(want, sizeof(want), "%s: encrypted private keys are not supported", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(ERR_peek_error(), 0);
}

/* The members of obj, sorted and comma-joined, must be exactly want. */
static void assert_members(json_t *obj, const char *want)
{
	char got[128] = "";
	size_t used = 0;
	char *dump = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	json_t *sorted = json_loads(dump, JSON_DECODE_ANY, NULL);
	free(dump);
	const char *k;
	json_t *v;
	json_object_foreach(sorted, k, v) {
		int w = snprintf(got + used, sizeof(got) - used, "%s%s", used ? "," : "", k);
		used += (size_t)w;
		assert_string_equal(json_typeof(v) == JSON_STRING ? "s" : "?", "s");
	}
	json_decref(sorted);
	assert_string_equal(got, want);
}

/* The base64url member name of jwk equals BIGNUM parameter param of key, padded to pad bytes. */
static void assert_bn_member(json_t *jwk, const char *name, EVP_PKEY *key, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(key, param, &bn), 1);
	int size = pad > 0 ? pad : BN_num_bytes(bn);
	uint8_t buf[512];
	assert_int_equal(BN_bn2binpad(bn, buf, size), size);
	BN_free(bn);
	char *want = b64url_encode(buf, (size_t)size);
	assert_string_equal(json_string_value(json_object_get(jwk, name)), want);
	free(want);
}

static void test_jwk_ec(void **state)
{
	for (int t = KEY_EC256; t <= KEY_EC384; t++) {
		int size = t == KEY_EC256 ? 32 : 48;
		json_t *jwk = key_jwk(keys[t]);
		assert_non_null(jwk);
		assert_members(jwk, "crv,kty,x,y");
		assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
		assert_string_equal(json_string_value(json_object_get(jwk, "crv")), t == KEY_EC256 ? "P-256" : "P-384");
		assert_int_equal(b64_member_len(jwk, "x"), size);
		assert_int_equal(b64_member_len(jwk, "y"), size);
		assert_bn_member(jwk, "x", keys[t], OSSL_PKEY_PARAM_EC_PUB_X, size);
		assert_bn_member(jwk, "y", keys[t], OSSL_PKEY_PARAM_EC_PUB_Y, size);
		json_decref(jwk);
	}
}

/* A P-256 key whose x has a leading zero byte (1 in 256) still gets a 32-byte x. */
static void test_jwk_ec_coordinate_padding(void **state)
{
	for (int tries = 0; tries < 20000; tries++) {
		EVP_PKEY *k = key_generate(KEY_EC256);
		BIGNUM *x = NULL;
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
		int short_x = BN_num_bytes(x) < 32;
		BN_free(x);
		if (short_x) {
			json_t *jwk = key_jwk(k);
			size_t n = 0;
			uint8_t *raw = b64url_decode(json_string_value(json_object_get(jwk, "x")), &n);
			assert_non_null(raw);
			assert_int_equal(n, 32);
			assert_int_equal(raw[0], 0);
			free(raw);
			json_decref(jwk);
			EVP_PKEY_free(k);
			return;
		}
		EVP_PKEY_free(k);
	}
	fail_msg("no P-256 key with a short x in 20000 tries");
}

static void test_jwk_rsa(void **state)
{
	for (int t = KEY_RSA2048; t <= KEY_RSA4096; t++) {
		json_t *jwk = key_jwk(keys[t]);
		assert_non_null(jwk);
		assert_members(jwk, "e,kty,n");
		assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
		assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
		assert_int_equal(b64_member_len(jwk, "n"), EVP_PKEY_get_bits(keys[t]) / 8);
		size_t n = 0;
		uint8_t *raw = b64url_decode(json_string_value(json_object_get(jwk, "n")), &n);
		assert_non_null(raw);
		assert_int_not_equal(raw[0], 0);
		free(raw);
		assert_bn_member(jwk, "n", keys[t], OSSL_PKEY_PARAM_RSA_N, 0);
		json_decref(jwk);
	}
}

static void test_jwk_ed25519(void **state)
{
	json_t *jwk = key_jwk(keys[KEY_ED25519]);
	assert_non_null(jwk);
	assert_members(jwk, "crv,kty,x");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "OKP");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
	uint8_t pub[32];
	size_t len = sizeof(pub);
	assert_int_equal(EVP_PKEY_get_raw_public_key(keys[KEY_ED25519], pub, &len), 1);
	char *want = b64url_encode(pub, len);
	assert_string_equal(json_string_value(json_object_get(jwk, "x")), want);
	free(want);
	json_decref(jwk);
}

/* An RSA public key from base64url n and e, built the OpenSSL 3 way. */
static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
	size_t nlen = 0, elen = 0;
	uint8_t *n = b64url_decode(n64, &nlen), *e = b64url_decode(e64, &elen);
	assert_non_null(n);
	assert_non_null(e);
	BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL), *bn_e = BN_bin2bn(e, (int)elen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e), 1);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return key;
}

static void test_thumbprint_rfc7638(void **state)
{
	/* RFC 7638 section 3.1. */
	static const char n64[] =
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1"
		"L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4"
		"QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbO"
		"pbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
		"Cur-kEgU8awapJzKnqDKgw";
	EVP_PKEY *key = rsa_from_jwk(n64, "AQAB");
	json_t *jwk = key_jwk(key);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), n64);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	json_decref(jwk);
	char *tp = key_thumbprint(key);
	assert_non_null(tp);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(tp);
	EVP_PKEY_free(key);
}

/* An EC P-256 public key from x and y. Expected thumbprint: printf '%s' '{"crv":"P-256","kty":"EC","x":"…",
 * "y":"…"}' | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=' */
static void test_thumbprint_ec(void **state)
{
	static const char x64[] = "jJ6Flys3zK9jUhnOHf6G49Dyp5hah6CNP84-gY-n9eo";
	static const char y64[] = "nhI6iD5eFXgBTLt_1p3aip-5VbZeMhxeFSpjfEAf7Ww";
	size_t xl = 0, yl = 0;
	uint8_t *x = b64url_decode(x64, &xl), *y = b64url_decode(y64, &yl);
	assert_int_equal(xl, 32);
	assert_int_equal(yl, 32);
	uint8_t point[65] = { 0x04 };
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	free(x);
	free(y);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(key_type_of(key), KEY_EC256);
	char *tp = key_thumbprint(key);
	assert_string_equal(tp, "w9eYdC6_s_tLQ8lH6PUpc0mddazaqtPgeC2IgWDiqY8");
	free(tp);
	EVP_PKEY_free(key);
}

/* ---- JWS ---- */

/* Checks one JWS made by key: members, header, payload, and the signature against the public key. */
static void check_jws(json_t *jws, EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
		      const char *payload)
{
	assert_non_null(jws);
	assert_members(jws, "payload,protected,signature");
	json_t *h = b64_to_json(json_string_value(json_object_get(jws, "protected")));
	const char *alg = key_jws_alg(key);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), alg);
	assert_string_equal(json_string_value(json_object_get(h, "url")), url);
	if (nonce != NULL)
		assert_string_equal(json_string_value(json_object_get(h, "nonce")), nonce);
	else
		assert_null(json_object_get(h, "nonce"));
	if (kid != NULL) {
		assert_string_equal(json_string_value(json_object_get(h, "kid")), kid);
		assert_null(json_object_get(h, "jwk"));
	} else {
		json_t *jwk = key_jwk(key);
		assert_true(json_equal(json_object_get(h, "jwk"), jwk));
		assert_null(json_object_get(h, "kid"));
		json_decref(jwk);
	}
	assert_int_equal(json_object_size(h), 2 + (nonce != NULL) + 1);
	json_decref(h);
	char *body = b64_to_str(json_string_value(json_object_get(jws, "payload")));
	assert_string_equal(body, payload != NULL ? payload : "");
	free(body);

	size_t siglen = 0;
	uint8_t *sig = b64url_decode(json_string_value(json_object_get(jws, "signature")), &siglen);
	assert_non_null(sig);
	if (strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0)
		assert_int_equal(siglen, strcmp(alg, "ES256") == 0 ? 64 : 96);
	else if (strcmp(alg, "EdDSA") == 0)
		assert_int_equal(siglen, 64);
	else
		assert_int_equal(siglen, (size_t)EVP_PKEY_get_size(key));
	EVP_PKEY *pub = public_only(key);
	char *input = jws_input(jws);
	assert_int_equal(verify_jws(pub, alg, input, sig, siglen), 1);
	input[strlen(input) - 1] ^= 1;
	assert_int_not_equal(verify_jws(pub, alg, input, sig, siglen), 1);
	free(input);
	EVP_PKEY_free(pub);
	free(sig);
}

static void test_jws_sign_every_key(void **state)
{
	static const char url[] = "https://ca.example/acme/new-order";
	static const char payload[] = "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.org\"}]}";
	static const char kid[] = "https://ca.example/acme/acct/12";
	for (int t = 0; t < N_TYPES; t++) {
		json_t *jws = jws_sign(keys[t], kid, "nonce-abc_1", url, payload);
		check_jws(jws, keys[t], kid, "nonce-abc_1", url, payload);
		json_decref(jws);
		jws = jws_sign(keys[t], NULL, "nonce-2", "https://ca.example/acme/new-account", "{}");
		check_jws(jws, keys[t], NULL, "nonce-2", "https://ca.example/acme/new-account", "{}");
		json_decref(jws);
	}
}

/* POST-as-GET signs an empty payload; the inner JWS of a key change has no nonce. */
static void test_jws_empty_payload_no_nonce(void **state)
{
	for (int t = 0; t < N_TYPES; t++) {
		json_t *jws = jws_sign(keys[t], "https://ca/acct/1", "n1", "https://ca/order/5", NULL);
		check_jws(jws, keys[t], "https://ca/acct/1", "n1", "https://ca/order/5", NULL);
		assert_string_equal(json_string_value(json_object_get(jws, "payload")), "");
		json_decref(jws);
		jws = jws_sign(keys[t], NULL, NULL, "https://ca/key-change", "{\"account\":\"x\"}");
		check_jws(jws, keys[t], NULL, NULL, "https://ca/key-change", "{\"account\":\"x\"}");
		json_decref(jws);
	}
	assert_null(jws_sign(NULL, NULL, "n", "https://ca/x", "{}"));
	assert_null(jws_sign(keys[KEY_EC256], NULL, "n", NULL, "{}"));
}

static void test_jws_eab(void **state)
{
	static const uint8_t hmac_key[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
					    0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const char url[] = "https://ca.example/acme/new-account";
	json_t *account_jwk = key_jwk(keys[KEY_EC256]);
	json_t *eab = jws_eab("kid-1", hmac_key, sizeof(hmac_key), url, account_jwk);
	assert_non_null(eab);
	assert_members(eab, "payload,protected,signature");

	json_t *h = b64_to_json(json_string_value(json_object_get(eab, "protected")));
	assert_members(h, "alg,kid,url");
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), "kid-1");
	assert_string_equal(json_string_value(json_object_get(h, "url")), url);
	json_decref(h);

	const char *payload64 = json_string_value(json_object_get(eab, "payload"));
	char *payload = b64_to_str(payload64);
	assert_null(strpbrk(payload, " \n"));
	json_t *p = json_loads(payload, 0, NULL);
	assert_true(json_equal(p, account_jwk));
	json_decref(p);
	free(payload);

	char *input = jws_input(eab);
	uint8_t mac[32];
	unsigned int maclen = 0;
	assert_non_null(HMAC(EVP_sha256(), hmac_key, sizeof(hmac_key), (const unsigned char *)input, strlen(input), mac,
			     &maclen));
	char *want = b64url_encode(mac, maclen);
	assert_string_equal(json_string_value(json_object_get(eab, "signature")), want);
	free(want);
	free(input);
	json_decref(eab);

	assert_null(jws_eab("kid-1", hmac_key, 0, url, account_jwk));
	assert_null(jws_eab(NULL, hmac_key, sizeof(hmac_key), url, account_jwk));
	json_decref(account_jwk);
}

/* ---- CSR ---- */

/* Parses a CSR and checks its signature with its own key, which must be key's public half. */
static X509_REQ *parse_csr(const uint8_t *der, size_t len, EVP_PKEY *key)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(req);
	assert_ptr_equal(p, der + len);
	EVP_PKEY *inner = X509_REQ_get0_pubkey(req);
	assert_int_equal(EVP_PKEY_eq(inner, key), 1);
	assert_int_equal(X509_REQ_verify(req, inner), 1);
	return req;
}

static void assert_csr_sans(X509_REQ *req, const char *const *names, size_t n, int critical)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	assert_non_null(exts);
	int crit = -1;
	GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	assert_non_null(gens);
	assert_int_equal(crit, critical);
	assert_int_equal(sk_GENERAL_NAME_num(gens), (int)n);
	for (size_t i = 0; i < n; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, (int)i);
		assert_int_equal(g->type, GEN_DNS);
		assert_int_equal(ASN1_STRING_length(g->d.dNSName), strlen(names[i]));
		assert_memory_equal(ASN1_STRING_get0_data(g->d.dNSName), names[i], strlen(names[i]));
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

static void test_csr_every_key(void **state)
{
	static const char *const names[] = { "example.org", "*.example.org", "www.example.org" };
	static const int sig_nid[N_TYPES] = { NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA256, NID_sha256WithRSAEncryption,
					      NID_sha256WithRSAEncryption, NID_sha256WithRSAEncryption, NID_ED25519 };
	for (int t = 0; t < N_TYPES; t++) {
		size_t len = 0;
		uint8_t *der = csr_build(keys[t], names, 3, &len);
		assert_non_null(der);
		X509_REQ *req = parse_csr(der, len, keys[t]);
		assert_int_equal(X509_REQ_get_signature_nid(req), sig_nid[t]);
		X509_NAME *subject = X509_REQ_get_subject_name(req);
		assert_int_equal(X509_NAME_entry_count(subject), 1);
		char cn[128];
		assert_int_equal(X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof(cn)), 11);
		assert_string_equal(cn, "example.org");
		assert_csr_sans(req, names, 3, 0);
		X509_REQ_free(req);
		free(der);
	}
}

static void test_csr_long_first_name_has_no_cn(void **state)
{
	static const char *const names[] = {
		"a-very-long-label-for-testing-the-common-name-limit.subdomain.example.org",
		"*.example.org",
	};
	assert_true(strlen(names[0]) > 64);
	size_t len = 0;
	uint8_t *der = csr_build(keys[KEY_EC384], names, 2, &len);
	assert_non_null(der);
	X509_REQ *req = parse_csr(der, len, keys[KEY_EC384]);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 0);
	assert_csr_sans(req, names, 2, 1);
	X509_REQ_free(req);
	free(der);

	/* Exactly 64 characters still fits. */
	static const char *const fits[] = { "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij.example.o" };
	assert_int_equal(strlen(fits[0]), 64);
	der = csr_build(keys[KEY_EC256], fits, 1, &len);
	assert_non_null(der);
	req = parse_csr(der, len, keys[KEY_EC256]);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 1);
	X509_REQ_free(req);
	free(der);
}

static void test_csr_rejects_bad_names(void **state)
{
	static const char *const empty[] = { "example.org", "" };
	static const char *const null_name[] = { NULL };
	size_t len = 0;
	assert_null(csr_build(keys[KEY_EC256], empty, 0, &len));
	assert_null(csr_build(keys[KEY_EC256], empty, 2, &len));
	assert_null(csr_build(keys[KEY_EC256], null_name, 1, &len));
	assert_null(csr_build(NULL, empty, 1, &len));
}

/* ---- certificates ---- */

struct cert_spec {
	const char *subject_cn, *issuer_cn;
	EVP_PKEY *subject_key, *issuer_key;
	const uint8_t *serial;          /* big-endian magnitude */
	size_t serial_len;
	const uint8_t *aki;             /* NULL: no authorityKeyIdentifier */
	size_t aki_len;
	const char *const *sans;
	size_t n_sans;
	time_t not_before, not_after;
};

static void add_cn(X509_NAME *name, const char *cn)
{
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
			 1);
}

static void add_extensions(X509 *x, const struct cert_spec *s)
{
	if (s->aki != NULL) {
		AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
		akid->keyid = ASN1_OCTET_STRING_new();
		assert_int_equal(ASN1_OCTET_STRING_set(akid->keyid, s->aki, (int)s->aki_len), 1);
		assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT), 1);
		AUTHORITY_KEYID_free(akid);
	}
	if (s->n_sans > 0) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		for (size_t i = 0; i < s->n_sans; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
			assert_int_equal(ASN1_STRING_set(ia5, s->sans[i], -1), 1);
			GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
			sk_GENERAL_NAME_push(gens, g);
		}
		assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT), 1);
		GENERAL_NAMES_free(gens);
	}
}

/* A signed X.509 v3 certificate as PEM, malloc'd. */
static char *make_cert_pem(const struct cert_spec *s)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	BIGNUM *bn = BN_bin2bn(s->serial, (int)s->serial_len, NULL);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	add_cn(X509_get_subject_name(x), s->subject_cn);
	add_cn(X509_get_issuer_name(x), s->issuer_cn);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), s->not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), s->not_after));
	assert_int_equal(X509_set_pubkey(x, s->subject_key), 1);
	add_extensions(x, s);
	/* Ed25519 signs without a separate digest. */
	const EVP_MD *md = EVP_PKEY_get_base_id(s->issuer_key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	assert_true(X509_sign(x, s->issuer_key, md) > 0);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	char *pem = malloc((size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	BIO_free(bio);
	X509_free(x);
	return pem;
}

/* RFC 9773 section 4.1 example values. */
static const uint8_t rfc_aki[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
				   0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
static const uint8_t rfc_serial[] = { 0x87, 0x65, 0x43, 0x21 };
static const char *const leaf_names[] = { "example.org", "*.example.org", "www.example.org" };
#define T_NOT_BEFORE ((time_t)1700000000)
#define T_NOT_AFTER (T_NOT_BEFORE + 90 * 86400)

/* A leaf (issued by "Test Intermediate", RFC 9773 AKI and serial) and intermediate (issued by "Test Root X1"). */
static char *make_leaf(void)
{
	struct cert_spec s = { "example.org", "Test Intermediate", keys[KEY_EC256], keys[KEY_EC384],
			       rfc_serial, sizeof(rfc_serial), rfc_aki, sizeof(rfc_aki), leaf_names, 3,
			       T_NOT_BEFORE, T_NOT_AFTER };
	return make_cert_pem(&s);
}

static char *make_intermediate(void)
{
	static const uint8_t serial[] = { 0x01, 0x02 };
	struct cert_spec s = { "Test Intermediate", "Test Root X1", keys[KEY_EC384], keys[KEY_ED25519],
			       serial, sizeof(serial), NULL, 0, NULL, 0, T_NOT_BEFORE, T_NOT_AFTER + 86400 * 365 };
	return make_cert_pem(&s);
}

/* a followed by b, malloc'd. */
static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);
	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static void test_cert_info_rfc9773(void **state)
{
	char *leaf = make_leaf();
	char *inter = make_intermediate();
	char *chain = concat(leaf, inter);
	struct cert_info ci;
	char err[128] = "";
	assert_int_equal(cert_info_from_pem(chain, strlen(chain), &ci, err, sizeof(err)), 0);
	assert_int_equal(ci.not_before, T_NOT_BEFORE);
	assert_int_equal(ci.not_after, T_NOT_AFTER);
	assert_int_equal(ci.n_names, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(ci.names[i], leaf_names[i]);
	assert_string_equal(ci.issuer_cn, "Test Intermediate");
	assert_string_equal(ci.ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	assert_string_equal(ci.serial_hex, "87654321");
	cert_info_clear(&ci);
	assert_null(ci.ari_id);
	assert_int_equal(ci.n_names, 0);
	free(chain);
	free(inter);
	free(leaf);
}

/* A serial without the high bit gets no leading zero; no AKI means no ARI id; times past 2049 are GeneralizedTime. */
static void test_cert_info_small_serial_no_aki(void **state)
{
	static const uint8_t serial[] = { 0x0a, 0x02 };
	static const uint8_t aki[] = { 0xff, 0xee };
	struct cert_spec s = { "a.example", "CA", keys[KEY_EC256], keys[KEY_EC256], serial, sizeof(serial),
			       aki, sizeof(aki), NULL, 0, (time_t)2524608000, (time_t)4102444800 };
	char *pem = make_cert_pem(&s);
	struct cert_info ci;
	char err[128];
	assert_int_equal(cert_info_from_pem(pem, strlen(pem), &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.ari_id, "_-4.CgI");
	assert_string_equal(ci.serial_hex, "0A02");
	assert_int_equal(ci.n_names, 0);
	assert_int_equal(ci.not_before, (time_t)2524608000);   /* 2050-01-01 */
	assert_int_equal(ci.not_after, (time_t)4102444800);    /* 2100-01-01 */
	cert_info_clear(&ci);
	free(pem);

	char *inter = make_intermediate();
	assert_int_equal(cert_info_from_pem(inter, strlen(inter), &ci, err, sizeof(err)), 0);
	assert_null(ci.ari_id);
	assert_string_equal(ci.issuer_cn, "Test Root X1");
	cert_info_clear(&ci);
	free(inter);
}

static void test_cert_info_bad_input(void **state)
{
	struct cert_info ci;
	char err[128] = "";
	assert_int_equal(cert_info_from_pem("garbage", 7, &ci, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	static const char broken[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	err[0] = '\0';
	assert_int_equal(cert_info_from_pem(broken, strlen(broken), &ci, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_null(ci.issuer_cn);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_cert_split_chain(void **state)
{
	char *leaf = make_leaf(), *inter = make_intermediate();
	char *chain = concat(leaf, inter);
	char *l = NULL, *r = NULL;
	assert_int_equal(cert_split_chain(chain, strlen(chain), &l, &r), 0);
	assert_string_equal(l, leaf);
	assert_string_equal(r, inter);
	free(l);
	free(r);

	assert_int_equal(cert_split_chain(leaf, strlen(leaf), &l, &r), 0);
	assert_string_equal(l, leaf);
	assert_string_equal(r, "");
	free(l);
	free(r);

	/* Without the final newline, and with blank lines between, the pieces still come out whole. */
	char *sep = concat(leaf, "\n\n");
	char *loose = concat(sep, inter);
	loose[strlen(loose) - 1] = '\0';
	assert_int_equal(cert_split_chain(loose, strlen(loose), &l, &r), 0);
	assert_string_equal(l, leaf);
	assert_string_equal(r, inter);
	free(l);
	free(r);

	assert_int_equal(cert_split_chain("no cert here", 12, &l, &r), -1);
	assert_null(l);
	assert_null(r);
	free(loose);
	free(sep);
	free(chain);
	free(inter);
	free(leaf);
}

static void test_cert_chain_top_issuer(void **state)
{
	char *leaf = make_leaf(), *inter = make_intermediate();
	char *chain = concat(leaf, inter);
	char *cn = cert_chain_top_issuer(chain, strlen(chain));
	assert_string_equal(cn, "Test Root X1");
	free(cn);
	cn = cert_chain_top_issuer(leaf, strlen(leaf));
	assert_string_equal(cn, "Test Intermediate");
	free(cn);
	assert_null(cert_chain_top_issuer("nothing", 7));
	assert_int_equal(ERR_peek_error(), 0);
	free(chain);
	free(inter);
	free(leaf);
}

static void test_cert_leaf_der(void **state)
{
	char *leaf = make_leaf(), *inter = make_intermediate();
	char *chain = concat(leaf, inter);
	size_t len = 0;
	uint8_t *der = cert_leaf_der(chain, strlen(chain), &len);
	assert_non_null(der);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	char cn[64];
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "example.org");
	X509_free(x);
	free(der);
	assert_null(cert_leaf_der("x", 1, &len));
	free(chain);
	free(inter);
	free(leaf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648_vectors),
		cmocka_unit_test(test_b64_url_alphabet_round_trip),
		cmocka_unit_test(test_b64_decode_padding_accepted),
		cmocka_unit_test(test_b64_decode_rejects),
		cmocka_unit_test(test_key_type_names),
		cmocka_unit_test(test_key_generate_and_pem_round_trip),
		cmocka_unit_test(test_key_other_types_refused),
		cmocka_unit_test(test_key_load_file),
		cmocka_unit_test(test_key_load_encrypted_refused),
		cmocka_unit_test(test_jwk_ec),
		cmocka_unit_test(test_jwk_ec_coordinate_padding),
		cmocka_unit_test(test_jwk_rsa),
		cmocka_unit_test(test_jwk_ed25519),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_thumbprint_ec),
		cmocka_unit_test(test_jws_sign_every_key),
		cmocka_unit_test(test_jws_empty_payload_no_nonce),
		cmocka_unit_test(test_jws_eab),
		cmocka_unit_test(test_csr_every_key),
		cmocka_unit_test(test_csr_long_first_name_has_no_cn),
		cmocka_unit_test(test_csr_rejects_bad_names),
		cmocka_unit_test(test_cert_info_rfc9773),
		cmocka_unit_test(test_cert_info_small_serial_no_aki),
		cmocka_unit_test(test_cert_info_bad_input),
		cmocka_unit_test(test_cert_split_chain),
		cmocka_unit_test(test_cert_chain_top_issuer),
		cmocka_unit_test(test_cert_leaf_der),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* Account and certificate keys with OpenSSL 3: generation, PEM in and out, public JWK and RFC 7638 thumbprint. */
#include "key.h"

#include "b64.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A key file larger than this is not a key (an RSA 4096 PKCS#8 PEM is about 3.3 KB). */
#define KEY_FILE_MAX (64 * 1024)

static const char *const key_type_names[] = {
	[KEY_EC256] = "ec256",     [KEY_EC384] = "ec384",     [KEY_RSA2048] = "rsa2048",
	[KEY_RSA3072] = "rsa3072", [KEY_RSA4096] = "rsa4096", [KEY_ED25519] = "ed25519",
};
#define KEY_TYPE_COUNT (sizeof(key_type_names) / sizeof(key_type_names[0]))

int key_type_parse(const char *s, enum key_type *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < KEY_TYPE_COUNT; i++) {
		if (strcmp(s, key_type_names[i]) == 0) {
			*out = (enum key_type)i;
			return 0;
		}
	}
	return -1;
}

const char *key_type_name(enum key_type t)
{
	if ((size_t)t >= KEY_TYPE_COUNT)
		return NULL;
	return key_type_names[t];
}

/* NID_X9_62_prime256v1 or NID_secp384r1 for an EC key on those curves, else NID_undef. */
static int key_ec_curve(EVP_PKEY *key)
{
	char group[64];
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
		return NID_undef;
	int nid = OBJ_txt2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	return nid == NID_X9_62_prime256v1 || nid == NID_secp384r1 ? nid : NID_undef;
}

int key_type_of(EVP_PKEY *key)
{
	if (key == NULL)
		return -1;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		switch (key_ec_curve(key)) {
		case NID_X9_62_prime256v1: return KEY_EC256;
		case NID_secp384r1: return KEY_EC384;
		default: return -1;
		}
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(key)) {
		case 2048: return KEY_RSA2048;
		case 3072: return KEY_RSA3072;
		case 4096: return KEY_RSA4096;
		default: return -1;
		}
	case EVP_PKEY_ED25519:
		return KEY_ED25519;
	default:
		return -1;
	}
}

EVP_PKEY *key_generate(enum key_type t)
{
	switch (t) {
	case KEY_EC256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case KEY_EC384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case KEY_RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case KEY_RSA3072: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	case KEY_RSA4096: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	case KEY_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	return NULL;
}

/* Refuses to prompt on the terminal for an encrypted key: the daemon and the cli run unattended. */
static int key_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

EVP_PKEY *key_from_pem(const char *pem, size_t len)
{
	if (pem == NULL || len > INT_MAX)
		return NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return NULL;
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, key_no_passphrase, NULL);
	BIO_free(bio);
	if (key == NULL)
		ERR_clear_error();
	return key;
}

/* Reads at most KEY_FILE_MAX bytes of path into a malloc'd buffer. Returns it, or NULL with errbuf set. */
static char *key_read_file(const char *path, size_t *len, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(KEY_FILE_MAX + 1);
	if (buf == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	int failed = ferror(f);
	fclose(f);
	if (failed || n > KEY_FILE_MAX) {
		snprintf(errbuf, errlen, "%s: %s", path, failed ? "read error" : "too large for a key file");
		OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Why buf (which did not parse) is not a usable key, for "FILE: reason". */
static const char *key_load_reason(const char *buf, size_t len)
{
	if (memmem(buf, len, "-----BEGIN ", 11) == NULL)
		return "no PEM private key found";
	if (memmem(buf, len, "ENCRYPTED", 9) != NULL)
		return "encrypted private keys are not supported";
	return "not a readable PEM private key";
}

EVP_PKEY *key_load_file(const char *path, char *errbuf, size_t errlen)
{
	size_t len = 0;
	char *buf = key_read_file(path, &len, errbuf, errlen);
	if (buf == NULL)
		return NULL;
	EVP_PKEY *key = key_from_pem(buf, len);
	if (key == NULL)
		snprintf(errbuf, errlen, "%s: %s", path, key_load_reason(buf, len));
	OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
	free(buf);
	return key;
}

char *key_to_pem(EVP_PKEY *key, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return NULL;
	char *out = NULL;
	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") for every key type. */
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
		char *data = NULL;
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
			*len = (size_t)n;
		}
		if (n > 0)
			OPENSSL_cleanse(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

/* Sets obj[name] to the base64url of len bytes. Returns 0 or -1. */
static int jwk_set_b64(json_t *obj, const char *name, const uint8_t *bytes, size_t len)
{
	char *s = b64url_encode(bytes, len);
	if (s == NULL)
		return -1;
	int rc = json_object_set_new(obj, name, json_string(s));
	free(s);
	return rc;
}

/* Sets obj[name] to the base64url of BIGNUM parameter param, left-padded to pad bytes (0: minimal length). */
static int jwk_set_bn(json_t *obj, const char *name, EVP_PKEY *key, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(key, param, &bn))
		return -1;
	int rc = -1, n = BN_num_bytes(bn);
	int size = pad > 0 ? pad : n;
	uint8_t *buf = n <= size && size > 0 ? malloc((size_t)size) : NULL;
	if (buf != NULL && BN_bn2binpad(bn, buf, size) == size)
		rc = jwk_set_b64(obj, name, buf, (size_t)size);
	free(buf);
	BN_free(bn);
	return rc;
}

/* RFC 7518 section 6.2: x and y are the full field size, leading zeros kept. */
static int jwk_fill_ec(json_t *obj, EVP_PKEY *key)
{
	int nid = key_ec_curve(key);
	if (nid == NID_undef)
		return -1;
	int p384 = nid == NID_secp384r1;
	if (json_object_set_new(obj, "crv", json_string(p384 ? "P-384" : "P-256")) ||
	    json_object_set_new(obj, "kty", json_string("EC")) ||
	    jwk_set_bn(obj, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, p384 ? 48 : 32) ||
	    jwk_set_bn(obj, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, p384 ? 48 : 32))
		return -1;
	return 0;
}

/* RFC 7518 section 6.3.1: n and e big-endian, no leading zero octets. */
static int jwk_fill_rsa(json_t *obj, EVP_PKEY *key)
{
	if (jwk_set_bn(obj, "e", key, OSSL_PKEY_PARAM_RSA_E, 0) ||
	    json_object_set_new(obj, "kty", json_string("RSA")) ||
	    jwk_set_bn(obj, "n", key, OSSL_PKEY_PARAM_RSA_N, 0))
		return -1;
	return 0;
}

/* RFC 8037 section 2: the raw 32-byte Ed25519 public key. */
static int jwk_fill_okp(json_t *obj, EVP_PKEY *key)
{
	uint8_t pub[32];
	size_t publen = sizeof(pub);
	if (!EVP_PKEY_get_raw_public_key(key, pub, &publen) || publen != sizeof(pub))
		return -1;
	if (json_object_set_new(obj, "crv", json_string("Ed25519")) ||
	    json_object_set_new(obj, "kty", json_string("OKP")))
		return -1;
	return jwk_set_b64(obj, "x", pub, publen);
}

static int jwk_fill(json_t *obj, EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC: return jwk_fill_ec(obj, key);
	case EVP_PKEY_RSA: return jwk_fill_rsa(obj, key);
	case EVP_PKEY_ED25519: return jwk_fill_okp(obj, key);
	default: return -1;
	}
}

json_t *key_jwk(EVP_PKEY *key)
{
	if (key == NULL)
		return NULL;
	json_t *obj = json_object();
	if (obj != NULL && jwk_fill(obj, key) != 0) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

char *key_thumbprint(EVP_PKEY *key)
{
	json_t *jwk = key_jwk(key);
	if (jwk == NULL)
		return NULL;
	/* key_jwk holds only the required members, so sorted compact JSON is the RFC 7638 form. */
	char *canonical = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(jwk);
	if (canonical == NULL)
		return NULL;
	uint8_t md[32];
	unsigned int mdlen = 0;
	char *out = NULL;
	if (EVP_Digest(canonical, strlen(canonical), md, &mdlen, EVP_sha256(), NULL) == 1)
		out = b64url_encode(md, mdlen);
	free(canonical);
	return out;
}

const char *key_jws_alg(EVP_PKEY *key)
{
	if (key == NULL)
		return NULL;
	switch (key_type_of(key)) {
	case KEY_EC256: return "ES256";
	case KEY_EC384: return "ES384";
	case KEY_RSA2048:
	case KEY_RSA3072:
	case KEY_RSA4096: return "RS256";
	case KEY_ED25519: return "EdDSA";
	}
	/* An existing RSA account key of another size still signs; RFC 7518 only asks for 2048 bits or more. */
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048)
		return "RS256";
	return NULL;
}

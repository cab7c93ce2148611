/* Flattened JWS for ACME requests (RFC 7515, 7518, 8037, RFC 8555 section 6.2) and the EAB binding (7.3.4). */
#include "jws.h"

#include "b64.h"
#include "key.h"

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

/* base64url of the compact JSON of obj, malloc'd, or NULL. */
static char *jws_b64_json(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	if (s == NULL)
		return NULL;
	char *out = b64url_encode(s, strlen(s));
	free(s);
	return out;
}

/* The JWS signing input "protected.payload", malloc'd, with its length in *len. */
static char *jws_signing_input(const char *prot, const char *payload, size_t *len)
{
	size_t a = strlen(prot), b = strlen(payload);
	char *s = malloc(a + b + 2);
	if (s == NULL)
		return NULL;
	memcpy(s, prot, a);
	s[a] = '.';
	memcpy(s + a + 1, payload, b + 1);
	*len = a + 1 + b;
	return s;
}

/* {"protected","payload","signature"} with the signature bytes base64url-encoded, or NULL. */
static json_t *jws_flatten(const char *prot, const char *payload, const uint8_t *sig, size_t siglen)
{
	char *sig64 = b64url_encode(sig, siglen);
	json_t *jws = sig64 != NULL ? json_object() : NULL;
	if (jws != NULL && (json_object_set_new(jws, "protected", json_string(prot)) ||
			    json_object_set_new(jws, "payload", json_string(payload)) ||
			    json_object_set_new(jws, "signature", json_string(sig64)))) {
		json_decref(jws);
		jws = NULL;
	}
	free(sig64);
	return jws;
}

/* RFC 7518 section 3.4: the DER ECDSA-Sig-Value becomes r||s, each left-padded to size bytes. */
static int jws_ecdsa_raw(const uint8_t *der, size_t derlen, uint8_t *out, int size)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (sig == NULL)
		return -1;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(sig, &r, &s);
	int ok = BN_bn2binpad(r, out, size) == size && BN_bn2binpad(s, out + size, size) == size;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

/* Signs data with key as alg requires. Returns the malloc'd JWS signature with its length, or NULL. */
static uint8_t *jws_signature(EVP_PKEY *key, const char *alg, const char *data, size_t len, size_t *siglen)
{
	int ec_size = strcmp(alg, "ES256") == 0 ? 32 : strcmp(alg, "ES384") == 0 ? 48 : 0;
	const EVP_MD *md = ec_size == 48 ? EVP_sha384() : strcmp(alg, "EdDSA") == 0 ? NULL : EVP_sha256();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *der = NULL, *out = NULL;
	size_t derlen = 0;
	/* One-shot EVP_DigestSign: Ed25519 (pure, no digest) only supports that form. */
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &derlen, (const unsigned char *)data, len) != 1 ||
	    (der = malloc(derlen)) == NULL ||
	    EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)data, len) != 1)
		goto done;
	if (ec_size == 0) {
		out = der;
		der = NULL;
		*siglen = derlen;
	} else if ((out = malloc(2 * (size_t)ec_size)) != NULL) {
		if (jws_ecdsa_raw(der, derlen, out, ec_size) == 0) {
			*siglen = 2 * (size_t)ec_size;
		} else {
			free(out);
			out = NULL;
		}
	}
done:
	free(der);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* The protected header: alg, nonce unless NULL, url, then kid or the key's jwk. */
static json_t *jws_header(EVP_PKEY *key, const char *alg, const char *kid, const char *nonce, const char *url)
{
	json_t *h = json_object();
	if (h == NULL)
		return NULL;
	int err = json_object_set_new(h, "alg", json_string(alg));
	if (nonce != NULL)
		err |= json_object_set_new(h, "nonce", json_string(nonce));
	err |= json_object_set_new(h, "url", json_string(url));
	if (kid != NULL)
		err |= json_object_set_new(h, "kid", json_string(kid));
	else
		err |= json_object_set_new(h, "jwk", key_jwk(key));
	if (err) {
		json_decref(h);
		return NULL;
	}
	return h;
}

json_t *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload)
{
	const char *alg = key_jws_alg(key);
	if (alg == NULL || url == NULL)
		return NULL;
	json_t *header = jws_header(key, alg, kid, nonce, url);
	char *prot = header != NULL ? jws_b64_json(header) : NULL;
	const char *body = payload != NULL ? payload : "";
	char *payload64 = prot != NULL ? b64url_encode(body, strlen(body)) : NULL;
	char *input = NULL;
	uint8_t *sig = NULL;
	size_t inputlen = 0, siglen = 0;
	json_t *jws = NULL;
	if (payload64 != NULL && (input = jws_signing_input(prot, payload64, &inputlen)) != NULL &&
	    (sig = jws_signature(key, alg, input, inputlen, &siglen)) != NULL)
		jws = jws_flatten(prot, payload64, sig, siglen);
	json_decref(header);
	free(prot);
	free(payload64);
	free(input);
	free(sig);
	return jws;
}

/* HMAC-SHA256 of data under key into mac[32]. Returns 0 or -1. */
static int jws_hs256(const uint8_t *key, size_t keylen, const char *data, size_t len, uint8_t mac[32])
{
	size_t maclen = 0;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, (const unsigned char *)data, len, mac, 32,
		      &maclen) == NULL || maclen != 32)
		return -1;
	return 0;
}

json_t *jws_eab(const char *eab_kid, const uint8_t *hmac_key, size_t key_len, const char *url, json_t *account_jwk)
{
	if (eab_kid == NULL || hmac_key == NULL || key_len == 0 || url == NULL || account_jwk == NULL)
		return NULL;
	json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	char *prot = header != NULL ? jws_b64_json(header) : NULL;
	char *payload64 = prot != NULL ? jws_b64_json(account_jwk) : NULL;
	char *input = NULL;
	size_t inputlen = 0;
	uint8_t mac[32];
	json_t *jws = NULL;
	if (payload64 != NULL && (input = jws_signing_input(prot, payload64, &inputlen)) != NULL &&
	    jws_hs256(hmac_key, key_len, input, inputlen, mac) == 0)
		jws = jws_flatten(prot, payload64, mac, sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
	json_decref(header);
	free(prot);
	free(payload64);
	free(input);
	return jws;
}

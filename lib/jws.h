/* JSON Web Signatures in the flattened JSON form ACME requires (RFC 7515, RFC 8555 section 6.2). */
#ifndef ADNS_JWS_H
#define ADNS_JWS_H

#include <jansson.h>
#include <openssl/evp.h>

#include <stddef.h>
#include <stdint.h>

/* Signs payload with key. The protected header holds alg, url, nonce (omitted when NULL, as in the inner JWS of a
 * key rollover) and kid when kid is non-NULL, else the key's jwk. payload NULL signs the empty string
 * (POST-as-GET). ES256/ES384 signatures are the raw r||s of RFC 7518. Returns {"protected","payload",
 * "signature"} (json_decref) or NULL. */
json_t *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload);
/* The externalAccountBinding object of RFC 8555 section 7.3.4: an HS256 JWS over the account's public JWK,
 * protected header {alg: HS256, kid: eab_kid, url}. Returns a new reference or NULL. */
json_t *jws_eab(const char *eab_kid, const uint8_t *hmac_key, size_t key_len, const char *url, json_t *account_jwk);

#endif

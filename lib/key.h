/* Private keys for accounts and certificates: generation, PEM files, JWK and thumbprint (RFC 7517, 7638). */
#ifndef ADNS_KEY_H
#define ADNS_KEY_H

#include <jansson.h>
#include <openssl/evp.h>

#include <stddef.h>

enum key_type { KEY_EC256 = 0, KEY_EC384, KEY_RSA2048, KEY_RSA3072, KEY_RSA4096, KEY_ED25519 };

/* Parses "ec256", "ec384", "rsa2048", "rsa3072", "rsa4096", "ed25519". Returns 0 or -1. */
int key_type_parse(const char *s, enum key_type *out);
/* The name key_type_parse takes. */
const char *key_type_name(enum key_type t);
/* The type of an existing key, or -1 for one we do not use. */
int key_type_of(EVP_PKEY *key);
/* Generates a new key. Returns it (EVP_PKEY_free) or NULL. */
EVP_PKEY *key_generate(enum key_type t);
/* Reads a PEM private key (PKCS#8 or traditional). Returns NULL with errbuf set ("FILE: reason"). */
EVP_PKEY *key_load_file(const char *path, char *errbuf, size_t errlen);
/* Parses a PEM private key from memory. Returns NULL on bad input. */
EVP_PKEY *key_from_pem(const char *pem, size_t len);
/* The private key as PKCS#8 PEM: malloc'd, NUL-terminated, length in *len; the caller wipes
 * (OPENSSL_cleanse) and frees it. NULL on failure. */
char *key_to_pem(EVP_PKEY *key, size_t *len);
/* The public JWK: {"crv","kty","x","y"} for EC, {"e","kty","n"} for RSA, {"crv","kty","x"} for Ed25519.
 * New reference (json_decref), or NULL. */
json_t *key_jwk(EVP_PKEY *key);
/* base64url SHA-256 of the canonical JWK (RFC 7638). malloc'd; NULL on failure. */
char *key_thumbprint(EVP_PKEY *key);
/* The JWS "alg" for the key: "ES256", "ES384", "RS256" or "EdDSA"; NULL for other keys. */
const char *key_jws_alg(EVP_PKEY *key);

#endif

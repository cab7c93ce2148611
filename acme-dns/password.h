/* Account credentials: random usernames, keys and subdomains; bcrypt hashing with constant-cost checks. */
#ifndef ADNS_PASSWORD_H
#define ADNS_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_KEY_LEN 40   /* as acme-dns: 40 characters of [A-Za-z0-9_-] */

/* Writes a random UUID v4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") into out (>= 37 bytes). Returns 0 or -1. */
int password_uuid(char *out, size_t outlen);
/* Writes a random 40-character key into out (>= 41 bytes). Returns 0 or -1. */
int password_new_key(char *out, size_t outlen);
/* Hashes key with bcrypt ($2b$, cost 10) into out (>= 64 bytes). Returns 0 or -1. */
int password_hash(const char *key, char *out, size_t outlen);
/* True when key matches the bcrypt hash ($2a$/$2b$/$2y$). hash NULL (unknown user) still spends one bcrypt
 * so the time does not tell whether the user exists. Compares in constant time. */
bool password_verify(const char *key, const char *hash);

#endif

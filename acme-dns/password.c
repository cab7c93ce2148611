/* Account credentials: random UUIDs and keys from OpenSSL, bcrypt through libxcrypt's reentrant calls. */
#include "password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BCRYPT_LEN        60   /* "$2b$10$" + 22 salt + 31 hash characters */
#define BCRYPT_COST       10   /* as acme-dns */
#define BCRYPT_COST_MAX   12   /* a stored hash asking for more is refused rather than allowed to stall a worker */
#define BCRYPT_SALT_BYTES 16

/* A valid cost-10 hash of a throwaway phrase: verifying against it costs what a real check costs. */
static const char dummy_hash[] = "$2b$10$tz8VlXGSzTnULAKBUgUhhOla3T1JjGqF2cZjAdSgfvWh4rF0c9Jna";

static const char key_alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

int password_uuid(char *out, size_t outlen)
{
	unsigned char b[16];
	if (!out || outlen < 37 || RAND_bytes(b, sizeof(b)) != 1) {
		log_error("password: cannot make a UUID (no randomness or short buffer)");
		return -1;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	int n = snprintf(out, outlen, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
			 b[14], b[15]);
	OPENSSL_cleanse(b, sizeof(b));
	return n == 36 ? 0 : -1;
}

int password_new_key(char *out, size_t outlen)
{
	unsigned char b[PASSWORD_KEY_LEN];
	if (!out || outlen < PASSWORD_KEY_LEN + 1 || RAND_bytes(b, sizeof(b)) != 1) {
		log_error("password: cannot make a key (no randomness or short buffer)");
		return -1;
	}
	/* 64 symbols, so the low six bits of each byte pick one without bias. */
	for (size_t i = 0; i < PASSWORD_KEY_LEN; i++)
		out[i] = key_alphabet[b[i] & 0x3f];
	out[PASSWORD_KEY_LEN] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

/* crypt_data is 32 KiB: too much for a worker thread's stack, so it lives on the heap. */
static struct crypt_data *crypt_data_new(void)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (!cd)
		log_error("password: out of memory");
	return cd;
}

static void crypt_data_free(struct crypt_data *cd)
{
	if (!cd)
		return;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
}

int password_hash(const char *key, char *out, size_t outlen)
{
	unsigned char salt[BCRYPT_SALT_BYTES];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	if (!key || !out || outlen < 64 || RAND_bytes(salt, sizeof(salt)) != 1) {
		log_error("password: cannot hash (no randomness or short buffer)");
		return -1;
	}
	const char *s = crypt_gensalt_rn("$2b$", BCRYPT_COST, (const char *)salt, sizeof(salt), setting,
					 sizeof(setting));
	OPENSSL_cleanse(salt, sizeof(salt));
	struct crypt_data *cd = s ? crypt_data_new() : NULL;
	const char *h = cd ? crypt_rn(key, setting, cd, (int)sizeof(*cd)) : NULL;
	int rc = -1;
	if (h && strlen(h) == BCRYPT_LEN && strncmp(h, "$2b$", 4) == 0) {
		memcpy(out, h, BCRYPT_LEN + 1);
		rc = 0;
	} else {
		log_error("password: bcrypt failed");
	}
	crypt_data_free(cd);
	OPENSSL_cleanse(setting, sizeof(setting));
	return rc;
}

static int is_bcrypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

/* True for "$2a$", "$2b$" or "$2y$", a two-digit cost 04..BCRYPT_COST_MAX, "$", then 53 bcrypt characters. */
static bool bcrypt_hash_wellformed(const char *h)
{
	if (strlen(h) != BCRYPT_LEN || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$')
		return false;
	if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y')
		return false;
	if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return false;
	int cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > BCRYPT_COST_MAX)
		return false;
	for (size_t i = 7; i < BCRYPT_LEN; i++)
		if (!is_bcrypt_char(h[i]))
			return false;
	return true;
}

bool password_verify(const char *key, const char *hash)
{
	bool real = hash && key && bcrypt_hash_wellformed(hash);
	const char *setting = real ? hash : dummy_hash;
	struct crypt_data *cd = crypt_data_new();
	if (!cd)
		return false;
	/* The unknown-user path spends the same bcrypt so the answer time does not reveal the account. */
	const char *h = crypt_rn(key ? key : "", setting, cd, (int)sizeof(*cd));
	bool ok = false;
	if (real && h && strlen(h) == strlen(hash))
		ok = CRYPTO_memcmp(h, hash, strlen(hash)) == 0;
	crypt_data_free(cd);
	return ok;
}

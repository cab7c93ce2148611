/* Shared inside lib/acme only: the client struct and the signed-request helpers the protocol files use. */
#ifndef ADNS_ACME_INT_H
#define ADNS_ACME_INT_H

#include "acme.h"

struct acme {
	char *directory_url;
	struct http_client *http;
	int timeout_s;
	void (*progress)(void *ctx, const char *stage, int elapsed_s, int limit_s);
	void *progress_ctx;
	volatile sig_atomic_t *cancel;
	json_t *directory;
	char *nonce;                    /* the freshest Replay-Nonce, used once */
	EVP_PKEY *key;                  /* account key (borrowed) */
	char *kid;                      /* account URL */
};

/* A directory URL ("newOrder", "renewalInfo", ...) or NULL. */
const char *acme_dir_url(const struct acme *a, const char *name);
/* Sets e and returns -1. */
int acme_fail(struct acme_error *e, enum acme_err kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Signed POST: payload NULL = POST-as-GET. jwk_key non-NULL signs with that key and its jwk (newAccount,
 * revocation by certificate key); else the account key with kid. A badNonce answer is retried once with the
 * fresh nonce. An error status becomes e (the problem document read). Returns 0 with resp filled, or -1. */
int acme_post(struct acme *a, const char *url, const char *payload, EVP_PKEY *jwk_key, const char *accept,
	      struct http_response *resp, struct acme_error *e);
/* Parses resp's body as a JSON object. Returns a new reference or NULL with e set. */
json_t *acme_json_body(const struct http_response *resp, const char *what, struct acme_error *e);
/* POST-as-GET url until its "status" is none of the given waiting states (NULL-terminated list), honouring
 * Retry-After with a bounded backoff, within a->timeout_s. Returns the last object or NULL with e set. */
json_t *acme_poll(struct acme *a, const char *url, const char *stage, const char *const *waiting,
		  struct acme_error *e);
/* True once the caller asked to stop; sets e then. */
bool acme_cancelled(const struct acme *a, struct acme_error *e);
/* Reads an RFC 3339 time. Returns 0 or -1. */
int acme_parse_time(const char *s, time_t *out);

#endif

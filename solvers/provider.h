/* What every adapter of an HTTP DNS API shares: one call with bounded retries of 429 and 5xx answers after their
 * Retry-After, a clear "credentials refused by PROVIDER" for 401/403, the provider's error text quoted without
 * ever quoting a secret, and waits that a cancelled run does not sit through. */
#ifndef ADNS_SOLVER_PROVIDER_H
#define ADNS_SOLVER_PROVIDER_H

#include "http.h"
#include "solver.h"

#include <stdbool.h>
#include <stddef.h>

#define PROVIDER_SECRETS 4

struct provider {
	const char *name;               /* for people: "PowerDNS", "Cloudflare" */
	const char *tag;                /* message prefix: "pdns", "cloudflare" */
	const char *credentials;        /* what 401/403 refuses: "X-API-Key", "API token" */
	struct http_client *http;       /* borrowed */
	const struct solver *solver;    /* for its cancel flag (read at each wait); may be NULL */
	const char *secrets[PROVIDER_SECRETS]; /* texts never quoted in an error (keys, tokens); NULL ends */
	int retries;                    /* after 429/5xx; 0 = 3 */
	int retry_wait_max_s;           /* a longer Retry-After is cut to this; 0 = 10 */
};

/* One request (see http_request); a 429, 500, 502, 503 or 504 answer is tried again after its Retry-After (else
 * 1, 2, 4 s), at most p->retries times. Returns 0 with *r filled (any status; free with http_response_clear), or
 * -1 with errbuf set: transport error, or interrupted while waiting to try again. */
int provider_call(const struct provider *p, const char *method, const char *url, const char *content_type,
		  const char *body, const char *const *headers, struct http_response *r, char *errbuf, size_t errlen);
/* The provider's own words in an error answer: a JSON "message", "error" (text or {"message"}), "errors"[0]
 * "message" or an XML <Message>, else the start of the body; printable, at most 200 bytes, withheld when it holds
 * a secret. */
void provider_error_text(const struct provider *p, const struct http_response *r, char *out, size_t outlen);
/* The error for an answer that is not what was asked for; what names the request ("PATCH zone example.com."):
 * "TAG: credentials refused by NAME (CREDENTIALS): HTTP 403" for 401/403, else "TAG: WHAT: HTTP N: TEXT". */
void provider_fail(const struct provider *p, const struct http_response *r, const char *what, char *errbuf,
		   size_t errlen);
/* Waits seconds between two polls of a provider's change status, in small steps: returns 0, or -1 as soon as the
 * run is cancelled. */
int provider_pause(const struct provider *p, long seconds);

/* A DNS name in the form the provider APIs take, into out: lower case, with the final dot when final_dot (else
 * without). Only letters, digits, '-', '_' and dots between non-empty labels pass, at most 253 bytes: the name goes
 * into URL paths, query strings and XML unescaped. Returns 0, or -1 for anything else or when out is too small. */
int provider_name(const char *in, char *out, size_t outlen, bool final_dot);

#endif

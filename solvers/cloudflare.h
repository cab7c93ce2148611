/* The Cloudflare adapter (API v4): one TXT record per challenge value in the zone that holds the name, deleted
 * again by the id Cloudflare answered; lego's variables (CLOUDFLARE_DNS_API_TOKEN, ...). */
#ifndef ADNS_SOLVER_CLOUDFLARE_H
#define ADNS_SOLVER_CLOUDFLARE_H

#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define CLOUDFLARE_BASE_URL "https://api.cloudflare.com/client/v4"

struct cloudflare_options {
	const char *dns_api_token;      /* CLOUDFLARE_DNS_API_TOKEN (or CF_DNS_API_TOKEN): Zone.DNS edit */
	const char *zone_api_token;     /* CLOUDFLARE_ZONE_API_TOKEN: Zone read, for the zone lookups; NULL = the DNS token */
	const char *email;              /* CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY: the account's global key; when both */
	const char *api_key;            /* are given they are used, as lego does, else the token */
	const char *base_url;           /* NULL = CLOUDFLARE_BASE_URL */
	uint32_t ttl;                   /* 0 = 120; else 60..86400 */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter (no request is sent yet); the secrets are copied and wiped when it is freed. Returns NULL with
 * errbuf set; errbuf never holds a secret. */
struct solver *solver_cloudflare_new(const struct cloudflare_options *o, char *errbuf, size_t errlen);

/* The body of POST /zones/ID/dns_records for one TXT value (name without the final dot). malloc'd; NULL when out of
 * memory. */
char *cloudflare_record_body(const char *name, const char *value, uint32_t ttl);
/* The zone to use among the zones named name that GET /zones?name= listed (zones: the "result" entries of every
 * page): the one whose status is "active" (an account can hold the same name as a pending zone, whose records
 * nobody serves). Returns 1 with its id written, 0 when there is none (why says when one was not active), -1 when
 * two are active (why says so). */
int cloudflare_zone_pick(const json_t *zones, const char *name, char *id, size_t idlen, char *why, size_t whylen);
/* Whether an error answer's "errors" hold code (anywhere, error_chain included). */
bool cloudflare_has_code(const json_t *doc, long code);
/* Whether an error answer says the credentials were refused: bad or missing headers (6003, 61xx), unknown key
 * (9103), invalid or expired token (9106, 9107, 9109), or an authentication error (10000, 10001). Cloudflare sends
 * some of these with HTTP 400. */
bool cloudflare_auth_refused(const json_t *doc);

#endif

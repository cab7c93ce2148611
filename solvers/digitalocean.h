/* The DigitalOcean adapter (API v2): its domains are the zones; one TXT record per challenge value, deleted again
 * by the id DigitalOcean answered; lego's variables (DO_AUTH_TOKEN, DO_TTL). */
#ifndef ADNS_SOLVER_DIGITALOCEAN_H
#define ADNS_SOLVER_DIGITALOCEAN_H

#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <stdint.h>

#define DIGITALOCEAN_BASE_URL "https://api.digitalocean.com/v2"

struct digitalocean_options {
	const char *auth_token;         /* DO_AUTH_TOKEN: a personal access token with write scope */
	const char *base_url;           /* NULL = DIGITALOCEAN_BASE_URL */
	uint32_t ttl;                   /* 0 = 30 (lego's); at least 30 */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter (no request is sent yet); the token is copied and wiped when it is freed. Returns NULL with
 * errbuf set; errbuf never holds the token. */
struct solver *solver_digitalocean_new(const struct digitalocean_options *o, char *errbuf, size_t errlen);

/* The body of POST /domains/ZONE/records: a TXT record at relname (relative to the domain, "@" for its apex).
 * malloc'd; NULL when out of memory. */
char *digitalocean_record_body(const char *relname, const char *value, uint32_t ttl);
/* The page after this one of a listing: the page= of its links.pages.next, or 0 when there is none. */
long digitalocean_next_page(const json_t *doc);

#endif

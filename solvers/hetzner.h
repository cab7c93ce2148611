/* The Hetzner DNS adapter (dns.hetzner.com, API v1): one TXT record per challenge value in the zone that holds the
 * name, deleted again by the id Hetzner answered; lego's variables (HETZNER_API_KEY, HETZNER_TTL). */
#ifndef ADNS_SOLVER_HETZNER_H
#define ADNS_SOLVER_HETZNER_H

#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <stdint.h>

#define HETZNER_BASE_URL "https://dns.hetzner.com/api/v1"

struct hetzner_options {
	const char *api_key;            /* HETZNER_API_KEY: the DNS Console's API token, sent as Auth-API-Token */
	const char *base_url;           /* NULL = HETZNER_BASE_URL */
	uint32_t ttl;                   /* 0 = 60 (lego's); at least 60 */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter (no request is sent yet); the key is copied and wiped when it is freed. Returns NULL with
 * errbuf set; errbuf never holds the key. */
struct solver *solver_hetzner_new(const struct hetzner_options *o, char *errbuf, size_t errlen);

/* The body of POST /records: a TXT record at relname (relative to the zone, "@" for its apex) in zone zone_id.
 * malloc'd; NULL when out of memory. */
char *hetzner_record_body(const char *zone_id, const char *relname, const char *value, uint32_t ttl);
/* The last page of a listing, from its meta.pagination.last_page; 1 when it says none. */
long hetzner_last_page(const json_t *doc);

#endif

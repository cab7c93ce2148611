/* The PowerDNS Authoritative adapter: challenge values are merged into the TXT RRset of the zone that holds the
 * name, through the server's HTTP API (/api/v1), and only our values are taken out again. */
#ifndef ADNS_SOLVER_PDNS_H
#define ADNS_SOLVER_PDNS_H

#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct pdns_options {
	const char *api_url;            /* PDNS_API_URL, e.g. "http://127.0.0.1:8081" ("/api/v1" is added) */
	const char *api_key;            /* PDNS_API_KEY, sent as X-API-Key; copied, and wiped when the adapter is freed */
	const char *server_id;          /* PDNS_SERVER_NAME; NULL or "" = "localhost" */
	struct http_client *http;       /* borrowed */
	uint32_t ttl;                   /* TTL of an RRset we create; 0 = 60. An existing RRset keeps its own */
};

/* Creates the adapter (no request is sent yet). Returns NULL with errbuf set; errbuf never holds the key. */
struct solver *solver_pdns_new(const struct pdns_options *o, char *errbuf, size_t errlen);

/* Writes the TXT content PowerDNS expects for value into out: one quoted string, '"' and '\' escaped.
 * Returns 0, or -1 when value is empty, longer than 255 bytes, holds a non-printable byte or does not fit. */
int pdns_txt_quote(const char *value, char *out, size_t outlen);

/* The records of a TXT RRset (the API's "records" array, or NULL for none) after adding (add) or taking out our
 * values. Records that are not ours stay as they are, disabled ones included; a value already there is not added
 * twice; taking out removes only enabled records whose content is exactly the quoted value. Returns 0 with *out
 * set (a new array: json_decref) and *changed, or -1 with errbuf set: a value cannot be quoted, one of ours is
 * there but disabled (someone's record: neither enabled nor added again), or out of memory. */
int pdns_txt_merge(const json_t *records, const char *const *values, size_t n, bool add, json_t **out,
		   bool *changed, char *errbuf, size_t errlen);

#endif

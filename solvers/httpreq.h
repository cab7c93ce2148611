/* The httpreq adapter: lego's "HTTP request" provider's convention, for an endpoint of the user's own. Each value
 * is one POST of {"fqdn": "_acme-challenge.example.com.", "value": "..."} to ENDPOINT/present, and again to
 * ENDPOINT/cleanup; optional HTTP basic authentication; any 2xx answer is success. lego's variables
 * (HTTPREQ_ENDPOINT, HTTPREQ_USERNAME, HTTPREQ_PASSWORD). */
#ifndef ADNS_SOLVER_HTTPREQ_H
#define ADNS_SOLVER_HTTPREQ_H

#include "http.h"
#include "solver.h"

struct httpreq_options {
	const char *endpoint;           /* HTTPREQ_ENDPOINT, e.g. "https://dns-hook.example.com/acme" */
	const char *username;           /* HTTPREQ_USERNAME and HTTPREQ_PASSWORD: basic authentication, both or none */
	const char *password;
	const char *mode;               /* HTTPREQ_MODE: NULL, "" or "default"; lego's "RAW" cannot be (see README) */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter (no request is sent yet); the password is copied and wiped when it is freed. Returns NULL
 * with errbuf set; errbuf never holds the password. */
struct solver *solver_httpreq_new(const struct httpreq_options *o, char *errbuf, size_t errlen);

/* The body of a present or cleanup POST: {"fqdn": fqdn with its final dot, "value": value}. malloc'd; NULL when
 * out of memory. */
char *httpreq_body(const char *fqdn, const char *value);
/* "Authorization: Basic base64(user:password)" in a new string (wipe and free it), or NULL when out of memory. */
char *httpreq_basic_auth(const char *user, const char *password);

#endif

/* The Google Cloud DNS adapter: a service account's RS256-signed JWT is exchanged for an access token (kept until
 * it expires); challenge values are merged into the TXT rrset of the managed zone that holds the name, one change
 * per zone carrying each old set whole in deletions and each new one in additions, and it waits until the change
 * is done. Only our values are taken out again. */
#ifndef ADNS_SOLVER_GCLOUD_H
#define ADNS_SOLVER_GCLOUD_H

#include "http.h"
#include "solver.h"
#include "txtset.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define GCLOUD_BASE_URL "https://dns.googleapis.com/dns/v1"
#define GCLOUD_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCLOUD_SCOPE "https://www.googleapis.com/auth/ndev.clouddns.readwrite"

struct gcloud_options {
	const char *service_account_file;       /* GCE_SERVICE_ACCOUNT_FILE: the service account's JSON key */
	const char *project;                    /* GCE_PROJECT; NULL = the file's project_id */
	const char *zone_id;                    /* GCE_ZONE_ID: the managed zone's name, no lookup */
	bool allow_private_zone;                /* GCE_ALLOW_PRIVATE_ZONE: private zones are candidates too */
	const char *base_url;                   /* NULL = GCLOUD_BASE_URL */
	uint32_t ttl;                           /* TTL of an rrset we create; 0 = 60. An existing one keeps its own */
	int sync_timeout_s;                     /* how long to wait for "done" after present; 0 = 300 */
	struct http_client *http;               /* borrowed */
};

/* Creates the adapter: reads the key file and loads its private key (no request is sent yet). Returns NULL with
 * errbuf set; errbuf never holds the key. */
struct solver *solver_gcloud_new(const struct gcloud_options *o, char *errbuf, size_t errlen);

struct gcloud_account {
	char *client_email;
	char *private_key;              /* PEM; wiped by gcloud_account_clear */
	char *private_key_id;           /* may be NULL */
	char *token_uri;                /* GCLOUD_TOKEN_URI when the file has none */
	char *project_id;               /* may be NULL */
};

/* The fields of a service account key file (JSON, "type": "service_account"). Returns 0, or -1 with errbuf set
 * (never quoting the key). */
int gcloud_account_parse(const char *json, size_t len, struct gcloud_account *a, char *errbuf, size_t errlen);
/* Wipes and frees what a holds, and zeroes it. */
void gcloud_account_clear(struct gcloud_account *a);
/* The JWT assertion for the token endpoint: header {"alg":"RS256","typ":"JWT"[,"kid"]}, claims {"iss": client
 * email, "scope": GCLOUD_SCOPE, "aud": token_uri, "iat": now, "exp": now + 3600}, signed RS256 with key (an RSA
 * key). malloc'd, or NULL. */
char *gcloud_jwt(const struct gcloud_account *a, EVP_PKEY *key, time_t now);
/* The changes body: {"additions": [each new set whole], "deletions": [each old set exactly as read]}; Cloud DNS
 * refuses the change (412) when a deletion no longer matches, so a set someone changed since our read is never
 * overwritten. A new reference, or NULL. */
json_t *gcloud_change_body(const struct txtset_change *c, size_t n);
/* The TXT rrset at name in an rrsets list answer ({"rrsets": [...]}). Returns 1 with *values (a new array of the
 * rrdatas) and *ttl, 0 when there is none, -1 with errbuf set (not such an answer, or the set has a routing
 * policy, which we do not touch). */
int gcloud_rrset_parse(const json_t *doc, const char *name, json_t **values, uint32_t *ttl, char *errbuf,
		       size_t errlen);
/* Of the managed zones whose dnsName is dns_name (zone objects as the API lists them), the one to write to: the
 * public one; with allow_private, the only one of either kind. Returns its "name" (inside zones), or NULL with
 * errbuf set: none that may be used (naming GCE_ALLOW_PRIVATE_ZONE when a private one exists), or several (naming
 * them and GCE_ZONE_ID). */
const char *gcloud_zone_pick(const json_t *zones, const char *dns_name, bool allow_private, char *errbuf,
			     size_t errlen);

#endif

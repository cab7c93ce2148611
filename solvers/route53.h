/* The Amazon Route 53 adapter: challenge values are merged into the TXT record set of the hosted zone that holds
 * the name (REST API 2013-04-01, requests signed with AWS Signature Version 4), one change batch per zone, and it
 * waits until Route 53 reports the change INSYNC. Only our values are taken out again. */
#ifndef ADNS_SOLVER_ROUTE53_H
#define ADNS_SOLVER_ROUTE53_H

#include "http.h"
#include "solver.h"
#include "txtset.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define ROUTE53_ENDPOINT "https://route53.amazonaws.com"
#define ROUTE53_ZONE_ID_MAX 64

struct route53_options {
	const char *access_key_id;      /* AWS_ACCESS_KEY_ID; with secret_access_key, else the shared file is read */
	const char *secret_access_key;  /* AWS_SECRET_ACCESS_KEY; copied, wiped when the adapter is freed */
	const char *session_token;      /* AWS_SESSION_TOKEN (temporary credentials), or NULL */
	const char *credentials_file;   /* AWS_SHARED_CREDENTIALS_FILE; NULL = HOME/.aws/credentials */
	const char *home;               /* for the default credentials file; may be NULL */
	const char *profile;            /* AWS_PROFILE: the file's section; NULL or "" = "default" */
	const char *hosted_zone_id;     /* AWS_HOSTED_ZONE_ID: use this zone, no lookup ("Z..." or "/hostedzone/Z...") */
	bool private_zone;              /* AWS_PRIVATE_ZONE: choose the private twin of a name, not the public one */
	const char *endpoint;           /* AWS_ENDPOINT_URL_ROUTE_53; NULL = ROUTE53_ENDPOINT */
	uint32_t ttl;                   /* TTL of a record set we create; 0 = 60. An existing set keeps its own */
	int sync_timeout_s;             /* how long to wait for INSYNC after present; 0 = 300 */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter; reads the shared credentials file when no key pair is given (no request is sent yet).
 * Returns NULL with errbuf set; errbuf never holds a secret. */
struct solver *solver_route53_new(const struct route53_options *o, char *errbuf, size_t errlen);

struct route53_credentials {
	char *access_key_id;
	char *secret_access_key;        /* wiped by route53_credentials_clear */
	char *session_token;            /* NULL when the profile has none; wiped too */
};

/* The credentials of profile (NULL = "default") from the text of an AWS shared credentials file (INI: "[name]"
 * sections, "key = value" lines, '#' and ';' comments, indented sub-keys skipped). Returns 0 with out filled (both
 * aws_access_key_id and aws_secret_access_key present), or -1 with errbuf set (no such profile, a key missing,
 * out of memory); errbuf never quotes a value. */
int route53_credentials_parse(const char *text, const char *profile, struct route53_credentials *out, char *errbuf,
			      size_t errlen);
/* Wipes and frees what c holds, and zeroes it. */
void route53_credentials_clear(struct route53_credentials *c);

/* The ChangeResourceRecordSets request body: for each name a DELETE of exactly the set read and a CREATE of the
 * merged one, in one batch, which Route 53 applies all or nothing; a DELETE that no longer matches makes it
 * refuse the whole batch, so a change someone made since our read is never overwritten. malloc'd, or NULL. */
char *route53_change_xml(const struct txtset_change *c, size_t n, const char *comment);
/* The TXT set at name in a ListResourceRecordSets answer. Returns 1 with *values (a new array of the Value
 * texts) and *ttl, 0 when there is none, -1 with errbuf set (not such an answer, or the set has a routing policy
 * or is an alias, which we do not touch). */
int route53_rrset_parse(const char *xml, size_t len, const char *name, json_t **values, uint32_t *ttl,
			char *errbuf, size_t errlen);

struct route53_zone {
	char id[ROUTE53_ZONE_ID_MAX + 1];       /* without "/hostedzone/" */
	bool private_zone;
};
/* Of the n hosted zones that share the name zone, the one of the wanted kind (public, or private when
 * want_private). Returns its index, or -1 with errbuf set: none of that kind (naming the other kind and how to
 * choose it), or several (naming them and AWS_HOSTED_ZONE_ID). */
int route53_zone_pick(const struct route53_zone *zones, size_t n, const char *zone, bool want_private, char *errbuf,
		      size_t errlen);

#endif

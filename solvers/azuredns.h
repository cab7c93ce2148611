/* The Azure DNS adapter: a service principal's client credentials give an access token (kept until it expires);
 * challenge values are merged into the TXT record set of the zone that holds the name through Azure Resource
 * Manager (api-version 2018-05-01), each write conditional on the ETag read, so a concurrent change is never
 * lost. Only our values are taken out again. */
#ifndef ADNS_SOLVER_AZUREDNS_H
#define ADNS_SOLVER_AZUREDNS_H

#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define AZURE_AUTHORITY_HOST "https://login.microsoftonline.com"
#define AZURE_RESOURCE_MANAGER "https://management.azure.com"
#define AZURE_DNS_API_VERSION "2018-05-01"

struct azuredns_options {
	const char *tenant_id;          /* AZURE_TENANT_ID */
	const char *client_id;          /* AZURE_CLIENT_ID */
	const char *client_secret;      /* AZURE_CLIENT_SECRET; copied, wiped when the adapter is freed */
	const char *subscription_id;    /* AZURE_SUBSCRIPTION_ID */
	const char *resource_group;     /* AZURE_RESOURCE_GROUP; NULL = the zones of the whole subscription */
	const char *zone_name;          /* AZURE_ZONE_NAME: write into this zone, no lookup */
	const char *authority_host;     /* AZURE_AUTHORITY_HOST; NULL = AZURE_AUTHORITY_HOST */
	const char *resource_manager;   /* NULL = AZURE_RESOURCE_MANAGER; the token's scope is "<it>/.default" */
	uint32_t ttl;                   /* TTL of a record set we create; 0 = 60. An existing one keeps its own */
	struct http_client *http;       /* borrowed */
};

/* Creates the adapter (no request is sent yet). Returns NULL with errbuf set; errbuf never holds the secret. */
struct solver *solver_azuredns_new(const struct azuredns_options *o, char *errbuf, size_t errlen);

/* The TXTRecords of a record set ([{"value": ["..."]}, ...]; NULL = no set) after adding our values (add) or
 * taking them out: records that are not ours stay as they were (several strings in one record included); ours
 * ({"value": [v]}) are added once; taking out removes exactly those. Returns 0 with *out (a new array) and
 * *changed, or -1 with errbuf set. */
int azuredns_txt_merge(const json_t *records, const char *const *values, size_t n, bool add, json_t **out,
		       bool *changed, char *errbuf, size_t errlen);
/* The record set's name relative to its zone ("_acme-challenge" of "_acme-challenge.example.com." in
 * "example.com."; "@" at the apex). Both lower case with the final dot. Returns 0, or -1 when name is not in zone. */
int azuredns_relative_name(const char *name, const char *zone, char *out, size_t outlen);
/* The resource group in a resource id ("/subscriptions/S/resourceGroups/RG/providers/..."). Returns 0 or -1. */
int azuredns_resource_group(const char *id, char *out, size_t outlen);

#endif

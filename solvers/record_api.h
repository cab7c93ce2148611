/* What the adapters of per-record DNS APIs share (Cloudflare, DigitalOcean, Hetzner): one TXT record per value,
 * created by a POST that answers its id and deleted by that id. This module holds the run's ledger of the ids it
 * created, finds the provider's zone of a name (the one the resolvers see, else walking up), and drives present and
 * clean-up through four calls each adapter implements; plus the checks of names, values, URLs and tokens they all
 * make. */
#ifndef ADNS_SOLVER_RECORD_API_H
#define ADNS_SOLVER_RECORD_API_H

#include "solver.h"

#include <stdbool.h>
#include <stddef.h>

#define RAPI_NAME_MAX 256               /* a DNS name without the final dot, and the NUL */
#define RAPI_ID_MAX 128                 /* a provider's zone or record id, and the NUL */
#define RAPI_FIND_MAX 16                /* records of one (name, value) clean-up looks for */

/* A provider's zone: its DNS name (lower case, no final dot) and the id its API paths use (DigitalOcean's is the
 * name itself). */
struct rapi_zone {
	char name[RAPI_NAME_MAX];
	char id[RAPI_ID_MAX];
};

/* The calls an adapter implements; ctx is the adapter's. Names are lower case without the final dot. */
struct rapi_ops {
	/* The provider's zone named exactly name: 1 with z filled, 0 when it has none (or none that serves), -1 with
	 * errbuf set. */
	int (*zone_get)(void *ctx, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen);
	/* Creates the TXT record (name, value) in z: 0 with id set ("" when the provider answers that the very record
	 * is there already, without its id), or -1 with errbuf set. */
	int (*create)(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char *id,
		      size_t idlen, char *errbuf, size_t errlen);
	/* Deletes record id of z: 0, also when the provider no longer has it; -1 with errbuf set. */
	int (*remove)(void *ctx, const struct rapi_zone *z, const char *id, char *errbuf, size_t errlen);
	/* The ids of the TXT records at name in z whose content is value, every page read: 0 with *n set (at most
	 * max), or -1 with errbuf set. */
	int (*find)(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char (*ids)[RAPI_ID_MAX],
		    size_t max, size_t *n, char *errbuf, size_t errlen);
};

struct rapi;

/* A driver for one adapter: tag prefixes messages ("cloudflare"), provider names it for people ("Cloudflare");
 * both are borrowed, as are ops and ctx. Returns NULL when out of memory. */
struct rapi *rapi_new(const char *tag, const char *provider, const struct rapi_ops *ops, void *ctx);
/* Frees r and its ledger. NULL is fine. */
void rapi_free(struct rapi *r);
/* The solver whose cancel flag a present reads before each request (may be NULL). */
void rapi_set_solver(struct rapi *r, const struct solver *s);

/* Creates one TXT record per record of recs, each in the provider's zone of its name (rec->target, else rec->fqdn):
 * the zone rec->zone names when given, else the longest name from it upwards that the provider has. Stops at the
 * first failure. Returns 0 or -1 with errbuf set. */
int rapi_present(struct rapi *r, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
/* Deletes the records present created, by the ids it was answered; for a record without one (a killed run, a
 * record that was there already), the records at its name whose content is exactly its value. A zone the provider
 * does not have holds nothing of ours. Goes on after a failure; returns 0 or the first error (-1, errbuf set). */
int rapi_cleanup(struct rapi *r, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);

/* ---- checks every adapter makes ---- */

/* Writes name in lower case without the final dot. Returns -1 unless it is letters, digits, '-', '_' in non-empty
 * labels, at most 253 bytes (names go into URLs unescaped, so nothing else may pass). */
int rapi_name(const char *in, char *out, size_t outlen);
/* Writes name relative to zone ("@" for the apex). Returns -1 when name is neither zone nor below it. */
int rapi_relative(const char *name, const char *zone, char *out, size_t outlen);
/* Whether value can be a TXT record's content: 1 to 255 printable ASCII bytes, no '"' nor '\'. */
bool rapi_txt_ok(const char *value);
/* Whether content, a TXT record's content as an API gives it back, is value: bare, or as one quoted string
 * (Cloudflare and Hetzner may answer either). */
bool rapi_txt_is(const char *content, const char *value);
/* The length of url without its trailing slashes, or 0 when it is not http:// or https:// with a host, or holds
 * spaces, quotes, a query, a fragment, user information ('@' before the path: credentials in a URL end up in
 * logs), or is longer than max. */
size_t rapi_base_url(const char *url, size_t max);
/* Whether id, a zone or record id a provider answered, can go into a URL path: 1 to RAPI_ID_MAX - 1 letters,
 * digits, '-', '_' or '.' (not "." nor ".."). */
bool rapi_id_ok(const char *id);
/* Whether t can go into a header: 1 to max printable ASCII bytes, no space. */
bool rapi_token_ok(const char *t, size_t max);
/* "NAME: VALUE" in a new string (free with rapi_secret_free), or NULL when out of memory. */
char *rapi_header(const char *name, const char *value);
/* Wipes and frees s. NULL is fine. */
void rapi_secret_free(char *s);
/* The number of the page= parameter of url (a next-page link), or 0 when it has none. Adapters build the next
 * request on their own base URL from it: the link may name another host (a proxy's client sees the provider's), and
 * the token must go nowhere else. */
long rapi_page_of(const char *url);

#endif

/* ACME (RFC 8555) with renewal information (RFC 9773): directory, nonces, accounts, orders over dns-01,
 * finalize, download, revocation. One struct acme per CA directory; not thread safe. */
#ifndef ADNS_ACME_H
#define ADNS_ACME_H

#include "propagation.h"
#include "http.h"
#include "solver.h"

#include <jansson.h>
#include <openssl/evp.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum acme_err {
	ACME_OK = 0,
	ACME_ERR_NET,          /* the CA could not be reached or answered garbage */
	ACME_ERR_CA,           /* the CA refused: a problem document (rateLimited, rejectedIdentifier, unauthorized...) */
	ACME_ERR_DNS,          /* the challenge records could not be put in place or did not become visible */
	ACME_ERR_SETUP,        /* the user must act first (e.g. create the CNAME the message names) */
	ACME_ERR_USAGE,        /* the request makes no sense for this CA (no EAB given when required, no ARI...) */
	ACME_ERR_TIMEOUT,      /* the CA did not finish within the deadline */
	ACME_ERR_INTERNAL,
	ACME_ERR_CANCELLED,    /* *cancel was set (a signal): the order stopped and its records were removed */
};

struct acme_error {
	enum acme_err kind;
	int status;                     /* HTTP status of the CA's answer, 0 when none */
	char type[128];                 /* problem type, e.g. "urn:ietf:params:acme:error:rateLimited" */
	char identifier[256];           /* the identifier a (sub)problem names, "" when none */
	char detail[1024];              /* one line for a person, naming the identifier when known */
};

struct acme_options {
	const char *directory_url;
	struct http_client *http;       /* borrowed */
	int timeout_s;                  /* deadline for each wait on the CA (authorizations, order); 0 = 300 */
	/* Called while waiting on the CA (may be NULL). */
	void (*progress)(void *ctx, const char *stage, int elapsed_s, int limit_s);
	void *progress_ctx;
	/* Set (by a signal handler) to stop waiting: the order unwinds and removes its records. NULL = never. */
	volatile sig_atomic_t *cancel;
};

struct acme;

/* Fetches the directory. Returns NULL with e set. */
struct acme *acme_new(const struct acme_options *o, struct acme_error *e);
/* Frees a (not the borrowed http client or keys). NULL is fine. */
void acme_free(struct acme *a);
/* Directory meta: termsOfService URL or NULL; externalAccountRequired; renewalInfo present; a profile offered. */
const char *acme_terms_of_service(const struct acme *a);
bool acme_eab_required(const struct acme *a);
bool acme_has_ari(const struct acme *a);
bool acme_has_profile(const struct acme *a, const char *profile);

struct acme_account_params {
	const char *const *contacts;    /* "mailto:..." */
	size_t n_contacts;
	bool agree_tos;
	const char *eab_kid;            /* External Account Binding, both or neither */
	const char *eab_hmac_key;       /* base64url */
	bool only_existing;             /* find the account for the key, never create one */
};

/* Creates (or finds, as the CA answers for a known key) the account for key and uses it from then on.
 * *kid_out gets the account URL (malloc'd). Returns 0 or -1 with e set. */
int acme_account_new(struct acme *a, EVP_PKEY *key, const struct acme_account_params *p, char **kid_out,
		     struct acme_error *e);
/* Uses an existing account for signed requests: key borrowed, kid copied. */
int acme_use_account(struct acme *a, EVP_PKEY *key, const char *kid);
/* The account object (status, contact, ...). New reference, or NULL with e set. */
json_t *acme_account_get(struct acme *a, struct acme_error *e);
/* Replaces the account's contacts. Returns 0 or -1 with e set. */
int acme_account_update_contacts(struct acme *a, const char *const *contacts, size_t n, struct acme_error *e);
/* Deactivates the account for good. Returns 0 or -1 with e set. */
int acme_account_deactivate(struct acme *a, struct acme_error *e);
/* Moves the account to new_key (RFC 8555 section 7.3.5); afterwards the client signs with new_key (borrowed).
 * Returns 0 or -1 with e set. */
int acme_account_rollover(struct acme *a, EVP_PKEY *new_key, struct acme_error *e);

struct acme_order_params {
	const char *const *names;       /* DNS names, wildcards allowed */
	size_t n_names;
	EVP_PKEY *cert_key;             /* the certificate's key (borrowed) */
	const char *replaces;           /* ARI id of the certificate this order replaces, or NULL */
	const char *profile;            /* profile name, or NULL */
	const char *preferred_chain;    /* issuer commonName of the chain's top to prefer, or NULL */
	struct solver *solver;          /* where the dns-01 records go */
	const struct prop_opts *prop;   /* wait until every authoritative server has the records; NULL = do not */
	int fixed_wait_s;               /* then (or without prop, instead) wait this many seconds more */
	json_t **prop_report;           /* when not NULL: gets the propagation checker's report (new reference) */
};

/* Runs a whole order: new order; authorizations already valid skipped; every dns-01 record presented together,
 * checked together, answered together; polled with Retry-After; every record removed afterwards, also on
 * failure; finalize with a CSR; certificate downloaded (the preferred alternate chain when asked).
 * Returns 0 with *fullchain set (malloc'd PEM, leaf first), or -1 with e set. */
int acme_order_issue(struct acme *a, const struct acme_order_params *p, char **fullchain, struct acme_error *e);

/* Revokes a certificate (DER of the leaf) with an RFC 5280 reason code (0..10, not 7), signed with cert_key when
 * given (jwk), else with the account. Returns 0 or -1 with e set. */
int acme_revoke(struct acme *a, const uint8_t *der, size_t der_len, int reason, EVP_PKEY *cert_key,
		struct acme_error *e);

/* Asks renewalInfo for an ARI id (cert.h's cert_info.ari_id). Returns 0 with the suggested window and the CA's
 * Retry-After (-1 when none), or -1 with e set (ACME_ERR_USAGE when the CA offers no renewalInfo). */
int acme_renewal_info(struct acme *a, const char *ari_id, time_t *start, time_t *end, long *retry_after_s,
		      struct acme_error *e);

/* The dns-01 TXT value for a token: base64url(SHA-256(token "." thumbprint(account key))). malloc'd or NULL. */
char *acme_dns01_value(EVP_PKEY *account_key, const char *token);
/* A short word for an error kind ("net", "ca", "dns", "setup", "usage", "timeout", "internal"). */
const char *acme_err_name(enum acme_err k);

#endif

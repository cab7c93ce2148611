/* The acme-dns adapter: challenge values go to an acme-dns compatible server (acme-dnsd or joohoi/acme-dns)
 * through its HTTP API, behind a CNAME from _acme-challenge.<domain> to the account's fulldomain. */
#ifndef ADNS_SOLVER_ACMEDNS_H
#define ADNS_SOLVER_ACMEDNS_H

#include "dnscheck.h"
#include "http.h"
#include "solver.h"

#include <stdbool.h>

struct acmedns_options {
	const char *api_url;            /* base URL of the acme-dns API, e.g. "https://auth.example.org" */
	const char *storage_path;       /* JSON file of accounts per domain, in lego's shape (ACME_DNS_STORAGE_PATH) */
	struct http_client *http;       /* borrowed */
	const struct dnscheck_opts *dns;/* for the CNAME check; borrowed */
	bool allow_register;            /* register a domain that has no account yet */
	bool skip_cname_check;          /* trust that the CNAME is in place */
};

/* Creates the adapter. Returns NULL with errbuf set. */
struct solver *solver_acmedns_new(const struct acmedns_options *o, char *errbuf, size_t errlen);

/* Registers domain at the server unless the storage already has an account for it, and saves the account.
 * Writes the record the user must create into cname ("_acme-challenge.example.com. CNAME <fulldomain>.").
 * Returns 1 when a new account was made, 0 when one existed, -1 with errbuf set. */
int acmedns_register(const struct acmedns_options *o, const char *domain, char *cname, size_t cname_len,
		     char *errbuf, size_t errlen);

/* Sets one TXT value by hand for domain's account (the cli's `update`). Returns 0 or -1 with errbuf set. */
int acmedns_update(const struct acmedns_options *o, const char *domain, const char *value, char *errbuf,
		   size_t errlen);

/* Reads domain's account ("*." and case ignored) from the storage file, without network. Returns 1 with out set to
 * its fulldomain (no trailing dot), 0 when the storage has no account for it, -1 with errbuf set. */
int acmedns_fulldomain(const char *storage_path, const char *domain, char *out, size_t outlen, char *errbuf,
		       size_t errlen);

#endif

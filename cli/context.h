/* What every acme-dns-cli command works with: the options, the reporter, the locked state directory, one HTTP
 * client, the DNS check settings, and the ACME client of the CA in use. */
#ifndef ADNS_CLI_CONTEXT_H
#define ADNS_CLI_CONTEXT_H

#include "acme.h"
#include "acmedns.h"
#include "dnscheck.h"
#include "http.h"
#include "options.h"
#include "output.h"
#include "propagation.h"
#include "state.h"

#include <openssl/evp.h>

/* The propagation checker's settings from the options, with the progress line it draws. */
struct cli_prop {
	struct prop_opts po;
	struct cli_out *out;            /* borrowed */
	int timeout_s;
};

struct cli_ctx {
	const struct cli_options *opt;  /* borrowed */
	struct cli_out *out;            /* borrowed */
	struct state *st;
	struct http_client *http;
	char *storage_path;             /* acme-dns accounts file (malloc'd) */
	struct dnscheck_opts dns;
	struct cli_prop prop;
	struct journal *journal;        /* of the challenge records solvers create, in the state directory */
	struct acme *acme;              /* the CA of acme_server, made on first use */
	char *acme_server;
	EVP_PKEY **keys;                /* references held for the ACME client, which borrows account keys */
	size_t n_keys;
};

/* Opens the state directory (locked), the HTTP client and the DNS settings. Returns 0, or an exit code with the
 * failure reported. cli_ctx_close in every case. */
int cli_ctx_open(struct cli_ctx *c, const struct cli_options *o, struct cli_out *out);
/* Frees what c holds and releases the lock. */
void cli_ctx_close(struct cli_ctx *c);
/* The ACME client for the directory at server (reused while the server stays the same). Returns 0 with *a set
 * (owned by c), or an exit code with the failure reported. */
int cli_ctx_acme(struct cli_ctx *c, const char *server, struct acme **a);
/* Keeps a reference to key until c is closed (the ACME client borrows the account key it signs with).
 * Returns 0 or -1 when out of memory. */
int cli_ctx_hold_key(struct cli_ctx *c, EVP_PKEY *key);
/* Fills p from the options: resolvers, timeouts, port, serial match, resolver check, progress on out. */
void cli_prop_init(struct cli_prop *p, const struct cli_options *o, struct cli_out *out);
/* Fills the acme-dns adapter's options from c. */
void cli_ctx_acmedns(const struct cli_ctx *c, struct acmedns_options *ao, bool allow_register);

#endif

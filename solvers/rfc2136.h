/* The RFC 2136 adapter: challenge TXT records added and deleted one RR at a time by DNS UPDATE, signed with TSIG,
 * at the primary server of the zone (BIND, Knot, PowerDNS, acme-dnsd...). The option names follow lego's. */
#ifndef ADNS_SOLVER_RFC2136_H
#define ADNS_SOLVER_RFC2136_H

#include "solver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rfc2136_options {
	const char *nameserver;      /* "ADDR", "ADDR:PORT", "[V6]:PORT"; port 53 by default (RFC2136_NAMESERVER) */
	const char *key_file;        /* a BIND key file (key "name" { algorithm hmac-sha256; secret "..."; };) or NULL */
	const char *tsig_key;        /* key name (RFC2136_TSIG_KEY); with key_file: which key of the file */
	const char *tsig_secret;     /* base64 (RFC2136_TSIG_SECRET) */
	const char *tsig_algorithm;  /* "hmac-sha256" default; hmac-sha1/-sha224/-sha384/-sha512; hmac-md5 only when
				      * named; lego's "hmac-sha256." spelling and upper case are taken */
	bool allow_unsigned;         /* no key on purpose: unsigned updates (warned); without it no key is an error */
	int timeout_ms;              /* per request; 0 = 10000 */
	uint32_t ttl;                /* TXT TTL; 0 = 60 */
};

/* Creates the adapter (reads the key file, resolves the nameserver). Returns NULL with errbuf set; no message
 * ever holds the secret. */
struct solver *solver_rfc2136_new(const struct rfc2136_options *o, char *errbuf, size_t errlen);

#endif

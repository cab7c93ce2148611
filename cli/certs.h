/* Certificates in the state directory: certificates/<name>/{cert,chain,fullchain,privkey}.pem and meta.json, and
 * when one is due for renewal. */
#ifndef ADNS_CLI_CERTS_H
#define ADNS_CLI_CERTS_H

#include "cert.h"
#include "state.h"

#include <jansson.h>
#include <openssl/evp.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* meta.json. Strings malloc'd (cli_meta_clear); times 0 when unknown. */
struct cli_cert_meta {
	char *names[CERT_MAX_NAMES];    /* as ordered, the first one named the folder */
	size_t n_names;
	char *key_type;                 /* key_type_name() of the certificate's key */
	char *server;                   /* ACME directory URL that issued it */
	char *ari_id;                   /* RFC 9773 certificate identifier, NULL when the certificate has none */
	char *serial;                   /* upper-case hex */
	time_t not_before, not_after, issued;
	char *profile;                  /* asked for at issue, or NULL */
	char *preferred_chain;          /* asked for at issue, or NULL */
	time_t revoked;                 /* when revoke succeeded, 0 if never */
	int revoked_reason;
};

/* meta.json's object for m. New reference, or NULL when out of memory. */
json_t *cli_meta_to_json(const struct cli_cert_meta *m);
/* Reads meta.json's object into m (zeroed first). Returns 0, or -1 with err set naming the bad member. */
int cli_meta_from_json(const json_t *j, struct cli_cert_meta *m, char *err, size_t errlen);
/* Frees m's strings and zeroes it. */
void cli_meta_clear(struct cli_cert_meta *m);

/* "2025-01-31T12:00:00Z" into buf (at least 21 bytes). Returns buf. */
char *cli_time_format(time_t t, char *buf, size_t len);
/* Parses the form cli_time_format writes. Returns 0 or -1. */
int cli_time_parse(const char *s, time_t *t);

/* The folder of a certificate relative to the state directory, "certificates/<name>" (malloc'd). */
char *cli_cert_relpath(const char *name, const char *file);
/* Reads certificates/<name>/meta.json. Returns 0, or -1 with err set (errno ENOENT when it does not exist). */
int cli_cert_read_meta(struct state *st, const char *name, struct cli_cert_meta *m, char *err, size_t errlen);
/* Writes certificates/<name>/meta.json. Returns 0 or -1 with err set. */
int cli_cert_write_meta(struct state *st, const char *name, const struct cli_cert_meta *m, char *err,
			size_t errlen);
/* Writes the certificate files from the CA's PEM chain (leaf first) and key: privkey.pem (0600, the PEM wiped
 * from memory afterwards), cert.pem, chain.pem, fullchain.pem, then meta.json. Returns 0 or -1 with err set. */
int cli_cert_write(struct state *st, const char *name, const char *fullchain, EVP_PKEY *key,
		   const struct cli_cert_meta *m, char *err, size_t errlen);
/* Loads certificates/<name>/privkey.pem. Returns the key, or NULL (errno ENOENT when there is none). */
EVP_PKEY *cli_cert_load_key(struct state *st, const char *name);
/* The names of the folders under certificates/ that hold a meta.json, sorted. Returns the count (malloc'd
 * array of malloc'd strings in *names; cli_cert_names_free) or -1 with err set. */
int cli_cert_list(struct state *st, char ***names, char *err, size_t errlen);
/* Frees what cli_cert_list returned. */
void cli_cert_names_free(char **names, int n);

/* What decides whether a certificate is due. */
struct cli_due_in {
	time_t now;
	time_t not_after;
	int days;                       /* without a window: due when fewer than this many days remain */
	bool force;
	bool have_window;               /* the CA's renewalInfo window is known */
	time_t window_start, window_end;
	double pick;                    /* uniform in [0,1): where in the window this run's renewal time falls */
};

struct cli_due_out {
	bool due;
	time_t when;                    /* the time renewal becomes (or became) due */
	const char *why;                /* "forced", "expired", "renewalInfo window", "fewer than --days days left" */
};

/* Decides whether to renew now (pure). RFC 9773 section 4.2: a time picked in the window; past it, or past the
 * window's end, the certificate is due; an expired certificate is always due. */
void cli_due(const struct cli_due_in *in, struct cli_due_out *out);
/* A uniform random number in [0,1) from the system's CSPRNG (0.5 if it fails). */
double cli_due_random(void);

#endif

/* Reading issued certificates: validity, names, issuer, and the ARI certificate identifier (RFC 9773). */
#ifndef ADNS_CERT_H
#define ADNS_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CERT_MAX_NAMES 100

struct cert_info {
	time_t not_before, not_after;
	char *names[CERT_MAX_NAMES];   /* DNS subjectAltNames, malloc'd */
	size_t n_names;
	char *issuer_cn;                /* commonName of the issuer of the leaf, malloc'd (may be NULL) */
	char *ari_id;                   /* base64url(AKI keyIdentifier) "." base64url(serial DER content), malloc'd */
	char *serial_hex;               /* upper-case hex of the serial, malloc'd */
};

/* Parses the first certificate of a PEM chain. Returns 0, or -1 with errbuf set. */
int cert_info_from_pem(const char *pem, size_t len, struct cert_info *out, char *errbuf, size_t errlen);
/* Frees what cert_info_from_pem allocated. */
void cert_info_clear(struct cert_info *ci);
/* Splits a PEM chain into the leaf (first certificate) and the rest. Both malloc'd, NUL-terminated; rest may be
 * "" when the chain has one certificate. Returns 0 or -1 when pem holds no certificate. */
int cert_split_chain(const char *pem, size_t len, char **leaf, char **rest);
/* The commonName of the issuer of the last certificate of a PEM chain (the chain's top), malloc'd, or NULL.
 * Used to pick among alternate chains by issuer name. */
char *cert_chain_top_issuer(const char *pem, size_t len);
/* The leaf certificate of a PEM chain as DER (malloc'd, length in *len), for revocation. NULL on failure. */
uint8_t *cert_leaf_der(const char *pem, size_t pemlen, size_t *len);

#endif

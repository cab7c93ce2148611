/* Small ldns helpers shared by the DNS check and the propagation checker: resolver addresses, names, sending with
 * TCP fallback, answer matching, TXT text. */
#ifndef ADNS_DNSUTIL_H
#define ADNS_DNSUTIL_H

#include <ldns/ldns.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits "addr", "addr:port" or "[v6]:port" (default port 53). Returns 0, or -1 for bad input. */
int dnsutil_parse_spec(const char *spec, char *host, size_t hostlen, uint16_t *port);
/* A name as an absolute ldns dname (ldns_rdf_deep_free), or NULL. */
ldns_rdf *dnsutil_dname(const char *name);
/* True when a answers q: same ID, QR set, the one question asked. */
bool dnsutil_answer_matches(const ldns_pkt *q, const ldns_pkt *a);
/* Sends q over UDP, and again over TCP when the answer is truncated; every nameserver of r counts as reachable
 * first (ldns otherwise skips one that timed out once, for good). *a is the answer (ldns_pkt_free). */
ldns_status dnsutil_send(ldns_resolver *r, ldns_pkt *q, ldns_pkt **a);
/* The concatenated character-strings of a TXT record into out. Returns false when it does not fit. */
bool dnsutil_txt_text(const ldns_rr *rr, char *out, size_t outlen);
/* True when the answer section holds value in the TXT RRset at owner (names compared case-insensitively). */
bool dnsutil_has_txt(const ldns_pkt *a, const ldns_rdf *owner, const char *value);

/* The settings of every query we send: one try within timeout_ms, no DNSSEC and no EDNS, no fallback, no search
 * list, UDP first (dnsutil_send goes to TCP on TC); rd asks for recursion. */
void dnsutil_resolver_tune(ldns_resolver *r, bool rd, int timeout_ms);
/* A tuned resolver for one numeric address at port, or NULL when host is not a numeric address. */
ldns_resolver *dnsutil_resolver_new(const char *host, uint16_t port, bool rd, int timeout_ms);
/* A tuned resolver for spec ("addr", "addr:port", "[v6]:port"), or for the system's (/etc/resolv.conf) when spec
 * is NULL. Returns NULL with errbuf saying why. */
ldns_resolver *dnsutil_resolver_open(const char *spec, bool rd, int timeout_ms, char *errbuf, size_t errlen);

#endif

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

#endif

/* Pieces of propagation.c exposed to its unit tests only: classification and chain following on built packets. */
#ifndef ADNS_PROPAGATION_INT_H
#define ADNS_PROPAGATION_INT_H

#include "propagation.h"

#include <ldns/ldns.h>

/* The name as text: lower case, no trailing dot (root is "."). Returns false when it does not fit. */
bool prop_rdf_name(const ldns_rdf *d, char *out, size_t outlen);
/* One link from cur in the answer section: a CNAME owned by cur, or a DNAME owned by a proper suffix of cur
 * (the new name is synthesized). Returns 1 with next set, 0 when none, -1 when the new name does not fit. */
int prop_chain_step(const ldns_pkt *a, const char *cur, char *next, size_t nlen);
/* Appends name to t->chain and sets t->final. Returns 0, or -1 with errbuf naming the loop or the long chain. */
int prop_chain_add(struct prop_target *t, const char *name, char *errbuf, size_t errlen);
/* min(TTL, minimum) of an SOA record; 0 when rr is not an SOA. */
uint32_t prop_negative_ttl(const ldns_rr *soa);
/* Classifies an authoritative server's answer to TXT at final against values. label (may be NULL) names the
 * server in the detail line; missing gets the first missing value. */
enum prop_state prop_classify(const ldns_pkt *a, const char *final, const char *const *values, size_t n,
			      const char *label, char *missing, size_t mlen, char *detail, size_t dlen);
/* After a round with serials: servers with every value but a serial below the highest seen become OLD_SERIAL. */
void prop_mark_serials(struct prop_target *t);

#endif

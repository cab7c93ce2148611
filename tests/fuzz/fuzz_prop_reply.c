/* Fuzz target: the DNS replies the propagation checker parses: any wire message as the answer to a CNAME/DNAME
 * step, to the TXT question at the final name (classification against expected values) and as a zone's SOA. */
#include "dnsutil.h"
#include "propagation_int.h"

#include <ldns/ldns.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK)
		return 0;
	static const char *const values[] = { "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo",
					      "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM" };
	char next[PROP_NAME_MAX], missing[256], detail[256];
	/* Follow the chain the way prop_resolve does, bounded by the chain limit. */
	static struct prop_target t;
	memset(&t, 0, sizeof(t));
	char cur[PROP_NAME_MAX] = "_acme-challenge.example.test", err[256];
	prop_chain_add(&t, cur, err, sizeof(err));
	for (int i = 0; i < PROP_MAX_CHAIN + 2 && prop_chain_step(p, cur, next, sizeof(next)) == 1; i++) {
		if (prop_chain_add(&t, next, err, sizeof(err)) != 0)
			break;
		memcpy(cur, next, sizeof(cur));
	}
	prop_classify(p, cur, values, 2, "ns1.example.test 127.0.0.1", missing, sizeof(missing), detail,
		      sizeof(detail));
	ldns_rr_list *rrs = ldns_pkt_answer(p);
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char name[PROP_NAME_MAX];
		char text[512];
		prop_negative_ttl(rr);
		prop_rdf_name(ldns_rr_owner(rr), name, sizeof(name));
		dnsutil_txt_text(rr, text, sizeof(text));
	}
	ldns_rdf *owner = dnsutil_dname(cur);
	if (owner) {
		dnsutil_has_txt(p, owner, values[0]);
		ldns_rdf_deep_free(owner);
	}
	rrs = ldns_pkt_authority(p);
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++)
		prop_negative_ttl(ldns_rr_list_rr(rrs, i));
	ldns_pkt_free(p);
	return 0;
}

/* Fuzz target: the XML reader under the Route 53 adapter, and the two answers the adapter reads through it (a
 * ListResourceRecordSets page and a change's status). Any input must give a tree or an error, never a crash. */
#include "route53.h"
#include "xml.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct xml_node *doc = xml_parse((const char *)data, size, err, sizeof(err));
	if (doc) {
		const struct xml_node *z = xml_find(doc, "HostedZones/HostedZone");
		for (int i = 0; z && i < 1000; i++, z = xml_next(z))
			(void)xml_find_text(z, "Config/PrivateZone");
		(void)xml_find_text(doc, "ChangeInfo/Status");
		xml_free(doc);
	}
	json_t *values = NULL;
	uint32_t ttl;
	if (route53_rrset_parse((const char *)data, size, "_acme-challenge.example.test.", &values, &ttl, err,
				sizeof(err)) == 1)
		json_decref(values);
	return 0;
}

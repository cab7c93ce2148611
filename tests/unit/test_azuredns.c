/* The azuredns solver's pure parts: the merge of TXTRecords (records of others kept, several strings in one record
 * included; ours added once and taken out exactly), relative names, the resource group of a resource id, and
 * option checks that never quote the secret. The API itself is exercised against tests/providers/
 * azuredns_fake.py by tests/integration/azuredns.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "azuredns.h"
#include "http.h"
#include "log.h"
#include "solver.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define SECRET "Q~topSecretValue.12345"

static json_t *jload(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!j)
		fail_msg("bad test JSON %s", text);
	return j;
}

static void assert_json(const json_t *got, const char *want)
{
	json_t *w = jload(want);
	char *g = json_dumps(got, JSON_COMPACT);
	if (!json_equal(got, w))
		fail_msg("got %s, want %s", g, want);
	free(g);
	json_decref(w);
}

static void test_merge(void **state)
{
	const char *ours[] = { V1, V2 };
	json_t *cur = jload("[{\"value\": [\"foreign\"]}, {\"value\": [\"" V1 "\", \"second-string\"]},"
			    " {\"value\": [\"" V1 "\"]}]");
	json_t *out;
	bool changed;
	char err[256];

	assert_int_equal(azuredns_txt_merge(NULL, ours, 2, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"value\": [\"" V1 "\"]}, {\"value\": [\"" V2 "\"]}]");
	json_decref(out);

	/* V1 alone is there: only V2 is added; a record of two strings that starts with V1 is someone else's */
	assert_int_equal(azuredns_txt_merge(cur, ours, 2, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"value\": [\"foreign\"]}, {\"value\": [\"" V1 "\", \"second-string\"]},"
			 " {\"value\": [\"" V1 "\"]}, {\"value\": [\"" V2 "\"]}]");
	json_decref(out);
	assert_int_equal(azuredns_txt_merge(cur, ours, 1, true, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	json_decref(out);

	assert_int_equal(azuredns_txt_merge(cur, ours, 2, false, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"value\": [\"foreign\"]}, {\"value\": [\"" V1 "\", \"second-string\"]}]");
	json_decref(out);
	assert_int_equal(azuredns_txt_merge(cur, ours + 1, 1, false, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	json_decref(out);

	const char *bad[] = { "" };
	assert_int_equal(azuredns_txt_merge(cur, bad, 1, true, &out, &changed, err, sizeof err), -1);
	assert_null(out);
	json_t *notlist = jload("{\"value\": 1}");
	assert_int_equal(azuredns_txt_merge(notlist, ours, 1, true, &out, &changed, err, sizeof err), -1);
	json_decref(notlist);
	json_decref(cur);
}

static void test_names(void **state)
{
	char out[256];

	assert_int_equal(azuredns_relative_name("_acme-challenge.example.test.", "example.test.", out, sizeof out), 0);
	assert_string_equal(out, "_acme-challenge");
	assert_int_equal(azuredns_relative_name("_acme-challenge.www.Example.test.", "example.test.", out, sizeof out), 0);
	assert_string_equal(out, "_acme-challenge.www");
	assert_int_equal(azuredns_relative_name("example.test.", "example.test.", out, sizeof out), 0);
	assert_string_equal(out, "@");
	assert_int_equal(azuredns_relative_name("_acme-challenge.badexample.test.", "example.test.", out, sizeof out), -1);
	assert_int_equal(azuredns_relative_name("test.", "example.test.", out, sizeof out), -1);

	assert_int_equal(azuredns_resource_group("/subscriptions/s/resourceGroups/rg-dns/providers/Microsoft.Network/"
						 "dnszones/example.test", out, sizeof out), 0);
	assert_string_equal(out, "rg-dns");
	assert_int_equal(azuredns_resource_group("/subscriptions/s/resourcegroups/RG2/providers/x", out, sizeof out), 0);
	assert_string_equal(out, "RG2");
	assert_int_equal(azuredns_resource_group("/subscriptions/s/providers/x", out, sizeof out), -1);
	assert_int_equal(azuredns_resource_group("/subscriptions/s/resourceGroups//x", out, sizeof out), -1);
	assert_int_equal(azuredns_resource_group(NULL, out, sizeof out), -1);
}

static void test_options(void **state)
{
	struct http_client *h = http_client_new(&(struct http_options){ 0 });
	struct azuredns_options o = { .http = h, .tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47",
				      .client_id = "00000000-0000-0000-0000-000000000001", .client_secret = SECRET,
				      .subscription_id = "11111111-2222-3333-4444-555555555555" };
	char err[512];
	struct solver *s = solver_azuredns_new(&o, err, sizeof err);

	assert_non_null(s);
	assert_string_equal(s->where, AZURE_RESOURCE_MANAGER);
	assert_false(s->caps.appends);
	assert_true(s->caps.follows_cname);
	solver_free(s);

	o.resource_manager = "http://127.0.0.1:9/";
	o.authority_host = "http://127.0.0.1:9";
	o.resource_group = "rg-dns";
	o.zone_name = "Example.test.";
	assert_non_null(s = solver_azuredns_new(&o, err, sizeof err));
	assert_string_equal(s->where, "http://127.0.0.1:9");
	solver_free(s);

	o.zone_name = "bad zone";
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	o.zone_name = NULL;
	o.resource_group = "rg/../other";
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "resource group"));
	o.resource_group = NULL;
	o.resource_manager = "ftp://x";
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	o.resource_manager = NULL;
	o.tenant_id = NULL;
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "AZURE_TENANT_ID"));
	o.tenant_id = "tenant/../x";
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	o.tenant_id = "contoso.onmicrosoft.com";
	o.client_secret = NULL;
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "AZURE_CLIENT_SECRET"));
	o.client_secret = SECRET;
	o.subscription_id = "";
	assert_null(solver_azuredns_new(&o, err, sizeof err));
	assert_null(strstr(err, SECRET));
	http_client_free(h);
}

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

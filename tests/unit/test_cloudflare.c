/* The cloudflare solver: its documents (record body, the zone picked among same-named ones, error codes anywhere in
 * an error chain, which codes mean refused credentials), option checks that never quote a secret, and its requests
 * against a scripted HTTP server: zones read over two pages and the active one used, a 429 waited out, an
 * "identical record" taken as present, deletes by id and, without one, a lookup by name with the content compared
 * quoted or bare; refused credentials (400 6003) and a secret echoed by the server never quoted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cloudflare.h"
#include "http.h"
#include "solver.h"

#include "scripted_http.h"

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define TOKEN "cfTestToken-3b1d9a0f64e24c8d"
#define ZONE_TOKEN "cfZoneToken-70b2c3e4d5f6a7b8"
#define KEY "0123456789abcdef0123456789abcdef01234"
#define ACTIVE "023e105f4ecef8ad9ca31a8372d0c353"
#define TWIN "9a7806061c88ada191ed06f989cc3dac"
#define NAME "_acme-challenge.example.com"

static json_t *doc(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

/* ---- documents ---- */

static void test_record_body(void **state)
{
	char *b = cloudflare_record_body(NAME, V1, 120);
	json_t *got = doc(b), *want = doc("{\"type\": \"TXT\", \"name\": \"" NAME "\", \"content\": \"" V1 "\", "
					  "\"ttl\": 120}");

	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(b);
}

static void test_zone_pick(void **state)
{
	char id[128] = "", why[256];
	json_t *twins = doc("[{\"id\": \"" TWIN "\", \"name\": \"example.com\", \"status\": \"pending\"},"
			    " {\"id\": \"" ACTIVE "\", \"name\": \"Example.COM\", \"status\": \"active\"},"
			    " {\"id\": \"aaaa\", \"name\": \"sub.example.com\", \"status\": \"active\"}]");
	json_t *pending = doc("[{\"id\": \"" TWIN "\", \"name\": \"example.com\", \"status\": \"pending\"}]");
	json_t *two = doc("[{\"id\": \"a1\", \"name\": \"example.com\", \"status\": \"active\"},"
			  " {\"id\": \"a2\", \"name\": \"example.com\", \"status\": \"active\"}]");
	json_t *other = doc("[{\"id\": \"a1\", \"name\": \"example.org\", \"status\": \"active\"},"
			    " {\"id\": \"../x\", \"name\": \"example.com\", \"status\": \"active\"}]");

	assert_int_equal(cloudflare_zone_pick(twins, "example.com", id, sizeof id, why, sizeof why), 1);
	assert_string_equal(id, ACTIVE);
	assert_string_equal(why, "");
	assert_int_equal(cloudflare_zone_pick(pending, "example.com", id, sizeof id, why, sizeof why), 0);
	assert_non_null(strstr(why, "zone example.com is at Cloudflare but not active (status pending)"));
	assert_int_equal(cloudflare_zone_pick(two, "example.com", id, sizeof id, why, sizeof why), -1);
	assert_non_null(strstr(why, "2 active zones named example.com"));
	assert_int_equal(cloudflare_zone_pick(other, "example.com", id, sizeof id, why, sizeof why), 0);
	assert_int_equal(cloudflare_zone_pick(NULL, "example.com", id, sizeof id, why, sizeof why), 0);
	json_decref(twins);
	json_decref(pending);
	json_decref(two);
	json_decref(other);
}

static void test_codes(void **state)
{
	json_t *dup = doc("{\"success\": false, \"errors\": [{\"code\": 81058, \"message\": \"An identical record "
			  "already exists.\"}], \"messages\": [], \"result\": null}");
	json_t *hdr = doc("{\"success\": false, \"errors\": [{\"code\": 6003, \"message\": \"Invalid request headers\","
			  " \"error_chain\": [{\"code\": 6111, \"message\": \"Invalid format for Authorization "
			  "header\"}]}]}");
	json_t *tok = doc("{\"success\": false, \"errors\": [{\"code\": 9109, \"message\": \"Invalid access "
			  "token\"}]}");
	json_t *ttl = doc("{\"success\": false, \"errors\": [{\"code\": 9021, \"message\": \"Invalid TTL\"}]}");

	assert_true(cloudflare_has_code(dup, 81058));
	assert_false(cloudflare_has_code(dup, 81057));
	assert_true(cloudflare_has_code(hdr, 6111));    /* in the chain */
	assert_false(cloudflare_has_code(NULL, 6003));
	assert_false(cloudflare_auth_refused(dup));
	assert_true(cloudflare_auth_refused(hdr));
	assert_true(cloudflare_auth_refused(tok));
	assert_false(cloudflare_auth_refused(ttl));
	json_decref(dup);
	json_decref(hdr);
	json_decref(tok);
	json_decref(ttl);
}

/* ---- options ---- */

static struct http_client *client(void)
{
	struct http_options ho = { .timeout_s = 10 };
	struct http_client *h = http_client_new(&ho);

	assert_non_null(h);
	return h;
}

static void refused(const struct cloudflare_options *o, const char *why)
{
	char err[512] = "";

	assert_null(solver_cloudflare_new(o, err, sizeof err));
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, "cfTest"));
	assert_null(strstr(err, KEY));
}

static void test_options(void **state)
{
	struct http_client *h = client();
	struct cloudflare_options o = { .dns_api_token = TOKEN, .http = h };
	char err[512] = "";
	struct solver *s;

	refused(NULL, "HTTP client");
	o.dns_api_token = NULL;
	refused(&o, "no credentials: set CLOUDFLARE_DNS_API_TOKEN");
	o.email = "admin@example.com";
	refused(&o, "CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY go together");
	o.email = NULL;
	o.api_key = KEY;
	refused(&o, "go together");
	o.api_key = NULL;
	o.dns_api_token = "cfTestToken with space";
	refused(&o, "DNS API token must be printable ASCII");
	o.dns_api_token = TOKEN;
	o.zone_api_token = "cfTestZone\r\nX-Injected: 1";
	refused(&o, "zone API token must be printable ASCII");
	o.zone_api_token = NULL;
	o.base_url = "https://user:cfTestPw@api.example.com/client/v4";
	refused(&o, "without credentials");
	o.base_url = NULL;
	o.ttl = 30;
	refused(&o, "TTL must be 1 (automatic) or 60 to 86400");

	o.ttl = 1;
	s = solver_cloudflare_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "cloudflare");
	assert_string_equal(s->where, CLOUDFLARE_BASE_URL);
	assert_true(s->caps.appends);
	assert_true(s->caps.follows_cname);
	assert_int_equal(s->caps.requests_per_minute, 240);
	assert_int_equal(s->caps.min_ttl, 60);
	solver_free(s);
	http_client_free(h);
}

/* ---- requests ---- */

static struct solver *scripted_solver(struct http_client *h, const char *token, const char *zone_token,
				      const char *email, const char *key)
{
	char url[96], err[256] = "";
	struct cloudflare_options o = { .dns_api_token = token, .zone_api_token = zone_token, .email = email,
					.api_key = key, .http = h };
	struct solver *s;

	snprintf(url, sizeof url, "%s/client/v4/", SH.url);
	o.base_url = url;
	s = solver_cloudflare_new(&o, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

#define OK_LIST(result, page, pages)                                                                             \
	"200 OK|{\"success\": true, \"errors\": [], \"messages\": [], \"result\": " result ", \"result_info\": "     \
	"{\"page\": " #page ", \"per_page\": 1, \"total_pages\": " #pages "}}"

static void test_present_cleanup(void **state)
{
	static const char *const answers[] = {
		OK_LIST("[{\"id\": \"" TWIN "\", \"name\": \"example.com\", \"status\": \"pending\"}]", 1, 2),
		OK_LIST("[{\"id\": \"" ACTIVE "\", \"name\": \"example.com\", \"status\": \"active\"}]", 2, 2),
		"429 Too Many Requests\r\nRetry-After: 1|{\"success\": false, \"errors\": [{\"code\": 971, "
		"\"message\": \"Please wait\"}]}",
		"200 OK|{\"success\": true, \"errors\": [], \"result\": {\"id\": \"11111111111111111111111111111111\", "
		"\"name\": \"" NAME "\", \"type\": \"TXT\", \"content\": \"" V1 "\"}}",
		"400 Bad Request|{\"success\": false, \"errors\": [{\"code\": 81058, \"message\": \"An identical record "
		"already exists.\"}], \"result\": null}",
		/* clean-up: V1 by its id; V2 (no id) looked up, the content answered quoted */
		"200 OK|{\"success\": true, \"errors\": [], \"result\": {\"id\": \"11111111111111111111111111111111\"}}",
		OK_LIST("[{\"id\": \"ffffffffffffffffffffffffffffffff\", \"type\": \"TXT\", \"name\": \"" NAME "\", "
			"\"content\": \"someone-elses\"}, {\"id\": \"22222222222222222222222222222222\", \"type\": \"TXT\", "
			"\"name\": \"" NAME "\", \"content\": \"\\\"" V2 "\\\"\"}]", 1, 1),
		"200 OK|{\"success\": true, \"errors\": [], \"result\": {\"id\": \"22222222222222222222222222222222\"}}",
	};
	struct solver_record recs[] = {
		{ "example.com", NAME, V1, NAME, "example.com" },
		{ "example.com", NAME, V2, NAME, "example.com" },
	};
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;
	double t0;

	sh_start("test_cloudflare", answers, 8);
	s = scripted_solver(h, TOKEN, ZONE_TOKEN, NULL, NULL);
	t0 = sh_now();
	if (solver_present(s, recs, 2, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(sh_now() - t0 >= 0.9);
	if (solver_cleanup(s, recs, 2, err, sizeof err) != 0)
		fail_msg("%s", err);
	log = sh_finish();
	assert_has(sh_request(log, 0), "GET /client/v4/zones?name=example.com&per_page=50&page=1 HTTP/1.1");
	assert_has(sh_request(log, 0), "Authorization: Bearer " ZONE_TOKEN);
	assert_has(sh_request(log, 1), "GET /client/v4/zones?name=example.com&per_page=50&page=2 HTTP/1.1");
	assert_has(sh_request(log, 2), "POST /client/v4/zones/" ACTIVE "/dns_records HTTP/1.1");
	assert_has(sh_request(log, 2), "Authorization: Bearer " TOKEN);
	assert_has(sh_request(log, 3), "\"content\":\"" V1 "\"");
	assert_has(sh_request(log, 3), "\"ttl\":120");
	assert_has(sh_request(log, 3), "Content-Type: application/json");
	assert_has(sh_request(log, 4), "\"content\":\"" V2 "\"");
	assert_has(sh_request(log, 5), "DELETE /client/v4/zones/" ACTIVE "/dns_records/11111111111111111111111111111111");
	assert_has(sh_request(log, 6), "GET /client/v4/zones/" ACTIVE "/dns_records?type=TXT&name=" NAME
				       "&per_page=100&page=1 HTTP/1.1");
	assert_has(sh_request(log, 7), "DELETE /client/v4/zones/" ACTIVE "/dns_records/22222222222222222222222222222222");
	assert_int_equal(sh_count(log, TWIN), 0);       /* the pending twin is never asked about */
	assert_int_equal(sh_count(log, "ffffffffffffffffffffffffffffffff"), 0);
	free(log);
	solver_free(s);
	http_client_free(h);
}

static void test_refused_and_secret_echoed(void **state)
{
	static const char *const answers[] = {
		"400 Bad Request|{\"success\": false, \"errors\": [{\"code\": 6003, \"message\": \"Invalid request "
		"headers\", \"error_chain\": [{\"code\": 6103, \"message\": \"Invalid format for X-Auth-Key header\"}]}]}",
		OK_LIST("[{\"id\": \"" ACTIVE "\", \"name\": \"example.com\", \"status\": \"active\"}]", 1, 1),
		"400 Bad Request|{\"success\": false, \"errors\": [{\"code\": 1004, \"message\": \"DNS Validation Error: "
		"bad header X-Auth-Key " KEY "\"}]}",
	};
	struct solver_record rec = { "example.com", NAME, V1, NAME, "example.com" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_cloudflare", answers, 3);
	s = scripted_solver(h, TOKEN, NULL, "admin@example.com", KEY);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_string_equal(err, "cloudflare: credentials refused by Cloudflare (e-mail and API key): HTTP 400: "
				 "Invalid request headers");
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "cloudflare: POST TXT " NAME " in zone example.com: HTTP 400: (error text "
				    "withheld: it holds a secret) (code 1004)"));
	assert_null(strstr(err, KEY));
	log = sh_finish();
	/* the global key wins over a token, as with lego */
	assert_has(sh_request(log, 0), "X-Auth-Email: admin@example.com");
	assert_has(sh_request(log, 0), "X-Auth-Key: " KEY);
	assert_null(strstr(log, "Authorization:"));
	free(log);
	solver_free(s);
	http_client_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_body),
		cmocka_unit_test(test_zone_pick),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_present_cleanup),
		cmocka_unit_test(test_refused_and_secret_echoed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The digitalocean solver: its record body, the next page read from links.pages.next (whatever host the link names),
 * option checks that never quote the token, and its requests against a scripted HTTP server: the domain list read
 * once over its pages on our own base URL, the longest domain that holds the name chosen (not one that only ends in
 * the same letters), the relative name, deletes by id and, without one, a lookup by full name over two pages;
 * 401 as refused credentials. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "digitalocean.h"
#include "http.h"
#include "solver.h"

#include "scripted_http.h"

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define TOKEN "dop_v1_doTestToken0123456789abcdef"
#define NAME "_acme-challenge.www.sub.example.com"

static json_t *doc(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void test_documents(void **state)
{
	char *b = digitalocean_record_body("_acme-challenge.www", V1, 30);
	json_t *got = doc(b), *want = doc("{\"type\": \"TXT\", \"name\": \"_acme-challenge.www\", \"data\": \"" V1 "\", "
					  "\"ttl\": 30}");
	json_t *p1 = doc("{\"links\": {\"pages\": {\"next\": \"https://api.digitalocean.com/v2/domains?page=2&per_page=20\","
			 " \"last\": \"https://api.digitalocean.com/v2/domains?page=3&per_page=20\"}}, \"meta\": {\"total\": 45}}");
	json_t *last = doc("{\"links\": {\"pages\": {\"first\": \"https://x/v2/domains?page=1\"}}, \"meta\": {\"total\": 45}}");
	json_t *none = doc("{\"links\": {}, \"meta\": {\"total\": 1}}");

	assert_true(json_equal(got, want));
	assert_int_equal(digitalocean_next_page(p1), 2);
	assert_int_equal(digitalocean_next_page(last), 0);
	assert_int_equal(digitalocean_next_page(none), 0);
	assert_int_equal(digitalocean_next_page(NULL), 0);
	json_decref(got);
	json_decref(want);
	json_decref(p1);
	json_decref(last);
	json_decref(none);
	free(b);
}

static struct http_client *client(void)
{
	struct http_options ho = { .timeout_s = 10 };
	struct http_client *h = http_client_new(&ho);

	assert_non_null(h);
	return h;
}

static void refused(const struct digitalocean_options *o, const char *why)
{
	char err[512] = "";

	assert_null(solver_digitalocean_new(o, err, sizeof err));
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, "doTest"));
}

static void test_options(void **state)
{
	struct http_client *h = client();
	struct digitalocean_options o = { .http = h };
	char err[512] = "";
	struct solver *s;

	refused(NULL, "HTTP client");
	refused(&o, "the token is missing (DO_AUTH_TOKEN)");
	o.auth_token = "dop_v1_doTest token";
	refused(&o, "printable ASCII without spaces");
	o.auth_token = TOKEN;
	o.ttl = 29;
	refused(&o, "TTL must be 30 to 86400");
	o.ttl = 0;
	o.base_url = "http://127.0.0.1:1/v2?x=doTest";
	refused(&o, "the base URL must be");
	o.base_url = NULL;
	s = solver_digitalocean_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "digitalocean");
	assert_string_equal(s->where, DIGITALOCEAN_BASE_URL);
	assert_true(s->caps.appends);
	assert_int_equal(s->caps.requests_per_minute, 83);
	assert_int_equal(s->caps.min_ttl, 30);
	solver_free(s);
	http_client_free(h);
}

static struct solver *scripted_solver(struct http_client *h)
{
	char url[96], err[256] = "";
	struct digitalocean_options o = { .auth_token = TOKEN, .http = h };
	struct solver *s;

	snprintf(url, sizeof url, "%s/v2", SH.url);
	o.base_url = url;
	s = solver_digitalocean_new(&o, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void test_walk_present_cleanup(void **state)
{
	static const char *const answers[] = {
		/* the links name the real API: only their page numbers are used */
		"200 OK|{\"domains\": [{\"name\": \"ample.com\"}, {\"name\": \"other-example.com\"}], \"links\": "
		"{\"pages\": {\"next\": \"https://api.digitalocean.com/v2/domains?page=2&per_page=200\"}}, "
		"\"meta\": {\"total\": 3}}",
		"200 OK|{\"domains\": [{\"name\": \"example.com\"}], \"links\": {\"pages\": {\"prev\": "
		"\"https://api.digitalocean.com/v2/domains?page=1&per_page=200\"}}, \"meta\": {\"total\": 3}}",
		"201 Created|{\"domain_record\": {\"id\": 3352896, \"type\": \"TXT\", \"name\": \"_acme-challenge.www.sub\", "
		"\"data\": \"" V1 "\", \"ttl\": 30}}",
		"201 Created|{\"domain_record\": {\"id\": 3352897, \"type\": \"TXT\", \"name\": \"_acme-challenge.www.sub\", "
		"\"data\": \"" V2 "\", \"ttl\": 30}}",
		"204 No Content|",
		"404 Not Found|{\"id\": \"not_found\", \"message\": \"The resource you were accessing could not be found.\"}",
	};
	struct solver_record recs[] = {
		{ "www.sub.example.com", NAME, V1, NULL, NULL },
		{ "www.sub.example.com", NAME, V2, NULL, NULL },
	};
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_digitalocean", answers, 6);
	s = scripted_solver(h);
	if (solver_present(s, recs, 2, err, sizeof err) != 0)
		fail_msg("%s", err);
	/* the second record is gone already (404): that is what clean-up wants */
	if (solver_cleanup(s, recs, 2, err, sizeof err) != 0)
		fail_msg("%s", err);
	log = sh_finish();
	assert_has(sh_request(log, 0), "GET /v2/domains?per_page=200&page=1 HTTP/1.1");
	assert_has(sh_request(log, 0), "Authorization: Bearer " TOKEN);
	assert_has(sh_request(log, 1), "GET /v2/domains?per_page=200&page=2 HTTP/1.1");
	assert_has(sh_request(log, 2), "POST /v2/domains/example.com/records HTTP/1.1");
	assert_has(sh_request(log, 2), "{\"type\":\"TXT\",\"name\":\"_acme-challenge.www.sub\",\"data\":\"" V1 "\",\"ttl\":30}");
	assert_has(sh_request(log, 4), "DELETE /v2/domains/example.com/records/3352896 HTTP/1.1");
	assert_has(sh_request(log, 5), "DELETE /v2/domains/example.com/records/3352897 HTTP/1.1");
	assert_int_equal(sh_count(log, "api.digitalocean.com"), 0);
	free(log);
	solver_free(s);
	http_client_free(h);
}

static void test_lookup_pages_and_refused(void **state)
{
	static const char *const answers[] = {
		"200 OK|{\"domains\": [{\"name\": \"example.com\"}], \"links\": {}, \"meta\": {\"total\": 1}}",
		"200 OK|{\"domain_records\": [{\"id\": 11, \"type\": \"TXT\", \"name\": \"_acme-challenge.www.sub\", "
		"\"data\": \"someone-elses\"}, {\"id\": 12, \"type\": \"TXT\", \"name\": \"_acme-challenge.www.sub\", "
		"\"data\": \"" V2 "\"}], \"links\": {\"pages\": {\"next\": \"https://api.digitalocean.com/v2/domains/"
		"example.com/records?page=2\"}}, \"meta\": {\"total\": 3}}",
		"200 OK|{\"domain_records\": [{\"id\": 13, \"type\": \"TXT\", \"name\": \"_acme-challenge.www.sub\", "
		"\"data\": \"" V1 "\"}], \"links\": {\"pages\": {}}, \"meta\": {\"total\": 3}}",
		"204 No Content|",
		"401 Unauthorized|{\"id\": \"unauthorized\", \"message\": \"Unable to authenticate you\"}",
	};
	struct solver_record rec = { "www.sub.example.com", NAME, V1, NAME, "example.com" };
	struct solver_record rec2 = { "www.sub.example.com", NAME, V2, NAME, "example.com" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_digitalocean", answers, 5);
	s = scripted_solver(h);
	if (solver_cleanup(s, &rec, 1, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(solver_cleanup(s, &rec2, 1, err, sizeof err), -1);
	assert_string_equal(err, "digitalocean: credentials refused by DigitalOcean (DO_AUTH_TOKEN): HTTP 401");
	log = sh_finish();
	assert_has(sh_request(log, 1), "GET /v2/domains/example.com/records?type=TXT&name=" NAME "&per_page=200&page=1 ");
	assert_has(sh_request(log, 2), "GET /v2/domains/example.com/records?type=TXT&name=" NAME "&per_page=200&page=2 ");
	assert_has(sh_request(log, 3), "DELETE /v2/domains/example.com/records/13 HTTP/1.1");
	assert_int_equal(sh_count(log, "/records/11"), 0);
	free(log);
	solver_free(s);
	http_client_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_walk_present_cleanup),
		cmocka_unit_test(test_lookup_pages_and_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

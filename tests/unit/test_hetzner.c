/* The hetzner solver: its record body, the last page from meta.pagination, option checks that never quote the key,
 * and its requests against a scripted HTTP server: the zone walk-up where "zone not found" is a 404, the
 * Auth-API-Token header, the relative name, a 503 with Retry-After tried again, deletes by id and, without one,
 * every page of the zone's records read with the name and content compared here; 401 as refused credentials. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hetzner.h"
#include "http.h"
#include "solver.h"

#include "scripted_http.h"

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define KEY "hzTestKey0123456789abcdef"
#define ZID "BbvwHDp3fD3Kv4hdrF4Pso"
#define NAME "_acme-challenge.example.com"
#define PAGE(p, last) "\"meta\": {\"pagination\": {\"page\": " #p ", \"per_page\": 2, \"last_page\": " #last "}}"

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
	char *b = hetzner_record_body(ZID, "_acme-challenge", V1, 60);
	json_t *got = doc(b), *want = doc("{\"zone_id\": \"" ZID "\", \"type\": \"TXT\", \"name\": \"_acme-challenge\", "
					  "\"value\": \"" V1 "\", \"ttl\": 60}");
	json_t *p = doc("{" PAGE(1, 3) "}"), *none = doc("{}"), *zero = doc("{" PAGE(1, 0) "}");

	assert_true(json_equal(got, want));
	assert_int_equal(hetzner_last_page(p), 3);
	assert_int_equal(hetzner_last_page(none), 1);
	assert_int_equal(hetzner_last_page(zero), 1);
	json_decref(got);
	json_decref(want);
	json_decref(p);
	json_decref(none);
	json_decref(zero);
	free(b);
}

static struct http_client *client(void)
{
	struct http_options ho = { .timeout_s = 10 };
	struct http_client *h = http_client_new(&ho);

	assert_non_null(h);
	return h;
}

static void refused(const struct hetzner_options *o, const char *why)
{
	char err[512] = "";

	assert_null(solver_hetzner_new(o, err, sizeof err));
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, "hzTest"));
}

static void test_options(void **state)
{
	struct http_client *h = client();
	struct hetzner_options o = { .http = h };
	char err[512] = "";
	struct solver *s;

	refused(NULL, "HTTP client");
	refused(&o, "the API key is missing (HETZNER_API_KEY)");
	o.api_key = "hzTestKey\nAuth-API-Token: x";
	refused(&o, "printable ASCII without spaces");
	o.api_key = KEY;
	o.ttl = 59;
	refused(&o, "TTL must be 60 to 86400");
	o.ttl = 0;
	s = solver_hetzner_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "hetzner");
	assert_string_equal(s->where, HETZNER_BASE_URL);
	assert_true(s->caps.appends);
	assert_int_equal(s->caps.min_ttl, 60);
	solver_free(s);
	http_client_free(h);
}

static struct solver *scripted_solver(struct http_client *h)
{
	char url[96], err[256] = "";
	struct hetzner_options o = { .api_key = KEY, .http = h };
	struct solver *s;

	snprintf(url, sizeof url, "%s/api/v1", SH.url);
	o.base_url = url;
	s = solver_hetzner_new(&o, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void test_walk_present_cleanup(void **state)
{
	static const char *const answers[] = {
		"404 Not Found|{\"zones\": [], \"error\": {\"message\": \"zone not found\", \"code\": 404}}",
		"503 Service Unavailable\r\nRetry-After: 1|{\"message\": \"maintenance\"}",
		"200 OK|{\"zones\": [{\"id\": \"" ZID "\", \"name\": \"example.com\"}], " PAGE(1, 1) "}",
		"200 OK|{\"record\": {\"id\": \"r1\", \"type\": \"TXT\", \"name\": \"_acme-challenge\", \"value\": \"" V1
		"\", \"zone_id\": \"" ZID "\", \"ttl\": 60}}",
		"200 OK|{}",
	};
	struct solver_record rec = { "example.com", NAME, V1, NULL, NULL };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_hetzner", answers, 5);
	s = scripted_solver(h);
	if (solver_present(s, &rec, 1, err, sizeof err) != 0)
		fail_msg("%s", err);
	if (solver_cleanup(s, &rec, 1, err, sizeof err) != 0)
		fail_msg("%s", err);
	log = sh_finish();
	assert_has(sh_request(log, 0), "GET /api/v1/zones?name=" NAME "&per_page=100&page=1 HTTP/1.1");
	assert_has(sh_request(log, 0), "Auth-API-Token: " KEY);
	assert_has(sh_request(log, 1), "GET /api/v1/zones?name=example.com&per_page=100&page=1 HTTP/1.1");
	assert_has(sh_request(log, 2), "GET /api/v1/zones?name=example.com&per_page=100&page=1 HTTP/1.1");
	assert_has(sh_request(log, 3), "POST /api/v1/records HTTP/1.1");
	assert_has(sh_request(log, 3), "\"zone_id\":\"" ZID "\",\"type\":\"TXT\",\"name\":\"_acme-challenge\"");
	assert_has(sh_request(log, 4), "DELETE /api/v1/records/r1 HTTP/1.1");
	free(log);
	solver_free(s);
	http_client_free(h);
}

static void test_lookup_every_page_and_refused(void **state)
{
	static const char *const answers[] = {
		"200 OK|{\"zones\": [{\"id\": \"" ZID "\", \"name\": \"example.com\"}], " PAGE(1, 1) "}",
		"200 OK|{\"records\": [{\"id\": \"a1\", \"type\": \"A\", \"name\": \"www\", \"value\": \"192.0.2.1\"}, "
		"{\"id\": \"t1\", \"type\": \"TXT\", \"name\": \"_acme-challenge\", \"value\": \"someone-elses\"}], "
		PAGE(1, 2) "}",
		"200 OK|{\"records\": [{\"id\": \"t2\", \"type\": \"TXT\", \"name\": \"_acme-challenge.www\", \"value\": \""
		V1 "\"}, {\"id\": \"t3\", \"type\": \"TXT\", \"name\": \"_acme-challenge\", \"value\": \"\\\"" V1 "\\\"\"}], "
		PAGE(2, 2) "}",
		"200 OK|{}",
		"401 Unauthorized|{\"message\": \"Invalid authentication credentials\"}",
	};
	struct solver_record rec = { "example.com", NAME, V1, NAME, "example.com" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_hetzner", answers, 5);
	s = scripted_solver(h);
	if (solver_cleanup(s, &rec, 1, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_string_equal(err, "hetzner: credentials refused by Hetzner (HETZNER_API_KEY): HTTP 401");
	log = sh_finish();
	assert_has(sh_request(log, 1), "GET /api/v1/records?zone_id=" ZID "&per_page=100&page=1 ");
	assert_has(sh_request(log, 2), "GET /api/v1/records?zone_id=" ZID "&per_page=100&page=2 ");
	/* only t3: t1 holds another value, t2 is at another name */
	assert_has(sh_request(log, 3), "DELETE /api/v1/records/t3 HTTP/1.1");
	assert_int_equal(sh_count(log, "DELETE"), 1);
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
		cmocka_unit_test(test_lookup_every_page_and_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

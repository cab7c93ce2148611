/* The httpreq solver: its body ({"fqdn","value"}, the name with its final dot), the basic authorization header,
 * option checks (RAW mode, credentials in the URL, a user without a password, a ':' in the user name) that never
 * quote the password, and its requests against a scripted HTTP server: ENDPOINT/present and ENDPOINT/cleanup,
 * any 2xx success, a 401 as refused credentials, clean-up going on after a failure. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"
#include "httpreq.h"
#include "solver.h"

#include "scripted_http.h"

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define PASSWORD "hrTestPassword-5e6f"
#define NAME "_acme-challenge.example.com"

static void test_documents(void **state)
{
	char *b = httpreq_body(NAME ".", V1);
	char *h = httpreq_basic_auth("Aladdin", "open sesame");

	assert_string_equal(b, "{\"fqdn\":\"" NAME ".\",\"value\":\"" V1 "\"}");
	assert_string_equal(h, "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");   /* RFC 7617's example */
	free(b);
	free(h);
	h = httpreq_basic_auth("u", "");
	assert_string_equal(h, "Authorization: Basic dTo=");
	free(h);
}

static struct http_client *client(void)
{
	struct http_options ho = { .timeout_s = 10 };
	struct http_client *h = http_client_new(&ho);

	assert_non_null(h);
	return h;
}

static void refused(const struct httpreq_options *o, const char *why)
{
	char err[512] = "";

	assert_null(solver_httpreq_new(o, err, sizeof err));
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, PASSWORD));
}

static void test_options(void **state)
{
	struct http_client *h = client();
	struct httpreq_options o = { .http = h };
	char err[512] = "";
	struct solver *s;

	refused(NULL, "HTTP client");
	refused(&o, "the endpoint is missing (HTTPREQ_ENDPOINT)");
	o.endpoint = "https://acme:" PASSWORD "@hooks.example.com/acme";
	refused(&o, "without credentials (use HTTPREQ_USERNAME and HTTPREQ_PASSWORD)");
	o.endpoint = "https://hooks.example.com/acme?token=" PASSWORD;
	refused(&o, "query");
	o.endpoint = "https://hooks.example.com/acme/";
	o.mode = "RAW";
	refused(&o, "HTTPREQ_MODE=RAW is not supported");
	o.mode = "other";
	refused(&o, "HTTPREQ_MODE=(unknown) is not supported");
	o.mode = NULL;
	o.username = "acme";
	refused(&o, "HTTPREQ_USERNAME and HTTPREQ_PASSWORD go together");
	o.username = NULL;
	o.password = PASSWORD;
	refused(&o, "go together");
	o.username = "ac:me";
	refused(&o, "without spaces or ':'");
	o.username = "acme";
	o.mode = "default";
	s = solver_httpreq_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "httpreq");
	assert_string_equal(s->where, "https://hooks.example.com/acme/");
	assert_true(s->caps.appends);
	assert_true(s->caps.follows_cname);
	solver_free(s);
	http_client_free(h);
}

static struct solver *scripted_solver(struct http_client *h, const char *user, const char *password)
{
	char url[96], err[256] = "";
	struct httpreq_options o = { .username = user, .password = password, .http = h };
	struct solver *s;

	snprintf(url, sizeof url, "%s/hooks/acme//", SH.url);
	o.endpoint = url;
	s = solver_httpreq_new(&o, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void test_present_cleanup(void **state)
{
	static const char *const answers[] = {
		"200 OK|ok",
		"204 No Content|",
		"500 Internal Server Error\r\nRetry-After: 1|{\"error\": \"disk full\"}",
		"500 Internal Server Error\r\nRetry-After: 1|{\"error\": \"disk full\"}",
		"500 Internal Server Error\r\nRetry-After: 1|{\"error\": \"disk full\"}",
		"500 Internal Server Error\r\nRetry-After: 1|{\"error\": \"disk full\"}",
		"202 Accepted|",
	};
	/* the target (the end of a CNAME chain) is where the record goes */
	struct solver_record recs[] = {
		{ "example.com", NAME, V1, "_acme-challenge.Other.EXAMPLE.net.", "example.net" },
		{ "example.com", NAME, V2, NAME, "example.com" },
	};
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_httpreq", answers, 7);
	s = scripted_solver(h, "acme", PASSWORD);
	if (solver_present(s, recs, 2, err, sizeof err) != 0)
		fail_msg("%s", err);
	/* the first clean-up (example.com's) fails, after 3 tries again; the second is still sent */
	assert_int_equal(solver_cleanup(s, recs, 2, err, sizeof err), -1);
	assert_has(err, "httpreq: cleanup " NAME ".: HTTP 500: disk full");
	log = sh_finish();
	/* sorted by zone, then name: example.com's record first */
	assert_has(sh_request(log, 0), "POST /hooks/acme/present HTTP/1.1");
	assert_has(sh_request(log, 0), "Authorization: Basic YWNtZTpoclRlc3RQYXNzd29yZC01ZTZm");
	assert_has(sh_request(log, 0), "Content-Type: application/json");
	assert_has(sh_request(log, 0), "{\"fqdn\":\"" NAME ".\",\"value\":\"" V2 "\"}");
	assert_has(sh_request(log, 1), "{\"fqdn\":\"_acme-challenge.other.example.net.\",\"value\":\"" V1 "\"}");
	assert_has(sh_request(log, 2), "POST /hooks/acme/cleanup HTTP/1.1");
	assert_has(sh_request(log, 6), "POST /hooks/acme/cleanup HTTP/1.1");
	assert_has(sh_request(log, 6), "\"value\":\"" V1 "\"");
	assert_null(strstr(log, PASSWORD));
	free(log);
	solver_free(s);
	http_client_free(h);
}

static void test_refused(void **state)
{
	static const char *const answers[] = {
		"401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"acme\"|{\"error\": \"unauthorized\"}",
		"401 Unauthorized|",
		"400 Bad Request|{\"error\": \"bad password " PASSWORD "\"}",
	};
	struct solver_record rec = { "example.com", NAME, V1, NAME, "example.com" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	sh_start("test_httpreq", answers, 3);
	s = scripted_solver(h, "acme", PASSWORD);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_string_equal(err, "httpreq: credentials refused by the httpreq endpoint (HTTPREQ_USERNAME and "
				 "HTTPREQ_PASSWORD): HTTP 401");
	solver_free(s);
	s = scripted_solver(h, NULL, NULL);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_string_equal(err, "httpreq: credentials refused by the httpreq endpoint (none given): HTTP 401");
	solver_free(s);
	s = scripted_solver(h, "acme", PASSWORD);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "(error text withheld: it holds a secret)"));
	log = sh_finish();
	assert_null(strstr(sh_request(log, 1), "Authorization:"));
	free(log);
	solver_free(s);
	http_client_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_present_cleanup),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

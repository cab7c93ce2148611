/* The pdns solver: the TXT merge (values of others kept, disabled ones too; no duplicates; only ours taken out;
 * quoting), option checks that never quote the key, and the requests it makes against a small scripted HTTP server
 * (a forked child answering canned responses in order): zone walk-up, one PATCH per zone, TTL kept, DELETE of an
 * emptied RRset, Retry-After, 401, 422 and a key echoed by the server. The real PowerDNS is in
 * tests/integration/pdns.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"
#include "log.h"
#include "pdns.h"
#include "solver.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define Q(v) "\"" v "\""
#define KEY "pdnsTestKey-8c1f0e77d2b94a51"

/* ---- the merge ---- */

static json_t *records(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = records(want_text);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

	if (!json_equal(got, want))
		fail_msg("got %s\nwant %s", g, want_text);
	free(g);
	json_decref(want);
}

static void test_quote(void **state)
{
	char out[600], long_value[300];

	assert_int_equal(pdns_txt_quote(V1, out, sizeof out), 0);
	assert_string_equal(out, Q(V1));
	assert_int_equal(pdns_txt_quote("a\"b\\c d", out, sizeof out), 0);
	assert_string_equal(out, "\"a\\\"b\\\\c d\"");
	assert_int_equal(pdns_txt_quote("", out, sizeof out), -1);
	assert_int_equal(pdns_txt_quote(NULL, out, sizeof out), -1);
	assert_int_equal(pdns_txt_quote("line\nbreak", out, sizeof out), -1);
	assert_int_equal(pdns_txt_quote("caf\xc3\xa9", out, sizeof out), -1);
	assert_int_equal(pdns_txt_quote(V1, out, 10), -1);
	memset(long_value, 'a', 255);
	long_value[255] = '\0';
	assert_int_equal(pdns_txt_quote(long_value, out, sizeof out), 0);
	long_value[255] = 'a';
	long_value[256] = '\0';
	assert_int_equal(pdns_txt_quote(long_value, out, sizeof out), -1);
}

static void test_merge_add_keeps_others(void **state)
{
	json_t *old = records("[{\"content\": \"\\\"other\\\"\", \"disabled\": false},"
			      " {\"content\": \"\\\"off\\\"\", \"disabled\": true, \"future\": 1}]");
	const char *values[] = { V1, V2 };
	json_t *out = NULL;
	bool changed = false;
	char err[256] = "";

	assert_int_equal(pdns_txt_merge(old, values, 2, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"content\": \"\\\"other\\\"\", \"disabled\": false},"
			 " {\"content\": \"\\\"off\\\"\", \"disabled\": true, \"future\": 1},"
			 " {\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false},"
			 " {\"content\": \"\\\"" V2 "\\\"\", \"disabled\": false}]");
	json_decref(out);
	/* no RRset yet */
	assert_int_equal(pdns_txt_merge(NULL, values, 1, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false}]");
	json_decref(out);
	json_decref(old);
}

static void test_merge_add_no_duplicates(void **state)
{
	json_t *old = records("[{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false}]");
	const char *twice[] = { V1, V2, V2 }, *present[] = { V1 };
	json_t *out = NULL;
	bool changed = true;
	char err[256] = "";

	assert_int_equal(pdns_txt_merge(old, present, 1, true, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	assert_true(json_equal(out, old));
	json_decref(out);
	assert_int_equal(pdns_txt_merge(old, twice, 3, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false},"
			 " {\"content\": \"\\\"" V2 "\\\"\", \"disabled\": false}]");
	json_decref(out);
	json_decref(old);
}

/* Our value as someone's disabled record: neither enabled nor added beside it. */
static void test_merge_add_disabled_value_refused(void **state)
{
	json_t *old = records("[{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": true}]");
	const char *values[] = { V1 };
	json_t *out = NULL;
	bool changed;
	char err[256] = "";

	assert_int_equal(pdns_txt_merge(old, values, 1, true, &out, &changed, err, sizeof err), -1);
	assert_null(out);
	assert_non_null(strstr(err, "disabled record we did not create"));
	json_decref(old);
}

static void test_merge_remove_only_ours(void **state)
{
	json_t *old = records("[{\"content\": \"\\\"other\\\"\", \"disabled\": false},"
			      " {\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false},"
			      " {\"content\": \"\\\"" V1 "\\\"\", \"disabled\": true},"
			      " {\"content\": \"\\\"" V2 "\\\" \\\"more\\\"\", \"disabled\": false},"
			      " {\"content\": \"\\\"" V2 "\\\"\", \"disabled\": false}]");
	const char *values[] = { V1, V2 }, *none[] = { "NotThere" };
	json_t *out = NULL;
	bool changed = false;
	char err[256] = "";

	assert_int_equal(pdns_txt_merge(old, values, 2, false, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[{\"content\": \"\\\"other\\\"\", \"disabled\": false},"
			 " {\"content\": \"\\\"" V1 "\\\"\", \"disabled\": true},"
			 " {\"content\": \"\\\"" V2 "\\\" \\\"more\\\"\", \"disabled\": false}]");
	json_decref(out);
	assert_int_equal(pdns_txt_merge(old, none, 1, false, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	assert_true(json_equal(out, old));
	json_decref(out);
	json_decref(old);

	old = records("[{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false}]");
	assert_int_equal(pdns_txt_merge(old, values, 2, false, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(old);
}

static void test_merge_bad_input(void **state)
{
	json_t *obj = records("{\"content\": \"x\"}"), *out = NULL;
	const char *values[] = { V1 }, *bad[] = { "tab\there" };
	bool changed;
	char err[256] = "";

	assert_int_equal(pdns_txt_merge(obj, values, 1, true, &out, &changed, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a list"));
	assert_int_equal(pdns_txt_merge(NULL, bad, 1, true, &out, &changed, err, sizeof err), -1);
	assert_non_null(strstr(err, "printable"));
	json_decref(obj);
}

/* ---- options ---- */

static struct http_client *client(void)
{
	struct http_options ho = { .timeout_s = 10 };
	struct http_client *h = http_client_new(&ho);

	assert_non_null(h);
	return h;
}

static void refused(const struct pdns_options *o, const char *why)
{
	char err[512] = "";

	assert_null(solver_pdns_new(o, err, sizeof err));
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, "Key-"));
	assert_null(strstr(err, KEY));
}

static void test_options(void **state)
{
	struct http_client *h = client();
	struct pdns_options o = { .api_url = "http://127.0.0.1:8081", .api_key = KEY, .http = h };
	char err[512] = "";
	struct solver *s;

	refused(NULL, "HTTP client");
	o.http = NULL;
	refused(&o, "HTTP client");
	o.http = h;
	o.api_url = NULL;
	refused(&o, "API URL is missing");
	o.api_url = "ftp://127.0.0.1";
	refused(&o, "http:// or https://");
	o.api_url = "http://";
	refused(&o, "with a host");
	o.api_url = "http://127.0.0.1:8081/x y";
	refused(&o, "without query or spaces");
	o.api_url = "http://127.0.0.1:8081";
	o.api_key = "";
	refused(&o, "API key is missing");
	o.api_key = "pdnsTestKey-8c1f0e77d2b94a51 with space";
	refused(&o, "printable ASCII without spaces");
	o.api_key = "pdnsTestKey-8c1f0e77d2b94a51\r\nX-Injected: 1";
	refused(&o, "printable ASCII without spaces");
	o.api_key = KEY;
	o.server_id = "local/host";
	refused(&o, "server id");

	o.server_id = NULL;
	o.api_url = "https://pdns.example.test:8081/api/v1/";
	s = solver_pdns_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "pdns");
	assert_true(s->caps.appends);
	assert_true(s->caps.follows_cname);
	assert_int_equal(s->caps.batch_max, 0);
	assert_string_equal(s->where, "https://pdns.example.test:8081/api/v1/");
	solver_free(s);
	http_client_free(h);
}

/* ---- against a scripted HTTP server ---- */

static struct fake {
	pid_t pid;
	int port;
	char log[256];
} F;

/* Reads one request from c and appends "METHOD PATH\nkey=<X-API-Key>\n<body>\n==\n" to the log. */
static int fake_take(int c, FILE *log)
{
	static char buf[65536];
	size_t len = 0, need = 0;
	char *end = NULL;

	while (len < sizeof buf - 1) {
		ssize_t n = read(c, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= need)
			break;
	}
	if (!end)
		return -1;
	char *key = strcasestr(buf, "\r\nX-API-Key: ");
	fprintf(log, "%.*s\nkey=%.*s\n%s\n==\n", (int)strcspn(buf, "\r"), buf, key ? (int)strcspn(key + 13, "\r") : 0,
		key ? key + 13 : "", end + 4);
	fflush(log);
	return 0;
}

/* Starts the server: it answers the n responses ("STATUS\r\nEXTRA-HEADERS|BODY"), one per connection, then exits. */
static void fake_start(const char *const *responses, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(F.log, sizeof F.log, "/tmp/test_pdns.%ld.log", (long)getpid());
	unlink(F.log);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 8), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	F.port = ntohs(a.sin_port);
	F.pid = fork();
	assert_true(F.pid >= 0);
	if (F.pid == 0) {
		FILE *log = fopen(F.log, "w");
		alarm(30);
		for (size_t i = 0; log && i < n; i++) {
			int c = accept(l, NULL, NULL);
			const char *bar = strchr(responses[i], '|');
			char head[1024];
			if (c < 0 || fake_take(c, log) != 0)
				_exit(1);
			int hl = snprintf(head, sizeof head, "HTTP/1.1 %.*s\r\nContent-Type: application/json\r\n"
					  "Content-Length: %zu\r\nConnection: close\r\n\r\n", (int)(bar - responses[i]),
					  responses[i], strlen(bar + 1));
			if (write(c, head, (size_t)hl) != hl || write(c, bar + 1, strlen(bar + 1)) < 0)
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(l);
}

/* Waits for the server to have answered everything; returns its log (malloc'd). */
static char *fake_finish(void)
{
	int st = -1;
	char *text = NULL;
	size_t cap = 0;
	FILE *f;

	for (int i = 0; i < 50 && waitpid(F.pid, &st, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	if (st == -1) {
		kill(F.pid, SIGKILL);
		waitpid(F.pid, &st, 0);
		st = -1;
	}
	f = fopen(F.log, "r");
	if (f) {
		ssize_t n = getdelim(&text, &cap, '\0', f);
		if (n < 0) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	unlink(F.log);
	if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fail_msg("the scripted server did not get every request it expected; it saw:\n%s", text ? text : "");
	return text ? text : strdup("");
}

static struct solver *fake_solver(struct http_client *h)
{
	char url[64], err[256] = "";
	struct pdns_options o = { .api_key = KEY, .http = h };
	struct solver *s;

	snprintf(url, sizeof url, "http://127.0.0.1:%d", F.port);
	o.api_url = url;
	s = solver_pdns_new(&o, err, sizeof err);
	assert_non_null(s);
	return s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The body of the one PATCH in log, parsed. */
static json_t *patch_body(const char *log)
{
	const char *p = strstr(log, "PATCH ");
	const char *body = p ? strstr(p, "\n{") : NULL;
	json_t *j = body ? json_loadb(body + 1, strcspn(body + 1, "\n"), 0, NULL) : NULL;

	if (!j)
		fail_msg("no PATCH with a JSON body in:\n%s", log);
	return j;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Present with the zone known: a 503 with Retry-After is tried again; the PATCH carries the new set; PowerDNS's
 * 422 text is the error. */
static void test_present_retry_then_422(void **state)
{
	static const char *const answers[] = {
		"503 Service Unavailable\r\nRetry-After: 1|{\"error\": \"busy\"}",
		"200 OK|{\"name\": \"example.test.\", \"rrsets\": []}",
		"422 Unprocessable Entity|{\"error\": \"RRset _acme-challenge.example.test. IN TXT: Conflicts with "
		"pre-existing RRset\"}",
	};
	struct solver_record r = { "example.test", "_acme-challenge.example.test", V1, "_acme-challenge.example.test",
				   "example.test" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;
	double t0;
	json_t *b;

	fake_start(answers, 3);
	s = fake_solver(h);
	t0 = now_s();
	assert_int_equal(solver_present(s, &r, 1, err, sizeof err), -1);
	assert_true(now_s() - t0 >= 0.9);
	assert_non_null(strstr(err, "PATCH zone example.test.: PowerDNS refused it: RRset _acme-challenge.example.test."
				    " IN TXT: Conflicts with pre-existing RRset"));
	log = fake_finish();
	assert_int_equal(count(log, "GET /api/v1/servers/localhost/zones/example.test. HTTP/1.1"), 2);
	assert_int_equal(count(log, "PATCH /api/v1/servers/localhost/zones/example.test. HTTP/1.1"), 1);
	assert_int_equal(count(log, "key=" KEY "\n"), 3);
	b = patch_body(log);
	assert_json(b, "{\"rrsets\": [{\"name\": \"_acme-challenge.example.test.\", \"type\": \"TXT\", \"ttl\": 60,"
		       " \"changetype\": \"REPLACE\", \"records\": [{\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false}]}]}");
	json_decref(b);
	free(log);
	solver_free(s);
	http_client_free(h);
}

/* Clean-up without a known zone: the walk up from each name finds example.test.; one read and one PATCH for both
 * names, REPLACE with what is not ours (the TTL kept) and DELETE of the set that held only ours. */
static void test_cleanup_walkup_one_patch(void **state)
{
	static const char *const answers[] = {
		"404 Not Found|Not Found", "404 Not Found|Not Found", "200 OK|{\"name\": \"example.test.\"}",
		"404 Not Found|Not Found", "404 Not Found|Not Found", "200 OK|{\"name\": \"example.test.\"}",
		"200 OK|{\"name\": \"example.test.\", \"rrsets\": ["
		"{\"name\": \"_acme-challenge.a.example.test.\", \"type\": \"TXT\", \"ttl\": 300, \"records\": ["
		"{\"content\": \"\\\"other\\\"\", \"disabled\": false}, {\"content\": \"\\\"" V1 "\\\"\", \"disabled\": false}]},"
		"{\"name\": \"_acme-challenge.b.example.test.\", \"type\": \"TXT\", \"ttl\": 60, \"records\": ["
		"{\"content\": \"\\\"" V2 "\\\"\", \"disabled\": false}]},"
		"{\"name\": \"_acme-challenge.a.example.test.\", \"type\": \"A\", \"ttl\": 60, \"records\": ["
		"{\"content\": \"192.0.2.1\", \"disabled\": false}]}]}",
		"204 No Content|",
	};
	struct solver_record recs[] = {
		{ "a.example.test", "_acme-challenge.a.example.test", V1, NULL, NULL },
		{ "b.example.test", "_acme-challenge.B.example.test.", V2, NULL, NULL },
	};
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;
	json_t *b;

	fake_start(answers, 8);
	s = fake_solver(h);
	assert_int_equal(solver_cleanup(s, recs, 2, err, sizeof err), 0);
	log = fake_finish();
	assert_non_null(strstr(log, "GET /api/v1/servers/localhost/zones/_acme-challenge.a.example.test.?rrsets=false "));
	assert_non_null(strstr(log, "GET /api/v1/servers/localhost/zones/a.example.test.?rrsets=false "));
	assert_non_null(strstr(log, "GET /api/v1/servers/localhost/zones/b.example.test.?rrsets=false "));
	assert_int_equal(count(log, "GET /api/v1/servers/localhost/zones/example.test. HTTP"), 1);
	assert_int_equal(count(log, "PATCH "), 1);
	b = patch_body(log);
	assert_json(b, "{\"rrsets\": [{\"name\": \"_acme-challenge.a.example.test.\", \"type\": \"TXT\", \"ttl\": 300,"
		       " \"changetype\": \"REPLACE\", \"records\": [{\"content\": \"\\\"other\\\"\", \"disabled\": false}]},"
		       " {\"name\": \"_acme-challenge.b.example.test.\", \"type\": \"TXT\", \"changetype\": \"DELETE\"}]}");
	json_decref(b);
	free(log);
	solver_free(s);
	http_client_free(h);
}

/* 401: the message the user needs; a server that echoes the key does not get it into our error. */
static void test_refused_key_never_quoted(void **state)
{
	static const char *const answers[] = {
		"401 Unauthorized|Unauthorized",
		"400 Bad Request|{\"error\": \"the key " KEY " is not valid here\"}",
	};
	struct solver_record r = { "example.test", "_acme-challenge.example.test", V1, NULL, "example.test" };
	struct http_client *h = client();
	char err[512] = "";
	struct solver *s;

	fake_start(answers, 2);
	s = fake_solver(h);
	assert_int_equal(solver_present(s, &r, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "credentials refused by PowerDNS (X-API-Key)"));
	assert_null(strstr(err, KEY));
	assert_int_equal(solver_cleanup(s, &r, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "HTTP 400"));
	assert_non_null(strstr(err, "withheld"));
	assert_null(strstr(err, KEY));
	free(fake_finish());
	solver_free(s);
	http_client_free(h);
}

/* No zone anywhere up the name: present fails saying so; clean-up has nothing to do (once the server id is
 * confirmed). A 429 that does not stop is
 * given up after the bounded retries. */
static void test_no_zone_and_retries_bounded(void **state)
{
	static const char *const answers[] = {
		"404 Not Found|Not Found", "404 Not Found|Not Found", "404 Not Found|Not Found",
		"404 Not Found|Not Found", "404 Not Found|Not Found", "404 Not Found|Not Found",
		"404 Not Found|Not Found", "404 Not Found|Not Found", "200 OK|{\"id\": \"localhost\"}",
		"429 Too Many Requests\r\nRetry-After: 0|{}", "429 Too Many Requests\r\nRetry-After: 0|{}",
		"429 Too Many Requests\r\nRetry-After: 0|{}", "429 Too Many Requests\r\nRetry-After: 0|{}",
	};
	struct solver_record r = { "nozone.test", "_acme-challenge.x.nozone.test", V1, NULL, NULL };
	struct solver_record z = { "example.test", "_acme-challenge.example.test", V1, NULL, "example.test" };
	struct http_client *h = client();
	char err[512] = "";
	struct solver *s;

	fake_start(answers, 13);
	s = fake_solver(h);
	assert_int_equal(solver_present(s, &r, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "no zone for _acme-challenge.x.nozone.test. at PowerDNS"));
	assert_int_equal(solver_cleanup(s, &r, 1, err, sizeof err), 0);
	assert_int_equal(solver_present(s, &z, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "HTTP 429"));
	free(fake_finish());
	solver_free(s);
	http_client_free(h);
}

/* PowerDNS answers 404 for a zone of an unknown server id too: clean-up must not take that for "nothing there". */
static void test_cleanup_unknown_server_id(void **state)
{
	static const char *const answers[] = { "404 Not Found|Not Found", "404 Not Found|Not Found" };
	struct solver_record r = { "example.test", "_acme-challenge.example.test", V1, NULL, "example.test" };
	struct http_client *h = client();
	char err[512] = "", *log;
	struct solver *s;

	fake_start(answers, 2);
	s = fake_solver(h);
	assert_int_equal(solver_cleanup(s, &r, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "has no server id localhost"));
	log = fake_finish();
	assert_non_null(strstr(log, "GET /api/v1/servers/localhost HTTP/1.1"));
	free(log);
	solver_free(s);
	http_client_free(h);
}

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_merge_add_keeps_others),
		cmocka_unit_test(test_merge_add_no_duplicates),
		cmocka_unit_test(test_merge_add_disabled_value_refused),
		cmocka_unit_test(test_merge_remove_only_ours),
		cmocka_unit_test(test_merge_bad_input),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_present_retry_then_422),
		cmocka_unit_test(test_cleanup_walkup_one_patch),
		cmocka_unit_test(test_refused_key_never_quoted),
		cmocka_unit_test(test_no_zone_and_retries_bounded),
		cmocka_unit_test(test_cleanup_unknown_server_id),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

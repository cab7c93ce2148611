/* Tests for propagation.c: classification and chains on built packets, then one run against a real acme-dnsd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "propagation.h"
#include "propagation_int.h"

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define V_NEVER "NeverPublishedNeverPublishedNeverPublished0"
#define APEX "auth.example.test"
#define FQDN "_acme-challenge.example.test"

/* ---- built packets ---- */

/* An answer with rcode and AA, the answer RRs, then "|" and the authority RRs (NULL-terminated list). */
static ldns_pkt *pkt(ldns_pkt_rcode rc, bool aa, const char *const *rrs)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_section sec = LDNS_SECTION_ANSWER;

	assert_non_null(p);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, aa);
	ldns_pkt_set_rcode(p, (uint8_t)rc);
	for (size_t i = 0; rrs && rrs[i]; i++) {
		ldns_rr *rr = NULL;
		if (strcmp(rrs[i], "|") == 0) {
			sec = LDNS_SECTION_AUTHORITY;
			continue;
		}
		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 300, NULL, NULL), LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(p, sec, rr));
	}
	return p;
}

static const char *const VALS[2] = { V1, V2 };

static enum prop_state classify(ldns_pkt *p, const char *final, char *missing, char *detail)
{
	enum prop_state s = prop_classify(p, final, VALS, 2, "ns1.example.test 127.0.0.1", missing, 256, detail, 256);

	ldns_pkt_free(p);
	return s;
}

static void test_has_all(void **state)
{
	const char *rrs[] = { "x.example.test. 60 IN TXT \"" V2 "\"", "x.example.test. 60 IN TXT \"" V1 "\"", NULL };
	char missing[256], detail[256];

	assert_int_equal(classify(pkt(LDNS_RCODE_NOERROR, true, rrs), "x.example.test", missing, detail), PROP_HAS_ALL);
	assert_string_equal(missing, "");
}

static void test_one_missing(void **state)
{
	const char *rrs[] = { "x.example.test. 60 IN TXT \"" V1 "\"", NULL };
	char missing[256], detail[256];

	assert_int_equal(classify(pkt(LDNS_RCODE_NOERROR, true, rrs), "x.example.test", missing, detail), PROP_MISSING);
	assert_string_equal(missing, V2);
	assert_non_null(strstr(detail, "ns1.example.test 127.0.0.1: missing \"" V2 "\""));
}

static void test_lame_and_referral(void **state)
{
	const char *rrs[] = { "x.example.test. 60 IN TXT \"" V1 "\"", "x.example.test. 60 IN TXT \"" V2 "\"", NULL };
	const char *ref[] = { "|", "example.test. 60 IN NS ns9.elsewhere.test.", NULL };
	char missing[256], detail[256];

	assert_int_equal(classify(pkt(LDNS_RCODE_NOERROR, false, rrs), "x.example.test", missing, detail), PROP_LAME);
	assert_string_equal(detail, "not authoritative (no AA)");
	assert_int_equal(classify(pkt(LDNS_RCODE_NOERROR, false, ref), "x.example.test", missing, detail), PROP_LAME);
	assert_non_null(strstr(detail, "referral"));
}

static void test_rcodes(void **state)
{
	const char *soa[] = { "|", "example.test. 60 IN SOA ns1.example.test. h.example.test. 1 3600 600 604800 30",
			      NULL };
	char missing[256], detail[256];

	assert_int_equal(classify(pkt(LDNS_RCODE_REFUSED, false, NULL), "x.example.test", missing, detail),
			 PROP_REFUSED);
	assert_int_equal(classify(pkt(LDNS_RCODE_SERVFAIL, false, NULL), "x.example.test", missing, detail),
			 PROP_SERVFAIL);
	assert_int_equal(classify(pkt(LDNS_RCODE_FORMERR, true, NULL), "x.example.test", missing, detail), PROP_ERROR);
	assert_int_equal(classify(pkt(LDNS_RCODE_NXDOMAIN, true, soa), "x.example.test", missing, detail),
			 PROP_MISSING);
	assert_string_equal(missing, V1);
	assert_non_null(strstr(detail, "NXDOMAIN"));
}

static void test_cname_in_answer(void **state)
{
	const char *rrs[] = { "_acme-challenge.example.test. 60 IN CNAME Sub.Auth.example.test.",
			      "sub.auth.example.test. 1 IN TXT \"" V1 "\"", "sub.auth.example.test. 1 IN TXT \"" V2 "\"",
			      NULL };
	const char *wrong[] = { "_acme-challenge.example.test. 60 IN CNAME sub.auth.example.test.",
				"other.auth.example.test. 1 IN TXT \"" V1 "\"", "other.auth.example.test. 1 IN TXT \"" V2 "\"",
				NULL };
	char missing[256], detail[256], next[PROP_NAME_MAX];
	ldns_pkt *p = pkt(LDNS_RCODE_NOERROR, true, rrs);

	assert_int_equal(prop_chain_step(p, FQDN, next, sizeof next), 1);
	assert_string_equal(next, "sub.auth.example.test");
	assert_int_equal(prop_chain_step(p, next, next, sizeof next), 0);
	assert_int_equal(classify(p, FQDN, missing, detail), PROP_HAS_ALL);
	assert_int_equal(classify(pkt(LDNS_RCODE_NOERROR, true, wrong), FQDN, missing, detail), PROP_MISSING);
}

static void test_dname(void **state)
{
	const char *rrs[] = { "example.test. 60 IN DNAME example.net.", NULL };
	const char *root[] = { "_acme-challenge.example.test. 60 IN DNAME .", NULL };
	char next[PROP_NAME_MAX];
	ldns_pkt *p = pkt(LDNS_RCODE_NOERROR, true, rrs);

	assert_int_equal(prop_chain_step(p, "_acme-challenge.www.Example.test", next, sizeof next), 1);
	assert_string_equal(next, "_acme-challenge.www.example.net");
	/* The owner itself is not below the DNAME. */
	assert_int_equal(prop_chain_step(p, "example.test", next, sizeof next), 0);
	assert_int_equal(prop_chain_step(p, "xexample.test", next, sizeof next), 0);
	ldns_pkt_free(p);
	p = pkt(LDNS_RCODE_NOERROR, true, root);
	assert_int_equal(prop_chain_step(p, "a.b._acme-challenge.example.test", next, sizeof next), 1);
	assert_string_equal(next, "a.b");
	ldns_pkt_free(p);
}

static void test_chain_loop_and_length(void **state)
{
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024], name[64];

	assert_non_null(t);
	assert_int_equal(prop_chain_add(t, "a.example.test.", err, sizeof err), 0);
	assert_int_equal(prop_chain_add(t, "B.example.test", err, sizeof err), 0);
	assert_string_equal(t->final, "b.example.test");
	assert_int_equal(prop_chain_add(t, "a.example.test", err, sizeof err), -1);
	assert_string_equal(err, "CNAME loop: a.example.test -> b.example.test -> a.example.test");
	memset(t, 0, sizeof *t);
	for (int i = 0; i < PROP_MAX_CHAIN; i++) {
		snprintf(name, sizeof name, "n%d.example.test", i);
		assert_int_equal(prop_chain_add(t, name, err, sizeof err), 0);
	}
	assert_int_equal(prop_chain_add(t, "one-more.example.test", err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than"));
	assert_int_equal(t->chain_len, PROP_MAX_CHAIN);
	free(t);
}

static void test_negative_ttl(void **state)
{
	ldns_rr *rr = NULL;

	assert_int_equal(ldns_rr_new_frm_str(&rr, "z.test. 300 IN SOA ns.z.test. h.z.test. 7 3600 600 604800 60", 0,
					     NULL, NULL), LDNS_STATUS_OK);
	assert_int_equal(prop_negative_ttl(rr), 60);
	ldns_rr_set_ttl(rr, 20);
	assert_int_equal(prop_negative_ttl(rr), 20);
	ldns_rr_free(rr);
	assert_int_equal(prop_negative_ttl(NULL), 0);
}

static void test_serials(void **state)
{
	struct prop_target *t = calloc(1, sizeof *t);

	assert_non_null(t);
	t->n_servers = 3;
	t->servers[0] = (struct prop_server){ .state = PROP_HAS_ALL, .serial = 5 };
	t->servers[1] = (struct prop_server){ .state = PROP_HAS_ALL, .serial = 4 };
	t->servers[2] = (struct prop_server){ .state = PROP_MISSING, .serial = 6 };
	prop_mark_serials(t);
	assert_int_equal(t->servers[0].state, PROP_OLD_SERIAL);
	assert_int_equal(t->servers[1].state, PROP_OLD_SERIAL);
	assert_int_equal(t->servers[2].state, PROP_MISSING);
	t->servers[0] = (struct prop_server){ .state = PROP_HAS_ALL, .serial = 6 };
	t->servers[1] = (struct prop_server){ .state = PROP_HAS_ALL, .serial = 6 };
	prop_mark_serials(t);
	assert_int_equal(t->servers[0].state, PROP_HAS_ALL);
	assert_int_equal(t->servers[1].state, PROP_HAS_ALL);
	free(t);
}

static void test_state_names(void **state)
{
	const char *want[] = { "ok", "missing", "old-serial", "timeout", "refused", "servfail", "lame", "error" };

	for (int s = PROP_HAS_ALL; s <= PROP_ERROR; s++)
		assert_string_equal(prop_state_name((enum prop_state)s), want[s]);
}

static void test_report_json(void **state)
{
	struct prop_target *t = calloc(1, sizeof *t);
	json_t *j, *o, *srv;
	char err[256];

	assert_non_null(t);
	snprintf(t->name, sizeof t->name, FQDN);
	assert_int_equal(prop_chain_add(t, FQDN, err, sizeof err), 0);
	assert_int_equal(prop_chain_add(t, "x." APEX, err, sizeof err), 0);
	snprintf(t->zone, sizeof t->zone, APEX);
	t->negative_ttl = 1;
	t->n_servers = 1;
	t->servers[0] = (struct prop_server){ .ns = "ns1.example.test", .addr = "127.0.0.1", .state = PROP_MISSING,
					      .serial = 3, .missing = V1, .detail = "missing" };
	assert_non_null(j = prop_report_json(t, 1));
	assert_int_equal(json_array_size(j), 1);
	o = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "name")), FQDN);
	assert_string_equal(json_string_value(json_object_get(o, "final")), "x." APEX);
	assert_int_equal(json_array_size(json_object_get(o, "chain")), 2);
	assert_string_equal(json_string_value(json_object_get(o, "zone")), APEX);
	assert_int_equal(json_integer_value(json_object_get(o, "negative_ttl")), 1);
	assert_true(json_is_false(json_object_get(o, "done")));
	srv = json_array_get(json_object_get(o, "servers"), 0);
	assert_string_equal(json_string_value(json_object_get(srv, "ns")), "ns1.example.test");
	assert_string_equal(json_string_value(json_object_get(srv, "address")), "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(srv, "state")), "missing");
	assert_int_equal(json_integer_value(json_object_get(srv, "serial")), 3);
	assert_string_equal(json_string_value(json_object_get(srv, "missing")), V1);
	assert_non_null(json_object_get(srv, "detail"));
	json_decref(j);
	free(t);
}

/* ---- against a real acme-dnsd (the approach of test_acmedns.c) ---- */

static struct env {
	char dir[256], zones[300], cfg[300], log[300];
	char api_url[64], res4[64];
	int dns_port, api_port;
	pid_t pid;
	struct http_client *http;
	char fulldomain[256], subdomain[128], username[128], password[128];
	bool up;
} E;

static void daemon_stop(void)
{
	int st;

	if (E.pid <= 0)
		return;
	kill(E.pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(E.pid, &st, WNOHANG) == E.pid) {
			E.pid = 0;
			return;
		}
		usleep(100 * 1000);
	}
	kill(E.pid, SIGKILL);
	waitpid(E.pid, &st, 0);
	E.pid = 0;
}

/* Binds 127.0.0.1 with type at port (0 = any); returns the fd and sets *port, or -1. */
static int bind_port(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port free for TCP and UDP on 127.0.0.1, or -1. */
static int free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		int p = 0, t = bind_port(SOCK_STREAM, &p), u = t >= 0 ? bind_port(SOCK_DGRAM, &p) : -1;
		if (t >= 0)
			close(t);
		if (u >= 0) {
			close(u);
			return p;
		}
	}
	return -1;
}

static int write_file(const char *path, const char *text)
{
	char tmp[400];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* example.test with ns1 at 127.0.0.1, line (the CNAME, or nothing), and a TXT RRset at big.example.test too
 * large for a UDP answer without EDNS (BIG_COUNT values "big-NN-" and 193 'x's). */
#define BIG_COUNT 8
static int write_zone(int serial, const char *line)
{
	char text[8192], path[400], xs[194];
	size_t used;

	memset(xs, 'x', 193);
	xs[193] = '\0';
	used = (size_t)snprintf(text, sizeof text,
				"$ORIGIN example.test.\n$TTL 300\n"
				"@ IN SOA ns1.example.test. hostmaster.example.test. %d 3600 600 604800 60\n"
				"  IN NS ns1.example.test.\nns1 IN A 127.0.0.1\n%s\n", serial, line);
	for (int i = 0; i < BIG_COUNT && used < sizeof text; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "big IN TXT \"big-%02d-%s\"\n", i, xs);
	snprintf(path, sizeof path, "%s/example.test.zone", E.zones);
	return write_file(path, text);
}

static int write_config(void)
{
	char text[2048];

	snprintf(text, sizeof text,
		 "dns:\n  listen: [\"127.0.0.1:%d\"]\n  zone: " APEX "\n  ns_name: ns1.example.test\n"
		 "  admin: hostmaster.example.test\n  zones_dir: %s\n  challenge_ttl: 1\n  negative_ttl: 1\n"
		 "api:\n  listen: \"127.0.0.1:%d\"\n  registration: true\n"
		 "store:\n  path: %s/acme-dnsd.db\n  values_kept: 2\n"
		 "log:\n  level: debug\n  format: text\n",
		 E.dns_port, E.zones, E.api_port, E.dir);
	return write_file(E.cfg, text);
}

static int daemon_start(void)
{
	const char *build = getenv("ADNS_BUILD");
	char bin[400];

	snprintf(bin, sizeof bin, "%s/acme-dnsd", build && *build ? build : "build");
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "# %s not found: make build/acme-dnsd (or set ADNS_BUILD)\n", bin);
		return -1;
	}
	E.pid = fork();
	if (E.pid == 0) {
		int fd = open(E.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test, even when it crashes */
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "-c", E.cfg, (char *)NULL);
		_exit(127);
	}
	return E.pid > 0 ? 0 : -1;
}

/* Waits (30 s at most) until GET /health answers 200. */
static int daemon_ready(void)
{
	char url[128], err[256];
	int st;

	snprintf(url, sizeof url, "%s/health", E.api_url);
	for (int i = 0; i < 300; i++) {
		struct http_response r;
		if (waitpid(E.pid, &st, WNOHANG) == E.pid) {
			E.pid = 0;
			return -1;
		}
		if (http_request(E.http, "GET", url, NULL, NULL, 0, NULL, &r, err, sizeof err) == 0) {
			long status = r.status;
			http_response_clear(&r);
			if (status == 200)
				return 0;
		}
		usleep(100 * 1000);
	}
	return -1;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* POST /register, then the CNAME to the new name in example.test. */
static int register_and_link(void)
{
	char url[128], err[256], line[400];
	struct http_response r;
	json_t *j;
	int rc = -1;

	snprintf(url, sizeof url, "%s/register", E.api_url);
	if (http_request(E.http, "POST", url, NULL, NULL, 0, NULL, &r, err, sizeof err) != 0)
		return -1;
	if (r.status == 201 && (j = json_loads(r.body, 0, NULL))) {
		snprintf(E.fulldomain, sizeof E.fulldomain, "%s", jstr(j, "fulldomain"));
		snprintf(E.subdomain, sizeof E.subdomain, "%s", jstr(j, "subdomain"));
		snprintf(E.username, sizeof E.username, "%s", jstr(j, "username"));
		snprintf(E.password, sizeof E.password, "%s", jstr(j, "password"));
		json_decref(j);
		rc = 0;
	}
	http_response_clear(&r);
	snprintf(line, sizeof line, "_acme-challenge IN CNAME %s.", E.fulldomain);
	if (rc == 0 && (write_zone(2, line) != 0 || kill(E.pid, SIGHUP) != 0))
		rc = -1;
	return rc;
}

static int env_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct http_options ho = { .timeout_s = 10 };

	log_setup(LOG_LVL_WARN, 0);
	unsetenv("http_proxy"), unsetenv("https_proxy"), unsetenv("HTTP_PROXY"), unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY"), unsetenv("all_proxy");
	setenv("NO_PROXY", "*", 1);
	atexit(daemon_stop);
	snprintf(E.dir, sizeof E.dir, "%s/adns-prop.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(E.dir))
		return -1;
	snprintf(E.zones, sizeof E.zones, "%s/zones", E.dir);
	snprintf(E.cfg, sizeof E.cfg, "%s/acme-dnsd.yaml", E.dir);
	snprintf(E.log, sizeof E.log, "%s/acme-dnsd.log", E.dir);
	E.dns_port = free_port();
	E.api_port = free_port();
	if (E.dns_port < 0 || E.api_port < 0 || E.api_port == E.dns_port || mkdir(E.zones, 0755) != 0)
		return -1;
	snprintf(E.api_url, sizeof E.api_url, "http://127.0.0.1:%d", E.api_port);
	snprintf(E.res4, sizeof E.res4, "127.0.0.1:%d", E.dns_port);
	if (!(E.http = http_client_new(&ho)) || write_zone(1, "") != 0 || write_config() != 0 || daemon_start() != 0 ||
	    daemon_ready() != 0 || register_and_link() != 0) {
		daemon_stop();
		return -1;
	}
	E.up = true;
	return 0;
}

static int env_teardown(void **state)
{
	daemon_stop();
	http_client_free(E.http);
	if (getenv("KEEP_TMP")) {
		fprintf(stderr, "# kept %s\n", E.dir);
		return 0;
	}
	return nftw(E.dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* POST /update with the account's credentials. */
static void update_txt(const char *value)
{
	char url[128], err[256], body[256], user[200], key[200];
	const char *hdrs[] = { user, key, NULL };
	struct http_response r;

	snprintf(url, sizeof url, "%s/update", E.api_url);
	snprintf(user, sizeof user, "X-Api-User: %s", E.username);
	snprintf(key, sizeof key, "X-Api-Key: %s", E.password);
	snprintf(body, sizeof body, "{\"subdomain\":\"%s\",\"txt\":\"%s\"}", E.subdomain, value);
	assert_int_equal(http_request(E.http, "POST", url, "application/json", body, strlen(body), hdrs, &r, err,
				      sizeof err), 0);
	assert_int_equal(r.status, 200);
	http_response_clear(&r);
}

static struct prop_opts live_opts(int timeout_s)
{
	return (struct prop_opts){ .resolvers = { E.res4 }, .n_resolvers = 1, .query_timeout_ms = 1000,
				   .timeout_s = timeout_s, .interval_s = 1, .check_resolvers = true,
				   .serials_must_match = true, .port = (uint16_t)E.dns_port };
}

/* Waits (10 s at most) until the reloaded zone shows the CNAME: the daemon reloads on SIGHUP asynchronously. */
static void wait_chain(const struct prop_opts *o)
{
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "";

	assert_non_null(t);
	snprintf(t->name, sizeof t->name, FQDN);
	for (int i = 0; i < 100; i++) {
		if (prop_resolve(o, t, err, sizeof err) == 0 && t->chain_len == 2)
			break;
		usleep(100 * 1000);
	}
	if (t->chain_len != 2)
		fail_msg("no CNAME at " FQDN " after 10 s (%s)", err);
	free(t);
}

static void test_live_sees_value(void **state)
{
	struct prop_opts o = live_opts(10);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "";

	assert_true(E.up);
	assert_non_null(t);
	wait_chain(&o);
	update_txt(V1);
	snprintf(t->name, sizeof t->name, FQDN);
	t->values[0] = V1;
	t->n_values = 1;
	if (prop_wait(&o, t, 1, err, sizeof err) != 0)
		fail_msg("prop_wait: %s", err);
	if (getenv("ADNS_TEST_VERBOSE")) {
		json_t *j = prop_report_json(t, 1);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		print_message("# %s\n", text ? text : "(no report)");
		free(text);
		json_decref(j);
	}
	assert_int_equal(t->chain_len, 2);
	assert_string_equal(t->final, E.fulldomain);
	assert_string_equal(t->zone, APEX);
	assert_int_equal(t->n_servers, 1);
	assert_string_equal(t->servers[0].ns, "ns1.example.test");
	assert_string_equal(t->servers[0].addr, "127.0.0.1");
	assert_int_equal(t->servers[0].state, PROP_HAS_ALL);
	assert_true(t->servers[0].serial > 0);
	assert_true(t->done);
	free(t);
}

static void test_live_times_out(void **state)
{
	struct prop_opts o = live_opts(2);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "";

	assert_true(E.up);
	assert_non_null(t);
	snprintf(t->name, sizeof t->name, FQDN);
	t->values[0] = V1;
	t->values[1] = V_NEVER;
	t->n_values = 2;
	assert_int_equal(prop_wait(&o, t, 1, err, sizeof err), -1);
	if (getenv("ADNS_TEST_VERBOSE"))
		print_message("# %s\n", err);
	if (!strstr(err, "127.0.0.1") || !strstr(err, V_NEVER))
		fail_msg("want 127.0.0.1 and the value in: %s", err);
	assert_int_equal(t->servers[0].state, PROP_MISSING);
	assert_string_equal(t->servers[0].missing, V_NEVER);
	free(t);
}

static volatile sig_atomic_t stop_now = 1;

static void count_rounds(void *ctx, const struct prop_target *t, size_t n, int round, int elapsed_s)
{
	*(int *)ctx = round;
	assert_int_equal(n, 1);
	assert_non_null(t);
}

static void test_live_cancel(void **state)
{
	struct prop_opts o = live_opts(30);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "";
	int rounds = 0;

	assert_true(E.up);
	assert_non_null(t);
	o.cancel = &stop_now;
	o.progress = count_rounds;
	o.progress_ctx = &rounds;
	snprintf(t->name, sizeof t->name, FQDN);
	t->values[0] = V_NEVER;
	t->n_values = 1;
	assert_int_equal(prop_wait(&o, t, 1, err, sizeof err), -1);
	assert_int_equal(rounds, 1);
	if (!strstr(err, "interrupted"))
		fail_msg("want \"interrupted\" in: %s", err);
	free(t);
}

/* The authoritative server agrees, but a resolver does not answer: the wait names that resolver. */
static void test_live_resolver_lags(void **state)
{
	struct prop_opts o = live_opts(2);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "", closed[64];
	int p = free_port();

	assert_true(E.up);
	assert_non_null(t);
	assert_true(p > 0);
	snprintf(closed, sizeof closed, "127.0.0.1:%d", p);
	o.resolvers[o.n_resolvers++] = closed;
	snprintf(t->name, sizeof t->name, FQDN);
	t->values[0] = V1;
	t->n_values = 1;
	assert_int_equal(prop_wait(&o, t, 1, err, sizeof err), -1);
	if (getenv("ADNS_TEST_VERBOSE"))
		print_message("# %s\n", err);
	if (!strstr(err, closed) || !strstr(err, "resolver"))
		fail_msg("want resolver %s in: %s", closed, err);
	assert_int_equal(t->servers[0].state, PROP_HAS_ALL);
	assert_false(t->done);
	free(t);
}

/* Nothing listens at the direct port: the server times out (or errors), it never counts as done. */
static void test_live_server_silent(void **state)
{
	struct prop_opts o = live_opts(1);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "";
	int p = free_port();

	assert_true(E.up);
	assert_non_null(t);
	snprintf(t->name, sizeof t->name, FQDN);
	t->values[0] = V1;
	t->n_values = 1;
	assert_int_equal(prop_resolve(&o, t, err, sizeof err), 0);
	o.port = (uint16_t)p;
	assert_int_equal(prop_round(&o, t, 1), 0);
	if (getenv("ADNS_TEST_VERBOSE"))
		print_message("# %s: %s\n", prop_state_name(t->servers[0].state), t->servers[0].detail);
	assert_true(t->servers[0].state == PROP_TIMEOUT || t->servers[0].state == PROP_ERROR);
	assert_false(t->done);
	free(t);
}

/* The answer at big.example.test does not fit in 512 bytes: the round must retry over TCP to see the last value. */
static void test_live_truncated(void **state)
{
	struct prop_opts o = live_opts(5);
	struct prop_target *t = calloc(1, sizeof *t);
	char err[1024] = "", first[256], last[256];

	assert_true(E.up);
	assert_non_null(t);
	snprintf(first, sizeof first, "big-00-%0193d", 0);
	snprintf(last, sizeof last, "big-%02d-%0193d", BIG_COUNT - 1, 0);
	for (char *p = first + 7; *p; p++)
		*p = 'x';
	for (char *p = last + 7; *p; p++)
		*p = 'x';
	snprintf(t->name, sizeof t->name, "big.example.test");
	t->values[0] = first;
	t->values[1] = last;
	t->n_values = 2;
	o.serials_must_match = false;
	if (prop_wait(&o, t, 1, err, sizeof err) != 0)
		fail_msg("prop_wait: %s", err);
	assert_string_equal(t->zone, "example.test");
	assert_int_equal(t->chain_len, 1);
	assert_int_equal(t->negative_ttl, 60);
	free(t);
}

int main(void)
{
	const struct CMUnitTest offline[] = {
		cmocka_unit_test(test_has_all),
		cmocka_unit_test(test_one_missing),
		cmocka_unit_test(test_lame_and_referral),
		cmocka_unit_test(test_rcodes),
		cmocka_unit_test(test_cname_in_answer),
		cmocka_unit_test(test_dname),
		cmocka_unit_test(test_chain_loop_and_length),
		cmocka_unit_test(test_negative_ttl),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_report_json),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_sees_value),
		cmocka_unit_test(test_live_times_out),
		cmocka_unit_test(test_live_cancel),
		cmocka_unit_test(test_live_resolver_lags),
		cmocka_unit_test(test_live_server_silent),
		cmocka_unit_test(test_live_truncated),
	};
	int failed = cmocka_run_group_tests_name("propagation offline", offline, NULL, NULL);

	return failed + cmocka_run_group_tests_name("propagation live", live, env_setup, env_teardown);
}

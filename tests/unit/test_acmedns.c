/* Tests for the acme-dns solver, solver.c and dnscheck.c against a real acme-dnsd on loopback ports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acmedns.h"
#include "dnscheck.h"
#include "http.h"
#include "log.h"
#include "solver.h"

#define APEX "auth.example.test"
#define FQDN "_acme-challenge.example.test"
/* 43 base64url characters, as a DNS-01 value is. */
#define V_BASE "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V_WILD "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define V_LEGO "LegoLegoLegoLegoLegoLegoLegoLegoLegoLego123"
#define V_NEVER "NeverPublishedNeverPublishedNeverPublished0"
#define WRONG_KEY "WrongWrongWrongWrongWrongWrongWrongWrong"

struct creds {
	char fulldomain[256], subdomain[128], username[128], password[128];
};

/* The daemon and everything around it, shared by the tests in order. */
static struct env {
	char dir[256];
	char zones[300], cfg[300], log[300], storage[300], storage2[300];
	char api_url[64], res4[64], res6[64], closed[64];
	int dns_port, api_port;
	bool have_v6;
	pid_t pid;
	struct http_client *http;
	struct dnscheck_opts dns;
	struct creds acct;              /* example.test's account, from test_register */
} E;

/* ---- processes, ports, files ---- */

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

/* Binds 127.0.0.1 (or ::1) with type at port (0 = any); returns the fd and sets *port, or -1. */
static int bind_port(int family, int type, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)*port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)*port);
		a->sin6_addr = in6addr_loopback;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A port free for TCP and UDP on 127.0.0.1 (and UDP/TCP on ::1 when want6), or -1. */
static int free_port(bool want6)
{
	for (int tries = 0; tries < 50; tries++) {
		int p = 0, fds[4], n = 0, ok = 1;
		fds[n++] = bind_port(AF_INET, SOCK_STREAM, &p);
		if (fds[0] < 0)
			continue;
		fds[n++] = bind_port(AF_INET, SOCK_DGRAM, &p);
		if (want6) {
			fds[n++] = bind_port(AF_INET6, SOCK_DGRAM, &p);
			fds[n++] = bind_port(AF_INET6, SOCK_STREAM, &p);
		}
		for (int i = 0; i < n; i++) {
			ok &= fds[i] >= 0;
			if (fds[i] >= 0)
				close(fds[i]);
		}
		if (ok)
			return p;
	}
	return -1;
}

static bool ipv6_loopback(void)
{
	int p = 0, fd = bind_port(AF_INET6, SOCK_DGRAM, &p);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[400];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || chmod(tmp, mode) != 0)
		return -1;
	return rename(tmp, path);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = f ? calloc(1, 1 << 20) : NULL;

	if (buf)
		fread(buf, 1, (1 << 20) - 1, f);
	if (f)
		fclose(f);
	return buf;
}

/* The zone example.test, with line appended (a CNAME, or nothing), and a TXT RRset at big.example.test too
 * large for a UDP answer without EDNS (BIG_COUNT values of 200 characters: "big-NN-" and 'x's). */
#define BIG_COUNT 8
static int write_zone(int serial, const char *line)
{
	char text[8192], path[400], xs[201];
	size_t used;

	memset(xs, 'x', 200);
	xs[200] = '\0';
	used = (size_t)snprintf(text, sizeof text,
				"$ORIGIN example.test.\n$TTL 300\n"
				"@ IN SOA ns1." APEX ". hostmaster.example.test. %d 3600 600 604800 60\n"
				"  IN NS ns1." APEX ".\n  IN A 127.0.0.1\n%s\n", serial, line);
	for (int i = 0; i < BIG_COUNT && used < sizeof text; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "big IN TXT \"big-%02d-%.193s\"\n", i, xs);
	snprintf(path, sizeof path, "%s/example.test.zone", E.zones);
	return write_file(path, text, 0644);
}

static int write_config(void)
{
	char text[2048], six[128] = "";

	if (E.have_v6)
		snprintf(six, sizeof six, ", \"[::1]:%d\"", E.dns_port);
	snprintf(text, sizeof text,
		 "dns:\n  listen: [\"127.0.0.1:%d\"%s]\n  zone: " APEX "\n  ns_name: ns1." APEX "\n"
		 "  admin: hostmaster.example.test\n  zones_dir: %s\n  challenge_ttl: 1\n  negative_ttl: 1\n"
		 "api:\n  listen: \"127.0.0.1:%d\"\n  registration: true\n"
		 "store:\n  path: %s/acme-dnsd.db\n  values_kept: 2\n"
		 "log:\n  level: debug\n  format: text\n",
		 E.dns_port, six, E.zones, E.api_port, E.dir);
	return write_file(E.cfg, text, 0644);
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

/* Waits (30 s at most) until GET /health answers 200 and DNS answers. */
static int daemon_ready(void)
{
	char url[128], err[256], target[256];
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
			if (status == 200 &&
			    dnscheck_cname(&E.dns, "example.test", target, sizeof target, err, sizeof err) == 0)
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

static void print_daemon_log(void)
{
	char *text = read_file(E.log);

	if (text)
		fprintf(stderr, "# --- acme-dnsd log ---\n%s", strlen(text) > 4000 ? text + strlen(text) - 4000 : text);
	free(text);
}

static int env_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct http_options ho = { .timeout_s = 10 };
	int p;

	log_setup(LOG_LVL_WARN, 0);
	/* Loopback only: no proxy may see the API traffic. */
	unsetenv("http_proxy"), unsetenv("https_proxy"), unsetenv("HTTP_PROXY"), unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY"), unsetenv("all_proxy");
	setenv("NO_PROXY", "*", 1);
	atexit(daemon_stop);
	snprintf(E.dir, sizeof E.dir, "%s/adns-acmedns.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(E.dir))
		return -1;
	snprintf(E.zones, sizeof E.zones, "%s/zones", E.dir);
	snprintf(E.cfg, sizeof E.cfg, "%s/acme-dnsd.yaml", E.dir);
	snprintf(E.log, sizeof E.log, "%s/acme-dnsd.log", E.dir);
	snprintf(E.storage, sizeof E.storage, "%s/accounts.json", E.dir);
	snprintf(E.storage2, sizeof E.storage2, "%s/lego-accounts.json", E.dir);
	E.have_v6 = ipv6_loopback();
	E.dns_port = free_port(E.have_v6);
	E.api_port = free_port(false);
	p = free_port(false); /* nothing will listen here */
	if (E.dns_port < 0 || E.api_port < 0 || p < 0 || E.api_port == E.dns_port || mkdir(E.zones, 0755) != 0)
		return -1;
	snprintf(E.api_url, sizeof E.api_url, "http://127.0.0.1:%d", E.api_port);
	snprintf(E.res4, sizeof E.res4, "127.0.0.1:%d", E.dns_port);
	snprintf(E.res6, sizeof E.res6, "[::1]:%d", E.dns_port);
	snprintf(E.closed, sizeof E.closed, "127.0.0.1:%d", p);
	E.dns = (struct dnscheck_opts){ .resolvers = { E.res4 }, .n_resolvers = 1, .query_timeout_ms = 1000,
					 .timeout_s = 10, .interval_s = 1 };
	if (!(E.http = http_client_new(&ho)) || write_zone(1, "") != 0 || write_config() != 0 || daemon_start() != 0)
		return -1;
	if (daemon_ready() != 0) {
		print_daemon_log();
		daemon_stop();
		return -1;
	}
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

/* ---- helpers ---- */

/* Shows a message the code under test produced (ADNS_TEST_VERBOSE=1), for reading them once. */
static void show(const char *what, const char *msg)
{
	if (getenv("ADNS_TEST_VERBOSE"))
		print_message("# %s: %s\n", what, msg);
}

static struct acmedns_options opts(const char *storage)
{
	return (struct acmedns_options){ .api_url = E.api_url, .storage_path = storage, .http = E.http, .dns = &E.dns };
}

static struct solver *solver_ok(const struct acmedns_options *o)
{
	char err[512] = "";
	struct solver *s = solver_acmedns_new(o, err, sizeof err);

	if (!s)
		fail_msg("solver_acmedns_new: %s", err);
	assert_true(s->caps.appends);
	assert_int_equal(s->caps.batch_max, 0);
	return s;
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* POST /register by hand, as any client would. */
static void raw_register(struct creds *c)
{
	char url[128], err[256];
	struct http_response r;
	json_t *j;

	snprintf(url, sizeof url, "%s/register", E.api_url);
	assert_int_equal(http_request(E.http, "POST", url, NULL, NULL, 0, NULL, &r, err, sizeof err), 0);
	assert_int_equal(r.status, 201);
	assert_non_null(j = json_loads(r.body, 0, NULL));
	snprintf(c->fulldomain, sizeof c->fulldomain, "%s", jstr(j, "fulldomain"));
	snprintf(c->subdomain, sizeof c->subdomain, "%s", jstr(j, "subdomain"));
	snprintf(c->username, sizeof c->username, "%s", jstr(j, "username"));
	snprintf(c->password, sizeof c->password, "%s", jstr(j, "password"));
	json_decref(j);
	http_response_clear(&r);
}

/* Waits (10 s at most) until the challenge name is a CNAME to want. */
static void wait_cname(const char *want)
{
	char target[256] = "", err[512] = "";

	for (int i = 0; i < 100; i++) {
		int rc = dnscheck_cname(&E.dns, FQDN, target, sizeof target, err, sizeof err);
		if (rc == 1 && strcmp(target, want) == 0)
			return;
		usleep(100 * 1000);
	}
	fail_msg("CNAME at %s: want %s, have \"%s\" (%s)", FQDN, want, target, err);
}

/* dnscheck_wait_txt for one value with a 1 s timeout: 0 if it shows, -1 if not. */
static int txt_shows(const char *fqdn, const char *value, char *err, size_t errlen)
{
	struct dnscheck_opts o = E.dns;
	struct dnscheck_item it = { fqdn, value };

	o.timeout_s = 1;
	return dnscheck_wait_txt(&o, &it, 1, err, errlen);
}

/* ---- solver.c with a fake adapter ---- */

struct fake {
	size_t calls, sizes[8];
	int fail_at;                    /* 1-based call that fails, 0 = none */
};

static int fake_call(struct solver *s, size_t n, char *errbuf, size_t errlen)
{
	struct fake *f = s->priv;

	f->sizes[f->calls++] = n;
	if ((int)f->calls >= f->fail_at && f->fail_at > 0) {
		snprintf(errbuf, errlen, "fake failure in call %zu", f->calls);
		return -1;
	}
	return 0;
}

static int fake_present(struct solver *s, const struct solver_record *r, size_t n, char *e, size_t l)
{
	return fake_call(s, n, e, l);
}

static void fake_destroy(struct solver *s)
{
	((struct fake *)s->priv)->calls = 99;
}

static void test_solver_batches(void **state)
{
	static const struct solver_ops ops = { "fake", fake_present, fake_present, fake_destroy };
	struct fake f = { 0 };
	struct solver s = { .ops = &ops, .caps = { .appends = true, .batch_max = 2 }, .priv = &f };
	struct solver_record recs[5] = { { "a", "_acme-challenge.a", V_BASE, NULL, NULL } };
	char err[128] = "";

	assert_int_equal(solver_present(&s, recs, 5, err, sizeof err), 0);
	assert_int_equal(f.calls, 3);
	assert_int_equal(f.sizes[0], 2);
	assert_int_equal(f.sizes[2], 1);
	/* present stops at the first failure; cleanup keeps going and reports the first. */
	f = (struct fake){ .fail_at = 2 };
	assert_int_equal(solver_present(&s, recs, 5, err, sizeof err), -1);
	assert_int_equal(f.calls, 2);
	f = (struct fake){ .fail_at = 2 };
	assert_int_equal(solver_cleanup(&s, recs, 5, err, sizeof err), -1);
	assert_int_equal(f.calls, 3);
	assert_string_equal(err, "fake failure in call 2");
	s.caps.batch_max = 0;
	f = (struct fake){ 0 };
	assert_int_equal(solver_present(&s, recs, 5, err, sizeof err), 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.sizes[0], 5);
	assert_int_equal(solver_present(&s, recs, 0, err, sizeof err), 0);
	assert_int_equal(f.calls, 1);
	solver_free(&s);
	assert_int_equal(f.calls, 99);
	solver_free(NULL);
}

/* ---- registration and the storage file ---- */

static const char *const other_entry =
	"{\n  \"other.test\": {\n    \"fulldomain\": \"x.auth.example.test\",\n    \"subdomain\": \"x\",\n"
	"    \"username\": \"u\",\n    \"password\": \"p\",\n    \"server_url\": \"\",\n"
	"    \"extra\": [1, 2]\n  }\n}\n";

static void check_storage_entry(json_t *e)
{
	char want[300];

	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 5);
	assert_non_null(jstr(e, "fulldomain"));
	assert_non_null(jstr(e, "subdomain"));
	assert_non_null(jstr(e, "username"));
	assert_non_null(jstr(e, "password"));
	assert_string_equal(jstr(e, "server_url"), E.api_url);
	assert_int_equal(strlen(jstr(e, "password")), 40);
	snprintf(want, sizeof want, "%s." APEX, jstr(e, "subdomain"));
	assert_string_equal(jstr(e, "fulldomain"), want);
}

static void test_register(void **state)
{
	struct acmedns_options o = opts(E.storage);
	char cname[300], want[400], err[512] = "", *before, *after;
	struct stat st;
	json_t *root, *e, *other = json_loads(other_entry, 0, NULL);

	assert_int_equal(write_file(E.storage, other_entry, 0600), 0);
	assert_int_equal(acmedns_register(&o, "example.test", cname, sizeof cname, err, sizeof err), 1);
	assert_int_equal(stat(E.storage, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_non_null(root = json_load_file(E.storage, 0, NULL));
	assert_int_equal(json_object_size(root), 2);
	/* The entry we did not write is kept as it was, unknown members included. */
	assert_true(json_equal(json_object_get(root, "other.test"), json_object_get(other, "other.test")));
	check_storage_entry(e = json_object_get(root, "example.test"));
	snprintf(E.acct.fulldomain, sizeof E.acct.fulldomain, "%s", jstr(e, "fulldomain"));
	snprintf(E.acct.subdomain, sizeof E.acct.subdomain, "%s", jstr(e, "subdomain"));
	snprintf(E.acct.username, sizeof E.acct.username, "%s", jstr(e, "username"));
	snprintf(E.acct.password, sizeof E.acct.password, "%s", jstr(e, "password"));
	snprintf(want, sizeof want, FQDN ". CNAME %s.", E.acct.fulldomain);
	assert_string_equal(cname, want);
	json_decref(root);
	json_decref(other);
	/* Again (any spelling of the name): the account is reused, the file untouched. */
	before = read_file(E.storage);
	assert_int_equal(acmedns_register(&o, "*.Example.TEST.", cname, sizeof cname, err, sizeof err), 0);
	assert_string_equal(cname, want);
	after = read_file(E.storage);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A storage file that is not JSON is reported with its line, and left alone. */
static void test_register_broken_storage(void **state)
{
	char path[400], cname[300], err[512] = "", *after;
	struct acmedns_options o;

	snprintf(path, sizeof path, "%s/broken.json", E.dir);
	o = opts(path);
	assert_int_equal(write_file(path, "{\n  \"a.test\": {\"fulldomain\": \n", 0600), 0);
	assert_int_equal(acmedns_register(&o, "example.test", cname, sizeof cname, err, sizeof err), -1);
	show("register, broken storage", err);
	assert_non_null(strstr(err, "broken.json:"));
	assert_non_null(after = read_file(path));
	assert_string_equal(after, "{\n  \"a.test\": {\"fulldomain\": \n");
	free(after);
	assert_int_equal(write_file(path, "[]", 0600), 0);
	assert_int_equal(acmedns_register(&o, "example.test", cname, sizeof cname, err, sizeof err), -1);
	assert_non_null(strstr(err, "expected a JSON object"));
}

/* ---- present before the CNAME exists, and registration from present ---- */

static void test_present_needs_setup(void **state)
{
	struct acmedns_options o = opts(E.storage);
	struct solver_record base = { "example.test", FQDN, V_BASE, NULL, NULL };
	struct solver_record unknown = { "unknown.test", "_acme-challenge.unknown.test", V_BASE, NULL, NULL };
	struct solver_record fresh = { "fresh.test", "_acme-challenge.fresh.test", V_BASE, NULL, NULL };
	char err[1024] = "", want[400];
	struct solver *s = solver_ok(&o);
	json_t *root;

	assert_int_equal(solver_present(s, &base, 1, err, sizeof err), SOLVER_NEEDS_SETUP);
	snprintf(want, sizeof want, FQDN ". CNAME %s.", E.acct.fulldomain);
	show("present, no CNAME", err);
	if (!strstr(err, want) || !strstr(err, "has no CNAME"))
		fail_msg("want \"%s\" in: %s", want, err);
	assert_int_equal(solver_present(s, &unknown, 1, err, sizeof err), SOLVER_NEEDS_SETUP);
	show("present, no account", err);
	assert_non_null(strstr(err, "acme-dns-cli register -d unknown.test"));
	solver_free(s);

	o.allow_register = true;
	s = solver_ok(&o);
	assert_int_equal(solver_present(s, &fresh, 1, err, sizeof err), SOLVER_NEEDS_SETUP);
	assert_non_null(root = json_load_file(E.storage, 0, NULL));
	assert_int_equal(json_object_size(root), 3);
	check_storage_entry(json_object_get(root, "fresh.test"));
	snprintf(want, sizeof want, "_acme-challenge.fresh.test. CNAME %s.",
		 jstr(json_object_get(root, "fresh.test"), "fulldomain"));
	show("present, registered", err);
	if (!strstr(err, want) || !strstr(err, "registered a new acme-dns account for fresh.test"))
		fail_msg("want \"%s\" in: %s", want, err);
	assert_null(strstr(err, jstr(json_object_get(root, "fresh.test"), "password")));
	json_decref(root);
	solver_free(s);
}

/* ---- the CNAME, wrong then right; present, wait, clean up ---- */

static void test_present_wrong_cname(void **state)
{
	struct acmedns_options o = opts(E.storage);
	struct solver_record base = { "example.test", FQDN, V_BASE, NULL, NULL };
	char err[1024] = "", want[400];
	struct solver *s = solver_ok(&o);

	assert_int_equal(write_zone(2, "_acme-challenge IN CNAME Elsewhere." APEX "."), 0);
	assert_int_equal(kill(E.pid, SIGHUP), 0);
	wait_cname("elsewhere." APEX);
	assert_int_equal(solver_present(s, &base, 1, err, sizeof err), SOLVER_NEEDS_SETUP);
	snprintf(want, sizeof want, "is a CNAME to elsewhere." APEX ", not to the acme-dns account's name; change it"
		 " to: " FQDN ". CNAME %s.", E.acct.fulldomain);
	show("present, wrong CNAME", err);
	if (!strstr(err, want))
		fail_msg("want \"%s\" in: %s", want, err);
	solver_free(s);
}

static void progress_count(void *ctx, int elapsed, int timeout, size_t missing, const char *first)
{
	(*(int *)ctx)++;
	assert_non_null(first);
}

static void test_present_and_wait(void **state)
{
	struct acmedns_options o = opts(E.storage);
	struct solver_record recs[2] = { { "example.test", FQDN, V_BASE, NULL, NULL }, { "example.test", FQDN, V_WILD, NULL, NULL } };
	struct dnscheck_item items[2] = { { FQDN, V_BASE }, { FQDN ".", V_WILD } };
	struct dnscheck_opts dns = E.dns;
	char err[1024] = "", line[400], upper[300];
	int rounds = 0;
	struct solver *s;

	/* The CNAME target in another case and with its dot must still match. */
	snprintf(upper, sizeof upper, "%s", E.acct.fulldomain);
	for (char *p = upper; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	snprintf(line, sizeof line, "_acme-challenge IN CNAME %s.", upper);
	assert_int_equal(write_zone(3, line), 0);
	assert_int_equal(kill(E.pid, SIGHUP), 0);
	wait_cname(E.acct.fulldomain);

	s = solver_ok(&o);
	if (solver_present(s, recs, 2, err, sizeof err) != 0)
		fail_msg("present: %s", err);
	if (E.have_v6)
		dns.resolvers[dns.n_resolvers++] = E.res6;
	dns.progress = progress_count;
	dns.progress_ctx = &rounds;
	if (dnscheck_wait_txt(&dns, items, 2, err, sizeof err) != 0)
		fail_msg("wait: %s", err);
	assert_true(rounds >= 1);
	solver_free(s);
}

static void test_cleanup(void **state)
{
	struct acmedns_options o = opts(E.storage);
	struct solver_record recs[2] = { { "example.test", FQDN, V_BASE, NULL, NULL }, { "example.test", FQDN, V_WILD, NULL, NULL } };
	struct solver *s = solver_ok(&o);
	char err[1024] = "";

	if (solver_cleanup(s, recs, 2, err, sizeof err) != 0)
		fail_msg("cleanup: %s", err);
	assert_int_equal(txt_shows(FQDN, V_BASE, err, sizeof err), -1);
	assert_int_equal(txt_shows(FQDN, V_WILD, err, sizeof err), -1);
	/* Removing again: the server answers 404, which is fine. */
	assert_int_equal(solver_cleanup(s, recs, 2, err, sizeof err), 0);
	solver_free(s);
}

/* ---- a storage file written by lego (goacmedns) ---- */

/* The shape of goacmedns's storage/testdata/accounts.json, with a live account in one entry. */
static void write_lego_storage(const struct creds *c, const char *server_url)
{
	char text[2048];

	snprintf(text, sizeof text,
		 "{\n  \"lettuceencrypt.org\": {\n    \"fulldomain\": \"lettuceencrypt.org\",\n"
		 "    \"subdomain\": \"tossed.lettuceencrypt.org\",\n    \"username\": \"cpu\",\n"
		 "    \"password\": \"hunter2\",\n    \"server_url\": \"https://auth.acme-dns.io\"\n  },\n"
		 "  \"lego.test\": {\n    \"fulldomain\": \"%s\",\n    \"subdomain\": \"%s\",\n"
		 "    \"username\": \"%s\",\n    \"password\": \"%s\",\n    \"server_url\": \"%s\"\n  }\n}\n",
		 c->fulldomain, c->subdomain, c->username, c->password, server_url);
	assert_int_equal(write_file(E.storage2, text, 0600), 0);
}

static void test_lego_storage(void **state)
{
	struct acmedns_options o = opts(E.storage2);
	struct solver_record rec = { "lego.test", "_acme-challenge.lego.test", V_LEGO, NULL, NULL };
	struct creds c;
	char err[1024] = "";
	struct solver *s;

	raw_register(&c);
	write_lego_storage(&c, E.api_url);
	/* No API URL configured: the account's server_url is used. No CNAME: the check is skipped. */
	o.api_url = NULL;
	o.skip_cname_check = true;
	s = solver_ok(&o);
	if (solver_present(s, &rec, 1, err, sizeof err) != 0)
		fail_msg("present: %s", err);
	if (txt_shows(c.fulldomain, V_LEGO, err, sizeof err) != 0)
		fail_msg("wait: %s", err);
	assert_int_equal(solver_cleanup(s, &rec, 1, err, sizeof err), 0);
	assert_int_equal(txt_shows(c.fulldomain, V_LEGO, err, sizeof err), -1);
	solver_free(s);

	/* The legacy shape (empty server_url) needs the URL from the options. */
	write_lego_storage(&c, "");
	assert_int_equal(acmedns_update(&o, "lego.test", V_LEGO, err, sizeof err), -1);
	show("update, legacy file without URL", err);
	assert_non_null(strstr(err, "no API URL"));
	o.api_url = E.api_url;
	if (acmedns_update(&o, "lego.test", V_LEGO, err, sizeof err) != 0)
		fail_msg("update: %s", err);
	if (txt_shows(c.fulldomain, V_LEGO, err, sizeof err) != 0)
		fail_msg("wait: %s", err);
}

/* ---- a wrong password: a clear error that does not hold it ---- */

static void test_wrong_password(void **state)
{
	struct acmedns_options o = opts(E.storage2);
	struct solver_record rec = { "lego.test", "_acme-challenge.lego.test", V_BASE, NULL, NULL };
	struct creds c = E.acct;
	char err[1024] = "", logpath[400], *logged;
	int saved = dup(2), fd;
	struct solver *s;

	snprintf(c.password, sizeof c.password, "%s", WRONG_KEY);
	write_lego_storage(&c, E.api_url);
	o.skip_cname_check = true;
	s = solver_ok(&o);
	/* Everything the library logs meanwhile goes to a file we search for the key. */
	snprintf(logpath, sizeof logpath, "%s/client.log", E.dir);
	assert_true((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	log_setup(LOG_LVL_DEBUG, 0);
	dup2(fd, 2);
	assert_int_equal(solver_present(s, &rec, 1, err, sizeof err), -1);
	dup2(saved, 2);
	log_setup(LOG_LVL_WARN, 0);
	close(fd);
	close(saved);
	show("present, wrong key", err);
	if (!strstr(err, "HTTP 401 forbidden") || !strstr(err, c.subdomain))
		fail_msg("unclear error: %s", err);
	assert_null(strstr(err, WRONG_KEY));
	assert_null(strstr(err, E.acct.password));
	assert_non_null(logged = read_file(logpath));
	assert_null(strstr(logged, WRONG_KEY));
	free(logged);
	assert_int_equal(acmedns_update(&o, "lego.test", V_BASE, err, sizeof err), -1);
	assert_non_null(strstr(err, "401"));
	assert_null(strstr(err, WRONG_KEY));
	assert_int_equal(solver_cleanup(s, &rec, 1, err, sizeof err), -1);
	show("cleanup, wrong key", err);
	assert_null(strstr(err, WRONG_KEY));
	solver_free(s);
}

/* ---- dnscheck on its own ---- */

/* An RRset that does not fit 512 bytes comes truncated over UDP; the check asks again over TCP. */
static void test_wait_truncated(void **state)
{
	char value[201], err[1024] = "";

	memset(value, 'x', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	memcpy(value, "big-07-", 7); /* the last of BIG_COUNT */
	if (txt_shows("big.example.test", value, err, sizeof err) != 0)
		fail_msg("wait: %s", err);
}

static void test_wait_timeout(void **state)
{
	struct dnscheck_opts o = E.dns;
	struct dnscheck_item it = { FQDN, V_NEVER };
	char err[1024] = "", want[300];
	struct timespec t0, t1;
	long ms;

	o.timeout_s = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dnscheck_wait_txt(&o, &it, 1, err, sizeof err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 900 && ms < 4000);
	show("wait, timeout", err);
	snprintf(want, sizeof want, FQDN " TXT \"" V_NEVER "\" not seen at %s", E.res4);
	if (!strstr(err, want))
		fail_msg("want \"%s\" in: %s", want, err);

	/* A resolver that does not answer is named, with why. */
	o.resolvers[0] = E.closed;
	assert_int_equal(dnscheck_wait_txt(&o, &it, 1, err, sizeof err), -1);
	show("wait, closed port", err);
	snprintf(want, sizeof want, "not seen at %s (", E.closed);
	if (!strstr(err, want))
		fail_msg("want \"%s\" in: %s", want, err);
}

static void test_dnscheck_cname(void **state)
{
	struct dnscheck_opts o = E.dns;
	char target[256], err[512];

	assert_int_equal(dnscheck_cname(&o, "example.test", target, sizeof target, err, sizeof err), 0);
	assert_int_equal(dnscheck_cname(&o, "nx.example.test.", target, sizeof target, err, sizeof err), 0);
	/* The first resolver that answers counts. */
	o.resolvers[0] = E.closed;
	o.resolvers[1] = E.res4;
	o.n_resolvers = 2;
	assert_int_equal(dnscheck_cname(&o, FQDN, target, sizeof target, err, sizeof err), 1);
	assert_string_equal(target, E.acct.fulldomain);
	assert_int_equal(dnscheck_cname(&o, FQDN, target, 8, err, sizeof err), -1);
	o.n_resolvers = 1;
	assert_int_equal(dnscheck_cname(&o, FQDN, target, sizeof target, err, sizeof err), -1);
	show("cname, closed port", err);
	assert_non_null(strstr(err, E.closed));
	o.resolvers[0] = "127.0.0.1:99999";
	assert_int_equal(dnscheck_cname(&o, FQDN, target, sizeof target, err, sizeof err), -1);
	show("cname, bad port", err);
	assert_non_null(strstr(err, "127.0.0.1:99999"));
	o.resolvers[0] = "resolver.example";
	assert_int_equal(dnscheck_cname(&o, FQDN, target, sizeof target, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a numeric IP address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_solver_batches),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_register_broken_storage),
		cmocka_unit_test(test_present_needs_setup),
		cmocka_unit_test(test_present_wrong_cname),
		cmocka_unit_test(test_present_and_wait),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_lego_storage),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_wait_truncated),
		cmocka_unit_test(test_dnscheck_cname),
	};
	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}

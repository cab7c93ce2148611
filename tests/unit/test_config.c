/* Configuration loading: defaults, every key's accepted values and errors, with the file:line: key: prefix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "tsig.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lines 1-5. */
#define DNS                                 \
	"dns:\n"                            \
	"  listen: [\"127.0.0.1:53\"]\n"    \
	"  zone: auth.example.org\n"        \
	"  ns_name: ns1.auth.example.org\n" \
	"  admin: hostmaster.example.org\n"
/* Two lines. */
#define STORE "store:\n  path: /var/lib/acme-dnsd/acme.db\n"
/* Lines 1-7; whatever follows starts on line 8. */
#define MIN DNS STORE

static char path[PATH_MAX];

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

/* Writes text to a new file in dir (the temporary directory when NULL) and sets path to it. */
static void write_config_in(const char *dir, const char *text)
{
	snprintf(path, sizeof(path), "%s/adns-config-XXXXXX", dir ? dir : tmp_dir());
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct config *load(const char *text, char *err, size_t errlen)
{
	write_config_in(NULL, text);
	struct config *cfg = config_load(path, err, errlen);
	unlink(path);
	return cfg;
}

static struct config *load_ok(const char *text)
{
	char err[512] = "";
	struct config *cfg = load(text, err, sizeof(err));
	if (!cfg)
		fail_msg("unexpected error: %s\n--- config:\n%s", err, text);
	return cfg;
}

/* want is what follows "PATH:", e.g. "3: dns.zone: missing value"; a prefix of the message is enough. */
static void expect_error(const char *text, const char *want)
{
	char err[512] = "", full[PATH_MAX + 512];
	struct config *cfg = load(text, err, sizeof(err));
	if (cfg) {
		config_free(cfg);
		fail_msg("loaded, wanted the error \"%s\"\n--- config:\n%s", want, text);
	}
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strncmp(err, full, strlen(full)) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"\n--- config:\n%s", err, full, text);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void test_defaults(void **state)
{
	struct config *cfg = load_ok(MIN);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->n_dns_listen, 1);
	assert_string_equal(cfg->dns_listen[0].text, "127.0.0.1:53");
	assert_true(cfg->dns_listen[0].udp && cfg->dns_listen[0].tcp);
	assert_string_equal(cfg->zone, "auth.example.org");
	assert_string_equal(cfg->ns_name, "ns1.auth.example.org");
	assert_string_equal(cfg->admin, "hostmaster.example.org");
	assert_null(cfg->zones_dir);
	assert_int_equal(cfg->challenge_ttl, 1);
	assert_int_equal(cfg->negative_ttl, 60);
	assert_int_equal(cfg->tcp_idle_timeout, 10);
	assert_int_equal(cfg->tcp_max_queries, 100);
	assert_int_equal(cfg->tcp_max_conns_per_client, 16);
	assert_int_equal(cfg->udp_workers, 0);
	assert_int_equal(cfg->edns_max_payload, 1232);
	assert_int_equal(cfg->rrl_rate, 0);
	assert_int_equal(cfg->rrl_burst, 0);
	assert_int_equal(cfg->rrl_slip, 2);
	assert_int_equal(cfg->rrl_ipv4_prefix, 24);
	assert_int_equal(cfg->rrl_ipv6_prefix, 56);
	assert_true(cfg->api_enabled);
	assert_string_equal(cfg->api_text, "127.0.0.1:8080");
	assert_int_equal(cfg->api_addr.ss_family, AF_INET);
	assert_int_equal(port_of(&cfg->api_addr), 8080);
	assert_int_equal(cfg->api_addrlen, sizeof(struct sockaddr_in));
	assert_null(cfg->tls_cert);
	assert_null(cfg->tls_key);
	assert_true(cfg->registration);
	assert_int_equal(cfg->register_rate, 0);
	assert_int_equal(cfg->n_trusted_proxies, 0);
	assert_string_equal(cfg->proxy_header, "X-Forwarded-For");
	assert_int_equal(cfg->max_body, 4096);
	assert_int_equal(cfg->max_headers, 8192);
	assert_int_equal(cfg->max_connections, 512);
	assert_int_equal(cfg->api_max_conns_per_client, 32);
	assert_int_equal(cfg->api_timeout, 10);
	assert_string_equal(cfg->store_path, "/var/lib/acme-dnsd/acme.db");
	assert_int_equal(cfg->values_kept, 2);
	assert_int_equal(cfg->max_value_age, 0);
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_false(cfg->log_json);
	assert_null(cfg->user);
	config_free(cfg);
}

static const char full_config[] = "# every key\n"
				  "dns:\n"
				  "  listen:\n"
				  "    - \"127.0.0.1:53\"\n"
				  "    - \"[::1]:53\"\n"
				  "    - {address: \"0.0.0.0:5353\", proto: udp}\n"
				  "    - address: \"[2001:db8::1]:5353\"\n"
				  "      proto: tcp\n"
				  "    - {address: \"10.0.0.1:53\", proto: both}\n"
				  "  zone: Auth.Example.ORG.\n"
				  "  ns_name: NS1.auth.example.org.\n"
				  "  admin: hostmaster@Example.org\n"
				  "  zones_dir: /etc/acme-dnsd/zones\n"
				  "  challenge_ttl: 30s\n"
				  "  negative_ttl: 5m\n"
				  "  tcp_idle_timeout: 1h\n"
				  "  tcp_max_queries: 65535\n"
				  "  tcp_max_connections_per_client: 0\n"
				  "  udp_workers: 64\n"
				  "  edns_max_payload: 4096\n"
				  "  rrl:\n"
				  "    rate: 20\n"
				  "    burst: 40\n"
				  "    slip: 0\n"
				  "    ipv4_prefix: 32\n"
				  "    ipv6_prefix: 64\n"
				  "api:\n"
				  "  listen: \"[::]:443\"\n"
				  "  tls:\n"
				  "    cert: /etc/acme-dnsd/api.crt\n"
				  "    key: /etc/acme-dnsd/api.key\n"
				  "  registration: no\n"
				  "  register_rate: 10\n"
				  "  trusted_proxies: [\"127.0.0.1/32\", \"::1/128\", \"10.1.2.3/8\"]\n"
				  "  proxy_header: X-Real-IP\n"
				  "  max_body: 1048576\n"
				  "  max_headers: 1024\n"
				  "  max_connections: 1\n"
				  "  max_connections_per_client: 65535\n"
				  "  timeout: 300\n"
				  "store:\n"
				  "  path: postgres://acme@db.example.org/acme\n"
				  "  values_kept: 16\n"
				  "  max_value_age: 7d\n"
				  "log:\n"
				  "  level: debug\n"
				  "  format: json\n"
				  "user: acme-dnsd\n";

static void check_full_listen(const struct config *cfg)
{
	assert_int_equal(cfg->n_dns_listen, 5);
	const struct config_listen *l = cfg->dns_listen;
	assert_string_equal(l[0].text, "127.0.0.1:53");
	assert_true(l[0].udp && l[0].tcp);
	assert_string_equal(l[1].text, "[::1]:53");
	assert_int_equal(l[1].addr.ss_family, AF_INET6);
	assert_int_equal(l[1].addrlen, sizeof(struct sockaddr_in6));
	assert_true(l[1].udp && l[1].tcp);
	assert_string_equal(l[2].text, "0.0.0.0:5353");
	assert_true(l[2].udp && !l[2].tcp);
	assert_int_equal(port_of(&l[2].addr), 5353);
	assert_string_equal(l[3].text, "[2001:db8::1]:5353");
	assert_true(!l[3].udp && l[3].tcp);
	assert_true(l[4].udp && l[4].tcp);
}

static void test_every_key(void **state)
{
	struct config *cfg = load_ok(full_config);
	check_full_listen(cfg);
	assert_string_equal(cfg->zone, "auth.example.org");
	assert_string_equal(cfg->ns_name, "ns1.auth.example.org");
	assert_string_equal(cfg->admin, "hostmaster.example.org");
	assert_string_equal(cfg->zones_dir, "/etc/acme-dnsd/zones");
	assert_int_equal(cfg->challenge_ttl, 30);
	assert_int_equal(cfg->negative_ttl, 300);
	assert_int_equal(cfg->tcp_idle_timeout, 3600);
	assert_int_equal(cfg->tcp_max_queries, 65535);
	assert_int_equal(cfg->tcp_max_conns_per_client, 0);
	assert_int_equal(cfg->udp_workers, 64);
	assert_int_equal(cfg->edns_max_payload, 4096);
	assert_int_equal(cfg->rrl_rate, 20);
	assert_int_equal(cfg->rrl_burst, 40);
	assert_int_equal(cfg->rrl_slip, 0);
	assert_int_equal(cfg->rrl_ipv4_prefix, 32);
	assert_int_equal(cfg->rrl_ipv6_prefix, 64);
	assert_true(cfg->api_enabled);
	assert_string_equal(cfg->api_text, "[::]:443");
	assert_int_equal(cfg->api_addr.ss_family, AF_INET6);
	assert_int_equal(port_of(&cfg->api_addr), 443);
	assert_string_equal(cfg->tls_cert, "/etc/acme-dnsd/api.crt");
	assert_string_equal(cfg->tls_key, "/etc/acme-dnsd/api.key");
	assert_false(cfg->registration);
	assert_int_equal(cfg->register_rate, 10);
	assert_int_equal(cfg->n_trusted_proxies, 3);
	assert_int_equal(cfg->trusted_proxies[0].family, AF_INET);
	assert_int_equal(cfg->trusted_proxies[1].family, AF_INET6);
	assert_int_equal(cfg->trusted_proxies[1].prefix, 128);
	assert_int_equal(cfg->trusted_proxies[2].prefix, 8);
	assert_int_equal(cfg->trusted_proxies[2].addr[3], 0); /* host bits cleared */
	assert_string_equal(cfg->proxy_header, "X-Real-IP");
	assert_int_equal(cfg->max_body, 1048576);
	assert_int_equal(cfg->max_headers, 1024);
	assert_int_equal(cfg->max_connections, 1);
	assert_int_equal(cfg->api_max_conns_per_client, 65535);
	assert_int_equal(cfg->api_timeout, 300);
	assert_string_equal(cfg->store_path, "postgres://acme@db.example.org/acme");
	assert_int_equal(cfg->values_kept, 16);
	assert_int_equal(cfg->max_value_age, 7 * 86400);
	assert_int_equal(cfg->log_level, LOG_LVL_DEBUG);
	assert_true(cfg->log_json);
	assert_string_equal(cfg->user, "acme-dnsd");
	config_free(cfg);
}

/* The example shipped with the package must load as it is. */
static void test_example_file(void **state)
{
	char err[512] = "";
	struct config *cfg = config_load("acme-dns/acme-dnsd.yaml.example", err, sizeof(err));
	if (!cfg) {
		cfg = config_load("../../acme-dns/acme-dnsd.yaml.example", err, sizeof(err));
		if (!cfg && strstr(err, "cannot open"))
			skip();
	}
	if (!cfg)
		fail_msg("%s", err);
	assert_true(cfg->n_dns_listen >= 1);
	assert_non_null(cfg->zones_dir);
	assert_true(cfg->zones_dir[0] == '/');
	config_free(cfg);
}

static void test_listen_forms(void **state)
{
	struct config *cfg = load_ok("dns:\n"
				     "  listen:\n"
				     "    - 127.0.0.1:5300\n"
				     "    - '[::1]:5300'\n"
				     "    -\n"
				     "      proto: tcp\n"
				     "      address: 192.0.2.1:53\n"
				     "  zone: auth.example.org\n"
				     "  ns_name: ns1.auth.example.org\n"
				     "  admin: hostmaster.example.org\n" STORE);
	assert_int_equal(cfg->n_dns_listen, 3);
	assert_int_equal(port_of(&cfg->dns_listen[0].addr), 5300);
	assert_int_equal(cfg->dns_listen[1].addr.ss_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&cfg->dns_listen[1].addr)->sin6_addr));
	assert_string_equal(cfg->dns_listen[2].text, "192.0.2.1:53");
	assert_true(!cfg->dns_listen[2].udp && cfg->dns_listen[2].tcp);
	config_free(cfg);

	/* Exactly 16 addresses are fine. */
	char text[2048];
	int n = snprintf(text, sizeof(text), "dns:\n  listen:\n");
	for (int i = 0; i < CONFIG_MAX_LISTEN; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "    - 127.0.0.%d:53\n", i + 1);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s", "  zone: a.org\n  ns_name: ns.a.org\n  admin: h.a.org\n" STORE);
	cfg = load_ok(text);
	assert_int_equal(cfg->n_dns_listen, CONFIG_MAX_LISTEN);
	config_free(cfg);
}

static void test_listen_errors(void **state)
{
	char text[2048];
	int n = snprintf(text, sizeof(text), "dns:\n  listen:\n");
	for (int i = 0; i <= CONFIG_MAX_LISTEN; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "    - 127.0.0.%d:53\n", i + 1);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s", "  zone: a.org\n  ns_name: ns.a.org\n  admin: h.a.org\n" STORE);
	expect_error(text, "2: dns.listen: needs 1 to 16 entries, found 17");

#define DNS_REST "  zone: a.org\n  ns_name: ns.a.org\n  admin: h.a.org\n" STORE
	expect_error("dns:\n  listen: []\n" DNS_REST, "2: dns.listen: needs 1 to 16 entries, found 0");
	expect_error("dns:\n  listen: 127.0.0.1:53\n" DNS_REST, "2: dns.listen: expected a list, found a single value");
	expect_error("dns:\n  listen:\n" DNS_REST, "2: dns.listen: expected a list, found a single value");
	expect_error("dns:\n  listen: {address: 127.0.0.1:53}\n" DNS_REST, "2: dns.listen: expected a list, found a mapping");
	expect_error("dns:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1\n" DNS_REST,
		     "4: dns.listen[1]: missing port");
	expect_error("dns:\n  listen:\n    - 127.0.0.1:53\n    - '::1:53'\n" DNS_REST,
		     "4: dns.listen[1]: an IPv6 address needs brackets");
	expect_error("dns:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1:0\n" DNS_REST,
		     "4: dns.listen[1]: the port must be a number from 1 to 65535");
	expect_error("dns:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1:65536\n" DNS_REST,
		     "4: dns.listen[1]: the port must be");
	expect_error("dns:\n  listen:\n    - localhost:53\n" DNS_REST, "3: dns.listen[0]: not an IPv4 address");
	expect_error("dns:\n  listen:\n    - '[fe80::1%eth0]:53'\n" DNS_REST, "3: dns.listen[0]: not an IPv6 address");
	expect_error("dns:\n  listen:\n    - [127.0.0.1:53]\n" DNS_REST,
		     "3: dns.listen[0]: expected a single value, found a list");
	expect_error("dns:\n  listen:\n    -\n" DNS_REST, "3: dns.listen[0]: missing value");
	expect_error("dns:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1:54\n    - {proto: udp}\n" DNS_REST,
		     "5: dns.listen[2].address: missing required key");
	expect_error("dns:\n  listen:\n    - {address: 127.0.0.1:53, proto: sctp}\n" DNS_REST,
		     "3: dns.listen[0].proto: \"sctp\" is not udp, tcp or both");
	expect_error("dns:\n  listen:\n    - address: 127.0.0.1:53\n      proto: udp\n      port: 53\n" DNS_REST,
		     "5: dns.listen[0].port: unknown key");
	expect_error("dns:\n  listen:\n    - address: 127.0.0.1:53\n      address: 127.0.0.1:54\n" DNS_REST,
		     "4: dns.listen[0].address: duplicate key");
	expect_error("dns:\n  listen:\n    - {address: 127.0.0.1:99999}\n" DNS_REST,
		     "3: dns.listen[0].address: the port must be");
	expect_error("dns:\n  listen:\n    - {address: [a], proto: udp}\n" DNS_REST,
		     "3: dns.listen[0].address: expected a single value, found a list");
#undef DNS_REST
}

static void test_ns_addresses(void **state)
{
	struct config *cfg = load_ok("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: ns.a.org\n"
				     "  ns_addresses: [192.0.2.1, '2001:db8::1']\n  admin: h.a.org\n" STORE);
	assert_int_equal(cfg->n_ns_addresses, 2);
	assert_string_equal(cfg->ns_addresses[0], "192.0.2.1");
	assert_string_equal(cfg->ns_addresses[1], "2001:db8::1");
	config_free(cfg);
	cfg = load_ok("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: a.org\n"
		      "  ns_addresses: [192.0.2.1]\n  admin: h.a.org\n" STORE);
	assert_int_equal(cfg->n_ns_addresses, 1);
	config_free(cfg);
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: ns.a.org\n"
		     "  ns_addresses: [ns.a.org]\n  admin: h.a.org\n" STORE,
		     "5: dns.ns_addresses[0]: \"ns.a.org\" is not an IPv4 or IPv6 address");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: ns.a.org\n"
		     "  ns_addresses: []\n  admin: h.a.org\n" STORE,
		     "5: dns.ns_addresses: needs 1 to 16 entries, found 0");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: ns.b.org\n"
		     "  ns_addresses:\n    - 192.0.2.1\n  admin: h.a.org\n" STORE,
		     "5: dns.ns_addresses: dns.ns_name ns.b.org is outside dns.zone a.org");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: nsa.org\n"
		     "  ns_addresses: [192.0.2.1]\n  admin: h.a.org\n" STORE,
		     "5: dns.ns_addresses: dns.ns_name nsa.org is outside dns.zone a.org");
}

static void test_names(void **state)
{
	struct config *cfg = load_ok("dns:\n  listen: [127.0.0.1:53]\n  zone: ACME.Example.COM.\n"
				     "  ns_name: ns-1.acme.example.com\n  admin: root.example.com.\n" STORE);
	assert_string_equal(cfg->zone, "acme.example.com");
	assert_string_equal(cfg->ns_name, "ns-1.acme.example.com");
	assert_string_equal(cfg->admin, "root.example.com");
	config_free(cfg);

	static const char *const bad[] = { "-a.example.org", "a-.example.org", "a..example.org", ".",
					   "a_b.example.org", "a b.org", "*.example.org", "a.example.org..",
					   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.org" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512], want[256];
		snprintf(text, sizeof(text),
			 "dns:\n  listen: [127.0.0.1:53]\n  zone: '%s'\n  ns_name: ns.a.org\n  admin: h.a.org\n" STORE,
			 bad[i]);
		snprintf(want, sizeof(want), "3: dns.zone: \"%s\" is not a valid host name", bad[i]);
		expect_error(text, want);
		snprintf(text, sizeof(text),
			 "dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: '%s'\n  admin: h.a.org\n" STORE,
			 bad[i]);
		expect_error(text, "4: dns.ns_name: ");
	}
	/* 253 characters are the limit of a name: three 63-byte labels and one of 61. */
	char name[300], text[600];
	size_t o = 0;
	for (int i = 0; i < 3; i++, o += 64) {
		memset(name + o, 'a', 63);
		name[o + 63] = '.';
	}
	memset(name + o, 'b', 61);
	name[o + 61] = '\0';
	snprintf(text, sizeof(text), "dns:\n  listen: [127.0.0.1:53]\n  zone: %s\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		 name);
	cfg = load_ok(text);
	assert_int_equal(strlen(cfg->zone), 253);
	config_free(cfg);
	name[o + 61] = 'b';
	name[o + 62] = '\0';
	snprintf(text, sizeof(text), "dns:\n  listen: [127.0.0.1:53]\n  zone: %s\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		 name);
	expect_error(text, "3: dns.zone: ");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: ''\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		     "3: dns.zone: \"\" is not a valid host name");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: ~\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		     "3: dns.zone: missing value");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: \"a\\0b.org\"\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		     "3: dns.zone: contains a NUL byte");
}

static void expect_admin(const char *admin, const char *want)
{
	char text[512];
	snprintf(text, sizeof(text), "dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: n.a.org\n  admin: '%s'\n" STORE,
		 admin);
	struct config *cfg = load_ok(text);
	assert_string_equal(cfg->admin, want);
	config_free(cfg);
}

static void test_admin_mailbox(void **state)
{
	expect_admin("hostmaster@example.org", "hostmaster.example.org");
	expect_admin("Hostmaster@Example.ORG.", "hostmaster.example.org");
	expect_admin("dns-admin+acme@sub.example.org", "dns-admin+acme.sub.example.org");
	/* A dot in the local part is escaped, so the first label stays whole (RFC 1035 section 8). */
	expect_admin("john.doe@example.org", "john\\.doe.example.org");
	expect_admin("hostmaster.example.org", "hostmaster.example.org");
	expect_admin("john\\.doe.example.org", "john\\.doe.example.org");

	static const char *const bad[] = { "@example.org",   "hostmaster@",	  "a@b@example.org", "host master@a.org",
					   "hostmaster",     "hostmaster@-a.org", "h\"x@a.org",	     "hostmaster.",
					   "a..example.org", "h@a_b.org" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: n.a.org\n  admin: '%s'\n" STORE, bad[i]);
		expect_error(text, "5: dns.admin: ");
	}
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: n.a.org\n  admin: '@a.org'\n" STORE,
		     "5: dns.admin: \"@a.org\" is not a mailbox");
}

/* The line of the value under test is 6: right after DNS. */
static void expect_dns_value(const char *line, const char *want)
{
	char text[1024];
	snprintf(text, sizeof(text), DNS "%s\n" STORE, line);
	expect_error(text, want);
}

static void test_durations(void **state)
{
	struct config *cfg = load_ok(DNS "  challenge_ttl: 0\n  negative_ttl: 1d\n  tcp_idle_timeout: 60m\n" STORE
					 "  max_value_age: 4294967295\napi:\n  timeout: 5m\n");
	assert_int_equal(cfg->challenge_ttl, 0);
	assert_int_equal(cfg->negative_ttl, 86400);
	assert_int_equal(cfg->tcp_idle_timeout, 3600);
	assert_int_equal(cfg->api_timeout, 300);
	assert_int_equal(cfg->max_value_age, UINT32_MAX);
	config_free(cfg);
	cfg = load_ok(DNS "  challenge_ttl: '90s'\n  negative_ttl: \"86400\"\n" STORE "  max_value_age: 49710d\n");
	assert_int_equal(cfg->challenge_ttl, 90);
	assert_int_equal(cfg->negative_ttl, 86400);
	assert_int_equal(cfg->max_value_age, 49710u * 86400u);
	config_free(cfg);

	expect_dns_value("  challenge_ttl: 86401", "6: dns.challenge_ttl: must be between 0 and 86400 seconds");
	expect_dns_value("  challenge_ttl: 2d", "6: dns.challenge_ttl: must be between 0 and 86400 seconds");
	expect_dns_value("  negative_ttl: 1441m", "6: dns.negative_ttl: must be between 0 and 86400 seconds");
	expect_dns_value("  tcp_idle_timeout: 0", "6: dns.tcp_idle_timeout: must be between 1 and 3600 seconds");
	expect_dns_value("  tcp_idle_timeout: 2h", "6: dns.tcp_idle_timeout: must be between 1 and 3600 seconds");
	static const char *const junk[] = { "-1",  "+5", "5x",	"1.5h", "1h30m", "h",	  "5 m", "5S",
					    "0x10", "010", "1e3", "5ms", "' 5'",  "'5 '", "''", "1_000" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "  challenge_ttl: %s", junk[i]);
		expect_dns_value(line, "6: dns.challenge_ttl: \"");
	}
	expect_dns_value("  challenge_ttl: 5x", "6: dns.challenge_ttl: \"5x\" is not a duration");
	expect_dns_value("  challenge_ttl: 99999999999999999999999", "6: dns.challenge_ttl: must be between 0 and 86400");
	expect_dns_value("  challenge_ttl: 99999999999999999999999d", "6: dns.challenge_ttl: must be between 0 and 86400");
	expect_dns_value("  challenge_ttl:", "6: dns.challenge_ttl: missing value");
	expect_dns_value("  challenge_ttl: [1]", "6: dns.challenge_ttl: expected a single value, found a list");
	expect_error(MIN "  max_value_age: 49711d\n", "8: store.max_value_age: must be between 0 and 4294967295 seconds");
	expect_error(MIN "  max_value_age: 4294967296\n", "8: store.max_value_age: must be between");
	expect_error(MIN "api:\n  timeout: 301\n", "9: api.timeout: must be between 1 and 300 seconds");
	expect_error(MIN "api:\n  timeout: 0s\n", "9: api.timeout: must be between 1 and 300 seconds");
	expect_error(MIN "api:\n  timeout: 6m\n", "9: api.timeout: must be between 1 and 300 seconds");
}

struct range_case {
	const char *section; /* "dns", "api" or "store" */
	const char *key;
	const char *lo_ok, *hi_ok, *lo_bad, *hi_bad;
	const char *reason;
};

static const struct range_case ranges[] = {
	{ "dns", "tcp_max_queries", "1", "65535", "0", "65536", "must be between 1 and 65535" },
	{ "dns", "tcp_max_connections_per_client", "0", "65535", NULL, "65536", "must be between 0 and 65535" },
	{ "dns", "udp_workers", "0", "64", NULL, "65", "must be between 0 and 64" },
	{ "dns", "edns_max_payload", "512", "4096", "511", "4097", "must be between 512 and 4096" },
	{ "api", "register_rate", "0", "1000000", NULL, "1000001", "must be between 0 and 1000000" },
	{ "api", "max_body", "256", "1048576", "255", "1048577", "must be between 256 and 1048576" },
	{ "api", "max_headers", "1024", "65536", "1023", "65537", "must be between 1024 and 65536" },
	{ "api", "max_connections", "1", "65535", "0", "65536", "must be between 1 and 65535" },
	{ "api", "max_connections_per_client", "0", "65535", NULL, "65536", "must be between 0 and 65535" },
	{ "store", "values_kept", "1", "16", "0", "17", "must be between 1 and 16" },
};

/* Puts "key: value" into its section; returns the line it landed on. */
static int config_with(char *text, size_t size, const struct range_case *r, const char *value)
{
	if (!strcmp(r->section, "dns")) {
		snprintf(text, size, DNS "  %s: %s\n" STORE, r->key, value);
		return 6;
	}
	if (!strcmp(r->section, "store")) {
		snprintf(text, size, MIN "  %s: %s\n", r->key, value);
		return 8;
	}
	snprintf(text, size, MIN "api:\n  %s: %s\n", r->key, value);
	return 9;
}

static void test_integer_ranges(void **state)
{
	static const char *const junk[] = { "-1", "+1", "1.0", "1k", "0x10", "012", "1 000", "'  1'", "true", "1s" };
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range_case *r = &ranges[i];
		char text[1024], want[256];
		const char *ok[2] = { r->lo_ok, r->hi_ok }, *bad[2] = { r->lo_bad, r->hi_bad };
		for (int j = 0; j < 2; j++) {
			config_with(text, sizeof(text), r, ok[j]);
			config_free(load_ok(text));
			if (!bad[j])
				continue;
			int line = config_with(text, sizeof(text), r, bad[j]);
			snprintf(want, sizeof(want), "%d: %s.%s: %s", line, r->section, r->key, r->reason);
			expect_error(text, want);
		}
		int line = config_with(text, sizeof(text), r, "99999999999999999999999999");
		snprintf(want, sizeof(want), "%d: %s.%s: %s", line, r->section, r->key, r->reason);
		expect_error(text, want);
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			line = config_with(text, sizeof(text), r, junk[j]);
			snprintf(want, sizeof(want), "%d: %s.%s: \"", line, r->section, r->key);
			expect_error(text, want);
		}
	}
	struct config *cfg = load_ok(DNS "  tcp_max_queries: 7\n  udp_workers: 3\n  edns_max_payload: 1400\n" STORE
					 "  values_kept: 5\napi:\n  register_rate: 60\n  max_body: 300\n"
					 "  max_headers: 2000\n  max_connections: 9\n");
	assert_int_equal(cfg->tcp_max_queries, 7);
	assert_int_equal(cfg->udp_workers, 3);
	assert_int_equal(cfg->edns_max_payload, 1400);
	assert_int_equal(cfg->values_kept, 5);
	assert_int_equal(cfg->register_rate, 60);
	assert_int_equal(cfg->max_body, 300);
	assert_int_equal(cfg->max_headers, 2000);
	assert_int_equal(cfg->max_connections, 9);
	config_free(cfg);
	expect_error(MIN "api:\n  max_body: 12abc\n", "9: api.max_body: \"12abc\" is not a whole number");
}

/* dns.rrl: a section of its own, every key checked. */
static void test_rrl_section(void **state)
{
	struct config *cfg = load_ok(DNS "  rrl:\n" STORE);   /* an empty section: all defaults, off */
	assert_int_equal(cfg->rrl_rate, 0);
	assert_int_equal(cfg->rrl_slip, 2);
	config_free(cfg);
	cfg = load_ok(DNS "  rrl:\n    rate: 1000000\n    burst: 10000000\n    slip: 10\n    ipv4_prefix: 8\n"
			  "    ipv6_prefix: 16\n" STORE);
	assert_int_equal(cfg->rrl_rate, 1000000);
	assert_int_equal(cfg->rrl_burst, 10000000);
	assert_int_equal(cfg->rrl_slip, 10);
	assert_int_equal(cfg->rrl_ipv4_prefix, 8);
	assert_int_equal(cfg->rrl_ipv6_prefix, 16);
	config_free(cfg);
	cfg = load_ok(DNS "  rrl: {rate: 5, slip: 1}\n" STORE);
	assert_int_equal(cfg->rrl_rate, 5);
	assert_int_equal(cfg->rrl_burst, 0);   /* not given: the rate */
	assert_int_equal(cfg->rrl_slip, 1);
	config_free(cfg);
	expect_error(DNS "  rrl:\n    rate: 1000001\n" STORE, "7: dns.rrl.rate: must be between 0 and 1000000");
	expect_error(DNS "  rrl:\n    burst: 0\n" STORE, "7: dns.rrl.burst: must be between 1 and 10000000");
	expect_error(DNS "  rrl:\n    slip: 11\n" STORE, "7: dns.rrl.slip: must be between 0 and 10");
	expect_error(DNS "  rrl:\n    ipv4_prefix: 7\n" STORE, "7: dns.rrl.ipv4_prefix: must be between 8 and 32");
	expect_error(DNS "  rrl:\n    ipv4_prefix: 33\n" STORE, "7: dns.rrl.ipv4_prefix: must be between 8 and 32");
	expect_error(DNS "  rrl:\n    ipv6_prefix: 129\n" STORE, "7: dns.rrl.ipv6_prefix: must be between 16 and 128");
	expect_error(DNS "  rrl:\n    rate: 5\n    rates: 5\n" STORE, "8: dns.rrl.rates: unknown key");
	expect_error(DNS "  rrl:\n    rate: 5\n    rate: 6\n" STORE, "8: dns.rrl.rate: duplicate key");
	expect_error(DNS "  rrl: 10\n" STORE, "6: dns.rrl: expected a mapping, found a single value");
	expect_error(DNS "  rrl:\n    rate: ten\n" STORE, "7: dns.rrl.rate: \"ten\" is not a whole number");
}

static void test_booleans(void **state)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "ON", "'true'" };
	static const char *const no[] = { "false", "False", "no", "NO", "off", "Off", "\"no\"" };
	char text[1024];
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), MIN "api:\n  registration: %s\n", yes[i]);
		struct config *cfg = load_ok(text);
		assert_true(cfg->registration);
		config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), MIN "api:\n  registration: %s\n", no[i]);
		struct config *cfg = load_ok(text);
		assert_false(cfg->registration);
		config_free(cfg);
	}
	static const char *const bad[] = { "1", "0", "y", "n", "enable", "truee", "'yes '" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), MIN "api:\n  registration: %s\n", bad[i]);
		expect_error(text, "9: api.registration: \"");
	}
	expect_error(MIN "api:\n  registration: maybe\n",
		     "9: api.registration: \"maybe\" is not a boolean (true/false, yes/no, on/off)");
	expect_error(MIN "api:\n  registration:\n", "9: api.registration: missing value");
	expect_error(MIN "api:\n  registration: {a: 1}\n", "9: api.registration: expected a single value, found a mapping");
}

static void test_relative_paths(void **state)
{
	char dir[PATH_MAX], err[512] = "";
	snprintf(dir, sizeof(dir), "%s/adns-cfgdir-XXXXXX", tmp_dir());
	assert_non_null(mkdtemp(dir));
	write_config_in(dir, DNS "  zones_dir: zones\n" STORE "api:\n  tls:\n    cert: ./tls/api.crt\n"
				 "    key: /etc/ssl/api.key\n");
	struct config *cfg = config_load(path, err, sizeof(err));
	unlink(path);
	if (!cfg)
		fail_msg("%s", err);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "%s/zones", dir);
	assert_string_equal(cfg->zones_dir, want);
	snprintf(want, sizeof(want), "%s/tls/api.crt", dir);
	assert_string_equal(cfg->tls_cert, want);
	assert_string_equal(cfg->tls_key, "/etc/ssl/api.key");
	assert_string_equal(cfg->store_path, "/var/lib/acme-dnsd/acme.db");
	config_free(cfg);

	/* A relative configuration path: the result is still absolute, from the working directory. */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	char real[PATH_MAX];
	assert_non_null(getcwd(real, sizeof(real)));
	assert_int_equal(mkdir("sub", 0700), 0);
	write_config_in("sub", DNS "  zones_dir: ../zones\nstore:\n  path: state/acme.db\n");
	cfg = config_load(path, err, sizeof(err));
	unlink(path);
	rmdir("sub");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
	if (!cfg)
		fail_msg("%s", err);
	snprintf(want, sizeof(want), "%s/sub/../zones", real);
	assert_string_equal(cfg->zones_dir, want);
	snprintf(want, sizeof(want), "%s/sub/state/acme.db", real);
	assert_string_equal(cfg->store_path, want);
	config_free(cfg);
}

static void test_store_path(void **state)
{
	static const char *const verbatim[] = { "postgres://u:p@localhost/acme", "postgresql://localhost/acme?sslmode=require",
						":memory:" };
	for (size_t i = 0; i < sizeof(verbatim) / sizeof(verbatim[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), DNS "store:\n  path: '%s'\n", verbatim[i]);
		struct config *cfg = load_ok(text);
		assert_string_equal(cfg->store_path, verbatim[i]);
		config_free(cfg);
	}
	/* Anything else is a file name, relative to the configuration file. */
	struct config *cfg = load_ok(DNS "store:\n  path: mysql://x\n");
	size_t len = strlen(cfg->store_path);
	assert_true(cfg->store_path[0] == '/' && len > 10);
	assert_string_equal(cfg->store_path + len - 10, "/mysql://x");
	config_free(cfg);
	expect_error(DNS "store:\n  path: ''\n", "7: store.path: must not be empty");
	expect_error(DNS "store:\n  path:\n", "7: store.path: missing value");
	expect_error(DNS "store:\n  values_kept: 3\n", "6: store.path: missing required key");
	expect_error(DNS "store:\n", "6: store.path: missing required key");
	expect_error(DNS "store: /var/lib/x.db\n", "6: store: expected a mapping, found a single value");
}

static void test_api_listen(void **state)
{
	struct config *cfg = load_ok(MIN "api:\n  listen: \"\"\n");
	assert_false(cfg->api_enabled);
	assert_string_equal(cfg->api_text, "");
	config_free(cfg);
	cfg = load_ok(MIN "api:\n  listen:\n");
	assert_false(cfg->api_enabled);
	config_free(cfg);
	cfg = load_ok(MIN "api:\n  listen: 192.0.2.7:8443\n");
	assert_true(cfg->api_enabled);
	assert_string_equal(cfg->api_text, "192.0.2.7:8443");
	assert_int_equal(port_of(&cfg->api_addr), 8443);
	config_free(cfg);
	cfg = load_ok(MIN "api:\n  listen: '[::1]:8080'\n");
	assert_int_equal(cfg->api_addr.ss_family, AF_INET6);
	assert_int_equal(cfg->api_addrlen, sizeof(struct sockaddr_in6));
	config_free(cfg);
	expect_error(MIN "api:\n  listen: 127.0.0.1\n", "9: api.listen: missing port");
	expect_error(MIN "api:\n  listen: ::1:80\n", "9: api.listen: an IPv6 address needs brackets");
	expect_error(MIN "api:\n  listen: [127.0.0.1:80]\n", "9: api.listen: expected a single value, found a list");
}

static void test_tls(void **state)
{
	expect_error(MIN "api:\n  tls:\n    cert: /a.crt\n", "9: api.tls.key: missing required key");
	expect_error(MIN "api:\n  tls:\n    key: /a.key\n", "9: api.tls.cert: missing required key");
	expect_error(MIN "api:\n  tls:\n", "9: api.tls.cert: missing required key");
	expect_error(MIN "api:\n  tls: yes\n", "9: api.tls: expected a mapping, found a single value");
	expect_error(MIN "api:\n  tls:\n    cert: /a.crt\n    key: /a.key\n    ca: /ca.crt\n", "12: api.tls.ca: unknown key");
	expect_error(MIN "api:\n  tls:\n    cert: ''\n    key: /a.key\n", "10: api.tls.cert: must not be empty");
	expect_error(MIN "api:\n  tls:\n    cert: [a]\n    key: /a.key\n",
		     "10: api.tls.cert: expected a single value, found a list");
}

static void test_trusted_proxies(void **state)
{
	struct config *cfg = load_ok(MIN "api:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 2001:db8::/32\n    - 192.0.2.1\n");
	assert_int_equal(cfg->n_trusted_proxies, 3);
	assert_int_equal(cfg->trusted_proxies[1].family, AF_INET6);
	assert_int_equal(cfg->trusted_proxies[2].prefix, 32);
	config_free(cfg);
	cfg = load_ok(MIN "api:\n  trusted_proxies: []\n");
	assert_int_equal(cfg->n_trusted_proxies, 0);
	config_free(cfg);

	expect_error(MIN "api:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n",
		     "11: api.trusted_proxies[1]: \"10.0.0.0/33\" is not an IP address or CIDR network");
	expect_error(MIN "api:\n  trusted_proxies: [proxy.example.org]\n", "9: api.trusted_proxies[0]: \"proxy.example.org\"");
	expect_error(MIN "api:\n  trusted_proxies: 10.0.0.0/8\n", "9: api.trusted_proxies: expected a list, found a single value");
	expect_error(MIN "api:\n  trusted_proxies: [[10.0.0.1]]\n",
		     "9: api.trusted_proxies[0]: expected a single value, found a list");
	char text[4096];
	int n = snprintf(text, sizeof(text), MIN "api:\n  trusted_proxies:\n");
	for (int i = 0; i <= CONFIG_MAX_PROXIES; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "    - 10.0.0.%d\n", i);
	expect_error(text, "9: api.trusted_proxies: needs 0 to 32 entries, found 33");
}

static void test_proxy_header_log_user(void **state)
{
	expect_error(MIN "api:\n  proxy_header: 'X Forwarded'\n", "9: api.proxy_header: \"X Forwarded\" is not an HTTP header name");
	expect_error(MIN "api:\n  proxy_header: 'X-Real-IP:'\n", "9: api.proxy_header: ");
	expect_error(MIN "api:\n  proxy_header: ''\n", "9: api.proxy_header: must not be empty");
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	for (int i = 0; i < 4; i++) {
		char text[1024];
		snprintf(text, sizeof(text), MIN "log:\n  level: %s\n  format: text\n", levels[i]);
		struct config *cfg = load_ok(text);
		assert_int_equal(cfg->log_level, i);
		assert_false(cfg->log_json);
		config_free(cfg);
	}
	expect_error(MIN "log:\n  level: verbose\n", "9: log.level: \"verbose\" is not debug, info, warn or error");
	expect_error(MIN "log:\n  format: xml\n", "9: log.format: \"xml\" is not text or json");
	expect_error(MIN "log:\n  level: info\n  levels: info\n", "10: log.levels: unknown key");
	struct config *cfg = load_ok(MIN "log:\n");
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	config_free(cfg);
	cfg = load_ok(MIN "user: nobody\n");
	assert_string_equal(cfg->user, "nobody");
	config_free(cfg);
	expect_error(MIN "user: ''\n", "8: user: must not be empty");
	expect_error(MIN "user:\n", "8: user: missing value");
	expect_error(MIN "user: [a, b]\n", "8: user: expected a single value, found a list");
}

static void test_unknown_keys(void **state)
{
	expect_error(MIN "dnss:\n  zone: x\n", "8: dnss: unknown key");
	expect_error(DNS "  foo: 1\n" STORE, "6: dns.foo: unknown key");
	expect_error(MIN "api:\n  listen: 127.0.0.1:80\n  tsl: {}\n", "10: api.tsl: unknown key");
	expect_error(MIN "  pathh: x\n", "8: store.pathh: unknown key");
	expect_error(MIN "? [a, b]\n: c\n", "8: top level: keys must be plain words");
	expect_error(DNS "  ? {a: 1}\n  : c\n" STORE, "6: dns: keys must be plain words");
	/* YAML merge keys are not special to us. */
	expect_error(MIN "api:\n  <<: {timeout: 5}\n", "9: api.<<: unknown key");
}

static void test_duplicate_keys(void **state)
{
	expect_error(DNS "  zone: other.example.org\n" STORE, "6: dns.zone: duplicate key");
	expect_error(MIN "store:\n  path: /x\n", "8: store: duplicate key");
	expect_error(MIN "api:\n  timeout: 5\n  timeout: 6\n", "10: api.timeout: duplicate key");
	expect_error(MIN "log:\n  level: info\nlog:\n  level: info\n", "10: log: duplicate key");
	expect_error(MIN "api: {max_body: 300, max_body: 400}\n", "8: api.max_body: duplicate key");
	expect_error(MIN "user: a\nuser: a\n", "9: user: duplicate key");
}

static void test_wrong_kinds(void **state)
{
	expect_error("- dns\n- store\n", "1: top level: expected a mapping, found a list");
	expect_error("just text\n", "1: top level: expected a mapping, found a single value");
	expect_error(MIN "api: [listen]\n", "8: api: expected a mapping, found a list");
	expect_error(MIN "log: debug\n", "8: log: expected a mapping, found a single value");
	expect_error("dns:\n  - listen\n" STORE, "2: dns: expected a mapping, found a list");
	expect_error(DNS "  zones_dir: {a: b}\n" STORE, "6: dns.zones_dir: expected a single value, found a mapping");
	expect_error(DNS "  zone2: [a]\n" STORE, "6: dns.zone2: unknown key");
	/* Anchors and aliases are plain YAML and work; the value still has to be of the right kind. */
	struct config *cfg = load_ok(DNS "  negative_ttl: &t 120\n  challenge_ttl: *t\n" STORE);
	assert_int_equal(cfg->challenge_ttl, 120);
	config_free(cfg);
	expect_error(DNS "  zones_dir: &l [a]\n" STORE, "6: dns.zones_dir: expected a single value, found a list");
}

static void test_missing_required(void **state)
{
	expect_error(STORE, "1: dns: missing required key");
	expect_error(DNS, "1: store: missing required key");
	expect_error("\n\n" DNS, "1: store: missing required key");
	expect_error("# comment\ndns:\n  zone: a.org\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		     "2: dns.listen: missing required key");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  ns_name: n.a.org\n  admin: h.a.org\n" STORE,
		     "1: dns.zone: missing required key");
	expect_error("dns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  admin: h.a.org\n" STORE,
		     "1: dns.ns_name: missing required key");
	expect_error(STORE "\n\ndns:\n  listen: [127.0.0.1:53]\n  zone: a.org\n  ns_name: n.a.org\n",
		     "5: dns.admin: missing required key");
	expect_error("dns:\n" STORE, "1: dns.listen: missing required key");
	expect_error("", "1: dns: missing required key");
	expect_error("# only a comment\n", "1: dns: missing required key");
	expect_error("---\n...\n", "1: dns: missing required key");
}

static void test_syntax_errors(void **state)
{
	/* An unindented line breaks the mapping: libyaml stops at it. */
	expect_error(DNS "  challenge_ttl: 1\n negative_ttl: 60\n" STORE, "7: syntax error: did not find expected key");
	expect_error(MIN "api:\n  listen: \"127.0.0.1:80\n  timeout: 5\n", "11: syntax error: found unexpected end of stream");
	expect_error(MIN "api: {timeout: 5\n", "9: syntax error: did not find expected ',' or '}'");
	expect_error(MIN "api:\n\ttimeout: 5\n", "9: syntax error: found character that cannot start any token");
	expect_error(MIN "user: *nothing\n", "8: syntax error: found undefined alias");
	expect_error(MIN "user: \"\xff\xfe\"\n", "8: syntax error: invalid ");
	expect_error(MIN "---\nuser: x\n", "8: top level: only one YAML document is allowed");
	expect_error(MIN "---\nuser: [x\n", "10: syntax error: ");
}

static void test_file_errors(void **state)
{
	char err[512], want[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/adns-config-does-not-exist.yaml", tmp_dir());
	assert_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);

	assert_null(config_load(tmp_dir(), err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot open: Is a directory", tmp_dir());
	assert_string_equal(err, want);

	assert_null(config_load(NULL, err, sizeof(err)));
	assert_null(config_load("", err, sizeof(err)));
	assert_true(err[0] != '\0');

	/* No error buffer, or a tiny one, is fine. */
	assert_null(config_load("/nonexistent/x.yaml", NULL, 0));
	char small[8];
	assert_null(load("dns: [\n", small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	config_free(NULL);

	/* A file over 1 MiB is refused before parsing. */
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big + 1);
	assert_non_null(text);
	memset(text, '#', big);
	text[big] = '\0';
	assert_null(load(text, err, sizeof(err)));
	free(text);
	assert_non_null(strstr(err, "cannot open: larger than"));
}

/* Errors deep in the file leave some strings allocated: config_free must take them (ASan checks leaks). */
static void test_partial_fill_no_leak(void **state)
{
	expect_error(DNS "  zones_dir: /z\n" STORE "api:\n  tls: {cert: /c, key: /k}\n  proxy_header: X-A\nuser: u\n"
			 "log:\n  level: loud\n",
		     "14: log.level: \"loud\"");
	expect_error(MIN "user: a\napi:\n  proxy_header: X-B\n  proxy_header: X-C\n", "11: api.proxy_header: duplicate key");
}

/* 32 bytes 0x00..0x1f, base64. */
#define SECRET32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* The secret bytes 0..31, which SECRET32 encodes. */
static const uint8_t bytes_0_31[32] = { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
					16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

/* The key has this name, algorithm and decoded secret: it equals the key made from them. The secret stays
 * inside lib/tsig.c, so this is how a test sees it. */
static void assert_key(const struct tsig_key *k, const char *name, enum tsig_alg alg, const uint8_t *secret,
		       size_t len)
{
	char err[256];
	struct tsig_key *want = tsig_key_new_raw(name, alg, secret, len, err, sizeof(err));
	assert_non_null(k);
	assert_non_null(want);
	assert_true(tsig_key_equal(k, want));
	tsig_key_free(want);
}

static void test_update_keys(void **state)
{
	struct config *cfg = load_ok(MIN);
	assert_int_equal(cfg->n_keys, 0);
	assert_int_equal(cfg->update_fudge, 300);
	config_free(cfg);

	cfg = load_ok(MIN "update:\n"
			  "  keys:\n"
			  "    - name: Lego-Key.\n"
			  "      secret: \"" SECRET32 "\"\n"
			  "      subdomains: [0A1B2C3D-0000-4000-8000-000000000001, other_sub]\n"
			  "    - name: tsig.example.org\n"
			  "      algorithm: HMAC-MD5\n"
			  "      secret: c2VjcmV0\n"
			  "      zones: [Example.Test., other.test]\n"
			  "    - {name: k3, algorithm: hmac-sha512., secret: \"YQ==\", zones: []}\n"
			  "  fudge: 5m\n");
	assert_int_equal(cfg->n_keys, 3);
	assert_int_equal(cfg->update_fudge, 300);
	const struct config_key *k = cfg->keys;
	assert_string_equal(k[0].name, "lego-key");
	assert_int_equal(tsig_key_alg(k[0].tsig), TSIG_HMAC_SHA256);
	assert_key(k[0].tsig, "lego-key", TSIG_HMAC_SHA256, bytes_0_31, 32);
	assert_int_equal(k[0].n_subdomains, 2);
	assert_string_equal(k[0].subdomains[0], "0a1b2c3d-0000-4000-8000-000000000001");
	assert_string_equal(k[0].subdomains[1], "other_sub");
	assert_true(k[0].all_zones);
	assert_int_equal(k[0].n_zones, 0);
	assert_string_equal(k[1].name, "tsig.example.org");
	assert_int_equal(tsig_key_alg(k[1].tsig), TSIG_HMAC_MD5);
	assert_key(k[1].tsig, "tsig.example.org", TSIG_HMAC_MD5, (const uint8_t *)"secret", 6);
	assert_false(k[1].all_zones);
	assert_int_equal(k[1].n_zones, 2);
	assert_string_equal(k[1].zones[0], "example.test");
	assert_string_equal(k[1].zones[1], "other.test");
	assert_int_equal(k[1].n_subdomains, 0);
	assert_int_equal(tsig_key_alg(k[2].tsig), TSIG_HMAC_SHA512);
	assert_key(k[2].tsig, "k3", TSIG_HMAC_SHA512, (const uint8_t *)"a", 1);
	assert_false(k[2].all_zones);            /* zones: [] - only account subdomains, and it has none */
	assert_int_equal(k[2].n_zones, 0);
	config_free(cfg);

	static const char *const algs[] = { "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512",
					    "hmac-md5.sig-alg.reg.int." };
	static const int want[] = { TSIG_HMAC_SHA1, TSIG_HMAC_SHA224, TSIG_HMAC_SHA256, TSIG_HMAC_SHA384,
				    TSIG_HMAC_SHA512, TSIG_HMAC_MD5 };
	for (size_t i = 0; i < 6; i++) {
		char text[512];
		snprintf(text, sizeof(text), MIN "update:\n  keys:\n    - {name: k, secret: \"YQ==\", algorithm: %s}\n",
			 algs[i]);
		cfg = load_ok(text);
		assert_int_equal(tsig_key_alg(cfg->keys[0].tsig), want[i]);
		config_free(cfg);
	}
}

static void test_update_secret_file(void **state)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], err[512] = "";
	snprintf(dir, sizeof(dir), "%s/adns-keydir-XXXXXX", tmp_dir());
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/lego.secret", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("  " SECRET32 "\n\n", f);
	fclose(f);
	/* A configuration holding a secret itself must be kept from other users too. */
	write_config_in(dir, MIN "update:\n  keys:\n    - name: inline\n      secret: \"YQ==\"\n");
	chmod(path, 0644);
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "update.keys: holds the secret of key inline, but "));
	assert_non_null(strstr(err, "other users may read it (mode 0644)"));
	unlink(path);
	/* A secret file other users may read is refused, naming the file and the fix. */
	chmod(file, 0644);
	write_config_in(dir, MIN "update:\n  keys:\n    - name: lego\n      secret_file: lego.secret\n");
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "update.keys[0].secret_file: "));
	assert_non_null(strstr(err, "other users may read it (mode 0644): chmod o-rwx"));
	unlink(path);
	chmod(file, 0600);
	write_config_in(dir, MIN "update:\n  keys:\n    - name: lego\n      secret_file: lego.secret\n"
				 "    - name: missing\n      secret_file: nothere.secret\n");
	struct config *cfg = config_load(path, err, sizeof(err));
	assert_null(cfg);
	char want[2 * PATH_MAX + 128];
	snprintf(want, sizeof(want), "%s:13: update.keys[1].secret_file: cannot read %s/nothere.secret: No such file", path,
		 dir);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	unlink(path);

	write_config_in(dir, MIN "update:\n  keys:\n    - name: lego\n      secret_file: lego.secret\n");
	cfg = config_load(path, err, sizeof(err));
	unlink(path);
	if (!cfg)
		fail_msg("%s", err);
	assert_key(cfg->keys[0].tsig, "lego", TSIG_HMAC_SHA256, bytes_0_31, 32);
	config_free(cfg);

	f = fopen(file, "w");
	assert_non_null(f);
	fputs("not base64!\n", f);
	fclose(f);
	write_config_in(dir, MIN "update:\n  keys:\n    - name: lego\n      secret_file: lego.secret\n");
	cfg = config_load(path, err, sizeof(err));
	unlink(path);
	unlink(file);
	rmdir(dir);
	assert_null(cfg);
	assert_non_null(strstr(err, ":11: update.keys[0].secret_file: not a base64 secret"));
}

static void test_update_errors(void **state)
{
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: \"c2Vj cmV0\"\n",
		     "11: update.keys[0].secret: not a base64 secret");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: \"c2VjcmV0=\"\n",
		     "11: update.keys[0].secret: not a base64 secret");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: \"c2VjcmV\"\n",
		     "11: update.keys[0].secret: not a base64 secret");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: \"====\"\n",
		     "11: update.keys[0].secret: not a base64 secret");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      algorithm: hmac-sha3\n      secret: YQ==\n",
		     "11: update.keys[0].algorithm: \"hmac-sha3\" is not hmac-sha256");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      algorithm: md5\n      secret: YQ==\n",
		     "11: update.keys[0].algorithm: \"md5\" is not");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: YQ==\n    - name: K.\n      secret: YQ==\n",
		     "12: update.keys[1]: key name \"k\" is already used by update.keys[0]");
	expect_error(MIN "update:\n  keys:\n    - name: k\n", "10: update.keys[0]: secret or secret_file is required");
	expect_error(MIN "update:\n  keys:\n    - secret: YQ==\n", "10: update.keys[0].name: missing required key");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: YQ==\n      secret_file: /x\n",
		     "12: update.keys[0].secret_file: give secret or secret_file, not both");
	expect_error(MIN "update:\n  keys:\n    - name: \"a b\"\n      secret: YQ==\n",
		     "10: update.keys[0].name: \"a b\" is not a valid key name");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: YQ==\n      subdomains: [ok, a.b]\n",
		     "12: update.keys[0].subdomains[1]: \"a.b\" is not a subdomain label");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: YQ==\n      zones: [\"ex ample\"]\n",
		     "12: update.keys[0].zones[0]: \"ex ample\" is not a zone name");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secret: YQ==\n      zones: example.test\n",
		     "12: update.keys[0].zones: expected a list, found a single value");
	expect_error(MIN "update:\n  keys:\n    - name: k\n      secrte: YQ==\n", "11: update.keys[0].secrte: unknown key");
	expect_error(MIN "update:\n  keys:\n    - lego-key\n", "10: update.keys[0]: expected a mapping");
	expect_error(MIN "update:\n  keys: {name: k}\n", "9: update.keys: expected a list, found a mapping");
	expect_error(MIN "update:\n  fudge: 0\n", "9: update.fudge: must be between 1 and 3600 seconds");
	expect_error(MIN "update:\n  fudge: 2h\n", "9: update.fudge: must be between 1 and 3600 seconds");
	expect_error(MIN "update:\n  fudges: 1\n", "9: update.fudges: unknown key");
	/* An error after secrets were decoded must not leak them (ASan) nor keep the partial list. */
	expect_error(MIN "update:\n  keys:\n    - {name: a, secret: YQ==, subdomains: [x], zones: [y.test]}\n"
			 "    - {name: b, secret: YQ==, algorithm: bad}\n",
		     "11: update.keys[1].algorithm: \"bad\" is not");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ns_addresses),
		cmocka_unit_test(test_admin_mailbox),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_integer_ranges),
		cmocka_unit_test(test_rrl_section),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_store_path),
		cmocka_unit_test(test_api_listen),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_trusted_proxies),
		cmocka_unit_test(test_proxy_header_log_user),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_kinds),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_partial_fill_no_leak),
		cmocka_unit_test(test_update_keys),
		cmocka_unit_test(test_update_secret_file),
		cmocka_unit_test(test_update_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

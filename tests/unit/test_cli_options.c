/* acme-dns-cli options: flag > environment > config file > default, value checks, and the messages for errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "key.h"
#include "log.h"
#include "../../cli/options.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API "--acme-dns-api", "http://127.0.0.1:8080"

static char cfg_path[PATH_MAX];

/* Writes text to a temporary config file; cfg_path names it. */
static const char *write_cfg(const char *text)
{
	const char *t = getenv("TMPDIR");
	snprintf(cfg_path, sizeof(cfg_path), "%s/adns-cli-cfg-XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return cfg_path;
}

static size_t count(char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	return n;
}

/* Parses argv (program name added) with envp; fails the test unless the result is want. */
static enum cli_parse parse_env(struct cli_options *o, char *const envp[], enum cli_parse want, char *err,
				size_t errlen, char *const *args)
{
	char *argv[64] = { "acme-dns-cli" };
	size_t n = count(args);
	assert_true(n < 63);
	memcpy(argv + 1, args, n * sizeof(*args));
	err[0] = 0;
	enum cli_parse p = cli_options_parse((int)n + 1, argv, envp, o, err, errlen);
	if (p != want)
		fail_msg("parse gave %d, wanted %d: %s", p, want, err);
	return p;
}

#define ARGS(...) ((char *const[]){ __VA_ARGS__, NULL })
#define ENV(...) ((char *const[]){ __VA_ARGS__, NULL })

static void ok(struct cli_options *o, char *const envp[], char *const *args)
{
	char err[512];
	parse_env(o, envp, CLI_PARSE_OK, err, sizeof(err), args);
}

/* want: the start of the message (the whole message when it has no "..."). */
static void error(char *const envp[], char *const *args, const char *want)
{
	char err[512];
	struct cli_options o;
	parse_env(&o, envp, CLI_PARSE_ERROR, err, sizeof(err), args);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"", err, want);
	cli_options_free(&o);
}

static void test_defaults(void **state)
{
	struct cli_options o;
	ok(&o, NULL, ARGS("issue", "-d", "example.com", API));
	assert_int_equal(o.cmd, CLI_CMD_ISSUE);
	assert_string_equal(o.server, CLI_DEFAULT_SERVER);
	assert_null(o.state_dir);
	assert_null(o.ca_file);
	assert_null(o.acme_dns_storage);
	assert_int_equal(o.email.n, 0);
	assert_false(o.accept_tos);
	assert_int_equal(o.account_key_type, KEY_EC256);
	assert_int_equal(o.key_type, KEY_EC256);
	assert_true(o.acme_dns_register);
	assert_int_equal(o.propagation_timeout, 120);
	assert_int_equal(o.propagation_interval, 2);
	assert_int_equal(o.timeout, 300);
	assert_int_equal(o.lock_timeout, 60);
	assert_int_equal(o.days, 30);
	assert_int_equal(o.reason, 0);
	assert_int_equal(o.log_level, LOG_LVL_INFO);
	assert_false(o.json);
	/* Defaults do not count as given: renew keeps a certificate's own key type unless --key-type is set. */
	assert_false(cli_options_given(&o, "key-type"));
	assert_false(cli_options_given(&o, "server"));
	assert_true(cli_options_given(&o, "domain"));
	assert_true(cli_options_given(&o, "acme-dns-api"));
	cli_options_free(&o);
}

static void test_precedence(void **state)
{
	struct cli_options o;
	const char *cfg = write_cfg("server: https://file.example/dir\nemail: [file@example.org]\ndays: 10\n"
				    "timeout: 60\n");
	char env_cfg[PATH_MAX + 32];
	snprintf(env_cfg, sizeof(env_cfg), "ACME_DNS_CLI_CONFIG=%s", cfg);
	char *const env[] = { env_cfg, "ACME_DNS_CLI_SERVER=https://env.example/dir",
			      "ACME_DNS_CLI_EMAIL=env1@example.org,env2@example.org", "ACME_DNS_CLI_TIMEOUT=",
			      NULL };

	/* The file alone for what nothing else sets; an empty variable changes nothing. */
	ok(&o, env, ARGS("renew", "--all", API));
	assert_string_equal(o.server, "https://env.example/dir");
	assert_int_equal(o.days, 10);
	assert_int_equal(o.timeout, 60);
	assert_int_equal(o.email.n, 2);         /* the environment's list replaces the file's, whole */
	assert_string_equal(o.email.v[0], "env1@example.org");
	assert_string_equal(o.email.v[1], "env2@example.org");
	cli_options_free(&o);

	/* Flags above everything. */
	ok(&o, env, ARGS("renew", "--all", API, "--server", "https://flag.example/dir", "--email", "f@example.org",
			 "--days=5"));
	assert_string_equal(o.server, "https://flag.example/dir");
	assert_int_equal(o.email.n, 1);
	assert_string_equal(o.email.v[0], "f@example.org");
	assert_int_equal(o.days, 5);
	cli_options_free(&o);

	/* --config beats ACME_DNS_CLI_CONFIG. */
	char *const env2[] = { "ACME_DNS_CLI_CONFIG=/nonexistent/cfg.yaml", NULL };
	ok(&o, env2, ARGS("renew", "--all", API, "--config", (char *)cfg));
	assert_int_equal(o.days, 10);
	cli_options_free(&o);
	error(env2, ARGS("renew", "--all", API), "/nonexistent/cfg.yaml: cannot open");
	unlink(cfg);
}

static void test_lists(void **state)
{
	struct cli_options o;
	ok(&o, NULL, ARGS("issue", "-d", "Example.COM.", "--domain=*.example.com,www.example.com", "-dexample.com",
			  API, "--dns-resolvers", "127.0.0.1:5353,[::1]:53", "--dns-resolvers", "10.0.0.1"));
	assert_int_equal(o.domain.n, 3);        /* lower case, no trailing dot, duplicates merged */
	assert_string_equal(o.domain.v[0], "example.com");
	assert_string_equal(o.domain.v[1], "*.example.com");
	assert_string_equal(o.domain.v[2], "www.example.com");
	assert_int_equal(o.dns_resolvers.n, 3);
	assert_string_equal(o.dns_resolvers.v[1], "[::1]:53");
	cli_options_free(&o);

	const char *cfg = write_cfg("domain:\n  - a.example.com\n  - \"*.a.example.com\"\nacme-dns-api: https://auth/\n"
				    "dns-resolvers: 127.0.0.1\n");
	ok(&o, NULL, ARGS("issue", "--config", (char *)cfg));
	assert_int_equal(o.domain.n, 2);
	assert_string_equal(o.domain.v[1], "*.a.example.com");
	assert_int_equal(o.dns_resolvers.n, 1);
	assert_string_equal(o.acme_dns_api, "https://auth/");
	cli_options_free(&o);
	unlink(cfg);
}

static void test_booleans(void **state)
{
	struct cli_options o;
	ok(&o, NULL, ARGS("issue", "-d", "a.example", API, "--no-acme-dns-register", "--json", "--skip-propagation"));
	assert_false(o.acme_dns_register);
	assert_true(o.json);
	assert_true(o.skip_propagation);
	cli_options_free(&o);

	ok(&o, ENV("ACME_DNS_CLI_ACME_DNS_REGISTER=0", "ACME_DNS_CLI_ACCEPT_TOS=1", "ACME_DNS_CLI_QUIET=true"),
	   ARGS("issue", "-d", "a.example", API));
	assert_false(o.acme_dns_register);
	assert_true(o.accept_tos);
	assert_true(o.quiet);
	assert_int_equal(o.log_level, LOG_LVL_WARN);   /* --quiet lowers the default log level */
	cli_options_free(&o);

	/* A flag turns off what the environment turned on. */
	ok(&o, ENV("ACME_DNS_CLI_JSON=yes", "ACME_DNS_CLI_QUIET=1"),
	   ARGS("issue", "-d", "a.example", API, "--no-json", "--log-level", "debug"));
	assert_false(o.json);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	cli_options_free(&o);

	error(ENV("ACME_DNS_CLI_ACCEPT_TOS=maybe"), ARGS("account", "show"),
	      "ACME_DNS_CLI_ACCEPT_TOS: expected true or false, got \"maybe\"");
	error(NULL, ARGS("account", "show", "--json=1"), "--json takes no value");
	error(NULL, ARGS("account", "show", "--no-server"), "unknown option --no-server");
}

static void test_commands(void **state)
{
	struct cli_options o;
	ok(&o, NULL, ARGS("account", "rollover", "--account-key-type", "rsa3072"));
	assert_int_equal(o.cmd, CLI_CMD_ACCOUNT);
	assert_int_equal(o.account_action, CLI_ACCOUNT_ROLLOVER);
	assert_int_equal(o.account_key_type, KEY_RSA3072);
	cli_options_free(&o);

	/* Options may come before the command. */
	ok(&o, NULL, ARGS("--reason", "4", "revoke", "--cert-name", "_.example.com", "--with-cert-key"));
	assert_int_equal(o.cmd, CLI_CMD_REVOKE);
	assert_int_equal(o.reason, 4);
	assert_true(o.with_cert_key);
	assert_string_equal(o.cert_name, "_.example.com");
	cli_options_free(&o);

	/* A TXT value may start with '-': the value of --value is taken as it is. */
	ok(&o, NULL, ARGS("update", "-d", "*.example.com", "--value", "-abc_DEF", API));
	assert_string_equal(o.value, "-abc_DEF");
	cli_options_free(&o);

	char err[512];
	parse_env(&o, NULL, CLI_PARSE_HELP, err, sizeof(err), ARGS("renew", "--help"));
	assert_int_equal(o.help_cmd, CLI_CMD_RENEW);
	cli_options_free(&o);
	parse_env(&o, NULL, CLI_PARSE_HELP, err, sizeof(err), ARGS("help", "issue"));
	assert_int_equal(o.help_cmd, CLI_CMD_ISSUE);
	cli_options_free(&o);
	parse_env(&o, NULL, CLI_PARSE_HELP, err, sizeof(err), ARGS("-h"));
	assert_int_equal(o.help_cmd, CLI_CMD_NONE);
	cli_options_free(&o);
	parse_env(&o, NULL, CLI_PARSE_VERSION, err, sizeof(err), ARGS("--version"));
	cli_options_free(&o);
}

static void test_usage_errors(void **state)
{
	error(NULL, ARGS("--json"), "no command given");
	error(NULL, ARGS("frobnicate"), "unknown command \"frobnicate\"");
	error(NULL, ARGS("issue", "-d", "a.example", API, "--bogus"), "unknown option --bogus");
	error(NULL, ARGS("issue", "-x"), "unknown option -x");
	error(NULL, ARGS("issue", "-d", "a.example", API, "--days", "3"), "--days is not an option of issue");
	error(NULL, ARGS("register", "-d", "a.example", API, "--cert-name", "x"), "--cert-name is not an option of");
	error(NULL, ARGS("issue", API), "issue needs at least one -d NAME");
	error(NULL, ARGS("issue", "-d", "a.example"), "issue needs --acme-dns-api URL");
	error(NULL, ARGS("issue", "-d", "a.example", "b.example", API), "unexpected argument \"b.example\"");
	error(NULL, ARGS("renew", API), "renew needs either --cert-name NAME or --all");
	error(NULL, ARGS("renew", API, "--all", "--cert-name", "x"), "renew needs either");
	error(NULL, ARGS("revoke"), "revoke needs --cert-name NAME");
	error(NULL, ARGS("update", "-d", "a.example", API), "update needs --value TXT");
	error(NULL, ARGS("update", "-d", "a.example,b.example", "--value", "v", API), "update takes exactly one");
	error(NULL, ARGS("account"), "account needs an action");
	error(NULL, ARGS("account", "show", "--eab-kid", "k"), "--eab-kid and --eab-hmac-key go together");
	error(NULL, ARGS("account", "show", "--server"), "--server needs a value");
	error(NULL, ARGS("account", "show", "--server", "https://a/", "--server=https://b/"), "--server given twice");
}

static void test_bad_values(void **state)
{
	error(NULL, ARGS("account", "show", "--server", "ca.example/dir"), "--server: expected a URL starting with https://");
	error(NULL, ARGS("account", "show", "--server", "https:///dir"), "--server: not a URL with a host");
	error(NULL, ARGS("account", "show", "--acme-dns-api", "ftp://x"), "--acme-dns-api: expected a URL");
	error(NULL, ARGS("account", "show", "--email", "nobody"), "--email: not an e-mail address: nobody");
	error(NULL, ARGS("account", "show", "--email", "a@b.c,"), "--email: empty value");
	error(NULL, ARGS("account", "show", "--dns-resolvers", "ns1.example"), "--dns-resolvers: not an IP address");
	error(NULL, ARGS("account", "show", "--dns-resolvers", "127.0.0.1:99999"), "--dns-resolvers: bad port");
	error(NULL, ARGS("account", "show", "--dns-resolvers", "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,"
							       "127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9"),
	      "--dns-resolvers: at most 8 values");
	error(NULL, ARGS("account", "show", "--account-key-type", "ed25519"), "--account-key-type: unknown key type");
	error(NULL, ARGS("account", "show", "--timeout", "0"), "--timeout: 0 is out of range (1 to 86400)");
	error(NULL, ARGS("account", "show", "--timeout", "-5"), "--timeout: expected a whole number");
	error(NULL, ARGS("account", "show", "--timeout", "010"), "--timeout: expected a whole number");
	error(NULL, ARGS("account", "show", "--log-level", "loud"), "--log-level: unknown level \"loud\"");
	error(NULL, ARGS("revoke", "--cert-name", "x", "--reason", "7"), "--reason: 7 is not a reason code");
	error(NULL, ARGS("revoke", "--cert-name", "x", "--reason", "11"), "--reason: 11 is out of range");
	error(NULL, ARGS("revoke", "--cert-name", "../etc"), "--cert-name: not a certificate name");
	error(NULL, ARGS("revoke", "--cert-name", "a/b"), "--cert-name: not a certificate name");
	error(NULL, ARGS("issue", "-d", "exa mple.com", API), "-d: not a DNS name");
	error(NULL, ARGS("issue", "-d", "localhost", API), "-d: not a DNS name: \"localhost\" (give the full name");
	error(NULL, ARGS("issue", "-d", "a.*.example.com", API), "-d: not a DNS name: \"a.*.example.com\" (a wildcard");
	error(NULL, ARGS("issue", "-d", "-a.example.com", API), "-d: not a DNS name");
	error(NULL, ARGS("issue", "-d", "*.*.example.com", API), "-d: not a DNS name");
	error(NULL, ARGS("update", "-d", "a.example", "--value", "a b", API), "--value: only printable ASCII");
	error(ENV("ACME_DNS_CLI_DAYS=abc"), ARGS("account", "show"), "ACME_DNS_CLI_DAYS: expected a whole number");
}

/* Config file errors read FILE:LINE: key: reason. */
static void file_error(const char *text, const char *want)
{
	const char *cfg = write_cfg(text);
	char full[PATH_MAX + 256];
	snprintf(full, sizeof(full), "%s:%s", cfg, want);
	error(NULL, ARGS("account", "show", "--config", (char *)cfg), full);
	unlink(cfg);
}

static void test_file_errors(void **state)
{
	file_error("server: https://a/dir\nbogus: 1\n", "2: bogus: unknown key");
	file_error("config: /x\n", "1: config: unknown key");
	file_error("days: 3\ndays: 4\n", "2: days: duplicate key");
	file_error("server: [https://a/dir]\n", "1: server: expected a single value, found a list");
	file_error("\n\nemail:\n", "3: email: missing value");
	file_error("timeout: 1h\n", "1: timeout: expected a whole number from 1 to 86400, got \"1h\"");
	file_error("json: perhaps\n", "1: json: expected true or false");
	file_error("email:\n  - a@b.example\n  - nobody\n", "3: email: not an e-mail address: nobody");
	file_error("- a\n- b\n", "1: top level: expected a mapping");
	file_error("server: {a: b}\n", "1: server: expected a single value, found a mapping");
	file_error("a: [\n", "2: syntax error:");

	/* An empty file and an empty list are fine. */
	struct cli_options o;
	const char *cfg = write_cfg("");
	ok(&o, NULL, ARGS("account", "show", "--config", (char *)cfg));
	cli_options_free(&o);
	unlink(cfg);
	cfg = write_cfg("email: []\n# nothing else\n");
	ok(&o, ENV(NULL), ARGS("account", "show", "--config", (char *)cfg));
	assert_int_equal(o.email.n, 0);
	cli_options_free(&o);
	unlink(cfg);
}

static void test_wants_json(void **state)
{
	assert_true(cli_options_wants_json(3, ARGS("x", "issue", "--json"), NULL));
	assert_false(cli_options_wants_json(2, ARGS("x", "issue"), NULL));
	assert_true(cli_options_wants_json(2, ARGS("x", "issue"), ENV("ACME_DNS_CLI_JSON=1")));
	assert_false(cli_options_wants_json(3, ARGS("x", "issue", "--no-json"), ENV("ACME_DNS_CLI_JSON=1")));
	assert_false(cli_options_wants_json(4, ARGS("x", "--", "--json", "y"), NULL));
}

static void test_domain_normalise(void **state)
{
	char out[256], err[256];
	assert_int_equal(cli_domain_normalise("*.Example.ORG.", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "*.example.org");
	assert_int_equal(cli_domain_normalise("xn--bcher-kva.example", out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(cli_domain_normalise("", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(cli_domain_normalise(".", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(cli_domain_normalise("a..b", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(cli_domain_normalise("a_b.example", out, sizeof(out), err, sizeof(err)), -1);
	char longlabel[80];
	memset(longlabel, 'a', 64);
	memcpy(longlabel + 64, ".example", 9);
	assert_int_equal(cli_domain_normalise(longlabel, out, sizeof(out), err, sizeof(err)), -1);
}

/* The pdns and exec solvers' options: flags, lego's variable names, the config file; solving commands only. */
static void test_pdns_exec_options(void **state)
{
	struct cli_options o;
	ok(&o, ENV("PDNS_API_URL=http://127.0.0.1:8081", "PDNS_API_KEY=k3y-from-env", "PDNS_SERVER_NAME=ns1",
		   "EXEC_PATH=/usr/local/bin/dns-hook", "EXEC_TIMEOUT=30"),
	   ARGS("issue", "-d", "a.example", "--solver", "pdns"));
	assert_string_equal(o.solver, "pdns");
	assert_string_equal(o.pdns_api_url, "http://127.0.0.1:8081");
	assert_string_equal(o.pdns_api_key, "k3y-from-env");
	assert_string_equal(o.pdns_server_id, "ns1");
	assert_string_equal(o.exec_program, "/usr/local/bin/dns-hook");
	assert_int_equal(o.exec_timeout, 30);
	cli_options_free(&o);

	const char *cfg = write_cfg("solver: exec\nexec-program: ./hook.sh\n");
	ok(&o, ENV("PDNS_API_KEY=k3y-from-env"),
	   ARGS("cleanup", "--stale", "--config", (char *)cfg, "--pdns-api-key", "k3y-from-flag", "--exec-timeout", "5"));
	unlink(cfg);
	assert_string_equal(o.solver, "exec");
	assert_string_equal(o.exec_program, "./hook.sh");
	assert_int_equal(o.exec_timeout, 5);
	assert_string_equal(o.pdns_api_key, "k3y-from-flag");
	assert_null(o.pdns_api_url);
	cli_options_free(&o);

	ok(&o, NULL, ARGS("renew", "--all", "--solver", "exec", "--exec-program", "hook"));
	assert_int_equal(o.exec_timeout, 0);       /* the adapter's default */
	cli_options_free(&o);

	error(NULL, ARGS("register", "-d", "a.example", API, "--pdns-api-key", "k"), "--pdns-api-key is not an option of register");
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "exec", "--exec-timeout", "0"),
	      "--exec-timeout: 0 is out of range (1 to 86400)");
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "pdns", "--pdns-api-url", "127.0.0.1:8081"),
	      "--pdns-api-url: expected a URL");
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "pdns", "--pdns-api-key", "sec ret"),
	      "--pdns-api-key: only printable ASCII without spaces is allowed");
}

/* --solver rfc2136: lego's variable names, flags over them, no acme-dns API needed, the values checked. */
static void test_rfc2136_options(void **state)
{
	struct cli_options o;
	ok(&o, ENV("RFC2136_NAMESERVER=192.0.2.53:5353", "RFC2136_TSIG_KEY=env-key", "RFC2136_TSIG_SECRET=c2VjcmV0",
		   "RFC2136_TSIG_ALGORITHM=hmac-sha512.", "RFC2136_DNS_TIMEOUT=3", "RFC2136_TTL=120"),
	   ARGS("issue", "-d", "example.com", "--solver", "rfc2136", "--rfc2136-tsig-key", "flag-key"));
	assert_string_equal(o.solver, "rfc2136");
	assert_string_equal(o.rfc2136_nameserver, "192.0.2.53:5353");
	assert_string_equal(o.rfc2136_tsig_key, "flag-key");
	assert_string_equal(o.rfc2136_tsig_secret, "c2VjcmV0");
	assert_string_equal(o.rfc2136_tsig_algorithm, "hmac-sha512.");
	assert_int_equal(o.rfc2136_timeout, 3);
	assert_int_equal(o.rfc2136_ttl, 120);
	assert_null(o.acme_dns_api);
	assert_false(o.rfc2136_unsigned);
	cli_options_free(&o);

	const char *cfg = write_cfg("solver: rfc2136\nrfc2136-nameserver: \"[2001:db8::53]:53\"\n"
				    "rfc2136-tsig-file: /etc/acme/tsig.key\nrfc2136-unsigned: false\n");
	ok(&o, NULL, ARGS("cleanup", "--stale", "--config", (char *)cfg));
	assert_string_equal(o.rfc2136_nameserver, "[2001:db8::53]:53");
	assert_string_equal(o.rfc2136_tsig_file, "/etc/acme/tsig.key");
	assert_int_equal(o.rfc2136_timeout, 0);         /* the solver's default */
	cli_options_free(&o);
	unlink(cfg);

	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "rfc2136", "--rfc2136-tsig-algorithm", "hmac-sha3"),
	      "--rfc2136-tsig-algorithm: unknown TSIG algorithm \"hmac-sha3\"");
	error(ENV("RFC2136_DNS_TIMEOUT=0"), ARGS("issue", "-d", "a.example", "--solver", "rfc2136"),
	      "RFC2136_DNS_TIMEOUT: 0 is out of range (1 to 300)");
	error(NULL, ARGS("register", "-d", "a.example", API, "--rfc2136-nameserver", "127.0.0.1"),
	      "--rfc2136-nameserver is not an option of register");
	/* the secret's errors never quote it */
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "rfc2136", "--rfc2136-tsig-secret", "a\tb"),
	      "--rfc2136-tsig-secret: contains a control character");
}

/* --solver cloudflare, digitalocean, hetzner, httpreq: lego's variables, lego's second names for Cloudflare's (read
 * only when the first is unset), the TTL ranges the providers take. */
static void test_cloud_options(void **state)
{
	struct cli_options o;
	ok(&o, ENV("CF_DNS_API_TOKEN=cf-second", "CLOUDFLARE_ZONE_API_TOKEN=zone-first", "CF_ZONE_API_TOKEN=zone-second",
		   "CF_API_EMAIL=a@example.com", "CF_API_KEY=k3y", "CLOUDFLARE_TTL=300",
		   "CLOUDFLARE_BASE_URL=http://127.0.0.1:9/client/v4", "DO_AUTH_TOKEN=do-tok", "DO_TTL=30",
		   "DO_API_URL=http://127.0.0.1:9/v2", "HETZNER_API_KEY=hz-key", "HETZNER_TTL=60",
		   "HETZNER_API_URL=http://127.0.0.1:9/api/v1", "HTTPREQ_ENDPOINT=https://hooks.example.com/acme",
		   "HTTPREQ_USERNAME=acme", "HTTPREQ_PASSWORD=pass word", "HTTPREQ_MODE=RAW"),
	   ARGS("issue", "-d", "example.com", "--solver", "cloudflare"));
	assert_string_equal(o.cloudflare_dns_api_token, "cf-second");
	assert_string_equal(o.cloudflare_zone_api_token, "zone-first");
	assert_string_equal(o.cloudflare_email, "a@example.com");
	assert_string_equal(o.cloudflare_api_key, "k3y");
	assert_int_equal(o.cloudflare_ttl, 300);
	assert_string_equal(o.cloudflare_base_url, "http://127.0.0.1:9/client/v4");
	assert_string_equal(o.digitalocean_auth_token, "do-tok");
	assert_int_equal(o.digitalocean_ttl, 30);
	assert_string_equal(o.digitalocean_base_url, "http://127.0.0.1:9/v2");
	assert_string_equal(o.hetzner_api_key, "hz-key");
	assert_int_equal(o.hetzner_ttl, 60);
	assert_string_equal(o.hetzner_base_url, "http://127.0.0.1:9/api/v1");
	assert_string_equal(o.httpreq_endpoint, "https://hooks.example.com/acme");
	assert_string_equal(o.httpreq_username, "acme");
	assert_string_equal(o.httpreq_password, "pass word");   /* a password may hold a space */
	assert_string_equal(o.httpreq_mode, "RAW");             /* refused by the adapter, with its reason */
	assert_null(o.acme_dns_api);
	cli_options_free(&o);

	ok(&o, ENV("CLOUDFLARE_DNS_API_TOKEN=cf-first", "CF_DNS_API_TOKEN=cf-second"),
	   ARGS("cleanup", "--stale", "--solver", "cloudflare", "--cloudflare-ttl", "120"));
	assert_string_equal(o.cloudflare_dns_api_token, "cf-first");
	assert_int_equal(o.cloudflare_ttl, 120);
	cli_options_free(&o);

	error(ENV("CF_DNS_API_TOKEN=a b"), ARGS("issue", "-d", "a.example", "--solver", "cloudflare"),
	      "CF_DNS_API_TOKEN: only printable ASCII without spaces is allowed");
	error(ENV("CLOUDFLARE_TTL=30"), ARGS("issue", "-d", "a.example", "--solver", "cloudflare"),
	      "CLOUDFLARE_TTL: 30 is out of range (60 to 86400)");
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "digitalocean", "--digitalocean-ttl", "29"),
	      "--digitalocean-ttl: 29 is out of range (30 to 86400)");
	error(ENV("HETZNER_TTL=59"), ARGS("issue", "-d", "a.example", "--solver", "hetzner"),
	      "HETZNER_TTL: 59 is out of range (60 to 86400)");
	error(NULL, ARGS("issue", "-d", "a.example", "--solver", "httpreq", "--httpreq-endpoint", "hooks.example.com"),
	      "--httpreq-endpoint: expected a URL");
	error(NULL, ARGS("register", "-d", "a.example", API, "--hetzner-api-key", "k"),
	      "--hetzner-api-key is not an option of register");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_wants_json),
		cmocka_unit_test(test_domain_normalise),
		cmocka_unit_test(test_pdns_exec_options),
		cmocka_unit_test(test_rfc2136_options),
		cmocka_unit_test(test_cloud_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

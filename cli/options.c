/* acme-dns-cli options: one table of options read from flags, the environment and a YAML file, in that order of
 * precedence, each value checked where it is read so the message can name its source. */
#include "options.h"

#include "azuredns.h"
#include "gcloud.h"
#include "key.h"
#include "log.h"
#include "route53.h"
#include "tsig.h"

#include <openssl/crypto.h>
#include <yaml.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A configuration file is small; refusing big ones keeps a mistaken path from eating memory. */
#define CLI_CONFIG_MAX (256 * 1024)

enum opt_store { S_STR, S_LIST, S_BOOL, S_INT };

/* Checks one text value (a list item for S_LIST) and writes the value to keep into out. */
typedef int (*opt_check_fn)(const char *in, char *out, size_t outlen, char *why, size_t whylen);
/* Parses the value of an S_INT option. */
typedef int (*opt_int_fn)(const char *in, int min, int max, int *v, char *why, size_t whylen);

struct opt_spec {
	const char *name;
	char short_name;
	const char *env;
	enum opt_store store;
	unsigned cmds;          /* bit per enum cli_cmd where the flag is accepted */
	size_t off;
	opt_check_fn check;     /* S_STR and S_LIST items */
	opt_int_fn to_int;      /* S_INT */
	int min, max;           /* S_INT range; S_LIST: max items */
	const char *metavar;
	const char *help;
};

#define OFF(f) offsetof(struct cli_options, f)

/* The solvers besides acme-dns, for the help of --solver (each adapter's row adds its name). */
#define SOLVER_NAMES_HELP ", rfc2136, pdns, exec, cloudflare, digitalocean, hetzner, httpreq, route53, gcloud, azuredns"
#define C_(c) (1u << (c))
#define C_REG C_(CLI_CMD_REGISTER)
#define C_ISSUE C_(CLI_CMD_ISSUE)
#define C_RENEW C_(CLI_CMD_RENEW)
#define C_REVOKE C_(CLI_CMD_REVOKE)
#define C_ACCOUNT C_(CLI_CMD_ACCOUNT)
#define C_UPDATE C_(CLI_CMD_UPDATE)
#define C_CHECK C_(CLI_CMD_CHECK)
#define C_DELEG C_(CLI_CMD_DELEGATION)
#define C_CLEANUP C_(CLI_CMD_CLEANUP)
#define C_ALL (C_REG | C_ISSUE | C_RENEW | C_REVOKE | C_ACCOUNT | C_UPDATE | C_CHECK | C_DELEG | C_CLEANUP)
#define C_SOLVE (C_ISSUE | C_RENEW | C_CLEANUP)   /* commands that use a solver */

static int check_text(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_url(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_email(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_resolver(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_domain(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_cert_name(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_token(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int check_tsig_alg(const char *in, char *out, size_t outlen, char *why, size_t whylen);
static int int_number(const char *in, int min, int max, int *v, char *why, size_t whylen);
static int int_key_type(const char *in, int min, int max, int *v, char *why, size_t whylen);
static int int_log_level(const char *in, int min, int max, int *v, char *why, size_t whylen);
static int int_reason(const char *in, int min, int max, int *v, char *why, size_t whylen);

static const struct opt_spec specs[] = {
	{ "config", 0, "ACME_DNS_CLI_CONFIG", S_STR, C_ALL, OFF(config), check_text, NULL, 0, 0, "FILE",
	  "YAML file of options; keys are the long option names" },
	{ "server", 0, "ACME_DNS_CLI_SERVER", S_STR, C_ALL, OFF(server), check_url, NULL, 0, 0, "URL",
	  "ACME directory URL (default " CLI_DEFAULT_SERVER ")" },
	{ "state-dir", 0, "ACME_DNS_STATE_DIR", S_STR, C_ALL, OFF(state_dir), check_text, NULL, 0, 0, "DIR",
	  "accounts and certificates (default $XDG_DATA_HOME/acme-dns-cli or ~/.local/share/acme-dns-cli)" },
	{ "ca-file", 0, "ACME_DNS_CLI_CA_FILE", S_STR, C_ALL, OFF(ca_file), check_text, NULL, 0, 0, "PEM",
	  "roots to trust for the CA and the acme-dns API instead of the system's" },
	{ "email", 0, "ACME_DNS_CLI_EMAIL", S_LIST, C_ALL, OFF(email), check_email, NULL, 0, 8, "ADDRESS",
	  "account contact; repeatable or comma-separated" },
	{ "accept-tos", 0, "ACME_DNS_CLI_ACCEPT_TOS", S_BOOL, C_ALL, OFF(accept_tos), NULL, NULL, 0, 0, NULL,
	  "agree to the CA's terms of service when creating the account" },
	{ "eab-kid", 0, "ACME_DNS_CLI_EAB_KID", S_STR, C_ALL, OFF(eab_kid), check_text, NULL, 0, 0, "KID",
	  "External Account Binding key id" },
	{ "eab-hmac-key", 0, "ACME_DNS_CLI_EAB_HMAC_KEY", S_STR, C_ALL, OFF(eab_hmac_key), check_text, NULL, 0, 0,
	  "KEY", "External Account Binding HMAC key, base64url (prefer the environment variable)" },
	{ "account-key-type", 0, "ACME_DNS_CLI_ACCOUNT_KEY_TYPE", S_INT, C_ALL, OFF(account_key_type), NULL,
	  int_key_type, 0, 0, "TYPE", "key of a new account or of a rollover: ec256 (default), ec384, rsa2048, "
				       "rsa3072, rsa4096" },
	{ "acme-dns-api", 0, "ACME_DNS_API_BASE", S_STR, C_ALL, OFF(acme_dns_api), check_url, NULL, 0, 0, "URL",
	  "base URL of the acme-dns API" },
	{ "acme-dns-storage", 0, "ACME_DNS_STORAGE_PATH", S_STR, C_ALL, OFF(acme_dns_storage), check_text, NULL, 0,
	  0, "FILE", "acme-dns accounts, lego's JSON shape (default STATE/acme-dns/accounts.json)" },
	{ "acme-dns-register", 0, "ACME_DNS_CLI_ACME_DNS_REGISTER", S_BOOL, C_ALL, OFF(acme_dns_register), NULL,
	  NULL, 0, 0, NULL, "issue: register domains that have no acme-dns account (default on)" },
	{ "dns-resolvers", 0, "ACME_DNS_CLI_DNS_RESOLVERS", S_LIST, C_ALL, OFF(dns_resolvers), check_resolver,
	  NULL, 0, 8, "ADDR[:PORT]", "resolvers for the propagation check; repeatable or comma-separated "
				     "(default: the system's)" },
	{ "propagation-timeout", 0, "ACME_DNS_CLI_PROPAGATION_TIMEOUT", S_INT, C_ALL, OFF(propagation_timeout),
	  NULL, int_number, 1, 86400, "SECONDS", "wait at most this long for the records to be visible (default 120)" },
	{ "propagation-interval", 0, "ACME_DNS_CLI_PROPAGATION_INTERVAL", S_INT, C_ALL, OFF(propagation_interval),
	  NULL, int_number, 1, 3600, "SECONDS", "between two propagation checks (default 2)" },
	{ "solver", 0, "ACME_DNS_CLI_SOLVER", S_STR, C_SOLVE, OFF(solver), check_token, NULL, 0, 0, "NAME",
	  "where the challenge records go: acme-dns (default)" SOLVER_NAMES_HELP },
	/* --solver rfc2136: lego's variable names where lego has the setting, so a lego set-up carries over */
	{ "rfc2136-nameserver", 0, "RFC2136_NAMESERVER", S_STR, C_SOLVE, OFF(rfc2136_nameserver), check_text, NULL,
	  0, 0, "ADDR[:PORT]", "rfc2136: the primary server that takes the updates (port 53 by default)" },
	{ "rfc2136-tsig-file", 0, "RFC2136_TSIG_FILE", S_STR, C_SOLVE, OFF(rfc2136_tsig_file), check_text, NULL, 0,
	  0, "FILE", "rfc2136: BIND key file with the TSIG key (key \"NAME\" { algorithm ...; secret \"...\"; };)" },
	{ "rfc2136-tsig-key", 0, "RFC2136_TSIG_KEY", S_STR, C_SOLVE, OFF(rfc2136_tsig_key), check_text, NULL, 0, 0,
	  "NAME", "rfc2136: TSIG key name (with --rfc2136-tsig-file: which key of the file)" },
	{ "rfc2136-tsig-secret", 0, "RFC2136_TSIG_SECRET", S_STR, C_SOLVE, OFF(rfc2136_tsig_secret), check_text,
	  NULL, 0, 0, "BASE64", "rfc2136: TSIG secret (prefer the variable or a key file: flags show in ps)" },
	{ "rfc2136-tsig-algorithm", 0, "RFC2136_TSIG_ALGORITHM", S_STR, C_SOLVE, OFF(rfc2136_tsig_algorithm),
	  check_tsig_alg, NULL, 0, 0, "ALG", "rfc2136: hmac-sha256 (default), hmac-sha1, hmac-sha224, hmac-sha384, "
					      "hmac-sha512, hmac-md5" },
	{ "rfc2136-timeout", 0, "RFC2136_DNS_TIMEOUT", S_INT, C_SOLVE, OFF(rfc2136_timeout), NULL, int_number, 1,
	  300, "SECONDS", "rfc2136: wait this long for each answer of the server (default 10)" },
	{ "rfc2136-ttl", 0, "RFC2136_TTL", S_INT, C_SOLVE, OFF(rfc2136_ttl), NULL, int_number, 1, 86400, "SECONDS",
	  "rfc2136: TTL of the challenge TXT records (default 60)" },
	{ "rfc2136-unsigned", 0, "ACME_DNS_CLI_RFC2136_UNSIGNED", S_BOOL, C_SOLVE, OFF(rfc2136_unsigned), NULL, NULL,
	  0, 0, NULL, "rfc2136: send unsigned updates when no TSIG key is given (else that is an error)" },
	{ "propagation-wait", 0, "ACME_DNS_CLI_PROPAGATION_WAIT", S_INT, C_ALL, OFF(propagation_wait), NULL,
	  int_number, 0, 86400, "SECONDS", "issue: wait this long more after the check (or, with --skip-propagation, "
					   "instead of it) before answering the CA (default 0)" },
	{ "propagation-serial", 0, "ACME_DNS_CLI_PROPAGATION_SERIAL", S_BOOL, C_ALL, OFF(propagation_serial), NULL,
	  NULL, 0, 0, NULL, "also require the same SOA serial at every authoritative server" },
	{ "check-resolvers", 0, "ACME_DNS_CLI_CHECK_RESOLVERS", S_BOOL, C_ALL, OFF(check_resolvers), NULL, NULL, 0,
	  0, NULL, "after the authoritative servers agree, require the resolvers to answer the values too" },
	{ "authoritative-port", 0, "ACME_DNS_CLI_AUTHORITATIVE_PORT", S_INT, C_ALL, OFF(authoritative_port), NULL,
	  int_number, 1, 65535, "PORT", "port the authoritative servers are asked on (default 53; for labs)" },
	{ "skip-propagation", 0, "ACME_DNS_CLI_SKIP_PROPAGATION", S_BOOL, C_ALL, OFF(skip_propagation), NULL, NULL,
	  0, 0, NULL, "tell the CA at once: no CNAME check, no wait for the records" },
	{ "timeout", 0, "ACME_DNS_CLI_TIMEOUT", S_INT, C_ALL, OFF(timeout), NULL, int_number, 1, 86400, "SECONDS",
	  "wait at most this long on the CA (default 300)" },
	{ "lock-timeout", 0, "ACME_DNS_CLI_LOCK_TIMEOUT", S_INT, C_ALL, OFF(lock_timeout), NULL, int_number, 0,
	  86400, "SECONDS", "wait at most this long for another run to release the state directory (default 60)" },
	{ "json", 0, "ACME_DNS_CLI_JSON", S_BOOL, C_ALL, OFF(json), NULL, NULL, 0, 0, NULL,
	  "print one JSON object on stdout at the end" },
	{ "quiet", 0, "ACME_DNS_CLI_QUIET", S_BOOL, C_ALL, OFF(quiet), NULL, NULL, 0, 0, NULL,
	  "no human output, no progress; errors only" },
	{ "log-level", 0, "ACME_DNS_CLI_LOG_LEVEL", S_INT, C_ALL, OFF(log_level), NULL, int_log_level, 0, 0, "LEVEL",
	  "debug, info (default; warn with --quiet), warn, error" },

	{ "domain", 'd', "ACME_DNS_CLI_DOMAIN", S_LIST, C_REG | C_ISSUE | C_UPDATE | C_CHECK | C_DELEG, OFF(domain),
	  check_domain, NULL, 0, CLI_LIST_MAX, "NAME", "a DNS name; repeatable or comma-separated" },
	{ "cert-name", 0, "ACME_DNS_CLI_CERT_NAME", S_STR, C_ISSUE | C_RENEW | C_REVOKE, OFF(cert_name),
	  check_cert_name, NULL, 0, 0, "NAME", "the certificate's folder (default: from the first name)" },
	{ "key-type", 0, "ACME_DNS_CLI_KEY_TYPE", S_INT, C_ISSUE | C_RENEW, OFF(key_type), NULL, int_key_type, 0, 0,
	  "TYPE", "certificate key: ec256 (default; renew: the current one's), ec384, rsa2048, rsa3072, rsa4096" },
	{ "reuse-key", 0, "ACME_DNS_CLI_REUSE_KEY", S_BOOL, C_ISSUE | C_RENEW, OFF(reuse_key), NULL, NULL, 0, 0,
	  NULL, "keep the certificate's private key (privkey.pem) when there is one" },
	{ "profile", 0, "ACME_DNS_CLI_PROFILE", S_STR, C_ISSUE | C_RENEW, OFF(profile), check_token, NULL, 0, 0,
	  "NAME", "ask the CA for this certificate profile (renew: the one used at issue)" },
	{ "preferred-chain", 0, "ACME_DNS_CLI_PREFERRED_CHAIN", S_STR, C_ISSUE | C_RENEW, OFF(preferred_chain),
	  check_text, NULL, 0, 0, "ISSUER_CN", "take the alternate chain whose top is issued by this name" },
	{ "deploy-hook", 0, "ACME_DNS_CLI_DEPLOY_HOOK", S_STR, C_ISSUE | C_RENEW, OFF(deploy_hook), check_text, NULL,
	  0, 0, "PROGRAM", "run after new certificate files are written (no shell; see RENEWED_LINEAGE)" },
	{ "all", 0, "ACME_DNS_CLI_ALL", S_BOOL, C_RENEW, OFF(all), NULL, NULL, 0, 0, NULL,
	  "every certificate of the state directory" },
	{ "days", 0, "ACME_DNS_CLI_DAYS", S_INT, C_RENEW, OFF(days), NULL, int_number, 1, 3650, "N",
	  "without renewalInfo: renew when fewer than N days remain (default 30)" },
	{ "force", 0, "ACME_DNS_CLI_FORCE", S_BOOL, C_RENEW, OFF(force), NULL, NULL, 0, 0, NULL,
	  "renew even when not due" },
	{ "reason", 0, "ACME_DNS_CLI_REASON", S_INT, C_REVOKE, OFF(reason), NULL, int_reason, 0, 10, "CODE",
	  "RFC 5280 reason code 0..10 except 7 (default 0)" },
	{ "with-cert-key", 0, "ACME_DNS_CLI_WITH_CERT_KEY", S_BOOL, C_REVOKE, OFF(with_cert_key), NULL, NULL, 0, 0,
	  NULL, "sign with the certificate's key instead of the account's" },
	/* --solver pdns and --solver exec (lego's variable names) */
	{ "pdns-api-url", 0, "PDNS_API_URL", S_STR, C_SOLVE, OFF(pdns_api_url), check_url, NULL, 0, 0, "URL",
	  "pdns: the PowerDNS Authoritative API, e.g. http://127.0.0.1:8081" },
	{ "pdns-api-key", 0, "PDNS_API_KEY", S_STR, C_SOLVE, OFF(pdns_api_key), check_token, NULL, 0, 0, "KEY",
	  "pdns: the API key, sent as X-API-Key (prefer the environment variable)" },
	{ "pdns-server-id", 0, "PDNS_SERVER_NAME", S_STR, C_SOLVE, OFF(pdns_server_id), check_token, NULL, 0, 0,
	  "ID", "pdns: the server id in the API's paths (default localhost)" },
	{ "exec-program", 0, "EXEC_PATH", S_STR, C_SOLVE, OFF(exec_program), check_text, NULL, 0, 0, "PROGRAM",
	  "exec: run as PROGRAM present|cleanup FQDN VALUE for each record (no shell)" },
	{ "exec-timeout", 0, "EXEC_TIMEOUT", S_INT, C_SOLVE, OFF(exec_timeout), NULL, int_number, 1, 86400,
	  "SECONDS", "exec: a run that takes longer is killed (default 60)" },
	/* --solver cloudflare (lego's variables; CF_* are taken too, see env_aliases) */
	{ "cloudflare-dns-api-token", 0, "CLOUDFLARE_DNS_API_TOKEN", S_STR, C_SOLVE, OFF(cloudflare_dns_api_token),
	  check_token, NULL, 0, 0, "TOKEN", "cloudflare: API token with Zone.DNS edit (prefer the variable)" },
	{ "cloudflare-zone-api-token", 0, "CLOUDFLARE_ZONE_API_TOKEN", S_STR, C_SOLVE, OFF(cloudflare_zone_api_token),
	  check_token, NULL, 0, 0, "TOKEN", "cloudflare: API token with Zone read, for the zone lookups (default: the "
					    "DNS token)" },
	{ "cloudflare-email", 0, "CLOUDFLARE_EMAIL", S_STR, C_SOLVE, OFF(cloudflare_email), check_token, NULL, 0, 0,
	  "ADDRESS", "cloudflare: the account's e-mail address, with --cloudflare-api-key instead of a token" },
	{ "cloudflare-api-key", 0, "CLOUDFLARE_API_KEY", S_STR, C_SOLVE, OFF(cloudflare_api_key), check_token, NULL,
	  0, 0, "KEY", "cloudflare: the account's global API key (prefer a scoped token)" },
	{ "cloudflare-base-url", 0, "CLOUDFLARE_BASE_URL", S_STR, C_SOLVE, OFF(cloudflare_base_url), check_url, NULL,
	  0, 0, "URL", "cloudflare: the API root (default https://api.cloudflare.com/client/v4)" },
	{ "cloudflare-ttl", 0, "CLOUDFLARE_TTL", S_INT, C_SOLVE, OFF(cloudflare_ttl), NULL, int_number, 60, 86400,
	  "SECONDS", "cloudflare: TTL of the challenge records (default 120)" },
	/* --solver digitalocean */
	{ "digitalocean-auth-token", 0, "DO_AUTH_TOKEN", S_STR, C_SOLVE, OFF(digitalocean_auth_token), check_token,
	  NULL, 0, 0, "TOKEN", "digitalocean: personal access token with write scope (prefer the variable)" },
	{ "digitalocean-base-url", 0, "DO_API_URL", S_STR, C_SOLVE, OFF(digitalocean_base_url), check_url, NULL, 0,
	  0, "URL", "digitalocean: the API root (default https://api.digitalocean.com/v2)" },
	{ "digitalocean-ttl", 0, "DO_TTL", S_INT, C_SOLVE, OFF(digitalocean_ttl), NULL, int_number, 30, 86400,
	  "SECONDS", "digitalocean: TTL of the challenge records (default 30)" },
	/* --solver hetzner */
	{ "hetzner-api-key", 0, "HETZNER_API_KEY", S_STR, C_SOLVE, OFF(hetzner_api_key), check_token, NULL, 0, 0,
	  "KEY", "hetzner: DNS Console API token, sent as Auth-API-Token (prefer the variable)" },
	{ "hetzner-base-url", 0, "HETZNER_API_URL", S_STR, C_SOLVE, OFF(hetzner_base_url), check_url, NULL, 0, 0,
	  "URL", "hetzner: the API root (default https://dns.hetzner.com/api/v1)" },
	{ "hetzner-ttl", 0, "HETZNER_TTL", S_INT, C_SOLVE, OFF(hetzner_ttl), NULL, int_number, 60, 86400, "SECONDS",
	  "hetzner: TTL of the challenge records (default 60)" },
	/* --solver httpreq */
	{ "httpreq-endpoint", 0, "HTTPREQ_ENDPOINT", S_STR, C_SOLVE, OFF(httpreq_endpoint), check_url, NULL, 0, 0,
	  "URL", "httpreq: POSTs {\"fqdn\",\"value\"} to URL/present and URL/cleanup" },
	{ "httpreq-username", 0, "HTTPREQ_USERNAME", S_STR, C_SOLVE, OFF(httpreq_username), check_token, NULL, 0, 0,
	  "NAME", "httpreq: basic authentication user, with --httpreq-password" },
	{ "httpreq-password", 0, "HTTPREQ_PASSWORD", S_STR, C_SOLVE, OFF(httpreq_password), check_text, NULL, 0, 0,
	  "PASSWORD", "httpreq: basic authentication password (prefer the variable)" },
	{ "httpreq-mode", 0, "HTTPREQ_MODE", S_STR, C_SOLVE, OFF(httpreq_mode), check_token, NULL, 0, 0, "MODE",
	  "httpreq: only the default mode; lego's RAW is refused (it needs the key authorization)" },
	/* --solver route53: lego's variable names; the endpoint's is the AWS SDKs' own */
	{ "route53-access-key-id", 0, "AWS_ACCESS_KEY_ID", S_STR, C_SOLVE, OFF(route53_access_key_id), check_token,
	  NULL, 0, 0, "ID", "route53: access key id (with --route53-secret-access-key; else the credentials file)" },
	{ "route53-secret-access-key", 0, "AWS_SECRET_ACCESS_KEY", S_STR, C_SOLVE, OFF(route53_secret_access_key),
	  check_token, NULL, 0, 0, "SECRET", "route53: secret access key (prefer the variable: flags show in ps)" },
	{ "route53-session-token", 0, "AWS_SESSION_TOKEN", S_STR, C_SOLVE, OFF(route53_session_token), check_token,
	  NULL, 0, 0, "TOKEN", "route53: session token of temporary credentials" },
	{ "route53-credentials-file", 0, "AWS_SHARED_CREDENTIALS_FILE", S_STR, C_SOLVE, OFF(route53_credentials_file),
	  check_text, NULL, 0, 0, "FILE", "route53: AWS credentials file read when no key is given "
					  "(default ~/.aws/credentials)" },
	{ "route53-profile", 0, "AWS_PROFILE", S_STR, C_SOLVE, OFF(route53_profile), check_token, NULL, 0, 0, "NAME",
	  "route53: the profile of that file (default: default)" },
	{ "route53-hosted-zone-id", 0, "AWS_HOSTED_ZONE_ID", S_STR, C_SOLVE, OFF(route53_hosted_zone_id),
	  check_token, NULL, 0, 0, "ID", "route53: write into this hosted zone, without looking one up" },
	{ "route53-private-zone", 0, "AWS_PRIVATE_ZONE", S_BOOL, C_SOLVE, OFF(route53_private_zone), NULL, NULL, 0,
	  0, NULL, "route53: of a public and a private hosted zone of one name, take the private one" },
	{ "route53-endpoint", 0, "AWS_ENDPOINT_URL_ROUTE_53", S_STR, C_SOLVE, OFF(route53_endpoint), check_url, NULL,
	  0, 0, "URL", "route53: the API's URL (default " ROUTE53_ENDPOINT ")" },
	{ "route53-ttl", 0, "AWS_TTL", S_INT, C_SOLVE, OFF(route53_ttl), NULL, int_number, 1, 172800, "SECONDS",
	  "route53: TTL of a TXT record set we create (default 60; an existing one keeps its own)" },
	/* --solver gcloud: lego's variable names, but for the API's URL, which lego does not let one change */
	{ "gcloud-service-account-file", 0, "GCE_SERVICE_ACCOUNT_FILE", S_STR, C_SOLVE,
	  OFF(gcloud_service_account_file), check_text, NULL, 0, 0, "FILE",
	  "gcloud: the service account's JSON key file (its token_uri is where the token comes from)" },
	{ "gcloud-project", 0, "GCE_PROJECT", S_STR, C_SOLVE, OFF(gcloud_project), check_token, NULL, 0, 0, "ID",
	  "gcloud: the project of the zones (default: the key file's project_id)" },
	{ "gcloud-zone-id", 0, "GCE_ZONE_ID", S_STR, C_SOLVE, OFF(gcloud_zone_id), check_token, NULL, 0, 0, "NAME",
	  "gcloud: write into this managed zone (its name), without looking one up" },
	{ "gcloud-allow-private-zone", 0, "GCE_ALLOW_PRIVATE_ZONE", S_BOOL, C_SOLVE, OFF(gcloud_allow_private_zone),
	  NULL, NULL, 0, 0, NULL, "gcloud: private managed zones may be written to too" },
	{ "gcloud-base-url", 0, "GCE_BASE_URL", S_STR, C_SOLVE, OFF(gcloud_base_url), check_url, NULL, 0, 0, "URL",
	  "gcloud: the API's URL (default " GCLOUD_BASE_URL ")" },
	{ "gcloud-ttl", 0, "GCE_TTL", S_INT, C_SOLVE, OFF(gcloud_ttl), NULL, int_number, 1, 172800, "SECONDS",
	  "gcloud: TTL of a TXT rrset we create (default 60; an existing one keeps its own)" },
	/* --solver azuredns: lego's variable names; AZURE_AUTHORITY_HOST is the Azure SDKs' own */
	{ "azure-tenant-id", 0, "AZURE_TENANT_ID", S_STR, C_SOLVE, OFF(azure_tenant_id), check_token, NULL, 0, 0, "ID",
	  "azuredns: the service principal's tenant (directory) id" },
	{ "azure-client-id", 0, "AZURE_CLIENT_ID", S_STR, C_SOLVE, OFF(azure_client_id), check_token, NULL, 0, 0, "ID",
	  "azuredns: the service principal's client (application) id" },
	{ "azure-client-secret", 0, "AZURE_CLIENT_SECRET", S_STR, C_SOLVE, OFF(azure_client_secret), check_token, NULL,
	  0, 0, "SECRET", "azuredns: its client secret (prefer the variable: flags show in ps)" },
	{ "azure-subscription-id", 0, "AZURE_SUBSCRIPTION_ID", S_STR, C_SOLVE, OFF(azure_subscription_id), check_token,
	  NULL, 0, 0, "ID", "azuredns: the subscription that holds the DNS zones" },
	{ "azure-resource-group", 0, "AZURE_RESOURCE_GROUP", S_STR, C_SOLVE, OFF(azure_resource_group), check_token,
	  NULL, 0, 0, "NAME", "azuredns: the resource group of the zones (default: look in the whole subscription)" },
	{ "azure-zone-name", 0, "AZURE_ZONE_NAME", S_STR, C_SOLVE, OFF(azure_zone_name), check_domain, NULL, 0, 0,
	  "ZONE", "azuredns: write into this DNS zone, without looking one up" },
	{ "azure-authority-host", 0, "AZURE_AUTHORITY_HOST", S_STR, C_SOLVE, OFF(azure_authority_host), check_url, NULL,
	  0, 0, "URL", "azuredns: the Microsoft identity platform (default " AZURE_AUTHORITY_HOST ")" },
	{ "azure-resource-manager-endpoint", 0, "AZURE_RESOURCE_MANAGER_ENDPOINT", S_STR, C_SOLVE,
	  OFF(azure_resource_manager), check_url, NULL, 0, 0, "URL",
	  "azuredns: Azure Resource Manager (default " AZURE_RESOURCE_MANAGER "; the token's scope follows it)" },
	{ "azure-ttl", 0, "AZURE_TTL", S_INT, C_SOLVE, OFF(azure_ttl), NULL, int_number, 1, 172800, "SECONDS",
	  "azuredns: TTL of a TXT record set we create (default 60; an existing one keeps its own)" },
	{ "stale", 0, "ACME_DNS_CLI_STALE", S_BOOL, C_CLEANUP, OFF(stale), NULL, NULL, 0, 0, NULL,
	  "remove the challenge records the journal lists (left by a crashed or killed run)" },
	{ "value", 0, "ACME_DNS_CLI_VALUE", S_STR, C_UPDATE | C_CHECK, OFF(value), check_token, NULL, 0, 0, "TXT",
	  "update: the TXT value to set; check: the value every server must answer" },
	{ "to", 0, "ACME_DNS_CLI_TO", S_STR, C_DELEG, OFF(to), check_domain, NULL, 0, 0, "FULLDOMAIN",
	  "the acme-dns subdomain the CNAME must point to (default: the domain's acme-dns account)" },
	{ "caa-identity", 0, "ACME_DNS_CLI_CAA_IDENTITY", S_LIST, C_DELEG, OFF(caa_identity), check_token, NULL, 0,
	  16, "NAME", "the CA's CAA identity, instead of the directory's meta.caaIdentities; repeatable or "
		      "comma-separated" },
};

#define N_SPECS (sizeof(specs) / sizeof(specs[0]))
_Static_assert(N_SPECS <= 64 * CLI_GIVEN_WORDS, "one bit per option in cli_options.given");

static bool given_has(const struct cli_options *o, size_t i)
{
	return o->given[i / 64] >> (i % 64) & 1;
}

static void given_set(struct cli_options *o, size_t i)
{
	o->given[i / 64] |= 1ull << (i % 64);
}

static const char *const cmd_names[] = { "", "register", "issue", "renew", "revoke", "account", "update", "check",
					 "delegation", "cleanup", "help", "version" };

const char *cli_cmd_name(enum cli_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) ? cmd_names[cmd] : "";
}

static enum cli_cmd cmd_parse(const char *s)
{
	for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(s, cmd_names[i]) == 0)
			return (enum cli_cmd)i;
	return CLI_CMD_NONE;
}

/* ---------- value checks ---------- */

static int why_set(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int copy_out(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (strlen(in) >= outlen)
		return why_set(why, whylen, "too long (at most %zu characters)", outlen - 1);
	memcpy(out, in, strlen(in) + 1);
	return 0;
}

static int check_text(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (!*in)
		return why_set(why, whylen, "empty value");
	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return why_set(why, whylen, "contains a control character");
	return copy_out(in, out, outlen, why, whylen);
}

/* http:// is taken too: acme-dns APIs on loopback, and test CAs (a warning is logged for --server). */
static int check_url(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (check_text(in, out, outlen, why, whylen) < 0)
		return -1;
	size_t skip = strncmp(in, "https://", 8) == 0 ? 8 : strncmp(in, "http://", 7) == 0 ? 7 : 0;
	if (!skip)
		return why_set(why, whylen, "expected a URL starting with https:// (or http://)");
	if (!in[skip] || in[skip] == '/' || strpbrk(in, " \t\"<>\\"))
		return why_set(why, whylen, "not a URL with a host");
	return 0;
}

static int check_email(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (check_text(in, out, outlen, why, whylen) < 0)
		return -1;
	const char *at = strchr(in, '@');
	if (!at || at == in || !at[1] || strchr(at + 1, '@') || strpbrk(in, " \t,;:<>()[]\\\""))
		return why_set(why, whylen, "not an e-mail address: %s", in);
	if (strlen(in) > 254)
		return why_set(why, whylen, "e-mail address too long");
	return 0;
}

/* "[v6]:port" or "v6" or "v4[:port]", the forms dnscheck takes. */
static int check_resolver(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	char host[64];
	const char *port = NULL;
	unsigned char bin[16];
	if (check_text(in, out, outlen, why, whylen) < 0)
		return -1;
	if (in[0] == '[') {
		const char *end = strchr(in, ']');
		if (!end || (size_t)(end - in - 1) >= sizeof(host) || (end[1] && end[1] != ':'))
			return why_set(why, whylen, "not an address: %s (expected [IPv6]:port)", in);
		snprintf(host, sizeof(host), "%.*s", (int)(end - in - 1), in + 1);
		port = end[1] ? end + 2 : NULL;
	} else if (strchr(in, ':') && strchr(in, ':') == strrchr(in, ':')) {
		const char *c = strchr(in, ':');
		snprintf(host, sizeof(host), "%.*s", (int)(c - in), in);
		port = c + 1;
	} else {
		snprintf(host, sizeof(host), "%s", in);
	}
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		return why_set(why, whylen, "not an IP address: %s (resolvers are given by address)", in);
	if (port && int_number(port, 1, 65535, &(int){ 0 }, why, whylen) < 0)
		return why_set(why, whylen, "bad port in %s", in);
	return 0;
}

static int check_domain(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	return cli_domain_normalise(in, out, outlen, why, whylen);
}

static bool label_ok(const char *l, size_t len)
{
	if (len == 0 || len > 63 || l[0] == '-' || l[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return false;
	return true;
}

int cli_domain_normalise(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char name[256];
	size_t len = strlen(in);
	if (len && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= outlen)
		return why_set(err, errlen, "not a DNS name: \"%s\"", in);
	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)in[i]);
	name[len] = 0;
	const char *p = name;
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (!strchr(p, '.'))
		return why_set(err, errlen, "not a DNS name: \"%s\" (give the full name, e.g. example.com)", in);
	while (*p) {
		size_t l = strcspn(p, ".");
		if (!label_ok(p, l))
			return why_set(err, errlen, "not a DNS name: \"%s\"%s", in,
				       memchr(p, '*', l) ? " (a wildcard is only \"*.\" at the start)" : "");
		p += l;
		if (*p == '.' && !*++p)
			return why_set(err, errlen, "not a DNS name: \"%s\"", in);
	}
	memcpy(out, name, len + 1);
	return 0;
}

/* A folder name inside certificates/: state_cert_name() gives "_.example.com" for "*.example.com". */
static int check_cert_name(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (!*in || in[0] == '.' || strlen(in) > 200)
		return why_set(why, whylen, "not a certificate name: \"%s\"", in);
	for (const char *p = in; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return why_set(why, whylen, "not a certificate name: \"%s\" (letters, digits, '.', '_', '-')", in);
	return copy_out(in, out, outlen, why, whylen);
}

/* Profile names and TXT values: printable ASCII without spaces. */
static int check_token(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	if (!*in)
		return why_set(why, whylen, "empty value");
	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return why_set(why, whylen, "only printable ASCII without spaces is allowed");
	return copy_out(in, out, outlen, why, whylen);
}

/* A TSIG algorithm name as the rfc2136 solver takes it (lego's "hmac-sha256." and upper case too). */
static int check_tsig_alg(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	enum tsig_alg a;
	if (tsig_alg_parse(in, &a) < 0)
		return why_set(why, whylen, "unknown TSIG algorithm \"%.40s\" (hmac-sha256, hmac-sha1, hmac-sha224, "
				       "hmac-sha384, hmac-sha512, hmac-md5)", in);
	return copy_out(in, out, outlen, why, whylen);
}

static int int_number(const char *in, int min, int max, int *v, char *why, size_t whylen)
{
	long n = 0;
	const char *p = in;
	if (!*p || (p[0] == '0' && p[1]))
		return why_set(why, whylen, "expected a whole number from %d to %d, got \"%s\"", min, max, in);
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) || n > 100000000L)
			return why_set(why, whylen, "expected a whole number from %d to %d, got \"%s\"", min, max, in);
		n = n * 10 + (*p - '0');
	}
	if (n < min || n > max)
		return why_set(why, whylen, "%ld is out of range (%d to %d)", n, min, max);
	*v = (int)n;
	return 0;
}

static int int_key_type(const char *in, int min, int max, int *v, char *why, size_t whylen)
{
	enum key_type t;
	if (key_type_parse(in, &t) < 0 || t == KEY_ED25519)
		return why_set(why, whylen, "unknown key type \"%s\" (ec256, ec384, rsa2048, rsa3072, rsa4096)", in);
	*v = (int)t;
	return 0;
}

static int int_log_level(const char *in, int min, int max, int *v, char *why, size_t whylen)
{
	int l = log_level_parse(in);
	if (l < 0)
		return why_set(why, whylen, "unknown level \"%s\" (debug, info, warn, error)", in);
	*v = l;
	return 0;
}

static int int_reason(const char *in, int min, int max, int *v, char *why, size_t whylen)
{
	if (int_number(in, min, max, v, why, whylen) < 0)
		return -1;
	if (*v == 7)
		return why_set(why, whylen, "7 is not a reason code (RFC 5280 leaves it unused)");
	return 0;
}

static int parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "True", "TRUE", "Yes", "YES", "On", "ON" };
	static const char *const no[] = { "0", "false", "no", "off", "False", "FALSE", "No", "NO", "Off", "OFF" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *v = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *v = false, 0;
	}
	return -1;
}

/* ---------- storing values ---------- */

static void *field(struct cli_options *o, const struct opt_spec *s)
{
	return (char *)o + s->off;
}

static size_t spec_index(const struct opt_spec *s)
{
	return (size_t)(s - specs);
}

static const struct opt_spec *spec_by_name(const char *name)
{
	for (size_t i = 0; i < N_SPECS; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

static int list_add(struct cli_options *o, const struct opt_spec *s, const char *item, char *why, size_t whylen)
{
	char val[512];
	struct cli_list *l = field(o, s);
	if (s->check(item, val, sizeof(val), why, whylen) < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], val) == 0)
			return 0;        /* duplicates merged */
	if (l->n >= (size_t)s->max)
		return why_set(why, whylen, "at most %d values", s->max);
	if (!(l->v[l->n] = strdup(val)))
		return why_set(why, whylen, "out of memory");
	l->n++;
	return 0;
}

/* Adds every comma-separated item of text. */
static int list_add_all(struct cli_options *o, const struct opt_spec *s, const char *text, char *why,
			size_t whylen)
{
	char item[512];
	const char *p = text;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n >= sizeof(item))
			return why_set(why, whylen, "value too long");
		memcpy(item, p, n);
		item[n] = 0;
		if (list_add(o, s, item, why, whylen) < 0)
			return -1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* Stores text as the value of s in o; why gets the reason on failure. */
static int store_value(struct cli_options *o, const struct opt_spec *s, const char *text, char *why, size_t whylen)
{
	char val[2048];
	switch (s->store) {
	case S_STR: {
		if (s->check(text, val, sizeof(val), why, whylen) < 0)
			return -1;
		char **dst = field(o, s);
		free(*dst);
		if (!(*dst = strdup(val)))
			return why_set(why, whylen, "out of memory");
		OPENSSL_cleanse(val, sizeof(val));
		break;
	}
	case S_LIST:
		if (list_add_all(o, s, text, why, whylen) < 0)
			return -1;
		break;
	case S_BOOL:
		if (parse_bool(text, field(o, s)) < 0)
			return why_set(why, whylen, "expected true or false, got \"%s\"", text);
		break;
	case S_INT:
		if (s->to_int(text, s->min, s->max, field(o, s), why, whylen) < 0)
			return -1;
		break;
	}
	given_set(o, spec_index(s));
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---------- layer 1: the command line ---------- */

struct argv_scan {
	const char *pos[4];             /* command, account action or help topic, then anything unexpected */
	size_t n_pos;
	bool help, version;
};

/* "--name[=value]" or "--no-name" for a yes/no option. */
static int flag_long(struct cli_options *L, int argc, char *const argv[], int *i, char *err, size_t errlen)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
	const struct opt_spec *s = spec_by_name(name);
	bool negated = false;
	if (!s && strncmp(name, "no-", 3) == 0) {
		s = spec_by_name(name + 3);
		negated = true;
	}
	if (!s || (negated && s->store != S_BOOL))
		return fail(err, errlen, "unknown option --%s (see acme-dns-cli --help)", name);
	if (given_has(L, spec_index(s)) && s->store != S_LIST)
		return fail(err, errlen, "--%s given twice", s->name);
	char why[256];
	if (s->store == S_BOOL) {
		if (eq)
			return fail(err, errlen, "--%s takes no value (use --%s or --no-%s)", name, s->name, s->name);
		return store_value(L, s, negated ? "false" : "true", why, sizeof(why));
	}
	const char *val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
	if (!val)
		return fail(err, errlen, "--%s needs a value (%s)", s->name, s->metavar);
	if (store_value(L, s, val, why, sizeof(why)) < 0)
		return fail(err, errlen, "--%s: %s", s->name, why);
	return 0;
}

/* "-d NAME" or "-dNAME". */
static int flag_short(struct cli_options *L, int argc, char *const argv[], int *i, char *err, size_t errlen)
{
	const char *arg = argv[*i];
	const struct opt_spec *s = NULL;
	for (size_t k = 0; k < N_SPECS && !s; k++)
		if (specs[k].short_name && specs[k].short_name == arg[1])
			s = &specs[k];
	if (!s)
		return fail(err, errlen, "unknown option %s (see acme-dns-cli --help)", arg);
	const char *val = arg[2] ? arg + 2 : (*i + 1 < argc ? argv[++*i] : NULL);
	if (!val)
		return fail(err, errlen, "-%c needs a value (%s)", s->short_name, s->metavar);
	char why[256];
	if (store_value(L, s, val, why, sizeof(why)) < 0)
		return fail(err, errlen, "-%c: %s", s->short_name, why);
	return 0;
}

static int scan_argv(int argc, char *const argv[], struct cli_options *L, struct argv_scan *sc, char *err,
		     size_t errlen)
{
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;
		if (dashdash || a[0] != '-' || !a[1]) {
			if (sc->n_pos == sizeof(sc->pos) / sizeof(sc->pos[0]))
				return fail(err, errlen, "unexpected argument \"%s\"", a);
			sc->pos[sc->n_pos++] = a;
		} else if (!strcmp(a, "--")) {
			dashdash = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			sc->help = true;
		} else if (!strcmp(a, "--version")) {
			sc->version = true;
		} else if (a[1] == '-') {
			rc = flag_long(L, argc, argv, &i, err, errlen);
		} else {
			rc = flag_short(L, argc, argv, &i, err, errlen);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int resolve_account_action(struct cli_options *o, const char *word, char *err, size_t errlen)
{
	static const char *const actions[] = { "", "show", "rollover", "deactivate" };
	if (!word)
		return fail(err, errlen, "account needs an action: show, rollover or deactivate");
	for (int i = 1; i < 4; i++)
		if (!strcmp(word, actions[i]))
			return o->account_action = (enum cli_account_action)i, 0;
	return fail(err, errlen, "unknown account action \"%s\" (show, rollover, deactivate)", word);
}

/* The command and its positional word from what scan_argv found. */
static int resolve_command(struct cli_options *o, const struct argv_scan *sc, char *err, size_t errlen)
{
	if (!sc->n_pos)
		return 0;
	o->cmd = cmd_parse(sc->pos[0]);
	if (o->cmd == CLI_CMD_NONE)
		return fail(err, errlen, "unknown command \"%s\" (register, issue, renew, revoke, account, update)",
			    sc->pos[0]);
	size_t expected = 1;
	if (o->cmd == CLI_CMD_ACCOUNT) {
		expected = 2;
		if (!sc->help && resolve_account_action(o, sc->n_pos > 1 ? sc->pos[1] : NULL, err, errlen) < 0)
			return -1;
	} else if (o->cmd == CLI_CMD_HELP && sc->n_pos > 1) {
		expected = 2;
		o->help_cmd = cmd_parse(sc->pos[1]);
		if (o->help_cmd == CLI_CMD_NONE)
			return fail(err, errlen, "no help for \"%s\": not a command", sc->pos[1]);
	}
	if (sc->n_pos > expected)
		return fail(err, errlen, "unexpected argument \"%s\"%s", sc->pos[expected],
			    o->cmd == CLI_CMD_ACCOUNT || o->cmd == CLI_CMD_HELP
				    ? ""
				    : " (give each name with its own -d, or separate names with commas)");
	return 0;
}

/* Flags that the command does not take are refused (environment and file values are only ignored). */
static int check_flags_apply(const struct cli_options *L, enum cli_cmd cmd, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_SPECS; i++)
		if (given_has(L, i) && !(specs[i].cmds & C_(cmd)))
			return fail(err, errlen, "--%s is not an option of %s (see acme-dns-cli %s --help)", specs[i].name,
				    cli_cmd_name(cmd), cli_cmd_name(cmd));
	return 0;
}

/* ---------- layer 2: the environment ---------- */

static const char *env_get(char *const envp[], const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

/* Second names lego takes for a variable: read when the first is unset. */
static const struct {
	const char *env, *alias;
} env_aliases[] = {
	{ "CLOUDFLARE_DNS_API_TOKEN", "CF_DNS_API_TOKEN" },
	{ "CLOUDFLARE_ZONE_API_TOKEN", "CF_ZONE_API_TOKEN" },
	{ "CLOUDFLARE_EMAIL", "CF_API_EMAIL" },
	{ "CLOUDFLARE_API_KEY", "CF_API_KEY" },
};

static const char *env_alias(const char *env)
{
	for (size_t i = 0; i < sizeof(env_aliases) / sizeof(env_aliases[0]); i++)
		if (strcmp(env_aliases[i].env, env) == 0)
			return env_aliases[i].alias;
	return NULL;
}

/* An empty variable counts as unset, so a CI template that expands to nothing changes nothing. */
static int env_layer(char *const envp[], struct cli_options *L, char *err, size_t errlen)
{
	char why[256];
	for (size_t i = 0; i < N_SPECS; i++) {
		const char *name = specs[i].env, *v = env_get(envp, name);
		if ((!v || !*v) && env_alias(name)) {
			name = env_alias(name);
			v = env_get(envp, name);
		}
		if (!v || !*v)
			continue;
		if (store_value(L, &specs[i], v, why, sizeof(why)) < 0)
			return fail(err, errlen, "%s: %s", name, why);
	}
	return 0;
}

/* ---------- layer 3: the YAML file ---------- */

struct yaml_ctx {
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
};

static size_t node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static const char *yaml_scalar(struct yaml_ctx *y, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(y->err, y->errlen, "%s:%zu: %s: expected a single value, found %s", y->file, node_line(n), key,
		     n->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
		return NULL;
	}
	const char *v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		fail(y->err, y->errlen, "%s:%zu: %s: contains a NUL byte", y->file, node_line(n), key);
		return NULL;
	}
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!*v || !strcmp(v, "~") || !strcmp(v, "null"))) {
		fail(y->err, y->errlen, "%s:%zu: %s: missing value", y->file, node_line(n), key);
		return NULL;
	}
	return v;
}

static int yaml_store(struct yaml_ctx *y, struct cli_options *L, const struct opt_spec *s, const yaml_node_t *n)
{
	char why[256];
	const char *v = yaml_scalar(y, n, s->name);
	if (!v)
		return -1;
	if (store_value(L, s, v, why, sizeof(why)) < 0)
		return fail(y->err, y->errlen, "%s:%zu: %s: %s", y->file, node_line(n), s->name, why);
	return 0;
}

static int yaml_pair(struct yaml_ctx *y, struct cli_options *L, const yaml_node_pair_t *p)
{
	yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
	yaml_node_t *vn = yaml_document_get_node(y->doc, p->value);
	if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
		return fail(y->err, y->errlen, "%s:%zu: keys must be option names", y->file, kn ? node_line(kn) : 1);
	const char *name = (const char *)kn->data.scalar.value;
	const struct opt_spec *s = spec_by_name(name);
	if (!s || s->off == OFF(config))
		return fail(y->err, y->errlen, "%s:%zu: %.64s: unknown key", y->file, node_line(kn), name);
	if (given_has(L, spec_index(s)))
		return fail(y->err, y->errlen, "%s:%zu: %s: duplicate key", y->file, node_line(kn), name);
	if (vn->type != YAML_SEQUENCE_NODE)
		return yaml_store(y, L, s, vn);
	if (s->store != S_LIST)
		return fail(y->err, y->errlen, "%s:%zu: %s: expected a single value, found a list", y->file,
			    node_line(vn), name);
	for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++) {
		yaml_node_t *in = yaml_document_get_node(y->doc, *it);
		if (!in || yaml_store(y, L, s, in) < 0)
			return in ? -1 : fail(y->err, y->errlen, "%s:%zu: %s: broken list", y->file, node_line(vn), name);
	}
	if (vn->data.sequence.items.start == vn->data.sequence.items.top)
		given_set(L, spec_index(s));   /* "email: []" clears the list */
	return 0;
}

static int yaml_document(struct yaml_ctx *y, struct cli_options *L)
{
	yaml_node_t *root = yaml_document_get_root_node(y->doc);
	if (!root)
		return 0;                          /* an empty file */
	if (root->type == YAML_SCALAR_NODE && root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    root->data.scalar.length == 0)
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(y->err, y->errlen, "%s:%zu: top level: expected a mapping of option names to values",
			    y->file, node_line(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++)
		if (yaml_pair(y, L, p) < 0)
			return -1;
	return 0;
}

static char *read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(CLI_CONFIG_MAX + 1);
	size_t n = buf ? fread(buf, 1, CLI_CONFIG_MAX + 1, f) : 0;
	bool bad = !buf || ferror(f) || n > CLI_CONFIG_MAX;
	fclose(f);
	if (bad) {
		fail(err, errlen, "%s: %s", path, buf ? "cannot read, or larger than 256 KiB" : "out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int yaml_layer(const char *path, struct cli_options *L, char *err, size_t errlen)
{
	size_t len;
	char *buf = read_small_file(path, &len, err, errlen);
	if (!buf)
		return -1;
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fail(err, errlen, "%s:%zu: syntax error: %s%s%s", path, parser.problem_mark.line + 1,
		     parser.problem ? parser.problem : "unreadable", parser.context ? " " : "",
		     parser.context ? parser.context : "");
	} else {
		struct yaml_ctx y = { &doc, path, err, errlen };
		rc = yaml_document(&y, L);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(buf);
	return rc;
}

/* ---------- merging the layers ---------- */

static void list_clear(struct cli_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Takes from src every option src has and dst does not have yet. */
static void merge_layer(struct cli_options *dst, struct cli_options *src)
{
	for (size_t i = 0; i < N_SPECS; i++) {
		const struct opt_spec *s = &specs[i];
		if (given_has(dst, i) || !given_has(src, i))
			continue;
		if (s->store == S_STR) {
			char **d = field(dst, s), **f = field(src, s);
			free(*d);
			*d = *f;
			*f = NULL;
		} else if (s->store == S_LIST) {
			struct cli_list *d = field(dst, s), *f = field(src, s);
			list_clear(d);
			*d = *f;
			f->n = 0;
		} else if (s->store == S_BOOL) {
			*(bool *)field(dst, s) = *(bool *)field(src, s);
		} else {
			*(int *)field(dst, s) = *(int *)field(src, s);
		}
		given_set(dst, i);
	}
}

static int set_defaults(struct cli_options *o)
{
	o->server = strdup(CLI_DEFAULT_SERVER);
	o->account_key_type = KEY_EC256;
	o->key_type = KEY_EC256;
	o->acme_dns_register = true;
	o->propagation_timeout = 120;
	o->propagation_interval = 2;
	o->authoritative_port = 53;
	o->timeout = 300;
	o->lock_timeout = 60;
	o->log_level = LOG_LVL_INFO;
	o->days = 30;
	return o->server ? 0 : -1;
}

/* What each command needs, after all layers are in. */
static int check_command(const struct cli_options *o, char *err, size_t errlen)
{
	bool acmedns = !o->solver || strcmp(o->solver, "acme-dns") == 0;
	bool api = o->cmd == CLI_CMD_REGISTER || o->cmd == CLI_CMD_UPDATE ||
		   (acmedns && (o->cmd == CLI_CMD_ISSUE || o->cmd == CLI_CMD_RENEW || o->cmd == CLI_CMD_CLEANUP));
	if (o->cmd == CLI_CMD_CLEANUP && !o->stale)
		return fail(err, errlen, "cleanup needs --stale (it removes what the journal lists)");
	if ((o->cmd == CLI_CMD_REGISTER || o->cmd == CLI_CMD_ISSUE || o->cmd == CLI_CMD_CHECK) && !o->domain.n)
		return fail(err, errlen, "%s needs at least one -d NAME", cli_cmd_name(o->cmd));
	if (o->cmd == CLI_CMD_UPDATE && o->domain.n != 1)
		return fail(err, errlen, "update takes exactly one -d DOMAIN");
	if (o->cmd == CLI_CMD_DELEGATION && o->domain.n != 1)
		return fail(err, errlen, "delegation takes exactly one -d DOMAIN");
	if (o->cmd == CLI_CMD_DELEGATION && o->to && o->to[0] == '*')
		return fail(err, errlen, "--to: expected a domain name without \"*.\"");
	if (o->cmd == CLI_CMD_UPDATE && !o->value)
		return fail(err, errlen, "update needs --value TXT");
	if (o->cmd == CLI_CMD_RENEW && !o->cert_name == !o->all)
		return fail(err, errlen, "renew needs either --cert-name NAME or --all");
	if (o->cmd == CLI_CMD_REVOKE && !o->cert_name)
		return fail(err, errlen, "revoke needs --cert-name NAME");
	if (api && !o->acme_dns_api)
		return fail(err, errlen, "%s needs --acme-dns-api URL (or ACME_DNS_API_BASE)", cli_cmd_name(o->cmd));
	if (!o->eab_kid != !o->eab_hmac_key)
		return fail(err, errlen, "--eab-kid and --eab-hmac-key go together");
	return 0;
}

static int parse_layers(int argc, char *const argv[], char *const envp[], struct cli_options *o,
			struct cli_options layers[2], struct argv_scan *sc, char *err, size_t errlen)
{
	if (scan_argv(argc, argv, o, sc, err, errlen) < 0 || resolve_command(o, sc, err, errlen) < 0)
		return -1;
	if (sc->help || sc->version || o->cmd == CLI_CMD_HELP || o->cmd == CLI_CMD_VERSION)
		return 0;
	if (o->cmd == CLI_CMD_NONE)
		return fail(err, errlen, "no command given (register, issue, renew, revoke, account, update, check, delegation, cleanup); "
					 "see acme-dns-cli --help");
	if (check_flags_apply(o, o->cmd, err, errlen) < 0 || env_layer(envp, &layers[0], err, errlen) < 0)
		return -1;
	const char *config = o->config ? o->config : layers[0].config;
	if (config && yaml_layer(config, &layers[1], err, errlen) < 0)
		return -1;
	merge_layer(o, &layers[0]);
	merge_layer(o, &layers[1]);
	struct cli_options d = { 0 };
	if (set_defaults(&d) < 0)
		return fail(err, errlen, "out of memory");
	memset(d.given, 0xff, sizeof(d.given));
	uint64_t given[CLI_GIVEN_WORDS];   /* the defaults fill what no layer gave, without counting as given */
	memcpy(given, o->given, sizeof(given));
	merge_layer(o, &d);
	memcpy(o->given, given, sizeof(given));
	cli_options_free(&d);
	if (o->quiet && !cli_options_given(o, "log-level"))
		o->log_level = LOG_LVL_WARN;
	return check_command(o, err, errlen);
}

enum cli_parse cli_options_parse(int argc, char *const argv[], char *const envp[], struct cli_options *o,
				 char *err, size_t errlen)
{
	struct cli_options layers[2];
	struct argv_scan sc = { 0 };
	memset(o, 0, sizeof(*o));
	memset(layers, 0, sizeof(layers));
	int rc = parse_layers(argc, argv, envp, o, layers, &sc, err, errlen);
	cli_options_free(&layers[0]);
	cli_options_free(&layers[1]);
	if (rc < 0)
		return CLI_PARSE_ERROR;
	if (sc.version || o->cmd == CLI_CMD_VERSION)
		return CLI_PARSE_VERSION;
	if (sc.help || o->cmd == CLI_CMD_HELP) {
		if (o->cmd != CLI_CMD_HELP)
			o->help_cmd = o->cmd;
		return CLI_PARSE_HELP;
	}
	return CLI_PARSE_OK;
}

/* Options that hold secrets: wiped from memory when the options are freed. */
static bool spec_is_secret(const struct opt_spec *s)
{
	static const char *const secret[] = { "eab-hmac-key", "rfc2136-tsig-secret", "pdns-api-key",
					      "cloudflare-dns-api-token", "cloudflare-zone-api-token",
					      "cloudflare-api-key", "digitalocean-auth-token", "hetzner-api-key",
					      "httpreq-password", "route53-secret-access-key", "route53-session-token",
					      "azure-client-secret" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (strcmp(s->name, secret[i]) == 0)
			return true;
	return false;
}

void cli_options_free(struct cli_options *o)
{
	for (size_t i = 0; i < N_SPECS; i++) {
		const struct opt_spec *s = &specs[i];
		if (s->store == S_STR) {
			char **p = field(o, s);
			if (*p && spec_is_secret(s))
				OPENSSL_cleanse(*p, strlen(*p));
			free(*p);
			*p = NULL;
		} else if (s->store == S_LIST) {
			list_clear(field(o, s));
		}
	}
	memset(o, 0, sizeof(*o));
}

bool cli_options_given(const struct cli_options *o, const char *name)
{
	const struct opt_spec *s = spec_by_name(name);
	return s && given_has(o, spec_index(s));
}

bool cli_options_wants_json(int argc, char *const argv[], char *const envp[])
{
	bool json = false;
	const char *e = env_get(envp, "ACME_DNS_CLI_JSON");
	if (e && *e)
		parse_bool(e, &json);
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--no-json"))
			json = false;
	}
	return json;
}

/* ---------- help ---------- */

static const struct {
	const char *usage, *what;
} cmd_help[] = {
	[CLI_CMD_REGISTER] = { "register -d DOMAIN...",
			       "Registers an acme-dns account for each domain that has none (\"*.\" is stripped) and "
			       "prints the CNAME record to create for each." },
	[CLI_CMD_ISSUE] = { "issue -d NAME... [--cert-name N] [--key-type T] [--reuse-key] [--profile P] "
			    "[--preferred-chain CN] [--deploy-hook PROGRAM]",
			    "Gets one certificate for all names (a wildcard and its base together) over dns-01." },
	[CLI_CMD_RENEW] = { "renew (--cert-name N | --all) [--days N] [--force] [--reuse-key] [--deploy-hook P]",
			    "Renews when due: inside the CA's renewalInfo window (RFC 9773) when it has one, else when "
			    "fewer than --days days remain. Exit code 3 when nothing was due." },
	[CLI_CMD_REVOKE] = { "revoke --cert-name N [--reason CODE] [--with-cert-key]",
			     "Revokes a certificate of the state directory, signed by the account (or the "
			     "certificate's key)." },
	[CLI_CMD_ACCOUNT] = { "account show|rollover|deactivate",
			      "show: the CA's view of the account; rollover: move it to a new key of "
			      "--account-key-type; deactivate: close it for good." },
	[CLI_CMD_UPDATE] = { "update -d DOMAIN --value TXT",
			     "Sets one TXT value by hand through the domain's acme-dns account." },
	[CLI_CMD_CHECK] = { "check -d DOMAIN... [--value TXT]",
			    "Follows _acme-challenge.DOMAIN's CNAMEs to the zone that holds it and asks every address "
			    "of every NS of that zone directly; exit 0 when all answer (with TXT, when given)." },
	[CLI_CMD_DELEGATION] = { "delegation -d DOMAIN [--to FULLDOMAIN] [--caa-identity NAME]",
				 "Checks that _acme-challenge.DOMAIN is a CNAME to the acme-dns subdomain (--to, else "
				 "the domain's account); warns of wildcards and CAA records; exit 6 when not." },
	[CLI_CMD_CLEANUP] = { "cleanup --stale [--solver NAME]",
			      "Removes the challenge records a crashed or killed run left behind: exactly those the "
			      "journal in the state directory lists, through the solver that created them." },
};

static void help_option(FILE *f, const struct opt_spec *s)
{
	char left[64];
	if (s->short_name)
		snprintf(left, sizeof(left), "-%c, --%s %s", s->short_name, s->name, s->metavar);
	else
		snprintf(left, sizeof(left), "    --%s%s%s", s->name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
	if (env_alias(s->env))
		fprintf(f, "  %-36s %s\n  %-36s [%s, %s]\n", left, s->help, "", s->env, env_alias(s->env));
	else
		fprintf(f, "  %-36s %s\n  %-36s [%s]\n", left, s->help, "", s->env);
}

void cli_options_help(FILE *f, enum cli_cmd cmd)
{
	if (cmd >= CLI_CMD_REGISTER && cmd <= CLI_CMD_CLEANUP) {
		fprintf(f, "usage: acme-dns-cli %s [global options]\n\n%s\n\noptions of %s:\n", cmd_help[cmd].usage,
			cmd_help[cmd].what, cli_cmd_name(cmd));
		for (size_t i = 0; i < N_SPECS; i++)
			if (specs[i].cmds != C_ALL && (specs[i].cmds & C_(cmd)))
				help_option(f, &specs[i]);
	} else {
		fprintf(f, "usage: acme-dns-cli COMMAND [options]\n\ncommands:\n");
		for (int c = CLI_CMD_REGISTER; c <= CLI_CMD_CLEANUP; c++)
			fprintf(f, "  %-10s %s\n", cli_cmd_name((enum cli_cmd)c), cmd_help[c].what);
		fprintf(f, "  help [COMMAND], --version\n\nacme-dns-cli COMMAND --help lists the command's options.\n");
	}
	fprintf(f, "\nglobal options (flag > environment variable in [] > config file > default):\n");
	for (size_t i = 0; i < N_SPECS; i++)
		if (specs[i].cmds == C_ALL)
			help_option(f, &specs[i]);
	fprintf(f, "\nEvery yes/no option also has a --no- form. Exit codes: 0 done, 1 internal error, 2 usage or "
		   "configuration,\n3 not due, 4 DNS, 5 CA refused, 6 setup needed, 7 network or timeout, 8 locked, "
		   "9 deploy hook failed,\n10 interrupted.\n");
}

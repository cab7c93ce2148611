/* acme-dns-cli options: flags, then environment variables, then the YAML config file, then defaults. */
#ifndef ADNS_CLI_OPTIONS_H
#define ADNS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_LIST_MAX 100        /* names of one certificate (CERT_MAX_NAMES) */
#define CLI_DEFAULT_SERVER "https://acme-v02.api.letsencrypt.org/directory"

#define CLI_GIVEN_WORDS 2

enum cli_cmd {
	CLI_CMD_NONE = 0,
	CLI_CMD_REGISTER,
	CLI_CMD_ISSUE,
	CLI_CMD_RENEW,
	CLI_CMD_REVOKE,
	CLI_CMD_ACCOUNT,
	CLI_CMD_UPDATE,
	CLI_CMD_CHECK,
	CLI_CMD_DELEGATION,
	CLI_CMD_CLEANUP,
	CLI_CMD_HELP,
	CLI_CMD_VERSION,
};

enum cli_account_action { CLI_ACCOUNT_NONE = 0, CLI_ACCOUNT_SHOW, CLI_ACCOUNT_ROLLOVER, CLI_ACCOUNT_DEACTIVATE };

struct cli_list {
	char *v[CLI_LIST_MAX];
	size_t n;
};

/* Every value is owned by the struct (cli_options_free). Plain record: the commands read it, nobody writes it
 * after cli_options_parse. */
struct cli_options {
	enum cli_cmd cmd;
	enum cli_account_action account_action;
	enum cli_cmd help_cmd;          /* for CLI_CMD_HELP: the command whose help to print, NONE for the overview */
	uint64_t given[CLI_GIVEN_WORDS];/* bit per option: set by a flag, the environment or the file */

	char *config;
	char *server;
	char *state_dir;
	char *ca_file;
	struct cli_list email;
	bool accept_tos;
	char *eab_kid;
	char *eab_hmac_key;             /* secret: wiped on free */
	int account_key_type;           /* enum key_type */
	char *acme_dns_api;
	char *acme_dns_storage;
	bool acme_dns_register;
	struct cli_list dns_resolvers;
	int propagation_timeout;
	int propagation_interval;
	int propagation_wait;           /* seconds to wait after the check, 0 = none */
	bool propagation_serial;
	bool check_resolvers;
	int authoritative_port;
	bool skip_propagation;
	char *solver;                   /* "acme-dns" (default), "rfc2136", ... */
	/* --solver pdns, --solver exec */
	char *pdns_api_url;
	char *pdns_api_key;             /* secret: wiped on free */
	char *pdns_server_id;
	char *exec_program;
	int exec_timeout;               /* seconds per run; 0 = the adapter's default (60) */
	char *route53_access_key_id;    /* --solver route53 */
	char *route53_secret_access_key;/* secret: wiped on free */
	char *route53_session_token;    /* secret: wiped on free */
	char *route53_credentials_file;
	char *route53_profile;
	char *route53_hosted_zone_id;
	bool route53_private_zone;
	char *route53_endpoint;
	int route53_ttl;                /* seconds, 0 = the solver's default */
	char *gcloud_service_account_file;      /* --solver gcloud */
	char *gcloud_project;
	char *gcloud_zone_id;
	bool gcloud_allow_private_zone;
	char *gcloud_base_url;
	int gcloud_ttl;                 /* seconds, 0 = the solver's default */
	char *azure_tenant_id;          /* --solver azuredns */
	char *azure_client_id;
	char *azure_client_secret;      /* secret: wiped on free */
	char *azure_subscription_id;
	char *azure_resource_group;
	char *azure_zone_name;
	char *azure_authority_host;
	char *azure_resource_manager;
	int azure_ttl;                  /* seconds, 0 = the solver's default */
	char *rfc2136_nameserver;       /* --solver rfc2136 */
	char *rfc2136_tsig_file;
	char *rfc2136_tsig_key;
	char *rfc2136_tsig_secret;      /* secret: wiped on free */
	char *rfc2136_tsig_algorithm;
	int rfc2136_timeout;            /* seconds, 0 = the solver's default */
	int rfc2136_ttl;                /* seconds, 0 = the solver's default */
	bool rfc2136_unsigned;
	/* --solver cloudflare, digitalocean, hetzner, httpreq (lego's variable names) */
	char *cloudflare_dns_api_token; /* secret: wiped on free */
	char *cloudflare_zone_api_token;/* secret: wiped on free */
	char *cloudflare_email;
	char *cloudflare_api_key;       /* secret: wiped on free */
	char *cloudflare_base_url;
	int cloudflare_ttl;             /* seconds, 0 = the solver's default */
	char *digitalocean_auth_token;  /* secret: wiped on free */
	char *digitalocean_base_url;
	int digitalocean_ttl;
	char *hetzner_api_key;          /* secret: wiped on free */
	char *hetzner_base_url;
	int hetzner_ttl;
	char *httpreq_endpoint;
	char *httpreq_username;
	char *httpreq_password;         /* secret: wiped on free */
	char *httpreq_mode;
	bool stale;                     /* cleanup --stale */
	int timeout;
	int lock_timeout;
	bool json;
	bool quiet;
	int log_level;                  /* enum log_level */

	struct cli_list domain;         /* lower case, trailing dot removed, duplicates merged */
	char *cert_name;
	int key_type;                   /* enum key_type */
	bool reuse_key;
	char *profile;
	char *preferred_chain;
	char *deploy_hook;
	bool all;
	int days;
	bool force;
	int reason;
	bool with_cert_key;
	char *value;
	char *to;                       /* delegation: the expected CNAME target */
	struct cli_list caa_identity;   /* delegation: the CA's CAA identities, instead of the directory's */
};

enum cli_parse { CLI_PARSE_OK = 0, CLI_PARSE_HELP, CLI_PARSE_VERSION, CLI_PARSE_ERROR };

/* Fills o from argv (argv[0] is the program), envp ("NAME=value", NULL-terminated; may be NULL), the config file
 * named by --config or ACME_DNS_CLI_CONFIG, and defaults; then checks what the command needs. Returns
 * CLI_PARSE_ERROR with err set (one line, "FILE:LINE: key: reason" for the config file). Call cli_options_free
 * in every case. */
enum cli_parse cli_options_parse(int argc, char *const argv[], char *const envp[], struct cli_options *o,
				 char *err, size_t errlen);
/* Frees what o holds (wiping the EAB key) and zeroes it. */
void cli_options_free(struct cli_options *o);
/* True when the option (long name, e.g. "key-type") was set by a flag, the environment or the config file. */
bool cli_options_given(const struct cli_options *o, const char *name);
/* Whether --json was asked for, read from argv and envp alone (to answer a usage error in JSON). */
bool cli_options_wants_json(int argc, char *const argv[], char *const envp[]);
/* Prints the help of cmd (CLI_CMD_NONE: the overview) to f. */
void cli_options_help(FILE *f, enum cli_cmd cmd);
/* The command's name ("issue"), "" for NONE. */
const char *cli_cmd_name(enum cli_cmd cmd);
/* Checks a DNS name the way -d does; writes the normalised name (lower case, no trailing dot) to out. Returns 0
 * or -1 with err set. */
int cli_domain_normalise(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif

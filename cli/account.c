/* The ACME account in the state directory: load it, or create it at the CA (key written before the CA is asked,
 * so a crash never leaves an account whose key we lost). */
#include "account.h"

#include "certs.h"
#include "key.h"
#include "log.h"
#include "secretfile.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *cli_account_path(const struct cli_account *acc, const char *file)
{
	size_t n = strlen(acc->dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", acc->dir, file);
	return p;
}

const char *cli_account_url(const struct cli_account *acc)
{
	return json_string_value(json_object_get(acc->info, "url"));
}

void cli_account_clear(struct cli_account *acc)
{
	free(acc->dir);
	EVP_PKEY_free(acc->key);
	json_decref(acc->info);
	memset(acc, 0, sizeof(*acc));
}

/* Reads <dir>/<file>: 0 with *text set, 1 when it does not exist, -1 on other failures (errno set). */
static int read_rel(struct cli_ctx *c, const struct cli_account *acc, const char *file, char **text, size_t *len)
{
	char *rel = cli_account_path(acc, file);
	*text = rel ? state_read(c->st, rel, len) : NULL;
	int saved = rel ? errno : ENOMEM;
	free(rel);
	if (*text)
		return 0;
	errno = saved;
	return saved == ENOENT ? 1 : -1;
}

static int load_key(struct cli_ctx *c, struct cli_account *acc)
{
	char *pem = NULL;
	size_t len = 0;
	int rc = read_rel(c, acc, "account.key", &pem, &len);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s/%s/account.key: %s",
				    state_path(c->st), acc->dir, strerror(errno));
	char path[4200], why[512];
	snprintf(path, sizeof(path), "%s/%s/account.key", state_path(c->st), acc->dir);
	if (secret_path_check(path, why, sizeof(why)) != 0) {
		OPENSSL_cleanse(pem, len);
		free(pem);
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", why);
	}
	acc->key = key_from_pem(pem, len);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!acc->key)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL,
				    "%s/%s/account.key: not a private key we can use", state_path(c->st), acc->dir);
	return 0;
}

static int load_info(struct cli_ctx *c, struct cli_account *acc)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_rel(c, acc, "account.json", &text, &len);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s/%s/account.json: %s",
				    state_path(c->st), acc->dir, strerror(errno));
	json_error_t je;
	acc->info = json_loadb(text, len, 0, &je);
	free(text);
	if (!json_is_object(acc->info) || !cli_account_url(acc))
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL,
				    "%s/%s/account.json: not an account (no \"url\")", state_path(c->st), acc->dir);
	return 0;
}

int cli_account_load(struct cli_ctx *c, const char *server, struct cli_account *acc)
{
	memset(acc, 0, sizeof(*acc));
	char *ca = state_ca_name(server);
	size_t n = ca ? strlen(ca) + sizeof("accounts/") : 0;
	if (ca && (acc->dir = malloc(n)))
		snprintf(acc->dir, n, "accounts/%s", ca);
	free(ca);
	if (!acc->dir)
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "no folder name for the CA %s", server);
	int rc = load_key(c, acc);
	if (rc == 0)
		rc = load_info(c, acc);
	char *leftover = rc == 0 && acc->key ? cli_account_path(acc, "account.key.new") : NULL;
	if (leftover && state_exists(c->st, leftover))
		log_warn("%s/%s: an interrupted key rollover left account.key.new and account.key.old behind; see "
			 "\"Key rollover\" in cli/README.md", state_path(c->st), acc->dir);
	free(leftover);
	return rc;
}

int cli_account_save_key(struct cli_ctx *c, const struct cli_account *acc, const char *file, EVP_PKEY *key)
{
	char err[512];
	size_t len = 0;
	char *pem = key_to_pem(key, &len);
	char *rel = cli_account_path(acc, file);
	int rc = pem && rel ? state_write(c->st, rel, pem, len, 0600, err, sizeof(err)) : -1;
	if (!pem || !rel)
		snprintf(err, sizeof(err), "%s/%s: cannot encode the key", acc->dir, file);
	if (pem)
		OPENSSL_cleanse(pem, len);
	free(pem);
	free(rel);
	return rc == 0 ? 0 : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
}

int cli_account_save_info(struct cli_ctx *c, const struct cli_account *acc)
{
	char err[512];
	char *text = json_dumps(acc->info, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *rel = cli_account_path(acc, "account.json");
	int rc = text && rel ? state_write(c->st, rel, text, strlen(text), 0600, err, sizeof(err)) : -1;
	if (!text || !rel)
		snprintf(err, sizeof(err), "%s/account.json: out of memory", acc->dir);
	free(text);
	free(rel);
	return rc == 0 ? 0 : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
}

/* ---------- creation ---------- */

/* The account's contacts: "mailto:" + each --email. Returns the count; strings malloc'd into out. */
static size_t make_contacts(const struct cli_options *o, char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < o->email.n && i < 8; i++) {
		size_t len = strlen(o->email.v[i]) + sizeof("mailto:");
		if ((out[n] = malloc(len)))
			snprintf(out[n++], len, "mailto:%s", o->email.v[i]);
	}
	return n;
}

/* What the CA demands before an account can be made: the terms of service accepted, EAB when required. */
static int creation_allowed(struct cli_ctx *c, struct acme *a, const char *server)
{
	const char *tos = acme_terms_of_service(a);
	if (tos && !c->opt->accept_tos)
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
				    "the CA %s has terms of service (%s): read them, then pass --accept-tos "
				    "(or ACME_DNS_CLI_ACCEPT_TOS=1) to create the account", server, tos);
	if (acme_eab_required(a) && !c->opt->eab_kid)
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
				    "the CA %s requires External Account Binding: pass --eab-kid and --eab-hmac-key "
				    "(or ACME_DNS_CLI_EAB_KID and ACME_DNS_CLI_EAB_HMAC_KEY)", server);
	return 0;
}

static json_t *new_info(const char *url, const char *const *contacts, size_t n, EVP_PKEY *key)
{
	char now[32];
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(contacts[i]));
	int t = key_type_of(key);
	return json_pack("{s:s, s:o, s:s, s:s, s:s}", "url", url, "contact", list, "key_type",
			 t >= 0 ? key_type_name((enum key_type)t) : "unknown", "created",
			 cli_time_format(time(NULL), now, sizeof(now)), "status", "valid");
}

/* Registers acc->key at the CA (which answers with the existing account when it knows the key). */
static int register_key(struct cli_ctx *c, struct acme *a, struct cli_account *acc)
{
	char *contacts[8];
	size_t n = make_contacts(c->opt, contacts);
	struct acme_account_params p = {
		.contacts = (const char *const *)contacts,
		.n_contacts = n,
		.agree_tos = c->opt->accept_tos,
		.eab_kid = c->opt->eab_kid,
		.eab_hmac_key = c->opt->eab_hmac_key,
	};
	struct acme_error e = { 0 };
	char *kid = NULL;
	int rc = cli_ctx_hold_key(c, acc->key) == 0 ? 0 : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL,
								     NULL, "out of memory");
	if (rc == 0 && acme_account_new(a, acc->key, &p, &kid, &e) != 0)
		rc = cli_out_acme_fail(c->out, &e);
	if (rc == 0) {
		json_decref(acc->info);
		acc->info = new_info(kid, (const char *const *)contacts, n, acc->key);
		rc = acc->info ? cli_account_save_info(c, acc)
			       : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
		if (rc == 0)
			log_info("ACME account %s ready (%s)", kid, acc->dir);
	}
	free(kid);
	for (size_t i = 0; i < n; i++)
		free(contacts[i]);
	return rc;
}

static int create_account(struct cli_ctx *c, struct acme *a, const char *server, struct cli_account *acc)
{
	int rc = creation_allowed(c, a, server);
	if (rc != 0)
		return rc;
	if (!acc->key) {
		acc->key = key_generate((enum key_type)c->opt->account_key_type);
		if (!acc->key)
			return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "cannot generate a %s key",
					    key_type_name((enum key_type)c->opt->account_key_type));
		if ((rc = cli_account_save_key(c, acc, "account.key", acc->key)) != 0)
			return rc;
	}
	return register_key(c, a, acc);
}

/* The CA decides whether the account still works (our note may be stale); we only say what to do if not. */
static void warn_unusable(struct cli_ctx *c, const struct cli_account *acc)
{
	const char *status = json_string_value(json_object_get(acc->info, "status"));
	if (status && strcmp(status, "valid") != 0)
		log_warn("the ACME account in %s/%s is %s: the CA will refuse it; move that folder away to create a "
			 "new account", state_path(c->st), acc->dir, status);
}

/* The ACME client borrows the key: the context keeps it alive as long as the client. */
static int use_account(struct cli_ctx *c, struct acme *a, const struct cli_account *acc)
{
	if (cli_ctx_hold_key(c, acc->key) != 0 || acme_use_account(a, acc->key, cli_account_url(acc)) != 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "cannot use the account");
	return 0;
}

int cli_account_ready(struct cli_ctx *c, struct acme *a, const char *server, struct cli_account *acc)
{
	int rc = cli_account_load(c, server, acc);
	if (rc != 0)
		return rc;
	if (!acc->key || !acc->info)
		return create_account(c, a, server, acc);
	warn_unusable(c, acc);
	return use_account(c, a, acc);
}

int cli_account_use_existing(struct cli_ctx *c, struct acme *a, const char *server, struct cli_account *acc)
{
	int rc = cli_account_load(c, server, acc);
	if (rc != 0)
		return rc;
	if (!acc->key || !acc->info)
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
				    "no ACME account for %s in %s/%s (issue creates one)", server, state_path(c->st),
				    acc->dir ? acc->dir : "accounts");
	return use_account(c, a, acc);
}

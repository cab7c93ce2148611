/* The ACME account of a CA in the state directory: accounts/<ca>/account.key (0600) and account.json. */
#ifndef ADNS_CLI_ACCOUNT_H
#define ADNS_CLI_ACCOUNT_H

#include "acme.h"
#include "context.h"

#include <jansson.h>
#include <openssl/evp.h>

struct cli_account {
	char *dir;                      /* "accounts/<state_ca_name(server)>" */
	EVP_PKEY *key;                  /* NULL when there is no key yet */
	json_t *info;                   /* account.json's object, NULL when there is none */
};

/* Reads the account of server from the state directory (key and account.json, whichever exist). Returns 0, or an
 * exit code with the failure reported. cli_account_clear in every case. */
int cli_account_load(struct cli_ctx *c, const char *server, struct cli_account *acc);
/* Loads the account, creating it at the CA when there is none (key of --account-key-type, --email contacts,
 * --accept-tos, EAB), and makes a sign with it. Returns 0, or an exit code with the failure reported. */
int cli_account_ready(struct cli_ctx *c, struct acme *a, const char *server, struct cli_account *acc);
/* Makes a sign with an account that must exist already (no creation). Returns 0 or an exit code, reported. */
int cli_account_use_existing(struct cli_ctx *c, struct acme *a, const char *server, struct cli_account *acc);
/* The account URL of account.json, or NULL. */
const char *cli_account_url(const struct cli_account *acc);
/* Writes acc->info as account.json. Returns 0, or an exit code with the failure reported. */
int cli_account_save_info(struct cli_ctx *c, const struct cli_account *acc);
/* Writes key as <dir>/<file> with mode 0600, wiping the PEM afterwards. Returns 0 or an exit code, reported. */
int cli_account_save_key(struct cli_ctx *c, const struct cli_account *acc, const char *file, EVP_PKEY *key);
/* The relative path <dir>/<file> (malloc'd). */
char *cli_account_path(const struct cli_account *acc, const char *file);
/* Frees what acc holds. */
void cli_account_clear(struct cli_account *acc);

#endif

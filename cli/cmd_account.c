/* acme-dns-cli account: show what the CA knows, move the account to a new key (RFC 8555 section 7.3.5), or
 * deactivate it (section 7.3.6). */
#include "cmd_account.h"

#include "account.h"
#include "certs.h"
#include "key.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_time_now(json_t *o, const char *key)
{
	char now[32];
	json_object_set_new(o, key, json_string(cli_time_format(time(NULL), now, sizeof(now))));
}

/* ---------- show ---------- */

static void say_account(struct cli_ctx *c, const struct cli_account *acc, json_t *view)
{
	const char *status = json_string_value(json_object_get(view, "status"));
	cli_out_line(c->out, "account %s", cli_account_url(acc));
	cli_out_line(c->out, "  status:   %s", status ? status : "?");
	json_t *contacts = json_object_get(view, "contact");
	for (size_t i = 0; i < json_array_size(contacts); i++)
		cli_out_line(c->out, "  contact:  %s", json_string_value(json_array_get(contacts, i)));
	if (!json_array_size(contacts))
		cli_out_line(c->out, "  contact:  (none)");
	const char *kt = json_string_value(json_object_get(acc->info, "key_type"));
	cli_out_line(c->out, "  key:      %s, %s/%s/account.key", kt ? kt : "?", state_path(c->st), acc->dir);
	const char *created = json_string_value(json_object_get(acc->info, "created"));
	if (created)
		cli_out_line(c->out, "  created:  %s", created);
}

/* Keeps account.json's status in step with the CA's (an account deactivated elsewhere, or revoked by the CA). */
static void sync_status(struct cli_ctx *c, struct cli_account *acc, const json_t *view)
{
	const char *ca = json_string_value(json_object_get(view, "status"));
	const char *ours = json_string_value(json_object_get(acc->info, "status"));
	if (!ca || (ours && strcmp(ca, ours) == 0))
		return;
	json_object_set_new(acc->info, "status", json_string(ca));
	if (cli_account_save_info(c, acc) != 0)
		json_decref(cli_out_take_error(c->out));     /* only a note of ours; the answer stands */
}

static int account_show(struct cli_ctx *c, struct acme *a, struct cli_account *acc)
{
	struct acme_error e = { 0 };
	json_t *view = acme_account_get(a, &e);
	if (!view)
		return cli_out_acme_fail(c->out, &e);
	sync_status(c, acc, view);
	say_account(c, acc, view);
	json_object_set_new(view, "url", json_string(cli_account_url(acc)));
	json_object_set(view, "key_type", json_object_get(acc->info, "key_type"));
	json_object_set(view, "created", json_object_get(acc->info, "created"));
	cli_out_result(c->out, "shown");
	cli_out_set(c->out, "account", view);
	return 0;
}

/* ---------- rollover ---------- */

static void rollover_forget(struct cli_ctx *c, const struct cli_account *acc)
{
	const char *files[] = { "account.key.new", "account.key.old" };
	for (size_t i = 0; i < 2; i++) {
		char *rel = cli_account_path(acc, files[i]);
		if (rel && state_remove(c->st, rel) != 0)
			log_warn("%s/%s: cannot remove", state_path(c->st), rel);
		free(rel);
	}
}

/* After the CA switched: account.key becomes the new key. */
static int rollover_commit(struct cli_ctx *c, struct cli_account *acc, EVP_PKEY *new_key)
{
	int rc = cli_account_save_key(c, acc, "account.key", new_key);
	if (rc != 0) {
		json_decref(cli_out_take_error(c->out));
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL,
				    "the CA moved the account to the key in %s/%s/account.key.new, but account.key could "
				    "not be replaced: rename account.key.new to account.key", state_path(c->st), acc->dir);
	}
	json_object_set_new(acc->info, "key_type",
			    json_string(key_type_name((enum key_type)c->opt->account_key_type)));
	set_time_now(acc->info, "key_changed");
	rc = cli_account_save_info(c, acc);
	rollover_forget(c, acc);
	return rc;
}

static int account_rollover(struct cli_ctx *c, struct acme *a, struct cli_account *acc)
{
	enum key_type kt = (enum key_type)c->opt->account_key_type;
	EVP_PKEY *new_key = key_generate(kt);
	if (!new_key)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "cannot generate a %s key",
				    key_type_name(kt));
	/* Both keys on disk before the CA is asked, so no answer (or crash) can leave us without the live one. */
	int rc = cli_account_save_key(c, acc, "account.key.old", acc->key);
	if (rc == 0)
		rc = cli_account_save_key(c, acc, "account.key.new", new_key);
	if (rc == 0 && cli_ctx_hold_key(c, new_key) != 0)
		rc = cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	struct acme_error e = { 0 };
	if (rc == 0 && acme_account_rollover(a, new_key, &e) != 0) {
		rollover_forget(c, acc);
		rc = cli_out_acme_fail(c->out, &e);
	} else if (rc == 0) {
		rc = rollover_commit(c, acc, new_key);
	}
	if (rc == 0) {
		cli_out_result(c->out, "rolled_over");
		cli_out_set(c->out, "account", json_pack("{s:s, s:s}", "url", cli_account_url(acc), "key_type",
							 key_type_name(kt)));
		cli_out_line(c->out, "account %s now uses a new %s key", cli_account_url(acc), key_type_name(kt));
	}
	EVP_PKEY_free(new_key);
	return rc;
}

/* ---------- deactivate ---------- */

static int account_deactivate(struct cli_ctx *c, struct acme *a, struct cli_account *acc)
{
	struct acme_error e = { 0 };
	if (acme_account_deactivate(a, &e) != 0)
		return cli_out_acme_fail(c->out, &e);
	json_object_set_new(acc->info, "status", json_string("deactivated"));
	set_time_now(acc->info, "deactivated");
	int rc = cli_account_save_info(c, acc);
	cli_out_result(c->out, "deactivated");
	cli_out_set(c->out, "account", json_pack("{s:s, s:s}", "url", cli_account_url(acc), "status", "deactivated"));
	cli_out_line(c->out, "account %s is deactivated; the next issue for this CA needs a new account "
			     "(move %s/%s away)", cli_account_url(acc), state_path(c->st), acc->dir);
	return rc;
}

int cli_cmd_account(struct cli_ctx *c)
{
	struct acme *a = NULL;
	struct cli_account acc = { 0 };
	int rc = cli_ctx_acme(c, c->opt->server, &a);
	if (rc == 0)
		rc = cli_account_use_existing(c, a, c->opt->server, &acc);
	if (rc == 0) {
		switch (c->opt->account_action) {
		case CLI_ACCOUNT_SHOW:
			rc = account_show(c, a, &acc);
			break;
		case CLI_ACCOUNT_ROLLOVER:
			rc = account_rollover(c, a, &acc);
			break;
		case CLI_ACCOUNT_DEACTIVATE:
			rc = account_deactivate(c, a, &acc);
			break;
		default:
			rc = cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "account needs an action");
		}
	}
	cli_account_clear(&acc);
	return rc;
}

/* acme-dns-cli account show|rollover|deactivate: the ACME account of --server. */
#ifndef ADNS_CLI_CMD_ACCOUNT_H
#define ADNS_CLI_CMD_ACCOUNT_H

#include "context.h"

/* Runs the action of c->opt->account_action; returns the exit code (failures reported). */
int cli_cmd_account(struct cli_ctx *c);

#endif

/* acme-dns-cli revoke: revokes a certificate of the state directory at the CA that issued it. */
#ifndef ADNS_CLI_CMD_REVOKE_H
#define ADNS_CLI_CMD_REVOKE_H

#include "context.h"

/* revoke --cert-name N [--reason CODE] [--with-cert-key]: returns the exit code (failures reported). */
int cli_cmd_revoke(struct cli_ctx *c);

#endif

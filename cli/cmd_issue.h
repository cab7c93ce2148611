/* acme-dns-cli issue and renew: one order per certificate over dns-01 through acme-dns, files written only after
 * the CA delivered, then the deploy hook. */
#ifndef ADNS_CLI_CMD_ISSUE_H
#define ADNS_CLI_CMD_ISSUE_H

#include "context.h"

/* issue -d NAME...: returns the exit code (failures reported through c->out). */
int cli_cmd_issue(struct cli_ctx *c);
/* renew --cert-name N | --all: returns the exit code (3 when nothing was due). */
int cli_cmd_renew(struct cli_ctx *c);

#endif

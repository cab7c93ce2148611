/* acme-dns-cli register and update: acme-dns accounts per domain, and a TXT value set by hand. */
#ifndef ADNS_CLI_CMD_REGISTER_H
#define ADNS_CLI_CMD_REGISTER_H

#include "context.h"

/* register -d DOMAIN...: returns the exit code (failures reported). */
int cli_cmd_register(struct cli_ctx *c);
/* update -d DOMAIN --value V: returns the exit code (failures reported). */
int cli_cmd_update(struct cli_ctx *c);

#endif

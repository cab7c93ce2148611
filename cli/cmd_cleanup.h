/* acme-dns-cli cleanup --stale: removes the challenge records the journal lists. */
#ifndef ADNS_CLI_CMD_CLEANUP_H
#define ADNS_CLI_CMD_CLEANUP_H

#include "context.h"

/* Returns the exit code: 0 when the journal is empty at the end, 4 when records are left (reported). */
int cli_cmd_cleanup(struct cli_ctx *c);

#endif

/* acme-dns-cli delegation: is _acme-challenge.DOMAIN a CNAME to the domain's acme-dns subdomain? */
#ifndef ADNS_CLI_CMD_DELEGATION_H
#define ADNS_CLI_CMD_DELEGATION_H

#include "context.h"

/* delegation -d DOMAIN [--to FULLDOMAIN]: asks the resolvers for the CNAME, a shadowing wildcard or DNAME, and the
 * CAA records that apply. Returns the exit code (0 delegated, 6 missing or wrong). */
int cli_cmd_delegation(struct cli_ctx *c);

#endif

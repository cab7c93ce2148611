/* acme-dns-cli check: is _acme-challenge.DOMAIN answered by every authoritative server of the zone that holds it? */
#ifndef ADNS_CLI_CMD_CHECK_H
#define ADNS_CLI_CMD_CHECK_H

#include "options.h"
#include "output.h"

/* check -d DOMAIN... [--value V]: runs the propagation checker; needs no state directory. Returns the exit code. */
int cli_cmd_check(const struct cli_options *o, struct cli_out *out);

#endif

/* The exec adapter: a program of the user's puts the TXT record in place and takes it away, called as lego's exec
 * provider calls it: `PROGRAM present|cleanup FQDN VALUE`, without a shell. */
#ifndef ADNS_SOLVER_EXEC_H
#define ADNS_SOLVER_EXEC_H

#include "solver.h"

struct exec_options {
	const char *program;            /* a path, or a name looked up in PATH (EXEC_PATH) */
	int timeout_s;                  /* per run; 0 = 60. Past it the program's process group gets SIGTERM, then
					 * SIGKILL */
};

/* Creates the adapter after checking that the program is an executable file. Each record is one run:
 * argv PROGRAM ACTION FQDN VALUE (ACTION "present" or "cleanup", FQDN the name the TXT goes at with a final dot),
 * our environment plus ACME_DNS_ACTION, ACME_DNS_FQDN, ACME_DNS_VALUE, ACME_DNS_DOMAIN and ACME_DNS_ZONE (the zone
 * with a final dot, "" when unknown), stdin /dev/null, stdout and stderr captured: an exit status other than 0 is
 * an error that quotes the end of that output. Returns NULL with errbuf set. */
struct solver *solver_exec_new(const struct exec_options *o, char *errbuf, size_t errlen);

#endif

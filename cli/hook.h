/* The deploy hook: a program run with execve (no shell) after new certificate files are written. */
#ifndef ADNS_CLI_HOOK_H
#define ADNS_CLI_HOOK_H

#include <stddef.h>

#define CLI_HOOK_TIMEOUT_S 300

/* The path to execute for program: itself when it holds a '/', else the first executable match in $PATH.
 * Returns it malloc'd, or NULL with err set. */
char *cli_hook_resolve(const char *program, char *err, size_t errlen);
/* Runs path with argv {path}, our environment (less ACME_DNS_CLI_EAB_HMAC_KEY) plus RENEWED_LINEAGE=lineage and
 * RENEWED_DOMAINS="<names space-separated>"; stdin /dev/null, its stdout and stderr to our stderr. Waits at most
 * timeout_s, then kills its process group. Returns 0 when it exited 0, else -1 with err set. */
int cli_hook_run(const char *path, const char *lineage, const char *const *names, size_t n_names, int timeout_s,
		 char *err, size_t errlen);

#endif

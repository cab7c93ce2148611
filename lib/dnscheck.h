/* DNS look-ups for the client: follow the CNAME of a challenge name, and wait until challenge values are
 * visible. (The full propagation checker that asks every authoritative server builds on this.) */
#ifndef ADNS_DNSCHECK_H
#define ADNS_DNSCHECK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define DNSCHECK_MAX_RESOLVERS 8

struct dnscheck_opts {
	const char *resolvers[DNSCHECK_MAX_RESOLVERS]; /* "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; none = the system's */
	size_t n_resolvers;
	int query_timeout_ms;           /* per query; 0 = 2000 */
	int timeout_s;                  /* whole wait; 0 = 120 */
	int interval_s;                 /* between rounds; 0 = 2 */
	/* Called once per round while waiting (may be NULL): what is still missing. */
	void (*progress)(void *ctx, int elapsed_s, int timeout_s, size_t missing, const char *first_missing);
	void *progress_ctx;
	volatile sig_atomic_t *cancel;  /* set by a signal handler to stop waiting; NULL = never */
};

struct dnscheck_item {
	const char *fqdn;               /* "_acme-challenge.example.com" */
	const char *value;              /* the TXT value that must be there */
};

/* Asks the first resolver that answers for the CNAME at name. Returns 1 with target (no trailing dot, lower case)
 * set, 0 when name has no CNAME (NXDOMAIN or NODATA), -1 with errbuf set when no resolver answered. */
int dnscheck_cname(const struct dnscheck_opts *o, const char *name, char *target, size_t target_len, char *errbuf,
		   size_t errlen);
/* Asks every resolver, round after round, until each of them returns every item's value in the TXT RRset at
 * item.fqdn (CNAMEs followed), or the timeout passes. Returns 0, or -1 with errbuf naming what was missing where. */
int dnscheck_wait_txt(const struct dnscheck_opts *o, const struct dnscheck_item *items, size_t n, char *errbuf,
		      size_t errlen);

#endif

/* The propagation checker: tell the CA only when every authoritative server of the zone that really holds a
 * challenge name answers every expected value. Follows CNAME/DNAME from _acme-challenge.<domain>, finds the zone
 * cut with SOA queries, asks each NS address directly (RD off, UDP then TCP on TC). */
#ifndef ADNS_PROPAGATION_H
#define ADNS_PROPAGATION_H

#include <jansson.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROP_MAX_CHAIN     16     /* CNAME/DNAME links followed */
#define PROP_MAX_SERVERS   64     /* NS addresses asked per zone */
#define PROP_MAX_VALUES    16
#define PROP_NAME_MAX      256

enum prop_state {
	PROP_HAS_ALL = 0,    /* answered with every expected value */
	PROP_MISSING,        /* answered authoritatively, some value missing (NXDOMAIN/NODATA included) */
	PROP_OLD_SERIAL,     /* has the values but its SOA serial is behind the highest seen (when serials must match) */
	PROP_TIMEOUT,        /* no answer over UDP nor TCP within the query timeout */
	PROP_REFUSED,
	PROP_SERVFAIL,
	PROP_LAME,           /* answered without AA, or referred elsewhere: not authoritative for the zone */
	PROP_ERROR,          /* anything else (FORMERR, malformed answer, unreachable) */
};

struct prop_server {
	char ns[PROP_NAME_MAX];        /* NS name, no trailing dot */
	char addr[64];                 /* "192.0.2.1" or "2001:db8::1" */
	enum prop_state state;
	uint32_t serial;               /* SOA serial it answered, 0 if unknown */
	char missing[256];             /* the first missing value, when state is PROP_MISSING */
	char detail[256];              /* one line for a person */
};

struct prop_target {
	char name[PROP_NAME_MAX];      /* the name asked: _acme-challenge.example.com */
	char final[PROP_NAME_MAX];     /* where the TXT really lives after CNAME/DNAME */
	char chain[PROP_MAX_CHAIN][PROP_NAME_MAX];  /* the names passed through, name first, final last */
	size_t chain_len;
	char zone[PROP_NAME_MAX];      /* the zone holding final */
	uint32_t negative_ttl;         /* min(SOA TTL, SOA minimum) of that zone */
	const char *values[PROP_MAX_VALUES];        /* expected values (borrowed) */
	size_t n_values;
	struct prop_server servers[PROP_MAX_SERVERS];
	size_t n_servers;
	bool done;                     /* every server has every value (and the serials match when asked) */
};

struct prop_opts {
	const char *resolvers[8];      /* recursive resolvers for the zone cut and NS addresses ("127.0.0.1:5353") */
	size_t n_resolvers;            /* 0 = the system's */
	int query_timeout_ms;          /* per query; 0 = 2000 */
	int timeout_s;                 /* the whole wait; 0 = 120 */
	int interval_s;                /* between rounds; 0 = 2 */
	uint16_t port;                 /* port the authoritative servers are asked on; 0 = 53 */
	bool serials_must_match;       /* also require the same SOA serial at every address */
	bool check_resolvers;          /* after the authoritative servers agree, also ask the resolvers */
	/* Called after each round with the targets' state (may be NULL). */
	void (*progress)(void *ctx, const struct prop_target *t, size_t n, int round, int elapsed_s);
	void *progress_ctx;
	volatile sig_atomic_t *cancel; /* set by a signal handler to stop; NULL = never */
};

/* Resolves where t->name really lives and who serves it: follows CNAME/DNAME (loops and chains over
 * PROP_MAX_CHAIN are errors), finds the zone cut by walking SOA queries up from the final name, lists every NS
 * and each of its A and AAAA addresses. Returns 0, or -1 with errbuf saying why (naming the loop or the name). */
int prop_resolve(const struct prop_opts *o, struct prop_target *t, char *errbuf, size_t errlen);
/* One round: asks every server of every target (already resolved) and updates its state. Returns the number of
 * targets done. */
size_t prop_round(const struct prop_opts *o, struct prop_target *t, size_t n);
/* Resolves every target, then runs rounds until all are done, the timeout passes or cancel is set.
 * Returns 0 when all are done, -1 with errbuf naming the first server still lagging and why. */
int prop_wait(const struct prop_opts *o, struct prop_target *t, size_t n, char *errbuf, size_t errlen);
/* The whole report as JSON (for --json). New reference. */
json_t *prop_report_json(const struct prop_target *t, size_t n);
/* A word for a state: "ok", "missing", "old-serial", "timeout", "refused", "servfail", "lame", "error". */
const char *prop_state_name(enum prop_state s);

#endif

/* The interface every DNS provider adapter implements: put challenge TXT records in place, take them away. */
#ifndef ADNS_SOLVER_H
#define ADNS_SOLVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returned by present when the user must act first (e.g. create a CNAME); errbuf says exactly what. */
#define SOLVER_NEEDS_SETUP (-2)

struct solver_record {
	const char *domain;             /* the identifier without "*.", e.g. "example.com" */
	const char *fqdn;               /* "_acme-challenge.example.com" (no trailing dot) */
	const char *value;              /* base64url SHA-256 of the key authorization */
	/* Where the TXT really goes, for adapters with caps.follows_cname: the end of the CNAME/DNAME chain from fqdn
	 * (no trailing dot; fqdn itself when there is no chain or it was not followed), and the zone that holds it as
	 * the resolvers see it (no trailing dot), or NULL when unknown: the adapter then finds the zone itself. */
	const char *target;
	const char *zone;
};

struct solver_caps {
	bool appends;                   /* a value is added beside the others at its name (rfc2136, per-record APIs);
					 * false: the adapter writes a name's whole set at once (Route 53 UPSERT, a
					 * REPLACE), so the engine never splits one name's records across calls */
	size_t batch_max;               /* records one present call takes; 0 = any number */
	unsigned requests_per_minute;   /* the provider's request budget; 0 = none. The engine paces its calls so
					 * that requests_per_record * records stays within it */
	unsigned requests_per_record;   /* requests one record costs, about (0 = 1) */
	uint32_t min_ttl;               /* the smallest TTL the provider takes (informational; adapters use it) */
	bool follows_cname;             /* writes at target/zone, which the engine resolves before present (rfc2136,
					 * pdns, exec); false: the adapter knows where its records go (acme-dns) */
};

struct solver;
struct journal;

struct solver_ops {
	const char *name;
	/* Makes every record visible in DNS. Returns 0, -1 with errbuf set, or SOLVER_NEEDS_SETUP. */
	int (*present)(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
	/* Removes what present put there (also after a partial present). Returns 0 or -1 with errbuf set. */
	int (*cleanup)(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
	/* Frees the adapter. */
	void (*destroy)(struct solver *s);
};

struct solver {
	const struct solver_ops *ops;
	struct solver_caps caps;
	void *priv;
	const char *where;              /* what the adapter writes to, for people and the journal ("127.0.0.1:53",
					 * an API URL, a program); set by the adapter, may be NULL */
	struct journal *journal;        /* set by the caller: each record is journaled before present sends it and
					 * struck off after its clean-up succeeded; NULL = no journal */
	volatile sig_atomic_t *cancel;  /* set by the caller (a signal handler sets *cancel): a present that waits
					 * (a program, a retry) stops early; clean-up always runs. NULL = never */
};

/* Calls s->ops->present in batches of caps.batch_max; with a journal, writes every record of a batch to it
 * first (a journal write failure stops before anything is sent). */
int solver_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
/* Calls s->ops->cleanup for every record, in batches; keeps going after an error and returns the first. With a
 * journal, the records of each batch that was cleaned up are struck off it. */
int solver_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
/* For adapters that go on after a failure (clean-up, one zone after another): the first error goes to errbuf and
 * *first becomes -1; later ones are logged, as the caller can return only one. */
void solver_error_keep(int *first, const char *err, char *errbuf, size_t errlen);
/* Frees s through its ops. NULL is fine. */
void solver_free(struct solver *s);

#endif

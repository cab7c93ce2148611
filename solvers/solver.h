/* The interface every DNS provider adapter implements: put challenge TXT records in place, take them away. */
#ifndef ADNS_SOLVER_H
#define ADNS_SOLVER_H

#include <stdbool.h>
#include <stddef.h>

/* Returned by present when the user must act first (e.g. create a CNAME); errbuf says exactly what. */
#define SOLVER_NEEDS_SETUP (-2)

struct solver_record {
	const char *domain;             /* the identifier without "*.", e.g. "example.com" */
	const char *fqdn;               /* "_acme-challenge.example.com" (no trailing dot) */
	const char *value;              /* base64url SHA-256 of the key authorization */
};

struct solver_caps {
	bool appends;                   /* several values at one name coexist (a wildcard and its base at once) */
	size_t batch_max;               /* records one present call takes; 0 = any number */
};

struct solver;

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
};

/* Calls s->ops->present in batches of caps.batch_max. */
int solver_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
/* Calls s->ops->cleanup for every record, in batches; keeps going after an error and returns the first. */
int solver_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen);
/* Frees s through its ops. NULL is fine. */
void solver_free(struct solver *s);

#endif

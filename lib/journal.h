/* The journal of challenge records a solver created: each record is written to STATE/journal/ before the request
 * that creates it is sent, and struck off after its clean-up succeeded. What a crashed or killed run left behind
 * is exactly what the journal still lists, so `acme-dns-cli cleanup --stale` removes that and nothing else. */
#ifndef ADNS_JOURNAL_H
#define ADNS_JOURNAL_H

#include "solver.h"
#include "state.h"

#include <stddef.h>
#include <stdint.h>

struct journal;

struct journal_entry {
	char id[80];                    /* file name without .json */
	char *solver;                   /* adapter name, e.g. "rfc2136" */
	char *where;                    /* what the adapter wrote to, "" when unknown */
	char *domain, *fqdn, *target, *zone, *value;   /* zone may be "" */
	int64_t created;                /* unix seconds */
	long pid;                       /* the run that wrote it */
};

/* A journal in st's directory (STATE/journal, made 0700 on first write); st is borrowed. NULL when out of memory. */
struct journal *journal_new(struct state *st);
void journal_free(struct journal *j);

/* Records r before it is created. Returns 0 or -1 with errbuf set (nothing may be sent then). */
int journal_add(struct journal *j, const char *solver, const char *where, const struct solver_record *r,
		char *errbuf, size_t errlen);
/* Strikes off every entry of solver for r's name and value. Returns the number struck off, or -1. */
int journal_strike(struct journal *j, const char *solver, const struct solver_record *r);
/* Strikes off one entry by id. Returns 0 or -1. */
int journal_remove(struct journal *j, const char *id);
/* Every entry, oldest first. Returns 0 with *out (free with journal_entries_free) and *n set, or -1 with errbuf
 * set. An unreadable entry file is reported in errbuf but skipped (returns 0): it is never deleted. */
int journal_list(struct journal *j, struct journal_entry **out, size_t *n, char *errbuf, size_t errlen);
void journal_entries_free(struct journal_entry *e, size_t n);   /* NULL is fine */

#endif

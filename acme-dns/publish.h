/* Publishing stored values to the DNS tables: the store is the truth, the tables show its newest values. */
#ifndef ADNS_PUBLISH_H
#define ADNS_PUBLISH_H

#include "store.h"
#include "txt_table.h"

/* Reads an account subdomain's newest values_kept values back from the store and publishes exactly those in
 * the subdomain table t, each value once. The caller holds the write lock. Returns 0 or -1 (logged). */
int publish_subdomain(struct store *st, struct txt_table *t, unsigned values_kept, const char *sub);
/* The same for a whole name (text, no trailing dot) in the name table t; a name left without values
 * disappears from it. Returns 0 or -1 (logged). */
int publish_name(struct store *st, struct txt_table *t, unsigned values_kept, const char *name);

#endif

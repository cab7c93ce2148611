/* The in-memory table of registered subdomains and their challenge TXT values, read without locks (RCU).
 * A table holds either subdomain labels (txt_table_register/set/lookup) or whole names (txt_table_name_*),
 * never both. */
#ifndef ADNS_TXT_TABLE_H
#define ADNS_TXT_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct txt_table;

/* One published value set, immutable once readers can see it. */
struct txt_value {
	int64_t created;          /* unix seconds */
	const uint8_t *rdata;     /* TXT rdata: length byte + characters (in the set's own allocation) */
	uint8_t rdlen;            /* length of the character-string */
};
struct txt_set {
	uint32_t n;               /* 0 = registered, nothing to serve (NODATA) */
	struct txt_value v[];     /* newest first */
};

/* A value as the writer gives it. */
struct txt_item {
	const char *value;
	int64_t created;
};

/* Creates an empty table. Returns NULL on allocation failure. */
struct txt_table *txt_table_new(void);
/* Frees the table; no reader may be inside it. */
void txt_table_free(struct txt_table *t);
/* Number of entries: registered subdomains, or names (with the names above them). */
size_t txt_table_count(struct txt_table *t);

/* Writers (serialised by the caller). subdomain is one label, matched case-insensitively. */
/* Registers subdomain with no values (answers NODATA). Returns 0, or -1 on bad name / allocation failure. */
int txt_table_register(struct txt_table *t, const char *subdomain);
/* Publishes the value set of subdomain (registering it if needed): items newest first, at most 16.
 * Readers see the old or the new set, never a mix. Returns 0 or -1. */
int txt_table_set(struct txt_table *t, const char *subdomain, const struct txt_item *items, size_t n);

/* Readers: call between rcu_read_lock() and rcu_read_unlock() of liburcu (urcu-memb) from a registered
 * thread. label is one DNS label (no length byte), any case. Returns NULL when not registered. */
const struct txt_set *txt_table_lookup(struct txt_table *t, const uint8_t *label, size_t len);

/* Whole names (the _acme-challenge names RFC 2136 UPDATE writes), as uncompressed wire names in any case.
 * Writers (serialised by the caller): publishes name's values, items newest first, at most 16; n == 0 takes
 * them away. While a name has values, it and every name above it exist in the table (those without values
 * of their own as empty sets), so that they answer NODATA, not NXDOMAIN. Returns 0 or -1. */
int txt_table_name_set(struct txt_table *t, const uint8_t *name, const struct txt_item *items, size_t n);
/* Readers, as txt_table_lookup: name is an uncompressed wire name of len bytes, any case. Returns its set
 * (n == 0: the name exists without values of its own) or NULL when the table does not hold it. */
const struct txt_set *txt_table_name_lookup(struct txt_table *t, const uint8_t *name, size_t len);

/* Writers (serialised by the caller): calls fn for every entry with its key (a lower-case label, or a lower-case
 * uncompressed wire name) and its current set. fn must not change the table. */
void txt_table_each(struct txt_table *t, void (*fn)(void *ctx, const uint8_t *key, size_t len,
						    const struct txt_set *set), void *ctx);

#endif

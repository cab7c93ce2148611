/* TXT record sets as lists of quoted strings (Route 53's ResourceRecords, Google Cloud DNS's rrdatas): our values
 * quoted, merged in beside the others, and taken out again without touching anything else. */
#ifndef ADNS_SOLVER_TXTSET_H
#define ADNS_SOLVER_TXTSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXTSET_VALUE_MAX 255            /* one character-string */
#define TXTSET_QUOTED_MAX (2 * TXTSET_VALUE_MAX + 3)

/* value as one quoted string, '"' and '\' escaped, into out. Returns 0, or -1 when it is empty, over 255 bytes,
 * not printable ASCII, or out is too small. */
int txtset_quote(const char *value, char *out, size_t outlen);
/* The values (an array of strings in the provider's quoted form; NULL = no set yet) after adding our values (add)
 * or taking them out: the others stay as they were, in their order; ours are added once; taking out removes only
 * strings exactly equal to one of ours quoted. Returns 0 with *out (a new array: json_decref) and *changed, or -1
 * with errbuf set ("TAG: ..."): a value that cannot be quoted, or out of memory. */
int txtset_merge(const char *tag, const json_t *current, const char *const *values, size_t n, bool add, json_t **out,
		 bool *changed, char *errbuf, size_t errlen);

/* What one name's change does to its TXT set: the set now there (old_values NULL or empty: none) and the set
 * wanted (new_values NULL or empty: none). */
struct txtset_change {
	const char *name;               /* with the final dot */
	uint32_t old_ttl, new_ttl;
	const json_t *old_values, *new_values;
};

/* One name's TXT set while a zone's change is built: what is there and what is wanted. */
struct txtset_set {
	const char *name;
	json_t *old_values, *new_values;  /* owned */
	uint32_t old_ttl;
	bool changed;
};

/* A record of a batch as the zone code sees it: the provider's zone key, the name (final dot) and our value. */
struct txtset_item {
	const char *zone;
	const char *name;
	const char *value;
};

/* What a whole-set adapter (Route 53, Google Cloud DNS) does for one zone. */
struct txtset_ops {
	const char *tag;                /* message prefix, "route53" */
	int tries;                      /* changes refused because a set changed meanwhile are built again this often */
	/* Reads the set at s->name in zone into s->old_values (NULL when there is none) and s->old_ttl. 0 or -1. */
	int (*read)(void *ctx, const char *zone, struct txtset_set *s, char *errbuf, size_t errlen);
	/* Sends the nc changes as one all-or-nothing change; its id into id. 0 sent, 1 refused because a set changed
	 * since it was read (read again), -1 with errbuf set. */
	int (*send)(void *ctx, const char *zone, const struct txtset_change *c, size_t nc, char *id, size_t idlen,
		    char *errbuf, size_t errlen);
};

/* Reads, merges (add: our values in; else out) and writes every name of zone items[i].zone in one change, with
 * new_ttl for a set that did not exist. *changed gets how many sets changed; id gets the change's id ("" when
 * nothing changed). Returns 0 or -1 with errbuf set. */
int txtset_zone_apply(const struct txtset_ops *ops, void *ctx, const struct txtset_item *items, size_t n, size_t i,
		      bool add, uint32_t new_ttl, char *id, size_t idlen, size_t *changed, char *errbuf, size_t errlen);

#endif

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

#endif

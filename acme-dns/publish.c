/* Publishing stored values: read back what the store kept, drop repeats, swap the set into the table. */
#include "publish.h"

#include "config.h"
#include "log.h"
#include "wire.h"

#include <string.h>

/* Turns the newest values into table items, each value once: a client retrying sends one value twice, and
 * an RRset holds it once. Returns the number of items. */
static size_t items_from_values(const struct store_value *vals, int n, struct txt_item *items)
{
	size_t m = 0;
	for (int i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < m && !dup; j++)
			dup = strcmp(items[j].value, vals[i].value) == 0;
		if (!dup)
			items[m++] = (struct txt_item){ .value = vals[i].value, .created = vals[i].created };
	}
	return m;
}

static size_t kept(unsigned values_kept)
{
	return values_kept < CONFIG_MAX_VALUES ? values_kept : CONFIG_MAX_VALUES;
}

int publish_subdomain(struct store *st, struct txt_table *t, unsigned values_kept, const char *sub)
{
	struct store_value vals[CONFIG_MAX_VALUES];
	struct txt_item items[CONFIG_MAX_VALUES];
	int n = store_values_get(st, sub, vals, kept(values_kept));
	if (n < 0 || txt_table_set(t, sub, items, items_from_values(vals, n, items)) < 0) {
		log_error("subdomain %s: cannot publish its values", sub);
		return -1;
	}
	return 0;
}

int publish_name(struct store *st, struct txt_table *t, unsigned values_kept, const char *name)
{
	struct store_value vals[CONFIG_MAX_VALUES];
	struct txt_item items[CONFIG_MAX_VALUES];
	uint8_t wire[WIRE_NAME_MAX];
	int n = store_name_values_get(st, name, vals, kept(values_kept));
	if (n < 0 || wire_name_from_str(name, wire) == 0 ||
	    txt_table_name_set(t, wire, items, items_from_values(vals, n, items)) < 0) {
		log_error("name %s: cannot publish its values", name);
		return -1;
	}
	return 0;
}

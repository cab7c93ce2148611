/* Merging challenge values into a TXT set given as quoted strings, so the values of others are never lost. */
#include "txtset.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int txtset_quote(const char *value, char *out, size_t outlen)
{
	size_t k = 0, len = value ? strlen(value) : 0;

	if (len == 0 || len > TXTSET_VALUE_MAX || outlen < 3)
		return -1;
	out[k++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x20 || c > 0x7e || k + 4 > outlen)
			return -1;
		if (c == '"' || c == '\\')
			out[k++] = '\\';
		out[k++] = (char)c;
	}
	out[k++] = '"';
	out[k] = '\0';
	return 0;
}

static bool txtset_has(const json_t *arr, const char *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			return true;
	return false;
}

/* Our values, quoted, into ours. */
static int txtset_ours(const char *tag, const char *const *values, size_t n, json_t *ours, char *errbuf,
		       size_t errlen)
{
	char q[TXTSET_QUOTED_MAX];

	for (size_t i = 0; i < n; i++) {
		if (txtset_quote(values[i], q, sizeof q) != 0) {
			snprintf(errbuf, errlen, "%s: a TXT value is empty, too long or not printable ASCII", tag);
			return -1;
		}
		if (json_array_append_new(ours, json_string(q)) != 0) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int txtset_merge(const char *tag, const json_t *current, const char *const *values, size_t n, bool add, json_t **out,
		 bool *changed, char *errbuf, size_t errlen)
{
	json_t *res = json_array(), *ours = json_array(), *x;
	size_t i;

	*out = NULL;
	*changed = false;
	if (!res || !ours || (current && !json_is_array(current))) {
		snprintf(errbuf, errlen, res && ours ? "%s: the record set's values are not a list" : "out of memory", tag);
		goto fail;
	}
	if (txtset_ours(tag, values, n, ours, errbuf, errlen) != 0)
		goto fail;
	json_array_foreach(current, i, x) {
		if (!json_is_string(x))
			continue;
		if (!add && txtset_has(ours, json_string_value(x)))
			*changed = true;                /* one of ours: left out */
		else if (!txtset_has(res, json_string_value(x)) && json_array_append(res, x) != 0)
			goto oom;                       /* someone else's, kept as it was */
	}
	json_array_foreach(add ? ours : NULL, i, x) {
		if (txtset_has(res, json_string_value(x)))
			continue;
		if (json_array_append(res, x) != 0)
			goto oom;
		*changed = true;
	}
	json_decref(ours);
	*out = res;
	return 0;
oom:
	snprintf(errbuf, errlen, "out of memory");
fail:
	json_decref(res);
	json_decref(ours);
	return -1;
}

/* The distinct names of zone items[i].zone; sets has room for n. */
static size_t sets_of_zone(const struct txtset_item *items, size_t n, size_t i, struct txtset_set *sets)
{
	size_t ns = 0;

	for (size_t j = i; j < n; j++) {
		bool seen = false;
		if (strcmp(items[j].zone, items[i].zone) != 0)
			continue;
		for (size_t k = 0; k < ns && !seen; k++)
			seen = strcmp(sets[k].name, items[j].name) == 0;
		if (!seen)
			sets[ns++] = (struct txtset_set){ .name = items[j].name };
	}
	return ns;
}

/* Reads every set and merges: the changes in c, their number in *nc. */
static int sets_merge(const struct txtset_ops *ops, void *ctx, const struct txtset_item *items, size_t n, size_t i,
		      struct txtset_set *sets, size_t ns, bool add, uint32_t new_ttl, struct txtset_change *c,
		      size_t *nc, char *errbuf, size_t errlen)
{
	const char **values = calloc(n, sizeof *values);

	*nc = 0;
	if (!values) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (size_t s = 0; s < ns; s++) {
		size_t nv = 0;
		for (size_t j = i; j < n; j++)
			if (strcmp(items[j].zone, items[i].zone) == 0 && strcmp(items[j].name, sets[s].name) == 0)
				values[nv++] = items[j].value;
		json_decref(sets[s].old_values);
		json_decref(sets[s].new_values);
		sets[s].old_values = sets[s].new_values = NULL;
		if (ops->read(ctx, items[i].zone, &sets[s], errbuf, errlen) != 0 ||
		    txtset_merge(ops->tag, sets[s].old_values, values, nv, add, &sets[s].new_values, &sets[s].changed,
				 errbuf, errlen) != 0) {
			free(values);
			return -1;
		}
		if (sets[s].changed)
			c[(*nc)++] = (struct txtset_change){ .name = sets[s].name, .old_ttl = sets[s].old_ttl,
							     .new_ttl = sets[s].old_values ? sets[s].old_ttl : new_ttl,
							     .old_values = sets[s].old_values,
							     .new_values = sets[s].new_values };
	}
	free(values);
	return 0;
}

int txtset_zone_apply(const struct txtset_ops *ops, void *ctx, const struct txtset_item *items, size_t n, size_t i,
		      bool add, uint32_t new_ttl, char *id, size_t idlen, size_t *changed, char *errbuf, size_t errlen)
{
	struct txtset_set *sets = calloc(n, sizeof *sets);
	struct txtset_change *c = calloc(n, sizeof *c);
	size_t ns = sets ? sets_of_zone(items, n, i, sets) : 0, nc = 0;
	int rc = -1;

	if (!sets || !c)
		snprintf(errbuf, errlen, "out of memory");
	for (int t = 0; sets && c && t < ops->tries; t++) {
		if ((rc = sets_merge(ops, ctx, items, n, i, sets, ns, add, new_ttl, c, &nc, errbuf, errlen)) != 0 || nc == 0)
			break;
		if ((rc = ops->send(ctx, items[i].zone, c, nc, id, idlen, errbuf, errlen)) != 1)
			break;
		log_warn("%s (a set changed since it was read); reading the sets again", errbuf);
		rc = -1;
	}
	if (rc != 0 || nc == 0)
		id[0] = '\0';
	for (size_t s = 0; sets && s < ns; s++) {
		json_decref(sets[s].old_values);
		json_decref(sets[s].new_values);
	}
	free(sets);
	free(c);
	*changed = rc == 0 ? nc : 0;
	return rc;
}

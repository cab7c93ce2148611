/* Merging challenge values into a TXT set given as quoted strings, so the values of others are never lost. */
#include "txtset.h"

#include <stdio.h>
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

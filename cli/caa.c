/* CAA matching (RFC 8659 section 4): which records apply, and whether one of them names the CA. */
#include "caa.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool cli_caa_issuer(const char *value, char *out, size_t outlen)
{
	const char *end = strchr(value, ';');
	if (!end)
		end = value + strlen(value);
	while (value < end && isspace((unsigned char)*value))
		value++;
	while (end > value && isspace((unsigned char)end[-1]))
		end--;
	size_t len = (size_t)(end - value);
	if (len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)value[i]);
	out[len] = '\0';
	if (len > 1 && out[len - 1] == '.')
		out[len - 1] = '\0';
	return true;
}

/* The tag that decides: issuewild for a wildcard when the set has one, else issue. */
static const char *caa_tag(const struct cli_caa_rec *recs, size_t n, bool wildcard)
{
	for (size_t i = 0; wildcard && i < n; i++)
		if (strcasecmp(recs[i].tag, "issuewild") == 0)
			return "issuewild";
	return "issue";
}

static bool caa_names(const char *issuer, const char *const *ids, size_t n_ids)
{
	for (size_t k = 0; *issuer && k < n_ids; k++) {
		char id[CLI_CAA_VALUE_MAX];
		if (cli_caa_issuer(ids[k], id, sizeof(id)) && strcmp(id, issuer) == 0)
			return true;
	}
	return false;
}

enum cli_caa_verdict cli_caa_check(const struct cli_caa_rec *recs, size_t n, bool wildcard,
				   const char *const *ids, size_t n_ids)
{
	const char *tag = caa_tag(recs, n, wildcard);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		char issuer[CLI_CAA_VALUE_MAX];
		if (strcasecmp(recs[i].tag, tag) != 0)
			continue;
		any = true;
		if (cli_caa_issuer(recs[i].value, issuer, sizeof(issuer)) && caa_names(issuer, ids, n_ids))
			return CLI_CAA_ALLOWED;
	}
	return any ? CLI_CAA_FORBIDDEN : CLI_CAA_NO_RULE;
}

void cli_caa_values(const struct cli_caa_rec *recs, size_t n, bool wildcard, char *out, size_t outlen)
{
	const char *tag = caa_tag(recs, n, wildcard);
	size_t used = 0;
	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < outlen; i++) {
		if (strcasecmp(recs[i].tag, tag) != 0)
			continue;
		int k = snprintf(out + used, outlen - used, "%s%s \"%s\"", used ? ", " : "", recs[i].tag,
				 recs[i].value);
		if (k < 0)
			break;
		used += (size_t)k < outlen - used ? (size_t)k : outlen - used - 1;
	}
}

/* CAA records (RFC 8659) as delegation reads them: does the RRset that applies let the CA issue? Pure functions. */
#ifndef ADNS_CLI_CAA_H
#define ADNS_CLI_CAA_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_CAA_VALUE_MAX 256

struct cli_caa_rec {
	unsigned flags;
	char tag[32];                   /* "issue", "issuewild", "iodef", ... as in the record */
	char value[CLI_CAA_VALUE_MAX];  /* the value, raw ("letsencrypt.org; validationmethods=dns-01") */
};

enum cli_caa_verdict {
	CLI_CAA_NO_RULE = 0,            /* no issue (or, for a wildcard, issuewild) record: any CA may issue */
	CLI_CAA_ALLOWED,                /* a record names one of the identities */
	CLI_CAA_FORBIDDEN,              /* issue records exist and none names one of the identities */
};

/* The issuer domain of a value: text before ';', blanks trimmed, lower case, into out ("" forbids every CA).
 * Returns false when it does not fit. */
bool cli_caa_issuer(const char *value, char *out, size_t outlen);
/* Whether a CA with these identities may issue for a name (wildcard: a "*." name) under the CAA RRset recs: for
 * a wildcard, the issuewild records when there are any, else the issue records. Tags compare without case. */
enum cli_caa_verdict cli_caa_check(const struct cli_caa_rec *recs, size_t n, bool wildcard,
				   const char *const *ids, size_t n_ids);
/* The values of the records that decided (issuewild or issue, as cli_caa_check chose), quoted and joined with
 * ", " into out (truncated to fit). */
void cli_caa_values(const struct cli_caa_rec *recs, size_t n, bool wildcard, char *out, size_t outlen);

#endif

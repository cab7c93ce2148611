/* OAuth 2.0 access tokens for the cloud adapters: a form POSTed to a token endpoint (client credentials, RFC 6749
 * section 4.4; a JWT bearer assertion, RFC 7523), the token kept until shortly before it expires, refusals worded
 * as every adapter words them, and the secrets wiped. */
#ifndef ADNS_SOLVER_OAUTH_H
#define ADNS_SOLVER_OAUTH_H

#include "provider.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct oauth_token {
	char *header;                   /* "Authorization: Bearer TOKEN"; wiped by oauth_token_clear */
	const char *token;              /* inside header */
	time_t expires;                 /* when the provider said it ends */
};

/* The form "k1=v1&k2=v2" of NULL-terminated key, value pairs, application/x-www-form-urlencoded. malloc'd (the
 * caller wipes and frees it: it usually holds a secret), or NULL. */
char *oauth_form(const char *const *pairs);
/* POSTs form to url and keeps {"access_token", "expires_in"} of the answer in t (replacing what it held). Returns
 * 0, or -1 with errbuf set: a refusal (401, 403, or 400 with error invalid_grant, invalid_client or
 * unauthorized_client) is "TAG: credentials refused by NAME (CREDENTIALS): HTTP N ERROR"; the token and the form
 * are never quoted. */
int oauth_token_fetch(const struct provider *p, const char *url, const char *form, struct oauth_token *t,
		      char *errbuf, size_t errlen);
/* Whether t holds a token good for another minute at now. */
bool oauth_token_fresh(const struct oauth_token *t, time_t now);
/* Wipes and frees what t holds, and zeroes it. */
void oauth_token_clear(struct oauth_token *t);

#endif

/* Access tokens from an OAuth 2.0 token endpoint, cached for their lifetime. */
#include "oauth.h"

#include "log.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OAUTH_TOKEN_MAX 8192
#define OAUTH_MARGIN_S 60               /* a token this close to its end is renewed first */

static void oauth_escape(const char *s, char *out, size_t *k)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			     strchr("-._~", *p);
		if (plain) {
			out[(*k)++] = (char)*p;
		} else {
			out[(*k)++] = '%';
			out[(*k)++] = hex[*p >> 4];
			out[(*k)++] = hex[*p & 15];
		}
	}
}

char *oauth_form(const char *const *pairs)
{
	size_t len = 1, k = 0;
	char *out;

	for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2)
		len += 3 * (strlen(pairs[i]) + strlen(pairs[i + 1])) + 2;
	if (!(out = malloc(len)))
		return NULL;
	for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2) {
		if (i)
			out[k++] = '&';
		oauth_escape(pairs[i], out, &k);
		out[k++] = '=';
		oauth_escape(pairs[i + 1], out, &k);
	}
	out[k] = '\0';
	return out;
}

void oauth_token_clear(struct oauth_token *t)
{
	if (t->header) {
		OPENSSL_cleanse(t->header, strlen(t->header));
		free(t->header);
	}
	memset(t, 0, sizeof *t);
}

bool oauth_token_fresh(const struct oauth_token *t, time_t now)
{
	return t->header && now + OAUTH_MARGIN_S < t->expires;
}

/* Whether the answer refuses the credentials: 401/403, or the OAuth errors of a bad key, secret or assertion. */
static bool oauth_refused(const struct http_response *r, const char **code)
{
	json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	static const char *const refusals[] = { "invalid_grant", "invalid_client", "unauthorized_client" };
	bool refused = r->status == 401 || r->status == 403;

	*code = "";
	for (size_t i = 0; e && i < sizeof refusals / sizeof refusals[0]; i++) {
		if (strcmp(e, refusals[i]) == 0) {
			*code = refusals[i];    /* static: j is freed below */
			refused = refused || r->status == 400;
		}
	}
	json_decref(j);
	return refused;
}

static int oauth_keep(const struct provider *p, const struct http_response *r, struct oauth_token *t, char *errbuf,
		      size_t errlen)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "access_token"));
	json_t *exp = json_object_get(j, "expires_in");
	/* Azure sent expires_in as a string once; both forms are taken */
	long secs = json_is_integer(exp) ? (long)json_integer_value(exp) : json_is_string(exp) ? atol(json_string_value(exp)) : 0;
	size_t n = tok ? strlen(tok) : 0;
	int rc = -1;

	if (n == 0 || n > OAUTH_TOKEN_MAX || strcspn(tok, " \t\r\n") != n) {
		snprintf(errbuf, errlen, "%s: the token endpoint's answer has no usable access_token", p->tag);
	} else if (!(t->header = malloc(n + sizeof "Authorization: Bearer "))) {
		snprintf(errbuf, errlen, "out of memory");
	} else {
		snprintf(t->header, n + sizeof "Authorization: Bearer ", "Authorization: Bearer %s", tok);
		t->token = t->header + strlen("Authorization: Bearer ");
		t->expires = time(NULL) + (secs > 0 ? secs : 300);
		log_debug("%s: got an access token good for %ld s", p->tag, secs > 0 ? secs : 300);
		rc = 0;
	}
	if (tok)
		OPENSSL_cleanse((void *)tok, n);
	json_decref(j);
	return rc;
}

/* Any other error: OAuth's error_description says what is wrong (an unknown tenant, a bad scope) where "error"
 * only names a class; it is quoted under the same rules as any provider text (printable, no secret). */
static void oauth_fail(const struct provider *p, const struct http_response *r, char *errbuf, size_t errlen)
{
	json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *d = json_string_value(json_object_get(j, "error_description"));
	char text[256];

	if (d) {
		struct http_response only = { .status = r->status, .body = (char *)d, .body_len = strlen(d) };
		provider_error_text(p, &only, text, sizeof text);
		snprintf(errbuf, errlen, "%s: POST token: HTTP %ld: %s", p->tag, r->status, text);
	} else {
		provider_fail(p, r, "POST token", errbuf, errlen);
	}
	json_decref(j);
}

int oauth_token_fetch(const struct provider *p, const char *url, const char *form, struct oauth_token *t,
		      char *errbuf, size_t errlen)
{
	const char *hdrs[] = { "Accept: application/json", NULL };
	struct http_response r;
	const char *code;
	int rc = -1;

	oauth_token_clear(t);
	if (provider_call(p, "POST", url, "application/x-www-form-urlencoded", form, hdrs, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 200) {
		rc = oauth_keep(p, &r, t, errbuf, errlen);
	} else if (oauth_refused(&r, &code)) {
		snprintf(errbuf, errlen, "%s: credentials refused by %s (%s): HTTP %ld%s%s", p->tag, p->name,
			 p->credentials ? p->credentials : "credentials", r.status, *code ? " " : "", code);
	} else {
		oauth_fail(p, &r, errbuf, errlen);
	}
	if (r.body)
		OPENSSL_cleanse(r.body, r.body_len);
	http_response_clear(&r);
	return rc;
}

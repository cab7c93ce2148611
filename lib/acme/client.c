/* ACME client basics: the directory, nonces, signed requests with badNonce retry, problems, polling. */
#include "acme_int.h"

#include "jws.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN 512
#define BADNONCE_RETRIES 10

static const char *const kind_names[] = { "ok", "net", "ca", "dns", "setup", "usage", "timeout", "internal",
					   "cancelled" };

const char *acme_err_name(enum acme_err k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "internal";
}

int acme_fail(struct acme_error *e, enum acme_err kind, const char *fmt, ...)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}

const char *acme_dir_url(const struct acme *a, const char *name)
{
	return json_string_value(json_object_get(a->directory, name));
}

json_t *acme_json_body(const struct http_response *resp, const char *what, struct acme_error *e)
{
	json_error_t jerr;
	json_t *o = resp->body ? json_loadb(resp->body, resp->body_len, 0, &jerr) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		acme_fail(e, ACME_ERR_NET, "%s: the CA's answer is not a JSON object", what);
		return NULL;
	}
	return o;
}

struct acme *acme_new(const struct acme_options *o, struct acme_error *e)
{
	struct acme *a = calloc(1, sizeof(*a));
	if (!a || !(a->directory_url = strdup(o->directory_url))) {
		free(a);
		acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	a->http = o->http;
	a->timeout_s = o->timeout_s > 0 ? o->timeout_s : 300;
	a->progress = o->progress;
	a->progress_ctx = o->progress_ctx;
	a->cancel = o->cancel;
	struct http_response r = { 0 };
	char err[ERRLEN];
	if (http_request(a->http, "GET", a->directory_url, NULL, NULL, 0, NULL, &r, err, sizeof(err)) < 0) {
		acme_fail(e, ACME_ERR_NET, "directory %s: %s", a->directory_url, err);
	} else if (r.status != 200) {
		acme_fail(e, ACME_ERR_NET, "directory %s: HTTP %ld", a->directory_url, r.status);
	} else if ((a->directory = acme_json_body(&r, "directory", e)) && !acme_dir_url(a, "newNonce")) {
		acme_fail(e, ACME_ERR_NET, "directory %s has no newNonce", a->directory_url);
	}
	http_response_clear(&r);
	if (!a->directory || !acme_dir_url(a, "newNonce")) {
		acme_free(a);
		return NULL;
	}
	return a;
}

void acme_free(struct acme *a)
{
	if (!a)
		return;
	json_decref(a->directory);
	free(a->directory_url);
	free(a->nonce);
	free(a->kid);
	free(a);
}

static json_t *dir_meta(const struct acme *a, const char *name)
{
	return json_object_get(json_object_get(a->directory, "meta"), name);
}

const char *acme_terms_of_service(const struct acme *a)
{
	return json_string_value(dir_meta(a, "termsOfService"));
}

bool acme_eab_required(const struct acme *a)
{
	return json_is_true(dir_meta(a, "externalAccountRequired"));
}

bool acme_has_ari(const struct acme *a)
{
	return acme_dir_url(a, "renewalInfo") != NULL;
}

bool acme_has_profile(const struct acme *a, const char *profile)
{
	return json_object_get(dir_meta(a, "profiles"), profile) != NULL;
}

/* Takes the cached nonce, or asks newNonce for one. Returns a malloc'd nonce or NULL with e set. */
static char *nonce_take(struct acme *a, struct acme_error *e)
{
	if (a->nonce) {
		char *n = a->nonce;
		a->nonce = NULL;
		return n;
	}
	struct http_response r = { 0 };
	char err[ERRLEN];
	const char *url = acme_dir_url(a, "newNonce");
	char *n = NULL;
	if (http_request(a->http, "HEAD", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)) < 0)
		acme_fail(e, ACME_ERR_NET, "newNonce %s: %s", url, err);
	else if (!r.nonce)
		acme_fail(e, ACME_ERR_NET, "newNonce %s: HTTP %ld without a Replay-Nonce", url, r.status);
	else
		n = strdup(r.nonce);
	http_response_clear(&r);
	return n;
}

/* Appends "; type: detail (identifier)" for each subproblem. */
static void problem_subproblems(json_t *subs, struct acme_error *e)
{
	size_t i;
	json_t *s;
	json_array_foreach(subs, i, s) {
		const char *id = json_string_value(json_object_get(json_object_get(s, "identifier"), "value"));
		const char *detail = json_string_value(json_object_get(s, "detail"));
		size_t used = strlen(e->detail);
		snprintf(e->detail + used, sizeof(e->detail) - used, "; %s: %s", id ? id : "?", detail ? detail : "");
		if (id && !e->identifier[0])
			snprintf(e->identifier, sizeof(e->identifier), "%s", id);
	}
}

/* Turns an error answer into e: the problem document when there is one (RFC 7807 / RFC 8555 section 6.7). */
static void problem_read(const struct http_response *r, const char *url, struct acme_error *e)
{
	json_t *p = r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	const char *id = json_string_value(json_object_get(json_object_get(p, "identifier"), "value"));
	acme_fail(e, r->status >= 500 && !type ? ACME_ERR_NET : ACME_ERR_CA, "%s%s%s (HTTP %ld from %s)",
		  detail ? detail : "the CA refused the request", type ? ": " : "", type ? type : "", r->status, url);
	e->status = (int)r->status;
	if (type)
		snprintf(e->type, sizeof(e->type), "%s", type);
	if (id)
		snprintf(e->identifier, sizeof(e->identifier), "%s", id);
	problem_subproblems(json_object_get(p, "subproblems"), e);
	json_decref(p);
}

static int post_once(struct acme *a, const char *url, const char *payload, EVP_PKEY *jwk_key, const char *accept,
		     struct http_response *resp, struct acme_error *e)
{
	char *nonce = nonce_take(a, e);
	if (!nonce)
		return -1;
	EVP_PKEY *key = jwk_key ? jwk_key : a->key;
	json_t *jws = key ? jws_sign(key, jwk_key ? NULL : a->kid, nonce, url, payload) : NULL;
	free(nonce);
	char *body = jws ? json_dumps(jws, JSON_COMPACT) : NULL;
	json_decref(jws);
	if (!body)
		return acme_fail(e, ACME_ERR_INTERNAL, "%s: cannot sign the request (no account key?)", url);
	char hdr[128];
	snprintf(hdr, sizeof(hdr), "Accept: %s", accept ? accept : "application/json");
	const char *headers[] = { hdr, NULL };
	char err[ERRLEN];
	int rc = http_request(a->http, "POST", url, "application/jose+json", body, strlen(body), headers, resp, err,
			      sizeof(err));
	free(body);
	if (rc < 0)
		return acme_fail(e, ACME_ERR_NET, "%s", err);
	free(a->nonce);
	a->nonce = resp->nonce ? strdup(resp->nonce) : NULL;
	return 0;
}

int acme_post(struct acme *a, const char *url, const char *payload, EVP_PKEY *jwk_key, const char *accept,
	      struct http_response *resp, struct acme_error *e)
{
	if (!url)
		return acme_fail(e, ACME_ERR_USAGE, "the CA's directory lacks a URL this request needs");
	for (int attempt = 0;; attempt++) {
		memset(resp, 0, sizeof(*resp));
		if (post_once(a, url, payload, jwk_key, accept, resp, e) < 0)
			return -1;
		if (resp->status < 400)
			return 0;
		problem_read(resp, url, e);
		bool bad_nonce = strcmp(e->type, "urn:ietf:params:acme:error:badNonce") == 0;
		http_response_clear(resp);
		/* Each retry carries the fresh nonce of the refusal; a few in a row are possible with a busy CA. */
		if (!bad_nonce || attempt >= BADNONCE_RETRIES)
			return -1;
		log_debug("acme: %s: badNonce, retrying with the fresh nonce", url);
	}
}

static bool status_waiting(const char *status, const char *const *waiting)
{
	for (; status && *waiting; waiting++)
		if (strcmp(status, *waiting) == 0)
			return true;
	return false;
}

/* Milliseconds to wait before the next poll: the CA's Retry-After within [1 s, 60 s]; without one, 200 ms doubling
 * up to 10 s, so a CA that is quick is not waited on for long and a slow one is not hammered. */
static long poll_delay_ms(long retry_after, int round)
{
	if (retry_after >= 0)
		return (retry_after < 1 ? 1 : retry_after > 60 ? 60 : retry_after) * 1000;
	long d = 200L << (round < 6 ? round : 6);
	return d > 10000 ? 10000 : d;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool acme_cancelled(const struct acme *a, struct acme_error *e)
{
	if (!a->cancel || !*a->cancel)
		return false;
	acme_fail(e, ACME_ERR_CANCELLED, "interrupted: stopped waiting on the CA");
	return true;
}

json_t *acme_poll(struct acme *a, const char *url, const char *stage, const char *const *waiting,
		  struct acme_error *e)
{
	long t0 = now_ms();
	for (int round = 0;; round++) {
		struct http_response r;
		if (acme_post(a, url, NULL, NULL, NULL, &r, e) < 0)
			return NULL;
		json_t *o = acme_json_body(&r, stage, e);
		long retry_after = r.retry_after;
		http_response_clear(&r);
		if (!o || !status_waiting(json_string_value(json_object_get(o, "status")), waiting))
			return o;
		json_decref(o);
		long elapsed = now_ms() - t0, delay = poll_delay_ms(retry_after, round);
		if (elapsed + delay > a->timeout_s * 1000L) {
			acme_fail(e, ACME_ERR_TIMEOUT, "%s: still not done after %ld s (%s)", stage, elapsed / 1000, url);
			return NULL;
		}
		if (a->progress)
			a->progress(a->progress_ctx, stage, (int)(elapsed / 1000), a->timeout_s);
		if (acme_cancelled(a, e))
			return NULL;
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };
		nanosleep(&ts, NULL);       /* a signal ends the sleep early; the next round sees the flag */
		if (acme_cancelled(a, e))
			return NULL;
	}
}

int acme_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int consumed = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &consumed) != 6)
		return -1;
	const char *p = s + consumed;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long offset = 0;
	int oh, om;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2) {
		offset = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
		p += 6;
	} else
		return -1;
	if (*p)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm) - offset;
	return 0;
}

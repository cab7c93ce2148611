/* The httpreq adapter: one POST to ENDPOINT/present per value, one to ENDPOINT/cleanup per value. */
#include "httpreq.h"

#include "log.h"
#include "provider.h"
#include "record_api.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HR_URL_MAX 2048
#define HR_SECRET_MAX 512
#define HR_BASIC "Authorization: Basic "

struct hr_priv {
	char *present_url, *cleanup_url;
	char *where;                    /* the endpoint as given */
	char *auth;                     /* HR_BASIC "..."; NULL without credentials; wiped on free */
	char *password;                 /* a copy, for the error texts to withhold; wiped on free */
	struct provider prov;
};

char *httpreq_body(const char *fqdn, const char *value)
{
	json_t *j = json_pack("{s:s, s:s}", "fqdn", fqdn, "value", value);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

char *httpreq_basic_auth(const char *user, const char *password)
{
	size_t ul = strlen(user), pl = strlen(password), n = ul + 1 + pl;
	size_t out = sizeof HR_BASIC + 4 * ((n + 2) / 3);
	unsigned char *plain = malloc(n + 1);
	char *h = malloc(out);

	if (!plain || !h) {
		free(plain);
		free(h);
		return NULL;
	}
	memcpy(plain, user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, password, pl);
	memcpy(h, HR_BASIC, sizeof HR_BASIC - 1);
	EVP_EncodeBlock((unsigned char *)h + sizeof HR_BASIC - 1, plain, (int)n);
	OPENSSL_cleanse(plain, n);
	free(plain);
	return h;
}

/* ---- present and clean-up ---- */

/* POSTs (fqdn, value) to url; what is "present" or "cleanup". Returns 0 for any 2xx, or -1 with errbuf set. */
static int hr_post(const struct hr_priv *p, const char *url, const char *what, const struct solver_record *rec,
		   char *errbuf, size_t errlen)
{
	const char *where = rec->target && *rec->target ? rec->target : rec->fqdn;
	const char *hdrs[] = { p->auth ? p->auth : "Accept: */*", NULL };
	char name[RAPI_NAME_MAX + 1], desc[RAPI_NAME_MAX + 32];
	struct http_response r;
	char *body;
	int rc = -1;

	if (!where || rapi_name(where, name, sizeof name - 1) != 0 || !rapi_txt_ok(rec->value)) {
		snprintf(errbuf, errlen, "httpreq: \"%s\" is not a name we can write a TXT record at, or its value is "
			 "not printable", where ? where : "(none)");
		return -1;
	}
	size_t len = strlen(name);      /* lego sends the name with its final dot; room was kept for it */
	name[len] = '.';
	name[len + 1] = '\0';
	snprintf(desc, sizeof desc, "%s %s", what, name);
	if (!(body = httpreq_body(name, rec->value))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (provider_call(&p->prov, "POST", url, "application/json", body, hdrs, &r, errbuf, errlen) == 0) {
		if (r.status >= 200 && r.status <= 299)
			rc = 0;
		else
			provider_fail(&p->prov, &r, desc, errbuf, errlen);
		http_response_clear(&r);
	}
	free(body);
	if (rc == 0)
		log_info("httpreq: %s TXT %s \"%s\": done", what, name, rec->value);
	return rc;
}

static int hr_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	const struct hr_priv *p = s->priv;

	for (size_t i = 0; i < n; i++) {
		if (s->cancel && *s->cancel) {
			snprintf(errbuf, errlen, "httpreq: interrupted");
			return -1;
		}
		if (hr_post(p, p->present_url, "present", &recs[i], errbuf, errlen) != 0)
			return -1;
	}
	return 0;
}

/* The endpoint keeps no ids: a clean-up after a killed run is the same request as any other. */
static int hr_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	const struct hr_priv *p = s->priv;
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		char err[1024] = "";
		if (hr_post(p, p->cleanup_url, "cleanup", &recs[i], err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	return first;
}

static void hr_priv_free(struct hr_priv *p)
{
	if (!p)
		return;
	rapi_secret_free(p->auth);
	rapi_secret_free(p->password);
	free(p->present_url);
	free(p->cleanup_url);
	free(p->where);
	free(p);
}

static void hr_destroy(struct solver *s)
{
	hr_priv_free(s->priv);
	free(s);
}

static const struct solver_ops hr_ops = {
	.name = "httpreq",
	.present = hr_present,
	.cleanup = hr_cleanup,
	.destroy = hr_destroy,
};

/* ---- options ---- */

static bool given(const char *s)
{
	return s && *s;
}

/* Whether the endpoint's host is this machine (a password may cross plain HTTP only there). */
static bool hr_loopback(const char *url)
{
	const char *h = strstr(url, "://") + 3;

	return strncmp(h, "127.", 4) == 0 || strncmp(h, "[::1]", 5) == 0 || strncasecmp(h, "localhost", 9) == 0;
}

/* Checks o; writes the endpoint's length without trailing slashes to *base. Never quotes the password. */
static int hr_options_check(const struct httpreq_options *o, size_t *base, char *errbuf, size_t errlen)
{
	if (!o || !o->http) {
		snprintf(errbuf, errlen, "httpreq: an HTTP client is required");
	} else if (!given(o->endpoint)) {
		snprintf(errbuf, errlen, "httpreq: the endpoint is missing (HTTPREQ_ENDPOINT)");
	} else if (!(*base = rapi_base_url(o->endpoint, HR_URL_MAX - 64))) {
		snprintf(errbuf, errlen, "httpreq: the endpoint must be http:// or https:// with a host, without "
			 "credentials (use HTTPREQ_USERNAME and HTTPREQ_PASSWORD), query or spaces");
	} else if (given(o->mode) && strcasecmp(o->mode, "default") != 0) {
		snprintf(errbuf, errlen, "httpreq: HTTPREQ_MODE=%s is not supported: lego's RAW mode sends the key "
			 "authorization, and solvers get only the TXT value; unset it for the {\"fqdn\",\"value\"} "
			 "requests", strcasecmp(o->mode, "RAW") == 0 ? "RAW" : "(unknown)");
	} else if (given(o->username) != given(o->password)) {
		snprintf(errbuf, errlen, "httpreq: HTTPREQ_USERNAME and HTTPREQ_PASSWORD go together");
	} else if (given(o->username) && (strchr(o->username, ':') || !rapi_token_ok(o->username, HR_SECRET_MAX))) {
		snprintf(errbuf, errlen, "httpreq: the user name must be printable ASCII without spaces or ':'");
	} else if (given(o->password) && strlen(o->password) > HR_SECRET_MAX) {
		snprintf(errbuf, errlen, "httpreq: the password is longer than %d bytes", HR_SECRET_MAX);
	} else {
		return 0;
	}
	return -1;
}

static char *hr_url(const char *endpoint, size_t base, const char *path)
{
	size_t len = base + strlen(path) + 1;
	char *u = malloc(len);

	if (u)
		snprintf(u, len, "%.*s%s", (int)base, endpoint, path);
	return u;
}

struct solver *solver_httpreq_new(const struct httpreq_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct hr_priv *p;
	size_t base = 0;
	bool auth;

	if (hr_options_check(o, &base, errbuf, errlen) != 0)
		return NULL;
	auth = given(o->username);
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (s && p) {
		p->present_url = hr_url(o->endpoint, base, "/present");
		p->cleanup_url = hr_url(o->endpoint, base, "/cleanup");
		p->where = strdup(o->endpoint);
		p->auth = auth ? httpreq_basic_auth(o->username, o->password) : NULL;
		p->password = auth ? strdup(o->password) : NULL;
	}
	if (!s || !p || !p->present_url || !p->cleanup_url || !p->where || (auth && (!p->auth || !p->password))) {
		snprintf(errbuf, errlen, "out of memory");
		hr_priv_free(p);
		free(s);
		return NULL;
	}
	if (auth && strncmp(o->endpoint, "http://", 7) == 0 && !hr_loopback(o->endpoint))
		log_warn("httpreq: the password goes to %s over plain HTTP", p->where);
	/* The encoded pair is what could show up in a quoted answer: it is the secret the error texts withhold, and
	 * the password itself too. */
	p->prov = (struct provider){ .name = "the httpreq endpoint", .tag = "httpreq",
				     .credentials = auth ? "HTTPREQ_USERNAME and HTTPREQ_PASSWORD" : "none given",
				     .http = o->http, .solver = s,
				     .secrets = { auth ? p->auth + strlen(HR_BASIC) : NULL, p->password } };
	s->ops = &hr_ops;
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
}

/* The Cloudflare adapter: zones looked up by name, one POST per value, one DELETE per record we created. */
#include "cloudflare.h"

#include "log.h"
#include "provider.h"
#include "record_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CF_URL_MAX 2048
#define CF_SECRET_MAX 1024
#define CF_PAGES_MAX 200                /* pages of one listing; 50 zones or 100 records each */
#define CF_DEFAULT_TTL 120              /* lego's */
#define CF_MIN_TTL 60                   /* Cloudflare's (30 on Enterprise); 1 means "automatic" (300 s) */
#define CF_BEARER "Authorization: Bearer "
#define CF_KEY "X-Auth-Key: "

/* The headers of one kind of call: "Authorization: Bearer TOKEN", or X-Auth-Email + X-Auth-Key. */
struct cf_auth {
	char *hdr[2];                   /* the second is NULL for a token */
	struct provider prov;           /* its secrets point into hdr */
};

struct cf_priv {
	char *base;                     /* the API root without trailing slashes */
	char *where;                    /* as given, for people and the journal */
	struct cf_auth dns;             /* record calls */
	struct cf_auth zone;            /* zone lookups: the zone token when one is given, else as dns */
	struct rapi *rapi;
	uint32_t ttl;
};

/* ---- documents ---- */

static bool codes_have(const json_t *errors, long code, int depth)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e) {
		if (json_integer_value(json_object_get(e, "code")) == code)
			return true;
		if (depth < 4 && codes_have(json_object_get(e, "error_chain"), code, depth + 1))
			return true;
	}
	return false;
}

bool cloudflare_has_code(const json_t *doc, long code)
{
	return codes_have(json_object_get(doc, "errors"), code, 0);
}

bool cloudflare_auth_refused(const json_t *doc)
{
	static const long codes[] = { 6003, 6100, 6101, 6102, 6103, 6104, 6105, 6106, 6107, 6108, 6109, 6110, 6111,
				      9103, 9106, 9107, 9109, 10000, 10001 };

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (cloudflare_has_code(doc, codes[i]))
			return true;
	return false;
}

char *cloudflare_record_body(const char *name, const char *value, uint32_t ttl)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "type", "TXT", "name", name, "content", value, "ttl",
			      (json_int_t)ttl);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

int cloudflare_zone_pick(const json_t *zones, const char *name, char *id, size_t idlen, char *why, size_t whylen)
{
	const char *found = NULL, *other = NULL;
	size_t i, active = 0;
	json_t *z;

	snprintf(why, whylen, "%s", "");
	json_array_foreach(zones, i, z) {
		const char *n = json_string_value(json_object_get(z, "name"));
		const char *st = json_string_value(json_object_get(z, "status"));
		const char *zid = json_string_value(json_object_get(z, "id"));
		if (!n || !zid || strcasecmp(n, name) != 0)
			continue;               /* the name filter is exact; anything else is not ours to use */
		if (st && strcmp(st, "active") == 0) {
			found = zid;
			active++;
		} else {
			other = st ? st : "unknown";
		}
	}
	if (active > 1) {
		snprintf(why, whylen, "Cloudflare lists %zu active zones named %s", active, name);
		return -1;
	}
	if (!found && other)
		snprintf(why, whylen, "zone %s is at Cloudflare but not active (status %s): nobody serves its records",
			 name, other);
	if (!found || !rapi_id_ok(found))
		return 0;
	snprintf(id, idlen, "%s", found);
	return 1;
}

/* The document of a 2xx answer whose "success" is true, else NULL. */
static json_t *cf_success(const struct http_response *r)
{
	json_t *doc;

	if (r->status < 200 || r->status > 299 || !(doc = json_loadb(r->body, r->body_len, 0, NULL)))
		return NULL;
	if (json_is_true(json_object_get(doc, "success")))
		return doc;
	json_decref(doc);
	return NULL;
}

/* ---- calls ---- */

static int cf_call(const struct cf_auth *a, const char *method, const char *url, const char *body,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	const char *hdrs[4] = { a->hdr[0] };
	size_t k = 1;

	if (a->hdr[1])
		hdrs[k++] = a->hdr[1];
	hdrs[k] = "Accept: application/json";

	return provider_call(&a->prov, method, url, body ? "application/json" : NULL, body, hdrs, r, errbuf, errlen);
}

/* The error of an answer that is not what was asked for: refused credentials (401, 403, or Cloudflare's codes for
 * them, which come with 400), else Cloudflare's message and code. */
static void cf_fail(const struct cf_auth *a, const struct http_response *r, const char *what, char *errbuf,
		    size_t errlen)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	json_int_t code = json_integer_value(json_object_get(json_array_get(json_object_get(doc, "errors"), 0), "code"));
	char text[256];

	provider_error_text(&a->prov, r, text, sizeof text);
	if (r->status == 401 || r->status == 403 || cloudflare_auth_refused(doc))
		snprintf(errbuf, errlen, "cloudflare: credentials refused by Cloudflare (%s): HTTP %ld: %s",
			 a->prov.credentials, r->status, text);
	else if (code)
		snprintf(errbuf, errlen, "cloudflare: %s: HTTP %ld: %s (code %lld)", what, r->status, text,
			 (long long)code);
	else
		snprintf(errbuf, errlen, "cloudflare: %s: HTTP %ld: %s", what, r->status, text);
	json_decref(doc);
}

/* GETs one page of a listing: appends its "result" entries to into and sets *pages from result_info. */
static int cf_page(const struct cf_auth *a, const char *url, const char *what, json_t *into, long *pages,
		   char *errbuf, size_t errlen)
{
	struct http_response r;
	json_t *doc;
	int rc = -1;

	if (cf_call(a, "GET", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (!(doc = cf_success(&r))) {
		cf_fail(a, &r, what, errbuf, errlen);
	} else if (!json_is_array(json_object_get(doc, "result"))) {
		snprintf(errbuf, errlen, "cloudflare: %s: the answer has no result list", what);
	} else {
		json_int_t tp = json_integer_value(json_object_get(json_object_get(doc, "result_info"), "total_pages"));
		*pages = tp > CF_PAGES_MAX ? -1 : (long)tp;
		if (*pages < 0)
			snprintf(errbuf, errlen, "cloudflare: %s: more than %d pages", what, CF_PAGES_MAX);
		else if (json_array_extend(into, json_object_get(doc, "result")) == 0)
			rc = 0;
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

/* Every entry of a listing (url_pre ends with "page="). Returns a new array, or NULL with errbuf set. */
static json_t *cf_list(const struct cf_auth *a, const char *url_pre, const char *what, char *errbuf, size_t errlen)
{
	json_t *all = json_array();
	long pages = 1;

	for (long page = 1; all && page <= pages; page++) {
		char url[CF_URL_MAX];
		snprintf(url, sizeof url, "%s%ld", url_pre, page);
		if (cf_page(a, url, what, all, &pages, errbuf, errlen) != 0) {
			json_decref(all);
			return NULL;
		}
	}
	if (!all)
		snprintf(errbuf, errlen, "out of memory");
	return all;
}

static int cf_zone_get(void *ctx, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen)
{
	struct cf_priv *p = ctx;
	char pre[CF_URL_MAX], what[RAPI_NAME_MAX + 32], why[512];
	json_t *zones;
	int rc;

	snprintf(pre, sizeof pre, "%s/zones?name=%s&per_page=50&page=", p->base, name);
	snprintf(what, sizeof what, "GET zones named %s", name);
	if (!(zones = cf_list(&p->zone, pre, what, errbuf, errlen)))
		return -1;
	rc = cloudflare_zone_pick(zones, name, z->id, sizeof z->id, why, sizeof why);
	json_decref(zones);
	if (rc < 0)
		snprintf(errbuf, errlen, "cloudflare: %s", why);
	else if (why[0])
		log_warn("cloudflare: %s", why);
	if (rc == 1)
		snprintf(z->name, sizeof z->name, "%s", name);
	return rc;
}

/* What a POST of a record was answered: 0 with id set ("" when an identical record is there already), or -1. */
static int cf_created(const struct cf_auth *a, const struct http_response *r, const char *what, char *id,
		      size_t idlen, char *errbuf, size_t errlen)
{
	json_t *doc = cf_success(r);
	const char *rid = json_string_value(json_object_get(json_object_get(doc, "result"), "id"));
	int rc = -1;

	if (doc && rid && rapi_id_ok(rid)) {
		snprintf(id, idlen, "%s", rid);
		rc = 0;
	} else if (doc) {
		snprintf(errbuf, errlen, "cloudflare: %s: the answer has no record id", what);
	} else if ((doc = json_loadb(r->body, r->body_len, 0, NULL)) &&
		   (cloudflare_has_code(doc, 81058) || cloudflare_has_code(doc, 81057))) {
		id[0] = '\0';           /* "An identical record already exists.": the value is in place */
		rc = 0;
	} else {
		cf_fail(a, r, what, errbuf, errlen);
	}
	json_decref(doc);
	return rc;
}

static int cf_create(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char *id,
		     size_t idlen, char *errbuf, size_t errlen)
{
	struct cf_priv *p = ctx;
	char url[CF_URL_MAX], what[RAPI_NAME_MAX + 64];
	char *body = cloudflare_record_body(name, value, p->ttl);
	struct http_response r;
	int rc;

	if (!body) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof url, "%s/zones/%s/dns_records", p->base, z->id);
	snprintf(what, sizeof what, "POST TXT %s in zone %s", name, z->name);
	rc = cf_call(&p->dns, "POST", url, body, &r, errbuf, errlen);
	free(body);
	if (rc != 0)
		return -1;
	rc = cf_created(&p->dns, &r, what, id, idlen, errbuf, errlen);
	http_response_clear(&r);
	return rc;
}

static int cf_remove(void *ctx, const struct rapi_zone *z, const char *id, char *errbuf, size_t errlen)
{
	struct cf_priv *p = ctx;
	char url[CF_URL_MAX], what[RAPI_NAME_MAX + RAPI_ID_MAX + 64];
	struct http_response r;
	json_t *doc = NULL;
	int rc = -1;

	snprintf(url, sizeof url, "%s/zones/%s/dns_records/%s", p->base, z->id, id);
	snprintf(what, sizeof what, "DELETE record %s of zone %s", id, z->name);
	if (cf_call(&p->dns, "DELETE", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if ((doc = cf_success(&r))) {
		rc = 0;
	} else if (r.status == 404) {
		log_info("cloudflare: zone %s has no record %s any more", z->name, id);
		rc = 0;
	} else {
		cf_fail(&p->dns, &r, what, errbuf, errlen);
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

static int cf_find(void *ctx, const struct rapi_zone *z, const char *name, const char *value,
		   char (*ids)[RAPI_ID_MAX], size_t max, size_t *n, char *errbuf, size_t errlen)
{
	struct cf_priv *p = ctx;
	char pre[CF_URL_MAX], what[RAPI_NAME_MAX * 2 + 64];
	json_t *all, *rec;
	size_t i;

	/* Filtered by type and name only: whether Cloudflare matches content= against a quoted or a bare value is not
	 * documented, so the content is compared here, in both forms. */
	snprintf(pre, sizeof pre, "%s/zones/%s/dns_records?type=TXT&name=%s&per_page=100&page=", p->base, z->id,
		 name);
	snprintf(what, sizeof what, "GET TXT records %s of zone %s", name, z->name);
	if (!(all = cf_list(&p->dns, pre, what, errbuf, errlen)))
		return -1;
	*n = 0;
	json_array_foreach(all, i, rec) {
		const char *t = json_string_value(json_object_get(rec, "type"));
		const char *nm = json_string_value(json_object_get(rec, "name"));
		const char *rid = json_string_value(json_object_get(rec, "id"));
		if (*n < max && t && strcmp(t, "TXT") == 0 && nm && strcasecmp(nm, name) == 0 && rapi_id_ok(rid) &&
		    rapi_txt_is(json_string_value(json_object_get(rec, "content")), value))
			snprintf(ids[(*n)++], RAPI_ID_MAX, "%s", rid);
	}
	json_decref(all);
	return 0;
}

static const struct rapi_ops cf_rapi_ops = {
	.zone_get = cf_zone_get,
	.create = cf_create,
	.remove = cf_remove,
	.find = cf_find,
};

/* ---- the solver ---- */

static int cf_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_present(((struct cf_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static int cf_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_cleanup(((struct cf_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static void cf_priv_free(struct cf_priv *p)
{
	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		rapi_secret_free(p->dns.hdr[i]);
		rapi_secret_free(p->zone.hdr[i]);
	}
	rapi_free(p->rapi);
	free(p->base);
	free(p->where);
	free(p);
}

static void cf_destroy(struct solver *s)
{
	cf_priv_free(s->priv);
	free(s);
}

static const struct solver_ops cf_ops = {
	.name = "cloudflare",
	.present = cf_present,
	.cleanup = cf_cleanup,
	.destroy = cf_destroy,
};

/* ---- options ---- */

static bool given(const char *s)
{
	return s && *s;
}

/* Checks o; writes the base URL's length to *base. Never quotes a secret. */
static int cf_options_check(const struct cloudflare_options *o, size_t *base, char *errbuf, size_t errlen)
{
	const char *url = o && given(o->base_url) ? o->base_url : CLOUDFLARE_BASE_URL;
	bool key = o && (given(o->email) || given(o->api_key));

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "cloudflare: an HTTP client is required");
	} else if (!(*base = rapi_base_url(url, CF_URL_MAX - 512))) {
		snprintf(errbuf, errlen, "cloudflare: the base URL must be http:// or https:// with a host, without "
			 "credentials, query or spaces");
	} else if (key && !(given(o->email) && given(o->api_key))) {
		snprintf(errbuf, errlen, "cloudflare: CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY go together");
	} else if (!key && !given(o->dns_api_token)) {
		snprintf(errbuf, errlen, "cloudflare: no credentials: set CLOUDFLARE_DNS_API_TOKEN (or "
			 "CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY)");
	} else if (!key && given(o->zone_api_token) && !rapi_token_ok(o->zone_api_token, CF_SECRET_MAX)) {
		snprintf(errbuf, errlen, "cloudflare: the zone API token must be printable ASCII without spaces");
	} else if (!key && !rapi_token_ok(o->dns_api_token, CF_SECRET_MAX)) {
		snprintf(errbuf, errlen, "cloudflare: the DNS API token must be printable ASCII without spaces");
	} else if (key && (!rapi_token_ok(o->email, 254) || !rapi_token_ok(o->api_key, CF_SECRET_MAX))) {
		snprintf(errbuf, errlen, "cloudflare: the e-mail address and the API key must be printable ASCII "
			 "without spaces");
	} else if (o->ttl && o->ttl != 1 && (o->ttl < CF_MIN_TTL || o->ttl > 86400)) {
		snprintf(errbuf, errlen, "cloudflare: the TTL must be 1 (automatic) or %d to 86400", CF_MIN_TTL);
	} else {
		return 0;
	}
	return -1;
}

/* Fills a with the headers of a token, or (token NULL) of the e-mail address and global key. */
static int cf_auth_make(struct cf_auth *a, const struct cloudflare_options *o, const char *token,
			const char *credentials, struct solver *s)
{
	a->prov = (struct provider){ .name = "Cloudflare", .tag = "cloudflare", .credentials = credentials,
				     .http = o->http, .solver = s };
	if (token) {
		a->hdr[0] = malloc(sizeof CF_BEARER + strlen(token));
		if (a->hdr[0])
			snprintf(a->hdr[0], sizeof CF_BEARER + strlen(token), CF_BEARER "%s", token);
		a->prov.secrets[0] = a->hdr[0] ? a->hdr[0] + strlen(CF_BEARER) : NULL;
		return a->hdr[0] ? 0 : -1;
	}
	a->hdr[0] = rapi_header("X-Auth-Email", o->email);
	a->hdr[1] = rapi_header("X-Auth-Key", o->api_key);
	a->prov.secrets[0] = a->hdr[1] ? a->hdr[1] + strlen(CF_KEY) : NULL;
	return a->hdr[0] && a->hdr[1] ? 0 : -1;
}

struct solver *solver_cloudflare_new(const struct cloudflare_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct cf_priv *p;
	size_t base = 0;
	bool key;
	int rc = 0;

	if (cf_options_check(o, &base, errbuf, errlen) != 0)
		return NULL;
	key = given(o->email) && given(o->api_key);
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (s && p) {
		const char *url = given(o->base_url) ? o->base_url : CLOUDFLARE_BASE_URL;
		p->base = strndup(url, base);
		p->where = strdup(url);
		if (key) {
			rc = cf_auth_make(&p->dns, o, NULL, "e-mail and API key", s);
			rc |= cf_auth_make(&p->zone, o, NULL, "e-mail and API key", s);
		} else {
			bool zt = given(o->zone_api_token);
			rc = cf_auth_make(&p->dns, o, o->dns_api_token, "DNS API token", s);
			rc |= cf_auth_make(&p->zone, o, zt ? o->zone_api_token : o->dns_api_token,
					   zt ? "zone API token" : "DNS API token", s);
		}
		p->rapi = rapi_new("cloudflare", "Cloudflare", &cf_rapi_ops, p);
	}
	if (!s || !p || rc != 0 || !p->base || !p->where || !p->rapi) {
		snprintf(errbuf, errlen, "out of memory");
		cf_priv_free(p);
		free(s);
		return NULL;
	}
	rapi_set_solver(p->rapi, s);
	p->ttl = o->ttl ? o->ttl : CF_DEFAULT_TTL;
	s->ops = &cf_ops;
	/* 1,200 requests per 5 minutes per user; a record costs one request (zones are looked up once per run) */
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .requests_per_minute = 240,
					.requests_per_record = 1, .min_ttl = CF_MIN_TTL, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
}

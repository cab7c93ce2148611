/* The Hetzner DNS adapter: zones looked up by name, one POST per value, one DELETE per record we created. */
#include "hetzner.h"

#include "log.h"
#include "provider.h"
#include "record_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HZ_URL_MAX 2048
#define HZ_KEY_MAX 1024
#define HZ_PAGES_MAX 200                /* pages of one listing, 100 entries each */
#define HZ_DEFAULT_TTL 60               /* lego's */
#define HZ_MIN_TTL 60
#define HZ_KEY_HDR "Auth-API-Token: "

struct hz_priv {
	char *base;                     /* the API root without trailing slashes */
	char *where;                    /* as given, for people and the journal */
	char *auth;                     /* HZ_KEY_HDR "<key>"; wiped on free */
	struct provider prov;
	struct rapi *rapi;
	uint32_t ttl;
};

/* ---- documents ---- */

char *hetzner_record_body(const char *zone_id, const char *relname, const char *value, uint32_t ttl)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "zone_id", zone_id, "type", "TXT", "name", relname,
			      "value", value, "ttl", (json_int_t)ttl);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

long hetzner_last_page(const json_t *doc)
{
	json_t *lp = json_object_get(json_object_get(json_object_get(doc, "meta"), "pagination"), "last_page");

	return json_is_integer(lp) && json_integer_value(lp) > 1 ? (long)json_integer_value(lp) : 1;
}

/* ---- calls ---- */

static int hz_call(const struct hz_priv *p, const char *method, const char *url, const char *body,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	const char *hdrs[] = { p->auth, "Accept: application/json", NULL };

	return provider_call(&p->prov, method, url, body ? "application/json" : NULL, body, hdrs, r, errbuf, errlen);
}

static json_t *hz_doc(const struct http_response *r)
{
	return r->status == 200 ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

/* GETs one page of a listing: appends the entries of its key list to into and sets *last. A 404 is an empty
 * listing when none404 (Hetzner answers "zone not found" so to a name filter that matches nothing). */
static int hz_page(const struct hz_priv *p, const char *url, const char *key, bool none404, const char *what,
		   json_t *into, long *last, char *errbuf, size_t errlen)
{
	struct http_response r;
	json_t *doc;
	int rc = -1;

	if (hz_call(p, "GET", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 404 && none404) {
		*last = 1;
		rc = 0;
	} else if (!(doc = hz_doc(&r))) {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	} else {
		if (!json_is_array(json_object_get(doc, key)))
			snprintf(errbuf, errlen, "hetzner: %s: the answer has no %s list", what, key);
		else if (json_array_extend(into, json_object_get(doc, key)) != 0)
			snprintf(errbuf, errlen, "out of memory");
		else
			rc = 0;
		*last = hetzner_last_page(doc);
		json_decref(doc);
	}
	http_response_clear(&r);
	return rc;
}

/* Every entry of the key list of a listing (url_pre ends with "page="), pages 1 to meta.pagination.last_page.
 * Returns a new array, or NULL with errbuf set. */
static json_t *hz_list(const struct hz_priv *p, const char *url_pre, const char *key, bool none404,
		       const char *what, char *errbuf, size_t errlen)
{
	json_t *all = json_array();
	long last = 1;

	for (long page = 1; all && page <= last; page++) {
		char url[HZ_URL_MAX];
		snprintf(url, sizeof url, "%s%ld", url_pre, page);
		if (hz_page(p, url, key, none404, what, all, &last, errbuf, errlen) != 0 || last > HZ_PAGES_MAX) {
			if (last > HZ_PAGES_MAX)
				snprintf(errbuf, errlen, "hetzner: %s: more than %d pages", what, HZ_PAGES_MAX);
			json_decref(all);
			return NULL;
		}
	}
	if (!all)
		snprintf(errbuf, errlen, "out of memory");
	return all;
}

/* ---- the record calls ---- */

static int hz_zone_get(void *ctx, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen)
{
	struct hz_priv *p = ctx;
	char pre[HZ_URL_MAX], what[RAPI_NAME_MAX + 32];
	json_t *zones, *zj;
	size_t i;
	int rc = 0;

	snprintf(pre, sizeof pre, "%s/zones?name=%s&per_page=100&page=", p->base, name);
	snprintf(what, sizeof what, "GET zones named %s", name);
	if (!(zones = hz_list(p, pre, "zones", true, what, errbuf, errlen)))
		return -1;
	json_array_foreach(zones, i, zj) {
		const char *n = json_string_value(json_object_get(zj, "name"));
		const char *id = json_string_value(json_object_get(zj, "id"));
		if (n && strcasecmp(n, name) == 0 && rapi_id_ok(id)) {
			snprintf(z->name, sizeof z->name, "%s", name);
			snprintf(z->id, sizeof z->id, "%s", id);
			rc = 1;
			break;
		}
	}
	json_decref(zones);
	return rc;
}

static int hz_create(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char *id,
		     size_t idlen, char *errbuf, size_t errlen)
{
	struct hz_priv *p = ctx;
	char url[HZ_URL_MAX], what[RAPI_NAME_MAX * 2 + 32], rel[RAPI_NAME_MAX];
	struct http_response r;
	char *body;
	json_t *doc;
	int rc;

	if (rapi_relative(name, z->name, rel, sizeof rel) != 0 ||
	    !(body = hetzner_record_body(z->id, rel, value, p->ttl))) {
		snprintf(errbuf, errlen, "hetzner: %s is not in zone %s, or out of memory", name, z->name);
		return -1;
	}
	snprintf(url, sizeof url, "%s/records", p->base);
	snprintf(what, sizeof what, "POST TXT %s in zone %s", name, z->name);
	rc = hz_call(p, "POST", url, body, &r, errbuf, errlen);
	free(body);
	if (rc != 0)
		return -1;
	rc = -1;
	if ((doc = hz_doc(&r))) {
		const char *rid = json_string_value(json_object_get(json_object_get(doc, "record"), "id"));
		if (rid && rapi_id_ok(rid)) {
			snprintf(id, idlen, "%s", rid);
			rc = 0;
		} else {
			snprintf(errbuf, errlen, "hetzner: %s: the answer has no record id", what);
		}
	} else {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

static int hz_remove(void *ctx, const struct rapi_zone *z, const char *id, char *errbuf, size_t errlen)
{
	struct hz_priv *p = ctx;
	char url[HZ_URL_MAX], what[RAPI_NAME_MAX + RAPI_ID_MAX + 32];
	struct http_response r;
	int rc = -1;

	snprintf(url, sizeof url, "%s/records/%s", p->base, id);
	snprintf(what, sizeof what, "DELETE record %s of zone %s", id, z->name);
	if (hz_call(p, "DELETE", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 200 || r.status == 204) {
		rc = 0;
	} else if (r.status == 404) {
		log_info("hetzner: zone %s has no record %s any more", z->name, id);
		rc = 0;
	} else {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	}
	http_response_clear(&r);
	return rc;
}

static int hz_find(void *ctx, const struct rapi_zone *z, const char *name, const char *value,
		   char (*ids)[RAPI_ID_MAX], size_t max, size_t *n, char *errbuf, size_t errlen)
{
	struct hz_priv *p = ctx;
	char pre[HZ_URL_MAX], what[RAPI_NAME_MAX + 32], rel[RAPI_NAME_MAX];
	json_t *all, *rec;
	size_t i;

	if (rapi_relative(name, z->name, rel, sizeof rel) != 0) {
		snprintf(errbuf, errlen, "hetzner: %s is not in zone %s", name, z->name);
		return -1;
	}
	/* The API filters records by zone only: every page of the zone is read and the name compared here. */
	snprintf(pre, sizeof pre, "%s/records?zone_id=%s&per_page=100&page=", p->base, z->id);
	snprintf(what, sizeof what, "GET records of zone %s", z->name);
	if (!(all = hz_list(p, pre, "records", false, what, errbuf, errlen)))
		return -1;
	*n = 0;
	json_array_foreach(all, i, rec) {
		const char *t = json_string_value(json_object_get(rec, "type"));
		const char *nm = json_string_value(json_object_get(rec, "name"));
		const char *rid = json_string_value(json_object_get(rec, "id"));
		if (*n < max && t && strcmp(t, "TXT") == 0 && nm && strcasecmp(nm, rel) == 0 && rapi_id_ok(rid) &&
		    rapi_txt_is(json_string_value(json_object_get(rec, "value")), value))
			snprintf(ids[(*n)++], RAPI_ID_MAX, "%s", rid);
	}
	json_decref(all);
	return 0;
}

static const struct rapi_ops hz_rapi_ops = {
	.zone_get = hz_zone_get,
	.create = hz_create,
	.remove = hz_remove,
	.find = hz_find,
};

/* ---- the solver ---- */

static int hz_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_present(((struct hz_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static int hz_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_cleanup(((struct hz_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static void hz_priv_free(struct hz_priv *p)
{
	if (!p)
		return;
	rapi_secret_free(p->auth);
	rapi_free(p->rapi);
	free(p->base);
	free(p->where);
	free(p);
}

static void hz_destroy(struct solver *s)
{
	hz_priv_free(s->priv);
	free(s);
}

static const struct solver_ops hz_ops = {
	.name = "hetzner",
	.present = hz_present,
	.cleanup = hz_cleanup,
	.destroy = hz_destroy,
};

/* Checks o; writes the base URL's length to *base. Never quotes the key. */
static int hz_options_check(const struct hetzner_options *o, size_t *base, char *errbuf, size_t errlen)
{
	const char *url = o && o->base_url && *o->base_url ? o->base_url : HETZNER_BASE_URL;

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "hetzner: an HTTP client is required");
	} else if (!(*base = rapi_base_url(url, HZ_URL_MAX - 512))) {
		snprintf(errbuf, errlen, "hetzner: the base URL must be http:// or https:// with a host, without "
			 "credentials, query or spaces");
	} else if (!o->api_key || !*o->api_key) {
		snprintf(errbuf, errlen, "hetzner: the API key is missing (HETZNER_API_KEY)");
	} else if (!rapi_token_ok(o->api_key, HZ_KEY_MAX)) {
		snprintf(errbuf, errlen, "hetzner: the API key must be printable ASCII without spaces");
	} else if (o->ttl && (o->ttl < HZ_MIN_TTL || o->ttl > 86400)) {
		snprintf(errbuf, errlen, "hetzner: the TTL must be %d to 86400", HZ_MIN_TTL);
	} else {
		return 0;
	}
	return -1;
}

struct solver *solver_hetzner_new(const struct hetzner_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct hz_priv *p;
	size_t base = 0;

	if (hz_options_check(o, &base, errbuf, errlen) != 0)
		return NULL;
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (s && p) {
		const char *url = o->base_url && *o->base_url ? o->base_url : HETZNER_BASE_URL;
		p->base = strndup(url, base);
		p->where = strdup(url);
		p->auth = rapi_header("Auth-API-Token", o->api_key);
		p->rapi = rapi_new("hetzner", "Hetzner", &hz_rapi_ops, p);
	}
	if (!s || !p || !p->base || !p->where || !p->auth || !p->rapi) {
		snprintf(errbuf, errlen, "out of memory");
		hz_priv_free(p);
		free(s);
		return NULL;
	}
	p->prov = (struct provider){ .name = "Hetzner", .tag = "hetzner", .credentials = "HETZNER_API_KEY",
				     .http = o->http, .solver = s, .secrets = { p->auth + strlen(HZ_KEY_HDR) } };
	rapi_set_solver(p->rapi, s);
	p->ttl = o->ttl ? o->ttl : HZ_DEFAULT_TTL;
	s->ops = &hz_ops;
	/* Hetzner publishes no fixed budget (its answers announce per-second, -minute and -hour quotas in
	 * X-RateLimit-* headers); one request a second keeps well inside what accounts are given */
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .requests_per_minute = 60,
					.requests_per_record = 1, .min_ttl = HZ_MIN_TTL, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
}

/* The DigitalOcean adapter: the account's domains read once, one POST per value, one DELETE per record we created. */
#include "digitalocean.h"

#include "log.h"
#include "provider.h"
#include "record_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DO_URL_MAX 2048
#define DO_TOKEN_MAX 1024
#define DO_PAGES_MAX 200                /* pages of one listing, 200 entries each */
#define DO_DEFAULT_TTL 30               /* lego's, and DigitalOcean's minimum */
#define DO_MIN_TTL 30
#define DO_BEARER "Authorization: Bearer "

struct do_priv {
	char *base;                     /* the API root without trailing slashes */
	char *where;                    /* as given, for people and the journal */
	char *auth;                     /* DO_BEARER "<token>"; wiped on free */
	struct provider prov;
	struct rapi *rapi;
	json_t *domains;                /* the account's domain names, read on first use */
	uint32_t ttl;
};

/* ---- documents ---- */

char *digitalocean_record_body(const char *relname, const char *value, uint32_t ttl)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "type", "TXT", "name", relname, "data", value, "ttl",
			      (json_int_t)ttl);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

long digitalocean_next_page(const json_t *doc)
{
	return rapi_page_of(json_string_value(json_object_get(json_object_get(json_object_get(doc, "links"), "pages"),
							       "next")));
}

/* ---- calls ---- */

static int do_call(const struct do_priv *p, const char *method, const char *url, const char *body,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	const char *hdrs[] = { p->auth, "Accept: application/json", NULL };

	return provider_call(&p->prov, method, url, body ? "application/json" : NULL, body, hdrs, r, errbuf, errlen);
}

/* The document of an answer with status want, or NULL. */
static json_t *do_doc(const struct http_response *r, long want)
{
	return r->status == want ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

/* GETs one page of a listing: appends the entries of its key list to into and sets *next (0: the last page). */
static int do_page(const struct do_priv *p, const char *url, const char *key, const char *what, json_t *into,
		   long *next, char *errbuf, size_t errlen)
{
	struct http_response r;
	json_t *doc;
	int rc = -1;

	if (do_call(p, "GET", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (!(doc = do_doc(&r, 200))) {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	} else if (!json_is_array(json_object_get(doc, key))) {
		snprintf(errbuf, errlen, "digitalocean: %s: the answer has no %s list", what, key);
	} else if (json_array_extend(into, json_object_get(doc, key)) != 0) {
		snprintf(errbuf, errlen, "out of memory");
	} else {
		*next = digitalocean_next_page(doc);
		rc = 0;
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

/* Every entry of the key list of a listing (url_pre ends with "page="). The page after each is the page= of
 * its links.pages.next, asked of our own base URL. Returns a new array, or NULL with errbuf set. */
static json_t *do_list(const struct do_priv *p, const char *url_pre, const char *key, const char *what,
		       char *errbuf, size_t errlen)
{
	json_t *all = json_array();
	long page = 1;

	for (int n = 0; all && page > 0; n++) {
		char url[DO_URL_MAX];
		long next = 0;
		if (n == DO_PAGES_MAX) {
			snprintf(errbuf, errlen, "digitalocean: %s: more than %d pages", what, DO_PAGES_MAX);
			json_decref(all);
			return NULL;
		}
		snprintf(url, sizeof url, "%s%ld", url_pre, page);
		if (do_page(p, url, key, what, all, &next, errbuf, errlen) != 0) {
			json_decref(all);
			return NULL;
		}
		page = next > page ? next : 0;  /* a next page that does not move forward would loop */
	}
	if (!all)
		snprintf(errbuf, errlen, "out of memory");
	return all;
}

/* ---- the record calls ---- */

static int do_zone_get(void *ctx, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen)
{
	struct do_priv *p = ctx;
	size_t i;
	json_t *d;

	if (!p->domains) {
		char pre[DO_URL_MAX];
		snprintf(pre, sizeof pre, "%s/domains?per_page=200&page=", p->base);
		if (!(p->domains = do_list(p, pre, "domains", "GET domains", errbuf, errlen)))
			return -1;
		log_debug("digitalocean: the account has %zu domains", json_array_size(p->domains));
	}
	json_array_foreach(p->domains, i, d) {
		const char *n = json_string_value(json_object_get(d, "name"));
		if (n && strcasecmp(n, name) == 0 && rapi_id_ok(name)) {
			snprintf(z->name, sizeof z->name, "%s", name);
			snprintf(z->id, sizeof z->id, "%s", name);
			return 1;
		}
	}
	return 0;
}

static int do_create(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char *id,
		     size_t idlen, char *errbuf, size_t errlen)
{
	struct do_priv *p = ctx;
	char url[DO_URL_MAX], what[RAPI_NAME_MAX * 2 + 32], rel[RAPI_NAME_MAX];
	struct http_response r;
	char *body;
	json_t *doc;
	int rc = -1;

	if (rapi_relative(name, z->name, rel, sizeof rel) != 0 || !(body = digitalocean_record_body(rel, value, p->ttl))) {
		snprintf(errbuf, errlen, "digitalocean: %s is not in domain %s, or out of memory", name, z->name);
		return -1;
	}
	snprintf(url, sizeof url, "%s/domains/%s/records", p->base, z->id);
	snprintf(what, sizeof what, "POST TXT %s in domain %s", name, z->name);
	rc = do_call(p, "POST", url, body, &r, errbuf, errlen);
	free(body);
	if (rc != 0)
		return -1;
	rc = -1;
	if ((doc = do_doc(&r, 201))) {
		json_t *jid = json_object_get(json_object_get(doc, "domain_record"), "id");
		if (json_is_integer(jid) && json_integer_value(jid) > 0) {
			snprintf(id, idlen, "%lld", (long long)json_integer_value(jid));
			rc = 0;
		} else {
			snprintf(errbuf, errlen, "digitalocean: %s: the answer has no record id", what);
		}
	} else {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

static int do_remove(void *ctx, const struct rapi_zone *z, const char *id, char *errbuf, size_t errlen)
{
	struct do_priv *p = ctx;
	char url[DO_URL_MAX], what[RAPI_NAME_MAX + RAPI_ID_MAX + 32];
	struct http_response r;
	int rc = -1;

	snprintf(url, sizeof url, "%s/domains/%s/records/%s", p->base, z->id, id);
	snprintf(what, sizeof what, "DELETE record %s of domain %s", id, z->name);
	if (do_call(p, "DELETE", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 204 || r.status == 200) {
		rc = 0;
	} else if (r.status == 404) {
		log_info("digitalocean: domain %s has no record %s any more", z->name, id);
		rc = 0;
	} else {
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	}
	http_response_clear(&r);
	return rc;
}

static int do_find(void *ctx, const struct rapi_zone *z, const char *name, const char *value,
		   char (*ids)[RAPI_ID_MAX], size_t max, size_t *n, char *errbuf, size_t errlen)
{
	struct do_priv *p = ctx;
	char pre[DO_URL_MAX], what[RAPI_NAME_MAX * 2 + 64], rel[RAPI_NAME_MAX];
	json_t *all, *rec;
	size_t i;

	if (rapi_relative(name, z->name, rel, sizeof rel) != 0) {
		snprintf(errbuf, errlen, "digitalocean: %s is not in domain %s", name, z->name);
		return -1;
	}
	/* the name filter takes the full name; the records answer it relative to the domain */
	snprintf(pre, sizeof pre, "%s/domains/%s/records?type=TXT&name=%s&per_page=200&page=", p->base, z->id,
		 name);
	snprintf(what, sizeof what, "GET TXT records %s of domain %s", name, z->name);
	if (!(all = do_list(p, pre, "domain_records", what, errbuf, errlen)))
		return -1;
	*n = 0;
	json_array_foreach(all, i, rec) {
		const char *t = json_string_value(json_object_get(rec, "type"));
		const char *nm = json_string_value(json_object_get(rec, "name"));
		json_t *jid = json_object_get(rec, "id");
		if (*n < max && t && strcmp(t, "TXT") == 0 && nm && strcasecmp(nm, rel) == 0 && json_is_integer(jid) &&
		    rapi_txt_is(json_string_value(json_object_get(rec, "data")), value))
			snprintf(ids[(*n)++], RAPI_ID_MAX, "%lld", (long long)json_integer_value(jid));
	}
	json_decref(all);
	return 0;
}

static const struct rapi_ops do_rapi_ops = {
	.zone_get = do_zone_get,
	.create = do_create,
	.remove = do_remove,
	.find = do_find,
};

/* ---- the solver ---- */

static int do_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_present(((struct do_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static int do_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return rapi_cleanup(((struct do_priv *)s->priv)->rapi, recs, n, errbuf, errlen);
}

static void do_priv_free(struct do_priv *p)
{
	if (!p)
		return;
	rapi_secret_free(p->auth);
	rapi_free(p->rapi);
	json_decref(p->domains);
	free(p->base);
	free(p->where);
	free(p);
}

static void do_destroy(struct solver *s)
{
	do_priv_free(s->priv);
	free(s);
}

static const struct solver_ops do_ops = {
	.name = "digitalocean",
	.present = do_present,
	.cleanup = do_cleanup,
	.destroy = do_destroy,
};

/* Checks o; writes the base URL's length to *base. Never quotes the token. */
static int do_options_check(const struct digitalocean_options *o, size_t *base, char *errbuf, size_t errlen)
{
	const char *url = o && o->base_url && *o->base_url ? o->base_url : DIGITALOCEAN_BASE_URL;

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "digitalocean: an HTTP client is required");
	} else if (!(*base = rapi_base_url(url, DO_URL_MAX - 512))) {
		snprintf(errbuf, errlen, "digitalocean: the base URL must be http:// or https:// with a host, without "
			 "credentials, query or spaces");
	} else if (!o->auth_token || !*o->auth_token) {
		snprintf(errbuf, errlen, "digitalocean: the token is missing (DO_AUTH_TOKEN)");
	} else if (!rapi_token_ok(o->auth_token, DO_TOKEN_MAX)) {
		snprintf(errbuf, errlen, "digitalocean: the token must be printable ASCII without spaces");
	} else if (o->ttl && (o->ttl < DO_MIN_TTL || o->ttl > 86400)) {
		snprintf(errbuf, errlen, "digitalocean: the TTL must be %d to 86400", DO_MIN_TTL);
	} else {
		return 0;
	}
	return -1;
}

struct solver *solver_digitalocean_new(const struct digitalocean_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct do_priv *p;
	size_t base = 0;

	if (do_options_check(o, &base, errbuf, errlen) != 0)
		return NULL;
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (s && p) {
		const char *url = o->base_url && *o->base_url ? o->base_url : DIGITALOCEAN_BASE_URL;
		size_t len = sizeof DO_BEARER + strlen(o->auth_token);
		p->base = strndup(url, base);
		p->where = strdup(url);
		if ((p->auth = malloc(len)))
			snprintf(p->auth, len, DO_BEARER "%s", o->auth_token);
		p->rapi = rapi_new("digitalocean", "DigitalOcean", &do_rapi_ops, p);
	}
	if (!s || !p || !p->base || !p->where || !p->auth || !p->rapi) {
		snprintf(errbuf, errlen, "out of memory");
		do_priv_free(p);
		free(s);
		return NULL;
	}
	p->prov = (struct provider){ .name = "DigitalOcean", .tag = "digitalocean", .credentials = "DO_AUTH_TOKEN",
				     .http = o->http, .solver = s, .secrets = { p->auth + strlen(DO_BEARER) } };
	rapi_set_solver(p->rapi, s);
	p->ttl = o->ttl ? o->ttl : DO_DEFAULT_TTL;
	s->ops = &do_ops;
	/* 5,000 requests an hour (and 250 a minute, which the hourly budget keeps to); one request per record once
	 * the domains are read */
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .requests_per_minute = 83,
					.requests_per_record = 1, .min_ttl = DO_MIN_TTL, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
}

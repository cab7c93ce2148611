/* The Azure DNS adapter: for each name, the TXT record set is read with its ETag, our values merged in (or taken
 * out), and the set is written back with PUT (or removed with DELETE when nothing else is left), If-Match the ETag
 * read: a 412 means someone changed it meanwhile, and it is read again. Requests carry a token from the Microsoft
 * identity platform's client credentials flow (oauth.c keeps it). */
#include "azuredns.h"

#include "log.h"
#include "oauth.h"
#include "provider.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AZ_URL_MAX 2048
#define AZ_NAME_MAX 256
#define AZ_ID_MAX 128                   /* a tenant, subscription, client or resource group id */
#define AZ_SECRET_MAX 1024
#define AZ_DEFAULT_TTL 60
#define AZ_PAGES_MAX 100
#define AZ_ZONES_MAX 10000
#define AZ_WRITE_TRIES 3
#define AZ_ETAG_MAX 128

struct az_zone {
	char name[AZ_NAME_MAX];         /* lower case, final dot */
	char rg[AZ_ID_MAX + 1];
};

struct az_priv {
	char *authority;                /* the identity platform's URL, no trailing slash */
	char *arm;                      /* Resource Manager's URL, no trailing slash */
	char *where;
	char *token_url;
	char *scope;
	char *client_secret;            /* wiped on free */
	char tenant[AZ_ID_MAX + 1], client_id[AZ_ID_MAX + 1], subscription[AZ_ID_MAX + 1], rg[AZ_ID_MAX + 1];
	char pinned[AZ_NAME_MAX];       /* AZURE_ZONE_NAME with its final dot, "" when not pinned */
	struct oauth_token tok;
	struct provider prov;
	uint32_t ttl;
	struct az_zone pinned_zone;     /* AZURE_ZONE_NAME in AZURE_RESOURCE_GROUP: no listing needed */
	struct az_zone *zones;          /* the zones listed, read once per run */
	size_t n_zones;
	bool zones_read;
};

struct az_item {
	const struct solver_record *rec;
	char name[AZ_NAME_MAX];
	const struct az_zone *zone;     /* NULL for clean-up when there is none */
};

/* ---- names and records ---- */

static int az_name(const char *in, char *out, size_t outlen)
{
	return provider_name(in, out, outlen, true);
}

int azuredns_relative_name(const char *name, const char *zone, char *out, size_t outlen)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n < z || strcasecmp(name + n - z, zone) != 0 || (n > z && name[n - z - 1] != '.'))
		return -1;
	int k = n == z ? snprintf(out, outlen, "@") : snprintf(out, outlen, "%.*s", (int)(n - z - 1), name);
	return k > 0 && (size_t)k < outlen ? 0 : -1;
}

int azuredns_resource_group(const char *id, char *out, size_t outlen)
{
	const char *p = id ? strcasestr(id, "/resourceGroups/") : NULL;
	size_t n;

	if (!p)
		return -1;
	p += strlen("/resourceGroups/");
	n = strcspn(p, "/");
	if (n == 0 || n >= outlen || n > AZ_ID_MAX)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Whether r is one of our records: exactly one string, equal to one of values. */
static bool az_record_ours(const json_t *r, const char *const *values, size_t n)
{
	const json_t *v = json_object_get(r, "value");
	const char *s = json_string_value(json_array_get(v, 0));

	if (json_array_size(v) != 1 || !s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, values[i]) == 0)
			return true;
	return false;
}

static bool az_value_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return false;
	return true;
}

int azuredns_txt_merge(const json_t *records, const char *const *values, size_t n, bool add, json_t **out,
		       bool *changed, char *errbuf, size_t errlen)
{
	json_t *res = json_array(), *r;
	size_t i;

	*out = NULL;
	*changed = false;
	if (!res || (records && !json_is_array(records))) {
		snprintf(errbuf, errlen, res ? "azuredns: the record set's TXTRecords are not a list" : "out of memory");
		json_decref(res);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!az_value_ok(values[i])) {
			snprintf(errbuf, errlen, "azuredns: a TXT value is empty, too long or not printable ASCII");
			json_decref(res);
			return -1;
		}
	}
	json_array_foreach(records, i, r) {
		if (!add && az_record_ours(r, values, n))
			*changed = true;                        /* one of ours: left out */
		else
			json_array_append_new(res, json_deep_copy(r));  /* someone else's, as it was */
	}
	for (i = 0; add && i < n; i++) {
		bool have = false;
		size_t k;
		json_array_foreach(res, k, r)
			have = have || az_record_ours(r, &values[i], 1);
		if (have)
			continue;
		json_array_append_new(res, json_pack("{s:[s]}", "value", values[i]));
		*changed = true;
	}
	*out = res;
	return 0;
}

/* ---- requests ---- */

static int az_auth(struct az_priv *p, char *errbuf, size_t errlen)
{
	if (oauth_token_fresh(&p->tok, time(NULL)))
		return 0;
	const char *pairs[] = { "grant_type", "client_credentials", "client_id", p->client_id, "client_secret",
				p->client_secret, "scope", p->scope, NULL };
	char *form = oauth_form(pairs);
	int rc = -1;

	if (!form)
		snprintf(errbuf, errlen, "out of memory");
	else if ((rc = oauth_token_fetch(&p->prov, p->token_url, form, &p->tok, errbuf, errlen)) == 0)
		log_info("azuredns: client %s of tenant %s got an access token", p->client_id, p->tenant);
	p->prov.secrets[1] = p->tok.token;
	if (form) {
		OPENSSL_cleanse(form, strlen(form));
		free(form);
	}
	return rc;
}

/* One call to Resource Manager (url complete); a 401 gets a new token and one more try. extra is one more header
 * (If-Match, If-None-Match) or NULL. */
static int az_call(struct az_priv *p, const char *method, const char *url, const json_t *body, const char *extra,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc = -1;

	if (body && !text) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (az_auth(p, errbuf, errlen) != 0)
			break;
		const char *hdrs[] = { p->tok.header, "Accept: application/json", extra, NULL };
		rc = provider_call(&p->prov, method, url, text ? "application/json" : NULL, text, hdrs, r, errbuf, errlen);
		if (rc != 0 || r->status != 401 || attempt == 1)
			break;
		log_warn("azuredns: %s %s: HTTP 401 with a token that should be good; getting a new one", method, url);
		http_response_clear(r);
		oauth_token_clear(&p->tok);
		p->prov.secrets[1] = NULL;
		rc = -1;
	}
	free(text);
	return rc;
}

/* The error of an answer that is not what was asked for; Resource Manager's error code is added to a refusal
 * (AuthorizationFailed says the principal lacks a role on the zone). */
static void az_fail(const struct az_priv *p, const struct http_response *r, const char *what, char *errbuf,
		    size_t errlen)
{
	json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));

	provider_fail(&p->prov, r, what, errbuf, errlen);
	if ((r->status == 401 || r->status == 403) && code && strlen(code) < 64 &&
	    strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == strlen(code))
		snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf), " %s", code);
	json_decref(j);
}

/* ---- zones ---- */

static int az_zone_add(struct az_priv *p, const json_t *z)
{
	const char *name = json_string_value(json_object_get(z, "name"));
	const char *type = json_string_value(json_object_get(json_object_get(z, "properties"), "zoneType"));
	struct az_zone one;

	/* a zone of the legacy kind "Private" answers nobody on the internet */
	if (type && strcasecmp(type, "Public") != 0)
		return 0;
	if (az_name(name, one.name, sizeof one.name) != 0 ||
	    azuredns_resource_group(json_string_value(json_object_get(z, "id")), one.rg, sizeof one.rg) != 0)
		return 0;
	if (p->n_zones == AZ_ZONES_MAX)
		return -1;
	struct az_zone *grown = realloc(p->zones, (p->n_zones + 1) * sizeof *grown);
	if (!grown)
		return -1;
	p->zones = grown;
	p->zones[p->n_zones++] = one;
	return 0;
}

/* Adds the zones of one page to p's list; the next page's URL goes to next ("" for none). A nextLink elsewhere
 * than Resource Manager is refused: the token must not travel. */
static int az_zones_page(struct az_priv *p, const json_t *doc, char *next, size_t nextlen, char *errbuf,
			 size_t errlen)
{
	const char *link = json_string_value(json_object_get(doc, "nextLink"));
	size_t i, alen = strlen(p->arm);
	json_t *z;

	json_array_foreach(json_object_get(doc, "value"), i, z) {
		if (az_zone_add(p, z) != 0) {
			snprintf(errbuf, errlen, "azuredns: list DNS zones: too many zones, or out of memory");
			return -1;
		}
	}
	next[0] = '\0';
	if (!link || !*link)
		return 0;
	if (strncmp(link, p->arm, alen) != 0 || link[alen] != '/' || strlen(link) >= nextlen || strpbrk(link, " \r\n")) {
		snprintf(errbuf, errlen, "azuredns: list DNS zones: a nextLink outside %s; not following it", p->arm);
		return -1;
	}
	snprintf(next, nextlen, "%s", link);
	return 0;
}

/* Lists the DNS zones of the resource group (or of the subscription), following nextLink, once per run. */
static int az_zones_read(struct az_priv *p, char *errbuf, size_t errlen)
{
	char url[AZ_URL_MAX], rg[AZ_ID_MAX + 32] = "";

	if (p->zones_read)
		return 0;
	if (p->rg[0])
		snprintf(rg, sizeof rg, "/resourceGroups/%s", p->rg);
	snprintf(url, sizeof url, "%s/subscriptions/%s%s/providers/Microsoft.Network/dnsZones?api-version="
		 AZURE_DNS_API_VERSION, p->arm, p->subscription, rg);
	for (int page = 0; url[0]; page++) {
		struct http_response r;
		json_t *doc = NULL;
		int rc = -1;
		if (page == AZ_PAGES_MAX) {
			snprintf(errbuf, errlen, "azuredns: list DNS zones: more than %d pages", AZ_PAGES_MAX);
			return -1;
		}
		if (az_call(p, "GET", url, NULL, NULL, &r, errbuf, errlen) != 0)
			return -1;
		if (r.status != 200)
			az_fail(p, &r, "list DNS zones", errbuf, errlen);
		else if (!(doc = json_loadb(r.body, r.body_len, 0, NULL)) || !json_is_array(json_object_get(doc, "value")))
			snprintf(errbuf, errlen, "azuredns: list DNS zones: the answer is not a list");
		else
			rc = az_zones_page(p, doc, url, sizeof url, errbuf, errlen);
		http_response_clear(&r);
		json_decref(doc);
		if (rc != 0)
			return -1;
	}
	p->zones_read = true;
	log_debug("azuredns: %zu public DNS zones in %s%s", p->n_zones, p->rg[0] ? "resource group " : "the subscription",
		  p->rg[0] ? p->rg : "");
	return 0;
}

/* The zone named exactly name among those listed: NULL with *err 0 when none, with *err -1 and errbuf set when
 * several resource groups hold one. */
static const struct az_zone *az_zone_named(const struct az_priv *p, const char *name, int *err, char *errbuf,
					   size_t errlen)
{
	const struct az_zone *hit = NULL;
	char groups[256] = "";
	size_t found = 0;

	*err = 0;
	for (size_t i = 0; i < p->n_zones; i++) {
		if (strcmp(p->zones[i].name, name) != 0)
			continue;
		hit = &p->zones[i];
		found++;
		snprintf(groups + strlen(groups), sizeof groups - strlen(groups), "%s%s", *groups ? ", " : "", hit->rg);
	}
	if (found > 1) {
		snprintf(errbuf, errlen, "azuredns: %zu DNS zones are named %s (resource groups %s): choose one with "
			 "AZURE_RESOURCE_GROUP (--azure-resource-group)", found, name, groups);
		*err = -1;
		return NULL;
	}
	return hit;
}

/* The zone of it: the pinned one (its resource group given, or found by listing), else the one named as the
 * resolvers see the zone, else the closest listed zone up from the name. Returns 1, 0 (none), -1. */
static int az_zone_find(struct az_priv *p, struct az_item *it, char *errbuf, size_t errlen)
{
	char cand[AZ_NAME_MAX], rel[AZ_NAME_MAX];
	bool given = it->rec->zone && *it->rec->zone;
	int err;

	if (p->pinned[0] && p->rg[0]) {
		if (azuredns_relative_name(it->name, p->pinned, rel, sizeof rel) != 0) {
			snprintf(errbuf, errlen, "azuredns: %s is not in the zone %s (AZURE_ZONE_NAME)", it->name, p->pinned);
			return -1;
		}
		snprintf(p->pinned_zone.name, sizeof p->pinned_zone.name, "%s", p->pinned);
		snprintf(p->pinned_zone.rg, sizeof p->pinned_zone.rg, "%s", p->rg);
		it->zone = &p->pinned_zone;
		return 1;
	}
	if (az_zones_read(p, errbuf, errlen) != 0)
		return -1;
	if (az_name(p->pinned[0] ? p->pinned : given ? it->rec->zone : it->name, cand, sizeof cand) != 0) {
		snprintf(errbuf, errlen, "azuredns: \"%s\" is not a zone name", it->rec->zone);
		return -1;
	}
	for (char *c = cand; *c; c = strchr(c, '.') + 1) {
		it->zone = az_zone_named(p, c, &err, errbuf, errlen);
		if (err)
			return -1;
		if (it->zone && azuredns_relative_name(it->name, it->zone->name, rel, sizeof rel) != 0) {
			snprintf(errbuf, errlen, "azuredns: %s is not in the zone %s", it->name, it->zone->name);
			return -1;
		}
		if (it->zone)
			return 1;
		if (given || p->pinned[0])
			return 0;
	}
	return 0;
}

/* ---- one record set ---- */

struct az_set {
	bool exists;
	char etag[AZ_ETAG_MAX + 1];
	json_t *props;                  /* what was read: TTL, metadata, TXTRecords */
};

static int az_set_url(const struct az_priv *p, const struct az_item *it, char *url, size_t len)
{
	char rel[AZ_NAME_MAX], zone[AZ_NAME_MAX];

	if (azuredns_relative_name(it->name, it->zone->name, rel, sizeof rel) != 0)
		return -1;
	snprintf(zone, sizeof zone, "%.*s", (int)strlen(it->zone->name) - 1, it->zone->name);
	int n = snprintf(url, len, "%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnsZones/%s/TXT/"
			 "%s?api-version=" AZURE_DNS_API_VERSION, p->arm, p->subscription, it->zone->rg, zone, rel);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static int az_set_read(struct az_priv *p, const char *url, const char *name, struct az_set *s, char *errbuf,
		       size_t errlen)
{
	char what[AZ_NAME_MAX + 32];
	struct http_response r;
	json_t *doc = NULL;
	int rc = -1;

	json_decref(s->props);
	memset(s, 0, sizeof *s);
	snprintf(what, sizeof what, "GET TXT %s", name);
	if (az_call(p, "GET", url, NULL, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 404) {
		rc = 0;
	} else if (r.status != 200) {
		az_fail(p, &r, what, errbuf, errlen);
	} else if (!(doc = json_loadb(r.body, r.body_len, 0, NULL)) || !json_is_object(json_object_get(doc, "properties"))) {
		snprintf(errbuf, errlen, "azuredns: %s: the answer is not a record set", what);
	} else {
		const char *etag = json_string_value(json_object_get(doc, "etag"));
		if (etag && strlen(etag) <= AZ_ETAG_MAX && !strpbrk(etag, "\r\n"))
			snprintf(s->etag, sizeof s->etag, "%s", etag);
		s->props = json_incref(json_object_get(doc, "properties"));
		s->exists = true;
		rc = 0;
	}
	json_decref(doc);
	http_response_clear(&r);
	return rc;
}

/* Writes the merged records: PUT If-Match the ETag read (If-None-Match * for a new set), or DELETE If-Match when
 * nothing is left. Returns 0, 1 when Azure answered 412 (changed meanwhile: read again), -1. */
static int az_set_write(struct az_priv *p, const char *url, const char *name, const struct az_set *s, json_t *records,
			char *errbuf, size_t errlen)
{
	char cond[AZ_ETAG_MAX + 32], what[AZ_NAME_MAX + 32];
	bool del = json_array_size(records) == 0;
	json_t *body = NULL;
	struct http_response r;

	if (s->exists && s->etag[0])
		snprintf(cond, sizeof cond, "If-Match: %s", s->etag);
	else
		snprintf(cond, sizeof cond, s->exists ? "If-Match: *" : "If-None-Match: *");
	snprintf(what, sizeof what, "%s TXT %s", del ? "DELETE" : "PUT", name);
	if (del && !s->exists)
		return 0;
	if (!del) {
		json_t *ttl = json_object_get(s->props, "TTL"), *meta = json_object_get(s->props, "metadata");
		json_t *props = json_pack("{s:I, s:O}", "TTL", json_is_integer(ttl) ? json_integer_value(ttl) : (json_int_t)p->ttl,
					  "TXTRecords", records);
		if (props && json_is_object(meta))
			json_object_set(props, "metadata", meta);       /* tags someone put on the set stay */
		body = props ? json_pack("{s:o}", "properties", props) : NULL;
		if (!body) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
	}
	int rc = az_call(p, del ? "DELETE" : "PUT", url, body, cond, &r, errbuf, errlen);
	json_decref(body);
	if (rc != 0)
		return -1;
	if (r.status == 200 || r.status == 201 || r.status == 202 || r.status == 204)
		rc = 0;
	else if (r.status == 412)
		rc = 1;
	else
		rc = -1;
	if (rc != 0)
		az_fail(p, &r, what, errbuf, errlen);
	http_response_clear(&r);
	return rc;
}

/* What a write did, for the log. */
static const char *az_what(bool changed, bool add, const json_t *merged)
{
	if (!changed)
		return "nothing to change";
	if (json_array_size(merged) == 0)
		return "removed the set (nothing else was left)";
	return add ? "merged our values in" : "took our values out";
}

/* Reads, merges and writes the set at items[i].name with every value of the batch there; a 412 reads again
 * (AZ_WRITE_TRIES times). */
static int az_name_apply(struct az_priv *p, const struct az_item *items, size_t n, size_t i, bool add, char *errbuf,
			 size_t errlen)
{
	const char **values = calloc(n, sizeof *values);
	char url[AZ_URL_MAX];
	struct az_set s = { 0 };
	size_t nv = 0;
	int rc = -1;

	if (!values || az_set_url(p, &items[i], url, sizeof url) != 0) {
		snprintf(errbuf, errlen, values ? "azuredns: %s: the URL is too long" : "out of memory", items[i].name);
		free(values);
		return -1;
	}
	for (size_t j = i; j < n; j++)
		if (strcmp(items[j].name, items[i].name) == 0)
			values[nv++] = items[j].rec->value;
	for (int t = 0; t < AZ_WRITE_TRIES; t++) {
		json_t *merged = NULL;
		bool changed = false;
		if (az_set_read(p, url, items[i].name, &s, errbuf, errlen) != 0 ||
		    azuredns_txt_merge(json_object_get(s.props, "TXTRecords"), values, nv, add, &merged, &changed, errbuf,
				       errlen) != 0) {
			rc = -1;
			break;
		}
		rc = changed ? az_set_write(p, url, items[i].name, &s, merged, errbuf, errlen) : 0;
		if (rc == 0)
			log_info("azuredns: %s in zone %s: %s", items[i].name, items[i].zone->name, az_what(changed, add, merged));
		json_decref(merged);
		if (rc != 1)
			break;
		log_warn("%s (changed since it was read); reading it again", errbuf);
		rc = -1;
	}
	json_decref(s.props);
	free(values);
	return rc;
}

/* ---- the solver ---- */

static int az_items(struct az_priv *p, const struct solver_record *recs, size_t n, struct az_item *items, bool add,
		    char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *where = recs[i].target && *recs[i].target ? recs[i].target : recs[i].fqdn;
		items[i].rec = &recs[i];
		if (!recs[i].value || az_name(where, items[i].name, sizeof items[i].name) != 0) {
			snprintf(errbuf, errlen, "azuredns: \"%s\" is not a name we can write a TXT record at",
				 where ? where : "(none)");
			return -1;
		}
		int rc = az_zone_find(p, &items[i], errbuf, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0 && add) {
			snprintf(errbuf, errlen, "azuredns: no DNS zone for %s in %s%s", items[i].name,
				 p->rg[0] ? "resource group " : "subscription ", p->rg[0] ? p->rg : p->subscription);
			return -1;
		}
		if (rc == 0)
			log_info("azuredns: no DNS zone for %s: nothing to remove there", items[i].name);
	}
	return 0;
}

static int az_batch(struct solver *s, const struct solver_record *recs, size_t n, bool add, char *errbuf,
		    size_t errlen)
{
	struct az_priv *p = s->priv;
	struct az_item *items = calloc(n ? n : 1, sizeof *items);
	int first = 0;

	if (!items) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (az_items(p, recs, n, items, add, errbuf, errlen) != 0) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < n && !(add && first); i++) {
		char err[1024] = "";
		size_t k;
		for (k = 0; k < i && strcmp(items[k].name, items[i].name) != 0; k++)
			;
		if (k < i || !items[i].zone)
			continue;               /* the name was done with an earlier record, or has no zone */
		if (az_name_apply(p, items, n, i, add, err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	free(items);
	return first;
}

static int az_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return az_batch(s, recs, n, true, errbuf, errlen);
}

static int az_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return az_batch(s, recs, n, false, errbuf, errlen);
}

static void az_priv_free(struct az_priv *p)
{
	if (!p)
		return;
	oauth_token_clear(&p->tok);
	if (p->client_secret) {
		OPENSSL_cleanse(p->client_secret, strlen(p->client_secret));
		free(p->client_secret);
	}
	free(p->authority);
	free(p->arm);
	free(p->where);
	free(p->token_url);
	free(p->scope);
	free(p->zones);
	free(p);
}

static void az_destroy(struct solver *s)
{
	az_priv_free(s->priv);
	free(s);
}

static const struct solver_ops az_ops = {
	.name = "azuredns",
	.present = az_present,
	.cleanup = az_cleanup,
	.destroy = az_destroy,
};

/* ---- options ---- */

/* An http(s) URL with a host and no query, without its trailing slashes (malloc'd), or NULL. */
static char *az_base_url(const char *url)
{
	size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	size_t len = strlen(url);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"<>\\?#%@", url[i]))
			return NULL;
	while (len > skip && url[len - 1] == '/')
		len--;
	if (!skip || len == skip || url[skip] == '/' || len > AZ_URL_MAX / 4)
		return NULL;
	return strndup(url, len);
}

/* An id that goes into a URL path or a form: letters, digits and "-._()". */
static int az_id(const char *in, const char *what, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	size_t n = in ? strlen(in) : 0;

	if (n == 0 || n >= outlen ||
	    strspn(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._()") != n) {
		snprintf(errbuf, errlen, "azuredns: %s", what);
		return -1;
	}
	memcpy(out, in, n + 1);
	return 0;
}

static int az_options(const struct azuredns_options *o, struct az_priv *p, char *errbuf, size_t errlen)
{
	size_t slen = o->client_secret ? strlen(o->client_secret) : 0;

	if (az_id(o->tenant_id, "the tenant id is missing or not an id (AZURE_TENANT_ID)", p->tenant, sizeof p->tenant,
		  errbuf, errlen) != 0 ||
	    az_id(o->client_id, "the client id is missing or not an id (AZURE_CLIENT_ID)", p->client_id,
		  sizeof p->client_id, errbuf, errlen) != 0 ||
	    az_id(o->subscription_id, "the subscription id is missing or not an id (AZURE_SUBSCRIPTION_ID)",
		  p->subscription, sizeof p->subscription, errbuf, errlen) != 0)
		return -1;
	if (o->resource_group && *o->resource_group &&
	    az_id(o->resource_group, "the resource group may hold letters, digits and -._() only", p->rg, sizeof p->rg,
		  errbuf, errlen) != 0)
		return -1;
	if (slen == 0 || slen > AZ_SECRET_MAX) {
		snprintf(errbuf, errlen, "azuredns: the client secret is missing (AZURE_CLIENT_SECRET)");
		return -1;
	}
	if (o->zone_name && *o->zone_name && az_name(o->zone_name, p->pinned, sizeof p->pinned) != 0) {
		snprintf(errbuf, errlen, "azuredns: AZURE_ZONE_NAME is not a DNS name");
		return -1;
	}
	p->authority = az_base_url(o->authority_host && *o->authority_host ? o->authority_host : AZURE_AUTHORITY_HOST);
	p->arm = az_base_url(o->resource_manager && *o->resource_manager ? o->resource_manager : AZURE_RESOURCE_MANAGER);
	if (!p->authority || !p->arm) {
		snprintf(errbuf, errlen, "azuredns: the authority host and the resource manager endpoint must be http:// "
			 "or https:// URLs with a host, without query");
		return -1;
	}
	return 0;
}

static char *az_join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

struct solver *solver_azuredns_new(const struct azuredns_options *o, char *errbuf, size_t errlen)
{
	struct solver *s = NULL;
	struct az_priv *p = NULL;

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "azuredns: an HTTP client is required");
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s)) || !(p = calloc(1, sizeof *p))) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	if (az_options(o, p, errbuf, errlen) != 0)
		goto fail;
	p->client_secret = strdup(o->client_secret);
	p->token_url = az_join(p->authority, "/", p->tenant);
	char *tok = p->token_url ? az_join(p->token_url, "/oauth2/v2.0/token", "") : NULL;
	free(p->token_url);
	p->token_url = tok;
	p->scope = az_join(p->arm, "/.default", "");
	p->where = strdup(p->arm);
	if (!p->client_secret || !p->token_url || !p->scope || !p->where) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	p->ttl = o->ttl ? o->ttl : AZ_DEFAULT_TTL;
	p->prov = (struct provider){ .name = "Azure", .tag = "azuredns", .credentials = "client secret",
				     .http = o->http, .solver = s, .secrets = { p->client_secret } };
	s->ops = &az_ops;
	/* One read and one write per name, no batch call. Resource Manager throttles writes per subscription
	 * (refilled at 10 a second in its token-bucket limits): we take half of that. */
	s->caps = (struct solver_caps){ .appends = false, .batch_max = 50, .requests_per_minute = 300,
					.requests_per_record = 2, .min_ttl = 1, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
fail:
	az_priv_free(p);
	free(s);
	return NULL;
}

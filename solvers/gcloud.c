/* The Google Cloud DNS adapter (API v1): per managed zone, the TXT rrset of each name is read, our values merged
 * in (or taken out), and one change carries each old set whole in deletions and each new set in additions, which
 * Cloud DNS applies only when every deletion still matches; then the change is polled until done. Requests carry
 * an access token exchanged for a JWT signed with the service account's key (oauth.c keeps it). */
#include "gcloud.h"

#include "b64.h"
#include "key.h"
#include "log.h"
#include "secretfile.h"
#include "oauth.h"
#include "provider.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GC_URL_MAX 2048
#define GC_NAME_MAX 256
#define GC_ID_MAX 128                   /* a project id or managed zone name */
#define GC_DEFAULT_TTL 60
#define GC_SYNC_TIMEOUT 300
#define GC_PAGES_MAX 50
#define GC_CHANGE_TRIES 3
#define GC_FILE_MAX (64 * 1024)
#define GC_JWT_LIFETIME 3600            /* the longest Google takes */
#define GC_SEEN_MAX 8

struct gc_priv {
	char *base;                     /* the API URL without a trailing slash */
	char *project;
	char *where;
	struct gcloud_account acct;
	EVP_PKEY *key;
	struct oauth_token tok;
	struct provider prov;
	char pinned[GC_ID_MAX + 1];             /* GCE_ZONE_ID, "" when not pinned */
	char pinned_dns[GC_NAME_MAX];           /* its dnsName, once read */
	bool allow_private;
	uint32_t ttl;
	int sync_timeout_s;
	struct {
		char dns[GC_NAME_MAX];
		char zone[GC_ID_MAX + 1];
	} seen[GC_SEEN_MAX];                    /* zones looked up so far, by the name the resolvers gave */
	size_t n_seen;
};

struct gc_item {
	const struct solver_record *rec;
	char name[GC_NAME_MAX];         /* lower case, final dot */
	char zone[GC_ID_MAX + 1];       /* the managed zone's name; "" for clean-up when there is none */
	char zone_dns[GC_NAME_MAX];
};

/* ---- names ---- */

static int gc_name(const char *in, char *out, size_t outlen)
{
	return provider_name(in, out, outlen, true);
}

static bool gc_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	return n >= z && strcasecmp(name + n - z, zone) == 0 && (n == z || name[n - z - 1] == '.');
}

/* A project id or managed zone name: it goes into URL paths unescaped. */
static bool gc_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= GC_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == n;
}

/* s percent-encoded (RFC 3986 unreserved kept) into out, for a query parameter. */
static int gc_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (k + 4 > outlen)
			return -1;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = '\0';
	return 0;
}

/* ---- the service account and its JWT ---- */

static char *gc_dup_field(const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	return v && *v ? strdup(v) : NULL;
}

int gcloud_account_parse(const char *json, size_t len, struct gcloud_account *a, char *errbuf, size_t errlen)
{
	json_t *j = json_loadb(json, len, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	int rc = -1;

	memset(a, 0, sizeof *a);
	if (!json_is_object(j)) {
		snprintf(errbuf, errlen, "not a JSON object");
	} else if (type && strcmp(type, "service_account") != 0) {
		snprintf(errbuf, errlen, "its type is \"%.40s\", not service_account", type);
	} else {
		a->client_email = gc_dup_field(j, "client_email");
		a->private_key = gc_dup_field(j, "private_key");
		a->private_key_id = gc_dup_field(j, "private_key_id");
		a->project_id = gc_dup_field(j, "project_id");
		a->token_uri = gc_dup_field(j, "token_uri");
		if (!a->token_uri)
			a->token_uri = strdup(GCLOUD_TOKEN_URI);
		if (!a->client_email || !a->private_key)
			snprintf(errbuf, errlen, "client_email or private_key is missing");
		else if (!a->token_uri || (strncmp(a->token_uri, "https://", 8) != 0 && strncmp(a->token_uri, "http://", 7) != 0))
			snprintf(errbuf, errlen, "token_uri is not an http(s) URL");
		else
			rc = 0;
	}
	json_t *pk = json_object_get(j, "private_key");
	if (json_is_string(pk))
		OPENSSL_cleanse((void *)json_string_value(pk), json_string_length(pk));
	json_decref(j);
	if (rc != 0)
		gcloud_account_clear(a);
	return rc;
}

void gcloud_account_clear(struct gcloud_account *a)
{
	if (a->private_key) {
		OPENSSL_cleanse(a->private_key, strlen(a->private_key));
		free(a->private_key);
	}
	free(a->client_email);
	free(a->private_key_id);
	free(a->token_uri);
	free(a->project_id);
	memset(a, 0, sizeof *a);
}

static char *gc_b64_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *b = s ? b64url_encode(s, strlen(s)) : NULL;
	free(s);
	json_decref(j);
	return b;
}

/* input "." base64url(RS256 signature of input), malloc'd, or NULL. */
static char *gc_sign(EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0, n = strlen(input);
	char *b = NULL, *out = NULL;

	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, n) == 1 && (sig = malloc(siglen)) &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, n) == 1 && (b = b64url_encode(sig, siglen)) &&
	    (out = malloc(n + strlen(b) + 2)))
		snprintf(out, n + strlen(b) + 2, "%s.%s", input, b);
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(b);
	return out;
}

char *gcloud_jwt(const struct gcloud_account *a, EVP_PKEY *key, time_t now)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	if (hdr && a->private_key_id)
		json_object_set_new(hdr, "kid", json_string(a->private_key_id));
	char *h = gc_b64_json(hdr);
	char *c = gc_b64_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->client_email, "scope", GCLOUD_SCOPE,
					"aud", a->token_uri, "iat", (json_int_t)now, "exp",
					(json_int_t)now + GC_JWT_LIFETIME));
	char *input = NULL, *jwt = NULL;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		goto done;
	if (h && c && (input = malloc(strlen(h) + strlen(c) + 2))) {
		snprintf(input, strlen(h) + strlen(c) + 2, "%s.%s", h, c);
		jwt = gc_sign(key, input);
	}
done:
	free(h);
	free(c);
	free(input);
	return jwt;
}

/* ---- pure parts ---- */

json_t *gcloud_change_body(const struct txtset_change *c, size_t n)
{
	json_t *add = json_array(), *del = json_array();

	for (size_t i = 0; add && del && i < n; i++) {
		if (json_array_size(c[i].old_values) > 0)
			json_array_append_new(del, json_pack("{s:s, s:s, s:I, s:O}", "name", c[i].name, "type", "TXT", "ttl",
							     (json_int_t)c[i].old_ttl, "rrdatas", c[i].old_values));
		if (json_array_size(c[i].new_values) > 0)
			json_array_append_new(add, json_pack("{s:s, s:s, s:I, s:O}", "name", c[i].name, "type", "TXT", "ttl",
							     (json_int_t)c[i].new_ttl, "rrdatas", c[i].new_values));
	}
	if (!add || !del) {
		json_decref(add);
		json_decref(del);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "additions", add, "deletions", del);
}

int gcloud_rrset_parse(const json_t *doc, const char *name, json_t **values, uint32_t *ttl, char *errbuf,
		       size_t errlen)
{
	const json_t *sets = json_object_get(doc, "rrsets"), *s;
	size_t i;

	*values = NULL;
	if (!json_is_object(doc) || (sets && !json_is_array(sets))) {
		snprintf(errbuf, errlen, "gcloud: the rrsets answer is not a list");
		return -1;
	}
	json_array_foreach(sets, i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));
		const char *t = json_string_value(json_object_get(s, "type"));
		json_int_t v = json_integer_value(json_object_get(s, "ttl"));
		if (!n || !t || strcasecmp(n, name) != 0 || strcmp(t, "TXT") != 0)
			continue;
		if (json_object_get(s, "routingPolicy") || !json_is_array(json_object_get(s, "rrdatas"))) {
			snprintf(errbuf, errlen, "gcloud: the TXT rrset at %s has a routing policy; not touching it", name);
			return -1;
		}
		*ttl = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
		*values = json_deep_copy(json_object_get(s, "rrdatas"));
		return *values ? 1 : -1;
	}
	return 0;
}

const char *gcloud_zone_pick(const json_t *zones, const char *dns_name, bool allow_private, char *errbuf,
			     size_t errlen)
{
	char names[256] = "", priv[256] = "";
	const char *pick = NULL;
	size_t found = 0, hidden = 0, i;
	json_t *z;

	json_array_foreach(zones, i, z) {
		const char *name = json_string_value(json_object_get(z, "name"));
		const char *dns = json_string_value(json_object_get(z, "dnsName"));
		const char *vis = json_string_value(json_object_get(z, "visibility"));
		bool is_private = vis && strcmp(vis, "private") == 0;
		if (!name || !dns || strcasecmp(dns, dns_name) != 0)
			continue;
		char *list = is_private && !allow_private ? priv : names;
		snprintf(list + strlen(list), sizeof names - strlen(list), "%s%s", *list ? ", " : "", name);
		if (is_private && !allow_private) {
			hidden++;
			continue;
		}
		pick = name;
		found++;
	}
	if (found == 1)
		return pick;
	if (found > 1)
		snprintf(errbuf, errlen, "gcloud: %zu managed zones are named %s (%s): choose one with GCE_ZONE_ID "
			 "(--gcloud-zone-id)", found, dns_name, names);
	else if (hidden)
		snprintf(errbuf, errlen, "gcloud: %s is only a private managed zone (%s); set GCE_ALLOW_PRIVATE_ZONE=true "
			 "(--gcloud-allow-private-zone) to use it", dns_name, priv);
	else
		snprintf(errbuf, errlen, "gcloud: no managed zone %s", dns_name);
	return NULL;
}

/* ---- requests ---- */

/* An access token good for another minute: the one kept, else a new JWT exchanged at the token endpoint. */
static int gc_auth(struct gc_priv *p, char *errbuf, size_t errlen)
{
	if (oauth_token_fresh(&p->tok, time(NULL)))
		return 0;
	char *jwt = gcloud_jwt(&p->acct, p->key, time(NULL));
	const char *pairs[] = { "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion", jwt, NULL };
	char *form = jwt ? oauth_form(pairs) : NULL;
	int rc = -1;

	if (!form)
		snprintf(errbuf, errlen, "gcloud: cannot sign the JWT with the service account's key");
	else if ((rc = oauth_token_fetch(&p->prov, p->acct.token_uri, form, &p->tok, errbuf, errlen)) == 0)
		log_info("gcloud: %s exchanged a signed JWT for an access token", p->acct.client_email);
	p->prov.secrets[1] = p->tok.token;
	if (form) {
		OPENSSL_cleanse(form, strlen(form));
		free(form);
	}
	if (jwt) {
		OPENSSL_cleanse(jwt, strlen(jwt));
		free(jwt);
	}
	return rc;
}

/* One API call (path below the project, query already escaped); a 401 (a token revoked or expired early) gets a
 * new token and one more try. */
static int gc_call(struct gc_priv *p, const char *method, const char *path, const char *query, const json_t *body,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	char url[GC_URL_MAX];
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int n = snprintf(url, sizeof url, "%s/projects/%s%s%s%s", p->base, p->project, path, query ? "?" : "",
			 query ? query : "");
	int rc = -1;

	if (n < 0 || (size_t)n >= sizeof url || (body && !text)) {
		snprintf(errbuf, errlen, "gcloud: %s %s: %s", method, path, text || !body ? "the URL is too long" : "out of memory");
		free(text);
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (gc_auth(p, errbuf, errlen) != 0)
			break;
		const char *hdrs[] = { p->tok.header, "Accept: application/json", NULL };
		rc = provider_call(&p->prov, method, url, text ? "application/json" : NULL, text, hdrs, r, errbuf, errlen);
		if (rc != 0 || r->status != 401 || attempt == 1)
			break;
		log_warn("gcloud: %s %s: HTTP 401 with a token that should be good; getting a new one", method, url);
		http_response_clear(r);
		oauth_token_clear(&p->tok);
		p->prov.secrets[1] = NULL;
		rc = -1;
	}
	free(text);
	return rc;
}

/* A call whose answer must be 200 with a JSON object, into *doc. */
static int gc_call_json(struct gc_priv *p, const char *method, const char *path, const char *query,
			const json_t *body, const char *what, json_t **doc, char *errbuf, size_t errlen)
{
	struct http_response r;

	*doc = NULL;
	if (gc_call(p, method, path, query, body, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status != 200)
		provider_fail(&p->prov, &r, what, errbuf, errlen);
	else if (!(*doc = json_loadb(r.body, r.body_len, 0, NULL)) || !json_is_object(*doc))
		snprintf(errbuf, errlen, "gcloud: %s: the answer is not a JSON object", what);
	long status = r.status;
	http_response_clear(&r);
	if (status == 200 && json_is_object(*doc))
		return 0;
	json_decref(*doc);
	*doc = NULL;
	return status == 412 || status == 409 ? 1 : -1;
}

/* ---- managed zones ---- */

/* Every managed zone whose dnsName is dns (a new array), following nextPageToken. NULL with errbuf set. */
static json_t *gc_zones_named(struct gc_priv *p, const char *dns, char *errbuf, size_t errlen)
{
	char query[GC_URL_MAX], enc[GC_NAME_MAX * 3], tok[GC_URL_MAX / 2], what[GC_NAME_MAX + 32];
	json_t *all = json_array(), *doc, *z;
	size_t i;

	snprintf(what, sizeof what, "list managed zones %s", dns);
	if (!all || gc_escape(dns, enc, sizeof enc) != 0) {
		json_decref(all);
		return NULL;
	}
	snprintf(query, sizeof query, "dnsName=%s", enc);
	for (int page = 0;; page++) {
		if (page == GC_PAGES_MAX || gc_call_json(p, "GET", "/managedZones", query, NULL, what, &doc, errbuf, errlen) != 0) {
			if (page == GC_PAGES_MAX)
				snprintf(errbuf, errlen, "gcloud: %s: more than %d pages", what, GC_PAGES_MAX);
			json_decref(all);
			return NULL;
		}
		json_array_foreach(json_object_get(doc, "managedZones"), i, z)
			json_array_append(all, z);
		const char *next = json_string_value(json_object_get(doc, "nextPageToken"));
		bool more = next && *next && gc_escape(next, tok, sizeof tok) == 0;
		if (more)
			snprintf(query, sizeof query, "dnsName=%s&pageToken=%s", enc, tok);
		json_decref(doc);
		if (!more)
			return all;
	}
}

/* The dnsName of the pinned zone, once. */
static int gc_pinned_dns(struct gc_priv *p, char *errbuf, size_t errlen)
{
	char path[GC_ID_MAX + 32], what[GC_ID_MAX + 32];
	json_t *doc;

	if (p->pinned_dns[0])
		return 0;
	snprintf(path, sizeof path, "/managedZones/%s", p->pinned);
	snprintf(what, sizeof what, "GET managed zone %s", p->pinned);
	if (gc_call_json(p, "GET", path, NULL, NULL, what, &doc, errbuf, errlen) != 0)
		return -1;
	if (gc_name(json_string_value(json_object_get(doc, "dnsName")), p->pinned_dns, sizeof p->pinned_dns) != 0)
		snprintf(errbuf, errlen, "gcloud: %s: the answer has no dnsName", what);
	json_decref(doc);
	return p->pinned_dns[0] ? 0 : -1;
}

static void gc_remember(struct gc_priv *p, const char *dns, const char *zone)
{
	if (p->n_seen == GC_SEEN_MAX)
		return;
	snprintf(p->seen[p->n_seen].dns, sizeof p->seen[0].dns, "%s", dns);
	snprintf(p->seen[p->n_seen++].zone, sizeof p->seen[0].zone, "%s", zone);
}

/* The managed zone of it: the pinned one (which must hold the name), else the one named as the resolvers see the
 * zone, else the closest name up from it->name. Returns 1 with it->zone set, 0 when there is none, -1. */
static int gc_zone_find(struct gc_priv *p, struct gc_item *it, char *errbuf, size_t errlen)
{
	char cand[GC_NAME_MAX];
	bool given = it->rec->zone && *it->rec->zone;

	if (p->pinned[0]) {
		if (gc_pinned_dns(p, errbuf, errlen) != 0)
			return -1;
		if (!gc_in_zone(it->name, p->pinned_dns)) {
			snprintf(errbuf, errlen, "gcloud: %s is not in the managed zone %s (%s, GCE_ZONE_ID)", it->name,
				 p->pinned, p->pinned_dns);
			return -1;
		}
		snprintf(it->zone, sizeof it->zone, "%s", p->pinned);
		snprintf(it->zone_dns, sizeof it->zone_dns, "%s", p->pinned_dns);
		return 1;
	}
	if (gc_name(given ? it->rec->zone : it->name, cand, sizeof cand) != 0) {
		snprintf(errbuf, errlen, "gcloud: \"%s\" is not a zone name", it->rec->zone);
		return -1;
	}
	for (size_t i = 0; given && i < p->n_seen; i++) {
		if (strcmp(p->seen[i].dns, cand) == 0) {
			snprintf(it->zone, sizeof it->zone, "%s", p->seen[i].zone);
			snprintf(it->zone_dns, sizeof it->zone_dns, "%s", cand);
			return 1;
		}
	}
	for (char *c = cand; *c; c = strchr(c, '.') + 1) {
		json_t *zones = gc_zones_named(p, c, errbuf, errlen);
		if (!zones)
			return -1;
		size_t n = json_array_size(zones);
		const char *z = n ? gcloud_zone_pick(zones, c, p->allow_private, errbuf, errlen) : NULL;
		if (z) {
			snprintf(it->zone, sizeof it->zone, "%s", z);
			snprintf(it->zone_dns, sizeof it->zone_dns, "%s", c);
			gc_remember(p, c, z);
		}
		json_decref(zones);
		if (n > 0 || given)
			return n == 0 ? 0 : it->zone[0] ? 1 : -1;
	}
	return 0;
}

static int gc_items(struct gc_priv *p, const struct solver_record *recs, size_t n, struct gc_item *items, bool add,
		    char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *where = recs[i].target && *recs[i].target ? recs[i].target : recs[i].fqdn;
		size_t k;
		items[i].rec = &recs[i];
		if (!recs[i].value || gc_name(where, items[i].name, sizeof items[i].name) != 0) {
			snprintf(errbuf, errlen, "gcloud: \"%s\" is not a name we can write a TXT record at",
				 where ? where : "(none)");
			return -1;
		}
		for (k = 0; k < i && strcmp(items[k].name, items[i].name) != 0; k++)
			;
		if (k < i) {
			items[i] = items[k];
			items[i].rec = &recs[i];
			continue;
		}
		int rc = gc_zone_find(p, &items[i], errbuf, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0 && add) {
			snprintf(errbuf, errlen, "gcloud: no managed zone for %s in project %s", items[i].name, p->project);
			return -1;
		}
		if (rc == 0)
			log_info("gcloud: no managed zone for %s: nothing to remove there", items[i].name);
		else
			log_debug("gcloud: %s is in managed zone %s (%s)", items[i].name, items[i].zone, items[i].zone_dns);
	}
	return 0;
}

/* ---- one zone's change ---- */


static int gc_set_read(void *ctx, const char *zone, struct txtset_set *s, char *errbuf, size_t errlen)
{
	struct gc_priv *p = ctx;
	char path[GC_ID_MAX + 32], query[GC_NAME_MAX * 3 + 32], enc[GC_NAME_MAX * 3], what[GC_NAME_MAX + 32];
	json_t *doc;
	int rc;

	json_decref(s->old_values);
	s->old_values = NULL;
	if (gc_escape(s->name, enc, sizeof enc) != 0)
		return -1;
	snprintf(path, sizeof path, "/managedZones/%s/rrsets", zone);
	snprintf(query, sizeof query, "name=%s&type=TXT", enc);
	snprintf(what, sizeof what, "list rrsets %s TXT", s->name);
	if (gc_call_json(p, "GET", path, query, NULL, what, &doc, errbuf, errlen) != 0)
		return -1;
	rc = gcloud_rrset_parse(doc, s->name, &s->old_values, &s->old_ttl, errbuf, errlen);
	json_decref(doc);
	return rc < 0 ? -1 : 0;
}



/* Polls the change until its status is done (1 s, 2 s, ... 5 s apart), within p->sync_timeout_s. */
static int gc_wait_done(struct gc_priv *p, const char *zone, const char *id, char *errbuf, size_t errlen)
{
	char path[GC_ID_MAX * 2 + 32], what[GC_ID_MAX + 32];
	time_t start = time(NULL);

	snprintf(path, sizeof path, "/managedZones/%s/changes/%s", zone, id);
	snprintf(what, sizeof what, "GET change %s", id);
	for (int poll = 1;; poll++) {
		long wait = poll < 5 ? poll : 5;
		json_t *doc;
		if (time(NULL) - start + wait > p->sync_timeout_s) {
			snprintf(errbuf, errlen, "gcloud: change %s is not done after %d s", id, p->sync_timeout_s);
			return -1;
		}
		if (provider_pause(&p->prov, wait) != 0) {
			snprintf(errbuf, errlen, "gcloud: interrupted while waiting for change %s", id);
			return -1;
		}
		if (gc_call_json(p, "GET", path, NULL, NULL, what, &doc, errbuf, errlen) != 0)
			return -1;
		const char *st = json_string_value(json_object_get(doc, "status"));
		int rc = !st ? -1 : strcmp(st, "done") == 0 ? 0 : strcmp(st, "pending") == 0 ? 1 : -1;
		if (rc < 0)
			snprintf(errbuf, errlen, "gcloud: %s: unexpected status %.32s", what, st ? st : "(none)");
		else
			log_info("gcloud: change %s is %s", id, st);
		json_decref(doc);
		if (rc <= 0)
			return rc;
	}
}

/* Sends the change. Returns 0 with its id, 1 when Cloud DNS refused it because a set changed since our read (412
 * conditionNotMet, 409 alreadyExists), -1 with errbuf set. */
static int gc_change_send(void *ctx, const char *zone, const struct txtset_change *c, size_t nc, char *id,
			  size_t idlen, char *errbuf, size_t errlen)
{
	struct gc_priv *p = ctx;
	char path[GC_ID_MAX + 32], what[GC_ID_MAX + 32];
	json_t *body = gcloud_change_body(c, nc), *doc = NULL;
	int rc;

	snprintf(path, sizeof path, "/managedZones/%s/changes", zone);
	snprintf(what, sizeof what, "POST change to %s", zone);
	if (!body) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	rc = gc_call_json(p, "POST", path, NULL, body, what, &doc, errbuf, errlen);
	json_decref(body);
	if (rc != 0)
		return rc;
	const char *v = json_string_value(json_object_get(doc, "id"));
	if (!v || !gc_id_ok(v) || strlen(v) >= idlen) {
		snprintf(errbuf, errlen, "gcloud: %s: the answer has no change id", what);
		rc = -1;
	} else {
		snprintf(id, idlen, "%s", v);
		log_info("gcloud: change %s in zone %s: %s", id, zone, json_string_value(json_object_get(doc, "status")));
	}
	json_decref(doc);
	return rc;
}

/* Reads, merges and writes every name of zone items[i].zone in one change; a change refused because a set changed
 * meanwhile is built again from a new read (GC_CHANGE_TRIES times). The change's id goes to id ("" when nothing
 * changed). */
static int gc_zone_apply(struct gc_priv *p, const struct gc_item *items, size_t n, size_t i, bool add, char *id,
			 size_t idlen, char *errbuf, size_t errlen)
{
	static const struct txtset_ops ops = { .tag = "gcloud", .tries = GC_CHANGE_TRIES, .read = gc_set_read,
					       .send = gc_change_send };
	struct txtset_item *view = calloc(n, sizeof *view);
	size_t nc = 0;
	int rc = -1;

	if (!view) {
		snprintf(errbuf, errlen, "out of memory");
		id[0] = '\0';
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		view[j] = (struct txtset_item){ .zone = items[j].zone, .name = items[j].name, .value = items[j].rec->value };
	rc = txtset_zone_apply(&ops, p, view, n, i, add, p->ttl, id, idlen, &nc, errbuf, errlen);
	free(view);
	if (rc == 0 && nc == 0)
		log_debug("gcloud: zone %s: nothing to change", items[i].zone);
	else if (rc == 0)
		log_info("gcloud: zone %s (%s): %s %zu TXT rrset%s", items[i].zone, items[i].zone_dns,
			 add ? "merged our values into" : "took our values out of", nc, nc == 1 ? "" : "s");
	return rc;
}

/* ---- the solver ---- */

/* Present waits until every zone's change is done; they were all sent first, so the waits overlap. Clean-up need
 * not wait. */
static int gc_wait_all(struct gc_priv *p, const struct gc_item *items, char (*ids)[GC_ID_MAX + 1], size_t n,
		       char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i][0] && gc_wait_done(p, items[i].zone, ids[i], errbuf, errlen) != 0)
			return -1;
	return 0;
}

static int gc_batch(struct solver *s, const struct solver_record *recs, size_t n, bool add, char *errbuf,
		    size_t errlen)
{
	struct gc_priv *p = s->priv;
	struct gc_item *items = calloc(n ? n : 1, sizeof *items);
	char (*ids)[GC_ID_MAX + 1] = calloc(n ? n : 1, sizeof *ids);
	int first = 0;

	if (!items || !ids || gc_items(p, recs, n, items, add, errbuf, errlen) != 0) {
		if (!items || !ids)
			snprintf(errbuf, errlen, "out of memory");
		free(items);
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < n && !(add && first); i++) {
		char err[1024] = "";
		size_t k;
		for (k = 0; k < i && strcmp(items[k].zone, items[i].zone) != 0; k++)
			;
		if (k < i || !items[i].zone[0])
			continue;
		if (gc_zone_apply(p, items, n, i, add, ids[i], sizeof ids[i], err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	if (add && first == 0)
		first = gc_wait_all(p, items, ids, n, errbuf, errlen);
	free(items);
	free(ids);
	return first;
}

static int gc_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return gc_batch(s, recs, n, true, errbuf, errlen);
}

static int gc_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return gc_batch(s, recs, n, false, errbuf, errlen);
}

static void gc_priv_free(struct gc_priv *p)
{
	if (!p)
		return;
	oauth_token_clear(&p->tok);
	gcloud_account_clear(&p->acct);
	EVP_PKEY_free(p->key);
	free(p->base);
	free(p->project);
	free(p->where);
	free(p);
}

static void gc_destroy(struct solver *s)
{
	gc_priv_free(s->priv);
	free(s);
}

static const struct solver_ops gc_ops = {
	.name = "gcloud",
	.present = gc_present,
	.cleanup = gc_cleanup,
	.destroy = gc_destroy,
};

/* ---- options ---- */

/* Reads and parses the key file (at most 64 KiB, the buffer wiped), and loads its RSA key. */
static int gc_account_load(const char *file, struct gc_priv *p, char *errbuf, size_t errlen)
{
	char err[256];
	FILE *f = fopen(file, "rb");

	if (!f) {
		snprintf(errbuf, errlen, "gcloud: %s: %s", file, strerror(errno));
		return -1;
	}
	if (secret_fd_check(fileno(f), file, err, sizeof err) != 0) {
		snprintf(errbuf, errlen, "gcloud: %s", err);
		fclose(f);
		return -1;
	}
	char *buf = malloc(GC_FILE_MAX + 1);
	size_t len = buf ? fread(buf, 1, GC_FILE_MAX + 1, f) : 0;
	bool bad = !buf || ferror(f) || len > GC_FILE_MAX;
	int rc = -1;
	fclose(f);
	if (bad)
		snprintf(errbuf, errlen, "gcloud: %s: %s", file, buf ? "cannot read it, or larger than 64 KiB" : "out of memory");
	else if (gcloud_account_parse(buf, len, &p->acct, err, sizeof err) != 0)
		snprintf(errbuf, errlen, "gcloud: %s: not a service account key: %s", file, err);
	else if (!(p->key = key_from_pem(p->acct.private_key, strlen(p->acct.private_key))) ||
		 EVP_PKEY_get_base_id(p->key) != EVP_PKEY_RSA)
		snprintf(errbuf, errlen, "gcloud: %s: private_key is not an RSA key in PEM", file);
	else
		rc = 0;
	if (buf) {
		OPENSSL_cleanse(buf, len < GC_FILE_MAX ? len : GC_FILE_MAX);
		free(buf);
	}
	return rc;
}

static int gc_base(const char *url, struct gc_priv *p, char *errbuf, size_t errlen)
{
	size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	size_t len = strlen(url);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"<>\\?#", url[i]))
			skip = 0;
	while (len > skip && url[len - 1] == '/')
		len--;
	if (!skip || len == skip || url[skip] == '/' || len > GC_URL_MAX / 2) {
		snprintf(errbuf, errlen, "gcloud: the API URL must be http:// or https:// with a host, without query");
		return -1;
	}
	if (!(p->base = strndup(url, len)) || !(p->where = strndup(url, len))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int gc_options(const struct gcloud_options *o, struct gc_priv *p, char *errbuf, size_t errlen)
{
	if (!o->service_account_file || !*o->service_account_file) {
		snprintf(errbuf, errlen, "gcloud: the service account key file is missing (GCE_SERVICE_ACCOUNT_FILE, "
			 "--gcloud-service-account-file)");
		return -1;
	}
	if (gc_base(o->base_url && *o->base_url ? o->base_url : GCLOUD_BASE_URL, p, errbuf, errlen) != 0 ||
	    gc_account_load(o->service_account_file, p, errbuf, errlen) != 0)
		return -1;
	const char *project = o->project && *o->project ? o->project : p->acct.project_id;
	if (!project) {
		snprintf(errbuf, errlen, "gcloud: no project: set GCE_PROJECT (--gcloud-project), the key file has no "
			 "project_id");
		return -1;
	}
	if (!gc_id_ok(project) || (o->zone_id && *o->zone_id && !gc_id_ok(o->zone_id))) {
		snprintf(errbuf, errlen, "gcloud: the project id and zone name may hold letters, digits, '-', '_', '.' "
			 "and ':' only");
		return -1;
	}
	if (!(p->project = strdup(project))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (o->zone_id && *o->zone_id)
		snprintf(p->pinned, sizeof p->pinned, "%s", o->zone_id);
	return 0;
}

struct solver *solver_gcloud_new(const struct gcloud_options *o, char *errbuf, size_t errlen)
{
	struct solver *s = NULL;
	struct gc_priv *p = NULL;

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "gcloud: an HTTP client is required");
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s)) || !(p = calloc(1, sizeof *p))) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	if (gc_options(o, p, errbuf, errlen) != 0)
		goto fail;
	p->allow_private = o->allow_private_zone;
	p->ttl = o->ttl ? o->ttl : GC_DEFAULT_TTL;
	p->sync_timeout_s = o->sync_timeout_s > 0 ? o->sync_timeout_s : GC_SYNC_TIMEOUT;
	p->prov = (struct provider){ .name = "Google Cloud", .tag = "gcloud", .credentials = "service account key",
				     .http = o->http, .solver = s, .secrets = { p->acct.private_key } };
	s->ops = &gc_ops;
	/* A change takes at most 100 additions (the default rrsetAdditionsPerChange quota); the API's per-user rate
	 * quota is far above the 10 requests a second we allow ourselves. */
	s->caps = (struct solver_caps){ .appends = false, .batch_max = 100, .requests_per_minute = 600,
					.requests_per_record = 2, .min_ttl = 0, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
fail:
	gc_priv_free(p);
	free(s);
	return NULL;
}

/* The PowerDNS adapter: per zone, one read of the whole zone and one PATCH that carries each changed TXT RRset
 * whole (REPLACE replaces the set, so the records that are not ours are sent back as they were). */
#include "pdns.h"

#include "log.h"
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PD_URL_MAX 2048
#define PD_NAME_MAX 256                 /* a DNS name with its trailing dot, and the NUL */
#define PD_TXT_MAX 255                  /* one character-string */
#define PD_QUOTED_MAX (2 * PD_TXT_MAX + 3)
#define PD_KEY_MAX 512
#define PD_ID_MAX 64
#define PD_DEFAULT_TTL 60
#define PD_KEY_HDR "X-API-Key: "

struct pd_priv {
	char *api;                      /* "<api_url>/api/v1/servers/<server id>" */
	char *where;                    /* the API URL as given, for people and the journal */
	char *key_hdr;                  /* PD_KEY_HDR "<key>"; wiped on free */
	char server_id[PD_ID_MAX + 1];
	struct provider prov;           /* the HTTP client, retries, error texts; the key is its secret */
	uint32_t ttl;
	bool server_seen;               /* GET of the server id answered 200 */
};

/* One record of a batch with the name it is written at and its zone, in PowerDNS's form (lower case, final dot). */
struct pd_item {
	const struct solver_record *rec;
	char name[PD_NAME_MAX];
	char zone[PD_NAME_MAX];
};

/* ---- names and TXT content ---- */

/* PowerDNS's form of a DNS name: lower case with the final dot. Returns -1 for anything but letters, digits, '-',
 * '_' and non-empty labels (the name goes into a URL path unescaped, so nothing else may pass). */
static int pd_name(const char *in, char *out, size_t outlen)
{
	return provider_name(in, out, outlen, true);
}

int pdns_txt_quote(const char *value, char *out, size_t outlen)
{
	size_t k = 0, len = value ? strlen(value) : 0;

	if (len == 0 || len > PD_TXT_MAX || outlen < 3)
		return -1;
	out[k++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (k + 4 > outlen)
			return -1;
		if (c == '"' || c == '\\')
			out[k++] = '\\';
		out[k++] = (char)c;
	}
	out[k++] = '"';
	out[k] = '\0';
	return 0;
}

/* The first record of arr whose content is exactly content, or NULL. */
static json_t *pd_record_find(const json_t *arr, const char *content)
{
	size_t i;
	json_t *r;

	json_array_foreach(arr, i, r) {
		const char *c = json_string_value(json_object_get(r, "content"));
		if (c && strcmp(c, content) == 0)
			return r;
	}
	return NULL;
}

/* Whether r is an enabled record holding one of values. */
static bool pd_record_is_ours(const json_t *r, const char *const *values, size_t n)
{
	const char *c = json_string_value(json_object_get(r, "content"));
	char q[PD_QUOTED_MAX];

	if (!c || json_is_true(json_object_get(r, "disabled")))
		return false;
	for (size_t i = 0; i < n; i++)
		if (pdns_txt_quote(values[i], q, sizeof q) == 0 && strcmp(c, q) == 0)
			return true;
	return false;
}

/* Appends our values that res lacks. */
static int pd_merge_add(json_t *res, const char *const *values, size_t n, bool *changed, char *errbuf,
			size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char q[PD_QUOTED_MAX];
		json_t *had;
		if (pdns_txt_quote(values[i], q, sizeof q) != 0) {
			snprintf(errbuf, errlen, "pdns: a TXT value is empty, too long or not printable ASCII");
			return -1;
		}
		if ((had = pd_record_find(res, q)) && json_is_true(json_object_get(had, "disabled"))) {
			snprintf(errbuf, errlen, "pdns: the value %s is there as a disabled record we did not create; "
				 "not touching it", q);
			return -1;
		}
		if (had)
			continue;
		if (json_array_append_new(res, json_pack("{s:s, s:b}", "content", q, "disabled", 0)) != 0) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		*changed = true;
	}
	return 0;
}

int pdns_txt_merge(const json_t *records, const char *const *values, size_t n, bool add, json_t **out,
		   bool *changed, char *errbuf, size_t errlen)
{
	json_t *res = json_array(), *r;
	size_t i;

	*out = NULL;
	*changed = false;
	if (!res || (records && !json_is_array(records))) {
		snprintf(errbuf, errlen, res ? "pdns: the RRset's records are not a list" : "out of memory");
		json_decref(res);
		return -1;
	}
	json_array_foreach(records, i, r) {
		if (!add && pd_record_is_ours(r, values, n)) {
			*changed = true;
			continue;
		}
		/* kept as PowerDNS gave it: content, disabled, and whatever a later version adds */
		if (json_array_append_new(res, json_deep_copy(r)) != 0) {
			snprintf(errbuf, errlen, "out of memory");
			json_decref(res);
			return -1;
		}
	}
	if (add && pd_merge_add(res, values, n, changed, errbuf, errlen) != 0) {
		json_decref(res);
		return -1;
	}
	*out = res;
	return 0;
}

/* ---- the HTTP API ---- */

/* One API call, with the retries every adapter gets (provider.c). */
static int pd_call(struct pd_priv *p, const char *method, const char *url, const char *body,
		   struct http_response *r, char *errbuf, size_t errlen)
{
	const char *hdrs[] = { p->key_hdr, "Accept: application/json", NULL };

	return provider_call(&p->prov, method, url, body ? "application/json" : NULL, body, hdrs, r, errbuf, errlen);
}

/* The error of an answer that is not what was asked for. what names the request ("PATCH zone example.com."). */
static void pd_fail(const struct pd_priv *p, const struct http_response *r, const char *what, char *errbuf,
		    size_t errlen)
{
	char text[256];

	if (r->status != 422) {
		provider_fail(&p->prov, r, what, errbuf, errlen);
		return;
	}
	provider_error_text(&p->prov, r, text, sizeof text);
	snprintf(errbuf, errlen, "pdns: %s: PowerDNS refused it: %s", what, text);
}

/* GET of a zone: with its RRsets into *zj, or (zj NULL) only whether it is there. Returns 1 when it is, 0 when
 * PowerDNS has no such zone (404), -1 with errbuf set. */
static int pd_zone_get(struct pd_priv *p, const char *zone, json_t **zj, char *errbuf, size_t errlen)
{
	char url[PD_URL_MAX], what[PD_NAME_MAX + 16];
	struct http_response r;
	int rc = -1;

	/* The whole zone, not the rrset_name/rrset_type filter: PowerDNS 4.7 leaves disabled records out of a
	 * filtered answer, and a REPLACE built from it would delete them. */
	snprintf(url, sizeof url, "%s/zones/%s%s", p->api, zone, zj ? "" : "?rrsets=false");
	snprintf(what, sizeof what, "GET zone %s", zone);
	if (pd_call(p, "GET", url, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 404) {
		rc = 0;
	} else if (r.status != 200) {
		pd_fail(p, &r, what, errbuf, errlen);
	} else if (!zj) {
		rc = 1;
	} else if (!(*zj = json_loadb(r.body, r.body_len, 0, NULL)) || !json_is_array(json_object_get(*zj, "rrsets"))) {
		snprintf(errbuf, errlen, "pdns: %s: the answer is not a zone with RRsets", what);
		json_decref(*zj);
		*zj = NULL;
	} else {
		rc = 1;
	}
	http_response_clear(&r);
	return rc;
}

/* ---- zones ---- */

/* Clean-up takes a zone PowerDNS does not have as "nothing of ours there". PowerDNS answers 404 for an unknown
 * server id too, so a wrong one would strike records off the journal that are still in place: the server id is
 * confirmed first. Returns 0, or -1 with errbuf set. */
static int pd_server_check(struct pd_priv *p, char *errbuf, size_t errlen)
{
	char what[PD_ID_MAX + 32];
	struct http_response r;
	int rc = -1;

	if (p->server_seen)
		return 0;
	snprintf(what, sizeof what, "GET server %s", p->server_id);
	if (pd_call(p, "GET", p->api, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status == 200)
		rc = 0;
	else if (r.status == 404)
		snprintf(errbuf, errlen, "pdns: PowerDNS at %s has no server id %s (--pdns-server-id)", p->where,
			 p->server_id);
	else
		pd_fail(p, &r, what, errbuf, errlen);
	http_response_clear(&r);
	p->server_seen = rc == 0;
	return rc;
}

/* Finds the zone of it: the one the resolvers see (rec->zone), else the longest name from it->name upwards that
 * PowerDNS has. Returns 1 with it->zone set, 0 when PowerDNS has none, -1 with errbuf set. */
static int pd_zone_find(struct pd_priv *p, struct pd_item *it, char *errbuf, size_t errlen)
{
	if (it->rec->zone && *it->rec->zone) {
		if (pd_name(it->rec->zone, it->zone, sizeof it->zone) != 0) {
			snprintf(errbuf, errlen, "pdns: \"%s\" is not a zone name", it->rec->zone);
			return -1;
		}
		return 1;
	}
	for (const char *cand = it->name; *cand;) {
		int rc = pd_zone_get(p, cand, NULL, errbuf, errlen);
		if (rc != 0) {
			if (rc == 1)
				snprintf(it->zone, sizeof it->zone, "%s", cand);
			return rc;
		}
		cand = strchr(cand, '.') + 1;   /* names end with a dot, so there is one */
	}
	return 0;
}

/* Fills items from recs: names checked and normalised, zones found (once per name). For clean-up a name whose zone
 * PowerDNS does not have gets zone "" (nothing of ours can be there). Returns 0 or -1 with errbuf set. */
static int pd_items(struct pd_priv *p, const struct solver_record *recs, size_t n, struct pd_item *items, bool add,
		    char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *where = recs[i].target && *recs[i].target ? recs[i].target : recs[i].fqdn;
		size_t k;
		items[i].rec = &recs[i];
		if (!recs[i].value || pd_name(where, items[i].name, sizeof items[i].name) != 0) {
			snprintf(errbuf, errlen, "pdns: \"%s\" is not a name we can write a TXT record at",
				 where ? where : "(none)");
			return -1;
		}
		for (k = 0; k < i && strcmp(items[k].name, items[i].name) != 0; k++)
			;
		if (k < i) {
			memcpy(items[i].zone, items[k].zone, sizeof items[i].zone);
			continue;
		}
		int rc = pd_zone_find(p, &items[i], errbuf, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0 && add) {
			snprintf(errbuf, errlen, "pdns: no zone for %s at PowerDNS (server %s at %s)", items[i].name,
				 p->server_id, p->where);
			return -1;
		}
		if (rc == 0 && pd_server_check(p, errbuf, errlen) != 0)
			return -1;
		if (rc == 0)
			log_info("pdns: no zone for %s at PowerDNS: nothing to remove there", items[i].name);
	}
	return 0;
}

/* ---- one zone ---- */

/* The existing TXT RRset at name in the zone, or NULL. */
static json_t *pd_rrset_find(json_t *zj, const char *name)
{
	size_t i;
	json_t *rr;

	json_array_foreach(json_object_get(zj, "rrsets"), i, rr) {
		const char *n = json_string_value(json_object_get(rr, "name"));
		const char *t = json_string_value(json_object_get(rr, "type"));
		if (n && t && strcasecmp(n, name) == 0 && strcmp(t, "TXT") == 0)
			return rr;
	}
	return NULL;
}

/* Adds to patch the change of the TXT RRset at name: REPLACE with the merged set (the existing TTL kept), or
 * DELETE when taking ours out leaves it empty; nothing when the set stays as it is. Returns 0 or -1. */
static int pd_rrset_change(const struct pd_priv *p, json_t *zj, const char *name, const char *const *values,
			   size_t nv, bool add, json_t *patch, char *errbuf, size_t errlen)
{
	json_t *old = pd_rrset_find(zj, name), *merged = NULL, *rr;
	json_int_t ttl = json_is_integer(json_object_get(old, "ttl")) ? json_integer_value(json_object_get(old, "ttl"))
								       : (json_int_t)p->ttl;
	bool changed;

	if (pdns_txt_merge(json_object_get(old, "records"), values, nv, add, &merged, &changed, errbuf, errlen) != 0)
		return -1;
	if (!changed) {
		json_decref(merged);
		return 0;
	}
	if (json_array_size(merged) == 0) {
		/* REPLACE with no records would do the same; DELETE says what is meant */
		json_decref(merged);
		rr = json_pack("{s:s, s:s, s:s}", "name", name, "type", "TXT", "changetype", "DELETE");
	} else {
		rr = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", name, "type", "TXT", "ttl", ttl, "changetype",
			       "REPLACE", "records", merged);
	}
	if (json_array_append_new(patch, rr) != 0) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The values of the items from i on that are in zone at name. values has room for n. */
static size_t pd_values_at(const struct pd_item *items, size_t n, size_t i, const char **values)
{
	size_t nv = 0;

	for (size_t j = i; j < n; j++)
		if (strcmp(items[j].zone, items[i].zone) == 0 && strcmp(items[j].name, items[i].name) == 0)
			values[nv++] = items[j].rec->value;
	return nv;
}

/* Builds the PATCH body of zone items[i].zone: one change per name of the batch in that zone. */
static int pd_zone_patch(const struct pd_priv *p, json_t *zj, const struct pd_item *items, size_t n, size_t i,
			 bool add, json_t *patch, char *errbuf, size_t errlen)
{
	const char **values = calloc(n, sizeof *values);
	int rc = 0;

	if (!values) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (size_t j = i; rc == 0 && j < n; j++) {
		bool seen = false;
		if (strcmp(items[j].zone, items[i].zone) != 0)
			continue;
		for (size_t k = i; k < j && !seen; k++)
			seen = strcmp(items[k].zone, items[j].zone) == 0 && strcmp(items[k].name, items[j].name) == 0;
		if (!seen)
			rc = pd_rrset_change(p, zj, items[j].name, values, pd_values_at(items, n, j, values), add,
					     patch, errbuf, errlen);
	}
	free(values);
	return rc;
}

/* Sends one PATCH of zone with the RRset changes in patch. Returns 0 or -1 with errbuf set. */
static int pd_patch_send(struct pd_priv *p, const char *zone, json_t *patch, char *errbuf, size_t errlen)
{
	char url[PD_URL_MAX], what[PD_NAME_MAX + 16];
	json_t *doc = json_pack("{s:O}", "rrsets", patch);
	char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	struct http_response r;
	int rc = -1;

	json_decref(doc);
	snprintf(url, sizeof url, "%s/zones/%s", p->api, zone);
	snprintf(what, sizeof what, "PATCH zone %s", zone);
	if (!body) {
		snprintf(errbuf, errlen, "out of memory");
	} else if (pd_call(p, "PATCH", url, body, &r, errbuf, errlen) == 0) {
		if (r.status == 204 || r.status == 200)
			rc = 0;
		else
			pd_fail(p, &r, what, errbuf, errlen);
		http_response_clear(&r);
	}
	free(body);
	return rc;
}

/* Reads the zone of items[i] and sends one PATCH with every change the batch makes in it. PowerDNS has no
 * conditional PATCH, so a change another writer makes to the same RRset between our read and our write is lost:
 * the window is one round trip. */
static int pd_zone_apply(struct pd_priv *p, const struct pd_item *items, size_t n, size_t i, bool add,
			 char *errbuf, size_t errlen)
{
	const char *zone = items[i].zone;
	json_t *zj = NULL, *patch;
	int rc = pd_zone_get(p, zone, &zj, errbuf, errlen);

	if (rc == 0 && add)
		snprintf(errbuf, errlen, "pdns: no zone for %s at PowerDNS (server %s has no zone %s)", items[i].name,
			 p->server_id, zone);
	else if (rc == 0 && pd_server_check(p, errbuf, errlen) != 0)
		rc = -1;
	else if (rc == 0)
		log_info("pdns: PowerDNS has no zone %s: nothing to remove there", zone);
	if (rc <= 0)
		return rc == 0 && !add ? 0 : -1;
	if (!(patch = json_array())) {
		snprintf(errbuf, errlen, "out of memory");
		rc = -1;
	} else {
		rc = pd_zone_patch(p, zj, items, n, i, add, patch, errbuf, errlen);
	}
	if (rc == 0 && json_array_size(patch) == 0)
		log_debug("pdns: zone %s: nothing to change", zone);
	else if (rc == 0 && (rc = pd_patch_send(p, zone, patch, errbuf, errlen)) == 0)
		log_info("pdns: zone %s: %s %zu TXT RRset%s", zone, add ? "merged our values into" : "took our values out of",
			 json_array_size(patch), json_array_size(patch) == 1 ? "" : "s");
	json_decref(patch);
	json_decref(zj);
	return rc;
}

/* ---- the solver ---- */

/* Present (add) or clean up a batch, zone by zone. Clean-up goes on after a failed zone and returns the first
 * error; present stops at the first. */
static int pd_batch(struct solver *s, const struct solver_record *recs, size_t n, bool add, char *errbuf,
		    size_t errlen)
{
	struct pd_priv *p = s->priv;
	struct pd_item *items = calloc(n ? n : 1, sizeof *items);
	int first = 0;

	if (!items) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (pd_items(p, recs, n, items, add, errbuf, errlen) != 0) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < n && !(add && first); i++) {
		char err[1024] = "";
		size_t k;
		for (k = 0; k < i && strcmp(items[k].zone, items[i].zone) != 0; k++)
			;
		if (k < i || !items[i].zone[0])
			continue;               /* done with an earlier record, or no zone to clean */
		if (pd_zone_apply(p, items, n, i, add, err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	free(items);
	return first;
}

static int pd_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return pd_batch(s, recs, n, true, errbuf, errlen);
}

static int pd_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return pd_batch(s, recs, n, false, errbuf, errlen);
}

static void pd_priv_free(struct pd_priv *p)
{
	if (!p)
		return;
	if (p->key_hdr)
		explicit_bzero(p->key_hdr, strlen(p->key_hdr));
	free(p->key_hdr);
	free(p->api);
	free(p->where);
	free(p);
}

static void pd_destroy(struct solver *s)
{
	pd_priv_free(s->priv);
	free(s);
}

static const struct solver_ops pd_ops = {
	.name = "pdns",
	.present = pd_present,
	.cleanup = pd_cleanup,
	.destroy = pd_destroy,
};

/* ---- options ---- */

/* The API URL without trailing slashes or "/api/v1" (lego's PDNS_API_URL has neither; some users add it).
 * Returns its length, or 0 when it is not an http(s) URL with a host. */
static size_t pd_url_base(const char *url)
{
	size_t len = url ? strlen(url) : 0, skip;

	if (len == 0 || len >= PD_URL_MAX - 512)
		return 0;
	skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"<>\\?#", url[i]))
			return 0;
	while (len > skip && url[len - 1] == '/')
		len--;
	if (len >= skip + 7 && strncmp(url + len - 7, "/api/v1", 7) == 0)
		len -= 7;
	while (len > skip && url[len - 1] == '/')
		len--;
	return skip && len > skip && url[skip] != '/' ? len : 0;
}

static bool pd_key_ok(const char *key)
{
	size_t len = key ? strlen(key) : 0;

	if (len == 0 || len > PD_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return false;
	return true;
}

static bool pd_id_ok(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > PD_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", id[i]))
			return false;
	return true;
}

/* Checks o; writes the base URL's length to *base. Never quotes the key. */
static int pd_options_check(const struct pdns_options *o, size_t *base, char *errbuf, size_t errlen)
{
	const char *id = o && o->server_id && *o->server_id ? o->server_id : "localhost";

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "pdns: an HTTP client is required");
	} else if (!o->api_url || !*o->api_url) {
		snprintf(errbuf, errlen, "pdns: the API URL is missing (--pdns-api-url or PDNS_API_URL)");
	} else if (!(*base = pd_url_base(o->api_url))) {
		snprintf(errbuf, errlen, "pdns: the API URL must be http:// or https:// with a host, without query "
			 "or spaces");
	} else if (!o->api_key || !*o->api_key) {
		snprintf(errbuf, errlen, "pdns: the API key is missing (--pdns-api-key or PDNS_API_KEY)");
	} else if (!pd_key_ok(o->api_key)) {
		snprintf(errbuf, errlen, "pdns: the API key must be printable ASCII without spaces, at most %d "
			 "characters", PD_KEY_MAX);
	} else if (!pd_id_ok(id)) {
		snprintf(errbuf, errlen, "pdns: the server id must be letters, digits, '.', '_' or '-' (at most %d)",
			 PD_ID_MAX);
	} else {
		return 0;
	}
	return -1;
}

struct solver *solver_pdns_new(const struct pdns_options *o, char *errbuf, size_t errlen)
{
	const char *id;
	struct solver *s;
	struct pd_priv *p;
	size_t base = 0, len;

	if (pd_options_check(o, &base, errbuf, errlen) != 0)
		return NULL;
	id = o->server_id && *o->server_id ? o->server_id : "localhost";
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	len = base + sizeof "/api/v1/servers/" + strlen(id);
	if (p && (p->api = malloc(len)))
		snprintf(p->api, len, "%.*s/api/v1/servers/%s", (int)base, o->api_url, id);
	if (p && (p->key_hdr = malloc(sizeof PD_KEY_HDR + strlen(o->api_key))))
		snprintf(p->key_hdr, sizeof PD_KEY_HDR + strlen(o->api_key), PD_KEY_HDR "%s", o->api_key);
	if (p)
		p->where = strdup(o->api_url);
	if (!s || !p || !p->api || !p->key_hdr || !p->where) {
		snprintf(errbuf, errlen, "out of memory");
		pd_priv_free(p);
		free(s);
		return NULL;
	}
	snprintf(p->server_id, sizeof p->server_id, "%s", id);
	p->prov = (struct provider){ .name = "PowerDNS", .tag = "pdns", .credentials = "X-API-Key", .http = o->http,
				     .solver = s, .secrets = { p->key_hdr + strlen(PD_KEY_HDR) } };
	p->ttl = o->ttl ? o->ttl : PD_DEFAULT_TTL;
	s->ops = &pd_ops;
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
}

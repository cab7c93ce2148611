/* The per-record API driver: zones found once per name, one record per value, deleted by the id we were given. */
#include "record_api.h"

#include "log.h"
#include "provider.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RAPI_TXT_MAX 255

/* A record this run created: where, and the id the provider answered. */
struct rapi_entry {
	char name[RAPI_NAME_MAX];
	char *value;
	struct rapi_zone zone;
	char id[RAPI_ID_MAX];
};

/* A zone lookup made: name -> the provider's zone, or none. */
struct rapi_lookup {
	char name[RAPI_NAME_MAX];
	bool found;
	struct rapi_zone zone;
};

struct rapi {
	const char *tag, *provider;
	const struct rapi_ops *ops;
	void *ctx;
	const struct solver *solver;
	struct rapi_entry *ids;
	size_t n_ids, cap_ids;
	struct rapi_lookup *zones;
	size_t n_zones, cap_zones;
};

struct rapi *rapi_new(const char *tag, const char *provider, const struct rapi_ops *ops, void *ctx)
{
	struct rapi *r = calloc(1, sizeof *r);

	if (r)
		*r = (struct rapi){ .tag = tag, .provider = provider, .ops = ops, .ctx = ctx };
	return r;
}

void rapi_free(struct rapi *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ids; i++)
		free(r->ids[i].value);
	free(r->ids);
	free(r->zones);
	free(r);
}

void rapi_set_solver(struct rapi *r, const struct solver *s)
{
	r->solver = s;
}

/* ---- the ledger ---- */

static struct rapi_entry *ledger_find(struct rapi *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->n_ids; i++)
		if (strcmp(r->ids[i].name, name) == 0 && strcmp(r->ids[i].value, value) == 0)
			return &r->ids[i];
	return NULL;
}

static int ledger_add(struct rapi *r, const char *name, const char *value, const struct rapi_zone *z, const char *id)
{
	if (r->n_ids == r->cap_ids) {
		size_t cap = r->cap_ids ? 2 * r->cap_ids : 8;
		struct rapi_entry *v = realloc(r->ids, cap * sizeof *v);
		if (!v)
			return -1;
		r->ids = v;
		r->cap_ids = cap;
	}
	struct rapi_entry *e = &r->ids[r->n_ids];
	if (!(e->value = strdup(value)))
		return -1;
	snprintf(e->name, sizeof e->name, "%s", name);
	snprintf(e->id, sizeof e->id, "%s", id);
	e->zone = *z;
	r->n_ids++;
	return 0;
}

static void ledger_drop(struct rapi *r, struct rapi_entry *e)
{
	free(e->value);
	*e = r->ids[--r->n_ids];
}

/* ---- zones ---- */

/* The provider's zone named exactly name, asked once per run. Returns 1, 0 (none) or -1. */
static int zone_cached(struct rapi *r, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < r->n_zones; i++) {
		if (strcmp(r->zones[i].name, name) == 0) {
			*z = r->zones[i].zone;
			return r->zones[i].found;
		}
	}
	int rc = r->ops->zone_get(r->ctx, name, z, errbuf, errlen);
	if (rc < 0)
		return -1;
	if (r->n_zones == r->cap_zones) {
		size_t cap = r->cap_zones ? 2 * r->cap_zones : 8;
		struct rapi_lookup *v = realloc(r->zones, cap * sizeof *v);
		if (!v)
			return rc;              /* not remembered: asked again next time */
		r->zones = v;
		r->cap_zones = cap;
	}
	struct rapi_lookup *l = &r->zones[r->n_zones++];
	snprintf(l->name, sizeof l->name, "%s", name);
	l->found = rc == 1;
	l->zone = *z;
	return rc;
}

/* The zone of name: the one the resolvers see (hint), which the provider must have under exactly that name, else
 * the longest name from name upwards that it has. Returns 1 with z set, 0 when it has none, -1 with errbuf set. */
static int zone_of(struct rapi *r, const char *name, const char *hint, struct rapi_zone *z, char *errbuf,
		   size_t errlen)
{
	char zone[RAPI_NAME_MAX], rel[RAPI_NAME_MAX];

	if (hint && *hint) {
		if (rapi_name(hint, zone, sizeof zone) != 0 || rapi_relative(name, zone, rel, sizeof rel) != 0) {
			snprintf(errbuf, errlen, "%s: \"%s\" is not a zone that holds %s", r->tag, hint, name);
			return -1;
		}
		return zone_cached(r, zone, z, errbuf, errlen);
	}
	for (const char *cand = name; cand;) {
		int rc = zone_cached(r, cand, z, errbuf, errlen);
		if (rc != 0)
			return rc;
		cand = strchr(cand, '.');
		cand = cand ? cand + 1 : NULL;
	}
	return 0;
}

/* ---- present and clean-up ---- */

static bool cancelled(const struct rapi *r)
{
	return r->solver && r->solver->cancel && *r->solver->cancel;
}

/* The normalised name a record is written at. Returns 0 or -1 with errbuf set. */
static int record_name(const struct rapi *r, const struct solver_record *rec, char *name, size_t len, char *errbuf,
		       size_t errlen)
{
	const char *where = rec->target && *rec->target ? rec->target : rec->fqdn;

	if (!where || rapi_name(where, name, len) != 0) {
		snprintf(errbuf, errlen, "%s: \"%s\" is not a name we can write a TXT record at", r->tag,
			 where ? where : "(none)");
		return -1;
	}
	if (!rapi_txt_ok(rec->value)) {
		snprintf(errbuf, errlen, "%s: the TXT value for %s is empty, too long or not printable ASCII", r->tag,
			 name);
		return -1;
	}
	return 0;
}

static int present_one(struct rapi *r, const struct solver_record *rec, char *errbuf, size_t errlen)
{
	char name[RAPI_NAME_MAX], id[RAPI_ID_MAX] = "";
	struct rapi_zone z;
	int rc;

	if (record_name(r, rec, name, sizeof name, errbuf, errlen) != 0)
		return -1;
	if (ledger_find(r, name, rec->value))
		return 0;               /* created by this run already */
	if ((rc = zone_of(r, name, rec->zone, &z, errbuf, errlen)) < 0)
		return -1;
	if (rc == 0 && rec->zone && *rec->zone) {
		snprintf(errbuf, errlen, "%s: no zone for %s at %s (the resolvers see it in zone %s)", r->tag, name,
			 r->provider, rec->zone);
		return -1;
	}
	if (rc == 0) {
		snprintf(errbuf, errlen, "%s: no zone for %s at %s", r->tag, name, r->provider);
		return -1;
	}
	if (r->ops->create(r->ctx, &z, name, rec->value, id, sizeof id, errbuf, errlen) != 0)
		return -1;
	if (!id[0]) {
		/* No id: clean-up finds it by its content, as after a killed run. */
		log_info("%s: zone %s: TXT %s \"%s\" is there already", r->tag, z.name, name, rec->value);
		return 0;
	}
	log_info("%s: zone %s: created TXT %s \"%s\" (id %s)", r->tag, z.name, name, rec->value, id);
	if (ledger_add(r, name, rec->value, &z, id) != 0)
		log_warn("%s: out of memory: clean-up will look record %s up by its content", r->tag, id);
	return 0;
}

int rapi_present(struct rapi *r, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (cancelled(r)) {
			snprintf(errbuf, errlen, "%s: interrupted", r->tag);
			return -1;
		}
		if (present_one(r, &recs[i], errbuf, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Deletes the records at name in z holding value that a lookup finds (no id known). */
static int cleanup_found(struct rapi *r, const struct rapi_zone *z, const char *name, const char *value,
			 char *errbuf, size_t errlen)
{
	char ids[RAPI_FIND_MAX][RAPI_ID_MAX];
	size_t n = 0;

	if (r->ops->find(r->ctx, z, name, value, ids, RAPI_FIND_MAX, &n, errbuf, errlen) != 0)
		return -1;
	if (n == 0)
		log_info("%s: zone %s: no TXT %s \"%s\": nothing to remove", r->tag, z->name, name, value);
	for (size_t i = 0; i < n; i++) {
		if (r->ops->remove(r->ctx, z, ids[i], errbuf, errlen) != 0)
			return -1;
		log_info("%s: zone %s: deleted TXT %s \"%s\" (id %s, found by its content)", r->tag, z->name, name,
			 value, ids[i]);
	}
	return 0;
}

static int cleanup_one(struct rapi *r, const struct solver_record *rec, char *errbuf, size_t errlen)
{
	char name[RAPI_NAME_MAX];
	struct rapi_zone z;
	struct rapi_entry *e;
	int rc;

	if (record_name(r, rec, name, sizeof name, errbuf, errlen) != 0)
		return -1;
	if ((e = ledger_find(r, name, rec->value))) {
		if (r->ops->remove(r->ctx, &e->zone, e->id, errbuf, errlen) != 0)
			return -1;
		log_info("%s: zone %s: deleted TXT %s \"%s\" (id %s)", r->tag, e->zone.name, name, rec->value, e->id);
		ledger_drop(r, e);
		return 0;
	}
	if ((rc = zone_of(r, name, rec->zone, &z, errbuf, errlen)) < 0)
		return -1;
	if (rc == 0) {
		log_info("%s: no zone for %s at %s: nothing to remove there", r->tag, name, r->provider);
		return 0;
	}
	return cleanup_found(r, &z, name, rec->value, errbuf, errlen);
}

int rapi_cleanup(struct rapi *r, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		char err[1024] = "";
		if (cleanup_one(r, &recs[i], err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	return first;
}

/* ---- checks ---- */

int rapi_name(const char *in, char *out, size_t outlen)
{
	return provider_name(in, out, outlen, false);
}

int rapi_relative(const char *name, const char *zone, char *out, size_t outlen)
{
	size_t n = strlen(name), z = strlen(zone);

	if (z == 0 || outlen < 2)
		return -1;
	if (strcasecmp(name, zone) == 0) {
		snprintf(out, outlen, "@");
		return 0;
	}
	if (n <= z + 1 || name[n - z - 1] != '.' || strcasecmp(name + n - z, zone) != 0 || n - z - 1 >= outlen)
		return -1;
	snprintf(out, outlen, "%.*s", (int)(n - z - 1), name);
	return 0;
}

bool rapi_txt_ok(const char *value)
{
	size_t len = value ? strlen(value) : 0;

	if (len == 0 || len > RAPI_TXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e || value[i] == '"' ||
		    value[i] == '\\')
			return false;
	return true;
}

bool rapi_txt_is(const char *content, const char *value)
{
	size_t c = content ? strlen(content) : 0, v = value ? strlen(value) : 0;

	if (!content || !value)
		return false;
	if (c == v)
		return strcmp(content, value) == 0;
	return c == v + 2 && content[0] == '"' && content[c - 1] == '"' && strncmp(content + 1, value, v) == 0;
}

size_t rapi_base_url(const char *url, size_t max)
{
	size_t len = url ? strlen(url) : 0, skip;

	if (len == 0 || len > max)
		return 0;
	skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"'<>\\?#`{}|^", url[i]))
			return 0;
	const char *host_end = strchr(url + skip, '/');
	const char *at = strchr(url + skip, '@');
	if (at && (!host_end || at < host_end))
		return 0;
	while (len > skip && url[len - 1] == '/')
		len--;
	return skip && len > skip && url[skip] != '/' ? len : 0;
}

bool rapi_id_ok(const char *id)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0 || len >= RAPI_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", id[i]))
			return false;
	return true;
}

bool rapi_token_ok(const char *t, size_t max)
{
	size_t len = t ? strlen(t) : 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return false;
	return true;
}

char *rapi_header(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 3;
	char *h = malloc(len);

	if (h)
		snprintf(h, len, "%s: %s", name, value);
	return h;
}

void rapi_secret_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

long rapi_page_of(const char *url)
{
	const char *q = url ? strchr(url, '?') : NULL;

	for (const char *p = q; p; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, "page=", 5) != 0)
			continue;
		char *end;
		long n = strtol(p + 6, &end, 10);
		return (*end == '\0' || *end == '&' || *end == '#') && n > 0 && n < 1000000 ? n : 0;
	}
	return 0;
}

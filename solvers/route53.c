/* The Route 53 adapter: per hosted zone, the TXT set of each name is read, our values merged in (or taken out),
 * and one change batch replaces each set whole by a DELETE of what was read plus a CREATE of the result, then
 * GetChange is polled until INSYNC. Every request is signed with SigV4 (sigv4.c). */
#include "route53.h"

#include "log.h"
#include "secretfile.h"
#include "provider.h"
#include "sigv4.h"
#include "txtset.h"
#include "xml.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define R53_API "/2013-04-01"
#define R53_XMLNS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_REGION "us-east-1"          /* Route 53 is global: its endpoint signs in us-east-1 */
#define R53_SERVICE "route53"
#define R53_URL_MAX 2048
#define R53_NAME_MAX 256
#define R53_DEFAULT_TTL 60
#define R53_SYNC_TIMEOUT 300
#define R53_PAGES_MAX 50                /* of hosted zones sharing one name: far more than anyone has */
#define R53_ZONES_MAX 16
#define R53_SEEN_MAX 8
#define R53_CHANGE_TRIES 3              /* a batch refused because a set changed since our read is built again */
#define R53_THROTTLE_TRIES 3
#define R53_CRED_FILE_MAX (64 * 1024)
#define R53_SECRET_MAX 128
#define R53_TOKEN_MAX 4096
#define R53_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

struct r53_priv {
	char *base;                     /* scheme and host of the endpoint, e.g. "https://route53.amazonaws.com" */
	char *prefix;                   /* the endpoint's path, "" or "/proxy" (signed as part of every path) */
	char *host;                     /* the Host header, as signed */
	char *where;                    /* the endpoint as given */
	struct route53_credentials cred;
	char *token_h;                  /* "X-Amz-Security-Token: ..." or NULL; wiped on free */
	struct provider prov;
	char pinned_id[ROUTE53_ZONE_ID_MAX + 1];        /* AWS_HOSTED_ZONE_ID, "" when not pinned */
	char pinned_name[R53_NAME_MAX];                 /* its name, once read */
	bool private_zone;
	uint32_t ttl;
	int sync_timeout_s;
	/* zones found so far (name -> id), so present and clean-up of one run look each up once */
	struct {
		char name[R53_NAME_MAX];
		char id[ROUTE53_ZONE_ID_MAX + 1];
	} seen[R53_SEEN_MAX];
	size_t n_seen;
};

/* One record of a batch with the name it is written at and its hosted zone. */
struct r53_item {
	const struct solver_record *rec;
	char name[R53_NAME_MAX];        /* lower case, final dot */
	char zone_id[ROUTE53_ZONE_ID_MAX + 1];  /* "" for clean-up when Route 53 has no zone for it */
	char zone_name[R53_NAME_MAX];
};

/* ---- names and values ---- */

/* Route 53's form of a name: lower case, final dot. Only letters, digits, '-', '_' and dots between labels (the
 * name goes into a query string and XML; nothing else needs to pass). */
static int r53_name(const char *in, char *out, size_t outlen)
{
	return provider_name(in, out, outlen, true);
}

/* Whether name is zone or below it (both lower case with the final dot). */
static bool r53_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	return n >= z && strcasecmp(name + n - z, zone) == 0 && (n == z || name[n - z - 1] == '.');
}

/* s, or "" for NULL. */
static const char *r53_nz(const char *s)
{
	return s ? s : "";
}

/* ---- XML ---- */

static void r53_xml_rrset(struct xml_writer *w, const char *action, const char *name, uint32_t ttl,
			  const json_t *values)
{
	char num[16];
	size_t i;
	json_t *v;

	snprintf(num, sizeof num, "%u", (unsigned)ttl);
	xml_open(w, "Change");
	xml_leaf(w, "Action", action);
	xml_open(w, "ResourceRecordSet");
	xml_leaf(w, "Name", name);
	xml_leaf(w, "Type", "TXT");
	xml_leaf(w, "TTL", num);
	xml_open(w, "ResourceRecords");
	json_array_foreach(values, i, v) {
		xml_open(w, "ResourceRecord");
		xml_leaf(w, "Value", json_string_value(v));
		xml_close(w, "ResourceRecord");
	}
	xml_close(w, "ResourceRecords");
	xml_close(w, "ResourceRecordSet");
	xml_close(w, "Change");
}

char *route53_change_xml(const struct txtset_change *c, size_t n, const char *comment)
{
	struct xml_writer *w = xml_writer_new(0);

	if (!w)
		return NULL;
	xml_root(w, "ChangeResourceRecordSetsRequest", R53_XMLNS);
	xml_open(w, "ChangeBatch");
	if (comment)
		xml_leaf(w, "Comment", comment);
	xml_open(w, "Changes");
	for (size_t i = 0; i < n; i++) {
		if (json_array_size(c[i].old_values) > 0)
			r53_xml_rrset(w, "DELETE", c[i].name, c[i].old_ttl, c[i].old_values);
		if (json_array_size(c[i].new_values) > 0)
			r53_xml_rrset(w, "CREATE", c[i].name, c[i].new_ttl, c[i].new_values);
	}
	xml_close(w, "Changes");
	xml_close(w, "ChangeBatch");
	xml_close(w, "ChangeResourceRecordSetsRequest");
	return xml_writer_finish(w);
}

static bool r53_name_eq(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return a && la == lb && strncasecmp(a, b, la) == 0;
}

static int r53_rrset_values(const struct xml_node *set, const char *name, json_t **values, uint32_t *ttl,
			    char *errbuf, size_t errlen)
{
	const char *t = xml_find_text(set, "TTL");
	char *end;
	unsigned long v = t ? strtoul(t, &end, 10) : 0;

	if (xml_child(set, "SetIdentifier") || xml_child(set, "AliasTarget")) {
		snprintf(errbuf, errlen, "route53: the TXT record set at %s has a routing policy or is an alias; "
			 "not touching it", name);
		return -1;
	}
	if (!t || *end || v > UINT32_MAX) {
		snprintf(errbuf, errlen, "route53: the TXT record set at %s has no TTL", name);
		return -1;
	}
	*ttl = (uint32_t)v;
	if (!(*values = json_array())) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (const struct xml_node *r = xml_find(set, "ResourceRecords/ResourceRecord"); r; r = xml_next(r))
		json_array_append_new(*values, json_string(xml_find_text(r, "Value") ? xml_find_text(r, "Value") : ""));
	return 1;
}

int route53_rrset_parse(const char *xml, size_t len, const char *name, json_t **values, uint32_t *ttl,
			char *errbuf, size_t errlen)
{
	char err[256];
	struct xml_node *root = xml_parse(xml, len, err, sizeof err);
	int rc = 0;

	*values = NULL;
	if (!root || strcmp(xml_name(root), "ListResourceRecordSetsResponse") != 0) {
		snprintf(errbuf, errlen, "route53: ListResourceRecordSets: not its answer%s%s", root ? "" : ": ",
			 root ? "" : err);
		xml_free(root);
		return -1;
	}
	/* The answer starts at (name, TXT) in Route 53's order and goes on past it: only an exact match counts. */
	for (const struct xml_node *s = xml_find(root, "ResourceRecordSets/ResourceRecordSet"); s && rc == 0;
	     s = xml_next(s)) {
		if (r53_name_eq(xml_find_text(s, "Name"), name) && strcmp(r53_nz(xml_find_text(s, "Type")), "TXT") == 0)
			rc = r53_rrset_values(s, name, values, ttl, errbuf, errlen);
	}
	xml_free(root);
	return rc;
}

int route53_zone_pick(const struct route53_zone *zones, size_t n, const char *zone, bool want_private, char *errbuf,
		      size_t errlen)
{
	char ids[256] = "", others[256] = "";
	size_t k = 0, found = 0, other = 0;

	for (size_t i = 0; i < n; i++) {
		char *list = zones[i].private_zone == want_private ? ids : others;
		snprintf(list + strlen(list), 256 - strlen(list), "%s%s", *list ? ", " : "", zones[i].id);
		if (zones[i].private_zone == want_private) {
			k = i;
			found++;
		} else {
			other++;
		}
	}
	if (found == 1)
		return (int)k;
	if (found > 1)
		snprintf(errbuf, errlen, "route53: %zu %s hosted zones are named %s (%s): choose one with "
			 "AWS_HOSTED_ZONE_ID (--route53-hosted-zone-id)", found, want_private ? "private" : "public",
			 zone, ids);
	else if (other)
		snprintf(errbuf, errlen, "route53: %s is only a %s hosted zone (%s); %s", zone,
			 want_private ? "public" : "private", others,
			 want_private ? "leave out AWS_PRIVATE_ZONE (--route53-private-zone) to use it"
				      : "set AWS_PRIVATE_ZONE=true (--route53-private-zone) to use it");
	else
		snprintf(errbuf, errlen, "route53: no hosted zone %s", zone);
	return -1;
}

/* ---- requests ---- */

/* The AWS error code of an error answer ("Throttling", "SignatureDoesNotMatch"), or "". */
static void r53_error_code(const struct http_response *r, char *out, size_t outlen)
{
	const char *c = r->body ? strstr(r->body, "<Code>") : NULL;
	size_t k = 0;

	for (c = c ? c + 6 : ""; k + 1 < outlen && *c && strchr(R53_ALNUM, *c); c++)
		out[k++] = *c;
	out[k] = '\0';
}

/* The headers of one signed request: Host, X-Amz-Date and Authorization (the session token's is p->token_h). */
struct r53_headers {
	char host[300], date[64], auth[1100];
};

static int r53_sign(const struct r53_priv *p, const char *method, const char *path, const char *query,
		    const char *body, struct r53_headers *h)
{
	char date[SIGV4_DATE_LEN + 1], auth[1024];
	int rc;

	sigv4_amz_date(time(NULL), date);
	struct sigv4_request sr = { .method = method, .host = p->host, .path = path, .query = query, .payload = body,
				    .payload_len = body ? strlen(body) : 0, .amz_date = date,
				    .session_token = p->cred.session_token, .region = R53_REGION, .service = R53_SERVICE };
	rc = sigv4_authorization(&sr, p->cred.access_key_id, p->cred.secret_access_key, auth, sizeof auth);
	snprintf(h->host, sizeof h->host, "Host: %s", p->host);
	snprintf(h->date, sizeof h->date, "X-Amz-Date: %s", date);
	snprintf(h->auth, sizeof h->auth, "Authorization: %s", auth);
	OPENSSL_cleanse(auth, sizeof auth);
	return rc;
}

/* Whether an answer is Route 53's own "slow down": 400 Throttling or PriorRequestNotComplete. */
static bool r53_throttled(const struct http_response *r, char *code, size_t codelen)
{
	code[0] = '\0';
	if (r->status != 400)
		return false;
	r53_error_code(r, code, codelen);
	return strcmp(code, "Throttling") == 0 || strcmp(code, "PriorRequestNotComplete") == 0;
}

/* One signed request (path below the API, query encoded). Retries 429/5xx (provider.c) and, as AWS asks, the
 * 400 answers Throttling and PriorRequestNotComplete after a growing wait (1, 2, 4 s). */
static int r53_call(struct r53_priv *p, const char *method, const char *path, const char *query, const char *body,
		    struct http_response *r, char *errbuf, size_t errlen)
{
	char full[R53_URL_MAX], url[R53_URL_MAX], code[64];
	struct r53_headers h;
	int rc = -1;

	int nf = snprintf(full, sizeof full, "%s" R53_API "%s", p->prefix, path);
	int nu = snprintf(url, sizeof url, "%s%s%s%s", p->base, full, query && *query ? "?" : "", query ? query : "");
	if (nf < 0 || (size_t)nf >= sizeof full || nu < 0 || (size_t)nu >= sizeof url) {
		snprintf(errbuf, errlen, "route53: %s: the URL is too long", method);
		return -1;
	}
	for (int attempt = 0; attempt <= R53_THROTTLE_TRIES; attempt++) {
		if (r53_sign(p, method, full, query, body, &h) != 0) {
			snprintf(errbuf, errlen, "route53: cannot sign %s %s", method, full);
			rc = -1;
			break;
		}
		const char *hdrs[] = { h.host, h.date, h.auth, p->token_h, NULL };
		rc = provider_call(&p->prov, method, url, body ? "application/xml" : NULL, body, hdrs, r, errbuf, errlen);
		if (rc != 0 || attempt == R53_THROTTLE_TRIES || !r53_throttled(r, code, sizeof code))
			break;
		log_warn("route53: %s %s: %s, trying again in %d s", method, full, code, 1 << attempt);
		http_response_clear(r);
		if (provider_pause(&p->prov, 1L << attempt) != 0) {
			snprintf(errbuf, errlen, "route53: %s %s: interrupted while waiting to try again", method, full);
			rc = -1;
			break;
		}
	}
	OPENSSL_cleanse(&h, sizeof h);
	return rc;
}

/* The error of an answer that is not what was asked for; the AWS error code is added to a refusal (it says
 * whether the signature, the key or the permission was wrong, and holds no secret). */
static void r53_fail(const struct r53_priv *p, const struct http_response *r, const char *what, char *errbuf,
		     size_t errlen)
{
	char code[64];

	provider_fail(&p->prov, r, what, errbuf, errlen);
	r53_error_code(r, code, sizeof code);
	if ((r->status == 401 || r->status == 403) && code[0] && strlen(errbuf) + strlen(code) + 4 < errlen)
		snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf), " %s", code);
}

/* A GET whose answer must be 200 and XML with the root element root. Returns 0 with *doc, or -1. */
static int r53_get_xml(struct r53_priv *p, const char *path, const char *query, const char *root, const char *what,
		       struct xml_node **doc, char *errbuf, size_t errlen)
{
	struct http_response r;
	char err[256];

	*doc = NULL;
	if (r53_call(p, "GET", path, query, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status != 200)
		r53_fail(p, &r, what, errbuf, errlen);
	else if (!(*doc = xml_parse(r.body, r.body_len, err, sizeof err)) || strcmp(xml_name(*doc), root) != 0)
		snprintf(errbuf, errlen, "route53: %s: the answer is not a %s%s%s", what, root, *doc ? "" : ": ",
			 *doc ? "" : err);
	if (*doc && strcmp(xml_name(*doc), root) != 0) {
		xml_free(*doc);
		*doc = NULL;
	}
	http_response_clear(&r);
	return *doc ? 0 : -1;
}

/* ---- hosted zones ---- */

/* "/hostedzone/Z123" or "Z123" as the bare id. Returns -1 for anything but letters and digits. */
static int r53_zone_id(const char *in, char *out, size_t outlen)
{
	const char *id = in && strncmp(in, "/hostedzone/", 12) == 0 ? in + 12 : in;
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= outlen || n > ROUTE53_ZONE_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
			return -1;
	memcpy(out, id, n + 1);
	return 0;
}

/* Adds the zones of one ListHostedZonesByName page that are named zone to zs. Returns 1 when the next page may
 * hold more of them (its query in next), 0 when not, -1 with errbuf set. */
static int r53_zones_page(const struct xml_node *doc, const char *zone, struct route53_zone *zs, size_t *n,
			  char *next, size_t nextlen, char *errbuf, size_t errlen)
{
	bool past = false;

	for (const struct xml_node *z = xml_find(doc, "HostedZones/HostedZone"); z; z = xml_next(z)) {
		if (!r53_name_eq(xml_find_text(z, "Name"), zone)) {
			past = true;            /* sorted by name: the rest are other names */
			continue;
		}
		if (*n == R53_ZONES_MAX || r53_zone_id(xml_find_text(z, "Id"), zs[*n].id, sizeof zs[*n].id) != 0) {
			snprintf(errbuf, errlen, "route53: too many hosted zones named %s, or one with a bad id", zone);
			return -1;
		}
		zs[(*n)++].private_zone = strcmp(r53_nz(xml_find_text(z, "Config/PrivateZone")), "true") == 0;
	}
	const char *more = xml_find_text(doc, "IsTruncated"), *nname = xml_find_text(doc, "NextDNSName");
	char nid[ROUTE53_ZONE_ID_MAX + 1], enc[R53_NAME_MAX * 3];
	if (past || !more || strcmp(more, "true") != 0 || !r53_name_eq(nname, zone))
		return 0;
	if (r53_zone_id(xml_find_text(doc, "NextHostedZoneId"), nid, sizeof nid) != 0 ||
	    sigv4_uri_encode(zone, enc, sizeof enc) != 0) {
		snprintf(errbuf, errlen, "route53: ListHostedZonesByName: a truncated page without a next zone id");
		return -1;
	}
	snprintf(next, nextlen, "dnsname=%s&hostedzoneid=%s&maxitems=100", enc, nid);
	return 1;
}

/* Every hosted zone named zone (both kinds), following the pages. Returns their number, or -1. */
static int r53_zones_named(struct r53_priv *p, const char *zone, struct route53_zone *zs, char *errbuf,
			   size_t errlen)
{
	char query[R53_URL_MAX], enc[R53_NAME_MAX * 3], what[R53_NAME_MAX + 48];
	size_t n = 0;
	int more = 1;

	if (sigv4_uri_encode(zone, enc, sizeof enc) != 0)
		return -1;
	snprintf(query, sizeof query, "dnsname=%s&maxitems=100", enc);
	snprintf(what, sizeof what, "ListHostedZonesByName %s", zone);
	for (int page = 0; more == 1; page++) {
		struct xml_node *doc;
		if (page == R53_PAGES_MAX) {
			snprintf(errbuf, errlen, "route53: %s: more than %d pages", what, R53_PAGES_MAX);
			return -1;
		}
		if (r53_get_xml(p, "/hostedzonesbyname", query, "ListHostedZonesByNameResponse", what, &doc, errbuf,
				errlen) != 0)
			return -1;
		more = r53_zones_page(doc, zone, zs, &n, query, sizeof query, errbuf, errlen);
		xml_free(doc);
		if (more < 0)
			return -1;
	}
	return (int)n;
}

/* The name of the pinned zone (GetHostedZone), once. */
static int r53_pinned_name(struct r53_priv *p, char *errbuf, size_t errlen)
{
	char path[128], what[128];
	struct xml_node *doc;

	if (p->pinned_name[0])
		return 0;
	snprintf(path, sizeof path, "/hostedzone/%s", p->pinned_id);
	snprintf(what, sizeof what, "GetHostedZone %s", p->pinned_id);
	if (r53_get_xml(p, path, NULL, "GetHostedZoneResponse", what, &doc, errbuf, errlen) != 0)
		return -1;
	if (r53_name(xml_find_text(doc, "HostedZone/Name"), p->pinned_name, sizeof p->pinned_name) != 0)
		snprintf(errbuf, errlen, "route53: %s: the answer has no zone name", what);
	xml_free(doc);
	return p->pinned_name[0] ? 0 : -1;
}

/* The pinned zone for it, which must hold its name. Returns 1 or -1. */
static int r53_zone_pinned(struct r53_priv *p, struct r53_item *it, char *errbuf, size_t errlen)
{
	if (r53_pinned_name(p, errbuf, errlen) != 0)
		return -1;
	if (!r53_in_zone(it->name, p->pinned_name)) {
		snprintf(errbuf, errlen, "route53: %s is not in the hosted zone %s (%s, AWS_HOSTED_ZONE_ID)", it->name,
			 p->pinned_id, p->pinned_name);
		return -1;
	}
	snprintf(it->zone_id, sizeof it->zone_id, "%s", p->pinned_id);
	snprintf(it->zone_name, sizeof it->zone_name, "%s", p->pinned_name);
	return 1;
}

/* Finds its hosted zone: the pinned one (which must hold the name), else the zone named as the resolvers see it
 * (rec->zone), else the closest name from it->name up that Route 53 has. Returns 1 with it->zone_id set, 0 when
 * there is none, -1 with errbuf set. */
static int r53_zone_find(struct r53_priv *p, struct r53_item *it, char *errbuf, size_t errlen)
{
	struct route53_zone zs[R53_ZONES_MAX];
	char cand[R53_NAME_MAX];

	if (p->pinned_id[0])
		return r53_zone_pinned(p, it, errbuf, errlen);
	bool given = it->rec->zone && *it->rec->zone;
	if (r53_name(given ? it->rec->zone : it->name, cand, sizeof cand) != 0) {
		snprintf(errbuf, errlen, "route53: \"%s\" is not a zone name", it->rec->zone);
		return -1;
	}
	/* the zone the resolvers named, looked up before; a walk up asks again (a deeper zone may exist) */
	for (size_t i = 0; given && i < p->n_seen; i++) {
		if (strcmp(cand, p->seen[i].name) == 0) {
			snprintf(it->zone_id, sizeof it->zone_id, "%s", p->seen[i].id);
			snprintf(it->zone_name, sizeof it->zone_name, "%s", p->seen[i].name);
			return 1;
		}
	}
	for (char *c = cand; *c; c = strchr(c, '.') + 1) {
		int n = r53_zones_named(p, c, zs, errbuf, errlen);
		if (n < 0)
			return -1;
		if (n == 0 && !given)
			continue;
		if (n == 0)
			return 0;
		int k = route53_zone_pick(zs, (size_t)n, c, p->private_zone, errbuf, errlen);
		if (k < 0)
			return -1;
		snprintf(it->zone_id, sizeof it->zone_id, "%s", zs[k].id);
		snprintf(it->zone_name, sizeof it->zone_name, "%s", c);
		if (p->n_seen < R53_SEEN_MAX) {
			snprintf(p->seen[p->n_seen].name, sizeof p->seen[0].name, "%s", c);
			snprintf(p->seen[p->n_seen++].id, sizeof p->seen[0].id, "%s", zs[k].id);
		}
		return 1;
	}
	return 0;
}

/* Fills items from recs: names checked and normalised, zones found (once per name). For clean-up a name in no
 * zone of Route 53 gets zone_id "" (nothing of ours can be there). Returns 0 or -1 with errbuf set. */
static int r53_items(struct r53_priv *p, const struct solver_record *recs, size_t n, struct r53_item *items,
		     bool add, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *where = recs[i].target && *recs[i].target ? recs[i].target : recs[i].fqdn;
		size_t k;
		items[i].rec = &recs[i];
		if (!recs[i].value || r53_name(where, items[i].name, sizeof items[i].name) != 0) {
			snprintf(errbuf, errlen, "route53: \"%s\" is not a name we can write a TXT record at",
				 where ? where : "(none)");
			return -1;
		}
		for (k = 0; k < i && strcmp(items[k].name, items[i].name) != 0; k++)
			;
		if (k < i) {
			memcpy(items[i].zone_id, items[k].zone_id, sizeof items[i].zone_id);
			memcpy(items[i].zone_name, items[k].zone_name, sizeof items[i].zone_name);
			continue;
		}
		int rc = r53_zone_find(p, &items[i], errbuf, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0 && add) {
			snprintf(errbuf, errlen, "route53: no hosted zone for %s at %s", items[i].name, p->where);
			return -1;
		}
		if (rc == 0)
			log_info("route53: no hosted zone for %s: nothing to remove there", items[i].name);
		else
			log_debug("route53: %s is in hosted zone %s (%s, %s)", items[i].name, items[i].zone_id,
				  items[i].zone_name, p->private_zone ? "private" : "public");
	}
	return 0;
}

/* ---- one zone's change ---- */


/* Reads the TXT set at s->name. */
static int r53_set_read(void *ctx, const char *zone_id, struct txtset_set *s, char *errbuf, size_t errlen)
{
	struct r53_priv *p = ctx;
	char path[128], query[R53_URL_MAX], enc[R53_NAME_MAX * 3], what[R53_NAME_MAX + 48];
	struct http_response r;
	int rc;

	json_decref(s->old_values);
	s->old_values = NULL;
	if (sigv4_uri_encode(s->name, enc, sizeof enc) != 0)
		return -1;
	snprintf(path, sizeof path, "/hostedzone/%s/rrset", zone_id);
	snprintf(query, sizeof query, "name=%s&type=TXT&maxitems=1", enc);
	snprintf(what, sizeof what, "ListResourceRecordSets %s TXT", s->name);
	if (r53_call(p, "GET", path, query, NULL, &r, errbuf, errlen) != 0)
		return -1;
	if (r.status != 200) {
		r53_fail(p, &r, what, errbuf, errlen);
		rc = -1;
	} else {
		rc = route53_rrset_parse(r.body, r.body_len, s->name, &s->old_values, &s->old_ttl, errbuf, errlen);
	}
	http_response_clear(&r);
	return rc < 0 ? -1 : 0;
}


/* Polls GetChange until INSYNC, at a growing interval (1 s, 2 s, ... 5 s), within p->sync_timeout_s. */
static int r53_wait_insync(struct r53_priv *p, const char *change_id, char *errbuf, size_t errlen)
{
	char path[128], what[128];
	time_t start = time(NULL);

	snprintf(path, sizeof path, "/change/%s", change_id);
	snprintf(what, sizeof what, "GetChange %s", change_id);
	for (int poll = 1;; poll++) {
		long wait = poll < 5 ? poll : 5;
		struct xml_node *doc;
		if (time(NULL) - start + wait > p->sync_timeout_s) {
			snprintf(errbuf, errlen, "route53: change %s is not INSYNC after %d s", change_id, p->sync_timeout_s);
			return -1;
		}
		if (provider_pause(&p->prov, wait) != 0) {
			snprintf(errbuf, errlen, "route53: interrupted while waiting for change %s", change_id);
			return -1;
		}
		if (r53_get_xml(p, path, NULL, "GetChangeResponse", what, &doc, errbuf, errlen) != 0)
			return -1;
		const char *st = xml_find_text(doc, "ChangeInfo/Status");
		int rc = !st ? -1 : strcmp(st, "INSYNC") == 0 ? 0 : strcmp(st, "PENDING") == 0 ? 1 : -1;
		if (rc < 0)
			snprintf(errbuf, errlen, "route53: %s: unexpected status %.32s", what, st ? st : "(none)");
		else if (rc == 0)
			log_info("route53: change %s is INSYNC (after %ld s)", change_id, (long)(time(NULL) - start));
		else
			log_info("route53: change %s is PENDING", change_id);
		xml_free(doc);
		if (rc <= 0)
			return rc;
	}
}

/* The id of a ChangeInfo: "/change/C123" gives "C123". */
static int r53_change_id(const struct xml_node *doc, char *id, size_t idlen)
{
	const char *v = xml_find_text(doc, "ChangeInfo/Id");
	const char *slash = v ? strrchr(v, '/') : NULL;
	return r53_zone_id(slash ? slash + 1 : v, id, idlen);
}

/* Sends the change batch. Returns 0 with the change id in id, 1 when Route 53 refused it as no longer matching
 * (InvalidChangeBatch: read again), -1 with errbuf set. */
static int r53_change_send(void *ctx, const char *zone_id, const struct txtset_change *c, size_t nc,
			   char *id, size_t idlen, char *errbuf, size_t errlen)
{
	struct r53_priv *p = ctx;
	char path[128], what[128], err[256];
	char *body = route53_change_xml(c, nc, "acme-dns-cli dns-01 challenge");
	struct http_response r;
	struct xml_node *doc = NULL;
	int rc = -1;

	snprintf(path, sizeof path, "/hostedzone/%s/rrset", zone_id);
	snprintf(what, sizeof what, "ChangeResourceRecordSets %s", zone_id);
	if (!body) {
		snprintf(errbuf, errlen, "route53: cannot write the change batch");
		return -1;
	}
	if (r53_call(p, "POST", path, NULL, body, &r, errbuf, errlen) == 0) {
		if (r.status == 400 && r.body && strstr(r.body, "InvalidChangeBatch")) {
			provider_error_text(&p->prov, &r, err, sizeof err);
			snprintf(errbuf, errlen, "route53: %s: Route 53 refused the batch: %s", what, err);
			rc = 1;
		} else if (r.status != 200) {
			r53_fail(p, &r, what, errbuf, errlen);
		} else if (!(doc = xml_parse(r.body, r.body_len, err, sizeof err)) ||
			   r53_change_id(doc, id, idlen) != 0) {
			snprintf(errbuf, errlen, "route53: %s: the answer has no change id", what);
		} else {
			log_info("route53: change %s in zone %s: %s", id, zone_id, r53_nz(xml_find_text(doc, "ChangeInfo/Status")));
			rc = 0;
		}
		http_response_clear(&r);
	}
	xml_free(doc);
	free(body);
	return rc;
}

/* Reads, merges and writes every name of zone items[i].zone_id in one batch; a batch refused because a set
 * changed meanwhile is built again from a new read (R53_CHANGE_TRIES times). The change's id goes to id ("" when
 * nothing changed). */
static int r53_zone_apply(struct r53_priv *p, const struct r53_item *items, size_t n, size_t i, bool add, char *id,
			  size_t idlen, char *errbuf, size_t errlen)
{
	static const struct txtset_ops ops = { .tag = "route53", .tries = R53_CHANGE_TRIES, .read = r53_set_read,
					       .send = r53_change_send };
	struct txtset_item *view = calloc(n, sizeof *view);
	size_t nc = 0;
	int rc = -1;

	if (!view) {
		snprintf(errbuf, errlen, "out of memory");
		id[0] = '\0';
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		view[j] = (struct txtset_item){ .zone = items[j].zone_id, .name = items[j].name, .value = items[j].rec->value };
	rc = txtset_zone_apply(&ops, p, view, n, i, add, p->ttl, id, idlen, &nc, errbuf, errlen);
	free(view);
	if (rc == 0 && nc == 0)
		log_debug("route53: zone %s: nothing to change", items[i].zone_name);
	else if (rc == 0)
		log_info("route53: zone %s (%s): %s %zu TXT record set%s", items[i].zone_name, items[i].zone_id,
			 add ? "merged our values into" : "took our values out of", nc, nc == 1 ? "" : "s");
	return rc;
}

/* ---- the solver ---- */

/* Present waits until every zone's change is INSYNC; they were all sent first, so the waits overlap. Clean-up
 * need not wait: nothing depends on the records being gone everywhere at once. */
static int r53_wait_all(struct r53_priv *p, char (*ids)[ROUTE53_ZONE_ID_MAX + 1], size_t n, char *errbuf,
			size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i][0] && r53_wait_insync(p, ids[i], errbuf, errlen) != 0)
			return -1;
	return 0;
}

static int r53_batch(struct solver *s, const struct solver_record *recs, size_t n, bool add, char *errbuf,
		     size_t errlen)
{
	struct r53_priv *p = s->priv;
	struct r53_item *items = calloc(n ? n : 1, sizeof *items);
	char (*ids)[ROUTE53_ZONE_ID_MAX + 1] = calloc(n ? n : 1, sizeof *ids);
	int first = 0;

	if (!items || !ids || r53_items(p, recs, n, items, add, errbuf, errlen) != 0) {
		if (!items || !ids)
			snprintf(errbuf, errlen, "out of memory");
		free(items);
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < n && !(add && first); i++) {
		char err[1024] = "";
		size_t k;
		for (k = 0; k < i && strcmp(items[k].zone_id, items[i].zone_id) != 0; k++)
			;
		if (k < i || !items[i].zone_id[0])
			continue;
		if (r53_zone_apply(p, items, n, i, add, ids[i], sizeof ids[i], err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	if (add && first == 0)
		first = r53_wait_all(p, ids, n, errbuf, errlen);
	free(items);
	free(ids);
	return first;
}

static int r53_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return r53_batch(s, recs, n, true, errbuf, errlen);
}

static int r53_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	return r53_batch(s, recs, n, false, errbuf, errlen);
}

static void r53_priv_free(struct r53_priv *p)
{
	if (!p)
		return;
	route53_credentials_clear(&p->cred);
	if (p->token_h) {
		OPENSSL_cleanse(p->token_h, strlen(p->token_h));
		free(p->token_h);
	}
	free(p->base);
	free(p->prefix);
	free(p->host);
	free(p->where);
	free(p);
}

static void r53_destroy(struct solver *s)
{
	r53_priv_free(s->priv);
	free(s);
}

static const struct solver_ops r53_ops = {
	.name = "route53",
	.present = r53_present,
	.cleanup = r53_cleanup,
	.destroy = r53_destroy,
};

/* ---- credentials ---- */

static char *r53_trim(char *s)
{
	size_t n = strlen(s);
	while (*s == ' ' || *s == '\t')
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int r53_cred_set(char **slot, const char *v)
{
	if (*slot) {
		OPENSSL_cleanse(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = strdup(v);
	return *slot ? 0 : -1;
}

/* One "key = value" line of the profile's section. */
static int r53_cred_line(char *line, struct route53_credentials *out)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return 0;
	*eq = '\0';
	char *key = r53_trim(line), *value = r53_trim(eq + 1);
	if (strcasecmp(key, "aws_access_key_id") == 0)
		return r53_cred_set(&out->access_key_id, value);
	if (strcasecmp(key, "aws_secret_access_key") == 0)
		return r53_cred_set(&out->secret_access_key, value);
	if (strcasecmp(key, "aws_session_token") == 0)
		return r53_cred_set(&out->session_token, value);
	return 0;
}

int route53_credentials_parse(const char *text, const char *profile, struct route53_credentials *out, char *errbuf,
			      size_t errlen)
{
	const char *want = profile && *profile ? profile : "default";
	char *copy = strdup(text ? text : ""), *save = NULL;
	bool in = false, seen = false, nested = false;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!copy) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (char *line = strtok_r(copy, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		bool indented = line[0] == ' ' || line[0] == '\t';
		char *t = r53_trim(line);
		if (!*t || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			char *end = strchr(t, ']');
			if (end)
				*end = '\0';
			in = end && strcmp(r53_trim(t + 1), want) == 0;
			seen |= in;
			nested = false;
			continue;
		}
		/* "s3 =" followed by indented "key = value" lines is a sub-section: its keys are not the profile's */
		if (indented && nested)
			continue;
		char *eq = strchr(t, '=');
		nested = eq && !*r53_trim(eq + 1);
		if (in && r53_cred_line(t, out) != 0)
			rc = -1;
	}
	OPENSSL_cleanse(copy, strlen(text ? text : ""));
	free(copy);
	if (rc != 0)
		snprintf(errbuf, errlen, "out of memory");
	else if (!seen)
		snprintf(errbuf, errlen, "no profile [%s]", want);
	else if (!out->access_key_id || !*out->access_key_id || !out->secret_access_key || !*out->secret_access_key)
		snprintf(errbuf, errlen, "profile [%s] has no aws_access_key_id and aws_secret_access_key", want);
	else
		return 0;
	route53_credentials_clear(out);
	return -1;
}

void route53_credentials_clear(struct route53_credentials *c)
{
	char **slots[] = { &c->access_key_id, &c->secret_access_key, &c->session_token };
	for (size_t i = 0; i < 3; i++) {
		if (*slots[i])
			OPENSSL_cleanse(*slots[i], strlen(*slots[i]));
		free(*slots[i]);
		*slots[i] = NULL;
	}
}

/* Reads the shared credentials file (at most 64 KiB), wiping the buffer afterwards. */
static int r53_cred_file(const struct route53_options *o, struct route53_credentials *c, char *errbuf, size_t errlen)
{
	char path[1024], err[256];
	const char *file = o->credentials_file;
	FILE *f;

	if (!file || !*file) {
		if (!o->home || !*o->home) {
			snprintf(errbuf, errlen, "route53: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
				 "or AWS_SHARED_CREDENTIALS_FILE (and AWS_PROFILE)");
			return -1;
		}
		snprintf(path, sizeof path, "%s/.aws/credentials", o->home);
		file = path;
	}
	if (!(f = fopen(file, "rb"))) {
		snprintf(errbuf, errlen, "route53: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set "
			 "and %s cannot be read: %s", file, strerror(errno));
		return -1;
	}
	if (secret_fd_check(fileno(f), file, err, sizeof err) != 0) {
		snprintf(errbuf, errlen, "route53: %s", err);
		fclose(f);
		return -1;
	}
	char *buf = malloc(R53_CRED_FILE_MAX + 1);
	size_t len = buf ? fread(buf, 1, R53_CRED_FILE_MAX + 1, f) : 0;
	bool bad = !buf || ferror(f) || len > R53_CRED_FILE_MAX;
	fclose(f);
	int rc = -1;
	if (bad) {
		snprintf(errbuf, errlen, "route53: %s: %s", file, buf ? "cannot read it, or larger than 64 KiB" : "out of memory");
	} else {
		buf[len] = '\0';
		if ((rc = route53_credentials_parse(buf, o->profile, c, err, sizeof err)) != 0)
			snprintf(errbuf, errlen, "route53: %s: %s", file, err);
	}
	if (buf) {
		OPENSSL_cleanse(buf, len < R53_CRED_FILE_MAX ? len : R53_CRED_FILE_MAX);
		free(buf);
	}
	return rc;
}

static bool r53_printable(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* The credentials: the key pair given, else the shared file's profile. Checked, never quoted. */
static int r53_credentials(const struct route53_options *o, struct route53_credentials *c, char *errbuf,
			   size_t errlen)
{
	bool id = o->access_key_id && *o->access_key_id, secret = o->secret_access_key && *o->secret_access_key;

	if (id != secret) {
		snprintf(errbuf, errlen, "route53: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together");
		return -1;
	}
	if (id) {
		memset(c, 0, sizeof *c);
		if (r53_cred_set(&c->access_key_id, o->access_key_id) != 0 ||
		    r53_cred_set(&c->secret_access_key, o->secret_access_key) != 0 ||
		    (o->session_token && *o->session_token && r53_cred_set(&c->session_token, o->session_token) != 0)) {
			route53_credentials_clear(c);
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
	} else if (r53_cred_file(o, c, errbuf, errlen) != 0) {
		return -1;
	}
	const char *why = NULL;
	if (!r53_printable(c->access_key_id, 128) || strspn(c->access_key_id, R53_ALNUM) != strlen(c->access_key_id))
		why = "the access key id must be letters and digits";
	else if (!r53_printable(c->secret_access_key, R53_SECRET_MAX))
		why = "the secret access key must be printable ASCII without spaces";
	else if (c->session_token && !r53_printable(c->session_token, R53_TOKEN_MAX))
		why = "the session token must be printable ASCII without spaces";
	if (!why)
		return 0;
	snprintf(errbuf, errlen, "route53: %s", why);
	route53_credentials_clear(c);
	return -1;
}

/* ---- options ---- */

/* Splits the endpoint into scheme + host (base), path prefix and Host header. */
static int r53_endpoint(const char *url, struct r53_priv *p, char *errbuf, size_t errlen)
{
	size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	size_t len = strlen(url);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"<>\\?#%@", url[i]))
			skip = 0;
	while (len > skip && url[len - 1] == '/')
		len--;
	size_t host_end = skip + strcspn(url + skip, "/");
	if (host_end > len)
		host_end = len;
	if (!skip || host_end == skip || len > R53_URL_MAX / 2) {
		snprintf(errbuf, errlen, "route53: the endpoint must be an http:// or https:// URL with a host, "
			 "without query, user or escapes");
		return -1;
	}
	p->base = strndup(url, host_end);
	p->host = strndup(url + skip, host_end - skip);
	p->prefix = strndup(url + host_end, len - host_end);
	p->where = strndup(url, len);
	if (!p->base || !p->host || !p->prefix || !p->where) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (const char *c = p->prefix; *c; c++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/", *c)) {
			snprintf(errbuf, errlen, "route53: the endpoint's path may hold letters, digits and -._~/ only");
			return -1;
		}
	}
	return 0;
}

/* The session token's header, made once. */
static int r53_token_header(struct r53_priv *p, char *errbuf, size_t errlen)
{
	if (!p->cred.session_token)
		return 0;
	size_t n = strlen("X-Amz-Security-Token: ") + strlen(p->cred.session_token) + 1;
	if (!(p->token_h = malloc(n))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	snprintf(p->token_h, n, "X-Amz-Security-Token: %s", p->cred.session_token);
	return 0;
}

struct solver *solver_route53_new(const struct route53_options *o, char *errbuf, size_t errlen)
{
	struct solver *s = NULL;
	struct r53_priv *p = NULL;

	if (!o || !o->http) {
		snprintf(errbuf, errlen, "route53: an HTTP client is required");
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s)) || !(p = calloc(1, sizeof *p))) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	if (r53_endpoint(o->endpoint && *o->endpoint ? o->endpoint : ROUTE53_ENDPOINT, p, errbuf, errlen) != 0)
		goto fail;
	if (o->hosted_zone_id && *o->hosted_zone_id &&
	    r53_zone_id(o->hosted_zone_id, p->pinned_id, sizeof p->pinned_id) != 0) {
		snprintf(errbuf, errlen, "route53: the hosted zone id must be letters and digits (Z... or /hostedzone/Z...)");
		goto fail;
	}
	if (r53_credentials(o, &p->cred, errbuf, errlen) != 0 || r53_token_header(p, errbuf, errlen) != 0)
		goto fail;
	p->private_zone = o->private_zone;
	p->ttl = o->ttl ? o->ttl : R53_DEFAULT_TTL;
	p->sync_timeout_s = o->sync_timeout_s > 0 ? o->sync_timeout_s : R53_SYNC_TIMEOUT;
	p->prov = (struct provider){ .name = "Route 53", .tag = "route53", .credentials = "AWS access key",
				     .http = o->http, .solver = s,
				     .secrets = { p->cred.secret_access_key, p->cred.session_token } };
	s->ops = &r53_ops;
	/* Route 53 takes 5 requests a second per account. A batch costs one read per name, one change and a few
	 * polls; 1000 records per change batch is its limit, 100 keeps a batch's reads within a minute's budget. */
	s->caps = (struct solver_caps){ .appends = false, .batch_max = 100, .requests_per_minute = 300,
					.requests_per_record = 2, .min_ttl = 0, .follows_cname = true };
	s->priv = p;
	s->where = p->where;
	return s;
fail:
	r53_priv_free(p);
	free(s);
	return NULL;
}

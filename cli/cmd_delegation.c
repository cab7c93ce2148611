/* acme-dns-cli delegation: checks the CNAME from _acme-challenge.DOMAIN to the acme-dns subdomain through the
 * resolvers, and warns of what breaks or shadows it (a wildcard CNAME, a DNAME above) and of CAA records that
 * leave the CA out. */
#include "cmd_delegation.h"

#include "caa.h"
#include "dnsutil.h"
#include "log.h"

#include <openssl/rand.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DG_NAME_MAX 300
#define DG_CAA_MAX 32
#define DG_IDS_MAX 16

#define DG_TIMEOUT_MS 2000    /* per query */

struct dg_dns {
	ldns_resolver *res[DNSCHECK_MAX_RESOLVERS];
	char label[DNSCHECK_MAX_RESOLVERS][64];
	size_t n;
};

/* What the resolvers say about one name asked for its CNAME. */
struct dg_answer {
	bool cname;                     /* a CNAME owned by the name */
	char target[DG_NAME_MAX];       /* its target, lower case, no trailing dot */
	bool dname;                     /* a DNAME rewrote the name */
	char dname_owner[DG_NAME_MAX];
	char dname_target[DG_NAME_MAX];
};

struct dg_run {
	struct cli_ctx *c;
	struct dg_dns dns;
	const char *domain;             /* without "*." */
	bool wildcard;                  /* -d was "*.DOMAIN" */
	char name[DG_NAME_MAX];         /* _acme-challenge.DOMAIN */
	char expected[DG_NAME_MAX];
	struct dg_answer ans;
	json_t *warnings;
};

/* ---------- resolvers ---------- */


static void dg_dns_close(struct dg_dns *d)
{
	for (size_t i = 0; i < d->n; i++)
		ldns_resolver_deep_free(d->res[i]);
	d->n = 0;
}

static int dg_dns_open(const struct dnscheck_opts *o, struct dg_dns *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (!o->n_resolvers) {
		if (!(d->res[0] = dnsutil_resolver_open(NULL, true, DG_TIMEOUT_MS, err, errlen)))
			return -1;
		snprintf(d->label[d->n++], sizeof(d->label[0]), "the system resolver");
	}
	for (size_t i = 0; i < o->n_resolvers; i++) {
		if (!(d->res[d->n] = dnsutil_resolver_open(o->resolvers[i], true, DG_TIMEOUT_MS, err, errlen))) {
			dg_dns_close(d);
			return -1;
		}
		snprintf(d->label[d->n++], sizeof(d->label[0]), "%s", o->resolvers[i]);
	}
	return 0;
}

/* The answer of the first resolver that gives NOERROR or NXDOMAIN, or NULL with err set. */
static ldns_pkt *dg_query(struct dg_dns *d, const char *name, ldns_rr_type t, char *err, size_t errlen)
{
	ldns_rdf *qn = ldns_dname_new_frm_str(name);
	snprintf(err, errlen, "%s: no resolver answered", name);
	for (size_t i = 0; qn && i < d->n; i++) {
		ldns_pkt *q = NULL, *a = NULL;
		ldns_status st = ldns_resolver_prepare_query_pkt(&q, d->res[i], qn, t, LDNS_RR_CLASS_IN, LDNS_RD);
		if (st == LDNS_STATUS_OK && (st = dnsutil_send(d->res[i], q, &a)) == LDNS_STATUS_OK &&
		    !dnsutil_answer_matches(q, a))
			st = LDNS_STATUS_ERR;
		ldns_pkt_free(q);
		ldns_pkt_rcode rc = a ? ldns_pkt_get_rcode(a) : LDNS_RCODE_SERVFAIL;
		if (st == LDNS_STATUS_OK && (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)) {
			ldns_rdf_deep_free(qn);
			return a;
		}
		snprintf(err, errlen, "%s: %s: %s", name, d->label[i],
			 st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st) : "the resolver failed (rcode not NOERROR)");
		ldns_pkt_free(a);
	}
	ldns_rdf_deep_free(qn);
	return NULL;
}

/* ---------- reading answers ---------- */

/* A name rdf as text: lower case, no trailing dot. */
static void dg_name(const ldns_rdf *r, char *out, size_t outlen)
{
	char *s = ldns_rdf2str(r);
	size_t len = s ? strlen(s) : 0;
	if (len > 1 && s[len - 1] == '.')
		s[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	snprintf(out, outlen, "%s", s ? s : "");
	free(s);
}

static void dg_read_answer(const ldns_pkt *a, const char *name, struct dg_answer *ans)
{
	const ldns_rr_list *l = ldns_pkt_answer(a);
	ldns_rdf *qn = ldns_dname_new_frm_str(name);
	memset(ans, 0, sizeof(*ans));
	for (size_t i = 0; qn && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_rd_count(rr) != 1)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME && !ans->dname) {
			ans->dname = true;
			dg_name(ldns_rr_owner(rr), ans->dname_owner, sizeof(ans->dname_owner));
			dg_name(ldns_rr_rdf(rr, 0), ans->dname_target, sizeof(ans->dname_target));
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && !ans->cname &&
			   ldns_dname_compare(ldns_rr_owner(rr), qn) == 0) {
			ans->cname = true;
			dg_name(ldns_rr_rdf(rr, 0), ans->target, sizeof(ans->target));
		}
	}
	ldns_rdf_deep_free(qn);
}

static int dg_ask_cname(struct dg_run *r, const char *name, struct dg_answer *ans, char *err, size_t errlen)
{
	ldns_pkt *a = dg_query(&r->dns, name, LDNS_RR_TYPE_CNAME, err, errlen);
	if (!a)
		return -1;
	dg_read_answer(a, name, ans);
	ldns_pkt_free(a);
	return 0;
}

static void dg_warn(struct dg_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dg_warn(struct dg_run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "acme-dns-cli: warning: %s\n", msg);
	json_array_append_new(r->warnings, json_string(msg));
}

/* ---------- a wildcard CNAME next to the challenge name ---------- */

/* Asks the CNAME of a random sibling of _acme-challenge. Returns 1 with target set when a wildcard CNAME
 * answers for it, 0 when none does, -1 when the resolvers did not answer. */
static int dg_wildcard(struct dg_run *r, char *target, size_t tlen)
{
	unsigned char rnd[6];
	char probe[DG_NAME_MAX], err[512];
	struct dg_answer a;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	snprintf(probe, sizeof(probe), "_adns-probe-%02x%02x%02x%02x%02x%02x.%s", rnd[0], rnd[1], rnd[2], rnd[3],
		 rnd[4], rnd[5], r->domain);
	if (dg_ask_cname(r, probe, &a, err, sizeof(err)) < 0) {
		log_warn("wildcard check skipped: %s", err);
		return -1;
	}
	if (!a.cname)
		return 0;
	snprintf(target, tlen, "%s", a.target);
	return 1;
}

/* ---------- CAA ---------- */

struct dg_ids {
	const char *v[DG_IDS_MAX];
	size_t n;
	json_t *doc;                    /* the directory the names point into */
};

/* The CA's identities: --caa-identity, else the directory's meta.caaIdentities. Returns -1 (with a note) when
 * there are none to check against. */
static int dg_ids_load(struct cli_ctx *c, struct dg_ids *ids)
{
	const struct cli_options *o = c->opt;
	struct http_response resp = { 0 };
	char err[512];
	memset(ids, 0, sizeof(*ids));
	for (size_t i = 0; i < o->caa_identity.n && ids->n < DG_IDS_MAX; i++)
		ids->v[ids->n++] = o->caa_identity.v[i];
	if (ids->n)
		return 0;
	if (http_request(c->http, "GET", o->server, NULL, NULL, 0, NULL, &resp, err, sizeof(err)) == 0 &&
	    resp.status == 200)
		ids->doc = json_loadb(resp.body, resp.body_len, 0, NULL);
	http_response_clear(&resp);
	json_t *list = json_object_get(json_object_get(ids->doc, "meta"), "caaIdentities");
	for (size_t i = 0; i < json_array_size(list) && ids->n < DG_IDS_MAX; i++)
		if (json_is_string(json_array_get(list, i)))
			ids->v[ids->n++] = json_string_value(json_array_get(list, i));
	if (ids->n)
		return 0;
	fprintf(stderr, "acme-dns-cli: note: CAA check skipped: %s gives no caaIdentities (or cannot be reached); "
			"pass --caa-identity NAME\n", o->server);
	return -1;
}

/* Raw bytes of a CAA rdf (the tag carries a length byte in front). */
static void dg_caa_text(const ldns_rdf *f, bool is_tag, char *out, size_t outlen)
{
	const uint8_t *p = ldns_rdf_data(f);
	size_t len = ldns_rdf_size(f);
	if (is_tag && len && p[0] == len - 1) {
		p++;
		len--;
	}
	if (len >= outlen)
		len = outlen - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
	out[len] = '\0';
}

static size_t dg_caa_read(const ldns_pkt *a, struct cli_caa_rec *recs, size_t max)
{
	const ldns_rr_list *l = ldns_pkt_answer(a);
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CAA || ldns_rr_rd_count(rr) != 3)
			continue;
		recs[n].flags = ldns_rdf_size(ldns_rr_rdf(rr, 0)) ? ldns_rdf_data(ldns_rr_rdf(rr, 0))[0] : 0;
		dg_caa_text(ldns_rr_rdf(rr, 1), true, recs[n].tag, sizeof(recs[n].tag));
		dg_caa_text(ldns_rr_rdf(rr, 2), false, recs[n].value, sizeof(recs[n].value));
		n++;
	}
	return n;
}

/* Walks up from the domain to the first name with a CAA RRset (RFC 8659 section 3) and warns when it leaves
 * the CA out. */
static void dg_caa(struct dg_run *r)
{
	struct dg_ids ids;
	struct cli_caa_rec recs[DG_CAA_MAX];
	char err[512];
	if (dg_ids_load(r->c, &ids) < 0) {
		json_decref(ids.doc);
		return;
	}
	for (const char *name = r->domain; name && *name; name = strchr(name, '.') ? strchr(name, '.') + 1 : NULL) {
		ldns_pkt *a = dg_query(&r->dns, name, LDNS_RR_TYPE_CAA, err, sizeof(err));
		if (!a) {
			log_warn("CAA check stopped: %s", err);
			break;
		}
		size_t n = dg_caa_read(a, recs, DG_CAA_MAX);
		ldns_pkt_free(a);
		if (!n)
			continue;
		if (cli_caa_check(recs, n, r->wildcard, ids.v, ids.n) == CLI_CAA_FORBIDDEN) {
			char values[600];
			cli_caa_values(recs, n, r->wildcard, values, sizeof(values));
			dg_warn(r, "CAA at %s does not allow the CA (%s): %s", name, ids.v[0], values);
		}
		break;
	}
	json_decref(ids.doc);
}

/* ---------- the verdict ---------- */

static void dg_report(struct dg_run *r, const char *result)
{
	cli_out_result(r->c->out, result);
	cli_out_set(r->c->out, "delegation",
		    json_pack("{s:s, s:s, s:o, s:O}", "name", r->name, "expected", r->expected, "found",
			      r->ans.cname ? json_string(r->ans.target) : json_null(), "warnings", r->warnings));
}

static int dg_fail(struct dg_run *r, const char *result, const char *what)
{
	dg_report(r, result);
	return cli_out_fail(r->c->out, CLI_EXIT_SETUP, "setup", NULL, r->domain, "%s", what);
}

static int dg_verdict(struct dg_run *r, int wild, const char *wild_target)
{
	char msg[2048];
	const struct dg_answer *a = &r->ans;
	if (a->dname) {
		snprintf(msg, sizeof(msg), "%s: a CNAME below a DNAME cannot work: the DNAME at %s (to %s) rewrites the "
			 "name%s%s; remove the DNAME or delegate another way", r->name, a->dname_owner, a->dname_target,
			 a->cname ? " to " : "", a->cname ? a->target : "");
		return dg_fail(r, "wrong_target", msg);
	}
	if (wild == 1 && a->cname && strcasecmp(a->target, wild_target) == 0) {
		snprintf(msg, sizeof(msg), "%s: only the wildcard *.%s CNAME %s answers for it: an explicit CNAME is "
			 "needed: %s. CNAME %s.", r->name, r->domain, wild_target, r->name, r->expected);
		return dg_fail(r, "missing", msg);
	}
	if (!a->cname) {
		snprintf(msg, sizeof(msg), "%s has no CNAME: add %s. CNAME %s.", r->name, r->name, r->expected);
		return dg_fail(r, "missing", msg);
	}
	if (strcasecmp(a->target, r->expected) != 0) {
		snprintf(msg, sizeof(msg), "%s is a CNAME to %s, not to %s: replace it with %s. CNAME %s.", r->name,
			 a->target, r->expected, r->name, r->expected);
		return dg_fail(r, "wrong_target", msg);
	}
	if (wild == 1)
		dg_warn(r, "a wildcard *.%s CNAME %s exists; the explicit CNAME of %s takes precedence", r->domain,
			wild_target, r->name);
	dg_report(r, "delegated");
	cli_out_line(r->c->out, "%s is a CNAME to %s: delegated", r->name, r->expected);
	return CLI_EXIT_OK;
}

/* The expected target: --to, else the domain's acme-dns account. Returns 0 or an exit code (reported). */
static int dg_expected(struct dg_run *r)
{
	const struct cli_options *o = r->c->opt;
	char err[1024];
	if (o->to) {
		snprintf(r->expected, sizeof(r->expected), "%s", o->to);
		return 0;
	}
	int rc = acmedns_fulldomain(r->c->storage_path, r->domain, r->expected, sizeof(r->expected), err, sizeof(err));
	if (rc < 0)
		return cli_out_fail(r->c->out, CLI_EXIT_USAGE, "usage", NULL, r->domain, "%s", err);
	if (rc == 0)
		return cli_out_fail(r->c->out, CLI_EXIT_USAGE, "usage", NULL, r->domain,
				    "no acme-dns account for %s in %s: run `acme-dns-cli register -d %s` or pass --to "
				    "FULLDOMAIN", r->domain, r->c->storage_path, r->domain);
	return 0;
}

static int dg_run_checks(struct dg_run *r)
{
	char err[1024], wild_target[DG_NAME_MAX] = "";
	int rc = dg_expected(r);
	if (rc)
		return rc;
	if (dg_dns_open(&r->c->dns, &r->dns, err, sizeof(err)) < 0)
		return cli_out_fail(r->c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "%s", err);
	if (dg_ask_cname(r, r->name, &r->ans, err, sizeof(err)) < 0)
		return cli_out_fail(r->c->out, CLI_EXIT_DNS, "dns", NULL, r->domain, "CNAME of %s", err);
	int wild = r->ans.dname ? 0 : dg_wildcard(r, wild_target, sizeof(wild_target));
	dg_caa(r);
	return dg_verdict(r, wild, wild_target);
}

int cli_cmd_delegation(struct cli_ctx *c)
{
	struct dg_run r = { .c = c };
	const char *d = c->opt->domain.v[0];
	r.wildcard = strncmp(d, "*.", 2) == 0;
	r.domain = r.wildcard ? d + 2 : d;
	snprintf(r.name, sizeof(r.name), "_acme-challenge.%s", r.domain);
	if (!(r.warnings = json_array()))
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	int rc = dg_run_checks(&r);
	dg_dns_close(&r.dns);
	json_decref(r.warnings);
	return rc;
}

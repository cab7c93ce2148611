/* An ACME order over dns-01: present every record together, check together, answer together, clean up always,
 * then finalize with a CSR and download the chain (RFC 8555 section 7.4). */
#include "acme_int.h"

#include "b64.h"
#include "cert.h"
#include "csr.h"
#include "key.h"
#include "log.h"

#include <openssl/evp.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct challenge_item {
	char *authz_url;
	char *chall_url;
	char *domain;                   /* the identifier, "*." already taken off by the CA */
	char *fqdn;                     /* _acme-challenge.<domain> */
	char *value;
	char *target;                   /* where the TXT goes after CNAME/DNAME (follows_cname solvers), or NULL */
	char *zone;                     /* the zone holding target, or NULL */
};

struct order_run {
	struct acme *a;
	const struct acme_order_params *p;
	char *order_url;
	char *finalize_url;
	json_t *authz_urls;
	struct challenge_item *items;
	size_t n;
	struct solver_record *recs;
	bool presented;
};

static void run_clear(struct order_run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		free(run->items[i].authz_url);
		free(run->items[i].chall_url);
		free(run->items[i].domain);
		free(run->items[i].fqdn);
		free(run->items[i].value);
		free(run->items[i].target);
		free(run->items[i].zone);
	}
	free(run->items);
	free(run->recs);
	free(run->order_url);
	free(run->finalize_url);
	json_decref(run->authz_urls);
}

static char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static json_t *order_payload(const struct acme_order_params *p)
{
	json_t *ids = json_array();
	for (size_t i = 0; i < p->n_names; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns", "value", p->names[i]));
	json_t *o = json_pack("{s:o}", "identifiers", ids);
	if (o && p->replaces)
		json_object_set_new(o, "replaces", json_string(p->replaces));
	if (o && p->profile)
		json_object_set_new(o, "profile", json_string(p->profile));
	return o;
}

static int order_create(struct order_run *run, struct acme_error *e)
{
	json_t *payload = order_payload(run->p);
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (!body)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	struct http_response r;
	int rc = acme_post(run->a, acme_dir_url(run->a, "newOrder"), body, NULL, NULL, &r, e);
	free(body);
	if (rc < 0)
		return -1;
	json_t *o = acme_json_body(&r, "newOrder", e);
	run->order_url = str_dup(r.location);
	http_response_clear(&r);
	if (!o)
		return -1;
	run->finalize_url = str_dup(json_string_value(json_object_get(o, "finalize")));
	run->authz_urls = json_incref(json_object_get(o, "authorizations"));
	json_decref(o);
	if (!run->order_url || !run->finalize_url || !json_is_array(run->authz_urls))
		return acme_fail(e, ACME_ERR_NET, "newOrder: the order lacks its URL, finalize or authorizations");
	log_info("acme: order %s for %zu names, %zu authorizations", run->order_url, run->p->n_names,
		 json_array_size(run->authz_urls));
	return 0;
}

static json_t *dns01_of(json_t *authz)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(authz, "challenges"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		if (type && strcmp(type, "dns-01") == 0)
			return c;
	}
	return NULL;
}

/* Records what a pending authorization needs; a valid one is skipped. */
static int authz_take(struct order_run *run, const char *url, json_t *authz, struct acme_error *e)
{
	const char *status = json_string_value(json_object_get(authz, "status"));
	const char *id = json_string_value(json_object_get(json_object_get(authz, "identifier"), "value"));
	if (status && strcmp(status, "valid") == 0) {
		log_info("acme: %s: already authorized", id ? id : url);
		return 0;
	}
	json_t *ch = dns01_of(authz);
	const char *token = json_string_value(json_object_get(ch, "token"));
	const char *chall_url = json_string_value(json_object_get(ch, "url"));
	if (!status || strcmp(status, "pending") != 0 || !id || !token || !chall_url) {
		acme_fail(e, ACME_ERR_CA, "authorization for %s is %s%s", id ? id : url, status ? status : "malformed",
			  ch ? "" : " and offers no dns-01 challenge");
		snprintf(e->identifier, sizeof(e->identifier), "%s", id ? id : "");
		return -1;
	}
	struct challenge_item *it = &run->items[run->n++];
	char fqdn[300];
	snprintf(fqdn, sizeof(fqdn), "_acme-challenge.%s", id);
	it->authz_url = strdup(url);
	it->chall_url = strdup(chall_url);
	it->domain = strdup(id);
	it->fqdn = strdup(fqdn);
	it->value = acme_dns01_value(run->a->key, token);
	if (!it->authz_url || !it->chall_url || !it->domain || !it->fqdn || !it->value)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	return 0;
}

static int authz_load(struct order_run *run, struct acme_error *e)
{
	size_t n = json_array_size(run->authz_urls), i;
	json_t *u;
	run->items = calloc(n ? n : 1, sizeof(*run->items));
	run->recs = calloc(n ? n : 1, sizeof(*run->recs));
	if (!run->items || !run->recs)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	json_array_foreach(run->authz_urls, i, u) {
		const char *url = json_string_value(u);
		struct http_response r;
		if (!url || acme_post(run->a, url, NULL, NULL, NULL, &r, e) < 0)
			return url ? -1 : acme_fail(e, ACME_ERR_NET, "an authorization URL is not a string");
		json_t *authz = acme_json_body(&r, "authorization", e);
		http_response_clear(&r);
		int rc = authz ? authz_take(run, url, authz, e) : -1;
		json_decref(authz);
		if (rc < 0)
			return -1;
	}
	for (size_t k = 0; k < run->n; k++)
		run->recs[k] = (struct solver_record){ .domain = run->items[k].domain, .fqdn = run->items[k].fqdn,
						       .value = run->items[k].value, .target = run->items[k].fqdn };
	return 0;
}

/* The propagation checker's targets: one per challenge name, with every value expected there (a wildcard and its
 * base name share _acme-challenge.<domain>). */
static struct prop_target *prop_targets(const struct order_run *run, size_t *n_out)
{
	struct prop_target *t = calloc(run->n ? run->n : 1, sizeof(*t));
	size_t n = 0;
	for (size_t i = 0; t && i < run->n; i++) {
		size_t k = 0;
		while (k < n && strcasecmp(t[k].name, run->items[i].fqdn) != 0)
			k++;
		if (k == n)
			snprintf(t[n++].name, sizeof(t[0].name), "%s", run->items[i].fqdn);
		bool dup = false;
		for (size_t v = 0; v < t[k].n_values; v++)
			dup = dup || strcmp(t[k].values[v], run->items[i].value) == 0;
		if (!dup && t[k].n_values < PROP_MAX_VALUES)
			t[k].values[t[k].n_values++] = run->items[i].value;
	}
	*n_out = n;
	return t;
}

static int records_wait_propagation(struct order_run *run, struct acme_error *e)
{
	char err[1024] = "";
	size_t n = 0;
	struct prop_target *t = prop_targets(run, &n);
	if (!t)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	int rc = prop_wait(run->p->prop, t, n, err, sizeof(err));
	if (run->p->prop_report) {
		json_decref(*run->p->prop_report);
		*run->p->prop_report = prop_report_json(t, n);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		log_info("acme: %s: every authoritative server of %s answers (%zu)", t[i].name, t[i].zone,
			 t[i].n_servers);
	free(t);
	if (rc < 0 && acme_cancelled(run->a, e))
		return -1;
	if (rc < 0)
		return acme_fail(e, ACME_ERR_DNS, "the challenge records did not reach every name server: %s", err);
	return 0;
}

/* A fixed wait, for networks where the checker cannot see the servers the CA asks. */
static int records_wait_fixed(struct order_run *run, struct acme_error *e)
{
	if (run->p->fixed_wait_s <= 0)
		return 0;
	log_info("acme: waiting %d s before answering the challenges", run->p->fixed_wait_s);
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += run->p->fixed_wait_s;
	for (;;) {
		if (acme_cancelled(run->a, e))
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return 0;
		if (ms > 200)
			ms = 200;
		struct timespec ts = { 0, ms * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* For adapters that write where a name really lives: follows each challenge name's CNAME/DNAME chain and finds
 * the zone, with the propagation checker's resolution, so the solver writes where the checker will look. Without
 * the checker (--skip-propagation) the name is taken as it is and the adapter finds the zone. */
static int records_resolve(struct order_run *run, struct acme_error *e)
{
	if (!run->p->solver->caps.follows_cname || !run->p->prop)
		return 0;
	struct prop_target *t = calloc(1, sizeof(*t));
	if (!t)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < run->n; i++) {
		struct challenge_item *it = &run->items[i];
		for (size_t k = 0; k < i && !it->target; k++)
			if (strcasecmp(run->items[k].fqdn, it->fqdn) == 0 && run->items[k].target) {
				it->target = strdup(run->items[k].target);
				it->zone = strdup(run->items[k].zone);
			}
		if (!it->target) {
			char err[1024] = "";
			memset(t, 0, sizeof(*t));
			snprintf(t->name, sizeof(t->name), "%s", it->fqdn);
			if (prop_resolve(run->p->prop, t, err, sizeof(err)) != 0) {
				rc = acme_fail(e, ACME_ERR_DNS, "where %s lives: %s", it->fqdn, err);
				snprintf(e->identifier, sizeof(e->identifier), "%s", it->domain);
				break;
			}
			it->target = strdup(t->final[0] ? t->final : it->fqdn);
			it->zone = strdup(t->zone);
			if (strcasecmp(it->target, it->fqdn) != 0)
				log_info("acme: %s is a CNAME: writing its TXT at %s (zone %s)", it->fqdn, it->target,
					 it->zone);
		}
		if (!it->target || !it->zone)
			rc = acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
		run->recs[i].target = it->target;
		run->recs[i].zone = it->zone[0] ? it->zone : NULL;
	}
	free(t);
	return rc;
}

/* Every record at once through the solver, then one wait until every authoritative server has them all. */
static int records_present(struct order_run *run, struct acme_error *e)
{
	char err[1024] = "";
	if (records_resolve(run, e) != 0)
		return -1;
	run->presented = true;
	int rc = solver_present(run->p->solver, run->recs, run->n, err, sizeof(err));
	if (rc == SOLVER_NEEDS_SETUP)
		return acme_fail(e, ACME_ERR_SETUP, "%s", err);
	if (rc < 0 && acme_cancelled(run->a, e))
		return -1;
	if (rc < 0)
		return acme_fail(e, ACME_ERR_DNS, "presenting the challenge records: %s", err);
	log_info("acme: %zu challenge records presented", run->n);
	if (run->p->prop && records_wait_propagation(run, e) < 0)
		return -1;
	return records_wait_fixed(run, e);
}

static void records_cleanup(struct order_run *run)
{
	char err[1024] = "";
	if (!run->presented || run->n == 0)
		return;
	if (solver_cleanup(run->p->solver, run->recs, run->n, err, sizeof(err)) < 0)
		log_warn("acme: removing the challenge records: %s", err);
	else
		log_info("acme: %zu challenge records removed", run->n);
}

static int challenges_answer(struct order_run *run, struct acme_error *e)
{
	for (size_t i = 0; i < run->n; i++) {
		struct http_response r;
		if (acme_post(run->a, run->items[i].chall_url, "{}", NULL, NULL, &r, e) < 0) {
			snprintf(e->identifier, sizeof(e->identifier), "%s", run->items[i].domain);
			return -1;
		}
		http_response_clear(&r);
	}
	return 0;
}

/* Why an authorization failed: its dns-01 challenge's error. */
static int authz_failed(json_t *authz, const struct challenge_item *it, struct acme_error *e)
{
	json_t *err = json_object_get(dns01_of(authz), "error");
	const char *type = json_string_value(json_object_get(err, "type"));
	const char *detail = json_string_value(json_object_get(err, "detail"));
	const char *status = json_string_value(json_object_get(authz, "status"));
	acme_fail(e, ACME_ERR_CA, "%s: authorization %s: %s", it->domain, status ? status : "failed",
		  detail ? detail : "no reason given");
	snprintf(e->identifier, sizeof(e->identifier), "%s", it->domain);
	if (type)
		snprintf(e->type, sizeof(e->type), "%s", type);
	return -1;
}

static int authz_wait(struct order_run *run, struct acme_error *e)
{
	static const char *const waiting[] = { "pending", NULL };
	for (size_t i = 0; i < run->n; i++) {
		const struct challenge_item *it = &run->items[i];
		json_t *authz = acme_poll(run->a, it->authz_url, "authorization", waiting, e);
		if (!authz)
			return -1;
		const char *status = json_string_value(json_object_get(authz, "status"));
		int rc = status && strcmp(status, "valid") == 0 ? 0 : authz_failed(authz, it, e);
		json_decref(authz);
		if (rc < 0)
			return -1;
		log_info("acme: %s: authorized", it->domain);
	}
	return 0;
}

/* The order in a final or ready state; fails unless its status is want. */
static json_t *order_wait(struct order_run *run, const char *want, struct acme_error *e)
{
	static const char *const waiting[] = { "pending", "processing", NULL };
	json_t *o = acme_poll(run->a, run->order_url, "order", waiting, e);
	const char *status = json_string_value(json_object_get(o, "status"));
	if (o && (!status || strcmp(status, want) != 0)) {
		json_t *err = json_object_get(o, "error");
		const char *detail = json_string_value(json_object_get(err, "detail"));
		acme_fail(e, ACME_ERR_CA, "order %s is %s, not %s%s%s", run->order_url, status ? status : "malformed", want,
			  detail ? ": " : "", detail ? detail : "");
		json_decref(o);
		return NULL;
	}
	return o;
}

static int order_finalize(struct order_run *run, char **cert_url, struct acme_error *e)
{
	json_t *o = order_wait(run, "ready", e);
	if (!o)
		return -1;
	json_decref(o);
	size_t der_len = 0;
	uint8_t *der = csr_build(run->p->cert_key, run->p->names, run->p->n_names, &der_len);
	char *csr = der ? b64url_encode(der, der_len) : NULL;
	free(der);
	json_t *payload = csr ? json_pack("{s:s}", "csr", csr) : NULL;
	free(csr);
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (!body)
		return acme_fail(e, ACME_ERR_INTERNAL, "cannot build the certificate request");
	struct http_response r;
	int rc = acme_post(run->a, run->finalize_url, body, NULL, NULL, &r, e);
	free(body);
	if (rc < 0)
		return -1;
	http_response_clear(&r);
	o = order_wait(run, "valid", e);
	*cert_url = o ? str_dup(json_string_value(json_object_get(o, "certificate"))) : NULL;
	json_decref(o);
	if (o && !*cert_url)
		return acme_fail(e, ACME_ERR_NET, "order %s is valid but names no certificate", run->order_url);
	return *cert_url ? 0 : -1;
}

static char *chain_get(struct acme *a, const char *url, struct http_response *r, struct acme_error *e)
{
	if (acme_post(a, url, NULL, NULL, "application/pem-certificate-chain", r, e) < 0)
		return NULL;
	if (!r->body || !strstr(r->body, "-----BEGIN CERTIFICATE-----")) {
		acme_fail(e, ACME_ERR_NET, "certificate %s: the answer holds no PEM certificate", url);
		http_response_clear(r);
		return NULL;
	}
	char *pem = strdup(r->body);
	if (!pem)
		acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	return pem;
}

static bool chain_matches(const char *pem, const char *issuer)
{
	char *top = cert_chain_top_issuer(pem, strlen(pem));
	bool ok = top && strcasecmp(top, issuer) == 0;
	free(top);
	return ok;
}

/* The default chain, or the first alternate whose top is issued by the preferred issuer. */
static char *chain_download(struct acme *a, const char *url, const char *preferred, struct acme_error *e)
{
	struct http_response r;
	char *pem = chain_get(a, url, &r, e);
	if (!pem || !preferred || chain_matches(pem, preferred)) {
		http_response_clear(&r);
		return pem;
	}
	for (size_t i = 0; i < r.n_alternates; i++) {
		struct http_response ar;
		struct acme_error ae;
		char *alt = chain_get(a, r.alternates[i], &ar, &ae);
		http_response_clear(&ar);
		if (alt && chain_matches(alt, preferred)) {
			log_info("acme: using the alternate chain %s (issuer %s)", r.alternates[i], preferred);
			free(pem);
			http_response_clear(&r);
			return alt;
		}
		free(alt);
	}
	log_warn("acme: no chain is issued by %s; keeping the default one", preferred);
	http_response_clear(&r);
	return pem;
}

/* A refusal without an identifier member (pebble, older Boulder) still names it in its detail: find which. */
static void identifier_from_detail(const struct acme_order_params *p, struct acme_error *e)
{
	size_t best = 0;
	for (size_t i = 0; e->kind == ACME_ERR_CA && !e->identifier[0] && i < p->n_names; i++) {
		size_t len = strlen(p->names[i]);
		const char *hit = strstr(e->detail, p->names[i]);
		bool whole = hit && (hit == e->detail || !(isalnum((unsigned char)hit[-1]) || hit[-1] == '.' ||
							    hit[-1] == '-' || hit[-1] == '*')) &&
			     !(isalnum((unsigned char)hit[len]) || hit[len] == '-' || hit[len] == '.');
		if (whole && len > best)
			best = len;
	}
	for (size_t i = 0; best && i < p->n_names; i++)
		if (strlen(p->names[i]) == best && strstr(e->detail, p->names[i])) {
			snprintf(e->identifier, sizeof(e->identifier), "%s", p->names[i]);
			return;
		}
}

int acme_order_issue(struct acme *a, const struct acme_order_params *p, char **fullchain, struct acme_error *e)
{
	struct order_run run = { .a = a, .p = p };
	char *cert_url = NULL;
	*fullchain = NULL;
	memset(e, 0, sizeof(*e));
	if (!a->kid || !p->n_names || !p->cert_key || !p->solver)
		return acme_fail(e, ACME_ERR_USAGE, "an order needs an account, names, a certificate key and a solver");
	int rc = order_create(&run, e);
	if (rc < 0)
		identifier_from_detail(p, e);
	if (rc == 0)
		rc = authz_load(&run, e);
	if (rc == 0 && run.n)
		rc = records_present(&run, e);
	if (rc == 0 && acme_cancelled(a, e))
		rc = -1;
	if (rc == 0)
		rc = challenges_answer(&run, e);
	if (rc == 0)
		rc = authz_wait(&run, e);
	records_cleanup(&run);          /* every path: nothing we published stays behind */
	if (rc == 0)
		rc = order_finalize(&run, &cert_url, e);
	if (rc == 0 && !(*fullchain = chain_download(a, cert_url, p->preferred_chain, e)))
		rc = -1;
	if (rc == 0)
		log_info("acme: certificate %s downloaded", cert_url);
	free(cert_url);
	run_clear(&run);
	return rc;
}

char *acme_dns01_value(EVP_PKEY *account_key, const char *token)
{
	char *thumb = key_thumbprint(account_key);
	if (!thumb)
		return NULL;
	size_t len = strlen(token) + 1 + strlen(thumb);
	char *ka = malloc(len + 1);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *out = NULL;
	if (ka) {
		snprintf(ka, len + 1, "%s.%s", token, thumb);
		if (EVP_Digest(ka, len, digest, &dlen, EVP_sha256(), NULL) == 1)
			out = b64url_encode(digest, dlen);
	}
	free(ka);
	free(thumb);
	return out;
}

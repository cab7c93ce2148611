/* The propagation checker: follows the challenge name to its zone and asks every authoritative address directly. */
#include "propagation.h"
#include "dnsutil.h"
#include "propagation_int.h"

#include "log.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PR_MAX_RESOLVERS 8
#define PR_WHY_MAX 160
#define PR_MAX_LABELS 128       /* zone cut walk */

struct pr_servers {
	ldns_resolver *res[PR_MAX_RESOLVERS];
	char label[PR_MAX_RESOLVERS][72];
	size_t n;
};

/* ---- resolvers (the approach of dnscheck.c) ---- */



static int pr_timeout_ms(const struct prop_opts *o)
{
	return o->query_timeout_ms > 0 ? o->query_timeout_ms : 2000;
}

static void pr_servers_close(struct pr_servers *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		ldns_resolver_deep_free(sv->res[i]);
	sv->n = 0;
}


static int pr_servers_open(const struct prop_opts *o, struct pr_servers *sv, char *errbuf, size_t errlen)
{
	memset(sv, 0, sizeof *sv);
	if (o->n_resolvers > PR_MAX_RESOLVERS) {
		snprintf(errbuf, errlen, "at most %d resolvers", PR_MAX_RESOLVERS);
		return -1;
	}
	if (o->n_resolvers == 0) {
		if (!(sv->res[0] = dnsutil_resolver_open(NULL, true, pr_timeout_ms(o), errbuf, errlen)))
			return -1;
		snprintf(sv->label[0], sizeof sv->label[0], "the system resolver");
		sv->n = 1;
		return 0;
	}
	for (size_t i = 0; i < o->n_resolvers; i++) {
		if (!o->resolvers[i] || !(sv->res[i] = dnsutil_resolver_open(o->resolvers[i], true, pr_timeout_ms(o),
									       errbuf, errlen))) {
			if (!o->resolvers[i])
				snprintf(errbuf, errlen, "resolver %zu is NULL", i);
			pr_servers_close(sv);
			return -1;
		}
		snprintf(sv->label[i], sizeof sv->label[i], "%s", o->resolvers[i]);
		sv->n = i + 1;
	}
	return 0;
}





/* One question, any rcode. Returns the matching answer, or NULL with *st set (LDNS_STATUS_ERR on mismatch). */
static ldns_pkt *pr_ask(ldns_resolver *r, const char *name, ldns_rr_type t, ldns_status *st)
{
	ldns_rdf *qn = dnsutil_dname(name);
	ldns_pkt *q = NULL, *a = NULL;

	*st = qn ? ldns_resolver_prepare_query_pkt(&q, r, qn, t, LDNS_RR_CLASS_IN,
						   ldns_resolver_recursive(r) ? LDNS_RD : 0)
		 : LDNS_STATUS_DOMAINNAME_OVERFLOW;
	if (*st == LDNS_STATUS_OK)
		*st = dnsutil_send(r, q, &a);
	if (*st == LDNS_STATUS_OK && !dnsutil_answer_matches(q, a)) {
		*st = LDNS_STATUS_ERR;
		ldns_pkt_free(a);
		a = NULL;
	}
	ldns_pkt_free(q);
	ldns_rdf_deep_free(qn);
	return a;
}

static const char *pr_rcode_name(ldns_pkt_rcode rc)
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);

	return lt ? lt->name : "unknown rcode";
}

/* Asks the resolvers in turn; the first NOERROR/NXDOMAIN answer wins. NULL with why set otherwise. */
static ldns_pkt *pr_lookup(struct pr_servers *sv, const char *name, ldns_rr_type t, char *why, size_t whylen)
{
	for (size_t i = 0; i < sv->n; i++) {
		ldns_status st;
		ldns_pkt *a = pr_ask(sv->res[i], name, t, &st);
		ldns_pkt_rcode rc = a ? ldns_pkt_get_rcode(a) : LDNS_RCODE_SERVFAIL;
		if (a && (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN))
			return a;
		if (a)
			snprintf(why, whylen, "%s: %s", sv->label[i], pr_rcode_name(rc));
		else
			snprintf(why, whylen, "%s: %s", sv->label[i], ldns_get_errorstr_by_id(st));
		ldns_pkt_free(a);
	}
	return NULL;
}

/* ---- names and chains ---- */

bool prop_rdf_name(const ldns_rdf *d, char *out, size_t outlen)
{
	char *s = d ? ldns_rdf2str(d) : NULL;
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		s[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	if (len >= outlen) {
		free(s);
		return false;
	}
	memcpy(out, s, len + 1);
	free(s);
	return true;
}

/* Copies name without its trailing dot, lower case. */
static bool pr_norm(const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	out[len] = '\0';
	return true;
}

/* The rr's owner is name. */
static bool pr_owner_is(const ldns_rr *rr, const char *name)
{
	char owner[PROP_NAME_MAX];

	return prop_rdf_name(ldns_rr_owner(rr), owner, sizeof owner) && strcasecmp(owner, name) == 0;
}

/* cur ends in ".suffix": returns the length of the part before it, or 0. */
static size_t pr_below(const char *cur, const char *suffix)
{
	size_t lc = strlen(cur), ls = strlen(suffix);

	if (strcmp(suffix, ".") == 0)
		return lc;
	if (lc <= ls + 1 || cur[lc - ls - 1] != '.' || strcasecmp(cur + lc - ls, suffix) != 0)
		return 0;
	return lc - ls - 1;
}

static int pr_dname_step(const ldns_rr *rr, const char *cur, char *next, size_t nlen)
{
	char owner[PROP_NAME_MAX], target[PROP_NAME_MAX];
	size_t pre;
	int w;

	if (!prop_rdf_name(ldns_rr_owner(rr), owner, sizeof owner) || ldns_rr_rd_count(rr) != 1 ||
	    !prop_rdf_name(ldns_rr_rdf(rr, 0), target, sizeof target) || (pre = pr_below(cur, owner)) == 0)
		return 0;
	w = strcmp(target, ".") == 0 ? snprintf(next, nlen, "%.*s", (int)pre, cur)
				      : snprintf(next, nlen, "%.*s.%s", (int)pre, cur, target);
	return w < 0 || (size_t)w >= nlen || w > 253 ? -1 : 1;
}

int prop_chain_step(const ldns_pkt *a, const char *cur, char *next, size_t nlen)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);

	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 && pr_owner_is(rr, cur))
			return prop_rdf_name(ldns_rr_rdf(rr, 0), next, nlen) ? 1 : -1;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		int rc = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME ? pr_dname_step(rr, cur, next, nlen) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "a -> b -> a" into out. */
static void pr_chain_text(const struct prop_target *t, const char *last, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->chain_len && used < outlen; i++) {
		int w = snprintf(out + used, outlen - used, "%s -> ", t->chain[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, "%s", last);
}

int prop_chain_add(struct prop_target *t, const char *name, char *errbuf, size_t errlen)
{
	char text[1024];

	for (size_t i = 0; i < t->chain_len; i++) {
		if (strcasecmp(t->chain[i], name) == 0) {
			pr_chain_text(t, name, text, sizeof text);
			snprintf(errbuf, errlen, "CNAME loop: %s", text);
			return -1;
		}
	}
	if (t->chain_len >= PROP_MAX_CHAIN) {
		pr_chain_text(t, name, text, sizeof text);
		snprintf(errbuf, errlen, "CNAME/DNAME chain longer than %d names: %s", PROP_MAX_CHAIN, text);
		return -1;
	}
	if (!pr_norm(name, t->chain[t->chain_len], PROP_NAME_MAX)) {
		snprintf(errbuf, errlen, "\"%s\" is not a domain name", name);
		return -1;
	}
	snprintf(t->final, sizeof t->final, "%s", t->chain[t->chain_len++]);
	return 0;
}

/* The answer has an RR of type at owner. */
static bool pr_has_type(const ldns_pkt *a, const char *owner, ldns_rr_type type)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);

	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(ans, i)) == type && pr_owner_is(ldns_rr_list_rr(ans, i), owner))
			return true;
	return false;
}

/* The next link from cur: from the TXT answer, else from an explicit CNAME question. 1, 0 or -1 (why set). */
static int pr_next_link(struct pr_servers *sv, const char *cur, char *next, char *why, size_t whylen)
{
	ldns_pkt *a = pr_lookup(sv, cur, LDNS_RR_TYPE_TXT, why, whylen);
	int rc;

	if (!a)
		return -1;
	rc = prop_chain_step(a, cur, next, PROP_NAME_MAX);
	if (rc == 0 && !pr_has_type(a, cur, LDNS_RR_TYPE_TXT)) {
		ldns_pkt_free(a);
		if (!(a = pr_lookup(sv, cur, LDNS_RR_TYPE_CNAME, why, whylen)))
			return -1;
		rc = prop_chain_step(a, cur, next, PROP_NAME_MAX);
	}
	if (rc < 0)
		snprintf(why, whylen, "the name after %.100s is too long", cur);
	ldns_pkt_free(a);
	return rc;
}

static int pr_follow(struct pr_servers *sv, struct prop_target *t, char *errbuf, size_t errlen)
{
	char why[PR_WHY_MAX] = "", next[PROP_NAME_MAX];

	t->chain_len = 0;
	if (prop_chain_add(t, t->name, errbuf, errlen) != 0)
		return -1;
	for (int hop = 0; hop <= PROP_MAX_CHAIN; hop++) {
		int rc = pr_next_link(sv, t->final, next, why, sizeof why);
		if (rc < 0) {
			snprintf(errbuf, errlen, "TXT %s: %s", t->final, why);
			return -1;
		}
		if (rc == 0)
			return 0;
		if (prop_chain_add(t, next, errbuf, errlen) != 0)
			return -1;
	}
	snprintf(errbuf, errlen, "CNAME/DNAME chain from %s too long", t->name);
	return -1;
}

/* ---- zone cut and servers ---- */

uint32_t prop_negative_ttl(const ldns_rr *soa)
{
	uint32_t min;

	if (!soa || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(soa) < 7)
		return 0;
	min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
	return ldns_rr_ttl(soa) < min ? ldns_rr_ttl(soa) : min;
}

/* The SOA at name in the answer, or the SOA in the authority section; NULL if neither. */
static const ldns_rr *pr_find_soa(const ldns_pkt *a, const char *name)
{
	const ldns_rr_list *l = ldns_pkt_answer(a);

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_SOA && pr_owner_is(ldns_rr_list_rr(l, i), name))
			return ldns_rr_list_rr(l, i);
	l = ldns_pkt_authority(a);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_SOA)
			return ldns_rr_list_rr(l, i);
	return NULL;
}

static int pr_zone_cut(struct pr_servers *sv, struct prop_target *t, char *errbuf, size_t errlen)
{
	char why[PR_WHY_MAX] = "", name[PROP_NAME_MAX];

	snprintf(name, sizeof name, "%s", t->final);
	for (int i = 0; i < PR_MAX_LABELS; i++) {
		ldns_pkt *a = pr_lookup(sv, name, LDNS_RR_TYPE_SOA, why, sizeof why);
		const ldns_rr *soa = a ? pr_find_soa(a, name) : NULL;
		const char *dot = strchr(name, '.');
		bool failed = a == NULL;
		if (soa && prop_rdf_name(ldns_rr_owner(soa), t->zone, sizeof t->zone)) {
			t->negative_ttl = prop_negative_ttl(soa);
			ldns_pkt_free(a);
			return 0;
		}
		ldns_pkt_free(a);
		if (failed && why[0] && i == 0)
			log_debug("propagation: SOA %s: %s", name, why);
		if (!dot || strcmp(name, ".") == 0)
			break;
		memmove(name, dot[1] ? dot + 1 : ".", strlen(dot[1] ? dot + 1 : ".") + 1);
	}
	snprintf(errbuf, errlen, "no zone found above %s%s%s", t->final, why[0] ? ": " : "", why);
	return -1;
}

/* Adds every A or AAAA address of ns from the answer. */
static void pr_add_addrs(struct prop_target *t, const ldns_pkt *a, const char *ns, ldns_rr_type type)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);

	for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && t->n_servers < PROP_MAX_SERVERS; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		struct prop_server *s = &t->servers[t->n_servers];
		char *txt;
		if (ldns_rr_get_type(rr) != type || ldns_rr_rd_count(rr) != 1 || !(txt = ldns_rdf2str(ldns_rr_rdf(rr, 0))))
			continue;
		memset(s, 0, sizeof *s);
		snprintf(s->ns, sizeof s->ns, "%s", ns);
		snprintf(s->addr, sizeof s->addr, "%s", txt);
		s->state = PROP_ERROR;
		snprintf(s->detail, sizeof s->detail, "not asked yet");
		free(txt);
		t->n_servers++;
	}
}

static int pr_ns_addrs(struct pr_servers *sv, struct prop_target *t, char *errbuf, size_t errlen)
{
	static const ldns_rr_type types[2] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	char why[PR_WHY_MAX] = "", ns[PROP_NAME_MAX];
	ldns_pkt *a = pr_lookup(sv, t->zone, LDNS_RR_TYPE_NS, why, sizeof why);
	const ldns_rr_list *ans = a ? ldns_pkt_answer(a) : NULL;

	t->n_servers = 0;
	for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !pr_owner_is(rr, t->zone) || ldns_rr_rd_count(rr) != 1 ||
		    !prop_rdf_name(ldns_rr_rdf(rr, 0), ns, sizeof ns))
			continue;
		for (int k = 0; k < 2; k++) {
			ldns_pkt *x = pr_lookup(sv, ns, types[k], why, sizeof why);
			if (x)
				pr_add_addrs(t, x, ns, types[k]);
			ldns_pkt_free(x);
		}
	}
	ldns_pkt_free(a);
	if (t->n_servers == 0) {
		snprintf(errbuf, errlen, "no NS address found for zone %s%s%s", t->zone, why[0] ? ": " : "", why);
		return -1;
	}
	return 0;
}

int prop_resolve(const struct prop_opts *o, struct prop_target *t, char *errbuf, size_t errlen)
{
	struct pr_servers sv;
	int rc;

	if (t->n_values > PROP_MAX_VALUES) {
		snprintf(errbuf, errlen, "%s: at most %d values", t->name, PROP_MAX_VALUES);
		return -1;
	}
	if (pr_servers_open(o, &sv, errbuf, errlen) != 0)
		return -1;
	t->done = false;
	rc = pr_follow(&sv, t, errbuf, errlen);
	if (rc == 0)
		rc = pr_zone_cut(&sv, t, errbuf, errlen);
	if (rc == 0)
		rc = pr_ns_addrs(&sv, t, errbuf, errlen);
	pr_servers_close(&sv);
	if (rc == 0)
		log_debug("propagation: %s lives at %s in zone %s with %zu server addresses", t->name, t->final, t->zone,
			  t->n_servers);
	return rc;
}

/* ---- classification ---- */



/* Follows CNAMEs (and DNAMEs) inside the answer from name; out gets the last owner. */
static void pr_answer_owner(const ldns_pkt *a, const char *name, char *out, size_t outlen)
{
	char next[PROP_NAME_MAX];

	snprintf(out, outlen, "%s", name);
	for (int hop = 0; hop < PROP_MAX_CHAIN && prop_chain_step(a, out, next, sizeof next) == 1; hop++)
		snprintf(out, outlen, "%s", next);
}

static bool pr_is_referral(const ldns_pkt *a)
{
	const ldns_rr_list *auth = ldns_pkt_authority(a);

	if (ldns_rr_list_rr_count(ldns_pkt_answer(a)) != 0)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NS)
			return true;
	return false;
}

/* The first value not in the answer, or NULL. */
static const char *pr_first_missing(const ldns_pkt *a, const char *final, const char *const *values, size_t n)
{
	char owner[PROP_NAME_MAX];
	const char *missing = NULL;

	pr_answer_owner(a, final, owner, sizeof owner);
	ldns_rdf *rdf = dnsutil_dname(owner);
	for (size_t i = 0; i < n && !missing; i++)
		if (values[i] && !(rdf && dnsutil_has_txt(a, rdf, values[i])))
			missing = values[i];
	ldns_rdf_deep_free(rdf);
	return missing;
}

enum prop_state prop_classify(const ldns_pkt *a, const char *final, const char *const *values, size_t n,
			      const char *label, char *missing, size_t mlen, char *detail, size_t dlen)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(a);
	const char *miss;

	missing[0] = '\0';
	if (rc == LDNS_RCODE_REFUSED || rc == LDNS_RCODE_SERVFAIL) {
		snprintf(detail, dlen, "%s", rc == LDNS_RCODE_REFUSED ? "refused" : "server failure (SERVFAIL)");
		return rc == LDNS_RCODE_REFUSED ? PROP_REFUSED : PROP_SERVFAIL;
	}
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		snprintf(detail, dlen, "answered %s", pr_rcode_name(rc));
		return PROP_ERROR;
	}
	if (!ldns_pkt_aa(a)) {
		snprintf(detail, dlen, "%s", pr_is_referral(a) ? "not authoritative (referral)"
							       : "not authoritative (no AA)");
		return PROP_LAME;
	}
	if (!(miss = pr_first_missing(a, final, values, n))) {
		snprintf(detail, dlen, "has all %zu value%s", n, n == 1 ? "" : "s");
		return PROP_HAS_ALL;
	}
	snprintf(missing, mlen, "%s", miss);
	snprintf(detail, dlen, "%s%smissing \"%s\"%s", label ? label : "", label ? ": " : "", miss,
		 rc == LDNS_RCODE_NXDOMAIN ? " (NXDOMAIN)" : "");
	return PROP_MISSING;
}

void prop_mark_serials(struct prop_target *t)
{
	uint32_t high = 0;

	for (size_t i = 0; i < t->n_servers; i++)
		if (t->servers[i].serial > 0 && (high == 0 || (int32_t)(t->servers[i].serial - high) > 0))
			high = t->servers[i].serial;
	for (size_t i = 0; i < t->n_servers; i++) {
		struct prop_server *s = &t->servers[i];
		if (s->state == PROP_HAS_ALL && s->serial != high) {
			s->state = PROP_OLD_SERIAL;
			snprintf(s->detail, sizeof s->detail, "serial %u behind %u", (unsigned)s->serial, (unsigned)high);
		}
	}
}

/* ---- rounds ---- */

static bool pr_cancelled(const struct prop_opts *o)
{
	return o->cancel && *o->cancel;
}

static void pr_net_failure(struct prop_server *s, ldns_status st, int ms)
{
	if (st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS) {
		s->state = PROP_TIMEOUT;
		snprintf(s->detail, sizeof s->detail, "timeout after %d ms", ms);
	} else {
		s->state = PROP_ERROR;
		snprintf(s->detail, sizeof s->detail, "%s", ldns_get_errorstr_by_id(st));
	}
}

/* The SOA serial at zone from this server, 0 when unknown. */
static uint32_t pr_serial(ldns_resolver *r, const char *zone)
{
	ldns_status st;
	ldns_pkt *a = pr_ask(r, zone, LDNS_RR_TYPE_SOA, &st);
	const ldns_rr *soa = a ? pr_find_soa(a, zone) : NULL;
	uint32_t serial = 0;

	if (soa && pr_owner_is(soa, zone) && ldns_rr_rd_count(soa) >= 3)
		serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	ldns_pkt_free(a);
	return serial;
}

static void pr_ask_server(const struct prop_opts *o, struct prop_target *t, struct prop_server *s, uint16_t port)
{
	char label[PROP_NAME_MAX + 80];
	ldns_resolver *r = dnsutil_resolver_new(s->addr, port, false, pr_timeout_ms(o));
	ldns_status st = LDNS_STATUS_MEM_ERR;
	ldns_pkt *a = r ? pr_ask(r, t->final, LDNS_RR_TYPE_TXT, &st) : NULL;

	snprintf(label, sizeof label, "%s %s", s->ns, s->addr);
	s->serial = 0;
	s->missing[0] = '\0';
	if (!a)
		pr_net_failure(s, st, pr_timeout_ms(o));
	else
		s->state = prop_classify(a, t->final, t->values, t->n_values, label, s->missing, sizeof s->missing,
					 s->detail, sizeof s->detail);
	if (a && o->serials_must_match && (s->state == PROP_HAS_ALL || s->state == PROP_MISSING))
		s->serial = pr_serial(r, t->zone);
	ldns_pkt_free(a);
	ldns_resolver_deep_free(r);
}

size_t prop_round(const struct prop_opts *o, struct prop_target *t, size_t n)
{
	uint16_t port = o->port ? o->port : 53;
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		bool all = t[i].n_servers > 0;
		for (size_t k = 0; k < t[i].n_servers && !pr_cancelled(o); k++)
			pr_ask_server(o, &t[i], &t[i].servers[k], port);
		if (o->serials_must_match)
			prop_mark_serials(&t[i]);
		for (size_t k = 0; k < t[i].n_servers; k++)
			all = all && t[i].servers[k].state == PROP_HAS_ALL;
		t[i].done = all;
		done += all;
	}
	return done;
}

/* ---- waiting ---- */

/* The resolvers see every value of t at t->name; lag gets the first that does not. */
static bool pr_resolvers_agree(struct pr_servers *sv, const struct prop_target *t, struct prop_server *lag)
{
	for (size_t r = 0; r < sv->n; r++) {
		ldns_status st;
		ldns_pkt *a = pr_ask(sv->res[r], t->name, LDNS_RR_TYPE_TXT, &st);
		const char *miss = a ? pr_first_missing(a, t->name, t->values, t->n_values) : NULL;
		if (a && !miss) {
			ldns_pkt_free(a);
			continue;
		}
		memset(lag, 0, sizeof *lag);
		snprintf(lag->ns, sizeof lag->ns, "resolver");
		snprintf(lag->addr, sizeof lag->addr, "%.63s", sv->label[r]);
		lag->state = miss ? PROP_MISSING : PROP_TIMEOUT;
		snprintf(lag->missing, sizeof lag->missing, "%s", miss ? miss : "");
		if (miss)
			snprintf(lag->detail, sizeof lag->detail, "resolver %.60s: missing \"%.80s\" at %.90s", sv->label[r], miss,
				 t->name);
		else
			snprintf(lag->detail, sizeof lag->detail, "resolver %s: %s", sv->label[r],
				 ldns_get_errorstr_by_id(st));
		ldns_pkt_free(a);
		return false;
	}
	return true;
}

static long pr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pr_sleep_ms(const struct prop_opts *o, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR && !pr_cancelled(o))
		;
}

/* The first server still lagging, or NULL. */
static const struct prop_server *pr_first_lagging(const struct prop_target *t, size_t n, const char **name)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < t[i].n_servers; k++)
			if (t[i].servers[k].state != PROP_HAS_ALL) {
				*name = t[i].name;
				return &t[i].servers[k];
			}
	return NULL;
}

/* After the authoritative servers agree: every resolver too. Returns true when they do (or are not asked). */
static bool pr_check_resolvers(const struct prop_opts *o, struct prop_target *t, size_t n, struct prop_server *lag,
			       const char **lag_name)
{
	struct pr_servers sv;
	char err[256];
	bool ok = true;

	if (!o->check_resolvers)
		return true;
	if (pr_servers_open(o, &sv, err, sizeof err) != 0)
		return false;
	for (size_t i = 0; i < n && ok; i++) {
		ok = pr_resolvers_agree(&sv, &t[i], lag);
		if (!ok) {
			*lag_name = t[i].name;
			t[i].done = false;
		}
	}
	pr_servers_close(&sv);
	return ok;
}

static void pr_wait_error(const struct prop_target *t, size_t n, const struct prop_server *lag, const char *lag_name,
			  long elapsed_ms, bool cancelled, char *errbuf, size_t errlen)
{
	const char *name = lag_name;
	const struct prop_server *s = pr_first_lagging(t, n, &name);

	if (!s)
		s = lag;
	if (!s || !s->ns[0]) {
		snprintf(errbuf, errlen, "%s after %ld s", cancelled ? "interrupted" : "not propagated", elapsed_ms / 1000);
		return;
	}
	if (strncmp(s->detail, s->ns, strlen(s->ns)) == 0) /* the detail already names the server */
		snprintf(errbuf, errlen, "%s after %ld s: %s: %s (%s)", cancelled ? "interrupted" : "not propagated",
			 elapsed_ms / 1000, name ? name : "", s->detail, prop_state_name(s->state));
	else
		snprintf(errbuf, errlen, "%s after %ld s: %s at %s %s is %s: %s",
			 cancelled ? "interrupted" : "not propagated", elapsed_ms / 1000, name ? name : "", s->ns, s->addr,
			 prop_state_name(s->state), s->detail);
}

int prop_wait(const struct prop_opts *o, struct prop_target *t, size_t n, char *errbuf, size_t errlen)
{
	long timeout_ms = (o->timeout_s > 0 ? o->timeout_s : 120) * 1000L;
	long interval_ms = (o->interval_s > 0 ? o->interval_s : 2) * 1000L;
	long start = pr_now_ms(), elapsed = 0, max_rounds = timeout_ms / interval_ms + 2;
	struct prop_server lag = { .state = PROP_HAS_ALL };
	const char *lag_name = NULL;
	bool ok = false;

	for (size_t i = 0; i < n; i++)
		if (prop_resolve(o, &t[i], errbuf, errlen) != 0)
			return -1;
	for (long round = 1; round <= max_rounds && !ok; round++) {
		ok = prop_round(o, t, n) == n && pr_check_resolvers(o, t, n, &lag, &lag_name);
		elapsed = pr_now_ms() - start;
		if (o->progress)
			o->progress(o->progress_ctx, t, n, (int)round, (int)(elapsed / 1000));
		if (ok || elapsed >= timeout_ms || pr_cancelled(o))
			break;
		pr_sleep_ms(o, interval_ms < timeout_ms - elapsed ? interval_ms : timeout_ms - elapsed);
		if (pr_cancelled(o))
			break;
	}
	if (ok)
		return 0;
	pr_wait_error(t, n, &lag, lag_name, elapsed, pr_cancelled(o), errbuf, errlen);
	return -1;
}

/* ---- report ---- */

const char *prop_state_name(enum prop_state s)
{
	switch (s) {
	case PROP_HAS_ALL: return "ok";
	case PROP_MISSING: return "missing";
	case PROP_OLD_SERIAL: return "old-serial";
	case PROP_TIMEOUT: return "timeout";
	case PROP_REFUSED: return "refused";
	case PROP_SERVFAIL: return "servfail";
	case PROP_LAME: return "lame";
	case PROP_ERROR: return "error";
	}
	return "error";
}

static json_t *pr_server_json(const struct prop_server *s)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "ns", s->ns, "address", s->addr, "state",
			 prop_state_name(s->state), "serial", (json_int_t)s->serial, "missing", s->missing, "detail",
			 s->detail);
}

static json_t *pr_target_json(const struct prop_target *t)
{
	json_t *chain = json_array(), *servers = json_array(), *values = json_array();
	size_t nc = t->chain_len < PROP_MAX_CHAIN ? t->chain_len : PROP_MAX_CHAIN;
	size_t nv = t->n_values < PROP_MAX_VALUES ? t->n_values : PROP_MAX_VALUES;
	size_t ns = t->n_servers < PROP_MAX_SERVERS ? t->n_servers : PROP_MAX_SERVERS;

	for (size_t i = 0; chain && i < nc; i++)
		json_array_append_new(chain, json_string(t->chain[i]));
	for (size_t i = 0; servers && i < ns; i++)
		json_array_append_new(servers, pr_server_json(&t->servers[i]));
	for (size_t i = 0; values && i < nv; i++)
		json_array_append_new(values, json_string(t->values[i] ? t->values[i] : ""));
	if (!chain || !servers || !values) {
		json_decref(chain);
		json_decref(servers);
		json_decref(values);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:o,s:s,s:I,s:o,s:b,s:o}", "name", t->name, "final", t->final, "chain", chain,
			 "zone", t->zone, "negative_ttl", (json_int_t)t->negative_ttl, "values", values, "done", t->done,
			 "servers", servers);
}

json_t *prop_report_json(const struct prop_target *t, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *one = pr_target_json(&t[i]);
		if (!one || json_array_append_new(arr, one) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

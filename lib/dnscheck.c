/* DNS look-ups for the client with ldns: the CNAME at a challenge name, and waiting until TXT values show. */
#include "dnscheck.h"
#include "dnsutil.h"

#include "log.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DC_LABEL_MAX 72         /* "[ffff:...:ffff]:65535" or "system resolver" */
#define DC_WHY_MAX 128          /* why one query failed */
#define DC_CHAIN_MAX 16         /* CNAME hops followed inside one answer */

struct dc_server {
	ldns_resolver *res;
	char label[DC_LABEL_MAX];
};

struct dc_servers {
	struct dc_server s[DNSCHECK_MAX_RESOLVERS];
	size_t n;
};

static const struct dnscheck_opts dc_defaults;




static void dc_servers_close(struct dc_servers *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		ldns_resolver_deep_free(sv->s[i].res);
	sv->n = 0;
}

static int dc_servers_open(const struct dnscheck_opts *o, struct dc_servers *sv, char *errbuf, size_t errlen)
{
	int ms = o->query_timeout_ms > 0 ? o->query_timeout_ms : 2000;

	memset(sv, 0, sizeof *sv);
	if (o->n_resolvers > DNSCHECK_MAX_RESOLVERS) {
		snprintf(errbuf, errlen, "at most %d resolvers", DNSCHECK_MAX_RESOLVERS);
		return -1;
	}
	if (o->n_resolvers == 0) {
		if (!(sv->s[0].res = dnsutil_resolver_open(NULL, true, ms, errbuf, errlen)))
			return -1;
		snprintf(sv->s[0].label, DC_LABEL_MAX, "the system resolver");
		sv->n = 1;
	}
	for (size_t i = 0; i < o->n_resolvers; i++) {
		if (!o->resolvers[i] || !(sv->s[i].res = dnsutil_resolver_open(o->resolvers[i], true, ms, errbuf, errlen))) {
			if (!o->resolvers[i])
				snprintf(errbuf, errlen, "resolver %zu is NULL", i);
			dc_servers_close(sv);
			return -1;
		}
		snprintf(sv->s[i].label, DC_LABEL_MAX, "%s", o->resolvers[i]);
		sv->n = i + 1;
	}
	return 0;
}





/* One question. Returns the answer (NOERROR or NXDOMAIN) or NULL with why set. */
static ldns_pkt *dc_query(ldns_resolver *r, const ldns_rdf *qname, ldns_rr_type t, char *why, size_t whylen)
{
	ldns_pkt *q = NULL, *a = NULL;
	ldns_status st = ldns_resolver_prepare_query_pkt(&q, r, qname, t, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_rcode rc;

	if (st == LDNS_STATUS_OK)
		st = dnsutil_send(r, q, &a);
	if (st != LDNS_STATUS_OK) {
		snprintf(why, whylen, "%s", ldns_get_errorstr_by_id(st));
	} else if (!dnsutil_answer_matches(q, a)) {
		snprintf(why, whylen, "the answer does not match the question");
	} else if ((rc = ldns_pkt_get_rcode(a)) != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);
		if (lt)
			snprintf(why, whylen, "%s", lt->name);
		else
			snprintf(why, whylen, "rcode %d", (int)rc);
	} else {
		ldns_pkt_free(q);
		return a;
	}
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return NULL;
}

/* The owner chain from qname through the answer's CNAMEs; returns its last name (borrowed). */
static const ldns_rdf *dc_follow_cnames(const ldns_pkt *a, const ldns_rdf *qname)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);
	const ldns_rdf *cur = qname;

	for (int hop = 0; hop < DC_CHAIN_MAX; hop++) {
		const ldns_rdf *next = NULL;
		for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && !next; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
			    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0)
				next = ldns_rr_rdf(rr, 0);
		}
		if (!next)
			break;
		cur = next;
	}
	return cur;
}



/* The CNAME target at qname in the answer: 1 with target set (lower case, no trailing dot), 0 if none, -1 if it
 * does not fit. Only the first hop counts: that is the record the user controls. */
static int dc_cname_target(const ldns_pkt *a, const ldns_rdf *qname, char *target, size_t tlen)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);
	const ldns_rdf *t = NULL;
	char *s;
	size_t len;

	for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && !t; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
		    ldns_dname_compare(ldns_rr_owner(rr), qname) == 0)
			t = ldns_rr_rdf(rr, 0);
	}
	if (!t)
		return 0;
	if (!(s = ldns_rdf2str(t)))
		return -1;
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		s[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	if (len >= tlen) {
		free(s);
		return -1;
	}
	memcpy(target, s, len + 1);
	free(s);
	return 1;
}

int dnscheck_cname(const struct dnscheck_opts *o, const char *name, char *target, size_t target_len, char *errbuf,
		   size_t errlen)
{
	struct dc_servers sv;
	ldns_rdf *qn = name ? dnsutil_dname(name) : NULL;
	char why[DC_WHY_MAX + DC_LABEL_MAX + 8] = "no resolver";
	int rc = -2;

	if (!qn) {
		snprintf(errbuf, errlen, "\"%s\" is not a domain name", name ? name : "(null)");
		return -1;
	}
	if (dc_servers_open(o ? o : &dc_defaults, &sv, errbuf, errlen) != 0) {
		ldns_rdf_deep_free(qn);
		return -1;
	}
	for (size_t i = 0; i < sv.n && rc == -2; i++) {
		char w[DC_WHY_MAX];
		ldns_pkt *a = dc_query(sv.s[i].res, qn, LDNS_RR_TYPE_CNAME, w, sizeof w);
		if (!a) {
			snprintf(why, sizeof why, "%s: %s", sv.s[i].label, w);
			log_debug("dnscheck: CNAME %s at %s: %s", name, sv.s[i].label, w);
			continue;
		}
		rc = dc_cname_target(a, qn, target, target_len);
		if (rc < 0)
			snprintf(why, sizeof why, "%s: the CNAME target does not fit", sv.s[i].label);
		ldns_pkt_free(a);
	}
	if (rc < 0)
		snprintf(errbuf, errlen, "CNAME of %s: %s", name, why);
	dc_servers_close(&sv);
	ldns_rdf_deep_free(qn);
	return rc < 0 ? -1 : rc;
}

/* ---- waiting for TXT values ---- */

struct dc_wait {
	const struct dnscheck_item *items;
	size_t n;
	struct dc_servers sv;
	ldns_rdf **qnames;              /* per item */
	size_t *group;                  /* per item: the first item with the same name (queried once per round) */
	bool *seen;                     /* [server * n + item]: the value showed at that resolver */
	size_t missing;                 /* after a round */
	char first[512];                /* the first missing value, where, and why */
};

static void dc_wait_free(struct dc_wait *w)
{
	for (size_t i = 0; w->qnames && i < w->n; i++)
		ldns_rdf_deep_free(w->qnames[i]);
	free(w->qnames);
	free(w->group);
	free(w->seen);
	dc_servers_close(&w->sv);
}

static int dc_wait_init(struct dc_wait *w, const struct dnscheck_opts *o, const struct dnscheck_item *items,
			size_t n, char *errbuf, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->items = items;
	w->n = n;
	w->qnames = calloc(n, sizeof *w->qnames);
	w->group = calloc(n, sizeof *w->group);
	w->seen = calloc(n * DNSCHECK_MAX_RESOLVERS, sizeof *w->seen);
	if (!w->qnames || !w->group || !w->seen) {
		snprintf(errbuf, errlen, "out of memory");
		dc_wait_free(w);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!items[i].fqdn || !items[i].value || !(w->qnames[i] = dnsutil_dname(items[i].fqdn))) {
			snprintf(errbuf, errlen, "item %zu: \"%s\" is not a domain name (or no value)", i,
				 items[i].fqdn ? items[i].fqdn : "(null)");
			dc_wait_free(w);
			return -1;
		}
		w->group[i] = i;
		for (size_t j = 0; j < i && w->group[i] == i; j++)
			if (ldns_dname_compare(w->qnames[j], w->qnames[i]) == 0)
				w->group[i] = j;
	}
	if (dc_servers_open(o, &w->sv, errbuf, errlen) != 0) {
		dc_wait_free(w);
		return -1;
	}
	return 0;
}

static void dc_note_missing(struct dc_wait *w, size_t s, size_t i, const char *why)
{
	if (w->missing++ > 0)
		return;
	snprintf(w->first, sizeof w->first, "%s TXT \"%s\" not seen at %s%s%s%s", w->items[i].fqdn,
		 w->items[i].value, w->sv.s[s].label, why ? " (" : "", why ? why : "", why ? ")" : "");
}

/* Whether any item of group g is still unseen at server s. */
static bool dc_group_pending(const struct dc_wait *w, size_t s, size_t g)
{
	for (size_t i = g; i < w->n; i++)
		if (w->group[i] == g && !w->seen[s * w->n + i])
			return true;
	return false;
}

/* Asks server s once per name that still lacks a value, marking what showed. */
static void dc_round_server(struct dc_wait *w, size_t s)
{
	for (size_t g = 0; g < w->n; g++) {
		char why[DC_WHY_MAX] = "";
		ldns_pkt *a;
		const ldns_rdf *owner;

		if (w->group[g] != g || !dc_group_pending(w, s, g))
			continue;
		a = dc_query(w->sv.s[s].res, w->qnames[g], LDNS_RR_TYPE_TXT, why, sizeof why);
		owner = a ? dc_follow_cnames(a, w->qnames[g]) : NULL;
		for (size_t i = g; i < w->n; i++) {
			if (w->group[i] != g || w->seen[s * w->n + i])
				continue;
			if (a && dnsutil_has_txt(a, owner, w->items[i].value))
				w->seen[s * w->n + i] = true;
			else
				dc_note_missing(w, s, i, a ? NULL : why);
		}
		ldns_pkt_free(a);
	}
}

static long dc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool dc_cancelled(const struct dnscheck_opts *o)
{
	return o->cancel && *o->cancel;
}

static void dc_sleep_ms(const struct dnscheck_opts *o, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !dc_cancelled(o))
		;
}

int dnscheck_wait_txt(const struct dnscheck_opts *o, const struct dnscheck_item *items, size_t n, char *errbuf,
		      size_t errlen)
{
	struct dc_wait w;
	const struct dnscheck_opts *op = o ? o : &dc_defaults;
	long timeout_ms = (op->timeout_s > 0 ? op->timeout_s : 120) * 1000L;
	long interval_ms = (op->interval_s > 0 ? op->interval_s : 2) * 1000L;
	long start = dc_now_ms(), elapsed = 0, max_rounds = timeout_ms / interval_ms + 2;
	int rc = -1;

	if (n == 0)
		return 0;
	if (dc_wait_init(&w, op, items, n, errbuf, errlen) != 0)
		return -1;
	for (long round = 0; round < max_rounds && rc != 0; round++) {
		w.missing = 0;
		for (size_t s = 0; s < w.sv.n; s++)
			dc_round_server(&w, s);
		elapsed = dc_now_ms() - start;
		if (op->progress)
			op->progress(op->progress_ctx, (int)(elapsed / 1000), (int)(timeout_ms / 1000), w.missing,
				     w.missing ? w.first : "");
		if (w.missing == 0)
			rc = 0;
		else if (elapsed >= timeout_ms || dc_cancelled(op))
			break;
		else
			dc_sleep_ms(op, interval_ms < timeout_ms - elapsed ? interval_ms : timeout_ms - elapsed);
		if (rc != 0 && dc_cancelled(op))
			break;
	}
	if (rc != 0 && dc_cancelled(op))
		snprintf(errbuf, errlen, "interrupted after %ld s with %zu value%s still missing", elapsed / 1000, w.missing,
			 w.missing == 1 ? "" : "s");
	else if (rc != 0)
		snprintf(errbuf, errlen, "after %ld s, %zu value%s still missing; first: %s", elapsed / 1000, w.missing,
			 w.missing == 1 ? "" : "s", w.first);
	dc_wait_free(&w);
	return rc;
}

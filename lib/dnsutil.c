/* Small ldns helpers shared by the DNS check and the propagation checker. */
#include "dnsutil.h"

#include <stdio.h>
#include <string.h>

/* Splits "addr", "addr:port", "[v6]:port" or a bare IPv6 address. Returns 0, or -1 when malformed. */
int dnsutil_parse_spec(const char *spec, char *host, size_t hostlen, uint16_t *port)
{
	const char *h = spec, *end, *p = NULL, *colon = strchr(spec, ':');

	*port = 53;
	if (spec[0] == '[') {
		h = spec + 1;
		end = strchr(h, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -1;
		if (end[1] == ':')
			p = end + 2;
	} else if (colon && !strchr(colon + 1, ':')) {
		end = colon;
		p = colon + 1;
	} else {
		end = spec + strlen(spec);
	}
	if (end == h || (size_t)(end - h) >= hostlen)
		return -1;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	if (p) {
		char *e;
		unsigned long v;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtoul(p, &e, 10);
		if (errno || *e || v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	return 0;
}

/* A name as an absolute ldns dname, or NULL. */
ldns_rdf *dnsutil_dname(const char *name)
{
	char buf[300];
	size_t len = strlen(name);

	if (len == 0 || len > 254)
		return NULL;
	snprintf(buf, sizeof buf, "%s%s", name, name[len - 1] == '.' ? "" : ".");
	return ldns_dname_new_frm_str(buf);
}

/* The answer belongs to the query: same ID, QR set, the one question we asked. */
bool dnsutil_answer_matches(const ldns_pkt *q, const ldns_pkt *a)
{
	const ldns_rr_list *qa = ldns_pkt_question(a), *qq = ldns_pkt_question(q);
	const ldns_rr *x, *y;

	if (ldns_pkt_id(a) != ldns_pkt_id(q) || !ldns_pkt_qr(a) || ldns_rr_list_rr_count(qa) != 1)
		return false;
	x = ldns_rr_list_rr(qa, 0);
	y = ldns_rr_list_rr(qq, 0);
	return ldns_rr_get_type(x) == ldns_rr_get_type(y) &&
	       ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y)) == 0;
}

static /* Every nameserver counts as reachable again: ldns otherwise skips one that timed out once, for good. */
void reset_rtt(ldns_resolver *r)
{
	for (size_t i = 0; i < ldns_resolver_nameserver_count(r); i++)
		ldns_resolver_set_nameserver_rtt(r, i, LDNS_RESOLV_RTT_MIN);
}

/* Sends q over UDP, and again over TCP when the answer is truncated. */
ldns_status dnsutil_send(ldns_resolver *r, ldns_pkt *q, ldns_pkt **a)
{
	ldns_status st;

	*a = NULL;
	reset_rtt(r);
	st = ldns_resolver_send_pkt(a, r, q);
	if (st == LDNS_STATUS_OK && *a && ldns_pkt_tc(*a)) {
		ldns_pkt_free(*a);
		*a = NULL;
		reset_rtt(r);
		ldns_resolver_set_usevc(r, true);
		st = ldns_resolver_send_pkt(a, r, q);
		ldns_resolver_set_usevc(r, false);
	}
	if (st == LDNS_STATUS_OK && !*a)
		st = LDNS_STATUS_ERR;
	return st;
}

/* The TXT rdata's character-strings joined; false when it does not fit. */
bool dnsutil_txt_text(const ldns_rr *rr, char *out, size_t outlen)
{
	size_t used = 0;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t sz = ldns_rdf_size(f);
		if (sz == 0 || (size_t)d[0] + 1 > sz || used + d[0] >= outlen)
			return false;
		memcpy(out + used, d + 1, d[0]);
		used += d[0];
	}
	out[used] = '\0';
	return true;
}

bool dnsutil_has_txt(const ldns_pkt *a, const ldns_rdf *owner, const char *value)
{
	const ldns_rr_list *ans = ldns_pkt_answer(a);
	char text[2048];                /* longest TXT rdata compared (a challenge value is 43) */

	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT && ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    dnsutil_txt_text(rr, text, sizeof text) && strcmp(text, value) == 0)
			return true;
	}
	return false;
}

void dnsutil_resolver_tune(ldns_resolver *r, bool rd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	ldns_resolver_set_timeout(r, tv);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_recursive(r, rd);
	ldns_resolver_set_dnssec(r, false);
	ldns_resolver_set_edns_udp_size(r, 0);
	ldns_resolver_set_fallback(r, false);
	ldns_resolver_set_igntc(r, false);
	ldns_resolver_set_usevc(r, false);
	ldns_resolver_set_defnames(r, false);
	ldns_resolver_set_dnsrch(r, false);
	ldns_resolver_set_random(r, false);
}

ldns_resolver *dnsutil_resolver_new(const char *host, uint16_t port, bool rd, int timeout_ms)
{
	ldns_rdf *addr = ldns_rdf_new_frm_str(strchr(host, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host);
	ldns_resolver *r = addr ? ldns_resolver_new() : NULL;

	if (r && ldns_resolver_push_nameserver(r, addr) != LDNS_STATUS_OK) {
		ldns_resolver_deep_free(r);
		r = NULL;
	}
	ldns_rdf_deep_free(addr);
	if (!r)
		return NULL;
	ldns_resolver_set_port(r, port);
	dnsutil_resolver_tune(r, rd, timeout_ms);
	return r;
}

ldns_resolver *dnsutil_resolver_open(const char *spec, bool rd, int timeout_ms, char *errbuf, size_t errlen)
{
	char host[64];
	uint16_t port;
	ldns_resolver *r = NULL;

	if (!spec) {
		ldns_status st = ldns_resolver_new_frm_file(&r, NULL);
		if (st != LDNS_STATUS_OK) {
			snprintf(errbuf, errlen, "system resolver (/etc/resolv.conf): %s", ldns_get_errorstr_by_id(st));
			return NULL;
		}
		dnsutil_resolver_tune(r, rd, timeout_ms);
		return r;
	}
	if (dnsutil_parse_spec(spec, host, sizeof host, &port) != 0) {
		snprintf(errbuf, errlen, "resolver \"%s\": expected ADDRESS, ADDRESS:PORT or [IPv6]:PORT", spec);
		return NULL;
	}
	if (!(r = dnsutil_resolver_new(host, port, rd, timeout_ms)))
		snprintf(errbuf, errlen, "resolver \"%s\": \"%s\" is not a numeric IP address", spec, host);
	return r;
}

/* RFC 2136 UPDATE with TSIG: framing and the TSIG gate on the wire (lib/tsig.c), the sections read by ldns, zone and
 * prerequisite checks (RFC 2136 section 3), the key's policy, then one store transaction and a publish, all
 * under the writers' lock. UPDATE is rare, so clarity wins over speed here: ldns allocates, the query path
 * does not. */
#include "update.h"

#include "log.h"
#include "publish.h"
#include "tsig.h"
#include "wire.h"

#include <ldns/ldns.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { T_SOA = 6, T_TXT = 16, T_OPT = 41, T_TKEY = 249, T_TSIG = 250, T_IXFR = 251, T_AXFR = 252, T_MAILB = 253,
       T_MAILA = 254, T_ANY = 255 };
enum { C_IN = 1, C_NONE = 254, C_ANY = 255 };
enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_SERVFAIL = 2, RC_NXDOMAIN = 3, RC_NOTIMP = 4, RC_REFUSED = 5,
       RC_YXDOMAIN = 6, RC_YXRRSET = 7, RC_NXRRSET = 8, RC_NOTAUTH = 9, RC_NOTZONE = 10 };

#define OPCODE_UPDATE 5
#define LOG_MAX       900

static const uint8_t challenge_label[] = "\017_acme-challenge";

/* One change the message asks for, once the key's policy allowed it. */
struct change {
	enum store_op op;
	enum store_target target;
	char key[STORE_DNAME_MAX];          /* the account subdomain, or the name in text without the dot */
	char value[STORE_VALUE_MAX + 1];
};

struct upd {
	const struct update_env *env;
	const uint8_t *msg;
	size_t len;
	ldns_pkt *pkt;
	/* the zone section, echoed in the response */
	bool has_zone;
	uint8_t zname[WIRE_NAME_MAX];       /* as received */
	uint8_t zlname[WIRE_NAME_MAX];      /* lower case */
	size_t zlen;
	uint16_t ztype, zclass;
	const struct zone *zone;
	/* TSIG */
	bool has_tsig;
	struct tsig_rr tsig;
	const struct config_key *key;       /* the configured key the TSIG names */
	int tsig_error;                     /* the response's TSIG error; -1: the response has no TSIG */
	bool sign;                          /* the response is signed with key */
	bool authed;                        /* MAC and time verified: the key's policy applies */
	/* the outcome */
	struct change changes[UPDATE_MAX_RRS];
	size_t n_changes;
	const char *why;                    /* why it was refused, for the log */
	char what[LOG_MAX];                 /* what changed, for the log */
	size_t what_len;
};

bool update_is_update(const uint8_t *msg, size_t len)
{
	return len >= 12 && !(msg[2] & 0x80) && (msg[2] >> 3 & 0xF) == OPCODE_UPDATE;
}

static int refuse(struct upd *u, int rcode, const char *why)
{
	u->why = why;
	return rcode;
}

/* ---- the TSIG gate (RFC 8945 section 5.2) ---- */

static const struct config_key *key_find(const struct config *cfg, const struct tsig_rr *rr)
{
	for (size_t i = 0; i < cfg->n_keys; i++)
		if (tsig_request_names(rr, cfg->keys[i].tsig))
			return &cfg->keys[i];
	return NULL;
}

/* Finds the key and checks the MAC, the time and truncation. Unsigned messages pass (the policy refuses
 * them later, after the format checks). On NOTAUTH, tsig_error says why. */
static int tsig_gate(struct upd *u)
{
	if (!u->has_tsig)
		return RC_NOERROR;
	u->tsig_error = TSIG_BADKEY;
	u->key = key_find(u->env->cfg, &u->tsig);
	if (!u->key)
		return refuse(u, RC_NOTAUTH, "unknown key");
	int err = tsig_request_verify(u->msg, &u->tsig, u->key->tsig, u->env->now, u->env->cfg->update_fudge);
	if (err < 0) {
		u->tsig_error = -1;
		return refuse(u, RC_FORMERR, "malformed MAC length");
	}
	u->tsig_error = err;
	u->sign = err != TSIG_BADKEY && err != TSIG_BADSIG;   /* RFC 8945 5.3.2: those go back unsigned */
	u->authed = err == TSIG_NOERROR;
	switch (err) {
	case TSIG_NOERROR:
		return RC_NOERROR;
	case TSIG_BADKEY:
		return refuse(u, RC_NOTAUTH, "BADKEY: the key has another algorithm");
	case TSIG_BADSIG:
		return refuse(u, RC_NOTAUTH, "BADSIG: wrong MAC");
	case TSIG_BADTIME:
		return refuse(u, RC_NOTAUTH, "BADTIME: clock skew beyond fudge");
	default:
		return refuse(u, RC_NOTAUTH, "BADTRUNC: truncated MAC");
	}
}

/* ---- names ---- */

/* The owner of rr in lower case; returns its length. ldns holds names uncompressed, at most 255 bytes. */
static size_t rr_lname(const ldns_rr *rr, uint8_t out[WIRE_NAME_MAX])
{
	const ldns_rdf *o = ldns_rr_owner(rr);
	size_t n = ldns_rdf_size(o);
	if (n == 0 || n > WIRE_NAME_MAX || n != wire_name_len(ldns_rdf_data(o))) {
		out[0] = 0;
		return 1;
	}
	wire_name_lower(out, ldns_rdf_data(o));
	return n;
}

/* In the zone of the message and not in a more specific zone we also serve (RFC 2136 NOTZONE otherwise). */
static bool in_zone(const struct upd *u, const uint8_t *lname, size_t len)
{
	return wire_name_under(lname, len, u->zlname, u->zlen) && zonedb_find(u->env->db, lname, len) == u->zone;
}

/* True when lname is exactly one label below the zone apex. */
static bool one_below(const struct upd *u, const uint8_t *lname, size_t len)
{
	return len > u->zlen && len == u->zlen + 1 + lname[0];
}

/* Text of a zone or name for logs and the store: lower case, no trailing dot ("." for the root). */
static void name_text(const uint8_t *lname, char *out, size_t outlen)
{
	wire_name_to_str(lname, out, outlen);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* ---- the zone section (RFC 2136 3.1) ---- */

/* Keeps the zone for the response before anything is checked, so even a refusal echoes it. */
static void zone_remember(struct upd *u)
{
	if (ldns_pkt_qdcount(u->pkt) < 1)
		return;
	const ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(u->pkt), 0);
	const ldns_rdf *o = z ? ldns_rr_owner(z) : NULL;
	size_t n = o ? ldns_rdf_size(o) : 0;
	if (n == 0 || n > WIRE_NAME_MAX || n != wire_name_len(ldns_rdf_data(o)))
		return;
	memcpy(u->zname, ldns_rdf_data(o), n);
	wire_name_lower(u->zlname, u->zname);
	u->zlen = n;
	u->ztype = (uint16_t)ldns_rr_get_type(z);
	u->zclass = (uint16_t)ldns_rr_get_class(z);
	u->has_zone = true;
}

static int zone_check(struct upd *u)
{
	if (ldns_pkt_qdcount(u->pkt) != 1 || !u->has_zone)
		return refuse(u, RC_FORMERR, "the zone section must hold one zone");
	if (u->ztype != T_SOA)
		return refuse(u, RC_FORMERR, "the zone's type must be SOA");
	if (u->zclass != C_IN)
		return refuse(u, RC_NOTAUTH, "the zone's class must be IN");
	u->zone = zonedb_find(u->env->db, u->zlname, u->zlen);
	if (!u->zone || zone_origin_len(u->zone) != u->zlen)
		return refuse(u, RC_NOTAUTH, "not a zone this server serves");
	return RC_NOERROR;
}

/* ---- format checks of the prerequisite and update sections (RFC 2136 3.2.1 and 3.4.1) ---- */

static bool type_is_meta(uint16_t t)
{
	return t == T_OPT || t == T_TSIG || t == T_TKEY || t == T_IXFR || t == T_AXFR || t == T_MAILA ||
	       t == T_MAILB;
}

static int prereq_format(struct upd *u, const ldns_rr *rr)
{
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr), type = (uint16_t)ldns_rr_get_type(rr);
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = rr_lname(rr, lname);
	if (ldns_rr_ttl(rr) != 0)
		return refuse(u, RC_FORMERR, "a prerequisite with a TTL");
	if ((cls == C_ANY || cls == C_NONE) && ldns_rr_rd_count(rr) != 0)
		return refuse(u, RC_FORMERR, "a prerequisite of class ANY or NONE with data");
	if ((cls != C_ANY && cls != C_NONE && cls != C_IN) || (cls == C_IN && (type == T_ANY || type_is_meta(type))))
		return refuse(u, RC_FORMERR, "a prerequisite of a bad class or type");
	if (!in_zone(u, lname, len))
		return refuse(u, RC_NOTZONE, "a prerequisite outside the zone");
	return RC_NOERROR;
}

static int update_format(struct upd *u, const ldns_rr *rr)
{
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr), type = (uint16_t)ldns_rr_get_type(rr);
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = rr_lname(rr, lname);
	bool bad;
	if (cls == C_IN)
		bad = type == T_ANY || type_is_meta(type);
	else if (cls == C_ANY)
		bad = ldns_rr_ttl(rr) != 0 || ldns_rr_rd_count(rr) != 0 || type_is_meta(type);
	else if (cls == C_NONE)
		bad = ldns_rr_ttl(rr) != 0 || type == T_ANY || type_is_meta(type);
	else
		bad = true;
	if (bad)
		return refuse(u, RC_FORMERR, "an update of a bad class, type, TTL or length");
	if (!in_zone(u, lname, len))
		return refuse(u, RC_NOTZONE, "an update outside the zone");
	return RC_NOERROR;
}

static int sections_format(struct upd *u)
{
	const ldns_rr_list *pre = ldns_pkt_answer(u->pkt), *up = ldns_pkt_authority(u->pkt);
	size_t npre = ldns_rr_list_rr_count(pre), nup = ldns_rr_list_rr_count(up);
	if (npre > UPDATE_MAX_RRS || nup > UPDATE_MAX_RRS)
		return refuse(u, RC_REFUSED, "more than 64 prerequisites or updates");
	int rc = RC_NOERROR;
	for (size_t i = 0; rc == RC_NOERROR && i < npre; i++)
		rc = prereq_format(u, ldns_rr_list_rr(pre, i));
	for (size_t i = 0; rc == RC_NOERROR && i < nup; i++)
		rc = update_format(u, ldns_rr_list_rr(up, i));
	return rc;
}

/* ---- what the server serves (static zone + values), for prerequisites ---- */

struct served {
	const struct zone_node *node;       /* static data; when there is a node, it is all there is */
	const struct txt_set *txt;          /* else account or dynamic values (NULL: the name does not exist) */
};

static void served_at(const struct upd *u, const uint8_t *lname, size_t len, struct served *s)
{
	s->node = zone_find_node(u->zone, lname, len);
	s->txt = NULL;
	if (s->node)
		return;
	if (zone_is_challenge(u->zone) && one_below(u, lname, len))
		s->txt = txt_table_lookup(u->env->accounts, lname + 1, lname[0]);
	if (!s->txt)
		s->txt = txt_table_name_lookup(u->env->names, lname, len);
}

/* A value counts as served while a query would still see it (store.max_value_age). */
static bool value_live(const struct upd *u, const struct txt_value *v)
{
	uint32_t age = u->env->cfg->max_value_age;
	return age == 0 || v->created + (int64_t)age >= u->env->now;
}

static size_t live_values(const struct upd *u, const struct txt_set *set)
{
	size_t n = 0;
	for (uint32_t i = 0; set && i < set->n; i++)
		n += value_live(u, &set->v[i]);
	return n;
}

static bool name_in_use(const struct upd *u, const struct served *s)
{
	return s->node ? zone_node_rrset_at(s->node, 0) != NULL : live_values(u, s->txt) > 0;
}

static bool rrset_exists(const struct upd *u, const struct served *s, uint16_t type)
{
	return s->node ? zone_node_rrset(s->node, type) != NULL : type == T_TXT && live_values(u, s->txt) > 0;
}

/* One rdata, uncompressed. */
struct rdata {
	const uint8_t *p;
	size_t len;
};

/* The served RRset of type at s into out (at most max); returns its size. */
static size_t served_rdatas(const struct upd *u, const struct served *s, uint16_t type, struct rdata *out,
			    size_t max)
{
	size_t n = 0;
	if (s->node) {
		const struct zone_rrset *set = zone_node_rrset(s->node, type);
		for (unsigned i = 0; set && i < set->count && n < max; i++)
			out[n++] = (struct rdata){ set->rdata[i] + 2, (size_t)set->rdata[i][0] << 8 | set->rdata[i][1] };
		return n;
	}
	for (uint32_t i = 0; type == T_TXT && s->txt && i < s->txt->n && n < max; i++)
		if (value_live(u, &s->txt->v[i]))
			out[n++] = (struct rdata){ s->txt->v[i].rdata, (size_t)s->txt->v[i].rdlen + 1 };
	return n;
}

/* Names inside rdata compare without regard to case (RFC 4034 6.2 lists the types; these are the ones a
 * zone of ours holds). Both sides are well-formed: zone data and ldns output. */
static bool rdata_equal(uint16_t type, const struct rdata *a, const struct rdata *b)
{
	size_t fixed = 0, names = 0;
	if (a->len != b->len)
		return false;
	if (type == 2 || type == 5 || type == 12 || type == 39)           /* NS, CNAME, PTR, DNAME */
		names = 1;
	else if (type == 15)                                              /* MX */
		fixed = 2, names = 1;
	else if (type == T_SOA)
		names = 2;
	if (memcmp(a->p, b->p, fixed) != 0)
		return false;
	size_t pos = fixed;
	for (size_t i = 0; i < names; i++) {
		size_t n = wire_name_len(a->p + pos);
		if (pos + n > a->len || !wire_name_eq_ci(a->p + pos, b->p + pos))
			return false;
		pos += n;
	}
	return memcmp(a->p + pos, b->p + pos, a->len - pos) == 0;
}

static bool rdata_in(uint16_t type, const struct rdata *x, const struct rdata *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rdata_equal(type, x, &set[i]))
			return true;
	return false;
}

/* RFC 2136 3.2.3: the class-IN prerequisites at (name, type) of pre[first] spell an RRset that must equal
 * the served one, as sets. */
static bool rrset_matches(const struct upd *u, const ldns_rr_list *pre, size_t first, ldns_buffer *buf)
{
	const ldns_rr *rr = ldns_rr_list_rr(pre, first);
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint8_t lname[WIRE_NAME_MAX], other[WIRE_NAME_MAX];
	size_t len = rr_lname(rr, lname), starts[UPDATE_MAX_RRS + 1], n = 0;
	ldns_buffer_clear(buf);
	for (size_t j = first; j < ldns_rr_list_rr_count(pre); j++) {
		const ldns_rr *x = ldns_rr_list_rr(pre, j);
		if ((uint16_t)ldns_rr_get_class(x) != C_IN || ldns_rr_get_type(x) != type || rr_lname(x, other) != len ||
		    memcmp(other, lname, len) != 0)
			continue;
		starts[n++] = ldns_buffer_position(buf);
		if (ldns_rr_rdata2buffer_wire(buf, x) != LDNS_STATUS_OK)
			return false;
	}
	starts[n] = ldns_buffer_position(buf);
	struct rdata want[UPDATE_MAX_RRS], have[UPDATE_MAX_RRS];
	for (size_t i = 0; i < n; i++)
		want[i] = (struct rdata){ ldns_buffer_at(buf, starts[i]), starts[i + 1] - starts[i] };
	struct served s;
	served_at(u, lname, len, &s);
	size_t m = served_rdatas(u, &s, type, have, UPDATE_MAX_RRS);
	for (size_t i = 0; i < n; i++)
		if (!rdata_in(type, &want[i], have, m))
			return false;
	for (size_t i = 0; i < m; i++)
		if (!rdata_in(type, &have[i], want, n))
			return false;
	return true;
}

/* True when an earlier class-IN prerequisite has the same name and type (its RRset was checked then). */
static bool group_seen(const ldns_rr_list *pre, size_t i)
{
	const ldns_rr *rr = ldns_rr_list_rr(pre, i);
	for (size_t j = 0; j < i; j++) {
		const ldns_rr *x = ldns_rr_list_rr(pre, j);
		if ((uint16_t)ldns_rr_get_class(x) == C_IN && ldns_rr_get_type(x) == ldns_rr_get_type(rr) &&
		    ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(rr)) == 0)
			return true;
	}
	return false;
}

static int prereq_one(struct upd *u, const ldns_rr_list *pre, size_t i, ldns_buffer *buf)
{
	const ldns_rr *rr = ldns_rr_list_rr(pre, i);
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr), type = (uint16_t)ldns_rr_get_type(rr);
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = rr_lname(rr, lname);
	struct served s;
	served_at(u, lname, len, &s);
	if (cls == C_ANY && type == T_ANY)
		return name_in_use(u, &s) ? RC_NOERROR : refuse(u, RC_NXDOMAIN, "prerequisite: name not in use");
	if (cls == C_ANY)
		return rrset_exists(u, &s, type) ? RC_NOERROR : refuse(u, RC_NXRRSET, "prerequisite: no such RRset");
	if (cls == C_NONE && type == T_ANY)
		return name_in_use(u, &s) ? refuse(u, RC_YXDOMAIN, "prerequisite: name in use") : RC_NOERROR;
	if (cls == C_NONE)
		return rrset_exists(u, &s, type) ? refuse(u, RC_YXRRSET, "prerequisite: RRset exists") : RC_NOERROR;
	if (group_seen(pre, i) || rrset_matches(u, pre, i, buf))
		return RC_NOERROR;
	return refuse(u, RC_NXRRSET, "prerequisite: RRset differs");
}

/* RFC 2136 3.2, against what queries see right now; the caller holds the write lock. */
static int prereqs_check(struct upd *u)
{
	const ldns_rr_list *pre = ldns_pkt_answer(u->pkt);
	ldns_buffer *buf = ldns_buffer_new(512);
	if (!buf)
		return refuse(u, RC_SERVFAIL, "out of memory");
	int rc = RC_NOERROR;
	for (size_t i = 0; rc == RC_NOERROR && i < ldns_rr_list_rr_count(pre); i++)
		rc = prereq_one(u, pre, i, buf);
	ldns_buffer_free(buf);
	return rc;
}

/* ---- the key's policy ---- */

static bool key_allows_zone(const struct config_key *k, const struct zone *z)
{
	if (k->all_zones)
		return true;
	char origin[WIRE_NAME_MAX * 4 + 8];
	uint8_t lo[WIRE_NAME_MAX];
	wire_name_lower(lo, zone_origin(z));
	name_text(lo, origin, sizeof(origin));
	for (size_t i = 0; i < k->n_zones; i++)
		if (strcmp(k->zones[i], origin) == 0)
			return true;
	return false;
}

static bool key_has_subdomain(const struct config_key *k, const uint8_t *label)
{
	for (size_t i = 0; i < k->n_subdomains; i++)
		if (strlen(k->subdomains[i]) == label[0] && memcmp(k->subdomains[i], label + 1, label[0]) == 0)
			return true;
	return false;
}

/* Letters, digits, '-' and '_' only: such names go to the store as plain text and back. */
static bool name_plain(const uint8_t *lname)
{
	for (const uint8_t *p = lname; *p; p += 1 + *p)
		for (unsigned i = 1; i <= *p; i++)
			if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_'))
				return false;
	return true;
}

/* A delegation in the zone at or above lname: the name belongs to the child's servers. */
static bool below_delegation(const struct upd *u, const uint8_t *lname, size_t len)
{
	for (const uint8_t *p = lname; (size_t)(len - (size_t)(p - lname)) > u->zlen; p += 1 + *p) {
		const struct zone_node *n = zone_find_node(u->zone, p, len - (size_t)(p - lname));
		if (n && zone_node_is_delegation(n))
			return true;
	}
	return false;
}

/* An account subdomain the key was given, in the challenge zone. */
static int target_account(struct upd *u, const uint8_t *lname, struct change *c)
{
	if (!txt_table_lookup(u->env->accounts, lname + 1, lname[0]))
		return refuse(u, RC_REFUSED, "no account has this subdomain");
	c->target = STORE_SUBDOMAIN;
	memcpy(c->key, lname + 1, lname[0]);
	c->key[lname[0]] = '\0';
	return RC_NOERROR;
}

/* Where an update at lname may write: (b) an account subdomain the key was given, or (a) an
 * _acme-challenge name in a zone the key may use, where the zone file has nothing. */
static int target_of(struct upd *u, const uint8_t *lname, size_t len, struct change *c)
{
	bool challenge = zone_is_challenge(u->zone);
	if (challenge && one_below(u, lname, len) && key_has_subdomain(u->key, lname))
		return target_account(u, lname, c);
	if (memcmp(lname, challenge_label, sizeof(challenge_label) - 1) != 0)
		return refuse(u, RC_REFUSED, "neither an _acme-challenge name nor a subdomain of the key");
	if (!key_allows_zone(u->key, u->zone))
		return refuse(u, RC_REFUSED, "the key may not write in this zone");
	if (!name_plain(lname))
		return refuse(u, RC_REFUSED, "a name with characters other than letters, digits, - and _");
	if (zone_find_node(u->zone, lname, len))
		return refuse(u, RC_REFUSED, "the zone file has data at this name");
	if (below_delegation(u, lname, len))
		return refuse(u, RC_REFUSED, "the name is below a delegation");
	if (challenge && !one_below(u, lname, len)) {
		const uint8_t *top = lname;                /* the label right below the apex */
		while (len - (size_t)(top - lname) != u->zlen + 1 + *top)
			top += 1 + *top;
		if (txt_table_lookup(u->env->accounts, top + 1, *top))
			return refuse(u, RC_REFUSED, "the name is below an account subdomain");
	}
	c->target = STORE_NAME;
	name_text(lname, c->key, sizeof(c->key));
	return RC_NOERROR;
}

/* The value of a TXT record: exactly one character-string of 1 to 255 printable ASCII characters. */
static bool txt_value(const ldns_rr *rr, char out[STORE_VALUE_MAX + 1])
{
	const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	if (!f || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || ldns_rdf_size(f) < 2)
		return false;
	const uint8_t *d = ldns_rdf_data(f);
	if ((size_t)d[0] + 1 != ldns_rdf_size(f))
		return false;
	for (unsigned i = 1; i <= d[0]; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return false;
	memcpy(out, d + 1, d[0]);
	out[d[0]] = '\0';
	return true;
}

static int change_of(struct upd *u, const ldns_rr *rr, struct change *c)
{
	uint16_t cls = (uint16_t)ldns_rr_get_class(rr), type = (uint16_t)ldns_rr_get_type(rr);
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = rr_lname(rr, lname);
	if (type != T_TXT && !(cls == C_ANY && type == T_ANY))
		return refuse(u, RC_REFUSED, "only TXT records may be changed");
	int rc = target_of(u, lname, len, c);
	if (rc != RC_NOERROR)
		return rc;
	if (cls == C_ANY) {
		c->op = STORE_CLEAR;                 /* the TXT RRset, or every RRset: TXT is all a key may touch */
		return RC_NOERROR;
	}
	if (!txt_value(rr, c->value))
		return refuse(u, RC_REFUSED, "a TXT value must be one string of 1 to 255 printable characters");
	c->op = cls == C_IN ? STORE_ADD : STORE_REMOVE;
	return RC_NOERROR;
}

/* ---- committing ---- */

static void what_add(struct upd *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void what_add(struct upd *u, const char *fmt, ...)
{
	if (u->what_len >= sizeof(u->what) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(u->what + u->what_len, sizeof(u->what) - u->what_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		u->what_len += (size_t)n < sizeof(u->what) - u->what_len ? (size_t)n : sizeof(u->what) - 1 - u->what_len;
}

static void what_change(struct upd *u, const struct change *c)
{
	const char *where = c->target == STORE_SUBDOMAIN ? u->env->cfg->zone : "";
	const char *dot = c->target == STORE_SUBDOMAIN ? "." : "";
	if (c->op == STORE_CLEAR)
		what_add(u, "%s-TXT %s%s%s (all)", u->what_len ? ", " : "", c->key, dot, where);
	else
		what_add(u, "%s%cTXT %s%s%s \"%s\"", u->what_len ? ", " : "", c->op == STORE_ADD ? '+' : '-', c->key,
			 dot, where, c->value);
}

/* Publishes every name the changes touched, each once, from what the store now holds. */
static int changes_publish(struct upd *u)
{
	const struct update_env *env = u->env;
	int rc = 0;
	for (size_t i = 0; i < u->n_changes; i++) {
		const struct change *c = &u->changes[i];
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = u->changes[j].target == c->target && strcmp(u->changes[j].key, c->key) == 0;
		if (seen)
			continue;
		if (c->target == STORE_SUBDOMAIN)
			rc |= publish_subdomain(env->store, env->accounts, env->cfg->values_kept, c->key);
		else
			rc |= publish_name(env->store, env->names, env->cfg->values_kept, c->key);
	}
	return rc;
}

/* Checks every update against the policy first, so a refused record leaves nothing behind; then one
 * transaction, then the publish. The caller holds the write lock. */
static int changes_apply(struct upd *u)
{
	const ldns_rr_list *up = ldns_pkt_authority(u->pkt);
	struct store_change sc[UPDATE_MAX_RRS];
	for (size_t i = 0; i < ldns_rr_list_rr_count(up); i++) {
		struct change *c = &u->changes[u->n_changes];
		int rc = change_of(u, ldns_rr_list_rr(up, i), c);
		if (rc != RC_NOERROR)
			return rc;
		sc[u->n_changes++] = (struct store_change){ c->op, c->target, c->key, c->value };
	}
	if (u->n_changes == 0)
		return RC_NOERROR;
	if (store_apply(u->env->store, sc, u->n_changes, u->env->now) < 0)
		return refuse(u, RC_SERVFAIL, "the store failed; nothing changed");
	for (size_t i = 0; i < u->n_changes; i++)
		what_change(u, &u->changes[i]);
	if (changes_publish(u) != 0)
		return refuse(u, RC_SERVFAIL, "stored, but not published");
	return RC_NOERROR;
}

/* ---- the whole request ---- */

static int process(struct upd *u)
{
	int found = tsig_find(u->msg, u->len, &u->tsig);
	if (found < 0)
		return refuse(u, RC_FORMERR, "malformed message or TSIG record");
	u->has_tsig = found == 1;
	if (ldns_wire2pkt(&u->pkt, u->msg, u->len) != LDNS_STATUS_OK) {
		u->pkt = NULL;
		return refuse(u, RC_FORMERR, "malformed message");
	}
	zone_remember(u);
	int rc = tsig_gate(u);
	if (rc == RC_NOERROR)
		rc = zone_check(u);
	if (rc == RC_NOERROR)
		rc = sections_format(u);
	if (rc == RC_NOERROR && !u->authed)
		rc = refuse(u, RC_REFUSED, "not signed with a TSIG key");
	if (rc != RC_NOERROR)
		return rc;
	pthread_mutex_lock(u->env->write_lock);
	rc = prereqs_check(u);
	if (rc == RC_NOERROR)
		rc = changes_apply(u);
	pthread_mutex_unlock(u->env->write_lock);
	return rc;
}

/* Header, the zone section echoed, and the TSIG record when the request had one we could read. */
static size_t respond(const struct upd *u, int rcode, uint8_t *out, size_t cap)
{
	struct wire_wr w;
	wire_wr_init(&w, out, cap);
	wire_wr_bytes(&w, u->msg, 2);
	wire_wr_u16(&w, (uint16_t)(0x8000 | OPCODE_UPDATE << 11 | (rcode & 0xF)));
	wire_wr_u16(&w, u->has_zone ? 1 : 0);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	if (u->has_zone) {
		wire_wr_bytes(&w, u->zname, u->zlen);
		wire_wr_u16(&w, u->ztype);
		wire_wr_u16(&w, u->zclass);
	}
	if (w.err)
		return 0;
	if (!u->has_tsig || u->tsig_error < 0)
		return w.pos;
	struct tsig_response r = { .key = u->sign ? u->key->tsig : NULL, .req = &u->tsig,
				   .error = (uint16_t)u->tsig_error, .time_signed = (uint64_t)u->env->now,
				   .fudge = (uint16_t)u->env->cfg->update_fudge };
	if (u->tsig_error == TSIG_BADTIME) {
		/* RFC 8945 5.2.3: the client's time and fudge, and ours in Other Data, so the client can verify. */
		r.time_signed = u->tsig.time_signed;
		r.fudge = u->tsig.fudge;
		r.other_time = (uint64_t)u->env->now;
	}
	size_t n = tsig_response_append(out, w.pos, cap, &r);
	if (n == 0)
		log_error("update: cannot sign the response for key %s", u->key ? u->key->name : "?");
	return n;
}

static const char *rcode_name(int rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	return rc >= 0 && rc <= RC_NOTZONE ? names[rc] : "?";
}

static void log_result(const struct upd *u, int rcode)
{
	char zone[WIRE_NAME_MAX * 4 + 8] = "-", key[WIRE_NAME_MAX * 4 + 8] = "-";
	if (u->has_zone)
		name_text(u->zlname, zone, sizeof(zone));
	if (u->has_tsig)
		name_text(u->tsig.key, key, sizeof(key));
	enum log_level lvl = rcode == RC_NOERROR ? LOG_LVL_INFO : LOG_LVL_WARN;
	log_msg(lvl, "update: key %s, zone %s, from %s: %s -> %s%s%s", key, zone, u->env->client ? u->env->client : "?",
		u->what_len ? u->what : "no change", rcode_name(rcode), u->why ? ": " : "", u->why ? u->why : "");
}

size_t update_handle(const struct update_env *env, const uint8_t *msg, size_t len, uint8_t *out, size_t outcap)
{
	if (!update_is_update(msg, len) || outcap < 512)
		return 0;
	struct upd *u = calloc(1, sizeof(*u));
	if (!u)
		return 0;
	u->env = env;
	u->msg = msg;
	u->len = len;
	u->tsig_error = -1;
	int rcode = process(u);
	size_t n = respond(u, rcode, out, outcap);
	log_result(u, rcode);
	ldns_pkt_free(u->pkt);
	free(u);
	return n;
}

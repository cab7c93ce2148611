/* Query answering: parse strictly, look up in the zones and the challenge table, write with compression. */
#include "answer.h"

#include "wire.h"

#include <string.h>

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28,
       T_OPT = 41, T_DS = 43, T_TKEY = 249, T_TSIG = 250, T_IXFR = 251, T_AXFR = 252, T_MAILB = 253,
       T_MAILA = 254, T_ANY = 255 };
enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_SERVFAIL = 2, RC_NXDOMAIN = 3, RC_NOTIMP = 4, RC_REFUSED = 5,
       RC_BADVERS = 16 };
enum { SEC_AN, SEC_NS, SEC_AR };

#define MAX_CHAIN 8
#define OPT_SIZE  11

struct ans {
	const struct answer_env *env;
	struct wire_wr w;
	uint16_t id, flags_in, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];     /* case as asked */
	uint8_t lname[WIRE_NAME_MAX];     /* lower case */
	size_t qnlen;
	bool has_question, edns, do_bit;
	uint8_t edns_version;
	uint16_t udp_size;
	uint16_t count[3];
	int rcode;
	bool aa, tc;
	size_t body_start;                /* first byte after the question */
};

/* Reads the EDNS OPT record (rdata already bounded); returns an rcode. */
static int parse_opt(struct ans *a, struct wire_rd *r, const uint8_t *owner, size_t olen)
{
	if (a->edns || olen != 1 || owner[0] != 0)
		return RC_FORMERR;
	a->edns = true;
	a->udp_size = wire_rd_u16(r);
	uint32_t ttl = wire_rd_u32(r);
	a->edns_version = (uint8_t)(ttl >> 16);
	a->do_bit = (ttl & 0x8000) != 0;
	uint16_t rdlen = wire_rd_u16(r);
	size_t end = r->pos + rdlen;
	if (r->err || end > r->len)
		return RC_FORMERR;
	while (r->pos < end) {            /* options must tile the rdata exactly */
		wire_rd_u16(r);
		uint16_t olen2 = wire_rd_u16(r);
		if (r->err || r->pos + olen2 > end)
			return RC_FORMERR;
		r->pos += olen2;
	}
	return RC_NOERROR;
}

/* Walks the additional section: one OPT at most; TSIG and others are skipped. */
static int parse_additional(struct ans *a, struct wire_rd *r, uint16_t arcount)
{
	for (unsigned i = 0; i < arcount; i++) {
		uint8_t owner[WIRE_NAME_MAX];
		size_t olen = wire_rd_name(r, owner);
		uint16_t type = wire_rd_u16(r);
		if (r->err)
			return RC_FORMERR;
		if (type == T_OPT) {
			if (parse_opt(a, r, owner, olen) != RC_NOERROR)
				return RC_FORMERR;
			continue;
		}
		wire_rd_skip(r, 6);
		uint16_t rdlen = wire_rd_u16(r);
		wire_rd_skip(r, rdlen);
		if (r->err)
			return RC_FORMERR;
	}
	return RC_NOERROR;
}

/* Parses the whole query. Returns an rcode, or -1 to drop. */
static int parse_query(struct ans *a, const uint8_t *q, size_t qlen)
{
	struct wire_rd r = { .pkt = q, .len = qlen };
	a->id = wire_rd_u16(&r);
	a->flags_in = wire_rd_u16(&r);
	uint16_t qd = wire_rd_u16(&r), an = wire_rd_u16(&r), ns = wire_rd_u16(&r), ar = wire_rd_u16(&r);
	if (r.err || (a->flags_in & 0x8000))
		return -1;                /* too short for a header, or a response: never answer */
	if (qd == 0)
		return RC_FORMERR;
	a->qnlen = wire_rd_name(&r, a->qname);
	a->qtype = wire_rd_u16(&r);
	a->qclass = wire_rd_u16(&r);
	if (r.err)
		return RC_FORMERR;
	wire_name_lower(a->lname, a->qname);
	a->has_question = qd == 1;
	if ((a->flags_in >> 11 & 0xF) != 0)
		return RC_NOTIMP;
	if (qd != 1 || an != 0 || ns != 0)
		return RC_FORMERR;
	int rc = parse_additional(a, &r, ar);
	if (rc != RC_NOERROR)
		return rc;
	if (a->edns && a->edns_version > 0)
		return RC_BADVERS;
	return RC_NOERROR;
}

/* Writes rdata from zone wire, compressing the names of the RFC 1035 types. */
static void write_rdata(struct wire_wr *w, uint16_t type, const uint8_t *rd, size_t len)
{
	switch (type) {
	case T_NS:
	case T_CNAME:
	case T_PTR:
		wire_wr_name(w, rd);
		return;
	case T_MX:
		wire_wr_bytes(w, rd, 2);
		wire_wr_name(w, rd + 2);
		return;
	case T_SOA: {
		size_t n1 = wire_name_len(rd), n2 = wire_name_len(rd + n1);
		wire_wr_name(w, rd);
		wire_wr_name(w, rd + n1);
		wire_wr_bytes(w, rd + n1 + n2, 20);
		return;
	}
	default:
		wire_wr_bytes(w, rd, len);
	}
}

/* Writes one RR; owner NULL means the question name (a pointer to offset 12, echoing its case). */
static void write_rr(struct ans *a, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
		     size_t rdlen)
{
	struct wire_wr *w = &a->w;
	if (owner)
		wire_wr_name(w, owner);
	else
		wire_wr_u16(w, 0xC00C);
	wire_wr_u16(w, type);
	wire_wr_u16(w, 1);
	wire_wr_u32(w, ttl);
	size_t lenpos = w->pos;
	wire_wr_u16(w, 0);
	write_rdata(w, type, rd, rdlen);
	if (!w->err)
		wire_wr_put_u16_at(w, lenpos, (uint16_t)(w->pos - lenpos - 2));
}

/* Writes a whole RRset into a section, or nothing when it does not fit. Returns false when it did not fit. */
static bool write_rrset(struct ans *a, const uint8_t *owner, const struct zone_rrset *set, uint32_t ttl, int sec)
{
	size_t mark = a->w.pos;
	unsigned ncomp = a->w.ncomp;
	for (unsigned i = 0; i < set->count; i++) {
		const uint8_t *rd = set->rdata[i];
		write_rr(a, owner, set->type, ttl, rd + 2, (size_t)rd[0] << 8 | rd[1]);
	}
	if (a->w.err) {
		a->w.err = false;
		a->w.pos = mark;
		a->w.ncomp = ncomp;
		return false;
	}
	a->count[sec] += set->count;
	return true;
}

/* Drops everything after the question and sets TC: the client must ask again over TCP. */
static void truncate_answer(struct ans *a)
{
	a->w.pos = a->body_start;
	a->w.err = false;
	a->w.ncomp = a->w.ncomp > 0 ? 1 : 0;
	a->count[SEC_AN] = a->count[SEC_NS] = a->count[SEC_AR] = 0;
	a->tc = true;
}

static void answer_rrset(struct ans *a, const uint8_t *owner, const struct zone_rrset *set)
{
	if (!a->tc && !write_rrset(a, owner, set, set->ttl, SEC_AN))
		truncate_answer(a);
}

/* The SOA for a negative answer, with the negative TTL of RFC 2308: min(SOA TTL, SOA minimum). */
static void authority_soa(struct ans *a, const struct zone *z)
{
	const struct zone_rrset *soa = zone_soa(z);
	const uint8_t *rd = soa->rdata[0];
	size_t len = (size_t)rd[0] << 8 | rd[1];
	const uint8_t *min = rd + 2 + len - 4;
	uint32_t minimum = (uint32_t)min[0] << 24 | (uint32_t)min[1] << 16 | (uint32_t)min[2] << 8 | min[3];
	if (!a->tc && !write_rrset(a, zone_origin(z), soa, soa->ttl < minimum ? soa->ttl : minimum, SEC_NS))
		truncate_answer(a);
}

/* Challenge values: the newest kept values that are not older than the configured age. */
static bool answer_txt_set(struct ans *a, const uint8_t *owner, const struct txt_set *set)
{
	const struct answer_env *env = a->env;
	size_t mark = a->w.pos;
	unsigned ncomp = a->w.ncomp, n = 0;
	for (uint32_t i = 0; i < set->n; i++) {
		const struct txt_value *v = &set->v[i];
		if (env->max_value_age && v->created + (int64_t)env->max_value_age < env->now)
			continue;
		write_rr(a, owner, T_TXT, env->challenge_ttl, v->rdata, (size_t)v->rdlen + 1);
		n++;
	}
	if (a->w.err) {
		a->w.pos = mark;
		a->w.ncomp = ncomp;
		truncate_answer(a);
		return true;
	}
	a->count[SEC_AN] += (uint16_t)n;
	return n > 0;
}

/* Adds A and AAAA of a name we serve to the additional section, while they fit. */
static void additional_addresses(struct ans *a, const uint8_t *target)
{
	uint8_t lt[WIRE_NAME_MAX];
	wire_name_lower(lt, target);
	size_t len = wire_name_len(lt);
	const struct zone *z = zonedb_find(a->env->db, lt, len);
	const struct zone_node *n = z ? zone_find_node(z, lt, len) : NULL;
	if (!n)
		return;
	const struct zone_rrset *s4 = zone_node_rrset(n, T_A), *s6 = zone_node_rrset(n, T_AAAA);
	if (s4 && !write_rrset(a, zone_node_owner(n), s4, s4->ttl, SEC_AR))
		return;
	if (s6)
		write_rrset(a, zone_node_owner(n), s6, s6->ttl, SEC_AR);
}

/* Additional section processing for NS and MX answers (and referrals). */
static void additional_for(struct ans *a, const struct zone_rrset *set)
{
	if (a->tc)
		return;
	for (unsigned i = 0; i < set->count; i++) {
		const uint8_t *rd = set->rdata[i] + 2;
		if (set->type == T_NS)
			additional_addresses(a, rd);
		else if (set->type == T_MX)
			additional_addresses(a, rd + 2);
	}
}

enum lk_kind { LK_NODE, LK_TXT, LK_DELEG, LK_NX };

struct lookup {
	enum lk_kind kind;
	const struct zone_node *node;
	const struct txt_set *txt;
	bool wildcard;
};

/* One-label names below the challenge apex that the zone file does not hold come from the table. */
static const struct txt_set *challenge_name(const struct answer_env *env, const struct zone *z, const uint8_t *s,
					    size_t slen)
{
	if (!zone_is_challenge(z) || slen != zone_origin_len(z) + 1 + s[0])
		return NULL;
	return txt_table_lookup(env->txt, s + 1, s[0]);
}

/* Below the last name the zone file holds, names written by UPDATE (and the names above them, held as empty
 * sets) take over: walks from level i (the first name the zone lacks) down to the query name. Returns false
 * when level i is not there either, so the wildcard rules apply; otherwise out is the answer. */
static bool dynamic_lookup(const struct answer_env *env, const uint8_t *lname, size_t len, const uint8_t *offs,
			   int i, struct lookup *out)
{
	if (!env->names)
		return false;
	for (int j = i; j >= 0; j--) {
		const struct txt_set *t = txt_table_name_lookup(env->names, lname + offs[j], len - offs[j]);
		if (!t) {
			if (j == i)
				return false;
			out->kind = LK_NX;                  /* no zone file wildcard can sit below a dynamic name */
			return true;
		}
		out->txt = t;
	}
	out->kind = LK_TXT;
	return true;
}

/* Finds lname in z, walking down from the apex so delegations and the closest encloser are seen (RFC 4592). */
static void zone_lookup(const struct answer_env *env, const struct zone *z, const uint8_t *lname, uint16_t qtype,
			struct lookup *out)
{
	size_t len = wire_name_len(lname), olen = zone_origin_len(z);
	uint8_t offs[128];
	int n = 0;
	for (const uint8_t *p = lname; *p; p += 1 + *p)
		offs[n++] = (uint8_t)(p - lname);
	const uint8_t *ce = lname + (len - olen);          /* closest encloser so far: the apex */
	const struct zone_node *node = zone_find_node(z, ce, olen);
	memset(out, 0, sizeof(*out));
	for (int i = n - 1; i >= 0; i--) {
		const uint8_t *s = lname + offs[i];
		size_t slen = len - offs[i];
		if (slen <= olen)
			continue;
		const struct zone_node *next = zone_find_node(z, s, slen);
		const struct txt_set *t = next ? NULL : challenge_name(env, z, s, slen);
		if (t) {
			out->kind = i == 0 ? LK_TXT : LK_NX;
			out->txt = t;
			return;
		}
		if (!next && dynamic_lookup(env, lname, len, offs, i, out))
			return;
		if (!next) {
			uint8_t wild[WIRE_NAME_MAX + 2] = { 1, '*' };
			size_t celen = len - (size_t)(ce - lname);
			memcpy(wild + 2, ce, celen);
			out->node = celen + 2 <= WIRE_NAME_MAX ? zone_find_node(z, wild, celen + 2) : NULL;
			out->kind = out->node ? LK_NODE : LK_NX;
			out->wildcard = out->node != NULL;
			return;
		}
		if (zone_node_is_delegation(next) && !(i == 0 && qtype == T_DS)) {
			out->kind = LK_DELEG;
			out->node = next;
			return;
		}
		node = next;
		ce = s;
	}
	out->kind = LK_NODE;
	out->node = node;
}

static void answer_referral(struct ans *a, const struct zone_node *cut)
{
	const struct zone_rrset *ns = zone_node_rrset(cut, T_NS);
	a->aa = false;
	if (!write_rrset(a, zone_node_owner(cut), ns, ns->ttl, SEC_NS)) {
		truncate_answer(a);
		return;
	}
	additional_for(a, ns);
}

/* Answers from a node for qtype. Returns the CNAME target to follow, or NULL when the answer is complete. */
static const uint8_t *answer_node(struct ans *a, const struct zone *z, const struct zone_node *node,
				  const uint8_t *owner)
{
	const struct zone_rrset *cname = zone_node_rrset(node, T_CNAME);
	if (cname && a->qtype != T_CNAME) {
		answer_rrset(a, owner, cname);
		return a->tc ? NULL : cname->rdata[0] + 2;
	}
	const struct zone_rrset *set = a->qtype == T_ANY ? zone_node_rrset_at(node, 0) : zone_node_rrset(node, a->qtype);
	if (!set) {
		authority_soa(a, z);
		return NULL;
	}
	answer_rrset(a, owner, set);
	additional_for(a, set);
	return NULL;
}

/* Resolves the question inside our zones, following CNAMEs from zone to zone up to MAX_CHAIN links. */
static void resolve(struct ans *a)
{
	uint8_t seen[MAX_CHAIN + 1][WIRE_NAME_MAX];
	const uint8_t *owner = NULL;                        /* NULL: the question name */
	memcpy(seen[0], a->lname, a->qnlen);
	const struct zone *z = zonedb_find(a->env->db, seen[0], a->qnlen);
	if (!z) {
		a->rcode = RC_REFUSED;
		return;
	}
	a->aa = true;
	for (int hop = 0; z; hop++) {
		struct lookup lk;
		zone_lookup(a->env, z, seen[hop], a->qtype, &lk);
		if (lk.kind == LK_NX) {
			a->rcode = RC_NXDOMAIN;
			authority_soa(a, z);
			return;
		}
		if (lk.kind == LK_DELEG) {
			if (hop == 0)
				answer_referral(a, lk.node);
			return;
		}
		if (lk.kind == LK_TXT) {
			if ((a->qtype != T_TXT && a->qtype != T_ANY) || !answer_txt_set(a, owner, lk.txt))
				if (!a->tc)
					authority_soa(a, z);
			return;
		}
		const uint8_t *target = answer_node(a, z, lk.node, owner);
		if (!target || hop == MAX_CHAIN)
			return;
		wire_name_lower(seen[hop + 1], target);
		size_t tlen = wire_name_len(seen[hop + 1]);
		for (int i = 0; i <= hop; i++)
			if (wire_name_len(seen[i]) == tlen && memcmp(seen[i], seen[hop + 1], tlen) == 0)
				return;                     /* a loop: stop with what is written */
		owner = target;
		z = zonedb_find(a->env->db, seen[hop + 1], tlen);
	}
}

/* Question checks after parsing: class, meta and transfer types. Returns an rcode. */
static int check_question(const struct ans *a)
{
	if (a->qtype == T_OPT || a->qtype == T_TSIG || a->qtype == T_TKEY)
		return RC_FORMERR;
	if (a->qtype == T_MAILA || a->qtype == T_MAILB)
		return RC_NOTIMP;
	if (a->qclass != 1 || a->qtype == T_AXFR || a->qtype == T_IXFR)
		return RC_REFUSED;
	return RC_NOERROR;
}

static void write_opt(struct ans *a)
{
	struct wire_wr *w = &a->w;
	wire_wr_u8(w, 0);
	wire_wr_u16(w, T_OPT);
	wire_wr_u16(w, a->env->edns_max_payload);
	wire_wr_u8(w, (uint8_t)(a->rcode >> 4));
	wire_wr_u8(w, 0);
	wire_wr_u16(w, a->do_bit ? 0x8000 : 0);
	wire_wr_u16(w, 0);
}

static void write_header(struct ans *a, uint8_t *out)
{
	uint16_t flags = 0x8000 | (a->flags_in & 0x7800) | (a->flags_in & 0x0100) | (a->flags_in & 0x0010);
	if (a->aa)
		flags |= 0x0400;
	if (a->tc)
		flags |= 0x0200;
	flags |= (uint16_t)(a->rcode & 0xF);
	uint16_t arcount = (uint16_t)(a->count[SEC_AR] + (a->edns ? 1 : 0));
	uint16_t hdr[6] = { a->id, flags, a->has_question ? 1 : 0, a->count[SEC_AN], a->count[SEC_NS], arcount };
	for (int i = 0; i < 6; i++) {
		out[2 * i] = (uint8_t)(hdr[i] >> 8);
		out[2 * i + 1] = (uint8_t)hdr[i];
	}
}

/* The size this answer may take: 512 without EDNS, the client's size within our bounds with it. */
static size_t answer_limit(const struct ans *a, size_t outcap, bool tcp)
{
	size_t limit = 512;
	if (tcp)
		limit = ANSWER_TCP_MAX;
	else if (a->edns) {
		limit = a->udp_size < 512 ? 512 : a->udp_size;
		if (limit > a->env->edns_max_payload)
			limit = a->env->edns_max_payload;
	}
	return limit < outcap ? limit : outcap;
}

size_t answer_query(const struct answer_env *env, const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap,
		    bool tcp)
{
	struct ans a;
	memset(&a, 0, sizeof(a));
	a.env = env;
	int rc = parse_query(&a, q, qlen);
	if (rc < 0 || outcap < 512)
		return 0;
	if (rc == RC_FORMERR || rc == RC_NOTIMP)
		a.edns = false;               /* nothing more was understood: answer plainly */
	if (rc == RC_NOERROR)
		rc = check_question(&a);
	a.rcode = rc;
	size_t limit = answer_limit(&a, outcap, tcp);
	wire_wr_init(&a.w, out, limit - (a.edns ? OPT_SIZE : 0));
	a.w.pos = 12;
	if (a.has_question) {
		wire_wr_bytes(&a.w, a.qname, a.qnlen);
		wire_wr_u16(&a.w, a.qtype);
		wire_wr_u16(&a.w, a.qclass);
		wire_wr_remember(&a.w, 12);
	}
	a.body_start = a.w.pos;
	if (rc == RC_NOERROR)
		resolve(&a);
	if (a.edns) {
		a.w.cap = limit;
		write_opt(&a);
	}
	write_header(&a, out);
	return a.w.pos;
}

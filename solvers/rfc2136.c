/* The RFC 2136 adapter: for each zone of a batch one UPDATE that adds (or deletes) exactly the challenge TXT RRs,
 * never the RRset, signed with TSIG; UDP, TCP when the message is large or the answer truncated; every refusal
 * named after the server's rcode and TSIG error. */
#include "rfc2136.h"

#include "dnsutil.h"
#include "log.h"
#include "tsig.h"

#include <ldns/ldns.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define R2_TIMEOUT_MS 10000
#define R2_TTL 60
#define R2_UDP_MAX 512                  /* larger messages go over TCP (RFC 1035 without EDNS) */
#define R2_MSG_MAX 65535
#define R2_TSIG_ROOM 700                /* a TSIG RR: two names, a MAC, fixed fields */
#define R2_NAME_MAX 256

/* A record present did not create. */
struct r2_absent {
	char *name, *value;
};

struct r2_priv {
	char where[300];                /* the nameserver as ADDR:PORT, for people and the journal */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct tsig_key *key;           /* NULL: unsigned updates, asked for explicitly */
	int timeout_ms;
	uint32_t ttl;
	struct r2_absent *absent;       /* what the last failed present did not create */
	size_t n_absent;
};

/* A request on its way: the wire, and what its answer's TSIG is checked against. */
struct r2_msg {
	uint8_t *wire;
	size_t len;
	uint16_t id;
	uint64_t time;                  /* time signed */
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;
};

/* How a request ended, for what clean-up must do: an UPDATE the server refused changed nothing (RFC 2136 3.1:
 * all or nothing), one without a usable answer may have been applied. */
enum r2_outcome { R2_DONE = 0, R2_UNKNOWN = -1, R2_REJECTED = -2 };

/* What a request is for, to word its errors. */
struct r2_what {
	const char *zone;
	const char *name;               /* the first record's name */
	const char *verb;               /* "adding", "deleting", "finding the zone of" */
};

static const char *r2_rcode_name(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "an unknown rcode";
}

static int64_t r2_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the nameserver ---- */

/* Resolves "ADDR[:PORT]" (a host name too, through the system's resolver) into p->addr and p->where. */
static int r2_nameserver(struct r2_priv *p, const char *spec, char *errbuf, size_t errlen)
{
	char host[256], port[8];
	uint16_t portnum;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *res = NULL;
	int rc;

	if (!spec || !*spec) {
		snprintf(errbuf, errlen, "rfc2136: no nameserver given (RFC2136_NAMESERVER, ADDR[:PORT])");
		return -1;
	}
	if (dnsutil_parse_spec(spec, host, sizeof host, &portnum) != 0) {
		snprintf(errbuf, errlen, "rfc2136: nameserver \"%.80s\": expected ADDR, ADDR:PORT or [IPv6]:PORT", spec);
		return -1;
	}
	snprintf(port, sizeof port, "%u", portnum);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0 || !res || res->ai_addrlen > sizeof p->addr) {
		snprintf(errbuf, errlen, "rfc2136: nameserver \"%.80s\": %s", spec, rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	snprintf(p->where, sizeof p->where, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, portnum);
	return 0;
}

/* ---- sending ---- */

/* Waits for fd to be ready for events until deadline. Returns 1 ready, 0 timed out, -1 error (errno). */
static int r2_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - r2_now_ms();
		struct pollfd pfd = { .fd = fd, .events = events };
		int rc;
		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;       /* a signal's flag is looked at by the caller after the request */
		if (rc <= 0)
			return rc;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL) && !(pfd.revents & events)) {
			int err = 0;
			socklen_t l = sizeof err;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
			errno = err ? err : EPIPE;
			return -1;
		}
		return 1;
	}
}

static void r2_io_error(const struct r2_priv *p, const char *proto, int rc, char *errbuf, size_t errlen)
{
	if (rc == 0)
		snprintf(errbuf, errlen, "no answer from %s over %s within %d ms (timeout)", p->where, proto,
			 p->timeout_ms);
	else if (errno == ECONNREFUSED)
		snprintf(errbuf, errlen, "%s refused the %s connection (nothing listens there?)", p->where, proto);
	else
		snprintf(errbuf, errlen, "%s over %s: %s", p->where, proto, strerror(errno));
}

/* Reads or writes len bytes on a non-blocking TCP socket before deadline. Returns 1, 0 timeout, -1 error. */
static int r2_tcp_io(int fd, uint8_t *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;

	while (done < len) {
		int w = r2_wait(fd, out ? POLLOUT : POLLIN, deadline);
		ssize_t n;
		if (w <= 0)
			return w;
		n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL) : recv(fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		done += (size_t)n;
	}
	return 1;
}

static int r2_tcp(const struct r2_priv *p, const struct r2_msg *m, uint8_t *ans, size_t *anslen, char *errbuf,
		  size_t errlen)
{
	int64_t deadline = r2_now_ms() + p->timeout_ms;
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	uint8_t len2[2] = { (uint8_t)(m->len >> 8), (uint8_t)m->len };
	int rc = -1;

	if (fd >= 0 && connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) != 0 && errno != EINPROGRESS)
		rc = -1;
	else if (fd >= 0 && (rc = r2_wait(fd, POLLOUT, deadline)) == 1 &&
		 (rc = r2_tcp_io(fd, len2, 2, true, deadline)) == 1 &&
		 (rc = r2_tcp_io(fd, m->wire, m->len, true, deadline)) == 1 &&
		 (rc = r2_tcp_io(fd, len2, 2, false, deadline)) == 1) {
		*anslen = (size_t)len2[0] << 8 | len2[1];
		rc = r2_tcp_io(fd, ans, *anslen, false, deadline);
	}
	if (rc != 1)
		r2_io_error(p, "TCP", rc, errbuf, errlen);
	if (fd >= 0)
		close(fd);
	return rc == 1 ? 0 : -1;
}

/* One datagram out, then the first datagram back that carries our ID with QR set (the socket is connected, so
 * only the server's address can answer). */
static int r2_udp(const struct r2_priv *p, const struct r2_msg *m, uint8_t *ans, size_t *anslen, char *errbuf,
		  size_t errlen)
{
	int64_t deadline = r2_now_ms() + p->timeout_ms;
	int fd = socket(p->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd >= 0 && connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) == 0 &&
	    send(fd, m->wire, m->len, 0) == (ssize_t)m->len) {
		while ((rc = r2_wait(fd, POLLIN, deadline)) == 1) {
			ssize_t n = recv(fd, ans, R2_MSG_MAX, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = -1;
				break;
			}
			if (n >= LDNS_HEADER_SIZE && LDNS_ID_WIRE(ans) == m->id && LDNS_QR_WIRE(ans)) {
				*anslen = (size_t)n;
				break;
			}
			log_debug("rfc2136: %s: ignored a datagram that is not the answer (%zd bytes)", p->where, n);
		}
	}
	if (rc != 1)
		r2_io_error(p, "UDP", rc, errbuf, errlen);
	if (fd >= 0)
		close(fd);
	return rc == 1 ? 0 : -1;
}

/* UDP for a message that fits 512 bytes, TCP for a larger one or when the answer is truncated. */
static int r2_send(const struct r2_priv *p, const struct r2_msg *m, uint8_t *ans, size_t *anslen, char *errbuf,
		   size_t errlen)
{
	if (m->len > R2_UDP_MAX)
		return r2_tcp(p, m, ans, anslen, errbuf, errlen);
	if (r2_udp(p, m, ans, anslen, errbuf, errlen) != 0)
		return -1;
	if (!LDNS_TC_WIRE(ans))
		return 0;
	log_debug("rfc2136: %s: the answer is truncated: asking again over TCP", p->where);
	return r2_tcp(p, m, ans, anslen, errbuf, errlen);
}

/* Gives pkt a fresh ID and writes it to wire, signed when there is a key. */
static int r2_prepare(const struct r2_priv *p, ldns_pkt *pkt, bool sign, struct r2_msg *m, char *errbuf,
		      size_t errlen)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;

	memset(m, 0, sizeof *m);
	ldns_pkt_set_random_id(pkt);
	m->id = ldns_pkt_id(pkt);
	if (ldns_pkt2wire(&raw, pkt, &rawlen) != LDNS_STATUS_OK || rawlen > R2_MSG_MAX - R2_TSIG_ROOM) {
		snprintf(errbuf, errlen, "cannot build the DNS message (too large?)");
		free(raw);
		return -1;
	}
	if (!sign || !p->key) {
		m->wire = raw;
		m->len = rawlen;
		return 0;
	}
	m->time = (uint64_t)time(NULL);
	struct tsig_params tp = { .time = m->time, .fudge = TSIG_FUDGE };
	m->wire = malloc(rawlen + R2_TSIG_ROOM);
	if (!m->wire || tsig_sign(p->key, raw, rawlen, &tp, m->wire, rawlen + R2_TSIG_ROOM, &m->len, m->mac,
				  &m->mac_len) != 0) {
		snprintf(errbuf, errlen, "cannot sign the DNS message with key %s", tsig_key_name(p->key));
		free(m->wire);
		m->wire = NULL;
	}
	free(raw);
	return m->wire ? 0 : -1;
}

/* ---- reading the answer ---- */

static void r2_utc(uint64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "%llu", (unsigned long long)t);
}

/* The server refused our signature: say what it means for the key. */
static void r2_tsig_refused(const struct r2_priv *p, const struct r2_msg *m, const struct tsig_result *r,
			    unsigned rcode, char *errbuf, size_t errlen)
{
	const char *k = tsig_key_name(p->key), *alg = tsig_alg_name(tsig_key_alg(p->key));
	char ours[32], theirs[32], buf[32];

	if (r->error == TSIG_BADKEY) {
		snprintf(errbuf, errlen, "%s/BADKEY: the server does not know key %s (or not with algorithm %s)",
			 r2_rcode_name(rcode), k, alg);
	} else if (r->error == TSIG_BADSIG) {
		snprintf(errbuf, errlen, "%s/BADSIG: the server rejected the signature: wrong secret for key %s",
			 r2_rcode_name(rcode), k);
	} else if (r->error == TSIG_BADTIME && r->other_time) {
		r2_utc(m->time, ours, sizeof ours);
		r2_utc(r->other_time, theirs, sizeof theirs);
		snprintf(errbuf, errlen, "%s/BADTIME: the clocks differ: server time %s, our time %s, a skew of %lld s "
			 "(more than the %u s allowed%s): fix this machine's clock or the server's", r2_rcode_name(rcode),
			 theirs, ours, (long long)r->other_time - (long long)m->time, r->fudge,
			 r->mac_ok ? "" : "; the answer's own signature did not verify");
	} else if (r->error == TSIG_BADTIME) {
		r2_utc(m->time, ours, sizeof ours);
		snprintf(errbuf, errlen, "%s/BADTIME: the server finds our time (%s) too far from its clock (it did not "
			 "say its time): fix this machine's clock or the server's", r2_rcode_name(rcode), ours);
	} else {
		snprintf(errbuf, errlen, "%s/%s: the server rejected the signature of key %s", r2_rcode_name(rcode),
			 tsig_error_name(r->error, buf, sizeof buf), k);
	}
}

/* Checks the answer's signature. Returns R2_DONE when verified (or we did not sign), R2_REJECTED when the server
 * refused our signature, R2_UNKNOWN when the answer cannot be trusted; errbuf set. */
static int r2_answer_tsig(const struct r2_priv *p, const struct r2_msg *m, const uint8_t *ans, size_t len,
			  unsigned rcode, char *errbuf, size_t errlen)
{
	static const char *const why[] = {
		[TSIG_UNSIGNED] = "it carries no TSIG",
		[TSIG_OTHER_KEY] = "it is signed with another key or algorithm",
		[TSIG_BAD_MAC] = "its MAC does not match",
		[TSIG_BAD_TIME] = "it was signed too far from our clock",
		[TSIG_MALFORMED] = "its TSIG record cannot be read",
	};
	struct tsig_result r;

	if (!m->mac_len)
		return 0;
	if (tsig_verify(p->key, ans, len, m->mac, m->mac_len, (uint64_t)time(NULL), &r))
		return 0;
	if (r.verdict == TSIG_SERVER_ERROR) {
		r2_tsig_refused(p, m, &r, rcode, errbuf, errlen);
		return R2_REJECTED;
	}
	snprintf(errbuf, errlen, "response not signed/verified with key %s: %s (the answer said %s)",
		 tsig_key_name(p->key), why[r.verdict], r2_rcode_name(rcode));
	return R2_UNKNOWN;
}

/* The words for an rcode other than NOERROR. */
static void r2_rcode_error(const struct r2_priv *p, unsigned rcode, const struct r2_what *w, char *errbuf,
			   size_t errlen)
{
	const char *name = r2_rcode_name(rcode);

	if (rcode == LDNS_RCODE_NOTAUTH || rcode == LDNS_RCODE_NXDOMAIN)
		snprintf(errbuf, errlen, "%s: %s is not in a zone %s serves (zone %s not found there)", name, w->name,
			 p->where, w->zone);
	else if (rcode == LDNS_RCODE_REFUSED && p->key)
		snprintf(errbuf, errlen, "REFUSED: the server refused the update (policy for key %s?)",
			 tsig_key_name(p->key));
	else if (rcode == LDNS_RCODE_REFUSED)
		snprintf(errbuf, errlen, "REFUSED: the server refused the update (it may take signed updates only)");
	else if (rcode == LDNS_RCODE_NOTZONE)
		snprintf(errbuf, errlen, "NOTZONE: %s is not inside zone %s", w->name, w->zone);
	else
		snprintf(errbuf, errlen, "the server answered %s", name);
}

/* Parses the answer to m; checks its ID, opcode and signature. Returns R2_DONE with *a set (ldns_pkt_free), or
 * another outcome with errbuf set. */
static int r2_answer(const struct r2_priv *p, const struct r2_msg *m, const uint8_t *ans, size_t len,
		     ldns_pkt_opcode opcode, ldns_pkt **a, char *errbuf, size_t errlen)
{
	int rc = R2_UNKNOWN;

	if (ldns_wire2pkt(a, ans, len) != LDNS_STATUS_OK || !*a) {
		snprintf(errbuf, errlen, "the answer from %s cannot be read", p->where);
		*a = NULL;
		return R2_UNKNOWN;
	}
	if (ldns_pkt_id(*a) != m->id || !ldns_pkt_qr(*a) || ldns_pkt_get_opcode(*a) != opcode)
		snprintf(errbuf, errlen, "the answer from %s does not belong to the request", p->where);
	else if ((rc = r2_answer_tsig(p, m, ans, len, ldns_pkt_get_rcode(*a), errbuf, errlen)) == R2_DONE)
		return R2_DONE;
	ldns_pkt_free(*a);
	*a = NULL;
	return rc;
}

/* Sends pkt and reads the answer. Returns R2_DONE with *a set (ldns_pkt_free), or another outcome with errbuf
 * set. */
static int r2_exchange(const struct r2_priv *p, ldns_pkt *pkt, bool sign, ldns_pkt **a, char *errbuf,
		       size_t errlen)
{
	struct r2_msg m;
	uint8_t *ans = malloc(R2_MSG_MAX);
	size_t anslen = 0;
	int rc = R2_UNKNOWN;

	*a = NULL;
	if (!ans) {
		snprintf(errbuf, errlen, "out of memory");
		return R2_UNKNOWN;
	}
	if (r2_prepare(p, pkt, sign, &m, errbuf, errlen) == 0 && r2_send(p, &m, ans, &anslen, errbuf, errlen) == 0)
		rc = r2_answer(p, &m, ans, anslen, ldns_pkt_get_opcode(pkt), a, errbuf, errlen);
	free(m.wire);
	free(ans);
	return rc;
}

/* ---- finding the zone ---- */

/* The zone an SOA answer names: the SOA's owner in the answer (name is the apex) or in the authority section. */
static bool r2_soa_zone(const ldns_pkt *a, const ldns_rdf *qname, char *zone, size_t zonelen)
{
	const ldns_rr_list *lists[] = { ldns_pkt_answer(a), ldns_pkt_authority(a) };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(lists[l]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(lists[l], i);
			char *s;
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
			    (ldns_dname_compare(ldns_rr_owner(rr), qname) != 0 &&
			     !ldns_dname_is_subdomain(qname, ldns_rr_owner(rr))))
				continue;
			if (!(s = ldns_rdf2str(ldns_rr_owner(rr))))
				return false;
			size_t n = strlen(s);
			n -= n > 1 && s[n - 1] == '.';
			snprintf(zone, zonelen, "%.*s", (int)n, s);
			free(s);
			return true;
		}
	return false;
}

/* Asks the server for the SOA of name. Returns 1 with zone set, 0 when the answer names no zone (*rcode set),
 * -1 when the server cannot be asked. */
static int r2_soa_query(const struct r2_priv *p, const char *name, char *zone, size_t zonelen, unsigned *rcode,
			char *errbuf, size_t errlen)
{
	ldns_rdf *qname = dnsutil_dname(name);
	ldns_pkt *q = qname ? ldns_pkt_query_new(ldns_rdf_clone(qname), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0) : NULL;
	ldns_pkt *a = NULL;
	int rc = -1;

	if (!q)
		snprintf(errbuf, errlen, "\"%s\" is not a DNS name", name);
	else if (r2_exchange(p, q, false, &a, errbuf, errlen) == R2_DONE) {
		*rcode = ldns_pkt_get_rcode(a);
		rc = (*rcode == LDNS_RCODE_NOERROR || *rcode == LDNS_RCODE_NXDOMAIN) &&
		     r2_soa_zone(a, qname, zone, zonelen);
	}
	ldns_pkt_free(a);
	ldns_pkt_free(q);
	ldns_rdf_deep_free(qname);
	return rc;
}

/* The zone holding name at our server: SOA queries walking up from name; the first answer that names a zone
 * (the SOA in the answer or the authority section) tells it. */
static int r2_find_zone(const struct r2_priv *p, const char *name, char *zone, size_t zonelen, char *errbuf,
			size_t errlen)
{
	unsigned rcode = LDNS_RCODE_REFUSED;
	char err[512];

	for (const char *n = name; n && *n; n = strchr(n, '.') ? strchr(n, '.') + 1 : NULL) {
		int rc = r2_soa_query(p, n, zone, zonelen, &rcode, err, sizeof err);
		if (rc < 0) {
			snprintf(errbuf, errlen, "rfc2136: finding the zone of %s: %.400s", name, err);
			return -1;
		}
		if (rc == 1) {
			log_debug("rfc2136: %s is in zone %s at %s", name, zone, p->where);
			return 0;
		}
	}
	snprintf(errbuf, errlen, "rfc2136: %s is not in a zone %s serves (its SOA queries were answered %s)", name, p->where,
		 r2_rcode_name(rcode));
	return -1;
}

/* ---- the update ---- */

/* "name TTL CLASS TXT value" with the value as one character-string, taken byte for byte. */
static ldns_rr *r2_txt_rr(const char *name, const char *value, uint32_t ttl, ldns_rr_class cls)
{
	size_t len = strlen(value);
	uint8_t data[256];
	ldns_rdf *owner = dnsutil_dname(name), *txt;
	ldns_rr *rr;

	if (!owner || len > 255) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	data[0] = (uint8_t)len;
	memcpy(data + 1, value, len);
	txt = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, len + 1, data);
	rr = txt ? ldns_rr_new() : NULL;
	if (!rr || !ldns_rr_push_rdf(rr, txt)) {
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(txt);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, cls);
	return rr;
}

static const char *r2_rec_name(const struct solver_record *r)
{
	return r->target && *r->target ? r->target : r->fqdn;
}

/* The UPDATE for zone: zone section SOA, update section one TXT RR per record of the zone (class IN with the TTL
 * to add, class NONE with TTL 0 to delete that RR alone, RFC 2136 2.5.1 and 2.5.4). */
static ldns_pkt *r2_build(const char *zone, const struct solver_record *recs, const char *const *zones, size_t n,
			  bool add, uint32_t ttl)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rdf *z = dnsutil_dname(zone);
	ldns_pkt *pkt = NULL;
	bool ok = up && z;

	for (size_t i = 0; ok && i < n; i++) {
		ldns_rr *rr;
		if (strcasecmp(zones[i], zone) != 0)
			continue;
		rr = r2_txt_rr(r2_rec_name(&recs[i]), recs[i].value, add ? ttl : 0,
			       add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
		ok = rr && ldns_rr_list_push_rr(up, rr);
		if (!ok)
			ldns_rr_free(rr);
	}
	if (ok && (pkt = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, NULL, up, NULL)) != NULL) {
		z = NULL;       /* the packet owns it */
		ldns_pkt_set_rd(pkt, false);
	}
	ldns_rdf_deep_free(z);
	ldns_rr_list_deep_free(up);
	return pkt;
}

/* Sends the UPDATE of one zone. Returns an r2_outcome; errbuf set unless R2_DONE. */
static int r2_update_zone(const struct r2_priv *p, const char *zone, const struct solver_record *recs,
			  const char *const *zones, size_t n, bool add, char *errbuf, size_t errlen)
{
	ldns_pkt *q = r2_build(zone, recs, zones, n, add, p->ttl), *a = NULL;
	struct r2_what w = { .zone = zone, .name = "?", .verb = add ? "adding" : "deleting" };
	char err[768] = "";
	size_t k = 0;
	int rc = R2_REJECTED;           /* nothing sent yet */

	for (size_t i = 0; i < n; i++)
		if (strcasecmp(zones[i], zone) == 0 && k++ == 0)
			w.name = r2_rec_name(&recs[i]);
	if (!q) {
		snprintf(err, sizeof err, "cannot build the UPDATE (a name or value is not valid)");
	} else if ((rc = r2_exchange(p, q, true, &a, err, sizeof err)) == R2_DONE &&
		   ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR) {
		r2_rcode_error(p, ldns_pkt_get_rcode(a), &w, err, sizeof err);
		rc = R2_REJECTED;
	} else if (rc == R2_DONE) {
		log_info("rfc2136: %s %zu TXT record%s at %s in zone %s at %s%s%s", add ? "added" : "deleted", k,
			 k == 1 ? "" : "s", w.name, zone, p->where, p->key ? ", key " : " (unsigned)",
			 p->key ? tsig_key_name(p->key) : "");
	}
	if (rc != R2_DONE)
		snprintf(errbuf, errlen, "rfc2136: %s %zu TXT record%s at %s (zone %s, server %s): %s", w.verb, k,
			 k == 1 ? "" : "s", w.name, zone, p->where, err);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
	return rc;
}

/* The zone of every record: the engine's, else found at the server (one lookup per distinct name). zones[i]
 * points into store (n * R2_NAME_MAX) or at the record's zone. */
static int r2_zones(const struct r2_priv *p, const struct solver_record *recs, size_t n, const char **zones,
		    char *store, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (!recs[i].value || !recs[i].fqdn) {
			snprintf(errbuf, errlen, "rfc2136: record %zu lacks a name or value", i);
			return -1;
		}
		zones[i] = recs[i].zone && *recs[i].zone ? recs[i].zone : NULL;
		for (size_t j = 0; j < i && !zones[i]; j++)
			if (strcasecmp(r2_rec_name(&recs[j]), r2_rec_name(&recs[i])) == 0)
				zones[i] = zones[j];
		if (zones[i])
			continue;
		if (r2_find_zone(p, r2_rec_name(&recs[i]), store + i * R2_NAME_MAX, R2_NAME_MAX, errbuf, errlen) != 0)
			return -1;
		zones[i] = store + i * R2_NAME_MAX;
	}
	return 0;
}

/* The first record of i's zone: the UPDATE of that zone is sent when the loop reaches it. */
static size_t r2_zone_first(const char *const *zones, size_t i)
{
	size_t j = 0;

	while (strcasecmp(zones[j], zones[i]) != 0)
		j++;
	return j;
}

/* ---- what present did not create ---- */

/* Remembers that present did not create rec (the server refused its UPDATE, or it was never sent), so that the
 * clean-up after a failed present neither sends a pointless delete nor fails the same way and keeps the record
 * listed in the journal. */
static void r2_not_created(struct r2_priv *p, const struct solver_record *rec)
{
	struct r2_absent *a = realloc(p->absent, (p->n_absent + 1) * sizeof *a);

	if (!a)
		return;         /* then clean-up sends the delete, which is harmless */
	p->absent = a;
	a[p->n_absent].name = strdup(r2_rec_name(rec));
	a[p->n_absent].value = strdup(rec->value);
	if (a[p->n_absent].name && a[p->n_absent].value)
		p->n_absent++;
	else
		free(a[p->n_absent].name), free(a[p->n_absent].value);
}

/* True (and forgotten) when present did not create rec. */
static bool r2_take_absent(struct r2_priv *p, const struct solver_record *rec)
{
	for (size_t i = 0; i < p->n_absent; i++) {
		if (strcasecmp(p->absent[i].name, r2_rec_name(rec)) != 0 || strcmp(p->absent[i].value, rec->value) != 0)
			continue;
		free(p->absent[i].name);
		free(p->absent[i].value);
		p->absent[i] = p->absent[--p->n_absent];
		return true;
	}
	return false;
}

/* ---- present and clean-up ---- */

/* One UPDATE per zone, stopping at the first failure (the engine then cleans up). Records of a refused UPDATE
 * and of zones not reached are remembered as not created. */
static int r2_present_zones(struct r2_priv *p, const struct solver_record *recs, const char *const *zones,
			    size_t n, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (r2_zone_first(zones, i) != i)
			continue;
		if ((rc = r2_update_zone(p, zones[i], recs, zones, n, true, errbuf, errlen)) == R2_DONE)
			continue;
		for (size_t j = 0; j < n; j++) {
			size_t f = r2_zone_first(zones, j);
			if (f > i || (f == i && rc == R2_REJECTED))
				r2_not_created(p, &recs[j]);
		}
		return -1;
	}
	return 0;
}

static int r2_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	struct r2_priv *p = s->priv;
	const char **zones = calloc(n ? n : 1, sizeof *zones);
	char *store = calloc(n ? n : 1, R2_NAME_MAX);
	int rc = -1;

	if (!zones || !store) {
		snprintf(errbuf, errlen, "out of memory");
	} else if (r2_zones(p, recs, n, zones, store, errbuf, errlen) != 0) {
		for (size_t j = 0; j < n; j++)
			if (recs[j].value && recs[j].fqdn)
				r2_not_created(p, &recs[j]);   /* nothing was sent */
	} else {
		rc = r2_present_zones(p, recs, zones, n, errbuf, errlen);
	}
	free(zones);
	free(store);
	return rc;
}

/* Deletes the records of each zone in one UPDATE; goes on after a failure and reports the first (later ones are
 * logged). */
static int r2_delete(struct r2_priv *p, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	const char **zones = calloc(n ? n : 1, sizeof *zones);
	char *store = calloc(n ? n : 1, R2_NAME_MAX);
	int first = -1;

	if (!zones || !store)
		snprintf(errbuf, errlen, "out of memory");
	else if (r2_zones(p, recs, n, zones, store, errbuf, errlen) == 0)
		first = 0;
	for (size_t i = 0; first == 0 && i < n; i++) {
		char later[1024];
		if (r2_zone_first(zones, i) != i ||
		    r2_update_zone(p, zones[i], recs, zones, n, false, first ? later : errbuf,
				   first ? sizeof later : errlen) == R2_DONE)
			continue;
		if (first)
			log_warn("%s", later);
		first = -1;
	}
	free(zones);
	free(store);
	return first;
}

static int r2_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	struct r2_priv *p = s->priv;
	struct solver_record *left = calloc(n ? n : 1, sizeof *left);
	size_t k = 0;
	int rc;

	if (!left) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].value && recs[i].fqdn && r2_take_absent(p, &recs[i]))
			log_debug("rfc2136: %s \"%s\" was never created: nothing to delete", r2_rec_name(&recs[i]),
				  recs[i].value);
		else
			left[k++] = recs[i];
	}
	rc = k ? r2_delete(p, left, k, errbuf, errlen) : 0;
	free(left);
	return rc;
}

static void r2_destroy(struct solver *s)
{
	struct r2_priv *p = s->priv;

	if (p) {
		tsig_key_free(p->key);
		for (size_t i = 0; i < p->n_absent; i++)
			free(p->absent[i].name), free(p->absent[i].value);
		free(p->absent);
		free(p);
	}
	free(s);
}

static const struct solver_ops r2_ops = {
	.name = "rfc2136",
	.present = r2_present,
	.cleanup = r2_cleanup,
	.destroy = r2_destroy,
};

/* ---- set-up ---- */

/* The key from the options: a key file, or name + secret (+ algorithm); none only when asked for. */
static int r2_key(struct r2_priv *p, const struct rfc2136_options *o, char *errbuf, size_t errlen)
{
	char err[512];
	enum tsig_alg alg;

	if (o->key_file && o->tsig_secret) {
		snprintf(errbuf, errlen, "rfc2136: give either a key file or a TSIG secret, not both");
		return -1;
	}
	if (o->key_file) {
		if (!(p->key = tsig_key_file(o->key_file, o->tsig_key, err, sizeof err))) {
			snprintf(errbuf, errlen, "rfc2136: %s", err);
			return -1;
		}
		if (o->tsig_algorithm && (tsig_alg_parse(o->tsig_algorithm, &alg) != 0 || alg != tsig_key_alg(p->key))) {
			snprintf(errbuf, errlen, "rfc2136: %s gives key %s the algorithm %s, but %.40s was asked for",
				 o->key_file, tsig_key_name(p->key), tsig_alg_name(tsig_key_alg(p->key)),
				 o->tsig_algorithm);
			return -1;
		}
	} else if (o->tsig_key || o->tsig_secret) {
		if (!o->tsig_key || !o->tsig_secret) {
			snprintf(errbuf, errlen, "rfc2136: a TSIG %s without its %s (RFC2136_TSIG_KEY and "
				 "RFC2136_TSIG_SECRET go together)", o->tsig_key ? "key name" : "secret",
				 o->tsig_key ? "secret" : "key name");
			return -1;
		}
		if (!(p->key = tsig_key_new(o->tsig_key, o->tsig_algorithm, o->tsig_secret, err, sizeof err))) {
			snprintf(errbuf, errlen, "rfc2136: %s", err);
			return -1;
		}
	} else if (!o->allow_unsigned) {
		snprintf(errbuf, errlen, "rfc2136: no TSIG key: give a BIND key file, or a key name and secret "
			 "(RFC2136_TSIG_KEY, RFC2136_TSIG_SECRET), or ask for unsigned updates explicitly");
		return -1;
	}
	if (!p->key)
		log_warn("rfc2136: updates to %s are NOT signed (no TSIG key): anyone who can reach the server could "
			 "do the same", p->where);
	else if (tsig_key_alg(p->key) == TSIG_HMAC_MD5)
		log_warn("rfc2136: key %s uses hmac-md5; prefer hmac-sha256", tsig_key_name(p->key));
	return 0;
}

struct solver *solver_rfc2136_new(const struct rfc2136_options *o, char *errbuf, size_t errlen)
{
	struct solver *s = calloc(1, sizeof *s);
	struct r2_priv *p = calloc(1, sizeof *p);

	if (!s || !p) {
		snprintf(errbuf, errlen, "out of memory");
	} else if (o->timeout_ms < 0) {
		snprintf(errbuf, errlen, "rfc2136: the timeout must not be negative");
	} else if (r2_nameserver(p, o->nameserver, errbuf, errlen) == 0 && r2_key(p, o, errbuf, errlen) == 0) {
		p->timeout_ms = o->timeout_ms ? o->timeout_ms : R2_TIMEOUT_MS;
		p->ttl = o->ttl ? o->ttl : R2_TTL;
		s->ops = &r2_ops;
		s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .follows_cname = true };
		s->priv = p;
		s->where = p->where;
		return s;
	}
	if (p)
		tsig_key_free(p->key);
	free(p);
	free(s);
	return NULL;
}

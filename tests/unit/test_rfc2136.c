/* The RFC 2136 solver against a scripted DNS server on a loopback port (a thread of this test): the UPDATE built
 * for a batch (one per zone, single RRs added with the TTL, deleted with class NONE), the zone found by SOA queries,
 * every refusal worded after the rcode and TSIG error, the answer's TSIG checked (the server side signs and
 * verifies with ldns's own TSIG code), UDP then TCP, the timeout, and the options. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rfc2136.h"
#include "solver.h"
#include "tsig.h"

#include <ldns/ldns.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SECRET "dW5pdC10ZXN0LXNlY3JldC1vZi0zMi1ieXRlcyEhISE="
#define SECRET2 "YW5vdGhlci1zZWNyZXQtMzItYnl0ZXMtbG9uZy4uLi4="
#define KEY "acme-key"
#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define V3 "LegoLegoLegoLegoLegoLegoLegoLegoLegoLego123"
#define MAXREQ 32

/* How the scripted server answers an UPDATE. */
enum mode {
	M_OK,           /* NOERROR, signed like the request */
	M_RCODE,        /* F.rcode, signed */
	M_BADKEY,       /* NOTAUTH, TSIG error BADKEY, no MAC (RFC 8945 5.2.1) */
	M_BADSIG,       /* NOTAUTH, TSIG error BADSIG, no MAC */
	M_BADTIME,      /* NOTAUTH, TSIG error BADTIME, signed, the server's time 2 h ahead in the other data */
	M_UNSIGNED,     /* NOERROR without a TSIG */
	M_TAMPERED,     /* NOERROR, signed, then a bit flipped */
	M_SILENT,       /* never answers */
	M_TC,           /* UDP: an empty truncated answer; TCP: NOERROR */
};

static struct fake {
	int udp, tcp;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t mu;
	int stop;
	enum mode mode;
	ldns_pkt_rcode rcode;
	const char *zone;               /* what SOA queries find: names under it are in it, others REFUSED */
	/* the requests, in order */
	uint8_t req[MAXREQ][4096];
	size_t req_len[MAXREQ];
	bool req_tcp[MAXREQ];
	bool req_verified[MAXREQ];      /* its TSIG checked by ldns_pkt_tsig_verify */
	size_t n_req;
} F;

static char where[64];

/* ---- the scripted server ---- */

static ldns_pkt *answer_for(const ldns_pkt *q, ldns_pkt_rcode rcode)
{
	ldns_pkt *a = ldns_pkt_new();
	ldns_rr_list *qs = ldns_pkt_question(q);

	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(q));
	ldns_pkt_set_rcode(a, rcode);
	for (size_t i = 0; i < ldns_rr_list_rr_count(qs); i++)
		ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(qs, i)));
	return a;
}

/* A TSIG RR with an error and no MAC, as servers answer BADKEY and BADSIG. */
static void set_tsig_error(ldns_pkt *a, const ldns_rr *qt, uint16_t error)
{
	static const uint8_t empty[2] = { 0, 0 };
	ldns_rr *t = ldns_rr_new();

	ldns_rr_set_owner(t, ldns_rdf_clone(ldns_rr_owner(qt)));
	ldns_rr_set_type(t, LDNS_RR_TYPE_TSIG);
	ldns_rr_set_class(t, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(t, 0);
	ldns_rr_push_rdf(t, ldns_rdf_clone(ldns_rr_rdf(qt, 0)));
	ldns_rr_push_rdf(t, ldns_rdf_clone(ldns_rr_rdf(qt, 1)));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 300));
	ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, ldns_pkt_id(a)));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, error));
	ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
	ldns_pkt_set_tsig(a, t);
}

/* A BADTIME answer: signed with our own signer (ldns cannot set the error and other data). */
static size_t badtime_wire(const ldns_pkt *a, const ldns_rr *qt, uint8_t *out, size_t cap)
{
	char err[128];
	struct tsig_key *k = tsig_key_new(KEY, NULL, SECRET, err, sizeof err);
	uint8_t *w = NULL, mac[TSIG_MAC_MAX];
	size_t len = 0, outlen = 0, mac_len;
	const ldns_rdf *qmac = ldns_rr_rdf(qt, 3);
	struct tsig_params p = { .time = ldns_read_uint16(ldns_rdf_data(ldns_rr_rdf(qt, 1))) * (1ULL << 32) +
					 ldns_read_uint32(ldns_rdf_data(ldns_rr_rdf(qt, 1)) + 2),
				 .fudge = 300, .error = TSIG_BADTIME, .request_mac = ldns_rdf_data(qmac) + 2,
				 .request_mac_len = ldns_rdf_size(qmac) - 2 };

	p.other_time = p.time + 7200;
	assert_int_equal(ldns_pkt2wire(&w, a, &len), LDNS_STATUS_OK);
	assert_int_equal(tsig_sign(k, w, len, &p, out, cap, &outlen, mac, &mac_len), 0);
	free(w);
	tsig_key_free(k);
	return outlen;
}

/* SOA query: NXDOMAIN with the zone's SOA in the authority section, or REFUSED outside it. */
static ldns_pkt *soa_answer(const ldns_pkt *q)
{
	ldns_rdf *zone = ldns_dname_new_frm_str(F.zone);
	const ldns_rdf *name = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0));
	bool in = ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
	ldns_pkt *a = answer_for(q, in ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_REFUSED);
	char soa[300];
	ldns_rr *rr = NULL;

	if (in) {
		snprintf(soa, sizeof soa, "%s 60 IN SOA ns1.%s hostmaster.%s 1 3600 600 86400 60", F.zone, F.zone, F.zone);
		assert_int_equal(ldns_rr_new_frm_str(&rr, soa, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, LDNS_SECTION_AUTHORITY, rr);
		ldns_pkt_set_aa(a, true);
	}
	ldns_rdf_deep_free(zone);
	return a;
}

static void sign_like(ldns_pkt *a, const ldns_rr *qt)
{
	if (qt)
		assert_int_equal(ldns_pkt_tsig_sign(a, KEY, SECRET, 300, "hmac-sha256.", ldns_rr_rdf(qt, 3)),
				 LDNS_STATUS_OK);
}

/* The answer to one request (0 bytes: none). */
static size_t respond(const uint8_t *req, size_t len, bool tcp, uint8_t *out, size_t cap)
{
	ldns_pkt *q = NULL, *a = NULL;
	uint8_t *w = NULL;
	size_t n = 0;

	if (ldns_wire2pkt(&q, req, len) != LDNS_STATUS_OK)
		return 0;
	const ldns_rr *qt = ldns_pkt_tsig(q);
	pthread_mutex_lock(&F.mu);
	if (F.n_req < MAXREQ) {
		memcpy(F.req[F.n_req], req, len < sizeof F.req[0] ? len : sizeof F.req[0]);
		F.req_len[F.n_req] = len;
		F.req_tcp[F.n_req] = tcp;
		F.req_verified[F.n_req] = qt && ldns_pkt_tsig_verify(q, req, len, KEY, SECRET, NULL);
		F.n_req++;
	}
	enum mode mode = F.mode;
	pthread_mutex_unlock(&F.mu);

	if (ldns_pkt_get_opcode(q) == LDNS_PACKET_QUERY) {
		a = soa_answer(q);
	} else if (mode == M_SILENT) {
		a = NULL;
	} else if (mode == M_TC && !tcp) {
		a = answer_for(q, LDNS_RCODE_NOERROR);
		ldns_pkt_set_tc(a, true);
	} else if (mode == M_OK || mode == M_TC || mode == M_TAMPERED) {
		a = answer_for(q, LDNS_RCODE_NOERROR);
		sign_like(a, qt);
	} else if (mode == M_RCODE) {
		a = answer_for(q, F.rcode);
		sign_like(a, qt);
	} else if (mode == M_UNSIGNED) {
		a = answer_for(q, LDNS_RCODE_NOERROR);
	} else if (mode == M_BADKEY || mode == M_BADSIG) {
		a = answer_for(q, LDNS_RCODE_NOTAUTH);
		set_tsig_error(a, qt, mode == M_BADKEY ? TSIG_BADKEY : TSIG_BADSIG);
	} else if (mode == M_BADTIME) {
		a = answer_for(q, LDNS_RCODE_NOTAUTH);
		n = badtime_wire(a, qt, out, cap);
		ldns_pkt_free(a);
		a = NULL;
	}
	if (a && ldns_pkt2wire(&w, a, &n) == LDNS_STATUS_OK && n <= cap) {
		memcpy(out, w, n);
		if (mode == M_TAMPERED && ldns_pkt_get_opcode(q) == LDNS_PACKET_UPDATE)
			out[2] ^= 0x04;         /* the AA bit, after signing */
	}
	free(w);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
	return n;
}

static void serve_tcp(int fd)
{
	uint8_t len2[2], req[4096], out[4096];
	size_t n;

	if (recv(fd, len2, 2, MSG_WAITALL) != 2)
		return;
	n = (size_t)len2[0] << 8 | len2[1];
	if (n > sizeof req || recv(fd, req, n, MSG_WAITALL) != (ssize_t)n)
		return;
	n = respond(req, n, true, out, sizeof out);
	if (n == 0)
		return;
	len2[0] = (uint8_t)(n >> 8);
	len2[1] = (uint8_t)n;
	(void)!send(fd, len2, 2, 0);
	(void)!send(fd, out, n, 0);
}

static void *serve(void *arg)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = F.udp, .events = POLLIN }, { .fd = F.tcp, .events = POLLIN } };
		pthread_mutex_lock(&F.mu);
		int stop = F.stop;
		pthread_mutex_unlock(&F.mu);
		if (stop)
			return NULL;
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			uint8_t req[4096], out[4096];
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t r = recvfrom(F.udp, req, sizeof req, 0, (struct sockaddr *)&from, &fl);
			size_t n = r > 0 ? respond(req, (size_t)r, false, out, sizeof out) : 0;
			if (n)
				(void)!sendto(F.udp, out, n, 0, (struct sockaddr *)&from, fl);
		}
		if (p[1].revents & POLLIN) {
			int c = accept(F.tcp, NULL, NULL);
			if (c >= 0) {
				serve_tcp(c);
				close(c);
			}
		}
	}
}

/* UDP and TCP on one loopback port: an ephemeral UDP port whose number is free for TCP too (a port of the
 * ephemeral range may be held by an earlier connection in TIME_WAIT, so a few are tried). */
static int server_bind(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof a;
		int one = 1;
		F.udp = socket(AF_INET, SOCK_DGRAM, 0);
		F.tcp = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(F.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (F.udp >= 0 && F.tcp >= 0 && bind(F.udp, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(F.udp, (struct sockaddr *)&a, &al) == 0 && bind(F.tcp, (struct sockaddr *)&a, sizeof a) == 0 &&
		    listen(F.tcp, 8) == 0) {
			F.port = ntohs(a.sin_port);
			return 0;
		}
		close(F.udp);
		close(F.tcp);
	}
	return -1;
}

static int server_start(void **state)
{
	memset(&F, 0, sizeof F);
	pthread_mutex_init(&F.mu, NULL);
	F.zone = "example.test";
	if (server_bind() != 0) {
		perror("test_rfc2136: no loopback port for UDP and TCP");
		return -1;
	}
	snprintf(where, sizeof where, "127.0.0.1:%u", F.port);
	return pthread_create(&F.thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
	pthread_mutex_lock(&F.mu);
	F.stop = 1;
	pthread_mutex_unlock(&F.mu);
	pthread_join(F.thread, NULL);
	close(F.udp);
	close(F.tcp);
	pthread_mutex_destroy(&F.mu);
	return 0;
}

static void script(enum mode mode, ldns_pkt_rcode rcode)
{
	pthread_mutex_lock(&F.mu);
	F.mode = mode;
	F.rcode = rcode;
	F.n_req = 0;
	pthread_mutex_unlock(&F.mu);
}

static size_t requests(void)
{
	pthread_mutex_lock(&F.mu);
	size_t n = F.n_req;
	pthread_mutex_unlock(&F.mu);
	return n;
}

/* Request i, parsed (ldns_pkt_free). */
static ldns_pkt *request(size_t i)
{
	ldns_pkt *p = NULL;

	assert_true(i < requests());
	assert_int_equal(ldns_wire2pkt(&p, F.req[i], F.req_len[i]), LDNS_STATUS_OK);
	return p;
}

/* ---- helpers ---- */

static struct solver *solver_with(const char *server, int timeout_ms)
{
	char err[512] = "";
	struct rfc2136_options o = { .nameserver = server, .tsig_key = KEY, .tsig_secret = SECRET,
				     .timeout_ms = timeout_ms };
	struct solver *s = solver_rfc2136_new(&o, err, sizeof err);

	if (!s)
		fail_msg("solver_rfc2136_new: %s", err);
	return s;
}

static struct solver *new_solver(void)
{
	return solver_with(where, 2000);
}

/* The update section (ldns: authority) of an UPDATE is exactly these "owner class ttl value" lines. */
static void assert_update(const ldns_pkt *p, const char *zone, const char *const *want, size_t n)
{
	const ldns_rr_list *z = ldns_pkt_question(p), *up = ldns_pkt_authority(p);
	char line[512], *owner;

	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_false(ldns_pkt_rd(p));
	assert_int_equal(ldns_rr_list_rr_count(z), 1);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z, 0)), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(z, 0)), LDNS_RR_CLASS_IN);
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(z, 0)));
	snprintf(line, sizeof line, "%s.", zone);
	assert_string_equal(owner, line);
	free(owner);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 0);             /* no prerequisites */
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(p)), 0);         /* the TSIG is apart */
	assert_non_null(ldns_pkt_tsig(p));
	assert_int_equal(ldns_rr_list_rr_count(up), n);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(up, i);
		char *o = ldns_rdf2str(ldns_rr_owner(rr)), *v = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
		assert_int_equal(ldns_rr_rd_count(rr), 1);
		snprintf(line, sizeof line, "%s %s %u %s", o,
			 ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN ? "IN" : ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE ? "NONE" : "?",
			 ldns_rr_ttl(rr), v);
		/* ldns compresses the owner against the zone section's name, whose case it then takes */
		if (strcasecmp(line, want[i]) != 0)
			fail_msg("update RR %zu: \"%s\", expected \"%s\"", i, line, want[i]);
		free(o);
		free(v);
	}
}

/* ---- options ---- */

static void new_fails(const struct rfc2136_options *o, const char *why)
{
	char err[512] = "";
	struct solver *s = solver_rfc2136_new(o, err, sizeof err);

	assert_null(s);
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_null(strstr(err, SECRET));
}

static void test_options(void **state)
{
	char kf[256], err[512];
	const char *t = getenv("TMPDIR");
	struct rfc2136_options o = { .nameserver = "127.0.0.1" };

	new_fails(&o, "no TSIG key");
	o.allow_unsigned = true;
	struct solver *s = solver_rfc2136_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "rfc2136");
	assert_string_equal(s->where, "127.0.0.1:53");
	assert_true(s->caps.appends);
	assert_true(s->caps.follows_cname);
	assert_int_equal(s->caps.batch_max, 0);
	solver_free(s);

	o = (struct rfc2136_options){ .nameserver = "[::1]:5353", .tsig_key = KEY, .tsig_secret = SECRET,
				      .tsig_algorithm = "hmac-sha512." };
	assert_non_null(s = solver_rfc2136_new(&o, err, sizeof err));
	assert_string_equal(s->where, "[::1]:5353");
	solver_free(s);

	new_fails(&(struct rfc2136_options){ .tsig_key = KEY, .tsig_secret = SECRET }, "no nameserver");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1:99999", .tsig_key = KEY, .tsig_secret = SECRET },
		  "expected ADDR, ADDR:PORT or [IPv6]:PORT");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .tsig_key = KEY },
		  "a TSIG key name without its secret");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .tsig_secret = SECRET },
		  "a TSIG secret without its key name");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .tsig_key = KEY, .tsig_secret = SECRET,
					     .tsig_algorithm = "hmac-sha3" }, "unknown");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .tsig_key = KEY, .tsig_secret = "%%%" }, "not base64");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .key_file = "/x", .tsig_secret = SECRET },
		  "either a key file or a TSIG secret");
	new_fails(&(struct rfc2136_options){ .nameserver = "127.0.0.1", .tsig_key = KEY, .tsig_secret = SECRET,
					     .timeout_ms = -1 }, "timeout");

	/* a key file; an algorithm that contradicts it */
	snprintf(kf, sizeof kf, "%s/test_rfc2136.XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(kf);
	const char *text = "key \"acme-key\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	o = (struct rfc2136_options){ .nameserver = "127.0.0.1", .key_file = kf };
	assert_non_null(s = solver_rfc2136_new(&o, err, sizeof err));
	solver_free(s);
	o.tsig_algorithm = "HMAC-SHA256";
	assert_non_null(s = solver_rfc2136_new(&o, err, sizeof err));
	solver_free(s);
	o.tsig_algorithm = "hmac-sha512";
	new_fails(&o, "gives key acme-key the algorithm hmac-sha256, but hmac-sha512 was asked for");
	o = (struct rfc2136_options){ .nameserver = "127.0.0.1", .key_file = kf, .tsig_key = "other" };
	new_fails(&o, "no key named \"other\"");
	unlink(kf);
}

/* ---- the UPDATE ---- */

static void test_batch_one_zone(void **state)
{
	struct solver *s = new_solver();
	const struct solver_record recs[] = {
		{ .domain = "example.test", .fqdn = "_acme-challenge.example.test", .value = V1,
		  .target = "_acme-challenge.example.test", .zone = "example.test" },
		{ .domain = "example.test", .fqdn = "_acme-challenge.example.test", .value = V2,
		  .target = "_acme-challenge.example.test", .zone = "example.test" },
	};
	const char *add[] = { "_acme-challenge.example.test. IN 60 \"" V1 "\"",
			      "_acme-challenge.example.test. IN 60 \"" V2 "\"" };
	const char *del[] = { "_acme-challenge.example.test. NONE 0 \"" V1 "\"",
			      "_acme-challenge.example.test. NONE 0 \"" V2 "\"" };
	char err[512] = "";
	ldns_pkt *p;

	script(M_OK, 0);
	assert_int_equal(solver_present(s, recs, 2, err, sizeof err), 0);
	assert_int_equal(requests(), 1);
	assert_false(F.req_tcp[0]);
	assert_true(F.req_verified[0]);
	assert_update(p = request(0), "example.test", add, 2);
	ldns_pkt_free(p);

	script(M_OK, 0);
	assert_int_equal(solver_cleanup(s, recs, 2, err, sizeof err), 0);
	assert_int_equal(requests(), 1);
	assert_true(F.req_verified[0]);
	assert_update(p = request(0), "example.test", del, 2);
	ldns_pkt_free(p);
	solver_free(s);
}

static void test_batch_two_zones(void **state)
{
	struct solver *s = new_solver();
	const struct solver_record recs[] = {
		{ .domain = "a.test", .fqdn = "_acme-challenge.a.test", .value = V1, .target = "_acme-challenge.a.test",
		  .zone = "a.test" },
		{ .domain = "b.test", .fqdn = "_acme-challenge.b.test", .value = V2, .target = "x.chal.b.test",
		  .zone = "B.test" },
		{ .domain = "a.test", .fqdn = "_acme-challenge.a.test", .value = V3, .target = "_acme-challenge.a.test",
		  .zone = "a.test" },
	};
	const char *za[] = { "_acme-challenge.a.test. IN 60 \"" V1 "\"", "_acme-challenge.a.test. IN 60 \"" V3 "\"" };
	const char *zb[] = { "x.chal.b.test. IN 60 \"" V2 "\"" };
	char err[512] = "";
	ldns_pkt *p;

	script(M_OK, 0);
	assert_int_equal(solver_present(s, recs, 3, err, sizeof err), 0);
	assert_int_equal(requests(), 2);
	assert_update(p = request(0), "a.test", za, 2);
	ldns_pkt_free(p);
	assert_update(p = request(1), "B.test", zb, 1);
	ldns_pkt_free(p);
	solver_free(s);
}

/* Without a zone from the engine, SOA queries to the server find it, once per name. */
static void test_zone_found_by_soa(void **state)
{
	struct solver *s = new_solver();
	const struct solver_record recs[] = {
		{ .domain = "sub.example.test", .fqdn = "_acme-challenge.sub.example.test", .value = V1 },
		{ .domain = "sub.example.test", .fqdn = "_acme-challenge.sub.example.test", .value = V2 },
	};
	const char *add[] = { "_acme-challenge.sub.example.test. IN 60 \"" V1 "\"",
			      "_acme-challenge.sub.example.test. IN 60 \"" V2 "\"" };
	char err[512] = "";
	ldns_pkt *p;

	script(M_OK, 0);
	assert_int_equal(solver_present(s, recs, 2, err, sizeof err), 0);
	assert_int_equal(requests(), 2);
	p = request(0);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p), 0)), LDNS_RR_TYPE_SOA);
	assert_null(ldns_pkt_tsig(p));
	ldns_pkt_free(p);
	assert_update(p = request(1), "example.test", add, 2);
	ldns_pkt_free(p);

	/* a name in no zone of the server: every SOA query up to the TLD is refused */
	const struct solver_record other = { .domain = "other.org", .fqdn = "_acme-challenge.other.org", .value = V1 };
	script(M_OK, 0);
	assert_int_equal(solver_present(s, &other, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "_acme-challenge.other.org is not in a zone"));
	assert_non_null(strstr(err, where));
	assert_non_null(strstr(err, "answered REFUSED"));
	assert_int_equal(requests(), 3);        /* _acme-challenge.other.org, other.org, org */
	/* nothing was sent, so the clean-up sends nothing either */
	assert_int_equal(solver_cleanup(s, &other, 1, err, sizeof err), 0);
	assert_int_equal(requests(), 3);
	solver_free(s);
}

/* ---- refusals ---- */

static const struct solver_record REC = { .domain = "example.test", .fqdn = "_acme-challenge.example.test",
					  .value = V1, .target = "_acme-challenge.example.test",
					  .zone = "example.test" };

/* present fails with why in the message; a refusal means nothing was created, so clean-up sends nothing
 * (rejected) or sends the delete (the outcome is unknown). */
static void present_fails(enum mode mode, ldns_pkt_rcode rcode, const char *why, bool rejected)
{
	struct solver *s = new_solver();
	char err[1024] = "";

	script(mode, rcode);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), -1);
	if (!strstr(err, why))
		fail_msg("mode %d: expected \"%s\" in \"%s\"", mode, why, err);
	assert_non_null(strstr(err, "rfc2136: adding 1 TXT record at _acme-challenge.example.test (zone example.test"));
	assert_null(strstr(err, SECRET));
	assert_int_equal(requests(), 1);
	script(M_OK, 0);
	assert_int_equal(solver_cleanup(s, &REC, 1, err, sizeof err), 0);
	assert_int_equal(requests(), rejected ? 0 : 1);
	solver_free(s);
}

static void test_refusals(void **state)
{
	char notauth[256];

	snprintf(notauth, sizeof notauth, "NOTAUTH: _acme-challenge.example.test is not in a zone %s serves", where);
	present_fails(M_RCODE, LDNS_RCODE_NOTAUTH, notauth, true);
	present_fails(M_RCODE, LDNS_RCODE_NXDOMAIN, "NXDOMAIN: _acme-challenge.example.test is not in a zone", true);
	present_fails(M_RCODE, LDNS_RCODE_REFUSED, "REFUSED: the server refused the update (policy for key acme-key?)",
		      true);
	present_fails(M_RCODE, LDNS_RCODE_NOTZONE, "NOTZONE: _acme-challenge.example.test is not inside zone example.test",
		      true);
	present_fails(M_RCODE, LDNS_RCODE_SERVFAIL, "the server answered SERVFAIL", true);
	present_fails(M_BADKEY, 0, "NOTAUTH/BADKEY: the server does not know key acme-key (or not with algorithm "
				   "hmac-sha256)", true);
	present_fails(M_BADSIG, 0, "NOTAUTH/BADSIG: the server rejected the signature: wrong secret for key acme-key",
		      true);
	present_fails(M_UNSIGNED, 0, "response not signed/verified with key acme-key: it carries no TSIG (the answer "
				     "said NOERROR)", false);
	present_fails(M_TAMPERED, 0, "response not signed/verified with key acme-key: its MAC does not match", false);
}

static void test_badtime(void **state)
{
	struct solver *s = new_solver();
	char err[1024] = "";

	script(M_BADTIME, 0);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "NOTAUTH/BADTIME: the clocks differ: server time "));
	assert_non_null(strstr(err, "a skew of 7200 s (more than the 300 s allowed)"));
	assert_null(strstr(err, "did not verify"));
	solver_free(s);
}

/* ---- transport ---- */

static void test_tcp(void **state)
{
	struct solver *s = new_solver();
	struct solver_record many[12];
	char err[1024] = "", vals[12][48];

	/* a truncated UDP answer: the same request again over TCP */
	script(M_TC, 0);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), 0);
	assert_int_equal(requests(), 2);
	assert_false(F.req_tcp[0]);
	assert_true(F.req_tcp[1]);
	assert_true(F.req_verified[1]);

	/* an UPDATE over 512 bytes goes over TCP at once */
	for (size_t i = 0; i < 12; i++) {
		snprintf(vals[i], sizeof vals[i], "value-%02zu-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		many[i] = REC;
		many[i].value = vals[i];
	}
	script(M_OK, 0);
	assert_int_equal(solver_present(s, many, 12, err, sizeof err), 0);
	assert_int_equal(requests(), 1);
	assert_true(F.req_tcp[0]);
	assert_true(F.req_len[0] > 512);
	assert_true(F.req_verified[0]);
	solver_free(s);
}

static void test_timeout(void **state)
{
	struct solver *s = solver_with(where, 300);
	char err[1024] = "", want[128];
	struct timespec a, b;

	script(M_SILENT, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	snprintf(want, sizeof want, "no answer from %s over UDP within 300 ms (timeout)", where);
	assert_non_null(strstr(err, want));
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 290 && ms < 2000);
	/* the update may have been applied: clean-up tries the delete */
	script(M_OK, 0);
	assert_int_equal(solver_cleanup(s, &REC, 1, err, sizeof err), 0);
	assert_int_equal(requests(), 1);
	solver_free(s);
}

static void test_closed_port(void **state)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	char spec[64], err[1024] = "";

	/* a port that was free a moment ago: bound, read, closed */
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	snprintf(spec, sizeof spec, "127.0.0.1:%u", ntohs(a.sin_port));
	struct solver *s = solver_with(spec, 2000);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "refused the UDP connection (nothing listens there?)"));
	solver_free(s);
}

static void test_unsigned_on_purpose(void **state)
{
	char err[512] = "";
	struct rfc2136_options o = { .nameserver = where, .allow_unsigned = true, .ttl = 300 };
	struct solver *s = solver_rfc2136_new(&o, err, sizeof err);
	ldns_pkt *p;

	assert_non_null(s);
	script(M_OK, 0);
	assert_int_equal(solver_present(s, &REC, 1, err, sizeof err), 0);
	p = request(0);
	assert_null(ldns_pkt_tsig(p));
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 300);
	ldns_pkt_free(p);
	solver_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_batch_one_zone),
		cmocka_unit_test(test_batch_two_zones),
		cmocka_unit_test(test_zone_found_by_soa),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_badtime),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_unsigned_on_purpose),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}

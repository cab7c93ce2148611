/* Query answering: every case of the DNS behaviour, checked by parsing the answers with ldns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answer.h"
#include "config.h"
#include "log.h"
#include "txt_table.h"
#include "wire.h"
#include "zonedb.h"

#include <ldns/ldns.h>
#include <urcu.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUB1 "0a1b2c3d-0000-4000-8000-000000000001"
#define SUB2 "0a1b2c3d-0000-4000-8000-000000000002"
#define VAL1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define VAL2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"

static struct config cfg;
static struct zonedb *db;
static struct txt_table *txt;
static struct answer_env env;
static uint8_t out[65536];
static size_t outlen;

static int setup(void **state)
{
	rcu_register_thread();
	log_setup(LOG_LVL_ERROR, 0);
	cfg.zone = "auth.example.test";
	cfg.ns_name = "ns1.auth.example.test";
	cfg.admin = "hostmaster.example.test";
	cfg.zones_dir = "tests/unit/data/zones";
	cfg.negative_ttl = 60;
	db = zonedb_load(&cfg, NULL);
	txt = txt_table_new();
	assert_non_null(db);
	assert_non_null(txt);
	struct txt_item items[2] = { { VAL2, 1000 }, { VAL1, 998 } };
	assert_int_equal(txt_table_set(txt, SUB1, items, 2), 0);
	assert_int_equal(txt_table_register(txt, SUB2), 0);
	env = (struct answer_env){ .db = db, .txt = txt, .challenge_ttl = 1, .now = 1000, .edns_max_payload = 1232 };
	return 0;
}

static int teardown(void **state)
{
	zonedb_free(db);
	txt_table_free(txt);
	rcu_unregister_thread();
	return 0;
}

static size_t raw_answer(const uint8_t *q, size_t qlen, bool tcp)
{
	rcu_read_lock();
	outlen = answer_query(&env, q, qlen, out, tcp ? 65535 : 4096, tcp);
	rcu_read_unlock();
	return outlen;
}

/* Asks name/type (with EDNS payload size edns, 0 = none) and returns the parsed answer. */
static ldns_pkt *ask_full(const char *name, ldns_rr_type type, uint16_t edns, bool dnssec, bool tcp)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(q, 4242);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, edns);
		ldns_pkt_set_edns_do(q, dnssec);
	}
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_true(raw_answer(wire, len, tcp) > 0);
	free(wire);
	ldns_pkt *r = NULL;
	assert_int_equal(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(r), 4242);
	assert_true(ldns_pkt_qr(r));
	return r;
}

static ldns_pkt *ask(const char *name, ldns_rr_type type)
{
	return ask_full(name, type, 0, false, false);
}

static char *rr_str(const ldns_rr_list *l, size_t i)
{
	static char buf[1024];
	char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static void assert_rr(const ldns_rr_list *l, size_t i, const char *want)
{
	assert_true(i < ldns_rr_list_rr_count(l));
	assert_string_equal(rr_str(l, i), want);
}

static void expect(ldns_pkt *r, ldns_pkt_rcode rc, bool aa, size_t an, size_t ns, size_t ar)
{
	assert_int_equal(ldns_pkt_get_rcode(r), rc);
	assert_int_equal(ldns_pkt_aa(r), aa);
	assert_int_equal(ldns_pkt_ancount(r), an);
	assert_int_equal(ldns_pkt_nscount(r), ns);
	assert_int_equal(ldns_pkt_arcount(r), ar);
}

static void test_apex_a(void **state)
{
	ldns_pkt *r = ask("example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "example.test.\t3600\tIN\tA\t192.0.2.1");
	assert_true(ldns_pkt_rd(r));
	assert_false(ldns_pkt_ra(r));
	ldns_pkt_free(r);
}

static void test_case_echo_and_rdata_case(void **state)
{
	ldns_pkt *r = ask("ExAmPlE.TeSt", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_question(r), 0, "ExAmPlE.TeSt.\tIN\tTXT");
	assert_rr(ldns_pkt_answer(r), 0, "ExAmPlE.TeSt.\t3600\tIN\tTXT\t\"v=spf1 -all\" \"MiXeD Case Text\"");
	ldns_pkt_free(r);
	r = ask("example.test", LDNS_RR_TYPE_SOA);
	assert_rr(ldns_pkt_answer(r), 0,
		  "example.test.\t3600\tIN\tSOA\tns1.Example.Test. hostmaster.example.test. 2026112301 3600 600 604800 60");
	ldns_pkt_free(r);
}

static void test_nxdomain_and_nodata(void **state)
{
	ldns_pkt *r = ask("nope.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	assert_rr(ldns_pkt_authority(r), 0,
		  "example.test.\t60\tIN\tSOA\tns1.Example.Test. hostmaster.example.test. 2026112301 3600 600 604800 60");
	ldns_pkt_free(r);
	r = ask("mail.example.test", LDNS_RR_TYPE_AAAA);
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(r), 0)), LDNS_RR_TYPE_SOA);
	ldns_pkt_free(r);
	r = ask("ent.example.test", LDNS_RR_TYPE_A);      /* empty non-terminal */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("b.ent.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("x.a.b.ent.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
}

static void test_wildcard(void **state)
{
	ldns_pkt *r = ask("Host.Wild.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "Host.Wild.example.test.\t3600\tIN\tA\t192.0.2.99");
	ldns_pkt_free(r);
	r = ask("deep.host.wild.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "deep.host.wild.example.test.\t3600\tIN\tTXT\t\"wildcard\"");
	ldns_pkt_free(r);
	r = ask("x.wild.example.test", LDNS_RR_TYPE_MX);
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("wild.example.test", LDNS_RR_TYPE_A);     /* the parent exists as an empty non-terminal */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
}

static void test_cname_chain(void **state)
{
	ldns_pkt *r = ask("WWW.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, true, 3, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "WWW.example.test.\t3600\tIN\tCNAME\tweb.example.test.");
	assert_rr(ldns_pkt_answer(r), 1, "web.example.test.\t3600\tIN\tCNAME\texample.test.");
	assert_rr(ldns_pkt_answer(r), 2, "example.test.\t3600\tIN\tA\t192.0.2.1");
	ldns_pkt_free(r);
	r = ask("www.example.test", LDNS_RR_TYPE_CNAME);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	ldns_pkt_free(r);
	r = ask("loop1.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 0);
	ldns_pkt_free(r);
	r = ask("out.example.test", LDNS_RR_TYPE_A);      /* target outside our zones: the CNAME alone */
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	ldns_pkt_free(r);
	r = ask("dangling.example.test", LDNS_RR_TYPE_A); /* RFC 6604: the rcode of the last name */
	expect(r, LDNS_RCODE_NXDOMAIN, true, 1, 1, 0);
	ldns_pkt_free(r);
}

static void test_challenge_via_cname(void **state)
{
	ldns_pkt *r = ask("_acme-challenge.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 3, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0,
		  "_acme-challenge.example.test.\t3600\tIN\tCNAME\t" SUB1 ".auth.example.test.");
	assert_rr(ldns_pkt_answer(r), 1, SUB1 ".auth.example.test.\t1\tIN\tTXT\t\"" VAL2 "\"");
	assert_rr(ldns_pkt_answer(r), 2, SUB1 ".auth.example.test.\t1\tIN\tTXT\t\"" VAL1 "\"");
	ldns_pkt_free(r);
}

static void test_challenge_names(void **state)
{
	ldns_pkt *r = ask("0A1B2C3D-0000-4000-8000-000000000001.AUTH.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 0);
	ldns_pkt_free(r);
	r = ask(SUB1 ".auth.example.test", LDNS_RR_TYPE_A);    /* registered, other type: NODATA */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(r), 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_ttl(soa), 60);
	const char *want = "auth.example.test.\t60\tIN\tSOA\tns1.auth.example.test. hostmaster.example.test. ";
	assert_memory_equal(rr_str(ldns_pkt_authority(r), 0), want, strlen(want));
	ldns_pkt_free(r);
}

static void test_challenge_empty_and_unknown(void **state)
{
	ldns_pkt *r = ask(SUB2 ".auth.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("0a1b2c3d-0000-4000-8000-00000000ffff.auth.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("x." SUB1 ".auth.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("auth.example.test", LDNS_RR_TYPE_NS);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "auth.example.test.\t3600\tIN\tNS\tns1.auth.example.test.");
	ldns_pkt_free(r);
}

static void test_value_age_limit(void **state)
{
	env.max_value_age = 1;       /* VAL1 was created at 998, VAL2 at 1000, now is 1000 */
	ldns_pkt *r = ask(SUB1 ".auth.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	ldns_pkt_free(r);
	env.now = 5000;
	r = ask(SUB1 ".auth.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	env.max_value_age = 0;
	env.now = 1000;
}

static void test_refused_outside(void **state)
{
	ldns_pkt *r = ask("example.com", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_REFUSED, false, 0, 0, 0);
	ldns_pkt_free(r);
	r = ask("test", LDNS_RR_TYPE_SOA);
	expect(r, LDNS_RCODE_REFUSED, false, 0, 0, 0);
	ldns_pkt_free(r);
}

static void test_referral(void **state)
{
	ldns_pkt *r = ask("host.sub.example.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, false, 0, 1, 1);
	assert_rr(ldns_pkt_authority(r), 0, "sub.example.test.\t3600\tIN\tNS\tns.sub.example.test.");
	assert_rr(ldns_pkt_additional(r), 0, "ns.sub.example.test.\t3600\tIN\tA\t192.0.2.77");
	ldns_pkt_free(r);
	r = ask("sub.example.test", LDNS_RR_TYPE_DS);      /* DS lives in the parent */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
}

static void test_any_is_minimal(void **state)
{
	ldns_pkt *r = ask("example.test", LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_ancount(r) >= 1);
	ldns_rr_list *an = ldns_pkt_answer(r);
	for (size_t i = 1; i < ldns_rr_list_rr_count(an); i++)
		assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(an, i)), ldns_rr_get_type(ldns_rr_list_rr(an, 0)));
	ldns_pkt_free(r);
}

static void test_additional_addresses(void **state)
{
	ldns_pkt *r = ask("example.test", LDNS_RR_TYPE_MX);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 1);
	assert_rr(ldns_pkt_additional(r), 0, "mail.example.test.\t3600\tIN\tA\t192.0.2.25");
	ldns_pkt_free(r);
	r = ask("example.test", LDNS_RR_TYPE_NS);
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 2);
	ldns_pkt_free(r);
}

static void test_edns(void **state)
{
	ldns_pkt *r = ask_full("example.test", LDNS_RR_TYPE_A, 4096, true, false);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_true(ldns_pkt_edns(r));
	assert_int_equal(ldns_pkt_edns_udp_size(r), 1232);
	assert_true(ldns_pkt_edns_do(r));
	ldns_pkt_free(r);
	r = ask_full("example.test", LDNS_RR_TYPE_A, 1232, false, false);
	assert_false(ldns_pkt_edns_do(r));
	ldns_pkt_free(r);
	r = ask("example.test", LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_edns(r));
	ldns_pkt_free(r);
}

static void test_badvers(void **state)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str("example.test"), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_version(q, 1);
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_true(raw_answer(wire, len, false) > 0);
	free(wire);
	ldns_pkt *r;
	assert_int_equal(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(r), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(r), 1);      /* 16 = BADVERS */
	assert_int_equal(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
}

static void test_truncation(void **state)
{
	ldns_pkt *r = ask("big.example.test", LDNS_RR_TYPE_TXT);
	assert_true(ldns_pkt_tc(r));
	expect(r, LDNS_RCODE_NOERROR, true, 0, 0, 0);
	assert_true(outlen <= 512);
	ldns_pkt_free(r);
	r = ask_full("big.example.test", LDNS_RR_TYPE_TXT, 0, false, true);
	assert_false(ldns_pkt_tc(r));
	expect(r, LDNS_RCODE_NOERROR, true, 6, 0, 0);
	ldns_pkt_free(r);
	r = ask_full("big.example.test", LDNS_RR_TYPE_TXT, 1232, false, false);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 6);
	ldns_pkt_free(r);
	r = ask_full("big.example.test", LDNS_RR_TYPE_TXT, 600, false, false);
	assert_true(ldns_pkt_tc(r));
	assert_true(outlen <= 600);
	ldns_pkt_free(r);
}

static void test_compression(void **state)
{
	ldns_pkt *r = ask("example.test", LDNS_RR_TYPE_NS);
	/* header 12 + question 18 + two NS with compressed owner and target suffix + 2 glue */
	assert_true(outlen < 120);
	ldns_pkt_free(r);
}

/* A raw query for example.test A with header fields given. */
static size_t build_raw(uint8_t *q, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	static const uint8_t name[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	uint8_t hdr[12] = { 0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, (uint8_t)qd, 0, (uint8_t)an,
			    0, (uint8_t)ns, 0, (uint8_t)ar };
	memcpy(q, hdr, 12);
	memcpy(q + 12, name, sizeof(name));
	return 12 + sizeof(name);
}

static int rcode_of(void)
{
	return out[3] & 0xF;
}

static void test_malformed(void **state)
{
	uint8_t q[600];
	size_t n = build_raw(q, 0x0100, 1, 0, 0, 0);
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 0);
	assert_int_equal(raw_answer(q, 11, false), 0);                  /* shorter than a header: dropped */
	n = build_raw(q, 0x8100, 1, 0, 0, 0);
	assert_int_equal(raw_answer(q, n, false), 0);                   /* a response: dropped */
	n = build_raw(q, 0x0100, 0, 0, 0, 0);
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 1);
	assert_int_equal(out[5], 0);                                    /* no question echoed */
	n = build_raw(q, 0x0100, 2, 0, 0, 0);
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 1);
	n = build_raw(q, 0x0100, 1, 1, 0, 0);
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 1);
	n = build_raw(q, 0x0100, 1, 0, 0, 0);
	assert_true(raw_answer(q, n - 3, false) > 0);                   /* truncated question */
	assert_int_equal(rcode_of(), 1);
	n = build_raw(q, 0x1000, 1, 0, 0, 0);                           /* opcode 2 */
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 4);
	n = build_raw(q, 0x2800, 1, 0, 0, 0);                           /* opcode 5 (UPDATE) */
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 4);
}

static void test_malformed_names(void **state)
{
	uint8_t q[600];
	build_raw(q, 0, 1, 0, 0, 0);
	uint8_t loop[] = { 0xC0, 12, 0, 1, 0, 1 };                      /* points at itself */
	memcpy(q + 12, loop, sizeof(loop));
	assert_true(raw_answer(q, 12 + sizeof(loop), false) > 0);
	assert_int_equal(rcode_of(), 1);
	uint8_t fwd[] = { 0xC0, 14, 1, 'a', 0, 0, 1, 0, 1 };            /* points forward */
	memcpy(q + 12, fwd, sizeof(fwd));
	assert_true(raw_answer(q, 12 + sizeof(fwd), false) > 0);
	assert_int_equal(rcode_of(), 1);
	q[12] = 64;                                                      /* label type 01 */
	memset(q + 13, 'a', 64);
	q[77] = 0;
	assert_true(raw_answer(q, 82, false) > 0);
	assert_int_equal(rcode_of(), 1);
	size_t p = 12;                                                   /* a name of 5 x 63 > 255 */
	for (int i = 0; i < 5; i++) {
		q[p++] = 63;
		memset(q + p, 'b', 63);
		p += 63;
	}
	q[p++] = 0;
	memset(q + p, 0, 4);
	assert_true(raw_answer(q, p + 4, false) > 0);
	assert_int_equal(rcode_of(), 1);
}

static void test_two_opt_and_classes(void **state)
{
	uint8_t q[600];
	size_t n = build_raw(q, 0, 1, 0, 0, 2);
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	memcpy(q + n, opt, sizeof(opt));
	memcpy(q + n + sizeof(opt), opt, sizeof(opt));
	assert_true(raw_answer(q, n + 2 * sizeof(opt), false) > 0);
	assert_int_equal(rcode_of(), 1);
	n = build_raw(q, 0, 1, 0, 0, 1);
	static const uint8_t badopt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 5, 0, 1, 0, 9, 1 };
	memcpy(q + n, badopt, sizeof(badopt));                           /* option longer than the rdata */
	assert_true(raw_answer(q, n + sizeof(badopt), false) > 0);
	assert_int_equal(rcode_of(), 1);
	n = build_raw(q, 0, 1, 0, 0, 0);
	q[n - 1] = 3;                                                    /* class CH */
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 5);
	n = build_raw(q, 0, 1, 0, 0, 0);
	q[n - 3] = 252;                                                  /* AXFR */
	assert_true(raw_answer(q, n, true) > 0);
	assert_int_equal(rcode_of(), 5);
	q[n - 3] = 41;                                                   /* OPT as a question type */
	assert_true(raw_answer(q, n, false) > 0);
	assert_int_equal(rcode_of(), 1);
}

/* Random and mutated packets: the answer never runs past its buffer (ASan watches) and always parses. */
static void test_random_packets(void **state)
{
	uint8_t q[600];
	unsigned seed = 12345;
	for (int round = 0; round < 50000; round++) {
		size_t n = build_raw(q, 0, 1, 0, 0, 0);
		size_t len = (size_t)(rand_r(&seed) % 80);
		if (round % 2) {
			for (size_t i = 0; i < len; i++)
				q[i] = (uint8_t)rand_r(&seed);
		} else {
			len = n;
			q[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
			q[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
		}
		q[2] &= 0x7F;
		if (raw_answer(q, len, rand_r(&seed) % 2) == 0)
			continue;
		ldns_pkt *r = NULL;
		assert_int_equal(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
		ldns_pkt_free(r);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_zone_errors_and_reload(void **state)
{
	assert_int_equal(zonedb_errors(db), 1);                         /* broken.test.zone */
	ldns_pkt *r = ask("www.broken.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_REFUSED, false, 0, 0, 0);
	ldns_pkt_free(r);

	char dir[] = "/tmp/adns-zones.XXXXXX", path[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/reload.test.zone", dir);
	write_file(path, "$ORIGIN reload.test.\n@ 60 IN SOA ns. host. 1 1 1 1 1\nwww 60 IN A 192.0.2.1\n");
	struct config c2 = cfg;
	c2.zones_dir = dir;
	struct zonedb *db1 = zonedb_load(&c2, NULL);
	assert_int_equal(zonedb_errors(db1), 0);
	write_file(path, "$ORIGIN reload.test.\n@ 60 IN SOA ns. host. 2 1 1 1 1\nwww 60 IN A 192.0.2.999\n");
	struct zonedb *db2 = zonedb_load(&c2, db1);                      /* broken now: the old zone stays */
	assert_int_equal(zonedb_errors(db2), 1);
	zonedb_free(db1);
	const struct zonedb *saved = env.db;
	env.db = db2;
	r = ask("www.reload.test", LDNS_RR_TYPE_A);
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "www.reload.test.\t60\tIN\tA\t192.0.2.1");
	ldns_pkt_free(r);
	env.db = saved;
	zonedb_free(db2);
	unlink(path);
	rmdir(dir);
}

/* NS targets of different lengths in one RRset, and an exact duplicate that collapses (RFC 2181 5.1). */
static void test_rrset_lengths_and_duplicates(void **state)
{
	char dir[] = "/tmp/adns-zones.XXXXXX", path[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mixed.test.zone", dir);
	write_file(path, "$ORIGIN mixed.test.\n@ 60 IN SOA ns. host. 1 1 1 1 1\n@ 60 IN NS a.mixed.test.\n"
			 "@ 60 IN NS a-much-longer-name-server.mixed.test.\n@ 60 IN NS a.mixed.test.\n");
	struct config c2 = cfg;
	c2.zones_dir = dir;
	struct zonedb *d = zonedb_load(&c2, NULL);
	assert_int_equal(zonedb_errors(d), 0);
	const struct zonedb *saved = env.db;
	env.db = d;
	ldns_pkt *r = ask("mixed.test", LDNS_RR_TYPE_NS);
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 0);
	ldns_pkt_free(r);
	env.db = saved;
	zonedb_free(d);
	unlink(path);
	rmdir(dir);
}

/* Names written by RFC 2136 UPDATE: TXT there, NODATA for other types, the names above exist, the zone file's
 * own data and the account table win. */
static void test_dynamic_names(void **state)
{
	struct txt_table *names = txt_table_new();
	assert_non_null(names);
	struct txt_item items[2] = { { VAL1, 1000 }, { VAL2, 990 } };
	uint8_t w[256];
	assert_true(wire_name_from_str("_acme-challenge.new.example.test", w) > 0);
	assert_int_equal(txt_table_name_set(names, w, items, 2), 0);
	assert_true(wire_name_from_str("_acme-challenge.auth.example.test", w) > 0);
	assert_int_equal(txt_table_name_set(names, w, items, 1), 0);
	/* The zone file's _acme-challenge CNAME wins over a table entry at the same name. */
	assert_true(wire_name_from_str("_acme-challenge.example.test", w) > 0);
	assert_int_equal(txt_table_name_set(names, w, items, 1), 0);
	env.names = names;

	ldns_pkt *r = ask("_ACME-challenge.New.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 0);
	assert_rr(ldns_pkt_answer(r), 0, "_ACME-challenge.New.example.test.\t1\tIN\tTXT\t\"" VAL1 "\"");
	ldns_pkt_free(r);
	r = ask("_acme-challenge.new.example.test", LDNS_RR_TYPE_A);       /* NODATA */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("new.example.test", LDNS_RR_TYPE_A);                       /* above it: an empty non-terminal */
	expect(r, LDNS_RCODE_NOERROR, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("x._acme-challenge.new.example.test", LDNS_RR_TYPE_TXT);   /* below it: nothing */
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("other.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("_acme-challenge.auth.example.test", LDNS_RR_TYPE_TXT);    /* in the challenge apex too */
	expect(r, LDNS_RCODE_NOERROR, true, 1, 0, 0);
	ldns_pkt_free(r);
	r = ask(SUB1 ".auth.example.test", LDNS_RR_TYPE_TXT);              /* accounts unchanged */
	expect(r, LDNS_RCODE_NOERROR, true, 2, 0, 0);
	ldns_pkt_free(r);
	r = ask("_acme-challenge.example.test", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), LDNS_RR_TYPE_CNAME);
	ldns_pkt_free(r);

	/* Values gone: the names are gone. */
	assert_true(wire_name_from_str("_acme-challenge.new.example.test", w) > 0);
	assert_int_equal(txt_table_name_set(names, w, NULL, 0), 0);
	r = ask("_acme-challenge.new.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	r = ask("new.example.test", LDNS_RR_TYPE_TXT);
	expect(r, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
	ldns_pkt_free(r);
	env.names = NULL;
	rcu_barrier();
	txt_table_free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apex_a),
		cmocka_unit_test(test_case_echo_and_rdata_case),
		cmocka_unit_test(test_nxdomain_and_nodata),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_challenge_via_cname),
		cmocka_unit_test(test_challenge_names),
		cmocka_unit_test(test_challenge_empty_and_unknown),
		cmocka_unit_test(test_value_age_limit),
		cmocka_unit_test(test_refused_outside),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_any_is_minimal),
		cmocka_unit_test(test_additional_addresses),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_names),
		cmocka_unit_test(test_two_opt_and_classes),
		cmocka_unit_test(test_random_packets),
		cmocka_unit_test(test_zone_errors_and_reload),
		cmocka_unit_test(test_rrset_lengths_and_duplicates),
		cmocka_unit_test(test_dynamic_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

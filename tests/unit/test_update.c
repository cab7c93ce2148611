/* RFC 2136 UPDATE with TSIG: packets built and signed with ldns, fed to the handler; rcodes, TSIG errors, the
 * key's policy, prerequisites, atomicity, and responses that verify with ldns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answer.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "tsig.h"
#include "txt_table.h"
#include "update.h"
#include "wire.h"
#include "zonedb.h"

#include <ldns/ldns.h>
#include <urcu.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SUB1 "0a1b2c3d-0000-4000-8000-000000000001"
#define SUB2 "0a1b2c3d-0000-4000-8000-000000000002"
#define SUB3 "0a1b2c3d-0000-4000-8000-000000000003"    /* granted to the key, but no account */
#define VAL1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define VAL2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define VAL3 "third-value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NAME "_acme-challenge.mail.example.test"
#define ZONE "example.test"
#define SECRET_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="   /* bytes 0..31 */
#define OTHER_B64 "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static struct config cfg;
static struct config_key keys[4];
static uint8_t secret[32];
static char *lego_subs[] = { SUB1, SUB3 };
static char *other_zones[] = { "other.test" };
static struct zonedb *db;
static struct txt_table *accounts, *names;
static struct store *st;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static struct update_env env;
static char dir[256];
static uint8_t out[65536];
static size_t outlen;

/* A configured key with the test's secret, bytes 0..31. */
static struct tsig_key *key_make(const char *name, enum tsig_alg alg)
{
	char err[256];
	struct tsig_key *k = tsig_key_new_raw(name, alg, secret, sizeof(secret), err, sizeof(err));
	assert_non_null(k);
	return k;
}

static int setup(void **state)
{
	rcu_register_thread();
	log_setup(LOG_LVL_ERROR, 0);
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	keys[0] = (struct config_key){ .name = "lego-key", .tsig = key_make("lego-key", TSIG_HMAC_SHA256),
				       .subdomains = lego_subs, .n_subdomains = 2, .all_zones = true };
	keys[1] = (struct config_key){ .name = "md5-key", .tsig = key_make("md5-key", TSIG_HMAC_MD5),
				       .all_zones = true };
	keys[2] = (struct config_key){ .name = "other-key", .tsig = key_make("other-key", TSIG_HMAC_SHA512),
				       .zones = other_zones, .n_zones = 1 };
	keys[3] = (struct config_key){ .name = "sha512-key", .tsig = key_make("sha512-key", TSIG_HMAC_SHA512),
				       .all_zones = true };
	cfg.zone = "auth.example.test";
	cfg.ns_name = "ns1.auth.example.test";
	cfg.admin = "hostmaster.example.test";
	cfg.zones_dir = "tests/unit/data/zones";
	cfg.negative_ttl = 60;
	cfg.values_kept = 2;
	cfg.update_fudge = 300;
	cfg.keys = keys;
	cfg.n_keys = 4;
	db = zonedb_load(&cfg, NULL);
	accounts = txt_table_new();
	assert_non_null(db);
	assert_non_null(accounts);
	assert_int_equal(txt_table_register(accounts, SUB1), 0);
	assert_int_equal(txt_table_register(accounts, SUB2), 0);
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/adns-update.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	zonedb_free(db);
	rcu_barrier();
	txt_table_free(accounts);
	for (size_t i = 0; i < cfg.n_keys; i++)
		tsig_key_free(keys[i].tsig);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	rcu_unregister_thread();
	return 0;
}

/* Every test starts with an empty store and no dynamic names. */
static int each_setup(void **state)
{
	char path[300], err[256];
	snprintf(path, sizeof(path), "%s/store.db", dir);
	unlink(path);
	st = store_open(path, cfg.values_kept, err, sizeof(err));
	names = txt_table_new();
	assert_non_null(st);
	assert_non_null(names);
	cfg.max_value_age = 0;
	cfg.update_fudge = 300;
	env = (struct update_env){ .cfg = &cfg, .db = db, .accounts = accounts, .names = names, .store = st,
				   .write_lock = &write_lock, .now = (int64_t)time(NULL), .client = "unit test" };
	struct txt_item none[1];
	assert_int_equal(txt_table_set(accounts, SUB1, none, 0), 0);
	return 0;
}

static int each_teardown(void **state)
{
	store_close(st);
	rcu_barrier();
	txt_table_free(names);
	return 0;
}

/* ---- building messages ---- */

static ldns_rr *rr_make(const char *owner, uint32_t ttl, ldns_rr_class cls, ldns_rr_type type, const char *rdata);

static ldns_pkt *upd_new(const char *zone)
{
	ldns_pkt *p = ldns_pkt_new();
	assert_non_null(p);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt_set_id(p, 0x4242);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr_make(zone, 0, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_SOA, NULL)));
	return p;
}

/* An RR "owner ttl class type [rdata]"; class is IN, NONE or ANY; rdata NULL for an empty one. */
static ldns_rr *rr_make(const char *owner, uint32_t ttl, ldns_rr_class cls, ldns_rr_type type, const char *rdata)
{
	ldns_rr *rr = NULL;
	if (rdata) {
		char text[1024];
		char *t = ldns_rr_type2str(type);
		snprintf(text, sizeof(text), "%s %u IN %s %s", owner, ttl, t, rdata);
		free(t);
		assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	} else {
		rr = ldns_rr_new();
		ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner));
		ldns_rr_set_type(rr, type);
		ldns_rr_set_ttl(rr, ttl);
	}
	ldns_rr_set_class(rr, cls);
	return rr;
}

/* Adds to the update section (LDNS_SECTION_AUTHORITY) or the prerequisites (LDNS_SECTION_ANSWER). */
static void push(ldns_pkt *p, ldns_pkt_section sec, const char *owner, uint32_t ttl, ldns_rr_class cls,
		 ldns_rr_type type, const char *rdata)
{
	assert_true(ldns_pkt_push_rr(p, sec, rr_make(owner, ttl, cls, type, rdata)));
}

#define UPD LDNS_SECTION_AUTHORITY
#define PRE LDNS_SECTION_ANSWER

static void sign(ldns_pkt *p, const char *key, const char *b64, const char *alg)
{
	assert_int_equal(ldns_pkt_tsig_sign(p, key, b64, 300, alg, NULL), LDNS_STATUS_OK);
}

static size_t handle_wire(const uint8_t *wire, size_t len)
{
	rcu_read_lock();
	outlen = update_handle(&env, wire, len, out, sizeof(out));
	rcu_read_unlock();
	return outlen;
}

/* Sends p (signed or not) and returns the parsed response. */
static ldns_pkt *send_pkt(ldns_pkt *p)
{
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	size_t n = handle_wire(wire, len);
	free(wire);
	assert_true(n >= 12);
	ldns_pkt *r = NULL;
	assert_int_equal(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(r), 0x4242);
	assert_true(ldns_pkt_qr(r));
	assert_int_equal(ldns_pkt_get_opcode(r), LDNS_PACKET_UPDATE);
	return r;
}

static uint16_t tsig_error(const ldns_pkt *r)
{
	const ldns_rr *t = ldns_pkt_tsig(r);
	assert_non_null(t);
	return ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
}

static size_t tsig_mac_len(const ldns_pkt *r)
{
	return ldns_rdf_size(ldns_rr_rdf(ldns_pkt_tsig(r), 3)) - 2;
}

/* The response carries a TSIG that verifies with key over the request's MAC. */
static void assert_signed(ldns_pkt *r, const ldns_pkt *req, const char *key, const char *b64)
{
	assert_non_null(ldns_pkt_tsig(r));
	assert_true(ldns_pkt_tsig_verify(r, out, outlen, key, b64, ldns_rr_rdf(ldns_pkt_tsig(req), 3)));
}

/* Builds, signs with lego-key (sha256), sends; returns the response rcode, checks the signature. */
static ldns_pkt_rcode send_signed(ldns_pkt *p)
{
	sign(p, "lego-key.", SECRET_B64, "hmac-sha256.");
	ldns_pkt *r = send_pkt(p);
	assert_signed(r, p, "lego-key.", SECRET_B64);
	assert_int_equal(tsig_error(r), 0);
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(r);
	ldns_pkt_free(r);
	ldns_pkt_free(p);
	return rc;
}

/* ---- looking at the result ---- */

static int name_values(const char *name)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t len = wire_name_from_str(name, w);
	rcu_read_lock();
	const struct txt_set *s = txt_table_name_lookup(names, w, len);
	int n = s ? (int)s->n : -1;
	rcu_read_unlock();
	return n;
}

static bool name_has(const char *name, const char *value)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t len = wire_name_from_str(name, w);
	bool found = false;
	rcu_read_lock();
	const struct txt_set *s = txt_table_name_lookup(names, w, len);
	for (uint32_t i = 0; s && i < s->n; i++)
		found |= s->v[i].rdlen == strlen(value) && memcmp(s->v[i].rdata + 1, value, s->v[i].rdlen) == 0;
	rcu_read_unlock();
	return found;
}

static int stored(const char *name)
{
	struct store_value v[16];
	return store_name_values_get(st, name, v, 16);
}

/* The query path sees it: TXT answer count for name (NXDOMAIN = -1). */
static int query_txt(const char *name)
{
	struct answer_env a = { .db = db, .txt = accounts, .names = names, .challenge_ttl = 1,
				.max_value_age = cfg.max_value_age, .now = env.now, .edns_max_payload = 1232 };
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire, buf[4096];
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	rcu_read_lock();
	size_t n = answer_query(&a, wire, len, buf, sizeof(buf), false);
	rcu_read_unlock();
	free(wire);
	ldns_pkt *r = NULL;
	assert_int_equal(ldns_wire2pkt(&r, buf, n), LDNS_STATUS_OK);
	int count = ldns_pkt_get_rcode(r) == LDNS_RCODE_NXDOMAIN ? -1 : (int)ldns_pkt_ancount(r);
	ldns_pkt_free(r);
	return count;
}

static ldns_pkt_rcode add_values(const char *name, const char *v1, const char *v2)
{
	char q1[128], q2[128];
	snprintf(q1, sizeof(q1), "\"%s\"", v1);
	snprintf(q2, sizeof(q2), "\"%s\"", v2 ? v2 : "");
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, name, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, q1);
	if (v2)
		push(p, UPD, name, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, q2);
	return send_signed(p);
}

/* ---- the tests ---- */

static void test_add_and_delete(void **state)
{
	assert_int_equal(query_txt(NAME), -1);
	assert_int_equal(add_values(NAME, VAL1, VAL2), LDNS_RCODE_NOERROR);
	assert_int_equal(name_values(NAME), 2);
	assert_int_equal(stored(NAME), 2);
	assert_int_equal(query_txt(NAME), 2);
	assert_int_equal(query_txt("_ACME-CHALLENGE.Mail.example.test"), 2);

	/* Delete one value (class NONE): the other stays. */
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, NAME, 0, LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	assert_int_equal(query_txt(NAME), 1);
	assert_true(name_has(NAME, VAL2));
	assert_int_equal(stored(NAME), 1);

	/* lego's way: delete the TXT RRset, add the new value, in one message. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, NULL);
	push(p, UPD, NAME, 120, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL3 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	assert_int_equal(name_values(NAME), 1);
	assert_true(name_has(NAME, VAL3));

	/* Delete every RRset at the name (class ANY, type ANY): the name is gone again. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	assert_int_equal(name_values(NAME), -1);
	assert_int_equal(stored(NAME), 0);
	assert_int_equal(query_txt(NAME), -1);

	/* Deleting what is not there is not an error (RFC 2136 3.4.2). */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 0, LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
}

/* store.values_kept (2) holds for UPDATE too: the newest two are served. */
static void test_values_kept_and_age(void **state)
{
	assert_int_equal(add_values(NAME, VAL1, VAL2), LDNS_RCODE_NOERROR);
	assert_int_equal(add_values(NAME, VAL3, NULL), LDNS_RCODE_NOERROR);
	assert_int_equal(name_values(NAME), 2);
	assert_true(name_has(NAME, VAL3));
	assert_true(name_has(NAME, VAL2));
	assert_false(name_has(NAME, VAL1));
	assert_int_equal(stored(NAME), 2);
	/* max_value_age hides old values from queries and from prerequisites alike. */
	cfg.max_value_age = 60;
	env.now += 3600;
	assert_int_equal(query_txt(NAME), 0);
	env.now -= 3600;
	cfg.max_value_age = 0;
}

static void test_account_subdomains(void **state)
{
	ldns_pkt *p = upd_new("auth.example.test");
	push(p, UPD, SUB1 ".auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	struct store_value v[4];
	assert_int_equal(store_values_get(st, SUB1, v, 4), 1);      /* where POST /update writes */
	assert_string_equal(v[0].value, VAL1);
	rcu_read_lock();
	assert_int_equal(txt_table_lookup(accounts, (const uint8_t *)SUB1, strlen(SUB1))->n, 1);
	rcu_read_unlock();
	assert_int_equal(query_txt(SUB1 ".auth.example.test"), 1);

	/* Another account's subdomain, and a granted one that has no account: refused, nothing written. */
	p = upd_new("auth.example.test");
	push(p, UPD, SUB2 ".auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_REFUSED);
	p = upd_new("auth.example.test");
	push(p, UPD, SUB3 ".auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_REFUSED);
	assert_int_equal(store_values_get(st, SUB2, v, 4), 0);
	assert_int_equal(store_values_get(st, SUB3, v, 4), 0);
	/* A subdomain is written in the challenge zone, not through another zone. */
	p = upd_new(ZONE);
	push(p, UPD, SUB1 ".auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL2 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTZONE);

	/* Clearing the RRset leaves the account registered (NODATA). */
	p = upd_new("auth.example.test");
	push(p, UPD, SUB1 ".auth.example.test", 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	assert_int_equal(query_txt(SUB1 ".auth.example.test"), 0);

	/* _acme-challenge names in the challenge zone are dynamic names like any other. */
	p = upd_new("auth.example.test");
	push(p, UPD, "_acme-challenge.auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL2 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	assert_int_equal(query_txt("_acme-challenge.auth.example.test"), 1);
	/* ... but not below an account's subdomain. */
	p = upd_new("auth.example.test");
	push(p, UPD, "_acme-challenge." SUB2 ".auth.example.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"x\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_REFUSED);
}

static void test_policy_refusals_are_atomic(void **state)
{
	static const struct {
		const char *owner;
		ldns_rr_type type;
		const char *rdata;
	} bad[] = {
		{ "www2.example.test", LDNS_RR_TYPE_TXT, "\"" VAL1 "\"" },             /* not _acme-challenge */
		{ NAME, LDNS_RR_TYPE_A, "192.0.2.9" },                                  /* not TXT */
		{ NAME, LDNS_RR_TYPE_TXT, "\"one\" \"two\"" },                          /* two strings */
		{ NAME, LDNS_RR_TYPE_TXT, "\"\"" },                                     /* empty */
		{ NAME, LDNS_RR_TYPE_TXT, "\"tab\\009inside\"" },                       /* not printable */
		{ "_acme-challenge.example.test", LDNS_RR_TYPE_TXT, "\"x\"" },          /* the zone has a CNAME there */
		{ "_acme-challenge.x.sub.example.test", LDNS_RR_TYPE_TXT, "\"x\"" },    /* below a delegation */
		{ "_acme-challenge.sub.example.test", LDNS_RR_TYPE_TXT, "\"x\"" },      /* below it too */
		{ "_acme-challenge.bad\\.dot.example.test", LDNS_RR_TYPE_TXT, "\"x\"" },/* a dot in a label */
		{ "_acme-challenge.mail.example.test", LDNS_RR_TYPE_CNAME, "x.example.test." },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good change first, then the bad one: neither happens. */
		ldns_pkt *p = upd_new(ZONE);
		push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
		push(p, UPD, bad[i].owner, 60, LDNS_RR_CLASS_IN, bad[i].type, bad[i].rdata);
		if (send_signed(p) != LDNS_RCODE_REFUSED)
			fail_msg("case %zu (%s) not refused", i, bad[i].owner);
		assert_int_equal(name_values(NAME), -1);
		assert_int_equal(stored(NAME), 0);
	}
	/* Deleting an A RRset is refused as well: a key touches TXT only. */
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, "mail.example.test", 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_A, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_REFUSED);
	p = upd_new(ZONE);
	push(p, UPD, "mail.example.test", 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_REFUSED);

	/* A key limited to other zones may not write here. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "other-key.", SECRET_B64, "hmac-sha512.");
	ldns_pkt *r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	assert_signed(r, p, "other-key.", SECRET_B64);
	ldns_pkt_free(r);
	ldns_pkt_free(p);
	assert_int_equal(stored(NAME), 0);
}

static void test_unsigned_and_tsig_errors(void **state)
{
	/* Unsigned: REFUSED, no TSIG in the answer. */
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	ldns_pkt *r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	assert_null(ldns_pkt_tsig(r));
	assert_int_equal(ldns_pkt_qdcount(r), 1);                  /* the zone is echoed */
	ldns_pkt_free(r);

	/* Unknown key: NOTAUTH, BADKEY, unsigned (MAC size 0). */
	sign(p, "nobody.", SECRET_B64, "hmac-sha256.");
	r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTAUTH);
	assert_int_equal(tsig_error(r), TSIG_BADKEY);
	assert_int_equal(tsig_mac_len(r), 0);
	ldns_pkt_free(r);
	ldns_pkt_free(p);

	/* A known key with another algorithm: BADKEY. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "lego-key.", SECRET_B64, "hmac-sha512.");
	r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTAUTH);
	assert_int_equal(tsig_error(r), TSIG_BADKEY);
	ldns_pkt_free(r);
	ldns_pkt_free(p);

	/* The wrong secret: BADSIG, unsigned. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "lego-key.", OTHER_B64, "hmac-sha256.");
	r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTAUTH);
	assert_int_equal(tsig_error(r), TSIG_BADSIG);
	assert_int_equal(tsig_mac_len(r), 0);
	ldns_pkt_free(r);
	ldns_pkt_free(p);
	assert_int_equal(stored(NAME), 0);

	/* The key name matches whatever its case. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "LEGO-Key.", SECRET_B64, "hmac-sha256.");
	r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ldns_pkt_free(r);
	ldns_pkt_free(p);
}

/* The client's clock an hour off: BADTIME, signed, with the client's time and ours in Other Data. */
static void test_badtime(void **state)
{
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "lego-key.", SECRET_B64, "hmac-sha256.");
	int64_t real = env.now;
	env.now = real + 3600;
	ldns_pkt *r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTAUTH);
	assert_int_equal(tsig_error(r), TSIG_BADTIME);
	assert_signed(r, p, "lego-key.", SECRET_B64);
	const ldns_rr *t = ldns_pkt_tsig(r), *qt = ldns_pkt_tsig(p);
	assert_int_equal(ldns_rdf_compare(ldns_rr_rdf(t, 1), ldns_rr_rdf(qt, 1)), 0);   /* the client's time */
	const ldns_rdf *other = ldns_rr_rdf(t, 6);
	assert_int_equal(ldns_rdf_size(other), 8);
	const uint8_t *o = ldns_rdf_data(other);
	uint64_t server = 0;
	for (int i = 2; i < 8; i++)
		server = server << 8 | o[i];
	assert_int_equal(server, (uint64_t)env.now);
	ldns_pkt_free(r);
	assert_int_equal(stored(NAME), 0);

	/* Inside the fudge it passes; the configured fudge caps the client's 300 s. */
	env.now = real + 200;
	r = send_pkt(p);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ldns_pkt_free(r);
	cfg.update_fudge = 60;
	env.now = real - 100;
	r = send_pkt(p);
	assert_int_equal(tsig_error(r), TSIG_BADTIME);
	ldns_pkt_free(r);
	ldns_pkt_free(p);
	env.now = real;
}

/* Other algorithms, signed by ldns: HMAC-MD5 (only because the key names it) and HMAC-SHA512. */
static void test_other_algorithms(void **state)
{
	static const struct {
		const char *key, *alg;
	} k[] = { { "md5-key.", "hmac-md5.sig-alg.reg.int." }, { "sha512-key.", "hmac-sha512." } };
	for (size_t i = 0; i < 2; i++) {
		ldns_pkt *p = upd_new(ZONE);
		push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
		sign(p, k[i].key, SECRET_B64, k[i].alg);
		ldns_pkt *r = send_pkt(p);
		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		assert_signed(r, p, k[i].key, SECRET_B64);
		ldns_pkt_free(r);
		ldns_pkt_free(p);
	}
	assert_int_equal(stored(NAME), 1);
}

static void test_zone_section(void **state)
{
	ldns_pkt *p = upd_new("not-served.test");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTAUTH);
	p = upd_new("mail.example.test");                            /* inside a zone, not its apex */
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTAUTH);
	p = upd_new(ZONE);
	ldns_rr_set_class(ldns_rr_list_rr(ldns_pkt_question(p), 0), LDNS_RR_CLASS_CH);
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTAUTH);
	p = upd_new(ZONE);
	ldns_rr_set_type(ldns_rr_list_rr(ldns_pkt_question(p), 0), LDNS_RR_TYPE_A);
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	p = upd_new(ZONE);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr_make("other.test", 0, LDNS_RR_CLASS_IN,
									    LDNS_RR_TYPE_SOA, NULL)));
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	/* Names outside the zone: NOTZONE. */
	p = upd_new(ZONE);
	push(p, UPD, "_acme-challenge.other.test", 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"x\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTZONE);
	p = upd_new(ZONE);
	push(p, PRE, "_acme-challenge.other.test", 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_NOTZONE);
	/* Format errors in the update section. */
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_CH, LDNS_RR_TYPE_TXT, "\"x\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, NULL);   /* ANY with a TTL */
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	p = upd_new(ZONE);
	push(p, UPD, NAME, 0, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_AXFR, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	/* No update at all (prerequisites only): fine. */
	p = upd_new(ZONE);
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
}

static ldns_pkt_rcode prereq(ldns_rr_class cls, ldns_rr_type type, const char *owner, const char *rdata)
{
	ldns_pkt *p = upd_new(ZONE);
	push(p, PRE, owner, 0, cls, type, rdata);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL3 "\"");
	return send_signed(p);
}

static void test_prerequisites(void **state)
{
	assert_int_equal(add_values(NAME, VAL1, NULL), LDNS_RCODE_NOERROR);
	/* RRset exists / does not exist, value independent (nsupdate's prereq yxrrset / nxrrset). */
	assert_int_equal(prereq(LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_TXT, NAME, NULL), LDNS_RCODE_YXRRSET);
	assert_int_equal(prereq(LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, "_acme-challenge.www2.example.test", NULL),
			 LDNS_RCODE_NXRRSET);
	assert_int_equal(prereq(LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_A, "mail.example.test", NULL), LDNS_RCODE_NOERROR);
	assert_int_equal(prereq(LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_MX, "mail.example.test", NULL), LDNS_RCODE_NOERROR);
	/* Name in use / not in use: static data and dynamic values alike. */
	assert_int_equal(prereq(LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_ANY, "mail.example.test", NULL), LDNS_RCODE_YXDOMAIN);
	assert_int_equal(prereq(LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_ANY, NAME, NULL), LDNS_RCODE_YXDOMAIN);
	assert_int_equal(prereq(LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, "nothere.example.test", NULL), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(prereq(LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, "b.ent.example.test", NULL),
			 LDNS_RCODE_NXDOMAIN);                              /* an empty non-terminal holds nothing */
	assert_int_equal(prereq(LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY, "mail.example.test", NULL), LDNS_RCODE_NOERROR);
	/* Value dependent: the whole RRset must match, in any order, names in any case. */
	assert_int_equal(prereq(LDNS_RR_CLASS_IN, LDNS_RR_TYPE_A, "mail.example.test", "192.0.2.25"), LDNS_RCODE_NOERROR);
	assert_int_equal(prereq(LDNS_RR_CLASS_IN, LDNS_RR_TYPE_A, "mail.example.test", "192.0.2.26"), LDNS_RCODE_NXRRSET);
	assert_int_equal(prereq(LDNS_RR_CLASS_IN, LDNS_RR_TYPE_CNAME, "www.example.test", "WEB.example.TEST."),
			 LDNS_RCODE_NOERROR);
	/* VAL3 was added by each passing prerequisite above: the TXT RRset is now VAL3 and VAL1. */
	ldns_pkt *p = upd_new(ZONE);
	push(p, PRE, NAME, 0, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	push(p, PRE, NAME, 0, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL3 "\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_NOERROR);
	p = upd_new(ZONE);
	push(p, PRE, NAME, 0, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");       /* a subset is not equal */
	assert_int_equal(send_signed(p), LDNS_RCODE_NXRRSET);
	/* A prerequisite with a TTL, or ANY with data: FORMERR. */
	p = upd_new(ZONE);
	push(p, PRE, NAME, 5, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, NULL);
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	p = upd_new(ZONE);
	push(p, PRE, NAME, 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_TXT, "\"x\"");
	assert_int_equal(send_signed(p), LDNS_RCODE_FORMERR);
	/* A failed prerequisite changes nothing. */
	assert_int_equal(prereq(LDNS_RR_CLASS_NONE, LDNS_RR_TYPE_TXT, NAME, NULL), LDNS_RCODE_YXRRSET);
	assert_int_equal(name_values(NAME), 2);
	assert_true(name_has(NAME, VAL1));
}

/* Truncated, cut and corrupted messages: an answer or nothing, never a crash, never a change. */
static void test_malformed(void **state)
{
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "lego-key.", SECRET_B64, "hmac-sha256.");
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);            /* exact size: ASan sees any read past it */
		memcpy(copy, wire, cut);
		size_t n = handle_wire(copy, cut);
		if (cut >= 12)
			assert_true(n >= 12 && (out[3] & 0xF) == LDNS_RCODE_FORMERR);
		else
			assert_int_equal(n, 0);
		free(copy);
	}
	srand(7);
	for (int i = 0; i < 3000; i++) {
		uint8_t *copy = malloc(len);
		memcpy(copy, wire, len);
		for (int j = 0; j < 1 + i % 4; j++)
			copy[12 + (size_t)rand() % (len - 12)] = (uint8_t)rand();
		handle_wire(copy, len);
		free(copy);
	}
	/* The MAC covers everything but the case of the key and algorithm names (canonical form, RFC 8945
	 * 4.3.3): a flip there is still the signed message. Nothing else can have been written. */
	struct store_value v[4];
	int n = store_name_values_get(st, NAME, v, 4);
	assert_true(n == 0 || (n == 1 && strcmp(v[0].value, VAL1) == 0));
	/* A response (QR set) gets nothing. */
	wire[2] |= 0x80;
	assert_int_equal(handle_wire(wire, len), 0);
	wire[2] &= 0x7f;
	/* The whole message still works. */
	assert_true(handle_wire(wire, len) > 0);
	assert_int_equal(out[3] & 0xF, LDNS_RCODE_NOERROR);
	free(wire);
}

/* A TSIG that is not the last record, or a MAC cut short, is malformed; a shorter but valid MAC is BADTRUNC. */
static void test_tsig_placement_and_truncation(void **state)
{
	ldns_pkt *p = upd_new(ZONE);
	push(p, UPD, NAME, 60, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT, "\"" VAL1 "\"");
	sign(p, "lego-key.", SECRET_B64, "hmac-sha256.");
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	struct tsig_rr rr;
	assert_int_equal(tsig_find(wire, len, &rr), 1);
	assert_int_equal(rr.mac_len, 32);

	/* The MAC truncated to 16 bytes (RFC 8945 5.2.2.1 allows it; we take only full MACs). */
	uint8_t t[1024];
	size_t mac_at = (size_t)(rr.mac - wire), rdlen_at = rr.offset + wire_name_len(rr.key) + 8;
	memcpy(t, wire, mac_at);
	memcpy(t + mac_at, wire + mac_at, 16);
	memcpy(t + mac_at + 16, wire + mac_at + 32, len - mac_at - 32);
	size_t tlen = len - 16;
	t[mac_at - 1] = 16;
	uint16_t rdlen = (uint16_t)((wire[rdlen_at] << 8 | wire[rdlen_at + 1]) - 16);
	t[rdlen_at] = (uint8_t)(rdlen >> 8);
	t[rdlen_at + 1] = (uint8_t)rdlen;
	assert_true(handle_wire(t, tlen) > 0);
	ldns_pkt *r = NULL;
	assert_int_equal(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTAUTH);
	assert_int_equal(tsig_error(r), TSIG_BADTRUNC);
	ldns_pkt_free(r);
	/* Below 10 bytes (and below half the hash): FORMERR, unsigned. */
	t[mac_at - 1] = 8;
	memmove(t + mac_at + 8, t + mac_at + 16, tlen - mac_at - 16);
	tlen -= 8;
	rdlen -= 8;
	t[rdlen_at] = (uint8_t)(rdlen >> 8);
	t[rdlen_at + 1] = (uint8_t)rdlen;
	assert_true(handle_wire(t, tlen) > 0);
	assert_int_equal(out[3] & 0xF, LDNS_RCODE_FORMERR);

	/* A record after the TSIG: FORMERR. */
	memcpy(t, wire, len);
	static const uint8_t extra[] = { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 };   /* ". A 1.2.3.4" */
	memcpy(t + len, extra, sizeof(extra));
	t[11]++;
	assert_true(handle_wire(t, len + sizeof(extra)) > 0);
	assert_int_equal(out[3] & 0xF, LDNS_RCODE_FORMERR);
	/* Trailing bytes after the TSIG: FORMERR. */
	memcpy(t, wire, len);
	t[len] = 0;
	assert_true(handle_wire(t, len + 1) > 0);
	assert_int_equal(out[3] & 0xF, LDNS_RCODE_FORMERR);
	free(wire);
	assert_int_equal(stored(NAME), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, each_setup, each_teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_and_delete),
		T(test_values_kept_and_age),
		T(test_account_subdomains),
		T(test_policy_refusals_are_atomic),
		T(test_unsigned_and_tsig_errors),
		T(test_badtime),
		T(test_other_algorithms),
		T(test_zone_section),
		T(test_prerequisites),
		T(test_malformed),
		T(test_tsig_placement_and_truncation),
	};
#undef T
	return cmocka_run_group_tests(tests, setup, teardown);
}

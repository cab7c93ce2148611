/* TSIG: algorithm names, keys from options and BIND key files (errors with file:line, never the secret), and
 * signatures checked both ways against ldns's own TSIG code, plus every way an answer's TSIG can be wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tsig.h"

#include <ldns/ldns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "dW5pdC10ZXN0LXNlY3JldC1vZi0zMi1ieXRlcyEhISE="
#define SECRET2 "YW5vdGhlci1zZWNyZXQtMzItYnl0ZXMtbG9uZy4uLi4="

static char kfile[4096];

/* Writes text to a fresh temporary file; its name in kfile. */
static const char *key_file(const char *text)
{
	const char *t = getenv("TMPDIR");
	snprintf(kfile, sizeof kfile, "%s/test_tsig.XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(kfile);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return kfile;
}

static struct tsig_key *load(const char *text, const char *name, char *err, size_t errlen)
{
	struct tsig_key *k = tsig_key_file(key_file(text), name, err, errlen);
	unlink(kfile);
	return k;
}

/* ---- names ---- */

static void test_alg_names(void **state)
{
	static const struct {
		const char *in;
		enum tsig_alg alg;
	} good[] = {
		{ "hmac-sha256", TSIG_HMAC_SHA256 }, { "HMAC-SHA256", TSIG_HMAC_SHA256 }, { "hmac-sha256.", TSIG_HMAC_SHA256 },
		{ "hmac-sha1", TSIG_HMAC_SHA1 }, { "hmac-sha224", TSIG_HMAC_SHA224 }, { "Hmac-Sha384.", TSIG_HMAC_SHA384 },
		{ "hmac-sha512", TSIG_HMAC_SHA512 }, { "hmac-md5", TSIG_HMAC_MD5 },
		{ "hmac-md5.sig-alg.reg.int", TSIG_HMAC_MD5 }, { "HMAC-MD5.SIG-ALG.REG.INT.", TSIG_HMAC_MD5 },
	};
	static const char *const bad[] = { "", ".", "sha256", "hmac-sha3", "hmac-sha256..", "md5",
					   "hmac-sha256 " };
	enum tsig_alg a;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(tsig_alg_parse(good[i].in, &a), 0);
		assert_int_equal(a, good[i].alg);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(tsig_alg_parse(bad[i], &a), -1);
	assert_int_equal(tsig_alg_parse(NULL, &a), -1);
	assert_string_equal(tsig_alg_name(TSIG_HMAC_SHA384), "hmac-sha384");
}

static void test_key_new(void **state)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("Acme-Key.", NULL, SECRET, err, sizeof err);

	assert_non_null(k);
	assert_string_equal(tsig_key_name(k), "acme-key");
	assert_int_equal(tsig_key_alg(k), TSIG_HMAC_SHA256);      /* the default */
	tsig_key_free(k);
	k = tsig_key_new("k", "hmac-md5", SECRET, err, sizeof err);
	assert_non_null(k);
	assert_int_equal(tsig_key_alg(k), TSIG_HMAC_MD5);         /* md5 only when named */
	tsig_key_free(k);

	assert_null(tsig_key_new("", NULL, SECRET, err, sizeof err));
	assert_non_null(strstr(err, "not a DNS name"));
	assert_null(tsig_key_new("a..b", NULL, SECRET, err, sizeof err));
	assert_null(tsig_key_new("k", "hmac-sha3", SECRET, err, sizeof err));
	assert_non_null(strstr(err, "unknown"));
	assert_null(tsig_key_new("k", NULL, "not*base64!", err, sizeof err));
	assert_non_null(strstr(err, "not base64"));
	assert_null(strstr(err, "not*base64!"));
	assert_null(tsig_key_new("k", NULL, "", err, sizeof err));
	assert_null(tsig_key_new("k", NULL, NULL, err, sizeof err));
	tsig_key_free(NULL);
}

/* ---- BIND key files ---- */

static void test_keyfile_good(void **state)
{
	char err[256] = "";
	/* what tsig-keygen writes */
	struct tsig_key *k = load("key \"acme-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n", NULL,
				  err, sizeof err);
	assert_non_null(k);
	assert_string_equal(tsig_key_name(k), "acme-key");
	assert_int_equal(tsig_key_alg(k), TSIG_HMAC_SHA256);
	tsig_key_free(k);

	/* every comment style, an unquoted name, clauses in the other order, all on few lines */
	k = load("# made by hand\n// another comment\n/* a block\n   over lines */ key upd.example. { secret \""
		 SECRET "\"; # trailing\n algorithm HMAC-SHA512; /* inline */ };\n",
		 NULL, err, sizeof err);
	assert_non_null(k);
	assert_string_equal(tsig_key_name(k), "upd.example");
	assert_int_equal(tsig_key_alg(k), TSIG_HMAC_SHA512);
	tsig_key_free(k);

	/* several keys: the one named is taken */
	const char *two = "key \"one\" { algorithm hmac-sha1; secret \"" SECRET "\"; };\n"
			  "key \"two\" { algorithm hmac-sha384; secret \"" SECRET2 "\"; };\n";
	k = load(two, "TWO.", err, sizeof err);
	assert_non_null(k);
	assert_string_equal(tsig_key_name(k), "two");
	assert_int_equal(tsig_key_alg(k), TSIG_HMAC_SHA384);
	tsig_key_free(k);
	assert_null(load(two, NULL, err, sizeof err));
	assert_non_null(strstr(err, "2 keys"));
	assert_null(load(two, "three", err, sizeof err));
	assert_non_null(strstr(err, "no key named \"three\" (2 keys in the file)"));
}

/* The file parses with an error at line; the message names the file and line, never the secret. */
static void keyfile_error(const char *text, int line, const char *why)
{
	char err[512] = "", want[4200];
	struct tsig_key *k = tsig_key_file(key_file(text), NULL, err, sizeof err);

	assert_null(k);
	snprintf(want, sizeof want, "%s:%d: ", kfile, line);
	if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, why))
		fail_msg("for %s: expected \"%s...%s\", got \"%s\"", text, want, why, err);
	assert_null(strstr(err, SECRET));
	assert_null(strstr(err, "dW5pdC10"));
	unlink(kfile);
}

static void test_keyfile_errors(void **state)
{
	char err[256];

	keyfile_error("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\"\n};\n", 3,
		      "expected ';' after the secret");
	keyfile_error("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n}\n", 4,
		      "expected ';' after the key block's '}'");
	keyfile_error("key \"k\" {\n algorithm hmac-sha256;\n\n primary 1.2.3.4;\n};\n", 4,
		      "expected algorithm or secret, found \"primary\"");
	keyfile_error("\n\nkey \"k\" {\n algorithm hmac-sha256;\n};\n", 3, "key \"k\" has no secret");
	keyfile_error("key \"k\" {\n secret \"" SECRET "\";\n};\n", 1, "key \"k\" has no algorithm");
	keyfile_error("options { };\n", 1, "expected a key statement");
	keyfile_error("key \"k\" { algorithm hmac-sha256;\n/* not closed\n\n", 2, "unterminated /* comment");
	keyfile_error("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\n\";};", 1, "unterminated quoted string");
	keyfile_error("key \"k\" { algorithm hmac-sha256; secret \"a\\\"b\"; };", 1, "backslash");
	keyfile_error("key \"k\" { algorithm hmac-sha256; algorithm hmac-sha1; secret \"" SECRET "\"; };", 1,
		      "algorithm given twice");
	keyfile_error("key \"k\" {\n algorithm hmac-sha3;\n secret \"" SECRET "\";\n};\n", 1, "hmac-sha3");
	keyfile_error("key \"k\" {\n algorithm hmac-sha256;\n secret \"!!notbase64!!\";\n};\n", 1, "not base64");
	keyfile_error("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\";", 1, "not closed");
	keyfile_error("key { };", 1, "key: expected the key's name");
	keyfile_error("key \"k\"\n algorithm hmac-sha256;", 1, "expected '{' after the key's name");

	assert_null(load("# only a comment\n", NULL, err, sizeof err));
	assert_non_null(strstr(err, "no key statement"));
	assert_null(tsig_key_file("/nonexistent/acme.key", NULL, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/acme.key: No such file"));
}

/* ---- signing and checking ---- */

/* A query for example.test SOA as wire (free). */
static uint8_t *query_wire(size_t *len, uint16_t id)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str("example.test."), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	uint8_t *w = NULL;

	ldns_pkt_set_id(q, id);
	assert_int_equal(ldns_pkt2wire(&w, q, len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return w;
}

/* Signs a query with our code, checks it with ldns_pkt_tsig_verify. */
static void sign_ours_check_ldns(const char *alg, const char *ldns_alg)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("acme-key", alg, SECRET, err, sizeof err);
	size_t len, outlen, mac_len;
	uint8_t *w = query_wire(&len, 4242), out[1024], mac[TSIG_MAC_MAX];
	struct tsig_params p = { .time = (uint64_t)time(NULL), .fudge = 300 };
	ldns_pkt *pkt = NULL;

	assert_non_null(k);
	assert_int_equal(tsig_sign(k, w, len, &p, out, sizeof out, &outlen, mac, &mac_len), 0);
	assert_int_equal(ldns_wire2pkt(&pkt, out, outlen), LDNS_STATUS_OK);
	assert_non_null(ldns_pkt_tsig(pkt));
	assert_true(ldns_pkt_tsig_verify(pkt, out, outlen, "acme-key", SECRET, NULL));
	assert_false(ldns_pkt_tsig_verify(pkt, out, outlen, "acme-key", SECRET2, NULL));
	ldns_rdf *a = ldns_rr_rdf(ldns_pkt_tsig(pkt), 0);
	char *s = ldns_rdf2str(a);
	assert_string_equal(s, ldns_alg);
	free(s);
	ldns_pkt_free(pkt);
	/* too small a buffer is an error, not an overflow */
	assert_int_equal(tsig_sign(k, w, len, &p, out, outlen - 1, &outlen, mac, &mac_len), -1);
	free(w);
	tsig_key_free(k);
}

static void test_sign_checked_by_ldns(void **state)
{
	sign_ours_check_ldns("hmac-sha256", "hmac-sha256.");
	sign_ours_check_ldns("hmac-sha1", "hmac-sha1.");
	sign_ours_check_ldns("hmac-sha512", "hmac-sha512.");
	sign_ours_check_ldns("hmac-md5", "hmac-md5.sig-alg.reg.int.");
}

/* An answer to the signed query w, signed by ldns with the query's MAC. */
static uint8_t *ldns_answer(const char *ldns_alg, const char *secret, const uint8_t *qmac, size_t qmac_len,
			    uint16_t id, size_t *len)
{
	ldns_pkt *a = ldns_pkt_query_new(ldns_dname_new_frm_str("example.test."), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	uint8_t buf[2 + TSIG_MAC_MAX], *w = NULL;
	ldns_rdf *m;

	ldns_pkt_set_id(a, id);
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_aa(a, true);
	buf[0] = (uint8_t)(qmac_len >> 8);
	buf[1] = (uint8_t)qmac_len;
	memcpy(buf + 2, qmac, qmac_len);
	m = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, qmac_len + 2, buf);
	assert_int_equal(ldns_pkt_tsig_sign(a, "acme-key", secret, 300, ldns_alg, m), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&w, a, len), LDNS_STATUS_OK);
	ldns_rdf_deep_free(m);
	ldns_pkt_free(a);
	return w;
}

static void sign_ldns_check_ours(const char *alg, const char *ldns_alg)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("acme-key", alg, SECRET, err, sizeof err);
	size_t len, outlen, mac_len, alen;
	uint8_t *w = query_wire(&len, 777), out[1024], mac[TSIG_MAC_MAX];
	struct tsig_params p = { .time = (uint64_t)time(NULL), .fudge = 300 };
	struct tsig_result r;

	assert_int_equal(tsig_sign(k, w, len, &p, out, sizeof out, &outlen, mac, &mac_len), 0);
	uint8_t *a = ldns_answer(ldns_alg, SECRET, mac, mac_len, 777, &alen);
	assert_true(tsig_verify(k, a, alen, mac, mac_len, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_VERIFIED);
	/* bound to the request: another request MAC does not verify */
	mac[0] ^= 1;
	assert_false(tsig_verify(k, a, alen, mac, mac_len, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_BAD_MAC);
	mac[0] ^= 1;
	/* a flipped bit in the answer */
	a[3] ^= 0x01;
	assert_false(tsig_verify(k, a, alen, mac, mac_len, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_BAD_MAC);
	a[3] ^= 0x01;
	/* our clock an hour later than the signature */
	assert_false(tsig_verify(k, a, alen, mac, mac_len, (uint64_t)time(NULL) + 3600, &r));
	assert_int_equal(r.verdict, TSIG_BAD_TIME);
	free(a);
	/* the server signed with another secret */
	a = ldns_answer(ldns_alg, SECRET2, mac, mac_len, 777, &alen);
	assert_false(tsig_verify(k, a, alen, mac, mac_len, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_BAD_MAC);
	free(a);
	free(w);
	tsig_key_free(k);
}

static void test_verify_ldns_answers(void **state)
{
	sign_ldns_check_ours("hmac-sha256", "hmac-sha256.");
	sign_ldns_check_ours("hmac-sha512", "hmac-sha512.");
	sign_ldns_check_ours("hmac-sha1", "hmac-sha1.");
	sign_ldns_check_ours("hmac-md5", "hmac-md5.sig-alg.reg.int.");
}

/* SHA-224 and SHA-384, which ldns lacks: our own answer signing, the MAC lengths, and that the two keys' MACs
 * differ (the digest really is the one named). */
static void test_sha224_sha384(void **state)
{
	static const struct {
		const char *alg;
		size_t mac_len;
	} algs[] = { { "hmac-sha224", 28 }, { "hmac-sha384", 48 }, { "hmac-sha256", 32 }, { "hmac-sha512", 64 },
		     { "hmac-sha1", 20 }, { "hmac-md5", 16 } };
	char err[256];

	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		struct tsig_key *k = tsig_key_new("acme-key", algs[i].alg, SECRET, err, sizeof err);
		size_t len, qlen, alen, qmac_len, amac_len;
		uint8_t *w = query_wire(&len, 9), q[1024], a[1024], qmac[TSIG_MAC_MAX], amac[TSIG_MAC_MAX];
		uint64_t now = (uint64_t)time(NULL);
		struct tsig_params qp = { .time = now, .fudge = 300 };
		struct tsig_result r;

		assert_int_equal(tsig_sign(k, w, len, &qp, q, sizeof q, &qlen, qmac, &qmac_len), 0);
		assert_int_equal(qmac_len, algs[i].mac_len);
		w[2] |= 0x80;   /* the answer: QR set */
		struct tsig_params ap = { .time = now, .fudge = 300, .request_mac = qmac, .request_mac_len = qmac_len };
		assert_int_equal(tsig_sign(k, w, len, &ap, a, sizeof a, &alen, amac, &amac_len), 0);
		assert_true(tsig_verify(k, a, alen, qmac, qmac_len, now, &r));
		tsig_key_free(k);
		free(w);
	}
}

/* Answers with the TSIG error field set, as servers send them. */
static void test_server_errors(void **state)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("acme-key", NULL, SECRET, err, sizeof err);
	size_t len, qlen, alen, qmac_len, amac_len;
	uint8_t *w = query_wire(&len, 55), q[1024], a[1024], qmac[TSIG_MAC_MAX], amac[TSIG_MAC_MAX];
	uint64_t now = (uint64_t)time(NULL);
	struct tsig_params qp = { .time = now, .fudge = 300 };
	struct tsig_result r;
	char buf[32];

	assert_int_equal(tsig_sign(k, w, len, &qp, q, sizeof q, &qlen, qmac, &qmac_len), 0);
	w[2] |= 0x80;
	w[3] = (w[3] & 0xf0) | LDNS_RCODE_NOTAUTH;
	/* BADTIME is signed and carries the server's time in the other data */
	struct tsig_params ap = { .time = now, .fudge = 300, .error = TSIG_BADTIME, .other_time = now + 7200,
				  .request_mac = qmac, .request_mac_len = qmac_len };
	assert_int_equal(tsig_sign(k, w, len, &ap, a, sizeof a, &alen, amac, &amac_len), 0);
	assert_false(tsig_verify(k, a, alen, qmac, qmac_len, now, &r));
	assert_int_equal(r.verdict, TSIG_SERVER_ERROR);
	assert_int_equal(r.error, TSIG_BADTIME);
	assert_true(r.mac_ok);
	assert_true(r.other_time == now + 7200);
	assert_true(r.time_signed == now);

	/* a wrong request MAC: still the server's error, but not verified */
	qmac[1] ^= 0x40;
	assert_false(tsig_verify(k, a, alen, qmac, qmac_len, now, &r));
	assert_int_equal(r.verdict, TSIG_SERVER_ERROR);
	assert_false(r.mac_ok);

	assert_string_equal(tsig_error_name(TSIG_BADSIG, buf, sizeof buf), "BADSIG");
	assert_string_equal(tsig_error_name(TSIG_BADKEY, buf, sizeof buf), "BADKEY");
	assert_string_equal(tsig_error_name(TSIG_BADTIME, buf, sizeof buf), "BADTIME");
	assert_string_equal(tsig_error_name(99, buf, sizeof buf), "TSIG error 99");
	free(w);
	tsig_key_free(k);
}

static void test_unsigned_other_malformed(void **state)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("acme-key", NULL, SECRET, err, sizeof err);
	struct tsig_key *other = tsig_key_new("other-key", NULL, SECRET, err, sizeof err);
	struct tsig_key *sha1 = tsig_key_new("acme-key", "hmac-sha1", SECRET, err, sizeof err);
	size_t len, outlen, mac_len;
	uint8_t *w = query_wire(&len, 1), out[1024], mac[TSIG_MAC_MAX];
	struct tsig_params p = { .time = (uint64_t)time(NULL), .fudge = 300 };
	struct tsig_result r;

	assert_false(tsig_verify(k, w, len, NULL, 0, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_UNSIGNED);
	assert_int_equal(tsig_sign(other, w, len, &p, out, sizeof out, &outlen, mac, &mac_len), 0);
	assert_false(tsig_verify(k, out, outlen, NULL, 0, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_OTHER_KEY);
	assert_int_equal(tsig_sign(sha1, w, len, &p, out, sizeof out, &outlen, mac, &mac_len), 0);
	assert_false(tsig_verify(k, out, outlen, NULL, 0, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_OTHER_KEY);
	/* cut anywhere: never read past the end */
	assert_int_equal(tsig_sign(k, w, len, &p, out, sizeof out, &outlen, mac, &mac_len), 0);
	for (size_t cut = 0; cut < outlen; cut++) {
		assert_false(tsig_verify(k, out, cut, NULL, 0, (uint64_t)time(NULL), &r));
		assert_true(r.verdict == TSIG_MALFORMED || r.verdict == TSIG_UNSIGNED);
	}
	/* bytes after the TSIG RR */
	out[outlen] = 0;
	assert_false(tsig_verify(k, out, outlen + 1, NULL, 0, (uint64_t)time(NULL), &r));
	assert_int_equal(r.verdict, TSIG_MALFORMED);
	free(w);
	tsig_key_free(k);
	tsig_key_free(other);
	tsig_key_free(sha1);
}

/* ---- the server's side ---- */

/* A response to the request w (len bytes, not signed): w with QR set, then its TSIG RR. */
static size_t response(const uint8_t *w, size_t len, const struct tsig_response *r, uint8_t *out, size_t cap)
{
	memcpy(out, w, len);
	out[2] |= 0x80;
	return tsig_response_append(out, len, cap, r);
}

/* Both sides together: a request the client signs is found and checked by the server, and the client checks
 * the server's responses: signed, BADTIME with the server's time, and an unsigned BADKEY. */
static void test_server_side(void **state)
{
	char err[256];
	struct tsig_key *k = tsig_key_new("acme-key", NULL, SECRET, err, sizeof err);
	struct tsig_key *sha1 = tsig_key_new("acme-key", "hmac-sha1", SECRET, err, sizeof err);
	struct tsig_key *wrong = tsig_key_new("Acme-Key.", NULL, SECRET2, err, sizeof err);
	struct tsig_key *other = tsig_key_new("other-key", NULL, SECRET, err, sizeof err);
	size_t len, qlen, qmac_len, n;
	uint8_t *w = query_wire(&len, 31), q[1024], a[1024], qmac[TSIG_MAC_MAX];
	uint64_t now = (uint64_t)time(NULL);
	struct tsig_params qp = { .time = now, .fudge = 300 };
	struct tsig_rr rr;
	struct tsig_result res;

	assert_int_equal(tsig_sign(k, w, len, &qp, q, sizeof q, &qlen, qmac, &qmac_len), 0);
	assert_int_equal(tsig_find(w, len, &rr), 0);
	assert_int_equal(tsig_find(q, qlen, &rr), 1);
	assert_int_equal(rr.offset, len);
	assert_true(tsig_request_names(&rr, k));
	assert_true(tsig_request_names(&rr, wrong));        /* names compare in any case */
	assert_false(tsig_request_names(&rr, other));
	assert_int_equal(tsig_request_verify(q, &rr, k, (int64_t)now, 300), TSIG_NOERROR);
	assert_int_equal(tsig_request_verify(q, &rr, sha1, (int64_t)now, 300), TSIG_BADKEY);
	assert_int_equal(tsig_request_verify(q, &rr, wrong, (int64_t)now, 300), TSIG_BADSIG);
	assert_int_equal(tsig_request_verify(q, &rr, k, (int64_t)now - 301, 300), TSIG_BADTIME);
	assert_int_equal(tsig_request_verify(q, &rr, k, (int64_t)now + 200, 100), TSIG_BADTIME);  /* ours is less */
	assert_int_equal(tsig_request_verify(q, &rr, k, (int64_t)now + 200, 3600), TSIG_NOERROR);

	struct tsig_response r = { .key = k, .req = &rr, .time_signed = now, .fudge = 300 };
	n = response(w, len, &r, a, sizeof a);
	assert_true(n > len);
	assert_true(tsig_verify(k, a, n, qmac, qmac_len, now, &res));
	assert_int_equal(response(w, len, &r, a, n - 1), 0);     /* does not fit: nothing */

	r = (struct tsig_response){ .key = k, .req = &rr, .error = TSIG_BADTIME, .time_signed = now, .fudge = 300,
				    .other_time = now + 7200 };
	n = response(w, len, &r, a, sizeof a);
	assert_false(tsig_verify(k, a, n, qmac, qmac_len, now, &res));
	assert_int_equal(res.verdict, TSIG_SERVER_ERROR);
	assert_int_equal(res.error, TSIG_BADTIME);
	assert_true(res.mac_ok);
	assert_true(res.other_time == now + 7200);

	r = (struct tsig_response){ .req = &rr, .error = TSIG_BADKEY, .time_signed = now, .fudge = 300 };
	n = response(w, len, &r, a, sizeof a);
	assert_false(tsig_verify(k, a, n, qmac, qmac_len, now, &res));
	assert_int_equal(res.verdict, TSIG_SERVER_ERROR);
	assert_int_equal(res.error, TSIG_BADKEY);
	assert_false(res.mac_ok);
	assert_int_equal(tsig_find(a, n, &rr), 1);
	assert_int_equal(rr.mac_len, 0);
	free(w);
	tsig_key_free(k);
	tsig_key_free(sha1);
	tsig_key_free(wrong);
	tsig_key_free(other);
}

/* Names a reader must not follow: every one makes the message malformed, none is read past its end. */
static void test_find_hostile_names(void **state)
{
	static const struct {
		const char *name;
		size_t len;
	} bad[] = {
		{ "\300\014", 2 },                  /* a pointer to itself */
		{ "\300\020", 2 },                  /* a forward pointer */
		{ "\001a\300\014", 4 },             /* a label, then a pointer back to the name's own start */
		{ "\300\377", 2 },                  /* past the end */
		{ "\300", 1 },                      /* a pointer cut in half */
		{ "\100a", 2 },                     /* an extended label type */
		{ "\005ab", 3 },                    /* a label cut short */
	};
	uint8_t m[600] = { 0, 1, 0, 0, 0, 1 };      /* ID 1, one question */
	struct tsig_rr rr;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(m + 12, bad[i].name, bad[i].len);
		uint8_t *exact = malloc(12 + bad[i].len + 4);   /* exact size: ASan sees any read past it */
		memcpy(exact, m, 12);
		memcpy(exact + 12, bad[i].name, bad[i].len);
		memset(exact + 12 + bad[i].len, 0, 4);
		assert_int_equal(tsig_find(exact, 12 + bad[i].len + 4, &rr), -1);
		free(exact);
	}
	/* 128 labels of one byte: 257 bytes, more than a name may have */
	for (size_t i = 0; i < 128; i++)
		memcpy(m + 12 + 2 * i, "\001a", 2);
	memset(m + 12 + 256, 0, 5);
	assert_int_equal(tsig_find(m, 12 + 257 + 4, &rr), -1);
	/* 127 of them fit */
	memset(m + 12 + 254, 0, 5);
	assert_int_equal(tsig_find(m, 12 + 255 + 4, &rr), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_key_new),
		cmocka_unit_test(test_keyfile_good),
		cmocka_unit_test(test_keyfile_errors),
		cmocka_unit_test(test_sign_checked_by_ldns),
		cmocka_unit_test(test_verify_ldns_answers),
		cmocka_unit_test(test_sha224_sha384),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_unsigned_other_malformed),
		cmocka_unit_test(test_server_side),
		cmocka_unit_test(test_find_hostile_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

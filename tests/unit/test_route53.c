/* The route53 solver's pure parts: SigV4 against AWS's published examples (get-vanilla, the query order example,
 * the derived signing key) and two Route 53 requests cross-checked with Python's hmac/hashlib; the shared
 * credentials file; the TXT merge; the change batch XML; the rrset answer; the choice between public and private
 * twins; option checks that never quote a secret; and the XML reader under it. The API itself is exercised
 * against tests/providers/route53_fake.py by tests/integration/route53.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"
#include "log.h"
#include "route53.h"
#include "sigv4.h"
#include "solver.h"
#include "txtset.h"
#include "xml.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EX_KEY_ID "AKIDEXAMPLE"
#define EX_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"
#define Q(v) "\"" v "\""

/* ---- SigV4 ---- */

static struct sigv4_request vanilla(const char *query)
{
	return (struct sigv4_request){ .method = "GET", .host = "example.amazonaws.com", .path = "/", .query = query,
				       .amz_date = "20150830T123600Z", .region = "us-east-1", .service = "service" };
}

/* aws-sig-v4-test-suite "get-vanilla", the example of AWS's SigV4 documentation. */
static void test_sigv4_get_vanilla(void **state)
{
	struct sigv4_request r = vanilla(NULL);
	char sts[512], auth[512];
	char *canon = sigv4_canonical_request(&r);

	assert_non_null(canon);
	assert_string_equal(canon, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
				   "host;x-amz-date\n" EMPTY_SHA256);
	free(canon);
	assert_int_equal(sigv4_string_to_sign(&r, sts, sizeof sts), 0);
	assert_string_equal(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
				 "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
	assert_int_equal(sigv4_authorization(&r, EX_KEY_ID, EX_SECRET, auth, sizeof auth), 0);
	assert_string_equal(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
				  "SignedHeaders=host;x-amz-date, "
				  "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

/* "get-vanilla-query-order-key-case": the query is sorted before it is signed. */
static void test_sigv4_query_order(void **state)
{
	struct sigv4_request r = vanilla("Param2=value2&Param1=value1");
	char auth[512];
	char *canon = sigv4_canonical_request(&r);

	assert_non_null(strstr(canon, "\n/\nParam1=value1&Param2=value2\n"));
	free(canon);
	assert_int_equal(sigv4_authorization(&r, EX_KEY_ID, EX_SECRET, auth, sizeof auth), 0);
	assert_non_null(strstr(auth, "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

/* The signing key of AWS's "derive a signing key" example. */
static void test_sigv4_signing_key(void **state)
{
	unsigned char k[32];
	char hex[65];

	assert_int_equal(sigv4_signing_key(EX_SECRET, "20120215", "us-east-1", "iam", k), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

/* Route 53 requests: a POST with a session token, and a GET with a query and a port in Host. The expected
 * signatures were computed with Python's hmac and hashlib from the same inputs. */
static void test_sigv4_route53_requests(void **state)
{
	const char *body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest "
			   "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"></ChangeResourceRecordSetsRequest>";
	struct sigv4_request r = { .method = "POST", .host = "route53.amazonaws.com",
				   .path = "/2013-04-01/hostedzone/Z0123456789ABC/rrset", .payload = body,
				   .payload_len = strlen(body), .amz_date = "20240301T101500Z",
				   .session_token = "FwoGZXIvYXdzEXAMPLETOKEN", .region = "us-east-1", .service = "route53" };
	char auth[512];

	assert_int_equal(sigv4_authorization(&r, EX_KEY_ID, EX_SECRET, auth, sizeof auth), 0);
	assert_string_equal(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/us-east-1/route53/aws4_request, "
				  "SignedHeaders=host;x-amz-date;x-amz-security-token, "
				  "Signature=a77d073a21d953db152c80cf8f41138913d4e5d19b56a8ed31d8f21d4fdcbf84");
	assert_null(strstr(auth, EX_SECRET));

	r = (struct sigv4_request){ .method = "GET", .host = "127.0.0.1:8053", .path = "/2013-04-01/hostedzonesbyname",
				    .query = "maxitems=100&dnsname=_acme-challenge.example.test.",
				    .amz_date = "20240301T101500Z", .region = "us-east-1", .service = "route53" };
	assert_int_equal(sigv4_authorization(&r, EX_KEY_ID, EX_SECRET, auth, sizeof auth), 0);
	assert_non_null(strstr(auth, "Signature=b9e4045bb25cf54c067b43b33d8312f7e1a6f8d7b35351de7c45a76dab53d3ad"));
}

static void test_sigv4_refuses(void **state)
{
	struct sigv4_request r = vanilla(NULL);
	char out[512], small[40];

	assert_int_equal(sigv4_uri_encode("a b/c~d._-*", out, sizeof out), 0);
	assert_string_equal(out, "a%20b%2Fc~d._-%2A");
	assert_int_equal(sigv4_uri_encode("abcdef", small, 4), -1);
	r.path = "/a b";
	assert_null(sigv4_canonical_request(&r));
	r.path = "/a/../b";
	assert_null(sigv4_canonical_request(&r));
	r.path = "/";
	r.query = "a=%4";
	assert_null(sigv4_canonical_request(&r));
	r.query = "a=%41";
	char *c = sigv4_canonical_request(&r);
	assert_non_null(strstr(c, "\na=A\n"));
	free(c);
	r.query = NULL;
	assert_int_equal(sigv4_authorization(&r, "AKID WITH SPACE", EX_SECRET, out, sizeof out), -1);
	assert_int_equal(sigv4_authorization(&r, EX_KEY_ID, EX_SECRET, small, sizeof small), -1);
	sigv4_amz_date(1440938160, out);
	assert_string_equal(out, "20150830T123600Z");
}

/* ---- the shared credentials file ---- */

static void test_credentials_file(void **state)
{
	const char *text = "# a comment\n"
			   "[default]\n"
			   "aws_access_key_id = AKIADEFAULT\n"
			   "aws_secret_access_key=defaultSecret/xyz\n"
			   "\n"
			   "; another comment\n"
			   "[acme]\r\n"
			   "AWS_ACCESS_KEY_ID = ASIAACME\r\n"
			   "aws_secret_access_key = acmeSecret+abc\r\n"
			   "s3 =\n"
			   "  aws_secret_access_key = notThis\n"
			   "aws_session_token = tokenAcme\n"
			   "[other]\n"
			   "aws_access_key_id = AKIAOTHER\n";
	struct route53_credentials c;
	char err[256];

	assert_int_equal(route53_credentials_parse(text, NULL, &c, err, sizeof err), 0);
	assert_string_equal(c.access_key_id, "AKIADEFAULT");
	assert_string_equal(c.secret_access_key, "defaultSecret/xyz");
	assert_null(c.session_token);
	route53_credentials_clear(&c);
	assert_null(c.access_key_id);

	assert_int_equal(route53_credentials_parse(text, "acme", &c, err, sizeof err), 0);
	assert_string_equal(c.access_key_id, "ASIAACME");
	assert_string_equal(c.secret_access_key, "acmeSecret+abc");
	assert_string_equal(c.session_token, "tokenAcme");
	route53_credentials_clear(&c);

	assert_int_equal(route53_credentials_parse(text, "nosuch", &c, err, sizeof err), -1);
	assert_string_equal(err, "no profile [nosuch]");
	assert_int_equal(route53_credentials_parse(text, "other", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "has no aws_access_key_id and aws_secret_access_key"));
	assert_null(strstr(err, "AKIAOTHER"));
	assert_int_equal(route53_credentials_parse("", NULL, &c, err, sizeof err), -1);
}

/* ---- the merge ---- */

static json_t *jarr(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!j)
		fail_msg("bad test JSON %s", text);
	return j;
}

static void assert_json(const json_t *got, const char *want)
{
	json_t *w = jarr(want);
	char *g = json_dumps(got, JSON_COMPACT);
	if (!json_equal(got, w))
		fail_msg("got %s, want %s", g, want);
	free(g);
	json_decref(w);
}

static void test_merge(void **state)
{
	const char *ours[] = { V1, V2 };
	json_t *cur = jarr("[\"\\\"foreign\\\"\", \"\\\"" V1 "\\\"\", \"\\\"a\\\" \\\"b\\\"\"]"), *out;
	bool changed;
	char err[256], q[600];

	assert_int_equal(txtset_merge("route53", NULL, ours, 2, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[\"\\\"" V1 "\\\"\", \"\\\"" V2 "\\\"\"]");
	json_decref(out);

	/* present: V1 is there already, V2 is added once; the others stay in their order */
	assert_int_equal(txtset_merge("route53", cur, ours, 2, true, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[\"\\\"foreign\\\"\", \"\\\"" V1 "\\\"\", \"\\\"a\\\" \\\"b\\\"\", \"\\\"" V2 "\\\"\"]");
	json_decref(out);
	assert_int_equal(txtset_merge("route53", cur, ours, 1, true, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	json_decref(out);

	/* clean-up takes out exactly ours */
	assert_int_equal(txtset_merge("route53", cur, ours, 2, false, &out, &changed, err, sizeof err), 0);
	assert_true(changed);
	assert_json(out, "[\"\\\"foreign\\\"\", \"\\\"a\\\" \\\"b\\\"\"]");
	json_decref(out);
	assert_int_equal(txtset_merge("route53", cur, ours + 1, 1, false, &out, &changed, err, sizeof err), 0);
	assert_false(changed);
	json_decref(out);

	const char *bad[] = { "with\nnewline" };
	assert_int_equal(txtset_merge("route53", cur, bad, 1, true, &out, &changed, err, sizeof err), -1);
	assert_null(out);
	json_decref(cur);

	assert_int_equal(txtset_quote("a\"b\\c", q, sizeof q), 0);
	assert_string_equal(q, "\"a\\\"b\\\\c\"");
	assert_int_equal(txtset_quote("", q, sizeof q), -1);
	assert_int_equal(txtset_quote("caf\xc3\xa9", q, sizeof q), -1);
}

/* ---- the change batch ---- */

static void test_change_xml(void **state)
{
	json_t *old = jarr("[\"\\\"foreign&<x>\\\"\"]"), *nw = jarr("[\"\\\"foreign&<x>\\\"\", \"\\\"" V1 "\\\"\"]");
	json_t *ours = jarr("[\"\\\"" V2 "\\\"\"]");
	struct txtset_change c[] = {
		{ .name = "_acme-challenge.example.test.", .old_ttl = 120, .new_ttl = 120, .old_values = old,
		  .new_values = nw },
		{ .name = "_acme-challenge.www.example.test.", .new_ttl = 60, .new_values = ours },
		{ .name = "_acme-challenge.gone.example.test.", .old_ttl = 60, .old_values = ours },
	};
	char *x = route53_change_xml(c, 3, "acme-dns-cli");
	char err[256];

	assert_non_null(x);
	assert_non_null(strstr(x, "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
				  "<ChangeBatch><Comment>acme-dns-cli</Comment><Changes>"
				  "<Change><Action>DELETE</Action><ResourceRecordSet><Name>_acme-challenge.example.test."
				  "</Name><Type>TXT</Type><TTL>120</TTL><ResourceRecords><ResourceRecord><Value>&quot;"
				  "foreign&amp;&lt;x&gt;&quot;</Value></ResourceRecord></ResourceRecords>"
				  "</ResourceRecordSet></Change>"
				  "<Change><Action>CREATE</Action>"));
	assert_non_null(strstr(x, "<Change><Action>CREATE</Action><ResourceRecordSet><Name>_acme-challenge.www."
				  "example.test.</Name><Type>TXT</Type><TTL>60</TTL>"));
	assert_non_null(strstr(x, "<Change><Action>DELETE</Action><ResourceRecordSet><Name>_acme-challenge.gone."));
	assert_null(strstr(x, "<Action>CREATE</Action><ResourceRecordSet><Name>_acme-challenge.gone."));
	assert_null(strstr(x, "UPSERT"));

	/* what we wrote reads back as we meant it */
	struct xml_node *doc = xml_parse(x, strlen(x), err, sizeof err);
	assert_non_null(doc);
	const struct xml_node *ch = xml_find(doc, "ChangeBatch/Changes/Change");
	assert_string_equal(xml_find_text(ch, "ResourceRecordSet/ResourceRecords/ResourceRecord/Value"),
			    "\"foreign&<x>\"");
	int n = 0;
	for (; ch; ch = xml_next(ch))
		n++;
	assert_int_equal(n, 4);
	xml_free(doc);
	free(x);
	json_decref(old);
	json_decref(nw);
	json_decref(ours);
}

/* ---- answers ---- */

static const char *RRSETS_HEAD = "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"https://route53."
				 "amazonaws.com/doc/2013-04-01/\"><ResourceRecordSets>";
static const char *RRSETS_TAIL = "</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>"
				 "</ListResourceRecordSetsResponse>";

static int rrset(const char *sets, const char *name, json_t **values, uint32_t *ttl, char *err, size_t errlen)
{
	char doc[4096];
	snprintf(doc, sizeof doc, "%s%s%s", RRSETS_HEAD, sets, RRSETS_TAIL);
	return route53_rrset_parse(doc, strlen(doc), name, values, ttl, err, errlen);
}

static void test_rrset_parse(void **state)
{
	json_t *v;
	uint32_t ttl = 0;
	char err[256];

	assert_int_equal(rrset("<ResourceRecordSet><Name>_acme-challenge.example.test.</Name><Type>TXT</Type><TTL>120"
			       "</TTL><ResourceRecords><ResourceRecord><Value>\"foreign\"</Value></ResourceRecord>"
			       "<ResourceRecord><Value>&quot;" V1 "&quot;</Value></ResourceRecord></ResourceRecords>"
			       "</ResourceRecordSet>", "_acme-challenge.Example.test.", &v, &ttl, err, sizeof err), 1);
	assert_int_equal(ttl, 120);
	assert_json(v, "[\"\\\"foreign\\\"\", \"\\\"" V1 "\\\"\"]");
	json_decref(v);

	/* the answer goes on past the name: a TXT set at the next name is not ours, nor another type */
	assert_int_equal(rrset("<ResourceRecordSet><Name>_acme-challenge.example.test.</Name><Type>TXTX</Type><TTL>1"
			       "</TTL></ResourceRecordSet><ResourceRecordSet><Name>a._acme-challenge.example.test."
			       "</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>\"x\""
			       "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>",
			       "_acme-challenge.example.test.", &v, &ttl, err, sizeof err), 0);
	assert_null(v);
	assert_int_equal(rrset("", "_acme-challenge.example.test.", &v, &ttl, err, sizeof err), 0);

	assert_int_equal(rrset("<ResourceRecordSet><Name>_acme-challenge.example.test.</Name><Type>TXT</Type>"
			       "<SetIdentifier>eu</SetIdentifier><Weight>10</Weight><TTL>60</TTL></ResourceRecordSet>",
			       "_acme-challenge.example.test.", &v, &ttl, err, sizeof err), -1);
	assert_non_null(strstr(err, "routing policy"));

	const char *other = "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>";
	assert_int_equal(route53_rrset_parse(other, strlen(other), "a.", &v, &ttl, err, sizeof err), -1);
	assert_int_equal(route53_rrset_parse("<a>", 3, "a.", &v, &ttl, err, sizeof err), -1);
}

static void test_zone_pick(void **state)
{
	struct route53_zone twins[] = { { "ZPRIVATE1", true }, { "ZPUBLIC1", false } };
	struct route53_zone two_public[] = { { "ZA", false }, { "ZB", false } };
	struct route53_zone only_private[] = { { "ZP", true } };
	char err[256];

	assert_int_equal(route53_zone_pick(twins, 2, "example.test.", false, err, sizeof err), 1);
	assert_int_equal(route53_zone_pick(twins, 2, "example.test.", true, err, sizeof err), 0);
	assert_int_equal(route53_zone_pick(two_public, 2, "example.test.", false, err, sizeof err), -1);
	assert_non_null(strstr(err, "2 public hosted zones are named example.test. (ZA, ZB)"));
	assert_non_null(strstr(err, "AWS_HOSTED_ZONE_ID"));
	assert_int_equal(route53_zone_pick(only_private, 1, "example.test.", false, err, sizeof err), -1);
	assert_non_null(strstr(err, "only a private hosted zone (ZP)"));
	assert_non_null(strstr(err, "AWS_PRIVATE_ZONE"));
	assert_int_equal(route53_zone_pick(only_private, 0, "example.test.", false, err, sizeof err), -1);
}

/* ---- options ---- */

static void test_options(void **state)
{
	struct http_client *h = http_client_new(&(struct http_options){ 0 });
	char err[512], path[] = "/tmp/test_route53.XXXXXX";
	struct route53_options o = { .http = h, .access_key_id = "AKIATEST", .secret_access_key = "topSecret/Value1" };
	struct solver *s = solver_route53_new(&o, err, sizeof err);

	assert_non_null(s);
	assert_string_equal(s->where, ROUTE53_ENDPOINT);
	assert_false(s->caps.appends);
	assert_int_equal(s->caps.requests_per_minute, 300);
	assert_true(s->caps.follows_cname);
	solver_free(s);

	o.secret_access_key = NULL;
	assert_null(solver_route53_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "go together"));
	o.secret_access_key = "top Secret";
	assert_null(solver_route53_new(&o, err, sizeof err));
	assert_null(strstr(err, "top Secret"));
	o.secret_access_key = "topSecret/Value1";
	o.endpoint = "ftp://route53";
	assert_null(solver_route53_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "endpoint"));
	o.endpoint = "http://127.0.0.1:8053/proxy/";
	o.hosted_zone_id = "/hostedzone/Z123";
	assert_non_null(s = solver_route53_new(&o, err, sizeof err));
	assert_string_equal(s->where, "http://127.0.0.1:8053/proxy");
	solver_free(s);
	o.hosted_zone_id = "Z12;3";
	assert_null(solver_route53_new(&o, err, sizeof err));

	/* from the shared file */
	int fd = mkstemp(path);
	const char *file = "[ci]\naws_access_key_id = AKIAFILE\naws_secret_access_key = fileSecret123\n";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, strlen(file)), (int)strlen(file));
	close(fd);
	o = (struct route53_options){ .http = h, .credentials_file = path, .profile = "ci" };
	assert_non_null(s = solver_route53_new(&o, err, sizeof err));
	solver_free(s);
	o.profile = NULL;
	assert_null(solver_route53_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no profile [default]"));
	o.credentials_file = "/nonexistent/credentials";
	assert_null(solver_route53_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID"));
	o = (struct route53_options){ .http = h };
	assert_null(solver_route53_new(&o, err, sizeof err));
	unlink(path);
	http_client_free(h);
}

/* ---- the XML reader ---- */

static void test_xml(void **state)
{
	const char *doc = "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c --><a:Root xmlns:a=\"x\" k='v'>\n"
			  "<B>one &amp; &lt;two&gt; &#65;&#x42;&#x20AC;</B><B/><C><D>deep</D></C>"
			  "<!-- inside --></a:Root>\n";
	char err[256];
	struct xml_node *r = xml_parse(doc, strlen(doc), err, sizeof err);

	assert_non_null(r);
	assert_string_equal(xml_name(r), "Root");
	assert_string_equal(xml_find_text(r, "B"), "one & <two> AB\xe2\x82\xac");
	assert_string_equal(xml_text(xml_next(xml_child(r, "B"))), "");
	assert_null(xml_next(xml_next(xml_child(r, "B"))));
	assert_string_equal(xml_find_text(r, "C/D"), "deep");
	assert_null(xml_find(r, "C/E"));
	xml_free(r);

	const char *bad[] = { "<a>", "<a></b>", "<a><![CDATA[x]]></a>", "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
			      "<a>&unknown;</a>", "<a>&#0;</a>", "<a x=1></a>", "<a></a><b></b>", "", "<a>&amp</a>" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = xml_parse(bad[i], strlen(bad[i]), err, sizeof err);
		if (r)
			fail_msg("parsed: %s", bad[i]);
		assert_non_null(strstr(err, "XML: "));
	}
	char deep[400] = "";
	for (int i = 0; i < 40; i++)
		memcpy(deep + 3 * i, "<a>", 4);         /* 40 nested elements, NUL-terminated after the last */
	assert_null(xml_parse(deep, strlen(deep), err, sizeof err));
	assert_non_null(strstr(err, "nested too deep"));

	struct xml_writer *w = xml_writer_new(64);
	xml_root(w, "R", NULL);
	xml_leaf(w, "T", "0123456789012345678901234567890123456789");
	xml_close(w, "R");
	assert_null(xml_writer_finish(w));             /* over its 64 bytes */
	w = xml_writer_new(0);
	xml_root(w, "R", NULL);
	xml_leaf(w, "T", "bell\a");
	xml_close(w, "R");
	assert_null(xml_writer_finish(w));             /* a control character XML cannot carry */
	w = xml_writer_new(0);
	xml_root(w, "R", NULL);
	xml_open(w, "T");
	assert_null(xml_writer_finish(w));             /* left open */
}

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_get_vanilla),
		cmocka_unit_test(test_sigv4_query_order),
		cmocka_unit_test(test_sigv4_signing_key),
		cmocka_unit_test(test_sigv4_route53_requests),
		cmocka_unit_test(test_sigv4_refuses),
		cmocka_unit_test(test_credentials_file),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_change_xml),
		cmocka_unit_test(test_rrset_parse),
		cmocka_unit_test(test_zone_pick),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_xml),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

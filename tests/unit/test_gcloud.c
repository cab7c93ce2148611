/* The gcloud solver's pure parts: the service account key file, the RS256 JWT (its claims, and its signature
 * verified with the key's public half), the OAuth form, the changes body, the rrsets answer, the choice among
 * managed zones of one name, and option checks. The API itself is exercised against tests/providers/
 * gcloud_fake.py by tests/integration/gcloud.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "b64.h"
#include "gcloud.h"
#include "http.h"
#include "key.h"
#include "log.h"
#include "oauth.h"
#include "solver.h"
#include "txtset.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EMAIL "ci-dns@acme-test-1.iam.gserviceaccount.com"

static EVP_PKEY *rsa_key;

static json_t *jload(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!j)
		fail_msg("bad test JSON %s", text);
	return j;
}

static char *key_pem(EVP_PKEY *k)
{
	size_t len;
	return key_to_pem(k, &len);
}

/* A key file's JSON for pem (a JSON string escapes the PEM's new lines). */
static char *account_json(const char *pem, const char *extra)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "type", "service_account", "private_key", pem, "client_email",
			      EMAIL, "private_key_id", "0123abcd");
	json_t *x = jload(extra);
	json_object_update(j, x);
	char *s = json_dumps(j, 0);
	json_decref(j);
	json_decref(x);
	return s;
}

static void test_account_parse(void **state)
{
	char *pem = key_pem(rsa_key), err[256];
	char *text = account_json(pem, "{\"project_id\": \"acme-test-1\", \"token_uri\": \"http://127.0.0.1:9/token\"}");
	struct gcloud_account a;

	assert_int_equal(gcloud_account_parse(text, strlen(text), &a, err, sizeof err), 0);
	assert_string_equal(a.client_email, EMAIL);
	assert_string_equal(a.project_id, "acme-test-1");
	assert_string_equal(a.token_uri, "http://127.0.0.1:9/token");
	assert_string_equal(a.private_key, pem);
	gcloud_account_clear(&a);
	assert_null(a.private_key);
	free(text);

	text = account_json(pem, "{}");
	assert_int_equal(gcloud_account_parse(text, strlen(text), &a, err, sizeof err), 0);
	assert_string_equal(a.token_uri, GCLOUD_TOKEN_URI);
	assert_null(a.project_id);
	gcloud_account_clear(&a);
	free(text);

	text = account_json(pem, "{\"type\": \"authorized_user\"}");
	assert_int_equal(gcloud_account_parse(text, strlen(text), &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "not service_account"));
	free(text);
	text = account_json(pem, "{\"token_uri\": \"file:///etc/passwd\"}");
	assert_int_equal(gcloud_account_parse(text, strlen(text), &a, err, sizeof err), -1);
	free(text);
	assert_int_equal(gcloud_account_parse("{\"client_email\": \"x\"}", 21, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "private_key is missing"));
	assert_int_equal(gcloud_account_parse("[1]", 3, &a, err, sizeof err), -1);
	free(pem);
}

static json_t *b64_json(const char *part, size_t len)
{
	char *s = strndup(part, len);
	size_t n;
	uint8_t *raw = b64url_decode(s, &n);
	json_t *j = raw ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
	free(s);
	free(raw);
	return j;
}

static void test_jwt(void **state)
{
	struct gcloud_account a = { .client_email = EMAIL, .token_uri = "https://oauth2.googleapis.com/token",
				    .private_key_id = "0123abcd" };
	char *jwt = gcloud_jwt(&a, rsa_key, 1700000000);
	assert_non_null(jwt);
	char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));

	json_t *h = b64_json(jwt, (size_t)(dot1 - jwt)), *c = b64_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	assert_non_null(h);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), "0123abcd");
	assert_string_equal(json_string_value(json_object_get(c, "iss")), EMAIL);
	assert_string_equal(json_string_value(json_object_get(c, "scope")), GCLOUD_SCOPE);
	assert_string_equal(json_string_value(json_object_get(c, "aud")), "https://oauth2.googleapis.com/token");
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1700003600);
	json_decref(h);
	json_decref(c);

	/* the signature verifies with the public half over "header.claims", and not over anything else */
	size_t siglen;
	uint8_t *sig = b64url_decode(dot2 + 1, &siglen);
	assert_non_null(sig);
	assert_int_equal(siglen, 256);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, rsa_key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
	EVP_MD_CTX_free(ctx);
	ctx = EVP_MD_CTX_new();
	jwt[3] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, rsa_key), 1);
	assert_int_not_equal(EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(jwt);

	/* RS256 needs an RSA key */
	EVP_PKEY *ec = key_generate(KEY_EC256);
	assert_null(gcloud_jwt(&a, ec, 1700000000));
	EVP_PKEY_free(ec);
}

static void test_oauth_form(void **state)
{
	const char *pairs[] = { "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_secret",
				"a b&c=d+e/f~", NULL };
	char *f = oauth_form(pairs);

	assert_string_equal(f, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&"
			       "client_secret=a%20b%26c%3Dd%2Be%2Ff~");
	free(f);
	struct oauth_token t = { 0 };
	assert_false(oauth_token_fresh(&t, 1000));
	t.header = strdup("Authorization: Bearer x");
	t.expires = 1100;
	assert_true(oauth_token_fresh(&t, 1000));
	assert_false(oauth_token_fresh(&t, 1050));      /* less than a minute left: renewed first */
	oauth_token_clear(&t);
	assert_null(t.header);
}

static void test_change_body(void **state)
{
	json_t *old = jload("[\"\\\"foreign\\\"\"]"), *nw = jload("[\"\\\"foreign\\\"\", \"\\\"ours\\\"\"]");
	struct txtset_change c[] = {
		{ .name = "_acme-challenge.example.test.", .old_ttl = 120, .new_ttl = 120, .old_values = old,
		  .new_values = nw },
		{ .name = "_acme-challenge.www.example.test.", .new_ttl = 60, .new_values = nw },
		{ .name = "_acme-challenge.gone.example.test.", .old_ttl = 60, .old_values = old },
	};
	json_t *b = gcloud_change_body(c, 3);
	json_t *want = jload("{\"additions\": ["
			     "{\"name\": \"_acme-challenge.example.test.\", \"type\": \"TXT\", \"ttl\": 120, "
			     "\"rrdatas\": [\"\\\"foreign\\\"\", \"\\\"ours\\\"\"]},"
			     "{\"name\": \"_acme-challenge.www.example.test.\", \"type\": \"TXT\", \"ttl\": 60, "
			     "\"rrdatas\": [\"\\\"foreign\\\"\", \"\\\"ours\\\"\"]}],"
			     "\"deletions\": ["
			     "{\"name\": \"_acme-challenge.example.test.\", \"type\": \"TXT\", \"ttl\": 120, "
			     "\"rrdatas\": [\"\\\"foreign\\\"\"]},"
			     "{\"name\": \"_acme-challenge.gone.example.test.\", \"type\": \"TXT\", \"ttl\": 60, "
			     "\"rrdatas\": [\"\\\"foreign\\\"\"]}]}");
	if (!json_equal(b, want)) {
		char *s = json_dumps(b, JSON_COMPACT);
		fail_msg("got %s", s);
	}
	json_decref(b);
	json_decref(want);
	json_decref(old);
	json_decref(nw);
}

static void test_rrset_parse(void **state)
{
	json_t *doc = jload("{\"rrsets\": [{\"name\": \"_acme-challenge.example.test.\", \"type\": \"A\", \"ttl\": 5, "
			    "\"rrdatas\": [\"1.2.3.4\"]}, {\"name\": \"_acme-challenge.Example.test.\", \"type\": \"TXT\", "
			    "\"ttl\": 120, \"rrdatas\": [\"\\\"foreign\\\"\"]}]}");
	json_t *v;
	uint32_t ttl;
	char err[256];

	assert_int_equal(gcloud_rrset_parse(doc, "_acme-challenge.example.test.", &v, &ttl, err, sizeof err), 1);
	assert_int_equal(ttl, 120);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "\"foreign\"");
	json_decref(v);
	assert_int_equal(gcloud_rrset_parse(doc, "other.example.test.", &v, &ttl, err, sizeof err), 0);
	assert_null(v);
	json_decref(doc);

	doc = jload("{\"rrsets\": [{\"name\": \"a.example.test.\", \"type\": \"TXT\", \"ttl\": 60, "
		    "\"routingPolicy\": {\"wrr\": {}}}]}");
	assert_int_equal(gcloud_rrset_parse(doc, "a.example.test.", &v, &ttl, err, sizeof err), -1);
	assert_non_null(strstr(err, "routing policy"));
	json_decref(doc);
	doc = jload("{}");
	assert_int_equal(gcloud_rrset_parse(doc, "a.example.test.", &v, &ttl, err, sizeof err), 0);
	json_decref(doc);
	doc = jload("{\"rrsets\": 5}");
	assert_int_equal(gcloud_rrset_parse(doc, "a.example.test.", &v, &ttl, err, sizeof err), -1);
	json_decref(doc);
}

static void test_zone_pick(void **state)
{
	json_t *twins = jload("[{\"name\": \"ex-private\", \"dnsName\": \"example.test.\", \"visibility\": \"private\"},"
			      "{\"name\": \"ex\", \"dnsName\": \"example.test.\", \"visibility\": \"public\"},"
			      "{\"name\": \"other\", \"dnsName\": \"other.test.\", \"visibility\": \"public\"}]");
	json_t *priv = jload("[{\"name\": \"ex-private\", \"dnsName\": \"example.test.\", \"visibility\": \"private\"}]");
	char err[256];

	assert_string_equal(gcloud_zone_pick(twins, "example.test.", false, err, sizeof err), "ex");
	assert_null(gcloud_zone_pick(twins, "example.test.", true, err, sizeof err));
	assert_non_null(strstr(err, "2 managed zones are named example.test. (ex-private, ex): choose one with GCE_ZONE_ID"));
	assert_null(gcloud_zone_pick(priv, "example.test.", false, err, sizeof err));
	assert_non_null(strstr(err, "only a private managed zone (ex-private); set GCE_ALLOW_PRIVATE_ZONE=true"));
	assert_string_equal(gcloud_zone_pick(priv, "example.test.", true, err, sizeof err), "ex-private");
	assert_null(gcloud_zone_pick(twins, "nowhere.test.", false, err, sizeof err));
	json_decref(twins);
	json_decref(priv);
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/test_gcloud.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static void test_options(void **state)
{
	struct http_client *h = http_client_new(&(struct http_options){ 0 });
	char *pem = key_pem(rsa_key), err[512];
	char *good = account_json(pem, "{\"project_id\": \"acme-test-1\"}"), *noproj = account_json(pem, "{}");
	EVP_PKEY *ec = key_generate(KEY_EC256);
	char *ecpem = key_pem(ec), *ecjson = account_json(ecpem, "{\"project_id\": \"p\"}");
	char *f_good = write_file(good), *f_noproj = write_file(noproj), *f_ec = write_file(ecjson);
	struct gcloud_options o = { .http = h, .service_account_file = f_good };
	struct solver *s;

	assert_non_null(s = solver_gcloud_new(&o, err, sizeof err));
	assert_string_equal(s->where, GCLOUD_BASE_URL);
	assert_false(s->caps.appends);
	assert_int_equal(s->caps.batch_max, 100);
	solver_free(s);

	o.service_account_file = f_noproj;
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no project"));
	o.project = "acme test";
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	o.project = "acme-test-2";
	o.base_url = "http://127.0.0.1:9/dns/v1/";
	assert_non_null(s = solver_gcloud_new(&o, err, sizeof err));
	assert_string_equal(s->where, "http://127.0.0.1:9/dns/v1");
	solver_free(s);
	o.base_url = "ftp://x";
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	o.base_url = NULL;

	o.service_account_file = f_ec;
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "not an RSA key"));
	assert_null(strstr(err, "PRIVATE KEY"));
	o.service_account_file = "/nonexistent/key.json";
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	o.service_account_file = NULL;
	assert_null(solver_gcloud_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "GCE_SERVICE_ACCOUNT_FILE"));

	unlink(f_good);
	unlink(f_noproj);
	unlink(f_ec);
	free(f_good);
	free(f_noproj);
	free(f_ec);
	free(good);
	free(noproj);
	free(ecjson);
	free(ecpem);
	free(pem);
	EVP_PKEY_free(ec);
	http_client_free(h);
}

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	rsa_key = key_generate(KEY_RSA2048);
	return rsa_key ? 0 : -1;
}

static int teardown(void **state)
{
	EVP_PKEY_free(rsa_key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_parse),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_oauth_form),
		cmocka_unit_test(test_change_body),
		cmocka_unit_test(test_rrset_parse),
		cmocka_unit_test(test_zone_pick),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

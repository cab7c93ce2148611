/* record_api: the checks every per-record adapter makes (names, relative names, TXT values and contents, base URLs,
 * ids, page numbers of next links) and the driver against an in-memory provider: zone hint taken exactly, walk-up
 * otherwise (longest first, each name asked once), clean-up by the ids present was answered, lookup by content
 * without one, a zone the provider lacks holding nothing of ours, errors kept going in clean-up, cancel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "record_api.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"

/* ---- the checks ---- */

static void test_name(void **state)
{
	char out[RAPI_NAME_MAX], big[300];

	assert_int_equal(rapi_name("_acme-challenge.Example.COM.", out, sizeof out), 0);
	assert_string_equal(out, "_acme-challenge.example.com");
	assert_int_equal(rapi_name("example.com", out, sizeof out), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(rapi_name("", out, sizeof out), -1);
	assert_int_equal(rapi_name(".", out, sizeof out), -1);
	assert_int_equal(rapi_name(".example.com", out, sizeof out), -1);
	assert_int_equal(rapi_name("a..b", out, sizeof out), -1);
	assert_int_equal(rapi_name("a/b.com", out, sizeof out), -1);
	assert_int_equal(rapi_name("a.com?x=1", out, sizeof out), -1);
	assert_int_equal(rapi_name("a b.com", out, sizeof out), -1);
	assert_int_equal(rapi_name("example.com..", out, sizeof out), -1);
	assert_int_equal(rapi_name(NULL, out, sizeof out), -1);
	assert_int_equal(rapi_name("example.com", out, 5), -1);
	memset(big, 'a', 254);
	big[254] = '\0';
	assert_int_equal(rapi_name(big, out, sizeof out), -1);
}

static void test_relative(void **state)
{
	char out[RAPI_NAME_MAX];

	assert_int_equal(rapi_relative("_acme-challenge.example.com", "example.com", out, sizeof out), 0);
	assert_string_equal(out, "_acme-challenge");
	assert_int_equal(rapi_relative("_acme-challenge.www.example.com", "example.com", out, sizeof out), 0);
	assert_string_equal(out, "_acme-challenge.www");
	assert_int_equal(rapi_relative("example.com", "example.com", out, sizeof out), 0);
	assert_string_equal(out, "@");
	/* a name that ends in the zone's text but not at a label */
	assert_int_equal(rapi_relative("_acme-challenge.other-example.com", "example.com", out, sizeof out), -1);
	assert_int_equal(rapi_relative("example.org", "example.com", out, sizeof out), -1);
	assert_int_equal(rapi_relative("com", "example.com", out, sizeof out), -1);
	assert_int_equal(rapi_relative(".example.com", "example.com", out, sizeof out), -1);
}

static void test_txt(void **state)
{
	char long_value[300];

	assert_true(rapi_txt_ok(V1));
	assert_false(rapi_txt_ok(""));
	assert_false(rapi_txt_ok(NULL));
	assert_false(rapi_txt_ok("a\"b"));
	assert_false(rapi_txt_ok("a\\b"));
	assert_false(rapi_txt_ok("line\nbreak"));
	assert_false(rapi_txt_ok("caf\xc3\xa9"));
	memset(long_value, 'a', 255);
	long_value[255] = '\0';
	assert_true(rapi_txt_ok(long_value));
	long_value[255] = 'a';
	long_value[256] = '\0';
	assert_false(rapi_txt_ok(long_value));

	assert_true(rapi_txt_is(V1, V1));
	assert_true(rapi_txt_is("\"" V1 "\"", V1));
	assert_false(rapi_txt_is("\"" V1, V1));
	assert_false(rapi_txt_is(V1 "\"", V1));
	assert_false(rapi_txt_is("\"\"" V1 "\"\"", V1));
	assert_false(rapi_txt_is(V2, V1));
	assert_false(rapi_txt_is(V1 "x", V1));
	assert_false(rapi_txt_is(NULL, V1));
	assert_false(rapi_txt_is("", V1));
}

static void test_base_url(void **state)
{
	assert_int_equal(rapi_base_url("https://api.cloudflare.com/client/v4", 2048),
			 strlen("https://api.cloudflare.com/client/v4"));
	assert_int_equal(rapi_base_url("http://127.0.0.1:8080/v2///", 2048), strlen("http://127.0.0.1:8080/v2"));
	assert_int_equal(rapi_base_url("http://[::1]:8080", 2048), strlen("http://[::1]:8080"));
	assert_int_equal(rapi_base_url("https://", 2048), 0);
	assert_int_equal(rapi_base_url("https:///path", 2048), 0);
	assert_int_equal(rapi_base_url("ftp://host", 2048), 0);
	assert_int_equal(rapi_base_url("host/path", 2048), 0);
	assert_int_equal(rapi_base_url("https://host/a b", 2048), 0);
	assert_int_equal(rapi_base_url("https://host/a?x=1", 2048), 0);
	assert_int_equal(rapi_base_url("https://host/a#f", 2048), 0);
	assert_int_equal(rapi_base_url("https://user:secret@host/a", 2048), 0);
	assert_int_equal(rapi_base_url("https://host/a@b", 2048), strlen("https://host/a@b"));
	assert_int_equal(rapi_base_url("https://host/\"x", 2048), 0);
	assert_int_equal(rapi_base_url("https://host/abcdef", 10), 0);
	assert_int_equal(rapi_base_url(NULL, 2048), 0);
}

static void test_ids_tokens_pages(void **state)
{
	char *h;

	assert_true(rapi_id_ok("372e67954025e0ba6aaa6d586b9e0b59"));
	assert_true(rapi_id_ok("3352896"));
	assert_true(rapi_id_ok("example.com"));
	assert_false(rapi_id_ok(""));
	assert_false(rapi_id_ok(".."));
	assert_false(rapi_id_ok("a/b"));
	assert_false(rapi_id_ok("a?b"));
	assert_false(rapi_id_ok(NULL));

	assert_true(rapi_token_ok("abc-DEF_123.~!", 64));
	assert_false(rapi_token_ok("abc def", 64));
	assert_false(rapi_token_ok("abc\r\nX-Injected: 1", 64));
	assert_false(rapi_token_ok("", 64));
	assert_false(rapi_token_ok("abcdef", 5));

	assert_int_equal(rapi_page_of("https://api.digitalocean.com/v2/domains?page=2&per_page=20"), 2);
	assert_int_equal(rapi_page_of("https://api.digitalocean.com/v2/domains?per_page=20&page=13"), 13);
	assert_int_equal(rapi_page_of("https://x/y?type=TXT&page=3&name=a"), 3);
	assert_int_equal(rapi_page_of("https://x/y?per_page=20"), 0);
	assert_int_equal(rapi_page_of("https://x/y?mypage=4"), 0);
	assert_int_equal(rapi_page_of("https://x/y?page=0"), 0);
	assert_int_equal(rapi_page_of("https://x/y?page=-1"), 0);
	assert_int_equal(rapi_page_of("https://x/y?page=2x"), 0);
	assert_int_equal(rapi_page_of("https://x/page=2"), 0);
	assert_int_equal(rapi_page_of(NULL), 0);

	h = rapi_header("Auth-API-Token", "k3y");
	assert_string_equal(h, "Auth-API-Token: k3y");
	rapi_secret_free(h);
	rapi_secret_free(NULL);
}

/* ---- the driver against an in-memory provider ---- */

#define MAX_RECS 16

static struct mock {
	const char *zones[4];           /* names it has; the id is "id-" + name */
	struct {
		char zone[RAPI_ID_MAX], name[RAPI_NAME_MAX], value[64], id[RAPI_ID_MAX];
		bool live;
	} recs[MAX_RECS];
	size_t n_recs;
	int zone_gets, creates, removes, finds;
	char asked[8][RAPI_NAME_MAX];   /* names zone_get was asked, in order */
	bool create_exists;             /* create answers "there already" (no id) */
	int fail_remove_of;             /* remove of this record index fails (-1: none) */
	volatile sig_atomic_t cancel;
} M;

static int m_zone_get(void *ctx, const char *name, struct rapi_zone *z, char *errbuf, size_t errlen)
{
	if (M.zone_gets < 8)
		snprintf(M.asked[M.zone_gets], RAPI_NAME_MAX, "%s", name);
	M.zone_gets++;
	for (size_t i = 0; i < 4 && M.zones[i]; i++) {
		if (strcmp(M.zones[i], name) == 0) {
			snprintf(z->name, sizeof z->name, "%s", name);
			snprintf(z->id, sizeof z->id, "id-%s", name);
			return 1;
		}
	}
	return 0;
}

static size_t m_add(const char *zone_id, const char *name, const char *value)
{
	size_t i = M.n_recs++;

	snprintf(M.recs[i].zone, RAPI_ID_MAX, "%s", zone_id);
	snprintf(M.recs[i].name, RAPI_NAME_MAX, "%s", name);
	snprintf(M.recs[i].value, 64, "%s", value);
	snprintf(M.recs[i].id, RAPI_ID_MAX, "rec-%zu", i);
	M.recs[i].live = true;
	return i;
}

static int m_create(void *ctx, const struct rapi_zone *z, const char *name, const char *value, char *id,
		    size_t idlen, char *errbuf, size_t errlen)
{
	M.creates++;
	size_t i = m_add(z->id, name, value);
	snprintf(id, idlen, "%s", M.create_exists ? "" : M.recs[i].id);
	return 0;
}

static int m_remove(void *ctx, const struct rapi_zone *z, const char *id, char *errbuf, size_t errlen)
{
	M.removes++;
	for (size_t i = 0; i < M.n_recs; i++) {
		if (strcmp(M.recs[i].id, id) != 0)
			continue;
		if ((int)i == M.fail_remove_of) {
			snprintf(errbuf, errlen, "mock: remove %s failed", id);
			return -1;
		}
		assert_string_equal(M.recs[i].zone, z->id);
		M.recs[i].live = false;
	}
	return 0;
}

static int m_find(void *ctx, const struct rapi_zone *z, const char *name, const char *value,
		  char (*ids)[RAPI_ID_MAX], size_t max, size_t *n, char *errbuf, size_t errlen)
{
	M.finds++;
	*n = 0;
	for (size_t i = 0; i < M.n_recs && *n < max; i++)
		if (M.recs[i].live && strcmp(M.recs[i].zone, z->id) == 0 && strcmp(M.recs[i].name, name) == 0 &&
		    strcmp(M.recs[i].value, value) == 0)
			snprintf(ids[(*n)++], RAPI_ID_MAX, "%s", M.recs[i].id);
	return 0;
}

static const struct rapi_ops m_ops = { m_zone_get, m_create, m_remove, m_find };

static struct rapi *mock_new(void)
{
	struct rapi *r = rapi_new("mock", "Mock", &m_ops, NULL);

	memset(&M, 0, sizeof M);
	M.fail_remove_of = -1;
	assert_non_null(r);
	return r;
}

static size_t live(void)
{
	size_t n = 0;

	for (size_t i = 0; i < M.n_recs; i++)
		n += M.recs[i].live;
	return n;
}

static void test_present_cleanup_by_id(void **state)
{
	struct rapi *r = mock_new();
	struct solver_record recs[] = {
		{ "example.com", "_acme-challenge.example.com", V1, "_acme-challenge.example.com", "example.com" },
		{ "example.com", "_acme-challenge.example.com", V2, "_acme-challenge.example.com", "example.com" },
	};
	char err[256] = "";
	size_t foreign;

	M.zones[0] = "example.com";
	M.zones[1] = "com";
	foreign = m_add("id-example.com", "_acme-challenge.example.com", "someone-elses");
	assert_int_equal(rapi_present(r, recs, 2, err, sizeof err), 0);
	assert_int_equal(M.creates, 2);
	assert_int_equal(M.zone_gets, 1);       /* the hint, asked once */
	assert_string_equal(M.asked[0], "example.com");
	assert_int_equal(rapi_present(r, recs, 2, err, sizeof err), 0);
	assert_int_equal(M.creates, 2);         /* created by this run already */
	assert_int_equal(rapi_cleanup(r, recs, 2, err, sizeof err), 0);
	assert_int_equal(M.removes, 2);
	assert_int_equal(M.finds, 0);           /* by id, no lookup */
	assert_int_equal(live(), 1);
	assert_true(M.recs[foreign].live);
	rapi_free(r);
}

static void test_walk_up_longest_first(void **state)
{
	struct rapi *r = mock_new();
	struct solver_record rec = { "www.sub.example.com", "_acme-challenge.www.sub.example.com", V1, NULL, NULL };
	char err[256] = "";

	M.zones[0] = "example.com";
	M.zones[1] = "sub.example.com";
	assert_int_equal(rapi_present(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(M.zone_gets, 3);
	assert_string_equal(M.asked[0], "_acme-challenge.www.sub.example.com");
	assert_string_equal(M.asked[1], "www.sub.example.com");
	assert_string_equal(M.asked[2], "sub.example.com");
	assert_string_equal(M.recs[0].zone, "id-sub.example.com");
	/* the lookups are remembered: clean-up asks nothing again */
	M.recs[0].live = true;
	assert_int_equal(rapi_cleanup(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(M.zone_gets, 3);
	assert_int_equal(live(), 0);
	rapi_free(r);
}

static void test_zone_hint_exact(void **state)
{
	struct rapi *r = mock_new();
	struct solver_record rec = { "example.com", "_acme-challenge.example.com", V1, "_acme-challenge.example.com",
				     "example.com" };
	struct solver_record bad = { "example.com", "_acme-challenge.example.com", V1, "_acme-challenge.example.com",
				     "example.org" };
	char err[256] = "";

	M.zones[0] = "com";             /* a parent the provider has; the hint says example.com */
	assert_int_equal(rapi_present(r, &rec, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "mock: no zone for _acme-challenge.example.com at Mock (the resolvers see it in "
				    "zone example.com)"));
	assert_int_equal(M.creates, 0);
	assert_int_equal(rapi_present(r, &bad, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "\"example.org\" is not a zone that holds _acme-challenge.example.com"));
	/* clean-up where the provider has no zone: nothing of ours can be there */
	assert_int_equal(rapi_cleanup(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(M.removes + M.finds, 0);
	rapi_free(r);
}

static void test_cleanup_without_id_finds_by_content(void **state)
{
	struct rapi *r = mock_new();
	struct solver_record rec = { "example.com", "_acme-challenge.example.com", V1, "_acme-challenge.example.com",
				     "example.com" };
	char err[256] = "";

	M.zones[0] = "example.com";
	m_add("id-example.com", "_acme-challenge.example.com", "someone-elses");
	m_add("id-example.com", "_acme-challenge.example.com", V1);    /* left by a killed run */
	m_add("id-example.com", "_acme-challenge.www.example.com", V1); /* another name: not this record */
	assert_int_equal(rapi_cleanup(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(M.finds, 1);
	assert_int_equal(M.removes, 1);
	assert_true(M.recs[0].live);
	assert_false(M.recs[1].live);
	assert_true(M.recs[2].live);
	rapi_free(r);

	/* a create answered "there already" keeps no id: clean-up looks it up */
	r = mock_new();
	M.zones[0] = "example.com";
	M.create_exists = true;
	assert_int_equal(rapi_present(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(rapi_cleanup(r, &rec, 1, err, sizeof err), 0);
	assert_int_equal(M.finds, 1);
	assert_int_equal(live(), 0);
	rapi_free(r);
}

static void test_cleanup_goes_on(void **state)
{
	struct rapi *r = mock_new();
	struct solver_record recs[] = {
		{ "a.example.com", "_acme-challenge.a.example.com", V1, NULL, "example.com" },
		{ "b.example.com", "_acme-challenge.b.example.com", V2, NULL, "example.com" },
	};
	char err[256] = "";

	M.zones[0] = "example.com";
	assert_int_equal(rapi_present(r, recs, 2, err, sizeof err), 0);
	M.fail_remove_of = 0;
	assert_int_equal(rapi_cleanup(r, recs, 2, err, sizeof err), -1);
	assert_string_equal(err, "mock: remove rec-0 failed");
	assert_int_equal(M.removes, 2);
	assert_true(M.recs[0].live);
	assert_false(M.recs[1].live);
	/* the failed one keeps its id for another try */
	M.fail_remove_of = -1;
	assert_int_equal(rapi_cleanup(r, recs, 1, err, sizeof err), 0);
	assert_int_equal(M.finds, 0);
	assert_int_equal(live(), 0);
	rapi_free(r);
}

static void test_bad_input_and_cancel(void **state)
{
	struct rapi *r = mock_new();
	struct solver s = { .cancel = &M.cancel };
	struct solver_record bad_name = { "x", "_acme-challenge.exa mple.com", V1, NULL, NULL };
	struct solver_record bad_value = { "x", "_acme-challenge.example.com", "a\"b", NULL, NULL };
	struct solver_record ok = { "x", "_acme-challenge.example.com", V1, NULL, NULL };
	char err[256] = "";

	M.zones[0] = "example.com";
	assert_int_equal(rapi_present(r, &bad_name, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "is not a name we can write a TXT record at"));
	assert_int_equal(rapi_present(r, &bad_value, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "not printable ASCII"));
	assert_int_equal(rapi_present(r, &ok, 0, err, sizeof err), 0);
	rapi_set_solver(r, &s);
	M.cancel = 1;
	assert_int_equal(rapi_present(r, &ok, 1, err, sizeof err), -1);
	assert_string_equal(err, "mock: interrupted");
	assert_int_equal(M.creates, 0);
	/* clean-up is owed: it runs though cancelled */
	assert_int_equal(rapi_cleanup(r, &ok, 1, err, sizeof err), 0);
	assert_int_equal(M.finds, 1);
	rapi_free(r);
	rapi_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_ids_tokens_pages),
		cmocka_unit_test(test_present_cleanup_by_id),
		cmocka_unit_test(test_walk_up_longest_first),
		cmocka_unit_test(test_zone_hint_exact),
		cmocka_unit_test(test_cleanup_without_id_finds_by_content),
		cmocka_unit_test(test_cleanup_goes_on),
		cmocka_unit_test(test_bad_input_and_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

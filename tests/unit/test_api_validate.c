/* The HTTP API's pure checks: acme-dns's validation rules, body shapes, allowfrom, proxy headers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_validate.h"
#include "log.h"
#include "netaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TXT43 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define KEY40 "a3Kx_9-ZzQ0pL1mN2bV3cX4zA5sD6fG7hJ8kL9qW"
#define UUID  "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static int setup(void **state)
{
	log_setup(LOG_LVL_ERROR, 0);
	return 0;
}

static const struct sockaddr *ip(const char *text, struct sockaddr_storage *ss)
{
	assert_int_equal(netaddr_parse_ip(text, ss), 0);
	return (const struct sockaddr *)ss;
}

static void assert_ip(const struct sockaddr_storage *ss, const char *want)
{
	char buf[64];
	netaddr_format_ip((const struct sockaddr *)ss, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* ---- txt, key, uuid ---- */

static void test_txt(void **state)
{
	assert_true(api_valid_txt(TXT43));
	assert_true(api_valid_txt("___________________________________________"));
	assert_false(api_valid_txt(NULL));
	assert_false(api_valid_txt(""));
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbld"));      /* 42 */
	assert_false(api_valid_txt(TXT43 "A"));                                         /* 44 */
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbld="));     /* padding */
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq+jfrinfIWbldo"));     /* standard base64 */
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq/jfrinfIWbldo"));
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq jfrinfIWbldo"));
	assert_false(api_valid_txt("BCiW3BlmuKYhTlODq6W4uTHPoEnReq\xc3\xa9rinfIWbld")); /* é: 43 bytes, not base64url */
	assert_false(api_valid_txt("\"; rm -rf / #BlmuKYhTlODq6W4uTHPoEnReq-jfri"));
}

static void test_key(void **state)
{
	assert_true(api_valid_key(KEY40));
	assert_false(api_valid_key(NULL));
	assert_false(api_valid_key(""));
	assert_false(api_valid_key("a3Kx_9-ZzQ0pL1mN2bV3cX4zA5sD6fG7hJ8kL9q"));     /* 39 */
	assert_false(api_valid_key(KEY40 "x"));                                      /* 41 */
	assert_false(api_valid_key("a3Kx_9-ZzQ0pL1mN2bV3cX4zA5sD6fG7hJ8kL9q!"));
	assert_false(api_valid_key("a3Kx_9-ZzQ0pL1mN2bV3cX4zA5sD6fG7hJ8kL9q="));
}

static void test_uuid_forms(void **state)
{
	char out[API_UUID_LEN + 1];
	assert_int_equal(api_uuid_canonical(UUID, out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(api_uuid_canonical("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(api_uuid_canonical("{" UUID "}", out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(api_uuid_canonical("urn:uuid:" UUID, out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(api_uuid_canonical("URN:UUID:" UUID, out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(api_uuid_canonical("0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", out, sizeof(out)), 0);
	assert_string_equal(out, UUID);
}

static void test_uuid_rejects(void **state)
{
	char out[API_UUID_LEN + 1];
	char small[API_UUID_LEN];
	const char *bad[] = {
		"", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",           /* 35 */
		"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd",              /* 37 */
		"0a1b2c3d4-e5f-4a6b-8c7d-9e0f1a2b3c4d",               /* dash misplaced */
		"0a1b2c3d-4e5f-4a6b-8c7d_9e0f1a2b3c4d",
		"0a1b2c3g-4e5f-4a6b-8c7d-9e0f1a2b3c4d",               /* not hex */
		"(" UUID ")", "{" UUID ")", "urn:uuix:" UUID,
		"0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4g", "0a1b2c3d-4e5f4a6b8c7d9e0f1a2b3c4d",
		"../../etc/passwd", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(out, sizeof(out), "unchanged");
		assert_int_equal(api_uuid_canonical(bad[i], out, sizeof(out)), -1);
		assert_string_equal(out, "unchanged");
		assert_false(api_valid_subdomain(bad[i]));
	}
	assert_int_equal(api_uuid_canonical(NULL, out, sizeof(out)), -1);
	assert_int_equal(api_uuid_canonical(UUID, small, sizeof(small)), -1);
	assert_true(api_valid_subdomain(UUID));
	assert_true(api_valid_subdomain("{" UUID "}"));
}

static void test_same_subdomain_and_trim(void **state)
{
	char out[16];
	assert_true(api_same_subdomain(UUID, "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"));
	assert_false(api_same_subdomain(UUID, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4e"));
	assert_false(api_same_subdomain("", ""));
	assert_false(api_same_subdomain(NULL, UUID));
	assert_false(api_same_subdomain(UUID, UUID ".auth.example.org"));
	assert_int_equal(api_trim_copy(" \tabc\t ", out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(api_trim_copy(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(api_trim_copy("   ", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(api_trim_copy("0123456789abcdef", out, sizeof(out)), -1);
	assert_int_equal(api_trim_copy("  0123456789abcde  ", out, sizeof(out)), 0);
}

/* ---- register bodies ---- */

static enum api_body_status reg(const char *body, const char *want_allowfrom)
{
	json_t *af = (json_t *)1;
	enum api_body_status st = api_parse_register(body, strlen(body), &af);
	if (st != API_BODY_OK) {
		assert_null(af);
		return st;
	}
	char *text = json_dumps(af, JSON_COMPACT);
	assert_non_null(text);
	if (want_allowfrom)
		assert_string_equal(text, want_allowfrom);
	free(text);
	json_decref(af);
	return st;
}

static void test_register_accepts(void **state)
{
	assert_int_equal(reg("", "[]"), API_BODY_OK);                   /* acme-dns: an empty body is fine */
	assert_int_equal(reg("null", "[]"), API_BODY_OK);
	assert_int_equal(reg("{}", "[]"), API_BODY_OK);
	assert_int_equal(reg(" { } ", "[]"), API_BODY_OK);
	assert_int_equal(reg("{\"allowfrom\": null}", "[]"), API_BODY_OK);
	assert_int_equal(reg("{\"allowfrom\": []}", "[]"), API_BODY_OK);
	assert_int_equal(reg("{\"allowfrom\": [\"10.0.0.0/8\", \"[::1]/128\", \"2001:db8::/32\"]}",
			     "[\"10.0.0.0/8\",\"::1/128\",\"2001:db8::/32\"]"), API_BODY_OK);
	assert_int_equal(reg("{\"AllowFrom\": [\"192.0.2.1/32\"]}", "[\"192.0.2.1/32\"]"), API_BODY_OK);
	assert_int_equal(reg("{\"ALLOWFROM\": [\"192.0.2.0/24\"], \"other\": 5}", "[\"192.0.2.0/24\"]"), API_BODY_OK);
	/* Go's ParseCIDR keeps host bits; the entry is echoed as given */
	assert_int_equal(reg("{\"allowfrom\": [\"10.1.2.3/8\"]}", "[\"10.1.2.3/8\"]"), API_BODY_OK);
	assert_int_equal(reg("{\"allowfrom\": [\"0.0.0.0/0\", \"::/0\"]}", "[\"0.0.0.0/0\",\"::/0\"]"), API_BODY_OK);
	assert_int_equal(reg("{\"allowfrom\": [\"::ffff:192.0.2.1/128\"]}", NULL), API_BODY_OK);
}

static void test_register_rejects(void **state)
{
	assert_int_equal(reg("{\"allowfrom\": [\"192.0.2.1\"]}", NULL), API_BODY_BAD_CIDR);   /* prefix required */
	assert_int_equal(reg("{\"allowfrom\": [\"192.0.2.0/33\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"2001:db8::/129\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"example.org/24\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"192.0.2.0/24/8\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"192.0.2.0/\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"192.0.2.0/-1\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"fe80::1%eth0/64\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [\"\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [null]}", NULL), API_BODY_BAD_CIDR);            /* null decodes to "" */
	assert_int_equal(reg("{\"allowfrom\": [\"10.0.0.0/8\", \"bad\"]}", NULL), API_BODY_BAD_CIDR);
	assert_int_equal(reg("{\"allowfrom\": [1]}", NULL), API_BODY_MALFORMED);              /* type error */
	assert_int_equal(reg("{\"allowfrom\": [\"bad\", 1]}", NULL), API_BODY_MALFORMED);     /* decode fails first */
	assert_int_equal(reg("{\"allowfrom\": \"10.0.0.0/8\"}", NULL), API_BODY_MALFORMED);
	assert_int_equal(reg("{\"allowfrom\": {}}", NULL), API_BODY_MALFORMED);
	assert_int_equal(reg("[]", NULL), API_BODY_MALFORMED);
	assert_int_equal(reg("\"x\"", NULL), API_BODY_MALFORMED);
	assert_int_equal(reg("{", NULL), API_BODY_MALFORMED);
	assert_int_equal(reg("{} {}", NULL), API_BODY_MALFORMED);      /* json.Unmarshal refuses trailing data */
	assert_int_equal(reg(" ", NULL), API_BODY_MALFORMED);          /* a body that is only blanks is not empty */
	assert_int_equal(reg("allowfrom=10.0.0.0/8", NULL), API_BODY_MALFORMED);   /* form posts: Content-Type ignored */
}

/* ---- update bodies ---- */

static enum api_body_status upd(const char *body, char *sub, char *txt)
{
	return api_parse_update(body, strlen(body), sub, 64, txt, 256);
}

static void test_update_bodies(void **state)
{
	char sub[64], txt[256];
	assert_int_equal(upd("{\"subdomain\": \"" UUID "\", \"txt\": \"" TXT43 "\"}", sub, txt), API_BODY_OK);
	assert_string_equal(sub, UUID);
	assert_string_equal(txt, TXT43);
	assert_int_equal(upd("{\"Subdomain\":\"a\",\"TXT\":\"b\"}", sub, txt), API_BODY_OK);
	assert_string_equal(sub, "a");
	assert_string_equal(txt, "b");
	/* json.Decoder reads one value: what follows it does not matter */
	assert_int_equal(upd("{\"subdomain\":\"a\",\"txt\":\"b\"} trailing", sub, txt), API_BODY_OK);
	assert_string_equal(txt, "b");
	assert_int_equal(upd("{\"subdomain\":\"a\",\"txt\":5}", sub, txt), API_BODY_OK);
	assert_string_equal(sub, "a");
	assert_string_equal(txt, "");
	assert_int_equal(upd("{\"subdomain\":null,\"txt\":[\"x\"]}", sub, txt), API_BODY_OK);
	assert_string_equal(sub, "");
	assert_string_equal(txt, "");
	assert_int_equal(upd("null", sub, txt), API_BODY_OK);
	assert_string_equal(sub, "");
	assert_int_equal(upd("{\"subdomain\":\"" UUID UUID "\"}", sub, txt), API_BODY_OK);   /* 72 > 63: dropped */
	assert_string_equal(sub, "");
	assert_int_equal(upd("", sub, txt), API_BODY_MALFORMED);
	assert_int_equal(upd("[]", sub, txt), API_BODY_MALFORMED);
	assert_int_equal(upd("{\"subdomain\":", sub, txt), API_BODY_MALFORMED);
	assert_int_equal(upd("subdomain=a&txt=b", sub, txt), API_BODY_MALFORMED);
	assert_int_equal(upd("{\"subdomain\":\"a\\u0000b\"}", sub, txt), API_BODY_MALFORMED);
	assert_int_equal(upd("{\"txt\":\"\xff\xfe\"}", sub, txt), API_BODY_MALFORMED);      /* not UTF-8 */
}

/* ---- allowfrom checks ---- */

static void test_allowfrom_permits(void **state)
{
	struct sockaddr_storage a;
	const char *ten = "[\"10.0.0.0/8\"]";
	assert_true(api_allowfrom_permits(NULL, ip("192.0.2.1", &a)));
	assert_true(api_allowfrom_permits("", ip("192.0.2.1", &a)));
	assert_true(api_allowfrom_permits("[]", ip("192.0.2.1", &a)));
	assert_true(api_allowfrom_permits("[]", NULL));                               /* open account, unknown client */
	assert_true(api_allowfrom_permits(ten, ip("10.1.2.3", &a)));
	assert_true(api_allowfrom_permits(ten, ip("::ffff:10.1.2.3", &a)));           /* dual-stack listener */
	assert_false(api_allowfrom_permits(ten, ip("192.0.2.1", &a)));
	assert_false(api_allowfrom_permits(ten, ip("2001:db8::1", &a)));
	assert_false(api_allowfrom_permits(ten, NULL));
	assert_true(api_allowfrom_permits("[\"2001:db8::/32\"]", ip("2001:db8:1::5", &a)));
	assert_true(api_allowfrom_permits("[\"[2001:db8::1]/128\"]", ip("2001:db8::1", &a)));
	/* entries that are not networks are skipped, as acme-dns's ValidEntries does */
	assert_true(api_allowfrom_permits("[\"garbage\"]", ip("192.0.2.1", &a)));
	assert_false(api_allowfrom_permits("[\"garbage\", \"10.0.0.0/8\"]", ip("192.0.2.1", &a)));
	assert_true(api_allowfrom_permits("[\"garbage\", \"10.0.0.0/8\"]", ip("10.0.0.1", &a)));
	/* a corrupt stored list fails closed */
	assert_false(api_allowfrom_permits("{", ip("10.0.0.1", &a)));
	assert_false(api_allowfrom_permits("{\"a\":1}", ip("10.0.0.1", &a)));
}

/* ---- proxy header entries and the client address ---- */

static void test_forwarded_entry(void **state)
{
	struct sockaddr_storage a;
	const char *good[][2] = {
		{ "192.0.2.1", "192.0.2.1" }, { " 192.0.2.1\t", "192.0.2.1" }, { "192.0.2.1:8080", "192.0.2.1" },
		{ "2001:db8::1", "2001:db8::1" }, { "[2001:db8::1]", "2001:db8::1" },
		{ "[2001:db8::1]:443", "2001:db8::1" }, { "::1", "::1" }, { "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(api_parse_forwarded_entry(good[i][0], strlen(good[i][0]), &a), 0);
		assert_ip(&a, good[i][1]);
	}
	const char *bad[] = { "", "  ", "unknown", "192.0.2.1:", "192.0.2.1:port", "192.0.2.1:123456",
			      "[2001:db8::1", "[2001:db8::1]x", "[2001:db8::1]:", "fe80::1%eth0", "192.0.2",
			      "for=192.0.2.1", "_hidden", "[192.0.2.1]x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(api_parse_forwarded_entry(bad[i], strlen(bad[i]), &a), -1);
	/* the length counts, not the NUL */
	assert_int_equal(api_parse_forwarded_entry("192.0.2.1, 10.0.0.1", 9, &a), 0);
	assert_ip(&a, "192.0.2.1");
}

struct proxies {
	struct cidr c[2];
	size_t n;
};

static void proxies_init(struct proxies *p)
{
	assert_int_equal(cidr_parse("10.0.0.0/8", &p->c[0]), 0);
	assert_int_equal(cidr_parse("2001:db8:ffff::/48", &p->c[1]), 0);
	p->n = 2;
}

static enum api_client_source pick(const char *peer, const char *const *values, size_t n, const struct proxies *p,
				   const char *want)
{
	struct sockaddr_storage ps, out;
	enum api_client_source src = api_client_address(ip(peer, &ps), values, n, p->c, p->n, &out);
	if (want)
		assert_ip(&out, want);
	else
		assert_int_equal(out.ss_family, AF_UNSPEC);
	return src;
}

static void test_client_untrusted_peer(void **state)
{
	struct proxies p;
	proxies_init(&p);
	const char *v[] = { "203.0.113.5" };
	/* the header is ignored unless the peer is a trusted proxy */
	assert_int_equal(pick("198.51.100.9", v, 1, &p, "198.51.100.9"), API_CLIENT_PEER);
	struct proxies none = { .n = 0 };
	assert_int_equal(pick("10.0.0.1", v, 1, &none, "10.0.0.1"), API_CLIENT_PEER);
	/* a trusted peer without the header is the client */
	assert_int_equal(pick("10.0.0.1", v, 0, &p, "10.0.0.1"), API_CLIENT_PEER);
	const char *blank[] = { "", " , ,", "\t" };
	assert_int_equal(pick("10.0.0.1", blank, 3, &p, "10.0.0.1"), API_CLIENT_PEER);
}

static void test_client_forwarded(void **state)
{
	struct proxies p;
	proxies_init(&p);
	const char *one[] = { "203.0.113.5" };
	assert_int_equal(pick("10.0.0.1", one, 1, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	assert_int_equal(pick("::ffff:10.0.0.1", one, 1, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	/* a client-supplied entry on the left cannot override the nearest untrusted hop */
	const char *spoof[] = { "198.51.100.7, 203.0.113.5" };
	assert_int_equal(pick("10.0.0.1", spoof, 1, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	/* trusted hops on the right are skipped */
	const char *chain[] = { "198.51.100.7, 203.0.113.5, 10.9.9.9,10.0.0.2" };
	assert_int_equal(pick("10.0.0.1", chain, 1, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	const char *v6[] = { "2001:db8::42, [2001:db8:ffff::1]:8443" };
	assert_int_equal(pick("2001:db8:ffff::2", v6, 1, &p, "2001:db8::42"), API_CLIENT_FORWARDED);
	/* several header lines form one list, in order */
	const char *lines[] = { "198.51.100.7", "203.0.113.5", "10.0.0.3" };
	assert_int_equal(pick("10.0.0.1", lines, 3, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	const char *lines2[] = { "203.0.113.5, 10.0.0.4", "" };
	assert_int_equal(pick("10.0.0.1", lines2, 2, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
	/* every hop trusted: the first of them is the client */
	const char *internal[] = { "10.0.0.3, 10.0.0.2" };
	assert_int_equal(pick("10.0.0.1", internal, 1, &p, "10.0.0.3"), API_CLIENT_FORWARDED);
}

static void test_client_unknown(void **state)
{
	struct proxies p;
	proxies_init(&p);
	/* garbage where the client's address should be: unknown, never the proxy's own address */
	const char *junk[] = { "203.0.113.5, garbage" };
	assert_int_equal(pick("10.0.0.1", junk, 1, &p, NULL), API_CLIENT_UNKNOWN);
	const char *junk2[] = { "garbage, 10.0.0.2" };
	assert_int_equal(pick("10.0.0.1", junk2, 1, &p, NULL), API_CLIENT_UNKNOWN);
	const char *junk3[] = { "203.0.113.5", "unknown" };
	assert_int_equal(pick("10.0.0.1", junk3, 2, &p, NULL), API_CLIENT_UNKNOWN);
	/* garbage beyond the decided hop is never read */
	const char *left[] = { "garbage, 203.0.113.5" };
	assert_int_equal(pick("10.0.0.1", left, 1, &p, "203.0.113.5"), API_CLIENT_FORWARDED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_uuid_forms),
		cmocka_unit_test(test_uuid_rejects),
		cmocka_unit_test(test_same_subdomain_and_trim),
		cmocka_unit_test(test_register_accepts),
		cmocka_unit_test(test_register_rejects),
		cmocka_unit_test(test_update_bodies),
		cmocka_unit_test(test_allowfrom_permits),
		cmocka_unit_test(test_forwarded_entry),
		cmocka_unit_test(test_client_untrusted_peer),
		cmocka_unit_test(test_client_forwarded),
		cmocka_unit_test(test_client_unknown),
	};
	return cmocka_run_group_tests_name("api_validate", tests, setup, NULL);
}

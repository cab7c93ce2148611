/* Addresses and networks: host:port parsing, CIDR parsing with host bits cleared, matching incl. IPv4-mapped peers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static struct sockaddr_storage ip(const char *s)
{
	struct sockaddr_storage ss;
	assert_int_equal(netaddr_parse_ip(s, &ss), 0);
	return ss;
}

static bool in_net(const char *net, const char *addr)
{
	struct cidr c;
	assert_int_equal(cidr_parse(net, &c), 0);
	struct sockaddr_storage ss = ip(addr);
	return cidr_contains(&c, (struct sockaddr *)&ss);
}

static void test_hostport_ipv4(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[128];
	assert_int_equal(netaddr_parse_hostport("127.0.0.1:53", &ss, &len, err, sizeof(err)), 0);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 53);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(netaddr_parse_hostport("0.0.0.0:65535", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ntohs(sin->sin_port), 65535);
	assert_int_equal(netaddr_parse_hostport("10.1.2.3:1", &ss, NULL, NULL, 0), 0);
	assert_int_equal(ntohs(sin->sin_port), 1);
}

static void test_hostport_ipv6(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[128];
	assert_int_equal(netaddr_parse_hostport("[::1]:5353", &ss, &len, err, sizeof(err)), 0);
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 5353);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(netaddr_parse_hostport("[2001:db8::53]:53", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(netaddr_parse_hostport("[::]:53", &ss, &len, err, sizeof(err)), 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	assert_int_equal(netaddr_parse_hostport("[::ffff:192.0.2.1]:53", &ss, &len, err, sizeof(err)), 0);
	assert_true(IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr));
}

static void test_hostport_errors(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1",	   "127.0.0.1:",     "127.0.0.1:0",	"127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:+53",   "127.0.0.1:53x",  "127.0.0.1:5 3",	"127.0.0.1:0000053", ":53",
		"localhost:53",	   "256.0.0.1:53",   "1.2.3:53",	"::1:53",	   "[::1]53",
		"[::1]",	   "[::1]:",	     "[127.0.0.1]:53",	"[::1:53",	   "[::g]:53",
		"",		   " 127.0.0.1:53", "127.0.0.1:53 ",	"[::1]:99999999999",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[128] = "";
		if (netaddr_parse_hostport(bad[i], &ss, &len, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(netaddr_parse_hostport(NULL, &ss, &len, NULL, 0), -1);
	char err[128];
	netaddr_parse_hostport("::1:53", &ss, &len, err, sizeof(err));
	assert_non_null(strstr(err, "brackets"));
	netaddr_parse_hostport("1.2.3.4:0", &ss, &len, err, sizeof(err));
	assert_non_null(strstr(err, "port"));
	/* A tiny error buffer is truncated, never overrun. */
	char small[4];
	assert_int_equal(netaddr_parse_hostport("x", &ss, &len, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), 3);
}

static void test_cidr_parse(void **state)
{
	struct cidr c;
	assert_int_equal(cidr_parse("10.1.2.3/8", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	static const uint8_t ten[4] = { 10, 0, 0, 0 };
	assert_memory_equal(c.addr, ten, 4);

	assert_int_equal(cidr_parse("192.168.77.255/20", &c), 0);
	static const uint8_t net20[4] = { 192, 168, 64, 0 };
	assert_memory_equal(c.addr, net20, 4);

	assert_int_equal(cidr_parse("127.0.0.1", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.prefix, 0);

	assert_int_equal(cidr_parse("2001:db8:ffff::1/33", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 33);
	uint8_t want[16];
	inet_pton(AF_INET6, "2001:db8:8000::", want);
	assert_memory_equal(c.addr, want, 16);

	assert_int_equal(cidr_parse("::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(cidr_parse("::/0", &c), 0);
	uint8_t zero[16] = { 0 };
	assert_memory_equal(c.addr, zero, 16);
}

static void test_cidr_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",	 "/8",	      "10.0.0.0/",   "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8x",
		"10/8",	 "10.0.0/8",  "::1/129",     "::1/1000",    "x::1/64",     "[::1]/128",   "10.0.0.0/8/8",
		"10.0.0.0 /8", "10.0.0.0/ 8", "example.org", "1234567890123456789012345678901234567890123456789012345678/8",
	};
	struct cidr c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(cidr_parse(NULL, &c), -1);
}

static void test_cidr_contains(void **state)
{
	assert_true(in_net("10.0.0.0/8", "10.255.1.2"));
	assert_false(in_net("10.0.0.0/8", "11.0.0.1"));
	assert_true(in_net("192.168.64.0/20", "192.168.79.255"));
	assert_false(in_net("192.168.64.0/20", "192.168.80.0"));
	assert_true(in_net("127.0.0.1/32", "127.0.0.1"));
	assert_false(in_net("127.0.0.1/32", "127.0.0.2"));
	assert_true(in_net("0.0.0.0/0", "203.0.113.9"));
	assert_true(in_net("2001:db8::/32", "2001:db8:1::5"));
	assert_false(in_net("2001:db8::/32", "2001:db9::5"));
	assert_true(in_net("::1/128", "::1"));
	assert_true(in_net("::/0", "2001:db8::1"));
	/* Families do not mix, except through the IPv4-mapped form. */
	assert_true(in_net("::/0", "10.0.0.1")); /* as ::ffff:10.0.0.1, which ::/0 covers */
	assert_false(in_net("10.0.0.0/8", "2001:db8::1"));
	assert_false(in_net("0.0.0.0/0", "::1"));
	assert_false(in_net("::1/128", "127.0.0.1"));
}

static void test_cidr_v4mapped(void **state)
{
	/* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
	assert_true(in_net("127.0.0.1/32", "::ffff:127.0.0.1"));
	assert_true(in_net("10.0.0.0/8", "::ffff:10.9.8.7"));
	assert_false(in_net("10.0.0.0/8", "::ffff:11.0.0.1"));
	assert_true(in_net("0.0.0.0/0", "::ffff:198.51.100.1"));
	/* Not mapped: an IPv4-compatible or ordinary IPv6 address with the same low bits. */
	assert_false(in_net("10.0.0.0/8", "::10.1.1.1"));
	assert_true(in_net("10.0.0.0/8", "::ffff:a01:101")); /* the same mapped address, written in hex */
	assert_false(in_net("10.0.0.0/8", "64:ff9b::10.1.1.1"));
	/* And the other way: an IPv4 peer against a network written in mapped form. */
	assert_true(in_net("::ffff:10.0.0.0/104", "10.2.3.4"));
	assert_false(in_net("::ffff:10.0.0.0/104", "11.2.3.4"));
}

static void test_cidr_list(void **state)
{
	struct cidr list[3];
	assert_int_equal(cidr_parse("127.0.0.1/32", &list[0]), 0);
	assert_int_equal(cidr_parse("::1/128", &list[1]), 0);
	assert_int_equal(cidr_parse("172.16.0.0/12", &list[2]), 0);
	struct sockaddr_storage a = ip("172.31.255.254"), b = ip("172.32.0.1"), c = ip("::1"), d = ip("::2");
	assert_true(cidr_list_contains(list, 3, (struct sockaddr *)&a));
	assert_false(cidr_list_contains(list, 3, (struct sockaddr *)&b));
	assert_true(cidr_list_contains(list, 3, (struct sockaddr *)&c));
	assert_false(cidr_list_contains(list, 3, (struct sockaddr *)&d));
	assert_false(cidr_list_contains(list, 0, (struct sockaddr *)&a));
	assert_false(cidr_contains(&list[0], NULL));
	struct sockaddr_storage unix_sa = { .ss_family = AF_UNIX };
	assert_false(cidr_list_contains(list, 3, (struct sockaddr *)&unix_sa));
}

static void test_parse_and_format_ip(void **state)
{
	static const char *const good[] = { "127.0.0.1", "0.0.0.0", "2001:db8::1", "::1", "::ffff:192.0.2.1" };
	char buf[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct sockaddr_storage ss = ip(good[i]);
		netaddr_format_ip((struct sockaddr *)&ss, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}
	struct sockaddr_storage ss;
	assert_int_equal(netaddr_parse_ip("127.0.0.1:53", &ss), -1);
	assert_int_equal(netaddr_parse_ip("[::1]", &ss), -1);
	assert_int_equal(netaddr_parse_ip("", &ss), -1);
	assert_int_equal(netaddr_parse_ip("example.org", &ss), -1);
	assert_int_equal(netaddr_parse_ip(NULL, &ss), -1);

	ss = ip("2001:db8::1");
	char small[6];
	netaddr_format_ip((struct sockaddr *)&ss, small, sizeof(small));
	assert_string_equal(small, "?");
	struct sockaddr_storage unix_sa = { .ss_family = AF_UNIX };
	netaddr_format_ip((struct sockaddr *)&unix_sa, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	netaddr_format_ip((struct sockaddr *)&ss, buf, 0); /* must not write */
}

/* Table keys: the family tag and the network's bytes, nothing of the host part. */
static void test_key(void **state)
{
	uint8_t k[NETADDR_KEY_LEN], m[NETADDR_KEY_LEN];
	struct sockaddr_storage a = ip("192.0.2.77"), b = ip("::ffff:192.0.2.1");
	netaddr_key((struct sockaddr *)&a, 24, 56, k);
	static const uint8_t v4net[NETADDR_KEY_LEN] = { 4, 192, 0, 2, 0 };
	assert_memory_equal(k, v4net, NETADDR_KEY_LEN);
	netaddr_key((struct sockaddr *)&b, 24, 56, m);            /* mapped: the same IPv4 network */
	assert_memory_equal(k, m, NETADDR_KEY_LEN);
	netaddr_key((struct sockaddr *)&a, 32, 128, k);
	static const uint8_t v4host[NETADDR_KEY_LEN] = { 4, 192, 0, 2, 77 };
	assert_memory_equal(k, v4host, NETADDR_KEY_LEN);
	netaddr_key((struct sockaddr *)&a, 99, 128, m);           /* clamped to 32 */
	assert_memory_equal(k, m, NETADDR_KEY_LEN);
	netaddr_key((struct sockaddr *)&a, 20, 56, k);            /* a prefix inside a byte */
	static const uint8_t v4_20[NETADDR_KEY_LEN] = { 4, 192, 0, 0, 0 };
	assert_memory_equal(k, v4_20, NETADDR_KEY_LEN);
	struct sockaddr_storage c = ip("2001:db8:aaaa:bbff:1:2:3:4");
	netaddr_key((struct sockaddr *)&c, 24, 56, k);
	static const uint8_t v6net[NETADDR_KEY_LEN] = { 6, 0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0xbb };
	assert_memory_equal(k, v6net, NETADDR_KEY_LEN);
	netaddr_key(NULL, 24, 56, k);
	static const uint8_t none[NETADDR_KEY_LEN] = { 0 };
	assert_memory_equal(k, none, NETADDR_KEY_LEN);
	/* the seed changes the hash; equal keys hash equally */
	netaddr_key((struct sockaddr *)&a, 24, 56, k);
	netaddr_key((struct sockaddr *)&b, 24, 56, m);
	assert_true(netaddr_key_hash(k, 1) == netaddr_key_hash(m, 1));
	assert_true(netaddr_key_hash(k, 1) != netaddr_key_hash(k, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport_ipv4),	 cmocka_unit_test(test_hostport_ipv6),
		cmocka_unit_test(test_hostport_errors),	 cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_parse_errors), cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_cidr_v4mapped),	 cmocka_unit_test(test_cidr_list),
		cmocka_unit_test(test_parse_and_format_ip), cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Socket addresses and CIDR networks: strict inet_pton parsing of "host:port" and "net/prefix", and matching. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Longest address text we accept; anything longer cannot be a numeric address. */
#define ADDR_TEXT_MAX INET6_ADDRSTRLEN

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Reads a decimal number of 1..maxdigits digits, no sign or junk; returns -1 on anything else. */
static long parse_small_uint(const char *s, size_t maxdigits)
{
	size_t n = strlen(s);
	if (n == 0 || n > maxdigits)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Copies s[0..n) into buf as a C string; fails when it does not fit. */
static int copy_part(char *buf, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static void set_err(char *errbuf, size_t errlen, const char *msg, const char *what)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: \"%s\"", msg, what);
}

static void fill_v4(struct sockaddr_storage *out, socklen_t *outlen, const struct in_addr *a, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	memset(out, 0, sizeof(*out));
	sin->sin_family = AF_INET;
	sin->sin_addr = *a;
	sin->sin_port = htons(port);
	if (outlen)
		*outlen = sizeof(*sin);
}

static void fill_v6(struct sockaddr_storage *out, socklen_t *outlen, const struct in6_addr *a, uint16_t port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	memset(out, 0, sizeof(*out));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = *a;
	sin6->sin6_port = htons(port);
	if (outlen)
		*outlen = sizeof(*sin6);
}

/* Splits s into host and port text; IPv6 hosts must be bracketed. Sets *v6 for the bracket form. */
static int split_hostport(const char *s, char *host, char *port, bool *v6, char *errbuf, size_t errlen)
{
	const char *colon;
	*v6 = s[0] == '[';
	if (*v6) {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') {
			set_err(errbuf, errlen, "expected \"[IPv6]:port\"", s);
			return -1;
		}
		if (copy_part(host, ADDR_TEXT_MAX, s + 1, (size_t)(close - s - 1)) < 0) {
			set_err(errbuf, errlen, "not an IPv6 address", s);
			return -1;
		}
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			set_err(errbuf, errlen, "missing port (expected \"address:port\")", s);
			return -1;
		}
		if (memchr(s, ':', (size_t)(colon - s))) {
			set_err(errbuf, errlen, "an IPv6 address needs brackets, as in \"[::1]:53\"", s);
			return -1;
		}
		if (copy_part(host, ADDR_TEXT_MAX, s, (size_t)(colon - s)) < 0) {
			set_err(errbuf, errlen, "not an IPv4 address", s);
			return -1;
		}
	}
	if (copy_part(port, 8, colon + 1, strlen(colon + 1)) < 0)
		port[0] = 'x', port[1] = '\0'; /* too long: let the port check reject it */
	return 0;
}

int netaddr_parse_hostport(const char *s, struct sockaddr_storage *out, socklen_t *outlen, char *errbuf, size_t errlen)
{
	char host[ADDR_TEXT_MAX], port[8];
	bool v6;
	if (!s || !out) {
		set_err(errbuf, errlen, "missing address", "");
		return -1;
	}
	if (split_hostport(s, host, port, &v6, errbuf, errlen) < 0)
		return -1;
	long p = parse_small_uint(port, 5);
	if (p < 1 || p > 65535) {
		set_err(errbuf, errlen, "the port must be a number from 1 to 65535", s);
		return -1;
	}
	if (v6) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			set_err(errbuf, errlen, "not an IPv6 address", s);
			return -1;
		}
		fill_v6(out, outlen, &a6, (uint16_t)p);
		return 0;
	}
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) != 1) {
		set_err(errbuf, errlen, "not an IPv4 address", s);
		return -1;
	}
	fill_v4(out, outlen, &a4, (uint16_t)p);
	return 0;
}

/* Clears every bit after the first prefix bits of addr (len bytes). */
static void zero_host_bits(uint8_t *addr, size_t len, int prefix)
{
	for (size_t i = 0; i < len; i++) {
		int keep = prefix - (int)i * 8;
		if (keep >= 8)
			continue;
		addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int cidr_parse(const char *s, struct cidr *out)
{
	char host[ADDR_TEXT_MAX];
	if (!s || !out)
		return -1;
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (copy_part(host, sizeof(host), s, hlen) < 0)
		return -1;
	struct cidr c = { 0 };
	int max;
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	long prefix = slash ? parse_small_uint(slash + 1, 3) : max;
	if (prefix < 0 || prefix > max)
		return -1;
	c.prefix = (int)prefix;
	zero_host_bits(c.addr, max / 8, c.prefix);
	*out = c;
	return 0;
}

/* True when the first prefix bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, int prefix)
{
	size_t full = (size_t)prefix / 8;
	if (memcmp(a, b, full) != 0)
		return false;
	int rest = prefix % 8;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool cidr_contains(const struct cidr *c, const struct sockaddr *sa)
{
	if (!c || !sa)
		return false;
	uint8_t peer[16];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		if (c->family == AF_INET)
			return prefix_equal(c->addr, (const uint8_t *)&sin->sin_addr, c->prefix);
		/* An IPv4 peer against a ::ffff:0:0/96 style network: compare in mapped form. */
		memcpy(peer, v4mapped_prefix, 12);
		memcpy(peer + 12, &sin->sin_addr, 4);
		return c->family == AF_INET6 && prefix_equal(c->addr, peer, c->prefix);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	memcpy(peer, &sin6->sin6_addr, 16);
	if (c->family == AF_INET6)
		return prefix_equal(c->addr, peer, c->prefix);
	/* Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d. */
	if (c->family == AF_INET && memcmp(peer, v4mapped_prefix, 12) == 0)
		return prefix_equal(c->addr, peer + 12, c->prefix);
	return false;
}

bool cidr_list_contains(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&list[i], sa))
			return true;
	return false;
}

int netaddr_parse_ip(const char *s, struct sockaddr_storage *out)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!s || !out)
		return -1;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		fill_v4(out, NULL, &a4, 0);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		fill_v6(out, NULL, &a6, 0);
		return 0;
	}
	return -1;
}

void netaddr_format_ip(const struct sockaddr *sa, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	const void *src = NULL;
	if (sa && sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!src || !inet_ntop(sa->sa_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void netaddr_key(const struct sockaddr *sa, int v4_prefix, int v6_prefix, uint8_t key[NETADDR_KEY_LEN])
{
	memset(key, 0, NETADDR_KEY_LEN);
	const uint8_t *a = NULL;
	if (sa && sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa && sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) != 0) {
			key[0] = 6;
			memcpy(key + 1, a, 16);
			zero_host_bits(key + 1, 16, v6_prefix > 128 ? 128 : v6_prefix);
			return;
		}
		a += sizeof(v4mapped_prefix);   /* a dual-stack socket's IPv4 client is limited as IPv4 */
	} else {
		return;
	}
	key[0] = 4;
	memcpy(key + 1, a, 4);
	zero_host_bits(key + 1, 4, v4_prefix > 32 ? 32 : v4_prefix);
}

uint64_t netaddr_key_hash(const uint8_t key[NETADDR_KEY_LEN], uint64_t seed)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < NETADDR_KEY_LEN; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;   /* splitmix64 finaliser: spreads the FNV state over every bit */
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

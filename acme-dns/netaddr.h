/* Socket addresses and CIDR networks: parsing "host:port" / "[v6]:port" and "a.b.c.d/n", matching. */
#ifndef ADNS_NETADDR_H
#define ADNS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network bytes, host bits zeroed */
	int prefix;        /* 0..32 or 0..128 */
};

/* Parses "127.0.0.1:53", "[::1]:53", "0.0.0.0:53"; a port is required. Returns 0, or -1 with errbuf set. */
int netaddr_parse_hostport(const char *s, struct sockaddr_storage *out, socklen_t *outlen, char *errbuf, size_t errlen);
/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (full-length prefix). Returns 0 or -1. */
int cidr_parse(const char *s, struct cidr *out);
/* True when sa (AF_INET, AF_INET6, or IPv4-mapped IPv6) lies in c. */
bool cidr_contains(const struct cidr *c, const struct sockaddr *sa);
/* True when sa lies in any of the n networks. */
bool cidr_list_contains(const struct cidr *list, size_t n, const struct sockaddr *sa);
/* Parses a textual IP address (no port) into sockaddr_storage. Returns 0 or -1. */
int netaddr_parse_ip(const char *s, struct sockaddr_storage *out);
/* Writes the address (no port) as text into buf. */
void netaddr_format_ip(const struct sockaddr *sa, char *buf, size_t len);

#define NETADDR_KEY_LEN 17   /* a family tag and up to 16 address bytes */
/* Writes the client network of sa as a table key: byte 0 is 4 or 6 (0 for NULL or another family), then the first
 * v4_prefix bits of an IPv4 address (IPv4-mapped IPv6 counts as IPv4) or v6_prefix bits of an IPv6 one; every
 * other bit is zero, so two addresses of one network give equal keys. Prefixes beyond 32/128 are clamped. */
void netaddr_key(const struct sockaddr *sa, int v4_prefix, int v6_prefix, uint8_t key[NETADDR_KEY_LEN]);
/* A hash of key mixed with seed: tables keyed by client networks use a random seed so clients cannot pick
 * addresses that all land in one bucket. */
uint64_t netaddr_key_hash(const uint8_t key[NETADDR_KEY_LEN], uint64_t seed);

#endif

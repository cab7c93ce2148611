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

#endif

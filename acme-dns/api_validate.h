/* Pure request logic of the HTTP API (validation, client address): no sockets, no clock, unit-testable. */
#ifndef ADNS_API_VALIDATE_H
#define ADNS_API_VALIDATE_H

#include "netaddr.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define API_UUID_LEN      36   /* canonical text form, without the NUL */
#define API_TXT_LEN       43   /* base64url SHA-256 digest, as acme-dns requires */
#define API_KEY_LEN       40   /* acme-dns API key */
#define API_PROXY_VALUES  16   /* instances of the proxy header looked at */

enum api_body_status {
	API_BODY_OK = 0,
	API_BODY_MALFORMED,       /* not JSON, or a field of the wrong type: "malformed_json_payload" */
	API_BODY_BAD_CIDR,        /* an allowfrom entry that is not a CIDR network: "invalid_allowfrom_cidr" */
};

enum api_client_source {
	API_CLIENT_PEER = 0,      /* the TCP peer itself */
	API_CLIENT_FORWARDED,     /* taken from the proxy header of a trusted proxy */
	API_CLIENT_UNKNOWN,       /* a trusted proxy sent an entry that is not an address: matches no allowfrom */
};

/* True when s is exactly 43 characters of base64url without padding ([A-Za-z0-9_-]). */
bool api_valid_txt(const char *s);
/* True when s is exactly 40 characters of [A-Za-z0-9_-], the form of every acme-dns key. */
bool api_valid_key(const char *s);
/* Parses a UUID in the forms acme-dns (Go uuid.Parse) accepts: canonical, "urn:uuid:" prefixed, {braced},
 * or 32 bare hex digits, any case. Writes the canonical lowercase form into out (>= 37 bytes). Returns 0 or -1. */
int api_uuid_canonical(const char *s, char *out, size_t outlen);
/* True when s is a subdomain acme-dns would accept (a UUID in one of the forms above). */
bool api_valid_subdomain(const char *s);
/* True when a and b are the same subdomain, ignoring ASCII case (DNS names are case-insensitive). */
bool api_same_subdomain(const char *a, const char *b);
/* Copies s without leading/trailing spaces and tabs into out. Returns 0, or -1 when it does not fit. */
int api_trim_copy(const char *s, char *out, size_t outlen);

/* Parses a POST /register body (len 0 = no body, as acme-dns allows). Field names match case-insensitively,
 * as Go's encoding/json does. On API_BODY_OK *allowfrom is a new JSON array of the accepted networks with
 * IPv6 brackets removed (caller json_decref); otherwise *allowfrom is NULL. */
enum api_body_status api_parse_register(const char *body, size_t len, json_t **allowfrom);
/* Parses an update body {"subdomain": "...", "txt": "..."}; only its first JSON value counts (as Go's
 * json.Decoder). A field that is absent, not a string or too long for its buffer comes out as "". */
enum api_body_status api_parse_update(const char *body, size_t len, char *sub, size_t sublen, char *txt,
				      size_t txtlen);
/* True when an account whose allowfrom is the JSON array text allowfrom_json may be used from client.
 * An empty list (or NULL text) allows everyone; entries that are not CIDR networks are skipped as acme-dns
 * does; client NULL (unknown address) matches no network; unparsable text allows no one. */
bool api_allowfrom_permits(const char *allowfrom_json, const struct sockaddr *client);
/* Parses one proxy header entry: "192.0.2.1", "2001:db8::1", "[2001:db8::1]", with an optional ":port"
 * after an IPv4 address or a bracketed IPv6 address. Returns 0 or -1. */
int api_parse_forwarded_entry(const char *s, size_t len, struct sockaddr_storage *out);
/* Chooses the client address of a request. values[0..n) are the proxy header's instances in arrival order.
 * Unless peer lies in trusted, the peer is the client. Otherwise the entries are walked from the right,
 * skipping trusted proxies; the first untrusted one is the client; when every entry is trusted the leftmost
 * is; with no entry the peer is. An unparsable entry met on that walk gives API_CLIENT_UNKNOWN with out
 * zeroed (AF_UNSPEC). out always receives the chosen address. */
enum api_client_source api_client_address(const struct sockaddr *peer, const char *const *values, size_t n,
					  const struct cidr *trusted, size_t n_trusted,
					  struct sockaddr_storage *out);

#endif

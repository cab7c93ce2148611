/* HTTP client for ACME and the provider APIs, on libcurl: bounded bodies, the headers ACME needs, no globals. */
#ifndef ADNS_HTTP_H
#define ADNS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_LINKS 8

struct http_client;

struct http_response {
	long status;                    /* HTTP status code */
	char *body;                     /* malloc'd, NUL-terminated (body_len excludes the NUL) */
	size_t body_len;
	char *content_type;             /* without parameters, lower case; NULL if absent */
	char *location;                 /* Location header, NULL if absent */
	char *nonce;                    /* Replay-Nonce header, NULL if absent */
	long retry_after;               /* seconds from now (delta or HTTP-date), -1 if absent or unparsable */
	char *link_up;                  /* Link: <...>;rel="up" */
	char *link_index;               /* Link: <...>;rel="index" */
	char *alternates[HTTP_MAX_LINKS];/* Link: <...>;rel="alternate", in order */
	size_t n_alternates;
};

struct http_options {
	const char *ca_file;            /* trust these roots (PEM) instead of the system's; NULL = system */
	long timeout_s;                 /* whole-request timeout; 0 = 30 */
	size_t max_body;                /* larger bodies are an error; 0 = 4 MiB */
	const char *user_agent;         /* NULL = "acme-dns-cli/<version>" */
	const char *resolve;            /* optional curl "host:port:address" pin, for tests; NULL = none */
};

/* Creates a client (one curl easy handle, reused for keep-alive). Returns NULL on failure. */
struct http_client *http_client_new(const struct http_options *opt);
/* Frees the client. NULL is fine. */
void http_client_free(struct http_client *c);

/* Performs one request. method "GET", "HEAD", "POST", "PUT", "PATCH" or "DELETE"; body may be NULL.
 * headers: NULL-terminated "Name: value" strings or NULL. Returns 0 when an HTTP answer arrived (any status;
 * out filled, free with http_response_clear), or -1 with errbuf set for transport errors (connect, TLS, timeout,
 * body too large). Never logs header values (they may hold credentials). */
int http_request(struct http_client *c, const char *method, const char *url, const char *content_type,
		 const char *body, size_t body_len, const char *const *headers, struct http_response *out,
		 char *errbuf, size_t errlen);
/* Frees the response's strings and zeroes it. */
void http_response_clear(struct http_response *r);

#endif

/* AWS Signature Version 4 (the canonical request, the string to sign, the derived signing key, the Authorization
 * header) on OpenSSL's HMAC-SHA256 and SHA-256, for the Route 53 adapter. */
#ifndef ADNS_SOLVER_SIGV4_H
#define ADNS_SOLVER_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_DATE_LEN 16               /* "YYYYMMDDTHHMMSSZ" */

/* One request as it goes on the wire. The signed headers are host, x-amz-date and (with a session token)
 * x-amz-security-token: the caller sends exactly these values. */
struct sigv4_request {
	const char *method;             /* "GET", "POST" */
	const char *host;               /* the Host header's value: "route53.amazonaws.com", "127.0.0.1:8053" */
	const char *path;               /* the absolute path; letters, digits and "-._~/" only */
	const char *query;              /* "name=x&type=TXT", percent-encoded as sent; NULL or "" for none */
	const char *payload;            /* the body; NULL for none */
	size_t payload_len;
	const char *amz_date;           /* X-Amz-Date: "20150830T123600Z" */
	const char *session_token;      /* X-Amz-Security-Token, or NULL */
	const char *region;             /* "us-east-1" */
	const char *service;            /* "route53" */
};

/* The canonical request of r (malloc'd; the caller frees), or NULL for a path or query it cannot take. */
char *sigv4_canonical_request(const struct sigv4_request *r);
/* The string to sign of r into out. Returns 0, or -1 (bad request, out too small). */
int sigv4_string_to_sign(const struct sigv4_request *r, char *out, size_t outlen);
/* The signing key: HMAC chain of "AWS4" secret, the date (8 digits), region, service, "aws4_request". Returns 0
 * or -1. The caller wipes out after use. */
int sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
		      unsigned char out[32]);
/* The Authorization header's value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...") into
 * out. Returns 0, or -1 (bad request or key id, out too small). The secret never reaches out. */
int sigv4_authorization(const struct sigv4_request *r, const char *access_key_id, const char *secret, char *out,
			size_t outlen);
/* t as X-Amz-Date ("YYYYMMDDTHHMMSSZ", UTC) into out. */
void sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1]);
/* in percent-encoded as SigV4 wants it (A-Z a-z 0-9 - . _ ~ kept, every other byte %XX in upper case) into out.
 * Returns 0, or -1 when out is too small. */
int sigv4_uri_encode(const char *in, char *out, size_t outlen);

#endif

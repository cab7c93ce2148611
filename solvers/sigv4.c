/* AWS Signature Version 4 for header-signed requests, as AWS's "Create a signed AWS API request" describes it:
 * canonical request, string to sign, signing key, signature. Only what Route 53 needs: no S3 path rules, no
 * presigned URLs, no chunked payloads. */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SV_QUERY_PARAMS_MAX 32
#define SV_PARAM_MAX 1024
#define SV_ALGORITHM "AWS4-HMAC-SHA256"

static bool sv_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

int sigv4_uri_encode(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (k + 4 > outlen)
			return -1;
		if (sv_unreserved(*p)) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	if (k >= outlen)
		return -1;
	out[k] = '\0';
	return 0;
}

static int sv_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10
													  : -1;
}

/* Percent-decodes n bytes of in into out (NUL-terminated). Returns -1 for a broken escape, a NUL or no room. */
static int sv_uri_decode(const char *in, size_t n, char *out, size_t outlen)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			int hi = i + 2 < n ? sv_hexval(in[i + 1]) : -1;
			int lo = i + 2 < n ? sv_hexval(in[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == 0 || k + 1 >= outlen)
			return -1;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

static void sv_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int sv_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data ? data : "", data ? len : 0, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -1;
	sv_hex(md, 32, out);
	return 0;
}

static int sv_hmac(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int n = 0;
	return HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &n) && n == 32 ? 0
														 : -1;
}

struct sv_param {
	char key[SV_PARAM_MAX], value[SV_PARAM_MAX];
};

static int sv_param_cmp(const void *a, const void *b)
{
	const struct sv_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

/* One "k=v" of the query (n bytes), decoded then encoded the SigV4 way. */
static int sv_param_parse(const char *s, size_t n, struct sv_param *p)
{
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	char raw[SV_PARAM_MAX];

	if (sv_uri_decode(s, kn, raw, sizeof raw) != 0 || sigv4_uri_encode(raw, p->key, sizeof p->key) != 0)
		return -1;
	if (sv_uri_decode(eq ? eq + 1 : "", eq ? n - kn - 1 : 0, raw, sizeof raw) != 0 ||
	    sigv4_uri_encode(raw, p->value, sizeof p->value) != 0)
		return -1;
	return 0;
}

/* The canonical query string: parameters sorted by name, then value. Returns a malloc'd string or NULL. */
static char *sv_canonical_query(const char *query)
{
	struct sv_param *ps = calloc(SV_QUERY_PARAMS_MAX, sizeof *ps);
	size_t n = 0, len = 1;
	char *out = NULL;

	if (!ps)
		return NULL;
	for (const char *s = query ? query : ""; *s;) {
		size_t k = strcspn(s, "&");
		if (k > 0 && (n == SV_QUERY_PARAMS_MAX || sv_param_parse(s, k, &ps[n++]) != 0))
			goto done;
		s += k + (s[k] == '&');
	}
	qsort(ps, n, sizeof *ps, sv_param_cmp);
	for (size_t i = 0; i < n; i++)
		len += strlen(ps[i].key) + strlen(ps[i].value) + 2;
	if (!(out = malloc(len)))
		goto done;
	out[0] = '\0';
	for (size_t i = 0, k = 0; i < n; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].value);
done:
	free(ps);
	return out;
}

static bool sv_path_ok(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	for (const char *p = path; *p; p++)
		if (!sv_unreserved((unsigned char)*p) && *p != '/')
			return false;
	return !strstr(path, "//") && !strstr(path, "/./") && !strstr(path, "/../");
}

static bool sv_request_ok(const struct sigv4_request *r)
{
	return r && r->method && *r->method && r->host && *r->host && !strpbrk(r->host, "\r\n ") && r->amz_date &&
	       strlen(r->amz_date) == SIGV4_DATE_LEN && r->region && *r->region && r->service && *r->service &&
	       sv_path_ok(r->path) && (!r->session_token || !strpbrk(r->session_token, "\r\n"));
}

static const char *sv_signed_headers(const struct sigv4_request *r)
{
	return r->session_token ? "host;x-amz-date;x-amz-security-token" : "host;x-amz-date";
}

char *sigv4_canonical_request(const struct sigv4_request *r)
{
	char payload_hash[65];
	char *query, *out;
	size_t len;

	if (!sv_request_ok(r) || sv_sha256_hex(r->payload, r->payload_len, payload_hash) != 0)
		return NULL;
	if (!(query = sv_canonical_query(r->query)))
		return NULL;
	/* method, path, query, the headers (lower-case names, sorted, each line ending in \n), a blank line, the
	 * signed header names, the payload's hash */
	len = strlen(r->method) + strlen(r->path) + strlen(query) + strlen(r->host) + strlen(r->amz_date) +
	      (r->session_token ? strlen(r->session_token) + 32 : 0) + 160;
	if ((out = malloc(len)))
		snprintf(out, len, "%s\n%s\n%s\nhost:%s\nx-amz-date:%s\n%s%s%s\n%s\n%s", r->method, r->path, query, r->host,
			 r->amz_date, r->session_token ? "x-amz-security-token:" : "",
			 r->session_token ? r->session_token : "", r->session_token ? "\n" : "", sv_signed_headers(r),
			 payload_hash);
	free(query);
	return out;
}

int sigv4_string_to_sign(const struct sigv4_request *r, char *out, size_t outlen)
{
	char *canon = sigv4_canonical_request(r);
	char hash[65];
	int n;

	if (!canon)
		return -1;
	if (sv_sha256_hex(canon, strlen(canon), hash) != 0) {
		free(canon);
		return -1;
	}
	free(canon);
	n = snprintf(out, outlen, SV_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s", r->amz_date, r->amz_date,
		     r->region, r->service, hash);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
		      unsigned char out[32])
{
	size_t slen = secret ? strlen(secret) : 0;
	unsigned char *k0 = malloc(slen + 5);
	unsigned char a[32], b[32];
	char date[9];
	int rc = -1;

	if (!k0 || !date8 || strlen(date8) < 8 || !region || !service) {
		free(k0);
		return -1;
	}
	memcpy(date, date8, 8);
	date[8] = '\0';
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret ? secret : "", slen);
	if (sv_hmac(k0, slen + 4, date, a) == 0 && sv_hmac(a, 32, region, b) == 0 && sv_hmac(b, 32, service, a) == 0 &&
	    sv_hmac(a, 32, "aws4_request", out) == 0)
		rc = 0;
	OPENSSL_cleanse(k0, slen + 5);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	free(k0);
	return rc;
}

static bool sv_key_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
			return false;
	return true;
}

int sigv4_authorization(const struct sigv4_request *r, const char *access_key_id, const char *secret, char *out,
			size_t outlen)
{
	char sts[512], sig_hex[65];
	unsigned char key[32], sig[32];
	int n;

	if (!sv_key_id_ok(access_key_id) || sigv4_string_to_sign(r, sts, sizeof sts) != 0)
		return -1;
	if (sigv4_signing_key(secret, r->amz_date, r->region, r->service, key) != 0)
		return -1;
	n = sv_hmac(key, sizeof key, sts, sig);
	OPENSSL_cleanse(key, sizeof key);
	if (n != 0)
		return -1;
	sv_hex(sig, sizeof sig, sig_hex);
	n = snprintf(out, outlen, SV_ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
		     access_key_id, r->amz_date, r->region, r->service, sv_signed_headers(r), sig_hex);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

void sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

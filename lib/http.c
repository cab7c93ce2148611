/* HTTP client on libcurl: one reused handle, bounded bodies, and the response headers ACME needs parsed. */
#include "http.h"

#include "log.h"

#include <curl/curl.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef ADNS_VERSION
#define ADNS_VERSION "0.1"
#endif

#define HTTP_DEFAULT_TIMEOUT_S 30
#define HTTP_DEFAULT_MAX_BODY  (4u * 1024 * 1024)
#define HTTP_MAX_METHOD        16

struct http_client {
	CURL *curl;
	char *ca_file;
	char *user_agent;
	struct curl_slist *resolve;
	long timeout_s;
	size_t max_body;
};

/* What one transfer collects; the callbacks only ever see this. */
struct http_xfer {
	const char *url;                /* the request URL, base for relative Location and Link values */
	struct http_response *r;
	char *body;
	size_t len, cap, max;
	int too_big;
	int oom;
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc = CURLE_FAILED_INIT;

static void http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int http_set_opt_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

struct http_client *http_client_new(const struct http_options *opt)
{
	static const struct http_options none;
	if (!opt)
		opt = &none;
	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return NULL;
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->timeout_s = opt->timeout_s > 0 ? opt->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
	c->max_body = opt->max_body > 0 ? opt->max_body : HTTP_DEFAULT_MAX_BODY;
	c->curl = curl_easy_init();
	if (!c->curl || http_set_opt_str(&c->ca_file, opt->ca_file) != 0 ||
	    http_set_opt_str(&c->user_agent, opt->user_agent ? opt->user_agent : "acme-dns-cli/" ADNS_VERSION) != 0)
		goto fail;
	if (opt->resolve && !(c->resolve = curl_slist_append(NULL, opt->resolve)))
		goto fail;
	return c;
fail:
	http_client_free(c);
	return NULL;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->resolve);
	free(c->ca_file);
	free(c->user_agent);
	free(c);
}

static void http_response_clear_headers(struct http_response *r)
{
	free(r->content_type);
	free(r->location);
	free(r->nonce);
	free(r->link_up);
	free(r->link_index);
	for (size_t i = 0; i < r->n_alternates; i++)
		free(r->alternates[i]);
	r->content_type = r->location = r->nonce = r->link_up = r->link_index = NULL;
	memset(r->alternates, 0, sizeof(r->alternates));
	r->n_alternates = 0;
	r->retry_after = -1;
}

void http_response_clear(struct http_response *r)
{
	if (!r)
		return;
	http_response_clear_headers(r);
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

/* ---- body ---- */

static size_t http_on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb;
	if (n > x->max - x->len) {
		x->too_big = 1;
		return 0;       /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap *= 2;
		if (cap > x->max + 1)
			cap = x->max + 1;
		char *p = realloc(x->body, cap);
		if (!p) {
			x->oom = 1;
			return 0;
		}
		x->body = p;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

/* ---- header values ---- */

/* True when ref starts with a URI scheme (RFC 3986 section 3.1), i.e. is not a relative reference. */
static int http_has_scheme(const char *ref)
{
	if (!isalpha((unsigned char)ref[0]))
		return 0;
	size_t i = 1;
	while (isalnum((unsigned char)ref[i]) || ref[i] == '+' || ref[i] == '-' || ref[i] == '.')
		i++;
	return ref[i] == ':';
}

/* ref resolved against base (RFC 3986 section 5), malloc'd; an absolute ref is kept as sent, and one curl cannot
 * resolve too. NULL only when out of memory. */
static char *http_resolve_url(const char *base, const char *ref)
{
	if (http_has_scheme(ref))
		return strdup(ref);
	CURLU *u = curl_url();
	char *s = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		s = NULL;
	char *out = strdup(s ? s : ref);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* Delta-seconds, or an HTTP-date turned into seconds from now (0 when past); -1 when neither. */
static long http_parse_retry_after(const char *v)
{
	if (*v == '\0')
		return -1;
	if (strspn(v, "0123456789") == strlen(v)) {
		errno = 0;
		unsigned long long n = strtoull(v, NULL, 10);
		return (errno != 0 || n > LONG_MAX) ? LONG_MAX : (long)n;
	}
	time_t when = curl_getdate(v, NULL);
	if (when == (time_t)-1)
		return -1;
	time_t now = time(NULL);
	if (when <= now)
		return 0;
	double d = difftime(when, now);
	return d >= (double)LONG_MAX ? LONG_MAX : (long)d;
}

/* Media type without parameters, lower-cased; NULL when out of memory. The caller skips empty types. */
static char *http_media_type(const char *v, size_t n)
{
	char *s = strndup(v, n);
	for (size_t i = 0; s && s[i]; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

static size_t http_media_type_len(const char *v)
{
	size_t n = strcspn(v, ";");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n;
}

/* Replaces *slot with v (the last header of a kind wins). Returns -1 when v is NULL (out of memory). */
static int http_keep(char **slot, char *v)
{
	if (!v)
		return -1;
	free(*slot);
	*slot = v;
	return 0;
}

/* ---- Link (RFC 8288) ---- */

#define HTTP_REL_ALTERNATE 1u
#define HTTP_REL_UP        2u
#define HTTP_REL_INDEX     4u

static const char *http_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The closing quote of the quoted-string opening at p, or the NUL ending an unterminated one. */
static const char *http_quote_end(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return p;
}

/* The relation types we use named in a rel value; "alternate up" names two. */
static unsigned http_rel_flags(const char *v, size_t n)
{
	static const struct { const char *name; unsigned flag; } known[] = {
		{ "alternate", HTTP_REL_ALTERNATE }, { "up", HTTP_REL_UP }, { "index", HTTP_REL_INDEX },
	};
	unsigned flags = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t start = i;
		while (i < n && v[i] != ' ' && v[i] != '\t')
			i++;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (i - start == strlen(known[k].name) && strncasecmp(v + start, known[k].name, i - start) == 0)
				flags |= known[k].flag;
	}
	return flags;
}

/* One link-param after its ';': name, optional '=' and a token or quoted value. Returns where it stopped. */
static const char *http_link_param(const char *p, unsigned *rels)
{
	p = http_skip_ws(p);
	const char *name = p;
	p += strcspn(p, "=;, \t\"");
	size_t name_len = (size_t)(p - name);
	p = http_skip_ws(p);
	if (*p != '=')
		return p;
	p = http_skip_ws(p + 1);
	const char *v = p;
	size_t v_len;
	if (*p == '"') {
		const char *end = http_quote_end(p);
		v = p + 1;
		v_len = (size_t)(end - v);
		p = *end ? end + 1 : end;
	} else {
		p += strcspn(p, ";, \t");
		v_len = (size_t)(p - v);
	}
	if (name_len == 3 && strncasecmp(name, "rel", 3) == 0)
		*rels |= http_rel_flags(v, v_len);
	return p;
}

/* The parameters of one link value, up to the ',' that ends it (quoted commas do not). */
static const char *http_link_params(const char *p, unsigned *rels)
{
	while (*p && *p != ',') {
		if (*p == ';') {
			p = http_link_param(p + 1, rels);
		} else if (*p == '"') {
			p = http_quote_end(p);
			p += *p ? 1 : 0;
		} else {
			p++;
		}
	}
	return p;
}

static int http_link_store(struct http_xfer *x, const char *ref, size_t len, unsigned rels)
{
	struct http_response *r = x->r;
	char *rel = strndup(ref, len);
	char *url = rel ? http_resolve_url(x->url, rel) : NULL;
	free(rel);
	if (!url)
		return -1;
	int rc = 0;
	if ((rels & HTTP_REL_UP) && !r->link_up && !(r->link_up = strdup(url)))
		rc = -1;
	if ((rels & HTTP_REL_INDEX) && !r->link_index && !(r->link_index = strdup(url)))
		rc = -1;
	if ((rels & HTTP_REL_ALTERNATE) && r->n_alternates < HTTP_MAX_LINKS) {
		if ((r->alternates[r->n_alternates] = strdup(url)) != NULL)
			r->n_alternates++;
		else
			rc = -1;
	}
	free(url);
	return rc;
}

/* A Link header value: comma-separated "<uri-reference>; param=value; ..." entries. Returns -1 when out of memory. */
static int http_parse_link(struct http_xfer *x, const char *v)
{
	const char *p = v;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return 0;
		const char *ref = NULL, *ref_end = NULL;
		if (*p == '<') {
			if (!(ref_end = strchr(p + 1, '>')))
				return 0;
			ref = p + 1;
			p = ref_end + 1;
		}
		unsigned rels = 0;
		p = http_link_params(p, &rels);
		if (ref && rels && http_link_store(x, ref, (size_t)(ref_end - ref), rels) != 0)
			return -1;
	}
}

/* ---- headers ---- */

/* One "Name: value" line (NUL-terminated, line break cut). Returns -1 when out of memory. */
static int http_header_line(struct http_xfer *x, char *line)
{
	struct http_response *r = x->r;
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return 0;
	*colon = '\0';
	char *v = (char *)http_skip_ws(colon + 1);
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	if (n == 0)
		return 0;
	if (strcasecmp(line, "Content-Type") == 0) {
		size_t t = http_media_type_len(v);
		return t ? http_keep(&r->content_type, http_media_type(v, t)) : 0;
	}
	if (strcasecmp(line, "Location") == 0)
		return http_keep(&r->location, http_resolve_url(x->url, v));
	if (strcasecmp(line, "Replay-Nonce") == 0)
		return http_keep(&r->nonce, strdup(v));
	if (strcasecmp(line, "Retry-After") == 0)
		r->retry_after = http_parse_retry_after(v);
	else if (strcasecmp(line, "Link") == 0)
		return http_parse_link(x, v);
	return 0;
}

/* curl hands every header line of every response (1xx included); a status line starts a new set. */
static size_t http_on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb;
	size_t len = n;
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		http_response_clear_headers(x->r);
		return n;
	}
	char *line = strndup(data, len);
	int rc = line ? http_header_line(x, line) : -1;
	free(line);
	if (rc != 0) {
		x->oom = 1;
		return 0;
	}
	return n;
}

/* ---- request ---- */

static int http_method_ok(const char *m)
{
	size_t n = strlen(m);
	return n > 0 && n < HTTP_MAX_METHOD && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static int http_append(struct curl_slist **list, const char *h)
{
	struct curl_slist *t = curl_slist_append(*list, h);
	if (!t)
		return -1;
	*list = t;
	return 0;
}

static int http_has_line_break(const char *content_type, const char *const *headers)
{
	if (content_type && strpbrk(content_type, "\r\n"))
		return 1;
	for (size_t i = 0; headers && headers[i]; i++)
		if (strpbrk(headers[i], "\r\n"))
			return 1;
	return 0;
}

/* The request headers; "Expect:" turns off 100-continue, which only costs a round trip. NULL on failure with
 * *why set (never quoting a header, which may hold a credential). */
static struct curl_slist *http_build_headers(const char *content_type, const char *const *headers, const char **why)
{
	struct curl_slist *list = NULL;
	if (http_has_line_break(content_type, headers)) {
		*why = "a request header holds a line break";
		return NULL;
	}
	*why = "out of memory";
	if (http_append(&list, "Expect:") != 0)
		goto fail;
	if (content_type) {
		size_t n = strlen("Content-Type: ") + strlen(content_type) + 1;
		char *h = malloc(n);
		if (!h)
			goto fail;
		snprintf(h, n, "Content-Type: %s", content_type);
		int rc = http_append(&list, h);
		free(h);
		if (rc != 0)
			goto fail;
	}
	for (size_t i = 0; headers && headers[i]; i++)
		if (http_append(&list, headers[i]) != 0)
			goto fail;
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

#define HTTP_SET(h, rc, opt, val)                                  \
	do {                                                       \
		if ((rc) == CURLE_OK)                              \
			(rc) = curl_easy_setopt((h), (opt), (val)); \
	} while (0)

/* Options every request gets; the handle was reset, so nothing from the previous request remains. */
static CURLcode http_setup_common(struct http_client *c, const char *url, struct curl_slist *hdrs,
				  struct http_xfer *x, char *cerr)
{
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;
	HTTP_SET(h, rc, CURLOPT_URL, url);
	HTTP_SET(h, rc, CURLOPT_ERRORBUFFER, cerr);
	HTTP_SET(h, rc, CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(h, rc, CURLOPT_TIMEOUT, c->timeout_s);
	HTTP_SET(h, rc, CURLOPT_FOLLOWLOCATION, 0L);     /* ACME reads Location itself */
#if LIBCURL_VERSION_NUM >= 0x075500
	HTTP_SET(h, rc, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	HTTP_SET(h, rc, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	HTTP_SET(h, rc, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	HTTP_SET(h, rc, CURLOPT_USERAGENT, c->user_agent);
	HTTP_SET(h, rc, CURLOPT_HTTPHEADER, hdrs);
	HTTP_SET(h, rc, CURLOPT_WRITEFUNCTION, http_on_body);
	HTTP_SET(h, rc, CURLOPT_WRITEDATA, x);
	HTTP_SET(h, rc, CURLOPT_HEADERFUNCTION, http_on_header);
	HTTP_SET(h, rc, CURLOPT_HEADERDATA, x);
	if (c->ca_file)
		HTTP_SET(h, rc, CURLOPT_CAINFO, c->ca_file);
	if (c->resolve)
		HTTP_SET(h, rc, CURLOPT_RESOLVE, c->resolve);
	return rc;
}

static CURLcode http_setup_method(CURL *h, const char *method, const char *body, size_t body_len)
{
	CURLcode rc = CURLE_OK;
	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (strcmp(method, "GET") == 0 && !body)
		return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (body || strcmp(method, "POST") == 0) {
		HTTP_SET(h, rc, CURLOPT_POSTFIELDS, body ? body : "");
		HTTP_SET(h, rc, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
	}
	if (strcmp(method, "POST") != 0)
		HTTP_SET(h, rc, CURLOPT_CUSTOMREQUEST, method);
	return rc;
}

static void http_fail(char *errbuf, size_t errlen, const char *method, const char *url, const char *why)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s %s: %s", method ? method : "?", url ? url : "?", why);
}

/* Why a transfer failed: our own limits first, then curl's detailed message. */
static const char *http_why(const struct http_xfer *x, CURLcode rc, const char *cerr, char *tmp, size_t tmplen)
{
	if (x->too_big) {
		snprintf(tmp, tmplen, "response body larger than %zu bytes", x->max);
		return tmp;
	}
	if (x->oom)
		return "out of memory";
	return cerr[0] ? cerr : curl_easy_strerror(rc);
}

int http_request(struct http_client *c, const char *method, const char *url, const char *content_type,
		 const char *body, size_t body_len, const char *const *headers, struct http_response *out,
		 char *errbuf, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (!c || !method || !url || !http_method_ok(method)) {
		http_fail(errbuf, errlen, method && http_method_ok(method) ? method : "?", url, "invalid request");
		return -1;
	}
	const char *why = NULL;
	struct curl_slist *hdrs = http_build_headers(content_type, headers, &why);
	if (!hdrs) {
		http_fail(errbuf, errlen, method, url, why);
		return -1;
	}
	struct http_xfer x = { .url = url, .r = out, .max = c->max_body };
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_reset(c->curl);     /* keeps the connection cache, so keep-alive still works */
	CURLcode rc = http_setup_common(c, url, hdrs, &x, cerr);
	if (rc == CURLE_OK)
		rc = http_setup_method(c->curl, method, body, body_len);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	if (rc == CURLE_OK)
		rc = curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc == CURLE_OK && !x.body && !(x.body = strdup("")))
		x.oom = 1;
	char tmp[96];
	if (rc != CURLE_OK || x.oom)
		http_fail(errbuf, errlen, method, url, http_why(&x, rc, cerr, tmp, sizeof(tmp)));
	curl_easy_reset(c->curl);     /* drops the pointers to this stack frame */
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || x.oom) {
		log_debug("http: %s %s: failed", method, url);
		free(x.body);
		http_response_clear(out);
		return -1;
	}
	out->body = x.body;
	out->body_len = x.len;
	log_debug("http: %s %s: %ld, %zu bytes", method, url, out->status, x.len);
	return 0;
}

/* Shared by the HTTP API adapters: retries, refused credentials, the provider's error text, never a secret. */
#include "provider.h"

#include "log.h"

#include <jansson.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROVIDER_TEXT_MAX 200

static bool retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static bool cancelled(const struct provider *p)
{
	return p->solver && p->solver->cancel && *p->solver->cancel;
}

/* Sleeps seconds in small steps, stopping early when the run is cancelled. Returns -1 when it was. */
static int provider_wait(const struct provider *p, long seconds)
{
	for (long ms = seconds * 1000; ms > 0; ms -= 200) {
		if (cancelled(p))
			return -1;
		struct timespec ts = { 0, (ms < 200 ? ms : 200) * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !cancelled(p))
			;
	}
	return cancelled(p) ? -1 : 0;
}

int provider_call(const struct provider *p, const char *method, const char *url, const char *content_type,
		  const char *body, const char *const *headers, struct http_response *r, char *errbuf, size_t errlen)
{
	int retries = p->retries > 0 ? p->retries : 3;
	long wait_max = p->retry_wait_max_s > 0 ? p->retry_wait_max_s : 10;
	for (int attempt = 0;; attempt++) {
		char err[512];
		if (http_request(p->http, method, url, content_type, body, body ? strlen(body) : 0, headers, r, err,
				 sizeof(err)) != 0) {
			snprintf(errbuf, errlen, "%s: %s %s: %s", p->tag, method, url, err);
			return -1;
		}
		if (!retryable(r->status) || attempt == retries)
			return 0;
		long wait = r->retry_after >= 0 ? r->retry_after : 1L << attempt;
		wait = wait < 1 ? 1 : wait > wait_max ? wait_max : wait;
		log_warn("%s: %s %s: HTTP %ld, trying again in %ld s", p->tag, method, url, r->status, wait);
		http_response_clear(r);
		if (provider_wait(p, wait) != 0) {
			snprintf(errbuf, errlen, "%s: %s %s: interrupted while waiting to try again", p->tag, method, url);
			return -1;
		}
	}
}

/* The first message a JSON error document holds, in the shapes providers use. */
static const char *json_message(json_t *j)
{
	json_t *e = json_object_get(j, "error");
	const char *s = json_string_value(json_object_get(j, "message"));
	if (!s && json_is_string(e))
		s = json_string_value(e);
	if (!s && json_is_object(e))
		s = json_string_value(json_object_get(e, "message"));
	if (!s)
		s = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
	return s;
}

void provider_error_text(const struct provider *p, const struct http_response *r, char *out, size_t outlen)
{
	const char *body = r->body ? r->body : "";
	json_t *j = json_loadb(body, r->body_len, 0, NULL);
	const char *s = json_message(j);
	char xml[PROVIDER_TEXT_MAX + 1] = "";
	const char *m = s ? NULL : strstr(body, "<Message>");
	if (m) {
		m += strlen("<Message>");
		const char *end = strstr(m, "</Message>");
		size_t n = end ? (size_t)(end - m) : strlen(m);
		snprintf(xml, sizeof(xml), "%.*s", (int)(n < PROVIDER_TEXT_MAX ? n : PROVIDER_TEXT_MAX), m);
		s = xml;
	}
	if (!s)
		s = body;
	size_t k = 0;
	for (size_t i = 0; s[i] && k + 1 < outlen && i < PROVIDER_TEXT_MAX; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : ' ';
	while (k > 0 && out[k - 1] == ' ')
		k--;
	if (outlen)
		out[k] = '\0';
	if (k == 0)
		snprintf(out, outlen, "(no error text)");
	for (size_t i = 0; i < PROVIDER_SECRETS && p->secrets[i]; i++)
		if (p->secrets[i][0] && (strstr(body, p->secrets[i]) || strstr(out, p->secrets[i])))
			snprintf(out, outlen, "(error text withheld: it holds a secret)");
	json_decref(j);
}

void provider_fail(const struct provider *p, const struct http_response *r, const char *what, char *errbuf,
		   size_t errlen)
{
	char text[PROVIDER_TEXT_MAX + 1];
	if (r->status == 401 || r->status == 403) {
		snprintf(errbuf, errlen, "%s: credentials refused by %s (%s): HTTP %ld", p->tag, p->name,
			 p->credentials ? p->credentials : "credentials", r->status);
		return;
	}
	provider_error_text(p, r, text, sizeof(text));
	snprintf(errbuf, errlen, "%s: %s: HTTP %ld: %s", p->tag, what, r->status, text);
}

int provider_pause(const struct provider *p, long seconds)
{
	return provider_wait(p, seconds);
}

int provider_name(const char *in, char *out, size_t outlen, bool final_dot)
{
	size_t len = in ? strlen(in) : 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len + (final_dot ? 2 : 1) > outlen || in[0] == '.')
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '_' || (c == '.' && i + 1 < len && in[i + 1] != '.');
		if (!ok)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (final_dot)
		out[len++] = '.';
	out[len] = '\0';
	return 0;
}
